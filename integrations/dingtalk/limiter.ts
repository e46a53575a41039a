/**
 * DingTalk's sending limits (docs: /work/shared/reference/dingtalk-api.md §3.4, §4.3, §10), in one place. The
 * notice outbox (workflows/outbox.ts) paces every notice by these, durably and across worker processes; nothing on
 * the approvals' path waits in-process for them any more.
 */
export const dingtalkLimits = {
  /** Every API: 20 calls a second per app (调用频次与限流); counted by DingTalk per API, not across them. */
  api: { perSecond: 20 },
  /** A custom group robot: 20 messages a minute; exceeding it gets the robot throttled for up to 10 minutes. */
  robot: { perMinute: 20, throttleMs: 10 * 60_000, maxMessageBytes: 15_000 },
  /** App-robot messages and cards to a group: no published per-group number; paced like a custom robot. A card
   * parameter value holds at most 1 KB. */
  groupCard: { perMinute: 20, maxParamBytes: 1_000 },
  /** Work notifications: the message API's rate (client-side 20 QPS, under DingTalk's per-app limits), at most 500
   * messages per person per day (internal app), `msg` at most 2048 bytes, at most 100 userIds per send. */
  workNotice: { perMinute: 1_200, perUserPerDay: 500, maxMessageBytes: 1_800, maxUsersPerSend: 100 },
} as const;

/**
 * At most `max` operations per sliding `windowMs`: callers wait for a free slot instead of failing. In-process only —
 * used for the clients' per-second QPS and the notification-only rules; never for notices (see dingtalkLimits).
 */
export class SlidingWindowLimiter {
  private readonly times: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Resolves when the caller may go; callers go in the order they asked. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
      if (this.times.length < this.max) {
        this.times.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.times[0]! + this.windowMs - now + 1));
    }
  }
}
