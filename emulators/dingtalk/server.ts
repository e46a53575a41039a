/**
 * An in-memory DingTalk emulator speaking the real protocols of both API hosts on one port (their paths do not
 * collide): access tokens (new and old), people and departments, interactive cards, work notifications, custom
 * group robots (signed, rate-limited per minute), the Stream gateway, card callbacks (Stream or signed HTTP) and
 * robot messages. It records everything delivered, and a sandbox page lets a person act as an approver.
 * For tests, the demo and benchmarks only — production code never imports it.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type Request, type Response } from 'express';
import { renderSandbox } from './sandbox';
import { loadDingTalkSeed, type DingTalkSeed } from './seed';
import { createStreamGateway, type StreamGateway } from './stream-gateway';

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

const cardCallbackTopic = '/v1.0/card/instances/callback';
const botTopic = '/v1.0/im/bot/messages/get';

export class DingTalkEmulator {
  readonly cards = new Map<string, EmulatedCard>();
  readonly messages: EmulatedMessage[] = [];
  faults: DingTalkFault[] = [];
  readonly routes = new Map<string, { url: string; apiSecret?: string }>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly robotSends = new Map<string, number[]>();
  private readonly sessions = new Map<string, { userId: string; groupId?: string }>();
  private server?: http.Server;
  private gateway?: StreamGateway;
  baseUrl = '';
  port = 0;

  constructor(
    readonly seed: DingTalkSeed,
    private readonly options: DingTalkEmulatorOptions = {},
  ) {
    for (const route of seed.cardCallbackRoutes)
      this.routes.set(route.routeKey, { url: route.url, apiSecret: route.apiSecret });
  }

  get robotLimit() {
    return this.options.robotLimit ?? { perMinute: 20, minuteMs: 60_000 };
  }

  async listen(port = this.options.port ?? 0): Promise<void> {
    const app = express();
    this.server = http.createServer(app);
    this.gateway = createStreamGateway({
      server: this.server,
      apps: this.seed.apps,
      publicHost: () => `127.0.0.1:${this.port}`,
    });
    this.routesOn(app, this.gateway);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.gateway?.close();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ── in-process controls ─────────────────────────────────────────────────────────────────────────────────

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

  dropStreamConnections(): void {
    this.gateway?.dropConnections();
  }

  isStreamConnected(clientId = this.seed.apps[0]!.clientId): boolean {
    return this.gateway?.isConnected(clientId) ?? false;
  }

  setCallbackUrl(routeKey: string, url: string, apiSecret?: string): void {
    this.routes.set(routeKey, { url, apiSecret });
  }

  /** A person presses a card button: DingTalk's callback goes out, and its answer is applied to the card. */
  async click(
    outTrackId: string,
    input: { userId: string; actionId: string; params?: Record<string, unknown> },
  ): Promise<EmulatedCard> {
    const card = this.cards.get(outTrackId);
    if (!card) throw new EmulatorInputError(404, 'param.cardNotExist', `卡片 ${outTrackId} 不存在`);
    if (!input.userId || !input.actionId)
      throw new EmulatorInputError(400, 'param.invalid', 'userId and actionId are required');
    const payload = {
      type: 'actionCallback',
      outTrackId,
      corpId: this.seed.corpId,
      userId: input.userId,
      userIdType: 1,
      spaceType: 'IM_ROBOT',
      spaceId: input.userId,
      content: JSON.stringify({ cardPrivateData: { actionIds: [input.actionId], params: input.params ?? {} } }),
    };
    let response: unknown;
    try {
      if (card.callbackType === 'STREAM') {
        const ack = (await this.gateway!.push(card.clientId, cardCallbackTopic, payload)) as {
          response?: unknown;
        } | null;
        response = ack?.response;
      } else {
        const route = card.callbackRouteKey ? this.routes.get(card.callbackRouteKey) : undefined;
        if (!route) throw new Error(`no callback URL registered for route key ${card.callbackRouteKey ?? '(none)'}`);
        const timestamp = String(Date.now());
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (route.apiSecret) {
          headers['x-ddpaas-signature-timestamp'] = timestamp;
          headers['x-ddpaas-signature'] = createHmac('sha256', route.apiSecret)
            .update(timestamp, 'utf8')
            .digest('base64');
        }
        const answer = await axios.post(route.url, payload, { headers, timeout: 2_000, validateStatus: () => true });
        if (answer.status !== 200)
          throw new Error(`callback answered HTTP ${answer.status}: ${JSON.stringify(answer.data)}`);
        response = answer.data;
      }
      this.applyCallbackResponse(card, input.userId, response);
      card.lastCallback = { at: Date.now(), ok: true };
    } catch (err) {
      card.lastCallback = { at: Date.now(), ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    return card;
  }

  /** A person writes to the bot (1:1, or @bot in a group): DingTalk delivers it to the app. */
  async sendBotMessage(input: { userId: string; text: string; groupId?: string }): Promise<void> {
    const user = this.seed.users.find((u) => u.userId === input.userId);
    if (!user) throw new EmulatorInputError(400, 'param.userIdNotExist', `用户 ${input.userId} 不存在`);
    if (!input.text?.trim()) throw new EmulatorInputError(400, 'param.invalid', 'text is required');
    const app = this.seed.apps[0]!;
    const session = randomUUID();
    this.sessions.set(session, { userId: input.userId, ...(input.groupId ? { groupId: input.groupId } : {}) });
    const now = Date.now();
    const payload = {
      conversationId: input.groupId ?? `cid-1on1-${input.userId}`,
      conversationType: input.groupId ? '2' : '1',
      chatbotCorpId: this.seed.corpId,
      robotCode: app.robotCode,
      msgId: `msg${randomUUID()}`,
      msgtype: 'text',
      text: { content: input.groupId ? ` @审批助手 ${input.text}` : input.text },
      senderStaffId: user.userId,
      senderNick: user.name,
      senderCorpId: this.seed.corpId,
      isInAtList: true,
      createAt: now,
      sessionWebhook: `${this.baseUrl}/robot/sendBySession?session=${session}`,
      sessionWebhookExpiredTime: now + 90 * 60_000,
    };
    if (app.botCallback.type === 'STREAM') {
      await this.gateway!.push(app.clientId, botTopic, payload);
    } else {
      const timestamp = String(now);
      const sign = createHmac('sha256', app.clientSecret)
        .update(`${timestamp}\n${app.clientSecret}`, 'utf8')
        .digest('base64');
      await axios.post(app.botCallback.url, payload, { headers: { timestamp, sign }, timeout: 5_000 });
    }
  }

  private applyCallbackResponse(card: EmulatedCard, userId: string, response: unknown): void {
    const r = (response ?? {}) as {
      cardData?: { cardParamMap?: Record<string, string> };
      userPrivateData?: { cardParamMap?: Record<string, string> };
      cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
    };
    if (r.cardData?.cardParamMap) {
      card.cardParamMap = r.cardUpdateOptions?.updateCardDataByKey
        ? { ...card.cardParamMap, ...r.cardData.cardParamMap }
        : { ...r.cardData.cardParamMap };
    }
    if (r.userPrivateData?.cardParamMap) {
      card.privateData[userId] = r.cardUpdateOptions?.updatePrivateDataByKey
        ? { ...card.privateData[userId], ...r.userPrivateData.cardParamMap }
        : { ...r.userPrivateData.cardParamMap };
    }
    card.updatedAt = Date.now();
  }

  private groupMembers(groupId: string): string[] {
    return this.seed.groups.find((g) => g.openConversationId === groupId)?.memberUserIds ?? [];
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────

  private takeFault(req: Request): DingTalkFault | undefined {
    const index = this.faults.findIndex((f) => !f.path || req.path.startsWith(f.path));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (fault.times !== undefined && --fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private routesOn(app: express.Express, gateway: StreamGateway): void {
    app.disable('x-powered-by');
    app.use(gateway.router);
    app.use(express.json({ limit: '64kb' }));
    app.use(express.urlencoded({ extended: false, limit: '64kb' }));
    app.use(async (req, res, next) => {
      if (req.path.startsWith('/_emulator') || req.path.startsWith('/sandbox')) return next();
      const fault = this.takeFault(req);
      if (!fault) return next();
      if (fault.kind === 'latency') {
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return next();
      }
      const oldApi = !req.path.startsWith('/v1.0/');
      if (fault.kind === 'http500') {
        res
          .status(500)
          .json(
            oldApi
              ? { errcode: -1, errmsg: '系统繁忙' }
              : { code: 'system.busy', message: '系统繁忙', requestid: randomUUID() },
          );
        return;
      }
      if (oldApi) res.json({ errcode: 90018, errmsg: '当前请求过于频繁，请稍后再试', request_id: randomUUID() });
      else
        res.status(429).json({
          code: 'Forbidden.AccessDenied.QpsLimitForApi',
          message: '请求过于频繁，已被限流',
          requestid: randomUUID(),
        });
    });

    // Tokens: new and old endpoints.
    app.post('/v1.0/oauth2/accessToken', (req, res) => {
      const body = (req.body ?? {}) as { appKey?: string; appSecret?: string };
      const app_ = this.seed.apps.find((a) => a.clientId === body.appKey && a.clientSecret === body.appSecret);
      if (!app_)
        return void res.status(400).json({
          requestid: randomUUID(),
          code: 'invalidClientIdOrSecret',
          message: '无效的clientId或者clientSecret',
        });
      res.json({ accessToken: this.issueToken(app_.clientId), expireIn: Math.floor(this.ttl() / 1000) });
    });
    app.get('/gettoken', (req, res) => {
      const { appkey, appsecret } = req.query as Record<string, string | undefined>;
      if (!appkey || !appsecret) return void res.json({ errcode: 40035, errmsg: '缺少参数 corpid or appkey' });
      const app_ = this.seed.apps.find((a) => a.clientId === appkey && a.clientSecret === appsecret);
      if (!app_) return void res.json({ errcode: 40096, errmsg: '不合法的appKey或appSecret' });
      res.json({
        errcode: 0,
        errmsg: 'ok',
        access_token: this.issueToken(app_.clientId),
        expires_in: Math.floor(this.ttl() / 1000),
      });
    });

    // Old OAPI (token in the query; always HTTP 200).
    const oldApi = (path: string, handler: (req: Request, res: Response, clientId: string) => void) =>
      app.post(path, (req, res) => {
        const clientId = this.tokenOwner(String(req.query.access_token ?? ''));
        if (!clientId)
          return void res.json({
            errcode: 88,
            sub_code: '40014',
            sub_msg: '不合法的access_token',
            errmsg: 'ding talk error[subcode=40014,submsg=不合法的access_token]',
          });
        handler(req, res, clientId);
      });
    oldApi('/topapi/v2/user/getbymobile', (req, res) => {
      const user = this.seed.users.find((u) => u.mobile === String(req.body?.mobile ?? ''));
      if (!user) return void res.json({ errcode: 60121, errmsg: '找不到该用户', request_id: randomUUID() });
      res.json({ errcode: 0, errmsg: 'ok', result: { userid: user.userId }, request_id: randomUUID() });
    });
    oldApi('/topapi/v2/user/get', (req, res) => {
      const user = this.seed.users.find((u) => u.userId === String(req.body?.userid ?? ''));
      if (!user) return void res.json({ errcode: 33012, errmsg: '无效的USERID', request_id: randomUUID() });
      res.json({
        errcode: 0,
        errmsg: 'ok',
        result: {
          userid: user.userId,
          unionid: `union-${user.userId}`,
          name: user.name,
          mobile: user.mobile,
          title: user.title ?? '',
          dept_id_list: user.deptIds,
          ...(user.managerUserId ? { manager_userid: user.managerUserId } : {}),
          active: true,
        },
        request_id: randomUUID(),
      });
    });
    oldApi('/topapi/v2/department/get', (req, res) => {
      const dept = this.seed.departments.find((d) => d.id === Number(req.body?.dept_id));
      if (!dept) return void res.json({ errcode: 60003, errmsg: '部门不存在', request_id: randomUUID() });
      res.json({
        errcode: 0,
        errmsg: 'ok',
        result: {
          dept_id: dept.id,
          name: dept.name,
          parent_id: dept.parentId ?? 0,
          dept_manager_userid_list: dept.managerUserIds,
        },
        request_id: randomUUID(),
      });
    });
    oldApi('/topapi/message/corpconversation/asyncsend_v2', (req, res, clientId) => {
      const body = (req.body ?? {}) as {
        agent_id?: unknown;
        userid_list?: string;
        msg?: { msgtype?: string } & Record<string, unknown>;
      };
      const app_ = this.seed.apps.find((a) => a.clientId === clientId)!;
      if (String(body.agent_id) !== app_.agentId)
        return void res.json({ errcode: 400002, errmsg: '无效的agent_id', request_id: randomUUID() });
      const userIds = String(body.userid_list ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (userIds.length === 0 || !body.msg?.msgtype)
        return void res.json({ errcode: 40035, errmsg: '缺少参数 userid_list 或 msg', request_id: randomUUID() });
      const { title, text } = renderMsg(body.msg);
      const dayAgo = Date.now() - 24 * 3600_000;
      for (const userId of userIds) {
        if (!this.seed.users.some((u) => u.userId === userId)) continue; // invalid users are skipped, as DingTalk does
        const duplicate = this.messages.some(
          (m) =>
            m.kind === 'workNotification' &&
            m.userId === userId &&
            m.text === text &&
            m.title === title &&
            m.at > dayAgo &&
            !m.dropped,
        );
        this.messages.push({
          id: randomUUID(),
          kind: 'workNotification',
          userId,
          msgtype: body.msg.msgtype,
          title,
          text,
          body: body.msg,
          at: Date.now(),
          ...(duplicate ? { dropped: true } : {}),
        });
      }
      res.json({ errcode: 0, errmsg: 'ok', task_id: Math.floor(Math.random() * 1e9), request_id: randomUUID() });
    });

    // Custom group robots: signature, per-minute limit, errcode on HTTP 200.
    app.post('/robot/send', (req, res) => {
      const robot = this.seed.robots.find((r) => r.accessToken === String(req.query.access_token ?? ''));
      if (!robot) return void res.json({ errcode: 300005, errmsg: 'token is not exist' });
      if (robot.secret) {
        const timestamp = String(req.query.timestamp ?? '');
        const expected = createHmac('sha256', robot.secret)
          .update(`${timestamp}\n${robot.secret}`, 'utf8')
          .digest('base64');
        if (Math.abs(Date.now() - Number(timestamp)) > 3600_000 || String(req.query.sign ?? '') !== expected) {
          return void res.json({
            errcode: 310000,
            errmsg: 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]',
          });
        }
      }
      const window = this.robotLimit;
      const sent = (this.robotSends.get(robot.accessToken) ?? []).filter((t) => t > Date.now() - window.minuteMs);
      if (sent.length >= window.perMinute)
        return void res.json({ errcode: 130101, errmsg: `send too fast, exceed ${window.perMinute} times per minute` });
      sent.push(Date.now());
      this.robotSends.set(robot.accessToken, sent);
      const body = (req.body ?? {}) as { msgtype?: string } & Record<string, unknown>;
      if (!body.msgtype) return void res.json({ errcode: 40035, errmsg: '缺少参数 msgtype' });
      const { title, text } = renderMsg(body);
      this.messages.push({
        id: randomUUID(),
        kind: 'robot',
        groupId: robot.groupId,
        msgtype: body.msgtype,
        title,
        text,
        body,
        at: Date.now(),
      });
      res.json({ errcode: 0, errmsg: 'ok' });
    });
    app.post('/robot/sendBySession', (req, res) => {
      const session = this.sessions.get(String(req.query.session ?? ''));
      if (!session) return void res.json({ errcode: 300005, errmsg: 'session is not exist or expired' });
      const body = (req.body ?? {}) as { msgtype?: string } & Record<string, unknown>;
      const { title, text } = renderMsg(body);
      this.messages.push({
        id: randomUUID(),
        kind: 'sessionReply',
        userId: session.userId,
        ...(session.groupId ? { groupId: session.groupId } : {}),
        msgtype: body.msgtype ?? 'text',
        title,
        text,
        body,
        at: Date.now(),
      });
      res.json({ errcode: 0, errmsg: 'ok' });
    });

    // New API (token header; HTTP 400 with {code, message}).
    const newApi = (
      method: 'post' | 'put',
      path: string,
      handler: (req: Request, res: Response, clientId: string) => void,
    ) =>
      app[method](path, (req, res) => {
        const clientId = this.tokenOwner(req.header('x-acs-dingtalk-access-token') ?? '');
        if (!clientId)
          return void res
            .status(401)
            .json({ code: 'InvalidAuthentication', message: '不合法的access_token', requestid: randomUUID() });
        handler(req, res, clientId);
      });
    const bad = (res: Response, code: string, message: string, status = 400) =>
      res.status(status).json({ code, message, requestid: randomUUID() });
    newApi('post', '/v1.0/card/instances/createAndDeliver', (req, res, clientId) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body.outTrackId !== 'string' || !body.outTrackId)
        return void bad(res, 'param.outTrackIdEmpty', 'outTrackId 不能为空');
      if (typeof body.cardTemplateId !== 'string')
        return void bad(res, 'param.cardTemplateIdEmpty', 'cardTemplateId 不能为空');
      if (!this.seed.cardTemplates.includes(body.cardTemplateId))
        return void bad(res, 'param.templateNotExist', `卡片模板 ${body.cardTemplateId} 不存在`);
      const cardData = body.cardData as { cardParamMap?: Record<string, unknown> } | undefined;
      if (!cardData?.cardParamMap) return void bad(res, 'param.cardPublicDataEmpty', 'cardData 不能为空');
      if (typeof body.openSpaceId !== 'string' || !/^dtv1\.card\/\//i.test(body.openSpaceId))
        return void bad(res, 'param.openSpaceIdInvalid', 'openSpaceId 格式不正确');
      if (this.cards.has(body.outTrackId)) return void bad(res, 'param.cardAlreadyExist', '卡片已存在');
      const spaces = body.openSpaceId
        .replace(/^dtv1\.card\/\//i, '')
        .split(';')
        .filter(Boolean);
      const results = spaces.map((space) => {
        const [type = '', id = ''] = space.split(/\.(.*)/s);
        const upper = type.toUpperCase();
        const ok =
          upper === 'IM_ROBOT'
            ? this.seed.users.some((u) => u.userId === id)
            : upper === 'IM_GROUP'
              ? this.seed.groups.some((g) => g.openConversationId === id)
              : false;
        return {
          spaceType: upper,
          spaceId: id,
          success: ok,
          carrierId: ok ? randomUUID() : null,
          errorMsg: ok ? null : upper === 'IM_ROBOT' ? 'param.userIdNotExist' : 'param.openSpaceIdInvalid',
        };
      });
      const delivered = results.filter((r) => r.success);
      if (delivered.length > 0) {
        const now = Date.now();
        this.cards.set(body.outTrackId, {
          outTrackId: body.outTrackId,
          templateId: body.cardTemplateId,
          clientId,
          cardParamMap: Object.fromEntries(Object.entries(cardData.cardParamMap).map(([k, v]) => [k, String(v)])),
          privateData: {},
          callbackType: body.callbackType === 'HTTP' ? 'HTTP' : 'STREAM',
          ...(typeof body.callbackRouteKey === 'string' ? { callbackRouteKey: body.callbackRouteKey } : {}),
          userIds: delivered.filter((r) => r.spaceType === 'IM_ROBOT').map((r) => r.spaceId),
          groupIds: delivered.filter((r) => r.spaceType === 'IM_GROUP').map((r) => r.spaceId),
          createdAt: now,
          updatedAt: now,
        });
      }
      res.json({ success: true, result: { outTrackId: body.outTrackId, deliverResults: results } });
    });
    newApi('put', '/v1.0/card/instances', (req, res) => {
      const body = (req.body ?? {}) as {
        outTrackId?: string;
        cardData?: { cardParamMap?: Record<string, unknown> };
        cardUpdateOptions?: { updateCardDataByKey?: boolean };
      };
      if (!body.outTrackId) return void bad(res, 'param.outTrackIdEmpty', 'outTrackId 不能为空');
      const card = this.cards.get(body.outTrackId);
      if (!card) return void bad(res, 'param.cardNotExist', `卡片 ${body.outTrackId} 不存在`);
      if (!body.cardData?.cardParamMap)
        return void bad(res, 'param.cardDataAndPrivateDataBothEmpty', 'cardData 和 privateData 不能同时为空');
      const next = Object.fromEntries(Object.entries(body.cardData.cardParamMap).map(([k, v]) => [k, String(v)]));
      card.cardParamMap = body.cardUpdateOptions?.updateCardDataByKey ? { ...card.cardParamMap, ...next } : next;
      card.updatedAt = Date.now();
      res.json({ success: true, result: true });
    });
    newApi('post', '/v1.0/card/callbacks/register', (req, res) => {
      const body = (req.body ?? {}) as {
        callbackRouteKey?: string;
        callbackUrl?: string;
        apiSecret?: string;
        forceUpdate?: boolean;
      };
      if (!body.callbackRouteKey) return void bad(res, 'param.callbackRouteKeyEmpty', 'callbackRouteKey 不能为空');
      if (!body.callbackUrl) return void bad(res, 'param.callbackUrlEmpty', 'callbackUrl 不能为空');
      const existing = this.routes.get(body.callbackRouteKey);
      if (existing && existing.url !== body.callbackUrl && !body.forceUpdate)
        return void bad(res, 'param.callbackRouteKeyExist', '路由键已存在', 500);
      this.routes.set(body.callbackRouteKey, {
        url: body.callbackUrl,
        ...(body.apiSecret ? { apiSecret: body.apiSecret } : {}),
      });
      res.json({ success: true, result: { callbackUrl: body.callbackUrl, apiSecret: body.apiSecret ?? '' } });
    });

    // Inspection and fault injection.
    app.get('/_emulator/cards', (req, res) => {
      res.json(this.cardsFor(typeof req.query.userId === 'string' ? req.query.userId : undefined));
    });
    app.get('/_emulator/messages', (req, res) => {
      res.json(
        this.messagesFor({
          ...(typeof req.query.userId === 'string' ? { userId: req.query.userId } : {}),
          ...(typeof req.query.groupId === 'string' ? { groupId: req.query.groupId } : {}),
        }),
      );
    });
    app.post('/_emulator/cards/:outTrackId/click', async (req, res) => {
      try {
        const body = (req.body ?? {}) as { userId?: unknown; actionId?: unknown; params?: unknown };
        if (typeof body.userId !== 'string' || typeof body.actionId !== 'string')
          throw new EmulatorInputError(400, 'param.invalid', 'body must be {userId, actionId, params?}');
        const params = body.params && typeof body.params === 'object' ? (body.params as Record<string, unknown>) : {};
        res.json(
          await this.click(String(req.params.outTrackId), { userId: body.userId, actionId: body.actionId, params }),
        );
      } catch (err) {
        sendError(res, err);
      }
    });
    app.post('/_emulator/bot/messages', async (req, res) => {
      try {
        const body = (req.body ?? {}) as { userId?: unknown; text?: unknown; groupId?: unknown };
        if (typeof body.userId !== 'string' || typeof body.text !== 'string')
          throw new EmulatorInputError(400, 'param.invalid', 'body must be {userId, text, groupId?}');
        await this.sendBotMessage({
          userId: body.userId,
          text: body.text,
          ...(typeof body.groupId === 'string' ? { groupId: body.groupId } : {}),
        });
        res.status(202).json({ accepted: true });
      } catch (err) {
        sendError(res, err);
      }
    });
    app.post('/_emulator/faults', (req, res) => {
      const body = (req.body ?? {}) as { kind?: string };
      if (body.kind === 'expireTokens') this.expireTokens();
      else if (body.kind === 'dropStream') this.dropStreamConnections();
      else if (body.kind === 'rateLimit' || body.kind === 'http500' || body.kind === 'latency')
        this.faults.push(body as DingTalkFault);
      else
        return void res.status(400).json({
          code: 'param.invalid',
          message: 'kind must be rateLimit, http500, latency, expireTokens or dropStream',
        });
      res.status(204).end();
    });
    app.delete('/_emulator/faults', (_req, res) => {
      this.faults = [];
      res.status(204).end();
    });

    // The sandbox inbox.
    app.get('/sandbox', (req, res) => {
      const userId = typeof req.query.userId === 'string' ? req.query.userId : undefined;
      const groupId = typeof req.query.groupId === 'string' ? req.query.groupId : undefined;
      res.type('html').send(
        renderSandbox({
          seed: this.seed,
          userId,
          groupId,
          cards: userId ? this.cardsFor(userId) : [],
          messages: this.messagesFor(userId ? { userId } : groupId ? { groupId } : { userId: '\u0000' }),
        }),
      );
    });
    app.post('/sandbox/cards/:outTrackId/click', async (req, res) => {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const userId = body.userId ?? '';
      try {
        const card = this.cards.get(String(req.params.outTrackId));
        await this.click(String(req.params.outTrackId), {
          userId,
          actionId: body.actionId ?? '',
          params: {
            workflowId: card?.cardParamMap.workflowId ?? '',
            stepId: card?.cardParamMap.stepId ?? '',
            comment: body.comment ?? '',
          },
        });
      } catch {
        // The sandbox shows the card's lastCallback; nothing else to do here.
      }
      res.redirect(303, `/sandbox?userId=${encodeURIComponent(userId)}`);
    });

    app.use((err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
      if (!err) return next();
      const status =
        typeof err === 'object' && err && 'status' in err ? Number((err as { status: number }).status) : 500;
      res
        .status(status >= 400 && status < 500 ? status : 500)
        .json({ code: 'param.invalid', message: err instanceof Error ? `请求无效：${err.message}` : '请求无效' });
    });
    app.use((_req, res) => {
      res.status(404).json({ code: 'notFound', message: '接口不存在' });
    });
  }

  private ttl(): number {
    return this.options.tokenTtlMs ?? 7_200_000;
  }

  private issueToken(clientId: string): string {
    for (const [token, info] of this.tokens)
      if (info.clientId === clientId && info.expiresAt > Date.now()) return token;
    const token = randomUUID().replace(/-/g, '');
    this.tokens.set(token, { clientId, expiresAt: Date.now() + this.ttl() });
    return token;
  }

  private tokenOwner(token: string): string | undefined {
    const info = this.tokens.get(token);
    return info && info.expiresAt > Date.now() ? info.clientId : undefined;
  }
}

export class EmulatorInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendError(res: Response, err: unknown): void {
  if (err instanceof EmulatorInputError) res.status(err.status).json({ code: err.code, message: err.message });
  else res.status(500).json({ code: 'system.error', message: err instanceof Error ? err.message : String(err) });
}

/** A readable title and text for any message shape we record. */
function renderMsg(msg: { msgtype?: string } & Record<string, unknown>): { title?: string; text: string } {
  const inner = (msg[msg.msgtype ?? ''] ?? {}) as Record<string, unknown>;
  const title = [inner.title, inner.head && (inner.head as { text?: string }).text].find(
    (v) => typeof v === 'string',
  ) as string | undefined;
  const text = [inner.text, inner.markdown, inner.content].find((v) => typeof v === 'string') as string | undefined;
  return { ...(title ? { title } : {}), text: text ?? JSON.stringify(inner) };
}

export async function startDingTalkEmulator(options: DingTalkEmulatorOptions = {}): Promise<DingTalkEmulator> {
  const emulator = new DingTalkEmulator(options.seed ?? loadDingTalkSeed(), options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
