/**
 * Remind → escalate → final action, on the real dev server with second-long business durations on an always-open
 * calendar (business-hours arithmetic itself is unit-tested in test/unit/business-hours.test.ts). Timings are
 * asserted from the workflow's own clock in the decision log: never earlier than configured, and within 1.5 s after
 * (the server fires timers with up to about a second of lateness, so steps are a second or more apart).
 */
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
escalation: { robot: finance, notifyManager: true }
ops: { robot: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单, rejectOperation: cancelAssign }
chains:
  ER_ExpReimbursement:
    - id: manager
      name: 部门经理审批
      approvers: [{ user: lisi }]
      remindAfter: 2s
      remindEvery: 2s
      escalateAfter: 5s
      finalAfter: 7s
      finalAction: { reject: { reason: 超时未审批 } }
`);

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
});
afterAll(async () => {
  await world?.stop();
});

it('reminds (worded unlike the card), escalates to the manager and the group, then rejects by the final action', async () => {
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000123');
  const state = await world.waitForStage(id, 'rejected', 30_000);
  const step = state.steps[0]!;
  const start = Date.parse(step.startedAt);
  const offsets = state.log
    .filter((e) => ['remind', 'escalate', 'finalAction'].includes(e.action))
    .map((e) => [e.action, Date.parse(e.at) - start] as const);
  expect(offsets.map(([action]) => action)).toEqual(['remind', 'remind', 'escalate', 'remind', 'finalAction']);
  const expected = [2000, 4000, 5000, 6000, 7000];
  offsets.forEach(([, ms], i) => {
    expect(ms).toBeGreaterThanOrEqual(expected[i]!);
    // Never early; late by at most the dev server's timer slack plus a loaded 2-core machine's scheduling delay.
    expect(ms).toBeLessThan(expected[i]! + 3000);
  });

  const reminders = world.dingtalk.messagesFor({ userId: 'lisi' }).filter((m) => m.title?.startsWith('【催办】'));
  expect(reminders.map((m) => m.dropped ?? false)).toEqual([false, false, false]); // each one differs, none dropped
  expect(reminders[1]?.text).toContain('第 2 次催办');
  expect(world.dingtalk.cardsFor('zhouba').map((c) => c.cardParamMap.billNo)).toEqual(['FYBX000123']); // 李四's manager
  expect(world.dingtalk.messagesFor({ userId: 'zhouba' }).map((m) => m.title)).toContain(
    '【审批升级】费用报销单 FYBX000123 超时未审批',
  );
  expect(world.dingtalk.messagesFor({ groupId: 'cidFinanceApprovals' }).map((m) => m.title)).toContain(
    '审批超时升级：费用报销单 FYBX000123',
  );
  expect(state.escalated).toBe(true);
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000123')?.status).toBe('A');
  expect(
    world.dingtalk.messagesFor({ userId: 'zhangsan' }).find((m) => m.title === '费用报销单 FYBX000123 已被驳回')?.text,
  ).toContain('超时未审批');
});
