/**
 * The approval lifecycle of one Kingdee document, start to finish, as one durable workflow:
 *   plan (load the document, capture the rules) → for each step: deliver cards, wait for decisions, remind,
 *   escalate, final action → write back to Kingdee exactly once → update every card → tell the applicant and the
 *   people next in line.
 * Decisions arrive as the `decide` Update (cards: the caller gets an immediate answer) or the `decideAsync` Signal
 * (asynchronous channels). Their handlers check the decision against the rules (decisions.ts), may look up the name
 * of someone it brings in (转交, 加签: the describeUser activity, so the answer can name them), then apply it to the
 * state and log it. Every other side effect — cards for newcomers, card updates, notices, timers, the write-back —
 * happens in the main flow below, in order.
 *
 * A little over the ~500-line guide: what remains is the flow itself (plan, steps, write-back, needs-attention,
 * finish), which reads best in one place; the rules, cards and overview are already apart.
 */
import { ActivityFailure, ApplicationFailure, condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { addBusinessTime } from '../../domain/business-hours';
import type { ChainPlan, PlannedStep, ResolvedTarget } from '../../rules/plan';
import { appendEntry, type NewDecisionLogEntry } from '../../domain/decision-log';
import {
  adminUpdate,
  decideSignal,
  decideUpdate,
  documentChangedSignal,
  statusQuery,
  type AdminAction,
  type ApprovalWorkflowInput,
  type ApprovalStage,
  type ApprovalState,
  type DecisionInput,
  type DecisionResult,
  type DocumentChange,
  type StepState,
} from '../contract';
import * as texts from '../../domain/texts';
import * as approvalTexts from '../../domain/texts/approval';
import { isAwaitingApproval, isWithdrawn, type DocumentSummary } from '../../domain/document';
import { io, kingdee, notify } from './proxies';
import { ApprovalCards } from './cards';
import {
  applyDecision,
  bringInManager,
  createStep,
  currentStep,
  decisionSummaries,
  cardStateFor,
  isFinished,
  lastDecider,
  pendingSlots,
  refusalFor,
  rejectBySystem,
  unknownTarget,
  waitingOf,
  waitingUserIds,
} from './decisions';
import { publishOverview } from './overview';

export async function approvalWorkflow(input: ApprovalWorkflowInput): Promise<ApprovalState> {
  return new ApprovalRun(input).execute();
}

type Outcome = 'approved' | 'rejected';
type StepResult = Outcome | 'external';

class ApprovalRun {
  private readonly state: ApprovalState;
  private document?: DocumentSummary;
  private plan?: ChainPlan;
  /** Steps changed by handlers (or the final action) whose side effects the main flow has not done yet: a newcomer's
   * card, then updates of the step's cards. */
  private readonly unprocessed: Array<{ step: StepState; newcomer?: string }> = [];
  private externalChange?: DocumentChange;
  private adminAction?: AdminAction;
  private readonly cards: ApprovalCards;

  constructor(private readonly input: ApprovalWorkflowInput) {
    this.state = {
      workflowId: workflowInfo().workflowId,
      stage: 'starting',
      currentStepIndex: -1,
      steps: [],
      escalated: false,
      log: [],
    };
    this.cards = new ApprovalCards(this.state.workflowId);
  }

  async execute(): Promise<ApprovalState> {
    this.registerHandlers();
    if (!(await this.makePlan())) return this.state;

    let outcome: Outcome = 'approved';
    for (const [index, step] of this.mustPlan().steps.entries()) {
      const result = await this.runStep(index, step);
      if (result === 'external') return this.closeBecauseKingdeeChanged();
      if (result === 'rejected') {
        outcome = 'rejected';
        break;
      }
    }
    if (!(await this.writeBack(outcome))) return this.closeBecauseKingdeeChanged();
    await this.finish(outcome);
    return this.state;
  }

  /** Load the document and plan the chain; a plan the rules cannot make waits for an admin (retry after a fix). */
  private async makePlan(): Promise<boolean> {
    for (;;) {
      const result = await io.planApproval({ document: this.input.document });
      if (result.applicable === true) {
        this.document = result.document;
        this.plan = result.plan;
        this.state.document = result.document;
        this.record({
          actor: 'system',
          action: 'start',
          channel: 'system',
          comment: approvalTexts.chainPlanComment(
            result.plan.steps.map((s) => s.name),
            result.plan.skippedSteps,
          ),
        });
        publishOverview(this.state);
        return true;
      }
      if (result.applicable === false) {
        this.state.document = result.document;
        this.record({ actor: 'system', action: 'complete', channel: 'kingdee', comment: result.reason });
        this.setStage('not-applicable');
        return false;
      }
      this.document = result.document;
      this.state.document = result.document;
      await this.needsAttention(result.reason, result.type, approvalTexts.attentionActions.fixRules);
      if (this.externalChange) {
        this.setStage('closed-in-kingdee');
        return false;
      }
      if (this.takeAdminAction() === 'resolve') {
        this.setStage('not-applicable');
        return false;
      }
    }
  }

  // ── one step ──────────────────────────────────────────────────────────────────────────────────────────────

  private async runStep(index: number, planned: PlannedStep): Promise<StepResult> {
    const plan = this.mustPlan();
    const people = await io.resolveApprovers({ specs: planned.approvers, document: this.mustDocument() });
    const startedAtMs = Date.now();
    const step = createStep(planned, people, new Date(startedAtMs).toISOString());
    for (const delegate of step.slots.flatMap((slot) => slot.delegates)) await this.learnName(step, delegate);
    this.state.steps.push(step);
    this.state.currentStepIndex = index;
    this.setStage('awaiting-approval');
    await this.cards.deliver(this.mustDocument(), step, step.approvers);

    const calendar = plan.calendar;
    const at = (ms: number | undefined) => (ms === undefined ? undefined : addBusinessTime(startedAtMs, ms, calendar));
    let nextReminderAt = at(planned.remindAfterMs);
    const escalateAt = at(planned.escalateAfterMs);
    let finalAt = at(planned.finalAfterMs);

    for (;;) {
      await this.processDecisions();
      if (this.externalChange) return 'external';
      if (step.outcome) return step.outcome;

      const deadlines = [nextReminderAt, step.escalated ? undefined : escalateAt, finalAt];
      const next = Math.min(...deadlines.filter((t): t is number => t !== undefined));
      const somethingHappened = () => this.unprocessed.length > 0 || this.externalChange !== undefined;
      if (next === Infinity) {
        await condition(somethingHappened);
        continue;
      }
      if (await condition(somethingHappened, Math.max(next - Date.now(), 1))) continue;

      const now = Date.now();
      if (nextReminderAt !== undefined && now >= nextReminderAt) {
        await this.remind(step);
        nextReminderAt =
          planned.remindEveryMs !== undefined ? addBusinessTime(now, planned.remindEveryMs, calendar) : undefined;
      }
      if (escalateAt !== undefined && !step.escalated && now >= escalateAt) await this.escalate(step);
      if (finalAt !== undefined && now >= finalAt) {
        finalAt = undefined;
        await this.finalAction(step, planned);
      }
    }
  }

  private waiting(step: StepState): texts.Waiting {
    return waitingOf(step, Date.now(), this.mustPlan().calendar);
  }

  private async remind(step: StepState): Promise<void> {
    step.remindersSent += 1;
    const userIds = waitingUserIds(step);
    await notify.notifyUsers({
      userIds,
      notice: texts.reminder(this.mustDocument(), { ...this.waiting(step), count: step.remindersSent }),
    });
    this.record({ actor: 'system', action: 'remind', channel: 'timer', stepId: step.id, details: { userIds } });
  }

  /** Bring in each waiting approver's manager (they may decide on the approver's behalf) and tell the group. */
  private async escalate(step: StepState): Promise<void> {
    const plan = this.mustPlan();
    const document = this.mustDocument();
    step.escalated = true;
    this.state.escalated = true;
    const waiting = this.waiting(step);
    const managers: string[] = [];
    for (const slot of pendingSlots(step)) {
      const manager = await io.findManager({ userId: slot.assignee });
      if (bringInManager(step, slot, manager) && !managers.includes(manager!.userId)) managers.push(manager!.userId);
    }
    if (managers.length > 0) {
      await this.cards.deliver(document, step, managers);
      if (plan.escalation.notifyManager) {
        for (const manager of managers) {
          await notify.notifyUsers({
            userIds: [manager],
            notice: texts.escalationManagerNotice(document, {
              ...waiting,
              managerName: step.names[manager] ?? manager,
            }),
          });
        }
      }
    }
    if (plan.escalation.robot) {
      await notify.notifyGroup({
        robot: plan.escalation.robot,
        notice: texts.escalationNotice(document, { ...waiting, managers: managers.map((id) => step.names[id] ?? id) }),
      });
    }
    this.record({ actor: 'system', action: 'escalate', channel: 'timer', stepId: step.id, details: { managers } });
    publishOverview(this.state);
  }

  private async finalAction(step: StepState, planned: PlannedStep): Promise<void> {
    const final = planned.finalAction;
    if (!final) return;
    const waiting = this.waiting(step);
    if (final.type === 'reject') {
      const comment = texts.timeoutRejectComment(final.reason, waiting.waitedMs);
      this.record({ actor: 'system', action: 'finalAction', channel: 'timer', stepId: step.id, comment });
      rejectBySystem(step, comment, new Date().toISOString());
      this.unprocessed.push({ step });
      return;
    }
    this.record({
      actor: 'system',
      action: 'finalAction',
      channel: 'timer',
      stepId: step.id,
      comment: approvalTexts.overdueKeepWaitingComment,
    });
    await this.tell(final.to, texts.overdueNotice(this.mustDocument(), { ...waiting, text: final.text }));
  }

  // ── decisions ────────────────────────────────────────────────────────────────────────────────────────────

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.state);
    setHandler(decideUpdate, (decision: DecisionInput) => this.decide(decision), {
      validator: (decision: DecisionInput) => this.check(decision),
    });
    setHandler(decideSignal, async (decision: DecisionInput) => {
      try {
        this.check(decision);
        await this.decide(decision);
      } catch (err) {
        log.warn('ignored a decision signal', { decision, reason: err instanceof Error ? err.message : String(err) });
      }
    });
    setHandler(documentChangedSignal, (change: DocumentChange) => {
      const leftApproval = !isAwaitingApproval(change.status);
      if (leftApproval && !this.externalChange && !isFinished(this.state.stage)) this.externalChange = change;
    });
    setHandler(
      adminUpdate,
      (action: AdminAction) => {
        this.adminAction = action;
        return this.state.stage;
      },
      {
        validator: (action: AdminAction) => {
          if (this.state.stage !== 'needs-attention' || this.adminAction) {
            throw ApplicationFailure.create({
              type: 'AdminActionRefused',
              nonRetryable: true,
              message: approvalTexts.adminActionRefused(
                action.action,
                texts.stageLabels[this.state.stage] ?? this.state.stage,
              ),
            });
          }
        },
      },
    );
  }

  /** Synchronous, so it can reject an Update before anything is written to history. */
  private check(decision: DecisionInput): void {
    const kind = refusalFor(this.state, decision);
    if (kind) {
      throw ApplicationFailure.create({
        type: 'DecisionRefused',
        nonRetryable: true,
        message: texts.refusal(kind, this.state.document),
      });
    }
  }

  /** Someone brought in (转交, 加签) is named in the answer, so look them up first, then check again and apply. */
  private async decide(decision: DecisionInput): Promise<DecisionResult> {
    const target = unknownTarget(this.state, decision);
    if (target) {
      await this.learnName(currentStep(this.state)!, target);
      this.check(decision);
    }
    const { step, onBehalfOf, newcomer } = applyDecision(this.state, decision, new Date().toISOString());
    this.record({
      actor: decision.userId,
      action: decision.action,
      channel: decision.channel,
      stepId: step.id,
      ...(decision.comment ? { comment: decision.comment } : {}),
      ...(onBehalfOf ? { onBehalfOf } : {}),
      ...(decision.targetUserId ? { details: { target: decision.targetUserId } } : {}),
    });
    this.unprocessed.push({ step, ...(newcomer ? { newcomer } : {}) });
    publishOverview(this.state);
    const document = this.mustDocument();
    const card = this.cards.firstParams(document, step, decision.userId);
    return {
      accepted: true,
      stage: this.state.stage,
      cardParams: texts.cardWithState(card, cardStateFor(step, decision.userId), this.mustPlan().calendar),
      message: texts.decisionAnswer(document, {
        action: decision.action,
        targetName: decision.targetUserId ? step.names[decision.targetUserId] : undefined,
        targetUserId: decision.targetUserId,
      }),
    };
  }

  /** Side effects of recorded decisions: newcomers get cards, every other card shows the new state. */
  private async processDecisions(): Promise<void> {
    while (this.unprocessed.length > 0) {
      const { step, newcomer } = this.unprocessed.shift()!;
      if (newcomer) {
        await this.learnName(step, newcomer);
        await this.cards.deliver(this.mustDocument(), step, [newcomer]);
      }
      await this.cards.refresh(step, this.mustPlan().calendar);
    }
  }

  private async learnName(step: StepState, userId: string): Promise<void> {
    if (step.names[userId]) return;
    const person = await io.describeUser({ userId });
    step.names[userId] = person?.name ?? userId;
  }

  // ── outcome ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Exactly once: the activity checks Kingdee's state first and treats "already there" as success. */
  private async writeBack(outcome: Outcome): Promise<boolean> {
    const plan = this.mustPlan();
    this.setStage('writing-back');
    const comment = texts.kingdeeComment(decisionSummaries(this.state.steps), plan.calendar);
    const lastApprover = lastDecider(this.state.steps);
    for (;;) {
      try {
        const result = await kingdee.writeBack({
          document: this.mustDocument(),
          outcome,
          comment,
          operation: outcome === 'approved' ? plan.writeBack.approve : plan.writeBack.reject,
          actingUserId: lastApprover,
        });
        this.state.writeBack = {
          operation: result.operation,
          alreadyInState: result.alreadyInState,
          at: new Date().toISOString(),
        };
        this.record({
          actor: 'system',
          action: 'writeBack',
          channel: 'kingdee',
          comment,
          details: { operation: result.operation, alreadyInState: result.alreadyInState },
        });
        return true;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        await this.needsAttention(
          cause?.message ?? err.message,
          cause?.type ?? 'WriteBackFailed',
          approvalTexts.attentionActions.writeBackFailed,
        );
        if (this.externalChange) return false;
        if (this.takeAdminAction() === 'resolve') {
          this.state.writeBack = { operation: 'resolvedByAdmin', alreadyInState: false, at: new Date().toISOString() };
          return true;
        }
        this.setStage('writing-back');
      }
    }
  }

  /** Stop, tell ops, and wait for an admin (retry / resolve) or for the document to change in Kingdee. */
  private async needsAttention(reason: string, errorType: string, action: string): Promise<void> {
    const plan = this.plan;
    this.state.attention = { reason, errorType, since: new Date().toISOString() };
    this.setStage('needs-attention');
    this.record({
      actor: 'system',
      action: 'needsAttention',
      channel: 'system',
      comment: reason,
      details: { errorType },
    });
    const notice = texts.opsAlert(this.document, {
      workflowId: this.state.workflowId,
      reason,
      errorType,
      action,
      at: Date.now(),
      ...(plan ? { tz: plan.calendar } : {}),
    });
    await notify.notifyOps({ notice, ...(plan?.ops ? { ops: plan.ops } : {}) });
    await condition(() => this.adminAction !== undefined || this.externalChange !== undefined);
    this.state.attention = undefined;
  }

  private takeAdminAction(): AdminAction['action'] | undefined {
    const action = this.adminAction;
    this.adminAction = undefined;
    if (!action) return undefined;
    this.record({
      actor: action.by,
      action: action.action === 'retry' ? 'adminRetry' : 'adminResolve',
      channel: 'admin',
      ...(action.comment ? { comment: action.comment } : {}),
    });
    return action.action;
  }

  private async finish(outcome: Outcome): Promise<void> {
    const plan = this.mustPlan();
    const document = this.mustDocument();
    await this.cards.refreshAll(this.state.steps, plan.calendar);
    const decisions = decisionSummaries(this.state.steps);
    const applicant = await io.findApplicant({ document });
    if (applicant) {
      await notify.notifyUsers({
        userIds: [applicant.userId],
        notice: texts.applicantNotice(document, { outcome, decisions, tz: plan.calendar }),
      });
    }
    const followUps = outcome === 'approved' ? plan.writeBack.followUps.approved : plan.writeBack.followUps.rejected;
    for (const followUp of followUps) {
      const notice = texts.followUpNotice(document, {
        template: followUp.template,
        outcome,
        decisions,
        tz: plan.calendar,
      });
      await this.tell(followUp.to, notice, applicant?.userId);
    }
    this.record({
      actor: 'system',
      action: 'complete',
      channel: 'system',
      comment: texts.stageLabels[outcome] ?? outcome,
    }); // Last: "approved"/"rejected" means everything, notices included, is done.
    this.setStage(outcome);
  }

  /** Deliver a notice to a rules-file target: its robot and/or people. */
  private async tell(target: ResolvedTarget, notice: texts.Notice, applicantUserId?: string): Promise<void> {
    if (target.robot) await notify.notifyGroup({ robot: target.robot, notice });
    const userIds = new Set(target.users);
    if (target.applicant && applicantUserId) userIds.add(applicantUserId);
    if (target.approvers) for (const step of this.state.steps) for (const id of step.approvers) userIds.add(id);
    if (userIds.size > 0) await notify.notifyUsers({ userIds: [...userIds], notice });
    this.record({
      actor: 'system',
      action: 'notify',
      channel: target.robot ? 'robot' : 'workNotice',
      comment: notice.title,
    });
  }

  private async closeBecauseKingdeeChanged(): Promise<ApprovalState> {
    const change = this.externalChange;
    const status = change?.status ?? 'deleted';
    this.record({
      actor: 'system',
      action: 'externalChange',
      channel: 'kingdee',
      comment: approvalTexts.kingdeeStatusComment(status),
      details: { source: change?.source ?? 'poll' },
    });
    this.setStage('closed-in-kingdee');
    const state: texts.CardState = {
      status: 'closed',
      reason: isWithdrawn(status) ? 'withdrawn' : 'handledInKingdee',
      kingdeeStatus: status,
    };
    const tz = this.plan?.calendar;
    if (tz) await this.cards.showEverywhere(state, tz);
    return this.state;
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────────────────────

  private record(entry: Omit<NewDecisionLogEntry, 'at'>): void {
    this.state.log = appendEntry(this.state.log, { ...entry, at: Date.now() });
  }

  private setStage(stage: ApprovalStage): void {
    this.state.stage = stage;
    publishOverview(this.state);
  }

  private mustPlan(): ChainPlan {
    if (!this.plan) throw ApplicationFailure.nonRetryable('the approval has no plan yet', 'InternalError');
    return this.plan;
  }

  private mustDocument(): DocumentSummary {
    if (!this.document) throw ApplicationFailure.nonRetryable('the approval has no document yet', 'InternalError');
    return this.document;
  }
}
