/**
 * 确认付款: one workflow per source bill (`payment:<acct>:<form>:<bill>`, started idempotently by the API) pushes the
 * audited bill down to a 付款单 — the activity checks Kingdee's links first, so however often this runs there is one
 * 付款单 — and tells the cashier group the new bill's number.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { paymentCreatedNotice, paymentRefusedNotice } from '../domain/texts/payments';
import type { PaymentInput, PaymentOutcome } from './contract';

type Activities = ReturnType<typeof createActivities>;

/** Push, submit, audit: bounded, so a locked bill ends the request with an error instead of waiting for ever. */
const kingdee = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
});
const people = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function paymentWorkflow(input: PaymentInput): Promise<PaymentOutcome> {
  const outcome = await kingdee.createPaymentBill(input);
  if (outcome.kind === 'refused') {
    // Said where the cashier asked: the answer in chat may have been "processing" if Kingdee took its time.
    const notice = paymentRefusedNotice(outcome);
    if (input.robot) await people.notifyGroup({ robot: input.robot, notice });
    else await people.notifyUsers({ userIds: [input.requestedBy], notice });
    return outcome;
  }
  if (outcome.kind !== 'paid' || !outcome.created) return outcome;
  const requester = await people.describeUser({ userId: input.requestedBy }).catch(() => null);
  const notice = paymentCreatedNotice({
    billNo: outcome.billNo,
    paymentBillNo: outcome.paymentBillNo,
    status: outcome.status,
    ...(requester ? { requestedByName: requester.name } : {}),
  });
  if (input.robot) await people.notifyGroup({ robot: input.robot, notice });
  else await people.notifyUsers({ userIds: [input.requestedBy], notice });
  return outcome;
}
