/**
 * What each DynamicFormService operation does to the fake Kingdee, with Kingdee's own refusals: ExecuteBillQuery /
 * BillQuery (query.ts), View and Save (bills.ts), Push (push.ts), and the state changes Submit, Audit, UnAudit,
 * CancelAssign, Delete and WorkflowAudit (wrong-state, not-found, downstream-bill, 网控 lock and permission errors
 * with their MsgCodes). protocol.ts has already authenticated the caller and parsed the envelope; a refusal is
 * thrown as a KingdeeFault or returned as an error envelope.
 */
import { scalarText } from '../text';
import { save, viewModel } from './bills';
import { envelope, KingdeeFault, lowerKeys } from './envelope';
import { billForms, canonicalForm } from './metadata';
import { push } from './push';
import { runQuery } from './query';
import { formNames, statusLabels, type EmulatedDocument, type KingdeeState, type Operation } from './state';

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
    const requested = formId ?? scalarText(data.formid);
    if (!requested) throw new KingdeeFault(5, '单据标识为空：请求中缺少 FormId');
    const form = canonicalForm(requested);
    if (!form) throw new KingdeeFault(4, `标识为“${requested}”的业务对象不存在，或者被删除`);
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
        return runQuery(this.state, form, data, operation === 'BillQuery');
      case 'View':
        return this.view(form, data);
      case 'Save':
        return save(this.state, form, data, userName);
      case 'Push':
        return push(this.state, form, data, userName);
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

  private find(form: string, data: Record<string, unknown>): EmulatedDocument | undefined {
    const number = scalarText(data.number).trim();
    const id = Number(scalarText(data.id)) || undefined;
    if (number) return this.state.getDocument(form, number);
    return id ? this.state.getDocumentById(form, id) : undefined;
  }

  private view(form: string, data: Record<string, unknown>): unknown {
    if (!scalarText(data.number).trim() && !scalarText(data.id).trim())
      throw new KingdeeFault(5, '单据标识为空：请提供 Number 或 Id');
    if (!billForms[form]) throw new KingdeeFault(4, `模拟器不支持查看基础资料“${form}”，请用 ExecuteBillQuery`);
    const doc = this.find(form, data);
    if (!doc)
      throw new KingdeeFault(
        10,
        `未找到对应数据：${formNames[form] ?? form} ${scalarText(data.number) || scalarText(data.id)}`,
      );
    return { Result: { ResponseStatus: null, Result: viewModel(doc) } };
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
        case 'UnAudit': {
          if (doc.status !== 'C') return refuse(`当前状态（${statusLabels[doc.status]}）不允许反审核`);
          const downstream = this.state.downstreamOf(doc);
          if (downstream.length > 0) {
            errors.push(
              `${label}已生成下游单据（${downstream.map((d) => `${formNames[d.formId] ?? d.formId} ${d.billNo.trim() || `内码${d.id}`}`).join('、')}），不允许反审核。`,
            );
            msgCode = 11;
            return;
          }
          this.state.transition(doc, 'D', operation, userName);
          break;
        }
        case 'CancelAssign':
          if (doc.status !== 'B') return refuse(`当前状态（${statusLabels[doc.status]}）不允许撤销`);
          this.state.transition(doc, 'A', operation, userName);
          break;
        case 'Delete':
          // The text real sites answer (observed): 只能删除创建，暂存，重新审核状态的数据!
          if (doc.status === 'B' || doc.status === 'C') return refuse('只能删除创建，暂存，重新审核状态的数据!');
          this.state.removeDocument(doc);
          this.state.count(doc.billNo.trim() || `#${doc.id}`, operation);
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
