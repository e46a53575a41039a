/**
 * A chat message to the bot → proposed Kingdee expense reimbursement lines (费用报销单 entries): date, amount,
 * expense item, project and purpose for each expense the message holds, plus a question for every field that is
 * missing or ambiguous. Ambiguities are asked, never guessed.
 *
 * How a message is read:
 * 1. Find what it mentions: projects (by name, synonym or number; 无项目), dates, amounts, expense items, then
 *    project references that are not exact (`华东项目`, `项目C`).
 * 2. Weigh the amounts: a total that is the sum of the others (`机票1280，酒店900，一共2180`) and a part (`含机建50`)
 *    are not expenses; a rate (`每晚450`, `人均150`) is not when its clause or the message also says the total.
 * 3. One expense per remaining amount (one expense when there is at most one). With several, the message is cut
 *    between amounts at clause boundaries, following the message's order (`机票1280，酒店900` or
 *    `1280的机票，900的酒店`); what stands before the first expense or after the last (`昨天去上海出差，…，项目A`)
 *    is shared by all.
 * 4. Each expense takes the dates, items and projects of its own part, else of the shared parts, else the one the
 *    whole message mentions; two different ones, or one that is unclear, become a question.
 * 5. The purpose is what is left of the expense's text (and the shared text) once dates, amounts and projects are
 *    taken out and filler words (报销, 帮我, 一共, 谢谢 …) trimmed.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox): no I/O, no clock; base data and the day are
 * passed in.
 *
 * Longer than the ~500-line guide: one reading of a message, clause by clause; numbers, dates and matching are
 * already apart (numbers.ts, dates.ts, match.ts).
 */
import { findDates, dayOfIso, type DateMention } from './dates';
import { findTerms, itemTerms, projectTerms, type BaseDataEntry, type TermIndex, type TermMention } from './match';
import { findAmounts, type AmountMention } from './numbers';
import { dateLabel, questionText, summaryText } from './texts';
import {
  CONNECTOR_WORDS,
  STRONG_SEPARATOR,
  foldCase,
  inside,
  isCjk,
  normalizeMessage,
  overlapsAny,
  type Span,
} from './text';
import type {
  AssistBaseData,
  AssistOption,
  AssistQuestion,
  BaseDataRef,
  ExpenseProposal,
  ParseExpenseOptions,
  ProposedExpense,
  QuestionReason,
} from './types';

/** The caller passed something unusable (not a message problem: those become questions). */
export class AssistInputError extends Error {
  override name = 'AssistInputError';
}

interface ProjectMention extends Span {
  text: string;
  numbers: string[];
  kind: 'exact' | 'partial' | 'unknown' | 'none';
}

interface Indexes {
  items: TermIndex;
  projects: TermIndex;
  itemsByNumber: Map<string, BaseDataEntry>;
  projectsByNumber: Map<string, BaseDataEntry>;
}

const indexCache = new WeakMap<AssistBaseData, Indexes>();

function indexesOf(baseData: AssistBaseData): Indexes {
  let indexes = indexCache.get(baseData);
  if (!indexes) {
    indexes = {
      items: itemTerms(baseData.expenseItems),
      projects: projectTerms(baseData.projects),
      itemsByNumber: new Map(baseData.expenseItems.map((e) => [e.number, e])),
      projectsByNumber: new Map(baseData.projects.map((e) => [e.number, e])),
    };
    indexCache.set(baseData, indexes);
  }
  return indexes;
}

const CHINA_ZONES = [
  'Asia/Shanghai',
  'Asia/Chongqing',
  'Asia/Harbin',
  'Asia/Urumqi',
  'Asia/Hong_Kong',
  'Asia/Macau',
  'Asia/Taipei',
  'PRC',
];

/** The UTC offset in minutes of a fixed-offset time zone. */
export function offsetMinutesOf(timeZone: string): number {
  if (CHINA_ZONES.includes(timeZone)) return 480;
  if (/^(UTC|GMT|Z)$/i.test(timeZone)) return 0;
  const match = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(timeZone);
  if (!match) throw new AssistInputError(`timeZone must be a UTC offset such as +08:00, got ${timeZone}`);
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

/** `YYYY-MM-DD` of the message's day. */
export function resolveToday(today: string, timeZone = '+08:00'): string {
  const offset = offsetMinutesOf(timeZone);
  if (/^\d{4}-\d{2}-\d{2}$/.test(today)) {
    if (dayOfIso(today) === undefined) throw new AssistInputError(`today is not a date: ${today}`);
    return today;
  }
  // An instant: only with an explicit offset, so the host's time zone never decides the day.
  if (!/T.*(Z|[+-]\d{2}:?\d{2})$/i.test(today)) {
    throw new AssistInputError(`today must be YYYY-MM-DD or an ISO instant with an offset, got ${today}`);
  }
  const ms = Date.parse(today);
  if (!Number.isFinite(ms)) throw new AssistInputError(`today is not a date: ${today}`);
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

const NONE_PATTERN =
  /无项目|没有项目|不挂项目|不属于任何项目|不属于项目|非项目|不走项目|不需要项目|不用挂项目|项目\s*[:：]?\s*无(?![\u4e00-\u9fff])/g;

/** `华东项目` (part of a name: which one?), `项目C`, `C项目` (no such project). */
function findProjectReferences(
  text: string,
  projects: readonly BaseDataEntry[],
  taken: readonly Span[],
): ProjectMention[] {
  const found: ProjectMention[] = [];
  const compactNames = projects.map((p) => ({
    number: p.number,
    names: [p.name, ...(p.synonyms ?? [])].map((n) => foldCase(n).replace(/\s+/g, '')),
  }));
  for (let p = text.indexOf('项目'); p !== -1; p = text.indexOf('项目', p + 2)) {
    const word = { start: p, end: p + 2 };
    if (overlapsAny(word, taken) || overlapsAny(word, found)) continue;
    let keyStart = p;
    while (
      keyStart > 0 &&
      p - keyStart < 6 &&
      (isCjk(text[keyStart - 1]) || /[A-Za-z0-9]/.test(text[keyStart - 1]!)) &&
      !overlapsAny({ start: keyStart - 1, end: keyStart }, taken)
    ) {
      keyStart--;
    }
    let key = text.slice(keyStart, p);
    if (key.endsWith('的')) key = key.slice(0, -1);
    let matched = false;
    for (let length = key.length; length >= 1 && !matched; length--) {
      const suffix = foldCase(key.slice(key.length - length));
      if (length < 2 && !/^[a-z0-9]$/.test(suffix)) break;
      const numbers = compactNames.filter((p) => p.names.some((n) => n.includes(suffix))).map((p) => p.number);
      if (numbers.length > 0 && !/^[a-z0-9]$/.test(suffix)) {
        const start = p - length - (text.slice(keyStart, p).endsWith('的') ? 1 : 0);
        found.push({ start, end: p + 2, text: text.slice(start, p + 2), numbers, kind: 'partial' });
        matched = true;
      }
    }
    if (matched) continue;
    const after = /^\s*([A-Za-z0-9]{1,4}|[甲乙丙丁])(?![A-Za-z0-9])/.exec(text.slice(p + 2));
    const latinBefore = /([A-Za-z0-9]{1,4})$/.exec(text.slice(keyStart, p));
    if (after) {
      const end = p + 2 + after[0].length;
      found.push({ start: p, end, text: text.slice(p, end), numbers: [], kind: 'unknown' });
    } else if (latinBefore) {
      const start = p - latinBefore[1]!.length;
      found.push({ start, end: p + 2, text: text.slice(start, p + 2), numbers: [], kind: 'unknown' });
    }
  }
  return found;
}

interface Separator extends Span {
  strong: boolean;
}

/** Clause boundaries in `[from, to)` outside every mention. */
function separatorsIn(text: string, from: number, to: number, mentions: readonly Span[]): Separator[] {
  const found: Separator[] = [];
  for (let i = from; i < to; i++) {
    const ch = text[i]!;
    const span = { start: i, end: i + 1 };
    if (overlapsAny(span, mentions)) continue;
    if (STRONG_SEPARATOR.test(ch)) {
      found.push({ ...span, strong: true });
      continue;
    }
    const connector = CONNECTOR_WORDS.find((w) => text.startsWith(w, i) && i + w.length <= to);
    if (connector) {
      const wordSpan = { start: i, end: i + connector.length };
      if (!overlapsAny(wordSpan, mentions)) {
        found.push({ ...wordSpan, strong: true });
        i += connector.length - 1;
        continue;
      }
    }
    if (/\s/.test(ch)) found.push({ ...span, strong: false });
  }
  return found;
}

const firstSeparator = (seps: readonly Separator[]): Separator | undefined => seps.find((s) => s.strong) ?? seps[0];
const lastSeparator = (seps: readonly Separator[]): Separator | undefined =>
  [...seps].reverse().find((s) => s.strong) ?? seps[seps.length - 1];

interface Segment {
  core: Span;
  amount?: AmountMention;
}

interface Layout {
  segments: Segment[];
  /** Text every expense shares: before the first, after the last. */
  shared: Span[];
}

/** Cuts the message into one part per amount (see the module comment, step 3). */
function layOut(
  text: string,
  anchors: readonly AmountMention[],
  items: readonly TermMention[],
  mentions: readonly Span[],
): Layout {
  const whole = { start: 0, end: text.length };
  if (anchors.length <= 1) return { segments: [{ core: whole, amount: anchors[0] }], shared: [] };
  const first = anchors[0]!;
  const last = anchors[anchors.length - 1]!;
  const itemsIn = (from: number, to: number): TermMention[] => items.filter((m) => m.start >= from && m.end <= to);
  const itemFirst = itemsIn(0, first.start).length > 0 || itemsIn(last.end, text.length).length === 0;
  const shared: Span[] = [];
  const starts: number[] = [];
  const ends: number[] = [];

  // Before the first amount.
  if (itemFirst) {
    const firstItem = itemsIn(0, first.start)[0];
    const sep = lastSeparator(separatorsIn(text, 0, firstItem ? firstItem.start : first.start, mentions));
    if (sep) shared.push({ start: 0, end: sep.start });
    starts.push(sep ? sep.end : 0);
  } else {
    shared.push({ start: 0, end: first.start });
    starts.push(first.start);
  }
  // Between amounts.
  for (let i = 0; i + 1 < anchors.length; i++) {
    const left = anchors[i]!;
    const right = anchors[i + 1]!;
    const seps = separatorsIn(text, left.end, right.start, mentions);
    const sep = itemFirst ? firstSeparator(seps) : lastSeparator(seps);
    if (sep) {
      ends.push(sep.start);
      starts.push(sep.end);
    } else if (itemFirst) {
      ends.push(left.end);
      starts.push(left.end);
    } else {
      ends.push(right.start);
      starts.push(right.start);
    }
  }
  // After the last amount.
  if (itemFirst) {
    const sep = firstSeparator(separatorsIn(text, last.end, text.length, mentions));
    ends.push(sep ? sep.start : text.length);
    if (sep) shared.push({ start: sep.end, end: text.length });
  } else {
    const lastItem = itemsIn(last.end, text.length).at(-1)!;
    const sep = firstSeparator(separatorsIn(text, lastItem.end, text.length, mentions));
    ends.push(sep ? sep.start : text.length);
    if (sep) shared.push({ start: sep.end, end: text.length });
  }
  return {
    segments: anchors.map((amount, i) => ({ core: { start: starts[i]!, end: ends[i]! }, amount })),
    shared: shared.filter((s) => s.end > s.start),
  };
}

/** Drops amounts that are not expenses of their own (module comment, step 2). */
function expenseAmounts(text: string, amounts: readonly AmountMention[]): AmountMention[] {
  let kept = amounts.length > 1 ? amounts.filter((a) => a.role !== 'part') : [...amounts];
  const sameClause = (a: Span, b: Span): boolean => {
    const [from, to] = a.end <= b.start ? [a.end, b.start] : [b.end, a.start];
    return !STRONG_SEPARATOR.test(text.slice(from, to));
  };
  // 每晚450共900, 人均150……总共600: the rate goes when its clause or the message says the total.
  const hasTotal = kept.some((a) => a.role === 'total');
  kept = kept.filter(
    (a) => a.role !== 'rate' || (!hasTotal && !kept.some((b) => b !== a && b.role !== 'rate' && sameClause(a, b))),
  );
  for (const total of kept.filter((a) => a.role === 'total' && a.value !== undefined)) {
    const others = kept.filter((b) => b !== total && b.role !== 'total');
    if (others.length < 2 || others.some((b) => b.value === undefined)) continue;
    const sum = others.reduce((s, b) => s + b.value!, 0);
    if (Math.abs(sum - total.value!) < 0.005) kept = kept.filter((b) => b !== total);
  }
  return kept;
}

type Outcome<T> = { value: T } | { question: Omit<AssistQuestion, 'expense' | 'text'> } | undefined;

function resolveDate(mentions: readonly DateMention[]): Outcome<string> {
  if (mentions.length === 0) return undefined;
  const unclear = mentions.find((m) => m.problem !== undefined);
  if (unclear) {
    return {
      question: {
        field: 'date',
        reason: unclear.problem!,
        mention: unclear.text,
        options: (unclear.options ?? []).map((d) => ({ value: d, label: dateLabel(d) })),
      },
    };
  }
  const dates = [...new Set(mentions.map((m) => m.date!))];
  if (dates.length === 1) return { value: dates[0]! };
  return {
    question: {
      field: 'date',
      reason: 'ambiguous',
      mention: mentions.map((m) => m.text).join('、'),
      options: dates.map((d) => ({ value: d, label: dateLabel(d) })),
    },
  };
}

function resolveItem(mentions: readonly TermMention[], names: Map<string, BaseDataEntry>): Outcome<string> {
  const option = (n: string): AssistOption => ({ value: n, label: names.get(n)?.name ?? n });
  const strong = mentions.filter((m) => m.strength === 'strong');
  const weak = mentions.filter((m) => m.strength === 'weak');
  const said = strong.length > 0 ? strong : weak;
  if (said.length === 0) {
    const typo = mentions.find((m) => m.strength === 'fuzzy');
    if (!typo) return undefined;
    return { question: { field: 'item', reason: 'typo', mention: typo.text, options: typo.numbers.map(option) } };
  }
  const unique = [...new Set(said.filter((m) => m.numbers.length === 1).map((m) => m.numbers[0]!))];
  const shared = said.filter((m) => m.numbers.length > 1);
  if (unique.length === 1 && shared.every((m) => m.numbers.includes(unique[0]!))) return { value: unique[0]! };
  let candidates: string[];
  if (unique.length > 1) candidates = unique;
  else {
    const common = shared.reduce<string[]>((acc, m) => acc.filter((n) => m.numbers.includes(n)), shared[0]!.numbers);
    if (common.length === 1) return { value: common[0]! };
    candidates = common.length > 0 ? common : [...new Set(shared.flatMap((m) => m.numbers))];
  }
  const mention = (unique.length > 1 ? said : shared).map((m) => m.text);
  return {
    question: {
      field: 'item',
      reason: 'ambiguous',
      mention: [...new Set(mention)].join('、'),
      options: candidates.map(option),
    },
  };
}

function resolveProject(
  mentions: readonly ProjectMention[],
  names: Map<string, BaseDataEntry>,
): Outcome<string | null> {
  if (mentions.length === 0) return undefined;
  const option = (n: string): AssistOption => ({ value: n, label: names.get(n)?.name ?? n });
  const named = mentions.filter((m) => m.kind === 'exact' || m.kind === 'partial');
  const values = [...new Set(named.filter((m) => m.numbers.length === 1).map((m) => m.numbers[0]!))];
  const unclear = named.filter((m) => m.numbers.length > 1);
  const none = mentions.some((m) => m.kind === 'none');
  if (values.length === 1 && unclear.every((m) => m.numbers.includes(values[0]!)) && !none)
    return { value: values[0]! };
  if (values.length > 1 || (values.length === 1 && none)) {
    return {
      question: {
        field: 'project',
        reason: 'ambiguous',
        mention: mentions.map((m) => m.text).join('、'),
        options: values.map(option),
      },
    };
  }
  if (unclear.length > 0) {
    return {
      question: {
        field: 'project',
        reason: 'ambiguous',
        mention: unclear[0]!.text,
        options: unclear[0]!.numbers.map(option),
      },
    };
  }
  if (none) return { value: null };
  const unknown = mentions.find((m) => m.kind === 'unknown')!;
  return { question: { field: 'project', reason: 'unknown', mention: unknown.text } };
}

/**
 * Own part first, then the shared parts, then the whole message when all of it agrees (one date for three
 * expenses); a message that mentions several and this expense none of them is asked.
 */
function decide<T extends Span, V>(
  all: readonly T[],
  core: Span,
  shared: readonly Span[],
  resolve: (mentions: readonly T[]) => Outcome<V>,
  field: AssistQuestion['field'],
): Outcome<V> {
  const own = all.filter((m) => inside(m, core));
  if (own.length > 0) return resolve(own);
  const fromShared = all.filter((m) => shared.some((s) => inside(m, s)));
  if (fromShared.length > 0) return resolve(fromShared);
  if (all.length === 0) return undefined;
  const whole = resolve(all);
  if (whole && 'value' in whole) return whole;
  if (whole && 'question' in whole && whole.question.reason !== 'ambiguous') return whole;
  const options = whole && 'question' in whole ? whole.question.options : undefined;
  return { question: { field, reason: 'ambiguous', ...(options ? { options } : {}) } };
}

const FILLER_LEADING =
  /^(?:请帮忙报销|帮我提交报销单|帮我报一下|帮我报销|帮忙报销|麻烦报一下|报销一下|申请报销|我要报销|我想报销|请报销|报销单|报销|报一下|报个|报下|帮我|帮忙|麻烦|申请|提交|我要|我想|我(?!们)|老板|您好|你好|还有|另外|以及|然后|加上|外加|都是|都在|都|一共|总共|合计|共计|总计|共|花了|花费|付了|用了|金额|是|为|在|于|的|大概|大约|约|-|\d{1,2}[.、)）](?!\d))\s*/;
const FILLER_TRAILING =
  /\s*(?:麻烦报一下|帮忙报销|报销一下|报一下|报销|一下|帮我|帮忙|每[晚天人次张]|人均|单价|花了|花费|付了|用了|一共|总共|合计|共计|总计|共|金额|左右|大概|大约|约|块钱|块|钱|元|的|了|是|为|吧|哈|啊|呀|哦|谢谢|-)$/;
const FILLER_WHOLE =
  /^(?:谢谢啦?|谢啦|多谢|辛苦了?|麻烦了?|拜托了?|thx|thanks|ok|请|项目(?:是|为)?|到|至|或|或者|还|还是|人均|每人|单价|每晚|每天|[一二两三四五六七八九十\d]+[笔次]|\d{1,2}[.、)）]|[\u4e00-\u9fff]{1,2}(?:经理|总|老师|主管)|~+|…+|\.+)$/i;
const PURPOSE_BREAK = /[，,；;。、\n!！?？+|:：()（）[\]【】~～"“”'‘’<>《》]/;

/** The purpose from the expense's own text and the shared text (module comment, step 5). */
function purposeOf(
  text: string,
  ranges: readonly Span[],
  removed: readonly Span[],
  items: readonly TermMention[],
): string {
  const fragments: string[] = [];
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    let start = range.start;
    const flush = (end: number): void => {
      if (end > start) fragments.push(cleanFragment(text, start, end, items));
    };
    for (let i = range.start; i < range.end; i++) {
      const cut = PURPOSE_BREAK.test(text[i]!) || removed.some((r) => i >= r.start && i < r.end);
      if (cut) {
        flush(i);
        start = i + 1;
      }
    }
    flush(range.end);
  }
  return fragments.filter((f) => f !== '').join('，');
}

function cleanFragment(text: string, from: number, to: number, items: readonly TermMention[]): string {
  let start = from;
  let end = to;
  const protectedAt = (s: number, e: number): boolean => items.some((m) => m.start < e && s < m.end);
  for (let changed = true; changed && end > start;) {
    changed = false;
    const slice = text.slice(start, end);
    const lead = FILLER_LEADING.exec(slice);
    if (lead && lead[0].length > 0 && !protectedAt(start, start + lead[0].trimEnd().length)) {
      start += lead[0].length;
      changed = true;
      continue;
    }
    const trail = FILLER_TRAILING.exec(slice);
    if (trail && trail[0].length > 0 && !protectedAt(end - trail[0].trimStart().length, end)) {
      end -= trail[0].length;
      changed = true;
      continue;
    }
    const trimmed = slice.trim();
    if (trimmed.length !== slice.length) {
      start += slice.length - slice.trimStart().length;
      end -= slice.length - slice.trimEnd().length;
      changed = trimmed.length > 0;
    }
  }
  const fragment = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return FILLER_WHOLE.test(fragment) ? '' : fragment;
}

/**
 * Reads a chat message as proposed expense lines, asking about every field it cannot take as said. Throws
 * AssistInputError only for unusable options (a `today` that is not a date, an unknown time zone).
 */
export function parseExpenseMessage(message: string, options: ParseExpenseOptions): ExpenseProposal {
  const today = resolveToday(options.today, options.timeZone);
  const indexes = indexesOf(options.baseData);
  const text = normalizeMessage(message);

  const exactProjects: ProjectMention[] = findTerms(text, indexes.projects).map((m) => ({
    start: m.start,
    end: m.end,
    text: m.text,
    numbers: m.numbers,
    kind: 'exact',
  }));
  const noProject: ProjectMention[] = [];
  for (const m of text.matchAll(NONE_PATTERN)) {
    const span = { start: m.index, end: m.index + m[0].length };
    if (!overlapsAny(span, exactProjects)) noProject.push({ ...span, text: m[0], numbers: [], kind: 'none' });
  }
  const dates = findDates(text, today, [...exactProjects, ...noProject]);
  const amounts = findAmounts(text, [...exactProjects, ...noProject, ...dates]);
  const items = findTerms(text, indexes.items, {
    masked: [...exactProjects, ...noProject, ...dates, ...amounts],
    places: true,
    fuzzy: true,
  });
  const references = findProjectReferences(text, options.baseData.projects, [
    ...exactProjects,
    ...noProject,
    ...dates,
    ...amounts,
    ...items,
  ]);
  const projects = [...exactProjects, ...noProject, ...references].sort((a, b) => a.start - b.start);
  const mentions: Span[] = [...projects, ...dates, ...amounts, ...items];

  const anchors = expenseAmounts(text, amounts);
  const layout = layOut(text, anchors, items, mentions);
  const removed: Span[] = [...projects, ...dates, ...amounts];
  const itemExamples = options.baseData.expenseItems.slice(0, 4).map((e) => e.name);

  const expenses: ProposedExpense[] = layout.segments.map((segment, index) => {
    const questions: AssistQuestion[] = [];
    const ask = (question: Omit<AssistQuestion, 'expense' | 'text'>): void => {
      const full = { ...question, expense: index };
      questions.push({ ...full, text: questionText(full, { itemExamples }) });
    };
    const expense: ProposedExpense = {
      currency: 'CNY',
      purpose: '',
      questions,
      source: text.slice(segment.core.start, segment.core.end).trim(),
    };

    const date = decide(dates, segment.core, layout.shared, resolveDate, 'date');
    if (date && 'value' in date) expense.date = date.value;
    else ask(date?.question ?? { field: 'date', reason: 'missing' });

    const amount = segment.amount;
    if (amount?.value !== undefined && amount.role !== 'rate') expense.amount = amount.value;
    else {
      const reason: QuestionReason = !amount ? 'missing' : (amount.problem ?? 'rate');
      ask({ field: 'amount', reason, ...(amount ? { mention: amount.text } : {}) });
    }

    const item = decide(items, segment.core, layout.shared, (m) => resolveItem(m, indexes.itemsByNumber), 'item');
    if (item && 'value' in item) {
      const entry = indexes.itemsByNumber.get(item.value)!;
      expense.item = { number: entry.number, name: entry.name };
    } else if (item?.question.reason === 'ambiguous' && !item.question.options?.length) {
      ask({ field: 'item', reason: 'missing' });
    } else ask(item?.question ?? { field: 'item', reason: 'missing' });

    const project = decide(
      projects,
      segment.core,
      layout.shared,
      (m) => resolveProject(m, indexes.projectsByNumber),
      'project',
    );
    if (project && 'value' in project) {
      const entry = project.value === null ? undefined : indexes.projectsByNumber.get(project.value);
      expense.project = entry ? ({ number: entry.number, name: entry.name } satisfies BaseDataRef) : null;
    } else ask(project?.question ?? { field: 'project', reason: 'missing' });

    let purpose = purposeOf(text, [segment.core, ...layout.shared], removed, items);
    if (purpose === '') {
      const own =
        items.find((m) => inside(m, segment.core)) ??
        (expense.item ? items.find((m) => m.numbers.includes(expense.item!.number)) : undefined);
      if (own) purpose = own.text;
    }
    expense.purpose = purpose;
    if (purpose === '') ask({ field: 'purpose', reason: 'missing' });
    return expense;
  });

  const questions = expenses.flatMap((e) => e.questions);
  const proposal = {
    text,
    today,
    expenses,
    questions,
    complete: questions.length === 0,
    recognized: mentions.length > 0,
  };
  return { ...proposal, summary: summaryText(proposal) };
}
