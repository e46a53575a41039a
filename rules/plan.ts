/**
 * From the rules file to the plan one approval follows: which steps apply to this document (conditions on
 * organisation, department and amount evaluated), who approves each step (still abstract — an activity turns
 * "the applicant's manager" or "the person in FProposerID" into DingTalk userIds), the timeouts in business
 * milliseconds, what to write back to Kingdee, and whom to tell afterwards.
 *
 * Pure and deterministic (runs inside the workflow sandbox). Rules edits must never change a running approval, so
 * a workflow captures `snapshotRules(rules, formId)` once at start (e.g. as input or from a local activity) and
 * plans from that snapshot; `resolveChain` accepts a snapshot or the full rules alike.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Calendar, FinalAction, RejectOperation, Robot, RuleApprover, Rules, RuleStep, Target } from '.';
import { businessDurationMs } from '../domain/business-hours';
import { canonicalJson, sha256Hex } from '../domain/decision-log';
import { formatMoney } from '../domain/texts';
import type { DocumentSummary } from '../domain/document';

/** ApplicationFailure types thrown here, all non-retryable (the rules or the document need a person). */
export const chainFailureTypes = {
  /** The form is not in the rules' `forms`. */
  formNotConfigured: 'FormNotConfigured',
  /** The form has no chain in the rules. */
  noChain: 'NoApprovalChain',
  /** Conditions left no step for this document. */
  noApplicableStep: 'NoApplicableApprovalStep',
  /** A reference the rules loader should have caught (e.g. an unknown robot) — a rules snapshot from elsewhere. */
  invalidRules: 'InvalidRules',
} as const;

/** The parts of the rules a chain needs; `Rules` and `RulesSnapshot` both have them. */
export type ChainRules = Pick<
  Rules,
  'calendar' | 'robots' | 'escalation' | 'ops' | 'defaults' | 'delegates' | 'forms' | 'chains'
>;

/** What a workflow keeps from the rules at start: only its own form, plus a fingerprint of the whole file. */
export type RulesSnapshot = ChainRules & {
  formId: string;
  /** First 16 hex digits of SHA-256 over the whole rules (canonical JSON): which rules version was used. */
  fingerprint: string;
};

export type ApproverSpec =
  | Exclude<RuleApprover, { kind: 'kingdeeField' }>
  | (Extract<RuleApprover, { kind: 'kingdeeField' }> & {
      /** The person's mobile, from the document's personMobiles, when Kingdee had one. */
      mobile?: string;
    });

export type RobotTarget = Robot & { name: string };

/** Who receives a message, with robot names replaced by what the rules say about the robot. */
export interface ResolvedTarget {
  robot?: RobotTarget;
  users: string[];
  applicant: boolean;
  approvers: boolean;
}

/** reject: end the approval as rejected with this reason; notify: tell people, and keep waiting. */
export type PlannedFinalAction =
  Extract<FinalAction, { type: 'reject' }> | { type: 'notify'; to: ResolvedTarget; text?: string };

export interface PlannedStep {
  id: string;
  name: string;
  /** any: the first approval completes the step; all: every approver must approve. */
  mode: 'any' | 'all';
  approvers: ApproverSpec[];
  /** Business-time ms from the step's start (addBusinessTime with the plan's calendar); absent = never. */
  remindAfterMs?: number;
  /** Business-time ms between later reminders, counted from the previous one; absent = remind once. */
  remindEveryMs?: number;
  escalateAfterMs?: number;
  finalAfterMs?: number;
  /** What happens at finalAfterMs; present exactly when finalAfterMs is. */
  finalAction?: PlannedFinalAction;
  /** approver userId → delegate userId (global delegates merged with the step's own). */
  delegates: Record<string, string>;
}

export interface PlannedFollowUp {
  to: ResolvedTarget;
  /** Template text, e.g. "请出纳安排付款"; render with messages.followUpNotice. */
  template: string;
}

export interface WriteBackPlan {
  /** Audit, or WorkflowAudit where the form runs Kingdee's own workflow (a plain Audit is refused there). */
  approve: 'audit' | 'workflowAudit';
  reject: RejectOperation;
  followUps: { approved: PlannedFollowUp[]; rejected: PlannedFollowUp[] };
}

export interface ChainPlan {
  formId: string;
  formName: string;
  /** The currency the form's amount thresholds are written in. */
  currency: string;
  steps: PlannedStep[];
  /** Steps whose conditions did not hold, with the reason in Chinese (for the log and the admin view). */
  skippedSteps: Array<{ id: string; name: string; reason: string }>;
  writeBack: WriteBackPlan;
  escalation: { notifyManager: boolean; robot?: RobotTarget };
  ops?: { robot?: RobotTarget; users: string[] };
  /** The calendar timeouts are counted in (captured with the plan). */
  calendar: Calendar;
  /** Things a person should look at, e.g. amount thresholds applied to a document in another currency. */
  warnings: string[];
}

/** Captures what an approval of `formId` needs from the rules, as plain JSON (safe as workflow input). */
export function snapshotRules(rules: Rules, formId: string): RulesSnapshot {
  const form = rules.forms[formId];
  if (!form) throw formNotConfigured(formId);
  const chain = rules.chains[formId];
  const snapshot: RulesSnapshot = {
    formId,
    fingerprint: rulesFingerprint(rules),
    calendar: rules.calendar,
    robots: rules.robots,
    escalation: rules.escalation,
    ...(rules.ops ? { ops: rules.ops } : {}),
    defaults: rules.defaults,
    delegates: rules.delegates,
    forms: { [formId]: form },
    chains: chain ? { [formId]: chain } : {},
  };
  // A deep copy through JSON: it shares nothing with the live rules and is exactly what Temporal will store.
  return JSON.parse(JSON.stringify(snapshot)) as RulesSnapshot;
}

/** First 16 hex digits of SHA-256 over the rules' canonical JSON. */
export function rulesFingerprint(rules: Rules): string {
  return sha256Hex(canonicalJson(rules)).slice(0, 16);
}

/** Plans the approval of `document` under `rules`. Throws non-retryable ApplicationFailures (chainFailureTypes). */
export function resolveChain(rules: ChainRules, document: DocumentSummary): ChainPlan {
  const form = rules.forms[document.formId];
  if (!form) throw formNotConfigured(document.formId);
  const chain = rules.chains[document.formId];
  if (!chain) {
    throw ApplicationFailure.create({
      type: chainFailureTypes.noChain,
      nonRetryable: true,
      message: `${form.name}（${document.formId}）没有配置审批链：在规则文件的 chains 下为它添加步骤`,
    });
  }
  const warnings: string[] = [];
  const steps: PlannedStep[] = [];
  const skippedSteps: ChainPlan['skippedSteps'] = [];
  for (const step of chain) {
    const verdict = evaluateCondition(step, document, form.currency);
    if (verdict.warning && !warnings.includes(verdict.warning)) warnings.push(verdict.warning);
    if (verdict.applies) steps.push(planStep(rules, step, document));
    else skippedSteps.push({ id: step.id, name: step.name, reason: verdict.reason });
  }
  if (steps.length === 0) {
    throw ApplicationFailure.create({
      type: chainFailureTypes.noApplicableStep,
      nonRetryable: true,
      message: `${form.name} ${document.billNo} 没有适用的审批步骤（${skippedSteps
        .map((s) => `${s.name}：${s.reason}`)
        .join('；')}）：检查规则文件中该审批链的条件`,
    });
  }
  return {
    formId: document.formId,
    formName: form.name,
    currency: form.currency,
    steps,
    skippedSteps,
    writeBack: writeBackPlan(rules, document.formId),
    escalation: {
      notifyManager: rules.escalation.notifyManager,
      ...optionalRobot(rules, rules.escalation.robot),
    },
    ...(rules.ops ? { ops: { ...optionalRobot(rules, rules.ops.robot), users: rules.ops.users } } : {}),
    calendar: rules.calendar,
    warnings,
  };
}

export type ChainFailureType = (typeof chainFailureTypes)[keyof typeof chainFailureTypes];

/**
 * resolveChain without throwing, for callers that treat "no approval needed / possible" as an outcome:
 * `{ applicable: false, type, reason }` carries the failure type and the Chinese explanation.
 */
export function tryResolveChain(
  rules: ChainRules,
  document: DocumentSummary,
): { applicable: true; plan: ChainPlan } | { applicable: false; type: ChainFailureType; reason: string } {
  try {
    return { applicable: true, plan: resolveChain(rules, document) };
  } catch (error) {
    if (error instanceof ApplicationFailure && isChainFailureType(error.type)) {
      return { applicable: false, type: error.type, reason: error.message };
    }
    throw error;
  }
}

function isChainFailureType(type: string | undefined | null): type is ChainFailureType {
  return Object.values(chainFailureTypes).some((known) => known === type);
}

/** How the outcome is written back to Kingdee for `formId`, and whom to tell afterwards. */
export function writeBackPlan(rules: Pick<ChainRules, 'forms' | 'robots'>, formId: string): WriteBackPlan {
  const form = rules.forms[formId];
  if (!form) throw formNotConfigured(formId);
  const plan = (followUps: typeof form.onApproved): PlannedFollowUp[] =>
    followUps.map((followUp) => ({ to: resolveTarget(rules, followUp.to), template: followUp.text }));
  return {
    approve: form.kingdeeWorkflow ? 'workflowAudit' : 'audit',
    reject: form.rejectOperation,
    followUps: { approved: plan(form.onApproved), rejected: plan(form.onRejected) },
  };
}

function planStep(rules: ChainRules, step: RuleStep, document: DocumentSummary): PlannedStep {
  const businessMs = (key: 'remindAfter' | 'remindEvery' | 'escalateAfter' | 'finalAfter') => {
    const text = step[key] ?? rules.defaults[key];
    return text === undefined ? undefined : businessDurationMs(text, rules.calendar);
  };
  const remindAfterMs = businessMs('remindAfter');
  const remindEveryMs = remindAfterMs !== undefined ? businessMs('remindEvery') : undefined;
  const escalateAfterMs = businessMs('escalateAfter');
  const finalAfterMs = businessMs('finalAfter');
  const finalAction = step.finalAction ?? rules.defaults.finalAction;
  let plannedFinal: PlannedFinalAction | undefined;
  if (finalAfterMs !== undefined && finalAction) {
    plannedFinal =
      finalAction.type === 'reject'
        ? finalAction
        : {
            type: 'notify',
            to: resolveTarget(rules, finalAction.to),
            ...(finalAction.text !== undefined ? { text: finalAction.text } : {}),
          };
  }
  return {
    id: step.id,
    name: step.name,
    mode: step.mode ?? rules.defaults.mode,
    approvers: step.approvers.map((approver) => planApprover(approver, document)),
    ...(remindAfterMs !== undefined ? { remindAfterMs } : {}),
    ...(remindEveryMs !== undefined ? { remindEveryMs } : {}),
    ...(escalateAfterMs !== undefined ? { escalateAfterMs } : {}),
    ...(plannedFinal ? { finalAfterMs, finalAction: plannedFinal } : {}),
    delegates: { ...rules.delegates, ...step.delegates },
  };
}

function planApprover(approver: RuleApprover, document: DocumentSummary): ApproverSpec {
  if (approver.kind !== 'kingdeeField') return approver;
  // Kingdee field keys are case-insensitive (FProposerID = FPROPOSERID).
  const wanted = approver.field.toLowerCase();
  const mobile = Object.entries(document.personMobiles).find(([key]) => key.toLowerCase() === wanted)?.[1];
  return mobile ? { ...approver, mobile } : { ...approver };
}

type Verdict = { applies: true; warning?: string } | { applies: false; reason: string; warning?: string };

/** All given conditions must hold. */
function evaluateCondition(step: RuleStep, document: DocumentSummary, formCurrency: string): Verdict {
  const when = step.when;
  if (!when) return { applies: true };
  const inList = (value: string | undefined, list: string[]) =>
    value !== undefined && list.some((name) => name.trim() === value.trim());
  if (when.org && !inList(document.orgName, when.org)) {
    return {
      applies: false,
      reason: document.orgName ? `组织「${document.orgName}」不在 ${when.org.join('、')} 中` : '单据没有组织信息',
    };
  }
  if (when.department && !inList(document.deptName, when.department)) {
    return {
      applies: false,
      reason: document.deptName
        ? `部门「${document.deptName}」不在 ${when.department.join('、')} 中`
        : '单据没有部门信息',
    };
  }
  if (when.amount) {
    if (document.currency.toUpperCase() !== formCurrency.toUpperCase()) {
      // Thresholds are written in the form's currency and the bridge has no exchange rates. Taking the step is the
      // safe side (one approval too many, never one too few); the warning lets a person check.
      return {
        applies: true,
        warning: `${document.billNo} 的币别是 ${document.currency}，金额条件按 ${formCurrency} 编写，无法比较：已保留「${step.name}」步骤`,
      };
    }
    const amount = document.amount;
    const money = (value: number) => formatMoney(value, formCurrency);
    const failed = [
      when.amount.gt !== undefined && !(amount > when.amount.gt) ? `> ${money(when.amount.gt)}` : undefined,
      when.amount.gte !== undefined && !(amount >= when.amount.gte) ? `≥ ${money(when.amount.gte)}` : undefined,
      when.amount.lt !== undefined && !(amount < when.amount.lt) ? `< ${money(when.amount.lt)}` : undefined,
      when.amount.lte !== undefined && !(amount <= when.amount.lte) ? `≤ ${money(when.amount.lte)}` : undefined,
    ].filter((text): text is string => text !== undefined);
    if (failed.length > 0) return { applies: false, reason: `金额 ${money(amount)} 不满足 ${failed.join(' 且 ')}` };
  }
  return { applies: true };
}

function resolveTarget(rules: Pick<ChainRules, 'robots'>, target: Target): ResolvedTarget {
  return {
    ...optionalRobot(rules, target.robot),
    users: [...target.users],
    applicant: target.applicant,
    approvers: target.approvers,
  };
}

function optionalRobot(rules: Pick<ChainRules, 'robots'>, name: string | undefined): { robot?: RobotTarget } {
  if (name === undefined) return {};
  const robot = rules.robots[name];
  if (!robot) {
    throw ApplicationFailure.create({
      type: chainFailureTypes.invalidRules,
      nonRetryable: true,
      message: `规则引用了未定义的机器人「${name}」：在 robots 下定义它`,
    });
  }
  return { robot: { name, ...robot } };
}

function formNotConfigured(formId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: chainFailureTypes.formNotConfigured,
    nonRetryable: true,
    message: `表单 ${formId} 不在规则文件的 forms 中：添加它（名称、是否走金蝶工作流、驳回操作）后重试`,
  });
}
