/**
 * A throw-away PostgreSQL for the production test: Debian's packaged server (installed with apt-get when missing
 * and we are root), a fresh cluster in a temporary directory, run as a non-root OS user (the `postgres` user when
 * we are root), listening on 127.0.0.1 only, on a free port, with password (SCRAM) login for Temporal.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../temporal-cli';
import type { Child, Processes } from './processes';

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Stop (fast shutdown), stay down for `downMs`, start again and wait until it accepts connections. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((name) => existsSync(path.join(root, name, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(root, majors[0], 'bin');
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  return dir && existsSync(path.join(dir, 'postgres')) ? dir : undefined;
}

function ensureInstalled(log: (line: string) => void): string {
  const found = findBinDir();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      'PostgreSQL is not installed. Install Debian\'s "postgresql" package (apt-get install postgresql) and run again.',
    );
  }
  log('PostgreSQL is not installed: apt-get install postgresql …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${run.status ?? run.signal})`);
  }
  const installed = findBinDir();
  if (!installed) throw new Error('apt-get installed postgresql but no server binary was found');
  return installed;
}

/** The OS user the server runs as: PostgreSQL refuses root, so root hands it to `postgres` (the package's user). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no "postgres" OS user to run PostgreSQL as (useradd postgres)');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(processes: Processes, dir: string, log: (line: string) => void): Promise<Postgres> {
  const bin = ensureInstalled(log);
  const owner = serverUser();
  mkdirSync(dir, { recursive: true });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const dataDir = path.join(dir, 'data');
  const user = 'temporal';
  const password = `pw-${process.pid}-${Date.now()}`;
  const passwordFile = path.join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);

  const initdb = spawnSync(
    path.join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
      '--locale=C',
    ],
    { ...asOwner, cwd: dir, encoding: 'utf8' },
  );
  if (initdb.status !== 0) throw new Error(`initdb failed:\n${initdb.stdout}\n${initdb.stderr}`);

  const port = await freePort();
  const host = '127.0.0.1';
  let server: Child | undefined;
  const start = async () => {
    server = processes.start(
      'postgres',
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        `listen_addresses=${host}`,
        '-c',
        `unix_socket_directories=${dir}`,
        '-c',
        'max_connections=300',
      ],
      { ...asOwner, cwd: dir },
    );
    await waitUntilReady(bin, host, port, server);
  };
  const stop = async () => {
    // SIGINT to the postmaster is PostgreSQL's "fast" shutdown: sessions are cut, then a clean checkpoint.
    if (server) await processes.stop(server, 'SIGINT', 30_000);
  };
  await start();
  return {
    host,
    port,
    user,
    password,
    async restart(downMs) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    stop,
  };
}

async function waitUntilReady(bin: string, host: string, port: number, server: Child): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.hasExited()) throw new Error(`postgres exited during start-up; see ${server.logFile}`);
    const ready = spawnSync(path.join(bin, 'pg_isready'), ['-h', host, '-p', String(port), '-q']);
    if (ready.status === 0) return;
    if (Date.now() > deadline)
      throw new Error(`postgres did not accept connections within 60 s; see ${server.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
