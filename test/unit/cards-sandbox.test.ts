/** The sandbox shows a card's fields (details, chain, who must still decide) and a person's 待办. */
import { renderSandbox } from '../../emulators/dingtalk/sandbox';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import type { EmulatedCard, EmulatedTodo } from '../../emulators/dingtalk/state';
import { approvalCard } from '../../domain/texts/cards';
import type { DocumentSummary } from '../../domain/document';

const document: DocumentSummary = {
  acctId: 'a',
  formId: 'AP_PAYBILL',
  billNo: 'FKD000045',
  billId: '200045',
  formName: '付款单',
  status: 'B',
  applicant: { name: '张三' },
  amount: 68_000,
  currency: 'CNY',
  purpose: '服务器采购款',
  orgName: '演示集团总部',
  counterparty: { label: '收款单位', name: '上海云杉科技有限公司' },
  billDate: '2026-11-20T00:00:00',
  lines: [],
  link: 'https://kingdee.example/FKD000045',
  modifyDate: '',
  personMobiles: {},
};

it('renders the card’s details, chain and waiting line, and the person’s 待办', () => {
  const card: EmulatedCard = {
    outTrackId: 'kdb-1',
    templateId: 'kdb-approval-card',
    clientId: 'app',
    cardParamMap: approvalCard(document, {
      stepId: 's',
      stepName: '财务经理审批',
      workflowId: 'wf',
      decisions: [{ name: '李四', action: 'approve', at: '2026-11-24T02:33:00Z' }],
      waiting: { stepName: '财务经理审批', names: ['王五'], mode: 'any' },
    }),
    privateData: {},
    callbackType: 'STREAM',
    userIds: ['wangwu'],
    groupIds: [],
    createdAt: 0,
    updatedAt: 0,
  };
  const todo: EmulatedTodo = {
    id: 'task1',
    unionId: 'union-wangwu',
    userId: 'wangwu',
    clientId: 'app',
    creatorId: 'union-wangwu',
    subject: '审批：付款单 FKD000045（张三，¥68,000.00）',
    dueTime: Date.parse('2026-11-24T06:00:00Z'),
    executorIds: ['union-wangwu'],
    participantIds: [],
    detailUrl: { appUrl: document.link, pcUrl: document.link },
    done: false,
    deleted: false,
    createdTime: 0,
    modifiedTime: 0,
  };
  const html = renderSandbox({
    seed: loadDingTalkSeed(),
    userId: 'wangwu',
    cards: [card],
    messages: [],
    todos: [todo],
  });
  expect(html).toContain('<dt>收款单位</dt><dd>上海云杉科技有限公司</dd>');
  expect(html).toContain('<dt>单据日期</dt><dd>2026-11-20</dd>');
  expect(html).toContain('李四 已同意（2026-11-24 10:33）');
  expect(html).toContain('财务经理审批：待 王五 审批');
  expect(html).toContain('待办（1）');
  expect(html).toContain('审批：付款单 FKD000045（张三，¥68,000.00）');
  expect(html).toContain('截止 2026/11/24 14:00:00');
});
