/**
 * Text replies to the bot, turned into what the person asked for. Approvers type what they would say to a colleague:
 *   "同意 FYBX000123", "驳回 QA/2026 001 发票缺失", "转交 QA-报销-7 钱七", "同意" (while one approval waits)
 *
 * Nothing acts on what the person did not say. Kingdee bill numbers may hold '/', spaces, Chinese and lower case, so
 * a bill number is never recognised by what numbers look like: the text after the command word is matched against
 * the bill numbers of the SENDER's pending approvals — exactly first, then ignoring case (any run of spaces in a bill
 * number matches any run of spaces typed). What follows the matched number is the comment, the rejection reason or
 * the person brought in, kept as typed (emoji, line breaks). A text naming anything else is refused by the caller; a
 * text naming nothing at all applies to the sender's only pending approval. Pure: the caller looks the approvals up.
 * The words themselves are in domain/texts (textCommandWords), next to the help text that teaches them.
 */
import { textCommandWords, urgencyRequestWords } from '../domain/texts';
import { paymentCommandWords } from '../domain/texts/payments';

export type CommandAction = 'approve' | 'reject' | 'transfer' | 'addApprover';

/** What the words of a message ask for, before any bill number is looked at. */
export type TextCommand =
  /** `rest`: everything after the command word (trimmed, otherwise as typed): bill number, then comment/person. */
  { kind: 'command'; action: CommandAction; rest: string } | { kind: 'list' } | { kind: 'help' };

/** A pending approval as the matcher needs it (PendingApproval from temporal/approvals.ts fits). */
export interface PendingBill {
  workflowId: string;
  billNo?: string;
}

/** Which pending approval the text after the command word names. */
export type BillMatch<P extends PendingBill> =
  /** The text names nothing (it was only the command word). */
  | { kind: 'none' }
  /** `after`: what follows the bill number (trimmed), empty when nothing does. */
  | { kind: 'matched'; approval: P; billNo: string; after: string }
  /** Several pending approvals carry the bill number the text names (the same number on two forms). */
  | { kind: 'ambiguous'; approvals: P[]; billNo: string }
  /** The text does not start with any of the sender's pending bill numbers. */
  | { kind: 'unmatched'; rest: string };

/** What the message asks for, read against the sender's pending approvals. */
export type TextIntent<P extends PendingBill> =
  | { kind: 'help' }
  | { kind: 'list' }
  /** Decide on one approval. `text`: the comment / rejection reason (approve, reject) or the person (transfer …). */
  | { kind: 'decide'; action: CommandAction; approval: P; billNo?: string; text?: string }
  /** The text named no bill and nothing waits for the sender. */
  | { kind: 'nothingPending' }
  /** The text named no bill and several approvals wait: which one? */
  | { kind: 'whichBill'; pending: P[] }
  /** 转交 / 加签 must name the bill. */
  | { kind: 'transferNeedsBill'; action: 'transfer' | 'addApprover' }
  /** 转交 / 加签 named the bill but nobody to bring in. */
  | { kind: 'transferNeedsPerson'; action: 'transfer' | 'addApprover'; billNo: string }
  | { kind: 'ambiguousBill'; billNo: string; approvals: P[] }
  /** The text names something that is none of the sender's pending bills (unknown, or someone else's). */
  | { kind: 'unknownBill'; rest: string };

const commandWords: ReadonlyArray<[CommandAction | 'list', readonly string[]]> = [
  ['approve', textCommandWords.approve],
  ['reject', textCommandWords.reject],
  ['transfer', textCommandWords.transfer],
  ['addApprover', textCommandWords.addApprover],
  ['list', textCommandWords.list],
];

/** The words of a message: the command word, and the rest as typed. */
export function parseTextCommand(raw: string): TextCommand {
  // A group message may start with the @mention of the bot; only leading mentions are dropped (a comment may hold @).
  const text = raw.replace(/^(?:\s*@\S+)+/u, '').trim();
  const first = /^\S+/u.exec(text)?.[0];
  if (!first) return { kind: 'help' };
  const rest = text.slice(first.length).trim();
  const word = first.toLowerCase();
  const found = commandWords.find(([, words]) => words.some((w) => w.toLowerCase() === word));
  if (!found) return { kind: 'help' };
  const [action] = found;
  if (action === 'list') return { kind: 'list' };
  return { kind: 'command', action, rest };
}

/**
 * Which of the sender's pending approvals `rest` starts with: a bill number followed by the end of the text or by a
 * space. Exact matches first, then ignoring case; the longest bill number wins (QA 1 2 over QA 1).
 */
export function matchBill<P extends PendingBill>(rest: string, pending: readonly P[]): BillMatch<P> {
  const text = rest.trim();
  if (!text) return { kind: 'none' };
  for (const flags of ['u', 'iu']) {
    let best: { length: number; billNo: string; approvals: P[] } | undefined;
    for (const approval of pending) {
      const billNo = approval.billNo?.trim();
      if (!billNo) continue;
      const match = billPattern(billNo, flags).exec(text);
      if (!match) continue;
      const length = match[0].length;
      if (!best || length > best.length) best = { length, billNo, approvals: [approval] };
      else if (length === best.length && !best.approvals.some((a) => a.workflowId === approval.workflowId))
        best.approvals.push(approval);
    }
    if (!best) continue;
    const [only, ...others] = best.approvals;
    if (only && others.length === 0) {
      return { kind: 'matched', approval: only, billNo: only.billNo!, after: text.slice(best.length).trim() };
    }
    return { kind: 'ambiguous', approvals: best.approvals, billNo: best.billNo };
  }
  return { kind: 'unmatched', rest: text };
}

/** The message read against the sender's pending approvals: what to decide on, or why nothing can be. */
export function interpretTextCommand<P extends PendingBill>(raw: string, pending: readonly P[]): TextIntent<P> {
  const command = parseTextCommand(raw);
  if (command.kind !== 'command') return command;
  const { action } = command;
  const transfer = action === 'transfer' || action === 'addApprover';
  const bill = matchBill(command.rest, pending);
  switch (bill.kind) {
    case 'none': {
      if (transfer) return { kind: 'transferNeedsBill', action };
      const [only, ...others] = pending;
      if (!only) return { kind: 'nothingPending' };
      if (others.length > 0) return { kind: 'whichBill', pending: [...pending] };
      return { kind: 'decide', action, approval: only, ...(only.billNo ? { billNo: only.billNo } : {}) };
    }
    case 'matched':
      if (transfer && !bill.after) return { kind: 'transferNeedsPerson', action, billNo: bill.billNo };
      return {
        kind: 'decide',
        action,
        approval: bill.approval,
        billNo: bill.billNo,
        ...(bill.after ? { text: bill.after } : {}),
      };
    case 'ambiguous':
      return { kind: 'ambiguousBill', billNo: bill.billNo, approvals: bill.approvals };
    case 'unmatched':
      return { kind: 'unknownBill', rest: bill.rest };
  }
}

/**
 * The bill numbers a text not matching any pending approval may have meant, longest first: its first one to four
 * words (a bill number may hold spaces), each as typed and upper-cased. The caller looks these up among all approvals
 * to say whether the bill exists at all; `named` is what the answer quotes (the first word).
 */
export function billNoCandidates(rest: string): { named: string; candidates: string[] } {
  const words = rest.trim().split(/\s+/u).filter(Boolean);
  const prefixes = words.slice(0, 4).map((_, i) => words.slice(0, i + 1).join(' '));
  const candidates = [...prefixes.reverse().flatMap((p) => [p, p.toUpperCase()])];
  return { named: words[0] ?? '', candidates: [...new Set(candidates)] };
}

/** A bill number as a pattern: literal characters, any run of spaces matching any run of spaces typed. */
function billPattern(billNo: string, flags: string): RegExp {
  const body = billNo
    .split(/\s+/u)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&'))
    .join('\\s+');
  return new RegExp(`^${body}(?=\\s|$)`, flags);
}

/**
 * The words of the two flows into Kingdee, read before the approval commands: `确认付款 FYBX000123` (a cashier's
 * payment; `billNo` is the rest as typed, empty when none), a message that is only `确认` / `取消` (the sender's
 * pending reimbursement proposal), and a message starting with 报销 (the reimbursement assistant). Undefined: none.
 */
export type AssistCommand =
  { kind: 'pay'; billNo: string } | { kind: 'confirm' } | { kind: 'cancel' } | { kind: 'expense'; text: string };

export function parseAssistCommand(raw: string): AssistCommand | undefined {
  const text = raw.replace(/^(?:\s*@\S+)+/u, '').trim();
  const lower = text.toLowerCase();
  const is = (words: readonly string[]) => words.some((w) => w.toLowerCase() === lower);
  if (is(paymentCommandWords.confirm)) return { kind: 'confirm' };
  if (is(paymentCommandWords.cancel)) return { kind: 'cancel' };
  const first = /^\S+/u.exec(text)?.[0] ?? '';
  if (paymentCommandWords.pay.some((w) => w === first)) return { kind: 'pay', billNo: text.slice(first.length).trim() };
  if (paymentCommandWords.expense.some((w) => text.startsWith(w))) return { kind: 'expense', text };
  return undefined;
}

/**
 * A request to hurry a document ("王总急催 FYBX000123", "FYBX000123 加急", "加急 QA/2026 001"): the text with the
 * urgency words and a leading title (王总) taken out is what may name the bill — the caller matches it against
 * running approvals, never by a pattern. Undefined when the text asks for no hurry.
 */
export function parseUrgencyRequest(raw: string): { candidates: string[] } | undefined {
  const text = raw.replace(/^(?:\s*@\S+)+/u, '').trim();
  const words = [...urgencyRequestWords].sort((a, b) => b.length - a.length);
  const lower = text.toLowerCase();
  if (!words.some((w) => lower.includes(w.toLowerCase()))) return undefined;
  let rest = text;
  for (const word of words) rest = rest.split(new RegExp(escapeRegExp(word), 'iu')).join(' ');
  // "王总急催 X": a title before the urgency word is who asks, not the bill.
  const tokens = rest
    .split(/[\s，,。.!！?？:：]+/u)
    .map((t) => t.trim())
    .filter(
      (t) => t.length > 0 && !/^(?:\p{Script=Han}{1,2}(?:总|经理|主管|老板))$/u.test(t) && t !== '请' && t !== '帮忙',
    );
  const whole = tokens.join(' ');
  const candidates = [...new Set([whole, ...tokens])].filter((t) => t.length > 0);
  return { candidates };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
