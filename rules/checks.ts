/**
 * The rules file's cross-field checks: references between sections (robots, forms), duplicate step and notification
 * ids, delegation loops, timeouts that must grow (remindAfter < escalateAfter < finalAfter, counted on the calendar),
 * settings that need each other (finalAfter and finalAction, remindEvery and remindAfter, escalation targets),
 * polled forms that nothing uses, and for watches, deadlines and digests: unique ids, known robots, a recipient for
 * the weekly report. They run on every piece of the file that is valid by itself, so a single pass
 * reports every problem without follow-on errors.
 */
import { z } from 'zod';
import { workingDayMs, type Calendar } from '../domain/business-hours';
import { DAY_MS, parseDuration, parseDurationParts } from '../domain/duration';
import { calendarSchema } from './calendar';
import {
  defaultsSchema,
  delegatesSchema,
  digestsSchema,
  escalationSchema,
  formSchema,
  ingestionSchema,
  notificationSchema,
  oaSchema,
  opsSchema,
  recurrenceProblem,
  stepSchema,
  watchConditionSchema,
  watchQueryFields,
  watchTextProblem,
  yearlyDateProblem,
  type Digests,
  type Escalation,
  type FinalAction,
  type FormRules,
  type NotificationRule,
  type Ops,
  type RuleStep,
  type StepDefaults,
} from './schema';
import { fieldKeySchema } from './fields';
import { closest } from './suggest';

/** A problem found in the file: where (a path into the YAML) and what is wrong. */
export type Problem = { path: PropertyKey[]; message: string };

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
  /** Threshold watches and calendar deadlines as written (valid or not), digests (undefined when invalid). */
  watches: RawPush[];
  deadlines: RawPush[];
  digests?: Digests;
  /** The ops section was written (valid or not): the weekly report has a default recipient. */
  opsGiven: boolean;
  /** The cashiers (确认付款); undefined when the section is invalid (already reported). */
  cashiers?: string[];
  /** OA processes → Kingdee bills; undefined when the section is invalid (already reported). */
  oa?: z.infer<typeof oaSchema>;
}

export function collectPieces(raw: Record<string, unknown>): Pieces {
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
    watches: (Array.isArray(raw.watches) ? (raw.watches as unknown[]) : []).map((w) => rawPush(w, 'watch')),
    deadlines: (Array.isArray(raw.deadlines) ? (raw.deadlines as unknown[]) : []).map((d) => rawPush(d, 'deadline')),
    digests: valid(digestsSchema.prefault({}), raw.digests),
    opsGiven: raw.ops !== undefined && raw.ops !== null,
    cashiers: raw.cashiers === undefined ? [] : valid(z.array(z.string()), raw.cashiers),
    oa: valid(oaSchema.prefault({}), raw.oa),
  };
}

export function crossCheck(s: Pieces): Problem[] {
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
    checkRobot(form.payment?.robot, ['forms', formId, 'payment', 'robot']);
    if (form.payment && s.cashiers !== undefined && s.cashiers.length === 0) {
      add(['forms', formId, 'payment'], 'nobody may 确认付款: list the cashiers (DingTalk userIds) under cashiers');
    }
  }

  for (const [code, process] of Object.entries(s.oa?.processes ?? {})) {
    if (process.skipApproval || process.formId in s.chains) continue;
    add(
      ['oa', 'processes', code, 'skipApproval'],
      `${process.formId} has no chain: bills from this OA process would wait for an approval nobody gives; add a chain for ${process.formId} or set skipApproval: true`,
    );
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

  // Watches, deadlines and digests: unique ids (they name workflows and Schedules), robots that exist, and the checks
  // between a watch's or a deadline's fields — read from what was written, so they run even where another field of
  // the same entry is wrong.
  const checkIds = (items: RawPush[], section: string, what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      if (item.id === undefined) return;
      const first = seen.get(item.id);
      if (first !== undefined)
        add([section, index, 'id'], `duplicate ${what} id "${item.id}" (also used by ${section}[${first}])`);
      else seen.set(item.id, index);
    });
  };
  checkIds(s.watches, 'watches', 'watch');
  checkIds(s.deadlines, 'deadlines', 'deadline');
  s.watches.forEach((watch, index) => {
    checkRobot(watch.robot, ['watches', index, 'to', 'robot']);
    const textProblem = watch.text && watch.queryFields ? watchTextProblem(watch.text, watch.queryFields) : undefined;
    if (textProblem) add(['watches', index, 'text'], textProblem);
    if (watch.maxRows !== undefined && watch.pageSize !== undefined && watch.maxRows < watch.pageSize) {
      add(
        ['watches', index, 'maxRows'],
        `maxRows (${watch.maxRows}) is below pageSize (${watch.pageSize}): a check reads at least one page`,
      );
    }
  });
  s.deadlines.forEach((deadline, index) => {
    checkRobot(deadline.robot, ['deadlines', index, 'to', 'robot']);
    const recurrence = deadline.recurrences ? recurrenceProblem(deadline.recurrences) : undefined;
    if (recurrence) add(['deadlines', index, ...recurrence.path], recurrence.message);
    const yearly = deadline.yearly ? yearlyDateProblem(deadline.yearly.month, deadline.yearly.day) : undefined;
    if (yearly) add(['deadlines', index, 'yearly', 'day'], yearly);
  });
  const weekly = s.digests?.weekly;
  if (weekly) {
    checkRobot(weekly.to?.robot, ['digests', 'weekly', 'to', 'robot']);
    if (!weekly.to && !s.opsGiven) {
      add(
        ['digests', 'weekly'],
        'the weekly report has nobody to go to: give to: { robot: <name> } here, or set ops (it goes there by default)',
      );
    }
  }
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

/** A watch or deadline as written: what the cross-field checks need, each part only where it is valid by itself. */
interface RawPush {
  id?: string;
  robot?: string;
  text?: string;
  /** Watches: every field queried, when key, fields and condition are each valid. */
  queryFields?: string[];
  pageSize?: number;
  maxRows?: number;
  /** Deadlines: which of monthly, yearly and dates were written (an entry that is not a mapping: undefined). */
  recurrences?: string[];
  yearly?: { month: number; day: number };
}

function rawPush(item: unknown, kind: 'watch' | 'deadline'): RawPush {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return {};
  const entry = item as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const int = (value: unknown, min: number, max: number) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
  const to = entry.to;
  const robot = typeof to === 'object' && to !== null ? text((to as Record<string, unknown>).robot) : undefined;
  const id = text(entry.id);
  const message = text(entry.text);
  const common: RawPush = {
    ...(id !== undefined ? { id } : {}),
    ...(robot !== undefined ? { robot } : {}),
    ...(message !== undefined ? { text: message } : {}),
  };
  if (kind === 'deadline') {
    const yearly =
      typeof entry.yearly === 'object' && entry.yearly !== null ? (entry.yearly as Record<string, unknown>) : {};
    const month = int(yearly.month, 1, 12);
    const day = int(yearly.day, 1, 31);
    return {
      ...common,
      recurrences: ['monthly', 'yearly', 'dates'].filter((key) => entry[key] !== undefined),
      ...(month !== undefined && day !== undefined ? { yearly: { month, day } } : {}),
    };
  }
  const fieldList = (value: unknown): string[] | undefined => {
    const list: unknown = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list)) return undefined;
    const parsed: string[] = [];
    for (const field of list as unknown[]) {
      const result = fieldKeySchema.safeParse(field);
      if (!result.success) return undefined;
      parsed.push(result.data);
    }
    return parsed;
  };
  const key = entry.key === undefined ? ['FID'] : fieldList(entry.key);
  const fields = entry.fields === undefined ? [] : fieldList(entry.fields);
  const condition = watchConditionSchema.safeParse(entry.condition);
  const pageSize = entry.pageSize === undefined ? 500 : int(entry.pageSize, 1, 2_000);
  const maxRows = entry.maxRows === undefined ? 10_000 : int(entry.maxRows, 1, 100_000);
  return {
    ...common,
    ...(key && fields && condition.success
      ? { queryFields: watchQueryFields({ key, fields, condition: condition.data }) }
      : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(maxRows !== undefined ? { maxRows } : {}),
  };
}
