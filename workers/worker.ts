/**
 * Worker wiring: one place that turns a connection, a task queue and the activities into a running Worker.
 * Production, the demo and the tests all come through here; only the activities' dependencies differ.
 *
 * Six workers per process, each with its own slots: the approvals' worker (every workflow, including the notice
 * outboxes, and the approvals' activities); the card workers on `<taskQueue>-card-sends`, `-card-updates`, `-todos`
 * and `-todo-updates` (the approval cards and 待办), whose dispatch Temporal itself limits to DingTalk's 20 calls a
 * second (DINGTALK_API_QPS) for every worker process together, so a burst's cards wait in Temporal's queue, not in a
 * slot; and the notices' worker on `<taskQueue>-notices` (only the outboxes' sends), paced by the outbox workflows. Nothing an approval waits for
 * (planning, decisions, the write-back) shares a slot with a send that waits for a DingTalk quota.
 *
 * Memory (README "Capacity"): the workflow cache is capped (`maxCachedWorkflows`, WORKER_MAX_CACHED_WORKFLOWS), so any
 * number of waiting approvals costs a bounded amount; the workflows run in one reused V8 context (the SDK's default,
 * kept explicitly); and the bundle is built ahead (WORKER_WORKFLOW_BUNDLE) or in a child process, so the bundler's
 * ~120 MB never stay in the worker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { dingtalkLimits } from '../integrations/dingtalk';
import {
  cardSendsTaskQueue,
  cardUpdatesTaskQueue,
  noticesTaskQueue,
  todosTaskQueue,
  todoUpdatesTaskQueue,
} from '../workflows/contract';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** A pre-built bundle (tests share one, WORKER_WORKFLOW_BUNDLE); otherwise bundled at start-up in a child process. */
  workflowBundlePath?: string;
  /** Frames in a stack trace taken inside workflow code (WORKER_WORKFLOW_STACK_FRAMES); unset: V8's, as elsewhere. */
  workflowStackFrames?: number;
  options?: Partial<WorkerOptions>;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const bundled = setup.workflowBundlePath ? undefined : await bundleWorkflowsApart();
  const codePath = setup.workflowBundlePath ?? bundled?.codePath;
  const restoreStackFrames = stackFramesForNewContexts(setup.workflowStackFrames);
  try {
    return await Worker.create({
      connection: setup.connection,
      namespace: setup.namespace,
      taskQueue: setup.taskQueue,
      activities: setup.activities,
      reuseV8Context: true,
      // No writable temporary directory: bundled in this process after all.
      ...(codePath ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('../workflows') }),
      ...setup.options,
    });
  } finally {
    restoreStackFrames();
    // Worker.create has read the code into its workflow thread: the file is no longer needed.
    bundled?.remove();
  }
}

/** Callers of stackFramesForNewContexts not done yet, and the limit to set back once none is left. */
let stackFrameSetters = 0;
let framesBefore = 10;

/**
 * Sets how many frames a stack trace has in the V8 contexts created from now until the returned function is called:
 * V8 gives each new context `Error.stackTraceLimit` from its --stack-trace-limit flag. Worker.create makes its
 * workflow threads and their sandbox in that time, so the limit holds in workflow code only (where the SDK freezes
 * `Error`, so workflow code cannot set it) and this process's own stack traces keep theirs. Workers created at the
 * same time (tests) set it back once the last is done.
 */
export function stackFramesForNewContexts(frames: number | undefined): () => void {
  if (frames === undefined) return () => undefined;
  if (stackFrameSetters === 0) {
    const before: unknown = vm.runInNewContext('Error.stackTraceLimit');
    framesBefore = typeof before === 'number' ? before : 10;
  }
  stackFrameSetters += 1;
  v8.setFlagsFromString(`--stack-trace-limit=${frames}`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    stackFrameSetters -= 1;
    if (stackFrameSetters === 0) v8.setFlagsFromString(`--stack-trace-limit=${framesBefore}`);
  };
}

/**
 * The workflows bundled by `bundleWorkflowCode` in a child process (the same Node and loader flags as this one), into
 * a temporary file: webpack's modules and caches would otherwise stay in the worker's heap for its whole life.
 */
async function bundleWorkflowsApart(): Promise<{ codePath: string; remove: () => void } | undefined> {
  let dir: string;
  try {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kdb-workflows-'));
  } catch {
    return undefined;
  }
  const codePath = path.join(dir, 'workflow-bundle.js');
  const script = `
    const { bundleWorkflowCode } = require(${JSON.stringify(require.resolve('@temporalio/worker'))});
    bundleWorkflowCode({ workflowsPath: ${JSON.stringify(require.resolve('../workflows'))}, logger: undefined })
      .then(({ code }) => require('node:fs').writeFileSync(${JSON.stringify(codePath)}, code))
      .catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });`;
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [...loaderFlags(process.execArgv), '-e', script],
        { maxBuffer: 16 * 1024 * 1024 },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`bundling the workflows failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { codePath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** This process's Node flags minus profiling and debugging (a child must not write a CPU profile or open a port). */
function loaderFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (/^--(cpu-prof|heap-prof|inspect)/.test(arg)) {
      // Their values: --cpu-prof-dir <dir>, --cpu-prof-name <name> …
      if (/^--(cpu|heap)-prof-\w+$/.test(arg)) i += 1;
      continue;
    }
    flags.push(arg);
  }
  return flags;
}

export interface NoticeWorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** The approvals' task queue; this worker polls `<taskQueue>-notices`. */
  taskQueue: string;
  /** createNoticeActivities(…): sendNotice and reportNoticeProblem. */
  activities: object;
  options?: Partial<WorkerOptions>;
}

/**
 * The notices' worker: activities only, no workflows. Each outbox sends at most a few messages at once, so a modest
 * number of slots serves every channel; they are never shared with the approvals.
 */
export async function createNoticeWorker(setup: NoticeWorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: noticesTaskQueue(setup.taskQueue),
    activities: setup.activities,
    maxConcurrentActivityTaskExecutions: 50,
    ...setup.options,
  });
}

export interface CardWorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** The approvals' task queue; these workers poll its `-card-sends`, `-card-updates`, `-todos`, `-todo-updates`. */
  taskQueue: string;
  /** The approvals' activities (the same object as the approvals' worker: card and 待办 activities among them). */
  activities: object;
  /** Calls a second per DingTalk API (DINGTALK_API_QPS; DingTalk's 20 unless raised for the app). */
  perSecond?: number;
}

/**
 * The card and 待办 workers: activities only. `maxTaskQueueActivitiesPerSecond` is enforced by Temporal's matching
 * service for the task queue, across every worker process that polls it, so the deployment as a whole starts at most
 * DingTalk's per-API rate of card activities a second (a send to several approvers makes one call each; the client's
 * own per-process limiter catches the rest). Creating cards, updating them, creating 待办 and closing them are DingTalk
 * APIs with a rate each, and four queues: an approver's clicked card is updated, and the 待办 created and closed,
 * while a burst's new cards still wait.
 */
export async function createCardWorkers(setup: CardWorkerSetup): Promise<Worker[]> {
  return Promise.all(
    [cardSendsTaskQueue, cardUpdatesTaskQueue, todosTaskQueue, todoUpdatesTaskQueue].map((queueOf) =>
      Worker.create({
        connection: setup.connection,
        namespace: setup.namespace,
        taskQueue: queueOf(setup.taskQueue),
        activities: setup.activities,
        maxTaskQueueActivitiesPerSecond: setup.perSecond ?? dingtalkLimits.api.perSecond,
        maxConcurrentActivityTaskExecutions: 50,
      }),
    ),
  );
}
