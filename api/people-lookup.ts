/**
 * Who a 转交 / 加签 brings in, found in DingTalk BEFORE the decision goes to the workflow: a person may be named by
 * DingTalk userId, by mobile number or by name. A name is searched among DingTalk users (搜索用户userId) and each hit
 * read for its name; one person → found, several → the sender must pick (department and mobile tail help), none →
 * not found. Nothing is guessed: a userId or mobile DingTalk does not know is simply not found.
 */
import type { Logger } from '../common/logger';
import type { PersonCandidate } from '../domain/texts';
import type { DingTalkDepartment, DingTalkUser } from '../integrations/dingtalk';

/** The DingTalk calls the lookup needs (DingTalkClient has them). */
export interface PeopleDirectory {
  getUser(userId: string): Promise<DingTalkUser | undefined>;
  getUserByMobile(mobile: string): Promise<string | undefined>;
  searchUsers(input: {
    queryWord: string;
    exact?: boolean;
    size?: number;
  }): Promise<{ userIds: string[]; hasMore: boolean; totalCount: number }>;
  getDepartment(deptId: number): Promise<DingTalkDepartment | undefined>;
}

export type PersonLookup =
  | { kind: 'found'; person: { userId: string; name: string }; by: 'userId' | 'mobile' | 'name' }
  /** `total`: how many DingTalk says share the name (the candidates are the first page of them). */
  | { kind: 'ambiguous'; query: string; candidates: PersonCandidate[]; total: number }
  | { kind: 'notFound'; query: string }
  /** DingTalk could not be asked (network, permission, rate limit). */
  | { kind: 'unavailable'; query: string };

export interface PeopleLookup {
  find(query: string): Promise<PersonLookup>;
  /** One DingTalk user by userId (mobile, manager), or undefined when DingTalk does not know them. */
  user(userId: string): Promise<DingTalkUser | undefined>;
}

/** Mainland mobile numbers, optionally with +86 / 86 in front. */
const mobilePattern = /^(?:\+?86)?(1\d{10})$/u;
/** What a DingTalk userId can look like (printable ASCII, no spaces); names in Chinese are never tried as ids. */
const userIdPattern = /^[\x21-\x7e]{1,64}$/u;
const searchPageSize = 20;

export function createPeopleLookup(directory: PeopleDirectory, logger?: Logger): PeopleLookup {
  const found = (user: DingTalkUser, by: 'userId' | 'mobile' | 'name'): PersonLookup => ({
    kind: 'found',
    person: { userId: user.userId, name: user.name },
    by,
  });

  async function candidate(user: DingTalkUser): Promise<PersonCandidate> {
    const deptId = user.deptIds[0];
    const department = deptId === undefined ? undefined : await directory.getDepartment(deptId).catch(() => undefined);
    return {
      userId: user.userId,
      name: user.name,
      ...(department ? { department: department.name } : {}),
      ...(user.mobile && user.mobile.length >= 4 ? { mobileTail: user.mobile.slice(-4) } : {}),
    };
  }

  return {
    user(userId: string): Promise<DingTalkUser | undefined> {
      return directory.getUser(userId);
    },
    async find(raw: string): Promise<PersonLookup> {
      const query = raw.trim().replace(/^@/u, '').trim();
      if (!query) return { kind: 'notFound', query: raw.trim() };
      try {
        if (userIdPattern.test(query)) {
          const user = await directory.getUser(query);
          if (user) return found(user, 'userId');
        }
        const mobile = mobilePattern.exec(query.replace(/[\s-]/gu, ''))?.[1];
        if (mobile) {
          const userId = await directory.getUserByMobile(mobile);
          const user = userId ? await directory.getUser(userId) : undefined;
          return user ? found(user, 'mobile') : { kind: 'notFound', query };
        }
        const hits = await directory.searchUsers({ queryWord: query, exact: true, size: searchPageSize });
        const users = (await Promise.all(hits.userIds.map((id) => directory.getUser(id)))).filter(
          (user): user is DingTalkUser => user !== undefined && user.name === query,
        );
        const [only, ...others] = users;
        if (!only) return { kind: 'notFound', query };
        if (others.length === 0 && !hits.hasMore) return found(only, 'name');
        return {
          kind: 'ambiguous',
          query,
          candidates: await Promise.all(users.map(candidate)),
          total: Math.max(hits.totalCount, users.length),
        };
      } catch (err) {
        logger?.warn({ query, err: String(err) }, 'DingTalk people lookup failed');
        return { kind: 'unavailable', query };
      }
    },
  };
}
