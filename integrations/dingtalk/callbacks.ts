/**
 * Receiving from DingTalk: payload schemas for card callbacks and robot messages (both transports), the HTTP card
 * callback signature check (with replay protection), the robot-message HTTP signature check, and an express Router
 * for HTTP mode. Every refusal is a 4xx with a clear JSON message; nothing reaches the handlers unverified.
 *
 * Every field that can reach a workflow's history has a maximum length here, at the edge (a longer one is a 400).
 * Replays are refused across restarts: what was received is kept in a ReplayGuard, a journal file under DATA_DIR,
 * for twice the accepted timestamp window, so neither a restart nor the window can let an old request in again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { Journal } from '../../common/journal';
import { silentLogger, type Logger } from '../../common/logger';
import { DingTalkCallbackCrypto } from './callback-crypto';

/** Maximum lengths of what DingTalk sends (characters); every one of them may end up in a workflow's history. */
export const callbackLimits = {
  /** userId, corpId, conversation and message ids. */
  id: 128,
  outTrackId: 256,
  /** The card callback's `content` (a JSON string). */
  content: 16_384,
  actionIds: 8,
  /** How many params a card callback may carry. */
  params: 32,
  /** A decision's comment or rejection reason (as the admin API). */
  comment: 500,
  workflowId: 512,
  /** A text message to the bot. */
  text: 2_000,
  url: 2_048,
} as const;

const id = (what: string) => z.string().min(1, `${what} is empty`).max(callbackLimits.id);

/** The card-callback payload (reference §2.7); `content` is a JSON string, parsed here. */
export const cardCallbackSchema = z
  .object({
    outTrackId: z.string().min(1).max(callbackLimits.outTrackId),
    userId: id('userId'),
    corpId: z.string().max(callbackLimits.id).optional(),
    content: z
      .string()
      .max(callbackLimits.content)
      .transform((text, ctx) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          ctx.issues.push({
            code: 'custom',
            input: text,
            message: 'content must be a JSON string with cardPrivateData',
          });
          return z.NEVER;
        }
        const parsed = cardContentSchema.safeParse(json);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues)
          ctx.issues.push({ code: 'custom', input: text, message: `${issue.path.join('.')}: ${issue.message}` });
        return z.NEVER;
      }),
  })
  .passthrough();

const cardContentSchema = z.object({
  cardPrivateData: z.object({
    actionIds: z.array(z.string().max(64)).max(callbackLimits.actionIds).default([]),
    params: z
      .record(z.string().max(64), z.unknown())
      .default({})
      .refine((params) => Object.keys(params).length <= callbackLimits.params, 'too many params')
      .superRefine((params, ctx) => {
        const limits: Record<string, number> = {
          workflowId: callbackLimits.workflowId,
          comment: callbackLimits.comment,
          stepId: 64,
          targetUserId: callbackLimits.id,
          target: callbackLimits.id,
        };
        for (const [key, max] of Object.entries(limits)) {
          const value = params[key];
          if (typeof value === 'string' && value.length > max)
            ctx.issues.push({ code: 'custom', input: value, path: [key], message: `at most ${max} characters` });
        }
      }),
  }),
});

/** Robot message (reference §7.1). */
export const botMessageSchema = z
  .object({
    msgtype: z.string().max(32),
    msgId: z.string().max(callbackLimits.id).optional(),
    text: z.object({ content: z.string().max(callbackLimits.text) }).optional(),
    senderStaffId: z
      .string()
      .min(1, 'senderStaffId is empty: the sender is outside the organisation')
      .max(callbackLimits.id),
    senderNick: z.string().max(callbackLimits.id).optional(),
    conversationType: z.string().max(8).optional(),
    conversationId: z.string().max(callbackLimits.id).optional(),
    sessionWebhook: z.url({ protocol: /^https?$/ }).max(callbackLimits.url),
    sessionWebhookExpiredTime: z.number().optional(),
    createAt: z.number().optional(),
  })
  .passthrough();

export interface CardClickPayload {
  outTrackId: string;
  userId: string;
  actionIds: string[];
  params: Record<string, unknown>;
  /**
   * When DingTalk sent the click, by its clock (ms): the Stream frame's `time`, or the HTTP callback's signature
   * timestamp. Its 2 s for the answer run from then, also while the click waited in this process.
   */
  sentAt?: number;
}
export interface BotTextMessage {
  senderStaffId: string;
  text: string;
  sessionWebhook: string;
  /** DingTalk's id of the message, when it sends one: the same message delivered twice has the same id. */
  msgId?: string;
}
export interface CardCallbackResponse {
  cardData?: { cardParamMap: Record<string, string> };
  userPrivateData?: { cardParamMap: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

export function toCardClick(payload: z.infer<typeof cardCallbackSchema>, sentAt?: string): CardClickPayload {
  const sentAtMs = sentAt !== undefined && /^\d{1,15}$/.test(sentAt) ? Number(sentAt) : undefined;
  return {
    outTrackId: payload.outTrackId,
    userId: payload.userId,
    actionIds: payload.content.cardPrivateData.actionIds,
    params: payload.content.cardPrivateData.params,
    ...(sentAtMs !== undefined ? { sentAt: sentAtMs } : {}),
  };
}

export function toBotText(message: z.infer<typeof botMessageSchema>): BotTextMessage | undefined {
  if (message.msgtype !== 'text' || !message.text) return undefined;
  return {
    senderStaffId: message.senderStaffId,
    text: message.text.content.trim(),
    sessionWebhook: message.sessionWebhook,
    ...(message.msgId ? { msgId: message.msgId } : {}),
  };
}

/** Requests whose timestamp is further than this from the server's clock are refused (DingTalk's own rule). */
export const replayWindowMs = 60 * 60_000;

/** Where a deployment keeps what it received (one file per deployment, e.g. per task queue). */
export function replayGuardFile(dataDir: string, deployment: string): string {
  return path.resolve(dataDir, 'received', `${deployment.replace(/[^\w.-]/g, '_')}.jsonl`);
}

/**
 * What was already received — signatures, message ids — remembered for `retainMs`, durably when given a file: each
 * key is fsync'd to a journal (common/journal.ts) before the request it belongs to is handled, and read back on the
 * next start, so a replay after a restart is refused as well. Keys are claimed synchronously in memory first, so two
 * copies arriving together cannot both pass. Only requests that passed their signature check are remembered, so
 * the set grows with genuine traffic only.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, { at: number; recordId?: string }>();
  private readonly journal?: Journal<{ key: string; at: number }>;
  private loading?: Promise<void>;
  private readonly retainMs: number;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(options: { file?: string; retainMs?: number; now?: () => number; logger?: Logger } = {}) {
    // A timestamp up to a window in the future is accepted, so a key must outlive two windows.
    this.retainMs = options.retainMs ?? 2 * replayWindowMs;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
    if (options.file) this.journal = new Journal(options.file, { compactAfter: 500 });
  }

  /** Read what earlier runs received (once; later calls wait for the same read). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const records = (await this.journal?.pending()) ?? [];
      for (const record of records.sort((a, b) => a.data.at - b.data.at)) {
        if (typeof record.data?.key === 'string' && typeof record.data.at === 'number')
          this.seen.set(record.data.key, { at: record.data.at, recordId: record.id });
      }
    })();
    return this.loading;
  }

  /** True if the key was received before (and not yet forgotten). */
  async has(key: string): Promise<boolean> {
    await this.load();
    this.expire();
    return this.seen.has(key);
  }

  /**
   * Remember the key: true if it is new (stored durably once this resolves), false if it was received before.
   * Rejects if it could not be stored; the key is then not remembered and the request should be refused.
   */
  async claim(key: string): Promise<boolean> {
    await this.load();
    this.expire();
    if (this.seen.has(key)) return false;
    const entry: { at: number; recordId?: string } = { at: this.now() };
    this.seen.set(key, entry);
    if (!this.journal) return true;
    try {
      entry.recordId = (await this.journal.append({ key, at: entry.at })).id;
      return true;
    } catch (err) {
      this.seen.delete(key);
      throw err;
    }
  }

  /**
   * Forget a claimed key whose request could not be handled (it was refused with a 5xx), so the sender's retry of
   * the same request is accepted.
   */
  async release(key: string): Promise<void> {
    const entry = this.seen.get(key);
    if (!entry) return;
    this.seen.delete(key);
    if (entry.recordId && this.journal) await this.journal.markDone(entry.recordId, 'released');
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.seen.size;
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }

  /** Forget keys older than the retention (oldest first: the map is in arrival order). */
  private expire(): void {
    const horizon = this.now() - this.retainMs;
    for (const [key, entry] of this.seen) {
      if (entry.at >= horizon) break;
      this.seen.delete(key);
      if (entry.recordId && this.journal)
        this.journal
          .markDone(entry.recordId, 'expired')
          .catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not expire a received-request record'));
    }
  }
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string; replay?: boolean };

/** HMAC checks with a timestamp window and a memory of signatures already seen (replays are refused). */
export class CallbackVerifier {
  constructor(
    private readonly now: () => number = Date.now,
    private readonly seen: ReplayGuard = new ReplayGuard({ now }),
  ) {}

  private async fresh(
    kind: string,
    timestamp: string | undefined,
    signature: string | undefined,
    expected: (ts: string) => string,
  ): Promise<SignatureCheck> {
    if (!timestamp || !signature) return { ok: false, reason: 'signature headers are missing' };
    const ts = Number(timestamp);
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(this.now() - ts) > replayWindowMs)
      return { ok: false, reason: 'timestamp is outside the accepted window (1 hour)' };
    const want = Buffer.from(expected(timestamp));
    const got = Buffer.from(signature);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      return { ok: false, reason: 'signature does not match' };
    if (!(await this.seen.claim(`${kind}:${signature}`)))
      return { ok: false, reason: 'this request was already received (replay)', replay: true };
    return { ok: true };
  }

  /** Card callbacks (§2.8): Base64(HMAC-SHA256(apiSecret, timestamp)). */
  cardCallback(headers: { timestamp?: string; signature?: string }, apiSecret: string): Promise<SignatureCheck> {
    return this.fresh('card', headers.timestamp, headers.signature, (ts) =>
      createHmac('sha256', apiSecret).update(ts, 'utf8').digest('base64'),
    );
  }

  /** Robot messages in HTTP mode (§7.2): Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)). */
  botMessage(headers: { timestamp?: string; sign?: string }, appSecret: string): Promise<SignatureCheck> {
    return this.fresh('robot', headers.timestamp, headers.sign, (ts) =>
      createHmac('sha256', appSecret).update(`${ts}\n${appSecret}`, 'utf8').digest('base64'),
    );
  }
}

/**
 * A robot message seen before, by its msgId (the same message by Stream and by HTTP, or delivered again): true if
 * it must be dropped. Messages without a msgId rely on their transport's own check.
 */
export async function isRepeatedBotMessage(guard: ReplayGuard, message: { msgId?: string }): Promise<boolean> {
  return message.msgId !== undefined && !(await guard.claim(`msg:${message.msgId}`));
}

const issuesText = (error: z.ZodError) =>
  error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/** A header or query value as one string (a repeated one is refused as absent). */
const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

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
  /** What was already received (durable in the service: a replay after a restart is refused); default in memory. */
  replayGuard?: ReplayGuard;
  logger?: Logger;
  now?: () => number;
}): express.Router {
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const guard = options.replayGuard ?? new ReplayGuard({ now });
  const verifier = new CallbackVerifier(now, guard);
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
    const check = await verifier.cardCallback(
      { timestamp: req.header('x-ddpaas-signature-timestamp'), signature: req.header('x-ddpaas-signature') },
      options.cardCallbackSecret,
    );
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'refused a card callback');
      return void refuse(res, 401, `card callback refused: ${check.reason}`);
    }
    const payload = cardCallbackSchema.safeParse(req.body);
    if (!payload.success) return void refuse(res, 400, `malformed card callback: ${issuesText(payload.error)}`);
    res.json(await options.onCardCallback(toCardClick(payload.data, req.header('x-ddpaas-signature-timestamp'))));
  });

  router.post('/robot', async (req, res) => {
    const check = await verifier.botMessage(
      { timestamp: req.header('timestamp'), sign: req.header('sign') },
      options.appSecret,
    );
    if (!check.ok) return void refuse(res, 401, `robot message refused: ${check.reason}`);
    const message = botMessageSchema.safeParse(req.body);
    if (!message.success) return void refuse(res, 400, `malformed robot message: ${issuesText(message.error)}`);
    if (await isRepeatedBotMessage(guard, message.data))
      return void refuse(res, 401, 'robot message refused: this message was already received (replay)');
    const text = toBotText(message.data);
    res.json({ msgtype: 'empty' });
    if (text)
      await options.onBotMessage(text).catch((err: unknown) => log.error({ err }, 'handling a robot message failed'));
  });
  if (options.event) {
    const crypto = new DingTalkCallbackCrypto(options.event.token, options.event.aesKey, options.event.ownerKey);
    router.post('/events', async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const signature = single(q.msg_signature) ?? single(q.signature);
      const timestamp = single(q.timestamp) ?? single(q.timeStamp);
      const nonce = single(q.nonce);
      const encrypt = (req.body as { encrypt?: unknown } | undefined)?.encrypt;
      if (!signature || !timestamp || !nonce || typeof encrypt !== 'string')
        return void refuse(res, 400, 'event push needs signature, timestamp, nonce and an encrypt body');
      if (!crypto.verify(signature, timestamp, nonce, encrypt))
        return void refuse(res, 401, 'event push refused: signature does not match (check DINGTALK_EVENT_TOKEN)');
      const ts = Number(timestamp) < 1e12 ? Number(timestamp) * 1000 : Number(timestamp);
      if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now() - ts) > replayWindowMs)
        return void refuse(res, 401, 'event push refused: timestamp is outside the accepted window (1 hour)');
      if (await guard.has(`event:${signature}`))
        return void refuse(res, 401, 'event push refused: this request was already received (replay)');
      let event: Record<string, unknown>;
      try {
        event = z.record(z.string(), z.unknown()).parse(JSON.parse(crypto.decrypt(encrypt)));
      } catch (err) {
        return void refuse(
          res,
          400,
          `event push could not be decrypted: ${err instanceof Error ? err.message.slice(0, 200) : 'not JSON'}`,
        );
      }
      if (!(await guard.claim(`event:${signature}`)))
        return void refuse(res, 401, 'event push refused: this request was already received (replay)');
      if (event.EventType !== 'check_url') {
        try {
          await options.event!.onEvent?.(event);
        } catch (err) {
          // Not acknowledged, so DingTalk delivers it again; its retry must not be taken for a replay.
          log.error({ err, eventType: event.EventType }, 'event handling failed; DingTalk will retry the push');
          await guard
            .release(`event:${signature}`)
            .catch((releaseErr: unknown) => log.warn({ err: String(releaseErr) }, 'could not release an event push'));
          return void res.status(503).json({
            error: {
              code: 'unavailable',
              message: 'the event could not be handed on now (is Temporal reachable?); DingTalk retries the push',
            },
          });
        }
      }
      res.json(crypto.successResponse());
    });
  }
  return router;
}
