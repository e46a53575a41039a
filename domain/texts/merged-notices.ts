/**
 * Notices as the outbox sends them: the one-line summary of a notice (how it reads inside a merged message), the
 * merged message itself ("以下 12 条「请出纳安排报销付款」通知合并为一条：…", every bill with applicant and amount),
 * the interactive-card parameters of a notice sent to a group as a card, and the ops alert for a notice the outbox
 * could not deliver or cannot tell whether it delivered.
 *
 * Pure and deterministic (the outbox workflow merges inside Temporal's sandbox). Notices keep the shape of
 * notices.ts — `{ title, text }` with markdown text.
 */
import type { Notice } from './notices';
import { clipToBytes } from './format';

/** The card template notices to a group are sent with (create it in the DingTalk card platform, like the approval card). */
export const noticeCardTemplateId = 'kdb-notice-card';

/** What a summary line may take, so a merged message keeps room for many. */
const summaryMaxBytes = 240;

/** Facts the notices of notices.ts list as `- 单据：…` lines; a summary adds those the title does not already say. */
const factLabels = ['单据', '申请人', '金额'] as const;

function fact(text: string, label: string): string | undefined {
  const match = new RegExp(`^- ${label}：(.+)$`, 'm').exec(text);
  return match?.[1]?.trim() || undefined;
}

/** The `[查看单据](…)` link a notice ends with, if any. */
function linkOf(text: string): string | undefined {
  return /\[查看单据\]\(([^)\s]+)\)/.exec(text)?.[1];
}

/**
 * One line for a notice inside a merged message: its title, then the document, applicant and amount it names that
 * the title does not already say — `请出纳安排报销付款：FYBX000123（张三，¥12,800.00）`.
 */
export function noticeSummary(notice: Notice): string {
  const title = notice.title.trim();
  const extras: string[] = [];
  for (const label of factLabels) {
    let value = fact(notice.text, label);
    if (!value) continue;
    if (label === '单据') value = value.replace(/（[^）]*）$/, '').trim(); // "（已审批通过）": the title says it
    const key = label === '单据' ? (value.split(/\s+/).pop() ?? value) : value;
    if (!title.includes(key)) extras.push(value);
  }
  return clipToBytes(extras.length > 0 ? `${title}（${extras.join('，')}）` : title, summaryMaxBytes);
}

/** The part of a title before its first `：` when every title shares it (`请出纳安排报销付款`), else undefined. */
function commonHead(titles: readonly string[]): string | undefined {
  const heads = titles.map((t) => (t.includes('：') ? t.slice(0, t.indexOf('：')).trim() : undefined));
  const first = heads[0];
  return first && heads.every((h) => h === first) ? first : undefined;
}

/**
 * Several notices as one message, each on its own numbered line with its link: what the outbox sends when more
 * notices wait than DingTalk lets it send separately in the next minute. Titled so a person sees at once how many.
 */
export function mergedNotice(items: ReadonlyArray<{ title: string; text: string; summary: string }>): Notice {
  if (items.length === 1) return { title: items[0]!.title, text: items[0]!.text };
  const head = commonHead(items.map((i) => i.title));
  const lines = items.map((item, index) => {
    const line = head && item.summary.startsWith(`${head}：`) ? item.summary.slice(head.length + 1) : item.summary;
    const link = linkOf(item.text);
    return `${index + 1}. ${line}${link ? ` [查看单据](${link})` : ''}`;
  });
  const title = head ? `${head}（共 ${items.length} 条）` : `${items.length} 条通知（合并发送）`;
  return {
    title: [...title].slice(0, 64).join(''),
    text: [
      head ? `### 以下 ${items.length} 条「${head}」通知合并为一条：` : `### 以下 ${items.length} 条通知合并为一条：`,
      '',
      ...lines,
      '',
      '（通知较多，钉钉限制发送频率，已合并发送）',
    ].join('\n'),
  };
}

/** The parameters of the notice card (template `kdb-notice-card`): title and markdown body, as strings. */
export function noticeCardParams(notice: Notice): Record<string, string> {
  return { kind: 'notice', title: notice.title, markdown: notice.text };
}

/**
 * To ops, once, for a notice the outbox gave up on: `uncertain` — DingTalk may have posted it (the send timed out
 * after the request went out), so it is not sent again; `failed` — DingTalk refused it for good.
 */
export function noticeProblemAlert(input: {
  problem: 'uncertain' | 'failed';
  /** Where it was going, e.g. 群机器人 cashier. */
  channel: string;
  title: string;
  reason: string;
  /** How many notices the message carried. */
  count: number;
  /** The message's text: for a merged message, its numbered lines name every notice (bill) ops must check. */
  text?: string;
}): Notice {
  const what = input.count > 1 ? `合并消息（${input.count} 条通知）` : '消息';
  const lead =
    input.problem === 'uncertain'
      ? `### 【需要核对】${input.channel}的${what}可能已发出`
      : `### 【发送失败】${input.channel}的${what}未能发出`;
  const advice =
    input.problem === 'uncertain'
      ? '钉钉没有及时答复，无法确认是否已送达；为免重复，系统不会自动重发。请到群里核对，未收到时手动补发。'
      : '钉钉拒绝了这条消息，系统不会再试。请检查机器人配置（令牌、加签、关键词）后手动补发。';
  return {
    title: [...`${input.problem === 'uncertain' ? '【需要核对】' : '【发送失败】'}${input.title}`]
      .slice(0, 64)
      .join(''),
    text: [
      lead,
      `- 消息：${input.title}`,
      ...(input.count > 1 ? mergedLines(input.text).map((line) => `  ${line}`) : []),
      `- 原因：${input.reason}`,
      `- 处理：${advice}`,
    ].join('\n'),
  };
}

/** The numbered lines of a merged message (mergedNotice): one per notice, with its bill, applicant and amount. */
function mergedLines(text: string | undefined): string[] {
  return (text ?? '').split('\n').filter((line) => /^\d+\. /.test(line));
}

/** How ops read a notice channel: 群机器人 cashier, 群 cidCashier（卡片）, 工作通知. */
export function noticeChannelLabel(
  channel: { kind: 'robot'; robot: string } | { kind: 'groupCard'; groupId: string } | { kind: 'workNotice' },
): string {
  switch (channel.kind) {
    case 'robot':
      return `群机器人 ${channel.robot} `;
    case 'groupCard':
      return `群 ${channel.groupId}（卡片）`;
    case 'workNotice':
      return '工作通知';
  }
}
