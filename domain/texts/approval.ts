/**
 * The approval workflow's own user-facing Chinese texts: what its decision log says (the chain it planned, a final
 * action that keeps waiting, a change seen in Kingdee), how automatic decisions are signed, what an administrator is
 * told when an admin action does not apply, and the action hints of needs-attention alerts.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): plain parameters only.
 */
import { describeStatus, type DocumentStatus } from '../document';

/** The name decisions made by the workflow itself (a final action's rejection) are signed with. */
export const systemActorName = '系统';

/** `审批链：部门经理 → 财务经理（跳过 CFO：金额不超过 50,000）` — the chain as planned at the start. */
export function chainPlanComment(
  steps: readonly string[],
  skipped: ReadonlyArray<{ name: string; reason: string }> = [],
): string {
  const skippedText = skipped.map((s) => `${s.name}：${s.reason}`).join('；');
  return `审批链：${steps.join(' → ')}${skippedText ? `（跳过 ${skippedText}）` : ''}`;
}

/** Logged when a step's final action only notifies and the step keeps waiting. */
export const overdueKeepWaitingComment = '超时通知，继续等待';

/** Logged when the document left approval in Kingdee itself: `金蝶状态：C 已审核`. */
export function kingdeeStatusComment(status: DocumentStatus | 'deleted'): string {
  return `金蝶状态：${describeStatus(status)}`;
}

/** What a person should do about a needs-attention approval (the ops alert's 建议 line). */
export const attentionActions = {
  /** The rules file cannot plan the document. */
  fixRules: '修改规则文件并重启服务后，在管理页面选择“重试”',
  /** The write-back to Kingdee failed for good. */
  writeBackFailed: '排除原因后在管理页面选择“重试”，或在金蝶中处理后选择“标记为已处理”',
} as const;

/** An admin action (retry / resolve) on an approval that does not need attention. `stageLabel`: its stage, in words. */
export function adminActionRefused(action: 'retry' | 'resolve', stageLabel: string): string {
  return `只有“需人工处理”的单据可以${action === 'retry' ? '重试' : '标记为已处理'}，当前状态：${stageLabel}`;
}
