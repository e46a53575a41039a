/**
 * What the Temporal Web UI (and the admin view) shows of an approval: the one-line summary of the workflow, the
 * Chinese labels of its stages, and the "current details" saying what it waits for right now (or why it needs a
 * person).
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import type { DocumentSummary } from '../document';
import { formatMoney, names } from './format';

/** `费用报销单 FYBX000123 · ¥12,800.00 · 张三` — the Temporal UI summary of a workflow. */
export function summaryLine(document: DocumentSummary): string {
  return `${document.formName} ${document.billNo} · ${formatMoney(document.amount, document.currency)} · ${document.applicant.name}`;
}

/**
 * The same line from the head fields of a polled Kingdee row, before the document is read (the poller starts the
 * approval with it); a part Kingdee left empty, such as the applicant, is left out.
 */
export function polledSummaryLine(head: {
  formName: string;
  billNo: string;
  amount: number;
  currency: string;
  applicantName: string;
}): string {
  return [`${head.formName} ${head.billNo}`, formatMoney(head.amount, head.currency), head.applicantName]
    .filter(Boolean)
    .join(' · ');
}

/** The poller workflow's line in the Web UI list. */
export function pollerSummaryLine(formName: string): string {
  return `金蝶变更检测 ${formName}`;
}

/** Chinese labels of the workflow's stages (ApprovalStage in workflows/contract.ts); unknown stages are shown as they are. */
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

/**
 * The Temporal UI's "current details" (markdown): what the approval is waiting for right now — and while it needs
 * attention, why. Before the document is read (or when it cannot be), the workflow id names the approval.
 */
export function currentDetails(
  document: DocumentSummary | undefined,
  state: {
    stage: string;
    stepName?: string;
    waitingFor?: readonly string[];
    escalated?: boolean;
    /** Why the approval needs a person, while its stage is needs-attention. */
    attention?: { reason: string };
    workflowId?: string;
  },
): string {
  const stage = stageLabels[state.stage] ?? state.stage;
  const attention = state.stage === 'needs-attention' ? state.attention : undefined;
  return [
    `**${document ? summaryLine(document) : (state.workflowId ?? '')}**`,
    `状态：${stage}${state.stepName && state.stage === 'awaiting-approval' ? `（${state.stepName}）` : ''}`,
    ...(attention ? [`原因：${attention.reason}`] : []),
    ...(state.waitingFor && state.waitingFor.length > 0 ? [`待审批人：${names(state.waitingFor)}`] : []),
    ...(state.escalated ? ['已升级'] : []),
  ].join('\n\n');
}
