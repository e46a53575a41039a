/**
 * DingTalk 待办 (Todo) for an approval: one per person who may decide on a step (title, due date = the step's
 * escalation time, a link to the document), created with their card and closed — done for whoever decided, removed
 * for the others — when they decide, the step ends or the approval closes. Each is created and closed once: this
 * class remembers what it did, and the activities are idempotent (sourceId per workflow, round, step and person;
 * closing a task DingTalk no longer has counts as done), so a retried phase or activity never makes two.
 *
 * Creating them may also run beside the decisions (`begin`, patch todosBesideDecisions): a 待办 waits for DingTalk's
 * rate on its task queue, and an approver who already has the card must not wait for it. Closing waits for the
 * creations under way (it needs their task ids) — but not for a creation still waiting out the rules' `todos.after`:
 * that one asks only for whoever is still to decide when it runs, and none once the approval has ended. A creation
 * that failed is raised by `raiseFailure` or the next close.
 */
import * as texts from '../../domain/texts';
import type { DocumentSummary } from '../../domain/document';
import type { StepState } from '../contract';
import { waitingUserIds } from './decisions';
import { todoCreates, todoUpdates } from './proxies';

interface OpenTodo {
  stepId: string;
  userId: string;
  unionId: string;
  taskId: string;
}

export class ApprovalTodos {
  private readonly open: OpenTodo[] = [];
  /** `${stepId}|${userId}` for everyone a 待办 was asked for (also those DingTalk had no unionId for). */
  private readonly asked = new Set<string>();
  /** Creations begun beside the decisions, in order; never rejects (a failure is kept in `failure`). */
  private creating?: Promise<void>;
  /** … of which those whose activity is under way (not waiting out `todos.after`), and how many still wait. */
  private readonly underway = new Set<Promise<void>>();
  private deferred = 0;
  /** Every 待办 has been closed for good (closeAll): a creation that still waited asks for none. */
  private ended = false;
  private failure?: Error;

  /**
   * @param enabled false when replaying a run from before 待办 existed (no activities then).
   */
  constructor(
    private readonly workflowId: string,
    private readonly round: string | undefined,
    readonly enabled: boolean,
  ) {}

  /** A 待办 for everyone on the step who may still decide and has none yet. */
  async create(
    document: DocumentSummary,
    step: StepState,
    input: { dueTime?: number; urgent: boolean },
  ): Promise<void> {
    if (!this.enabled || step.outcome) return;
    const fresh = waitingUserIds(step).filter((userId) => !this.asked.has(`${step.id}|${userId}`));
    if (fresh.length === 0) return;
    // Asked from now on, so a creation running meanwhile (begun beside the decisions) does not ask again.
    for (const userId of fresh) this.asked.add(`${step.id}|${userId}`);
    try {
      const created = await todoCreates().createApprovalTodos({
        workflowId: this.workflowId,
        ...(this.round ? { round: this.round } : {}),
        stepId: step.id,
        userIds: fresh,
        subject: texts.todoSubject(document, input.urgent),
        description: texts.todoDescription(document, step.name),
        ...(input.dueTime !== undefined ? { dueTime: input.dueTime } : {}),
        ...(document.link ? { link: document.link } : {}),
      });
      for (const todo of created) this.open.push({ stepId: step.id, ...todo });
    } catch (err) {
      for (const userId of fresh) this.asked.delete(`${step.id}|${userId}`); // a retried phase asks again
      throw err;
    }
  }

  /**
   * `create`, without waiting for it: the decisions go on meanwhile. `waitFirst` (the rules' `todos.after`) is awaited
   * before: whoever decided by then gets no 待办.
   */
  begin(
    document: DocumentSummary,
    step: StepState,
    input: { dueTime?: number; urgent: boolean },
    waitFirst?: () => Promise<unknown>,
  ): void {
    const previous = this.creating ?? Promise.resolve();
    const keepFailure = (err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    };
    if (!waitFirst) {
      // Exactly the chain runs recorded before `todos.after` existed: the same commands in the same order.
      this.creating = previous.then(() => this.create(document, step, input)).catch(keepFailure);
      return;
    }
    this.deferred += 1;
    this.creating = previous
      .then(waitFirst)
      .then(() => {
        this.deferred -= 1;
        if (this.ended) return;
        const creation = this.create(document, step, input).catch(keepFailure);
        this.underway.add(creation);
        return creation.then(() => void this.underway.delete(creation));
      })
      .catch(keepFailure);
  }

  /** Whether a creation begun beside the decisions failed (for good: its activity retries what can be retried). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Throw a begun creation's failure, once: the approval parks, and a retry asks for the 待办 again. */
  raiseFailure(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  /** Close the step's 待办 of everyone who may no longer decide on it (all of them once it has an outcome). */
  async settle(step: StepState): Promise<void> {
    await this.creationsDone();
    const waiting = new Set(step.outcome ? [] : waitingUserIds(step));
    await this.close(
      this.open.filter((todo) => todo.stepId === step.id && !waiting.has(todo.userId)),
      new Map([[step.id, step]]),
    );
  }

  /** The approval ended (outcome, closed in Kingdee, resolved by an admin): every open 待办 is closed. */
  async closeAll(steps: readonly StepState[]): Promise<void> {
    this.ended = true;
    await this.creationsDone();
    await this.close([...this.open], new Map(steps.map((s) => [s.id, s])));
  }

  /**
   * Wait for the creations begun beside the decisions (closing needs their task ids); raise one that failed. While
   * one waits out `todos.after`, only for those under way: the waiting one may take up to `after` (it asks only for
   * whoever is still to decide then, so nothing it makes needs this close).
   */
  private async creationsDone(): Promise<void> {
    if (this.deferred === 0) await this.creating;
    else await Promise.all(this.underway);
    this.raiseFailure();
  }

  private async close(todos: OpenTodo[], steps: ReadonlyMap<string, StepState>): Promise<void> {
    if (!this.enabled || todos.length === 0) return;
    await todoUpdates().closeApprovalTodos({
      todos: todos.map((todo) => ({
        unionId: todo.unionId,
        taskId: todo.taskId,
        how: acted(steps.get(todo.stepId), todo.userId) ? ('done' as const) : ('delete' as const),
      })),
    });
    // Only once DingTalk has them: a close that failed is tried again when the phase is retried.
    for (const todo of todos) this.open.splice(this.open.indexOf(todo), 1);
  }
}

/** Whether the person acted on the step themselves (decided, or handed their seat on). */
function acted(step: StepState | undefined, userId: string): boolean {
  return step?.slots.some((slot) => slot.decision?.by === userId || slot.transferredFrom?.includes(userId)) ?? false;
}
