/**
 * Receiving from DingTalk: payload schemas for card callbacks and robot messages (both transports), the HTTP card
 * callback signature check (with replay protection), the robot-message HTTP signature check, and an express Router
 * for HTTP mode. Every refusal is a 4xx with a clear JSON message; nothing reaches the handlers unverified.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../common/logger';
import { DingTalkCallbackCrypto } from './callback-crypto';

/** The card-callback payload (reference §2.7); `content` is a JSON string, parsed here. */
export const cardCallbackSchema = z
  .object({
    outTrackId: z.string().min(1),
    userId: z.string().min(1),
    corpId: z.string().optional(),
    content: z.string().transform((text, ctx) => {
      try {
        return z
          .object({
            cardPrivateData: z.object({
              actionIds: z.array(z.string()).default([]),
              params: z.record(z.string(), z.unknown()).default({}),
            }),
          })
          .parse(JSON.parse(text));
      } catch {
        ctx.issues.push({ code: 'custom', input: text, message: 'content must be a JSON string with cardPrivateData' });
        return z.NEVER;
      }
    }),
  })
  .passthrough();

/** Robot message (reference §7.1). */
export const botMessageSchema = z
  .object({
    msgtype: z.string(),
    text: z.object({ content: z.string() }).optional(),
    senderStaffId: z.string().min(1, 'senderStaffId is empty: the sender is outside the organisation'),
    senderNick: z.string().optional(),
    conversationType: z.string().optional(),
    conversationId: z.string().optional(),
    sessionWebhook: z.url(),
    sessionWebhookExpiredTime: z.number().optional(),
  })
  .passthrough();

export interface CardClickPayload {
  outTrackId: string;
  userId: string;
  actionIds: string[];
  params: Record<string, unknown>;
}
export interface BotTextMessage {
  senderStaffId: string;
  text: string;
  sessionWebhook: string;
}
export interface CardCallbackResponse {
  cardData?: { cardParamMap: Record<string, string> };
  userPrivateData?: { cardParamMap: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

export function toCardClick(payload: z.infer<typeof cardCallbackSchema>): CardClickPayload {
  return {
    outTrackId: payload.outTrackId,
    userId: payload.userId,
    actionIds: payload.content.cardPrivateData.actionIds,
    params: payload.content.cardPrivateData.params,
  };
}

export function toBotText(message: z.infer<typeof botMessageSchema>): BotTextMessage | undefined {
  if (message.msgtype !== 'text' || !message.text) return undefined;
  return {
    senderStaffId: message.senderStaffId,
    text: message.text.content.trim(),
    sessionWebhook: message.sessionWebhook,
  };
}

const replayWindowMs = 60 * 60_000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** HMAC checks with a timestamp window and a memory of signatures already seen (replays are refused). */
export class CallbackVerifier {
  private readonly seen = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  private fresh(
    timestamp: string | undefined,
    signature: string | undefined,
    expected: (ts: string) => string,
  ): SignatureCheck {
    if (!timestamp || !signature) return { ok: false, reason: 'signature headers are missing' };
    const ts = Number(timestamp);
    const now = this.now();
    if (!Number.isFinite(ts) || Math.abs(now - ts) > replayWindowMs)
      return { ok: false, reason: 'timestamp is outside the accepted window (1 hour)' };
    const want = Buffer.from(expected(timestamp));
    const got = Buffer.from(signature);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      return { ok: false, reason: 'signature does not match' };
    for (const [sig, at] of this.seen) if (now - at > replayWindowMs) this.seen.delete(sig);
    if (this.seen.has(signature)) return { ok: false, reason: 'this request was already received (replay)' };
    this.seen.set(signature, now);
    return { ok: true };
  }

  /** Card callbacks (§2.8): Base64(HMAC-SHA256(apiSecret, timestamp)). */
  cardCallback(headers: { timestamp?: string; signature?: string }, apiSecret: string): SignatureCheck {
    return this.fresh(headers.timestamp, headers.signature, (ts) =>
      createHmac('sha256', apiSecret).update(ts, 'utf8').digest('base64'),
    );
  }

  /** Robot messages in HTTP mode (§7.2): Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)). */
  botMessage(headers: { timestamp?: string; sign?: string }, appSecret: string): SignatureCheck {
    return this.fresh(headers.timestamp, headers.sign, (ts) =>
      createHmac('sha256', appSecret).update(`${ts}\n${appSecret}`, 'utf8').digest('base64'),
    );
  }
}

export function createDingTalkCallbackRouter(options: {
  /** apiSecret registered for the card callback route; without it, card callbacks cannot be verified and are refused. */
  cardCallbackSecret?: string;
  appSecret: string;
  onCardCallback: (click: CardClickPayload) => Promise<CardCallbackResponse>;
  onBotMessage: (message: BotTextMessage) => Promise<void>;
  /** HTTP event subscription (console "HTTP 推送"): token, aes_key and the app key. */
  event?: {
    token: string;
    aesKey: string;
    ownerKey: string;
    onEvent?: (event: Record<string, unknown>) => Promise<void>;
  };
  logger?: Logger;
  now?: () => number;
}): express.Router {
  const log = options.logger ?? silentLogger;
  const verifier = new CallbackVerifier(options.now);
  const router = express.Router();
  const refuse = (res: express.Response, status: number, message: string) =>
    res.status(status).json({ error: { code: status === 401 ? 'unauthorized' : 'bad-request', message } });

  router.post('/card-callback', async (req, res) => {
    if (!options.cardCallbackSecret)
      return void refuse(
        res,
        401,
        'card callbacks over HTTP need DINGTALK_CARD_CALLBACK_SECRET (the apiSecret registered with the route)',
      );
    const check = verifier.cardCallback(
      { timestamp: req.header('x-ddpaas-signature-timestamp'), signature: req.header('x-ddpaas-signature') },
      options.cardCallbackSecret,
    );
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'refused a card callback');
      return void refuse(res, 401, `card callback refused: ${check.reason}`);
    }
    const payload = cardCallbackSchema.safeParse(req.body);
    if (!payload.success)
      return void refuse(
        res,
        400,
        `malformed card callback: ${payload.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    res.json(await options.onCardCallback(toCardClick(payload.data)));
  });

  router.post('/robot', async (req, res) => {
    const check = verifier.botMessage(
      { timestamp: req.header('timestamp'), sign: req.header('sign') },
      options.appSecret,
    );
    if (!check.ok) return void refuse(res, 401, `robot message refused: ${check.reason}`);
    const message = botMessageSchema.safeParse(req.body);
    if (!message.success)
      return void refuse(
        res,
        400,
        `malformed robot message: ${message.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const text = toBotText(message.data);
    res.json({ msgtype: 'empty' });
    if (text)
      await options.onBotMessage(text).catch((err: unknown) => log.error({ err }, 'handling a robot message failed'));
  });
  if (options.event) {
    const crypto = new DingTalkCallbackCrypto(options.event.token, options.event.aesKey, options.event.ownerKey);
    const seenEvents = new Map<string, number>();
    router.post('/events', async (req, res) => {
      const q = req.query as Record<string, string | undefined>;
      const signature = q.msg_signature ?? q.signature;
      const timestamp = q.timestamp ?? q.timeStamp;
      const nonce = q.nonce;
      const encrypt = (req.body as { encrypt?: unknown } | undefined)?.encrypt;
      if (!signature || !timestamp || !nonce || typeof encrypt !== 'string')
        return void refuse(res, 400, 'event push needs signature, timestamp, nonce and an encrypt body');
      if (!crypto.verify(signature, timestamp, nonce, encrypt))
        return void refuse(res, 401, 'event push refused: signature does not match (check DINGTALK_EVENT_TOKEN)');
      const now = (options.now ?? Date.now)();
      const ts = Number(timestamp) < 1e12 ? Number(timestamp) * 1000 : Number(timestamp);
      if (!Number.isFinite(ts) || Math.abs(now - ts) > replayWindowMs)
        return void refuse(res, 401, 'event push refused: timestamp is outside the accepted window (1 hour)');
      for (const [sig, at] of seenEvents) if (now - at > replayWindowMs) seenEvents.delete(sig);
      if (seenEvents.has(signature))
        return void refuse(res, 401, 'event push refused: this request was already received (replay)');
      let event: Record<string, unknown>;
      try {
        event = z.record(z.string(), z.unknown()).parse(JSON.parse(crypto.decrypt(encrypt)));
      } catch (err) {
        return void refuse(
          res,
          400,
          `event push could not be decrypted: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      seenEvents.set(signature, now);
      if (event.EventType !== 'check_url')
        await options.event!.onEvent?.(event).catch((err: unknown) => log.error({ err }, 'event handling failed'));
      res.json(crypto.successResponse());
    });
  }
  return router;
}
