/**
 * The texts of what the bridge pushes without an approval asking: threshold-watch alerts (库存预警), calendar
 * deadline reminders (增值税申报), each approver's morning digest (待办汇总) and the weekly 同步体检 report to the ops
 * group — plus the Web UI summary lines of their workflows and the placeholders their templates in the rules file
 * may use.
 *
 * Pure and deterministic (the watch, deadline and digest workflows word their notices in Temporal's sandbox).
 */
import type { CrossedRow } from '../watch-state';
import { formatTime, type Instant, type TimeZone } from './format';
import type { Notice } from './notices';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** `3 天 4 小时`, `5 小时`, `20 分钟` — how long something has waited, wall clock. */
export function formatWait(ms: number): string {
  const safe = Math.max(0, ms);
  if (safe < HOUR_MS) return `${Math.max(1, Math.floor(safe / 60_000))} 分钟`;
  if (safe < DAY_MS) return `${Math.floor(safe / HOUR_MS)} 小时`;
  const days = Math.floor(safe / DAY_MS);
  const hours = Math.floor((safe % DAY_MS) / HOUR_MS);
  return hours > 0 ? `${days} 天 ${hours} 小时` : `${days} 天`;
}

const placeholderPattern = /\{([^{}\s]+)\}/g;

function render(template: string, lookup: (name: string) => string | undefined): string {
  return template.replace(placeholderPattern, (whole, name: string) => {
    const value = lookup(name);
    if (value === undefined) return whole;
    return value === '' ? '—' : value;
  });
}

const unknownIn = (template: string, known: (name: string) => boolean): string[] =>
  [...template.matchAll(placeholderPattern)].map((m) => m[1] ?? '').filter((name) => !known(name));

// ---------------------------------------------------------------------------------------------------------------
// Threshold watches

/** Placeholders of a watch's row line besides its field keys (`{FMaterialId.FName}`). */
export const watchRowPlaceholders = {
  value: ['数值'],
  threshold: ['阈值'],
  field: ['字段'],
} as const;

const watchAlias = new Map<string, keyof typeof watchRowPlaceholders>();
for (const [name, aliases] of Object.entries(watchRowPlaceholders) as Array<
  [keyof typeof watchRowPlaceholders, readonly string[]]
>) {
  watchAlias.set(name, name);
  for (const alias of aliases) watchAlias.set(alias, name);
}

/** Placeholders in a watch's `text` that are neither a queried field nor {数值} {阈值} {字段}. */
export function unknownWatchPlaceholders(template: string, fields: readonly string[]): string[] {
  const lower = new Set(fields.map((f) => f.toLowerCase()));
  return unknownIn(template, (name) => watchAlias.has(name) || lower.has(name.toLowerCase()));
}

/** Every name a watch's row line may use, for error messages. */
export const watchPlaceholderNames = (fields: readonly string[]): string[] => [...fields, ...[...watchAlias.keys()]];

const num = (n: number) => String(Number(n.toFixed(6)));

/**
 * One row of a watch alert: the admin's line, or the shown fields (`shown`, default every value but the compared
 * field) and the value against its threshold.
 */
export function watchRowLine(
  row: CrossedRow,
  input: { field: string; template?: string; shown?: readonly string[] },
): string {
  if (input.template) {
    const byLower = new Map(Object.entries(row.values).map(([k, v]) => [k.toLowerCase(), v]));
    return render(input.template, (name) => {
      const alias = watchAlias.get(name);
      if (alias === 'value') return num(row.value);
      if (alias === 'threshold') return num(row.threshold);
      if (alias === 'field') return input.field;
      return byLower.get(name.toLowerCase());
    });
  }
  const wanted = input.shown?.map((key) => key.toLowerCase());
  const shown = Object.entries(row.values)
    .filter(([key]) =>
      wanted && wanted.length > 0
        ? wanted.includes(key.toLowerCase())
        : key.toLowerCase() !== input.field.toLowerCase(),
    )
    .map(([, value]) => value)
    .filter((value) => value !== '');
  const subject = shown.length > 0 ? shown.join(' ') : row.key;
  const relation = row.direction === 'below' ? '低于' : '高于';
  return `${subject}：${input.field} ${num(row.value)}，${relation} ${num(row.threshold)}`;
}

/** Lines shown in one alert; more rows are counted, not listed (DingTalk messages have a size limit). */
const maxAlertLines = 30;

/** Several rows crossing together: one message listing them. */
export function watchAlertNotice(input: {
  name: string;
  rows: readonly CrossedRow[];
  field: string;
  template?: string;
  shown?: readonly string[];
  at: Instant;
  tz: TimeZone;
}): Notice {
  const shown = input.rows.slice(0, maxAlertLines);
  const more = input.rows.length - shown.length;
  const count = input.rows.length;
  return {
    title: `【预警】${input.name}：${count} 项`,
    text: [
      `### 【预警】${input.name}`,
      `${count} 项达到预警条件：`,
      ...shown.map((row) => `- ${watchRowLine(row, input)}`),
      ...(more > 0 ? [`- ……另有 ${more} 项`] : []),
      '',
      `检查时间：${formatTime(input.at, input.tz)}。恢复正常后再次达到条件时会再次提醒。`,
    ].join('\n'),
  };
}

/** To ops when a watch has not been able to read Kingdee several times in a row. */
export function watchOutageNotice(input: {
  name: string;
  failures: number;
  error: string;
  since: Instant;
  tz: TimeZone;
}): Notice {
  return {
    title: `【需要处理】${input.name} 无法读取金蝶`,
    text: [
      `### 【需要处理】${input.name} 无法读取金蝶`,
      `- 已连续 ${input.failures} 次检查失败，自 ${formatTime(input.since, input.tz)} 起`,
      `- 最近的错误：${input.error}`,
      '- 恢复后会自动补查，已提醒过的项目不会重复提醒',
    ].join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar deadlines

export const deadlinePlaceholders = {
  name: ['名称'],
  due: ['截止日', '截止日期'],
  nominal: ['原定日期'],
  daysLeft: ['剩余工作日'],
} as const;

const deadlineAlias = new Map<string, keyof typeof deadlinePlaceholders>();
for (const [name, aliases] of Object.entries(deadlinePlaceholders) as Array<
  [keyof typeof deadlinePlaceholders, readonly string[]]
>) {
  deadlineAlias.set(name, name);
  for (const alias of aliases) deadlineAlias.set(alias, name);
}

export const deadlinePlaceholderNames: readonly string[] = [...deadlineAlias.keys()];

export const unknownDeadlinePlaceholders = (template: string): string[] =>
  unknownIn(template, (name) => deadlineAlias.has(name));

const weekdayNames = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
/** `2026-12-15（周二）`. */
export const formatDate = (date: string): string =>
  `${date}（${weekdayNames[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? ''}）`;

export function deadlineReminderNotice(input: {
  name: string;
  due: string;
  nominal: string;
  moved: boolean;
  workingDaysLeft: number;
  text?: string;
}): Notice {
  const when = input.workingDaysLeft === 0 ? '今天截止' : `还剩 ${input.workingDaysLeft} 个工作日`;
  const custom = input.text
    ? render(input.text, (name) => {
        switch (deadlineAlias.get(name)) {
          case 'name':
            return input.name;
          case 'due':
            return input.due;
          case 'nominal':
            return input.nominal;
          case 'daysLeft':
            return String(input.workingDaysLeft);
          case undefined:
            return undefined;
        }
      })
    : undefined;
  return {
    title: `【截止提醒】${input.name} ${when}`,
    text: [
      `### 【截止提醒】${input.name}`,
      ...(custom ? [custom, ''] : []),
      `- 截止日：${formatDate(input.due)}`,
      ...(input.moved
        ? [`- 原定 ${formatDate(input.nominal)} 为节假日或休息日，已${input.due < input.nominal ? '提前' : '顺延'}`]
        : []),
      `- ${input.workingDaysLeft === 0 ? '今天是截止日，请在下班前完成' : `距截止还剩 ${input.workingDaysLeft} 个工作日`}`,
    ].join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Digests

/** One approval waiting for a person, as the morning digest lists it. */
export interface DigestItem {
  workflowId: string;
  formName: string;
  billNo: string;
  applicant: string;
  /** `¥12,800.00`. */
  amount: string;
  stepName: string;
  /** When the step started waiting (epoch ms). */
  waitingSince: number;
  /** Urgent: reminded or escalated already, or waiting longer than the digest's urgentAfter. */
  urgent: boolean;
  /** The person decides for someone else (delegate, manager brought in by escalation). */
  onBehalfOf?: string;
  link?: string;
}

/** Urgent first, then the longest waiting; the bill number breaks ties, so the order is stable. */
export function sortDigestItems<T extends Pick<DigestItem, 'urgent' | 'waitingSince' | 'billNo'>>(items: T[]): T[] {
  return [...items].sort(
    (a, b) =>
      Number(b.urgent) - Number(a.urgent) || a.waitingSince - b.waitingSince || a.billNo.localeCompare(b.billNo),
  );
}

/** Lines listed in one digest; the rest are counted. */
const maxDigestLines = 30;

/** The morning digest (待办汇总) of one person: what waits for them, urgent and oldest first, with links. */
export function approverDigestNotice(input: {
  name: string;
  items: readonly DigestItem[];
  at: number;
  tz: TimeZone;
  maxItems?: number;
}): Notice {
  const items = sortDigestItems([...input.items]);
  const limit = Math.min(input.maxItems ?? maxDigestLines, maxDigestLines);
  const shown = items.slice(0, limit);
  const urgent = items.filter((item) => item.urgent).length;
  const date = formatTime(input.at, input.tz).slice(0, 10);
  return {
    title: `【待办汇总】${date} ${input.name}，您有 ${items.length} 张单据待审批${urgent > 0 ? `（${urgent} 张紧急）` : ''}`,
    text: [
      `### 【待办汇总】${date} 您有 ${items.length} 张单据待审批`,
      ...shown.map((item, index) => {
        const tag = item.urgent ? '【紧急】' : '';
        const behalf = item.onBehalfOf ? `（代 ${item.onBehalfOf}）` : '';
        const link = item.link ? ` [查看单据](${item.link})` : '';
        return `${index + 1}. ${tag}${item.formName} ${item.billNo}（${item.applicant}，${item.amount}）· ${item.stepName}${behalf} · 已等待 ${formatWait(input.at - item.waitingSince)}${link}`;
      }),
      ...(items.length > shown.length ? [`……另有 ${items.length - shown.length} 张`] : []),
      '',
      '在钉钉的审批卡片上处理，或回复机器人“同意 单号”。',
    ].join('\n'),
  };
}

/** A percentile statistic of decision time per step. */
export interface StepTiming {
  step: string;
  count: number;
  medianMs: number;
  p90Ms: number;
}

export interface ReportProblem {
  workflowId: string;
  billNo?: string;
  detail?: string;
  since?: number;
}

/** What the weekly 同步体检 found; what could not be computed is said in `missing`. */
export interface WeeklyReport {
  from: number;
  to: number;
  completed: { total: number; approved: number; rejected: number; other: number };
  /** Decision time per step, of the approvals completed in the week (wall clock). */
  stepTimes: StepTiming[];
  /** Approvals read for the step times (completed ones may be more than could be read). */
  sampled: number;
  needsAttention: ReportProblem[];
  failed: ReportProblem[];
  stuck: ReportProblem[];
  /** Kingdee read errors the watches met this week, per watch. */
  watchErrors: Array<{ name: string; errors: number; lastError?: string }>;
  /** Messages the notice outboxes sent, since each outbox started. */
  dingtalk?: { messages: number; notices: number; rateLimited: number; uncertain: number; failed: number };
  /** DingTalk's metered calls this month (China time), as the bridge's processes counted them, and the projection. */
  dingtalkMonth?: {
    month: string;
    api: number;
    webhookStream: number;
    projectedApi: number;
    projectedWebhookStream: number;
  };
  /** Things the report could not compute, each with why. */
  missing: string[];
}

const listProblems = (problems: readonly ReportProblem[], tz: TimeZone) =>
  problems
    .slice(0, 10)
    .map(
      (p) =>
        `- ${p.billNo ?? p.workflowId}${p.since !== undefined ? `（自 ${formatTime(p.since, tz)}）` : ''}${p.detail ? `：${p.detail}` : ''}`,
    );

export function weeklyReportNotice(report: WeeklyReport, tz: TimeZone): Notice {
  const period = `${formatTime(report.from, tz).slice(0, 10)} 至 ${formatTime(report.to, tz).slice(0, 10)}`;
  const c = report.completed;
  const kingdeeErrors = report.watchErrors.reduce((sum, w) => sum + w.errors, 0);
  return {
    title: `【同步体检】${period}`,
    text: [
      `### 【同步体检】${period}`,
      `**审批完成**：${c.total} 张（通过 ${c.approved}，驳回 ${c.rejected}，其他 ${c.other}）`,
      '',
      `**各步骤审批用时**（中位数 / P90，统计 ${report.sampled} 张）：`,
      ...(report.stepTimes.length > 0
        ? report.stepTimes.map(
            (s) => `- ${s.step}：${formatWait(s.medianMs)} / ${formatWait(s.p90Ms)}（${s.count} 次）`,
          )
        : ['- 本周没有已完成的审批步骤']),
      '',
      `**需要处理**：${report.needsAttention.length} 张`,
      ...listProblems(report.needsAttention, tz),
      '',
      `**未完成即停止**：${report.failed.length} 张`,
      ...listProblems(report.failed, tz),
      '',
      `**长时间未推进**：${report.stuck.length} 张`,
      ...listProblems(report.stuck, tz),
      '',
      `**金蝶读取错误**（阈值监控）：${kingdeeErrors} 次`,
      ...report.watchErrors
        .filter((w) => w.errors > 0)
        .map((w) => `- ${w.name}：${w.errors} 次${w.lastError ? `，最近：${w.lastError}` : ''}`),
      ...(report.dingtalk
        ? [
            '',
            `**钉钉消息**（各发送队列启动以来）：发送 ${report.dingtalk.messages} 条（含 ${report.dingtalk.notices} 条通知），限流 ${report.dingtalk.rateLimited} 次，结果不明 ${report.dingtalk.uncertain}，失败 ${report.dingtalk.failed}`,
          ]
        : []),
      ...(report.dingtalkMonth
        ? [
            '',
            `**钉钉调用（${report.dingtalkMonth.month}）**：计费接口 ${report.dingtalkMonth.api} 次（按目前速度全月约 ${report.dingtalkMonth.projectedApi}），Webhook/Stream 消息 ${report.dingtalkMonth.webhookStream} 条（全月约 ${report.dingtalkMonth.projectedWebhookStream}）`,
          ]
        : []),
      ...(report.missing.length > 0 ? ['', '**未能统计**：', ...report.missing.map((m) => `- ${m}`)] : []),
    ].join('\n'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Web UI summary lines

export const watchSummaryLine = (name: string): string => `阈值监控 · ${name}`;
export const deadlineSummaryLine = (name: string, due?: string): string =>
  `截止提醒 · ${name}${due ? ` · 截止 ${due}` : ''}`;
export const approverDigestSummaryLine = (): string => '每日待办汇总';
export const weeklyReportSummaryLine = (): string => '每周同步体检';
