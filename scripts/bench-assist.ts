/**
 * `npm run bench:assist`: how well the reimbursement assistant (domain/assist) reads the chat messages of
 * test/fixtures/assist/messages.json. Prints field-level accuracy (date, amount, item, project, purpose) and
 * whole-message accuracy (every expense found, every field right or rightly asked about), then each miss.
 * Prints numbers; never fails on them (test/unit/assist-bench.test.ts holds the line).
 *
 * A field is right when the parser gives the expected value and asks nothing about it, or, when the fixture says
 * "?", asks about it and gives no value. A project of null means "explicitly none" (无项目). The purpose is right
 * when it is non-empty and contains the fixture's text (true: any non-empty), or is asked about when "?".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseExpenseMessage, type AssistBaseData, type ExpenseProposal, type ProposedExpense } from '../domain/assist';

export const FIELDS = ['date', 'amount', 'item', 'project', 'purpose'] as const;
export type Field = (typeof FIELDS)[number];

type Expected<T> = T | '?';
export interface ExpectedExpense {
  date: Expected<string>;
  amount: Expected<number>;
  item: Expected<string>;
  project: Expected<string | null>;
  purpose: Expected<string | true>;
}
export interface FixtureMessage {
  id: string;
  text: string;
  today?: string;
  note?: string;
  expenses: ExpectedExpense[];
}
export interface Fixture {
  today: string;
  baseData: AssistBaseData;
  messages: FixtureMessage[];
}

export interface Miss {
  id: string;
  text: string;
  expense: number;
  field: Field | 'count';
  expected: unknown;
  got: unknown;
}

export interface Score {
  messages: number;
  messagesRight: number;
  expenses: number;
  fields: Record<Field, { right: number; total: number }>;
  misses: Miss[];
}

export const fixturePath = path.join(__dirname, '../test/fixtures/assist/messages.json');

export function loadFixture(file = fixturePath): Fixture {
  return JSON.parse(readFileSync(file, 'utf8')) as Fixture;
}

function actual(expense: ProposedExpense | undefined, field: Field): unknown {
  if (!expense) return 'no such expense';
  const asked = expense.questions.some((q) => q.field === field);
  const value =
    field === 'item'
      ? expense.item?.number
      : field === 'project'
        ? expense.project === null
          ? null
          : expense.project?.number
        : field === 'purpose'
          ? expense.purpose || undefined
          : expense[field];
  return asked ? (value === undefined ? '?' : `? (and ${JSON.stringify(value)})`) : value;
}

function fieldRight(expected: ExpectedExpense, expense: ProposedExpense | undefined, field: Field): boolean {
  if (!expense) return false;
  const want = expected[field];
  const got = actual(expense, field);
  if (want === '?') return got === '?';
  if (field === 'purpose')
    return typeof got === 'string' && got !== '?' && (want === true || got.includes(String(want)));
  return got === want;
}

/** Scores the parser on every message of the fixture. */
export function scoreFixture(fixture: Fixture = loadFixture()): Score {
  const fields = Object.fromEntries(FIELDS.map((f) => [f, { right: 0, total: 0 }])) as Score['fields'];
  const misses: Miss[] = [];
  let messagesRight = 0;
  let expenses = 0;
  for (const message of fixture.messages) {
    const proposal: ExpenseProposal = parseExpenseMessage(message.text, {
      today: message.today ?? fixture.today,
      baseData: fixture.baseData,
    });
    let right = proposal.expenses.length === message.expenses.length;
    if (!right) {
      misses.push({
        id: message.id,
        text: message.text,
        expense: -1,
        field: 'count',
        expected: message.expenses.length,
        got: proposal.expenses.length,
      });
    }
    message.expenses.forEach((expected, i) => {
      expenses++;
      const expense = proposal.expenses[i];
      for (const field of FIELDS) {
        fields[field].total++;
        if (fieldRight(expected, expense, field)) fields[field].right++;
        else {
          right = false;
          misses.push({
            id: message.id,
            text: message.text,
            expense: i,
            field,
            expected: expected[field],
            got: actual(expense, field),
          });
        }
      }
    });
    if (right) messagesRight++;
  }
  return { messages: fixture.messages.length, messagesRight, expenses, fields, misses };
}

const percent = (right: number, total: number): string => `${((100 * right) / Math.max(1, total)).toFixed(1)} %`;

function main(): void {
  const started = performance.now();
  const score = scoreFixture();
  const ms = performance.now() - started;
  console.log(`Reimbursement assistant on ${score.messages} messages (${score.expenses} expected expenses)\n`);
  console.log(`${'field'.padEnd(18)}${'right'.padStart(12)}${'accuracy'.padStart(11)}`);
  for (const field of FIELDS) {
    const { right, total } = score.fields[field];
    const label = field === 'purpose' ? 'purpose-nonempty' : field;
    console.log(`${label.padEnd(18)}${`${right}/${total}`.padStart(12)}${percent(right, total).padStart(11)}`);
  }
  console.log(
    `${'whole message'.padEnd(18)}${`${score.messagesRight}/${score.messages}`.padStart(12)}${percent(score.messagesRight, score.messages).padStart(11)}`,
  );
  console.log(`\n${(ms / score.messages).toFixed(2)} ms per message`);
  if (score.misses.length > 0) {
    console.log(`\nMisses (${score.misses.length}):`);
    for (const miss of score.misses) {
      const which = miss.expense >= 0 ? `#${miss.expense + 1} ` : '';
      console.log(
        `  ${miss.id} ${which}${miss.field}: expected ${JSON.stringify(miss.expected)}, got ${JSON.stringify(miss.got)}  — ${JSON.stringify(miss.text)}`,
      );
    }
  }
}

if (require.main === module) main();
