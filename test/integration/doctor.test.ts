/**
 * `npm run doctor` against the emulators, as a child process with a real-mode environment (DEMO=off): the card
 * template lines (the demo's id refused in real mode, `--test-card` delivering with the configured template, and
 * DingTalk's `param.templateNotExist` answered with its fix), the card callback route registered in HTTP mode, the
 * DingTalk permissions probe, and the Kingdee forms and user mapping lines.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import type { KingdeeEmulator } from '../../emulators/kingdee/server';
import { demoDingTalk, demoRobots, startTestDingTalk } from '../helpers/dingtalk';
import { demoKingdee, startTestKingdee } from '../helpers/kingdee';
import { temporalAddress, temporalNamespace, uniqueTaskQueue } from '../helpers/temporal';
import { loadSettings } from '../../config/env';
import { silentLogger } from '../../common/logger';
import { startService } from '../../workers/service';

const project = path.resolve(__dirname, '..', '..');
let dingtalk: DingTalkEmulator;
let kingdee: KingdeeEmulator;
let dir: string;

beforeAll(async () => {
  [dingtalk, kingdee] = await Promise.all([startTestDingTalk(), startTestKingdee()]);
  dir = mkdtempSync(path.join(tmpdir(), 'kdb-doctor-'));
});
afterAll(async () => {
  await dingtalk?.close();
  await kingdee?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function realEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    DEMO: 'off',
    KINGDEE_BASE_URL: kingdee.baseUrl,
    KINGDEE_ACCT_ID: demoKingdee.acctId,
    KINGDEE_USERNAME: demoKingdee.userName,
    KINGDEE_APP_ID: demoKingdee.appId,
    KINGDEE_APP_SECRET: demoKingdee.appSecret,
    DINGTALK_API_BASE_URL: dingtalk.baseUrl,
    DINGTALK_OAPI_BASE_URL: dingtalk.baseUrl,
    DINGTALK_CLIENT_ID: demoDingTalk.clientId,
    DINGTALK_CLIENT_SECRET: demoDingTalk.clientSecret,
    DINGTALK_AGENT_ID: demoDingTalk.agentId,
    DINGTALK_ROBOTS: JSON.stringify(demoRobots(dingtalk)),
    ADMIN_TOKEN: 'doctor-test-token',
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_NAMESPACE: temporalNamespace(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('doctor'),
    DATA_DIR: path.join(dir, overrides.DINGTALK_CALLBACK_MODE ?? 'stream'),
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

function doctor(overrides: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...realEnv(overrides) };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/doctor.ts', ...args],
      { cwd: project, env, timeout: 90_000 },
      (err, out) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: out }),
    );
  });
}

/** One doctor line with its `→ fix` line, if any. */
function line(stdout: string, name: string): string {
  const start = stdout.search(new RegExp(`^(OK  |WARN|FAIL) ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
  expect(start).toBeGreaterThan(-1);
  const rest = stdout.slice(start);
  const end = rest.slice(1).search(/\n(OK {2}|WARN|FAIL) /);
  return end === -1 ? rest : rest.slice(0, end + 1);
}

it('refuses the demo template in real mode, delivers a test card, registers the HTTP callback route', async () => {
  const publicBaseUrl = 'http://127.0.0.1:9/bridge';
  const { code, stdout } = await doctor(
    {
      DINGTALK_CARD_TEMPLATE_ID: 'kdb-approval-card',
      DINGTALK_CALLBACK_MODE: 'http',
      PUBLIC_BASE_URL: publicBaseUrl,
      DINGTALK_CARD_CALLBACK_SECRET: 'doctor-route-secret',
      DINGTALK_CARD_ROUTE_KEY: 'kdb-doctor-route',
    },
    ['--test-card', 'lisi'],
  );
  if (process.env.SHOW_DOCTOR) console.log(stdout);
  expect(code).toBe(1);
  const template = line(stdout, 'card template');
  expect(template).toMatch(/^FAIL/);
  expect(template).toContain("the demo emulator's template");
  expect(template).toContain('→ build and publish the approval card');

  expect(line(stdout, 'test card')).toMatch(/^OK {3}test card +delivered to lisi with template kdb-approval-card/);
  const delivered = dingtalk.cardsFor('lisi').filter((c) => c.outTrackId.startsWith('kdb-doctor-'));
  expect(delivered.map((c) => c.templateId)).toEqual(['kdb-approval-card']);

  expect(line(stdout, 'card callback route')).toMatch(/^OK/);
  expect(dingtalk.routes.get('kdb-doctor-route')).toEqual({
    url: `${publicBaseUrl}/dingtalk/card-callback`,
    apiSecret: 'doctor-route-secret',
  });
  expect(line(stdout, 'DingTalk permissions')).toMatch(/^OK/);
  expect(line(stdout, 'Kingdee forms')).toMatch(/^OK/);
  expect(line(stdout, 'Kingdee user mapping')).toMatch(/^(OK|WARN|FAIL)/);
}, 120_000);

it('names the fix when DingTalk does not know the configured template (param.templateNotExist)', async () => {
  const { code, stdout } = await doctor({ DINGTALK_CARD_TEMPLATE_ID: '00000000-0000-0000-0000-000000000000.schema' }, [
    '--test-card',
    'lisi',
  ]);
  expect(code).toBe(1);
  expect(line(stdout, 'card template')).toMatch(/^OK/);
  const testCard = line(stdout, 'test card');
  expect(testCard).toMatch(/^FAIL/);
  expect(testCard).toContain('param.templateNotExist');
  expect(testCard).toContain('→ DingTalk does not know template 00000000-0000-0000-0000-000000000000.schema');
  expect(testCard).toContain('set DINGTALK_CARD_TEMPLATE_ID');
}, 120_000);

it('registers the card callback route at start-up in HTTP mode (api role), again at every start', async () => {
  const settings = loadSettings(
    realEnv({
      DINGTALK_CARD_TEMPLATE_ID: 'kdb-approval-card',
      DINGTALK_CALLBACK_MODE: 'http',
      PUBLIC_BASE_URL: 'https://bridge.example.com',
      DINGTALK_CARD_CALLBACK_SECRET: 'start-route-secret',
      DINGTALK_CARD_ROUTE_KEY: 'kdb-start-route',
      API_PORT: '0',
      DATA_DIR: path.join(dir, 'service'),
    }),
  );
  for (let start = 0; start < 2; start += 1) {
    dingtalk.routes.delete('kdb-start-route');
    const service = await startService({
      settings,
      role: 'api',
      logger: silentLogger,
      temporalAddress: temporalAddress(),
      pollers: false,
    });
    await service.stop();
    expect(dingtalk.routes.get('kdb-start-route')).toEqual({
      url: 'https://bridge.example.com/dingtalk/card-callback',
      apiSecret: 'start-route-secret',
    });
  }
}, 60_000);
