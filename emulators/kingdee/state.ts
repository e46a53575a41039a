/**
 * What the fake Kingdee holds, in memory: its documents (header fields, entry rows with their FEntryID, further entry
 * entities and the links Push leaves on them) and their FDocumentStatus transitions (each one bumps FModifyDate and
 * lands in the document's history), the base data references resolve against, the login sessions, its (optionally
 * skewed) clock, the faults a test has injected, and the call counts that `stats()` reports. No HTTP here:
 * protocol.ts speaks Kingdee's WebAPI over this state, control.ts the `/_emulator` API, and server.ts puts them on a
 * port.
 */
import { baseForms, billForms } from './metadata';
import type { FieldValue, Reference, Seed } from './seed';

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
  | 'Delete'
  | 'Push';

/** An entry row: field values plus FEntryID, the row's internal id (unique across the emulator). */
export type EntryRow = Record<string, FieldValue>;

/** A link (业务关联) from a target entry row to the source row it was pushed from — Kingdee's `<Entity>_Link`. */
export interface DocumentLink {
  /** The target entity (Save key) and row the link hangs on. */
  entity: string;
  entryId: number;
  ruleId: string;
  sourceFormId: string;
  sourceBillNo: string;
  /** FSTableName, FSBillId, FSId. */
  sourceTable: string;
  sourceBillId: number;
  sourceEntryId: number;
}

export interface EmulatedDocument {
  formId: string;
  id: number;
  billNo: string;
  status: 'Z' | 'A' | 'B' | 'C' | 'D';
  workflowBound: boolean;
  fields: Record<string, FieldValue>;
  /** The form's main entry entity (FEntity, FPAYBILLENTRY, …). */
  entries: EntryRow[];
  /** Further entry entities by Save key (e.g. 付款单's FPAYBILLSRCENTRY). */
  entities: Record<string, EntryRow[]>;
  links: DocumentLink[];
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

export const statusLabels: Record<string, string> = { Z: '暂存', A: '创建', B: '审核中', C: '已审核', D: '重新审核' };
export const formNames: Record<string, string> = Object.fromEntries(
  [...Object.values(billForms), ...Object.values(baseForms)].map((f) => [f.formId, f.name]),
);

export class KingdeeState {
  readonly documents = new Map<string, EmulatedDocument>();
  faults: Fault[];
  clockSkewMs: number;
  /** Open sessions by `kdservice-sessionid` (auth.ts opens them). */
  readonly sessions = new Map<string, { acctId: string; userName: string }>();
  /** Calls per operation (protocol.ts counts them). */
  readonly calls = new Map<string, number>();
  /** Rows answered per query operation (protocol.ts counts them): what a poll re-reads shows here. */
  readonly rowsRead = new Map<string, number>();
  private readonly perDocument = new Map<string, Record<string, number>>();
  /** The id the next created document gets. */
  nextId = 900_000;
  /** The FEntryID the next entry row gets. */
  nextEntryId = 500_001;
  private readonly billNoCounters = new Map<string, number>();

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
        entries: doc.entries.map((e) => this.withEntryId(e)),
        entities: {},
        links: [],
        history: [],
      });
    }
  }

  /** An entry row with its FEntryID (a new one unless it has one). */
  withEntryId(row: EntryRow): EntryRow {
    const id = typeof row.FEntryID === 'number' && row.FEntryID > 0 ? row.FEntryID : this.nextEntryId++;
    if (id >= this.nextEntryId) this.nextEntryId = id + 1;
    return { ...row, FEntryID: id };
  }

  /** A bill number the form's coding rule would give: prefix + 8 digits, e.g. FKD00000001. */
  nextBillNo(formId: string): string {
    const prefix = billForms[formId]?.billNoPrefix ?? formId.slice(0, 4).toUpperCase();
    for (;;) {
      const n = (this.billNoCounters.get(formId) ?? 0) + 1;
      this.billNoCounters.set(formId, n);
      const billNo = `${prefix}${String(n).padStart(8, '0')}`;
      if (!this.getDocument(formId, billNo)) return billNo;
    }
  }

  /** A seeded user as a reference (creator, approver), or undefined for someone the seed does not know. */
  userRef(userName: string): Reference | undefined {
    const user = this.seed.users.find((u) => u.userName === userName);
    return user ? { id: user.id, number: user.userName, name: user.name } : undefined;
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

  /** Documents are kept by form and bill number; a draft (Z) without a number by its id. */
  private static keyOf(doc: Pick<EmulatedDocument, 'formId' | 'billNo' | 'id'>): string {
    return `${doc.formId}|${doc.billNo.trim() ? doc.billNo : `#${doc.id}`}`;
  }

  putDocument(doc: EmulatedDocument): void {
    this.documents.set(KingdeeState.keyOf(doc), doc);
  }

  getDocument(formId: string, billNo: string): EmulatedDocument | undefined {
    return this.documents.get(`${formId}|${billNo}`);
  }

  getDocumentById(formId: string, id: number): EmulatedDocument | undefined {
    return [...this.documents.values()].find((d) => d.formId === formId && d.id === id);
  }

  removeDocument(doc: EmulatedDocument): void {
    this.documents.delete(KingdeeState.keyOf(doc));
  }

  /** Give a document a (new) bill number, keeping the index right. */
  renumber(doc: EmulatedDocument, billNo: string): void {
    this.removeDocument(doc);
    doc.billNo = billNo;
    this.putDocument(doc);
  }

  /** Documents pushed from this one (their links name it as the source). */
  downstreamOf(doc: EmulatedDocument): EmulatedDocument[] {
    return [...this.documents.values()].filter((d) =>
      d.links.some((l) => l.sourceFormId === doc.formId && l.sourceBillId === doc.id),
    );
  }

  /** Create a document (as a person would in the Kingdee client), optionally submitted. */
  createDocument(input: {
    formId: string;
    billNo: string;
    status?: EmulatedDocument['status'];
    workflowBound?: boolean;
    fields?: Record<string, FieldValue>;
    entries?: EntryRow[];
    entities?: Record<string, EntryRow[]>;
    links?: DocumentLink[];
  }): EmulatedDocument {
    const now = this.localTime();
    const doc: EmulatedDocument = {
      formId: input.formId,
      id: this.nextId++,
      billNo: input.billNo,
      status: input.status ?? 'A',
      workflowBound: input.workflowBound ?? false,
      fields: { FCreateDate: now, FModifyDate: now, FDate: `${now.slice(0, 10)}T00:00:00`, ...input.fields },
      entries: (input.entries ?? []).map((e) => this.withEntryId(e)),
      entities: Object.fromEntries(
        Object.entries(input.entities ?? {}).map(([key, rows]) => [key, rows.map((e) => this.withEntryId(e))]),
      ),
      links: input.links ?? [],
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
    const doc = this.getDocument(formId, billNo);
    if (doc) this.removeDocument(doc);
  }

  /** Calls per operation, rows the queries answered, and per document: calls and effective state changes. */
  stats(): {
    byOperation: Record<string, number>;
    rowsRead: Record<string, number>;
    byDocument: Record<string, Record<string, number>>;
  } {
    return {
      byOperation: Object.fromEntries(this.calls),
      rowsRead: Object.fromEntries(this.rowsRead),
      byDocument: Object.fromEntries(this.perDocument),
    };
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
    const actor = this.userRef(user);
    if (actor) doc.fields.FModifierId = actor;
    if (status === 'C') {
      doc.fields.FApproveDate = now;
      if (actor) doc.fields.FApproverId = actor;
    }
    doc.history.push({
      operation,
      at: now,
      user,
      ...(comment ? { comment } : {}),
      ...(approvalType ? { approvalType } : {}),
    });
    this.count(doc.billNo || `#${doc.id}`, operation);
  }

  /** One effective change to a document, for `stats().byDocument`. */
  count(billNo: string, operation: string): void {
    const entry = this.perDocument.get(billNo) ?? {};
    entry[operation] = (entry[operation] ?? 0) + 1;
    this.perDocument.set(billNo, entry);
  }
}
