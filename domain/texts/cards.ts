/**
 * The approval card (DingTalk interactive card): its template id, the parameters it is sent with (every value a
 * string of at most 1 KB, including `notes`: the plan's warnings a person should see before deciding), the states it
 * moves through once someone acts (approved, rejected, transferred, closed — a closed card still shows what its
 * person decided) and the text it shows instead of its buttons, plus the short texts a card callback answers with.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox); times are shown in the calendar's offset.
 */
import { documentStatusLabels, type DocumentStatus, type DocumentSummary } from '../document';
import { formatAmount, formatTime, utf8Length, type Instant, type TimeZone } from './format';

/** Template id of the approval card; the DingTalk emulator's sandbox renders exactly the parameters below. */
export const approvalCardTemplateId = 'kdb-approval-card';

export const cardStatuses = ['pending', 'processing', 'approved', 'rejected', 'transferred', 'closed'] as const;
export type CardStatus = (typeof cardStatuses)[number];

export const cardActions = ['approve', 'reject', 'transfer'] as const;
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

/** The card as first sent: status pending, buttons shown; `notes` are the plan's warnings (shown as 注意). */
export function approvalCard(
  document: DocumentSummary,
  card: {
    stepId: string;
    stepName: string;
    workflowId: string;
    actions?: readonly CardAction[];
    notes?: readonly string[];
  },
): CardParamMap {
  return {
    title: fitBytes(`${document.formName}审批`),
    formName: fitBytes(document.formName),
    billNo: document.billNo,
    applicant: fitBytes(document.applicant.name),
    amount: formatAmount(document.amount),
    currency: document.currency,
    purpose: fitBytes(document.purpose),
    lines: linesParam(document.lines),
    link: document.link,
    stepName: fitBytes(card.stepName),
    notes: fitBytes(cardNotesText(card.notes ?? [])),
    status: 'pending',
    result: '',
    workflowId: card.workflowId,
    stepId: card.stepId,
    actions: JSON.stringify(card.actions ?? defaultCardActions),
  };
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

/** Cuts text (at a character boundary) so it fits in a card parameter, marking the cut with …. */
function fitBytes(text: string, maxBytes = CARD_VALUE_MAX_BYTES): string {
  if (utf8Length(text) <= maxBytes) return text;
  let result = '';
  let bytes = 3; // the ellipsis
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    result += char;
    bytes += size;
  }
  return `${result}…`;
}
