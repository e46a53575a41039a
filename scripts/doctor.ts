/**
 * `npm run doctor`: is everything the bridge needs reachable and set up, and is any approval in trouble? One line
 * per check, OK, WARN or FAIL with the fix; approvals that need attention, failed or stopped moving are named (bill
 * number and workflow id). Without credentials it checks the demo started by `npm start`.
 *
 *   npm run doctor -- --stuck-after 3d --writing-back-after 10m
 *   npm run doctor -- --test-card <DingTalk userId>    also deliver a test card with the configured template
 *
 * Exit code 1 when any check FAILs (WARNs alone exit 0).
 *
 * Longer than the ~500-line guide: a flat list of independent checks, each a short function with its fix.
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { demoCardTemplates, loadSettings } from '../config/env';
import { loadRules } from '../rules';
import { officialDaysSource, officialDaysYears } from '../rules/calendar';
import { calendarYearCoverage, localDateOf } from '../domain/holidays';
import { DingTalkClient, DingTalkDeliveryError, DingTalkError } from '../integrations/dingtalk';
import { KingdeeClient, KingdeeNotFoundError, KingdeePermissionError } from '../integrations/kingdee';
import { formProfiles } from '../integrations/kingdee/forms';
import { clientSettings, temporalConnectionOptions, temporalSecurity } from '../config/client-settings';
import { cardParamKeys, type CardParamMap } from '../domain/texts';
import type { Rules } from '../rules';
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
    'test-card': { type: 'string' },
  },
}).values;

/** What a card delivery error means and its fix (docs/dingtalk-card-template.md, Troubleshooting). */
function cardErrorFix(err: unknown, templateId: string, setting: string): string {
  const code = err instanceof DingTalkError ? String(err.code ?? '') : '';
  const text = `${code} ${err instanceof Error ? err.message : String(err)}`;
  if (/templateNotExist/i.test(text))
    return `DingTalk does not know template ${templateId} for this app: copy the id again from the card platform (with .schema), associate the template with this app and publish it, then set ${setting} (docs/dingtalk-card-template.md step 7)`;
  if (/templateUnpublished|NotPublish/i.test(text))
    return 'the template is saved but not published: publish it in the card platform (docs/dingtalk-card-template.md step 7)';
  if (/AccessTokenPermissionDenied|Forbidden/i.test(text))
    return 'grant Card.Instance.Write (互动卡片实例写权限) to the app (docs/setup-dingtalk.md step 4)';
  if (err instanceof DingTalkDeliveryError)
    return 'the person is outside the app’s visible range (可见范围), inactive, or the robot is not published (docs/setup-dingtalk.md steps 2 and 5); check the userId too';
  return 'see the Troubleshooting table of docs/dingtalk-card-template.md';
}

/** A card that asks for nothing: every parameter a string, status closed (no buttons). */
function testCardParams(): CardParamMap {
  const params = Object.fromEntries(cardParamKeys.map((key) => [key, ''])) as CardParamMap;
  return {
    ...params,
    title: '【测试】审批卡片模板检查',
    formName: '测试卡片',
    billNo: 'TEST-DOCTOR',
    applicant: 'npm run doctor',
    purpose: '这是 npm run doctor --test-card 发出的测试卡片，用来检查卡片模板；无需操作',
    status: 'closed',
    result: '测试卡片，无需操作',
    actions: '[]',
    workflowId: 'doctor-test-card',
    stepId: 'test',
  };
}

/** DingTalk userIds named as fixed approvers in the rules (`- user: <id>`), with the forms they approve. */
function fixedApprovers(rules: Rules): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const [formId, steps] of Object.entries(rules.chains)) {
    for (const step of steps) {
      for (const approver of step.approvers) {
        if (approver.kind !== 'user') continue;
        found.set(approver.userId, (found.get(approver.userId) ?? new Set()).add(formId));
      }
    }
  }
  return found;
}

/** Is this DingTalk error a missing permission (new API 403, old API 88/60011) or the IP allowlist (60020)? */
function dingtalkPermissionProblem(err: unknown): 'permission' | 'ip' | undefined {
  if (!(err instanceof DingTalkError)) return undefined;
  const text = `${String(err.code)} ${err.message}`;
  if (err.code === 60020 || /\b60020\b/.test(text)) return 'ip';
  if (err.code === 60011 || err.code === 88 || /AccessTokenPermissionDenied|60011|没有调用该接口的权限/.test(text))
    return 'permission';
  return undefined;
}

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

  const loadedRules = rules.ok ? loadRules(settings.rulesFile) : undefined;
  let connection: Connection | undefined;
  await check(
    'Temporal reachable',
    async () => {
      const options = temporalConnectionOptions(settings, address);
      connection = await Connection.connect({ ...options, connectTimeout: 3_000 });
      const info = await connection.workflowService.getSystemInfo({});
      return {
        ok: true,
        detail: `${address} (server ${info.serverVersion || 'dev'}; ${temporalSecurity(options)})`,
      };
    },
    'start Temporal (npm start does) or set TEMPORAL_ADDRESS; Temporal Cloud also needs TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH (README "Temporal Cloud and TLS")',
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
  const callback =
    clients.callbackMode === 'http'
      ? { callbackType: 'HTTP' as const, callbackRouteKey: clients.cardRouteKey }
      : { callbackType: 'STREAM' as const };
  await check('card template', async () => {
    const id = clients.cardTemplates.approval;
    if (base.demo) return { ok: true, detail: `${id} (the demo's seeded template)` };
    if (id === demoCardTemplates.approval)
      return {
        ok: false,
        detail: `DINGTALK_CARD_TEMPLATE_ID is ${id}, the demo emulator's template: real DingTalk does not know it`,
        fix: 'build and publish the approval card (docs/dingtalk-card-template.md), then set DINGTALK_CARD_TEMPLATE_ID=<its id>.schema; npm run doctor -- --test-card <your userId> tries it',
      };
    return id.endsWith('.schema')
      ? {
          ok: true,
          detail: `${id}${cliOptions['test-card'] ? '' : ' (npm run doctor -- --test-card <userId> delivers a test card)'}`,
        }
      : {
          ok: false,
          warn: true,
          detail: `${id} does not end in .schema, as card platform template ids do`,
          fix: 'copy the template id again from the card platform, with its .schema suffix (docs/dingtalk-card-template.md step 7)',
        };
  });
  const testCardUser = cliOptions['test-card'];
  if (testCardUser) {
    await check('test card', async () => {
      const id = clients.cardTemplates.approval;
      const outTrackId = `kdb-doctor-${Date.now().toString(36)}`;
      try {
        await dingtalk.deliverCard({
          outTrackId,
          cardTemplateId: id,
          cardParamMap: testCardParams(),
          to: { userId: testCardUser },
          ...callback,
        });
      } catch (err) {
        return {
          ok: false,
          detail: `template ${id} to ${testCardUser}: ${err instanceof Error ? err.message : String(err)}`,
          fix: cardErrorFix(err, id, 'DINGTALK_CARD_TEMPLATE_ID'),
        };
      }
      return {
        ok: true,
        detail: `delivered to ${testCardUser} with template ${id} (${outTrackId}): check every field on the phone and the desktop`,
      };
    });
  }
  // Group notices as cards from the app robot: rules robots with only an openConversationId.
  const cardGroups = Object.entries(loadedRules?.robots ?? {}).filter(([, r]) => !r.webhook && r.openConversationId);
  if (cardGroups.length > 0 || (!base.demo && clients.cardTemplates.notice)) {
    await check('notice card template', async () => {
      const id = clients.cardTemplates.notice;
      const groups = cardGroups.map(([name]) => name).join(', ') || 'none in the rules';
      if (!id)
        return {
          ok: false,
          detail: `groups ${groups} get notices as cards, and DINGTALK_NOTICE_CARD_TEMPLATE_ID is not set`,
          fix: 'build and publish the notice card (docs/dingtalk-card-template.md, "The group notice card") and set DINGTALK_NOTICE_CARD_TEMPLATE_ID',
        };
      if (!base.demo && id === demoCardTemplates.notice)
        return {
          ok: false,
          detail: `DINGTALK_NOTICE_CARD_TEMPLATE_ID is ${id}, the demo emulator's template`,
          fix: 'set DINGTALK_NOTICE_CARD_TEMPLATE_ID to the id of your published notice card (docs/dingtalk-card-template.md)',
        };
      return { ok: true, detail: `${id} (groups: ${groups})` };
    });
  }
  await check('DingTalk permissions', async () => {
    const missing: string[] = [];
    let ip = false;
    // A number nobody has: 60121 (no such user) means the permission is there.
    try {
      await dingtalk.getUserByMobile('13800000000');
    } catch (err) {
      const problem = dingtalkPermissionProblem(err);
      if (!problem) throw err;
      if (problem === 'ip') ip = true;
      else missing.push('qyapi_get_member_by_mobile (根据手机号获取成员基本信息权限) for getbymobile');
    }
    // user/get of a fixed approver from the rules: name, mobile (field permission) and manager.
    const [someone] = loadedRules ? [...fixedApprovers(loadedRules).keys()] : [];
    let note = '';
    if (someone) {
      try {
        const user = await dingtalk.getUser(someone);
        if (!user) note = `; rules approver ${someone} not found in DingTalk (see Kingdee user mapping)`;
        else if (!user.mobile)
          note = `; user/get of ${someone} returns no mobile: grant the contacts personal-information (mobile) permission, or WorkflowAudit cannot find Kingdee users`;
      } catch (err) {
        const problem = dingtalkPermissionProblem(err);
        if (!problem) throw err;
        if (problem === 'ip') ip = true;
        else missing.push('qyapi_get_member (成员信息读权限) for user/get');
      }
    }
    if (ip)
      return {
        ok: false,
        detail: 'DingTalk refused this machine’s IP (errcode 60020)',
        fix: 'add the bridge’s public egress IP to the app’s server egress IPs (开发配置 → 安全设置; docs/setup-dingtalk.md step 4)',
      };
    if (missing.length > 0)
      return {
        ok: false,
        detail: `missing: ${missing.join('; ')}`,
        fix: 'grant them in the developer console (开发配置 → 权限管理) with the contact scope covering every approver and applicant (docs/setup-dingtalk.md step 4)',
      };
    return note.includes('no mobile')
      ? {
          ok: false,
          warn: true,
          detail: `contacts by mobile: yes${note}`,
          fix: 'docs/setup-dingtalk.md step 4 (mobile field permission)',
        }
      : { ok: true, detail: `contacts by mobile${someone ? ' and user/get' : ''}: yes${note}` };
  });
  if (loadedRules) {
    const polled = loadedRules.ingestion.forms;
    await check('Kingdee forms', async () => {
      const failures: string[] = [];
      const fixes = new Set<string>();
      for (const formId of polled) {
        const profile = formProfiles[formId];
        const fieldKeys = [
          'FID',
          'FBillNo',
          'FDocumentStatus',
          'FModifyDate',
          ...(profile
            ? [
                profile.amountField,
                `${profile.applicantField}.FName`,
                `${profile.applicantField}.FMobile`,
                `${profile.currencyField}.FNumber`,
              ]
            : []),
        ];
        try {
          await kingdee.executeBillQuery({ formId, fieldKeys, topRowCount: 1, limit: 1 });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          failures.push(`${formId}: ${message}`);
          if (err instanceof KingdeePermissionError || /权限/.test(message))
            fixes.add(`grant the integration user View on ${formId} (docs/setup-kingdee.md step 2)`);
          else if (err instanceof KingdeeNotFoundError || /业务对象不存在|不存在，或者被删除/.test(message))
            fixes.add(
              `FormId ${formId} does not exist on this site: fix forms / ingestion.forms in the rules (or the module is not licensed)`,
            );
          else if (/字段.*不存在|FieldKey|field/i.test(message))
            fixes.add(
              `a field key of integrations/kingdee/forms.ts does not exist for ${formId} on this site: a code change there`,
            );
          else fixes.add('see docs/setup-kingdee.md Troubleshooting');
        }
      }
      return failures.length === 0
        ? { ok: true, detail: `${polled.length} form(s) readable with their fields: ${polled.join(', ')}` }
        : { ok: false, detail: failures.join('; '), fix: [...fixes].join('; ') };
    });
    await check('Kingdee user mapping', async () => {
      const approvers = fixedApprovers(loadedRules);
      const problems: string[] = [];
      const warnings: string[] = [];
      for (const [kind, formId] of [
        ['employee', 'BD_Empinfo'],
        ['user', 'SEC_User'],
      ] as const) {
        try {
          await kingdee.executeBillQuery({ formId, fieldKeys: ['FMobile'], topRowCount: 1, limit: 1 });
        } catch (err) {
          problems.push(
            `${formId}.FMobile (${kind} mobiles) cannot be queried: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
      for (const [userId, forms] of approvers) {
        const user = await dingtalk.getUser(userId);
        if (!user) {
          problems.push(`rules approver ${userId} (${[...forms].join(', ')}) is not a DingTalk user`);
          continue;
        }
        const workflowForms = [...forms].filter((f) => loadedRules.forms[f]?.kingdeeWorkflow);
        if (workflowForms.length === 0) continue;
        if (!user.mobile) {
          warnings.push(`${userId}: DingTalk gives no mobile, so no Kingdee user for ${workflowForms.join(', ')}`);
          continue;
        }
        const account = await kingdee.findUserNameByMobile(user.mobile);
        if (!account)
          problems.push(
            `${userId} (${user.name}): no Kingdee user (SEC_User) with mobile ${user.mobile}, needed for WorkflowAudit on ${workflowForms.join(', ')}`,
          );
      }
      if (problems.length > 0)
        return {
          ok: false,
          detail: problems.join('; '),
          fix: 'fix the userId in the rules, or the mobile in DingTalk contacts or in Kingdee (员工/用户 FMobile), and grant the integration user View on SEC_User and BD_Empinfo (docs/setup-kingdee.md step 8)',
        };
      if (warnings.length > 0)
        return {
          ok: false,
          warn: true,
          detail: warnings.join('; '),
          fix: 'grant the DingTalk mobile field permission (docs/setup-dingtalk.md step 4)',
        };
      return {
        ok: true,
        detail: `${approvers.size} fixed approver(s) found in DingTalk (and Kingdee for workflow forms); mobiles queryable`,
      };
    });
  }
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
    await check(
      'card callback route',
      async () => {
        if (!clients.cardCallbackUrl || !clients.cardCallbackSecret)
          return {
            ok: false,
            detail: 'HTTP mode without PUBLIC_BASE_URL or DINGTALK_CARD_CALLBACK_SECRET',
            fix: 'set both (docs/setup-dingtalk.md step 3)',
          };
        // The same registration the bridge makes at every start (idempotent): proves the permission and the values.
        await dingtalk.registerCardCallback({
          routeKey: clients.cardRouteKey,
          url: clients.cardCallbackUrl,
          apiSecret: clients.cardCallbackSecret,
        });
        return {
          ok: true,
          detail: `${clients.cardRouteKey} → ${clients.cardCallbackUrl} registered (with the secret)`,
        };
      },
      'grant Card.Instance.Write (docs/setup-dingtalk.md step 4) and check DINGTALK_CLIENT_ID/SECRET',
    );
    await check(
      'callback reachability',
      async () => {
        const url = `${settings.api.publicBaseUrl}/healthz`;
        const response = await axios.get(url, { timeout: 5_000, validateStatus: () => true });
        return response.status === 200
          ? { ok: true, detail: url }
          : {
              ok: false,
              detail: `${url} answered ${response.status}`,
              fix: 'PUBLIC_BASE_URL must reach this service from the internet for HTTP callbacks',
            };
      },
      'PUBLIC_BASE_URL must reach this service from the internet for HTTP callbacks (docs/setup-dingtalk.md step 3)',
    );
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
    await check(
      'poll lag',
      async () => {
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
      },
      'is the service (worker) running? it starts the pollers (npm start, or --role worker); see the poller workflows in the Web UI',
    );
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
