/**
 * Client configurations derived from the settings: the one place that knows which variable feeds which client.
 * No variable is checked again here: config/env.ts has validated the settings and, with real systems, guarantees every
 * variable the clients need (`settings.connection`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toClientOptions, type ClientConfigTLS, type ConfigDataSource } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Settings } from './env';

export function clientSettings(settings: Settings) {
  const e = settings.env;
  const c = settings.connection;
  if (!c) {
    // Not a settings problem: a demo caller asked for clients before loading the emulators' env (scripts/demo.ts).
    throw new Error('clientSettings: demo settings without the emulators’ env; load the settings with it first');
  }
  const kingdeeAuth =
    c.KINGDEE_AUTH_MODE === 'password'
      ? { mode: 'password' as const, userName: c.KINGDEE_USERNAME, password: c.KINGDEE_PASSWORD, lcid: e.KINGDEE_LCID }
      : {
          mode: c.KINGDEE_AUTH_MODE,
          userName: c.KINGDEE_USERNAME,
          appId: c.KINGDEE_APP_ID,
          appSecret: c.KINGDEE_APP_SECRET,
          lcid: e.KINGDEE_LCID,
        };
  const kingdeeBaseUrl = c.KINGDEE_BASE_URL;
  const apiBaseUrl = e.DINGTALK_API_BASE_URL ?? 'https://api.dingtalk.com';
  return {
    kingdee: {
      baseUrl: kingdeeBaseUrl,
      acctId: c.KINGDEE_ACCT_ID,
      auth: kingdeeAuth,
      timeoutMs: e.KINGDEE_TIMEOUT_MS,
    },
    dingtalk: {
      apiBaseUrl,
      oapiBaseUrl: e.DINGTALK_OAPI_BASE_URL ?? 'https://oapi.dingtalk.com',
      clientId: c.DINGTALK_CLIENT_ID,
      clientSecret: c.DINGTALK_CLIENT_SECRET,
      agentId: e.DINGTALK_AGENT_ID,
      robotCode: e.DINGTALK_ROBOT_CODE ?? c.DINGTALK_CLIENT_ID,
      qps: e.DINGTALK_API_QPS,
    },
    robots: e.DINGTALK_ROBOTS,
    callbackMode: e.DINGTALK_CALLBACK_MODE,
    cardRouteKey: e.DINGTALK_CARD_ROUTE_KEY,
    cardCallbackSecret: e.DINGTALK_CARD_CALLBACK_SECRET,
    /** HTTP mode: where DingTalk sends card callbacks (registered under cardRouteKey at start-up). */
    cardCallbackUrl: settings.api.publicBaseUrl ? `${settings.api.publicBaseUrl}/dingtalk/card-callback` : undefined,
    cardTemplates: settings.cardTemplates,
    streamOpenUrl: e.DINGTALK_STREAM_OPEN_URL ?? `${apiBaseUrl}/v1.0/gateway/connections/open`,
    event:
      e.DINGTALK_EVENT_TOKEN && e.DINGTALK_EVENT_AES_KEY
        ? {
            token: e.DINGTALK_EVENT_TOKEN,
            aesKey: e.DINGTALK_EVENT_AES_KEY,
            ownerKey: c.DINGTALK_CLIENT_ID,
          }
        : undefined,
    documentLinkTemplate:
      e.KINGDEE_DOCUMENT_URL ??
      `${kingdeeBaseUrl.replace(/\/k3cloud$/i, '')}/k3cloud/html5/?formId={formId}&billNo={billNo}`,
    // Without ADMIN_TOKEN (demo only; real mode requires it) a random one is made per start and printed.
    adminToken: settings.api.adminToken ?? randomBytes(18).toString('base64url'),
  };
}

export type ClientSettings = ReturnType<typeof clientSettings>;

/** What Connection.connect (client) and NativeConnection.connect (worker) both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/**
 * The options of every Temporal connection the bridge makes (the client's, the worker's, the doctor's, search
 * attribute registration), from Temporal's own environment-configuration settings (TEMPORAL_API_KEY, TEMPORAL_TLS,
 * TEMPORAL_TLS_*), turned into connection options by the SDK's envconfig (`toClientOptions`): an API key turns TLS
 * on unless TEMPORAL_TLS=false; client certificate and key make it mTLS. `address` is the frontend actually used
 * (the configured one, or the local dev server's). A certificate file that cannot be read is a ConfigError naming
 * the variable.
 */
export function temporalConnectionOptions(settings: Settings, address: string): TemporalConnectionOptions {
  const e = settings.env;
  const source = (pathKey: keyof typeof e, dataKey: keyof typeof e): ConfigDataSource | undefined => {
    const file = e[pathKey];
    const data = e[dataKey];
    if (typeof file === 'string') {
      try {
        return { data: readFileSync(file) };
      } catch (err) {
        throw new ConfigError(
          `${String(pathKey)}: cannot read ${file} (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    }
    return typeof data === 'string' ? { data } : undefined;
  };
  const tls: ClientConfigTLS = {
    ...(e.TEMPORAL_TLS !== undefined ? { disabled: !e.TEMPORAL_TLS } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const clientCert = source('TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA');
  const clientKey = source('TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA');
  const serverCACert = source('TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA');
  if (clientCert) tls.clientCert = clientCert;
  if (clientKey) tls.clientKey = clientKey;
  if (serverCACert) tls.serverCACert = serverCACert;
  const { connectionOptions } = toClientOptions({
    address,
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  });
  return {
    address,
    ...(connectionOptions.tls !== undefined && connectionOptions.tls !== null ? { tls: connectionOptions.tls } : {}),
    ...(connectionOptions.apiKey ? { apiKey: connectionOptions.apiKey } : {}),
  };
}

/** How the bridge authenticates to Temporal, for log lines and the doctor (never a secret). */
export function temporalSecurity(options: TemporalConnectionOptions): string {
  const tls = options.tls;
  const mtls = typeof tls === 'object' && tls.clientCertPair !== undefined;
  const parts = [
    !tls ? 'plaintext' : mtls ? 'mTLS' : 'TLS',
    ...(options.apiKey ? ['API key'] : []),
    ...(typeof tls === 'object' && tls.serverNameOverride ? [`server name ${tls.serverNameOverride}`] : []),
    ...(typeof tls === 'object' && tls.serverRootCACertificate ? ['own server CA'] : []),
  ];
  return parts.join(', ');
}
