/**
 * Client configurations derived from the settings: the one place that knows which variable feeds which client.
 */
import { randomBytes } from 'node:crypto';
import type { Settings } from './env';

export function clientSettings(settings: Settings) {
  const e = settings.env;
  const required = (value: string | undefined, name: string): string => {
    if (!value) throw new Error(`${name} is not set (see .env.example)`);
    return value;
  };
  const kingdeeAuth =
    e.KINGDEE_AUTH_MODE === 'password'
      ? {
          mode: 'password' as const,
          userName: required(e.KINGDEE_USERNAME, 'KINGDEE_USERNAME'),
          password: required(e.KINGDEE_PASSWORD, 'KINGDEE_PASSWORD'),
          lcid: e.KINGDEE_LCID,
        }
      : {
          mode: e.KINGDEE_AUTH_MODE,
          userName: required(e.KINGDEE_USERNAME, 'KINGDEE_USERNAME'),
          appId: required(e.KINGDEE_APP_ID, 'KINGDEE_APP_ID'),
          appSecret: required(e.KINGDEE_APP_SECRET, 'KINGDEE_APP_SECRET'),
          lcid: e.KINGDEE_LCID,
        };
  const kingdeeBaseUrl = required(e.KINGDEE_BASE_URL, 'KINGDEE_BASE_URL');
  const apiBaseUrl = e.DINGTALK_API_BASE_URL ?? 'https://api.dingtalk.com';
  return {
    kingdee: {
      baseUrl: kingdeeBaseUrl,
      acctId: required(e.KINGDEE_ACCT_ID, 'KINGDEE_ACCT_ID'),
      auth: kingdeeAuth,
      timeoutMs: e.KINGDEE_TIMEOUT_MS,
    },
    dingtalk: {
      apiBaseUrl,
      oapiBaseUrl: e.DINGTALK_OAPI_BASE_URL ?? 'https://oapi.dingtalk.com',
      clientId: required(e.DINGTALK_CLIENT_ID, 'DINGTALK_CLIENT_ID'),
      clientSecret: required(e.DINGTALK_CLIENT_SECRET, 'DINGTALK_CLIENT_SECRET'),
      agentId: e.DINGTALK_AGENT_ID,
      robotCode: e.DINGTALK_ROBOT_CODE ?? e.DINGTALK_CLIENT_ID,
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
            ownerKey: required(e.DINGTALK_CLIENT_ID, 'DINGTALK_CLIENT_ID'),
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
