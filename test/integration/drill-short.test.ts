/**
 * The drill's short form (`npm run drill -- --short`): ~20 documents through a world of its own — a file-backed
 * Temporal dev server, both emulators and the bridge as separate processes — with two kill -9 of the worker, one
 * short Temporal restart, Kingdee's faults with a 10 s outage, DingTalk's faults and SIGTERM of worker and API.
 * Every must-be-zero count of every scenario is zero. It runs as a child process (it stops and kills its own
 * children, Temporal included), so this file only reads its JSON report.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const projectRoot = path.resolve(__dirname, '..', '..');

interface Report {
  passed: boolean;
  failure?: string;
  rows: Array<{ scenario: string; mustBeZero: Record<string, number>; notes: Record<string, unknown> }>;
}

it('loses, duplicates and strands nothing under kills, restarts, outages and storms (short drill)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdb-drill-test-'));
  const out = path.join(dir, 'report.json');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/drill/run.ts', '--short', '--out', out], {
      cwd: projectRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), 440_000); // it kills its children on SIGTERM
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0) console.log(output.slice(-6_000));

    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.failure).toBeUndefined();
    expect(report.rows.map((r) => r.scenario)).toEqual([
      'worker-kill9',
      'temporal-restart',
      'kingdee-faults',
      'dingtalk-faults',
      'sigterm',
    ]);
    for (const row of report.rows) {
      expect({ scenario: row.scenario, ...row.mustBeZero }).toEqual({
        scenario: row.scenario,
        ...Object.fromEntries(Object.keys(row.mustBeZero).map((k) => [k, 0])),
      });
    }
    expect(report.rows[0]!.notes.kills).toBe(2);
    expect(code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 460_000);
