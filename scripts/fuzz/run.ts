/**
 * The fuzz run: send generated inputs (cases.ts) to a running world (world.ts) over HTTP and through the Stream
 * gateway, count answers per endpoint, and check what must hold: no 5xx, every request answered, every Stream frame
 * acknowledged, no uncaught error, no state change (the Temporal workflows of the world's task queue, the waiting
 * approval's stage and log, every Kingdee document's status), the service still healthy, and memory bounded.
 */
import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { statusQuery } from '../../workflows/contract';
import { createCaseGenerator, type FuzzCase } from './cases';
import type { FuzzWorld } from './world';

export interface FuzzOptions {
  count: number;
  seed: number;
  concurrency?: number;
  /** RSS growth (MB, after the run and a GC, over before) allowed: more counts as unbounded memory. */
  rssCeilingMb?: number;
  /** Heap growth (MB, after a GC, over before) allowed: what the service still holds once the inputs are gone. */
  heapCeilingMb?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  durationMs: number;
  /** endpoint → answer (HTTP status, or ack / no-ack / network error) → count */
  table: Record<string, Record<string, number>>;
  memory: {
    rssBeforeMb: number;
    rssPeakMb: number;
    rssAfterMb: number;
    heapBeforeMb: number;
    heapAfterMb: number;
    ceilingMb: number;
    heapCeilingMb: number;
  };
  /** Each must be 0. */
  mustBeZero: Record<string, number>;
  /** What changed, if anything did (for the report). */
  changes: string[];
  /** The first few inputs that got a 5xx or no answer, to reproduce. */
  examples: string[];
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A full GC when the process allows one (otherwise a no-op), so "after" measures what is still held. */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // not available
  }
}

export async function runFuzz(world: FuzzWorld, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const concurrency = options.concurrency ?? 6;
  const ceilingMb = options.rssCeilingMb ?? 200;
  const heapCeilingMb = options.heapCeilingMb ?? 64;
  const next = createCaseGenerator(options.seed, {
    acctId: world.acctId,
    approvalId: world.approvalId,
    dingtalkBaseUrl: world.dingtalk.baseUrl,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const api = new URL(world.apiUrl);
  const table: FuzzReport['table'] = {};
  const examples: string[] = [];
  const count = (endpoint: string, answer: string) => {
    const row = (table[endpoint] ??= {});
    row[answer] = (row[answer] ?? 0) + 1;
  };
  let uncaught = 0;
  const onUncaught = (err: unknown) => {
    uncaught += 1;
    log(`uncaught: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const before = await snapshot(world);
  collectGarbage();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 100);
  const started = Date.now();

  const send = (c: Extract<FuzzCase, { kind: 'http' }>) =>
    new Promise<string>((resolve) => {
      const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
      const request = http.request(
        {
          agent,
          host: api.hostname,
          port: api.port,
          method: c.method,
          path: c.path,
          headers: { ...c.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
          timeout: 30_000,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(String(response.statusCode)));
          response.on('error', () => resolve('network-error'));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (err) => resolve(err.message === 'timeout' ? 'no-answer' : 'network-error'));
      request.end(body);
    });
  const stream = async (c: Extract<FuzzCase, { kind: 'stream' }>) => {
    try {
      await world.streamPush(c.topic, c.data, 10_000);
      return 'ack';
    } catch (err) {
      return err instanceof Error && /no ACK/.test(err.message) ? 'no-ack' : 'not-sent';
    }
  };
  const describe = (c: FuzzCase) =>
    c.kind === 'http'
      ? `${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 200)} ${String(c.body ?? '').slice(0, 200)}`
      : `${c.topic} ${JSON.stringify(c.data)?.slice(0, 300)}`;

  let sent = 0;
  let lastReport = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < options.count) {
        sent += 1;
        const c = next();
        const answer = c.kind === 'http' ? await send(c) : await stream(c);
        count(c.endpoint, answer);
        const bad =
          answer.startsWith('5') || answer === 'no-answer' || answer === 'network-error' || answer === 'no-ack';
        if (bad && examples.length < 10) examples.push(`${answer} ← ${describe(c)}`);
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`  ${sent}/${options.count} inputs, rss ${mb(process.memoryUsage().rss)} MB`);
        }
      }
    }),
  );
  const durationMs = Date.now() - started;
  clearInterval(sampler);
  agent.destroy();

  // Let anything the inputs set off (replies, polls, signals) finish before looking at the state.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const after = await snapshot(world);
  collectGarbage();
  const memory = process.memoryUsage();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  const changes = diff(before, after);
  const healthy = await fetchStatus(`${world.apiUrl}/healthz`);
  const ready = await fetchStatus(`${world.apiUrl}/readyz`);

  const sum = (predicate: (answer: string, endpoint: string) => boolean) =>
    Object.entries(table).reduce(
      (total, [endpoint, row]) =>
        total + Object.entries(row).reduce((n, [answer, k]) => n + (predicate(answer, endpoint) ? k : 0), 0),
      0,
    );
  const rssGrowthMb = mb(memory.rss - rssBefore);
  return {
    seed: options.seed,
    inputs: sent,
    durationMs,
    table,
    memory: {
      rssBeforeMb: mb(rssBefore),
      rssPeakMb: mb(rssPeak),
      rssAfterMb: mb(memory.rss),
      heapBeforeMb: mb(heapBefore),
      heapAfterMb: mb(memory.heapUsed),
      ceilingMb,
      heapCeilingMb,
    },
    mustBeZero: {
      '5xx answers': sum((answer) => answer.startsWith('5')),
      'requests without an answer': sum((answer) => answer === 'no-answer' || answer === 'network-error'),
      'Stream frames not acknowledged': sum((answer) => answer === 'no-ack' || answer === 'not-sent'),
      'valid push hints not accepted (202)': sum(
        (answer, endpoint) => endpoint.includes('valid hint') && answer !== '202',
      ),
      'uncaught errors': uncaught,
      'state changes': changes.length,
      'health checks failing after the run': (healthy === 200 ? 0 : 1) + (ready === 200 ? 0 : 1),
      [`MB of RSS growth over the ${ceilingMb} MB ceiling`]: Math.max(0, Math.ceil(rssGrowthMb - ceilingMb)),
      [`MB of heap growth over the ${heapCeilingMb} MB ceiling`]: Math.max(
        0,
        Math.ceil(mb(memory.heapUsed - heapBefore) - heapCeilingMb),
      ),
    },
    changes,
    examples,
  };
}

interface Snapshot {
  workflows: Map<string, string>;
  approval: string;
  kingdee: Map<string, string>;
}

/** Everything fuzzing must not change: the world's workflows, the waiting approval, Kingdee's documents. */
async function snapshot(world: FuzzWorld): Promise<Snapshot> {
  const workflows = new Map<string, string>();
  const query = `TaskQueue = '${world.taskQueue}' OR TaskQueue = '${world.taskQueue}-notices'`;
  for await (const execution of world.service.client.workflow.list({ query }))
    workflows.set(`${execution.workflowId} (${execution.type})`, execution.status.name);
  const state = await world.service.client.workflow.getHandle(world.approvalId).query(statusQuery);
  const approval = JSON.stringify({
    stage: state.stage,
    log: state.log.map((e) => `${e.action}:${e.actor}`),
    steps: state.steps.map((s) => s.slots.map((slot) => [slot.assignee, slot.decision?.action ?? '-'])),
  });
  const kingdee = new Map<string, string>();
  for (const doc of world.kingdee.documents.values()) kingdee.set(`${doc.formId} ${doc.billNo}`, doc.status);
  return { workflows, approval, kingdee };
}

function diff(before: Snapshot, after: Snapshot): string[] {
  const changes: string[] = [];
  for (const [key, status] of after.workflows)
    if (before.workflows.get(key) !== status)
      changes.push(`workflow ${key}: ${before.workflows.get(key) ?? 'none'} → ${status}`);
  for (const [key, status] of before.workflows)
    if (!after.workflows.has(key)) changes.push(`workflow ${key}: ${status} → gone`);
  if (before.approval !== after.approval) changes.push(`approval: ${before.approval} → ${after.approval}`);
  for (const [key, status] of after.kingdee)
    if (before.kingdee.get(key) !== status)
      changes.push(`Kingdee ${key}: ${before.kingdee.get(key) ?? 'none'} → ${status}`);
  for (const key of before.kingdee.keys()) if (!after.kingdee.has(key)) changes.push(`Kingdee ${key}: deleted`);
  return changes;
}

function fetchStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { timeout: 5_000 }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', () => resolve(0))
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
      });
  });
}

/** The report as text: one row per endpoint with its answers, then the must-be-zero counts and memory. */
export function formatReport(report: FuzzReport): string {
  const answers = [...new Set(Object.values(report.table).flatMap((row) => Object.keys(row)))].sort();
  const rows = Object.entries(report.table).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(8, ...rows.map(([endpoint]) => endpoint.length));
  const cell = (text: string | number) => String(text).padStart(7);
  const lines = [
    `fuzz: ${report.inputs} inputs, seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    `${'endpoint'.padEnd(width)} ${cell('total')}${answers.map(cell).join('')}`,
    ...rows.map(
      ([endpoint, row]) =>
        `${endpoint.padEnd(width)} ${cell(Object.values(row).reduce((a, b) => a + b, 0))}${answers
          .map((answer) => cell(row[answer] ?? '·'))
          .join('')}`,
    ),
    '',
    'must be zero:',
    ...Object.entries(report.mustBeZero).map(([what, n]) => `  ${String(n).padStart(6)}  ${what}${n ? '   ✗' : ''}`),
    '',
    `memory (this process: service, emulators and fuzzer): RSS ${report.memory.rssBeforeMb} MB before, peak ${report.memory.rssPeakMb} MB, ${report.memory.rssAfterMb} MB after; heap after GC ${report.memory.heapBeforeMb} → ${report.memory.heapAfterMb} MB; ceilings: RSS growth ≤ ${report.memory.ceilingMb} MB, heap growth ≤ ${report.memory.heapCeilingMb} MB`,
  ];
  if (report.changes.length) lines.push('', 'state changes:', ...report.changes.map((c) => `  ${c}`));
  if (report.examples.length) lines.push('', 'examples:', ...report.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
