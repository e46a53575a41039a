/**
 * An approver's day, end to end on the real dev server with both emulators: what each person sees in DingTalk —
 * a new card for each submission round, cards that show the document (per form), urgent documents, and 待办.
 */
import { eventually } from '../helpers/eventually';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';
import { documentChangedSignal, markUrgentSignal } from '../../workflows/contract';
import { dingtalkClientFor } from '../helpers/dingtalk';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
escalation: { robot: finance, notifyManager: false }
ops: { robot: ops }
defaults: { remindAfter: 1h, escalateAfter: 4h }
urgency: { remindAfter: 2s, remindEvery: 3s, escalateAfter: 1h, fields: { ER_ExpReimbursement: F_UrgentFlag } }
forms:
  ER_ExpReimbursement:
    name: 费用报销单
  AP_PAYBILL:
    name: 付款单
    kingdeeWorkflow: true
  AP_Payable:
    name: 应付单
  PUR_PurchaseOrder:
    name: 采购订单
    card: { fields: [counterparty, billDate, lines, waiting] }
chains:
  ER_ExpReimbursement:
    - { id: dept-manager, name: 部门经理审批, approvers: [{ applicantManager: true }] }
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
  AP_PAYBILL:
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
  AP_Payable:
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
  PUR_PurchaseOrder:
    - { id: countersign, name: 总经理与财务经理会签, mode: all, approvers: [{ user: zhouba }, { user: wangwu }] }
`);

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
});
afterAll(async () => {
  await world?.stop();
});

const cardsOf = (userId: string, billNo: string) =>
  world.dingtalk.cardsFor(userId).filter((c) => c.cardParamMap.billNo === billNo);

async function pendingCard(userId: string, billNo: string, notOutTrackId?: string) {
  return eventually(
    () => cardsOf(userId, billNo).find((c) => c.cardParamMap.status === 'pending' && c.outTrackId !== notOutTrackId),
    15_000,
    `${userId}'s pending card for ${billNo}`,
  );
}

async function click(userId: string, billNo: string, actionId: 'approve' | 'reject', comment = '') {
  const card = await pendingCard(userId, billNo);
  return world.dingtalk.click(card.outTrackId, {
    userId,
    actionId,
    params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId, comment },
  });
}

it('a resubmitted document is a new round: a new card for the approver, the first keeps the rejection', async () => {
  world.submitExpense('FYBX000901', 3200, '差旅费 北京出差');
  const submitted = world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000901')!.fields.FModifyDate as string;
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000901');
  const startAgain = (modifyDate: string) =>
    world.service.approvals.start(
      { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000901' },
      {
        modifyDate,
      },
    );
  expect(await startAgain(submitted)).toMatchObject({ started: false, reason: 'running' });
  const first = await pendingCard('lisi', 'FYBX000901');
  await click('lisi', 'FYBX000901', 'reject', '发票缺失');
  await world.waitForStage(id, 'rejected');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000901')!.status).not.toBe('B');
  // The version the rejected round decided is not started again (a poller seeing it once more).
  await world.service.client.workflow.getHandle(id).result();
  expect(await startAgain(submitted)).toMatchObject({ started: false, reason: 'this version was already handled' });

  // The applicant fixes it and submits again in Kingdee (FModifyDate moves on, to the next second at least).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000901', 'B');
  const again = await world.startApproval('ER_ExpReimbursement', 'FYBX000901');
  expect(again).toBe(id);
  const second = await pendingCard('lisi', 'FYBX000901', first.outTrackId);

  expect(second.outTrackId).not.toBe(first.outTrackId);
  const cards = cardsOf('lisi', 'FYBX000901');
  expect(cards).toHaveLength(2);
  const old = cards.find((c) => c.outTrackId === first.outTrackId)!;
  expect(old.cardParamMap.status).toBe('rejected');
  expect(old.cardParamMap.result).toMatch(/李四 已驳回.*发票缺失/);
  expect(old.cardParamMap.actions).toBe('[]');

  await click('lisi', 'FYBX000901', 'approve');
  await click('wangwu', 'FYBX000901', 'approve');
  await world.waitForStage(id, 'approved');
  expect(world.dingtalk.cardsFor('lisi').find((c) => c.outTrackId === first.outTrackId)!.cardParamMap.status).toBe(
    'rejected',
  );
});

const details = (params: Record<string, string>) =>
  Object.fromEntries(
    (JSON.parse(params.details ?? '[]') as Array<{ label: string; value: string }>).map((d) => [d.label, d.value]),
  );

it('each form’s card shows its fields from Kingdee, the chain so far and who must still decide', async () => {
  await world.startApproval('ER_ExpReimbursement', 'FYBX000123');
  await world.startApproval('AP_PAYBILL', 'FKD000045');
  await world.startApproval('AP_Payable', 'AP000311');
  await world.startApproval('PUR_PurchaseOrder', 'CGDD000078');

  const claim = (await pendingCard('lisi', 'FYBX000123')).cardParamMap;
  expect(details(claim)).toEqual({
    部门: '销售部',
    组织: '演示集团总部',
    单据日期: '2026-11-20',
    附件: '请在金蝶中查看',
  });
  expect(claim).toMatchObject({
    purpose: '差旅费 上海客户拜访',
    chain: '尚无审批记录',
    waiting: '部门经理审批：待 李四 审批',
  });
  expect(JSON.parse(claim.lines!)).toEqual([
    { name: '差旅费', amount: '8,000.00' },
    { name: '住宿费', amount: '4,800.00' },
  ]);

  const pay = (await pendingCard('wangwu', 'FKD000045')).cardParamMap;
  expect(details(pay)).toEqual({
    收款单位: '上海云杉科技有限公司',
    组织: '演示集团总部',
    单据日期: '2026-11-20',
    附件: '请在金蝶中查看',
  });
  expect(pay.purpose).toBe('支付上海云杉科技 服务器采购款');

  const payable = (await pendingCard('wangwu', 'AP000311')).cardParamMap;
  expect(details(payable)).toMatchObject({ 供应商: '杭州木语家具有限公司', 组织: '演示集团总部' });
  expect(JSON.parse(payable.lines!)).toEqual([{ name: '办公桌', amount: '23,400.00' }]);

  // The rules file chose the purchase order's fields.
  const order = (await pendingCard('zhouba', 'CGDD000078')).cardParamMap;
  expect(details(order)).toEqual({ 供应商: '深圳星河电子有限公司', 单据日期: '2026-11-20' });
  expect(order).toMatchObject({
    purpose: '',
    chain: '',
    waiting: '总经理与财务经理会签：待 周八、王五 审批（需全部同意）',
  });

  // 王五's card shows that 李四 approved, when, and what he said.
  await click('lisi', 'FYBX000123', 'approve', '情况属实');
  const second = (await pendingCard('wangwu', 'FYBX000123')).cardParamMap;
  expect(second.chain).toMatch(/^李四 已同意（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）：情况属实$/);
  expect(second.waiting).toBe('财务经理审批：待 王五 审批');
});

it('an urgent document is marked 【加急】, logged with the reason, and reminded on the urgent schedule', async () => {
  world.submitExpense('FYBX000911', 2600, '服务器维修 加急');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000911');
  const card = await pendingCard('lisi', 'FYBX000911');
  expect(card.cardParamMap.title).toBe('【加急】费用报销单审批');
  expect(card.cardParamMap.urgent).toBe('true');

  // The step's own reminder is an hour away; the urgent one comes after 2 s, then every 3 s.
  const reminders = () =>
    world.dingtalk
      .messagesFor({ userId: 'lisi' })
      .filter((m) => m.title === '【加急】【催办】费用报销单 FYBX000911 待您审批');
  await eventually(() => reminders().length >= 2 || undefined, 20_000, 'two urgent reminders');
  const state = await world.status(id);
  expect(state.urgent?.reason).toBe('事由含「加急」');
  expect(state.log.find((e) => e.details?.urgent === true)?.comment).toBe('标记为加急：事由含「加急」');
  expect(state.steps[0]!.remindersSent).toBeGreaterThanOrEqual(2);
});

it('a document whose configured Kingdee field says so is urgent', async () => {
  world.kingdee.createDocument({
    formId: 'ER_ExpReimbursement',
    billNo: 'FYBX000913',
    status: 'B',
    fields: {
      FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
      FReqReimbAmountSum: 300,
      FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
      FCausa: '快递费',
      F_UrgentFlag: true,
    },
  });
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000913');
  expect((await pendingCard('lisi', 'FYBX000913')).cardParamMap.title).toBe('【加急】费用报销单审批');
  expect((await world.status(id)).urgent?.reason).toBe('金蝶字段 F_UrgentFlag 为「true」');
});

it('a markUrgent signal (a message to the bot) makes a running approval urgent: cards retitled, urgent reminders', async () => {
  world.submitExpense('FYBX000912', 900, '办公用品');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000912');
  const card = await pendingCard('lisi', 'FYBX000912');
  expect(card.cardParamMap.title).toBe('费用报销单审批');

  await world.service.client.workflow
    .getHandle(id)
    .signal(markUrgentSignal, { by: 'zhangsan', text: '王总急催 FYBX000912', channel: 'text' });
  await eventually(
    () =>
      world.dingtalk.cardsFor('lisi').find((c) => c.outTrackId === card.outTrackId)?.cardParamMap.title ===
        '【加急】费用报销单审批' || undefined,
    15_000,
    'the card retitled',
  );
  const state = await eventually(
    async () => {
      const s = await world.status(id);
      return s.urgent ? s : undefined;
    },
    10_000,
    'urgent',
  );
  expect(state.urgent).toMatchObject({ by: 'zhangsan', reason: '张三 发消息「王总急催 FYBX000912」' });
  await eventually(
    () =>
      world.dingtalk
        .messagesFor({ userId: 'lisi' })
        .some((m) => m.title === '【加急】【催办】费用报销单 FYBX000912 待您审批') || undefined,
    15_000,
    'an urgent reminder',
  );
  // Still pending, buttons still there.
  const after = world.dingtalk.cardsFor('lisi').find((c) => c.outTrackId === card.outTrackId)!;
  expect(after.cardParamMap.status).toBe('pending');
  expect(after.cardParamMap.actions).toBe('["approve","reject","transfer","addApprover"]');
});

const todosOf = (userId: string, billNo: string) =>
  world.dingtalk.todosFor(userId, { includeDeleted: true }).filter((t) => t.subject.includes(billNo));

it('each pending approver has a 待办 — due at escalation, linked — done when they decide, exactly once', async () => {
  world.submitExpense('FYBX000921', 1500, '客户招待');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000921');
  const startedAt = Date.now();
  await pendingCard('lisi', 'FYBX000921');
  const [todo] = await eventually(
    () => (todosOf('lisi', 'FYBX000921').length ? todosOf('lisi', 'FYBX000921') : undefined),
    10_000,
    'lisi’s 待办',
  );
  expect(todo).toMatchObject({
    subject: '审批：费用报销单 FYBX000921（张三，¥1,500.00）',
    description: '部门经理审批 · 事由：客户招待',
    done: false,
    unionId: 'union-lisi',
    executorIds: ['union-lisi'],
  });
  expect(todo!.detailUrl?.appUrl).toContain('FYBX000921');
  expect(todo!.sourceId).toMatch(/^kdb-todo-[0-9a-f]{40}$/);
  // Due when the step escalates: 4 h (always-open calendar) after it started.
  expect(todo!.dueTime! - startedAt).toBeGreaterThan(4 * 3_600_000 - 60_000);
  expect(todo!.dueTime! - startedAt).toBeLessThan(4 * 3_600_000 + 60_000);

  await click('lisi', 'FYBX000921', 'approve');
  await eventually(() => todosOf('lisi', 'FYBX000921')[0]?.done || undefined, 10_000, 'lisi’s 待办 done');
  await eventually(() => todosOf('wangwu', 'FYBX000921')[0], 10_000, 'wangwu’s 待办');
  await click('wangwu', 'FYBX000921', 'reject', '超标');
  await world.waitForStage(id, 'rejected');
  await eventually(() => todosOf('wangwu', 'FYBX000921')[0]?.done || undefined, 10_000, 'wangwu’s 待办 done');
  expect(todosOf('lisi', 'FYBX000921')).toHaveLength(1);
  expect(todosOf('wangwu', 'FYBX000921')).toHaveLength(1);
  expect(todosOf('wangwu', 'FYBX000921')[0]!.deleted).toBe(false);
});

it('a 待办 is removed when the document leaves approval in Kingdee; a retried create makes no second one', async () => {
  world.submitExpense('FYBX000922', 700, '打印耗材');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000922');
  const todo = await eventually(() => todosOf('lisi', 'FYBX000922')[0], 15_000, 'lisi’s 待办');

  // The same sourceId again (as a retried activity would send it) answers the same task.
  const client = dingtalkClientFor(world.dingtalk);
  const again = await client.createTodo({ unionId: 'union-lisi', subject: 'x', sourceId: todo.sourceId! });
  expect(again.id).toBe(todo.id);
  expect(todosOf('lisi', 'FYBX000922')).toHaveLength(1);

  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000922', 'A');
  await world.service.client.workflow.getHandle(id).signal(documentChangedSignal, { status: 'A', source: 'push' });
  await world.waitForStage(id, 'closed-in-kingdee');
  await eventually(() => todosOf('lisi', 'FYBX000922')[0]?.deleted || undefined, 10_000, 'lisi’s 待办 removed');
  expect(world.dingtalk.todosFor('lisi').filter((t) => t.subject.includes('FYBX000922'))).toEqual([]);
});
