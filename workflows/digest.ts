/**
 * The digests (docs/rules.md `digests`), each run started by its Temporal Schedule:
 *
 * - `approverDigestWorkflow`: on working days at the configured time, each person with approvals waiting gets one
 *   work notification listing them — urgent first (reminded, escalated, or waiting longer than urgentAfter), then the
 *   oldest — with links to the bills.
 * - `weeklyReportWorkflow`: the weekly 同步体检 to the ops group: approvals completed, decision time per step (median
 *   and p90), needs-attention, failed and stuck approvals, Kingdee errors the watches met, DingTalk messages — and
 *   what could not be computed.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { approverDigestNotice, weeklyReportNotice } from '../domain/texts/push-notices';
import type { ApproverDigestInput, WeeklyReportInput } from './contract';
import { sendPush } from './push';

type Activities = ReturnType<typeof createActivities>;

const { collectApproverDigests, collectWeeklyReport, refreshPushSchedules } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const WEEK_MS = 7 * 24 * 3_600_000;

export async function approverDigestWorkflow(input: ApproverDigestInput): Promise<void> {
  const now = Date.now();
  const people = await collectApproverDigests({
    nowMs: now,
    calendar: input.calendar,
    ...(input.urgentAfterMs !== undefined ? { urgentAfterMs: input.urgentAfterMs } : {}),
  });
  for (const person of people) {
    if (person.items.length === 0) continue;
    await sendPush(
      { users: [person.userId] },
      approverDigestNotice({
        name: person.name,
        items: person.items,
        at: now,
        tz: input.calendar,
        maxItems: input.maxItems,
      }),
    );
  }
  try {
    await refreshPushSchedules();
  } catch (err) {
    log.warn('could not extend the deadline and digest schedules; the next start-up does', { error: String(err) });
  }
}

export async function weeklyReportWorkflow(input: WeeklyReportInput): Promise<void> {
  const now = Date.now();
  const report = await collectWeeklyReport({ fromMs: now - WEEK_MS, toMs: now });
  await sendPush(input.to, weeklyReportNotice(report, input.calendar));
}
