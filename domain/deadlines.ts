/**
 * Calendar deadlines (申报期限 and the like): recurring due dates such as 增值税申报 on the 15th of each month, moved to
 * the next working day when they fall on a holiday or weekend, and the instants their reminders go out — N working
 * days before the due date and on the day, at a time of day. Also the times of the working-day digests, and how a
 * list of instants becomes the calendar entries of a Temporal Schedule (so the Schedule's next runs in the Web UI are
 * exactly the reminders).
 *
 * Pure and deterministic (workflow sandbox): "now" is passed in; dates are local `YYYY-MM-DD` of the calendar's fixed
 * offset (domain/holidays.ts).
 */
import {
  addDays,
  dateOfDay,
  dayNumber,
  instantOf,
  isWorkingDate,
  localDateOf,
  nextWorkingDate,
  previousWorkingDate,
  workingDaysBefore,
  workingDaysBetween,
  type DayCalendar,
} from './holidays';

/** When a deadline recurs. A monthly day past the month's end (31 in April) is the month's last day. */
export type Recurrence =
  | { kind: 'monthly'; day: number }
  | { kind: 'yearly'; month: number; day: number }
  | { kind: 'dates'; dates: string[] };

/** What happens to a due date on a day off: 顺延 to the next working day (the tax office's rule), 提前, or nothing. */
export type DeadlineShift = 'nextWorkingDay' | 'previousWorkingDay' | 'none';

export interface DeadlineSpec {
  recurrence: Recurrence;
  shift: DeadlineShift;
  /** Working days before the due date a reminder goes out; 0 = on the due date. */
  remind: number[];
  /** The local time of day of the reminders, in minutes after midnight (9:00 = 540). */
  atMinute: number;
}

export type DeadlineCalendar = DayCalendar & { offsetMinutes: number };

/** One due date: as the rule says it (nominal) and after moving it off a day off (due). */
export interface DeadlineOccurrence {
  nominal: string;
  due: string;
  /** The due date was moved (the nominal date is a holiday or weekend). */
  moved: boolean;
}

export interface DeadlineReminder extends DeadlineOccurrence {
  /** Epoch ms the reminder goes out. */
  at: number;
  /** Its local date. */
  date: string;
  /** Working days before the due date (0: on the day). */
  daysBefore: number;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const pad = (n: number) => String(n).padStart(2, '0');
const dateOf = (year: number, month: number, day: number) =>
  `${year}-${pad(month)}-${pad(Math.min(day, daysInMonth(year, month)))}`;

/** Nominal dates of a recurrence within [from, to] (inclusive), ascending. */
export function nominalDates(recurrence: Recurrence, from: string, to: string): string[] {
  if (to < from) return [];
  if (recurrence.kind === 'dates') return [...new Set(recurrence.dates)].filter((d) => d >= from && d <= to).sort();
  const dates: string[] = [];
  const [fromYear, fromMonth] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const toYear = Number(to.slice(0, 4));
  for (let year = fromYear; year <= toYear; year++) {
    const months = recurrence.kind === 'monthly' ? Array.from({ length: 12 }, (_, i) => i + 1) : [recurrence.month];
    for (const month of months) {
      if (year === fromYear && month < fromMonth - 1) continue;
      const date = dateOf(year, month, recurrence.day);
      if (date >= from && date <= to) dates.push(date);
    }
  }
  return dates;
}

/** The due date of a nominal date under the shift rule. */
export function dueDateOf(nominal: string, shift: DeadlineShift, calendar: DayCalendar): string {
  if (shift === 'nextWorkingDay') return nextWorkingDate(nominal, calendar);
  if (shift === 'previousWorkingDay') return previousWorkingDate(nominal, calendar);
  return nominal;
}

/**
 * The reminder day `n` working days before `due`. With shift: none a due date may be a day off; "on the day" is
 * then that day itself, and "n before" counts working days before it.
 */
function reminderDate(due: string, n: number, calendar: DayCalendar): string {
  return n === 0 ? due : workingDaysBefore(due, n, calendar);
}

/** Looking back this far finds a nominal date whose moved due date (or reminders) still lie ahead. */
const LOOKBACK_DAYS = 45;
/** When nothing falls within the horizon, look this far for the next occurrence (yearly rules, far dates). */
const MAX_LOOKAHEAD_DAYS = 366 * 10;

/**
 * Every reminder after `nowMs` whose nominal date lies within `horizonDays` of today — at least the reminders of the
 * next occurrence that still has one, however far. Ascending by time, one per instant.
 */
export function deadlineReminders(
  spec: DeadlineSpec,
  calendar: DeadlineCalendar,
  nowMs: number,
  horizonDays = 400,
): DeadlineReminder[] {
  const today = localDateOf(nowMs, calendar.offsetMinutes);
  const collect = (to: string): DeadlineReminder[] => {
    const reminders = new Map<number, DeadlineReminder>();
    for (const nominal of nominalDates(spec.recurrence, addDays(today, -LOOKBACK_DAYS), to)) {
      const due = dueDateOf(nominal, spec.shift, calendar);
      for (const daysBefore of spec.remind) {
        const date = reminderDate(due, daysBefore, calendar);
        const at = instantOf(date, spec.atMinute, calendar.offsetMinutes);
        if (at <= nowMs) continue;
        const earlier = reminders.get(at);
        // Two reminders on one day (a due date moved onto a reminder day): the one nearer the due date says more.
        if (!earlier || daysBefore < earlier.daysBefore) {
          reminders.set(at, { nominal, due, moved: due !== nominal, at, date, daysBefore });
        }
      }
    }
    return [...reminders.values()].sort((a, b) => a.at - b.at);
  };
  const within = collect(addDays(today, horizonDays));
  if (within.length > 0) return within;
  const far = collect(addDays(today, MAX_LOOKAHEAD_DAYS));
  const first = far[0];
  return first ? far.filter((r) => r.nominal === first.nominal) : [];
}

/** Where a deadline stands on the local date of `atMs`: the next due date not yet past, and working days left. */
export function deadlineStatusAt(
  spec: Pick<DeadlineSpec, 'recurrence' | 'shift'>,
  calendar: DeadlineCalendar,
  atMs: number,
): (DeadlineOccurrence & { today: string; workingDaysLeft: number }) | undefined {
  const today = localDateOf(atMs, calendar.offsetMinutes);
  const nominals = nominalDates(spec.recurrence, addDays(today, -LOOKBACK_DAYS), addDays(today, MAX_LOOKAHEAD_DAYS));
  for (const nominal of nominals) {
    const due = dueDateOf(nominal, spec.shift, calendar);
    if (due < today) continue;
    return { nominal, due, moved: due !== nominal, today, workingDaysLeft: workingDaysBetween(today, due, calendar) };
  }
  return undefined;
}

/** The instants of `atMinute` on each working day from today for `days` days that are after `nowMs`. */
export function workingDayTimes(calendar: DeadlineCalendar, nowMs: number, atMinute: number, days: number): number[] {
  const today = dayNumber(localDateOf(nowMs, calendar.offsetMinutes));
  const times: number[] = [];
  for (let day = today; day <= today + days; day++) {
    const date = dateOfDay(day);
    if (!isWorkingDate(date, calendar)) continue;
    const at = instantOf(date, atMinute, calendar.offsetMinutes);
    if (at > nowMs) times.push(at);
  }
  return times;
}

// ---------------------------------------------------------------------------------------------------------------
// Temporal Schedule calendar entries (UTC)

/** A Schedule calendar entry in UTC: on these days of this month and year, at hour:minute. */
export interface ScheduleEntry {
  year: number;
  /** 1 = January. */
  month: number;
  dayOfMonth: number[];
  hour: number;
  minute: number;
}

/**
 * Exact instants (whole minutes) as Schedule calendar entries in UTC, grouped by year, month and time of day so the
 * Web UI shows a handful of readable entries ("2026-12 on 10, 14, 15 at 01:00 UTC") rather than one per instant.
 */
export function scheduleEntriesFor(instants: readonly number[]): ScheduleEntry[] {
  const groups = new Map<string, ScheduleEntry>();
  for (const at of [...new Set(instants)].sort((a, b) => a - b)) {
    const d = new Date(at);
    const entry = {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
    };
    const key = `${entry.year}-${entry.month}-${entry.hour}-${entry.minute}`;
    const group = groups.get(key) ?? { ...entry, dayOfMonth: [] };
    group.dayOfMonth.push(d.getUTCDate());
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** A weekly local weekday and time (0 = Sunday) as the UTC weekday, hour and minute a Schedule needs. */
export function weeklyUtc(
  weekday: number,
  atMinute: number,
  offsetMinutes: number,
): { dayOfWeek: number; hour: number; minute: number } {
  const week = 7 * 24 * 60;
  const utcMinute = (((weekday * 24 * 60 + atMinute - offsetMinutes) % week) + week) % week;
  return {
    dayOfWeek: Math.floor(utcMinute / (24 * 60)),
    hour: Math.floor((utcMinute % (24 * 60)) / 60),
    minute: utcMinute % 60,
  };
}
