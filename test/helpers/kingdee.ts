/** A Kingdee emulator with the demo seed and clients for it, in each auth mode. */
import { KingdeeClient } from '../../integrations/kingdee';
import { loadSeed } from '../../emulators/kingdee/seed';
import {
  startKingdeeEmulator,
  type KingdeeEmulator,
  type KingdeeEmulatorOptions,
} from '../../emulators/kingdee/server';

export const demoKingdee = {
  acctId: '62f1a9b3c4d5e6',
  userName: 'kdb-integration',
  appId: '300001_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY',
  appSecret: 'demo-kingdee-secret-not-real',
  password: 'demo-password',
};

export function startTestKingdee(options: KingdeeEmulatorOptions = {}): Promise<KingdeeEmulator> {
  return startKingdeeEmulator({ seed: loadSeed(), ...options });
}

export function kingdeeClientFor(
  emulator: KingdeeEmulator,
  mode: 'appSecret' | 'signature' | 'password' = 'appSecret',
  overrides: { userName?: string; password?: string } = {},
): KingdeeClient {
  const { acctId, userName, appId, appSecret, password } = demoKingdee;
  const auth =
    mode === 'password'
      ? { mode, userName: overrides.userName ?? userName, password: overrides.password ?? password }
      : { mode, userName: overrides.userName ?? userName, appId, appSecret };
  return new KingdeeClient({ baseUrl: emulator.baseUrl, acctId, auth, timeoutMs: 5_000 });
}
