/**
 * The push webhook for Kingdee installations that call out on submit/audit (a custom plug-in on the Kingdee side).
 * It feeds the same path as polling: the form's poller is told to poll now, so one piece of code decides what
 * starts and what gets signalled.
 *
 * Signature: header `x-kdb-timestamp` (ms since epoch) and `x-kdb-signature` =
 * base64(HMAC-SHA256(secret, `${timestamp}\n${raw body}`)). Requests older or newer than 5 minutes, or seen before,
 * are refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { documentStatuses } from '../domain/document';

export const pushEventSchema = z.object({
  acctId: z.string().min(1),
  formId: z.string().min(1),
  billNo: z.string().min(1),
  billId: z.union([z.string(), z.number()]).transform(String).optional(),
  event: z.enum(['save', 'submit', 'audit', 'unaudit', 'cancel', 'delete', 'workflow']),
  status: z.enum(documentStatuses).optional(),
});
export type PushEvent = z.infer<typeof pushEventSchema>;

export const pushToleranceMs = 5 * 60_000;

export function signPush(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${rawBody}`, 'utf8').digest('base64');
}

export type PushCheck =
  { ok: true } | { ok: false; reason: 'missing-signature' | 'stale' | 'bad-signature' | 'replay'; message: string };

/** Verifies signature and freshness, and remembers signatures inside the window to refuse replays. */
export class PushVerifier {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  check(timestamp: string | undefined, signature: string | undefined, rawBody: string): PushCheck {
    if (!timestamp || !signature) {
      return {
        ok: false,
        reason: 'missing-signature',
        message: 'x-kdb-timestamp and x-kdb-signature headers are required',
      };
    }
    const ts = Number(timestamp);
    const now = this.now();
    if (!Number.isFinite(ts) || Math.abs(now - ts) > pushToleranceMs) {
      return {
        ok: false,
        reason: 'stale',
        message: 'timestamp is missing or more than 5 minutes away from server time: check the sender clock',
      };
    }
    const expected = Buffer.from(signPush(this.secret, timestamp, rawBody));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return {
        ok: false,
        reason: 'bad-signature',
        message: 'signature does not match: check the shared secret (KINGDEE_PUSH_SECRET)',
      };
    }
    for (const [sig, at] of this.seen) if (now - at > pushToleranceMs) this.seen.delete(sig);
    if (this.seen.has(signature))
      return { ok: false, reason: 'replay', message: 'this request was already received (replay)' };
    return { ok: true };
  }

  /** Call once the push was handled: only then is a repeat of it a replay (a failed one may be retried as is). */
  remember(signature: string): void {
    this.seen.set(signature, this.now());
  }
}
