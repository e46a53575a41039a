/**
 * The approval lifecycle end to end on the real dev server, with the real service against both emulators over
 * real HTTP and Stream: outcomes asserted on Kingdee (status, counters, comments), cards, messages and workflow state.
 */
import { verifyLog } from '../../domain/decision-log';
import { pendingCard } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { localActivityMarkers, patchMarkers } from '../helpers/history';
import { rulesHeader, singleStepRules, testRules } from '../helpers/rules';
import { approvalWorkflowId } from '../../workflows/contract';
import { startWorld, type World } from '../helpers/world';

const threeStepRules = testRules(`${rulesHeader}
forms:
  ER_ExpReimbursement:
    name: 费用报销单
    rejectOperation: cancelAssign
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款：{单号} {申请人} {金额}
  AP_PAYBILL:
    name: 付款单
    kingdeeWorkflow: true
    rejectOperation: workflowReject
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排付款
  PUR_PurchaseOrder:
    name: 采购订单
chains:
  ER_ExpReimbursement:
    - { id: dept-manager, name: 部门经理审批, approvers: [{ applicantManager: true }] }
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
    - { id: cfo, name: 财务总监审批, when: { amount: { gt: 50000 } }, approvers: [{ user: zhaoliu }] }
  AP_PAYBILL:
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
    - { id: cfo, name: 财务总监审批, when: { amount: { gt: 50000 } }, approvers: [{ user: zhaoliu }] }
  PUR_PurchaseOrder:
    - { id: countersign, name: 总经理与财务经理会签, mode: all, approvers: [{ user: zhouba }, { user: wangwu }] }
`);

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules: threeStepRules });
});
afterAll(async () => {
  await world?.stop();
});

const cardOf = (userId: string, billNo: string) => pendingCard(world.dingtalk, userId, billNo);

async function click(userId: string, billNo: string, actionId: 'approve' | 'reject', comment = '') {
  const card = await cardOf(userId, billNo);
  return world.dingtalk.click(card.outTrackId, {
    userId,
    actionId,
    params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId, comment },
  });
}

it('runs a two-step chain to approval: cards, Kingdee audited once with the real approvers named, applicant and cashier told', async () => {
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000123');
  const card = await cardOf('lisi', 'FYBX000123');
  expect(card.cardParamMap).toMatchObject({
    title: '费用报销单审批',
    applicant: '张三',
    amount: '12,800.00',
    purpose: '差旅费 上海客户拜访',
    stepName: '部门经理审批',
  });

  const clicked = await click('lisi', 'FYBX000123', 'approve');
  expect(clicked.cardParamMap.status).toBe('approved'); // the callback's answer, applied by DingTalk
  // 王五 decides once his 待办 exists (it is made beside the decisions; a click that beats it: approvers-first.test).
  await eventually(
    () => world.dingtalk.todosFor('wangwu').some((t) => t.subject.includes('FYBX000123')),
    15_000,
    'wangwu’s 待办',
  );
  await click('wangwu', 'FYBX000123', 'approve', '情况属实');
  const state = await world.waitForStage(id, 'approved');

  const doc = world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000123')!;
  expect(doc.status).toBe('C');
  expect(world.kingdee.stats().byDocument.FYBX000123).toEqual({ Audit: 1 });
  expect(state.steps.map((s) => [s.id, s.outcome])).toEqual([
    ['dept-manager', 'approved'],
    ['finance-manager', 'approved'],
  ]);
  expect(state.log.find((e) => e.action === 'writeBack')?.comment).toMatch(
    /^钉钉审批：李四 .* 同意；王五 .* 同意：情况属实$/,
  );
  expect(verifyLog(state.log)).toMatchObject({ ok: true });

  const cards = world.dingtalk.cardsFor().filter((c) => c.cardParamMap.billNo === 'FYBX000123');
  expect(cards.map((c) => [c.userIds[0], c.cardParamMap.status, c.cardParamMap.actions])).toEqual([
    ['lisi', 'approved', '[]'],
    ['wangwu', 'approved', '[]'],
  ]);
  expect(world.dingtalk.messagesFor({ userId: 'zhangsan' }).map((m) => m.title)).toContain(
    '费用报销单 FYBX000123 已审批通过',
  );
  expect(
    world.dingtalk
      .messagesFor({ groupId: 'cidCashier' })
      .map((m) => m.text)
      .join('\n'),
  ).toContain('请出纳安排报销付款：FYBX000123 张三 ¥12,800.00');

  // After the write-back, the applicant's notice and the cashier's follow-up start together: one workflow task
  // schedules both, not one task each (in a month-end burst every workflow task is CPU and a round trip).
  const events = (await world.service.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const scheduled = events.flatMap((event) => {
    const attributes = event.activityTaskScheduledEventAttributes;
    return attributes
      ? [{ name: attributes.activityType?.name, by: String(attributes.workflowTaskCompletedEventId) }]
      : [];
  });
  const writeBackAt = scheduled.findIndex((activity) => activity.name === 'writeBack');
  // The deciding click's card already shows the decision (the callback's answer, which the API confirmed): it is not
  // updated again — one metered DingTalk call less per approval — and Kingdee is written first.
  const signals = events.flatMap((event) => event.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  expect(signals).toContain('cardAnswered');
  const withWriteBack = scheduled.filter((activity) => activity.by === scheduled[writeBackAt]!.by);
  // The settling decision's 待办 close with the write-back, in the same workflow task: the write-back no longer waits
  // for them to close first (an activity on a rate-limited queue and a workflow task more).
  expect(withWriteBack.map((activity) => activity.name)).toEqual(['writeBack', 'closeApprovalTodos']);
  // The 待办 are created and closed on task queues of their own (other DingTalk APIs, with rates of their own): an
  // approval's 待办 never wait behind a burst's new cards on card-sends, nor their closing behind new 待办.
  const queuesOf = (names: string[]) =>
    new Set(
      events.flatMap((event) => {
        const attributes = event.activityTaskScheduledEventAttributes;
        return attributes && names.includes(attributes.activityType?.name ?? '') ? [attributes.taskQueue?.name] : [];
      }),
    );
  expect(queuesOf(['createApprovalTodos'])).toEqual(new Set([`${world.taskQueue}-todos`]));
  expect(queuesOf(['closeApprovalTodos'])).toEqual(new Set([`${world.taskQueue}-todo-updates`]));
  expect(queuesOf(['deliverApprovalCards'])).toEqual(new Set([`${world.taskQueue}-card-sends`]));
  // Neither is 李四's card after the first step's decision: no card of this chain is updated by the workflow.
  expect(scheduled.map((activity) => activity.name)).not.toContain('updateApprovalCards');
  // The applicant's lookup and both notices' hand-over to their outboxes run inside the workflow task that sees the
  // write-back and the 待办 closing done (a local activity, recorded as a marker): no activity after the write-back's.
  // And in one local activity, not one each: each local activity's result is an activation of the worker's one
  // workflow thread (before: findApplicant, notifyGroup, notifyUsers — three).
  expect(scheduled.slice(writeBackAt + 1)).toEqual(withWriteBack.slice(1));
  const writeBackEventId = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'writeBack',
  )!.eventId;
  const afterWriteBack = events.filter((event) => Number(event.eventId) > Number(writeBackEventId));
  const inlineAfterWriteBack = localActivityMarkers(afterWriteBack);
  expect(inlineAfterWriteBack.map((activity) => activity.type)).toEqual(['handOverNotices']);

  // A new run records one patch marker, the bundle that stands for all the workflow's patches — not one marker and
  // one TemporalChangeVersion upsert per patch (workflows/approval/patches.ts).
  expect(patchMarkers(events)).toEqual(['approval-patches-2026-12f']);

  // The overview re-sends nothing: the memo once (its summary never changes after planning), and each search
  // attribute upsert only the attributes whose value changed — each upsert is an event and a visibility write.
  expect(events.filter((event) => event.workflowPropertiesModifiedEventAttributes)).toHaveLength(1);
  const upserted = new Map<string, string>();
  const resent: string[] = [];
  for (const event of events) {
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    for (const [key, payload] of Object.entries(fields)) {
      const value = Buffer.from(payload.data ?? new Uint8Array()).toString('utf8');
      if (upserted.get(key) === value) resent.push(`${key}=${value}`);
      upserted.set(key, value);
    }
  }
  expect(resent).toEqual([]);
  expect(JSON.parse(upserted.get('ApprovalStage')!)).toBe('approved');
  expect(JSON.parse(upserted.get('KingdeeBillNo')!)).toBe('FYBX000123');

  // Planning and the approvers' lookup run inside the first workflow task (local activities, recorded as markers):
  // the first card is scheduled by the approval's first workflow task, not its third.
  const firstTaskCompleted = events.find((event) => event.workflowTaskCompletedEventAttributes)!;
  expect(scheduled[0]).toEqual({ name: 'deliverApprovalCards', by: String(firstTaskCompleted.eventId) });
  expect(scheduled.map((activity) => activity.name)).not.toContain('planApproval');
  expect(scheduled.map((activity) => activity.name)).not.toContain('resolveApprovers');
  // … in one local activity: planning resolves the first step's approvers too (before: planApproval, then
  // resolveApprovers — two activations of the workflow thread). The second step resolves its own when it starts.
  const inlineFirstTask = localActivityMarkers(events).filter(
    (activity) => activity.by === String(firstTaskCompleted.eventId),
  );
  expect(inlineFirstTask.map((activity) => activity.type)).toEqual(['planApprovalWithApprovers']);
  expect(localActivityMarkers(events).map((activity) => activity.type)).toContain('resolveApprovers');
});

it('updates a decided card itself when the API never confirmed that the click’s answer reached DingTalk', async () => {
  world.submitExpense('FYBX000207', 640, '办公用品');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000207');
  // Card decisions whose answers went out too late: the Update applies each, but no confirmation follows — on the
  // first step (the chain moves on) and on the last (the approval settles).
  const firstCard = await cardOf('lisi', 'FYBX000207');
  const first = await world.service.approvals.decide(id, { userId: 'lisi', action: 'approve', channel: 'card' });
  expect(first.kind).toBe('accepted');
  const card = await cardOf('wangwu', 'FYBX000207');
  const firstShown = world.dingtalk.cardsFor().find((c) => c.outTrackId === firstCard.outTrackId)!;
  expect(firstShown.cardParamMap).toMatchObject({ status: 'approved', actions: '[]' });
  const late = await world.service.approvals.decide(id, { userId: 'wangwu', action: 'approve', channel: 'card' });
  expect(late.kind).toBe('accepted');
  await world.waitForStage(id, 'approved');
  const shown = await eventually(
    () =>
      world.dingtalk.cardsFor().find((c) => c.outTrackId === card.outTrackId && c.cardParamMap.status !== 'pending'),
    30_000,
    'the card updated by the workflow',
  );
  expect(shown.cardParamMap).toMatchObject({ status: 'approved', actions: '[]' });
  const events = (await world.service.client.workflow.getHandle(id).fetchHistory()).events ?? [];
  // Each time it waited for a confirmation first.
  expect(events.filter((event) => event.timerFiredEventAttributes)).toHaveLength(2);
});

it('puts a card right with the next click when the answer to the deciding click never reached DingTalk', async () => {
  world.submitExpense('FYBX000208', 720, '差旅费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000208');
  // The answer to lisi's click is lost on its way back (the connection broke after the API sent it, in time): the
  // decision is taken, DingTalk tells lisi the click failed, and the card keeps its buttons.
  world.dingtalk.cardAnswersToLose = 1;
  const lost = await click('lisi', 'FYBX000208', 'approve');
  expect(lost.lastCallback).toMatchObject({ ok: false });
  expect(lost.cardParamMap.status).toBe('pending');
  const wangwuCard = await cardOf('wangwu', 'FYBX000208');
  // lisi clicks again while the approval runs: refused (the step moved on), and the answer shows the decision.
  const again = await click('lisi', 'FYBX000208', 'approve');
  expect(again.lastCallback).toMatchObject({ ok: true });
  expect(again.cardParamMap).toMatchObject({ status: 'approved', actions: '[]' });
  expect(again.cardParamMap.result).toContain('李四 已同意');
  expect(again.privateData.lisi?.tip).toBe(
    '单据 FYBX000208 的「部门经理审批」已由 李四 同意，已进入「财务经理审批」，无需您再操作',
  );

  // The settling click's answer is lost too: the approval ends with wangwu's card still offering buttons …
  world.dingtalk.cardAnswersToLose = 1;
  expect((await click('wangwu', 'FYBX000208', 'approve')).lastCallback).toMatchObject({ ok: false });
  await world.service.client.workflow.getHandle(id).result();
  expect(world.dingtalk.cardsFor().find((c) => c.outTrackId === wangwuCard.outTrackId)?.cardParamMap.status).toBe(
    'pending',
  );
  // … until wangwu presses it again: the ended approval's answer shows their approval.
  const healed = await click('wangwu', 'FYBX000208', 'approve');
  expect(healed.outTrackId).toBe(wangwuCard.outTrackId);
  expect(healed.cardParamMap).toMatchObject({ status: 'approved', actions: '[]' });
  expect(healed.cardParamMap.result).toContain('王五 已同意');
  expect(healed.privateData.wangwu?.tip).toMatch(/^单据 FYBX000208 已审批通过.*无需再操作$/);
  expect(world.kingdee.stats().byDocument.FYBX000208).toEqual({ Audit: 1 });
});

it('adds the CFO step over ¥50,000 and approves a Kingdee-workflow form with WorkflowAudit on the approver’s behalf', async () => {
  const id = await world.startApproval('AP_PAYBILL', 'FKD000045');
  await click('wangwu', 'FKD000045', 'approve');
  await click('zhaoliu', 'FKD000045', 'approve', '同意付款');
  const state = await world.waitForStage(id, 'approved');
  expect(state.steps.map((s) => s.id)).toEqual(['finance-manager', 'cfo']);
  const doc = world.kingdee.getDocument('AP_PAYBILL', 'FKD000045')!;
  expect(doc.status).toBe('C');
  expect(doc.history.at(-1)).toMatchObject({ operation: 'WorkflowAudit', user: 'zhaoliu' });
  expect(doc.history.at(-1)?.comment).toMatch(/王五 .* 同意；赵六 .* 同意：同意付款/);
  expect(world.kingdee.stats().byDocument.FKD000045).toEqual({ WorkflowAudit: 1 });
});

it('needs every approver on an all-must-approve step; a double click is one decision; a stranger is refused', async () => {
  const id = await world.startApproval('PUR_PurchaseOrder', 'CGDD000078');
  const first = await click('zhouba', 'CGDD000078', 'approve');
  expect(first.cardParamMap.status).toBe('approved');
  const again = await world.dingtalk.click(first.outTrackId, {
    userId: 'zhouba',
    actionId: 'approve',
    params: { workflowId: id, stepId: 'countersign' },
  });
  // A refusal is a private tip for the clicker; the card keeps its own state.
  expect(again.privateData.zhouba?.tip).toBe('您已处理过单据 CGDD000078，无需重复操作');
  expect(again.cardParamMap.result).toBe(first.cardParamMap.result);
  expect((await world.status(id)).stage).toBe('awaiting-approval');

  const stranger = await world.service.approvals.decide(id, { userId: 'qianqi', action: 'approve', channel: 'api' });
  expect(stranger).toEqual({ kind: 'refused', message: '您不是该单据的审批人（CGDD000078）' });
  const before = await world.status(id);
  expect(before.log.filter((e) => e.actor === 'qianqi')).toEqual([]);

  await click('wangwu', 'CGDD000078', 'approve');
  const state = await world.waitForStage(id, 'approved');
  expect(state.steps[0]?.approvedBy).toEqual(['zhouba', 'wangwu']);
  expect(world.kingdee.stats().byDocument.CGDD000078).toEqual({ Audit: 1 });
});

it('rejects with a required comment: the reject operation runs in Kingdee and the applicant hears why', async () => {
  world.submitExpense('FYBX000201', 880, '招待费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000201');
  const noComment = await click('lisi', 'FYBX000201', 'reject');
  expect(noComment.cardParamMap).toMatchObject({ status: 'pending', result: '' });
  expect(noComment.privateData.lisi?.tip).toBe('驳回需要写明原因，例如：驳回 FYBX000201 发票缺失');
  await click('lisi', 'FYBX000201', 'reject', '发票缺失');
  await world.waitForStage(id, 'rejected');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000201')?.status).toBe('A');
  const notice = world.dingtalk
    .messagesFor({ userId: 'zhangsan' })
    .find((m) => m.title === '费用报销单 FYBX000201 已被驳回');
  expect(notice?.text).toContain('原因：发票缺失');
});

it('transfers (转交) to another person, whose approval then counts', async () => {
  world.submitExpense('FYBX000202', 300, '交通费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000202');
  await cardOf('lisi', 'FYBX000202');
  const transfer = await world.service.approvals.decide(id, {
    userId: 'lisi',
    action: 'transfer',
    targetUserId: 'zhouba',
    channel: 'text',
  });
  expect(transfer).toMatchObject({ kind: 'accepted', result: { message: '已将 FYBX000202 转交给 周八' } });
  await click('zhouba', 'FYBX000202', 'approve');
  await click('wangwu', 'FYBX000202', 'approve');
  const state = await world.waitForStage(id, 'approved');
  expect(state.steps[0]?.slots[0]).toMatchObject({
    assignee: 'zhouba',
    transferredFrom: ['lisi'],
    decision: { by: 'zhouba', action: 'approve' },
  });
  const lisiCard = world.dingtalk.cardsFor('lisi').find((c) => c.cardParamMap.billNo === 'FYBX000202');
  expect(lisiCard?.cardParamMap.result).toMatch(/李四 已转交给 周八/);
});

it('stops when the document changes in Kingdee, and the cards say so', async () => {
  world.submitExpense('FYBX000203', 100, '快递费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000203');
  const card = await cardOf('lisi', 'FYBX000203');
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000203', 'C');
  await world.service.approvals.documentChanged(
    { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000203' },
    { status: 'C', source: 'poll' },
  );
  await world.waitForStage(id, 'closed-in-kingdee');
  await eventually(() => world.dingtalk.cards.get(card.outTrackId)?.cardParamMap.status === 'closed');
  expect(world.dingtalk.cards.get(card.outTrackId)?.cardParamMap.result).toBe(
    '已在金蝶处理（金蝶状态：已审核），无需在钉钉操作',
  );
  expect(world.kingdee.stats().byDocument.FYBX000203).toEqual({ 'manual:C': 1 });
});

it('audits exactly once when the write-back hits server errors and a lock, and when the worker restarts mid-workflow', async () => {
  world.submitExpense('FYBX000204', 450, '培训费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000204');
  await click('lisi', 'FYBX000204', 'approve');
  await cardOf('wangwu', 'FYBX000204');

  await world.service.stopWorker();
  const queued = await world.service.approvals.decide(id, { userId: 'wangwu', action: 'approve', channel: 'text' });
  expect(queued.kind).toBe('queued'); // no worker: handed over durably as a signal
  world.kingdee.faults.push(
    { kind: 'http500', operation: 'Audit', times: 2 },
    { kind: 'lock', billNo: 'FYBX000204', times: 1 },
  );
  await world.service.startWorker();

  await world.waitForStage(id, 'approved', 60_000);
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000204')?.status).toBe('C');
  expect(world.kingdee.stats().byDocument.FYBX000204).toEqual({ Audit: 1 });
});

it('parks a write-back Kingdee refuses in needs-attention, tells ops, and finishes after an admin retry', async () => {
  world.submitExpense('FYBX000205', 99, '文具');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000205');
  world.kingdee.faults.push({ kind: 'denyPermission', operation: 'Audit' });
  await click('lisi', 'FYBX000205', 'approve');
  await click('wangwu', 'FYBX000205', 'approve');
  const parked = await world.waitForStage(id, 'needs-attention');
  expect(parked.attention).toMatchObject({ errorType: 'KingdeePermissionError' });
  await eventually(() =>
    world.dingtalk.messagesFor({ groupId: 'cidOps' }).find((m) => m.title === '【需要处理】费用报销单 FYBX000205'),
  );

  world.kingdee.faults = [];
  expect(await world.service.approvals.admin(id, { action: 'retry', by: 'ops-admin' })).toEqual({
    ok: true,
    stage: 'needs-attention',
  });
  await world.waitForStage(id, 'approved');
  expect(world.kingdee.stats().byDocument.FYBX000205).toEqual({ Audit: 1 });
  expect((await world.status(id)).log.map((e) => e.action)).toEqual(
    expect.arrayContaining(['needsAttention', 'adminRetry', 'writeBack', 'complete']),
  );
});

it('derives the workflow id from the document, so starting twice is idempotent', async () => {
  const ref = { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000123' };
  const id = approvalWorkflowId(ref);
  expect(id).toBe(`approval:${world.acctId}:ER_ExpReimbursement:FYBX000123`);
  const again = await world.service.approvals.start(ref, { modifyDate: '2000-01-01T00:00:00' });
  expect(again).toMatchObject({ workflowId: id, started: false });
  expect(singleStepRules).toContain('ER_ExpReimbursement');
});

it('adds an approver (加签) to an all-must-approve step, whose approval is then required too', async () => {
  world.kingdee.createDocument({
    formId: 'PUR_PurchaseOrder',
    billNo: 'CGDD000090',
    status: 'B',
    fields: { FBillAllAmount: 9000, FNote: '显示器 5 台' },
  });
  const id = await world.startApproval('PUR_PurchaseOrder', 'CGDD000090');
  await cardOf('zhouba', 'CGDD000090');
  const added = await world.service.approvals.decide(id, {
    userId: 'zhouba',
    action: 'addApprover',
    targetUserId: 'zhaoliu',
    channel: 'text',
  });
  expect(added).toMatchObject({ kind: 'accepted', result: { message: '已为 CGDD000090 加签 赵六' } });
  await click('zhouba', 'CGDD000090', 'approve');
  await click('wangwu', 'CGDD000090', 'approve');
  expect((await world.status(id)).stage).toBe('awaiting-approval'); // 赵六 still to approve
  await click('zhaoliu', 'CGDD000090', 'approve');
  const state = await world.waitForStage(id, 'approved');
  expect(state.steps[0]?.slots.map((s) => [s.assignee, s.decision?.action, s.addedBy])).toEqual([
    ['zhouba', 'approve', undefined],
    ['wangwu', 'approve', undefined],
    ['zhaoliu', 'approve', 'zhouba'],
  ]);
  expect(world.kingdee.getDocument('PUR_PurchaseOrder', 'CGDD000090')?.status).toBe('C');
});
