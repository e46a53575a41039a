/** Small rules files for tests: always-open calendars and second-long timeouts, so timers fire within a test. */
import { parse, stringify } from 'yaml';
import { parseRules, type Rules } from '../../rules';

/**
 * Rules from YAML text. With more texts, each is laid over the ones before it — mappings merged key by key, anything
 * else (a list, a value) replaced — so a test names only what it changes, e.g.
 * `testRules(singleStepRules, 'ingestion: { pollInterval: 1s }')`.
 */
export function testRules(yamlBody: string, ...overrides: string[]): Rules {
  if (overrides.length === 0) return parseRules(yamlBody, 'test-rules.yaml');
  const merged = overrides.reduce<unknown>((rules, override) => layOver(rules, parse(override)), parse(yamlBody));
  return parseRules(stringify(merged), 'test-rules.yaml');
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function layOver(base: unknown, override: unknown): unknown {
  if (!isMapping(base) || !isMapping(override)) return override;
  const merged = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = layOver(base[key], value);
  return merged;
}

/**
 * How most test rules begin: an always-open calendar, the finance, ops and cashier groups' robots, escalations to
 * finance and the approver's manager, alerts to ops. A test adds its own `forms:` and `chains:` after it.
 */
export const rulesHeader = `
version: 1
calendar: { utcOffset: '+08:00', alwaysOpen: true }
robots:
  finance: { webhook: finance }
  ops: { webhook: ops }
  cashier: { webhook: cashier }
escalation: { robot: finance, notifyManager: true }
ops: { robot: ops }
`;

/** One form, one step, Li Si approves, the cashier group told; lay your own YAML over it where a test needs more. */
export const singleStepRules = `${rulesHeader}
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
