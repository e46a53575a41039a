/**
 * Ops hear when DingTalk keeps failing the approvers' path. The card and 待办 calls are retried without limit (an
 * outage heals by itself and nothing is lost: docs/failure-policy.md), but not silently: when a call's attempt
 * `afterAttempts` (or a later one) fails with an error retrying can heal, ops get one alert per call and half hour.
 * Its notice id comes from the call and the half hour, so every worker process's alert about the same trouble is one
 * notice in the ops outbox; the process also remembers what it told, so a burst's thousand failing cards cost one
 * hand-over, not a thousand.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger';
import { DingTalkError } from '../integrations/dingtalk';
import type { Rules } from '../rules';
import { dingtalkTroubleAlert, dingtalkTroubleTasks, dingtalkTroubleWindowMs } from '../domain/texts/outage';
import { currentContext } from './failures';
import { enqueueOpsNotice, type OutboxDeps } from './notices';

export type WatchedCall = keyof typeof dingtalkTroubleTasks;

export interface TroubleAlertDeps {
  outbox: OutboxDeps;
  rules: Pick<Rules, 'ops' | 'robots'> & Partial<Pick<Rules, 'calendar'>>;
  logger: Logger;
  /** The failed attempt at which ops are told (a card call's retries: 1 s, 2 s … 1 min apart; 8 ≈ two minutes). */
  afterAttempts: number;
}

export class DingTalkTroubleAlerts {
  /** The window this process last told ops about, per call. */
  private readonly told = new Map<WatchedCall, number>();

  constructor(private readonly deps: TroubleAlertDeps) {}

  /**
   * The watched calls of `activities`, each telling ops when it keeps failing (its failure is rethrown as it was:
   * Temporal retries it).
   */
  watch<T extends Record<WatchedCall, (...args: never[]) => Promise<unknown>>>(activities: T): Pick<T, WatchedCall> {
    const watched = (Object.keys(dingtalkTroubleTasks) as WatchedCall[]).map((call) => [
      call,
      async (...args: never[]) => {
        try {
          return await activities[call](...args);
        } catch (err) {
          await this.failed(call, err);
          throw err;
        }
      },
    ]);
    return Object.fromEntries(watched) as Pick<T, WatchedCall>;
  }

  private async failed(call: WatchedCall, err: unknown): Promise<void> {
    if (!(err instanceof DingTalkError) || !err.retryable) return; // a refusal for good parks the approval instead
    const info = currentContext()?.info;
    if (!info || info.attempt < this.deps.afterAttempts) return;
    const now = Date.now();
    const window = Math.floor(now / dingtalkTroubleWindowMs);
    if (this.told.get(call) === window) return;
    this.told.set(call, window);
    const notice = dingtalkTroubleAlert(
      {
        task: dingtalkTroubleTasks[call],
        attempts: info.attempt,
        lastError: `${err.name}：${err.message}`,
        ...(info.workflowExecution?.workflowId ? { workflowId: info.workflowExecution.workflowId } : {}),
        now,
      },
      { offsetMinutes: this.deps.rules.calendar?.offsetMinutes ?? 480 },
    );
    this.deps.logger.warn({ call, attempt: info.attempt, error: err.message }, 'DingTalk keeps failing: telling ops');
    try {
      const id = `p-d-${createHash('sha256').update(`${call}\n${window}`).digest('hex').slice(0, 24)}`;
      await enqueueOpsNotice(
        this.deps,
        { title: notice.title, text: notice.text, summary: notice.title, origin: call },
        id,
      );
    } catch (alertErr) {
      this.told.delete(call); // the next failing attempt tries again
      this.deps.logger.error({ call, error: String(alertErr) }, 'could not tell ops that DingTalk keeps failing');
    }
  }
}
