/**
 * `npm start`: the whole service in one process tree. Without TEMPORAL_ADDRESS it starts a local Temporal dev server
 * (Web UI on, state kept in DATA_DIR across restarts). Without Kingdee/DingTalk credentials it runs the demo: both
 * emulators with seeded people and documents, and the sandbox pages. Ctrl-C / SIGTERM stops everything.
 *
 * `npm start -- --role worker|api` (or ROLE=worker|api) runs one part of a split deployment against a shared
 * Temporal (TEMPORAL_ADDRESS) and the real systems: `worker` the Temporal worker and the pollers (run several),
 * `api` the HTTP API and the DingTalk Stream listener. The default, `all`, runs both in one process.
 */
import 'dotenv/config';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger';
import { onShutdown } from '../common/shutdown';
import { loadSettings, type Settings } from '../config/env';
import { temporalConnectionOptions, temporalSecurity } from '../config/client-settings';
import { serviceRoles, startService, type ServiceRole } from '../workers/service';
import { connectWhenReachable } from '../temporal/connect';
import { startDemo } from './demo';
import { registerSearchAttributes, startDevServer } from './temporal-cli';

/** `--role` on the command line, else the ROLE setting (environment or .env; config/env.ts), else all. */
function roleFrom(settings: Settings): ServiceRole {
  const { values } = parseArgs({ options: { role: { type: 'string' } } });
  const role = values.role ?? settings.role;
  if (!(serviceRoles as readonly string[]).includes(role))
    throw new Error(`Unknown role "${role}": use --role ${serviceRoles.join('|')} (or ROLE=…).`);
  return role as ServiceRole;
}

async function main(): Promise<void> {
  let settings = loadSettings(process.env);
  const role = roleFrom(settings);
  if (role !== 'all' && (settings.demo || !settings.temporal.address)) {
    throw new Error(
      `--role ${role} is one part of a split deployment: it needs TEMPORAL_ADDRESS (a shared Temporal) and the Kingdee and DingTalk settings (DEMO=off). The demo and the local dev server run with --role all.`,
    );
  }
  const log = createLogger({ level: settings.logLevel });
  const stack: Array<() => Promise<void>> = [];
  const stopAll = async (reason: string): Promise<void> => {
    log.info({ reason }, 'stopping');
    for (const stop of stack.reverse())
      await stop().catch((err: unknown) => log.error({ err }, 'failed to stop cleanly'));
  };
  onShutdown(stopAll);

  try {
    const demo = settings.demo
      ? await startDemo({ kingdee: settings.env.DEMO_KINGDEE_PORT, dingtalk: settings.env.DEMO_DINGTALK_PORT })
      : undefined;
    if (demo) {
      stack.push(() => demo.stop());
      settings = loadSettings({ ...process.env, ...demo.env });
    }

    let address = settings.temporal.address;
    let uiUrl = settings.temporal.uiUrl;
    if (!address) {
      const server = await startDevServer({
        port: settings.temporal.devServer.port,
        uiPort: settings.temporal.devServer.uiPort,
        namespace: settings.temporal.namespace,
        dbFilename: path.resolve(settings.dataDir, 'temporal.db'),
        logLevel: 'warn',
        log: (line) => log.info(line),
      });
      stack.push(server.stop);
      address = server.address;
      uiUrl = server.uiUrl;
    } else {
      // An existing namespace (production database) skips start-dev's --search-attribute: register them here —
      // once Temporal answers, so a bridge started while Temporal is down waits instead of dying.
      // Temporal Cloud / TLS: TEMPORAL_API_KEY, TEMPORAL_TLS_* (config/client-settings.ts).
      const options = temporalConnectionOptions(settings, address);
      const reachable = await connectWhenReachable({ ...options, logger: log });
      await reachable.close();
      await registerSearchAttributes(options, settings.temporal.namespace).catch((err: unknown) => {
        // Temporal Cloud may refuse the operator call to a namespace user: the doctor's `search attributes` says so.
        if (!options.tls) throw err;
        log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'could not register the search attributes; on Temporal Cloud add them to the namespace (Cloud UI or tcld namespace search-attributes add), then check with npm run doctor',
        );
      });
    }

    const service = await startService({ settings, role, logger: log, temporalAddress: address });
    stack.push(service.stop);

    const lines = [
      '',
      `kingdee-dingtalk-bridge is running${demo ? ' — DEMO (local emulators, no real Kingdee or DingTalk)' : ''}${role === 'all' ? '' : ` — role ${role}`}`,
      `  Temporal Web UI:   ${uiUrl ?? '(external Temporal: set TEMPORAL_UI_URL)'}`,
      `  Temporal:          ${address} (namespace ${settings.temporal.namespace}, task queue ${settings.temporal.taskQueue}, ${temporalSecurity(temporalConnectionOptions(settings, address))})`,
    ];
    if (service.apiUrl) {
      lines.push(
        `  API:               ${service.apiUrl}   (health /healthz /readyz, metrics /metrics)`,
        `  Admin token:       ${settings.api.adminToken ? '(ADMIN_TOKEN)' : service.clients.adminToken}`,
      );
    }
    if (demo) {
      lines.push(
        `  DingTalk sandbox:  ${demo.dingtalk.baseUrl}/sandbox?userId=lisi   (act as 李四, the first approver)`,
        `  Kingdee documents: http://127.0.0.1:${demo.kingdee.port}/`,
        '',
        'Try each flow:',
        ...demo.flows.map((flow) => `  • ${flow}`),
      );
    }
    lines.push('Press Ctrl-C to stop.', '');
    console.log(lines.join('\n'));
  } catch (err) {
    await stopAll('start-up failed');
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
