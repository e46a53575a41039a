/**
 * End to end in a real browser (Debian chromium, headless) against the demo, as a person would use it: a document
 * submitted in Kingdee appears as a card in the approver's sandbox inbox within the poll interval; 同意 by both
 * approvers audits it in Kingdee; the card shows the result; the Temporal Web UI lists the workflow and finds it
 * by KingdeeBillNo. Screenshots go to test-artifacts/.
 */
import type { Page } from 'playwright-core';
import type { Demo } from '../../scripts/demo';
import type { RunningService } from '../../workers/service';
import { approvalWorkflowId } from '../../workflows/contract';
import { screenshot } from '../helpers/browser';
import { demoKingdeeClient, startDemoInBrowser, type DemoInBrowser } from '../helpers/demo';

let running: DemoInBrowser;
let demo: Demo;
let service: RunningService;
let page: Page;

beforeAll(async () => {
  running = await startDemoInBrowser('e2e');
  ({ demo, service, page } = running);
}, 60_000);
afterAll(async () => {
  await running?.stop();
});

async function approveInSandbox(userId: string, billNo: string, shot: string): Promise<void> {
  const card = page.locator(`#pending article[data-bill-no="${billNo}"]`);
  // The inbox is a plain page: reload until the poller has found the document and the card has arrived (on a
  // loaded 2-core CI machine, with the short drill running beside this file, that can take a minute).
  const deadline = Date.now() + 90_000;
  for (;;) {
    await page.goto(`${demo.dingtalk.baseUrl}/sandbox?userId=${userId}`);
    if ((await card.count()) > 0 || Date.now() > deadline) break;
    await page.waitForTimeout(500);
  }
  if ((await card.count()) === 0) {
    // Say what there was instead, so a failure on a loaded CI machine can be read from its log.
    await screenshot(page, `${shot}-no-card`);
    const cards = demo.dingtalk.cardsFor(userId).map((c) => `${c.cardParamMap.billNo}:${c.cardParamMap.status}`);
    const approval = await service.approvals.list({ billNo, limit: 5 }).catch((err: unknown) => String(err));
    throw new Error(
      `no pending card for ${billNo} in ${userId}'s inbox after 90 s; cards: ${cards.join(', ') || 'none'}; approvals: ${JSON.stringify(approval)}`,
    );
  }
  await screenshot(page, `${shot}-card`);
  await card.getByRole('button', { name: '同意' }).click();
  await page.waitForURL(/sandbox\?userId=/);
}

it('approves a freshly submitted document from the sandbox inbox, audits it in Kingdee, and shows it in the Temporal Web UI', async () => {
  const billNo = `FYBX${String(Date.now()).slice(-6)}`;
  const kingdee = demoKingdeeClient(demo);
  await kingdee.save('ER_ExpReimbursement', {
    FBillNo: billNo,
    FProposerID: { FSTAFFNUMBER: 'EMP001' },
    FReqReimbAmountSum: 3280,
    FCurrencyID: { FNumber: 'PRE001' },
    FCausa: '北京出差 客户培训',
  });
  await kingdee.submit('ER_ExpReimbursement', { numbers: [billNo] });

  await approveInSandbox('lisi', billNo, 'e2e-1-lisi');
  await page
    .locator(`#done article[data-bill-no="${billNo}"] .result`)
    .filter({ hasText: '李四 已同意' })
    .waitFor({ timeout: 10_000 });
  await screenshot(page, 'e2e-2-lisi-approved');
  await approveInSandbox('wangwu', billNo, 'e2e-3-wangwu');

  await page.goto(`http://127.0.0.1:${demo.kingdee.port}/`);
  const row = page.locator(`tr[data-bill-no="${billNo}"] .status`);
  await expectEventually(async () => {
    await page.reload();
    return (await row.textContent())?.trim() === 'C 已审核';
  });
  await screenshot(page, 'e2e-4-kingdee-audited');
  expect(demo.kingdee.getDocument('ER_ExpReimbursement', billNo)?.status).toBe('C');

  await page.goto(`${demo.dingtalk.baseUrl}/sandbox?userId=lisi`);
  await expect(page.locator(`#done article[data-bill-no="${billNo}"] .result`).textContent()).resolves.toMatch(
    /李四 已同意/,
  );

  const workflowId = approvalWorkflowId({ acctId: demo.env.KINGDEE_ACCT_ID!, formId: 'ER_ExpReimbursement', billNo });
  const ui = process.env.TEST_TEMPORAL_UI_URL!;
  // The run's dev server holds every test file's workflows, hundreds started after this one: the list is of the
  // demo's task queue, as ops sharing a namespace would look at their own.
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(`TaskQueue="${running.taskQueue}"`)}`);
  await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'e2e-5-temporal-ui-list');
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(`KingdeeBillNo="${billNo}"`)}`);
  await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'e2e-6-temporal-ui-filtered');
  // Only this document's workflow is listed under the filter (the pollers and other approvals are not).
  await page.getByText('1 Workflow', { exact: true }).waitFor({ timeout: 10_000 });
}, 300_000);

async function expectEventually(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await page.waitForTimeout(300);
  }
}
