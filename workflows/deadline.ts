/**
 * One reminder of a calendar deadline (docs/rules.md `deadlines`), started by the deadline's Temporal Schedule. The
 * Schedule lists the reminders' exact times (N working days before the due date and on the day, the due date moved
 * off holidays and weekends on the rules' calendar — domain/deadlines.ts), so it survives restarts and its next runs
 * show in the Web UI. This run works out where the deadline stands on the day it was scheduled for, tells the
 * recipients, and extends the Schedules (they list a year ahead).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { deadlineStatusAt } from '../domain/deadlines';
import { deadlineReminderNotice } from '../domain/texts/push-notices';
import type { DeadlineInput } from './contract';
import { sendPush } from './push';

type Activities = ReturnType<typeof createActivities>;

const { refreshPushSchedules } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Set by Temporal on the workflows a Schedule starts: the time the run was scheduled for. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** When this run was meant to happen: the Schedule's time (also after a catch-up), else now (a manual trigger). */
export function scheduledFor(): number {
  const at = workflowInfo().typedSearchAttributes.get(scheduledStartTime);
  return at instanceof Date && Number.isFinite(at.getTime()) ? at.getTime() : Date.now();
}

export async function deadlineWorkflow(input: DeadlineInput): Promise<void> {
  const status = deadlineStatusAt(input.deadline, input.calendar, scheduledFor());
  if (status) {
    await sendPush(
      input.to,
      deadlineReminderNotice({
        name: input.deadline.name,
        due: status.due,
        nominal: status.nominal,
        moved: status.moved,
        workingDaysLeft: status.workingDaysLeft,
        ...(input.deadline.text ? { text: input.deadline.text } : {}),
      }),
    );
  }
  try {
    await refreshPushSchedules();
  } catch (err) {
    log.warn('could not extend the deadline and digest schedules; the next start-up does', { error: String(err) });
  }
}
