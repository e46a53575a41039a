/**
 * A finished DingTalk OA approval (审批实例) → the Save model of a Kingdee bill, by the rules file's `oa:` section.
 * Pure and deterministic: the activity fetches the instance and the originator's Kingdee employee, this file only
 * maps. References go by number (`{FNumber: …}`, the employee `{FSTAFFNUMBER: …}`); a table component (明细) gives
 * one entry row per table row. Every problem is collected (in Chinese, for the originator and ops), nothing is
 * guessed: a value a `values` map does not list, a missing required component, a number that is not one.
 *
 * Every entry row carries the marker `钉钉审批 <processInstanceId>` in the marker field (备注 FRemark by default), so
 * the activity can find the bill an earlier attempt saved before saving again (Save is not idempotent).
 *
 * A 会计凭证 (`GL_VOUCHER`, rules `voucher:`) is made of line templates instead of one entry per row: each line is a
 * debit or a credit, once or per table row, with its account (科目, by number), amount and 摘要 (FEXPLANATION, which
 * carries the marker). Debits must equal credits to the cent, else nothing is saved: 借贷不平衡 is a problem like any
 * other. Vouchers have no applicant, and their primary key is FVOUCHERID, not FID.
 */
import { formatMoney } from './texts/format';

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

/** One line template of a voucher: a debit or a credit, once or one per row of the voucher's table. */
export interface OaVoucherLine {
  side: 'debit' | 'credit';
  each: 'row' | 'once';
  /** 科目 (FACCOUNTID), written as a reference (`{FNumber: …}` unless `ref` says otherwise). */
  account: OaFieldMapping;
  /** The amount (a number); a line whose amount is 0 is left out. */
  amount: OaFieldMapping;
  /** 摘要 (FEXPLANATION); absent: the instance's title. */
  explanation?: OaFieldMapping;
  /** Further entry fields (FCURRENCYID, FDetailID … as the site needs them). */
  fields: Record<string, OaFieldMapping>;
}

export interface OaVoucherRules {
  /** The table component (明细) whose rows `each: row` lines repeat over. */
  table?: string;
  lines: OaVoucherLine[];
}

export interface OaMappingRules {
  /** The Kingdee form made (ER_ExpReimbursement, GL_VOUCHER). */
  formId: string;
  /** The applicant field and its reference key (the originator's Kingdee employee); absent: none (vouchers). */
  employeeField?: string;
  employeeKey: string;
  header: Record<string, OaFieldMapping>;
  /** A voucher's lines (GL_VOUCHER); then `entries` is absent. */
  voucher?: OaVoucherRules;
  entries?: {
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
  | { ok: true; model: Record<string, unknown>; rows: number }
  /** `errorType` UnbalancedVoucher when the only problem is debits ≠ credits; otherwise OaMappingError. */
  | { ok: false; problems: string[]; errorType: 'OaMappingError' | 'UnbalancedVoucher' };

/** The voucher's entry entity, its account, amount and explanation keys (K/3 Cloud GL_VOUCHER Save model). */
export const voucherKeys = {
  entity: 'FEntity',
  account: 'FACCOUNTID',
  debit: 'FDEBIT',
  credit: 'FCREDIT',
  explanation: 'FEXPLANATION',
} as const;

/** The primary key of a form as Save and queries name it: FVOUCHERID for vouchers, FID for every bill else. */
export const oaPrimaryKey = (formId: string): string => (formId === 'GL_VOUCHER' ? 'FVOUCHERID' : 'FID');

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

/** The Save model (primary key 0: a new bill), or every problem found. */
export function mapOaInstance(
  instance: OaInstance,
  rules: OaMappingRules,
  context: { employeeNumber?: string },
): OaMappingResult {
  const problems: string[] = [];
  const model: Record<string, unknown> = { [oaPrimaryKey(rules.formId)]: 0 };
  if (rules.employeeField) {
    if (context.employeeNumber) model[rules.employeeField] = { [rules.employeeKey]: context.employeeNumber };
    else problems.push('没有发起人对应的金蝶员工');
  }
  for (const [key, mapping] of Object.entries(rules.header)) {
    const result = fieldValue(key, mapping, instance, undefined, '');
    if ('problem' in result) problems.push(result.problem);
    else if ('value' in result) model[key] = result.value;
  }
  const marker = oaMarker(instance.processInstanceId);
  const withMarker = (entry: Record<string, unknown>): Record<string, unknown> => {
    const given = entry[rules.markerField];
    entry[rules.markerField] = typeof given === 'string' && given !== '' ? `${given}（${marker}）` : marker;
    return entry;
  };

  if (rules.voucher) {
    const lines = voucherLines(instance, rules.voucher, problems);
    if (problems.length > 0) return { ok: false, problems: [...new Set(problems)], errorType: 'OaMappingError' };
    const unbalanced = balanceProblem(lines);
    if (unbalanced) return { ok: false, problems: [unbalanced], errorType: 'UnbalancedVoucher' };
    model[voucherKeys.entity] = lines.map((line) => withMarker(line.entry));
    return { ok: true, model, rows: lines.length };
  }

  const entriesRules = rules.entries ?? { entity: 'FEntity', fields: {} };
  const table = entriesRules.table;
  const rows = tableOf(instance, table, problems);
  const entries = rows.map((row, index) => {
    const entry: Record<string, unknown> = {};
    const where = table ? `明细第 ${index + 1} 行` : '';
    for (const [key, mapping] of Object.entries(entriesRules.fields)) {
      const result = fieldValue(key, mapping, instance, row, where);
      if ('problem' in result) problems.push(result.problem);
      else if ('value' in result) entry[key] = result.value;
    }
    return withMarker(entry);
  });
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)], errorType: 'OaMappingError' };
  model[entriesRules.entity] = entries;
  return { ok: true, model, rows: entries.length };
}

/** The rows of the table component (a problem when it is missing, unreadable or empty); none: one empty row. */
function tableOf(instance: OaInstance, table: string | undefined, problems: string[]): Array<Record<string, string>> {
  if (!table) return [{}];
  const component = componentNamed(instance, table);
  if (!component) {
    problems.push(`表单中没有明细「${table}」`);
    return [];
  }
  const rows = tableRows(component);
  if (!rows) problems.push(`明细「${table}」的内容无法读取`);
  else if (rows.length === 0) problems.push(`明细「${table}」没有任何一行`);
  return rows ?? [];
}

interface VoucherLineOut {
  side: 'debit' | 'credit';
  cents: number;
  entry: Record<string, unknown>;
}

function voucherLines(instance: OaInstance, voucher: OaVoucherRules, problems: string[]): VoucherLineOut[] {
  const needsRows = voucher.lines.some((line) => line.each === 'row');
  const rows = needsRows ? tableOf(instance, voucher.table, problems) : [];
  const out: VoucherLineOut[] = [];
  voucher.lines.forEach((line, lineIndex) => {
    const sideLabel = line.side === 'debit' ? '借方' : '贷方';
    const targets: Array<{ row: Record<string, string> | undefined; where: string }> =
      line.each === 'row'
        ? rows.map((row, index) => ({ row, where: `明细第 ${index + 1} 行` }))
        : [{ row: undefined, where: '' }];
    for (const { row, where } of targets) {
      const label = `凭证第 ${lineIndex + 1} 条${sideLabel}分录${where ? `（${where}）` : ''}`;
      const amount = fieldValue(`${label}金额`, { ...line.amount, type: 'number' }, instance, row, where);
      if ('problem' in amount) {
        problems.push(amount.problem);
        continue;
      }
      if ('skip' in amount) continue;
      const cents = Math.round((amount.value as number) * 100);
      if (cents === 0) continue;
      const entry: Record<string, unknown> = {};
      const account = fieldValue(
        voucherKeys.account,
        { ...line.account, type: 'text', ref: line.account.ref ?? 'FNumber' },
        instance,
        row,
        where,
      );
      if ('problem' in account) problems.push(account.problem);
      else if ('value' in account) entry[voucherKeys.account] = account.value;
      else problems.push(`${label}没有科目`);
      const explanation = line.explanation
        ? fieldValue(voucherKeys.explanation, line.explanation, instance, row, where)
        : { value: instance.title ?? '' };
      if ('problem' in explanation) problems.push(explanation.problem);
      else if ('value' in explanation && explanation.value !== '') entry[voucherKeys.explanation] = explanation.value;
      for (const [key, mapping] of Object.entries(line.fields)) {
        const result = fieldValue(key, mapping, instance, row, where);
        if ('problem' in result) problems.push(result.problem);
        else if ('value' in result) entry[key] = result.value;
      }
      entry[line.side === 'debit' ? voucherKeys.debit : voucherKeys.credit] = cents / 100;
      out.push({ side: line.side, cents, entry });
    }
  });
  return out;
}

/** Debits = credits, to the cent, with at least one of each; else why not (in Chinese). */
function balanceProblem(lines: VoucherLineOut[]): string | undefined {
  const total = (side: 'debit' | 'credit') => lines.filter((l) => l.side === side).reduce((sum, l) => sum + l.cents, 0);
  const debit = total('debit');
  const credit = total('credit');
  const money = (cents: number) => formatMoney(cents / 100, 'CNY');
  if (!lines.some((l) => l.side === 'debit')) return '凭证没有借方分录（金额为 0 或为空）';
  if (!lines.some((l) => l.side === 'credit')) return '凭证没有贷方分录（金额为 0 或为空）';
  if (debit !== credit)
    return `凭证借贷不平衡：借方合计 ${money(debit)}，贷方合计 ${money(credit)}，相差 ${money(Math.abs(debit - credit))}`;
  return undefined;
}
