/**
 * 确认付款: an audited bill pushed down to a 付款单 in Kingdee (WebAPI Push with the rule the rules file names), then
 * submitted (and audited when configured).
 *
 * Exactly one 付款单 per source bill: the activity first asks Kingdee for a 付款单 linked to the source (its 源单明细
 * links) and pushes only when there is none, so a retry after a crash — or a second workflow run for the same bill —
 * finds the bill the first push made instead of pushing again. Submit and Audit are safe to repeat (already in state
 * is success).
 *
 * Also the API's side (`createPaymentRequests`): who may ask (the rules file's cashiers), which form holds the bill,
 * and the idempotent start of the one payment workflow per bill (`payment:<acct>:<form>:<bill>`).
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { KingdeeError, type KingdeeClient } from '../integrations/kingdee';
import type { Rules } from '../rules';
import { paymentWorkflowId, workflowTypes, type PaymentInput, type PaymentOutcome } from '../workflows/contract';

/** Where each target form keeps its links to the source bills (the 源单明细 entity's link, for ExecuteBillQuery). */
const linkSourceBillIdField: Record<string, string> = {
  AP_PAYBILL: 'FPAYBILLSRCENTRY_Link_FSBillId',
};

/** A string literal in a Kingdee FilterString. */
const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

async function findBill(
  kingdee: KingdeeClient,
  formId: string,
  billNo: string,
): Promise<{ id: string; billNo: string; status: string } | undefined> {
  const rows = await kingdee.executeBillQuery({
    formId,
    fieldKeys: ['FID', 'FBillNo', 'FDocumentStatus'],
    filterString: `FBillNo = ${quoted(billNo)}`,
    topRowCount: 1,
  });
  const row = rows[0];
  return row ? { id: String(row.FID), billNo: String(row.FBillNo), status: String(row.FDocumentStatus) } : undefined;
}

export function createPaymentActivities(deps: { kingdee: KingdeeClient; logger: Logger }) {
  const { kingdee, logger } = deps;

  /** The 付款单s linked to the source bill (any status but 暂存 drafts without a number). */
  async function downstream(
    targetFormId: string,
    sourceId: string,
  ): Promise<Array<{ id: string; billNo: string; status: string }>> {
    const linkField = linkSourceBillIdField[targetFormId] ?? `${targetFormId}_Link_FSBillId`;
    const rows = await kingdee.executeBillQuery({
      formId: targetFormId,
      fieldKeys: ['FID', 'FBillNo', 'FDocumentStatus'],
      filterString: `${linkField} = ${Number(sourceId)}`,
      orderString: 'FID ASC',
    });
    const byId = new Map<string, { id: string; billNo: string; status: string }>();
    for (const row of rows) {
      const billNo = String(row.FBillNo ?? '');
      if (!billNo) continue;
      byId.set(String(row.FID), { id: String(row.FID), billNo, status: String(row.FDocumentStatus) });
    }
    return [...byId.values()];
  }

  return {
    /** Push (once), submit, audit: see the file's comment. */
    async createPaymentBill(input: PaymentInput): Promise<PaymentOutcome> {
      try {
        return await pushSubmitAudit(input);
      } catch (err) {
        // Kingdee said no for a reason a retry cannot change (a required field, a rule, a permission): the cashier
        // hears why, and asks again once the bill is fixed in Kingdee. Outages and locks are retried by Temporal.
        if (err instanceof KingdeeRefusal) return { kind: 'refused', billNo: input.billNo, ...err.detail };
        if (err instanceof KingdeeError && !err.retryable)
          return { kind: 'refused', billNo: input.billNo, reason: kingdeeReason(err) };
        throw err;
      }
    },
  };

  async function pushSubmitAudit(input: PaymentInput): Promise<PaymentOutcome> {
    const source = await findBill(kingdee, input.formId, input.billNo);
    if (!source) return { kind: 'notFound', billNo: input.billNo };
    let [target] = await downstream(input.targetFormId, source.id);
    // Found on a retry: the earlier attempt pushed it (and did not live to say so).
    let created = target === undefined || Context.current().info.attempt > 1;
    if (!target) {
      if (source.status !== 'C') return { kind: 'notAudited', billNo: source.billNo, status: source.status };
      const pushed = await kingdee.push(input.formId, {
        ids: [source.id],
        ruleId: input.pushRuleId,
        targetFormId: input.targetFormId,
      });
      const first = pushed.targets.find((t) => t.number !== '');
      if (!first) throw new KingdeeRefusal({ reason: pushed.messages.join('；') || `下推未生成${input.targetFormId}` });
      logger.info({ billNo: input.billNo, paymentBillNo: first.number }, 'payment bill pushed');
      target = { id: first.id, billNo: first.number, status: 'A' };
      created = true;
    }
    const targetRef = { ids: [target.id] };
    const paymentBillNo = target.billNo;
    const orRefused = async (step: Promise<unknown>) => {
      try {
        await step;
      } catch (err) {
        if (err instanceof KingdeeError && !err.retryable)
          throw new KingdeeRefusal({ reason: kingdeeReason(err), paymentBillNo });
        throw err;
      }
    };
    if (input.submit && (target.status === 'A' || target.status === 'D' || target.status === 'Z')) {
      await orRefused(kingdee.submit(input.targetFormId, targetRef));
      target.status = 'B';
    }
    if (input.audit && target.status === 'B') {
      await orRefused(kingdee.audit(input.targetFormId, targetRef));
      target.status = 'C';
    }
    const now = await findBill(kingdee, input.targetFormId, target.billNo);
    return {
      kind: 'paid',
      billNo: source.billNo,
      paymentBillNo: target.billNo,
      status: now?.status ?? target.status,
      created,
    };
  }
}

/** Kingdee refused a step of 确认付款; carries what the cashier is told. */
class KingdeeRefusal extends Error {
  constructor(readonly detail: { reason: string; paymentBillNo?: string }) {
    super(detail.reason);
  }
}

/** Kingdee's own words (Chinese intact), else our summary of the error. */
const kingdeeReason = (err: KingdeeError): string =>
  (err.kingdeeMessages.length > 0 ? err.kingdeeMessages.join('；') : err.message).slice(0, 300);

/** What the API hears back from a 确认付款. */
export type PaymentRequestOutcome =
  PaymentOutcome | { kind: 'notCashier' } | { kind: 'processing'; billNo: string } | { kind: 'unavailable' };

/** The API's side of 确认付款 (api/dingtalk-handlers.ts uses it through the `PaymentRequests` interface). */
export function createPaymentRequests(deps: {
  client: Client;
  kingdee: KingdeeClient;
  rules: Rules;
  acctId: string;
  taskQueue: string;
  logger: Logger;
  /** How long the answer waits for the 付款单 (then: "processing", the group is told when done). */
  answerWithinMs?: number;
}) {
  const { client, kingdee, rules, acctId, taskQueue, logger } = deps;
  const forms = Object.entries(rules.forms).flatMap(([formId, form]) => (form.payment ? [{ formId, form }] : []));
  return {
    isCashier: (userId: string): boolean => rules.cashiers.includes(userId),
    /** Whether any form is set up for 确认付款 (else the words mean what they meant before). */
    enabled: forms.length > 0,

    async confirm(input: { userId: string; billNo: string }): Promise<PaymentRequestOutcome> {
      if (!rules.cashiers.includes(input.userId)) return { kind: 'notCashier' };
      let found: { formId: string; billNo: string } | undefined;
      try {
        for (const { formId } of forms) {
          for (const candidate of [...new Set([input.billNo, input.billNo.toUpperCase()])]) {
            const bill = await findBill(kingdee, formId, candidate);
            if (bill) {
              found = { formId, billNo: bill.billNo };
              break;
            }
          }
          if (found) break;
        }
      } catch (err) {
        logger.error({ err: String(err), billNo: input.billNo }, 'bill could not be looked up for 确认付款');
        return { kind: 'unavailable' };
      }
      if (!found) return { kind: 'notFound', billNo: input.billNo };
      const form = rules.forms[found.formId]!;
      const payment = form.payment!;
      const robotName = payment.robot;
      const robot = robotName ? rules.robots[robotName] : undefined;
      const args: PaymentInput = {
        acctId,
        formId: found.formId,
        billNo: found.billNo,
        requestedBy: input.userId,
        pushRuleId: payment.pushRuleId,
        targetFormId: payment.targetFormId,
        submit: payment.submit,
        audit: payment.audit,
        ...(robotName && robot ? { robot: { name: robotName, ...robot } } : {}),
      };
      try {
        const handle = await client.workflow.start(workflowTypes.payment, {
          taskQueue,
          workflowId: paymentWorkflowId({ acctId, formId: found.formId, billNo: found.billNo }),
          args: [args],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `确认付款 ${found.billNo}`,
        });
        const result = await within(handle.result() as Promise<PaymentOutcome>, deps.answerWithinMs ?? 20_000);
        return result ?? { kind: 'processing', billNo: found.billNo };
      } catch (err) {
        if (err instanceof WorkflowFailedError) logger.error({ err: String(err.cause) }, 'payment workflow failed');
        else logger.error({ err: String(err) }, 'payment workflow could not be started');
        return { kind: 'unavailable' };
      }
    },
  };
}

export type PaymentRequests = ReturnType<typeof createPaymentRequests>;

/** The promise's value, or undefined when it takes longer than `ms` (the timer never outlives the answer). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
