/**
 * Decisions Temporal could not take in time, kept where a crash cannot lose them until Temporal has them.
 *
 * When the `decide` Update does not complete within DingTalk's deadline (Temporal down or slow, no worker), the
 * decision is appended to a journal file under DATA_DIR and fsync'd before the person is told "received" (common/
 * journal.ts). A background loop hands pending entries to their workflows in order as the `decideAsync` Signal and
 * marks an entry done only once Temporal has acknowledged the signal (a signal Temporal acknowledged is in the
 * workflow's history), or once the approval turns out to have ended. The same loop runs at start-up, so entries left
 * by a crash are delivered by the next bridge on the same DATA_DIR. A replay after a crash between the signal and
 * its done line sends the signal twice: harmless, decisions are idempotent per (step, person) in the workflow.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Journal, readJournalFile, type JournalRecord } from '../common/journal';
import { silentLogger, type Logger } from '../common/logger';
import { decideSignal, type DecisionInput } from '../workflows/contract';
import { isInvalidArgument, isNotFound } from './errors';

export interface JournaledDecision {
  workflowId: string;
  decision: DecisionInput;
}

/** How a journal entry was dealt with (written on its done line). */
export type ReplayOutcome = 'delivered' | 'ended' | 'notFound' | 'invalid';

/** The journal of one deployment (namespace and task queue) inside DATA_DIR. */
export function decisionJournalFile(dataDir: string, namespace: string, taskQueue: string): string {
  const safe = (s: string) => s.replace(/[^\w.-]/g, '_');
  return path.resolve(dataDir, 'decision-journal', `${safe(namespace)}.${safe(taskQueue)}.jsonl`);
}

/** Pending entries of a journal file, without opening it for writing (`npm run doctor`). */
export function readDecisionJournal(file: string): Array<JournalRecord<JournaledDecision>> {
  return readJournalFile<JournaledDecision>(file).pending;
}

/** A decision is for the run that was open when it was made: a run started later (a resubmission) is not it. */
const clockSkewMs = 60_000;

export interface DecisionJournalOptions {
  logger?: Logger;
  /** First wait before trying again after Temporal did not take an entry; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Deadline of each call to Temporal while replaying. */
  rpcTimeoutMs?: number;
}

export class DecisionJournal {
  private readonly journal: Journal<JournaledDecision>;
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private again = false;
  /** idle: not started (replayOnce may still be called); running: the loop is on; stopped: for good. */
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private wait: number;

  constructor(
    private readonly client: Client,
    readonly file: string,
    private readonly options: DecisionJournalOptions = {},
  ) {
    this.journal = new Journal<JournaledDecision>(file);
    this.log = options.logger ?? silentLogger;
    this.wait = options.retryMs ?? 1_000;
  }

  /** Append and fsync; resolves once the decision is on disk (then it is handed over in the background). */
  async store(workflowId: string, decision: DecisionInput): Promise<void> {
    const record = await this.journal.append({ workflowId, decision });
    this.log.warn(
      { workflowId, userId: decision.userId, action: decision.action, entry: record.id, file: this.file },
      'decision kept in the journal until Temporal takes it',
    );
    this.kick();
  }

  /** Whether decisions for this approval still wait in the journal (a later one must queue behind them). */
  hasPendingFor(workflowId: string): boolean {
    return this.journal.pendingNow().some((r) => r.data.workflowId === workflowId);
  }

  pendingCount(): number {
    return this.journal.pendingNow().length;
  }

  /** Load what an earlier process left and keep handing entries over until stop(). */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    try {
      const pending = await this.journal.pending();
      if (pending.length > 0) {
        this.log.warn(
          { pending: pending.length, file: this.file },
          'decisions from before the last stop are waiting in the journal; handing them to Temporal',
        );
      }
    } catch (err) {
      // Keep running: the loop tries again, and new decisions fall back to a signal meanwhile.
      this.log.error({ err: String(err), file: this.file }, 'the decision journal cannot be read');
    }
    this.kick();
  }

  /** Replay now (a new entry, or Temporal may be back). */
  kick(): void {
    if (this.state !== 'running') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.replayOnce()
      .then(
        ({ remaining, progressed }) => {
          if (progressed) this.wait = this.options.retryMs ?? 1_000;
          return remaining;
        },
        (err: unknown) => {
          this.log.error({ err: String(err), file: this.file }, 'decision journal replay failed');
          return this.pendingCount();
        },
      )
      .then((remaining) => {
        this.pass = undefined;
        if (this.state !== 'running') return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else if (remaining > 0) {
          this.timer = setTimeout(() => this.kick(), this.wait);
          this.timer.unref();
          this.wait = Math.min(this.wait * 2, this.options.maxRetryMs ?? 30_000);
        }
      });
  }

  /** Hand every pending entry over, in order; stops at the first one Temporal cannot take now. */
  async replayOnce(): Promise<{ delivered: number; remaining: number; progressed: boolean }> {
    let delivered = 0;
    let progressed = false;
    for (const record of await this.journal.pending()) {
      if (this.state === 'stopped') break;
      const outcome = await this.deliver(record);
      if (outcome === 'retry') break;
      await this.journal.markDone(record.id, outcome);
      progressed = true;
      if (outcome === 'delivered') delivered += 1;
    }
    return { delivered, remaining: this.pendingCount(), progressed };
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
    await this.journal.close();
  }

  private async deliver(record: JournalRecord<JournaledDecision>): Promise<ReplayOutcome | 'retry'> {
    const { workflowId, decision } = record.data;
    const deadline = () => Date.now() + (this.options.rpcTimeoutMs ?? 5_000);
    const context = { workflowId, userId: decision.userId, action: decision.action, entry: record.id };
    try {
      const description = await this.client.withDeadline(deadline(), () =>
        this.client.workflow.getHandle(workflowId).describe(),
      );
      const madeAt = Date.parse(record.at);
      if (description.status.name !== 'RUNNING' || description.startTime.getTime() > madeAt + clockSkewMs) {
        this.log.warn(
          { ...context, status: description.status.name },
          'a journaled decision was not applied: its approval had ended',
        );
        return 'ended';
      }
      await this.client.withDeadline(deadline(), () =>
        this.client.workflow.getHandle(workflowId, description.runId).signal(decideSignal, decision),
      );
      this.log.info(context, 'journaled decision handed to Temporal');
      return 'delivered';
    } catch (err) {
      if (isNotFound(err)) {
        // The run closed between describe and signal, or the approval never existed.
        this.log.warn({ ...context, err: String(err) }, 'a journaled decision was not applied: no open approval');
        return err instanceof Error && /completed|closed/i.test(err.message) ? 'ended' : 'notFound';
      }
      if (isInvalidArgument(err)) {
        this.log.error({ ...context, err: String(err) }, 'Temporal refused a journaled decision as invalid');
        return 'invalid';
      }
      this.log.debug({ ...context, err: String(err) }, 'Temporal cannot take journaled decisions yet');
      return 'retry';
    }
  }
}
