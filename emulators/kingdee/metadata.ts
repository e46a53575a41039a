/**
 * What the fake Kingdee knows about its forms, as Kingdee's own metadata would tell it (QueryBusinessInfo): each
 * bill's header fields, its entry entities (the Save key, e.g. `FEntity`, and the View name, e.g.
 * `ER_ExpenseReimbEntry`), which base data a reference field looks up and by which key Save may name it, the
 * must-input fields, the header totals Kingdee sums from the entries, the base-data forms themselves and the
 * conversion rules Push uses. Field keys follow the reference (§6, §7) and public integrations; where they are
 * UNCONFIRMED, docs/kingdee-emulator.md says so.
 */

/** A base-data reference: which form it looks up, or (往来单位) the header field that names the form per bill. */
export type Lookup = { form: string; numberKey?: string } | { typeField: string };

export interface FieldMeta {
  /** The field's caption, for Kingdee's messages (【申请人】字段必录). */
  name: string;
  lookup?: Lookup;
  required?: boolean;
}

export interface EntityMeta {
  /** Save / query key, e.g. FEntity. */
  key: string;
  /** View (ORM) name, e.g. ER_ExpenseReimbEntry. */
  view: string;
  /** Database table, as links name it (FSTableName). */
  table: string;
  fields: Record<string, FieldMeta>;
}

export interface BillFormMeta {
  formId: string;
  name: string;
  table: string;
  /** Bill numbers the emulator gives unnumbered bills: prefix + 8 digits. */
  billNoPrefix: string;
  header: Record<string, FieldMeta>;
  /** The main entry entity (what `entries` of a document holds). */
  entry: EntityMeta;
  /** Further entry entities, e.g. 付款单's 源单明细 FPAYBILLSRCENTRY. */
  otherEntities: EntityMeta[];
  /** Header totals Kingdee computes from the main entry: header key ← the first entry key a row has. */
  sums: Array<{ header: string; from: string[] }>;
  /** The primary key's query / Save key when it is not FID (GL_VOUCHER: FVOUCHERID). */
  pk?: string;
  /**
   * A voucher: Save refuses it unless the entries' debits equal their credits, and numbers it within its 凭证字
   * (`numberField`, e.g. FVOUCHERGROUPNO: 1, 2, … per account book and group) when the model gives no number.
   */
  voucher?: { debit: string; credit: string; numberField: string; groupFields: string[] };
}

export interface BaseFormMeta {
  formId: string;
  name: string;
  /** Primary key as a query field key (FID, FEXPID, FDEPTID …). */
  pk: string;
  /** The key Save accepts for a reference by code when the field does not say otherwise. */
  numberKey: string;
  /** Queryable with ExecuteBillQuery (BOS_BillType answers 数据库执行异常 on real sites). */
  queryable: boolean;
}

const ref = (name: string, form: string, extra: Partial<FieldMeta> = {}): FieldMeta => ({
  name,
  lookup: { form },
  ...extra,
});
const text = (name: string, extra: Partial<FieldMeta> = {}): FieldMeta => ({ name, ...extra });
const employee = (name: string, extra: Partial<FieldMeta> = {}): FieldMeta => ({
  name,
  lookup: { form: 'BD_Empinfo', numberKey: 'FSTAFFNUMBER' },
  ...extra,
});
const user = (name: string): FieldMeta => ref(name, 'SEC_User');

/** Fields every bill has (reference §6 "Common to all bills"). */
const common: Record<string, FieldMeta> = {
  FBillNo: text('单据编号'),
  FDocumentStatus: text('单据状态'),
  FDate: text('日期'),
  FBillTypeID: ref('单据类型', 'BOS_BillType'),
  FCreatorId: user('创建人'),
  FCreateDate: text('创建日期'),
  FModifierId: user('修改人'),
  FModifyDate: text('修改日期'),
  FApproverId: user('审核人'),
  FApproveDate: text('审核日期'),
};

export const billForms: Record<string, BillFormMeta> = {
  // 凭证 (general ledger voucher): keys from public Save models and queries of GL_VOUCHER (FAccountBookID,
  // FVOUCHERGROUPID, FVOUCHERGROUPNO, FYEAR, FPERIOD, FDEBITTOTAL/FCREDITTOTAL; entries FEntity with FEXPLANATION,
  // FACCOUNTID, FDEBIT, FCREDIT, FAMOUNTFOR, FCURRENCYID, FEXCHANGERATETYPE, FEXCHANGERATE, FDC). The View (ORM) name
  // of the entry and the bill-number prefix are UNCONFIRMED; 辅助核算 (FDetailID) is not emulated.
  GL_VOUCHER: {
    formId: 'GL_VOUCHER',
    name: '凭证',
    table: 'T_GL_VOUCHER',
    billNoPrefix: 'PZ',
    pk: 'FVOUCHERID',
    header: {
      ...common,
      FAccountBookID: ref('账簿', 'BD_AccountBook', { required: true }),
      FACCBOOKORGID: ref('核算组织', 'ORG_Organizations'),
      FVOUCHERGROUPID: ref('凭证字', 'BD_VOUCHERGROUP', { required: true }),
      FVOUCHERGROUPNO: text('凭证号'),
      FBUSDATE: text('业务日期'),
      FYEAR: text('会计年度'),
      FPERIOD: text('期间'),
      FATTACHMENTS: text('附件数'),
      FISADJUSTVOUCHER: text('是否调整期凭证'),
      FDEBITTOTAL: text('借方总金额'),
      FCREDITTOTAL: text('贷方总金额'),
    },
    entry: {
      key: 'FEntity',
      view: 'VoucherEntry',
      table: 'T_GL_VOUCHERENTRY',
      fields: {
        FEXPLANATION: text('摘要', { required: true }),
        FACCOUNTID: ref('科目编码', 'BD_Account', { required: true }),
        FCURRENCYID: ref('币别', 'BD_Currency'),
        FEXCHANGERATETYPE: ref('汇率类型', 'BD_RateType'),
        FEXCHANGERATE: text('汇率'),
        FAMOUNTFOR: text('原币金额'),
        FDEBIT: text('借方金额'),
        FCREDIT: text('贷方金额'),
        FDC: text('借贷方向'),
      },
    },
    otherEntities: [],
    sums: [
      { header: 'FDEBITTOTAL', from: ['FDEBIT'] },
      { header: 'FCREDITTOTAL', from: ['FCREDIT'] },
    ],
    voucher: {
      debit: 'FDEBIT',
      credit: 'FCREDIT',
      numberField: 'FVOUCHERGROUPNO',
      groupFields: ['FAccountBookID', 'FVOUCHERGROUPID'],
    },
  },
  ER_ExpReimbursement: {
    formId: 'ER_ExpReimbursement',
    name: '费用报销单',
    table: 'T_ER_EXPENSEREIMB',
    billNoPrefix: 'FYBX',
    header: {
      ...common,
      FProposerID: employee('申请人', { required: true }),
      FOrgID: ref('申请组织', 'ORG_Organizations'),
      FRequestDeptID: ref('申请部门', 'BD_Department'),
      FExpenseOrgId: ref('费用承担组织', 'ORG_Organizations'),
      FExpenseDeptID: ref('费用承担部门', 'BD_Department'),
      FPayOrgId: ref('付款组织', 'ORG_Organizations'),
      FCurrencyID: ref('币别', 'BD_Currency'),
      FLocCurrencyID: ref('本位币', 'BD_Currency'),
      FPaySettlleTypeID: ref('付款结算方式', 'BD_SETTLETYPE'),
      FCONTACTUNITTYPE: text('往来单位类型'),
      FCONTACTUNIT: { name: '往来单位', lookup: { typeField: 'FCONTACTUNITTYPE' } },
      FCausa: text('事由'),
      FRequestType: text('申请类型'),
      FReqReimbAmountSum: text('申请报销金额汇总'),
      FExpAmountSum: text('核定报销金额汇总'),
    },
    entry: {
      key: 'FEntity',
      view: 'ER_ExpenseReimbEntry',
      table: 'T_ER_EXPENSEREIMBENTRY',
      fields: {
        FExpID: ref('费用项目', 'BD_Expense', { required: true }),
        FExpenseDeptEntryID: ref('费用承担部门', 'BD_Department'),
        F_KDB_ProjectID: ref('项目', 'BAS_PreBaseDataOne'),
        FExpSubmitAmount: text('申请报销金额'),
        FExpenseAmount: text('费用金额'),
        FTaxAmt: text('税额'),
        FRemark: text('备注'),
      },
    },
    otherEntities: [],
    sums: [
      { header: 'FReqReimbAmountSum', from: ['FExpSubmitAmount', 'FExpenseAmount'] },
      { header: 'FExpAmountSum', from: ['FExpenseAmount', 'FExpSubmitAmount'] },
    ],
  },
  AP_PAYBILL: {
    formId: 'AP_PAYBILL',
    name: '付款单',
    table: 'T_AP_PAYBILL',
    billNoPrefix: 'FKD',
    header: {
      ...common,
      FCONTACTUNITTYPE: text('往来单位类型'),
      FCONTACTUNIT: { name: '往来单位', lookup: { typeField: 'FCONTACTUNITTYPE' } },
      FRECTUNITTYPE: text('收款单位类型'),
      FRECTUNIT: { name: '收款单位', lookup: { typeField: 'FRECTUNITTYPE' } },
      FPAYORGID: ref('付款组织', 'ORG_Organizations'),
      FSETTLEORGID: ref('结算组织', 'ORG_Organizations'),
      FPURCHASEORGID: ref('采购组织', 'ORG_Organizations'),
      FPURCHASEDEPTID: ref('采购部门', 'BD_Department'),
      FCURRENCYID: ref('币别', 'BD_Currency'),
      FSETTLECUR: ref('结算币别', 'BD_Currency'),
      FREMARK: text('备注'),
      FPAYTOTALAMOUNTFOR_H: text('应付金额'),
      FREALPAYAMOUNTFOR_H: text('实付金额'),
    },
    entry: {
      key: 'FPAYBILLENTRY',
      view: 'PAYBILLENTRY',
      table: 'T_AP_PAYBILLENTRY',
      fields: {
        FSETTLETYPEID: ref('结算方式', 'BD_SETTLETYPE', { required: true }),
        FPURPOSEID: ref('付款用途', 'CN_RECPAYPURPOSE'),
        FCOSTID: ref('费用项目', 'BD_Expense'),
        FEXPENSEDEPTID_E: ref('费用承担部门', 'BD_Department'),
        FPAYTOTALAMOUNTFOR: text('应付金额'),
        FREALPAYAMOUNTFOR_D: text('实付金额'),
        FCOMMENT: text('备注'),
      },
    },
    otherEntities: [
      {
        key: 'FPAYBILLSRCENTRY',
        view: 'PAYBILLSRCENTRY',
        table: 'T_AP_PAYBILLSRCENTRY',
        fields: {
          FSOURCETYPE: text('源单类型'),
          FSRCBILLNO: text('源单编号'),
          FSRCROWID: text('源单行内码'),
          FSRCSEQ: text('源单行号'),
          FREALPAYAMOUNT: text('本次付款金额'),
        },
      },
    ],
    sums: [
      { header: 'FPAYTOTALAMOUNTFOR_H', from: ['FPAYTOTALAMOUNTFOR'] },
      { header: 'FREALPAYAMOUNTFOR_H', from: ['FREALPAYAMOUNTFOR_D', 'FPAYTOTALAMOUNTFOR'] },
    ],
  },
  AP_Payable: {
    formId: 'AP_Payable',
    name: '应付单',
    table: 'T_AP_PAYABLE',
    billNoPrefix: 'AP',
    header: {
      ...common,
      FSUPPLIERID: ref('供应商', 'BD_Supplier'),
      FSETTLEORGID: ref('结算组织', 'ORG_Organizations'),
      FPAYORGID: ref('付款组织', 'ORG_Organizations'),
      FPURCHASEORGID: ref('采购组织', 'ORG_Organizations'),
      FPURCHASEDEPTID: ref('采购部门', 'BD_Department'),
      FCURRENCYID: ref('币别', 'BD_Currency'),
      FALLAMOUNTFOR: text('价税合计'),
      FAP_Remark: text('备注'),
    },
    entry: {
      key: 'FEntityDetail',
      view: 'AP_PAYABLEENTRY',
      table: 'T_AP_PAYABLEENTRY',
      fields: {
        FMATERIALID: ref('物料编码', 'BD_MATERIAL'),
        FALLAMOUNTFOR_D: text('价税合计'),
        FPriceQty: text('计价数量'),
      },
    },
    otherEntities: [],
    sums: [{ header: 'FALLAMOUNTFOR', from: ['FALLAMOUNTFOR_D'] }],
  },
  PUR_PurchaseOrder: {
    formId: 'PUR_PurchaseOrder',
    name: '采购订单',
    table: 'T_PUR_POORDER',
    billNoPrefix: 'CGDD',
    header: {
      ...common,
      FSupplierId: ref('供应商', 'BD_Supplier'),
      FPurchaseOrgId: ref('采购组织', 'ORG_Organizations'),
      FPurchaseDeptId: ref('采购部门', 'BD_Department'),
      FSettleCurrId: ref('结算币别', 'BD_Currency'),
      FBillAllAmount: text('价税合计'),
      FNote: text('备注'),
    },
    entry: {
      key: 'FPOOrderEntry',
      view: 'POOrderEntry',
      table: 'T_PUR_POORDERENTRY',
      fields: {
        FMaterialId: ref('物料编码', 'BD_MATERIAL'),
        FQty: text('采购数量'),
        FPrice: text('单价'),
        FTaxPrice: text('含税单价'),
        FAllAmount: text('价税合计'),
      },
    },
    otherEntities: [],
    sums: [{ header: 'FBillAllAmount', from: ['FAllAmount'] }],
  },
};

/** Base data: where references point. BD_Empinfo and SEC_User come from the seed's `employees` and `users`. */
export const baseForms: Record<string, BaseFormMeta> = Object.fromEntries(
  (
    [
      ['BD_Empinfo', '员工', 'FID', 'FNumber'],
      ['SEC_User', '用户', 'FUserID', 'FUserAccount'],
      ['BD_Department', '部门', 'FDEPTID', 'FNumber'],
      ['ORG_Organizations', '组织机构', 'FORGID', 'FNumber'],
      ['BD_Currency', '币别', 'FCURRENCYID', 'FNumber'],
      ['BD_Expense', '费用项目', 'FEXPID', 'FNumber'],
      ['BAS_PreBaseDataOne', '项目', 'FID', 'FNumber'],
      ['BD_SETTLETYPE', '结算方式', 'FID', 'FNumber'],
      ['CN_RECPAYPURPOSE', '收付款用途', 'FID', 'FNumber'],
      ['BD_Supplier', '供应商', 'FSUPPLIERID', 'FNumber'],
      ['BD_Customer', '客户', 'FCUSTID', 'FNumber'],
      ['BD_MATERIAL', '物料', 'FMATERIALID', 'FNumber'],
      ['FIN_OTHERS', '其他往来单位', 'FID', 'FNumber'],
      ['BOS_BillType', '单据类型', 'FBILLTYPEID', 'FNumber'],
      // 即时库存: one row per material and warehouse; seeded under baseData with its query keys as written
      // (FMaterialId.FNumber, FStockId.FName, FBaseQty, FMaterialId.FSafeStock …) for the threshold watches.
      ['STK_Inventory', '即时库存', 'FID', 'FNumber'],
      // General ledger: 科目, 账簿, 凭证字, 汇率类型 (BD_AccountBook and BD_VOUCHERGROUP have no FID).
      ['BD_Account', '科目', 'FACCTID', 'FNumber'],
      ['BD_AccountBook', '账簿', 'FBOOKID', 'FNumber'],
      ['BD_VOUCHERGROUP', '凭证字', 'FVCHGROUPID', 'FNumber'],
      ['BD_RateType', '汇率类型', 'FRATETYPEID', 'FNumber'],
    ] as const
  ).map(([formId, name, pk, numberKey]) => [
    formId,
    { formId, name, pk, numberKey, queryable: formId !== 'BOS_BillType' },
  ]),
);

/** FormIds are matched case-insensitively (the official SDK sample saves BD_Material and views BD_MATERIAL). */
export function canonicalForm(formId: string): string | undefined {
  const lower = formId.toLowerCase();
  return [...Object.keys(billForms), ...Object.keys(baseForms)].find((f) => f.toLowerCase() === lower);
}

export function entitiesOf(meta: BillFormMeta): EntityMeta[] {
  return [meta.entry, ...meta.otherEntities];
}

/** A conversion rule (单据转换规则) Push can use. */
export interface ConversionRule {
  id: string;
  name: string;
  source: string;
  target: string;
  /** Used when the caller enables the default rule for this source → target. */
  isDefault: boolean;
  /** The target entity whose rows carry the `<Entity>_Link` back to the source rows. */
  linkEntity: string;
}

/**
 * Rule ids: real sites name standard rules `<Src>-<Target>` or `<Src>To<Target>` (e.g. `PUR_ReceiveBill-STK_InStock`,
 * `AP_PayableToPayBill`); the id of the standard 费用报销单 → 付款单 rule is UNCONFIRMED — this one is ours.
 */
export const conversionRules: ConversionRule[] = [
  {
    id: 'ER_ExpReimbursementToPayBill',
    name: '费用报销单-付款单',
    source: 'ER_ExpReimbursement',
    target: 'AP_PAYBILL',
    isDefault: true,
    linkEntity: 'FPAYBILLSRCENTRY',
  },
];
