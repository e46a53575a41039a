/** The sandbox inbox renders a card readably (Chinese intact, amount, applicant, link) in a real browser. */
import { dingtalkClientFor, startTestDingTalk } from '../helpers/dingtalk';
import { launchBrowser, screenshot } from '../helpers/browser';

it('renders a seeded card readably, with 同意 / 驳回 buttons', async () => {
  const emulator = await startTestDingTalk();
  const browser = await launchBrowser();
  try {
    await dingtalkClientFor(emulator).deliverCard({
      outTrackId: 'kdb-sandbox-1',
      cardTemplateId: 'kdb-approval-card',
      cardParamMap: {
        title: '付款单审批',
        formName: '付款单',
        billNo: 'FKD000045',
        applicant: '张三',
        amount: '68,000.00',
        currency: 'CNY',
        purpose: '支付上海云杉科技 服务器采购款',
        lines: JSON.stringify([{ name: '采购付款', amount: '68,000.00' }]),
        link: 'http://kingdee.example/FKD000045',
        stepName: '财务经理审批',
        status: 'pending',
        result: '',
        workflowId: 'wf',
        stepId: 's1',
        actions: '["approve","reject"]',
      },
      to: { userId: 'wangwu' },
      callbackType: 'STREAM',
    });
    const page = await browser.newPage();
    await page.goto(`${emulator.baseUrl}/sandbox?userId=wangwu`);
    const card = page.locator('article[data-bill-no="FKD000045"]');
    await expect(card.locator('.amount').textContent()).resolves.toBe('¥68,000.00');
    await expect(card.textContent()).resolves.toMatch(
      /付款单审批[\s\S]*张三[\s\S]*支付上海云杉科技 服务器采购款[\s\S]*财务经理审批/,
    );
    await expect(card.getByRole('link', { name: '在金蝶中查看' }).getAttribute('href')).resolves.toBe(
      'http://kingdee.example/FKD000045',
    );
    await expect(card.getByRole('button', { name: '同意' }).isVisible()).resolves.toBe(true);
    await expect(card.getByRole('button', { name: '驳回' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'sandbox-seeded-card');
  } finally {
    await browser.close();
    await emulator.close();
  }
});
