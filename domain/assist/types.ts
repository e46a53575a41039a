/**
 * The shapes of the reimbursement assistant: what the caller passes in (the message's day, base data) and the
 * proposal it gets back (expenses, questions, the confirmation card's text).
 */
import type { BaseDataEntry } from './match';

export type { BaseDataEntry };

/** Base data the message is matched against (费用项目 and 项目, as read from Kingdee by the caller). */
export interface AssistBaseData {
  expenseItems: readonly BaseDataEntry[];
  projects: readonly BaseDataEntry[];
}

export interface ParseExpenseOptions {
  /**
   * The day the message was written, `YYYY-MM-DD` in the writer's time zone. An ISO instant with an offset
   * (`2026-11-24T02:30:00Z`) is accepted too and read in `timeZone`.
   */
  today: string;
  /** Fixed UTC offset (`+08:00`) or `UTC`, or a China time zone name (`Asia/Shanghai`); default `+08:00`. */
  timeZone?: string;
  baseData: AssistBaseData;
}

/** A base-data entry as it goes into the proposal. */
export interface BaseDataRef {
  number: string;
  name: string;
}

export type AssistField = 'date' | 'amount' | 'item' | 'project' | 'purpose';

/**
 * Why a field is asked: missing; ambiguous (two items, two projects, a week, a range); approximate (三百多); rate
 * (每晚450 without a total); currency (not RMB); future (明天); invalid (2月30日); unknown (a project not in base
 * data); typo (飞机漂: one character off a known term, proposed and asked).
 */
export type QuestionReason =
  'missing' | 'ambiguous' | 'approximate' | 'rate' | 'currency' | 'future' | 'invalid' | 'unknown' | 'typo';

/** A choice offered with a question: a date (`YYYY-MM-DD`) or a base-data number, and how to show it. */
export interface AssistOption {
  value: string;
  label: string;
}

export interface AssistQuestion {
  /** Which expense (0-based) of the proposal. */
  expense: number;
  field: AssistField;
  reason: QuestionReason;
  /** What the message said that the question is about: `上周`, `吃饭`, `三百多`. */
  mention?: string;
  options?: AssistOption[];
  /** The question, in Chinese, without which expense it is about. */
  text: string;
}

/**
 * One proposed expense line. A field is absent when it is asked about (never guessed); `project` is null when the
 * message says there is none (无项目).
 */
export interface ProposedExpense {
  date?: string;
  amount?: number;
  currency: 'CNY';
  item?: BaseDataRef;
  project?: BaseDataRef | null;
  /** 事由: what remains of the message once date, amount and project are taken out; empty when asked. */
  purpose: string;
  questions: AssistQuestion[];
  /** The part of the (normalised) message this expense was read from. */
  source: string;
}

export interface ExpenseProposal {
  /** The message as read (full-width characters normalised). */
  text: string;
  today: string;
  /** At least one. */
  expenses: ProposedExpense[];
  /** Every question of every expense, in order. */
  questions: AssistQuestion[];
  /** Nothing to ask: the proposal can be submitted once the person confirms. */
  complete: boolean;
  /** Anything was recognised at all (a date, an amount, an item or a project); if not, reply with help instead. */
  recognized: boolean;
  /** The confirmation card's text. */
  summary: string;
}
