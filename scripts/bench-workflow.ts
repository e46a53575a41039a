/**
 * `npm run bench:workflow`: what the approval workflow's own code costs the worker, without a server. It replays a
 * recorded two-step approval (test/fixtures/histories; the bench's scenario: 李四 → 王五, the cashier told) many
 * times through the SDK's replayer, which runs the same sandbox, activations and patches as a live worker. In a
 * month-end burst the worker's one workflow thread is the limit (README Capacity), so this is the number a change to
 * the workflow code moves; it is steadier than `npm run bench`, which shares the two cores with Temporal.
 *
 * "In the sandbox" is the time inside the SDK's calls into the workflow's V8 context: our workflow code, the SDK's
 * activation handling, its per-call watchdog thread and its promise hook, which takes a stack trace for every
 * promise made in there (for the Web UI's stack-trace query). The replayer's own work (history decoding, its core)
 * is outside it. `--promise-sites N` also prints where those promises are made (N workflow frames each); it takes
 * a stack trace of its own for each, so the times of that run are not comparable.
 * `--stack-frames N`: the frames of each such stack trace, as WORKER_WORKFLOW_STACK_FRAMES sets them in the worker
 * (default: the worker's, from this environment).
 * Prints numbers; never fails on them.
 *
 *   npm run bench:workflow [-- --approvals 500] [--rounds 3] [--history notices-together-FYBX000123]
 *                              [--promise-sites 2] [--stack-frames 6] [--bundle workflow-bundle.js]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadSettings } from '../config/env';
import { stackFramesForNewContexts } from '../workers/worker';

const { values: args } = parseArgs({
  options: {
    approvals: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    history: { type: 'string', default: 'notices-together-FYBX000123' },
    'promise-sites': { type: 'string', default: '0' },
    'stack-frames': { type: 'string' },
    /** A workflow bundle already built (the test suite's); without it the workflows are bundled first. */
    bundle: { type: 'string' },
  },
});

/** Time, calls and promises inside the sandbox: every call the SDK makes into it goes through Script#runInContext. */
const sandbox = { ms: 0, calls: 0, promises: 0, inside: false };
const promiseSites = new Map<string, number>();
/** Workflow frames named per promise site (--promise-sites; 0: sites not collected). */
let siteFrames = 0;

const runInContext = vm.Script.prototype.runInContext;
vm.Script.prototype.runInContext = function (this: vm.Script, ...callArgs: Parameters<vm.Script['runInContext']>) {
  const started = performance.now();
  sandbox.inside = true;
  try {
    return runInContext.apply(this, callArgs) as unknown;
  } finally {
    sandbox.inside = false;
    sandbox.ms += performance.now() - started;
    sandbox.calls += 1;
  }
};
v8.promiseHooks.onInit(() => {
  if (!sandbox.inside) return;
  sandbox.promises += 1;
  if (siteFrames > 0) {
    const site = (new Error().stack ?? '')
      .split('\n')
      .filter((line) => line.includes('workflow-bundle'))
      .slice(0, siteFrames)
      .map((line) =>
        line
          .trim()
          .replace(/^at /, '')
          .replace(/ \(.*\)$/, '')
          .replace(/^\S*workflow-bundle\S*\.js:(\d+):\d+$/, 'bundle line $1'),
      )
      .join(' ← ');
    promiseSites.set(site, (promiseSites.get(site) ?? 0) + 1);
  }
});

function wholeNumber(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number of at least ${min}`);
  return n;
}

async function main(): Promise<void> {
  const approvals = wholeNumber('approvals', args.approvals, 1);
  const rounds = wholeNumber('rounds', args.rounds, 1);
  siteFrames = wholeNumber('promise-sites', args['promise-sites'], 0);
  const stackFrames =
    args['stack-frames'] === undefined
      ? loadSettings(process.env).temporal.worker.workflowStackFrames
      : wholeNumber('stack-frames', args['stack-frames'], 1);
  stackFramesForNewContexts(stackFrames); // this process only replays: no need to set it back
  const file = path.resolve(__dirname, '..', 'test', 'fixtures', 'histories', `${args.history}.json`);
  if (!existsSync(file))
    throw new Error(
      `no recorded history ${args.history} in test/fixtures/histories (the default: notices-together-FYBX000123)`,
    );
  const history = historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
  const events = history.events ?? [];
  const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const workflowBundle = args.bundle
    ? { codePath: path.resolve(args.bundle) }
    : await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('ERROR') });
  console.log(
    `Replaying ${args.history} (${events.length} events, ${workflowTasks} workflow tasks) ${approvals} times a round; ` +
      `stack traces of ${stackFrames} frames in workflow code`,
  );
  console.log('round  approvals/s  wall ms  CPU ms  in the sandbox ms  calls into it  promises there  (per approval)');
  for (let round = 1; round <= rounds; round++) {
    const copies = Array.from({ length: approvals }, (_, i) => ({ workflowId: `bench-${round}-${i}`, history }));
    Object.assign(sandbox, { ms: 0, calls: 0, promises: 0 });
    const cpu = process.cpuUsage();
    const started = performance.now();
    let failed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle }, copies)) {
      if (!result.error) continue;
      failed += 1;
      if (failed === 1) console.error(`replay failed: ${result.error.message}`);
    }
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const each = (total: number, digits = 1) => (total / approvals).toFixed(digits);
    console.log(
      [
        String(round).padStart(5),
        (approvals / (wallMs / 1000)).toFixed(0).padStart(13),
        each(wallMs).padStart(9),
        each((used.user + used.system) / 1000).padStart(8),
        each(sandbox.ms).padStart(19),
        each(sandbox.calls).padStart(15),
        each(sandbox.promises, 0).padStart(16),
        failed > 0 ? `  (${failed} failed to replay)` : '',
      ].join(''),
    );
  }
  if (siteFrames > 0) {
    const total = rounds * approvals;
    console.log(
      '\nwhere the sandbox makes its promises (per approval; no workflow frame: a continuation after an await)',
    );
    for (const [site, count] of [...promiseSites].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`${(count / total).toFixed(1).padStart(6)}  ${site || '(none)'}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
