/**
 * Working days by date (工作日): the day-level view of the calendar that deadlines and digests count in ("3 working
 * days before the 15th"), and the merge of China's official public holidays and makeup workdays (法定节假日, 调休上班 —
 * from a maintained package, read by rules/calendar.ts) with the company's own days from the rules file, which win.
 *
 * Pure and deterministic (workflow sandbox): dates are `YYYY-MM-DD` local days of the calendar's fixed offset;
 * instants are epoch ms passed in. A date is working when it is a makeup workday, or a listed weekday that is not a
 * holiday — the same rule as business-hours.ts. An always-open calendar has only working days.
 */
import type { BusinessCalendar } from './business-hours';
import { DAY_MS, MINUTE_MS } from './duration';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date; throws on anything else. */
export function dayNumber(date: string): number {
  const match = datePattern.exec(date);
  if (!match) throw new RangeError(`"${date}" is not a YYYY-MM-DD date`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

/** `YYYY-MM-DD` of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export const addDays = (date: string, days: number): string => dateOfDay(dayNumber(date) + days);

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (date: string): number => new Date(dayNumber(date) * DAY_MS).getUTCDay();

/** The local date (in the calendar's offset) of an instant. */
export const localDateOf = (ms: number, offsetMinutes: number): string =>
  dateOfDay(Math.floor((ms + offsetMinutes * MINUTE_MS) / DAY_MS));

/** The instant of a local date and time of day (minutes after local midnight). */
export const instantOf = (date: string, minuteOfDay: number, offsetMinutes: number): number =>
  dayNumber(date) * DAY_MS + (minuteOfDay - offsetMinutes) * MINUTE_MS;

export type DayCalendar = Pick<BusinessCalendar, 'alwaysOpen' | 'workdays' | 'holidays' | 'makeupWorkdays'>;

const lookups = new WeakMap<DayCalendar, { holidays: Set<string>; makeup: Set<string> }>();

function lookupOf(calendar: DayCalendar) {
  let lookup = lookups.get(calendar);
  if (!lookup) {
    lookup = { holidays: new Set(calendar.holidays), makeup: new Set(calendar.makeupWorkdays) };
    lookups.set(calendar, lookup);
  }
  return lookup;
}

/** Is this local date a working day (调休上班 counts; holidays and non-working weekdays do not)? */
export function isWorkingDate(date: string, calendar: DayCalendar): boolean {
  if (calendar.alwaysOpen) return true;
  const lookup = lookupOf(calendar);
  if (lookup.makeup.has(date)) return true;
  if (lookup.holidays.has(date)) return false;
  return calendar.workdays.includes(weekdayOf(date));
}

/** How far a search for a working day goes before the calendar is declared to have none (about 3 years). */
const MAX_SEARCH_DAYS = 1_100;

function noWorkingDay(from: string): never {
  throw new RangeError(`the calendar has no working day within ${MAX_SEARCH_DAYS} days of ${from}`);
}

/** `date` itself when it is a working day, else the first working day after it (步骤: 顺延). */
export function nextWorkingDate(date: string, calendar: DayCalendar): string {
  for (let i = 0; i < MAX_SEARCH_DAYS; i++) {
    const candidate = addDays(date, i);
    if (isWorkingDate(candidate, calendar)) return candidate;
  }
  return noWorkingDay(date);
}

/** `date` itself when it is a working day, else the last working day before it (提前). */
export function previousWorkingDate(date: string, calendar: DayCalendar): string {
  for (let i = 0; i < MAX_SEARCH_DAYS; i++) {
    const candidate = addDays(date, -i);
    if (isWorkingDate(candidate, calendar)) return candidate;
  }
  return noWorkingDay(date);
}

/** The n-th working day before `date` (n ≥ 1; `date` itself is not counted), or `date` for n = 0. */
export function workingDaysBefore(date: string, n: number, calendar: DayCalendar): string {
  let current = date;
  for (let left = n; left > 0; left--) {
    current = previousWorkingDate(addDays(current, -1), calendar);
  }
  return current;
}

/** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function workingDaysBetween(from: string, to: string, calendar: DayCalendar): number {
  let count = 0;
  for (let day = dayNumber(from) + 1; day <= dayNumber(to); day++) {
    if (isWorkingDate(dateOfDay(day), calendar)) count += 1;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------------------
// Official public holidays merged with the company's own days

/** Official days off and makeup workdays, by date (as the holiday package publishes them). */
export interface OfficialDays {
  /** Date → name, e.g. "2026-10-01" → "国庆节". */
  holidays: Record<string, string>;
  /** Weekend dates that are working days (调休上班), date → the holiday they make up for. */
  workdays: Record<string, string>;
}

/**
 * The calendar's days off and makeup workdays: the official ones from `fromYear` on, then the company's own — which
 * win: a company holiday on an official makeup day is a day off, a company makeup workday on an official holiday is
 * a working day. Sorted, without duplicates.
 */
export function mergeOfficialDays(
  official: OfficialDays,
  company: { holidays: readonly string[]; makeupWorkdays: readonly string[] },
  fromYear: number,
): { holidays: string[]; makeupWorkdays: string[] } {
  const inRange = (date: string) => Number(date.slice(0, 4)) >= fromYear;
  const companyHolidays = new Set(company.holidays);
  const companyMakeup = new Set(company.makeupWorkdays);
  const holidays = new Set(company.holidays);
  for (const date of Object.keys(official.holidays)) {
    if (inRange(date) && !companyMakeup.has(date)) holidays.add(date);
  }
  const makeupWorkdays = new Set(company.makeupWorkdays);
  for (const date of Object.keys(official.workdays)) {
    if (inRange(date) && !companyHolidays.has(date)) makeupWorkdays.add(date);
  }
  return { holidays: [...holidays].sort(), makeupWorkdays: [...makeupWorkdays].sort() };
}

/** The years an official data set covers (those with at least one holiday), ascending. */
export function officialYears(official: OfficialDays): number[] {
  return [...new Set(Object.keys(official.holidays).map((date) => Number(date.slice(0, 4))))].sort((a, b) => a - b);
}

/**
 * What the calendar knows about a year: its holidays and makeup workdays. A year without a single holiday has almost
 * certainly not been filled in (China has seven public holidays a year) — the doctor warns about the coming one.
 */
export function calendarYearCoverage(
  calendar: Pick<DayCalendar, 'holidays' | 'makeupWorkdays'>,
  year: number,
): { holidays: number; makeupWorkdays: number } {
  const prefix = `${year}-`;
  return {
    holidays: calendar.holidays.filter((date) => date.startsWith(prefix)).length,
    makeupWorkdays: calendar.makeupWorkdays.filter((date) => date.startsWith(prefix)).length,
  };
}
