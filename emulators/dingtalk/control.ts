/**
 * The DingTalk emulator's own surface — not part of DingTalk: the `/_emulator` API (cards and messages as JSON, a
 * person pressing a card button or writing to the bot, injecting and clearing faults, usage and quotas) and the
 * `/sandbox` page where a person acts as anyone in the seed: card buttons (同意 / 驳回 / 转交 / 加签, sent as the card
 * callback DingTalk would send), messages to the bot (1:1 or @bot in a group), and OA approvals (start a 费用申请, approve
 * it as its approver: the instance finishes and its bpms_instance_change event goes out). Each form acts through the
 * same emulator functions as the protocol (clickCard, messageBot, EmulatedOa.start / finish); a bad form answers 4xx
 * with a page saying what was wrong. Faults and quotas never apply here, nor are these calls counted (protocol.ts
 * skips these paths).
 */
import type { Express, Response } from 'express';
import { bodyRecord, queryText } from '../text';
import { EmulatorInputError } from './callbacks';
import { OaInputError, oaTableValue, type OaComponentValue } from './oa';
import {
  cardButtonsFor,
  cardParamsFor,
  oaFormTableRows,
  renderSandbox,
  renderSandboxProblem,
  sandboxCardButtons,
  type SandboxCardButton,
} from './sandbox';
import type { DingTalkEmulator } from './server';
import type { DingTalkFault } from './state';

export function mountControl(app: Express, emulator: DingTalkEmulator): void {
  // Inspection and fault injection.
  app.get('/_emulator/cards', (req, res) => {
    res.json(emulator.cardsFor(typeof req.query.userId === 'string' ? req.query.userId : undefined));
  });
  app.get('/_emulator/messages', (req, res) => {
    res.json(
      emulator.messagesFor({
        ...(typeof req.query.userId === 'string' ? { userId: req.query.userId } : {}),
        ...(typeof req.query.groupId === 'string' ? { groupId: req.query.groupId } : {}),
      }),
    );
  });
  app.post('/_emulator/cards/:outTrackId/click', async (req, res) => {
    try {
      const body = (req.body ?? {}) as { userId?: unknown; actionId?: unknown; params?: unknown };
      if (typeof body.userId !== 'string' || typeof body.actionId !== 'string')
        throw new EmulatorInputError(400, 'param.invalid', 'body must be {userId, actionId, params?}');
      const params = body.params && typeof body.params === 'object' ? (body.params as Record<string, unknown>) : {};
      res.json(
        await emulator.click(String(req.params.outTrackId), { userId: body.userId, actionId: body.actionId, params }),
      );
    } catch (err) {
      sendError(res, err);
    }
  });
  app.post('/_emulator/bot/messages', async (req, res) => {
    try {
      const body = (req.body ?? {}) as { userId?: unknown; text?: unknown; groupId?: unknown };
      if (typeof body.userId !== 'string' || typeof body.text !== 'string')
        throw new EmulatorInputError(400, 'param.invalid', 'body must be {userId, text, groupId?}');
      await sendAsPerson({
        userId: body.userId,
        text: body.text,
        ...(typeof body.groupId === 'string' ? { groupId: body.groupId } : {}),
      });
      res.status(202).json({ accepted: true });
    } catch (err) {
      sendError(res, err);
    }
  });
  app.post('/_emulator/faults', (req, res) => {
    const body = (req.body ?? {}) as { kind?: string };
    if (body.kind === 'expireTokens') emulator.expireTokens();
    else if (body.kind === 'dropStream') emulator.dropStreamConnections();
    else if (body.kind === 'loseCardAnswers') {
      const times = (body as { times?: unknown }).times ?? 1;
      if (typeof times !== 'number' || !Number.isInteger(times) || times < 1)
        return void res.status(400).json({ code: 'param.invalid', message: 'times must be a whole number ≥ 1' });
      emulator.cardAnswersToLose += times;
    } else if (['rateLimit', 'http500', 'latency', 'permissionDenied'].includes(body.kind ?? ''))
      emulator.faults.push(body as DingTalkFault);
    else
      return void res.status(400).json({
        code: 'param.invalid',
        message:
          'kind must be rateLimit, http500, latency, permissionDenied, expireTokens, dropStream or loseCardAnswers',
      });
    res.status(204).end();
  });
  app.delete('/_emulator/faults', (_req, res) => {
    emulator.faults = [];
    emulator.cardAnswersToLose = 0;
    res.status(204).end();
  });

  // Usage and quotas.
  app.get('/_emulator/stats', (_req, res) => {
    res.json(emulator.stats());
  });
  app.delete('/_emulator/stats', (req, res) => {
    emulator.resetStats({ month: req.query.month === 'true' });
    res.status(204).end();
  });
  app.put('/_emulator/stats/month', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const counts: { api?: number; webhookStream?: number; free?: number } = {};
    for (const key of ['api', 'webhookStream', 'free'] as const) {
      const value = body[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        return void res.status(400).json({ code: 'param.invalid', message: `${key} must be a whole number ≥ 0` });
      counts[key] = value;
    }
    emulator.setMonthUsage(counts);
    res.json(emulator.stats().month);
  });
  app.get('/_emulator/quotas', (_req, res) => {
    res.json({ enabled: emulator.quotasEnabled, quotas: emulator.quotaConfig });
  });
  app.post('/_emulator/quotas', (req, res) => {
    const body = (req.body ?? {}) as { enabled?: unknown };
    if (typeof body.enabled !== 'boolean')
      return void res.status(400).json({ code: 'param.invalid', message: 'body must be {"enabled": true|false}' });
    emulator.setQuotasEnabled(body.enabled);
    res.json({ enabled: emulator.quotasEnabled, quotas: emulator.quotaConfig });
  });

  // The sandbox: a person's (or a group's) view, and the forms that act as them.
  app.get('/sandbox', (req, res) => {
    const userId = queryText(req.query.userId) || undefined;
    const groupId = queryText(req.query.groupId) || undefined;
    const user = userId ? emulator.seed.users.find((u) => u.userId === userId) : undefined;
    const group = groupId ? emulator.seed.groups.find((g) => g.openConversationId === groupId) : undefined;
    const problem =
      userId && !user ? `没有这个人员：${userId}` : !userId && groupId && !group ? `没有这个群：${groupId}` : undefined;
    res
      .status(problem ? 404 : 200)
      .type('html')
      .send(
        renderSandbox({
          seed: emulator.seed,
          ...(user ? { userId: user.userId } : {}),
          ...(!user && group ? { groupId: group.openConversationId } : {}),
          cards: user ? emulator.cardsFor(user.userId) : [],
          messages: user
            ? emulator.messagesFor({ userId: user.userId })
            : group
              ? emulator.messagesFor({ groupId: group.openConversationId })
              : [],
          ...(user ? { todos: emulator.todosFor(user.userId) } : {}),
          sentToBot: emulator.sentToBot,
          ...(user
            ? {
                oa: { templates: [...emulator.oa.templates.values()], instances: emulator.oa.instancesOf(user.userId) },
              }
            : {}),
          ...(queryText(req.query.as) ? { asUserId: queryText(req.query.as) } : {}),
          ...(problem ? { problem } : {}),
        }),
      );
  });

  /** A card button pressed as a person: the card callback DingTalk sends (actionId + params), nothing else. */
  app.post('/sandbox/cards/:outTrackId/click', async (req, res) => {
    const form = formOf(req.body);
    const userId = form('userId');
    const back = `/sandbox?userId=${encodeURIComponent(userId)}`;
    try {
      personOf(userId);
      const outTrackId = String(req.params.outTrackId);
      const card = emulator.cards.get(outTrackId);
      if (!card) throw new SandboxInputError(404, `卡片 ${outTrackId} 不存在`);
      if (!emulator.cardsFor(userId).includes(card)) throw new SandboxInputError(403, `这张卡片不是发给 ${userId} 的`);
      const actionId = form('actionId');
      const buttons = cardButtonsFor(card, userId);
      if (!Object.hasOwn(sandboxCardButtons, actionId))
        throw new SandboxInputError(400, `未知的按钮：${actionId || '（空）'}`);
      if (!buttons.includes(actionId as SandboxCardButton))
        throw new SandboxInputError(
          400,
          `这张卡片现在没有「${sandboxCardButtons[actionId as SandboxCardButton]}」按钮`,
        );
      const comment = form('comment');
      if (comment.length > 1000) throw new SandboxInputError(400, '审批意见不能超过 1000 个字');
      const params = cardParamsFor(card, userId);
      const handover = actionId === 'transfer' || actionId === 'addApprover';
      await emulator.click(outTrackId, {
        userId,
        actionId,
        params: {
          workflowId: params.workflowId ?? '',
          stepId: params.stepId ?? '',
          comment,
          // The person input of 转交 / 加签: what was typed wins over the picker.
          ...(handover ? { target: form('targetText').trim() || form('target').trim() } : {}),
        },
      });
      res.redirect(303, `${back}#card-${encodeURIComponent(outTrackId)}`);
    } catch (err) {
      sendFormError(res, err, back);
    }
  });

  /** A person writes to the bot: 1:1, or @bot in a group they are in. */
  app.post('/sandbox/chat', async (req, res) => {
    const form = formOf(req.body);
    const userId = form('userId');
    const groupId = form('groupId');
    const back = groupId
      ? `/sandbox?groupId=${encodeURIComponent(groupId)}&as=${encodeURIComponent(userId)}#chat`
      : `/sandbox?userId=${encodeURIComponent(userId)}#chat`;
    try {
      const user = personOf(userId);
      const text = form('text').trim();
      if (!text) throw new SandboxInputError(400, '消息不能为空');
      if (text.length > 2000) throw new SandboxInputError(400, '消息不能超过 2000 个字');
      if (groupId) {
        const group = emulator.seed.groups.find((g) => g.openConversationId === groupId);
        if (!group) throw new SandboxInputError(400, `没有这个群：${groupId}`);
        if (!group.memberUserIds.includes(user.userId))
          throw new SandboxInputError(403, `${user.name} 不在${group.name}里`);
      }
      await sendAsPerson({ userId, text, ...(groupId ? { groupId } : {}) });
      res.redirect(303, back);
    } catch (err) {
      sendFormError(res, err, back);
    }
  });

  /** A person starts an OA approval from a template's form (as DingTalk's approval app, through oa.start). */
  app.post('/sandbox/oa/instances', (req, res) => {
    const form = formOf(req.body);
    const userId = form('userId');
    const back = `/sandbox?userId=${encodeURIComponent(userId)}#oa`;
    try {
      personOf(userId);
      const processCode = form('processCode');
      const template = emulator.oa.templates.get(processCode);
      if (!template) throw new SandboxInputError(400, `审批模板 ${processCode || '（空）'} 不存在`);
      const values: OaComponentValue[] = [];
      for (const component of template.components) {
        let value: string;
        if (component.componentType === 'TableField') {
          const rows: Array<Record<string, string>> = [];
          for (let r = 0; r < oaFormTableRows; r++) {
            const row: Record<string, string> = {};
            for (const column of component.columns ?? [])
              row[column.name] = checkedOaValue(
                `${component.name}第${r + 1}行「${column.name}」`,
                column,
                form(`t.${component.name}.${r}.${column.name}`),
              );
            if (Object.values(row).some((v) => v !== '')) rows.push(row);
          }
          value = rows.length > 0 ? oaTableValue(rows) : '';
        } else {
          value = checkedOaValue(`「${component.name}」`, component, form(`f.${component.name}`));
        }
        if (value !== '') values.push({ name: component.name, value });
      }
      const instance = emulator.oa.start({ processCode, originatorUserId: userId, formComponentValues: values });
      res.redirect(303, `/sandbox?userId=${encodeURIComponent(userId)}#oa-${instance.processInstanceId}`);
    } catch (err) {
      sendFormError(res, err, back);
    }
  });

  /** The instance's approver agrees or refuses: it finishes and bpms_instance_change goes out (oa.approve). */
  app.post('/sandbox/oa/instances/:id/decide', async (req, res) => {
    const form = formOf(req.body);
    const userId = form('userId');
    const back = `/sandbox?userId=${encodeURIComponent(userId)}#oa`;
    try {
      personOf(userId);
      const result = form('result');
      if (result !== 'agree' && result !== 'refuse')
        throw new SandboxInputError(400, 'result 必须是 agree（同意）或 refuse（拒绝）');
      const remark = form('remark').trim();
      if (remark.length > 1000) throw new SandboxInputError(400, '审批意见不能超过 1000 个字');
      const processInstanceId = String(req.params.id);
      await emulator.oa.approve({ processInstanceId, userId, result, ...(remark ? { remark } : {}) });
      res.redirect(303, `/sandbox?userId=${encodeURIComponent(userId)}#oa-${processInstanceId}`);
    } catch (err) {
      sendFormError(res, err, back);
    }
  });

  /** A seed person, or a 400. */
  function personOf(userId: string) {
    const user = emulator.seed.users.find((u) => u.userId === userId);
    if (!user) throw new SandboxInputError(400, userId ? `没有这个人员：${userId}` : '请指定以哪位人员的身份操作');
    return user;
  }

  /** A person writes to the bot: kept for their chat window, then delivered as DingTalk delivers it. */
  async function sendAsPerson(input: { userId: string; text: string; groupId?: string }): Promise<void> {
    const entry = emulator.recordSentToBot(input);
    try {
      await emulator.sendBotMessage(input);
    } catch (err) {
      // Never delivered: not part of the chat.
      const index = emulator.sentToBot.indexOf(entry);
      if (index >= 0) emulator.sentToBot.splice(index, 1);
      throw err;
    }
  }
}

/** What a sandbox form got wrong: an HTTP status (4xx) and what to tell the person. */
class SandboxInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A urlencoded form's field as text (the first of a repeated one), '' when absent. */
function formOf(body: unknown): (name: string) => string {
  const record = bodyRecord(body);
  return (name) => (Object.hasOwn(record, name) ? queryText(record[name]) : '');
}

/** A form value checked against its component (or table column): options, money, date. */
function checkedOaValue(
  label: string,
  component: { componentType: string; options?: string[] | undefined },
  raw: string,
): string {
  const value = raw.trim();
  if (value === '') return '';
  if (value.length > 2000) throw new SandboxInputError(400, `${label}不能超过 2000 个字`);
  if (component.options && !component.options.includes(value))
    throw new SandboxInputError(400, `${label}的值「${value}」不在选项中（${component.options.join('、')}）`);
  if (
    (component.componentType === 'MoneyField' || component.componentType === 'NumberField') &&
    !/^-?\d[\d,]*(\.\d+)?$/.test(value)
  )
    throw new SandboxInputError(400, `${label}须为数字，例如 1280 或 1,280.00`);
  if (
    component.componentType === 'DDDateField' &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
  )
    throw new SandboxInputError(400, `${label}须为日期，例如 2026-11-20`);
  return value;
}

/** A sandbox form's failure as a page: the person's mistake as 4xx, DingTalk's delivery to the app as 502. */
function sendFormError(res: Response, err: unknown, back: string): void {
  const status =
    err instanceof SandboxInputError || err instanceof EmulatorInputError || err instanceof OaInputError
      ? err.status
      : 502;
  const message =
    status === 502
      ? `钉钉未能把这次操作送达应用：${err instanceof Error ? err.message : String(err)}`
      : err instanceof Error
        ? err.message
        : String(err);
  res.status(status).type('html').send(renderSandboxProblem(message, back));
}

function sendError(res: Response, err: unknown): void {
  if (err instanceof EmulatorInputError) res.status(err.status).json({ code: err.code, message: err.message });
  else res.status(500).json({ code: 'system.error', message: err instanceof Error ? err.message : String(err) });
}
