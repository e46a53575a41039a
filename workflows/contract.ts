/**
 * The contract between our workflows and everything outside them: workflow type names, every signal, update and
 * query, and the shapes they carry — defined once and imported by both the workflows and their callers (the
 * Temporal client in temporal/, the API, ingestion, tests), so no name is ever repeated as a string. Also the ids
 * derived from documents. Types only plus `define*` calls: sandbox-safe.
 *
 * Longer than the ~500-line guide on purpose: every name and shape crossing the workflow boundary in one
 * file, so no name is ever written twice; sections per workflow.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DocumentRef, DocumentStatus, DocumentSummary } from '../domain/document';
import type { CardField } from '../domain/texts/cards';
import type { ChainPlan, ResolvedTarget, RobotTarget } from '../rules/plan';
import type { DecisionLogEntry } from '../domain/decision-log';
import type { Notice } from '../domain/texts';
import type { Calendar } from '../domain/business-hours';
import type { DeadlineShift, Recurrence } from '../domain/deadlines';
import type { WatchCondition, WatchMemory } from '../domain/watch-state';

export const defaultTaskQueue = 'kingdee-dingtalk-bridge';

/**
 * Workflow type names: the names of the functions workflows/index.ts exports (a unit test holds them equal). Callers
 * start workflows by these names so they need not import workflow code.
 */
export const workflowTypes = {
  approval: 'approvalWorkflow',
  poller: 'pollerWorkflow',
  outbox: 'outboxWorkflow',
  watch: 'watchWorkflow',
  deadline: 'deadlineWorkflow',
  approverDigest: 'approverDigestWorkflow',
  weeklyReport: 'weeklyReportWorkflow',
  payment: 'paymentWorkflow',
  expenseDraft: 'expenseDraftWorkflow',
  oaImport: 'oaImportWorkflow',
} as const;

/** One workflow id per document: starting twice for the same document is a no-op (idempotent start). */
export function approvalWorkflowId(ref: Pick<DocumentRef, 'acctId' | 'formId' | 'billNo'>): string {
  return `approval:${ref.acctId}:${ref.formId}:${ref.billNo}`;
}

export interface ApprovalWorkflowInput {
  document: DocumentRef;
}

export type DecisionAction = 'approve' | 'reject' | 'transfer' | 'addApprover';
export type DecisionChannel = 'card' | 'text' | 'admin' | 'api';

/** A person's decision, from a card button (Update) or a text reply to the bot (Signal or Update). */
export interface DecisionInput {
  /** DingTalk userId of the person deciding. */
  userId: string;
  action: DecisionAction;
  /** Required for reject; shown to the applicant and written back to Kingdee. */
  comment?: string;
  /** The step the card was for; a card from an earlier step is stale and refused. Omit for text replies. */
  stepId?: string;
  /** transfer / addApprover: the DingTalk userId brought in. */
  targetUserId?: string;
  channel: DecisionChannel;
}

/** What the caller (card callback, bot reply) learns right away. */
export interface DecisionResult {
  accepted: true;
  /** The stage after the decision. */
  stage: ApprovalStage;
  /** The clicking approver's card as it should look now (sent back in the card-callback response). */
  cardParams: Record<string, string>;
  /** A one-line answer for the person, in Chinese. */
  message: string;
}

export type ApprovalStage =
  | 'starting'
  | 'awaiting-approval'
  | 'writing-back'
  | 'needs-attention'
  | 'approved'
  | 'rejected'
  | 'closed-in-kingdee'
  | 'not-applicable';

/** A person the workflow deals with (DingTalk). */
export interface Person {
  userId: string;
  name: string;
}

/** What the workflow captures at its start: the document as Kingdee has it and the plan from the rules file, kept in
 * history so later edits to the rules never change a running approval. */
export type ApprovalPlan =
  | {
      applicable: true;
      document: DocumentSummary;
      plan: ChainPlan;
      contact?: AttentionContact;
      /** What the form's cards show (rules `forms.<form>.card`); absent in plans from before it existed. */
      card?: { fields?: CardField[] };
      /** Whether the document is urgent from the start, and the urgent schedule (rules `urgency`). */
      urgency?: UrgencyPlan;
      /**
       * The first step's approvers, when planApprovalWithApprovers could resolve them (absent otherwise: the step
       * resolves them itself, and fails there as it always did).
       */
      firstApprovers?: Person[];
    }
  /** Nothing to approve (the document is not awaiting approval, or is gone). */
  | { applicable: false; reason: string; document?: DocumentSummary; contact?: AttentionContact }
  /** The rules cannot plan this document (form not configured, no step applies): a person must look. */
  | {
      applicable: 'misconfigured';
      reason: string;
      type: string;
      document: DocumentSummary;
      contact?: AttentionContact;
    };

/** Whom a needs-attention alert goes to (the rules' ops) and where a person acts on it (deployment URLs, if known). */
export interface AttentionContact {
  ops?: { robot?: RobotTarget; users: string[] };
  /** Base URL of this service (its admin API: /admin/approvals/:id/retry|resolve). */
  apiBaseUrl?: string;
  /** Base URL of the Temporal Web UI. */
  temporalUiUrl?: string;
}

export type { ResolvedTarget, RobotTarget };
export type { Notice };

/**
 * One notice of several handed over together (handOverNotices): to a robot's group and/or to people, the applicant
 * too when `applicant`. `key` is the workflow's name for it, unique in its run: its outbox ids come from the key, so
 * handing it over again (a retry) is dropped by the outbox as the same notice.
 */
export interface NoticeHandOver {
  key: string;
  notice: Notice;
  robot?: RobotTarget;
  userIds: string[];
  applicant: boolean;
}

/** One seat on a step: the assignee decides, or a delegate on their behalf (configured, or a manager brought in by escalation). */
export interface ApprovalSlot {
  assignee: string;
  delegates: string[];
  /** People who handed this seat on (转交), oldest first. */
  transferredFrom?: string[];
  transferredAt?: string;
  /** Who added this seat (加签). */
  addedBy?: string;
  decision?: { by: string; action: 'approve' | 'reject'; at: string; comment?: string };
}

export interface StepState {
  id: string;
  name: string;
  /** any: one approval decides the step; all: every seat must approve. A rejection always decides it. */
  mode: 'any' | 'all';
  slots: ApprovalSlot[];
  /** Everyone who has been asked on this step (userIds), for search and display. */
  approvers: string[];
  /** userId → display name, for messages. */
  names: Record<string, string>;
  approvedBy: string[];
  startedAt: string;
  decidedAt?: string;
  outcome?: 'approved' | 'rejected';
  rejectReason?: string;
  remindersSent: number;
  escalated: boolean;
}

export interface ApprovalState {
  workflowId: string;
  document?: DocumentSummary;
  stage: ApprovalStage;
  currentStepIndex: number;
  steps: StepState[];
  /** Outcome of the write-back to Kingdee, once done. */
  writeBack?: { operation: string; alreadyInState: boolean; at: string };
  /** Why the workflow needs an administrator, while stage is needs-attention. */
  attention?: {
    reason: string;
    errorType: string;
    since: string;
    /** The part of the approval that stopped, which an admin retry runs again (docs/failure-policy.md). */
    phase?: 'plan' | 'approval' | 'writeBack' | 'finish' | 'close';
  };
  escalated: boolean;
  /** Set once the document is urgent (加急): why, since when, and who asked (absent: a Kingdee field or words). */
  urgent?: { reason: string; at: string; by?: string };
  /** Tamper-evident log of everything that happened (see decision-log.ts). */
  log: DecisionLogEntry[];
}

/** Ingestion tells a running workflow that the document changed in Kingdee. */
export interface DocumentChange {
  status: DocumentStatus | 'deleted';
  modifyDate?: string;
  /** Where the change was seen: polling or the push webhook. */
  source: 'poll' | 'push';
}

export interface AdminAction {
  action: 'retry' | 'resolve';
  /** Who did it (an admin's name, from the admin API). */
  by: string;
  comment?: string;
}

/**
 * Urgency (加急): whether a document is urgent when planned — a Kingdee field says so, or its purpose contains one of
 * the rules' urgency words — and the schedule an urgent document's steps follow (rules `urgency`).
 */
export interface UrgencyPlan {
  /** Why the document is urgent from the start, in Chinese (absent: not urgent yet). */
  reason?: string;
  /** Business-time ms from a step's start to the first reminder, between reminders, and to escalation. */
  remindAfterMs?: number;
  remindEveryMs?: number;
  escalateAfterMs?: number;
}

/**
 * Someone asks to hurry a document (a bot message such as "王总急催 FYBX000123" or "FYBX000123 加急", from the
 * applicant or a manager): the approval becomes urgent (【加急】 on its cards, the urgent schedule), the reason logged.
 * Signal `markUrgent`; marking an urgent approval again changes nothing.
 */
export interface MarkUrgentInput {
  /** DingTalk userId of whoever asked. */
  by: string;
  /** What they wrote, as the reason in the log. */
  text: string;
  channel: 'text' | 'api' | 'admin';
}
export const markUrgentSignal = defineSignal<[MarkUrgentInput]>('markUrgent');

export const decideUpdate = defineUpdate<DecisionResult, [DecisionInput]>('decide');
/** The same decision for asynchronous channels: processed when the workflow runs, invalid ones are ignored. */
export const decideSignal = defineSignal<[DecisionInput]>('decideAsync');
/**
 * The API answered a card click with the card's new state (DecisionResult.cardParams) within DingTalk's 2 s, so the
 * card already shows it: the workflow need not update that card again (one metered DingTalk call per approval).
 */
export interface CardAnswered {
  outTrackId: string;
  /** What the answer showed: the card's `status`, `result` and `title`. */
  status: string;
  result: string;
  title: string;
}
export const cardAnsweredSignal = defineSignal<[CardAnswered]>('cardAnswered');
export const documentChangedSignal = defineSignal<[DocumentChange]>('documentChanged');
export const adminUpdate = defineUpdate<ApprovalStage, [AdminAction]>('admin');
export const statusQuery = defineQuery<ApprovalState>('status');

/** One change-detection poller per Kingdee account and form. */
export function pollerWorkflowId(acctId: string, formId: string): string {
  return `poller:${acctId}:${formId}`;
}

export interface PollerInput {
  acctId: string;
  formId: string;
  intervalMs: number;
  overlapMs: number;
  /** Highest FModifyDate seen (Kingdee server-local time, as Kingdee writes it). Absent: start from now − overlap. */
  cursor?: string;
  /** Versions already handled inside the overlap window: `${billNo}|${modifyDate}|${status}`. */
  seen?: string[];
  /**
   * Bills last seen at a status a statusBecomes rule of the form watches, with that status: such a rule fires on the
   * transition only. Other bills are not kept (activities/ingestion.ts).
   */
  lastStatus?: Record<string, string>;
  /** Reading a window page by page (a burst): where the previous page ended. Absent: a new window. */
  page?: PollPage;
  /**
   * This poll's window starts at the cursor itself, not the overlap before it, and `seen` holds only the versions
   * saved at or after the cursor: a poll a push asked for between interval polls (workflows/poller.ts).
   */
  readFromCursor?: true;
  /**
   * Bills Kingdee pushed since the last read: read too, whatever their FModifyDate. Transactions commit out of order,
   * so a bill can become visible stamped before the cursor; its own push still finds it at once.
   */
  pushedBills?: string[];
  /** Rows per ExecuteBillQuery page (default 500, activities/ingestion.ts). */
  pageSize?: number;
  /** A Kingdee outage still going on when the previous run continued as new (workflows/poller.ts outageWatch). */
  outage?: PollerOutage;
}

/** What a poller knows of an ongoing outage: carried across continue-as-new, so it is told once and ends once. */
export interface PollerOutage {
  /** When reads started failing (epoch ms). */
  since: number;
  failures: number;
  /** Whether ops were told (then the first good read sends the all-clear). */
  told: boolean;
  lastError: string;
  formSpecific: boolean;
}

/** Where the next page of a window starts: after this row, in the window's order (FModifyDate, FID). */
export interface PollPage {
  /** The window: FModifyDate from here (Kingdee local time) … */
  since: string;
  /** … or awaiting approval, however old (the first poll of a form). */
  includeAwaiting: boolean;
  after: { modifyDate: string; billId: string };
}

export interface PollResult {
  cursor?: string;
  seen: string[];
  lastStatus: Record<string, string>;
  started: number;
  signalled: number;
  notified: number;
  /** The page was full: the rest of the window starts here, to be read at once. */
  next?: PollPage;
}

/** Kingdee pushed "something changed" (the webhook): the poller polls at once instead of waiting. */
export const pollNowSignal = defineSignal<[PollNow]>('pollNow');
export interface PollNow {
  reason: string;
  /** The bills Kingdee pushed: the poll reads them whatever their FModifyDate (PollerInput.pushedBills). */
  billNos?: string[];
}

// ── The notices outbox (workflows/outbox.ts) ───────────────────────────────────────────────────────────────────

/**
 * Where a notice goes. One outbox workflow per channel queues, dedupes, paces and sends its notices:
 * a custom webhook robot (by its DINGTALK_ROBOTS name), a group reached by the app robot with an interactive card
 * (robots configured with only `openConversationId`: idempotent by outTrackId), or work notifications (one channel).
 */
export type NoticeChannel =
  { kind: 'robot'; robot: string } | { kind: 'groupCard'; groupId: string } | { kind: 'workNotice' };

/** A notice waiting in an outbox. */
export interface QueuedNotice {
  /** Derived from the enqueuing activity (workflow, run, activity id, part): the same on every retry of it. */
  id: string;
  title: string;
  /** Markdown body. */
  text: string;
  /** One line for a merged message (domain/texts/merged-notices.ts noticeSummary). */
  summary: string;
  /** Work notices: the recipients (DingTalk userIds). */
  userIds?: string[];
  /** Who asked, for people reading the outbox: `approval:…:FYBX000123 #17`. */
  origin: string;
  /** When it was enqueued (ms), for the queue's age on /metrics; absent on notices enqueued before it existed. */
  queuedAt?: number;
}

/** How an outbox paces its channel: DingTalk's limits (integrations/dingtalk/limiter.ts), scaled in tests only in time. */
export interface NoticePacing {
  /** At most this many messages per sliding window (custom robot: 20 a minute). */
  perWindow: number;
  windowMs: number;
  /** Work notices: at most this many messages per person per day (DingTalk: 500 for an internal app). */
  perRecipientPerDay?: number;
  /** Sends under way at once. */
  maxInFlight: number;
  /** A merged message holds at most this many notices … */
  maxItemsPerMessage: number;
  /** … and at most this many UTF-8 bytes of markdown. */
  maxMessageBytes: number;
  /** Waiting after DingTalk refused a send for rate limit (doubling from initialMs up to maxMs). */
  backoff: { initialMs: number; maxMs: number };
  /** Whether a send whose outcome is unknown may be sent again unchanged (cards: outTrackId; work notices: DingTalk
   * drops identical content to a person within a day). Custom robots: no — the outbox reports it instead. */
  resendUncertain: boolean;
  /** Sends of one message before it is given up (rate-limit refusals do not count). */
  maxAttempts: number;
}

/** One message an outbox sends: a notice, or several merged. The same content on every attempt. */
export interface OutboxMessage {
  /** The first notice's id (+ how many more): unique, since each notice goes out in exactly one message. */
  key: string;
  noticeIds: string[];
  title: string;
  text: string;
  userIds?: string[];
  /** Sends so far (DingTalk refusals for rate limit not counted). */
  attempts: number;
  /** When its oldest notice was enqueued (ms), if known. */
  queuedAt?: number;
  /** When its latest send started (workflow time), to count it in the window until that send finished. */
  dispatchedAt?: number;
}

/** A message the outbox gave up on, reported to ops once. */
export interface OutboxProblem {
  key: string;
  title: string;
  problem: 'uncertain' | 'failed';
  reason: string;
  count: number;
  at: number;
}

/** What an outbox carries over continue-as-new. */
export interface OutboxCarry {
  pending: QueuedNotice[];
  /** Messages to send again as they are (after a rate-limit refusal or a retryable failure). */
  retry: OutboxMessage[];
  /** Ids seen recently (bounded, oldest first): an enqueue repeated by an activity retry is dropped. */
  recentIds: string[];
  /** When the messages of the current window went out. */
  sentAt: number[];
  blockedUntil?: number;
  backoffMs?: number;
  /** Work notices: messages per person on the current DingTalk day (UTC+8). */
  day?: { day: number; counts: Record<string, number> };
  problems: OutboxProblem[];
  totals: { notices: number; messages: number; merged: number; rateLimited: number; uncertain: number; failed: number };
}

export interface OutboxInput {
  channel: NoticeChannel;
  pacing: NoticePacing;
  carry?: OutboxCarry;
}

export interface OutboxStatus {
  channel: NoticeChannel;
  pending: number;
  retrying: number;
  inFlight: number;
  blockedUntil?: number;
  totals: OutboxCarry['totals'];
  problems: OutboxProblem[];
  /** When the oldest notice still waiting (queued or to be sent again) was enqueued (ms); absent when none waits. */
  oldestQueuedAt?: number;
}

/** Notices for an outbox (sent with signalWithStart); the pacing of the latest enqueue applies. */
export const enqueueNoticesSignal = defineSignal<[{ notices: QueuedNotice[]; pacing: NoticePacing }]>('enqueueNotices');
export const outboxStatusQuery = defineQuery<OutboxStatus>('outboxStatus');

/** One outbox per channel and deployment (task queue): the pacing holds across every worker process. */
export function outboxWorkflowId(taskQueue: string, channel: NoticeChannel): string {
  switch (channel.kind) {
    case 'robot':
      return `outbox:${taskQueue}:robot:${channel.robot}`;
    case 'groupCard':
      return `outbox:${taskQueue}:group:${channel.groupId}`;
    case 'workNotice':
      return `outbox:${taskQueue}:work-notice`;
  }
}

/** The task queue of the notice sends: a worker of its own, so sends never take the approval worker's slots. */
export function noticesTaskQueue(taskQueue: string): string {
  return `${taskQueue}-notices`;
}

/**
 * The task queues of the approval cards — new ones (`-card-sends`) and changes to sent ones (`-card-updates`) — and of
 * the 待办 — created (`-todos`) and closed (`-todo-updates`): DingTalk APIs with a rate each, each queue served by a
 * worker of its own whose dispatch Temporal limits to that rate for the whole deployment (workers/worker.ts). A
 * burst's cards wait for it in Temporal's queue, holding no worker slot; a clicked card's update never waits behind a
 * burst's new cards, and the 待办 never wait behind cards (nor their closing behind their creation).
 */
export function cardSendsTaskQueue(taskQueue: string): string {
  return `${taskQueue}-card-sends`;
}
export function cardUpdatesTaskQueue(taskQueue: string): string {
  return `${taskQueue}-card-updates`;
}
export function todosTaskQueue(taskQueue: string): string {
  return `${taskQueue}-todos`;
}
export function todoUpdatesTaskQueue(taskQueue: string): string {
  return `${taskQueue}-todo-updates`;
}

// ── Pushes without an approval: threshold watches, calendar deadlines, digests (activities/watches.ts) ─────────

/** Who receives a push: a rules-file robot's group (resolved) and/or people. */
export interface PushTarget {
  robot?: RobotTarget;
  users: string[];
}

/** A threshold watch as its workflow runs it: the rules file's `watches[i]`, robots resolved. */
export interface WatchDefinition {
  id: string;
  name: string;
  form: string;
  /** Every field queried: the key, the shown fields and the condition's fields. */
  queryFields: string[];
  key: string[];
  filter?: string;
  condition: WatchCondition;
  everyMs: number;
  to: PushTarget;
  text?: string;
  pageSize: number;
  maxRows: number;
  /** Told once when the watch cannot read Kingdee several checks in a row. */
  ops?: PushTarget;
  /** The calendar's offset, for times in messages. */
  offsetMinutes: number;
}

/** What a watch carries over continue-as-new: the crossing memory and its counters. */
export interface WatchCarry {
  memory: WatchMemory;
  checks: number;
  alertsSent: number;
  /** Failed checks (Kingdee unreachable or refusing), with when: the last ones, for the weekly report. */
  errorTimes: number[];
  errors: number;
  consecutiveFailures: number;
  failingSince?: number;
  lastError?: string;
  lastCheckAt?: number;
  lastAlertAt?: number;
  /** Ops was told about the current run of failures. */
  outageReported: boolean;
}

export interface WatchInput {
  definition: WatchDefinition;
  carry?: WatchCarry;
}

export interface WatchStatus {
  id: string;
  name: string;
  /** Rows alerted and not recovered since. */
  alerted: Array<{ key: string; since: number }>;
  checks: number;
  alertsSent: number;
  errors: number;
  errorTimes: number[];
  consecutiveFailures: number;
  lastError?: string;
  lastCheckAt?: number;
  lastAlertAt?: number;
  stopped: boolean;
}

/** One watch workflow per watch and deployment. */
export function watchWorkflowId(taskQueue: string, watchId: string): string {
  return `watch:${taskQueue}:${watchId}`;
}

/** The rules changed (sent with signalWithStart at every start-up): the watch runs with this definition from now. */
export const watchDefinitionSignal = defineSignal<[WatchDefinition]>('watchDefinition');
/** Check now instead of waiting for the interval (tests, an operator). */
export const checkNowSignal = defineSignal<[{ reason: string }]>('checkNow');
/** The watch was removed from the rules file: finish. */
export const stopWatchSignal = defineSignal<[{ reason: string }]>('stopWatch');
export const watchStatusQuery = defineQuery<WatchStatus>('watchStatus');

/** A calendar deadline as its Schedule's workflow receives it (the rules file's `deadlines[i]`, robots resolved). */
export interface DeadlineInput {
  deadline: {
    id: string;
    name: string;
    recurrence: Recurrence;
    shift: DeadlineShift;
    remind: number[];
    atMinute: number;
    text?: string;
  };
  to: PushTarget;
  calendar: Calendar;
}

export interface ApproverDigestInput {
  /** Business ms after which a waiting approval is urgent (reminded or escalated ones are anyway). */
  urgentAfterMs?: number;
  maxItems: number;
  calendar: Calendar;
}

export interface WeeklyReportInput {
  to: PushTarget;
  calendar: Calendar;
}

/** The Schedule of a deadline's reminders (Temporal Web UI → Schedules). */
export function deadlineScheduleId(taskQueue: string, deadlineId: string): string {
  return `deadline:${taskQueue}:${deadlineId}`;
}

/** The Schedules of the digests: `approvers` (morning digest, working days) and `weekly` (同步体检). */
export function digestScheduleId(taskQueue: string, kind: 'approvers' | 'weekly'): string {
  return `digest:${taskQueue}:${kind}`;
}

// ── 确认付款: an approved bill pushed down to a 付款单 (workflows/payment.ts) ─────────────────────────────────────

/** One payment workflow per source bill: however often 确认付款 is sent, one 付款单. */
export function paymentWorkflowId(ref: Pick<DocumentRef, 'acctId' | 'formId' | 'billNo'>): string {
  return `payment:${ref.acctId}:${ref.formId}:${ref.billNo}`;
}

export interface PaymentInput {
  acctId: string;
  formId: string;
  billNo: string;
  /** The cashier's DingTalk userId. */
  requestedBy: string;
  pushRuleId: string;
  targetFormId: string;
  submit: boolean;
  audit: boolean;
  /** The cashier group, told "已生成付款单 …". */
  robot?: RobotTarget;
}

export type PaymentOutcome =
  /** `created`: pushed by this request; false: the 付款单 already existed (an earlier 确认付款). */
  | { kind: 'paid'; billNo: string; paymentBillNo: string; status: string; created: boolean }
  | { kind: 'notFound'; billNo: string }
  | { kind: 'notAudited'; billNo: string; status: string }
  /** Kingdee refused the push, submit or audit (e.g. 结算方式必录): nothing more is tried until the cashier asks again. */
  | { kind: 'refused'; billNo: string; reason: string; paymentBillNo?: string };

// ── A chat message → a Kingdee draft (workflows/expense-draft.ts) ───────────────────────────────────────────────

/** One draft workflow per proposal message: a repeated 确认 finds it finished and saves nothing more. */
export function expenseDraftWorkflowId(acctId: string, senderUserId: string, messageId: string): string {
  return `expense-draft:${acctId}:${senderUserId}:${messageId}`;
}

/** One line of the proposal, complete (every question answered). */
export interface DraftExpenseLine {
  date: string;
  amount: number;
  itemNumber: string;
  itemName: string;
  projectNumber?: string;
  projectName?: string;
  purpose: string;
}

export interface ExpenseDraftInput {
  acctId: string;
  formId: string;
  senderUserId: string;
  messageId: string;
  lines: DraftExpenseLine[];
  /** 事由 of the bill. */
  purpose: string;
  /** The proposal lapses after this long without 确认 / 取消. */
  expiresInMs: number;
}

export type ExpenseDraftOutcome =
  | { kind: 'saved'; billNo: string; status: string; amount: number }
  | { kind: 'cancelled' }
  | { kind: 'expired' }
  /** The sender has no Kingdee employee (no DingTalk mobile, or none in Kingdee with it). */
  | { kind: 'noEmployee'; mobile?: string };

export const expenseDraftDecisionSignal = defineSignal<[{ decision: 'confirm' | 'cancel' }]>('expenseDraftDecision');
export const expenseDraftStageQuery = defineQuery<'proposed' | 'saving' | 'done'>('expenseDraftStage');

// ── A finished DingTalk OA approval → a Kingdee bill (workflows/oa-import.ts) ─────────────────────────────────────

/** One import workflow per OA instance: however often DingTalk delivers the event, one Kingdee bill. */
export function oaImportWorkflowId(processInstanceId: string): string {
  return `oa:${processInstanceId}`;
}

/** What ops ask of a parked import (admin API). */
export interface OaImportAdminAction {
  action: 'retry' | 'resolve';
  /** Who did it (an admin's name). */
  by: string;
  comment?: string;
}

/** What an import workflow returns: the activity's outcome, or handled by hand (admin resolve). */
export type OaImportResult = OaImportOutcome | { kind: 'resolved'; by: string; comment?: string; reason: string };

/** The state of an import workflow (its `oaImportStatus` query). */
export interface OaImportState {
  workflowId: string;
  processInstanceId: string;
  processCode: string;
  formId: string;
  originatorUserId: string;
  stage: 'importing' | 'needs-attention' | 'imported' | 'skipped' | 'resolved';
  /** While in needs-attention: why, since when, and the bill saved but not submitted (if any). */
  attention?: { reason: string; errorType: string; since: string; billNo?: string };
  outcome?: OaImportResult;
  log: Array<{
    at: string;
    what: 'needsAttention' | 'adminRetry' | 'adminResolve' | 'imported';
    by?: string;
    comment?: string;
    reason?: string;
    errorType?: string;
    billNo?: string;
  }>;
}

/** Ops act on a parked import (refused unless it is in needs-attention); answers the state after the action. */
export const oaImportAdminUpdate = defineUpdate<OaImportState, [OaImportAdminAction]>('oaImportAdmin');
export const oaImportStatusQuery = defineQuery<OaImportState>('oaImportStatus');

export interface OaImportInput {
  processInstanceId: string;
  processCode: string;
  /** The Kingdee form the rules make of this process (ER_ExpReimbursement). */
  formId: string;
  /** The originator (the event's staffId): told the outcome even when the instance cannot be read. */
  originatorUserId: string;
  /** Who is told when it cannot be done (the rules' ops). */
  ops?: { robot?: RobotTarget; users: string[] };
}

export type OaImportOutcome =
  /** `created`: saved by this workflow; false: an earlier attempt or run had saved it (found by its marker). */
  | { kind: 'imported'; formId: string; billNo: string; status: string; created: boolean; title?: string }
  /** The instance is not (or no longer) finished and agreed, or its process is not configured: nothing done. */
  | { kind: 'skipped'; reason: string }
  /** Mapping or Kingdee refused: nothing saved (or saved but not submitted), originator and ops told. */
  | { kind: 'needsAttention'; reason: string; errorType: string; billNo?: string; title?: string };
