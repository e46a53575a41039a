/**
 * The approval cards a workflow has sent, and the activities that deliver and update them. A card is updated only
 * when what it shows (status and result) changes. Every card carries the plan's warnings (`notes`).
 */
import * as texts from '../../domain/texts';
import type { DocumentSummary } from '../../domain/document';
import type { StepState } from '../contract';
import { cardSends, cardUpdates } from './proxies';
import { cardStateFor, closedCardStateFor, pendingSlots } from './decisions';

/** What cards show besides the document and the step, as the workflow knows it when a card is made. */
export interface CardContext {
  /** The rules file's `card.fields` for the form (undefined: the form's default). */
  fields?: readonly texts.CardField[];
  /** Every decision so far, oldest first. */
  decisions: texts.DecisionSummary[];
  tz?: texts.TimeZone;
  urgent: boolean;
}

export interface SentCard {
  outTrackId: string;
  userId: string;
  stepId: string;
  /** The card as first delivered; later states are this plus a status and result. */
  params: texts.CardParamMap;
  /** The status the card shows now, so unchanged cards are not updated again. */
  shown: string;
  /** The title the card shows now (it changes when the document becomes urgent). */
  titleShown: string;
}

/**
 * The buttons every approval card offers while pending: 同意, 驳回, and 转交 / 加签 with a person input (the card
 * callback carries `target`; api/dingtalk-handlers.ts looks the person up before the workflow validates it).
 */
export const approvalCardActions: readonly texts.CardAction[] = ['approve', 'reject', 'transfer', 'addApprover'];

export class ApprovalCards {
  private readonly sent: SentCard[] = [];
  /** The plan's warnings, shown on every card (set once the plan is known). */
  notes: readonly string[] = [];

  /**
   * @param round the submission round (the run chain's first run id): a resubmitted document gets new cards, and the
   *   earlier round's keep their result. Undefined when replaying a run from before rounds existed.
   */
  constructor(
    private readonly workflowId: string,
    private readonly round?: string,
    private readonly context?: () => CardContext,
  ) {}

  /** The person's card on the step as first sent (as it would be sent, if they have none). */
  firstParams(document: DocumentSummary, step: StepState, userId: string): texts.CardParamMap {
    const card = this.sent.find((c) => c.stepId === step.id && c.userId === userId);
    return card?.params ?? this.paramsFor(document, step);
  }

  /** Who on the step has been asked (step.approvers) but has no card yet. */
  missing(step: StepState): string[] {
    return step.approvers.filter((userId) => !this.sent.some((c) => c.stepId === step.id && c.userId === userId));
  }

  async deliver(document: DocumentSummary, step: StepState, userIds: string[]): Promise<void> {
    const params = this.paramsFor(document, step);
    const delivered = await cardSends().deliverApprovalCards({
      workflowId: this.workflowId,
      stepId: step.id,
      userIds,
      cardParams: params,
      ...(this.round ? { round: this.round } : {}),
    });
    for (const card of delivered) {
      if (!this.sent.some((c) => c.outTrackId === card.outTrackId)) {
        this.sent.push({ ...card, stepId: step.id, params, shown: 'pending', titleShown: params.title });
      }
    }
  }

  /** Every card of the step shows the step's current state (the clicker's card already got it in the callback). */
  async refresh(step: StepState, tz: texts.TimeZone): Promise<void> {
    await this.update(
      this.sent.filter((card) => card.stepId === step.id),
      (card) => texts.cardWithState(card.params, cardStateFor(step, card.userId), tz),
    );
  }

  /** Every card shows its step's final state. */
  async refreshAll(steps: readonly StepState[], tz: texts.TimeZone): Promise<void> {
    const byStep = new Map(steps.map((s) => [s.id, s]));
    await this.update(this.sent, (card) => {
      const step = byStep.get(card.stepId)!;
      return texts.cardWithState(card.params, cardStateFor(step, card.userId), tz);
    });
  }

  /** Every card shows that the approval is closed, after what its person decided (if anything). */
  async close(
    steps: readonly StepState[],
    closed: Omit<Extract<texts.CardState, { status: 'closed' }>, 'earlier'>,
    tz: texts.TimeZone,
  ): Promise<void> {
    const byStep = new Map(steps.map((s) => [s.id, s]));
    await this.update(this.sent, (card) => {
      const step = byStep.get(card.stepId);
      return texts.cardWithState(card.params, step ? closedCardStateFor(step, card.userId, closed) : closed, tz);
    });
  }

  /**
   * The document became urgent: every card sent from now on, and every card of the step still pending, has the
   * 【加急】 title (the others keep theirs: they are decided).
   */
  async markUrgent(step: StepState | undefined, tz: texts.TimeZone, document: DocumentSummary): Promise<void> {
    const title = texts.cardTitle(document, true);
    for (const card of this.sent) card.params = { ...card.params, title, urgent: 'true' };
    if (!step) return;
    await this.update(
      this.sent.filter((card) => card.stepId === step.id),
      (card) => texts.cardWithState(card.params, cardStateFor(step, card.userId), tz),
    );
  }

  private paramsFor(document: DocumentSummary, step: StepState): texts.CardParamMap {
    const context = this.context?.();
    return texts.approvalCard(document, {
      stepId: step.id,
      stepName: step.name,
      workflowId: this.workflowId,
      actions: approvalCardActions,
      notes: this.notes,
      ...(context
        ? {
            ...(context.fields ? { fields: context.fields } : {}),
            decisions: context.decisions,
            ...(context.tz ? { tz: context.tz } : {}),
            urgent: context.urgent,
            waiting: {
              stepName: step.name,
              names: pendingSlots(step).map((slot) => step.names[slot.assignee] ?? slot.assignee),
              mode: step.mode,
            },
          }
        : {}),
    });
  }

  private async update(cards: SentCard[], paramsFor: (card: SentCard) => texts.CardParamMap): Promise<void> {
    const updates: Array<{ outTrackId: string; cardParams: Record<string, string> }> = [];
    const shownNow: Array<[SentCard, string, string]> = [];
    for (const card of cards) {
      const params = paramsFor(card);
      const shown = `${params.status}|${params.result}`;
      if (shown === card.shown && params.title === card.titleShown) continue;
      shownNow.push([card, shown, params.title]);
      updates.push({ outTrackId: card.outTrackId, cardParams: params });
    }
    if (updates.length > 0) await cardUpdates().updateApprovalCards({ updates });
    // Only once DingTalk has them: an update that failed is sent again when the phase is retried.
    for (const [card, shown, title] of shownNow) {
      card.shown = shown;
      card.titleShown = title;
    }
  }
}
