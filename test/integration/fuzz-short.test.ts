/**
 * The fuzzer's short form (`npm run fuzz` runs ≥ 10,000): ~500 bad inputs against every public endpoint and the
 * Stream path of a world of its own — no 5xx, every request answered, no state change, memory bounded. And
 * readiness answers within ~2 s, saying what is down, when a dependency does not answer at all.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { createApiApp } from '../../api/app';
import { Metrics } from '../../api/metrics';
import { silentLogger } from '../../common/logger';
import type { ApprovalService } from '../../temporal/approvals';
import { formatReport, runFuzz } from '../../scripts/fuzz/run';
import { startFuzzWorld, type FuzzWorld } from '../../scripts/fuzz/world';
import { temporalAddress } from '../helpers/temporal';

let world: FuzzWorld | undefined;
afterAll(async () => {
  await world?.stop();
});

it('answers ~500 bad inputs on every endpoint with no 5xx, no state change and bounded memory', async () => {
  world = await startFuzzWorld({
    temporalAddress: temporalAddress(),
    workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
  });
  const report = await runFuzz(world, { count: 500, seed: 20_251_124, concurrency: 4, rssCeilingMb: 200 });
  const text = formatReport(report);
  if (process.env.FUZZ_REPORT) console.log(text);
  expect({ mustBeZero: report.mustBeZero, changes: report.changes, examples: report.examples }).toEqual({
    mustBeZero: Object.fromEntries(Object.keys(report.mustBeZero).map((k) => [k, 0])),
    changes: [],
    examples: [],
  });
  // Every kind of endpoint was reached.
  expect(Object.keys(report.table).length).toBeGreaterThanOrEqual(10);
  expect(text).toMatch(/POST \/kingdee\/push/);
}, 240_000);

it('answers /readyz within ~2 s with what is down when a dependency never answers', async () => {
  const app = createApiApp({
    approvals: { journalPending: () => 0 } as unknown as ApprovalService,
    metrics: new Metrics(),
    logger: silentLogger,
    adminToken: 'token',
    pollNow: async () => undefined,
    pushTargets: { acctId: 'a', formIds: [] },
    readiness: [
      { name: 'temporal', check: () => new Promise(() => undefined) }, // down: never answers
      { name: 'kingdee', check: async () => ({ ok: true }) },
    ],
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    const response = await axios.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`, {
      validateStatus: () => true,
      timeout: 10_000,
    });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(response.status).toBe(503);
    expect(response.data).toEqual({
      status: 'not ready',
      checks: [
        { name: 'temporal', ok: false, detail: 'no answer within 1500 ms' },
        { name: 'kingdee', ok: true },
      ],
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
