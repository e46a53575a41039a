/** The bench's Temporal profile (scripts/bench/server-profile.ts): perf stacks summarised by work and by layer. */
import { summarisePerfScript } from '../../scripts/bench/server-profile';

const stack = (...frames: string[]) => [...frames.map((f, i) => `\t${(0x1000 + i).toString(16)} ${f}`), ''];

it('counts each stack once by the first area of work it shows, and in every layer it passes through', async () => {
  const lines = [
    ...stack(
      'modernc.org/sqlite/lib._sqlite3VdbeExec',
      'go.temporal.io/server/common/persistence/visibility/store/sql.(*VisibilityStore).UpsertWorkflowExecution',
      'go.temporal.io/server/service/history.(*visibilityQueueTaskExecutor).Execute',
      'go.temporal.io/server/service/history/queues.(*executableImpl).Execute',
    ),
    ...stack(
      'google.golang.org/protobuf/internal/impl.(*MessageInfo).sizePointerSlow',
      'go.temporal.io/server/service/history/api/respondworkflowtaskcompleted.(*WorkflowTaskCompletedHandler).Invoke',
    ),
    ...stack('runtime.scanObject', 'runtime.gcDrain', 'runtime.gcBgMarkWorker'),
    ...stack('runtime.futex', 'runtime.mcall'),
  ];
  const summary = await summarisePerfScript(lines);
  expect(summary.samples).toBe(4);
  expect(summary.byWork).toEqual({
    'visibility writes (search attributes, start, close)': 25,
    'workflow tasks (started, completed)': 25,
    'garbage collector': 25,
    other: 25,
  });
  expect(summary.byLayer).toEqual({
    'persistence (all)': 25,
    SQLite: 25,
    'gRPC and protobuf': 25,
    'garbage collector': 25,
  });
});

it('reads stacks that follow a header line, and says nothing for no samples', async () => {
  const withHeaders = ['temporal 123 [000] 1.0: cycles:', ...stack('go.temporal.io/server/service/matching.(*x).y')];
  expect((await summarisePerfScript(withHeaders)).byWork).toEqual({ 'matching (task queues)': 100 });
  const transportOnly = stack(
    'golang.org/x/net/http2.(*Framer).ReadFrame',
    'google.golang.org/grpc.(*Server).serveStreams',
  );
  expect((await summarisePerfScript(transportOnly)).byWork).toEqual({
    'gRPC transport (framing, dispatching calls)': 100,
  });
  expect(await summarisePerfScript([])).toEqual({ samples: 0, byWork: {}, byLayer: {} });
});
