/**
 * DingTalk's Stream gateway, as the `dingtalk-stream` client sees it: POST /v1.0/gateway/connections/open hands out
 * a one-time ticket and the WebSocket endpoint (same host and port); frames are JSON with a string `data`; the
 * client ACKs with the frame's messageId, and `push()` resolves with that ACK's data. Every connection opened and
 * every frame pushed is reported to `meter` (the state's usage: Stream messages count towards DingTalk's monthly
 * Webhook&Stream quota).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import express from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface StreamGateway {
  router: express.Router;
  /** `event`: an EVENT frame (topic `*`, the event headers) instead of a CALLBACK. */
  push(
    clientId: string,
    topic: string,
    data: unknown,
    timeoutMs?: number,
    event?: StreamEventHeaders,
  ): Promise<unknown>;
  isConnected(clientId: string): boolean;
  dropConnections(): void;
  close(): void;
}

/** The headers DingTalk adds to an EVENT frame (reference §6.2). */
export interface StreamEventHeaders {
  eventType: string;
  eventId: string;
  eventCorpId: string;
}

export function createStreamGateway(options: {
  server: http.Server;
  apps: Array<{ clientId: string; clientSecret: string }>;
  publicHost: () => string;
  /** Usage: a connection opened by an app, a frame pushed to it. */
  meter?: (clientId: string, what: 'open' | { topic: string }) => void;
}): StreamGateway {
  const tickets = new Map<string, string>(); // ticket → clientId
  const sockets = new Map<string, Set<WebSocket>>();
  const waiting = new Map<string, (data: unknown) => void>();
  const wss = new WebSocketServer({ noServer: true });

  options.server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/connect') return;
    const ticket = url.searchParams.get('ticket') ?? '';
    const clientId = tickets.get(ticket);
    tickets.delete(ticket); // single use
    if (!clientId) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const set = sockets.get(clientId) ?? new Set<WebSocket>();
      set.add(ws);
      sockets.set(clientId, set);
      ws.on('close', () => set.delete(ws));
      ws.on('message', (raw) => {
        try {
          const frame = JSON.parse(rawText(raw)) as { headers?: { messageId?: string }; data?: string };
          const id = frame.headers?.messageId;
          const resolve = id ? waiting.get(id) : undefined;
          if (!id || !resolve) return;
          waiting.delete(id);
          resolve(frame.data ? (JSON.parse(frame.data) as unknown) : null);
        } catch {
          // A malformed ACK is ignored, as the real gateway would time it out.
        }
      });
    });
  });

  const router = express.Router();
  router.post('/v1.0/gateway/connections/open', express.json(), (req, res) => {
    const body = (req.body ?? {}) as { clientId?: string; clientSecret?: string };
    const app = options.apps.find((a) => a.clientId === body.clientId && a.clientSecret === body.clientSecret);
    if (!app) {
      res
        .status(400)
        .json({ code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret', requestid: randomUUID() });
      return;
    }
    options.meter?.(app.clientId, 'open');
    const ticket = randomUUID();
    tickets.set(ticket, app.clientId);
    res.json({ endpoint: `ws://${options.publicHost()}/connect`, ticket });
  });

  return {
    router,
    isConnected: (clientId) => (sockets.get(clientId)?.size ?? 0) > 0,
    push(clientId, topic, data, timeoutMs = 5_000, event) {
      const candidates = [...(sockets.get(clientId) ?? [])];
      const socket = candidates[Math.floor(Math.random() * candidates.length)];
      if (!socket) return Promise.reject(new Error(`no Stream connection for app ${clientId}`));
      options.meter?.(clientId, { topic });
      const messageId = randomUUID();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(messageId);
          reject(new Error(`no ACK for ${topic} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(messageId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.send(
          JSON.stringify({
            specVersion: '1.0',
            type: event ? 'EVENT' : 'CALLBACK',
            headers: {
              ...(event ? { ...event, eventBornTime: String(Date.now()), eventUnifiedAppId: clientId } : {}),
              appId: clientId,
              connectionId: 'emulator',
              contentType: 'application/json',
              messageId,
              time: String(Date.now()),
              topic,
            },
            data: JSON.stringify(data),
          }),
        );
      });
    },
    dropConnections() {
      for (const set of sockets.values()) for (const ws of set) ws.terminate();
    },
    close() {
      for (const set of sockets.values()) for (const ws of set) ws.terminate();
      wss.close();
    },
  };
}

/** A WebSocket message's bytes as UTF-8 text, whichever shape `ws` delivered them in. */
function rawText(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.from(raw).toString('utf8');
}
