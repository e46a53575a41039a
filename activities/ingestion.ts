/**
 * One poll of one Kingdee form (the poller workflow calls it every few seconds): find documents modified since the
 * cursor (minus an overlap that absorbs clock skew and late commits; a poll a push asked for between the interval's
 * reads from the cursor itself, and the pushed bills by number), start approvals for those awaiting one, tell
 * running approvals about status changes, and fire the notification-only rules. Every action is idempotent, so a
 * retried poll or an overlapping window never starts or notifies twice.
 *
 * At scale (a month-end burst): one call reads one page of at most `pageSize` rows (500) in the window's order
 * (FModifyDate, FID); a full page returns `next` and the poller reads the following page at once, so a burst of
 * 1,000 documents is two ExecuteBillQuery calls, not one activity of unbounded length. Pages continue after the last
 * row read (keyset: FModifyDate, then FID) rather than at a StartRow, because a document that changes while the
 * window is read moves to its end and would shift every later row by one, skipping a document at a page boundary.
 * The approvals of a page start `startConcurrency` at a time, paced by the planning window (temporal/planning-window.ts):
 * no faster than the workers pick up their first workflow tasks, so a burst waits here, in Kingdee's order, rather
 * than as a thousand tasks in Temporal's queue ahead of everything else on it.
 *
 * Kingdee calls per document (docs: README "Capacity"): this query is the only read ingestion makes, shared by a
 * page of documents; it also reads the applicant's mobile (`<applicant>.FMobile`), which the approval receives as
 * `document.polled` so planning reads the document once (View) and looks nobody up again.
 */
import type { Logger } from '../common/logger';
import { currentContext } from './failures';
import type { NotificationRule, Rules } from '../rules';
import { currencyCodes, formProfiles, type KingdeeClient } from '../integrations/kingdee';
import { polledSummaryLine } from '../domain/texts';
import type { ApprovalService } from '../temporal/approvals';
import type { OwnWriteBacks } from './own-write-backs';
import type { PollerInput, PollPage, PollResult } from '../workflows/contract';
import { isAwaitingApproval, isDocumentStatus, type DocumentStatus } from '../domain/document';

export interface IngestionDeps {
  approvals: ApprovalService;
  /** Fires a notification-only rule for a document (rate-limited by the caller's limiter). */
  notifyRule?: (rule: NotificationRule, row: ChangedDocument) => Promise<boolean>;
  /** What this process's write-backs did: the approval made those changes itself and is not told of them. */
  ownWriteBacks?: OwnWriteBacks;
}

export interface ChangedDocument {
  acctId: string;
  formId: string;
  billId: string;
  billNo: string;
  status: DocumentStatus;
  modifyDate: string;
  previousStatus?: string;
  fields: Record<string, unknown>;
}

/** Kingdee datetimes have no offset (server-local): convert with the calendar's offset. */
export function kingdeeLocalToMs(text: string, offsetMinutes: number): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`unexpected Kingdee datetime "${text}"`);
  const [, y, mo, d, h, mi, s, frac = '0'] = match;
  const ms = Number(`0.${frac}`) * 1000;
  return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, Math.round(ms)) - offsetMinutes * 60_000;
}

export function msToKingdeeLocal(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString(); // 2026-11-24T10:00:00.000Z
  return `${local.slice(0, 10)} ${local.slice(11, 19)}`;
}

/** Rows per ExecuteBillQuery page. */
export const pollPageSize = 500;
/** Approvals of a page being started at once (usually one call to Temporal each). */
export const startConcurrency = 16;
/**
 * How long a poll paces its starts (the planning window): half its activity's start-to-close limit (60 s of the
 * poller's 2 minutes; 60 s outside an activity). A page that takes longer on a slow worker starts the rest without
 * waiting — else the poll would time out, and its retry wait again for the documents it had started, and time out
 * again.
 */
function pacingBudgetMs(): number {
  const limitMs = currentContext()?.info.startToCloseTimeoutMs;
  return limitMs ? limitMs / 2 : 60_000;
}

export function createPollActivity(deps: IngestionDeps & { kingdee: KingdeeClient; rules: Rules; logger: Logger }) {
  return async function pollForm(input: PollerInput): Promise<PollResult> {
    const paceUntil = Date.now() + pacingBudgetMs();
    const offset = deps.rules.calendar.offsetMinutes;
    const pageSize = input.pageSize ?? pollPageSize;
    const from = input.cursor ? kingdeeLocalToMs(input.cursor, offset) - input.overlapMs : Date.now() - input.overlapMs;
    // A new window, or the rest of the one a full page left off (its bounds stay those of its first page). A push's
    // poll starts at the cursor as Kingdee wrote it (to the millisecond, as `seen` is cut: versions at or after it).
    const window =
      input.page ??
      (input.readFromCursor && input.cursor
        ? { since: kingdeeText(input.cursor), includeAwaiting: false }
        : { since: msToKingdeeLocal(from, offset), includeAwaiting: !input.cursor });
    const rules = deps.rules.notifications.filter((rule) => rule.form === input.formId);
    const thresholdFields = rules.flatMap((rule) => (rule.trigger.kind === 'threshold' ? [rule.trigger.field] : []));
    // Enough of the head to name the approval in the Temporal Web UI: "费用报销单 FYBX000123 · ¥12,800.00 · 张三",
    // and the applicant's mobile, so planning need not look it up (KingdeeDocument.applicant.mobile).
    const profile = formProfiles[input.formId];
    const summaryFields = profile
      ? [
          profile.amountField,
          `${profile.applicantField}.FName`,
          `${profile.applicantField}.FMobile`,
          `${profile.currencyField}.FNumber`,
        ]
      : [];
    const fieldKeys = [
      ...new Set(['FID', 'FBillNo', 'FDocumentStatus', 'FModifyDate', ...summaryFields, ...thresholdFields]),
    ];
    // Pushed bills are read whatever their date: a transaction that committed late is stamped before the cursor.
    const pushed = (input.pushedBills ?? []).map((billNo) => `'${billNo.replace(/'/g, "''")}'`);
    const windowParts = [
      `FModifyDate >= '${window.since}'`,
      ...(window.includeAwaiting ? [`FDocumentStatus = 'B'`] : []),
      ...(pushed.length > 0 ? [`FBillNo IN (${pushed.join(',')})`] : []),
    ];
    const windowFilter = windowParts.length > 1 ? `(${windowParts.join(' OR ')})` : windowParts[0]!;
    const after = input.page?.after;
    const filterString = after
      ? `${windowFilter} AND (FModifyDate > '${kingdeeText(after.modifyDate)}' OR (FModifyDate = '${kingdeeText(after.modifyDate)}' AND FID > ${idLiteral(after.billId)}))`
      : windowFilter;

    const rows = await deps.kingdee.executeBillQuery({
      formId: input.formId,
      fieldKeys,
      filterString,
      orderString: 'FModifyDate ASC, FID ASC',
      limit: pageSize,
    });

    const seen = new Set(input.seen ?? []);
    // Only a statusBecomes rule needs a bill's previous status, and only to know it was already at the rule's status:
    // so only bills at such a status are remembered (none for a form without such rules), and every poll carries
    // that much and no more — a month-end burst's bills no longer ride along in each poll's input and result.
    const watchedStatuses = new Set<string>(
      rules.flatMap((rule) => (rule.trigger.kind === 'statusBecomes' ? [rule.trigger.status] : [])),
    );
    const lastStatus: Record<string, string> = {};
    for (const [billNo, status] of Object.entries(input.lastStatus ?? {}))
      if (watchedStatuses.has(status)) lastStatus[billNo] = status;
    let cursor = input.cursor;
    let started = 0;
    let signalled = 0;
    let notified = 0;
    const todo: Array<{ document: ChangedDocument; row: Record<string, unknown>; version: string }> = [];
    for (const row of rows) {
      const document = toChangedDocument(input, row);
      if (!document) {
        deps.logger.warn({ formId: input.formId, row }, 'skipped a Kingdee row without bill number, status or date');
        continue;
      }
      if (!cursor || document.modifyDate > cursor) cursor = document.modifyDate;
      const version = `${document.billNo}|${document.modifyDate}|${document.status}`;
      if (seen.has(version)) continue;
      document.previousStatus = lastStatus[document.billNo];
      todo.push({ document, row, version });
    }

    await eachLimited(todo, startConcurrency, async ({ document, row, version }) => {
      const ref = { acctId: input.acctId, formId: input.formId, billNo: document.billNo, billId: document.billId };
      if (isAwaitingApproval(document.status)) {
        deps.ownWriteBacks?.forget(ref); // a new round: its audit, when it comes, is not the last round's
        const applicantMobile = profile ? cellText(row[`${profile.applicantField}.FMobile`]).trim() : '';
        const result = await deps.approvals.start(
          { ...ref, ...(applicantMobile ? { polled: { applicantMobile } } : {}) },
          { modifyDate: document.modifyDate, summary: summaryOf(input.formId, row), paceUntil },
        );
        if (result.started) started += 1;
      } else if (deps.ownWriteBacks?.gave(ref, document.status)) {
        // The approval's own write-back (own-write-backs.ts): nothing to tell it.
      } else if (
        await deps.approvals.documentChanged(ref, {
          status: document.status,
          modifyDate: document.modifyDate,
          source: 'poll',
        })
      ) {
        signalled += 1;
      }
      for (const rule of rules) {
        if (triggers(rule, document) && (await deps.notifyRule?.(rule, document))) notified += 1;
      }
      // Only now: a failure above retries the poll, and this version is handled again.
      seen.add(version);
      if (watchedStatuses.has(document.status)) lastStatus[document.billNo] = document.status;
      else delete lastStatus[document.billNo];
    });

    // Forget versions older than the window the next poll looks at.
    const horizon = cursor ? kingdeeLocalToMs(cursor, offset) - input.overlapMs : 0;
    const keep = [...seen].filter((v) => {
      const date = v.split('|')[1];
      return date !== undefined && kingdeeLocalToMs(date, offset) >= horizon;
    });
    const statusEntries = Object.entries(lastStatus);
    const trimmedStatus = Object.fromEntries(statusEntries.slice(Math.max(0, statusEntries.length - 5_000)));
    const last = rows.length > 0 ? rows[rows.length - 1] : undefined;
    const next: PollPage | undefined =
      rows.length >= pageSize && last
        ? {
            since: window.since,
            includeAwaiting: window.includeAwaiting,
            after: { modifyDate: cellText(last.FModifyDate), billId: cellText(last.FID) },
          }
        : undefined;
    return { cursor, seen: keep, lastStatus: trimmedStatus, started, signalled, notified, ...(next ? { next } : {}) };
  };
}

/** Runs `task` for every item, at most `limit` at once; the first failure is thrown once all have stopped. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed) throw failure;
}

/** A Kingdee datetime as a filter literal: Kingdee's 'T' separator as a space, quotes doubled. */
function kingdeeText(value: string): string {
  return value.replace('T', ' ').replace(/'/g, "''");
}

/** An FID in a filter: a number as it is, anything else quoted. */
function idLiteral(id: string): string {
  return /^\d+$/.test(id) ? id : `'${id.replace(/'/g, "''")}'`;
}

/** A Kingdee query cell as text: '' for nothing, primitives printed, anything structured as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

function summaryOf(formId: string, row: Record<string, unknown>): string | undefined {
  const profile = formProfiles[formId];
  if (!profile) return undefined;
  const amount = Number(row[profile.amountField] ?? 0);
  const currencyNumber = cellText(row[`${profile.currencyField}.FNumber`]).trim();
  const applicant = cellText(row[`${profile.applicantField}.FName`]).trim();
  return polledSummaryLine({
    formName: profile.name,
    billNo: cellText(row.FBillNo),
    amount,
    currency: currencyCodes[currencyNumber] ?? (currencyNumber || 'CNY'),
    applicantName: applicant,
  });
}

function toChangedDocument(input: PollerInput, row: Record<string, unknown>): ChangedDocument | undefined {
  const billNo = typeof row.FBillNo === 'string' ? row.FBillNo.trim() : '';
  const status = typeof row.FDocumentStatus === 'string' ? row.FDocumentStatus.trim() : '';
  const modifyDate = typeof row.FModifyDate === 'string' ? row.FModifyDate : '';
  if (!billNo || !isDocumentStatus(status) || !modifyDate) return undefined;
  return {
    acctId: input.acctId,
    formId: input.formId,
    billId: cellText(row.FID),
    billNo,
    status,
    modifyDate,
    fields: row,
  };
}

function triggers(rule: NotificationRule, document: ChangedDocument): boolean {
  const trigger = rule.trigger;
  switch (trigger.kind) {
    case 'anyChange':
      return true;
    case 'statusBecomes':
      return document.status === trigger.status && document.previousStatus !== trigger.status;
    case 'threshold': {
      const value = Number(document.fields[trigger.field]);
      if (!Number.isFinite(value)) return false;
      return (
        (trigger.below !== undefined && value < trigger.below) || (trigger.above !== undefined && value > trigger.above)
      );
    }
  }
}
