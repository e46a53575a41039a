/**
 * Replays recorded workflow histories (JSON from `temporal workflow show --output json`) against the current
 * workflow code and reports any nondeterminism. `node --import tsx scripts/replay-histories.ts <dir> [bundle.js]`.
 * Runs as its own process: protobufjs must be loaded once, which a jest module registry does not guarantee.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

async function main(dir: string, bundlePath?: string): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const histories = files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
  }));
  const options = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  let failed = 0;
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) failed += 1;
    console.log(
      `${result.error ? 'FAIL' : 'OK  '} ${result.workflowId}${result.error ? `: ${result.error.message}` : ''}`,
    );
  }
  console.log(`${files.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main(process.argv[2] ?? path.resolve(__dirname, '..', 'test', 'fixtures', 'histories'), process.argv[3]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
