/**
 * `npm run fuzz [-- --count 12000 --seed 1]`: at least 10,000 bad inputs against every public endpoint and the Stream
 * path of a world this script starts itself (a Temporal dev server, both emulators, the service in this process),
 * then a table of answers per endpoint. Exits non-zero if any must-be-zero count is not zero (a 5xx, a request
 * without an answer, an unacknowledged Stream frame, an uncaught error, a state change, memory over the ceiling).
 */
import { parseArgs } from 'node:util';
import { startDevServer } from './temporal-cli';
import { formatReport, runFuzz } from './fuzz/run';
import { startFuzzWorld } from './fuzz/world';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10500' },
      seed: { type: 'string' },
      concurrency: { type: 'string', default: '6' },
      'rss-ceiling-mb': { type: 'string', default: '200' },
    },
  });
  const count = Number(values.count);
  const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const log = (line: string) => console.log(line);
  log(`starting the world (Temporal dev server, emulators, service; the worker bundles the workflows) …`);
  const temporal = await startDevServer({ ui: false, log: () => undefined });
  try {
    const world = await startFuzzWorld({ temporalAddress: temporal.address });
    try {
      log(`fuzzing ${count} inputs (seed ${seed}) against ${world.apiUrl} and the Stream gateway …`);
      const report = await runFuzz(world, {
        count,
        seed,
        concurrency: Number(values.concurrency),
        rssCeilingMb: Number(values['rss-ceiling-mb']),
        log,
      });
      log(`\n${formatReport(report)}`);
      return Object.values(report.mustBeZero).some((n) => n !== 0) ? 1 : 0;
    } finally {
      await world.stop();
    }
  } finally {
    await temporal.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
