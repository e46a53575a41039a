/**
 * Dates in chat messages, resolved against the day the message was written: absolute (`2026-11-20`, `2026/11/20`,
 * `2026年11月20日`, `11月20日`, `11月20号`, `十一月二十日`, `11/20`, `20号`, and `11.20` at the start of a
 * clause when another number follows) and relative (`今天`, `昨天`, `前天`,
 * `大前天`, `3天前`, `上周五`, `上上周五`, `本周一`, `周一`, `上个月20号`).
 *
 * A date that cannot be pinned to one day is reported with its problem, never guessed: `上周`, `上周末`, `最近`,
 * `11月` (which day?), `11月20日-22日` (a range), `周五` said on a Tuesday (last Friday, or a slip?), `28号` said
 * on the 24th, a day after today (`明天`), or one that does not exist (`2月30日`). A month and day without a year is
 * the most recent past one: `12月28日` said on 2027-01-05 is 2026-12-28; said on 2026-11-24 it is asked about.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): `today` is passed in as `YYYY-MM-DD`; the
 * arithmetic is on calendar days (Date.UTC), never on the system clock or time zone.
 */
import { parseSmallNumber } from './numbers';
import { overlapsAny, type Span } from './text';

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date. */
const dayNumber = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day) / DAY_MS;

/** `YYYY-MM-DD` of a day number. */
export function isoOfDay(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of `YYYY-MM-DD`, or undefined when it is not a real date. */
export function dayOfIso(iso: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isValidDate(year, month, day) ? dayNumber(year, month, day) : undefined;
}

export function isValidDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  return isoOfDay(dayNumber(year, month, day)) === `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** 1 = Monday … 7 = Sunday. */
export const weekdayOf = (days: number): number => ((((days + 3) % 7) + 7) % 7) + 1;

/** Why a date mention is not one day. */
export type DateProblem = 'ambiguous' | 'future' | 'invalid';

export interface DateMention extends Span {
  /** As written in the (normalised) message: `上周五`, `11月20日`. */
  text: string;
  /** `YYYY-MM-DD` when the mention is one past day. */
  date?: string;
  problem?: DateProblem;
  /** The days it may mean, when there are some to offer (`周五` → last Friday). */
  options?: string[];
}

type Resolution = Pick<DateMention, 'date' | 'problem' | 'options'>;

const N = '(\\d{1,2}|[一二三四五六七八九十]{1,3})';
const DAY_SUFFIX = '(?:日|号)';
const RANGE_JOIN = '(?:-|~|至|到|—|–)';
const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7, 七: 7 };
const RELATIVE_DAYS: Array<[string, number]> = [
  ['大前天', -3],
  ['前天', -2],
  ['前日', -2],
  ['前晚', -2],
  ['昨天', -1],
  ['昨日', -1],
  ['昨晚', -1],
  ['昨儿', -1],
  ['昨早', -1],
  ['咋天', -1],
  ['作天', -1],
  ['今天', 0],
  ['今日', 0],
  ['今早', 0],
  ['今晚', 0],
  ['今儿', 0],
  ['明天', 1],
  ['明日', 1],
  ['后天', 2],
];

interface Rule {
  pattern: RegExp;
  resolve: (match: RegExpExecArray, today: number) => Resolution;
}

const num = (text: string | undefined): number => (text === undefined ? NaN : (parseSmallNumber(text) ?? NaN));

/** A past day, or the problem with it. */
function exact(days: number, today: number): Resolution {
  return days > today ? { problem: 'future', options: [isoOfDay(days)] } : { date: isoOfDay(days) };
}

/** Month and day with an optional year: without one, the most recent past such day (across New Year). */
function monthDay(month: number, day: number, today: number, year?: number): Resolution {
  const todayIso = isoOfDay(today);
  const thisYear = Number(todayIso.slice(0, 4));
  if (year !== undefined) {
    return isValidDate(year, month, day) ? exact(dayNumber(year, month, day), today) : { problem: 'invalid' };
  }
  if (!isValidDate(thisYear, month, day) && !isValidDate(thisYear - 1, month, day)) return { problem: 'invalid' };
  const candidate = isValidDate(thisYear, month, day) ? dayNumber(thisYear, month, day) : undefined;
  if (candidate !== undefined && candidate <= today) return { date: isoOfDay(candidate) };
  const previous = isValidDate(thisYear - 1, month, day) ? dayNumber(thisYear - 1, month, day) : undefined;
  if (previous !== undefined && today - previous <= 92) return { date: isoOfDay(previous) };
  const options = [previous, candidate].filter((d): d is number => d !== undefined).map(isoOfDay);
  return { problem: 'ambiguous', options };
}

/** `D号` of the month `monthOffset` months before today's (0 = this month). */
function dayOfMonth(day: number, today: number, monthOffset: number): Resolution {
  const iso = isoOfDay(today);
  let year = Number(iso.slice(0, 4));
  let month = Number(iso.slice(5, 7)) - monthOffset;
  while (month < 1) {
    month += 12;
    year -= 1;
  }
  if (!isValidDate(year, month, day)) return { problem: 'invalid' };
  const days = dayNumber(year, month, day);
  if (days <= today) return { date: isoOfDay(days) };
  if (monthOffset > 0) return exact(days, today);
  // 28号 said on the 24th: last month's 28th, or a slip?
  const previous = dayOfMonth(day, today, 1);
  return { problem: 'ambiguous', options: previous.date ? [previous.date] : [] };
}

/** Monday of the week `weeksBack` weeks before today's (weeks start on Monday). */
const mondayOf = (today: number, weeksBack: number): number => today - (weekdayOf(today) - 1) - 7 * weeksBack;

function weekday(prefix: string | undefined, day: number, today: number): Resolution {
  const back = prefix === '上上' ? 2 : prefix === '上' ? 1 : prefix === '下' || prefix === '下下' ? -1 : 0;
  const days = mondayOf(today, back) + day - 1;
  if (prefix !== undefined) return exact(days, today);
  // A bare weekday: earlier this week is clear; today's weekday or a later one is asked (last week's?).
  if (days < today) return { date: isoOfDay(days) };
  return { problem: 'ambiguous', options: [isoOfDay(days - 7)] };
}

const rules: Rule[] = [
  {
    // 11月20日-22日, 11月20日至11月22日, 11月20-22日: a range, which day?
    pattern: new RegExp(
      `(?:(\\d{4})\\s*年\\s*)?(?<![\\d个几])${N}\\s*月\\s*${N}\\s*${DAY_SUFFIX}?\\s*${RANGE_JOIN}\\s*(?:${N}\\s*月\\s*)?${N}\\s*${DAY_SUFFIX}`,
      'g',
    ),
    resolve: (m, today) => {
      const year = m[1] ? Number(m[1]) : undefined;
      const start = monthDay(num(m[2]), num(m[3]), today, year);
      const endMonth = m[4] ? num(m[4]) : num(m[2]);
      return range(start, start.date ? monthDay(endMonth, num(m[5]), today, Number(start.date.slice(0, 4))) : {});
    },
  },
  {
    // 20号到22号, 20-22号
    pattern: new RegExp(`(?<![\\d月./])${N}\\s*${DAY_SUFFIX}?\\s*${RANGE_JOIN}\\s*${N}\\s*${DAY_SUFFIX}`, 'g'),
    resolve: (m, today) => range(dayOfMonth(num(m[1]), today, 0), dayOfMonth(num(m[2]), today, 0)),
  },
  {
    // 2026-11-12至2026-11-14
    pattern: new RegExp(
      `(?<!\\d)(\\d{4})[-/.](\\d{1,2})[-/.](\\d{1,2})\\s*(?:~|至|到|—|–)\\s*(\\d{4})[-/.](\\d{1,2})[-/.](\\d{1,2})(?!\\d)`,
      'g',
    ),
    resolve: (m, today) =>
      range(
        monthDay(Number(m[2]), Number(m[3]), today, Number(m[1])),
        monthDay(Number(m[5]), Number(m[6]), today, Number(m[4])),
      ),
  },
  {
    pattern: /(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?:\s*[日号])?(?!\d)/g,
    resolve: (m, today) => monthDay(Number(m[2]), Number(m[3]), today, Number(m[1])),
  },
  {
    pattern: new RegExp(`(上上个?月|上个?月|这个?月|本月)\\s*${N}\\s*${DAY_SUFFIX}`, 'g'),
    resolve: (m, today) => dayOfMonth(num(m[2]), today, m[1]!.startsWith('上上') ? 2 : m[1]!.startsWith('上') ? 1 : 0),
  },
  {
    pattern: new RegExp(
      `(?:(今年|去年|前年)\\s*)?(?<![\\d个几])${N}\\s*月份?\\s*${N}(?:\\s*${DAY_SUFFIX})?(?![\\d一二三四五六七八九十])`,
      'g',
    ),
    resolve: (m, today) => {
      const year = Number(isoOfDay(today).slice(0, 4));
      const offset = m[1] === '去年' ? 1 : m[1] === '前年' ? 2 : m[1] === '今年' ? 0 : undefined;
      return monthDay(num(m[2]), num(m[3]), today, offset === undefined ? undefined : year - offset);
    },
  },
  {
    // 11.18 at the start of a clause, when a number follows that can be the amount (else 11.18 is money).
    pattern:
      /(?<=^|[\s，,；;。:：])(1[0-2]|0?[1-9])\.(3[01]|[12]\d|0?[1-9])(?![\d.])(?=\s*(?![万千百十亿元块角毛圆快])[\u4e00-\u9fff])(?=[^]*\d)/g,
    resolve: (m, today) => monthDay(Number(m[1]), Number(m[2]), today),
  },
  {
    pattern: /(?<![\d/.])(\d{1,2})\s*\/\s*(\d{1,2})(?![\d/])/g,
    resolve: (m, today) => monthDay(Number(m[1]), Number(m[2]), today),
  },
  {
    // 11月, 11月份, 上个月, 月底: which day?
    pattern: new RegExp(
      `(?:(?:今年|去年)\\s*)?(?<![\\d个几上这本])${N}\\s*月(?:份|底|初|中)?(?!\\s*(?:\\d|[一二三四五六七八九十]))|(?:上上个?月|上个?月|这个?月|本月)(?:份|底|初|中)?`,
      'g',
    ),
    resolve: () => ({ problem: 'ambiguous' }),
  },
  {
    pattern: new RegExp(`(?<![\\d月./\\-一二三四五六七八九十])${N}\\s*${DAY_SUFFIX}(?![线楼门院游期])`, 'g'),
    resolve: (m, today) => dayOfMonth(num(m[1]), today, 0),
  },
  {
    pattern: /(上上|上|这|本|下下|下)?\s*(?:个)?(?:周|星期|礼拜)\s*([一二三四五六日天七1-7])/g,
    resolve: (m, today) => {
      const day = /\d/.test(m[2]!) ? Number(m[2]) : WEEKDAYS[m[2]!]!;
      const prefix = m[1] === '本' || m[1] === '这' ? '这' : m[1];
      if (prefix === '这') {
        const days = mondayOf(today, 0) + day - 1;
        return exact(days, today);
      }
      return weekday(prefix, day, today);
    },
  },
  {
    // 上周末, 周末: Saturday or Sunday?
    pattern: /(上上|上|这|本|下)?\s*(?:个)?(?:周末|星期六日|礼拜六日)/g,
    resolve: (m, today) => {
      const back = m[1] === '上上' ? 2 : m[1] === '上' || m[1] === undefined ? 1 : 0;
      const saturday = mondayOf(today, back) + 5;
      return {
        problem: 'ambiguous',
        options: [isoOfDay(saturday), isoOfDay(saturday + 1)].filter((d) => d <= isoOfDay(today)),
      };
    },
  },
  {
    // 上周, 这周: which day?
    pattern: /(上上|上|这|本|下)\s*(?:个)?(?:周|星期|礼拜)/g,
    resolve: () => ({ problem: 'ambiguous' }),
  },
  {
    pattern: new RegExp(RELATIVE_DAYS.map(([word]) => word).join('|'), 'g'),
    resolve: (m, today) => exact(today + RELATIVE_DAYS.find(([word]) => word === m[0])![1], today),
  },
  {
    pattern: /(\d{1,2}|[一二两三四五六七八九十]{1,3}|几)\s*天\s*(?:以)?前/g,
    resolve: (m, today) => (m[1] === '几' ? { problem: 'ambiguous' } : exact(today - num(m[1]), today)),
  },
  {
    pattern: /最近|前几天|前些天|前段时间|这几天|近期|那几天/g,
    resolve: () => ({ problem: 'ambiguous' }),
  },
];

/** A range of days (a hotel stay): which day is the expense's? Offers the first and the last. */
function range(start: Resolution, end: Resolution): Resolution {
  const options = [start.date, end.date].filter((d): d is string => d !== undefined);
  return { problem: 'ambiguous', options: [...new Set(options)] };
}

/**
 * Every date mention of the message outside `masked`, each resolved against `today` (`YYYY-MM-DD`), in order of
 * position.
 */
export function findDates(text: string, today: string, masked: readonly Span[] = []): DateMention[] {
  const todayDay = dayOfIso(today);
  if (todayDay === undefined) throw new RangeError(`today must be a date as YYYY-MM-DD, got ${today}`);
  const found: DateMention[] = [];
  for (const rule of rules) {
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(text); m !== null; m = rule.pattern.exec(text)) {
      const raw = m[0];
      const start = m.index + (raw.length - raw.trimStart().length);
      const end = m.index + raw.trimEnd().length;
      const span = { start, end };
      if (end <= start || overlapsAny(span, masked) || overlapsAny(span, found)) continue;
      found.push({ ...span, text: text.slice(start, end), ...rule.resolve(m, todayDay) });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
