/** A DingTalk emulator with the demo seed and a client for it. */
import { DingTalkClient } from '../../integrations/dingtalk';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import {
  startDingTalkEmulator,
  type DingTalkEmulator,
  type DingTalkEmulatorOptions,
  type EmulatedCard,
} from '../../emulators/dingtalk/server';
import { eventually } from './eventually';

export const demoDingTalk = {
  clientId: 'dingdemoappkey',
  clientSecret: 'demo-app-secret-not-real',
  agentId: '3000001',
};

export function startTestDingTalk(options: DingTalkEmulatorOptions = {}): Promise<DingTalkEmulator> {
  return startDingTalkEmulator({ seed: loadDingTalkSeed(), ...options });
}

export function demoRobots(emulator: DingTalkEmulator): Record<string, { webhookUrl: string; secret: string }> {
  const robot = (name: string) => ({
    webhookUrl: `${emulator.baseUrl}/robot/send?access_token=robot-${name}`,
    secret: `SEC-${name}-demo`,
  });
  return { finance: robot('finance'), cashier: robot('cashier'), ops: robot('ops') };
}

export function dingtalkClientFor(
  emulator: DingTalkEmulator,
  overrides: Partial<ConstructorParameters<typeof DingTalkClient>[0]> = {},
): DingTalkClient {
  return new DingTalkClient({
    apiBaseUrl: emulator.baseUrl,
    oapiBaseUrl: emulator.baseUrl,
    ...demoDingTalk,
    robots: demoRobots(emulator),
    robotLimit: emulator.robotLimit,
    ...overrides,
  });
}

/** The person's pending card for the bill, once the workflow has delivered it. */
export function pendingCard(
  emulator: DingTalkEmulator,
  userId: string,
  billNo: string,
  timeoutMs = 15_000,
): Promise<EmulatedCard> {
  return eventually(
    () =>
      emulator.cardsFor(userId).find((c) => c.cardParamMap.billNo === billNo && c.cardParamMap.status === 'pending'),
    timeoutMs,
    `${userId}'s card for ${billNo}`,
  );
}

/** What the bot answered this person in their 1:1 chat, oldest first. */
export function botRepliesTo(emulator: DingTalkEmulator, userId: string): string[] {
  return emulator
    .messagesFor({ userId })
    .filter((m) => m.kind === 'sessionReply')
    .map((m) => m.text);
}

/** Writes to the bot as this person and returns the bot's answer to that message. */
export async function sayToBot(
  emulator: DingTalkEmulator,
  userId: string,
  text: string,
  timeoutMs = 30_000,
): Promise<string> {
  const before = botRepliesTo(emulator, userId).length;
  await emulator.sendBotMessage({ userId, text });
  await eventually(
    () => botRepliesTo(emulator, userId).length > before,
    timeoutMs,
    `the answer to ${userId}'s "${text}"`,
  );
  return botRepliesTo(emulator, userId)[before]!;
}
