/**
 * One poll of one Kingdee form (the poller workflow calls it every few seconds): find documents modified since the
 * cursor (minus an overlap that absorbs clock skew and late commits), start approvals for those awaiting one, tell
 * running approvals about status changes, and fire the notification-only rules. Every action is idempotent, so a
 * retried poll or an overlapping window never starts or notifies twice.
 */
import type { Logger } from '../common/logger';
import type { NotificationRule, Rules } from '../rules';
import { currencyCodes, formProfiles, type KingdeeClient } from '../integrations/kingdee';
import { polledSummaryLine } from '../domain/texts';
import type { ApprovalService } from '../temporal/approvals';
import type { PollerInput, PollResult } from '../workflows/contract';
import { isAwaitingApproval, isDocumentStatus, type DocumentStatus } from '../domain/document';

export interface IngestionDeps {
  approvals: ApprovalService;
  /** Fires a notification-only rule for a document (rate-limited by the caller's limiter). */
  notifyRule?: (rule: NotificationRule, row: ChangedDocument) => Promise<boolean>;
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

export function createPollActivity(deps: IngestionDeps & { kingdee: KingdeeClient; rules: Rules; logger: Logger }) {
  return async function pollForm(input: PollerInput): Promise<PollResult> {
    const offset = deps.rules.calendar.offsetMinutes;
    const from = input.cursor ? kingdeeLocalToMs(input.cursor, offset) - input.overlapMs : Date.now() - input.overlapMs;
    const since = msToKingdeeLocal(from, offset);
    const rules = deps.rules.notifications.filter((rule) => rule.form === input.formId);
    const thresholdFields = rules.flatMap((rule) => (rule.trigger.kind === 'threshold' ? [rule.trigger.field] : []));
    // Enough of the head to name the approval in the Temporal Web UI: "费用报销单 FYBX000123 · ¥12,800.00 · 张三".
    const profile = formProfiles[input.formId];
    const summaryFields = profile
      ? [profile.amountField, `${profile.applicantField}.FName`, `${profile.currencyField}.FNumber`]
      : [];
    const fieldKeys = [
      ...new Set(['FID', 'FBillNo', 'FDocumentStatus', 'FModifyDate', ...summaryFields, ...thresholdFields]),
    ];

    const seen = new Set(input.seen ?? []);
    const lastStatus = { ...(input.lastStatus ?? {}) };
    let cursor = input.cursor;
    let started = 0;
    let signalled = 0;
    let notified = 0;
    for await (const row of deps.kingdee.queryAll({
      formId: input.formId,
      fieldKeys,
      // The first poll also takes every document already awaiting approval, however old its last change.
      filterString: input.cursor ? `FModifyDate >= '${since}'` : `FModifyDate >= '${since}' OR FDocumentStatus = 'B'`,
      orderString: 'FModifyDate ASC, FID ASC',
    })) {
      const document = toChangedDocument(input, row);
      if (!document) {
        deps.logger.warn({ formId: input.formId, row }, 'skipped a Kingdee row without bill number, status or date');
        continue;
      }
      if (!cursor || document.modifyDate > cursor) cursor = document.modifyDate;
      const version = `${document.billNo}|${document.modifyDate}|${document.status}`;
      if (seen.has(version)) continue;
      document.previousStatus = lastStatus[document.billNo];

      const ref = { acctId: input.acctId, formId: input.formId, billNo: document.billNo, billId: document.billId };
      if (isAwaitingApproval(document.status)) {
        const result = await deps.approvals.start(ref, {
          modifyDate: document.modifyDate,
          summary: summaryOf(input.formId, row),
        });
        if (result.started) started += 1;
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
      lastStatus[document.billNo] = document.status;
    }

    // Forget versions older than the window the next poll looks at.
    const horizon = cursor ? kingdeeLocalToMs(cursor, offset) - input.overlapMs : 0;
    const keep = [...seen].filter((v) => {
      const date = v.split('|')[1];
      return date !== undefined && kingdeeLocalToMs(date, offset) >= horizon;
    });
    const statusEntries = Object.entries(lastStatus);
    const trimmedStatus = Object.fromEntries(statusEntries.slice(Math.max(0, statusEntries.length - 5_000)));
    return { cursor, seen: keep, lastStatus: trimmedStatus, started, signalled, notified };
  };
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
