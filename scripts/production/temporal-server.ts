/**
 * A real Temporal server for the production test — the `temporal-server` binary of go.temporal.io/server (the
 * version the pinned CLI embeds), not `temporal server start-dev`: its schema set up by Temporal's own SQL tool on
 * PostgreSQL (persistence and visibility, plugin postgres12), one node with every service, a minimal config file with
 * the dynamic config docker-compose.yml deploys (deploy/temporal/dynamicconfig), free ports on 127.0.0.1. Then the
 * default namespace and our search attributes, as an operator would.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs, type SearchAttributePair } from '@temporalio/common';
import { customSearchAttributes } from '../../workflows/search-attributes';
import { registerSearchAttributes, type ServerBinaries } from '../temporal-cli';
import type { Postgres } from './postgres';
import type { Child, Processes } from './processes';

export interface TemporalServer {
  address: string;
  namespace: string;
  child: Child;
}

const databases = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
];

/** Create both databases and bring their schemas to the binary's version with temporal-sql-tool. */
async function setUpSchemas(binaries: ServerBinaries, pg: Postgres, logFile: string): Promise<void> {
  const common = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  const env = { ...process.env, SQL_PASSWORD: pg.password };
  for (const db of databases) {
    for (const command of [
      ['create-database'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '--schema-name', db.schema],
    ]) {
      await run(binaries.sqlTool, [...common, '--db', db.name, ...command], env, logFile);
    }
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      writeFileSync(logFile, `$ ${path.basename(command)} ${args.join(' ')}\n${output}\n`, { flag: 'a' });
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}:\n${output.slice(-3000)}`));
    });
  });
}

const taken = new Set<number>();

/**
 * A free port below 32768: Temporal stores membership ports in a SMALLINT column (cluster_membership.rpc_port), so
 * a port from the OS's ephemeral range (32768 and up) makes the server fail at start-up.
 */
async function serverPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/** The dynamic config docker-compose.yml gives its Temporal server: the test runs with what is deployed. */
const productionDynamicConfig = path.resolve(
  __dirname,
  '..',
  '..',
  'deploy',
  'temporal',
  'dynamicconfig',
  'production-sql.yaml',
);

/** The whole server config: every service on one node, persistence and visibility on PostgreSQL. */
function configYaml(pg: Postgres, ports: Ports): string {
  const datastore = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: "${pg.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: 127.0.0.1${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Written by scripts/production/temporal-server.ts for one run of npm run test:production.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${datastore('temporal', 20)}
    visibility:${datastore('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  pprof:
    port: 0
services:
  frontend:${service(ports.frontend, ports.frontendMembership, ports.frontendHttp)}
  history:${service(ports.history, ports.historyMembership)}
  matching:${service(ports.matching, ports.matchingMembership)}
  worker:${service(ports.worker, ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${ports.frontend}
      httpAddress: 127.0.0.1:${ports.frontendHttp}
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
dynamicConfigClient:
  filepath: "${productionDynamicConfig}"
  pollInterval: 10s
`;
}

/** Retry `attempt` until it succeeds; give up at the deadline, or at once when the server has exited. */
async function retry<T>(what: string, timeoutMs: number, server: Child, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (server.hasExited()) throw new Error(`temporal-server exited during ${what}; see ${server.logFile}`);
      if (Date.now() > deadline) {
        throw new Error(`${what} did not succeed within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export async function startTemporalServer(options: {
  processes: Processes;
  binaries: ServerBinaries;
  postgres: Postgres;
  dir: string;
  logDir: string;
  namespace?: string;
}): Promise<TemporalServer> {
  const { processes, binaries, postgres, dir, logDir } = options;
  const namespace = options.namespace ?? 'default';
  await setUpSchemas(binaries, postgres, path.join(logDir, 'temporal-sql-tool.log'));

  const ports: Ports = {
    frontend: await serverPort(),
    frontendHttp: await serverPort(),
    frontendMembership: await serverPort(),
    history: await serverPort(),
    historyMembership: await serverPort(),
    matching: await serverPort(),
    matchingMembership: await serverPort(),
    worker: await serverPort(),
    workerMembership: await serverPort(),
  };
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'production.yaml'), configYaml(postgres, ports), { mode: 0o600 });
  const child = processes.start(
    'temporal-server',
    binaries.server,
    ['--root', dir, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'],
    { cwd: dir },
  );
  const address = `127.0.0.1:${ports.frontend}`;

  const connection = await retry('start-up', 90_000, child, async () => {
    const c = await Connection.connect({ address, connectTimeout: 2_000 });
    await c.workflowService.getSystemInfo({});
    return c;
  });
  try {
    // The namespace, as `temporal operator namespace create` would; retention one day.
    await retry('registering the namespace', 60_000, child, async () => {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        });
      } catch (err) {
        if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
      }
    });
    await retry('the namespace to be served', 60_000, child, () =>
      connection.workflowService.describeNamespace({ namespace }),
    );
    await retry('registering our search attributes', 60_000, child, () => registerSearchAttributes(address, namespace));
    // Proof that the frontend accepts them: start a workflow carrying every one, then terminate it.
    const client = new Client({ connection, namespace });
    const typedSearchAttributes = customSearchAttributes.map((key) => ({ key, value: sampleValue(key.type) }));
    await retry('a start with our search attributes', 60_000, child, async () => {
      const handle = await client.workflow.start('productionTestProbe', {
        taskQueue: 'production-test-probe',
        workflowId: `production-test-probe-${Date.now()}`,
        typedSearchAttributes: typedSearchAttributes as SearchAttributePair[],
      });
      await handle.terminate('provisioning probe');
    });
  } finally {
    await connection.close();
  }
  return { address, namespace, child };
}

function sampleValue(type: string): unknown {
  switch (type) {
    case 'DOUBLE':
    case 'INT':
      return 1;
    case 'BOOL':
      return false;
    case 'KEYWORD_LIST':
      return ['probe'];
    case 'DATETIME':
      return new Date();
    default:
      return 'probe';
  }
}
