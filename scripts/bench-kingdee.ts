/**
 * `npm run bench:kingdee`: ExecuteBillQuery and Audit throughput and latency, our client to the emulator over real
 * HTTP on loopback. Prints numbers; never fails on them.
 */
import { KingdeeClient } from '../integrations/kingdee';
import { loadSeed } from '../emulators/kingdee/seed';
import { startKingdeeEmulator } from '../emulators/kingdee/server';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const queries = Number(process.env.BENCH_QUERIES ?? 2000);
const audits = Number(process.env.BENCH_AUDITS ?? 1000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function run(name: string, total: number, op: (i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(18)} ${total} ops, concurrency ${concurrency}: ${(total / seconds).toFixed(0)} ops/s, p50 ${percentile(latencies, 50).toFixed(2)} ms, p95 ${percentile(latencies, 95).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const seed = loadSeed();
  const emulator = await startKingdeeEmulator({ seed });
  for (let i = 0; i < audits; i++)
    emulator.createDocument({
      formId: 'ER_ExpReimbursement',
      billNo: `BENCH${String(i).padStart(6, '0')}`,
      status: 'B',
      fields: { FReqReimbAmountSum: i, FCausa: '压测' },
    });
  const app = seed.apps[0]!;
  const client = new KingdeeClient({
    baseUrl: emulator.baseUrl,
    acctId: seed.accounts[0]!.acctId,
    auth: { mode: 'appSecret', userName: app.userName, appId: app.appId, appSecret: app.appSecret },
  });
  console.log(`Kingdee client → emulator over HTTP on loopback (${emulator.documents.size} documents)`);
  await run('ExecuteBillQuery', queries, () =>
    client.executeBillQuery({
      formId: 'ER_ExpReimbursement',
      fieldKeys: ['FID', 'FBillNo', 'FDocumentStatus', 'FModifyDate'],
      filterString: "FDocumentStatus = 'B' AND FReqReimbAmountSum >= 500",
      orderString: 'FModifyDate ASC, FID ASC',
      limit: 100,
    }),
  );
  await run('Audit', audits, (i) =>
    client.audit('ER_ExpReimbursement', { numbers: [`BENCH${String(i).padStart(6, '0')}`] }),
  );
  await emulator.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
