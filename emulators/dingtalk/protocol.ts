/**
 * The fake DingTalk's APIs over HTTP, as the real hosts answer them: injected faults first (latency, HTTP 500,
 * rate limits, a missing API permission, in the old or new API's shape), then access tokens (new and old
 * endpoints), the old OAPI (token in the query, errcode on HTTP 200: people, departments, work notifications), custom
 * group robots (signature, per-minute limit) and bot-session replies, and the new API (token header, HTTP 4xx with {code, message}:
 * interactive cards, callback routes and the user search); finally DingTalk's answers to bad requests and unknown paths.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { bodyRecord, queryText, scalarText } from '../text';
import type { DingTalkState, EmulatedTodo } from './state';

/** Serves DingTalk's own paths on the app (`/_emulator` and `/sandbox` are left to control.ts, fault-free). */
export function mountProtocol(app: Express, state: DingTalkState): void {
  app.use(async (req, res, next) => {
    if (req.path.startsWith('/_emulator') || req.path.startsWith('/sandbox')) return next();
    // Counted, and refused when over the app's quota (state.ts admit), before anything else.
    const refusal = state.admit(req);
    if (refusal) return void res.status(refusal.status).json(refusal.body);
    const fault = state.takeFault(req.path);
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
    if (fault.kind === 'permissionDenied') {
      if (oldApi) res.json({ errcode: 60011, errmsg: '没有调用该接口的权限', request_id: randomUUID() });
      else
        res.status(403).json({
          code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
          message:
            '没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission',
          requestid: randomUUID(),
        });
      return;
    }
    if (oldApi) res.json({ errcode: 90018, errmsg: '当前请求过于频繁，请稍后再试', request_id: randomUUID() });
    else
      res.status(403).json({
        code: 'Forbidden.AccessDenied.QpsLimitForApi',
        message: '请求过于频繁，已被限流',
        requestid: randomUUID(),
      });
  });

  // Tokens: new and old endpoints.
  app.post('/v1.0/oauth2/accessToken', (req, res) => {
    const body = (req.body ?? {}) as { appKey?: string; appSecret?: string };
    const app_ = state.seed.apps.find((a) => a.clientId === body.appKey && a.clientSecret === body.appSecret);
    if (!app_)
      return void res.status(400).json({
        requestid: randomUUID(),
        code: 'invalidClientIdOrSecret',
        message: '无效的clientId或者clientSecret',
      });
    res.json({ accessToken: state.issueToken(app_.clientId), expireIn: Math.floor(state.ttl() / 1000) });
  });
  app.get('/gettoken', (req, res) => {
    const appkey = queryText(req.query.appkey);
    const appsecret = queryText(req.query.appsecret);
    if (!appkey || !appsecret) return void res.json({ errcode: 40035, errmsg: '缺少参数 corpid or appkey' });
    const app_ = state.seed.apps.find((a) => a.clientId === appkey && a.clientSecret === appsecret);
    if (!app_) return void res.json({ errcode: 40096, errmsg: '不合法的appKey或appSecret' });
    res.json({
      errcode: 0,
      errmsg: 'ok',
      access_token: state.issueToken(app_.clientId),
      expires_in: Math.floor(state.ttl() / 1000),
    });
  });

  // Old OAPI (token in the query; always HTTP 200).
  const oldApi = (path: string, handler: (req: Request, res: Response, clientId: string) => void) =>
    app.post(path, (req, res) => {
      const clientId = state.tokenOwner(queryText(req.query.access_token));
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
    const user = state.seed.users.find((u) => u.mobile === scalarText(bodyRecord(req.body).mobile));
    if (!user) return void res.json({ errcode: 60121, errmsg: '找不到该用户', request_id: randomUUID() });
    res.json({ errcode: 0, errmsg: 'ok', result: { userid: user.userId }, request_id: randomUUID() });
  });
  oldApi('/topapi/v2/user/get', (req, res) => {
    const user = state.seed.users.find((u) => u.userId === scalarText(bodyRecord(req.body).userid));
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
    const dept = state.seed.departments.find((d) => d.id === Number(bodyRecord(req.body).dept_id));
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
    const app_ = state.seed.apps.find((a) => a.clientId === clientId)!;
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
      if (!state.seed.users.some((u) => u.userId === userId)) continue; // invalid users are skipped, as DingTalk does
      const withinCap = state.takeWorkNotice(clientId, userId); // past 500 a day: dropped silently (state.ts)
      const duplicate = state.messages.some(
        (m) =>
          m.kind === 'workNotification' &&
          m.userId === userId &&
          m.text === text &&
          m.title === title &&
          m.at > dayAgo &&
          !m.dropped,
      );
      state.messages.push({
        id: randomUUID(),
        kind: 'workNotification',
        userId,
        msgtype: body.msg.msgtype,
        title,
        text,
        body: body.msg,
        at: Date.now(),
        ...(duplicate
          ? { dropped: true, dropReason: 'duplicate' as const }
          : withinCap
            ? {}
            : { dropped: true, dropReason: 'dailyCap' as const }),
      });
    }
    res.json({ errcode: 0, errmsg: 'ok', task_id: Math.floor(Math.random() * 1e9), request_id: randomUUID() });
  });

  // Custom group robots: signature, per-minute limit, errcode on HTTP 200.
  app.post('/robot/send', (req, res) => {
    const robot = state.seed.robots.find((r) => r.accessToken === queryText(req.query.access_token));
    if (!robot) return void res.json({ errcode: 300005, errmsg: 'token is not exist' });
    if (robot.secret) {
      const timestamp = queryText(req.query.timestamp);
      const expected = createHmac('sha256', robot.secret)
        .update(`${timestamp}\n${robot.secret}`, 'utf8')
        .digest('base64');
      if (Math.abs(Date.now() - Number(timestamp)) > 3600_000 || queryText(req.query.sign) !== expected) {
        return void res.json({
          errcode: 310000,
          errmsg: 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]',
        });
      }
    }
    const tooFast = state.takeRobotSend(robot.accessToken); // 130101 past 20 a minute (state.ts)
    if (tooFast) return void res.json(tooFast);
    const body = (req.body ?? {}) as { msgtype?: string } & Record<string, unknown>;
    if (!body.msgtype) return void res.json({ errcode: 40035, errmsg: '缺少参数 msgtype' });
    const { title, text } = renderMsg(body);
    state.messages.push({
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
    const session = state.sessions.get(queryText(req.query.session));
    if (!session) return void res.json({ errcode: 300005, errmsg: 'session is not exist or expired' });
    const body = (req.body ?? {}) as { msgtype?: string } & Record<string, unknown>;
    const { title, text } = renderMsg(body);
    state.messages.push({
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
    method: 'post' | 'put' | 'get' | 'delete',
    path: string,
    handler: (req: Request, res: Response, clientId: string) => void,
  ) =>
    app[method](path, (req, res) => {
      const clientId = state.tokenOwner(req.header('x-acs-dingtalk-access-token') ?? '');
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
    if (!state.seed.cardTemplates.includes(body.cardTemplateId))
      return void bad(res, 'param.templateNotExist', `卡片模板 ${body.cardTemplateId} 不存在`);
    const cardData = body.cardData as { cardParamMap?: Record<string, unknown> } | undefined;
    if (!cardData?.cardParamMap) return void bad(res, 'param.cardPublicDataEmpty', 'cardData 不能为空');
    if (typeof body.openSpaceId !== 'string' || !/^dtv1\.card\/\//i.test(body.openSpaceId))
      return void bad(res, 'param.openSpaceIdInvalid', 'openSpaceId 格式不正确');
    if (state.cards.has(body.outTrackId)) return void bad(res, 'param.cardAlreadyExist', '卡片已存在');
    const spaces = body.openSpaceId
      .replace(/^dtv1\.card\/\//i, '')
      .split(';')
      .filter(Boolean);
    const results = spaces.map((space) => {
      const [type = '', id = ''] = space.split(/\.(.*)/s);
      const upper = type.toUpperCase();
      const ok =
        upper === 'IM_ROBOT'
          ? state.seed.users.some((u) => u.userId === id)
          : upper === 'IM_GROUP'
            ? state.seed.groups.some((g) => g.openConversationId === id)
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
      state.cards.set(body.outTrackId, {
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
    const card = state.cards.get(body.outTrackId);
    if (!card) return void bad(res, 'param.cardNotExist', `卡片 ${body.outTrackId} 不存在`);
    if (!body.cardData?.cardParamMap)
      return void bad(res, 'param.cardDataAndPrivateDataBothEmpty', 'cardData 和 privateData 不能同时为空');
    const next = Object.fromEntries(Object.entries(body.cardData.cardParamMap).map(([k, v]) => [k, String(v)]));
    card.cardParamMap = body.cardUpdateOptions?.updateCardDataByKey ? { ...card.cardParamMap, ...next } : next;
    card.updatedAt = Date.now();
    res.json({ success: true, result: true });
  });
  // 待办 (todo_1_0, reference §9.3): people by unionId; sourceId is the creator's idempotency key.
  const todoView = (t: EmulatedTodo) => ({
    id: t.id,
    subject: t.subject,
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(t.dueTime !== undefined ? { dueTime: t.dueTime } : {}),
    done: t.done,
    executorIds: t.executorIds,
    participantIds: t.participantIds,
    ...(t.detailUrl ? { detailUrl: t.detailUrl } : {}),
    ...(t.sourceId !== undefined ? { sourceId: t.sourceId } : {}),
    ...(t.priority !== undefined ? { priority: t.priority } : {}),
    creatorId: t.creatorId,
    modifierId: t.creatorId,
    createdTime: t.createdTime,
    modifiedTime: t.modifiedTime,
    ...(t.finishTime !== undefined ? { finishTime: t.finishTime } : {}),
    bizTag: 'kdb',
    requestId: randomUUID(),
  });
  const todoOwner = (req: Request, res: Response): string | undefined => {
    const unionId = String(req.params.unionId ?? '');
    if (!state.userIdOfUnion(unionId)) {
      bad(res, 'param.unionIdNotExist', `用户 ${unionId} 不存在`);
      return undefined;
    }
    const operator = typeof req.query.operatorId === 'string' ? req.query.operatorId : '';
    if (!operator) {
      bad(res, 'MissingoperatorId', 'operatorId is mandatory for this action.');
      return undefined;
    }
    if (!state.userIdOfUnion(operator)) {
      bad(res, 'param.operatorIdNotExist', `操作人 ${operator} 不存在`);
      return undefined;
    }
    return unionId;
  };
  const todoOf = (req: Request, res: Response, unionId: string): EmulatedTodo | undefined => {
    const todo = state.todos.get(String(req.params.taskId ?? ''));
    if (!todo || todo.deleted || (todo.unionId !== unionId && !todo.executorIds.includes(unionId))) {
      bad(res, 'todoTaskNotExist', '待办不存在', 404);
      return undefined;
    }
    return todo;
  };
  newApi('post', '/v1.0/todo/users/:unionId/tasks', (req, res, clientId) => {
    const unionId = todoOwner(req, res);
    if (!unionId) return;
    const body = bodyRecord(req.body);
    if (typeof body.subject !== 'string' || body.subject.trim() === '')
      return void bad(res, 'MissingSubject', 'subject is mandatory for this action.');
    if (body.dueTime !== undefined && typeof body.dueTime !== 'number')
      return void bad(res, 'InvalidParameter', 'dueTime 必须是毫秒时间戳');
    const ids = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    const executorIds = ids(body.executorIds);
    const unknown = [...executorIds, ...ids(body.participantIds)].find((id) => !state.userIdOfUnion(id));
    if (unknown) return void bad(res, 'param.unionIdNotExist', `用户 ${unknown} 不存在`);
    const sourceId = typeof body.sourceId === 'string' && body.sourceId ? body.sourceId : undefined;
    const existing = sourceId
      ? [...state.todos.values()].find(
          (t) => t.sourceId === sourceId && t.clientId === clientId && t.unionId === unionId && !t.deleted,
        )
      : undefined;
    if (existing) return void res.json(todoView(existing));
    const now = Date.now();
    const detailUrl = body.detailUrl as { appUrl?: unknown; pcUrl?: unknown } | undefined;
    const todo: EmulatedTodo = {
      id: `task${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      unionId,
      userId: state.userIdOfUnion(unionId),
      clientId,
      creatorId: typeof req.query.operatorId === 'string' ? req.query.operatorId : unionId,
      subject: body.subject,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.dueTime === 'number' ? { dueTime: body.dueTime } : {}),
      executorIds: executorIds.length > 0 ? executorIds : [unionId],
      participantIds: ids(body.participantIds),
      ...(detailUrl && typeof detailUrl === 'object'
        ? {
            detailUrl: {
              ...(typeof detailUrl.appUrl === 'string' ? { appUrl: detailUrl.appUrl } : {}),
              ...(typeof detailUrl.pcUrl === 'string' ? { pcUrl: detailUrl.pcUrl } : {}),
            },
          }
        : {}),
      ...(sourceId ? { sourceId } : {}),
      ...(typeof body.priority === 'number' ? { priority: body.priority } : {}),
      done: false,
      deleted: false,
      createdTime: now,
      modifiedTime: now,
    };
    state.todos.set(todo.id, todo);
    res.json(todoView(todo));
  });
  newApi('get', '/v1.0/todo/users/:unionId/tasks/:taskId', (req, res) => {
    const unionId = todoOwner(req, res);
    const todo = unionId && todoOf(req, res, unionId);
    if (todo) res.json(todoView(todo));
  });
  newApi('put', '/v1.0/todo/users/:unionId/tasks/:taskId', (req, res) => {
    const unionId = todoOwner(req, res);
    const todo = unionId && todoOf(req, res, unionId);
    if (!todo) return;
    const body = bodyRecord(req.body);
    if (typeof body.subject === 'string' && body.subject.trim() !== '') todo.subject = body.subject;
    if (typeof body.description === 'string') todo.description = body.description;
    if (typeof body.dueTime === 'number') todo.dueTime = body.dueTime;
    if (typeof body.done === 'boolean') {
      if (body.done && !todo.done) todo.finishTime = Date.now();
      todo.done = body.done;
    }
    todo.modifiedTime = Date.now();
    res.json({ result: true, requestId: randomUUID() });
  });
  newApi('delete', '/v1.0/todo/users/:unionId/tasks/:taskId', (req, res) => {
    const unionId = todoOwner(req, res);
    const todo = unionId && todoOf(req, res, unionId);
    if (!todo) return;
    todo.deleted = true;
    todo.modifiedTime = Date.now();
    res.json({ result: true, requestId: randomUUID() });
  });
  // 搜索用户userId: userIds only (names come from /topapi/v2/user/get), paged by offset and size.
  newApi('post', '/v1.0/contact/users/search', (req, res) => {
    const body = bodyRecord(req.body);
    const mandatory = (name: string) => bad(res, `Missing${name}`, `${name} is mandatory for this action.`);
    if (typeof body.queryWord !== 'string' || body.queryWord.trim() === '') return void mandatory('queryWord');
    if (body.offset === undefined) return void mandatory('offset');
    if (body.size === undefined) return void mandatory('size');
    const { offset, size } = body;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
      return void bad(res, 'InvalidParameter', 'offset 必须是不小于 0 的整数');
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 100)
      return void bad(res, 'InvalidParameter', 'size 必须是 1 到 100 的整数');
    if (body.fullMatchField !== undefined && body.fullMatchField !== 1)
      return void bad(res, 'InvalidParameter', 'fullMatchField 只能为 1');
    const query = body.queryWord.trim().toLowerCase();
    const hits = state.seed.users.filter((u) =>
      body.fullMatchField === 1 ? u.name.toLowerCase() === query : u.name.toLowerCase().includes(query),
    );
    res.json({
      hasMore: offset + size < hits.length,
      totalCount: hits.length,
      list: hits.slice(offset, offset + size).map((u) => u.userId),
    });
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
    const existing = state.routes.get(body.callbackRouteKey);
    if (existing && existing.url !== body.callbackUrl && !body.forceUpdate)
      return void bad(res, 'param.callbackRouteKeyExist', '路由键已存在', 500);
    state.routes.set(body.callbackRouteKey, {
      url: body.callbackUrl,
      ...(body.apiSecret ? { apiSecret: body.apiSecret } : {}),
    });
    res.json({ success: true, result: { callbackUrl: body.callbackUrl, apiSecret: body.apiSecret ?? '' } });
  });
}

/** DingTalk's answers to a request it cannot read and to an unknown path; mounted after every route. */
export function mountErrorAnswers(app: Express): void {
  app.use((err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!err) return next();
    const status = typeof err === 'object' && err && 'status' in err ? Number((err as { status: number }).status) : 500;
    res
      .status(status >= 400 && status < 500 ? status : 500)
      .json({ code: 'param.invalid', message: err instanceof Error ? `请求无效：${err.message}` : '请求无效' });
  });
  app.use((_req, res) => {
    res.status(404).json({ code: 'notFound', message: '接口不存在' });
  });
}

/** A readable title and text for any message shape we record. */
function renderMsg(msg: { msgtype?: string } & Record<string, unknown>): { title?: string; text: string } {
  const inner = (msg[msg.msgtype ?? ''] ?? {}) as Record<string, unknown>;
  const isText = (v: unknown): v is string => typeof v === 'string';
  const title = [inner.title, bodyRecord(inner.head).text].find(isText);
  const text = [inner.text, inner.markdown, inner.content].find(isText);
  return { ...(title ? { title } : {}), text: text ?? JSON.stringify(inner) };
}
