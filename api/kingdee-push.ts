/**
 * The push webhook for Kingdee installations that call out on submit/audit (a custom plug-in on the Kingdee side).
 * A push is a hint, never a command: whatever its `event` says, it only makes the form's poller poll now (the
 * poller is started if it is not running: signal-with-start), so the bridge reads the document from Kingdee and one
 * piece of code — ingestion — decides what starts and what gets signalled. A push saying "delete" while Kingdee still
 * shows the document awaiting approval changes nothing.
 *
 * Signature: header `x-kdb-timestamp` (ms since epoch) and `x-kdb-signature` =
 * base64(HMAC-SHA256(secret, `${timestamp}\n${raw body}`)). Requests older or newer than 5 minutes, or seen before,
 * are refused. Every field has a maximum length (it reaches the poller's history), and a form the rules do not poll,
 * or another Kingdee account, is refused with a 4xx that says so.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { documentStatuses } from '../domain/document';
import { ReplayGuard } from '../integrations/dingtalk';

/** Kingdee form ids (FormId): letters, digits and underscores, as the rules file writes them. */
export const pushFormIdPattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export const pushLimits = { acctId: 64, formId: 64, billNo: 80, billId: 64 } as const;

export const pushEventSchema = z.object({
  acctId: z
    .string()
    .min(1)
    .max(pushLimits.acctId)
    .regex(/^[\w.-]+$/, 'may only contain letters, digits and _ . -'),
  formId: z
    .string()
    .max(pushLimits.formId)
    .regex(pushFormIdPattern, 'must be a Kingdee form id (letters, digits and _, starting with a letter)'),
  billNo: z
    .string()
    .min(1)
    .max(pushLimits.billNo)
    .refine((s) => ![...s].some((c) => c < ' ' || c === '\u007f'), 'must not contain control characters'),
  billId: z
    .union([z.string().max(pushLimits.billId), z.number().int().nonnegative()])
    .transform(String)
    .optional(),
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

/** Verifies signature and freshness, and remembers signatures (durably with a file-backed guard) to refuse replays. */
export class PushVerifier {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
    private readonly seen: ReplayGuard = new ReplayGuard({ now }),
  ) {}

  async check(timestamp: string | undefined, signature: string | undefined, rawBody: string): Promise<PushCheck> {
    if (!timestamp || !signature) {
      return {
        ok: false,
        reason: 'missing-signature',
        message: 'x-kdb-timestamp and x-kdb-signature headers are required',
      };
    }
    const ts = Number(timestamp);
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(this.now() - ts) > pushToleranceMs) {
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
    if (await this.seen.has(`push:${signature}`))
      return { ok: false, reason: 'replay', message: 'this request was already received (replay)' };
    return { ok: true };
  }

  /** Call once the push was handled: only then is a repeat of it a replay (a failed one may be retried as is). */
  async remember(signature: string): Promise<void> {
    await this.seen.claim(`push:${signature}`);
  }
}

/** What the bridge polls: the Kingdee account and the forms of the rules file (`ingestion.forms`). */
export interface PushTargets {
  acctId: string;
  formIds: readonly string[];
}

export type PushRefusal = { status: 422; code: 'unknown-account' | 'unknown-form'; message: string };

/** Why a well-formed push cannot be handed to a poller, or undefined when one polls its form. */
export function pushRefusal(event: PushEvent, targets: PushTargets): PushRefusal | undefined {
  if (event.acctId !== targets.acctId)
    return {
      status: 422,
      code: 'unknown-account',
      message: `acctId ${event.acctId} is not the Kingdee account this bridge serves (KINGDEE_ACCT_ID)`,
    };
  if (!targets.formIds.includes(event.formId))
    return {
      status: 422,
      code: 'unknown-form',
      message: `formId ${event.formId} is not polled by this bridge (rules file: ingestion.forms, chains, notifications): nothing to do`,
    };
  return undefined;
}
