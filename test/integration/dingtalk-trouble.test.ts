/**
 * The approvers' path is retried without end when DingTalk fails it with an error retrying can heal (a 5xx, a
 * timeout, a throttle) — an outage heals by itself and nothing is lost — but never silently: at the configured
 * failed attempt ops hear it once (per call and half hour), the approval goes on when DingTalk answers again, and a
 * second approval failing the same way in the same half hour adds no second alert.
 */
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules: testRules(singleStepRules), troubleAlertAfterAttempts: 3 });
});
afterAll(async () => {
  await world?.stop();
});

const troubleAlerts = () =>
  world.dingtalk
    .messagesFor({ groupId: 'cidOps' })
    .flatMap((m) => (m.text.match(/【故障】钉钉接口持续失败：[^\n]*/g) ?? []).map((line) => ({ line, text: m.text })));

const cardOf = (billNo: string) =>
  eventually(
    () => world.dingtalk.cardsFor('lisi').find((c) => c.cardParamMap.billNo === billNo),
    60_000,
    `lisi's card of ${billNo}`,
  );

it('tells ops once when card deliveries keep failing, and delivers them when DingTalk answers again', async () => {
  // Three failed deliveries: attempts 1 and 2 say nothing, attempt 3 tells ops; attempt 4 delivers.
  world.dingtalk.faults.push({ kind: 'http500', path: '/v1.0/card/instances/createAndDeliver', times: 3 });
  world.submitExpense('FYBX000601', 120, '打车');
  const id = await world.startApproval('ER_ExpReimbursement', 'FYBX000601');
  await cardOf('FYBX000601');
  const [alert] = await eventually(() => troubleAlerts().length > 0 && troubleAlerts(), 20_000, 'the ops alert');
  expect(alert?.line).toBe('【故障】钉钉接口持续失败：发送审批卡片');
  expect(alert?.text).toContain('发送审批卡片已连续失败 3 次，仍在自动重试');
  expect(alert?.text).toContain('DingTalkServerError');
  expect(alert?.text).toContain('审批不会丢失');
  // Not parked: the approval waits for its approver as if nothing had happened.
  expect((await world.service.approvals.status(id))?.stage).toBe('awaiting-approval');

  // The same trouble again within the half hour: the card arrives, ops hear nothing new.
  world.dingtalk.faults.push({ kind: 'http500', path: '/v1.0/card/instances/createAndDeliver', times: 3 });
  world.submitExpense('FYBX000602', 130, '打车');
  await world.startApproval('ER_ExpReimbursement', 'FYBX000602');
  await cardOf('FYBX000602');
  expect(world.dingtalk.faults).toEqual([]);
  expect(troubleAlerts()).toHaveLength(1);
}, 90_000);
