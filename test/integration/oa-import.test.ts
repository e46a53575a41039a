/**
 * OA import end to end (real service on the Temporal dev server, both emulators, events over Stream): a 费用申请
 * finished and agreed in DingTalk becomes ONE 费用报销单 in Kingdee with the mapped fields — audited at once
 * (skipApproval) — the instance gets a comment and the originator a notice; the event delivered again changes
 * nothing; a refused instance makes nothing; an expense item the rules do not map saves nothing, tells the
 * originator and ops, and the workflow completes (needs attention), never fails.
 */
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { eventually } from '../helpers/eventually';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';
import { oaTableValue } from '../../emulators/dingtalk/oa';
import { oaImportWorkflowId, type OaImportInput, type OaImportOutcome } from '../../workflows/contract';

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

it('an expense item the rules do not map → nothing saved, originator and ops told, the workflow completes', async () => {
  const opsBefore = opsMessages().length;
  const instance = apply([
    { 费用项目: '差旅费', 金额: '300' },
    { 费用项目: '业务招待费', 金额: '800' },
  ]);
  const id = instance.processInstanceId;
  await world.dingtalk.oa.finish(id, 'agree');

  const outcome = await outcomeOf(id);
  expect(outcome).toMatchObject({ kind: 'needsAttention', errorType: 'OaMappingError' });
  expect((outcome as { reason: string }).reason).toContain('业务招待费');
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
