/**
 * Decisions as people read them — `李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意：情况属实` — in the
 * applicant's and follow-up notices, and in the comment written back to Kingdee with the audit or rejection (so
 * Kingdee records the real approvers, not only the integration account), including the comment of a rejection the
 * final action made automatically.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox); times are shown in the calendar's offset.
 */
import { formatElapsed, formatTime, type Instant, type TimeZone } from './format';

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

/** The comment recorded when a final action rejects: the configured reason, saying it was automatic. */
export function timeoutRejectComment(reason: string, waitedMs: number): string {
  return `${reason}（超时 ${formatElapsed(waitedMs)} 未审批，系统自动驳回）`;
}
