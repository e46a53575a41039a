/**
 * The composition root: from settings to a running service — clients (real or, in the demo, pointed at the
 * emulators), the Temporal worker with its activities, the change-detection pollers, the HTTP API and the DingTalk
 * Stream listener. `npm start` and the end-to-end tests both come through here, so the demo and production share
 * one code path: only base URLs and secrets differ.
 *
 * A process runs one role: `all` (everything, the default), `worker` (the Temporal worker and the pollers' start:
 * scale these out) or `api` (the HTTP API and the Stream listener, which reach Temporal through the approvals
 * client only).
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { GroupCommit } from '../common/group-commit';
import type { Logger } from '../common/logger';
import type { Settings } from '../config/env';
import { loadRules, type Rules } from '../rules';
import { pollerSummaryLine } from '../domain/texts';
import {
  createActivities,
  createDraftRequests,
  createNoticeActivities,
  createOaRequests,
  createPaymentRequests,
  syncPushes,
} from '../activities';
import { createNotificationSender } from '../activities/notifications';
import { ApprovalService } from '../temporal/approvals';
import { connectWhenReachable } from '../temporal/connect';
import { decisionJournalFile } from '../temporal/decision-journal';
import { createApiApp } from '../api/app';
import { createDingTalkHandlers } from '../api/dingtalk-handlers';
import { createPeopleLookup } from '../api/people-lookup';
import { Metrics } from '../api/metrics';
import {
  DingTalkClient,
  ReplayGuard,
  replayGuardFile,
  createDingTalkCallbackRouter,
  DingTalkUsage,
  startStreamListener,
  type BotTextMessage,
} from '../integrations/dingtalk';
import { KingdeeClient } from '../integrations/kingdee';
import {
  outboxStatusQuery,
  outboxWorkflowId,
  pollerWorkflowId,
  pollNowSignal,
  workflowTypes,
  type NoticeChannel,
  type PollNow,
} from '../workflows/contract';
import { channelForRobot } from '../activities/notices';
import type { pollerWorkflow } from '../workflows/poller';
import { createCardWorkers, createNoticeWorker, createWorker } from './worker';
import { clientSettings, temporalConnectionOptions, type ClientSettings } from '../config/client-settings';
import { ConfigError } from '../config/env';

export const serviceRoles = ['all', 'worker', 'api'] as const;
export type ServiceRole = (typeof serviceRoles)[number];

export interface ServiceOptions {
  settings: Settings;
  /** What this process runs (default all): see the file's comment. */
  role?: ServiceRole;
  logger: Logger;
  /** The Temporal frontend to use (the dev server's, or the configured one). */
  temporalAddress: string;
  /** A pre-built workflow bundle (tests); otherwise the worker bundles at start-up. */
  workflowBundlePath?: string;
  /** Rules already loaded (tests); otherwise read from settings.rulesFile. */
  rules?: Rules;
  /** Start the change-detection pollers (default true). */
  pollers?: boolean;
  /**
   * Set up the pushes of the rules (default true): the threshold-watch workflows, and the Temporal Schedules of the
   * calendar deadlines and the digests (created or updated, idempotent; ours the rules dropped are removed).
   */
  pushes?: boolean;
  /** Tests only: a shorter "minute" for the notice outboxes' pacing (DingTalk's quotas stay as they are). */
  noticeMinuteMs?: number;
  /** Tests and benchmarks: rows per poll page (default 500, activities/ingestion.ts). */
  pollPageSize?: number;
  /** Tests only: wrap the approvals' activities (e.g. fail one after it did its work, to see it retried). */
  wrapActivities?: <T extends object>(activities: T) => T;
  /** Tests only: tell ops that DingTalk keeps failing a card or 待办 call at this attempt (default 8). */
  troubleAlertAfterAttempts?: number;
}

export interface RunningService {
  /** Undefined when this process runs no API (role worker). */
  apiUrl?: string;
  rules: Rules;
  clients: ClientSettings;
  approvals: ApprovalService;
  client: Client;
  /** Stop and start the worker alone (tests: a worker restart mid-workflow); no-ops when it runs no worker. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** The worker runtime (logging, Prometheus metrics) can be installed once per process. */
function installRuntime(metricsHost: string, metricsPort: number): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: {
        metrics: {
          prometheus: { bindAddress: `${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}` },
        },
      },
    });
  } catch {
    // Already installed by the host process (e.g. a test harness): keep that one.
  }
}

/** The worker's metrics as this process reads them back: loopback when they are bound to every address. */
function metricsScrapeHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { settings, logger } = options;
  const role = options.role ?? 'all';
  const runsWorker = role !== 'api';
  const runsApi = role !== 'worker';
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const part of stack.reverse()) await part().catch((err: unknown) => logger.error({ err }, 'stop failed'));
  };
  try {
    const rules = options.rules ?? loadRules(settings.rulesFile);
    const clients = clientSettings(settings);
    if (runsWorker) installRuntime(settings.temporal.workerMetricsHost, settings.temporal.workerMetricsPort);
    // Group notices as cards from the app robot (a rules robot with only openConversationId) need their template.
    const cardGroups = Object.entries(rules.robots).filter(([, r]) => !r.webhook && r.openConversationId);
    if (cardGroups.length > 0 && !clients.cardTemplates.notice)
      throw new ConfigError(
        `The rules send group notices as cards (robots ${cardGroups.map(([name]) => name).join(', ')} have only openConversationId), but DINGTALK_NOTICE_CARD_TEMPLATE_ID is not set: build the notice card (docs/dingtalk-card-template.md, "The group notice card") and set its id.`,
      );
    // Temporal Cloud / TLS: the same connection options for the client and the worker (config/client-settings.ts).
    const temporalOptions = temporalConnectionOptions(settings, options.temporalAddress);
    const kingdee = new KingdeeClient({ ...clients.kingdee, logger });
    // Every DingTalk call counted for the month (DATA_DIR, one file per process): /metrics and the doctor.
    const dingtalkUsage = new DingTalkUsage(
      path.join(settings.dataDir, `dingtalk-usage-${role}-${os.hostname()}.json`),
    );
    dingtalkUsage.start();
    stack.push(async () => dingtalkUsage.stop());
    const dingtalk = new DingTalkClient({
      ...clients.dingtalk,
      robots: clients.robots,
      logger,
      onCall: (call) => dingtalkUsage.record(call),
    });

    // Temporal down at start-up (both restarting): wait for it, saying so in the log, rather than exit.
    const connection = await connectWhenReachable({ ...temporalOptions, logger });
    stack.push(() => connection.close());
    const client = new Client({ connection, namespace: settings.temporal.namespace });
    const { namespace, taskQueue } = settings.temporal;
    const workerConnection = runsWorker ? await NativeConnection.connect(temporalOptions) : undefined;
    // Closed last (the stack unwinds in reverse), after the workers on it have stopped — also when start-up fails.
    if (workerConnection) stack.push(() => workerConnection.close());
    const approvals = new ApprovalService(client, {
      ...(workerConnection ? { eagerStarter: new Client({ connection: workerConnection, namespace }) } : {}),
      taskQueue,
      // With a worker here, its planning activity reports the runs it begins (activities/index.ts): the window asks
      // Temporal only about a run nothing reported for a second (planned by another process's worker).
      planningWindow:
        settings.temporal.worker.planningWindow > 0
          ? { size: settings.temporal.worker.planningWindow, ...(workerConnection ? { probeAfterMs: 1_000 } : {}) }
          : false,
      logger,
      // Decisions Temporal cannot take in time wait here, fsync'd, until it can (temporal/decision-journal.ts).
      journalFile: decisionJournalFile(settings.dataDir, namespace, taskQueue),
    });
    await approvals.startJournalReplay();
    stack.push(() => approvals.stopJournalReplay());
    const metrics = new Metrics(
      runsWorker
        ? `http://${metricsScrapeHost(settings.temporal.workerMetricsHost)}:${settings.temporal.workerMetricsPort}/metrics`
        : undefined,
    );
    metrics.watchDingTalkUsage(dingtalkUsage, {
      api: settings.env.DINGTALK_MONTHLY_API_QUOTA,
      webhookStream: settings.env.DINGTALK_MONTHLY_WEBHOOK_STREAM_QUOTA,
    });
    // The notice queues at each scrape: every outbox this deployment's rules can use (work notices, each robot).
    const noticeChannels: NoticeChannel[] = [
      { kind: 'workNotice' },
      ...Object.entries(rules.robots).map(([name, robot]) => channelForRobot({ name, ...robot })),
    ];
    metrics.watchNoticeOutboxes(() =>
      Promise.all(
        noticeChannels.map(async (channel) => ({
          channel:
            channel.kind === 'robot'
              ? `robot:${channel.robot}`
              : channel.kind === 'groupCard'
                ? `group:${channel.groupId}`
                : 'work-notice',
          status: await client.workflow
            .getHandle(outboxWorkflowId(settings.temporal.taskQueue, channel))
            .query(outboxStatusQuery)
            .catch(() => undefined), // never started (nothing sent there yet), or Temporal unreachable
        })),
      ),
    );

    const notifyRule = createNotificationSender({
      rules,
      dingtalk,
      kingdee,
      logger,
      documentLinkTemplate: clients.documentLinkTemplate,
    });
    const outbox = {
      client,
      taskQueue: settings.temporal.taskQueue,
      ...(options.noticeMinuteMs ? { minuteMs: options.noticeMinuteMs } : {}),
    };
    const cardCallback =
      clients.callbackMode === 'http'
        ? { type: 'HTTP' as const, routeKey: clients.cardRouteKey }
        : { type: 'STREAM' as const };
    const noticeActivities = createNoticeActivities({
      dingtalk,
      logger,
      rules,
      outbox,
      cardCallback,
      cardTemplates: clients.cardTemplates,
    });
    const createdActivities = createActivities({
      kingdee,
      dingtalk,
      rules,
      logger,
      approvals,
      notifyRule,
      documentLinkTemplate: clients.documentLinkTemplate,
      cardCallback,
      cardTemplates: clients.cardTemplates,
      outbox,
      robots: clients.robots,
      // The weekly report reads this month's DingTalk calls from here (integrations/dingtalk/usage.ts).
      dataDir: settings.dataDir,
      ...(options.troubleAlertAfterAttempts ? { troubleAlertAfterAttempts: options.troubleAlertAfterAttempts } : {}),
    });
    const activities = options.wrapActivities ? options.wrapActivities(createdActivities) : createdActivities;
    let running: { stop: () => Promise<void> } | undefined;
    const startWorker = async () => {
      if (running || !workerConnection) return;
      const worker = await createWorker({
        connection: workerConnection,
        namespace: settings.temporal.namespace,
        taskQueue: settings.temporal.taskQueue,
        workflowBundlePath: options.workflowBundlePath ?? settings.temporal.worker.workflowBundle,
        workflowStackFrames: settings.temporal.worker.workflowStackFrames,
        activities,
        // A month-end burst starts hundreds of approvals at once: their first workflow tasks wait on the normal
        // (non-sticky) queue, which a fixed two pollers drain slowly; pollers follow the backlog Temporal reports
        // instead. The cache cap bounds memory whatever number of approvals wait (README "Capacity").
        options: {
          workflowTaskPollerBehavior:
            settings.temporal.worker.workflowTaskPollers === 'auto'
              ? { type: 'autoscaling' }
              : { type: 'simple-maximum', maximum: settings.temporal.worker.workflowTaskPollers },
          activityTaskPollerBehavior: { type: 'autoscaling' },
          maxCachedWorkflows: settings.temporal.worker.maxCachedWorkflows,
          workflowThreadPoolSize: settings.temporal.worker.workflowThreads,
          maxConcurrentWorkflowTaskExecutions: settings.temporal.worker.maxConcurrentWorkflowTasks,
          maxConcurrentActivityTaskExecutions: settings.temporal.worker.maxConcurrentActivities,
        },
      });
      // The notice sends: a worker of their own on <taskQueue>-notices (see workers/worker.ts).
      const noticeWorker = await createNoticeWorker({
        connection: workerConnection,
        namespace: settings.temporal.namespace,
        taskQueue: settings.temporal.taskQueue,
        activities: noticeActivities,
      });
      // The cards and 待办: workers of their own, paced by Temporal for the whole deployment (see workers/worker.ts).
      const cardWorkers = await createCardWorkers({
        connection: workerConnection,
        namespace: settings.temporal.namespace,
        taskQueue: settings.temporal.taskQueue,
        activities,
        perSecond: clients.dingtalk.qps,
      });
      const runs = [worker, ...cardWorkers, noticeWorker].map((w) => {
        const run = w.run();
        run.catch((err: unknown) => logger.error({ err }, 'worker stopped unexpectedly'));
        return { w, run };
      });
      running = {
        stop: async () => {
          for (const { w } of runs) if (w.getState() === 'RUNNING') w.shutdown();
          for (const { run } of runs) await run.catch(() => undefined);
        },
      };
    };
    const stopWorker = async () => {
      const current = running;
      running = undefined;
      await current?.stop();
    };
    await startWorker();
    stack.push(stopWorker);

    // One poller per form; starting is idempotent (an existing poller keeps its cursor).
    const pollerStart = (formId: string) => ({
      taskQueue: settings.temporal.taskQueue,
      workflowId: pollerWorkflowId(clients.kingdee.acctId, formId),
      args: [
        {
          acctId: clients.kingdee.acctId,
          formId,
          intervalMs: rules.ingestion.pollIntervalMs,
          overlapMs: rules.ingestion.overlapMs,
          ...(options.pollPageSize ? { pageSize: options.pollPageSize } : {}),
        },
      ] as Parameters<typeof pollerWorkflow>,
      staticSummary: pollerSummaryLine(rules.forms[formId]?.name ?? formId),
    });
    // A push (only for a polled form of our account: api/kingdee-push.ts) signals the poller, or starts it first
    // when it is not running (between runs, or not started yet): never refused for that. Pushes that arrive while a
    // signal to the form's poller is on its way share the next one (group commit): a month-end burst's thousand
    // pushes are a few dozen signals, and each push is answered once a signal sent after it arrived is acknowledged.
    const pollNowSignals = new GroupCommit<PollNow>(async (formId, hints) => {
      const reason = hints.length > 1 ? `${hints[0]!.reason} (+${hints.length - 1})` : hints[0]!.reason;
      const billNos = [...new Set(hints.flatMap((hint) => hint.billNos ?? []))];
      await client.workflow.signalWithStart<typeof pollerWorkflow, [PollNow]>(workflowTypes.poller, {
        ...pollerStart(formId),
        signal: pollNowSignal,
        signalArgs: [{ reason, ...(billNos.length > 0 ? { billNos } : {}) }],
      });
    });
    const pollNow = (_acctId: string, formId: string, reason: string, billNo?: string) =>
      pollNowSignals.submit(formId, { reason, ...(billNo ? { billNos: [billNo] } : {}) });
    for (const formId of options.pollers === false || !runsWorker ? [] : rules.ingestion.forms) {
      await client.workflow.start<typeof pollerWorkflow>(workflowTypes.poller, {
        ...pollerStart(formId),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    }
    // Watches, deadlines, digests (activities/watches.ts): each start brings them in line with the rules.
    if (options.pushes !== false && runsWorker) {
      await syncPushes({ client, rules, taskQueue: settings.temporal.taskQueue, logger });
    }

    // A worker process ends here: the API and the Stream listener run in the api (or all) role.
    if (!runsApi) return { rules, clients, approvals, client, startWorker, stopWorker, stop };

    // Signatures and message ids already received, kept under DATA_DIR: a replay is refused even after a restart.
    const replayGuard = new ReplayGuard({
      file: replayGuardFile(settings.dataDir, `${namespace}.${taskQueue}`),
      logger,
    });
    await replayGuard.load();
    stack.push(() => replayGuard.close());
    const handlers = createDingTalkHandlers({
      approvals,
      metrics,
      logger,
      people: createPeopleLookup(dingtalk, logger),
      timeZone: rules.calendar,
      // From DingTalk into Kingdee: 确认付款 (cashiers) and the reimbursement assistant.
      payments: createPaymentRequests({
        client,
        kingdee,
        rules,
        acctId: clients.kingdee.acctId,
        taskQueue: settings.temporal.taskQueue,
        logger,
      }),
      drafts: createDraftRequests({
        client,
        kingdee,
        acctId: clients.kingdee.acctId,
        synonyms: rules.assistant.synonyms,
        taskQueue: settings.temporal.taskQueue,
        logger,
      }),
    });
    // OA approvals finished in DingTalk → Kingdee bills (rules `oa:`), from events by Stream or HTTP.
    const oa = createOaRequests({ client, rules, taskQueue: settings.temporal.taskQueue, logger });
    // What DingTalk pushes to us counts towards its monthly Webhook&Stream quota, as the calls we make count.
    const countedCardClick: typeof handlers.onCardClick = (payload) => {
      dingtalkUsage.record({ api: 'PUSH /v1.0/card/instances/callback', status: 200, data: null });
      return handlers.onCardClick(payload);
    };
    // Bot messages arrive by Stream or HTTP alike; the answer goes back through the message's session webhook.
    const onBotMessage = (message: BotTextMessage) => {
      dingtalkUsage.record({ api: 'PUSH /v1.0/im/bot/messages/get', status: 200, data: null });
      return handlers.onBotText({
        senderUserId: message.senderStaffId,
        text: message.text,
        reply: (text) => dingtalk.replyToSessionWebhook(message.sessionWebhook, { text }),
        ...(message.msgId ? { messageId: message.msgId } : {}),
      });
    };
    const dingtalkRouter = createDingTalkCallbackRouter({
      cardCallbackSecret: clients.cardCallbackSecret,
      appSecret: clients.dingtalk.clientSecret,
      ...(clients.event
        ? {
            event: {
              ...clients.event,
              onEvent: async (event) => {
                logger.info({ eventType: event.EventType }, 'DingTalk event');
                if (oa.enabled) await oa.onHttpEvent(event);
              },
            },
          }
        : {}),
      logger,
      replayGuard,
      onCardCallback: (payload) => countedCardClick(payload),
      onBotMessage,
    });
    const app = createApiApp({
      approvals,
      metrics,
      logger,
      adminToken: clients.adminToken,
      kingdeePushSecret: settings.api.kingdeePushSecret,
      pollNow,
      pushTargets: { acctId: clients.kingdee.acctId, formIds: rules.ingestion.forms },
      replayGuard,
      ...(oa.enabled ? { oaImports: oa.admin } : {}),
      routers: [{ path: '/dingtalk', router: dingtalkRouter }],
      readiness: [
        {
          name: 'temporal',
          // A deadline of its own: a Temporal that is down fails this within the readiness timeout.
          check: async () => ({
            ok:
              (await connection.withDeadline(Date.now() + 1_000, () =>
                connection.workflowService.getSystemInfo({}),
              )) !== null,
          }),
        },
        { name: 'kingdee', check: async () => ({ ok: (await kingdee.ping()) === true }) },
        { name: 'dingtalk', check: async () => ({ ok: (await dingtalk.getAccessToken()).length > 0 }) },
      ],
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(settings.api.port, settings.api.host, resolve));
    stack.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    if (clients.callbackMode === 'http') {
      // DingTalk sends the clicks of cards sent with this route key to our URL, signed with the secret. Registering
      // again with the same values changes nothing (forceUpdate re-points the key): done at every start.
      if (!clients.cardCallbackUrl || !clients.cardCallbackSecret)
        throw new ConfigError('HTTP callback mode needs PUBLIC_BASE_URL and DINGTALK_CARD_CALLBACK_SECRET');
      await dingtalk
        .registerCardCallback({
          routeKey: clients.cardRouteKey,
          url: clients.cardCallbackUrl,
          apiSecret: clients.cardCallbackSecret,
        })
        .catch((err: unknown) => {
          throw new Error(
            `Registering the card callback route ${clients.cardRouteKey} → ${clients.cardCallbackUrl} with DingTalk failed: ${err instanceof Error ? err.message : String(err)}. Check that the app has Card.Instance.Write (docs/setup-dingtalk.md step 4) and that DingTalk is reachable.`,
          );
        });
      logger.info(
        { routeKey: clients.cardRouteKey, url: clients.cardCallbackUrl },
        'card callback route registered with DingTalk',
      );
    }
    if (clients.callbackMode === 'stream') {
      const listener = await startStreamListener({
        clientId: clients.dingtalk.clientId,
        clientSecret: clients.dingtalk.clientSecret,
        openConnectionUrl: clients.streamOpenUrl,
        logger,
        replayGuard,
        onCardCallback: (payload) => countedCardClick(payload),
        onBotMessage,
        ...(oa.enabled ? { onEvent: oa.onEvent } : {}),
      });
      stack.push(() => listener.stop());
    }

    return { apiUrl, rules, clients, approvals, client, startWorker, stopWorker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
