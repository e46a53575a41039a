/**
 * A month-end burst in miniature, with DingTalk's quotas on (the robot's minute scaled to 3 s, and the 10-minute
 * throttle after going over scaled with it): 40 expense reports submitted at once are read by the poller page by
 * page (15 rows a page here), each gets one approval and one card, the approver presses 同意 as each card arrives,
 * each document is audited in Kingdee exactly once, the applicant and the cashier group hear of each exactly once,
 * and the cashier robot never sends more than 20 messages in a minute. The poller's starts are paced by the planning
 * window (2 here): never more than 2 approvals it started wait for their first workflow task at once.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { approvalWorkflowId, pollerWorkflowId, workflowTypes } from '../../workflows/contract';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const minuteMs = 3_000;
const planningWindow = 2;
const rules = testRules(`${singleStepRules}
ingestion: { pollInterval: 1s, overlap: 30s }
`);

let world: World;
beforeAll(async () => {
  world = await startWorld({
    rules,
    pollers: true,
    robotMinuteMs: minuteMs,
    dingtalkQuotas: { robot: { perMinute: 20, minuteMs, throttleMs: 10 * minuteMs } },
    pollPageSize: 15,
    // Four fixed workflow-task pollers, as docker-compose runs the worker: autoscaling pollers reserve the worker's
    // slots while they poll (8 here), and a start is eager only when one is free.
    env: { WORKER_PLANNING_WINDOW: String(planningWindow), WORKER_WORKFLOW_TASK_POLLERS: '4' },
  });
});
afterAll(async () => {
  await world?.stop();
});

const billPattern = /FYBX\d{6}/g;

function msOf(time: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** The most runs that were, at one moment, started but not yet in their first workflow task. */
function mostWaitingForPlanning(histories: Array<temporal.api.history.v1.IHistoryEvent[]>): number {
  const edges: Array<[at: number, change: number]> = [];
  for (const events of histories) {
    const started = events[0];
    const firstTask = events.find((e) => e.workflowTaskStartedEventAttributes);
    if (!started || !firstTask) continue;
    // A run leaves the wait (-1) before another at the same instant joins it (+1).
    edges.push([msOf(started.eventTime), 1], [msOf(firstTask.eventTime), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let waiting = 0;
  let most = 0;
  for (const [, change] of edges) most = Math.max(most, (waiting += change));
  return most;
}
/** For each bill, how many of these messages name it (merged messages name several). */
function namesPerBill(texts: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const bill of new Set(text.match(billPattern) ?? [])) counts.set(bill, (counts.get(bill) ?? 0) + 1);
  return counts;
}

it('pages, starts, approves, audits and notifies each of 40 documents exactly once, within the quotas', async () => {
  const billNos = Array.from({ length: 40 }, (_, i) => `FYBX${700_001 + i}`);
  billNos.forEach((billNo, i) => world.submitExpense(billNo, 100 + i, '月末报销'));
  const idOf = (billNo: string) => approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo });

  // 李四 presses 同意 on every card as soon as it arrives (the seeded documents awaiting approval too).
  const clicked = new Set<string>();
  await eventually(
    async () => {
      const fresh = world.dingtalk
        .cardsFor('lisi')
        .filter((card) => card.cardParamMap.status === 'pending' && !clicked.has(card.outTrackId));
      for (const card of fresh) clicked.add(card.outTrackId);
      await Promise.all(
        fresh.map((card) =>
          world.dingtalk.click(card.outTrackId, {
            userId: 'lisi',
            actionId: 'approve',
            params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId },
          }),
        ),
      );
      const states = await Promise.all(billNos.map((b) => world.status(idOf(b)).catch(() => undefined)));
      return states.every((s) => s?.stage === 'approved');
    },
    90_000,
    'all 40 approvals to be approved',
  );
  await world.noticesDelivered(90_000);

  // One approval run per document, one card per approval.
  const runs = new Map<string, number>();
  const histories: Array<Promise<temporal.api.history.v1.IHistoryEvent[]>> = [];
  const query = `WorkflowType = '${workflowTypes.approval}' AND TaskQueue = '${world.taskQueue}'`;
  for await (const run of world.service.client.workflow.list({ query })) {
    runs.set(run.workflowId, (runs.get(run.workflowId) ?? 0) + 1);
    histories.push(
      world.service.client.workflow
        .getHandle(run.workflowId, run.runId)
        .fetchHistory()
        .then((h) => h.events ?? []),
    );
  }
  expect(billNos.map((b) => runs.get(idOf(b)))).toEqual(billNos.map(() => 1));
  const approvals = runs.size;
  const stats = world.dingtalk.stats();
  const cards = stats.byApi['POST /v1.0/card/instances/createAndDeliver']!;
  expect(cards.calls - cards.refused).toBe(approvals);

  // The poller started them no faster than the worker began planning them.
  expect(mostWaitingForPlanning(await Promise.all(histories))).toBeLessThanOrEqual(planningWindow);
  // It learnt that from its own worker, not by asking Temporal (a describe) about each: the planning activity told it,
  // or the start came back with the first workflow task (eager start: the burst's first starts, on an idle worker).
  const seen = world.service.approvals.planningSeen();
  expect(seen.reported + seen.eager).toBeGreaterThan(seen.probed);
  expect(seen.eager).toBeGreaterThan(0);

  // Kingdee: audited once each; one View per approval (the write-back checks the status with a query instead).
  const kingdee = world.kingdee.stats();
  expect(billNos.map((b) => kingdee.byDocument[b])).toEqual(billNos.map(() => ({ Audit: 1 })));
  expect(kingdee.byOperation.View).toBe(approvals);
  expect(kingdee.byOperation.Audit).toBe(approvals);

  // The poller read the burst in pages of 15, one after the other.
  const history = await world.service.client.workflow
    .getHandle(pollerWorkflowId(world.acctId, 'ER_ExpReimbursement'))
    .fetchHistory();
  const pagesContinued = (history.events ?? []).filter((event) => {
    const payload = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
    return payload && defaultPayloadConverter.fromPayload<{ page?: unknown }>(payload).page !== undefined;
  });
  expect(pagesContinued.length).toBeGreaterThanOrEqual(2);
  // No rule here watches a status transition, so no poll carries the burst's bills along in its input.
  const statusesCarried = (history.events ?? []).flatMap((event) => {
    const payload = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
    if (!payload) return [];
    const input = defaultPayloadConverter.fromPayload<{ lastStatus?: Record<string, string> }>(payload);
    return [Object.keys(input.lastStatus ?? {}).length];
  });
  expect(Math.max(...statusesCarried)).toBe(0);

  // Every notice once: the applicant's work notification and the cashier group's follow-up.
  const applicant = world.dingtalk.messagesFor({ userId: 'zhangsan' });
  expect(applicant.filter((m) => m.dropped)).toEqual([]);
  const toApplicant = namesPerBill(applicant.map((m) => m.text));
  expect(billNos.map((b) => toApplicant.get(b))).toEqual(billNos.map(() => 1));
  const cashier = world.dingtalk.messagesFor({ groupId: 'cidCashier' }).filter((m) => m.kind === 'robot');
  const toCashier = namesPerBill(cashier.map((m) => m.text));
  expect(billNos.map((b) => toCashier.get(b))).toEqual(billNos.map(() => 1));

  // Within DingTalk's robot quota: never over 20 a minute, never refused (so never throttled).
  expect(stats.robots.cidCashier!.peakPerMinute).toBeLessThanOrEqual(20);
  expect(stats.refused).toMatchObject({ robotPerMinute: 0, robotThrottled: 0, workNoticeDailyCap: 0 });
}, 180_000);
