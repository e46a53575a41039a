/**
 * What `npm run bench` measures, apart from the run itself: percentiles, a process's CPU time and peak RSS (from
 * /proc), the worker's Prometheus histograms (schedule-to-start per activity type), and Temporal actions counted in
 * workflow histories.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Nearest-rank percentile of `values` (undefined when empty). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Spread {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length > 0 ? Math.max(...values) : undefined,
  };
}

// ── processes ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface ProcessSample {
  /** User + system CPU seconds so far. */
  cpuSeconds: number;
  rssMb: number;
  /** Peak RSS (VmHWM). */
  peakRssMb: number;
}

const clockTicks = 100; // USER_HZ on Linux

/** CPU time and memory of a process from /proc (undefined when it is gone or /proc is unavailable). */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], utime [11], stime [12] (stat(5) numbers 14 and 15).
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** The machine's CPU time since boot by kind (/proc/stat's first line), in seconds summed over its cores. */
export interface MachineSample {
  busySeconds: number;
  idleSeconds: number;
  /** Time the hypervisor ran someone else while this VM wanted a core: a run's noise, not our cost. */
  stolenSeconds: number;
}

/** /proc/stat's `cpu` line: user nice system idle iowait irq softirq steal … (proc(5); guest time is inside user). */
export function parseMachineLine(line: string): MachineSample | undefined {
  const [label, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.slice(0, 8).map(Number);
  if (label !== 'cpu' || ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  // Eight finite numbers, checked above; the defaults only satisfy the type checker.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  return {
    busySeconds: (user + nice + system + irq + softirq) / clockTicks,
    idleSeconds: (idle + iowait) / clockTicks,
    stolenSeconds: steal / clockTicks,
  };
}

export function sampleMachine(): MachineSample | undefined {
  try {
    return parseMachineLine(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '');
  } catch {
    return undefined;
  }
}

export interface ProcessUse {
  cpuSeconds: number;
  rssAtStartMb: number;
  rssMb: number;
  peakRssMb: number;
  processPeakRssMb: number;
}

/** Tracks processes over a run: CPU used between start() and now, and the highest RSS seen. */
export class ProcessWatch {
  private readonly start = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly last = new Map<string, ProcessSample>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: Map<string, number>) {}

  private readonly rssAtStart = new Map<string, number>();
  private machineAtStart?: MachineSample;

  begin(everyMs = 1_000): void {
    this.machineAtStart = sampleMachine();
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid);
      this.start.set(name, s?.cpuSeconds ?? 0);
      if (s) this.rssAtStart.set(name, round(s.rssMb, 0));
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid);
      if (!s) continue;
      this.last.set(name, s);
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.rssMb));
    }
  }

  end(): Record<string, ProcessUse> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const out: Record<string, ProcessUse> = {};
    for (const name of this.pids.keys()) {
      const s = this.last.get(name);
      if (!s) continue;
      out[name] = {
        cpuSeconds: round(s.cpuSeconds - (this.start.get(name) ?? 0), 1),
        rssAtStartMb: this.rssAtStart.get(name) ?? 0,
        rssMb: round(s.rssMb, 0),
        peakRssMb: round(this.peak.get(name) ?? s.rssMb, 0),
        processPeakRssMb: round(s.peakRssMb, 0),
      };
    }
    return out;
  }

  /** The whole machine's CPU between begin() and now (undefined without /proc/stat). */
  machine(): MachineSample | undefined {
    const now = sampleMachine();
    const start = this.machineAtStart;
    if (!now || !start) return undefined;
    return {
      busySeconds: round(now.busySeconds - start.busySeconds, 1),
      idleSeconds: round(now.idleSeconds - start.idleSeconds, 1),
      stolenSeconds: round(now.stolenSeconds - start.stolenSeconds, 1),
    };
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ── Prometheus ─────────────────────────────────────────────────────────────────────────────────────────────────

/** `name{labels} value` lines of a Prometheus text exposition, with their labels parsed. */
export function parsePrometheus(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

/**
 * The calls our processes made to Temporal, by operation: the frontend's `service_requests` counters (the dev server
 * runs every service in one process; only the frontend's are calls from outside).
 */
export function frontendRequests(samples: ReturnType<typeof parsePrometheus>): Map<string, number> {
  const byOperation = new Map<string, number>();
  for (const { name, labels, value } of samples) {
    if (name !== 'service_requests' || labels.service_name !== 'frontend' || !labels.operation) continue;
    byOperation.set(labels.operation, (byOperation.get(labels.operation) ?? 0) + value);
  }
  return byOperation;
}

/** Per approval, the calls made between two readings of frontendRequests, largest first (none: 0 approvals). */
export function requestsPerApproval(
  before: Map<string, number>,
  after: Map<string, number>,
  approvals: number,
): Array<[operation: string, perApproval: number]> {
  if (approvals <= 0) return [];
  return [...after.entries()]
    .map(([operation, count]): [string, number] => [operation, (count - (before.get(operation) ?? 0)) / approvals])
    .filter(([, perApproval]) => perApproval > 0)
    .sort((a, b) => b[1] - a[1]);
}

/**
 * A histogram's quantile per value of `by` (e.g. activity_type), from its cumulative buckets summed over every other
 * label, in milliseconds: the upper bound of the bucket the quantile falls in (as `histogram_quantile` would bound it).
 */
export function histogramQuantiles(
  samples: ReturnType<typeof parsePrometheus>,
  metric: string,
  by: string,
  q: number,
): Record<string, { quantileMs: number | undefined; count: number }> {
  const bucketName = [`${metric}_bucket`, `${metric}_seconds_bucket`];
  const seconds = samples.some((s) => s.name === `${metric}_seconds_bucket`);
  const groups = new Map<string, Map<number, number>>();
  for (const s of samples) {
    if (!bucketName.includes(s.name)) continue;
    const key = s.labels[by] ?? '';
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    const buckets = groups.get(key) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    groups.set(key, buckets);
  }
  const out: Record<string, { quantileMs: number | undefined; count: number }> = {};
  for (const [key, buckets] of groups) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    const total = sorted.at(-1)?.[1] ?? 0;
    const target = q * total;
    const hit = sorted.find(([, cumulative]) => cumulative >= target && total > 0);
    const bound = hit?.[0];
    out[key] = {
      quantileMs: bound === undefined ? undefined : bound === Infinity ? Infinity : seconds ? bound * 1000 : bound,
      count: total,
    };
  }
  return out;
}

// ── Temporal actions ──────────────────────────────────────────────────────────────────────────────────────────

const EventType = {
  started: 1,
  activityScheduled: 10,
  activityStarted: 11,
  timerStarted: 17,
  marker: 25,
  signaled: 26,
  childInitiated: 30,
  signalExternalInitiated: 36,
  upsertSearchAttributes: 40,
  updateAccepted: 41,
  propertiesModified: 45,
  cancelExternalInitiated: 37,
} as const;

/**
 * Billable actions in one history, as Temporal Cloud counts them: the start (a continue-as-new run's start
 * included), each activity attempt, timer, signal received, update accepted, search-attribute or memo upsert, child
 * start, signal or cancel sent, local activity or side effect marker (version markers excluded).
 */
export function actionsIn(events: readonly temporal.api.history.v1.IHistoryEvent[]): number {
  let actions = 0;
  for (const event of events) {
    switch (Number(event.eventType)) {
      case EventType.started:
      case EventType.activityScheduled:
      case EventType.timerStarted:
      case EventType.signaled:
      case EventType.childInitiated:
      case EventType.signalExternalInitiated:
      case EventType.cancelExternalInitiated:
      case EventType.upsertSearchAttributes:
      case EventType.updateAccepted:
      case EventType.propertiesModified:
        actions += 1;
        break;
      case EventType.activityStarted: {
        const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
        actions += Math.max(0, attempt - 1); // retries are actions too
        break;
      }
      case EventType.marker:
        if (event.markerRecordedEventAttributes?.markerName !== 'core_patch') actions += 1;
        break;
    }
  }
  return actions;
}

export interface HistoryFindings {
  runs: number;
  events: number;
  actions: number;
  /** Activity schedule-to-start (scheduled → started of its last attempt) per activity type, in ms. */
  activityScheduleToStart: Record<string, number[]>;
  /** Workflow task schedule-to-start, in ms: every task, and the first of each run (on the normal queue). */
  workflowTaskScheduleToStart: number[];
  firstWorkflowTaskScheduleToStart: number[];
  /** Of the workflow tasks that took a decision: an accepted Update, or the task after a decideAsync Signal. */
  decisionTaskScheduleToStart: number[];
  /** When each run started (epoch ms): ingestion's share of submit → first card. */
  startedAt: number[];
  /** The same by workflow id (documents submitted at a rate: each from its own submission). */
  startedAtById: Map<string, number>;
  /** When each run's first workflow task started (epoch ms): planning's share of it. */
  firstTaskStartedAt: number[];
  /** Histories that could not be read. */
  unreadable: number;
}

const eventTypeActivityScheduled = 10;
const eventTypeWorkflowTaskScheduled = 5;
const eventTypeWorkflowTaskStarted = 6;

function msOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return NaN;
  const seconds = ts.seconds as { toNumber?: () => number } | number | string | undefined;
  const s = typeof seconds === 'object' && seconds?.toNumber ? seconds.toNumber() : Number(seconds ?? 0);
  return s * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/**
 * Every run of the workflows matching `query` (at most `limit` of them): their billable actions, and the
 * schedule-to-start latencies their histories show (per activity type, and of workflow tasks).
 */
export async function readHistories(client: Client, query: string, limit = Infinity): Promise<HistoryFindings> {
  const found: HistoryFindings = {
    runs: 0,
    events: 0,
    actions: 0,
    activityScheduleToStart: {},
    workflowTaskScheduleToStart: [],
    firstWorkflowTaskScheduleToStart: [],
    decisionTaskScheduleToStart: [],
    startedAt: [],
    startedAtById: new Map(),
    firstTaskStartedAt: [],
    unreadable: 0,
  };
  const visit = (events: readonly temporal.api.history.v1.IHistoryEvent[]) => {
    found.events += events.length;
    found.actions += actionsIn(events);
    if (events[0]) found.startedAt.push(msOf(events[0].eventTime));
    const scheduled = new Map<string, { type: string; at: number }>();
    let taskScheduledAt: number | undefined;
    let first = true;
    let lastTaskLatency: number | undefined;
    let signalledDecision = false;
    let nextIsDecision = false;
    for (const event of events) {
      const type = Number(event.eventType);
      if (type === EventType.updateAccepted && lastTaskLatency !== undefined) {
        // The update was accepted by the task just completed (a speculative task, scheduled when the update came).
        found.decisionTaskScheduleToStart.push(lastTaskLatency);
        lastTaskLatency = undefined;
      } else if (
        type === EventType.signaled &&
        event.workflowExecutionSignaledEventAttributes?.signalName === 'decideAsync'
      ) {
        signalledDecision = true;
      }
      if (type === eventTypeActivityScheduled) {
        scheduled.set(String(event.eventId), {
          type: event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?',
          at: msOf(event.eventTime),
        });
      } else if (type === EventType.activityStarted) {
        const from = scheduled.get(String(event.activityTaskStartedEventAttributes?.scheduledEventId));
        if (from && (event.activityTaskStartedEventAttributes?.attempt ?? 1) === 1)
          (found.activityScheduleToStart[from.type] ??= []).push(msOf(event.eventTime) - from.at);
      } else if (type === eventTypeWorkflowTaskScheduled) {
        taskScheduledAt = msOf(event.eventTime);
        nextIsDecision = signalledDecision;
        signalledDecision = false;
      } else if (type === eventTypeWorkflowTaskStarted && taskScheduledAt !== undefined) {
        const latency = msOf(event.eventTime) - taskScheduledAt;
        found.workflowTaskScheduleToStart.push(latency);
        if (first) {
          found.firstWorkflowTaskScheduleToStart.push(latency);
          found.firstTaskStartedAt.push(msOf(event.eventTime));
        }
        if (nextIsDecision) found.decisionTaskScheduleToStart.push(latency);
        lastTaskLatency = nextIsDecision ? undefined : latency;
        first = false;
        taskScheduledAt = undefined;
      }
    }
  };
  const pending: Array<Promise<void>> = [];
  for await (const execution of client.workflow.list({ query })) {
    if (found.runs >= limit) break;
    found.runs += 1;
    pending.push(
      client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .fetchHistory()
        .then(
          (history) => {
            const events = history.events ?? [];
            visit(events);
            if (events[0]) found.startedAtById.set(execution.workflowId, msOf(events[0].eventTime));
          },
          () => {
            found.unreadable += 1;
          },
        ),
    );
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return found;
}

// ── CPU profiles ──────────────────────────────────────────────────────────────────────────────────────────────

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/**
 * What one run did after `fromMs` (epoch ms): each event's type (with the activity's, signal's, update's or marker's
 * name) and its time from `fromMs` — for the slowest approvals, where their time went.
 */
export async function eventsAfter(client: Client, workflowId: string, fromMs: number): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const names = new Map<string, string>();
  return (history.events ?? []).flatMap((event) => {
    const at = msOf(event.eventTime) - fromMs;
    if (at < -500) return [];
    const type = temporal.api.enums.v1.EventType[Number(event.eventType)]?.replace('EVENT_TYPE_', '') ?? '?';
    const activity = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) names.set(String(event.eventId), activity);
    const of =
      activity ??
      names.get(
        String(
          event.activityTaskStartedEventAttributes?.scheduledEventId ??
            event.activityTaskCompletedEventAttributes?.scheduledEventId ??
            event.activityTaskFailedEventAttributes?.scheduledEventId ??
            '',
        ),
      ) ??
      event.workflowExecutionSignaledEventAttributes?.signalName ??
      event.markerRecordedEventAttributes?.markerName ??
      event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
      '';
    return [`${at >= 0 ? '+' : ''}${at} ms ${type}${of ? ` ${of}` : ''}`];
  });
}

/**
 * How the burst flowed: per `bucketMs` after `from`, how many of each series' events fell in it (a series is a list of
 * epoch-ms instants). Shows which stage fell behind, where percentiles only say that one did.
 */
export function timeline(
  from: number,
  series: Record<string, readonly number[]>,
  bucketMs = 5_000,
): Array<Record<string, number>> {
  const names = Object.keys(series);
  const last = Math.max(from, ...names.flatMap((name) => series[name]!.filter(Number.isFinite)));
  const rows = Array.from({ length: Math.floor((last - from) / bucketMs) + 1 }, (_, i) =>
    Object.fromEntries([['fromS', (i * bucketMs) / 1000], ...names.map((name) => [name, 0])]),
  ) as Array<Record<string, number>>;
  for (const name of names)
    for (const at of series[name]!) {
      const row = rows[Math.floor((at - from) / bucketMs)];
      if (row) row[name]! += 1;
    }
  return rows;
}

/** Self time per function over every `.cpuprofile` in `dir` (one per thread), the top 25 as lines and data. */
export function summariseProfiles(dir: string): {
  lines: string[];
  top: Array<{ fn: string; where: string; selfMs: number; share: number }>;
} {
  const self = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    samples.forEach((id, i) => {
      const node = byId.get(id);
      if (!node) return;
      const ms = (deltas[i] ?? 0) / 1000;
      const url = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '');
      const key = `${node.callFrame.functionName || '(anonymous)'}\t${url}:${node.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + ms);
      const module = url.startsWith('@')
        ? url.split('/').slice(0, 2).join('/')
        : url.split('/')[0] || node.callFrame.functionName;
      byModule.set(module, (byModule.get(module) ?? 0) + ms);
      total += ms;
    });
  }
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([key, ms]) => {
      const [fn, where] = key.split('\t') as [string, string];
      return { fn, where, selfMs: Math.round(ms), share: total > 0 ? round(ms / total, 3) : 0 };
    });
  const lines = top.map((t) => `  ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.fn}  ${t.where}`);
  const modules = [...byModule]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([module, ms]) => `  ${((ms / Math.max(total, 1)) * 100).toFixed(1).padStart(5)} %  ${module}`);
  return {
    lines: [`  total ${Math.round(total)} ms sampled; by module:`, ...modules, '  by function:', ...lines],
    top,
  };
}
