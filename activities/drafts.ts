/**
 * The reimbursement assistant's I/O: base data for the parser (费用项目 BD_Expense, 项目 BAS_PreBaseDataOne, read with
 * ExecuteBillQuery and cached), and the 费用报销单 saved and submitted as the sender's Kingdee employee (DingTalk
 * mobile → Kingdee employee FMobile → FSTAFFNUMBER).
 *
 * Save is not idempotent, so every row carries the draft's reference in 备注 (`FRemark`) and the activity looks for a
 * bill with it before saving: a retry after a crash submits the bill the first attempt saved instead of saving again.
 *
 * Also the API's side (`createDraftRequests`): parse a message, start the draft workflow (id from sender + message),
 * remember the sender's latest proposal, and hand 确认 / 取消 to it.
 */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../common/logger';
import type { KingdeeClient } from '../integrations/kingdee';
import { parseExpenseMessage, type AssistBaseData, type ExpenseProposal } from '../domain/assist';
import {
  expenseDraftDecisionSignal,
  expenseDraftWorkflowId,
  workflowTypes,
  type DraftExpenseLine,
  type ExpenseDraftInput,
  type ExpenseDraftOutcome,
} from '../workflows/contract';
import type { People } from './people';
import { within } from './payments';

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The marker every row of a draft's bill carries in 备注 (FRemark). */
export const draftMarker = (input: Pick<ExpenseDraftInput, 'senderUserId' | 'messageId'>): string =>
  `钉钉报销 ${createHash('sha256').update(`${input.senderUserId}\n${input.messageId}`).digest('hex').slice(0, 16)}`;

export function createDraftActivities(deps: { kingdee: KingdeeClient; logger: Logger }, people: People) {
  const { kingdee, logger } = deps;

  async function existingBill(formId: string, marker: string) {
    const rows = await kingdee.executeBillQuery({
      formId,
      fieldKeys: ['FID', 'FBillNo', 'FDocumentStatus', 'FReqReimbAmountSum'],
      filterString: `FRemark = ${quoted(marker)}`,
      topRowCount: 1,
    });
    const row = rows[0];
    return row
      ? {
          id: String(row.FID),
          billNo: String(row.FBillNo),
          status: String(row.FDocumentStatus),
          amount: Number(row.FReqReimbAmountSum ?? 0),
        }
      : undefined;
  }

  return {
    /** Save (once) and submit the 费用报销单 as the sender's Kingdee employee. */
    async saveExpenseDraft(input: ExpenseDraftInput): Promise<ExpenseDraftOutcome> {
      const marker = draftMarker(input);
      let bill = await existingBill(input.formId, marker);
      if (!bill) {
        const sender = await people.details(input.senderUserId);
        const mobile = sender?.mobile;
        if (!mobile) return { kind: 'noEmployee' };
        const employees = await kingdee.executeBillQuery({
          formId: 'BD_Empinfo',
          fieldKeys: ['FNumber', 'FName'],
          filterString: `FMobile = ${quoted(mobile)}`,
          topRowCount: 2,
        });
        const employee = employees[0];
        if (!employee?.FNumber) return { kind: 'noEmployee', mobile };
        const saved = await kingdee.save(input.formId, {
          FID: 0,
          FDate: input.lines[0]?.date,
          FProposerID: { FSTAFFNUMBER: String(employee.FNumber) },
          FCausa: input.purpose,
          FEntity: input.lines.map((line: DraftExpenseLine) => ({
            FExpID: { FNumber: line.itemNumber },
            ...(line.projectNumber ? { F_KDB_ProjectID: { FNumber: line.projectNumber } } : {}),
            FExpSubmitAmount: line.amount,
            FExpenseAmount: line.amount,
            FRemark: marker,
          })),
        });
        logger.info({ billNo: saved.number, sender: input.senderUserId }, 'expense draft saved');
        bill = { id: saved.id, billNo: saved.number, status: 'A', amount: sum(input.lines) };
      }
      if (bill.status === 'A' || bill.status === 'D' || bill.status === 'Z') {
        await kingdee.submit(input.formId, { ids: [bill.id] });
        bill.status = 'B';
      }
      return { kind: 'saved', billNo: bill.billNo, status: bill.status, amount: bill.amount || sum(input.lines) };
    },
  };
}

const sum = (lines: readonly DraftExpenseLine[]): number =>
  Math.round(lines.reduce((total, line) => total + line.amount, 0) * 100) / 100;

/** What the API hears back from a message or a 确认 / 取消. */
export type DraftRequestOutcome =
  | { kind: 'proposal'; proposal: ExpenseProposal; expiresInMinutes: number }
  | { kind: 'notUnderstood' }
  | { kind: 'nothingToConfirm' }
  | { kind: 'processing' }
  | { kind: 'unavailable' }
  | ExpenseDraftOutcome;

/** The API's side of the assistant (api/dingtalk-handlers.ts uses it through `DraftRequests`). */
export function createDraftRequests(deps: {
  client: Client;
  kingdee: KingdeeClient;
  acctId: string;
  taskQueue: string;
  logger: Logger;
  /** The form the drafts are saved on (default ER_ExpReimbursement). */
  formId?: string;
  /** A proposal lapses after this long (default 30 minutes). */
  expiresInMs?: number;
  /** Words people use for a 费用项目 or 项目, by its number or name (rules `assistant.synonyms`). */
  synonyms?: Readonly<Record<string, readonly string[]>>;
  /** Base data is read again after this long (default 10 minutes). */
  baseDataTtlMs?: number;
  answerWithinMs?: number;
  now?: () => Date;
}) {
  const { client, kingdee, acctId, taskQueue, logger } = deps;
  const formId = deps.formId ?? 'ER_ExpReimbursement';
  const expiresInMs = deps.expiresInMs ?? 30 * 60_000;
  const now = deps.now ?? (() => new Date());
  let cache: { at: number; data: AssistBaseData } | undefined;
  /** The sender's latest proposal (its workflow id; none while it has open questions) while it may be confirmed. */
  const latest = new Map<string, { workflowId?: string; until: number }>();

  async function baseData(): Promise<AssistBaseData> {
    if (cache && Date.now() - cache.at < (deps.baseDataTtlMs ?? 10 * 60_000)) return cache.data;
    const read = async (form: string) =>
      (
        await kingdee.executeBillQuery({
          formId: form,
          fieldKeys: ['FNumber', 'FName'],
          filterString: "FForbidStatus = 'A'",
          orderString: 'FNumber ASC',
        })
      ).map((row) => {
        const entry = { number: String(row.FNumber), name: String(row.FName) };
        const synonyms = [...(deps.synonyms?.[entry.number] ?? []), ...(deps.synonyms?.[entry.name] ?? [])];
        return synonyms.length > 0 ? { ...entry, synonyms } : entry;
      });
    const data = { expenseItems: await read('BD_Expense'), projects: await read('BAS_PreBaseDataOne') };
    cache = { at: Date.now(), data };
    return data;
  }

  async function decide(senderUserId: string, decision: 'confirm' | 'cancel'): Promise<DraftRequestOutcome> {
    const pending = latest.get(senderUserId);
    if (!pending?.workflowId) return { kind: 'nothingToConfirm' };
    const handle = client.workflow.getHandle(pending.workflowId);
    try {
      await handle.signal(expenseDraftDecisionSignal, { decision });
    } catch (err) {
      // Finished already (a repeated 确认, or it lapsed): its result is the answer.
      if (!(err instanceof WorkflowNotFoundError)) {
        logger.error({ err: String(err) }, 'draft decision could not be handed to Temporal');
        return { kind: 'unavailable' };
      }
    }
    try {
      return (
        (await within(handle.result() as Promise<ExpenseDraftOutcome>, deps.answerWithinMs ?? 20_000)) ?? {
          kind: 'processing',
        }
      );
    } catch (err) {
      logger.error({ err: String(err) }, 'draft workflow failed');
      return { kind: 'unavailable' };
    }
  }

  return {
    /** Whether the sender has a proposal waiting for 确认 / 取消. */
    hasPending(senderUserId: string): boolean {
      const pending = latest.get(senderUserId);
      return pending !== undefined && pending.until > Date.now();
    },

    /**
     * A message to the assistant: parsed against Kingdee's base data. `force`: it starts with 报销 (answer even when
     * nothing is recognised); otherwise undefined when the parser recognised nothing (not meant for the assistant).
     */
    async propose(input: {
      senderUserId: string;
      messageId?: string;
      text: string;
      force: boolean;
    }): Promise<DraftRequestOutcome | undefined> {
      let data: AssistBaseData;
      try {
        data = await baseData();
      } catch (err) {
        logger.error({ err: String(err) }, 'base data could not be read for the assistant');
        return input.force ? { kind: 'unavailable' } : undefined;
      }
      const proposal = parseExpenseMessage(input.text, { today: now().toISOString(), baseData: data });
      if (!proposal.recognized) return input.force ? { kind: 'notUnderstood' } : undefined;
      // Without 报销, only a message naming an expense item and an amount is taken for a reimbursement.
      if (!input.force && !proposal.expenses.some((e) => e.item && e.amount !== undefined)) return undefined;
      const expiresInMinutes = Math.round(expiresInMs / 60_000);
      if (!proposal.complete) {
        // Nothing to confirm until the sender sends the message again, corrected.
        latest.set(input.senderUserId, { until: Date.now() + expiresInMs });
        return { kind: 'proposal', proposal, expiresInMinutes };
      }
      const messageId =
        input.messageId ??
        createHash('sha256')
          .update(`${input.senderUserId}\n${input.text}\n${now().toISOString()}`)
          .digest('hex')
          .slice(0, 20);
      const lines: DraftExpenseLine[] = proposal.expenses.map((e) => ({
        date: e.date!,
        amount: e.amount!,
        itemNumber: e.item!.number,
        itemName: e.item!.name,
        ...(e.project ? { projectNumber: e.project.number, projectName: e.project.name } : {}),
        purpose: e.purpose,
      }));
      const purpose = [...new Set(lines.map((l) => l.purpose).filter(Boolean))].join('；') || proposal.text;
      const workflowId = expenseDraftWorkflowId(acctId, input.senderUserId, messageId);
      const args: ExpenseDraftInput = {
        acctId,
        formId,
        senderUserId: input.senderUserId,
        messageId,
        lines,
        purpose,
        expiresInMs,
      };
      try {
        await client.workflow.start(workflowTypes.expenseDraft, {
          taskQueue,
          workflowId,
          args: [args],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `报销草稿 ${input.senderUserId}`,
        });
      } catch (err) {
        logger.error({ err: String(err) }, 'draft workflow could not be started');
        return { kind: 'unavailable' };
      }
      latest.set(input.senderUserId, { workflowId, until: Date.now() + expiresInMs });
      return { kind: 'proposal', proposal, expiresInMinutes };
    },

    confirm: (senderUserId: string) => decide(senderUserId, 'confirm'),
    cancel: (senderUserId: string) => decide(senderUserId, 'cancel'),
  };
}

export type DraftRequests = ReturnType<typeof createDraftRequests>;
