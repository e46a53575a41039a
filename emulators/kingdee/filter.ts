/**
 * The subset of Kingdee's FilterString our queries use: = <> != > >= < <=, LIKE, IN (...), IS [NOT] NULL, AND, OR,
 * NOT, parentheses, single-quoted strings ('' escapes a quote), numbers and date literals (compared as text in
 * Kingdee's yyyy-MM-dd HH:mm:ss form). Anything else is a parse error, which the server turns into Kingdee's
 * "当前查询串无法解析" response rather than a crash.
 */
import { scalarText } from '../text';

export type Row = Record<string, unknown>;
export type Predicate = (row: Row) => boolean;

export class FilterParseError extends Error {}

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterParseError('unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ kind: 'string', value });
    } else if (c === '(') {
      tokens.push({ kind: 'lparen', value: c });
      i++;
    } else if (c === ')') {
      tokens.push({ kind: 'rparen', value: c });
      i++;
    } else if (c === ',') {
      tokens.push({ kind: 'comma', value: c });
      i++;
    } else if ('<>=!'.includes(c)) {
      const two = text.slice(i, i + 2);
      const op = ['<>', '>=', '<=', '!='].includes(two) ? two : c;
      if (op === '!') throw new FilterParseError('unexpected "!"');
      tokens.push({ kind: 'op', value: op });
      i += op.length;
    } else if (/[0-9-]/.test(c) && /[0-9]/.test(text[i + 1] ?? c)) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i))!;
      tokens.push({ kind: 'number', value: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][\w.]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'ident', value: match[0] });
      i += match[0].length;
    } else {
      throw new FilterParseError(`unexpected character "${c}"`);
    }
  }
  return tokens;
}

/** Compile a FilterString; `fieldExists` rejects unknown field keys as Kingdee does. */
export function compileFilter(text: string, fieldExists: (key: string) => boolean): Predicate {
  if (!text.trim()) return () => true;
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const keyword = (word: string) => peek()?.kind === 'ident' && peek()!.value.toUpperCase() === word;
  const expect = (kind: Token['kind']) => {
    const token = tokens[pos++];
    if (!token || token.kind !== kind) throw new FilterParseError(`expected ${kind}`);
    return token;
  };

  const literal = (): unknown => {
    const token = tokens[pos++];
    if (!token) throw new FilterParseError('expected a value');
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.value);
    throw new FilterParseError(`expected a value, got "${token.value}"`);
  };

  const comparison = (): Predicate => {
    const field = expect('ident').value;
    if (!fieldExists(field)) throw new FilterParseError(`field ${field}`);
    const get = (row: Row) => lookup(row, field);
    if (keyword('IS')) {
      pos++;
      const negate = keyword('NOT') ? (pos++, true) : false;
      if (!keyword('NULL')) throw new FilterParseError('expected NULL');
      pos++;
      return (row) => (get(row) === null || get(row) === undefined || get(row) === '') !== negate;
    }
    const negate = keyword('NOT') ? (pos++, true) : false;
    if (keyword('LIKE')) {
      pos++;
      const pattern = String(literal());
      const regex = new RegExp(
        `^${pattern
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/%/g, '.*')
          .replace(/_/g, '.')}$`,
        'i',
      );
      return (row) => regex.test(scalarText(get(row))) !== negate;
    }
    if (keyword('IN')) {
      pos++;
      expect('lparen');
      const values: unknown[] = [literal()];
      while (peek()?.kind === 'comma') {
        pos++;
        values.push(literal());
      }
      expect('rparen');
      return (row) => values.some((v) => compare(get(row), v) === 0) !== negate;
    }
    if (negate) throw new FilterParseError('NOT must be followed by LIKE or IN here');
    const op = expect('op').value;
    const value = literal();
    return (row) => {
      const c = compare(get(row), value);
      switch (op) {
        case '=':
          return c === 0;
        case '<>':
        case '!=':
          return c !== 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
        case '<':
          return c < 0;
        default:
          return c <= 0;
      }
    };
  };

  const primary = (): Predicate => {
    if (keyword('NOT')) {
      pos++;
      const inner = primary();
      return (row) => !inner(row);
    }
    if (peek()?.kind === 'lparen') {
      pos++;
      const inner = or();
      expect('rparen');
      return inner;
    }
    return comparison();
  };
  const and = (): Predicate => {
    let left = primary();
    while (keyword('AND')) {
      pos++;
      const l = left;
      const r = primary();
      left = (row) => l(row) && r(row);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (keyword('OR')) {
      pos++;
      const l = left;
      const r = and();
      left = (row) => l(row) || r(row);
    }
    return left;
  };
  const predicate = or();
  if (pos !== tokens.length) throw new FilterParseError(`unexpected "${tokens[pos]!.value}"`);
  return predicate;
}

/** Field keys are case-insensitive in Kingdee. */
export function lookup(row: Row, key: string): unknown {
  if (key in row) return row[key];
  const lower = key.toLowerCase();
  const found = Object.keys(row).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : row[found];
}

/** Numbers numerically; everything else as text, with Kingdee's 'T' date separator normalised to a space. */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b)))
    return a - Number(b);
  const norm = (v: unknown) => scalarText(v).replace(/^(\d{4}-\d{2}-\d{2})T/, '$1 ');
  const left = norm(a);
  const right = norm(b);
  return left < right ? -1 : left > right ? 1 : 0;
}
