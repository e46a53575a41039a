/**
 * The one delivery path of every notice: enqueue into the channel's outbox workflow (workflows/outbox.ts) with
 * signalWithStart, and — on the notices task queue, in a worker of its own — send one outbox message to DingTalk.
 *
 * - Enqueue (`enqueueNotices`, used by notifyUsers / notifyGroup / notifyOps in dingtalk.ts): returns as soon as
 *   Temporal has the signal; the notice id is derived from the enqueuing activity (workflow, run, activity id, part),
 *   so a retried enqueue carries the same id and the outbox drops it.
 * - Send (`sendNotice`): ONE request, no waiting for a limiter (the outbox paces). A rate-limit refusal is returned
 *   as `rateLimited` (not a failure: nothing was posted); every other error is typed by its class
 *   (DingTalkUncertainDeliveryError when the request went out and no answer came).
 * - `reportNoticeProblem`: a message the outbox gave up on is logged and told to ops once (rules `ops`).
 * - `reportKingdeeOutage`: one alert when Kingdee has been unreachable for a while, one when it is back (the poller
 *   decides when; docs/failure-policy.md).
 * - `sendNotice` records, acknowledged, that its request is about to leave (`markRequestSent`) before making it, so
 *   the outbox can send again what a killed worker never sent and still never double-posts; for a custom robot also
 *   that DingTalk took it (`markDelivered`), so a result lost after that is not reported as uncertain.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { GroupCommit } from '../common/group-commit';
import type { Logger } from '../common/logger';
import type { Rules } from '../rules';
import type { RobotTarget } from '../rules/plan';
import {
  DingTalkRateLimitedError,
  DingTalkRequestError,
  dingtalkLimits,
  type DingTalkClient,
} from '../integrations/dingtalk';
import {
  enqueueNoticesSignal,
  outboxWorkflowId,
  workflowTypes,
  type NoticeChannel,
  type NoticePacing,
  type OutboxInput,
  type OutboxMessage,
  type OutboxProblem,
  type QueuedNotice,
} from '../workflows/contract';
import type { Notice } from '../domain/texts';
import {
  noticeCardParams,
  noticeChannelLabel,
  noticeProblemAlert,
  noticeSummary,
} from '../domain/texts/merged-notices';
import { kingdeeOutageAlert, kingdeeRecoveredNotice } from '../domain/texts/outage';
import { asFailure, whileHeartbeating } from './failures';

export interface OutboxDeps {
  /** The Temporal client the enqueue signals go through. */
  client: Client;
  /** The approvals' task queue: the outboxes run there, their sends on `<taskQueue>-notices`. */
  taskQueue: string;
  /** Tests only: a shorter "minute" — windows and waits scale with it, the quotas stay DingTalk's. */
  minuteMs?: number;
}

const sha = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The pacing of a channel: DingTalk's limits (integrations/dingtalk/limiter.ts). */
export function noticePacing(channel: NoticeChannel, minuteMs = 60_000): NoticePacing {
  const second = minuteMs / 60;
  switch (channel.kind) {
    case 'robot':
      return {
        perWindow: dingtalkLimits.robot.perMinute,
        windowMs: minuteMs,
        maxInFlight: 1,
        maxItemsPerMessage: 50,
        maxMessageBytes: dingtalkLimits.robot.maxMessageBytes,
        // DingTalk: wait at least a minute after 130101; the throttle can last 10 minutes.
        backoff: { initialMs: minuteMs, maxMs: (dingtalkLimits.robot.throttleMs / 60_000) * minuteMs },
        resendUncertain: false,
        maxAttempts: 5,
      };
    case 'groupCard':
      return {
        perWindow: dingtalkLimits.groupCard.perMinute,
        windowMs: minuteMs,
        maxInFlight: 1,
        maxItemsPerMessage: 20,
        maxMessageBytes: dingtalkLimits.groupCard.maxParamBytes,
        backoff: { initialMs: second, maxMs: minuteMs },
        resendUncertain: true,
        maxAttempts: 5,
      };
    case 'workNotice':
      return {
        perWindow: dingtalkLimits.workNotice.perMinute,
        windowMs: minuteMs,
        perRecipientPerDay: dingtalkLimits.workNotice.perUserPerDay,
        maxInFlight: 4,
        maxItemsPerMessage: 20,
        maxMessageBytes: dingtalkLimits.workNotice.maxMessageBytes,
        backoff: { initialMs: second, maxMs: minuteMs },
        resendUncertain: true,
        maxAttempts: 5,
      };
  }
}

/**
 * A rules-file robot's channel: its custom webhook robot when it has one; a robot with only `openConversationId`
 * gets cards from the app robot (idempotent by outTrackId: exactly once).
 */
export function channelForRobot(robot: Pick<RobotTarget, 'name' | 'webhook' | 'openConversationId'>): NoticeChannel {
  if (robot.webhook) return { kind: 'robot', robot: robot.webhook };
  if (robot.openConversationId) return { kind: 'groupCard', groupId: robot.openConversationId };
  return { kind: 'robot', robot: robot.name };
}

/** The outTrackId of a notice card: one card per outbox message, whatever happens to its sends. */
export function noticeOutTrackId(messageKey: string): string {
  return `kdn-${sha(messageKey, 40)}`;
}

/**
 * A notice as the enqueuing activity queues it. The id is derived from the activity's identity — workflow id, run
 * id, activity id (stable across the activity's retries) and the part (which channel of the activity) — so a
 * retried enqueue repeats the same id. With `key` (the workflow's own name for the notice, unique in its run) the
 * key stands for the activity id: a later activity handing the same notice over again repeats its id too.
 */
export function queuedNotice(notice: Notice, part: string, userIds?: string[], key?: string): QueuedNotice {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? info.workflowType ?? 'standalone';
  const runId = info.workflowExecution?.runId ?? '';
  const source = key === undefined ? info.activityId : `key:${key}`;
  return {
    id: `n-${sha(`${workflowId}\n${runId}\n${source}\n${part}`, 24)}`,
    title: notice.title,
    text: notice.text,
    summary: noticeSummary(notice),
    ...(userIds ? { userIds } : {}),
    origin: `${workflowId} ${key === undefined ? `#${info.activityId}` : key}${part ? ` ${part}` : ''}`,
    queuedAt: Date.now(),
  };
}

/**
 * Hand notices to the channel's outbox (started if need be) and return once Temporal has them: no waiting for
 * DingTalk's quota. Concurrent hand-overs to one outbox share a signal (see OutboxHandOver).
 */
export async function enqueueNotices(deps: OutboxDeps, channel: NoticeChannel, notices: QueuedNotice[]): Promise<void> {
  if (notices.length === 0) return;
  let handOver = handOvers.get(deps);
  if (!handOver) handOvers.set(deps, (handOver = new OutboxHandOver(deps)));
  await handOver.enqueue(channel, notices);
}

/** At most this many notices in one enqueue signal (a notice is well under 4 KB: the signal stays far below 2 MB). */
const noticesPerSignal = 100;

/** One hand-over per outbox configuration (the process's OutboxDeps). */
const handOvers = new WeakMap<OutboxDeps, OutboxHandOver>();

/**
 * Group commit (common/group-commit.ts) of enqueue signals, per outbox: while one signal to an outbox is on its way,
 * the notices enqueued meanwhile wait and then go together in the next. A quiet hand-over is one signal as before; a
 * month-end burst's thousand approvals, all telling the same cashier group and work-notice outbox, no longer queue one by one on that
 * outbox's lock in Temporal (each signal ~150 ms there, holding the finishing workflow task's slot) nor cost one outbox
 * workflow task each. Each caller returns when the signal carrying its notices is acknowledged. When a shared signal
 * fails, each caller's notices are tried on their own, so one caller's bad notice fails only that caller. Ids stay
 * those of the enqueuing activity: a retry after a failure is still dropped by the outbox when it got there.
 */
class OutboxHandOver {
  /** Per outbox workflow id: the notices of each caller waiting for the next signal. */
  private readonly commits: GroupCommit<{ channel: NoticeChannel; notices: QueuedNotice[] }>;

  constructor(private readonly deps: OutboxDeps) {
    this.commits = new GroupCommit((workflowId, requests) => this.signal(workflowId, requests), {
      weight: (request) => request.notices.length,
      maxWeight: noticesPerSignal,
    });
  }

  enqueue(channel: NoticeChannel, notices: QueuedNotice[]): Promise<void> {
    return this.commits.submit(outboxWorkflowId(this.deps.taskQueue, channel), { channel, notices });
  }

  private async signal(
    workflowId: string,
    requests: Array<{ channel: NoticeChannel; notices: QueuedNotice[] }>,
  ): Promise<void> {
    const channel = requests[0]!.channel; // one outbox, one channel (its id is derived from it)
    const notices = requests.flatMap((request) => request.notices);
    const pacing = noticePacing(channel, this.deps.minuteMs);
    const input: OutboxInput = { channel, pacing };
    await this.deps.client.workflow.signalWithStart(workflowTypes.outbox, {
      taskQueue: this.deps.taskQueue,
      workflowId,
      args: [input],
      signal: enqueueNoticesSignal,
      signalArgs: [{ notices, pacing }],
    });
  }
}

/** Work notices to many people go in sends of at most 100 (DingTalk's userid_list), each its own notice. */
export function workNotices(notice: Notice, userIds: readonly string[], part: string, key?: string): QueuedNotice[] {
  const size = dingtalkLimits.workNotice.maxUsersPerSend;
  const chunks: string[][] = [];
  for (let i = 0; i < userIds.length; i += size) chunks.push(userIds.slice(i, i + size));
  return chunks.map((chunk, i) => queuedNotice(notice, chunks.length > 1 ? `${part}/${i}` : part, chunk, key));
}

/**
 * The details of the heartbeat a send records before its request leaves. Spelled again in workflows/outbox-plan.ts
 * (activities may not import workflow code); test/unit/outbox-plan.test.ts keeps the two equal.
 */
export const requestSentMarker = 'request-sent';
/** … and the details it records once DingTalk has taken the message (spelled again there too). */
export const deliveredMarker = 'delivered';

/**
 * Record, acknowledged by Temporal, that this send is about to make its request (the last heartbeat's details become
 * `requestSentMarker`). Only then does the request leave: if the worker dies before, the send times out without the
 * marker and the outbox sends it again; after, its outcome is unknown (workflows/outbox-plan.ts classifySendFailure).
 * The worker's own heartbeat is sent in the background, so a kill right after it could leave a posted message
 * unmarked: this one is a call Temporal answers. If it cannot be recorded, nothing is sent (a retryable failure).
 */
async function markRequestSent(client: Client): Promise<void> {
  const { taskToken } = Context.current().info;
  try {
    await client.activity.heartbeat(taskToken, requestSentMarker);
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'NoticeNotSent',
      message: `could not record the send before making it, so it was not made: ${String(err)}`,
    });
  }
}

/**
 * While the request runs, heartbeat the same marker every third of the heartbeat timeout — through the client too, in
 * order, so no heartbeat the worker still holds can land after `delivered` and overwrite it. The returned function
 * stops and waits for the last one.
 */
function keepMarking(client: Client, details: string): () => Promise<void> {
  const { taskToken, heartbeatTimeoutMs } = Context.current().info;
  let last: Promise<unknown> = Promise.resolve();
  const timer = heartbeatTimeoutMs
    ? setInterval(
        () => {
          last = last.then(() => client.activity.heartbeat(taskToken, details)).catch(() => undefined);
        },
        Math.max(200, Math.floor(heartbeatTimeoutMs / 3)),
      )
    : undefined;
  return async () => {
    clearInterval(timer);
    await last;
  };
}

/**
 * Record, acknowledged, that DingTalk took the message: a worker killed between here and Temporal recording the
 * activity's result leaves a send the outbox knows was delivered (not uncertain, which for a custom robot means an
 * ops report instead of a resend). Best effort: if it cannot be recorded, the result itself still tells. Only where
 * an uncertain send is not sent again (sendNotice).
 */
async function markDelivered(client: Client): Promise<void> {
  try {
    await client.activity.heartbeat(Context.current().info.taskToken, deliveredMarker);
  } catch {
    // the activity's completion says the same
  }
}

export interface NoticeActivityDeps {
  dingtalk: DingTalkClient;
  logger: Logger;
  /** Whom ops alerts go to, the robots, and — for outage alerts — the polled forms, their names and the calendar. */
  rules: Pick<Rules, 'ops' | 'robots'> & Partial<Pick<Rules, 'ingestion' | 'forms' | 'calendar'>>;
  outbox: OutboxDeps;
  cardCallback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string };
  /** The card templates: the notice card's (DINGTALK_NOTICE_CARD_TEMPLATE_ID; demo kdb-notice-card) for group cards. */
  cardTemplates: { approval: string; notice?: string };
}

export function createNoticeActivities(deps: NoticeActivityDeps) {
  return {
    /** One send of one outbox message: rate-limit refusals come back as `rateLimited`, other errors typed. */
    async sendNotice({
      channel,
      message,
    }: {
      channel: NoticeChannel;
      message: OutboxMessage;
    }): Promise<{ outcome: 'sent' | 'rateLimited' }> {
      const notice = { title: message.title, text: message.text };
      await markRequestSent(deps.outbox.client);
      const stopBeating = keepMarking(deps.outbox.client, requestSentMarker);
      try {
        await send(channel, message, notice);
      } catch (err) {
        await stopBeating();
        if (err instanceof DingTalkRateLimitedError) {
          deps.logger.warn({ channel, key: message.key }, 'DingTalk refused a notice for rate limit; the outbox waits');
          return { outcome: 'rateLimited' };
        }
        return asFailure(err);
      }
      await stopBeating();
      // Where a resend cannot double-post (work notices, cards: noticePacing's resendUncertain), a send lost after
      // DingTalk took it is simply sent again, so the mark would buy nothing: one call to Temporal less per notice.
      if (!noticePacing(channel).resendUncertain) await markDelivered(deps.outbox.client);
      deps.logger.info(
        { channel, key: message.key, notices: message.noticeIds.length, attempt: message.attempts },
        'notice sent',
      );
      return { outcome: 'sent' };
    },

    /** Log a message the outbox gave up on and tell ops once (never about an alert itself). */
    async reportNoticeProblem({
      channel,
      problem,
      text,
    }: {
      channel: NoticeChannel;
      problem: OutboxProblem;
      /** The message's text (absent from outbox runs before it was passed): a merged one's lines name its bills. */
      text?: string;
    }): Promise<void> {
      await whileHeartbeating(async () => {
        deps.logger.error({ channel, problem }, 'the notice outbox gave up on a message');
        if (problem.key.startsWith('p-')) return;
        const alert = noticeProblemAlert({
          problem: problem.problem,
          channel: noticeChannelLabel(channel),
          title: problem.title,
          reason: problem.reason,
          count: problem.count,
          text,
        });
        const id = `p-${sha(`${problem.key}\n${problem.problem}`, 24)}`;
        await enqueueOps(
          { title: alert.title, text: alert.text, summary: alert.title, origin: `outbox ${problem.key}` },
          id,
        );
      });
    },

    /**
     * Kingdee's outage as one poller saw it (workflows/poller.ts): `down` once it has lasted long enough, then
     * `recovered` once it is over. Every form's poller sees the same outage, so only the first polled form's poller
     * speaks for Kingdee; a failure that is the form's own (not retryable: a permission, a field) is told by that
     * form's poller. Returns whether it was told (the poller sends `recovered` only then). The notice id comes from
     * the outage (account, form, start, phase): a retried report is dropped by the outbox.
     */
    async reportKingdeeOutage(input: {
      phase: 'down' | 'recovered';
      acctId: string;
      formId: string;
      since: number;
      now: number;
      failures: number;
      lastError: string;
      formSpecific: boolean;
    }): Promise<boolean> {
      return whileHeartbeating(async () => {
        const speaksForKingdee = (deps.rules.ingestion?.forms ?? [])[0] === input.formId;
        if (!speaksForKingdee && !input.formSpecific) return false;
        const form = deps.rules.forms?.[input.formId]?.name ?? input.formId;
        const tz = { offsetMinutes: deps.rules.calendar?.offsetMinutes ?? 480 };
        const facts = { ...input, form };
        const notice = input.phase === 'down' ? kingdeeOutageAlert(facts, tz) : kingdeeRecoveredNotice(facts, tz);
        const id = `p-o-${sha(`${input.acctId}\n${input.formId}\n${input.since}\n${input.phase}`, 24)}`;
        deps.logger.warn({ ...input, notice: notice.title }, 'Kingdee outage: telling ops');
        await enqueueOps(
          { title: notice.title, text: notice.text, summary: notice.title, origin: `poller ${input.formId}` },
          id,
        );
        return true;
      });
    },
  };

  /** One request to DingTalk for one outbox message. */
  async function send(
    channel: NoticeChannel,
    message: OutboxMessage,
    notice: { title: string; text: string },
  ): Promise<void> {
    switch (channel.kind) {
      case 'robot':
        await deps.dingtalk.sendRobotMessageOnce(channel.robot, { markdown: notice });
        break;
      case 'groupCard':
        if (!deps.cardTemplates.notice)
          throw new DingTalkRequestError(
            'DINGTALK_NOTICE_CARD_TEMPLATE_ID is not set: group notices through the app robot need the notice card template',
          );
        // Idempotent: the same outTrackId on every attempt; an existing card is updated, never shown twice.
        await deps.dingtalk.deliverCard({
          outTrackId: noticeOutTrackId(message.key),
          cardTemplateId: deps.cardTemplates.notice,
          cardParamMap: noticeCardParams(notice),
          to: { groupId: channel.groupId },
          callbackType: deps.cardCallback.type,
          ...(deps.cardCallback.type === 'HTTP' ? { callbackRouteKey: deps.cardCallback.routeKey } : {}),
        });
        break;
      case 'workNotice':
        await deps.dingtalk.sendWorkNotification({
          userIds: message.userIds ?? [],
          msg: { msgtype: 'markdown', markdown: notice },
        });
        break;
    }
  }

  function enqueueOps(base: Omit<QueuedNotice, 'id' | 'userIds'>, id: string): Promise<void> {
    return enqueueOpsNotice(deps, base, id);
  }
}

/**
 * A notice to the rules' ops target (robot and/or people), enqueued with this id (`-u` for the people's). Ids of
 * alerts about the delivery path itself start with `p-`: the outbox never alerts about those.
 */
export async function enqueueOpsNotice(
  deps: { outbox: OutboxDeps; rules: Pick<Rules, 'ops' | 'robots'>; logger: Logger },
  base: Omit<QueuedNotice, 'id' | 'userIds'>,
  id: string,
): Promise<void> {
  const ops = deps.rules.ops;
  if (ops?.robot) {
    const robot = deps.rules.robots[ops.robot];
    await enqueueNotices(deps.outbox, channelForRobot({ name: ops.robot, ...robot }), [{ ...base, id }]);
  }
  if (ops?.users.length) {
    await enqueueNotices(deps.outbox, { kind: 'workNotice' }, [{ ...base, id: `${id}-u`, userIds: ops.users }]);
  }
  if (!ops?.robot && !ops?.users.length) deps.logger.error({ notice: base }, 'no ops target is configured');
}

export type NoticeActivities = ReturnType<typeof createNoticeActivities>;
