/**
 * The emulator checked from outside with Kingdee's own Python SDK: tools/kingdee-sdk-check/check.py against an
 * emulator started here. The SDK (pinned in tools/kingdee-sdk-check/requirements.txt) is pip-installed once into
 * node_modules/.cache/kingdee-sdk-check. Python 3 and PyPI are part of every machine this project runs on, so a
 * missing SDK fails the test with the reason (never a silent skip); test/kingdee/fidelity.test.ts makes the same
 * calls through our TypeScript client.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { demoKingdee, startTestKingdee } from '../helpers/kingdee';

const root = path.resolve(__dirname, '../..');
const toolDir = path.join(root, 'tools/kingdee-sdk-check');
const sdkDir = path.join(root, 'node_modules/.cache/kingdee-sdk-check');
const env = { ...process.env, PYTHONPATH: sdkDir, PIP_DISABLE_PIP_VERSION_CHECK: '1' };

/** Why the check cannot run here, or undefined when the SDK is importable (installing it first if need be). */
function unavailable(): string | undefined {
  const importable = () =>
    spawnSync('python3', ['-c', 'import k3cloud_webapi_sdk, requests'], { env, timeout: 20_000 }).status === 0;
  if (spawnSync('python3', ['--version'], { timeout: 10_000 }).status !== 0) return 'no python3';
  if (importable()) return undefined;
  const install = spawnSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--retries',
      '1',
      '--timeout',
      '20',
      '--target',
      sdkDir,
      '-r',
      path.join(toolDir, 'requirements.txt'),
    ],
    { env, timeout: 120_000, encoding: 'utf8' },
  );
  if (install.status !== 0 || !importable())
    return `pip could not install kingdee-cdp-webapi-sdk (${(install.stderr || String(install.error ?? '')).trim().split('\n').pop() ?? ''})`;
  return undefined;
}

const reason = unavailable();

let emulator: KingdeeEmulator;
beforeAll(async () => {
  emulator = await startTestKingdee();
});
afterAll(async () => {
  await emulator.close();
});

it("passes Kingdee's Python SDK check (tools/kingdee-sdk-check)", async () => {
  expect(reason).toBeUndefined();
  const args = [
    path.join(toolDir, 'check.py'),
    '--url',
    emulator.baseUrl,
    '--acct-id',
    demoKingdee.acctId,
    '--user',
    demoKingdee.userName,
    '--app-id',
    demoKingdee.appId,
    '--app-secret',
    demoKingdee.appSecret,
    '--json',
  ];
  // Asynchronously: the emulator answering the script runs in this process.
  const { stdout } = await promisify(execFile)('python3', args, { env, timeout: 60_000 }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      throw new Error(`check.py failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    },
  );
  const results = JSON.parse(stdout.trim().split('\n').pop()!) as Array<{ call: string; result: string }>;
  expect(results.filter((r) => r.result !== 'OK')).toEqual([]);
  expect(results.map((r) => r.call)).toEqual(
    expect.arrayContaining([
      'GetDataCenterList (no auth)',
      'Save (FID 0, refs by number, FEntity rows)',
      'View (refs, entries Id/Seq, totals)',
      'Push ER → AP_PAYBILL (RuleId)',
      'POST without /k3cloud/',
    ]),
  );
});
