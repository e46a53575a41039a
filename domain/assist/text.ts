/**
 * Text plumbing shared by the assistant's readers: one normalised form of a chat message (full-width → half-width,
 * so `１２８０` reads as `1280` and `项目Ａ` as `项目A`), spans over it, and the separators that split a message into
 * clauses.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */

/** A stretch of the normalised message: `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** Chinese punctuation that is full-width by nature: kept as written (the readers know both forms). */
const KEPT_PUNCTUATION = '，：；（）！？';

/**
 * Full-width ASCII (U+FF01–FF5E: `１２８０`, `Ａ`, `．`, `／`, `＋`) and the ideographic space to their ASCII forms,
 * `￥` to `¥`, CRLF and tabs to `\n` and spaces. Chinese punctuation (`，` `：` `；` `（）` `！` `？` `。` `、`) is kept
 * as written.
 */
export function normalizeMessage(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const code = ch.codePointAt(0) ?? 0;
    if (code === 0x3000 || ch === '\t' || code === 0xa0) out += ' ';
    else if (code >= 0xff01 && code <= 0xff5e && !KEPT_PUNCTUATION.includes(ch))
      out += String.fromCharCode(code - 0xfee0);
    else if (ch === '￥') out += '¥';
    else out += ch;
  }
  return out;
}

/** ASCII letters lower-cased, nothing else touched (keeps every index where it was). */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export const isCjk = (ch: string | undefined): boolean => ch !== undefined && /[\u3400-\u9fff]/.test(ch);

/** Punctuation that ends a clause. */
export const STRONG_SEPARATOR = /[，,；;。、\n!！?？+|]/;
/** Words that join two expenses: 机票1280和酒店900, 打车50，还有快递20. */
export const CONNECTOR_WORDS = ['还有', '另外', '以及', '加上', '外加', '然后', '和', '跟', '及'];

export const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;
export const inside = (inner: Span, outer: Span): boolean => inner.start >= outer.start && inner.end <= outer.end;

/** Does any span of the list overlap `span`? */
export function overlapsAny(span: Span, spans: readonly Span[]): boolean {
  return spans.some((other) => overlaps(span, other));
}

/** A regular expression source that matches `term` with optional whitespace between its characters. */
export function loosePattern(term: string): string {
  return [...term]
    .filter((ch) => ch.trim() !== '')
    .map((ch) => ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('\\s*');
}
