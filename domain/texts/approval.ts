/**
 * The approval workflow's own user-facing Chinese texts: what its decision log says (the chain it planned and the
 * plan's warnings, a final action that keeps waiting, a change seen in Kingdee, a notice it could not send), how
 * automatic decisions are signed, why a decision is refused (said as what actually happened), what an administrator
 * is told when an admin action does not apply, and the needs-attention texts: what the workflow was doing when it
 * stopped, why, and what a person should do about it (see docs/failure-policy.md).
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): plain parameters only.
 */
import { describeStatus, documentStatusLabels, type DocumentStatus, type DocumentSummary } from '../document';

/** The name decisions made by the workflow itself (a final action's rejection) are signed with. */
export const systemActorName = '系统';

/**
 * `审批链：部门经理 → 财务经理（跳过 CFO：金额不超过 50,000）；注意：…` — the chain as planned at the start, with
 * the plan's warnings (e.g. thresholds that could not be compared in the document's currency).
 */
export function chainPlanComment(
  steps: readonly string[],
  skipped: ReadonlyArray<{ name: string; reason: string }> = [],
  warnings: readonly string[] = [],
): string {
  const skippedText = skipped.map((s) => `${s.name}：${s.reason}`).join('；');
  const warningText = warnings.length > 0 ? `；注意：${warnings.join('；')}` : '';
  return `审批链：${steps.join(' → ')}${skippedText ? `（跳过 ${skippedText}）` : ''}${warningText}`;
}

/** Logged when a step's final action only notifies and the step keeps waiting. */
export const overdueKeepWaitingComment = '超时通知，继续等待';

/** Logged when the document left approval in Kingdee itself: `金蝶状态：C 已审核`. */
export function kingdeeStatusComment(status: DocumentStatus | 'deleted'): string {
  return `金蝶状态：${describeStatus(status)}`;
}

/** Logged when the applicant could not be told (no mobile in Kingdee, or no DingTalk user with it). */
export function applicantNotToldComment(noticeTitle: string, applicant: { name: string; mobile?: string }): string {
  const why = applicant.mobile ? `手机号 ${maskMobile(applicant.mobile)} 在钉钉中找不到` : '金蝶中没有其手机号';
  return `未能通知申请人 ${applicant.name}（${why}）：${noticeTitle}`;
}

/** Logged when the ops alert of a needs-attention entry could not be sent (the state still says needs-attention). */
export function opsAlertFailedComment(detail: string): string {
  return `未能通知运维：${detail}`;
}

/** `138****0001`: enough for a person to recognise, not the whole number in a group chat. */
export function maskMobile(mobile: string): string {
  return mobile.length >= 7 ? `${mobile.slice(0, 3)}****${mobile.slice(-4)}` : mobile;
}

/** Why one approver of a step could not be found in DingTalk. */
export type ApproverProblem =
  | { kind: 'unknownUser'; userId: string }
  | { kind: 'applicantWithoutMobile'; name: string }
  | { kind: 'applicantNotInDingTalk'; name: string; mobile: string }
  | { kind: 'applicantWithoutManager'; name: string }
  | { kind: 'fieldWithoutMobile'; field: string }
  | { kind: 'fieldNotInDingTalk'; field: string; mobile: string };

/**
 * `无法确定 FYBX000301 的审批人：申请人 孙九 的手机号 139****0099 在钉钉中找不到，无法确定其上级` — every approver
 * of the step, and why each could not be found.
 */
export function approversNotFoundMessage(billNo: string, problems: readonly ApproverProblem[]): string {
  const why = problems.map((problem) => {
    switch (problem.kind) {
      case 'unknownUser':
        return `钉钉中没有用户 ${problem.userId}`;
      case 'applicantWithoutMobile':
        return `申请人 ${problem.name} 在金蝶中没有手机号，无法确定其上级`;
      case 'applicantNotInDingTalk':
        return `申请人 ${problem.name} 的手机号 ${maskMobile(problem.mobile)} 在钉钉中找不到，无法确定其上级`;
      case 'applicantWithoutManager':
        return `申请人 ${problem.name} 在钉钉中没有设置上级`;
      case 'fieldWithoutMobile':
        return `单据字段 ${problem.field} 的人员在金蝶中没有手机号`;
      case 'fieldNotInDingTalk':
        return `单据字段 ${problem.field} 的人员（手机号 ${maskMobile(problem.mobile)}）在钉钉中找不到`;
    }
  });
  return `无法确定 ${billNo} 的审批人：${why.length > 0 ? why.join('；') : '规则中没有审批人'}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals: why a decision is not applied, said as what actually happened

/** Why a decision was refused, in plain data (workflows/approval/decisions.ts refusalFor decides which). */
export type ApprovalRefusal =
  | { kind: 'notApprover' }
  | { kind: 'alreadyDecided' }
  | { kind: 'commentRequired' }
  | { kind: 'targetRequired' }
  | { kind: 'targetIsSelf' }
  /** The person handed their seat on (转交). */
  | { kind: 'transferredAway'; toName: string }
  /** The step the person's card (or click) was for is decided, and the approval is on a later step now. */
  | {
      kind: 'stepMovedOn';
      stepName?: string;
      outcome?: 'approved' | 'rejected';
      byName?: string;
      nextStepName: string;
    }
  /** Every step is decided: the outcome is being written back to Kingdee, or the approval has ended. */
  | { kind: 'finished'; outcome: 'approved' | 'rejected'; byName?: string; writingBack: boolean }
  /** The document left approval in Kingdee (withdrawn, audited there, deleted) or an administrator closed it. */
  | { kind: 'closed'; how: 'withdrawn' | 'handledInKingdee' | 'deleted' | 'adminResolved'; status?: DocumentStatus }
  | { kind: 'needsAttention' }
  | { kind: 'starting' }
  | { kind: 'notApplicable' };

/** The refusal as the person deciding reads it (card result, bot reply). */
export function approvalRefusalText(refusal: ApprovalRefusal, document?: Pick<DocumentSummary, 'billNo'>): string {
  const bill = document ? `单据 ${document.billNo}` : '该单据';
  switch (refusal.kind) {
    case 'notApprover':
      return `您不是该单据的审批人${document ? `（${document.billNo}）` : ''}`;
    case 'alreadyDecided':
      return `您已处理过单据${document ? ` ${document.billNo}` : ''}，无需重复操作`;
    case 'commentRequired':
      return `驳回需要写明原因，例如：驳回 ${document?.billNo ?? 'FYBX000123'} 发票缺失`;
    case 'targetRequired':
      return '请指定转交或加签的人员';
    case 'targetIsSelf':
      return '不能转交或加签给自己';
    case 'transferredAway':
      return `您已将${bill} 转交给 ${refusal.toName}，无需再操作`;
    case 'stepMovedOn': {
      const decided =
        refusal.stepName && refusal.outcome
          ? `「${refusal.stepName}」已${refusal.byName ? `由 ${refusal.byName} ` : ''}${refusal.outcome === 'approved' ? '同意' : '驳回'}，`
          : '';
      return `${bill} 的${decided}已进入「${refusal.nextStepName}」，无需您再操作`;
    }
    case 'finished': {
      const by = refusal.byName ? `由 ${refusal.byName} ` : '';
      if (refusal.outcome === 'rejected') return `${bill} 已${by}驳回，审批已结束，无需再操作`;
      return `${bill} 已${by}同意，审批已通过${refusal.writingBack ? '（正在写回金蝶）' : ''}，无需再操作`;
    }
    case 'closed': {
      const status = refusal.status ? `（金蝶状态：${documentStatusLabels[refusal.status]}）` : '';
      switch (refusal.how) {
        case 'withdrawn':
          return `${bill} 已被撤回${status}，审批已取消，无需操作`;
        case 'deleted':
          return `${bill} 已在金蝶删除，审批已取消，无需操作`;
        case 'adminResolved':
          return `${bill} 已由管理员处理，无需在钉钉操作`;
        case 'handledInKingdee':
          return `${bill} 已在金蝶处理${status}，无需在钉钉操作`;
      }
      break;
    }
    case 'needsAttention':
      return `${bill} 遇到问题，正在等待管理员处理，暂时不能审批，请稍后再试`;
    case 'starting':
      return `${bill} 正在准备审批，请稍后再试`;
    case 'notApplicable':
      return `${bill} 无需审批`;
  }
  return `${bill} 当前不能审批`;
}

/** A decision handler met an error it did not expect: nothing was applied, and an administrator is told. */
export function decisionFailedText(document?: Pick<DocumentSummary, 'billNo'>): string {
  return `处理单据${document ? ` ${document.billNo}` : ''} 时出错，未做任何处理，已通知管理员`;
}

/** A person a decision brings in could not be looked up right now (DingTalk unavailable): nothing was applied. */
export const decisionLookupFailedText = '暂时无法查询钉钉用户，未做任何处理，请稍后再试';

// ---------------------------------------------------------------------------------------------------------------
// Needs attention: what the workflow was doing, why it stopped, and what to do

/** What the workflow was doing when it had to stop (the start of the reason line). */
export const attentionTasks = {
  plan: '读取金蝶单据并生成审批计划',
  resolveApprovers: (stepName: string): string => `确定「${stepName}」的审批人`,
  lookUpPerson: '查询钉钉用户',
  deliverCards: (stepName: string, names: readonly string[]): string =>
    `向 ${names.join('、')} 发送「${stepName}」的审批卡片`,
  updateCards: '更新审批卡片',
  remind: (stepName: string): string => `发送「${stepName}」的催办`,
  escalate: (stepName: string): string => `「${stepName}」超时升级`,
  finalAction: (stepName: string): string => `「${stepName}」的超时处理`,
  processDecision: '处理审批操作',
  writeBack: (outcome: 'approved' | 'rejected'): string =>
    `把审批结果（${outcome === 'approved' ? '同意' : '驳回'}）写回金蝶`,
  notifyApplicant: '通知申请人',
  followUp: '发送审批后的通知',
  finishNotices: '通知申请人并发送审批后的通知',
  close: '结束审批并更新卡片',
} as const;

/** Known DingTalk / Kingdee error codes, as people read them. */
const knownCauses: ReadonlyArray<[RegExp, string]> = [
  [/userIdNotExist|无效的USERID|找不到该用户/i, '钉钉中没有该用户'],
  [/openSpaceIdInvalid/i, '钉钉会话不存在'],
  [/templateNotExist/i, '钉钉卡片模板不存在'],
];

/**
 * `向 ghost 发送「部门经理审批」的审批卡片失败：钉钉中没有该用户（DingTalkDeliveryError：card … param.userIdNotExist）`.
 * `detail` is the failure's own message (Chinese when ours, the vendor's words otherwise); `exhausted`: retried
 * until the retry policy gave up.
 */
export function attentionReason(input: { task: string; detail: string; type?: string; exhausted?: boolean }): string {
  const detail = input.detail.trim();
  const known = knownCauses.find(([pattern]) => pattern.test(detail))?.[1];
  const chinese = /[\u4e00-\u9fff]/.test(detail);
  const technical = input.type ? `${input.type}：${detail}` : detail;
  const said = known ? `${known}（${technical}）` : chinese ? detail : `（${technical}）`;
  return `${input.task}失败：${said}${input.exhausted ? '；已多次自动重试仍未成功' : ''}`;
}

/** An unexpected exception in the workflow's own code (a bug): what it was doing and the error as thrown. */
export function workflowBugReason(task: string, error: string): string {
  return `${task}时工作流内部出错（程序缺陷）：${error}`;
}

/** What a person should do about a needs-attention approval (the ops alert's 建议 line). */
export const attentionActions = {
  /** The rules file cannot plan the document. */
  fixRules: '修改规则文件并重启服务后，在管理页面选择“重试”',
  /** The write-back to Kingdee failed for good. */
  writeBackFailed: '排除原因后在管理页面选择“重试”，或在金蝶中处理后选择“标记为已处理”',
  /** A person could not be found in DingTalk (approver, applicant's manager). */
  personNotFound: '在钉钉中补全该人员（手机号、上级）后选择“重试”；或在金蝶中处理后选择“标记为已处理”',
  /** A card or notice could not be delivered to someone. */
  deliveryFailed: '确认收件人在钉钉中存在、应用可以给其发消息后选择“重试”；或在金蝶中处理后选择“标记为已处理”',
  /** A bug: the code must be fixed first. */
  bug: '这是程序缺陷：请开发人员修复并部署后选择“重试”；或在金蝶中处理后选择“标记为已处理”',
  /** Anything else. */
  other: '排除原因后在管理页面选择“重试”，或在金蝶中处理后选择“标记为已处理”',
} as const;

/** Logged when an administrator resolves an approval that was still waiting for decisions. */
export const adminClosedComment = '管理员标记为已处理：审批在钉钉中结束，单据请在金蝶中处理';

/** An admin action (retry / resolve) on an approval that does not need attention. `stageLabel`: its stage, in words. */
export function adminActionRefused(action: 'retry' | 'resolve', stageLabel: string): string {
  return `只有“需人工处理”的单据可以${action === 'retry' ? '重试' : '标记为已处理'}，当前状态：${stageLabel}`;
}
