/**
 * Text replies and card clicks that must be checked before anything is accepted, end to end with the real service on
 * the Temporal dev server against both emulators (bot messages over Stream, cards clicked through DingTalk's callback):
 * a text names one of the sender's own pending bills or nothing happens; 转交 / 加签 names someone DingTalk knows;
 * an ended approval says how it ended; a refused click leaves the card everyone sees as it was.
 */
import { sayToBot } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { rulesHeader, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';
import type { EmulatedCard } from '../../emulators/dingtalk/server';

/** 赵六 approves what is over ¥50,000, 李四 the rest; a rejection cancels the submission in Kingdee (status A). */
const rules = testRules(`${rulesHeader}
forms:
  ER_ExpReimbursement:
    name: 费用报销单
    rejectOperation: cancelAssign
chains:
  ER_ExpReimbursement:
    - { id: manager, name: 部门经理审批, when: { amount: { lte: 50000 } }, approvers: [{ user: lisi }] }
    - { id: cfo, name: 财务总监审批, when: { amount: { gt: 50000 } }, approvers: [{ user: zhaoliu }] }
`);

const form = 'ER_ExpReimbursement';
let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
  // Two colleagues share a name (DingTalk allows it): a 转交 by that name must ask which one.
  world.dingtalk.seed.users.push(
    { userId: 'wangfang1', name: '王芳', mobile: '13900000011', deptIds: [2] },
    { userId: 'wangfang2', name: '王芳', mobile: '13900000022', deptIds: [3] },
  );
});
afterAll(async () => {
  await world?.stop();
});

/** A submitted expense whose approval runs until `userId`'s card is out and the approval is listed as theirs. */
async function pendingFor(userId: string, billNo: string, amount: number): Promise<string> {
  world.submitExpense(billNo, amount, `测试 ${billNo}`);
  const id = await world.startApproval(form, billNo);
  await cardOf(userId, billNo);
  await eventually(
    async () =>
      (await world.service.approvals.list({ stage: 'awaiting-approval', approver: userId })).some(
        (a) => a.workflowId === id,
      ),
    15_000,
    `${billNo} to be listed as ${userId}'s`,
  );
  return id;
}

async function cardOf(userId: string, billNo: string): Promise<EmulatedCard> {
  return eventually(
    () => world.dingtalk.cardsFor(userId).find((c) => c.cardParamMap.billNo === billNo),
    15_000,
    `${userId}'s card for ${billNo}`,
  );
}

/** Send a text as `userId` and wait for the bot's answer to it. */
const say = (userId: string, text: string) => sayToBot(world.dingtalk, userId, text, 15_000);
const statusOf = (billNo: string) => world.kingdee.getDocument(form, billNo)?.status;

it('a text naming a bill the sender does not approve is refused, never applied to their only pending approval', async () => {
  const cfo = await pendingFor('zhaoliu', 'QA8-CFO-01', 80_000);
  const other = await pendingFor('lisi', 'QA-报销-9', 100);

  expect(await say('zhaoliu', '同意 QA-报销-9')).toBe(
    '您不是该单据的审批人（QA-报销-9）\n您有 1 张待审批单据：\n1. 费用报销单 QA8-CFO-01 · ¥80,000.00 · 张三',
  );
  expect(await say('zhaoliu', '同意 QA-报销-99')).toBe(
    '未找到单据 QA-报销-99，请核对单据编号\n您有 1 张待审批单据：\n1. 费用报销单 QA8-CFO-01 · ¥80,000.00 · 张三',
  );
  expect(await say('zhaoliu', '同意 没问题')).toMatch(/^未找到单据 没问题，请核对单据编号\n您有 1 张待审批单据/);
  for (const id of [cfo, other]) {
    const state = await world.status(id);
    expect(state.stage).toBe('awaiting-approval');
    expect(state.log.filter((e) => e.action === 'approve')).toEqual([]);
  }
  expect([statusOf('QA8-CFO-01'), statusOf('QA-报销-9')]).toEqual(['B', 'B']);

  // Lower case is matched case-insensitively against 赵六's own bill; what follows is his comment, as typed.
  expect(await say('zhaoliu', '同意 qa8-cfo-01 已核对 ✅')).toBe('已同意 QA8-CFO-01');
  await world.waitForStage(cfo, 'approved');
  expect(statusOf('QA8-CFO-01')).toBe('C');
  expect((await world.status(cfo)).log.find((e) => e.action === 'approve')).toMatchObject({
    actor: 'zhaoliu',
    channel: 'text',
    comment: '已核对 ✅',
  });
  expect(statusOf('QA-报销-9')).toBe('B');
});

it('matches bill numbers with "/", spaces, Chinese and lower case; the reason is what follows, line breaks and emoji kept', async () => {
  const slash = await pendingFor('lisi', 'QA/2026 001', 200);
  const chinese = await pendingFor('lisi', 'QA-报销-7', 300);

  // Several wait for 李四: a bare 同意 applies to none of them.
  const which = await say('lisi', '同意');
  expect(which).toMatch(/^您有 \d+ 张待审批单据，请写明单据编号，例如：同意 /);
  expect(which).toContain('费用报销单 QA/2026 001 · ¥200.00 · 张三');

  expect(await say('lisi', '驳回 qa/2026   001 发票缺失\n请补充后重新提交 🙏')).toBe('已驳回 QA/2026 001');
  await world.waitForStage(slash, 'rejected');
  expect(statusOf('QA/2026 001')).toBe('A');
  expect((await world.status(slash)).steps[0]?.rejectReason).toBe('发票缺失\n请补充后重新提交 🙏');

  expect(await say('lisi', '同意 qa-报销-7')).toBe('已同意 QA-报销-7');
  await world.waitForStage(chinese, 'approved');
  expect(statusOf('QA-报销-7')).toBe('C');
  expect(statusOf('QA-报销-9')).toBe('B');
});

it('转交 / 加签 find the person in DingTalk first: by name, refusing unknown and ambiguous names', async () => {
  const id = await pendingFor('lisi', 'QA40001', 400);

  expect(await say('lisi', '转交 QA40001 王小明')).toBe('未找到钉钉用户 王小明，请核对姓名、userId 或手机号');
  expect(await say('lisi', '转交 QA40001 王芳')).toBe(
    [
      '钉钉中有 2 位名为 王芳 的用户，请用 userId 指定其中一位：',
      '1. 王芳 · 销售部 · 手机尾号 0011 · userId wangfang1',
      '2. 王芳 · 财务部 · 手机尾号 0022 · userId wangfang2',
      '例如：转交 QA40001 wangfang1',
    ].join('\n'),
  );
  expect(await say('lisi', '转交 QA40001')).toBe('请写明转交给谁，例如：转交 QA40001 钱七');
  let state = await world.status(id);
  expect(state.stage).toBe('awaiting-approval');
  expect(state.steps[0]?.slots.map((s) => s.assignee)).toEqual(['lisi']);

  expect(await say('lisi', '转交 QA40001 钱七')).toBe('已将 QA40001 转交给 钱七');
  state = await world.status(id);
  expect(state.steps[0]?.slots[0]).toMatchObject({ assignee: 'qianqi', transferredFrom: ['lisi'] });
  expect(state.log.find((e) => e.action === 'transfer')).toMatchObject({
    actor: 'lisi',
    channel: 'text',
    details: { target: 'qianqi' },
  });
  await cardOf('qianqi', 'QA40001');

  expect(await say('qianqi', '加签 QA40001 wangfang2')).toBe('已为 QA40001 加签 王芳');
  await cardOf('wangfang2', 'QA40001');
  expect(await say('qianqi', '同意 QA40001')).toBe('已同意 QA40001');
  await world.waitForStage(id, 'approved');
  expect(statusOf('QA40001')).toBe('C');
});

it('a card 转交 to an unknown userId and a refused click leave the card as everyone sees it', async () => {
  const id = await pendingFor('lisi', 'QA-卡片-1', 500);
  const card = await cardOf('lisi', 'QA-卡片-1');
  const press = (actionId: string, params: Record<string, string> = {}) =>
    world.dingtalk.click(card.outTrackId, {
      userId: 'lisi',
      actionId,
      params: { workflowId: card.cardParamMap.workflowId!, stepId: card.cardParamMap.stepId!, ...params },
    });
  const pendingParams = { ...card.cardParamMap };

  const unknown = await press('transfer', { targetUserId: 'wangxiaoming' });
  expect(unknown.lastCallback?.ok).toBe(true);
  expect(unknown.cardParamMap).toEqual(pendingParams);
  expect(unknown.privateData.lisi?.tip).toBe('未找到钉钉用户 wangxiaoming，请核对姓名、userId 或手机号');
  expect((await world.status(id)).steps[0]?.slots[0]?.assignee).toBe('lisi');

  const transferred = await press('transfer', { targetUserId: '周八' });
  expect(transferred.cardParamMap.status).toBe('transferred');
  expect(transferred.cardParamMap.result).toMatch(/^李四 已转交给 周八（\d{4}-\d\d-\d\d \d\d:\d\d）$/);
  expect(transferred.privateData.lisi?.tip).toBe('');
  await cardOf('zhouba', 'QA-卡片-1');
  const afterTransfer = await eventually(() => {
    const now = world.dingtalk.cards.get(card.outTrackId)!;
    return now.cardParamMap.status === 'transferred' ? { ...now.cardParamMap } : undefined;
  });

  const refused = await press('approve');
  expect(refused.cardParamMap).toEqual(afterTransfer);
  // The workflow's refusal (its wording is the workflow's) reaches 李四 alone; the card keeps "已转交给 周八".
  expect(refused.privateData.lisi?.tip).toMatch(/\S/);
  expect(refused.cardParamMap.result).toBe(afterTransfer.result);
  const state = await world.status(id);
  expect(state.stage).toBe('awaiting-approval');
  expect(state.steps[0]?.slots[0]?.assignee).toBe('zhouba');
  expect(statusOf('QA-卡片-1')).toBe('B');
});

it('a decision on an ended approval says how it ended, on the card and in a text', async () => {
  const id = await pendingFor('lisi', 'QA-结束-1', 600);
  const card = await cardOf('lisi', 'QA-结束-1');
  const params = { workflowId: card.cardParamMap.workflowId!, stepId: card.cardParamMap.stepId! };
  await world.dingtalk.click(card.outTrackId, { userId: 'lisi', actionId: 'approve', params });
  await world.waitForStage(id, 'approved');
  const decided = (await world.status(id)).steps[0]?.slots[0]?.decision;
  const endedCard = { ...world.dingtalk.cards.get(card.outTrackId)!.cardParamMap };

  const again = await world.dingtalk.click(card.outTrackId, { userId: 'lisi', actionId: 'reject', params });
  const ended = new RegExp(`^单据 QA-结束-1 已审批通过（李四，\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d），无需再操作$`);
  expect(again.privateData.lisi?.tip).toMatch(ended);
  expect(again.privateData.lisi?.tip).not.toContain('未找到');
  expect(again.cardParamMap).toEqual(endedCard);
  expect(decided?.by).toBe('lisi');

  expect(await say('lisi', '驳回 QA-结束-1 发票缺失')).toMatch(ended);
  expect(statusOf('QA-结束-1')).toBe('C');
});
