/**
 * A finished, agreed DingTalk OA approval → a Kingdee bill: one workflow per instance (`oa:<processInstanceId>`,
 * started idempotently from the bpms_instance_change event, activities/oa.ts). The import activity reads the
 * instance, maps it by the rules and saves (once: it looks for the bill by its marker first), submits and — with
 * `skipApproval` — audits. The result is written back as a comment on the instance and told to the originator.
 *
 * Never failed (docs/failure-policy.md): a mapping or Kingdee problem, or any activity that gives up, parks the
 * workflow in needs-attention with the reason — the originator and ops told, the instance commented — until ops
 * act through the admin API (`POST /admin/oa-imports/oa:<id>/retry` runs the import again, after the cause is
 * fixed; `…/resolve` ends it as handled by hand). A retry that stops again is a new entry: a new ops alert. Only a
 * cancellation leaves as such. The `oaImportStatus` query answers the state, stage and log.

 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  oaAttentionNotice,
  oaFailedComment,
  oaFailedNotice,
  oaImportedComment,
  oaImportedNotice,
  oaResolvedComment,
} from '../domain/texts/oa';
import {
  oaImportAdminUpdate,
  oaImportStatusQuery,
  type OaImportAdminAction,
  type OaImportInput,
  type OaImportOutcome,
  type OaImportResult,
  type OaImportState,
} from './contract';
import { ApprovalStage, KingdeeFormId } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

/** Read, save, submit, audit: bounded, so a Kingdee that stays down ends in needs-attention, not a wait for ever. */
const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});
const io = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
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

const nowIso = (): string => new Date(Date.now()).toISOString();

export async function oaImportWorkflow(input: OaImportInput): Promise<OaImportResult> {
  const { processInstanceId, originatorUserId, formId } = input;
  const state: OaImportState = {
    workflowId: workflowInfo().workflowId,
    processInstanceId,
    processCode: input.processCode,
    formId,
    originatorUserId,
    stage: 'importing',
    log: [],
  };
  let action: OaImportAdminAction | undefined;
  setHandler(oaImportStatusQuery, () => state);
  setHandler(
    oaImportAdminUpdate,
    (given) => {
      action = given;
      state.log.push({
        at: nowIso(),
        what: given.action === 'retry' ? 'adminRetry' : 'adminResolve',
        by: given.by,
        ...(given.comment ? { comment: given.comment } : {}),
      });
      state.stage = given.action === 'retry' ? 'importing' : 'resolved';
      delete state.attention;
      return state;
    },
    {
      validator: (_given: OaImportAdminAction) => {
        if (state.stage !== 'needs-attention')
          throw new Error(
            `钉钉审批 ${processInstanceId} 的导入当前不在「需要处理」状态（${state.stage}），无需重试或处理`,
          );
      },
    },
  );

  let parkedBefore = false;
  for (;;) {
    let outcome: OaImportOutcome;
    try {
      outcome = await kingdee.importOaInstance(input);
    } catch (err) {
      if (isCancellation(err)) throw err;
      outcome = { kind: 'needsAttention', ...failureOf(err) };
    }
    state.outcome = outcome;
    if (outcome.kind === 'skipped') {
      state.stage = 'skipped';
      return outcome;
    }
    if (outcome.kind === 'imported') {
      state.stage = 'imported';
      state.log.push({ at: nowIso(), what: 'imported', billNo: outcome.billNo });
      await tellImported(input, outcome);
      return outcome;
    }

    state.attention = {
      reason: outcome.reason,
      errorType: outcome.errorType,
      since: nowIso(),
      ...(outcome.billNo ? { billNo: outcome.billNo } : {}),
    };
    state.log.push({ at: nowIso(), what: 'needsAttention', reason: outcome.reason, errorType: outcome.errorType });
    await tellParked(input, outcome, !parkedBefore);
    parkedBefore = true;
    // Parked once everyone is told: from here ops may retry or resolve (the Update's validator).
    state.stage = 'needs-attention';
    // Where ops look (the admin list, the doctor, the Web UI): the same stage attribute approvals carry.
    upsertSearchAttributes([
      { key: ApprovalStage, value: 'needs-attention' },
      { key: KingdeeFormId, value: formId },
    ]);

    action = undefined;
    await condition(() => action !== undefined);
    const taken = action as OaImportAdminAction | undefined;
    upsertSearchAttributes([{ key: ApprovalStage, value: taken?.action === 'resolve' ? 'resolved' : 'importing' }]);
    if (taken?.action === 'resolve') {
      state.stage = 'resolved';
      const resolved: OaImportResult = {
        kind: 'resolved',
        by: taken.by,
        reason: outcome.reason,
        ...(taken.comment ? { comment: taken.comment } : {}),
      };
      state.outcome = resolved;
      await attempt('the comment', () =>
        io.commentOnOaInstance({
          processInstanceId,
          originatorUserId,
          text: oaResolvedComment({ formId, by: taken.by, ...(taken.comment ? { comment: taken.comment } : {}) }),
        }),
      );
      return resolved;
    }
  }
}

async function tellImported(input: OaImportInput, done: Extract<OaImportOutcome, { kind: 'imported' }>): Promise<void> {
  const { processInstanceId, originatorUserId } = input;
  await attempt('the comment', () =>
    io.commentOnOaInstance({ processInstanceId, originatorUserId, text: oaImportedComment(done) }),
  );
  await attempt('the originator notice', () =>
    notify.notifyUsers({
      userIds: [originatorUserId],
      notice: oaImportedNotice({ ...done, processInstanceId }),
    }),
  );
}

/** The first time: comment, originator and ops; a retry that stops again: ops only (a new alert). */
async function tellParked(
  input: OaImportInput,
  failed: Extract<OaImportOutcome, { kind: 'needsAttention' }>,
  first: boolean,
): Promise<void> {
  const { processInstanceId, originatorUserId, formId } = input;
  const originator = await io.describeUser({ userId: originatorUserId }).catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    return null;
  });
  if (first) {
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
  }
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
}
