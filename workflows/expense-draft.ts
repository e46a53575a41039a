/**
 * A chat message → a Kingdee draft: one workflow per proposal (`expense-draft:<acct>:<sender>:<message>`), started
 * when the assistant answers with what it understood. It waits for the sender's 确认 or 取消 (a signal) up to the
 * proposal's lifetime; on 确认 it saves and submits the 费用报销单 as the sender's Kingdee employee (the activity
 * never saves twice: activities/drafts.ts), which then enters approval through the poller. 取消 or silence: nothing
 * is written. A repeated 确认 finds the workflow finished and changes nothing.
 */
import { condition, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  expenseDraftDecisionSignal,
  expenseDraftStageQuery,
  type ExpenseDraftInput,
  type ExpenseDraftOutcome,
} from './contract';

type Activities = ReturnType<typeof createActivities>;

const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});

/** Kept for the Web UI: what the draft is (the input is there too). */
export const expenseDraftLinesQuery = defineQuery<ExpenseDraftInput['lines']>('expenseDraftLines');

export async function expenseDraftWorkflow(input: ExpenseDraftInput): Promise<ExpenseDraftOutcome> {
  let decision: 'confirm' | 'cancel' | undefined;
  let stage: 'proposed' | 'saving' | 'done' = 'proposed';
  setHandler(expenseDraftDecisionSignal, (signal) => {
    decision ??= signal.decision; // the first answer counts
  });
  setHandler(expenseDraftStageQuery, () => stage);
  setHandler(expenseDraftLinesQuery, () => input.lines);

  const answered = await condition(() => decision !== undefined, input.expiresInMs);
  if (!answered) {
    stage = 'done';
    return { kind: 'expired' };
  }
  if (decision === 'cancel') {
    stage = 'done';
    return { kind: 'cancelled' };
  }
  stage = 'saving';
  const outcome = await kingdee.saveExpenseDraft(input);
  stage = 'done';
  return outcome;
}
