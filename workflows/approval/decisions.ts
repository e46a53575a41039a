/**
 * The approval's decision rules as plain functions of plain data (ApprovalState, StepState): who may decide what,
 * what a decision changes, what each person's card shows, how decisions read in notices and in Kingdee. No Temporal
 * and no clock: the workflow passes the time in and does every side effect; unit tests call these directly.
 *
 * Functions named apply / decide / rejectBySystem / bringInManager change the step they are given, in place (the
 * workflow's state is one mutable object that the status query returns); everything else only reads.
 */
import { businessTimeBetween, type BusinessCalendar } from '../../domain/business-hours';
import type { CardState, DecisionSummary, RefusalKind, Waiting } from '../../domain/texts';
import { systemActorName } from '../../domain/texts/approval';
import type { PlannedStep } from '../../rules/plan';
import type { ApprovalSlot, ApprovalStage, ApprovalState, DecisionInput, Person, StepState } from '../contract';

export type StepOutcome = NonNullable<StepState['outcome']>;

/** The stages an approval never leaves. */
export function isFinished(stage: ApprovalStage): boolean {
  return ['approved', 'rejected', 'closed-in-kingdee', 'not-applicable'].includes(stage);
}

/** The step being decided now, if any. */
export function currentStep(state: ApprovalState): StepState | undefined {
  return state.steps[state.currentStepIndex];
}

/** A new step as planned, before anyone decides: one seat per approver, each with its configured delegate. */
export function createStep(
  planned: Pick<PlannedStep, 'id' | 'name' | 'mode' | 'delegates'>,
  people: readonly Person[],
  startedAt: string,
): StepState {
  const slots: ApprovalSlot[] = people.map((p) => ({
    assignee: p.userId,
    delegates: planned.delegates[p.userId] ? [planned.delegates[p.userId]!] : [],
  }));
  return {
    id: planned.id,
    name: planned.name,
    mode: planned.mode,
    slots,
    approvers: slots.flatMap((slot) => [slot.assignee, ...slot.delegates]),
    names: Object.fromEntries(people.map((p) => [p.userId, p.name])),
    approvedBy: [],
    startedAt,
    remindersSent: 0,
    escalated: false,
  };
}

/** Seats still without a decision. */
export function pendingSlots(step: StepState): ApprovalSlot[] {
  return step.slots.filter((slot) => !slot.decision);
}

/** Everyone who may still decide on the step (assignees and their delegates): reminded, and searchable. */
export function waitingUserIds(step: StepState): string[] {
  return pendingSlots(step).flatMap((slot) => [slot.assignee, ...slot.delegates]);
}

/** The seats an approval waits on now: the current step's undecided seats while it awaits approval, else none. */
export function waitingSlots(state: ApprovalState): ApprovalSlot[] {
  const step = currentStep(state);
  return step && state.stage === 'awaiting-approval' && !step.outcome ? pendingSlots(step) : [];
}

/** What reminders and escalation notices say about the wait, `now` being the workflow's clock. */
export function waitingOf(step: StepState, now: number, calendar: BusinessCalendar): Waiting {
  return {
    stepName: step.name,
    waitingFor: pendingSlots(step).map((slot) => step.names[slot.assignee] ?? slot.assignee),
    waitedMs: businessTimeBetween(Date.parse(step.startedAt), now, calendar),
  };
}

/** Whether someone sits on the seat: as its assignee, or as a delegate who may decide on the assignee's behalf. */
function sitsOn(slot: ApprovalSlot, userId: string): boolean {
  return slot.assignee === userId || slot.delegates.includes(userId);
}

/**
 * Why a decision must be refused, or undefined when it may be applied. Checks in order: the approval awaits a
 * decision (a repeated click by someone who already decided is told so, not "not yours"), the card is for the current
 * step, the person sits on a seat of it, one of their seats is undecided, a rejection says why, and a transfer or
 * 加签 names someone else.
 */
export function refusalFor(state: ApprovalState, decision: DecisionInput): RefusalKind | undefined {
  const step = currentStep(state);
  if (state.stage !== 'awaiting-approval' || !step || step.outcome) {
    const decidedByMe = state.steps.some((s) => s.slots.some((slot) => slot.decision?.by === decision.userId));
    return decidedByMe ? 'alreadyDecided' : 'notAwaiting';
  }
  if (decision.stepId !== undefined && decision.stepId !== step.id) return 'staleCard';
  const mine = step.slots.filter((slot) => sitsOn(slot, decision.userId));
  if (mine.length === 0) return 'notApprover';
  if (mine.every((slot) => slot.decision)) return 'alreadyDecided';
  if (decision.action === 'reject' && !decision.comment?.trim()) return 'commentRequired';
  if (decision.action === 'transfer' || decision.action === 'addApprover') {
    if (!decision.targetUserId) return 'targetRequired';
    if (decision.targetUserId === decision.userId) return 'targetIsSelf';
  }
  return undefined;
}

/** Someone a decision brings in (转交, 加签) whose name the step does not know yet: look it up before applying. */
export function unknownTarget(state: ApprovalState, decision: DecisionInput): string | undefined {
  const target = decision.targetUserId;
  const step = currentStep(state);
  return target && step && !step.names[target] ? target : undefined;
}

/** What applying a decision changed. */
export interface AppliedDecision {
  /** The step decided on (the current one). */
  step: StepState;
  /** The seat's assignee when a delegate decided on their behalf. */
  onBehalfOf?: string;
  /** The step's outcome when this decision settled it. */
  outcome?: StepOutcome;
  /** Someone brought in by transfer or 加签, who needs a card. */
  newcomer?: string;
}

/**
 * Applies a decision that refusalFor accepted to the current step, at `at` (ISO): approve fills the person's first
 * undecided seat and settles the step when the mode says so (any: at once; all: when no seat is left), reject fills
 * it and rejects the step, transfer hands the seat to the target (the person leaves it), addApprover adds a seat.
 */
export function applyDecision(state: ApprovalState, decision: DecisionInput, at: string): AppliedDecision {
  const step = currentStep(state);
  const slot = step?.slots.find((s) => !s.decision && sitsOn(s, decision.userId));
  if (!step || !slot) throw new Error(`decision by ${decision.userId} applied without being accepted`);
  const onBehalfOf = slot.assignee !== decision.userId ? slot.assignee : undefined;
  let newcomer: string | undefined;
  switch (decision.action) {
    case 'approve':
      slot.decision = { by: decision.userId, action: 'approve', at, comment: decision.comment };
      step.approvedBy.push(decision.userId);
      if (step.mode === 'any' || pendingSlots(step).length === 0) decideStep(step, 'approved', at);
      break;
    case 'reject':
      slot.decision = { by: decision.userId, action: 'reject', at, comment: decision.comment };
      step.rejectReason = decision.comment;
      decideStep(step, 'rejected', at);
      break;
    case 'transfer':
      slot.transferredFrom = [...(slot.transferredFrom ?? []), decision.userId];
      slot.transferredAt = at;
      slot.assignee = decision.targetUserId!;
      slot.delegates = slot.delegates.filter((d) => d !== decision.userId);
      if (!step.approvers.includes(slot.assignee)) step.approvers.push(slot.assignee);
      newcomer = slot.assignee;
      break;
    case 'addApprover':
      step.slots.push({ assignee: decision.targetUserId!, delegates: [], addedBy: decision.userId });
      if (!step.approvers.includes(decision.targetUserId!)) step.approvers.push(decision.targetUserId!);
      newcomer = decision.targetUserId!;
      break;
  }
  return {
    step,
    ...(onBehalfOf ? { onBehalfOf } : {}),
    ...(step.outcome ? { outcome: step.outcome } : {}),
    ...(newcomer ? { newcomer } : {}),
  };
}

/** Settles a step. */
export function decideStep(step: StepState, outcome: StepOutcome, at: string): void {
  step.outcome = outcome;
  step.decidedAt = at;
}

/** The final action rejects the step (系统 is shown as the one who rejected, `reason` as why). */
export function rejectBySystem(step: StepState, reason: string, at: string): void {
  step.rejectReason = reason;
  decideStep(step, 'rejected', at);
}

/**
 * Escalation brings an undecided seat's manager in as a delegate (they may then decide on the assignee's behalf).
 * Returns false, changing nothing, when there is no manager or they already sit on the seat.
 */
export function bringInManager(step: StepState, slot: ApprovalSlot, manager: Person | null | undefined): boolean {
  if (!manager || manager.userId === slot.assignee || slot.delegates.includes(manager.userId)) return false;
  slot.delegates.push(manager.userId);
  step.names[manager.userId] = manager.name;
  if (!step.approvers.includes(manager.userId)) step.approvers.push(manager.userId);
  return true;
}

/**
 * What a person's card on this step shows now: a rejection (by a person, else by 系统) wins; someone who handed
 * their seat on sees it transferred; otherwise their own approval, the step's last approval, or still pending.
 */
export function cardStateFor(step: StepState, userId: string): CardState {
  const name = (id: string) => step.names[id] ?? id;
  const decided = step.slots.map((slot) => slot.decision).filter((d) => d !== undefined);
  const rejection = decided.find((d) => d.action === 'reject');
  if (rejection)
    return { status: 'rejected', byName: name(rejection.by), at: rejection.at, comment: rejection.comment };
  if (step.outcome === 'rejected') {
    return {
      status: 'rejected',
      byName: systemActorName,
      at: step.decidedAt ?? step.startedAt,
      comment: step.rejectReason,
    };
  }
  const handedOn = step.slots.find((slot) => slot.transferredFrom?.includes(userId));
  if (handedOn && !sitsOn(handedOn, userId)) {
    return {
      status: 'transferred',
      byName: name(userId),
      toName: name(handedOn.assignee),
      at: handedOn.transferredAt ?? step.startedAt,
    };
  }
  const myDecision = step.slots.find((slot) => slot.decision?.by === userId)?.decision;
  if (myDecision) {
    return { status: 'approved', byName: name(myDecision.by), at: myDecision.at, comment: myDecision.comment };
  }
  if (step.outcome === 'approved') {
    const last = decided[decided.length - 1]!;
    return { status: 'approved', byName: name(last.by), at: last.at, comment: last.comment };
  }
  return { status: 'pending' };
}

/** Every decision as people read it, oldest first, including a rejection made by the final action (系统). */
export function decisionSummaries(steps: readonly StepState[]): DecisionSummary[] {
  const automatic = steps.flatMap((step): DecisionSummary[] =>
    step.outcome === 'rejected' && !step.slots.some((slot) => slot.decision?.action === 'reject')
      ? [
          {
            name: systemActorName,
            action: 'reject',
            at: step.decidedAt ?? step.startedAt,
            ...(step.rejectReason ? { comment: step.rejectReason } : {}),
          },
        ]
      : [],
  );
  return steps
    .flatMap((step) =>
      step.slots.flatMap((slot): DecisionSummary[] =>
        slot.decision
          ? [
              {
                name: step.names[slot.decision.by] ?? slot.decision.by,
                action: slot.decision.action,
                at: slot.decision.at,
                ...(slot.decision.comment ? { comment: slot.decision.comment } : {}),
                ...(slot.decision.by !== slot.assignee
                  ? { onBehalfOf: step.names[slot.assignee] ?? slot.assignee }
                  : {}),
              },
            ]
          : [],
      ),
    )
    .concat(automatic)
    .sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

/** Who Kingdee records as acting on the write-back: the last person who decided on the latest step with a decision. */
export function lastDecider(steps: readonly StepState[]): string | undefined {
  return [...steps]
    .reverse()
    .flatMap((s) => s.slots)
    .find((s) => s.decision)?.decision?.by;
}
