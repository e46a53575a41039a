/**
 * Where each form keeps what an approval card shows. Field keys follow the reference (§6); View returns them as ORM
 * property names, i.e. the key without its leading F. One place, so adding a form is one entry here.
 */
export interface FormProfile {
  name: string;
  amountField: string;
  currencyField: string;
  /** The person the approval is for: an employee (BD_Empinfo) or user (SEC_User) reference. */
  applicantField: string;
  applicantKind: 'employee' | 'user';
  purposeField: string;
  orgField: string;
  deptField?: string;
  /** The other party (收款单位 / 供应商) and how cards label it. */
  counterpartyField?: string;
  counterpartyLabel?: string;
  /** The bill date. */
  dateField: string;
  /** View's entry collection, and the fields naming and pricing a line. */
  entryEntity: string;
  lineNameField: string;
  lineAmountField: string;
}

export const formProfiles: Record<string, FormProfile> = {
  ER_ExpReimbursement: {
    name: '费用报销单',
    amountField: 'FReqReimbAmountSum',
    currencyField: 'FCurrencyID',
    applicantField: 'FProposerID',
    applicantKind: 'employee',
    purposeField: 'FCausa',
    orgField: 'FOrgID',
    deptField: 'FRequestDeptID',
    dateField: 'FDate',
    entryEntity: 'ER_ExpenseReimbEntry',
    lineNameField: 'FExpID',
    lineAmountField: 'FExpSubmitAmount',
  },
  AP_PAYBILL: {
    name: '付款单',
    amountField: 'FPAYTOTALAMOUNTFOR_H',
    currencyField: 'FCURRENCYID',
    applicantField: 'FCreatorId',
    applicantKind: 'user',
    purposeField: 'FREMARK',
    orgField: 'FPAYORGID',
    counterpartyField: 'FCONTACTUNIT',
    counterpartyLabel: '收款单位',
    dateField: 'FDate',
    entryEntity: 'PAYBILLENTRY',
    lineNameField: 'FPURPOSEID',
    lineAmountField: 'FPAYTOTALAMOUNTFOR',
  },
  AP_Payable: {
    name: '应付单',
    amountField: 'FALLAMOUNTFOR',
    currencyField: 'FCURRENCYID',
    applicantField: 'FCreatorId',
    applicantKind: 'user',
    purposeField: 'FAP_Remark',
    orgField: 'FSETTLEORGID',
    counterpartyField: 'FSUPPLIERID',
    counterpartyLabel: '供应商',
    dateField: 'FDate',
    entryEntity: 'AP_PAYABLEENTRY',
    lineNameField: 'FMATERIALID',
    lineAmountField: 'FALLAMOUNTFOR_D',
  },
  PUR_PurchaseOrder: {
    name: '采购订单',
    amountField: 'FBillAllAmount',
    currencyField: 'FSettleCurrId',
    applicantField: 'FCreatorId',
    applicantKind: 'user',
    purposeField: 'FNote',
    orgField: 'FPurchaseOrgId',
    deptField: 'FPurchaseDeptId',
    counterpartyField: 'FSupplierId',
    counterpartyLabel: '供应商',
    dateField: 'FDate',
    entryEntity: 'POOrderEntry',
    lineNameField: 'FMaterialId',
    lineAmountField: 'FAllAmount',
  },
};

/** Kingdee currency codes to ISO (PRE001 = CNY on standard data). */
export const currencyCodes: Record<string, string> = {
  PRE001: 'CNY',
  PRE002: 'HKD',
  PRE003: 'EUR',
  PRE004: 'JPY',
  PRE005: 'TWD',
  PRE006: 'GBP',
  PRE007: 'USD',
};
