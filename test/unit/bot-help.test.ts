/**
 * The bot's help text (domain/texts/bot-replies.ts) names every way to talk to it — the approval commands and the
 * flows into Kingdee (报销 → draft, 确认付款 for cashiers, 加急 / 急催) — and each example it shows is read by the bot's
 * own parsers as what the help says it does.
 */
import { parseAssistCommand, parseUrgencyRequest } from '../../api/text-commands';
import { parseExpenseMessage } from '../../domain/assist';
import { botReplies, intoKingdeeExamples } from '../../domain/texts/bot-replies';

const help = botReplies.help();

it('mentions 报销, 确认付款 and 加急 / 急催 beside the approval commands', () => {
  for (const word of [
    '同意',
    '驳回',
    '转交',
    '加签',
    '待办',
    '报销',
    '确认付款',
    '出纳',
    '加急',
    '急催',
    '确认',
    '取消',
  ])
    expect(help).toContain(word);
  for (const example of Object.values(intoKingdeeExamples)) expect(help).toContain(example);
});

it('the 报销 example becomes a complete reimbursement proposal: yesterday, ¥86.50, 交通费, the project', () => {
  expect(parseAssistCommand(intoKingdeeExamples.expense)).toEqual({
    kind: 'expense',
    text: intoKingdeeExamples.expense,
  });
  const proposal = parseExpenseMessage(intoKingdeeExamples.expense, {
    today: '2025-11-21',
    baseData: {
      expenseItems: [
        { number: 'FY001', name: '差旅费' },
        { number: 'FY004', name: '交通费' },
      ],
      projects: [{ number: 'XM001', name: '华东客户拓展项目' }],
    },
  });
  expect(proposal.expenses).toHaveLength(1);
  expect(proposal.complete).toBe(true);
  expect(proposal.expenses[0]).toMatchObject({
    date: '2025-11-20',
    amount: 86.5,
    item: { number: 'FY004' },
    project: { number: 'XM001' },
  });
  expect(proposal.expenses[0]!.purpose).toContain('客户拜访');
});

it('the 确认付款 example names the bill; the 加急 / 急催 examples name it too', () => {
  expect(parseAssistCommand(intoKingdeeExamples.pay)).toEqual({ kind: 'pay', billNo: 'FYBX000123' });
  for (const example of [intoKingdeeExamples.urgent, intoKingdeeExamples.urgentFromBoss])
    expect(parseUrgencyRequest(example)?.candidates).toContain('FYBX000123');
});
