/**
 * Approvers first: a card send that waits on DingTalk never holds a slot a write-back needs. The approvals' worker
 * here has two activity slots; three new cards hang in DingTalk for 9 s (under the client's 10 s timeout); an approver's decision on another document
 * is written back to Kingdee while those cards are still hanging. (When the cards ran on the approvals' own queue,
 * the two hanging sends held both slots and the write-back waited for them.) Nor does a decision wait for the
 * approver's 待办: it is created beside the decisions, and closed as done once it exists.
 */
import { temporal } from '@temporalio/proto';
import { approvalWorkflowId } from '../../workflows/contract';
import { pendingCard } from '../helpers/dingtalk';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules: testRules(singleStepRules), env: { WORKER_MAX_CONCURRENT_ACTIVITIES: '2' } });
});
afterAll(async () => {
  await world?.stop();
});

it('writes a decision back while new cards hang in DingTalk', async () => {
  world.submitExpense('FYBX800001', 100, '办公用品');
  await world.startApproval('ER_ExpReimbursement', 'FYBX800001');
  const card = await pendingCard(world.dingtalk, 'lisi', 'FYBX800001');

  const hanging = ['FYBX800002', 'FYBX800003', 'FYBX800004'];
  world.dingtalk.faults.push({ kind: 'latency', ms: 9_000, path: '/v1.0/card/instances/createAndDeliver', times: 3 });
  const ids: string[] = [];
  for (const billNo of hanging) {
    world.submitExpense(billNo, 200, '差旅费');
    ids.push(await world.startApproval('ER_ExpReimbursement', billNo));
  }
  // Every send is scheduled and at least two hang in DingTalk (as many as the approvals' worker has slots).
  await eventually(
    async () => {
      const pending = await Promise.all(ids.map(pendingActivities));
      const sends = pending.flat().filter((a) => a.activityType?.name === 'deliverApprovalCards');
      const hangingNow = sends.filter(
        (a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
      return sends.length === hanging.length && hangingNow.length >= 2;
    },
    20_000,
    'the card sends to be hanging in DingTalk',
  );

  await world.dingtalk.click(card.outTrackId, {
    userId: 'lisi',
    actionId: 'approve',
    params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId },
  });
  await eventually(
    () => world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX800001')?.status === 'C',
    25_000,
    'FYBX800001 to be audited',
  );
  // Audited while every new card was still hanging: nothing on the decision's path waited for them.
  for (const billNo of hanging) {
    expect(world.dingtalk.cardsFor('lisi').some((c) => c.cardParamMap.billNo === billNo)).toBe(false);
  }
  expect(world.kingdee.stats().byDocument.FYBX800001).toEqual({ Audit: 1 });

  // And the hanging cards arrive once DingTalk answers.
  for (const billNo of hanging) await pendingCard(world.dingtalk, 'lisi', billNo, 60_000);
  expect(ids).toEqual(
    hanging.map((billNo) => approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo })),
  );
});

it('writes a decision back while the approver’s 待办 is still being created, and closes the 待办 once it exists', async () => {
  const billNo = 'FYBX800005';
  // The first test's waiting approvals make their 待办 once their (hanging) cards arrive: all made before the fault
  // below, so the fault is this approval's (FYBX800001 finished, its 待办 with it).
  await eventually(
    () =>
      ['FYBX800002', 'FYBX800003', 'FYBX800004'].every((bill) =>
        world.dingtalk.todosFor('lisi', { includeDeleted: true }).some((t) => t.subject.includes(bill)),
      ),
    60_000,
    'the first test’s 待办',
  );
  // DingTalk takes 8 s to answer the 待办's creation (under the client's 10 s timeout), as behind a month-end burst.
  world.dingtalk.faults.push({ kind: 'latency', ms: 8_000, path: '/v1.0/todo/users/', times: 1 });
  world.submitExpense(billNo, 100, '办公用品');
  const id = await world.startApproval('ER_ExpReimbursement', billNo);
  const card = await pendingCard(world.dingtalk, 'lisi', billNo);
  // The click comes once the 待办's creation hangs in DingTalk. (A click the workflow takes before it asks for the 待办
  // rightly gets none: lisi has decided by then.)
  await eventually(
    async () => (await startedActivities(id)).includes('createApprovalTodos'),
    20_000,
    'the 待办’s creation to be hanging in DingTalk',
  );
  const todos = () =>
    world.dingtalk.todosFor('lisi', { includeDeleted: true }).filter((t) => t.subject.includes(billNo));
  await world.dingtalk.click(card.outTrackId, {
    userId: 'lisi',
    actionId: 'approve',
    params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId },
  });
  await eventually(
    () => world.kingdee.getDocument('ER_ExpReimbursement', billNo)?.status === 'C',
    25_000,
    `${billNo} to be audited`,
  );
  // Audited before DingTalk answered the 待办's creation: the decision did not wait for it.
  expect(todos()).toEqual([]);

  await world.waitForStage(id, 'approved', 30_000);
  expect(todos().map((t) => ({ done: t.done, deleted: t.deleted }))).toEqual([{ done: true, deleted: false }]);
  expect(world.kingdee.stats().byDocument[billNo]).toEqual({ Audit: 1 });
});

async function pendingActivities(workflowId: string) {
  const described = await world.service.client.workflow.getHandle(workflowId).describe();
  return described.raw.pendingActivities ?? [];
}

/** The activity types of the workflow's activities under way (started, not finished). */
async function startedActivities(workflowId: string): Promise<string[]> {
  return (await pendingActivities(workflowId))
    .filter((a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
    .map((a) => a.activityType?.name ?? '');
}
