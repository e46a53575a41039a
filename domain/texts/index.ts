/**
 * Every user-facing Chinese text of the bridge, as pure functions of data: the approval card's parameters and its
 * final states, reminders, escalation notices, applicant and follow-up notices, the ops alert, the comment written
 * back to Kingdee, the robot's text replies and the Temporal UI summary line. Code calls these; no other module
 * writes Chinese sentences.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): times are passed in (epoch ms or ISO text, as
 * workflow state keeps them) and shown in the calendar's fixed UTC offset. Notices are `{ title, text }` with markdown text, the shape both a group robot's
 * markdown message and a work notification take. Names are display names (张三), resolved by activities.
 */
import type { Calendar } from '../../rules';
import type { DocumentStatus, DocumentSummary } from '../document';

/** The time zone messages are shown in: the calendar's fixed offset. */
export type TimeZone = Pick<Calendar, 'offsetMinutes'>;

export interface Notice {
  /** Preview line (notification list, robot markdown title). */
  title: string;
  /** Markdown body. */
  text: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

/** `12800` → `12,800.00` (thousands separators, 2 decimals, half away from zero). */
export function formatAmount(amount: number): string {
  if (!Number.isFinite(amount)) return String(amount);
  // toPrecision(15) first: 1.005 * 100 is 100.49999999999999 in binary and must still round to 1.01.
  const cents = Math.round(Number((Math.abs(amount) * 100).toPrecision(15)));
  const whole = Math.floor(cents / 100).toString();
  const fraction = (cents % 100).toString().padStart(2, '0');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${amount < 0 && cents > 0 ? '-' : ''}${grouped}.${fraction}`;
}

/** `¥12,800.00` for CNY; other currencies by code: `USD 1,200.00`. */
export function formatMoney(amount: number, currency: string): string {
  const formatted = formatAmount(amount);
  if (currency.toUpperCase() !== 'CNY') return `${currency.toUpperCase()} ${formatted}`;
  return formatted.startsWith('-') ? `-¥${formatted.slice(1)}` : `¥${formatted}`;
}

/** `2026-11-24 10:32` in the calendar's offset; `at` is epoch ms or ISO text. */
export function formatTime(at: number | string, tz: TimeZone): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return String(at);
  const local = new Date(ms + tz.offsetMinutes * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** How long someone has waited: `45 分钟`, `4 小时`, `15 小时 30 分钟`. */
export function formatElapsed(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return '不到 1 分钟';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} 分钟`;
  return rest === 0 ? `${hours} 小时` : `${hours} 小时 ${rest} 分钟`;
}

export const documentStatusLabels: Record<DocumentStatus, string> = {
  Z: '暂存',
  A: '创建',
  B: '审核中',
  C: '已审核',
  D: '重新审核',
};

const names = (list: readonly string[]): string => (list.length > 0 ? list.join('、') : '（无）');

/** `费用报销单 FYBX000123 · ¥12,800.00 · 张三` — the Temporal UI summary of a workflow. */
export function summaryLine(document: DocumentSummary): string {
  return `${document.formName} ${document.billNo} · ${formatMoney(document.amount, document.currency)} · ${document.applicant.name}`;
}

/** `费用报销单 FYBX000123（张三，¥12,800.00）` — how sentences name a document. */
function describe(document: DocumentSummary): string {
  return `${document.formName} ${document.billNo}（${document.applicant.name}，${formatMoney(document.amount, document.currency)}）`;
}

const linkLine = (document: DocumentSummary): string => (document.link ? `\n\n[查看单据](${document.link})` : '');

/** Chinese labels of the workflow's stages (definitions.ts ApprovalStage); unknown stages are shown as they are. */
export const stageLabels: Record<string, string> = {
  starting: '启动中',
  'awaiting-approval': '审批中',
  'writing-back': '正在写回金蝶',
  'needs-attention': '需人工处理',
  approved: '已通过',
  rejected: '已驳回',
  'closed-in-kingdee': '已在金蝶处理',
  'not-applicable': '无需审批',
};

/** The Temporal UI's "current details" (markdown): what the approval is waiting for right now. */
export function currentDetails(
  document: DocumentSummary,
  state: { stage: string; stepName?: string; waitingFor?: readonly string[]; escalated?: boolean },
): string {
  const stage = stageLabels[state.stage] ?? state.stage;
  return [
    `**${summaryLine(document)}**`,
    `状态：${stage}${state.stepName && state.stage === 'awaiting-approval' ? `（${state.stepName}）` : ''}`,
    ...(state.waitingFor && state.waitingFor.length > 0 ? [`待审批人：${names(state.waitingFor)}`] : []),
    ...(state.escalated ? ['已升级'] : []),
  ].join('\n\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The approval card

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

/** The card as first sent: status pending, buttons shown. */
export function approvalCard(
  document: DocumentSummary,
  card: { stepId: string; stepName: string; workflowId: string; actions?: readonly CardAction[] },
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
    status: 'pending',
    result: '',
    workflowId: card.workflowId,
    stepId: card.stepId,
    actions: JSON.stringify(card.actions ?? defaultCardActions),
  };
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

/** Instants may be epoch ms or ISO text (workflow state keeps ISO). */
export type Instant = number | string;

export type CardState =
  | { status: 'pending' }
  | { status: 'processing' }
  | { status: 'approved'; byName: string; at: Instant; comment?: string }
  | { status: 'rejected'; byName: string; at: Instant; comment?: string }
  | { status: 'transferred'; byName: string; toName: string; at: Instant; comment?: string }
  | {
      status: 'closed';
      /** handledInKingdee: someone acted in Kingdee itself (or deleted the bill); withdrawn: the applicant withdrew
       * it (撤销); adminResolved: an administrator closed the approval. */
      reason: 'handledInKingdee' | 'withdrawn' | 'adminResolved';
      kingdeeStatus?: DocumentStatus | 'deleted';
    };

/** The text a card shows instead of its buttons once it is no longer pending. */
export function cardResultText(state: CardState, tz: TimeZone): string {
  const withComment = (text: string, label: string, comment?: string) =>
    comment && comment.trim() !== '' ? `${text} · ${label}：${comment.trim()}` : text;
  switch (state.status) {
    case 'pending':
      return '';
    case 'processing':
      return '处理中，请稍候…';
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
    case 'closed':
      if (state.reason === 'handledInKingdee') {
        if (state.kingdeeStatus === 'deleted') return '单据已在金蝶删除，无需审批';
        const status = state.kingdeeStatus ? `（金蝶状态：${documentStatusLabels[state.kingdeeStatus]}）` : '';
        return `已在金蝶处理${status}，无需在钉钉操作`;
      }
      if (state.reason === 'withdrawn') return '申请人已撤回该单据，无需审批';
      return '已由管理员处理，无需审批';
  }
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

// ---------------------------------------------------------------------------------------------------------------
// Reminders, escalation, final action

export interface Waiting {
  stepName: string;
  /** Display names of the approvers still to decide. */
  waitingFor: readonly string[];
  /** Time waited so far; business time (businessTimeBetween) reads best. */
  waitedMs: number;
}

/**
 * The reminder (催办) to an approver. Worded unlike the card and numbered, because DingTalk silently drops a work
 * notification identical to one the same person got that day.
 */
export function reminder(document: DocumentSummary, input: Waiting & { count: number }): Notice {
  const nth = input.count > 1 ? `（第 ${input.count} 次催办）` : '';
  return {
    title: `【催办】${document.formName} ${document.billNo} 待您审批`,
    text:
      `【催办】${describe(document)} 已等待 ${formatElapsed(input.waitedMs)}，请尽快完成「${input.stepName}」${nth}。` +
      linkLine(document),
  };
}

/** To the waiting approver's manager, who is brought in and may push or decide. */
export function escalationManagerNotice(document: DocumentSummary, input: Waiting & { managerName: string }): Notice {
  return {
    title: `【审批升级】${document.formName} ${document.billNo} 超时未审批`,
    text:
      `${input.managerName}，您好：${names(input.waitingFor)} 尚未审批 ${describe(document)}，` +
      `「${input.stepName}」已等待 ${formatElapsed(input.waitedMs)}。作为上级，请督促处理或直接审批。` +
      linkLine(document),
  };
}

/** To the escalation group (markdown). `managers`: display names of the managers brought in. */
export function escalationNotice(document: DocumentSummary, input: Waiting & { managers: readonly string[] }): Notice {
  return {
    title: `审批超时升级：${document.formName} ${document.billNo}`,
    text:
      [
        `### 审批超时升级`,
        `- 单据：${document.formName} ${document.billNo}`,
        `- 申请人：${document.applicant.name}`,
        `- 金额：${formatMoney(document.amount, document.currency)}`,
        `- 当前步骤：${input.stepName}`,
        `- 待审批人：${names(input.waitingFor)}`,
        `- 已等待：${formatElapsed(input.waitedMs)}`,
        `- 已通知上级：${names(input.managers)}`,
      ].join('\n') + linkLine(document),
  };
}

/** The final action `notify` (keep waiting): the configured text (placeholders filled), if any, then the facts. */
export function overdueNotice(document: DocumentSummary, input: Waiting & { text?: string }): Notice {
  const lead = input.text ? `${renderTemplate(input.text, templateValuesFor(document))}\n\n` : '';
  return {
    title: `【超时未审批】${document.formName} ${document.billNo}`,
    text:
      `${lead}【超时未审批】${describe(document)} 在「${input.stepName}」已等待 ${formatElapsed(input.waitedMs)}，` +
      `仍在等待 ${names(input.waitingFor)} 审批。` +
      linkLine(document),
  };
}

/** The comment recorded when a final action rejects: the configured reason, saying it was automatic. */
export function timeoutRejectComment(reason: string, waitedMs: number): string {
  return `${reason}（超时 ${formatElapsed(waitedMs)} 未审批，系统自动驳回）`;
}

// ---------------------------------------------------------------------------------------------------------------
// Outcome: applicant, follow-ups, ops, Kingdee

/** One decision as people read it. `name` is the approver's display name (系统 for automatic decisions). */
export interface DecisionSummary {
  name: string;
  action: 'approve' | 'reject';
  at: Instant;
  comment?: string;
  /** Display name of the person a delegate acted for. */
  onBehalfOf?: string;
}

const actionLabel = (action: DecisionSummary['action']): string => (action === 'approve' ? '同意' : '驳回');

function decisionText(decision: DecisionSummary, tz: TimeZone, withComment: boolean): string {
  const who = decision.onBehalfOf ? `${decision.name}（代 ${decision.onBehalfOf}）` : decision.name;
  const comment = withComment && decision.comment?.trim() ? `：${decision.comment.trim()}` : '';
  return `${who} ${formatTime(decision.at, tz)} ${actionLabel(decision.action)}${comment}`;
}

/** `李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意：情况属实` */
export function decisionsText(decisions: readonly DecisionSummary[], tz: TimeZone): string {
  return decisions.map((d) => decisionText(d, tz, true)).join('；');
}

export type Outcome = 'approved' | 'rejected';

/** To the applicant when the approval ends. */
export function applicantNotice(
  document: DocumentSummary,
  input: { outcome: Outcome; decisions: readonly DecisionSummary[]; tz: TimeZone },
): Notice {
  const { outcome, decisions, tz } = input;
  const what = `您的${document.formName} ${document.billNo}（${formatMoney(document.amount, document.currency)}）`;
  if (outcome === 'approved') {
    return {
      title: `${document.formName} ${document.billNo} 已审批通过`,
      text: `${what}已审批通过。\n\n审批记录：${decisionsText(decisions, tz) || '（无）'}` + linkLine(document),
    };
  }
  const rejection = [...decisions].reverse().find((d) => d.action === 'reject');
  const by = rejection ? `\n\n驳回人：${rejection.name}（${formatTime(rejection.at, tz)}）` : '';
  const reason = rejection?.comment?.trim() ? `\n\n原因：${rejection.comment.trim()}` : '';
  return {
    title: `${document.formName} ${document.billNo} 已被驳回`,
    text: `${what}已被驳回。${by}${reason}\n\n请修改后重新提交。` + linkLine(document),
  };
}

/** Follow-up to e.g. the cashier group: the configured text (placeholders filled) as headline, then the facts. */
export function followUpNotice(
  document: DocumentSummary,
  input: { template: string; outcome: Outcome; decisions: readonly DecisionSummary[]; tz: TimeZone },
): Notice {
  const { decisions, tz } = input;
  const result = input.outcome === 'approved' ? '已审批通过' : '已驳回';
  const values = templateValuesFor(document, {
    approvers: decisions.filter((d) => d.action === 'approve').map((d) => d.name),
    result,
    comment: [...decisions]
      .reverse()
      .find((d) => d.comment?.trim())
      ?.comment?.trim(),
  });
  const headline = renderTemplate(input.template, values);
  return {
    title: [...(headline.split('\n')[0] ?? headline)].slice(0, 64).join(''),
    text:
      [
        headline,
        '',
        `- 单据：${document.formName} ${document.billNo}（${result}）`,
        `- 申请人：${document.applicant.name}`,
        `- 金额：${formatMoney(document.amount, document.currency)}`,
        ...(document.purpose ? [`- 事由：${document.purpose}`] : []),
        `- 审批：${decisionsText(decisions, tz) || '（无）'}`,
      ].join('\n') + linkLine(document),
  };
}

/** The ops group's needs-attention alert: what is stuck, why, and what to do. */
export function opsAlert(
  document: Pick<DocumentSummary, 'formName' | 'billNo'> | undefined,
  input: {
    workflowId: string;
    /** What went wrong, in words a person understands. */
    reason: string;
    /** The failure type, e.g. KingdeeLocked, for searching logs. */
    errorType?: string;
    /** What a person should do, e.g. 在管理页面重试写回. */
    action?: string;
    at?: Instant;
    tz?: TimeZone;
  },
): Notice {
  const subject = document ? `${document.formName} ${document.billNo}` : input.workflowId;
  return {
    title: `【需要处理】${subject}`,
    text: [
      `### 【需要处理】${subject}`,
      `- 问题：${input.reason}`,
      ...(input.errorType ? [`- 类型：${input.errorType}`] : []),
      `- 建议：${input.action ?? '在管理页面查看后选择“重试”或“标记为已处理”'}`,
      `- 工作流：${input.workflowId}`,
      ...(input.at !== undefined && input.tz ? [`- 时间：${formatTime(input.at, input.tz)}`] : []),
    ].join('\n'),
  };
}

/** Kingdee's approval comments are short text fields and the exact limit is not documented (UNCONFIRMED), so we
 * stay within 255 characters, which every text column we know of accepts. */
export const KINGDEE_COMMENT_MAX = 255;

/**
 * The comment written back to Kingdee with Audit / WorkflowAudit / the reject operation, naming the real approvers
 * and times so Kingdee does not record only the integration account:
 * `钉钉审批：李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意`. Too long: comments go first, then it is cut.
 */
export function kingdeeComment(
  decisions: readonly DecisionSummary[],
  tz: TimeZone,
  maxLength = KINGDEE_COMMENT_MAX,
): string {
  const full = `钉钉审批：${decisions.map((d) => decisionText(d, tz, true)).join('；')}`;
  if ([...full].length <= maxLength) return full;
  const short = `钉钉审批：${decisions.map((d) => decisionText(d, tz, false)).join('；')}`;
  const chars = [...short];
  return chars.length <= maxLength ? short : `${chars.slice(0, maxLength - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------------------------
// Answers to the person deciding (card callback toast, robot text replies)

type DocumentName = Pick<DocumentSummary, 'billNo'> | undefined;
const billOf = (document: DocumentName): string => (document ? ` ${document.billNo}` : '');

/** What the person is told after a decision was accepted: `已同意 FYBX000123`. */
export function decisionAnswer(
  document: Pick<DocumentSummary, 'billNo'>,
  decision: { action: 'approve' | 'reject' | 'transfer' | 'addApprover'; targetName?: string; targetUserId?: string },
): string {
  const target = decision.targetName ?? decision.targetUserId ?? '';
  switch (decision.action) {
    case 'approve':
      return `已同意 ${document.billNo}`;
    case 'reject':
      return `已驳回 ${document.billNo}`;
    case 'transfer':
      return `已将 ${document.billNo} 转交给 ${target}`;
    case 'addApprover':
      return `已为 ${document.billNo} 加签 ${target}`;
  }
}

export const refusalKinds = [
  'notFound',
  'notAwaiting',
  'staleCard',
  'notApprover',
  'alreadyDecided',
  'commentRequired',
  'targetRequired',
  'targetIsSelf',
] as const;
export type RefusalKind = (typeof refusalKinds)[number];

/** Why a decision was refused, said so the person knows what to do. */
export function refusal(kind: RefusalKind, document?: DocumentName): string {
  const bill = billOf(document);
  switch (kind) {
    case 'notFound':
      return `未找到单据${bill}，请核对单据编号`;
    case 'notAwaiting':
      return `单据${bill} 当前不在审批中，无需操作`;
    case 'staleCard':
      return `这张卡片已过期：单据${bill} 已进入其他审批步骤`;
    case 'notApprover':
      return `您不是该单据的审批人${document ? `（${document.billNo}）` : ''}`;
    case 'alreadyDecided':
      return `您已处理过单据${bill}，无需重复操作`;
    case 'commentRequired':
      return `驳回需要写明原因，例如：驳回${bill || ' FYBX000123'} 发票缺失`;
    case 'targetRequired':
      return '请指定转交或加签的人员';
    case 'targetIsSelf':
      return '不能转交或加签给自己';
  }
}

/** Other robot text replies. */
export const botReplies = {
  help: (): string =>
    '可以这样回复：\n同意 单据编号 [意见]，例如：同意 FYBX000123\n驳回 单据编号 原因，例如：驳回 FYBX000123 发票缺失\n待办：查看待我审批的单据',
  processing: (billNo: string): string => `正在处理 ${billNo}，请稍候`,
  failed: (billNo: string): string => `处理 ${billNo} 时出错，已通知管理员，请稍后再试`,
  nothingPending: (): string => '您当前没有待审批的单据',
  pendingList: (documents: readonly DocumentSummary[]): string =>
    [`您有 ${documents.length} 张待审批单据：`, ...documents.map((d, i) => `${i + 1}. ${summaryLine(d)}`)].join('\n'),
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Templates in the rules file (follow-ups, notification rules, final-action texts)

/** Placeholder names, each with the Chinese aliases admins may write instead: {billNo} = {单号}. */
export const templatePlaceholders = {
  billNo: ['单号', '单据编号'],
  formName: ['单据类型', '单据名称'],
  applicant: ['申请人'],
  amount: ['金额'],
  currency: ['币别'],
  purpose: ['事由'],
  org: ['组织'],
  department: ['部门'],
  status: ['状态'],
  link: ['链接'],
  approvers: ['审批人'],
  result: ['结果'],
  comment: ['意见'],
  field: ['字段'],
  value: ['数值'],
} as const satisfies Record<string, readonly string[]>;

export type TemplatePlaceholder = keyof typeof templatePlaceholders;
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

const placeholderByName = new Map<string, TemplatePlaceholder>();
for (const [name, aliases] of Object.entries(templatePlaceholders) as Array<[TemplatePlaceholder, readonly string[]]>) {
  placeholderByName.set(name, name);
  for (const alias of aliases) placeholderByName.set(alias, name);
}

/** Every name a template may use, canonical and Chinese. */
export const templatePlaceholderNames: readonly string[] = [...placeholderByName.keys()];

const placeholderPattern = /\{([^{}\s]+)\}/g;

/** Names in `{…}` that are not placeholders (the rules loader reports them). */
export function unknownTemplatePlaceholders(template: string): string[] {
  return [...template.matchAll(placeholderPattern)]
    .map((match) => match[1] ?? '')
    .filter((name) => !placeholderByName.has(name));
}

/** Fills `{单号}` / `{billNo}` etc.; a placeholder without a value becomes —. Unknown `{…}` stay as written. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(placeholderPattern, (whole, name: string) => {
    const key = placeholderByName.get(name);
    if (!key) return whole;
    const value = values[key];
    return value === undefined || value === '' ? '—' : value;
  });
}

/** The values a document provides to templates; `extra` adds outcome details and notification-rule fields. */
export function templateValuesFor(
  document: DocumentSummary,
  extra: { approvers?: readonly string[]; result?: string; comment?: string; field?: string; value?: string } = {},
): TemplateValues {
  return {
    billNo: document.billNo,
    formName: document.formName,
    applicant: document.applicant.name,
    amount: formatMoney(document.amount, document.currency),
    currency: document.currency,
    purpose: document.purpose,
    org: document.orgName,
    department: document.deptName,
    status: documentStatusLabels[document.status],
    link: document.link,
    approvers: extra.approvers && extra.approvers.length > 0 ? extra.approvers.join('、') : undefined,
    result: extra.result,
    comment: extra.comment,
    field: extra.field,
    value: extra.value,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Byte limits

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
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
