/**
 * What each DynamicFormService operation does to the fake Kingdee's documents, with Kingdee's own refusals:
 * ExecuteBillQuery / BillQuery (FieldKeys, FilterString, OrderString, paging), View (the ORM view model), Save,
 * and the state changes Submit, Audit, UnAudit, CancelAssign, Delete and WorkflowAudit (wrong-state, not-found,
 * 网控 lock and permission errors with their MsgCodes). protocol.ts has already authenticated the caller and
 * parsed the envelope; a refusal is thrown as a KingdeeFault or returned as an error envelope.
 */
import { scalarText } from '../text';
import { envelope, KingdeeFault, lowerKeys } from './envelope';
import { compileFilter, FilterParseError, lookup, type Row } from './filter';
import type { FieldValue } from './seed';
import {
  formNames,
  statusLabels,
  supportedForms,
  type EmulatedDocument,
  type KingdeeState,
  type Operation,
} from './state';

export class FormOperations {
  constructor(private readonly state: KingdeeState) {}

  operate(operation: Operation, args: unknown, userName: string): unknown {
    const positional: unknown[] | undefined = Array.isArray(args) ? args : undefined;
    const named =
      !Array.isArray(args) && typeof args === 'object' && args ? lowerKeys(args as Record<string, unknown>) : {};
    const queryStyle = operation === 'ExecuteBillQuery' || operation === 'BillQuery' || operation === 'WorkflowAudit';
    const formId = queryStyle ? undefined : scalarText(positional ? positional[0] : named.formid);
    const rawData = positional ? positional[queryStyle ? 0 : 1] : named.data;
    const data = lowerKeys(
      typeof rawData === 'string'
        ? (JSON.parse(rawData || '{}') as Record<string, unknown>)
        : ((rawData ?? {}) as Record<string, unknown>),
    );
    const user = this.state.seed.users.find((u) => u.userName === userName);
    const form = formId ?? scalarText(data.formid);
    if (!form) throw new KingdeeFault(5, '单据标识为空：请求中缺少 FormId');
    if (!supportedForms.has(form)) throw new KingdeeFault(4, `标识为“${form}”的业务对象不存在，或者被删除`);
    const denied = this.state.takeFault(
      'denyPermission',
      (f) => (f.operation === undefined || f.operation === operation) && (f.formId === undefined || f.formId === form),
    );
    if (denied || user?.deniedForms.includes(form)) {
      throw new KingdeeFault(2, `您没有“${formNames[form] ?? form}”的“${operation}”操作权限，请联系系统管理员`);
    }
    switch (operation) {
      case 'ExecuteBillQuery':
      case 'BillQuery':
        return this.query(form, data, operation === 'BillQuery');
      case 'View':
        return this.view(form, data);
      case 'Save':
        return this.save(form, data, userName);
      case 'WorkflowAudit':
        return this.stateChange(form, data, operation, userName);
      case 'Submit':
      case 'Audit':
      case 'UnAudit':
      case 'CancelAssign':
      case 'Delete':
        return this.stateChange(form, data, operation, userName);
      default:
        throw new KingdeeFault(4, `不支持的操作 ${String(operation)}`);
    }
  }

  private rowsOf(form: string): Row[] {
    if (form === 'BD_Empinfo')
      return this.state.seed.employees.map((e) => ({
        FID: e.id,
        FNumber: e.number,
        FStaffNumber: e.number,
        FName: e.name,
        FMobile: e.mobile ?? ' ',
      }));
    if (form === 'SEC_User')
      return this.state.seed.users.map((u) => ({
        FUserID: u.id,
        FName: u.name,
        FUserAccount: u.userName,
        FMobile: u.mobile ?? ' ',
      }));
    return [...this.state.documents.values()].filter((d) => d.formId === form).map((d) => flatten(d));
  }

  private query(form: string, data: Record<string, unknown>, objects: boolean): unknown {
    const fieldKeys = scalarText(data.fieldkeys)
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    if (fieldKeys.length === 0) throw new KingdeeFault(8, 'data 数据包中的参数 FieldKeys 的值不能为空');
    const rows = this.rowsOf(form);
    const known = new Set(rows.flatMap((r) => Object.keys(r).map((k) => k.toLowerCase())));
    const knownFields = (key: string) =>
      known.size === 0 ||
      known.has(key.toLowerCase()) ||
      /^F(ID|BillNo|DocumentStatus|ModifyDate|CreateDate|ApproveDate)$/i.test(key);
    const unknown = fieldKeys.find((k) => !knownFields(k));
    if (unknown) throw new KingdeeFault(9, `元数据中标识为${unknown}的字段不存在`);
    let predicate;
    try {
      predicate = compileFilter(scalarText(data.filterstring), knownFields);
    } catch (err) {
      if (err instanceof FilterParseError)
        throw new KingdeeFault(4, `GetRealExpress error: 当前查询串无法解析（${err.message}）`);
      throw err;
    }
    let result = rows.filter(predicate);
    const order = scalarText(data.orderstring).trim();
    if (order) {
      const keys = order.split(',').map((part) => {
        const [key = '', dir = 'ASC'] = part.trim().split(/\s+/);
        return { key, desc: dir.toUpperCase() === 'DESC' };
      });
      result = [...result].sort((a, b) => {
        for (const { key, desc } of keys) {
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

  private find(form: string, data: Record<string, unknown>): EmulatedDocument | undefined {
    const number = data.number !== undefined ? scalarText(data.number) : undefined;
    const id = data.id !== undefined && data.id !== '' ? Number(data.id) : undefined;
    return [...this.state.documents.values()].find(
      (d) => d.formId === form && (number ? d.billNo === number : d.id === id),
    );
  }

  private view(form: string, data: Record<string, unknown>): unknown {
    if (!data.number && !data.id) throw new KingdeeFault(5, '单据标识为空：请提供 Number 或 Id');
    const doc = this.find(form, data);
    if (!doc)
      throw new KingdeeFault(10, `未找到对应数据：${formNames[form] ?? form} ${String(data.number ?? data.id)}`);
    return { Result: { ResponseStatus: null, Result: toViewModel(doc) } };
  }

  private save(form: string, data: Record<string, unknown>, userName: string): unknown {
    const model = (data.model ?? {}) as Record<string, FieldValue>;
    if (typeof model !== 'object' || Array.isArray(model)) throw new KingdeeFault(8, '参数 Model 不能为空');
    const billNo =
      typeof model.FBillNo === 'string' && model.FBillNo
        ? model.FBillNo
        : `${form.slice(0, 4).toUpperCase()}${this.state.nextId}`;
    const existing = this.state.getDocument(form, billNo);
    if (existing && (existing.status === 'B' || existing.status === 'C')) {
      throw new KingdeeFault(
        12,
        `单据编号为“${billNo}”的${formNames[form] ?? form}，当前状态（${statusLabels[existing.status]}）不允许保存`,
      );
    }
    const { FBillNo: _ignored, ...fields } = model;
    const doc = existing ?? this.state.createDocument({ formId: form, billNo });
    Object.assign(doc.fields, fields);
    this.state.transition(doc, doc.status === 'D' ? 'D' : 'A', 'Save', userName);
    return envelope(true, 0, [], [{ Id: doc.id, Number: doc.billNo, DIndex: 0 }], { Id: doc.id, Number: doc.billNo });
  }

  private stateChange(form: string, data: Record<string, unknown>, operation: Operation, userName: string): unknown {
    const numbers = Array.isArray(data.numbers) ? data.numbers.map(String) : [];
    const ids = Array.isArray(data.ids)
      ? data.ids.map(Number)
      : scalarText(data.ids).split(',').filter(Boolean).map(Number);
    if (numbers.length === 0 && ids.length === 0) throw new KingdeeFault(5, '单据标识为空：请提供 Numbers 或 Ids');
    const targets = numbers.length > 0 ? numbers.map((n) => ({ number: n })) : ids.map((id) => ({ id }));
    const errors: string[] = [];
    const successes: Array<{ Id: number; Number: string; DIndex: number }> = [];
    let msgCode = 0;
    targets.forEach((target, index) => {
      const doc = this.find(form, target);
      const label = `单据编号为“${'number' in target ? target.number : target.id}”的${formNames[form] ?? form}`;
      if (!doc) {
        errors.push(`${label}不存在`);
        msgCode = 10;
        return;
      }
      if (this.state.takeFault('lock', (f) => f.billNo === doc.billNo)) {
        errors.push(
          `“其他用户”使用业务单据：“${formNames[form] ?? form}”业务操作-“[${formNames[form] ?? form}-${doc.billNo}-修改]”冲突，请稍候再使用。`,
        );
        msgCode = 13;
        return;
      }
      const refuse = (why: string) => {
        errors.push(`${label}，${why}`);
        msgCode = 12;
      };
      const comment = typeof data.disposition === 'string' ? data.disposition : undefined;
      switch (operation) {
        case 'Submit':
          if (doc.status !== 'A' && doc.status !== 'D' && doc.status !== 'Z')
            return refuse(`当前状态（${statusLabels[doc.status]}）不允许提交`);
          this.state.transition(doc, 'B', operation, userName);
          break;
        case 'Audit':
          if (doc.status === 'C') return refuse('已审核，不能重复审核。');
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）不允许审核`);
          if (doc.workflowBound && scalarText(data.isverifyprocinst ?? 'true') !== 'false')
            return refuse('存在运行中的工作流实例，不允许直接审核，请通过工作流审批');
          this.state.transition(doc, 'C', operation, userName);
          break;
        case 'UnAudit':
          if (doc.status !== 'C') return refuse(`当前状态（${statusLabels[doc.status]}）不允许反审核`);
          this.state.transition(doc, 'D', operation, userName);
          break;
        case 'CancelAssign':
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）不允许撤销`);
          this.state.transition(doc, 'A', operation, userName);
          break;
        case 'Delete':
          if (doc.status === 'B' || doc.status === 'C')
            return refuse(`当前状态（${statusLabels[doc.status]}）不允许删除`);
          this.state.documents.delete(`${doc.formId}|${doc.billNo}`);
          this.state.count(doc.billNo, operation);
          break;
        case 'WorkflowAudit': {
          const type = Number(data.approvaltype ?? 1);
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）没有待处理的工作流任务`);
          const actor = scalarText(data.username) || userName;
          if (!this.state.seed.users.some((u) => u.userName === actor || u.name === actor))
            return refuse(`用户“${actor}”不存在或不是当前节点的处理人`);
          this.state.transition(doc, type === 1 ? 'C' : 'D', operation, actor, comment, type);
          break;
        }
        default:
          return refuse('不支持的操作');
      }
      successes.push({ Id: doc.id, Number: doc.billNo, DIndex: index });
    });
    if (errors.length > 0) return envelope(false, msgCode, errors, successes);
    return envelope(true, 0, [], successes);
  }
}

/** Query rows: references expose FX (id), FX.FNumber and FX.FName, like Kingdee. */
function flatten(doc: EmulatedDocument): Row {
  const row: Row = { FID: doc.id, FBillNo: doc.billNo, FDocumentStatus: doc.status };
  for (const [key, value] of Object.entries(doc.fields)) {
    if (value !== null && typeof value === 'object') {
      row[key] = value.id;
      row[`${key}.FNumber`] = value.number ?? ' ';
      row[`${key}.FName`] = value.name;
    } else row[key] = value;
  }
  return row;
}

/** View returns ORM property names (the key without its leading F) and localised names as [{Key, Value}]. */
function toViewModel(doc: EmulatedDocument): Record<string, unknown> {
  const prop = (key: string) => (key.startsWith('F') ? key.slice(1) : key);
  const convert = (fields: Record<string, FieldValue>) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && typeof value === 'object') {
        out[prop(key)] = { Id: value.id, Number: value.number ?? '', Name: [{ Key: 2052, Value: value.name }] };
        out[`${prop(key)}_Id`] = value.id;
      } else out[prop(key)] = value;
    }
    return out;
  };
  const entity =
    {
      ER_ExpReimbursement: 'ER_ExpenseReimbEntry',
      AP_PAYBILL: 'PAYBILLENTRY',
      AP_Payable: 'AP_PAYABLEENTRY',
      PUR_PurchaseOrder: 'POOrderEntry',
    }[doc.formId] ?? 'Entity';
  return {
    Id: doc.id,
    BillNo: doc.billNo,
    DocumentStatus: doc.status,
    ...convert(doc.fields),
    [entity]: doc.entries.map((entry, i) => ({ Id: i + 1, Seq: i + 1, ...convert(entry) })),
  };
}
