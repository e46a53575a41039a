/**
 * Kingdee Cloud Galaxy (K3Cloud) WebAPI client. Three ways to authenticate (chosen by config): app-secret login,
 * per-request signature headers as the official SDKs send them, and password login. Cookie sessions are kept and a
 * lost one is re-established once, transparently (one login in flight for all callers). Every response is parsed
 * with zod and every failure becomes a typed KingdeeError. No retry loops here: Temporal retries activities.
 *
 * Longer than our ~500-line guide on purpose: one vendor's protocol (login modes, envelopes, per-operation result
 * judging) in one module, as the design asks of each client; documents.ts and forms.ts hold what is not protocol.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { z } from 'zod';
import { silentLogger, type Logger } from '../../common/logger';
import {
  KingdeeAuthError,
  KingdeeClockSkewError,
  type KingdeeError,
  KingdeeLockedError,
  KingdeeNetworkError,
  KingdeeNotFoundError,
  KingdeePermissionError,
  KingdeeProtocolError,
  KingdeeServerError,
  KingdeeSessionLostError,
  KingdeeValidationError,
} from './errors';

export const kingdeeClientConfigSchema = z.object({
  /** e.g. https://your-site.ik3cloud.com/k3cloud/ */
  baseUrl: z.url(),
  acctId: z.string().min(1),
  auth: z.discriminatedUnion('mode', [
    z.object({
      mode: z.literal('appSecret'),
      userName: z.string().min(1),
      appId: z.string().min(1),
      appSecret: z.string().min(1),
      lcid: z.number().int().default(2052),
    }),
    z.object({
      mode: z.literal('signature'),
      userName: z.string().min(1),
      appId: z.string().min(1),
      appSecret: z.string().min(1),
      lcid: z.number().int().default(2052),
      orgNum: z.string().default('0'),
    }),
    z.object({
      mode: z.literal('password'),
      userName: z.string().min(1),
      password: z.string().min(1),
      lcid: z.number().int().default(2052),
    }),
  ]),
  timeoutMs: z.number().int().positive().default(15_000),
});
export type KingdeeClientConfig = z.input<typeof kingdeeClientConfigSchema> & { logger?: Logger };

const stub = 'Kingdee.BOS.WebApi.ServicesStub';
const dynamicForm = `${stub}.DynamicFormService`;

// ── response schemas ────────────────────────────────────────────────────────────────────────────────────────

const isSuccess = z.union([z.boolean(), z.string()]).transform((v) => v === true || v === 'true');
const responseStatusSchema = z
  .object({
    ErrorCode: z.unknown().optional(),
    IsSuccess: isSuccess,
    Errors: z
      .array(z.object({ Message: z.string().nullish(), FieldName: z.string().nullish() }).passthrough())
      .nullish(),
    SuccessEntitys: z
      .array(z.object({ Id: z.union([z.number(), z.string()]).nullish(), Number: z.string().nullish() }).passthrough())
      .nullish(),
    MsgCode: z.coerce.number().nullish(),
  })
  .passthrough();
type ResponseStatus = z.infer<typeof responseStatusSchema>;
const resultEnvelopeSchema = z
  .object({
    Result: z.object({ ResponseStatus: responseStatusSchema.nullish(), Result: z.unknown().optional() }).passthrough(),
  })
  .passthrough();
const loginResultSchema = z
  .object({ LoginResultType: z.number(), Message: z.string().nullish(), KDSVCSessionId: z.string().nullish() })
  .passthrough();

export type QueryValue = string | number | boolean | null;

export interface BillQuery<K extends string> {
  formId: string;
  fieldKeys: readonly K[];
  filterString?: string;
  orderString?: string;
  startRow?: number;
  limit?: number;
  topRowCount?: number;
}

/** The outcome of an operation that moves a document to a state. */
export interface StateChange {
  /** The document was already in the target state: nothing was changed, which is success. */
  alreadyInState: boolean;
  ids: string[];
}

export interface DocumentTarget {
  numbers?: string[];
  ids?: string[];
}

export class KingdeeClient {
  private readonly config: z.infer<typeof kingdeeClientConfigSchema>;
  private readonly http: AxiosInstance;
  private readonly log: Logger;
  private sessionId?: string;
  private login?: Promise<void>;

  constructor(config: KingdeeClientConfig) {
    const { logger, ...rest } = config;
    this.config = kingdeeClientConfigSchema.parse(rest);
    this.log = logger ?? silentLogger;
    const baseURL = this.config.baseUrl.endsWith('/') ? this.config.baseUrl : `${this.config.baseUrl}/`;
    this.http = axios.create({
      baseURL,
      timeout: this.config.timeoutMs,
      responseType: 'text',
      transformResponse: (d: unknown) => d,
      validateStatus: () => true,
    });
  }

  // ── operations ──────────────────────────────────────────────────────────────────────────────────────────

  /** One page of rows, each an object keyed by the requested field keys. */
  async executeBillQuery<K extends string>(query: BillQuery<K>): Promise<Array<Record<K, QueryValue>>> {
    const data = {
      FormId: query.formId,
      FieldKeys: query.fieldKeys.join(','),
      FilterString: query.filterString ?? '',
      OrderString: query.orderString ?? '',
      TopRowCount: query.topRowCount ?? 0,
      StartRow: query.startRow ?? 0,
      Limit: query.limit ?? 2000,
      SubSystemId: '',
    };
    const body = await this.call('ExecuteBillQuery', [JSON.stringify(data)]);
    const rows = z.array(z.unknown()).safeParse(body);
    if (!rows.success)
      throw new KingdeeProtocolError(`ExecuteBillQuery answered ${describe(body)} instead of an array of rows`);
    const failure = findWrappedStatus(rows.data);
    if (failure) throw this.errorFrom(failure, 'ExecuteBillQuery');
    return rows.data.map((row, index) => {
      if (!Array.isArray(row) || row.length !== query.fieldKeys.length) {
        throw new KingdeeProtocolError(
          `ExecuteBillQuery row ${index} has ${Array.isArray(row) ? row.length : 'no'} columns, expected ${query.fieldKeys.length}`,
        );
      }
      return Object.fromEntries(query.fieldKeys.map((key, i) => [key, (row[i] ?? null) as QueryValue])) as Record<
        K,
        QueryValue
      >;
    });
  }

  /** Every row, page by page (stable order needs a unique tiebreaker such as FID in orderString). */
  async *queryAll<K extends string>(query: Omit<BillQuery<K>, 'startRow'>): AsyncGenerator<Record<K, QueryValue>> {
    const limit = query.limit ?? 2000;
    for (let startRow = 0; ; startRow += limit) {
      const page = await this.executeBillQuery({ ...query, startRow, limit });
      yield* page;
      if (page.length < limit) return;
    }
  }

  /** The whole document (ORM property names, e.g. BillNo, DocumentStatus). Not found → KingdeeNotFoundError. */
  async view(formId: string, target: { number: string } | { id: string }): Promise<Record<string, unknown>> {
    const data = {
      CreateOrgId: 0,
      Number: 'number' in target ? target.number : '',
      Id: 'id' in target ? target.id : '',
      IsSortBySeq: 'false',
    };
    const body = await this.call('View', [formId, JSON.stringify(data)]);
    const envelope = this.envelope(body, 'View');
    const result = z.record(z.string(), z.unknown()).safeParse(envelope.Result.Result);
    if (!result.success || Object.keys(result.data).length === 0) {
      // Kingdee sometimes answers a lost session or a missing bill with an empty Result.
      throw new KingdeeNotFoundError(
        `${formId} ${'number' in target ? target.number : target.id} was not found (View returned no document)`,
        10,
      );
    }
    return result.data;
  }

  /** Save is not idempotent: never re-send it blindly after a timeout (query for the bill first). */
  async save(
    formId: string,
    model: Record<string, unknown>,
    options: { isDeleteEntry?: boolean } = {},
  ): Promise<{ id: string; number: string }> {
    const data = {
      NeedUpDateFields: [],
      NeedReturnFields: [],
      IsDeleteEntry: String(options.isDeleteEntry ?? true),
      Model: model,
    };
    const envelope = this.envelope(await this.call('Save', [formId, JSON.stringify(data)]), 'Save');
    const entity = envelope.Result.ResponseStatus?.SuccessEntitys?.[0];
    return { id: String(entity?.Id ?? ''), number: String(entity?.Number ?? '') };
  }

  /**
   * Push (下推) source bills to a target form with a conversion rule (by id, or the target form's default rule).
   * Returns the target bills Kingdee created (a draft saved because the target's save failed has an empty number).
   */
  async push(
    formId: string,
    input: DocumentTarget & {
      entryIds?: string[];
      ruleId?: string;
      targetFormId?: string;
      isEnableDefaultRule?: boolean;
      isDraftWhenSaveFail?: boolean;
    },
  ): Promise<{ targets: Array<{ id: string; number: string }>; messages: string[] }> {
    const data = {
      Ids: (input.ids ?? []).join(','),
      Numbers: input.numbers ?? [],
      EntryIds: (input.entryIds ?? []).join(','),
      RuleId: input.ruleId ?? '',
      TargetBillTypeId: '',
      TargetOrgId: 0,
      TargetFormId: input.targetFormId ?? '',
      IsEnableDefaultRule: String(input.isEnableDefaultRule ?? !input.ruleId),
      IsDraftWhenSaveFail: String(input.isDraftWhenSaveFail ?? false),
      CustomParams: {},
    };
    const body = await this.call('Push', [formId, JSON.stringify(data)]);
    const convert = z
      .object({ Result: z.object({ ConvertResponseStatus: responseStatusSchema.nullish() }).passthrough() })
      .passthrough()
      .safeParse(body);
    const conversion = convert.success ? convert.data.Result.ConvertResponseStatus : undefined;
    if (conversion && !conversion.IsSuccess) throw this.errorFrom(conversion, 'Push');
    const envelope = this.envelope(body, 'Push');
    const status = envelope.Result.ResponseStatus;
    const messages = z
      .array(z.object({ Message: z.string().nullish() }).passthrough())
      .catch([])
      .parse(status?.SuccessMessages ?? []);
    return {
      targets: (status?.SuccessEntitys ?? []).map((e) => ({ id: String(e.Id ?? ''), number: String(e.Number ?? '') })),
      messages: messages.map((m) => m.Message ?? '').filter(Boolean),
    };
  }

  /** The site's data centres (账套), asked without authentication: id (the acctId), number and name. */
  async getDataCenterList(): Promise<Array<{ id: string; number: string; name: string }>> {
    const body = await this.post(
      'Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList.common.kdsvc',
      {},
      'GetDataCenterList',
      true,
    );
    // Some sites answer with the list as a JSON string.
    const list = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
    const parsed = z
      .array(z.object({ Id: z.coerce.string(), Number: z.coerce.string().nullish(), Name: z.unknown() }).passthrough())
      .safeParse(list);
    if (!parsed.success)
      throw new KingdeeProtocolError(`GetDataCenterList answered ${describe(body)} instead of a list of data centres`);
    return parsed.data.map((dc) => ({
      id: dc.Id,
      number: dc.Number ?? '',
      name: typeof dc.Name === 'string' ? dc.Name : JSON.stringify(dc.Name ?? ''),
    }));
  }

  submit(formId: string, target: DocumentTarget): Promise<StateChange> {
    return this.changeState('Submit', formId, target, {
      SelectedPostId: 0,
      NetworkCtrl: 'false',
      IgnoreInterationFlag: 'true',
    });
  }

  audit(formId: string, target: DocumentTarget): Promise<StateChange> {
    return this.changeState('Audit', formId, target, {
      InterationFlags: '',
      NetworkCtrl: 'false',
      IsVerifyProcInst: 'true',
      IgnoreInterationFlag: 'true',
      UseBatControlTimes: 'false',
    });
  }

  unAudit(formId: string, target: DocumentTarget): Promise<StateChange> {
    return this.changeState('UnAudit', formId, target, {
      InterationFlags: '',
      NetworkCtrl: 'false',
      IsVerifyProcInst: 'true',
      IgnoreInterationFlag: 'true',
    });
  }

  cancelAssign(formId: string, target: DocumentTarget): Promise<StateChange> {
    return this.changeState('CancelAssign', formId, target, { NetworkCtrl: 'false' });
  }

  /** Approve (1), reject (2) or terminate (3) the current node of Kingdee's own workflow, on behalf of userName. */
  async workflowAudit(input: {
    formId: string;
    numbers: string[];
    userName?: string;
    approvalType: 1 | 2 | 3;
    disposition?: string;
  }): Promise<StateChange> {
    const data = {
      FormId: input.formId,
      Numbers: input.numbers,
      Ids: '',
      UserId: 0,
      UserName: input.userName ?? '',
      ApprovalType: input.approvalType,
      ActionResultId: '',
      PostId: 0,
      PostNumber: '',
      Disposition: input.disposition ?? '',
    };
    try {
      const envelope = this.envelope(await this.call('WorkflowAudit', [JSON.stringify(data)]), 'WorkflowAudit');
      return { alreadyInState: false, ids: successIds(envelope.Result.ResponseStatus) };
    } catch (err) {
      if (err instanceof KingdeeValidationError && /没有待处理的工作流任务|已审核/.test(err.message))
        return { alreadyInState: true, ids: [] };
      throw err;
    }
  }

  /** The SEC_User whose mobile matches (for WorkflowAudit on a person's behalf). */
  async findUserNameByMobile(mobile: string): Promise<string | undefined> {
    const rows = await this.executeBillQuery({
      formId: 'SEC_User',
      fieldKeys: ['FUserAccount', 'FMobile'],
      filterString: `FMobile = '${mobile.replace(/'/g, "''")}'`,
      limit: 2,
    });
    const account = rows[0]?.FUserAccount;
    return typeof account === 'string' && account.trim() ? account.trim() : undefined;
  }

  /** Mobile numbers of employees (BD_Empinfo) or users (SEC_User) by internal id. */
  async mobilesOf(kind: 'employee' | 'user', ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const [formId, idKey] = kind === 'employee' ? ['BD_Empinfo', 'FID'] : ['SEC_User', 'FUserID'];
    const rows = await this.executeBillQuery({
      formId,
      fieldKeys: [idKey, 'FMobile'],
      filterString: `${idKey} IN (${ids.map(Number).join(',')})`,
    });
    const out = new Map<number, string>();
    for (const row of rows) {
      const mobile = row.FMobile;
      if (typeof mobile === 'string' && mobile.trim()) out.set(Number(row[idKey as 'FMobile']), mobile.trim());
    }
    return out;
  }

  /** Log in (or make one signed call) to check credentials; returns the measured clock offset too. */
  async check(): Promise<{ ok: true; clockOffsetMs?: number }> {
    await this.executeBillQuery({ formId: 'SEC_User', fieldKeys: ['FUserID'], topRowCount: 1, limit: 1 });
    return { ok: true, clockOffsetMs: this.lastClockOffsetMs };
  }

  /** For readiness probes. */
  async ping(): Promise<boolean> {
    await this.check();
    return true;
  }

  /** Our clock minus the server's, from the Date header of the last response (1 s resolution). */
  lastClockOffsetMs?: number;

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────

  private async changeState(
    operation: 'Submit' | 'Audit' | 'UnAudit' | 'CancelAssign',
    formId: string,
    target: DocumentTarget,
    extra: Record<string, unknown>,
  ): Promise<StateChange> {
    const data = {
      CreateOrgId: 0,
      Numbers: target.numbers ?? [],
      Ids: (target.ids ?? []).join(','),
      UseOrgId: 0,
      ...extra,
    };
    try {
      const envelope = this.envelope(await this.call(operation, [formId, JSON.stringify(data)]), operation);
      return { alreadyInState: false, ids: successIds(envelope.Result.ResponseStatus) };
    } catch (err) {
      // Reaching a state that already holds is success (e.g. auditing an audited bill after an ambiguous timeout).
      if (err instanceof KingdeeValidationError && alreadyThere(operation, err.message))
        return { alreadyInState: true, ids: [] };
      throw err;
    }
  }

  private envelope(body: unknown, operation: string) {
    const parsed = resultEnvelopeSchema.safeParse(body);
    if (!parsed.success)
      throw new KingdeeProtocolError(`${operation} answered ${describe(body)} instead of Kingdee's Result envelope`);
    const status = parsed.data.Result.ResponseStatus;
    if (status && !status.IsSuccess) throw this.errorFrom(status, operation);
    return parsed.data;
  }

  /** POST one service call: authenticated, with one transparent re-login when a cookie session was lost. */
  private async call(operation: string, parameters: unknown[]): Promise<unknown> {
    const path = `${dynamicForm}.${operation}.common.kdsvc`;
    if (this.config.auth.mode !== 'signature') await this.ensureLogin();
    const usedSession = this.sessionId;
    const first = await this.post(path, { parameters }, operation);
    if (this.config.auth.mode === 'signature' || !isSessionLost(first)) return first;
    this.log.info({ operation }, 'Kingdee session lost; logging in again');
    // Only the first caller to notice drops the session; the others reuse the login it starts.
    if (this.sessionId === usedSession) this.sessionId = undefined;
    await this.ensureLogin();
    const second = await this.post(path, { parameters }, operation);
    if (isSessionLost(second))
      throw new KingdeeSessionLostError(
        `Kingdee rejected the new session too (${operation}): check the user's WebAPI whitelist and credentials`,
        1,
      );
    return second;
  }

  /** Concurrent callers share one login. */
  private ensureLogin(): Promise<void> {
    if (this.sessionId) return Promise.resolve();
    this.login ??= this.doLogin().finally(() => {
      this.login = undefined;
    });
    return this.login;
  }

  private async doLogin(): Promise<void> {
    const { acctId, auth } = this.config;
    const [service, parameters] =
      auth.mode === 'password'
        ? ['ValidateUser', [acctId, auth.userName, auth.password, auth.lcid]]
        : ['LoginByAppSecret', [acctId, auth.userName, auth.appId, auth.appSecret, auth.lcid]];
    const body = await this.post(`${stub}.AuthService.${service}.common.kdsvc`, { parameters }, service, true);
    const parsed = loginResultSchema.safeParse(body);
    if (!parsed.success)
      throw new KingdeeProtocolError(`${service} answered ${describe(body)} instead of a login result`);
    if (parsed.data.LoginResultType !== 1 && parsed.data.LoginResultType !== -5) {
      throw new KingdeeAuthError(
        `Kingdee login failed: ${parsed.data.Message ?? `LoginResultType ${parsed.data.LoginResultType}`}. Check KINGDEE_ACCT_ID, KINGDEE_USERNAME and the ${auth.mode === 'password' ? 'password' : 'app id/secret (第三方系统登录授权)'}.`,
        parsed.data.LoginResultType,
        parsed.data.Message ? [parsed.data.Message] : [],
      );
    }
    if (!this.sessionId && parsed.data.KDSVCSessionId) this.sessionId = parsed.data.KDSVCSessionId;
    if (!this.sessionId) throw new KingdeeProtocolError('Kingdee login succeeded but set no kdservice-sessionid');
  }

  private async post(path: string, body: unknown, operation: string, isLogin = false): Promise<unknown> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=UTF-8' };
    if (this.sessionId && !isLogin) {
      headers['kdservice-sessionid'] = this.sessionId;
      headers.Cookie = `kdservice-sessionid=${this.sessionId}`;
    }
    if (this.config.auth.mode === 'signature')
      Object.assign(headers, this.signatureHeaders(new URL(path, this.http.defaults.baseURL).pathname));
    const started = Date.now();
    let response: AxiosResponse<string>;
    try {
      response = await this.http.post<string>(path, JSON.stringify(body), { headers });
    } catch (err) {
      const reason = err instanceof AxiosError ? `${err.code ?? 'error'}: ${err.message}` : String(err);
      throw new KingdeeNetworkError(
        `Kingdee ${operation} did not answer (${reason}); check KINGDEE_BASE_URL and the network`,
        err instanceof AxiosError ? err.code : undefined,
      );
    }
    this.noteClock(response.headers.date, started);
    this.log.debug({ operation, status: response.status, ms: Date.now() - started }, 'kingdee call');
    const setCookie = response.headers['set-cookie'];
    const session = setCookie?.map((c) => /kdservice-sessionid=([^;]+)/.exec(c)?.[1]).find(Boolean);
    if (session) this.sessionId = session;
    const text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    if (response.status === 519 || /X-Api-TimeStamp过期/.test(text)) {
      throw new KingdeeClockSkewError(
        `Kingdee refused the request timestamp (${text.slice(0, 120)}). Our clock differs from Kingdee's by ${this.lastClockOffsetMs ?? '?'} ms: synchronise this machine's clock (NTP) and retry.`,
        this.lastClockOffsetMs,
        519,
      );
    }
    if (response.status >= 500 || text.startsWith('response_error:')) {
      if (/Fail to verify thirty passport/.test(text))
        throw new KingdeeAuthError(
          'Kingdee refused the signature credentials (Fail to verify thirty passport): check KINGDEE_ACCT_ID and the app id',
          response.status,
        );
      throw new KingdeeServerError(
        `Kingdee ${operation} failed with HTTP ${response.status}: ${text.replace(/^response_error:/, '').slice(0, 200)}`,
        response.status,
      );
    }
    if (response.status !== 200 && response.status !== 206) {
      throw new KingdeeProtocolError(
        `Kingdee ${operation} answered HTTP ${response.status}${/<html/i.test(text) ? ' with an HTML page — is KINGDEE_BASE_URL the …/k3cloud/ address?' : ''}`,
        response.status,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new KingdeeProtocolError(
        `Kingdee ${operation} answered something that is not JSON${/<html/i.test(text) ? ' (an HTML page: check KINGDEE_BASE_URL)' : ` (${text.slice(0, 80)}…)`}`,
      );
    }
  }

  private noteClock(date: unknown, sentAt: number): void {
    if (typeof date !== 'string') return;
    const server = Date.parse(date);
    if (Number.isFinite(server)) this.lastClockOffsetMs = Math.round((sentAt + Date.now()) / 2 - server);
  }

  /** The nine headers of the official SDKs' "第三方系统登录授权" scheme (reference §2.5). */
  private signatureHeaders(pathname: string): Record<string, string> {
    const auth = this.config.auth;
    if (auth.mode !== 'signature') return {};
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().replace(/-/g, '');
    const encodedPath = encodeURIComponent(pathname);
    const toSign = `POST\n${encodedPath}\n\nx-api-nonce:${nonce}\nx-api-timestamp:${timestamp}\n`;
    const appData = `${this.config.acctId},${auth.userName},${auth.lcid},${auth.orgNum}`;
    return {
      'X-Api-ClientID': auth.appId.split('_')[0] ?? '',
      'X-Api-Auth-Version': '2.0',
      'x-api-timestamp': timestamp,
      'x-api-nonce': nonce,
      'x-api-signheaders': 'x-api-timestamp,x-api-nonce',
      'X-Api-Signature': hexHmacBase64(clientSecretOf(auth.appId), toSign),
      'X-Kd-Appkey': auth.appId,
      'X-Kd-Appdata': Buffer.from(appData, 'utf8').toString('base64'),
      'X-Kd-Signature': hexHmacBase64(auth.appSecret, auth.appId + appData),
    };
  }

  /** Map a failed ResponseStatus to the error hierarchy; the messages stay Kingdee's own. */
  private errorFrom(status: ResponseStatus, operation: string): KingdeeError {
    const messages = (status.Errors ?? []).map((e) => e.Message ?? '').filter(Boolean);
    const text = messages.join('；') || `${operation} failed (MsgCode ${status.MsgCode ?? '?'})`;
    const code = status.MsgCode ?? undefined;
    switch (code) {
      case 1:
        return this.config.auth.mode === 'signature'
          ? new KingdeeAuthError(
              `Kingdee rejected the signed request: ${text}. Check KINGDEE_USERNAME, the app id/secret and that the user is bound to the app.`,
              code,
              messages,
            )
          : new KingdeeSessionLostError(text, code, messages);
      case 2:
        return new KingdeePermissionError(`${text}（请在金蝶中为集成用户授予该单据的权限）`, code, messages);
      case 10:
        return new KingdeeNotFoundError(text, code, messages);
      case 6:
      case 13:
      case 14:
        return new KingdeeLockedError(text, code, messages);
      default:
        if (/冲突，请稍候再使用|网控/.test(text)) return new KingdeeLockedError(text, code, messages);
        if (/不存在/.test(text) && code === 10) return new KingdeeNotFoundError(text, code, messages);
        return new KingdeeValidationError(text, code, messages);
    }
  }
}

function successIds(status: ResponseStatus | null | undefined): string[] {
  return (status?.SuccessEntitys ?? []).map((e) => String(e.Id ?? ''));
}

function alreadyThere(operation: string, message: string): boolean {
  if (operation === 'Audit') return /已审核/.test(message);
  if (operation === 'Submit') return /审核中/.test(message);
  if (operation === 'UnAudit') return /重新审核|创建/.test(message);
  if (operation === 'CancelAssign') return /创建|重新审核/.test(message);
  return false;
}

/** ExecuteBillQuery reports errors inside the returned array, with HTTP 200. */
function findWrappedStatus(rows: unknown[]): ResponseStatus | undefined {
  for (const row of rows) {
    const cells = Array.isArray(row) ? row : [row];
    for (const cell of cells) {
      const parsed = resultEnvelopeSchema.safeParse(cell);
      if (parsed.success && parsed.data.Result.ResponseStatus) return parsed.data.Result.ResponseStatus;
    }
  }
  return undefined;
}

function isSessionLost(body: unknown): boolean {
  const status = Array.isArray(body)
    ? findWrappedStatus(body)
    : resultEnvelopeSchema.safeParse(body).data?.Result.ResponseStatus;
  return !!status && !status.IsSuccess && status.MsgCode === 1;
}

function describe(body: unknown): string {
  const text = JSON.stringify(body) ?? String(body);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function hexHmacBase64(key: string, message: string): string {
  return Buffer.from(createHmac('sha256', key).update(message, 'utf8').digest('hex'), 'utf8').toString('base64');
}

/** The SDKs derive the X-Api key from the AppID's 32-character second part (reference §2.5 step 3). */
function clientSecretOf(appId: string): string {
  const part = appId.split('_')[1] ?? '';
  if (part.length !== 32) return '';
  const seed = Buffer.from('0054f397c6234378b09ca7d3e5debce7', 'ascii');
  return Buffer.from(Buffer.from(part, 'base64').map((b, i) => b ^ seed[i]!)).toString('base64');
}

/** LoginBySign's signature, exported for tests against the reference's test vector. */
export function loginSign(values: {
  acctId: string;
  userName: string;
  appId: string;
  appSecret: string;
  timestamp: string;
}): string {
  return createHash('sha256')
    .update([values.acctId, values.userName, values.appId, values.appSecret, values.timestamp].sort().join(''), 'utf8')
    .digest('hex');
}
