/**
 * Temporal provisioning: find (or build) the `temporal` CLI, start its dev server (gRPC + Web UI), register our
 * search attributes, and stop it cleanly. Used by `npm start`, the jest global setup and `npm run temporal`.
 *
 * The CLI version is pinned in exactly one place: tools/temporal-cli/go.mod. That tiny Go module has a committed
 * go.sum, so the build is verified against known hashes even where Go's checksum database cannot be reached.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, accessSync, constants as fsConstants } from 'node:fs';
import { homedir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { customSearchAttributes } from '../workflows/search-attributes';

const projectRoot = path.resolve(__dirname, '..');
const toolsModuleDir = path.join(projectRoot, 'tools', 'temporal-cli');
const cliPackage = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalProvisioningError extends Error {
  override name = 'TemporalProvisioningError';
}

/** The pinned CLI version, read from the tools module so it is written down only once. */
export function pinnedCliVersion(): string {
  const goMod = readFileSync(path.join(toolsModuleDir, 'go.mod'), 'utf8');
  const match = /github\.com\/temporalio\/cli (v[\w.-]+)/.exec(goMod);
  if (!match?.[1])
    throw new TemporalProvisioningError(`tools/temporal-cli/go.mod does not require github.com/temporalio/cli`);
  return match[1];
}

/** Where built binaries are cached: outside git, shared by every clone on the machine. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.KDB_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'kingdee-dingtalk-bridge');
  return base;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface CliLocation {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';
}

/** TEMPORAL_CLI_PATH → `temporal` on PATH → our cache → build with Go into the cache. */
export function findTemporalCli(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = console.error,
): CliLocation {
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new TemporalProvisioningError(
        `TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. Point it at a temporal CLI binary, or unset it to let the project build one.`,
      );
    }
    return { path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };

  const version = pinnedCliVersion();
  const cached = path.join(cacheDir(env), `temporal-cli-${version}`, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  buildTemporalCli(cached, version, env, log);
  return { path: cached, source: 'built' };
}

function buildTemporalCli(target: string, version: string, env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  const go = spawnSync('go', ['version'], { env, encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new TemporalProvisioningError(
      [
        'No temporal CLI found and Go is not installed, so it cannot be built.',
        `Either install Go >= 1.25 (https://go.dev/dl/) and run again — the project builds temporal ${version} once into ${path.dirname(target)} —`,
        `or install the temporal CLI ${version} and put it on PATH, or set TEMPORAL_CLI_PATH to its path.`,
      ].join('\n'),
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  log(`Building the temporal CLI ${version} with ${go.stdout.trim()} (first run only; a few minutes on 2 cores)…`);
  const started = Date.now();
  // Build inside the tools module: its go.sum pins and verifies every dependency.
  const build = spawnSync('go', ['build', '-o', partial, cliPackage], {
    cwd: toolsModuleDir,
    env: { ...env, GOFLAGS: [env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    throw new TemporalProvisioningError(
      `Building the temporal CLI failed (go build exited ${build.status ?? build.signal}). See the Go output above; the Go module proxy must be reachable on the first run.`,
    );
  }
  renameSync(partial, target); // atomic: a concurrent run never sees half a binary
  log(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
}

// ── The Temporal server on its own (production path: `npm run test:production`) ──────────────────────────────
// tools/temporal-server pins go.temporal.io/server at the version the pinned CLI embeds (and the CLI's versions of
// every shared dependency, so the two builds share Go's build cache). Its go.sum verifies the build like the CLI's.

const serverModuleDir = path.join(projectRoot, 'tools', 'temporal-server');
const serverPackage = 'go.temporal.io/server/cmd/server';
const sqlToolPackage = 'go.temporal.io/server/cmd/tools/sql';

function requiredVersion(goModFile: string, modulePath: string): string | undefined {
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\s*(?:require\\s+)?${escaped} (v[\\w.+-]+)`, 'm').exec(readFileSync(goModFile, 'utf8'))?.[1];
}

/** The pinned server version, checked against the one the pinned CLI embeds (they are bumped together). */
export function pinnedServerVersion(): string {
  const version = requiredVersion(path.join(serverModuleDir, 'go.mod'), 'go.temporal.io/server');
  const embedded = requiredVersion(path.join(toolsModuleDir, 'go.mod'), 'go.temporal.io/server');
  if (!version)
    throw new TemporalProvisioningError('tools/temporal-server/go.mod does not require go.temporal.io/server');
  if (embedded && embedded !== version) {
    throw new TemporalProvisioningError(
      `tools/temporal-server pins go.temporal.io/server ${version} but the pinned CLI embeds ${embedded}. Bump them together: in tools/temporal-server, go get go.temporal.io/server@${embedded} && go mod tidy.`,
    );
  }
  return version;
}

export interface ServerBinaries {
  version: string;
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql): creates databases and sets up / updates schemas. */
  sqlTool: string;
  source: 'cache' | 'built';
}

/** The Temporal server and its SQL tool from our cache, built with Go into it on first use. */
export function findTemporalServer(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = console.error,
): ServerBinaries {
  const version = pinnedServerVersion();
  const dir = path.join(cacheDir(env), `temporal-server-${version}`);
  const server = path.join(dir, 'temporal-server');
  const sqlTool = path.join(dir, 'temporal-sql-tool');
  const missing = [
    { target: server, pkg: serverPackage },
    { target: sqlTool, pkg: sqlToolPackage },
  ].filter((binary) => !isExecutable(binary.target));
  for (const binary of missing) buildFromServerModule(binary.target, binary.pkg, version, env, log);
  return { version, server, sqlTool, source: missing.length > 0 ? 'built' : 'cache' };
}

function buildFromServerModule(
  target: string,
  pkg: string,
  version: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): void {
  const go = spawnSync('go', ['version'], { env, encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new TemporalProvisioningError(
      `Go is not installed, so the Temporal server ${version} cannot be built. Install Go >= 1.25 (https://go.dev/dl/) and run again: it is built once into ${path.dirname(target)}.`,
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  log(`Building ${path.basename(target)} ${version} with ${go.stdout.trim()} (first run only)…`);
  const started = Date.now();
  const build = spawnSync('go', ['build', '-o', partial, pkg], {
    cwd: serverModuleDir,
    env: { ...env, GOFLAGS: [env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    throw new TemporalProvisioningError(
      `Building ${pkg} failed (go build exited ${build.status ?? build.signal}). See the Go output above; the Go module proxy must be reachable on the first run.`,
    );
  }
  renameSync(partial, target);
  log(`Built ${target} in ${Math.round((Date.now() - started) / 1000)} s.`);
}

/** A port the OS reports free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const cliTypeName: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export interface DevServerOptions {
  /** gRPC port; the Web UI port defaults to a separate free port. */
  port?: number;
  uiPort?: number;
  /** Headless disables the Web UI. */
  ui?: boolean;
  /** A file for persistence; omit for in-memory. */
  dbFilename?: string;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Serve the server's Prometheus metrics on this port (otherwise the CLI picks one nobody is told of). */
  metricsPort?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  cli: CliLocation;
  process: ChildProcess;
  stop(): Promise<void>;
}

const liveServers = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLiveServersOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort for an abrupt exit: a dev server must never outlive the process that started it.
  process.on('exit', () => {
    for (const child of liveServers) child.kill('SIGKILL');
  });
}

/** Start `temporal server start-dev`, wait until it answers, and register our search attributes. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? console.error;
  const cli = findTemporalCli(env, log);
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort());
  const ui = options.ui ?? true;
  const uiPort = ui ? (options.uiPort ?? (await freePort())) : undefined;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', options.logLevel ?? 'error');
  // As deploy/temporal/dynamicconfig/production-sql.yaml: an activity scheduled by a workflow task goes back to the
  // worker with the task's completion (measured by npm run bench: +19 % approvals/s, activity schedule-to-start ~0).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // One partition per task queue: Temporal splits a queue's rate limit evenly between its partitions (4 by default),
  // so the card queues' 20 a second was 4 × 5, and a burst's last cards drained at 5–15 a second from the partitions
  // left with a backlog. The CLI cannot constrain a value to some queues (production-sql.yaml does: the card queues).
  args.push('--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1');
  args.push('--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
  // The CLI makes every visibility write and search-attribute check read the search attributes from the database
  // again (so one added at runtime shows at once): 3.7 % of the server's CPU samples in npm run bench, and without it
  // the server used 15-20 % less CPU (README Capacity). A new database gets ours with --search-attribute before the
  // server starts, so nothing is added at runtime and the server's own cache (as in production) is exact. An existing
  // one may still be missing one that registering below adds: it keeps the CLI's setting.
  const freshDatabase = !options.dbFilename || !existsSync(options.dbFilename);
  if (freshDatabase) args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
  if (options.metricsPort) args.push('--metrics-port', String(options.metricsPort));
  if (ui && uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (options.dbFilename) {
    mkdirSync(path.dirname(options.dbFilename), { recursive: true });
    args.push('--db-filename', options.dbFilename);
  }
  for (const key of customSearchAttributes) args.push('--search-attribute', `${key.name}=${cliTypeName[key.type]}`);

  const child = spawn(cli.path, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  liveServers.add(child);
  killLiveServersOnExit();
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => liveServers.delete(child));

  const address = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilServing(address, child, () => stderrTail);
    await registerSearchAttributes(address, namespace);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, namespace, uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined, cli, process: child, stop };
}

async function waitUntilServing(address: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new TemporalProvisioningError(`temporal server start-dev exited with ${child.exitCode}:\n${stderr()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > deadline) {
        throw new TemporalProvisioningError(
          `temporal dev server on ${address} did not answer within 60 s:\n${stderr()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/**
 * Register our search attributes through the operator API. Idempotent: `--search-attribute` is silently skipped
 * for a namespace that already exists in a persistent database, so this adds whatever is missing and refuses an
 * attribute that exists with another type.
 */
export async function registerSearchAttributes(
  /** The frontend, or the whole connection options (TLS, API key: config/client-settings.ts). */
  target: string | ConnectionOptions,
  namespace: string,
): Promise<void> {
  const connection = await Connection.connect(typeof target === 'string' ? { address: target } : target);
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const have = existing.customAttributes ?? {};
    const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
    for (const key of customSearchAttributes) {
      const wanted = IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as keyof typeof IndexedValueType];
      const current = have[key.name];
      if (current === undefined) missing[key.name] = wanted;
      else if (current !== wanted) {
        throw new TemporalProvisioningError(
          `Search attribute ${key.name} exists in namespace ${namespace} with type ${IndexedValueType[current]}, expected ${key.type}. Remove it (temporal operator search-attribute remove) or use a fresh database.`,
        );
      }
    }
    if (Object.keys(missing).length > 0) {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    }
  } finally {
    await connection.close();
  }
}
