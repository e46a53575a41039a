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
import type { Notice, NoticeHandOver, Person } from '../workflows/contract';
import type { DocumentSummary } from '../domain/document';
import { channelForRobot, enqueueNotices, queuedNotice, workNotices, type OutboxDeps } from './notices';
import type { People } from './people';
import { DingTalkTroubleAlerts } from './dingtalk-trouble';
import type { Rules } from '../rules';

export interface DingTalkActivityDeps {
  dingtalk: DingTalkClient;
  logger: Logger;
  /** How cards call back: STREAM (no public URL needed) or HTTP (route key registered with DingTalk). */
  cardCallback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string };
  /** The card templates (DINGTALK_CARD_TEMPLATE_ID; the demo's seeded ids): the approval card's is used here. */
  cardTemplates: { approval: string; notice?: string };
  /** Where notices are enqueued: the Temporal client and the approvals' task queue. */
  outbox: OutboxDeps;
  /** The rules: their ops target hears when DingTalk keeps failing the cards or 待办 (dingtalk-trouble.ts). */
  rules: Rules;
  /** Ops are told at this failed attempt of a card or 待办 call (default 8: about two minutes of retries). */
  troubleAlertAfterAttempts?: number;
}

/**
 * A stable outTrackId per (workflow, step, person, round): a retried delivery updates the same card, never shows
 * two. `round` (the run that handles one submission of the document) makes a resubmitted document's cards new
 * cards — DingTalk notifies of a new card, and the earlier round's cards keep their result. Without a round (runs
 * from before rounds existed) the id is what it always was.
 */
export function outTrackIdFor(workflowId: string, stepId: string, userId: string, round?: string): string {
  const key = round ? `${workflowId}\n${round}\n${stepId}\n${userId}` : `${workflowId}\n${stepId}\n${userId}`;
  return `kdb-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** The 待办's sourceId (DingTalk's idempotency key) per (workflow, round, step, person). */
export function todoSourceIdFor(workflowId: string, stepId: string, userId: string, round?: string): string {
  const key = `todo\n${workflowId}\n${round ?? ''}\n${stepId}\n${userId}`;
  return `kdb-todo-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function createDingTalkActivities(deps: DingTalkActivityDeps, people: People) {
  /** A notice into a robot's group outbox; `key`: the workflow's name for it (queuedNotice). */
  const toGroup = (robot: RobotTarget, notice: Notice, key?: string) =>
    enqueueNotices(deps.outbox, channelForRobot(robot), [queuedNotice(notice, 'robot', undefined, key)]);
  /** A notice into the work-notice outbox, for these people. */
  const toUsers = (userIds: readonly string[], notice: Notice, key?: string) =>
    enqueueNotices(deps.outbox, { kind: 'workNotice' }, workNotices(notice, userIds, 'users', key));
  const activities = {
    async deliverApprovalCards(input: {
      workflowId: string;
      stepId: string;
      userIds: string[];
      cardParams: Record<string, string>;
      /** The submission round (absent in runs from before rounds): part of the outTrackId. */
      round?: string;
    }): Promise<Array<{ outTrackId: string; userId: string }>> {
      const delivered: Array<{ outTrackId: string; userId: string }> = [];
      for (const userId of input.userIds) {
        const outTrackId = outTrackIdFor(input.workflowId, input.stepId, userId, input.round);
        await deps.dingtalk.deliverCard({
          outTrackId,
          cardTemplateId: deps.cardTemplates.approval,
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

    /**
     * A 待办 per approver for a pending approval (owner and executor: the person, by unionId). Idempotent: the
     * sourceId is derived from (workflow, round, step, person), so a retried create answers the same task. People
     * DingTalk gives no unionId are left out (their card still reaches them).
     */
    async createApprovalTodos(input: {
      workflowId: string;
      round?: string;
      stepId: string;
      userIds: string[];
      subject: string;
      description?: string;
      dueTime?: number;
      link?: string;
    }): Promise<Array<{ userId: string; unionId: string; taskId: string }>> {
      const created: Array<{ userId: string; unionId: string; taskId: string }> = [];
      for (const userId of input.userIds) {
        const unionId = (await deps.dingtalk.getUser(userId))?.unionId;
        if (!unionId) {
          deps.logger.warn(
            { userId, workflowId: input.workflowId },
            'no unionId for a 待办; the card alone reaches them',
          );
          continue;
        }
        const task = await deps.dingtalk.createTodo({
          unionId,
          subject: input.subject,
          ...(input.description ? { description: input.description } : {}),
          ...(input.dueTime !== undefined ? { dueTime: input.dueTime } : {}),
          ...(input.link ? { detailUrl: input.link } : {}),
          sourceId: todoSourceIdFor(input.workflowId, input.stepId, userId, input.round),
        });
        created.push({ userId, unionId, taskId: task.id });
      }
      return created;
    },

    /** Close 待办: `done` for the person who decided, `delete` for the others (step or approval ended). Idempotent. */
    async closeApprovalTodos({
      todos,
    }: {
      todos: Array<{ unionId: string; taskId: string; how: 'done' | 'delete' }>;
    }): Promise<void> {
      for (const todo of todos) {
        if (todo.how === 'done') await deps.dingtalk.completeTodo({ unionId: todo.unionId, taskId: todo.taskId });
        else await deps.dingtalk.deleteTodo({ unionId: todo.unionId, taskId: todo.taskId });
      }
    },

    /** Work notification(s) to people: enqueued (one outbox for all work notifications), sent by the outbox. */
    async notifyUsers({ userIds, notice }: { userIds: string[]; notice: Notice }): Promise<void> {
      if (userIds.length === 0) return;
      await toUsers(userIds, notice);
    },

    /** A post to a rules-file robot's group: enqueued into that robot's outbox. */
    async notifyGroup({ robot, notice }: { robot: RobotTarget; notice: Notice }): Promise<void> {
      await toGroup(robot, notice);
    },

    /**
     * Several notices handed over at once — an approval's finish: the applicant's notice and each follow-up — with
     * the applicant looked up once, if any of them asks for the applicant. One local activity is one activation of
     * the approval's workflow, where a lookup and a hand-over each were one (the worker's workflow thread is the
     * limit of a burst). Every hand-over is made even when one fails (then the activity fails, and its retry hands
     * all of them over again: their ids come from their keys, so the outbox drops what it has).
     * `applicant`: who the applicant is in DingTalk (null: not found), undefined when none of them asked.
     */
    async handOverNotices({
      applicantOf,
      items,
    }: {
      applicantOf: DocumentSummary;
      items: NoticeHandOver[];
    }): Promise<{ applicant?: Person | null }> {
      const applicant = items.some((item) => item.applicant)
        ? ((await people.applicantOf(applicantOf)) ?? null)
        : undefined;
      const handOvers: Array<Promise<void>> = [];
      for (const item of items) {
        const userIds = new Set(item.userIds);
        if (item.applicant && applicant) userIds.add(applicant.userId);
        if (item.robot) handOvers.push(toGroup(item.robot, item.notice, item.key));
        if (userIds.size > 0) handOvers.push(toUsers([...userIds], item.notice, item.key));
      }
      const failed = (await Promise.allSettled(handOvers)).find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      return applicant === undefined ? {} : { applicant };
    },

    /** The needs-attention alert: to the ops robot and/or ops people (each enqueued), else the log. */
    async notifyOps({
      notice,
      ops,
    }: {
      notice: Notice;
      ops?: { robot?: RobotTarget; users: string[] };
    }): Promise<void> {
      if (ops?.robot) await toGroup(ops.robot, notice);
      if (ops?.users.length) await toUsers(ops.users, notice);
      if (!ops?.robot && !ops?.users.length)
        deps.logger.error({ notice }, 'needs attention, and no ops target is configured');
    },
  };
  // The approvers' path, retried without end: not silently (dingtalk-trouble.ts).
  const trouble = new DingTalkTroubleAlerts({ ...deps, afterAttempts: deps.troubleAlertAfterAttempts ?? 8 });
  return { ...activities, ...trouble.watch(activities) };
}
