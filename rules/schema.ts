/**
 * The rules file's format (审批规则) as one zod schema: calendar, robots, forms, approval chains, escalation, ops
 * alerts, notification-only rules, ingestion, and the pushes without an approval (threshold watches, calendar
 * deadlines, digests). `Rules` and every sub-type come from it (z.infer), so the types the
 * code uses are exactly what a valid file parses to (the calendar section, in calendar.ts, is checked to produce the
 * domain's `Calendar`). docs/rules.md explains every field for the people who edit the file.
 *
 * Checks that look at one value live here; checks between sections (undefined robots, timeout order, duplicate ids)
 * are in checks.ts, and reading the YAML and wording the errors in load.ts.
 *
 * Longer than the ~500-line guide on purpose: the one schema of the rules file, section after section, so the
 * format has a single source of truth; value helpers live in fields.ts and calendar.ts.
 */
import { z } from 'zod';
import { describeStatus, documentStatusLabels, documentStatuses, type DocumentStatus } from '../domain/document';
import { calendarSchema, singleDateSchema, weekdaySchema } from './calendar';
import { conditionFields } from '../domain/watch-state';
import { cardFields } from '../domain/texts/cards';
import {
  oaInstanceFields,
  type OaFieldMapping,
  type OaMappingRules,
  type OaVoucherLine,
  type OaVoucherRules,
} from '../domain/oa-mapping';
import {
  deadlinePlaceholderNames,
  unknownDeadlinePlaceholders,
  unknownWatchPlaceholders,
  watchPlaceholderNames,
} from '../domain/texts/push-notices';
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

/** 确认付款: how an approved bill becomes a 付款单 in Kingdee (WebAPI Push with a conversion rule). */
export const paymentSchema = strict({
  /** The conversion rule (单据转换规则) id, e.g. ER_ExpReimbursementToPayBill. */
  pushRuleId: nonEmptyText('pushRuleId'),
  /** The target form; default AP_PAYBILL (付款单). */
  targetFormId: formIdSchema.default('AP_PAYBILL'),
  /** Submit the new 付款单 (default true). */
  submit: z.boolean().default(true),
  /** Audit it too (default false; needs submit). */
  audit: z.boolean().default(false),
  /** A robot name from `robots` (the cashier group, 出纳群): told "已生成付款单 …". */
  robot: robotNameSchema.optional(),
}).refine((payment) => !payment.audit || payment.submit, {
  message: 'audit: true needs submit: true (Kingdee audits only submitted bills)',
  path: ['audit'],
});

/** What the form's approval cards show (docs/rules.md「卡片」); without it, the form's default fields. */
export const cardSchema = strict({
  fields: z.array(z.enum(cardFields)).min(1, 'list at least one field, or leave card out for the defaults'),
});

/** The words that make a document urgent when its purpose (事由) contains one (rules `urgency.words`). */
export const defaultUrgencyWords = ['加急', '急催', '紧急', '尽快', '急', 'ASAP', 'urgent'] as const;

/**
 * Urgency (加急, docs/rules.md「加急」): a document is urgent when the form's field (`fields`) says so, when its
 * purpose contains one of `words`, or when someone asks the bot; an urgent document's steps remind and escalate on
 * this schedule (business time, as in steps) instead of their own.
 */
export const urgencySchema = strict({
  words: z.array(nonEmptyText('an urgency word')).default([...defaultUrgencyWords]),
  /** Per form: the Kingdee field (e.g. F_UrgentFlag) whose value marks the document urgent (true, 1, 是, 加急 …). */
  fields: z.record(formIdSchema, fieldKeySchema).default({}),
  remindAfter: businessDurationSchema.default('30m'),
  remindEvery: businessDurationSchema.default('1h'),
  escalateAfter: businessDurationSchema.default('2h'),
});

/**
 * The reimbursement assistant (报销 in chat): words people use for Kingdee's 费用项目 and 项目, keyed by the base
 * data's number or name (e.g. 交通费: [打车, 出租车, 滴滴]); Kingdee's own names and numbers are always known.
 */
export const assistantSchema = strict({
  synonyms: z.record(nonEmptyText('a 费用项目 or 项目 number or name'), z.array(nonEmptyText('a synonym'))).default({}),
});

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
  /** 确认付款: the cashier's reply pushes the audited bill down to a 付款单 (docs/rules.md「付款」). */
  payment: paymentSchema.optional(),
  /** What the approval card shows (default: the form's fields, domain/texts/cards.ts defaultCardFields). */
  card: cardSchema.optional(),
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

/** DingTalk 待办 for the approvers, beside their cards. */
export const todosSchema = strict({
  /** Each approver who may decide also gets a 待办 (needs the app's 待办 permission in DingTalk). */
  enabled: z.boolean().default(true),
  /**
   * Created only once the approver has had the card this long without deciding (wall clock; absent: with the card). An
   * approver who decides on the card at once needs no 待办, and it costs two metered DingTalk calls (create, close).
   */
  after: wallDurationMsSchema.default(0),
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
// Pushes without an approval: threshold watches, calendar deadlines, digests (docs/rules.md)

/** Who receives a watch alert, a deadline reminder or a report: a robot's group and/or people. */
export const pushTargetSchema = strict({
  /** A robot name from `robots`: posts to that group. */
  robot: robotNameSchema.optional(),
  /** DingTalk userIds: work notifications to these people. */
  users: z.array(userIdSchema).default([]),
}).refine((target) => target.robot !== undefined || target.users.length > 0, {
  message: 'say who receives it: robot (a group) or users (DingTalk userIds)',
});

const fieldKeyPattern = /^[A-Za-z][A-Za-z0-9_.]*$/;

/** A threshold: a plain number, or a field of the same row (the item's own safety stock). */
const operandSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return { value };
  const text = value.trim();
  if (fieldKeyPattern.test(text)) return { field: text };
  ctx.issues.push({
    code: 'custom',
    input: value,
    message:
      text !== '' && Number.isFinite(Number(text.replace(/[,，¥]/g, '')))
        ? `"${value}" is text, not a number: write the number plainly, e.g. 10 (no quotes, commas or ¥)`
        : `"${value}" is neither a number nor a Kingdee field key: write e.g. 10 or FSafeStock`,
  });
  return z.NEVER;
});

export const watchConditionSchema = strict({
  /** The numeric field compared, e.g. FBaseQty (库存数量). */
  field: fieldKeySchema,
  /** Crossed when the field is below this: a number or another field of the row (FMaterialId.FSafeStock). */
  below: operandSchema.optional(),
  /** Crossed when the field is above this. */
  above: operandSchema.optional(),
}).refine((c) => c.below !== undefined || c.above !== undefined, {
  message: 'give below (e.g. below: FSafeStock) or above (e.g. above: 1000), or both',
});

const timePattern = /^(\d{1,2})[:：](\d{2})$/;

/** A time of day, `09:00`, as minutes after local midnight. */
export const timeOfDaySchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const match = typeof value === 'string' ? timePattern.exec(value.trim()) : null;
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  if (!match || Number(match[2]) >= 60 || minutes >= 24 * 60) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${String(value)}" is not a time of day: write it in quotes, 24-hour clock, e.g. '09:00'`,
    });
    return z.NEVER;
  }
  return minutes;
});

const oneOrMoreFields = z
  .union([fieldKeySchema, z.array(fieldKeySchema).min(1, 'name at least one field')], {
    error: 'write one Kingdee field key or a list of them, e.g. [FMaterialId.FNumber, FStockId.FNumber]',
  })
  .transform((value) => (typeof value === 'string' ? [value] : value));

/** Field keys without duplicates, compared case-insensitively (as Kingdee does), first spelling kept. */
function uniqueFields(fields: readonly string[]): string[] {
  const seen = new Set<string>();
  return fields.filter((field) => {
    const lower = field.toLowerCase();
    if (seen.has(lower)) return false;
    seen.add(lower);
    return true;
  });
}

export const watchSchema = strict({
  id: idSchema,
  /** Shown in the alert, e.g. 库存低于安全库存. */
  name: nonEmptyText('name'),
  /** The Kingdee FormId queried (ExecuteBillQuery), e.g. STK_Inventory (即时库存). Need not be under forms. */
  form: formIdSchema,
  /** Fields shown in the alert (and usable in text). */
  fields: z.array(fieldKeySchema).default([]),
  /** The fields that identify a row (e.g. material and warehouse); default FID. */
  key: oneOrMoreFields.default(['FID']),
  /** A Kingdee FilterString narrowing the query, e.g. "FStockOrgId.FNumber = '100'". */
  filter: nonEmptyText('filter').optional(),
  condition: watchConditionSchema,
  /** How often the query runs (wall clock); 10m by default. */
  every: wallDurationMsSchema
    .refine((ms) => ms >= 10_000 && ms <= 24 * 3_600_000, {
      message: 'every must be between 10s and 1d (5m–1h advised: each check queries Kingdee)',
    })
    .default(600_000),
  to: pushTargetSchema,
  /** One alert line per row, with {field keys} and {数值} {阈值} {字段}; default: the shown fields and the value. */
  text: nonEmptyText('text').optional(),
  /** Rows per ExecuteBillQuery page. */
  pageSize: z.number().int().min(1, 'pageSize is at least 1').max(2_000, 'pageSize is at most 2000').default(500),
  /** At most this many rows are read per check (bounds the Kingdee calls: maxRows / pageSize pages). */
  maxRows: z.number().int().min(1, 'maxRows is at least 1').max(100_000, 'maxRows is at most 100000').default(10_000),
}).transform((watch) => {
  // Checks between the fields (text placeholders, maxRows ≥ pageSize) are in checks.ts: they run even when another
  // field of the watch is wrong, so every problem is reported at once.
  const { every, ...rest } = watch;
  return { ...rest, everyMs: every, queryFields: watchQueryFields(watch) };
});

/** Every field a watch queries: its key, the shown fields and the condition's fields, each once. */
export function watchQueryFields(watch: {
  key: readonly string[];
  fields: readonly string[];
  condition: Parameters<typeof conditionFields>[0];
}): string[] {
  return uniqueFields([...watch.key, ...watch.fields, ...conditionFields(watch.condition)]);
}

/** The message for placeholders of a watch's text that name no queried field; undefined when all are known. */
export function watchTextProblem(text: string, queryFields: readonly string[]): string | undefined {
  const unknown = unknownWatchPlaceholders(text, queryFields);
  if (unknown.length === 0) return undefined;
  return `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}: use a queried field (add it to fields) or one of ${watchPlaceholderNames(
    queryFields,
  )
    .map((n) => `{${n}}`)
    .join(' ')}`;
}

export const deadlineShifts = ['nextWorkingDay', 'previousWorkingDay', 'none'] as const;

const dayOfMonthSchema = z
  .number({ error: 'day is a day of the month, 1–31' })
  .int('day is a whole number, 1–31')
  .min(1, 'day is 1–31')
  .max(31, 'day is 1–31');

/** Exactly one of monthly, yearly and dates says when a deadline is due. */
export function recurrenceProblem(given: readonly string[]): { path: PropertyKey[]; message: string } | undefined {
  if (given.length === 1) return undefined;
  return given.length === 0
    ? {
        path: [],
        message: 'say when it is due: monthly: { day: 15 }, yearly: { month: 5, day: 31 } or dates: [2026-12-31]',
      }
    : {
        path: [given[1] ?? 'monthly'],
        message: `give only one of monthly, yearly and dates (found ${given.join(' and ')})`,
      };
}

/** A yearly date that no year has (February 30); Feb 29 is allowed (its last day in other years). */
export function yearlyDateProblem(month: number, day: number): string | undefined {
  return day > new Date(Date.UTC(2024, month, 0)).getUTCDate() ? `month ${month} has no day ${day}` : undefined;
}

export const deadlineSchema = strict({
  id: idSchema,
  /** Shown in the reminder, e.g. 增值税申报. */
  name: nonEmptyText('name'),
  /** Every month on this day (31 in a shorter month: its last day). */
  monthly: strict({ day: dayOfMonthSchema }).optional(),
  /** Every year on this date. */
  yearly: strict({
    month: z.number({ error: 'month is 1–12' }).int('month is 1–12').min(1, 'month is 1–12').max(12, 'month is 1–12'),
    day: dayOfMonthSchema,
  }).optional(),
  /** Single dates. */
  dates: z.array(singleDateSchema).min(1, 'list at least one date').optional(),
  /** A due date on a holiday or weekend: nextWorkingDay (顺延, default), previousWorkingDay (提前) or none. */
  shift: z
    .enum(deadlineShifts, {
      error: 'shift is nextWorkingDay (顺延, the tax rule), previousWorkingDay (提前) or none',
    })
    .default('nextWorkingDay'),
  /** Working days before the due date to remind; 0 = on the day. */
  remind: z
    .array(
      z
        .number({ error: 'remind lists numbers of working days, e.g. [3, 1, 0]' })
        .int('remind lists whole numbers of working days')
        .min(0, 'remind counts working days before the due date: 0 or more')
        .max(60, 'remind at most 60 working days before'),
    )
    .min(1, 'remind needs at least one day, e.g. [3, 1, 0]')
    .superRefine((days, ctx) => {
      const duplicate = days.find((n, i) => days.indexOf(n) !== i);
      if (duplicate !== undefined) ctx.addIssue({ code: 'custom', message: `${duplicate} is listed twice` });
    })
    .default([3, 1, 0]),
  /** Time of day of the reminders; default 09:00. */
  at: timeOfDaySchema.default(9 * 60),
  to: pushTargetSchema,
  /** Extra text, with {名称} {截止日} {原定日期} {剩余工作日}. */
  text: nonEmptyText('text')
    .superRefine((text, ctx) => {
      const unknown = unknownDeadlinePlaceholders(text);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}; known: ${deadlinePlaceholderNames
            .map((n) => `{${n}}`)
            .join(' ')}`,
        });
      }
    })
    .optional(),
}).transform(({ monthly, yearly, dates, at, remind, ...deadline }, ctx) => {
  const given = [monthly && 'monthly', yearly && 'yearly', dates && 'dates'].filter((k): k is string => !!k);
  const problem = recurrenceProblem(given);
  if (problem) {
    // checks.ts reports the same (deduplicated) also when other fields of the deadline are wrong.
    ctx.issues.push({ code: 'custom', input: deadline, path: problem.path, message: problem.message });
    return z.NEVER;
  }
  const recurrence = monthly
    ? { kind: 'monthly' as const, day: monthly.day }
    : yearly
      ? { kind: 'yearly' as const, month: yearly.month, day: yearly.day }
      : { kind: 'dates' as const, dates: [...new Set(dates ?? [])].sort() };
  return { ...deadline, recurrence, remind: [...new Set(remind)].sort((a, b) => b - a), atMinute: at };
});

export const digestsSchema = strict({
  /** Each approver's morning digest of what waits for them, on working days. */
  approvers: strict({
    /** Time of day (working days only); default 09:00. */
    at: timeOfDaySchema.default(9 * 60),
    /** Waiting longer than this (business time) marks an approval urgent; reminded or escalated ones are anyway. */
    urgentAfter: businessDurationSchema.optional(),
    /** Approvals listed per digest (the rest are counted). */
    maxItems: z.number().int().min(1, 'maxItems is at least 1').max(30, 'maxItems is at most 30').default(20),
  })
    .transform(({ at, ...digest }) => ({ ...digest, atMinute: at }))
    .optional(),
  /** The weekly 同步体检 report. */
  weekly: strict({
    /** Day of the week (周一 … 周日); default Monday. */
    weekday: weekdaySchema.default(1),
    /** Time of day; default 09:00. */
    at: timeOfDaySchema.default(9 * 60),
    /** Default: the ops robot and users. */
    to: pushTargetSchema.optional(),
  })
    .transform(({ at, ...weekly }) => ({ ...weekly, atMinute: at }))
    .optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// OA (钉钉审批) → Kingdee bills (docs/rules.md「钉钉审批生成金蝶单据」; mapping in domain/oa-mapping.ts)

const oaFieldObjectSchema = strict({
  component: nonEmptyText('component').optional(),
  column: nonEmptyText('column').optional(),
  value: z.union([z.string(), z.number()]).optional(),
  instance: z.enum(oaInstanceFields).optional(),
  ref: fieldKeySchema.optional(),
  type: z.enum(['text', 'number', 'date']).default('text'),
  values: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  optional: z.boolean().default(false),
}).transform(({ component, column, value, instance, ...rest }, ctx): OaFieldMapping => {
  const given = [component, column, value, instance].filter((v) => v !== undefined).length;
  if (given !== 1)
    ctx.issues.push({ code: 'custom', input: rest, message: 'give exactly one of component, column, value, instance' });
  const source =
    component !== undefined
      ? { component }
      : column !== undefined
        ? { column }
        : value !== undefined
          ? { value }
          : { instance: instance ?? 'title' };
  return { ...source, ...rest };
});
/** A field: `FCausa: 事由` (a form component, or in entries a table column), or the object form. */
const oaFieldSchema = (shorthand: 'component' | 'column') =>
  z.union([
    z
      .string()
      .trim()
      .min(1)
      .transform((name): OaFieldMapping =>
        shorthand === 'component'
          ? { component: name, type: 'text', optional: false }
          : { column: name, type: 'text', optional: false },
      ),
    oaFieldObjectSchema,
  ]);
/** One voucher line: `{ side: debit, each: row, account: 费用项目, amount: 金额 }` (names: columns for row, else components). */
const oaVoucherLineSchema = strict({
  side: z.enum(['debit', 'credit']),
  /** row: one line per row of voucher.table; once: one line (components, constants, instance fields). */
  each: z.enum(['row', 'once']).default('row'),
  account: z.union([z.string().trim().min(1), oaFieldObjectSchema]),
  amount: z.union([z.string().trim().min(1), oaFieldObjectSchema]),
  explanation: z.union([z.string().trim().min(1), oaFieldObjectSchema]).optional(),
  fields: z.record(fieldKeySchema, z.union([z.string().trim().min(1), oaFieldObjectSchema])).default({}),
}).transform((line, ctx): OaVoucherLine => {
  const named = (value: string | OaFieldMapping, path: string[]): OaFieldMapping => {
    if (typeof value !== 'string') {
      if (line.each === 'once' && 'column' in value)
        ctx.issues.push({
          code: 'custom',
          input: value,
          path,
          message: 'column is for each: row lines; use component',
        });
      return value;
    }
    return line.each === 'row'
      ? { column: value, type: 'text', optional: false }
      : { component: value, type: 'text', optional: false };
  };
  return {
    side: line.side,
    each: line.each,
    account: { ...named(line.account, ['account']), type: 'text' },
    amount: { ...named(line.amount, ['amount']), type: 'number' },
    ...(line.explanation !== undefined ? { explanation: named(line.explanation, ['explanation']) } : {}),
    fields: Object.fromEntries(Object.entries(line.fields).map(([key, value]) => [key, named(value, ['fields', key])])),
  };
});
/** A 会计凭证 (GL_VOUCHER): its line templates; debits must equal credits. */
const oaVoucherSchema = strict({
  table: nonEmptyText('table').optional(),
  lines: z.array(oaVoucherLineSchema).min(2, 'a voucher needs at least a debit and a credit line'),
}).transform((voucher, ctx): OaVoucherRules => {
  if (!voucher.table && voucher.lines.some((line) => line.each === 'row'))
    ctx.issues.push({
      code: 'custom',
      input: voucher,
      path: ['table'],
      message: 'each: row lines need voucher.table (the 明细 component)',
    });
  for (const side of ['debit', 'credit'] as const)
    if (!voucher.lines.some((line) => line.side === side))
      ctx.issues.push({ code: 'custom', input: voucher, path: ['lines'], message: `a voucher needs a ${side} line` });
  return voucher.table ? { table: voucher.table, lines: voucher.lines } : { lines: voucher.lines };
});
export const oaProcessSchema = strict({
  name: nonEmptyText('name'),
  /** The Kingdee bill made from it: a 费用报销单, or a 会计凭证 (GL_VOUCHER, with `voucher:` instead of `entries:`). */
  formId: z.enum(['ER_ExpReimbursement', 'GL_VOUCHER']).default('ER_ExpReimbursement'),
  /** true: DingTalk's approval stands — Submit and Audit at once; false (default): Submit, our chain approves. */
  skipApproval: z.boolean().default(false),
  /** The applicant field (default FProposerID; vouchers have none). */
  employeeField: fieldKeySchema.optional(),
  header: z.record(fieldKeySchema, oaFieldSchema('component')).default({}),
  entries: strict({
    table: nonEmptyText('table').optional(),
    entity: fieldKeySchema.default('FEntity'),
    fields: z.record(fieldKeySchema, oaFieldSchema('column')),
  }).optional(),
  voucher: oaVoucherSchema.optional(),
  /** The entry field holding the marker (default FRemark; vouchers FEXPLANATION). */
  markerField: fieldKeySchema.optional(),
}).transform((process, ctx): OaMappingRules & { name: string; skipApproval: boolean } => {
  for (const [key, field] of Object.entries(process.header))
    if ('column' in field)
      ctx.issues.push({
        code: 'custom',
        input: field,
        path: ['header', key],
        message: 'column is for entries; use component',
      });
  const isVoucher = process.formId === 'GL_VOUCHER';
  if (isVoucher && !process.voucher)
    ctx.issues.push({
      code: 'custom',
      input: process,
      path: ['voucher'],
      message: 'GL_VOUCHER needs voucher: (its debit and credit lines)',
    });
  if (isVoucher && process.entries)
    ctx.issues.push({
      code: 'custom',
      input: process,
      path: ['entries'],
      message: 'a GL_VOUCHER is mapped with voucher:, not entries:',
    });
  if (!isVoucher && process.voucher)
    ctx.issues.push({
      code: 'custom',
      input: process,
      path: ['voucher'],
      message: `voucher: is for formId GL_VOUCHER, not ${process.formId}`,
    });
  if (!isVoucher && !process.entries)
    ctx.issues.push({
      code: 'custom',
      input: process,
      path: ['entries'],
      message: 'entries: is required (the entry rows of the bill)',
    });
  if (isVoucher && process.employeeField)
    ctx.issues.push({
      code: 'custom',
      input: process,
      path: ['employeeField'],
      message: 'a voucher has no applicant field',
    });
  if (process.entries && !process.entries.table)
    for (const [key, field] of Object.entries(process.entries.fields))
      if ('column' in field)
        ctx.issues.push({
          code: 'custom',
          input: field,
          path: ['entries', 'fields', key],
          message: 'column needs entries.table (the 明细 component)',
        });
  const { entries, voucher, employeeField, markerField, ...rest } = process;
  return {
    ...rest,
    ...(entries ? { entries } : {}),
    ...(voucher ? { voucher } : {}),
    ...(isVoucher ? {} : { employeeField: employeeField ?? 'FProposerID' }),
    employeeKey: 'FSTAFFNUMBER',
    markerField: markerField ?? (isVoucher ? 'FEXPLANATION' : 'FRemark'),
  };
});
export const oaSchema = strict({
  /** DingTalk process codes (PROC-…) → how their finished, agreed instances become Kingdee bills. */
  processes: z.record(nonEmptyText('process code'), oaProcessSchema).default({}),
  /** Whose name the result comment on the instance is posted in (default: the originator). */
  commentAs: userIdSchema.optional(),
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
  todos: todosSchema.prefault({}),
  delegates: delegatesSchema.default({}),
  /** DingTalk userIds of the cashiers (出纳): only they may 确认付款. */
  cashiers: z.array(userIdSchema).default([]),
  forms: z.record(formIdSchema, formSchema),
  chains: z.record(formIdSchema, z.array(stepSchema).min(1, 'a chain needs at least one step')).default({}),
  notifications: z.array(notificationSchema).default([]),
  ingestion: ingestionSchema.prefault({}),
  watches: z.array(watchSchema).default([]),
  deadlines: z.array(deadlineSchema).default([]),
  digests: digestsSchema.prefault({}),
  urgency: urgencySchema.prefault({}),
  oa: oaSchema.prefault({}),
  assistant: assistantSchema.prefault({}),
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
export type PaymentRules = z.infer<typeof paymentSchema>;
export type Urgency = z.infer<typeof urgencySchema>;
export type Assistant = z.infer<typeof assistantSchema>;
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
export type PushTarget = z.infer<typeof pushTargetSchema>;
export type WatchRule = z.infer<typeof watchSchema>;
export type DeadlineRule = z.infer<typeof deadlineSchema>;
export type Digests = z.infer<typeof digestsSchema>;
export type OaRules = z.infer<typeof oaSchema>;
export type OaProcessRules = z.infer<typeof oaProcessSchema>;
