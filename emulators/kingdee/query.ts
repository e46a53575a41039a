/**
 * ExecuteBillQuery and BillQuery over the fake Kingdee's documents and base data, as Kingdee answers them:
 * FieldKeys projection (unknown key → MsgCode 9, none → MsgCode 8), references as FX (id), FX.FNumber, FX.FName and
 * any field of the referenced base record (FProposerID.FMobile), entry fields (`FExpID`, `FEntity_FEntryID`,
 * `FEntity_FSeq`, `FPAYBILLSRCENTRY_Link_FSBillId` …) expanding the result to one row per entry row, FilterString
 * (filter.ts), OrderString, StartRow / Limit / TopRowCount.
 */
import { scalarText } from '../text';
import { baseDataView, baseFieldKeys, baseRows, isReference, lookupForm, type BaseDataView } from './basedata';
import { KingdeeFault } from './envelope';
import { compileFilter, FilterParseError, lookup, type Row } from './filter';
import { baseForms, billForms, entitiesOf, type BillFormMeta, type EntityMeta, type FieldMeta } from './metadata';
import type { FieldValue } from './seed';
import type { DocumentLink, EmulatedDocument, EntryRow, KingdeeState } from './state';

export function runQuery(state: KingdeeState, form: string, data: Record<string, unknown>, objects: boolean): unknown {
  const fieldKeys = scalarText(data.fieldkeys)
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (fieldKeys.length === 0) throw new KingdeeFault(8, 'data 数据包中的参数 FieldKeys 的值不能为空');
  const filterText = scalarText(data.filterstring);
  const order = scalarText(data.orderstring).trim();
  const orderKeys = order
    ? order.split(',').map((part) => {
        const [key = '', dir = 'ASC'] = part.trim().split(/\s+/);
        return { key, desc: dir.toUpperCase() === 'DESC' };
      })
    : [];

  let rows: Row[];
  let known: (key: string) => boolean;
  const bill = billForms[form];
  if (bill) {
    const used = [...fieldKeys, ...filterIdents(filterText), ...orderKeys.map((o) => o.key)];
    const docs = [...state.documents.values()].filter((d) => d.formId === form);
    const entity = entityOf(bill, docs, used);
    const view: RowView = {
      base: baseDataView(state.seed),
      // A reference's record fields (FProposerID.FMobile) only where the query names one: the rest are never read.
      subFieldsOf: new Set(used.filter((key) => key.includes('.')).map(rootOf)),
    };
    rows = docs.flatMap((doc) => documentRows(view, bill, doc, entity));
    known = knownKeys(view.base, bill, rows);
  } else {
    const base = baseForms[form];
    if (!base?.queryable) throw new KingdeeFault(6, '数据库执行异常，请联系系统管理员');
    rows = baseRows(state.seed, form);
    const keys = baseFieldKeys(state.seed, form);
    known = (key) => keys.has(key.toLowerCase());
  }

  const unknown = fieldKeys.find((k) => !known(k));
  if (unknown) throw new KingdeeFault(9, `元数据中标识为${unknown}的字段不存在`);
  let predicate;
  try {
    predicate = compileFilter(filterText, known);
  } catch (err) {
    if (err instanceof FilterParseError)
      throw new KingdeeFault(4, `GetRealExpress error: 当前查询串无法解析（${err.message}）`);
    throw err;
  }
  let result = rows.filter(predicate);
  const badOrder = orderKeys.find((o) => !known(o.key));
  if (badOrder) throw new KingdeeFault(9, `元数据中标识为${badOrder.key}的字段不存在`);
  if (orderKeys.length > 0) {
    result = [...result].sort((a, b) => {
      for (const { key, desc } of orderKeys) {
        const x = lookup(a, key);
        const y = lookup(b, key);
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : scalarText(x).localeCompare(scalarText(y));
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    });
  }
  const start = Number(data.startrow ?? 0) || 0;
  const limit = Number(data.limit ?? 0) || 2000;
  const top = Number(data.toprowcount ?? 0) || 0;
  if (top > 0) result = result.slice(0, top);
  result = result.slice(start, start + Math.min(limit, 10_000));
  return objects
    ? result.map((row) => Object.fromEntries(fieldKeys.map((k) => [k, lookup(row, k) ?? null])))
    : result.map((row) => fieldKeys.map((k) => lookup(row, k) ?? null));
}

const keywords = new Set(['and', 'or', 'not', 'like', 'in', 'is', 'null']);

/** The field keys a FilterString mentions (quoted literals left out). */
function filterIdents(text: string): string[] {
  const bare = text.replace(/'(?:[^']|'')*'/g, "''");
  return (bare.match(/[A-Za-z_][\w.]*/g) ?? []).filter((w) => !keywords.has(w.toLowerCase()));
}

const lower = (key: string) => key.toLowerCase();
const rootOf = (key: string) => lower(key).split('.')[0] ?? '';

function entityRows(doc: EmulatedDocument, entity: EntityMeta, bill: BillFormMeta): EntryRow[] {
  return entity.key === bill.entry.key ? doc.entries : (doc.entities[entity.key] ?? []);
}

/** The entry entity a query reaches into (one row per entry row), or undefined for head fields only. */
function entityOf(bill: BillFormMeta, docs: EmulatedDocument[], keys: string[]): EntityMeta | undefined {
  const header = new Set(Object.keys(bill.header).map(lower));
  for (const doc of docs) for (const key of Object.keys(doc.fields)) header.add(lower(key));
  for (const key of keys) {
    const root = rootOf(key);
    if (header.has(root) || root === 'fid' || (bill.pk && root === lower(bill.pk))) continue;
    const found = entitiesOf(bill).find((entity) => {
      const prefix = lower(entity.key);
      if (root === `${prefix}_fentryid` || root === `${prefix}_fseq` || root.startsWith(`${prefix}_link_`)) return true;
      if (Object.keys(entity.fields).some((f) => lower(f) === root)) return true;
      return docs.some((doc) =>
        entityRows(doc, entity, bill).some((row) => Object.keys(row).some((f) => lower(f) === root)),
      );
    });
    if (found) return found;
  }
  return undefined;
}

/** How one query builds its rows: base data read once, and which references' record fields it names. */
interface RowView {
  base: BaseDataView;
  /** Lower-cased field keys whose `<key>.<field>` the query names. */
  subFieldsOf: Set<string>;
}

/** A reference as query columns: FX (id), FX.FNumber, FX.FName and the referenced record's own fields. */
function flattenInto(
  row: Row,
  view: RowView,
  fields: Record<string, FieldValue>,
  meta: Record<string, FieldMeta>,
): void {
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'FEntryID') continue;
    if (!isReference(value)) {
      row[key] = value;
      continue;
    }
    row[key] = value.id;
    if (view.subFieldsOf.has(lower(key))) {
      const form = lookupForm(meta[key], fields);
      const record = form ? view.base.row(form, value.id) : undefined;
      for (const [sub, subValue] of Object.entries(record ?? {})) row[`${key}.${sub}`] = subValue;
    }
    row[`${key}.FNumber`] = value.number ?? ' ';
    row[`${key}.FName`] = value.name;
  }
}

function documentRows(view: RowView, bill: BillFormMeta, doc: EmulatedDocument, entity?: EntityMeta): Row[] {
  const head: Row = { FID: doc.id, FBillNo: doc.billNo, FDocumentStatus: doc.status };
  if (bill.pk) head[bill.pk] = doc.id;
  flattenInto(head, view, doc.fields, bill.header);
  if (!entity) return [head];
  const rows = entityRows(doc, entity, bill);
  if (rows.length === 0) return [head];
  return rows.map((entry, index) => {
    const row: Row = { ...head, [`${entity.key}_FEntryID`]: entry.FEntryID, [`${entity.key}_FSeq`]: index + 1 };
    flattenInto(row, view, entry, entity.fields);
    const link = doc.links.find((l: DocumentLink) => l.entity === entity.key && l.entryId === entry.FEntryID);
    if (link) {
      row[`${entity.key}_Link_FRuleId`] = link.ruleId;
      row[`${entity.key}_Link_FSTableName`] = link.sourceTable;
      row[`${entity.key}_Link_FSBillId`] = link.sourceBillId;
      row[`${entity.key}_Link_FSId`] = link.sourceEntryId;
    }
    return row;
  });
}

/** The field keys this form has: its metadata, references' sub-fields, the entry keys, and what documents hold. */
function knownKeys(base: BaseDataView, bill: BillFormMeta, rows: Row[]): (key: string) => boolean {
  const keys = new Set(['fid', 'fbillno', 'fdocumentstatus']);
  if (bill.pk) keys.add(lower(bill.pk));
  const addFields = (fields: Record<string, FieldMeta>) => {
    for (const [key, meta] of Object.entries(fields)) {
      keys.add(lower(key));
      if (!meta.lookup) continue;
      keys.add(`${lower(key)}.fnumber`).add(`${lower(key)}.fname`);
      if ('form' in meta.lookup) for (const sub of base.fieldKeys(meta.lookup.form)) keys.add(`${lower(key)}.${sub}`);
    }
  };
  addFields(bill.header);
  for (const entity of entitiesOf(bill)) {
    addFields(entity.fields);
    const prefix = lower(entity.key);
    for (const k of ['fentryid', 'fseq', 'link_fruleid', 'link_fstablename', 'link_fsbillid', 'link_fsid'])
      keys.add(`${prefix}_${k}`);
  }
  // Beyond the metadata, only the keys a query names are asked about: look for each in the rows once.
  const inRows = new Map<string, boolean>();
  return (key) => {
    const wanted = lower(key);
    if (keys.has(wanted)) return true;
    let found = inRows.get(wanted);
    if (found === undefined) {
      found = rows.some((row) => Object.keys(row).some((k) => lower(k) === wanted));
      inRows.set(wanted, found);
    }
    return found;
  };
}
