/**
 * The sandbox as the demo's users use it, in a real browser (Debian chromium, headless) against the demo world
 * (both emulators, the real service, the example rules): one 费用报销单 walked through 转交 (李四 → 钱七, typed by name)
 * and 加签 (王五 → 赵六, picked from the list) by clicking on each person's card, to Kingdee audited, with every card's
 * final state and each person's 待办; then 确认付款 in the 出纳群 chat box (→ a 付款单), and an OA 费用申请 submitted by
 * 张三 and approved by 李四 in the sandbox (→ an audited 费用报销单 in Kingdee); and a reimbursement written to the bot
 * in 张三's chat box (→ the proposal, then 确认 → a submitted 费用报销单). Screenshots go to test-artifacts/.
 */
import type { Locator, Page } from 'playwright-core';
import type { Demo } from '../../scripts/demo';
import type { RunningService } from '../../workers/service';
import { screenshot } from '../helpers/browser';
import { demoKingdeeClient, startDemoInBrowser, type DemoInBrowser } from '../helpers/demo';
import { eventually } from '../helpers/eventually';

let running: DemoInBrowser;
let demo: Demo;
let service: RunningService;
let page: Page;

beforeAll(async () => {
  running = await startDemoInBrowser('sandbox');
  ({ demo, service, page } = running);
}, 60_000);
afterAll(async () => {
  await running?.stop();
});

const sandbox = (query: string) => `${demo.dingtalk.baseUrl}/sandbox?${query}`;

/** The sandbox is a plain page: open it, reloading until the locator is there. */
async function openUntil(url: string, locator: () => Locator, what: string, timeoutMs = 30_000): Promise<Locator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    const found = locator();
    if ((await found.count()) > 0) return found.first();
    if (Date.now() > deadline) throw new Error(`not shown in time: ${what}`);
    await page.waitForTimeout(300);
  }
}

const pendingCard = (billNo: string) => page.locator(`#pending article[data-bill-no="${billNo}"]`);
const doneCard = (billNo: string) => page.locator(`#done article[data-bill-no="${billNo}"]`);
/** The person's 待办 for the bill, open or done. */
const todo = (billNo: string, done: boolean) =>
  page.locator(`#todos li.todo[data-done="${done}"]`).filter({ hasText: billNo });

/** Waits, reloading, until the person's card for the bill is pending; checks their 待办 is open. */
async function myPendingCard(userId: string, billNo: string, shot: string): Promise<Locator> {
  await openUntil(sandbox(`userId=${userId}`), () => pendingCard(billNo), `${userId}'s card`);
  await openUntil(sandbox(`userId=${userId}`), () => todo(billNo, false), `${userId}'s open 待办`, 10_000);
  await screenshot(page, shot);
  return pendingCard(billNo);
}

const billNo = `FYBX${String(Date.now()).slice(-6)}`;

it('walks a document through 转交 and 加签 in the sandbox, clicking as each person, to Kingdee audited', async () => {
  const kingdee = demoKingdeeClient(demo);
  await kingdee.save('ER_ExpReimbursement', {
    FBillNo: billNo,
    FProposerID: { FSTAFFNUMBER: 'EMP001' },
    FReqReimbAmountSum: 2680,
    FCurrencyID: { FNumber: 'PRE001' },
    FPaySettlleTypeID: { FNumber: 'JSFS04_SYS' }, // 电汇: the 付款单 needs a settlement type
    FCausa: '杭州客户拜访 高铁与住宿',
    FEntity: [
      { FExpID: { FNumber: 'FY001' }, FExpSubmitAmount: 1880, FExpenseAmount: 1880 },
      { FExpID: { FNumber: 'FY002' }, FExpSubmitAmount: 800, FExpenseAmount: 800 },
    ],
  });
  await kingdee.submit('ER_ExpReimbursement', { numbers: [billNo] });
  // As the poller would (it polls every 10 s); starting twice is idempotent.
  const modified = demo.kingdee.getDocument('ER_ExpReimbursement', billNo)?.fields.FModifyDate;
  await service.approvals.start(
    { acctId: demo.env.KINGDEE_ACCT_ID!, formId: 'ER_ExpReimbursement', billNo },
    { modifyDate: typeof modified === 'string' ? modified : '' },
  );

  // 李四 (部门经理) hands his seat to 钱七, typing her name.
  let card = await myPendingCard('lisi', billNo, 'sandbox-1-lisi');
  await expect(card.getByRole('button', { name: '转交' }).isVisible()).resolves.toBe(true);
  await expect(card.getByRole('button', { name: '加签' }).isVisible()).resolves.toBe(true);
  await card.getByLabel('转交或加签给（姓名、手机号或 userId）').fill('钱七');
  await card.getByLabel('审批意见').fill('出差期间请钱七代审');
  await card.getByRole('button', { name: '转交' }).click();
  await page.waitForURL(/sandbox\?userId=lisi/);
  await expect(doneCard(billNo).locator('.result').textContent()).resolves.toMatch(/李四 已转交给 钱七/);
  await screenshot(page, 'sandbox-2-lisi-transferred');

  // 钱七 now has the card and the 待办, and approves.
  card = await myPendingCard('qianqi', billNo, 'sandbox-3-qianqi');
  await card.getByRole('button', { name: '同意' }).click();
  await page.waitForURL(/sandbox\?userId=qianqi/);
  await expect(doneCard(billNo).locator('.result').textContent()).resolves.toMatch(/钱七 已同意/);

  // 王五 (财务经理) adds 赵六, picked from the list; his own card stays pending.
  card = await myPendingCard('wangwu', billNo, 'sandbox-4-wangwu');
  await card.getByLabel('转交或加签给', { exact: true }).selectOption('zhaoliu');
  await card.getByRole('button', { name: '加签' }).click();
  await page.waitForURL(/sandbox\?userId=wangwu/);
  await expect(pendingCard(billNo).count()).resolves.toBe(1);
  await expect(pendingCard(billNo).locator('.tip').count()).resolves.toBe(0); // not refused

  // 赵六 gets his card and approves: the step (任一人) is done, the document audited.
  card = await myPendingCard('zhaoliu', billNo, 'sandbox-5-zhaoliu');
  await card.getByRole('button', { name: '同意' }).click();
  await page.waitForURL(/sandbox\?userId=zhaoliu/);

  await page.goto(`http://127.0.0.1:${demo.kingdee.port}/`);
  await eventually(
    () => demo.kingdee.getDocument('ER_ExpReimbursement', billNo)?.status === 'C',
    20_000,
    `${billNo} audited in Kingdee`,
  );
  await page.reload();
  await expect(page.locator(`tr[data-bill-no="${billNo}"] .status`).textContent()).resolves.toMatch(/C 已审核/);
  await screenshot(page, 'sandbox-6-kingdee-audited');

  // Every card shows its final state, and nobody has an open 待办 for the bill; those who decided have theirs done.
  const finalResult = async (userId: string, pattern: RegExp) => {
    const result = await openUntil(
      sandbox(`userId=${userId}`),
      () => doneCard(billNo).locator('.result').filter({ hasText: pattern }),
      `${userId}'s final card`,
      15_000,
    );
    await expect(pendingCard(billNo).count()).resolves.toBe(0);
    await expect(doneCard(billNo).getByRole('button').count()).resolves.toBe(0);
    return result;
  };
  await finalResult('lisi', /李四 已转交给 钱七/);
  await expect(todo(billNo, false).count()).resolves.toBe(0);
  await finalResult('qianqi', /钱七 已同意/);
  await expect(todo(billNo, true).count()).resolves.toBe(1);
  await finalResult('wangwu', /赵六 已同意/);
  await expect(todo(billNo, false).count()).resolves.toBe(0);
  await finalResult('zhaoliu', /赵六 已同意/);
  await expect(todo(billNo, true).count()).resolves.toBe(1);
  await screenshot(page, 'sandbox-7-zhaoliu-done');

  const cards = demo.dingtalk.cardsFor().filter((c) => c.cardParamMap.billNo === billNo);
  expect(cards.map((c) => [c.userIds[0], c.cardParamMap.status]).sort()).toEqual([
    ['lisi', 'transferred'],
    ['qianqi', 'approved'],
    ['wangwu', 'approved'],
    ['zhaoliu', 'approved'],
  ]);
}, 90_000);

it('确认付款 in the 出纳群 chat box answers with the new 付款单', async () => {
  expect(demo.kingdee.getDocument('ER_ExpReimbursement', billNo)?.status).toBe('C');
  await page.goto(sandbox('groupId=cidCashier'));
  await page.getByLabel('发送人').selectOption('qianqi');
  await page.getByLabel('消息').fill(`确认付款 ${billNo}`);
  await page.getByRole('button', { name: '发送' }).click();
  await page.waitForURL(/groupId=cidCashier/);
  await expect(
    page
      .locator('#chat li.said')
      .filter({ hasText: `确认付款 ${billNo}` })
      .count(),
  ).resolves.toBe(1);
  const reply = await openUntil(
    sandbox('groupId=cidCashier&as=qianqi'),
    // The bot's answer to 钱七 (the group robot's notice says 已生成付款单 too, and may come first).
    () => page.locator('#chat li.bot-reply').filter({ hasText: /已生成付款单 FKD\w+/ }),
    'the 付款单 reply',
  );
  const replyText = (await reply.textContent()) ?? '';
  const paymentBillNo = /已生成付款单 (FKD\w+)/.exec(replyText)![1]!;
  expect(replyText).toContain(`已生成付款单 ${paymentBillNo}（来源 ${billNo}`);
  const paymentBill = await eventually(
    () => demo.kingdee.getDocument('AP_PAYBILL', paymentBillNo),
    5_000,
    `付款单 ${paymentBillNo} in Kingdee`,
  );
  expect(paymentBill.links).toEqual(
    expect.arrayContaining([expect.objectContaining({ sourceFormId: 'ER_ExpReimbursement', sourceBillNo: billNo })]),
  );
  await screenshot(page, 'sandbox-8-cashier-paid');
}, 40_000);

it('an OA 费用申请 started and approved in the sandbox becomes an audited 费用报销单 in Kingdee', async () => {
  await page.goto(sandbox('userId=zhangsan'));
  const form = page.locator('form.oa-form[data-process-code="PROC-FEE-APPLY"]');
  await form.getByLabel('事由').fill('宁波客户培训');
  await form.getByLabel('费用日期').fill('2026-11-18');
  await form.getByLabel('费用明细 第1行 费用项目').selectOption('差旅费');
  await form.getByLabel('费用明细 第1行 金额').fill('1,280.00');
  await form.getByLabel('费用明细 第1行 项目').fill('ERP升级项目');
  await form.getByLabel('费用明细 第1行 说明').fill('高铁往返');
  await form.getByLabel('费用明细 第2行 费用项目').selectOption('住宿费');
  await form.getByLabel('费用明细 第2行 金额').fill('460');
  await form.getByRole('button', { name: '提交' }).click();
  await page.waitForURL(/userId=zhangsan/);
  const mine = page.locator('#oa-mine article.oa-instance');
  await expect(mine.count()).resolves.toBe(1);
  const id = (await mine.getAttribute('data-instance-id'))!;
  await expect(mine.locator('.oa-status').textContent()).resolves.toBe('审批中');
  await screenshot(page, 'sandbox-9-oa-submitted');

  // 张三's manager 李四 approves it.
  await page.goto(sandbox('userId=lisi'));
  const toApprove = page.locator(`#oa-to-approve article[data-instance-id="${id}"]`);
  await toApprove.getByLabel('审批意见').fill('同意');
  await toApprove.getByRole('button', { name: '同意' }).click();
  await page.waitForURL(/userId=lisi/);
  await expect(page.locator(`#oa-approved article[data-instance-id="${id}"] .oa-status`).textContent()).resolves.toBe(
    '已同意',
  );

  // The bridge imports it and comments on the instance: 张三 sees the Kingdee bill number there.
  const comment = await openUntil(
    sandbox('userId=zhangsan'),
    () => page.locator(`#oa-mine article[data-instance-id="${id}"] .oa-comments`).filter({ hasText: /FYBX\d+/ }),
    'the import comment',
  );
  const imported = /已生成金蝶费用报销单 (FYBX\d+)/.exec((await comment.textContent()) ?? '')![1]!;
  const bill = demo.kingdee.getDocument('ER_ExpReimbursement', imported)!;
  expect(bill.status).toBe('C');
  expect(Number(bill.fields.FReqReimbAmountSum)).toBe(1740);
  expect(bill.entries).toHaveLength(2);
  await screenshot(page, 'sandbox-10-oa-imported');
}, 40_000);

it('a reimbursement written to the bot in the chat box is proposed, and 确认 submits it to Kingdee', async () => {
  const say = async (text: string, answer: RegExp): Promise<string> => {
    await page.goto(sandbox('userId=zhangsan'));
    const before = await page.locator('#chat li.bot-reply').count();
    await page.getByLabel('消息').fill(text);
    await page.getByRole('button', { name: '发送' }).click();
    await page.waitForURL(/userId=zhangsan/);
    const reply = await openUntil(
      sandbox('userId=zhangsan'),
      () => page.locator('#chat li.bot-reply').nth(before),
      `the answer to "${text}"`,
    );
    const replyText = (await reply.textContent()) ?? '';
    expect(replyText).toMatch(answer);
    return replyText;
  };
  await say('报销 11月20日 北京出差机票 差旅费 1280元 ERP升级项目', /1,280[\s\S]*回复 确认/);
  const saved = await say('确认', /已提交报销单 FYBX\d+/);
  await screenshot(page, 'sandbox-11-chat-draft');
  const draft = demo.kingdee.getDocument('ER_ExpReimbursement', /FYBX\d+/.exec(saved)![0])!;
  expect(draft.status).toBe('B');
  expect(Number(draft.fields.FReqReimbAmountSum)).toBe(1280);
}, 40_000);
