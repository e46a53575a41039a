/**
 * The rules' `todos`: `after` gives the approver that long on the card before a 待办 is made (whoever decides by then
 * costs no 待办 — two metered DingTalk calls less), and `enabled: false` makes none (an app without the 待办
 * permission). Real dev server, both emulators.
 */
import { pendingCard } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const todosOf = (world: World, userId: string, billNo: string) =>
  world.dingtalk.todosFor(userId, { includeDeleted: true }).filter((t) => t.subject.includes(billNo));

async function approve(world: World, billNo: string, userId = 'lisi'): Promise<void> {
  const card = await pendingCard(world.dingtalk, userId, billNo);
  await world.dingtalk.click(card.outTrackId, {
    userId,
    actionId: 'approve',
    params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId },
  });
}

/** A document submitted and approved on the card at once; its approval's workflow id once it is approved. */
async function approvedAtOnce(world: World, billNo: string, amount: number, purpose: string): Promise<string> {
  world.submitExpense(billNo, amount, purpose);
  const id = await world.startApproval('ER_ExpReimbursement', billNo);
  await approve(world, billNo);
  await world.waitForStage(id, 'approved', 30_000);
  return id;
}

/** A world of the describe block's own: these rules laid over singleStepRules. */
function worldFor(...rules: string[]): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld({ rules: testRules(singleStepRules, ...rules) });
  });
  afterAll(async () => {
    await world?.stop();
  });
  return () => world!;
}

describe('todos.after', () => {
  const worldOf = worldFor('todos: { after: 4s }');

  it('makes no 待办 for an approver who decides on the card in time', async () => {
    const world = worldOf();
    await approvedAtOnce(world, 'FYBX810001', 100, '办公用品');
    // The approval has ended: every 待办 it would ever make is made (closing waits for them). None.
    expect(todosOf(world, 'lisi', 'FYBX810001')).toEqual([]);
    expect(world.kingdee.stats().byDocument.FYBX810001).toEqual({ Audit: 1 });
  });

  it('makes the 待办 once the approver has had the card that long, and closes it when they decide', async () => {
    const world = worldOf();
    world.submitExpense('FYBX810002', 200, '差旅费');
    const id = await world.startApproval('ER_ExpReimbursement', 'FYBX810002');
    await pendingCard(world.dingtalk, 'lisi', 'FYBX810002');
    expect(todosOf(world, 'lisi', 'FYBX810002')).toEqual([]); // not with the card
    const [todo] = await eventually(
      () => (todosOf(world, 'lisi', 'FYBX810002').length > 0 ? todosOf(world, 'lisi', 'FYBX810002') : undefined),
      15_000,
      'lisi’s 待办 after 4 s',
    );
    expect(todo).toMatchObject({ done: false, deleted: false });
    await approve(world, 'FYBX810002');
    await world.waitForStage(id, 'approved', 30_000);
    expect(todosOf(world, 'lisi', 'FYBX810002').map((t) => ({ done: t.done, deleted: t.deleted }))).toEqual([
      { done: true, deleted: false },
    ]);
  });
});

describe('todos.enabled: false', () => {
  const worldOf = worldFor('todos: { enabled: false }');

  it('makes no 待办 at all: the card alone, and the approval finishes', async () => {
    const world = worldOf();
    const id = await approvedAtOnce(world, 'FYBX810003', 300, '交通费');
    expect(todosOf(world, 'lisi', 'FYBX810003')).toEqual([]);
    // Not only none made: none asked for, at any point of the approval.
    const events = (await world.service.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(activities.filter((name) => name.includes('Todos'))).toEqual([]);
  });
});

describe('todos.after on a step everyone must approve', () => {
  const worldOf = worldFor(
    'todos: { after: 4s }',
    `chains:
  ER_ExpReimbursement:
    - { id: countersign, name: 会签, mode: all, approvers: [{ user: lisi }, { user: wangwu }] }`,
  );

  it('one approver’s decision neither makes the other’s 待办 early nor waits for it', async () => {
    const world = worldOf();
    world.submitExpense('FYBX810004', 400, '会议费');
    const id = await world.startApproval('ER_ExpReimbursement', 'FYBX810004');
    await approve(world, 'FYBX810004', 'lisi');
    await eventually(() => todosOf(world, 'wangwu', 'FYBX810004').length > 0, 15_000, 'wangwu’s 待办 after 4 s');
    await approve(world, 'FYBX810004', 'wangwu');
    await world.waitForStage(id, 'approved', 30_000);
    expect(todosOf(world, 'lisi', 'FYBX810004')).toEqual([]);
    expect(todosOf(world, 'wangwu', 'FYBX810004').map((t) => t.done)).toEqual([true]);

    const events = (await world.service.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const timerFired = events.findIndex((e) => e.timerFiredEventAttributes);
    const scheduled = (name: string) =>
      events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    // 王五's 待办 came when his 4 s were up — not with 李四's decision, which did not make the others' 待办 at once …
    expect(timerFired).toBeGreaterThan(-1);
    expect(scheduled('createApprovalTodos')).toBeGreaterThan(timerFired);
    // … and 李四's decision was taken (王五's card shows it) without waiting out those 4 s.
    expect(scheduled('updateApprovalCards')).toBeGreaterThan(-1);
    expect(scheduled('updateApprovalCards')).toBeLessThan(timerFired);
  });
});
