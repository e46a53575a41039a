/**
 * Why an approval has the plan it has, or cannot start: the reasons a chain step was skipped (organisation,
 * department, amount), the warning when amount thresholds cannot be compared, the rules-file problems that stop
 * planning (form not configured, no chain, no applicable step, unknown robot), why a document needs no approval,
 * and the failures of finding approvers or the document in Kingdee. Admins and ops read these in the logs, the
 * admin view and the ops alert; each says what to fix.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox: rules/plan.ts is planned inside workflows).
 */
import { formatMoney } from './format';

// ---------------------------------------------------------------------------------------------------------------
// Steps whose conditions do not hold

/** A failed amount condition: the comparison the rules file asked for and its threshold. */
export interface AmountBound {
  op: '>' | '≥' | '<' | '≤';
  value: number;
}

/** Why a step's `when` did not hold for a document. */
export const stepSkipReasons = {
  /** `组织「华北公司」不在 华东公司 中`, or the document has no organisation. */
  org: (orgName: string | undefined, wanted: readonly string[]): string =>
    orgName ? `组织「${orgName}」不在 ${wanted.join('、')} 中` : '单据没有组织信息',
  /** `部门「财务部」不在 销售部、市场部 中`, or the document has no department. */
  department: (deptName: string | undefined, wanted: readonly string[]): string =>
    deptName ? `部门「${deptName}」不在 ${wanted.join('、')} 中` : '单据没有部门信息',
  /** `金额 ¥12,800.00 不满足 > ¥50,000.00` (amounts in the form's currency). */
  amount: (amount: number, currency: string, failed: readonly AmountBound[]): string => {
    const money = (value: number) => formatMoney(value, currency);
    return `金额 ${money(amount)} 不满足 ${failed.map((bound) => `${bound.op} ${money(bound.value)}`).join(' 且 ')}`;
  },
} as const;

/** The document's currency differs from the one the thresholds are written in: the step is kept, a person checks. */
export function currencyMismatchWarning(input: {
  billNo: string;
  currency: string;
  formCurrency: string;
  stepName: string;
}): string {
  return `${input.billNo} 的币别是 ${input.currency}，金额条件按 ${input.formCurrency} 编写，无法比较：已保留「${input.stepName}」步骤`;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules-file problems that stop planning

export function formNotConfiguredMessage(formId: string): string {
  return `表单 ${formId} 不在规则文件的 forms 中：添加它（名称、是否走金蝶工作流、驳回操作）后重试`;
}

export function noChainMessage(formName: string, formId: string): string {
  return `${formName}（${formId}）没有配置审批链：在规则文件的 chains 下为它添加步骤`;
}

export function noApplicableStepMessage(
  formName: string,
  billNo: string,
  skippedSteps: ReadonlyArray<{ name: string; reason: string }>,
): string {
  return `${formName} ${billNo} 没有适用的审批步骤（${skippedSteps
    .map((s) => `${s.name}：${s.reason}`)
    .join('；')}）：检查规则文件中该审批链的条件`;
}

export function unknownRobotMessage(name: string): string {
  return `规则引用了未定义的机器人「${name}」：在 robots 下定义它`;
}

// ---------------------------------------------------------------------------------------------------------------
// The document in Kingdee and the approvers in DingTalk

/** Planning found no such document in Kingdee. */
export function documentGoneReason(billNo: string): string {
  return `金蝶中找不到单据 ${billNo}（可能已删除）`;
}

/** The document is not awaiting approval (B) in Kingdee; `status` is its status letter as Kingdee reports it. */
export function notAwaitingApprovalReason(status: string): string {
  return `单据不在审核中（金蝶状态 ${status}），无需审批`;
}

/** No approver of a step could be found in DingTalk. */
export function noApproversMessage(billNo: string): string {
  return `无法确定 ${billNo} 的审批人：规则中的审批人在钉钉中都找不到（检查手机号与上级设置）`;
}

/** The write-back found no such document in Kingdee. */
export function documentNotFoundMessage(billNo: string): string {
  return `金蝶中找不到单据 ${billNo}`;
}
