/**
 * The demo world for `npm start` without credentials: both emulators on fixed local ports with the demo seeds, and
 * the settings that point the real clients at them. Only base URLs and secrets differ from production.
 */
import { loadSeed } from '../emulators/kingdee/seed';
import { startKingdeeEmulator, type KingdeeEmulator } from '../emulators/kingdee/server';
import { loadDingTalkSeed } from '../emulators/dingtalk/seed';
import { startDingTalkEmulator, type DingTalkEmulator } from '../emulators/dingtalk/server';
import { intoKingdeeExamples } from '../domain/texts/bot-replies';

export interface Demo {
  kingdee: KingdeeEmulator;
  dingtalk: DingTalkEmulator;
  /** Environment overlay: the demo's credentials and base URLs. */
  env: Record<string, string>;
  /** One line per flow: where to click and what to type in the DingTalk sandbox (printed at start-up). */
  flows: string[];
  stop(): Promise<void>;
}

/**
 * What a demo user does to see each flow, one line each. The seeds and config/rules.example.yaml hold what they need:
 * the OA templates PROC-FEE-APPLY (费用申请 → 费用报销单) and PROC-FEE-VOUCHER (费用入账 → 会计凭证), 出纳群 with 钱七 as
 * cashier, 费用项目 (BD_Expense) and 项目 (BAS_PreBaseDataOne), 科目 / 账簿 / 凭证字 for vouchers.
 */
export function demoFlows(sandboxUrl: string, kingdeeUrl: string): string[] {
  const as = (userId: string) => `${sandboxUrl}/sandbox?userId=${userId}`;
  return [
    `审批（金蝶 → 钉钉）：钉钉沙箱 → 李四 → 待办卡片 FYBX000123 按「同意」，再切换到王五按「同意」（${as('lisi')}）`,
    `钉钉 OA → 金蝶费用报销单：钉钉沙箱 → 张三 → 发起「费用申请」（事由、费用日期、费用明细：差旅费 1280）→ 审批通过后金蝶生成费用报销单 FYBX…（${as('zhangsan')}）`,
    `钉钉 OA → 金蝶会计凭证：钉钉沙箱 → 张三 → 发起「费用入账」（费用明细合计与「合计」一致，付款方式 银行转账）→ 审批通过后金蝶生成已审核凭证 PZ…（${kingdeeUrl}/）`,
    `聊天 → 报销单草稿：钉钉沙箱 → 张三 → 对机器人说：${intoKingdeeExamples.expense} → 确认卡片上按「确认」（或回复 确认）→ 金蝶费用报销单进入审批`,
    `确认付款 → 付款单：FYBX000123 审核后，钉钉沙箱 → 钱七（出纳）→ 出纳群 → 说：${intoKingdeeExamples.pay} → 金蝶生成付款单 FKD…（${as('qianqi')}）`,
    `加急：钉钉沙箱 → 张三 → 对机器人说：${intoKingdeeExamples.urgent}（或周八：${intoKingdeeExamples.urgentFromBoss}）→ 审批卡片显示【加急】`,
  ];
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

/**
 * `acctId`: the Kingdee data centre's id instead of the seed's. Workflow ids derive from it (pollers, approvals), so
 * two demos on one Temporal server — e.g. test files running side by side — need different ones.
 */
export async function startDemo(
  ports: { kingdee: number; dingtalk: number },
  options: { acctId?: string } = {},
): Promise<Demo> {
  const seed = loadSeed();
  const kingdeeSeed = options.acctId ? { ...seed, accounts: [{ ...seed.accounts[0]!, acctId: options.acctId }] } : seed;
  const kingdee = await startKingdeeEmulator({ port: ports.kingdee, seed: kingdeeSeed });
  const dingtalk = await startDingTalkEmulator({ port: ports.dingtalk, seed: loadDingTalkSeed() });
  return {
    kingdee,
    dingtalk,
    env: {
      ...demoEnv({ kingdee: kingdee.port, dingtalk: dingtalk.port }),
      ...(options.acctId ? { KINGDEE_ACCT_ID: options.acctId } : {}),
    },
    flows: demoFlows(dingtalk.baseUrl, `http://127.0.0.1:${kingdee.port}`),
    async stop() {
      await dingtalk.close();
      await kingdee.close();
    },
  };
}
