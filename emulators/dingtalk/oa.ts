/**
 * OA 审批 in the fake DingTalk (workflow_1_0, reference §9): process templates (the seed's `oaTemplates`, read from
 * the seed file beside the others), instances started by the API or a test, GetProcessInstance, comments on an
 * instance, and — when an instance finishes or is terminated — the `bpms_instance_change` event, pushed to the app
 * as a Stream EVENT frame (headers eventType/eventId/eventCorpId, data = the business fields; §6.2, §6.7).
 *
 * API (token header, as the new API): `POST /v1.0/workflow/processInstances` (start) → `{instanceId}`;
 * `GET /v1.0/workflow/processInstances?processInstanceId=` → `{result: {…}, success: true}`;
 * `POST /v1.0/workflow/processInstances/comments` `{processInstanceId, text, commentUserId}` → `{result: true}`.
 * Control: `GET /_emulator/oa/instances`, `POST /_emulator/oa/instances` (start as a person would),
 * `POST /_emulator/oa/instances/:id/finish` `{result: agree|refuse}`, `POST /_emulator/oa/instances/:id/events`
 * (deliver the last event again, as DingTalk does after a lost ACK).
 *
 * Assumptions where the reference is UNCONFIRMED: status values RUNNING/COMPLETED/TERMINATED; the error codes for an
 * unknown instance or template; comments recorded as operationRecords of type ADD_REMARK with the text in `remark`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { bodyRecord, queryText, scalarText } from '../text';
import { demoDingTalkSeedPath } from './seed';
import type { DingTalkState } from './state';
import type { StreamEventHeaders } from './stream-gateway';

const componentSchema = z.object({
  name: z.string(),
  componentType: z.string().default('TextField'),
  required: z.boolean().default(false),
  /** DDSelectField: the allowed values. */
  options: z.array(z.string()).optional(),
  /** TableField: its columns. */
  columns: z
    .array(
      z.object({
        name: z.string(),
        componentType: z.string().default('TextField'),
        options: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export const oaTemplateSchema = z.object({
  processCode: z.string().regex(/^PROC-/, 'a process code starts with PROC-'),
  name: z.string(),
  components: z.array(componentSchema).default([]),
});
export type OaTemplate = z.infer<typeof oaTemplateSchema>;

/** The `oaTemplates` of a seed file (absent: none). */
export function loadOaTemplates(file: string = demoDingTalkSeedPath): OaTemplate[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { oaTemplates?: unknown };
  return z.array(oaTemplateSchema).default([]).parse(raw.oaTemplates);
}

export interface OaComponentValue {
  id?: string;
  name: string;
  value: string;
  componentType?: string;
}

export interface EmulatedOaInstance {
  processInstanceId: string;
  processCode: string;
  title: string;
  originatorUserId: string;
  originatorDeptId: string;
  originatorDeptName: string;
  status: 'RUNNING' | 'COMPLETED' | 'TERMINATED';
  result: '' | 'agree' | 'refuse';
  businessId: string;
  createTime: string;
  finishTime?: string;
  formComponentValues: Array<
    Required<Pick<OaComponentValue, 'name' | 'value'>> & { id: string; componentType: string }
  >;
  operationRecords: Array<{ userId: string; date: string; type: string; result: string; remark?: string }>;
  /** Who approves it (the process's one approval node): the originator's manager, else their department's
   * manager, else someone else in the organisation. Not part of GetProcessInstance's answer. */
  approverUserId?: string;
  /** Comments added through the API, for tests. */
  comments: Array<{ userId: string; text: string; at: string }>;
  /** The last bpms_instance_change event (to deliver it again). */
  lastEvent?: { headers: StreamEventHeaders; data: Record<string, unknown> };
}

/** A table component's value as DingTalk sends it: `[{rowValue: [{label, value, key}]}]`, as a JSON string. */
export function oaTableValue(rows: Array<Record<string, string | number>>): string {
  return JSON.stringify(
    rows.map((row, index) => ({
      rowNumber: `TableField_row_${index + 1}`,
      rowValue: Object.entries(row).map(([label, value], col) => ({
        label,
        value: String(value),
        key: `Field_${col}`,
      })),
    })),
  );
}

/** `{key: value}`, or `{}` when the value is undefined (optional properties stay absent). */
const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export class OaInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Pushes an EVENT frame to the app; resolves with its ACK's data. */
export type EventPusher = (clientId: string, data: unknown, headers: StreamEventHeaders) => Promise<unknown>;

export class EmulatedOa {
  readonly templates = new Map<string, OaTemplate>();
  readonly instances = new Map<string, EmulatedOaInstance>();

  constructor(
    private readonly state: DingTalkState,
    private readonly pushEvent: EventPusher,
    templates: OaTemplate[] = loadOaTemplates(),
  ) {
    for (const template of templates) this.templates.set(template.processCode, template);
  }

  defineTemplate(template: z.input<typeof oaTemplateSchema>): OaTemplate {
    const parsed = oaTemplateSchema.parse(template);
    this.templates.set(parsed.processCode, parsed);
    return parsed;
  }

  /** Start an instance (as the API or a person would); the form is checked against the template. */
  start(input: {
    processCode: string;
    originatorUserId: string;
    formComponentValues: OaComponentValue[];
  }): EmulatedOaInstance {
    const template = this.templates.get(input.processCode);
    if (!template) throw new OaInputError(400, 'processCodeNotExist', `审批模板 ${input.processCode} 不存在`);
    const user = this.state.seed.users.find((u) => u.userId === input.originatorUserId);
    if (!user) throw new OaInputError(400, 'originatorUserIdNotExist', `发起人 ${input.originatorUserId} 不存在`);
    const values = input.formComponentValues.map((v) => {
      const component = template.components.find((c) => c.name === v.name);
      if (!component) throw new OaInputError(400, 'formComponentNotExist', `表单中没有字段「${v.name}」`);
      if (component.options && !component.options.includes(v.value))
        throw new OaInputError(400, 'formComponentValueInvalid', `「${v.name}」的值「${v.value}」不在选项中`);
      return {
        id: `${component.componentType}_${template.components.indexOf(component)}`,
        name: v.name,
        value: v.value,
        componentType: component.componentType,
      };
    });
    for (const component of template.components)
      if (component.required && !values.some((v) => v.name === component.name && v.value !== ''))
        throw new OaInputError(400, 'formComponentRequired', `「${component.name}」必填`);
    const deptId = user.deptIds[0];
    const now = new Date().toISOString();
    const instance: EmulatedOaInstance = {
      processInstanceId: randomUUID(),
      processCode: template.processCode,
      title: `${user.name}提交的${template.name}`,
      originatorUserId: user.userId,
      originatorDeptId: String(deptId ?? -1),
      originatorDeptName: this.state.seed.departments.find((d) => d.id === deptId)?.name ?? '',
      status: 'RUNNING',
      result: '',
      businessId: now.replace(/\D/g, '').slice(0, 14) + String(this.instances.size + 1).padStart(4, '0'),
      createTime: now,
      formComponentValues: values,
      operationRecords: [{ userId: user.userId, date: now, type: 'START_PROCESS_INSTANCE', result: 'NONE' }],
      comments: [],
      ...optional('approverUserId', this.approverFor(user.userId)),
    };
    this.instances.set(instance.processInstanceId, instance);
    return instance;
  }

  /**
   * The approvers are done: COMPLETED with agree or refuse; the event goes out (resolves with the ACK). `by`: who
   * decided and their remark (default: the instance's approver).
   */
  async finish(
    processInstanceId: string,
    result: 'agree' | 'refuse',
    by?: { userId: string; remark?: string },
  ): Promise<unknown> {
    const instance = this.get(processInstanceId);
    if (instance.status !== 'RUNNING') throw new OaInputError(400, 'instanceFinished', '审批实例已结束');
    instance.status = 'COMPLETED';
    instance.result = result;
    instance.finishTime = new Date().toISOString();
    instance.operationRecords.push({
      userId:
        by?.userId ??
        instance.approverUserId ??
        this.state.seed.users.find((u) => u.userId !== instance.originatorUserId)?.userId ??
        instance.originatorUserId,
      date: instance.finishTime,
      type: 'EXECUTE_TASK_NORMAL',
      result: result === 'agree' ? 'AGREE' : 'REFUSE',
      ...optional('remark', by?.remark),
    });
    instance.lastEvent = {
      headers: { eventType: 'bpms_instance_change', eventId: randomUUID(), eventCorpId: this.state.seed.corpId },
      data: {
        processInstanceId,
        processCode: instance.processCode,
        corpId: this.state.seed.corpId,
        staffId: instance.originatorUserId,
        title: instance.title,
        url: `https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm#/approval?procInstId=${processInstanceId}`,
        createTime: Date.parse(instance.createTime),
        finishTime: Date.parse(instance.finishTime),
        bizCategoryId: '',
        businessId: instance.businessId,
        type: 'finish',
        result,
      },
    };
    return this.redeliver(processInstanceId);
  }

  /**
   * The instance's approver decides (同意 / 拒绝, with an optional remark), as in DingTalk's approval page: refused
   * for anyone else; then as finish().
   */
  async approve(input: {
    processInstanceId: string;
    userId: string;
    result: 'agree' | 'refuse';
    remark?: string;
  }): Promise<unknown> {
    const instance = this.get(input.processInstanceId);
    if (instance.approverUserId !== input.userId)
      throw new OaInputError(403, 'notApprover', `${input.userId} 不是该审批实例的审批人`);
    const remark = input.remark?.trim();
    return this.finish(input.processInstanceId, input.result, {
      userId: input.userId,
      ...optional('remark', remark || undefined),
    });
  }

  /** Instances a person started or is to approve, newest first. */
  instancesOf(userId: string): EmulatedOaInstance[] {
    return [...this.instances.values()]
      .filter((i) => i.originatorUserId === userId || i.approverUserId === userId)
      .sort((a, b) => b.createTime.localeCompare(a.createTime));
  }

  /** The approver of a person's instance: their manager, else their department's, else anyone else. */
  private approverFor(userId: string): string | undefined {
    const { users, departments } = this.state.seed;
    const user = users.find((u) => u.userId === userId);
    const deptManager = departments
      .find((d) => d.id === user?.deptIds[0])
      ?.managerUserIds.find((id) => id !== userId && users.some((u) => u.userId === id));
    const manager =
      user?.managerUserId && users.some((u) => u.userId === user.managerUserId) ? user.managerUserId : undefined;
    return manager ?? deptManager ?? users.find((u) => u.userId !== userId)?.userId;
  }

  /** Deliver the instance's last event again (same eventId), as after a lost ACK. */
  redeliver(processInstanceId: string): Promise<unknown> {
    const event = this.get(processInstanceId).lastEvent;
    if (!event) throw new OaInputError(400, 'noEvent', '该审批实例还没有事件');
    return this.pushEvent(this.state.seed.apps[0]!.clientId, event.data, event.headers);
  }

  comment(input: { processInstanceId: string; text: string; commentUserId: string }): void {
    const instance = this.get(input.processInstanceId);
    if (!this.state.seed.users.some((u) => u.userId === input.commentUserId))
      throw new OaInputError(400, 'commentUserIdNotExist', `评论人 ${input.commentUserId} 不存在`);
    const at = new Date().toISOString();
    instance.comments.push({ userId: input.commentUserId, text: input.text, at });
    instance.operationRecords.push({
      userId: input.commentUserId,
      date: at,
      type: 'ADD_REMARK',
      result: 'NONE',
      remark: input.text,
    });
  }

  get(processInstanceId: string): EmulatedOaInstance {
    const instance = this.instances.get(processInstanceId);
    if (!instance) throw new OaInputError(400, 'processInstanceIdNotExist', `审批实例 ${processInstanceId} 不存在`);
    return instance;
  }

  /** GetProcessInstance's `result`. */
  view(processInstanceId: string): Record<string, unknown> {
    const {
      comments: _comments,
      lastEvent: _lastEvent,
      approverUserId: _approver,
      processCode: _code,
      processInstanceId: _id,
      ...rest
    } = this.get(processInstanceId);
    return { ...rest, tasks: [], ccUserIds: [], attachedProcessInstanceIds: [], bizAction: 'NONE' };
  }
}

/** The API and the control routes (mounted after protocol.ts, so faults and quotas apply to the API). */
export function mountOa(app: Express, state: DingTalkState, oa: EmulatedOa): void {
  const fail = (res: Response, err: unknown) => {
    if (err instanceof OaInputError)
      res.status(err.status).json({ code: err.code, message: err.message, requestid: randomUUID() });
    else res.status(500).json({ code: 'system.error', message: err instanceof Error ? err.message : String(err) });
  };
  const authed = (handler: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
    if (!state.tokenOwner(req.header('x-acs-dingtalk-access-token') ?? ''))
      return void res
        .status(401)
        .json({ code: 'InvalidAuthentication', message: '不合法的access_token', requestid: randomUUID() });
    try {
      handler(req, res);
    } catch (err) {
      fail(res, err);
    }
  };
  const values = (raw: unknown): OaComponentValue[] =>
    (Array.isArray(raw) ? raw : []).map((v) => {
      const item = bodyRecord(v);
      return {
        name: scalarText(item.name),
        value: typeof item.value === 'string' ? item.value : JSON.stringify(item.value ?? ''),
      };
    });

  app.post(
    '/v1.0/workflow/processInstances',
    authed((req, res) => {
      const body = bodyRecord(req.body);
      const instance = oa.start({
        processCode: scalarText(body.processCode),
        originatorUserId: scalarText(body.originatorUserId),
        formComponentValues: values(body.formComponentValues),
      });
      res.json({ instanceId: instance.processInstanceId });
    }),
  );
  app.get(
    '/v1.0/workflow/processInstances',
    authed((req, res) => {
      const id = queryText(req.query.processInstanceId);
      if (!id)
        throw new OaInputError(400, 'MissingprocessInstanceId', 'processInstanceId is mandatory for this action.');
      res.json({ result: oa.view(id), success: true });
    }),
  );
  app.post(
    '/v1.0/workflow/processInstances/comments',
    authed((req, res) => {
      const body = bodyRecord(req.body);
      if (typeof body.text !== 'string' || body.text === '')
        throw new OaInputError(400, 'MissingText', 'text is mandatory for this action.');
      oa.comment({
        processInstanceId: scalarText(body.processInstanceId),
        text: body.text,
        commentUserId: scalarText(body.commentUserId),
      });
      res.json({ result: true, success: true });
    }),
  );

  app.get('/_emulator/oa/instances', (_req, res) => {
    res.json([...oa.instances.values()]);
  });
  app.post('/_emulator/oa/instances', (req, res) => {
    try {
      const body = bodyRecord(req.body);
      res.json(
        oa.start({
          processCode: scalarText(body.processCode),
          originatorUserId: scalarText(body.originatorUserId),
          formComponentValues: values(body.formComponentValues),
        }),
      );
    } catch (err) {
      fail(res, err);
    }
  });
  app.post('/_emulator/oa/instances/:id/finish', async (req, res) => {
    try {
      const result = bodyRecord(req.body).result === 'refuse' ? 'refuse' : 'agree';
      res.json({ ack: await oa.finish(String(req.params.id), result) });
    } catch (err) {
      fail(res, err);
    }
  });
  app.post('/_emulator/oa/instances/:id/events', async (req, res) => {
    try {
      res.json({ ack: await oa.redeliver(String(req.params.id)) });
    } catch (err) {
      fail(res, err);
    }
  });
}
