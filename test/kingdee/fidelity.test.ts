/**
 * The emulator answers as real Kingdee does where Kingdee's own Python SDK found it did not (tools/kingdee-sdk-check):
 * Save with FID 0, references by number, entry rows, GetDataCenterList, the path without /k3cloud/ — plus Push and
 * the base-data forms. Driven through our TypeScript client (the same calls the SDK check makes), over real HTTP.
 */
import axios from 'axios';
import {
  KingdeeClient,
  KingdeeNotFoundError,
  KingdeeProtocolError,
  KingdeeValidationError,
  readDocument,
} from '../../integrations/kingdee';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { demoKingdee, kingdeeClientFor, startTestKingdee } from '../helpers/kingdee';

let emulator: KingdeeEmulator;
let client: KingdeeClient;
beforeEach(async () => {
  emulator = await startTestKingdee();
  client = kingdeeClientFor(emulator, 'signature');
});
afterEach(async () => {
  await emulator.close();
});

const ER = 'ER_ExpReimbursement';

/** An expense claim as integrators save it: references by code, rows under FEntity. */
function expenseModel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    FID: 0,
    FProposerID: { FSTAFFNUMBER: 'EMP002' },
    FOrgID: { FNumber: '100' },
    FRequestDeptID: { FNumber: 'BM02' },
    FCurrencyID: { FNumber: 'PRE001' },
    FPaySettlleTypeID: { FNumber: 'JSFS04_SYS' },
    FCausa: '杭州客户拜访',
    FEntity: [
      { FEntryID: 0, FExpID: { FNumber: 'FY001' }, FExpSubmitAmount: 1200, F_KDB_ProjectID: { FNumber: 'XM001' } },
      { FEntryID: 0, FExpID: { FNumber: 'FY002' }, FExpSubmitAmount: 680 },
    ],
    ...overrides,
  };
}

describe('Save', () => {
  it('treats Model.FID 0 as a new bill: a new id and number each time, FID never stored as a field', async () => {
    const first = await client.save(ER, expenseModel());
    const second = await client.save(ER, expenseModel());
    expect(Number(first.id)).toBeGreaterThan(0);
    expect(second.id).not.toBe(first.id);
    expect(first.number).toMatch(/^FYBX\d{8}$/);
    expect(second.number).not.toBe(first.number);
    const view = await client.view(ER, { id: first.id });
    expect(view).toMatchObject({ Id: Number(first.id), BillNo: first.number, DocumentStatus: 'A' });
    expect(view).not.toHaveProperty('ID');
    expect(emulator.getDocument(ER, first.number)?.fields).not.toHaveProperty('FID');
  });

  it('updates the bill a non-zero FID names, and refuses an FID that does not exist or a duplicate bill number', async () => {
    const saved = await client.save(ER, expenseModel());
    await client.save(ER, { FID: Number(saved.id), FCausa: '改：杭州客户拜访（两天）' }, { isDeleteEntry: false });
    const doc = emulator.getDocument(ER, saved.number)!;
    expect(doc.fields.FCausa).toBe('改：杭州客户拜访（两天）');
    expect(doc.entries).toHaveLength(2);
    await expect(client.save(ER, { FID: 123456789, FCausa: 'x' })).rejects.toBeInstanceOf(KingdeeNotFoundError);
    await expect(client.save(ER, expenseModel({ FBillNo: 'FYBX000123' }))).rejects.toThrow(/FYBX000123.*已存在/);
  });

  it('resolves references by number against base data and stores them as View returns them', async () => {
    const saved = await client.save(ER, expenseModel());
    const view = await client.view(ER, { number: saved.number });
    expect(view.ProposerID).toMatchObject({ Id: 2002, Number: 'EMP002', Name: [{ Key: 2052, Value: '李四' }] });
    expect(view.ProposerID_Id).toBe(2002);
    expect(view.RequestDeptID).toMatchObject({ Id: 2, Number: 'BM02', Name: [{ Key: 2052, Value: '销售部' }] });
    expect(view.OrgID).toMatchObject({ Number: '100', Name: [{ Key: 2052, Value: '演示集团总部' }] });
    expect(view.CurrencyID).toMatchObject({ Number: 'PRE001' });
    expect(view.CreatorId).toMatchObject({ Id: 100001, Name: '集成用户', UserAccount: 'kdb-integration' });

    const rows = await client.executeBillQuery({
      formId: ER,
      fieldKeys: ['FBillNo', 'FProposerID', 'FProposerID.FName', 'FProposerID.FMobile', 'FCurrencyID.FNumber'],
      filterString: `FBillNo = '${saved.number}'`,
    });
    expect(rows).toEqual([
      {
        FBillNo: saved.number,
        FProposerID: 2002,
        'FProposerID.FName': '李四',
        'FProposerID.FMobile': '13800000002',
        'FCurrencyID.FNumber': 'PRE001',
      },
    ]);
    const doc = await readDocument(client, ER, { number: saved.number });
    expect(doc).toMatchObject({ applicant: { name: '李四', mobile: '13800000002' }, amount: 1880, currency: 'CNY' });
  });

  it('refuses a code that names no record (MsgCode 9) and ignores a reference key Kingdee does not use', async () => {
    const missing = await client
      .save(ER, expenseModel({ FRequestDeptID: { FNumber: 'NO-SUCH-DEPT' } }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KingdeeValidationError);
    expect(missing).toMatchObject({ code: 9 });
    expect((missing as Error).message).toContain('NO-SUCH-DEPT');
    // Employee fields are named by FSTAFFNUMBER; an FNumber there is ignored, so the must-input 申请人 is empty.
    await expect(client.save(ER, expenseModel({ FProposerID: { FNumber: 'EMP002' } }))).rejects.toThrow(
      '【申请人】字段必录',
    );
    await expect(
      client.save(ER, expenseModel({ FEntity: [{ FExpID: { FNumber: 'NOPE' }, FExpSubmitAmount: 1 }] })),
    ).rejects.toThrow(/第1行.*费用项目.*NOPE/);
  });

  it('stores FEntity rows as entries: View lists them with Id (FEntryID) and Seq, queries expand to one row per entry', async () => {
    const saved = await client.save(ER, expenseModel());
    const view = await client.view(ER, { id: saved.id });
    const entries = view.ER_ExpenseReimbEntry as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => e.Seq)).toEqual([1, 2]);
    expect(entries[0]).toMatchObject({
      ExpID: { Number: 'FY001', Name: [{ Key: 2052, Value: '差旅费' }] },
      ExpSubmitAmount: 1200,
      F_KDB_ProjectID: { Number: 'XM001', Name: [{ Key: 2052, Value: '华东客户拓展项目' }] },
    });
    const entryIds = entries.map((e) => e.Id as number);
    expect(entryIds.every((id) => id > 0) && entryIds[0] !== entryIds[1]).toBe(true);
    expect(view).not.toHaveProperty('Entity');
    expect(view.ReqReimbAmountSum).toBe(1880);

    const rows = await client.executeBillQuery({
      formId: ER,
      fieldKeys: ['FBillNo', 'FEntity_FEntryID', 'FEntity_FSeq', 'FExpID.FName', 'FExpSubmitAmount'],
      filterString: `FBillNo = '${saved.number}'`,
      orderString: 'FEntity_FSeq ASC',
    });
    expect(rows).toEqual([
      {
        FBillNo: saved.number,
        FEntity_FEntryID: entryIds[0],
        FEntity_FSeq: 1,
        'FExpID.FName': '差旅费',
        FExpSubmitAmount: 1200,
      },
      {
        FBillNo: saved.number,
        FEntity_FEntryID: entryIds[1],
        FEntity_FSeq: 2,
        'FExpID.FName': '住宿费',
        FExpSubmitAmount: 680,
      },
    ]);

    // FEntryID updates its row; IsDeleteEntry (default true) drops rows not sent; false keeps them.
    await client.save(
      ER,
      { FID: Number(saved.id), FEntity: [{ FEntryID: entryIds[0], FExpSubmitAmount: 1300 }] },
      {
        isDeleteEntry: false,
      },
    );
    expect(emulator.getDocument(ER, saved.number)!.entries.map((e) => e.FExpSubmitAmount)).toEqual([1300, 680]);
    expect(emulator.getDocument(ER, saved.number)!.fields.FReqReimbAmountSum).toBe(1980);
    await client.save(ER, { FID: Number(saved.id), FEntity: [{ FEntryID: entryIds[1], FExpSubmitAmount: 700 }] });
    expect(emulator.getDocument(ER, saved.number)!.entries).toEqual([
      expect.objectContaining({ FEntryID: entryIds[1], FExpSubmitAmount: 700 }),
    ]);
  });

  it('refuses an entry field put on the header, as Kingdee does (实体不存在此属性)', async () => {
    await expect(client.save(ER, expenseModel({ FExpID: { FNumber: 'FY001' } }))).rejects.toThrow(
      /实体不存在此属性.*BillHead/,
    );
  });
});

it('answers GetDataCenterList without authentication', async () => {
  const anonymous = kingdeeClientFor(emulator, 'password', { password: 'wrong' });
  expect(await anonymous.getDataCenterList()).toEqual([{ id: demoKingdee.acctId, number: '001', name: '演示账套' }]);
  const raw = await axios.post(
    `${emulator.baseUrl}Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList.common.kdsvc`,
    {},
  );
  expect(raw.data[0]).toMatchObject({ Id: demoKingdee.acctId, Version: expect.any(String), GDCID: expect.any(String) });
  expect(raw.data[0].AuthenticationMethods).toEqual(expect.any(Array));
});

it('answers 403 with an empty body outside /k3cloud/, and takes the path in any case', async () => {
  const root = `http://127.0.0.1:${emulator.port}/`;
  const outside = await axios.post(
    `${root}Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.View.common.kdsvc`,
    '{}',
    {
      validateStatus: () => true,
      responseType: 'text',
    },
  );
  expect(outside.status).toBe(403);
  expect(outside.data).toBe('');
  const { acctId, userName, appId, appSecret } = demoKingdee;
  const noK3cloud = new KingdeeClient({
    baseUrl: root,
    acctId,
    auth: { mode: 'signature', userName, appId, appSecret },
  });
  await expect(noK3cloud.view(ER, { number: 'FYBX000123' })).rejects.toBeInstanceOf(KingdeeProtocolError);
  const upper = new KingdeeClient({
    baseUrl: `${root}K3Cloud/`,
    acctId,
    auth: { mode: 'signature', userName, appId, appSecret },
  });
  expect((await upper.view(ER, { number: 'FYBX000123' })).BillNo).toBe('FYBX000123');
});

describe('Push', () => {
  async function auditedExpense(model: Record<string, unknown> = expenseModel()) {
    const saved = await client.save(ER, model);
    await client.submit(ER, { numbers: [saved.number] });
    await client.audit(ER, { numbers: [saved.number] });
    return saved;
  }

  it('pushes an audited expense claim to a 付款单 (A) with source links and amounts, by rule id', async () => {
    const source = await auditedExpense();
    const result = await client.push(ER, { numbers: [source.number], ruleId: 'ER_ExpReimbursementToPayBill' });
    expect(result.targets).toHaveLength(1);
    const target = result.targets[0]!;
    expect(target.number).toMatch(/^FKD\d{8}$/);

    const view = await client.view('AP_PAYBILL', { id: target.id });
    expect(view).toMatchObject({
      DocumentStatus: 'A',
      PAYTOTALAMOUNTFOR_H: 1880,
      REALPAYAMOUNTFOR_H: 1880,
      CONTACTUNITTYPE: 'BD_Empinfo',
      CONTACTUNIT: { Number: 'EMP002' },
      REMARK: '杭州客户拜访',
    });
    const lines = view.PAYBILLENTRY as Array<Record<string, unknown>>;
    expect(lines.map((l) => l.PAYTOTALAMOUNTFOR)).toEqual([1200, 680]);
    expect(lines[0]).toMatchObject({ SETTLETYPEID: { Number: 'JSFS04_SYS' }, COSTID: { Number: 'FY001' } });
    const sourceView = await client.view(ER, { id: source.id });
    const sourceEntryIds = (sourceView.ER_ExpenseReimbEntry as Array<{ Id: number }>).map((e) => e.Id);
    const srcRows = view.PAYBILLSRCENTRY as Array<Record<string, unknown>>;
    expect(srcRows.map((r) => [r.SOURCETYPE, r.SRCBILLNO])).toEqual([
      ['ER_ExpReimbursement', source.number],
      ['ER_ExpReimbursement', source.number],
    ]);
    expect(srcRows.map((r) => r.FPAYBILLSRCENTRY_Link)).toEqual(
      sourceEntryIds.map((id) => [
        expect.objectContaining({
          RuleId: 'ER_ExpReimbursementToPayBill',
          STableName: 'T_ER_EXPENSEREIMBENTRY',
          SBillId: source.id,
          SId: String(id),
        }),
      ]),
    );
    const linked = await client.executeBillQuery({
      formId: 'AP_PAYBILL',
      fieldKeys: ['FBillNo', 'FPAYBILLSRCENTRY_Link_FSBillId', 'FPAYBILLSRCENTRY_Link_FSId'],
      filterString: `FPAYBILLSRCENTRY_Link_FSBillId = ${source.id}`,
    });
    expect(linked).toEqual(
      sourceEntryIds.map((id) => ({
        FBillNo: target.number,
        FPAYBILLSRCENTRY_Link_FSBillId: Number(source.id),
        FPAYBILLSRCENTRY_Link_FSId: id,
      })),
    );

    // The source now has a downstream bill: UnAudit is refused until the 付款单 is deleted.
    await expect(client.unAudit(ER, { numbers: [source.number] })).rejects.toThrow(/下游单据.*FKD/);
    expect(emulator.stats().byDocument[target.number]).toEqual({ Push: 1 });
  });

  it('refuses an unaudited source, an unknown rule and a push without rule or target form', async () => {
    const saved = await client.save(ER, expenseModel());
    await expect(client.push(ER, { numbers: [saved.number], ruleId: 'ER_ExpReimbursementToPayBill' })).rejects.toThrow(
      /不允许下推/,
    );
    await expect(client.push(ER, { numbers: ['FYBX000100'], ruleId: 'NO_SUCH_RULE' })).rejects.toThrow(/NO_SUCH_RULE/);
    await expect(client.push(ER, { numbers: ['FYBX000100'], isEnableDefaultRule: false })).rejects.toThrow(/RuleId/);
  });

  it('uses the default rule for TargetFormId; a target that fails to save fails the push, or is kept as a draft (Z)', async () => {
    const source = await auditedExpense(expenseModel({ FPaySettlleTypeID: undefined }));
    await expect(client.push(ER, { numbers: [source.number], targetFormId: 'AP_PAYBILL' })).rejects.toThrow(
      /结算方式.*字段必录/,
    );
    const draft = await client.push(ER, {
      numbers: [source.number],
      targetFormId: 'AP_PAYBILL',
      isDraftWhenSaveFail: true,
    });
    expect(draft.targets).toEqual([{ id: expect.any(String), number: '' }]);
    expect(draft.messages.join()).toMatch(/已暂存/);
    expect(await client.view('AP_PAYBILL', { id: draft.targets[0]!.id })).toMatchObject({ DocumentStatus: 'Z' });
    // The seeded audited claim has a settlement type: its 付款单 saves.
    const seeded = await client.push(ER, { numbers: ['FYBX000100'], targetFormId: 'AP_PAYBILL' });
    expect(seeded.targets[0]!.number).toMatch(/^FKD/);
  });
});

it('answers ExecuteBillQuery on the base-data forms (FormId in any case)', async () => {
  const query = (formId: string, fieldKeys: string[]) => client.executeBillQuery({ formId, fieldKeys });
  expect(await query('BD_Expense', ['FEXPID', 'FNumber', 'FName'])).toContainEqual({
    FEXPID: 11,
    FNumber: 'FY001',
    FName: '差旅费',
  });
  expect(await query('BD_EXPENSE', ['FNumber'])).toHaveLength(5);
  expect(await query('BAS_PreBaseDataOne', ['FID', 'FNumber', 'FName'])).toContainEqual({
    FID: 61,
    FNumber: 'XM001',
    FName: '华东客户拓展项目',
  });
  expect(await query('BD_Department', ['FDEPTID', 'FNumber', 'FName'])).toContainEqual({
    FDEPTID: 2,
    FNumber: 'BM02',
    FName: '销售部',
  });
  expect(await query('ORG_Organizations', ['FORGID', 'FNumber'])).toContainEqual({ FORGID: 1, FNumber: '100' });
  expect(await query('BD_Currency', ['FNumber', 'FCODE'])).toContainEqual({ FNumber: 'PRE001', FCODE: 'CNY' });
  expect(await query('BD_Empinfo', ['FStaffNumber', 'FName'])).toContainEqual({
    FStaffNumber: 'EMP001',
    FName: '张三',
  });
  await expect(query('BD_Expense', ['FNoSuchField'])).rejects.toThrow(/FNoSuchField的字段不存在/);
});
