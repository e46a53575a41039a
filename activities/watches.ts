/**
 * Pushes without an approval (docs/rules.md `watches`, `deadlines`, `digests`): the activities their workflows call,
 * and how they are set up at start-up.
 *
 * - `checkWatch`: one check of a threshold watch — its Kingdee query read page by page (at most maxRows rows, so at
 *   most maxRows / pageSize ExecuteBillQuery calls), each row evaluated against the condition. The crossing memory
 *   lives in the watch workflow (workflows/watch.ts); this only reports what it saw.
 * - `collectApproverDigests`: what waits for whom, from the approvals list (temporal/approvals.ts list()) and each
 *   approval's state: the morning digest of every person with something to decide.
 * - `collectWeeklyReport`: the 同步体检 figures — approvals completed, decision time per step, problems, Kingdee errors
 *   the watches met, DingTalk messages — and what could not be computed.
 * - `refreshPushSchedules`: the deadline and digest Schedules list their next runs explicitly (working days only,
 *   reminders moved off holidays), so each run extends them; start-up does the same (`syncPushes`).
 *
 * Notices go out through the one delivery path: the workflows call notifyUsers / notifyGroup (activities/dingtalk.ts),
 * which enqueue into the outbox workflows.
 *
 * Longer than the ~500-line guide: the three push features share their Kingdee paging and Schedule set-up here;
 * splitting by feature is the next step when one of them grows.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type CalendarSpec,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
  WorkflowNotFoundError,
  MONTHS,
  DAYS_OF_WEEK,
} from '@temporalio/client';
import type { Logger } from '../common/logger';
import type { KingdeeClient } from '../integrations/kingdee';
import { readUsageFiles, usageTotals } from '../integrations/dingtalk/usage';
import type { Rules } from '../rules';
import type { DeadlineRule, PushTarget as RulesPushTarget, WatchRule } from '../rules/schema';
import type { ApprovalService } from '../temporal/approvals';
import { businessDurationMs, businessTimeBetween } from '../domain/business-hours';
import {
  deadlineReminders,
  scheduleEntriesFor,
  weeklyUtc,
  workingDayTimes,
  type ScheduleEntry,
} from '../domain/deadlines';
import { formatMoney } from '../domain/texts';
import {
  approverDigestSummaryLine,
  deadlineSummaryLine,
  sortDigestItems,
  weeklyReportSummaryLine,
  watchSummaryLine,
  type DigestItem,
  type ReportProblem,
  type StepTiming,
  type WeeklyReport,
} from '../domain/texts/push-notices';
import { cell, cellText, evaluateRow, rowKey, type CrossedRow, type WatchCheck } from '../domain/watch-state';
import {
  deadlineScheduleId,
  digestScheduleId,
  outboxStatusQuery,
  outboxWorkflowId,
  stopWatchSignal,
  watchDefinitionSignal,
  watchStatusQuery,
  watchWorkflowId,
  workflowTypes,
  type ApprovalState,
  type ApproverDigestInput,
  type DeadlineInput,
  type NoticeChannel,
  type OutboxStatus,
  type PushTarget,
  type WatchDefinition,
  type WatchInput,
  type WeeklyReportInput,
} from '../workflows/contract';
import { channelForRobot } from './notices';

export interface WatchActivityDeps {
  kingdee: KingdeeClient;
  rules: Rules;
  approvals: ApprovalService;
  logger: Logger;
  /** The Temporal client and the approvals' task queue (the Schedules and watch workflows run there). */
  outbox: { client: Client; taskQueue: string };
  /** DATA_DIR, where the bridge's processes count their DingTalk calls of the month. */
  dataDir?: string;
}

/** How far ahead the morning digest's Schedule lists working days (each run extends it). */
const digestHorizonDays = 62;
/** Approvals read per digest and per report: bounded, whatever the backlog. */
const maxPendingRead = 500;
const maxCompletedRead = 1_000;
const maxResultsRead = 200;

// ---------------------------------------------------------------------------------------------------------------
// From the rules file to what the workflows run

function resolveTarget(rules: Pick<Rules, 'robots'>, target: RulesPushTarget): PushTarget {
  const robot = target.robot !== undefined ? rules.robots[target.robot] : undefined;
  return { users: target.users, ...(robot && target.robot ? { robot: { name: target.robot, ...robot } } : {}) };
}

function opsTarget(rules: Rules): PushTarget | undefined {
  return rules.ops ? resolveTarget(rules, { users: rules.ops.users, robot: rules.ops.robot }) : undefined;
}

export function watchDefinition(rules: Rules, watch: WatchRule): WatchDefinition {
  const ops = opsTarget(rules);
  return {
    id: watch.id,
    name: watch.name,
    form: watch.form,
    queryFields: watch.queryFields,
    key: watch.key,
    ...(watch.filter ? { filter: watch.filter } : {}),
    condition: watch.condition,
    everyMs: watch.everyMs,
    to: resolveTarget(rules, watch.to),
    ...(watch.text ? { text: watch.text } : {}),
    pageSize: watch.pageSize,
    maxRows: watch.maxRows,
    ...(ops ? { ops } : {}),
    offsetMinutes: rules.calendar.offsetMinutes,
  };
}

export function deadlineInput(rules: Rules, deadline: DeadlineRule): DeadlineInput {
  const { to, ...rest } = deadline;
  return { deadline: rest, to: resolveTarget(rules, to), calendar: rules.calendar };
}

const toCalendarSpec = (entry: ScheduleEntry): CalendarSpec => ({
  year: entry.year,
  month: MONTHS[entry.month - 1] ?? 'JANUARY',
  dayOfMonth: entry.dayOfMonth,
  hour: entry.hour,
  minute: entry.minute,
});

/** The Schedules the rules call for, by id (deadlines with no reminder left have none). */
export function pushSchedules(rules: Rules, taskQueue: string, nowMs: number): ScheduleOptions[] {
  const schedules: ScheduleOptions[] = [];
  const policies = { overlap: 'ALLOW_ALL' as const, catchupWindow: 24 * 3_600_000 };
  for (const deadline of rules.deadlines) {
    const input = deadlineInput(rules, deadline);
    const reminders = deadlineReminders(input.deadline, rules.calendar, nowMs);
    if (reminders.length === 0) continue;
    const args: [DeadlineInput] = [input];
    schedules.push({
      scheduleId: deadlineScheduleId(taskQueue, deadline.id),
      spec: { calendars: scheduleEntriesFor(reminders.map((r) => r.at)).map(toCalendarSpec) },
      action: {
        type: 'startWorkflow',
        workflowType: workflowTypes.deadline,
        workflowId: deadlineScheduleId(taskQueue, deadline.id),
        taskQueue,
        args,
        staticSummary: deadlineSummaryLine(deadline.name),
      },
      policies,
    });
  }
  const approvers = rules.digests.approvers;
  if (approvers) {
    const times = workingDayTimes(rules.calendar, nowMs, approvers.atMinute, digestHorizonDays);
    const args: [ApproverDigestInput] = [
      {
        ...(approvers.urgentAfter ? { urgentAfterMs: businessDurationMs(approvers.urgentAfter, rules.calendar) } : {}),
        maxItems: approvers.maxItems,
        calendar: rules.calendar,
      },
    ];
    if (times.length > 0) {
      schedules.push({
        scheduleId: digestScheduleId(taskQueue, 'approvers'),
        spec: { calendars: scheduleEntriesFor(times).map(toCalendarSpec) },
        action: {
          type: 'startWorkflow',
          workflowType: workflowTypes.approverDigest,
          workflowId: digestScheduleId(taskQueue, 'approvers'),
          taskQueue,
          args,
          staticSummary: approverDigestSummaryLine(),
        },
        policies: { overlap: 'SKIP', catchupWindow: 2 * 3_600_000 },
      });
    }
  }
  const weekly = rules.digests.weekly;
  const weeklyTo = weekly?.to ? resolveTarget(rules, weekly.to) : opsTarget(rules);
  if (weekly && weeklyTo) {
    const at = weeklyUtc(weekly.weekday, weekly.atMinute, rules.calendar.offsetMinutes);
    const args: [WeeklyReportInput] = [{ to: weeklyTo, calendar: rules.calendar }];
    schedules.push({
      scheduleId: digestScheduleId(taskQueue, 'weekly'),
      spec: {
        calendars: [{ dayOfWeek: DAYS_OF_WEEK[at.dayOfWeek] ?? 'MONDAY', hour: at.hour, minute: at.minute }],
      },
      action: {
        type: 'startWorkflow',
        workflowType: workflowTypes.weeklyReport,
        workflowId: digestScheduleId(taskQueue, 'weekly'),
        taskQueue,
        args,
        staticSummary: weeklyReportSummaryLine(),
      },
      policies: { overlap: 'SKIP', catchupWindow: 24 * 3_600_000 },
    });
  }
  return schedules;
}

/** Create the Schedule, or bring an existing one to these options (its paused state and notes stay). */
async function upsertSchedule(client: Client, options: ScheduleOptions): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous): ScheduleUpdateOptions => ({
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
    state: previous.state,
  }));
  return 'updated';
}

/** Our Schedules' id prefixes in this deployment (task queue). */
const schedulePrefixes = (taskQueue: string) => [
  deadlineScheduleId(taskQueue, ''),
  digestScheduleId(taskQueue, 'approvers').replace(/approvers$/, ''),
];

/**
 * Bring the deadline and digest Schedules in line with the rules: create or update each (idempotent: the same rules
 * give the same Schedules), delete ours that the rules no longer call for.
 */
export async function syncPushSchedules(deps: {
  client: Client;
  rules: Rules;
  taskQueue: string;
  logger: Logger;
  nowMs?: number;
}): Promise<{ created: string[]; updated: string[]; deleted: string[] }> {
  const wanted = pushSchedules(deps.rules, deps.taskQueue, deps.nowMs ?? Date.now());
  const outcome = { created: [] as string[], updated: [] as string[], deleted: [] as string[] };
  for (const options of wanted) {
    outcome[(await upsertSchedule(deps.client, options)) === 'created' ? 'created' : 'updated'].push(
      options.scheduleId,
    );
  }
  const ids = new Set(wanted.map((o) => o.scheduleId));
  const prefixes = schedulePrefixes(deps.taskQueue);
  for await (const summary of deps.client.schedule.list()) {
    const id = summary.scheduleId;
    if (ids.has(id) || !prefixes.some((prefix) => id.startsWith(prefix))) continue;
    try {
      await deps.client.schedule.getHandle(id).delete();
      outcome.deleted.push(id);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // another worker process removed it first
    }
  }
  deps.logger.info(outcome, 'deadline and digest schedules in line with the rules');
  return outcome;
}

/** A visibility-query literal, or undefined when the value cannot be written safely (then the query is skipped). */
const literal = (value: string) => (/['"\\]/.test(value) ? undefined : `'${value}'`);

/**
 * Start the watch workflows of the rules (signal-with-start: a running watch keeps its memory and takes the new
 * definition), and tell running watches of this deployment that are no longer in the rules to stop.
 */
export async function syncWatches(deps: {
  client: Client;
  rules: Rules;
  taskQueue: string;
  logger: Logger;
}): Promise<{ running: string[]; stopped: string[] }> {
  const running: string[] = [];
  for (const watch of deps.rules.watches) {
    const definition = watchDefinition(deps.rules, watch);
    const input: WatchInput = { definition };
    const workflowId = watchWorkflowId(deps.taskQueue, watch.id);
    await deps.client.workflow.signalWithStart(workflowTypes.watch, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      signal: watchDefinitionSignal,
      signalArgs: [definition],
      staticSummary: watchSummaryLine(watch.name),
    });
    running.push(workflowId);
  }
  const stopped: string[] = [];
  const queue = literal(deps.taskQueue);
  if (queue) {
    const query = `WorkflowType = '${workflowTypes.watch}' AND TaskQueue = ${queue} AND ExecutionStatus = 'Running'`;
    for await (const info of deps.client.workflow.list({ query })) {
      if (running.includes(info.workflowId)) continue;
      await deps.client.workflow
        .getHandle(info.workflowId)
        .signal(stopWatchSignal, { reason: 'removed from the rules file' })
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
      stopped.push(info.workflowId);
    }
  }
  deps.logger.info({ running, stopped }, 'threshold watches in line with the rules');
  return { running, stopped };
}

/** Everything the rules ask to push without an approval, set up at start-up. */
export async function syncPushes(deps: {
  client: Client;
  rules: Rules;
  taskQueue: string;
  logger: Logger;
}): Promise<void> {
  await syncWatches(deps);
  await syncPushSchedules(deps);
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export function stepTimings(states: readonly Pick<ApprovalState, 'steps'>[]): StepTiming[] {
  const byStep = new Map<string, number[]>();
  for (const state of states) {
    for (const step of state.steps) {
      if (!step.decidedAt) continue;
      const ms = Date.parse(step.decidedAt) - Date.parse(step.startedAt);
      if (!Number.isFinite(ms) || ms < 0) continue;
      byStep.set(step.name, [...(byStep.get(step.name) ?? []), ms]);
    }
  }
  return [...byStep.entries()].map(([step, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { step, count: sorted.length, medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90) };
  });
}

const problemOf = (p: { workflowId: string; billNo?: string; detail?: string; since?: Date }): ReportProblem => ({
  workflowId: p.workflowId,
  ...(p.billNo ? { billNo: p.billNo } : {}),
  ...(p.detail ? { detail: p.detail } : {}),
  ...(p.since ? { since: p.since.getTime() } : {}),
});

export function createWatchActivities(deps: WatchActivityDeps) {
  const { client, taskQueue } = deps.outbox;
  return {
    /** One check of a watch: the query page by page (bounded by maxRows), each row against the condition. */
    async checkWatch({
      definition,
      alertedKeys,
    }: {
      definition: WatchDefinition;
      alertedKeys: string[];
    }): Promise<WatchCheck> {
      const alerted = new Set(alertedKeys);
      const shown = new Set(definition.queryFields);
      const check: WatchCheck = { crossed: [], recovered: [], unknown: [], complete: false, rows: 0, pages: 0 };
      // A stable order across pages: the key fields identify a row.
      const orderString = definition.key.map((field) => `${field} ASC`).join(', ');
      while (check.rows < definition.maxRows) {
        const limit = Math.min(definition.pageSize, definition.maxRows - check.rows);
        const page = await deps.kingdee.executeBillQuery({
          formId: definition.form,
          fieldKeys: definition.queryFields,
          ...(definition.filter ? { filterString: definition.filter } : {}),
          orderString,
          startRow: check.rows,
          limit,
        });
        check.pages += 1;
        check.rows += page.length;
        for (const row of page) {
          const key = rowKey(definition.key, row);
          const verdict = evaluateRow(definition.condition, row);
          if (verdict.state === 'crossed') {
            const values: Record<string, string> = {};
            for (const field of shown) values[field] = cellText(cell(row, field));
            const crossed: CrossedRow = {
              key,
              values,
              value: verdict.value,
              threshold: verdict.threshold,
              direction: verdict.direction,
            };
            check.crossed.push(crossed);
          } else if (alerted.has(key)) {
            (verdict.state === 'ok' ? check.recovered : check.unknown).push(key);
          }
        }
        if (page.length < limit) {
          check.complete = true;
          break;
        }
      }
      deps.logger.info(
        {
          watch: definition.id,
          rows: check.rows,
          pages: check.pages,
          crossed: check.crossed.length,
          complete: check.complete,
        },
        'threshold watch checked',
      );
      return check;
    },

    /** Per person, the approvals waiting for them (urgent first, then oldest), from the approvals list. */
    async collectApproverDigests({
      nowMs,
      urgentAfterMs,
      calendar,
    }: Pick<ApproverDigestInput, 'urgentAfterMs' | 'calendar'> & { nowMs: number }): Promise<
      Array<{ userId: string; name: string; items: DigestItem[] }>
    > {
      const pending = await deps.approvals.list({ stage: 'awaiting-approval', limit: maxPendingRead });
      const people = new Map<string, { name: string; items: DigestItem[] }>();
      const add = (userId: string, name: string, item: DigestItem) => {
        const person = people.get(userId) ?? { name, items: [] };
        person.items.push(item);
        people.set(userId, person);
      };
      for (const approval of pending) {
        const state = await deps.approvals.status(approval.workflowId).catch(() => undefined);
        const step = state?.steps[state.currentStepIndex];
        const document = state?.document;
        if (!state || state.stage !== 'awaiting-approval' || !step || !document) continue;
        const since = Date.parse(step.startedAt);
        const waited = businessTimeBetween(since, nowMs, calendar);
        const urgent =
          step.remindersSent > 0 || step.escalated || (urgentAfterMs !== undefined && waited >= urgentAfterMs);
        const base: DigestItem = {
          workflowId: approval.workflowId,
          formName: document.formName,
          billNo: document.billNo,
          applicant: document.applicant.name,
          amount: formatMoney(document.amount, document.currency),
          stepName: step.name,
          waitingSince: since,
          urgent,
          ...(document.link ? { link: document.link } : {}),
        };
        for (const slot of step.slots) {
          if (slot.decision) continue;
          const assigneeName = step.names[slot.assignee] ?? slot.assignee;
          add(slot.assignee, assigneeName, base);
          for (const delegate of slot.delegates) {
            if (delegate === slot.assignee) continue;
            add(delegate, step.names[delegate] ?? delegate, { ...base, onBehalfOf: assigneeName });
          }
        }
      }
      return [...people.entries()]
        .map(([userId, person]) => ({ userId, name: person.name, items: sortDigestItems(person.items) }))
        .sort((a, b) => a.userId.localeCompare(b.userId));
    },

    /** The weekly 同步体检 figures for [fromMs, toMs], and what could not be computed. */
    async collectWeeklyReport({ fromMs, toMs }: { fromMs: number; toMs: number }): Promise<WeeklyReport> {
      const missing: string[] = [];
      const completedRuns = await deps.approvals.list({ status: 'completed', limit: maxCompletedRead });
      if (completedRuns.length >= maxCompletedRead) {
        missing.push(`已完成的审批超过 ${maxCompletedRead} 张，只统计了读到的 ${maxCompletedRead} 张`);
      }
      const inWeek = completedRuns.filter((run) => {
        const closed = run.closeTime?.getTime();
        return closed !== undefined && closed >= fromMs && closed <= toMs;
      });
      const completed = { total: inWeek.length, approved: 0, rejected: 0, other: 0 };
      for (const run of inWeek) {
        if (run.stage === 'approved') completed.approved += 1;
        else if (run.stage === 'rejected') completed.rejected += 1;
        else completed.other += 1;
      }
      // Decision times: a completed approval's result is its final state (steps with startedAt / decidedAt).
      const states: ApprovalState[] = [];
      for (const run of inWeek.slice(0, maxResultsRead)) {
        try {
          states.push((await client.workflow.getHandle(run.workflowId, run.runId).result()) as ApprovalState);
        } catch (err) {
          deps.logger.warn({ workflowId: run.workflowId, err: String(err) }, 'could not read a completed approval');
        }
      }
      if (inWeek.length > maxResultsRead) {
        missing.push(`审批用时只统计了 ${maxResultsRead} 张（本周共完成 ${inWeek.length} 张）`);
      }
      if (states.length < Math.min(inWeek.length, maxResultsRead)) {
        missing.push(
          `${Math.min(inWeek.length, maxResultsRead) - states.length} 张已完成审批的结果读取失败，未计入用时`,
        );
      }

      let needsAttention: ReportProblem[] = [];
      let failed: ReportProblem[] = [];
      let stuck: ReportProblem[] = [];
      try {
        const problems = await deps.approvals.problems();
        needsAttention = problems.filter((p) => p.kind === 'needs-attention').map(problemOf);
        failed = problems.filter((p) => p.kind === 'failed').map(problemOf);
        stuck = problems.filter((p) => p.kind === 'stuck').map(problemOf);
      } catch (err) {
        missing.push(`需要处理 / 停止 / 未推进的审批：读取失败（${String(err)}）`);
      }

      const watchErrors: WeeklyReport['watchErrors'] = [];
      for (const watch of deps.rules.watches) {
        try {
          const status = await client.workflow.getHandle(watchWorkflowId(taskQueue, watch.id)).query(watchStatusQuery);
          watchErrors.push({
            name: watch.name,
            errors: status.errorTimes.filter((t) => t >= fromMs && t <= toMs).length,
            ...(status.lastError ? { lastError: status.lastError } : {}),
          });
        } catch (err) {
          missing.push(`阈值监控「${watch.name}」的状态读取失败（${String(err)}）`);
        }
      }
      missing.push(
        '审批流程中的金蝶调用错误（读取、写回，含重试后成功的）不在 Temporal 的查询结果里：见 Prometheus 指标 temporal_activity_execution_failed（按 activity_type）',
      );

      const channels: NoticeChannel[] = [
        { kind: 'workNotice' },
        ...Object.entries(deps.rules.robots).map(([name, robot]) => channelForRobot({ name, ...robot })),
      ];
      const dingtalk = { messages: 0, notices: 0, rateLimited: 0, uncertain: 0, failed: 0 };
      const seen = new Set<string>();
      for (const channel of channels) {
        const id = outboxWorkflowId(taskQueue, channel);
        if (seen.has(id)) continue;
        seen.add(id);
        const status: OutboxStatus | undefined = await client.workflow
          .getHandle(id)
          .query(outboxStatusQuery)
          .catch(() => undefined);
        if (!status) continue;
        dingtalk.messages += status.totals.messages;
        dingtalk.notices += status.totals.notices;
        dingtalk.rateLimited += status.totals.rateLimited;
        dingtalk.uncertain += status.totals.uncertain;
        dingtalk.failed += status.totals.failed;
      }
      let dingtalkMonth: WeeklyReport['dingtalkMonth'];
      if (deps.dataDir) {
        const usage = usageTotals(readUsageFiles(deps.dataDir), toMs);
        dingtalkMonth = {
          month: usage.month,
          api: usage.api,
          webhookStream: usage.webhookStream,
          projectedApi: usage.projected.api,
          projectedWebhookStream: usage.projected.webhookStream,
        };
        missing.push(
          '本月钉钉调用次数只含与本进程共用数据目录（DATA_DIR）的进程；分开部署时 API 进程的回调计数在它自己的数据目录，见其 /metrics',
        );
      } else {
        missing.push('本月钉钉调用次数：未配置数据目录（DATA_DIR），无法读取调用计数');
      }

      return {
        from: fromMs,
        to: toMs,
        completed,
        stepTimes: stepTimings(states),
        sampled: states.length,
        needsAttention,
        failed,
        stuck,
        watchErrors,
        dingtalk,
        ...(dingtalkMonth ? { dingtalkMonth } : {}),
        missing,
      };
    },

    /** Extend the deadline and digest Schedules with the worker's rules (each run calls this). */
    async refreshPushSchedules(): Promise<void> {
      await syncPushSchedules({ client, rules: deps.rules, taskQueue, logger: deps.logger });
    },
  };
}
