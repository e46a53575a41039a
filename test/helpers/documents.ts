/** Documents as the bridge reads them from Kingdee, for tests of what it shows people. */
import type { DocumentSummary } from '../../domain/document';

/**
 * A submitted 费用报销单: FYBX000123 by 张三, ¥12,800.00 for a customer visit in Shanghai. Without organisation,
 * department, date or lines: a test spreads it and adds the ones it shows.
 */
export const expenseClaim: DocumentSummary = {
  acctId: 'a',
  formId: 'ER_ExpReimbursement',
  billNo: 'FYBX000123',
  billId: '100123',
  formName: '费用报销单',
  status: 'B',
  applicant: { name: '张三' },
  amount: 12_800,
  currency: 'CNY',
  purpose: '差旅费 上海客户拜访',
  lines: [],
  link: 'https://kingdee.example/FYBX000123',
  modifyDate: '2026-11-24T10:00:00',
  personMobiles: {},
};
