/**
 * What ops see, through real HTTP and `npm run doctor` against a world on the real dev server: approvals in their
 * true state (a run that failed, was terminated or timed out is never listed as pending), the doctor naming the
 * approvals that need attention, failed or stopped moving, and every bad admin input answered with a clear 4xx JSON
 * error (unknown or non-approval workflow 404, not in needs-attention 409, bad ids, bodies and filters 400), never
 * a 5xx, and never reaching Temporal's visibility query unchecked.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { approvalWorkflowId, workflowTypes } from '../../workflows/contract';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { temporalAddress, temporalNamespace } from '../helpers/temporal';
import { adminToken, startWorld, type World } from '../helpers/world';

let world: World;
let dir: string;
const ids: Record<string, string> = {};
const bearer = { Authorization: `Bearer ${adminToken}` };
const project = path.resolve(__dirname, '..', '..');

const api = (
  url: string,
  options: { method?: 'get' | 'post'; data?: unknown; headers?: Record<string, string> } = {},
) =>
  axios.request({
    url: `${world.service.apiUrl}${url}`,
    method: options.method ?? 'get',
    data: options.data,
    headers: { ...bearer, ...options.headers },
    validateStatus: () => true,
    transformRequest: typeof options.data === 'string' ? [(d: unknown) => d] : undefined,
  });

interface Row {
  workflowId: string;
  billNo?: string;
  stage?: string;
  status?: string;
  state?: string;
  lastStage?: string;
}
const listed = async (query: string): Promise<Row[]> => {
  const response = await api(`/admin/approvals${query}`);
  expect(response.status).toBe(200);
  return (response.data.approvals as Row[]).filter((row) => Object.values(ids).includes(row.workflowId));
};
const bills = (rows: Row[]) => rows.map((row) => row.billNo).sort();

/**
 * A run that failed, as an older version or a bug would have left it: an "approvalWorkflow" that reports
 * awaiting-approval and then fails. Runs on the world's task queue while the world's own worker is stopped.
 */
async function failOneApproval(billNo: string): Promise<string> {
  const file = path.join(dir, 'failing-workflow.js');
  writeFileSync(
    file,
    `import { ApplicationFailure, upsertSearchAttributes } from '@temporalio/workflow';
export async function ${workflowTypes.approval}(input) {
  upsertSearchAttributes({ KingdeeFormId: [input.document.formId], KingdeeBillNo: [input.document.billNo],
    ApprovalStage: ['awaiting-approval'], Approvers: ['lisi'] });
  throw ApplicationFailure.nonRetryable("Cannot read properties of undefined (reading 'steps')", 'TypeError');
}
`,
  );
  const bundle = await bundleWorkflowCode({
    workflowsPath: file,
    logger: quiet,
    // The file sits in a temporary folder: resolve the SDK from the project's node_modules.
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, modules: [path.join(project, 'node_modules'), 'node_modules'] },
    }),
  });
  await world.service.stopWorker();
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await Worker.create({
    connection,
    namespace: temporalNamespace(),
    taskQueue: world.taskQueue,
    workflowBundle: bundle,
  });
  const running = worker.run();
  try {
    world.submitExpense(billNo, 10, '测试');
    const id = await world.startApproval('ER_ExpReimbursement', billNo);
    await eventually(
      async () => (await world.service.client.workflow.getHandle(id).describe()).status.name === 'FAILED',
      20_000,
      `${id} to fail`,
    );
    return id;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await world.service.startWorker();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kdb-admin-'));
  world = await startWorld({ rules: testRules(singleStepRules), pollers: true });
  ids.failed = await failOneApproval('FYBX000701');

  // Timed out while awaiting approval (an execution timeout someone set).
  world.submitExpense('FYBX000702', 20, '测试');
  const ref = { acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000702' };
  ids.timedOut = approvalWorkflowId(ref);
  await world.service.client.workflow.start(workflowTypes.approval, {
    taskQueue: world.taskQueue,
    workflowId: ids.timedOut,
    args: [{ document: ref }],
    // As ingestion starts it (this version of the document is handled), so the poller does not start it again.
    memo: { modifyDate: world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000702')?.fields.FModifyDate },
    workflowExecutionTimeout: '5s',
  });

  // Terminated while awaiting approval.
  world.submitExpense('FYBX000703', 30, '测试');
  ids.terminated = await world.startApproval('ER_ExpReimbursement', 'FYBX000703');
  await world.waitForStage(ids.terminated, 'awaiting-approval');
  await world.service.client.workflow.getHandle(ids.terminated).terminate('stopped by hand');

  // Parked: the rules have no chain for purchase orders.
  world.kingdee.createDocument({
    formId: 'PUR_PurchaseOrder',
    billNo: 'CGDD000704',
    status: 'B',
    fields: { FBillAllAmount: 900, FNote: '显示器' },
  });
  ids.parked = await world.startApproval('PUR_PurchaseOrder', 'CGDD000704');

  // Awaiting approval, and approved.
  world.submitExpense('FYBX000705', 50, '测试');
  ids.pending = await world.startApproval('ER_ExpReimbursement', 'FYBX000705');
  world.submitExpense('FYBX000706', 60, '测试');
  ids.approved = await world.startApproval('ER_ExpReimbursement', 'FYBX000706');
  await world.waitForStage(ids.approved, 'awaiting-approval');
  await world.service.approvals.decide(ids.approved, { userId: 'lisi', action: 'approve', channel: 'text' });

  await world.waitForStage(ids.pending, 'awaiting-approval');
  await world.waitForStage(ids.parked, 'needs-attention', 20_000);
  await world.waitForStage(ids.approved, 'approved', 20_000);
  await eventually(
    async () => (await world.service.client.workflow.getHandle(ids.timedOut!).describe()).status.name === 'TIMED_OUT',
    20_000,
    'FYBX000702 to time out',
  );
}, 120_000);

afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('lists approvals in their true state: failed, terminated and timed-out runs are never pending', async () => {
  const pending = await eventually(async () => {
    const rows = await listed('?stage=awaiting-approval');
    return rows.length === 1 && rows;
  });
  expect(bills(pending)).toEqual(['FYBX000705']);
  expect(pending[0]).toMatchObject({ status: 'Running', stage: 'awaiting-approval', state: 'awaiting-approval' });

  const all = await eventually(async () => {
    const rows = await listed('');
    return rows.length === 6 && rows;
  });
  const byBill = Object.fromEntries(all.map((row) => [row.billNo, row]));
  expect(byBill.FYBX000701).toMatchObject({ status: 'Failed', state: 'failed', lastStage: 'awaiting-approval' });
  expect(byBill.FYBX000702).toMatchObject({ status: 'TimedOut', state: 'timed-out', lastStage: 'awaiting-approval' });
  expect(byBill.FYBX000703).toMatchObject({
    status: 'Terminated',
    state: 'terminated',
    lastStage: 'awaiting-approval',
  });
  for (const bill of ['FYBX000701', 'FYBX000702', 'FYBX000703']) expect(byBill[bill]?.stage).toBeUndefined();
  expect(byBill.CGDD000704).toMatchObject({ status: 'Running', stage: 'needs-attention', state: 'needs-attention' });
  expect(byBill.FYBX000706).toMatchObject({ status: 'Completed', stage: 'approved', state: 'approved' });

  expect(bills(await listed('?status=failed'))).toEqual(['FYBX000701']);
  expect(bills(await listed('?status=timed-out'))).toEqual(['FYBX000702']);
  expect(bills(await listed('?status=terminated&stage=awaiting-approval'))).toEqual(['FYBX000703']);
  expect(bills(await listed('?status=running&stage=needs-attention'))).toEqual(['CGDD000704']);
  expect(bills(await listed('?stage=approved'))).toEqual(['FYBX000706']);

  const one = await api(`/admin/approvals/${encodeURIComponent(ids.terminated!)}`);
  expect(one.status).toBe(200);
  expect(one.data).toMatchObject({ document: { billNo: 'FYBX000703' }, execution: { status: 'Terminated' } });
});

it('has the doctor name the approvals that need attention, failed or stopped moving', async () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [key, value] of Object.entries(world.settings.env)) {
    if (value !== undefined) env[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  Object.assign(env, {
    DEMO: 'off',
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_NAMESPACE: temporalNamespace(),
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'silent',
  });
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/doctor.ts', '--stuck-after', '1s'],
      { cwd: project, env, timeout: 90_000 },
      (err, out) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: out }),
    );
  });
  const section = (name: string) => {
    const start = stdout.indexOf(name);
    expect(start).toBeGreaterThan(-1);
    const rest = stdout.slice(start);
    const end = rest.search(/\n(OK|FAIL|WARN) /);
    return stdout.slice(start - 5, start + (end === -1 ? rest.length : end));
  };
  expect(code).toBe(1);
  const attention = section('approvals: attention');
  expect(attention).toMatch(/^FAIL/);
  expect(attention).toContain(`CGDD000704  ${ids.parked}`);
  const failed = section('approvals: failed');
  expect(failed).toMatch(/^FAIL/);
  for (const bill of ['FYBX000701', 'FYBX000702', 'FYBX000703']) {
    expect(failed).toContain(
      `${bill}  ${approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: bill })}`,
    );
  }
  expect(failed).toContain("Cannot read properties of undefined (reading 'steps')");
  expect(failed).toContain('Terminated');
  expect(failed).toContain('workflow reset');
  const stuck = section('approvals: not moving');
  expect(stuck).toMatch(/^WARN/);
  expect(stuck).toContain(`FYBX000705  ${ids.pending}`);
  expect(stdout).toMatch(/OK {3}decision journal/);
}, 120_000);

it('answers bad admin input with a clear 4xx JSON error, never a 5xx', async () => {
  const poller = `poller:${world.acctId}:ER_ExpReimbursement`;
  const expectError = async (response: Promise<{ status: number; data: unknown }>, status: number, code: string) => {
    const { status: got, data } = await response;
    expect([got, (data as { error?: { code?: string } }).error?.code]).toEqual([status, code]);
    expect((data as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
    return (data as { error: { message: string } }).error.message;
  };
  const post = (id: string, action: 'retry' | 'resolve', data: unknown, headers: Record<string, string> = {}) =>
    api(`/admin/approvals/${encodeURIComponent(id)}/${action}`, { method: 'post', data, headers });

  // Not an approval, unknown, malformed ids.
  expect(await expectError(api(`/admin/approvals/${encodeURIComponent(poller)}`), 404, 'not-an-approval')).toContain(
    poller,
  );
  await expectError(post(poller, 'retry', { by: 'ops' }), 404, 'not-an-approval');
  await expectError(api('/admin/approvals/approval%3Anope%3AX%3AY'), 404, 'not-found');
  await expectError(post('approval:nope:X:Y', 'resolve', { by: 'ops' }), 404, 'not-found');
  await expectError(api(`/admin/approvals/${'x'.repeat(600)}`), 400, 'invalid-input');
  await expectError(api('/admin/approvals/%E0%A4%A'), 400, 'bad-request');
  await expectError(api('/admin/approvals/a%00b'), 400, 'invalid-input');

  // Bad bodies.
  const parked = ids.parked!;
  await expectError(post(parked, 'retry', {}), 400, 'invalid-input');
  await expectError(post(parked, 'retry', []), 400, 'invalid-input');
  await expectError(post(parked, 'retry', { by: '   ' }), 400, 'invalid-input');
  await expectError(post(parked, 'retry', { by: 'ops', force: true }), 400, 'invalid-input');
  await expectError(post(parked, 'retry', { by: 'ops', comment: 'x'.repeat(501) }), 400, 'invalid-input');
  await expectError(post(parked, 'retry', '{"by":', { 'Content-Type': 'application/json' }), 400, 'bad-request');

  // Not in needs-attention, or not running at all: 409 with the reason.
  const refusal = await world.service.approvals.admin(ids.pending!, { action: 'retry', by: 'ops' });
  expect(refusal).toMatchObject({ ok: false, reason: 'refused' });
  expect(await expectError(post(ids.pending!, 'retry', { by: 'ops' }), 409, 'refused')).toBe(
    (refusal as { message: string }).message, // the workflow's own wording
  );
  expect(await expectError(post(ids.approved!, 'resolve', { by: 'ops' }), 409, 'ended')).toContain('Completed');
  expect(await expectError(post(ids.terminated!, 'retry', { by: 'ops' }), 409, 'ended')).toContain('Terminated');
  expect(await expectError(post(ids.failed!, 'retry', { by: 'ops' }), 409, 'ended')).toContain('Failed');

  // List filters: refused before they reach Temporal's visibility query.
  for (const query of [
    "?billNo=FYBX'000705",
    "?approver=lisi'%20OR%20'a'%3D'a",
    '?approver=li%5Csi',
    '?formId=ER%22x',
    '?billNo=',
    '?billNo=%20FYBX000705', // spaces only inside a bill number
    '?stage=bogus',
    '?status=bogus',
    '?stage=approved&stage=rejected',
    '?unknown=1',
    '?limit=0',
  ]) {
    const message = await expectError(api(`/admin/approvals${query}`), 400, 'invalid-input');
    expect(message).toMatch(/^invalid query string: /);
  }

  // Nothing changed by any of it; a good request still works.
  expect((await world.status(parked)).stage).toBe('needs-attention');
  expect((await world.status(ids.pending!)).stage).toBe('awaiting-approval');
  const retried = await post(parked, 'retry', { by: 'ops', comment: '规则已补' });
  expect([retried.status, retried.data]).toEqual([200, { ok: true, stage: 'needs-attention' }]);
  expect(world.kingdee.stats().byDocument.FYBX000705).toBeUndefined();
});

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
