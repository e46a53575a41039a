/**
 * An in-memory Kingdee Cloud Galaxy (K3Cloud) WebAPI emulator speaking the real protocol: the
 * `…ServicesStub….common.kdsvc` paths under `/k3cloud/`, the positional / named / legacy envelopes, login by
 * password, app secret and signature (LoginBySign), per-request signature headers (X-Kd-* / X-Api-*), the
 * `kdservice-sessionid` session cookie, Kingdee's result envelopes and MsgCodes, and FDocumentStatus transitions.
 * For tests, the demo and benchmarks only — production code never imports it.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { compileFilter, FilterParseError, lookup, type Row } from './filter';
import { loadSeed, type FieldValue, type Seed } from './seed';
import { renderDocumentsPage } from './page';

export type Operation =
  | 'ExecuteBillQuery'
  | 'BillQuery'
  | 'View'
  | 'Save'
  | 'Submit'
  | 'Audit'
  | 'UnAudit'
  | 'CancelAssign'
  | 'WorkflowAudit'
  | 'Delete';

export interface EmulatedDocument {
  formId: string;
  id: number;
  billNo: string;
  status: 'Z' | 'A' | 'B' | 'C' | 'D';
  workflowBound: boolean;
  fields: Record<string, FieldValue>;
  entries: Array<Record<string, FieldValue>>;
  /** Who did what, for assertions ("the comment names the real approvers"). */
  history: Array<{ operation: string; at: string; user: string; comment?: string; approvalType?: number }>;
}

/** A fault injected by a test or a CLI flag. `times` absent: until cleared. */
export type Fault =
  | { kind: 'latency'; ms: number; operation?: string; times?: number }
  | { kind: 'http500'; operation?: string; times?: number }
  | { kind: 'drop'; operation?: string; times?: number }
  | { kind: 'htmlError'; operation?: string; times?: number }
  | { kind: 'lock'; billNo: string; times?: number }
  | { kind: 'denyPermission'; operation?: string; formId?: string; times?: number };

export interface KingdeeEmulatorOptions {
  port?: number;
  seed?: Seed;
  /** The emulator's clock runs this far ahead of the real one (negative: behind), as a skewed server would. */
  clockSkewMs?: number;
  /** Signature timestamps further than this from the emulator's clock are refused. */
  timestampToleranceMs?: number;
  faults?: Fault[];
}

const stubPrefix = '/k3cloud/';
const sessionCookie = 'kdservice-sessionid';
const supportedForms = new Set([
  'ER_ExpReimbursement',
  'AP_PAYBILL',
  'AP_Payable',
  'PUR_PurchaseOrder',
  'BD_Empinfo',
  'SEC_User',
]);
const statusLabels: Record<string, string> = { Z: '暂存', A: '创建', B: '审核中', C: '已审核', D: '重新审核' };
const formNames: Record<string, string> = {
  ER_ExpReimbursement: '费用报销单',
  AP_PAYBILL: '付款单',
  AP_Payable: '应付单',
  PUR_PurchaseOrder: '采购订单',
};

export class KingdeeEmulator {
  readonly documents = new Map<string, EmulatedDocument>();
  faults: Fault[];
  clockSkewMs: number;
  private readonly sessions = new Map<string, { acctId: string; userName: string }>();
  private readonly calls = new Map<string, number>();
  private readonly perDocument = new Map<string, Record<string, number>>();
  private nextId = 900_000;
  private server?: http.Server;
  baseUrl = '';
  port = 0;

  constructor(
    readonly seed: Seed,
    private readonly options: KingdeeEmulatorOptions = {},
  ) {
    this.faults = [...(options.faults ?? [])];
    this.clockSkewMs = options.clockSkewMs ?? 0;
    for (const doc of seed.documents) {
      this.putDocument({
        formId: doc.formId,
        id: doc.id ?? this.nextId++,
        billNo: doc.billNo,
        status: doc.status,
        workflowBound: doc.workflowBound,
        fields: { ...doc.fields },
        entries: doc.entries.map((e) => ({ ...e })),
        history: [],
      });
    }
  }

  /** The emulator's notion of now (skewed when a test asks for it). */
  now(): number {
    return Date.now() + this.clockSkewMs;
  }

  /** Kingdee writes server-local times without an offset. */
  localTime(ms = this.now()): string {
    const offset = this.seed.accounts[0]?.utcOffsetMinutes ?? 480;
    return new Date(ms + offset * 60_000).toISOString().slice(0, 23);
  }

  putDocument(doc: EmulatedDocument): void {
    this.documents.set(`${doc.formId}|${doc.billNo}`, doc);
  }

  getDocument(formId: string, billNo: string): EmulatedDocument | undefined {
    return this.documents.get(`${formId}|${billNo}`);
  }

  /** Create a document (as a person would in the Kingdee client), optionally submitted. */
  createDocument(input: {
    formId: string;
    billNo: string;
    status?: EmulatedDocument['status'];
    workflowBound?: boolean;
    fields?: Record<string, FieldValue>;
    entries?: Array<Record<string, FieldValue>>;
  }): EmulatedDocument {
    const now = this.localTime();
    const doc: EmulatedDocument = {
      formId: input.formId,
      id: this.nextId++,
      billNo: input.billNo,
      status: input.status ?? 'A',
      workflowBound: input.workflowBound ?? false,
      fields: { FCreateDate: now, FModifyDate: now, FDate: `${now.slice(0, 10)}T00:00:00`, ...input.fields },
      entries: input.entries ?? [],
      history: [],
    };
    this.putDocument(doc);
    return doc;
  }

  /** Change a document's status as someone working in Kingdee itself would (bumps FModifyDate). */
  setStatus(formId: string, billNo: string, status: EmulatedDocument['status'], user = 'kingdee-user'): void {
    const doc = this.getDocument(formId, billNo);
    if (!doc) throw new Error(`no document ${formId} ${billNo}`);
    this.transition(doc, status, `manual:${status}`, user);
  }

  deleteDocument(formId: string, billNo: string): void {
    this.documents.delete(`${formId}|${billNo}`);
  }

  /** Calls per operation, and per document: calls and effective state changes. */
  stats(): { byOperation: Record<string, number>; byDocument: Record<string, Record<string, number>> } {
    return { byOperation: Object.fromEntries(this.calls), byDocument: Object.fromEntries(this.perDocument) };
  }

  expireSessions(): void {
    this.sessions.clear();
  }

  async listen(port = this.options.port ?? 0): Promise<void> {
    this.server = http.createServer(this.app());
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}/k3cloud/`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use((_req, res, next) => {
      res.setHeader('Date', new Date(this.now()).toUTCString());
      next();
    });
    app.use(express.text({ type: () => true, limit: '5mb' }));
    app.get(['/', '/_emulator', '/_emulator/'], (_req, res) => {
      res.type('html').send(renderDocumentsPage([...this.documents.values()], statusLabels, formNames));
    });
    app.get('/_emulator/stats', (_req, res) => {
      res.json(this.stats());
    });
    app.get('/_emulator/documents', (_req, res) => {
      res.json([...this.documents.values()]);
    });
    app.post('/_emulator/documents', (req, res) => {
      try {
        const body = JSON.parse(String(req.body || '{}')) as Parameters<KingdeeEmulator['createDocument']>[0];
        if (!body.formId || !body.billNo) throw new Error('formId and billNo are required');
        if (!supportedForms.has(body.formId)) throw new Error(`unknown FormId ${body.formId}`);
        res.status(201).json(this.createDocument(body));
      } catch (err) {
        res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
      }
    });
    app.post('/_emulator/documents/:formId/:billNo/status', (req, res) => {
      try {
        const body = JSON.parse(String(req.body || '{}')) as { status?: EmulatedDocument['status'] };
        if (!body.status || !statusLabels[body.status]) throw new Error('status must be one of Z A B C D');
        this.setStatus(String(req.params.formId), String(req.params.billNo), body.status);
        res.json(this.getDocument(String(req.params.formId), String(req.params.billNo)));
      } catch (err) {
        res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
      }
    });
    app.post('/_emulator/faults', (req, res) => {
      try {
        const body = JSON.parse(String(req.body || '{}')) as
          Fault | { kind: 'expireSessions' } | { kind: 'clockSkew'; ms: number };
        if (body.kind === 'expireSessions') this.expireSessions();
        else if (body.kind === 'clockSkew') this.clockSkewMs = Number(body.ms) || 0;
        else this.faults.push(body);
        res.status(204).end();
      } catch {
        res
          .status(400)
          .json({ error: 'body must be a JSON fault, e.g. {"kind":"http500","operation":"Audit","times":1}' });
      }
    });
    app.delete('/_emulator/faults', (_req, res) => {
      this.faults = [];
      this.clockSkewMs = this.options.clockSkewMs ?? 0;
      res.status(204).end();
    });
    app.post(/^\/k3cloud\/(.+)\.common\.kdsvc$/, (req, res) => {
      void this.handle(req, res);
    });
    app.use((_req, res) => {
      res.status(404).type('html').send('<html><body><h1>404 - Not Found</h1></body></html>');
    });
    return app;
  }

  private takeFault<K extends Fault['kind']>(
    kind: K,
    match: (f: Extract<Fault, { kind: K }>) => boolean,
  ): Extract<Fault, { kind: K }> | undefined {
    const index = this.faults.findIndex((f) => f.kind === kind && match(f as Extract<Fault, { kind: K }>));
    if (index < 0) return undefined;
    const fault = this.faults[index] as Extract<Fault, { kind: K }>;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const service = req.path.slice(stubPrefix.length).replace(/\.common\.kdsvc$/, '');
    const operation = service.split('.').pop() ?? '';
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    const forOp = (f: { operation?: string }) => f.operation === undefined || f.operation === operation;
    const latency = this.takeFault('latency', forOp);
    if (latency) await new Promise((resolve) => setTimeout(resolve, latency.ms));
    if (this.takeFault('drop', forOp)) {
      req.socket.destroy();
      return;
    }
    if (this.takeFault('http500', forOp)) {
      res.status(500).type('text').send('response_error:{"Message":"服务器内部错误","InnerException":null}');
      return;
    }
    if (this.takeFault('htmlError', forOp)) {
      res.status(200).type('html').send('<html><head><title>登录</title></head><body>请先登录金蝶云星空</body></html>');
      return;
    }

    let args: unknown;
    try {
      args = parseEnvelope(String(req.body ?? ''));
    } catch {
      res.json(envelope(false, 4, [`请求数据包不是有效的 JSON，无法解析`]));
      return;
    }
    if (service.includes('AuthService.')) {
      this.login(operation, args, res);
      return;
    }
    if (!service.startsWith('Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.')) {
      res.status(404).type('html').send('<html><body>服务不存在</body></html>');
      return;
    }
    const session = this.authenticate(req, res);
    if (session === 'refused') return;
    if (!session) {
      const lost = envelope(false, 1, ['会话信息已丢失，请重新登录']);
      res.json(operation === 'ExecuteBillQuery' ? [[lost]] : lost);
      return;
    }
    try {
      res.json(this.operate(operation as Operation, args, session.userName));
    } catch (err) {
      const message =
        err instanceof KingdeeFault ? err.message : `服务端异常：${err instanceof Error ? err.message : String(err)}`;
      const code = err instanceof KingdeeFault ? err.msgCode : 4;
      const body = envelope(false, code, [message]);
      res.json(operation === 'ExecuteBillQuery' || operation === 'BillQuery' ? [[body]] : body);
    }
  }

  // ── auth ────────────────────────────────────────────────────────────────────────────────────────────────

  private newSession(res: Response, acctId: string, userName: string): string {
    const id = randomUUID();
    this.sessions.set(id, { acctId, userName });
    res.cookie(sessionCookie, id, { path: '/', httpOnly: true });
    res.cookie('ASP.NET_SessionId', randomUUID().replace(/-/g, '').slice(0, 24), { path: '/', httpOnly: true });
    return id;
  }

  private login(operation: string, args: unknown, res: Response): void {
    const positional = Array.isArray(args) ? args : undefined;
    const named =
      !Array.isArray(args) && typeof args === 'object' && args ? lowerKeys(args as Record<string, unknown>) : {};
    const arg = (index: number, name: string) => String(positional ? (positional[index] ?? '') : (named[name] ?? ''));
    const fail = (type: number, message: string) =>
      res.json({
        Message: message,
        MessageCode: null,
        LoginResultType: type,
        Context: null,
        KDSVCSessionId: null,
        IsSuccessByAPI: false,
      });
    const acctId = arg(0, 'acctid');
    const account = this.seed.accounts.find((a) => a.acctId === acctId);
    if (!account) return void fail(-1, `数据中心无法获取到，请检查账套ID：${acctId}`);
    const userName = arg(1, 'username');
    const user = this.seed.users.find((u) => u.userName === userName);
    const base = operation.replace(/2$/, '');
    let ok = false;
    if (base === 'ValidateUser') ok = !!user?.password && user.password === arg(2, 'password');
    else if (base === 'LoginByAppSecret') {
      const app = this.seed.apps.find((a) => a.appId === arg(2, 'appid'));
      ok = !!app && app.userName === userName && app.appSecret === arg(3, 'appsecret');
    } else if (base === 'LoginBySign') {
      const app = this.seed.apps.find((a) => a.appId === arg(2, 'appid'));
      const timestamp = arg(3, 'timestamp');
      if (app && Math.abs(this.now() / 1000 - Number(timestamp)) * 1000 > this.tolerance()) {
        return void fail(
          -1,
          `时间戳与服务器时间相差过大（服务器时间 ${new Date(this.now()).toISOString()}），验证失败`,
        );
      }
      const expected = app
        ? createHash('sha256')
            .update([acctId, userName, app.appId, app.appSecret, timestamp].sort().join(''), 'utf8')
            .digest('hex')
        : '';
      ok = !!app && app.userName === userName && expected === arg(4, 'sign');
    } else if (base === 'Logout') {
      res.json(true);
      return;
    } else return void fail(-1, `不支持的登录方式 ${operation}`);
    if (!ok || !user) return void fail(0, '用户名或密码错误');
    const sessionId = this.newSession(res, acctId, userName);
    res.json({
      Message: null,
      MessageCode: 'CheckPasswordPolicy',
      LoginResultType: 1,
      Context: {
        UserId: user.id,
        UserName: user.name,
        DBid: acctId,
        DataCenterName: account.name,
        SessionId: sessionId,
        UTimeZone: { OffsetTicks: account.utcOffsetMinutes * 600_000_000 },
      },
      KDSVCSessionId: sessionId,
      IsSuccessByAPI: true,
    });
  }

  private tolerance(): number {
    return this.options.timestampToleranceMs ?? 15 * 60_000;
  }

  /** A live session cookie, or valid signature headers (which open a session); 'refused' when already answered. */
  private authenticate(req: Request, res: Response): { userName: string } | undefined | 'refused' {
    const sid = req.header(sessionCookie) ?? parseCookies(req.header('cookie'))[sessionCookie];
    const session = sid ? this.sessions.get(sid) : undefined;
    if (session) return session;
    const appKey = req.header('x-kd-appkey');
    if (!appKey) return undefined;
    const app = this.seed.apps.find((a) => a.appId === appKey);
    const appData = Buffer.from(req.header('x-kd-appdata') ?? '', 'base64').toString('utf8');
    const [acctId = '', userName = ''] = appData.split(',');
    if (!this.seed.accounts.some((a) => a.acctId === acctId)) {
      res.status(500).type('text').send('Fail to verify thirty passport');
      return 'refused';
    }
    const timestamp = Number(req.header('x-api-timestamp'));
    const tsMs = timestamp > 1e12 ? timestamp : timestamp * 1000;
    if (app && Number.isFinite(tsMs) && Math.abs(this.now() - tsMs) > this.tolerance()) {
      res
        .status(519)
        .json({ errcode: 4006, description: 'X-Api-TimeStamp过期', serverTime: new Date(this.now()).toISOString() });
      return 'refused';
    }
    const kdSignature = app ? hexHmacBase64(app.appSecret, app.appId + appData) : '';
    if (!app || app.userName !== userName || req.header('x-kd-signature') !== kdSignature) return undefined;
    const apiSignature = req.header('x-api-signature');
    if (apiSignature) {
      const clientSecret = deriveClientSecret(app.appId);
      const path = encodeURIComponent(req.path).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
      const toSign = `POST\n${path}\n\nx-api-nonce:${req.header('x-api-nonce') ?? ''}\nx-api-timestamp:${req.header('x-api-timestamp') ?? ''}\n`;
      if (apiSignature !== hexHmacBase64(clientSecret, toSign)) return undefined;
    }
    this.newSession(res, acctId, userName);
    return { userName };
  }

  // ── operations ──────────────────────────────────────────────────────────────────────────────────────────

  private operate(operation: Operation, args: unknown, userName: string): unknown {
    const positional = Array.isArray(args) ? args : undefined;
    const named =
      !Array.isArray(args) && typeof args === 'object' && args ? lowerKeys(args as Record<string, unknown>) : {};
    const queryStyle = operation === 'ExecuteBillQuery' || operation === 'BillQuery' || operation === 'WorkflowAudit';
    const formId = queryStyle ? undefined : String((positional ? positional[0] : named.formid) ?? '');
    const rawData = positional ? positional[queryStyle ? 0 : 1] : named.data;
    const data = lowerKeys(
      typeof rawData === 'string'
        ? (JSON.parse(rawData || '{}') as Record<string, unknown>)
        : ((rawData ?? {}) as Record<string, unknown>),
    );
    const user = this.seed.users.find((u) => u.userName === userName);
    const form = formId ?? String(data.formid ?? '');
    if (!form) throw new KingdeeFault(5, '单据标识为空：请求中缺少 FormId');
    if (!supportedForms.has(form)) throw new KingdeeFault(4, `标识为“${form}”的业务对象不存在，或者被删除`);
    const denied = this.takeFault(
      'denyPermission',
      (f) => (f.operation === undefined || f.operation === operation) && (f.formId === undefined || f.formId === form),
    );
    if (denied || user?.deniedForms.includes(form)) {
      throw new KingdeeFault(2, `您没有“${formNames[form] ?? form}”的“${operation}”操作权限，请联系系统管理员`);
    }
    switch (operation) {
      case 'ExecuteBillQuery':
      case 'BillQuery':
        return this.query(form, data, operation === 'BillQuery');
      case 'View':
        return this.view(form, data);
      case 'Save':
        return this.save(form, data, userName);
      case 'WorkflowAudit':
        return this.stateChange(form, data, operation, userName);
      case 'Submit':
      case 'Audit':
      case 'UnAudit':
      case 'CancelAssign':
      case 'Delete':
        return this.stateChange(form, data, operation, userName);
      default:
        throw new KingdeeFault(4, `不支持的操作 ${String(operation)}`);
    }
  }

  private rowsOf(form: string): Row[] {
    if (form === 'BD_Empinfo')
      return this.seed.employees.map((e) => ({
        FID: e.id,
        FNumber: e.number,
        FStaffNumber: e.number,
        FName: e.name,
        FMobile: e.mobile ?? ' ',
      }));
    if (form === 'SEC_User')
      return this.seed.users.map((u) => ({
        FUserID: u.id,
        FName: u.name,
        FUserAccount: u.userName,
        FMobile: u.mobile ?? ' ',
      }));
    return [...this.documents.values()].filter((d) => d.formId === form).map((d) => flatten(d));
  }

  private query(form: string, data: Record<string, unknown>, objects: boolean): unknown {
    const fieldKeys = String(data.fieldkeys ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    if (fieldKeys.length === 0) throw new KingdeeFault(8, 'data 数据包中的参数 FieldKeys 的值不能为空');
    const rows = this.rowsOf(form);
    const known = new Set(rows.flatMap((r) => Object.keys(r).map((k) => k.toLowerCase())));
    const knownFields = (key: string) =>
      known.size === 0 ||
      known.has(key.toLowerCase()) ||
      /^F(ID|BillNo|DocumentStatus|ModifyDate|CreateDate|ApproveDate)$/i.test(key);
    const unknown = fieldKeys.find((k) => !knownFields(k));
    if (unknown) throw new KingdeeFault(9, `元数据中标识为${unknown}的字段不存在`);
    let predicate;
    try {
      predicate = compileFilter(String(data.filterstring ?? ''), knownFields);
    } catch (err) {
      if (err instanceof FilterParseError)
        throw new KingdeeFault(4, `GetRealExpress error: 当前查询串无法解析（${err.message}）`);
      throw err;
    }
    let result = rows.filter(predicate);
    const order = String(data.orderstring ?? '').trim();
    if (order) {
      const keys = order.split(',').map((part) => {
        const [key = '', dir = 'ASC'] = part.trim().split(/\s+/);
        return { key, desc: dir.toUpperCase() === 'DESC' };
      });
      result = [...result].sort((a, b) => {
        for (const { key, desc } of keys) {
          const x = lookup(a, key);
          const y = lookup(b, key);
          const c =
            typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
          if (c !== 0) return desc ? -c : c;
        }
        return 0;
      });
    }
    const start = Number(data.startrow ?? 0) || 0;
    const limit = Number(data.limit ?? 0) || 2000;
    const top = Number(data.toprowcount ?? 0) || 0;
    if (top > 0) result = result.slice(0, top);
    result = result.slice(start, start + Math.min(limit, 10_000));
    return objects
      ? result.map((row) => Object.fromEntries(fieldKeys.map((k) => [k, lookup(row, k) ?? null])))
      : result.map((row) => fieldKeys.map((k) => lookup(row, k) ?? null));
  }

  private find(form: string, data: Record<string, unknown>): EmulatedDocument | undefined {
    const number = data.number !== undefined ? String(data.number) : undefined;
    const id = data.id !== undefined && data.id !== '' ? Number(data.id) : undefined;
    return [...this.documents.values()].find((d) => d.formId === form && (number ? d.billNo === number : d.id === id));
  }

  private view(form: string, data: Record<string, unknown>): unknown {
    if (!data.number && !data.id) throw new KingdeeFault(5, '单据标识为空：请提供 Number 或 Id');
    const doc = this.find(form, data);
    if (!doc)
      throw new KingdeeFault(10, `未找到对应数据：${formNames[form] ?? form} ${String(data.number ?? data.id)}`);
    return { Result: { ResponseStatus: null, Result: toViewModel(doc) } };
  }

  private save(form: string, data: Record<string, unknown>, userName: string): unknown {
    const model = (data.model ?? {}) as Record<string, FieldValue>;
    if (typeof model !== 'object' || Array.isArray(model)) throw new KingdeeFault(8, '参数 Model 不能为空');
    const billNo =
      typeof model.FBillNo === 'string' && model.FBillNo
        ? model.FBillNo
        : `${form.slice(0, 4).toUpperCase()}${this.nextId}`;
    const existing = this.getDocument(form, billNo);
    if (existing && (existing.status === 'B' || existing.status === 'C')) {
      throw new KingdeeFault(
        12,
        `单据编号为“${billNo}”的${formNames[form] ?? form}，当前状态（${statusLabels[existing.status]}）不允许保存`,
      );
    }
    const { FBillNo: _ignored, ...fields } = model;
    const doc = existing ?? this.createDocument({ formId: form, billNo });
    Object.assign(doc.fields, fields);
    this.transition(doc, doc.status === 'D' ? 'D' : 'A', 'Save', userName);
    return envelope(true, 0, [], [{ Id: doc.id, Number: doc.billNo, DIndex: 0 }], { Id: doc.id, Number: doc.billNo });
  }

  private stateChange(form: string, data: Record<string, unknown>, operation: Operation, userName: string): unknown {
    const numbers = Array.isArray(data.numbers) ? data.numbers.map(String) : [];
    const ids = Array.isArray(data.ids)
      ? data.ids.map(Number)
      : String(data.ids ?? '')
          .split(',')
          .filter(Boolean)
          .map(Number);
    if (numbers.length === 0 && ids.length === 0) throw new KingdeeFault(5, '单据标识为空：请提供 Numbers 或 Ids');
    const targets = numbers.length > 0 ? numbers.map((n) => ({ number: n })) : ids.map((id) => ({ id }));
    const errors: string[] = [];
    const successes: Array<{ Id: number; Number: string; DIndex: number }> = [];
    let msgCode = 0;
    targets.forEach((target, index) => {
      const doc = this.find(form, target);
      const label = `单据编号为“${'number' in target ? target.number : target.id}”的${formNames[form] ?? form}`;
      if (!doc) {
        errors.push(`${label}不存在`);
        msgCode = 10;
        return;
      }
      if (this.takeFault('lock', (f) => f.billNo === doc.billNo)) {
        errors.push(
          `“其他用户”使用业务单据：“${formNames[form] ?? form}”业务操作-“[${formNames[form] ?? form}-${doc.billNo}-修改]”冲突，请稍候再使用。`,
        );
        msgCode = 13;
        return;
      }
      const refuse = (why: string) => {
        errors.push(`${label}，${why}`);
        msgCode = 12;
      };
      const comment = typeof data.disposition === 'string' ? data.disposition : undefined;
      switch (operation) {
        case 'Submit':
          if (doc.status !== 'A' && doc.status !== 'D' && doc.status !== 'Z')
            return refuse(`当前状态（${statusLabels[doc.status]}）不允许提交`);
          this.transition(doc, 'B', operation, userName);
          break;
        case 'Audit':
          if (doc.status === 'C') return refuse('已审核，不能重复审核。');
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）不允许审核`);
          if (doc.workflowBound && String(data.isverifyprocinst ?? 'true') !== 'false')
            return refuse('存在运行中的工作流实例，不允许直接审核，请通过工作流审批');
          this.transition(doc, 'C', operation, userName);
          break;
        case 'UnAudit':
          if (doc.status !== 'C') return refuse(`当前状态（${statusLabels[doc.status]}）不允许反审核`);
          this.transition(doc, 'D', operation, userName);
          break;
        case 'CancelAssign':
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）不允许撤销`);
          this.transition(doc, 'A', operation, userName);
          break;
        case 'Delete':
          if (doc.status === 'B' || doc.status === 'C')
            return refuse(`当前状态（${statusLabels[doc.status]}）不允许删除`);
          this.documents.delete(`${doc.formId}|${doc.billNo}`);
          this.count(doc.billNo, operation);
          break;
        case 'WorkflowAudit': {
          const type = Number(data.approvaltype ?? 1);
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）没有待处理的工作流任务`);
          const actor = String(data.username ?? '') || userName;
          if (!this.seed.users.some((u) => u.userName === actor || u.name === actor))
            return refuse(`用户“${actor}”不存在或不是当前节点的处理人`);
          this.transition(doc, type === 1 ? 'C' : 'D', operation, actor, comment, type);
          break;
        }
        default:
          return refuse('不支持的操作');
      }
      successes.push({ Id: doc.id, Number: doc.billNo, DIndex: index });
    });
    if (errors.length > 0) return envelope(false, msgCode, errors, successes);
    return envelope(true, 0, [], successes);
  }

  private transition(
    doc: EmulatedDocument,
    status: EmulatedDocument['status'],
    operation: string,
    user: string,
    comment?: string,
    approvalType?: number,
  ): void {
    const now = this.localTime();
    doc.status = status;
    doc.fields.FModifyDate = now;
    if (status === 'C') doc.fields.FApproveDate = now;
    doc.history.push({
      operation,
      at: now,
      user,
      ...(comment ? { comment } : {}),
      ...(approvalType ? { approvalType } : {}),
    });
    this.count(doc.billNo, operation);
  }

  private count(billNo: string, operation: string): void {
    const entry = this.perDocument.get(billNo) ?? {};
    entry[operation] = (entry[operation] ?? 0) + 1;
    this.perDocument.set(billNo, entry);
  }
}

class KingdeeFault extends Error {
  constructor(
    readonly msgCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Accepts the positional, named and legacy ApiClient envelopes; returns the positional array or the named object. */
function parseEnvelope(body: string): unknown {
  const parsed = JSON.parse(body || '{}') as Record<string, unknown> | unknown[];
  if (Array.isArray(parsed)) return parsed;
  if (typeof parsed.parameters === 'string') return JSON.parse(parsed.parameters) as unknown;
  if (Array.isArray(parsed.parameters)) return parsed.parameters;
  return parsed;
}

function lowerKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]));
}

function envelope(
  ok: boolean,
  msgCode: number,
  errors: string[],
  successes: unknown[] = [],
  extra: Record<string, unknown> = {},
) {
  return {
    Result: {
      ResponseStatus: {
        ErrorCode: ok ? '' : 500,
        IsSuccess: ok,
        Errors: errors.map((Message, DIndex) => ({ FieldName: null, Message, DIndex })),
        SuccessEntitys: successes,
        SuccessMessages: [],
        MsgCode: msgCode,
      },
      ...extra,
    },
  };
}

/** Query rows: references expose FX (id), FX.FNumber and FX.FName, like Kingdee. */
function flatten(doc: EmulatedDocument): Row {
  const row: Row = { FID: doc.id, FBillNo: doc.billNo, FDocumentStatus: doc.status };
  for (const [key, value] of Object.entries(doc.fields)) {
    if (value !== null && typeof value === 'object') {
      row[key] = value.id;
      row[`${key}.FNumber`] = value.number ?? ' ';
      row[`${key}.FName`] = value.name;
    } else row[key] = value;
  }
  return row;
}

/** View returns ORM property names (the key without its leading F) and localised names as [{Key, Value}]. */
function toViewModel(doc: EmulatedDocument): Record<string, unknown> {
  const prop = (key: string) => (key.startsWith('F') ? key.slice(1) : key);
  const convert = (fields: Record<string, FieldValue>) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && typeof value === 'object') {
        out[prop(key)] = { Id: value.id, Number: value.number ?? '', Name: [{ Key: 2052, Value: value.name }] };
        out[`${prop(key)}_Id`] = value.id;
      } else out[prop(key)] = value;
    }
    return out;
  };
  const entity =
    {
      ER_ExpReimbursement: 'ER_ExpenseReimbEntry',
      AP_PAYBILL: 'PAYBILLENTRY',
      AP_Payable: 'AP_PAYABLEENTRY',
      PUR_PurchaseOrder: 'POOrderEntry',
    }[doc.formId] ?? 'Entity';
  return {
    Id: doc.id,
    BillNo: doc.billNo,
    DocumentStatus: doc.status,
    ...convert(doc.fields),
    [entity]: doc.entries.map((entry, i) => ({ Id: i + 1, Seq: i + 1, ...convert(entry) })),
  };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name) out[name] = rest.join('=');
  }
  return out;
}

export function hexHmacBase64(key: string, message: string): string {
  return Buffer.from(createHmac('sha256', key).update(message, 'utf8').digest('hex'), 'utf8').toString('base64');
}

/** The SDKs' derivation of the X-Api client secret from the AppID's second part (reference §2.5 step 3). */
export function deriveClientSecret(appId: string): string {
  const part = appId.split('_')[1] ?? '';
  if (part.length !== 32) return '';
  const bytes = Buffer.from(part, 'base64');
  const seed = Buffer.from('0054f397c6234378b09ca7d3e5debce7', 'ascii');
  return Buffer.from(bytes.map((b, i) => b ^ seed[i]!)).toString('base64');
}

export async function startKingdeeEmulator(options: KingdeeEmulatorOptions = {}): Promise<KingdeeEmulator> {
  const emulator = new KingdeeEmulator(options.seed ?? loadSeed(), options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
