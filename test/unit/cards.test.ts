/**
 * The approval card's content per form: the other party, department, organisation, bill date, purpose, lines,
 * attachments, the decisions so far and who must still decide — within DingTalk's 1 KB per variable, never cut
 * inside a character — and the urgent mark.
 */
import {
  approvalCard,
  cardFieldsFor,
  cardWaitingText,
  defaultCardFields,
  urgencyReasonFor,
  type CardParamMap,
} from '../../domain/texts/cards';
import { utf8Length } from '../../domain/texts/format';
import type { DocumentSummary } from '../../domain/document';
import { expenseClaim } from '../helpers/documents';

const tz = { offsetMinutes: 480 };
const base: DocumentSummary = {
  ...expenseClaim,
  orgName: '演示集团总部',
  deptName: '销售部',
  billDate: '2026-11-20T00:00:00',
  lines: [
    { name: '差旅费', amount: 8_000 },
    { name: '住宿费', amount: 4_800 },
  ],
};
const card = (document: DocumentSummary, extra: Partial<Parameters<typeof approvalCard>[1]> = {}) =>
  approvalCard(document, { stepId: 'finance', stepName: '财务经理审批', workflowId: 'wf', tz, ...extra });
const details = (params: CardParamMap) =>
  Object.fromEntries(
    (JSON.parse(params.details) as Array<{ label: string; value: string }>).map((d) => [d.label, d.value]),
  );

it('shows the expense claim’s department, organisation, date, purpose, lines and where to see attachments', () => {
  const params = card(base);
  expect(details(params)).toEqual({
    部门: '销售部',
    组织: '演示集团总部',
    单据日期: '2026-11-20',
    附件: '请在金蝶中查看',
  });
  expect(params.purpose).toBe('差旅费 上海客户拜访');
  expect(JSON.parse(params.lines)).toEqual([
    { name: '差旅费', amount: '8,000.00' },
    { name: '住宿费', amount: '4,800.00' },
  ]);
  expect(params.urgent).toBe('false');
  expect(params.title).toBe('费用报销单审批');
});

it('shows the payee of a payment and the supplier of a payable and a purchase order', () => {
  const pay = card({
    ...base,
    formId: 'AP_PAYBILL',
    formName: '付款单',
    counterparty: { label: '收款单位', name: '上海云杉科技有限公司' },
  });
  expect(details(pay)).toMatchObject({ 收款单位: '上海云杉科技有限公司', 组织: '演示集团总部' });
  expect(details(pay)).not.toHaveProperty('部门'); // not a default field of 付款单
  const po = card({
    ...base,
    formId: 'PUR_PurchaseOrder',
    formName: '采购订单',
    counterparty: { label: '供应商', name: '深圳星河电子有限公司' },
  });
  expect(details(po)).toMatchObject({ 供应商: '深圳星河电子有限公司', 部门: '销售部' });
  expect(defaultCardFields.AP_Payable).toContain('counterparty');
});

it('shows the chain so far and who else must decide', () => {
  const params = card(base, {
    decisions: [{ name: '李四', action: 'approve', at: '2026-11-24T02:33:00.000Z', comment: '情况属实' }],
    waiting: { stepName: '财务经理审批', names: ['王五', '赵六'], mode: 'all' },
  });
  expect(params.chain).toBe('李四 已同意（2026-11-24 10:33）：情况属实');
  expect(params.waiting).toBe('财务经理审批：待 王五、赵六 审批（需全部同意）');
  expect(cardWaitingText({ stepName: 's', names: ['王五'], mode: 'any' })).toBe('s：待 王五 审批');
  expect(card(base, { decisions: [] }).chain).toBe('尚无审批记录');
});

it('follows the rules file’s field list', () => {
  const params = card(base, { fields: cardFieldsFor('ER_ExpReimbursement', ['counterparty', 'billDate']) });
  expect(details(params)).toEqual({ 单据日期: '2026-11-20' });
  expect(params.purpose).toBe('');
  expect(params.lines).toBe('[]');
  expect(params.chain).toBe('');
});

it('keeps every variable within 1 KB, cutting long values at a character boundary', () => {
  const long = '😀供应商名称'.repeat(400);
  const params = card(
    {
      ...base,
      purpose: long,
      orgName: long,
      deptName: long,
      counterparty: { label: '供应商', name: long },
      formId: 'PUR_PurchaseOrder',
    },
    {
      decisions: Array.from({ length: 50 }, () => ({ name: '李四', action: 'approve' as const, at: 0, comment: long })),
    },
  );
  for (const [key, value] of Object.entries(params)) {
    expect([key, utf8Length(value) <= 1000]).toEqual([key, true]);
    expect(value).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  }
  expect(params.purpose.endsWith('…')).toBe(true);
  expect(() => JSON.parse(params.details) as unknown).not.toThrow();
});

it('marks an urgent card in its title', () => {
  expect(card(base, { urgent: true }).title).toBe('【加急】费用报销单审批');
});

describe('urgencyReasonFor', () => {
  const words = ['加急', '急催', '尽快', 'ASAP'];
  it.each([
    ['设备维修 加急', '事由含「加急」'],
    ['please pay asap', '事由含「ASAP」'],
    ['差旅费', undefined],
  ])('%s', (purpose, reason) => {
    expect(urgencyReasonFor({ purpose }, words)).toBe(reason);
  });
  it('reads the form’s urgency field', () => {
    expect(urgencyReasonFor({ purpose: '', urgentField: { field: 'F_Urgent', value: '是' } }, words)).toBe(
      '金蝶字段 F_Urgent 为「是」',
    );
    expect(
      urgencyReasonFor({ purpose: '', urgentField: { field: 'F_Urgent', value: 'false' } }, words),
    ).toBeUndefined();
  });
});
