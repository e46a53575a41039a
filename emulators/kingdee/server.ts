/**
 * An in-memory Kingdee Cloud Galaxy (K3Cloud) WebAPI emulator speaking the real protocol: the
 * `…ServicesStub….common.kdsvc` paths under `/k3cloud/`, the positional / named / legacy envelopes, login by
 * password, app secret and signature (LoginBySign), per-request signature headers (X-Kd-* / X-Api-*), the
 * `kdservice-sessionid` session cookie, Kingdee's result envelopes and MsgCodes, and FDocumentStatus transitions.
 * For tests, the demo and benchmarks only — production code never imports it.
 *
 * This file only puts the pieces on a port: state.ts (documents, sessions, faults, clock), protocol.ts with
 * auth.ts, operations.ts, bills.ts (Save, View), query.ts, push.ts and envelope.ts (Kingdee's WebAPI) over
 * metadata.ts (forms, fields, conversion rules) and basedata.ts, control.ts (the `/_emulator` API) and page.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { mountControl } from './control';
import { KingdeeProtocol } from './protocol';
import { loadSeed } from './seed';
import { KingdeeState, type KingdeeEmulatorOptions } from './state';

export { deriveClientSecret, hexHmacBase64 } from './auth';
export type { DocumentLink, EmulatedDocument, EntryRow, Fault, KingdeeEmulatorOptions, Operation } from './state';

/** The emulator's state with Kingdee's WebAPI and the control API served over HTTP on 127.0.0.1. */
export class KingdeeEmulator extends KingdeeState {
  private server?: http.Server;
  baseUrl = '';
  port = 0;

  async listen(port = this.options.port ?? 0): Promise<void> {
    this.server = http.createServer(this.app());
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}/k3cloud/`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use((_req, res, next) => {
      res.setHeader('Date', new Date(this.now()).toUTCString());
      next();
    });
    app.use(express.text({ type: () => true, limit: '5mb' }));
    mountControl(app, this);
    new KingdeeProtocol(this, this.options).mount(app);
    // Like IIS in front of K3Cloud: outside /k3cloud/ the answer is 403 with an empty body (observed), inside it an
    // unknown path is a 404 page.
    app.use((req, res) => {
      if (!/^\/k3cloud\//i.test(req.path)) {
        res.status(403).end();
        return;
      }
      res.status(404).type('html').send('<html><body><h1>404 - Not Found</h1></body></html>');
    });
    return app;
  }
}

export async function startKingdeeEmulator(options: KingdeeEmulatorOptions = {}): Promise<KingdeeEmulator> {
  const emulator = new KingdeeEmulator(options.seed ?? loadSeed(), options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
