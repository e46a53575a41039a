/**
 * The failure policy's pieces (docs/failure-policy.md) as the approval workflow uses them: its phases (what an admin
 * retry runs again), which errors pass through untouched (cancellation, continue-as-new), how any other error becomes
 * a needs-attention entry (reason in Chinese, a type for searching logs, what a person should do), and the one ops
 * alert of each entry, with where to act.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import * as texts from '../../domain/texts';
import * as approvalTexts from '../../domain/texts/approval';
import type { DocumentSummary } from '../../domain/document';
import type { ChainPlan } from '../../rules/plan';
import type { ApprovalState, AttentionContact } from '../contract';
import { notify } from './proxies';

type Outcome = 'approved' | 'rejected';

/** Where the approval is; an admin retry runs the current phase again, resuming where it stopped. */
export type Phase =
  | { name: 'plan' }
  | { name: 'approval'; index: number }
  | { name: 'writeBack'; outcome: Outcome }
  /** notices false: an admin resolved the finish, so the remaining notices are skipped. */
  | { name: 'finish'; outcome: Outcome; notices: boolean }
  /** effects false: an admin resolved a close that could not update its cards or tell the applicant. */
  | { name: 'close'; by: 'kingdee' | 'admin'; effects: boolean }
  | { name: 'notApplicable' };

/** The phase as the state and the log name it. */
export function attentionPhase(phase: Phase): NonNullable<NonNullable<ApprovalState['attention']>['phase']> {
  return phase.name === 'notApplicable' ? 'plan' : phase.name;
}

/** Something a phase cannot get past without a person. Workflow-internal: caught by the workflow, never thrown out. */
export class NeedsAttention extends Error {
  constructor(
    readonly reason: string,
    readonly errorType: string,
    readonly action: string,
  ) {
    super(reason);
  }
}

/** Never caught: cancellation (an operator cancelled the workflow) and continue-as-new. */
export function passesThrough(err: unknown): boolean {
  return isCancellation(err) || err instanceof ContinueAsNew;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * What a caught error means for a person. An activity that failed for good (non-retryable, or its retry policy gave
 * up): what the workflow was doing (`task`) and the failure's own words. Anything else thrown in workflow code is a
 * bug: logged with its stack for developers, and said as one.
 */
export function attentionFor(err: unknown, task: string, phase: Phase): NeedsAttention {
  if (err instanceof NeedsAttention) return err;
  // A local activity's failure reaches the workflow as the activity's own ApplicationFailure, not wrapped in an
  // ActivityFailure (the main flow throws no ApplicationFailure of its own: refusals are the handlers').
  if (err instanceof ActivityFailure || err instanceof ApplicationFailure) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type =
      cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'ActivityFailure');
    const reason = approvalTexts.attentionReason({
      task,
      detail: cause?.message ?? err.message,
      type,
      exhausted:
        err instanceof ActivityFailure &&
        (err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' || err.retryState === 'TIMEOUT'),
    });
    return new NeedsAttention(reason, type, attentionAction(type, task, phase));
  }
  log.error('unexpected error in the approval workflow', {
    task,
    error: describeError(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return new NeedsAttention(
    approvalTexts.workflowBugReason(task, describeError(err)),
    'WorkflowBug',
    approvalTexts.attentionActions.bug,
  );
}

function attentionAction(type: string, task: string, phase: Phase): string {
  const actions = approvalTexts.attentionActions;
  // The write-back phase also refreshes the cards: only the write-back's own failure is one to settle in Kingdee.
  if (phase.name === 'writeBack' && task === approvalTexts.attentionTasks.writeBack(phase.outcome)) {
    return actions.writeBackFailed;
  }
  if (type === 'NoApprovers') return actions.personNotFound;
  if (type === 'DingTalkDeliveryError' || type === 'DingTalkRequestError') return actions.deliveryFailed;
  return actions.other;
}

/**
 * The ops alert of one needs-attention entry: to the rules' ops target, with the admin API endpoints and the
 * Temporal UI page. Returns why it could not be sent, if it could not (the approval waits all the same).
 */
export async function alertOps(input: {
  attention: NeedsAttention;
  workflowId: string;
  document?: DocumentSummary;
  plan?: ChainPlan;
  contact?: AttentionContact;
}): Promise<string | undefined> {
  const { attention, contact, plan } = input;
  const info = workflowInfo();
  const ops = plan?.ops ?? contact?.ops;
  const notice = texts.opsAlert(input.document, {
    workflowId: input.workflowId,
    reason: attention.reason,
    errorType: attention.errorType,
    action: attention.action,
    links: texts.attentionLinks({
      workflowId: input.workflowId,
      namespace: info.namespace,
      runId: info.runId,
      ...(contact?.apiBaseUrl ? { apiBaseUrl: contact.apiBaseUrl } : {}),
      ...(contact?.temporalUiUrl ? { temporalUiUrl: contact.temporalUiUrl } : {}),
    }),
    at: Date.now(),
    ...(plan ? { tz: plan.calendar } : {}),
  });
  try {
    await notify.notifyOps({ notice, ...(ops ? { ops } : {}) });
    return undefined;
  } catch (err) {
    if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
    log.error('could not alert ops of a needs-attention approval', { error: describeError(err) });
    return err.cause?.message ?? err.message;
  }
}
