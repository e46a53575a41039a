import path from 'node:path';
import { formatPath, loadRules, parseRules, RulesError, type Rules } from '../../rules';
import { resolveChain } from '../../rules/plan';
import { expenseClaim } from '../helpers/documents';

const examplePath = path.join(__dirname, '../../config/rules.example.yaml');
const badPath = path.join(__dirname, '../../config/rules.test-fixtures/bad.yaml');

/** The RulesError a text produces (fails the test when it parses). */
function problemsOf(text: string, source = 'rules.yaml'): RulesError {
  try {
    parseRules(text, source);
  } catch (error) {
    if (error instanceof RulesError) return error;
    throw error;
  }
  throw new Error('expected the rules to be refused');
}

/** A minimal valid file, with extra YAML appended per test. */
const minimal = (extra = '') => `
calendar: { alwaysOpen: true }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - id: finance
      name: 财务经理审批
      approvers: [wangwu]
${extra}`;

describe('the example rules file (demo world)', () => {
  let rules: Rules;
  beforeAll(() => {
    rules = loadRules(examplePath);
  });

  it('loads, keeping Chinese text intact', () => {
    expect(rules.forms.ER_ExpReimbursement?.name).toBe('费用报销单');
    expect(rules.chains.ER_ExpReimbursement?.map((s) => s.name)).toEqual([
      '部门经理审批',
      '财务经理审批',
      '财务总监审批',
    ]);
    expect(rules.forms.AP_PAYBILL?.onApproved[0]?.text).toBe('请出纳安排付款');
  });

  it('normalises the calendar: offset, weekdays, periods, expanded holiday ranges', () => {
    expect(rules.calendar).toMatchObject({
      utcOffset: '+08:00',
      offsetMinutes: 480,
      alwaysOpen: false,
      workdays: [1, 2, 3, 4, 5],
      hours: [
        { start: 540, end: 720 },
        { start: 810, end: 1080 },
      ],
    });
    expect(rules.calendar.holidays).toContain('2026-10-05');
    expect(rules.calendar.holidays.filter((d) => d.startsWith('2026-10'))).toHaveLength(7);
    expect(rules.calendar.makeupWorkdays).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
  });

  it('fills defaults and turns wall-clock durations into ms', () => {
    expect(rules.version).toBe(1);
    expect(rules.forms.ER_ExpReimbursement).toMatchObject({
      kingdeeWorkflow: false,
      rejectOperation: 'cancelAssign',
      currency: 'CNY',
    });
    expect(rules.forms.AP_PAYBILL).toMatchObject({ kingdeeWorkflow: true, rejectOperation: 'workflowReject' });
    expect(rules.ingestion).toEqual({
      forms: ['ER_ExpReimbursement', 'AP_PAYBILL', 'AP_Payable', 'PUR_PurchaseOrder'],
      pollIntervalMs: 10_000,
      overlapMs: 120_000,
    });
    expect(rules.notifications[0]).toMatchObject({
      trigger: { kind: 'anyChange' },
      rateLimit: { max: 10, perMs: 60_000 },
    });
    expect(rules.notifications[1]?.trigger).toEqual({ kind: 'statusBecomes', status: 'C' });
    expect(rules.chains.PUR_PurchaseOrder?.[0]?.mode).toBe('all');
    expect(rules.chains.AP_Payable?.[0]?.finalAction).toEqual({
      type: 'reject',
      reason: '应付单 5 个工作日未审核，已自动退回，请核对后重新提交',
    });
  });
});

describe('a bad rules file', () => {
  it('fails with ONE error listing every problem as <file>: <path>: <reason> (line N)', () => {
    let error: unknown;
    try {
      loadRules(badPath);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RulesError);
    const rulesError = error as RulesError;
    const lines = rulesError.message.split('\n');
    expect(lines[0]).toBe(`The rules file ${badPath} has 12 problems; fix them and start again:`);
    const expected: Array<[string, string, number]> = [
      ['calendar.makeupWorkdays[0]', '2026-10-08 is a 周四, already a working day', 5],
      ['escalation.robot', 'unknown robot "finanse" (did you mean "finance"?)', 11],
      ['forms.ER_ExpReimbursement.rejectOperation', 'workflowReject needs kingdeeWorkflow: true', 16],
      ['chains.ER_ExpReimbursement[0].escalateAfter', 'but remindAfter is 8h and escalateAfter is 4h', 24],
      ['chains.ER_ExpReimbursement[1].id', 'duplicate step id "manager"', 25],
      ['chains.ER_ExpReimbursement[2].when.amount.gt', '"50,000" is text, not a number', 30],
      ['chains.ER_ExpReimbursement[2].approvers[0].user', 'put ids that look like numbers in quotes', 31],
      ['chains.ER_ExpReimbursement[2].remindafter', 'unknown field "remindafter" (did you mean "remindAfter"?)', 32],
      ['chains.ER_ExpReimbursement[2].finalAfter', '30 has no unit', 33],
      ['chains.AP_PAYBILL', 'form AP_PAYBILL is not defined under forms', 34],
      ['notifications[0].trigger.statusBecomes', '"已审批" is not a document status', 42],
      ['notifications[0].template', 'unknown placeholder {备注}', 44],
    ];
    expect(lines.slice(1)).toHaveLength(expected.length);
    expected.forEach(([where, reason, line], index) => {
      const text = lines[index + 1] ?? '';
      expect(text.startsWith(`${badPath}: ${where}: `)).toBe(true);
      expect(text).toContain(reason);
      expect(text.endsWith(`(line ${line})`)).toBe(true);
    });
    expect(rulesError.problems).toHaveLength(12);
    expect(rulesError.problems[0]).toMatchObject({ path: 'calendar.makeupWorkdays[0]', line: 5, column: 20 });
    expect(rulesError.source).toBe(badPath);
  });

  it('reports YAML syntax errors with line and column', () => {
    const error = problemsOf('calendar:\n  hours: [09:00-12:00\nforms: {}\n', 'broken.yaml');
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/^broken\.yaml: line \d+, column \d+: YAML syntax error: /m);
  });

  it('reports duplicate keys as syntax errors', () => {
    const error = problemsOf('calendar: { alwaysOpen: true }\ncalendar: { alwaysOpen: false }\nforms: {}\n');
    expect(error.message).toContain('rules.yaml: line 2, column 1: YAML syntax error: Map keys must be unique');
  });

  it('names a missing file and says what to do', () => {
    expect(() => loadRules('/nonexistent/rules.yaml')).toThrow(
      '/nonexistent/rules.yaml: cannot read the rules file (file not found); check the path, or start from config/rules.example.yaml',
    );
  });

  it('refuses an empty file and a file that is not a mapping', () => {
    expect(problemsOf('# nothing yet\n').message).toContain('rules.yaml: the file is empty');
    expect(problemsOf('- a\n- b\n').message).toContain('the file must be a mapping of sections');
  });

  it('names missing required sections and unknown top-level sections', () => {
    const error = problemsOf('calender: { alwaysOpen: true }\n');
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^calendar: is required/),
        expect.stringMatching(/^forms: is required/),
        expect.stringMatching(/^calender: unknown field "calender" \(did you mean "calendar"\?\)/),
      ]),
    );
  });
});

describe('cross-field checks', () => {
  const messages = (text: string) => problemsOf(text).problems.map((p) => `${p.path}: ${p.message}`);

  it('a chain for a form not under forms', () => {
    expect(messages(minimal('  AP_PAYBILL:\n    - { id: a, name: 一, approvers: [wangwu] }'))).toEqual([
      'chains.AP_PAYBILL: form AP_PAYBILL is not defined under forms: add it there (name, kingdeeWorkflow, …) or fix the FormId',
    ]);
  });

  it('timeouts out of order, including values inherited from defaults', () => {
    const text =
      minimal().replace('approvers: [wangwu]', 'approvers: [wangwu]\n      escalateAfter: 2h') +
      'defaults: { remindAfter: 3h }\n';
    expect(messages(text)).toEqual([
      'chains.ER_ExpReimbursement[0].escalateAfter: timeouts must grow: remindAfter < escalateAfter < finalAfter, but remindAfter is 3h and escalateAfter is 2h',
    ]);
  });

  it('compares days as working days of the calendar', () => {
    const step = (calendar: string) =>
      minimal()
        .replace('{ alwaysOpen: true }', calendar)
        .replace('approvers: [wangwu]', 'approvers: [wangwu]\n      remindAfter: 6h\n      escalateAfter: 1d');
    expect(() => parseRules(step("{ hours: ['09:00-18:00'] }"), 'nine-hour-day.yaml')).not.toThrow();
    expect(messages(step("{ hours: ['09:00-12:00'] }"))).toEqual([
      expect.stringContaining('but remindAfter is 6h and escalateAfter is 1d'),
    ]);
  });

  it('finalAfter without a final action, a final action without finalAfter, remindEvery without remindAfter', () => {
    const text = minimal().replace(
      '      approvers: [wangwu]',
      `      approvers: [wangwu]
      finalAfter: 2d
    - id: b
      name: 二
      approvers: [lisi]
      remindEvery: 1h
      finalAction: { reject: { reason: 超时 } }`,
    );
    expect(messages(text)).toEqual([
      'chains.ER_ExpReimbursement[0].finalAfter: finalAfter needs a finalAction ({reject: {reason}} or {notify: …}) here or in defaults',
      'chains.ER_ExpReimbursement[1].remindEvery: remindEvery needs remindAfter (when the first reminder goes out)',
      'chains.ER_ExpReimbursement[1].finalAction: finalAction has no effect without finalAfter (when to take it)',
    ]);
  });

  it('robots referenced by follow-ups, final actions, ops and notifications must exist', () => {
    const text = minimal(`robots:
  cashier: { webhook: cashier }
ops: { robot: opz }
defaults:
  finalAction: { notify: { robot: finance } }
notifications:
  - { id: n, form: ER_ExpReimbursement, trigger: { anyChange: true }, to: { robot: cashiers }, template: '变更 {单号}' }
`).replace(
      'ER_ExpReimbursement: { name: 费用报销单 }',
      'ER_ExpReimbursement: { name: 费用报销单, onApproved: [{ to: { robot: cash }, text: 请付款 }] }',
    );
    expect(messages(text)).toEqual([
      'forms.ER_ExpReimbursement.onApproved[0].to.robot: unknown robot "cash" (did you mean "cashier"?); robots defined: cashier',
      'ops.robot: unknown robot "opz"; robots defined: cashier',
      'defaults.finalAction.notify.robot: unknown robot "finance"; robots defined: cashier',
      'notifications[0].to.robot: unknown robot "cashiers" (did you mean "cashier"?); robots defined: cashier',
    ]);
  });

  it('escalation needs someone to escalate to', () => {
    const text = minimal('escalation: { notifyManager: false }\n').replace(
      'approvers: [wangwu]',
      'approvers: [wangwu]\n      escalateAfter: 4h',
    );
    expect(messages(text)).toEqual([
      'chains.ER_ExpReimbursement[0].escalateAfter: escalateAfter has nobody to escalate to: set escalation.robot or escalation.notifyManager: true',
    ]);
  });

  it('delegation to oneself or in a circle', () => {
    expect(messages(minimal('delegates: { wangwu: wangwu, lisi: zhouba, zhouba: lisi }\n'))).toEqual([
      'delegates.wangwu: wangwu cannot delegate to themselves',
      'delegates.lisi: lisi and zhouba delegate to each other',
      'delegates.zhouba: zhouba and lisi delegate to each other',
    ]);
  });

  it('polled forms must exist and have something to do; notification ids are unique', () => {
    const text = minimal(`forms:
  ER_ExpReimbursement: { name: 费用报销单 }
  AP_Payable: { name: 应付单 }
notifications:
  - { id: n, form: ER_ExpReimbursement, trigger: { anyChange: true }, to: { users: [wangwu] }, template: 变更 }
  - { id: n, form: SAL_OUTSTOCK, trigger: { field: FQty, below: 10 }, to: { users: [wangwu] }, template: '库存 {数值}' }
ingestion: { forms: [ER_ExpReimbursement, AP_Payable, STK_Inventory] }
`).replace(/^forms:\n {2}ER_ExpReimbursement: \{ name: 费用报销单 \}\n/m, '');
    expect(messages(text)).toEqual([
      'notifications[1].id: duplicate notification id "n"',
      'notifications[1].form: form SAL_OUTSTOCK is not defined under forms: add it there (name, kingdeeWorkflow, …) or fix the FormId',
      'ingestion.forms[1]: form AP_Payable is polled but has neither a chain nor a notification rule',
      'ingestion.forms[2]: form STK_Inventory is not defined under forms: add it there (name, kingdeeWorkflow, …) or fix the FormId',
      'ingestion.forms[2]: form STK_Inventory is polled but has neither a chain nor a notification rule',
    ]);
  });

  it('calendar: overlapping periods, a date both holiday and makeup day, no working days', () => {
    const text = minimal().replace(
      '{ alwaysOpen: true }',
      "{ workdays: [], hours: ['09:00-12:00', '11:00-13:00'], holidays: ['2026-10-10'], makeupWorkdays: ['2026-10-10'] }",
    );
    expect(messages(text)).toEqual([
      'calendar.hours: working periods overlap: list them without overlaps, e.g. "09:00-12:00", "13:30-18:00"',
    ]);
    const afterFix = text.replace("'11:00-13:00'", "'13:00-17:00'");
    expect(messages(afterFix)).toEqual([
      'calendar.workdays: no working days: list the working weekdays (e.g. [周一, 周二, 周三, 周四, 周五])',
      'calendar.makeupWorkdays[0]: 2026-10-10 is listed both as a holiday and as a makeup workday',
    ]);
  });
});

describe('the format is forgiving where it is safe', () => {
  it('accepts Chinese and English weekdays, ISO numbers, ranges with 至, and several duration spellings', () => {
    const rules = parseRules(
      minimal()
        .replace(
          '{ alwaysOpen: true }',
          "{ utcOffset: 8, workdays: [mon, 星期二, 3, Thu, 周五, 六], hours: ['09:00至12:00', '13:00～17:30'], holidays: ['2026-10-01 至 2026-10-03'] }",
        )
        .replace(
          'approvers: [wangwu]',
          "approvers: ['012345', { kingdeeField: FProposerID }]\n      remindAfter: 4小时\n      escalateAfter: 1个工作日\n      finalAfter: 1d4h\n      finalAction: { reject: { reason: 超时 } }",
        ),
      'forgiving.yaml',
    );
    expect(rules.calendar).toMatchObject({
      utcOffset: '+08:00',
      workdays: [1, 2, 3, 4, 5, 6],
      hours: [
        { start: 540, end: 720 },
        { start: 780, end: 1050 },
      ],
      holidays: ['2026-10-01', '2026-10-02', '2026-10-03'],
    });
    expect(rules.chains.ER_ExpReimbursement?.[0]).toMatchObject({
      approvers: [
        { kind: 'user', userId: '012345' },
        { kind: 'kingdeeField', field: 'FProposerID' },
      ],
      remindAfter: '4小时',
      escalateAfter: '1个工作日',
      finalAfter: '1d4h',
    });
  });

  it('computes ingestion forms when not listed: every form with a chain or a notification rule', () => {
    const rules = parseRules(
      minimal(`notifications:
  - { id: n, form: AP_Payable, trigger: { anyChange: true }, to: { users: [wangwu] }, template: 变更, rateLimit: { max: 5, per: 1h } }
ingestion: { pollInterval: 15s }
`).replace(
        'ER_ExpReimbursement: { name: 费用报销单 }',
        'ER_ExpReimbursement: { name: 费用报销单 }\n  AP_Payable: { name: 应付单 }',
      ),
      'computed.yaml',
    );
    expect(rules.ingestion).toEqual({
      forms: ['AP_Payable', 'ER_ExpReimbursement'],
      pollIntervalMs: 15_000,
      overlapMs: 120_000,
    });
    expect(rules.notifications[0]?.rateLimit).toEqual({ max: 5, perMs: 3_600_000 });
  });

  it('refuses a poll interval outside 1s–5m', () => {
    expect(problemsOf(minimal('ingestion: { pollInterval: 10m }\n')).problems[0]).toMatchObject({
      path: 'ingestion.pollInterval',
      message: 'pollInterval must be between 1s and 5m (10s–30s advised)',
    });
  });
});

describe('todos (待办)', () => {
  it('defaults to a 待办 with the card; after and enabled as written; resolveChain carries them into the plan', () => {
    expect(parseRules(minimal(), 'default.yaml').todos).toEqual({ enabled: true, after: 0 });
    const rules = parseRules(minimal('todos: { after: 10m }\n'), 'after.yaml');
    expect(rules.todos).toEqual({ enabled: true, after: 600_000 });
    expect(resolveChain(rules, expenseClaim).todos).toEqual({ enabled: true, afterMs: 600_000 });
    expect(parseRules(minimal('todos: { enabled: false }\n'), 'off.yaml').todos).toEqual({ enabled: false, after: 0 });
  });

  it('refuses what it does not know, saying where', () => {
    expect(problemsOf(minimal('todos: { after: soon }\n')).problems[0]).toMatchObject({ path: 'todos.after' });
    expect(problemsOf(minimal('todos: { enable: false }\n')).problems[0]?.path).toMatch(/^todos/);
  });
});

describe('formatPath', () => {
  it('writes YAML paths the way people read them, quoting odd keys', () => {
    expect(formatPath(['chains', 'ER_ExpReimbursement', 0, 'approvers', 1])).toBe(
      'chains.ER_ExpReimbursement[0].approvers[1]',
    );
    expect(formatPath(['delegates', 'a.b'])).toBe('delegates["a.b"]');
    expect(formatPath(['robots', '出纳群'])).toBe('robots.出纳群');
  });
});
