/**
 * How values read in every text of the bridge: money (`¥12,800.00`), times in the calendar's offset, waiting
 * times (`4 小时 30 分钟`), lists of names, how a sentence names a document, and the `{单号}` templates admins write
 * in the rules file (follow-ups, notification rules, final-action texts).
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): times are passed in (epoch ms or ISO text, as
 * workflow state keeps them) and shown in the calendar's fixed UTC offset.
 */
import type { Calendar } from '../business-hours';
import { documentStatusLabels, type DocumentSummary } from '../document';

/** The time zone messages are shown in: the calendar's fixed offset. */
export type TimeZone = Pick<Calendar, 'offsetMinutes'>;

/** Instants may be epoch ms or ISO text (workflow state keeps ISO). */
export type Instant = number | string;

/** `12800` → `12,800.00` (thousands separators, 2 decimals, half away from zero). */
export function formatAmount(amount: number): string {
  if (!Number.isFinite(amount)) return String(amount);
  // toPrecision(15) first: 1.005 * 100 is 100.49999999999999 in binary and must still round to 1.01.
  const cents = Math.round(Number((Math.abs(amount) * 100).toPrecision(15)));
  const whole = Math.floor(cents / 100).toString();
  const fraction = (cents % 100).toString().padStart(2, '0');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${amount < 0 && cents > 0 ? '-' : ''}${grouped}.${fraction}`;
}

/** `¥12,800.00` for CNY; other currencies by code: `USD 1,200.00`. */
export function formatMoney(amount: number, currency: string): string {
  const formatted = formatAmount(amount);
  if (currency.toUpperCase() !== 'CNY') return `${currency.toUpperCase()} ${formatted}`;
  return formatted.startsWith('-') ? `-¥${formatted.slice(1)}` : `¥${formatted}`;
}

/** `2026-11-24 10:32` in the calendar's offset; `at` is epoch ms or ISO text. */
export function formatTime(at: Instant, tz: TimeZone): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return String(at);
  const local = new Date(ms + tz.offsetMinutes * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** How long someone has waited: `45 分钟`, `4 小时`, `15 小时 30 分钟`. */
export function formatElapsed(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return '不到 1 分钟';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} 分钟`;
  return rest === 0 ? `${hours} 小时` : `${hours} 小时 ${rest} 分钟`;
}

/** `王五、赵六`, or `（无）` for nobody. */
export const names = (list: readonly string[]): string => (list.length > 0 ? list.join('、') : '（无）');

/** `费用报销单 FYBX000123（张三，¥12,800.00）` — how sentences name a document. */
export function describe(document: DocumentSummary): string {
  return `${document.formName} ${document.billNo}（${document.applicant.name}，${formatMoney(document.amount, document.currency)}）`;
}

/** The `[查看单据](…)` line that ends a notice, when the document has a link. */
export const linkLine = (document: DocumentSummary): string =>
  document.link ? `\n\n[查看单据](${document.link})` : '';

// ---------------------------------------------------------------------------------------------------------------
// Templates in the rules file (follow-ups, notification rules, final-action texts)

/** Placeholder names, each with the Chinese aliases admins may write instead: {billNo} = {单号}. */
export const templatePlaceholders = {
  billNo: ['单号', '单据编号'],
  formName: ['单据类型', '单据名称'],
  applicant: ['申请人'],
  amount: ['金额'],
  currency: ['币别'],
  purpose: ['事由'],
  org: ['组织'],
  department: ['部门'],
  status: ['状态'],
  link: ['链接'],
  approvers: ['审批人'],
  result: ['结果'],
  comment: ['意见'],
  field: ['字段'],
  value: ['数值'],
} as const satisfies Record<string, readonly string[]>;

export type TemplatePlaceholder = keyof typeof templatePlaceholders;
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

const placeholderByName = new Map<string, TemplatePlaceholder>();
for (const [name, aliases] of Object.entries(templatePlaceholders) as Array<[TemplatePlaceholder, readonly string[]]>) {
  placeholderByName.set(name, name);
  for (const alias of aliases) placeholderByName.set(alias, name);
}

/** Every name a template may use, canonical and Chinese. */
export const templatePlaceholderNames: readonly string[] = [...placeholderByName.keys()];

const placeholderPattern = /\{([^{}\s]+)\}/g;

/** Names in `{…}` that are not placeholders (the rules loader reports them). */
export function unknownTemplatePlaceholders(template: string): string[] {
  return [...template.matchAll(placeholderPattern)]
    .map((match) => match[1] ?? '')
    .filter((name) => !placeholderByName.has(name));
}

/** Fills `{单号}` / `{billNo}` etc.; a placeholder without a value becomes —. Unknown `{…}` stay as written. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(placeholderPattern, (whole, name: string) => {
    const key = placeholderByName.get(name);
    if (!key) return whole;
    const value = values[key];
    return value === undefined || value === '' ? '—' : value;
  });
}

/** The values a document provides to templates; `extra` adds outcome details and notification-rule fields. */
export function templateValuesFor(
  document: DocumentSummary,
  extra: { approvers?: readonly string[]; result?: string; comment?: string; field?: string; value?: string } = {},
): TemplateValues {
  return {
    billNo: document.billNo,
    formName: document.formName,
    applicant: document.applicant.name,
    amount: formatMoney(document.amount, document.currency),
    currency: document.currency,
    purpose: document.purpose,
    org: document.orgName,
    department: document.deptName,
    status: documentStatusLabels[document.status],
    link: document.link,
    approvers: extra.approvers && extra.approvers.length > 0 ? extra.approvers.join('、') : undefined,
    result: extra.result,
    comment: extra.comment,
    field: extra.field,
    value: extra.value,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Byte limits

/** The length of `text` in UTF-8 bytes (DingTalk limits card parameters in bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (whole characters), ending in … when cut. */
export function clipToBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - utf8Length('…'));
  let bytes = 0;
  let out = '';
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > budget) break;
    bytes += size;
    out += char;
  }
  return `${out}…`;
}

// ---------------------------------------------------------------------------------------------------------------
// DingTalk markdown (work notifications, robot messages, the notice card)

/**
 * What DingTalk's markdown subset needs to show lines as they are meant: a single `\n` between two lines of text
 * renders them as one line, so text lines end with two spaces (a hard break); a list after a paragraph needs a
 * blank line before it; list items, headings and quotes stay one per line; blank lines stay. `\r\n` becomes `\n`.
 */
export function dingtalkMarkdown(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/[ \t]+$/, '');
    out += line;
    const next = lines[i + 1];
    if (next === undefined) break;
    out += lineBreak(line, next, lines, i);
  }
  return out;
}

const blank = (line: string) => line.trim() === '';
const isHeading = (line: string) => /^\s{0,3}#{1,6}\s/.test(line);
const isListItem = (line: string) => /^\s*(?:[-*+]|\d+[.)])\s/.test(line);
const isQuote = (line: string) => /^\s{0,3}>/.test(line);

function lineBreak(line: string, next: string, lines: readonly string[], index: number): string {
  if (blank(line) || blank(next)) return '\n';
  if (isHeading(line) || isHeading(next)) return isHeading(line) ? '\n' : '\n\n';
  if (isListItem(next)) return inList(lines, index) ? '\n' : '\n\n';
  if (isQuote(next)) return isQuote(line) ? '  \n' : '\n\n';
  return '  \n'; // text after text (or a list item's further line): a hard break
}

/** Whether line `index` belongs to a list item (it is one, or continues one without a blank line between). */
function inList(lines: readonly string[], index: number): boolean {
  for (let i = index; i >= 0; i--) {
    const line = lines[i]!;
    if (blank(line) || isHeading(line)) return false;
    if (isListItem(line)) return true;
  }
  return false;
}

/** Characters that belong to the character before them: a cut never falls right before one (nor after a ZWJ) —
 * combining accents, the zero-width joiner, variation selectors, emoji skin tones and tag characters. */
const joinedRanges: ReadonlyArray<[number, number]> = [
  [0x0300, 0x036f],
  [0x200d, 0x200d],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0x1f3fb, 0x1f3ff],
  [0xe0020, 0xe007f],
];
const joinsPrevious = {
  test(char: string): boolean {
    const code = char.codePointAt(0);
    return code !== undefined && joinedRanges.some(([from, to]) => code >= from && code <= to);
  },
};

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, ending in … when cut — at a character boundary: never inside a
 * surrogate pair, nor between a character and an accent, variation selector, skin tone or zero-width joiner.
 */
export function clipAtCharacter(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const chars = [...text];
  const budget = Math.max(0, maxBytes - utf8Length('…'));
  let bytes = 0;
  let keep = 0;
  while (keep < chars.length && bytes + utf8Length(chars[keep]!) <= budget) bytes += utf8Length(chars[keep++]!);
  // Back off while the cut would separate joined characters (or leave a trailing joiner).
  while (keep > 0 && (joinsPrevious.test(chars[keep] ?? '') || chars[keep - 1] === '\u200d')) keep--;
  // A flag is two regional indicators: keep both or neither.
  const regional = (c: string | undefined) => {
    const code = c?.codePointAt(0);
    return code !== undefined && code >= 0x1f1e6 && code <= 0x1f1ff;
  };
  if (keep > 0 && regional(chars[keep - 1]) && regional(chars[keep])) {
    let run = 0;
    for (let i = keep - 1; i >= 0 && regional(chars[i]); i--) run++;
    if (run % 2 === 1) keep--;
  }
  return `${chars.slice(0, keep).join('')}…`;
}

/** A work notification's `msg` is at most 2048 bytes (reference §3.1); this leaves room for its JSON around. */
export const NOTICE_MAX_BYTES = 1900;
/** A title is shown in the notification list; DingTalk shows at most 64 characters. */
export const NOTICE_TITLE_MAX_CHARS = 64;

/**
 * A notice as DingTalk should get it: markdown line breaks that render (dingtalkMarkdown), the title within 64
 * characters, and title plus text within the message limit — a long text is cut at a character boundary (…) and
 * keeps its closing `[查看单据](…)` link.
 */
export function fitNotice(notice: { title: string; text: string }): { title: string; text: string } {
  const titleChars = [...notice.title.replace(/\s*\n\s*/g, ' ')];
  const title =
    titleChars.length <= NOTICE_TITLE_MAX_CHARS
      ? titleChars.join('')
      : clipAtCharacter(titleChars.join(''), utf8Length(titleChars.slice(0, NOTICE_TITLE_MAX_CHARS - 1).join('')) + 3);
  const text = dingtalkMarkdown(notice.text);
  const budget = NOTICE_MAX_BYTES - utf8Length(title);
  if (utf8Length(text) <= budget) return { title, text };
  const link = /\n\n\[查看单据\]\([^)\s]+\)$/.exec(text)?.[0] ?? '';
  const body = text.slice(0, text.length - link.length);
  return { title, text: clipAtCharacter(body, Math.max(0, budget - utf8Length(link))) + link };
}
