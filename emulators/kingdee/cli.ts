/**
 * `npm run emulator:kingdee -- --port 8410 --seed emulators/kingdee/seeds/demo.json [--latency-ms N]
 *  [--fail-rate-500 N] [--clock-skew-ms N]`
 */
import { parseArgs } from 'node:util';
import { loadSeed } from './seed';
import { startKingdeeEmulator, type Fault } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8410' },
    seed: { type: 'string' },
    'latency-ms': { type: 'string' },
    'fail-500-times': { type: 'string' },
    'clock-skew-ms': { type: 'string' },
  },
});
const faults: Fault[] = [];
if (values['latency-ms']) faults.push({ kind: 'latency', ms: Number(values['latency-ms']) });
if (values['fail-500-times']) faults.push({ kind: 'http500', times: Number(values['fail-500-times']) });

startKingdeeEmulator({
  port: Number(values.port),
  seed: loadSeed(values.seed),
  clockSkewMs: Number(values['clock-skew-ms'] ?? 0),
  faults,
}).then(
  (emulator) => {
    console.log(`Kingdee emulator: ${emulator.baseUrl} (documents: http://127.0.0.1:${emulator.port}/)`);
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
