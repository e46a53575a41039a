/**
 * The notice outbox's decisions without Temporal (workflows/outbox-plan.ts): dedupe by id, pacing in a sliding
 * window, merge when busy (every notice in exactly one message), per-person daily caps, and what each send outcome
 * does — including the uncertain one, which a custom robot never resends.
 */
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import {
  acceptNotices,
  classifySendFailure,
  dingtalkDay,
  deliveredMarker,
  isSendTimeout,
  newOutboxState,
  planSends,
  requestSentMarker,
  settleSend,
  type OutboxState,
} from '../../workflows/outbox-plan';
import {
  deliveredMarker as deliveredTheActivityRecords,
  requestSentMarker as markerTheActivityRecords,
} from '../../activities/notices';
import type { NoticePacing, QueuedNotice } from '../../workflows/contract';
import { noticePacing } from '../../activities/notices';
import { followUpNotice } from '../../domain/texts';
import { mergedNotice, noticeProblemAlert, noticeSummary } from '../../domain/texts/merged-notices';
import type { DocumentSummary } from '../../domain/document';

const minute = 60_000;
const robot: NoticePacing = noticePacing({ kind: 'robot', robot: 'cashier' });
const work: NoticePacing = noticePacing({ kind: 'workNotice' });
const t0 = Date.parse('2026-11-24T02:00:00Z');

function notice(i: number, userIds?: string[]): QueuedNotice {
  const billNo = `FYBX${String(i).padStart(6, '0')}`;
  return {
    id: `n-${i}`,
    title: `请出纳安排报销付款：${billNo}`,
    text: `请出纳安排报销付款：${billNo}\n\n- 单据：费用报销单 ${billNo}（已审批通过）\n- 申请人：张三\n- 金额：¥${i}.00`,
    summary: `请出纳安排报销付款：${billNo}（张三，¥${i}.00）`,
    ...(userIds ? { userIds } : {}),
    origin: `approval:x:ER:${billNo} #7`,
  };
}

function withNotices(count: number, userIds?: string[]): { state: OutboxState; seen: Set<string> } {
  const state = newOutboxState();
  const seen = new Set<string>();
  acceptNotices(
    state,
    seen,
    Array.from({ length: count }, (_, i) => notice(i + 1, userIds)),
  );
  return { state, seen };
}

/** Runs the outbox as the workflow would (sends succeed at once) and returns every message with its time. */
function drain(state: OutboxState, pacing: NoticePacing, start: number, arrivals: Array<[number, QueuedNotice]> = []) {
  const seen = new Set(state.recentIds);
  const sent: Array<{ at: number; noticeIds: string[] }> = [];
  let now = start;
  for (let guard = 0; guard < 10_000; guard++) {
    while (arrivals.length > 0 && arrivals[0]![0] <= now) acceptNotices(state, seen, [arrivals.shift()![1]]);
    const plan = planSends(state, now, pacing, 0);
    for (const message of plan.messages) {
      sent.push({ at: now, noticeIds: message.noticeIds });
      settleSend(state, message, { kind: 'sent' }, now, pacing);
    }
    if (plan.messages.length > 0) continue;
    const next = [plan.wakeAt, arrivals[0]?.[0]].filter((t): t is number => t !== undefined);
    if (next.length === 0) break;
    now = Math.max(now + 1, Math.min(...next));
  }
  return sent;
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
}

describe('accepting notices', () => {
  it('drops a notice whose id it has seen (a retried enqueue), and forgets the oldest ids beyond the bound', () => {
    const state = newOutboxState();
    const seen = new Set<string>();
    expect(acceptNotices(state, seen, [notice(1), notice(2)])).toBe(2);
    expect(acceptNotices(state, seen, [notice(1)])).toBe(0);
    expect(state.pending.map((n) => n.id)).toEqual(['n-1', 'n-2']);
    acceptNotices(state, seen, [notice(3), notice(4)], 3);
    expect(state.recentIds).toEqual(['n-2', 'n-3', 'n-4']);
    expect(seen.has('n-1')).toBe(false);
  });

  it('keeps dropping a retried enqueue after continue-as-new (the ids are carried)', () => {
    const { state } = withNotices(2);
    const carried: OutboxState = JSON.parse(JSON.stringify(state));
    const next = newOutboxState(carried);
    expect(acceptNotices(next, new Set(next.recentIds), [notice(2), notice(9)])).toBe(1);
  });
});

describe('pacing and merging', () => {
  it('sends one at a time, each alone, while the window has room', () => {
    const { state } = withNotices(3);
    const plan = planSends(state, t0, robot, 0);
    expect(plan.messages.map((m) => m.noticeIds)).toEqual([['n-1']]); // one send under way at a time for a robot
    expect(plan.messages[0]).toMatchObject({ key: 'n-1', attempts: 1, title: '请出纳安排报销付款：FYBX000001' });
    expect(planSends(state, t0, robot, 1).messages).toEqual([]); // still under way: wait for it
  });

  it('merges when more wait than the window lets out now: ≤ 20 a minute, every notice exactly once', () => {
    const { state } = withNotices(30);
    const sent = drain(state, robot, t0);
    const ids = sent.flatMap((m) => m.noticeIds);
    expect(ids.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `n-${i + 1}`).sort());
    expect(new Set(ids).size).toBe(30);
    expect(sent.length).toBeLessThanOrEqual(20);
    expect(sent.some((m) => m.noticeIds.length > 1)).toBe(true);
    expect(
      maxInAnyWindow(
        sent.map((m) => m.at),
        minute,
      ),
    ).toBeLessThanOrEqual(20);
  });

  it('sends alone what fits, and merges the backlog once the window is full', () => {
    const state = newOutboxState();
    // 35 notices arrive one a second: the first 20 go alone, the rest wait for the window and go merged.
    const arrivals = Array.from({ length: 35 }, (_, i): [number, QueuedNotice] => [t0 + i * 1000, notice(i + 1)]);
    const sent = drain(state, robot, t0, arrivals);
    expect(sent.slice(0, 20).every((m) => m.noticeIds.length === 1)).toBe(true);
    expect(sent.length).toBeLessThan(35);
    expect(new Set(sent.flatMap((m) => m.noticeIds)).size).toBe(35);
    expect(sent.flatMap((m) => m.noticeIds)).toHaveLength(35);
    expect(
      maxInAnyWindow(
        sent.map((m) => m.at),
        minute,
      ),
    ).toBeLessThanOrEqual(20);
  });

  it('wakes when the oldest send leaves the window', () => {
    const { state } = withNotices(25);
    state.sentAt = Array.from({ length: 20 }, (_, i) => t0 - 30_000 + i);
    const plan = planSends(state, t0, robot, 0);
    expect(plan.messages).toEqual([]);
    expect(plan.wakeAt).toBe(t0 - 30_000 + minute);
  });

  it('keeps a merged message within the byte limit and the item limit', () => {
    const { state } = withNotices(200);
    state.sentAt = Array.from({ length: 19 }, () => t0 - 1000);
    const small: NoticePacing = { ...robot, maxMessageBytes: 1_000 };
    const [message] = planSends(state, t0, small, 0).messages;
    expect(message!.noticeIds.length).toBeGreaterThan(1);
    expect(Buffer.byteLength(message!.text)).toBeLessThanOrEqual(1_000);
    const [capped] = planSends(withNotices(200).state, t0, { ...robot, perWindow: 1 }, 0).messages;
    expect(capped!.noticeIds).toHaveLength(robot.maxItemsPerMessage);
    expect(capped!.key).toBe(`n-1+${robot.maxItemsPerMessage - 1}`);
  });

  it('merges work notices only for the same recipients, several sends at once', () => {
    const state = newOutboxState();
    acceptNotices(state, new Set(), [notice(1, ['zhangsan']), notice(2, ['lisi']), notice(3, ['zhangsan'])]);
    const plan = planSends(state, t0, work, 0);
    expect(plan.messages.map((m) => [m.userIds, m.noticeIds])).toEqual([
      [['zhangsan'], ['n-1']],
      [['zhangsan'], ['n-3']],
      [['lisi'], ['n-2']],
    ]);
  });

  it('holds a person’s notices once the daily cap is reached, and merges the rest of the day into what is left', () => {
    const { state } = withNotices(10, ['zhangsan']);
    state.day = { day: dingtalkDay(t0), counts: { zhangsan: 498 } };
    const plan = planSends(state, t0, work, 0);
    expect(plan.messages.map((m) => m.noticeIds.length)).toEqual([5, 5]);
    acceptNotices(state, new Set(state.recentIds), [notice(11, ['zhangsan'])]);
    const held = planSends(state, t0 + 1000, work, 0);
    expect(held.messages).toEqual([]);
    expect(held.wakeAt).toBe(Date.parse('2026-11-24T16:00:00Z')); // midnight in China
    expect(planSends(state, held.wakeAt!, work, 0).messages.map((m) => m.noticeIds)).toEqual([['n-11']]);
  });
});

describe('send outcomes', () => {
  it('a rate-limit refusal is not a failure: the same message waits a minute, then a doubling backoff', () => {
    const { state } = withNotices(1);
    const [message] = planSends(state, t0, robot, 0).messages;
    expect(settleSend(state, message!, { kind: 'rateLimited' }, t0, robot)).toBeUndefined();
    expect(planSends(state, t0 + 1000, robot, 0)).toEqual({ messages: [], wakeAt: t0 + minute });
    const [again] = planSends(state, t0 + minute, robot, 0).messages;
    expect(again).toBe(message);
    expect(again!.attempts).toBe(1); // a refusal is no attempt
    settleSend(state, again!, { kind: 'rateLimited' }, t0 + minute, robot);
    expect(state.blockedUntil).toBe(t0 + 3 * minute);
    settleSend(state, again!, { kind: 'sent' }, t0 + 3 * minute, robot);
    expect(state.backoffMs).toBeUndefined();
    expect(state.totals).toMatchObject({ messages: 1, rateLimited: 2 });
  });

  it('an uncertain robot send is never resent: it is reported once', () => {
    const { state } = withNotices(1);
    const [message] = planSends(state, t0, robot, 0).messages;
    const problem = settleSend(state, message!, { kind: 'uncertain', reason: 'timeout' }, t0, robot);
    expect(problem).toMatchObject({ key: 'n-1', problem: 'uncertain', count: 1 });
    expect(state.retry).toEqual([]);
    expect(planSends(state, t0 + minute, robot, 0).messages).toEqual([]);
    expect(state.totals.uncertain).toBe(1);
  });

  it('an uncertain card or work-notice send goes again unchanged (same key, same content)', () => {
    const { state } = withNotices(1, ['zhangsan']);
    const [message] = planSends(state, t0, work, 0).messages;
    const before = { key: message!.key, text: message!.text };
    expect(settleSend(state, message!, { kind: 'uncertain', reason: 'timeout' }, t0, work)).toBeUndefined();
    const [again] = planSends(state, t0 + 1, work, 0).messages;
    expect({ key: again!.key, text: again!.text }).toEqual(before);
    expect(again!.attempts).toBe(2);
  });

  it('a retryable failure goes again after a wait, up to maxAttempts; a permanent one is reported', () => {
    const { state } = withNotices(2);
    const [message] = planSends(state, t0, robot, 0).messages;
    let now = t0;
    for (let attempt = 1; attempt < robot.maxAttempts; attempt++) {
      expect(settleSend(state, message!, { kind: 'retryable', reason: 'HTTP 500' }, now, robot)).toBeUndefined();
      now = state.blockedUntil!;
      expect(planSends(state, now, robot, 0).messages[0]).toBe(message);
    }
    expect(settleSend(state, message!, { kind: 'retryable', reason: 'HTTP 500' }, now, robot)).toMatchObject({
      problem: 'failed',
    });
    const [next] = planSends(state, now + minute, robot, 0).messages;
    expect(settleSend(state, next!, { kind: 'failed', reason: 'sign not match' }, now, robot)).toMatchObject({
      key: 'n-2',
      problem: 'failed',
      reason: 'sign not match',
    });
  });
});

describe('a send that timed out: sent again only if its request never left', () => {
  /** How Temporal reports a sendNotice that timed out (its worker was killed, or it hung), with its last heartbeat. */
  const timedOut = (lastHeartbeatDetails: unknown, type: TimeoutType = TimeoutType.HEARTBEAT) =>
    new ActivityFailure(
      'activity timeout',
      'sendNotice',
      '7',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      'worker',
      new TimeoutFailure(`activity ${type} timeout`, lastHeartbeatDetails, type),
    );

  it('the outbox and the activity spell the marker the same way', () => {
    expect(requestSentMarker).toBe(markerTheActivityRecords);
    expect(deliveredMarker).toBe(deliveredTheActivityRecords);
  });

  it('with the delivered marker DingTalk took it and only the result was lost: sent, never again', () => {
    expect(classifySendFailure(timedOut(deliveredMarker), { markerKnown: true })).toEqual({ kind: 'sent' });
    expect(classifySendFailure(timedOut(deliveredMarker), { markerKnown: false })).toMatchObject({
      kind: 'uncertain',
    });
  });

  it('no request-sent marker (the worker was killed before the request): not sent, whatever the timeout', () => {
    for (const type of [TimeoutType.HEARTBEAT, TimeoutType.START_TO_CLOSE]) {
      const err = timedOut(undefined, type);
      expect(isSendTimeout(err)).toBe(true);
      expect(classifySendFailure(err, { markerKnown: true })).toMatchObject({ kind: 'notSent' });
    }
  });

  it('with the marker the request may have been posted: uncertain', () => {
    expect(classifySendFailure(timedOut(requestSentMarker), { markerKnown: true })).toMatchObject({
      kind: 'uncertain',
    });
    expect(
      classifySendFailure(timedOut(requestSentMarker, TimeoutType.START_TO_CLOSE), { markerKnown: true }),
    ).toMatchObject({ kind: 'uncertain' });
  });

  it('an outbox run from before the marker (patch not taken) keeps every timeout uncertain', () => {
    expect(classifySendFailure(timedOut(undefined), { markerKnown: false })).toMatchObject({ kind: 'uncertain' });
  });

  it('other failures are classified as before', () => {
    const failed = (type: string, nonRetryable: boolean) =>
      new ActivityFailure(
        'activity failed',
        'sendNotice',
        '7',
        RetryState.MAXIMUM_ATTEMPTS_REACHED,
        'worker',
        ApplicationFailure.create({ type, message: type, nonRetryable }),
      );
    expect(isSendTimeout(failed('DingTalkNetworkError', false))).toBe(false);
    expect(classifySendFailure(failed('DingTalkUncertainDeliveryError', false), { markerKnown: true }).kind).toBe(
      'uncertain',
    );
    expect(classifySendFailure(failed('DingTalkNetworkError', false), { markerKnown: true }).kind).toBe('retryable');
    expect(classifySendFailure(failed('DingTalkRequestError', true), { markerKnown: true }).kind).toBe('failed');
    expect(() => classifySendFailure(new TypeError('a bug'), { markerKnown: true })).toThrow(TypeError);
  });

  it('a robot message that was never sent goes again at once, unchanged, without blocking the channel', () => {
    const { state } = withNotices(2);
    const [message] = planSends(state, t0, robot, 0).messages;
    const before = { key: message!.key, text: message!.text };
    const outcome = classifySendFailure(timedOut(undefined), { markerKnown: true });
    expect(settleSend(state, message!, outcome, t0 + 15_000, robot)).toBeUndefined();
    expect(state.blockedUntil).toBeUndefined();
    expect(state.problems).toEqual([]);
    const [again] = planSends(state, t0 + 15_000, robot, 0).messages;
    expect({ key: again!.key, text: again!.text }).toEqual(before);
    expect(again!.attempts).toBe(2);
    expect(settleSend(state, again!, { kind: 'sent' }, t0 + 15_500, robot)).toBeUndefined();
    expect(state.totals).toMatchObject({ messages: 1, uncertain: 0, failed: 0 });
  });

  it('… and is reported as failed (never lost silently) once maxAttempts sends never left', () => {
    const { state } = withNotices(1);
    let now = t0;
    let problem;
    for (let attempt = 1; attempt <= robot.maxAttempts; attempt++) {
      const [message] = planSends(state, now, robot, 0).messages;
      expect(message!.attempts).toBe(attempt);
      problem = settleSend(state, message!, { kind: 'notSent', reason: 'worker lost' }, now, robot);
      now += 15_000;
    }
    expect(problem).toMatchObject({ key: 'n-1', problem: 'failed', reason: 'worker lost' });
    expect(state.retry).toEqual([]);
  });
});

describe('merged wording', () => {
  const document: DocumentSummary = {
    acctId: 'a',
    formId: 'ER_ExpReimbursement',
    billNo: 'FYBX000123',
    billId: '1',
    formName: '费用报销单',
    status: 'C',
    applicant: { name: '张三' },
    amount: 12_800,
    currency: 'CNY',
    purpose: '差旅费',
    lines: [],
    link: 'https://k.example/FYBX000123',
    modifyDate: '2026-11-24T10:00:00',
    personMobiles: {},
  };

  it('summarises a follow-up by what its title does not already say', () => {
    const notice = followUpNotice(document, {
      template: '请出纳安排报销付款：{单号}',
      outcome: 'approved',
      decisions: [],
      tz: { offsetMinutes: 480 },
    });
    expect(noticeSummary(notice)).toBe('请出纳安排报销付款：FYBX000123（张三，¥12,800.00）');
    expect(noticeSummary({ title: '【需要处理】x', text: '- 问题：y' })).toBe('【需要处理】x');
  });

  it('lists every bill, applicant and amount under one headline, with links', () => {
    const merged = mergedNotice(
      [1, 2, 3].map((i) => ({ ...notice(i), text: `${notice(i).text}\n\n[查看单据](https://k/${i})` })),
    );
    expect(merged.title).toBe('请出纳安排报销付款（共 3 条）');
    expect(merged.text).toContain('### 以下 3 条「请出纳安排报销付款」通知合并为一条：');
    expect(merged.text).toContain('1. FYBX000001（张三，¥1.00） [查看单据](https://k/1)');
    expect(merged.text).toContain('3. FYBX000003（张三，¥3.00） [查看单据](https://k/3)');
    const mixed = mergedNotice([notice(1), { ...notice(2), title: '审批超时升级：X', summary: '审批超时升级：X' }]);
    expect(mixed.title).toBe('2 条通知（合并发送）');
    expect(mixed.text).toContain('2. 审批超时升级：X');
  });

  it('an ops alert about a merged message names every bill in it, so ops know which to check', () => {
    const merged = mergedNotice([1, 2, 3].map((i) => notice(i)));
    const alert = noticeProblemAlert({
      problem: 'uncertain',
      channel: '群机器人 cashier ',
      title: merged.title,
      reason: 'the send did not finish in time',
      count: 3,
      text: merged.text,
    });
    expect(alert.title).toBe('【需要核对】请出纳安排报销付款（共 3 条）');
    for (const i of [1, 2, 3]) expect(alert.text).toContain(`  ${i}. FYBX00000${i}（张三，¥${i}.00）`);
    expect(alert.text).toContain('不会自动重发');
  });
});

describe('pacing by arrival', () => {
  it('counts a send in the window until a minute after it finished, so a slow send never lets the 21st go early', () => {
    const { state, seen } = withNotices(1);
    const opts = { windowFromCompletion: true };
    // The first send is slow: it reaches DingTalk (and finishes) 5 s after it started; the next 19 are quick.
    const [first] = planSends(state, t0, robot, 0).messages;
    settleSend(state, first!, { kind: 'sent' }, t0 + 5_000, robot, opts);
    for (let i = 1; i <= 20; i++) {
      acceptNotices(state, seen, [notice(i + 1)]);
      if (i === 20) break;
      const [message] = planSends(state, t0 + 5_000 + i, robot, 0).messages;
      settleSend(state, message!, { kind: 'sent' }, t0 + 5_000 + i, robot, opts);
    }
    // A minute after the first started, DingTalk still counts it: the 21st waits until a minute after it finished.
    expect(planSends(state, t0 + minute, robot, 0)).toEqual({ messages: [], wakeAt: t0 + 5_000 + minute });
    expect(planSends(state, t0 + 5_000 + minute, robot, 0).messages).toHaveLength(1);
  });
});
