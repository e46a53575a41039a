/**
 * Threshold watches (阈值监控): a Kingdee query run on a schedule, a condition per row (库存 below 安全库存), and the
 * memory that makes the alert fire once per crossing — a row that crossed is alerted once, stays quiet while it stays
 * crossed, and is alerted again only after it recovered and crossed again.
 *
 * Pure and deterministic: the watch workflow keeps `WatchMemory` as its state (carried over continue-as-new), the
 * activity evaluates rows with `evaluateRow`, and `advanceWatch` turns one check's outcome into the next memory and
 * the rows to alert about. A check that failed (Kingdee down) changes nothing, so the next one catches up and nothing
 * is alerted twice.
 */

/** A threshold: a number, or another field of the same row (e.g. the item's safety stock). */
export type Operand = { value: number } | { field: string };

/** The condition a row crosses: `field` below and/or above a threshold (both given: outside the band). */
export interface WatchCondition {
  field: string;
  below?: Operand;
  above?: Operand;
}

/** A query row, keyed by field key as requested (Kingdee field keys are case-insensitive). */
export type QueryRow = Record<string, unknown>;

/** A row in the crossed state: its identity, the values to show, and the value against its threshold. */
export interface CrossedRow {
  key: string;
  /** Field key → text, for the alert line. */
  values: Record<string, string>;
  value: number;
  /** The threshold it crossed (below or above). */
  threshold: number;
  direction: 'below' | 'above';
}

export type RowVerdict =
  /** The row is past its threshold. */
  | { state: 'crossed'; value: number; threshold: number; direction: 'below' | 'above' }
  /** The row is within its threshold. */
  | { state: 'ok'; value: number }
  /** The value or threshold is not a number (empty, text): nothing can be said, the row keeps its state. */
  | { state: 'unknown' };

/** A cell by field key, matched case-insensitively as Kingdee does. */
export function cell(row: QueryRow, key: string): unknown {
  if (key in row) return row[key];
  const lower = key.toLowerCase();
  const found = Object.keys(row).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : row[found];
}

/** A number from a Kingdee cell: numbers as they are, numeric text parsed; anything else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A cell as text for messages: '' for nothing, numbers without float noise. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return String(Number(value.toFixed(6)));
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'boolean') return value ? '是' : '否';
  return JSON.stringify(value) ?? '';
}

const operandValue = (operand: Operand, row: QueryRow): number | undefined =>
  'value' in operand ? operand.value : numberOf(cell(row, operand.field));

/** Every field a condition reads (the watched field and any threshold fields). */
export function conditionFields(condition: WatchCondition): string[] {
  return [
    condition.field,
    ...[condition.below, condition.above].flatMap((operand) => (operand && 'field' in operand ? [operand.field] : [])),
  ];
}

export function evaluateRow(condition: WatchCondition, row: QueryRow): RowVerdict {
  const value = numberOf(cell(row, condition.field));
  if (value === undefined) return { state: 'unknown' };
  const below = condition.below ? operandValue(condition.below, row) : undefined;
  const above = condition.above ? operandValue(condition.above, row) : undefined;
  if ((condition.below && below === undefined) || (condition.above && above === undefined)) {
    return { state: 'unknown' };
  }
  if (below !== undefined && value < below) return { state: 'crossed', value, threshold: below, direction: 'below' };
  if (above !== undefined && value > above) return { state: 'crossed', value, threshold: above, direction: 'above' };
  return { state: 'ok', value };
}

/** A row's identity: its key fields' values joined (`WL001|CK01`). */
export function rowKey(keyFields: readonly string[], row: QueryRow): string {
  return keyFields.map((field) => cellText(cell(row, field))).join('|');
}

/** What one check of a watch found. */
export interface WatchCheck {
  /** Rows in the crossed state now (at most the watch's maxRows were read). */
  crossed: CrossedRow[];
  /** Keys alerted before that were seen within their threshold. */
  recovered: string[];
  /** Every row was read (not cut at maxRows): alerted rows not seen at all have gone, and count as recovered. */
  complete: boolean;
  /** Keys alerted before whose value could not be read this time (they keep their state). */
  unknown: string[];
  rows: number;
  pages: number;
}

/** The durable memory of a watch: the rows alerted and not recovered since, with when they crossed. */
export interface WatchMemory {
  alerted: Record<string, { since: number }>;
}

export interface WatchStep {
  memory: WatchMemory;
  /** Crossed rows not alerted before: one message about all of them. */
  newlyCrossed: CrossedRow[];
  /** Keys that recovered: alerted again when they cross again. */
  recovered: string[];
}

/** The next memory after a successful check, and what to alert about. */
export function advanceWatch(memory: WatchMemory, check: WatchCheck, nowMs: number): WatchStep {
  const crossedKeys = new Set(check.crossed.map((row) => row.key));
  const unknown = new Set(check.unknown);
  const recovered = new Set(check.recovered.filter((key) => key in memory.alerted && !crossedKeys.has(key)));
  if (check.complete) {
    for (const key of Object.keys(memory.alerted)) {
      if (!crossedKeys.has(key) && !unknown.has(key)) recovered.add(key);
    }
  }
  const alerted: WatchMemory['alerted'] = {};
  for (const [key, entry] of Object.entries(memory.alerted)) if (!recovered.has(key)) alerted[key] = entry;
  const newlyCrossed: CrossedRow[] = [];
  for (const row of check.crossed) {
    if (row.key in alerted || newlyCrossed.some((r) => r.key === row.key)) continue;
    newlyCrossed.push(row);
    alerted[row.key] = { since: nowMs };
  }
  return { memory: { alerted }, newlyCrossed, recovered: [...recovered].sort() };
}
