/**
 * The bench's world: a Temporal dev server of its own, both emulators in this process (seeded with `applicants`
 * employees who are also DingTalk users, and no documents), a rules file with one single-step chain, and the bridge —
 * the worker and the API each as their own process (`npm start -- --role worker|api`, or with `compiled` the
 * JavaScript the image runs: `node dist/scripts/start.js`), or in this process with `inProcess`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { createLogger } from '../../common/logger';
import { loadSettings } from '../../config/env';
import { loadSeed } from '../../emulators/kingdee/seed';
import { startKingdeeEmulator, type KingdeeEmulator } from '../../emulators/kingdee/server';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import { startDingTalkEmulator, type DingTalkEmulator } from '../../emulators/dingtalk/server';
import { startService, type RunningService } from '../../workers/service';
import { demoEnv } from '../demo';
import { freePort, startDevServer, type DevServer } from '../temporal-cli';

/** The bridge's pace for each DingTalk API with the quotas lifted (DINGTALK_API_QPS): high enough never to bind. */
export const liftedApiQps = 1_000;

export interface BenchOptions {
  documents: number;
  applicants: number;
  quotas: boolean;
  ingest: 'poll' | 'push';
  pollIntervalMs: number;
  /** The rules' `todos.after` (e.g. `1m`); absent: the rules' default (with the card). */
  todoAfter?: string;
  inProcess: boolean;
  /** Where logs, the rules file and DATA_DIRs go. */
  dir: string;
  /** CPU-profile the worker process (V8 --cpu-prof, written to `dir` when it stops). */
  profile?: boolean;
  /** The worker process's V8 old-space limit (--max-old-space-size), as an operator would set it with NODE_OPTIONS. */
  workerHeapMb?: number;
  /** More Node/V8 flags for the worker process only (after workerHeapMb's, so they win), e.g. --max-semi-space-size=1. */
  workerNodeFlags?: string[];
  /** Run the worker and API from the compiled JavaScript (`npm run build`), as the image does, not through tsx. */
  compiled?: boolean;
}

export interface BenchWorld {
  temporal: DevServer;
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  env: Record<string, string>;
  acctId: string;
  taskQueue: string;
  apiUrl: string;
  workerMetricsUrl: string;
  /** The Temporal server's own Prometheus metrics (its request counters by operation). */
  temporalMetricsUrl: string;
  /** Processes to watch by name (pid). */
  pids: Map<string, number>;
  /** True when the worker runs as its own process. */
  separateWorker: boolean;
  applicants: Array<{ id: number; number: string; name: string; mobile: string; userId: string }>;
  /** Why a bridge process stopped on its own, if one did. */
  failure(): string | undefined;
  stop(): Promise<void>;
}

export const benchFormId = 'ER_ExpReimbursement';
export const approver = 'lisi';
export const cashierGroup = 'cidCashier';
export const adminToken = 'bench-admin-token';
export const pushSecret = 'bench-push-secret';

/** One step (李四 approves), the cashier group told of every approval; no reminders or escalation timers. */
export function benchRules(pollIntervalMs: number, todoAfter?: string): string {
  return `# npm run bench: single-step approvals of expense reports (scripts/bench)
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  cashier: { label: 出纳群, webhook: cashier }
  ops: { label: 运维群, webhook: ops }
ops: { robot: ops }
ingestion: { pollInterval: ${Math.round(pollIntervalMs / 1000)}s, overlap: 2m }
${todoAfter ? `todos: { after: ${todoAfter} }\n` : ''}forms:
  ${benchFormId}:
    name: 费用报销单
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款：{单号}
chains:
  ${benchFormId}:
    - id: manager
      name: 部门经理审批
      approvers: [{ user: ${approver} }]
`;
}

export async function startBenchWorld(options: BenchOptions, log: (line: string) => void): Promise<BenchWorld> {
  const stack: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const part of stack.reverse()) await part().catch((err: unknown) => log(`stop: ${String(err)}`));
  };
  let failure: string | undefined;
  try {
    mkdirSync(options.dir, { recursive: true });
    log('starting a Temporal dev server (in memory)');
    const temporalMetricsPort = await freePort();
    const temporal = await startDevServer({ ui: false, logLevel: 'error', metricsPort: temporalMetricsPort });
    stack.push(() => temporal.stop());

    // Applicants: employees in Kingdee who are DingTalk users (the same mobile), so notices find them.
    const applicants = Array.from({ length: options.applicants }, (_, i) => ({
      id: 9_000 + i,
      number: `BENCH${String(i + 1).padStart(4, '0')}`,
      name: `员工${i + 1}`,
      mobile: `1390000${String(i + 1).padStart(4, '0')}`,
      userId: `bench${i + 1}`,
    }));
    const kingdeeSeed = loadSeed();
    kingdeeSeed.documents = [];
    kingdeeSeed.employees.push(...applicants.map(({ id, number, name, mobile }) => ({ id, number, name, mobile })));
    const dingtalkSeed = loadDingTalkSeed();
    dingtalkSeed.users.push(
      ...applicants.map(({ userId, name, mobile }) => ({ userId, name, mobile, managerUserId: approver, deptIds: [] })),
    );
    const kingdee = await startKingdeeEmulator({ seed: kingdeeSeed });
    stack.push(() => kingdee.close());
    // Real quotas include the robot's 10-minute throttle after going over the minute (DingTalk's documentation).
    const dingtalk = await startDingTalkEmulator({
      seed: dingtalkSeed,
      quotas: options.quotas ? { robot: { perMinute: 20, minuteMs: 60_000, throttleMs: 10 * 60_000 } } : false,
    });
    stack.push(() => dingtalk.close());

    const rulesFile = path.join(options.dir, 'bench-rules.yaml');
    writeFileSync(rulesFile, benchRules(options.pollIntervalMs, options.todoAfter));
    const taskQueue = `bench-${Date.now().toString(36)}`;
    const workerMetricsPort = await freePort();
    const apiPort = await freePort();
    const base: Record<string, string> = {
      ...demoEnv({ kingdee: kingdee.port, dingtalk: dingtalk.port }),
      DEMO: 'off',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      RULES_FILE: rulesFile,
      ADMIN_TOKEN: adminToken,
      KINGDEE_PUSH_SECRET: pushSecret,
      LOG_LEVEL: 'warn',
      WORKER_METRICS_PORT: String(workerMetricsPort),
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      // Quotas lifted: the bridge's own pace for each DingTalk API (the client's and the card queues') is lifted too,
      // so the engine alone is measured. Otherwise DingTalk's 20 a second, as deployed.
      ...(options.quotas ? {} : { DINGTALK_API_QPS: String(liftedApiQps) }),
    };
    const acctId = base.KINGDEE_ACCT_ID!;
    const pids = new Map<string, number>([
      ['temporal', temporal.process.pid!],
      ['bench (emulators, approvers)', process.pid],
    ]);

    if (options.inProcess) {
      const env = { ...base, DATA_DIR: path.join(options.dir, 'data-all') };
      log('starting the bridge in this process (worker, pollers, API, Stream)');
      const service: RunningService = await startService({
        settings: loadSettings(env),
        role: 'all',
        logger: createLogger({ level: 'warn' }),
        temporalAddress: temporal.address,
      });
      stack.push(() => service.stop());
      pids.set('bench (emulators, approvers)', process.pid);
    } else {
      // tsx compiles every module in the process that runs it (~60 MB and start-up CPU the image does not spend).
      const entry = options.compiled
        ? [path.resolve(__dirname, '..', '..', 'dist', 'scripts', 'start.js')]
        : ['--import', 'tsx', path.resolve(__dirname, '..', 'start.ts')];
      const launch = async (role: 'worker' | 'api') => {
        const env = { ...process.env, ...base, DATA_DIR: path.join(options.dir, `data-${role}`) };
        const logFile = createWriteStream(path.join(options.dir, `${role}.log`));
        const child: ChildProcess = spawn(
          process.execPath,
          [
            ...(options.profile && role === 'worker' ? ['--cpu-prof', '--cpu-prof-dir', options.dir] : []),
            ...(options.workerHeapMb && role === 'worker' ? [`--max-old-space-size=${options.workerHeapMb}`] : []),
            ...(role === 'worker' ? (options.workerNodeFlags ?? []) : []),
            ...entry,
            '--role',
            role,
          ],
          { env, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        child.stdout?.pipe(logFile);
        child.stderr?.pipe(logFile);
        stack.push(() => stopChild(child));
        pids.set(role, child.pid!);
        return child;
      };
      log(
        `starting the worker process (${options.compiled ? 'node dist/scripts/start.js' : 'npm start --'} --role worker): it bundles the workflows first`,
      );
      const worker = await launch('worker');
      log(`starting the API process (${options.compiled ? 'node dist/scripts/start.js' : 'npm start --'} --role api)`);
      const api = await launch('api');
      for (const [role, child] of [
        ['worker', worker],
        ['api', api],
      ] as const)
        child.once('exit', (code) => {
          if (code === null || code === 0) return;
          failure = `the ${role} process exited with code ${code} (see ${options.dir}/${role}.log)`;
          log(failure);
        });
    }

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const workerMetricsUrl = `http://127.0.0.1:${workerMetricsPort}/metrics`;
    const alive = () => {
      if (failure) throw new BridgeStopped(failure);
    };
    await until(
      async () =>
        alive() === undefined &&
        (await axios.get(`${apiUrl}/readyz`, { validateStatus: () => true, timeout: 2_000 })).status === 200,
      180_000,
      'the API to be ready',
    );
    await until(async () => dingtalk.isStreamConnected(), 60_000, 'the Stream listener to connect');
    await until(
      async () => (await axios.get(workerMetricsUrl, { timeout: 2_000 })).data.includes('temporal_'),
      180_000,
      'the worker to serve its metrics',
    );
    // The worker runs the pollers: its first pollForm shows it is up (the API's readiness queries Kingdee too).
    await until(
      async () =>
        /temporal_activity_execution_latency_count\{activity_type="pollForm"[^}]*\} [1-9]/.test(
          (await axios.get<string>(workerMetricsUrl, { timeout: 2_000, responseType: 'text' })).data,
        ),
      180_000,
      'the worker to poll Kingdee',
    );
    return {
      temporal,
      kingdee,
      dingtalk,
      env: base,
      acctId,
      taskQueue,
      apiUrl,
      workerMetricsUrl,
      temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
      pids,
      separateWorker: !options.inProcess,
      applicants,
      failure: () => failure,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Wait until `check` holds (errors count as not yet, but a stopped bridge process fails at once), or fail naming what did not happen. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fatal: BridgeStopped | undefined;
    const ok = await check().catch((err: unknown) => {
      if (err instanceof BridgeStopped) fatal = err;
      return false;
    });
    if (fatal) throw fatal;
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A bridge process stopped while the bench waited for it. */
export class BridgeStopped extends Error {}
