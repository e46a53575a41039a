/**
 * The calendar without typing holidays by hand: China's official public holidays and makeup workdays come from the
 * chinese-days package (publicHolidays: CN), the rules file's own days override and add to them, and the day-level
 * working-day arithmetic that deadlines and digests count in.
 */
import { parseRules, RulesError, type Rules } from '../../rules';
import { officialDays, officialDaysFromYear, officialDaysSource, officialDaysYears } from '../../rules/calendar';
import {
  calendarYearCoverage,
  isWorkingDate,
  mergeOfficialDays,
  nextWorkingDate,
  previousWorkingDate,
  workingDaysBefore,
  workingDaysBetween,
} from '../../domain/holidays';

const rulesWith = (calendar: string): Rules =>
  parseRules(
    `
calendar: ${calendar}
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: finance, name: 财务经理审批, approvers: [wangwu] }
`,
    'rules.yaml',
  );

function problemsOf(calendar: string): Array<{ path: string; message: string }> {
  try {
    rulesWith(calendar);
  } catch (error) {
    if (error instanceof RulesError) return error.problems.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('expected the rules to be refused');
}

describe('the official holiday package', () => {
  it('is chinese-days, with data up to at least 2026, names in Chinese', () => {
    expect(officialDaysSource.package).toBe('chinese-days');
    expect(officialDaysSource.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(officialDaysYears()).toContain(2026);
    expect(officialDays().holidays['2026-10-01']).toBe('国庆节');
    expect(officialDays().workdays['2026-10-10']).toBe('国庆节');
  });
});

describe('calendar.publicHolidays: CN', () => {
  it('brings in the official holidays and makeup workdays without listing them', () => {
    const { calendar } = rulesWith('{ publicHolidays: CN }');
    expect(calendar.holidays).toEqual(expect.arrayContaining(['2026-01-01', '2026-02-17', '2026-10-01', '2026-10-07']));
    expect(calendar.makeupWorkdays).toEqual(expect.arrayContaining(['2026-02-14', '2026-09-20', '2026-10-10']));
    // Only from officialDaysFromYear on: the calendar stays small (every approval keeps it in its history).
    expect(calendar.holidays.every((d) => Number(d.slice(0, 4)) >= officialDaysFromYear)).toBe(true);
    expect(isWorkingDate('2026-10-05', calendar)).toBe(false); // 国庆节, a Monday
    expect(isWorkingDate('2026-10-10', calendar)).toBe(true); // 调休上班, a Saturday
  });

  it('lets the rules file win: a company working day on an official holiday, a company day off on a makeup day', () => {
    const { calendar } = rulesWith(
      '{ publicHolidays: CN, makeupWorkdays: [2026-10-05], holidays: [2026-10-10, 2026-12-31] }',
    );
    expect(isWorkingDate('2026-10-05', calendar)).toBe(true); // official holiday (a Monday), the company works
    expect(isWorkingDate('2026-10-10', calendar)).toBe(false); // official makeup day, the company rests
    expect(isWorkingDate('2026-12-31', calendar)).toBe(false); // a company day off added
    expect(calendar.holidays).not.toContain('2026-10-05');
    expect(calendar.makeupWorkdays).not.toContain('2026-10-10');
  });

  it('is off unless asked for: a weekday makeup day is still reported as a likely typo', () => {
    const { calendar } = rulesWith('{ holidays: [2026-10-01] }');
    expect(calendar.holidays).toEqual(['2026-10-01']);
    expect(problemsOf('{ makeupWorkdays: [2026-10-08] }')).toEqual([
      { path: 'calendar.makeupWorkdays[0]', message: expect.stringContaining('already a working day') },
    ]);
  });

  it('refuses an unknown source, by path', () => {
    expect(problemsOf('{ publicHolidays: JP }')).toEqual([
      { path: 'calendar.publicHolidays', message: expect.stringContaining('write CN') },
    ]);
  });

  it('tells the doctor what a year holds: nothing for a year the package has not published', () => {
    const { calendar } = rulesWith('{ publicHolidays: CN }');
    expect(calendarYearCoverage(calendar, 2026).holidays).toBeGreaterThan(20);
    expect(calendarYearCoverage(calendar, 2099)).toEqual({ holidays: 0, makeupWorkdays: 0 });
  });
});

describe('mergeOfficialDays', () => {
  const official = {
    holidays: { '2025-10-01': '国庆节', '2026-10-01': '国庆节', '2026-10-02': '国庆节' },
    workdays: { '2026-09-27': '国庆节' },
  };
  it('takes official days from the given year, company days over them, sorted and unique', () => {
    expect(
      mergeOfficialDays(official, { holidays: ['2026-12-31', '2026-10-01'], makeupWorkdays: ['2026-10-02'] }, 2026),
    ).toEqual({ holidays: ['2026-10-01', '2026-12-31'], makeupWorkdays: ['2026-09-27', '2026-10-02'] });
    expect(mergeOfficialDays(official, { holidays: ['2026-09-27'], makeupWorkdays: [] }, 2026)).toEqual({
      holidays: ['2026-09-27', '2026-10-01', '2026-10-02'],
      makeupWorkdays: [],
    });
  });
});

describe('working days by date', () => {
  const { calendar } = rulesWith('{ publicHolidays: CN }');

  it('moves off days off forwards and backwards', () => {
    expect(nextWorkingDate('2026-10-01', calendar)).toBe('2026-10-08');
    expect(previousWorkingDate('2026-10-01', calendar)).toBe('2026-09-30');
    expect(nextWorkingDate('2026-10-09', calendar)).toBe('2026-10-09');
  });

  it('counts working days before a date, makeup workdays included', () => {
    // 2026-02-24 (Tue) after 春节: the day before that works is the makeup Saturday 2026-02-14.
    expect(workingDaysBefore('2026-02-24', 1, calendar)).toBe('2026-02-14');
    expect(workingDaysBefore('2026-02-24', 3, calendar)).toBe('2026-02-12');
    expect(workingDaysBefore('2026-02-24', 0, calendar)).toBe('2026-02-24');
    expect(workingDaysBetween('2026-02-12', '2026-02-24', calendar)).toBe(3);
  });

  it('has only working days when the calendar is always open', () => {
    const open = rulesWith('{ alwaysOpen: true }').calendar;
    expect(isWorkingDate('2026-10-01', open)).toBe(true);
    expect(workingDaysBefore('2026-10-04', 2, open)).toBe('2026-10-02');
  });
});
