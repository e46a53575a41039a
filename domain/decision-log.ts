/**
 * The tamper-evident decision log (审批记录): every decision, reminder, escalation and write-back of an approval,
 * kept in workflow state and returned by the `status` query. Each entry carries the SHA-256 of the previous entry,
 * so changing, removing or reordering any entry afterwards breaks the chain and verifyLog says where.
 *
 *   hash = SHA-256( prevHash + canonicalJson(entry without `hash`) )   (hex; the first prevHash is 64 zeros)
 *
 * canonicalJson sorts object keys and drops undefined fields, so the hash depends only on the data, never on the
 * order fields were written in. Chinese text is hashed as UTF-8.
 *
 * Pure and deterministic: runs inside the Temporal workflow sandbox, which has no node:crypto — SHA-256 comes from
 * @noble/hashes (pure JS, audited), and UTF-8 encoding is done here rather than relying on TextEncoder.
 *
 * A chain only proves that what is there has not been changed; cutting entries off the end leaves a valid shorter
 * chain. Keep the head hash somewhere else too (e.g. return it from the workflow or copy it to the admin view) and
 * pass it as `expectedHead` to detect that.
 */
import { sha256 } from '@noble/hashes/sha2';

export const decisionActions = [
  'start',
  'approve',
  'reject',
  'transfer',
  'addApprover',
  'remind',
  'escalate',
  'finalAction',
  'writeBack',
  'notify',
  'externalChange',
  'needsAttention',
  'adminRetry',
  'adminResolve',
  'cancel',
  'complete',
] as const;
export type DecisionAction = (typeof decisionActions)[number];

export const decisionChannels = [
  'card',
  'text',
  'admin',
  'timer',
  'kingdee',
  'robot',
  'workNotice',
  'api',
  'system',
] as const;
export type DecisionChannel = (typeof decisionChannels)[number];

/** A value that hashes the same everywhere: JSON data without undefined, functions or non-finite numbers. */
export type LogValue = string | number | boolean | null | LogValue[] | { [key: string]: LogValue };

export interface DecisionLogEntry {
  /** 1, 2, 3, … in order. */
  seq: number;
  /** ISO 8601 instant, e.g. 2026-11-24T02:32:00.000Z (from the workflow clock). */
  at: string;
  /** DingTalk userId of the person, or 'system' for timers and the bridge itself. */
  actor: string;
  action: DecisionAction;
  stepId?: string;
  channel: DecisionChannel;
  comment?: string;
  /** The approver a delegate acted for, when a delegate decided. */
  onBehalfOf?: string;
  /** Anything else worth keeping, e.g. `{ operation: 'WorkflowAudit', result: 'ok' }`. */
  details?: { [key: string]: LogValue };
  prevHash: string;
  hash: string;
}

/** What a caller supplies; seq and hashes are computed. `at` may be ISO text or epoch ms. */
export type NewDecisionLogEntry = Omit<DecisionLogEntry, 'seq' | 'prevHash' | 'hash' | 'at'> & { at: string | number };

export const GENESIS_HASH = '0'.repeat(64);

export type VerifyResult = { ok: true; head: string } | { ok: false; brokenAt: number; reason: string };

/** Returns a new log with the entry appended (the given log is not modified). */
export function appendEntry(log: readonly DecisionLogEntry[], entry: NewDecisionLogEntry): DecisionLogEntry[] {
  if (!decisionActions.includes(entry.action)) throw new RangeError(`unknown decision-log action "${entry.action}"`);
  if (!decisionChannels.includes(entry.channel))
    throw new RangeError(`unknown decision-log channel "${entry.channel}"`);
  const at = typeof entry.at === 'number' ? new Date(entry.at).toISOString() : entry.at;
  if (Number.isNaN(Date.parse(at)))
    throw new RangeError(`decision-log time "${String(entry.at)}" is not a valid instant`);
  const previous = log[log.length - 1];
  const unsigned: Omit<DecisionLogEntry, 'hash'> = {
    ...withoutUndefined(entry),
    at,
    seq: log.length + 1,
    prevHash: previous ? previous.hash : GENESIS_HASH,
  };
  return [...log, { ...unsigned, hash: entryHash(unsigned) }];
}

/** Checks every link. `expectedHead` (the last hash, kept elsewhere) also catches entries cut off the end. */
export function verifyLog(log: readonly DecisionLogEntry[], expectedHead?: string): VerifyResult {
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < log.length; index++) {
    const entry = log[index] as DecisionLogEntry;
    const seq = index + 1;
    if (entry.seq !== seq) return { ok: false, brokenAt: seq, reason: `entry ${seq} says seq ${entry.seq}` };
    if (entry.prevHash !== prevHash) {
      return { ok: false, brokenAt: seq, reason: `entry ${seq} does not follow entry ${seq - 1}` };
    }
    const { hash, ...unsigned } = entry;
    if (entryHash(unsigned) !== hash) return { ok: false, brokenAt: seq, reason: `entry ${seq} was changed` };
    prevHash = hash;
  }
  if (expectedHead !== undefined && expectedHead !== prevHash) {
    return {
      ok: false,
      brokenAt: log.length + 1,
      reason: 'the log ends early: entries after the last one are missing',
    };
  }
  return { ok: true, head: prevHash };
}

/** The hash an entry should carry (over every field but `hash`, including `prevHash`). */
export function entryHash(entry: Omit<DecisionLogEntry, 'hash'>): string {
  return sha256Hex(entry.prevHash + canonicalJson(entry));
}

/** Hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  const digest = sha256(utf8(text));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * JSON with object keys sorted (by UTF-16 code units), no whitespace, undefined fields dropped. Throws on values
 * JSON cannot represent faithfully (functions, symbols, NaN, Infinity, bigint), since they would hash ambiguously.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot hash the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** UTF-8 encoding (lone surrogates become U+FFFD, as TextEncoder does). */
function utf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else code = 0xfffd;
    } else if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else {
      bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
  }
  return Uint8Array.from(bytes);
}
