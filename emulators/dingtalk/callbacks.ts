/**
 * What DingTalk sends the app when a person acts — the outgoing half of its protocol. Pressing a card button sends
 * the `actionCallback` (as a Stream frame, or POSTed to the card's registered route with the x-ddpaas signature)
 * and applies the app's answer to the card; writing to the bot delivers the robot message (Stream, or signed HTTP)
 * with a `sessionWebhook` for the reply. The sandbox page and the control API drive these through the emulator.
 */
import { createHmac, randomUUID } from 'node:crypto';
import axios from 'axios';
import type { DingTalkState, EmulatedCard } from './state';
import type { StreamGateway } from './stream-gateway';

const cardCallbackTopic = '/v1.0/card/instances/callback';
const botTopic = '/v1.0/im/bot/messages/get';
/** How long DingTalk waits for a card callback's answer before the click fails and the card stays as it was. */
const cardCallbackDeadlineMs = 2_000;

/** A person's act the emulator cannot carry out (unknown card or user, missing fields): HTTP status and code. */
export class EmulatorInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A person presses a card button: DingTalk's callback goes out, and its answer is applied to the card. */
export async function clickCard(
  state: DingTalkState,
  gateway: StreamGateway | undefined,
  outTrackId: string,
  input: { userId: string; actionId: string; params?: Record<string, unknown> },
): Promise<EmulatedCard> {
  const card = state.cards.get(outTrackId);
  if (!card) throw new EmulatorInputError(404, 'param.cardNotExist', `卡片 ${outTrackId} 不存在`);
  if (!input.userId || !input.actionId)
    throw new EmulatorInputError(400, 'param.invalid', 'userId and actionId are required');
  const payload = {
    type: 'actionCallback',
    outTrackId,
    corpId: state.seed.corpId,
    userId: input.userId,
    userIdType: 1,
    spaceType: 'IM_ROBOT',
    spaceId: input.userId,
    content: JSON.stringify({ cardPrivateData: { actionIds: [input.actionId], params: input.params ?? {} } }),
  };
  let response: unknown;
  try {
    if (card.callbackType === 'STREAM') {
      // DingTalk waits 2 s for a card callback's answer (reference §2.7), by Stream as by HTTP.
      const ack = (await gateway!.push(card.clientId, cardCallbackTopic, payload, cardCallbackDeadlineMs)) as {
        response?: unknown;
      } | null;
      response = ack?.response;
    } else {
      const route = card.callbackRouteKey ? state.routes.get(card.callbackRouteKey) : undefined;
      if (!route) throw new Error(`no callback URL registered for route key ${card.callbackRouteKey ?? '(none)'}`);
      const timestamp = String(Date.now());
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (route.apiSecret) {
        headers['x-ddpaas-signature-timestamp'] = timestamp;
        headers['x-ddpaas-signature'] = createHmac('sha256', route.apiSecret)
          .update(timestamp, 'utf8')
          .digest('base64');
      }
      const answer = await axios.post(route.url, payload, {
        headers,
        timeout: cardCallbackDeadlineMs,
        validateStatus: () => true,
      });
      if (answer.status !== 200)
        throw new Error(`callback answered HTTP ${answer.status}: ${JSON.stringify(answer.data)}`);
      response = answer.data;
    }
    if (state.cardAnswersToLose > 0) {
      state.cardAnswersToLose -= 1;
      throw new Error('the answer never arrived: the connection broke on its way (injected loseCardAnswers)');
    }
    applyCallbackResponse(card, input.userId, response);
    card.lastCallback = { at: Date.now(), ok: true };
  } catch (err) {
    card.lastCallback = { at: Date.now(), ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
  return card;
}

/** A person writes to the bot (1:1, or @bot in a group): DingTalk delivers it to the app. */
export async function messageBot(
  state: DingTalkState,
  gateway: StreamGateway | undefined,
  baseUrl: string,
  input: { userId: string; text: string; groupId?: string },
): Promise<void> {
  const user = state.seed.users.find((u) => u.userId === input.userId);
  if (!user) throw new EmulatorInputError(400, 'param.userIdNotExist', `用户 ${input.userId} 不存在`);
  if (!input.text?.trim()) throw new EmulatorInputError(400, 'param.invalid', 'text is required');
  const app = state.seed.apps[0]!;
  const session = randomUUID();
  state.sessions.set(session, { userId: input.userId, ...(input.groupId ? { groupId: input.groupId } : {}) });
  const now = Date.now();
  const payload = {
    conversationId: input.groupId ?? `cid-1on1-${input.userId}`,
    conversationType: input.groupId ? '2' : '1',
    chatbotCorpId: state.seed.corpId,
    robotCode: app.robotCode,
    msgId: `msg${randomUUID()}`,
    msgtype: 'text',
    text: { content: input.groupId ? ` @审批助手 ${input.text}` : input.text },
    senderStaffId: user.userId,
    senderNick: user.name,
    senderCorpId: state.seed.corpId,
    isInAtList: true,
    createAt: now,
    sessionWebhook: `${baseUrl}/robot/sendBySession?session=${session}`,
    sessionWebhookExpiredTime: now + 90 * 60_000,
  };
  if (app.botCallback.type === 'STREAM') {
    await gateway!.push(app.clientId, botTopic, payload);
  } else {
    const timestamp = String(now);
    const sign = createHmac('sha256', app.clientSecret)
      .update(`${timestamp}\n${app.clientSecret}`, 'utf8')
      .digest('base64');
    await axios.post(app.botCallback.url, payload, { headers: { timestamp, sign }, timeout: 5_000 });
  }
}

function applyCallbackResponse(card: EmulatedCard, userId: string, response: unknown): void {
  const r = (response ?? {}) as {
    cardData?: { cardParamMap?: Record<string, string> };
    userPrivateData?: { cardParamMap?: Record<string, string> };
    cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
  };
  if (r.cardData?.cardParamMap) {
    card.cardParamMap = r.cardUpdateOptions?.updateCardDataByKey
      ? { ...card.cardParamMap, ...r.cardData.cardParamMap }
      : { ...r.cardData.cardParamMap };
  }
  if (r.userPrivateData?.cardParamMap) {
    card.privateData[userId] = r.cardUpdateOptions?.updatePrivateDataByKey
      ? { ...card.privateData[userId], ...r.userPrivateData.cardParamMap }
      : { ...r.userPrivateData.cardParamMap };
  }
  card.updatedAt = Date.now();
}
