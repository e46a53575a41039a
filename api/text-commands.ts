/**
 * Text replies to the bot, turned into decisions. Approvers type what they would say to a colleague:
 *   "同意 FYBX000123", "驳回 FYBX000123 发票缺失", "确认付款", "转交 FYBX000123 王五"
 * A reply without a bill number applies to the sender's only pending approval (the API looks it up). The words
 * themselves are in domain/texts (textCommandWords), next to the help text that teaches them.
 */
import { textCommandWords } from '../domain/texts';

export type TextCommand =
  | { kind: 'decision'; action: 'approve' | 'reject'; billNo?: string; comment?: string }
  | { kind: 'transfer'; billNo?: string; target: string }
  | { kind: 'list' }
  | { kind: 'help' };

const approveWords: readonly string[] = textCommandWords.approve;
const rejectWords: readonly string[] = textCommandWords.reject;
const transferWords: readonly string[] = textCommandWords.transfer;
const listWords: readonly string[] = textCommandWords.list;

/** Kingdee bill numbers: letters then digits, optionally with dashes (FYBX000123, FKD000045, CGDD-2026-001). */
const billNoPattern = /^[A-Za-z]{1,10}[-_]?\d[\w-]*$/;

export function parseTextCommand(raw: string): TextCommand {
  // DingTalk group messages start with the @mention of the bot; drop it and normalise full-width spaces.
  const text = raw
    .replace(/@\S+/g, ' ')
    .replace(/\u3000/g, ' ')
    .trim();
  const words = text.split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (!first) return { kind: 'help' };
  if (listWords.includes(first)) return { kind: 'list' };

  const billNo = rest[0] && billNoPattern.test(rest[0]) ? rest[0].toUpperCase() : undefined;
  const after = billNo ? rest.slice(1) : rest;
  const comment = after.join(' ').trim() || undefined;

  if (transferWords.includes(first)) {
    return comment ? { kind: 'transfer', billNo, target: comment } : { kind: 'help' };
  }
  const action = approveWords.includes(first) ? 'approve' : rejectWords.includes(first) ? 'reject' : undefined;
  if (!action) return { kind: 'help' };
  return { kind: 'decision', action, billNo, comment };
}
