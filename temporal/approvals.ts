/**
 * The Temporal client of approval workflows: the one place that talks to them from outside (the API's card and
 * bot handlers, admin REST, ingestion activities, tests): start, decide, query, list, admin actions. Callers never
 * build workflow ids, handler names or visibility queries themselves.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { silentLogger, type Logger } from '../common/logger';
import {
  adminUpdate,
  approvalWorkflowId,
  decideSignal,
  decideUpdate,
  documentChangedSignal,
  statusQuery,
  type AdminAction,
  type ApprovalStage,
  type ApprovalState,
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

export type DecideOutcome =
  | { kind: 'accepted'; result: DecisionResult }
  /** The workflow refused the decision (not an approver, stale card, already decided …); nothing changed. */
  | { kind: 'refused'; message: string }
  /** The workflow could not answer in time; the decision was handed over durably and will be applied. */
  | { kind: 'queued' }
  /** The approval has ended (approved, rejected, closed in Kingdee …): its last state says how and by whom. */
  | { kind: 'ended'; state: ApprovalState }
  /** Temporal cannot take the decision now and it could not be stored either: the person must try again later. */
  | { kind: 'unavailable' }
  | { kind: 'notFound' };

export interface ApprovalServiceOptions {
  taskQueue: string;
  /** How long a decision may wait for the workflow before the caller is answered "processing" (DingTalk waits 2 s). */
  decideDeadlineMs?: number;
  logger?: Logger;
}

export interface PendingApproval {
  workflowId: string;
  billNo?: string;
  formId?: string;
  stage?: string;
  approvers: string[];
  summary?: string;
  startTime: Date;
}

export class ApprovalService {
  private readonly log: Logger;
  private readonly deadlineMs: number;

  constructor(
    private readonly client: Client,
    private readonly options: ApprovalServiceOptions,
  ) {
    this.log = options.logger ?? silentLogger;
    this.deadlineMs = options.decideDeadlineMs ?? 1_500;
  }

  /**
   * Start the approval of a document, idempotently: a running approval is left alone, and a finished one is only
   * followed by a new run (same workflow id) when Kingdee shows a newer version of the document (a resubmission).
   */
  async start(
    ref: DocumentRef,
    options: { modifyDate: string; summary?: string },
  ): Promise<{ workflowId: string; started: boolean; reason?: string }> {
    const workflowId = approvalWorkflowId(ref);
    try {
      const latest = await this.client.workflow.getHandle(workflowId).describe();
      if (latest.status.name === 'RUNNING') return { workflowId, started: false, reason: 'running' };
      const memo = latest.memo as { modifyDate?: unknown } | undefined;
      if (typeof memo?.modifyDate === 'string' && memo.modifyDate >= options.modifyDate) {
        return { workflowId, started: false, reason: 'this version was already handled' };
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError || isNotFound(err))) throw err;
    }
    try {
      const args: [ApprovalWorkflowInput] = [{ document: ref }];
      await this.client.workflow.start(workflowTypes.approval, {
        taskQueue: this.options.taskQueue,
        workflowId,
        args,
        memo: { modifyDate: options.modifyDate },
        staticSummary: options.summary,
        workflowIdConflictPolicy: 'FAIL',
      });
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false, reason: 'running' };
      throw err;
    }
  }

  /**
   * Apply a decision. Tries the `decide` Update within the deadline, so the caller gets the real answer; if the
   * workflow cannot take it in time (worker down, server slow) the same decision goes in as a Signal, which
   * Temporal keeps durably, and the caller is told it is queued. Decisions are idempotent per (step, person), so
   * an Update that is applied late as well changes nothing twice.
   */
  async decide(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      const result = await this.client.withDeadline(Date.now() + this.deadlineMs, () =>
        handle.executeUpdate(decideUpdate, { args: [decision] }),
      );
      return { kind: 'accepted', result };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
        return { kind: 'refused', message: cause?.message ?? err.message };
      }
      if (err instanceof WorkflowNotFoundError || isNotFound(err)) return { kind: 'notFound' };
      this.log.warn(
        { workflowId, err: String(err) },
        'decision update did not complete in time; sending it as a signal',
      );
    }
    await this.signalDurably(workflowId, decision);
    return { kind: 'queued' };
  }

  /** Signals are stored by the server once acknowledged; keep trying in the background until one is. */
  private async signalDurably(workflowId: string, decision: DecisionInput): Promise<void> {
    const handle = this.client.workflow.getHandle(workflowId);
    const send = async (attempt: number): Promise<void> => {
      try {
        await handle.signal(decideSignal, decision);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError || attempt >= 30) {
          this.log.error({ workflowId, decision, err: String(err) }, 'could not hand a decision to the workflow');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * 2 ** attempt, 60_000)));
        return send(attempt + 1);
      }
    };
    try {
      await this.client.withDeadline(Date.now() + this.deadlineMs, () => handle.signal(decideSignal, decision));
    } catch {
      void send(1);
    }
  }

  async status(workflowId: string): Promise<ApprovalState | undefined> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || isNotFound(err)) return undefined;
      throw err;
    }
  }

  async admin(
    workflowId: string,
    action: AdminAction,
  ): Promise<{ ok: true; stage: ApprovalStage } | { ok: false; message: string }> {
    try {
      const stage = await this.client.workflow.getHandle(workflowId).executeUpdate(adminUpdate, { args: [action] });
      return { ok: true, stage };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        return { ok: false, message: err.cause instanceof ApplicationFailure ? err.cause.message : err.message };
      }
      throw err;
    }
  }

  async documentChanged(ref: DocumentRef, change: DocumentChange): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(approvalWorkflowId(ref)).signal(documentChangedSignal, change);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || isNotFound(err)) return false;
      throw err;
    }
  }

  /** Approvals matching a visibility query built from simple filters (values are quoted, never interpolated raw). */
  async list(filter: {
    stage?: string;
    approver?: string;
    formId?: string;
    billNo?: string;
    limit?: number;
  }): Promise<PendingApproval[]> {
    // One deployment = one task queue: the namespace may be shared, the list is ours only.
    const clauses = [`WorkflowType = ${quote(workflowTypes.approval)}`, `TaskQueue = ${quote(this.options.taskQueue)}`];
    if (filter.stage) clauses.push(`${ApprovalStageKey.name} = ${quote(filter.stage)}`);
    if (filter.approver) clauses.push(`${Approvers.name} = ${quote(filter.approver)}`);
    if (filter.formId) clauses.push(`${KingdeeFormId.name} = ${quote(filter.formId)}`);
    if (filter.billNo) clauses.push(`${KingdeeBillNo.name} = ${quote(filter.billNo)}`);
    const result: PendingApproval[] = [];
    for await (const info of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      result.push(toPending(info));
      if (result.length >= (filter.limit ?? 100)) break;
    }
    return result;
  }
}

function toPending(info: WorkflowExecutionInfo): PendingApproval {
  const attrs = info.typedSearchAttributes;
  const memo = info.memo as { summary?: unknown } | undefined;
  return {
    workflowId: info.workflowId,
    billNo: attrs.get(KingdeeBillNo),
    formId: attrs.get(KingdeeFormId),
    stage: attrs.get(ApprovalStageKey),
    approvers: attrs.get(Approvers) ?? [],
    summary: typeof memo?.summary === 'string' ? memo.summary : undefined,
    startTime: info.startTime,
  };
}

/** A visibility-query string literal: quotes and backslashes escaped. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 5;
}
