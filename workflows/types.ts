/**
 * Plain data shapes that cross the workflow boundary (workflow ⇄ activities ⇄ API). Pure types only: the workflow
 * sandbox imports this file.
 */

/** Kingdee FDocumentStatus: Z draft, A saved, B in approval, C audited, D re-audit (after unaudit/reject). */
export type DocumentStatus = 'Z' | 'A' | 'B' | 'C' | 'D';

/** Identifies one Kingdee document. The workflow id is derived from it (see workflowIdFor). */
export interface DocumentRef {
  acctId: string;
  formId: string;
  billNo: string;
  /** Kingdee internal id (FID), when known. */
  billId?: string;
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
  /** A link a person can open to see the document. */
  link: string;
  /** FModifyDate as Kingdee reported it (server-local time, no offset). */
  modifyDate: string;
  /** Person fields (e.g. FProposerID) resolved to mobiles, for approvers taken from the document. */
  personMobiles: Record<string, string>;
}
