/**
 * Proves the test harness: the shared dev server, a worker on its own task queue with the pre-built bundle, and the
 * client — start, signal, query, result, and a visibility query on our search attributes. Activities are in-memory
 * stand-ins here; the lifecycle tests use the real ones against the emulators.
 */
import { randomUUID } from 'node:crypto';
import { resolveChain } from '../../rules/plan';
import { approvalWorkflowId, decideSignal, statusQuery } from '../../workflows/contract';
import type { approvalWorkflow } from '../../workflows/approval/workflow';
import type { DocumentSummary } from '../../domain/document';
import { singleStepRules, testRules } from '../helpers/rules';
import { connectClient, startTestWorker, type TestTemporal, type TestWorker } from '../helpers/temporal';

describe('the shared Temporal dev server', () => {
  let temporal: TestTemporal;
  let worker: TestWorker;
  const writtenBack: string[] = [];
  const rules = testRules(singleStepRules);

  beforeAll(async () => {
    temporal = await connectClient();
    const planApproval = async ({ document }: { document: { billNo: string } }) => {
      const summary: DocumentSummary = {
        acctId: 'acct',
        formId: 'ER_ExpReimbursement',
        billNo: document.billNo,
        billId: '1',
        formName: '费用报销单',
        status: 'B',
        applicant: { name: '张三' },
        amount: 12_800,
        currency: 'CNY',
        purpose: '差旅费',
        lines: [],
        link: 'http://example.invalid',
        modifyDate: '2026-11-24T10:00:00',
        personMobiles: {},
      };
      return { applicable: true, document: summary, plan: resolveChain(rules, summary) };
    };
    const approvers = [{ userId: 'lisi', name: '李四' }];
    worker = await startTestWorker({
      planApproval,
      planApprovalWithApprovers: async (input: { document: { billNo: string } }) => ({
        ...(await planApproval(input)),
        firstApprovers: approvers,
      }),
      resolveApprovers: async () => approvers,
      deliverApprovalCards: async ({ userIds }: { userIds: string[] }) =>
        userIds.map((userId) => ({ outTrackId: `card-${userId}`, userId })),
      updateApprovalCards: async () => undefined,
      notifyUsers: async () => undefined,
      notifyGroup: async () => undefined,
      findApplicant: async () => null,
      handOverNotices: async () => ({ applicant: null }),
      createApprovalTodos: async () => [],
      closeApprovalTodos: async () => undefined,
      writeBack: async ({ document }: { document: DocumentSummary }) => {
        writtenBack.push(document.billNo);
        return { operation: 'audit', alreadyInState: false };
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await temporal?.close();
  });

  it('runs a workflow: start, signal, query, result, and a visibility query on a search attribute', async () => {
    const billNo = `FYBX${randomUUID().slice(0, 8)}`;
    const ref = { acctId: 'acct', formId: 'ER_ExpReimbursement', billNo };
    const handle = await temporal.client.workflow.start<typeof approvalWorkflow>('approvalWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: `${approvalWorkflowId(ref)}:${randomUUID()}`,
      args: [{ document: ref }],
    });
    await eventually(async () => ((await handle.query(statusQuery)).stage === 'awaiting-approval' ? true : undefined));

    await handle.signal(decideSignal, { userId: 'wangwu', action: 'approve', channel: 'text' }); // not an approver
    await handle.signal(decideSignal, { userId: 'lisi', action: 'approve', comment: '同意', channel: 'text' });
    const result = await handle.result();
    expect(result.stage).toBe('approved');
    expect(result.steps[0]?.slots[0]?.decision).toMatchObject({ by: 'lisi', action: 'approve', comment: '同意' });
    expect(writtenBack).toEqual([billNo]);
    expect((await handle.query(statusQuery)).stage).toBe('approved');

    const query = `KingdeeBillNo = "${billNo}" AND ApprovalStage = "approved"`;
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of temporal.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([handle.workflowId]);
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
