/**
 * The production test's child processes: each in a process group of its own, its output in a log file, killed
 * with SIGKILL on demand (a crashed machine) and all of them killed when the test ends — normally, on a signal, or
 * on an uncaught error. Nothing outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>;
  hasExited(): boolean;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this OS user (the test runs as root: PostgreSQL refuses to). */
  uid?: number;
  gid?: number;
}

export class Processes {
  private readonly children = new Set<Child>();

  constructor(private readonly logDir: string) {
    // Last resort: whatever happens, no child outlives this process.
    process.on('exit', () => this.killAllNow());
  }

  start(name: string, command: string, args: string[], options: StartOptions = {}): Child {
    const logFile = path.join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', fd, fd],
      detached: true, // its own process group: killing the group gets grandchildren too
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    let done = false;
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        this.children.delete(entry);
        resolve(signal ?? String(code));
      });
      child.once('error', (err) => {
        done = true;
        this.children.delete(entry);
        resolve(`error: ${err.message}`);
      });
    });
    const entry: Child = { name, pid: child.pid, process: child, logFile, exited, hasExited: () => done };
    this.children.add(entry);
    return entry;
  }

  /** kill -9 of the whole process group, as a machine that dies would; resolves once it is gone. */
  async kill9(child: Child): Promise<void> {
    signalGroup(child, 'SIGKILL');
    await child.exited;
  }

  /**
   * Ask the process politely (SIGTERM, or `signal`: it stops its own children), SIGKILL its group after `graceMs`,
   * and sweep the group once it has exited.
   */
  async stop(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!child.hasExited()) {
      try {
        process.kill(child.pid, signal);
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await child.exited;
      clearTimeout(timer);
    }
    signalGroup(child, 'SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].reverse().map((child) => this.stop(child, 'SIGTERM', 5_000)));
  }

  killAllNow(): void {
    for (const child of this.children) signalGroup(child, 'SIGKILL');
  }
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
