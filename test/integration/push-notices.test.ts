/**
 * Beyond approvals — on the real dev server with the real service against both emulators:
 *
 * - a threshold watch on 即时库存 (STK_Inventory, the Kingdee emulator's demo seed): a row below its safety stock
 *   alerts once, recovers, alerts again; rows crossing together arrive as one message; a Kingdee outage is survived
 *   (the watch catches up, nothing is alerted twice);
 * - a calendar deadline due on a holiday moves to the next working day, and its Schedule's next runs (describe())
 *   are the reminders on the right working days; created idempotently at start-up; a run tells the recipients;
 * - the morning digest lists a person's pending approvals, urgent first, then the oldest, with links; the weekly
 *   同步体检 reaches the ops group and says what it could not compute.
 *
 * The calendar works every day around the clock (so approval timers run at any hour the test runs), with the
 * 2030 National Day holidays to move the deadline across.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { silentLogger } from '../../common/logger';
import { syncPushSchedules } from '../../activities';
import { deadlineReminders } from '../../domain/deadlines';
import { isWorkingDate } from '../../domain/holidays';
import {
  checkNowSignal,
  deadlineScheduleId,
  digestScheduleId,
  watchStatusQuery,
  watchWorkflowId,
  type WatchStatus,
} from '../../workflows/contract';
import { eventually } from '../helpers/eventually';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const rules = testRules(`
version: 1
calendar:
  utcOffset: '+08:00'
  workdays: [周一, 周二, 周三, 周四, 周五, 周六, 周日]
  hours: ['00:00-24:00']
  holidays: [2030-10-01~2030-10-07]
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
ops: { robot: ops }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - id: big
      name: 大额审批
      when: { amount: { gt: 50000 } }
      approvers: [lisi]
      remindAfter: 2s
    - id: normal
      name: 部门经理审批
      when: { amount: { lte: 50000 } }
      approvers: [lisi]
watches:
  - id: low-stock
    name: 库存低于安全库存
    form: STK_Inventory
    key: [FMaterialId.FNumber, FStockId.FNumber]
    fields: [FMaterialId.FName, FStockId.FName]
    filter: "FStockOrgId.FNumber = '100'"
    condition: { field: FBaseQty, below: FMaterialId.FSafeStock }
    every: 1h
    pageSize: 2
    to: { robot: finance, users: [zhouba] }
    text: '{FMaterialId.FName}（{FStockId.FName}）库存 {FBaseQty}，低于安全库存 {阈值}'
deadlines:
  - id: national-day
    name: 国庆申报
    dates: [2030-10-01]
    remind: [2, 1, 0]
    at: '09:00'
    to: { users: [wangwu] }
  - id: vat
    name: 增值税申报
    monthly: { day: 15 }
    to: { robot: finance }
digests:
  approvers: { at: '08:45' }
  weekly: { weekday: 周一, at: '09:30' }
`);

let world: World;
beforeAll(async () => {
  world = await startWorld({ rules });
}, 60_000);
afterAll(async () => {
  await world?.stop();
});

describe('a threshold watch on 即时库存', () => {
  type InventoryRow = Record<string, unknown>;
  const inventory = () => world.kingdee.seed.baseData.STK_Inventory as InventoryRow[];
  const setQty = (material: string, stock: string, qty: number) => {
    const row = inventory().find((r) => r['FMaterialId.FNumber'] === material && r['FStockId.FNumber'] === stock);
    if (!row) throw new Error(`no inventory row ${material}@${stock} in the seed`);
    row.FBaseQty = qty;
  };
  const handle = () => world.service.client.workflow.getHandle(watchWorkflowId(world.taskQueue, 'low-stock'));
  const status = () => handle().query(watchStatusQuery);
  const alerts = () =>
    world.dingtalk
      .messagesFor({ groupId: 'cidFinanceApprovals' })
      .filter((m) => m.kind === 'robot' && m.text.includes('【预警】'));
  /** Check now and wait until that check (the next one) is done. */
  const checkNow = async (): Promise<WatchStatus> => {
    const before = (await status()).checks;
    await handle().signal(checkNowSignal, { reason: 'test' });
    return eventually(
      async () => {
        const s = await status();
        return s.checks > before ? s : undefined;
      },
      30_000,
      'the watch to check again',
    );
  };
  const alertCount = async (count: number) => {
    await world.noticesDelivered();
    return eventually(() => (alerts().length >= count ? alerts() : undefined), 15_000, `${count} watch alerts`);
  };

  it('alerts once when a row crosses, recovers, alerts again; rows crossing together come as one message', async () => {
    // The demo seed: 笔记本电脑 in 总仓 is at 3, below its safety stock 5. The first check (at start-up) alerts.
    const [first] = await alertCount(1);
    expect(first?.text).toContain('笔记本电脑（总仓）库存 3，低于安全库存 5');
    expect(first?.text).not.toContain('办公桌');
    await eventually(
      () => world.dingtalk.messagesFor({ userId: 'zhouba' }).some((m) => m.text.includes('【预警】库存低于安全库存')),
      15_000,
      'the work notification to 周八',
    );

    // Still below: no second alert.
    let s = await checkNow();
    expect(s.alerted.map((a) => a.key)).toEqual(['WL002|CK01']);
    await world.noticesDelivered();
    expect(alerts()).toHaveLength(1);

    // Recovered: forgotten, nothing sent.
    setQty('WL002', 'CK01', 8);
    s = await checkNow();
    expect(s.alerted).toEqual([]);
    await world.noticesDelivered();
    expect(alerts()).toHaveLength(1);

    // Crosses again, together with 办公桌 in 总仓: one message about both (the read spans pages of 2 rows).
    setQty('WL002', 'CK01', 1);
    setQty('WL001', 'CK01', 2);
    s = await checkNow();
    expect(s.alerted.map((a) => a.key).sort()).toEqual(['WL001|CK01', 'WL002|CK01']);
    const second = (await alertCount(2))[1];
    expect(second?.title).toBe('【预警】库存低于安全库存：2 项');
    expect(second?.text).toContain('笔记本电脑（总仓）库存 1');
    expect(second?.text).toContain('办公桌（总仓）库存 2');
    expect(alerts()).toHaveLength(2);
  });

  it('survives a Kingdee outage: the watch catches up and nothing is alerted twice', async () => {
    world.kingdee.faults.push({ kind: 'http500', operation: 'ExecuteBillQuery' });
    // While Kingdee is down, 笔记本电脑 recovers and 办公桌 in 华东仓 drops below its safety stock.
    setQty('WL002', 'CK01', 9);
    setQty('WL001', 'CK02', 1);
    const failed = await checkNow();
    expect(failed.errors).toBeGreaterThanOrEqual(1);
    expect(failed.consecutiveFailures).toBe(1);
    expect(failed.lastError).toMatch(/500|Kingdee/i);
    expect(failed.alerted.map((a) => a.key).sort()).toEqual(['WL001|CK01', 'WL002|CK01']); // unchanged

    world.kingdee.clearFaults();
    const caughtUp = await checkNow();
    expect(caughtUp.consecutiveFailures).toBe(0);
    expect(caughtUp.alerted.map((a) => a.key).sort()).toEqual(['WL001|CK01', 'WL001|CK02']);
    const third = (await alertCount(3))[2];
    expect(third?.title).toBe('【预警】库存低于安全库存：1 项');
    expect(third?.text).toContain('办公桌（华东仓）库存 1');
    expect(third?.text).not.toContain('总仓'); // 办公桌 in 总仓 stayed below: not alerted again

    // 笔记本电脑 recovered during the outage (seen by the catch-up): crossing again alerts again.
    setQty('WL002', 'CK01', 0);
    await checkNow();
    const fourth = (await alertCount(4))[3];
    expect(fourth?.text).toContain('笔记本电脑（总仓）库存 0');
    expect(fourth?.text).not.toContain('办公桌');
    await world.noticesDelivered();
    expect(alerts()).toHaveLength(4);
  });
});

describe('calendar deadlines as Temporal Schedules', () => {
  const describeSchedule = (id: string) => world.service.client.schedule.getHandle(id).describe();

  it('moves a due date on a holiday to the next working day and reminds on the working days before it', async () => {
    const schedule = await describeSchedule(deadlineScheduleId(world.taskQueue, 'national-day'));
    // Due 2030-10-01, in the National Day holidays → 2030-10-08; 1 working day before it is 09-30, 2 are 09-29.
    expect(schedule.info.nextActionTimes.map((t) => t.toISOString())).toEqual([
      '2030-09-29T01:00:00.000Z',
      '2030-09-30T01:00:00.000Z',
      '2030-10-08T01:00:00.000Z',
    ]);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'deadlineWorkflow' });

    // The monthly one: its next runs are exactly the computed reminders, each on a working day at 09:00.
    const vat = await describeSchedule(deadlineScheduleId(world.taskQueue, 'vat'));
    const expected = deadlineReminders(
      { recurrence: { kind: 'monthly', day: 15 }, shift: 'nextWorkingDay', remind: [3, 1, 0], atMinute: 540 },
      rules.calendar,
      Date.now(),
    )
      .slice(0, vat.info.nextActionTimes.length)
      .map((r) => r.at);
    expect(vat.info.nextActionTimes.map((t) => t.getTime())).toEqual(expected);
    for (const t of vat.info.nextActionTimes) {
      const local = new Date(t.getTime() + 8 * 3_600_000).toISOString();
      expect(local.slice(11, 16)).toBe('09:00');
      expect(isWorkingDate(local.slice(0, 10), rules.calendar)).toBe(true);
    }
  });

  it('is set up idempotently: syncing again updates the same Schedules, creates none', async () => {
    const again = await syncPushSchedules({
      client: world.service.client,
      rules,
      taskQueue: world.taskQueue,
      logger: silentLogger,
    });
    expect(again.created).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(again.updated.sort()).toEqual(
      [
        deadlineScheduleId(world.taskQueue, 'national-day'),
        deadlineScheduleId(world.taskQueue, 'vat'),
        digestScheduleId(world.taskQueue, 'approvers'),
        digestScheduleId(world.taskQueue, 'weekly'),
      ].sort(),
    );
    const schedule = await describeSchedule(deadlineScheduleId(world.taskQueue, 'national-day'));
    expect(schedule.info.nextActionTimes[0]?.toISOString()).toBe('2030-09-29T01:00:00.000Z');
  });

  it('tells the recipients when a reminder runs', async () => {
    await world.service.client.schedule.getHandle(deadlineScheduleId(world.taskQueue, 'national-day')).trigger();
    const message = await eventually(
      () => world.dingtalk.messagesFor({ userId: 'wangwu' }).find((m) => m.text.includes('【截止提醒】国庆申报')),
      30_000,
      'the deadline reminder to 王五',
    );
    expect(message.text).toContain('截止日：2030-10-08（周二）');
    expect(message.text).toContain('原定 2030-10-01（周二） 为节假日或休息日，已顺延');
  });

  it('removes the Schedules the rules no longer call for', async () => {
    // A deployment of its own (no worker runs it), so no run of this world's Schedules re-creates anything meanwhile.
    const taskQueue = `${world.taskQueue}-removal`;
    const sync = (changes: Partial<typeof rules>) =>
      syncPushSchedules({
        client: world.service.client,
        rules: { ...rules, ...changes },
        taskQueue,
        logger: silentLogger,
      });
    expect((await sync({})).created).toHaveLength(4);
    const outcome = await sync({ deadlines: rules.deadlines.filter((d) => d.id !== 'vat') });
    expect(outcome.deleted).toEqual([deadlineScheduleId(taskQueue, 'vat')]);
    await expect(describeSchedule(deadlineScheduleId(taskQueue, 'vat'))).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await sync({ deadlines: [], digests: {} })).deleted).toHaveLength(3);
  });
});

describe('digests', () => {
  it('runs the morning digest on working days at the configured time', async () => {
    const schedule = await world.service.client.schedule
      .getHandle(digestScheduleId(world.taskQueue, 'approvers'))
      .describe();
    for (const t of schedule.info.nextActionTimes) {
      const local = new Date(t.getTime() + 8 * 3_600_000).toISOString();
      expect(local.slice(11, 16)).toBe('08:45');
      expect(isWorkingDate(local.slice(0, 10), rules.calendar)).toBe(true);
    }
  });

  it("lists a person's pending approvals: urgent first, then the oldest, with links", async () => {
    const suffix = String(Date.now()).slice(-5);
    const [oldest, urgent, newest] = ['1', '2', '3'].map((n) => `FYBX${n}${suffix}`) as [string, string, string];
    world.submitExpense(oldest, 800, '办公用品');
    const oldestId = await world.startApproval('ER_ExpReimbursement', oldest);
    await world.waitForStage(oldestId, 'awaiting-approval');
    world.submitExpense(urgent, 68_000, '设备采购');
    const urgentId = await world.startApproval('ER_ExpReimbursement', urgent);
    world.submitExpense(newest, 1_200, '差旅费');
    const newestId = await world.startApproval('ER_ExpReimbursement', newest);
    await world.waitForStage(newestId, 'awaiting-approval');
    // The big one is reminded after 2 s: urgent, although newer than the first.
    await eventually(
      async () => ((await world.status(urgentId)).steps[0]?.remindersSent ?? 0) > 0,
      30_000,
      'the reminder of the big bill',
    );

    await world.service.client.schedule.getHandle(digestScheduleId(world.taskQueue, 'approvers')).trigger();
    const digest = await eventually(
      () => world.dingtalk.messagesFor({ userId: 'lisi' }).find((m) => m.text.includes('【待办汇总】')),
      30_000,
      "李四's morning digest",
    );
    const lines = digest.text.split('\n').filter((line) => /^\d+\. /.test(line));
    expect(lines.map((line) => /FYBX\d+/.exec(line)?.[0])).toEqual([urgent, oldest, newest]);
    expect(lines[0]).toContain('【紧急】');
    expect(lines[0]).toContain('大额审批');
    expect(lines[1]).toContain('部门经理审批');
    expect(lines.every((line) => line.includes('[查看单据]('))).toBe(true);
    expect(digest.text).toContain(`您有 3 张单据待审批`);
    expect(oldestId).not.toBe(newestId);
  });

  it('sends the weekly 同步体检 to the ops group, saying what it could not compute', async () => {
    await world.service.client.schedule.getHandle(digestScheduleId(world.taskQueue, 'weekly')).trigger();
    const report = await eventually(
      () => world.dingtalk.messagesFor({ groupId: 'cidOps' }).find((m) => m.text.includes('【同步体检】')),
      30_000,
      'the weekly report in the ops group',
    );
    expect(report.text).toContain('**审批完成**');
    expect(report.text).toContain('**金蝶读取错误**（阈值监控）：1 次');
    expect(report.text).toContain('库存低于安全库存：1 次');
    expect(report.text).toContain('**未能统计**');
  });
});
