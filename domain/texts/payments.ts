/**
 * The texts of the two ways from DingTalk into Kingdee: 确认付款 (a cashier's reply pushes an approved bill down to a
 * 付款单) and the reimbursement assistant (a chat message becomes a 费用报销单 once its sender confirms).
 *
 * Pure and deterministic (the payment and draft workflows import it).
 */
import type { ExpenseProposal } from '../assist';
import { documentStatusLabels, type DocumentStatus } from '../document';
import type { Notice } from './notices';
import { formatMoney } from './format';

/** The first words the bot reads for these two flows (api/text-commands.ts). */
export const paymentCommandWords = {
  pay: ['确认付款', '付款'],
  confirm: ['确认', '确定', '是', 'yes'],
  cancel: ['取消', '算了', 'no'],
  /** A message starting with one of these is a reimbursement for the assistant. */
  expense: ['报销'],
} as const satisfies Record<string, readonly string[]>;

const statusLabel = (status: string): string => documentStatusLabels[status as DocumentStatus] ?? status;

export const paymentReplies = {
  /** 确认付款 without a bill number. */
  needsBill: (): string => '请写明要付款的单据编号，例如：确认付款 FYBX000123',
  notCashier: (): string => '只有出纳可以确认付款；如需付款请联系出纳',
  notFound: (billNo: string): string => `未找到单据 ${billNo}，请核对单据编号（只有已审核的报销单可以确认付款）`,
  notAudited: (billNo: string, status: string): string =>
    `单据 ${billNo} 当前状态为「${statusLabel(status)}」，审核通过后才能确认付款`,
  /** `已生成付款单 FKD00000001（来源 FYBX000123，已提交）`; `again`: it existed already. */
  paid: (billNo: string, paymentBillNo: string, status: string, again: boolean): string =>
    again
      ? `${billNo} 已生成过付款单 ${paymentBillNo}（${statusLabel(status)}），未重复生成`
      : `已生成付款单 ${paymentBillNo}（来源 ${billNo}，${statusLabel(status)}）`,
  processing: (billNo: string): string => `正在为 ${billNo} 生成付款单，完成后会在出纳群通知`,
  /** Kingdee refused (e.g. 结算方式必录): its reason verbatim, and what to do. */
  refused: (billNo: string, reason: string, paymentBillNo?: string): string =>
    paymentBillNo
      ? `付款单 ${paymentBillNo}（来源 ${billNo}）已生成，但金蝶未能提交：${reason}。请在金蝶处理后再回复 确认付款 ${billNo}`
      : `金蝶未能为 ${billNo} 生成付款单：${reason}。请在金蝶补全单据后再回复 确认付款 ${billNo}`,
  unavailable: (): string => '暂时无法连接金蝶，请稍后再试',
};

/** The cashier group's notice: 已生成付款单 FKD… */
export function paymentCreatedNotice(input: {
  billNo: string;
  paymentBillNo: string;
  status: string;
  requestedByName?: string;
}): Notice {
  const by = input.requestedByName ? `，由 ${input.requestedByName} 确认` : '';
  return {
    title: `已生成付款单 ${input.paymentBillNo}`,
    text: `### 已生成付款单 ${input.paymentBillNo}\n\n来源单据 ${input.billNo}，付款单状态：${statusLabel(input.status)}${by}`,
  };
}

/** The assistant's answers (a proposal lapses after `expiresInMinutes` without 确认). */
export const draftReplies = {
  /** What the assistant understood, and what the sender answers. */
  proposal: (proposal: Pick<ExpenseProposal, 'summary' | 'complete' | 'questions'>, expiresInMinutes: number) =>
    proposal.complete
      ? `${proposal.summary}\n\n回复 确认 提交报销单，或 取消（${expiresInMinutes} 分钟内有效）`
      : [
          proposal.summary,
          '',
          '还需确认：',
          ...proposal.questions.map((q, i) => `${i + 1}. ${q.text}`),
          '请补全后重新发送整条报销消息',
        ].join('\n'),
  /** Nothing recognisable in a message starting with 报销. */
  notUnderstood: (): string =>
    '没有看懂这条报销，请写明日期、金额和费用项目，例如：报销 11月20日 上海客户拜访 差旅费 1280元 ERP升级项目',
  nothingToConfirm: (): string =>
    '没有可确认的报销：请先发送完整的报销内容（上一条还有问题未回答时，请补全后重新发送），例如：报销 11月20日 差旅费 1280元',
  saved: (billNo: string, amount: number, status: string): string =>
    `已提交报销单 ${billNo}（${formatMoney(amount, 'CNY')}，${statusLabel(status)}），将进入审批`,
  cancelled: (): string => '已取消，未在金蝶中生成单据',
  expired: (): string => '这条报销已超时未确认，请重新发送',
  processing: (): string => '正在金蝶中生成报销单，请稍候',
  noEmployee: (mobile?: string): string =>
    mobile
      ? `金蝶中没有手机号为 ${mobile} 的员工，无法以您的名义提交报销单，请联系管理员`
      : '您的钉钉账号没有手机号，无法对应金蝶员工，请联系管理员',
  unavailable: (): string => '暂时无法连接金蝶，请稍后再试',
};

/** The cashier group's notice when Kingdee refused the 付款单 (the answer may have gone out as "processing"). */
export function paymentRefusedNotice(input: { billNo: string; reason: string; paymentBillNo?: string }): Notice {
  return {
    title: `${input.billNo} 未能生成付款单`,
    text: `### ${input.billNo} 未能生成付款单\n\n${paymentReplies.refused(input.billNo, input.reason, input.paymentBillNo)}`,
  };
}
