/**
 * The working calendar (工作日历, the `Calendar` type) and business-hours arithmetic on it: which instants are working
 * time, and when a given amount of working time has elapsed. Approval timeouts (remind, escalate, final action) are counted this way, so a
 * "4h" reminder set on Friday at 17:00 fires on Monday at 12:00, not on Friday night.
 *
 * Pure and deterministic: time comes in as epoch milliseconds (the workflow clock), nothing reads the system clock,
 * so this runs unchanged inside Temporal's workflow sandbox. The calendar has a fixed UTC offset (China has no DST);
 * days are that offset's local days. A day is working when it is a makeup workday (调休上班), or a listed weekday
 * that is not a holiday. Working periods are half-open: [09:00, 12:00) is working at 09:00 and at 11:59:59.999, not
 * at 12:00.
 *
 * Long spans cost one step per calendar day (whole working days are taken in one step), never per minute.
 */
import { DAY_MS, MINUTE_MS, parseDuration } from './duration';

/** A working period of a day, in minutes after local midnight: [start, end), `end` at most 24:00 (1440). */
export interface WorkingPeriod {
  start: number;
  end: number;
}

/**
 * A working calendar (工作日历), normalised: what the rules file's `calendar:` section becomes once parsed (the rules
 * schema produces exactly this type), and what business-time arithmetic and message times are computed from.
 */
export interface Calendar {
  /** The fixed UTC offset in display form, e.g. "+08:00". */
  utcOffset: string;
  /** The same offset in minutes east of UTC, e.g. 480. */
  offsetMinutes: number;
  /** Every instant is working time (weekdays, hours and holidays are ignored). */
  alwaysOpen: boolean;
  /** Working weekdays, sorted: 0 = Sunday … 6 = Saturday (as Date#getUTCDay). */
  workdays: number[];
  /** Working periods of a working day, sorted and not overlapping. */
  hours: WorkingPeriod[];
  /** Non-working dates (YYYY-MM-DD, sorted, ranges expanded). */
  holidays: string[];
  /** Dates that are working days although their weekday is not (调休上班), YYYY-MM-DD, sorted. */
  makeupWorkdays: string[];
}

/** The calendar fields this module reads; a `Calendar` has them all. */
export type BusinessCalendar = Pick<
  Calendar,
  'offsetMinutes' | 'alwaysOpen' | 'workdays' | 'hours' | 'holidays' | 'makeupWorkdays'
>;

/** How far ahead we look for working time before deciding the calendar has none (100 years). */
const MAX_SCAN_DAYS = 366 * 100;

interface DayLookup {
  holidays: Set<string>;
  makeup: Set<string>;
  workdays: Set<number>;
}

const lookups = new WeakMap<BusinessCalendar, DayLookup>();

function lookupOf(calendar: BusinessCalendar): DayLookup {
  let lookup = lookups.get(calendar);
  if (!lookup) {
    lookup = {
      holidays: new Set(calendar.holidays),
      makeup: new Set(calendar.makeupWorkdays),
      workdays: new Set(calendar.workdays),
    };
    lookups.set(calendar, lookup);
  }
  return lookup;
}

/** YYYY-MM-DD of a local day number (days since 1970-01-01 in the calendar's offset). */
export function localDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isWorkingDay(day: number, calendar: BusinessCalendar): boolean {
  const lookup = lookupOf(calendar);
  const date = localDateOfDay(day);
  if (lookup.makeup.has(date)) return true;
  if (lookup.holidays.has(date)) return false;
  // 1970-01-01 was a Thursday (4).
  return lookup.workdays.has((((day + 4) % 7) + 7) % 7);
}

/** Working time in one working day: the sum of the periods, or 24 h for an always-open calendar. */
export function workingDayMs(calendar: Pick<Calendar, 'alwaysOpen' | 'hours'>): number {
  if (calendar.alwaysOpen) return DAY_MS;
  return calendar.hours.reduce((sum, period) => sum + (period.end - period.start) * MINUTE_MS, 0);
}

/** Converts a business duration from the rules file (`4h`, `2d` = two working days) to business milliseconds. */
export function businessDurationMs(text: string, calendar: Pick<Calendar, 'alwaysOpen' | 'hours'>): number {
  return parseDuration(text, { dayMs: workingDayMs(calendar) });
}

function assertFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number of milliseconds, got ${value}`);
}

function noWorkingTime(fromMs: number): never {
  throw new RangeError(
    `the calendar has no working time within 100 years after ${new Date(fromMs).toISOString()}: check workdays, hours and holidays`,
  );
}

/**
 * Calls `visit(startMs, endMs)` (local ms) for each working period from the local day of `localFrom` onwards, in
 * order, until `visit` returns true. Whole days are offered to `wholeDay` first (when the day starts at or after
 * `localFrom`); returning true from it skips the day's periods.
 */
function scanPeriods(
  localFrom: number,
  calendar: BusinessCalendar,
  visit: (start: number, end: number) => boolean,
  wholeDay?: (dayStart: number) => boolean,
): void {
  const firstDay = Math.floor(localFrom / DAY_MS);
  for (let day = firstDay; day < firstDay + MAX_SCAN_DAYS; day++) {
    if (!isWorkingDay(day, calendar)) continue;
    const dayStart = day * DAY_MS;
    if (wholeDay && dayStart >= localFrom && wholeDay(dayStart)) continue;
    for (const period of calendar.hours) {
      const start = Math.max(dayStart + period.start * MINUTE_MS, localFrom);
      const end = dayStart + period.end * MINUTE_MS;
      if (end > start && visit(start, end)) return;
    }
  }
  noWorkingTime(localFrom);
}

/**
 * The instant at which `durationMs` of working time has elapsed after `startMs`. A duration that ends exactly at the
 * end of a period returns that end (12:00, not 13:30). Zero returns `startMs` itself.
 */
export function addBusinessTime(startMs: number, durationMs: number, calendar: BusinessCalendar): number {
  assertFinite('startMs', startMs);
  assertFinite('durationMs', durationMs);
  if (durationMs < 0) throw new RangeError(`durationMs must not be negative, got ${durationMs}`);
  if (calendar.alwaysOpen || durationMs === 0) return startMs + durationMs;
  const offset = calendar.offsetMinutes * MINUTE_MS;
  const fullDay = workingDayMs(calendar);
  let remaining = durationMs;
  let result: number | undefined;
  scanPeriods(
    startMs + offset,
    calendar,
    (start, end) => {
      if (remaining <= end - start) {
        result = start + remaining;
        return true;
      }
      remaining -= end - start;
      return false;
    },
    // Strictly more than a day left: the day is used up whole. The last day goes through its periods.
    () => {
      if (remaining <= fullDay) return false;
      remaining -= fullDay;
      return true;
    },
  );
  return (result as number) - offset;
}

/**
 * Working time between two instants. Negative when `toMs` is before `fromMs`, so that
 * `businessTimeBetween(a, addBusinessTime(a, d)) === d` and the function is antisymmetric.
 */
export function businessTimeBetween(fromMs: number, toMs: number, calendar: BusinessCalendar): number {
  assertFinite('fromMs', fromMs);
  assertFinite('toMs', toMs);
  if (toMs < fromMs) return -businessTimeBetween(toMs, fromMs, calendar);
  if (calendar.alwaysOpen || toMs === fromMs) return toMs - fromMs;
  const offset = calendar.offsetMinutes * MINUTE_MS;
  const localTo = toMs + offset;
  const fullDay = workingDayMs(calendar);
  let total = 0;
  const firstDay = Math.floor((fromMs + offset) / DAY_MS);
  const lastDay = Math.floor(localTo / DAY_MS);
  const localFrom = fromMs + offset;
  for (let day = firstDay; day <= lastDay; day++) {
    if (!isWorkingDay(day, calendar)) continue;
    const dayStart = day * DAY_MS;
    if (dayStart >= localFrom && dayStart + DAY_MS <= localTo) {
      total += fullDay;
      continue;
    }
    for (const period of calendar.hours) {
      const start = Math.max(dayStart + period.start * MINUTE_MS, localFrom);
      const end = Math.min(dayStart + period.end * MINUTE_MS, localTo);
      if (end > start) total += end - start;
    }
  }
  return total;
}

/** True when `ms` falls inside a working period of a working day. */
export function isBusinessTime(ms: number, calendar: BusinessCalendar): boolean {
  assertFinite('ms', ms);
  if (calendar.alwaysOpen) return true;
  const local = ms + calendar.offsetMinutes * MINUTE_MS;
  const day = Math.floor(local / DAY_MS);
  if (!isWorkingDay(day, calendar)) return false;
  const minuteMs = local - day * DAY_MS;
  return calendar.hours.some((p) => minuteMs >= p.start * MINUTE_MS && minuteMs < p.end * MINUTE_MS);
}

/** `ms` itself when it is working time, else the start of the next working period. */
export function nextBusinessInstant(ms: number, calendar: BusinessCalendar): number {
  assertFinite('ms', ms);
  if (calendar.alwaysOpen) return ms;
  const offset = calendar.offsetMinutes * MINUTE_MS;
  let result: number | undefined;
  scanPeriods(ms + offset, calendar, (start) => {
    result = start;
    return true;
  });
  return (result as number) - offset;
}
