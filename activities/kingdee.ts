/**
 * The activities that read and write Kingdee: load a document and plan its approval from the rules loaded at
 * start-up, and write the outcome back (Audit, WorkflowAudit, the reject operation) exactly once — the document's
 * current status is read first and "already there" counts as done, so a retry after an ambiguous timeout is safe.
 * The plan also carries whom a needs-attention alert goes to and where to act (`attentionContact`, also on its own
 * for an approval whose plan never answered).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Rules } from '../rules';
import { tryResolveChain } from '../rules/plan';
import { KingdeeNotFoundError, KingdeeProtocolError, readDocument, type KingdeeClient } from '../integrations/kingdee';
import type { ApprovalPlan, AttentionContact } from '../workflows/contract';
import {
  isAudited,
  isAwaitingApproval,
  isDocumentStatus,
  type DocumentRef,
  type DocumentStatus,
  type DocumentSummary,
} from '../domain/document';
import { documentGoneReason, documentNotFoundMessage, notAwaitingApprovalReason } from '../domain/texts';
import { urgencyReasonFor } from '../domain/texts/cards';
import { businessDurationMs } from '../domain/business-hours';
import { toDocumentSummary } from './documents';
import { asFailure } from './failures';
import type { OwnWriteBacks } from './own-write-backs';
import type { People } from './people';

export interface KingdeeActivityDeps {
  kingdee: KingdeeClient;
  rules: Rules;
  /** Base URL a person can open a document at; `{formId}`, `{billNo}`, `{billId}` are filled in. */
  documentLinkTemplate: string;
  /** Where a person acts on a needs-attention approval (settings PUBLIC_BASE_URL, TEMPORAL_UI_URL), if known. */
  attentionLinks?: { apiBaseUrl?: string; temporalUiUrl?: string };
}

interface WriteBackAnswer {
  operation: string;
  alreadyInState: boolean;
}

/** Kingdee's status after a WorkflowAudit rejection: D 重新审核 (back to the applicant for changes). */
const isReturnedForChanges = (status: DocumentStatus): boolean => status === 'D';

/** How long a Kingdee user found by mobile is reused (a burst's write-backs act as the same few approvers). */
const userNameCacheMs = 10 * 60_000;

/**
 * Kingdee calls per approval (README "Capacity"): planApproval — View (the applicant's mobile comes from ingestion's
 * query; an approval started otherwise adds one ExecuteBillQuery for it); writeBack — one ExecuteBillQuery of the
 * document's status (the exactly-once check), the Kingdee user of the approver for WorkflowAudit only (cached), and
 * the operation itself.
 */
export function createKingdeeActivities(deps: KingdeeActivityDeps, people: People, ownWriteBacks?: OwnWriteBacks) {
  const userNames = new Map<string, { userName: string | undefined; at: number }>();

  async function loadDocument(ref: DocumentRef): Promise<DocumentSummary | undefined> {
    const known = ref.polled?.applicantMobile ? { applicantMobile: ref.polled.applicantMobile } : {};
    const urgentField = deps.rules.urgency?.fields[ref.formId];
    const doc = await readDocument(
      deps.kingdee,
      ref.formId,
      { number: ref.billNo },
      known,
      urgentField ? [urgentField] : [],
    ).catch((err: unknown) => {
      if (err instanceof KingdeeNotFoundError) return undefined;
      return asFailure(err);
    });
    if (!doc) return undefined;
    const flag = urgentField ? doc.extra?.[urgentField] : undefined;
    return {
      ...toDocumentSummary(ref, doc, deps.documentLinkTemplate),
      ...(doc.counterparty ? { counterparty: doc.counterparty } : {}),
      ...(doc.billDate ? { billDate: doc.billDate } : {}),
      ...(doc.attachments !== undefined ? { attachments: doc.attachments } : {}),
      ...(urgentField && flag !== undefined ? { urgentField: { field: urgentField, value: flag } } : {}),
    };
  }

  /** The form's card fields and the urgency of the document (rules `forms.<form>.card`, `urgency`). */
  function cardAndUrgency(document: DocumentSummary, calendar: Parameters<typeof businessDurationMs>[1]) {
    const urgency = deps.rules.urgency;
    const fields = deps.rules.forms[document.formId]?.card?.fields;
    const reason = urgency ? urgencyReasonFor(document, urgency.words) : undefined;
    return {
      card: fields ? { fields: [...fields] } : {},
      ...(urgency
        ? {
            urgency: {
              ...(reason ? { reason } : {}),
              remindAfterMs: businessDurationMs(urgency.remindAfter, calendar),
              remindEveryMs: businessDurationMs(urgency.remindEvery, calendar),
              escalateAfterMs: businessDurationMs(urgency.escalateAfter, calendar),
            },
          }
        : {}),
    };
  }

  /** The document's status now (one ExecuteBillQuery, by FID), or undefined when Kingdee no longer has it. */
  async function currentStatus(document: DocumentSummary): Promise<DocumentStatus | undefined> {
    const byId = /^\d+$/.test(document.billId);
    const rows = await deps.kingdee.executeBillQuery({
      formId: document.formId,
      fieldKeys: ['FDocumentStatus'],
      filterString: byId ? `FID = ${document.billId}` : `FBillNo = '${document.billNo.replace(/'/g, "''")}'`,
      limit: 1,
    });
    const status = rows[0]?.FDocumentStatus;
    if (rows.length === 0) return undefined;
    if (typeof status !== 'string' || !isDocumentStatus(status.trim()))
      throw new KingdeeProtocolError(`ExecuteBillQuery answered no document status for ${document.billNo}`);
    return status.trim() as DocumentStatus;
  }

  /** The Kingdee user who acts in WorkflowAudit: the DingTalk approver, matched by mobile (reused for a while). */
  async function kingdeeUserNameFor(dingtalkUserId: string): Promise<string | undefined> {
    const person = await people.details(dingtalkUserId);
    if (!person?.mobile) return undefined;
    const cached = userNames.get(person.mobile);
    if (cached && Date.now() - cached.at < userNameCacheMs) return cached.userName;
    const userName = await deps.kingdee.findUserNameByMobile(person.mobile);
    userNames.set(person.mobile, { userName, at: Date.now() });
    return userName;
  }

  /** The rules' ops target (robot resolved) and the deployment's URLs: whom to alert, where to act. */
  function contact(): AttentionContact {
    const ops = deps.rules.ops;
    const robot = ops?.robot ? deps.rules.robots[ops.robot] : undefined;
    const links = deps.attentionLinks;
    return {
      ...(ops
        ? { ops: { ...(ops.robot && robot ? { robot: { name: ops.robot, ...robot } } : {}), users: [...ops.users] } }
        : {}),
      ...(links?.apiBaseUrl ? { apiBaseUrl: links.apiBaseUrl } : {}),
      ...(links?.temporalUiUrl ? { temporalUiUrl: links.temporalUiUrl } : {}),
    };
  }

  return {
    /** Load the document and plan its approval from the rules loaded at start-up (captured in history). */
    async planApproval({ document: ref }: { document: DocumentRef }): Promise<ApprovalPlan> {
      ownWriteBacks?.forget(ref); // a new round: its audit, when it comes, is not an earlier round's
      const document = await loadDocument(ref);
      if (!document) return { applicable: false, reason: documentGoneReason(ref.billNo), contact: contact() };
      if (!isAwaitingApproval(document.status)) {
        return { applicable: false, reason: notAwaitingApprovalReason(document.status), document, contact: contact() };
      }
      const result = tryResolveChain(deps.rules, document);
      if (!result.applicable)
        return {
          applicable: 'misconfigured',
          reason: result.reason,
          type: result.type,
          document,
          contact: contact(),
        };
      return {
        applicable: true,
        document,
        plan: result.plan,
        contact: contact(),
        ...cardAndUrgency(document, result.plan.calendar),
      };
    },

    /** Whom to alert and where to act, for an approval whose plan never answered (Kingdee refused to read it). */
    async attentionContact(): Promise<AttentionContact> {
      return contact();
    },

    /**
     * Write the outcome to Kingdee exactly once: read the state first, treat "already there" as success, and let
     * the client's idempotent operations absorb a retry after an ambiguous timeout.
     */
    async writeBack(input: {
      document: DocumentSummary;
      outcome: 'approved' | 'rejected';
      comment: string;
      operation: 'audit' | 'workflowAudit' | 'none' | 'unAudit' | 'cancelAssign' | 'workflowReject';
      actingUserId?: string;
    }): Promise<WriteBackAnswer> {
      const { document, operation } = input;
      const numbers = [document.billNo];
      /** Done: an audit is remembered, so the next poll's sight of it is known as this approval's own change. */
      const written = (answer: WriteBackAnswer): WriteBackAnswer => {
        if (operation === 'audit' || operation === 'workflowAudit') ownWriteBacks?.remember(document, 'C');
        return answer;
      };
      try {
        const status = await currentStatus(document);
        if (!status)
          throw ApplicationFailure.create({
            type: 'KingdeeNotFoundError',
            nonRetryable: true,
            message: documentNotFoundMessage(document.billNo),
          });
        const current = { status };
        switch (operation) {
          case 'audit': {
            if (isAudited(current.status)) return written({ operation, alreadyInState: true });
            const result = await deps.kingdee.audit(document.formId, { numbers });
            return written({ operation, alreadyInState: result.alreadyInState });
          }
          case 'workflowAudit':
          case 'workflowReject': {
            const done = operation === 'workflowAudit' ? isAudited : isReturnedForChanges;
            if (done(current.status)) return written({ operation, alreadyInState: true });
            // Only WorkflowAudit acts as a person: the approver's Kingdee user.
            const actingUserName = input.actingUserId ? await kingdeeUserNameFor(input.actingUserId) : undefined;
            const result = await deps.kingdee.workflowAudit({
              formId: document.formId,
              numbers,
              ...(actingUserName ? { userName: actingUserName } : {}),
              approvalType: operation === 'workflowAudit' ? 1 : 2,
              disposition: input.comment,
            });
            return written({ operation, alreadyInState: result.alreadyInState });
          }
          case 'cancelAssign': {
            if (!isAwaitingApproval(current.status)) return { operation, alreadyInState: true };
            const result = await deps.kingdee.cancelAssign(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'unAudit': {
            if (!isAudited(current.status)) return { operation, alreadyInState: true };
            const result = await deps.kingdee.unAudit(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'none':
            return { operation, alreadyInState: true };
        }
      } catch (err) {
        return asFailure(err);
      }
    },
  };
}
