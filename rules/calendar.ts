/**
 * The rules file's `calendar:` section (工作日历): weekdays, working hours, holidays and makeup workdays as admins write
 * them (周一, "09:00-12:00", 2026-10-01~2026-10-07, "+08:00"), normalised into the domain's `Calendar` that
 * business-time arithmetic runs on (domain/business-hours.ts). The schema's output type is checked to be exactly
 * `Calendar`, so the two cannot drift apart. With `publicHolidays: CN` China's official public holidays and makeup
 * workdays come from the `chinese-days` package, and the file's own holidays and makeup workdays override and add to
 * them (domain/holidays.ts mergeOfficialDays).
 */
import { z } from 'zod';
import officialDaysData from 'chinese-days/dist/chinese-days.json';
import { version as officialDaysVersion } from 'chinese-days/package.json';
import type { Calendar } from '../domain/business-hours';
import { DAY_MS } from '../domain/duration';
import { mergeOfficialDays, officialYears, type OfficialDays } from '../domain/holidays';
import { strict } from './fields';

export type { Calendar } from '../domain/business-hours';

const weekdayAliases: Record<string, number> = {};
(
  [
    [0, ['sun', 'sunday', '周日', '周天', '星期日', '星期天', '日']],
    [1, ['mon', 'monday', '周一', '星期一', '一']],
    [2, ['tue', 'tuesday', '周二', '星期二', '二']],
    [3, ['wed', 'wednesday', '周三', '星期三', '三']],
    [4, ['thu', 'thursday', '周四', '星期四', '四']],
    [5, ['fri', 'friday', '周五', '星期五', '五']],
    [6, ['sat', 'saturday', '周六', '星期六', '六']],
  ] as const
).forEach(([day, names]) => names.forEach((name) => (weekdayAliases[name] = day)));

export const weekdayLabels = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'] as const;

export const weekdaySchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  // ISO numbering: 1 = Monday … 7 = Sunday. Internally 0 = Sunday, like Date#getUTCDay.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 7) return value % 7;
  const day = typeof value === 'string' ? weekdayAliases[value.trim().toLowerCase()] : undefined;
  if (day !== undefined) return day;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `"${String(value)}" is not a weekday: write mon … sun, 周一 … 周日, or 1 (Monday) … 7 (Sunday)`,
  });
  return z.NEVER;
});

const periodPattern = /^(\d{1,2})[:：](\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2})[:：](\d{2})$/;

/** A working period of a day, in minutes after local midnight; `end` is exclusive and may be 24:00. */
const periodSchema = z.string().transform((value, ctx) => {
  const match = periodPattern.exec(value.trim());
  const minutes = (h?: string, m?: string) => Number(h) * 60 + Number(m);
  const start = match ? minutes(match[1], match[2]) : NaN;
  const end = match ? minutes(match[3], match[4]) : NaN;
  const valid = match && Number(match[2]) < 60 && Number(match[4]) < 60 && start < end && end <= 24 * 60;
  if (!valid) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a working period: write start-end in 24-hour time, e.g. "09:00-12:00" (start before end, within one day)`,
    });
    return z.NEVER;
  }
  return { start, end };
});

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumberOf(date: string): number | undefined {
  const match = isoDatePattern.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

const isoDateOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** YAML 1.1 files (`%YAML 1.1`) turn unquoted dates into Date objects; accept them as the date they name. */
const dateText = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z.string({ error: 'write a date as YYYY-MM-DD, e.g. 2026-10-01' }),
);

/** One date, or an inclusive range `2026-10-01~2026-10-07` (also `..`, `至`, `到`), expanded to dates. */
const dateOrRangeSchema = dateText.transform((value, ctx) => {
  const parts = value.split(/\s*(?:~|～|\.\.|至|到)\s*/).map((part) => part.trim());
  const days = parts.map(dayNumberOf);
  const [first, last = first] = days;
  if (parts.length > 2 || first === undefined || last === undefined || days.includes(undefined)) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a date: write YYYY-MM-DD (e.g. 2026-10-01) or a range 2026-10-01~2026-10-07`,
    });
    return z.NEVER;
  }
  if (last < first || last - first > 366) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}": a range goes from the earlier to the later date and spans at most a year`,
    });
    return z.NEVER;
  }
  return Array.from({ length: last - first + 1 }, (_, i) => isoDateOfDay(first + i));
});

export const singleDateSchema = dateText.transform((value, ctx) => {
  const day = dayNumberOf(value.trim());
  if (day === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a date: write YYYY-MM-DD, e.g. 2026-09-27`,
    });
    return z.NEVER;
  }
  return isoDateOfDay(day);
});

const offsetPattern = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** A fixed UTC offset: `+08:00`, `UTC+8`, or a number of hours (8, -5, 5.5). China has no DST. */
const utcOffsetSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let minutes: number | undefined;
  if (typeof value === 'number') minutes = Math.round(value * 60);
  else {
    const match = offsetPattern.exec(value.trim());
    if (match && Number(match[3] ?? 0) < 60) {
      minutes = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
    }
  }
  if (minutes === undefined || !Number.isFinite(minutes) || Math.abs(minutes) > 14 * 60) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${String(value)}" is not a UTC offset: write e.g. "+08:00" (China)`,
    });
    return z.NEVER;
  }
  return minutes;
});

const formatOffset = (minutes: number): string => {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
};

// ---------------------------------------------------------------------------------------------------------------
// China's official public holidays (法定节假日) and makeup workdays (调休上班), from the npm package chinese-days

/**
 * The official days come from the `chinese-days` package (github.com/vsme/chinese-days): its data follows the State
 * Council's notice each year (a daily job there opens a pull request when the notice is out, usually in November or
 * December), and a new package version follows. `npm update chinese-days` brings them here; `npm run doctor` warns
 * when the calendar has nothing for the coming year.
 */
export const officialDaysSource = { package: 'chinese-days', version: officialDaysVersion } as const;

/**
 * Official days are taken from this year on: earlier ones are never computed with (approvals, deadlines and digests
 * look forward), and every approval keeps its calendar in its history, so the calendar stays small.
 */
export const officialDaysFromYear = 2026;

let officialDaysCache: OfficialDays | undefined;

/** The package's days, as date → Chinese name (its entries read "National Day,国庆节,3"). */
export function officialDays(): OfficialDays {
  if (!officialDaysCache) {
    const raw = officialDaysData as { holidays: Record<string, string>; workdays: Record<string, string> };
    const chineseName = (entry: string) => entry.split(',')[1] ?? entry;
    const names = (days: Record<string, string>) =>
      Object.fromEntries(Object.entries(days).map(([date, entry]) => [date, chineseName(entry)]));
    officialDaysCache = { holidays: names(raw.holidays), workdays: names(raw.workdays) };
  }
  return officialDaysCache;
}

/** The years the package has public holidays for, e.g. [2004, …, 2026]. */
export const officialDaysYears = (): number[] => officialYears(officialDays());

const publicHolidaysSchema = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
  const text = typeof value === 'string' ? value.trim() : value;
  if (text === false || text === 'none') return 'none' as const;
  if (text === true || (typeof text === 'string' && ['cn', 'china', '中国'].includes(text.toLowerCase()))) {
    return 'CN' as const;
  }
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `"${String(value)}" is not a holiday source: write CN (China's public holidays and makeup workdays) or none`,
  });
  return z.NEVER;
});

const calendarSectionSchema = strict({
  utcOffset: utcOffsetSchema.default(8 * 60),
  /** CN: China's official public holidays and makeup workdays (package chinese-days) under the company's own days. */
  publicHolidays: publicHolidaysSchema.default('none'),
  alwaysOpen: z.boolean().default(false),
  workdays: z.array(weekdaySchema).default([1, 2, 3, 4, 5]),
  hours: z
    .array(periodSchema)
    .superRefine((periods, ctx) => {
      const sorted = [...periods].sort((a, b) => a.start - b.start);
      if (sorted.some((period, i) => i > 0 && period.start < (sorted[i - 1]?.end ?? 0))) {
        ctx.addIssue({
          code: 'custom',
          message: 'working periods overlap: list them without overlaps, e.g. "09:00-12:00", "13:30-18:00"',
        });
      }
    })
    .default([
      { start: 9 * 60, end: 12 * 60 },
      { start: 13 * 60 + 30, end: 18 * 60 },
    ]),
  holidays: z.array(dateOrRangeSchema).default([]),
  makeupWorkdays: z.array(singleDateSchema).default([]),
}).transform((calendar, ctx) => {
  const workdays = [...new Set(calendar.workdays)].sort((a, b) => a - b);
  const hours = [...calendar.hours].sort((a, b) => a.start - b.start);
  const holidays = [...new Set(calendar.holidays.flat())].sort();
  const makeupWorkdays = [...new Set(calendar.makeupWorkdays)].sort();
  const problem = (path: PropertyKey[], message: string) =>
    ctx.issues.push({ code: 'custom', input: calendar, path, message });
  if (!calendar.alwaysOpen) {
    if (workdays.length === 0) {
      problem(['workdays'], 'no working days: list the working weekdays (e.g. [周一, 周二, 周三, 周四, 周五])');
    }
    if (hours.length === 0) problem(['hours'], 'no working hours: list periods such as "09:00-12:00"');
  }
  const holidaySet = new Set(holidays);
  const official = calendar.publicHolidays === 'CN' ? officialDays() : undefined;
  calendar.makeupWorkdays.forEach((date, index) => {
    if (holidaySet.has(date))
      problem(['makeupWorkdays', index], `${date} is listed both as a holiday and as a makeup workday`);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    // A company working day on an official holiday (e.g. a plant that works through 国庆) is an override, not a typo.
    if (workdays.includes(weekday) && !official?.holidays[date]) {
      problem(
        ['makeupWorkdays', index],
        `${date} is a ${weekdayLabels[weekday] ?? ''}, already a working day: makeup workdays (调休上班) are normally weekend days — check the date`,
      );
    }
  });
  return {
    /** Normalised display form, e.g. "+08:00". */
    utcOffset: formatOffset(calendar.utcOffset),
    offsetMinutes: calendar.utcOffset,
    alwaysOpen: calendar.alwaysOpen,
    /** 0 = Sunday … 6 = Saturday. */
    workdays,
    /** Minutes after local midnight, sorted; `end` exclusive. */
    hours,
    /** Sorted YYYY-MM-DD, ranges expanded; with publicHolidays: CN, the official days merged under the company's. */
    ...(official
      ? mergeOfficialDays(official, { holidays, makeupWorkdays }, officialDaysFromYear)
      : { holidays, makeupWorkdays }),
  };
});

/** The calendar section as written in the file (before normalisation). */
export type CalendarInput = z.input<typeof calendarSectionSchema>;

/** The `calendar:` section; parses to the domain's `Calendar`. */
export const calendarSchema: z.ZodType<Calendar, CalendarInput> = calendarSectionSchema;

// Compile-time check that the schema's output and `Calendar` are the same shape (each assignable to the other):
// a field added to one and not the other fails type-checking here.
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _calendarOutputIsCalendar: MutuallyAssignable<z.output<typeof calendarSectionSchema>, Calendar> = true;

/** Parses a calendar section on its own (tests, tools). Throws a ZodError on bad input. */
export const parseCalendar = (input: CalendarInput): Calendar => calendarSchema.parse(input);
