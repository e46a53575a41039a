/**
 * The activities that talk to people through DingTalk: deliver the approval card to each approver and update it as
 * the approval moves on, send work notifications to users, post to group robots, and alert ops (robot and/or
 * users, or the log when no ops target is configured). The texts come from the workflow, already worded.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger';
import type { DingTalkClient } from '../integrations/dingtalk';
import type { RobotTarget } from '../rules/plan';
import type { Notice } from '../workflows/contract';
import { approvalCardTemplateId } from '../domain/texts';

export interface DingTalkActivityDeps {
  dingtalk: DingTalkClient;
  logger: Logger;
  /** How cards call back: STREAM (no public URL needed) or HTTP (route key registered with DingTalk). */
  cardCallback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string };
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

    async notifyUsers({ userIds, notice }: { userIds: string[]; notice: Notice }): Promise<void> {
      if (userIds.length === 0) return;
      await deps.dingtalk.sendWorkNotification({
        userIds,
        msg: { msgtype: 'markdown', markdown: { title: notice.title, text: notice.text } },
      });
    },

    async notifyGroup({ robot, notice }: { robot: RobotTarget; notice: Notice }): Promise<void> {
      await deps.dingtalk.sendRobotMessage(robot.webhook ?? robot.name, {
        markdown: { title: notice.title, text: notice.text },
      });
    },

    async notifyOps({
      notice,
      ops,
    }: {
      notice: Notice;
      ops?: { robot?: RobotTarget; users: string[] };
    }): Promise<void> {
      if (ops?.robot)
        await deps.dingtalk.sendRobotMessage(ops.robot.webhook ?? ops.robot.name, {
          markdown: { title: notice.title, text: notice.text },
        });
      if (ops?.users.length) {
        await deps.dingtalk.sendWorkNotification({
          userIds: ops.users,
          msg: { msgtype: 'markdown', markdown: { title: notice.title, text: notice.text } },
        });
      }
      if (!ops?.robot && !ops?.users.length)
        deps.logger.error({ notice }, 'needs attention, and no ops target is configured');
    },
  };
}
