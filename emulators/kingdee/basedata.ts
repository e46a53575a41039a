/**
 * The fake Kingdee's base data (员工, 用户, 部门, 组织, 币别, 费用项目, 项目, 结算方式 …) from the seed, as query rows
 * and as the targets of references: Save names a reference by code (`{"FNumber":"BM02"}`, or
 * `{"FSTAFFNUMBER":"EMP001"}` on employee fields) or by primary key, and Kingdee stores — and View returns — the
 * referenced record (Id, Number, Name). A reference object with none of the accepted keys is ignored, as Kingdee
 * ignores it; a code that names no record is refused (MsgCode 9).
 */
import { scalarText } from '../text';
import { KingdeeFault } from './envelope';
import { baseForms, type FieldMeta } from './metadata';
import type { Row } from './filter';
import type { FieldValue, Reference, Seed } from './seed';

/** Query rows of a base-data form, keyed by Kingdee field keys. */
export function baseRows(seed: Seed, formId: string): Row[] {
  const common = { FDocumentStatus: 'C', FForbidStatus: 'A' };
  if (formId === 'BD_Empinfo')
    return seed.employees.map((e) => ({
      FID: e.id,
      FNumber: e.number,
      FStaffNumber: e.number,
      FName: e.name,
      FMobile: e.mobile ?? ' ',
      ...common,
    }));
  if (formId === 'SEC_User')
    return seed.users.map((u) => ({
      FUserID: u.id,
      FName: u.name,
      FUserAccount: u.userName,
      FMobile: u.mobile ?? ' ',
      ...common,
    }));
  const meta = baseForms[formId];
  if (!meta) return [];
  return (seed.baseData[formId] ?? []).map(({ id, number, name, ...extra }) => ({
    [meta.pk]: id,
    FNumber: number,
    FName: name,
    ...common,
    ...extra,
  }));
}

/** The query keys a base-data form has (also what `<ref>.<key>` may select), lower-cased. */
export function baseFieldKeys(seed: Seed, formId: string): Set<string> {
  return fieldKeysOf(formId, baseRows(seed, formId));
}

function fieldKeysOf(formId: string, rows: Row[]): Set<string> {
  const meta = baseForms[formId];
  const keys = new Set(['fnumber', 'fname', 'fdocumentstatus', 'fforbidstatus']);
  if (meta) keys.add(meta.pk.toLowerCase());
  for (const row of rows) for (const key of Object.keys(row)) keys.add(key.toLowerCase());
  return keys;
}

/**
 * Base data as one query sees it: each form's rows built once and indexed by primary key, instead of once per
 * reference of every document read (a query over a month-end's thousand bills). Only for the length of one request:
 * the seed may change between requests.
 */
export function baseDataView(seed: Seed) {
  const rowsByForm = new Map<string, Row[]>();
  const byIdByForm = new Map<string, Map<unknown, Row>>();
  const keysByForm = new Map<string, Set<string>>();
  const rows = (formId: string): Row[] => {
    let found = rowsByForm.get(formId);
    if (!found) rowsByForm.set(formId, (found = baseRows(seed, formId)));
    return found;
  };
  return {
    /** As referencedRow. */
    row(formId: string, id: number): Row | undefined {
      const meta = baseForms[formId];
      if (!meta) return undefined;
      let byId = byIdByForm.get(formId);
      if (!byId) {
        byId = new Map();
        // The first record with an id wins, as `find` would.
        for (const row of rows(formId)) if (!byId.has(row[meta.pk])) byId.set(row[meta.pk], row);
        byIdByForm.set(formId, byId);
      }
      return byId.get(id);
    },
    /** As baseFieldKeys. */
    fieldKeys(formId: string): Set<string> {
      let keys = keysByForm.get(formId);
      if (!keys) keysByForm.set(formId, (keys = fieldKeysOf(formId, rows(formId))));
      return keys;
    },
  };
}
export type BaseDataView = ReturnType<typeof baseDataView>;

function toReference(formId: string, row: Row): Reference {
  const meta = baseForms[formId]!;
  const number = formId === 'SEC_User' ? row.FUserAccount : row.FNumber;
  return { id: Number(row[meta.pk]), number: scalarText(number), name: scalarText(row.FName) };
}

/** The base record a stored reference points to, as a query row (for `FProposerID.FMobile` and the like). */
export function referencedRow(seed: Seed, formId: string, id: number): Row | undefined {
  const meta = baseForms[formId];
  return meta ? baseRows(seed, formId).find((r) => r[meta.pk] === id) : undefined;
}

/** The form a reference field looks up on this bill (往来单位 fields: the form named by their type field). */
export function lookupForm(field: FieldMeta | undefined, fields: Record<string, unknown>): string | undefined {
  const lookup = field?.lookup;
  if (!lookup) return undefined;
  if ('form' in lookup) return lookup.form;
  const typed = Object.entries(fields).find(([k]) => k.toLowerCase() === lookup.typeField.toLowerCase())?.[1];
  return typeof typed === 'string' && baseForms[typed] ? typed : undefined;
}

/**
 * Resolve a Save reference object against base data. Returns the reference to store, `null` when the object names
 * nothing Kingdee would use (ignored, the field stays empty), or throws MsgCode 9 when the code does not exist.
 */
export function resolveReference(
  seed: Seed,
  field: { key: string; meta: FieldMeta; form: string | undefined },
  value: Record<string, unknown>,
  row?: number,
): Reference | null {
  const formId = field.form;
  const base = formId ? baseForms[formId] : undefined;
  if (!formId || !base) {
    if (field.meta.lookup && 'typeField' in field.meta.lookup)
      throw new KingdeeFault(
        9,
        `${where(row)}字段“${field.meta.name}”(${field.key})的类型（${field.meta.lookup.typeField}）未指定或不是基础资料`,
      );
    return null;
  }
  const numberKey = (field.meta.lookup && 'form' in field.meta.lookup && field.meta.lookup.numberKey) || base.numberKey;
  const entry = (key: string) => Object.entries(value).find(([k]) => k.toLowerCase() === key.toLowerCase());
  const byNumber = entry(numberKey);
  const byId = entry(base.pk);
  const rows = baseRows(seed, formId);
  if (byNumber && scalarText(byNumber[1]).trim()) {
    const wanted = scalarText(byNumber[1]).trim();
    const numberField = formId === 'SEC_User' ? 'FUserAccount' : formId === 'BD_Empinfo' ? 'FStaffNumber' : 'FNumber';
    const found = rows.find((r) => scalarText(r[numberField]) === wanted);
    if (!found)
      throw new KingdeeFault(
        9,
        `${where(row)}字段“${field.meta.name}”(${field.key})的值“${wanted}”在${base.name}（${formId}）中不存在`,
      );
    return toReference(formId, found);
  }
  if (byId && Number(byId[1]) > 0) {
    const found = rows.find((r) => r[base.pk] === Number(byId[1]));
    if (!found)
      throw new KingdeeFault(
        9,
        `${where(row)}字段“${field.meta.name}”(${field.key})的内码“${scalarText(byId[1])}”在${base.name}（${formId}）中不存在`,
      );
    return toReference(formId, found);
  }
  return null;
}

const where = (row: number | undefined) => (row === undefined ? '' : `第${row + 1}行`);

/** A stored reference value (what View and queries read). */
export function isReference(value: FieldValue | undefined): value is Reference {
  return value !== null && typeof value === 'object';
}
