import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { ApprovalStage, Approvers, KingdeeBillNo, KingdeeFormId } from './search-attributes';
import { decideSignal, statusQuery, type ApprovalStatus, type DecisionInput } from './definitions';

export interface ApprovalInput {
  formId: string;
  billNo: string;
  approvers: string[];
}

/** The approval lifecycle of one Kingdee document (first slice: wait for one decision). */
export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalStatus> {
  const state: ApprovalStatus = { stage: 'pending', decisions: [] };
  setHandler(statusQuery, () => state);
  setHandler(decideSignal, (decision: DecisionInput) => {
    if (state.stage === 'pending' && input.approvers.includes(decision.userId)) {
      state.decisions.push(decision);
      state.stage = decision.action === 'approve' ? 'approved' : 'rejected';
    }
  });
  upsertSearchAttributes([
    { key: KingdeeFormId, value: input.formId },
    { key: KingdeeBillNo, value: input.billNo },
    { key: Approvers, value: input.approvers },
    { key: ApprovalStage, value: state.stage },
  ]);
  await condition(() => state.stage !== 'pending');
  upsertSearchAttributes([{ key: ApprovalStage, value: state.stage }]);
  return state;
}
