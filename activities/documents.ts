/** From Kingdee's view of a document to what the approval workflow works with. */
import type { KingdeeDocument } from '../integrations/kingdee';
import type { DocumentRef, DocumentSummary } from '../domain/document';

export function toDocumentSummary(ref: DocumentRef, doc: KingdeeDocument, linkTemplate: string): DocumentSummary {
  const link = linkTemplate
    .replace(/\{formId\}/g, encodeURIComponent(doc.formId))
    .replace(/\{billNo\}/g, encodeURIComponent(doc.billNo))
    .replace(/\{billId\}/g, encodeURIComponent(doc.billId));
  return {
    acctId: ref.acctId,
    formId: doc.formId,
    billNo: doc.billNo,
    billId: doc.billId,
    formName: doc.formName,
    status: doc.status,
    applicant: {
      name: doc.applicant.name,
      ...(doc.applicant.mobile ? { mobile: doc.applicant.mobile } : {}),
      ...(doc.applicant.kingdeeId ? { kingdeeUserId: String(doc.applicant.kingdeeId) } : {}),
    },
    amount: doc.amount,
    currency: doc.currency,
    purpose: doc.purpose,
    ...(doc.orgName ? { orgName: doc.orgName } : {}),
    ...(doc.deptName ? { deptName: doc.deptName } : {}),
    lines: doc.lines,
    link,
    modifyDate: doc.modifyDate,
    personMobiles: doc.personMobiles,
  };
}
