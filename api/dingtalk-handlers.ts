/**
 * What happens when a person acts in DingTalk, whichever transport brought it (Stream or HTTP callback):
 * a card button becomes a `decide` Update and the card's new state goes back in the response; a text message to the
 * bot becomes a decision too, and the sender is answered in the chat.
 *
 * Nothing acts on what the person did not say: a text's bill number must be one of the sender's pending approvals,
 * and the person a 转交 / 加签 brings in is found in DingTalk (userId, mobile or name) before the decision is sent.
 * A refused card click never changes the card everyone sees: the answer goes to the clicking person's private `tip`.
 *
 * A little over the ~500-line guide: card clicks and text replies share the decide path and its answers, kept in
 * one place so both channels answer alike.
 */
import type { Logger } from '../common/logger';
import type { ApprovalState, DecisionAction, DecisionInput } from '../workflows/contract';
import {
  botReplies,
  cardProcessingText,
  cardStateParams,
  cardUnknownActionText,
  type DecidedCardState,
  refusal,
  systemActorName,
  type EndedApproval,
  type PendingListItem,
  type TimeZone,
  urgencyReplies,
} from '../domain/texts';
import type { ApprovalService, DecideOutcome, PendingApproval } from '../temporal/approvals';
import type { Metrics } from './metrics';
import type { PeopleLookup, PersonLookup } from './people-lookup';
import type { ExpenseProposal } from '../domain/assist';
import { draftReplies, paymentReplies } from '../domain/texts/payments';
import type { ExpenseDraftOutcome, PaymentOutcome } from '../workflows/contract';
import {
  billNoCandidates,
  interpretTextCommand,
  matchBill,
  parseAssistCommand,
  parseTextCommand,
  parseUrgencyRequest,
} from './text-commands';

/** A card click as the DingTalk integration hands it over (payload already verified and parsed). */
export interface CardClick {
  outTrackId: string;
  userId: string;
  actionIds: string[];
  params: Record<string, unknown>;
  /** When DingTalk sent it, by its clock (ms), when it says. */
  sentAt?: number;
}

/**
 * The card-callback response DingTalk applies to the card (reference §2.9): `cardData` is what everyone sees,
 * `userPrivateData` only the clicking person (no userId key); both merged by key when the options say so.
 */
export interface CardCallbackAnswer {
  cardData?: { cardParamMap: Record<string, string> };
  userPrivateData?: { cardParamMap: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

/**
 * The clicking person's private card variable that shows why a click was refused (the card template binds it as a
 * one-line tip). Refusals set only this; an accepted click clears it.
 */
export const cardTipParam = 'tip';

/** A text message to the bot. */
export interface BotText {
  senderUserId: string;
  text: string;
  /** Replies go here (DingTalk's sessionWebhook), so they land in the same conversation. */
  reply: (text: string) => Promise<void>;
  /** DingTalk's msgId, when the transport passes it on (names the reimbursement proposal the message makes). */
  messageId?: string;
}

/** 确认付款 (activities/payments.ts createPaymentRequests has these). */
export interface PaymentRequestsPort {
  enabled: boolean;
  isCashier(userId: string): boolean;
  confirm(input: {
    userId: string;
    billNo: string;
  }): Promise<
    PaymentOutcome | { kind: 'notCashier' } | { kind: 'processing'; billNo: string } | { kind: 'unavailable' }
  >;
}

type DraftAnswer =
  | { kind: 'proposal'; proposal: ExpenseProposal; expiresInMinutes: number }
  | { kind: 'notUnderstood' }
  | { kind: 'nothingToConfirm' }
  | { kind: 'processing' }
  | { kind: 'unavailable' }
  | ExpenseDraftOutcome;

/** The reimbursement assistant (activities/drafts.ts createDraftRequests has these). */
export interface DraftRequestsPort {
  hasPending(senderUserId: string): boolean;
  propose(input: {
    senderUserId: string;
    messageId?: string;
    text: string;
    force: boolean;
  }): Promise<DraftAnswer | undefined>;
  confirm(senderUserId: string): Promise<DraftAnswer>;
  cancel(senderUserId: string): Promise<DraftAnswer>;
}

/** The approvals client calls the handlers make (ApprovalService has them). */
export type HandlerApprovals = Pick<ApprovalService, 'decide' | 'list' | 'status' | 'markUrgent' | 'cardAnswered'>;

/**
 * DingTalk takes a card callback's answer within 2 s of sending the click; an answer ready within this much of the
 * click's sending (clickStartedAt) is taken to reach it in time (the rest is for the network), and the workflow is
 * told so. One that still does not arrive (the connection broke) is put right by the person's next click.
 */
export const cardAnswerInTimeMs = 1_500;

const buttonActions: Record<string, DecisionAction> = {
  approve: 'approve',
  reject: 'reject',
  transfer: 'transfer',
  addApprover: 'addApprover',
};

/**
 * Where DingTalk's 2 s for a click's answer started: when it sent the click, if that is earlier than now (the click
 * waited in a busy process) and plausible — a sender's clock far behind ours would make every answer look late, so
 * beyond clockSkewToleranceMs the arrival counts, as it does when DingTalk's clock is ahead.
 */
function clickStartedAt(click: CardClick): number {
  const now = Date.now();
  const waited = click.sentAt === undefined ? 0 : now - click.sentAt;
  return waited > 0 && waited <= clockSkewToleranceMs ? click.sentAt! : now;
}
const clockSkewToleranceMs = 5_000;

/** China Standard Time, for answers when no calendar is given. */
const defaultTimeZone: TimeZone = { offsetMinutes: 480 };

export function createDingTalkHandlers(deps: {
  approvals: HandlerApprovals;
  metrics: Metrics;
  logger: Logger;
  /** Finds the person a 转交 / 加签 names (DingTalk userId, mobile or name). */
  people: PeopleLookup;
  /** The time zone answers show times in (the rules file's calendar). */
  timeZone?: TimeZone;
  /** 确认付款 by the cashiers (absent: the words mean what they meant before). */
  payments?: PaymentRequestsPort;
  /** The reimbursement assistant (absent: messages starting with 报销 get the help text). */
  drafts?: DraftRequestsPort;
}) {
  const { approvals, metrics, logger, people, payments, drafts } = deps;
  const tz = deps.timeZone ?? defaultTimeZone;

  async function decide(workflowId: string, decision: DecisionInput): Promise<DecideOutcome> {
    const stop = metrics.decisionLatency.startTimer({ channel: decision.channel });
    let outcome: DecideOutcome;
    try {
      outcome = await approvals.decide(workflowId, decision);
    } catch (err) {
      logger.error({ workflowId, err: String(err) }, 'decision could not be handed to Temporal');
      outcome = { kind: 'unavailable' };
    }
    stop();
    metrics.decisions.inc({ channel: decision.channel, outcome: outcome.kind });
    logger.info({ workflowId, userId: decision.userId, action: decision.action, outcome: outcome.kind }, 'decision');
    return outcome;
  }

  function confirmAnswer(workflowId: string, outTrackId: string, params: Record<string, string>): void {
    const confirmation = {
      outTrackId,
      status: params.status ?? '',
      result: params.result ?? '',
      title: params.title ?? '',
    };
    approvals.cardAnswered(workflowId, confirmation).catch((err: unknown) => {
      // The workflow then updates the card itself after a short wait: one DingTalk call more, nothing lost.
      logger.warn({ workflowId, outTrackId, err: String(err) }, 'card answer could not be confirmed to the approval');
    });
  }

  /** Why a person could not be brought in, or undefined when found. */
  function lookupRefusal(
    lookup: PersonLookup,
    example: { action: 'transfer' | 'addApprover'; billNo?: string },
  ): string | undefined {
    switch (lookup.kind) {
      case 'found':
        return undefined;
      case 'notFound':
        return botReplies.personNotFound(lookup.query);
      case 'ambiguous':
        return botReplies.personAmbiguous(lookup.query, lookup.candidates, example);
      case 'unavailable':
        return botReplies.peopleUnavailable();
    }
  }

  /** A text naming none of the sender's pending bills: unknown, someone else's, or one that has ended. */
  async function explainUnknownBill(rest: string, senderUserId: string, pending: PendingListItem[]): Promise<string> {
    const { named, candidates } = billNoCandidates(rest);
    for (const candidate of candidates) {
      // A candidate the approvals client will not search for (it limits filter characters) is simply not found.
      const found = await approvals.list({ billNo: candidate, limit: 5 }).catch((err: unknown) => {
        logger.debug({ candidate, err: String(err) }, 'bill number not searchable');
        return [];
      });
      if (found.length === 0) continue;
      for (const approval of found.filter((a) => a.stage !== 'awaiting-approval')) {
        const state = await approvals.status(approval.workflowId).catch(() => undefined);
        if (state && wasAskedToApprove(state, senderUserId)) return botReplies.ended(endedApproval(state), tz);
      }
      return botReplies.notYourBill(found[0]?.billNo ?? candidate, pending);
    }
    return botReplies.billNotFound(named, pending);
  }

  /**
   * "王总急催 FYBX000123": the running approval the text names becomes urgent — asked by its applicant or by a manager
   * of the applicant or of someone it waits for (the workflow logs who and why). The bill is matched against running
   * approvals by number, never guessed.
   */
  async function hurry(message: BotText, candidates: string[]): Promise<string> {
    if (candidates.length === 0) return urgencyReplies.needsBill();
    for (const candidate of candidates) {
      const running = await approvals
        .list({ billNo: candidate, status: 'running' })
        .catch(() => [] as PendingApproval[]);
      const approval = running[0];
      if (!approval) continue;
      const billNo = approval.billNo ?? candidate;
      const state = await approvals.status(approval.workflowId).catch(() => undefined);
      if (!state || !(await mayHurry(message.senderUserId, state))) return urgencyReplies.notAllowed(billNo);
      const marked = await approvals
        .markUrgent(approval.workflowId, { by: message.senderUserId, text: message.text, channel: 'text' })
        .catch(() => false);
      return marked ? urgencyReplies.marked(billNo) : botReplies.unavailable();
    }
    return urgencyReplies.notRunning(candidates[0] ?? '');
  }

  /** The applicant (same mobile), the applicant's manager, or a manager of someone the step waits for. */
  async function mayHurry(senderUserId: string, state: ApprovalState): Promise<boolean> {
    const sender = await people.user(senderUserId).catch(() => undefined);
    if (!sender) return false;
    const applicantMobile = state.document?.applicant.mobile;
    if (applicantMobile && sender.mobile === applicantMobile) return true;
    const step = state.steps[state.currentStepIndex];
    const waitingFor = step ? step.slots.filter((slot) => !slot.decision).map((slot) => slot.assignee) : [];
    if (applicantMobile) {
      const applicant = await people.find(applicantMobile).catch(() => undefined);
      if (applicant?.kind === 'found') waitingFor.push(applicant.person.userId);
    }
    for (const userId of waitingFor) {
      const person = await people.user(userId).catch(() => undefined);
      if (person?.managerUserId === senderUserId) return true;
    }
    return false;
  }

  /**
   * The two flows from DingTalk into Kingdee, before the approval commands: 确认付款 (cashiers), a reimbursement
   * message (报销 …) and the 确认 / 取消 of a pending proposal. True when the message was answered here. A 确认付款
   * naming one of the sender's own pending approvals stays an approval (those words approve, too).
   */
  async function intoKingdee(message: BotText): Promise<boolean> {
    const command = parseAssistCommand(message.text);
    if (!command) return false;
    switch (command.kind) {
      case 'expense': {
        if (!drafts) return false;
        const answer = await drafts.propose({ ...senderMessage(message), force: true });
        await message.reply(answer ? draftAnswer(answer) : draftReplies.notUnderstood());
        return true;
      }
      case 'confirm':
      case 'cancel': {
        if (!drafts?.hasPending(message.senderUserId)) return false;
        const answer =
          command.kind === 'confirm'
            ? await drafts.confirm(message.senderUserId)
            : await drafts.cancel(message.senderUserId);
        await message.reply(draftAnswer(answer));
        return true;
      }
      case 'pay': {
        if (!payments?.enabled) return false;
        if (!command.billNo) {
          if (!payments.isCashier(message.senderUserId)) return false;
          await message.reply(paymentReplies.needsBill());
          return true;
        }
        const mine = await approvals
          .list({ stage: 'awaiting-approval', approver: message.senderUserId })
          .catch(() => [] as PendingApproval[]);
        if (matchBill(command.billNo, mine).kind !== 'unmatched') return false;
        const outcome = await payments.confirm({ userId: message.senderUserId, billNo: command.billNo });
        logger.info({ userId: message.senderUserId, billNo: command.billNo, outcome: outcome.kind }, '确认付款');
        await message.reply(paymentAnswer(outcome));
        return true;
      }
    }
  }

  return {
    async onCardClick(click: CardClick): Promise<CardCallbackAnswer> {
      const startedAt = clickStartedAt(click);
      const action = buttonActions[click.actionIds[0] ?? ''];
      const workflowId = text(click.params.workflowId);
      if (!action || !workflowId) {
        logger.warn({ click }, 'card click without a known action or workflowId');
        return tipOnly(cardUnknownActionText);
      }
      let targetUserId: string | undefined;
      if (action === 'transfer' || action === 'addApprover') {
        const query = text(click.params.targetUserId) ?? text(click.params.target);
        if (!query) return tipOnly(refusal('targetRequired'));
        const lookup = await people.find(query);
        const refused = lookupRefusal(lookup, { action });
        if (refused || lookup.kind !== 'found') return tipOnly(refused ?? botReplies.peopleUnavailable());
        targetUserId = lookup.person.userId;
      }
      const comment = text(click.params.comment);
      const stepId = text(click.params.stepId);
      const outcome = await decide(workflowId, {
        userId: click.userId,
        action,
        channel: 'card',
        ...(comment ? { comment } : {}),
        ...(stepId ? { stepId } : {}),
        ...(targetUserId ? { targetUserId } : {}),
      });
      switch (outcome.kind) {
        case 'accepted': {
          const params = outcome.result.cardParams;
          if (Date.now() - startedAt <= cardAnswerInTimeMs) {
            // Once the transport has sent the answer (it does so as this returns): the card needs no update.
            setImmediate(() => confirmAnswer(workflowId, click.outTrackId, params));
          }
          return cardAnswer(params);
        }
        case 'queued':
          // The workflow will update this card itself once it has applied the decision.
          return cardAnswer({ status: 'processing', result: cardProcessingText, actions: '[]' });
        case 'refused':
          return settledAnswer(outcome.card, outcome.message, tz);
        case 'ended':
          return settledAnswer(outcome.card, botReplies.ended(endedApproval(outcome.state), tz), tz);
        case 'unavailable':
          return tipOnly(botReplies.unavailable());
        case 'notFound':
          return tipOnly(botReplies.cardApprovalNotFound());
      }
    },

    async onBotText(message: BotText): Promise<void> {
      if (await intoKingdee(message)) return;
      const urgency = parseUrgencyRequest(message.text);
      if (urgency) return message.reply(await hurry(message, urgency.candidates));
      if (parseTextCommand(message.text).kind === 'help') {
        // Not a command: a reimbursement the assistant recognises, else the help text.
        const answer = drafts
          ? await drafts.propose({ ...senderMessage(message), force: false }).catch(() => undefined)
          : undefined;
        return message.reply(answer ? draftAnswer(answer) : botReplies.help());
      }
      let pending: PendingApproval[];
      try {
        pending = await approvals.list({ stage: 'awaiting-approval', approver: message.senderUserId });
      } catch (err) {
        logger.error({ err: String(err) }, 'pending approvals could not be listed');
        return message.reply(botReplies.unavailable());
      }
      const intent = interpretTextCommand(message.text, pending);
      switch (intent.kind) {
        case 'help':
          return message.reply(botReplies.help());
        case 'list':
          return message.reply(pending.length === 0 ? botReplies.nothingPending() : botReplies.pendingList(pending));
        case 'nothingPending':
          return message.reply(botReplies.nothingPending());
        case 'whichBill':
          return message.reply(botReplies.whichOf(intent.pending));
        case 'transferNeedsBill':
          return message.reply(botReplies.transferNeedsBill(intent.action, pending));
        case 'transferNeedsPerson':
          return message.reply(botReplies.transferNeedsPerson(intent.action, intent.billNo));
        case 'ambiguousBill':
          return message.reply(botReplies.sameBillNo(intent.billNo, intent.approvals.length));
        case 'unknownBill':
          return message.reply(await explainUnknownBill(intent.rest, message.senderUserId, pending));
        case 'decide':
          break;
      }
      const { action, approval, billNo } = intent;
      let decision: DecisionInput;
      if (action === 'transfer' || action === 'addApprover') {
        const lookup = await people.find(intent.text ?? '');
        const refused = lookupRefusal(lookup, { action, ...(billNo ? { billNo } : {}) });
        if (refused || lookup.kind !== 'found') return message.reply(refused ?? botReplies.peopleUnavailable());
        decision = { userId: message.senderUserId, action, targetUserId: lookup.person.userId, channel: 'text' };
      } else {
        decision = {
          userId: message.senderUserId,
          action,
          channel: 'text',
          ...(intent.text ? { comment: intent.text } : {}),
        };
      }
      const outcome = await decide(approval.workflowId, decision);
      switch (outcome.kind) {
        case 'accepted':
          return message.reply(outcome.result.message);
        case 'queued':
          return message.reply(botReplies.processing(billNo ?? ''));
        case 'refused':
          return message.reply(outcome.message);
        case 'ended':
          return message.reply(botReplies.ended(endedApproval(outcome.state), tz));
        case 'unavailable':
          return message.reply(botReplies.unavailable());
        case 'notFound':
          return message.reply(refusal('notFound', billNo ? { billNo } : undefined));
      }
    },
  };
}

function senderMessage(message: BotText): { senderUserId: string; text: string; messageId?: string } {
  return {
    senderUserId: message.senderUserId,
    text: message.text,
    ...(message.messageId ? { messageId: message.messageId } : {}),
  };
}

function paymentAnswer(outcome: Awaited<ReturnType<PaymentRequestsPort['confirm']>>): string {
  switch (outcome.kind) {
    case 'paid':
      return paymentReplies.paid(outcome.billNo, outcome.paymentBillNo, outcome.status, !outcome.created);
    case 'notCashier':
      return paymentReplies.notCashier();
    case 'notFound':
      return paymentReplies.notFound(outcome.billNo);
    case 'notAudited':
      return paymentReplies.notAudited(outcome.billNo, outcome.status);
    case 'refused':
      return paymentReplies.refused(outcome.billNo, outcome.reason, outcome.paymentBillNo);
    case 'processing':
      return paymentReplies.processing(outcome.billNo);
    case 'unavailable':
      return paymentReplies.unavailable();
  }
}

function draftAnswer(answer: DraftAnswer): string {
  switch (answer.kind) {
    case 'proposal':
      return draftReplies.proposal(answer.proposal, answer.expiresInMinutes);
    case 'notUnderstood':
      return draftReplies.notUnderstood();
    case 'nothingToConfirm':
      return draftReplies.nothingToConfirm();
    case 'processing':
      return draftReplies.processing();
    case 'unavailable':
      return draftReplies.unavailable();
    case 'saved':
      return draftReplies.saved(answer.billNo, answer.amount, answer.status);
    case 'cancelled':
      return draftReplies.cancelled();
    case 'expired':
      return draftReplies.expired();
    case 'noEmployee':
      return draftReplies.noEmployee(answer.mobile);
  }
}

/** A non-empty trimmed string parameter, else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** An accepted click: the card's new public state, and the clicking person's tip cleared (or set, for a settled seat). */
function cardAnswer(cardParamMap: Record<string, string>, tip = ''): CardCallbackAnswer {
  return {
    cardData: { cardParamMap },
    userPrivateData: { cardParamMap: { [cardTipParam]: tip } },
    cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
  };
}

/**
 * A click on a settled seat: the tip, and the card as it is settled — it still offered buttons only if the answer to
 * the person's earlier click never reached DingTalk (DingTalk then told them the click failed).
 */
function settledAnswer(card: DecidedCardState | undefined, message: string, tz: TimeZone): CardCallbackAnswer {
  return card ? cardAnswer(cardStateParams(card, tz), message) : tipOnly(message);
}

/** A refused click: only the clicking person's tip; what everyone sees on the card stays as it is. */
function tipOnly(message: string): CardCallbackAnswer {
  return {
    userPrivateData: { cardParamMap: { [cardTipParam]: message } },
    cardUpdateOptions: { updatePrivateDataByKey: true },
  };
}

/** Whether the person ever sat on a step of the approval (asked, delegated, brought in, or handed it on). */
function wasAskedToApprove(state: ApprovalState, userId: string): boolean {
  return state.steps.some(
    (step) =>
      step.approvers.includes(userId) ||
      step.slots.some((slot) => slot.transferredFrom?.includes(userId) || slot.decision?.by === userId),
  );
}

/** How an approval ended, from its last state: who settled it and when (steps), or what the log says. */
function endedApproval(state: ApprovalState): EndedApproval {
  const billNo = state.document?.billNo;
  const base = { ...(billNo ? { billNo } : {}), stage: state.stage };
  const lastLog = (actions: readonly string[]) => [...state.log].reverse().find((e) => actions.includes(e.action));
  switch (state.stage) {
    case 'approved': {
      const step = [...state.steps].reverse().find((s) => s.outcome === 'approved');
      const decision = step?.slots
        .map((slot) => slot.decision)
        .filter((d) => d?.action === 'approve')
        .sort((a, b) => String(a?.at).localeCompare(String(b?.at)))
        .at(-1);
      if (!step || !decision) return { ...base, ...optionalAt(lastLog(['complete'])?.at) };
      return {
        ...base,
        byName: step.names[decision.by] ?? decision.by,
        at: decision.at,
        ...(decision.comment ? { comment: decision.comment } : {}),
      };
    }
    case 'rejected': {
      const step = state.steps.find((s) => s.outcome === 'rejected');
      const rejection = step?.slots.find((slot) => slot.decision?.action === 'reject')?.decision;
      if (!step) return { ...base, ...optionalAt(lastLog(['complete'])?.at) };
      const comment = rejection?.comment ?? step.rejectReason;
      return {
        ...base,
        byName: rejection ? (step.names[rejection.by] ?? rejection.by) : systemActorName,
        ...optionalAt(rejection?.at ?? step.decidedAt),
        ...(comment ? { comment } : {}),
      };
    }
    case 'closed-in-kingdee':
    case 'not-applicable': {
      const entry = lastLog(state.stage === 'closed-in-kingdee' ? ['externalChange'] : ['complete', 'adminResolve']);
      return { ...base, ...optionalAt(entry?.at), ...(entry?.comment ? { comment: entry.comment } : {}) };
    }
    default:
      return base;
  }
}

function optionalAt(at: string | undefined): { at?: string } {
  return at ? { at } : {};
}
