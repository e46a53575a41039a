/**
 * `npm run drill` — the bridge proven under faults. A file-backed Temporal dev server, the Kingdee and DingTalk
 * emulators and the bridge (one `--role worker`, one `--role api` process) each run as a process of its own
 * (scripts/drill/world.ts). N expense reimbursements (default 200) are submitted in Kingdee, split over five
 * scenarios, and approved on their DingTalk cards by emulated approvers while the scenario injects its faults:
 *
 *   worker-kill9      kill -9 of the worker at random moments and right after decisions (restarted each time)
 *   temporal-restart  the Temporal server stopped (TERM, then KILL) and started again; clicks meanwhile must be
 *                     answered "processing" (the API journals them) and applied once it is back
 *   kingdee-faults    20 % HTTP 500, random latency, an outage of --outage-ms, session expiry, a 网控 lock on one bill
 *   dingtalk-faults   rate-limit storms, token expiry, Stream connections dropped
 *   sigterm           SIGTERM of the worker and of the API mid-run: each must exit within 30 s
 *
 * After each scenario it waits (bounded) until its documents are done, then counts per document (count.ts) and
 * prints one table row. Exit code 1 if any must-be-zero count is not zero. The JSON report goes to
 * .data/drill/ (gitignored) or --out. `--short`: ~20 documents, 2 kills, a 10 s outage, one short Temporal restart
 * (test/integration/drill-short.test.ts runs it). Bounded by a hard deadline; every child process is killed at the
 * end. DRILL_KEEP=1 keeps the working directory and the logs (kept anyway when the drill fails).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startApprovers, startKingdeeNoise, type Approvers, type Click } from './actors';
import { count, finished, mustBeZeroKeys, snapshot, type Counts, type Submitted } from './count';
import { DrillWorld, http, sleep } from './world';
import { outageAlertAfterMs } from '../../workflows/poller';

const projectRoot = path.resolve(__dirname, '..', '..');

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    documents: { type: 'string' },
    'outage-ms': { type: 'string' },
    out: { type: 'string' },
    /** Run only these scenarios (comma-separated names), e.g. to look into one. */
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run drill -- [options]   the bridge under faults; prints a table, exits 1 unless every must-be-zero count is 0

  --short            ~20 documents, 2 kills, a 10 s Kingdee outage, one short Temporal restart (about 4 min)
  --documents N      documents over all scenarios (default 200; 20 with --short)
  --outage-ms MS     the Kingdee outage (default 120000: long enough for the one ops alert; 10000 with --short)
  --only a,b         only these scenarios: worker-kill9, temporal-restart, kingdee-faults, dingtalk-faults, sigterm
  --out FILE         the JSON report (default .data/drill/drill-<time>.json)
  DRILL_KEEP=1       keep the working directory and every process's log`);
  process.exit(0);
}
const short = args.short === true;
const config = {
  documents: Number(args.documents ?? (short ? 20 : 200)),
  outageMs: Number(args['outage-ms'] ?? (short ? 10_000 : 120_000)),
  kills: short ? 2 : 12,
  temporalStops: short ? (['SIGTERM'] as const) : (['SIGTERM', 'SIGKILL'] as const),
  temporalDownMs: short ? 5_000 : 20_000,
  /** A rate-limit storm: every DingTalk call refused for this long. */
  stormMs: short ? 3_000 : 10_000,
  /** How long a scenario may take to finish its documents after its faults. */
  finishMs: short ? 150_000 : 8 * 60_000,
  /** Quiet time before counting: a late duplicate would show up. */
  settleMs: short ? 2_000 : 10_000,
  /** 网控: how many state changes of the locked bill Kingdee refuses. */
  lockTimes: short ? 3 : 4,
  stopBoundMs: 30_000,
  pollInterval: short ? '1s' : '2s',
  clickEveryMs: short ? 500 : 1_000,
  repressMs: short ? 4_000 : 10_000,
  hardDeadlineMs: short ? 420_000 : 50 * 60_000,
};

const started = Date.now();
const log = (line: string) => console.log(`[drill +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
const random = (min: number, max: number) => min + Math.random() * (max - min);

interface Extra {
  /** Clicks made while Temporal was down that were neither answered "processing" nor applied as it came back. */
  outageClicksNotProcessing: number;
  /** SIGTERMs the process took longer than the bound (30 s) to obey. */
  stopsOverBound: number;
  /**
   * Ops alerts that are neither about an outage nor a request to check a post whose outcome nobody can know
   * (needs-attention, a notice DingTalk refused …).
   */
  opsAlertsNotAboutAnOutage: number;
  /** Outage alerts beyond one per Kingdee outage that lasted, and such outages without one. */
  outageAlertsBeyondOne: number;
  outagesNotAlerted: number;
  /** Outage alerts without their "recovered" message, or "recovered" messages without an alert. */
  recoveriesUnmatched: number;
  /** Bridge processes that exited without being asked to. */
  processCrashes: number;
}

interface Row {
  scenario: string;
  counts: Counts;
  extra: Extra;
  notes: Record<string, unknown>;
  seconds: number;
  passed: boolean;
}

interface Context {
  world: DrillWorld;
  approvers: Approvers;
  /** Submit documents in Kingdee (status B); released to the approvers at once unless `hold`. */
  submit(count: number, options?: { hold?: boolean; lockFirst?: number }): Promise<Submitted[]>;
  notes: Record<string, unknown>;
  extra: Extra;
  /** Every outage the scenario caused (Temporal stopped, Kingdee unreachable). */
  outages: number;
  /** Kingdee outages long enough that ops must be told (≥ outageAlertAfterMs + a poll's retries). */
  alertableOutages: number;
}

let billCounter = 0;
function nextBill(scenarioIndex: number): Submitted {
  billCounter += 1;
  return {
    billNo: `FYBXD${scenarioIndex}${String(billCounter).padStart(5, '0')}`,
    amount: 800 + ((billCounter * 7919) % 60_000),
  };
}

/** What a card shows once its person's seat is settled. */
const settledStatuses = ['approved', 'rejected', 'transferred'];
/** `total` split into `parts` near-equal whole parts. */
const split = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

type Scenario = { name: string; run(ctx: Context, documents: number): Promise<void> };

const scenarios: Scenario[] = [
  {
    name: 'worker-kill9',
    async run(ctx, documents) {
      const { world } = ctx;
      const kills: Array<{ how: string; restartMs: number }> = [];
      for (const [k, wave] of split(documents, config.kills).entries()) {
        if (wave > 0) await ctx.submit(wave);
        const victim = world.worker!;
        let how = 'random moment';
        if (k % 2 === 1) {
          // Right after a decision: the next answered click kills the worker before anything else happens.
          const done = new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 90_000);
            ctx.approvers.afterDecision = async () => {
              ctx.approvers.afterDecision = undefined;
              clearTimeout(timer);
              await world.kill9(victim);
              resolve(true);
            };
          });
          if (await done) how = 'right after a decision';
          else ctx.approvers.afterDecision = undefined;
        } else await sleep(random(500, short ? 3_000 : 6_000));
        if (!victim.hasExited()) await world.kill9(victim);
        const t0 = Date.now();
        await world.startWorker();
        kills.push({ how, restartMs: Date.now() - t0 });
        log(`  kill -9 ${victim.name} (${how}); ${world.worker!.name} polling after ${Date.now() - t0} ms`);
      }
      ctx.notes.kills = kills.length;
      ctx.notes.killsAfterDecision = kills.filter((k) => k.how !== 'random moment').length;
    },
  },
  {
    name: 'temporal-restart',
    async run(ctx, documents) {
      const { world } = ctx;
      const rounds: Array<Record<string, unknown>> = [];
      for (const [i, signal] of config.temporalStops.entries()) {
        const wave = split(documents, config.temporalStops.length)[i]!;
        // Cards first, clicks only while Temporal is down.
        const docs = await ctx.submit(wave, { hold: true });
        await waitForCards(world, docs, 60_000).catch((err: unknown) => log(`  ${(err as Error).message}`));
        const stopMs = await world.stopTemporal(signal);
        const down = Date.now();
        ctx.outages += 1;
        ctx.approvers.release(docs.map((d) => d.billNo));
        await sleep(config.temporalDownMs);
        const t0 = Date.now();
        await world.startTemporal();
        const up = Date.now();
        const during = ctx.approvers.clicks.filter((c) => c.at >= down && c.at < t0);
        // A click made while Temporal was down is answered "processing" (journaled) — unless its answer came after
        // Temporal was being started again and it was applied there and then (the API reached the new server).
        const appliedOnReturn = (c: Click) => c.answeredAt >= t0 && c.ok && c.status === 'approved';
        const notProcessing = during.filter((c) => c.status !== 'processing' && !appliedOnReturn(c));
        ctx.extra.outageClicksNotProcessing += notProcessing.length;
        rounds.push({
          signal,
          stopMs,
          downMs: up - down,
          startMs: up - t0,
          clicksWhileDown: during.length,
          answeredProcessing: during.filter((c) => c.status === 'processing').length,
          appliedOnReturn: during.filter(appliedOnReturn).length,
          notProcessing: notProcessing.map((c) => `${c.billNo}:${c.stepId}:${c.ok ? c.status : 'callback failed'}`),
        });
        log(
          `  Temporal ${signal} (exit ${stopMs} ms), down ${Math.round((up - down) / 1000)} s: ${during.length} clicks, ${during.filter((c) => c.status === 'processing').length} answered "processing", ${during.filter(appliedOnReturn).length} applied as Temporal came back`,
        );
        await world.reviveCrashed();
        await world.waitForWorker(world.worker, 120_000).catch((err: unknown) => log(`  ${(err as Error).message}`));
      }
      ctx.notes.rounds = rounds;
    },
  },
  {
    name: 'kingdee-faults',
    async run(ctx, documents) {
      const { world } = ctx;
      const kingdee = world.kingdee;
      const noise = startKingdeeNoise(kingdee, { failShare: 0.2, slowShare: 0.3, maxLatencyMs: 2_000 });
      const waves = split(documents, 3);
      try {
        const first = await ctx.submit(waves[0]!);
        await waitForAudits(world, first, Math.ceil(first.length / 2), 60_000);
        await http('POST', `${kingdee}/_emulator/faults`, { kind: 'expireSessions' });
        await ctx.submit(waves[1]!);
        await sleep(short ? 1_000 : 3_000);
        log(`  Kingdee outage for ${config.outageMs / 1000} s (connections dropped)`);
        await http('POST', `${kingdee}/_emulator/faults`, { kind: 'drop' });
        ctx.outages += 1;
        // Told to ops once it has lasted a minute (workflows/poller.ts); a shorter one only retries.
        if (config.outageMs >= outageAlertAfterMs + 30_000) ctx.alertableOutages += 1;
        await sleep(config.outageMs);
        await http('DELETE', `${kingdee}/_emulator/faults`);
        await http('POST', `${kingdee}/_emulator/faults`, { kind: 'expireSessions' });
        log('  Kingdee back; sessions expired');
        // 网控: the first bill of the last wave is locked by "another user" for its next few state changes.
        const last = await ctx.submit(waves[2]!, { lockFirst: config.lockTimes });
        ctx.notes.lockedBill = last[0]?.billNo;
        await sleep(short ? 2_000 : 10_000);
        await http('POST', `${kingdee}/_emulator/faults`, { kind: 'expireSessions' });
      } finally {
        await noise.stop();
        ctx.notes.injected = noise.injected();
      }
      // The remaining noise stays until the documents are done; cleared before the next scenario.
    },
  },
  {
    name: 'dingtalk-faults',
    async run(ctx, documents) {
      const dingtalk = ctx.world.dingtalk;
      const fault = (body: unknown) => http('POST', `${dingtalk}/_emulator/faults`, body);
      const waves = split(documents, 3);
      await ctx.submit(waves[0]!);
      await sleep(2_000);
      // A storm is time-bounded: every call refused until it ends (removed with the other DingTalk faults).
      const storm = async (during?: () => Promise<unknown>) => {
        await fault({ kind: 'rateLimit' });
        await sleep(config.stormMs / 2);
        await during?.();
        await sleep(config.stormMs / 2);
        await http('DELETE', `${dingtalk}/_emulator/faults`);
      };
      await storm();
      await fault({ kind: 'expireTokens' });
      await ctx.submit(waves[1]!);
      await sleep(2_000);
      await fault({ kind: 'dropStream' });
      await sleep(3_000);
      await fault({ kind: 'dropStream' });
      // Tokens expire in the middle of the second storm: every new call needs a new token while DingTalk refuses.
      await storm(() => fault({ kind: 'expireTokens' }));
      await ctx.submit(waves[2]!);
      await sleep(3_000);
      await fault({ kind: 'dropStream' });
      ctx.notes.storms = 2;
      ctx.notes.streamDrops = 3;
      ctx.notes.tokenExpiries = 2;
    },
  },
  {
    name: 'sigterm',
    async run(ctx, documents) {
      const { world } = ctx;
      const waves = split(documents, 2);
      const stops: Array<Record<string, unknown>> = [];
      const first = await ctx.submit(waves[0]!);
      await waitForAudits(world, first, 1, 60_000).catch(() => undefined);
      for (const role of ['worker', 'api'] as const) {
        const victim = role === 'worker' ? world.worker! : world.api!;
        const { ms, exit } = await world.terminate(victim, config.stopBoundMs + 15_000);
        if (ms > config.stopBoundMs) ctx.extra.stopsOverBound += 1;
        const t0 = Date.now();
        if (role === 'worker') await world.startWorker();
        else await world.startApi();
        stops.push({ process: victim.name, stopMs: ms, exit, restartMs: Date.now() - t0 });
        log(`  SIGTERM ${victim.name}: exited (${exit}) after ${ms} ms; restarted in ${Date.now() - t0} ms`);
        if (role === 'worker') {
          await ctx.submit(waves[1]!);
          await sleep(short ? 1_500 : 4_000);
        }
      }
      ctx.notes.stops = stops;
    },
  },
];

async function waitForCards(world: DrillWorld, docs: Submitted[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cards = await http<Array<{ cardParamMap: Record<string, string> }>>(
      'GET',
      `${world.dingtalk}/_emulator/cards`,
    ).catch(() => []);
    const have = new Set(cards.filter((c) => c.cardParamMap.status === 'pending').map((c) => c.cardParamMap.billNo));
    if (docs.every((d) => have.has(d.billNo))) return;
    if (Date.now() > deadline) throw new Error(`not every card delivered within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

async function waitForAudits(world: DrillWorld, docs: Submitted[], atLeast: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bills = new Set(docs.map((d) => d.billNo));
  while (Date.now() < deadline) {
    const all = await http<Array<{ billNo: string; status: string }>>(
      'GET',
      `${world.kingdee}/_emulator/documents`,
    ).catch(() => []);
    if (all.filter((d) => bills.has(d.billNo) && d.status === 'C').length >= atLeast) return;
    await sleep(500);
  }
}

async function runScenario(world: DrillWorld, index: number, scenario: Scenario, documents: number): Promise<Row> {
  const t0 = Date.now();
  log(`scenario ${scenario.name}: ${documents} documents`);
  const approvers = startApprovers(world.dingtalk, { intervalMs: config.clickEveryMs, repressMs: config.repressMs });
  const docs: Submitted[] = [];
  const crashesBefore = world.crashes.length;
  const ctx: Context = {
    world,
    approvers,
    notes: {},
    outages: 0,
    alertableOutages: 0,
    extra: {
      outageClicksNotProcessing: 0,
      stopsOverBound: 0,
      opsAlertsNotAboutAnOutage: 0,
      outageAlertsBeyondOne: 0,
      outagesNotAlerted: 0,
      recoveriesUnmatched: 0,
      processCrashes: 0,
    },
    async submit(n, options = {}) {
      const wave = Array.from({ length: n }, () => nextBill(index + 1));
      if (options.lockFirst && wave[0])
        await http('POST', `${world.kingdee}/_emulator/faults`, {
          kind: 'lock',
          billNo: wave[0].billNo,
          times: options.lockFirst,
        });
      for (const doc of wave) {
        await http('POST', `${world.kingdee}/_emulator/documents`, {
          formId: 'ER_ExpReimbursement',
          billNo: doc.billNo,
          status: 'B',
          fields: {
            FProposerID: { id: 2001, number: 'EMP001', name: '张三' },
            FReqReimbAmountSum: doc.amount,
            FCurrencyID: { id: 1, number: 'PRE001', name: '人民币' },
            FCausa: `演练 ${scenario.name} ${doc.billNo}`,
          },
        });
      }
      docs.push(...wave);
      if (!options.hold) approvers.release(wave.map((d) => d.billNo));
      return wave;
    },
  };
  // A bridge process that dies by itself is counted and started again, so the drill goes on.
  let watching = true;
  const watchdog = (async () => {
    while (watching) {
      await world.reviveCrashed().catch(() => undefined);
      await sleep(1_000);
    }
  })();
  let cutShort: string | undefined;
  try {
    await scenario.run(ctx, documents);
  } catch (err) {
    cutShort = err instanceof Error ? err.message : String(err);
    log(`  the scenario was cut short: ${cutShort}`);
  }
  // Everything released: the approvers finish what is left, with the faults of the scenario over.
  approvers.release(docs.map((d) => d.billNo));
  const deadline = Date.now() + config.finishMs;
  for (;;) {
    const snap = await snapshot(world, world.temporalAddress).catch(() => undefined);
    const left = snap ? docs.filter((d) => !finished(snap, d)).length : docs.length;
    if (left === 0 || Date.now() > deadline) {
      if (left > 0) log(`  ${left} documents not finished after ${config.finishMs / 1000} s`);
      break;
    }
    await sleep(2_000);
  }
  await sleep(config.settleMs);
  approvers.stop();
  watching = false;
  await watchdog;
  await http('DELETE', `${world.kingdee}/_emulator/faults`).catch(() => undefined);
  await http('DELETE', `${world.dingtalk}/_emulator/faults`).catch(() => undefined);
  const counts = count(await snapshot(world, world.temporalAddress), docs, t0);
  ctx.extra.opsAlertsNotAboutAnOutage =
    counts.opsAlerts - counts.outageAlerts - counts.outageRecoveries - counts.uncertainChecks;
  ctx.extra.outageAlertsBeyondOne = Math.max(0, counts.outageAlerts - ctx.alertableOutages);
  ctx.extra.outagesNotAlerted = Math.max(0, ctx.alertableOutages - counts.outageAlerts);
  ctx.extra.recoveriesUnmatched = Math.abs(counts.outageAlerts - counts.outageRecoveries);
  ctx.extra.processCrashes = world.crashes.length - crashesBefore;
  if (ctx.extra.processCrashes > 0) ctx.notes.crashes = world.crashes.slice(crashesBefore);
  if (cutShort) ctx.notes.cutShort = cutShort;
  ctx.notes.clicks = approvers.clicks.length;
  // A pending card pressed again whose answer settles it with a tip: the answer to the deciding click never reached
  // DingTalk (late, or the connection broke), and this click put the card right.
  const putRight = approvers.clicks.filter((c) => c.ok && c.tip !== '' && settledStatuses.includes(c.status)).length;
  if (putRight > 0) ctx.notes.cardsPutRightByClick = putRight;
  ctx.notes.outages = ctx.outages;
  ctx.notes.alertableOutages = ctx.alertableOutages;
  const passed =
    !cutShort && mustBeZeroKeys.every((k) => counts[k] === 0) && Object.values(ctx.extra).every((v) => v === 0);
  return {
    scenario: scenario.name,
    counts,
    extra: ctx.extra,
    notes: ctx.notes,
    seconds: (Date.now() - t0) / 1000,
    passed,
  };
}

/** The JSON report (to --out, else .data/drill/), also of a drill cut short by its deadline; returns its path. */
function writeReport(rows: Row[], passed: boolean, failure: string | undefined): string {
  const report = {
    short,
    config,
    passed,
    failure,
    seconds: (Date.now() - started) / 1000,
    rows: rows.map((r) => ({
      ...r,
      mustBeZero: { ...Object.fromEntries(mustBeZeroKeys.map((k) => [k, r.counts[k]])), ...r.extra },
    })),
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = args.out ?? path.join(projectRoot, '.data', 'drill', `drill-${short ? 'short-' : ''}${stamp}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  return out;
}

function table(rows: Row[]): string {
  const header = [
    'scenario',
    'docs',
    'audited 1/2/0',
    'cards dup/miss/stale',
    'notices dup/miss',
    'wf failed/stuck',
    'ops: outage/recovered/check/other',
    'other must-be-zero',
    'result',
  ];
  const lines = rows.map((r) => {
    const c = r.counts;
    const other = Object.entries(r.extra)
      .filter(([k, v]) => v !== 0 || k === 'outageClicksNotProcessing' || k === 'stopsOverBound')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return [
      r.scenario,
      String(c.documents),
      `${c.auditedOnce}/${c.auditedTwice}/${c.auditedNever}`,
      `${c.cardsDuplicated}/${c.cardsMissing}/${c.cardsStale}`,
      `${c.noticesDuplicated}/${c.noticesMissing}`,
      `${c.workflowsFailed}/${c.workflowsStuck}`,
      `${c.outageAlerts}/${c.outageRecoveries}/${c.uncertainChecks}/${c.opsAlerts - c.outageAlerts - c.outageRecoveries - c.uncertainChecks} (${Number(r.notes.outages ?? 0)} outages)`,
      other,
      r.passed ? 'PASS' : 'FAIL',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kdb-drill-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  log(
    `${short ? 'short ' : ''}drill: ${config.documents} documents, outage ${config.outageMs / 1000} s; logs in ${logDir}`,
  );
  const world = new DrillWorld({ dir, logDir, pollInterval: config.pollInterval, log });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process`);
      world.killAllNow();
      process.exit(130);
    });
  }
  const rows: Row[] = [];
  const hardStop = setTimeout(() => {
    const failure = `the drill took longer than ${config.hardDeadlineMs / 60_000} min`;
    log(`FAILED: ${failure}; logs in ${logDir}`);
    world.killAllNow();
    console.log(`\n${table(rows)}\n`);
    console.log(`report: ${writeReport(rows, false, failure)}`);
    process.exit(2);
  }, config.hardDeadlineMs);
  hardStop.unref();

  let failure: string | undefined;
  try {
    await world.start();
    log(`bridge up: ${world.worker!.name} (pid ${world.worker!.pid}), ${world.api!.name} (pid ${world.api!.pid})`);
    const chosen = scenarios.filter((s) => !args.only || args.only.split(',').includes(s.name));
    const shares = split(config.documents, chosen.length);
    for (const [i, scenario] of chosen.entries()) {
      const row = await runScenario(world, scenarios.indexOf(scenario), scenario, shares[i]!);
      rows.push(row);
      log(`  ${row.passed ? 'PASS' : 'FAIL'} in ${Math.round(row.seconds)} s ${JSON.stringify(row.notes)}`);
      for (const [key, bills] of Object.entries(row.counts.examples))
        log(`  ${key}: ${bills.slice(0, 20).join(' ')}${bills.length > 20 ? ` … (${bills.length})` : ''}`);
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    log(`FAILED: ${failure}`);
  } finally {
    await world.stop().catch(() => world.killAllNow());
    clearTimeout(hardStop);
  }

  const passed = !failure && rows.length > 0 && rows.every((r) => r.passed);
  console.log(`\n${table(rows)}\n`);
  const total = rows.reduce((sum, r) => sum + r.counts.documents, 0);
  console.log(`${passed ? 'PASSED' : 'FAILED'}: ${total} documents in ${Math.round((Date.now() - started) / 1000)} s`);
  const out = writeReport(rows, passed, failure);
  console.log(`report: ${out}`);
  if (passed && process.env.DRILL_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  else log(`logs kept in ${logDir}`);
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
