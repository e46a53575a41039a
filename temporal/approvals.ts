/**
 * The Temporal client of approval workflows: the one place that talks to them from outside (the API's card and
 * bot handlers, admin REST, ingestion activities, the doctor, tests): start, decide, query, list, admin actions,
 * health. Callers never build workflow ids, handler names or visibility queries themselves.
 *
 * Longer than the ~500-line guide: start, decide (with the journal hand-off), list and admin lookups of one
 * workflow type; the list's visibility query and state mapping are the candidates to move out next.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { silentLogger, type Logger } from '../common/logger';
import { PlanningWindow, type PlanningWindowOptions, type StartedRun } from './planning-window';
import {
  adminUpdate,
  approvalWorkflowId,
  cardAnsweredSignal,
  decideSignal,
  decideUpdate,
  documentChangedSignal,
  markUrgentSignal,
  oaImportStatusQuery,
  type MarkUrgentInput,
  statusQuery,
  type AdminAction,
  type ApprovalStage,
  type ApprovalState,
  type CardAnswered,
  type DecisionInput,
  type DecisionResult,
  type DocumentChange,
  type ApprovalWorkflowInput,
  workflowTypes,
} from '../workflows/contract';
import {
  ApprovalStage as ApprovalStageKey,
  Approvers,
  KingdeeBillNo,
  KingdeeFormId,
} from '../workflows/search-attributes';
import type { DocumentRef } from '../domain/document';
import type { DecidedCardState } from '../domain/texts';
import { settledCardState } from '../workflows/card-state';
import { connectionDown } from './connect';
import { DecisionJournal } from './decision-journal';
import { isNotFound } from './errors';

/** A refusal's detail (workflow.ts check): the settled card of the clicker. Parsed: it crossed Temporal. */
const instant = z.union([z.string(), z.number()]);
const settledCardSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('approved'), byName: z.string(), at: instant, comment: z.string().optional() }),
  z.object({ status: z.literal('rejected'), byName: z.string(), at: instant, comment: z.string().optional() }),
  z.object({
    status: z.literal('transferred'),
    byName: z.string(),
    toName: z.string(),
    at: instant,
    comment: z.string().optional(),
  }),
]) satisfies z.ZodType<DecidedCardState>;

export type DecideOutcome =
  | { kind: 'accepted'; result: DecisionResult }
  /**
   * The workflow refused the decision (not an approver, stale card, already decided …); nothing changed. `card`: the
   * clicker's seat is settled, and this is what their card shows (a card still offering buttons is put right).
   */
  | { kind: 'refused'; message: string; card?: DecidedCardState }
  /**
   * The workflow could not answer in time; the decision is stored durably (acknowledged by Temporal, or fsync'd to
   * the decision journal) and will be applied.
   */
  | { kind: 'queued' }
  /** The approval has ended (approved, rejected, closed in Kingdee …): its last state says how and by whom. */
  | { kind: 'ended'; state: ApprovalState; execution?: ExecutionStatus; card?: DecidedCardState }
  /** Temporal cannot take the decision now and it could not be stored either: the person must try again later. */
  | { kind: 'unavailable' }
  | { kind: 'notFound' };

/** Execution statuses as Temporal's visibility queries and Web UI name them (`ExecutionStatus="Failed"`). */
export type ExecutionStatus =
  'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'ContinuedAsNew' | 'TimedOut' | 'Unknown';

/** The `status` filter of the list, in the API's spelling. */
export const listStatuses = ['running', 'completed', 'failed', 'terminated', 'timed-out', 'canceled'] as const;
export type ListStatus = (typeof listStatuses)[number];
const statusNames: Record<ListStatus, ExecutionStatus> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  canceled: 'Canceled',
};

/** Every stage of the contract: while the workflow runs it is in an active one; a completed run ends in a final one. */
const stageKinds: Record<ApprovalStage, 'active' | 'final'> = {
  starting: 'active',
  'awaiting-approval': 'active',
  'writing-back': 'active',
  'needs-attention': 'active',
  approved: 'final',
  rejected: 'final',
  'closed-in-kingdee': 'final',
  'not-applicable': 'final',
};
export const approvalStages = Object.keys(stageKinds) as ApprovalStage[];

/**
 * What a list filter value may contain. Temporal's visibility queries are SQL-like, and how a quote or backslash
 * inside a string literal is unescaped differs between servers and visibility stores (a quote reached SQLite as
 * "unrecognized token"; leading and trailing quotes were trimmed, temporalio/temporal#12019), so values with any
 * other character are refused rather than escaped. Bill numbers (which may hold spaces inside, "QA/2026 001"), form
 * ids, DingTalk userIds and stages fit.
 */
export const safeFilterValue = /^[\p{L}\p{N}_.:@/+-](?:[\p{L}\p{N}_.:@/+ -]{0,126}[\p{L}\p{N}_.:@/+-])?$/u;

export class InvalidFilterError extends Error {
  override name = 'InvalidFilterError';
}

export interface ApprovalServiceOptions {
  taskQueue: string;
  /**
   * How long the decide Update may take before the decision is journaled and the caller answered "processing"
   * (default 1 s: DingTalk waits 2 s for the whole callback, journaling and network included).
   */
  decideDeadlineMs?: number;
  /**
   * The decision journal (see decision-journal.ts): decisions Temporal cannot take in time are kept here until it
   * can. Without one, a decision that neither the Update nor a Signal could hand over is answered `unavailable`.
   */
  journalFile?: string;
  /** How long the Signal fallback may take when the journal cannot store a decision. */
  signalDeadlineMs?: number;
  /** Deadline of reads (describe, query, list) and admin actions. */
  rpcTimeoutMs?: number;
  /**
   * A client on this process's worker connection: approvals it starts ask Temporal to hand their first workflow task
   * straight to this worker when it has a free slot (eager workflow start), instead of through the task queue.
   */
  eagerStarter?: Client;
  /**
   * Starts keep at most this many approvals waiting for their first workflow task (planning-window.ts); false:
   * unpaced. Every approval is started by ingestion (a poll, or a push, which only makes the poller poll now).
   */
  planningWindow?: PlanningWindowOptions | false;
  logger?: Logger;
}

/** One approval run as the admin list and the bot see it, in its true state. */
export interface PendingApproval {
  workflowId: string;
  runId?: string;
  billNo?: string;
  formId?: string;
  /**
   * The workflow's stage while it runs (where it is) or once it completed (how it ended). Absent when the execution
   * failed, was terminated, timed out or was cancelled: the stage it last reported is then `lastStage`.
   */
  stage?: string;
  /** Temporal's execution status. */
  status?: ExecutionStatus;
  /** One word to read: the stage for running and completed runs, else the status (failed, terminated, timed-out …). */
  state?: string;
  /** The stage a run that stopped abnormally last reported (e.g. awaiting-approval); it is not waiting any more. */
  lastStage?: string;
  approvers: string[];
  summary?: string;
  startTime: Date;
  closeTime?: Date;
}

export interface ListFilter {
  stage?: string;
  status?: ListStatus;
  approver?: string;
  formId?: string;
  billNo?: string;
  limit?: number;
}

/** A workflow id looked up for the admin API. */
export type ApprovalLookup =
  | { kind: 'notFound' }
  /** A workflow of another type (a poller, an outbox) or of another deployment (task queue). */
  | { kind: 'notApproval'; type: string; taskQueue: string }
  | { kind: 'found'; execution: ApprovalExecution };

export interface ApprovalExecution {
  workflowId: string;
  runId: string;
  status: ExecutionStatus;
  startTime: Date;
  closeTime?: Date;
  historyLength: number;
}

export type AdminOutcome =
  | { ok: true; stage: ApprovalStage }
  | { ok: false; reason: 'notFound' | 'notApproval'; message: string }
  /** The approval is not running any more. */
  | { ok: false; reason: 'ended'; message: string; execution: ExecutionStatus; stage?: string }
  /** The workflow refused (not in needs-attention, an action already pending): its message. */
  | { ok: false; reason: 'refused'; message: string };

export type ProblemKind = 'needs-attention' | 'failed' | 'stuck';

/** An approval ops must look at (`npm run doctor`). */
export interface ApprovalProblem {
  kind: ProblemKind;
  workflowId: string;
  runId?: string;
  billNo?: string;
  status: ExecutionStatus;
  /** The stage (or, for a failed run, the stage it last reported). */
  stage?: string;
  /** Since when nothing has moved (stuck), or when it stopped (failed), or when it started needing attention. */
  since?: Date;
  /** Why, in a few words: the attention reason, the failure message, the pending write-back's last error. */
  detail?: string;
}

export interface ProblemThresholds {
  /** awaiting-approval with no decision on the current step for longer than this (default 3 days). */
  awaitingApprovalMs?: number;
  /** writing-back for longer than this (default 10 minutes: the write-back retries for about 10). */
  writingBackMs?: number;
  /** starting (planning) for longer than this (default 10 minutes). */
  startingMs?: number;
  /** At most this many per kind (default 50). */
  limit?: number;
}

export class ApprovalService {
  private readonly log: Logger;
  private readonly deadlineMs: number;
  private readonly journal?: DecisionJournal;
  private readonly window?: PlanningWindow;

  constructor(
    private readonly client: Client,
    private readonly options: ApprovalServiceOptions,
  ) {
    this.log = options.logger ?? silentLogger;
    if (options.planningWindow !== false)
      this.window = new PlanningWindow((run) => this.hasBegunPlanning(run), {
        onStall: (stalled) =>
          stalled
            ? this.log.warn(
                'no new approval began planning for a while: the polls now start documents without waiting for it ' +
                  '(is a worker running on the task queue? is Temporal overloaded?)',
              )
            : this.log.info('new approvals are being planned again: the polls pace their starts again'),
        ...options.planningWindow,
      });
    this.deadlineMs = options.decideDeadlineMs ?? 1_000;
    if (options.journalFile) this.journal = new DecisionJournal(client, options.journalFile, { logger: this.log });
  }

  /**
   * Start the approval of a document, idempotently: a running approval is left alone, and a finished one is only
   * followed by a new run (same workflow id) when Kingdee shows a newer version of the document (a resubmission).
   * Through the planning window, if this service has one: a burst's documents start as fast as the workers begin
   * planning them — until `paceUntil` (epoch ms), if given; past it they start without waiting.
   */
  async start(
    ref: DocumentRef,
    options: { modifyDate: string; summary?: string; paceUntil?: number },
  ): Promise<{ workflowId: string; started: boolean; reason?: string }> {
    const { run: _run, ...result } = this.window
      ? await this.window.through(() => this.startOnce(ref, options), options.paceUntil)
      : await this.startOnce(ref, options);
    return result;
  }

  private async startOnce(
    ref: DocumentRef,
    options: { modifyDate: string; summary?: string },
  ): Promise<{ workflowId: string; started: boolean; reason?: string; run?: StartedRun }> {
    const workflowId = approvalWorkflowId(ref);
    // Usually the document is new: one call. Only when a run of this id exists (Temporal refuses the start) is it
    // looked at — a month-end burst's thousand documents cost a thousand calls, not two thousand.
    try {
      const run = await this.startRun(workflowId, ref, options, 'REJECT_DUPLICATE');
      return { workflowId, started: true, run };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      const latest = await this.client.workflow.getHandle(workflowId).describe();
      if (latest.status.name === 'RUNNING') return { workflowId, started: false, reason: 'running' };
      const memo = latest.memo as { modifyDate?: unknown } | undefined;
      if (typeof memo?.modifyDate === 'string' && memo.modifyDate >= options.modifyDate) {
        return { workflowId, started: false, reason: 'this version was already handled' };
      }
    } catch (err) {
      if (!isNotFound(err)) throw err; // gone meanwhile (retention): start anew
    }
    try {
      const run = await this.startRun(workflowId, ref, options, 'ALLOW_DUPLICATE');
      return { workflowId, started: true, run };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false, reason: 'running' };
      throw err;
    }
  }

  /** How the planning window saw the runs it paced begin planning (none without a window). */
  planningSeen(): { eager: number; reported: number; probed: number } {
    return { eager: 0, reported: 0, probed: 0, ...this.window?.seen };
  }

  /** This process's worker began planning a run (its planning activity started): the planning window is told. */
  planningBegun(run: { workflowId: string; runId: string }): void {
    this.window?.begun(run);
  }

  /**
   * Whether a run's first workflow task was picked up (the planning window's probe): it has none pending, or the
   * pending one started or was tried before. One describe, no history read.
   */
  private async hasBegunPlanning(run: StartedRun): Promise<boolean> {
    const { enums } = temporal.api;
    const description = await this.read(() =>
      this.client.workflowService.describeWorkflowExecution({
        namespace: this.client.options.namespace,
        execution: { workflowId: run.workflowId, runId: run.runId },
      }),
    );
    const task = description.pendingWorkflowTask;
    return (
      description.workflowExecutionInfo?.status !==
        enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING ||
      !task ||
      task.state === enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED ||
      (task.attempt ?? 1) > 1
    );
  }

  /**
   * A new run; never a second one beside a running one (conflict policy FAIL). Started eagerly (this process's
   * worker had a free slot and Temporal handed it the first workflow task in the start's answer), its planning has
   * begun already: the planning window need not probe it.
   */
  private async startRun(
    workflowId: string,
    ref: DocumentRef,
    options: { modifyDate: string; summary?: string },
    workflowIdReusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE',
  ): Promise<StartedRun> {
    const args: [ApprovalWorkflowInput] = [{ document: ref }];
    const starter = this.options.eagerStarter;
    const handle = await (starter ?? this.client).workflow.start(workflowTypes.approval, {
      ...(starter ? { requestEagerStart: true } : {}),
      taskQueue: this.options.taskQueue,
      workflowId,
      args,
      memo: { modifyDate: options.modifyDate },
      staticSummary: options.summary,
      workflowIdReusePolicy,
      workflowIdConflictPolicy: 'FAIL',
    });
    return { workflowId, runId: handle.firstExecutionRunId, ...(handle.eagerlyStarted ? { planningBegun: true } : {}) };
  }

  /**
   * Apply a decision. Tries the `decide` Update within the deadline, so the caller gets the real answer. If the
   * workflow cannot take it in time (Temporal down or slow, no worker), the decision is appended to the decision
   * journal and fsync'd — only then is the caller told it is queued — and a background loop hands it to the
   * workflow as a Signal once Temporal acknowledges one. If the journal cannot store it, a Signal Temporal
   * acknowledges within a short deadline is durable as well; failing both, the answer is `unavailable`.
   * Decisions are idempotent per (step, person), so an Update that is applied late as well changes nothing twice.
   */
  async decide(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    if (this.journal?.hasPendingFor(workflowId)) {
      // Earlier decisions for this approval still wait in the journal: this one queues behind them, in order.
      return this.handOver(workflowId, decision);
    }
    if (this.journal && connectionDown(this.client.connection)) {
      // Temporal is unreachable now: to the journal at once. Waiting out the Update's deadline first would leave
      // the fsync too little of DingTalk's 2 s on a busy machine (a slow but reachable Temporal still gets the wait).
      return this.handOver(workflowId, decision);
    }
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      const result = await this.client.withDeadline(Date.now() + this.deadlineMs, () =>
        handle.executeUpdate(decideUpdate, { args: [decision] }),
      );
      return { kind: 'accepted', result };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        const card = settledCardSchema.safeParse(cause?.details?.[0]);
        return {
          kind: 'refused',
          message: cause?.message ?? err.message,
          ...(card.success ? { card: card.data } : {}),
        };
      }
      if (isNotFound(err)) return this.endedOrNotFound(workflowId, decision);
      this.log.warn(
        { workflowId, err: String(err) },
        'decision update did not complete in time; handing the decision over durably',
      );
    }
    return this.handOver(workflowId, decision);
  }

  /** Journal first (fsync'd before answering); a Signal Temporal acknowledges in time is the fallback. */
  private async handOver(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    if (this.journal) {
      try {
        await this.journal.store(workflowId, decision);
        return { kind: 'queued' };
      } catch (err) {
        this.log.error(
          { workflowId, err: String(err), file: this.journal.file },
          'the decision journal could not store a decision; trying a signal',
        );
      }
    }
    try {
      await this.client.withDeadline(Date.now() + (this.options.signalDeadlineMs ?? 400), () =>
        this.client.workflow.getHandle(workflowId).signal(decideSignal, decision),
      );
      return { kind: 'queued' };
    } catch (err) {
      if (isNotFound(err)) return this.endedOrNotFound(workflowId, decision);
      this.log.error(
        { workflowId, userId: decision.userId, action: decision.action, err: String(err) },
        'a decision could not be handed over nor stored: the person is asked to try again',
      );
      return { kind: 'unavailable' };
    }
  }

  /**
   * The Update found no open workflow: it has ended (its last state says how, and what the decider's card on the
   * step should show), or it never existed.
   */
  private async endedOrNotFound(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    try {
      const handle = this.client.workflow.getHandle(workflowId);
      const description = await this.read(() => handle.describe());
      const execution = statusOf(description);
      if (execution === 'Running') return { kind: 'notFound' }; // a new run started meanwhile: the card is stale
      const state =
        execution === 'Completed'
          ? ((await this.read(() => handle.result())) as ApprovalState)
          : await this.read(() => handle.query(statusQuery));
      const card = settledCardState(state, decision.stepId, decision.userId);
      return { kind: 'ended', state, execution, ...(card ? { card } : {}) };
    } catch (err) {
      if (!isNotFound(err)) this.log.warn({ workflowId, err: String(err) }, 'could not read how an approval ended');
      return { kind: 'notFound' };
    }
  }

  /** Hand over what the journal holds, now and whenever Temporal can take it, until stopJournalReplay(). */
  async startJournalReplay(): Promise<void> {
    await this.journal?.start();
  }

  async stopJournalReplay(): Promise<void> {
    await this.journal?.stop();
  }

  /** Decisions waiting in the journal for Temporal. */
  journalPending(): number {
    return this.journal?.pendingCount() ?? 0;
  }

  async status(workflowId: string): Promise<ApprovalState | undefined> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(statusQuery);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Is this workflow id one of our approvals, and how is its latest run? (No worker needed.) */
  async lookup(workflowId: string): Promise<ApprovalLookup> {
    let description: WorkflowExecutionDescription;
    try {
      description = await this.read(() => this.client.workflow.getHandle(workflowId).describe());
    } catch (err) {
      if (isNotFound(err)) return { kind: 'notFound' };
      throw err;
    }
    if (description.type !== workflowTypes.approval || description.taskQueue !== this.options.taskQueue) {
      return { kind: 'notApproval', type: description.type, taskQueue: description.taskQueue };
    }
    return {
      kind: 'found',
      execution: {
        workflowId,
        runId: description.runId,
        status: statusOf(description),
        startTime: description.startTime,
        ...(description.closeTime ? { closeTime: description.closeTime } : {}),
        historyLength: description.historyLength,
      },
    };
  }

  /** The state and decision log of an approval (running or ended), with its execution status. */
  async details(
    workflowId: string,
  ): Promise<
    Exclude<ApprovalLookup, { kind: 'found' }> | { kind: 'found'; execution: ApprovalExecution; state: ApprovalState }
  > {
    const found = await this.lookup(workflowId);
    if (found.kind !== 'found') return found;
    const state = await this.read(() =>
      this.client.workflow.getHandle(workflowId, found.execution.runId).query(statusQuery),
    );
    return { ...found, state };
  }

  /** retry / resolve an approval in needs-attention; every other case says why not. */
  async admin(workflowId: string, action: AdminAction): Promise<AdminOutcome> {
    const found = await this.lookup(workflowId);
    if (found.kind === 'notFound') return { ok: false, reason: 'notFound', message: `no approval ${workflowId}` };
    if (found.kind === 'notApproval') {
      return { ok: false, reason: 'notApproval', message: `${workflowId} is a ${found.type}, not an approval` };
    }
    const { execution } = found;
    const ended = async (): Promise<AdminOutcome> => {
      // A completed run's result is its final state (no worker needed); other closed runs have none.
      const handle = this.client.workflow.getHandle(workflowId, execution.runId);
      const state =
        execution.status === 'Completed'
          ? await this.quietly(() => handle.result() as Promise<ApprovalState>)
          : undefined;
      return {
        ok: false,
        reason: 'ended',
        execution: execution.status,
        ...(state ? { stage: state.stage } : {}),
        message: `the approval is no longer running (${execution.status}${state ? `, ${state.stage}` : ''}): there is nothing to ${action.action}`,
      };
    };
    if (execution.status !== 'Running') return ended();
    try {
      const stage = await this.read(() =>
        this.client.workflow.getHandle(workflowId, execution.runId).executeUpdate(adminUpdate, { args: [action] }),
      );
      return { ok: true, stage };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        return {
          ok: false,
          reason: 'refused',
          message: err.cause instanceof ApplicationFailure ? err.cause.message : err.message,
        };
      }
      if (isNotFound(err)) return ended(); // it closed meanwhile
      throw err;
    }
  }

  /**
   * Tell the approval that DingTalk got the card callback's answer in time, so the card shows it and needs no
   * update. Best effort: a confirmation that does not arrive only costs the workflow that update.
   */
  async cardAnswered(workflowId: string, confirmation: CardAnswered): Promise<void> {
    try {
      await this.client.withDeadline(Date.now() + (this.options.signalDeadlineMs ?? 400), () =>
        this.client.workflow.getHandle(workflowId).signal(cardAnsweredSignal, confirmation),
      );
    } catch (err) {
      if (isNotFound(err)) return; // it ended meanwhile: its last refresh updated the card
      throw err;
    }
  }

  /** Ask a running approval to treat its document as urgent; false when no such approval runs. */
  async markUrgent(workflowId: string, input: MarkUrgentInput): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(markUrgentSignal, input);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async documentChanged(ref: DocumentRef, change: DocumentChange): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(approvalWorkflowId(ref)).signal(documentChangedSignal, change);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Approvals in their true state, running ones first. A stage filter means runs that are in that stage: running
   * for an active stage, completed for a final one (a failed run that last reported awaiting-approval is not
   * awaiting anything) — unless a status is given too (`status=failed&stage=awaiting-approval`: failed while
   * awaiting approval). Values outside a safe character set are refused (InvalidFilterError), never escaped.
   */
  async list(filter: ListFilter): Promise<PendingApproval[]> {
    for (const [key, value] of Object.entries(filter)) {
      if (key === 'limit' || value === undefined) continue;
      if (typeof value !== 'string' || !safeFilterValue.test(value)) {
        throw new InvalidFilterError(
          `${key} may only contain letters, digits, spaces inside and _ . : @ / + - (at most 128 characters)`,
        );
      }
    }
    if (filter.stage !== undefined && !(filter.stage in stageKinds)) {
      throw new InvalidFilterError(`stage must be one of ${approvalStages.join(', ')}`);
    }
    if (filter.status !== undefined && !(listStatuses as readonly string[]).includes(filter.status)) {
      throw new InvalidFilterError(`status must be one of ${listStatuses.join(', ')}`);
    }
    // One deployment = one task queue: the namespace may be shared, the list is ours only.
    const clauses = [`WorkflowType = ${quote(workflowTypes.approval)}`, `TaskQueue = ${quote(this.options.taskQueue)}`];
    const status: ExecutionStatus | undefined = filter.status
      ? statusNames[filter.status]
      : filter.stage
        ? stageKinds[filter.stage as ApprovalStage] === 'active'
          ? 'Running'
          : 'Completed'
        : undefined;
    if (status) clauses.push(`ExecutionStatus = ${quote(status)}`);
    if (filter.stage) clauses.push(`${ApprovalStageKey.name} = ${quote(filter.stage)}`);
    if (filter.approver) clauses.push(`${Approvers.name} = ${quote(filter.approver)}`);
    if (filter.formId) clauses.push(`${KingdeeFormId.name} = ${quote(filter.formId)}`);
    if (filter.billNo) clauses.push(`${KingdeeBillNo.name} = ${quote(filter.billNo)}`);
    return this.query(clauses.join(' AND '), filter.limit ?? 100);
  }

  /**
   * What ops must look at: approvals in needs-attention, runs that failed, were terminated, timed out or were
   * cancelled (and were not followed by a new run), and approvals that have not moved for longer than a threshold.
   */
  async problems(thresholds: ProblemThresholds = {}): Promise<ApprovalProblem[]> {
    const limit = thresholds.limit ?? 50;
    const ours = `WorkflowType = ${quote(workflowTypes.approval)} AND TaskQueue = ${quote(this.options.taskQueue)}`;
    const problems: ApprovalProblem[] = [];

    for (const row of await this.query(
      `${ours} AND ExecutionStatus = 'Running' AND ${ApprovalStageKey.name} = 'needs-attention'`,
      limit,
    )) {
      const state = await this.quietly(() => this.client.workflow.getHandle(row.workflowId).query(statusQuery));
      problems.push({
        kind: 'needs-attention',
        ...identity(row),
        ...(state?.attention ? { since: new Date(state.attention.since), detail: state.attention.reason } : {}),
      });
    }

    // DingTalk OA imports park the same way (workflows/oa-import.ts); ops retry them through the same admin routes.
    for (const row of await this.query(
      `WorkflowType = ${quote(workflowTypes.oaImport)} AND TaskQueue = ${quote(this.options.taskQueue)} AND ExecutionStatus = 'Running' AND ${ApprovalStageKey.name} = 'needs-attention'`,
      limit,
    )) {
      const state = await this.quietly(() => this.client.workflow.getHandle(row.workflowId).query(oaImportStatusQuery));
      problems.push({
        kind: 'needs-attention',
        ...identity(row),
        billNo:
          state?.attention?.billNo ?? `钉钉审批 ${state?.processInstanceId ?? row.workflowId.replace(/^oa:/, '')}`,
        ...(state?.attention
          ? { since: new Date(state.attention.since), detail: `导入金蝶：${state.attention.reason}` }
          : {}),
      });
    }

    const abnormal = ['Failed', 'Terminated', 'TimedOut', 'Canceled'].map((s) => `ExecutionStatus = '${s}'`);
    for (const row of await this.query(`${ours} AND (${abnormal.join(' OR ')})`, limit)) {
      const latest = await this.quietly(() => this.client.workflow.getHandle(row.workflowId).describe());
      if (latest && latest.runId !== row.runId) continue; // a later run took over (resubmitted, restarted)
      problems.push({
        kind: 'failed',
        ...identity(row),
        ...(row.closeTime ? { since: row.closeTime } : {}),
        detail: (await this.closeReason(row.workflowId, row.runId)) ?? row.status ?? 'Failed',
      });
    }

    const now = Date.now();
    const stuckAfter: Array<[ApprovalStage, number]> = [
      ['awaiting-approval', thresholds.awaitingApprovalMs ?? 3 * 24 * 3_600_000],
      ['writing-back', thresholds.writingBackMs ?? 10 * 60_000],
      ['starting', thresholds.startingMs ?? 10 * 60_000],
    ];
    for (const [stage, afterMs] of stuckAfter) {
      const query = `${ours} AND ExecutionStatus = 'Running' AND ${ApprovalStageKey.name} = ${quote(stage)}`;
      for (const row of await this.query(query, 1_000)) {
        if (problems.filter((p) => p.kind === 'stuck').length >= limit) break;
        if (now - row.startTime.getTime() < afterMs) continue; // cannot have been stuck that long
        const since = await this.lastProgress(row.workflowId, stage);
        if (!since || now - since.getTime() < afterMs) continue;
        problems.push({
          kind: 'stuck',
          ...identity(row),
          since,
          ...(stage === 'writing-back' || stage === 'starting'
            ? { detail: await this.pendingActivityError(row.workflowId) }
            : {}),
        });
      }
    }
    return problems;
  }

  /** When an approval last moved: a decision or the start of its current step; else its last history event. */
  private async lastProgress(workflowId: string, stage: ApprovalStage): Promise<Date | undefined> {
    if (stage === 'awaiting-approval') {
      const state = await this.quietly(() => this.client.workflow.getHandle(workflowId).query(statusQuery));
      const step = state?.steps[state.currentStepIndex];
      if (step) {
        const times = [step.startedAt, ...step.slots.flatMap((s) => [s.decision?.at, s.transferredAt])]
          .filter((t): t is string => typeof t === 'string')
          .map((t) => Date.parse(t));
        return new Date(Math.max(...times));
      }
    }
    const history = await this.quietly(() =>
      this.read(() =>
        this.client.workflowService.getWorkflowExecutionHistoryReverse({
          namespace: this.client.options.namespace,
          execution: { workflowId },
          maximumPageSize: 1,
        }),
      ),
    );
    const seconds = history?.history?.events?.[0]?.eventTime?.seconds;
    return seconds ? new Date(Number(seconds) * 1_000) : undefined;
  }

  /** The last error of the activity the workflow waits on (a write-back Kingdee keeps refusing, …). */
  private async pendingActivityError(workflowId: string): Promise<string | undefined> {
    const description = await this.quietly(() => this.client.workflow.getHandle(workflowId).describe());
    const pending = description?.raw.pendingActivities?.[0];
    if (!pending) return undefined;
    const type = pending.activityType?.name ?? 'activity';
    const failure = pending.lastFailure?.message;
    return `${type} attempt ${pending.attempt ?? '?'}${failure ? `: ${failure}` : ''}`;
  }

  /** Why a run closed abnormally, from its last history event. */
  private async closeReason(workflowId: string, runId: string | undefined): Promise<string | undefined> {
    const history = await this.quietly(() =>
      this.read(() =>
        this.client.workflowService.getWorkflowExecutionHistoryReverse({
          namespace: this.client.options.namespace,
          execution: { workflowId, ...(runId ? { runId } : {}) },
          maximumPageSize: 1,
        }),
      ),
    );
    const event = history?.history?.events?.[0];
    const failure = event?.workflowExecutionFailedEventAttributes?.failure ?? undefined;
    if (failure) {
      const cause = failure.cause?.message;
      return `Failed: ${failure.message ?? ''}${cause ? ` (${cause})` : ''}`;
    }
    if (event?.workflowExecutionTerminatedEventAttributes) {
      const { reason, identity: by } = event.workflowExecutionTerminatedEventAttributes;
      return `Terminated${by ? ` by ${by}` : ''}${reason ? `: ${reason}` : ''}`;
    }
    if (event?.workflowExecutionTimedOutEventAttributes) return 'TimedOut: the workflow execution timeout passed';
    if (event?.workflowExecutionCanceledEventAttributes) return 'Canceled';
    return undefined;
  }

  private async query(query: string, limit: number): Promise<PendingApproval[]> {
    const result: PendingApproval[] = [];
    await this.read(async () => {
      for await (const info of this.client.workflow.list({ query })) {
        result.push(toPending(info));
        if (result.length >= limit) break;
      }
    });
    return result;
  }

  /** A read within the RPC deadline (a Temporal that is down fails it fast instead of retrying for long). */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + (this.options.rpcTimeoutMs ?? 10_000), fn);
  }

  /** Best effort: undefined when it cannot be read (no worker for a query, …). */
  private async quietly<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.read(fn);
    } catch {
      return undefined;
    }
  }
}

function identity(row: PendingApproval) {
  return {
    workflowId: row.workflowId,
    ...(row.runId ? { runId: row.runId } : {}),
    ...(row.billNo ? { billNo: row.billNo } : {}),
    status: row.status ?? 'Unknown',
    ...((row.stage ?? row.lastStage) ? { stage: row.stage ?? row.lastStage } : {}),
  };
}

const statusByName: Record<string, ExecutionStatus> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
  TIMED_OUT: 'TimedOut',
};

function statusOf(info: Pick<WorkflowExecutionInfo, 'status'>): ExecutionStatus {
  return statusByName[info.status.name] ?? 'Unknown';
}

const stateWords: Partial<Record<ExecutionStatus, string>> = {
  Failed: 'failed',
  Terminated: 'terminated',
  TimedOut: 'timed-out',
  Canceled: 'canceled',
  ContinuedAsNew: 'continued-as-new',
  Unknown: 'unknown',
};

function toPending(info: WorkflowExecutionInfo): PendingApproval {
  const attrs = info.typedSearchAttributes;
  const memo = info.memo as { summary?: unknown } | undefined;
  const status = statusOf(info);
  const stage = attrs.get(ApprovalStageKey);
  const normal = status === 'Running' || status === 'Completed';
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    billNo: attrs.get(KingdeeBillNo),
    formId: attrs.get(KingdeeFormId),
    ...(normal ? { stage } : stage ? { lastStage: stage } : {}),
    status,
    state: normal ? (stage ?? status.toLowerCase()) : (stateWords[status] ?? status),
    approvers: attrs.get(Approvers) ?? [],
    summary: typeof memo?.summary === 'string' ? memo.summary : undefined,
    startTime: info.startTime,
    ...(info.closeTime ? { closeTime: info.closeTime } : {}),
  };
}

/**
 * A visibility-query string literal. Filter values are checked against safeFilterValue first; the task queue comes
 * from the settings: a quote or backslash in it is refused here rather than escaped (see safeFilterValue).
 */
function quote(value: string): string {
  if ([...value].some((c) => c === "'" || c === '"' || c === '\\' || c < ' ')) {
    throw new InvalidFilterError(
      `${JSON.stringify(value)} cannot be used in a visibility query (quote, backslash or control character)`,
    );
  }
  return `'${value}'`;
}
