/**
 * Every recorded history (test/fixtures/histories: JSON from `temporal workflow show --output json`, recorded with
 * RECORD_HISTORIES=<scenario>; the two `poller-*` ones with `temporal workflow show` after ingestion.test and
 * push-hints.test, before a push's poll read from the cursor) replays against the current workflow code without
 * nondeterminism, so a change that would break running approvals or pollers fails here. The replay runs in its own process (scripts/replay-histories.ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(__dirname, '..', 'fixtures', 'histories');

it('replays every recorded lifecycle history without nondeterminism', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(10);
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(__dirname, '..', '..', 'scripts', 'replay-histories.ts'),
      dir,
      process.env.TEST_WORKFLOW_BUNDLE!,
    ],
    { encoding: 'utf8' },
  );
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.stdout).toContain(`${files.length} passed, 0 failed`);
  expect(run.status).toBe(0);
}, 120_000);
