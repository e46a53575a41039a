/**
 * Client configurations derived from the settings: the one place that knows which variable feeds which client.
 * No variable is checked again here: config/env.ts has validated the settings and, with real systems, guarantees every
 * variable the clients need (`settings.connection`).
 */
import { randomBytes } from 'node:crypto';
import type { Settings } from './env';

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
    },
    robots: e.DINGTALK_ROBOTS,
    callbackMode: e.DINGTALK_CALLBACK_MODE,
    cardRouteKey: e.DINGTALK_CARD_ROUTE_KEY,
    cardCallbackSecret: e.DINGTALK_CARD_CALLBACK_SECRET,
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
