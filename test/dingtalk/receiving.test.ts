/** Receiving: Stream mode with the official dingtalk-stream client, and signed HTTP callbacks. */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express from 'express';
import {
  DingTalkCallbackCrypto,
  createDingTalkCallbackRouter,
  startStreamListener,
  type BotTextMessage,
  type CardClickPayload,
  type StreamListener,
} from '../../integrations/dingtalk';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import { demoDingTalk, dingtalkClientFor, startTestDingTalk } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';

let emulator: DingTalkEmulator;
let listener: StreamListener | undefined;
afterEach(async () => {
  await listener?.stop();
  listener = undefined;
  await emulator?.close();
});

const pendingCard = (outTrackId: string, callbackType: 'STREAM' | 'HTTP') => ({
  outTrackId,
  cardTemplateId: 'kdb-approval-card',
  cardParamMap: {
    title: '费用报销单审批',
    billNo: 'FYBX000123',
    status: 'pending',
    workflowId: 'wf-1',
    stepId: 'manager',
  },
  to: { userId: 'lisi' },
  callbackType,
  ...(callbackType === 'HTTP' ? { callbackRouteKey: 'kdb-approval' } : {}),
});

/** The callback router on a free local port, mounted at /dingtalk as the API mounts it; `url` is that mount point. */
async function serveCallbacks(
  options: Parameters<typeof createDingTalkCallbackRouter>[0],
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  app.use('/dingtalk', createDingTalkCallbackRouter(options));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it('Stream: connects, receives a card click and a bot message, answers in the ACK, and reconnects after a drop', async () => {
  emulator = await startTestDingTalk();
  const clicks: CardClickPayload[] = [];
  const texts: BotTextMessage[] = [];
  listener = await startStreamListener({
    ...demoDingTalk,
    openConnectionUrl: `${emulator.baseUrl}/v1.0/gateway/connections/open`,
    onCardCallback: async (click) => {
      clicks.push(click);
      return {
        cardData: { cardParamMap: { status: 'approved', result: '李四 已同意' } },
        cardUpdateOptions: { updateCardDataByKey: true },
      };
    },
    onBotMessage: async (message) => {
      texts.push(message);
    },
  });
  await eventually(() => emulator.isStreamConnected());
  await dingtalkClientFor(emulator).deliverCard(pendingCard('kdb-stream-1', 'STREAM'));
  const clickedAt = Date.now();
  const card = await emulator.click('kdb-stream-1', {
    userId: 'lisi',
    actionId: 'approve',
    params: { workflowId: 'wf-1', stepId: 'manager' },
  });
  expect(clicks).toEqual([
    {
      outTrackId: 'kdb-stream-1',
      userId: 'lisi',
      actionIds: ['approve'],
      params: { workflowId: 'wf-1', stepId: 'manager' },
      sentAt: expect.any(Number) as number, // the frame's time: DingTalk's 2 s for the answer run from it
    },
  ]);
  expect(clicks[0]!.sentAt).toBeGreaterThanOrEqual(clickedAt);
  expect(card.cardParamMap).toMatchObject({ status: 'approved', result: '李四 已同意', billNo: 'FYBX000123' });

  emulator.dropStreamConnections();
  await eventually(() => !emulator.isStreamConnected());
  await eventually(() => emulator.isStreamConnected(), 10_000);
  await emulator.sendBotMessage({ userId: 'wangwu', text: '同意 FYBX000123' });
  await eventually(() => texts.length === 1);
  expect(texts[0]).toMatchObject({ senderStaffId: 'wangwu', text: '同意 FYBX000123' });
  await dingtalkClientFor(emulator).replyToSessionWebhook(texts[0]!.sessionWebhook, { text: '已同意 FYBX000123' });
  expect(emulator.messagesFor({ userId: 'wangwu' }).map((m) => [m.kind, m.text])).toEqual([
    ['sessionReply', '已同意 FYBX000123'],
  ]);
});

describe('HTTP callbacks', () => {
  let served: Awaited<ReturnType<typeof serveCallbacks>>;
  let url: string;
  const clicks: CardClickPayload[] = [];
  /** How long the app takes to answer a card callback. */
  let answerAfterMs = 0;
  beforeEach(async () => {
    answerAfterMs = 0;
    served = await serveCallbacks({
      cardCallbackSecret: 'route-secret',
      appSecret: demoDingTalk.clientSecret,
      onCardCallback: async (click) => {
        clicks.push(click);
        if (answerAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, answerAfterMs));
        return {
          cardData: { cardParamMap: { status: 'rejected', result: '李四 已驳回' } },
          cardUpdateOptions: { updateCardDataByKey: true },
        };
      },
      onBotMessage: async () => undefined,
    });
    url = `${served.url}/card-callback`;
  });
  afterEach(() => served.close());

  it('accepts a validly signed card callback and applies the answer; refuses forged, replayed and malformed ones', async () => {
    emulator = await startTestDingTalk();
    emulator.setCallbackUrl('kdb-approval', url, 'route-secret');
    await dingtalkClientFor(emulator).deliverCard(pendingCard('kdb-http-1', 'HTTP'));
    const card = await emulator.click('kdb-http-1', {
      userId: 'lisi',
      actionId: 'reject',
      params: { comment: '发票缺失' },
    });
    expect(card.cardParamMap.status).toBe('rejected');
    expect(clicks.at(-1)).toMatchObject({ userId: 'lisi', actionIds: ['reject'], params: { comment: '发票缺失' } });
    expect(clicks.at(-1)?.sentAt).toEqual(expect.any(Number)); // the signature's timestamp

    const body = {
      outTrackId: 'kdb-http-1',
      userId: 'lisi',
      content: JSON.stringify({ cardPrivateData: { actionIds: ['approve'], params: {} } }),
    };
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', 'route-secret').update(timestamp).digest('base64');
    const send = (headers: Record<string, string>, data: unknown = body) =>
      axios.post(url, data, { headers, validateStatus: () => true });
    const before = clicks.length;
    const forged = await send({ 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': 'Zm9yZ2Vk' });
    expect([forged.status, forged.data.error.message]).toEqual([
      401,
      'card callback refused: signature does not match',
    ]);
    const stale = String(Date.now() - 2 * 3600_000);
    const old = await send({
      'x-ddpaas-signature-timestamp': stale,
      'x-ddpaas-signature': createHmac('sha256', 'route-secret').update(stale).digest('base64'),
    });
    expect(old.status).toBe(401);
    expect((await send({ 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': signature })).status).toBe(
      200,
    );
    const replay = await send({ 'x-ddpaas-signature-timestamp': timestamp, 'x-ddpaas-signature': signature });
    expect([replay.status, replay.data.error.message]).toEqual([
      401,
      'card callback refused: this request was already received (replay)',
    ]);
    const ts2 = String(Date.now() + 1);
    const malformed = await send(
      {
        'x-ddpaas-signature-timestamp': ts2,
        'x-ddpaas-signature': createHmac('sha256', 'route-secret').update(ts2).digest('base64'),
      },
      { outTrackId: 'x' },
    );
    expect(malformed.status).toBe(400);
    expect(clicks.length).toBe(before + 1);
  });

  it('fails a click whose callback is answered after DingTalk’s 2 s deadline: the card stays as it was', async () => {
    emulator = await startTestDingTalk();
    emulator.setCallbackUrl('kdb-approval', url, 'route-secret');
    await dingtalkClientFor(emulator).deliverCard(pendingCard('kdb-http-slow', 'HTTP'));
    answerAfterMs = 2_500;
    const card = await emulator.click('kdb-http-slow', { userId: 'lisi', actionId: 'reject' });
    expect(card.lastCallback).toMatchObject({ ok: false, detail: expect.stringContaining('timeout') });
    expect(card.cardParamMap.status).toBe('pending');
    expect(clicks.at(-1)).toMatchObject({ outTrackId: 'kdb-http-slow', actionIds: ['reject'] });
  });
});

describe('HTTP event subscription (AES)', () => {
  it('decrypts the reference test vector and round-trips its own messages', () => {
    const crypto = new DingTalkCallbackCrypto(
      '123456',
      '1234567890123456789012345678901234567890123',
      'dingsnotzck6pm5veliw',
    );
    const encrypt = 'YvkvaGe4hQxd3VxRmEty0dVlnCOAqwf56xwTRHDHoOURqhalbmBJQk5FNcRk42Gl5T0YQXZNwpwWSm1xAFJ5ZA==';
    expect(crypto.verify('9a95a004dd16f5c307e849b994173f76aa26e5eb', '1614767836', 'A7Co0cJLMzIDtMMI', encrypt)).toBe(
      true,
    );
    expect(crypto.decrypt(encrypt)).toBe('success');
    expect(crypto.decrypt(crypto.encrypt('{"EventType":"审批"}'))).toBe('{"EventType":"审批"}');
    expect(() => new DingTalkCallbackCrypto('t', 'short', 'k')).toThrow(/43-character/);
  });

  /**
   * The events endpoint of an app subscribed with a token and aes_key, handing each event on to `onEvent`, and
   * `crypto` to sign and encrypt as DingTalk does for that subscription.
   */
  async function serveEvents(onEvent: (event: Record<string, unknown>) => Promise<void>) {
    const subscription = {
      token: 'tok123',
      aesKey: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
      ownerKey: demoDingTalk.clientId,
    };
    const served = await serveCallbacks({
      appSecret: 'x',
      onCardCallback: async () => ({}),
      onBotMessage: async () => undefined,
      event: { ...subscription, onEvent },
    });
    return {
      url: `${served.url}/events`,
      crypto: new DingTalkCallbackCrypto(subscription.token, subscription.aesKey, subscription.ownerKey),
      close: served.close,
    };
  }

  it('accepts a signed, encrypted event, answers the encrypted success, and refuses forged and replayed ones', async () => {
    const events: Array<Record<string, unknown>> = [];
    const { url, crypto, close } = await serveEvents(async (e) => void events.push(e));
    try {
      const encrypt = crypto.encrypt(JSON.stringify({ EventType: 'user_add_org', UserId: ['zhangsan'] }));
      const timestamp = String(Date.now());
      const query = (signature: string) => `${url}?signature=${signature}&timestamp=${timestamp}&nonce=n1`;
      const ok = await axios.post(
        query(crypto.sign(timestamp, 'n1', encrypt)),
        { encrypt },
        { validateStatus: () => true },
      );
      expect(ok.status).toBe(200);
      expect(crypto.decrypt(ok.data.encrypt)).toBe('success');
      expect(crypto.verify(ok.data.msg_signature, ok.data.timeStamp, ok.data.nonce, ok.data.encrypt)).toBe(true);
      expect(events).toEqual([{ EventType: 'user_add_org', UserId: ['zhangsan'] }]);
      expect(
        (await axios.post(query(crypto.sign(timestamp, 'n1', encrypt)), { encrypt }, { validateStatus: () => true }))
          .status,
      ).toBe(401);
      expect((await axios.post(query('0'.repeat(40)), { encrypt }, { validateStatus: () => true })).status).toBe(401);
      expect((await axios.post(url, { nothing: true }, { validateStatus: () => true })).status).toBe(400);
      expect(events).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("does not acknowledge an event it could not hand on, and accepts DingTalk's retry of the same push", async () => {
    const handled: Array<Record<string, unknown>> = [];
    let temporalDown = true;
    const { url, crypto, close } = await serveEvents(async (e) => {
      if (temporalDown) throw new Error('Temporal is unreachable');
      handled.push(e);
    });
    try {
      const event = { EventType: 'bpms_instance_change', processInstanceId: 'PI-1', type: 'finish', result: 'agree' };
      const encrypt = crypto.encrypt(JSON.stringify(event));
      const timestamp = String(Date.now());
      const push = () =>
        axios.post(
          `${url}?signature=${crypto.sign(timestamp, 'n1', encrypt)}&timestamp=${timestamp}&nonce=n1`,
          { encrypt },
          { validateStatus: () => true },
        );
      const refused = await push();
      expect(refused.status).toBe(503);
      expect(refused.data.error.message).toMatch(/DingTalk retries/);
      temporalDown = false;
      const retried = await push();
      expect(retried.status).toBe(200);
      expect(crypto.decrypt(retried.data.encrypt)).toBe('success');
      expect(handled).toEqual([event]);
      expect((await push()).status).toBe(401); // once handled, the same push is a replay
      expect(handled).toHaveLength(1);
    } finally {
      await close();
    }
  });
});
