/**
 * The DingTalk emulator enforces a standard-edition organisation's quotas by default, answering as DingTalk does —
 * 20 calls per second per app and API (new API: HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi; old API:
 * errcode 90018 on HTTP 200), 20 messages a minute per custom robot (130101), 500 work notifications per person a
 * day (dropped silently) — counts every call per API, per app and for the month, and lifts the quotas on request.
 */
import axios from 'axios';
import { dingtalkClientFor, demoDingTalk, demoRobots, startTestDingTalk } from '../helpers/dingtalk';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';

let emulator: DingTalkEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const http = axios.create({ validateStatus: () => true });

async function tokenOf(e: DingTalkEmulator): Promise<string> {
  const answer = await http.post(`${e.baseUrl}/v1.0/oauth2/accessToken`, {
    appKey: demoDingTalk.clientId,
    appSecret: demoDingTalk.clientSecret,
  });
  return (answer.data as { accessToken: string }).accessToken;
}

/** Wait for the start of the next wall-clock second, so a burst falls in one second. */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 5));
}

const putCard = (e: DingTalkEmulator, token: string, i: number) =>
  http.put(
    `${e.baseUrl}/v1.0/card/instances`,
    { outTrackId: `missing-${i}`, cardData: { cardParamMap: { a: '1' } } },
    { headers: { 'x-acs-dingtalk-access-token': token } },
  );
const byMobile = (e: DingTalkEmulator, token: string) =>
  http.post(`${e.baseUrl}/topapi/v2/user/getbymobile`, { mobile: '13800000001' }, { params: { access_token: token } });

it('refuses the 21st call of an app to one API within a second, in the new and the old API shape', async () => {
  emulator = await startTestDingTalk();
  const token = await tokenOf(emulator);
  await nextSecond();
  const [fresh, old] = await Promise.all([
    Promise.all(Array.from({ length: 25 }, (_, i) => putCard(emulator!, token, i))),
    Promise.all(Array.from({ length: 25 }, () => byMobile(emulator!, token))),
  ]);
  const refusedNew = fresh.filter((r) => r.status === 403);
  expect(refusedNew).toHaveLength(5);
  expect(refusedNew[0]!.data).toMatchObject({ code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' });
  expect(fresh.filter((r) => r.status === 400)).toHaveLength(20); // reached the API: the card does not exist
  expect(old.every((r) => r.status === 200)).toBe(true);
  expect(old.filter((r) => (r.data as { errcode: number }).errcode === 90018)).toHaveLength(5);
  expect(old.filter((r) => (r.data as { errcode: number }).errcode === 0)).toHaveLength(20);

  const stats = emulator.stats();
  expect(stats.refused.qps).toBe(10);
  expect(stats.byApi['PUT /v1.0/card/instances']).toMatchObject({
    calls: 25,
    refused: 5,
    quota: 'api',
    peakPerSecond: 20,
  });
  expect(stats.byApi['POST /topapi/v2/user/getbymobile']).toMatchObject({ calls: 25, refused: 5, quota: 'free' });
  expect(stats.byApp[demoDingTalk.clientId]!['PUT /v1.0/card/instances']).toBe(25);
  // Refusals for QPS do not count towards the month, as DingTalk's metering excludes them.
  expect(stats.month).toMatchObject({ api: 20, byApi: { 'PUT /v1.0/card/instances': 20 } });

  // The next second is a new one.
  await nextSecond();
  expect((await putCard(emulator, token, 99)).status).toBe(400);
});

it('never refuses the bridge client, which stays at 20 calls per second per API', async () => {
  emulator = await startTestDingTalk();
  const client = dingtalkClientFor(emulator);
  await client.deliverCard({
    outTrackId: 'kdb-qps',
    cardTemplateId: 'kdb-approval-card',
    cardParamMap: { title: 'x' },
    to: { userId: 'lisi' },
    callbackType: 'STREAM',
  });
  await Promise.all(
    Array.from({ length: 45 }, (_, i) =>
      client.updateCard({ outTrackId: 'kdb-qps', cardParamMap: { n: String(i) }, mergeByKey: true }),
    ),
  );
  const stats = emulator.stats();
  expect(stats.refused.qps).toBe(0);
  expect(stats.byApi['PUT /v1.0/card/instances']?.calls).toBe(45);
  expect(stats.byApi['PUT /v1.0/card/instances']?.peakPerSecond).toBeLessThanOrEqual(20);
});

it('limits a custom robot to 20 messages a minute (130101), optionally throttling it after', async () => {
  emulator = await startTestDingTalk({ quotas: { robot: { perMinute: 20, minuteMs: 1_500, throttleMs: 3_000 } } });
  const robot = demoRobots(emulator).cashier!;
  const client = dingtalkClientFor(emulator, { robotLimit: { perMinute: 1_000, minuteMs: 1_000 } });
  const send = (i: number) =>
    client.sendRobotMessageOnce('cashier', { markdown: { title: '付款', text: `请出纳安排付款 ${i}` } }).then(
      () => 'sent',
      (err: Error) => err.message,
    );
  const outcomes: string[] = [];
  for (let i = 0; i < 21; i++) outcomes.push(await send(i));
  expect(outcomes.slice(0, 20).every((o) => o === 'sent')).toBe(true);
  expect(outcomes[20]).toMatch(/130101 send too fast/);
  expect(robot.webhookUrl).toContain('robot-cashier');

  await new Promise((resolve) => setTimeout(resolve, 1_600)); // the minute has passed, the throttle has not
  expect(await send(21)).toMatch(/130101/);
  await new Promise((resolve) => setTimeout(resolve, 1_600));
  expect(await send(22)).toBe('sent');

  const stats = emulator.stats();
  expect(stats.refused).toMatchObject({ robotPerMinute: 1, robotThrottled: 1 });
  expect(stats.robots.cidCashier).toEqual({ sent: 21, peakPerMinute: 20 });
  expect(stats.byApi['POST /robot/send']).toMatchObject({ calls: 23, refused: 2, quota: 'webhookStream' });
  expect(stats.byApp['robot:cidCashier']!['POST /robot/send']).toBe(23);
  expect(stats.month.webhookStream).toBe(21); // refused sends are not metered
});

it('drops work notifications past the daily cap per person silently (errcode 0), as DingTalk does', async () => {
  emulator = await startTestDingTalk({ quotas: { workNoticePerUserPerDay: 3 } });
  const client = dingtalkClientFor(emulator);
  for (let i = 0; i < 4; i++)
    await client.sendWorkNotification({
      userIds: ['zhangsan', 'lisi'],
      msg: { msgtype: 'markdown', markdown: { title: '通知', text: `第 ${i} 条` } },
    });
  await client.sendWorkNotification({ userIds: ['lisi'], msg: { msgtype: 'text', text: { content: '第 4 条' } } });
  const zhangsan = emulator.messagesFor({ userId: 'zhangsan' });
  expect(zhangsan.map((m) => m.dropReason ?? 'delivered')).toEqual(['delivered', 'delivered', 'delivered', 'dailyCap']);
  expect(emulator.messagesFor({ userId: 'lisi' }).filter((m) => m.dropped)).toHaveLength(2);
  expect(emulator.stats().refused.workNoticeDailyCap).toBe(3);
  expect(emulator.stats().month.byApi['POST /topapi/message/corpconversation/asyncsend_v2']).toBe(5);
});

it('lifts the quotas when asked (constructor option or /_emulator/quotas) and still counts every call', async () => {
  emulator = await startTestDingTalk({ quotas: false });
  const token = await tokenOf(emulator);
  await nextSecond();
  const lifted = await Promise.all(Array.from({ length: 30 }, (_, i) => putCard(emulator!, token, i)));
  expect(lifted.every((r) => r.status === 400)).toBe(true);
  expect(emulator.stats().quotas).toBeNull();
  expect(emulator.stats().byApi['PUT /v1.0/card/instances']).toMatchObject({
    calls: 30,
    refused: 0,
    peakPerSecond: 30,
  });

  const on = await http.post(`${emulator.baseUrl}/_emulator/quotas`, { enabled: true });
  expect(on.data).toMatchObject({ enabled: true, quotas: { qps: { perSecond: 20 } } });
  await nextSecond();
  const enforced = await Promise.all(Array.from({ length: 22 }, (_, i) => putCard(emulator!, token, i)));
  expect(enforced.filter((r) => r.status === 403)).toHaveLength(2);
  expect((await http.post(`${emulator.baseUrl}/_emulator/quotas`, { enabled: 'no' })).status).toBe(400);
});

it('counts the month per quota (metered API, Webhook&Stream, free) and enforces a monthly quota when set', async () => {
  emulator = await startTestDingTalk({ quotas: { monthly: { api: 5_000 } } });
  const client = dingtalkClientFor(emulator);
  await client.getUser('lisi');
  await http.post(`${emulator.baseUrl}/v1.0/gateway/connections/open`, {
    clientId: demoDingTalk.clientId,
    clientSecret: demoDingTalk.clientSecret,
  });
  const preset = await http.put(`${emulator.baseUrl}/_emulator/stats/month`, { api: 4_999 });
  expect(preset.data).toMatchObject({ api: 4_999, standardEdition: { api: 5_000, webhookStream: 3_000 } });

  await client.sendWorkNotification({ userIds: ['lisi'], msg: { msgtype: 'text', text: { content: '最后一条' } } });
  await expect(
    client.sendWorkNotification({ userIds: ['lisi'], msg: { msgtype: 'text', text: { content: '超额' } } }),
  ).rejects.toThrow(/90020.*本月api调用量已超过限制/);
  const token = await tokenOf(emulator);
  const refused = await putCard(emulator, token, 1);
  expect([refused.status, refused.data.code]).toEqual([403, 'Forbidden.AccessDenied.ApiCountLimitForOrg']);
  await client.getUser('wangwu'); // the contacts APIs are not metered

  const { data: stats } = await http.get(`${emulator.baseUrl}/_emulator/stats`);
  expect(stats.month).toMatchObject({ api: 5_000, webhookStream: 0 });
  expect(stats.month.free).toBeGreaterThanOrEqual(4); // tokens, user/get ×2, the Stream connection
  expect(stats.refused.monthly).toBe(2);
  expect(stats.byApi['POST /v1.0/gateway/connections/open']).toMatchObject({ calls: 1, quota: 'free' });
  expect(Object.keys(stats.byApp)).toContain(demoDingTalk.clientId);

  expect((await http.delete(`${emulator.baseUrl}/_emulator/stats`)).status).toBe(204);
  expect(emulator.stats()).toMatchObject({ total: 0, month: { api: 5_000 } });
});
