/**
 * The reimbursement assistant end to end (real service on the Temporal dev server, both emulators, bot messages over
 * Stream): a message → what the bot understood; 确认 → one 费用报销单 in Kingdee, submitted (B), as the sender's
 * employee, with the amount, item and project; 确认 again → still one; 取消 → none; open questions → nothing saved.
 */
import { sayToBot } from '../helpers/dingtalk';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: manager, name: 部门经理审批, approvers: [{ user: lisi }] }
assistant:
  synonyms:
    交通费: [打车, 出租车]
    XM001: [项目A]
`);

const form = 'ER_ExpReimbursement';
let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
});
afterAll(async () => {
  await world?.stop();
});

const say = (userId: string, text: string) => sayToBot(world.dingtalk, userId, text);

const expensesBy = (employeeNumber: string) =>
  [...world.kingdee.documents.values()].filter(
    (d) =>
      d.formId === form &&
      (d.fields.FProposerID as { number?: string } | undefined)?.number === employeeNumber &&
      !d.billNo.startsWith('FYBX0001'),
  );

it('a message → proposal; 确认 → one submitted 费用报销单 as the sender; 确认 again → still one', async () => {
  const before = expensesBy('EMP001').length;
  const proposal = await say('zhangsan', '报销 11月20日 上海客户拜访 差旅费 1280元 ERP升级项目');
  expect(proposal).toContain('1,280');
  expect(proposal).toContain('差旅费');
  expect(proposal).toMatch(/回复 确认 提交报销单，或 取消/);
  expect(expensesBy('EMP001')).toHaveLength(before);

  const saved = await say('zhangsan', '确认');
  expect(saved).toMatch(/^已提交报销单 FYBX\d+（¥1,280.00，审核中），将进入审批$/);
  const billNo = /FYBX\d+/.exec(saved)![0];
  const doc = world.kingdee.getDocument(form, billNo)!;
  expect(doc.status).toBe('B');
  expect(Number(doc.fields.FReqReimbAmountSum)).toBe(1280);
  expect(doc.fields.FProposerID).toMatchObject({ number: 'EMP001' });
  expect(doc.entries).toHaveLength(1);
  expect(doc.entries[0]!.FExpID).toMatchObject({ number: 'FY001' });
  expect(doc.entries[0]!.F_KDB_ProjectID).toMatchObject({ number: 'XM002' });

  expect(await say('zhangsan', '确认')).toBe(saved);
  expect(expensesBy('EMP001')).toHaveLength(before + 1);
}, 90_000);

it('取消 writes nothing; a message with open questions is not saved', async () => {
  const before = expensesBy('EMP003').length;
  expect(await say('wangwu', '报销 11月21日 差旅费 300元 无项目')).toMatch(/回复 确认/);
  expect(await say('wangwu', '取消')).toBe('已取消，未在金蝶中生成单据');
  expect(await say('wangwu', '报销 差旅费 三百多')).toMatch(/还需确认/);
  expect(await say('wangwu', '确认')).toMatch(/^没有可确认的报销/);
  expect(expensesBy('EMP003')).toHaveLength(before);
}, 90_000);

it("understands the words of the rules' assistant synonyms (打车 → 交通费, 项目A → 华东客户拓展项目)", async () => {
  const before = expensesBy('EMP002').length;
  const proposal = await say('lisi', '报销 昨天打车 86.5 元 客户拜访 项目A');
  expect(proposal).toContain('交通费');
  expect(proposal).toContain('华东客户拓展项目');
  expect(proposal).toMatch(/回复 确认 提交报销单，或 取消/);
  const saved = await say('lisi', '确认');
  const billNo = /FYBX\d+/.exec(saved)![0];
  const doc = world.kingdee.getDocument(form, billNo)!;
  expect(doc.entries[0]!.FExpID).toMatchObject({ number: 'FY004' });
  expect(doc.entries[0]!.F_KDB_ProjectID).toMatchObject({ number: 'XM001' });
  expect(Number(doc.fields.FReqReimbAmountSum)).toBe(86.5);
  expect(expensesBy('EMP002')).toHaveLength(before + 1);
}, 90_000);
