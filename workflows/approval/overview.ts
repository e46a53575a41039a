/**
 * What the approval shows outside itself, kept in step with its state: search attributes (for the admin list and
 * searches), the memo's summary line and the Temporal UI's current details.
 */
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import * as texts from '../../domain/texts';
import type { ApprovalState } from '../contract';
import {
  Applicant,
  ApprovalStage as ApprovalStageKey,
  Approvers,
  Escalated,
  KingdeeAmount,
  KingdeeBillNo,
  KingdeeFormId,
} from '../search-attributes';
import { currentStep, waitingSlots } from './decisions';

export function publishOverview(state: ApprovalState): void {
  const document = state.document;
  const step = currentStep(state);
  const waiting = waitingSlots(state);
  upsertSearchAttributes([
    { key: ApprovalStageKey, value: state.stage },
    { key: Approvers, value: waiting.flatMap((s) => [s.assignee, ...s.delegates]) },
    { key: Escalated, value: state.escalated },
    ...(document
      ? [
          { key: KingdeeFormId, value: document.formId },
          { key: KingdeeBillNo, value: document.billNo },
          { key: KingdeeAmount, value: document.amount },
          { key: Applicant, value: document.applicant.name },
        ]
      : []),
  ]);
  if (document) {
    upsertMemo({ summary: texts.summaryLine(document) });
    setCurrentDetails(
      texts.currentDetails(document, {
        stage: state.stage,
        stepName: step?.name,
        waitingFor: waiting.map((s) => step?.names[s.assignee] ?? s.assignee),
        escalated: state.escalated,
      }),
    );
  }
}
