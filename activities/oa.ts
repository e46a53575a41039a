/**
 * OA import's I/O: a finished, agreed DingTalk approval (审批实例) becomes a Kingdee bill (费用报销单).
 *
 * `importOaInstance` reads the instance (new API GetProcessInstance, `GET /v1.0/workflow/processInstances`), finds
 * the originator's Kingdee employee (DingTalk mobile → BD_Empinfo FMobile → FSTAFFNUMBER), maps the form by the
 * rules (domain/oa-mapping.ts, pure), then saves, submits and — with `skipApproval` — audits. Save is not
 * idempotent, so every row carries the marker `钉钉审批 <processInstanceId>` (备注 FRemark) and the activity looks for
 * a bill with it first: a retry after a crash submits the bill the first attempt saved instead of saving again.
 * What cannot be done for good (mapping, no employee, Kingdee refusing) is answered as `needsAttention` with the
 * reason in Chinese; what may heal (network, locks) is thrown and retried.
 *
 * `commentOnOaInstance` writes the result back as a comment, once: it looks at the instance's records first.
 *
 * Also the receiving side (`createOaRequests`): a bpms_instance_change event (Stream or HTTP) of a configured process,
 * finished and agreed, starts the one workflow per instance (`oa:<processInstanceId>`); a repeated event is a no-op.
 * And the admin side (`createOaRequests().admin`): the state of an import, and retry / resolve of a parked one (the
 * workflow's `oaImportAdmin` Update, refused unless it is in needs-attention).
 *
 * A 会计凭证 (GL_VOUCHER) has no applicant (no employee look-up) and its primary key is FVOUCHERID.
 */
import { Context } from '@temporalio/activity';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import type { DingTalkClient } from '../integrations/dingtalk';
import { KingdeeError, type KingdeeClient } from '../integrations/kingdee';
import type { Rules } from '../rules';
import { mapOaInstance, oaMarker, oaPrimaryKey } from '../domain/oa-mapping';
import {
  oaImportAdminUpdate,
  oaImportStatusQuery,
  oaImportWorkflowId,
  workflowTypes,
  type OaImportAdminAction,
  type OaImportInput,
  type OaImportOutcome,
  type OaImportState,
} from '../workflows/contract';
import type { People } from './people';

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export function createOaActivities(
  deps: { kingdee: KingdeeClient; dingtalk: DingTalkClient; rules: Rules; logger: Logger },
  people: People,
) {
  const { kingdee, dingtalk, rules, logger } = deps;

  async function existingBill(formId: string, markerField: string, marker: string) {
    const pk = oaPrimaryKey(formId);
    const rows = await kingdee.executeBillQuery({
      formId,
      fieldKeys: [pk, 'FBillNo', 'FDocumentStatus'],
      filterString: `${markerField} LIKE ${quoted(`%${marker}%`)}`,
      topRowCount: 1,
    });
    const row = rows[0];
    return row ? { id: String(row[pk]), billNo: String(row.FBillNo), status: String(row.FDocumentStatus) } : undefined;
  }

  /** The originator's Kingdee employee number (FSTAFFNUMBER), or why there is none. */
  async function employeeOf(userId: string): Promise<{ number: string } | { problem: string }> {
    const person = await people.details(userId);
    if (!person) return { problem: `钉钉中找不到发起人 ${userId}` };
    if (!person.mobile) return { problem: `发起人 ${person.name} 的钉钉账号没有手机号，无法对应金蝶员工` };
    const rows = await kingdee.executeBillQuery({
      formId: 'BD_Empinfo',
      fieldKeys: ['FNumber'],
      filterString: `FMobile = ${quoted(person.mobile)}`,
      topRowCount: 2,
    });
    const number = rows[0]?.FNumber;
    return number
      ? { number: String(number) }
      : { problem: `金蝶中没有手机号为 ${person.mobile} 的员工（发起人 ${person.name}）` };
  }

  return {
    /** Read, map, save (once), submit, audit: see the file's comment. */
    async importOaInstance(input: OaImportInput): Promise<OaImportOutcome> {
      const process = rules.oa.processes[input.processCode];
      if (!process) return { kind: 'skipped', reason: `流程 ${input.processCode} 未在规则文件的 oa 部分配置` };
      const instance = await dingtalk.getProcessInstance(input.processInstanceId);
      if (instance.status !== 'COMPLETED' || instance.result !== 'agree')
        return {
          kind: 'skipped',
          reason: `审批实例状态为 ${instance.status}${instance.result ? `/${instance.result}` : ''}，不是已同意`,
        };
      const title = instance.title;
      const formId = process.formId;
      const attention = (reason: string, errorType: string, billNo?: string): OaImportOutcome => ({
        kind: 'needsAttention',
        reason,
        errorType,
        ...(billNo ? { billNo } : {}),
        ...(title ? { title } : {}),
      });

      let bill = await existingBill(formId, process.markerField, oaMarker(input.processInstanceId));
      // Found on a retry: the earlier attempt saved it (and did not live to say so).
      let created = bill === undefined || Context.current().info.attempt > 1;
      if (!bill) {
        let employeeNumber: string | undefined;
        if (process.employeeField) {
          const employee = await employeeOf(instance.originatorUserId);
          if ('problem' in employee) return attention(employee.problem, 'NoEmployee');
          employeeNumber = employee.number;
        }
        const mapped = mapOaInstance(instance, process, employeeNumber ? { employeeNumber } : {});
        if (!mapped.ok) return attention(mapped.problems.join('；'), mapped.errorType);
        try {
          const saved = await kingdee.save(formId, mapped.model);
          bill = { id: saved.id, billNo: saved.number, status: 'A' };
        } catch (err) {
          if (err instanceof KingdeeError && !err.retryable) return attention(`金蝶拒绝保存：${err.message}`, err.name);
          throw err;
        }
        created = true;
        logger.info({ billNo: bill.billNo, processInstanceId: input.processInstanceId }, 'OA instance saved');
      }
      try {
        if (bill.status === 'A' || bill.status === 'D' || bill.status === 'Z') {
          await kingdee.submit(formId, { ids: [bill.id] });
          bill.status = 'B';
        }
        if (process.skipApproval && bill.status === 'B') {
          await kingdee.audit(formId, { ids: [bill.id] });
          bill.status = 'C';
        }
      } catch (err) {
        if (err instanceof KingdeeError && !err.retryable)
          return attention(`金蝶单据 ${bill.billNo} 已保存，但未能提交或审核：${err.message}`, err.name, bill.billNo);
        throw err;
      }
      return {
        kind: 'imported',
        formId,
        billNo: bill.billNo,
        status: bill.status,
        created,
        ...(title ? { title } : {}),
      };
    },

    /** The result as a comment on the instance, once (an identical comment already there is not posted again). */
    async commentOnOaInstance(input: {
      processInstanceId: string;
      originatorUserId: string;
      text: string;
    }): Promise<void> {
      const instance = await dingtalk.getProcessInstance(input.processInstanceId);
      if (instance.operationRecords.some((record) => record.remark === input.text)) return;
      await dingtalk.addProcessInstanceComment({
        processInstanceId: input.processInstanceId,
        text: input.text,
        commentUserId: rules.oa.commentAs ?? input.originatorUserId,
      });
    },
  };
}

/** Ops on OA imports, as the admin API answers them. */
export type OaAdminOutcome =
  | { ok: true; state: OaImportState }
  | { ok: false; reason: 'notFound' | 'notOaImport' | 'ended' | 'refused'; message: string };

/** bpms_instance_change's business fields (reference §9.2), as both channels carry them. */
const instanceChangeSchema = z
  .object({
    processInstanceId: z.string().min(1).max(128),
    processCode: z.string().min(1).max(128),
    type: z.string().max(32),
    result: z.string().max(32).optional(),
    staffId: z.string().min(1).max(128),
  })
  .passthrough();

/** The receiving side: events → the one import workflow per instance. */
export function createOaRequests(deps: { client: Client; rules: Rules; taskQueue: string; logger: Logger }) {
  const { client, rules, taskQueue, logger } = deps;
  const opsRobotName = rules.ops?.robot;
  const opsRobotRules = opsRobotName ? rules.robots[opsRobotName] : undefined;
  const opsRobot = opsRobotName && opsRobotRules ? { robot: { name: opsRobotName, ...opsRobotRules } } : {};

  /** An event, normalised: its type and business fields. SUCCESS when handled or not ours; LATER: deliver again. */
  async function onEvent(event: { eventType: string; data: Record<string, unknown> }): Promise<'SUCCESS' | 'LATER'> {
    if (event.eventType !== 'bpms_instance_change') return 'SUCCESS';
    const parsed = instanceChangeSchema.safeParse(event.data);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.slice(0, 5) }, 'malformed bpms_instance_change event: ignored');
      return 'SUCCESS';
    }
    const { processInstanceId, processCode, type, result, staffId } = parsed.data;
    const process = rules.oa.processes[processCode];
    if (!process || type !== 'finish' || result !== 'agree') return 'SUCCESS';
    const input: OaImportInput = {
      processInstanceId,
      processCode,
      formId: process.formId,
      originatorUserId: staffId,
      ...(rules.ops ? { ops: { ...opsRobot, users: rules.ops.users } } : {}),
    };
    try {
      await client.workflow.start(workflowTypes.oaImport, {
        taskQueue,
        workflowId: oaImportWorkflowId(processInstanceId),
        args: [input],
        // Running: the same run; finished: refused (one bill per instance, told once).
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `钉钉审批 ${process.name} → 金蝶 ${processInstanceId}`,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'SUCCESS';
      logger.error({ err: String(err), processInstanceId }, 'OA import workflow could not be started');
      return 'LATER';
    }
    return 'SUCCESS';
  }

  /** `oa:<id>` or the bare processInstanceId → the workflow id. */
  const workflowIdOf = (id: string): string => (id.startsWith('oa:') ? id : oaImportWorkflowId(id));

  async function describe(id: string) {
    const workflowId = workflowIdOf(id);
    const handle = client.workflow.getHandle(workflowId);
    try {
      const description = await handle.describe();
      return { workflowId, handle, description };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { workflowId };
      throw err;
    }
  }

  const admin = {
    /** The import's state and its execution (Temporal's status), or why there is none. */
    async details(id: string): Promise<OaAdminOutcome & { execution?: { status: string; runId: string } }> {
      const found = await describe(id);
      if (!found.description)
        return { ok: false, reason: 'notFound', message: `no OA import workflow ${found.workflowId}` };
      if (found.description.type !== workflowTypes.oaImport)
        return {
          ok: false,
          reason: 'notOaImport',
          message: `${found.workflowId} is a ${found.description.type}, not an OA import`,
        };
      const state = await found.handle.query(oaImportStatusQuery);
      return {
        ok: true,
        state,
        execution: { status: found.description.status.name, runId: found.description.runId },
      };
    },
    /** Retry or resolve a parked import: refused unless it is in needs-attention. */
    async act(id: string, action: OaImportAdminAction): Promise<OaAdminOutcome> {
      const found = await describe(id);
      if (!found.description)
        return { ok: false, reason: 'notFound', message: `no OA import workflow ${found.workflowId}` };
      if (found.description.type !== workflowTypes.oaImport)
        return {
          ok: false,
          reason: 'notOaImport',
          message: `${found.workflowId} is a ${found.description.type}, not an OA import`,
        };
      if (found.description.status.name !== 'RUNNING')
        return {
          ok: false,
          reason: 'ended',
          message: `${found.workflowId} has ended (${found.description.status.name}); nothing to ${action.action}`,
        };
      try {
        const state = await found.handle.executeUpdate(oaImportAdminUpdate, {
          args: [action],
        });
        logger.info({ workflowId: found.workflowId, ...action }, 'OA import admin action');
        return { ok: true, state };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const cause = err.cause;
          return { ok: false, reason: 'refused', message: cause instanceof Error ? cause.message : err.message };
        }
        throw err;
      }
    },
  };

  return {
    enabled: Object.keys(rules.oa.processes).length > 0,
    onEvent,
    admin,
    /** HTTP event push: one flat object with `EventType` (reference §6.7). */
    async onHttpEvent(event: Record<string, unknown>): Promise<void> {
      const { EventType, ...data } = event;
      const answer = await onEvent({ eventType: typeof EventType === 'string' ? EventType : '', data });
      if (answer === 'LATER') throw new Error('OA import could not be started; DingTalk retries the push');
    },
  };
}

export type OaRequests = ReturnType<typeof createOaRequests>;
