/**
 * The approval's decision rules as plain functions of plain data (ApprovalState, StepState): who may decide what,
 * what a decision changes, what each person's card shows, how decisions read in notices and in Kingdee. No Temporal
 * and no clock: the workflow passes the time in and does every side effect; unit tests call these directly.
 *
 * Functions named apply / decide / rejectBySystem / bringInManager change the step they are given, in place (the
 * workflow's state is one mutable object that the status query returns); everything else only reads.
 */
import { businessTimeBetween, type BusinessCalendar } from '../../domain/business-hours';
import type { CardState, DecidedCardState, DecisionSummary, Waiting } from '../../domain/texts';
import { systemActorName, type ApprovalRefusal } from '../../domain/texts/approval';
import { isDocumentStatus, isWithdrawn, type DocumentStatus } from '../../domain/document';
import type { PlannedStep } from '../../rules/plan';
import type { ApprovalSlot, ApprovalStage, ApprovalState, DecisionInput, Person, StepState } from '../contract';
import { cardStateFor, sitsOn } from '../card-state';

export { cardStateFor, settledCardState } from '../card-state';

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

/** What the workflow knows beyond its state when it checks a decision. */
export interface RefusalContext {
  /** The name of the step after the current one, when there is one (the current step may be decided already). */
  nextStepName?: string;
  /** A change in Kingdee the workflow has seen but not acted on yet: the approval is closing. */
  closing?: DocumentStatus | 'deleted';
}

/**
 * Why a decision must be refused, or undefined when it may be applied — said as what actually happened. In order:
 * the approval is closed (withdrawn, handled in Kingdee, resolved by an admin) or closing, or waits for an admin;
 * it takes no decisions (someone who decided is told so; anyone else how far it got: the step moved on and who
 * decided it, the approval ended and how, it is still starting); the card is for an earlier step (which, decided by
 * whom, and where the approval is now); the person sits on no seat (handed it on by 转交, or never had one); every
 * seat of theirs is decided; a rejection says why; a transfer or 加签 names someone else.
 */
export function refusalFor(
  state: ApprovalState,
  decision: DecisionInput,
  context: RefusalContext = {},
): ApprovalRefusal | undefined {
  const closed = state.stage === 'awaiting-approval' && context.closing ? closedBy(context.closing) : closedHow(state);
  if (closed) return closed;
  if (state.stage === 'needs-attention') return { kind: 'needsAttention' };
  const step = currentStep(state);
  const decidedByMe = state.steps.some((s) => s.slots.some((slot) => slot.decision?.by === decision.userId));
  if (state.stage !== 'awaiting-approval' || !step || step.outcome) {
    if (decidedByMe) return { kind: 'alreadyDecided' };
    if (state.stage === 'starting' || (state.stage === 'awaiting-approval' && !step)) return { kind: 'starting' };
    if (state.stage === 'not-applicable') return { kind: 'notApplicable' };
    const last = state.steps[state.steps.length - 1];
    const outcome = last?.outcome ?? (state.stage === 'rejected' ? 'rejected' : 'approved');
    if (step?.outcome === 'approved' && state.stage === 'awaiting-approval' && context.nextStepName) {
      return {
        kind: 'stepMovedOn',
        stepName: step.name,
        outcome: 'approved',
        ...optionalName(deciderOf(step)),
        nextStepName: context.nextStepName,
      };
    }
    return {
      kind: 'finished',
      outcome,
      ...optionalName(last ? deciderOf(last) : undefined),
      writingBack: state.stage !== 'approved' && state.stage !== 'rejected',
    };
  }
  if (decision.stepId !== undefined && decision.stepId !== step.id) {
    const cardStep = state.steps.find((s) => s.id === decision.stepId);
    return {
      kind: 'stepMovedOn',
      ...(cardStep ? { stepName: cardStep.name } : {}),
      ...(cardStep?.outcome ? { outcome: cardStep.outcome } : {}),
      ...optionalName(cardStep ? deciderOf(cardStep) : undefined),
      nextStepName: step.name,
    };
  }
  const mine = step.slots.filter((slot) => sitsOn(slot, decision.userId));
  if (mine.length === 0) {
    const handedOn = step.slots.find((slot) => slot.transferredFrom?.includes(decision.userId));
    if (handedOn) return { kind: 'transferredAway', toName: step.names[handedOn.assignee] ?? handedOn.assignee };
    return decidedByMe ? { kind: 'alreadyDecided' } : { kind: 'notApprover' };
  }
  if (mine.every((slot) => slot.decision)) return { kind: 'alreadyDecided' };
  if (decision.action === 'reject' && !decision.comment?.trim()) return { kind: 'commentRequired' };
  if (decision.action === 'transfer' || decision.action === 'addApprover') {
    if (!decision.targetUserId) return { kind: 'targetRequired' };
    if (decision.targetUserId === decision.userId) return { kind: 'targetIsSelf' };
  }
  return undefined;
}

const optionalName = (name: string | undefined): { byName?: string } => (name ? { byName: name } : {});

/** Who settled a step: its rejecter (系统 for a final action), else its last approver. */
function deciderOf(step: StepState): string | undefined {
  const decided = step.slots.map((slot) => slot.decision).filter((d) => d !== undefined);
  const rejection = decided.find((d) => d.action === 'reject');
  if (rejection) return step.names[rejection.by] ?? rejection.by;
  if (step.outcome === 'rejected') return systemActorName;
  const last = [...decided].sort((a, b) => a.at.localeCompare(b.at)).pop();
  return last ? (step.names[last.by] ?? last.by) : undefined;
}

type ClosedRefusal = Extract<ApprovalRefusal, { kind: 'closed' }>;

/** How a document that left approval in Kingdee closes the approval: withdrawn, deleted or handled there. */
export function closedBy(status: DocumentStatus | 'deleted'): ClosedRefusal {
  if (status === 'deleted') return { kind: 'closed', how: 'deleted' };
  return { kind: 'closed', how: isWithdrawn(status) ? 'withdrawn' : 'handledInKingdee', status };
}

/**
 * How a closed approval was closed, from its log: the last external change (its status, recorded in `details`) or
 * an administrator's resolve. Undefined while the approval is not closed-in-kingdee.
 */
export function closedHow(state: ApprovalState): ClosedRefusal | undefined {
  if (state.stage !== 'closed-in-kingdee') return undefined;
  for (let i = state.log.length - 1; i >= 0; i--) {
    const entry = state.log[i]!;
    if (entry.action === 'adminResolve') return { kind: 'closed', how: 'adminResolved' };
    if (entry.action === 'externalChange') {
      const status = entry.details?.status;
      return status === 'deleted' || isDocumentStatus(status)
        ? closedBy(status)
        : { kind: 'closed', how: 'handledInKingdee' };
    }
  }
  return { kind: 'closed', how: 'handledInKingdee' };
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
 * What a person's card shows once the approval is closed (in Kingdee or by an admin): the closed note, after what
 * the card showed before (their own decision, a transfer, the step's outcome) so nobody loses their decision.
 */
export function closedCardStateFor(
  step: StepState,
  userId: string,
  closed: Omit<Extract<CardState, { status: 'closed' }>, 'earlier'>,
): CardState {
  const before = cardStateFor(step, userId);
  const earlier: DecidedCardState | undefined =
    before.status === 'approved' || before.status === 'rejected' || before.status === 'transferred'
      ? before
      : undefined;
  return earlier ? { ...closed, earlier } : closed;
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
