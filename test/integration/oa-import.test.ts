/**
 * OA import end to end (real service on the Temporal dev server, both emulators, events over Stream and HTTP): a
 * 费用申请 finished and agreed in DingTalk becomes ONE 费用报销单 in Kingdee with the mapped fields — audited at once
 * (skipApproval) — the instance gets a comment and the originator a notice; the event delivered again changes
 * nothing; a refused instance makes nothing; an expense item the rules do not map saves nothing, tells the
 * originator and ops, and parks the workflow in needs-attention (never failed). A 费用入账 becomes one balanced
 * 会计凭证 (GL_VOUCHER); an unbalanced one parks with the reason and is resolved by ops. The same event pushed over
 * HTTP (encrypted, twice) makes one bill. A Kingdee refusal parks the import; once the cause is fixed, an admin
 * retry makes exactly one bill.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { createOaRequests } from '../../activities/oa';
import { createApiApp } from '../../api/app';
import { Metrics } from '../../api/metrics';
import { silentLogger } from '../../common/logger';
import { DingTalkCallbackCrypto } from '../../integrations/dingtalk/callback-crypto';
import { KingdeeClient } from '../../integrations/kingdee';
import { startService, type RunningService } from '../../workers/service';

import { demoDingTalk } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { demoKingdee } from '../helpers/kingdee';
import { testRules } from '../helpers/rules';
import { temporalAddress } from '../helpers/temporal';
import { startWorld, type World } from '../helpers/world';
import { oaTableValue } from '../../emulators/dingtalk/oa';
import {
  oaImportStatusQuery,
  oaImportWorkflowId,
  type OaImportInput,
  type OaImportOutcome,
  type OaImportResult,
  type OaImportState,
} from '../../workflows/contract';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  ops: { webhook: ops }
ops: { robot: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: manager, name: 部门经理审批, approvers: [{ user: lisi }] }
oa:
  processes:
    PROC-FEE-APPLY:
      name: 费用申请
      skipApproval: true
      header:
        FCausa: 事由
        FDate: { component: 费用日期, type: date }
        FCurrencyID: { value: PRE001, ref: FNumber }
        FRequestDeptID: { instance: originatorDeptName, ref: FNumber, values: { 总经办: BM01, 销售部: BM02, 财务部: BM03 } }
      entries:
        table: 费用明细
        fields:
          FExpID: { column: 费用项目, ref: FNumber, values: { 差旅费: FY001, 住宿费: FY002, 办公费: FY003, 交通费: FY004 } }
          FExpSubmitAmount: { column: 金额, type: number }
          FExpenseAmount: { column: 金额, type: number }
          F_KDB_ProjectID: { column: 项目, ref: FNumber, optional: true, values: { 华东客户拓展项目: XM001, ERP升级项目: XM002 } }
          FRemark: { column: 说明, optional: true }
    PROC-FEE-VOUCHER:
      name: 费用入账
      formId: GL_VOUCHER
      skipApproval: true
      header:
        FDate: { component: 费用日期, type: date }
        FAccountBookID: { value: '001', ref: FNumber }
        FVOUCHERGROUPID: { value: PRE001, ref: FNumber }
      voucher:
        table: 费用明细
        lines:
          - side: debit
            account: { column: 费用项目, values: { 差旅费: '6602.01', 住宿费: '6602.02', 交通费: '6602.04' } }
            amount: 金额
            explanation: { component: 事由 }
          - side: credit
            each: once
            account: { component: 付款方式, values: { 银行转账: '1002', 现金: '1001', 挂账: '2241.01' } }
            amount: 合计
            explanation: { instance: title }
`);

const form = 'ER_ExpReimbursement';
let world: World;
/** Instances whose import "crashes" once right after its work (the worker dies before reporting it). */
const crashOnce = new Set<string>();
beforeAll(async () => {
  world = await startWorld({
    rules,
    wrapActivities: <T extends object>(activities: T): T => {
      const real = (activities as { importOaInstance: (input: OaImportInput) => Promise<OaImportOutcome> })
        .importOaInstance;
      return {
        ...activities,
        async importOaInstance(input: OaImportInput) {
          const outcome = await real(input);
          if (crashOnce.delete(input.processInstanceId)) throw new Error('worker lost after Save');
          return outcome;
        },
      };
    },
  });
});
afterAll(async () => {
  await world?.stop();
});

const billsOf = (processInstanceId: string) =>
  [...world.kingdee.documents.values()].filter(
    (d) =>
      d.formId === form &&
      d.entries.some((e) => typeof e.FRemark === 'string' && e.FRemark.includes(processInstanceId)),
  );
const workNotices = (userId: string) =>
  world.dingtalk.messagesFor({ userId }).filter((m) => m.kind === 'workNotification');
const opsMessages = () => world.dingtalk.messagesFor({ groupId: 'cidOps' }).filter((m) => m.kind === 'robot');

function apply(rows: Array<Record<string, string>>, userId = 'zhangsan') {
  return world.dingtalk.oa.start({
    processCode: 'PROC-FEE-APPLY',
    originatorUserId: userId,
    formComponentValues: [
      { name: '事由', value: '上海客户拜访' },
      { name: '费用日期', value: '2025-11-20' },
      { name: '费用明细', value: oaTableValue(rows) },
    ],
  });
}

async function outcomeOf(processInstanceId: string): Promise<OaImportOutcome> {
  const handle = world.service.client.workflow.getHandle(oaImportWorkflowId(processInstanceId));
  await eventually(
    () =>
      handle.describe().then(
        (d) => d.status.name === 'COMPLETED' || d.status.name === 'FAILED',
        () => false,
      ),
    30_000,
    'the import workflow to end',
  );
  const status: WorkflowExecutionStatusName = (await handle.describe()).status.name;
  expect(status).toBe('COMPLETED');
  return (await handle.result()) as OaImportOutcome;
}

it('an agreed 费用申请 → one audited 费用报销单, a comment, a notice; the event again → still one', async () => {
  const instance = apply([
    { 费用项目: '差旅费', 金额: '1,280.00', 项目: 'ERP升级项目', 说明: '高铁往返' },
    { 费用项目: '住宿费', 金额: '560', 项目: '', 说明: '' },
  ]);
  const id = instance.processInstanceId;
  expect(await world.dingtalk.oa.finish(id, 'agree')).toMatchObject({ status: 'SUCCESS' });

  const outcome = await outcomeOf(id);
  expect(outcome).toMatchObject({ kind: 'imported', formId: form, status: 'C', created: true });
  const billNo = (outcome as { billNo: string }).billNo;
  expect(billNo).toMatch(/^FYBX\d+$/);

  const [bill, ...more] = billsOf(id);
  expect(more).toHaveLength(0);
  expect(bill).toMatchObject({ billNo, status: 'C' });
  expect(bill!.fields.FProposerID).toMatchObject({ number: 'EMP001' });
  expect(bill!.fields.FCurrencyID).toMatchObject({ number: 'PRE001' });
  expect(bill!.fields.FRequestDeptID).toMatchObject({ number: 'BM02' });
  expect(bill!.fields.FCausa).toBe('上海客户拜访');
  expect(Number(bill!.fields.FReqReimbAmountSum)).toBe(1840);
  expect(bill!.entries).toHaveLength(2);
  expect(bill!.entries[0]).toMatchObject({ FExpID: { number: 'FY001' }, F_KDB_ProjectID: { number: 'XM002' } });
  expect(Number(bill!.entries[0]!.FExpSubmitAmount)).toBe(1280);
  expect(bill!.entries[0]!.FRemark).toBe(`高铁往返（钉钉审批 ${id}）`);
  expect(bill!.entries[1]).toMatchObject({ FExpID: { number: 'FY002' }, FRemark: `钉钉审批 ${id}` });

  const comments = () => world.dingtalk.oa.get(id).comments.map((c) => c.text);
  expect(comments()).toEqual([`已生成金蝶费用报销单 ${billNo}（已审核）`]);
  await world.noticesDelivered();
  expect(workNotices('zhangsan').filter((m) => m.text.includes(`已生成金蝶费用报销单 ${billNo}`))).toHaveLength(1);

  // DingTalk delivers the event again (a lost ACK), twice: the workflow is not run again.
  expect(await world.dingtalk.oa.redeliver(id)).toMatchObject({ status: 'SUCCESS' });
  expect(await world.dingtalk.oa.redeliver(id)).toMatchObject({ status: 'SUCCESS' });
  expect(await outcomeOf(id)).toEqual(outcome);
  expect(billsOf(id)).toHaveLength(1);
  expect(comments()).toHaveLength(1);
  await world.noticesDelivered();
  expect(workNotices('zhangsan').filter((m) => m.text.includes(`已生成金蝶费用报销单 ${billNo}`))).toHaveLength(1);
}, 120_000);

it('a refused instance makes nothing', async () => {
  const instance = apply([{ 费用项目: '办公费', 金额: '99' }], 'wangwu');
  const id = instance.processInstanceId;
  expect(await world.dingtalk.oa.finish(id, 'refuse')).toMatchObject({ status: 'SUCCESS' });
  await expect(world.service.client.workflow.getHandle(oaImportWorkflowId(id)).describe()).rejects.toThrow();
  expect(billsOf(id)).toHaveLength(0);
  expect(world.dingtalk.oa.get(id).comments).toHaveLength(0);
}, 60_000);

/** The import's state once it is parked (Running, stage needs-attention). */
async function parked(processInstanceId: string): Promise<OaImportState> {
  const handle = world.service.client.workflow.getHandle(oaImportWorkflowId(processInstanceId));
  return eventually(
    async () => {
      const state = await handle.query(oaImportStatusQuery).catch(() => undefined);
      return state?.stage === 'needs-attention' ? state : undefined;
    },
    30_000,
    'the import to park in needs-attention',
  );
}

it('an expense item the rules do not map → nothing saved, originator and ops told, parked (not failed)', async () => {
  const opsBefore = opsMessages().length;
  const instance = apply([
    { 费用项目: '差旅费', 金额: '300' },
    { 费用项目: '业务招待费', 金额: '800' },
  ]);
  const id = instance.processInstanceId;
  await world.dingtalk.oa.finish(id, 'agree');

  const state = await parked(id);
  expect(state.attention).toMatchObject({ errorType: 'OaMappingError' });
  expect(state.attention!.reason).toContain('业务招待费');
  expect((await world.service.client.workflow.getHandle(oaImportWorkflowId(id)).describe()).status.name).toBe(
    'RUNNING',
  );
  expect(billsOf(id)).toHaveLength(0);

  const [comment] = world.dingtalk.oa.get(id).comments;
  expect(comment?.text).toMatch(
    /^未能生成金蝶费用报销单：明细第 2 行「费用项目」的值「业务招待费」在规则中没有对应的金蝶编码/,
  );
  await world.noticesDelivered();
  expect(workNotices('zhangsan').some((m) => m.text.includes(id) && m.text.includes('业务招待费'))).toBe(true);
  const ops = opsMessages().slice(opsBefore);
  expect(ops.filter((m) => m.text.includes(id))).toHaveLength(1);
  expect(ops[0]!.text).toContain('OaMappingError');
}, 120_000);

it('a crash after Save: the retry finds the bill by its marker and saves no second one', async () => {
  const instance = apply([{ 费用项目: '交通费', 金额: '45' }], 'qianqi');
  const id = instance.processInstanceId;
  crashOnce.add(id);
  await world.dingtalk.oa.finish(id, 'agree');
  const outcome = await outcomeOf(id);
  expect(outcome).toMatchObject({ kind: 'imported', status: 'C', created: true });
  expect(crashOnce.has(id)).toBe(false);
  expect(billsOf(id)).toHaveLength(1);
  expect(billsOf(id)[0]!.fields.FProposerID).toMatchObject({ number: 'EMP005' });
  expect(world.dingtalk.oa.get(id).comments).toHaveLength(1);
}, 120_000);

// ── 会计凭证, HTTP events, admin retry ─────────────────────────────────────────────────────────────────────────

const vouchersOf = (processInstanceId: string) =>
  [...world.kingdee.documents.values()].filter(
    (d) =>
      d.formId === 'GL_VOUCHER' &&
      d.entries.some((e) => typeof e.FEXPLANATION === 'string' && e.FEXPLANATION.includes(processInstanceId)),
  );

function applyVoucher(rows: Array<Record<string, string>>, total: string, payment = '银行转账', userId = 'zhangsan') {
  return world.dingtalk.oa.start({
    processCode: 'PROC-FEE-VOUCHER',
    originatorUserId: userId,
    formComponentValues: [
      { name: '事由', value: '北京出差' },
      { name: '费用日期', value: '2025-11-20' },
      { name: '费用明细', value: oaTableValue(rows) },
      { name: '合计', value: total },
      { name: '付款方式', value: payment },
    ],
  });
}

/** An admin API of the test's own over the world's Temporal: the OA admin routes (workers/service.ts wires the same). */
async function adminApi(): Promise<{ url: string; close: () => Promise<void> }> {
  const oa = createOaRequests({
    client: world.service.client,
    rules,
    taskQueue: world.taskQueue,
    logger: silentLogger,
  });
  const app = createApiApp({
    approvals: world.service.approvals,
    oaImports: oa.admin,
    metrics: new Metrics(),
    logger: silentLogger,
    adminToken: 'oa-admin-token',
    pollNow: async () => undefined,
    pushTargets: { acctId: world.acctId, formIds: [] },
    readiness: [],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
const adminPost = (url: string, body: unknown) =>
  axios.post(url, body, { headers: { authorization: 'Bearer oa-admin-token' }, validateStatus: () => true });

it('a 费用入账 → one balanced, audited 会计凭证 (GL_VOUCHER) with its entries; View returns them', async () => {
  const instance = applyVoucher(
    [
      { 费用项目: '差旅费', 金额: '1,280.00' },
      { 费用项目: '住宿费', 金额: '560.50' },
    ],
    '1840.50',
  );
  const id = instance.processInstanceId;
  await world.dingtalk.oa.finish(id, 'agree');
  const outcome = await outcomeOf(id);
  expect(outcome).toMatchObject({ kind: 'imported', formId: 'GL_VOUCHER', status: 'C', created: true });
  const billNo = (outcome as { billNo: string }).billNo;

  const [voucher, ...more] = vouchersOf(id);
  expect(more).toHaveLength(0);
  expect(voucher).toMatchObject({ billNo, status: 'C' });
  expect(voucher!.fields).toMatchObject({
    FAccountBookID: { number: '001' },
    FVOUCHERGROUPID: { number: 'PRE001' },
    FDEBITTOTAL: 1840.5,
    FCREDITTOTAL: 1840.5,
  });
  expect(Number(voucher!.fields.FVOUCHERGROUPNO)).toBeGreaterThan(0);
  expect(
    voucher!.entries.map((e) => [(e.FACCOUNTID as { number: string }).number, e.FDEBIT ?? 0, e.FCREDIT ?? 0]),
  ).toEqual([
    ['6602.01', 1280, 0],
    ['6602.02', 560.5, 0],
    ['1002', 0, 1840.5],
  ]);
  expect(voucher!.entries[2]!.FEXPLANATION).toBe(`张三提交的费用入账（钉钉审批 ${id}）`);

  // View (Kingdee's WebAPI, as any client reads it): the entries with their accounts.
  const kingdee = new KingdeeClient({
    baseUrl: world.kingdee.baseUrl,
    acctId: world.acctId,
    auth: {
      mode: 'appSecret',
      userName: demoKingdee.userName,
      appId: demoKingdee.appId,
      appSecret: demoKingdee.appSecret,
    },
  });
  const viewed = await kingdee.view('GL_VOUCHER', { number: billNo });
  expect(viewed).toMatchObject({ BillNo: billNo, DocumentStatus: 'C', DEBITTOTAL: 1840.5 });
  expect(
    (viewed.VoucherEntry as Array<Record<string, unknown>>).map((e) => (e.ACCOUNTID as { Number: string }).Number),
  ).toEqual(['6602.01', '6602.02', '1002']);
  expect(world.dingtalk.oa.get(id).comments.map((c) => c.text)).toEqual([`已生成金蝶会计凭证 ${billNo}（已审核）`]);
}, 120_000);

it('an unbalanced 费用入账 parks with the reason in Chinese, saves nothing; ops resolve it', async () => {
  const instance = applyVoucher([{ 费用项目: '交通费', 金额: '86.5' }], '90', '现金', 'lisi');
  const id = instance.processInstanceId;
  await world.dingtalk.oa.finish(id, 'agree');
  const state = await parked(id);
  expect(state.attention).toMatchObject({
    errorType: 'UnbalancedVoucher',
    reason: '凭证借贷不平衡：借方合计 ¥86.50，贷方合计 ¥90.00，相差 ¥3.50',
  });
  expect(vouchersOf(id)).toHaveLength(0);
  expect(world.dingtalk.oa.get(id).comments[0]?.text).toContain('凭证借贷不平衡');
  // Where ops look (admin problems list, doctor): named, with the reason.
  const problem = await eventually(
    async () => (await world.service.approvals.problems()).find((p) => p.workflowId === oaImportWorkflowId(id)),
    15_000,
    'the parked import among the problems',
  );
  expect(problem).toMatchObject({ kind: 'needs-attention', billNo: `钉钉审批 ${id}` });
  expect(problem.detail).toContain('凭证借贷不平衡');

  const api = await adminApi();
  try {
    const bad = await adminPost(`${api.url}/admin/oa-imports/oa:${id}/resolve`, { comment: 'x' });
    expect(bad.status).toBe(400);
    const resolved = await adminPost(`${api.url}/admin/approvals/oa:${id}/resolve`, {
      by: 'ops',
      comment: '已手工录入',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.data).toMatchObject({ ok: true, state: { stage: 'resolved' } });
    const handle = world.service.client.workflow.getHandle(oaImportWorkflowId(id));
    expect((await handle.result()) as OaImportResult).toMatchObject({ kind: 'resolved', by: 'ops' });
    const again = await adminPost(`${api.url}/admin/oa-imports/${id}/retry`, { by: 'ops' });
    expect(again.status).toBe(409);
    expect(again.data.error.code).toBe('ended');
  } finally {
    await api.close();
  }
  expect(vouchersOf(id)).toHaveLength(0);
  expect(world.dingtalk.oa.get(id).comments.map((c) => c.text)).toContain(
    '金蝶会计凭证已由管理员 ops 处理：已手工录入',
  );
}, 120_000);

it('a Kingdee refusal parks the import; fix the cause, admin retry → exactly one bill', async () => {
  // A 项目 the rules map but Kingdee does not have yet: Save is refused (MsgCode 9), nothing is saved.
  const projects = world.kingdee.seed.baseData.BAS_PreBaseDataOne!;
  const xm002 = projects.findIndex((p) => p.number === 'XM002');
  const [removed] = projects.splice(xm002, 1);
  const instance = apply([{ 费用项目: '差旅费', 金额: '300', 项目: 'ERP升级项目' }], 'wangwu');
  const id = instance.processInstanceId;
  await world.dingtalk.oa.finish(id, 'agree');
  const state = await parked(id);
  expect(state.attention!.reason).toMatch(/^金蝶拒绝保存：/);
  expect(state.attention!.reason).toContain('XM002');
  expect(billsOf(id)).toHaveLength(0);

  const api = await adminApi();
  try {
    // Not fixed yet: the retry parks again (a new ops alert), still nothing saved.
    const first = await adminPost(`${api.url}/admin/oa-imports/oa:${id}/retry`, { by: 'ops' });
    expect(first.status).toBe(200);
    await eventually(
      async () => {
        const s = await world.service.client.workflow.getHandle(oaImportWorkflowId(id)).query(oaImportStatusQuery);
        return s.stage === 'needs-attention' && s.log.filter((e) => e.what === 'needsAttention').length === 2;
      },
      30_000,
      'the retry to park again',
    );
    expect(billsOf(id)).toHaveLength(0);

    projects.push(removed!); // the cause fixed in Kingdee
    const retried = await adminPost(`${api.url}/admin/oa-imports/oa:${id}/retry`, { by: 'ops', comment: '已补项目' });
    expect(retried.status).toBe(200);
    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({ kind: 'imported', status: 'C', created: true });
    expect(billsOf(id)).toHaveLength(1);
    const refused = await adminPost(`${api.url}/admin/oa-imports/oa:${id}/retry`, { by: 'ops' });
    expect(refused.status).toBe(409);
    const details = await axios.get(`${api.url}/admin/oa-imports/oa:${id}`, {
      headers: { authorization: 'Bearer oa-admin-token' },
    });
    expect(details.data).toMatchObject({ stage: 'imported', execution: { status: 'COMPLETED' } });
    expect(details.data.log.map((e: { what: string }) => e.what)).toEqual([
      'needsAttention',
      'adminRetry',
      'needsAttention',
      'adminRetry',
      'imported',
    ]);
  } finally {
    await api.close();
  }
  expect(billsOf(id)).toHaveLength(1);
}, 120_000);

describe('bpms_instance_change over HTTP (event subscription, encrypted)', () => {
  const token = 'oaHttpToken1';
  const aesKey = randomBytes(32)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'A')
    .slice(0, 43);
  let httpService: RunningService | undefined;
  afterAll(async () => {
    await httpService?.stop();
  });

  it('the event pushed twice (and replayed) → one workflow, one bill', async () => {
    // A second bridge process, role api, in HTTP mode with the event subscription set: the world's worker runs it.
    const settings = {
      ...world.settings,
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'kdb-oa-http-')),
      api: { ...world.settings.api, port: 0, publicBaseUrl: 'http://127.0.0.1:9' },
      env: {
        ...world.settings.env,
        DINGTALK_CALLBACK_MODE: 'http' as const,
        DINGTALK_CARD_ROUTE_KEY: 'kdb-oa-http-test',
        DINGTALK_EVENT_TOKEN: token,
        DINGTALK_EVENT_AES_KEY: aesKey,
      },
    };
    httpService = await startService({
      settings,
      role: 'api',
      logger: silentLogger,
      temporalAddress: temporalAddress(),
      rules,
      pollers: false,
    });
    const crypto = new DingTalkCallbackCrypto(token, aesKey, demoDingTalk.clientId);

    const instance = apply([{ 费用项目: '住宿费', 金额: '450', 说明: '杭州' }], 'zhouba');
    const id = instance.processInstanceId;
    // Finished in DingTalk; this app gets its event by HTTP push only (nothing over Stream).
    Object.assign(world.dingtalk.oa.get(id), {
      status: 'COMPLETED',
      result: 'agree',
      finishTime: new Date().toISOString(),
    });
    const event = {
      EventType: 'bpms_instance_change',
      CorpId: 'dingdemocorp',
      EventTime: Date.now(),
      processInstanceId: id,
      processCode: 'PROC-FEE-APPLY',
      corpId: 'dingdemocorp',
      staffId: 'zhouba',
      title: instance.title,
      type: 'finish',
      result: 'agree',
      createTime: Date.now(),
      finishTime: Date.now(),
    };
    const push = async (signed?: { timestamp: string; nonce: string; encrypt: string; signature: string }) => {
      const timestamp = signed?.timestamp ?? String(Date.now());
      const nonce = signed?.nonce ?? randomBytes(8).toString('hex');
      const encrypt = signed?.encrypt ?? crypto.encrypt(JSON.stringify(event));
      const signature = signed?.signature ?? crypto.sign(timestamp, nonce, encrypt);
      const response = await axios.post(
        `${httpService!.apiUrl}/dingtalk/events?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
        { encrypt },
        { validateStatus: () => true },
      );
      return { response, signed: { timestamp, nonce, encrypt, signature } };
    };
    const first = await push();
    expect(first.response.status).toBe(200);
    expect(crypto.decrypt(first.response.data.encrypt)).toBe('success');
    // DingTalk pushes it again (no ACK seen): a new signature, the same instance.
    const second = await push();
    expect(second.response.status).toBe(200);
    // The very same request again: refused as a replay.
    expect((await push(first.signed)).response.status).toBe(401);
    // Bad input: a clear 400.
    expect(
      (await axios.post(`${httpService.apiUrl}/dingtalk/events`, { encrypt: 1 }, { validateStatus: () => true }))
        .status,
    ).toBe(400);

    const outcome = await outcomeOf(id);
    expect(outcome).toMatchObject({ kind: 'imported', formId: form, status: 'C', created: true });
    expect(billsOf(id)).toHaveLength(1);
    expect(billsOf(id)[0]!.fields.FProposerID).toMatchObject({ number: 'EMP006' });
    const third = await push();
    expect(third.response.status).toBe(200);
    expect(await outcomeOf(id)).toEqual(outcome);
    expect(billsOf(id)).toHaveLength(1);
    expect(world.dingtalk.oa.get(id).comments).toHaveLength(1);
  }, 120_000);
});
