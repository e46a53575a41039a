/**
 * People in DingTalk as the workflows need them: by userId, by mobile (how Kingdee people are mapped), and their
 * manager (for "the applicant's manager" and escalation). `People` wraps the lookups (the DingTalk client caches
 * them); `createPeopleActivities` offers them to the workflows: resolving a step's approvers, naming users, finding
 * managers and the applicant. When no approver of a step can be found, the failure says for each one why (in
 * Chinese, for the ops alert): no mobile in Kingdee, no DingTalk user with it, no manager set, no such userId.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../common/logger';
import type { DingTalkClient } from '../integrations/dingtalk';
import type { ApproverSpec } from '../rules/plan';
import type { Person } from '../workflows/contract';
import type { DocumentSummary } from '../domain/document';
import { approversNotFoundMessage, type ApproverProblem } from '../domain/texts/approval';

export interface PersonDetails extends Person {
  mobile?: string;
  managerUserId?: string;
}

export class People {
  constructor(private readonly dingtalk: DingTalkClient) {}

  async details(userId: string): Promise<PersonDetails | undefined> {
    const user = await this.dingtalk.getUser(userId);
    if (!user) return undefined;
    return { userId: user.userId, name: user.name, mobile: user.mobile, managerUserId: user.managerUserId };
  }

  async describe(userId: string): Promise<Person | undefined> {
    const user = await this.details(userId);
    return user ? { userId: user.userId, name: user.name } : undefined;
  }

  async byMobile(mobile: string): Promise<Person | undefined> {
    const userId = await this.dingtalk.getUserByMobile(mobile);
    return userId ? this.describe(userId) : undefined;
  }

  /** The applicant of a document in DingTalk, by the mobile Kingdee has for them. */
  async applicantOf(document: DocumentSummary): Promise<Person | undefined> {
    return document.applicant.mobile ? this.byMobile(document.applicant.mobile) : undefined;
  }

  async managerOf(userId: string): Promise<Person | undefined> {
    const user = await this.details(userId);
    return user?.managerUserId ? this.describe(user.managerUserId) : undefined;
  }
}

export function createPeopleActivities(deps: { logger: Logger }, people: People) {
  /** One approver spec as a DingTalk person, or why it is none. */
  async function resolve(
    spec: ApproverSpec,
    document: DocumentSummary,
  ): Promise<{ person: Person } | { problem: ApproverProblem }> {
    if (spec.kind === 'user') {
      const person = await people.describe(spec.userId);
      return person ? { person } : { problem: { kind: 'unknownUser', userId: spec.userId } };
    }
    if (spec.kind === 'applicantManager') {
      const name = document.applicant.name;
      const mobile = document.applicant.mobile;
      if (!mobile) return { problem: { kind: 'applicantWithoutMobile', name } };
      const applicant = await people.byMobile(mobile);
      if (!applicant) return { problem: { kind: 'applicantNotInDingTalk', name, mobile } };
      const manager = await people.managerOf(applicant.userId);
      return manager ? { person: manager } : { problem: { kind: 'applicantWithoutManager', name } };
    }
    if (!spec.mobile) return { problem: { kind: 'fieldWithoutMobile', field: spec.field } };
    const person = await people.byMobile(spec.mobile);
    return person ? { person } : { problem: { kind: 'fieldNotInDingTalk', field: spec.field, mobile: spec.mobile } };
  }

  return {
    async resolveApprovers({
      specs,
      document,
    }: {
      specs: ApproverSpec[];
      document: DocumentSummary;
    }): Promise<Person[]> {
      const found: Person[] = [];
      const problems: ApproverProblem[] = [];
      for (const spec of specs) {
        const result = await resolve(spec, document);
        if ('problem' in result) {
          problems.push(result.problem);
          deps.logger.warn(
            { billNo: document.billNo, spec, problem: result.problem.kind },
            'approver could not be resolved to a DingTalk user',
          );
          continue;
        }
        if (!found.some((p) => p.userId === result.person.userId)) found.push(result.person);
      }
      if (found.length === 0) {
        throw ApplicationFailure.create({
          type: 'NoApprovers',
          nonRetryable: true,
          message: approversNotFoundMessage(document.billNo, problems),
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
      return (await people.applicantOf(document)) ?? null;
    },
  };
}
