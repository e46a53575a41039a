/**
 * The sandbox in a real browser against the emulator alone, with a stand-in app on HTTP callbacks: a card renders
 * readably (Chinese intact, amount, applicant, link); 转交 / 加签 send DingTalk's card callback with the typed or
 * picked person as `target`; the chat box delivers a robot message and shows the app's reply; an OA 费用申请 starts
 * from the form. Bad form input answers 4xx with a page saying what was wrong.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import { dingtalkClientFor, startTestDingTalk } from '../helpers/dingtalk';
import { launchBrowser, screenshot } from '../helpers/browser';

/** What the stand-in app received: card callbacks and robot messages. */
const received: { cards: Array<Record<string, unknown>>; bot: Array<Record<string, unknown>> } = {
  cards: [],
  bot: [],
};
let app: http.Server;
let appUrl = '';
let emulator: DingTalkEmulator;
let browser: Browser;

beforeAll(async () => {
  // The stand-in app: answers a card callback as the bridge does (the card's new state, merged by key), and replies
  // to a robot message through its sessionWebhook.
  app = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const payload = JSON.parse(body || '{}') as Record<string, unknown>;
      if (req.url === '/card') {
        received.cards.push(payload);
        const content = JSON.parse(String(payload.content)) as {
          cardPrivateData: { actionIds: string[]; params: Record<string, string> };
        };
        const action = content.cardPrivateData.actionIds[0];
        const target = content.cardPrivateData.params.target ?? '';
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify(
            action === 'transfer'
              ? {
                  cardData: {
                    cardParamMap: { status: 'transferred', result: `王五 已转交给 ${target}`, actions: '[]' },
                  },
                  cardUpdateOptions: { updateCardDataByKey: true },
                }
              : { userPrivateData: { cardParamMap: { tip: `已加签 ${target}` } } },
          ),
        );
        return;
      }
      received.bot.push(payload);
      const text = (payload.text as { content: string }).content.trim();
      void fetch(String(payload.sessionWebhook), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'text', text: { content: `收到：${text}` } }),
      }).then(() => res.end('{}'));
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const seed = loadDingTalkSeed();
  emulator = await startTestDingTalk({
    seed: {
      ...seed,
      apps: [{ ...seed.apps[0]!, botCallback: { type: 'HTTP', url: `${appUrl}/robot` } }],
    },
  });
  emulator.setCallbackUrl('kdb-approval', `${appUrl}/card`);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await emulator?.close();
  app?.closeAllConnections();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
});

const params = (billNo: string, actions: string[]) => ({
  title: '付款单审批',
  formName: '付款单',
  billNo,
  applicant: '张三',
  amount: '68,000.00',
  currency: 'CNY',
  purpose: '支付上海云杉科技 服务器采购款',
  lines: JSON.stringify([{ name: '采购付款', amount: '68,000.00' }]),
  link: `http://kingdee.example/${billNo}`,
  stepName: '财务经理审批',
  status: 'pending',
  result: '',
  workflowId: `wf-${billNo}`,
  stepId: 's1',
  actions: JSON.stringify(actions),
});

async function deliver(billNo: string, actions: string[]): Promise<void> {
  await dingtalkClientFor(emulator).deliverCard({
    outTrackId: `kdb-sandbox-${billNo}`,
    cardTemplateId: 'kdb-approval-card',
    cardParamMap: params(billNo, actions),
    to: { userId: 'wangwu' },
    callbackType: 'HTTP',
    callbackRouteKey: 'kdb-approval',
  });
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

it('renders a seeded card readably, with 同意 / 驳回 buttons (and no 转交 / 加签 when the card offers none)', async () => {
  await deliver('FKD000045', ['approve', 'reject']);
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
  await expect(card.getByRole('button', { name: '转交' }).count()).resolves.toBe(0);
  await screenshot(page, 'sandbox-seeded-card');
  await page.close();
});

it('转交 and 加签 send the card callback with the typed or picked person as target', async () => {
  await deliver('FKD000046', ['approve', 'reject', 'transfer', 'addApprover']);
  await deliver('FKD000047', ['approve', 'reject', 'transfer', 'addApprover']);
  const page = await browser.newPage();
  await page.goto(`${emulator.baseUrl}/sandbox?userId=wangwu`);
  let card = page.locator('#pending article[data-bill-no="FKD000046"]');
  // The picker lists everyone but the person acting.
  await expect(card.locator('select[name="target"] option').allTextContents()).resolves.not.toContain(
    '王五（财务经理）',
  );
  await card.getByLabel('转交或加签给（姓名、手机号或 userId）').fill('钱七');
  await card.getByLabel('审批意见').fill('休假，请钱七处理');
  await card.getByRole('button', { name: '转交' }).click();
  await page.waitForURL(/userId=wangwu/);
  await expect(page.locator('#done article[data-bill-no="FKD000046"] .result').textContent()).resolves.toBe(
    '王五 已转交给 钱七',
  );

  card = page.locator('#pending article[data-bill-no="FKD000047"]');
  await card.getByLabel('转交或加签给', { exact: true }).selectOption('zhaoliu');
  await card.getByRole('button', { name: '加签' }).click();
  await page.waitForURL(/userId=wangwu/);
  await expect(page.locator('#pending article[data-bill-no="FKD000047"] .tip').textContent()).resolves.toBe(
    '已加签 zhaoliu',
  );
  await screenshot(page, 'sandbox-transfer-add-approver');
  await page.close();

  const clicks = received.cards.map((p) => ({
    type: p.type,
    userId: p.userId,
    outTrackId: p.outTrackId,
    content: JSON.parse(String(p.content)) as unknown,
  }));
  expect(clicks).toEqual([
    {
      type: 'actionCallback',
      userId: 'wangwu',
      outTrackId: 'kdb-sandbox-FKD000046',
      content: {
        cardPrivateData: {
          actionIds: ['transfer'],
          params: { workflowId: 'wf-FKD000046', stepId: 's1', comment: '休假，请钱七处理', target: '钱七' },
        },
      },
    },
    {
      type: 'actionCallback',
      userId: 'wangwu',
      outTrackId: 'kdb-sandbox-FKD000047',
      content: {
        cardPrivateData: {
          actionIds: ['addApprover'],
          params: { workflowId: 'wf-FKD000047', stepId: 's1', comment: '', target: 'zhaoliu' },
        },
      },
    },
  ]);
});

it('the chat box delivers a robot message (1:1 and @bot in a group) and shows the reply', async () => {
  const page = await browser.newPage();
  await page.goto(`${emulator.baseUrl}/sandbox?userId=lisi`);
  await page.getByLabel('消息').fill('同意 FYBX000123');
  await page.getByRole('button', { name: '发送' }).click();
  await page.waitForURL(/userId=lisi/);
  const chat = page.locator('#chat li');
  await expect(chat.allTextContents()).resolves.toEqual([
    expect.stringMatching(/^李四.*同意 FYBX000123$/),
    expect.stringMatching(/^审批助手.*收到：同意 FYBX000123$/),
  ]);

  await page.goto(`${emulator.baseUrl}/sandbox?groupId=cidCashier`);
  await page.getByLabel('发送人').selectOption('qianqi');
  await page.getByLabel('消息').fill('确认付款 FYBX000123');
  await page.getByRole('button', { name: '发送' }).click();
  await page.waitForURL(/groupId=cidCashier/);
  await expect(page.locator('#chat li.said').textContent()).resolves.toMatch(/^钱七.*确认付款 FYBX000123$/);
  await expect(page.locator('#chat li.bot-reply').textContent()).resolves.toMatch(
    /收到：@审批助手 确认付款 FYBX000123$/,
  );
  await page.close();
  expect(received.bot.map((m) => [m.senderStaffId, m.conversationType, m.conversationId])).toEqual([
    ['lisi', '1', 'cid-1on1-lisi'],
    ['qianqi', '2', 'cidCashier'],
  ]);
});

it('starts an OA 费用申请 from the form, with its approver', async () => {
  const page = await browser.newPage();
  await page.goto(`${emulator.baseUrl}/sandbox?userId=zhangsan`);
  const oa = page.locator('form.oa-form[data-process-code="PROC-FEE-APPLY"]');
  await oa.getByLabel('事由').fill('<b>客户</b> 拜访');
  await oa.getByLabel('费用日期').fill('2026-11-18');
  await oa.getByLabel('费用明细 第1行 费用项目').selectOption('交通费');
  await oa.getByLabel('费用明细 第1行 金额').fill('86.5');
  await oa.getByRole('button', { name: '提交' }).click();
  await page.waitForURL(/userId=zhangsan/);
  const instance = page.locator('#oa-mine article.oa-instance');
  await expect(instance.textContent()).resolves.toMatch(/张三提交的费用申请[\s\S]*审批中[\s\S]*<b>客户<\/b> 拜访/);
  await page.close();
  const [started] = [...emulator.oa.instances.values()];
  expect(started).toMatchObject({ originatorUserId: 'zhangsan', approverUserId: 'lisi', status: 'RUNNING' });
  expect(started!.formComponentValues.map((v) => [v.name, v.value])).toEqual([
    ['事由', '<b>客户</b> 拜访'],
    ['费用日期', '2026-11-18'],
    [
      '费用明细',
      JSON.stringify([
        {
          rowNumber: 'TableField_row_1',
          rowValue: [
            { label: '费用项目', value: '交通费', key: 'Field_0' },
            { label: '金额', value: '86.5', key: 'Field_1' },
            { label: '项目', value: '', key: 'Field_2' },
            { label: '说明', value: '', key: 'Field_3' },
          ],
        },
      ]),
    ],
  ]);
});

it('answers bad form input with 4xx and what was wrong, never 5xx', async () => {
  const url = (path: string) => `${emulator.baseUrl}${path}`;
  const card = '/sandbox/cards/kdb-sandbox-FKD000045/click';
  const instanceId = [...emulator.oa.instances.keys()][0]!;
  const cases: Array<[string, RequestInit, number, RegExp]> = [
    [card, form({ userId: 'nobody', actionId: 'approve' }), 400, /没有这个人员：nobody/],
    [card, form({ actionId: 'approve' }), 400, /请指定以哪位人员的身份操作/],
    [
      '/sandbox/cards/no-such-card/click',
      form({ userId: 'wangwu', actionId: 'approve' }),
      404,
      /卡片 no-such-card 不存在/,
    ],
    [card, form({ userId: 'lisi', actionId: 'approve' }), 403, /这张卡片不是发给 lisi 的/],
    [card, form({ userId: 'wangwu', actionId: 'delete' }), 400, /未知的按钮：delete/],
    [card, form({ userId: 'wangwu', actionId: 'transfer' }), 400, /这张卡片现在没有「转交」按钮/],
    [card, form({ userId: 'wangwu', actionId: 'approve', comment: 'x'.repeat(1001) }), 400, /不能超过 1000 个字/],
    ['/sandbox/chat', form({ userId: 'lisi', text: '   ' }), 400, /消息不能为空/],
    ['/sandbox/chat', form({ userId: 'lisi', text: 'hi', groupId: 'cidCashier' }), 403, /李四 不在出纳群里/],
    ['/sandbox/chat', form({ userId: 'lisi', text: 'hi', groupId: 'cidNope' }), 400, /没有这个群：cidNope/],
    ['/sandbox/oa/instances', form({ userId: 'zhangsan', processCode: 'PROC-NOPE' }), 400, /PROC-NOPE 不存在/],
    [
      '/sandbox/oa/instances',
      form({ userId: 'zhangsan', processCode: 'PROC-FEE-APPLY', 'f.事由': 'x', 'f.费用日期': '2026-11-18' }),
      400,
      /「费用明细」必填/,
    ],
    [
      '/sandbox/oa/instances',
      form({ userId: 'zhangsan', processCode: 'PROC-FEE-APPLY', 'f.事由': 'x', 'f.费用日期': '明天' }),
      400,
      /「费用日期」须为日期/,
    ],
    [
      '/sandbox/oa/instances',
      form({
        userId: 'zhangsan',
        processCode: 'PROC-FEE-APPLY',
        'f.事由': 'x',
        'f.费用日期': '2026-11-18',
        't.费用明细.0.费用项目': '差旅费',
        't.费用明细.0.金额': '一千',
      }),
      400,
      /费用明细第1行「金额」须为数字/,
    ],
    [
      '/sandbox/oa/instances',
      form({ userId: 'zhangsan', processCode: 'PROC-FEE-APPLY', 't.费用明细.0.费用项目': '飞船' }),
      400,
      /「飞船」不在选项中/,
    ],
    [
      `/sandbox/oa/instances/${instanceId}/decide`,
      form({ userId: 'wangwu', result: 'agree' }),
      403,
      /不是该审批实例的审批人/,
    ],
    [
      `/sandbox/oa/instances/${instanceId}/decide`,
      form({ userId: 'lisi', result: 'maybe' }),
      400,
      /agree（同意）或 refuse/,
    ],
    ['/sandbox/oa/instances/nope/decide', form({ userId: 'lisi', result: 'agree' }), 400, /审批实例 nope 不存在/],
  ];
  for (const [path, init, status, message] of cases) {
    const res = await fetch(url(path), init);
    const text = await res.text();
    expect({ path, status: res.status, text }).toEqual({ path, status, text: expect.stringMatching(message) });
  }
  // A page for an unknown person says so; HTML in the query is escaped.
  const res = await fetch(url(`/sandbox?userId=${encodeURIComponent('<script>x</script>')}`));
  expect(res.status).toBe(404);
  const page = await res.text();
  expect(page).toContain('没有这个人员：&lt;script&gt;x&lt;/script&gt;');
  expect(page).not.toContain('<script>x');
});
