/**
 * The rules file's cross-field checks: references between sections (robots, forms), duplicate step and notification
 * ids, delegation loops, timeouts that must grow (remindAfter < escalateAfter < finalAfter, counted on the calendar),
 * settings that need each other (finalAfter and finalAction, remindEvery and remindAfter, escalation targets), and
 * polled forms that nothing uses. They run on every piece of the file that is valid by itself, so a single pass
 * reports every problem without follow-on errors.
 */
import type { z } from 'zod';
import { workingDayMs, type Calendar } from '../domain/business-hours';
import { DAY_MS, parseDuration, parseDurationParts } from '../domain/duration';
import { calendarSchema } from './calendar';
import {
  defaultsSchema,
  delegatesSchema,
  escalationSchema,
  formSchema,
  ingestionSchema,
  notificationSchema,
  opsSchema,
  stepSchema,
  type Escalation,
  type FinalAction,
  type FormRules,
  type NotificationRule,
  type Ops,
  type RuleStep,
  type StepDefaults,
} from './schema';
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
