/** Every workflow the worker registers. The worker bundles this file. */
export { approvalWorkflow } from './approval/workflow';
export { pollerWorkflow } from './poller';
export { outboxWorkflow } from './outbox';
export { watchWorkflow } from './watch';
export { deadlineWorkflow } from './deadline';
export { approverDigestWorkflow, weeklyReportWorkflow } from './digest';
export { paymentWorkflow } from './payment';
export { expenseDraftWorkflow } from './expense-draft';
export { oaImportWorkflow } from './oa-import';
