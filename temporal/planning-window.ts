/**
 * Backpressure for a burst's starts: at most `size` approvals started through the window wait for their first
 * workflow task (planning) at once. A month-end poll reads 1,000 documents in two pages; started all at once they
 * would queue 1,000 first workflow tasks in Temporal, and every other workflow's task on that queue (the notice
 * outboxes, the pollers, a text reply's draft) would wait behind them — while the cards they lead to go out at
 * DingTalk's 20 a second anyway. Through the window, the documents wait in Kingdee's order in the poll instead, and a
 * workflow task is picked up as soon as it is scheduled.
 *
 * Whether a run has begun planning is probed (a describe: its first workflow task started, or none pending). The
 * window never stops ingestion: when nothing it holds makes progress for `stallMs` (no worker running, Temporal
 * overloaded), it opens — starts go through unpaced, as without it — and closes again once a probe sees progress.
 */
export interface StartedRun {
  workflowId: string;
  runId: string;
}

export interface PlanningWindowOptions {
  /** Approvals at most waiting for their first workflow task (default 10: under a second of planning). */
  size?: number;
  /** How often the oldest is probed while the window is full (default 100 ms). */
  probeEveryMs?: number;
  /** No progress for this long opens the window (default 10 s). */
  stallMs?: number;
  /** Told when the window opens for a stall (true) and closes again (false): for the log. */
  onStall?: (stalled: boolean) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class PlanningWindow {
  /** Runs started (or being started: no run yet) through the window whose planning was not seen to begin, oldest
   * first. */
  private readonly waiting: Array<{ run?: StartedRun }> = [];
  private readonly size: number;
  private readonly probeEveryMs: number;
  private readonly stallMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Admissions are decided one at a time, in arrival order (concurrent starts share one window). */
  private turn: Promise<void> = Promise.resolve();
  private lastProgressAt: number;
  private lastProbeAt = 0;
  private open = false;

  constructor(
    private readonly hasBegunPlanning: (run: StartedRun) => Promise<boolean>,
    private readonly options: PlanningWindowOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 10);
    this.probeEveryMs = options.probeEveryMs ?? 100;
    this.stallMs = options.stallMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.lastProgressAt = this.now();
  }

  /** Whether the window is open for a stall (starts pass unpaced): for the log and the tests. */
  get stalled(): boolean {
    return this.open;
  }

  /**
   * Runs `start` once the window has room, holding a place for it meanwhile; `start` answers the run it started
   * (undefined: it started none — the document's approval was already running — and the place is given back).
   * `waitUntil` (epoch ms): past it, no waiting — a caller with a deadline of its own (a poll must end before its
   * activity times out, or its retry would wait for the same documents again) starts the rest unpaced.
   */
  async through<T extends { run?: StartedRun }>(start: () => Promise<T>, waitUntil?: number): Promise<T> {
    const admitted = this.turn.then(() => this.admit(waitUntil));
    this.turn = admitted.then(() => undefined);
    const place = await admitted;
    try {
      const result = await start();
      place.run = result.run;
      return result;
    } finally {
      if (!place.run) this.waiting.splice(this.waiting.indexOf(place), 1);
    }
  }

  /** Waits for room (or a stall), then holds a place: taken in the same step, so the next admission counts it. */
  private async admit(waitUntil = Infinity): Promise<{ run?: StartedRun }> {
    const place: { run?: StartedRun } = {};
    for (;;) {
      if (this.waiting.length < this.size) {
        this.lastProgressAt = this.now(); // a stall is measured from when the window filled, not from the last burst
        break;
      }
      if (this.now() >= waitUntil) break;
      const oldest = this.waiting[0]!.run;
      if (this.open && this.now() - this.lastProbeAt < this.probeEveryMs) break;
      if (oldest) {
        this.lastProbeAt = this.now();
        if (await this.probe(oldest)) {
          this.waiting.shift();
          this.lastProgressAt = this.now();
          this.setOpen(false);
          continue;
        }
      }
      if (this.now() - this.lastProgressAt >= this.stallMs) {
        this.setOpen(true);
        break;
      }
      if (this.open) break;
      await this.sleep(this.probeEveryMs);
    }
    this.waiting.push(place);
    return place;
  }

  private setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    this.options.onStall?.(open);
  }

  /** A probe that fails counts as progress: the window must never hold ingestion up on its own account. */
  private async probe(run: StartedRun): Promise<boolean> {
    try {
      return await this.hasBegunPlanning(run);
    } catch {
      return true;
    }
  }
}
