/** Every workflow the worker registers. The worker bundles this file. */
export { approvalWorkflow } from './approval';
export { pollerWorkflow } from './poller';
