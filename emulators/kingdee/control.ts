/**
 * The Kingdee emulator's own control API under `/_emulator` — not part of Kingdee: the read-only documents page
 * (also at `/`), the documents and call statistics as JSON, creating documents and changing their status as a
 * person working in Kingdee would, and injecting or clearing faults (including expired sessions and clock skew).
 */
import type { Express } from 'express';
import { renderDocumentsPage } from './page';
import { billForms } from './metadata';
import { formNames, statusLabels, type EmulatedDocument, type Fault, type KingdeeState } from './state';

export function mountControl(app: Express, state: KingdeeState): void {
  app.get(['/', '/_emulator', '/_emulator/'], (_req, res) => {
    res.type('html').send(renderDocumentsPage([...state.documents.values()], statusLabels, formNames));
  });
  app.get('/_emulator/stats', (_req, res) => {
    res.json(state.stats());
  });
  app.get('/_emulator/documents', (_req, res) => {
    res.json([...state.documents.values()]);
  });
  app.post('/_emulator/documents', (req, res) => {
    try {
      const body = JSON.parse(String(req.body || '{}')) as Parameters<KingdeeState['createDocument']>[0];
      if (!body.formId || !body.billNo) throw new Error('formId and billNo are required');
      if (!billForms[body.formId]) throw new Error(`unknown bill FormId ${body.formId}`);
      res.status(201).json(state.createDocument(body));
    } catch (err) {
      res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  app.post('/_emulator/documents/:formId/:billNo/status', (req, res) => {
    try {
      const body = JSON.parse(String(req.body || '{}')) as { status?: EmulatedDocument['status'] };
      if (!body.status || !statusLabels[body.status]) throw new Error('status must be one of Z A B C D');
      state.setStatus(String(req.params.formId), String(req.params.billNo), body.status);
      res.json(state.getDocument(String(req.params.formId), String(req.params.billNo)));
    } catch (err) {
      res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  app.post('/_emulator/faults', (req, res) => {
    try {
      const body = JSON.parse(String(req.body || '{}')) as
        Fault | { kind: 'expireSessions' } | { kind: 'clockSkew'; ms: number };
      if (body.kind === 'expireSessions') state.expireSessions();
      else if (body.kind === 'clockSkew') state.clockSkewMs = Number(body.ms) || 0;
      else state.faults.push(body);
      res.status(204).end();
    } catch {
      res
        .status(400)
        .json({ error: 'body must be a JSON fault, e.g. {"kind":"http500","operation":"Audit","times":1}' });
    }
  });
  app.delete('/_emulator/faults', (_req, res) => {
    state.clearFaults();
    res.status(204).end();
  });
}
