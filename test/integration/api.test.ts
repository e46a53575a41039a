/**
 * The HTTP API and the DingTalk reply paths, with the real service: bot text replies end to end, admin REST behind
 * a bearer token, the Kingdee push webhook, and refusal of forged, replayed and malformed input with no state change.
 */
import { createHmac } from 'node:crypto';
import axios from 'axios';
import { signPush } from '../../api/kingdee-push';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { adminToken, pushSecret, startWorld, type World } from '../helpers/world';

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules: testRules(singleStepRules), pollers: true });
});
afterAll(async () => {
  await world?.stop();
});

const api = (
  path: string,
  options: { method?: 'get' | 'post'; data?: unknown; headers?: Record<string, string> } = {},
) =>
  axios.request({
    url: `${world.service.apiUrl}${path}`,
    method: options.method ?? 'get',
    data: options.data,
    headers: options.headers,
    validateStatus: () => true,
    transformRequest: typeof options.data === 'string' ? [(d: unknown) => d] : undefined,
  });
const bearer = { Authorization: `Bearer ${adminToken}` };

it('turns a text reply to the bot into a decision: Kingdee audited and the sender answered in the chat', async () => {
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000123');
  await eventually(() => world.dingtalk.cardsFor('lisi').find((c) => c.cardParamMap.billNo === 'FYBX000123'));
  await world.dingtalk.sendBotMessage({ userId: 'wangwu', text: '同意 FYBX000123' });
  await eventually(() => world.dingtalk.messagesFor({ userId: 'wangwu' }).find((m) => m.kind === 'sessionReply'));
  expect(world.dingtalk.messagesFor({ userId: 'wangwu' }).map((m) => m.text)).toEqual([
    '您不是该单据的审批人（FYBX000123）',
  ]);

  await world.dingtalk.sendBotMessage({ userId: 'lisi', text: '驳回 FYBX000123' });
  await eventually(() => world.dingtalk.messagesFor({ userId: 'lisi' }).find((m) => m.kind === 'sessionReply'));
  expect(
    world.dingtalk
      .messagesFor({ userId: 'lisi' })
      .filter((m) => m.kind === 'sessionReply')
      .map((m) => m.text),
  ).toEqual(['驳回需要写明原因，例如：驳回 FYBX000123 发票缺失']);

  await world.dingtalk.sendBotMessage({ userId: 'lisi', text: '确认付款' }); // the only pending approval of 李四
  await world.waitForStage(id, 'approved');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000123')?.status).toBe('C');
  await eventually(
    () => world.dingtalk.messagesFor({ userId: 'lisi' }).filter((m) => m.kind === 'sessionReply').length === 2,
  );
  expect(
    world.dingtalk
      .messagesFor({ userId: 'lisi' })
      .filter((m) => m.kind === 'sessionReply')
      .at(-1)?.text,
  ).toBe('已同意 FYBX000123');
  expect((await world.status(id)).log.find((e) => e.action === 'approve')).toMatchObject({
    actor: 'lisi',
    channel: 'text',
  });
});

it('guards admin endpoints with the bearer token and validates every input', async () => {
  expect((await api('/admin/approvals')).status).toBe(401);
  const wrong = await api('/admin/approvals', { headers: { Authorization: 'Bearer nope' } });
  expect([wrong.status, wrong.data.error.code]).toEqual([401, 'unauthorized']);
  const bad = await api('/admin/approvals?limit=lots', { headers: bearer });
  expect(bad.status).toBe(400);
  expect(bad.data.error.message).toMatch(/^invalid query string: limit/);
  expect((await api('/admin/approvals/nope', { headers: bearer })).status).toBe(404);

  world.submitExpense('FYBX000301', 10, '测试');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000301');
  const listed = await eventually(async () => {
    const response = await api('/admin/approvals?approver=lisi&formId=ER_ExpReimbursement', { headers: bearer });
    return response.data.approvals?.find((a: { workflowId: string }) => a.workflowId === id);
  });
  expect(listed).toMatchObject({
    billNo: 'FYBX000301',
    stage: 'awaiting-approval',
    approvers: ['lisi'],
    summary: '费用报销单 FYBX000301 · ¥10.00 · 张三',
  });
  const one = await api(`/admin/approvals/${encodeURIComponent(id)}`, { headers: bearer });
  expect(one.data).toMatchObject({ stage: 'awaiting-approval', document: { billNo: 'FYBX000301' } });
  const retry = await api(`/admin/approvals/${encodeURIComponent(id)}/retry`, {
    method: 'post',
    headers: bearer,
    data: { by: 'ops' },
  });
  expect([retry.status, retry.data.error.message]).toEqual([409, '只有“需人工处理”的单据可以重试，当前状态：审批中']);
  const noBy = await api(`/admin/approvals/${encodeURIComponent(id)}/resolve`, {
    method: 'post',
    headers: bearer,
    data: {},
  });
  expect(noBy.status).toBe(400);
  const malformed = await api(`/admin/approvals/${encodeURIComponent(id)}/retry`, {
    method: 'post',
    headers: { ...bearer, 'Content-Type': 'application/json' },
    data: '{oops',
  });
  expect([malformed.status, malformed.data.error.code]).toEqual([400, 'bad-request']);
  expect((await world.status(id)).stage).toBe('awaiting-approval');
});

it('refuses forged, replayed and malformed card callbacks without changing anything', async () => {
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000124'); // seeded as A: not applicable
  const body = {
    outTrackId: 'kdb-x',
    userId: 'lisi',
    content: JSON.stringify({ cardPrivateData: { actionIds: ['approve'], params: { workflowId: id } } }),
  };
  const forged = await api('/dingtalk/card-callback', {
    method: 'post',
    data: body,
    headers: { 'x-ddpaas-signature-timestamp': String(Date.now()), 'x-ddpaas-signature': 'Zm9yZ2Vk' },
  });
  expect([forged.status, forged.data.error.message]).toEqual([401, 'card callback refused: signature does not match']);
  const ts = String(Date.now());
  const signature = createHmac('sha256', 'route-secret').update(ts).digest('base64');
  const malformed = await api('/dingtalk/card-callback', {
    method: 'post',
    data: { userId: 'lisi' },
    headers: { 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': signature },
  });
  expect(malformed.status).toBe(400);
  const replay = await api('/dingtalk/card-callback', {
    method: 'post',
    data: body,
    headers: { 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': signature },
  });
  expect(replay.status).toBe(401);
  const robot = await api('/dingtalk/robot', {
    method: 'post',
    data: { msgtype: 'text' },
    headers: { timestamp: ts, sign: 'bad' },
  });
  expect(robot.status).toBe(401);
  await world.waitForStage(id, 'not-applicable');
  expect(world.kingdee.stats().byDocument.FYBX000124).toBeUndefined();
});

it('accepts a signed Kingdee push and refuses unsigned, stale, replayed and malformed ones', async () => {
  const body = JSON.stringify({
    acctId: world.acctId,
    formId: 'ER_ExpReimbursement',
    billNo: 'FYBX000123',
    event: 'audit',
  });
  const post = (data: string, headers: Record<string, string>) =>
    api('/kingdee/push', { method: 'post', data, headers: { 'Content-Type': 'application/json', ...headers } });
  const ts = String(Date.now());
  const unsigned = await post(body, {});
  expect([unsigned.status, unsigned.data.error.code]).toEqual([401, 'missing-signature']);
  const stale = String(Date.now() - 10 * 60_000);
  expect(
    (await post(body, { 'x-kdb-timestamp': stale, 'x-kdb-signature': signPush(pushSecret, stale, body) })).data.error
      .code,
  ).toBe('stale');
  expect(
    (await post(body, { 'x-kdb-timestamp': ts, 'x-kdb-signature': signPush('wrong', ts, body) })).data.error.code,
  ).toBe('bad-signature');
  const bad = '{"acctId":"x"}';
  const badTs = String(Date.now() + 1);
  const invalid = await post(bad, { 'x-kdb-timestamp': badTs, 'x-kdb-signature': signPush(pushSecret, badTs, bad) });
  expect(invalid.status).toBe(400);
  expect(invalid.data.error.message).toMatch(/formId/);
  const accepted = await post(body, { 'x-kdb-timestamp': ts, 'x-kdb-signature': signPush(pushSecret, ts, body) });
  expect([accepted.status, accepted.data]).toEqual([202, { accepted: true }]);
  const otherForm = JSON.stringify({
    acctId: world.acctId,
    formId: 'AP_PAYBILL',
    billNo: 'FKD000045',
    event: 'submit',
  });
  const notPolled = await post(otherForm, {
    'x-kdb-timestamp': ts,
    'x-kdb-signature': signPush(pushSecret, ts, otherForm),
  });
  expect([notPolled.status, notPolled.data.error.code]).toEqual([422, 'unknown-form']);
  const replay = await post(body, { 'x-kdb-timestamp': ts, 'x-kdb-signature': signPush(pushSecret, ts, body) });
  expect(replay.data.error.code).toBe('replay');
});

it('reports liveness, readiness and Prometheus metrics', async () => {
  expect((await api('/healthz')).data).toEqual({ status: 'ok' });
  expect((await api('/readyz')).data).toMatchObject({
    status: 'ready',
    checks: [
      { name: 'temporal', ok: true },
      { name: 'kingdee', ok: true },
      { name: 'dingtalk', ok: true },
    ],
  });
  const metrics = await api('/metrics');
  expect(metrics.data).toMatch(/kdb_decisions_total\{channel="text",outcome="accepted"\} 1/);
  expect(metrics.data).toMatch(/kdb_http_request_duration_seconds_bucket/);
});
