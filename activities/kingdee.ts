/**
 * The activities that read and write Kingdee: load a document and plan its approval from the rules loaded at
 * start-up, and write the outcome back (Audit, WorkflowAudit, the reject operation) exactly once — the document's
 * current status is read first and "already there" counts as done, so a retry after an ambiguous timeout is safe.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Rules } from '../rules';
import { tryResolveChain } from '../rules/plan';
import { KingdeeNotFoundError, readDocument, type KingdeeClient } from '../integrations/kingdee';
import type { ApprovalPlan } from '../workflows/contract';
import {
  isAudited,
  isAwaitingApproval,
  type DocumentRef,
  type DocumentStatus,
  type DocumentSummary,
} from '../domain/document';
import { documentGoneReason, documentNotFoundMessage, notAwaitingApprovalReason } from '../domain/texts';
import { toDocumentSummary } from './documents';
import { asFailure } from './failures';
import type { People } from './people';

export interface KingdeeActivityDeps {
  kingdee: KingdeeClient;
  rules: Rules;
  /** Base URL a person can open a document at; `{formId}`, `{billNo}`, `{billId}` are filled in. */
  documentLinkTemplate: string;
}

/** Kingdee's status after a WorkflowAudit rejection: D 重新审核 (back to the applicant for changes). */
const isReturnedForChanges = (status: DocumentStatus): boolean => status === 'D';

export function createKingdeeActivities(deps: KingdeeActivityDeps, people: People) {
  async function loadDocument(ref: DocumentRef): Promise<DocumentSummary | undefined> {
    const doc = await readDocument(deps.kingdee, ref.formId, { number: ref.billNo }).catch((err: unknown) => {
      if (err instanceof KingdeeNotFoundError) return undefined;
      return asFailure(err);
    });
    return doc ? toDocumentSummary(ref, doc, deps.documentLinkTemplate) : undefined;
  }

  /** The Kingdee user who acts in WorkflowAudit: the DingTalk approver, matched by mobile. */
  async function kingdeeUserNameFor(dingtalkUserId: string): Promise<string | undefined> {
    const person = await people.details(dingtalkUserId);
    if (!person?.mobile) return undefined;
    return deps.kingdee.findUserNameByMobile(person.mobile);
  }

  return {
    /** Load the document and plan its approval from the rules loaded at start-up (captured in history). */
    async planApproval({ document: ref }: { document: DocumentRef }): Promise<ApprovalPlan> {
      const document = await loadDocument(ref);
      if (!document) return { applicable: false, reason: documentGoneReason(ref.billNo) };
      if (!isAwaitingApproval(document.status)) {
        return { applicable: false, reason: notAwaitingApprovalReason(document.status), document };
      }
      const result = tryResolveChain(deps.rules, document);
      if (!result.applicable)
        return { applicable: 'misconfigured', reason: result.reason, type: result.type, document };
      return { applicable: true, document, plan: result.plan };
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
    }): Promise<{ operation: string; alreadyInState: boolean }> {
      const { document, operation } = input;
      const numbers = [document.billNo];
      try {
        const current = await loadDocument(document);
        if (!current)
          throw ApplicationFailure.create({
            type: 'KingdeeNotFoundError',
            nonRetryable: true,
            message: documentNotFoundMessage(document.billNo),
          });
        const actingUserName = input.actingUserId ? await kingdeeUserNameFor(input.actingUserId) : undefined;
        switch (operation) {
          case 'audit': {
            if (isAudited(current.status)) return { operation, alreadyInState: true };
            const result = await deps.kingdee.audit(document.formId, { numbers });
            return { operation, alreadyInState: result.alreadyInState };
          }
          case 'workflowAudit':
          case 'workflowReject': {
            const done = operation === 'workflowAudit' ? isAudited : isReturnedForChanges;
            if (done(current.status)) return { operation, alreadyInState: true };
            const result = await deps.kingdee.workflowAudit({
              formId: document.formId,
              numbers,
              ...(actingUserName ? { userName: actingUserName } : {}),
              approvalType: operation === 'workflowAudit' ? 1 : 2,
              disposition: input.comment,
            });
            return { operation, alreadyInState: result.alreadyInState };
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
