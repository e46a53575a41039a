/**
 * The user-facing texts (domain/texts), through the barrel every caller imports: formatting, the approval card,
 * notices, decisions written back to Kingdee, answers to the person deciding, templates and planning explanations.
 */
import {
  adminActionRefused,
  applicantNotice,
  approvalClosedNotice,
  approversNotFoundMessage,
  attentionLinks,
  attentionReason,
  chainPlanComment,
  workflowBugReason,
  approvalCard,
  botReplies,
  documentStatusLabels,
  polledSummaryLine,
  ruleNotice,
  stepSkipReasons,
  textCommandWords,
  approvalCardTemplateId,
  cardParamKeys,
  cardStateParams,
  cardWithState,
  currentDetails,
  decisionAnswer,
  escalationManagerNotice,
  escalationNotice,
  followUpNotice,
  formatAmount,
  formatElapsed,
  formatMoney,
  formatTime,
  kingdeeComment,
  opsAlert,
  overdueNotice,
  refusal,
  reminder,
  renderTemplate,
  summaryLine,
  templateValuesFor,
  timeoutRejectComment,
  unknownTemplatePlaceholders,
  type DecisionSummary,
} from '../../domain/texts';
import { documentStatusLabels as kingdeeStatusLabels, type DocumentSummary } from '../../domain/document';
import { expenseClaim } from '../helpers/documents';

const tz = { offsetMinutes: 480 };
/** China time → epoch ms. */
const at = (local: string) => Date.parse(`${local.replace(' ', 'T')}:00+08:00`);

const claim: DocumentSummary = {
  ...expenseClaim,
  orgName: '演示公司',
  deptName: '销售部',
  lines: [
    { name: '交通费', amount: 4_800 },
    { name: '住宿费', amount: 8_000 },
  ],
};

const approvals: DecisionSummary[] = [
  { name: '李四', action: 'approve', at: at('2026-11-24 10:32') },
  { name: '王五', action: 'approve', at: '2026-11-24T03:05:00.000Z' },
];

describe('formatting', () => {
  it.each([
    [12_800, '12,800.00'],
    [0, '0.00'],
    [1.005, '1.01'],
    [999.995, '1,000.00'],
    [1_234_567.891, '1,234,567.89'],
    [-50, '-50.00'],
    [-0.001, '0.00'],
    [68_000.5, '68,000.50'],
  ])('amount %d → %s', (amount, expected) => {
    expect(formatAmount(amount)).toBe(expected);
  });

  it('money: ¥ for CNY, the code for others', () => {
    expect(formatMoney(12_800, 'CNY')).toBe('¥12,800.00');
    expect(formatMoney(-5, 'CNY')).toBe('-¥5.00');
    expect(formatMoney(1_200, 'usd')).toBe('USD 1,200.00');
  });

  it('times in the calendar offset, from ms or ISO', () => {
    expect(formatTime(Date.parse('2026-11-24T02:32:00Z'), tz)).toBe('2026-11-24 10:32');
    expect(formatTime('2026-11-24T16:05:00Z', tz)).toBe('2026-11-25 00:05');
    expect(formatTime('2026-11-24T16:05:00Z', { offsetMinutes: -300 })).toBe('2026-11-24 11:05');
  });

  it('elapsed time in hours and minutes', () => {
    expect(formatElapsed(45 * 60_000)).toBe('45 分钟');
    expect(formatElapsed(4 * 3_600_000)).toBe('4 小时');
    expect(formatElapsed(15.5 * 3_600_000)).toBe('15 小时 30 分钟');
    expect(formatElapsed(20_000)).toBe('不到 1 分钟');
  });

  it('the Temporal UI summary line', () => {
    expect(summaryLine(claim)).toBe('费用报销单 FYBX000123 · ¥12,800.00 · 张三');
  });
});

describe('the approval card', () => {
  const card = approvalCard(claim, { stepId: 'finance-manager', stepName: '财务经理审批', workflowId: 'approval:x' });

  it('has exactly the contract keys, all strings', () => {
    expect(approvalCardTemplateId).toBe('kdb-approval-card');
    expect(Object.keys(card).sort()).toEqual([...cardParamKeys].sort());
    expect(Object.values(card).every((value) => typeof value === 'string')).toBe(true);
    expect(card).toEqual({
      title: '费用报销单审批',
      formName: '费用报销单',
      billNo: 'FYBX000123',
      applicant: '张三',
      amount: '12,800.00',
      currency: 'CNY',
      purpose: '差旅费 上海客户拜访',
      lines: '[{"name":"交通费","amount":"4,800.00"},{"name":"住宿费","amount":"8,000.00"}]',
      link: 'https://kingdee.example/FYBX000123',
      stepName: '财务经理审批',
      notes: '',
      status: 'pending',
      result: '',
      workflowId: 'approval:x',
      stepId: 'finance-manager',
      actions: '["approve","reject"]',
      details:
        '[{"label":"部门","value":"销售部"},{"label":"组织","value":"演示公司"},{"label":"附件","value":"请在金蝶中查看"}]',
      chain: '尚无审批记录',
      waiting: '',
      urgent: 'false',
    });
  });

  it('shows the plan’s warnings (e.g. thresholds it could not compare) as 注意', () => {
    const warned = approvalCard(claim, {
      stepId: 'cfo',
      stepName: '财务总监审批',
      workflowId: 'approval:x',
      notes: ['甲', '乙'],
    });
    expect(warned.notes).toBe('注意：甲；乙');
  });

  it('a closed card keeps its person’s decision in front of the closed note', () => {
    const earlier = { status: 'rejected', byName: '李四', at: at('2026-11-24 10:32'), comment: '发票缺失' } as const;
    expect(cardWithState(card, { status: 'closed', reason: 'withdrawn', kingdeeStatus: 'A', earlier }, tz).result).toBe(
      '李四 已驳回（2026-11-24 10:32） · 原因：发票缺失；申请人已撤回该单据，无需审批',
    );
    expect(cardWithState(card, { status: 'closed', reason: 'adminResolved' }, tz)).toMatchObject({
      status: 'closed',
      result: '已由管理员处理，无需审批',
      actions: '[]',
    });
  });

  it('keeps every value within 1 KB, cutting long line lists with a count of what was left out', () => {
    const many = {
      ...claim,
      lines: Array.from({ length: 60 }, (_, i) => ({ name: `第${i + 1}项 办公用品`, amount: 10 })),
    };
    const big = approvalCard(many, {
      stepId: 's',
      stepName: '审批',
      workflowId: 'w',
      actions: ['approve', 'reject', 'transfer'],
    });
    const lines = JSON.parse(big.lines) as Array<{ name: string; amount: string }>;
    expect(Buffer.byteLength(big.lines, 'utf8')).toBeLessThanOrEqual(1_000);
    expect(lines.at(-1)?.name).toBe(`等 ${60 - (lines.length - 1)} 项`);
    expect(big.actions).toBe('["approve","reject","transfer"]');
    const longPurpose = approvalCard(
      { ...claim, purpose: '很长的事由'.repeat(200) },
      { stepId: 's', stepName: '审批', workflowId: 'w' },
    );
    expect(Buffer.byteLength(longPurpose.purpose, 'utf8')).toBeLessThanOrEqual(1_000);
    expect(longPurpose.purpose.endsWith('…')).toBe(true);
  });

  it.each([
    [
      { status: 'approved', byName: '王五', at: at('2026-11-24 11:05'), comment: '同意报销' },
      '王五 已同意（2026-11-24 11:05） · 意见：同意报销',
    ],
    [
      { status: 'rejected', byName: '王五', at: at('2026-11-24 11:05'), comment: '发票缺失' },
      '王五 已驳回（2026-11-24 11:05） · 原因：发票缺失',
    ],
    [
      { status: 'transferred', byName: '王五', toName: '赵六', at: at('2026-11-24 11:05') },
      '王五 已转交给 赵六（2026-11-24 11:05）',
    ],
    [
      { status: 'closed', reason: 'handledInKingdee', kingdeeStatus: 'C' },
      '已在金蝶处理（金蝶状态：已审核），无需在钉钉操作',
    ],
    [{ status: 'closed', reason: 'handledInKingdee', kingdeeStatus: 'deleted' }, '单据已在金蝶删除，无需审批'],
    [{ status: 'closed', reason: 'withdrawn' }, '申请人已撤回该单据，无需审批'],
    [{ status: 'processing' }, '处理中，请稍候…'],
  ] as const)('final state %j', (state, result) => {
    const updated = cardWithState(card, state, tz);
    expect(updated).toEqual({ ...card, status: state.status, result, actions: '[]' });
    expect(cardStateParams(state, tz)).toEqual({ status: state.status, result, actions: '[]' });
  });

  it('back to pending keeps the buttons', () => {
    expect(cardWithState(cardWithState(card, { status: 'processing' }, tz), { status: 'pending' }, tz)).toEqual({
      ...card,
      actions: '["approve","reject"]',
    });
  });
});

describe('reminders and escalation', () => {
  const waiting = { stepName: '财务经理审批', waitingFor: ['王五'], waitedMs: 4 * 3_600_000 };

  it('the reminder differs from the card (DingTalk drops identical messages) and from the previous reminder', () => {
    const first = reminder(claim, { ...waiting, count: 1 });
    const second = reminder(claim, { ...waiting, count: 2 });
    expect(first.text).toBe(
      '【催办】费用报销单 FYBX000123（张三，¥12,800.00） 已等待 4 小时，请尽快完成「财务经理审批」。\n\n[查看单据](https://kingdee.example/FYBX000123)',
    );
    expect(second.text).toContain('（第 2 次催办）');
    expect(second.text).not.toBe(first.text);
    expect(first.title).toBe('【催办】费用报销单 FYBX000123 待您审批');
  });

  it('tells the manager and the escalation group who is waiting and for how long', () => {
    const manager = escalationManagerNotice(claim, { ...waiting, waitedMs: 7.5 * 3_600_000, managerName: '赵六' });
    expect(manager.text).toContain('赵六，您好：王五 尚未审批 费用报销单 FYBX000123（张三，¥12,800.00）');
    expect(manager.text).toContain('已等待 7 小时 30 分钟');
    const group = escalationNotice(claim, { ...waiting, managers: ['赵六'] });
    expect(group.text.split('\n').slice(0, 8)).toEqual([
      '### 审批超时升级',
      '- 单据：费用报销单 FYBX000123',
      '- 申请人：张三',
      '- 金额：¥12,800.00',
      '- 当前步骤：财务经理审批',
      '- 待审批人：王五',
      '- 已等待：4 小时',
      '- 已通知上级：赵六',
    ]);
  });

  it('the final notify uses the configured text with placeholders, then the facts', () => {
    const notice = overdueNotice(claim, { ...waiting, text: '{单据类型} {单号} 已超过 3 个工作日未审批' });
    expect(notice.text.startsWith('费用报销单 FYBX000123 已超过 3 个工作日未审批\n\n【超时未审批】')).toBe(true);
    expect(notice.text).toContain('仍在等待 王五 审批');
    expect(timeoutRejectComment('超时未审批', 22.5 * 3_600_000)).toBe(
      '超时未审批（超时 22 小时 30 分钟 未审批，系统自动驳回）',
    );
  });
});

describe('outcome messages', () => {
  it('writes back a comment naming the real approvers and times', () => {
    expect(kingdeeComment(approvals, tz)).toBe('钉钉审批：李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意');
    expect(
      kingdeeComment(
        [{ name: '钱七', onBehalfOf: '王五', action: 'reject', at: at('2026-11-24 11:05'), comment: '发票缺失' }],
        tz,
      ),
    ).toBe('钉钉审批：钱七（代 王五） 2026-11-24 11:05 驳回：发票缺失');
  });

  it('keeps the write-back comment short: comments go first, then it is cut', () => {
    const chatty = approvals.map((d) => ({ ...d, comment: '意见'.repeat(80) }));
    expect(kingdeeComment(chatty, tz)).toBe('钉钉审批：李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意');
    const crowd = Array.from({ length: 20 }, (_, i) => ({ ...approvals[0], name: `审批人${i}` }) as DecisionSummary);
    const cut = kingdeeComment(crowd, tz);
    expect([...cut]).toHaveLength(255);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('tells the applicant, with the reason on rejection', () => {
    const approved = applicantNotice(claim, { outcome: 'approved', decisions: approvals, tz });
    expect(approved.title).toBe('费用报销单 FYBX000123 已审批通过');
    expect(approved.text).toContain('您的费用报销单 FYBX000123（¥12,800.00）已审批通过。');
    expect(approved.text).toContain('审批记录：李四 2026-11-24 10:32 同意；王五 2026-11-24 11:05 同意');
    const rejected = applicantNotice(claim, {
      outcome: 'rejected',
      decisions: [
        approvals[0] as DecisionSummary,
        { name: '王五', action: 'reject', at: at('2026-11-24 11:05'), comment: '发票缺失' },
      ],
      tz,
    });
    expect(rejected.text).toContain(
      '已被驳回。\n\n驳回人：王五（2026-11-24 11:05）\n\n原因：发票缺失\n\n请修改后重新提交。',
    );
  });

  it('the cashier follow-up: configured text as headline, then the facts', () => {
    const notice = followUpNotice(
      { ...claim, formName: '付款单', billNo: 'FKD000045', amount: 68_000 },
      {
        template: '请出纳安排付款',
        outcome: 'approved',
        decisions: approvals,
        tz,
      },
    );
    expect(notice.title).toBe('请出纳安排付款');
    expect(notice.text.split('\n').slice(0, 4)).toEqual([
      '请出纳安排付款',
      '',
      '- 单据：付款单 FKD000045（已审批通过）',
      '- 申请人：张三',
    ]);
    expect(notice.text).toContain('- 金额：¥68,000.00');
    const templated = followUpNotice(claim, {
      template: '请出纳支付 {单号}（{审批人}）',
      outcome: 'approved',
      decisions: approvals,
      tz,
    });
    expect(templated.title).toBe('请出纳支付 FYBX000123（李四、王五）');
  });

  it('alerts ops with the problem and what to do', () => {
    const alert = opsAlert(claim, {
      workflowId: 'approval:62f1a9b3c4d5e6:ER_ExpReimbursement:FYBX000123',
      reason: '金蝶拒绝审核：单据正在被编辑',
      errorType: 'KingdeeLocked',
      at: at('2026-11-24 11:06'),
      tz,
    });
    expect(alert.title).toBe('【需要处理】费用报销单 FYBX000123');
    expect(alert.text).toContain('- 问题：金蝶拒绝审核：单据正在被编辑');
    expect(alert.text).toContain('- 建议：在管理页面查看后选择“重试”或“标记为已处理”');
    expect(alert.text).toContain('- 时间：2026-11-24 11:06');
  });

  it('alerts ops once with where to act: the admin endpoints, and the Temporal UI when its URL is known', () => {
    const workflowId = 'approval:acct:ER_ExpReimbursement:FYBX000123';
    const links = attentionLinks({
      workflowId,
      namespace: 'default',
      runId: 'run-1',
      apiBaseUrl: 'https://bridge.example.com/',
      temporalUiUrl: 'https://temporal.example.com',
    });
    expect(links).toEqual({
      retry: 'https://bridge.example.com/admin/approvals/approval%3Aacct%3AER_ExpReimbursement%3AFYBX000123/retry',
      resolve: 'https://bridge.example.com/admin/approvals/approval%3Aacct%3AER_ExpReimbursement%3AFYBX000123/resolve',
      temporalUi:
        'https://temporal.example.com/namespaces/default/workflows/approval%3Aacct%3AER_ExpReimbursement%3AFYBX000123/run-1/history',
    });
    const alert = opsAlert(claim, { workflowId, reason: '无法确定 FYBX000123 的审批人', links });
    expect(alert.text).toContain(`- 重试：POST ${links.retry}`);
    expect(alert.text).toContain(`- 标记为已处理：POST ${links.resolve}`);
    expect(alert.text).toContain(`- Temporal：[查看工作流](${links.temporalUi})`);
    // Unknown URLs: the endpoints as paths, no UI link.
    expect(attentionLinks({ workflowId: 'a:b' })).toEqual({
      retry: '/admin/approvals/a%3Ab/retry',
      resolve: '/admin/approvals/a%3Ab/resolve',
    });
  });

  it('needs-attention reasons say what the workflow was doing and why, in Chinese', () => {
    expect(
      attentionReason({
        task: '向 ghost 发送「部门经理审批」的审批卡片',
        detail: 'card kdb-1 was not delivered to IM_ROBOT.ghost: param.userIdNotExist',
        type: 'DingTalkDeliveryError',
      }),
    ).toBe(
      '向 ghost 发送「部门经理审批」的审批卡片失败：钉钉中没有该用户（DingTalkDeliveryError：card kdb-1 was not delivered to IM_ROBOT.ghost: param.userIdNotExist）',
    );
    expect(
      attentionReason({ task: '确定「部门经理审批」的审批人', detail: '无法确定 X 的审批人：…', type: 'NoApprovers' }),
    ).toBe('确定「部门经理审批」的审批人失败：无法确定 X 的审批人：…');
    expect(attentionReason({ task: '写回金蝶', detail: 'socket hang up', exhausted: true })).toBe(
      '写回金蝶失败：（socket hang up）；已多次自动重试仍未成功',
    );
    expect(workflowBugReason('确定「部门经理审批」的审批人', 'TypeError: people.map is not a function')).toBe(
      '确定「部门经理审批」的审批人时工作流内部出错（程序缺陷）：TypeError: people.map is not a function',
    );
    expect(adminActionRefused('retry', '审批中')).toBe('只有“需人工处理”的单据可以重试，当前状态：审批中');
  });

  it('says for each approver why they could not be found in DingTalk (mobiles masked)', () => {
    expect(
      approversNotFoundMessage('FYBX000301', [
        { kind: 'applicantNotInDingTalk', name: '孙九', mobile: '13900000099' },
        { kind: 'unknownUser', userId: 'ghost' },
      ]),
    ).toBe(
      '无法确定 FYBX000301 的审批人：申请人 孙九 的手机号 139****0099 在钉钉中找不到，无法确定其上级；钉钉中没有用户 ghost',
    );
    expect(approversNotFoundMessage('X', [{ kind: 'applicantWithoutMobile', name: '孙九' }])).toBe(
      '无法确定 X 的审批人：申请人 孙九 在金蝶中没有手机号，无法确定其上级',
    );
  });

  it('logs the plan with its warnings', () => {
    expect(chainPlanComment(['财务经理审批', 'CFO 审批'], [], ['FKD000046 的币别是 USD…'])).toBe(
      '审批链：财务经理审批 → CFO 审批；注意：FKD000046 的币别是 USD…',
    );
  });

  it('tells the applicant when the approval closes without an outcome, with the decisions so far', () => {
    const decisions: DecisionSummary[] = [{ name: '李四', action: 'approve', at: at('2026-11-24 10:32') }];
    const closed = approvalClosedNotice(claim, { how: 'handledInKingdee', status: '已审核', decisions, tz });
    expect(closed.title).toBe('费用报销单 FYBX000123 已在金蝶处理');
    expect(closed.text).toContain(
      '您的费用报销单 FYBX000123（¥12,800.00）已在金蝶处理（金蝶状态：已审核），钉钉中的审批已结束。',
    );
    expect(closed.text).toContain('已有审批记录：李四 2026-11-24 10:32 同意');
    expect(approvalClosedNotice(claim, { how: 'withdrawn', status: '创建', decisions: [], tz }).title).toBe(
      '费用报销单 FYBX000123 已撤回',
    );
  });

  it('shows the current state in the Temporal UI', () => {
    expect(
      currentDetails(claim, {
        stage: 'awaiting-approval',
        stepName: '财务经理审批',
        waitingFor: ['王五'],
        escalated: true,
      }),
    ).toBe('**费用报销单 FYBX000123 · ¥12,800.00 · 张三**\n\n状态：审批中（财务经理审批）\n\n待审批人：王五\n\n已升级');
    expect(
      currentDetails(undefined, {
        stage: 'needs-attention',
        workflowId: 'approval:x',
        attention: { reason: '读取金蝶单据并生成审批计划失败：…' },
      }),
    ).toBe('**approval:x**\n\n状态：需人工处理\n\n原因：读取金蝶单据并生成审批计划失败：…');
  });
});

describe('answers to the person deciding', () => {
  it.each([
    [{ action: 'approve' }, '已同意 FYBX000123'],
    [{ action: 'reject' }, '已驳回 FYBX000123'],
    [{ action: 'transfer', targetName: '赵六' }, '已将 FYBX000123 转交给 赵六'],
    [{ action: 'addApprover', targetUserId: 'zhaoliu' }, '已为 FYBX000123 加签 zhaoliu'],
  ] as const)('%j → %s', (decision, answer) => {
    expect(decisionAnswer(claim, decision)).toBe(answer);
  });

  it('refusals say what is wrong and what to do', () => {
    expect(refusal('notApprover', claim)).toBe('您不是该单据的审批人（FYBX000123）');
    expect(refusal('notFound', { billNo: 'FYBX000999' })).toBe('未找到单据 FYBX000999，请核对单据编号');
    expect(refusal('commentRequired', claim)).toBe('驳回需要写明原因，例如：驳回 FYBX000123 发票缺失');
    expect(refusal('alreadyDecided')).toBe('您已处理过单据，无需重复操作');
  });
});

describe('templates', () => {
  it('fills English and Chinese placeholders, marks missing values and leaves unknown ones', () => {
    const values = templateValuesFor(claim, { approvers: ['李四'] });
    expect(renderTemplate('{单号}/{billNo} {申请人} {金额} {状态} {审批人} {意见} {备注}', values)).toBe(
      'FYBX000123/FYBX000123 张三 ¥12,800.00 审核中 李四 — {备注}',
    );
    expect(unknownTemplatePlaceholders('{单号} {备注} {foo} { 空格 }')).toEqual(['备注', 'foo']);
  });
});

describe('robot replies', () => {
  it('lists pending approvals by their summary line, else bill number, else workflow id', () => {
    expect(
      botReplies.pendingList([
        { workflowId: 'approval:a', billNo: 'FYBX000123', summary: summaryLine(claim) },
        { workflowId: 'approval:b', billNo: 'FKD000045' },
        { workflowId: 'approval:c' },
      ]),
    ).toBe('您有 3 张待审批单据：\n1. 费用报销单 FYBX000123 · ¥12,800.00 · 张三\n2. FKD000045\n3. approval:c');
  });

  it('asks which bill when several wait, and says when a bill is unknown', () => {
    expect(botReplies.whichBill(2, 'FKD000045')).toBe('您有 2 张待审批单据，请写明单据编号，例如：同意 FKD000045');
    expect(botReplies.whichBill(2)).toBe('您有 2 张待审批单据，请写明单据编号，例如：同意 FYBX000123');
    expect(botReplies.unknownBill('FYBX000999')).toBe('未找到单据 FYBX000999');
  });

  it('the help text teaches words the parser understands', () => {
    for (const word of ['同意', '驳回', '待办']) {
      expect(botReplies.help()).toContain(word);
      expect(Object.values(textCommandWords).some((words) => (words as readonly string[]).includes(word))).toBe(true);
    }
  });
});

describe('notification-only rules and the poller', () => {
  it('renders the rule template, titled by the rule or the document, and counts what was held back', () => {
    const first = ruleNotice(claim, { template: '{单号} 已审核（{字段} = {数值}）', heldBack: 0 });
    expect(first).toEqual({ title: '费用报销单 FYBX000123', text: 'FYBX000123 已审核（— = —）' });
    const later = ruleNotice(claim, {
      template: '{单号} 金额 {数值}',
      ruleName: '大额报销',
      trigger: { field: 'FExpAmount', value: '68000' },
      heldBack: 2,
    });
    expect(later).toEqual({
      title: '大额报销',
      text: 'FYBX000123 金额 68000\n\n（另有 2 条同类变更因频率限制未单独通知）',
    });
  });

  it('the poller names an approval like the summary line, leaving out what Kingdee left empty', () => {
    const head = {
      formName: '费用报销单',
      billNo: 'FYBX000123',
      amount: 12_800,
      currency: 'CNY',
      applicantName: '张三',
    };
    expect(polledSummaryLine(head)).toBe(summaryLine(claim));
    expect(polledSummaryLine({ ...head, applicantName: '' })).toBe('费用报销单 FYBX000123 · ¥12,800.00');
  });
});

describe('planning explanations', () => {
  it('joins every failed amount bound', () => {
    expect(
      stepSkipReasons.amount(8_000, 'CNY', [
        { op: '≥', value: 10_000 },
        { op: '>', value: 9_000 },
      ]),
    ).toBe('金额 ¥8,000.00 不满足 ≥ ¥10,000.00 且 > ¥9,000.00');
  });

  it("status labels are the document module's own", () => {
    expect(documentStatusLabels).toBe(kingdeeStatusLabels);
  });
});
