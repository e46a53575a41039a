/**
 * The rules file's push sections — `watches`, `deadlines`, `digests` — validated like the rest of the file: what a
 * valid section parses to, and every problem at once, each by its path and line.
 */
import path from 'node:path';
import { loadRules, parseRules, RulesError } from '../../rules';

const base = `
calendar: { alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: finance, name: 财务经理审批, approvers: [wangwu] }
`;

/** The problems of base + extra; lines are counted within `extra` (its first line is 1). */
function problemsOf(extra: string, withBase = base): Array<{ path: string; message: string; line?: number }> {
  const offset = withBase.split('\n').length - 1;
  try {
    parseRules(withBase + extra, 'rules.yaml');
  } catch (error) {
    if (error instanceof RulesError)
      return error.problems.map(({ path: p, message, line }) => ({
        path: p,
        message,
        line: line === undefined ? undefined : line - offset,
      }));
    throw error;
  }
  throw new Error('expected the rules to be refused');
}

describe('valid push sections', () => {
  it('parse with their defaults: a watch, deadlines, digests', () => {
    const rules = parseRules(
      `${base}
ops: { robot: ops }
watches:
  - id: low-stock
    name: 库存低于安全库存
    form: STK_Inventory
    key: FMaterialId.FNumber
    fields: [FMaterialId.FName]
    condition: { field: FBaseQty, below: fmaterialid.fsafestock }
    to: { robot: finance }
deadlines:
  - { id: vat, name: 增值税申报, monthly: { day: 15 }, to: { users: [wangwu] } }
  - { id: cit, name: 企业所得税汇算清缴, yearly: { month: 5, day: 31 }, remind: [0, 10, 3], at: '10:30', shift: none, to: { robot: ops } }
  - { id: once, name: 年报, dates: [2027-06-30], to: { users: [zhaoliu] } }
digests:
  approvers: {}
  weekly: {}
`,
      'rules.yaml',
    );
    expect(rules.watches[0]).toMatchObject({
      key: ['FMaterialId.FNumber'],
      everyMs: 600_000,
      pageSize: 500,
      maxRows: 10_000,
      condition: { field: 'FBaseQty', below: { field: 'fmaterialid.fsafestock' } },
      // the key, the shown fields and the condition's fields, each once (Kingdee keys are case-insensitive)
      queryFields: ['FMaterialId.FNumber', 'FMaterialId.FName', 'FBaseQty', 'fmaterialid.fsafestock'],
    });
    expect(rules.deadlines.map((d) => [d.recurrence, d.shift, d.remind, d.atMinute])).toEqual([
      [{ kind: 'monthly', day: 15 }, 'nextWorkingDay', [3, 1, 0], 540],
      [{ kind: 'yearly', month: 5, day: 31 }, 'none', [10, 3, 0], 630],
      [{ kind: 'dates', dates: ['2027-06-30'] }, 'nextWorkingDay', [3, 1, 0], 540],
    ]);
    expect(rules.digests).toEqual({
      approvers: { atMinute: 540, maxItems: 20 },
      weekly: { weekday: 1, atMinute: 540 },
    });
  });

  it('are optional: a file without them has none', () => {
    const rules = parseRules(base, 'rules.yaml');
    expect(rules.watches).toEqual([]);
    expect(rules.deadlines).toEqual([]);
    expect(rules.digests).toEqual({});
  });

  it('the example rules file has them all (the demo world)', () => {
    const rules = loadRules(path.join(__dirname, '../../config/rules.example.yaml'));
    expect(rules.watches.map((w) => w.form)).toEqual(['STK_Inventory']);
    expect(rules.deadlines.map((d) => d.name)).toEqual(['增值税申报', '企业所得税汇算清缴']);
    expect(rules.digests.approvers?.atMinute).toBe(8 * 60 + 45);
    expect(rules.digests.weekly?.to?.robot).toBe('ops');
  });
});

describe('a push section with problems', () => {
  it('reports every watch problem by path, also where another field of the same watch is wrong', () => {
    expect(
      problemsOf(`
watches:
  - id: low-stock
    name: 库存
    form: STK_Inventory
    condition: { field: FBaseQty }
    every: 1s
    to: { robot: warehouse }
    pageSize: 500
    maxRows: 100
    colour: red
  - id: low-stock
    name: 库存 2
    form: STK_Inventory
    condition: { field: FBaseQty, below: '10' }
    to: {}
  - id: text
    name: 库存 3
    form: STK_Inventory
    fields: [FStockId.FName]
    condition: { field: FBaseQty, below: FSafeStock }
    to: { users: [zhouba] }
    text: '{FMaterialId.FName} {FStockId.FName} {数值} {备注}'
`),
    ).toEqual([
      { path: 'watches[0].condition', message: expect.stringContaining('give below'), line: 6 },
      { path: 'watches[0].every', message: expect.stringContaining('between 10s and 1d'), line: 7 },
      { path: 'watches[0].to.robot', message: expect.stringContaining('unknown robot "warehouse"'), line: 8 },
      {
        path: 'watches[0].maxRows',
        message: 'maxRows (100) is below pageSize (500): a check reads at least one page',
        line: 10,
      },
      { path: 'watches[0].colour', message: expect.stringContaining('unknown field "colour"'), line: 11 },
      { path: 'watches[1].id', message: 'duplicate watch id "low-stock" (also used by watches[0])', line: 12 },
      { path: 'watches[1].condition.below', message: expect.stringContaining('"10" is text, not a number'), line: 15 },
      { path: 'watches[1].to', message: expect.stringContaining('say who receives it'), line: 16 },
      {
        path: 'watches[2].text',
        message: expect.stringContaining('unknown placeholder {FMaterialId.FName}, {备注}: use a queried field'),
        line: 23,
      },
    ]);
  });

  it('reports every deadline problem by path', () => {
    expect(
      problemsOf(`
deadlines:
  - id: vat
    name: 增值税申报
    monthly: { day: 32 }
    remind: [3, 3]
    at: '9点'
    to: { users: [wangwu] }
    text: '{名称} {单号}'
  - { id: vat, name: 两种, monthly: { day: 1 }, yearly: { month: 1, day: 1 }, to: { robot: finanse } }
  - { id: feb, name: 二月, yearly: { month: 2, day: 30 }, shift: later, to: { users: [wangwu] } }
  - { id: none, name: 无日期, to: { users: [wangwu] } }
`),
    ).toEqual([
      { path: 'deadlines[0].monthly.day', message: 'day is 1–31', line: 5 },
      { path: 'deadlines[0].remind', message: '3 is listed twice', line: 6 },
      { path: 'deadlines[0].at', message: expect.stringContaining('"9点" is not a time of day'), line: 7 },
      { path: 'deadlines[0].text', message: expect.stringContaining('unknown placeholder {单号}; known:'), line: 9 },
      {
        path: 'deadlines[1].yearly',
        message: 'give only one of monthly, yearly and dates (found monthly and yearly)',
        line: 10,
      },
      { path: 'deadlines[1].id', message: 'duplicate deadline id "vat" (also used by deadlines[0])', line: 10 },
      { path: 'deadlines[1].to.robot', message: expect.stringContaining('(did you mean "finance"?)'), line: 10 },
      { path: 'deadlines[2].shift', message: expect.stringContaining('nextWorkingDay (顺延'), line: 11 },
      { path: 'deadlines[2].yearly.day', message: 'month 2 has no day 30', line: 11 },
      { path: 'deadlines[3]', message: expect.stringContaining('say when it is due'), line: 12 },
    ]);
  });

  it('reports every digest problem by path, including a weekly report with nobody to go to', () => {
    expect(
      problemsOf(`
digests:
  approvers: { at: 25:00, maxItems: 0 }
  weekly: { weekday: 周八 }
`),
    ).toEqual([
      { path: 'digests.approvers.at', message: expect.stringContaining('not a time of day'), line: 3 },
      { path: 'digests.approvers.maxItems', message: 'maxItems is at least 1', line: 3 },
      { path: 'digests.weekly.weekday', message: expect.stringContaining('"周八" is not a weekday'), line: 4 },
    ]);
    expect(problemsOf(`\ndigests:\n  weekly: { at: '09:00' }\n`)).toEqual([
      { path: 'digests.weekly', message: expect.stringContaining('nobody to go to'), line: 3 },
    ]);
    expect(problemsOf(`\ndigests:\n  weekly: { to: { robot: opps } }\n`)).toEqual([
      { path: 'digests.weekly.to.robot', message: expect.stringContaining('(did you mean "ops"?)'), line: 3 },
    ]);
  });
});
