import { DurationError, HOUR_MS, MINUTE_MS, parseDuration, parseDurationParts } from '../../domain/duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 30 * MINUTE_MS],
    ['4h', 4 * HOUR_MS],
    ['2d', 48 * HOUR_MS],
    ['1h30m', 90 * MINUTE_MS],
    ['1h 30m', 90 * MINUTE_MS],
    ['1.5h', 90 * MINUTE_MS],
    ['2 hours', 2 * HOUR_MS],
    ['45 min', 45 * MINUTE_MS],
    ['4H', 4 * HOUR_MS],
    ['30分钟', 30 * MINUTE_MS],
    ['4小时', 4 * HOUR_MS],
    ['2天', 48 * HOUR_MS],
    ['10秒', 10_000],
    ['0m', 0],
  ])('%s is %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it('lets the caller say how long a day is (one working day for business time)', () => {
    expect(parseDuration('2d', { dayMs: 7.5 * HOUR_MS })).toBe(15 * HOUR_MS);
    expect(parseDuration('2个工作日', { dayMs: 8 * HOUR_MS })).toBe(16 * HOUR_MS);
    expect(parseDurationParts('1d4h')).toEqual({ days: 1, ms: 4 * HOUR_MS });
  });

  it.each(['', '4', 'h', '4x', '4h5', 'four hours', '-1h', '4h, 30m'])(
    'refuses %j and says what a duration looks like',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
      expect(() => parseDuration(text)).toThrow(/e\.g\. /);
    },
  );
});
