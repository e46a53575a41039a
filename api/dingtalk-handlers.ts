/**
 * What happens when a person acts in DingTalk, whichever transport brought it (Stream or HTTP callback):
 * a card button becomes a `decide` Update and the card's new state goes back in the response; a text message to the
 * bot becomes a decision too, and the sender is answered in the chat.
 */
import type { Logger } from '../common/logger';
import type { DecisionAction, DecisionInput } from '../workflows/contract';
import { botReplies, cardProcessingText, cardUnknownActionText, refusal } from '../domain/texts';
import type { ApprovalService, DecideOutcome } from '../temporal/approvals';
import type { Metrics } from './metrics';
import { parseTextCommand } from './text-commands';

/** A card click as the DingTalk integration hands it over (payload already verified and parsed). */
export interface CardClick {
  outTrackId: string;
  userId: string;
  actionIds: string[];
  params: Record<string, unknown>;
}

/** The card-callback response DingTalk applies to the card (reference §2.9). */
export interface CardCallbackAnswer {
  cardData?: { cardParamMap: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey: boolean; updatePrivateDataByKey?: boolean };
}

/** A text message to the bot. */
export interface BotText {
  senderUserId: string;
  text: string;
  /** Replies go here (DingTalk's sessionWebhook), so they land in the same conversation. */
  reply: (text: string) => Promise<void>;
}

const buttonActions: Record<string, DecisionAction> = { approve: 'approve', reject: 'reject', transfer: 'transfer' };

export function createDingTalkHandlers(deps: { approvals: ApprovalService; metrics: Metrics; logger: Logger }) {
  const { approvals, metrics, logger } = deps;

  async function decide(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    const stop = metrics.decisionLatency.startTimer({ channel: decision.channel });
    const outcome = await approvals.decide(workflowId, decision);
    stop();
    metrics.decisions.inc({ channel: decision.channel, outcome: outcome.kind });
    logger.info({ workflowId, userId: decision.userId, action: decision.action, outcome: outcome.kind }, 'decision');
    return outcome;
  }

  return {
    async onCardClick(click: CardClick): Promise<CardCallbackAnswer> {
      const action = buttonActions[click.actionIds[0] ?? ''];
      const workflowId = typeof click.params.workflowId === 'string' ? click.params.workflowId : undefined;
      if (!action || !workflowId) {
        logger.warn({ click }, 'card click without a known action or workflowId');
        return {
          cardData: { cardParamMap: { result: cardUnknownActionText } },
          cardUpdateOptions: { updateCardDataByKey: true },
        };
      }
      const comment = typeof click.params.comment === 'string' ? click.params.comment : undefined;
      const outcome = await decide(workflowId, {
        userId: click.userId,
        action,
        channel: 'card',
        ...(comment?.trim() ? { comment: comment.trim() } : {}),
        ...(typeof click.params.stepId === 'string' ? { stepId: click.params.stepId } : {}),
        ...(typeof click.params.targetUserId === 'string' ? { targetUserId: click.params.targetUserId } : {}),
      });
      switch (outcome.kind) {
        case 'accepted':
          return {
            cardData: { cardParamMap: outcome.result.cardParams },
            cardUpdateOptions: { updateCardDataByKey: true },
          };
        case 'queued':
          // The workflow will update this card itself once it has applied the decision.
          return {
            cardData: { cardParamMap: { status: 'processing', result: cardProcessingText, actions: '[]' } },
            cardUpdateOptions: { updateCardDataByKey: true },
          };
        case 'refused':
          // Buttons stay; the refusal is shown where the result goes (nothing else on the card changes).
          return {
            cardData: { cardParamMap: { result: outcome.message } },
            cardUpdateOptions: { updateCardDataByKey: true },
          };
        case 'notFound':
          return {
            cardData: { cardParamMap: { status: 'closed', result: refusal('notFound'), actions: '[]' } },
            cardUpdateOptions: { updateCardDataByKey: true },
          };
      }
    },

    async onBotText(message: BotText): Promise<void> {
      const command = parseTextCommand(message.text);
      if (command.kind === 'help') return message.reply(botReplies.help());
      const pending = await approvals.list({ stage: 'awaiting-approval', approver: message.senderUserId });
      if (command.kind === 'list') {
        return message.reply(pending.length === 0 ? botReplies.nothingPending() : botReplies.pendingList(pending));
      }
      const candidates = command.billNo ? pending.filter((p) => p.billNo === command.billNo) : pending;
      if (candidates.length === 0) {
        if (!command.billNo) return message.reply(botReplies.nothingPending());
        const anywhere = await approvals.list({ billNo: command.billNo });
        return message.reply(
          anywhere.length === 0
            ? botReplies.unknownBill(command.billNo)
            : refusal('notApprover', { billNo: command.billNo }),
        );
      }
      if (candidates.length > 1) {
        return message.reply(botReplies.whichBill(candidates.length, candidates[0]?.billNo));
      }
      const target = candidates[0]!;
      const decision: DecisionInput =
        command.kind === 'transfer'
          ? { userId: message.senderUserId, action: 'transfer', targetUserId: command.target, channel: 'text' }
          : {
              userId: message.senderUserId,
              action: command.action,
              channel: 'text',
              ...(command.comment ? { comment: command.comment } : {}),
            };
      const outcome = await decide(target.workflowId, decision);
      switch (outcome.kind) {
        case 'accepted':
          return message.reply(outcome.result.message);
        case 'queued':
          return message.reply(botReplies.processing(target.billNo ?? ''));
        case 'refused':
          return message.reply(outcome.message);
        case 'notFound':
          return message.reply(refusal('notFound', target.billNo ? { billNo: target.billNo } : undefined));
      }
    },
  };
}
