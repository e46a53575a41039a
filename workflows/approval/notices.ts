/**
 * The notices an approval sends to people — the applicant's, and those to rules-file targets (follow-ups, overdue
 * notices) — each part sent once even when its phase is retried, and never skipped silently: an applicant DingTalk
 * cannot find gets a log entry saying so. Also keeps which other side effects are done (`once`, `firstTime`).
 */
import type * as texts from '../../domain/texts';
import * as approvalTexts from '../../domain/texts/approval';
import type { NewDecisionLogEntry } from '../../domain/decision-log';
import type { DocumentSummary } from '../../domain/document';
import type { ResolvedTarget } from '../../rules/plan';
import type { NoticeHandOver, Person } from '../contract';
import { approvalPatches, type ApprovalPatches } from './patches';
import { inline, io, notify, notifyInline } from './proxies';

export interface NoticesHost {
  document(): DocumentSummary;
  /** Everyone asked on any step (a target with `approvers: true`). */
  approvers(): string[];
  record(entry: Omit<NewDecisionLogEntry, 'at'>): void;
}

export class ApprovalNotices {
  private readonly done = new Set<string>();
  /** The applicant in DingTalk (null: not found), looked up once even when several notices ask at the same time. */
  private applicant?: Promise<Person | null>;

  constructor(
    private readonly patches: ApprovalPatches,
    private readonly host: NoticesHost,
  ) {}

  /** Runs a side effect unless it is done already (a retried phase must not repeat it). */
  async once(key: string, effect: () => Promise<unknown>): Promise<void> {
    if (this.done.has(key)) return;
    await effect();
    this.done.add(key);
  }

  /** True the first time it is asked for `key` (for log entries written once). */
  firstTime(key: string): boolean {
    if (this.done.has(key)) return false;
    this.done.add(key);
    return true;
  }

  /** The applicant's notice; when they cannot be found in DingTalk, the log says so (never a silent skip). */
  async tellApplicant(notice: texts.Notice, key: string): Promise<void> {
    await this.once(`applicant:${key}`, async () => {
      const applicant = await this.findApplicant();
      if (applicant) await this.notify().notifyUsers({ userIds: [applicant.userId], notice });
      else this.applicantNotTold(notice);
    });
  }

  /**
   * A notice to a rules-file target: its robot and/or people (the applicant too when `toApplicant`). `key`: which
   * notice it is, so a retried phase sends each part once.
   */
  async tell(target: ResolvedTarget, notice: texts.Notice, key: string, toApplicant: boolean): Promise<void> {
    const robot = target.robot;
    if (robot) await this.once(`${key}:robot`, () => this.notify().notifyGroup({ robot, notice }));
    await this.once(`${key}:users`, async () => {
      const userIds = this.targetUsers(target);
      if (toApplicant) {
        const applicant = await this.findApplicant();
        if (applicant) userIds.add(applicant.userId);
        else this.applicantNotTold(notice);
      }
      if (userIds.size > 0) await this.notify().notifyUsers({ userIds: [...userIds], notice });
    });
    this.recordTold(target, notice, key);
  }

  /**
   * The applicant's notice and notices to rules-file targets, handed over in one local activity
   * (approvalPatches.finishNoticesTogether) — what tellApplicant and tell do for each, with the same once-keys, log
   * entries and applicant lookup, in one activation of the workflow instead of one per lookup and hand-over. Only
   * what is not done yet goes; all of it is done when the activity returns (its retry repeats their ids, so the
   * outbox drops what it has).
   */
  async tellTogether(
    applicant: { notice: texts.Notice; key: string },
    targets: Array<{ target: ResolvedTarget; notice: texts.Notice; key: string; toApplicant: boolean }>,
  ): Promise<void> {
    const parts: Array<{ done: string; item: NoticeHandOver }> = [];
    const applicantKey = `applicant:${applicant.key}`;
    if (!this.done.has(applicantKey))
      parts.push({
        done: applicantKey,
        item: { key: applicantKey, notice: applicant.notice, userIds: [], applicant: true },
      });
    for (const { target, notice, key, toApplicant } of targets) {
      const robot = target.robot;
      if (robot && !this.done.has(`${key}:robot`))
        parts.push({ done: `${key}:robot`, item: { key, notice, robot, userIds: [], applicant: false } });
      if (!this.done.has(`${key}:users`)) {
        const userIds = [...this.targetUsers(target)];
        parts.push({ done: `${key}:users`, item: { key, notice, userIds, applicant: toApplicant } });
      }
    }
    if (parts.length > 0) {
      const { applicant: found } = await notifyInline.handOverNotices({
        applicantOf: this.host.document(),
        items: parts.map((part) => part.item),
      });
      for (const part of parts) {
        if (part.item.applicant && !found) this.applicantNotTold(part.item.notice);
        this.done.add(part.done);
      }
    }
    for (const { target, notice, key } of targets) this.recordTold(target, notice, key);
  }

  /** A target's people: its users, and everyone asked on any step when it says `approvers: true`. */
  private targetUsers(target: ResolvedTarget): Set<string> {
    const userIds = new Set(target.users);
    if (target.approvers) for (const id of this.host.approvers()) userIds.add(id);
    return userIds;
  }

  /** The log's entry for a target's notice, written once. */
  private recordTold(target: ResolvedTarget, notice: texts.Notice, key: string): void {
    if (!this.firstTime(`${key}:recorded`)) return;
    this.host.record({
      actor: 'system',
      action: 'notify',
      channel: target.robot ? 'robot' : 'workNotice',
      comment: notice.title,
    });
  }

  private findApplicant(): Promise<Person | null> {
    // A lookup that failed is asked again next time (the phase's retry), not remembered.
    this.applicant ??= (this.inline() ? inline : io)
      .findApplicant({ document: this.host.document() })
      .catch((err: unknown) => {
        this.applicant = undefined;
        throw err;
      });
    return this.applicant;
  }

  private inline(): boolean {
    return this.patches.has(approvalPatches.noticesInline);
  }

  private notify(): typeof notify {
    return this.inline() ? notifyInline : notify;
  }

  private applicantNotTold(notice: texts.Notice): void {
    this.host.record({
      actor: 'system',
      action: 'notify',
      channel: 'workNotice',
      comment: approvalTexts.applicantNotToldComment(notice.title, this.host.document().applicant),
      details: { skipped: 'applicantNotFound' },
    });
  }
}
