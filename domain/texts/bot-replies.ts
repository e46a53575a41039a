/**
 * Answers to the person deciding: the one-line answer when a decision (card button or text reply) was accepted,
 * why one was refused and what to do instead, the robot's other replies to text messages (help, the list of pending
 * approvals, "which one?", "processing"), and the words it understands at the start of a text reply.
 *
 * Pure and deterministic (runs in the Temporal workflow sandbox).
 */
import type { DocumentSummary } from '../document';

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
  list: ['待办', '待审批', '列表', 'list'],
} as const satisfies Record<string, readonly string[]>;

/** One pending approval as the robot lists it: its summary line when the approval has one, else what names it. */
export interface PendingListItem {
  workflowId: string;
  billNo?: string;
  summary?: string;
}

/** Other robot text replies. */
export const botReplies = {
  help: (): string =>
    '可以这样回复：\n同意 单据编号 [意见]，例如：同意 FYBX000123\n驳回 单据编号 原因，例如：驳回 FYBX000123 发票缺失\n待办：查看待我审批的单据',
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
} as const;
