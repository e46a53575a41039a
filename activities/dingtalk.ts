/**
 * The activities that talk to people through DingTalk: deliver the approval card to each approver and update it as
 * the approval moves on; and the notices — work notifications to users, group-robot posts, ops alerts — which are
 * ENQUEUED into the channel's outbox workflow (activities/notices.ts, workflows/outbox.ts) and return at once: the
 * outbox dedupes, paces to DingTalk's limits and sends. The texts come from the workflow, already worded. The
 * notify* names and arguments stay as recorded approval histories call them.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger';
import type { DingTalkClient } from '../integrations/dingtalk';
import type { RobotTarget } from '../rules/plan';
import type { Notice } from '../workflows/contract';
import { approvalCardTemplateId } from '../domain/texts';
import { channelForRobot, enqueueNotices, queuedNotice, workNotices, type OutboxDeps } from './notices';

export interface DingTalkActivityDeps {
  dingtalk: DingTalkClient;
  logger: Logger;
  /** How cards call back: STREAM (no public URL needed) or HTTP (route key registered with DingTalk). */
  cardCallback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string };
  /** Where notices are enqueued: the Temporal client and the approvals' task queue. */
  outbox: OutboxDeps;
}

/** A stable outTrackId per (workflow, step, person): a retried delivery updates the same card, never shows two. */
export function outTrackIdFor(workflowId: string, stepId: string, userId: string): string {
  return `kdb-${createHash('sha256').update(`${workflowId}\n${stepId}\n${userId}`).digest('hex').slice(0, 40)}`;
}

export function createDingTalkActivities(deps: DingTalkActivityDeps) {
  return {
    async deliverApprovalCards(input: {
      workflowId: string;
      stepId: string;
      userIds: string[];
      cardParams: Record<string, string>;
    }): Promise<Array<{ outTrackId: string; userId: string }>> {
      const delivered: Array<{ outTrackId: string; userId: string }> = [];
      for (const userId of input.userIds) {
        const outTrackId = outTrackIdFor(input.workflowId, input.stepId, userId);
        await deps.dingtalk.deliverCard({
          outTrackId,
          cardTemplateId: approvalCardTemplateId,
          cardParamMap: input.cardParams,
          to: { userId },
          callbackType: deps.cardCallback.type,
          ...(deps.cardCallback.type === 'HTTP' ? { callbackRouteKey: deps.cardCallback.routeKey } : {}),
        });
        delivered.push({ outTrackId, userId });
      }
      return delivered;
    },

    async updateApprovalCards({
      updates,
    }: {
      updates: Array<{ outTrackId: string; cardParams: Record<string, string> }>;
    }): Promise<void> {
      for (const update of updates) {
        await deps.dingtalk.updateCard({
          outTrackId: update.outTrackId,
          cardParamMap: update.cardParams,
          mergeByKey: true,
        });
      }
    },

    /** Work notification(s) to people: enqueued (one outbox for all work notifications), sent by the outbox. */
    async notifyUsers({ userIds, notice }: { userIds: string[]; notice: Notice }): Promise<void> {
      if (userIds.length === 0) return;
      await enqueueNotices(deps.outbox, { kind: 'workNotice' }, workNotices(notice, userIds, 'users'));
    },

    /** A post to a rules-file robot's group: enqueued into that robot's outbox. */
    async notifyGroup({ robot, notice }: { robot: RobotTarget; notice: Notice }): Promise<void> {
      await enqueueNotices(deps.outbox, channelForRobot(robot), [queuedNotice(notice, 'robot')]);
    },

    /** The needs-attention alert: to the ops robot and/or ops people (each enqueued), else the log. */
    async notifyOps({
      notice,
      ops,
    }: {
      notice: Notice;
      ops?: { robot?: RobotTarget; users: string[] };
    }): Promise<void> {
      if (ops?.robot) await enqueueNotices(deps.outbox, channelForRobot(ops.robot), [queuedNotice(notice, 'robot')]);
      if (ops?.users.length)
        await enqueueNotices(deps.outbox, { kind: 'workNotice' }, workNotices(notice, ops.users, 'users'));
      if (!ops?.robot && !ops?.users.length)
        deps.logger.error({ notice }, 'needs attention, and no ops target is configured');
    },
  };
}
