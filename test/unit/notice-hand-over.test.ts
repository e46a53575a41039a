/**
 * The hand-over of notices to an outbox (activities/notices.ts enqueueNotices) shares signals between concurrent
 * callers — and a shared signal that fails must not fail the callers whose notices were fine. Temporal is replaced
 * by a recorder of signalWithStart calls here; test/integration/notices.test.ts covers the real server.
 */
import type { Client } from '@temporalio/client';
import { enqueueNotices, type OutboxDeps } from '../../activities/notices';
import type { NoticeChannel, QueuedNotice } from '../../workflows/contract';

const cashier: NoticeChannel = { kind: 'robot', robot: 'cashier' };
const notice = (id: string): QueuedNotice => ({ id, title: id, text: id, summary: id, origin: 'test' });

/** OutboxDeps whose client records each signal's notice ids, and refuses any signal carrying a `bad` notice. */
function recordingDeps(): { deps: OutboxDeps; signals: string[][] } {
  const signals: string[][] = [];
  const client = {
    workflow: {
      async signalWithStart(_type: string, options: { signalArgs: [{ notices: QueuedNotice[] }] }) {
        const ids = options.signalArgs[0].notices.map((n) => n.id);
        signals.push(ids);
        await Promise.resolve();
        if (ids.some((id) => id.startsWith('bad'))) throw new Error('payload refused');
      },
    },
  } as unknown as Client;
  return { deps: { client, taskQueue: 'tq' }, signals };
}

it('sends a lone hand-over at once, and those arriving while it is on its way together in the next signal', async () => {
  const { deps, signals } = recordingDeps();
  await Promise.all(['a', 'b', 'c', 'd'].map((id) => enqueueNotices(deps, cashier, [notice(id)])));
  expect(signals).toEqual([['a'], ['b', 'c', 'd']]);
  await enqueueNotices(deps, cashier, [notice('e')]);
  expect(signals.at(-1)).toEqual(['e']);
});

it('keeps signals to other outboxes apart', async () => {
  const { deps, signals } = recordingDeps();
  await Promise.all([
    enqueueNotices(deps, cashier, [notice('a')]),
    enqueueNotices(deps, { kind: 'workNotice' }, [notice('w')]),
    enqueueNotices(deps, cashier, [notice('b')]),
  ]);
  expect(signals).toEqual([['a'], ['w'], ['b']]);
});

it('fails only the caller whose notice was refused when a shared signal fails', async () => {
  const { deps, signals } = recordingDeps();
  const outcomes = await Promise.allSettled(
    ['a', 'b', 'bad', 'c'].map((id) => enqueueNotices(deps, cashier, [notice(id)])),
  );
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect(signals).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
});

it('puts at most 100 notices in one signal, never splitting a caller', async () => {
  const { deps, signals } = recordingDeps();
  const callers = Array.from({ length: 7 }, (_, i) => Array.from({ length: 30 }, (_, j) => notice(`n${i}-${j}`)));
  await Promise.all(callers.map((notices) => enqueueNotices(deps, cashier, notices)));
  expect(signals.map((ids) => ids.length)).toEqual([30, 90, 90]);
});
