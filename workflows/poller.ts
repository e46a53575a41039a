/**
 * Change detection for one Kingdee form: poll ExecuteBillQuery by FModifyDate every few seconds, start an approval
 * for each document that needs one, and tell running approvals when their document changed.
 *
 * Why a long-running workflow (and not a Schedule): the cursor and the recently-seen set must survive restarts and
 * move forward exactly once per poll. As workflow state they are durable for free, each poll is an activity
 * (retried, visible in the Web UI), a push from Kingdee is just a Signal that makes the next poll happen now, and
 * continue-as-new keeps the history short. A Schedule would need that state stored somewhere else.
 *
 * A burst (month end): each poll reads one page (activities/ingestion.ts); when it comes back full (`next`), the
 * next page is read at once instead of after the interval, so 1,000 new documents are two polls back to back.
 * Histories recorded before paging never see `next` and replay as they ran.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  noticesTaskQueue,
  pollNowSignal,
  type PollerInput,
  type PollerOutage,
  type PollPage,
  type PollResult,
} from './contract';
import type { createActivities } from '../activities';
import type { NoticeActivities } from '../activities/notices';

type Activities = ReturnType<typeof createActivities>;

/** Attempts of one poll before the workflow sees the failure (and counts it towards an outage). */
const pollAttempts = 3;

const { pollForm } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // A page read heartbeats (activities/failures.ts): a poll on a killed worker is retried after 20 s, not 2 minutes.
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: pollAttempts,
  },
});

/** An outage is told to ops once reads have failed for this long … */
export const outageAlertAfterMs = 60_000;
/** … and at least this many polls in a row (each of `pollAttempts` attempts). */
export const outageAlertAfterFailures = 3;

/** Polls per run before continue-as-new: a poll is a handful of events, so this stays far below history limits. */
const pollsPerRun = 200;
/** Patch: continue-as-new as soon as Temporal suggests it (a burst's seen set makes every poll's payload large). */
const continueWhenSuggestedPatch = 'poller-continue-when-suggested';
/**
 * Patch: the interval counts from the poll's start, not its end — Kingdee is polled every `intervalMs`, so under a
 * steady stream of submissions a poll that took 8 s of a 10 s interval (pacing its starts) is followed 2 s later, not
 * 10 s (npm run bench -- --rate 25: nothing started for 10 s after each long poll).
 */
const intervalFromStartPatch = 'poller-interval-from-start';

/** The bill and date of a `seen` version (`${billNo}|${modifyDate}|${status}`, activities/ingestion.ts). */
function versionOf(version: string): { billNo: string; date: string } {
  const [billNo = '', date = ''] = version.split('|');
  return { billNo, date };
}

/** Pushed bills one read asks for by number (the rest wait for the next read, at once); and at most kept. */
const pushedBillsPerRead = 200;
const pushedBillsKept = 2_000;

export async function pollerWorkflow(input: PollerInput): Promise<void> {
  let kicked = false;
  const { page: carriedPage, outage: carriedOutage, pushedBills: carriedPushes, ...base } = input;
  // Bills Kingdee pushed, not read yet: the next read asks for them by number too. Beyond the bound a push only
  // makes the poll happen now (the overlap read finds its bill, as without pushes).
  const pushed = new Set(carriedPushes ?? []);
  setHandler(pollNowSignal, (hint) => {
    kicked = true;
    for (const billNo of hint?.billNos ?? []) if (pushed.size < pushedBillsKept) pushed.add(billNo);
  });
  let { cursor, seen = [], lastStatus = {} } = base;
  let page: PollPage | undefined = carriedPage;
  const outage = outageWatch(input, carriedOutage);
  // Polls a push asks for between the interval's read only from the cursor, carrying only the versions saved at or
  // after it: under a steady stream each one re-read the whole overlap (two minutes of documents, up to 500 rows a
  // page) and carried every version in it in and out (npm run bench -- --rate 15 --ingest push: 285 such polls). The
  // overlap is still read once per interval, so a change saved late with an earlier FModifyDate is found as soon as
  // without pushes — and sooner when pushed: a read asks for the pushed bills by number too, whatever their date.
  // Only the activity's input changes (no new command): no patch needed.
  let lastOverlapReadAt = Number.NEGATIVE_INFINITY;
  /** The window being read (its pages too) starts at this cursor; undefined: it reads the overlap. */
  let readFrom: string | undefined;
  /** The pushed bills the window being read asks for by number (its pages too). */
  let asked: string[] = [];
  for (let poll = 0; poll < pollsPerRun;) {
    kicked = false;
    const startedAt = Date.now();
    if (!page) {
      readFrom = cursor !== undefined && startedAt - lastOverlapReadAt < input.intervalMs ? cursor : undefined;
      asked = [...pushed].slice(0, pushedBillsPerRead);
    }
    const from = readFrom;
    const askedSet = new Set(asked);
    // What this read can meet: versions from the cursor on, and the asked bills' (read again whatever their date).
    const meets = (version: string) => {
      const { billNo, date } = versionOf(version);
      return from === undefined || date >= from || askedSet.has(billNo);
    };
    const held = seen.filter((version) => !meets(version));
    const carried = seen.filter(meets);
    let result: PollResult;
    try {
      result = await pollForm({
        ...base,
        cursor,
        seen: carried,
        lastStatus,
        ...(page ? { page } : {}),
        ...(from === undefined ? {} : { readFromCursor: true as const }),
        ...(asked.length > 0 ? { pushedBills: asked } : {}),
      });
    } catch (err) {
      // Kingdee cannot be read (retries of this poll are over): try again after a growing pause, tell ops once
      // when it lasts. A failed poll does not count towards continue-as-new, so the outage's state stays.
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      await outage.failed(startedAt, err);
      if (workflowInfo().continueAsNewSuggested) break;
      await condition(() => kicked, outage.retryInMs());
      continue;
    }
    poll += 1;
    await outage.succeeded();
    if (from === undefined && !page) lastOverlapReadAt = startedAt;
    // The versions not carried stay until the next overlap read forgets those older than its window.
    ({ cursor, lastStatus } = result);
    seen = [...held, ...result.seen];
    page = result.next;
    if (page) continue; // a full page: read the rest of the window now
    for (const billNo of asked) pushed.delete(billNo);
    if (pushed.size > 0) kicked = true; // more pushed bills than one read asks for: the next read at once
    if (workflowInfo().continueAsNewSuggested && patched(continueWhenSuggestedPatch)) break;
    // From the last overlap read's start: a push's poll in between does not put the next overlap read off.
    const intervalFrom = Number.isFinite(lastOverlapReadAt) ? lastOverlapReadAt : startedAt;
    const waitMs = patched(intervalFromStartPatch)
      ? Math.max(1, input.intervalMs - (Date.now() - intervalFrom)) // a timer still, so the commands stay alike
      : input.intervalMs;
    await condition(() => kicked, waitMs);
  }
  const ongoing = outage.ongoing();
  await continueAsNew<typeof pollerWorkflow>({
    ...base,
    cursor,
    seen,
    lastStatus,
    ...(page ? { page } : {}),
    ...(pushed.size > 0 ? { pushedBills: [...pushed] } : {}),
    ...(ongoing ? { outage: ongoing } : {}),
  });
}

/**
 * One poller's view of a Kingdee outage: when its reads started failing, how many failed, whether ops were told.
 * Deterministic (workflow time, activity results), so exactly one alert per outage and one "recovered" after it.
 * The notices activity decides which poller speaks for Kingdee (activities/notices.ts reportKingdeeOutage).
 */
function outageWatch(input: PollerInput, carried?: PollerOutage) {
  const { reportKingdeeOutage } = proxyActivities<NoticeActivities>({
    taskQueue: noticesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
  });
  let since: number | undefined = carried?.since;
  let failures = carried?.failures ?? 0;
  let told = carried?.told ?? false;
  let lastError = carried?.lastError ?? '';
  let formSpecific = carried?.formSpecific ?? false;
  const report = async (phase: 'down' | 'recovered', at: number): Promise<boolean> => {
    try {
      return await reportKingdeeOutage({
        phase,
        acctId: input.acctId,
        formId: input.formId,
        since: since!,
        now: at,
        failures,
        lastError,
        formSpecific,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('could not tell ops about the Kingdee outage', { phase, error: String(err) });
      return false;
    }
  };
  return {
    async failed(startedAt: number, err: ActivityFailure): Promise<void> {
      since ??= startedAt;
      failures += 1;
      const cause = err.cause;
      lastError =
        cause instanceof ApplicationFailure ? `${cause.type ?? 'Error'}：${cause.message}` : (cause ?? err).message;
      formSpecific = cause instanceof ApplicationFailure && cause.nonRetryable === true;
      log.warn('Kingdee poll failed', { formId: input.formId, failures, since, error: lastError });
      const now = Date.now();
      if (!told && failures >= outageAlertAfterFailures && now - since >= outageAlertAfterMs)
        told = await report('down', now);
    },
    /** 2 s, 4 s … 30 s between failed polls (a push from Kingdee tries at once). */
    retryInMs(): number {
      return Math.min(30_000, 2_000 * 2 ** Math.min(failures - 1, 4));
    },
    /** The outage still going on, for the next run (continue-as-new). */
    ongoing(): PollerOutage | undefined {
      return since === undefined ? undefined : { since, failures, told, lastError, formSpecific };
    },
    async succeeded(): Promise<void> {
      if (since === undefined) return;
      if (told) await report('recovered', Date.now());
      since = undefined;
      failures = 0;
      told = false;
    },
  };
}
