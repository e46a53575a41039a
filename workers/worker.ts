/**
 * Worker wiring: one place that turns a connection, a task queue and the activities into a running Worker.
 * Production, the demo and the tests all come through here; only the activities' dependencies differ.
 *
 * Two workers per process: the approvals' worker (every workflow, including the notice outboxes, and the approvals'
 * activities) and the notices' worker on `<taskQueue>-notices` (only the outboxes' sends), so a send never holds a
 * slot an approval's activity waits for. Pacing is not the worker's business: the outbox workflows pace.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { noticesTaskQueue } from '../workflows/contract';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** A pre-built bundle (tests share one); otherwise the workflows are bundled at start-up. */
  workflowBundlePath?: string;
  options?: Partial<WorkerOptions>;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: setup.activities,
    ...(setup.workflowBundlePath
      ? { workflowBundle: { codePath: setup.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    ...setup.options,
  });
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
