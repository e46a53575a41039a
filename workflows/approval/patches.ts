/**
 * The approval workflow's patches (Temporal's versioning of workflow code), in one place, and the bundles that stand
 * for them. A run started with this code records one marker, the newest bundle's, instead of one per patch: each
 * patch a run asks for costs it a marker and an upsert of the TemporalChangeVersion search attribute — seven of each
 * for every approval, a fifth of its history and of the actions Temporal bills. A run begun before the bundles asks
 * for each patch on its own, exactly as when it ran (replay finds the markers it recorded then, or none).
 *
 * A new patch is asked on its own (`has` falls through to `patched`) until a new bundle id covers it; a bundle's id
 * never gets a new patch added, or a run that recorded it would take a path it never took.
 */
import { patched } from '@temporalio/workflow';

export const approvalPatches = {
  /** Closing an approval (the document left approval in Kingdee) also tells the applicant. */
  closeTellsApplicant: 'close-tells-applicant',
  /** A final action's notice to a target with `applicant: true` reaches the applicant. */
  overdueTellsApplicant: 'overdue-tells-applicant',
  /** Each submission round (run) of a document gets cards of its own (the round is part of the outTrackId). */
  cardPerRound: 'card-per-round',
  /** Each pending approver gets a DingTalk 待办, closed when they decide, the step ends or the approval ends. */
  todos: 'approval-todos',
  /**
   * After the write-back, the card refresh, the 待办 closing and the notices start together — they go to different
   * people and wait on nothing but the write-back, and together they cost one workflow task, not one each.
   */
  finishTogether: 'finish-together',
  /**
   * The decision that settles the approval refreshes the cards together with the write-back, not before it — Kingdee
   * is written one card update sooner (the approver's own card already shows the decision: the callback's answer).
   */
  writeBackWithCards: 'write-back-with-cards',
  /**
   * Planning and the approvers' lookup run as local activities, inside the workflow task that asks for them — a new
   * approval reaches its first card in one workflow task instead of three (a burst's limit is workflow tasks). Chosen
   * once, when the run starts: a run begun before keeps its activities to the end.
   */
  planInline: 'plan-inline',
  /**
   * The settling refresh leaves the clicker's card alone when the API confirms that the callback's answer already
   * shows it (cardAnsweredSignal) — one metered DingTalk call less per approval. The finishing refresh gives the
   * confirmation up to cardAnswerWaitMs (cards.ts), then updates the card as before.
   */
  cardAnswers: 'card-answers',
  /**
   * The applicant's lookup and the notices' hand-over to their outboxes run as local activities, inside the workflow
   * task that asks for them — an approval's last notices cost no workflow tasks of their own. The lookup is cached by
   * the client; the hand-over is one signal to Temporal.
   */
  noticesInline: 'notices-inline',
  /**
   * A decision that does not settle the approval leaves the clicker's card alone when the API confirms that the
   * callback's answer shows it, as the settling one does (cardAnswers); unconfirmed within cardAnswerWaitMs, the card
   * is updated.
   */
  stepCardAnswers: 'step-card-answers',
  /**
   * The overview upserts only the search attributes that changed and the memo only when its summary changed
   * (overview.ts): four to five fewer history events and visibility writes per approval.
   */
  overviewChangesOnly: 'overview-changes-only',
  /**
   * The decision that settles the approval closes the step's 待办 together with the write-back, not before it: the
   * write-back no longer waits for the close (then on the rate-limited card-updates queue) and a workflow task more.
   */
  todosWithWriteBack: 'todos-with-write-back',
  /**
   * A step's 待办 are created beside its decisions, not before them: an approver who has the card decides while the
   * 待办 still wait for DingTalk's rate on their queue (a month-end burst with approvers taking two seconds: click →
   * audited p99 40 s when the decisions waited). Closing them waits for the creation.
   */
  todosBesideDecisions: 'todos-beside-decisions',
  /**
   * Planning also resolves the first step's approvers, in the same local activity (planApprovalWithApprovers): each
   * local activity's result is an activation of the workflow, and a burst's limit is the worker's one workflow
   * thread. Approvers it cannot resolve are left to the step, which resolves them itself as before.
   */
  planWithApprovers: 'plan-with-approvers',
  /**
   * The finish hands the applicant's notice and the follow-ups over in one local activity (handOverNotices: the
   * applicant looked up once inside it), not one lookup and one hand-over each — three activations of the workflow
   * become one.
   */
  finishNoticesTogether: 'finish-notices-together',
} as const;
export type ApprovalPatch = (typeof approvalPatches)[keyof typeof approvalPatches];

/** The patches that came after bundle 12e: every older bundle came before them too. */
const after12e = [approvalPatches.planWithApprovers, approvalPatches.finishNoticesTogether];

/**
 * The bundles, newest first: a run started now records the first; a run that recorded an older one keeps what it
 * covers. A bundle's list never changes.
 */
const bundles: ReadonlyArray<{ id: string; covers: ReadonlySet<ApprovalPatch> }> = [
  { id: 'approval-patches-2026-12f', covers: allBut() },
  {
    id: 'approval-patches-2026-12e',
    covers: allBut(...after12e),
  },
  { id: 'approval-patches-2026-12d', covers: allBut(approvalPatches.todosBesideDecisions, ...after12e) },
  {
    id: 'approval-patches-2026-12c',
    covers: allBut(approvalPatches.todosWithWriteBack, approvalPatches.todosBesideDecisions, ...after12e),
  },
  {
    id: 'approval-patches-2026-12b',
    covers: allBut(
      approvalPatches.overviewChangesOnly,
      approvalPatches.todosWithWriteBack,
      approvalPatches.todosBesideDecisions,
      ...after12e,
    ),
  },
  {
    id: 'approval-patches-2026-12',
    covers: allBut(
      approvalPatches.stepCardAnswers,
      approvalPatches.overviewChangesOnly,
      approvalPatches.todosWithWriteBack,
      approvalPatches.todosBesideDecisions,
      ...after12e,
    ),
  },
];

/**
 * Every patch but the ones a bundle came before — so a new patch is added to every older bundle's `later` (as
 * after12e), or their runs would take its path on replay.
 */
function allBut(...later: ApprovalPatch[]): ReadonlySet<ApprovalPatch> {
  return new Set(Object.values(approvalPatches).filter((patch) => !later.includes(patch)));
}

export class ApprovalPatches {
  /**
   * Asked once, in the run's first workflow task: the constructor must run there (the workflow's start). Newest first
   * and no further once one is found, so a new run records only the newest.
   */
  private readonly covered = bundles.find((bundle) => patched(bundle.id))?.covers ?? new Set<ApprovalPatch>();

  /** Whether this run takes the patch's path (a marker is recorded only for a run without a bundle covering it). */
  has(patch: ApprovalPatch): boolean {
    return this.covered.has(patch) || patched(patch);
  }
}
