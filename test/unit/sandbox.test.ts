/**
 * The pure helpers run inside Temporal's workflow sandbox (no node: modules, no system clock): bundle a workflow
 * that uses them, run it on the shared dev server, and compare with the same code run directly in Node.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadRules } from '../../rules';
import { snapshotRules } from '../../rules/plan';
import type { DocumentSummary } from '../../domain/document';
import { expenseClaim } from '../helpers/documents';
import { connectClient, temporalAddress, temporalNamespace, uniqueTaskQueue } from '../helpers/temporal';
import { runPureHelpers, type PureHelpersInput } from './fixtures/pure-helpers-workflow';

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

const document: DocumentSummary = {
  ...expenseClaim,
  acctId: '62f1a9b3c4d5e6',
  amount: 68_000,
  lines: [{ name: '差旅费', amount: 68_000 }],
};

beforeAll(() => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process by another test file: its logger stays.
  }
});

it('plans, counts business hours, hashes and formats identically inside the workflow sandbox', async () => {
  const rules = loadRules(path.join(__dirname, '../../config/rules.example.yaml'));
  const input: PureHelpersInput = {
    snapshot: snapshotRules(rules, 'ER_ExpReimbursement'),
    document,
    startMs: Date.parse('2026-11-20T17:00:00+08:00'), // a Friday evening
  };
  const expected = runPureHelpers(input);
  expect(expected.steps).toEqual(['dept-manager', 'finance-manager', 'cfo']);
  expect(expected.remindAt).toBe(Date.parse('2026-11-23T12:00:00+08:00'));

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/pure-helpers-workflow'),
    logger: quiet,
  });
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const taskQueue = uniqueTaskQueue('pure-helpers');
  const worker = await Worker.create({ connection, namespace: temporalNamespace(), taskQueue, workflowBundle: bundle });
  const temporal = await connectClient();
  try {
    const result = await worker.runUntil(
      temporal.client.workflow.execute('pureHelpersWorkflow', {
        taskQueue,
        workflowId: `pure-helpers-${taskQueue}`,
        args: [input],
      }),
    );
    expect(result).toEqual(JSON.parse(JSON.stringify(expected)));
  } finally {
    await temporal.close();
    await connection.close();
  }
});
