/**
 * Notification-only rules (no approval): when a polled change matches a rule, post its template to a group robot
 * and/or as work notifications. Each rule is rate-limited; what the limit holds back is counted and mentioned in
 * the rule's next message, so nothing disappears silently.
 */
import type { Logger } from '../common/logger';
import type { NotificationRule } from '../rules';
import { readDocument, type KingdeeClient } from '../integrations/kingdee';
import type { DingTalkClient } from '../integrations/dingtalk';
import { ruleNotice } from '../domain/texts';
import { toDocumentSummary } from './documents';
import { cellText, type ChangedDocument } from './ingestion';

export function createNotificationSender(deps: {
  rules: { robots: Record<string, { webhook?: string }> };
  dingtalk: DingTalkClient;
  kingdee: KingdeeClient;
  logger: Logger;
  documentLinkTemplate: string;
}) {
  const sent = new Map<string, number[]>();
  const held = new Map<string, number>();
  return async function notifyRule(rule: NotificationRule, change: ChangedDocument): Promise<boolean> {
    const now = Date.now();
    const recent = (sent.get(rule.id) ?? []).filter((t) => t > now - rule.rateLimit.perMs);
    if (recent.length >= rule.rateLimit.max) {
      held.set(rule.id, (held.get(rule.id) ?? 0) + 1);
      deps.logger.warn({ rule: rule.id, billNo: change.billNo }, 'notification held back by the rule rate limit');
      return false;
    }
    const doc = await readDocument(deps.kingdee, change.formId, { number: change.billNo });
    const summary = toDocumentSummary(change, doc, deps.documentLinkTemplate);
    const triggerField = rule.trigger.kind === 'threshold' ? rule.trigger.field : undefined;
    const { title, text } = ruleNotice(summary, {
      template: rule.template,
      ruleName: rule.name,
      ...(triggerField ? { trigger: { field: triggerField, value: cellText(change.fields[triggerField]) } } : {}),
      heldBack: held.get(rule.id) ?? 0,
    });
    if (rule.to.robot) {
      const robot = deps.rules.robots[rule.to.robot];
      await deps.dingtalk.sendRobotMessage(robot?.webhook ?? rule.to.robot, { markdown: { title, text } });
    }
    if (rule.to.users.length > 0) {
      await deps.dingtalk.sendWorkNotification({
        userIds: rule.to.users,
        msg: { msgtype: 'markdown', markdown: { title, text } },
      });
    }
    held.delete(rule.id);
    recent.push(now);
    sent.set(rule.id, recent);
    return true;
  };
}
