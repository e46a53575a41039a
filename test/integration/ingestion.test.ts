/**
 * Change detection: the poller workflow starts approvals for documents awaiting one and tells running approvals
 * about changes; with the worker (and so the poller) stopped mid-flight and restarted, nothing is missed and
 * nothing starts twice.
 */
import {
  approvalWorkflowId,
  pollerWorkflowId,
  pollNowSignal,
  statusQuery,
  type PollerInput,
} from '../../workflows/contract';
import type { Activities } from '../../activities';
import { eventually } from '../helpers/eventually';
import { activityInputs } from '../helpers/history';
import { testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

const rules = testRules(`
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  ops: { webhook: ops }
  finance: { webhook: finance }
escalation: { robot: finance }
ops: { robot: ops }
ingestion: { pollInterval: 1s, overlap: 2m }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - { id: manager, name: 部门经理审批, approvers: [{ user: lisi }] }
notifications:
  - id: er-audited
    form: ER_ExpReimbursement
    trigger: { statusBecomes: C }
    to: { robot: finance }
    template: '{单号} 已在金蝶审核（{申请人} {金额}）'
`);

/** Bills whose approval's finish waits (in its notices' hand-over) until this many more polls have been made. */
const finishAfterPolls = new Map<string, number>();

let world: World;
beforeAll(async () => {
  world = await startWorld({
    rules,
    pollers: true,
    wrapActivities: <T extends object>(activities: T): T => {
      const real = activities as unknown as Activities;
      const handOverNotices = async (input: Parameters<Activities['handOverNotices']>[0]) => {
        const polls = finishAfterPolls.get(input.applicantOf.billNo);
        if (polls !== undefined) {
          const until = pollsSoFar() + polls;
          await eventually(() => pollsSoFar() >= until, 15_000, `${polls} polls before the finish`);
        }
        return real.handOverNotices(input);
      };
      return { ...activities, handOverNotices };
    },
  });
});
afterAll(async () => {
  await world?.stop();
});

const runsOf = async (billNo: string) => {
  const id = approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo });
  const runs: string[] = [];
  for await (const run of world.service.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(run.runId);
  return runs;
};
// After a worker restart a task handed to the stopped worker is only given out again when Temporal's task
// timeouts expire (workflow task 10 s, activity heartbeat 20 s): waits after the restart allow for that.
const afterRestart = 60_000;
const card = (billNo: string) =>
  eventually(
    () => world.dingtalk.cardsFor('lisi').find((c) => c.cardParamMap.billNo === billNo),
    afterRestart,
    `a card for ${billNo}`,
  );
const pollsSoFar = () => world.kingdee.stats().byOperation.ExecuteBillQuery ?? 0;

it('picks up documents awaiting approval, survives a worker restart, and starts each approval exactly once', async () => {
  await card('FYBX000123'); // seeded in status B: found by the first poll

  await world.service.stopWorker();
  world.submitExpense('FYBX000401', 66, '停机期间提交');
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000123', 'C'); // audited in Kingdee while we were down
  await world.service.startWorker();

  await card('FYBX000401');
  const first = world.service.client.workflow.getHandle(
    approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000123' }),
  );
  await eventually(
    async () => (await first.query(statusQuery)).stage === 'closed-in-kingdee',
    afterRestart,
    'the audited document to close its approval',
  );

  const polls = pollsSoFar();
  await eventually(() => pollsSoFar() >= polls + 3, 15_000, 'three more polls');
  expect(await runsOf('FYBX000401')).toHaveLength(1);
  expect(await runsOf('FYBX000123')).toHaveLength(1);
  expect(world.dingtalk.cardsFor('lisi').filter((c) => c.cardParamMap.billNo === 'FYBX000401')).toHaveLength(1);

  // The notification-only rule fired once for the audit seen in Kingdee, though later polls saw it again.
  const auditNotices = () =>
    world.dingtalk
      .messagesFor({ groupId: 'cidFinanceApprovals' })
      .filter((m) => m.text.startsWith('FYBX000123 已在金蝶审核'));
  expect(auditNotices().map((m) => m.text)).toEqual(['FYBX000123 已在金蝶审核（张三 ¥12,800.00）']);
  // Saved again in Kingdee, still audited: a new version, but not a new audit.
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000123', 'C');
  const resaved = pollsSoFar();
  await eventually(() => pollsSoFar() >= resaved + 3, 15_000, 'three polls after the re-save');
  expect(auditNotices()).toHaveLength(1);
  // The poller remembers only what the statusBecomes rule needs: audited bills, not the ones awaiting approval.
  const pollerHistory = await world.service.client.workflow
    .getHandle(pollerWorkflowId(world.acctId, 'ER_ExpReimbursement'))
    .fetchHistory();
  const carried = activityInputs<PollerInput>(pollerHistory.events ?? []).at(-1)!.lastStatus ?? {};
  expect(carried.FYBX000123).toBe('C');
  expect(Object.entries(carried).filter(([, status]) => status !== 'C')).toEqual([]);
  const described = await first.describe();
  expect(await described.staticSummary()).toBe('费用报销单 FYBX000123 · ¥12,800.00 · 张三');
});

it('does not signal an approval the audit its own write-back made (the next poll reads the bill again)', async () => {
  world.submitExpense('FYBX000402', 88, '本单自己审核');
  // The approval stays running after its write-back while two polls read the audited bill (its FModifyDate moved).
  finishAfterPolls.set('FYBX000402', 2);
  const found = await card('FYBX000402');
  await world.dingtalk.click(found.outTrackId, {
    userId: 'lisi',
    actionId: 'approve',
    params: { workflowId: found.cardParamMap.workflowId, stepId: found.cardParamMap.stepId, comment: '' },
  });
  const handle = world.service.client.workflow.getHandle(
    approvalWorkflowId({ acctId: world.acctId, formId: 'ER_ExpReimbursement', billNo: 'FYBX000402' }),
  );
  const result = await handle.result();
  expect(result.stage).toBe('approved');
  expect(world.kingdee.getDocument('ER_ExpReimbursement', 'FYBX000402')?.status).toBe('C');
  const signals = ((await handle.fetchHistory()).events ?? []).flatMap((event) => {
    const name = event.workflowExecutionSignaledEventAttributes?.signalName;
    return name ? [name] : [];
  });
  expect(signals).not.toContain('documentChanged'); // before: one, for the audit it had just made

  // Un-audited and submitted again: a new round. Audited in Kingdee this time, its approval must hear of it.
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000402', 'B');
  await eventually(
    () => world.dingtalk.cardsFor('lisi').filter((c) => c.cardParamMap.billNo === 'FYBX000402').length === 2,
    afterRestart,
    'the new round’s card',
  );
  world.kingdee.setStatus('ER_ExpReimbursement', 'FYBX000402', 'C');
  await eventually(
    async () => (await handle.query(statusQuery)).stage === 'closed-in-kingdee',
    15_000,
    'the audit in Kingdee to close the new round',
  );
});

it('polls every interval counted from each poll’s start: a slow poll is followed sooner, not a whole interval later', async () => {
  // Kingdee takes 700 ms to answer the next query (the interval here is 1 s).
  world.kingdee.faults.push({ kind: 'latency', ms: 700, operation: 'ExecuteBillQuery', times: 1 });
  const poller = world.service.client.workflow.getHandle(pollerWorkflowId(world.acctId, 'ER_ExpReimbursement'));
  const ms = (t?: { seconds?: unknown; nanos?: number | null } | null) =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  /** The wait (timer) after each poll that took at least 600 ms: started by the task that saw the poll's result. */
  const waitsAfterSlowPolls = async () => {
    const events = (await poller.fetchHistory()).events ?? [];
    return events.flatMap((event, index) => {
      const timer = event.timerStartedEventAttributes;
      const done = events
        .slice(0, index)
        .reverse()
        .find((e) => e.activityTaskCompletedEventAttributes);
      const scheduledId = String(done?.activityTaskCompletedEventAttributes?.scheduledEventId ?? '');
      const scheduled = events.find((e) => String(e.eventId) === scheduledId);
      if (!timer || !done || !scheduled || ms(done.eventTime) - ms(scheduled.eventTime) < 600) return [];
      return [ms(timer.startToFireTimeout)];
    });
  };
  const waits = await eventually(
    async () => {
      const found = await waitsAfterSlowPolls();
      return found.length > 0 ? found : undefined;
    },
    30_000,
    'a wait after the slow poll',
  );
  // The 1 s interval less the ≥ 600 ms the poll took (before: a whole second after every poll).
  for (const waitMs of waits) expect(waitMs).toBeLessThan(500);
});

it('finds a change saved late (an earlier FModifyDate) at the next interval’s poll while pushes keep asking for polls', async () => {
  const poller = world.service.client.workflow.getHandle(pollerWorkflowId(world.acctId, 'ER_ExpReimbursement'));
  world.submitExpense('FYBX000403', 99, '推送之间');
  await card('FYBX000403');
  // Committed now, stamped 30 s ago (a long transaction, a clock behind): before the cursor, inside the overlap.
  world.submitExpense('FYBX000404', 77, '迟到的提交', { stampedMsAgo: 30_000 });
  // Pushes all the while: their polls read from the cursor, past the late one; the interval's still reads the overlap.
  await eventually(
    async () => {
      await poller.signal(pollNowSignal, { reason: 'test: a push' });
      return world.dingtalk.cardsFor('lisi').some((c) => c.cardParamMap.billNo === 'FYBX000404');
    },
    15_000,
    'the late document’s card',
  );
  const inputs = activityInputs<PollerInput>((await poller.fetchHistory()).events ?? []);
  expect(inputs.some((input) => input.readFromCursor)).toBe(true);
  expect(await runsOf('FYBX000404')).toHaveLength(1);
});
