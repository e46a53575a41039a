/**
 * Notices: the work notifications and group-robot messages the bridge sends on its own — reminders (催办) to
 * approvers, escalation to their manager and the escalation group, the overdue notice of the final action, the
 * applicant's outcome notice (and the one when an approval closes without an outcome), follow-ups (e.g. to the
 * cashier group), the ops group's needs-attention alert with where to act, and the messages of notification-only
 * rules.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox). Notices are `{ title, text }` with markdown text,
 * the shape both a group robot's markdown message and a work notification take. Names are display names (张三),
 * resolved by activities.
 */
import type { DocumentSummary } from '../document';
import { decisionsText, type DecisionSummary } from './decisions';
import {
  describe,
  fitNotice,
  formatElapsed,
  formatMoney,
  formatTime,
  linkLine,
  names,
  renderTemplate,
  templateValuesFor,
  type Instant,
  type TimeZone,
} from './format';

export interface Notice {
  /** Preview line (notification list, robot markdown title). */
  title: string;
  /** Markdown body. */
  text: string;
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
export function reminder(document: DocumentSummary, input: Waiting & { count: number; urgent?: boolean }): Notice {
  const nth = input.count > 1 ? `（第 ${input.count} 次催办）` : '';
  const mark = input.urgent ? '【加急】' : '';
  return fitNotice({
    title: `${mark}【催办】${document.formName} ${document.billNo} 待您审批`,
    text:
      `${mark}【催办】${describe(document)} 已等待 ${formatElapsed(input.waitedMs)}，请尽快完成「${input.stepName}」${nth}。` +
      linkLine(document),
  });
}

/** To the waiting approver's manager, who is brought in and may push or decide. */
export function escalationManagerNotice(document: DocumentSummary, input: Waiting & { managerName: string }): Notice {
  return fitNotice({
    title: `【审批升级】${document.formName} ${document.billNo} 超时未审批`,
    text:
      `${input.managerName}，您好：${names(input.waitingFor)} 尚未审批 ${describe(document)}，` +
      `「${input.stepName}」已等待 ${formatElapsed(input.waitedMs)}。作为上级，请督促处理或直接审批。` +
      linkLine(document),
  });
}

/** To the escalation group (markdown). `managers`: display names of the managers brought in. */
export function escalationNotice(document: DocumentSummary, input: Waiting & { managers: readonly string[] }): Notice {
  return fitNotice({
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
  });
}

/** The final action `notify` (keep waiting): the configured text (placeholders filled), if any, then the facts. */
export function overdueNotice(document: DocumentSummary, input: Waiting & { text?: string }): Notice {
  const lead = input.text ? `${renderTemplate(input.text, templateValuesFor(document))}\n\n` : '';
  return fitNotice({
    title: `【超时未审批】${document.formName} ${document.billNo}`,
    text:
      `${lead}【超时未审批】${describe(document)} 在「${input.stepName}」已等待 ${formatElapsed(input.waitedMs)}，` +
      `仍在等待 ${names(input.waitingFor)} 审批。` +
      linkLine(document),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Outcome: applicant, follow-ups, ops

export type Outcome = 'approved' | 'rejected';

/** To the applicant when the approval ends. */
export function applicantNotice(
  document: DocumentSummary,
  input: { outcome: Outcome; decisions: readonly DecisionSummary[]; tz: TimeZone },
): Notice {
  const { outcome, decisions, tz } = input;
  const what = `您的${document.formName} ${document.billNo}（${formatMoney(document.amount, document.currency)}）`;
  if (outcome === 'approved') {
    return fitNotice({
      title: `${document.formName} ${document.billNo} 已审批通过`,
      text: `${what}已审批通过。\n\n审批记录：${decisionsText(decisions, tz) || '（无）'}` + linkLine(document),
    });
  }
  const rejection = [...decisions].reverse().find((d) => d.action === 'reject');
  const by = rejection ? `\n\n驳回人：${rejection.name}（${formatTime(rejection.at, tz)}）` : '';
  const reason = rejection?.comment?.trim() ? `\n\n原因：${rejection.comment.trim()}` : '';
  return fitNotice({
    title: `${document.formName} ${document.billNo} 已被驳回`,
    text: `${what}已被驳回。${by}${reason}\n\n请修改后重新提交。` + linkLine(document),
  });
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
  return fitNotice({
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
  });
}

/** Where a person acts on a needs-attention approval: the admin API's endpoints and the Temporal Web UI. */
export interface AttentionLinks {
  /** `POST …/admin/approvals/<id>/retry` (absolute when the service's public URL is configured). */
  retry: string;
  /** `POST …/admin/approvals/<id>/resolve`. */
  resolve: string;
  /** The workflow in the Temporal Web UI, when its URL is configured. */
  temporalUi?: string;
}

/**
 * The admin API endpoints and the Temporal Web UI page of an approval workflow. `apiBaseUrl` / `temporalUiUrl`
 * unknown: the endpoints are given as paths (still what to call), the UI link is left out.
 */
export function attentionLinks(input: {
  workflowId: string;
  namespace?: string;
  runId?: string;
  apiBaseUrl?: string;
  temporalUiUrl?: string;
}): AttentionLinks {
  const trim = (url: string) => url.replace(/\/+$/, '');
  const id = encodeURIComponent(input.workflowId);
  const api = input.apiBaseUrl ? trim(input.apiBaseUrl) : '';
  const ui =
    input.temporalUiUrl && input.namespace
      ? `${trim(input.temporalUiUrl)}/namespaces/${encodeURIComponent(input.namespace)}/workflows/${id}${input.runId ? `/${encodeURIComponent(input.runId)}/history` : ''}`
      : undefined;
  return {
    retry: `${api}/admin/approvals/${id}/retry`,
    resolve: `${api}/admin/approvals/${id}/resolve`,
    ...(ui ? { temporalUi: ui } : {}),
  };
}

/** The ops group's needs-attention alert: what is stuck, why, what to do, and where to do it. */
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
    /** Where to act (admin API endpoints, Temporal Web UI). */
    links?: AttentionLinks;
    at?: Instant;
    tz?: TimeZone;
  },
): Notice {
  const subject = document ? `${document.formName} ${document.billNo}` : input.workflowId;
  const links = input.links;
  return fitNotice({
    title: `【需要处理】${subject}`,
    text: [
      `### 【需要处理】${subject}`,
      `- 问题：${input.reason}`,
      ...(input.errorType ? [`- 类型：${input.errorType}`] : []),
      `- 建议：${input.action ?? '在管理页面查看后选择“重试”或“标记为已处理”'}`,
      ...(links ? [`- 重试：POST ${links.retry}`, `- 标记为已处理：POST ${links.resolve}`] : []),
      ...(links?.temporalUi ? [`- Temporal：[查看工作流](${links.temporalUi})`] : []),
      `- 工作流：${input.workflowId}`,
      ...(input.at !== undefined && input.tz ? [`- 时间：${formatTime(input.at, input.tz)}`] : []),
    ].join('\n'),
  });
}

/**
 * To the applicant when the approval ends without an outcome from DingTalk: the document left approval in Kingdee
 * (audited there, withdrawn, deleted) or an administrator closed it. The decisions made so far are listed.
 */
export function approvalClosedNotice(
  document: DocumentSummary,
  input: {
    how: 'withdrawn' | 'handledInKingdee' | 'deleted' | 'adminResolved';
    status?: string;
    decisions: readonly DecisionSummary[];
    tz: TimeZone;
  },
): Notice {
  const what = `您的${document.formName} ${document.billNo}（${formatMoney(document.amount, document.currency)}）`;
  const status = input.status ? `（金蝶状态：${input.status}）` : '';
  const [title, sentence] = (() => {
    switch (input.how) {
      case 'withdrawn':
        return ['已撤回', `${what}已撤回${status}，钉钉中的审批已取消。`];
      case 'deleted':
        return ['已在金蝶删除', `${what}已在金蝶删除，钉钉中的审批已取消。`];
      case 'adminResolved':
        return ['已转由管理员处理', `${what}已由管理员标记为已处理，钉钉中的审批已结束，请在金蝶中查看结果。`];
      case 'handledInKingdee':
        return ['已在金蝶处理', `${what}已在金蝶处理${status}，钉钉中的审批已结束。`];
    }
  })();
  const decisions = decisionsText(input.decisions, input.tz);
  return fitNotice({
    title: `${document.formName} ${document.billNo} ${title}`,
    text: `${sentence}${decisions ? `\n\n已有审批记录：${decisions}` : ''}` + linkLine(document),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Notification-only rules (no approval)

/**
 * The message of a notification-only rule: its template with the document's values (and the threshold field that
 * triggered it), titled with the rule's name or the document. `heldBack` counts the earlier changes the rule's rate
 * limit held back, so nothing disappears silently.
 */
export function ruleNotice(
  document: DocumentSummary,
  input: { template: string; ruleName?: string; trigger?: { field: string; value: string }; heldBack: number },
): Notice {
  const values = templateValuesFor(document, input.trigger ?? {});
  return fitNotice({
    title: input.ruleName ?? `${document.formName} ${document.billNo}`,
    text:
      renderTemplate(input.template, values) +
      (input.heldBack > 0 ? `\n\n（另有 ${input.heldBack} 条同类变更因频率限制未单独通知）` : ''),
  });
}
