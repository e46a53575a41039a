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

export async function startDemo(ports: { kingdee: number; dingtalk: number }): Promise<Demo> {
  const kingdeeSeed = loadSeed();
  const dingtalkSeed = loadDingTalkSeed();
  const kingdee = await startKingdeeEmulator({ port: ports.kingdee, seed: kingdeeSeed });
  const dingtalk = await startDingTalkEmulator({ port: ports.dingtalk, seed: dingtalkSeed });
  const app = kingdeeSeed.apps[0]!;
  const dingApp = dingtalkSeed.apps[0]!;
  const robots = Object.fromEntries(
    dingtalkSeed.robots.map((robot) => [robot.accessToken.replace(/^robot-/, ''), { webhookUrl: `${dingtalk.baseUrl}/robot/send?access_token=${robot.accessToken}`, secret: robot.secret }]),
  );
  return {
    kingdee,
    dingtalk,
    env: {
      DEMO: 'on',
      KINGDEE_BASE_URL: kingdee.baseUrl,
      KINGDEE_ACCT_ID: kingdeeSeed.accounts[0]!.acctId,
      KINGDEE_AUTH_MODE: 'appSecret',
      KINGDEE_USERNAME: app.userName,
      KINGDEE_APP_ID: app.appId,
      KINGDEE_APP_SECRET: app.appSecret,
      KINGDEE_DOCUMENT_URL: `http://127.0.0.1:${kingdee.port}/#{billNo}`,
      DINGTALK_API_BASE_URL: dingtalk.baseUrl,
      DINGTALK_OAPI_BASE_URL: dingtalk.baseUrl,
      DINGTALK_CLIENT_ID: dingApp.clientId,
      DINGTALK_CLIENT_SECRET: dingApp.clientSecret,
      DINGTALK_AGENT_ID: dingApp.agentId,
      DINGTALK_ROBOT_CODE: dingApp.robotCode,
      DINGTALK_CALLBACK_MODE: 'stream',
      DINGTALK_ROBOTS: JSON.stringify(robots),
    },
    async stop() {
      await dingtalk.close();
      await kingdee.close();
    },
  };
}
