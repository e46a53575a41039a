/**
 * The building blocks of the rules schema: strict mappings that name the allowed fields, and the value types the
 * file is written in (DingTalk userIds, Kingdee FormIds and field keys, ids, amounts, durations, message templates),
 * each with an error message in the terms of the finance admin editing the YAML.
 */
import { z } from 'zod';
import { DAY_MS, parseDuration, parseDurationParts } from '../domain/duration';
import { templatePlaceholderNames, unknownTemplatePlaceholders } from '../domain/texts';
import { closest } from './suggest';

/** A strict object whose "unknown field" message names the allowed fields and suggests the closest one. */
export function strict<Shape extends z.ZodRawShape>(shape: Shape) {
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

export const nonEmptyText = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

/** DingTalk userIds are text; YAML would turn an unquoted 012345 into the number 12345 and lose the zero. */
export const userIdSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'a DingTalk userId is required'
        : 'a DingTalk userId must be text: put ids that look like numbers in quotes, e.g. "012345"',
  })
  .trim()
  .min(1, 'a DingTalk userId must not be empty');

export const formIdSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z][A-Za-z0-9_]*$/,
    'a Kingdee FormId looks like ER_ExpReimbursement or AP_PAYBILL (letters, digits, _)',
  );

/** Kingdee field keys such as FProposerID; matched case-insensitively, as Kingdee does. */
export const fieldKeySchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'a Kingdee field key looks like FProposerID or FBaseQty');

/** Step and notification ids end up in card ids and logs, so they stay short ASCII. */
export const idSchema = z
  .string({ error: 'an id is required: a short name in letters, digits, - or _ (e.g. finance-manager)' })
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'an id is 1–32 letters, digits, - or _ (e.g. finance-manager)');

export const robotNameSchema = z.string().trim().min(1, 'a robot name must not be empty');

/** A number written plainly: YAML reads `50,000` or `¥50000` as text, which would silently never compare. */
export const amountSchema = z.number({
  error: (issue) =>
    typeof issue.input === 'string'
      ? `"${issue.input}" is text, not a number: write the amount plainly, e.g. 50000 (no commas, no ¥)`
      : 'must be a number, e.g. 50000',
});

/** A duration as written (`4h`, `2d`, `1h30m`), validated and trimmed; a bare number is refused (which unit?). */
export const durationTextSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
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
 * milliseconds together with the calendar (rules/plan.ts does that when it plans a chain).
 */
export const businessDurationSchema = durationTextSchema;
/** A wall-clock duration (`d` = 24 h), converted to milliseconds. */
export const wallDurationMsSchema = durationTextSchema.transform((text) => parseDuration(text));

/** Message templates: text with placeholders such as {单号} or {billNo}. */
export const templateSchema = nonEmptyText('a message text').superRefine((text, ctx) => {
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

export const nameListSchema = z
  .union([nonEmptyText('a name'), z.array(nonEmptyText('a name')).min(1)], {
    error: 'write one name or a list of names',
  })
  .transform((value) => (typeof value === 'string' ? [value] : value));
