/**
 * Every signal, update and query of our workflows, defined once and imported by both the workflows and the
 * callers (API, ingestion, tests) so no name is ever repeated as a string.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const defaultTaskQueue = 'kingdee-dingtalk-bridge';

export interface DecisionInput {
  /** DingTalk userId of the person deciding. */
  userId: string;
  action: 'approve' | 'reject';
  comment?: string;
}

export interface ApprovalStatus {
  stage: string;
  decisions: DecisionInput[];
}

export const decideSignal = defineSignal<[DecisionInput]>('decide');
export const statusQuery = defineQuery<ApprovalStatus>('status');
