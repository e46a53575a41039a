/**
 * What a person's approval card shows, as a plain function of the approval's state — part of the workflows'
 * contract: the workflow refreshes cards with it, and the API (temporal/approvals.ts) reads a settled card from an
 * ended approval's last state with it, without asking a worker. No Temporal, no clock.
 */
import type { CardState, DecidedCardState } from '../domain/texts';
import { systemActorName } from '../domain/texts/approval';
import type { ApprovalSlot, ApprovalState, StepState } from './contract';

/** Whether someone sits on the seat: as its assignee, or as a delegate who may decide on the assignee's behalf. */
export function sitsOn(slot: ApprovalSlot, userId: string): boolean {
  return slot.assignee === userId || slot.delegates.includes(userId);
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

/**
 * What the person's card on the step should show when their click can no longer decide anything (their seat or the
 * step is settled): its settled state, so a card whose callback answer was lost on its way to DingTalk (the click
 * failed for them, the card kept its buttons) is put right by their next click. Undefined while the card is still
 * pending, for a step they never sat on, and for a closed approval (its cards show the close, which this would hide).
 */
export function settledCardState(
  state: ApprovalState,
  stepId: string | undefined,
  userId: string,
): DecidedCardState | undefined {
  if (stepId === undefined || state.stage === 'closed-in-kingdee') return undefined;
  const step = state.steps.find((s) => s.id === stepId);
  const satOnIt =
    step?.approvers.includes(userId) ||
    step?.slots.some((slot) => slot.transferredFrom?.includes(userId) || slot.decision?.by === userId);
  if (!step || !satOnIt) return undefined;
  const card = cardStateFor(step, userId);
  return card.status === 'approved' || card.status === 'rejected' || card.status === 'transferred' ? card : undefined;
}
