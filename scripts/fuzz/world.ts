/**
 * The world the fuzzer runs against, started and stopped by itself: both emulators (demo seed, an account id of its
 * own), the real service in this process (worker, pollers, API with every endpoint enabled — card callbacks, robot,
 * event subscription, Kingdee push, admin — and the Stream listener) on a task queue of its own, with a DATA_DIR of
 * its own. One approval is waiting (FYBX000123, for 李四), so decisions have something to be refused on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../common/logger';
import { loadSettings, type Settings } from '../../config/env';
import { startDingTalkEmulator, type DingTalkEmulator } from '../../emulators/dingtalk/server';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import type { StreamGateway } from '../../emulators/dingtalk/stream-gateway';
import { loadSeed } from '../../emulators/kingdee/seed';
import { startKingdeeEmulator, type KingdeeEmulator } from '../../emulators/kingdee/server';
import { parseRules } from '../../rules';
import { startService, type RunningService } from '../../workers/service';
import { approvalWorkflowId, statusQuery } from '../../workflows/contract';

export const fuzzSecrets = {
  admin: 'fuzz-admin-token',
  push: 'fuzz-push-secret',
  cardRoute: 'fuzz-route-secret',
  eventToken: 'fuzz-event-token',
  eventAesKey: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
  // The demo seed's app (emulators/dingtalk/seeds): the robot's HTTP signature uses its secret.
  clientId: 'dingdemoappkey',
  clientSecret: 'demo-app-secret-not-real',
};

const rulesYaml = `
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
  cashier: { webhook: cashier }
escalation: { robot: finance, notifyManager: true }
ops: { robot: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - id: manager
      name: 部门经理审批
      approvers:
        - user: lisi
ingestion: { pollInterval: 5m }
`;

export interface FuzzWorld {
  acctId: string;
  taskQueue: string;
  apiUrl: string;
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  service: RunningService;
  settings: Settings;
  /** The waiting approval's workflow id (decisions by anyone but 李四 are refused on it). */
  approvalId: string;
  /** Push a frame to the service through the emulator's Stream gateway; resolves with the service's ACK. */
  streamPush(topic: string, data: unknown, timeoutMs?: number): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startFuzzWorld(options: {
  temporalAddress: string;
  workflowBundlePath?: string;
}): Promise<FuzzWorld> {
  const acctId = `fuzz${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const seed = loadSeed();
  const kingdee = await startKingdeeEmulator({ seed: { ...seed, accounts: [{ ...seed.accounts[0]!, acctId }] } });
  const dingtalk = await startDingTalkEmulator({ seed: loadDingTalkSeed() });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kdb-fuzz-'));
  const taskQueue = `fuzz-${randomUUID()}`;
  const settings = loadSettings({
    KINGDEE_BASE_URL: kingdee.baseUrl,
    KINGDEE_ACCT_ID: acctId,
    KINGDEE_USERNAME: 'kdb-integration',
    KINGDEE_APP_ID: '300001_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY',
    KINGDEE_APP_SECRET: 'demo-kingdee-secret-not-real',
    DINGTALK_API_BASE_URL: dingtalk.baseUrl,
    DINGTALK_OAPI_BASE_URL: dingtalk.baseUrl,
    DINGTALK_CLIENT_ID: fuzzSecrets.clientId,
    DINGTALK_CLIENT_SECRET: fuzzSecrets.clientSecret,
    DINGTALK_AGENT_ID: '3000001',
    DINGTALK_CALLBACK_MODE: 'stream',
    DINGTALK_CARD_CALLBACK_SECRET: fuzzSecrets.cardRoute,
    DINGTALK_CARD_TEMPLATE_ID: 'kdb-approval-card',
    DINGTALK_NOTICE_CARD_TEMPLATE_ID: 'kdb-notice-card',
    DINGTALK_EVENT_TOKEN: fuzzSecrets.eventToken,
    DINGTALK_EVENT_AES_KEY: fuzzSecrets.eventAesKey,
    DINGTALK_ROBOTS: JSON.stringify(
      Object.fromEntries(
        ['finance', 'cashier', 'ops'].map((name) => [
          name,
          { webhookUrl: `${dingtalk.baseUrl}/robot/send?access_token=robot-${name}`, secret: `SEC-${name}-demo` },
        ]),
      ),
    ),
    ADMIN_TOKEN: fuzzSecrets.admin,
    KINGDEE_PUSH_SECRET: fuzzSecrets.push,
    API_PORT: '0',
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
  let service: RunningService | undefined;
  const stop = async () => {
    await service?.stop();
    await dingtalk.close();
    await kingdee.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    service = await startService({
      settings,
      logger: silentLogger,
      temporalAddress: options.temporalAddress,
      ...(options.workflowBundlePath ? { workflowBundlePath: options.workflowBundlePath } : {}),
      rules: parseRules(rulesYaml, 'fuzz-rules.yaml'),
      pollers: true,
    });
    const running = service;
    const approvalId = approvalWorkflowId({ acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000123' });
    // Steady state: the poller started the approval, its card is with 李四, and the Stream listener is connected.
    await until(
      async () =>
        dingtalk.isStreamConnected() &&
        dingtalk.cardsFor('lisi').some((c) => c.cardParamMap.billNo === 'FYBX000123') &&
        (await running.client.workflow.getHandle(approvalId).query(statusQuery)).stage === 'awaiting-approval',
      120_000,
      'the fuzz world to be ready (approval FYBX000123 waiting for 李四)',
    );
    const gateway = (dingtalk as unknown as { gateway: StreamGateway }).gateway;
    return {
      acctId,
      taskQueue,
      apiUrl: running.apiUrl!,
      kingdee,
      dingtalk,
      service: running,
      settings,
      approvalId,
      streamPush: (topic, data, timeoutMs) => gateway.push(fuzzSecrets.clientId, topic, data, timeoutMs),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(probe()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
