/** Contract tests: our Kingdee client against the emulator over real HTTP, in every auth mode. */
import axios from 'axios';
import {
  KingdeeAuthError,
  KingdeeClockSkewError,
  KingdeeLockedError,
  KingdeeNetworkError,
  KingdeeNotFoundError,
  KingdeePermissionError,
  KingdeeProtocolError,
  KingdeeServerError,
  KingdeeValidationError,
  loginSign,
  readDocument,
} from '../../integrations/kingdee';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { kingdeeClientFor, startTestKingdee } from '../helpers/kingdee';

let emulator: KingdeeEmulator;
beforeEach(async () => {
  emulator = await startTestKingdee();
});
afterEach(async () => {
  await emulator.close();
});

describe.each(['appSecret', 'signature', 'password'] as const)('%s auth', (mode) => {
  it('queries, views, submits, audits, unaudits and cancels', async () => {
    const client = kingdeeClientFor(emulator, mode);
    const rows = await client.executeBillQuery({
      formId: 'ER_ExpReimbursement',
      fieldKeys: ['FBillNo', 'FDocumentStatus', 'FProposerID.FName', 'FReqReimbAmountSum'],
      filterString: "FDocumentStatus IN ('A','B') AND (FReqReimbAmountSum >= 500 OR FCausa LIKE '%差旅%')",
      orderString: 'FBillNo ASC',
    });
    expect(rows).toEqual([
      { FBillNo: 'FYBX000123', FDocumentStatus: 'B', 'FProposerID.FName': '张三', FReqReimbAmountSum: 12800 },
      { FBillNo: 'FYBX000124', FDocumentStatus: 'A', 'FProposerID.FName': '张三', FReqReimbAmountSum: 560 },
    ]);

    const doc = await readDocument(client, 'ER_ExpReimbursement', { number: 'FYBX000123' });
    expect(doc).toMatchObject({
      billNo: 'FYBX000123',
      status: 'B',
      amount: 12800,
      currency: 'CNY',
      purpose: '差旅费 上海客户拜访',
      applicant: { name: '张三', mobile: '13800000001' },
      orgName: '演示集团总部',
      deptName: '销售部',
    });
    expect(doc.lines).toEqual([
      { name: '差旅费', amount: 8000 },
      { name: '住宿费', amount: 4800 },
    ]);

    await client.submit('ER_ExpReimbursement', { numbers: ['FYBX000124'] });
    expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX000124')?.status).toBe('B');
    await client.audit('ER_ExpReimbursement', { numbers: ['FYBX000124'] });
    expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX000124')?.status).toBe('C');
    expect(await client.audit('ER_ExpReimbursement', { numbers: ['FYBX000124'] })).toEqual({
      alreadyInState: true,
      ids: [],
    });
    await client.unAudit('ER_ExpReimbursement', { numbers: ['FYBX000124'] });
    expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX000124')?.status).toBe('D');
    await client.cancelAssign('ER_ExpReimbursement', { numbers: ['FYBX000123'] });
    expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX000123')?.status).toBe('A');
    expect(emulator.stats().byDocument.FYBX000124).toMatchObject({ Submit: 1, Audit: 1, UnAudit: 1 });
  });
});

it('saves a new document, and WorkflowAudit approves a workflow-bound one that refuses plain Audit', async () => {
  const client = kingdeeClientFor(emulator);
  const saved = await client.save('ER_ExpReimbursement', {
    FID: 0,
    FBillNo: 'FYBX009001',
    FProposerID: { FSTAFFNUMBER: 'EMP001' },
    FCausa: '测试保存',
  });
  expect(saved.number).toBe('FYBX009001');
  expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX009001')?.status).toBe('A');

  await expect(client.audit('AP_PAYBILL', { numbers: ['FKD000045'] })).rejects.toThrow(/工作流/);
  const result = await client.workflowAudit({
    formId: 'AP_PAYBILL',
    numbers: ['FKD000045'],
    userName: 'wangwu',
    approvalType: 1,
    disposition: '钉钉审批：王五 同意',
  });
  expect(result.alreadyInState).toBe(false);
  const doc = emulator.getDocument('AP_PAYBILL', 'FKD000045')!;
  expect(doc.status).toBe('C');
  expect(doc.history.at(-1)).toMatchObject({
    operation: 'WorkflowAudit',
    user: 'wangwu',
    comment: '钉钉审批：王五 同意',
  });
  expect(await client.findUserNameByMobile('13800000003')).toBe('wangwu');
});

it('logs in again once, transparently, when the session is lost mid-sequence; concurrent callers share one login', async () => {
  const client = kingdeeClientFor(emulator);
  await client.executeBillQuery({ formId: 'SEC_User', fieldKeys: ['FUserID'] });
  emulator.expireSessions();
  const results = await Promise.all([1, 2, 3].map(() => client.view('ER_ExpReimbursement', { number: 'FYBX000123' })));
  expect(results.map((r) => r.BillNo)).toEqual(['FYBX000123', 'FYBX000123', 'FYBX000123']);
  expect(emulator.stats().byOperation.LoginByAppSecret).toBe(2);
});

it('reports a skewed clock with the measured offset and the fix', async () => {
  emulator.clockSkewMs = 40 * 60_000;
  const client = kingdeeClientFor(emulator, 'signature');
  const error = await client.view('ER_ExpReimbursement', { number: 'FYBX000123' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KingdeeClockSkewError);
  expect((error as KingdeeClockSkewError).offsetMs).toBeLessThan(-39 * 60_000);
  expect((error as Error).message).toMatch(/NTP/);
});

it('classifies locks, permissions, missing documents, bad credentials and server failures', async () => {
  const client = kingdeeClientFor(emulator);
  emulator.faults.push({ kind: 'lock', billNo: 'FYBX000123', times: 1 });
  const locked = await client.audit('ER_ExpReimbursement', { numbers: ['FYBX000123'] }).catch((e: unknown) => e);
  expect(locked).toBeInstanceOf(KingdeeLockedError);
  expect((locked as KingdeeLockedError).retryable).toBe(true);
  expect((locked as Error).message).toContain('冲突，请稍候再使用');
  await client.audit('ER_ExpReimbursement', { numbers: ['FYBX000123'] });
  expect(emulator.getDocument('ER_ExpReimbursement', 'FYBX000123')?.status).toBe('C');

  const readonly = kingdeeClientFor(emulator, 'password', { userName: 'readonly' });
  const denied = await readonly.audit('ER_ExpReimbursement', { numbers: ['FYBX000124'] }).catch((e: unknown) => e);
  expect(denied).toBeInstanceOf(KingdeePermissionError);
  expect((denied as KingdeePermissionError).retryable).toBe(false);

  await expect(client.view('ER_ExpReimbursement', { number: 'NOPE' })).rejects.toBeInstanceOf(KingdeeNotFoundError);
  await expect(
    kingdeeClientFor(emulator, 'password', { password: 'wrong' }).view('ER_ExpReimbursement', { number: 'FYBX000123' }),
  ).rejects.toBeInstanceOf(KingdeeAuthError);

  emulator.faults.push({ kind: 'http500', operation: 'View', times: 1 });
  await expect(client.view('ER_ExpReimbursement', { number: 'FYBX000123' })).rejects.toBeInstanceOf(KingdeeServerError);
  emulator.faults.push({ kind: 'htmlError', operation: 'View', times: 1 });
  await expect(client.view('ER_ExpReimbursement', { number: 'FYBX000123' })).rejects.toBeInstanceOf(
    KingdeeProtocolError,
  );
  emulator.faults.push({ kind: 'drop', operation: 'View', times: 1 });
  await expect(client.view('ER_ExpReimbursement', { number: 'FYBX000123' })).rejects.toBeInstanceOf(
    KingdeeNetworkError,
  );
});

it('answers bad input with Kingdee-style errors, never a crash', async () => {
  const client = kingdeeClientFor(emulator);
  await expect(client.executeBillQuery({ formId: 'NO_SUCH_FORM', fieldKeys: ['FID'] })).rejects.toThrow(
    /业务对象不存在/,
  );
  await expect(
    client.executeBillQuery({ formId: 'ER_ExpReimbursement', fieldKeys: ['FID'], filterString: "FBillNo = 'x' AND (" }),
  ).rejects.toThrow(/当前查询串无法解析/);
  await expect(
    client.executeBillQuery({ formId: 'ER_ExpReimbursement', fieldKeys: ['FNoSuchField'] }),
  ).rejects.toBeInstanceOf(KingdeeValidationError);
  await expect(client.executeBillQuery({ formId: 'ER_ExpReimbursement', fieldKeys: [] })).rejects.toThrow(/FieldKeys/);

  const malformed = await axios.post(
    `${emulator.baseUrl}Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.View.common.kdsvc`,
    '{not json',
    {
      headers: { 'Content-Type': 'application/json' },
      transformRequest: [(data: unknown) => data],
    },
  );
  expect(malformed.status).toBe(200);
  expect(malformed.data.Result.ResponseStatus).toMatchObject({ IsSuccess: false, MsgCode: 4 });
});

it('signs LoginBySign as the reference test vector says', () => {
  expect(
    loginSign({
      acctId: '6500000000000a',
      userName: 'integration',
      appId: '100001_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY',
      appSecret: '0123456789abcdef0123456789abcdef',
      timestamp: '1700000000',
    }),
  ).toBe('037e45dc2259afc2f4a8b3d6b50d079aee2f3bd635526d8013392662d2976144');
});
