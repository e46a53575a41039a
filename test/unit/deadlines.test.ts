/**
 * Calendar deadlines: due dates moved off holidays and weekends, reminders on the right working days, the Schedule
 * entries they become; the working-day times of the morning digest; and the digest's order (urgent, then oldest).
 */
import { parseRules, type Rules } from '../../rules';
import {
  deadlineReminders,
  deadlineStatusAt,
  nominalDates,
  scheduleEntriesFor,
  weeklyUtc,
  workingDayTimes,
  type DeadlineSpec,
} from '../../domain/deadlines';
import { approverDigestNotice, deadlineReminderNotice, type DigestItem } from '../../domain/texts/push-notices';
import { pushSchedules } from '../../activities/watches';

const rules = (extra = ''): Rules =>
  parseRules(
    `
calendar: { publicHolidays: CN, hours: ['09:00-12:00', '13:30-18:00'] }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
ops: { robot: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: finance, name: 财务经理审批, approvers: [wangwu] }
${extra}`,
    'rules.yaml',
  );

const at = (local: string) => Date.parse(`${local}+08:00`);
const vat: DeadlineSpec = {
  recurrence: { kind: 'monthly', day: 15 },
  shift: 'nextWorkingDay',
  remind: [3, 1, 0],
  atMinute: 540,
};

describe('deadline dates', () => {
  const { calendar } = rules();

  it('recurs monthly (a day past the month end is its last day), yearly, or on listed dates', () => {
    expect(nominalDates({ kind: 'monthly', day: 31 }, '2027-01-20', '2027-04-30')).toEqual([
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
    ]);
    expect(nominalDates({ kind: 'yearly', month: 5, day: 31 }, '2026-01-01', '2028-12-31')).toEqual([
      '2026-05-31',
      '2027-05-31',
      '2028-05-31',
    ]);
    expect(nominalDates({ kind: 'dates', dates: ['2026-12-31', '2026-06-30'] }, '2026-07-01', '2027-01-01')).toEqual([
      '2026-12-31',
    ]);
  });

  it('moves a due date on a holiday to the next working day, and reminds on the working days before it', () => {
    // 增值税申报 of February 2026: the 15th is a Sunday inside 春节 (02-15 … 02-23) → Tuesday 02-24. The working days
    // before it: the makeup Saturday 02-14, Friday 02-13, Thursday 02-12.
    const reminders = deadlineReminders(vat, calendar, at('2026-02-01T00:00:00')).filter(
      (r) => r.nominal === '2026-02-15',
    );
    expect(reminders.map((r) => [r.date, r.daysBefore, r.due, r.moved])).toEqual([
      ['2026-02-12', 3, '2026-02-24', true],
      ['2026-02-14', 1, '2026-02-24', true],
      ['2026-02-24', 0, '2026-02-24', true],
    ]);
    expect(reminders.map((r) => r.at)).toEqual([
      at('2026-02-12T09:00:00'),
      at('2026-02-14T09:00:00'),
      at('2026-02-24T09:00:00'),
    ]);
  });

  it('keeps a due date on a working day, and can move backwards or not at all', () => {
    const december = deadlineReminders(vat, calendar, at('2026-12-01T00:00:00')).filter(
      (r) => r.nominal === '2026-12-15',
    );
    expect(december.map((r) => r.date)).toEqual(['2026-12-10', '2026-12-14', '2026-12-15']);
    const october = { ...vat, recurrence: { kind: 'dates' as const, dates: ['2026-10-03'] } };
    expect(
      deadlineReminders({ ...october, shift: 'previousWorkingDay' }, calendar, at('2026-09-01T00:00:00'))[2],
    ).toMatchObject({ due: '2026-09-30', date: '2026-09-30' });
    expect(
      deadlineReminders({ ...october, shift: 'none' }, calendar, at('2026-09-01T00:00:00')).map((r) => r.date),
    ).toEqual([
      '2026-09-28', // 3 working days before Saturday 10-03: 09-30, 09-29, 09-28 (… the makeup Sunday 09-20 is further)
      '2026-09-30',
      '2026-10-03',
    ]);
  });

  it('lists only reminders still ahead, a year out, at least the next occurrence however far', () => {
    const now = at('2026-12-14T10:00:00'); // after the 3-days-before and on the 1-day-before reminder of 12-15
    const reminders = deadlineReminders(vat, calendar, now);
    expect(reminders[0]).toMatchObject({ date: '2026-12-15', daysBefore: 0 });
    expect(reminders.every((r) => r.at > now)).toBe(true);
    expect(new Set(reminders.map((r) => r.nominal)).size).toBeGreaterThanOrEqual(12);
    const far = { ...vat, recurrence: { kind: 'dates' as const, dates: ['2030-10-01'] } };
    expect(deadlineReminders(far, calendar, now).map((r) => r.due)).toEqual(['2030-10-01', '2030-10-01', '2030-10-01']);
  });

  it('says where the deadline stands on the day a reminder runs', () => {
    expect(deadlineStatusAt(vat, calendar, at('2026-02-12T09:00:00'))).toEqual({
      nominal: '2026-02-15',
      due: '2026-02-24',
      moved: true,
      today: '2026-02-12',
      workingDaysLeft: 3,
    });
    expect(deadlineStatusAt(vat, calendar, at('2026-02-24T09:00:00'))?.workingDaysLeft).toBe(0);
    const notice = deadlineReminderNotice({
      name: '增值税申报',
      due: '2026-02-24',
      nominal: '2026-02-15',
      moved: true,
      workingDaysLeft: 3,
      text: '{名称}截止 {截止日}，剩 {剩余工作日} 天',
    });
    expect(notice.title).toBe('【截止提醒】增值税申报 还剩 3 个工作日');
    expect(notice.text).toContain('增值税申报截止 2026-02-24，剩 3 天');
    expect(notice.text).toContain('原定 2026-02-15（周日） 为节假日或休息日，已顺延');
  });
});

describe('Schedule entries', () => {
  it('groups exact instants by month and time of day, in UTC', () => {
    const entries = scheduleEntriesFor([
      at('2026-12-10T09:00:00'),
      at('2026-12-14T09:00:00'),
      at('2027-01-13T09:00:00'),
    ]);
    expect(entries).toEqual([
      { year: 2026, month: 12, dayOfMonth: [10, 14], hour: 1, minute: 0 },
      { year: 2027, month: 1, dayOfMonth: [13], hour: 1, minute: 0 },
    ]);
  });

  it('turns a local weekday and time into UTC (Monday 01:00 in China is Sunday 17:00 UTC)', () => {
    expect(weeklyUtc(1, 60, 480)).toEqual({ dayOfWeek: 0, hour: 17, minute: 0 });
    expect(weeklyUtc(1, 9 * 60 + 30, 480)).toEqual({ dayOfWeek: 1, hour: 1, minute: 30 });
  });

  it('runs the morning digest on working days only: holidays skipped, makeup workdays included', () => {
    const { calendar } = rules();
    const times = workingDayTimes(calendar, at('2026-09-28T12:00:00'), 8 * 60 + 45, 14);
    const dates = times.map((t) => new Date(t + 480 * 60_000).toISOString().slice(0, 10));
    expect(dates).toEqual(['2026-09-29', '2026-09-30', '2026-10-08', '2026-10-09', '2026-10-10', '2026-10-12']);
    expect(times[0]).toBe(at('2026-09-29T08:45:00'));
  });

  it('derives every Schedule from the rules: deadlines, the morning digest, the weekly report to ops', () => {
    const r = rules(`
deadlines:
  - { id: vat, name: 增值税申报, monthly: { day: 15 }, to: { robot: finance } }
digests:
  approvers: { at: '08:45', urgentAfter: 1d }
  weekly: { weekday: 周一, at: '09:30' }
`);
    const schedules = pushSchedules(r, 'tq', at('2026-12-01T00:00:00'));
    expect(schedules.map((s) => s.scheduleId)).toEqual(['deadline:tq:vat', 'digest:tq:approvers', 'digest:tq:weekly']);
    expect(schedules[0]?.spec.calendars?.[0]).toEqual({
      year: 2026,
      month: 'DECEMBER',
      dayOfMonth: [10, 14, 15],
      hour: 1,
      minute: 0,
    });
    expect(schedules[2]?.spec.calendars).toEqual([{ dayOfWeek: 'MONDAY', hour: 1, minute: 30 }]);
    expect(schedules[1]?.action.args?.[0]).toMatchObject({ urgentAfterMs: 7.5 * 3_600_000, maxItems: 20 });
    expect(schedules[2]?.action.args?.[0]).toMatchObject({ to: { robot: { name: 'ops', webhook: 'ops' }, users: [] } });
  });
});

describe('the morning digest', () => {
  const item = (billNo: string, waitingSince: string, urgent = false): DigestItem => ({
    workflowId: `approval:acct:ER_ExpReimbursement:${billNo}`,
    formName: '费用报销单',
    billNo,
    applicant: '张三',
    amount: '¥1,000.00',
    stepName: '部门经理审批',
    waitingSince: at(waitingSince),
    urgent,
    link: `https://kingdee.example/${billNo}`,
  });

  it('lists urgent ones first, then the oldest, with links', () => {
    const notice = approverDigestNotice({
      name: '李四',
      items: [
        item('FYBX000003', '2026-12-01T10:00:00'),
        item('FYBX000002', '2026-12-01T15:00:00', true),
        item('FYBX000001', '2026-11-30T09:00:00'),
      ],
      at: at('2026-12-02T08:45:00'),
      tz: { offsetMinutes: 480 },
    });
    expect(notice.title).toBe('【待办汇总】2026-12-02 李四，您有 3 张单据待审批（1 张紧急）');
    const lines = notice.text.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(lines.map((l) => /FYBX\d+/.exec(l)?.[0])).toEqual(['FYBX000002', 'FYBX000001', 'FYBX000003']);
    expect(lines[0]).toContain('【紧急】');
    expect(lines[1]).toContain('已等待 1 天 23 小时');
    expect(lines[1]).toContain('[查看单据](https://kingdee.example/FYBX000001)');
  });
});
