/**
 * What a scenario left behind, per document: audits in Kingdee's document history, the approval cards DingTalk
 * holds (one per step and approver, none left pending or "processing"), the notices (the applicant's work
 * notification and the cashier group's follow-up, each exactly once as the person sees them: merged messages count
 * for every bill they name; a work notification resent with identical content, which DingTalk drops (reference:
 * identical content to the same user once a day), is noted, not counted, since nobody sees it — any other repeat
 * counts as a duplicate), the approval workflows as Temporal lists them
 * (ExecutionStatus and ApprovalStage), and the messages to the ops group (outage alerts, "recovered" messages, and
 * every other alert — needs-attention, a notice that may not have arrived — which a drill must not cause).
 */
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { noticeChannelLabel } from '../../domain/texts/merged-notices';
import { ApprovalStage, KingdeeBillNo } from '../../workflows/search-attributes';
import type { Card } from './actors';
import { http, namespace } from './world';

export interface Submitted {
  billNo: string;
  amount: number;
}

interface KingdeeDocument {
  billNo: string;
  status: string;
  history: Array<{ operation: string }>;
}

interface Message {
  kind: string;
  userId?: string;
  groupId?: string;
  title?: string;
  text: string;
  at: number;
  dropped?: boolean;
  dropReason?: 'duplicate' | 'dailyCap';
}

/** Counts that must be zero for the scenario to pass. */
export interface MustBeZero {
  auditedTwice: number;
  auditedNever: number;
  cardsDuplicated: number;
  cardsMissing: number;
  cardsStale: number;
  noticesDuplicated: number;
  noticesMissing: number;
  workflowsFailed: number;
  workflowsStuck: number;
}

export interface Counts extends MustBeZero {
  documents: number;
  auditedOnce: number;
  /** Messages to the ops group since the scenario started, rules-sent pushes (【预警】, 体检) aside: */
  opsAlerts: number;
  /** … of which outage alerts (【故障】, one per outage that lasted) … */
  outageAlerts: number;
  /** … and "it is over" messages (【恢复】, one after each outage alert) … */
  outageRecoveries: number;
  /**
   * … and requests to check a group message (【需要核对】): a custom robot's post whose worker was killed after the
   * request left and before Temporal recorded the result. Nobody can know whether DingTalk took it (custom robots have
   * no idempotency key), so it is never sent again and ops check; the notice counts above still show whether it
   * arrived (at most once, by design). One that did not arrive is in front of a person, as designed: it is noted
   * (`examples.handedToOpsNotArrived`), not counted missing.
   */
  uncertainChecks: number;
  /** Bills behind each non-zero count, for the report. */
  examples: Record<string, string[]>;
}

const expectedSteps = (doc: Submitted): Array<{ stepId: string; userId: string }> => [
  { stepId: 'dept-manager', userId: 'lisi' },
  { stepId: 'finance-manager', userId: 'wangwu' },
  ...(doc.amount > 50_000 ? [{ stepId: 'cfo', userId: 'zhaoliu' }] : []),
];

const audits = (doc: KingdeeDocument) =>
  doc.history.filter((h) => h.operation === 'Audit' || h.operation === 'WorkflowAudit').length;

/** How many times each bill is named by these messages (a merged message names several). */
function mentions(messages: readonly Message[], billNos: readonly string[]): Map<string, number> {
  const result = new Map<string, number>(billNos.map((b) => [b, 0]));
  for (const message of messages) {
    const text = `${message.title ?? ''}\n${message.text}`;
    for (const billNo of billNos) if (text.includes(billNo)) result.set(billNo, result.get(billNo)! + 1);
  }
  return result;
}

export interface Snapshot {
  documents: KingdeeDocument[];
  cards: Card[];
  cashier: Message[];
  applicant: Message[];
  ops: Message[];
  runs: Map<string, { status: string; stage?: string }[]>;
}

export async function snapshot(
  urls: { kingdee: string; dingtalk: string },
  temporalAddress: string,
): Promise<Snapshot> {
  const [documents, cards, cashier, applicant, ops] = await Promise.all([
    http<KingdeeDocument[]>('GET', `${urls.kingdee}/_emulator/documents`),
    http<Card[]>('GET', `${urls.dingtalk}/_emulator/cards`),
    http<Message[]>('GET', `${urls.dingtalk}/_emulator/messages?groupId=cidCashier`),
    http<Message[]>('GET', `${urls.dingtalk}/_emulator/messages?userId=zhangsan`),
    http<Message[]>('GET', `${urls.dingtalk}/_emulator/messages?groupId=cidOps`),
  ]);
  return { documents, cards, cashier, applicant, ops, runs: await approvalRuns(temporalAddress) };
}

/** Every approval workflow run by bill number (newest first), as Temporal's visibility lists them. */
async function approvalRuns(address: string): Promise<Map<string, { status: string; stage?: string }[]>> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const client = new Client({ connection, namespace });
    const infos: WorkflowExecutionInfo[] = [];
    await client.withDeadline(Date.now() + 30_000, async () => {
      for await (const info of client.workflow.list({ query: 'WorkflowType="approvalWorkflow"' })) infos.push(info);
    });
    infos.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
    const runs = new Map<string, { status: string; stage?: string }[]>();
    for (const info of infos) {
      const billNo = info.typedSearchAttributes.get(KingdeeBillNo);
      if (!billNo) continue;
      const list = runs.get(billNo) ?? [];
      list.push({ status: info.status.name, stage: info.typedSearchAttributes.get(ApprovalStage) });
      runs.set(billNo, list);
    }
    return runs;
  } finally {
    await connection.close();
  }
}

const isUncertainCheck = (m: Message) => (m.title ?? m.text).startsWith('【需要核对】');

/** How a request to check names each notice's channel: the cashier group's robot (or its card), the work notice. */
const channelLabels = {
  cashier: [
    noticeChannelLabel({ kind: 'robot', robot: 'cashier' }).trim(),
    noticeChannelLabel({ kind: 'groupCard', groupId: 'cidCashier' }),
  ],
  applicant: [noticeChannelLabel({ kind: 'workNotice' })],
};

/**
 * Whether ops were asked to check this bill's notice on this channel: its send was cut off mid-request, so its sender
 * could not know whether DingTalk posted it and never sends it again (at most once, by design).
 */
function handedToOps(ops: readonly Message[], billNo: string, notice: keyof typeof channelLabels): boolean {
  return ops.some(
    (m) =>
      isUncertainCheck(m) && m.text.includes(billNo) && channelLabels[notice].some((label) => m.text.includes(label)),
  );
}

/**
 * Whether a bill is done everywhere: audited, its workflow completed, its cards decided, both notices there (or
 * handed to ops to check).
 */
export function finished(snap: Snapshot, doc: Submitted): boolean {
  const kd = snap.documents.find((d) => d.billNo === doc.billNo);
  const latest = snap.runs.get(doc.billNo)?.[0];
  const cards = snap.cards.filter((c) => c.cardParamMap.billNo === doc.billNo);
  const noticeThere = (messages: readonly Message[], notice: keyof typeof channelLabels) =>
    mentions(messages, [doc.billNo]).get(doc.billNo)! > 0 || handedToOps(snap.ops, doc.billNo, notice);
  return (
    !!kd &&
    audits(kd) > 0 &&
    latest?.status === 'COMPLETED' &&
    cards.length >= expectedSteps(doc).length &&
    cards.every((c) => !['pending', 'processing'].includes(c.cardParamMap.status ?? '')) &&
    noticeThere(snap.cashier, 'cashier') &&
    noticeThere(snap.applicant, 'applicant')
  );
}

export function count(snap: Snapshot, docs: readonly Submitted[], since: number): Counts {
  const billNos = docs.map((d) => d.billNo);
  const examples: Record<string, string[]> = {};
  const note = (key: string, billNo: string) => (examples[key] ??= []).push(billNo);
  // The ops group also gets what the rules send it on purpose (threshold watches 【预警】, the weekly 同步体检):
  // those are not alerts.
  const alerts = snap.ops.filter((m) => m.at >= since && !/^【预警】|体检/.test(m.title ?? m.text));
  const counts: Counts = {
    documents: docs.length,
    auditedOnce: 0,
    auditedTwice: 0,
    auditedNever: 0,
    cardsDuplicated: 0,
    cardsMissing: 0,
    cardsStale: 0,
    noticesDuplicated: 0,
    noticesMissing: 0,
    workflowsFailed: 0,
    workflowsStuck: 0,
    opsAlerts: alerts.length,
    outageAlerts: alerts.filter((m) => (m.title ?? m.text).startsWith('【故障】')).length,
    outageRecoveries: alerts.filter((m) => (m.title ?? m.text).startsWith('【恢复】')).length,
    uncertainChecks: alerts.filter(isUncertainCheck).length,
    examples,
  };
  const cashier = mentions(snap.cashier, billNos);
  const workNotices = snap.applicant.filter((m) => m.kind === 'workNotification');
  const droppedAsIdentical = (m: Message) => m.dropped === true && m.dropReason === 'duplicate';
  const applicant = mentions(
    workNotices.filter((m) => !droppedAsIdentical(m)),
    billNos,
  );
  for (const [billNo, n] of mentions(workNotices.filter(droppedAsIdentical), billNos))
    if (n > 0) note('resentIdenticalDroppedByDingTalk', `${billNo}×${n}`);
  for (const m of alerts) note('opsAlerts', (m.title ?? m.text).slice(0, 120));
  /** Add `n` to a must-be-zero count and note the bill (and detail) behind it. */
  const flag = (key: keyof MustBeZero, what: string, n = 1) => {
    counts[key] += n;
    note(key, what);
  };
  for (const doc of docs) {
    const kd = snap.documents.find((d) => d.billNo === doc.billNo);
    const n = kd ? audits(kd) : 0;
    if (n === 1) counts.auditedOnce += 1;
    else if (n === 0) flag('auditedNever', doc.billNo);
    else flag('auditedTwice', `${doc.billNo}×${n}`);

    const cards = snap.cards.filter((c) => c.cardParamMap.billNo === doc.billNo);
    for (const step of expectedSteps(doc)) {
      const mine = cards.filter((c) => c.cardParamMap.stepId === step.stepId && c.userIds.includes(step.userId));
      if (mine.length === 0) flag('cardsMissing', `${doc.billNo}:${step.stepId}`);
      if (mine.length > 1) flag('cardsDuplicated', `${doc.billNo}:${step.stepId}`, mine.length - 1);
    }
    for (const card of cards)
      if (['pending', 'processing'].includes(card.cardParamMap.status ?? ''))
        flag('cardsStale', `${doc.billNo}:${card.cardParamMap.stepId}:${card.cardParamMap.status}`);

    for (const [what, seen] of [
      ['cashier', cashier.get(doc.billNo) ?? 0],
      ['applicant', applicant.get(doc.billNo) ?? 0],
    ] as const) {
      if (seen === 0 && handedToOps(alerts, doc.billNo, what)) note('handedToOpsNotArrived', `${doc.billNo}:${what}`);
      else if (seen === 0) flag('noticesMissing', `${doc.billNo}:${what}`);
      if (seen > 1) flag('noticesDuplicated', `${doc.billNo}:${what}×${seen}`, seen - 1);
    }

    const runs = snap.runs.get(doc.billNo) ?? [];
    const latest = runs[0];
    const abnormal = runs.filter((r) => !['RUNNING', 'COMPLETED'].includes(r.status));
    if (abnormal.length > 0)
      flag('workflowsFailed', `${doc.billNo}:${abnormal.map((r) => `${r.status}/${r.stage ?? '-'}`).join(',')}`);
    else if (!latest || latest.status !== 'COMPLETED' || latest.stage !== 'approved')
      flag('workflowsStuck', `${doc.billNo}:${latest ? `${latest.status}/${latest.stage ?? '-'}` : 'no workflow'}`);
  }
  return counts;
}

export const mustBeZeroKeys: Array<keyof MustBeZero> = [
  'auditedTwice',
  'auditedNever',
  'cardsDuplicated',
  'cardsMissing',
  'cardsStale',
  'noticesDuplicated',
  'noticesMissing',
  'workflowsFailed',
  'workflowsStuck',
];
