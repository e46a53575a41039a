/**
 * A Kingdee document as the bridge sees it: its status letters (the one definition, with the Chinese labels
 * Kingdee shows), the predicates on them, and the shapes that cross the workflow boundary (workflow ⇄ activities
 * ⇄ API). Pure and sandbox-safe: the workflow bundle imports this file.
 */

/**
 * Kingdee FDocumentStatus, in the order a document moves through them: Z 暂存 (draft), A 创建 (saved), B 审核中 (in
 * approval), C 已审核 (audited), D 重新审核 (back for re-approval after an unaudit or a rejection).
 */
export const documentStatuses = ['Z', 'A', 'B', 'C', 'D'] as const;
export type DocumentStatus = (typeof documentStatuses)[number];

/** The labels Kingdee's own UI shows for each status. */
export const documentStatusLabels: Record<DocumentStatus, string> = {
  Z: '暂存',
  A: '创建',
  B: '审核中',
  C: '已审核',
  D: '重新审核',
};

export function isDocumentStatus(value: unknown): value is DocumentStatus {
  return typeof value === 'string' && (documentStatuses as readonly string[]).includes(value);
}

/** B: the document waits for a decision — the only status in which an approval runs. */
export function isAwaitingApproval(status: DocumentStatus | 'deleted'): boolean {
  return status === 'B';
}

/** C: audited — the write-back of an approval has happened (by us or by someone in Kingdee). */
export function isAudited(status: DocumentStatus | 'deleted'): boolean {
  return status === 'C';
}

/** Z, A or D: the applicant took the document back (withdrawn, or returned for changes): no decision is due. */
export function isWithdrawn(status: DocumentStatus | 'deleted'): boolean {
  return status === 'Z' || status === 'A' || status === 'D';
}

/** "B 审核中" — a status as people read it in logs and messages. */
export function describeStatus(status: DocumentStatus | 'deleted'): string {
  return status === 'deleted' ? '已删除' : `${status} ${documentStatusLabels[status]}`;
}

/** Identifies one Kingdee document. The workflow id is derived from it (see workflowIdFor). */
export interface DocumentRef {
  acctId: string;
  formId: string;
  billNo: string;
  /** Kingdee internal id (FID), when known. */
  billId?: string;
  /** What ingestion already read with its query, so planning need not ask Kingdee again (absent when the approval
   * was started otherwise, and in approvals started before it existed). */
  polled?: { applicantMobile?: string };
}

/** What the approval needs to know about a document, read from Kingdee (View) by an activity. */
export interface DocumentSummary extends DocumentRef {
  billId: string;
  /** Display name of the form, e.g. 费用报销单. */
  formName: string;
  status: DocumentStatus;
  applicant: { name: string; mobile?: string; kingdeeUserId?: string };
  amount: number;
  /** ISO currency code, e.g. CNY. */
  currency: string;
  purpose: string;
  orgName?: string;
  deptName?: string;
  lines: Array<{ name: string; amount: number }>;
  /** The other party: 收款单位 (payee) of a payment, 供应商 (supplier) of a payable or purchase order. */
  counterparty?: { label: string; name: string };
  /** The bill date (FDate) as Kingdee reported it, e.g. 2026-11-20T00:00:00. */
  billDate?: string;
  /** How many attachments the document has, when Kingdee's View reports it (undefined: not known). */
  attachments?: number;
  /** The value of the form's configured urgency field (rules `urgency.fields`), when it is set. */
  urgentField?: { field: string; value: string };
  /** A link a person can open to see the document. */
  link: string;
  /** FModifyDate as Kingdee reported it (server-local time, no offset). */
  modifyDate: string;
  /** Person fields (e.g. FProposerID) resolved to mobiles, for approvers taken from the document. */
  personMobiles: Record<string, string>;
}
