/**
 * An in-memory DingTalk emulator speaking the real protocols of both API hosts on one port (their paths do not
 * collide): access tokens (new and old), people and departments, interactive cards, work notifications, custom
 * group robots (signed, rate-limited per minute), the Stream gateway, card callbacks (Stream or signed HTTP) and
 * robot messages. It records everything delivered, and a sandbox page lets a person act as an approver.
 * For tests, the demo and benchmarks only — production code never imports it.
 *
 * This file only puts the pieces on a port: state.ts (cards, messages, tokens, faults), protocol.ts (DingTalk's
 * APIs), stream-gateway.ts, callbacks.ts (what DingTalk sends when a person acts), control.ts (the `/_emulator` API
 * and the sandbox routes) and sandbox.ts (the sandbox page).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { clickCard, messageBot } from './callbacks';
import { mountControl } from './control';
import { mountErrorAnswers, mountProtocol } from './protocol';
import { EmulatedOa, mountOa } from './oa';
import { loadDingTalkSeed } from './seed';
import { DingTalkState, type DingTalkEmulatorOptions, type EmulatedCard } from './state';
import { createStreamGateway, type StreamGateway } from './stream-gateway';

export { EmulatorInputError } from './callbacks';
export type {
  DingTalkEmulatorOptions,
  DingTalkFault,
  DingTalkQuotas,
  DingTalkStats,
  EmulatedCard,
  EmulatedMessage,
} from './state';

/** The emulator's state with DingTalk's APIs, the Stream gateway, the control API and the sandbox on 127.0.0.1. */
export class DingTalkEmulator extends DingTalkState {
  private server?: http.Server;
  private gateway?: StreamGateway;
  /** OA 审批: templates, instances, bpms_instance_change events over Stream (oa.ts). */
  readonly oa = new EmulatedOa(this, (clientId, data, headers) =>
    this.gateway ? this.gateway.push(clientId, '*', data, 5_000, headers) : Promise.reject(new Error('not listening')),
  );
  baseUrl = '';
  port = 0;

  async listen(port = this.options.port ?? 0): Promise<void> {
    const app = express();
    this.server = http.createServer(app);
    this.gateway = createStreamGateway({
      server: this.server,
      apps: this.seed.apps,
      publicHost: () => `127.0.0.1:${this.port}`,
      meter: (clientId, what) => this.countStream(clientId, what),
    });
    this.routesOn(app, this.gateway);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.gateway?.close();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ── in-process controls that need the running server ────────────────────────────────────────────────────

  dropStreamConnections(): void {
    this.gateway?.dropConnections();
  }

  isStreamConnected(clientId = this.seed.apps[0]!.clientId): boolean {
    return this.gateway?.isConnected(clientId) ?? false;
  }

  /** A person presses a card button: DingTalk's callback goes out, and its answer is applied to the card. */
  async click(
    outTrackId: string,
    input: { userId: string; actionId: string; params?: Record<string, unknown> },
  ): Promise<EmulatedCard> {
    return clickCard(this, this.gateway, outTrackId, input);
  }

  /** A person writes to the bot (1:1, or @bot in a group): DingTalk delivers it to the app. */
  async sendBotMessage(input: { userId: string; text: string; groupId?: string }): Promise<void> {
    return messageBot(this, this.gateway, this.baseUrl, input);
  }

  private routesOn(app: express.Express, gateway: StreamGateway): void {
    app.disable('x-powered-by');
    app.use(gateway.router);
    app.use(express.json({ limit: '64kb' }));
    app.use(express.urlencoded({ extended: false, limit: '64kb' }));
    mountProtocol(app, this);
    mountControl(app, this);
    mountOa(app, this, this.oa);
    mountErrorAnswers(app);
  }
}

export async function startDingTalkEmulator(options: DingTalkEmulatorOptions = {}): Promise<DingTalkEmulator> {
  const emulator = new DingTalkEmulator(options.seed ?? loadDingTalkSeed(), options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
