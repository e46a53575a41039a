/**
 * `npm run emulator:dingtalk -- --port 8420 --seed emulators/dingtalk/seeds/demo.json [--latency-ms N]
 *  [--rate-limit-times N] [--fail-500-times N] [--token-ttl-ms N] [--no-quotas]`
 *
 * DingTalk's quotas (20 calls/s per app and API, 20 robot messages a minute, 500 work notifications per person a
 * day) are enforced unless `--no-quotas`; usage at GET /_emulator/stats.
 */
import { parseArgs } from 'node:util';
import { loadDingTalkSeed } from './seed';
import { startDingTalkEmulator } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8420' },
    seed: { type: 'string' },
    'latency-ms': { type: 'string' },
    'rate-limit-times': { type: 'string' },
    'fail-500-times': { type: 'string' },
    'token-ttl-ms': { type: 'string' },
    'no-quotas': { type: 'boolean', default: false },
  },
});
startDingTalkEmulator({
  port: Number(values.port),
  seed: loadDingTalkSeed(values.seed),
  ...(values['token-ttl-ms'] ? { tokenTtlMs: Number(values['token-ttl-ms']) } : {}),
  ...(values['no-quotas'] ? { quotas: false as const } : {}),
}).then(
  (emulator) => {
    if (values['latency-ms']) emulator.faults.push({ kind: 'latency', ms: Number(values['latency-ms']) });
    if (values['rate-limit-times'])
      emulator.faults.push({ kind: 'rateLimit', times: Number(values['rate-limit-times']) });
    if (values['fail-500-times']) emulator.faults.push({ kind: 'http500', times: Number(values['fail-500-times']) });
    console.log(
      `DingTalk emulator: ${emulator.baseUrl} (sandbox: ${emulator.baseUrl}/sandbox; quotas ${emulator.quotasEnabled ? 'enforced' : 'lifted'}, usage at /_emulator/stats)`,
    );
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
