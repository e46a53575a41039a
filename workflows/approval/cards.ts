/**
 * The approval cards a workflow has sent, and the activities that deliver and update them. A card is updated only
 * when what it shows (status and result) changes. Every card carries the plan's warnings (`notes`). A clicked card
 * that the card callback's answer already changed is not updated again once the API confirms the answer went out
 * in time (cardAnsweredSignal); unconfirmed, it is updated after a short wait.
 */
import { condition } from '@temporalio/workflow';
import * as texts from '../../domain/texts';
import type { DocumentSummary } from '../../domain/document';
import type { CardAnswered, StepState } from '../contract';
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
  /** What the callback's answer to its person's click showed, until the API confirms it reached DingTalk. */
  answer?: { shown: string; title: string };
}

/** How long the last refresh waits for the API's confirmation of a card answer before updating the card. */
export const cardAnswerWaitMs = 10_000;

function shownOf(params: texts.CardParamMap): string {
  return `${params.status}|${params.result}`;
}

/**
 * The buttons every approval card offers while pending: 同意, 驳回, and 转交 / 加签 with a person input (the card
 * callback carries `target`; api/dingtalk-handlers.ts looks the person up before the workflow validates it).
 */
export const approvalCardActions: readonly texts.CardAction[] = ['approve', 'reject', 'transfer', 'addApprover'];

export class ApprovalCards {
  private readonly sent: SentCard[] = [];
  /**
   * A click can be decided (and confirmed) before this run has recorded the card's delivery: the person saw the card
   * at once. Kept here until the card is recorded; keyed by step and person, confirmations by outTrackId.
   */
  private readonly earlyAnswers = new Map<string, { shown: string; title: string }>();
  private readonly earlyConfirmations: CardAnswered[] = [];
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
        const answer = this.earlyAnswers.get(answerKey(step.id, card.userId));
        this.earlyAnswers.delete(answerKey(step.id, card.userId));
        this.sent.push({
          ...card,
          stepId: step.id,
          params,
          shown: 'pending',
          titleShown: params.title,
          ...(answer ? { answer } : {}),
        });
        const confirmed = this.earlyConfirmations.findIndex((c) => c.outTrackId === card.outTrackId);
        if (confirmed >= 0) this.answered(this.earlyConfirmations.splice(confirmed, 1)[0]!);
      }
    }
  }

  /**
   * A decision by card Update: the API answers the click with these params (DecisionResult.cardParams), so the
   * person's card will show them without an update, once the API confirms (answered).
   */
  expectAnswer(stepId: string, userId: string, params: texts.CardParamMap): void {
    const answer = { shown: shownOf(params), title: params.title };
    const card = this.sent.find((c) => c.stepId === stepId && c.userId === userId);
    if (card) card.answer = answer;
    else this.earlyAnswers.set(answerKey(stepId, userId), answer);
  }

  /** The API's confirmation: the card shows its answer (ignored when the card has moved on since). */
  answered(confirmation: CardAnswered): void {
    const card = this.sent.find((c) => c.outTrackId === confirmation.outTrackId);
    if (!card) {
      if (this.earlyAnswers.size > 0) this.earlyConfirmations.push(confirmation);
      return;
    }
    if (!card.answer) return;
    if (card.answer.shown !== `${confirmation.status}|${confirmation.result}`) return;
    if (card.answer.title !== confirmation.title) return;
    card.shown = card.answer.shown;
    card.titleShown = card.answer.title;
    card.answer = undefined;
  }

  /** Whether a card's answer waits for the API's confirmation. */
  awaitingAnswers(): boolean {
    return this.sent.some((card) => card.answer);
  }

  /**
   * Every card of the step shows the step's current state (the clicker's card already got it in the callback's
   * answer). `await`: a card whose answer shows that state gets the API's confirmation up to cardAnswerWaitMs, and is
   * updated only if none came; without it every card is updated as before answers were counted on.
   */
  async refresh(step: StepState, tz: texts.TimeZone, answers?: 'await'): Promise<void> {
    await this.refreshCards(
      this.sent.filter((card) => card.stepId === step.id),
      (card) => texts.cardWithState(card.params, cardStateFor(step, card.userId), tz),
      answers,
    );
  }

  /**
   * Every card shows its step's final state. A card whose callback answer already shows it (awaiting the API's
   * confirmation): `skip` leaves it for later; `await` gives the confirmation up to cardAnswerWaitMs, then updates
   * the card if none came. Without `answers`, every card is updated as before answers were counted on.
   */
  async refreshAll(steps: readonly StepState[], tz: texts.TimeZone, answers?: 'skip' | 'await'): Promise<void> {
    const byStep = new Map(steps.map((s) => [s.id, s]));
    await this.refreshCards(
      this.sent,
      (card) => texts.cardWithState(card.params, cardStateFor(byStep.get(card.stepId)!, card.userId), tz),
      answers,
    );
  }

  private async refreshCards(
    cards: SentCard[],
    paramsFor: (card: SentCard) => texts.CardParamMap,
    answers: 'skip' | 'await' | undefined,
  ): Promise<void> {
    if (answers === undefined) return this.update(cards, paramsFor);
    const answering = cards.filter((card) => card.answer && sameShown(card.answer, paramsFor(card)));
    await this.update(
      cards.filter((card) => !answering.includes(card)),
      paramsFor,
    );
    if (answers === 'skip' || answering.length === 0) return;
    const confirmed = () => answering.every((card) => !card.answer);
    // Usually confirmed by now (the API confirms as the decision's Update returns): then no timer is started.
    if (!confirmed()) await condition(confirmed, cardAnswerWaitMs);
    await this.update(answering, paramsFor);
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
      const shown = shownOf(params);
      if (shown === card.shown && params.title === card.titleShown) continue;
      shownNow.push([card, shown, params.title]);
      updates.push({ outTrackId: card.outTrackId, cardParams: params });
    }
    if (updates.length > 0) await cardUpdates().updateApprovalCards({ updates });
    // Only once DingTalk has them: an update that failed is sent again when the phase is retried.
    for (const [card, shown, title] of shownNow) {
      card.shown = shown;
      card.titleShown = title;
      card.answer = undefined;
    }
  }
}

function answerKey(stepId: string, userId: string): string {
  return `${stepId}\u0000${userId}`;
}

function sameShown(answer: { shown: string; title: string }, params: texts.CardParamMap): boolean {
  return answer.shown === shownOf(params) && answer.title === params.title;
}
