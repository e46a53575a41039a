/**
 * A finished DingTalk OA approval (审批实例) → the Save model of a Kingdee bill, by the rules file's `oa:` section.
 * Pure and deterministic: the activity fetches the instance and the originator's Kingdee employee, this file only
 * maps. References go by number (`{FNumber: …}`, the employee `{FSTAFFNUMBER: …}`); a table component (明细) gives
 * one entry row per table row. Every problem is collected (in Chinese, for the originator and ops), nothing is
 * guessed: a value a `values` map does not list, a missing required component, a number that is not one.
 *
 * Every entry row carries the marker `钉钉审批 <processInstanceId>` in the marker field (备注 FRemark by default), so
 * the activity can find the bill an earlier attempt saved before saving again (Save is not idempotent).
 */

/** One form component of an instance (workflow_1_0 GetProcessInstance `formComponentValues`). */
export interface OaFormComponent {
  id?: string;
  name?: string;
  value?: string;
  componentType?: string;
  extValue?: string;
}

/** What the mapping reads of an instance. */
export interface OaInstance {
  processInstanceId: string;
  title?: string;
  businessId?: string;
  originatorUserId: string;
  originatorDeptName?: string;
  createTime?: string;
  finishTime?: string;
  formComponentValues: OaFormComponent[];
}

export const oaInstanceFields = [
  'title',
  'businessId',
  'processInstanceId',
  'createDate',
  'finishDate',
  'originatorDeptName',
] as const;
export type OaInstanceField = (typeof oaInstanceFields)[number];

/** Where one Kingdee field's value comes from, and how it is written. */
export type OaFieldSource =
  { component: string } | { column: string } | { value: string | number } | { instance: OaInstanceField };

export type OaFieldMapping = OaFieldSource & {
  /** A reference written as `{<ref>: value}` (FNumber, FSTAFFNUMBER …); absent: a plain value. */
  ref?: string;
  type: 'text' | 'number' | 'date';
  /** What the form says → what Kingdee calls it (e.g. 差旅费 → FY001); a value not listed is a problem. */
  values?: Record<string, string>;
  /** An empty or missing value leaves the field out instead of being a problem. */
  optional: boolean;
};

export interface OaMappingRules {
  formId: string;
  /** The applicant field and its reference key (the originator's Kingdee employee). */
  employeeField: string;
  employeeKey: string;
  header: Record<string, OaFieldMapping>;
  entries: {
    /** The table component (明细) by name; absent: one row from the header components. */
    table?: string;
    /** The entry entity's Save key (FEntity). */
    entity: string;
    fields: Record<string, OaFieldMapping>;
  };
  /** The entry field holding the marker (default FRemark). */
  markerField: string;
}

export type OaMappingResult =
  { ok: true; model: Record<string, unknown>; rows: number } | { ok: false; problems: string[] };

/** The marker every row of the bill carries: found again by `LIKE '%<marker>%'`. */
export const oaMarker = (processInstanceId: string): string => `钉钉审批 ${processInstanceId}`;

/** A table component's rows as label → value (DingTalk: `[{rowValue: [{label, value, key}]}]` as a JSON string). */
export function tableRows(component: OaFormComponent | undefined): Array<Record<string, string>> | undefined {
  if (!component?.value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(component.value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const rows: Array<Record<string, string>> = [];
  for (const row of parsed) {
    const cells = (row as { rowValue?: unknown })?.rowValue;
    if (!Array.isArray(cells)) return undefined;
    const out: Record<string, string> = {};
    for (const cell of cells as Array<{ label?: unknown; value?: unknown }>) {
      if (typeof cell?.label === 'string') out[cell.label] = cellText(cell.value);
    }
    rows.push(out);
  }
  return rows;
}

const cellText = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

const componentNamed = (instance: OaInstance, name: string): OaFormComponent | undefined =>
  instance.formComponentValues.find((c) => c.name === name) ?? instance.formComponentValues.find((c) => c.id === name);

/** `2024-11-20`, `2024-11-20 10:00`, `2024-11-20T02:00:00Z` → `2024-11-20`; else undefined. */
function dateOf(text: string): string | undefined {
  const match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})/.exec(text.trim());
  if (!match) return undefined;
  return `${match[1]}-${match[2]!.padStart(2, '0')}-${match[3]!.padStart(2, '0')}`;
}

function instanceValue(instance: OaInstance, field: OaInstanceField): string | undefined {
  switch (field) {
    case 'title':
      return instance.title;
    case 'businessId':
      return instance.businessId;
    case 'processInstanceId':
      return instance.processInstanceId;
    case 'createDate':
      return instance.createTime;
    case 'finishDate':
      return instance.finishTime;
    case 'originatorDeptName':
      return instance.originatorDeptName;
  }
}

/** One field's value, or a problem (in Chinese); `skip` when optional and empty. */
function fieldValue(
  key: string,
  mapping: OaFieldMapping,
  instance: OaInstance,
  row: Record<string, string> | undefined,
  where: string,
): { value: unknown } | { skip: true } | { problem: string } {
  let raw: string | number | undefined;
  let label: string;
  if ('value' in mapping) {
    raw = mapping.value;
    label = `${key} 的固定值`;
  } else if ('component' in mapping) {
    raw = componentNamed(instance, mapping.component)?.value;
    label = `表单字段「${mapping.component}」`;
  } else if ('column' in mapping) {
    raw = row?.[mapping.column];
    label = `${where}「${mapping.column}」`;
  } else {
    raw = instanceValue(instance, mapping.instance);
    label = `审批实例的 ${mapping.instance}`;
  }
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (text === '') return mapping.optional ? { skip: true } : { problem: `${label}为空（金蝶字段 ${key} 必填）` };
  let value: string | number = text;
  if (mapping.values) {
    const mapped = mapping.values[text];
    if (mapped === undefined)
      return {
        problem: `${label}的值「${text}」在规则中没有对应的金蝶编码（可选：${Object.keys(mapping.values).join('、') || '无'}）`,
      };
    value = mapped;
  }
  if (mapping.type === 'number') {
    const number = Number(String(value).replace(/[,，\s¥￥元]/g, ''));
    if (!Number.isFinite(number)) return { problem: `${label}的值「${text}」不是数字` };
    return { value: Math.round(number * 100) / 100 };
  }
  if (mapping.type === 'date') {
    const date = dateOf(String(value));
    if (!date) return { problem: `${label}的值「${text}」不是日期` };
    return { value: date };
  }
  return { value: mapping.ref ? { [mapping.ref]: String(value) } : value };
}

/** The Save model (FID 0: a new bill), or every problem found. */
export function mapOaInstance(
  instance: OaInstance,
  rules: OaMappingRules,
  context: { employeeNumber: string },
): OaMappingResult {
  const problems: string[] = [];
  const model: Record<string, unknown> = {
    FID: 0,
    [rules.employeeField]: { [rules.employeeKey]: context.employeeNumber },
  };
  for (const [key, mapping] of Object.entries(rules.header)) {
    const result = fieldValue(key, mapping, instance, undefined, '');
    if ('problem' in result) problems.push(result.problem);
    else if ('value' in result) model[key] = result.value;
  }

  let rows: Array<Record<string, string>> | undefined = [{}];
  const table = rules.entries.table;
  if (table) {
    const component = componentNamed(instance, table);
    rows = component ? tableRows(component) : [];
    if (!component) problems.push(`表单中没有明细「${table}」`);
    else if (!rows) problems.push(`明细「${table}」的内容无法读取`);
    else if (rows.length === 0) problems.push(`明细「${table}」没有任何一行`);
  }
  const marker = oaMarker(instance.processInstanceId);
  const entries = (rows ?? []).map((row, index) => {
    const entry: Record<string, unknown> = {};
    const where = table ? `明细第 ${index + 1} 行` : '';
    for (const [key, mapping] of Object.entries(rules.entries.fields)) {
      const result = fieldValue(key, mapping, instance, row, where);
      if ('problem' in result) problems.push(result.problem);
      else if ('value' in result) entry[key] = result.value;
    }
    const given = entry[rules.markerField];
    entry[rules.markerField] = typeof given === 'string' && given !== '' ? `${given}（${marker}）` : marker;
    return entry;
  });
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  model[rules.entries.entity] = entries;
  return { ok: true, model, rows: entries.length };
}
