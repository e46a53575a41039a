/**
 * The service's settings, parsed once at start-up from the environment (and `.env`). Nothing else in the code base
 * reads process.env: everything receives the typed `Settings` object (or the part of it that it needs).
 *
 * No Kingdee or DingTalk credentials at all means demo mode: the service starts both emulators with the demo
 * seeds and points the same clients at them. With real systems the schema itself requires every variable the chosen
 * modes need, so a bad or incomplete environment fails here, once, with ONE error listing every problem (names and
 * reasons, never values). Every variable is listed, with its meaning, in .env.example.
 */
import { z } from 'zod';
import { approvalCardTemplateId } from '../domain/texts';
import { noticeCardTemplateId } from '../domain/texts/merged-notices';

/** What one process runs (workers/service.ts): everything, the Temporal worker and pollers, or the API. */
export const serviceRoleNames = ['all', 'worker', 'api'] as const;
/** The card templates the demo's DingTalk emulator is seeded with; real DingTalk needs the tenant's own ids. */
export const demoCardTemplates = { approval: approvalCardTemplateId, notice: noticeCardTemplateId } as const;

const port = z.coerce.number().int().min(0).max(65535);
const text = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
const url = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value.replace(/\/+$/, '')))
  .pipe(z.url({ message: 'must be a URL such as https://example.com' }).optional())
  .optional();
/** true/false as Temporal's environment configuration reads TEMPORAL_TLS (1/0, yes/no too); empty: not set. */
const boolish = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional())
  .transform((value) => (value === undefined ? undefined : ['true', '1', 'yes'].includes(value)))
  .optional();
const robotsJson = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx) => {
    if (!value) return {};
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: 'must be JSON, e.g. {"finance":{"webhookUrl":"…","secret":"SEC…"}}',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string(),
      z.object({
        webhookUrl: z.url({ message: 'webhookUrl must be the robot webhook URL' }),
        secret: z.string().optional(),
      }),
    ),
  );

/** Workflow-task slots kept free for decisions beyond the planning window's (WORKER_MAX_CONCURRENT_WORKFLOW_TASKS). */
const slotsForDecisions = 6;

const envFieldsSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** What this process runs: all (everything, the default), worker or api; `npm start -- --role` wins over it. */
  ROLE: z.enum(serviceRoleNames).default('all'),
  /** on: always the demo; off: never (credentials required); auto: demo when no credentials are set. */
  DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  RULES_FILE: z.string().default('config/rules.example.yaml'),

  TEMPORAL_ADDRESS: text,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('kingdee-dingtalk-bridge'),
  TEMPORAL_UI_URL: url,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  /**
   * Temporal Cloud and TLS, by the names of Temporal's own environment configuration (the CLI and the SDKs read the
   * same): an API key (TLS on by default), or mTLS with a client certificate and key, a server CA and an SNI name.
   * Each certificate as a path (…_PATH) or as PEM text (…_DATA).
   */
  TEMPORAL_API_KEY: text,
  TEMPORAL_TLS: boolish,
  TEMPORAL_TLS_CLIENT_CERT_PATH: text,
  TEMPORAL_TLS_CLIENT_CERT_DATA: text,
  TEMPORAL_TLS_CLIENT_KEY_PATH: text,
  TEMPORAL_TLS_CLIENT_KEY_DATA: text,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: text,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: text,
  TEMPORAL_TLS_SERVER_NAME: text,
  /** Where the worker's Prometheus metrics are served (appended to the API's /metrics). */
  WORKER_METRICS_PORT: port.default(9464),
  /** The address they are bound to: loopback by default; 0.0.0.0 in a container that Prometheus scrapes. */
  WORKER_METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /**
   * The worker's sizing (workers/worker.ts, README "Capacity"). Cached workflows bound the worker's memory (about
   * 0.3 MB each): an approval that is not cached is replayed from its history when it next moves (a click, a timer).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  /**
   * Workflow tasks the worker runs at once (Temporal's maxConcurrentWorkflowTaskExecutions; at least 2). They share
   * one workflow thread, so more only queue inside the worker, where a click's task waits behind them (README
   * "Capacity": 40 → 16 took click → audited p99 from 2.4–2.9 s to ~1 s). Unset: the planning window's tasks, which
   * may wait on a local activity (Kingdee, DingTalk), plus 6 always free for decisions — 16 with the default window.
   */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).optional(),
  /**
   * The polls' starts wait while this many approvals they started wait for their first workflow task (planning), so
   * a burst queues in the poll, not ahead of everything in Temporal's queue (temporal/planning-window.ts); 0: unpaced.
   */
  WORKER_PLANNING_WINDOW: z.coerce.number().int().min(0).default(10),
  /**
   * Workflow-task pollers: auto (scaled with the backlog Temporal reports) or a fixed number, split 1 : 4 between the
   * normal queue (new approvals' first tasks) and this worker's sticky queue (approvals it has cached: decisions).
   * Autoscaling pollers hold workflow-task slots while they poll, so a start is rarely eager; with Temporal nearby, 4
   * answered clicks sooner in a burst (docker-compose sets it; README "Capacity").
   */
  WORKER_WORKFLOW_TASK_POLLERS: z
    .string()
    .trim()
    .toLowerCase()
    .default('auto')
    .refine((value) => value === 'auto' || /^\d+$/.test(value), { message: 'must be auto or a number (at least 2)' })
    .transform((value) => (value === 'auto' ? ('auto' as const) : Math.max(2, Number(value)))),
  /** Threads that run workflow code (each one reused V8 context, ~30 MB); 2 lets activations use a second core. */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * Frames in a stack trace taken inside workflow code. The SDK takes one for every promise workflow code makes (the
   * Temporal UI's stack-trace query) and formats each frame, so this is a cost per promise; 6 shows the same stacks in
   * the UI as V8's default of 10 (the SDK cuts its own frames off), for less of the workflow thread (README Capacity).
   */
  WORKER_WORKFLOW_STACK_FRAMES: z.coerce.number().int().min(1).max(100).default(6),
  /** Activities of the approvals' task queue the worker runs at once (the notices' queue has its own 50). */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  /**
   * A workflow bundle built ahead (bundleWorkflowCode → a .js file); empty: the worker bundles at start-up, in a child
   * process so that the bundler's memory does not stay in the worker.
   */
  WORKER_WORKFLOW_BUNDLE: text,

  API_PORT: port.default(3000),
  /** Address the API listens on: loopback by default; 0.0.0.0 in a container that receives callbacks. */
  API_HOST: z.string().default('127.0.0.1'),
  /** The URL DingTalk and Kingdee reach this service at (HTTP callbacks); printed links use it too. */
  PUBLIC_BASE_URL: url,
  ADMIN_TOKEN: text,
  KINGDEE_PUSH_SECRET: text,

  KINGDEE_BASE_URL: url,
  KINGDEE_ACCT_ID: text,
  KINGDEE_AUTH_MODE: z.enum(['appSecret', 'signature', 'password']).default('appSecret'),
  KINGDEE_USERNAME: text,
  KINGDEE_APP_ID: text,
  KINGDEE_APP_SECRET: text,
  KINGDEE_PASSWORD: text,
  KINGDEE_LCID: z.coerce.number().int().default(2052),
  KINGDEE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000),
  /** Link a person opens for a document; {formId}, {billNo}, {billId} are filled in. */
  KINGDEE_DOCUMENT_URL: text,

  DINGTALK_API_BASE_URL: url,
  DINGTALK_OAPI_BASE_URL: url,
  DINGTALK_CLIENT_ID: text,
  DINGTALK_CLIENT_SECRET: text,
  DINGTALK_AGENT_ID: text,
  DINGTALK_ROBOT_CODE: text,
  /** stream: card clicks and bot messages over DingTalk Stream (no public URL needed); http: callbacks to PUBLIC_BASE_URL. */
  DINGTALK_CALLBACK_MODE: z.enum(['stream', 'http']).default('stream'),
  DINGTALK_CARD_ROUTE_KEY: z.string().default('kdb-approval'),
  DINGTALK_CARD_CALLBACK_SECRET: text,
  /** The approval card template of the card platform (xxxxxxxx-….schema); required with real DingTalk. */
  DINGTALK_CARD_TEMPLATE_ID: text,
  /** The group notice card template: only for rules-file robots with just an openConversationId. */
  DINGTALK_NOTICE_CARD_TEMPLATE_ID: text,
  DINGTALK_STREAM_OPEN_URL: url,
  DINGTALK_EVENT_TOKEN: text,
  DINGTALK_EVENT_AES_KEY: text,
  /** Custom group robots by the names the rules file uses: {"finance":{"webhookUrl":"…","secret":"SEC…"}}. */
  DINGTALK_ROBOTS: robotsJson,
  /** The organisation's DingTalk edition's monthly quotas (standard edition: 5,000 metered API calls and 3,000
   * Webhook&Stream messages a month); /metrics projects the month against them and the doctor warns past them. */
  DINGTALK_MONTHLY_API_QUOTA: z.coerce.number().int().min(1).default(5_000),
  /**
   * Calls a second the app may make to each DingTalk API (20, DingTalk's published per-app limit): the client's pace
   * and the card and 待办 queues' dispatch rate for the whole deployment. Raise it only when DingTalk has raised the
   * app's limit; the bench lifts it with the emulator's quotas to measure the engine alone.
   */
  DINGTALK_API_QPS: z.coerce.number().int().min(1).max(1_000).default(20),
  DINGTALK_MONTHLY_WEBHOOK_STREAM_QUOTA: z.coerce.number().int().min(1).default(3_000),

  DEMO_KINGDEE_PORT: port.default(8410),
  DEMO_DINGTALK_PORT: port.default(8420),
});

export type Env = z.infer<typeof envFieldsSchema>;

/** Any of these set (and DEMO=auto) means the real systems are meant. */
const credentialKeys = [
  'KINGDEE_BASE_URL',
  'KINGDEE_ACCT_ID',
  'KINGDEE_APP_SECRET',
  'KINGDEE_PASSWORD',
  'DINGTALK_CLIENT_ID',
  'DINGTALK_CLIENT_SECRET',
] as const;

/** DEMO=on: the demo; off: the real systems; auto: the demo when no credential is set. */
function isDemo(e: Env): boolean {
  const hasCredentials = credentialKeys.some((key) => e[key] !== undefined);
  return e.DEMO === 'on' || (e.DEMO === 'auto' && !hasCredentials);
}

/** A variable that must be set; `why` is what the error says when it is not. */
const needed = (why: string) => z.string({ error: why });

const kingdeeSite = {
  KINGDEE_BASE_URL: needed('the K3Cloud base URL, e.g. https://your-site.ik3cloud.com/k3cloud'),
  KINGDEE_ACCT_ID: needed('the data centre (账套) id'),
  KINGDEE_USERNAME: needed('the integration user'),
};
const dingtalkApp = {
  DINGTALK_CLIENT_ID: needed('the DingTalk app key (Client ID)'),
  DINGTALK_CLIENT_SECRET: needed('the DingTalk app secret (Client Secret)'),
};

/**
 * What connecting to Kingdee and DingTalk takes, per Kingdee login mode: with real systems every field is required;
 * the demo has them once its settings carry the emulators' env (scripts/demo.ts). Fields in error-message order.
 */
const connectionSchema = z.discriminatedUnion('KINGDEE_AUTH_MODE', [
  z.object({
    ...kingdeeSite,
    KINGDEE_AUTH_MODE: z.literal('password'),
    KINGDEE_PASSWORD: needed('password login was chosen'),
    ...dingtalkApp,
  }),
  z.object({
    ...kingdeeSite,
    KINGDEE_AUTH_MODE: z.enum(['appSecret', 'signature']),
    KINGDEE_APP_ID: needed('the app id from the Kingdee integration platform (第三方系统登录授权)'),
    KINGDEE_APP_SECRET: needed('the app secret from the Kingdee integration platform'),
    ...dingtalkApp,
  }),
]);

/** The Kingdee and DingTalk variables the clients connect with, present and typed. */
export type Connection = z.output<typeof connectionSchema>;

/** What running against the real systems takes besides the connection, per DingTalk callback mode. */
const realOnly = {
  DINGTALK_AGENT_ID: needed('the app agentId, for work notifications'),
  DINGTALK_CARD_TEMPLATE_ID: needed(
    'the approval card template id from the DingTalk card platform, e.g. xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.schema (docs/dingtalk-card-template.md)',
  ),
  ADMIN_TOKEN: needed('a long random token that protects /admin'),
};
const realOnlySchema = z.discriminatedUnion('DINGTALK_CALLBACK_MODE', [
  z.object({ ...realOnly, DINGTALK_CALLBACK_MODE: z.literal('stream') }),
  z.object({
    ...realOnly,
    DINGTALK_CALLBACK_MODE: z.literal('http'),
    PUBLIC_BASE_URL: needed('DingTalk must reach the card-callback URL'),
    DINGTALK_CARD_CALLBACK_SECRET: needed(
      'the apiSecret the card callback route is registered with; DingTalk signs every HTTP card callback with it',
    ),
  }),
]);

/**
 * Temporal TLS settings that contradict each other, whatever the mode: a certificate without its key, a value given
 * both as a path and as PEM text, TLS switched off while certificates or an API key are set, or TLS towards the local
 * dev server (which has none).
 */
function temporalTlsIssues(e: Env): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const pairs = [
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'],
    ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA'],
    ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'],
  ] as const;
  for (const [pathKey, dataKey] of pairs) {
    if (e[pathKey] && e[dataKey])
      issues.push({ path: dataKey, message: `set either ${pathKey} or ${dataKey}, not both` });
  }
  const cert = e.TEMPORAL_TLS_CLIENT_CERT_PATH ?? e.TEMPORAL_TLS_CLIENT_CERT_DATA;
  const key = e.TEMPORAL_TLS_CLIENT_KEY_PATH ?? e.TEMPORAL_TLS_CLIENT_KEY_DATA;
  if (cert && !key)
    issues.push({ path: 'TEMPORAL_TLS_CLIENT_KEY_PATH', message: 'mTLS needs the client key with the certificate' });
  if (key && !cert)
    issues.push({ path: 'TEMPORAL_TLS_CLIENT_CERT_PATH', message: 'mTLS needs the client certificate with the key' });
  const tlsSettings = [
    'TEMPORAL_API_KEY',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_CERT_DATA',
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
    'TEMPORAL_TLS_SERVER_NAME',
  ] as const;
  const set = tlsSettings.filter((k) => e[k] !== undefined);
  if (e.TEMPORAL_TLS === false && set.some((k) => k !== 'TEMPORAL_API_KEY'))
    issues.push({ path: 'TEMPORAL_TLS', message: `is false, but ${set.join(', ')} need TLS` });
  if (!e.TEMPORAL_ADDRESS && (set.length > 0 || e.TEMPORAL_TLS === true))
    issues.push({
      path: 'TEMPORAL_ADDRESS',
      message: `${[...set, ...(e.TEMPORAL_TLS ? ['TEMPORAL_TLS'] : [])].join(', ')} are for an external Temporal (e.g. <namespace>.<account>.tmprl.cloud:7233): set TEMPORAL_ADDRESS too — the local dev server has no TLS`,
    });
  return issues;
}

/** Marks the issues of variables that real systems need and that are not set. */
const MISSING = 'missingForRealSystems';

/**
 * The environment, validated: every value well-formed, and in real mode every variable the chosen modes need
 * present (one issue per missing variable, with the reason it is needed). The result says which mode applies and
 * carries the connection, typed as present whenever the real systems are used.
 */
export const envSchema = envFieldsSchema.transform((e, ctx) => {
  const tls = temporalTlsIssues(e);
  if (tls.length > 0) {
    for (const issue of tls)
      ctx.issues.push({ code: 'custom', input: undefined, path: [issue.path], message: issue.message });
    return z.NEVER;
  }
  const connection = connectionSchema.safeParse(e);
  if (isDemo(e)) {
    return { env: e, demo: true as const, connection: connection.success ? connection.data : undefined };
  }
  const rest = realOnlySchema.safeParse(e);
  if (!connection.success || !rest.success) {
    for (const issue of [...(connection.error?.issues ?? []), ...(rest.error?.issues ?? [])]) {
      ctx.issues.push({
        code: 'custom',
        input: undefined,
        path: issue.path,
        message: issue.message,
        params: { [MISSING]: true },
      });
    }
    return z.NEVER;
  }
  return { env: e, demo: false as const, connection: connection.data };
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface CommonSettings {
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  rulesFile: string;
  temporal: {
    /** Undefined: start a local dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl?: string;
    devServer: { port: number; uiPort: number };
    workerMetricsPort: number;
    /** Where the worker's metrics are bound: 127.0.0.1 unless a scraper outside the host must reach them. */
    workerMetricsHost: string;
    /** The worker's sizing and its workflow bundle (WORKER_* settings). */
    worker: {
      maxCachedWorkflows: number;
      maxConcurrentWorkflowTasks: number;
      /** Approvals a process's polls keep waiting for planning at most (0: unpaced). */
      planningWindow: number;
      maxConcurrentActivities: number;
      /** 'auto': autoscaling; a number: at most that many. */
      workflowTaskPollers: 'auto' | number;
      workflowThreads: number;
      /** Stack-trace frames inside workflow code. */
      workflowStackFrames: number;
      workflowBundle?: string;
    };
  };
  /** ROLE: what this process runs unless `--role` says otherwise. */
  role: Env['ROLE'];
  /**
   * The card templates: the tenant's own with real DingTalk (the approval card's is required there); the demo always
   * uses the ids its emulator is seeded with. `notice` is undefined when no notice card template is configured.
   */
  cardTemplates: { approval: string; notice?: string };
  api: { port: number; host: string; publicBaseUrl?: string; adminToken?: string; kingdeePushSecret?: string };
  env: Env;
}

/** Real Kingdee and DingTalk: every variable the chosen modes need is set (envSchema checked it). */
export interface RealSettings extends CommonSettings {
  demo: false;
  connection: Connection;
}

/**
 * The demo emulators stand in for Kingdee and DingTalk. `connection` is there once the settings are loaded with the
 * emulators' env (scripts/demo.ts); before that they only say where to start the emulators.
 */
export interface DemoSettings extends CommonSettings {
  demo: true;
  connection: Connection | undefined;
}

export type Settings = RealSettings | DemoSettings;

/** Parse the environment; a bad value or a missing variable fails fast naming every variable and what is wrong. */
export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const lines = issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    if (issues.every((issue) => issue.code === 'custom' && issue.params?.[MISSING] === true)) {
      throw new ConfigError(
        env.DEMO === 'off'
          ? `DEMO=off, so the service connects to the real Kingdee and DingTalk, but these are missing:\n${lines}\nSet them in .env (see .env.example), or set DEMO=auto and remove all of them to run the demo.`
          : `Kingdee/DingTalk credentials are partly set, so the service would connect to the real systems, but these are missing:\n${lines}\nSet them in .env (see .env.example), or remove all of them to run the demo.`,
      );
    }
    throw new ConfigError(`Invalid settings in the environment / .env:\n${lines}\nSee .env.example.`);
  }
  const { env: e, demo, connection } = parsed.data;
  const common: CommonSettings = {
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    rulesFile: e.RULES_FILE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_DEV_UI_PORT },
      workerMetricsPort: e.WORKER_METRICS_PORT,
      workerMetricsHost: e.WORKER_METRICS_HOST,
      worker: {
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
        maxConcurrentWorkflowTasks:
          e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? e.WORKER_PLANNING_WINDOW + slotsForDecisions,
        planningWindow: e.WORKER_PLANNING_WINDOW,
        maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        workflowTaskPollers: e.WORKER_WORKFLOW_TASK_POLLERS,
        workflowThreads: e.WORKER_WORKFLOW_THREADS,
        workflowStackFrames: e.WORKER_WORKFLOW_STACK_FRAMES,
        ...(e.WORKER_WORKFLOW_BUNDLE ? { workflowBundle: e.WORKER_WORKFLOW_BUNDLE } : {}),
      },
    },
    role: e.ROLE,
    cardTemplates: demo
      ? { ...demoCardTemplates }
      : {
          // Real mode: envSchema required it.
          approval: e.DINGTALK_CARD_TEMPLATE_ID ?? demoCardTemplates.approval,
          ...(e.DINGTALK_NOTICE_CARD_TEMPLATE_ID ? { notice: e.DINGTALK_NOTICE_CARD_TEMPLATE_ID } : {}),
        },
    api: {
      port: e.API_PORT,
      host: e.API_HOST,
      publicBaseUrl: e.PUBLIC_BASE_URL,
      adminToken: e.ADMIN_TOKEN,
      kingdeePushSecret: e.KINGDEE_PUSH_SECRET,
    },
    env: e,
  };
  return demo ? { ...common, demo, connection } : { ...common, demo, connection };
}
