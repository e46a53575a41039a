/**
 * A decision answered "received" survives anything: clicks made while Temporal is down are fsync'd to the decision
 * journal in DATA_DIR before DingTalk gets its answer; the bridge is then stopped, a new bridge is started on the same
 * DATA_DIR while Temporal is still down (it waits, it does not die), Temporal comes back with its database, and every
 * document is audited exactly once in the Kingdee emulator. Also: a decision for an approval that has ended says how
 * it ended, one made while Temporal is unreachable is stored at once (the Update is not waited for), and one that
 * can be neither handed over nor stored is answered "unavailable".
 * A private Temporal dev server with a database file, so it can be stopped and restarted with its state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../../scripts/temporal-cli';
import { ApprovalService } from '../../temporal/approvals';
import { decisionJournalFile, readDecisionJournal } from '../../temporal/decision-journal';
import { eventually } from '../helpers/eventually';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

const bills = ['FYBX000601', 'FYBX000602', 'FYBX000603'];
let dir: string;
let port: number;
let server: DevServer | undefined;
let world: World | undefined;

const startTemporal = async () => {
  server = await startDevServer({ ui: false, port, dbFilename: path.join(dir, 'temporal.db'), log: () => undefined });
  return server;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kdb-durable-'));
  port = await freePort();
  await startTemporal();
  world = await startWorld({
    rules: testRules(singleStepRules),
    temporalAddress: server!.address,
    dataDir: path.join(dir, 'data'),
  });
}, 120_000);

afterAll(async () => {
  await world?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

it('keeps clicks made while Temporal is down through a bridge restart: each document audited exactly once', async () => {
  const w = world!;
  const ids: string[] = [];
  for (const billNo of bills) {
    w.submitExpense(billNo, 100, '差旅费');
    ids.push(await w.startApproval('ER_ExpReimbursement', billNo));
  }
  const cards = await Promise.all(
    bills.map((billNo) =>
      eventually(
        () =>
          w.dingtalk
            .cardsFor('lisi')
            .find((c) => c.cardParamMap.billNo === billNo && c.cardParamMap.status === 'pending'),
        20_000,
        `李四's card for ${billNo}`,
      ),
    ),
  );

  await server!.stop(); // Temporal goes down
  for (const card of cards) {
    const clicked = await w.dingtalk.click(card.outTrackId, {
      userId: 'lisi',
      actionId: 'approve',
      params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId },
    });
    // Answered within DingTalk's 2 s callback deadline: the emulator, like DingTalk, fails a callback that takes longer.
    expect(clicked.lastCallback).toMatchObject({ ok: true });
    expect(clicked.cardParamMap.status).toBe('processing'); // "received, processing"
  }
  // Received means on disk: the journal holds the three decisions, in click order.
  const journal = decisionJournalFile(w.settings.dataDir, w.settings.temporal.namespace, w.taskQueue);
  expect(readDecisionJournal(journal).map((e) => [e.data.workflowId, e.data.decision.userId])).toEqual(
    ids.map((id) => [id, 'lisi']),
  );

  await w.stopService(); // the bridge goes away with the decisions only in the journal
  let started = false;
  let failed: unknown;
  const restart = w.startService().then(
    () => void (started = true),
    (err: unknown) => void (failed = err),
  );
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect([started, failed]).toEqual([false, undefined]); // Temporal still down: the new bridge waits, alive

  await startTemporal(); // Temporal is back, with its database
  await restart;
  expect(failed).toBeUndefined();

  for (const [index, id] of ids.entries()) {
    await w.waitForStage(id, 'approved', 60_000);
    expect(w.kingdee.getDocument('ER_ExpReimbursement', bills[index]!)?.status).toBe('C');
    expect(w.kingdee.stats().byDocument[bills[index]!]).toEqual({ Audit: 1 });
    expect((await w.status(id)).log.filter((e) => e.action === 'approve').map((e) => e.actor)).toEqual(['lisi']);
  }
  await eventually(() => readDecisionJournal(journal).length === 0, 10_000, 'the journal to be empty');

  // A decision for an approval that has ended says how it ended.
  const again = await w.service.approvals.decide(ids[0]!, {
    userId: 'lisi',
    action: 'approve',
    channel: 'card',
    stepId: cards[0]!.cardParamMap.stepId,
  });
  expect(again).toMatchObject({ kind: 'ended', execution: 'Completed', state: { stage: 'approved' } });
  expect(w.kingdee.stats().byDocument[bills[0]!]).toEqual({ Audit: 1 });
}, 240_000);

it('stores a decision at once while Temporal is unreachable, without waiting out the Update’s deadline', async () => {
  const calls: string[] = []; // the gRPC methods the bridge's client called
  const connection = Connection.lazy({
    address: `127.0.0.1:${await freePort()}`, // nothing listens there
    interceptors: [
      (options, nextCall) => {
        calls.push(options.method_definition.path.split('/').pop()!);
        return nextCall(options) as ReturnType<GrpcInterceptor>;
      },
    ],
  });
  const journalDir = mkdtempSync(path.join(tmpdir(), 'kdb-journal-'));
  const journalFile = path.join(journalDir, 'decision-journal.jsonl');
  const approvals = new ApprovalService(new Client({ connection }), {
    taskQueue: world!.taskQueue,
    journalFile,
    decideDeadlineMs: 120_000,
  });
  await approvals.startJournalReplay();
  try {
    // A bridge's connection learns that Temporal is gone from its calls failing (here: one).
    await connection
      .withDeadline(Date.now() + 300, () => connection.workflowService.getSystemInfo({}))
      .catch(() => undefined);
    const outcome = await approvals.decide('approval:x:ER_ExpReimbursement:FYBX000698', {
      userId: 'lisi',
      action: 'approve',
      channel: 'card',
    });
    expect(outcome).toEqual({ kind: 'queued' });
    expect(calls).not.toContain('UpdateWorkflowExecution'); // not tried: it would only wait out its deadline
    expect(readDecisionJournal(journalFile).map((e) => e.data.workflowId)).toEqual([
      'approval:x:ER_ExpReimbursement:FYBX000698',
    ]);
  } finally {
    await approvals.stopJournalReplay();
    await connection.close();
    rmSync(journalDir, { recursive: true, force: true });
  }
}, 30_000);

it('answers "unavailable" when Temporal cannot take a decision and it cannot be stored either', async () => {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` }); // nothing listens there
  const approvals = new ApprovalService(new Client({ connection }), {
    taskQueue: world!.taskQueue,
    journalFile: '/dev/null/decision-journal.jsonl', // cannot be created
    decideDeadlineMs: 300,
    signalDeadlineMs: 300,
  });
  await approvals.startJournalReplay();
  try {
    const outcome = await approvals.decide('approval:x:ER_ExpReimbursement:FYBX000699', {
      userId: 'lisi',
      action: 'approve',
      channel: 'card',
    });
    expect(outcome).toEqual({ kind: 'unavailable' });
  } finally {
    await approvals.stopJournalReplay();
    await connection.close();
  }
});
