/**
 * What the fake DingTalk holds, in memory: the interactive cards it has delivered (with each person's private
 * data), every message it has delivered (work notifications, robot messages, bot replies), the card callback
 * routes, access tokens, robot send times (for the per-minute limit), bot-reply sessions, and the faults a test has
 * injected. No HTTP here: protocol.ts speaks DingTalk's APIs over this state, callbacks.ts sends what DingTalk sends
 * when a person acts, control.ts is the `/_emulator` API, and server.ts puts them on a port.
 *
 * Quotas and usage (docs/dingtalk-emulator.md "Quotas"): every call is counted per API and per app, with the
 * month's metered totals; DingTalk's limits for a standard-edition organisation are enforced by default — 20 calls
 * per second per app per API (HTTP 403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` / errcode 90018), 20
 * messages a minute per custom robot (errcode 130101), 500 work notifications per person per day (dropped
 * silently) — and lifted with `quotas: false` (CLI `--no-quotas`, `POST /_emulator/quotas`) to measure the bridge
 * alone. The monthly call quotas are counted always and enforced only when `quotas.monthly` sets them.
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
  /** DingTalk silently drops identical work notifications to the same person within a day, and those past the
   * person's daily cap. */
  dropped?: boolean;
  dropReason?: 'duplicate' | 'dailyCap';
}

/** A 待办 (Todo task, todo_1_0): owned by a person (unionId), created by an app. */
export interface EmulatedTodo {
  id: string;
  /** The owner's unionId (path `{unionId}`), and the userId it maps to. */
  unionId: string;
  userId?: string;
  clientId: string;
  creatorId: string;
  subject: string;
  description?: string;
  dueTime?: number;
  executorIds: string[];
  participantIds: string[];
  detailUrl?: { appUrl?: string; pcUrl?: string };
  sourceId?: string;
  priority?: number;
  done: boolean;
  deleted: boolean;
  createdTime: number;
  modifiedTime: number;
  finishTime?: number;
}

/** What a person wrote to the bot (1:1, or @bot in a group), as their own chat window shows it (sandbox only). */
export interface SentBotMessage {
  id: string;
  userId: string;
  groupId?: string;
  text: string;
  at: number;
}

export type DingTalkFault =
  | { kind: 'rateLimit'; path?: string; times?: number }
  | { kind: 'http500'; path?: string; times?: number }
  /** The app lacks the API's permission (an admin never granted it in the developer console). */
  | { kind: 'permissionDenied'; path?: string; times?: number }
  | { kind: 'latency'; ms: number; path?: string; times?: number };

export interface DingTalkEmulatorOptions {
  port?: number;
  seed?: DingTalkSeed;
  tokenTtlMs?: number;
  /** Robot limit: messages per robot per "minute", and how long that minute is (scaled down in tests). */
  robotLimit?: { perMinute: number; minuteMs: number };
  /** DingTalk's quotas, standard edition by default; parts may be scaled (tests), `false` lifts them all. */
  quotas?: Partial<DingTalkQuotas> | false;
}

/**
 * DingTalk's limits for an internal app of a standard-edition organisation (open.dingtalk.com 调用频次与限流, 计费模型说明;
 * the reference's §3.4, §4, §10).
 */
export interface DingTalkQuotas {
  /** Calls per app per API per second (standard edition 20; counted in whole seconds, "当前秒"). `secondMs`
   * scales the second for tests. */
  qps: { perSecond: number; secondMs: number };
  /** A custom robot: messages per minute; past it 130101. `throttleMs`: how long DingTalk then refuses everything
   * from the robot (its docs say up to 10 minutes; 0 = only the excess is refused). */
  robot: { perMinute: number; minuteMs: number; throttleMs: number };
  /** Work notifications per app per person per DingTalk day (internal app 500); past it dropped silently. */
  workNoticePerUserPerDay: number;
  /** Metered calls per calendar month (standard edition: 5,000 API calls, 3,000 Webhook&Stream messages).
   * Always counted; enforced only when set here (90020 / `Forbidden.AccessDenied.ApiCountLimitForOrg`). */
  monthly?: { api?: number; webhookStream?: number };
}

/** The standard edition's published monthly quotas (from 2025-11-19), for projections. */
export const standardEditionMonthly = { api: 5_000, webhookStream: 3_000 } as const;

/**
 * Which monthly quota a call counts against: `api` (metered open APIs), `webhookStream` (custom-robot webhooks,
 * session webhooks and Stream messages to the app) or `free` (access tokens and the contacts APIs, which DingTalk
 * does not meter: 不纳入调用量限制的接口清单).
 */
export type QuotaKind = 'api' | 'webhookStream' | 'free';

const freeApis = new Set([
  'POST /v1.0/oauth2/accessToken',
  'GET /gettoken',
  'POST /topapi/v2/user/get',
  'POST /topapi/v2/user/getbymobile',
  'POST /topapi/v2/department/get',
  'POST /topapi/user/listadmin',
  'POST /topapi/user/getbyunionid',
  'POST /v1.0/gateway/connections/open',
]);

export function quotaKindOf(api: string): QuotaKind {
  if (freeApis.has(api)) return 'free';
  if (api.startsWith('STREAM ') || api === 'POST /robot/send' || api === 'POST /robot/sendBySession')
    return 'webhookStream';
  return 'api';
}

/** One API call as the emulator meters it (an express request fits). */
export interface MeteredCall {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
}

/** DingTalk's answer to a call it refuses for a quota: HTTP status and body. */
export interface QuotaRefusal {
  status: number;
  body: Record<string, unknown>;
}

export interface ApiUsage {
  /** Calls that reached DingTalk (refused ones included). */
  calls: number;
  /** Refused for a quota (QPS, robot minute, monthly). */
  refused: number;
  quota: QuotaKind;
  /** Most calls accepted within one second (of the app busiest on it). */
  peakPerSecond: number;
}

export interface DingTalkStats {
  /** The quotas in force; null while lifted. */
  quotas: DingTalkQuotas | null;
  since: string;
  total: number;
  byApi: Record<string, ApiUsage>;
  /** Calls per app (clientId; custom robots as `robot:<group>`) and API. */
  byApp: Record<string, Record<string, number>>;
  refused: { qps: number; robotPerMinute: number; robotThrottled: number; monthly: number; workNoticeDailyCap: number };
  /** Custom robots: messages accepted, and the most accepted within any one (sliding) minute. */
  robots: Record<string, { sent: number; peakPerMinute: number }>;
  /** Month-to-date (China time) calls per quota, refusals for QPS excluded as DingTalk excludes them. */
  month: {
    month: string;
    api: number;
    webhookStream: number;
    free: number;
    byApi: Record<string, number>;
    /** The standard edition's monthly quotas, for comparison. */
    standardEdition: typeof standardEditionMonthly;
  };
}

export class DingTalkState {
  readonly cards = new Map<string, EmulatedCard>();
  readonly messages: EmulatedMessage[] = [];
  /** 待办 by task id (deleted ones kept, marked, so a test sees they were removed). */
  readonly todos = new Map<string, EmulatedTodo>();
  faults: DingTalkFault[] = [];
  /**
   * How many card-callback answers are lost on their way back (the connection broke after the app sent them): the
   * click fails for the person and the card stays as it was, though the app answered in time.
   */
  cardAnswersToLose = 0;
  /** What people wrote to the bot through the sandbox or the control API, oldest first (their side of the chat). */
  readonly sentToBot: SentBotMessage[] = [];
  readonly routes = new Map<string, { url: string; apiSecret?: string }>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  /** When each robot (by access token) sent, for the per-minute limit. */
  readonly robotSends = new Map<string, number[]>();
  /** Bot-reply sessions (`sessionWebhook`), opened when a person writes to the bot. */
  readonly sessions = new Map<string, { userId: string; groupId?: string }>();
  /** The quotas as configured (lifted or not), and whether they are enforced now. */
  readonly quotaConfig: DingTalkQuotas;
  quotasEnabled: boolean;
  private usage = newUsage();

  constructor(
    readonly seed: DingTalkSeed,
    protected readonly options: DingTalkEmulatorOptions = {},
  ) {
    for (const route of seed.cardCallbackRoutes)
      this.routes.set(route.routeKey, { url: route.url, apiSecret: route.apiSecret });
    const quotas = options.quotas === false ? {} : (options.quotas ?? {});
    const robot = { perMinute: 20, minuteMs: 60_000, throttleMs: 0, ...options.robotLimit, ...quotas.robot };
    this.quotaConfig = {
      qps: { perSecond: 20, secondMs: 1_000, ...quotas.qps },
      robot,
      workNoticePerUserPerDay: quotas.workNoticePerUserPerDay ?? 500,
      ...(quotas.monthly ? { monthly: quotas.monthly } : {}),
    };
    this.quotasEnabled = options.quotas !== false;
  }

  /** The userId a unionId stands for (the emulator's unionIds are `union-<userId>`), if that person exists. */
  userIdOfUnion(unionId: string): string | undefined {
    const userId = unionId.startsWith('union-') ? unionId.slice('union-'.length) : undefined;
    return userId && this.seed.users.some((u) => u.userId === userId) ? userId : undefined;
  }

  /** A person's 待办, open ones first (deleted ones only with `includeDeleted`). */
  todosFor(userId: string, options: { includeDeleted?: boolean } = {}): EmulatedTodo[] {
    return [...this.todos.values()]
      .filter((t) => t.userId === userId && (options.includeDeleted || !t.deleted))
      .sort((a, b) => Number(a.done) - Number(b.done) || a.createdTime - b.createdTime);
  }

  /** Keep what a person wrote to the bot, for their chat window (not a DingTalk API: nothing is counted). */
  recordSentToBot(input: { userId: string; text: string; groupId?: string }): SentBotMessage {
    const entry: SentBotMessage = {
      id: randomUUID(),
      userId: input.userId,
      ...(input.groupId ? { groupId: input.groupId } : {}),
      text: input.text,
      at: Date.now(),
    };
    this.sentToBot.push(entry);
    if (this.sentToBot.length > 5_000) this.sentToBot.shift();
    return entry;
  }

  get robotLimit() {
    const { perMinute, minuteMs } = this.quotaConfig.robot;
    return { perMinute, minuteMs };
  }

  /** Lift the quotas (false) or enforce them again (true); usage is counted either way. */
  setQuotasEnabled(enabled: boolean): void {
    this.quotasEnabled = enabled;
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

  // ── quotas and usage ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * A call to one of DingTalk's APIs arrives: count it (per API, per app, this month) and check the app's quotas.
   * Returns DingTalk's refusal (the caller answers with it) or undefined to go on. Custom robots are limited per
   * robot in takeRobotSend, work notifications per person in takeWorkNotice.
   */
  admit(call: MeteredCall, now = Date.now()): QuotaRefusal | undefined {
    // One API, whoever's 待办 it is: path parameters do not make separate APIs.
    const path = call.path.replace(
      /^\/v1\.0\/todo\/users\/[^/]+\/tasks(\/[^/]+)?$/,
      (_, task?: string) => `/v1.0/todo/users/{unionId}/tasks${task ? '/{taskId}' : ''}`,
    );
    const api = `${call.method.toUpperCase()} ${path}`;
    const app = this.callerOf(call);
    const entry = this.count(api, app);
    const oldApi = !call.path.startsWith('/v1.0/');
    if (app && !app.startsWith('robot:') && api !== 'POST /robot/sendBySession') {
      const { perSecond, secondMs } = this.quotaConfig.qps;
      const second = Math.floor(now / secondMs);
      const key = `${app} ${api}`;
      const bucket = this.usage.seconds.get(key);
      const used = bucket?.second === second ? bucket.count : 0;
      if (this.quotasEnabled && used >= perSecond) {
        entry.refused += 1;
        this.usage.refused.qps += 1;
        return oldApi
          ? {
              status: 200,
              body: {
                errcode: 90018,
                errmsg: `当前应用调用该接口过于频繁（每秒最多 ${perSecond} 次），请稍后再试`,
                request_id: randomUUID(),
              },
            }
          : {
              status: 403,
              body: {
                code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
                message: `应用调用该接口的频率超过限制（每秒最多 ${perSecond} 次）`,
                requestid: randomUUID(),
              },
            };
      }
      this.usage.seconds.set(key, { second, count: used + 1 });
      entry.peakPerSecond = Math.max(entry.peakPerSecond, used + 1);
    }
    // Robot webhooks count towards the month when the robot accepts them (takeRobotSend).
    if (api === 'POST /robot/send') return undefined;
    return this.meterMonth(api, oldApi);
  }

  /** A Stream frame DingTalk pushes to an app (card callback, robot message), or a connection the app opens. */
  countStream(clientId: string, what: 'open' | { topic: string }): void {
    const api = what === 'open' ? 'POST /v1.0/gateway/connections/open' : `STREAM ${what.topic}`;
    this.count(api, clientId);
    if (what !== 'open') this.meterMonth(api, false, true);
  }

  /**
   * A custom robot's next message: 130101 when the robot has sent its `perMinute` within the last minute (or is
   * still throttled after going over); otherwise it is counted as sent. Returns DingTalk's refusal, or undefined.
   */
  takeRobotSend(accessToken: string, now = Date.now()): Record<string, unknown> | undefined {
    const { perMinute, minuteMs, throttleMs } = this.quotaConfig.robot;
    const sent = (this.robotSends.get(accessToken) ?? []).filter((t) => t > now - minuteMs);
    this.robotSends.set(accessToken, sent);
    const entry = this.usage.byApi.get('POST /robot/send');
    const refuse = (throttled: boolean) => {
      if (entry) entry.refused += 1;
      if (throttled) this.usage.refused.robotThrottled += 1;
      else this.usage.refused.robotPerMinute += 1;
      return { errcode: 130101, errmsg: `send too fast, exceed ${perMinute} times per minute` };
    };
    if (this.quotasEnabled) {
      const blockedUntil = this.usage.robotBlockedUntil.get(accessToken);
      if (blockedUntil !== undefined && blockedUntil > now) return refuse(true);
      if (sent.length >= perMinute) {
        if (throttleMs > 0) this.usage.robotBlockedUntil.set(accessToken, now + throttleMs);
        return refuse(false);
      }
    }
    const monthly = this.meterMonth('POST /robot/send', true);
    if (monthly) return monthly.body;
    sent.push(now);
    const log = this.usage.robotLog.get(accessToken) ?? [];
    log.push(now);
    if (log.length > 20_000) log.shift();
    this.usage.robotLog.set(accessToken, log);
    return undefined;
  }

  /**
   * One work notification to a person: false when it is past the person's daily cap (DingTalk then drops it
   * silently: errcode 0, nothing delivered). Days are DingTalk's (China time).
   */
  takeWorkNotice(clientId: string, userId: string, now = Date.now()): boolean {
    const day = chinaDate(now).slice(0, 10);
    const key = `${clientId} ${userId}`;
    const current = this.usage.workNotices.get(key);
    const count = current?.day === day ? current.count : 0;
    this.usage.workNotices.set(key, { day, count: count + 1 });
    if (!this.quotasEnabled || count < this.quotaConfig.workNoticePerUserPerDay) return true;
    this.usage.refused.workNoticeDailyCap += 1;
    return false;
  }

  /** Everything counted since the start (or the last reset), and this month's totals. */
  stats(now = Date.now()): DingTalkStats {
    const month = this.currentMonth(now);
    const minuteMs = this.quotaConfig.robot.minuteMs;
    return {
      quotas: this.quotasEnabled ? structuredClone(this.quotaConfig) : null,
      since: new Date(this.usage.since).toISOString(),
      total: [...this.usage.byApi.values()].reduce((sum, e) => sum + e.calls, 0),
      byApi: Object.fromEntries([...this.usage.byApi].map(([api, e]) => [api, { ...e }])),
      byApp: Object.fromEntries([...this.usage.byApp].map(([app, apis]) => [app, Object.fromEntries(apis)])),
      refused: { ...this.usage.refused },
      robots: Object.fromEntries(
        [...this.usage.robotLog].map(([token, times]) => {
          const groupId = this.seed.robots.find((r) => r.accessToken === token)?.groupId ?? token;
          return [groupId, { sent: times.length, peakPerMinute: peakInWindow(times, minuteMs) }];
        }),
      ),
      month: {
        month: month.month,
        api: month.api,
        webhookStream: month.webhookStream,
        free: month.free,
        byApi: Object.fromEntries(month.byApi),
        standardEdition: standardEditionMonthly,
      },
    };
  }

  /** Forget the counts (not the month-to-date totals unless `month` too): a fresh measurement. */
  resetStats(options: { month?: boolean } = {}): void {
    const month = this.usage.month;
    this.usage = newUsage();
    if (!options.month) this.usage.month = month;
  }

  /** Start this month's totals at these counts (calls made before the emulator ran, for projections). */
  setMonthUsage(counts: { api?: number; webhookStream?: number; free?: number }, now = Date.now()): void {
    const month = this.currentMonth(now);
    if (counts.api !== undefined) month.api = counts.api;
    if (counts.webhookStream !== undefined) month.webhookStream = counts.webhookStream;
    if (counts.free !== undefined) month.free = counts.free;
  }

  private currentMonth(now: number): Usage['month'] {
    const key = chinaDate(now).slice(0, 7);
    if (this.usage.month.month !== key)
      this.usage.month = { month: key, api: 0, webhookStream: 0, free: 0, byApi: new Map() };
    return this.usage.month;
  }

  /** Count a call towards the month; over an enforced monthly quota, DingTalk's refusal instead. */
  private meterMonth(api: string, oldApi: boolean, force = false): QuotaRefusal | undefined {
    const month = this.currentMonth(Date.now());
    const kind = quotaKindOf(api);
    const limit = kind === 'free' ? undefined : this.quotaConfig.monthly?.[kind];
    if (!force && this.quotasEnabled && limit !== undefined && month[kind] >= limit) {
      const entry = this.usage.byApi.get(api);
      if (entry) entry.refused += 1;
      this.usage.refused.monthly += 1;
      if (api === 'POST /robot/send') return { status: 200, body: { errcode: 90030, errmsg: 'webhook over limit' } };
      const message = `您的企业本月api调用量已超过限制，调用量:${month[kind] + 1}次，额度:${limit}次，请登录开发者后台-资源管理-查看用量明细`;
      return oldApi
        ? { status: 200, body: { errcode: 90020, errmsg: message, request_id: randomUUID() } }
        : {
            status: 403,
            body: { code: 'Forbidden.AccessDenied.ApiCountLimitForOrg', message, requestid: randomUUID() },
          };
    }
    month[kind] += 1;
    month.byApi.set(api, (month.byApi.get(api) ?? 0) + 1);
    return undefined;
  }

  private count(api: string, app: string | undefined): ApiUsage {
    let entry = this.usage.byApi.get(api);
    if (!entry) {
      entry = { calls: 0, refused: 0, quota: quotaKindOf(api), peakPerSecond: 0 };
      this.usage.byApi.set(api, entry);
    }
    entry.calls += 1;
    const who = app ?? 'unknown';
    const apis = this.usage.byApp.get(who) ?? new Map<string, number>();
    apis.set(api, (apis.get(api) ?? 0) + 1);
    this.usage.byApp.set(who, apis);
    return entry;
  }

  /** The app (clientId) a call is made as, or `robot:<group>` for a custom robot. */
  private callerOf(call: MeteredCall): string | undefined {
    const header = call.headers?.['x-acs-dingtalk-access-token'];
    if (typeof header === 'string' && header) return this.tokenOwner(header);
    const query = call.query ?? {};
    const token = typeof query.access_token === 'string' ? query.access_token : '';
    if (call.path === '/robot/send') {
      const robot = this.seed.robots.find((r) => r.accessToken === token);
      return robot ? `robot:${robot.groupId}` : undefined;
    }
    if (token) return this.tokenOwner(token);
    if (typeof query.appkey === 'string') return this.seed.apps.find((a) => a.clientId === query.appkey)?.clientId;
    const body = (call.body ?? {}) as { appKey?: unknown };
    if (typeof body.appKey === 'string') return this.seed.apps.find((a) => a.clientId === body.appKey)?.clientId;
    return undefined;
  }
}

interface Usage {
  since: number;
  byApi: Map<string, ApiUsage>;
  byApp: Map<string, Map<string, number>>;
  /** Per app and API: the current second and its calls. */
  seconds: Map<string, { second: number; count: number }>;
  refused: DingTalkStats['refused'];
  robotLog: Map<string, number[]>;
  robotBlockedUntil: Map<string, number>;
  workNotices: Map<string, { day: string; count: number }>;
  month: { month: string; api: number; webhookStream: number; free: number; byApi: Map<string, number> };
}

function newUsage(): Usage {
  return {
    since: Date.now(),
    byApi: new Map(),
    byApp: new Map(),
    seconds: new Map(),
    refused: { qps: 0, robotPerMinute: 0, robotThrottled: 0, monthly: 0, workNoticeDailyCap: 0 },
    robotLog: new Map(),
    robotBlockedUntil: new Map(),
    workNotices: new Map(),
    month: { month: chinaDate(Date.now()).slice(0, 7), api: 0, webhookStream: 0, free: 0, byApi: new Map() },
  };
}

/** DingTalk counts days and months in China time (UTC+8): `YYYY-MM-DDTHH:mm…`. */
function chinaDate(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString();
}

/** The most entries of sorted `times` within any window of `windowMs`. */
function peakInWindow(times: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
