/**
 * Our custom search attributes, declared once. The workflow code upserts them, the dev-server provisioning
 * registers them, and the approvals client (temporal/approvals.ts) queries them — all from this list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const KingdeeFormId = defineSearchAttributeKey('KingdeeFormId', SearchAttributeType.KEYWORD);
export const KingdeeBillNo = defineSearchAttributeKey('KingdeeBillNo', SearchAttributeType.KEYWORD);
export const KingdeeAmount = defineSearchAttributeKey('KingdeeAmount', SearchAttributeType.DOUBLE);
export const Applicant = defineSearchAttributeKey('Applicant', SearchAttributeType.KEYWORD);
export const Approvers = defineSearchAttributeKey('Approvers', SearchAttributeType.KEYWORD_LIST);
export const ApprovalStage = defineSearchAttributeKey('ApprovalStage', SearchAttributeType.KEYWORD);
export const Escalated = defineSearchAttributeKey('Escalated', SearchAttributeType.BOOL);

export const customSearchAttributes = [
  KingdeeFormId,
  KingdeeBillNo,
  KingdeeAmount,
  Applicant,
  Approvers,
  ApprovalStage,
  Escalated,
] as const;
