/**
 * DingTalk client: access tokens (cached, refreshed early, single-flight; invalidated and retried once on a token
 * error), interactive cards, work notifications, custom group robots (signed, kept under their per-minute limit),
 * people and departments (cached), and replies through a robot session webhook. Old-API and robot endpoints answer
 * HTTP 200 on failure, so every answer is judged by its errcode / code, parsed with zod.
 *
 * Longer than our ~500-line guide on purpose: one vendor's HTTP API in one module, as the design asks of each
 * client; callbacks, crypto, Stream and the limiter live beside it.
 */
import { createHmac } from 'node:crypto';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../common/logger';
import {
  DingTalkAuthError,
  DingTalkDeliveryError,
  type DingTalkError,
  DingTalkNetworkError,
  DingTalkRateLimitedError,
  DingTalkRequestError,
  DingTalkServerError,
  DingTalkUncertainDeliveryError,
} from './errors';
import { dingtalkLimits, SlidingWindowLimiter } from './limiter';
import { dingtalkApiOf } from './usage';

export const dingtalkClientConfigSchema = z.object({
  apiBaseUrl: z.url().default('https://api.dingtalk.com'),
  oapiBaseUrl: z.url().default('https://oapi.dingtalk.com'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  agentId: z.string().optional(),
  robotCode: z.string().optional(),
  timeoutMs: z.number().int().positive().default(10_000),
  /** Custom group robots by name. */
  robots: z.record(z.string(), z.object({ webhookUrl: z.url(), secret: z.string().optional() })).default({}),
  /** Per robot: at most `perMinute` messages per `minuteMs` (DingTalk: 20 a minute). Scaled down in tests. */
  robotLimit: z
    .object({ perMinute: z.number().int().positive(), minuteMs: z.number().int().positive() })
    .default({ perMinute: 20, minuteMs: 60_000 }),
  /** Client-side QPS per API (DingTalk limits each app to 20 calls per second per API: 调用频次与限流). */
  qps: z.number().positive().default(dingtalkLimits.api.perSecond),
});
export type DingTalkClientConfig = z.input<typeof dingtalkClientConfigSchema> & {
  logger?: Logger;
  /** Every answer DingTalk gives (`METHOD /path`, HTTP status, body): the month's usage (usage.ts). */
  onCall?: (call: { api: string; status: number; data: unknown }) => void;
};

export interface DingTalkUser {
  userId: string;
  name: string;
  mobile?: string;
  managerUserId?: string;
  deptIds: number[];
  /** The cross-organisation id (unionid): Todo APIs address people by it. */
  unionId?: string;
}

export type WorkNotificationMsg =
  | { msgtype: 'markdown'; markdown: { title: string; text: string } }
  | {
      msgtype: 'action_card';
      action_card: { title: string; markdown: string; single_title?: string; single_url?: string };
    }
  | {
      msgtype: 'oa';
      oa: {
        message_url: string;
        head: { bgcolor: string; text: string };
        body: { title?: string; form?: Array<{ key: string; value: string }>; content?: string };
      };
    }
  | { msgtype: 'text'; text: { content: string } };

export type RobotMessage =
  | { markdown: { title: string; text: string }; atUserIds?: string[]; atMobiles?: string[] }
  | { actionCard: { title: string; text: string; singleTitle?: string; singleURL?: string }; atUserIds?: string[] }
  | { text: { content: string }; atUserIds?: string[]; atMobiles?: string[] };

const oldEnvelope = z
  .object({
    errcode: z.number(),
    errmsg: z.string().optional(),
    sub_code: z.string().optional(),
    sub_msg: z.string().optional(),
  })
  .passthrough();
const newError = z.object({ code: z.string(), message: z.string().optional() }).passthrough();
const tokenNew = z.object({ accessToken: z.string(), expireIn: z.number() });
const deliverResult = z.object({
  success: z.boolean().optional(),
  result: z.object({
    outTrackId: z.string().optional(),
    deliverResults: z
      .array(
        z.object({
          spaceType: z.string().optional(),
          spaceId: z.string().optional(),
          success: z.boolean(),
          errorMsg: z.string().nullish(),
        }),
      )
      .default([]),
  }),
});
const userResult = z.object({
  result: z
    .object({
      userid: z.string(),
      name: z.string(),
      mobile: z.string().optional(),
      manager_userid: z.string().optional(),
      dept_id_list: z.array(z.number()).default([]),
      unionid: z.string().optional(),
    })
    .passthrough(),
});

/** A DingTalk 待办 (Todo task) as the todo_1_0 API answers it. */
const todoTask = z
  .object({
    id: z.string(),
    subject: z.string().optional(),
    done: z.boolean().optional(),
    sourceId: z.string().nullish(),
    dueTime: z.number().nullish(),
  })
  .passthrough();
export type DingTalkTodo = z.infer<typeof todoTask>;

const userSearchResult = z.object({
  hasMore: z.boolean().default(false),
  totalCount: z.number().optional(),
  list: z.array(z.string()).default([]),
});
const departmentResult = z.object({
  result: z.object({
    dept_id: z.number(),
    name: z.string(),
    dept_manager_userid_list: z.array(z.string()).default([]),
  }),
});

/** A department as the people lookup shows it. */
const processInstanceAnswer = z.object({
  result: z
    .object({
      title: z.string().optional(),
      status: z.string(),
      result: z.string().optional(),
      businessId: z.string().optional(),
      originatorUserId: z.string(),
      originatorDeptId: z.string().optional(),
      originatorDeptName: z.string().optional(),
      createTime: z.string().optional(),
      finishTime: z.string().optional(),
      formComponentValues: z
        .array(
          z
            .object({
              id: z.string().optional(),
              name: z.string().optional(),
              value: z.string().optional(),
              componentType: z.string().optional(),
              extValue: z.string().optional(),
            })
            .passthrough(),
        )
        .default([]),
      operationRecords: z
        .array(
          z
            .object({ userId: z.string().optional(), type: z.string().optional(), remark: z.string().optional() })
            .passthrough(),
        )
        .default([]),
    })
    .passthrough(),
});
export type DingTalkProcessInstance = z.infer<typeof processInstanceAnswer>['result'] & { processInstanceId: string };

export interface DingTalkDepartment {
  deptId: number;
  name: string;
  managerUserIds: string[];
}

const tokenErrors = new Set(['InvalidAuthentication', '40014', '42001']);
const rateLimitCodes = new Set([90002, 90018, 90019, 130101, 660026, 410100]);
const refreshEarlyMs = 5 * 60_000;

export class DingTalkClient {
  private readonly config: z.infer<typeof dingtalkClientConfigSchema>;
  private readonly log: Logger;
  private readonly http: AxiosInstance;
  private token?: { value: string; expiresAt: number };
  private refreshing?: Promise<string>;
  private readonly users = new Map<string, { user: DingTalkUser | undefined; at: number }>();
  private readonly mobiles = new Map<string, { userId: string | undefined; at: number }>();
  private readonly departments = new Map<number, { department: DingTalkDepartment | undefined; at: number }>();
  private readonly robotLimiters = new Map<string, SlidingWindowLimiter>();
  private readonly robotQueues = new Map<string, Promise<void>>();
  private readonly familyLimiters = new Map<string, SlidingWindowLimiter>();
  private readonly cacheMs = 10 * 60_000;

  constructor(config: DingTalkClientConfig) {
    const { logger, onCall, ...rest } = config;
    this.config = dingtalkClientConfigSchema.parse(rest);
    this.log = logger ?? silentLogger;
    this.http = axios.create({ timeout: this.config.timeoutMs, validateStatus: () => true });
    if (onCall)
      this.http.interceptors.response.use((response) => {
        onCall({
          api: dingtalkApiOf(response.config.method, response.config.url),
          status: response.status,
          data: response.data,
        });
        return response;
      });
  }

  // ── tokens ──────────────────────────────────────────────────────────────────────────────────────────────

  /** A valid token: cached, refreshed five minutes before it expires, one refresh in flight for all callers. */
  async getAccessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - refreshEarlyMs > Date.now()) return this.token.value;
    this.refreshing ??= this.fetchToken().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  invalidateToken(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const response = await this.send('token', () =>
      this.http.post(`${this.config.apiBaseUrl}/v1.0/oauth2/accessToken`, {
        appKey: this.config.clientId,
        appSecret: this.config.clientSecret,
      }),
    );
    const parsed = tokenNew.safeParse(response.data);
    if (response.status !== 200 || !parsed.success) {
      const error = newError.safeParse(response.data);
      // A throttled or failing token endpoint is not a credentials problem: retryable, like any other call.
      const code = error.data?.code ?? '';
      if (response.status === 429 || /Throttling|QpsLimit/i.test(code))
        throw new DingTalkRateLimitedError(`DingTalk token request was rate limited (HTTP ${response.status})`, code);
      if (response.status >= 500)
        throw new DingTalkServerError(`DingTalk token request failed with HTTP ${response.status}`, code);
      throw new DingTalkAuthError(
        `DingTalk refused the app credentials (${error.data?.message ?? `HTTP ${response.status}`}): check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET`,
        error.data?.code,
      );
    }
    this.token = { value: parsed.data.accessToken, expiresAt: Date.now() + parsed.data.expireIn * 1000 };
    return parsed.data.accessToken;
  }

  /** The old endpoint (GET /gettoken): same token family, for callers that need it. */
  async getAccessTokenOld(): Promise<string> {
    const response = await this.send('token', () =>
      this.http.get(`${this.config.oapiBaseUrl}/gettoken`, {
        params: { appkey: this.config.clientId, appsecret: this.config.clientSecret },
      }),
    );
    const parsed = oldEnvelope
      .extend({ access_token: z.string().optional(), expires_in: z.number().optional() })
      .safeParse(response.data);
    if (!parsed.success || parsed.data.errcode !== 0 || !parsed.data.access_token) {
      throw new DingTalkAuthError(
        `DingTalk /gettoken failed: ${parsed.data?.errmsg ?? 'unexpected answer'}`,
        parsed.data?.errcode,
      );
    }
    this.token = { value: parsed.data.access_token, expiresAt: Date.now() + (parsed.data.expires_in ?? 7200) * 1000 };
    return parsed.data.access_token;
  }

  // ── cards ───────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Create and deliver an interactive card to a person (robot 1:1 chat) or a group. Idempotent by outTrackId: a
   * card that already exists (a retried delivery) is updated instead, so nobody ever sees two. Every space's
   * deliver result is checked: HTTP 200 does not mean delivered.
   */
  async deliverCard(input: {
    outTrackId: string;
    cardTemplateId: string;
    cardParamMap: Record<string, string>;
    to: { userId: string } | { groupId: string; recipients?: string[] };
    callbackType: 'STREAM' | 'HTTP';
    callbackRouteKey?: string;
  }): Promise<void> {
    const toUser = 'userId' in input.to;
    const body = {
      cardTemplateId: input.cardTemplateId,
      outTrackId: input.outTrackId,
      callbackType: input.callbackType,
      ...(input.callbackRouteKey ? { callbackRouteKey: input.callbackRouteKey } : {}),
      cardData: { cardParamMap: input.cardParamMap },
      openSpaceId:
        'userId' in input.to ? `dtv1.card//IM_ROBOT.${input.to.userId}` : `dtv1.card//IM_GROUP.${input.to.groupId}`,
      userIdType: 1,
      ...(toUser
        ? {
            imRobotOpenSpaceModel: { supportForward: false },
            imRobotOpenDeliverModel: {
              spaceType: 'IM_ROBOT',
              robotCode: this.config.robotCode ?? this.config.clientId,
            },
          }
        : {
            imGroupOpenSpaceModel: { supportForward: false },
            imGroupOpenDeliverModel: {
              robotCode: this.config.robotCode ?? this.config.clientId,
              ...('recipients' in input.to && input.to.recipients ? { recipients: input.to.recipients } : {}),
            },
          }),
    };
    try {
      const data = await this.newApi('cards', 'post', '/v1.0/card/instances/createAndDeliver', body);
      const parsed = deliverResult.safeParse(data);
      if (!parsed.success)
        throw new DingTalkRequestError(
          `createAndDeliver answered an unexpected shape: ${JSON.stringify(data).slice(0, 120)}`,
        );
      const failed = parsed.data.result.deliverResults.filter((r) => !r.success);
      if (failed.length > 0 || parsed.data.result.deliverResults.length === 0) {
        throw new DingTalkDeliveryError(
          `card ${input.outTrackId} was not delivered to ${failed.map((f) => `${f.spaceType}.${f.spaceId}: ${f.errorMsg ?? 'unknown'}`).join(', ') || 'any space'}`,
          'deliverFailed',
        );
      }
    } catch (err) {
      if (err instanceof DingTalkRequestError && err.code === 'param.cardAlreadyExist') {
        await this.updateCard({ outTrackId: input.outTrackId, cardParamMap: input.cardParamMap, mergeByKey: true });
        return;
      }
      throw err;
    }
  }

  /** Update a card's data; mergeByKey keeps the variables not sent (DingTalk otherwise replaces the whole map). */
  async updateCard(input: {
    outTrackId: string;
    cardParamMap: Record<string, string>;
    mergeByKey?: boolean;
  }): Promise<void> {
    await this.newApi('cards', 'put', '/v1.0/card/instances', {
      outTrackId: input.outTrackId,
      cardData: { cardParamMap: input.cardParamMap },
      cardUpdateOptions: { updateCardDataByKey: input.mergeByKey ?? true },
      userIdType: 1,
    });
  }

  // ── 待办 (Todo, todo_1_0; reference §9.3) ─────────────────────────────────────────────────────────────────

  /**
   * Create a 待办 for `unionId` (owner and executor). `sourceId` is the caller's idempotency key: DingTalk keeps one
   * task per sourceId, so a retried create answers the task made the first time.
   */
  async createTodo(input: {
    unionId: string;
    operatorId?: string;
    subject: string;
    description?: string;
    dueTime?: number;
    detailUrl?: string;
    sourceId: string;
    priority?: 10 | 20 | 30 | 40;
  }): Promise<DingTalkTodo> {
    const operator = encodeURIComponent(input.operatorId ?? input.unionId);
    const data = await this.newApi(
      'todo',
      'post',
      `/v1.0/todo/users/${encodeURIComponent(input.unionId)}/tasks?operatorId=${operator}`,
      {
        subject: input.subject,
        ...(input.description ? { description: input.description } : {}),
        ...(input.dueTime !== undefined ? { dueTime: input.dueTime } : {}),
        executorIds: [input.unionId],
        ...(input.detailUrl ? { detailUrl: { appUrl: input.detailUrl, pcUrl: input.detailUrl } } : {}),
        sourceId: input.sourceId,
        ...(input.priority ? { priority: input.priority } : {}),
        isOnlyShowExecutor: true,
      },
    );
    return todoTask.parse(data);
  }

  /** Mark a 待办 done (`{done: true}`); a task DingTalk no longer has counts as done. */
  async completeTodo(input: { unionId: string; taskId: string; operatorId?: string }): Promise<void> {
    const operator = encodeURIComponent(input.operatorId ?? input.unionId);
    await this.ignoreMissingTodo(() =>
      this.newApi(
        'todo',
        'put',
        `/v1.0/todo/users/${encodeURIComponent(input.unionId)}/tasks/${encodeURIComponent(input.taskId)}?operatorId=${operator}`,
        { done: true },
      ),
    );
  }

  /** Delete a 待办 (someone else decided, the step or the approval ended); a task already gone counts as deleted. */
  async deleteTodo(input: { unionId: string; taskId: string; operatorId?: string }): Promise<void> {
    const operator = encodeURIComponent(input.operatorId ?? input.unionId);
    await this.ignoreMissingTodo(() =>
      this.newApi(
        'todo',
        'delete',
        `/v1.0/todo/users/${encodeURIComponent(input.unionId)}/tasks/${encodeURIComponent(input.taskId)}?operatorId=${operator}`,
        undefined,
      ),
    );
  }

  private async ignoreMissingTodo(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (err instanceof DingTalkRequestError && /NotExist|NotFound/i.test(String(err.code))) return;
      throw err;
    }
  }

  // ── OA 审批 (workflow_1_0; reference §9) ──────────────────────────────────────────────────────────────────

  /** An approval instance (new API GetProcessInstance): status, result, originator, form values, records. */
  async getProcessInstance(processInstanceId: string): Promise<DingTalkProcessInstance> {
    const data = await this.newApi(
      'workflow',
      'get',
      `/v1.0/workflow/processInstances?processInstanceId=${encodeURIComponent(processInstanceId)}`,
      undefined,
    );
    return { processInstanceId, ...processInstanceAnswer.parse(data).result };
  }

  /** A comment (评论) on an instance, in `commentUserId`'s name. No idempotency key: callers check the records. */
  async addProcessInstanceComment(input: {
    processInstanceId: string;
    text: string;
    commentUserId: string;
  }): Promise<void> {
    await this.newApi('workflow', 'post', '/v1.0/workflow/processInstances/comments', input);
  }

  async registerCardCallback(input: { routeKey: string; url: string; apiSecret?: string }): Promise<void> {
    await this.newApi('cards', 'post', '/v1.0/card/callbacks/register', {
      callbackRouteKey: input.routeKey,
      callbackUrl: input.url,
      ...(input.apiSecret ? { apiSecret: input.apiSecret } : {}),
      forceUpdate: true,
    });
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * A work notification (工作通知). DingTalk silently drops identical content to the same person within a day,
   * so callers make repeated messages differ. No idempotency key: a timeout is reported as uncertain, never resent.
   */
  async sendWorkNotification(input: { userIds: string[]; msg: WorkNotificationMsg }): Promise<{ taskId: number }> {
    if (!this.config.agentId)
      throw new DingTalkRequestError('DINGTALK_AGENT_ID is not set: work notifications need the app agentId');
    const data = await this.oldApi(
      'messages',
      '/topapi/message/corpconversation/asyncsend_v2',
      { agent_id: Number(this.config.agentId), userid_list: input.userIds.slice(0, 100).join(','), msg: input.msg },
      { idempotent: false },
    );
    return { taskId: Number((data as { task_id?: unknown }).task_id ?? 0) };
  }

  /**
   * A custom group robot message: signed when the robot has a secret, paced under its per-minute limit, and sent
   * one at a time per robot, so a burst arrives complete and in order.
   */
  sendRobotMessage(robotName: string, message: RobotMessage): Promise<void> {
    const previous = this.robotQueues.get(robotName) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(() => this.sendRobotMessageNow(robotName, message));
    this.robotQueues.set(
      robotName,
      mine.catch(() => undefined),
    );
    return mine;
  }

  private async sendRobotMessageNow(robotName: string, message: RobotMessage): Promise<void> {
    const robot = this.config.robots[robotName];
    if (!robot) throw new DingTalkRequestError(`no robot named "${robotName}" is configured (DINGTALK_ROBOTS)`);
    let limiter = this.robotLimiters.get(robotName);
    if (!limiter) {
      limiter = new SlidingWindowLimiter(this.config.robotLimit.perMinute, this.config.robotLimit.minuteMs);
      this.robotLimiters.set(robotName, limiter);
    }
    const body = robotBody(message);
    for (let attempt = 0; ; attempt++) {
      await limiter.take();
      const url = signedRobotUrl(robot);
      const response = await this.send('robot', () => this.http.post(url.toString(), body), false);
      const parsed = oldEnvelope.safeParse(response.data);
      if (!parsed.success)
        throw new DingTalkRequestError(`robot ${robotName} answered an unexpected shape (HTTP ${response.status})`);
      if (parsed.data.errcode === 0) return;
      // A rate-limited message was not posted, so waiting and sending it again loses nothing and doubles nothing.
      if (isRateLimited(parsed.data.errcode, parsed.data.errmsg) && attempt < 5) {
        await new Promise((resolve) =>
          setTimeout(resolve, this.config.robotLimit.minuteMs / this.config.robotLimit.perMinute),
        );
        continue;
      }
      throw classifyOld(parsed.data, `robot ${robotName}`);
    }
  }

  /**
   * One custom-robot message, signed, sent once: no pacing, no waiting and no retry here (the notice outbox paces
   * and decides). A rate-limit answer (130101 "send too fast" …) throws DingTalkRateLimitedError — nothing was
   * posted; a timeout after the request went out throws DingTalkUncertainDeliveryError — it may have been posted.
   */
  async sendRobotMessageOnce(robotName: string, message: RobotMessage): Promise<void> {
    const robot = this.config.robots[robotName];
    if (!robot) throw new DingTalkRequestError(`no robot named "${robotName}" is configured (DINGTALK_ROBOTS)`);
    const body = robotBody(message);
    const url = signedRobotUrl(robot);
    const response = await this.send('robot', () => this.http.post(url.toString(), body), false);
    const parsed = oldEnvelope.safeParse(response.data);
    if (!parsed.success) {
      if (response.status === 429)
        throw new DingTalkRateLimitedError(`robot ${robotName} answered HTTP 429`, response.status);
      if (response.status >= 500)
        throw new DingTalkServerError(`robot ${robotName} failed with HTTP ${response.status}`, response.status);
      throw new DingTalkRequestError(`robot ${robotName} answered an unexpected shape (HTTP ${response.status})`);
    }
    if (parsed.data.errcode !== 0) throw classifyOld(parsed.data, `robot ${robotName}`);
  }

  /** Reply in the conversation a robot message came from. */
  async replyToSessionWebhook(
    sessionWebhook: string,
    message: { text: string } | { markdown: { title: string; text: string } },
  ): Promise<void> {
    const body =
      'text' in message
        ? { msgtype: 'text', text: { content: message.text } }
        : { msgtype: 'markdown', markdown: message.markdown };
    const response = await this.send('robot', () => this.http.post(sessionWebhook, body), false);
    const parsed = oldEnvelope.safeParse(response.data);
    if (!parsed.success || parsed.data.errcode !== 0)
      throw classifyOld(parsed.data ?? { errcode: -1, errmsg: 'unexpected answer' }, 'session webhook');
  }

  // ── people ──────────────────────────────────────────────────────────────────────────────────────────────

  async getUserByMobile(mobile: string): Promise<string | undefined> {
    const cached = this.mobiles.get(mobile);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.userId;
    try {
      const data = await this.oldApi('contacts', '/topapi/v2/user/getbymobile', { mobile });
      const userId = z.object({ result: z.object({ userid: z.string() }) }).parse(data).result.userid;
      this.mobiles.set(mobile, { userId, at: Date.now() });
      return userId;
    } catch (err) {
      if (err instanceof DingTalkRequestError && (err.code === 60121 || err.code === 33012)) {
        this.mobiles.set(mobile, { userId: undefined, at: Date.now() });
        return undefined;
      }
      throw err;
    }
  }

  async getUser(userId: string): Promise<DingTalkUser | undefined> {
    const cached = this.users.get(userId);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.user;
    try {
      const data = await this.oldApi('contacts', '/topapi/v2/user/get', { userid: userId, language: 'zh_CN' });
      const r = userResult.parse(data).result;
      const user: DingTalkUser = {
        userId: r.userid,
        name: r.name,
        ...(r.mobile ? { mobile: r.mobile } : {}),
        ...(r.manager_userid ? { managerUserId: r.manager_userid } : {}),
        deptIds: r.dept_id_list,
        ...(r.unionid ? { unionId: r.unionid } : {}),
      };
      this.users.set(userId, { user, at: Date.now() });
      return user;
    } catch (err) {
      if (err instanceof DingTalkRequestError && (err.code === 33012 || err.code === 60121)) {
        this.users.set(userId, { user: undefined, at: Date.now() });
        return undefined;
      }
      throw err;
    }
  }

  async getDepartmentManagers(deptId: number): Promise<string[]> {
    const data = await this.oldApi('contacts', '/topapi/v2/department/get', { dept_id: deptId, language: 'zh_CN' });
    return z.object({ result: z.object({ dept_manager_userid_list: z.array(z.string()).default([]) }) }).parse(data)
      .result.dept_manager_userid_list;
  }

  /**
   * DingTalk's user search (搜索用户userId, `POST /v1.0/contact/users/search`): the userIds whose name matches
   * `queryWord` — with `exact`, only people whose name is exactly the query (fullMatchField 1), else DingTalk's own
   * fuzzy match (name, pinyin, English name). One page: `size` at most 100, from `offset`. Names are not returned;
   * getUser gives them.
   */
  async searchUsers(input: {
    queryWord: string;
    exact?: boolean;
    offset?: number;
    size?: number;
  }): Promise<{ userIds: string[]; hasMore: boolean; totalCount: number }> {
    const data = await this.newApi('contacts', 'post', '/v1.0/contact/users/search', {
      queryWord: input.queryWord,
      offset: input.offset ?? 0,
      size: Math.min(Math.max(input.size ?? 20, 1), 100),
      ...(input.exact ? { fullMatchField: 1 } : {}),
    });
    const parsed = userSearchResult.safeParse(data);
    if (!parsed.success)
      throw new DingTalkRequestError(
        `contact/users/search answered an unexpected shape: ${JSON.stringify(data).slice(0, 120)}`,
      );
    const { list, hasMore, totalCount } = parsed.data;
    return { userIds: list, hasMore, totalCount: totalCount ?? list.length };
  }

  /** A department's name and managers (cached like people); undefined when DingTalk does not know the id. */
  async getDepartment(deptId: number): Promise<DingTalkDepartment | undefined> {
    const cached = this.departments.get(deptId);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.department;
    try {
      const data = await this.oldApi('contacts', '/topapi/v2/department/get', { dept_id: deptId, language: 'zh_CN' });
      const r = departmentResult.parse(data).result;
      const department: DingTalkDepartment = {
        deptId: r.dept_id,
        name: r.name,
        managerUserIds: r.dept_manager_userid_list,
      };
      this.departments.set(deptId, { department, at: Date.now() });
      return department;
    } catch (err) {
      if (err instanceof DingTalkRequestError && (err.code === 60003 || err.code === 60121)) {
        this.departments.set(deptId, { department: undefined, at: Date.now() });
        return undefined;
      }
      throw err;
    }
  }

  // ── transport ───────────────────────────────────────────────────────────────────────────────────────────

  private limiter(family: string): SlidingWindowLimiter {
    let limiter = this.familyLimiters.get(family);
    if (!limiter) {
      limiter = new SlidingWindowLimiter(Math.max(1, Math.floor(this.config.qps)), 1_000);
      this.familyLimiters.set(family, limiter);
    }
    return limiter;
  }

  /** One HTTP exchange; a timeout on a send without idempotency key is reported as uncertain, not as failed. */
  private async send<T>(family: string, request: () => Promise<T>, idempotent = true, api = family): Promise<T> {
    // Robots are paced by their own per-minute limiter (sendRobotMessage); everything else per API, as DingTalk
    // counts its per-app QPS per API (a family's APIs, e.g. creating and updating cards, each get the full rate).
    if (family !== 'robot') await this.limiter(api).take();
    try {
      return await request();
    } catch (err) {
      const code = err instanceof AxiosError ? err.code : undefined;
      if (!idempotent && (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ECONNRESET')) {
        throw new DingTalkUncertainDeliveryError(
          `DingTalk did not answer a ${family} send (${code}); it may or may not have been delivered, so it is not resent automatically`,
          code,
        );
      }
      throw new DingTalkNetworkError(
        `DingTalk (${family}) did not answer: ${err instanceof Error ? err.message : String(err)}`,
        code,
      );
    }
  }

  private async newApi(
    family: string,
    method: 'post' | 'put' | 'get' | 'delete',
    path: string,
    body: unknown,
    retriedToken = false,
  ): Promise<unknown> {
    const token = await this.getAccessToken();
    const response = await this.send(
      family,
      () =>
        this.http.request({
          method,
          url: `${this.config.apiBaseUrl}${path}`,
          data: body,
          headers: { 'x-acs-dingtalk-access-token': token },
        }),
      true,
      dingtalkApiOf(method, path), // one limiter per API (path parameters named)
    );
    if (response.status === 200) return response.data;
    const error = newError.safeParse(response.data);
    const code = error.data?.code ?? `HTTP ${response.status}`;
    if (tokenErrors.has(code) && !retriedToken) {
      this.invalidateToken();
      return this.newApi(family, method, path, body, true);
    }
    const message = `DingTalk ${path} failed: ${code} ${error.data?.message ?? ''}`.trim();
    if (response.status === 429 || /Throttling|QpsLimit|Limit/i.test(code))
      throw new DingTalkRateLimitedError(message, code);
    if (response.status >= 500) throw new DingTalkServerError(message, code);
    throw new DingTalkRequestError(message, code);
  }

  private async oldApi(
    family: string,
    path: string,
    body: unknown,
    options: { idempotent?: boolean } = {},
    retriedToken = false,
  ): Promise<unknown> {
    const token = await this.getAccessToken();
    const response = await this.send(
      family,
      () => this.http.post(`${this.config.oapiBaseUrl}${path}`, body, { params: { access_token: token } }),
      options.idempotent ?? true,
      dingtalkApiOf('post', path),
    );
    const parsed = oldEnvelope.safeParse(response.data);
    if (!parsed.success) {
      if (response.status >= 500)
        throw new DingTalkServerError(`DingTalk ${path} failed with HTTP ${response.status}`, response.status);
      throw new DingTalkRequestError(`DingTalk ${path} answered an unexpected shape (HTTP ${response.status})`);
    }
    if (parsed.data.errcode === 0) return parsed.data;
    const tokenProblem =
      tokenErrors.has(String(parsed.data.errcode)) || (parsed.data.errcode === 88 && parsed.data.sub_code === '40014');
    if (tokenProblem && !retriedToken) {
      this.invalidateToken();
      return this.oldApi(family, path, body, options, true);
    }
    throw classifyOld(parsed.data, path);
  }
}

function isRateLimited(errcode: number, errmsg?: string): boolean {
  return rateLimitCodes.has(errcode) || /too fast|too many|频繁/i.test(errmsg ?? '');
}

function classifyOld(
  data: { errcode: number; errmsg?: string; sub_code?: string; sub_msg?: string },
  where: string,
): DingTalkError {
  const message = `DingTalk ${where} failed: errcode ${data.errcode} ${data.errmsg ?? ''}${data.sub_msg ? ` (${data.sub_msg})` : ''}`;
  if (isRateLimited(data.errcode, data.errmsg)) return new DingTalkRateLimitedError(message, data.errcode);
  if (data.errcode === -1 || data.errcode === 15 || (data.errcode === 88 && !data.sub_code))
    return new DingTalkServerError(message, data.errcode);
  if (data.errcode === 88 || data.errcode === 40014 || data.errcode === 42001)
    return new DingTalkAuthError(message, data.errcode);
  return new DingTalkRequestError(message, data.errcode);
}

/** A custom robot's JSON body for a message (the @-mentions DingTalk expects on every type). */
function robotBody(message: RobotMessage): Record<string, unknown> {
  const at = {
    atUserIds: message.atUserIds ?? [],
    atMobiles: 'atMobiles' in message ? (message.atMobiles ?? []) : [],
    isAtAll: false,
  };
  if ('markdown' in message) return { msgtype: 'markdown', markdown: message.markdown, at };
  if ('actionCard' in message) return { msgtype: 'actionCard', actionCard: message.actionCard, at };
  return { msgtype: 'text', text: message.text, at };
}

/** The webhook URL, signed now when the robot has a 加签 secret (timestamp + HMAC-SHA256 of `timestamp\nsecret`). */
function signedRobotUrl(robot: { webhookUrl: string; secret?: string }): URL {
  const url = new URL(robot.webhookUrl);
  if (robot.secret) {
    const timestamp = String(Date.now());
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set(
      'sign',
      createHmac('sha256', robot.secret).update(`${timestamp}\n${robot.secret}`, 'utf8').digest('base64'),
    );
  }
  return url;
}
