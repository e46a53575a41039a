/**
 * The rules file's format (审批规则) as one zod schema: calendar, robots, forms, approval chains, escalation, ops
 * alerts, notification-only rules and ingestion. `Rules` and every sub-type come from it (z.infer), so the types the
 * code uses are exactly what a valid file parses to (the calendar section, in calendar.ts, is checked to produce the
 * domain's `Calendar`). docs/rules.md explains every field for the people who edit the file.
 *
 * Checks that look at one value live here; checks between sections (undefined robots, timeout order, duplicate ids)
 * are in checks.ts, and reading the YAML and wording the errors in load.ts.
 */
import { z } from 'zod';
import { describeStatus, documentStatusLabels, documentStatuses, type DocumentStatus } from '../domain/document';
import { calendarSchema } from './calendar';
import {
  amountSchema,
  businessDurationSchema,
  fieldKeySchema,
  formIdSchema,
  idSchema,
  nameListSchema,
  nonEmptyText,
  robotNameSchema,
  strict,
  templateSchema,
  userIdSchema,
  wallDurationMsSchema,
} from './fields';

// ---------------------------------------------------------------------------------------------------------------
// Robots, targets, forms

export const robotSchema = strict({
  /** Display name, e.g. 出纳群. */
  label: z.string().trim().optional(),
  /** Name of a custom group robot configured in the environment (its access token and secret live there). */
  webhook: nonEmptyText('webhook').optional(),
  /** The group's openConversationId (cid…) for messages and cards sent by the app robot. */
  openConversationId: nonEmptyText('openConversationId').optional(),
}).refine((robot) => robot.webhook !== undefined || robot.openConversationId !== undefined, {
  message: 'a robot needs webhook (the name of a custom robot configured in the environment) or openConversationId',
});

/** Who receives a message. */
export const targetSchema = strict({
  /** A robot name from `robots`: posts to that group. */
  robot: robotNameSchema.optional(),
  /** DingTalk userIds: work notifications to these people. */
  users: z.array(userIdSchema).default([]),
  /** The document's applicant (申请人). */
  applicant: z.boolean().default(false),
  /** The approvers: those of the current step (reminders, final actions) or everyone who approved (follow-ups). */
  approvers: z.boolean().default(false),
}).refine((target) => target.robot !== undefined || target.users.length > 0 || target.applicant || target.approvers, {
  message: 'say who receives it: robot, users, applicant: true or approvers: true',
});

export const followUpSchema = strict({
  to: targetSchema,
  /** e.g. "请出纳安排付款 {单号}". */
  text: templateSchema,
});

export const rejectOperations = ['none', 'unAudit', 'cancelAssign', 'workflowReject'] as const;

export const formSchema = strict({
  /** Display name, e.g. 费用报销单. */
  name: nonEmptyText('name'),
  /** The form runs Kingdee's own workflow: approve with WorkflowAudit (a plain Audit is refused there). */
  kingdeeWorkflow: z.boolean().default(false),
  /** What to do in Kingdee on rejection; default workflowReject for kingdeeWorkflow forms, else cancelAssign. */
  rejectOperation: z.enum(rejectOperations).optional(),
  /** Currency the amount thresholds of this form are written in. */
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'a currency is a 3-letter ISO code, e.g. CNY')
    .default('CNY'),
  onApproved: z.array(followUpSchema).default([]),
  onRejected: z.array(followUpSchema).default([]),
}).transform((form, ctx) => {
  if (form.rejectOperation === 'workflowReject' && !form.kingdeeWorkflow) {
    ctx.issues.push({
      code: 'custom',
      input: form,
      path: ['rejectOperation'],
      message:
        'workflowReject needs kingdeeWorkflow: true (only forms that run Kingdee workflow can be rejected that way)',
    });
  }
  return {
    ...form,
    rejectOperation: form.rejectOperation ?? (form.kingdeeWorkflow ? 'workflowReject' : 'cancelAssign'),
  };
});

// ---------------------------------------------------------------------------------------------------------------
// Chains (审批链)

export const approverSchema = z.union(
  [
    userIdSchema.transform((userId) => ({ kind: 'user' as const, userId })),
    strict({ user: userIdSchema }).transform(({ user }) => ({ kind: 'user' as const, userId: user })),
    strict({ applicantManager: z.literal(true) }).transform(() => ({ kind: 'applicantManager' as const })),
    strict({ kingdeeField: fieldKeySchema }).transform(({ kingdeeField }) => ({
      kind: 'kingdeeField' as const,
      field: kingdeeField,
    })),
  ],
  {
    error:
      'an approver is {user: <DingTalk userId>}, {applicantManager: true} or {kingdeeField: <Kingdee person field, e.g. FProposerID>}',
  },
);

export const conditionSchema = strict({
  /** Organisation names (申请组织); the step applies when the document's is one of them. */
  org: nameListSchema.optional(),
  /** Department names. */
  department: nameListSchema.optional(),
  /** Amount thresholds in the form's currency; all given bounds must hold. */
  amount: strict({
    gt: amountSchema.optional(),
    gte: amountSchema.optional(),
    lt: amountSchema.optional(),
    lte: amountSchema.optional(),
  })
    .refine((a) => [a.gt, a.gte, a.lt, a.lte].some((v) => v !== undefined), {
      message: 'give at least one bound: gt (>), gte (≥), lt (<) or lte (≤)',
    })
    .optional(),
}).refine((c) => c.org !== undefined || c.department !== undefined || c.amount !== undefined, {
  message: 'a condition needs org, department or amount',
});

export const finalActionSchema = z.union(
  [
    strict({ reject: strict({ reason: nonEmptyText('reason') }) }).transform(({ reject }) => ({
      type: 'reject' as const,
      reason: reject.reason,
    })),
    strict({
      notify: strict({
        robot: robotNameSchema.optional(),
        users: z.array(userIdSchema).default([]),
        applicant: z.boolean().default(false),
        approvers: z.boolean().default(false),
        text: templateSchema.optional(),
      }).refine((n) => n.robot !== undefined || n.users.length > 0 || n.applicant || n.approvers, {
        message: 'say who is notified: robot, users, applicant: true or approvers: true',
      }),
    }).transform(({ notify: { text, ...to } }) => ({
      type: 'notify' as const,
      to,
      ...(text !== undefined ? { text } : {}),
    })),
  ],
  {
    error: 'a final action is {reject: {reason: <text>}} or {notify: {robot: <name>, text: <optional text>}}',
  },
);

const modeSchema = z.enum(['any', 'all'], {
  error: 'mode is any (one approver is enough) or all (everyone must approve)',
});

/** userId → userId: decisions by the delegate count for the approver (e.g. while on leave). */
export const delegatesSchema = z.record(z.string().trim().min(1), userIdSchema);

export const stepSchema = strict({
  id: idSchema,
  /** Shown on cards, e.g. 财务经理审批. */
  name: nonEmptyText('name'),
  when: conditionSchema.optional(),
  approvers: z.array(approverSchema).min(1, 'a step needs at least one approver'),
  mode: modeSchema.optional(),
  remindAfter: businessDurationSchema.optional(),
  /** Repeat the reminder this often after the first one (default: remind once). */
  remindEvery: businessDurationSchema.optional(),
  escalateAfter: businessDurationSchema.optional(),
  finalAfter: businessDurationSchema.optional(),
  finalAction: finalActionSchema.optional(),
  delegates: delegatesSchema.optional(),
});

export const defaultsSchema = strict({
  mode: modeSchema.default('any'),
  remindAfter: businessDurationSchema.optional(),
  remindEvery: businessDurationSchema.optional(),
  escalateAfter: businessDurationSchema.optional(),
  finalAfter: businessDurationSchema.optional(),
  finalAction: finalActionSchema.optional(),
});

export const escalationSchema = strict({
  /** The escalation group's robot. */
  robot: robotNameSchema.optional(),
  /** Bring in the waiting approver's manager (from DingTalk). */
  notifyManager: z.boolean().default(true),
});

export const opsSchema = strict({
  robot: robotNameSchema.optional(),
  users: z.array(userIdSchema).default([]),
}).refine((ops) => ops.robot !== undefined || ops.users.length > 0, {
  message: 'say who receives needs-attention alerts: robot or users',
});

// ---------------------------------------------------------------------------------------------------------------
// Notification-only rules and ingestion

/** A status may be written as its letter or its Chinese label. */
const statusAliases: Record<string, DocumentStatus> = Object.fromEntries(
  documentStatuses.flatMap((status) => [
    [status, status],
    [documentStatusLabels[status], status],
  ]),
);

const documentStatusSchema = z.string().transform((value, ctx) => {
  const status = statusAliases[value.trim()] ?? statusAliases[value.trim().toUpperCase()];
  if (status) return status;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `"${value}" is not a document status: write ${documentStatuses.map(describeStatus).join(', ')}`,
  });
  return z.NEVER;
});

export const triggerSchema = z.union(
  [
    strict({ statusBecomes: documentStatusSchema }).transform(({ statusBecomes }) => ({
      kind: 'statusBecomes' as const,
      status: statusBecomes,
    })),
    strict({ anyChange: z.literal(true) }).transform(() => ({ kind: 'anyChange' as const })),
    strict({ field: fieldKeySchema, below: amountSchema.optional(), above: amountSchema.optional() })
      .refine((t) => t.below !== undefined || t.above !== undefined, { message: 'give below or above (or both)' })
      .transform((t) => ({ kind: 'threshold' as const, ...t })),
  ],
  {
    error: 'a trigger is {statusBecomes: C}, {anyChange: true} or {field: <Kingdee field>, below: <n> / above: <n>}',
  },
);

export const notificationSchema = strict({
  id: idSchema,
  name: z.string().trim().optional(),
  form: formIdSchema,
  trigger: triggerSchema,
  when: conditionSchema.optional(),
  to: targetSchema,
  template: templateSchema,
  /** At most `max` messages per `per` (wall-clock) for this rule; DingTalk robots allow 20 a minute. */
  rateLimit: strict({ max: z.number().int().min(1, 'max is at least 1'), per: wallDurationMsSchema })
    .transform(({ max, per }) => ({ max, perMs: per }))
    .default({ max: 10, perMs: 60_000 }),
});

export const ingestionSchema = strict({
  /** FormIds to poll; default: every form that has a chain or a notification rule. */
  forms: z.array(formIdSchema).optional(),
  /** How often Kingdee is polled (wall clock); 10s by default, at most 30s advised. */
  pollInterval: wallDurationMsSchema.default(10_000),
  /** How far each poll looks back past the last change seen, to absorb clock skew; 2m by default. */
  overlap: wallDurationMsSchema.default(120_000),
}).transform(({ forms, pollInterval, overlap }, ctx) => {
  if (pollInterval < 1_000 || pollInterval > 5 * 60_000) {
    ctx.issues.push({
      code: 'custom',
      input: pollInterval,
      path: ['pollInterval'],
      message: 'pollInterval must be between 1s and 5m (10s–30s advised)',
    });
  }
  if (overlap > 60 * 60_000) {
    ctx.issues.push({
      code: 'custom',
      input: overlap,
      path: ['overlap'],
      message: 'overlap must be at most 1h (2m–5m advised)',
    });
  }
  return { ...(forms ? { forms } : {}), pollIntervalMs: pollInterval, overlapMs: overlap };
});

// ---------------------------------------------------------------------------------------------------------------
// The whole file

const rulesObjectSchema = strict({
  version: z.literal(1, { error: 'version must be 1' }).default(1),
  calendar: calendarSchema,
  robots: z.record(robotNameSchema, robotSchema).default({}),
  escalation: escalationSchema.prefault({}),
  ops: opsSchema.optional(),
  defaults: defaultsSchema.prefault({}),
  delegates: delegatesSchema.default({}),
  forms: z.record(formIdSchema, formSchema),
  chains: z.record(formIdSchema, z.array(stepSchema).min(1, 'a chain needs at least one step')).default({}),
  notifications: z.array(notificationSchema).default([]),
  ingestion: ingestionSchema.prefault({}),
});

export const rulesSchema = rulesObjectSchema.transform((rules) => ({
  ...rules,
  ingestion: {
    ...rules.ingestion,
    forms:
      rules.ingestion.forms ??
      [...new Set([...Object.keys(rules.chains), ...rules.notifications.map((n) => n.form)])].sort(),
  },
}));

export type Rules = z.infer<typeof rulesSchema>;
export type Robot = z.infer<typeof robotSchema>;
export type Target = z.infer<typeof targetSchema>;
export type FollowUp = z.infer<typeof followUpSchema>;
export type FormRules = z.infer<typeof formSchema>;
export type RejectOperation = (typeof rejectOperations)[number];
export type RuleApprover = z.infer<typeof approverSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type FinalAction = z.infer<typeof finalActionSchema>;
export type RuleStep = z.infer<typeof stepSchema>;
export type StepDefaults = z.infer<typeof defaultsSchema>;
export type Escalation = z.infer<typeof escalationSchema>;
export type Ops = z.infer<typeof opsSchema>;
export type NotificationRule = z.infer<typeof notificationSchema>;
export type NotificationTrigger = z.infer<typeof triggerSchema>;
export type Ingestion = Rules['ingestion'];
