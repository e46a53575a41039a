/**
 * Activities: every piece of I/O the workflows do, as thin wrappers over the Kingdee and DingTalk clients.
 * `createActivities(deps)` receives the clients, so production, the demo and the tests differ only in what they
 * pass in (real systems or the emulators); workflows see only the types, through proxyActivities.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../common/logger';
import type { Rules } from '../rules';
import { DingTalkError, type DingTalkClient } from '../integrations/dingtalk';
import { KingdeeError, KingdeeNotFoundError, readDocument, type KingdeeClient } from '../integrations/kingdee';
import { tryResolveChain, type ApproverSpec, type RobotTarget } from '../rules/plan';
import type { ApprovalPlan, Notice, Person } from '../workflows/contract';
import { approvalCardTemplateId } from '../domain/texts';
import type { DocumentRef, DocumentSummary } from '../domain/document';
import { toDocumentSummary } from './documents';
import { createPollActivity, type IngestionDeps } from './ingestion';
import { People } from './people';

export interface ActivityDeps extends IngestionDeps {
  kingdee: KingdeeClient;
  dingtalk: DingTalkClient;
  rules: Rules;
  logger: Logger;
  /** Base URL a person can open a document at; `{formId}`, `{billNo}`, `{billId}` are filled in. */
  documentLinkTemplate: string;
  /** How cards call back: STREAM (no public URL needed) or HTTP (route key registered with DingTalk). */
  cardCallback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string };
  /** Robot name (as in the rules file) → webhook URL and signing secret, from the environment. */
  robots: Record<string, { webhookUrl: string; secret?: string }>;
}

/** A stable outTrackId per (workflow, step, person): a retried delivery updates the same card, never shows two. */
export function outTrackIdFor(workflowId: string, stepId: string, userId: string): string {
  return `kdb-${createHash('sha256').update(`${workflowId}\n${stepId}\n${userId}`).digest('hex').slice(0, 40)}`;
}

export function createActivities(deps: ActivityDeps) {
  const people = new People(deps.dingtalk);

  /** Kingdee errors become ApplicationFailures whose type is the error class, retryable or not as classified. */
  const asFailure = (err: unknown): never => {
    if (err instanceof KingdeeError || err instanceof DingTalkError) {
      throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
    }
    throw err;
  };

  async function loadDocument(ref: DocumentRef): Promise<DocumentSummary | undefined> {
    const doc = await readDocument(deps.kingdee, ref.formId, { number: ref.billNo }).catch((err: unknown) => {
      if (err instanceof KingdeeNotFoundError) return undefined;
      return asFailure(err);
    });
    return doc ? toDocumentSummary(ref, doc, deps.documentLinkTemplate) : undefined;
  }

  const activities = {
    /** Load the document and plan its approval from the rules loaded at start-up (captured in history). */
    async planApproval({ document: ref }: { document: DocumentRef }): Promise<ApprovalPlan> {
      const document = await loadDocument(ref);
      if (!document) return { applicable: false, reason: `金蝶中找不到单据 ${ref.billNo}（可能已删除）` };
      if (document.status !== 'B') {
        return { applicable: false, reason: `单据不在审核中（金蝶状态 ${document.status}），无需审批`, document };
      }
      const result = tryResolveChain(deps.rules, document);
      if (!result.applicable)
        return { applicable: 'misconfigured', reason: result.reason, type: result.type, document };
      return { applicable: true, document, plan: result.plan };
    },

    async resolveApprovers({
      specs,
      document,
    }: {
      specs: ApproverSpec[];
      document: DocumentSummary;
    }): Promise<Person[]> {
      const found: Person[] = [];
      for (const spec of specs) {
        let person: Person | undefined;
        if (spec.kind === 'user') person = await people.describe(spec.userId);
        else if (spec.kind === 'applicantManager') {
          const applicant = document.applicant.mobile ? await people.byMobile(document.applicant.mobile) : undefined;
          person = applicant ? await people.managerOf(applicant.userId) : undefined;
        } else if (spec.mobile) person = await people.byMobile(spec.mobile);
        if (!person) {
          deps.logger.warn({ billNo: document.billNo, spec }, 'approver could not be resolved to a DingTalk user');
          continue;
        }
        if (!found.some((p) => p.userId === person.userId)) found.push(person);
      }
      if (found.length === 0) {
        throw ApplicationFailure.create({
          type: 'NoApprovers',
          nonRetryable: true,
          message: `无法确定 ${document.billNo} 的审批人：规则中的审批人在钉钉中都找不到（检查手机号与上级设置）`,
        });
      }
      return found;
    },

    async describeUser({ userId }: { userId: string }): Promise<Person | null> {
      return (await people.describe(userId)) ?? null;
    },

    async findManager({ userId }: { userId: string }): Promise<Person | null> {
      return (await people.managerOf(userId)) ?? null;
    },

    async findApplicant({ document }: { document: DocumentSummary }): Promise<Person | null> {
      if (!document.applicant.mobile) return null;
      return (await people.byMobile(document.applicant.mobile)) ?? null;
    },

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

    /**
     * Write the outcome to Kingdee exactly once: read the state first, treat "already there" as success, and let
     * the client's idempotent operations absorb a retry after an ambiguous timeout.
     */
    async writeBack(input: {
      document: DocumentSummary;
      outcome: 'approved' | 'rejected';
      comment: string;
      operation: 'audit' | 'workflowAudit' | 'none' | 'unAudit' | 'cancelAssign' | 'workflowReject';
      actingUserId?: string;
    }): Promise<{ operation: string; alreadyInState: boolean }> {
      const { document, operation } = input;
      const numbers = [document.billNo];
      try {
        const current = await loadDocument(document);
        if (!current)
          throw ApplicationFailure.create({
            type: 'KingdeeNotFoundError',
            nonRetryable: true,
            message: `金蝶中找不到单据 ${document.billNo}`,
          });
        const actingUserName = input.actingUserId ? await kingdeeUserNameFor(input.actingUserId) : undefined;
        switch (operation) {
          case 'audit': {
            if (current.status === 'C') return { operation, alreadyInState: true };
            const result = await deps.kingdee.audit(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'workflowAudit':
          case 'workflowReject': {
            const target = operation === 'workflowAudit' ? 'C' : 'D';
            if (current.status === target) return { operation, alreadyInState: true };
            const result = await deps.kingdee.workflowAudit({
              formId: document.formId,
              numbers,
              ...(actingUserName ? { userName: actingUserName } : {}),
              approvalType: operation === 'workflowAudit' ? 1 : 2,
              disposition: input.comment,
            });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'cancelAssign': {
            if (current.status !== 'B') return { operation, alreadyInState: true };
            const result = await deps.kingdee.cancelAssign(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'unAudit': {
            if (current.status !== 'C') return { operation, alreadyInState: true };
            const result = await deps.kingdee.unAudit(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'none':
            return { operation, alreadyInState: true };
        }
      } catch (err) {
        return asFailure(err);
      }
    },

    pollForm: createPollActivity(deps),
  };
  return classifyErrors(activities, asFailure);

  /** The Kingdee user who acts in WorkflowAudit: the DingTalk approver, matched by mobile. */
  async function kingdeeUserNameFor(dingtalkUserId: string): Promise<string | undefined> {
    const person = await people.details(dingtalkUserId);
    if (!person?.mobile) return undefined;
    return deps.kingdee.findUserNameByMobile(person.mobile);
  }
}

export type Activities = ReturnType<typeof createActivities>;

/** Every activity rethrows client errors as ApplicationFailures typed by class, retryable as classified. */
function classifyErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  asFailure: (err: unknown) => never,
): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          return asFailure(err);
        }
      },
    ]),
  ) as T;
}
