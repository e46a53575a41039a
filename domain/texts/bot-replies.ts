/**
 * Answers to the person deciding: the one-line answer when a decision (card button or text reply) was accepted,
 * why one was refused and what to do instead, the robot's other replies to text messages (help, the list of pending
 * approvals, "which one?", "processing"), and the words it understands at the start of a text reply.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import type { DocumentSummary } from '../document';
import { formatTime, type Instant, type TimeZone } from './format';
import { stageLabels } from './web-ui';

type DocumentName = Pick<DocumentSummary, 'billNo'> | undefined;
const billOf = (document: DocumentName): string => (document ? ` ${document.billNo}` : '');

/** What the person is told after a decision was accepted: `已同意 FYBX000123`. */
export function decisionAnswer(
  document: Pick<DocumentSummary, 'billNo'>,
  decision: { action: 'approve' | 'reject' | 'transfer' | 'addApprover'; targetName?: string; targetUserId?: string },
): string {
  const target = decision.targetName ?? decision.targetUserId ?? '';
  switch (decision.action) {
    case 'approve':
      return `已同意 ${document.billNo}`;
    case 'reject':
      return `已驳回 ${document.billNo}`;
    case 'transfer':
      return `已将 ${document.billNo} 转交给 ${target}`;
    case 'addApprover':
      return `已为 ${document.billNo} 加签 ${target}`;
  }
}

export const refusalKinds = [
  'notFound',
  'notAwaiting',
  'staleCard',
  'notApprover',
  'alreadyDecided',
  'commentRequired',
  'targetRequired',
  'targetIsSelf',
] as const;
export type RefusalKind = (typeof refusalKinds)[number];

/** Why a decision was refused, said so the person knows what to do. */
export function refusal(kind: RefusalKind, document?: DocumentName): string {
  const bill = billOf(document);
  switch (kind) {
    case 'notFound':
      return `未找到单据${bill}，请核对单据编号`;
    case 'notAwaiting':
      return `单据${bill} 当前不在审批中，无需操作`;
    case 'staleCard':
      return `这张卡片已过期：单据${bill} 已进入其他审批步骤`;
    case 'notApprover':
      return `您不是该单据的审批人${document ? `（${document.billNo}）` : ''}`;
    case 'alreadyDecided':
      return `您已处理过单据${bill}，无需重复操作`;
    case 'commentRequired':
      return `驳回需要写明原因，例如：驳回${bill || ' FYBX000123'} 发票缺失`;
    case 'targetRequired':
      return '请指定转交或加签的人员';
    case 'targetIsSelf':
      return '不能转交或加签给自己';
  }
}

/**
 * The words a text reply may start with, by what they ask for (api/text-commands.ts matches the first word exactly).
 * botReplies.help teaches the common ones.
 */
export const textCommandWords = {
  approve: ['同意', '通过', '批准', '确认付款', '确认', 'approve', 'ok', 'OK'],
  reject: ['驳回', '拒绝', '不同意', '退回', 'reject'],
  transfer: ['转交', '转办'],
  addApprover: ['加签'],
  list: ['待办', '待审批', '列表', 'list'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The example replies the help text shows, exactly as a person would type them (a unit test parses each one against
 * a pending FYBX000123). `同意` alone only works while one approval waits for the sender.
 */
export const textCommandExamples = {
  approve: '同意 FYBX000123',
  approveOnlyPending: '同意',
  reject: '驳回 FYBX000123 发票缺失',
  transfer: '转交 FYBX000123 钱七',
  addApprover: '加签 FYBX000123 赵六',
  list: '待办',
} as const;

/**
 * The examples of the flows into Kingdee and of hurrying, as the help text shows them ("如：…"; a unit test reads
 * each one with the parsers the bot uses: the reimbursement assistant, 确认付款, 加急 / 急催).
 */
export const intoKingdeeExamples = {
  expense: '报销 昨天交通费 86.5 元 客户拜访 华东客户拓展项目',
  pay: '确认付款 FYBX000123',
  urgent: 'FYBX000123 加急',
  urgentFromBoss: '王总急催 FYBX000123',
} as const;

/** Who a 转交 / 加签 brings in, as a pick list line: `王芳 · 财务部 · 手机尾号 0007 · userId wangfang2`. */
export interface PersonCandidate {
  userId: string;
  name: string;
  department?: string;
  mobileTail?: string;
}

/** How an approval that no longer takes decisions ended, in plain data (the API reads it from the workflow state). */
export interface EndedApproval {
  billNo?: string;
  stage: string;
  /** Who settled it (a person's name, or 系统) and when. */
  byName?: string;
  at?: Instant;
  /** The rejection reason or approval comment; for closed-in-kingdee / not-applicable, what the log says. */
  comment?: string;
}

const transferVerb = (action: 'transfer' | 'addApprover') => (action === 'transfer' ? '转交' : '加签');
const pendingSuffix = (pending: readonly PendingListItem[]): string =>
  pending.length > 0 ? `\n${botReplies.pendingList(pending)}` : '';

/** One pending approval as the robot lists it: its summary line when the approval has one, else what names it. */
export interface PendingListItem {
  workflowId: string;
  billNo?: string;
  summary?: string;
}

/** Other robot text replies. */
export const botReplies = {
  help: (): string =>
    [
      '可以这样回复：',
      `同意 单据编号 [意见]，例如：${textCommandExamples.approve}`,
      `驳回 单据编号 原因，例如：${textCommandExamples.reject}`,
      `转交 单据编号 人员，例如：${textCommandExamples.transfer}`,
      `加签 单据编号 人员，例如：${textCommandExamples.addApprover}`,
      '（人员写姓名、钉钉 userId 或手机号）',
      `只有一张待审批单据时，可只回复：${textCommandExamples.approveOnlyPending}`,
      `${textCommandExamples.list}：查看待我审批的单据`,
      '',
      '也可以直接发：',
      `报销 日期 金额 费用项目 事由：生成费用报销单草稿，如：${intoKingdeeExamples.expense}（机器人回复确认卡片，回复「确认」提交到金蝶，「取消」放弃）`,
      `确认付款 单据编号：出纳确认已审核的报销单付款，生成金蝶付款单，如：${intoKingdeeExamples.pay}（仅限出纳）`,
      `加急 / 急催 单据编号：催办审批中的单据，如：${intoKingdeeExamples.urgent} 或 ${intoKingdeeExamples.urgentFromBoss}（申请人或审批人的主管）`,
    ].join('\n'),
  processing: (billNo: string): string => `正在处理 ${billNo}，请稍候`,
  failed: (billNo: string): string => `处理 ${billNo} 时出错，已通知管理员，请稍后再试`,
  nothingPending: (): string => '您当前没有待审批的单据',
  /** `您有 2 张待审批单据：\n1. 费用报销单 FYBX000123 · ¥12,800.00 · 张三\n2. …` */
  pendingList: (pending: readonly PendingListItem[]): string =>
    [
      `您有 ${pending.length} 张待审批单据：`,
      ...pending.map((p, i) => `${i + 1}. ${p.summary ?? p.billNo ?? p.workflowId}`),
    ].join('\n'),
  /** A reply without a bill number while several approvals wait for the sender. */
  whichBill: (count: number, exampleBillNo = 'FYBX000123'): string =>
    `您有 ${count} 张待审批单据，请写明单据编号，例如：同意 ${exampleBillNo}`,
  /** A reply naming a bill number no approval has. */
  unknownBill: (billNo: string): string => `未找到单据 ${billNo}`,
  /** A reply naming something that is no approval at all, followed by what does wait for the sender. */
  billNotFound: (named: string, pending: readonly PendingListItem[]): string =>
    `${botReplies.unknownBill(named)}，请核对单据编号${pendingSuffix(pending)}`,
  /** A reply naming a bill that waits for someone else, followed by what does wait for the sender. */
  notYourBill: (billNo: string, pending: readonly PendingListItem[]): string =>
    `${refusal('notApprover', { billNo })}${pendingSuffix(pending)}`,
  /** A reply without a bill number while several approvals wait: which one, and the list to pick from. */
  whichOf: (pending: readonly PendingListItem[]): string =>
    `${botReplies.whichBill(pending.length, pending.find((p) => p.billNo)?.billNo)}\n${botReplies.pendingList(pending)}`,
  /** Two pending approvals carry the same bill number (two forms): a text cannot tell them apart. */
  sameBillNo: (billNo: string, count: number): string =>
    `有 ${count} 张待审批单据的编号都是 ${billNo}，请在对应的审批卡片上操作`,
  /** 转交 / 加签 without a bill number. */
  transferNeedsBill: (action: 'transfer' | 'addApprover', pending: readonly PendingListItem[]): string =>
    `${transferVerb(action)}请写明单据编号和人员，例如：${transferVerb(action)} ${pending.find((p) => p.billNo)?.billNo ?? 'FYBX000123'} 钱七${pendingSuffix(pending)}`,
  /** 转交 / 加签 naming the bill but nobody to bring in. */
  transferNeedsPerson: (action: 'transfer' | 'addApprover', billNo: string): string =>
    `请写明${transferVerb(action)}给谁，例如：${transferVerb(action)} ${billNo} 钱七`,
  /** Nobody in DingTalk is called that (or has that userId / mobile). */
  personNotFound: (query: string): string => `未找到钉钉用户 ${query}，请核对姓名、userId 或手机号`,
  /** Several people share the name: list them so the sender can name one by userId. */
  personAmbiguous: (
    query: string,
    candidates: readonly PersonCandidate[],
    example: { action: 'transfer' | 'addApprover'; billNo?: string },
  ): string =>
    [
      `钉钉中有 ${candidates.length} 位名为 ${query} 的用户，请用 userId 指定其中一位：`,
      ...candidates.map(
        (c, i) =>
          `${i + 1}. ${[c.name, c.department, c.mobileTail ? `手机尾号 ${c.mobileTail}` : undefined, `userId ${c.userId}`].filter(Boolean).join(' · ')}`,
      ),
      ...(example.billNo && candidates[0]
        ? [`例如：${transferVerb(example.action)} ${example.billNo} ${candidates[0].userId}`]
        : []),
    ].join('\n'),
  /** DingTalk's address book could not be asked (network, permission): nothing was done. */
  peopleUnavailable: (): string => '暂时无法查询钉钉通讯录，未做任何处理，请稍后重试',
  /** A card whose approval Temporal does not know at all (an outdated card): nothing was done. */
  cardApprovalNotFound: (): string => '未找到这张卡片对应的审批，请在金蝶中查看单据状态',
  /** Temporal could neither take the decision nor store it: nothing was done. */
  unavailable: (): string => '系统暂时无法处理，请稍后重试',
  /** A decision on an approval that has ended: how it ended, by whom and when. */
  ended: (approval: EndedApproval, tz: TimeZone): string => {
    const bill = approval.billNo ? `单据 ${approval.billNo}` : '该单据';
    const when = approval.at !== undefined ? formatTime(approval.at, tz) : undefined;
    const byWhen = [approval.byName, when].filter(Boolean).join('，');
    const comment = approval.comment?.trim();
    switch (approval.stage) {
      case 'approved':
        return `${bill} 已审批通过${byWhen ? `（${byWhen}）` : ''}${comment ? ` · 意见：${comment}` : ''}，无需再操作`;
      case 'rejected':
        return `${bill} 已${approval.byName ? `被 ${approval.byName} ` : ''}驳回${when ? `（${when}）` : ''}${comment ? ` · 原因：${comment}` : ''}，无需再操作`;
      case 'closed-in-kingdee':
        return `${bill} 已在金蝶处理${[comment, when].some(Boolean) ? `（${[comment, when].filter(Boolean).join('，')}）` : ''}，无需在钉钉操作`;
      case 'not-applicable':
        return `${bill} 无需审批${comment ? `（${comment}）` : ''}`;
      default:
        return `${bill} 当前状态：${stageLabels[approval.stage] ?? approval.stage}，无需操作`;
    }
  },
} as const;

/**
 * Words that ask to hurry a document ("王总急催 FYBX000123", "FYBX000123 加急"). Matched inside a word too: 急催 in
 * 王总急催. Longest first, so 加急 is taken whole, not as 急.
 */
export const urgencyRequestWords = ['急催', '催办', '加急', '催一下', '尽快处理', '尽快', 'urgent', 'ASAP'] as const;

/** Answers to a request to hurry a document. */
export const urgencyReplies = {
  marked: (billNo: string): string => `已将单据 ${billNo} 标记为加急，审批人会看到【加急】并按加急时限催办`,
  notAllowed: (billNo: string): string => `只有申请人或审批人的主管可以催办单据 ${billNo}`,
  notRunning: (named: string): string => `未找到审批中的单据 ${named}，请核对单据编号`,
  needsBill: (): string => '请写明要催办的单据编号，例如：加急 FYBX000123',
};
