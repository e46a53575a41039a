/**
 * Change detection for one Kingdee form: poll ExecuteBillQuery by FModifyDate every few seconds, start an approval
 * for each document that needs one, and tell running approvals when their document changed.
 *
 * Why a long-running workflow (and not a Schedule): the cursor and the recently-seen set must survive restarts and
 * move forward exactly once per poll. As workflow state they are durable for free, each poll is an activity
 * (retried, visible in the Web UI), a push from Kingdee is just a Signal that makes the next poll happen now, and
 * continue-as-new keeps the history short. A Schedule would need that state stored somewhere else.
 */
import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import { pollNowSignal, type PollerInput, type PollResult } from './contract';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

const { pollForm } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Polls per run before continue-as-new: a poll is a handful of events, so this stays far below history limits. */
const pollsPerRun = 200;

export async function pollerWorkflow(input: PollerInput): Promise<void> {
  let kicked = false;
  setHandler(pollNowSignal, () => {
    kicked = true;
  });
  let { cursor, seen = [], lastStatus = {} } = input;
  for (let poll = 0; poll < pollsPerRun; poll++) {
    kicked = false;
    const result: PollResult = await pollForm({ ...input, cursor, seen, lastStatus });
    ({ cursor, seen, lastStatus } = result);
    await condition(() => kicked, input.intervalMs);
  }
  await continueAsNew<typeof pollerWorkflow>({ ...input, cursor, seen, lastStatus });
}
