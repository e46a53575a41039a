/**
 * `npm run doctor`: is everything the bridge needs reachable and set up? One line per check, OK or FAIL with the
 * fix. Without credentials it checks the demo started by `npm start`.
 */
import 'dotenv/config';
import axios from 'axios';
import { Connection } from '@temporalio/client';
import { loadSettings } from '../config/env';
import { loadRules } from '../rules';
import { DingTalkClient } from '../integrations/dingtalk';
import { KingdeeClient } from '../integrations/kingdee';
import { clientSettings } from '../config/client-settings';
import { customSearchAttributes } from '../workflows/search-attributes';
import { pollerWorkflowId } from '../workflows/contract';
import { demoEnv } from './demo';

type Result = { ok: boolean; detail: string; fix?: string };
const results: Array<[string, Result]> = [];

async function check(name: string, run: () => Promise<Result>, fixOnError?: string): Promise<Result> {
  let result: Result;
  try {
    result = await run();
  } catch (err) {
    result = {
      ok: false,
      detail: err instanceof Error ? err.message : String(err),
      ...(fixOnError ? { fix: fixOnError } : {}),
    };
  }
  results.push([name, result]);
  console.log(
    `${result.ok ? 'OK  ' : 'FAIL'} ${name.padEnd(26)} ${result.detail}${!result.ok && result.fix ? `\n     → ${result.fix}` : ''}`,
  );
  return result;
}

async function main(): Promise<number> {
  const base = loadSettings(process.env);
  const settings = base.demo
    ? loadSettings({
        ...process.env,
        ...demoEnv({ kingdee: base.env.DEMO_KINGDEE_PORT, dingtalk: base.env.DEMO_DINGTALK_PORT }),
      })
    : base;
  if (base.demo) console.log('No Kingdee/DingTalk credentials: checking the demo started by `npm start`.\n');
  const clients = clientSettings(settings);
  const address = settings.temporal.address ?? `127.0.0.1:${settings.temporal.devServer.port}`;
  const rules = await check('rules file', async () => {
    const r = loadRules(settings.rulesFile);
    return {
      ok: true,
      detail: `${settings.rulesFile}: ${Object.keys(r.forms).length} forms, ${r.ingestion.forms.length} polled`,
    };
  });

  let connection: Connection | undefined;
  await check(
    'Temporal reachable',
    async () => {
      connection = await Connection.connect({ address, connectTimeout: 3_000 });
      const info = await connection.workflowService.getSystemInfo({});
      return { ok: true, detail: `${address} (server ${info.serverVersion || 'dev'})` };
    },
    'start Temporal (npm start does) or set TEMPORAL_ADDRESS',
  );
  if (connection) {
    const conn = connection;
    await check('Temporal namespace', async () => {
      await conn.workflowService.describeNamespace({ namespace: settings.temporal.namespace });
      return { ok: true, detail: settings.temporal.namespace };
    });
    await check('search attributes', async () => {
      const existing = await conn.operatorService.listSearchAttributes({ namespace: settings.temporal.namespace });
      const missing = customSearchAttributes
        .filter((k) => !(k.name in (existing.customAttributes ?? {})))
        .map((k) => k.name);
      return missing.length === 0
        ? { ok: true, detail: customSearchAttributes.map((k) => k.name).join(', ') }
        : {
            ok: false,
            detail: `missing ${missing.join(', ')}`,
            fix: 'start the service once (it registers them) or: npm run temporal -- operator search-attribute create …',
          };
    });
  }

  const kingdee = new KingdeeClient({ ...clients.kingdee, timeoutMs: 5_000 });
  await check(
    'Kingdee login',
    async () => {
      const { clockOffsetMs } = await kingdee.check();
      return {
        ok: true,
        detail:
          `${clients.kingdee.baseUrl} as ${clients.kingdee.auth.userName}` +
          (clockOffsetMs !== undefined ? ` (clock offset ${clockOffsetMs} ms)` : ''),
      };
    },
    'check KINGDEE_BASE_URL, KINGDEE_ACCT_ID and the credentials (see .env.example)',
  );
  await check('Kingdee clock skew', async () => {
    const offset = kingdee.lastClockOffsetMs;
    if (offset === undefined)
      return { ok: false, detail: 'no Date header from Kingdee', fix: 'check KINGDEE_BASE_URL' };
    return Math.abs(offset) < 60_000
      ? { ok: true, detail: `${offset} ms` }
      : {
          ok: false,
          detail: `${Math.round(offset / 1000)} s off Kingdee's clock`,
          fix: 'synchronise this machine with NTP; signatures and timestamps are refused past a few minutes',
        };
  });

  const dingtalk = new DingTalkClient({ ...clients.dingtalk, robots: clients.robots });
  await check(
    'DingTalk token',
    async () => {
      await dingtalk.getAccessToken();
      return { ok: true, detail: `app ${clients.dingtalk.clientId}` };
    },
    'check DINGTALK_API_BASE_URL, DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET',
  );
  await check('robot signing', async () => {
    const names = rules.ok
      ? Object.values(loadRules(settings.rulesFile).robots)
          .map((r) => r.webhook)
          .filter((n): n is string => !!n)
      : [];
    const missing = names.filter((n) => !clients.robots[n]);
    const unsigned = Object.entries(clients.robots)
      .filter(([, r]) => !r.secret?.startsWith('SEC'))
      .map(([n]) => n);
    if (missing.length > 0)
      return {
        ok: false,
        detail: `robots named in the rules but not configured: ${missing.join(', ')}`,
        fix: 'add them to DINGTALK_ROBOTS',
      };
    if (unsigned.length > 0)
      return {
        ok: false,
        detail: `robots without a SEC… signing secret: ${unsigned.join(', ')}`,
        fix: 'enable 加签 on the robot and put its secret in DINGTALK_ROBOTS',
      };
    return { ok: true, detail: `${Object.keys(clients.robots).length} robots, all signed` };
  });
  if (clients.callbackMode === 'stream') {
    await check('Stream connectivity', async () => {
      const response = await axios.post(
        clients.streamOpenUrl,
        { clientId: clients.dingtalk.clientId, clientSecret: clients.dingtalk.clientSecret, subscriptions: [] },
        { headers: { Accept: 'application/json' }, timeout: 5_000, validateStatus: () => true },
      );
      const ok = response.status === 200 && typeof response.data?.endpoint === 'string';
      return ok
        ? { ok, detail: `gateway gives ${response.data.endpoint}` }
        : {
            ok,
            detail: `gateway answered HTTP ${response.status}`,
            fix: 'check DINGTALK_CLIENT_ID/SECRET and that Stream mode is enabled for the app',
          };
    });
  } else {
    await check('callback reachability', async () => {
      const url = `${settings.api.publicBaseUrl}/healthz`;
      const response = await axios.get(url, { timeout: 5_000, validateStatus: () => true });
      return response.status === 200
        ? { ok: true, detail: url }
        : {
            ok: false,
            detail: `${url} answered ${response.status}`,
            fix: 'PUBLIC_BASE_URL must reach this service from the internet for HTTP callbacks',
          };
    });
  }
  if (connection && rules.ok) {
    const conn = connection;
    const forms = loadRules(settings.rulesFile).ingestion.forms;
    await check('poll lag', async () => {
      const lags: string[] = [];
      for (const formId of forms) {
        const id = pollerWorkflowId(clients.kingdee.acctId, formId);
        const history = await conn.workflowService.getWorkflowExecutionHistoryReverse({
          namespace: settings.temporal.namespace,
          execution: { workflowId: id },
          maximumPageSize: 1,
        });
        const last = history.history?.events?.[0]?.eventTime;
        const seconds = last?.seconds ? Math.round(Date.now() / 1000 - Number(last.seconds)) : undefined;
        lags.push(`${formId} ${seconds === undefined ? '?' : `${seconds}s`}`);
        if (seconds === undefined || seconds > 120)
          return {
            ok: false,
            detail: `poller for ${formId} last active ${seconds ?? '?'} s ago`,
            fix: 'is the service (worker) running? see the poller workflow in the Web UI',
          };
      }
      return { ok: true, detail: `last poll: ${lags.join(', ')}` };
    });
    await conn.close();
  }
  return results.every(([, r]) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
