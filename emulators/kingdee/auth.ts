/**
 * How the fake Kingdee decides who is calling: the AuthService logins (ValidateUser, LoginByAppSecret, LoginBySign,
 * their `2` variants, Logout) answered with Kingdee's login result, the `kdservice-sessionid` cookie they set, and
 * the per-request signature headers of the official SDKs (X-Kd-* and, when sent, X-Api-*) with a timestamp
 * tolerance against the emulator's clock. Sessions live in the state; protocol.ts calls in here.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { lowerKeys } from './envelope';
import type { KingdeeEmulatorOptions, KingdeeState } from './state';

export const sessionCookie = 'kdservice-sessionid';

export class KingdeeAuth {
  constructor(
    private readonly state: KingdeeState,
    private readonly options: KingdeeEmulatorOptions = {},
  ) {}

  private newSession(res: Response, acctId: string, userName: string): string {
    const id = randomUUID();
    this.state.sessions.set(id, { acctId, userName });
    res.cookie(sessionCookie, id, { path: '/', httpOnly: true });
    res.cookie('ASP.NET_SessionId', randomUUID().replace(/-/g, '').slice(0, 24), { path: '/', httpOnly: true });
    return id;
  }

  login(operation: string, args: unknown, res: Response): void {
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
    const account = this.state.seed.accounts.find((a) => a.acctId === acctId);
    if (!account) return void fail(-1, `数据中心无法获取到，请检查账套ID：${acctId}`);
    const userName = arg(1, 'username');
    const user = this.state.seed.users.find((u) => u.userName === userName);
    const base = operation.replace(/2$/, '');
    let ok = false;
    if (base === 'ValidateUser') ok = !!user?.password && user.password === arg(2, 'password');
    else if (base === 'LoginByAppSecret') {
      const app = this.state.seed.apps.find((a) => a.appId === arg(2, 'appid'));
      ok = !!app && app.userName === userName && app.appSecret === arg(3, 'appsecret');
    } else if (base === 'LoginBySign') {
      const app = this.state.seed.apps.find((a) => a.appId === arg(2, 'appid'));
      const timestamp = arg(3, 'timestamp');
      if (app && Math.abs(this.state.now() / 1000 - Number(timestamp)) * 1000 > this.tolerance()) {
        return void fail(
          -1,
          `时间戳与服务器时间相差过大（服务器时间 ${new Date(this.state.now()).toISOString()}），验证失败`,
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
  authenticate(req: Request, res: Response): { userName: string } | undefined | 'refused' {
    const sid = req.header(sessionCookie) ?? parseCookies(req.header('cookie'))[sessionCookie];
    const session = sid ? this.state.sessions.get(sid) : undefined;
    if (session) return session;
    const appKey = req.header('x-kd-appkey');
    if (!appKey) return undefined;
    const app = this.state.seed.apps.find((a) => a.appId === appKey);
    const appData = Buffer.from(req.header('x-kd-appdata') ?? '', 'base64').toString('utf8');
    const [acctId = '', userName = ''] = appData.split(',');
    if (!this.state.seed.accounts.some((a) => a.acctId === acctId)) {
      res.status(500).type('text').send('Fail to verify thirty passport');
      return 'refused';
    }
    const timestamp = Number(req.header('x-api-timestamp'));
    const tsMs = timestamp > 1e12 ? timestamp : timestamp * 1000;
    if (app && Number.isFinite(tsMs) && Math.abs(this.state.now() - tsMs) > this.tolerance()) {
      res.status(519).json({
        errcode: 4006,
        description: 'X-Api-TimeStamp过期',
        serverTime: new Date(this.state.now()).toISOString(),
      });
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
