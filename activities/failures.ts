/**
 * How activities fail: Kingdee and DingTalk client errors become ApplicationFailures whose type is the error class
 * (KingdeeNetworkError, DingTalkRateLimitedError …) and whose retryability is the client's classification, so the
 * workflows' retry policies and needs-attention handling see the same names the logs do.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { DingTalkError } from '../integrations/dingtalk';
import { KingdeeError } from '../integrations/kingdee';

/** Rethrows a client error as an ApplicationFailure typed by its class, retryable as classified; others as they are. */
export function asFailure(err: unknown): never {
  if (err instanceof KingdeeError || err instanceof DingTalkError) {
    throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
  }
  throw err;
}

/** Every activity rethrows client errors as ApplicationFailures typed by class, retryable as classified. */
export function classifyErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          return asFailure(err);
        }
      },
    ]),
  ) as T;
}
