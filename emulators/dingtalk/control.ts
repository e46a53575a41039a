/**
 * The DingTalk emulator's own surface — not part of DingTalk: the `/_emulator` API (cards and messages as JSON, a
 * person pressing a card button or writing to the bot, injecting and clearing faults, usage and quotas) and the
 * `/sandbox` inbox page where a person can act as an approver. Faults and quotas never apply here, nor are these
 * calls counted (protocol.ts skips these paths).
 */
import type { Express, Response } from 'express';
import { EmulatorInputError } from './callbacks';
import { renderSandbox } from './sandbox';
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
      await emulator.sendBotMessage({
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
    else if (body.kind === 'rateLimit' || body.kind === 'http500' || body.kind === 'latency')
      emulator.faults.push(body as DingTalkFault);
    else
      return void res.status(400).json({
        code: 'param.invalid',
        message: 'kind must be rateLimit, http500, latency, expireTokens or dropStream',
      });
    res.status(204).end();
  });
  app.delete('/_emulator/faults', (_req, res) => {
    emulator.faults = [];
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

  // The sandbox inbox.
  app.get('/sandbox', (req, res) => {
    const userId = typeof req.query.userId === 'string' ? req.query.userId : undefined;
    const groupId = typeof req.query.groupId === 'string' ? req.query.groupId : undefined;
    res.type('html').send(
      renderSandbox({
        seed: emulator.seed,
        userId,
        groupId,
        cards: userId ? emulator.cardsFor(userId) : [],
        messages: emulator.messagesFor(userId ? { userId } : groupId ? { groupId } : { userId: '\u0000' }),
      }),
    );
  });
  app.post('/sandbox/cards/:outTrackId/click', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const userId = body.userId ?? '';
    try {
      const card = emulator.cards.get(String(req.params.outTrackId));
      await emulator.click(String(req.params.outTrackId), {
        userId,
        actionId: body.actionId ?? '',
        params: {
          workflowId: card?.cardParamMap.workflowId ?? '',
          stepId: card?.cardParamMap.stepId ?? '',
          comment: body.comment ?? '',
        },
      });
    } catch {
      // The sandbox shows the card's lastCallback; nothing else to do here.
    }
    res.redirect(303, `/sandbox?userId=${encodeURIComponent(userId)}`);
  });
}

function sendError(res: Response, err: unknown): void {
  if (err instanceof EmulatorInputError) res.status(err.status).json({ code: err.code, message: err.message });
  else res.status(500).json({ code: 'system.error', message: err instanceof Error ? err.message : String(err) });
}
