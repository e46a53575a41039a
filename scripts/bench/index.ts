/**
 * `npm run bench` — a month-end burst against the whole bridge: N expense reports submitted in Kingdee at once,
 * approvers pressing 同意 as soon as each card arrives, DingTalk's quotas real (or lifted), and what it costs.
 *
 *   npm run bench -- [--documents 1000] [--think-ms 0] [--rate 0] [--todo-after D] [--ingest poll|push] [--no-quotas]
 *                    [--no-click] [--poll-interval 10s] [--applicants 50] [--in-process] [--timeout 9m]
 *                    [--out test-artifacts/bench]
 *                    [--profile]   (V8 CPU profile of the worker process, summarised by function)
 *                    [--profile-temporal]   (Linux perf on the Temporal dev server: its CPU by work and by layer)
 *                    [--compiled]  (worker and API from `npm run build`'s JavaScript, as the image runs them)
 *                    [--worker-heap-mb 128] [--worker-node-flags "--max-semi-space-size=1"]  (the worker process only)
 *
 * It starts its own Temporal dev server, both emulators (in this process) and the bridge (worker and API as their
 * own processes, scripts/bench/world.ts), submits the burst, acts as the approvers, waits until every document is
 * audited in Kingdee and every follow-up notice delivered (or the timeout), then prints a table and writes JSON
 * under --out: approvals/s; submit → first card and last click → audited (p50/p95/p99); follow-up notices after
 * their audit; activity schedule-to-start p99 per activity type (the worker's Prometheus metrics); CPU and peak RSS
 * per process, and the machine's busy, idle and stolen CPU (time the hypervisor gave others: a run's noise);
 * Temporal actions and calls (the server's request counters, by operation), Kingdee calls and DingTalk calls per
 * approval; the month's DingTalk projection against the standard edition's quota; and each target met or missed.
 * It never fails: exit code 0 unless it could not run at all. `--no-click` leaves the approvals waiting (e.g.
 * `--documents 10000 --no-quotas --no-click` for the worker's memory with 10,000 approvals waiting).
 *
 * The worker's settings come from this process's environment (e.g. `WORKER_MAX_CACHED_WORKFLOWS=100 npm run bench`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { signPush } from '../../api/kingdee-push';
import { kingdeeLocalToMs } from '../../activities/ingestion';
import { parseDuration } from '../../domain/duration';
import type { EmulatedCard } from '../../emulators/dingtalk/server';
import { quotaKindOf, standardEditionMonthly } from '../../emulators/dingtalk/state';
import { dingtalkLimits } from '../../integrations/dingtalk';
import { approvalWorkflowId, workflowTypes } from '../../workflows/contract';
import { startServerProfile, type ServerProfileSummary } from './server-profile';
import {
  summariseProfiles,
  histogramQuantiles,
  parsePrometheus,
  frontendRequests,
  requestsPerApproval,
  ProcessWatch,
  type MachineSample,
  readHistories,
  round,
  spread,
  timeline,
  eventsAfter,
  type Spread,
} from './measure';
import {
  approver,
  benchFormId,
  cashierGroup,
  liftedApiQps,
  pushSecret,
  startBenchWorld,
  type BenchWorld,
} from './world';

// `--worker-node-flags "--max-semi-space-size=1"`: its value starts with a dash, which parseArgs only takes in the
// `--worker-node-flags=…` form, so join the two-argument form into that first.
const argv = process.argv.slice(2);
const flagsAt = argv.indexOf('--worker-node-flags');
if (flagsAt >= 0 && flagsAt + 1 < argv.length) argv.splice(flagsAt, 2, `--worker-node-flags=${argv[flagsAt + 1]!}`);

const { values: args } = parseArgs({
  args: argv,
  options: {
    documents: { type: 'string', default: '1000' },
    'think-ms': { type: 'string', default: '0' },
    rate: { type: 'string', default: '0' },
    'todo-after': { type: 'string' },
    ingest: { type: 'string', default: 'poll' },
    'no-quotas': { type: 'boolean', default: false },
    'no-click': { type: 'boolean', default: false },
    'poll-interval': { type: 'string', default: '10s' },
    applicants: { type: 'string', default: '50' },
    'in-process': { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '9m' },
    out: { type: 'string', default: 'test-artifacts/bench' },
    'monthly-documents': { type: 'string' },
    'history-sample': { type: 'string', default: '2000' },
    profile: { type: 'boolean', default: false },
    'profile-temporal': { type: 'boolean', default: false },
    'worker-heap-mb': { type: 'string' },
    'worker-node-flags': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`npm run bench -- [options]   a month-end burst against the whole bridge (README "Capacity")

  --documents N        documents submitted at once (default 1000)
  --think-ms MS        the approver's delay before pressing 同意 (default 0)
  --todo-after D       the rules' todos.after: a 待办 only for whoever has not decided on the card within D
  --rate N             submit N documents a second instead of all at once (default 0: the burst) — a sustained load,
                       for latency at a given throughput (with --no-quotas: the engine's targets at 25/s)
  --ingest poll|push   Kingdee polling (default) or a push per document
  --no-quotas          lift DingTalk's quotas, and the bridge's own pace per API with them (the engine alone)
  --no-click           leave the approvals waiting (the worker's memory), e.g. --documents 10000 --no-quotas --no-click
  --poll-interval D    the rules' poll interval (default 10s)
  --applicants N       distinct applicants (default 50)
  --in-process         the worker and API in this process instead of their own
  --compiled           run the worker and API from compiled JavaScript (built first), as the image does; without it
                       they run through tsx, which costs the worker ~60 MB and start-up CPU production does not spend
  --profile            CPU-profile the worker process (summary by function)
  --profile-temporal   sample the Temporal dev server's stacks with Linux perf during the burst (apt install
                       linux-perf): its CPU by the work it served and by layer (SQLite, gRPC, garbage collector)
  --worker-heap-mb N   the worker's V8 heap limit (--max-old-space-size=N; in production NODE_OPTIONS)
  --worker-node-flags "F"   more Node/V8 flags for the worker process only, space separated, e.g.
                       --worker-node-flags "--max-semi-space-size=1" (after --worker-heap-mb's, so a --max-old-space-size
                       here wins); in production NODE_OPTIONS, or the node command line for V8 flags NODE_OPTIONS refuses
                       (e.g. --single-threaded-gc)
  --timeout D          give up waiting after D (default 9m)
  --out DIR            JSON report and logs (default test-artifacts/bench)
  --monthly-documents N   the month's projection for N approvals (default --documents)
  --history-sample N   approval histories read for actions and schedule-to-start (default 2000)

The worker takes its settings from this environment: WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
WORKER_PLANNING_WINDOW, WORKER_MAX_CONCURRENT_ACTIVITIES, WORKER_WORKFLOW_TASK_POLLERS, WORKER_WORKFLOW_THREADS,
WORKER_WORKFLOW_STACK_FRAMES, WORKER_WORKFLOW_BUNDLE; and MALLOC_ARENA_MAX (glibc's malloc arenas, all processes). All of them are recorded in the report.`);
  process.exit(0);
}

const documents = Number(args.documents);
const thinkMs = Number(args['think-ms']);
/** Documents submitted a second (0: all at once, the burst): a sustained load, for latency at a given throughput. */
const submitRate = Number(args.rate);
const ingest = args.ingest === 'push' ? 'push' : 'poll';
const quotas = !args['no-quotas'];
const click = !args['no-click'];
const pollIntervalMs = parseDuration(args['poll-interval']);
const monthlyDocuments = Number(args['monthly-documents'] ?? documents);
const workerHeapMb = args['worker-heap-mb'] ? Number(args['worker-heap-mb']) : undefined;
const workerNodeFlags = (args['worker-node-flags'] ?? '').split(/\s+/).filter(Boolean);
/** The worker's settings as the report records them: flags, heap limit, and its WORKER_* and MALLOC_* environment. */
const workerEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key.startsWith('WORKER_') || key.startsWith('MALLOC_')),
) as Record<string, string>;
const startedAt = Date.now();
const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
const deadline = startedAt + parseDuration(args.timeout);
const runName = `bench-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}-${documents}${submitRate > 0 ? `-at-${submitRate}` : ''}-${ingest}-${quotas ? 'quotas' : 'no-quotas'}${click ? '' : '-no-click'}`;
const outDir = path.resolve(args.out);
const log = (line: string) => console.log(`[bench +${Math.round((Date.now() - startedAt) / 1000)}s] ${line}`);

interface Bill {
  billNo: string;
  submittedAt: number;
  cardAt?: number;
  clickedAt?: number;
  auditedAt?: number;
  followUpAt?: number;
  applicantNoticeAt?: number;
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  if (workerNodeFlags.length > 0) {
    // A flag node does not know would only show as the worker exiting at start: check them here first.
    const check = spawnSync(process.execPath, [...workerNodeFlags, '-e', '0'], { encoding: 'utf8' });
    if (check.status !== 0)
      throw new Error(
        `--worker-node-flags "${workerNodeFlags.join(' ')}": ${check.stderr.trim() || `exit ${check.status}`}`,
      );
  }
  if (args.compiled) {
    log('building the JavaScript the image runs (npm run build)');
    const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
    if (build.status !== 0)
      throw new Error('npm run build failed: fix the type errors it printed, then run the bench again');
  }
  const world = await startBenchWorld(
    {
      documents,
      applicants: Number(args.applicants),
      quotas,
      ingest,
      pollIntervalMs,
      ...(args['todo-after'] ? { todoAfter: args['todo-after'] } : {}),
      inProcess: args['in-process'],
      compiled: args.compiled,
      dir: path.join(outDir, runName),
      profile: args.profile,
      ...(workerHeapMb ? { workerHeapMb } : {}),
      ...(workerNodeFlags.length > 0 ? { workerNodeFlags } : {}),
    },
    log,
  );
  let report: Record<string, unknown> | undefined;
  try {
    report = await run(world);
  } finally {
    log('stopping');
    await world.stop();
  }
  if (args.profile) {
    const hot = summariseProfiles(path.join(outDir, runName));
    console.log(['', '  worker CPU profile: self time by function (all threads)', ...hot.lines].join('\n'));
    if (report) report.workerProfile = hot.top;
  }
  const file = path.join(outDir, `${runName}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  log(`written ${file}`);
}

async function run(world: BenchWorld): Promise<Record<string, unknown>> {
  const { kingdee, dingtalk } = world;
  const bills = new Map<string, Bill>();
  const kingdeeBefore = { ...kingdee.stats().byOperation };
  const rowsBefore = { ...kingdee.stats().rowsRead };
  dingtalk.resetStats({ month: true });
  const temporalRequests = async () =>
    frontendRequests(
      parsePrometheus(
        await axios
          .get<string>(world.temporalMetricsUrl, { responseType: 'text', timeout: 5_000 })
          .then((r) => r.data)
          .catch(() => ''),
      ),
    );
  const requestsAtStart = await temporalRequests();
  const watch = new ProcessWatch(world.pids);
  watch.begin();
  const serverProfile =
    args['profile-temporal'] && world.temporal.process.pid !== undefined
      ? startServerProfile(world.temporal.process.pid, path.join(outDir, runName, 'temporal.perf.data'), log)
      : undefined;

  // The approvers: a card arrives (the emulator stores it) → 同意 after --think-ms, a few dozen presses at once.
  const pressing = new Set<Promise<void>>();
  let clickFailures = 0;
  const press = async (card: EmulatedCard, bill: Bill) => {
    if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, thinkMs));
    while (pressing.size >= 64) await Promise.race(pressing);
    const done = (async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        bill.clickedAt = Date.now();
        const after = await dingtalk.click(card.outTrackId, {
          userId: approver,
          actionId: 'approve',
          params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId, comment: '' },
        });
        if (after.lastCallback?.ok) return;
        clickFailures += 1;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    })();
    pressing.add(done);
    void done.finally(() => pressing.delete(done));
  };
  const setCard = dingtalk.cards.set.bind(dingtalk.cards);
  dingtalk.cards.set = (key: string, card: EmulatedCard) => {
    const result = setCard(key, card);
    const bill = bills.get(card.cardParamMap.billNo ?? '');
    if (bill && card.userIds.includes(approver) && bill.cardAt === undefined) {
      bill.cardAt = card.createdAt;
      if (click) void press(card, bill);
    }
    return result;
  };

  // The burst: every document submitted (status B) at once — or, with --rate, that many a second; with push
  // ingestion, Kingdee's plug-in calls us per document as it is submitted, 32 calls at a time.
  log(
    `submitting ${documents} documents${submitRate > 0 ? ` at ${submitRate}/s` : ''} (${ingest} ingestion, DingTalk quotas ${quotas ? 'real' : 'lifted'})`,
  );
  const burstAt = Date.now();
  const applicants = world.applicants;
  const pushes: Array<{ billNo: string; billId: number }> = [];
  let submitting = true;
  const pushing = Promise.all(
    Array.from({ length: ingest === 'push' ? 32 : 0 }, async () => {
      for (;;) {
        const next = pushes.shift();
        if (next) await pushOf(world, next.billNo, next.billId);
        else if (submitting) await new Promise((resolve) => setTimeout(resolve, 10));
        else return;
      }
    }),
  );
  for (let i = 0; i < documents; i++) {
    const dueAt = submitRate > 0 ? burstAt + (i * 1000) / submitRate : burstAt;
    if (dueAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now()));
    const billNo = `FYBX${String(900_000 + i)}`;
    const person = applicants[i % applicants.length]!;
    const doc = kingdee.createDocument({
      formId: benchFormId,
      billNo,
      status: 'B',
      fields: {
        FProposerID: { id: person.id, number: person.number, name: person.name },
        FReqReimbAmountSum: 100 + (i % 900),
        FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
        FCausa: '月末报销',
      },
    });
    bills.set(billNo, { billNo, submittedAt: Date.now() });
    if (ingest === 'push') pushes.push({ billNo, billId: doc.id });
  }
  submitting = false;

  // Wait: every document audited and its notices delivered (or, without clicks, every card delivered).
  let scanned = 0;
  const offset = 480;
  const all = [...bills.values()];
  let timedOut = false;
  for (;;) {
    for (const bill of all) {
      if (bill.auditedAt !== undefined) continue;
      const doc = kingdee.getDocument(benchFormId, bill.billNo);
      const audit = doc?.history.find((h) => h.operation === 'Audit');
      if (audit) bill.auditedAt = kingdeeLocalToMs(audit.at, offset);
    }
    const messages = dingtalk.messages;
    for (; scanned < messages.length; scanned++) {
      const message = messages[scanned]!;
      for (const billNo of new Set(message.text.match(/FYBX\d{6}/g) ?? [])) {
        const bill = bills.get(billNo);
        if (!bill) continue;
        if (message.kind === 'robot' && message.groupId === cashierGroup) bill.followUpAt ??= message.at;
        if (message.kind === 'workNotification' && !message.dropped) bill.applicantNoticeAt ??= message.at;
      }
    }
    const finished = click
      ? all.every((b) => b.auditedAt !== undefined && b.followUpAt !== undefined && b.applicantNoticeAt !== undefined)
      : all.every((b) => b.cardAt !== undefined);
    if (finished) break;
    const failure = world.failure();
    if (failure) {
      timedOut = true;
      log(`${failure}: reporting what finished`);
      break;
    }
    if (Date.now() > deadline) {
      timedOut = true;
      log('timed out: reporting what finished');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const finishedAt = Date.now();
  await pushing;
  if (!click) {
    log('every card delivered; letting the worker settle 20 s before measuring its memory');
    await new Promise((resolve) => setTimeout(resolve, 20_000));
  }
  const processes = watch.end();
  const machine = watch.machine();
  const temporalProfile = await serverProfile?.stop();
  const requestsAtEnd = await temporalRequests();
  log('collecting metrics and histories');

  // Latencies.
  const cards = all.flatMap((b) => (b.cardAt !== undefined ? [b.cardAt - b.submittedAt] : []));
  const audits = all.flatMap((b) =>
    b.auditedAt !== undefined && b.clickedAt !== undefined ? [b.auditedAt - b.clickedAt] : [],
  );
  const followUps = all.flatMap((b) =>
    b.auditedAt !== undefined && b.followUpAt !== undefined ? [b.followUpAt - b.auditedAt] : [],
  );
  const applicantNotices = all.flatMap((b) =>
    b.auditedAt !== undefined && b.applicantNoticeAt !== undefined ? [b.applicantNoticeAt - b.auditedAt] : [],
  );
  const audited = all.filter((b) => b.auditedAt !== undefined);
  const lastAudit = Math.max(...audited.map((b) => b.auditedAt!), burstAt);
  const lastNotice = Math.max(...all.map((b) => Math.max(b.followUpAt ?? 0, b.applicantNoticeAt ?? 0)), burstAt);
  const approvalsPerSecond = audited.length > 0 ? audited.length / ((lastAudit - burstAt) / 1000) : 0;
  // With --rate: how far the audits were behind the submissions when the last one came in. An engine that keeps up
  // stays one latency behind (about the poll interval); one that does not falls further behind as the stream goes on.
  const lastSubmittedAt = Math.max(...all.map((b) => b.submittedAt));
  const backlogAtEndMs = audited.length === documents ? lastAudit - lastSubmittedAt : undefined;

  // The worker's histograms (per task queue only: the SDK's metrics carry no activity type; coarse buckets).
  const metricsText = await axios
    .get<string>(world.workerMetricsUrl, { responseType: 'text', timeout: 5_000 })
    .then((r) => r.data)
    .catch(() => '');
  writeFileSync(path.join(outDir, runName, 'worker-metrics.txt'), metricsText);
  const samples = parsePrometheus(metricsText);
  const prometheusS2S = {
    activities: histogramQuantiles(samples, 'temporal_activity_schedule_to_start_latency', 'task_queue', 0.99),
    workflowTasks: histogramQuantiles(samples, 'temporal_workflow_task_schedule_to_start_latency', 'task_queue', 0.99),
  };

  // From histories (exact, per activity type): a sample of the approvals, and every poller and outbox run; their
  // Temporal actions too.
  // Histories can be large (a poller's carries its seen set): allow big messages.
  const connection = await Connection.connect({
    address: world.temporal.address,
    channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
  });
  const client = new Client({ connection, namespace: world.temporal.namespace });
  const approvalsSeen = await readHistories(
    client,
    `TaskQueue = '${world.taskQueue}' AND WorkflowType = '${workflowTypes.approval}'`,
    Number(args['history-sample']),
  );
  const othersSeen = await readHistories(
    client,
    `TaskQueue = '${world.taskQueue}' AND WorkflowType != '${workflowTypes.approval}'`,
  );
  // The three slowest clicks: where their time went (the approval's history from the click on).
  const slowestClicks = await Promise.all(
    all
      .filter((b) => b.auditedAt !== undefined && b.clickedAt !== undefined)
      .sort((a, b) => b.auditedAt! - b.clickedAt! - (a.auditedAt! - a.clickedAt!))
      .slice(0, 3)
      .map(async (b) => ({
        billNo: b.billNo,
        clickToAuditedMs: b.auditedAt! - b.clickedAt!,
        events: await eventsAfter(
          client,
          approvalWorkflowId({ acctId: world.acctId, formId: benchFormId, billNo: b.billNo }),
          b.clickedAt!,
        ).catch((err: unknown) => [`history unreadable: ${String(err)}`]),
      })),
  );
  await connection.close();
  const perApprovalActions =
    (approvalsSeen.runs > 0 ? approvalsSeen.actions / approvalsSeen.runs : 0) + othersSeen.actions / documents;
  const activityLatencies: Record<string, number[]> = {};
  for (const seen of [approvalsSeen, othersSeen])
    for (const [type, values] of Object.entries(seen.activityScheduleToStart))
      (activityLatencies[type] ??= []).push(...values);
  const activityS2S = Object.fromEntries(
    Object.entries(activityLatencies).map(([type, values]) => [type, spread(values)]),
  );
  const workflowTaskS2S = {
    approvals: spread(approvalsSeen.workflowTaskScheduleToStart),
    approvalsFirstTask: spread(approvalsSeen.firstWorkflowTaskScheduleToStart),
    approvalsDecisionTask: spread(approvalsSeen.decisionTaskScheduleToStart),
    pollersAndOutboxes: spread(othersSeen.workflowTaskScheduleToStart),
  };

  // Calls per approval.
  const perDocumentSince = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(after).map((op) => [op, round(((after[op] ?? 0) - (before[op] ?? 0)) / documents, 3)]),
    );
  const kingdeeCalls = perDocumentSince(kingdeeBefore, kingdee.stats().byOperation);
  const kingdeeRows = perDocumentSince(rowsBefore, kingdee.stats().rowsRead);
  const stats = dingtalk.stats();
  const dingtalkCalls = Object.fromEntries(
    Object.entries(stats.byApi).map(([api, usage]) => [
      api,
      {
        perApproval: round(usage.calls / documents, 3),
        refused: usage.refused,
        quota: usage.quota,
        peakPerSecond: usage.peakPerSecond,
      },
    ]),
  );
  const outbound = Object.entries(stats.byApi).filter(([api]) => !api.startsWith('STREAM '));
  const outboundPerApproval = outbound.reduce((sum, [, u]) => sum + u.calls - u.refused, 0) / documents;
  const metered = {
    api: sumKind(stats.month.byApi, 'api') / documents,
    webhookStream: sumKind(stats.month.byApi, 'webhookStream') / documents,
  };
  const projection = {
    monthlyDocuments,
    api: Math.round(metered.api * monthlyDocuments),
    webhookStream: Math.round(metered.webhookStream * monthlyDocuments),
    quota: standardEditionMonthly,
    approvalsPerMonthWithinQuota: {
      api: metered.api > 0 ? Math.floor(standardEditionMonthly.api / metered.api) : null,
      webhookStream:
        metered.webhookStream > 0 ? Math.floor(standardEditionMonthly.webhookStream / metered.webhookStream) : null,
    },
  };

  const s2s = (types: string[]) => Math.max(...types.map((t) => activityS2S[t]?.p99 ?? 0));
  const cardBoundMs = (ingest === 'poll' ? pollIntervalMs : 0) + (documents / 20) * 1000 + 5_000;
  const targets = quotas
    ? [
        target(
          `every first card ≤ ${ingest === 'poll' ? 'poll interval + ' : ''}N/20 QPS + 5 s (${cardBoundMs} ms)`,
          spread(cards).max,
          cardBoundMs,
          cards.length === documents,
        ),
        // planApproval and resolveApprovers are local activities in new approvals (patch plan-inline): they run
        // inside the first workflow task and have no schedule-to-start of their own; that task's is the next line.
        ...(activityS2S.planApproval
          ? [target('schedule-to-start p99 < 1 s: planning (planApproval)', s2s(['planApproval']), 1_000)]
          : []),
        target(
          'schedule-to-start p99 < 1 s: planning (first workflow task of each approval)',
          workflowTaskS2S.approvalsFirstTask.p99,
          1_000,
        ),
        target('schedule-to-start p99 < 1 s: card updates (updateApprovalCards)', s2s(['updateApprovalCards']), 1_000),
        ...(click
          ? [
              target(
                'schedule-to-start p99 < 1 s: decisions (workflow tasks taking a decide Update or Signal)',
                workflowTaskS2S.approvalsDecisionTask.p99,
                1_000,
                workflowTaskS2S.approvalsDecisionTask.count > 0,
              ),
            ]
          : []),
        target(
          'schedule-to-start p99 < 1 s: every workflow task of the approvals',
          workflowTaskS2S.approvals.p99,
          1_000,
        ),
        target('schedule-to-start p99 < 1 s: write-back (writeBack)', s2s(['writeBack']), 1_000),
        ...(click
          ? [
              target('last click → audited p99 < 1 s', spread(audits).p99, 1_000, audits.length === documents),
              target(
                'every follow-up notice ≤ 2 min after its audit',
                spread(followUps).max,
                120_000,
                followUps.length === documents,
              ),
              target(
                'robot messages per minute ≤ 20 (peak, cashier group)',
                stats.robots[cashierGroup]?.peakPerMinute,
                20,
              ),
            ]
          : []),
        target('DingTalk calls per approval ≤ 3 (outbound, all APIs)', round(outboundPerApproval, 2), 3),
      ]
    : [
        ...(click && submitRate === 0
          ? [target('≥ 25 approvals/s', round(approvalsPerSecond, 1), 25, audited.length === documents, 'min')]
          : []),
        ...(click && submitRate > 0
          ? [
              // The stream's rate is sustained when the last audit follows the last submission within one latency.
              target(
                `sustains ${submitRate}/s (≥ 25): last audit ≤ ${ingest === 'poll' ? 'poll interval + ' : ''}2 s after the last submission`,
                backlogAtEndMs,
                (ingest === 'poll' ? pollIntervalMs : 0) + 2_000,
                submitRate >= 25 && backlogAtEndMs !== undefined,
              ),
            ]
          : []),
        target(
          `submit → card p99 < ${ingest === 'poll' ? 'poll interval + ' : ''}1 s`,
          spread(cards).p99,
          (ingest === 'poll' ? pollIntervalMs : 0) + 1_000,
          cards.length === documents,
        ),
        ...(click
          ? []
          : [
              target(
                'worker RSS < 300 MB with the approvals waiting',
                processes.worker?.rssMb ?? processes['bench (emulators, approvers)']?.rssMb,
                300,
              ),
            ]),
      ];

  const report = {
    run: runName,
    options: {
      documents,
      thinkMs,
      submitRate,
      todoAfter: args['todo-after'] ?? null,
      ingest,
      quotas,
      click,
      pollIntervalMs,
      applicants: Number(args.applicants),
      inProcess: args['in-process'],
      compiled: args.compiled,
      workerHeapMb,
      workerNodeFlags,
      worker: workerEnv,
    },
    timedOut,
    machine: {
      cpus: os.cpus().length,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
    },
    durationsMs: {
      burstToLastAudit: lastAudit - burstAt,
      burstToLastNotice: lastNotice - burstAt,
      burstToFinish: finishedAt - burstAt,
    },
    approved: audited.length,
    approvalsPerSecond: round(approvalsPerSecond, 2),
    ...(submitRate > 0 ? { submitRate, backlogAtEndMs: backlogAtEndMs ?? null } : {}),
    clickFailures,
    latenciesMs: {
      // Ingestion's share of the first card: each document's submission → its approval's workflow started.
      submitToApprovalStarted: spread(
        all.flatMap((b) => {
          const at = approvalsSeen.startedAtById.get(
            approvalWorkflowId({ acctId: world.acctId, formId: benchFormId, billNo: b.billNo }),
          );
          return at !== undefined ? [at - b.submittedAt] : [];
        }),
      ),
      submitToFirstCard: spread(cards),
      lastClickToAudited: spread(audits),
      auditToFollowUpNotice: spread(followUps),
      auditToApplicantNotice: spread(applicantNotices),
    },
    scheduleToStartMs: {
      fromHistories: { activities: activityS2S, workflowTasks: workflowTaskS2S },
      workerPrometheusP99: prometheusS2S,
    },
    processes,
    ...(machine ? { machine } : {}),
    ...(temporalProfile ? { temporalProfile } : {}),
    workerAsOwnProcess: world.separateWorker,
    temporalActionsPerApproval: round(perApprovalActions, 1),
    // Every call the bridge made to Temporal during the burst (the server's counters; heartbeats and polls too).
    temporalCallsPerApproval: Object.fromEntries(
      requestsPerApproval(requestsAtStart, requestsAtEnd, audited.length).map(([operation, perApproval]) => [
        operation,
        round(perApproval, 2),
      ]),
    ),
    temporalActions: {
      approvalsSampled: { runs: approvalsSeen.runs, actions: approvalsSeen.actions, events: approvalsSeen.events },
      pollersAndOutboxes: { runs: othersSeen.runs, actions: othersSeen.actions, events: othersSeen.events },
    },
    kingdeeCallsPerApproval: kingdeeCalls,
    kingdeeRowsReadPerApproval: kingdeeRows,
    dingtalk: {
      callsPerApproval: dingtalkCalls,
      outboundPerApproval: round(outboundPerApproval, 3),
      meteredPerApproval: { api: round(metered.api, 3), webhookStream: round(metered.webhookStream, 3) },
      refused: stats.refused,
      robots: stats.robots,
      projection,
    },
    slowestClicks,
    // Per 5 s after the burst: how many approvals started, began planning, got their first card, were clicked,
    // were audited.
    timeline: timeline(burstAt, {
      started: approvalsSeen.startedAt,
      planned: approvalsSeen.firstTaskStartedAt,
      cards: all.flatMap((b) => (b.cardAt !== undefined ? [b.cardAt] : [])),
      clicks: all.flatMap((b) => (b.clickedAt !== undefined ? [b.clickedAt] : [])),
      audited: audited.map((b) => b.auditedAt!),
    }),
    targets,
  };
  printReport(report, targets);
  return report;
}

function sumKind(byApi: Record<string, number>, kind: 'api' | 'webhookStream'): number {
  return Object.entries(byApi)
    .filter(([api]) => quotaKindOf(api) === kind)
    .reduce((sum, [, count]) => sum + count, 0);
}

interface Target {
  name: string;
  value: number | undefined;
  limit: number;
  met: boolean;
}

/** Activities Temporal dispatches at DingTalk's per-API rate (workers/worker.ts): their wait to start is that pacing. */
const pacedByTemporal = new Set([
  'deliverApprovalCards',
  'createApprovalTodos',
  'updateApprovalCards',
  'closeApprovalTodos',
]);

/** A target: `value` within `limit` (max: at most; min: at least), and complete (every document got that far). */
function target(
  name: string,
  value: number | undefined,
  limit: number,
  complete = true,
  kind: 'max' | 'min' = 'max',
): Target {
  const within = value !== undefined && Number.isFinite(value) && (kind === 'max' ? value <= limit : value >= limit);
  return { name, value, limit, met: within && complete };
}

function printReport(
  report: Record<string, unknown> & { latenciesMs: Record<string, Spread> },
  targets: Target[],
): void {
  const r = report as unknown as {
    run: string;
    approved: number;
    approvalsPerSecond: number;
    submitRate?: number;
    backlogAtEndMs?: number | null;
    durationsMs: Record<string, number>;
    processes: Record<string, { cpuSeconds: number; rssAtStartMb: number; rssMb: number; peakRssMb: number }>;
    machine?: MachineSample;
    temporalProfile?: ServerProfileSummary;
    scheduleToStartMs: {
      fromHistories: { activities: Record<string, Spread>; workflowTasks: Record<string, Spread> };
      workerPrometheusP99: { activities: Record<string, { quantileMs?: number }> };
    };
    temporalActionsPerApproval: number;
    temporalCallsPerApproval: Record<string, number>;
    kingdeeCallsPerApproval: Record<string, number>;
    kingdeeRowsReadPerApproval: Record<string, number>;
    dingtalk: {
      callsPerApproval: Record<string, { perApproval: number; refused: number }>;
      outboundPerApproval: number;
      meteredPerApproval: Record<string, number>;
      projection: {
        monthlyDocuments: number;
        api: number;
        webhookStream: number;
        quota: Record<string, number>;
        approvalsPerMonthWithinQuota: Record<string, number | null>;
      };
      refused: Record<string, number>;
    };
  };
  const ms = (v: number | undefined) =>
    v === undefined ? '—' : v === Infinity ? '>max bucket' : `${Math.round(v)} ms`;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(46)} ${value}`);
  lines.push('', `${r.run}`, '');
  row(
    'worker settings',
    [
      ...(workerHeapMb ? [`--worker-heap-mb ${workerHeapMb}`] : []),
      ...(workerNodeFlags.length > 0 ? [`--worker-node-flags "${workerNodeFlags.join(' ')}"`] : []),
      ...Object.entries(workerEnv).map(([key, value]) => `${key}=${value}`),
    ].join(' ') || 'defaults',
  );
  row('approved (audited in Kingdee)', `${r.approved} of ${documents}`);
  row('approvals/s (burst → last audit)', `${r.approvalsPerSecond}`);
  if (r.submitRate)
    row(`submitted at ${r.submitRate}/s: last audit after the last one`, ms(r.backlogAtEndMs ?? undefined));
  row(
    'burst → last audit / last notice',
    `${ms(r.durationsMs.burstToLastAudit)} / ${ms(r.durationsMs.burstToLastNotice)}`,
  );
  for (const [name, s] of Object.entries(report.latenciesMs))
    row(name, `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (n=${s.count})`);
  lines.push('', '  schedule-to-start (from histories)');
  for (const [type, v] of Object.entries(r.scheduleToStartMs.fromHistories.activities).sort())
    row(
      `    activity ${type}${pacedByTemporal.has(type) ? ` (its queue: ${quotas ? dingtalkLimits.api.perSecond : liftedApiQps}/s)` : ''}`,
      `p50 ${ms(v.p50)}  p99 ${ms(v.p99)}  max ${ms(v.max)}  (n=${v.count})`,
    );
  for (const [kind, v] of Object.entries(r.scheduleToStartMs.fromHistories.workflowTasks))
    row(`    workflow tasks (${kind})`, `p50 ${ms(v.p50)}  p99 ${ms(v.p99)}  max ${ms(v.max)}  (n=${v.count})`);
  for (const [queue, v] of Object.entries(r.scheduleToStartMs.workerPrometheusP99.activities))
    row(`    worker metrics: activities ${queue.replace(/^bench-\w+/, '<tq>')}`, `p99 ≤ ${ms(v.quantileMs)} (bucket)`);
  lines.push('', '  processes (CPU during the burst; RSS before the burst → at the end / peak)');
  for (const [name, p] of Object.entries(r.processes))
    row(`    ${name}`, `${p.cpuSeconds} s CPU, ${p.rssAtStartMb} → ${p.rssMb} MB / ${p.peakRssMb} MB`);
  if (r.machine)
    row(
      `    machine (${os.cpus().length} cores)`,
      `${r.machine.busySeconds} s busy, ${r.machine.idleSeconds} s idle, ${r.machine.stolenSeconds} s stolen by the hypervisor`,
    );
  if (r.temporalProfile) {
    lines.push('', `  Temporal server CPU (perf, ${r.temporalProfile.samples} samples) by the work it served`);
    for (const [area, share] of Object.entries(r.temporalProfile.byWork)) row(`    ${area}`, `${share} %`);
    lines.push('  … and by layer (a sample in each layer its stack passes through)');
    for (const [layer, share] of Object.entries(r.temporalProfile.byLayer)) row(`    ${layer}`, `${share} %`);
  }
  lines.push('');
  row('Temporal actions per approval', String(r.temporalActionsPerApproval));
  const calls = Object.entries(r.temporalCallsPerApproval);
  if (calls.length > 0) {
    const total = calls.reduce((sum, [, n]) => sum + n, 0);
    row('Temporal calls per approval (its counters)', `${round(total, 1)}, of them:`);
    for (const [operation, n] of calls.slice(0, 12)) row(`    ${operation}`, String(n));
  }
  const perOperation = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  row('Kingdee calls per approval', perOperation(r.kingdeeCallsPerApproval));
  row('Kingdee rows read per approval', perOperation(r.kingdeeRowsReadPerApproval));
  row('DingTalk calls per approval (outbound)', String(r.dingtalk.outboundPerApproval));
  for (const [api, v] of Object.entries(r.dingtalk.callsPerApproval))
    row(`    ${api}`, `${v.perApproval}${v.refused ? ` (${v.refused} refused for quota)` : ''}`);
  row('DingTalk refusals', JSON.stringify(r.dingtalk.refused));
  const p = r.dingtalk.projection;
  row(
    'metered per approval (API / Webhook&Stream)',
    `${r.dingtalk.meteredPerApproval.api} / ${r.dingtalk.meteredPerApproval.webhookStream}`,
  );
  row(
    `month projection for ${p.monthlyDocuments} approvals`,
    `API ${p.api} of ${p.quota.api}; Webhook&Stream ${p.webhookStream} of ${p.quota.webhookStream} (standard edition)`,
  );
  row(
    'approvals a month within the standard quota',
    `API ${p.approvalsPerMonthWithinQuota.api ?? '∞'}, Webhook&Stream ${p.approvalsPerMonthWithinQuota.webhookStream ?? '∞'}`,
  );
  const flow = (report as unknown as { timeline: Array<Record<string, number>> }).timeline;
  if (flow.length > 0) {
    const columns = Object.keys(flow[0]!).filter((c) => c !== 'fromS');
    lines.push('', `  flow per 5 s after the burst   ${columns.map((c) => c.padStart(8)).join('')}`);
    for (const bucket of flow)
      lines.push(`    ${`+${bucket.fromS} s`.padEnd(29)}${columns.map((c) => String(bucket[c]).padStart(8)).join('')}`);
  }
  const slow = (
    report as unknown as { slowestClicks: Array<{ billNo: string; clickToAuditedMs: number; events: string[] }> }
  ).slowestClicks;
  for (const click of slow) {
    lines.push(
      '',
      `  slow click: ${click.billNo}, click → audited ${click.clickToAuditedMs} ms; its history from the click:`,
    );
    for (const event of click.events.slice(0, 40)) lines.push(`    ${event}`);
  }
  lines.push('', '  targets');
  for (const t of targets)
    lines.push(
      `  ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value === undefined ? '—' : t.value} (limit ${t.limit})`,
    );
  console.log(lines.join('\n'));
}

/** Kingdee's plug-in calls the push webhook for a submitted document (signed as api/kingdee-push.ts checks). */
async function pushOf(world: BenchWorld, billNo: string, billId: number): Promise<void> {
  const body = JSON.stringify({
    acctId: world.acctId,
    formId: benchFormId,
    billNo,
    billId,
    event: 'submit',
    status: 'B',
  });
  const timestamp = String(Date.now());
  await axios
    .post(`${world.apiUrl}/kingdee/push`, body, {
      headers: {
        'Content-Type': 'application/json',
        'x-kdb-timestamp': timestamp,
        'x-kdb-signature': signPush(pushSecret, timestamp, body),
      },
      timeout: 10_000,
      validateStatus: () => true,
    })
    .catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
