/**
 * One threshold watch (docs/rules.md `watches`): check the Kingdee query every `every`, alert once per crossing.
 *
 * Why a long-running workflow per watch (like the pollers) rather than a Schedule: the crossing memory — which rows
 * were alerted and have not recovered since — must survive restarts and move exactly once per check. As workflow
 * state it is durable for free and carried over continue-as-new; each check is an activity (bounded retries, visible
 * in the Web UI). A check that fails (Kingdee down) leaves the memory as it was: the next check catches up, and a row
 * alerted before the outage is not alerted again. The memory is committed only after the alert was handed to the
 * outbox (notifyGroup / notifyUsers enqueue, idempotent per activity), so a crash between the two re-alerts at
 * worst, never loses an alert. Several rows crossing in one check arrive as one message.
 *
 * The rules file is the source: every start-up signals-with-start the current definition (`watchDefinition`);
 * `checkNow` checks at once; `stopWatch` ends a watch removed from the rules.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { advanceWatch, conditionFields } from '../domain/watch-state';
import { watchAlertNotice, watchOutageNotice } from '../domain/texts/push-notices';
import {
  checkNowSignal,
  stopWatchSignal,
  watchDefinitionSignal,
  watchStatusQuery,
  type WatchCarry,
  type WatchInput,
  type WatchStatus,
} from './contract';
import { sendPush } from './push';

type Activities = ReturnType<typeof createActivities>;

/** A check reads at most maxRows rows; a few attempts, then the check counts as failed and the next one catches up. */
const { checkWatch } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/** Checks per run before continue-as-new: a check is a handful of events. */
const checksPerRun = 100;
/** Failed checks in a row before ops is told (once per outage). */
const outageAfter = 3;
/** Failure times kept for the weekly report. */
const errorTimesKept = 500;

export async function watchWorkflow(input: WatchInput): Promise<void> {
  let definition = input.definition;
  const carry: WatchCarry = input.carry ?? {
    memory: { alerted: {} },
    checks: 0,
    alertsSent: 0,
    errorTimes: [],
    errors: 0,
    consecutiveFailures: 0,
    outageReported: false,
  };
  let kicked = false;
  let changed = false;
  let stopped = false;
  setHandler(watchDefinitionSignal, (next) => {
    if (JSON.stringify(next) === JSON.stringify(definition)) return;
    definition = next;
    changed = true;
  });
  setHandler(checkNowSignal, () => {
    kicked = true;
  });
  setHandler(stopWatchSignal, () => {
    stopped = true;
  });
  setHandler(watchStatusQuery, (): WatchStatus => ({
    id: definition.id,
    name: definition.name,
    alerted: Object.entries(carry.memory.alerted).map(([key, entry]) => ({ key, since: entry.since })),
    checks: carry.checks,
    alertsSent: carry.alertsSent,
    errors: carry.errors,
    errorTimes: carry.errorTimes,
    consecutiveFailures: carry.consecutiveFailures,
    ...(carry.lastError !== undefined ? { lastError: carry.lastError } : {}),
    ...(carry.lastCheckAt !== undefined ? { lastCheckAt: carry.lastCheckAt } : {}),
    ...(carry.lastAlertAt !== undefined ? { lastAlertAt: carry.lastAlertAt } : {}),
    stopped,
  }));

  const failed = (now: number, reason: string) => {
    carry.errors += 1;
    carry.errorTimes = [...carry.errorTimes, now].slice(-errorTimesKept);
    carry.consecutiveFailures += 1;
    carry.failingSince ??= now;
    carry.lastError = reason;
  };

  for (let check = 0; check < checksPerRun && !stopped; check++) {
    kicked = false;
    changed = false;
    const now = Date.now();
    let result;
    try {
      result = await checkWatch({ definition, alertedKeys: Object.keys(carry.memory.alerted) });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      failed(now, err.cause?.message ?? err.message);
      log.warn('threshold watch check failed; the next check catches up', { watch: definition.id, error: String(err) });
    }
    if (result) {
      const step = advanceWatch(carry.memory, result, now);
      let committed = true;
      if (step.newlyCrossed.length > 0) {
        const conditionKeys = conditionFields(definition.condition).map((f) => f.toLowerCase());
        const keyFields = definition.key.map((f) => f.toLowerCase());
        const shown = definition.queryFields.filter(
          (f) => !conditionKeys.includes(f.toLowerCase()) && !keyFields.includes(f.toLowerCase()),
        );
        try {
          await sendPush(
            definition.to,
            watchAlertNotice({
              name: definition.name,
              rows: step.newlyCrossed,
              field: definition.condition.field,
              ...(definition.text ? { template: definition.text } : {}),
              ...(shown.length > 0 ? { shown } : {}),
              at: now,
              tz: { offsetMinutes: definition.offsetMinutes },
            }),
          );
          carry.alertsSent += 1;
          carry.lastAlertAt = now;
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          // Not committed: the rows are still new to the next check, which alerts again.
          committed = false;
          log.error('could not hand a watch alert to the outbox', { watch: definition.id, error: String(err) });
        }
      }
      if (committed) {
        carry.memory = step.memory;
        carry.consecutiveFailures = 0;
        carry.failingSince = undefined;
        carry.outageReported = false;
      }
    } else if (carry.consecutiveFailures >= outageAfter && !carry.outageReported && definition.ops) {
      try {
        await sendPush(
          definition.ops,
          watchOutageNotice({
            name: definition.name,
            failures: carry.consecutiveFailures,
            error: carry.lastError ?? '',
            since: carry.failingSince ?? now,
            tz: { offsetMinutes: definition.offsetMinutes },
          }),
        );
        carry.outageReported = true;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('could not tell ops about a watch outage', { watch: definition.id, error: String(err) });
      }
    }
    carry.checks += 1;
    carry.lastCheckAt = now;
    await condition(() => kicked || changed || stopped, definition.everyMs);
  }
  if (stopped) return;
  await condition(allHandlersFinished);
  await continueAsNew<typeof watchWorkflow>({ definition, carry });
}
