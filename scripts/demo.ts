/**
 * The demo world for `npm start` without credentials: both emulators on fixed local ports with the demo seeds, and
 * the settings that point the real clients at them. Only base URLs and secrets differ from production.
 */
import { loadSeed } from '../emulators/kingdee/seed';
import { startKingdeeEmulator, type KingdeeEmulator } from '../emulators/kingdee/server';
import { loadDingTalkSeed } from '../emulators/dingtalk/seed';
import { startDingTalkEmulator, type DingTalkEmulator } from '../emulators/dingtalk/server';

export interface Demo {
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  /** Environment overlay: the demo's credentials and base URLs. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The demo's settings for emulators on these ports (also used by `npm run doctor` against a running demo). */
export function demoEnv(ports: { kingdee: number; dingtalk: number }): Record<string, string> {
  const kingdeeSeed = loadSeed();
  const dingtalkSeed = loadDingTalkSeed();
  const kingdeeBase = `http://127.0.0.1:${ports.kingdee}`;
  const dingtalkBase = `http://127.0.0.1:${ports.dingtalk}`;
  const app = kingdeeSeed.apps[0]!;
  const dingApp = dingtalkSeed.apps[0]!;
  const robots = Object.fromEntries(
    dingtalkSeed.robots.map((robot) => [
      robot.accessToken.replace(/^robot-/, ''),
      { webhookUrl: `${dingtalkBase}/robot/send?access_token=${robot.accessToken}`, secret: robot.secret },
    ]),
  );
  return {
    DEMO: 'on',
    KINGDEE_BASE_URL: `${kingdeeBase}/k3cloud/`,
    KINGDEE_ACCT_ID: kingdeeSeed.accounts[0]!.acctId,
    KINGDEE_AUTH_MODE: 'appSecret',
    KINGDEE_USERNAME: app.userName,
    KINGDEE_APP_ID: app.appId,
    KINGDEE_APP_SECRET: app.appSecret,
    KINGDEE_DOCUMENT_URL: `${kingdeeBase}/#{billNo}`,
    DINGTALK_API_BASE_URL: dingtalkBase,
    DINGTALK_OAPI_BASE_URL: dingtalkBase,
    DINGTALK_CLIENT_ID: dingApp.clientId,
    DINGTALK_CLIENT_SECRET: dingApp.clientSecret,
    DINGTALK_AGENT_ID: dingApp.agentId,
    DINGTALK_ROBOT_CODE: dingApp.robotCode,
    DINGTALK_CALLBACK_MODE: 'stream',
    DINGTALK_CARD_TEMPLATE_ID: 'kdb-approval-card', // the templates the emulator is seeded with
    DINGTALK_NOTICE_CARD_TEMPLATE_ID: 'kdb-notice-card',
    DINGTALK_ROBOTS: JSON.stringify(robots),
  };
}

export async function startDemo(ports: { kingdee: number; dingtalk: number }): Promise<Demo> {
  const kingdee = await startKingdeeEmulator({ port: ports.kingdee, seed: loadSeed() });
  const dingtalk = await startDingTalkEmulator({ port: ports.dingtalk, seed: loadDingTalkSeed() });
  return {
    kingdee,
    dingtalk,
    env: demoEnv({ kingdee: kingdee.port, dingtalk: dingtalk.port }),
    async stop() {
      await dingtalk.close();
      await kingdee.close();
    },
  };
}
