/**
 * OA → 会计凭证 (GL_VOUCHER) mapping (domain/oa-mapping.ts, rules `voucher:`): one debit line per 明细 row, one credit
 * line for 合计, accounts by number, the marker in every 摘要; debits ≠ credits is a problem in Chinese, never a save.
 */
import { mapOaInstance, oaPrimaryKey, type OaInstance } from '../../domain/oa-mapping';
import { testRules } from '../helpers/rules';

const voucherOa = `
    PROC-FEE-VOUCHER:
      name: 费用入账
      formId: GL_VOUCHER
      skipApproval: true
      header:
        FDate: { component: 费用日期, type: date }
        FAccountBookID: { value: '001', ref: FNumber }
        FVOUCHERGROUPID: { value: PRE001, ref: FNumber }
      voucher:
        table: 费用明细
        lines:
          - side: debit
            account: { column: 费用项目, values: { 差旅费: '6602.01', 住宿费: '6602.02' } }
            amount: 金额
            explanation: { component: 事由 }
          - side: credit
            each: once
            account: { component: 付款方式, values: { 银行转账: 1002, 挂账: '2241.01' } }
            amount: 合计
            explanation: { instance: title }`;

const rulesWith = (oa: string) =>
  testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
oa:
  processes:${oa}
`);
const process = rulesWith(voucherOa).oa.processes['PROC-FEE-VOUCHER']!;

const table = (rows: Array<Record<string, string>>) =>
  JSON.stringify(rows.map((row) => ({ rowValue: Object.entries(row).map(([label, value]) => ({ label, value })) })));

function instance(rows: Array<Record<string, string>>, total: string, payment = '银行转账'): OaInstance {
  return {
    processInstanceId: 'pi-v1',
    title: '张三提交的费用入账',
    originatorUserId: 'zhangsan',
    formComponentValues: [
      { name: '事由', value: '上海客户拜访' },
      { name: '费用日期', value: '2025-11-20' },
      { name: '费用明细', value: table(rows), componentType: 'TableField' },
      { name: '合计', value: total },
      { name: '付款方式', value: payment },
    ],
  };
}

it('parses the voucher rules: no applicant, the marker in 摘要, shorthand names by line kind', () => {
  expect(process).toMatchObject({ formId: 'GL_VOUCHER', markerField: 'FEXPLANATION', voucher: { table: '费用明细' } });
  expect(process.employeeField).toBeUndefined();
  expect(process.entries).toBeUndefined();
  expect(process.voucher!.lines[0]).toMatchObject({
    side: 'debit',
    each: 'row',
    amount: { column: '金额', type: 'number' },
  });
  expect(process.voucher!.lines[1]).toMatchObject({ side: 'credit', each: 'once', amount: { component: '合计' } });
  expect(oaPrimaryKey('GL_VOUCHER')).toBe('FVOUCHERID');
  expect(oaPrimaryKey('ER_ExpReimbursement')).toBe('FID');
});

it('maps a balanced voucher: a debit per row, one credit, accounts by number, FVOUCHERID 0', () => {
  const result = mapOaInstance(
    instance(
      [
        { 费用项目: '差旅费', 金额: '1,280.00' },
        { 费用项目: '住宿费', 金额: '560.5' },
      ],
      '1840.50',
    ),
    process,
    {},
  );
  expect(result).toEqual({
    ok: true,
    rows: 3,
    model: {
      FVOUCHERID: 0,
      FDate: '2025-11-20',
      FAccountBookID: { FNumber: '001' },
      FVOUCHERGROUPID: { FNumber: 'PRE001' },
      FEntity: [
        { FACCOUNTID: { FNumber: '6602.01' }, FEXPLANATION: '上海客户拜访（钉钉审批 pi-v1）', FDEBIT: 1280 },
        { FACCOUNTID: { FNumber: '6602.02' }, FEXPLANATION: '上海客户拜访（钉钉审批 pi-v1）', FDEBIT: 560.5 },
        { FACCOUNTID: { FNumber: '1002' }, FEXPLANATION: '张三提交的费用入账（钉钉审批 pi-v1）', FCREDIT: 1840.5 },
      ],
    },
  });
});

it('debits ≠ credits: nothing to save, the reason in Chinese with both totals', () => {
  const result = mapOaInstance(instance([{ 费用项目: '差旅费', 金额: '1280' }], '1300'), process, {});
  expect(result).toEqual({
    ok: false,
    errorType: 'UnbalancedVoucher',
    problems: ['凭证借贷不平衡：借方合计 ¥1,280.00，贷方合计 ¥1,300.00，相差 ¥20.00'],
  });
});

it('an account the rules do not map, or a missing 合计, is a mapping problem (not a balance one)', () => {
  const result = mapOaInstance(instance([{ 费用项目: '办公费', 金额: '80' }], ''), process, {});
  expect(result.ok).toBe(false);
  expect(!result.ok && result.errorType).toBe('OaMappingError');
  expect(!result.ok && result.problems.join('；')).toMatch(
    /明细第 1 行「费用项目」的值「办公费」在规则中没有对应的金蝶编码/,
  );
  expect(!result.ok && result.problems.join('；')).toMatch(/表单字段「合计」为空/);
});

it('refuses voucher rules without voucher:, with entries:, or without a credit line', () => {
  const base = `
    PROC-V:
      name: 凭证
      formId: GL_VOUCHER
      skipApproval: true`;
  expect(() => rulesWith(base)).toThrow(/GL_VOUCHER needs voucher:/);
  expect(() => rulesWith(`${base}\n      entries: { fields: { FEXPLANATION: { value: x } } }`)).toThrow(
    /a GL_VOUCHER is mapped with voucher:, not entries:/,
  );
  expect(() =>
    rulesWith(`${base}
      voucher:
        table: 明细
        lines:
          - { side: debit, account: 科目, amount: 金额 }
          - { side: debit, account: 科目, amount: 金额 }`),
  ).toThrow(/a voucher needs a credit line/);
  expect(() =>
    rulesWith(`${base}
      voucher:
        lines:
          - { side: debit, account: 科目, amount: 金额 }
          - { side: credit, each: once, account: 银行存款, amount: 合计 }`),
  ).toThrow(/each: row lines need voucher.table/);
  expect(() =>
    rulesWith(`${base}
      voucher:
        table: 明细
        lines:
          - { side: debit, account: 科目, amount: 金额 }
          - { side: credit, each: once, account: { column: 科目 }, amount: 合计 }`),
  ).toThrow(/lines\[1\]\.account: column is for each: row lines/);
});
