/**
 * The approval workflow's view of the activities, by retry policy. Proxies only: calling one schedules the activity.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { cardSendsTaskQueue, cardUpdatesTaskQueue, todosTaskQueue, todoUpdatesTaskQueue } from '../contract';
import type { createActivities } from '../../activities';

type Activities = ReturnType<typeof createActivities>;

/** Reads, lookups and idempotent card calls: retried freely. */
const freelyRetried = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
export const io = proxyActivities<Activities>(freelyRetried);
/**
 * Planning and the approvers' and applicant's lookups as local activities: run by the worker inside the workflow task
 * that asks for them, so they cost no workflow task of their own; retried like `io`.
 */
export const inline = proxyLocalActivities<Activities>({
  startToCloseTimeout: freelyRetried.startToCloseTimeout,
  retry: freelyRetried.retry,
});
/** Sends without an idempotency key: the activity itself refuses to retry a send whose outcome is unknown. */
const noticeOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
} as const;
export const notify = proxyActivities<Activities>({ ...noticeOptions, heartbeatTimeout: '20 seconds' });
/**
 * The same as local activities: they only hand the notice to its outbox (a signal, idempotent by the notice's id),
 * so they can run inside the workflow task that asks for them.
 */
export const notifyInline = proxyLocalActivities<Activities>(noticeOptions);
/** The write-back: bounded, so a document that stays locked for long ends in needs-attention, never silently. */
export const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});

/**
 * The cards and the 待办, retried freely like `io`, on their own task queues (workflows/contract.ts): a send may wait
 * there for DingTalk's rate, so it has no schedule-to-start limit. An activity already scheduled on the
 * approvals' queue by an earlier version stays there (the worker still has it), and replay compares only an
 * activity's id and type, never its queue.
 */
export function cardSends() {
  return proxyActivities<Activities>({ ...freelyRetried, taskQueue: cardSendsTaskQueue(workflowInfo().taskQueue) });
}
export function cardUpdates() {
  return proxyActivities<Activities>({ ...freelyRetried, taskQueue: cardUpdatesTaskQueue(workflowInfo().taskQueue) });
}
export function todoCreates() {
  return proxyActivities<Activities>({ ...freelyRetried, taskQueue: todosTaskQueue(workflowInfo().taskQueue) });
}
export function todoUpdates() {
  return proxyActivities<Activities>({ ...freelyRetried, taskQueue: todoUpdatesTaskQueue(workflowInfo().taskQueue) });
}
