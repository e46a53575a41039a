/**
 * Replays are refused across restarts: a signed robot message, a signed card callback and a Stream robot frame,
 * each received once, are sent again after the service restarted — all refused, nothing decided, Kingdee unchanged.
 * What was received is kept in a journal file under DATA_DIR (integrations/dingtalk/callbacks.ts ReplayGuard).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { StreamGateway } from '../../emulators/dingtalk/stream-gateway';
import { demoDingTalk } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const form = 'ER_ExpReimbursement';
const dataDir = mkdtempSync(path.join(tmpdir(), 'kdb-replay-'));
let world: World;
beforeAll(async () => {
  world = await startWorld({ rules: testRules(singleStepRules), dataDir });
});
afterAll(async () => {
  await world?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A robot message from 李四 as DingTalk delivers it, with a reply session the emulator knows. */
function robotMessage(msgId: string, text: string) {
  const session = `session-${msgId}`;
  world.dingtalk.sessions.set(session, { userId: 'lisi' });
  return {
    msgId,
    msgtype: 'text',
    text: { content: text },
    senderStaffId: 'lisi',
    senderNick: '李四',
    conversationType: '1',
    conversationId: 'cid-1on1-lisi',
    createAt: Date.now(),
    sessionWebhook: `${world.dingtalk.baseUrl}/robot/sendBySession?session=${session}`,
  };
}
const post = (route: string, data: unknown, headers: Record<string, string>) =>
  axios.post(`${world.service.apiUrl}${route}`, data, { headers, validateStatus: () => true });
const streamPush = (topic: string, data: unknown) =>
  (world.dingtalk as unknown as { gateway: StreamGateway }).gateway.push(demoDingTalk.clientId, topic, data);
const botTopic = '/v1.0/im/bot/messages/get';
const replies = () => world.dingtalk.messagesFor({ userId: 'lisi' }).filter((m) => m.kind === 'sessionReply');

async function pending(billNo: string): Promise<string> {
  if (!world.kingdee.getDocument(form, billNo)) world.submitExpense(billNo, 10, '差旅');
  const id = await world.startApproval(form, billNo);
  await world.waitForStage(id, 'awaiting-approval');
  await eventually(() => world.dingtalk.cardsFor('lisi').find((c) => c.cardParamMap.billNo === billNo));
  return id;
}

it('refuses a robot message, a card callback and a Stream frame replayed after a restart, with no state change', async () => {
  // 1. A signed robot message "同意" (no bill named: the sender's only pending approval) approves A.
  const a = await pending('FYBX000123');
  const robotTs = String(Date.now());
  const robotHeaders = {
    timestamp: robotTs,
    sign: createHmac('sha256', demoDingTalk.clientSecret)
      .update(`${robotTs}\n${demoDingTalk.clientSecret}`)
      .digest('base64'),
  };
  const robotBody = robotMessage('msg-http-1', '同意');
  expect((await post('/dingtalk/robot', robotBody, robotHeaders)).status).toBe(200);
  await world.waitForStage(a, 'approved');

  // 2. A Stream robot frame "同意" approves B.
  const b = await pending('FYBX000301');
  const streamBody = robotMessage('msg-stream-1', '同意');
  await streamPush(botTopic, streamBody);
  await world.waitForStage(b, 'approved');

  // 3. A signed card callback on C: a rejection without a reason, refused (C stays pending).
  const c = await pending('FYBX000302');
  const cardTs = String(Date.now());
  const cardHeaders = {
    'x-ddpaas-signature-timestamp': cardTs,
    'x-ddpaas-signature': createHmac('sha256', 'route-secret').update(cardTs).digest('base64'),
  };
  const cardBody = {
    outTrackId: 'kdb-replayed',
    userId: 'lisi',
    content: JSON.stringify({ cardPrivateData: { actionIds: ['reject'], params: { workflowId: c } } }),
  };
  const refused = await post('/dingtalk/card-callback', cardBody, cardHeaders);
  expect(refused.status).toBe(200);
  expect(refused.data.userPrivateData.cardParamMap.tip).toBeTruthy();
  const repliesBefore = replies().length;

  // 4. The bridge restarts; every one of them arrives again.
  await world.stopService();
  await world.startService();
  const robotReplay = await post('/dingtalk/robot', robotBody, robotHeaders);
  expect([robotReplay.status, robotReplay.data.error.message]).toEqual([
    401,
    'robot message refused: this request was already received (replay)',
  ]);
  const cardReplay = await post('/dingtalk/card-callback', cardBody, cardHeaders);
  expect([cardReplay.status, cardReplay.data.error.message]).toEqual([
    401,
    'card callback refused: this request was already received (replay)',
  ]);
  await streamPush(botTopic, streamBody);
  // A new message after the replayed frame: once it is answered, the replay has been dealt with.
  await streamPush(botTopic, robotMessage('msg-stream-2', '待办'));
  await eventually(() => replies().length > repliesBefore, 15_000, 'the answer to the new message');
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  expect(replies().slice(repliesBefore)).toHaveLength(1); // only the new message was answered
  const state = await world.status(c);
  expect(state.stage).toBe('awaiting-approval');
  expect(state.log.filter((e) => e.action === 'approve' || e.action === 'reject')).toEqual([]);
  expect(world.kingdee.getDocument(form, 'FYBX000302')?.status).toBe('B');
});
