/**
 * Worker wiring: one place that turns a connection, a task queue and the activities into a running Worker.
 * Production, the demo and the tests all come through here; only the activities' dependencies differ.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

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
