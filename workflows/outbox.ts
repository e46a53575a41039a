/**
 * The outbox of one notice channel (a custom robot, a group reached with cards, or work notifications): the one
 * delivery path of every notice the approvals send. Activities enqueue with signalWithStart and return at once; this
 * workflow dedupes by notice id, paces the sends to DingTalk's limits with durable timers (so the pacing survives
 * restarts and holds across worker processes: one outbox per channel), merges notices when more wait than may go
 * out now, and sends each message with the `sendNotice` activity on the notices task queue.
 *
 * Outcomes (workflows/outbox-plan.ts classifySendFailure, settleSend): a rate-limit refusal is not a failure (the
 * channel waits and sends the same message again); a send that failed before DingTalk took it is sent again after a
 * wait; a send that timed out before its request went out (its worker was killed: no request-sent marker in its last
 * heartbeat, activities/notices.ts) is sent again at once; a send whose outcome is unknown (timed out after the
 * request went out, or the worker was lost mid-send) is sent again only where that cannot double-post (cards keyed
 * by outTrackId; work notices, which DingTalk drops when identical to one the person got that day) — for a custom
 * robot it is recorded as `uncertain` and reported to ops once, never resent.
 * So sendNotice runs once per scheduling (maximumAttempts 1): the outbox, not Temporal's retry, decides.
 *
 * Continue-as-new when the history grows, carrying the queue, the messages to send again, the recent ids, the
 * window and the problems.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createNoticeActivities } from '../activities/notices';
import {
  enqueueNoticesSignal,
  noticesTaskQueue,
  outboxStatusQuery,
  type OutboxInput,
  type OutboxMessage,
  type OutboxStatus,
} from './contract';
import {
  acceptNotices,
  classifySendFailure,
  isSendTimeout,
  newOutboxState,
  oldestQueuedAt,
  planSends,
  settleSend,
  type SendOutcome,
} from './outbox-plan';

const oldest = (at: number | undefined) => (at !== undefined ? { oldestQueuedAt: at } : {});

type NoticeActivities = ReturnType<typeof createNoticeActivities>;

/** Patch: a send counts in the channel's window until `windowMs` after it finished (outbox-plan.ts settleSend). */
const windowFromCompletionPatch = 'outbox-window-from-completion';
/**
 * Patch: a send that timed out without its request-sent marker (outbox-plan.ts classifySendFailure) is sent again.
 * Taken where a timeout is classified, so running outboxes get it at their next timeout; runs that recorded a timeout
 * before it replay it as uncertain, as they ran.
 */
const resendNeverSentPatch = 'outbox-resend-never-sent';

/** Events per run before continue-as-new (a send is about six with its workflow tasks; far below the limits). */
const historyEventsPerRun = 4_000;

export async function outboxWorkflow(input: OutboxInput): Promise<void> {
  const { channel } = input;
  // Runs that started before this patch keep counting sends in the window from their start only.
  const windowFromCompletion = patched(windowFromCompletionPatch);
  let pacing = input.pacing;
  const state = newOutboxState(input.carry);
  const seen = new Set(state.recentIds);
  let inFlight = 0;
  /** Sends and problem reports under way: continue-as-new waits for them. */
  let running = 0;
  /** Bumped by every enqueue and every finished send: the loop plans again. */
  let news = 0;

  const taskQueue = noticesTaskQueue(workflowInfo().taskQueue);
  const { sendNotice } = proxyActivities<NoticeActivities>({
    taskQueue,
    // The client gives up after 10 s; a send still running after 30 s lost its worker. It heartbeats (its request-sent
    // marker, then while the request runs), so a send on a killed worker is known lost after 15 s.
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: '15 seconds',
    retry: { maximumAttempts: 1 },
  });
  const { reportNoticeProblem } = proxyActivities<NoticeActivities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

  setHandler(enqueueNoticesSignal, ({ notices, pacing: latest }) => {
    pacing = latest;
    if (acceptNotices(state, seen, notices) > 0) news += 1;
  });
  setHandler(outboxStatusQuery, (): OutboxStatus => ({
    channel,
    pending: state.pending.length,
    retrying: state.retry.length,
    inFlight,
    ...(state.blockedUntil !== undefined ? { blockedUntil: state.blockedUntil } : {}),
    totals: state.totals,
    problems: state.problems,
    ...oldest(oldestQueuedAt([...state.pending, ...state.retry])),
  }));

  const send = async (message: OutboxMessage): Promise<void> => {
    let outcome: SendOutcome;
    try {
      const result = await sendNotice({ channel, message });
      outcome = result.outcome === 'sent' ? { kind: 'sent' } : { kind: 'rateLimited' };
    } catch (err) {
      outcome = classifySendFailure(err, { markerKnown: isSendTimeout(err) && patched(resendNeverSentPatch) });
    }
    const problem = settleSend(state, message, outcome, Date.now(), pacing, { windowFromCompletion });
    inFlight -= 1;
    news += 1;
    if (!problem) return;
    log.warn('outbox gave up on a message', { channel, problem });
    try {
      await reportNoticeProblem({ channel, problem, text: message.text });
    } catch (err) {
      log.error('could not report an outbox problem', { problem, error: String(err) });
    }
  };

  for (;;) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > historyEventsPerRun) {
      await condition(() => running === 0 && allHandlersFinished());
      await continueAsNew<typeof outboxWorkflow>({ channel, pacing, carry: state });
    }
    const before = news;
    const plan = planSends(state, Date.now(), pacing, inFlight);
    for (const message of plan.messages) {
      inFlight += 1;
      running += 1;
      void send(message).finally(() => {
        running -= 1;
      });
    }
    const somethingHappened = () => news !== before;
    if (plan.wakeAt === undefined) await condition(somethingHappened);
    else await condition(somethingHappened, Math.max(1, plan.wakeAt - Date.now()));
  }
}
