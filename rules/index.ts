/**
 * The rules file (审批规则): calendar, forms, approval chains, escalation, notification-only rules and ingestion, as
 * one YAML file that finance admins edit. This module is its single source of truth: the zod schema below defines
 * the format, `Rules` and every sub-type come from it, and `loadRules` / `parseRules` fail fast with ONE error that
 * lists every problem as `<file>: <yaml.path>: <reason> (line N)`.
 *
 * docs/rules.md explains every field for the people who edit the file; config/rules.example.yaml is the demo world.
 *
 * Only the loader does I/O. Workflow code imports types from here (`import type`), never values, so neither zod nor
 * yaml ends up in the workflow bundle; the pure helpers the schema uses live under domain/.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { describeStatus, documentStatusLabels, documentStatuses, type DocumentStatus } from '../domain/document';
import { workingDayMs } from '../domain/business-hours';
import { DAY_MS, parseDuration, parseDurationParts } from '../domain/duration';
import { templatePlaceholderNames, unknownTemplatePlaceholders } from '../domain/texts';

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

/** A strict object whose "unknown field" message names the allowed fields and suggests the closest one. */
function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const parts = issue.keys.map((key) => {
        const guess = closest(key, allowed);
        return `unknown field "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
      });
      return `${parts.join('; ')}; allowed fields: ${allowed.join(', ')}`;
    },
  });
}

function closest(word: string, candidates: string[]): string | undefined {
  const lower = word.toLowerCase();
  const prefixMatch = candidates.find((c) => c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase()));
  if (lower.length >= 3 && prefixMatch) return prefixMatch;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

const nonEmptyText = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

/** DingTalk userIds are text; YAML would turn an unquoted 012345 into the number 12345 and lose the zero. */
const userIdSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'a DingTalk userId is required'
        : 'a DingTalk userId must be text: put ids that look like numbers in quotes, e.g. "012345"',
  })
  .trim()
  .min(1, 'a DingTalk userId must not be empty');

const formIdSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]*$/,
    'a Kingdee FormId looks like ER_ExpReimbursement or AP_PAYBILL (letters, digits, _)',
  );

/** Kingdee field keys such as FProposerID; matched case-insensitively, as Kingdee does. */
const fieldKeySchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'a Kingdee field key looks like FProposerID or FBaseQty');

/** Step and notification ids end up in card ids and logs, so they stay short ASCII. */
const idSchema = z
  .string({ error: 'an id is required: a short name in letters, digits, - or _ (e.g. finance-manager)' })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'an id is 1–32 letters, digits, - or _ (e.g. finance-manager)');

const robotNameSchema = z.string().trim().min(1, 'a robot name must not be empty');

/** A number written plainly: YAML reads `50,000` or `¥50000` as text, which would silently never compare. */
const amountSchema = z.number({
  error: (issue) =>
    typeof issue.input === 'string'
      ? `"${issue.input}" is text, not a number: write the amount plainly, e.g. 50000 (no commas, no ¥)`
      : 'must be a number, e.g. 50000',
});

/** A duration as written (`4h`, `2d`, `1h30m`), validated and trimmed; a bare number is refused (which unit?). */
const durationTextSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `${value} has no unit: write e.g. ${value}m, ${value}h or ${value}d`,
    });
    return z.NEVER;
  }
  try {
    const parts = parseDurationParts(value);
    if (parts.days * DAY_MS + parts.ms <= 0) {
      ctx.issues.push({ code: 'custom', input: value, message: 'must be longer than zero' });
      return z.NEVER;
    }
  } catch (error) {
    ctx.issues.push({ code: 'custom', input: value, message: (error as Error).message });
    return z.NEVER;
  }
  return value.trim();
});

/**
 * A duration counted in business time, kept as text: `d` means one working day of the calendar, so it only becomes
 * milliseconds together with the calendar (chain.ts does that when it plans a chain).
 */
const businessDurationSchema = durationTextSchema;
/** A wall-clock duration (`d` = 24 h), converted to milliseconds. */
const wallDurationMsSchema = durationTextSchema.transform((text) => parseDuration(text));

/** Message templates: text with placeholders such as {单号} or {billNo}. */
const templateSchema = nonEmptyText('a message text').superRefine((text, ctx) => {
  const unknown = unknownTemplatePlaceholders(text);
  if (unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown placeholder ${unknown.map((name) => `{${name}}`).join(', ')}; known: ${templatePlaceholderNames
        .map((name) => `{${name}}`)
        .join(' ')}`,
    });
  }
});

const nameListSchema = z
  .union([nonEmptyText('a name'), z.array(nonEmptyText('a name')).min(1)], {
    error: 'write one name or a list of names',
  })
  .transform((value) => (typeof value === 'string' ? [value] : value));

// ---------------------------------------------------------------------------------------------------------------
// Calendar (工作日历)

const weekdayAliases: Record<string, number> = {};
(
  [
    [0, ['sun', 'sunday', '周日', '周天', '星期日', '星期天', '日']],
    [1, ['mon', 'monday', '周一', '星期一', '一']],
    [2, ['tue', 'tuesday', '周二', '星期二', '二']],
    [3, ['wed', 'wednesday', '周三', '星期三', '三']],
    [4, ['thu', 'thursday', '周四', '星期四', '四']],
    [5, ['fri', 'friday', '周五', '星期五', '五']],
    [6, ['sat', 'saturday', '周六', '星期六', '六']],
  ] as const
).forEach(([day, names]) => names.forEach((name) => (weekdayAliases[name] = day)));

export const weekdayLabels = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'] as const;

const weekdaySchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  // ISO numbering: 1 = Monday … 7 = Sunday. Internally 0 = Sunday, like Date#getUTCDay.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 7) return value % 7;
  const day = typeof value === 'string' ? weekdayAliases[value.trim().toLowerCase()] : undefined;
  if (day !== undefined) return day;
  ctx.issues.push({
    code: 'custom',
    input: value,
    message: `"${String(value)}" is not a weekday: write mon … sun, 周一 … 周日, or 1 (Monday) … 7 (Sunday)`,
  });
  return z.NEVER;
});

const periodPattern = /^(\d{1,2})[:：](\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2})[:：](\d{2})$/;

/** A working period of a day, in minutes after local midnight; `end` is exclusive and may be 24:00. */
const periodSchema = z.string().transform((value, ctx) => {
  const match = periodPattern.exec(value.trim());
  const minutes = (h?: string, m?: string) => Number(h) * 60 + Number(m);
  const start = match ? minutes(match[1], match[2]) : NaN;
  const end = match ? minutes(match[3], match[4]) : NaN;
  const valid = match && Number(match[2]) < 60 && Number(match[4]) < 60 && start < end && end <= 24 * 60;
  if (!valid) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a working period: write start-end in 24-hour time, e.g. "09:00-12:00" (start before end, within one day)`,
    });
    return z.NEVER;
  }
  return { start, end };
});

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumberOf(date: string): number | undefined {
  const match = isoDatePattern.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

const isoDateOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** YAML 1.1 files (`%YAML 1.1`) turn unquoted dates into Date objects; accept them as the date they name. */
const dateText = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z.string({ error: 'write a date as YYYY-MM-DD, e.g. 2026-10-01' }),
);

/** One date, or an inclusive range `2026-10-01~2026-10-07` (also `..`, `至`, `到`), expanded to dates. */
const dateOrRangeSchema = dateText.transform((value, ctx) => {
  const parts = value.split(/\s*(?:~|～|\.\.|至|到)\s*/).map((part) => part.trim());
  const days = parts.map(dayNumberOf);
  const [first, last = first] = days;
  if (parts.length > 2 || first === undefined || last === undefined || days.includes(undefined)) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a date: write YYYY-MM-DD (e.g. 2026-10-01) or a range 2026-10-01~2026-10-07`,
    });
    return z.NEVER;
  }
  if (last < first || last - first > 366) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}": a range goes from the earlier to the later date and spans at most a year`,
    });
    return z.NEVER;
  }
  return Array.from({ length: last - first + 1 }, (_, i) => isoDateOfDay(first + i));
});

const singleDateSchema = dateText.transform((value, ctx) => {
  const day = dayNumberOf(value.trim());
  if (day === undefined) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${value}" is not a date: write YYYY-MM-DD, e.g. 2026-09-27`,
    });
    return z.NEVER;
  }
  return isoDateOfDay(day);
});

const offsetPattern = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** A fixed UTC offset: `+08:00`, `UTC+8`, or a number of hours (8, -5, 5.5). China has no DST. */
const utcOffsetSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  let minutes: number | undefined;
  if (typeof value === 'number') minutes = Math.round(value * 60);
  else {
    const match = offsetPattern.exec(value.trim());
    if (match && Number(match[3] ?? 0) < 60) {
      minutes = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
    }
  }
  if (minutes === undefined || !Number.isFinite(minutes) || Math.abs(minutes) > 14 * 60) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${String(value)}" is not a UTC offset: write e.g. "+08:00" (China)`,
    });
    return z.NEVER;
  }
  return minutes;
});

const formatOffset = (minutes: number): string => {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
};

export const calendarSchema = strict({
  utcOffset: utcOffsetSchema.default(8 * 60),
  alwaysOpen: z.boolean().default(false),
  workdays: z.array(weekdaySchema).default([1, 2, 3, 4, 5]),
  hours: z
    .array(periodSchema)
    .superRefine((periods, ctx) => {
      const sorted = [...periods].sort((a, b) => a.start - b.start);
      if (sorted.some((period, i) => i > 0 && period.start < (sorted[i - 1]?.end ?? 0))) {
        ctx.addIssue({
          code: 'custom',
          message: 'working periods overlap: list them without overlaps, e.g. "09:00-12:00", "13:30-18:00"',
        });
      }
    })
    .default([
      { start: 9 * 60, end: 12 * 60 },
      { start: 13 * 60 + 30, end: 18 * 60 },
    ]),
  holidays: z.array(dateOrRangeSchema).default([]),
  makeupWorkdays: z.array(singleDateSchema).default([]),
}).transform((calendar, ctx) => {
  const workdays = [...new Set(calendar.workdays)].sort((a, b) => a - b);
  const hours = [...calendar.hours].sort((a, b) => a.start - b.start);
  const holidays = [...new Set(calendar.holidays.flat())].sort();
  const makeupWorkdays = [...new Set(calendar.makeupWorkdays)].sort();
  const problem = (path: PropertyKey[], message: string) =>
    ctx.issues.push({ code: 'custom', input: calendar, path, message });
  if (!calendar.alwaysOpen) {
    if (workdays.length === 0) {
      problem(['workdays'], 'no working days: list the working weekdays (e.g. [周一, 周二, 周三, 周四, 周五])');
    }
    if (hours.length === 0) problem(['hours'], 'no working hours: list periods such as "09:00-12:00"');
  }
  const holidaySet = new Set(holidays);
  calendar.makeupWorkdays.forEach((date, index) => {
    if (holidaySet.has(date))
      problem(['makeupWorkdays', index], `${date} is listed both as a holiday and as a makeup workday`);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (workdays.includes(weekday)) {
      problem(
        ['makeupWorkdays', index],
        `${date} is a ${weekdayLabels[weekday] ?? ''}, already a working day: makeup workdays (调休上班) are normally weekend days — check the date`,
      );
    }
  });
  return {
    /** Normalised display form, e.g. "+08:00". */
    utcOffset: formatOffset(calendar.utcOffset),
    offsetMinutes: calendar.utcOffset,
    alwaysOpen: calendar.alwaysOpen,
    /** 0 = Sunday … 6 = Saturday. */
    workdays,
    /** Minutes after local midnight, sorted; `end` exclusive. */
    hours,
    /** Sorted YYYY-MM-DD, ranges expanded. */
    holidays,
    makeupWorkdays,
  };
});

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
const delegatesSchema = z.record(z.string().trim().min(1), userIdSchema);

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
// Notification-only rules and ingestion (issue #6)

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
export type Calendar = z.infer<typeof calendarSchema>;
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

/** Parses a calendar section on its own (tests, tools). Throws a ZodError on bad input. */
export const parseCalendar = (input: z.input<typeof calendarSchema>): Calendar => calendarSchema.parse(input);

// ---------------------------------------------------------------------------------------------------------------
// Cross-field checks: references between sections, ordering of timeouts, duplicates

type Problem = { path: PropertyKey[]; message: string };

/**
 * What the cross-field checks look at: every piece of the file that is valid by itself (steps and notification
 * rules one by one), plus the names defined under robots and forms even when their content has errors, so that
 * one pass reports every problem without follow-on errors from the ones already reported.
 */
interface Pieces {
  calendar?: Calendar;
  /** undefined when the robots section is not a mapping (already reported). */
  robotNames?: string[];
  formIds?: string[];
  escalation?: Escalation;
  ops?: Ops;
  /** undefined when the defaults section is invalid: checks that depend on defaults are then skipped. */
  defaults?: StepDefaults;
  delegates?: Record<string, string>;
  forms: Record<string, FormRules>;
  /** Per form, the steps in file order; undefined where a step is invalid. */
  chains: Record<string, Array<RuleStep | undefined>>;
  notifications: Array<NotificationRule | undefined>;
  /** The `form` each notification rule names, valid or not. */
  notifiedForms: string[];
  ingestionForms?: string[];
}

function collectPieces(raw: Record<string, unknown>): Pieces {
  const valid = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
    const result = schema.safeParse(value);
    return result.success ? result.data : undefined;
  };
  const isMapping = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  const mapEntries = <T>(value: unknown, each: (item: unknown) => T | undefined): Record<string, T> => {
    const result: Record<string, T> = {};
    if (isMapping(value)) {
      for (const [key, item] of Object.entries(value)) {
        const parsed = each(item);
        if (parsed !== undefined) result[key] = parsed;
      }
    }
    return result;
  };
  const rawNotifications = Array.isArray(raw.notifications) ? (raw.notifications as unknown[]) : [];
  return {
    calendar: valid(calendarSchema, raw.calendar),
    robotNames: raw.robots === undefined ? [] : isMapping(raw.robots) ? Object.keys(raw.robots) : undefined,
    formIds: isMapping(raw.forms) ? Object.keys(raw.forms) : undefined,
    escalation: valid(escalationSchema.prefault({}), raw.escalation),
    ops: valid(opsSchema, raw.ops),
    defaults: valid(defaultsSchema.prefault({}), raw.defaults),
    delegates: valid(delegatesSchema.default({}), raw.delegates),
    forms: mapEntries(raw.forms, (form) => valid(formSchema, form)),
    chains: mapEntries(raw.chains, (steps) =>
      Array.isArray(steps) ? steps.map((step: unknown) => valid(stepSchema, step)) : undefined,
    ),
    notifications: rawNotifications.map((rule) => valid(notificationSchema, rule)),
    notifiedForms: rawNotifications.flatMap((rule) =>
      isMapping(rule) && typeof rule.form === 'string' ? [rule.form.trim()] : [],
    ),
    ingestionForms: valid(ingestionSchema.prefault({}), raw.ingestion)?.forms,
  };
}

function crossCheck(s: Pieces): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ path, message });
  const robotNames = s.robotNames;
  const checkRobot = (name: string | undefined, path: PropertyKey[]) => {
    if (name === undefined || !robotNames || robotNames.includes(name)) return;
    const guess = closest(name, robotNames);
    add(
      path,
      `unknown robot "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; robots defined: ${robotNames.join(', ') || '(none)'}`,
    );
  };
  const formIds = s.formIds;
  const checkForm = (formId: string, path: PropertyKey[]) => {
    if (!formIds || formIds.includes(formId)) return;
    add(path, `form ${formId} is not defined under forms: add it there (name, kingdeeWorkflow, …) or fix the FormId`);
  };

  checkRobot(s.escalation?.robot, ['escalation', 'robot']);
  checkRobot(s.ops?.robot, ['ops', 'robot']);
  const checkFinalAction = (action: FinalAction | undefined, path: PropertyKey[]) => {
    if (action?.type === 'notify') checkRobot(action.to.robot, [...path, 'notify', 'robot']);
  };
  checkFinalAction(s.defaults?.finalAction, ['defaults', 'finalAction']);

  for (const [formId, form] of Object.entries(s.forms)) {
    form.onApproved.forEach((f, i) => checkRobot(f.to.robot, ['forms', formId, 'onApproved', i, 'to', 'robot']));
    form.onRejected.forEach((f, i) => checkRobot(f.to.robot, ['forms', formId, 'onRejected', i, 'to', 'robot']));
  }

  const dayMs = s.calendar ? workingDayMs(s.calendar) : undefined;
  const escalationHasTarget = !s.escalation || s.escalation.notifyManager || s.escalation.robot !== undefined;
  checkDelegates(s.delegates ?? {}, ['delegates'], add);

  for (const [formId, steps] of Object.entries(s.chains)) {
    checkForm(formId, ['chains', formId]);
    const seen = new Map<string, number>();
    steps.forEach((step, index) => {
      if (!step) return;
      const path = ['chains', formId, index];
      const first = seen.get(step.id);
      if (first !== undefined) add([...path, 'id'], `duplicate step id "${step.id}" (also used by step ${first + 1})`);
      else seen.set(step.id, index);
      checkFinalAction(step.finalAction, [...path, 'finalAction']);
      if (step.delegates) checkDelegates(step.delegates, [...path, 'delegates'], add);

      if (!s.defaults) return; // invalid defaults: the effective timeouts are unknown
      const effective = {
        remindAfter: step.remindAfter ?? s.defaults.remindAfter,
        remindEvery: step.remindEvery ?? s.defaults.remindEvery,
        escalateAfter: step.escalateAfter ?? s.defaults.escalateAfter,
        finalAfter: step.finalAfter ?? s.defaults.finalAfter,
        finalAction: step.finalAction ?? s.defaults.finalAction,
      };
      if (effective.finalAfter !== undefined && effective.finalAction === undefined) {
        add(
          [...path, 'finalAfter'],
          'finalAfter needs a finalAction ({reject: {reason}} or {notify: …}) here or in defaults',
        );
      }
      if (step.finalAction !== undefined && effective.finalAfter === undefined) {
        add([...path, 'finalAction'], 'finalAction has no effect without finalAfter (when to take it)');
      }
      if (effective.remindEvery !== undefined && effective.remindAfter === undefined) {
        add(
          [...path, step.remindEvery !== undefined ? 'remindEvery' : 'id'],
          'remindEvery needs remindAfter (when the first reminder goes out)',
        );
      }
      if (effective.escalateAfter !== undefined && !escalationHasTarget) {
        add(
          [...path, 'escalateAfter'],
          'escalateAfter has nobody to escalate to: set escalation.robot or escalation.notifyManager: true',
        );
      }
      const timed = (['remindAfter', 'escalateAfter', 'finalAfter'] as const)
        .map((key) => ({ key, text: effective[key] }))
        .filter((entry): entry is { key: typeof entry.key; text: string } => entry.text !== undefined);
      // How long `d` is depends on the calendar; without a valid calendar only day-free durations compare.
      if (dayMs !== undefined || timed.every((entry) => parseDurationParts(entry.text).days === 0)) {
        const order = timed.map((entry) => ({ ...entry, ms: parseDuration(entry.text, { dayMs: dayMs ?? DAY_MS }) }));
        order.forEach((entry, i) => {
          const before = order[i - 1];
          if (before && entry.ms <= before.ms) {
            const where = step[entry.key] !== undefined ? entry.key : before.key;
            add(
              [...path, step[where] !== undefined ? where : 'id'],
              `timeouts must grow: remindAfter < escalateAfter < finalAfter, but ${before.key} is ${before.text} and ${entry.key} is ${entry.text}` +
                (step[where] === undefined ? ' (values from defaults)' : ''),
            );
          }
        });
      }
    });
  }

  const notificationIds = new Map<string, number>();
  s.notifications.forEach((rule, index) => {
    if (!rule) return;
    const path = ['notifications', index];
    const first = notificationIds.get(rule.id);
    if (first !== undefined) add([...path, 'id'], `duplicate notification id "${rule.id}"`);
    else notificationIds.set(rule.id, index);
    checkForm(rule.form, [...path, 'form']);
    checkRobot(rule.to.robot, [...path, 'to', 'robot']);
  });

  const chainForms = new Set(Object.keys(s.chains));
  const notifiedForms = new Set(s.notifiedForms);
  s.ingestionForms?.forEach((formId, index) => {
    const path = ['ingestion', 'forms', index];
    checkForm(formId, path);
    if (!chainForms.has(formId) && !notifiedForms.has(formId)) {
      add(path, `form ${formId} is polled but has neither a chain nor a notification rule`);
    }
  });
  return problems;
}

function checkDelegates(
  delegates: Record<string, string>,
  path: PropertyKey[],
  add: (path: PropertyKey[], message: string) => void,
): void {
  for (const [from, to] of Object.entries(delegates)) {
    if (from === to) add([...path, from], `${from} cannot delegate to themselves`);
    else if (delegates[to] === from) add([...path, from], `${from} and ${to} delegate to each other`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Loading and error reporting

export interface RulesProblem {
  /** Where in the file, e.g. `chains.ER_ExpReimbursement[1].remindAfter`; empty for the file itself. */
  path: string;
  message: string;
  /** 1-based, when the place could be found in the file. */
  line?: number;
  column?: number;
}

const MAX_SYNTAX_ERRORS = 3;

/** The rules file is unusable. `message` lists every problem, one per line: `<file>: <path>: <reason> (line N)`. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(
    readonly source: string,
    readonly problems: RulesProblem[],
    options: { showLines?: boolean } = {},
  ) {
    super(
      `The rules file ${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}; fix ${
        problems.length === 1 ? 'it' : 'them'
      } and start again:\n` + problems.map((p) => formatProblem(source, p, options.showLines ?? true)).join('\n'),
    );
  }
}

function formatProblem(source: string, problem: RulesProblem, showLine: boolean): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  const line = showLine && problem.line !== undefined ? ` (line ${problem.line})` : '';
  return `${source}: ${where}${problem.message}${line}`;
}

/** Reads and parses a rules file; throws RulesError naming the file and every problem in it. */
export function loadRules(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new RulesError(path, [
      {
        path: '',
        message: `cannot read the rules file (${reason}); check the path, or start from config/rules.example.yaml`,
      },
    ]);
  }
  return parseRules(text, path);
}

/** Parses rules from YAML text; `sourceName` names the file in error messages. */
export function parseRules(text: string, sourceName: string): Rules {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One broken bracket produces a cascade of errors after it; the first few point at the cause.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => {
      const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      return {
        path: `line ${pos.line}, column ${pos.col}`,
        message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.message}`,
        line: pos.line,
        column: pos.col,
      };
    });
    const more = doc.errors.length - shown.length;
    const hint =
      more > 0 ? [{ path: '', message: `${more} more syntax error(s) after these, most likely caused by them` }] : [];
    throw new RulesError(sourceName, [...shown, ...hint], { showLines: false });
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new RulesError(sourceName, [
      { path: '', message: 'the file is empty: start from config/rules.example.yaml' },
    ]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RulesError(sourceName, [
      { path: '', message: 'the file must be a mapping of sections (calendar:, forms:, chains:, …)' },
    ]);
  }

  const locate = (path: PropertyKey[]) => locateInDocument(doc, lineCounter, path);
  const problems: Array<RulesProblem & { order: number }> = [];
  const addProblem = (path: PropertyKey[], message: string) => {
    const position = locate(path);
    problems.push({ path: formatPath(path), message, ...position, order: position.line ?? Infinity });
  };

  const parsed = rulesSchema.safeParse(raw, { error: friendlyMessage });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const { path, message } of explainIssue(issue)) addProblem(path, message);
    }
  }
  // Cross-field checks run on every piece that is valid by itself, so one pass reports everything.
  for (const { path, message } of crossCheck(collectPieces(raw as Record<string, unknown>))) addProblem(path, message);

  if (problems.length > 0 || !parsed.success) {
    const unique = problems.filter(
      (p, i) => problems.findIndex((q) => q.path === p.path && q.message === p.message) === i,
    );
    unique.sort((a, b) => a.order - b.order);
    throw new RulesError(
      sourceName,
      unique.map(({ order: _order, ...problem }) => problem),
    );
  }
  return parsed.data;
}

/** `chains.ER_ExpReimbursement[0].approvers[1]`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[^\s.[\]"']+$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function locateInDocument(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: PropertyKey[],
): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

// zod's own messages are written for programmers; these say the same in the terms of the person editing YAML.
const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list (lines starting with "- ")',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}

function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = typeNames[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `is required (${expected})`;
      return `should be ${expected}, not ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `allows at most ${String(issue.maximum)} item(s)`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

/**
 * Turns one zod issue into problems. For a union (approver, final action, trigger), when exactly one alternative
 * matched the shape the admin wrote (its errors are inside the value, not about the value's keys), that
 * alternative's errors are precise ("user: must be text"); otherwise the union's own summary is clearer.
 */
function explainIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): Problem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && 'errors' in issue) {
    const shapeMatched = issue.errors.filter(
      (branch) =>
        branch.length > 0 &&
        branch.every(
          (inner) => inner.path.length > 0 || (inner.code !== 'unrecognized_keys' && inner.code !== 'invalid_type'),
        ),
    );
    const onlyMatch = shapeMatched.length === 1 ? shapeMatched[0] : undefined;
    if (onlyMatch) return onlyMatch.flatMap((inner) => explainIssue(inner, path));
  }
  if (issue.code === 'unrecognized_keys') {
    const firstKey = issue.keys[0];
    return [
      { path: firstKey !== undefined && issue.keys.length === 1 ? [...path, firstKey] : path, message: issue.message },
    ];
  }
  return [{ path, message: issue.message }];
}
