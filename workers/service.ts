/**
 * The composition root: from settings to a running service — clients (real or, in the demo, pointed at the
 * emulators), the Temporal worker with its activities, the change-detection pollers, the HTTP API and the DingTalk
 * Stream listener. `npm start` and the end-to-end tests both come through here, so the demo and production share
 * one code path: only base URLs and secrets differ.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type { Logger } from '../common/logger';
import type { Settings } from '../config/env';
import { loadRules, type Rules } from '../rules';
import { pollerSummaryLine } from '../domain/texts';
import { createActivities } from '../activities';
import { createNotificationSender } from '../activities/notifications';
import { ApprovalService } from '../temporal/approvals';
import { createApiApp } from '../api/app';
import { createDingTalkHandlers } from '../api/dingtalk-handlers';
import { Metrics } from '../api/metrics';
import {
  DingTalkClient,
  createDingTalkCallbackRouter,
  startStreamListener,
  type BotTextMessage,
} from '../integrations/dingtalk';
import { KingdeeClient } from '../integrations/kingdee';
import { pollerWorkflowId, pollNowSignal, workflowTypes } from '../workflows/contract';
import type { pollerWorkflow } from '../workflows/poller';
import { createWorker } from './worker';
import { clientSettings, type ClientSettings } from '../config/client-settings';

export interface ServiceOptions {
  settings: Settings;
  logger: Logger;
  /** The Temporal frontend to use (the dev server's, or the configured one). */
  temporalAddress: string;
  /** A pre-built workflow bundle (tests); otherwise the worker bundles at start-up. */
  workflowBundlePath?: string;
  /** Rules already loaded (tests); otherwise read from settings.rulesFile. */
  rules?: Rules;
  /** Start the change-detection pollers (default true). */
  pollers?: boolean;
}

export interface RunningService {
  apiUrl: string;
  rules: Rules;
  clients: ClientSettings;
  approvals: ApprovalService;
  client: Client;
  /** Stop and start the worker alone (tests: a worker restart mid-workflow). */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** The worker runtime (logging, Prometheus metrics) can be installed once per process. */
function installRuntime(metricsPort: number): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } },
    });
  } catch {
    // Already installed by the host process (e.g. a test harness): keep that one.
  }
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { settings, logger } = options;
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const part of stack.reverse()) await part().catch((err: unknown) => logger.error({ err }, 'stop failed'));
  };
  try {
    const rules = options.rules ?? loadRules(settings.rulesFile);
    const clients = clientSettings(settings);
    installRuntime(settings.temporal.workerMetricsPort);
    const kingdee = new KingdeeClient({ ...clients.kingdee, logger });
    const dingtalk = new DingTalkClient({ ...clients.dingtalk, robots: clients.robots, logger });

    const connection = await Connection.connect({ address: options.temporalAddress });
    stack.push(() => connection.close());
    const client = new Client({ connection, namespace: settings.temporal.namespace });
    const approvals = new ApprovalService(client, { taskQueue: settings.temporal.taskQueue, logger });
    const metrics = new Metrics(`http://127.0.0.1:${settings.temporal.workerMetricsPort}/metrics`);

    const workerConnection = await NativeConnection.connect({ address: options.temporalAddress });
    const notifyRule = createNotificationSender({
      rules,
      dingtalk,
      kingdee,
      logger,
      documentLinkTemplate: clients.documentLinkTemplate,
    });
    const activities = createActivities({
      kingdee,
      dingtalk,
      rules,
      logger,
      approvals,
      notifyRule,
      documentLinkTemplate: clients.documentLinkTemplate,
      cardCallback:
        clients.callbackMode === 'http' ? { type: 'HTTP', routeKey: clients.cardRouteKey } : { type: 'STREAM' },
      robots: clients.robots,
    });
    let running: { stop: () => Promise<void> } | undefined;
    const startWorker = async () => {
      if (running) return;
      const worker = await createWorker({
        connection: workerConnection,
        namespace: settings.temporal.namespace,
        taskQueue: settings.temporal.taskQueue,
        workflowBundlePath: options.workflowBundlePath,
        activities,
      });
      const run = worker.run();
      run.catch((err: unknown) => logger.error({ err }, 'worker stopped unexpectedly'));
      running = {
        stop: async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await run.catch(() => undefined);
        },
      };
    };
    const stopWorker = async () => {
      const current = running;
      running = undefined;
      await current?.stop();
    };
    await startWorker();
    stack.push(async () => {
      await stopWorker();
      await workerConnection.close();
    });

    // One poller per form; starting is idempotent (an existing poller keeps its cursor).
    const pollNow = async (acctId: string, formId: string, reason: string) => {
      await client.workflow.getHandle(pollerWorkflowId(acctId, formId)).signal(pollNowSignal, { reason });
    };
    for (const formId of options.pollers === false ? [] : rules.ingestion.forms) {
      await client.workflow.start<typeof pollerWorkflow>(workflowTypes.poller, {
        taskQueue: settings.temporal.taskQueue,
        workflowId: pollerWorkflowId(clients.kingdee.acctId, formId),
        args: [
          {
            acctId: clients.kingdee.acctId,
            formId,
            intervalMs: rules.ingestion.pollIntervalMs,
            overlapMs: rules.ingestion.overlapMs,
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: pollerSummaryLine(rules.forms[formId]?.name ?? formId),
      });
    }

    const handlers = createDingTalkHandlers({ approvals, metrics, logger });
    // Bot messages arrive by Stream or HTTP alike; the answer goes back through the message's session webhook.
    const onBotMessage = (message: BotTextMessage) =>
      handlers.onBotText({
        senderUserId: message.senderStaffId,
        text: message.text,
        reply: (text) => dingtalk.replyToSessionWebhook(message.sessionWebhook, { text }),
      });
    const dingtalkRouter = createDingTalkCallbackRouter({
      cardCallbackSecret: clients.cardCallbackSecret,
      appSecret: clients.dingtalk.clientSecret,
      ...(clients.event
        ? {
            event: {
              ...clients.event,
              onEvent: async (event) => logger.info({ eventType: event.EventType }, 'DingTalk event'),
            },
          }
        : {}),
      logger,
      onCardCallback: (payload) => handlers.onCardClick(payload),
      onBotMessage,
    });
    const app = createApiApp({
      approvals,
      metrics,
      logger,
      adminToken: clients.adminToken,
      kingdeePushSecret: settings.api.kingdeePushSecret,
      pollNow,
      routers: [{ path: '/dingtalk', router: dingtalkRouter }],
      readiness: [
        {
          name: 'temporal',
          check: async () => ({ ok: (await connection.workflowService.getSystemInfo({})) !== null }),
        },
        { name: 'kingdee', check: async () => ({ ok: (await kingdee.ping()) === true }) },
        { name: 'dingtalk', check: async () => ({ ok: (await dingtalk.getAccessToken()).length > 0 }) },
      ],
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(settings.api.port, settings.api.host, resolve));
    stack.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    if (clients.callbackMode === 'stream') {
      const listener = await startStreamListener({
        clientId: clients.dingtalk.clientId,
        clientSecret: clients.dingtalk.clientSecret,
        openConnectionUrl: clients.streamOpenUrl,
        logger,
        onCardCallback: (payload) => handlers.onCardClick(payload),
        onBotMessage,
      });
      stack.push(() => listener.stop());
    }

    return { apiUrl, rules, clients, approvals, client, startWorker, stopWorker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
