/**
 * The failure policy (docs/failure-policy.md) on the real dev server, the real service and both emulators: an
 * approval never fails and never goes silent. Each cause the workflow cannot retry — a person not found, a 转交 target
 * that does not exist, a rule that cannot plan, a write-back Kingdee refuses, a bug in workflow code — parks it in
 * needs-attention with the reason in Chinese, the status query and search attributes telling the truth, one alert in
 * the ops group per entry (with where to act), and admin retry / resolve working from there. Also: what people are
 * told when the approval is closed in Kingdee or moved on without them, plan warnings on cards and in the log, and
 * the amount search attribute exact in cents.
 */
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../activities';
import type { ApprovalState } from '../../workflows/contract';
import { closedHow } from '../../workflows/approval/decisions';
import { ApprovalStage, Approvers, KingdeeAmount, KingdeeBillNo } from '../../workflows/search-attributes';
import { pendingCard } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { rulesHeader, testRules } from '../helpers/rules';
import { adminToken, startWorld, type World } from '../helpers/world';

const rules = testRules(`${rulesHeader}
forms:
  ER_ExpReimbursement:
    name: 费用报销单
    rejectOperation: cancelAssign
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款：{单号}
  AP_PAYBILL:
    name: 付款单
    kingdeeWorkflow: true
    rejectOperation: workflowReject
  PUR_PurchaseOrder:
    name: 采购订单
chains:
  ER_ExpReimbursement:
    - { id: dept-manager, name: 部门经理审批, approvers: [{ applicantManager: true }] }
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
  AP_PAYBILL:
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
    - { id: cfo, name: 财务总监审批, when: { amount: { gt: 50000 } }, approvers: [{ user: zhaoliu }] }
  PUR_PurchaseOrder:
    - { id: managers, name: 经理审批, approvers: [{ user: zhouba }, { user: lisi }] }
    - { id: finance-manager, name: 财务经理审批, approvers: [{ user: wangwu }] }
`);

/**
 * Bills whose approvers the worker answers in another shape (`{ approvers }` instead of `Person[]`): what a version
 * skew during a rolling deploy looks like, and the realistic way to make workflow code throw unexpectedly. Test-only
 * (the world's activity wrapper); production code has no hook for it.
 */
const skewedAnswers = new Set<string>();

let world: World;
beforeAll(async () => {
  world = await startWorld({
    rules,
    wrapActivities: <T extends object>(activities: T): T => {
      const real = activities as unknown as Activities;
      const resolveApprovers = async (input: Parameters<Activities['resolveApprovers']>[0]) => {
        const people = await real.resolveApprovers(input);
        return skewedAnswers.has(input.document.billNo) ? { approvers: people } : people;
      };
      // Planning hands the first step its approvers: skewed the same way.
      const planApprovalWithApprovers = async (input: Parameters<Activities['planApprovalWithApprovers']>[0]) => {
        const planned = await real.planApprovalWithApprovers(input);
        return skewedAnswers.has(input.document.billNo) && planned.applicable === true && planned.firstApprovers
          ? { ...planned, firstApprovers: { approvers: planned.firstApprovers } }
          : planned;
      };
      return { ...activities, resolveApprovers, planApprovalWithApprovers };
    },
  });
});
afterAll(async () => {
  await world?.stop();
});

// ── helpers ────────────────────────────────────────────────────────────────────────────────────────────────

/** Ops alerts about a bill in the ops group (each needs-attention entry sends one; counted inside merged messages too). */
const opsAlertsFor = (billNo: string) =>
  world.dingtalk
    .messagesFor({ groupId: 'cidOps' })
    .flatMap((m) => (m.text.match(new RegExp(`【需要处理】[^\n]*${billNo}`, 'g')) ?? []).map(() => m));

async function waitForOpsAlerts(billNo: string, count: number) {
  return eventually(
    () => opsAlertsFor(billNo).length >= count && opsAlertsFor(billNo),
    20_000,
    `${count} ops alert(s) for ${billNo}`,
  );
}

/** Stage and approvers as the search attributes say (what the admin list and "待办" query). */
async function searchAttributes(workflowId: string) {
  const described = await world.service.client.workflow.getHandle(workflowId).describe();
  return {
    status: described.status.name,
    stage: described.typedSearchAttributes.get(ApprovalStage),
    approvers: described.typedSearchAttributes.get(Approvers) ?? [],
    amount: described.typedSearchAttributes.get(KingdeeAmount),
  };
}

/** Waits until the search attributes show the stage (they are upserted with the state). */
const searchAttributesAt = (workflowId: string, stage: string) =>
  eventually(
    async () => {
      const attributes = await searchAttributes(workflowId);
      return attributes.stage === stage && attributes;
    },
    10_000,
    `${workflowId}'s search attributes at ${stage}`,
  );

/** Parked in needs-attention as the policy says: running (not failed), every view truthful. */
async function expectParked(workflowId: string): Promise<ApprovalState> {
  const state = await world.waitForStage(workflowId, 'needs-attention', 20_000);
  expect(state.attention).toMatchObject({ reason: expect.stringMatching(/[\u4e00-\u9fff]/) as string });
  const attributes = await searchAttributesAt(workflowId, 'needs-attention');
  expect(attributes).toMatchObject({ status: 'RUNNING', approvers: [] });
  return state;
}

const cardOf = (userId: string, billNo: string) => pendingCard(world.dingtalk, userId, billNo);

async function approveOnCard(userId: string, billNo: string) {
  const card = await cardOf(userId, billNo);
  const answer = await world.service.approvals.decide(card.cardParamMap.workflowId!, {
    userId,
    action: 'approve',
    channel: 'card',
    stepId: card.cardParamMap.stepId!,
  });
  expect(answer.kind).toBe('accepted');
  return card;
}

/** An expense claim by someone Kingdee knows (with a mobile) but DingTalk does not. */
function submitClaimByStranger(billNo: string): void {
  if (!world.kingdee.seed.employees.some((e) => e.id === 2099))
    world.kingdee.seed.employees.push({ id: 2099, number: 'EMP099', name: '孙九', mobile: '13900000099' });
  world.kingdee.createDocument({
    formId: 'ER_ExpReimbursement',
    billNo,
    status: 'B',
    fields: {
      FProposerID: { id: 2099, number: 'EMP099', name: '孙九' },
      FReqReimbAmountSum: 520,
      FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
      FCausa: '差旅费',
    },
  });
}

async function noWorkflowTaskFailed(workflowId: string): Promise<boolean> {
  const history = await world.service.client.workflow.getHandle(workflowId).fetchHistory();
  return !(history.events ?? []).some(
    (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  );
}

// ── each cause ─────────────────────────────────────────────────────────────────────────────────────────────

it('an applicant DingTalk does not know: needs-attention with why, ops told once per entry; retry tries again, resolve ends it', async () => {
  submitClaimByStranger('FYBX000301');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000301');
  const parked = await expectParked(id);
  expect(parked.attention).toMatchObject({ errorType: 'NoApprovers', phase: 'approval' });
  expect(parked.attention?.reason).toBe(
    '确定「部门经理审批」的审批人失败：无法确定 FYBX000301 的审批人：申请人 孙九 的手机号 139****0099 在钉钉中找不到，无法确定其上级',
  );
  const [alert] = await waitForOpsAlerts('FYBX000301', 1);
  expect(alert?.title).toBe('【需要处理】费用报销单 FYBX000301');
  expect(alert?.text).toContain(`- 问题：${parked.attention?.reason}`);
  expect(alert?.text).toContain(`- 重试：POST /admin/approvals/${encodeURIComponent(id)}/retry`);
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000301')?.status).toBe('B');

  // Retry runs the step again; nothing changed, so it parks again, and ops hear of this second entry once.
  expect(await world.service.approvals.admin(id, { action: 'retry', by: 'ops-admin' })).toEqual({
    ok: true,
    stage: 'needs-attention',
  });
  await eventually(async () => (await world.status(id)).log.filter((e) => e.action === 'needsAttention').length === 2);
  await waitForOpsAlerts('FYBX000301', 2);

  // Resolve ends it cleanly: closed, nothing written to Kingdee, the workflow completed (not failed).
  expect(await world.service.approvals.admin(id, { action: 'resolve', by: 'ops-admin', comment: '线下处理' })).toEqual({
    ok: true,
    stage: 'needs-attention',
  });
  await world.waitForStage(id, 'closed-in-kingdee');
  await eventually(async () => (await searchAttributes(id)).status === 'COMPLETED');
  const closed = await world.status(id);
  expect(closed.attention).toBeUndefined();
  expect(closed.log.map((e) => e.action)).toEqual(
    expect.arrayContaining(['needsAttention', 'adminRetry', 'needsAttention', 'adminResolve', 'complete']),
  );
  // 孙九 cannot be told either: the log says so instead of skipping silently.
  expect(closed.log.find((e) => e.details?.skipped === 'applicantNotFound')?.comment).toMatch(/^未能通知申请人 孙九/);
  expect(opsAlertsFor('FYBX000301')).toHaveLength(2);
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000301')?.status).toBe('B');
  expect(await noWorkflowTaskFailed(id)).toBe(true);
});

it('a 转交 to a userId DingTalk does not know: needs-attention; once the person exists, retry from the alert’s link delivers and the approval finishes', async () => {
  world.submitExpense('FYBX000302', 300, '交通费');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000302');
  await cardOf('lisi', 'FYBX000302');
  const transfer = await world.service.approvals.decide(id, {
    userId: 'lisi',
    action: 'transfer',
    targetUserId: 'wushi',
    channel: 'text',
  });
  expect(transfer).toMatchObject({ kind: 'accepted' });

  const parked = await expectParked(id);
  expect(parked.attention).toMatchObject({ errorType: 'DingTalkDeliveryError', phase: 'approval' });
  expect(parked.attention?.reason).toMatch(
    /^向 wushi 发送「部门经理审批」的审批卡片失败：钉钉中没有该用户（DingTalkDeliveryError：/,
  );
  const [alert] = await waitForOpsAlerts('FYBX000302', 1);
  // Decisions wait meanwhile, and say why.
  const meanwhile = await world.service.approvals.decide(id, { userId: 'wangwu', action: 'approve', channel: 'text' });
  expect(meanwhile).toEqual({
    kind: 'refused',
    message: '单据 FYBX000302 遇到问题，正在等待管理员处理，暂时不能审批，请稍后再试',
  });

  // The person joins DingTalk; an administrator retries through the endpoint the alert names.
  world.dingtalk.seed.users.push({ userId: 'wushi', name: '吴十', mobile: '13800000010', deptIds: [2] });
  const retryPath = /- 重试：POST (\S+)/.exec(alert!.text)?.[1];
  expect(retryPath).toBe(`/admin/approvals/${encodeURIComponent(id)}/retry`);
  const response = await fetch(`${world.service.apiUrl}${retryPath}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'ops-admin' }),
  });
  expect(response.status).toBe(200);

  await world.waitForStage(id, 'awaiting-approval');
  expect((await searchAttributesAt(id, 'awaiting-approval')).approvers).toEqual(['wushi']);
  await approveOnCard('wushi', 'FYBX000302');
  await approveOnCard('wangwu', 'FYBX000302');
  await world.waitForStage(id, 'approved');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000302')?.status).toBe('C');
  expect(opsAlertsFor('FYBX000302')).toHaveLength(1);
});

it('the app may not create 待办 (the permission was never granted): needs-attention naming the 待办, ops told once; after retry the approval finishes', async () => {
  const billNo = 'FYBX000309';
  // The 待办 are created beside the decisions (not before them): a refusal for good still parks the approval.
  world.dingtalk.faults.push({ kind: 'permissionDenied', path: '/v1.0/todo/users/', times: 1 });
  world.submitExpense(billNo, 300, '办公用品');
  const id = await world.startApproval('ER_ExpReimbursement', billNo);
  const parked = await expectParked(id);
  expect(parked.attention?.reason).toMatch(/^同步钉钉待办失败：.*没有调用该接口的权限/);
  const [alert] = await waitForOpsAlerts(billNo, 1);
  expect(alert?.text).toContain(`- 问题：${parked.attention?.reason}`);

  // Once the permission is granted, retry creates the 待办, and the approval goes on.
  expect(await world.service.approvals.admin(id, { action: 'retry', by: 'ops-admin' })).toMatchObject({ ok: true });
  await world.waitForStage(id, 'awaiting-approval');
  await eventually(
    () => world.dingtalk.todosFor('lisi').some((t) => t.subject.includes(billNo)),
    15_000,
    'the 待办 after the retry',
  );
  await approveOnCard('lisi', billNo);
  await approveOnCard('wangwu', billNo);
  await world.waitForStage(id, 'approved', 30_000);
  expect(world.kingdee.stats().byDocument[billNo]).toEqual({ Audit: 1 });
  expect(opsAlertsFor(billNo)).toHaveLength(1);
  expect(await noWorkflowTaskFailed(id)).toBe(true);
});

it('a form the rules cannot plan: needs-attention with the rules problem, ops told once; resolve ends it as not applicable', async () => {
  const id = await world.startApproval('AP_Payable', 'AP000311'); // in Kingdee, not in the rules
  const parked = await expectParked(id);
  expect(parked.attention).toMatchObject({ errorType: 'FormNotConfigured', phase: 'plan' });
  expect(parked.attention?.reason).toContain('AP_Payable');
  const [alert] = await waitForOpsAlerts('AP000311', 1);
  expect(alert?.text).toContain('- 建议：修改规则文件并重启服务后，在管理页面选择“重试”');

  expect(await world.service.approvals.admin(id, { action: 'resolve', by: 'ops-admin' })).toMatchObject({ ok: true });
  await world.waitForStage(id, 'not-applicable');
  await eventually(async () => (await searchAttributes(id)).status === 'COMPLETED');
  expect(opsAlertsFor('AP000311')).toHaveLength(1);
});

it('a write-back Kingdee refuses: needs-attention, ops told once; resolve (handled in Kingdee by hand) finishes with the notices', async () => {
  world.submitExpense('FYBX000303', 66, '茶歇');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000303');
  world.kingdee.faults.push({ kind: 'denyPermission', operation: 'Audit' });
  await approveOnCard('lisi', 'FYBX000303');
  await approveOnCard('wangwu', 'FYBX000303');
  const parked = await expectParked(id);
  expect(parked.attention).toMatchObject({ errorType: 'KingdeePermissionError', phase: 'writeBack' });
  expect(parked.attention?.reason).toMatch(/^把审批结果（同意）写回金蝶失败：/);
  await waitForOpsAlerts('FYBX000303', 1);
  world.kingdee.faults = [];

  expect(await world.service.approvals.admin(id, { action: 'resolve', by: 'ops-admin' })).toMatchObject({ ok: true });
  const state = await world.waitForStage(id, 'approved');
  expect(state.writeBack).toMatchObject({ operation: 'resolvedByAdmin' });
  expect(world.kingdee.stats().byDocument.FYBX000303).toBeUndefined(); // nothing written by us
  expect(world.dingtalk.messagesFor({ userId: 'zhangsan' }).map((m) => m.title)).toContain(
    '费用报销单 FYBX000303 已审批通过',
  );
  expect(opsAlertsFor('FYBX000303')).toHaveLength(1);
});

it('a bug (an activity answer the workflow code cannot handle): needs-attention, not a failed workflow or task; retry after the fix finishes', async () => {
  // A worker answers resolveApprovers as { approvers } (see skewedAnswers): createStep throws a TypeError inside
  // workflow code.
  skewedAnswers.add('FYBX000305');
  world.submitExpense('FYBX000305', 88, '打印');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000305');
  const parked = await expectParked(id);
  expect(parked.attention).toMatchObject({ errorType: 'WorkflowBug', phase: 'approval' });
  expect(parked.attention?.reason).toMatch(
    /^确定「部门经理审批」的审批人时工作流内部出错（程序缺陷）：TypeError: .*map is not a function/,
  );
  const [alert] = await waitForOpsAlerts('FYBX000305', 1);
  expect(alert?.text).toContain('这是程序缺陷');
  expect(await noWorkflowTaskFailed(id)).toBe(true);

  // The fix is deployed (the workers answer Person[] again); retry runs the step again and the approval finishes.
  skewedAnswers.delete('FYBX000305');
  expect(await world.service.approvals.admin(id, { action: 'retry', by: 'ops-admin' })).toMatchObject({ ok: true });
  await approveOnCard('lisi', 'FYBX000305');
  await approveOnCard('wangwu', 'FYBX000305');
  await world.waitForStage(id, 'approved');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000305')?.status).toBe('C');
  expect(opsAlertsFor('FYBX000305')).toHaveLength(1);
  expect(await noWorkflowTaskFailed(id)).toBe(true);
});

// ── what people are told ───────────────────────────────────────────────────────────────────────────────────

it('a payment in USD whose creator DingTalk does not know: the plan warning is on the card and in the log, and the skipped applicant notice is logged', async () => {
  world.kingdee.createDocument({
    formId: 'AP_PAYBILL',
    billNo: 'FKD000046',
    status: 'B',
    workflowBound: true,
    fields: {
      FCreatorId: { id: 100099, name: '孙九' },
      FPAYTOTALAMOUNTFOR_H: 1200,
      FCURRENCYID: { id: 7, number: 'PRE007', name: '美元' },
      FREMARK: '海外软件订阅',
    },
  });
  const id = await world.startApproval('AP_PAYBILL', 'FKD000046');
  const card = await cardOf('wangwu', 'FKD000046');
  expect(card.cardParamMap.notes).toMatch(/^注意：FKD000046 的币别是 USD，金额条件按 CNY 编写，无法比较/);
  await approveOnCard('wangwu', 'FKD000046');
  expect((await cardOf('zhaoliu', 'FKD000046')).cardParamMap.stepName).toBe('财务总监审批'); // kept: the safe side
  await approveOnCard('zhaoliu', 'FKD000046');
  const state = await world.waitForStage(id, 'approved');
  const start = state.log.find((e) => e.action === 'start');
  expect(start?.comment).toContain('注意：FKD000046 的币别是 USD');
  expect(start?.details?.warnings).toEqual([expect.stringContaining('USD')]);
  const skipped = state.log.find((e) => e.details?.skipped === 'applicantNotFound');
  expect(skipped?.comment).toBe('未能通知申请人 孙九（金蝶中没有其手机号）：付款单 FKD000046 已审批通过');
  expect(world.kingdee.getDocument('AP_PAYBILL', 'FKD000046')?.status).toBe('C');
});

it('an amount of ¥0.30 (0.1 + 0.2 in binary) is 0.3 in the KingdeeAmount search attribute, and found by it', async () => {
  world.submitExpense('FYBX000304', 0.1 + 0.2, '零钱');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000304');
  expect((await cardOf('lisi', 'FYBX000304')).cardParamMap.amount).toBe('0.30');
  expect((await searchAttributesAt(id, 'awaiting-approval')).amount).toBe(0.3);
  const query = `${KingdeeAmount.name} = 0.3 AND ${KingdeeBillNo.name} = 'FYBX000304'`;
  await eventually(async () => {
    for await (const found of world.service.client.workflow.list({ query })) return found.workflowId === id;
    return false;
  }, 10_000);
});

it('closed in Kingdee: each card keeps its person’s decision with the closed note, and the applicant is told', async () => {
  world.submitExpense('FYBX000306', 410, '会议');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000306');
  const lisiCard = await approveOnCard('lisi', 'FYBX000306');
  const wangwuCard = await cardOf('wangwu', 'FYBX000306');
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000306', 'C');
  await world.service.approvals.documentChanged(
    { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000306' },
    { status: 'C', source: 'poll' },
  );
  await world.waitForStage(id, 'closed-in-kingdee');
  await eventually(() => world.dingtalk.cards.get(wangwuCard.outTrackId)?.cardParamMap.status === 'closed');
  expect(world.dingtalk.cards.get(lisiCard.outTrackId)?.cardParamMap.result).toMatch(
    /^李四 已同意（.+）；已在金蝶处理（金蝶状态：已审核），无需在钉钉操作$/,
  );
  expect(world.dingtalk.cards.get(wangwuCard.outTrackId)?.cardParamMap.result).toBe(
    '已在金蝶处理（金蝶状态：已审核），无需在钉钉操作',
  );
  const notice = await eventually(() =>
    world.dingtalk.messagesFor({ userId: 'zhangsan' }).find((m) => m.title === '费用报销单 FYBX000306 已在金蝶处理'),
  );
  expect(notice.text).toMatch(/已有审批记录：李四 .* 同意/);
});

it('the second of two simultaneous clicks is told the step was decided, by whom, and where the approval is now', async () => {
  world.kingdee.createDocument({
    formId: 'PUR_PurchaseOrder',
    billNo: 'CGDD000301',
    status: 'B',
    fields: { FBillAllAmount: 3000, FNote: '工位椅 5 把' },
  });
  const id = await world.startApproval('PUR_PurchaseOrder', 'CGDD000301');
  await Promise.all([cardOf('zhouba', 'CGDD000301'), cardOf('lisi', 'CGDD000301')]);
  const click = (userId: string) =>
    world.service.approvals.decide(id, { userId, action: 'approve', channel: 'card', stepId: 'managers' });
  const answers = await Promise.all([click('zhouba'), click('lisi')]);
  const accepted = answers.filter((a) => a.kind === 'accepted');
  const refused = answers.filter((a) => a.kind === 'refused');
  expect([accepted.length, refused.length]).toEqual([1, 1]);
  const winner = answers[0]?.kind === 'accepted' ? '周八' : '李四';
  expect(refused[0]).toEqual({
    kind: 'refused',
    message: `单据 CGDD000301 的「经理审批」已由 ${winner} 同意，已进入「财务经理审批」，无需您再操作`,
    // The loser's card is settled by the winner's approval: the answer to the click shows it.
    card: { status: 'approved', byName: winner, at: expect.any(String) as string },
  });
});

it('a withdrawn bill: its former approver (who handed it on) is told it was withdrawn, not that they are no approver', async () => {
  world.submitExpense('FYBX000307', 150, '快递');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000307');
  const lisiCard = await cardOf('lisi', 'FYBX000307');
  await world.service.approvals.decide(id, {
    userId: 'lisi',
    action: 'transfer',
    targetUserId: 'zhouba',
    channel: 'text',
  });
  await cardOf('zhouba', 'FYBX000307');
  await eventually(() => world.dingtalk.cards.get(lisiCard.outTrackId)?.cardParamMap.status === 'transferred');
  // The transfer's card work all done (under load a refresh could still be on its way and take the slow call below).
  await eventually(
    async () =>
      ((await world.service.client.workflow.getHandle(id).describe()).raw.pendingActivities ?? []).length === 0,
  );
  // The next card call (closing the cards) is slow, so the closing approval is still there to answer.
  world.dingtalk.faults.push({ kind: 'latency', ms: 5_000, path: '/v1.0/card/instances', times: 1 });
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000307', 'A');
  await world.service.approvals.documentChanged(
    { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000307' },
    { status: 'A', source: 'poll' },
  );
  await eventually(async () => (await world.status(id)).stage === 'closed-in-kingdee', 15_000);
  const answer = await world.service.approvals.decide(id, {
    userId: 'lisi',
    action: 'approve',
    channel: 'card',
    stepId: 'dept-manager',
  });
  expect(answer).toEqual({
    kind: 'refused',
    message: '单据 FYBX000307 已被撤回（金蝶状态：创建），审批已取消，无需操作',
  });
  world.dingtalk.faults = [];
  await eventually(async () => (await searchAttributes(id)).status === 'COMPLETED', 15_000);
  // Ended, its state still says how (what the API answers from for an ended approval).
  expect(closedHow(await world.status(id))).toEqual({ kind: 'closed', how: 'withdrawn', status: 'A' });
});
