/**
 * Turning loosely typed request input (query parameters, JSON bodies, stored field values) into text without
 * ever printing `[object Object]`: scalars read as `String()` would read them, anything structured as ''.
 */

/** A string, number, boolean or bigint as text; '' for null, undefined, objects and arrays. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}

/** A query parameter as text: the value itself, the first of a repeated parameter, or '' (absent or nested). */
export function queryText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}

/** A parsed JSON body as a record to read fields from; {} for a missing or non-object body. */
export function bodyRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
