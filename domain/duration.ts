/**
 * Durations as finance admins write them in the rules file: `90s`, `30m`, `4h`, `2d`, `1h30m`, `1.5h`, and the
 * Chinese spellings `30分钟`, `4小时`, `2天`, `2个工作日`.
 *
 * Pure and deterministic (runs inside the Temporal workflow sandbox). What a "day" is depends on the caller: for
 * wall-clock settings (poll interval, rate limits) a day is 24 hours; for approval timeouts counted in business time
 * a day is one working day of the calendar (see workingDayMs in business-hours.ts), so `2d` means "two working
 * days", which is what people mean when they say 两个工作日.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

type Unit = 's' | 'm' | 'h' | 'd';

/** Every accepted spelling of each unit, longest first so the pattern prefers `min` over `m`. */
const unitSpellings: Array<[string, Unit]> = [
  ['个工作日', 'd'],
  ['工作日', 'd'],
  ['个小时', 'h'],
  ['seconds', 's'],
  ['second', 's'],
  ['minutes', 'm'],
  ['minute', 'm'],
  ['hours', 'h'],
  ['hour', 'h'],
  ['days', 'd'],
  ['day', 'd'],
  ['secs', 's'],
  ['sec', 's'],
  ['mins', 'm'],
  ['min', 'm'],
  ['hrs', 'h'],
  ['hr', 'h'],
  ['分钟', 'm'],
  ['小时', 'h'],
  ['s', 's'],
  ['m', 'm'],
  ['h', 'h'],
  ['d', 'd'],
  ['秒', 's'],
  ['分', 'm'],
  ['时', 'h'],
  ['天', 'd'],
];
const unitOf = new Map(unitSpellings);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const partPattern = new RegExp(`(\\d+(?:\\.\\d+)?)\\s*(${unitSpellings.map(([s]) => escape(s)).join('|')})`, 'giy');

/** The parts of a duration, keeping days apart from the rest so a caller can decide how long a day is. */
export interface DurationParts {
  days: number;
  /** Everything that is not days, in milliseconds. */
  ms: number;
}

/** Thrown for text that is not a duration; the message says what a valid one looks like. */
export class DurationError extends RangeError {
  override readonly name = 'DurationError';
}

/** Splits `1d4h` into `{ days: 1, ms: 4h }`. Throws DurationError for anything else. */
export function parseDurationParts(text: string): DurationParts {
  const source = text.trim();
  if (source === '') throw new DurationError('empty duration: write a number with a unit, e.g. 30m, 4h or 2d');
  let days = 0;
  let ms = 0;
  partPattern.lastIndex = 0;
  let position = 0;
  while (position < source.length) {
    partPattern.lastIndex = position;
    const match = partPattern.exec(source);
    if (!match) {
      throw new DurationError(
        `"${text}" is not a duration: write a number with a unit (s, m, h, d — e.g. 90s, 30m, 4h, 2d, 1h30m)`,
      );
    }
    const amount = Number(match[1]);
    const unit = unitOf.get((match[2] ?? '').toLowerCase()) ?? unitOf.get(match[2] ?? '');
    if (unit === undefined) throw new DurationError(`"${text}": unknown unit "${match[2] ?? ''}"`);
    if (unit === 'd') days += amount;
    else ms += amount * (unit === 'h' ? HOUR_MS : unit === 'm' ? MINUTE_MS : SECOND_MS);
    position = partPattern.lastIndex;
    while (position < source.length && /\s/.test(source.charAt(position))) position++;
  }
  return { days, ms: Math.round(ms) };
}

/**
 * Parses a duration to milliseconds. `dayMs` is how long one `d` is (24 h unless the caller counts working days).
 */
export function parseDuration(text: string, options: { dayMs?: number } = {}): number {
  const { days, ms } = parseDurationParts(text);
  return Math.round(days * (options.dayMs ?? DAY_MS) + ms);
}

/** True when the text parses as a duration. */
export function isDuration(text: string): boolean {
  try {
    parseDurationParts(text);
    return true;
  } catch {
    return false;
  }
}
