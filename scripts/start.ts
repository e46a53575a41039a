/**
 * `npm start`: the whole service in one process tree. Without TEMPORAL_ADDRESS it starts a local Temporal dev
 * server (Web UI on, state kept in DATA_DIR across restarts), then the worker. Ctrl-C / SIGTERM stops everything.
 */
import 'dotenv/config';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../common/logger';
import { onShutdown } from '../common/shutdown';
import { loadSettings } from '../config/env';
import { createWorker } from '../workers/worker';
import { registerSearchAttributes, startDevServer, type DevServer } from './temporal-cli';

async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  const log = createLogger({ level: settings.logLevel });
  const stack: Array<{ name: string; stop: () => Promise<void> }> = [];
  let stopping = false;
  const stopAll = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    for (const part of stack.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log.error({ err, part: part.name }, 'failed to stop cleanly');
      }
    }
  };
  onShutdown(stopAll);

  try {
    let address = settings.temporal.address;
    let uiUrl = settings.temporal.uiUrl;
    if (!address) {
      const server: DevServer = await startDevServer({
        port: settings.temporal.devServer.port,
        uiPort: settings.temporal.devServer.uiPort,
        namespace: settings.temporal.namespace,
        dbFilename: path.resolve(settings.dataDir, 'temporal.db'),
        logLevel: 'warn',
        log: (line) => log.info(line),
      });
      stack.push({ name: 'temporal dev server', stop: server.stop });
      address = server.address;
      uiUrl = server.uiUrl;
    } else {
      // An existing namespace (production database) skips start-dev's --search-attribute: register them here.
      await registerSearchAttributes(address, settings.temporal.namespace);
    }

    const connection = await NativeConnection.connect({ address });
    const worker = await createWorker({
      connection,
      namespace: settings.temporal.namespace,
      taskQueue: settings.temporal.taskQueue,
      activities: {},
    });
    const running = worker.run();
    stack.push({
      name: 'worker',
      stop: async () => {
        worker.shutdown();
        await running;
        await connection.close();
      },
    });
    running.catch((err: unknown) => {
      log.error({ err }, 'worker stopped unexpectedly');
      void stopAll('worker failure').then(() => process.exit(1));
    });

    console.log(
      [
        '',
        'kingdee-dingtalk-bridge is running',
        `  Temporal:        ${address} (namespace ${settings.temporal.namespace})`,
        `  Temporal Web UI: ${uiUrl ?? '(external server: set TEMPORAL_UI_URL)'}`,
        `  Worker:          task queue ${settings.temporal.taskQueue}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await stopAll('start-up failed');
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
