/**
 * The rules file (审批规则) that finance admins edit: calendar, forms, approval chains, escalation, notification-only
 * rules and ingestion, as one YAML file. This is its public face; callers import from here:
 *
 * - schema.ts (with fields.ts, calendar.ts): the format as a zod schema; `Rules` and its sub-types come from it.
 * - suggest.ts: the "did you mean …?" of error messages.
 * - checks.ts: cross-field checks (references between sections, duplicate ids, timeout order).
 * - load.ts: `loadRules` / `parseRules`, the only I/O; one RulesError listing every problem with its line.
 *
 * docs/rules.md explains every field; config/rules.example.yaml is the demo world. Workflow code imports types from
 * here (`import type`), never values, so neither zod nor yaml ends up in the workflow bundle.
 */
export { calendarSchema, parseCalendar, weekdayLabels, type Calendar } from './calendar';
export { formatPath, loadRules, parseRules, RulesError, type RulesProblem } from './load';
export {
  approverSchema,
  conditionSchema,
  defaultsSchema,
  escalationSchema,
  finalActionSchema,
  followUpSchema,
  formSchema,
  ingestionSchema,
  notificationSchema,
  opsSchema,
  rejectOperations,
  robotSchema,
  rulesSchema,
  stepSchema,
  targetSchema,
  triggerSchema,
  type Condition,
  type Escalation,
  type FinalAction,
  type FollowUp,
  type FormRules,
  type Ingestion,
  type NotificationRule,
  type NotificationTrigger,
  type Ops,
  type RejectOperation,
  type Robot,
  type RuleApprover,
  type Rules,
  type RuleStep,
  type StepDefaults,
  type Target,
} from './schema';
