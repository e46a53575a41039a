/**
 * The planning window (temporal/planning-window.ts): starts wait while `size` runs wait for their first workflow
 * task, a start that started nothing gives its place back, and the window opens when nothing progresses (never
 * holding ingestion up for good) and closes again on progress. A run this process's worker reports begun, or whose
 * start says so (eager), frees its place without a probe. Temporal is replaced by a probe the test answers, and
 * time by a clock the test moves; test/integration/burst.test.ts covers the real server.
 */
import { PlanningWindow, type StartedRun } from '../../temporal/planning-window';

/** A window over a fake clock whose probe answers from `begun`; sleeping advances the clock. */
function harness(options: { size: number; stallMs?: number; probeAfterMs?: number }) {
  let now = 0;
  const begun = new Set<string>();
  const probed: string[] = [];
  let probeFails = false;
  const stalls: boolean[] = [];
  const window = new PlanningWindow(
    async (run) => {
      probed.push(run.workflowId);
      await Promise.resolve();
      if (probeFails) throw new Error('Temporal unreachable');
      return begun.has(run.workflowId);
    },
    {
      size: options.size,
      probeEveryMs: 100,
      ...(options.probeAfterMs ? { probeAfterMs: options.probeAfterMs } : {}),
      stallMs: options.stallMs ?? 10_000,
      onStall: (stalled) => stalls.push(stalled),
      now: () => now,
      sleep: async (ms) => {
        now += ms;
        await Promise.resolve();
      },
    },
  );
  const started: string[] = [];
  const start = (id: string, startsNothing = false, waitUntil?: number) =>
    window.through(async () => {
      started.push(id);
      await Promise.resolve();
      const run: StartedRun | undefined = startsNothing ? undefined : { workflowId: id, runId: `run-${id}` };
      return { id, ...(run ? { run } : {}) };
    }, waitUntil);
  /** A start whose answer the test gives (`answer`), optionally saying its planning began already (eager start). */
  const startHeld = (id: string, eager = false) => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const done = window.through(async () => {
      started.push(id);
      await answered;
      return { id, run: { workflowId: id, runId: `run-${id}`, ...(eager ? { planningBegun: true as const } : {}) } };
    });
    return { done, answer };
  };
  return {
    window,
    stalls,
    startHeld,
    now: () => now,
    begun,
    probed,
    started,
    start,
    failProbes: () => {
      probeFails = true;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Lets every pending promise chain run as far as it can without the clock moving. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

it('lets `size` starts through without a probe, then holds the next until the oldest has begun planning', async () => {
  const h = harness({ size: 3, stallMs: Infinity });
  await Promise.all(['a', 'b', 'c'].map((id) => h.start(id)));
  expect(h.probed).toEqual([]);

  const fourth = h.start('d');
  await settle();
  expect(h.started).toEqual(['a', 'b', 'c']);
  expect(h.probed.every((id) => id === 'a')).toBe(true);

  h.begun.add('a');
  await fourth;
  expect(h.started).toEqual(['a', 'b', 'c', 'd']);
});

it('keeps concurrent starts within the window, in the order they asked', async () => {
  const h = harness({ size: 2, stallMs: Infinity });
  const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => h.start(id));
  await settle();
  expect(h.started).toEqual(['a', 'b']);
  h.begun.add('a');
  h.begun.add('b');
  await settle();
  await settle();
  expect(h.started).toEqual(['a', 'b', 'c', 'd']);
  for (const id of ['c', 'd', 'e', 'f']) h.begun.add(id);
  await Promise.all(all);
  expect(h.started).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
});

it('gives the place back when the start started nothing (the approval was already running)', async () => {
  const h = harness({ size: 1, stallMs: Infinity });
  await h.start('running', true);
  await h.start('new');
  expect(h.probed).toEqual([]);
  expect(h.started).toEqual(['running', 'new']);
});

it('gives the place back when the start fails', async () => {
  const h = harness({ size: 1, stallMs: Infinity });
  await expect(
    h.window.through(async () => {
      await Promise.resolve();
      throw new Error('Temporal refused');
    }),
  ).rejects.toThrow('Temporal refused');
  await h.start('next');
  expect(h.probed).toEqual([]);
});

it('opens when nothing begins planning for stallMs (no worker), and closes again once a run is seen to begin', async () => {
  const h = harness({ size: 2, stallMs: 1_000 });
  await Promise.all(['a', 'b'].map((id) => h.start(id)));
  // Nobody plans: the third waits about stallMs, then the window opens and starts pass unpaced.
  await h.start('c');
  expect(h.window.stalled).toBe(true);
  await h.start('d');
  await h.start('e');
  expect(h.started).toEqual(['a', 'b', 'c', 'd', 'e']);

  // Planning resumes: the next probe sees it and the window closes; starts wait again while the backlog drains.
  h.advance(100);
  h.begun.add('a');
  const next = h.start('f');
  await settle();
  expect(h.window.stalled).toBe(false);
  expect(h.started).not.toContain('f');
  for (const id of ['b', 'c', 'd', 'e']) h.begun.add(id);
  await next;
  expect(h.started).toContain('f');
  expect(h.stalls).toEqual([true, false]);
});

it('counts a failing probe as progress: it never holds ingestion up on its own account', async () => {
  const h = harness({ size: 1, stallMs: Infinity });
  await h.start('a');
  h.failProbes();
  await h.start('b');
  expect(h.started).toEqual(['a', 'b']);
});

it('measures a stall from when the window filled, not from the last burst hours ago', async () => {
  const h = harness({ size: 1, stallMs: 1_000 });
  h.advance(3 * 3_600_000);
  await h.start('a');
  const second = h.start('b');
  await settle();
  expect(h.window.stalled).toBe(false);
  expect(h.started).toEqual(['a']);
  h.begun.add('a');
  await second;
  expect(h.started).toEqual(['a', 'b']);
});

it('stops waiting at the caller’s deadline: a poll about to time out starts the rest of its page unpaced', async () => {
  const h = harness({ size: 1, stallMs: Infinity });
  await h.start('a', false, 5_000);
  const waiting = h.start('b', false, 5_000);
  await settle();
  expect(h.started).toEqual(['a']);
  await waiting; // the clock moves while it waits; at 5 s it goes
  expect(h.started).toEqual(['a', 'b']);
  expect(h.window.stalled).toBe(false);
});

it('frees the place of any run this process reports begun, at once and without asking Temporal', async () => {
  const h = harness({ size: 2, stallMs: 5_000, probeAfterMs: 1_000 }); // a lost report fails, not hangs
  await Promise.all(['a', 'b'].map((id) => h.start(id)));
  const third = h.start('c');
  await settle();
  expect(h.started).toEqual(['a', 'b']);
  h.window.begun({ workflowId: 'b', runId: 'run-b' }); // not the oldest
  await third;
  expect(h.started).toEqual(['a', 'b', 'c']);
  expect(h.probed).toEqual([]);
  expect(h.now()).toBeLessThan(1_000);
});

it('holds no place for a run whose start says its planning began (eager start)', async () => {
  const h = harness({ size: 1, stallMs: Infinity });
  const eager = h.startHeld('a', true);
  eager.answer();
  await eager.done;
  await h.start('b');
  expect(h.started).toEqual(['a', 'b']);
  expect(h.probed).toEqual([]);
});

it('keeps a report that comes before its start answered (the worker can be quicker than the answer)', async () => {
  const h = harness({ size: 1, stallMs: 5_000, probeAfterMs: 1_000 }); // a lost report fails, not hangs
  const held = h.startHeld('a');
  await settle();
  h.window.begun({ workflowId: 'a', runId: 'run-a' });
  h.window.begun({ workflowId: 'elsewhere', runId: 'run-elsewhere' }); // started by another process: ignored
  held.answer();
  await held.done;
  await h.start('b');
  expect(h.started).toEqual(['a', 'b']);
  expect(h.probed).toEqual([]);
});

it('asks Temporal about a run nothing reported only after probeAfterMs (another process may plan it)', async () => {
  const h = harness({ size: 1, stallMs: Infinity, probeAfterMs: 1_000 });
  await h.start('a');
  h.begun.add('a'); // planned, by a worker elsewhere: no report comes
  await h.start('b');
  expect(h.probed).toEqual(['a']);
  expect(h.now()).toBeGreaterThanOrEqual(1_000);
});
