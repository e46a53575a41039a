/**
 * What the fake DingTalk holds, in memory: the interactive cards it has delivered (with each person's private
 * data), every message it has delivered (work notifications, robot messages, bot replies), the card callback
 * routes, access tokens, robot send times (for the per-minute limit), bot-reply sessions, and the faults a test has
 * injected. No HTTP here: protocol.ts speaks DingTalk's APIs over this state, callbacks.ts sends what DingTalk sends
 * when a person acts, control.ts is the `/_emulator` API, and server.ts puts them on a port.
 */
import { randomUUID } from 'node:crypto';
import type { DingTalkSeed } from './seed';

export interface EmulatedCard {
  outTrackId: string;
  templateId: string;
  clientId: string;
  cardParamMap: Record<string, string>;
  privateData: Record<string, Record<string, string>>;
  callbackType: 'STREAM' | 'HTTP';
  callbackRouteKey?: string;
  /** Who sees it: users (robot 1:1 chat) and groups. */
  userIds: string[];
  groupIds: string[];
  createdAt: number;
  updatedAt: number;
  /** The last callback's outcome, shown by the sandbox. */
  lastCallback?: { at: number; ok: boolean; detail?: string };
}

export interface EmulatedMessage {
  id: string;
  kind: 'workNotification' | 'robot' | 'sessionReply';
  userId?: string;
  groupId?: string;
  msgtype: string;
  title?: string;
  text: string;
  body: unknown;
  at: number;
  /** DingTalk silently drops identical work notifications to the same person within a day. */
  dropped?: boolean;
}

export type DingTalkFault =
  | { kind: 'rateLimit'; path?: string; times?: number }
  | { kind: 'http500'; path?: string; times?: number }
  | { kind: 'latency'; ms: number; path?: string; times?: number };

export interface DingTalkEmulatorOptions {
  port?: number;
  seed?: DingTalkSeed;
  tokenTtlMs?: number;
  /** Robot limit: messages per robot per "minute", and how long that minute is (scaled down in tests). */
  robotLimit?: { perMinute: number; minuteMs: number };
}

export class DingTalkState {
  readonly cards = new Map<string, EmulatedCard>();
  readonly messages: EmulatedMessage[] = [];
  faults: DingTalkFault[] = [];
  readonly routes = new Map<string, { url: string; apiSecret?: string }>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  /** When each robot (by access token) sent, for the per-minute limit. */
  readonly robotSends = new Map<string, number[]>();
  /** Bot-reply sessions (`sessionWebhook`), opened when a person writes to the bot. */
  readonly sessions = new Map<string, { userId: string; groupId?: string }>();

  constructor(
    readonly seed: DingTalkSeed,
    protected readonly options: DingTalkEmulatorOptions = {},
  ) {
    for (const route of seed.cardCallbackRoutes)
      this.routes.set(route.routeKey, { url: route.url, apiSecret: route.apiSecret });
  }

  get robotLimit() {
    return this.options.robotLimit ?? { perMinute: 20, minuteMs: 60_000 };
  }

  cardsFor(userId?: string): EmulatedCard[] {
    return [...this.cards.values()].filter(
      (c) => !userId || c.userIds.includes(userId) || c.groupIds.some((g) => this.groupMembers(g).includes(userId)),
    );
  }

  messagesFor(filter: { userId?: string; groupId?: string }): EmulatedMessage[] {
    return this.messages.filter(
      (m) =>
        (filter.userId ? m.userId === filter.userId : true) && (filter.groupId ? m.groupId === filter.groupId : true),
    );
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  setCallbackUrl(routeKey: string, url: string, apiSecret?: string): void {
    this.routes.set(routeKey, { url, apiSecret });
  }

  private groupMembers(groupId: string): string[] {
    return this.seed.groups.find((g) => g.openConversationId === groupId)?.memberUserIds ?? [];
  }

  /** The first injected fault for a request to this path, used up once (removed when its `times` run out). */
  takeFault(path: string): DingTalkFault | undefined {
    const index = this.faults.findIndex((f) => !f.path || path.startsWith(f.path));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (fault.times !== undefined && --fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  /** How long an access token lives. */
  ttl(): number {
    return this.options.tokenTtlMs ?? 7_200_000;
  }

  /** The app's live token, or a new one. */
  issueToken(clientId: string): string {
    for (const [token, info] of this.tokens)
      if (info.clientId === clientId && info.expiresAt > Date.now()) return token;
    const token = randomUUID().replace(/-/g, '');
    this.tokens.set(token, { clientId, expiresAt: Date.now() + this.ttl() });
    return token;
  }

  /** The app a live token belongs to. */
  tokenOwner(token: string): string | undefined {
    const info = this.tokens.get(token);
    return info && info.expiresAt > Date.now() ? info.clientId : undefined;
  }
}
