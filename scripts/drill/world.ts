/**
 * The drill's world, every part a process of its own: a file-backed Temporal dev server (stopped with TERM or KILL
 * and started again on the same port and database file), the Kingdee and DingTalk emulators (their CLIs), and the
 * bridge split into one `--role worker` and one `--role api` process, configured through the environment only, as
 * `npm run test:production` does. Child processes run under scripts/production/processes.ts: each in its own
 * process group, its output in a log file, all of them killed when the drill ends.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import YAML from 'yaml';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import { loadSeed } from '../../emulators/kingdee/seed';
import { demoEnv } from '../demo';
import { Processes, type Child } from '../production/processes';
import { freePort, startDevServer, type DevServer } from '../temporal-cli';

const projectRoot = path.resolve(__dirname, '..', '..');
export const taskQueue = 'kingdee-dingtalk-bridge';
export const namespace = 'default';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by a probe to give up at once instead of waiting for the deadline. */
export class Fatal extends Error {}

export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      if (err instanceof Fatal) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(500);
  }
}

export async function http<T>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<T> {
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

export interface WorldOptions {
  dir: string;
  logDir: string;
  /** The rules' poll interval: the drill polls faster than the example's 10 s. */
  pollInterval: string;
  log: (line: string) => void;
}

export class DrillWorld {
  readonly processes: Processes;
  temporal?: DevServer;
  kingdee = '';
  dingtalk = '';
  apiUrl = '';
  worker?: Child;
  api?: Child;
  /** Processes the drill stopped on purpose (a kill or SIGTERM): their exit is not a crash. */
  private readonly intended = new Set<Child>();
  /** Bridge processes that exited without being asked to. */
  readonly crashes: Array<{ name: string; exit: string; at: number }> = [];
  private temporalPort = 0;
  private apiPort = 0;
  private workerGeneration = 0;
  private apiGeneration = 0;
  private connection?: Connection;
  private rulesFile = '';
  private ports = { kingdee: 0, dingtalk: 0 };
  private readonly dbFile: string;

  constructor(private readonly options: WorldOptions) {
    this.processes = new Processes(options.logDir);
    this.dbFile = path.join(options.dir, 'temporal', 'temporal.db');
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }

  async start(): Promise<void> {
    const { dir, log } = this.options;
    this.temporalPort = await freePort();
    this.apiPort = await freePort();
    this.ports = { kingdee: await freePort(), dingtalk: await freePort() };
    this.apiUrl = `http://127.0.0.1:${this.apiPort}`;

    // The example rules, polled every few seconds.
    const rules = YAML.parse(readFileSync(path.join(projectRoot, 'config', 'rules.example.yaml'), 'utf8')) as {
      ingestion: { pollInterval: string };
    };
    rules.ingestion.pollInterval = this.options.pollInterval;
    this.rulesFile = path.join(dir, 'rules.yaml');
    writeFileSync(this.rulesFile, YAML.stringify(rules));

    const kingdeeSeed = path.join(dir, 'kingdee-seed.json');
    writeFileSync(kingdeeSeed, JSON.stringify({ ...loadSeed(), documents: [] }));
    const node = (script: string, args: string[]): [string, string[]] => [
      process.execPath,
      ['--import', 'tsx', script, ...args],
    ];
    this.processes.start(
      'kingdee-emulator',
      ...node('emulators/kingdee/cli.ts', ['--port', String(this.ports.kingdee), '--seed', kingdeeSeed]),
      { cwd: projectRoot },
    );
    this.processes.start(
      'dingtalk-emulator',
      ...node('emulators/dingtalk/cli.ts', ['--port', String(this.ports.dingtalk)]),
      { cwd: projectRoot },
    );
    this.kingdee = `http://127.0.0.1:${this.ports.kingdee}`;
    this.dingtalk = `http://127.0.0.1:${this.ports.dingtalk}`;
    await this.startTemporal();
    await eventually('the Kingdee emulator', 60_000, () => http('GET', `${this.kingdee}/_emulator/stats`));
    await eventually('the DingTalk emulator', 60_000, () => http('GET', `${this.dingtalk}/_emulator/cards`));
    log(
      `Temporal dev server ${this.temporalAddress} (db ${this.dbFile}); Kingdee ${this.kingdee}; DingTalk ${this.dingtalk}`,
    );
    this.connection = await Connection.connect({ address: this.temporalAddress });
    await Promise.all([this.startWorker(), this.startApi()]);
  }

  /** The dev server on its port and database file: the state of the last run is kept. */
  async startTemporal(): Promise<void> {
    this.temporal = await startDevServer({
      port: this.temporalPort,
      ui: false,
      dbFilename: this.dbFile,
      namespace,
      logLevel: 'error',
      log: this.options.log,
    });
  }

  /** Stop the dev server with TERM (it shuts down) or KILL (it dies); resolves with how long it took to exit. */
  async stopTemporal(signal: 'SIGTERM' | 'SIGKILL'): Promise<number> {
    const server = this.temporal;
    if (!server) return 0;
    this.temporal = undefined;
    const t0 = Date.now();
    if (signal === 'SIGTERM') await server.stop();
    else {
      const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));
      if (server.process.exitCode === null && server.process.signalCode === null) {
        server.process.kill('SIGKILL');
        await exited;
      }
    }
    return Date.now() - t0;
  }

  private async bridgeEnv(name: string): Promise<NodeJS.ProcessEnv> {
    return {
      ...process.env,
      // The demo seed's approval card template (DEMO=off requires one to be named).
      DINGTALK_CARD_TEMPLATE_ID: loadDingTalkSeed().cardTemplates[0] ?? 'kdb-approval-card',
      ...demoEnv(this.ports),
      DEMO: 'off',
      ADMIN_TOKEN: 'drill-admin-token',
      RULES_FILE: this.rulesFile,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      API_PORT: String(this.apiPort),
      WORKER_METRICS_PORT: String(await freePort()),
      DATA_DIR: path.join(this.options.dir, 'data', name), // one per role, kept across restarts (the journal)
      LOG_LEVEL: 'info',
      DOTENV_CONFIG_PATH: path.join(this.options.dir, 'no.env'),
      DOTENV_CONFIG_QUIET: 'true',
    };
  }

  private async spawnBridge(role: 'worker' | 'api', generation: number): Promise<Child> {
    const child = this.processes.start(
      `${role}-${generation}`,
      process.execPath,
      ['--import', 'tsx', 'scripts/start.ts', '--role', role],
      { cwd: projectRoot, env: await this.bridgeEnv(role) },
    );
    void child.exited.then((exit) => {
      if (!this.intended.has(child)) this.crashes.push({ name: child.name, exit, at: Date.now() });
    });
    return child;
  }

  /** Start a worker and wait until it polls Temporal (unless Temporal is down: then only start it). */
  async startWorker(wait = true): Promise<Child> {
    const child = await this.spawnBridge('worker', ++this.workerGeneration);
    this.worker = child;
    if (wait) await this.waitForWorker(child);
    return child;
  }

  async waitForWorker(child = this.worker, timeoutMs = 180_000): Promise<void> {
    if (!child) return;
    await eventually(`${child.name} polling Temporal`, timeoutMs, async () => {
      if (child.hasExited()) throw new Fatal(`${child.name} exited; see ${child.logFile}`);
      const described = await this.connection!.withDeadline(Date.now() + 3_000, () =>
        this.connection!.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        }),
      );
      const pids = (described.pollers ?? []).map((p) => Number(String(p.identity).split('@')[0]));
      return pids.includes(child.pid) ? true : undefined;
    });
  }

  async startApi(wait = true): Promise<Child> {
    const child = await this.spawnBridge('api', ++this.apiGeneration);
    this.api = child;
    if (wait) await this.waitForApi(child);
    return child;
  }

  async waitForApi(child = this.api, timeoutMs = 180_000): Promise<void> {
    if (!child) return;
    await eventually(`${child.name} answering`, timeoutMs, async () => {
      if (child.hasExited()) throw new Fatal(`${child.name} exited; see ${child.logFile}`);
      await http('GET', `${this.apiUrl}/healthz`);
      return true;
    });
  }

  /** kill -9 of the worker's process group. */
  async kill9(child: Child): Promise<void> {
    this.intended.add(child);
    await this.processes.kill9(child);
  }

  /** SIGTERM, SIGKILL after `graceMs`; resolves with how long the process took to exit (ms) and how. */
  async terminate(child: Child, graceMs: number): Promise<{ ms: number; exit: string }> {
    this.intended.add(child);
    const t0 = Date.now();
    let exit = '';
    void child.exited.then((e) => (exit = e));
    await this.processes.stop(child, 'SIGTERM', graceMs);
    await child.exited;
    return { ms: Date.now() - t0, exit };
  }

  /** Bridge processes that crashed are started again (and counted by the caller through `crashes`). */
  async reviveCrashed(): Promise<void> {
    if (this.worker?.hasExited() && !this.intended.has(this.worker)) await this.startWorker(false);
    if (this.api?.hasExited() && !this.intended.has(this.api)) await this.startApi(false);
  }

  async stop(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    for (const child of [this.worker, this.api]) if (child) this.intended.add(child);
    await this.processes.stopAll();
    await this.stopTemporal('SIGTERM').catch(() => undefined);
  }

  killAllNow(): void {
    this.processes.killAllNow();
    this.temporal?.process.kill('SIGKILL');
  }
}
