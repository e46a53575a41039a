/**
 * What ops read when Kingdee cannot be reached: one alert when an outage starts (the poller's reads have failed for a
 * while, workflows/poller.ts) and one message when it is over — never one per document. And when DingTalk keeps
 * failing the approvers' path (cards, 待办), retried without end: one alert per call and half hour. Pure (workflow
 * sandbox safe).
 */
import type { Notice } from './notices';
import { formatElapsed, formatTime, type TimeZone } from './format';

export interface OutageFacts {
  /** The Kingdee data centre (账套). */
  acctId: string;
  /** The form whose poller saw it (its name if the rules give one). */
  form: string;
  /** When the first failing read started (epoch ms). */
  since: number;
  /** Failed reads so far. */
  failures: number;
  /** The last error, as the client classified it. */
  lastError: string;
}

/** `【故障】金蝶无法访问` — the outage has lasted long enough to tell a person. */
export function kingdeeOutageAlert(facts: OutageFacts & { now: number }, tz: TimeZone): Notice {
  return {
    title: '【故障】金蝶无法访问',
    text: [
      '### 【故障】金蝶无法访问',
      `- 账套：${facts.acctId}`,
      `- 开始：${formatTime(facts.since, tz)}（已持续 ${formatElapsed(facts.now - facts.since)}，连续 ${facts.failures} 次读取失败，表单：${facts.form}）`,
      `- 最近错误：${facts.lastError}`,
      '- 影响：新提交的单据暂不会推送审批卡片；已审批单据的回写会自动重试，不会丢失，也不需要逐单处理。',
      '- 处理：请检查金蝶服务、网络和集成用户。恢复后系统会自动补上并再发一条恢复消息。',
    ].join('\n'),
  };
}

/** `【恢复】金蝶已恢复访问` — after an alert, the first successful read. */
export function kingdeeRecoveredNotice(
  facts: Pick<OutageFacts, 'acctId' | 'form' | 'since' | 'failures'> & { now: number },
  tz: TimeZone,
): Notice {
  return {
    title: '【恢复】金蝶已恢复访问',
    text: [
      '### 【恢复】金蝶已恢复访问',
      `- 账套：${facts.acctId}`,
      `- 中断：${formatTime(facts.since, tz)} 至 ${formatTime(facts.now, tz)}，约 ${formatElapsed(facts.now - facts.since)}（${facts.failures} 次读取失败）`,
      '- 期间提交的单据正在补发审批卡片，待回写的单据会自动完成，无需处理。',
    ].join('\n'),
  };
}

/** What a call on the approvers' path does, as ops read it (activities/dingtalk.ts, the calls retried without end). */
export const dingtalkTroubleTasks = {
  deliverApprovalCards: '发送审批卡片',
  updateApprovalCards: '更新审批卡片',
  createApprovalTodos: '创建钉钉待办',
  closeApprovalTodos: '关闭钉钉待办',
} as const;

/** The window within which the same call's trouble is told once (and the alert says so). */
export const dingtalkTroubleWindowMs = 30 * 60_000;

/**
 * `【故障】钉钉接口持续失败：发送审批卡片` — a call on the approvers' path has failed `attempts` times in a row with an
 * error retrying can heal (a 5xx, a timeout, a throttle). It keeps being retried, so nothing is lost; but until it
 * passes an approver may have no card, or an old one.
 */
export function dingtalkTroubleAlert(
  facts: { task: string; attempts: number; lastError: string; workflowId?: string; now: number },
  tz: TimeZone,
): Notice {
  return {
    title: `【故障】钉钉接口持续失败：${facts.task}`,
    text: [
      `### 【故障】钉钉接口持续失败：${facts.task}`,
      `- 时间：${formatTime(facts.now, tz)}`,
      `- 情况：${facts.task}已连续失败 ${facts.attempts} 次，仍在自动重试${facts.workflowId ? `（例如 ${facts.workflowId}）` : ''}`,
      `- 最近错误：${facts.lastError}`,
      '- 影响：审批不会丢失，钉钉恢复后会自动补发和更新，无需逐单处理；在此之前审批人可能收不到卡片或待办，或看到的不是最新状态。',
      `- 处理：请检查钉钉开放平台状态、应用凭证与接口权限、网络和代理。同一类失败 ${formatElapsed(dingtalkTroubleWindowMs)}内只提醒一次。`,
    ].join('\n'),
  };
}
