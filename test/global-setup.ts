/**
 * One Temporal dev server (free ports, its SQLite store in a file in RAM) and one workflow bundle for the whole jest
 * run. Test files read where they are from the environment (see test/helpers/temporal.ts).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../scripts/temporal-cli';

declare global {
  var __TEMPORAL_DEV_SERVER__: DevServer | undefined;
  var __TEMPORAL_DEV_SERVER_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  // The dev server's default in-memory SQLite store once vanished mid-run in CI (every call then failed with
  // "GetNamespace operation failed … interrupted (9)"; upstream temporalio/temporal#3784, #8017). A file-backed store
  // does not depend on a connection staying open; on tmpfs it costs no disk I/O.
  const serverDir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'kdb-temporal-'));
  globalThis.__TEMPORAL_DEV_SERVER_DIR__ = serverDir;
  const [server, bundle] = await Promise.all([
    startDevServer({ ui: true, dbFilename: path.join(serverDir, 'temporal.db') }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger }),
  ]);
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  const dir = mkdtempSync(path.join(tmpdir(), 'kdb-test-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_TEMPORAL_NAMESPACE = server.namespace;
  process.env.TEST_TEMPORAL_UI_URL = server.uiUrl ?? '';
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  console.log(
    `\nTemporal dev server ${server.address} (UI ${server.uiUrl}), CLI from ${server.cli.source}: ${server.cli.path}`,
  );
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
