/**
 * A bill's data in and out, as Kingdee handles it: Save (Model.FID 0 or absent = a new bill, a non-zero FID = that
 * bill; references by code resolved against base data; entry rows under the entity's Save key with FEntryID 0 = new
 * row, IsDeleteEntry dropping rows not sent; `<Entity>_Link` rows; NeedUpDateFields; must-input fields; header totals
 * summed from the entries; View's names ignored) and View (ORM property names, references as {Id, Number, Name},
 * entry arrays with Id = FEntryID and Seq, and their links).
 */
import { scalarText } from '../text';
import { isReference, lookupForm, resolveReference } from './basedata';
import { envelope, KingdeeFault, type KingdeeErrorItem } from './envelope';
import { billForms, entitiesOf, type BillFormMeta, type EntityMeta, type FieldMeta } from './metadata';
import type { FieldValue, Reference } from './seed';
import { statusLabels, type DocumentLink, type EmulatedDocument, type EntryRow, type KingdeeState } from './state';

/** Fields Kingdee maintains itself; a Model that sets them is not obeyed. */
const systemFields = new Set(
  ['FDocumentStatus', 'FCreatorId', 'FCreateDate', 'FModifierId', 'FModifyDate', 'FApproverId', 'FApproveDate'].map(
    (k) => k.toLowerCase(),
  ),
);

/** A bill's content before it is stored: what Save builds and Push converts to. */
export interface BillContent {
  fields: Record<string, FieldValue>;
  entries: EntryRow[];
  entities: Record<string, EntryRow[]>;
  links: DocumentLink[];
}

const canonicalKey = (fields: Record<string, FieldMeta>, key: string) =>
  Object.keys(fields).find((k) => k.toLowerCase() === key.toLowerCase());

export function save(state: KingdeeState, form: string, data: Record<string, unknown>, userName: string): unknown {
  const bill = billForms[form];
  if (!bill) throw new KingdeeFault(4, `模拟器不支持保存“${form}”（只支持单据：${Object.keys(billForms).join('、')}）`);
  const model = data.model;
  if (typeof model !== 'object' || model === null || Array.isArray(model))
    throw new KingdeeFault(8, '参数 Model 不能为空');
  const only = Array.isArray(data.needupdatefields)
    ? new Set(data.needupdatefields.map((k) => scalarText(k).toLowerCase()).filter(Boolean))
    : new Set<string>();
  const isDeleteEntry = scalarText(data.isdeleteentry ?? 'true').toLowerCase() !== 'false';
  const entries = Object.entries(model as Record<string, unknown>);
  const get = (key: string) => entries.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

  const fid = Number(get(bill.pk ?? 'FID') ?? get('FID') ?? 0) || 0;
  const existing = fid > 0 ? state.getDocumentById(form, fid) : undefined;
  if (fid > 0 && !existing)
    throw new KingdeeFault(10, `未找到对应数据：${bill.name}内码为“${fid}”的单据不存在或已被删除`);
  if (existing && (existing.status === 'B' || existing.status === 'C'))
    throw new KingdeeFault(
      12,
      `单据编号为“${existing.billNo}”的${bill.name}，当前状态（${statusLabels[existing.status]}）不允许保存`,
    );
  const wantedNo = scalarText(get('FBillNo')).trim();
  const clash = wantedNo ? state.getDocument(form, wantedNo) : undefined;
  if (clash && clash !== existing)
    throw new KingdeeFault(11, `单据编号“${wantedNo}”已存在，不允许重复`, [
      { FieldName: 'FBillNo', Message: `单据编号“${wantedNo}”已存在，不允许重复` },
    ]);

  const content: BillContent = existing
    ? {
        fields: { ...existing.fields },
        entries: existing.entries.map((e) => ({ ...e })),
        entities: Object.fromEntries(
          Object.entries(existing.entities).map(([k, rows]) => [k, rows.map((r) => ({ ...r }))]),
        ),
        links: [...existing.links],
      }
    : { fields: {}, entries: [], entities: {}, links: [] };
  const updates = (key: string) => !existing || only.size === 0 || only.has(key.toLowerCase());

  // Header: scalars first (a 往来单位 reference needs its type), then references.
  const refs: Array<[string, Record<string, unknown>]> = [];
  for (const [key, value] of entries) {
    const lower = key.toLowerCase();
    if (!/^f/i.test(key) || lower === 'fid' || lower === 'fbillno' || systemFields.has(lower)) continue;
    if (bill.pk && lower === bill.pk.toLowerCase()) continue;
    const entity = entitiesOf(bill).find((e) => e.key.toLowerCase() === lower);
    if (entity) continue;
    const canonical = canonicalKey(bill.header, key);
    if (!canonical && entitiesOf(bill).some((e) => canonicalKey(e.fields, key)))
      throw new KingdeeFault(
        9,
        `ResolveFiled_InnerEx解析字段(Key:${key})时发生异常：实体不存在此属性！[EntityType：BillHead]`,
      );
    if (Array.isArray(value)) throw new KingdeeFault(9, `元数据中标识为${key}的实体不存在`);
    if (!updates(key)) continue;
    if (value !== null && typeof value === 'object') {
      if (!canonical || !bill.header[canonical]?.lookup)
        throw new KingdeeFault(9, `元数据中标识为${key}的基础资料字段不存在`);
      refs.push([canonical, value as Record<string, unknown>]);
    } else content.fields[canonical ?? key] = value as FieldValue;
  }
  for (const [key, value] of refs) setReference(state, bill.header, key, value, content.fields);

  // Entry entities.
  for (const entity of entitiesOf(bill)) {
    const value = get(entity.key);
    if (value === undefined) continue;
    if (!Array.isArray(value)) throw new KingdeeFault(8, `实体 ${entity.key} 的值必须是数组`);
    applyEntity(state, bill, entity, value as unknown[], content, { isDeleteEntry, updates });
  }

  if (!existing) {
    const creator = state.userRef(userName);
    if (creator) content.fields.FCreatorId = creator;
  }
  applySums(bill, content);
  const problems = validate(bill, content);
  if (problems.length > 0) throw new KingdeeFault(11, problems[0]!.Message, problems);
  if (bill.voucher) numberVoucher(state, bill, bill.voucher, content, existing);

  const billNo = wantedNo || existing?.billNo.trim() || state.nextBillNo(form);
  const doc = existing ?? state.createDocument({ formId: form, billNo });
  if (doc.billNo !== billNo) state.renumber(doc, billNo);
  Object.assign(doc, {
    fields: existing ? content.fields : { ...doc.fields, ...content.fields },
    entries: content.entries,
    entities: content.entities,
    links: content.links,
  });
  state.transition(doc, doc.status === 'D' ? 'D' : 'A', 'Save', userName);
  const returned = Array.isArray(data.needreturnfields)
    ? [Object.fromEntries(data.needreturnfields.map((k) => [scalarText(k), headValue(doc, scalarText(k))]))]
    : [];
  return envelope(true, 0, [], [{ Id: doc.id, Number: doc.billNo, DIndex: 0 }], {
    Id: doc.id,
    Number: doc.billNo,
    NeedReturnData: returned,
  });
}

function headValue(doc: EmulatedDocument, key: string): FieldValue {
  if (key.toLowerCase() === 'fid') return doc.id;
  if (key.toLowerCase() === 'fbillno') return doc.billNo;
  if (key.toLowerCase() === 'fdocumentstatus') return doc.status;
  const value = Object.entries(doc.fields).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1] ?? null;
  return isReference(value) ? value.id : value;
}

function setReference(
  state: KingdeeState,
  meta: Record<string, FieldMeta>,
  key: string,
  value: Record<string, unknown>,
  target: Record<string, FieldValue>,
  row?: number,
): void {
  const field = meta[key]!;
  const resolved = resolveReference(state.seed, { key, meta: field, form: lookupForm(field, target) }, value, row);
  // A reference object naming nothing Kingdee uses is ignored (the field keeps its value, or stays empty).
  if (resolved) target[key] = resolved;
}

function applyEntity(
  state: KingdeeState,
  bill: BillFormMeta,
  entity: EntityMeta,
  input: unknown[],
  content: BillContent,
  options: { isDeleteEntry: boolean; updates: (key: string) => boolean },
): void {
  // Observed on real sites: an empty array changes nothing; `[{}]` clears the entity (the empty row is dropped).
  if (input.length === 0) return;
  const isMain = entity.key === bill.entry.key;
  const current = isMain ? content.entries : (content.entities[entity.key] ?? []);
  const kept: EntryRow[] = [];
  const linkKey = `${entity.key}_link`.toLowerCase();
  input.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new KingdeeFault(8, `实体 ${entity.key} 第${index + 1}行不是对象`);
    const pairs = Object.entries(raw as Record<string, unknown>);
    const entryId = Number(pairs.find(([k]) => k.toLowerCase() === 'fentryid')?.[1] ?? 0) || 0;
    const found = entryId > 0 ? current.find((r) => r.FEntryID === entryId) : undefined;
    if (entryId > 0 && !found)
      throw new KingdeeFault(10, `实体 ${entity.key} 第${index + 1}行：分录内码“${entryId}”不存在`);
    const row: EntryRow = found ? { ...found } : {};
    let links: unknown;
    const refs: Array<[string, Record<string, unknown>]> = [];
    for (const [key, value] of pairs) {
      const lower = key.toLowerCase();
      if (!/^f/i.test(key) || lower === 'fentryid') continue;
      if (lower === linkKey) {
        links = value;
        continue;
      }
      if (!options.updates(key)) continue;
      const canonical = canonicalKey(entity.fields, key);
      if (Array.isArray(value)) throw new KingdeeFault(9, `元数据中标识为${key}的实体不存在`);
      if (value !== null && typeof value === 'object') {
        if (!canonical || !entity.fields[canonical]?.lookup)
          throw new KingdeeFault(9, `第${index + 1}行：元数据中标识为${key}的基础资料字段不存在`);
        refs.push([canonical, value as Record<string, unknown>]);
      } else row[canonical ?? key] = value as FieldValue;
    }
    for (const [key, value] of refs) setReference(state, entity.fields, key, value, row, index);
    if (!found && Object.keys(row).length === 0 && links === undefined) return;
    const stored = found ? { ...row, FEntryID: entryId } : state.withEntryId(row);
    kept.push(stored);
    if (Array.isArray(links)) {
      content.links = content.links.filter((l) => !(l.entity === entity.key && l.entryId === stored.FEntryID));
      for (const link of links) content.links.push(toLink(state, entity, Number(stored.FEntryID), link));
    }
  });
  const rows = options.isDeleteEntry
    ? kept
    : [
        ...current.map((r) => kept.find((k) => k.FEntryID === r.FEntryID) ?? r),
        ...kept.filter((k) => !current.some((r) => r.FEntryID === k.FEntryID)),
      ];
  const ids = new Set(rows.map((r) => r.FEntryID));
  content.links = content.links.filter((l) => l.entity !== entity.key || ids.has(l.entryId));
  if (isMain) content.entries = rows;
  else content.entities[entity.key] = rows;
}

/** A `<Entity>_Link` row from a Save model (FRuleId, FSTableName, FSBillId, FSId — with or without the prefix). */
function toLink(state: KingdeeState, entity: EntityMeta, entryId: number, raw: unknown): DocumentLink {
  const pairs = Object.entries(typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {});
  const field = (name: string) =>
    pairs.find(([k]) => {
      const lower = k.toLowerCase();
      return lower === name || lower === `${entity.key}_link_${name}`.toLowerCase();
    })?.[1];
  const sourceTable = scalarText(field('fstablename'));
  const sourceBillId = Number(field('fsbillid') ?? 0) || 0;
  const sourceForm = Object.values(billForms).find((b) =>
    entitiesOf(b).some((e) => e.table.toLowerCase() === sourceTable.toLowerCase()),
  );
  const source = sourceForm ? state.getDocumentById(sourceForm.formId, sourceBillId) : undefined;
  return {
    entity: entity.key,
    entryId,
    ruleId: scalarText(field('fruleid')),
    sourceFormId: sourceForm?.formId ?? '',
    sourceBillNo: source?.billNo ?? '',
    sourceTable,
    sourceBillId,
    sourceEntryId: Number(field('fsid') ?? 0) || 0,
  };
}

/** Header totals Kingdee sums from the main entry (when there are entry rows). */
export function applySums(bill: BillFormMeta, content: BillContent): void {
  if (content.entries.length === 0) return;
  for (const { header, from } of bill.sums) {
    const amounts = content.entries.map((row) => {
      const key = from.find((k) => typeof row[k] === 'number');
      return key ? (row[key] as number) : 0;
    });
    if (content.entries.some((row) => from.some((k) => typeof row[k] === 'number')))
      content.fields[header] = Math.round(amounts.reduce((a, b) => a + b, 0) * 100) / 100;
  }
}

/** A voucher without a number (凭证号) gets the next one of its account book and 凭证字. */
function numberVoucher(
  state: KingdeeState,
  bill: BillFormMeta,
  voucher: NonNullable<BillFormMeta['voucher']>,
  content: BillContent,
  existing: EmulatedDocument | undefined,
): void {
  if (scalarText(content.fields[voucher.numberField]).trim()) return;
  const groupOf = (fields: Record<string, FieldValue>) =>
    voucher.groupFields
      .map((k) => {
        const v = fields[k];
        return isReference(v) ? v.id : '';
      })
      .join('|');
  const group = groupOf(content.fields);
  const numbers = [...state.documents.values()]
    .filter((d) => d.formId === bill.formId && d !== existing && groupOf(d.fields) === group)
    .map((d) => Number(d.fields[voucher.numberField]) || 0);
  content.fields[voucher.numberField] = String(Math.max(0, ...numbers) + 1);
}

/** Must-input fields: 【申请人】字段必录, 第1行【费用项目】字段必录; a voucher's debits equal its credits. */
export function validate(bill: BillFormMeta, content: BillContent): KingdeeErrorItem[] {
  const problems: KingdeeErrorItem[] = [];
  const empty = (v: FieldValue | undefined) => v === undefined || v === null || (typeof v === 'string' && !v.trim());
  for (const [key, meta] of Object.entries(bill.header))
    if (meta.required && empty(content.fields[key]))
      problems.push({ FieldName: key, Message: `【${meta.name}】字段必录` });
  for (const entity of entitiesOf(bill)) {
    const rows = entity.key === bill.entry.key ? content.entries : (content.entities[entity.key] ?? []);
    rows.forEach((row, index) => {
      for (const [key, meta] of Object.entries(entity.fields))
        if (meta.required && empty(row[key]))
          problems.push({ FieldName: key, Message: `第${index + 1}行【${meta.name}】字段必录` });
    });
  }
  if (bill.voucher && problems.length === 0) {
    const cents = (key: string) =>
      content.entries.reduce((sum, row) => sum + Math.round((Number(row[key]) || 0) * 100), 0);
    const debit = cents(bill.voucher.debit);
    const credit = cents(bill.voucher.credit);
    if (content.entries.length === 0) problems.push({ FieldName: bill.entry.key, Message: '凭证分录不能为空' });
    else if (debit !== credit)
      problems.push({
        FieldName: bill.voucher.debit,
        Message: `凭证借贷不平衡：借方合计 ${(debit / 100).toFixed(2)}，贷方合计 ${(credit / 100).toFixed(2)}`,
      });
  }
  return problems;
}

// ── View ──────────────────────────────────────────────────────────────────────────────────────────────────

/** ORM property names: the key without its leading F; customer extension fields (F_XXX_…) keep their key. */
const prop = (key: string) => (key.startsWith('F') && !key.startsWith('F_') ? key.slice(1) : key);

function viewReference(value: Reference, form: string | undefined): Record<string, unknown> {
  if (form === 'SEC_User') return { Id: value.id, Name: value.name, UserAccount: value.number ?? '' };
  return {
    Id: value.id,
    Number: value.number ?? '',
    Name: [{ Key: 2052, Value: value.name }],
    MultiLanguageText: [{ PkId: value.id, LocaleId: 2052, Name: value.name }],
  };
}

function viewFields(fields: Record<string, FieldValue>, meta: Record<string, FieldMeta>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'FEntryID') continue;
    if (isReference(value)) {
      out[prop(key)] = viewReference(value, lookupForm(meta[key], fields));
      out[`${prop(key)}_Id`] = value.id;
    } else out[prop(key)] = value;
  }
  return out;
}

/** View's Result.Result: ORM property names (the key without its leading F), entries with Id = FEntryID and Seq. */
export function viewModel(doc: EmulatedDocument): Record<string, unknown> {
  const bill = billForms[doc.formId];
  const header = bill?.header ?? {};
  const out: Record<string, unknown> = {
    Id: doc.id,
    BillNo: doc.billNo,
    DocumentStatus: doc.status,
    ...viewFields(doc.fields, header),
  };
  const entities = bill ? entitiesOf(bill) : [];
  const main = bill?.entry;
  out[main?.view ?? 'Entity'] = viewRows(doc, main, doc.entries);
  for (const entity of entities.slice(1)) out[entity.view] = viewRows(doc, entity, doc.entities[entity.key] ?? []);
  return out;
}

function viewRows(doc: EmulatedDocument, entity: EntityMeta | undefined, rows: EntryRow[]): unknown[] {
  return rows.map((row, index) => {
    const links = entity ? doc.links.filter((l) => l.entity === entity.key && l.entryId === row.FEntryID) : [];
    return {
      Id: row.FEntryID,
      Seq: index + 1,
      ...viewFields(row, entity?.fields ?? {}),
      ...(entity && links.length > 0
        ? {
            [`${entity.key}_Link`]: links.map((l, i) => ({
              Id: i + 1,
              RuleId: l.ruleId,
              STableName: l.sourceTable,
              SBillId: String(l.sourceBillId),
              SId: String(l.sourceEntryId),
              FlowId: '',
              FlowLineId: 0,
            })),
          }
        : {}),
    };
  });
}
