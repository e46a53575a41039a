/**
 * The HTTP API: DingTalk callbacks (mounted from the DingTalk integration), the Kingdee push webhook, admin REST,
 * health and metrics. Every body is validated with zod; every error is JSON `{ error: { code, message } }`.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import type { ApprovalService } from '../temporal/approvals';
import { pushEventSchema, PushVerifier } from './kingdee-push';
import type { Metrics } from './metrics';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: string }>;
}

export interface ApiDeps {
  approvals: ApprovalService;
  metrics: Metrics;
  logger: Logger;
  /** Bearer token for /admin. */
  adminToken: string;
  /** Shared secret of the Kingdee push webhook; unset disables the endpoint. */
  kingdeePushSecret?: string;
  /** Tell the poller of a form to poll now (the push webhook feeds the polling path). */
  pollNow: (acctId: string, formId: string, reason: string) => Promise<void>;
  /** Routers mounted as they are, e.g. the DingTalk HTTP callbacks at /dingtalk. */
  routers?: Array<{ path: string; router: Router }>;
  readiness: ReadinessCheck[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type RawBodyRequest = Request & { rawBody?: string };

export function createApiApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const stop = deps.metrics.httpLatency.startTimer();
    res.on('finish', () => {
      // Express types req.route as any; only its path string is used, as the metrics label.
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : 'unmatched';
      stop({ route, method: req.method });
      deps.metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  });
  app.use(
    express.json({
      limit: '256kb',
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = buf.toString('utf8');
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      deps.readiness.map(async (probe) => {
        try {
          return { name: probe.name, ...(await probe.check()) };
        } catch (err) {
          return { name: probe.name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type('text/plain; version=0.0.4').send(await deps.metrics.render());
  });

  for (const { path, router } of deps.routers ?? []) app.use(path, router);

  if (deps.kingdeePushSecret) {
    const verifier = new PushVerifier(deps.kingdeePushSecret);
    app.post('/kingdee/push', async (req: RawBodyRequest, res) => {
      const check = verifier.check(req.header('x-kdb-timestamp'), req.header('x-kdb-signature'), req.rawBody ?? '');
      if (!check.ok) {
        deps.metrics.pushEvents.inc({ outcome: check.reason });
        deps.metrics.callbacksRejected.inc({ endpoint: 'kingdee-push', reason: check.reason });
        throw new HttpError(401, check.reason, check.message);
      }
      const event = parse(pushEventSchema, req.body, 'push event');
      if (event.event === 'delete') {
        await deps.approvals.documentChanged(event, { status: 'deleted', source: 'push' });
      }
      try {
        await deps.pollNow(event.acctId, event.formId, `push:${event.event}:${event.billNo}`);
      } catch (err) {
        deps.logger.error({ err: String(err), event }, 'push could not reach the poller');
        throw new HttpError(
          503,
          'poller-unavailable',
          `the change poller for ${event.formId} is not running; nothing was recorded, send the push again later`,
        );
      }
      verifier.remember(req.header('x-kdb-signature') ?? '');
      deps.metrics.pushEvents.inc({ outcome: 'accepted' });
      res.status(202).json({ accepted: true });
    });
  }

  const admin = express.Router();
  admin.use((req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1] ?? '';
    if (!safeEqual(given, deps.adminToken)) {
      throw new HttpError(
        401,
        'unauthorized',
        'a valid admin bearer token is required (Authorization: Bearer <ADMIN_TOKEN>)',
      );
    }
    next();
  });
  const listQuery = z.object({
    stage: z.string().max(64).optional(),
    approver: z.string().max(128).optional(),
    formId: z.string().max(64).optional(),
    billNo: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  });
  admin.get('/approvals', async (req, res) => {
    const filter = parse(listQuery, req.query, 'query string');
    res.json({ approvals: await deps.approvals.list({ stage: 'awaiting-approval', ...filter }) });
  });
  admin.get('/approvals/:workflowId', async (req, res) => {
    const state = await deps.approvals.status(String(req.params.workflowId));
    if (!state) throw new HttpError(404, 'not-found', `no approval workflow with id ${String(req.params.workflowId)}`);
    res.json(state);
  });
  const adminActionBody = z.object({ by: z.string().min(1).max(64), comment: z.string().max(500).optional() });
  for (const action of ['retry', 'resolve'] as const) {
    admin.post(`/approvals/:workflowId/${action}`, async (req, res) => {
      const body = parse(adminActionBody, req.body ?? {}, 'body');
      const result = await deps.approvals.admin(String(req.params.workflowId), { action, ...body });
      if (!result.ok) throw new HttpError(409, 'refused', result.message);
      res.json(result);
    });
  }
  app.use('/admin', admin);

  app.use((_req, _res) => {
    throw new HttpError(404, 'not-found', 'no such endpoint');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    if (status >= 400 && status < 500) {
      // express.json(): malformed JSON, too large, wrong charset
      const message = err instanceof Error ? err.message : 'bad request';
      res.status(status).json({ error: { code: 'bad-request', message: `request body rejected: ${message}` } });
      return;
    }
    deps.logger.error({ err }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; see the service log' } });
  });
  return app;
}

/** Validate with zod and turn problems into a 400 that names each field. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new HttpError(400, 'invalid-input', `invalid ${what}: ${problems}`);
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
