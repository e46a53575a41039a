/**
 * The statuses this process's write-backs gave documents, kept for two minutes. Kingdee moves a document's
 * FModifyDate when it is audited, so the next poll reads every approved document again; the change it sees is the
 * one the approval made itself, which the approval knows (it has ended, or is finishing). Without this the poll
 * signalled it back: in a month-end burst one more signal for every approval, and one more workflow task for each
 * still running. A write-back in another worker process is not known here; its documents are signalled as before,
 * which the approval ignores.
 *
 * A bill seen again at another status, awaiting approval again, or planned again is forgotten at once: a new round's
 * approval must hear of an audit made in Kingdee. What this process cannot see — the new round started and planned
 * by another worker process, and audited in Kingdee, all within the two minutes — leaves that approval waiting until
 * its approver's click finds the bill audited and ends it.
 */
import type { DocumentStatus } from '../domain/document';

interface BillRef {
  acctId: string;
  formId: string;
  billNo: string;
}

export class OwnWriteBacks {
  /** Bill → the status written and when, oldest first (a Map keeps insertion order). */
  private readonly written = new Map<string, { status: DocumentStatus; at: number }>();
  private readonly keepMs: number;
  private readonly max: number;
  private readonly now: () => number;

  /** `keepMs`: long enough for the next polls (default 2 minutes); `max`: bills kept at most. */
  constructor(options: { keepMs?: number; max?: number; now?: () => number } = {}) {
    this.keepMs = options.keepMs ?? 2 * 60_000;
    this.max = options.max ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** A write-back of this process left the bill at `status` (done now, or found already done). */
  remember(bill: BillRef, status: DocumentStatus): void {
    const key = keyOf(bill);
    this.written.delete(key); // re-inserted as the newest
    this.written.set(key, { status, at: this.now() });
    this.forgetOld();
  }

  /**
   * Whether the bill is at `status` because a write-back of this process put it there a short while ago. Seen at
   * another status, it has changed since: forgotten.
   */
  gave(bill: BillRef, status: DocumentStatus): boolean {
    this.forgetOld();
    const key = keyOf(bill);
    const entry = this.written.get(key);
    if (entry && entry.status !== status) this.written.delete(key);
    return entry?.status === status;
  }

  /** The bill is in a new round (awaiting approval again, or being planned): its next audit is not ours. */
  forget(bill: BillRef): void {
    this.written.delete(keyOf(bill));
  }

  private forgetOld(): void {
    const horizon = this.now() - this.keepMs;
    for (const [key, entry] of this.written) {
      if (entry.at >= horizon && this.written.size <= this.max) break;
      this.written.delete(key);
    }
  }
}

function keyOf(bill: BillRef): string {
  return `${bill.acctId}|${bill.formId}|${bill.billNo}`;
}
