/**
 * The outbox's decisions as pure functions (no workflow APIs, only Temporal's failure classes; unit-tested in
 * test/unit/outbox-plan.test.ts): accept notices once by id, plan what to send now under the channel's limits, merge
 * when busy, classify a failed send (classifySendFailure: was its request ever made?) and settle a send's outcome.
 * workflows/outbox.ts keeps the state, runs the sends as activities and sleeps on durable timers until `wakeAt`.
 *
 * Pacing: a sliding window of `perWindow` messages per `windowMs`, counted from when a send starts until `windowMs`
 * after it finished (settleSend with windowFromCompletion; a refused send counts too: conservative); at most `maxInFlight` sends at once; work notices also at most `perRecipientPerDay`
 * messages per person per DingTalk day. After a rate-limit refusal the whole channel waits (doubling backoff).
 *
 * Merge when busy: when more notices wait than the window lets out now (`pending > free`), each message carries
 * ⌈pending / free⌉ notices of one lane (same robot, or the same recipients), up to `maxItemsPerMessage` and
 * `maxMessageBytes`; otherwise every notice goes alone. Every notice leaves the queue in exactly one message, and a
 * message sent again is sent unchanged (same key, same content).
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { NoticePacing, OutboxCarry, OutboxMessage, OutboxProblem, QueuedNotice } from './contract';
import { mergedNotice } from '../domain/texts/merged-notices';
import { utf8Length } from '../domain/texts/format';

export type OutboxState = OutboxCarry;

/** How many recent ids an outbox remembers (≈ 26 bytes each, carried over continue-as-new). */
export const recentIdsKept = 5_000;
/** Problems kept for the status query. */
const problemsKept = 50;

const dayMs = 86_400_000;
/** DingTalk counts days in China time. */
const dingtalkDayOffsetMs = 8 * 3_600_000;

export function dingtalkDay(now: number): number {
  return Math.floor((now + dingtalkDayOffsetMs) / dayMs);
}

export function newOutboxState(carry?: OutboxCarry): OutboxState {
  return (
    carry ?? {
      pending: [],
      retry: [],
      recentIds: [],
      sentAt: [],
      problems: [],
      totals: { notices: 0, messages: 0, merged: 0, rateLimited: 0, uncertain: 0, failed: 0 },
    }
  );
}

/**
 * Queue the notices not seen before (by id, within the last `recentIdsKept`); returns how many were new. `seen` is
 * the caller's index of `state.recentIds`, kept in step here.
 */
export function acceptNotices(
  state: OutboxState,
  seen: Set<string>,
  notices: readonly QueuedNotice[],
  keep = recentIdsKept,
): number {
  let accepted = 0;
  for (const notice of notices) {
    if (seen.has(notice.id)) continue;
    seen.add(notice.id);
    state.recentIds.push(notice.id);
    state.pending.push(notice);
    state.totals.notices += 1;
    accepted += 1;
  }
  while (state.recentIds.length > keep) seen.delete(state.recentIds.shift()!);
  return accepted;
}

export interface SendPlan {
  /** Messages to send now (already counted in the window). */
  messages: OutboxMessage[];
  /** When to plan again if nothing else happens (a slot frees, a block ends, a new day); none: wait for news. */
  wakeAt?: number;
}

/** Work notices go to the same people in one lane; a robot or group is one lane. */
function laneOf(notice: QueuedNotice): string {
  return notice.userIds ? [...notice.userIds].sort().join(',') : '';
}

function messageOf(items: readonly QueuedNotice[]): OutboxMessage {
  const first = items[0]!;
  const merged = mergedNotice(items);
  const queuedAt = oldestQueuedAt(items);
  return {
    key: items.length === 1 ? first.id : `${first.id}+${items.length - 1}`,
    noticeIds: items.map((n) => n.id),
    title: merged.title,
    text: merged.text,
    ...(first.userIds ? { userIds: [...first.userIds] } : {}),
    attempts: 0,
    ...(queuedAt !== undefined ? { queuedAt } : {}),
  };
}

/** When the oldest of these (notices or messages) was enqueued, if any says. */
export function oldestQueuedAt(items: ReadonlyArray<{ queuedAt?: number }>): number | undefined {
  let oldest: number | undefined;
  for (const item of items)
    if (item.queuedAt !== undefined && (oldest === undefined || item.queuedAt < oldest)) oldest = item.queuedAt;
  return oldest;
}

/** The longest head of `items` (at most `max`) whose merged text fits `maxBytes`; always at least one. */
function fittingChunk(items: readonly QueuedNotice[], max: number, maxBytes: number): QueuedNotice[] {
  let size = Math.min(max, items.length);
  while (size > 1 && utf8Length(mergedNotice(items.slice(0, size)).text) > maxBytes) size -= 1;
  return items.slice(0, Math.max(1, size));
}

/** What to send now. Mutates `state`: planned notices leave `pending`/`retry`, their sends enter the window. */
export function planSends(state: OutboxState, now: number, pacing: NoticePacing, inFlight: number): SendPlan {
  state.sentAt = state.sentAt.filter((t) => t > now - pacing.windowMs);
  if (state.day && state.day.day !== dingtalkDay(now)) state.day = undefined;
  if (state.pending.length === 0 && state.retry.length === 0) return { messages: [] };
  if (state.blockedUntil !== undefined && state.blockedUntil > now) return { messages: [], wakeAt: state.blockedUntil };
  state.blockedUntil = undefined;

  let free = pacing.perWindow - state.sentAt.length;
  let slots = Math.min(free, pacing.maxInFlight - inFlight);
  const messages: OutboxMessage[] = [];
  const dispatch = (message: OutboxMessage) => {
    message.attempts += 1;
    message.dispatchedAt = now;
    messages.push(message);
    state.sentAt.push(now);
    free -= 1;
    slots -= 1;
    if (message.userIds && pacing.perRecipientPerDay !== undefined) {
      state.day ??= { day: dingtalkDay(now), counts: {} };
      for (const userId of message.userIds) state.day.counts[userId] = (state.day.counts[userId] ?? 0) + 1;
    }
  };
  const remainingToday = (userIds: readonly string[] | undefined): number => {
    if (!userIds || pacing.perRecipientPerDay === undefined) return Infinity;
    const used = Math.max(0, ...userIds.map((id) => state.day?.counts[id] ?? 0));
    return pacing.perRecipientPerDay - used;
  };

  let heldForTomorrow = false;
  // Messages to send again go first, unchanged.
  for (const message of [...state.retry]) {
    if (slots <= 0) break;
    if (remainingToday(message.userIds) <= 0) {
      heldForTomorrow = true;
      continue;
    }
    state.retry.splice(state.retry.indexOf(message), 1);
    dispatch(message);
  }

  if (slots > 0 && state.pending.length > 0) {
    const busy = state.pending.length > free;
    const perMessage = busy
      ? Math.min(pacing.maxItemsPerMessage, Math.max(2, Math.ceil(state.pending.length / Math.max(free, 1))))
      : 1;
    const lanes = new Map<string, QueuedNotice[]>();
    for (const notice of state.pending) {
      const lane = laneOf(notice);
      lanes.set(lane, [...(lanes.get(lane) ?? []), notice]);
    }
    const planned = new Set<string>();
    for (const items of lanes.values()) {
      let left = remainingToday(items[0]!.userIds);
      if (left <= 0) {
        heldForTomorrow = true;
        continue;
      }
      // A person close to the daily cap gets the rest of the day's notices merged into what is left.
      const size = Math.min(pacing.maxItemsPerMessage, Math.max(perMessage, Math.ceil(items.length / left)));
      let rest = items;
      while (rest.length > 0 && slots > 0 && left > 0) {
        const chunk = fittingChunk(rest, size, pacing.maxMessageBytes);
        rest = rest.slice(chunk.length);
        for (const notice of chunk) planned.add(notice.id);
        dispatch(messageOf(chunk));
        left -= 1;
      }
      if (slots <= 0) break;
    }
    state.pending = state.pending.filter((n) => !planned.has(n.id));
  }

  const waiting = state.pending.length > 0 || state.retry.length > 0;
  if (!waiting) return { messages };
  const wakes: number[] = [];
  if (free <= 0 && state.sentAt.length > 0) wakes.push(state.sentAt[0]! + pacing.windowMs);
  if (heldForTomorrow) wakes.push((dingtalkDay(now) + 1) * dayMs - dingtalkDayOffsetMs);
  return { messages, ...(wakes.length > 0 ? { wakeAt: Math.min(...wakes) } : {}) };
}

/** How a send ended, as the outbox workflow classifies the activity's result or failure. */
export type SendOutcome =
  | { kind: 'sent' }
  /** DingTalk refused it for rate limit: not posted. Send again after waiting. */
  | { kind: 'rateLimited' }
  /** Failed before DingTalk took it (network refused, server error): send again after waiting. */
  | { kind: 'retryable'; reason: string }
  /** It may or may not have been posted (timed out after the request went out, worker lost mid-send). */
  | { kind: 'uncertain'; reason: string }
  /** The send never made its request (its worker was lost or stuck before): send again at once, up to maxAttempts. */
  | { kind: 'notSent'; reason: string }
  /** DingTalk refused it for good (configuration, bad parameters). */
  | { kind: 'failed'; reason: string };

function backOff(state: OutboxState, now: number, pacing: NoticePacing): void {
  state.backoffMs =
    state.backoffMs === undefined ? pacing.backoff.initialMs : Math.min(state.backoffMs * 2, pacing.backoff.maxMs);
  state.blockedUntil = now + state.backoffMs;
}

/** Apply a send's outcome; returns the problem to report to ops (once per message), if the outbox gives up on it. */
export function settleSend(
  state: OutboxState,
  message: OutboxMessage,
  outcome: SendOutcome,
  now: number,
  pacing: NoticePacing,
  options: { windowFromCompletion?: boolean } = {},
): OutboxProblem | undefined {
  // DingTalk counts a message in its minute when it arrives, which may be as late as its send finishes: from then
  // on it counts in the window. (Counted from the start only, a message that reached DingTalk late could leave the
  // window early, the next one go out too soon, and the robot be refused — and throttled for up to 10 minutes.)
  if (options.windowFromCompletion) {
    const index = message.dispatchedAt === undefined ? -1 : state.sentAt.indexOf(message.dispatchedAt);
    if (index >= 0) state.sentAt.splice(index, 1);
    state.sentAt.push(now);
    state.sentAt.sort((a, b) => a - b);
  }
  const giveUp = (problem: OutboxProblem['problem'], reason: string): OutboxProblem => {
    const entry: OutboxProblem = {
      key: message.key,
      title: message.title,
      problem,
      reason,
      count: message.noticeIds.length,
      at: now,
    };
    state.problems.push(entry);
    if (state.problems.length > problemsKept) state.problems.shift();
    state.totals[problem] += 1;
    return entry;
  };
  switch (outcome.kind) {
    case 'sent':
      state.backoffMs = undefined;
      state.totals.messages += 1;
      if (message.noticeIds.length > 1) state.totals.merged += message.noticeIds.length;
      return undefined;
    case 'rateLimited':
      message.attempts -= 1; // not posted: the refusal is not an attempt
      state.totals.rateLimited += 1;
      state.retry.unshift(message);
      backOff(state, now, pacing);
      return undefined;
    case 'retryable':
      if (message.attempts >= pacing.maxAttempts) return giveUp('failed', outcome.reason);
      state.retry.unshift(message);
      backOff(state, now, pacing);
      return undefined;
    case 'notSent':
      // Nothing reached DingTalk, and DingTalk is not the problem: no backoff for the channel.
      if (message.attempts >= pacing.maxAttempts) return giveUp('failed', outcome.reason);
      state.retry.unshift(message);
      return undefined;
    case 'uncertain':
      if (pacing.resendUncertain && message.attempts < pacing.maxAttempts) {
        state.retry.unshift(message);
        return undefined;
      }
      return giveUp('uncertain', outcome.reason);
    case 'failed':
      return giveUp('failed', outcome.reason);
  }
}

/**
 * What `sendNotice` records just before its request leaves: a heartbeat Temporal has acknowledged (activities/
 * notices.ts, spelled there too; test/unit/outbox-plan.test.ts keeps them equal). A send that timed out without it
 * never made its request; with it, the message may have been posted.
 */
export const requestSentMarker = 'request-sent';
/** … and once DingTalk took the message: a send that timed out after it was delivered (its result was lost). */
export const deliveredMarker = 'delivered';

/**
 * What a failed sendNotice means for the message (the activity returns rate-limit refusals as results). A timeout
 * (worker killed, or stuck) is `notSent` when the send had not recorded `requestSentMarker` — it never made its
 * request, so sending again cannot double-post — `sent` when it had recorded `deliveredMarker` (DingTalk took it; only
 * the result was lost), and `uncertain` otherwise. `markerKnown` is false for outbox runs
 * from before the marker existed (workflows/outbox.ts patch): every timeout there stays uncertain, as it was.
 * Anything that is not an ActivityFailure is rethrown.
 */
export function classifySendFailure(err: unknown, options: { markerKnown: boolean }): SendOutcome {
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) {
    const reason = `the send did not finish in time (${cause.message || 'timeout'})`;
    if (options.markerKnown && cause.lastHeartbeatDetails === deliveredMarker) return { kind: 'sent' };
    if (options.markerKnown && cause.lastHeartbeatDetails !== requestSentMarker)
      return { kind: 'notSent', reason: `${reason}; its request had not gone out` };
    return { kind: 'uncertain', reason };
  }
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'DingTalkUncertainDeliveryError') return { kind: 'uncertain', reason: cause.message };
    return cause.nonRetryable
      ? { kind: 'failed', reason: cause.message }
      : { kind: 'retryable', reason: cause.message };
  }
  return { kind: 'uncertain', reason: cause?.message ?? err.message };
}

/** Whether a failure is a timeout: only then does the outbox need to know whether the send's marker exists. */
export function isSendTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}
