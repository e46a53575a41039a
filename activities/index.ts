/**
 * Activities: every piece of I/O the workflows do, as thin wrappers over the Kingdee and DingTalk clients, one file
 * per collaborator — kingdee.ts (plan and write back), people.ts (DingTalk users and managers), dingtalk.ts (cards,
 * and notices enqueued into their outbox), ingestion.ts (polling Kingdee; own-write-backs.ts tells it which changes the
 * approvals' write-backs made, so they are not signalled back). `createActivities(deps)` merges them and
 * receives the clients, so production, the demo and the tests differ only in what they pass in (real systems or the
 * emulators);
 * workflows see only the types, through proxyActivities, and call each activity by its name. The notice sends
 * (notices.ts, `createNoticeActivities`) run on a task queue and worker of their own: `<taskQueue>-notices`.
 */
import type { Logger } from '../common/logger';
import type { ApprovalPlan } from '../workflows/contract';
import { createDingTalkActivities, type DingTalkActivityDeps } from './dingtalk';
import { classifyErrors, currentContext } from './failures';
import { createPollActivity, type IngestionDeps } from './ingestion';
import { createKingdeeActivities, type KingdeeActivityDeps } from './kingdee';
import { OwnWriteBacks } from './own-write-backs';
import { createPeopleActivities, People } from './people';
import { createPaymentActivities } from './payments';
import { createDraftActivities } from './drafts';
import { createOaActivities } from './oa';
import { createWatchActivities } from './watches';

export { outTrackIdFor } from './dingtalk';
export {
  createNoticeActivities,
  noticePacing,
  type NoticeActivities,
  type NoticeActivityDeps,
  type OutboxDeps,
} from './notices';
export { syncPushes, syncPushSchedules, syncWatches } from './watches';
export { createPaymentRequests, type PaymentRequestOutcome, type PaymentRequests } from './payments';
export { createDraftRequests, type DraftRequestOutcome, type DraftRequests } from './drafts';
export { createOaRequests, type OaRequests } from './oa';

export interface ActivityDeps extends IngestionDeps, KingdeeActivityDeps, DingTalkActivityDeps {
  logger: Logger;
  /** DATA_DIR: where the processes count their DingTalk calls (the weekly report reads the month's). */
  dataDir?: string;
  /** Robot name (as in the rules file) → webhook URL and signing secret, from the environment. */
  robots: Record<string, { webhookUrl: string; secret?: string }>;
}

export function createActivities(deps: ActivityDeps) {
  const people = new People(deps.dingtalk);
  const ownWriteBacks = new OwnWriteBacks();
  const kingdee = createKingdeeActivities(deps, people, ownWriteBacks);
  const peopleActivities = createPeopleActivities(deps, people);
  /** Planning an approval began here: the polls' planning window frees its place without asking Temporal. */
  const reportPlanning = () => {
    const run = currentContext()?.info.workflowExecution;
    if (run) deps.approvals.planningBegun(run);
  };
  return classifyErrors({
    ...kingdee,
    async planApproval(input: Parameters<typeof kingdee.planApproval>[0]): Promise<ApprovalPlan> {
      reportPlanning();
      return kingdee.planApproval(input);
    },
    ...peopleActivities,
    /**
     * planApproval and, when it plans, resolveApprovers for the first step — in one local activity, so a new
     * approval's first workflow task has one activation less. When the approvers cannot be resolved, the plan comes
     * back without them and the step resolves them itself (and fails there, with the reason it always gave).
     */
    async planApprovalWithApprovers(input: Parameters<typeof kingdee.planApproval>[0]): Promise<ApprovalPlan> {
      reportPlanning();
      const planned = await kingdee.planApproval(input);
      const first = planned.applicable === true ? planned.plan.steps[0] : undefined;
      if (planned.applicable !== true || !first) return planned;
      try {
        const firstApprovers = await peopleActivities.resolveApprovers({
          specs: first.approvers,
          document: planned.document,
        });
        return { ...planned, firstApprovers };
      } catch {
        return planned;
      }
    },
    ...createDingTalkActivities(deps, people),
    pollForm: createPollActivity({ ...deps, ownWriteBacks }),
    ...createWatchActivities(deps),
    ...createPaymentActivities(deps),
    ...createDraftActivities(deps, people),
    ...createOaActivities(deps, people),
  });
}

export type Activities = ReturnType<typeof createActivities>;
