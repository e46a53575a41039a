/**
 * `npm run bench -- --profile-temporal`: where the Temporal server's CPU goes during the burst. Linux `perf` samples
 * the dev server's call stacks (its Go binary keeps its symbols) from the burst's start until the bench stops it;
 * the samples are then summarised by the work they served (a sample counts for the first area its stack shows, in
 * the order below) and by layer (a sample counts for every layer its stack passes through). Without `perf` (Debian:
 * `apt install linux-perf`) the bench says so and runs without it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Areas of work, first match wins: the server's own names for them, as Go symbols in the stack. */
const workAreas: ReadonlyArray<readonly [string, RegExp]> = [
  ['visibility writes (search attributes, start, close)', /visibilityQueueTaskExecutor/],
  ['workflow tasks (started, completed)', /service\/history\/api\/(recordworkflowtaskstarted|respondworkflowtask)/],
  [
    'activity tasks (started, heartbeats, completed)',
    /service\/history\/api\/(recordactivitytask|respondactivitytask)/,
  ],
  ['starts and signals', /service\/history\/api\/(startworkflow|signalwithstartworkflow|signalworkflow)/],
  ['updates', /service\/history\/api\/(updateworkflow|pollupdate)/],
  ['describes, queries, history reads', /service\/history\/api\/(describeworkflow|queryworkflow|getworkflowexecution)/],
  ['transfer and timer tasks', /service\/history\/queues|service\/history\/(transfer|timer)/],
  ['matching (task queues)', /service\/matching/],
  ['frontend (requests before history)', /service\/frontend/],
  ['search-attribute and namespace refreshes', /searchattribute\.\(\*managerImpl\)|nsregistry/],
  ['garbage collector', /runtime\.gcBgMarkWorker|runtime\.gcDrain|runtime\.bgsweep|runtime\.bgscavenge/],
  // Last: what every call costs before (or after) the server knows which work it is.
  ['gRPC transport (framing, dispatching calls)', /google\.golang\.org\/grpc|golang\.org\/x\/net\/http2/],
  ['goroutine stack growth (unattributed)', /runtime\.newstack|runtime\.morestack/],
];

/** Layers, inclusive: a sample counts for each one its stack passes through. */
const layers: ReadonlyArray<readonly [string, RegExp]> = [
  ['persistence (all)', /go\.temporal\.io\/server\/common\/persistence/],
  ['SQLite', /modernc\.org\/sqlite/],
  ['gRPC and protobuf', /google\.golang\.org\/(grpc|protobuf)/],
  ['garbage collector', /runtime\.gcBgMarkWorker|runtime\.gcDrain|runtime\.mallocgc/],
  ['goroutine stack growth', /runtime\.copystack|runtime\.newstack/],
];

export interface ServerProfileSummary {
  samples: number;
  /** Share of samples (%), by area of work; `other` for stacks matching none. */
  byWork: Record<string, number>;
  /** Share of samples (%) passing through each layer. */
  byLayer: Record<string, number>;
}

/** Summarise `perf script -F ip,sym` output: stacks are blocks of frame lines separated by blank lines. */
export async function summarisePerfScript(
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<ServerProfileSummary> {
  const work = new Map<string, number>();
  const layer = new Map<string, number>();
  let samples = 0;
  let frames: string[] = [];
  const flush = () => {
    if (frames.length === 0) return;
    samples += 1;
    const stack = frames.join('\n');
    const area = workAreas.find(([, pattern]) => pattern.test(stack))?.[0] ?? 'other';
    work.set(area, (work.get(area) ?? 0) + 1);
    for (const [name, pattern] of layers) if (pattern.test(stack)) layer.set(name, (layer.get(name) ?? 0) + 1);
    frames = [];
  };
  for await (const line of lines) {
    if (line.trim() === '') flush();
    else if (/^\s/.test(line)) frames.push(line.trim());
    else flush(); // a sample's header line (with -F comm,…): a new stack starts
  }
  flush();
  const share = (map: Map<string, number>) =>
    Object.fromEntries(
      [...map.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => [name, samples > 0 ? Math.round((1000 * count) / samples) / 10 : 0]),
    );
  return { samples, byWork: share(work), byLayer: share(layer) };
}

export interface ServerProfiler {
  /** Stop sampling and summarise; undefined when perf could not run (the reason was logged). */
  stop(): Promise<ServerProfileSummary | undefined>;
}

/** Start sampling a process's stacks with perf, into `dataFile`; undefined (and a logged reason) without perf. */
export function startServerProfile(
  pid: number,
  dataFile: string,
  log: (line: string) => void,
): ServerProfiler | undefined {
  if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
    log('--profile-temporal needs Linux perf (Debian: apt install linux-perf); running without it');
    return undefined;
  }
  const recorder: ChildProcess = spawn('perf', ['record', '-F', '499', '-g', '-p', String(pid), '-o', dataFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  recorder.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => recorder.once('exit', (code) => resolve(code)));
  return {
    async stop() {
      recorder.kill('SIGINT'); // perf writes its data file on SIGINT
      const code = await exited;
      if (code !== 0 && code !== null) {
        log(`perf record failed (exit ${code}): ${stderr.trim()}`);
        return undefined;
      }
      const script = spawn('perf', ['script', '-i', dataFile, '-F', 'ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const summary = await summarisePerfScript(createInterface({ input: script.stdout }));
      return summary.samples > 0 ? summary : undefined;
    },
  };
}
