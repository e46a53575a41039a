/**
 * What the approval shows outside itself, kept in step with its state: search attributes (for the admin list and
 * searches: Approvers lists only people who may decide now, so it is empty while the approval needs attention), the
 * memo's summary line and the Temporal UI's current details (with the reason while it needs attention) — each
 * published when it changes.
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

/**
 * Publishes the overview. With `changesOnly` (patch overview-changes-only) it upserts only the search attributes whose
 * value changed since its last publish, and the memo only when the summary line changed (it never does after
 * planning): each upsert is a history event and a visibility write in Temporal — before, every stage change re-sent
 * all seven attributes and the same memo, ten events of an approval's forty.
 */
export class OverviewPublisher {
  /** What the last publish upserted: search attribute → its value as JSON; the memo's summary line. */
  private readonly published = new Map<string, string>();
  private summary?: string;

  constructor(private readonly changesOnly: boolean) {}

  publish(state: ApprovalState): void {
    const document = state.document;
    const step = currentStep(state);
    const waiting = waitingSlots(state);
    const attributes = [
      { key: ApprovalStageKey, value: state.stage },
      { key: Approvers, value: waiting.flatMap((s) => [s.assignee, ...s.delegates]) },
      { key: Escalated, value: state.escalated },
      ...(document
        ? [
            { key: KingdeeFormId, value: document.formId },
            { key: KingdeeBillNo, value: document.billNo },
            { key: KingdeeAmount, value: amountInCents(document.amount) / 100 },
            { key: Applicant, value: document.applicant.name },
          ]
        : []),
    ];
    const changed = this.changesOnly
      ? attributes.filter(({ key, value }) => this.published.get(key.name) !== JSON.stringify(value))
      : attributes;
    if (changed.length > 0) upsertSearchAttributes(changed);
    for (const { key, value } of changed) this.published.set(key.name, JSON.stringify(value));
    if (document) {
      const summary = texts.summaryLine(document);
      if (!this.changesOnly || summary !== this.summary) upsertMemo({ summary });
      this.summary = summary;
    }
    setCurrentDetails(
      texts.currentDetails(document, {
        stage: state.stage,
        stepName: step?.name,
        waitingFor: waiting.map((s) => step?.names[s.assignee] ?? s.assignee),
        escalated: state.escalated,
        workflowId: state.workflowId,
        ...(state.attention ? { attention: state.attention } : {}),
      }),
    );
  }
}

/**
 * An amount in whole cents (half away from zero), so the search attribute is exactly the amount Kingdee shows:
 * 0.1 + 0.2 is stored as 0.3, not 0.30000000000000004. (cents / 100 is the double nearest the decimal, the same one
 * a visibility query's literal parses to.) A non-finite amount counts as 0.
 */
export function amountInCents(amount: number): number {
  if (!Number.isFinite(amount)) return 0;
  // toPrecision(15) first, as formatAmount does: 1.005 * 100 is 100.49999999999999 in binary.
  const cents = Math.round(Number((Math.abs(amount) * 100).toPrecision(15)));
  return amount < 0 && cents > 0 ? -cents : cents;
}
