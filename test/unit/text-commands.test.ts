/**
 * Text replies to the bot, without Temporal: the parser reads bill numbers only against the sender's pending
 * approvals (never by what numbers look like), the help text's examples all parse, and the handlers answer every
 * decide outcome (ended, unavailable …) and refuse 转交 / 加签 to people DingTalk does not know, before deciding.
 */
import { silentLogger } from '../../common/logger';
import { botReplies, textCommandExamples, urgencyReplies, type PersonCandidate } from '../../domain/texts';
import {
  cardAnswerInTimeMs,
  cardTipParam,
  createDingTalkHandlers,
  type HandlerApprovals,
} from '../../api/dingtalk-handlers';
import { Metrics } from '../../api/metrics';
import type { PeopleLookup, PersonLookup } from '../../api/people-lookup';
import {
  billNoCandidates,
  interpretTextCommand,
  matchBill,
  parseTextCommand,
  parseUrgencyRequest,
} from '../../api/text-commands';
import type { DecideOutcome, PendingApproval } from '../../temporal/approvals';
import type { ApprovalState, CardAnswered, DecisionInput, MarkUrgentInput } from '../../workflows/contract';

const pending = (...billNos: string[]) => billNos.map((billNo) => ({ workflowId: `approval:a:F:${billNo}`, billNo }));

describe('parseTextCommand', () => {
  it('reads the command word and keeps the rest as typed', () => {
    expect(parseTextCommand('驳回 QA/2026 001 发票缺失\n请补充 🙏')).toEqual({
      kind: 'command',
      action: 'reject',
      rest: 'QA/2026 001 发票缺失\n请补充 🙏',
    });
    expect(parseTextCommand(' @审批助手 同意')).toEqual({ kind: 'command', action: 'approve', rest: '' });
    expect(parseTextCommand('OK　FYBX000123')).toEqual({ kind: 'command', action: 'approve', rest: 'FYBX000123' });
    expect(parseTextCommand('加签 FYBX000123 赵六')).toMatchObject({ action: 'addApprover' });
    expect(parseTextCommand('待办')).toEqual({ kind: 'list' });
    expect(parseTextCommand('你好')).toEqual({ kind: 'help' });
    expect(parseTextCommand('   ')).toEqual({ kind: 'help' });
  });

  it('does not upper-case or reshape what follows (a comment may hold @ and line breaks)', () => {
    expect(parseTextCommand('同意 qa-报销-7 已核对 @财务\n谢谢')).toMatchObject({
      rest: 'qa-报销-7 已核对 @财务\n谢谢',
    });
  });
});

describe('matchBill: bill numbers against the sender’s pending approvals', () => {
  const mine = pending('QA/2026 001', 'QA-报销-7', 'qa8-cfo-01', 'FYBX000123');

  it.each([
    ['QA/2026 001', 'QA/2026 001', ''],
    ['QA/2026 001 发票缺失', 'QA/2026 001', '发票缺失'],
    ['QA/2026   001  发票缺失', 'QA/2026 001', '发票缺失'],
    ['QA-报销-7 😀 同意报销', 'QA-报销-7', '😀 同意报销'],
    ['qa-报销-7', 'QA-报销-7', ''],
    ['QA8-CFO-01 ok', 'qa8-cfo-01', 'ok'],
    ['fybx000123\n第二行', 'FYBX000123', '第二行'],
  ])('%j names %j, followed by %j', (rest, billNo, after) => {
    expect(matchBill(rest, mine)).toMatchObject({ kind: 'matched', billNo, after });
  });

  it('matches exactly before ignoring case, and the longest number first', () => {
    const both = pending('qa-1', 'QA-1', 'QA-1 2');
    expect(matchBill('QA-1 好', both)).toMatchObject({ kind: 'matched', billNo: 'QA-1', after: '好' });
    expect(matchBill('qa-1', both)).toMatchObject({ kind: 'matched', billNo: 'qa-1' });
    expect(matchBill('Qa-1', both)).toMatchObject({ kind: 'ambiguous' });
    expect(matchBill('QA-1 2 好', both)).toMatchObject({ kind: 'matched', billNo: 'QA-1 2', after: '好' });
  });

  it('needs the number to end where a word ends: QA-10 is not QA-1', () => {
    expect(matchBill('QA-10', pending('QA-1'))).toEqual({ kind: 'unmatched', rest: 'QA-10' });
    expect(matchBill('QA/2026 0011', pending('QA/2026 001'))).toMatchObject({ kind: 'unmatched' });
  });

  it('treats characters of a bill number literally', () => {
    expect(matchBill('A.B(1)', pending('A.B(1)'))).toMatchObject({ kind: 'matched' });
    expect(matchBill('AxB(1)', pending('A.B(1)'))).toMatchObject({ kind: 'unmatched' });
  });

  it('knows when the text names nothing', () => {
    expect(matchBill('  ', mine)).toEqual({ kind: 'none' });
  });

  it('offers the words a bill number not pending might be, for the caller to look up', () => {
    expect(billNoCandidates('qa/2026 009 发票缺失')).toEqual({
      named: 'qa/2026',
      candidates: ['qa/2026 009 发票缺失', 'QA/2026 009 发票缺失', 'qa/2026 009', 'QA/2026 009', 'qa/2026', 'QA/2026'],
    });
  });
});

describe('interpretTextCommand', () => {
  it('never applies a text that names another bill to the only pending one (赵六, QA8-CFO-01, "同意 QA-报销-9")', () => {
    expect(interpretTextCommand('同意 QA-报销-9', pending('QA8-CFO-01'))).toEqual({
      kind: 'unknownBill',
      rest: 'QA-报销-9',
    });
  });

  it('uses the only pending approval only when the text names no bill at all', () => {
    const only = pending('QA8-CFO-01');
    expect(interpretTextCommand('同意', only)).toEqual({
      kind: 'decide',
      action: 'approve',
      approval: only[0],
      billNo: 'QA8-CFO-01',
    });
    expect(interpretTextCommand('同意 没问题', only)).toEqual({ kind: 'unknownBill', rest: '没问题' });
    expect(interpretTextCommand('同意', [])).toEqual({ kind: 'nothingPending' });
    expect(interpretTextCommand('同意', pending('A-1', 'A-2'))).toMatchObject({ kind: 'whichBill' });
  });

  it('takes a rejection reason from what follows the matched bill number, intact', () => {
    expect(interpretTextCommand('驳回 QA/2026 001 发票缺失\n请补 🙏', pending('QA/2026 001'))).toMatchObject({
      kind: 'decide',
      action: 'reject',
      billNo: 'QA/2026 001',
      text: '发票缺失\n请补 🙏',
    });
    expect(interpretTextCommand('驳回 QA/2026 001', pending('QA/2026 001'))).not.toHaveProperty('text');
  });

  it('reads 转交 / 加签 as bill number then person, and needs both', () => {
    const mine = pending('QA40001');
    expect(interpretTextCommand('转交 QA40001 钱七', mine)).toMatchObject({
      kind: 'decide',
      action: 'transfer',
      text: '钱七',
    });
    expect(interpretTextCommand('加签 qa40001 13800000004', mine)).toMatchObject({
      action: 'addApprover',
      billNo: 'QA40001',
      text: '13800000004',
    });
    expect(interpretTextCommand('转交 钱七', mine)).toEqual({ kind: 'unknownBill', rest: '钱七' });
    expect(interpretTextCommand('转交', mine)).toEqual({ kind: 'transferNeedsBill', action: 'transfer' });
    expect(interpretTextCommand('转交 QA40001', mine)).toEqual({
      kind: 'transferNeedsPerson',
      action: 'transfer',
      billNo: 'QA40001',
    });
  });

  it('every example the help text shows parses to what it says', () => {
    const help = botReplies.help();
    const shown = [...help.matchAll(/(?:例如|可只回复)：(.+)$/gmu)].map((m) => m[1]!);
    expect(shown.length).toBeGreaterThanOrEqual(5);
    const examples = Object.values(textCommandExamples);
    for (const example of shown) expect(examples).toContain(example);
    for (const example of examples) expect(help).toContain(example);
    const one = pending('FYBX000123');
    expect(interpretTextCommand(textCommandExamples.approve, one)).toMatchObject({ kind: 'decide', action: 'approve' });
    expect(interpretTextCommand('同意 FYBX000123 情况属实', one)).toMatchObject({
      kind: 'decide',
      text: '情况属实',
    });
    expect(interpretTextCommand(textCommandExamples.approveOnlyPending, one)).toMatchObject({ kind: 'decide' });
    expect(interpretTextCommand(textCommandExamples.reject, one)).toMatchObject({
      action: 'reject',
      text: '发票缺失',
    });
    expect(interpretTextCommand(textCommandExamples.transfer, one)).toMatchObject({
      action: 'transfer',
      text: '钱七',
    });
    expect(interpretTextCommand(textCommandExamples.addApprover, one)).toMatchObject({
      action: 'addApprover',
      text: '赵六',
    });
    expect(interpretTextCommand(textCommandExamples.list, one)).toEqual({ kind: 'list' });
    // The other answers that show a format show one the parser accepts, too.
    for (const answer of [
      botReplies.whichBill(2, 'FYBX000123'),
      botReplies.transferNeedsBill('transfer', one),
      botReplies.transferNeedsPerson('addApprover', 'FYBX000123'),
    ]) {
      const example = /例如：(.+)$/mu.exec(answer)?.[1] ?? '';
      expect(interpretTextCommand(example, one)).toMatchObject({ kind: 'decide' });
    }
  });
});

// ── the handlers, with the approvals client and the people lookup faked ──────────────────────────────────────

const endedState = (stage: ApprovalState['stage'], patch: Partial<ApprovalState> = {}): ApprovalState => ({
  workflowId: 'approval:a:F:QA-1',
  stage,
  currentStepIndex: 0,
  steps: [
    {
      id: 'cfo',
      name: '财务总监审批',
      mode: 'any',
      slots: [
        {
          assignee: 'zhaoliu',
          delegates: [],
          decision: { by: 'zhaoliu', action: 'reject', at: '2026-11-24T02:33:00.000Z', comment: '发票缺失' },
        },
      ],
      approvers: ['zhaoliu'],
      names: { zhaoliu: '赵六' },
      approvedBy: [],
      startedAt: '2026-11-24T02:00:00.000Z',
      decidedAt: '2026-11-24T02:33:00.000Z',
      outcome: 'rejected',
      rejectReason: '发票缺失',
      remindersSent: 0,
      escalated: false,
    },
  ],
  escalated: false,
  log: [],
  document: { billNo: 'QA-1' } as ApprovalState['document'],
  ...patch,
});

function world(options: {
  pending?: string[];
  outcome?: DecideOutcome;
  people?: Record<string, PersonLookup>;
  running?: Record<string, ApprovalState>;
  users?: Record<string, { mobile?: string; managerUserId?: string }>;
}) {
  const decided: Array<[string, DecisionInput]> = [];
  const urgent: Array<[string, MarkUrgentInput]> = [];
  const answered: Array<[string, CardAnswered]> = [];
  const replies: string[] = [];
  const approvals: HandlerApprovals = {
    decide: jest.fn(async (workflowId: string, decision: DecisionInput): Promise<DecideOutcome> => {
      decided.push([workflowId, decision]);
      return options.outcome ?? { kind: 'unavailable' };
    }),
    list: jest.fn(async (filter: { billNo?: string; status?: string }) =>
      filter.billNo
        ? Object.entries(options.running ?? {})
            .filter(([billNo]) => billNo === filter.billNo && filter.status === 'running')
            .map(([billNo]) => ({ workflowId: `wf-${billNo}`, billNo, approvers: [], startTime: new Date() }))
        : (pending(...(options.pending ?? [])).map((p) => ({
            ...p,
            approvers: [],
            startTime: new Date(),
          })) as PendingApproval[]),
    ),
    status: jest.fn(async (workflowId: string) => options.running?.[workflowId.replace(/^wf-/, '')]),
    markUrgent: jest.fn(async (workflowId: string, input: MarkUrgentInput) => {
      urgent.push([workflowId, input]);
      return true;
    }),
    cardAnswered: jest.fn(async (workflowId: string, confirmation: CardAnswered) => {
      answered.push([workflowId, confirmation]);
    }),
  };
  const people: PeopleLookup = {
    find: async (query) => options.people?.[query] ?? { kind: 'notFound', query },
    user: async (userId) => {
      const user = options.users?.[userId];
      return user ? { userId, name: userId, deptIds: [], ...user } : undefined;
    },
  };
  const handlers = createDingTalkHandlers({ approvals, metrics: new Metrics(), logger: silentLogger, people });
  const say = (text: string) =>
    handlers.onBotText({ senderUserId: 'zhaoliu', text, reply: async (answer) => void replies.push(answer) });
  return { handlers, decided, urgent, answered, replies, say };
}

describe('handlers', () => {
  it('say how an ended approval ended, by whom and when, on a card and in a text', async () => {
    const w = world({ pending: ['QA-1'], outcome: { kind: 'ended', state: endedState('rejected') } });
    const answer = await w.handlers.onCardClick({
      outTrackId: 'c',
      userId: 'zhaoliu',
      actionIds: ['approve'],
      params: { workflowId: 'approval:a:F:QA-1', stepId: 'cfo' },
    });
    const ended = '单据 QA-1 已被 赵六 驳回（2026-11-24 10:33） · 原因：发票缺失，无需再操作';
    expect(answer).toEqual({
      userPrivateData: { cardParamMap: { [cardTipParam]: ended } },
      cardUpdateOptions: { updatePrivateDataByKey: true },
    });
    await w.say('同意 QA-1');
    expect(w.replies).toEqual([ended]);
  });

  it('tells the approval when an accepted click was answered in time, and only then', async () => {
    const cardParams = { status: 'approved', result: '已同意', title: '报销单 QA-1' };
    const accepted: DecideOutcome = {
      kind: 'accepted',
      result: { accepted: true, stage: 'writing-back', cardParams, message: '已同意' },
    };
    const click = {
      outTrackId: 'card-1',
      userId: 'zhaoliu',
      actionIds: ['approve'],
      params: { workflowId: 'approval:a:F:QA-1', stepId: 'cfo' },
    };
    const w = world({ outcome: accepted });
    const answer = await w.handlers.onCardClick(click);
    expect(answer.cardData?.cardParamMap).toEqual(cardParams);
    expect(w.answered).toEqual([]); // not before the transport has the answer
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.answered).toEqual([
      ['approval:a:F:QA-1', { outTrackId: 'card-1', status: 'approved', result: '已同意', title: '报销单 QA-1' }],
    ]);

    // An answer later than DingTalk waits for is not confirmed: the workflow updates the card itself.
    const slow = world({ outcome: accepted });
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValueOnce(1_000).mockReturnValue(1_000 + cardAnswerInTimeMs + 1);
      await slow.handlers.onCardClick(click);
    } finally {
      clock.mockRestore();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(slow.answered).toEqual([]);

    // DingTalk's 2 s run from when it sent the click: one that waited here 1.8 s before its handler ran is late.
    const waited = world({ outcome: accepted });
    await waited.handlers.onCardClick({ ...click, sentAt: Date.now() - 1_800 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited.answered).toEqual([]);
    // A sender's clock far behind ours (or ahead of it) says nothing about waiting: the arrival counts.
    const skewed = world({ outcome: accepted });
    await skewed.handlers.onCardClick({ ...click, sentAt: Date.now() - 60_000 });
    await skewed.handlers.onCardClick({ ...click, sentAt: Date.now() + 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(skewed.answered).toHaveLength(2);
  });

  it('says so when Temporal can take nothing, and changes no card', async () => {
    const w = world({ pending: ['QA-1'], outcome: { kind: 'unavailable' } });
    const answer = await w.handlers.onCardClick({
      outTrackId: 'c',
      userId: 'zhaoliu',
      actionIds: ['reject'],
      params: { workflowId: 'approval:a:F:QA-1', comment: '缺发票' },
    });
    expect(answer.cardData).toBeUndefined();
    expect(answer.userPrivateData?.cardParamMap[cardTipParam]).toBe('系统暂时无法处理，请稍后重试');
    await w.say('驳回 QA-1 缺发票');
    expect(w.replies).toEqual(['系统暂时无法处理，请稍后重试']);
    expect(w.decided.map(([, d]) => d.comment)).toEqual(['缺发票', '缺发票']);
  });

  it('refuses 转交 to someone DingTalk does not know, or to an ambiguous name, before deciding', async () => {
    const candidates: PersonCandidate[] = [
      { userId: 'wangfang1', name: '王芳', department: '销售部', mobileTail: '0011' },
      { userId: 'wangfang2', name: '王芳', department: '财务部', mobileTail: '0022' },
    ];
    const w = world({
      pending: ['QA40001'],
      people: { 王芳: { kind: 'ambiguous', query: '王芳', candidates, total: 2 } },
    });
    const answer = await w.handlers.onCardClick({
      outTrackId: 'c',
      userId: 'zhaoliu',
      actionIds: ['transfer'],
      params: { workflowId: 'approval:a:F:QA40001', targetUserId: 'wangxiaoming' },
    });
    expect(answer).toEqual({
      userPrivateData: { cardParamMap: { [cardTipParam]: '未找到钉钉用户 wangxiaoming，请核对姓名、userId 或手机号' } },
      cardUpdateOptions: { updatePrivateDataByKey: true },
    });
    await w.say('转交 QA40001 王芳');
    expect(w.replies).toEqual([
      [
        '钉钉中有 2 位名为 王芳 的用户，请用 userId 指定其中一位：',
        '1. 王芳 · 销售部 · 手机尾号 0011 · userId wangfang1',
        '2. 王芳 · 财务部 · 手机尾号 0022 · userId wangfang2',
        '例如：转交 QA40001 wangfang1',
      ].join('\n'),
    ]);
    expect(w.decided).toEqual([]);
  });

  it('lists the sender’s pending bills when a text names one that is not theirs', async () => {
    const w = world({ pending: ['QA8-CFO-01'] });
    await w.say('同意 QA-报销-9');
    expect(w.replies).toEqual(['未找到单据 QA-报销-9，请核对单据编号\n您有 1 张待审批单据：\n1. QA8-CFO-01']);
    expect(w.decided).toEqual([]);
  });
});

describe('asking to hurry a document', () => {
  it('reads the bill out of "王总急催 X", "X 加急" and "加急 QA/2026 001", never the title or the urgency words', () => {
    expect(parseUrgencyRequest('王总急催 FYBX000123')?.candidates).toContain('FYBX000123');
    expect(parseUrgencyRequest('FYBX000123 加急')?.candidates).toContain('FYBX000123');
    expect(parseUrgencyRequest('加急 QA/2026 001')?.candidates).toContain('QA/2026 001');
    expect(parseUrgencyRequest('王总急催 FYBX000123')?.candidates).not.toContain('王总');
    expect(parseUrgencyRequest('同意 FYBX000123')).toBeUndefined();
  });

  it('marks the running approval urgent when its applicant asks, and refuses a stranger', async () => {
    const state = endedState('awaiting-approval');
    state.document = {
      billNo: 'FYBX000123',
      applicant: { name: '张三', mobile: '13800000001' },
    } as ApprovalState['document'];
    const w = world({
      running: { FYBX000123: state },
      users: { zhaoliu: { mobile: '13800000001' } },
    });
    await w.say('FYBX000123 加急');
    expect(w.urgent).toEqual([['wf-FYBX000123', { by: 'zhaoliu', text: 'FYBX000123 加急', channel: 'text' }]]);
    expect(w.replies.at(-1)).toBe(urgencyReplies.marked('FYBX000123'));

    const stranger = world({ running: { FYBX000123: state }, users: { zhaoliu: { mobile: '13900000000' } } });
    await stranger.say('王总急催 FYBX000123');
    expect(stranger.urgent).toEqual([]);
    expect(stranger.replies.at(-1)).toBe(urgencyReplies.notAllowed('FYBX000123'));
  });

  it('answers that nothing runs under a number it does not know, and acts on nothing', async () => {
    const w = world({ running: {} });
    await w.say('加急 FYBX999');
    expect(w.urgent).toEqual([]);
    expect(w.replies.at(-1)).toBe(urgencyReplies.notRunning('FYBX999'));
  });
});
