/**
 * `npm run bench:workflow`, short form: the recorded approval replays without a failure, and the table and the
 * promise sites are printed. (The numbers themselves are the instrument's, never asserted.)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

it('replays the bench scenario and prints time, calls and promises per approval, and where the promises are made', () => {
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve(__dirname, '..', '..', 'scripts', 'bench-workflow.ts'),
      '--approvals',
      '3',
      '--rounds',
      '1',
      '--promise-sites',
      '1',
      '--bundle',
      process.env.TEST_WORKFLOW_BUNDLE!,
    ],
    { encoding: 'utf8' },
  );
  expect(run.stderr).not.toMatch(/replay failed|Error/);
  expect(run.status).toBe(0);
  // round, approvals/s, wall ms, CPU ms, sandbox ms, calls, promises: a row of seven numbers, nothing failed.
  expect(run.stdout).toMatch(/^\s+1\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[1-9]\d*$/m);
  expect(run.stdout).toContain('where the sandbox makes its promises');
  expect(run.stdout).toMatch(/^\s+[\d.]+\s+ApprovalRun\.\w+$/m);
}, 120_000);
