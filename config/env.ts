/**
 * The service's settings, parsed once at start-up from the environment (and `.env`). Nothing else in the code base
 * reads process.env: everything receives the typed `Settings` object (or the part of it that it needs).
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const envSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** An existing Temporal frontend (host:port). Unset: the service starts a local dev server with the Web UI. */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('kingdee-dingtalk-bridge'),
  /** Where the Web UI of an external Temporal is, for the printed links. */
  TEMPORAL_UI_URL: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
});

export type Env = z.infer<typeof envSchema>;

export interface Settings {
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  temporal: {
    /** Undefined: start a local dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl?: string;
    devServer: { port: number; uiPort: number };
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse the environment; a bad value fails fast naming every variable and what is wrong with it. */
export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid settings in the environment / .env:\n${problems.join('\n')}\nSee .env.example.`);
  }
  const e = parsed.data;
  return {
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_DEV_UI_PORT },
    },
  };
}
