/**
 * Push (下推): turn audited source bills into target bills with a conversion rule (by RuleId, or the default rule
 * for TargetFormId when IsEnableDefaultRule), one target per source. The target is saved (status A, a new bill
 * number) with `<Entity>_Link` rows pointing at the source rows (FRuleId, FSTableName, FSBillId, FSId) and amounts
 * carried over; when its save fails (e.g. a must-input field the source did not fill), Push fails — or, with
 * IsDraftWhenSaveFail, the target is kept as a draft (Z, no bill number). The answer carries ResponseStatus (the
 * target save) and ConvertResponseStatus (the conversion).
 */
import { scalarText } from '../text';
import { applySums, validate, type BillContent } from './bills';
import { isReference } from './basedata';
import { KingdeeFault, responseStatus, type KingdeeErrorItem } from './envelope';
import { billForms, conversionRules, type ConversionRule } from './metadata';
import type { FieldValue } from './seed';
import { statusLabels, type EmulatedDocument, type EntryRow, type KingdeeState } from './state';

const truthy = (value: unknown) => value === true || scalarText(value).toLowerCase() === 'true';

export function push(state: KingdeeState, form: string, data: Record<string, unknown>, userName: string): unknown {
  const source = billForms[form];
  if (!source) throw new KingdeeFault(4, `“${form}”没有可用的单据转换规则`);
  const rule = chooseRule(form, data);
  const sources = selectSources(state, form, data);

  const convertErrors: KingdeeErrorItem[] = [];
  sources.forEach(({ doc }, index) => {
    if (doc.status !== 'C')
      convertErrors.push({
        FieldName: null,
        Message: `单据编号为“${doc.billNo}”的${source.name}，当前状态（${statusLabels[doc.status]}）不允许下推，请先审核`,
        DIndex: index,
      });
  });
  if (convertErrors.length > 0) {
    const failed = responseStatus(false, 12, convertErrors);
    return { Result: { ResponseStatus: failed, ConvertResponseStatus: failed } };
  }

  const target = billForms[rule.target]!;
  const draftOnFailure = truthy(data.isdraftwhensavefail);
  const converted = sources.map(({ doc, rows }) => {
    const content = convert(state, rule, doc, rows, userName);
    applySums(target, content);
    return { doc, content, problems: validate(target, content) };
  });
  const saveErrors = converted.flatMap(({ problems }, index) => problems.map((p) => ({ ...p, DIndex: index })));
  const converts = sources.map(({ doc }, index) => ({ Id: doc.id, Number: doc.billNo, DIndex: index }));
  if (saveErrors.length > 0 && !draftOnFailure) {
    return {
      Result: {
        ResponseStatus: responseStatus(false, 11, saveErrors),
        ConvertResponseStatus: responseStatus(true, 0, [], converts),
      },
    };
  }

  const created = converted.map(({ doc, content, problems }, index) => {
    const draft = problems.length > 0;
    const targetDoc = state.createDocument({
      formId: target.formId,
      billNo: draft ? ' ' : state.nextBillNo(target.formId),
      status: draft ? 'Z' : 'A',
      fields: content.fields,
      entries: content.entries,
      entities: content.entities,
      links: [],
    });
    // The rows got their FEntryIDs just now: the links hang on them.
    const entity = rule.linkEntity;
    const linked = entity === target.entry.key ? targetDoc.entries : (targetDoc.entities[entity] ?? []);
    targetDoc.links = linked.map((row, i) => ({
      entity,
      entryId: Number(row.FEntryID),
      ruleId: rule.id,
      sourceFormId: doc.formId,
      sourceBillNo: doc.billNo,
      sourceTable: source.entry.table,
      sourceBillId: doc.id,
      sourceEntryId: Number(content.links[i]?.sourceEntryId ?? 0),
    }));
    targetDoc.history.push({ operation: 'Push', at: state.localTime(), user: userName });
    state.count(targetDoc.billNo.trim() || `#${targetDoc.id}`, 'Push');
    state.count(doc.billNo, 'Push');
    return {
      entity: { Id: targetDoc.id, Number: targetDoc.billNo.trim(), DIndex: index },
      note: draft
        ? [
            {
              FieldName: null,
              Message: `保存失败，已暂存：${problems.map((p) => p.Message).join('；')}`,
              DIndex: index,
            },
          ]
        : [],
    };
  });
  return {
    Result: {
      ResponseStatus: responseStatus(
        true,
        0,
        [],
        created.map((c) => c.entity),
        created.flatMap((c) => c.note),
      ),
      ConvertResponseStatus: responseStatus(true, 0, [], converts),
    },
  };
}

function chooseRule(form: string, data: Record<string, unknown>): ConversionRule {
  const ruleId = scalarText(data.ruleid).trim();
  const targetFormId = scalarText(data.targetformid).trim();
  let rule: ConversionRule | undefined;
  if (ruleId) {
    rule = conversionRules.find((r) => r.id.toLowerCase() === ruleId.toLowerCase());
    if (!rule) throw new KingdeeFault(4, `单据转换规则“${ruleId}”不存在或未启用`);
    if (rule.source !== form) throw new KingdeeFault(4, `单据转换规则“${ruleId}”的源单是${rule.source}，不是${form}`);
  } else if (truthy(data.isenabledefaultrule)) {
    if (!targetFormId) throw new KingdeeFault(8, '启用默认转换规则时，参数 TargetFormId 不能为空');
    rule = conversionRules.find(
      (r) => r.isDefault && r.source === form && r.target.toLowerCase() === targetFormId.toLowerCase(),
    );
    if (!rule) throw new KingdeeFault(4, `${form} 到 ${targetFormId} 没有启用的默认转换规则`);
  } else {
    throw new KingdeeFault(8, '参数 RuleId 不能为空（或启用默认转换规则 IsEnableDefaultRule 并指定 TargetFormId）');
  }
  if (targetFormId && targetFormId.toLowerCase() !== rule.target.toLowerCase())
    throw new KingdeeFault(4, `单据转换规则“${rule.id}”的目标单是${rule.target}，不是${targetFormId}`);
  return rule;
}

/** The source bills (and which of their entry rows) by Numbers, Ids or EntryIds. */
function selectSources(
  state: KingdeeState,
  form: string,
  data: Record<string, unknown>,
): Array<{ doc: EmulatedDocument; rows: EntryRow[] }> {
  const list = (value: unknown) =>
    (Array.isArray(value) ? value.map(scalarText) : scalarText(value).split(',')).map((v) => v.trim()).filter(Boolean);
  const entryIds = list(data.entryids).map(Number);
  if (entryIds.length > 0) {
    const docs = [...state.documents.values()].filter(
      (d) => d.formId === form && d.entries.some((e) => entryIds.includes(Number(e.FEntryID))),
    );
    if (docs.length === 0) throw new KingdeeFault(10, `未找到对应数据：分录内码 ${entryIds.join(',')}`);
    return docs.map((doc) => ({ doc, rows: doc.entries.filter((e) => entryIds.includes(Number(e.FEntryID))) }));
  }
  const numbers = list(data.numbers);
  const ids = list(data.ids).map(Number);
  if (numbers.length === 0 && ids.length === 0)
    throw new KingdeeFault(5, '单据标识为空：请提供 Numbers、Ids 或 EntryIds');
  return (numbers.length > 0 ? numbers : ids).map((key) => {
    const doc = typeof key === 'string' ? state.getDocument(form, key) : state.getDocumentById(form, key);
    if (!doc) throw new KingdeeFault(10, `未找到对应数据：${billForms[form]?.name ?? form} ${key}`);
    return { doc, rows: doc.entries };
  });
}

const amountOf = (row: EntryRow, keys: string[]): number => {
  const key = keys.find((k) => typeof row[k] === 'number');
  return key ? (row[key] as number) : 0;
};

/** The rule's field mapping. Links are returned with the source row of each target row (in target row order). */
function convert(
  state: KingdeeState,
  rule: ConversionRule,
  doc: EmulatedDocument,
  rows: EntryRow[],
  userName: string,
): BillContent {
  const src = doc.fields;
  const pick = (...keys: string[]): FieldValue | undefined => keys.map((k) => src[k]).find((v) => v !== undefined);
  const today = `${state.localTime().slice(0, 10)}T00:00:00`;
  const creator = state.userRef(userName);
  switch (rule.id) {
    case 'ER_ExpReimbursementToPayBill': {
      if (rows.length === 0) throw new KingdeeFault(11, `单据编号为“${doc.billNo}”的费用报销单没有可下推的明细行`);
      const proposer = src.FProposerID;
      const fields: Record<string, FieldValue> = {
        FDATE: today,
        FCONTACTUNITTYPE: 'BD_Empinfo',
        FRECTUNITTYPE: 'BD_Empinfo',
        FREMARK: scalarText(src.FCausa) || ' ',
      };
      const set = (key: string, value: FieldValue | undefined) => {
        if (value !== undefined) fields[key] = value;
      };
      if (isReference(proposer)) {
        set('FCONTACTUNIT', proposer);
        set('FRECTUNIT', proposer);
      }
      set('FCURRENCYID', pick('FCurrencyID'));
      set('FSETTLECUR', pick('FCurrencyID'));
      set('FPAYORGID', pick('FPayOrgId', 'FOrgID'));
      set('FSETTLEORGID', pick('FOrgID'));
      if (creator) fields.FCreatorId = creator;
      const entries: EntryRow[] = rows.map((row) => {
        const amount = amountOf(row, ['FExpenseAmount', 'FExpSubmitAmount']);
        const entry: EntryRow = { FPAYTOTALAMOUNTFOR: amount, FREALPAYAMOUNTFOR_D: amount };
        const settle = pick('FPaySettlleTypeID');
        if (settle !== undefined) entry.FSETTLETYPEID = settle;
        if (row.FExpID !== undefined) entry.FCOSTID = row.FExpID;
        const dept = row.FExpenseDeptEntryID ?? pick('FExpenseDeptID', 'FRequestDeptID');
        if (dept !== undefined) entry.FEXPENSEDEPTID_E = dept;
        entry.FCOMMENT = scalarText(src.FCausa) || ' ';
        return entry;
      });
      const sources: EntryRow[] = rows.map((row, i) => ({
        FSOURCETYPE: 'ER_ExpReimbursement',
        FSRCBILLNO: doc.billNo,
        FSRCROWID: Number(row.FEntryID),
        FSRCSEQ: doc.entries.indexOf(row) + 1,
        FREALPAYAMOUNT: entries[i]!.FPAYTOTALAMOUNTFOR ?? 0,
      }));
      return {
        fields,
        entries,
        entities: { FPAYBILLSRCENTRY: sources },
        links: rows.map((row) => ({
          entity: 'FPAYBILLSRCENTRY',
          entryId: 0,
          ruleId: rule.id,
          sourceFormId: doc.formId,
          sourceBillNo: doc.billNo,
          sourceTable: billForms[doc.formId]!.entry.table,
          sourceBillId: doc.id,
          sourceEntryId: Number(row.FEntryID),
        })),
      };
    }
    default:
      throw new KingdeeFault(4, `单据转换规则“${rule.id}”没有字段映射`);
  }
}
