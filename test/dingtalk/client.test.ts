/** Contract tests: our DingTalk client against the emulator over real HTTP. */
import axios from 'axios';
import { DingTalkAuthError, DingTalkDeliveryError, DingTalkRequestError } from '../../integrations/dingtalk';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import { dingtalkClientFor, startTestDingTalk } from '../helpers/dingtalk';

let emulator: DingTalkEmulator;
afterEach(async () => {
  await emulator?.close();
});

const card = (outTrackId: string, userId = 'lisi') => ({
  outTrackId,
  cardTemplateId: 'kdb-approval-card',
  cardParamMap: { title: '费用报销单审批', billNo: 'FYBX000123', status: 'pending', amount: '12,800.00' },
  to: { userId },
  callbackType: 'STREAM' as const,
});

it('caches the token, refreshes it after expiry, and retries once on a token error', async () => {
  emulator = await startTestDingTalk({ tokenTtlMs: 60 * 60_000 });
  const client = dingtalkClientFor(emulator);
  const [a, b] = await Promise.all([client.getAccessToken(), client.getAccessToken()]);
  expect(a).toBe(b);
  expect(await client.getAccessTokenOld()).toBe(a); // same token family, as DingTalk documents
  emulator.expireTokens();
  expect(await client.getUserByMobile('13800000002')).toBe('lisi'); // invalid token → refresh → retry
  expect(await client.getAccessToken()).not.toBe(a);
  await expect(dingtalkClientFor(emulator, { clientSecret: 'wrong' }).getAccessToken()).rejects.toBeInstanceOf(
    DingTalkAuthError,
  );
});

it('delivers a card idempotently by outTrackId, updates it, and reports failed spaces', async () => {
  emulator = await startTestDingTalk();
  const client = dingtalkClientFor(emulator);
  await client.deliverCard(card('kdb-test-1'));
  await client.deliverCard({
    ...card('kdb-test-1'),
    cardParamMap: { ...card('kdb-test-1').cardParamMap, amount: '12,900.00' },
  }); // a retried delivery
  expect(emulator.cardsFor('lisi')).toHaveLength(1);
  expect(emulator.cards.get('kdb-test-1')?.cardParamMap.amount).toBe('12,900.00');
  await client.updateCard({ outTrackId: 'kdb-test-1', cardParamMap: { status: 'approved', result: '李四 已同意' } });
  expect(emulator.cards.get('kdb-test-1')?.cardParamMap).toMatchObject({
    status: 'approved',
    result: '李四 已同意',
    billNo: 'FYBX000123',
  });
  await expect(client.deliverCard(card('kdb-test-2', 'nobody'))).rejects.toBeInstanceOf(DingTalkDeliveryError);
  await expect(client.deliverCard({ ...card('kdb-test-3'), cardTemplateId: 'no-such-template' })).rejects.toThrow(
    /param.templateNotExist/,
  );
  await expect(client.updateCard({ outTrackId: 'unknown', cardParamMap: { a: 'b' } })).rejects.toBeInstanceOf(
    DingTalkRequestError,
  );
});

it('sends work notifications (identical content within a day is dropped by DingTalk), and looks people up', async () => {
  emulator = await startTestDingTalk();
  const client = dingtalkClientFor(emulator);
  const msg = { msgtype: 'markdown' as const, markdown: { title: '【催办】FYBX000123', text: '请尽快审批' } };
  await client.sendWorkNotification({ userIds: ['lisi'], msg });
  await client.sendWorkNotification({ userIds: ['lisi'], msg });
  const messages = emulator.messagesFor({ userId: 'lisi' });
  expect(messages.map((m) => [m.text, m.dropped ?? false])).toEqual([
    ['请尽快审批', false],
    ['请尽快审批', true],
  ]);
  expect(await client.getUser('zhangsan')).toEqual({
    userId: 'zhangsan',
    name: '张三',
    mobile: '13800000001',
    managerUserId: 'lisi',
    deptIds: [2],
    unionId: 'union-zhangsan',
  });
  expect(await client.getUserByMobile('13900000000')).toBeUndefined();
  expect(await client.getDepartmentManagers(3)).toEqual(['wangwu']);
});

it('signs robot messages (the emulator verifies) and refuses a wrong secret', async () => {
  emulator = await startTestDingTalk();
  await dingtalkClientFor(emulator).sendRobotMessage('cashier', {
    markdown: { title: '付款', text: '请出纳安排付款' },
    atUserIds: ['qianqi'],
  });
  expect(emulator.messagesFor({ groupId: 'cidCashier' }).map((m) => m.text)).toEqual(['请出纳安排付款']);
  const forged = dingtalkClientFor(emulator, {
    robots: {
      cashier: { webhookUrl: `${emulator.baseUrl}/robot/send?access_token=robot-cashier`, secret: 'SEC-wrong' },
    },
  });
  await expect(forged.sendRobotMessage('cashier', { text: { content: 'x' } })).rejects.toThrow(/sign not match/);
});

it('delivers a burst of 200 robot messages through one robot, all of them, in order', async () => {
  emulator = await startTestDingTalk({ robotLimit: { perMinute: 20, minuteMs: 100 } });
  const client = dingtalkClientFor(emulator);
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => client.sendRobotMessage('finance', { text: { content: `消息 ${i}` } })),
  );
  expect(emulator.messagesFor({ groupId: 'cidFinanceApprovals' }).map((m) => m.text)).toEqual(
    Array.from({ length: 200 }, (_, i) => `消息 ${i}`),
  );
});

it('answers bad input with 4xx and a clear message', async () => {
  emulator = await startTestDingTalk();
  const post = (path: string, data: unknown, headers: Record<string, string> = {}) =>
    axios.post(`${emulator.baseUrl}${path}`, data, {
      validateStatus: () => true,
      headers: { 'Content-Type': 'application/json', ...headers },
      transformRequest: [(d: unknown) => d],
    });
  const malformed = await post('/_emulator/cards/kdb-x/click', '{oops');
  expect(malformed.status).toBe(400);
  expect(malformed.data.message).toMatch(/请求无效/);
  const unknown = await post('/_emulator/cards/kdb-x/click', JSON.stringify({ userId: 'lisi', actionId: 'approve' }));
  expect([unknown.status, unknown.data.code]).toEqual([404, 'param.cardNotExist']);
  const missing = await post('/_emulator/bot/messages', JSON.stringify({ userId: 'lisi' }));
  expect(missing.status).toBe(400);
  const huge = await post('/_emulator/bot/messages', JSON.stringify({ userId: 'lisi', text: 'x'.repeat(200_000) }));
  expect(huge.status).toBe(413);
});
