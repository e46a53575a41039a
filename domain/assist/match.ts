/**
 * Finding base data (费用项目, 项目) in a message by name and synonyms.
 *
 * Each entry is known by its name, its synonyms, its number, and what its name implies: the parts of a compound
 * name (`差旅费-机票` → `机票`, and `差旅费`, which three items share), the name without its trailing 费
 * (`交通费` → `交通`) or 票 (`飞机票` → `飞机`), and for projects the name with 项目 moved (`项目A` ↔ `A项目`) or left off (`华东仓储项目` →
 * `华东仓储`). Matching ignores ASCII case and whitespace inside a term (`ERP升级` finds `ERP 升级项目`), prefers the
 * longest term (`请客户吃饭` over `吃饭`), and a term that several entries share is one mention of all of them (the
 * caller asks which).
 *
 * An expense item named as a place is weak (`打车去高铁站`, `打车回酒店`: the expense is the taxi). A term typed with
 * one wrong character (`飞机漂`, `出组车`) is found as a fuzzy mention, which the caller proposes and asks about.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import { foldCase, isCjk, loosePattern, overlapsAny, type Span } from './text';

/** A base-data entry as the caller passes it (from Kingdee's BD_Expense, BAS_PreBaseDataOne …). */
export interface BaseDataEntry {
  number: string;
  name: string;
  synonyms?: readonly string[];
}

export interface TermMention extends Span {
  /** As written in the (normalised) message. */
  text: string;
  /** The numbers of every entry the term names (more than one: ambiguous). */
  numbers: string[];
  /** strong: said as the thing; weak: said as a place (去酒店); fuzzy: one character off. */
  strength: 'strong' | 'weak' | 'fuzzy';
}

/** Folded term → the numbers of the entries it names. */
export type TermIndex = Map<string, Set<string>>;

const compact = (term: string): string => foldCase(term).replace(/\s+/g, '');

function add(index: TermIndex, term: string, number: string): void {
  const key = compact(term);
  if (key.length < 2) return;
  const numbers = index.get(key) ?? new Set<string>();
  numbers.add(number);
  index.set(key, numbers);
}

/** Every term of every expense item. */
export function itemTerms(entries: readonly BaseDataEntry[]): TermIndex {
  const index: TermIndex = new Map();
  for (const entry of entries) {
    const names = [entry.name, ...(entry.synonyms ?? [])];
    const parts = entry.name.split(/[-—–_/·\s]+/).filter((p) => p !== '');
    if (parts.length > 1) names.push(...parts);
    for (const name of names) {
      add(index, name, entry.number);
      if (name.endsWith('费') && compact(name).length >= 3) add(index, name.slice(0, -1), entry.number);
      // A ticket is named by its vehicle too: 飞机票 → 飞机, 高铁票 → 高铁 (a place such as 飞机场 stays weak).
      if (name.endsWith('票') && compact(name).length >= 3) add(index, name.slice(0, -1), entry.number);
    }
    add(index, entry.number, entry.number);
  }
  return index;
}

/** Every term of every project. */
export function projectTerms(entries: readonly BaseDataEntry[]): TermIndex {
  const index: TermIndex = new Map();
  for (const entry of entries) {
    for (const name of [entry.name, ...(entry.synonyms ?? [])]) {
      add(index, name, entry.number);
      const leading = /^项目\s*(.+)$/.exec(name.trim());
      if (leading) add(index, `${leading[1]}项目`, entry.number);
      const trailing = /^(.+?)\s*项目$/.exec(name.trim());
      if (trailing) {
        const core = compact(trailing[1]!);
        if (core.length <= 2) add(index, `项目${trailing[1]}`, entry.number);
        if (core.length >= 2 && !/^[a-z0-9]{0,2}$/.test(core)) add(index, trailing[1]!, entry.number);
      }
    }
    add(index, entry.number, entry.number);
  }
  return index;
}

interface FindOptions {
  /** Spans already taken (dates, amounts, other base data). */
  masked?: readonly Span[];
  /** Mark terms said as places (去酒店, 高铁站) weak: for expense items. */
  places?: boolean;
  /** Also find terms typed with one wrong character: for expense items. */
  fuzzy?: boolean;
}

const PLACE_AFTER = /^\s*[站场口]/;
const PLACE_BEFORE = /[去到回往至从送接]\s*$/;

/** Every mention of a term of `index` in `text`, longest first, not overlapping each other or `masked`. */
export function findTerms(text: string, index: TermIndex, options: FindOptions = {}): TermMention[] {
  const folded = foldCase(text);
  const masked = options.masked ?? [];
  const candidates: Array<Span & { numbers: string[]; weight: number }> = [];
  for (const [term, numbers] of index) {
    const pattern = new RegExp(loosePattern(term), 'g');
    for (let m = pattern.exec(folded); m !== null; m = pattern.exec(folded)) {
      const start = m.index;
      const end = start + m[0].length;
      if (/^[a-z0-9]/.test(term) && /[a-z0-9]/.test(folded[start - 1] ?? '')) continue;
      if (/[a-z0-9]$/.test(term) && /[a-z0-9]/.test(folded[end] ?? '')) continue;
      candidates.push({ start, end, numbers: [...numbers].sort(), weight: term.length });
    }
  }
  // Longest term first; of equal terms the tightest (项目A 项目B: not the `A 项目` across them), then the first.
  candidates.sort((a, b) => b.weight - a.weight || a.end - a.start - (b.end - b.start) || a.start - b.start);
  const chosen: TermMention[] = [];
  for (const candidate of candidates) {
    if (overlapsAny(candidate, masked) || overlapsAny(candidate, chosen)) continue;
    const place =
      options.places === true &&
      (PLACE_AFTER.test(text.slice(candidate.end)) || PLACE_BEFORE.test(text.slice(0, candidate.start)));
    chosen.push({
      start: candidate.start,
      end: candidate.end,
      text: text.slice(candidate.start, candidate.end),
      numbers: candidate.numbers,
      strength: place ? 'weak' : 'strong',
    });
  }
  if (options.fuzzy === true) chosen.push(...findFuzzy(text, index, [...masked, ...chosen]));
  return chosen.sort((a, b) => a.start - b.start);
}

/** Terms of three or more Chinese characters typed with exactly one wrong character (飞机漂, 出组车). */
function findFuzzy(text: string, index: TermIndex, taken: readonly Span[]): TermMention[] {
  const found: TermMention[] = [];
  const terms = [...index.entries()]
    .filter(([term]) => term.length >= 3 && [...term].every((ch) => isCjk(ch)))
    .sort(([a], [b]) => b.length - a.length);
  for (const [term, numbers] of terms) {
    for (let start = 0; start + term.length <= text.length; start++) {
      const span = { start, end: start + term.length };
      const window = text.slice(span.start, span.end);
      if (![...window].every((ch) => isCjk(ch))) continue;
      let differences = 0;
      let differing = '';
      for (let k = 0; k < term.length; k++) {
        if (window[k] !== term[k]) {
          differences++;
          differing = window[k]!;
        }
      }
      if (differences !== 1 || /[站场口]/.test(differing)) continue;
      if (overlapsAny(span, taken) || overlapsAny(span, found)) continue;
      found.push({ ...span, text: window, numbers: [...numbers].sort(), strength: 'fuzzy' });
    }
  }
  return found;
}
