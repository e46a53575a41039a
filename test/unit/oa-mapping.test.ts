/** The pure OA → Kingdee mapping (domain/oa-mapping.ts) with the rules file's `oa:` section as finance writes it. */
import { mapOaInstance, oaMarker, tableRows, type OaInstance } from '../../domain/oa-mapping';
import { testRules } from '../helpers/rules';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
oa:
  processes:
    PROC-FEE:
      name: 费用申请
      skipApproval: true
      header:
        FCausa: 事由
        FDate: { component: 费用日期, type: date }
        FCurrencyID: { value: PRE001, ref: FNumber }
        FRequestDeptID: { instance: originatorDeptName, ref: FNumber, values: { 销售部: BM02 } }
      entries:
        table: 费用明细
        fields:
          FExpID: { column: 费用项目, ref: FNumber, values: { 差旅费: FY001, 住宿费: FY002 } }
          FExpSubmitAmount: { column: 金额, type: number }
          F_KDB_ProjectID: { column: 项目, ref: FNumber, optional: true }
          FRemark: { column: 说明, optional: true }
`);
const process = rules.oa.processes['PROC-FEE']!;

const table = (rows: Array<Record<string, string>>) =>
  JSON.stringify(rows.map((row) => ({ rowValue: Object.entries(row).map(([label, value]) => ({ label, value })) })));

function instance(rows: Array<Record<string, string>>, extra: Partial<OaInstance> = {}): OaInstance {
  return {
    processInstanceId: 'pi-1',
    title: '张三提交的费用申请',
    originatorUserId: 'zhangsan',
    originatorDeptName: '销售部',
    formComponentValues: [
      { name: '事由', value: '客户拜访' },
      { name: '费用日期', value: '2025/11/2 10:00' },
      { name: '费用明细', value: table(rows), componentType: 'TableField' },
    ],
    ...extra,
  };
}

it('parses the rules: shorthand names, defaults', () => {
  expect(process).toMatchObject({
    formId: 'ER_ExpReimbursement',
    skipApproval: true,
    employeeField: 'FProposerID',
    employeeKey: 'FSTAFFNUMBER',
    markerField: 'FRemark',
    header: { FCausa: { component: '事由', type: 'text', optional: false } },
    entries: { table: '费用明细', entity: 'FEntity' },
  });
});

it('maps header components, constants, instance fields and one entry row per table row', () => {
  const result = mapOaInstance(
    instance([
      { 费用项目: '差旅费', 金额: '1,280.50', 项目: 'XM001', 说明: '高铁' },
      { 费用项目: '住宿费', 金额: '￥300', 项目: '', 说明: '' },
    ]),
    process,
    { employeeNumber: 'EMP001' },
  );
  expect(result).toEqual({
    ok: true,
    rows: 2,
    model: {
      FID: 0,
      FProposerID: { FSTAFFNUMBER: 'EMP001' },
      FCausa: '客户拜访',
      FDate: '2025-11-02',
      FCurrencyID: { FNumber: 'PRE001' },
      FRequestDeptID: { FNumber: 'BM02' },
      FEntity: [
        {
          FExpID: { FNumber: 'FY001' },
          FExpSubmitAmount: 1280.5,
          F_KDB_ProjectID: { FNumber: 'XM001' },
          FRemark: `高铁（${oaMarker('pi-1')}）`,
        },
        { FExpID: { FNumber: 'FY002' }, FExpSubmitAmount: 300, FRemark: '钉钉审批 pi-1' },
      ],
    },
  });
});

it('collects every problem: an unmapped item, a non-number, a missing component, an unknown department', () => {
  const result = mapOaInstance(
    instance([{ 费用项目: '业务招待费', 金额: '很多' }], {
      originatorDeptName: '研发部',
      formComponentValues: [{ name: '费用明细', value: table([{ 费用项目: '业务招待费', 金额: '很多' }]) }],
    }),
    process,
    { employeeNumber: 'EMP001' },
  );
  expect(result.ok).toBe(false);
  expect(!result.ok && result.problems).toEqual([
    '表单字段「事由」为空（金蝶字段 FCausa 必填）',
    '表单字段「费用日期」为空（金蝶字段 FDate 必填）',
    '审批实例的 originatorDeptName的值「研发部」在规则中没有对应的金蝶编码（可选：销售部）',
    '明细第 1 行「费用项目」的值「业务招待费」在规则中没有对应的金蝶编码（可选：差旅费、住宿费）',
    '明细第 1 行「金额」的值「很多」不是数字',
  ]);
});

it('an empty or unreadable table is a problem, not an empty bill', () => {
  const empty = mapOaInstance(instance([]), process, { employeeNumber: 'EMP001' });
  expect(!empty.ok && empty.problems).toEqual(['明细「费用明细」没有任何一行']);
  const broken = instance([], {
    formComponentValues: [
      { name: '事由', value: 'x' },
      { name: '费用日期', value: '2025-11-02' },
      { name: '费用明细', value: 'not json' },
    ],
  });
  expect(tableRows(broken.formComponentValues[2])).toBeUndefined();
  const result = mapOaInstance(broken, process, { employeeNumber: 'EMP001' });
  expect(!result.ok && result.problems).toEqual(['明细「费用明细」的内容无法读取']);
});

const withOa = (oa: string) =>
  testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
oa:
  processes:
    PROC-FEE:
      name: 费用申请
${oa}
`);

it('refuses a rules file that mixes sources, puts columns without a table, or forgets the chain', () => {
  expect(() =>
    withOa(`      skipApproval: true
      header: { FCausa: { component: 事由, value: x } }
      entries: { table: 明细, fields: { FExpID: 费用项目 } }`),
  ).toThrow(/FCausa: give exactly one of component, column, value, instance/);
  expect(() =>
    withOa(`      skipApproval: true
      entries: { fields: { FExpID: { column: 费用项目 } } }`),
  ).toThrow(/FExpID: column needs entries.table/);
  expect(() => withOa(`      entries: { table: 明细, fields: { FExpID: 费用项目 } }`)).toThrow(
    /skipApproval: ER_ExpReimbursement has no chain/,
  );
});
