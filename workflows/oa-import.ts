/**
 * A finished, agreed DingTalk OA approval → a Kingdee bill: one workflow per instance (`oa:<processInstanceId>`,
 * started idempotently from the bpms_instance_change event, activities/oa.ts). The import activity reads the
 * instance, maps it by the rules and saves (once: it looks for the bill by its marker first), submits and — with
 * `skipApproval` — audits. The result is written back as a comment on the instance and told to the originator.
 *
 * Never failed (docs/failure-policy.md): a mapping or Kingdee problem, or any activity that gives up, ends the
 * workflow as `needsAttention` with the reason — the originator and ops told, the instance commented. Only a
 * cancellation leaves as such.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  oaAttentionNotice,
  oaFailedComment,
  oaFailedNotice,
  oaImportedComment,
  oaImportedNotice,
} from '../domain/texts/oa';
import type { OaImportInput, OaImportOutcome } from './contract';

type Activities = ReturnType<typeof createActivities>;

/** Read, save, submit, audit: bounded, so a Kingdee that stays down ends in needs-attention, not a wait for ever. */
const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});
const io = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Why an activity gave up, as the client classified it (type and message). */
function failureOf(err: unknown): { reason: string; errorType: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure)
    return { reason: cause.message, errorType: cause.type ?? 'ApplicationFailure' };
  if (cause instanceof Error) return { reason: cause.message, errorType: cause.name };
  return { reason: String(cause), errorType: 'Error' };
}

/** Runs a telling step; a failure is logged (the outcome stands), a cancellation goes on. */
async function attempt(what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn(`OA import: ${what} failed`, { ...failureOf(err) });
  }
}

export async function oaImportWorkflow(input: OaImportInput): Promise<OaImportOutcome> {
  let outcome: OaImportOutcome;
  try {
    outcome = await kingdee.importOaInstance(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    outcome = { kind: 'needsAttention', ...failureOf(err) };
  }
  if (outcome.kind === 'skipped') return outcome;

  const { processInstanceId, originatorUserId } = input;
  if (outcome.kind === 'imported') {
    const done = outcome;
    await attempt('the comment', () =>
      io.commentOnOaInstance({ processInstanceId, originatorUserId, text: oaImportedComment(done) }),
    );
    await attempt('the originator notice', () =>
      notify.notifyUsers({
        userIds: [originatorUserId],
        notice: oaImportedNotice({ ...done, processInstanceId }),
      }),
    );
    return outcome;
  }

  const failed = outcome;
  const { formId } = input;
  const originator = await io.describeUser({ userId: originatorUserId }).catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    return null;
  });
  await attempt('the comment', () =>
    io.commentOnOaInstance({
      processInstanceId,
      originatorUserId,
      text: oaFailedComment({ formId, reason: failed.reason }),
    }),
  );
  await attempt('the originator notice', () =>
    notify.notifyUsers({
      userIds: [originatorUserId],
      notice: oaFailedNotice({
        formId,
        reason: failed.reason,
        processInstanceId,
        ...(failed.title ? { title: failed.title } : {}),
      }),
    }),
  );
  await attempt('the ops alert', () =>
    notify.notifyOps({
      notice: oaAttentionNotice({
        formId,
        reason: failed.reason,
        errorType: failed.errorType,
        processInstanceId,
        processCode: input.processCode,
        ...(originator ? { originatorName: originator.name } : {}),
        ...(failed.billNo ? { billNo: failed.billNo } : {}),
      }),
      ...(input.ops ? { ops: input.ops } : {}),
    }),
  );
  return outcome;
}
