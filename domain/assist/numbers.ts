/**
 * Numbers and amounts as people type them in chat: `1280`, `1,280.00`, `86.5`, `¥86.5`, `1.2万`, `3k`, `1万2`,
 * `一千二百八十`, `两千五` (2500), `一万二` (12000), `三百八` (380), `八十六块五` (86.5), `五毛`, `壹佰贰拾元整`,
 * `680*2`.
 *
 * A number is an amount when money is said (¥, 元, 块, RMB …) or, without a unit, when it is not a count (`两晚`,
 * `3人`, `2张`), a time (`3点`), an ordinal (`第二`), a code (`CA1234`, `G7`) or a list marker (`1.` at the start
 * of a line). `三百多`, `大概500`, `500左右` are amounts that must be asked about (approximate); `每晚450` is a rate,
 * `一共2180` a total and `含机建50` a part, which the message parser weighs against the other amounts.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import { type Span } from './text';

const CN_DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  壹: 1,
  二: 2,
  贰: 2,
  两: 2,
  三: 3,
  叁: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
};
const CN_SMALL_UNITS: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };
const CN_BIG_UNITS: Record<string, number> = {
  万: 10_000,
  萬: 10_000,
  亿: 100_000_000,
  k: 1000,
  K: 1000,
  w: 10_000,
  W: 10_000,
};

const CN_DIGIT_CHARS = Object.keys(CN_DIGITS).join('');
const CN_UNIT_CHARS = '十拾百佰千仟万萬亿';

/** Rounds to cents, so 0.1 + 0.2 style binary noise never reaches a card. */
export const roundCents = (value: number): number => Math.round(Number((value * 100).toPrecision(15))) / 100;

type Token =
  | { kind: 'number'; value: number; single: boolean }
  | { kind: 'small'; value: number }
  | { kind: 'big'; value: number }
  | { kind: 'fraction'; value: number };

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const arabic = /^\d+(?:\.\d+)?/.exec(rest);
    if (arabic) {
      tokens.push({ kind: 'number', value: Number(arabic[0]), single: arabic[0].length === 1 });
      i += arabic[0].length;
      continue;
    }
    const ch = text[i]!;
    if (ch === '点') {
      const digits = new RegExp(`^点([${CN_DIGIT_CHARS}\\d]+)`).exec(rest);
      if (!digits) return undefined;
      const fraction = [...digits[1]!].map((d) => (/\d/.test(d) ? d : String(CN_DIGITS[d]))).join('');
      tokens.push({ kind: 'fraction', value: Number(`0.${fraction}`) });
      i += digits[0].length;
      continue;
    }
    if (ch in CN_DIGITS) tokens.push({ kind: 'number', value: CN_DIGITS[ch]!, single: true });
    else if (ch in CN_SMALL_UNITS) tokens.push({ kind: 'small', value: CN_SMALL_UNITS[ch]! });
    else if (ch in CN_BIG_UNITS) tokens.push({ kind: 'big', value: CN_BIG_UNITS[ch]! });
    else return undefined;
    i += 1;
  }
  return tokens;
}

/**
 * The value of a numeral: Arabic, Chinese (lower case and 大写 financial), or mixed (`1.2万`, `1万2`, `3千5`, `3k`).
 * Colloquial abbreviations count as people mean them: `一千二` is 1200, `一万二` 12000, `三百八` 380, while
 * `一百零五` is 105. A bare run of Chinese digits (`一二八零`) reads digit by digit. Undefined when it is not a number.
 */
export function parseNumeral(text: string): number | undefined {
  const tokens = tokenize(text.replace(/,/g, ''));
  if (!tokens || tokens.length === 0) return undefined;
  if (tokens.every((t) => t.kind === 'number' && t.single)) {
    return Number(tokens.map((t) => String(t.value)).join(''));
  }
  let total = 0;
  let section = 0;
  let current: number | undefined;
  let lastUnit = 0;
  let zeroSeen = false;
  for (const token of tokens) {
    switch (token.kind) {
      case 'number':
        if (current !== undefined) return undefined;
        if (token.value === 0) {
          zeroSeen = true;
          continue;
        }
        current = token.value;
        break;
      case 'fraction':
        if (current === undefined && section === 0) return undefined;
        current = (current ?? 0) + token.value;
        break;
      case 'small':
        section += (current ?? 1) * token.value;
        current = undefined;
        lastUnit = token.value;
        zeroSeen = false;
        break;
      case 'big': {
        const value = section + (current ?? 0);
        if (value === 0) return undefined;
        total += value * token.value;
        section = 0;
        current = undefined;
        lastUnit = token.value;
        zeroSeen = false;
        break;
      }
    }
  }
  if (current !== undefined) {
    // 一千二, 一万二, 三百八: a lone digit right after 百/千/万 is one place below it.
    const colloquial = !zeroSeen && lastUnit >= 100 && Number.isInteger(current) && current < 10;
    section += colloquial ? current * (lastUnit / 10) : current;
  }
  return roundCents(total + section);
}

/** What kind of amount the words around a number make it. */
export type AmountRole = 'plain' | 'total' | 'rate' | 'part';

export interface AmountMention extends Span {
  /** The message text of the amount, unit included: `86.5 块`, `¥1,280`. */
  text: string;
  /** Undefined when it cannot be taken as said (approximate, foreign currency). */
  value?: number;
  role: AmountRole;
  /** Why the value is not taken as said. */
  problem?: 'approximate' | 'currency';
}

const NUMERAL_RUN = new RegExp(
  `^(?:(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|[${CN_DIGIT_CHARS}${CN_UNIT_CHARS}])` +
    `(?:\\d+(?:\\.\\d+)?|[${CN_DIGIT_CHARS}${CN_UNIT_CHARS}]|点(?=[${CN_DIGIT_CHARS}\\d])|[kKwW](?![A-Za-z]))*`,
);
const CURRENCY_PREFIX = /^(?:¥|rmb|RMB|CNY|cny|人民币)\s*/;
const FOREIGN_PREFIX = /^(?:US\$|HK\$|\$|€|£|USD|usd|HKD|EUR)\s*/;
const CURRENCY_UNIT = /^\s*(元整|块钱|元|块|圆|快(?![递速车餐捷乐点])|RMB|rmb|CNY|cny)/;
const FOREIGN_UNIT = /^\s*(美元|美金|刀|港币|港元|欧元|日元|英镑|USD|usd|HKD|EUR)/;
const JIAO = new RegExp(`^([${CN_DIGIT_CHARS}]|\\d)(毛|角)?(?![\\d${CN_DIGIT_CHARS}${CN_UNIT_CHARS}])`);
const JIAO_UNIT = /^(毛钱|毛|角)/;
const MULTIPLIED = /^\s*[*×xX]\s*(\d{1,2})(?![\d.])/;
const APPROXIMATE_AFTER = /^(多|来|余|出头)/;
const APPROXIMATE_AFTER_UNIT = /^\s*(左右|上下|多)/;
const APPROXIMATE_BEFORE = /(大概|大约|约|差不多|估计|将近|接近)\s*$/;
/** Counted things, times, distances: `两晚`, `3人`, `2张`, `3点`, `5公里`, `1号线`. */
const COUNT_UNIT =
  /^\s*(晚|夜|天|日|号|月|年|次|张|人|个|位|间|份|趟|程|公里|里|km|KM|千米|米|小时|点|分|钟|秒|%|折|倍|楼|层|线|路|站|岁|周|星期|件|盒|箱|本|支|台|瓶|桌|单|项(?!目)|家|辆|期|届|名|条|页|克|斤|kg|笔|顿|餐|套|包|袋|只|双|把|等|星|G|g|寸|核|室|门|口|座|排)/;
const ROLE_BEFORE: Array<[RegExp, AmountRole]> = [
  [/(每[\u4e00-\u9fff]{0,2}|单价|人均)\s*[:：是为]?\s*$/, 'rate'],
  [/(含|包含|包括|其中)[\u4e00-\u9fff]{0,4}\s*[:：是为]?\s*$/, 'part'],
  [/(共|一共|总共|合计|总计|共计|总额|总价|总计金额|加起来)\s*[:：是为]?\s*$/, 'total'],
];

/**
 * Every amount in the message, outside `masked` (dates, projects). Numbers that are counts, times, codes or list
 * markers are not amounts.
 */
export function findAmounts(text: string, masked: readonly Span[]): AmountMention[] {
  const found: AmountMention[] = [];
  const isMasked = (i: number): boolean => masked.some((s) => i >= s.start && i < s.end);
  let i = 0;
  while (i < text.length) {
    if (isMasked(i)) {
      i++;
      continue;
    }
    const mention = amountAt(text, i, isMasked);
    if (mention === 'skip') {
      i++;
      continue;
    }
    if (typeof mention === 'number') {
      i = mention;
      continue;
    }
    found.push(mention);
    i = mention.end;
  }
  return found;
}

/** An amount starting at `start`; a number that starts there but is no amount returns where it ends. */
function amountAt(text: string, start: number, isMasked: (i: number) => boolean): AmountMention | number | 'skip' {
  let j = start;
  let currencySaid = false;
  let foreign = false;
  const rest = text.slice(start);
  const prefix = CURRENCY_PREFIX.exec(rest) ?? FOREIGN_PREFIX.exec(rest);
  if (prefix) {
    if (FOREIGN_PREFIX.test(rest) && !CURRENCY_PREFIX.test(rest)) foreign = true;
    else currencySaid = true;
    j += prefix[0].length;
  }
  if (prefix && /[A-Za-z]/.test(prefix[0][0]!) && /[A-Za-z0-9]/.test(text[start - 1] ?? '')) return 'skip';
  const run = NUMERAL_RUN.exec(text.slice(j));
  if (!run) return 'skip';
  let runText = run[0];
  // A run never swallows a masked span (a date that follows without a space).
  for (let k = 0; k < runText.length; k++) {
    if (isMasked(j + k)) {
      runText = runText.slice(0, k);
      break;
    }
  }
  // 一次35一次42: the run 35一 is no number, its longest prefix that is one (35) is.
  while (runText !== '' && parseNumeral(runText) === undefined) runText = runText.slice(0, -1);
  if (runText === '') return 'skip';
  const runEnd = j + runText.length;
  const before = text[start - 1];
  if (!prefix) {
    // Codes (CA1234, G7, XM003), ordinals (第二), times (10:30), list markers (1. 2、).
    if (before !== undefined && /[A-Za-z0-9.:/#-]/.test(before)) return runEnd;
    if (before === '第') return runEnd;
    const lineStart =
      start === 0 || /[\n，,；;。:：]/.test(text[start - 1] ?? '') || /^\s*$/.test(lineBefore(text, start));
    if (lineStart && /^\d{1,2}$/.test(runText) && /^(?:[.、)）](?!\d)|\s*[、)）])/.test(text.slice(runEnd)))
      return runEnd + 1;
  }
  let value = parseNumeral(runText)!;
  const arabic = /^[\d,.]+$/.test(runText);
  const hasUnitChar = new RegExp(`[${CN_UNIT_CHARS}kKwW点]`).test(runText);

  let end = runEnd;
  let after = text.slice(end);
  let approximate = APPROXIMATE_BEFORE.test(text.slice(Math.max(0, start - 4), start));
  const approx = APPROXIMATE_AFTER.exec(after);
  if (approx && !/^多(?:少)/.test(after)) {
    approximate = true;
    end += approx[0].length;
    after = text.slice(end);
  }
  const jiaoOnly = JIAO_UNIT.exec(after);
  if (jiaoOnly && !currencySaid) {
    value = roundCents(value / 10);
    currencySaid = true;
    end += jiaoOnly[0].length;
    after = text.slice(end);
  } else {
    const unit = CURRENCY_UNIT.exec(after);
    const foreignUnit = unit ? undefined : FOREIGN_UNIT.exec(after);
    if (unit) {
      // 一块去, 一块吃饭: "together", not one yuan.
      if (
        runText === '一' &&
        unit[1] === '块' &&
        /^[去儿打吃住出坐过走回来玩做办喝]/.test(text.slice(end + unit[0].length))
      ) {
        return runEnd;
      }
      currencySaid = true;
      end += unit[0].length;
      after = text.slice(end);
      if (/[元块快圆]/.test(unit[1]!)) {
        const jiao = JIAO.exec(after);
        if (jiao && !COUNT_UNIT.test(after.slice(jiao[1]!.length))) {
          const digit = /\d/.test(jiao[1]!) ? Number(jiao[1]) : CN_DIGITS[jiao[1]!]!;
          value = roundCents(value + digit / 10);
          end += jiao[0].length;
          after = text.slice(end);
        }
      }
    } else if (foreignUnit) {
      foreign = true;
      end += foreignUnit[0].length;
      after = text.slice(end);
    } else if (!currencySaid && !foreign) {
      if (COUNT_UNIT.test(after)) return runEnd;
      if (/^[A-Za-z]/.test(after)) return runEnd;
      // Without a unit: an Arabic number of at most 7 digits, or a Chinese numeral with a place unit (十五, 两千五).
      if (arabic && runText.replace(/,/g, '').replace(/\..*$/, '').length > 7) return runEnd;
      if (!arabic && (!hasUnitChar || runText.length < 2)) return runEnd;
    }
  }
  const approxAfter = APPROXIMATE_AFTER_UNIT.exec(after);
  if (approxAfter) {
    approximate = true;
    end += approxAfter[0].length;
    after = text.slice(end);
  }
  const multiplied = MULTIPLIED.exec(after);
  if (multiplied) {
    value = roundCents(value * Number(multiplied[1]));
    end += multiplied[0].length;
  }
  if (value <= 0 && !approximate) return end;
  const head = text.slice(Math.max(0, start - 8), start);
  const role = ROLE_BEFORE.find(([pattern]) => pattern.test(head))?.[1] ?? 'plain';
  const mention: AmountMention = { start, end, text: text.slice(start, end).trim(), role };
  if (foreign) mention.problem = 'currency';
  else if (approximate) mention.problem = 'approximate';
  else mention.value = value;
  return mention;
}

function lineBefore(text: string, index: number): string {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  return text.slice(lineStart, index);
}

/** A small Chinese or Arabic number for dates and counts (`二十`, `3`); undefined above 9999 or when not one. */
export function parseSmallNumber(text: string): number | undefined {
  const value = parseNumeral(text);
  return value !== undefined && Number.isInteger(value) && value < 10_000 ? value : undefined;
}
