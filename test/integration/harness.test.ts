import { randomUUID } from 'node:crypto';
import { approvalWorkflow } from '../../workflows/approval';
import { decideSignal, statusQuery } from '../../workflows/definitions';
import { connectClient, startTestWorker, type TestTemporal, type TestWorker } from '../helpers/temporal';

describe('the shared Temporal dev server', () => {
  let temporal: TestTemporal;
  let worker: TestWorker;
  beforeAll(async () => {
    temporal = await connectClient();
    worker = await startTestWorker();
  });
  afterAll(async () => {
    await worker?.stop();
    await temporal?.close();
  });

  it('runs a workflow: start, signal, query, result, and a visibility query on a search attribute', async () => {
    const billNo = `FYBX-${randomUUID().slice(0, 8)}`;
    const handle = await temporal.client.workflow.start(approvalWorkflow, {
      taskQueue: worker.taskQueue,
      workflowId: `harness-${billNo}`,
      args: [{ formId: 'ER_ExpenseReimburse', billNo, approvers: ['zhangsan'] }],
    });
    expect(await handle.query(statusQuery)).toEqual({ stage: 'pending', decisions: [] });

    await handle.signal(decideSignal, { userId: 'lisi', action: 'approve' }); // not an approver: ignored
    await handle.signal(decideSignal, { userId: 'zhangsan', action: 'approve', comment: '同意' });
    const result = await handle.result();
    expect(result.stage).toBe('approved');
    expect(result.decisions).toEqual([{ userId: 'zhangsan', action: 'approve', comment: '同意' }]);
    expect((await handle.query(statusQuery)).stage).toBe('approved');

    // Visibility is eventually consistent: poll until the index has caught up.
    const query = `KingdeeBillNo = "${billNo}" AND ApprovalStage = "approved"`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of temporal.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([`harness-${billNo}`]);
  });
});

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
