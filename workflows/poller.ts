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
import { condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { pollNowSignal, type PollerInput, type PollPage, type PollResult } from './contract';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

const { pollForm } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Polls per run before continue-as-new: a poll is a handful of events, so this stays far below history limits. */
const pollsPerRun = 200;
/** Patch: continue-as-new as soon as Temporal suggests it (a burst's seen set makes every poll's payload large). */
const continueWhenSuggestedPatch = 'poller-continue-when-suggested';

export async function pollerWorkflow(input: PollerInput): Promise<void> {
  let kicked = false;
  setHandler(pollNowSignal, () => {
    kicked = true;
  });
  const { page: carriedPage, ...base } = input;
  let { cursor, seen = [], lastStatus = {} } = base;
  let page: PollPage | undefined = carriedPage;
  for (let poll = 0; poll < pollsPerRun; poll++) {
    kicked = false;
    const result: PollResult = await pollForm({ ...base, cursor, seen, lastStatus, ...(page ? { page } : {}) });
    ({ cursor, seen, lastStatus } = result);
    page = result.next;
    if (page) continue; // a full page: read the rest of the window now
    if (workflowInfo().continueAsNewSuggested && patched(continueWhenSuggestedPatch)) break;
    await condition(() => kicked, input.intervalMs);
  }
  await continueAsNew<typeof pollerWorkflow>({ ...base, cursor, seen, lastStatus, ...(page ? { page } : {}) });
}
