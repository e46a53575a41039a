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
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
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
import { asFailure } from './failures';

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
 * retried enqueue repeats the same id.
 */
export function queuedNotice(notice: Notice, part: string, userIds?: string[]): QueuedNotice {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? info.workflowType ?? 'standalone';
  const runId = info.workflowExecution?.runId ?? '';
  return {
    id: `n-${sha(`${workflowId}\n${runId}\n${info.activityId}\n${part}`, 24)}`,
    title: notice.title,
    text: notice.text,
    summary: noticeSummary(notice),
    ...(userIds ? { userIds } : {}),
    origin: `${workflowId} #${info.activityId}${part ? ` ${part}` : ''}`,
    queuedAt: Date.now(),
  };
}

/** Hand notices to the channel's outbox (started if need be) and return: no waiting for DingTalk's quota. */
export async function enqueueNotices(deps: OutboxDeps, channel: NoticeChannel, notices: QueuedNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const pacing = noticePacing(channel, deps.minuteMs);
  const input: OutboxInput = { channel, pacing };
  await deps.client.workflow.signalWithStart(workflowTypes.outbox, {
    taskQueue: deps.taskQueue,
    workflowId: outboxWorkflowId(deps.taskQueue, channel),
    args: [input],
    signal: enqueueNoticesSignal,
    signalArgs: [{ notices, pacing }],
  });
}

/** Work notices to many people go in sends of at most 100 (DingTalk's userid_list), each its own notice. */
export function workNotices(notice: Notice, userIds: readonly string[], part: string): QueuedNotice[] {
  const size = dingtalkLimits.workNotice.maxUsersPerSend;
  const chunks: string[][] = [];
  for (let i = 0; i < userIds.length; i += size) chunks.push(userIds.slice(i, i + size));
  return chunks.map((chunk, i) => queuedNotice(notice, chunks.length > 1 ? `${part}/${i}` : part, chunk));
}

export interface NoticeActivityDeps {
  dingtalk: DingTalkClient;
  logger: Logger;
  rules: Pick<Rules, 'ops' | 'robots'>;
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
      try {
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
      } catch (err) {
        if (err instanceof DingTalkRateLimitedError) {
          deps.logger.warn({ channel, key: message.key }, 'DingTalk refused a notice for rate limit; the outbox waits');
          return { outcome: 'rateLimited' };
        }
        return asFailure(err);
      }
      deps.logger.info(
        { channel, key: message.key, notices: message.noticeIds.length, attempt: message.attempts },
        'notice sent',
      );
      return { outcome: 'sent' };
    },

    /** Log a message the outbox gave up on and tell ops once (never about an alert itself). */
    async reportNoticeProblem({ channel, problem }: { channel: NoticeChannel; problem: OutboxProblem }): Promise<void> {
      deps.logger.error({ channel, problem }, 'the notice outbox gave up on a message');
      if (problem.key.startsWith('p-')) return;
      const alert = noticeProblemAlert({
        problem: problem.problem,
        channel: noticeChannelLabel(channel),
        title: problem.title,
        reason: problem.reason,
        count: problem.count,
      });
      const id = `p-${sha(`${problem.key}\n${problem.problem}`, 24)}`;
      const base = { title: alert.title, text: alert.text, summary: alert.title, origin: `outbox ${problem.key}` };
      const ops = deps.rules.ops;
      if (ops?.robot) {
        const robot = deps.rules.robots[ops.robot];
        await enqueueNotices(deps.outbox, channelForRobot({ name: ops.robot, ...robot }), [{ ...base, id }]);
      }
      if (ops?.users.length) {
        await enqueueNotices(deps.outbox, { kind: 'workNotice' }, [{ ...base, id: `${id}-u`, userIds: ops.users }]);
      }
    },
  };
}

export type NoticeActivities = ReturnType<typeof createNoticeActivities>;
