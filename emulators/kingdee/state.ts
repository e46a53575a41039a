/**
 * What the fake Kingdee holds, in memory: its documents and their FDocumentStatus transitions (each one bumps
 * FModifyDate and lands in the document's history), the login sessions, its (optionally skewed) clock, the faults a
 * test has injected, and the call counts that `stats()` reports. No HTTP here: protocol.ts speaks Kingdee's WebAPI
 * over this state, control.ts the `/_emulator` API, and server.ts puts them on a port.
 */
import type { FieldValue, Seed } from './seed';

export type Operation =
  | 'ExecuteBillQuery'
  | 'BillQuery'
  | 'View'
  | 'Save'
  | 'Submit'
  | 'Audit'
  | 'UnAudit'
  | 'CancelAssign'
  | 'WorkflowAudit'
  | 'Delete';

export interface EmulatedDocument {
  formId: string;
  id: number;
  billNo: string;
  status: 'Z' | 'A' | 'B' | 'C' | 'D';
  workflowBound: boolean;
  fields: Record<string, FieldValue>;
  entries: Array<Record<string, FieldValue>>;
  /** Who did what, for assertions ("the comment names the real approvers"). */
  history: Array<{ operation: string; at: string; user: string; comment?: string; approvalType?: number }>;
}

/** A fault injected by a test or a CLI flag. `times` absent: until cleared. */
export type Fault =
  | { kind: 'latency'; ms: number; operation?: string; times?: number }
  | { kind: 'http500'; operation?: string; times?: number }
  | { kind: 'drop'; operation?: string; times?: number }
  | { kind: 'htmlError'; operation?: string; times?: number }
  | { kind: 'lock'; billNo: string; times?: number }
  | { kind: 'denyPermission'; operation?: string; formId?: string; times?: number };

export interface KingdeeEmulatorOptions {
  port?: number;
  seed?: Seed;
  /** The emulator's clock runs this far ahead of the real one (negative: behind), as a skewed server would. */
  clockSkewMs?: number;
  /** Signature timestamps further than this from the emulator's clock are refused. */
  timestampToleranceMs?: number;
  faults?: Fault[];
}

export const supportedForms = new Set([
  'ER_ExpReimbursement',
  'AP_PAYBILL',
  'AP_Payable',
  'PUR_PurchaseOrder',
  'BD_Empinfo',
  'SEC_User',
]);
export const statusLabels: Record<string, string> = { Z: '暂存', A: '创建', B: '审核中', C: '已审核', D: '重新审核' };
export const formNames: Record<string, string> = {
  ER_ExpReimbursement: '费用报销单',
  AP_PAYBILL: '付款单',
  AP_Payable: '应付单',
  PUR_PurchaseOrder: '采购订单',
};

export class KingdeeState {
  readonly documents = new Map<string, EmulatedDocument>();
  faults: Fault[];
  clockSkewMs: number;
  /** Open sessions by `kdservice-sessionid` (auth.ts opens them). */
  readonly sessions = new Map<string, { acctId: string; userName: string }>();
  /** Calls per operation (protocol.ts counts them). */
  readonly calls = new Map<string, number>();
  private readonly perDocument = new Map<string, Record<string, number>>();
  /** The id the next created document gets (Save also names unnumbered bills after it). */
  nextId = 900_000;

  constructor(
    readonly seed: Seed,
    protected readonly options: KingdeeEmulatorOptions = {},
  ) {
    this.faults = [...(options.faults ?? [])];
    this.clockSkewMs = options.clockSkewMs ?? 0;
    for (const doc of seed.documents) {
      this.putDocument({
        formId: doc.formId,
        id: doc.id ?? this.nextId++,
        billNo: doc.billNo,
        status: doc.status,
        workflowBound: doc.workflowBound,
        fields: { ...doc.fields },
        entries: doc.entries.map((e) => ({ ...e })),
        history: [],
      });
    }
  }

  /** The emulator's notion of now (skewed when a test asks for it). */
  now(): number {
    return Date.now() + this.clockSkewMs;
  }

  /** Kingdee writes server-local times without an offset. */
  localTime(ms = this.now()): string {
    const offset = this.seed.accounts[0]?.utcOffsetMinutes ?? 480;
    return new Date(ms + offset * 60_000).toISOString().slice(0, 23);
  }

  putDocument(doc: EmulatedDocument): void {
    this.documents.set(`${doc.formId}|${doc.billNo}`, doc);
  }

  getDocument(formId: string, billNo: string): EmulatedDocument | undefined {
    return this.documents.get(`${formId}|${billNo}`);
  }

  /** Create a document (as a person would in the Kingdee client), optionally submitted. */
  createDocument(input: {
    formId: string;
    billNo: string;
    status?: EmulatedDocument['status'];
    workflowBound?: boolean;
    fields?: Record<string, FieldValue>;
    entries?: Array<Record<string, FieldValue>>;
  }): EmulatedDocument {
    const now = this.localTime();
    const doc: EmulatedDocument = {
      formId: input.formId,
      id: this.nextId++,
      billNo: input.billNo,
      status: input.status ?? 'A',
      workflowBound: input.workflowBound ?? false,
      fields: { FCreateDate: now, FModifyDate: now, FDate: `${now.slice(0, 10)}T00:00:00`, ...input.fields },
      entries: input.entries ?? [],
      history: [],
    };
    this.putDocument(doc);
    return doc;
  }

  /** Change a document's status as someone working in Kingdee itself would (bumps FModifyDate). */
  setStatus(formId: string, billNo: string, status: EmulatedDocument['status'], user = 'kingdee-user'): void {
    const doc = this.getDocument(formId, billNo);
    if (!doc) throw new Error(`no document ${formId} ${billNo}`);
    this.transition(doc, status, `manual:${status}`, user);
  }

  deleteDocument(formId: string, billNo: string): void {
    this.documents.delete(`${formId}|${billNo}`);
  }

  /** Calls per operation, and per document: calls and effective state changes. */
  stats(): { byOperation: Record<string, number>; byDocument: Record<string, Record<string, number>> } {
    return { byOperation: Object.fromEntries(this.calls), byDocument: Object.fromEntries(this.perDocument) };
  }

  expireSessions(): void {
    this.sessions.clear();
  }

  /** No injected faults, and the clock skew the emulator started with. */
  clearFaults(): void {
    this.faults = [];
    this.clockSkewMs = this.options.clockSkewMs ?? 0;
  }

  /** The first injected fault of this kind that matches, used up once (removed when its `times` run out). */
  takeFault<K extends Fault['kind']>(
    kind: K,
    match: (f: Extract<Fault, { kind: K }>) => boolean,
  ): Extract<Fault, { kind: K }> | undefined {
    const index = this.faults.findIndex((f) => f.kind === kind && match(f as Extract<Fault, { kind: K }>));
    if (index < 0) return undefined;
    const fault = this.faults[index] as Extract<Fault, { kind: K }>;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }

  transition(
    doc: EmulatedDocument,
    status: EmulatedDocument['status'],
    operation: string,
    user: string,
    comment?: string,
    approvalType?: number,
  ): void {
    const now = this.localTime();
    doc.status = status;
    doc.fields.FModifyDate = now;
    if (status === 'C') doc.fields.FApproveDate = now;
    doc.history.push({
      operation,
      at: now,
      user,
      ...(comment ? { comment } : {}),
      ...(approvalType ? { approvalType } : {}),
    });
    this.count(doc.billNo, operation);
  }

  /** One effective change to a document, for `stats().byDocument`. */
  count(billNo: string, operation: string): void {
    const entry = this.perDocument.get(billNo) ?? {};
    entry[operation] = (entry[operation] ?? 0) + 1;
    this.perDocument.set(billNo, entry);
  }
}
