/**
 * Loading the rules file: reads the YAML (the only I/O of rules/), runs the schema and the cross-field checks, and
 * fails fast with ONE RulesError that lists every problem as `<file>: <yaml.path>: <reason> (line N)`. zod's
 * messages are reworded here in the terms of the person editing the YAML, and each problem is located in the file.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { collectPieces, crossCheck, type Problem } from './checks';
import { rulesSchema, type Rules } from './schema';

export interface RulesProblem {
  /** Where in the file, e.g. `chains.ER_ExpReimbursement[1].remindAfter`; empty for the file itself. */
  path: string;
  message: string;
  /** 1-based, when the place could be found in the file. */
  line?: number;
  column?: number;
}

const MAX_SYNTAX_ERRORS = 3;

/** The rules file is unusable. `message` lists every problem, one per line: `<file>: <path>: <reason> (line N)`. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(
    readonly source: string,
    readonly problems: RulesProblem[],
    options: { showLines?: boolean } = {},
  ) {
    super(
      `The rules file ${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; fix ${
        problems.length === 1 ? 'it' : 'them'
      } and start again:\n` + problems.map((p) => formatProblem(source, p, options.showLines ?? true)).join('\n'),
    );
  }
}

function formatProblem(source: string, problem: RulesProblem, showLine: boolean): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  const line = showLine && problem.line !== undefined ? ` (line ${problem.line})` : '';
  return `${source}: ${where}${problem.message}${line}`;
}

/** Reads and parses a rules file; throws RulesError naming the file and every problem in it. */
export function loadRules(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new RulesError(path, [
      {
        path: '',
        message: `cannot read the rules file (${reason}); check the path, or start from config/rules.example.yaml`,
      },
    ]);
  }
  return parseRules(text, path);
}

/** Parses rules from YAML text; `sourceName` names the file in error messages. */
export function parseRules(text: string, sourceName: string): Rules {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One broken bracket produces a cascade of errors after it; the first few point at the cause.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => {
      const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      return {
        path: `line ${pos.line}, column ${pos.col}`,
        message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.message}`,
        line: pos.line,
        column: pos.col,
      };
    });
    const more = doc.errors.length - shown.length;
    const hint =
      more > 0 ? [{ path: '', message: `${more} more syntax error(s) after these, most likely caused by them` }] : [];
    throw new RulesError(sourceName, [...shown, ...hint], { showLines: false });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new RulesError(sourceName, [
      { path: '', message: 'the file is empty: start from config/rules.example.yaml' },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RulesError(sourceName, [
      { path: '', message: 'the file must be a mapping of sections (calendar:, forms:, chains:, …)' },
    ]);
  }

  const locate = (path: PropertyKey[]) => locateInDocument(doc, lineCounter, path);
  const problems: Array<RulesProblem & { order: number }> = [];
  const addProblem = (path: PropertyKey[], message: string) => {
    const position = locate(path);
    problems.push({ path: formatPath(path), message, ...position, order: position.line ?? Infinity });
  };

  const parsed = rulesSchema.safeParse(raw, { error: friendlyMessage });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const { path, message } of explainIssue(issue)) addProblem(path, message);
    }
  }
  // Cross-field checks run on every piece that is valid by itself, so one pass reports everything.
  for (const { path, message } of crossCheck(collectPieces(raw as Record<string, unknown>))) addProblem(path, message);

  if (problems.length > 0 || !parsed.success) {
    const unique = problems.filter(
      (p, i) => problems.findIndex((q) => q.path === p.path && q.message === p.message) === i,
    );
    unique.sort((a, b) => a.order - b.order);
    throw new RulesError(
      sourceName,
      unique.map(({ order: _order, ...problem }) => problem),
    );
  }
  return parsed.data;
}

/** `chains.ER_ExpReimbursement[0].approvers[1]`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[^\s.[\]"']+$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function locateInDocument(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: PropertyKey[],
): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

// zod's own messages are written for programmers; these say the same in the terms of the person editing YAML.
const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list (lines starting with "- ")',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  // A boolean: YAML has no other scalars.
  return `the value ${typeof value === 'boolean' ? String(value) : typeof value}`;
}

function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = typeNames[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `is required (${expected})`;
      return `should be ${expected}, not ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `allows at most ${String(issue.maximum)} item(s)`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

/**
 * Turns one zod issue into problems. For a union (approver, final action, trigger), when exactly one alternative
 * matched the shape the admin wrote (its errors are inside the value, not about the value's keys), that
 * alternative's errors are precise ("user: must be text"); otherwise the union's own summary is clearer.
 */
function explainIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): Problem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && 'errors' in issue) {
    const shapeMatched = issue.errors.filter(
      (branch) =>
        branch.length > 0 &&
        branch.every(
          (inner) => inner.path.length > 0 || (inner.code !== 'unrecognized_keys' && inner.code !== 'invalid_type'),
        ),
    );
    const onlyMatch = shapeMatched.length === 1 ? shapeMatched[0] : undefined;
    if (onlyMatch) return onlyMatch.flatMap((inner) => explainIssue(inner, path));
  }
  if (issue.code === 'unrecognized_keys') {
    const firstKey = issue.keys[0];
    return [
      { path: firstKey !== undefined && issue.keys.length === 1 ? [...path, firstKey] : path, message: issue.message },
    ];
  }
  return [{ path, message: issue.message }];
}
