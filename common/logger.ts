/**
 * Structured logging (pino). Secrets are redacted by key wherever they appear in a logged object, so clients can
 * log requests and responses without leaking credentials.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Keys whose values are never written to a log, at any depth we log. */
export const secretKeys = [
  'password',
  'appSecret',
  'appsecret',
  'app_secret',
  'clientSecret',
  'secret',
  'accessToken',
  'access_token',
  'token',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'kdservice-sessionid',
  'x-acs-dingtalk-access-token',
  'X-Kd-Signature',
  'x-kd-signature',
  'sign',
  'signature',
  'aesKey',
  'encodingAesKey',
];

const redactPaths = secretKeys.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = (prefix: string) => (k.startsWith('[') ? `${prefix}${k}` : `${prefix}.${k}`);
  return [k, dot('*'), dot('*.*'), dot('*.*.*')];
});

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'kingdee-dingtalk-bridge',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
  });
}

/** A logger that writes nothing, for tests and emulators that do not want output. */
export const silentLogger: Logger = pino({ level: 'silent' });
