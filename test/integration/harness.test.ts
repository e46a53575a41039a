/**
 * Proves the test harness: the shared dev server, a worker on its own task queue with the pre-built bundle, and the
 * client — start, signal, query, result, and a visibility query on our search attributes. Activities are in-memory
 * stand-ins here; the lifecycle tests use the real ones against the emulators.
 */
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import { resolveChain } from '../../rules/plan';
import { approvalWorkflowId, decideSignal, statusQuery } from '../../workflows/contract';
import type { approvalWorkflow } from '../../workflows/approval/workflow';
import type { DocumentSummary } from '../../domain/document';
import { singleStepRules, testRules } from '../helpers/rules';
import { connectClient, startTestWorker, type TestTemporal, type TestWorker } from '../helpers/temporal';

describe('the shared Temporal dev server', () => {
  let temporal: TestTemporal;
  let worker: TestWorker;
  let activities: object;
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
    activities = {
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
    };
    worker = await startTestWorker(activities);
  });
  afterAll(async () => {
    await worker?.stop();
    await temporal?.close();
  });

  /** An approval started on `taskQueue`, once it waits for its approver. */
  async function waitingApproval(taskQueue: string) {
    const billNo = `FYBX${randomUUID().slice(0, 8)}`;
    const ref = { acctId: 'acct', formId: 'ER_ExpReimbursement', billNo };
    const handle = await temporal.client.workflow.start<typeof approvalWorkflow>('approvalWorkflow', {
      taskQueue,
      workflowId: `${approvalWorkflowId(ref)}:${randomUUID()}`,
      args: [{ document: ref }],
    });
    await eventually(async () => ((await handle.query(statusQuery)).stage === 'awaiting-approval' ? true : undefined));
    return { billNo, handle };
  }

  it('runs a workflow: start, signal, query, result, and a visibility query on a search attribute', async () => {
    const { billNo, handle } = await waitingApproval(worker.taskQueue);

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

  it("limits stack traces in workflow code to the worker's frames, and only there", async () => {
    /** The most frames any one of a stack-trace query's stacks has. */
    const deepest = (trace: string) =>
      Math.max(
        ...trace.split('\n\n').map((stack) => stack.split('\n').filter((l) => l.trim().startsWith('at ')).length),
      );
    const ownLimit = Error.stackTraceLimit;
    const newContextLimit: unknown = vm.runInNewContext('Error.stackTraceLimit');
    // Two frames: the promise hook's own (which the SDK drops) and one of workflow code.
    const short = await startTestWorker(activities, undefined, { workflowStackFrames: 2 });
    try {
      expect(Error.stackTraceLimit).toBe(ownLimit);
      expect(vm.runInNewContext('Error.stackTraceLimit')).toBe(newContextLimit);
      // A waiting approval's main flow is at least `advance ← execute`: two frames where V8's default applies.
      const whole = await (await waitingApproval(worker.taskQueue)).handle.query<string>('__stack_trace');
      const cut = await (await waitingApproval(short.taskQueue)).handle.query<string>('__stack_trace');
      expect(whole).toContain('at execute');
      expect(deepest(whole)).toBeGreaterThanOrEqual(2);
      expect(deepest(cut)).toBe(1);
    } finally {
      await short.stop();
    }
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
