/**
 * A 30-day, five-step chain with a reminder every day must stay far below Temporal's history limit (51,200 events).
 * Measured from the recorded histories: what a reminder costs (timeouts scenario: reminders, escalation, final
 * action on one step) and what a decided step costs (two-step approval), extrapolated to 30 reminders over 5 steps.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const events = (
  name: string,
): Array<{ eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }> =>
  JSON.parse(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'histories', `${name}.json`), 'utf8')).events;

it('keeps a 30-day five-step chain with daily reminders far below the history limit', () => {
  const timeouts = events('timeouts-FYBX000123');
  const twoSteps = events('lifecycle-FYBX000123');
  const reminders = timeouts.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyUsers',
  ).length;
  const timers = timeouts.filter((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED').length;
  expect(reminders).toBeGreaterThanOrEqual(3);
  // Each reminder: a timer (started, fired), a workflow task (3), the send (3), and the next workflow task (3).
  const perReminder = Math.ceil(timeouts.length / Math.max(timers, 1)); // generous: every event of the step is charged to its timers
  const perStep = Math.ceil(twoSteps.length / 2);
  const estimate = 5 * perStep + 30 * perReminder;
  console.log(
    `history size: ${twoSteps.length} events for a 2-step approval, ~${perReminder} per reminder → ~${estimate} events for 30 days × 5 steps (limit 51,200)`,
  );
  expect(estimate).toBeLessThan(2_000);
});
