/**
 * From the rules file to the plan one approval follows: which steps apply to this document (conditions on
 * organisation, department and amount evaluated), who approves each step (still abstract — an activity turns
 * "the applicant's manager" or "the person in FProposerID" into DingTalk userIds), the timeouts in business
 * milliseconds, what to write back to Kingdee, and whom to tell afterwards.
 *
 * Pure and deterministic (runs inside the workflow sandbox). Rules edits must never change a running approval, so
 * a workflow captures `snapshotRules(rules, formId)` once at start (e.g. as input or from a local activity) and
 * plans from that snapshot; `resolveChain` accepts a snapshot or the full rules alike. The explanations (why a step
 * was skipped, what to fix in the rules file) are worded in domain/texts/planning.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Calendar, FinalAction, RejectOperation, Robot, RuleApprover, Rules, RuleStep, Target } from '.';
import { businessDurationMs } from '../domain/business-hours';
import { canonicalJson, sha256Hex } from '../domain/decision-log';
import {
  currencyMismatchWarning,
  formNotConfiguredMessage,
  noApplicableStepMessage,
  noChainMessage,
  stepSkipReasons,
  unknownRobotMessage,
  type AmountBound,
} from '../domain/texts/planning';
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
> &
  // Absent from snapshots taken before the rules had it.
  Partial<Pick<Rules, 'todos'>>;

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
  /** The approvers' 待办 (rules `todos`); absent in plans made before it existed: enabled, with the card. */
  todos?: { enabled: boolean; afterMs: number };
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
    ...(rules.todos ? { todos: rules.todos } : {}),
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
      message: noChainMessage(form.name, document.formId),
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
      message: noApplicableStepMessage(form.name, document.billNo, skippedSteps),
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
    ...(rules.todos ? { todos: { enabled: rules.todos.enabled, afterMs: rules.todos.after } } : {}),
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
    return { applies: false, reason: stepSkipReasons.org(document.orgName, when.org) };
  }
  if (when.department && !inList(document.deptName, when.department)) {
    return { applies: false, reason: stepSkipReasons.department(document.deptName, when.department) };
  }
  if (when.amount) {
    if (document.currency.toUpperCase() !== formCurrency.toUpperCase()) {
      // Thresholds are written in the form's currency and the bridge has no exchange rates. Taking the step is the
      // safe side (one approval too many, never one too few); the warning lets a person check.
      return {
        applies: true,
        warning: currencyMismatchWarning({
          billNo: document.billNo,
          currency: document.currency,
          formCurrency,
          stepName: step.name,
        }),
      };
    }
    const amount = document.amount;
    const { gt, gte, lt, lte } = when.amount;
    const failed: AmountBound[] = [
      ...(gt !== undefined && !(amount > gt) ? [{ op: '>', value: gt } as const] : []),
      ...(gte !== undefined && !(amount >= gte) ? [{ op: '≥', value: gte } as const] : []),
      ...(lt !== undefined && !(amount < lt) ? [{ op: '<', value: lt } as const] : []),
      ...(lte !== undefined && !(amount <= lte) ? [{ op: '≤', value: lte } as const] : []),
    ];
    if (failed.length > 0) return { applies: false, reason: stepSkipReasons.amount(amount, formCurrency, failed) };
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
      message: unknownRobotMessage(name),
    });
  }
  return { robot: { name, ...robot } };
}

function formNotConfigured(formId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: chainFailureTypes.formNotConfigured,
    nonRetryable: true,
    message: formNotConfiguredMessage(formId),
  });
}
