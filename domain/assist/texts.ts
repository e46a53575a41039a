/**
 * What the reimbursement assistant says: one question per field it could not take as said, and the confirmation
 * card's summary (what was understood, what is asked).
 *
 * These are the assistant's user-facing Chinese texts; they live next to the parser while the feature is young
 * (domain/texts/ is where they belong once the bot replies with them).
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import { formatMoney } from '../texts/format';
import { dayOfIso, weekdayOf } from './dates';
import type { AssistOption, AssistQuestion, ExpenseProposal, ProposedExpense } from './types';

const WEEKDAY_LABELS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** `2026-11-20` → `2026-11-20（周五）`. */
export function dateLabel(iso: string): string {
  const day = dayOfIso(iso);
  return day === undefined ? iso : `${iso}（${WEEKDAY_LABELS[weekdayOf(day)]}）`;
}

const quoted = (text: string | undefined): string => (text ? `「${text}」` : '');
const either = (options: readonly AssistOption[]): string => options.map((o) => `「${o.label}」`).join('还是');

/** The question's sentence, without which expense it is about. */
export function questionText(
  question: Omit<AssistQuestion, 'text'>,
  context: { itemExamples: readonly string[] },
): string {
  const m = quoted(question.mention);
  const options = question.options ?? [];
  switch (question.field) {
    case 'date':
      switch (question.reason) {
        case 'future':
          return `${m}${options[0] ? `是 ${options[0].label}，` : ''}在今天之后，请确认费用发生的日期`;
        case 'invalid':
          return `${m}不是有效的日期，请重新告诉我是哪天`;
        case 'ambiguous':
          if (!m) return `是哪天的费用？${options.length > 0 ? `${options.map((o) => o.label).join(' 还是 ')}？` : ''}`;
          if (options.length === 1) return `${m}是指 ${options[0]!.label} 吗？`;
          if (options.length > 1) return `${m}是 ${options.map((o) => o.label).join(' 还是 ')}？`;
          return `${m}具体是哪一天？`;
        default:
          return '费用是哪天发生的？';
      }
    case 'amount':
      switch (question.reason) {
        case 'approximate':
          return `${m}是估计的金额，请告诉我发票上的准确金额`;
        case 'rate':
          return `${m}是单价，这笔费用合计多少钱？`;
        case 'currency':
          return `${m}不是人民币，请告诉我折合人民币的金额`;
        default:
          return '金额是多少？';
      }
    case 'item':
      switch (question.reason) {
        case 'typo':
          return `${m}是指${either(options)}吗？`;
        case 'ambiguous':
          if (question.mention?.includes('、'))
            return `${m}：这笔费用的项目是${either(options)}？如是多笔请分别写明金额`;
          return m ? `${m}是${either(options)}？` : `费用项目是${either(options)}？`;
        default:
          return `属于哪个费用项目？（例如：${context.itemExamples.join('、')}）`;
      }
    case 'project':
      switch (question.reason) {
        case 'unknown':
          return `没有找到项目${m}，请确认项目名称`;
        case 'ambiguous':
          return m ? `${m}是${either(options)}？` : `归属哪个项目？${either(options)}`;
        default:
          return '归属哪个项目？没有项目请回复“无项目”';
      }
    case 'purpose':
      return '报销事由是什么？';
  }
}

const PENDING = '待确认';

function line(expense: ProposedExpense): string[] {
  return [
    expense.date ? dateLabel(expense.date) : PENDING,
    expense.item ? expense.item.name : PENDING,
    expense.amount !== undefined ? formatMoney(expense.amount, expense.currency) : PENDING,
    expense.project === null ? '无项目' : expense.project ? expense.project.name : PENDING,
    expense.purpose || PENDING,
  ];
}

/** The confirmation card's text: what was understood, then every question. */
export function summaryText(proposal: Pick<ExpenseProposal, 'expenses' | 'questions'>): string {
  const lines: string[] = [];
  const { expenses, questions } = proposal;
  if (expenses.length === 1) {
    const [date, item, amount, project, purpose] = line(expenses[0]!);
    lines.push(
      '我理解的报销：',
      `日期：${date}`,
      `费用项目：${item}`,
      `金额：${amount}`,
      `项目：${project}`,
      `事由：${purpose}`,
    );
  } else {
    const known = expenses.every((e) => e.amount !== undefined);
    const total = expenses.reduce((sum, e) => sum + (e.amount ?? 0), 0);
    lines.push(
      `我理解为 ${expenses.length} 笔报销${known ? `，合计 ${formatMoney(total, 'CNY')}` : ''}：`,
      ...expenses.map((expense, i) => {
        const [date, item, amount, project, purpose] = line(expense);
        return `${i + 1}. ${date}｜${item}｜${amount}｜${project}｜事由：${purpose}`;
      }),
    );
  }
  if (questions.length === 0) {
    lines.push('信息齐全，确认无误即可提交。');
  } else {
    // One line per distinct question; the same question of several expenses is asked once (第1、2笔：…).
    const asked = new Map<string, number[]>();
    for (const question of questions) asked.set(question.text, [...(asked.get(question.text) ?? []), question.expense]);
    lines.push('还需要您确认：');
    [...asked].forEach(([text, which], i) => {
      const prefix = expenses.length > 1 ? `第${[...new Set(which)].map((e) => e + 1).join('、')}笔：` : '';
      lines.push(`${i + 1}. ${prefix}${text}`);
    });
  }
  return lines.join('\n');
}
