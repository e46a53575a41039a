/** Every workflow the worker registers. The worker bundles this file. */
export { approvalWorkflow } from './approval/workflow';
export { pollerWorkflow } from './poller';
export { outboxWorkflow } from './outbox';
