/**
 * The approval card (DingTalk interactive card): its template id, the parameters it is sent with (every value a
 * string of at most 1 KB, including `notes`: the plan's warnings a person should see before deciding), the states it
 * moves through once someone acts (approved, rejected, transferred, closed — a closed card still shows what its
 * person decided) and the text it shows instead of its buttons, plus the short texts a card callback answers with.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox); times are shown in the calendar's offset.
 */
import { documentStatusLabels, type DocumentStatus, type DocumentSummary } from '../document';
import type { DecisionSummary } from './decisions';
import {
  clipAtCharacter,
  formatAmount,
  formatMoney,
  formatTime,
  utf8Length,
  type Instant,
  type TimeZone,
} from './format';

/** Template id of the approval card; the DingTalk emulator's sandbox renders exactly the parameters below. */
export const approvalCardTemplateId = 'kdb-approval-card';

export const cardStatuses = ['pending', 'processing', 'approved', 'rejected', 'transferred', 'closed'] as const;
export type CardStatus = (typeof cardStatuses)[number];

export const cardActions = ['approve', 'reject', 'transfer', 'addApprover'] as const;
export type CardAction = (typeof cardActions)[number];
export const defaultCardActions: readonly CardAction[] = ['approve', 'reject'];

export const cardParamKeys = [
  'title',
  'formName',
  'billNo',
  'applicant',
  'amount',
  'currency',
  'purpose',
  'lines',
  'link',
  'stepName',
  'notes',
  'status',
  'result',
  'workflowId',
  'stepId',
  'actions',
  'details',
  'chain',
  'waiting',
  'urgent',
] as const;
export type CardParamKey = (typeof cardParamKeys)[number];
/** DingTalk cardParamMap: every value a string (JSON-encoded where structured), at most 1 KB each. */
export type CardParamMap = Record<CardParamKey, string>;

/** DingTalk's documented limit for one cardParamMap value; we stay a little under it. */
const CARD_VALUE_MAX_BYTES = 1000;

/** What a card shows while a decision is being applied (the card callback's answer when the workflow is busy). */
export const cardProcessingText = '处理中，请稍候…';

/** What a card shows when its callback names no known button or no workflow (an outdated card). */
export const cardUnknownActionText = '无法识别的操作，请刷新后重试';

/**
 * What a card may show besides its fixed head (title, bill number, applicant, amount, step): the other party
 * (收款单位 / 供应商), department, organisation, bill date, purpose, lines, attachments, the decisions so far
 * (`chain`) and who must still decide on the step (`waiting`). The rules file chooses per form (`card.fields`).
 */
export const cardFields = [
  'counterparty',
  'department',
  'organisation',
  'billDate',
  'purpose',
  'lines',
  'attachments',
  'chain',
  'waiting',
] as const;
export type CardField = (typeof cardFields)[number];

/** Every field, in card order: what a form without its own default or `card.fields` shows. */
export const allCardFields: readonly CardField[] = cardFields;

/** The fields each form's card shows unless the rules file says otherwise. */
export const defaultCardFields: Readonly<Record<string, readonly CardField[]>> = {
  ER_ExpReimbursement: [
    'department',
    'organisation',
    'billDate',
    'purpose',
    'lines',
    'attachments',
    'chain',
    'waiting',
  ],
  AP_PAYBILL: ['counterparty', 'organisation', 'billDate', 'purpose', 'lines', 'attachments', 'chain', 'waiting'],
  AP_Payable: ['counterparty', 'organisation', 'billDate', 'purpose', 'lines', 'attachments', 'chain', 'waiting'],
  PUR_PurchaseOrder: [
    'counterparty',
    'department',
    'organisation',
    'billDate',
    'purpose',
    'lines',
    'attachments',
    'chain',
    'waiting',
  ],
};

/** The fields a form's card shows: the rules file's list, else the form's default, else all. */
export function cardFieldsFor(formId: string, configured?: readonly CardField[]): readonly CardField[] {
  return configured ?? defaultCardFields[formId] ?? allCardFields;
}

/** The step a card asks about and who on it must still decide (the card's `waiting`). */
export interface CardWaiting {
  stepName: string;
  /** Display names of everyone on the step who has not decided yet. */
  names: readonly string[];
  mode: 'any' | 'all';
}

/** The marker an urgent document's card title (and reminders) start with. */
export const urgentMark = '【加急】';

/** The card as first sent: status pending, buttons shown; `notes` are the plan's warnings (shown as 注意). */
export function approvalCard(
  document: DocumentSummary,
  card: {
    stepId: string;
    stepName: string;
    workflowId: string;
    actions?: readonly CardAction[];
    notes?: readonly string[];
    /** What the card shows (default: the form's default fields). */
    fields?: readonly CardField[];
    /** The decisions so far (earlier steps, and this one's), oldest first, for `chain`. */
    decisions?: readonly DecisionSummary[];
    /** Who must still decide, for `waiting`. */
    waiting?: CardWaiting;
    /** The time zone times are shown in (default China, +08:00). */
    tz?: TimeZone;
    urgent?: boolean;
  },
): CardParamMap {
  const fields = new Set(card.fields ?? cardFieldsFor(document.formId));
  const tz = card.tz ?? { offsetMinutes: 480 };
  return {
    title: cardTitle(document, card.urgent ?? false),
    formName: fitBytes(document.formName),
    billNo: document.billNo,
    applicant: fitBytes(document.applicant.name),
    amount: formatAmount(document.amount),
    currency: document.currency,
    purpose: fields.has('purpose') ? fitBytes(document.purpose) : '',
    lines: fields.has('lines') ? linesParam(document.lines) : '[]',
    link: document.link,
    stepName: fitBytes(card.stepName),
    notes: fitBytes(cardNotesText(card.notes ?? [])),
    status: 'pending',
    result: '',
    workflowId: card.workflowId,
    stepId: card.stepId,
    actions: JSON.stringify(card.actions ?? defaultCardActions),
    details: detailsParam(document, fields),
    chain: fields.has('chain') ? fitBytes(cardChainText(card.decisions ?? [], tz)) : '',
    waiting: fields.has('waiting') && card.waiting ? fitBytes(cardWaitingText(card.waiting)) : '',
    urgent: card.urgent ? 'true' : 'false',
  };
}

/** `费用报销单审批`, or `【加急】费用报销单审批` for an urgent document. */
export function cardTitle(document: Pick<DocumentSummary, 'formName'>, urgent: boolean): string {
  return fitBytes(`${urgent ? urgentMark : ''}${document.formName}审批`);
}

/** `2026-11-20T00:00:00` → `2026-11-20` (Kingdee's local date, shown as it is). */
function billDateText(billDate: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(billDate)?.[0] ?? billDate;
}

/** The value rows a card lists (`details`): `[{"label":"供应商","value":"…"}, …]`, each value cut to fit. */
function detailsParam(document: DocumentSummary, fields: ReadonlySet<CardField>): string {
  const rows: Array<{ label: string; value: string }> = [];
  if (fields.has('counterparty') && document.counterparty)
    rows.push({ label: document.counterparty.label, value: document.counterparty.name });
  if (fields.has('department') && document.deptName) rows.push({ label: '部门', value: document.deptName });
  if (fields.has('organisation') && document.orgName) rows.push({ label: '组织', value: document.orgName });
  if (fields.has('billDate') && document.billDate)
    rows.push({ label: '单据日期', value: billDateText(document.billDate) });
  if (fields.has('attachments'))
    rows.push({
      label: '附件',
      value: document.attachments === undefined ? '请在金蝶中查看' : `${document.attachments} 个（在金蝶中查看）`,
    });
  // Each value gets an equal share of the 1 KB (JSON punctuation and labels counted), cut at a character boundary.
  const overhead = utf8Length(JSON.stringify(rows.map((r) => ({ label: r.label, value: '' }))));
  const share = rows.length > 0 ? Math.floor((CARD_VALUE_MAX_BYTES - overhead) / rows.length) : CARD_VALUE_MAX_BYTES;
  const fitted = rows.map((r) => ({ label: r.label, value: fitJsonValue(r.value, share) }));
  return JSON.stringify(fitted);
}

/** A value cut so that its JSON encoding (quotes and escapes) stays within `maxBytes`. */
function fitJsonValue(value: string, maxBytes: number): string {
  if (utf8Length(JSON.stringify(value)) <= maxBytes) return value;
  let bytes = maxBytes - 2;
  let cut = clipAtCharacter(value, bytes);
  while (utf8Length(JSON.stringify(cut)) > maxBytes && bytes > 0) cut = clipAtCharacter(value, --bytes);
  return cut;
}

/**
 * The decisions so far, one a line: `李四 已同意（2026-11-24 10:33）：情况属实` (a delegate: `王总（代 李四）`);
 * `尚无审批记录` when nobody decided yet.
 */
export function cardChainText(decisions: readonly DecisionSummary[], tz: TimeZone): string {
  if (decisions.length === 0) return '尚无审批记录';
  return decisions
    .map((d) => {
      const who = d.onBehalfOf ? `${d.name}（代 ${d.onBehalfOf}）` : d.name;
      const comment = d.comment?.trim() ? `：${d.comment.trim()}` : '';
      return `${who} ${d.action === 'approve' ? '已同意' : '已驳回'}（${formatTime(d.at, tz)}）${comment}`;
    })
    .join('\n');
}

/** `部门经理审批：待 李四、王五 审批（任一人同意即可）`. */
export function cardWaitingText(waiting: CardWaiting): string {
  const who = waiting.names.length > 0 ? waiting.names.join('、') : '（无）';
  const rule = waiting.names.length > 1 ? (waiting.mode === 'all' ? '（需全部同意）' : '（任一人同意即可）') : '';
  return `${waiting.stepName}：待 ${who} 审批${rule}`;
}

/** `注意：USD 金额无法与按 CNY 编写的条件比较…；…`, or '' when there is nothing to point out. */
export function cardNotesText(notes: readonly string[]): string {
  return notes.length > 0 ? `注意：${notes.join('；')}` : '';
}

/** `[{"name":"差旅费","amount":"8,000.00"}, …]`, cut to fit 1 KB with a last line saying how many were left out. */
function linesParam(lines: DocumentSummary['lines']): string {
  const items = lines.map((line) => ({ name: line.name, amount: formatAmount(line.amount) }));
  let json = JSON.stringify(items);
  for (let keep = items.length - 1; keep >= 0 && utf8Length(json) > CARD_VALUE_MAX_BYTES; keep--) {
    json = JSON.stringify([...items.slice(0, keep), { name: `等 ${items.length - keep} 项`, amount: '' }]);
  }
  return json;
}

/** What a person did on a card (or what the step's outcome was), as the card shows it. */
export type DecidedCardState =
  | { status: 'approved'; byName: string; at: Instant; comment?: string }
  | { status: 'rejected'; byName: string; at: Instant; comment?: string }
  | { status: 'transferred'; byName: string; toName: string; at: Instant; comment?: string };

export type CardState =
  | { status: 'pending' }
  | { status: 'processing' }
  | DecidedCardState
  | {
      status: 'closed';
      /** handledInKingdee: someone acted in Kingdee itself (or deleted the bill); withdrawn: the applicant withdrew
       * it (撤销); adminResolved: an administrator closed the approval. */
      reason: 'handledInKingdee' | 'withdrawn' | 'adminResolved';
      kingdeeStatus?: DocumentStatus | 'deleted';
      /** What the card showed before it was closed (the person's own decision), kept in front of the closed note. */
      earlier?: DecidedCardState;
    };

/** The text a card shows instead of its buttons once it is no longer pending. */
export function cardResultText(state: CardState, tz: TimeZone): string {
  const withComment = (text: string, label: string, comment?: string) =>
    comment && comment.trim() !== '' ? `${text} · ${label}：${comment.trim()}` : text;
  switch (state.status) {
    case 'pending':
      return '';
    case 'processing':
      return cardProcessingText;
    case 'approved':
      return withComment(`${state.byName} 已同意（${formatTime(state.at, tz)}）`, '意见', state.comment);
    case 'rejected':
      return withComment(`${state.byName} 已驳回（${formatTime(state.at, tz)}）`, '原因', state.comment);
    case 'transferred':
      return withComment(
        `${state.byName} 已转交给 ${state.toName}（${formatTime(state.at, tz)}）`,
        '说明',
        state.comment,
      );
    case 'closed': {
      const earlier = state.earlier ? `${cardResultText(state.earlier, tz)}；` : '';
      return `${earlier}${closedNote(state)}`;
    }
  }
}

function closedNote(state: Extract<CardState, { status: 'closed' }>): string {
  if (state.reason === 'handledInKingdee') {
    if (state.kingdeeStatus === 'deleted') return '单据已在金蝶删除，无需审批';
    const status = state.kingdeeStatus ? `（金蝶状态：${documentStatusLabels[state.kingdeeStatus]}）` : '';
    return `已在金蝶处理${status}，无需在钉钉操作`;
  }
  if (state.reason === 'withdrawn') return '申请人已撤回该单据，无需审批';
  return '已由管理员处理，无需审批';
}

/** Only the parameters that change with the state (for an update with updateCardDataByKey: true). */
export function cardStateParams(state: CardState, tz: TimeZone): Pick<CardParamMap, 'status' | 'result' | 'actions'> {
  return {
    status: state.status,
    result: fitBytes(cardResultText(state, tz)),
    actions: state.status === 'pending' ? JSON.stringify(defaultCardActions) : '[]',
  };
}

/** The whole card in a new state: same content, new status and result, buttons gone unless pending. (A card update
 * without updateCardDataByKey replaces the whole map, so this returns all of it.) */
export function cardWithState(card: CardParamMap, state: CardState, tz: TimeZone): CardParamMap {
  const changed = cardStateParams(state, tz);
  // Back to pending (e.g. a write-back retry after "processing"): the card's own buttons, or the default ones.
  const ownButtons = card.actions && card.actions !== '[]' ? card.actions : changed.actions;
  return { ...card, ...changed, actions: state.status === 'pending' ? ownButtons : '[]' };
}

/** Cuts text (at a character boundary, never inside a surrogate pair or joined emoji) so it fits in a card
 * parameter, marking the cut with …. */
function fitBytes(text: string, maxBytes = CARD_VALUE_MAX_BYTES): string {
  return clipAtCharacter(text, maxBytes);
}

/** Field values that mark a document urgent (case-insensitive); anything else (0, false, 否, empty) does not. */
const urgentFieldValues = new Set(['true', '1', 'y', 'yes', '是', '急', '加急', '紧急', 'urgent']);

/**
 * Why a document is urgent from the start, or undefined: the form's urgency field says so (`字段 F_Urgent 为「是」`),
 * or its purpose contains an urgency word (`事由含「加急」`). Words match case-insensitively.
 */
export function urgencyReasonFor(
  document: Pick<DocumentSummary, 'purpose' | 'urgentField'>,
  words: readonly string[],
): string | undefined {
  const flag = document.urgentField;
  if (flag && urgentFieldValues.has(flag.value.trim().toLowerCase()))
    return `金蝶字段 ${flag.field} 为「${flag.value}」`;
  const purpose = document.purpose.toLowerCase();
  const word = words.find((w) => w.trim() !== '' && purpose.includes(w.trim().toLowerCase()));
  return word ? `事由含「${word.trim()}」` : undefined;
}

/** The log comment and reason of a bot request: `李四 发消息「王总急催 FYBX000123」`. */
export function urgentRequestReason(name: string, text: string): string {
  return `${name} 发消息「${clipAtCharacter(text.trim(), 200)}」`;
}

/** The decision-log comment when a document becomes urgent. */
export const urgentLogComment = (reason: string): string => `标记为加急：${reason}`;

/** A 待办's title: `审批：费用报销单 FYBX000123（张三，¥12,800.00）`, 【加急】 first for an urgent document. */
export function todoSubject(document: DocumentSummary, urgent: boolean): string {
  return clipAtCharacter(
    `${urgent ? urgentMark : ''}审批：${document.formName} ${document.billNo}（${document.applicant.name}，${formatMoney(document.amount, document.currency)}）`,
    1000,
  );
}

/** A 待办's description: the step and the purpose. */
export function todoDescription(document: DocumentSummary, stepName: string): string {
  return clipAtCharacter(`${stepName}${document.purpose ? ` · 事由：${document.purpose}` : ''}`, 1000);
}

/** What the approval was doing when syncing 待办 failed (the needs-attention reason starts with it). */
export const todoAttentionTask = '同步钉钉待办';
