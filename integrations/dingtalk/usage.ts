/**
 * How many calls the bridge makes to DingTalk this month, per API, as DingTalk meters them
 * (open.dingtalk.com 计费模型说明, 不纳入调用量限制的接口清单): a standard-edition organisation gets 5,000 metered API
 * calls and 3,000 Webhook&Stream messages a month; access tokens and the contacts APIs are not metered, nor are calls
 * DingTalk refused for QPS. The DingTalk client reports every answer (`onCall`); the month's counts are kept in
 * DATA_DIR (one file per process, so a restart keeps counting) for /metrics (api/metrics.ts) and `npm run doctor`,
 * which projects the month and warns past the edition's quota (DINGTALK_MONTHLY_*_QUOTA).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type DingTalkQuotaKind = 'api' | 'webhookStream' | 'free';

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

/** Which monthly quota a call (`METHOD /path`) counts against. */
export function dingtalkQuotaKind(api: string): DingTalkQuotaKind {
  if (freeApis.has(api)) return 'free';
  // Custom-robot and session webhooks, and what DingTalk pushes to the app (PUSH …: card callbacks, bot messages).
  if (api === 'POST /robot/send' || api === 'POST /robot/sendBySession' || api.startsWith('PUSH '))
    return 'webhookStream';
  return 'api';
}

/** Path parameters named, so one API is one label (and /metrics does not grow a series per person). */
const pathParameters: Array<[RegExp, string]> = [
  [/^\/v1\.0\/todo\/users\/[^/]+\/tasks\/[^/]+(\/executorStatus)?$/, '/v1.0/todo/users/{unionId}/tasks/{taskId}$1'],
  [/^\/v1\.0\/todo\/users\/[^/]+\/tasks$/, '/v1.0/todo/users/{unionId}/tasks'],
];

/** `METHOD /path` of a request URL (query and host dropped, path parameters named). */
export function dingtalkApiOf(method: string | undefined, url: string | undefined): string {
  let pathname = url ?? '';
  try {
    pathname = new URL(pathname).pathname;
  } catch {
    pathname = pathname.split('?')[0] ?? '';
  }
  for (const [pattern, name] of pathParameters) pathname = pathname.replace(pattern, name);
  return `${(method ?? 'get').toUpperCase()} ${pathname}`;
}

/** Whether DingTalk refused the call for QPS (then it is not metered): 403 …QpsLimit… or errcode 90018 / 90002. */
export function isQpsRefusal(status: number, data: unknown): boolean {
  const body = (typeof data === 'object' && data !== null ? data : {}) as { code?: unknown; errcode?: unknown };
  if (typeof body.code === 'string' && /QpsLimit/.test(body.code)) return true;
  return body.errcode === 90018 || body.errcode === 90002 || status === 429;
}

export interface MonthUsage {
  /** `YYYY-MM`, China time (DingTalk's months). */
  month: string;
  byApi: Record<string, number>;
}

export interface UsageTotals {
  month: string;
  api: number;
  webhookStream: number;
  free: number;
  byApi: Record<string, number>;
  /** The month's total at this pace (linear in the month's elapsed time). */
  projected: { api: number; webhookStream: number };
}

const chinaOffsetMs = 8 * 3_600_000;

export function dingtalkMonth(now: number): string {
  return new Date(now + chinaOffsetMs).toISOString().slice(0, 7);
}

/** How much of the month (China time) has passed at `now`, 0..1 (at least an hour's worth, to keep it sane). */
export function monthElapsed(now: number): number {
  const local = new Date(now + chinaOffsetMs);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1);
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1);
  return Math.min(1, Math.max(3_600_000, local.getTime() - start) / (end - start));
}

/** Totals per quota and the month's projection, from one or more processes' counts of the current month. */
export function usageTotals(usages: readonly MonthUsage[], now = Date.now()): UsageTotals {
  const month = dingtalkMonth(now);
  const byApi: Record<string, number> = {};
  for (const usage of usages) {
    if (usage.month !== month) continue;
    for (const [api, count] of Object.entries(usage.byApi)) byApi[api] = (byApi[api] ?? 0) + count;
  }
  const totals = { api: 0, webhookStream: 0, free: 0 };
  for (const [api, count] of Object.entries(byApi)) totals[dingtalkQuotaKind(api)] += count;
  const elapsed = monthElapsed(now);
  return {
    month,
    ...totals,
    byApi,
    projected: { api: Math.round(totals.api / elapsed), webhookStream: Math.round(totals.webhookStream / elapsed) },
  };
}

/** Usage files in DATA_DIR: `dingtalk-usage-<process>.json`. */
export function readUsageFiles(dataDir: string): MonthUsage[] {
  let names: string[];
  try {
    names = readdirSync(dataDir).filter((n) => /^dingtalk-usage-.*\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const parsed = JSON.parse(readFileSync(path.join(dataDir, name), 'utf8')) as Partial<MonthUsage>;
      return typeof parsed.month === 'string' && parsed.byApi && typeof parsed.byApi === 'object'
        ? [{ month: parsed.month, byApi: parsed.byApi }]
        : [];
    } catch {
      return [];
    }
  });
}

/** This process's calls this month, kept in `file` (written at most every few seconds, and on stop). */
export class DingTalkUsage {
  private usage: MonthUsage;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  /** Every counted call as it happens (the metrics counter). */
  onRecord?: (api: string, kind: DingTalkQuotaKind) => void;

  constructor(private readonly file?: string) {
    const month = dingtalkMonth(Date.now());
    let saved: Partial<MonthUsage> = {};
    try {
      if (file) saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<MonthUsage>;
    } catch {
      // No file yet (or unreadable): this process starts the month's count at zero.
    }
    this.usage = { month, byApi: saved.month === month && saved.byApi ? { ...saved.byApi } : {} };
  }

  /** The DingTalk client's `onCall`: one answer from DingTalk. */
  record(call: { api: string; status: number; data: unknown }): void {
    if (isQpsRefusal(call.status, call.data)) return;
    const month = dingtalkMonth(Date.now());
    if (month !== this.usage.month) this.usage = { month, byApi: {} };
    this.usage.byApi[call.api] = (this.usage.byApi[call.api] ?? 0) + 1;
    this.dirty = true;
    this.onRecord?.(call.api, dingtalkQuotaKind(call.api));
  }

  current(): MonthUsage {
    return { month: this.usage.month, byApi: { ...this.usage.byApi } };
  }

  totals(now = Date.now()): UsageTotals {
    return usageTotals([this.current()], now);
  }

  /** Write the counts every `everyMs` while anything changed. */
  start(everyMs = 5_000): void {
    if (!this.file || this.timer) return;
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  flush(): void {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.tmp`;
      writeFileSync(temp, JSON.stringify(this.usage));
      renameSync(temp, this.file);
    } catch {
      this.dirty = true; // try again at the next flush
    }
  }
}
