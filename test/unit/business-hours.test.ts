import { parseCalendar } from '../../rules';
import {
  addBusinessTime,
  businessDurationMs,
  businessTimeBetween,
  isBusinessTime,
  nextBusinessInstant,
  workingDayMs,
  type Calendar,
} from '../../domain/business-hours';
import { HOUR_MS, MINUTE_MS } from '../../domain/duration';

/** China time, as people read it: at('2026-11-20 17:00'). */
const at = (local: string): number => {
  const ms = Date.parse(`${local.replace(' ', 'T')}:00+08:00`);
  if (Number.isNaN(ms)) throw new Error(`bad test time ${local}`);
  return ms;
};
/** The reverse, for readable failures. */
const show = (ms: number): string => new Date(ms + 8 * HOUR_MS).toISOString().slice(0, 16).replace('T', ' ');

// Mon–Fri 09:00–12:00 and 13:30–18:00 (7.5 h a day); National Day 2026 off, Saturday 10-10 a makeup workday,
// New Year's Day 2027 off.
const calendar: Calendar = parseCalendar({
  utcOffset: '+08:00',
  workdays: ['周一', '周二', '周三', '周四', '周五'],
  hours: ['09:00-12:00', '13:30-18:00'],
  holidays: ['2026-10-01~2026-10-07', '2027-01-01'],
  makeupWorkdays: ['2026-10-10'],
});

const h = (hours: number) => hours * HOUR_MS;

describe('addBusinessTime', () => {
  it.each([
    ['inside one period', '2026-11-23 10:00', h(1), '2026-11-23 11:00'],
    ['across the lunch break', '2026-11-23 11:00', h(2), '2026-11-23 14:30'],
    ['ending exactly at a period end stays there', '2026-11-23 09:00', h(3), '2026-11-23 12:00'],
    ['ending exactly at the end of the day stays there', '2026-11-23 09:00', h(7.5), '2026-11-23 18:00'],
    ['across a day boundary', '2026-11-23 17:00', h(2), '2026-11-24 10:00'],
    ['across a weekend', '2026-11-20 17:00', h(4), '2026-11-23 12:00'],
    ['from a Saturday', '2026-11-21 10:00', h(1), '2026-11-23 10:00'],
    ['from before opening', '2026-11-23 07:00', 30 * MINUTE_MS, '2026-11-23 09:30'],
    ['from inside the lunch break', '2026-11-23 12:30', h(1), '2026-11-23 14:30'],
    ['from the evening', '2026-11-23 20:00', h(1), '2026-11-24 10:00'],
    ['over a holiday week (国庆)', '2026-09-30 17:00', h(2), '2026-10-08 10:00'],
    ['onto a makeup Saturday (调休)', '2026-10-09 17:00', h(2), '2026-10-10 10:00'],
    ['across a month boundary', '2026-10-30 17:30', h(1), '2026-11-02 09:30'],
    ['across a year boundary and a holiday', '2026-12-31 17:00', h(2), '2027-01-04 10:00'],
    ['zero returns the start, even outside hours', '2026-11-21 03:00', 0, '2026-11-21 03:00'],
  ])('%s', (_name, start, duration, expected) => {
    expect(show(addBusinessTime(at(start), duration, calendar))).toBe(expected);
  });

  it('counts whole working days: 30 days of 7.5 h from a Monday morning end six weeks later on Friday evening', () => {
    const start = at('2026-11-02 09:00');
    expect(show(addBusinessTime(start, 30 * h(7.5), calendar))).toBe('2026-12-11 18:00');
  });

  it('handles spans of years without stepping per minute', () => {
    const started = performance.now();
    const start = at('2026-01-05 09:00');
    const tenYears = 10 * 250 * h(7.5);
    const end = addBusinessTime(start, tenYears, calendar);
    expect(businessTimeBetween(start, end, calendar)).toBe(tenYears);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('keeps milliseconds exact', () => {
    expect(addBusinessTime(at('2026-11-23 11:59') + 59_999, 2, calendar)).toBe(at('2026-11-23 13:30') + 1);
  });

  it('refuses negative and non-finite durations', () => {
    expect(() => addBusinessTime(at('2026-11-23 10:00'), -1, calendar)).toThrow(RangeError);
    expect(() => addBusinessTime(Number.NaN, 1, calendar)).toThrow(/startMs/);
  });

  it('says so when a calendar has no working time at all', () => {
    const closed: Calendar = { ...calendar, workdays: [], makeupWorkdays: [] };
    expect(() => addBusinessTime(at('2026-11-23 10:00'), h(1), closed)).toThrow(/no working time/);
  });

  it('uses the calendar offset: 09:00 in New York is 14:00 UTC', () => {
    const newYork = parseCalendar({ utcOffset: '-05:00', hours: ['09:00-17:00'] });
    const mondayNineNY = Date.parse('2026-11-23T14:00:00Z');
    expect(isBusinessTime(mondayNineNY, newYork)).toBe(true);
    expect(isBusinessTime(mondayNineNY - 1, newYork)).toBe(false);
    // 03:00 UTC on Monday is 22:00 on Sunday in New York: the hour starts counting at Monday 09:00 there.
    expect(addBusinessTime(Date.parse('2026-11-23T03:00:00Z'), h(1), newYork)).toBe(mondayNineNY + h(1));
  });
});

describe('businessTimeBetween', () => {
  it.each([
    ['Friday evening to Monday morning', '2026-11-20 17:00', '2026-11-23 10:00', h(2)],
    ['over lunch', '2026-11-23 11:00', '2026-11-23 14:00', h(1.5)],
    ['within lunch', '2026-11-23 12:10', '2026-11-23 13:20', 0],
    ['a whole week', '2026-11-23 00:00', '2026-11-30 00:00', h(37.5)],
    ['over the National Day holiday', '2026-09-30 17:00', '2026-10-08 10:00', h(2)],
    ['including a makeup Saturday', '2026-10-09 00:00', '2026-10-11 00:00', h(15)],
    ['a weekend only', '2026-11-21 00:00', '2026-11-23 00:00', 0],
  ])('%s', (_name, from, to, expected) => {
    expect(businessTimeBetween(at(from), at(to), calendar)).toBe(expected);
  });

  it('is negative when the end comes first, and zero for the same instant', () => {
    expect(businessTimeBetween(at('2026-11-23 11:00'), at('2026-11-23 10:00'), calendar)).toBe(-h(1));
    expect(businessTimeBetween(at('2026-11-23 11:00'), at('2026-11-23 11:00'), calendar)).toBe(0);
  });

  it('is the inverse of addBusinessTime for many starts and durations', () => {
    // Deterministic pseudo-random samples (a linear congruential generator), so a failure can be reproduced.
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const base = at('2026-09-01 00:00');
    for (let i = 0; i < 300; i++) {
      const start = base + Math.floor(next() * 120) * h(24) + Math.floor(next() * 24 * 60) * MINUTE_MS;
      const duration = Math.floor(next() * 40 * 60) * MINUTE_MS;
      const end = addBusinessTime(start, duration, calendar);
      expect(end).toBeGreaterThanOrEqual(start);
      expect(businessTimeBetween(start, end, calendar)).toBe(duration);
      if (duration > 0) expect(isBusinessTime(end - 1, calendar)).toBe(true);
    }
  });
});

describe('isBusinessTime and nextBusinessInstant', () => {
  it.each([
    ['2026-11-23 09:00', true],
    ['2026-11-23 11:59', true],
    ['2026-11-23 12:00', false],
    ['2026-11-23 13:29', false],
    ['2026-11-23 13:30', true],
    ['2026-11-23 18:00', false],
    ['2026-11-21 10:00', false], // Saturday
    ['2026-10-02 10:00', false], // holiday
    ['2026-10-10 10:00', true], // makeup Saturday
  ])('%s is working time: %s', (time, expected) => {
    expect(isBusinessTime(at(time), calendar)).toBe(expected);
  });

  it.each([
    ['2026-11-23 10:15', '2026-11-23 10:15'],
    ['2026-11-23 12:00', '2026-11-23 13:30'],
    ['2026-11-20 18:00', '2026-11-23 09:00'],
    ['2026-09-30 18:30', '2026-10-08 09:00'],
    ['2026-10-09 19:00', '2026-10-10 09:00'],
  ])('next working instant after %s is %s', (time, expected) => {
    expect(show(nextBusinessInstant(at(time), calendar))).toBe(expected);
  });
});

describe('always-open calendars and working-day durations', () => {
  const open = parseCalendar({ alwaysOpen: true });

  it('is plain arithmetic, so tests can use second-long timeouts on a Sunday night', () => {
    const sundayNight = at('2026-11-22 03:00');
    expect(addBusinessTime(sundayNight, 5_000, open)).toBe(sundayNight + 5_000);
    expect(businessTimeBetween(sundayNight, sundayNight + 1_234, open)).toBe(1_234);
    expect(isBusinessTime(sundayNight, open)).toBe(true);
    expect(nextBusinessInstant(sundayNight, open)).toBe(sundayNight);
  });

  it('reads d as one working day of the calendar', () => {
    expect(workingDayMs(calendar)).toBe(h(7.5));
    expect(businessDurationMs('2d', calendar)).toBe(h(15));
    expect(businessDurationMs('1d4h', calendar)).toBe(h(11.5));
    expect(businessDurationMs('2天', open)).toBe(h(48));
  });
});
