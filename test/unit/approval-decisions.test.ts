/**
 * The approval's decision rules (workflows/approval/decisions.ts) on plain state, without Temporal: who may decide,
 * what a decision changes, what each card shows and how decisions read in notices.
 */
import {
  applyDecision,
  bringInManager,
  cardStateFor,
  closedCardStateFor,
  closedHow,
  createStep,
  currentStep,
  decisionSummaries,
  isFinished,
  lastDecider,
  pendingSlots,
  refusalFor,
  rejectBySystem,
  settledCardState,
  unknownTarget,
  waitingOf,
  waitingSlots,
  waitingUserIds,
} from '../../workflows/approval/decisions';
import type { BusinessCalendar } from '../../domain/business-hours';
import type { ApprovalState, DecisionInput, StepState } from '../../workflows/contract';
import { appendEntry } from '../../domain/decision-log';
import { approvalRefusalText, cardResultText } from '../../domain/texts';

const T0 = '2026-11-24T02:00:00.000Z';
const T1 = '2026-11-24T02:30:00.000Z';
const T2 = '2026-11-24T03:00:00.000Z';
const T3 = '2026-11-24T03:30:00.000Z';

const people = [
  { userId: 'lisi', name: '李四' },
  { userId: 'wangwu', name: '王五' },
];

function step(mode: 'any' | 'all', delegates: Record<string, string> = {}, id = 'finance'): StepState {
  return createStep({ id, name: '财务审批', mode, delegates }, people, T0);
}

function stateWith(...steps: StepState[]): ApprovalState {
  const names = Object.assign({}, ...steps.map((s) => s.names)) as Record<string, string>;
  for (const s of steps) Object.assign(s.names, names, s.names);
  return {
    workflowId: 'approval:acct:ER_ExpReimbursement:FYBX000123',
    stage: 'awaiting-approval',
    currentStepIndex: steps.length - 1,
    steps,
    escalated: false,
    log: [],
  };
}

const approve = (userId: string, extra: Partial<DecisionInput> = {}): DecisionInput => ({
  userId,
  action: 'approve',
  channel: 'card',
  ...extra,
});

describe('createStep', () => {
  it('gives every approver a seat with the configured delegate, and lists everyone asked', () => {
    const s = step('all', { wangwu: 'zhaoliu' });
    expect(s.slots).toEqual([
      { assignee: 'lisi', delegates: [] },
      { assignee: 'wangwu', delegates: ['zhaoliu'] },
    ]);
    expect(s.approvers).toEqual(['lisi', 'wangwu', 'zhaoliu']);
    expect(s.names).toEqual({ lisi: '李四', wangwu: '王五' });
    expect(s.startedAt).toBe(T0);
    expect(s.outcome).toBeUndefined();
  });
});

const kind = (refusal: ReturnType<typeof refusalFor>) => refusal?.kind;

describe('refusalFor', () => {
  it('accepts an approver of the current step', () => {
    expect(refusalFor(stateWith(step('any')), approve('lisi', { stepId: 'finance' }))).toBeUndefined();
  });

  it('a card from an earlier step: says which step it was, who decided it, and where the approval is now', () => {
    const first = step('any', {}, 'dept-manager');
    first.name = '部门经理审批';
    applyDecision(stateWith(first), approve('lisi'), T1);
    const state = stateWith(first, step('any'));
    const refusal = refusalFor(state, approve('wangwu', { stepId: 'dept-manager' }));
    expect(refusal).toEqual({
      kind: 'stepMovedOn',
      stepName: '部门经理审批',
      outcome: 'approved',
      byName: '李四',
      nextStepName: '财务审批',
    });
    expect(approvalRefusalText(refusal!, { billNo: 'FYBX000123' })).toBe(
      '单据 FYBX000123 的「部门经理审批」已由 李四 同意，已进入「财务审批」，无需您再操作',
    );
    // A card of a step this approval never had (an older run): only where the approval is now.
    expect(refusalFor(state, approve('lisi', { stepId: 'gone' }))).toEqual({
      kind: 'stepMovedOn',
      nextStepName: '财务审批',
    });
  });

  it('refuses someone who is not an approver of the step', () => {
    expect(kind(refusalFor(stateWith(step('any')), approve('zhangsan')))).toBe('notApprover');
  });

  it('requires a comment to reject', () => {
    const state = stateWith(step('any'));
    expect(kind(refusalFor(state, { userId: 'lisi', action: 'reject', channel: 'card' }))).toBe('commentRequired');
    expect(kind(refusalFor(state, { userId: 'lisi', action: 'reject', comment: '  ', channel: 'card' }))).toBe(
      'commentRequired',
    );
    expect(
      refusalFor(state, { userId: 'lisi', action: 'reject', comment: '发票缺失', channel: 'card' }),
    ).toBeUndefined();
  });

  it('requires someone else as the target of a transfer or 加签', () => {
    const state = stateWith(step('any'));
    expect(kind(refusalFor(state, { userId: 'lisi', action: 'transfer', channel: 'card' }))).toBe('targetRequired');
    expect(
      kind(refusalFor(state, { userId: 'lisi', action: 'addApprover', targetUserId: 'lisi', channel: 'card' })),
    ).toBe('targetIsSelf');
    expect(
      refusalFor(state, { userId: 'lisi', action: 'transfer', targetUserId: 'zhaoliu', channel: 'card' }),
    ).toBeUndefined();
  });

  it('tells someone who already approved on an all-must-approve step that it is done', () => {
    const state = stateWith(step('all'));
    applyDecision(state, approve('lisi'), T1);
    expect(kind(refusalFor(state, approve('lisi')))).toBe('alreadyDecided');
    expect(refusalFor(state, approve('wangwu'))).toBeUndefined();
  });

  it('the second of two simultaneous clicks: the step was decided by the first, and the approval moves on', () => {
    const state = stateWith(step('any'));
    applyDecision(state, approve('lisi'), T1);
    // The step is decided; the next one has not started yet (its approvers are being looked up).
    expect(kind(refusalFor(state, approve('lisi')))).toBe('alreadyDecided');
    const refusal = refusalFor(state, approve('wangwu'), { nextStepName: '财务总监审批' });
    expect(refusal).toEqual({
      kind: 'stepMovedOn',
      stepName: '财务审批',
      outcome: 'approved',
      byName: '李四',
      nextStepName: '财务总监审批',
    });
    // The last step: it says the approval is through and being written back.
    expect(refusalFor(state, approve('wangwu'))).toEqual({
      kind: 'finished',
      outcome: 'approved',
      byName: '李四',
      writingBack: true,
    });
    state.stage = 'writing-back';
    expect(kind(refusalFor(state, approve('lisi')))).toBe('alreadyDecided');
    expect(approvalRefusalText(refusalFor(state, approve('wangwu'))!, { billNo: 'FYBX000123' })).toBe(
      '单据 FYBX000123 已由 李四 同意，审批已通过（正在写回金蝶），无需再操作',
    );
  });

  it('refuses everything before the first step starts, and while the approval needs attention', () => {
    const state: ApprovalState = { ...stateWith(), stage: 'starting', currentStepIndex: -1 };
    expect(refusalFor(state, approve('lisi'))).toEqual({ kind: 'starting' });
    const parked: ApprovalState = { ...stateWith(step('any')), stage: 'needs-attention' };
    expect(refusalFor(parked, approve('lisi'))).toEqual({ kind: 'needsAttention' });
    expect(approvalRefusalText({ kind: 'needsAttention' }, { billNo: 'FYBX000123' })).toBe(
      '单据 FYBX000123 遇到问题，正在等待管理员处理，暂时不能审批，请稍后再试',
    );
  });

  it('a withdrawn bill is withdrawn, for everyone — also for the approver who handed their seat on', () => {
    const state = stateWith(step('any'));
    currentStep(state)!.names.zhaoliu = '赵六';
    applyDecision(state, { userId: 'lisi', action: 'transfer', targetUserId: 'zhaoliu', channel: 'card' }, T1);
    expect(refusalFor(state, approve('lisi'))).toEqual({ kind: 'transferredAway', toName: '赵六' });
    // The change is seen, the approval is closing:
    const closing = refusalFor(state, approve('lisi'), { closing: 'A' });
    expect(closing).toEqual({ kind: 'closed', how: 'withdrawn', status: 'A' });
    expect(approvalRefusalText(closing!, { billNo: 'FYBX000123' })).toBe(
      '单据 FYBX000123 已被撤回（金蝶状态：创建），审批已取消，无需操作',
    );
    // … and closed: the log says how.
    state.log = appendEntry([], {
      actor: 'system',
      action: 'externalChange',
      channel: 'kingdee',
      at: T2,
      details: { source: 'poll', status: 'A' },
    });
    state.stage = 'closed-in-kingdee';
    expect(refusalFor(state, approve('lisi'))).toEqual(closing);
    expect(refusalFor(state, approve('zhaoliu'))).toEqual(closing);
    expect(closedHow(state)).toEqual(closing);
  });

  it('closed in Kingdee, deleted, or by an administrator', () => {
    const closedWith = (entry: Parameters<typeof appendEntry>[1]): ApprovalState => ({
      ...stateWith(step('any')),
      stage: 'closed-in-kingdee',
      log: appendEntry([], entry),
    });
    const change = { actor: 'system', action: 'externalChange', channel: 'kingdee', at: T2 } as const;
    expect(refusalFor(closedWith({ ...change, details: { status: 'C' } }), approve('lisi'))).toEqual({
      kind: 'closed',
      how: 'handledInKingdee',
      status: 'C',
    });
    expect(refusalFor(closedWith({ ...change, details: { status: 'deleted' } }), approve('lisi'))).toEqual({
      kind: 'closed',
      how: 'deleted',
    });
    // Histories from before the status was logged: handled in Kingdee.
    expect(refusalFor(closedWith({ ...change, details: { source: 'poll' } }), approve('lisi'))).toEqual({
      kind: 'closed',
      how: 'handledInKingdee',
    });
    expect(
      refusalFor(closedWith({ actor: 'ops', action: 'adminResolve', channel: 'admin', at: T2 }), approve('lisi')),
    ).toEqual({ kind: 'closed', how: 'adminResolved' });
  });
});

describe('closedCardStateFor', () => {
  it('keeps what each person decided in front of the closed note', () => {
    const s = step('all');
    const state = stateWith(s);
    applyDecision(state, approve('lisi', { comment: '同意' }), T1);
    const closed = { status: 'closed', reason: 'handledInKingdee', kingdeeStatus: 'C' } as const;
    const lisi = closedCardStateFor(s, 'lisi', closed);
    expect(lisi).toEqual({
      ...closed,
      earlier: { status: 'approved', byName: '李四', at: T1, comment: '同意' },
    });
    expect(cardResultText(lisi, { offsetMinutes: 480 })).toBe(
      '李四 已同意（2026-11-24 10:30） · 意见：同意；已在金蝶处理（金蝶状态：已审核），无需在钉钉操作',
    );
    expect(closedCardStateFor(s, 'wangwu', closed)).toEqual(closed); // still pending: only the note
  });
});

describe('settledCardState (what a click on a settled seat puts on the card)', () => {
  it('the decided state for someone who sat on the step; nothing while pending, for strangers or a closed approval', () => {
    const state = stateWith(step('all'));
    expect(settledCardState(state, 'finance', 'lisi')).toBeUndefined(); // still pending: the card keeps its buttons
    applyDecision(state, approve('lisi'), T1);
    expect(settledCardState(state, 'finance', 'lisi')).toEqual({ status: 'approved', byName: '李四', at: T1 });
    expect(settledCardState(state, 'finance', 'wangwu')).toBeUndefined(); // wangwu's seat is still open
    expect(settledCardState(state, 'finance', 'qianqi')).toBeUndefined(); // never asked: no card of theirs
    expect(settledCardState(state, 'other-step', 'lisi')).toBeUndefined();
    expect(settledCardState(state, undefined, 'lisi')).toBeUndefined();
    expect(settledCardState({ ...state, stage: 'closed-in-kingdee' }, 'finance', 'lisi')).toBeUndefined();
  });

  it('the step’s outcome for a seat someone else settled, and the transfer for who handed their seat on', () => {
    const anyStep = stateWith(step('any'));
    applyDecision(anyStep, approve('wangwu'), T1);
    expect(settledCardState(anyStep, 'finance', 'lisi')).toMatchObject({ status: 'approved', byName: '王五' });
    const handedOn = stateWith(step('any'));
    currentStep(handedOn)!.names.zhaoliu = '赵六';
    applyDecision(handedOn, approve('lisi', { action: 'transfer', targetUserId: 'zhaoliu' }), T1);
    expect(settledCardState(handedOn, 'finance', 'lisi')).toMatchObject({ status: 'transferred', toName: '赵六' });
  });
});

describe('applyDecision', () => {
  it('any: the first approval settles the step', () => {
    const state = stateWith(step('any'));
    const applied = applyDecision(state, approve('lisi', { comment: '同意' }), T1);
    expect(applied.outcome).toBe('approved');
    expect(applied.onBehalfOf).toBeUndefined();
    expect(applied.newcomer).toBeUndefined();
    const s = currentStep(state)!;
    expect(s.outcome).toBe('approved');
    expect(s.decidedAt).toBe(T1);
    expect(s.approvedBy).toEqual(['lisi']);
    expect(s.slots[0]!.decision).toEqual({ by: 'lisi', action: 'approve', at: T1, comment: '同意' });
    expect(pendingSlots(s).map((slot) => slot.assignee)).toEqual(['wangwu']);
    expect(waitingSlots(state)).toEqual([]); // decided: nobody is waited on any more
  });

  it('all: the step waits for every seat', () => {
    const state = stateWith(step('all'));
    expect(applyDecision(state, approve('lisi'), T1).outcome).toBeUndefined();
    expect(currentStep(state)!.outcome).toBeUndefined();
    expect(waitingUserIds(currentStep(state)!)).toEqual(['wangwu']);
    expect(applyDecision(state, approve('wangwu'), T2).outcome).toBe('approved');
    expect(currentStep(state)!.decidedAt).toBe(T2);
    expect(currentStep(state)!.approvedBy).toEqual(['lisi', 'wangwu']);
  });

  it('a rejection settles even an all-must-approve step and keeps the reason', () => {
    const state = stateWith(step('all'));
    const applied = applyDecision(
      state,
      { userId: 'wangwu', action: 'reject', comment: '发票缺失', channel: 'text' },
      T1,
    );
    expect(applied.outcome).toBe('rejected');
    expect(currentStep(state)!.rejectReason).toBe('发票缺失');
    expect(cardStateFor(currentStep(state)!, 'lisi')).toEqual({
      status: 'rejected',
      byName: '王五',
      at: T1,
      comment: '发票缺失',
    });
  });

  it('a delegate decides on the assignee’s behalf', () => {
    const state = stateWith(step('all', { wangwu: 'zhaoliu' }));
    currentStep(state)!.names.zhaoliu = '赵六';
    expect(refusalFor(state, approve('zhaoliu'))).toBeUndefined();
    const applied = applyDecision(state, approve('zhaoliu'), T1);
    expect(applied.onBehalfOf).toBe('wangwu');
    expect(currentStep(state)!.slots[1]!.decision?.by).toBe('zhaoliu');
    expect(kind(refusalFor(state, approve('wangwu')))).toBe('alreadyDecided'); // the seat is taken
    expect(cardStateFor(currentStep(state)!, 'wangwu')).toEqual({ status: 'pending' });
    expect(cardStateFor(currentStep(state)!, 'zhaoliu')).toMatchObject({ status: 'approved', byName: '赵六' });
    applyDecision(state, approve('lisi'), T2);
    expect(decisionSummaries(state.steps)).toEqual([
      { name: '赵六', action: 'approve', at: T1, onBehalfOf: '王五' },
      { name: '李四', action: 'approve', at: T2 },
    ]);
  });

  it('transfer hands the seat on: the old assignee’s card shows it transferred, the new one’s is pending', () => {
    const state = stateWith(step('any'));
    const s = currentStep(state)!;
    s.names.zhaoliu = '赵六';
    const applied = applyDecision(
      state,
      { userId: 'lisi', action: 'transfer', targetUserId: 'zhaoliu', channel: 'card' },
      T1,
    );
    expect(applied).toMatchObject({ newcomer: 'zhaoliu' });
    expect(applied.outcome).toBeUndefined();
    expect(s.slots[0]).toEqual({ assignee: 'zhaoliu', delegates: [], transferredFrom: ['lisi'], transferredAt: T1 });
    expect(s.approvers).toEqual(['lisi', 'wangwu', 'zhaoliu']);
    expect(cardStateFor(s, 'lisi')).toEqual({ status: 'transferred', byName: '李四', toName: '赵六', at: T1 });
    expect(cardStateFor(s, 'zhaoliu')).toEqual({ status: 'pending' });
    expect(refusalFor(state, approve('lisi'))).toEqual({ kind: 'transferredAway', toName: '赵六' });
    expect(refusalFor(state, approve('zhaoliu'))).toBeUndefined();

    applyDecision(state, approve('zhaoliu'), T2);
    expect(cardStateFor(s, 'zhaoliu')).toEqual({ status: 'approved', byName: '赵六', at: T2, comment: undefined });
    expect(cardStateFor(s, 'lisi')).toMatchObject({ status: 'transferred' }); // still says what they did
    expect(cardStateFor(s, 'wangwu')).toMatchObject({ status: 'approved', byName: '赵六' });
  });

  it('addApprover (加签) adds a seat an all-must-approve step then waits for', () => {
    const state = stateWith(step('all'));
    const applied = applyDecision(
      state,
      { userId: 'lisi', action: 'addApprover', targetUserId: 'zhaoliu', channel: 'card' },
      T1,
    );
    expect(applied.newcomer).toBe('zhaoliu');
    const s = currentStep(state)!;
    expect(s.slots[2]).toEqual({ assignee: 'zhaoliu', delegates: [], addedBy: 'lisi' });
    expect(s.approvers).toContain('zhaoliu');
    expect(refusalFor(state, approve('lisi'))).toBeUndefined(); // 加签 is not lisi's own decision
    applyDecision(state, approve('lisi'), T1);
    applyDecision(state, approve('wangwu'), T2);
    expect(s.outcome).toBeUndefined();
    expect(waitingUserIds(s)).toEqual(['zhaoliu']);
    expect(applyDecision(state, approve('zhaoliu'), T3).outcome).toBe('approved');
  });

  it('throws when given a decision the rules refuse', () => {
    expect(() => applyDecision(stateWith(step('any')), approve('zhangsan'), T1)).toThrow();
  });
});

describe('unknownTarget', () => {
  it('names a transfer target the step cannot name yet, and nobody otherwise', () => {
    const state = stateWith(step('any'));
    const transfer: DecisionInput = { userId: 'lisi', action: 'transfer', targetUserId: 'zhaoliu', channel: 'card' };
    expect(unknownTarget(state, transfer)).toBe('zhaoliu');
    expect(unknownTarget(state, { ...transfer, targetUserId: 'wangwu' })).toBeUndefined();
    expect(unknownTarget(state, approve('lisi'))).toBeUndefined();
  });
});

describe('the final action rejecting (系统)', () => {
  it('shows 系统 on every card and in the summaries, after the people’s decisions', () => {
    const first = step('any', {}, 'dept-manager');
    const firstState = stateWith(first);
    applyDecision(firstState, approve('lisi', { comment: '同意' }), T1);
    const second = step('all');
    const state = stateWith(first, second);
    applyDecision(state, approve('wangwu'), T2);
    rejectBySystem(second, '超时未审批', T3);
    expect(second.outcome).toBe('rejected');
    expect(second.decidedAt).toBe(T3);
    expect(cardStateFor(second, 'lisi')).toEqual({ status: 'rejected', byName: '系统', at: T3, comment: '超时未审批' });
    expect(cardStateFor(second, 'wangwu')).toMatchObject({ status: 'rejected', byName: '系统' });
    expect(decisionSummaries(state.steps)).toEqual([
      { name: '李四', action: 'approve', at: T1, comment: '同意' },
      { name: '王五', action: 'approve', at: T2 },
      { name: '系统', action: 'reject', at: T3, comment: '超时未审批' },
    ]);
    expect(lastDecider(state.steps)).toBe('wangwu');
    expect(kind(refusalFor({ ...state, stage: 'writing-back' }, approve('lisi')))).toBe('alreadyDecided');
    expect(refusalFor({ ...state, stage: 'rejected' }, approve('zhaoliu'))).toEqual({
      kind: 'finished',
      outcome: 'rejected',
      byName: '系统',
      writingBack: false,
    });
  });

  it('adds no 系统 rejection when a person rejected', () => {
    const state = stateWith(step('any'));
    applyDecision(state, { userId: 'lisi', action: 'reject', comment: '不符合规定', channel: 'card' }, T1);
    expect(decisionSummaries(state.steps)).toEqual([{ name: '李四', action: 'reject', at: T1, comment: '不符合规定' }]);
  });
});

describe('bringInManager (escalation)', () => {
  it('adds the manager as a delegate once, never the assignee themselves', () => {
    const s = step('any');
    const slot = s.slots[0]!;
    expect(bringInManager(s, slot, null)).toBe(false);
    expect(bringInManager(s, slot, { userId: 'lisi', name: '李四' })).toBe(false);
    expect(bringInManager(s, slot, { userId: 'boss', name: '老板' })).toBe(true);
    expect(bringInManager(s, slot, { userId: 'boss', name: '老板' })).toBe(false);
    expect(slot.delegates).toEqual(['boss']);
    expect(s.names.boss).toBe('老板');
    expect(s.approvers).toEqual(['lisi', 'wangwu', 'boss']);
    const state = stateWith(s);
    expect(waitingSlots(state).flatMap((x) => [x.assignee, ...x.delegates])).toEqual(['lisi', 'boss', 'wangwu']);
    const applied = applyDecision(state, approve('boss'), T1);
    expect(applied.onBehalfOf).toBe('lisi');
    expect(decisionSummaries(state.steps)).toEqual([{ name: '老板', action: 'approve', at: T1, onBehalfOf: '李四' }]);
  });
});

describe('waiting', () => {
  it('names the undecided assignees and counts business time with the clock passed in', () => {
    const s = step('all');
    applyDecision(stateWith(s), approve('lisi'), T1);
    const alwaysOpen: BusinessCalendar = {
      offsetMinutes: 480,
      alwaysOpen: true,
      workdays: [],
      hours: [],
      holidays: [],
      makeupWorkdays: [],
    };
    const waiting = waitingOf(s, Date.parse(T2), alwaysOpen);
    expect(waiting).toEqual({ stepName: '财务审批', waitingFor: ['王五'], waitedMs: 60 * 60_000 });
    const weekend = Date.parse('2026-11-28T02:00:00.000Z'); // Saturday 10:00 in China
    const officeHours: BusinessCalendar = {
      offsetMinutes: 480,
      alwaysOpen: false,
      workdays: [1, 2, 3, 4, 5],
      hours: [{ start: 9 * 60, end: 18 * 60 }],
      holidays: [],
      makeupWorkdays: [],
    };
    // Tuesday 10:00 → Saturday: the rest of Tuesday (8 h) and Wednesday to Friday (3 × 9 h).
    expect(waitingOf(s, weekend, officeHours).waitedMs).toBe((8 + 27) * 60 * 60_000);
  });
});

describe('isFinished', () => {
  it('holds for the end stages only', () => {
    expect(['approved', 'rejected', 'closed-in-kingdee', 'not-applicable'].every((s) => isFinished(s as never))).toBe(
      true,
    );
    expect(
      ['starting', 'awaiting-approval', 'writing-back', 'needs-attention'].some((s) => isFinished(s as never)),
    ).toBe(false);
  });
});
