/** `npm run emulator:dingtalk -- --port 8420 --seed emulators/dingtalk/seeds/demo.json` */
import { parseArgs } from 'node:util';
import { loadDingTalkSeed } from './seed';
import { startDingTalkEmulator } from './server';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8420' }, seed: { type: 'string' } } });
startDingTalkEmulator({ port: Number(values.port), seed: loadDingTalkSeed(values.seed) }).then(
  (emulator) => {
    console.log(`DingTalk emulator: ${emulator.baseUrl} (sandbox: ${emulator.baseUrl}/sandbox)`);
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
