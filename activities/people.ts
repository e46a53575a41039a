/**
 * People in DingTalk as the workflows need them: by userId, by mobile (how Kingdee people are mapped), and their
 * manager (for "the applicant's manager" and escalation). `People` wraps the lookups (the DingTalk client caches
 * them); `createPeopleActivities` offers them to the workflows: resolving a step's approvers, naming users, finding
 * managers and the applicant.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../common/logger';
import type { DingTalkClient } from '../integrations/dingtalk';
import type { ApproverSpec } from '../rules/plan';
import type { Person } from '../workflows/contract';
import type { DocumentSummary } from '../domain/document';
import { noApproversMessage } from '../domain/texts';

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

  async managerOf(userId: string): Promise<Person | undefined> {
    const user = await this.details(userId);
    return user?.managerUserId ? this.describe(user.managerUserId) : undefined;
  }
}

export function createPeopleActivities(deps: { logger: Logger }, people: People) {
  return {
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
          message: noApproversMessage(document.billNo),
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
  };
}
