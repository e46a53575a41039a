/**
 * People in DingTalk as the workflows need them: by userId, by mobile (how Kingdee people are mapped), and their
 * manager (for "the applicant's manager" and escalation). The DingTalk client caches the lookups.
 */
import type { DingTalkClient } from '../integrations/dingtalk';
import type { Person } from '../workflows/contract';

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
