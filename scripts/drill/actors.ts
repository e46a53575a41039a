/**
 * Who acts during the drill besides the bridge: the approvers, pressing 同意 on their cards through the DingTalk
 * emulator's click endpoint (the callback DingTalk itself would send), and Kingdee's background faults (a share of
 * calls answered HTTP 500, random latency), injected through the emulator's `/_emulator/faults` API.
 */
import { http, sleep } from './world';

export interface Card {
  outTrackId: string;
  userIds: string[];
  cardParamMap: Record<string, string>;
  privateData?: Record<string, Record<string, string>>;
  lastCallback?: { ok: boolean; detail?: string };
}

export interface Click {
  /** When the person clicked … */
  at: number;
  /** … and when the card showed the answer. */
  answeredAt: number;
  billNo: string;
  stepId: string;
  userId: string;
  /** The callback reached the bridge and it answered. */
  ok: boolean;
  /** What the card showed the person afterwards: approved, processing, pending (the callback failed) … */
  status: string;
  /** The person's tip afterwards (a refusal, or how the approval ended); empty for an accepted decision. */
  tip: string;
}

export interface Approvers {
  release(billNos: readonly string[]): void;
  clicks: Click[];
  /** Called after each answered click, before the next one (the drill kills the worker "right after a decision"). */
  afterDecision?: (click: Click) => Promise<void>;
  stop(): void;
}

/**
 * Every `intervalMs`, each pending card of a released document is pressed by the person it was delivered to. A
 * press whose callback failed leaves the card pending with its buttons, so it is pressed again after `repressMs`,
 * as a person would; a card showing "processing" has no buttons and is left alone.
 */
export function startApprovers(dingtalk: string, options: { intervalMs: number; repressMs: number }): Approvers {
  let stopped = false;
  const released = new Set<string>();
  const lastPressed = new Map<string, number>();
  const approvers: Approvers = {
    release: (billNos) => billNos.forEach((b) => released.add(b)),
    clicks: [],
    stop: () => {
      stopped = true;
    },
  };
  const loop = async () => {
    while (!stopped) {
      try {
        const cards = await http<Card[]>('GET', `${dingtalk}/_emulator/cards`);
        const due = cards.filter(
          (card) =>
            released.has(card.cardParamMap.billNo ?? '') &&
            card.cardParamMap.status === 'pending' &&
            Date.now() - (lastPressed.get(card.outTrackId) ?? 0) > options.repressMs,
        );
        for (const card of due) {
          if (stopped) break;
          lastPressed.set(card.outTrackId, Date.now());
          const userId = card.userIds[0] ?? '';
          const at = Date.now();
          const after = await http<Card>(
            'POST',
            `${dingtalk}/_emulator/cards/${encodeURIComponent(card.outTrackId)}/click`,
            {
              userId,
              actionId: 'approve',
              params: { workflowId: card.cardParamMap.workflowId, stepId: card.cardParamMap.stepId, comment: '' },
            },
          ).catch(() => undefined);
          const click: Click = {
            at,
            answeredAt: Date.now(),
            billNo: card.cardParamMap.billNo ?? '',
            stepId: card.cardParamMap.stepId ?? '',
            userId,
            ok: after?.lastCallback?.ok === true,
            status: after?.privateData?.[userId]?.status ?? after?.cardParamMap.status ?? 'unknown',
            tip: after?.privateData?.[userId]?.tip ?? '',
          };
          approvers.clicks.push(click);
          if (click.ok && approvers.afterDecision) await approvers.afterDecision(click).catch(() => undefined);
        }
      } catch {
        // The emulator is busy; try again.
      }
      await sleep(options.intervalMs);
    }
  };
  void loop();
  return approvers;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/**
 * Kingdee's background faults while a scenario runs: `failShare` of its calls answered HTTP 500 and `slowShare`
 * delayed by a random 0–`maxLatencyMs`. The emulator's faults are counted ones (`times`), so every `tickMs` the
 * calls made since the last tick are read from its stats and that share of faults added for the calls to come.
 */
export function startKingdeeNoise(
  kingdee: string,
  options: { failShare: number; slowShare: number; maxLatencyMs: number; tickMs?: number },
): { stop(): Promise<void>; injected(): { http500: number; latency: number } } {
  let stopped = false;
  let http500 = 0;
  let latency = 0;
  let carry500 = 0;
  let carrySlow = 0;
  const loop = async () => {
    let last: number | undefined;
    while (!stopped) {
      try {
        const stats = await http<{ byOperation: Record<string, number> }>('GET', `${kingdee}/_emulator/stats`);
        const total = sum(stats.byOperation);
        const calls = last === undefined ? 5 : Math.max(0, total - last);
        last = total;
        carry500 += calls * options.failShare;
        carrySlow += calls * options.slowShare;
        const fail = Math.floor(carry500);
        if (fail > 0) {
          carry500 -= fail;
          http500 += fail;
          await http('POST', `${kingdee}/_emulator/faults`, { kind: 'http500', times: fail });
        }
        while (carrySlow >= 1) {
          carrySlow -= 1;
          latency += 1;
          const ms = Math.round(Math.random() * options.maxLatencyMs);
          await http('POST', `${kingdee}/_emulator/faults`, { kind: 'latency', ms, times: 1 });
        }
      } catch {
        // Try again next tick.
      }
      await sleep(options.tickMs ?? 250);
    }
  };
  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
    injected: () => ({ http500, latency }),
  };
}
