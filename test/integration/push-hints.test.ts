/**
 * The Kingdee push is a hint, never a command: it makes the form's poller read Kingdee now (starting the poller if
 * it is not running), and whatever the push says, only what Kingdee shows changes an approval. Pushes for forms the
 * bridge does not poll, for another account, or with oversized or path-like fields are refused with a 4xx and leave
 * nothing behind.
 */
import axios from 'axios';
import { signPush } from '../../api/kingdee-push';
import { pollerWorkflowId, type PollerInput } from '../../workflows/contract';
import { eventually } from '../helpers/eventually';
import { activityInputs } from '../helpers/history';
import { singleStepRules, testRules } from '../helpers/rules';
import { pushSecret, startWorld, type World } from '../helpers/world';

const form = 'ER_ExpReimbursement';
let world: World;
beforeAll(async () => {
  // Polls only when pushed (after the first): a change seen quickly can only come from a push.
  world = await startWorld({
    rules: testRules(`${singleStepRules}\ningestion: { pollInterval: 5m }\n`),
    pollers: false,
  });
});
afterAll(async () => {
  await world?.stop();
});

let clock = Date.now();
/** A signed push (a fresh timestamp each time, so no two are the same request). */
async function push(body: Record<string, unknown> | string) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const ts = String(Math.max(Date.now(), ++clock));
  clock = Number(ts);
  return axios.post(`${world.service.apiUrl}/kingdee/push`, raw, {
    headers: {
      'Content-Type': 'application/json',
      'x-kdb-timestamp': ts,
      'x-kdb-signature': signPush(pushSecret, ts, raw),
    },
    validateStatus: () => true,
    maxBodyLength: Infinity,
  });
}

const poller = () => world.service.client.workflow.getHandle(pollerWorkflowId(world.acctId, form));
/** Polls the poller's current run has finished. */
async function pollsDone(): Promise<number> {
  const history = await poller().fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes).length;
}

/** The pollNow signals the poller's current run received (their reasons). */
async function signals(): Promise<string[]> {
  const history = await poller().fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.workflowExecutionSignaledEventAttributes
      ? [JSON.stringify(e.workflowExecutionSignaledEventAttributes.input)]
      : [],
  );
}

/** Submits the bills, pushes the last one, and waits until each is awaiting approval. */
async function pushed(billNos: string[], amount: number): Promise<void> {
  billNos.forEach((billNo, i) => world.submitExpense(billNo, amount + i, '推送'));
  const answer = await push({ acctId: world.acctId, formId: form, billNo: billNos.at(-1)!, event: 'submit' });
  expect(answer.status).toBe(202);
  await Promise.all(
    billNos.map((billNo) =>
      world.waitForStage(`approval:${world.acctId}:${form}:${billNo}`, 'awaiting-approval', 30_000),
    ),
  );
}

/** The inputs of the polls of the poller's current run. */
async function pollInputs(): Promise<PollerInput[]> {
  return activityInputs<PollerInput>((await poller().fetchHistory()).events ?? []);
}

it('starts the poller of a polled form that is not running, and a "delete" push changes nothing while Kingdee shows B', async () => {
  const submitted = await push({ acctId: world.acctId, formId: form, billNo: 'FYBX000123', event: 'submit' });
  expect([submitted.status, submitted.data]).toEqual([202, { accepted: true }]);
  const id = `approval:${world.acctId}:${form}:FYBX000123`;
  await world.waitForStage(id, 'awaiting-approval', 30_000);
  const before = await eventually(async () => (await pollsDone()) || undefined, 15_000, 'the first poll');

  const deleted = await push({ acctId: world.acctId, formId: form, billNo: 'FYBX000123', event: 'delete' });
  expect(deleted.status).toBe(202);
  await eventually(async () => (await pollsDone()) > before, 15_000, 'the poll the push asked for');
  const state = await world.status(id);
  expect(state.stage).toBe('awaiting-approval');
  expect(state.log.filter((e) => e.action === 'externalChange')).toEqual([]);
  expect(world.kingdee.getDocument(form, 'FYBX000123')?.status).toBe('B');
  expect(world.dingtalk.cardsFor('lisi').every((c) => !String(c.cardParamMap.result ?? '').includes('删除'))).toBe(
    true,
  );

  // What Kingdee shows is what counts: withdrawn there, the next push makes the poller see it at once.
  world.kingdee.setStatus(form, 'FYBX000123', 'A');
  expect((await push({ acctId: world.acctId, formId: form, billNo: 'FYBX000123', event: 'save' })).status).toBe(202);
  const closed = await world.waitForStage(id, 'closed-in-kingdee', 15_000);
  expect(closed.log.find((e) => e.action === 'externalChange')?.details).toMatchObject({ source: 'poll', status: 'A' });
});

it('a push while the poller is between runs (not running) starts it again instead of a 503', async () => {
  await eventually(async () => (await poller().describe()).status.name === 'RUNNING');
  await poller().terminate('test: the poller between runs');
  const accepted = await push({ acctId: world.acctId, formId: form, billNo: 'FYBX000100', event: 'audit' });
  expect([accepted.status, accepted.data]).toEqual([202, { accepted: true }]);
  expect((await poller().describe()).status.name).toBe('RUNNING');
});

it('answers every push of a concurrent burst and starts every document, the pushes sharing poll-now signals', async () => {
  // The poller running (a push starts it when it is not), and the signals it has had so far.
  expect((await push({ acctId: world.acctId, formId: form, billNo: 'FYBX000100', event: 'save' })).status).toBe(202);
  const before = (await signals()).length;
  const billNos = Array.from({ length: 30 }, (_, i) => `FYBX${800_001 + i}`);
  billNos.forEach((billNo, i) => world.submitExpense(billNo, 200 + i, '推送批量'));
  const answers = await Promise.all(
    billNos.map((billNo) => push({ acctId: world.acctId, formId: form, billNo, event: 'submit' })),
  );
  expect(answers.map((a) => a.status)).toEqual(billNos.map(() => 202));
  // One signal per push before: 30. Now those that arrive while one is on its way share the next.
  // Pushes that arrived while a signal was on its way shared the next one (how many depends on timing; the
  // sharing itself: test/unit/group-commit.test.ts). At least one signal came after the last push arrived.
  const sent = (await signals()).slice(before);
  expect(sent.length).toBeGreaterThanOrEqual(1);
  expect(sent.length).toBeLessThanOrEqual(billNos.length);
  // Nothing is lost: the polls they asked for start every document.
  await eventually(
    async () => {
      const states = await Promise.all(
        billNos.map((b) => world.status(`approval:${world.acctId}:${form}:${b}`).catch(() => undefined)),
      );
      return states.every((state) => state?.stage === 'awaiting-approval');
    },
    30_000,
    'every pushed document awaiting approval',
  );
});

it('refuses unknown forms and accounts (422) and path-like or oversized fields (400), recording nothing', async () => {
  const signalsBefore = await signals();
  const refusals = await Promise.all([
    push({ acctId: world.acctId, formId: 'AP_PAYBILL', billNo: 'FKD000045', event: 'submit' }),
    push({ acctId: 'someone-else', formId: form, billNo: 'FYBX000123', event: 'submit' }),
    push({ acctId: world.acctId, formId: '../../etc/passwd', billNo: 'FYBX000123', event: 'submit' }),
    push({ acctId: world.acctId, formId: 'ER_ExpReimbursement/../x', billNo: 'FYBX000123', event: 'submit' }),
    push({ acctId: world.acctId, formId: form, billNo: 'F'.repeat(81), event: 'submit' }),
    push({ acctId: world.acctId, formId: form, billNo: 'F'.repeat(200 * 1024), event: 'submit' }),
    push({ acctId: world.acctId, formId: form, billNo: 'FYBX\u0000123', event: 'submit' }),
    push({ acctId: world.acctId, formId: form, billNo: 'FYBX000123', billId: 'x'.repeat(65), event: 'submit' }),
  ]);
  expect(refusals.map((r) => [r.status, r.data.error.code])).toEqual([
    [422, 'unknown-form'],
    [422, 'unknown-account'],
    [400, 'invalid-input'],
    [400, 'invalid-input'],
    [400, 'invalid-input'],
    [400, 'invalid-input'],
    [400, 'invalid-input'],
    [400, 'invalid-input'],
  ]);
  expect(refusals[0].data.error.message).toMatch(/AP_PAYBILL is not polled by this bridge/);
  expect(refusals[4].data.error.message).toMatch(/billNo/);
  await expect(
    world.service.client.workflow.getHandle(pollerWorkflowId(world.acctId, 'AP_PAYBILL')).describe(),
  ).rejects.toThrow(/not found/i);
  expect(await signals()).toEqual(signalsBefore);
  expect(JSON.stringify(await poller().fetchHistory())).not.toMatch(/FFFFFFFFFF|passwd/);
});

it('a push’s poll reads from the last change seen, not the two minutes before it, and carries only what it can meet', async () => {
  const rowsRead = () => world.kingdee.stats().rowsRead.ExecuteBillQuery ?? 0;
  // Ten documents saved together a moment ago, then one more: the last change seen.
  await pushed(
    Array.from({ length: 10 }, (_, i) => `FYBX${810_001 + i}`),
    310,
  );
  await pushed(['FYBX810011'], 330);
  const pollsBefore = await pollsDone();
  const rowsBefore = rowsRead();

  await pushed(['FYBX810012'], 340);
  await eventually(async () => (await pollsDone()) > pollsBefore, 15_000, 'the poll the push asked for');
  // The ten are not read again: the new document, and the one saved at the instant of the last change seen (twice if
  // the push before asked for a second poll). Before: every poll re-read the two minutes before it (43 rows in this file,
  // thousands in a busy hour), and carried every version it had seen in them in and out.
  expect(rowsRead() - rowsBefore).toBeLessThanOrEqual(3);
  const inputs = await pollInputs();
  const last = inputs.at(-1)!;
  expect(last.readFromCursor).toBe(true);
  expect(last.seen).toEqual([expect.stringMatching(/^FYBX810011\|/)]);
  // The run's first poll read the overlap.
  expect(inputs[0]!.readFromCursor).toBeUndefined();
});

it('a push finds its own bill though it was saved stamped before the last change seen (a late commit)', async () => {
  await pushed(['FYBX810021'], 350); // the cursor: now
  // Committed now, stamped 30 s ago: a cursor read alone would pass it by, and the overlap is read every 5 minutes.
  world.submitExpense('FYBX810022', 360, '迟到的提交', { stampedMsAgo: 30_000 });
  expect((await push({ acctId: world.acctId, formId: form, billNo: 'FYBX810022', event: 'submit' })).status).toBe(202);
  await world.waitForStage(`approval:${world.acctId}:${form}:FYBX810022`, 'awaiting-approval', 15_000);
  // Asked for by number in one read, then no more: the next push's poll asks for its own bill only.
  await pushed(['FYBX810023'], 370);
  const inputs = await pollInputs();
  const asking = (billNo: string) => inputs.filter((input) => input.pushedBills?.includes(billNo)).length;
  expect([asking('FYBX810022'), asking('FYBX810023')]).toEqual([1, 1]);
});
