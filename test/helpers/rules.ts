/** Small rules files for tests: always-open calendars and second-long timeouts, so timers fire within a test. */
import { parseRules, type Rules } from '../../rules';

export function testRules(yamlBody: string): Rules {
  return parseRules(yamlBody, 'test-rules.yaml');
}

/** One form, one step, Li Si approves; override pieces with your own YAML where a test needs more. */
export const singleStepRules = `
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
  cashier: { webhook: cashier }
escalation: { robot: finance, notifyManager: true }
ops: { robot: ops }
forms:
  ER_ExpReimbursement:
    name: 费用报销单
    onApproved:
      - to: { robot: cashier }
        text: 请出纳安排报销付款：{单号}
chains:
  ER_ExpReimbursement:
    - id: manager
      name: 部门经理审批
      approvers:
        - user: lisi
`;
