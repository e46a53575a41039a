/**
 * The service's settings, parsed once at start-up from the environment (and `.env`). Nothing else in the code base
 * reads process.env: everything receives the typed `Settings` object (or the part of it that it needs).
 *
 * No Kingdee or DingTalk credentials at all means demo mode: the service starts both emulators with the demo
 * seeds and points the same clients at them. Every variable is listed, with its meaning, in .env.example.
 */
import { z } from 'zod';

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

export const envSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** on: always the demo; off: never (credentials required); auto: demo when no credentials are set. */
  DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  RULES_FILE: z.string().default('config/rules.example.yaml'),

  TEMPORAL_ADDRESS: text,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('kingdee-dingtalk-bridge'),
  TEMPORAL_UI_URL: url,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  /** Where the worker's Prometheus metrics are served (appended to the API's /metrics). */
  WORKER_METRICS_PORT: port.default(9464),

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
  DINGTALK_STREAM_OPEN_URL: url,
  DINGTALK_EVENT_TOKEN: text,
  DINGTALK_EVENT_AES_KEY: text,
  /** Custom group robots by the names the rules file uses: {"finance":{"webhookUrl":"…","secret":"SEC…"}}. */
  DINGTALK_ROBOTS: robotsJson,

  DEMO_KINGDEE_PORT: port.default(8410),
  DEMO_DINGTALK_PORT: port.default(8420),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Settings {
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  rulesFile: string;
  /** True when the demo emulators stand in for Kingdee and DingTalk. */
  demo: boolean;
  temporal: {
    /** Undefined: start a local dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl?: string;
    devServer: { port: number; uiPort: number };
    workerMetricsPort: number;
  };
  api: { port: number; host: string; publicBaseUrl?: string; adminToken?: string; kingdeePushSecret?: string };
  env: Env;
}

const credentialKeys = [
  'KINGDEE_BASE_URL',
  'KINGDEE_ACCT_ID',
  'KINGDEE_APP_SECRET',
  'KINGDEE_PASSWORD',
  'DINGTALK_CLIENT_ID',
  'DINGTALK_CLIENT_SECRET',
] as const;

/** Parse the environment; a bad value fails fast naming every variable and what is wrong with it. */
export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid settings in the environment / .env:\n${problems.join('\n')}\nSee .env.example.`);
  }
  const e = parsed.data;
  const hasCredentials = credentialKeys.some((key) => e[key] !== undefined);
  const demo = e.DEMO === 'on' || (e.DEMO === 'auto' && !hasCredentials);
  if (!demo) requireRealSettings(e);
  return {
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    rulesFile: e.RULES_FILE,
    demo,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_DEV_UI_PORT },
      workerMetricsPort: e.WORKER_METRICS_PORT,
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
}

/** With real systems, every credential the chosen modes need must be there: say which are missing and why. */
function requireRealSettings(e: Env): void {
  const missing: string[] = [];
  const need = (key: keyof Env, why: string) => {
    if (e[key] === undefined) missing.push(`  ${key}: ${why}`);
  };
  need('KINGDEE_BASE_URL', 'the K3Cloud base URL, e.g. https://your-site.ik3cloud.com/k3cloud');
  need('KINGDEE_ACCT_ID', 'the data centre (账套) id');
  need('KINGDEE_USERNAME', 'the integration user');
  if (e.KINGDEE_AUTH_MODE === 'password') need('KINGDEE_PASSWORD', 'password login was chosen');
  else {
    need('KINGDEE_APP_ID', 'the app id from the Kingdee integration platform (第三方系统登录授权)');
    need('KINGDEE_APP_SECRET', 'the app secret from the Kingdee integration platform');
  }
  need('DINGTALK_CLIENT_ID', 'the DingTalk app key (Client ID)');
  need('DINGTALK_CLIENT_SECRET', 'the DingTalk app secret (Client Secret)');
  need('DINGTALK_AGENT_ID', 'the app agentId, for work notifications');
  need('ADMIN_TOKEN', 'a long random token that protects /admin');
  if (e.DINGTALK_CALLBACK_MODE === 'http') need('PUBLIC_BASE_URL', 'DingTalk must reach the card-callback URL');
  if (missing.length > 0) {
    throw new ConfigError(
      `Kingdee/DingTalk credentials are partly set, so the service would connect to the real systems, but these are missing:\n${missing.join('\n')}\nSet them in .env (see .env.example), or remove all of them to run the demo.`,
    );
  }
}
