/**
 * The dev server (scripts/temporal-cli.ts) reads search attributes from its cache, as production does, only when its
 * database is new: an existing one keeps the CLI's refresh on every read, so a search attribute that registering adds
 * to it at start can be used at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-cli';

let dir: string;
let server: DevServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kdb-dev-server-'));
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

it('lets a search attribute added to an existing database be used at once', async () => {
  const dbFilename = path.join(dir, 'temporal.db');
  const port = await freePort();
  server = await startDevServer({ ui: false, port, dbFilename, log: () => undefined });
  const first = await Connection.connect({ address: server.address });
  // Warm the server's search-attribute cache before it stops: a cold cache would hide the difference.
  await new Client({ connection: first }).workflow.start('noSuchWorkflow', {
    taskQueue: 'dev-server-test',
    workflowId: 'before-restart',
    searchAttributes: { KingdeeBillNo: ['FYBX000001'] },
  });
  await first.close();
  await server.stop();

  server = await startDevServer({ ui: false, port, dbFilename, log: () => undefined });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    await client.workflow.start('noSuchWorkflow', {
      taskQueue: 'dev-server-test',
      workflowId: 'warm-cache',
      searchAttributes: { KingdeeBillNo: ['FYBX000002'] },
    });
    await connection.operatorService.addSearchAttributes({
      namespace: server.namespace,
      searchAttributes: { DevServerProbe: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });

    const handle = await client.workflow.start('noSuchWorkflow', {
      taskQueue: 'dev-server-test',
      workflowId: 'after-adding',
      searchAttributes: { DevServerProbe: ['added at runtime'] },
    });
    const description = await handle.describe();
    expect(description.searchAttributes.DevServerProbe).toEqual(['added at runtime']);
  } finally {
    await connection.close();
  }
}, 120_000);
