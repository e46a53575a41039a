/**
 * `npm run test:production`: the production path, end to end, with failures. A real Temporal server (built from
 * go.temporal.io/server, not the dev server) on PostgreSQL; the Kingdee and DingTalk emulators as processes of
 * their own; the bridge split into TWO `--role worker` processes and ONE `--role api` process, configured through
 * the environment only. 100 expense reimbursements are submitted in Kingdee, picked up by the pollers and approved
 * by their approvers on the DingTalk cards, while one worker is killed with SIGKILL (and started again later) and
 * PostgreSQL is restarted. Then it counts, per document, the audits in Kingdee's document history, prints the
 * counts (documents, audited once, audited twice, lost) and exits non-zero unless every document was audited
 * exactly once.
 *
 * Bounded: every phase has a deadline and the whole run a hard one; every child process is killed at the end.
 * Logs of every process are kept (and their directory printed) when the test fails, or with PRODUCTION_TEST_KEEP=1.
 * PRODUCTION_TEST_DOCUMENTS=N runs with N documents instead of 100.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadSeed } from '../../emulators/kingdee/seed';
import { demoEnv } from '../demo';
import { findTemporalServer, freePort, type ServerBinaries } from '../temporal-cli';
import { startPostgres, type Postgres } from './postgres';
import { Processes, type Child } from './processes';
import { startTemporalServer, type TemporalServer } from './temporal-server';

const projectRoot = path.resolve(__dirname, '..', '..');
const documentCount = Number(process.env.PRODUCTION_TEST_DOCUMENTS ?? 100);
/** The whole run after the binaries exist: provisioning, start-up, approvals, counting. */
const runDeadlineMs = 25 * 60_000;
/** From the first submitted document to the last audit. */
const approvalsDeadlineMs = 12 * 60_000;
const taskQueue = 'kingdee-dingtalk-bridge';
const formId = 'ER_ExpReimbursement';

const started = Date.now();
const log = (line: string) => console.log(`[production-test +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by a probe to give up at once (a process died) instead of waiting for the deadline. */
class Fatal extends Error {}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      if (err instanceof Fatal) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

async function http<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

interface KingdeeDocument {
  billNo: string;
  status: string;
  history: Array<{ operation: string }>;
}
interface Card {
  outTrackId: string;
  userIds: string[];
  cardParamMap: Record<string, string>;
  lastCallback?: { ok: boolean; detail?: string };
}

async function main(): Promise<number> {
  const binaries = findTemporalServer(process.env, log);
  log(`temporal-server ${binaries.version} (${binaries.source}): ${path.dirname(binaries.server)}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'kdb-production-'));
  chmodSync(dir, 0o711); // PostgreSQL runs as another OS user and needs to reach its directory inside
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  log(`working directory (logs in logs/): ${dir}`);
  const processes = new Processes(logDir);
  let keepDir = true;
  const cleanUp = async () => {
    await processes.stopAll();
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process`);
      processes.killAllNow();
      process.exit(130);
    });
  }
  const hardStop = setTimeout(() => {
    log(`FAILED: the run took longer than ${runDeadlineMs / 60_000} min; logs in ${logDir}`);
    processes.killAllNow();
    process.exit(2);
  }, runDeadlineMs);
  hardStop.unref();

  try {
    const result = await scenario(binaries, processes, dir, logDir);
    keepDir = !result.passed || process.env.PRODUCTION_TEST_KEEP === '1';
    if (keepDir) log(`logs kept in ${logDir}`);
    return result.passed ? 0 : 1;
  } catch (err) {
    log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    log(`logs kept in ${logDir}`);
    return 1;
  } finally {
    await cleanUp();
    clearTimeout(hardStop);
  }
}

async function scenario(
  binaries: ServerBinaries,
  processes: Processes,
  dir: string,
  logDir: string,
): Promise<{ passed: boolean }> {
  const postgres: Postgres = await startPostgres(processes, path.join(dir, 'pg'), log);
  log(`PostgreSQL on ${postgres.host}:${postgres.port}`);
  const server: TemporalServer = await startTemporalServer({
    processes,
    binaries,
    postgres,
    dir: path.join(dir, 'temporal'),
    logDir,
  });
  log(
    `temporal-server on ${server.address}: schemas set up, namespace ${server.namespace}, search attributes registered`,
  );

  // The emulators, each a process of its own. Kingdee starts without documents: the test submits them.
  const kingdeeSeed = path.join(dir, 'kingdee-seed.json');
  writeFileSync(kingdeeSeed, JSON.stringify({ ...loadSeed(), documents: [] }));
  const ports = { kingdee: await freePort(), dingtalk: await freePort() };
  const node = (script: string, args: string[]): [string, string[]] => [
    process.execPath,
    ['--import', 'tsx', script, ...args],
  ];
  const kingdeeEmulator = processes.start(
    'kingdee-emulator',
    ...node('emulators/kingdee/cli.ts', ['--port', String(ports.kingdee), '--seed', kingdeeSeed]),
    {
      cwd: projectRoot,
    },
  );
  const dingtalkEmulator = processes.start(
    'dingtalk-emulator',
    ...node('emulators/dingtalk/cli.ts', ['--port', String(ports.dingtalk)]),
    {
      cwd: projectRoot,
    },
  );
  const kingdee = `http://127.0.0.1:${ports.kingdee}`;
  const dingtalk = `http://127.0.0.1:${ports.dingtalk}`;
  await eventually('the Kingdee emulator', 60_000, () => http('GET', `${kingdee}/_emulator/stats`));
  await eventually('the DingTalk emulator', 60_000, () => http('GET', `${dingtalk}/_emulator/cards`));
  log(`emulators: Kingdee ${kingdee}, DingTalk ${dingtalk}`);

  // The bridge: configured through the environment only, as in production.
  const apiPort = await freePort();
  const bridgeEnv = async (name: string): Promise<NodeJS.ProcessEnv> => ({
    ...process.env,
    ...demoEnv(ports),
    DEMO: 'off',
    ADMIN_TOKEN: 'production-test-admin-token',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: String(apiPort),
    WORKER_METRICS_PORT: String(await freePort()),
    DATA_DIR: path.join(dir, 'data', name), // each process its own, as on separate hosts
    LOG_LEVEL: 'info',
    // A developer's .env must not leak into the test.
    DOTENV_CONFIG_PATH: path.join(dir, 'no.env'),
    DOTENV_CONFIG_QUIET: 'true',
  });
  const startBridge = async (name: string, role: 'worker' | 'api') =>
    processes.start(name, ...node('scripts/start.ts', ['--role', role]), {
      cwd: projectRoot,
      env: await bridgeEnv(name),
    });
  const workers: Child[] = [await startBridge('worker-1', 'worker'), await startBridge('worker-2', 'worker')];
  const api = await startBridge('api', 'api');
  /** Every process that must stay up; the approvals phase gives up at once when one of them dies. */
  const running = () => [server.child, kingdeeEmulator, dingtalkEmulator, api, ...workers];
  const assertRunning = () => {
    const dead = running().find((child) => child.hasExited());
    if (dead) throw new Fatal(`${dead.name} exited unexpectedly; see ${dead.logFile}`);
  };

  const connection = await Connection.connect({ address: server.address });
  try {
    const pollerPids = async () => {
      const described = await connection.workflowService.describeTaskQueue({
        namespace: server.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (described.pollers ?? []).map((p) => Number(String(p.identity).split('@')[0]));
    };
    const waitForWorkers = (children: Child[]) =>
      eventually(`workers ${children.map((c) => c.name).join(', ')} polling Temporal`, 240_000, async () => {
        for (const child of children)
          if (child.hasExited()) throw new Fatal(`${child.name} exited; see ${child.logFile}`);
        const pids = await pollerPids();
        return children.every((c) => pids.includes(c.pid)) ? true : undefined;
      });
    await eventually('the API to be ready', 240_000, async () => {
      if (api.hasExited()) throw new Fatal(`api exited; see ${api.logFile}`);
      return http('GET', `http://127.0.0.1:${apiPort}/readyz`);
    });
    await waitForWorkers(workers);
    log(
      `bridge: worker-1 (pid ${workers[0]!.pid}), worker-2 (pid ${workers[1]!.pid}), api (pid ${api.pid}, :${apiPort})`,
    );

    // 100 expense reimbursements, submitted (status B) as people would in Kingdee. Some are over ¥50,000, so the CFO
    // approves them too (three steps instead of two).
    const bills = Array.from({ length: documentCount }, (_, i) => `FYBX9${String(i + 1).padStart(5, '0')}`);
    for (const [i, billNo] of bills.entries()) {
      await http('POST', `${kingdee}/_emulator/documents`, {
        formId,
        billNo,
        status: 'B',
        fields: {
          FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
          FReqReimbAmountSum: 800 + ((i * 7919) % 60_000),
          FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
          FCausa: `生产路径测试 ${billNo}`,
        },
      });
    }
    const approvalsStarted = Date.now();
    log(`${bills.length} expense reimbursements submitted in Kingdee; the pollers pick them up`);

    const documents = async () =>
      (await http<KingdeeDocument[]>('GET', `${kingdee}/_emulator/documents`)).filter((d) => bills.includes(d.billNo));
    const auditsOf = (doc: KingdeeDocument) =>
      doc.history.filter((h) => h.operation === 'Audit' || h.operation === 'WorkflowAudit').length;
    const auditedCount = async () => (await documents()).filter((d) => auditsOf(d) > 0).length;

    // The approvers press 同意 on their cards. The documents are released to them in waves, so that every failure
    // lands while approvals are in flight: kill -9 a worker, restart PostgreSQL, start the worker again; the last
    // wave is approved with the restarted worker polling again.
    const released = new Set<string>();
    const release = (upTo: number) => bills.slice(0, Math.ceil(bills.length * upTo)).forEach((b) => released.add(b));
    const approver = startApprovers(dingtalk, released);
    const chaos = [
      {
        whenAudited: 0.2,
        thenRelease: 0.7,
        what: 'kill -9 worker-1',
        act: async () => {
          const victim = workers.shift()!;
          await processes.kill9(victim);
        },
      },
      {
        whenAudited: 0.45,
        thenRelease: 0.85,
        what: 'restart PostgreSQL (fast shutdown, 5 s down)',
        act: () => postgres.restart(5_000),
      },
      {
        whenAudited: 0.7,
        thenRelease: 1,
        what: 'start worker-1 again',
        act: async () => {
          const restarted = await startBridge('worker-1-restarted', 'worker');
          workers.push(restarted);
          await waitForWorkers([restarted]);
        },
      },
    ];
    let cutShort: string | undefined;
    try {
      release(0.4);
      for (const step of chaos) {
        const threshold = Math.ceil(bills.length * step.whenAudited);
        const audited = await eventually(
          `${threshold} audited documents`,
          Math.max(0, approvalsDeadlineMs - (Date.now() - approvalsStarted)),
          async () => {
            assertRunning();
            const count = await auditedCount();
            return count >= threshold ? count : undefined;
          },
        );
        log(`${audited}/${bills.length} audited → ${step.what}`);
        const t0 = Date.now();
        await step.act();
        log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        release(step.thenRelease);
      }
      await eventually(
        `all ${bills.length} documents audited`,
        Math.max(0, approvalsDeadlineMs - (Date.now() - approvalsStarted)),
        async () => {
          assertRunning();
          return (await auditedCount()) === bills.length ? true : undefined;
        },
      ).catch((err: unknown) => log(`not all audited: ${(err as Error).message}`));
      log(`approvals took ${Math.round((Date.now() - approvalsStarted) / 1000)} s (${approver.clicks()} card clicks)`);
    } catch (err) {
      // Still count below: the numbers say what was lost.
      cutShort = err instanceof Error ? err.message : String(err);
      log(`the run was cut short: ${cutShort}`);
    } finally {
      approver.stop();
    }

    // Let retries and late write-backs land before counting: a second audit would show up now.
    await sleep(15_000);
    const finalDocs = await documents();
    const stats = await http<{ byOperation: Record<string, number> }>('GET', `${kingdee}/_emulator/stats`);
    const counts = {
      documents: finalDocs.length,
      auditedOnce: finalDocs.filter((d) => auditsOf(d) === 1).length,
      auditedTwice: finalDocs.filter((d) => auditsOf(d) === 2).length,
      auditedMore: finalDocs.filter((d) => auditsOf(d) > 2).length,
      lost: bills.length - finalDocs.filter((d) => auditsOf(d) > 0).length,
    };
    const passed = !cutShort && counts.documents === bills.length && counts.auditedOnce === bills.length;
    console.log(
      [
        '',
        `production test: temporal-server ${binaries.version} on PostgreSQL; 2 workers + 1 API; kill -9 worker-1 (restarted), PostgreSQL restarted`,
        `  documents:        ${counts.documents}`,
        `  audited once:     ${counts.auditedOnce}`,
        `  audited twice:    ${counts.auditedTwice}${counts.auditedMore ? ` (and ${counts.auditedMore} more than twice)` : ''}`,
        `  lost:             ${counts.lost}   (not audited)`,
        `  Kingdee Audit calls: ${stats.byOperation.Audit ?? 0} (refused repeats included)`,
        `  ${passed ? 'PASSED: every document audited exactly once' : `FAILED: ${cutShort ? `the run was cut short (${cutShort})` : 'not every document audited exactly once'}`}`,
        '',
      ].join('\n'),
    );
    if (!passed) {
      const wrong = finalDocs.filter((d) => auditsOf(d) !== 1).map((d) => `${d.billNo}:${d.status}:${auditsOf(d)}`);
      const missing = bills.filter((b) => !finalDocs.some((d) => d.billNo === b));
      log(`documents not audited exactly once: ${[...wrong, ...missing.map((b) => `${b}:missing`)].join(' ')}`);
    }
    return { passed };
  } finally {
    await connection.close();
  }
}

/**
 * The approvers: every second, press 同意 on each pending card of a released document, as the person the card
 * was delivered to. A press whose callback failed leaves the card pending (with its buttons), so it is pressed again
 * after a while, as a person would; a card showing "processing" has no buttons and is left alone.
 */
function startApprovers(dingtalk: string, released: Set<string>): { stop(): void; clicks(): number } {
  let stopped = false;
  let clicks = 0;
  const lastPressed = new Map<string, number>();
  const loop = async () => {
    while (!stopped) {
      try {
        const cards = await http<Card[]>('GET', `${dingtalk}/_emulator/cards`);
        const due = cards.filter(
          (card) =>
            released.has(card.cardParamMap.billNo ?? '') &&
            card.cardParamMap.status === 'pending' &&
            Date.now() - (lastPressed.get(card.outTrackId) ?? 0) > 10_000,
        );
        for (const card of due) {
          if (stopped) break;
          lastPressed.set(card.outTrackId, Date.now());
          clicks += 1;
          await http('POST', `${dingtalk}/_emulator/cards/${encodeURIComponent(card.outTrackId)}/click`, {
            userId: card.userIds[0],
            actionId: 'approve',
            params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId, comment: '' },
          }).catch(() => undefined);
        }
      } catch {
        // The emulator is busy; try again.
      }
      await sleep(1_000);
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
    clicks: () => clicks,
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
