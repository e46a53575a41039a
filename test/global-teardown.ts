import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__TEMPORAL_DEV_SERVER__?.stop();
  const serverDir = globalThis.__TEMPORAL_DEV_SERVER_DIR__;
  if (serverDir) rmSync(serverDir, { recursive: true, force: true });
}
