/**
 * One delivery path for every notice, idempotent and paced — on the real dev server with the real service against
 * both emulators. The approval workflow enqueues (notifyUsers / notifyGroup) and moves on; the outbox workflows send.
 * The robot "minute" is shortened for the emulator and the outboxes alike; the quota stays 20 messages per minute.
 */
import { Context } from '@temporalio/activity';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { ApplicationFailure } from '@temporalio/common';
import {
  createNoticeActivities,
  enqueueNotices,
  type NoticeActivities,
  type NoticeActivityDeps,
  type OutboxDeps,
} from '../../activities/notices';
import type { Rules } from '../../rules';
import { outageAlertAfterMs, pollerWorkflow } from '../../workflows/poller';
import { silentLogger } from '../../common/logger';
import type { DingTalkClient } from '../../integrations/dingtalk';
import { createNoticeWorker } from '../../workers/worker';
import {
  outboxStatusQuery,
  outboxWorkflowId,
  type ApprovalState,
  type NoticeChannel,
  type PollerInput,
  type PollResult,
  type QueuedNotice,
} from '../../workflows/contract';
import { noticeCardTemplateId } from '../../domain/texts/merged-notices';
import { eventually } from '../helpers/eventually';
import { localActivityMarkers } from '../helpers/history';
import { singleStepRules, testRules } from '../helpers/rules';
import { startWorld, type World } from '../helpers/world';
import {
  connectClient,
  startTestWorker,
  temporalAddress,
  temporalNamespace,
  type TestTemporal,
  type TestWorker,
} from '../helpers/temporal';

/** The cashier group is also reachable by cards: a robot without a webhook, so the app robot sends it cards. */
const cashierCardsRobot = 'robots: { cashierCards: { openConversationId: cidCashier } }';
const rules = testRules(singleStepRules, cashierCardsRobot);
/** Each approval told to the cashier group twice: by its webhook robot, and as a card through cashierCards. */
const cashierNoticeAsCardToo = `
forms:
  ER_ExpReimbursement:
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款：{单号}
      - to: { robot: cashierCards }
        text: 付款提醒：{单号}
`;

const billPattern = /FYBX\d{6}/g;

/** For each bill, how many of the group's robot messages name it (a message naming it twice counts once). */
function messagesPerBill(world: World, groupId: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of world.dingtalk.messagesFor({ groupId }).filter((m) => m.kind === 'robot')) {
    for (const bill of new Set(message.text.match(billPattern) ?? [])) counts.set(bill, (counts.get(bill) ?? 0) + 1);
  }
  return counts;
}

/** Submit, start and approve these bills (lisi approves through the API), in parallel. */
async function approveAll(world: World, billNos: string[]): Promise<string[]> {
  const ids = await Promise.all(
    billNos.map((billNo, i) => {
      world.submitExpense(billNo, 100 + i, '差旅费');
      return world.startApproval('ER_ExpReimbursement', billNo);
    }),
  );
  await eventually(
    () => billNos.every((billNo) => world.dingtalk.cardsFor('lisi').some((c) => c.cardParamMap.billNo === billNo)),
    30_000,
    'every card to reach lisi',
  );
  await Promise.all(
    ids.map((id) => world.service.approvals.decide(id, { userId: 'lisi', action: 'approve', channel: 'api' })),
  );
  return ids;
}

/** Every approval at the stage, without waiting for its notices (world.waitForStage waits for them too). */
function allAt(world: World, ids: string[], stage: ApprovalState['stage'], timeoutMs = 30_000) {
  return eventually(
    async () => {
      const states = await Promise.all(ids.map((id) => world.status(id)));
      return states.every((s) => s.stage === stage) ? states : undefined;
    },
    timeoutMs,
    `${ids.length} approvals to be ${stage}`,
  );
}

const bills = (prefix: number, count: number) =>
  Array.from({ length: count }, (_, i) => `FYBX${String(prefix * 1000 + i + 1).padStart(6, '0')}`);

describe('under a DingTalk rate-limit storm', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ rules, robotMinuteMs: 3_000 });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('approvals finish without waiting for DingTalk, and every notice arrives exactly once when it lets up', async () => {
    const billNos = bills(301, 6);
    // Every robot post and every work notification is refused until the storm ends.
    world.dingtalk.faults.push(
      { kind: 'rateLimit', path: '/robot/send' },
      { kind: 'rateLimit', path: '/topapi/message/corpconversation/asyncsend_v2' },
    );
    const ids = await approveAll(world, billNos);
    await allAt(world, ids, 'approved'); // nothing on the approvers' path waits for DingTalk's quota
    expect(world.kingdee.stats().byDocument[billNos[0]!]).toEqual({ Audit: 1 });

    const cashier = world.service.client.workflow.getHandle(
      outboxWorkflowId(world.taskQueue, { kind: 'robot', robot: 'cashier' }),
    );
    await eventually(async () => (await cashier.query(outboxStatusQuery)).totals.rateLimited > 0, 15_000);
    expect(messagesPerBill(world, 'cidCashier').size).toBe(0);

    world.dingtalk.faults = [];
    await world.noticesDelivered(90_000);
    const perBill = messagesPerBill(world, 'cidCashier');
    expect(billNos.map((billNo) => [billNo, perBill.get(billNo)])).toEqual(billNos.map((billNo) => [billNo, 1]));
    const applicant = world.dingtalk
      .messagesFor({ userId: 'zhangsan' })
      .filter((m) => billNos.some((billNo) => m.text.includes(billNo)));
    expect(applicant.filter((m) => m.dropped)).toEqual([]);
    for (const billNo of billNos) expect(applicant.filter((m) => m.text.includes(billNo))).toHaveLength(1);
    const status = await cashier.query(outboxStatusQuery);
    expect(status).toMatchObject({ pending: 0, retrying: 0, problems: [] });
    expect(status.totals.notices).toBe(billNos.length);
  }, 150_000);

  it('does not resend a robot post whose outcome is unknown: the group gets it once, ops are told once', async () => {
    const billNo = 'FYBX301901';
    // DingTalk answers the cashier post after the client has given up (10 s): it was posted, the bridge cannot know.
    world.dingtalk.faults.push({ kind: 'latency', path: '/robot/send', ms: 11_000, times: 1 });
    const [id] = await approveAll(world, [billNo]);
    await world.waitForStage(id!, 'approved', 60_000);
    await eventually(() => messagesPerBill(world, 'cidCashier').get(billNo) === 1, 10_000, 'the late post');
    const alertsNow = () =>
      world.dingtalk.messagesFor({ groupId: 'cidOps' }).filter((m) => m.title?.startsWith('【需要核对】'));
    const alerts = await eventually(() => alertsNow().length > 0 && alertsNow(), 15_000, 'the ops alert');
    expect(alerts.map((m) => m.title)).toEqual([`【需要核对】请出纳安排报销付款：${billNo}`]);
    expect(alerts[0]!.text).toContain('不会自动重发');
    const status = await world.service.client.workflow
      .getHandle(outboxWorkflowId(world.taskQueue, { kind: 'robot', robot: 'cashier' }))
      .query(outboxStatusQuery);
    expect(status).toMatchObject({ pending: 0, retrying: 0, inFlight: 0 }); // nothing left to send it again
    expect(status.problems).toMatchObject([{ problem: 'uncertain', title: `请出纳安排报销付款：${billNo}`, count: 1 }]);
    await world.noticesDelivered();
    expect(alertsNow()).toHaveLength(1);
    expect(messagesPerBill(world, 'cidCashier').get(billNo)).toBe(1);
  }, 90_000);
});

describe('a burst of approvals', () => {
  let world: World;
  const minuteMs = 10_000;
  beforeAll(async () => {
    world = await startWorld({ rules, robotMinuteMs: minuteMs });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('merges the cashier notices when they exceed 20 a minute: every bill exactly once, ≤ 20 messages a minute', async () => {
    const billNos = bills(302, 32);
    const ids = await approveAll(world, billNos);
    await allAt(world, ids, 'approved', 60_000);
    await world.noticesDelivered(90_000);

    const perBill = messagesPerBill(world, 'cidCashier');
    expect(billNos.filter((billNo) => perBill.get(billNo) !== 1)).toEqual([]);
    const messages = world.dingtalk.messagesFor({ groupId: 'cidCashier' });
    expect(messages.length).toBeLessThan(billNos.length);
    const merged = messages.filter((m) => new Set(m.text.match(billPattern)).size > 1);
    expect(merged.length).toBeGreaterThan(0);
    expect(merged[0]!.text).toMatch(/以下 \d+ 条「请出纳安排报销付款」通知合并为一条/);
    const times = messages.map((m) => m.at);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + minuteMs).length));
    expect(busiest).toBeLessThanOrEqual(20);
    const status = await world.service.client.workflow
      .getHandle(outboxWorkflowId(world.taskQueue, { kind: 'robot', robot: 'cashier' }))
      .query(outboxStatusQuery);
    expect(status.totals).toMatchObject({ notices: billNos.length, rateLimited: 0, uncertain: 0, failed: 0 });
    expect(status.totals.merged).toBeGreaterThan(1);
  }, 180_000);
});

describe('a retried enqueue', () => {
  let world: World;
  let forced = 0;
  beforeAll(async () => {
    const wrap = (activities: Activities): Activities => ({
      ...activities,
      // The notices are enqueued, then the activity fails on its first attempt: Temporal retries it.
      async handOverNotices(input) {
        const result = await activities.handOverNotices(input);
        if (input.items.some((item) => item.robot?.name === 'cashier') && Context.current().info.attempt === 1) {
          forced += 1;
          throw new Error('forced failure after signalWithStart');
        }
        return result;
      },
    });
    world = await startWorld({
      rules: testRules(singleStepRules, cashierCardsRobot, cashierNoticeAsCardToo),
      wrapActivities: wrap as <T extends object>(activities: T) => T,
    });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('still posts the notice once; a group without a webhook gets it as a card, exactly once', async () => {
    const [id] = await approveAll(world, ['FYBX303001']);
    await world.waitForStage(id!, 'approved', 30_000);
    expect(forced).toBe(1);
    const history = await world.service.client.workflow.getHandle(id!).fetchHistory();
    // The hand-over runs as a local activity: its marker records the attempt that succeeded.
    const retried = localActivityMarkers(history.events ?? []).filter(
      (marker) => marker.type === 'handOverNotices' && marker.attempt > 1,
    );
    expect(retried.length).toBeGreaterThan(0);
    expect(messagesPerBill(world, 'cidCashier').get('FYBX303001')).toBe(1);
    // The applicant's notice went in the same hand-over, twice: the outbox took it once (its id comes from its key).
    const applicantNotices = () =>
      world.dingtalk.messagesFor({ userId: 'zhangsan' }).filter((m) => m.title?.includes('FYBX303001'));
    await eventually(() => applicantNotices().length > 0, 30_000, 'the applicant’s notice');
    expect(applicantNotices().map((m) => m.title)).toEqual(['费用报销单 FYBX303001 已审批通过']);

    const cards = world.dingtalk
      .cardsFor()
      .filter((c) => c.templateId === noticeCardTemplateId && c.cardParamMap.title?.includes('FYBX303001'));
    expect(cards.map((c) => [c.groupIds, c.cardParamMap.title])).toEqual([[['cidCashier'], '付款提醒：FYBX303001']]);
  }, 90_000);
});

interface NoticeWorld {
  temporal: TestTemporal;
  workflows: TestWorker;
  outbox: OutboxDeps;
  /** Robot posts DingTalk got: [robot, title, text]. */
  posts: Array<[string, string, string]>;
  /** Work notices DingTalk got: [recipients, title]. */
  workNotices: Array<[string[], string]>;
  /** The details of every heartbeat the notice activities recorded through the client (their marks). */
  marks: unknown[];
  stop(): Promise<void>;
}

/**
 * The workflows (with `activities`) on a task queue of their own, and the real notice activities on its notices queue
 * with DingTalk replaced by a recorder; `wrap` may change the notice activities, `beforePost` delay a robot request.
 */
async function startNoticeWorld(options: {
  activities?: object;
  rules?: Partial<NoticeActivityDeps['rules']>;
  wrap?: (activities: NoticeActivities) => NoticeActivities;
  beforePost?: () => Promise<void>;
}): Promise<NoticeWorld> {
  const temporal = await connectClient();
  const workflows = await startTestWorker(options.activities ?? {});
  const outbox: OutboxDeps = { client: temporal.client, taskQueue: workflows.taskQueue, minuteMs: 3_000 };
  const posts: Array<[string, string, string]> = [];
  const workNotices: Array<[string[], string]> = [];
  const marks: unknown[] = [];
  const heartbeat = temporal.client.activity.heartbeat.bind(temporal.client.activity);
  // The notice activities heartbeat by task token (activities/notices.ts); record their details on the way.
  temporal.client.activity.heartbeat = ((taskToken: Uint8Array, details?: unknown) => {
    marks.push(details);
    return heartbeat(taskToken, details);
  }) as typeof temporal.client.activity.heartbeat;
  const dingtalk = {
    async sendRobotMessageOnce(robot: string, message: { markdown: { title: string; text: string } }) {
      await options.beforePost?.();
      posts.push([robot, message.markdown.title, message.markdown.text]);
    },
    sendWorkNotification(input: { userIds: string[]; msg: { markdown: { title: string } } }) {
      workNotices.push([input.userIds, input.msg.markdown.title]);
      return Promise.resolve();
    },
  } as unknown as DingTalkClient;
  const activities = createNoticeActivities({
    dingtalk,
    logger: silentLogger,
    rules: {
      ops: { robot: 'ops', users: [] },
      robots: { ops: { webhook: 'ops' }, cashier: { webhook: 'cashier' } },
      ...options.rules,
    },
    outbox,
    cardCallback: { type: 'STREAM' },
    cardTemplates: { approval: 'kdb-approval-card' },
  });
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const noticeWorker: Worker = await createNoticeWorker({
    connection,
    namespace: temporalNamespace(),
    taskQueue: workflows.taskQueue,
    activities: options.wrap ? options.wrap(activities) : activities,
  });
  const run = noticeWorker.run();
  return {
    temporal,
    workflows,
    outbox,
    posts,
    workNotices,
    marks,
    async stop() {
      noticeWorker.shutdown();
      await run.catch(() => undefined);
      await connection.close();
      await workflows.stop();
      await temporal.close();
    },
  };
}

/**
 * The outbox and the real sendNotice on the test server, DingTalk replaced by a recorder: a send whose worker stops
 * before its request (killed, frozen) times out without the request-sent marker and is sent again; a send that
 * stops after it may have been posted and is reported, never sent again. (The drill does the same with kill -9.)
 */
describe('a send that never finished', () => {
  let world: NoticeWorld;
  /** What the next sendNotice / the next robot request does instead of its work: hang until released. */
  let freezeNextSend = false;
  let hangNextRequest = false;
  let freezeAfterNextSend = false;
  const frozen: Array<() => void> = [];
  const hang = () =>
    new Promise<never>((_, reject) => {
      frozen.push(() => reject(new Error('released after the test')));
    });

  beforeAll(async () => {
    world = await startNoticeWorld({
      beforePost: async () => {
        if (!hangNextRequest) return;
        hangNextRequest = false;
        await hang(); // the request went out; no answer ever comes
      },
      // A worker that stops before the request: nothing recorded, nothing sent.
      wrap: (activities) => ({
        ...activities,
        async sendNotice(input) {
          if (freezeNextSend) {
            freezeNextSend = false;
            return hang();
          }
          const result = await activities.sendNotice(input);
          // A worker that stops after DingTalk took the message, before Temporal has the result.
          if (freezeAfterNextSend) {
            freezeAfterNextSend = false;
            return hang();
          }
          return result;
        },
      }),
    });
  });
  afterAll(async () => {
    for (const release of frozen) release();
    await world?.stop();
  });

  const cashier: NoticeChannel = { kind: 'robot', robot: 'cashier' };
  const enqueue = (billNo: string) => {
    const notice: QueuedNotice = {
      id: `n-${billNo}`,
      title: `请出纳安排报销付款：${billNo}`,
      text: `请出纳安排报销付款：${billNo}`,
      summary: billNo,
      origin: 'test',
    };
    return enqueueNotices(world.outbox, cashier, [notice]);
  };
  const status = () =>
    world.temporal.client.workflow
      .getHandle(outboxWorkflowId(world.workflows.taskQueue, cashier))
      .query(outboxStatusQuery);
  const postsOf = (robot: string, billNo: string) => world.posts.filter(([r, t]) => r === robot && t.includes(billNo));

  it('is sent again when its request never left: the group gets it once, ops are not bothered', async () => {
    freezeNextSend = true;
    await enqueue('FYBX304001');
    await eventually(() => postsOf('cashier', 'FYBX304001').length > 0, 60_000, 'the post sent again');
    expect(freezeNextSend).toBe(false); // the first send did freeze
    await eventually(async () => (await status()).inFlight === 0, 10_000);
    expect(await status()).toMatchObject({ pending: 0, retrying: 0, problems: [] });
    expect((await status()).totals).toMatchObject({ messages: 1, uncertain: 0, failed: 0 });
    expect(postsOf('cashier', 'FYBX304001')).toHaveLength(1);
    expect(world.posts.filter(([robot]) => robot === 'ops')).toEqual([]);
  }, 90_000);

  it('is counted as sent when DingTalk took it and only the result was lost: not sent again, no alert', async () => {
    const before = await status().then(
      (s) => s.totals.messages,
      () => 0, // no outbox yet
    );
    freezeAfterNextSend = true;
    await enqueue('FYBX304003');
    await eventually(async () => (await status()).totals.messages === before + 1, 60_000, 'the send to count');
    expect(freezeAfterNextSend).toBe(false);
    expect(await status()).toMatchObject({ pending: 0, retrying: 0, inFlight: 0, problems: [] });
    expect(postsOf('cashier', 'FYBX304003')).toHaveLength(1);
    expect(world.posts.filter(([robot]) => robot === 'ops')).toEqual([]);
  }, 90_000);

  it('is not sent again once its request may have left: reported once as uncertain', async () => {
    hangNextRequest = true;
    await enqueue('FYBX304002');
    const alert = await eventually(() => postsOf('ops', 'FYBX304002')[0], 90_000, 'the ops alert');
    expect(alert[1]).toBe('【需要核对】请出纳安排报销付款：FYBX304002');
    expect((await status()).problems).toMatchObject([{ problem: 'uncertain', key: 'n-FYBX304002' }]);
    expect(await status()).toMatchObject({ pending: 0, retrying: 0, inFlight: 0 });
    expect(postsOf('cashier', 'FYBX304002')).toEqual([]); // the hung request is the only one there ever was
  }, 120_000);
});

/**
 * What a send records with Temporal besides its result: a custom robot's post marks both that its request is leaving
 * and that DingTalk took it (a post whose result is lost is then not reported as uncertain); a work notice only the
 * first — one whose result is lost is sent again unchanged, and DingTalk drops the repeat — one call to Temporal less.
 */
describe('the marks a send records', () => {
  let world: NoticeWorld;
  beforeAll(async () => {
    world = await startNoticeWorld({});
  });
  afterAll(async () => {
    await world?.stop();
  });
  const notice = (billNo: string, userIds?: string[]): QueuedNotice => ({
    id: `m-${billNo}`,
    title: `已审批通过：${billNo}`,
    text: `已审批通过：${billNo}`,
    summary: billNo,
    origin: 'test',
    ...(userIds ? { userIds } : {}),
  });

  it('are request-sent and delivered for a robot post, request-sent alone for a work notice', async () => {
    await enqueueNotices(world.outbox, { kind: 'robot', robot: 'cashier' }, [notice('FYBX305001')]);
    await eventually(() => world.posts.some(([, title]) => title.includes('FYBX305001')), 30_000, 'the post');
    await eventually(() => world.marks.length === 2, 10_000, 'the robot send’s marks');
    expect(world.marks).toEqual(['request-sent', 'delivered']);

    world.marks.length = 0;
    await enqueueNotices(world.outbox, { kind: 'workNotice' }, [notice('FYBX305002', ['zhangsan'])]);
    await eventually(() => world.workNotices.length === 1, 30_000, 'the work notice');
    const outbox = world.temporal.client.workflow.getHandle(
      outboxWorkflowId(world.workflows.taskQueue, { kind: 'workNotice' }),
    );
    await eventually(async () => (await outbox.query(outboxStatusQuery)).totals.messages === 1, 10_000, 'counted');
    expect(world.workNotices).toEqual([[['zhangsan'], '已审批通过：FYBX305002']]);
    expect(world.marks).toEqual(['request-sent']);
  }, 90_000);
});

/**
 * Many approvals handing notices to the same outbox at once (a month-end burst's finishing tasks): they share enqueue
 * signals instead of queueing one by one on the outbox in Temporal, and every notice is still posted exactly once.
 */
describe('concurrent hand-overs to one outbox', () => {
  let world: NoticeWorld;
  beforeAll(async () => {
    world = await startNoticeWorld({});
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('share signals: 30 notices enqueued at once reach the outbox in two signals, each posted once', async () => {
    const cashier: NoticeChannel = { kind: 'robot', robot: 'cashier' };
    const billNos = bills(305, 30);
    await Promise.all(
      billNos.map((billNo) =>
        enqueueNotices(world.outbox, cashier, [
          { id: `n-${billNo}`, title: `请出纳安排报销付款：${billNo}`, text: billNo, summary: billNo, origin: 'test' },
        ]),
      ),
    );
    const postsPerBill = () => {
      const counts = new Map<string, number>();
      for (const [, , text] of world.posts)
        for (const bill of new Set(text.match(billPattern) ?? [])) counts.set(bill, (counts.get(bill) ?? 0) + 1);
      return billNos.map((billNo) => counts.get(billNo) ?? 0);
    };
    await eventually(() => postsPerBill().every((n) => n > 0), 60_000, 'every bill posted');
    const outbox = world.temporal.client.workflow.getHandle(outboxWorkflowId(world.workflows.taskQueue, cashier));
    await eventually(async () => {
      const status = await outbox.query(outboxStatusQuery);
      return status.pending === 0 && status.inFlight === 0;
    }, 10_000);
    expect(postsPerBill()).toEqual(billNos.map(() => 1));
    const history = await outbox.fetchHistory();
    const signals = (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes);
    // The first enqueue's own signal, then one for the 29 that came while it was on its way.
    expect(signals.length).toBe(2);
  }, 90_000);
});

/**
 * A Kingdee outage as the pollers see it (workflows/poller.ts), with pollForm replaced by one that fails while
 * Kingdee is "down": ops get one alert once reads have failed for a minute — from the first polled form's poller
 * only, though every poller sees it — and one "recovered" message when reads work again. Never one per poll.
 */
describe('a Kingdee outage', () => {
  let world: NoticeWorld;
  let down = true;
  const polls = new Map<string, number>();
  const forms = ['ER_ExpReimbursement', 'AP_PAYBILL'];

  beforeAll(async () => {
    world = await startNoticeWorld({
      activities: {
        async pollForm(input: PollerInput): Promise<PollResult> {
          polls.set(input.formId, (polls.get(input.formId) ?? 0) + 1);
          if (down) throw ApplicationFailure.create({ type: 'KingdeeNetworkError', message: 'socket hang up' });
          return { seen: input.seen ?? [], lastStatus: input.lastStatus ?? {}, started: 0, signalled: 0, notified: 0 };
        },
      },
      rules: {
        ingestion: { forms, pollIntervalMs: 1_000, overlapMs: 0 },
        forms: { ER_ExpReimbursement: { name: '费用报销单' } } as unknown as Rules['forms'],
        calendar: { offsetMinutes: 480 } as Rules['calendar'],
      },
    });
  });
  afterAll(async () => {
    for (const formId of forms)
      await world?.temporal.client.workflow
        .getHandle(`test-poller:${formId}:${world.workflows.taskQueue}`)
        .terminate()
        .catch(() => undefined);
    await world?.stop();
  });

  it('tells ops once when it lasts, and once when it is over', async () => {
    const started = Date.now();
    for (const formId of forms)
      await world.temporal.client.workflow.start(pollerWorkflow, {
        taskQueue: world.workflows.taskQueue,
        workflowId: `test-poller:${formId}:${world.workflows.taskQueue}`,
        args: [{ acctId: 'acct1', formId, intervalMs: 1_000, overlapMs: 0 }],
      });
    const ops = () => world.posts.filter(([robot]) => robot === 'ops');
    const [alert] = await eventually(() => ops().length > 0 && ops(), 120_000, 'the outage alert');
    expect(Date.now() - started).toBeGreaterThanOrEqual(outageAlertAfterMs);
    expect(alert![1]).toBe('【故障】金蝶无法访问');
    expect(alert![2]).toContain('账套：acct1');
    expect(alert![2]).toContain('KingdeeNetworkError：socket hang up');
    expect(alert![2]).toContain('表单：费用报销单');
    // Still down: another whole failed poll (3 attempts) after the alert, and no more alerts.
    const pollsAtAlert = polls.get('ER_ExpReimbursement')!;
    await eventually(() => polls.get('ER_ExpReimbursement')! >= pollsAtAlert + 3, 60_000, 'more failed polls');
    expect(ops()).toHaveLength(1);

    down = false;
    await eventually(() => ops().length > 1, 60_000, 'the recovered message');
    const pollsAfter = polls.get('ER_ExpReimbursement')!;
    await eventually(() => polls.get('ER_ExpReimbursement')! > pollsAfter + 2, 30_000, 'more polls');
    expect(ops().map(([, title]) => title)).toEqual(['【故障】金蝶无法访问', '【恢复】金蝶已恢复访问']);
    expect(ops()[1]![2]).toMatch(/中断：.* 至 .*，约 .*次读取失败/);
  }, 240_000);

  it('an outage told before a continue-as-new ends with one all-clear from the new run', async () => {
    down = false;
    const before = world.posts.filter(([robot]) => robot === 'ops').length;
    const workflowId = `test-poller-continued:${world.workflows.taskQueue}`;
    await world.temporal.client.workflow.start(pollerWorkflow, {
      taskQueue: world.workflows.taskQueue,
      workflowId,
      // As the previous run hands it over (workflows/poller.ts continueAsNew): told, still down when it ended.
      args: [
        {
          acctId: 'acct1',
          formId: 'ER_ExpReimbursement',
          intervalMs: 1_000,
          overlapMs: 0,
          outage: {
            since: Date.now() - 5 * 60_000,
            failures: 12,
            told: true,
            lastError: 'KingdeeNetworkError：socket hang up',
            formSpecific: false,
          },
        },
      ],
    });
    try {
      const ops = () => world.posts.filter(([robot]) => robot === 'ops').slice(before);
      await eventually(() => ops().length > 0, 30_000, 'the all-clear');
      expect(ops().map(([, title]) => title)).toEqual(['【恢复】金蝶已恢复访问']);
      expect(ops()[0]![2]).toMatch(/约 5 分钟（12 次读取失败）/);
    } finally {
      await world.temporal.client.workflow
        .getHandle(workflowId)
        .terminate()
        .catch(() => undefined);
    }
  }, 60_000);
});
