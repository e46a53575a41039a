/**
 * Backpressure for a burst's starts: at most `size` approvals started through the window wait for their first
 * workflow task (planning) at once. A month-end poll reads 1,000 documents in two pages; started all at once they
 * would queue 1,000 first workflow tasks in Temporal, and every other workflow's task on that queue (the notice
 * outboxes, the pollers, a text reply's draft) would wait behind them — while the cards they lead to go out at
 * DingTalk's 20 a second anyway. Through the window, the documents wait in Kingdee's order in the poll instead, and a
 * workflow task is picked up as soon as it is scheduled.
 *
 * How a run is seen to have begun planning, cheapest first: its start says so (eager start: the first task came back
 * with it, to this process's worker); this process's worker reports it (`begun`: the planning activity started —
 * any run it holds leaves at once, not only the oldest, and no call to Temporal is made); or a probe of the oldest
 * finds it (a describe: its first workflow task started, or none pending) — at once where nothing reports, and only
 * after `probeAfterMs` where this process's worker does (the run may be planned by another process's worker). The
 * window never stops ingestion: when nothing it holds makes progress for `stallMs` (no worker running, Temporal
 * overloaded), it opens — starts go through unpaced, as without it — and closes again once a run is seen to begin.
 */
export interface StartedRun {
  workflowId: string;
  runId: string;
  /** Its first workflow task was already picked up when it started (eager start): it holds no place. */
  planningBegun?: true;
}

export interface PlanningWindowOptions {
  /** Approvals at most waiting for their first workflow task (default 10: under a second of planning). */
  size?: number;
  /** How often the oldest is probed while the window is full (default 100 ms). */
  probeEveryMs?: number;
  /**
   * Where this process's worker reports planning (`begun`), the oldest is probed only once it has waited this long
   * without a report (default 0: nothing reports, probe at once).
   */
  probeAfterMs?: number;
  /** No progress for this long opens the window (default 10 s). */
  stallMs?: number;
  /** Told when the window opens for a stall (true) and closes again (false): for the log. */
  onStall?: (stalled: boolean) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Reports kept for starts not answered yet: far more than the starts in flight at once (at most `size`). */
const earlyReportsKept = 1_000;

/** A place in the window: the run it holds once its start answered, and since when. */
interface Place {
  run?: StartedRun;
  since?: number;
}

export class PlanningWindow {
  /** Runs started (or being started: no run yet) through the window whose planning was not seen to begin, oldest
   * first. */
  private readonly waiting: Place[] = [];
  /** Runs reported begun while a start was still waiting for its answer (the report can come first). */
  private readonly begunEarly = new Set<string>();
  private readonly size: number;
  private readonly probeEveryMs: number;
  private readonly probeAfterMs: number;
  private readonly stallMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Admissions are decided one at a time, in arrival order (concurrent starts share one window). */
  private turn: Promise<void> = Promise.resolve();
  private lastProgressAt: number;
  private lastProbeAt = 0;
  private open = false;
  /** How the runs that left the window were seen to begin planning (README "Capacity"; the tests). */
  readonly seen = { eager: 0, reported: 0, probed: 0 };
  /** Ends the admission's nap between probes early: a report freed a place. */
  private wake?: () => void;

  constructor(
    private readonly hasBegunPlanning: (run: StartedRun) => Promise<boolean>,
    private readonly options: PlanningWindowOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 10);
    this.probeEveryMs = options.probeEveryMs ?? 100;
    this.probeAfterMs = options.probeAfterMs ?? 0;
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
      const run = result.run;
      if (run?.planningBegun) this.sawBegin('eager');
      else if (run && this.begunEarly.delete(run.runId)) this.sawBegin('reported');
      else if (run) {
        place.run = run;
        place.since = this.now();
      }
      return result;
    } finally {
      if (!place.run) this.waiting.splice(this.waiting.indexOf(place), 1);
    }
  }

  /**
   * This process's worker began planning a run (its planning activity started): if the window holds it, its place
   * is free at once. A report for a run whose start has not answered yet is kept until it does; others (runs started
   * elsewhere) are ignored.
   */
  begun(run: { workflowId: string; runId: string }): void {
    const index = this.waiting.findIndex((place) => place.run?.runId === run.runId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.sawBegin('reported');
      this.wake?.();
      return;
    }
    if (!this.waiting.some((place) => !place.run)) return;
    this.begunEarly.add(run.runId);
    // Bounded: reports no start claims (runs started elsewhere while one here was in flight) go, oldest first.
    for (const runId of this.begunEarly) {
      if (this.begunEarly.size <= earlyReportsKept) break;
      this.begunEarly.delete(runId);
    }
  }

  /** A run was seen to begin planning: counted by how, and the window made progress (a stall ends). */
  private sawBegin(how: keyof PlanningWindow['seen']): void {
    this.seen[how]++;
    this.lastProgressAt = this.now();
    this.setOpen(false);
  }

  /** Waits for room (or a stall), then holds a place: taken in the same step, so the next admission counts it. */
  private async admit(waitUntil = Infinity): Promise<Place> {
    const place: Place = {};
    for (;;) {
      if (this.waiting.length < this.size) {
        this.lastProgressAt = this.now(); // a stall is measured from when the window filled, not from the last burst
        break;
      }
      if (this.now() >= waitUntil) break;
      const oldest = this.waiting[0]!;
      if (this.open && this.now() - this.lastProbeAt < this.probeEveryMs) break;
      if (oldest.run && this.now() - (oldest.since ?? 0) >= this.probeAfterMs) {
        this.lastProbeAt = this.now();
        if (await this.probe(oldest.run)) {
          const index = this.waiting.indexOf(oldest);
          // Unless a report freed it meanwhile (and counted it).
          if (index >= 0) {
            this.waiting.splice(index, 1);
            this.sawBegin('probed');
          }
          continue;
        }
      }
      if (this.now() - this.lastProgressAt >= this.stallMs) {
        this.setOpen(true);
        break;
      }
      if (this.open) break;
      await this.nap();
    }
    this.waiting.push(place);
    return place;
  }

  /** Waits `probeEveryMs`, or less when a report frees a place. */
  private nap(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      void this.sleep(this.probeEveryMs).then(resolve);
    }).finally(() => {
      this.wake = undefined;
    });
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
