/**
 * 确认付款 end to end (real service on the Temporal dev server, both emulators, bot messages over Stream): a cashier's
 * reply pushes the approved reimbursement down to ONE 付款单 in Kingdee however often it is sent or the workflow is
 * started, submits it as configured, and the cashier group is told; others are refused; unknown and unaudited bills
 * get a clear answer.
 */
import { sayToBot } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';
import { paymentWorkflowId, workflowTypes, type PaymentInput, type PaymentOutcome } from '../../workflows/contract';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  cashier: { webhook: cashier }
cashiers: [qianqi]
forms:
  ER_ExpReimbursement:
    name: 费用报销单
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款 {单号}
    payment: { pushRuleId: ER_ExpReimbursementToPayBill, submit: true, robot: cashier }
chains:
  ER_ExpReimbursement:
    - { id: manager, name: 部门经理审批, approvers: [{ user: lisi }] }
`);

const form = 'ER_ExpReimbursement';
let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
});
afterAll(async () => {
  await world?.stop();
});

const say = (userId: string, text: string) => sayToBot(world.dingtalk, userId, text);

/** A submitted reimbursement with one row paid by 电汇 (the 付款单 needs a 结算方式). */
function submitWithRows(billNo: string, amount: number): void {
  world.kingdee.createDocument({
    formId: form,
    billNo,
    status: 'B',
    fields: {
      FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
      FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
      FPaySettlleTypeID: { id: 4, number: 'JSFS04_SYS', name: '电汇' },
      FCausa: `差旅 ${billNo}`,
      FReqReimbAmountSum: amount,
    },
    entries: [{ FExpID: { id: 11, number: 'FY001', name: '差旅费' }, FExpSubmitAmount: amount }],
  });
}

const payBillsOf = (billNo: string) =>
  [...world.kingdee.documents.values()].filter(
    (d) => d.formId === 'AP_PAYBILL' && d.links.some((l) => l.sourceFormId === form && l.sourceBillNo === billNo),
  );

it('确认付款 twice and a repeated workflow start make exactly one submitted 付款单, linked to the source', async () => {
  const billNo = 'PAY-T-001';
  submitWithRows(billNo, 1280);
  const id = await world.startApproval(form, billNo);
  await eventually(
    () => world.dingtalk.cardsFor('lisi').some((c) => c.cardParamMap.billNo === billNo),
    15_000,
    'the card',
  );
  expect(await say('lisi', `同意 ${billNo}`)).toBe(`已同意 ${billNo}`);
  await world.waitForStage(id, 'approved');
  expect(world.kingdee.getDocument(form, billNo)?.status).toBe('C');

  // A non-cashier is refused; nothing is pushed.
  expect(await say('zhangsan', `确认付款 ${billNo}`)).toBe('只有出纳可以确认付款；如需付款请联系出纳');
  expect(payBillsOf(billNo)).toHaveLength(0);

  const first = await say('qianqi', `确认付款 ${billNo}`);
  expect(first).toMatch(new RegExp(`^已生成付款单 FKD\\d+（来源 ${billNo}，审核中）$`));
  const paymentBillNo = /FKD\d+/.exec(first)![0];
  expect(await say('qianqi', `确认付款 ${billNo}`)).toBe(
    `${billNo} 已生成过付款单 ${paymentBillNo}（审核中），未重复生成`,
  );

  // As a worker restart would: the workflow started again, twice, directly.
  const args: PaymentInput = {
    acctId: world.acctId,
    formId: form,
    billNo,
    requestedBy: 'qianqi',
    pushRuleId: 'ER_ExpReimbursementToPayBill',
    targetFormId: 'AP_PAYBILL',
    submit: true,
    audit: false,
  };
  const workflowId = paymentWorkflowId({ acctId: world.acctId, formId: form, billNo });
  const starts = await Promise.all(
    [1, 2].map(() =>
      world.service.client.workflow.start(workflowTypes.payment, {
        taskQueue: world.taskQueue,
        workflowId,
        args: [args],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    ),
  );
  for (const handle of starts) {
    const outcome = (await handle.result()) as PaymentOutcome;
    expect(outcome).toMatchObject({ kind: 'paid', paymentBillNo, created: false });
  }

  const payBills = payBillsOf(billNo);
  expect(payBills).toHaveLength(1);
  expect(payBills[0]).toMatchObject({ billNo: paymentBillNo, status: 'B' });
  expect(payBills[0]!.links[0]).toMatchObject({ ruleId: 'ER_ExpReimbursementToPayBill' });

  // The cashier group: the follow-up, then 已生成付款单 once.
  await world.noticesDelivered();
  const group = world.dingtalk.messagesFor({ groupId: 'cidCashier' }).filter((m) => m.kind === 'robot');
  expect(group.filter((m) => m.text.includes(`请出纳安排报销付款 ${billNo}`))).toHaveLength(1);
  expect(group.filter((m) => m.text.includes(`已生成付款单 ${paymentBillNo}`))).toHaveLength(1);
}, 120_000);

it('unknown and not yet audited bills get a clear answer and push nothing', async () => {
  expect(await say('qianqi', '确认付款 PAY-NOPE-9')).toBe(
    '未找到单据 PAY-NOPE-9，请核对单据编号（只有已审核的报销单可以确认付款）',
  );
  submitWithRows('PAY-T-002', 300);
  expect(await say('qianqi', '确认付款 PAY-T-002')).toBe('单据 PAY-T-002 当前状态为「审核中」，审核通过后才能确认付款');
  expect(payBillsOf('PAY-T-002')).toHaveLength(0);
}, 60_000);

it('a 付款单 Kingdee refuses (结算方式必录) gets its reason, pushes nothing and fails nothing; fixed in Kingdee, 确认付款 again pays', async () => {
  const billNo = 'PAY-T-003';
  submitWithRows(billNo, 520);
  const doc = world.kingdee.getDocument(form, billNo)!;
  delete doc.fields.FPaySettlleTypeID; // as a bill made in chat or from a DingTalk OA approval may be
  world.kingdee.setStatus(form, billNo, 'C');

  const refused = await say('qianqi', `确认付款 ${billNo}`);
  expect(refused).toMatch(
    new RegExp(`^金蝶未能为 ${billNo} 生成付款单：.*结算方式.*。请在金蝶补全单据后再回复 确认付款 ${billNo}$`),
  );
  expect(payBillsOf(billNo)).toHaveLength(0);
  const workflowId = paymentWorkflowId({ acctId: world.acctId, formId: form, billNo });
  const run = await world.service.client.workflow.getHandle(workflowId).describe();
  expect(run.status.name).toBe('COMPLETED');
  await world.noticesDelivered();
  const group = world.dingtalk.messagesFor({ groupId: 'cidCashier' }).filter((m) => m.kind === 'robot');
  expect(group.filter((m) => m.text.includes(`${billNo} 未能生成付款单`))).toHaveLength(1);

  doc.fields.FPaySettlleTypeID = { id: 4, number: 'JSFS04_SYS', name: '电汇' };
  expect(await say('qianqi', `确认付款 ${billNo}`)).toMatch(
    new RegExp(`^已生成付款单 FKD\\d+（来源 ${billNo}，审核中）$`),
  );
  expect(payBillsOf(billNo)).toHaveLength(1);
}, 90_000);
