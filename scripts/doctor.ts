/**
 * `npm run doctor`: is everything the bridge needs reachable and set up, and is any approval in trouble? One line
 * per check, OK, WARN or FAIL with the fix; approvals that need attention, failed or stopped moving are named (bill
 * number and workflow id). Without credentials it checks the demo started by `npm start`.
 *
 *   npm run doctor -- --stuck-after 3d --writing-back-after 10m
 *
 * Exit code 1 when any check FAILs (WARNs alone exit 0).
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { loadSettings } from '../config/env';
import { loadRules } from '../rules';
import { officialDaysSource, officialDaysYears } from '../rules/calendar';
import { calendarYearCoverage, localDateOf } from '../domain/holidays';
import { DingTalkClient } from '../integrations/dingtalk';
import { KingdeeClient } from '../integrations/kingdee';
import { clientSettings } from '../config/client-settings';
import { customSearchAttributes } from '../workflows/search-attributes';
import { pollerWorkflowId } from '../workflows/contract';
import { parseDuration } from '../domain/duration';
import { ApprovalService, type ApprovalProblem } from '../temporal/approvals';
import { decisionJournalFile, readDecisionJournal } from '../temporal/decision-journal';
import { readUsageFiles, usageTotals } from '../integrations/dingtalk/usage';
import { demoEnv } from './demo';

/** ok: OK; warn: WARN (worth a look, exit code stays 0); otherwise FAIL. */
type Result = { ok: boolean; warn?: boolean; detail: string; fix?: string };
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
  const label = result.ok ? 'OK  ' : result.warn ? 'WARN' : 'FAIL';
  console.log(
    `${label} ${name.padEnd(26)} ${result.detail}${!result.ok && result.fix ? `\n     → ${result.fix}` : ''}`,
  );
  return result;
}

const cliOptions = parseArgs({
  options: {
    'stuck-after': { type: 'string', default: '3d' },
    'writing-back-after': { type: 'string', default: '10m' },
  },
}).values;

/** One approval on its own line: bill number, workflow id, since when, why. */
function describeProblem(problem: ApprovalProblem): string {
  const since = problem.since ? ` since ${problem.since.toISOString()} (${ago(problem.since)})` : '';
  const stage = problem.stage
    ? ` [${problem.kind === 'failed' ? `${problem.status}; last stage ` : ''}${problem.stage}]`
    : '';
  return `\n       ${problem.billNo ?? '?'}  ${problem.workflowId}${stage}${since}${problem.detail ? `: ${problem.detail}` : ''}`;
}

function ago(date: Date): string {
  const minutes = Math.round((Date.now() - date.getTime()) / 60_000);
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} d ago`;
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
  if (rules.ok) {
    // Business time, deadlines and digests count working days: a year without holidays treats them as working days.
    await check('calendar next year', async () => {
      const { calendar } = loadRules(settings.rulesFile);
      if (calendar.alwaysOpen) return { ok: true, detail: 'always open: no holidays needed' };
      const year = Number(localDateOf(Date.now(), calendar.offsetMinutes).slice(0, 4)) + 1;
      const coverage = calendarYearCoverage(calendar, year);
      const years = officialDaysYears();
      const source = `${officialDaysSource.package} ${officialDaysSource.version} has ${years[0] ?? '?'}–${years.at(-1) ?? '?'}`;
      return coverage.holidays > 0
        ? {
            ok: true,
            detail: `${year}: ${coverage.holidays} holidays, ${coverage.makeupWorkdays} makeup workdays (${source})`,
          }
        : {
            ok: false,
            warn: true,
            detail: `the calendar has no holidays for ${year} (${source}): deadlines, digests and timeouts would count its holidays as working days`,
            fix: `once the State Council publishes ${year}'s holidays (usually November–December): npm update ${officialDaysSource.package} and restart (with calendar.publicHolidays: CN), or list them under calendar.holidays and makeupWorkdays`,
          };
    });
  }

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
  if (connection) {
    const client = new Client({ connection, namespace: settings.temporal.namespace });
    const approvals = new ApprovalService(client, { taskQueue: settings.temporal.taskQueue });
    const problems = await approvals
      .problems({
        awaitingApprovalMs: parseDuration(cliOptions['stuck-after']),
        writingBackMs: parseDuration(cliOptions['writing-back-after']),
      })
      .catch((err: unknown) => err as Error);
    const found = (kind: ApprovalProblem['kind']) =>
      problems instanceof Error ? [] : problems.filter((p) => p.kind === kind);
    const api = settings.api.publicBaseUrl ?? `http://127.0.0.1:${settings.api.port}`;
    await check('approvals: attention', async () => {
      if (problems instanceof Error) throw problems;
      const parked = found('needs-attention');
      return parked.length === 0
        ? { ok: true, detail: 'no approval waits for an administrator (needs-attention)' }
        : {
            ok: false,
            detail: `${parked.length} approval(s) in needs-attention:${parked.map(describeProblem).join('')}`,
            fix: `fix the cause named above, then POST ${api}/admin/approvals/<workflow id>/retry — or /resolve once it was settled in Kingdee (body {"by":"<your name>"})`,
          };
    });
    await check('approvals: failed', async () => {
      if (problems instanceof Error) throw problems;
      const failed = found('failed');
      return failed.length === 0
        ? { ok: true, detail: 'no approval run failed, was terminated or timed out' }
        : {
            ok: false,
            detail: `${failed.length} approval run(s) stopped without finishing (nobody is waiting for them any more):${failed.map(describeProblem).join('')}`,
            fix: `see why in the Web UI (ExecutionStatus="Failed") or: npm run temporal -- workflow show -w <workflow id>; after fixing the cause run it again from the start: npm run temporal -- workflow reset -w <workflow id> --type FirstWorkflowTask --reason "<why>" (cards are delivered again), or settle the document in Kingdee`,
          };
    });
    await check('approvals: not moving', async () => {
      if (problems instanceof Error) throw problems;
      const stuck = found('stuck');
      return stuck.length === 0
        ? {
            ok: true,
            detail: `none awaiting approval longer than ${cliOptions['stuck-after']} or writing back longer than ${cliOptions['writing-back-after']}`,
          }
        : {
            ok: false,
            warn: true,
            detail: `${stuck.length} approval(s) not moving:${stuck.map(describeProblem).join('')}`,
            fix: 'awaiting-approval: remind the approvers or have them transfer (转交); writing-back / starting: Kingdee keeps refusing or is unreachable (the last error is shown) — check Kingdee and the worker log',
          };
    });
  }
  await check('decision journal', async () => {
    const file = decisionJournalFile(settings.dataDir, settings.temporal.namespace, settings.temporal.taskQueue);
    const pending = readDecisionJournal(file);
    if (pending.length === 0) return { ok: true, detail: `empty (${file})` };
    const oldest = pending[0]!.at;
    return {
      ok: false,
      warn: true,
      detail: `${pending.length} decision(s) received while Temporal could not take them, oldest ${oldest}, in ${file}`,
      fix: 'the running bridge hands them to Temporal as soon as it answers; if no bridge runs, start one (npm start) with the same DATA_DIR',
    };
  });
  await check('DingTalk quota (month)', async () => {
    // Every bridge process counts its DingTalk calls in DATA_DIR (integrations/dingtalk/usage.ts).
    const usage = usageTotals(readUsageFiles(settings.dataDir));
    const quota = {
      api: settings.env.DINGTALK_MONTHLY_API_QUOTA,
      webhookStream: settings.env.DINGTALK_MONTHLY_WEBHOOK_STREAM_QUOTA,
    };
    const line = (kind: 'api' | 'webhookStream', label: string) =>
      `${label} ${usage[kind]} so far, ~${usage.projected[kind]} projected of ${quota[kind]}`;
    const detail = `${usage.month}: ${line('api', 'metered API calls')}; ${line('webhookStream', 'Webhook&Stream messages')}`;
    const over = (['api', 'webhookStream'] as const).filter((kind) => usage.projected[kind] > quota[kind]);
    if (over.length === 0) return { ok: true, detail };
    return {
      ok: false,
      warn: true,
      detail: `${detail} — the month's projection passes the quota of ${over.join(' and ')}`,
      fix: 'past the quota DingTalk refuses metered calls until the month ends (90020 / Forbidden.AccessDenied.ApiCountLimitForOrg): buy more (专业版 or an 增购包) and set DINGTALK_MONTHLY_API_QUOTA / DINGTALK_MONTHLY_WEBHOOK_STREAM_QUOTA, or cut calls (README "Capacity")',
    };
  });

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
  return results.every(([, r]) => r.ok || r.warn) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
