/**
 * The approval lifecycle of one Kingdee document, start to finish, as one durable workflow:
 *   plan (load the document, capture the rules) → for each step: deliver cards, wait for decisions, remind,
 *   escalate, final action → write back to Kingdee exactly once → update every card → tell the applicant and the
 *   people next in line.
 * Decisions arrive as the `decide` Update (cards: the caller gets an immediate answer) or the `decideAsync` Signal
 * (asynchronous channels). Handlers only record; the main flow below does every side effect, in order.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { addBusinessTime, businessTimeBetween } from '../../domain/business-hours';
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
  type ApprovalSlot,
  type ApprovalStage,
  type ApprovalState,
  type DecisionInput,
  type DecisionResult,
  type DocumentChange,
  type StepState,
} from '../contract';
import * as messages from '../../domain/texts';
import {
  Applicant,
  ApprovalStage as ApprovalStageKey,
  Approvers,
  Escalated,
  KingdeeAmount,
  KingdeeBillNo,
  KingdeeFormId,
} from '../search-attributes';
import { describeStatus, isAwaitingApproval, isWithdrawn, type DocumentSummary } from '../../domain/document';

type Activities = ReturnType<typeof createActivities>;

/** Reads, lookups and idempotent card calls: retried freely. */
const io = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** Sends without an idempotency key: the activity itself refuses to retry a send whose outcome is unknown. */
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});
/** The write-back: bounded, so a document that stays locked for long ends in needs-attention, never silently. */
const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
});

export async function approvalWorkflow(input: ApprovalWorkflowInput): Promise<ApprovalState> {
  return new ApprovalRun(input).execute();
}

type Outcome = 'approved' | 'rejected';
type StepResult = Outcome | 'external';

interface SentCard {
  outTrackId: string;
  userId: string;
  stepId: string;
  /** The card as first delivered; later states are this plus a status and result. */
  params: messages.CardParamMap;
  /** The status the card shows now, so unchanged cards are not updated again. */
  shown: string;
}

class ApprovalRun {
  private readonly state: ApprovalState;
  private document?: DocumentSummary;
  private plan?: ChainPlan;
  /** Decisions recorded by handlers whose side effects (cards) the main flow has not done yet. */
  private readonly unprocessed: Array<{ decision: DecisionInput; step: StepState }> = [];
  private externalChange?: DocumentChange;
  private adminAction?: AdminAction;
  private readonly cards: SentCard[] = [];

  constructor(private readonly input: ApprovalWorkflowInput) {
    this.state = {
      workflowId: workflowInfo().workflowId,
      stage: 'starting',
      currentStepIndex: -1,
      steps: [],
      escalated: false,
      log: [],
    };
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
        const skipped = result.plan.skippedSteps.map((s) => `${s.name}：${s.reason}`).join('；');
        this.record({
          actor: 'system',
          action: 'start',
          channel: 'system',
          comment: `审批链：${result.plan.steps.map((s) => s.name).join(' → ')}${skipped ? `（跳过 ${skipped}）` : ''}`,
        });
        this.publishOverview();
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
      await this.needsAttention(result.reason, result.type, '修改规则文件并重启服务后，在管理页面选择“重试”');
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
    const step: StepState = {
      id: planned.id,
      name: planned.name,
      mode: planned.mode,
      slots: people.map((p) => ({
        assignee: p.userId,
        delegates: planned.delegates[p.userId] ? [planned.delegates[p.userId]!] : [],
      })),
      approvers: [],
      names: Object.fromEntries(people.map((p) => [p.userId, p.name])),
      approvedBy: [],
      startedAt: new Date(startedAtMs).toISOString(),
      remindersSent: 0,
      escalated: false,
    };
    step.approvers = step.slots.flatMap((slot) => [slot.assignee, ...slot.delegates]);
    for (const delegate of step.slots.flatMap((slot) => slot.delegates)) await this.learnName(step, delegate);
    this.state.steps.push(step);
    this.state.currentStepIndex = index;
    this.setStage('awaiting-approval');
    await this.deliverCards(step, step.approvers);

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

  private pendingSlots(step: StepState): ApprovalSlot[] {
    return step.slots.filter((slot) => !slot.decision);
  }

  private waiting(step: StepState): messages.Waiting {
    return {
      stepName: step.name,
      waitingFor: this.pendingSlots(step).map((slot) => step.names[slot.assignee] ?? slot.assignee),
      waitedMs: businessTimeBetween(Date.parse(step.startedAt), Date.now(), this.mustPlan().calendar),
    };
  }

  private async remind(step: StepState): Promise<void> {
    step.remindersSent += 1;
    const userIds = this.pendingSlots(step).flatMap((slot) => [slot.assignee, ...slot.delegates]);
    await notify.notifyUsers({
      userIds,
      notice: messages.reminder(this.mustDocument(), { ...this.waiting(step), count: step.remindersSent }),
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
    for (const slot of this.pendingSlots(step)) {
      const manager = await io.findManager({ userId: slot.assignee });
      if (!manager || manager.userId === slot.assignee || slot.delegates.includes(manager.userId)) continue;
      slot.delegates.push(manager.userId);
      step.names[manager.userId] = manager.name;
      if (!step.approvers.includes(manager.userId)) step.approvers.push(manager.userId);
      if (!managers.includes(manager.userId)) managers.push(manager.userId);
    }
    if (managers.length > 0) {
      await this.deliverCards(step, managers);
      if (plan.escalation.notifyManager) {
        for (const manager of managers) {
          await notify.notifyUsers({
            userIds: [manager],
            notice: messages.escalationManagerNotice(document, {
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
        notice: messages.escalationNotice(document, {
          ...waiting,
          managers: managers.map((id) => step.names[id] ?? id),
        }),
      });
    }
    this.record({ actor: 'system', action: 'escalate', channel: 'timer', stepId: step.id, details: { managers } });
    this.publishOverview();
  }

  private async finalAction(step: StepState, planned: PlannedStep): Promise<void> {
    const final = planned.finalAction;
    if (!final) return;
    const waiting = this.waiting(step);
    if (final.type === 'reject') {
      const comment = messages.timeoutRejectComment(final.reason, waiting.waitedMs);
      this.record({ actor: 'system', action: 'finalAction', channel: 'timer', stepId: step.id, comment });
      step.rejectReason = comment;
      this.decideStep(step, 'rejected', new Date().toISOString());
      this.unprocessed.push({ decision: { userId: 'system', action: 'reject', comment, channel: 'api' }, step });
      return;
    }
    this.record({
      actor: 'system',
      action: 'finalAction',
      channel: 'timer',
      stepId: step.id,
      comment: '超时通知，继续等待',
    });
    await this.tell(final.to, messages.overdueNotice(this.mustDocument(), { ...waiting, text: final.text }));
  }

  // ── decisions ────────────────────────────────────────────────────────────────────────────────────────────

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.state);
    setHandler(decideUpdate, (decision: DecisionInput) => this.decide(decision), {
      validator: (decision: DecisionInput) => this.validateDecision(decision),
    });
    setHandler(decideSignal, async (decision: DecisionInput) => {
      try {
        this.validateDecision(decision);
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
              message: `只有“需人工处理”的单据可以${action.action === 'retry' ? '重试' : '标记为已处理'}，当前状态：${messages.stageLabels[this.state.stage] ?? this.state.stage}`,
            });
          }
        },
      },
    );
  }

  /** Synchronous, so it can reject an Update before anything is written to history. */
  private validateDecision(decision: DecisionInput): void {
    const refuse = (kind: messages.RefusalKind): never => {
      throw ApplicationFailure.create({
        type: 'DecisionRefused',
        nonRetryable: true,
        message: messages.refusal(kind, this.state.document),
      });
    };
    const step = this.state.steps[this.state.currentStepIndex];
    const mine =
      step?.slots.filter((slot) => slot.assignee === decision.userId || slot.delegates.includes(decision.userId)) ?? [];
    if (this.state.stage !== 'awaiting-approval' || !step || step.outcome) {
      // A repeated click after the step was decided by this very person: tell them it is done, not "not yours".
      const decidedByMe = this.state.steps.some((s) => s.slots.some((slot) => slot.decision?.by === decision.userId));
      return refuse(decidedByMe ? 'alreadyDecided' : 'notAwaiting');
    }
    if (decision.stepId !== undefined && decision.stepId !== step.id) refuse('staleCard');
    if (mine.length === 0) refuse('notApprover');
    if (mine.every((slot) => slot.decision)) refuse('alreadyDecided');
    if (decision.action === 'reject' && !decision.comment?.trim()) refuse('commentRequired');
    if (decision.action === 'transfer' || decision.action === 'addApprover') {
      if (!decision.targetUserId) refuse('targetRequired');
      if (decision.targetUserId === decision.userId) refuse('targetIsSelf');
    }
  }

  /** Someone brought in (转交, 加签) is named in the answer, so look them up first, then check again and apply. */
  private async decide(decision: DecisionInput): Promise<DecisionResult> {
    const target = decision.targetUserId;
    const step = this.state.steps[this.state.currentStepIndex];
    if (target && step && !step.names[target]) {
      await this.learnName(step, target);
      this.validateDecision(decision);
    }
    return this.applyDecision(decision);
  }

  private applyDecision(decision: DecisionInput): DecisionResult {
    const step = this.state.steps[this.state.currentStepIndex]!;
    const at = new Date().toISOString();
    const slot = step.slots.find(
      (s) => !s.decision && (s.assignee === decision.userId || s.delegates.includes(decision.userId)),
    )!;
    const onBehalfOf = slot.assignee !== decision.userId ? slot.assignee : undefined;
    switch (decision.action) {
      case 'approve':
        slot.decision = { by: decision.userId, action: 'approve', at, comment: decision.comment };
        step.approvedBy.push(decision.userId);
        if (step.mode === 'any' || this.pendingSlots(step).length === 0) this.decideStep(step, 'approved', at);
        break;
      case 'reject':
        slot.decision = { by: decision.userId, action: 'reject', at, comment: decision.comment };
        step.rejectReason = decision.comment;
        this.decideStep(step, 'rejected', at);
        break;
      case 'transfer':
        slot.transferredFrom = [...(slot.transferredFrom ?? []), decision.userId];
        slot.transferredAt = at;
        slot.assignee = decision.targetUserId!;
        slot.delegates = slot.delegates.filter((d) => d !== decision.userId);
        if (!step.approvers.includes(slot.assignee)) step.approvers.push(slot.assignee);
        break;
      case 'addApprover':
        step.slots.push({ assignee: decision.targetUserId!, delegates: [], addedBy: decision.userId });
        if (!step.approvers.includes(decision.targetUserId!)) step.approvers.push(decision.targetUserId!);
        break;
    }
    this.record({
      actor: decision.userId,
      action: decision.action,
      channel: decision.channel,
      stepId: step.id,
      ...(decision.comment ? { comment: decision.comment } : {}),
      ...(onBehalfOf ? { onBehalfOf } : {}),
      ...(decision.targetUserId ? { details: { target: decision.targetUserId } } : {}),
    });
    this.unprocessed.push({ decision, step });
    this.publishOverview();
    const card = this.cards.find((c) => c.stepId === step.id && c.userId === decision.userId);
    const document = this.mustDocument();
    const base =
      card?.params ??
      messages.approvalCard(document, { stepId: step.id, stepName: step.name, workflowId: this.state.workflowId });
    return {
      accepted: true,
      stage: this.state.stage,
      cardParams: messages.cardWithState(base, this.cardStateFor(step, decision.userId), this.mustPlan().calendar),
      message: messages.decisionAnswer(document, {
        action: decision.action,
        targetName: decision.targetUserId ? step.names[decision.targetUserId] : undefined,
        targetUserId: decision.targetUserId,
      }),
    };
  }

  private decideStep(step: StepState, outcome: Outcome, at: string): void {
    step.outcome = outcome;
    step.decidedAt = at;
  }

  /** Side effects of recorded decisions: newcomers get cards, every other card shows the new state. */
  private async processDecisions(): Promise<void> {
    while (this.unprocessed.length > 0) {
      const { decision, step } = this.unprocessed.shift()!;
      if ((decision.action === 'transfer' || decision.action === 'addApprover') && decision.targetUserId) {
        await this.learnName(step, decision.targetUserId);
        await this.deliverCards(step, [decision.targetUserId]);
      }
      await this.refreshCards(step);
    }
  }

  private async learnName(step: StepState, userId: string): Promise<void> {
    if (step.names[userId]) return;
    const person = await io.describeUser({ userId });
    step.names[userId] = person?.name ?? userId;
  }

  // ── cards ────────────────────────────────────────────────────────────────────────────────────────────────

  /** What a person's card on this step shows now. */
  private cardStateFor(step: StepState, userId: string): messages.CardState {
    const name = (id: string) => step.names[id] ?? id;
    const decided = step.slots.map((slot) => slot.decision).filter((d) => d !== undefined);
    const rejection = decided.find((d) => d.action === 'reject');
    if (rejection)
      return { status: 'rejected', byName: name(rejection.by), at: rejection.at, comment: rejection.comment };
    if (step.outcome === 'rejected') {
      return { status: 'rejected', byName: '系统', at: step.decidedAt ?? step.startedAt, comment: step.rejectReason };
    }
    const handedOn = step.slots.find((slot) => slot.transferredFrom?.includes(userId));
    if (handedOn && handedOn.assignee !== userId && !handedOn.delegates.includes(userId)) {
      return {
        status: 'transferred',
        byName: name(userId),
        toName: name(handedOn.assignee),
        at: handedOn.transferredAt ?? step.startedAt,
      };
    }
    const myDecision = step.slots.find((slot) => slot.decision?.by === userId)?.decision;
    if (myDecision)
      return { status: 'approved', byName: name(myDecision.by), at: myDecision.at, comment: myDecision.comment };
    if (step.outcome === 'approved') {
      const last = decided[decided.length - 1]!;
      return { status: 'approved', byName: name(last.by), at: last.at, comment: last.comment };
    }
    return { status: 'pending' };
  }

  private async deliverCards(step: StepState, userIds: string[]): Promise<void> {
    const params = messages.approvalCard(this.mustDocument(), {
      stepId: step.id,
      stepName: step.name,
      workflowId: this.state.workflowId,
    });
    const delivered = await io.deliverApprovalCards({
      workflowId: this.state.workflowId,
      stepId: step.id,
      userIds,
      cardParams: params,
    });
    for (const card of delivered) {
      if (!this.cards.some((c) => c.outTrackId === card.outTrackId)) {
        this.cards.push({ ...card, stepId: step.id, params, shown: 'pending' });
      }
    }
  }

  /** Every card of the step shows the step's current state (the clicker's card already got it in the callback). */
  private async refreshCards(step: StepState): Promise<void> {
    const tz = this.mustPlan().calendar;
    await this.updateCards(
      this.cards.filter((card) => card.stepId === step.id),
      (card) => messages.cardWithState(card.params, this.cardStateFor(step, card.userId), tz),
    );
  }

  private async updateCards(cards: SentCard[], paramsFor: (card: SentCard) => messages.CardParamMap): Promise<void> {
    const updates: Array<{ outTrackId: string; cardParams: Record<string, string> }> = [];
    for (const card of cards) {
      const params = paramsFor(card);
      const shown = `${params.status}|${params.result}`;
      if (shown === card.shown) continue;
      card.shown = shown;
      updates.push({ outTrackId: card.outTrackId, cardParams: params });
    }
    if (updates.length > 0) await io.updateApprovalCards({ updates });
  }

  // ── outcome ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Exactly once: the activity checks Kingdee's state first and treats "already there" as success. */
  private async writeBack(outcome: Outcome): Promise<boolean> {
    const plan = this.mustPlan();
    this.setStage('writing-back');
    const decisions = this.decisionSummaries();
    const comment = messages.kingdeeComment(decisions, plan.calendar);
    const lastApprover = [...this.state.steps]
      .reverse()
      .flatMap((s) => s.slots)
      .find((s) => s.decision)?.decision?.by;
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
          '排除原因后在管理页面选择“重试”，或在金蝶中处理后选择“标记为已处理”',
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
    const notice = messages.opsAlert(this.document, {
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
    const byStep = new Map(this.state.steps.map((s) => [s.id, s]));
    await this.updateCards(this.cards, (card) => {
      const step = byStep.get(card.stepId)!;
      return messages.cardWithState(card.params, this.cardStateFor(step, card.userId), plan.calendar);
    });
    const decisions = this.decisionSummaries();
    const applicant = await io.findApplicant({ document });
    if (applicant) {
      await notify.notifyUsers({
        userIds: [applicant.userId],
        notice: messages.applicantNotice(document, { outcome, decisions, tz: plan.calendar }),
      });
    }
    const followUps = outcome === 'approved' ? plan.writeBack.followUps.approved : plan.writeBack.followUps.rejected;
    for (const followUp of followUps) {
      const notice = messages.followUpNotice(document, {
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
      comment: messages.stageLabels[outcome] ?? outcome,
    }); // Last: "approved"/"rejected" means everything, notices included, is done.
    this.setStage(outcome);
  }

  /** Deliver a notice to a rules-file target: its robot and/or people. */
  private async tell(target: ResolvedTarget, notice: messages.Notice, applicantUserId?: string): Promise<void> {
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
      comment: `金蝶状态：${describeStatus(status)}`,
      details: { source: change?.source ?? 'poll' },
    });
    this.setStage('closed-in-kingdee');
    const withdrawn = isWithdrawn(status);
    const state: messages.CardState = {
      status: 'closed',
      reason: withdrawn ? 'withdrawn' : 'handledInKingdee',
      kingdeeStatus: status,
    };
    const tz = this.plan?.calendar;
    if (tz) await this.updateCards(this.cards, (card) => messages.cardWithState(card.params, state, tz));
    return this.state;
  }

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────────────────────

  private record(entry: Omit<NewDecisionLogEntry, 'at'>): void {
    this.state.log = appendEntry(this.state.log, { ...entry, at: Date.now() });
  }

  /** Every decision as people read it, including a rejection made by the final action (系统). */
  private decisionSummaries(): messages.DecisionSummary[] {
    const automatic = this.state.steps.flatMap((step) =>
      step.outcome === 'rejected' && !step.slots.some((slot) => slot.decision?.action === 'reject')
        ? [
            {
              name: '系统',
              action: 'reject' as const,
              at: step.decidedAt ?? step.startedAt,
              ...(step.rejectReason ? { comment: step.rejectReason } : {}),
            },
          ]
        : [],
    );
    return this.state.steps
      .flatMap((step) =>
        step.slots.flatMap((slot) =>
          slot.decision
            ? [
                {
                  name: step.names[slot.decision.by] ?? slot.decision.by,
                  action: slot.decision.action,
                  at: slot.decision.at,
                  ...(slot.decision.comment ? { comment: slot.decision.comment } : {}),
                  ...(slot.decision.by !== slot.assignee
                    ? { onBehalfOf: step.names[slot.assignee] ?? slot.assignee }
                    : {}),
                },
              ]
            : [],
        ),
      )
      .concat(automatic)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  private setStage(stage: ApprovalStage): void {
    this.state.stage = stage;
    this.publishOverview();
  }

  /** Search attributes, memo and the Web UI's current details, kept in step with the state. */
  private publishOverview(): void {
    const document = this.state.document;
    const step = this.state.steps[this.state.currentStepIndex];
    const waiting = step && this.state.stage === 'awaiting-approval' && !step.outcome ? this.pendingSlots(step) : [];
    upsertSearchAttributes([
      { key: ApprovalStageKey, value: this.state.stage },
      { key: Approvers, value: waiting.flatMap((s) => [s.assignee, ...s.delegates]) },
      { key: Escalated, value: this.state.escalated },
      ...(document
        ? [
            { key: KingdeeFormId, value: document.formId },
            { key: KingdeeBillNo, value: document.billNo },
            { key: KingdeeAmount, value: document.amount },
            { key: Applicant, value: document.applicant.name },
          ]
        : []),
    ]);
    if (document) {
      upsertMemo({ summary: messages.summaryLine(document) });
      setCurrentDetails(
        messages.currentDetails(document, {
          stage: this.state.stage,
          stepName: step?.name,
          waitingFor: waiting.map((s) => step?.names[s.assignee] ?? s.assignee),
          escalated: this.state.escalated,
        }),
      );
    }
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

function isFinished(stage: ApprovalStage): boolean {
  return ['approved', 'rejected', 'closed-in-kingdee', 'not-applicable'].includes(stage);
}
