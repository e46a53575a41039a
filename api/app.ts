/**
 * The HTTP API: DingTalk callbacks (mounted from the DingTalk integration), the Kingdee push webhook, admin REST,
 * health and metrics. Every body is validated with zod; every error is JSON `{ error: { code, message } }`.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import {
  approvalStages,
  InvalidFilterError,
  listStatuses,
  safeFilterValue,
  type ApprovalService,
} from '../temporal/approvals';
import { isUnavailable } from '../temporal/errors';
import type { ReplayGuard } from '../integrations/dingtalk';
import { pushEventSchema, pushRefusal, PushVerifier, type PushTargets } from './kingdee-push';
import type { Metrics } from './metrics';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: string }>;
}

/** Ops on OA imports (activities/oa.ts createOaRequests().admin): state, retry and resolve of a parked one. */
export interface OaImportAdmin {
  details(
    id: string,
  ): Promise<
    | { ok: true; state: object; execution?: { status: string; runId: string } }
    | { ok: false; reason: 'notFound' | 'notOaImport' | 'ended' | 'refused'; message: string }
  >;
  act(
    id: string,
    action: { action: 'retry' | 'resolve'; by: string; comment?: string },
  ): Promise<
    | { ok: true; state: object }
    | { ok: false; reason: 'notFound' | 'notOaImport' | 'ended' | 'refused'; message: string }
  >;
}

export interface ApiDeps {
  approvals: ApprovalService;
  /** OA imports parked in needs-attention: /admin/oa-imports/:id (and /admin/approvals/oa:…/retry|resolve). */
  oaImports?: OaImportAdmin;
  metrics: Metrics;
  logger: Logger;
  /** Bearer token for /admin. */
  adminToken: string;
  /** Shared secret of the Kingdee push webhook; unset disables the endpoint. */
  kingdeePushSecret?: string;
  /**
   * Tell the poller of a form to poll now, starting it if it is not running (signal-with-start): the push webhook
   * feeds the polling path, and is never refused because a poller is between runs.
   */
  pollNow: (acctId: string, formId: string, reason: string, billNo?: string) => Promise<void>;
  /** The account and forms the pollers watch: a push for anything else is a 422. */
  pushTargets: PushTargets;
  /** What was already received (durable: replays are refused across restarts); default in memory. */
  replayGuard?: ReplayGuard;
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

/** How long one readiness check may take before it counts as down. */
export const readinessTimeoutMs = 1_500;

export function createApiApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  deps.metrics.watchDecisionJournal(() => deps.approvals.journalPending());
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
    // Each check has its own short timeout: a dependency that does not answer is reported down, within ~2 s.
    const results = await Promise.all(
      deps.readiness.map(async (probe) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${readinessTimeoutMs} ms`)), readinessTimeoutMs);
        });
        try {
          return { name: probe.name, ...(await Promise.race([probe.check(), timeout])) };
        } catch (err) {
          return { name: probe.name, ok: false, detail: err instanceof Error ? err.message : String(err) };
        } finally {
          clearTimeout(timer);
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
    const verifier = new PushVerifier(deps.kingdeePushSecret, Date.now, deps.replayGuard);
    app.post('/kingdee/push', async (req: RawBodyRequest, res) => {
      const signature = req.header('x-kdb-signature');
      const check = await verifier.check(req.header('x-kdb-timestamp'), signature, req.rawBody ?? '');
      if (!check.ok) {
        deps.metrics.pushEvents.inc({ outcome: check.reason });
        deps.metrics.callbacksRejected.inc({ endpoint: 'kingdee-push', reason: check.reason });
        throw new HttpError(401, check.reason, check.message);
      }
      const event = parse(pushEventSchema, req.body, 'push event');
      const refused = pushRefusal(event, deps.pushTargets);
      if (refused) {
        deps.metrics.pushEvents.inc({ outcome: refused.code });
        throw new HttpError(refused.status, refused.code, refused.message);
      }
      // A hint only, whatever its event says: the poller reads Kingdee now and decides (api/kingdee-push.ts).
      try {
        await deps.pollNow(event.acctId, event.formId, `push:${event.event}:${event.billNo}`, event.billNo);
      } catch (err) {
        deps.logger.error({ err: String(err), formId: event.formId }, 'push could not reach the poller');
        throw new HttpError(
          503,
          'temporal-unavailable',
          `the push for ${event.formId} could not be handed to its poller (Temporal did not answer); send it again later`,
        );
      }
      await verifier.remember(signature ?? '');
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
  // Filter values are refused outside a safe character set (never escaped into Temporal's visibility query).
  const filterValue = z
    .string()
    .regex(safeFilterValue, 'may only contain letters, digits and _ . : @ / + - (at most 128 characters)');
  const listQuery = z
    .object({
      stage: z.enum(approvalStages as [string, ...string[]]).optional(),
      status: z.enum(listStatuses).optional(),
      approver: filterValue.optional(),
      formId: filterValue.optional(),
      billNo: filterValue.optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    })
    .strict();
  admin.get('/approvals', async (req, res) => {
    const filter = parse(listQuery, req.query, 'query string');
    res.json({ approvals: await deps.approvals.list(filter) });
  });
  admin.get('/approvals/:workflowId', async (req, res) => {
    const workflowId = parse(workflowIdParam, req.params.workflowId, 'workflow id');
    const found = await deps.approvals.details(workflowId);
    if (found.kind === 'notFound') throw new HttpError(404, 'not-found', `no approval workflow with id ${workflowId}`);
    if (found.kind === 'notApproval') {
      throw new HttpError(404, 'not-an-approval', `${workflowId} is a ${found.type} workflow, not an approval`);
    }
    res.json({ ...found.state, execution: found.execution });
  });
  const adminActionBody = z
    .object({ by: z.string().trim().min(1).max(64), comment: z.string().max(500).optional() })
    .strict();
  /** An OA import's failure as the HTTP answer (the same codes as for approvals). */
  const oaRefusal = (workflowId: string, result: { reason: string; message: string }): HttpError => {
    switch (result.reason) {
      case 'notFound':
        return new HttpError(404, 'not-found', `no OA import workflow with id ${workflowId}`);
      case 'notOaImport':
        return new HttpError(404, 'not-an-oa-import', result.message);
      case 'ended':
        return new HttpError(409, 'ended', result.message);
      default:
        return new HttpError(409, 'refused', result.message);
    }
  };
  const oaImports = (): OaImportAdmin => {
    if (!deps.oaImports)
      throw new HttpError(404, 'not-found', 'OA import is not configured (rules file: oa.processes is empty)');
    return deps.oaImports;
  };
  admin.get('/oa-imports/:workflowId', async (req, res) => {
    const workflowId = parse(workflowIdParam, req.params.workflowId, 'workflow id');
    const found = await oaImports().details(workflowId);
    if (!found.ok) throw oaRefusal(workflowId, found);
    res.json({ ...found.state, execution: found.execution });
  });
  for (const action of ['retry', 'resolve'] as const) {
    admin.post(`/oa-imports/:workflowId/${action}`, async (req, res) => {
      const workflowId = parse(workflowIdParam, req.params.workflowId, 'workflow id');
      const body = parse(adminActionBody, req.body ?? {}, 'body');
      const result = await oaImports().act(workflowId, { action, ...body });
      if (!result.ok) throw oaRefusal(workflowId, result);
      res.json(result);
    });
  }
  for (const action of ['retry', 'resolve'] as const) {
    admin.post(`/approvals/:workflowId/${action}`, async (req, res) => {
      const workflowId = parse(workflowIdParam, req.params.workflowId, 'workflow id');
      const body = parse(adminActionBody, req.body ?? {}, 'body');
      // An OA import (oa:<processInstanceId>) parks the same way: the same endpoints act on it.
      if (workflowId.startsWith('oa:') && deps.oaImports) {
        const outcome = await deps.oaImports.act(workflowId, { action, ...body });
        if (!outcome.ok) throw oaRefusal(workflowId, outcome);
        res.json(outcome);
        return;
      }
      const result = await deps.approvals.admin(workflowId, { action, ...body });
      if (result.ok) {
        res.json(result);
        return;
      }
      switch (result.reason) {
        case 'notFound':
          throw new HttpError(404, 'not-found', `no approval workflow with id ${workflowId}`);
        case 'notApproval':
          throw new HttpError(404, 'not-an-approval', result.message);
        case 'ended':
          throw new HttpError(409, 'ended', result.message);
        case 'refused':
          throw new HttpError(409, 'refused', result.message);
      }
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
    if (err instanceof InvalidFilterError) {
      res.status(400).json({ error: { code: 'invalid-input', message: err.message } });
      return;
    }
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    if (status >= 400 && status < 500) {
      // express.json(): malformed JSON, too large, wrong charset (err.type entity.*); the router: a bad %-escape
      const message = err instanceof Error ? err.message : 'bad request';
      const what = typeof err === 'object' && err !== null && 'type' in err ? 'request body' : 'request';
      res.status(status).json({ error: { code: 'bad-request', message: `${what} rejected: ${message}` } });
      return;
    }
    if (isUnavailable(err)) {
      deps.logger.warn({ err: String(err) }, 'Temporal did not answer an API request');
      res.status(503).json({
        error: {
          code: 'temporal-unavailable',
          message: 'Temporal (or the worker) did not answer in time; try again shortly',
        },
      });
      return;
    }
    deps.logger.error({ err }, 'unhandled API error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; see the service log' } });
  });
  return app;
}

/** A workflow id in a path: printable, and no longer than Temporal accepts. */
const workflowIdParam = z
  .string()
  .min(1)
  .max(512)
  .refine((id) => ![...id].some((c) => c < ' ' || c === '\u007f'), 'must not contain control characters');

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
