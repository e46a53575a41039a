/** At most `max` operations per sliding `windowMs`: callers wait for a free slot instead of failing. */
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
