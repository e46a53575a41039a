/**
 * The approval lifecycle of one Kingdee document, start to finish, as one durable workflow, in phases:
 *   plan (load the document, capture the rules) → approval, one step at a time (deliver cards, wait for decisions,
 *   remind, escalate, final action) → write back to Kingdee exactly once → finish (update every card, tell the
 *   applicant and the people next in line) — or close, when the document leaves approval in Kingdee.
 * Decisions arrive as the `decide` Update (cards: the caller gets an immediate answer) or the `decideAsync` Signal
 * (asynchronous channels). Their handlers check the decision against the rules (decisions.ts), may look up the name
 * of someone it brings in (转交, 加签: the describeUser activity, so the answer can name them), then apply it to the
 * state and log it. Every other side effect — cards for newcomers, card updates, notices, timers, the write-back —
 * happens in the main flow below, in order.
 *
 * The failure policy (docs/failure-policy.md): the workflow never fails. Whatever a phase cannot get past — an
 * activity that failed for good, a rules problem, a write-back Kingdee refuses, an unexpected exception in this code
 * — parks the approval in needs-attention (reason in Chinese, ops told once per entry) until an administrator
 * retries (the phase runs again, resuming where it stopped) or resolves it (it ends cleanly), or the document
 * changes in Kingdee. Cancellation and continue-as-new always pass through.
 *
 * Over the ~500-line guide: what remains is the flow itself — resumable phases, the decision handlers, parking in
 * needs-attention — which reads best in one place; the decision rules (decisions.ts), cards, notices, the failure
 * classification and ops alert (attention.ts), texts and overview are apart.
 *
 * Longer than the ~500-line guide: the flow and its side effects in phases (plan, steps, write-back, attention,
 * finish, close). Rules, cards, overview, notices, attention and 待办 are already apart; the step loop with its
 * timers is the next piece to move out.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { addBusinessTime } from '../../domain/business-hours';
import type { ChainPlan, PlannedStep } from '../../rules/plan';
import { appendEntry, type NewDecisionLogEntry } from '../../domain/decision-log';
import {
  adminUpdate,
  cardAnsweredSignal,
  decideSignal,
  decideUpdate,
  documentChangedSignal,
  markUrgentSignal,
  statusQuery,
  type AdminAction,
  type ApprovalWorkflowInput,
  type ApprovalStage,
  type ApprovalState,
  type AttentionContact,
  type CardAnswered,
  type DecisionInput,
  type DecisionResult,
  type DocumentChange,
  type MarkUrgentInput,
  type Person,
  type StepState,
  type UrgencyPlan,
} from '../contract';
import type { CardField } from '../../domain/texts/cards';
import * as texts from '../../domain/texts';
import * as approvalTexts from '../../domain/texts/approval';
import { isAwaitingApproval, isWithdrawn, type DocumentStatus, type DocumentSummary } from '../../domain/document';
import {
  alertOps,
  attentionFor,
  attentionPhase,
  describeError,
  NeedsAttention,
  passesThrough,
  type Phase,
} from './attention';
import { ApprovalNotices } from './notices';
import { ApprovalPatches, approvalPatches } from './patches';
import { inline, io, kingdee, notify } from './proxies';
import { ApprovalCards } from './cards';
import { ApprovalTodos } from './todos';
import {
  applyDecision,
  bringInManager,
  createStep,
  currentStep,
  decisionSummaries,
  cardStateFor,
  closedBy,
  isFinished,
  lastDecider,
  pendingSlots,
  refusalFor,
  rejectBySystem,
  unknownTarget,
  waitingOf,
  waitingUserIds,
  settledCardState,
} from './decisions';
import { OverviewPublisher } from './overview';

export async function approvalWorkflow(input: ApprovalWorkflowInput): Promise<ApprovalState> {
  return new ApprovalRun(input).execute();
}

type Outcome = 'approved' | 'rejected';
/** A side effect and the task a needs-attention entry names when it fails. */
type TaskEffect = [task: string, effect: () => Promise<void>];
type StepResult = Outcome | 'external';

/** The ApplicationFailure types an approval's own answers carry (the API shows their message). */
const refusedType = 'DecisionRefused';
const decisionFailedType = 'DecisionFailed';

class ApprovalRun {
  private readonly state: ApprovalState;
  private document?: DocumentSummary;
  private plan?: ChainPlan;
  private phase: Phase = { name: 'plan' };
  /** Decisions applied by handlers whose side effects the main flow has not done yet: a newcomer's card, then
   * updates of the step's cards. An entry leaves the queue only once its side effects are done. */
  private readonly unprocessed: Array<{ step: StepState; newcomer?: string }> = [];
  private externalChange?: DocumentChange;
  private adminAction?: AdminAction;
  /** Which code paths this run takes (patches.ts). */
  private readonly patches: ApprovalPatches;
  private readonly cards: ApprovalCards;
  private readonly todos: ApprovalTodos;
  /** Search attributes, memo and current details (overview.ts). */
  private readonly overview: OverviewPublisher;
  /** The settling decision's 待办 close together with the write-back (approvalPatches.todosWithWriteBack). */
  private readonly todosWithWriteBack: boolean;
  /** A step's 待办 are created beside its decisions (approvalPatches.todosBesideDecisions). */
  private readonly todosBesideDecisions: boolean;
  /** planApproval and resolveApprovers as local activities (approvalPatches.planInline). */
  private readonly planInline: boolean;
  /** The write-back's refresh left answered cards to the API's confirmation (cardAnswersPatch); finish awaits it. */
  private answersDeferred = false;
  /** Per step: when it escalates (the 待办's due time). */
  private readonly escalateAts = new Map<string, number | undefined>();
  /** Whom to alert and where to act, from the plan activity; planAnswered false: it never answered. */
  private contact?: AttentionContact;
  private planAnswered = false;
  /** What the main flow is doing, for the reason of a needs-attention entry. */
  private task: string = approvalTexts.attentionTasks.plan;
  /** An unexpected exception in a decision handler, raised in the main flow (so it parks the approval). */
  private fault?: unknown;
  /** Notices, and which side effects are done (so a retried phase does not repeat them). */
  private readonly notices: ApprovalNotices;
  /** Per step: the next reminder and the final action's time (undefined: none left). */
  private readonly timers = new Map<string, { nextReminderAt?: number; finalAt?: number }>();
  /** Per step: the managers escalation brought in. */
  private readonly escalated = new Map<string, string[]>();
  /** What the form's cards show (rules `card.fields`; undefined: the form's default). */
  private cardFields?: CardField[];
  /** The urgent schedule, and whether the document was urgent when planned (rules `urgency`). */
  private urgency?: UrgencyPlan;
  /** A markUrgent request the main flow has not handled yet. */
  private urgentRequest?: MarkUrgentInput;
  /** The first step's approvers as planning found them (approvalPatches.planWithApprovers), until the step takes them. */
  private firstApprovers?: Person[];

  constructor(private readonly input: ApprovalWorkflowInput) {
    this.state = {
      workflowId: workflowInfo().workflowId,
      stage: 'starting',
      currentStepIndex: -1,
      steps: [],
      escalated: false,
      log: [],
    };
    this.patches = new ApprovalPatches();
    const round = this.patches.has(approvalPatches.cardPerRound) ? workflowInfo().firstExecutionRunId : undefined;
    this.todos = new ApprovalTodos(this.state.workflowId, round, this.patches.has(approvalPatches.todos));
    this.planInline = this.patches.has(approvalPatches.planInline);
    this.overview = new OverviewPublisher(this.patches.has(approvalPatches.overviewChangesOnly));
    this.todosWithWriteBack = this.patches.has(approvalPatches.todosWithWriteBack);
    this.todosBesideDecisions = this.patches.has(approvalPatches.todosBesideDecisions);
    this.cards = new ApprovalCards(this.state.workflowId, round, () => ({
      ...(this.cardFields ? { fields: this.cardFields } : {}),
      decisions: decisionSummaries(this.state.steps),
      ...(this.plan ? { tz: this.plan.calendar } : {}),
      urgent: this.state.urgent !== undefined,
    }));
    this.notices = new ApprovalNotices(this.patches, {
      document: () => this.mustDocument(),
      approvers: () => this.state.steps.flatMap((step) => step.approvers),
      record: (entry) => this.record(entry),
    });
  }

  /**
   * Runs the phases; whatever stops one parks the approval until an admin acts or the document changes in Kingdee.
   * Only cancellation and continue-as-new leave as they are. If parking itself throws, the error leaves as a plain
   * Error: that fails the workflow *task* (Temporal retries it, a fix can be deployed), never the workflow.
   */
  async execute(): Promise<ApprovalState> {
    this.registerHandlers();
    try {
      for (;;) {
        try {
          await this.advance();
          return this.state;
        } catch (err) {
          if (passesThrough(err)) throw err;
          await this.park(attentionFor(err, this.task, this.phase));
        }
      }
    } catch (err) {
      if (passesThrough(err)) throw err;
      log.error('the approval could not park in needs-attention; failing the workflow task', {
        error: describeError(err),
      });
      throw new Error(`needs-attention failed: ${describeError(err)}`);
    }
  }

  private async advance(): Promise<void> {
    for (;;) {
      const phase = this.phase;
      switch (phase.name) {
        case 'plan':
          if (!(await this.makePlan())) return;
          this.phase = { name: 'approval', index: 0 };
          break;
        case 'approval': {
          if (phase.index >= this.mustPlan().steps.length) {
            this.phase = { name: 'writeBack', outcome: 'approved' };
            break;
          }
          const result = await this.runStep(phase.index);
          if (result === 'external') this.phase = { name: 'close', by: 'kingdee', effects: true };
          else if (result === 'rejected') this.phase = { name: 'writeBack', outcome: 'rejected' };
          else this.phase = { name: 'approval', index: phase.index + 1 };
          break;
        }
        case 'writeBack':
          if (this.patches.has(approvalPatches.writeBackWithCards)) {
            const tz = this.mustPlan().calendar;
            this.answersDeferred = this.cards.awaitingAnswers() && this.patches.has(approvalPatches.cardAnswers);
            const answers = this.answersDeferred ? 'skip' : undefined;
            // With todosWithWriteBack, every 待办 still open closes meanwhile (the settling decision's; none else is
            // open by now, and closing nothing schedules nothing).
            await this.allTogether([
              [approvalTexts.attentionTasks.updateCards, () => this.cards.refreshAll(this.state.steps, tz, answers)],
              [approvalTexts.attentionTasks.writeBack(phase.outcome), () => this.writeBack(phase.outcome)],
              ...(this.todosWithWriteBack ? [[texts.todoAttentionTask, () => this.closeTodos()] as TaskEffect] : []),
            ]);
          } else await this.writeBack(phase.outcome);
          this.phase = { name: 'finish', outcome: phase.outcome, notices: true };
          break;
        case 'finish':
          await this.finish(phase.outcome, phase.notices);
          return;
        case 'close':
          await this.close(phase.by, phase.effects);
          return;
        case 'notApplicable':
          this.setStage('not-applicable');
          return;
      }
    }
  }

  /** Load the document and plan the chain; a plan the rules cannot make needs a person (retry after a fix). */
  private async makePlan(): Promise<boolean> {
    this.task = approvalTexts.attentionTasks.plan;
    // Published with the plan (or the next needs-attention entry); a retry is starting again, not needing attention.
    this.state.stage = 'starting';
    const result =
      this.planInline && this.patches.has(approvalPatches.planWithApprovers)
        ? await inline.planApprovalWithApprovers({ document: this.input.document })
        : await (this.planInline ? inline : io).planApproval({ document: this.input.document });
    this.planAnswered = true;
    this.contact = result.contact;
    if (result.applicable === true) {
      this.document = result.document;
      this.plan = result.plan;
      this.cards.notes = result.plan.warnings ?? [];
      this.state.document = result.document;
      this.cardFields = result.card?.fields;
      this.urgency = result.urgency;
      this.firstApprovers = result.firstApprovers;
      this.record({
        actor: 'system',
        action: 'start',
        channel: 'system',
        comment: approvalTexts.chainPlanComment(
          result.plan.steps.map((s) => s.name),
          result.plan.skippedSteps,
          result.plan.warnings,
        ),
        ...(result.plan.warnings?.length ? { details: { warnings: result.plan.warnings } } : {}),
      });
      if (result.urgency?.reason && !this.state.urgent) this.becomeUrgent(result.urgency.reason);
      this.overview.publish(this.state);
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
    throw new NeedsAttention(result.reason, result.type, approvalTexts.attentionActions.fixRules);
  }

  /** The first approvers planning found, taken once by the first step's start. */
  private takeFirstApprovers(): Person[] | undefined {
    const people = this.firstApprovers;
    this.firstApprovers = undefined;
    return people;
  }

  // ── one step ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Runs step `index`: starts it (approvers, cards) unless it has started, then waits; a retry resumes it. */
  private async runStep(index: number): Promise<StepResult> {
    const plan = this.mustPlan();
    const planned = plan.steps[index]!;
    const document = this.mustDocument();
    const calendar = plan.calendar;
    let step = this.state.steps[index];
    const resuming = step !== undefined;
    if (!step) {
      this.task = approvalTexts.attentionTasks.resolveApprovers(planned.name);
      const people =
        (index === 0 ? this.takeFirstApprovers() : undefined) ??
        (await (this.planInline ? inline : io).resolveApprovers({ specs: planned.approvers, document }));
      const startedAtMs = Date.now();
      const created = createStep(planned, people, new Date(startedAtMs).toISOString());
      this.task = approvalTexts.attentionTasks.lookUpPerson;
      for (const delegate of created.slots.flatMap((slot) => slot.delegates)) await this.learnName(created, delegate);
      const at = (ms: number | undefined) =>
        ms === undefined ? undefined : addBusinessTime(startedAtMs, ms, calendar);
      this.timers.set(created.id, {
        nextReminderAt: at(this.schedule(planned).remindAfterMs),
        finalAt: at(planned.finalAfterMs),
      });
      this.state.steps.push(created);
      this.state.currentStepIndex = index;
      this.setStage('awaiting-approval');
      step = created;
    } else if (this.state.stage !== 'awaiting-approval') {
      this.setStage('awaiting-approval'); // resumed by an admin retry
    }
    const missing = this.cards.missing(step);
    if (missing.length > 0) {
      this.task = approvalTexts.attentionTasks.deliverCards(
        step.name,
        missing.map((id) => step.names[id] ?? id),
      );
      await this.cards.deliver(document, step, missing);
    }
    if (resuming) {
      this.task = approvalTexts.attentionTasks.updateCards;
      await this.cards.refresh(step, calendar);
    }

    const timers = this.timers.get(step.id) ?? {};
    const startedAtMs = Date.parse(step.startedAt);
    const escalateAfterMs = this.schedule(planned).escalateAfterMs;
    let escalateAt =
      escalateAfterMs === undefined ? undefined : addBusinessTime(startedAtMs, escalateAfterMs, calendar);
    if (!this.escalateAts.has(step.id)) this.escalateAts.set(step.id, escalateAt);
    if (this.todosBesideDecisions) this.beginTodos(step);
    else await this.createTodos(step);
    for (;;) {
      this.raiseTodoFailure();
      await this.processDecisions();
      if (this.externalChange) return 'external';
      if (step.outcome) return step.outcome;
      if (this.urgentRequest) {
        await this.handleUrgentRequest(step);
        // The urgent schedule from now on: the earlier of what was due and what is due for an urgent step.
        const urgent = this.schedule(planned);
        const now = Date.now();
        const due = (ms: number | undefined, current: number | undefined) => {
          if (ms === undefined) return current;
          const at = Math.max(now, addBusinessTime(startedAtMs, ms, calendar));
          return current === undefined ? at : Math.min(current, at);
        };
        timers.nextReminderAt = due(urgent.remindAfterMs, timers.nextReminderAt);
        if (!step.escalated) escalateAt = due(urgent.escalateAfterMs, escalateAt);
        continue;
      }

      const deadlines = [timers.nextReminderAt, step.escalated ? undefined : escalateAt, timers.finalAt];
      const next = Math.min(...deadlines.filter((t): t is number => t !== undefined));
      const somethingHappened = () =>
        this.unprocessed.length > 0 ||
        this.externalChange !== undefined ||
        this.fault !== undefined ||
        this.urgentRequest !== undefined ||
        this.todos.failed;
      if (next === Infinity) {
        await condition(somethingHappened);
        continue;
      }
      if (await condition(somethingHappened, Math.max(next - Date.now(), 1))) continue;

      const now = Date.now();
      if (timers.nextReminderAt !== undefined && now >= timers.nextReminderAt) {
        await this.remind(step);
        const every = this.schedule(planned).remindEveryMs;
        timers.nextReminderAt = every !== undefined ? addBusinessTime(now, every, calendar) : undefined;
      }
      if (escalateAt !== undefined && !step.escalated && now >= escalateAt) await this.escalate(step);
      if (timers.finalAt !== undefined && now >= timers.finalAt) {
        await this.finalAction(step, planned);
        timers.finalAt = undefined;
      }
    }
  }

  /**
   * The step's reminder and escalation times: its own, or for an urgent document the earlier of its own and the
   * rules' urgent schedule (a step without reminders gets the urgent ones).
   */
  private schedule(planned: PlannedStep): Pick<PlannedStep, 'remindAfterMs' | 'remindEveryMs' | 'escalateAfterMs'> {
    const urgency = this.state.urgent ? this.urgency : undefined;
    if (!urgency) return planned;
    const earlier = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
    return {
      remindAfterMs: earlier(planned.remindAfterMs, urgency.remindAfterMs),
      remindEveryMs: earlier(planned.remindEveryMs, urgency.remindEveryMs),
      escalateAfterMs: earlier(planned.escalateAfterMs, urgency.escalateAfterMs),
    };
  }

  /** The document is urgent from now on: state, log (with the reason), overview. */
  private becomeUrgent(reason: string, by?: MarkUrgentInput): void {
    this.state.urgent = { reason, at: new Date().toISOString(), ...(by ? { by: by.by } : {}) };
    this.record({
      actor: by?.by ?? 'system',
      action: 'notify',
      channel: by ? (by.channel === 'text' ? 'text' : by.channel) : 'kingdee',
      comment: texts.urgentLogComment(reason),
      details: { urgent: true, reason, ...(by ? { text: by.text } : {}) },
    });
    this.overview.publish(this.state);
  }

  /** A markUrgent request: who asked (by name), then urgent — the step's cards get the 【加急】 title. */
  private async handleUrgentRequest(step: StepState): Promise<void> {
    const request = this.urgentRequest!;
    if (!this.state.urgent) {
      this.task = approvalTexts.attentionTasks.lookUpPerson;
      const person = await io.describeUser({ userId: request.by });
      this.becomeUrgent(texts.urgentRequestReason(person?.name ?? request.by, request.text), request);
    }
    this.task = approvalTexts.attentionTasks.updateCards;
    await this.cards.markUrgent(step, this.mustPlan().calendar, this.mustDocument());
    this.urgentRequest = undefined;
  }

  /** 待办 for everyone on the step who may decide and has none yet (due when the step escalates). */
  private async createTodos(step: StepState): Promise<void> {
    if (!this.todosWanted()) return;
    this.task = texts.todoAttentionTask;
    const due = this.escalateAts.get(step.id);
    await this.todos.create(this.mustDocument(), step, {
      ...(due !== undefined ? { dueTime: due } : {}),
      urgent: this.state.urgent !== undefined,
    });
  }

  /**
   * `createTodos` beside the decisions: the approver who has the card decides while the 待办 wait for their queue.
   * With the rules' `todos.after`, only once that long has passed with someone still to decide (a durable timer).
   */
  private beginTodos(step: StepState): void {
    if (!this.todosWanted()) return;
    const due = this.escalateAts.get(step.id);
    const afterMs = this.todosAfterMs();
    const allDecided = () =>
      step.outcome !== undefined || this.externalChange !== undefined || waitingUserIds(step).length === 0;
    this.todos.begin(
      this.mustDocument(),
      step,
      { ...(due !== undefined ? { dueTime: due } : {}), urgent: this.state.urgent !== undefined },
      afterMs > 0 ? () => condition(allDecided, afterMs) : undefined,
    );
  }

  /** The rules' `todos.after` as planned (0: with the card; plans from before it existed too). */
  private todosAfterMs(): number {
    return this.mustPlan().todos?.afterMs ?? 0;
  }

  /** Whether this run makes 待办: the patch that brought them, and the rules' `todos.enabled` (plans before it: yes). */
  private todosWanted(): boolean {
    return this.todos.enabled && (this.plan?.todos?.enabled ?? true);
  }

  /** A 待办 creation begun beside the decisions failed for good: the approval parks naming the 待办. */
  private raiseTodoFailure(): void {
    if (!this.todos.failed) return;
    this.task = texts.todoAttentionTask;
    this.todos.raiseFailure();
  }

  private async closeTodos(): Promise<void> {
    if (!this.todos.enabled) return;
    this.task = texts.todoAttentionTask;
    await this.todos.closeAll(this.state.steps);
  }

  private waiting(step: StepState): texts.Waiting {
    return waitingOf(step, Date.now(), this.mustPlan().calendar);
  }

  private async remind(step: StepState): Promise<void> {
    this.task = approvalTexts.attentionTasks.remind(step.name);
    const count = step.remindersSent + 1;
    const userIds = waitingUserIds(step);
    await notify.notifyUsers({
      userIds,
      notice: texts.reminder(this.mustDocument(), {
        ...this.waiting(step),
        count,
        ...(this.state.urgent ? { urgent: true } : {}),
      }),
    });
    step.remindersSent = count;
    this.record({ actor: 'system', action: 'remind', channel: 'timer', stepId: step.id, details: { userIds } });
  }

  /** Bring in each waiting approver's manager (they may decide on the approver's behalf) and tell the group. */
  private async escalate(step: StepState): Promise<void> {
    const plan = this.mustPlan();
    const document = this.mustDocument();
    this.task = approvalTexts.attentionTasks.escalate(step.name);
    const waiting = this.waiting(step);
    const managers = this.escalated.get(step.id) ?? (await this.bringInManagers(step));
    const key = `escalate:${step.id}`;
    if (managers.length > 0) {
      await this.notices.once(`${key}:cards`, () => this.cards.deliver(document, step, managers));
      await this.createTodos(step);
      if (plan.escalation.notifyManager) {
        for (const manager of managers) {
          await this.notices.once(`${key}:manager:${manager}`, () =>
            notify.notifyUsers({
              userIds: [manager],
              notice: texts.escalationManagerNotice(document, {
                ...waiting,
                managerName: step.names[manager] ?? manager,
              }),
            }),
          );
        }
      }
    }
    const robot = plan.escalation.robot;
    if (robot) {
      await this.notices.once(`${key}:group`, () =>
        notify.notifyGroup({
          robot,
          notice: texts.escalationNotice(document, {
            ...waiting,
            managers: managers.map((id) => step.names[id] ?? id),
          }),
        }),
      );
    }
    step.escalated = true;
    this.state.escalated = true;
    this.record({ actor: 'system', action: 'escalate', channel: 'timer', stepId: step.id, details: { managers } });
    this.overview.publish(this.state);
  }

  /** Each waiting approver's manager joins their seat (once per step: a retried escalation does not ask again). */
  private async bringInManagers(step: StepState): Promise<string[]> {
    const managers: string[] = [];
    for (const slot of pendingSlots(step)) {
      const manager = await io.findManager({ userId: slot.assignee });
      if (bringInManager(step, slot, manager) && !managers.includes(manager!.userId)) managers.push(manager!.userId);
    }
    this.escalated.set(step.id, managers);
    return managers;
  }

  private async finalAction(step: StepState, planned: PlannedStep): Promise<void> {
    const final = planned.finalAction;
    if (!final) return;
    this.task = approvalTexts.attentionTasks.finalAction(step.name);
    const waiting = this.waiting(step);
    if (final.type === 'reject') {
      const comment = texts.timeoutRejectComment(final.reason, waiting.waitedMs);
      this.record({ actor: 'system', action: 'finalAction', channel: 'timer', stepId: step.id, comment });
      rejectBySystem(step, comment, new Date().toISOString());
      this.unprocessed.push({ step });
      return;
    }
    const key = `final:${step.id}`;
    if (this.notices.firstTime(key)) {
      this.record({
        actor: 'system',
        action: 'finalAction',
        channel: 'timer',
        stepId: step.id,
        comment: approvalTexts.overdueKeepWaitingComment,
      });
    }
    // Histories from before the patch never looked the applicant up here.
    const toApplicant = final.to.applicant && this.patches.has(approvalPatches.overdueTellsApplicant);
    await this.notices.tell(
      final.to,
      texts.overdueNotice(this.mustDocument(), { ...waiting, text: final.text }),
      key,
      toApplicant,
    );
  }

  // ── decisions ────────────────────────────────────────────────────────────────────────────────────────────

  private registerHandlers(): void {
    setHandler(statusQuery, () => this.state);
    // The handler is decide itself: an extra await here would complete the Update later than recorded histories do.
    setHandler(decideUpdate, (decision: DecisionInput) => this.decide(decision, 'update'), {
      validator: (decision: DecisionInput) => this.check(decision),
    });
    setHandler(decideSignal, async (decision: DecisionInput) => {
      try {
        this.check(decision);
        await this.decide(decision, 'signal');
      } catch (err) {
        const failure = this.handlerFailure(err, decision);
        if (isCancellation(failure)) throw failure;
        log.warn('ignored a decision signal', { decision, reason: failure.message });
      }
    });
    setHandler(cardAnsweredSignal, (confirmation: CardAnswered) => this.cards.answered(confirmation));
    setHandler(markUrgentSignal, (request: MarkUrgentInput) => {
      if (this.state.urgent || this.urgentRequest || isFinished(this.state.stage)) return;
      this.urgentRequest = request;
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
    const refusal = refusalFor(this.state, decision, {
      ...(this.plan?.steps[this.state.currentStepIndex + 1]
        ? { nextStepName: this.plan.steps[this.state.currentStepIndex + 1]!.name }
        : {}),
      ...(this.externalChange ? { closing: this.externalChange.status } : {}),
    });
    if (refusal) {
      // A card still offering buttons on a settled seat (its callback answer never reached DingTalk) is put right
      // by the answer to this click: the refusal carries what the card should show.
      const settled = this.externalChange ? undefined : settledCardState(this.state, decision.stepId, decision.userId);
      throw ApplicationFailure.create({
        type: refusedType,
        nonRetryable: true,
        message: approvalTexts.approvalRefusalText(refusal, this.state.document),
        ...(settled ? { details: [settled] } : {}),
      });
    }
  }

  /**
   * What a decision handler's caller is told when it throws. Refusals and cancellation pass as they are; a lookup
   * that failed is a "try again later"; anything else is a bug: the main flow parks the approval (this.fault) and
   * the caller is told an administrator knows. (A non-Temporal error escaping an Update handler would fail the
   * workflow task instead, and keep failing it until a fix is deployed.)
   */
  private handlerFailure(err: unknown, decision: DecisionInput): Error {
    if (isCancellation(err)) return err as Error;
    if (err instanceof ApplicationFailure && (err.type === refusedType || err.type === decisionFailedType)) return err;
    if (err instanceof ActivityFailure) {
      return ApplicationFailure.create({
        type: decisionFailedType,
        nonRetryable: true,
        message: approvalTexts.decisionLookupFailedText,
      });
    }
    log.error('unexpected error while applying a decision', { decision, error: describeError(err) });
    this.fault ??= err;
    return ApplicationFailure.create({
      type: decisionFailedType,
      nonRetryable: true,
      message: approvalTexts.decisionFailedText(this.state.document),
    });
  }

  /**
   * Someone brought in (转交, 加签) is named in the answer, so look them up first, then check again and apply. Errors
   * leave as handlerFailure says (inside, not around: the Update must complete in as many steps as it always did).
   */
  private async decide(decision: DecisionInput, via: 'update' | 'signal'): Promise<DecisionResult> {
    try {
      const target = unknownTarget(this.state, decision);
      if (target) {
        await this.learnName(currentStep(this.state)!, target);
        this.check(decision);
      }
      return this.apply(decision, via);
    } catch (err) {
      throw this.handlerFailure(err, decision);
    }
  }

  /** `via` update: the caller gets the result (a card click's answer shows its cardParams); a signal gets none. */
  private apply(decision: DecisionInput, via: 'update' | 'signal'): DecisionResult {
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
    this.overview.publish(this.state);
    const document = this.mustDocument();
    const card = this.cards.firstParams(document, step, decision.userId);
    const cardParams = texts.cardWithState(card, cardStateFor(step, decision.userId), this.mustPlan().calendar);
    if (via === 'update' && decision.channel === 'card') this.cards.expectAnswer(step.id, decision.userId, cardParams);
    return {
      accepted: true,
      stage: this.state.stage,
      cardParams,
      message: texts.decisionAnswer(document, {
        action: decision.action,
        targetName: decision.targetUserId ? step.names[decision.targetUserId] : undefined,
        targetUserId: decision.targetUserId,
      }),
    };
  }

  /**
   * Side effects of recorded decisions: newcomers get cards, every other card shows the new state. A handler's
   * unexpected error is raised here, in the main flow, so it parks the approval.
   */
  private async processDecisions(): Promise<void> {
    this.raiseFault();
    while (this.unprocessed.length > 0) {
      const { step, newcomer } = this.unprocessed[0]!;
      if (newcomer) {
        this.task = approvalTexts.attentionTasks.lookUpPerson;
        await this.learnName(step, newcomer);
        if (this.cards.missing(step).includes(newcomer)) {
          this.task = approvalTexts.attentionTasks.deliverCards(step.name, [step.names[newcomer] ?? newcomer]);
          await this.cards.deliver(this.mustDocument(), step, [newcomer]);
        }
      }
      this.task = approvalTexts.attentionTasks.updateCards;
      const settlesApproval = this.unprocessed.length === 1 && this.settlesApproval(step);
      if (!(settlesApproval && this.patches.has(approvalPatches.writeBackWithCards))) {
        const answers =
          this.cards.awaitingAnswers() && this.patches.has(approvalPatches.stepCardAnswers) ? 'await' : undefined;
        await this.cards.refresh(step, this.mustPlan().calendar, answers);
      }
      // A newcomer (转交, 加签) gets a 待办; with the rules' `todos.after`, after that long too (and whoever else is
      // still to decide keeps waiting for theirs).
      if (this.todosAfterMs() > 0) this.beginTodos(step);
      else await this.createTodos(step);
      // The settling decision's 待办 close with the write-back (todosWithWriteBack), which must not wait for them.
      if (this.todos.enabled && !(settlesApproval && this.todosWithWriteBack)) {
        this.task = texts.todoAttentionTask;
        await this.todos.settle(step);
      }
      this.unprocessed.shift();
      this.raiseFault();
    }
  }

  /** Whether `step`'s outcome is the approval's: it rejected, or it was the last step and approved. */
  private settlesApproval(step: StepState): boolean {
    if (this.externalChange) return false;
    if (step.outcome === 'rejected') return true;
    return step.outcome === 'approved' && this.state.steps.indexOf(step) === this.mustPlan().steps.length - 1;
  }

  private raiseFault(): void {
    if (this.fault === undefined) return;
    const fault = this.fault;
    this.fault = undefined;
    this.task = approvalTexts.attentionTasks.processDecision;
    throw fault instanceof Error ? fault : new Error(describeError(fault));
  }

  private async learnName(step: StepState, userId: string): Promise<void> {
    if (step.names[userId]) return;
    const person = await io.describeUser({ userId });
    step.names[userId] = person?.name ?? userId;
  }

  // ── outcome ──────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Exactly once: the activity checks Kingdee's state first and treats "already there" as success. A write-back
   * that fails for good (refused, or still failing when its retry policy gives up) needs a person.
   */
  private async writeBack(outcome: Outcome): Promise<void> {
    const plan = this.mustPlan();
    this.setStage('writing-back');
    const comment = texts.kingdeeComment(decisionSummaries(this.state.steps), plan.calendar);
    const lastApprover = lastDecider(this.state.steps);
    this.task = approvalTexts.attentionTasks.writeBack(outcome);
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
  }

  private async finish(outcome: Outcome, notices: boolean): Promise<void> {
    const plan = this.mustPlan();
    const document = this.mustDocument();
    if (notices) {
      const decisions = decisionSummaries(this.state.steps);
      const followUps = outcome === 'approved' ? plan.writeBack.followUps.approved : plan.writeBack.followUps.rejected;
      const effects: TaskEffect[] = [
        [
          approvalTexts.attentionTasks.updateCards,
          () => this.cards.refreshAll(this.state.steps, plan.calendar, this.answersDeferred ? 'await' : undefined),
        ],
        [texts.todoAttentionTask, () => this.closeTodos()],
      ];
      const applicantNotice = texts.applicantNotice(document, { outcome, decisions, tz: plan.calendar });
      const followUpNotices = followUps.map((followUp, index) => ({
        target: followUp.to,
        notice: texts.followUpNotice(document, { template: followUp.template, outcome, decisions, tz: plan.calendar }),
        key: `followUp:${index}`,
        toApplicant: followUp.to.applicant,
      }));
      if (this.patches.has(approvalPatches.finishNoticesTogether))
        effects.push([
          followUps.length > 0
            ? approvalTexts.attentionTasks.finishNotices
            : approvalTexts.attentionTasks.notifyApplicant,
          () => this.notices.tellTogether({ notice: applicantNotice, key: 'finish' }, followUpNotices),
        ]);
      else
        effects.push(
          [approvalTexts.attentionTasks.notifyApplicant, () => this.notices.tellApplicant(applicantNotice, 'finish')],
          ...followUpNotices.map(({ target, notice, key, toApplicant }): TaskEffect => [
            approvalTexts.attentionTasks.followUp,
            () => this.notices.tell(target, notice, key, toApplicant),
          ]),
        );
      if (this.patches.has(approvalPatches.finishTogether)) await this.allTogether(effects);
      else
        for (const [task, effect] of effects) {
          this.task = task;
          await effect();
        }
    }
    this.record({
      actor: 'system',
      action: 'complete',
      channel: 'system',
      comment: texts.stageLabels[outcome] ?? outcome,
    }); // Last: "approved"/"rejected" means everything, notices included, is done.
    this.setStage(outcome);
  }

  /**
   * Starts every effect at once and waits for all of them; when one fails, the approval parks naming that effect's
   * task (the others have finished, and each is done once, so a retry repeats only what failed).
   */
  private async allTogether(effects: TaskEffect[]): Promise<void> {
    const results = await Promise.allSettled(effects.map(([, effect]) => effect()));
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed < 0) return;
    this.task = effects[failed]![0];
    throw (results[failed] as PromiseRejectedResult).reason;
  }

  /**
   * The approval ends without an outcome from DingTalk: the document left approval in Kingdee, or an admin resolved
   * it. Every card shows it (after what its person decided), and the applicant is told.
   */
  private async close(by: 'kingdee' | 'admin', effects: boolean): Promise<void> {
    const change = this.externalChange;
    const status: DocumentStatus | 'deleted' = change?.status ?? 'deleted';
    if (by === 'kingdee' && this.notices.firstTime('close:recorded')) {
      this.record({
        actor: 'system',
        action: 'externalChange',
        channel: 'kingdee',
        comment: approvalTexts.kingdeeStatusComment(status),
        details: { source: change?.source ?? 'poll', status },
      });
    }
    this.setStage('closed-in-kingdee');
    if (!effects) return;
    const closed: Omit<Extract<texts.CardState, { status: 'closed' }>, 'earlier'> = by === 'admin'
      ? { status: 'closed', reason: 'adminResolved' }
      : { status: 'closed', reason: isWithdrawn(status) ? 'withdrawn' : 'handledInKingdee', kingdeeStatus: status };
    const tz = this.plan?.calendar;
    this.task = approvalTexts.attentionTasks.close;
    if (tz) await this.cards.close(this.state.steps, closed, tz);
    await this.closeTodos();
    // Replaying a history from before this patch: its applicant was not told, so no activities here.
    if (this.document && tz && (by === 'admin' || this.patches.has(approvalPatches.closeTellsApplicant))) {
      const how = by === 'admin' ? ('adminResolved' as const) : closedBy(status).how;
      this.task = approvalTexts.attentionTasks.notifyApplicant;
      await this.notices.tellApplicant(
        texts.approvalClosedNotice(this.document, {
          how,
          ...(status !== 'deleted' && by === 'kingdee' ? { status: texts.documentStatusLabels[status] } : {}),
          decisions: decisionSummaries(this.state.steps),
          tz,
        }),
        'close',
      );
    }
    if (by === 'admin' && this.notices.firstTime('close:complete')) {
      this.record({ actor: 'system', action: 'complete', channel: 'admin', comment: approvalTexts.adminClosedComment });
    }
  }

  /**
   * Stop: needs-attention with the reason, ops told once for this entry, then wait for an admin (retry runs the
   * phase again; resolve ends it cleanly) or, before the outcome is in Kingdee, for the document to change there.
   */
  private async park(attention: NeedsAttention): Promise<void> {
    const phase = this.phase;
    this.state.attention = {
      reason: attention.reason,
      errorType: attention.errorType,
      since: new Date().toISOString(),
      phase: attentionPhase(phase),
    };
    this.record({
      actor: 'system',
      action: 'needsAttention',
      channel: 'system',
      comment: attention.reason,
      details: { errorType: attention.errorType, phase: attentionPhase(phase) },
    });
    this.setStage('needs-attention');
    await this.alertOps(attention);
    // Once the outcome is in Kingdee (finish) or the approval is closing, a change there is our own doing.
    const closable = phase.name === 'plan' || phase.name === 'approval' || phase.name === 'writeBack';
    await condition(() => this.adminAction !== undefined || (closable && this.externalChange !== undefined));
    this.state.attention = undefined;
    if (closable && this.externalChange) {
      this.adminAction = undefined;
      this.phase = { name: 'close', by: 'kingdee', effects: true };
      return;
    }
    if (this.takeAdminAction() === 'retry') return;
    switch (phase.name) {
      case 'plan':
        this.phase = { name: 'notApplicable' };
        break;
      case 'approval':
        this.phase = { name: 'close', by: 'admin', effects: true };
        break;
      case 'writeBack':
        this.state.writeBack = { operation: 'resolvedByAdmin', alreadyInState: false, at: new Date().toISOString() };
        this.phase = { name: 'finish', outcome: phase.outcome, notices: true };
        break;
      case 'finish':
        this.phase = { ...phase, notices: false };
        break;
      case 'close':
        this.phase = { ...phase, effects: false };
        break;
      case 'notApplicable':
        break;
    }
  }

  /** The alert, once per needs-attention entry. If it cannot be sent, the log says so and the approval still waits. */
  private async alertOps(attention: NeedsAttention): Promise<void> {
    if (!this.planAnswered && !this.contact) {
      // The plan never answered, so nothing says who ops are: ask (the rules and settings the worker has).
      this.contact = await io.attentionContact().catch((err: unknown) => {
        if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
        return undefined;
      });
    }
    const failed = await alertOps({
      attention,
      workflowId: this.state.workflowId,
      ...(this.document ? { document: this.document } : {}),
      ...(this.plan ? { plan: this.plan } : {}),
      ...(this.contact ? { contact: this.contact } : {}),
    });
    if (failed !== undefined) {
      this.record({
        actor: 'system',
        action: 'notify',
        channel: 'robot',
        comment: approvalTexts.opsAlertFailedComment(failed),
      });
    }
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

  // ── bookkeeping ──────────────────────────────────────────────────────────────────────────────────────────

  private record(entry: Omit<NewDecisionLogEntry, 'at'>): void {
    this.state.log = appendEntry(this.state.log, { ...entry, at: Date.now() });
  }

  private setStage(stage: ApprovalStage): void {
    this.state.stage = stage;
    this.overview.publish(this.state);
  }

  private mustPlan(): ChainPlan {
    if (!this.plan) throw new Error('the approval has no plan yet');
    return this.plan;
  }

  private mustDocument(): DocumentSummary {
    if (!this.document) throw new Error('the approval has no document yet');
    return this.document;
  }
}
