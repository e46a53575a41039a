/**
 * How activities fail: Kingdee and DingTalk client errors become ApplicationFailures whose type is the error class
 * (KingdeeNetworkError, DingTalkRateLimitedError …) and whose retryability is the client's classification, so the
 * workflows' retry policies and needs-attention handling see the same names the logs do.
 *
 * And how they show they are alive: every activity of `createActivities` heartbeats while it runs, when its workflow
 * gave it a heartbeat timeout (`whileHeartbeating`). A task on a worker that was killed then fails after the heartbeat
 * timeout (10–20 s), not after its whole start-to-close timeout (up to 2 minutes), and is retried elsewhere.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DingTalkError } from '../integrations/dingtalk';
import { KingdeeError } from '../integrations/kingdee';

/** Rethrows a client error as an ApplicationFailure typed by its class, retryable as classified; others as they are. */
export function asFailure(err: unknown): never {
  if (err instanceof KingdeeError || err instanceof DingTalkError) {
    throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
  }
  throw err;
}

/** The running activity's context, if this runs inside one (tests and scripts call activities directly too). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work`, heartbeating (with `details`) every third of the activity's heartbeat timeout until it settles;
 * without a heartbeat timeout, or outside an activity, it just runs `work`. Temporal counts the heartbeat timeout
 * from the activity's start, so an activity shorter than a third of it sends no heartbeat at all: the approvals'
 * many short activities cost no extra call to Temporal.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>, details?: unknown): Promise<T> {
  const context = currentContext();
  const timeoutMs = context?.info.heartbeatTimeoutMs;
  if (!context || !timeoutMs) return work();
  const timer = setInterval(() => context.heartbeat(details), Math.max(200, Math.floor(timeoutMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Every activity rethrows client errors as ApplicationFailures typed by class, retryable as classified, and
 * heartbeats while it runs (when its workflow set a heartbeat timeout).
 */
export function classifyErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await whileHeartbeating(() => fn(...args));
        } catch (err) {
          return asFailure(err);
        }
      },
    ]),
  ) as T;
}
