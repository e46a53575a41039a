import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { loadRules, parseRules, type Rules } from '../../rules';
import {
  chainFailureTypes,
  resolveChain,
  rulesFingerprint,
  snapshotRules,
  tryResolveChain,
  writeBackPlan,
} from '../../rules/plan';
import { HOUR_MS } from '../../domain/duration';
import type { DocumentSummary } from '../../domain/document';

const rules = loadRules(path.join(__dirname, '../../config/rules.example.yaml'));

function expenseClaim(overrides: Partial<DocumentSummary> = {}): DocumentSummary {
  return {
    acctId: '62f1a9b3c4d5e6',
    formId: 'ER_ExpReimbursement',
    billNo: 'FYBX000123',
    billId: '100123',
    formName: '费用报销单',
    status: 'B',
    applicant: { name: '张三', mobile: '13800000001' },
    amount: 12_800,
    currency: 'CNY',
    purpose: '差旅费 上海客户拜访',
    orgName: '演示公司',
    deptName: '销售部',
    lines: [{ name: '差旅费', amount: 12_800 }],
    link: 'https://kingdee.example/FYBX000123',
    modifyDate: '2026-11-24T10:00:00.72',
    personMobiles: { FProposerID: '13800000001' },
    ...overrides,
  };
}

function failureOf(run: () => unknown): ApplicationFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected an ApplicationFailure');
}

/** A small rules file for the conditions the demo file does not use. */
const conditionRules = parseRules(
  `
calendar: { alwaysOpen: true }
robots: { finance: { webhook: finance } }
delegates: { wangwu: qianqi }
forms:
  ER_ExpReimbursement: { name: 费用报销单 }
chains:
  ER_ExpReimbursement:
    - id: sales
      name: 销售总监审批
      when: { department: [销售部, 市场部] }
      approvers: [{ user: lisi }]
    - id: east
      name: 华东区审批
      when: { org: 华东公司 }
      approvers: [{ kingdeeField: fproposerid }]
      delegates: { lisi: zhouba }
    - id: mid
      name: 中额审批
      when: { amount: { gte: 10000, lt: 50000 } }
      approvers: [wangwu]
`,
  'conditions.yaml',
);

describe('resolveChain with the demo rules', () => {
  it('plans manager then finance manager for ¥12,800, and says why the CFO step was skipped', () => {
    const plan = resolveChain(rules, expenseClaim());
    expect(plan.formName).toBe('费用报销单');
    expect(plan.steps.map((s) => [s.id, s.name])).toEqual([
      ['dept-manager', '部门经理审批'],
      ['finance-manager', '财务经理审批'],
    ]);
    expect(plan.steps[0]?.approvers).toEqual([{ kind: 'applicantManager' }]);
    expect(plan.steps[1]?.approvers).toEqual([{ kind: 'user', userId: 'wangwu' }]);
    expect(plan.skippedSteps).toEqual([
      { id: 'cfo', name: '财务总监审批', reason: '金额 ¥12,800.00 不满足 > ¥50,000.00' },
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it.each([
    [50_000, false],
    [50_000.01, true],
    [68_000, true],
  ])('¥%d adds the CFO (赵六): %s', (amount, withCfo) => {
    const plan = resolveChain(rules, expenseClaim({ amount }));
    expect(plan.steps.some((s) => s.id === 'cfo' && s.approvers[0]?.kind === 'user')).toBe(withCfo);
    if (withCfo) expect(plan.steps.at(-1)?.approvers).toEqual([{ kind: 'user', userId: 'zhaoliu' }]);
  });

  it('turns business durations into ms, a day being one working day (7.5 h)', () => {
    const [step] = resolveChain(rules, expenseClaim()).steps;
    expect(step).toMatchObject({
      mode: 'any',
      remindAfterMs: 4 * HOUR_MS,
      remindEveryMs: 4 * HOUR_MS,
      escalateAfterMs: 7.5 * HOUR_MS,
      finalAfterMs: 22.5 * HOUR_MS,
      finalAction: {
        type: 'notify',
        to: { robot: { name: 'finance', label: '财务审批群', webhook: 'finance' }, approvers: true, users: [] },
        text: '{单据类型} {单号} 已超过 3 个工作日未审批，请尽快处理',
      },
    });
  });

  it('takes a step’s own timeouts and final action over the defaults', () => {
    const plan = resolveChain(rules, expenseClaim({ formId: 'AP_Payable', formName: '应付单', billNo: 'AP0001' }));
    expect(plan.steps[0]).toMatchObject({
      finalAfterMs: 37.5 * HOUR_MS,
      finalAction: { type: 'reject', reason: '应付单 5 个工作日未审核，已自动退回，请核对后重新提交' },
    });
  });

  it('plans the payment bill with WorkflowAudit and the cashier follow-up', () => {
    const plan = resolveChain(rules, expenseClaim({ formId: 'AP_PAYBILL', billNo: 'FKD000045', amount: 68_000 }));
    expect(plan.steps.map((s) => s.id)).toEqual(['finance-manager', 'cfo']);
    expect(plan.writeBack.approve).toBe('workflowAudit');
    expect(plan.writeBack.reject).toBe('workflowReject');
    expect(plan.writeBack.followUps.approved).toEqual([
      {
        to: {
          robot: { name: 'cashier', label: '出纳群', webhook: 'cashier', openConversationId: 'cidCashier' },
          users: [],
          applicant: false,
          approvers: false,
        },
        template: '请出纳安排付款',
      },
    ]);
  });

  it('plans the purchase order as an all-must-approve countersign', () => {
    const plan = resolveChain(rules, expenseClaim({ formId: 'PUR_PurchaseOrder', billNo: 'CGDD000001' }));
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      mode: 'all',
      approvers: [
        { kind: 'user', userId: 'zhouba' },
        { kind: 'user', userId: 'wangwu' },
      ],
    });
  });

  it('carries the escalation group, the ops robot and the calendar', () => {
    const plan = resolveChain(rules, expenseClaim());
    expect(plan.escalation).toEqual({
      notifyManager: true,
      robot: { name: 'finance', label: '财务审批群', webhook: 'finance', openConversationId: 'cidFinanceApprovals' },
    });
    expect(plan.ops?.robot?.name).toBe('ops');
    expect(plan.calendar.offsetMinutes).toBe(480);
  });
});

describe('conditions on department, organisation and amount', () => {
  it('applies every step whose conditions hold, with the person field’s mobile and merged delegates', () => {
    const plan = resolveChain(conditionRules, expenseClaim({ orgName: '华东公司', amount: 10_000 }));
    expect(plan.steps.map((s) => s.id)).toEqual(['sales', 'east', 'mid']);
    // Kingdee field keys are case-insensitive: fproposerid finds FProposerID.
    expect(plan.steps[1]?.approvers).toEqual([{ kind: 'kingdeeField', field: 'fproposerid', mobile: '13800000001' }]);
    expect(plan.steps[1]?.delegates).toEqual({ wangwu: 'qianqi', lisi: 'zhouba' });
    expect(plan.steps[0]?.delegates).toEqual({ wangwu: 'qianqi' });
    expect(plan.steps[0]?.remindAfterMs).toBeUndefined();
  });

  it('skips steps and says why, in Chinese', () => {
    const midOnly = resolveChain(
      conditionRules,
      expenseClaim({ deptName: '财务部', orgName: undefined, amount: 20_000 }),
    );
    expect(midOnly.steps.map((s) => s.id)).toEqual(['mid']);
    expect(midOnly.skippedSteps.map((s) => s.reason)).toEqual([
      '部门「财务部」不在 销售部、市场部 中',
      '单据没有组织信息',
    ]);
    const salesOnly = resolveChain(conditionRules, expenseClaim({ orgName: '华北公司', amount: 50_000 }));
    expect(salesOnly.steps.map((s) => s.id)).toEqual(['sales']);
    expect(salesOnly.skippedSteps.map((s) => s.reason)).toEqual([
      '组织「华北公司」不在 华东公司 中',
      '金额 ¥50,000.00 不满足 < ¥50,000.00',
    ]);
  });

  it('keeps amount-conditioned steps for a document in another currency, and warns', () => {
    const plan = resolveChain(conditionRules, expenseClaim({ currency: 'USD', amount: 1 }));
    expect(plan.steps.map((s) => s.id)).toContain('mid');
    expect(plan.warnings).toEqual(['FYBX000123 的币别是 USD，金额条件按 CNY 编写，无法比较：已保留「中额审批」步骤']);
  });
});

describe('failures a person must look at', () => {
  it('an unknown form is FormNotConfigured, non-retryable', () => {
    const failure = failureOf(() => resolveChain(rules, expenseClaim({ formId: 'SAL_OUTSTOCK' })));
    expect(failure.type).toBe(chainFailureTypes.formNotConfigured);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('SAL_OUTSTOCK');
  });

  it('a form without a chain is NoApprovalChain', () => {
    const noChains = { ...rules, chains: {} };
    expect(failureOf(() => resolveChain(noChains, expenseClaim())).type).toBe(chainFailureTypes.noChain);
  });

  it('no applicable step is NoApplicableApprovalStep; tryResolveChain reports it without throwing', () => {
    const document = expenseClaim({ deptName: '财务部', orgName: '华北公司', amount: 5 });
    const failure = failureOf(() => resolveChain(conditionRules, document));
    expect(failure.type).toBe(chainFailureTypes.noApplicableStep);
    expect(failure.message).toContain('没有适用的审批步骤');
    expect(tryResolveChain(conditionRules, document)).toEqual({
      applicable: false,
      type: 'NoApplicableApprovalStep',
      reason: failure.message,
    });
    expect(tryResolveChain(rules, expenseClaim())).toMatchObject({
      applicable: true,
      plan: { formId: 'ER_ExpReimbursement' },
    });
  });
});

describe('snapshots and write-back plans', () => {
  it('captures only the form’s own part, as plain JSON, and plans exactly like the full rules', () => {
    const snapshot = snapshotRules(rules, 'ER_ExpReimbursement');
    expect(Object.keys(snapshot.forms)).toEqual(['ER_ExpReimbursement']);
    expect(Object.keys(snapshot.chains)).toEqual(['ER_ExpReimbursement']);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(resolveChain(snapshot, expenseClaim({ amount: 68_000 }))).toEqual(
      resolveChain(rules, expenseClaim({ amount: 68_000 })),
    );
  });

  it('is not affected by later changes to the rules object', () => {
    const live: Rules = JSON.parse(JSON.stringify(rules)) as Rules;
    const snapshot = snapshotRules(live, 'ER_ExpReimbursement');
    live.chains.ER_ExpReimbursement?.splice(0, 1);
    expect(resolveChain(snapshot, expenseClaim()).steps.map((s) => s.id)).toEqual(['dept-manager', 'finance-manager']);
    expect(resolveChain(live, expenseClaim()).steps.map((s) => s.id)).toEqual(['finance-manager']);
  });

  it('fingerprints the rules: stable for the same rules, different after an edit', () => {
    const copy: Rules = JSON.parse(JSON.stringify(rules)) as Rules;
    expect(rulesFingerprint(copy)).toBe(rulesFingerprint(rules));
    expect(rulesFingerprint(copy)).toMatch(/^[0-9a-f]{16}$/);
    copy.defaults.mode = 'all';
    expect(rulesFingerprint(copy)).not.toBe(rulesFingerprint(rules));
    expect(snapshotRules(rules, 'AP_PAYBILL').fingerprint).toBe(rulesFingerprint(rules));
  });

  it('snapshotting an unknown form fails like planning it', () => {
    expect(failureOf(() => snapshotRules(rules, 'NOPE')).type).toBe(chainFailureTypes.formNotConfigured);
  });

  it('writes back with Audit, and rejects with CancelAssign, where Kingdee runs no workflow', () => {
    expect(writeBackPlan(rules, 'ER_ExpReimbursement')).toMatchObject({ approve: 'audit', reject: 'cancelAssign' });
    expect(writeBackPlan(rules, 'PUR_PurchaseOrder').followUps.approved[0]).toMatchObject({
      to: { applicant: true },
      template: '采购订单 {单号} 已审批通过，可以下单',
    });
  });
});
