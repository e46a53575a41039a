/**
 * The whole product in-process for integration tests: both emulators, the real service (clients, worker with real
 * activities, API, Stream listener) on the shared Temporal dev server, on a task queue of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { findTemporalCli } from '../../scripts/temporal-cli';
import { silentLogger } from '../../common/logger';
import { loadSeed } from '../../emulators/kingdee/seed';
import { loadSettings } from '../../config/env';
import type { Rules } from '../../rules';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { startService, type RunningService } from '../../workers/service';
import { statusQuery, workflowTypes, type ApprovalState } from '../../workflows/contract';
import { demoDingTalk, demoRobots, startTestDingTalk } from './dingtalk';
import { eventually } from './eventually';
import { demoKingdee, startTestKingdee } from './kingdee';
import { temporalAddress, uniqueTaskQueue } from './temporal';

export const adminToken = 'test-admin-token';
export const pushSecret = 'test-push-secret';

export interface World {
  /** A Kingdee account id of this world's own, so workflow ids never collide between test files sharing a server. */
  acctId: string;
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  service: RunningService;
  /** A new expense reimbursement by 张三, already submitted (status B), as if entered in Kingdee. */
  submitExpense(billNo: string, amount: number, purpose: string): void;
  /** Start the approval of a seeded (or created) document, as ingestion would. */
  startApproval(formId: string, billNo: string): Promise<string>;
  status(workflowId: string): Promise<ApprovalState>;
  waitForStage(workflowId: string, stage: ApprovalState['stage'], timeoutMs?: number): Promise<ApprovalState>;
  stop(): Promise<void>;
}

export async function startWorld(options: {
  rules: Rules;
  callbackMode?: 'stream' | 'http';
  pollers?: boolean;
}): Promise<World> {
  const acctId = `test${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const seed = loadSeed();
  const kingdee = await startTestKingdee({ seed: { ...seed, accounts: [{ ...seed.accounts[0]!, acctId }] } });
  const dingtalk = await startTestDingTalk();
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
    ADMIN_TOKEN: adminToken,
    KINGDEE_PUSH_SECRET: pushSecret,
    API_PORT: '0',
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('world'),
    LOG_LEVEL: 'silent',
  });
  const service = await startService({
    settings,
    logger: silentLogger,
    temporalAddress: temporalAddress(),
    workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
    rules: options.rules,
    pollers: options.pollers ?? false,
  });
  if (options.callbackMode === 'http')
    dingtalk.setCallbackUrl('kdb-approval', `${service.apiUrl}/dingtalk/card-callback`, 'route-secret');
  else await eventually(() => dingtalk.isStreamConnected(), 10_000, 'the Stream listener to connect');

  const status = (workflowId: string) => service.client.workflow.getHandle(workflowId).query(statusQuery);
  return {
    acctId,
    kingdee,
    dingtalk,
    service,
    async startApproval(formId, billNo) {
      const doc = kingdee.getDocument(formId, billNo);
      const result = await service.approvals.start(
        { acctId, formId, billNo },
        { modifyDate: typeof doc?.fields.FModifyDate === 'string' ? doc.fields.FModifyDate : '' },
      );
      return result.workflowId;
    },
    status,
    submitExpense(billNo, amount, purpose) {
      kingdee.createDocument({
        formId: 'ER_ExpReimbursement',
        billNo,
        status: 'B',
        fields: {
          FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
          FReqReimbAmountSum: amount,
          FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
          FCausa: purpose,
        },
      });
    },
    async waitForStage(workflowId, stage, timeoutMs = 15_000) {
      return eventually(
        async () => {
          const state = await status(workflowId).catch(() => undefined);
          return state?.stage === stage ? state : undefined;
        },
        timeoutMs,
        `${workflowId} to reach ${stage}`,
      );
    },
    async stop() {
      try {
        if (process.env.RECORD_HISTORIES)
          await recordHistories(service, settings.temporal.taskQueue, process.env.RECORD_HISTORIES);
      } finally {
        await service.stop();
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
