/**
 * The whole product in-process for integration tests: both emulators, the real service (clients, worker with real
 * activities, API, Stream listener) on the shared Temporal dev server, on a task queue of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { WorkflowNotFoundError } from '@temporalio/client';
import { findTemporalCli } from '../../scripts/temporal-cli';
import { silentLogger } from '../../common/logger';
import { loadSeed } from '../../emulators/kingdee/seed';
import { loadSettings, type Settings } from '../../config/env';
import type { Rules } from '../../rules';
import type { DingTalkEmulator, DingTalkQuotas } from '../../emulators/dingtalk/server';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { startService, type RunningService } from '../../workers/service';
import {
  outboxStatusQuery,
  outboxWorkflowId,
  statusQuery,
  workflowTypes,
  type ApprovalState,
  type NoticeChannel,
  type OutboxStatus,
} from '../../workflows/contract';
import { demoDingTalk, demoRobots, startTestDingTalk } from './dingtalk';
import { eventually } from './eventually';
import { demoKingdee, startTestKingdee } from './kingdee';
import { temporalAddress, uniqueTaskQueue, workerMetricsPort } from './temporal';

export const adminToken = 'test-admin-token';
export const pushSecret = 'test-push-secret';

export interface World {
  /** A Kingdee account id of this world's own, so workflow ids never collide between test files sharing a server. */
  acctId: string;
  /** The service's task queue (the notice outboxes' ids include it). */
  taskQueue: string;
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  service: RunningService;
  /**
   * A new expense reimbursement by 张三, already submitted (status B), as if entered in Kingdee; `stampedMsAgo`: its
   * FModifyDate that long before now, as a transaction that commits late leaves it.
   */
  submitExpense(billNo: string, amount: number, purpose: string, options?: { stampedMsAgo?: number }): void;
  /** Start the approval of a seeded (or created) document, as ingestion would. */
  startApproval(formId: string, billNo: string): Promise<string>;
  status(workflowId: string): Promise<ApprovalState>;
  /** Waits for the stage, then for the notices enqueued so far to leave their outboxes. */
  waitForStage(workflowId: string, stage: ApprovalState['stage'], timeoutMs?: number): Promise<ApprovalState>;
  /** Every notice outbox of this world (robots of the rules, work notices) with nothing waiting or under way. */
  noticesDelivered(timeoutMs?: number): Promise<OutboxStatus[]>;
  /** The settings the service runs with (DATA_DIR, task queue …). */
  settings: Settings;
  /** Stop the bridge alone (emulators stay), as a crash or a deploy would; startService() brings up a new one. */
  stopService(): Promise<void>;
  /** A new bridge with the same settings (same task queue and DATA_DIR); `service` is the new one once resolved. */
  startService(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorld(options: {
  rules: Rules;
  callbackMode?: 'stream' | 'http';
  pollers?: boolean;
  /** A shorter robot "minute" for the emulator and the notice outboxes alike (still 20 messages per minute). */
  robotMinuteMs?: number;
  /** Wrap the service's approval activities (e.g. to fail one after it did its work). */
  wrapActivities?: <T extends object>(activities: T) => T;
  /** Tell ops that DingTalk keeps failing a card or 待办 call at this attempt (the service's default: 8). */
  troubleAlertAfterAttempts?: number;
  /** Another Temporal than the run's shared dev server (a test's own, to stop and restart it). */
  temporalAddress?: string;
  /** DATA_DIR of the service (the decision journal lives there); default the settings' default. */
  dataDir?: string;
  /** DingTalk's quotas scaled for the test (they are enforced by default; never lift them in a test of the product). */
  dingtalkQuotas?: Partial<DingTalkQuotas>;
  /** Rows per poll page (default 500), to see a burst paged with few documents. */
  pollPageSize?: number;
  /** More settings, as the environment would give them (e.g. WORKER_MAX_CONCURRENT_ACTIVITIES). */
  env?: Record<string, string>;
}): Promise<World> {
  const acctId = `test${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const seed = loadSeed();
  const kingdee = await startTestKingdee({ seed: { ...seed, accounts: [{ ...seed.accounts[0]!, acctId }] } });
  const dingtalk = await startTestDingTalk({
    ...(options.robotMinuteMs ? { robotLimit: { perMinute: 20, minuteMs: options.robotMinuteMs } } : {}),
    ...(options.dingtalkQuotas ? { quotas: options.dingtalkQuotas } : {}),
  });
  const settings = loadSettings({
    KINGDEE_BASE_URL: kingdee.baseUrl,
    KINGDEE_ACCT_ID: acctId,
    KINGDEE_USERNAME: demoKingdee.userName,
    KINGDEE_APP_ID: demoKingdee.appId,
    KINGDEE_APP_SECRET: demoKingdee.appSecret,
    DINGTALK_API_BASE_URL: dingtalk.baseUrl,
    DINGTALK_OAPI_BASE_URL: dingtalk.baseUrl,
    DINGTALK_CLIENT_ID: demoDingTalk.clientId,
    DINGTALK_CLIENT_SECRET: demoDingTalk.clientSecret,
    DINGTALK_AGENT_ID: demoDingTalk.agentId,
    DINGTALK_ROBOTS: JSON.stringify(demoRobots(dingtalk)),
    DINGTALK_CALLBACK_MODE: options.callbackMode ?? 'stream',
    DINGTALK_CARD_CALLBACK_SECRET: 'route-secret',
    DINGTALK_CARD_TEMPLATE_ID: 'kdb-approval-card',
    DINGTALK_NOTICE_CARD_TEMPLATE_ID: 'kdb-notice-card',
    ADMIN_TOKEN: adminToken,
    KINGDEE_PUSH_SECRET: pushSecret,
    API_PORT: '0',
    WORKER_METRICS_PORT: await workerMetricsPort(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('world'),
    LOG_LEVEL: 'silent',
    ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}),
    ...options.env,
  });
  const launch = () =>
    startService({
      settings,
      logger: silentLogger,
      temporalAddress: options.temporalAddress ?? temporalAddress(),
      workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
      rules: options.rules,
      pollers: options.pollers ?? false,
      ...(options.robotMinuteMs ? { noticeMinuteMs: options.robotMinuteMs } : {}),
      ...(options.pollPageSize ? { pollPageSize: options.pollPageSize } : {}),
      ...(options.wrapActivities ? { wrapActivities: options.wrapActivities } : {}),
      ...(options.troubleAlertAfterAttempts ? { troubleAlertAfterAttempts: options.troubleAlertAfterAttempts } : {}),
    });
  const connectCallbacks = async (running: RunningService) => {
    if (options.callbackMode === 'http')
      dingtalk.setCallbackUrl('kdb-approval', `${running.apiUrl}/dingtalk/card-callback`, 'route-secret');
    else await eventually(() => dingtalk.isStreamConnected(), 10_000, 'the Stream listener to connect');
  };
  let service = await launch();
  let serviceRunning = true;
  await connectCallbacks(service);

  const status = (workflowId: string) => service.client.workflow.getHandle(workflowId).query(statusQuery);
  const channels: NoticeChannel[] = [
    { kind: 'workNotice' },
    ...Object.entries(options.rules.robots).map(([name, robot]): NoticeChannel =>
      robot.webhook
        ? { kind: 'robot', robot: robot.webhook }
        : robot.openConversationId
          ? { kind: 'groupCard', groupId: robot.openConversationId }
          : { kind: 'robot', robot: name },
    ),
  ];
  const outboxes = () =>
    Promise.all(
      channels.map((channel) =>
        service.client.workflow
          .getHandle(outboxWorkflowId(settings.temporal.taskQueue, channel))
          .query(outboxStatusQuery)
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return undefined; // nothing was ever sent there
            throw err;
          }),
      ),
    );
  const noticesDelivered = (timeoutMs = 60_000) =>
    eventually(
      async () => {
        const all = (await outboxes()).filter((s): s is OutboxStatus => s !== undefined);
        return all.every((s) => s.pending === 0 && s.retrying === 0 && s.inFlight === 0) ? all : undefined;
      },
      timeoutMs,
      'the notice outboxes to be empty',
    );
  return {
    acctId,
    taskQueue: settings.temporal.taskQueue,
    kingdee,
    dingtalk,
    get service() {
      return service;
    },
    settings,
    async stopService() {
      serviceRunning = false;
      await service.stop();
    },
    async startService() {
      service = await launch();
      serviceRunning = true;
      await connectCallbacks(service);
    },
    async startApproval(formId, billNo) {
      const doc = kingdee.getDocument(formId, billNo);
      const result = await service.approvals.start(
        { acctId, formId, billNo },
        { modifyDate: typeof doc?.fields.FModifyDate === 'string' ? doc.fields.FModifyDate : '' },
      );
      return result.workflowId;
    },
    status,
    submitExpense(billNo, amount, purpose, options = {}) {
      kingdee.createDocument({
        formId: 'ER_ExpReimbursement',
        billNo,
        status: 'B',
        fields: {
          ...(options.stampedMsAgo === undefined
            ? {}
            : { FModifyDate: kingdee.localTime(kingdee.now() - options.stampedMsAgo) }),
          FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
          FReqReimbAmountSum: amount,
          FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
          FCausa: purpose,
        },
      });
    },
    async waitForStage(workflowId, stage, timeoutMs = 15_000) {
      const reached = await eventually(
        async () => {
          const state = await status(workflowId).catch(() => undefined);
          return state?.stage === stage ? state : undefined;
        },
        timeoutMs,
        `${workflowId} to reach ${stage}`,
      );
      await noticesDelivered(); // notices are enqueued by then; their outboxes send them moments later
      return reached;
    },
    noticesDelivered,
    async stop() {
      try {
        if (process.env.RECORD_HISTORIES)
          await recordHistories(service, settings.temporal.taskQueue, process.env.RECORD_HISTORIES);
      } finally {
        if (serviceRunning) await service.stop();
      }
      await dingtalk.close();
      await kingdee.close();
    },
  };
}

/**
 * `RECORD_HISTORIES=<scenario> npx jest <file>` keeps the histories of the world's finished approvals as replay
 * fixtures (test/fixtures/histories), so later code changes are checked against them for nondeterminism.
 */
async function recordHistories(service: RunningService, taskQueue: string, scenario: string): Promise<void> {
  const dir = path.resolve(__dirname, '..', 'fixtures', 'histories');
  mkdirSync(dir, { recursive: true });
  const query = `WorkflowType = '${workflowTypes.approval}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
  let count = 0;
  for await (const execution of service.client.workflow.list({ query })) {
    count += 1;
    // The CLI writes the canonical history JSON that historyFromJSON reads back.
    const shown = spawnSync(
      findTemporalCli().path,
      [
        'workflow',
        'show',
        '--address',
        temporalAddress(),
        '-w',
        execution.workflowId,
        '-r',
        execution.runId,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    if (shown.status !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
    const billNo = execution.workflowId.split(':').pop();
    writeFileSync(path.join(dir, `${scenario}-${billNo}.json`), shown.stdout);
  }
  if (count === 0) throw new Error(`RECORD_HISTORIES: no completed approvals found on task queue ${taskQueue}`);
}
