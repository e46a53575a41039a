/**
 * The sandbox shows a card's fields (details, chain, who must still decide), 转交 / 加签 with a person picker, a
 * person's 待办 and chat, all escaped.
 */
import { renderSandbox } from '../../emulators/dingtalk/sandbox';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import type { EmulatedCard, EmulatedTodo } from '../../emulators/dingtalk/state';
import { approvalCard, cardActions } from '../../domain/texts/cards';
import { approvalCardActions } from '../../workflows/approval/cards';
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

it('offers 转交 and 加签 on every approval card, with a picker of everyone else', () => {
  expect(approvalCardActions).toEqual(['approve', 'reject', 'transfer', 'addApprover']);
  expect(approvalCardActions.every((a) => (cardActions as readonly string[]).includes(a))).toBe(true);
  const params = approvalCard(document, {
    stepId: 's',
    stepName: '财务经理审批',
    workflowId: 'wf',
    actions: approvalCardActions,
  });
  const card: EmulatedCard = {
    outTrackId: 'kdb-2',
    templateId: 'kdb-approval-card',
    clientId: 'app',
    cardParamMap: params,
    privateData: {},
    callbackType: 'STREAM',
    userIds: ['wangwu'],
    groupIds: [],
    createdAt: 0,
    updatedAt: 0,
  };
  const seed = loadDingTalkSeed();
  const html = renderSandbox({ seed, userId: 'wangwu', cards: [card], messages: [] });
  expect(html).toContain('<button name="actionId" value="transfer" class="transfer">转交</button>');
  expect(html).toContain('<button name="actionId" value="addApprover" class="add-approver">加签</button>');
  expect(html).toContain('<option value="zhaoliu">赵六（财务总监）</option>');
  expect(html).not.toContain('<option value="wangwu">');
  // Decided: no buttons, no picker.
  const decided = renderSandbox({
    seed,
    userId: 'wangwu',
    cards: [{ ...card, cardParamMap: { ...params, status: 'approved', result: '王五 已同意', actions: '[]' } }],
    messages: [],
  });
  expect(decided).not.toContain('name="actionId"');
  expect(decided).not.toContain('name="target"');
});

it('escapes everything a person, the bot or a form wrote', () => {
  const seed = loadDingTalkSeed();
  const html = renderSandbox({
    seed,
    userId: 'zhangsan',
    cards: [],
    messages: [
      {
        id: 'm',
        kind: 'sessionReply',
        userId: 'zhangsan',
        msgtype: 'text',
        text: '<img src=x onerror=1>',
        body: {},
        at: 2,
      },
    ],
    sentToBot: [{ id: 's', userId: 'zhangsan', text: '报销 <script>alert(1)</script>', at: 1 }],
    oa: { templates: [], instances: [] },
  });
  expect(html).not.toContain('<script>alert');
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('报销 &lt;script&gt;alert(1)&lt;/script&gt;');
  // The conversation in order: what 张三 wrote, then the reply.
  expect(html.indexOf('报销 &lt;script&gt;')).toBeLessThan(html.indexOf('&lt;img src=x'));
});
