/**
 * Test access to the run's shared Temporal dev server: a client, and a Worker on a unique task queue that uses the
 * pre-built workflow bundle, so no test file pays for bundling.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createCardWorkers, createWorker } from '../../workers/worker';
import { freePort } from '../../scripts/temporal-cli';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest so test/global-setup.ts starts Temporal`);
  return value;
}

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export const temporalAddress = (): string => required('TEST_TEMPORAL_ADDRESS');
export const temporalNamespace = (): string => required('TEST_TEMPORAL_NAMESPACE');
export const uniqueTaskQueue = (prefix = 'test'): string => `${prefix}-${randomUUID()}`;

let metricsPort: Promise<string> | undefined;
/**
 * WORKER_METRICS_PORT for services started in this test process: one free port per jest worker process. With the
 * default (9464) two jest workers race for one port, and the SDK's runtime, re-created after a test stopped every
 * worker, cannot bind it again ("Address already in use").
 */
export function workerMetricsPort(): Promise<string> {
  metricsPort ??= freePort().then(String);
  return metricsPort;
}

export interface TestTemporal {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function connectClient(): Promise<TestTemporal> {
  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection, namespace: temporalNamespace() });
  return { client, connection, close: () => connection.close() };
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  /** Stop the worker and wait until it has shut down. */
  stop(): Promise<void>;
}

/** Start a Worker on its own task queue (or the given one) with the shared bundle; it runs until stop(). */
export async function startTestWorker(
  activities: object = {},
  taskQueue = uniqueTaskQueue(),
  options: { workflowStackFrames?: number } = {},
): Promise<TestWorker> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await createWorker({
    connection,
    namespace: temporalNamespace(),
    taskQueue,
    activities,
    workflowBundlePath: required('TEST_WORKFLOW_BUNDLE'),
    ...options,
  });
  // The approval workflows send their cards on task queues of their own (workers/worker.ts); a worker without
  // activities (workflows only) has nothing to serve there.
  const cardWorkers =
    Object.keys(activities).length > 0
      ? await createCardWorkers({ connection, namespace: temporalNamespace(), taskQueue, activities })
      : [];
  const running = [worker, ...cardWorkers].map((w) => w.run());
  return {
    worker,
    taskQueue,
    stop: async () => {
      for (const w of [worker, ...cardWorkers]) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(running);
      await connection.close();
    },
  };
}
