/**
 * Prometheus metrics: our own counters and latency histograms, plus the Temporal worker's (the SDK's Rust core
 * serves those on a local port; /metrics appends them so one scrape sees everything).
 */
import axios from 'axios';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { dingtalkQuotaKind, type DingTalkUsage } from '../integrations/dingtalk/usage';
import type { OutboxStatus } from '../workflows/contract';

/** One notice outbox as /metrics shows it: its channel's label and its status (none: never started). */
export interface OutboxReading {
  channel: string;
  status?: OutboxStatus;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpLatency: Histogram<'route' | 'method'>;
  readonly decisions: Counter<'channel' | 'outcome'>;
  readonly decisionLatency: Histogram<'channel'>;
  readonly pushEvents: Counter<'outcome'>;
  readonly callbacksRejected: Counter<'endpoint' | 'reason'>;
  readonly decisionJournalPending: Gauge;
  private journalPending: () => number = () => 0;
  readonly dingtalkCalls: Counter<'api' | 'quota'>;
  private dingtalkUsage?: { usage: DingTalkUsage; quotas: { api: number; webhookStream: number } };
  private outboxes: () => Promise<OutboxReading[]> = async () => [];

  constructor(private readonly workerMetricsUrl?: string) {
    collectDefaultMetrics({ register: this.registry, prefix: 'kdb_process_' });
    this.httpRequests = new Counter({
      name: 'kdb_http_requests_total',
      help: 'HTTP requests served by the API, by route and status',
      labelNames: ['route', 'method', 'status'],
      registers: [this.registry],
    });
    this.httpLatency = new Histogram({
      name: 'kdb_http_request_duration_seconds',
      help: 'API request latency',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [this.registry],
    });
    this.decisions = new Counter({
      name: 'kdb_decisions_total',
      help: 'Approval decisions received, by channel (card, text) and outcome (accepted, refused, queued, ended, unavailable, notFound)',
      labelNames: ['channel', 'outcome'],
      registers: [this.registry],
    });
    this.decisionLatency = new Histogram({
      name: 'kdb_decision_duration_seconds',
      help: 'Time from receiving a decision to answering the caller',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 5],
      registers: [this.registry],
    });
    this.pushEvents = new Counter({
      name: 'kdb_kingdee_push_events_total',
      help: 'Kingdee push webhook events, by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.callbacksRejected = new Counter({
      name: 'kdb_callbacks_rejected_total',
      help: 'Inbound callbacks refused (bad signature, replay, malformed body)',
      labelNames: ['endpoint', 'reason'],
      registers: [this.registry],
    });
    const pending = () => this.journalPending();
    this.decisionJournalPending = new Gauge({
      name: 'kdb_decision_journal_pending',
      help: 'Decisions kept in the decision journal (DATA_DIR) because Temporal could not take them yet',
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
    this.dingtalkCalls = new Counter({
      name: 'kdb_dingtalk_calls_total',
      help: 'Calls to DingTalk by API and the monthly quota they count against (api, webhookStream, free), this process',
      labelNames: ['api', 'quota'],
      registers: [this.registry],
    });
    const usage = () => this.dingtalkUsage;
    new Gauge({
      name: 'kdb_dingtalk_month_calls',
      help: "This calendar month's DingTalk calls (China time) by API and quota, kept across restarts in DATA_DIR",
      labelNames: ['api', 'quota'],
      registers: [this.registry],
      collect() {
        this.reset();
        const watched = usage();
        if (!watched) return;
        for (const [api, count] of Object.entries(watched.usage.totals().byApi))
          this.set({ api, quota: dingtalkQuotaKind(api) }, count);
      },
    });
    new Gauge({
      name: 'kdb_dingtalk_month_projected_calls',
      help: "The month's DingTalk calls at this pace, per monthly quota (api: metered APIs; webhookStream)",
      labelNames: ['quota'],
      registers: [this.registry],
      collect() {
        this.reset();
        const watched = usage();
        if (!watched) return;
        const { projected } = watched.usage.totals();
        this.set({ quota: 'api' }, projected.api);
        this.set({ quota: 'webhookStream' }, projected.webhookStream);
      },
    });
    new Gauge({
      name: 'kdb_dingtalk_month_quota',
      help: "The DingTalk edition's monthly quota (DINGTALK_MONTHLY_API_QUOTA, DINGTALK_MONTHLY_WEBHOOK_STREAM_QUOTA)",
      labelNames: ['quota'],
      registers: [this.registry],
      collect() {
        this.reset();
        const watched = usage();
        if (!watched) return;
        this.set({ quota: 'api' }, watched.quotas.api);
        this.set({ quota: 'webhookStream' }, watched.quotas.webhookStream);
      },
    });
    // One query of every outbox per scrape, shared by both gauges.
    let reading: { at: number; readings: Promise<OutboxReading[]> } | undefined;
    const outboxes = () => {
      if (!reading || Date.now() - reading.at > 1_000)
        reading = { at: Date.now(), readings: this.outboxes().catch(() => []) };
      return reading.readings;
    };
    new Gauge({
      name: 'kdb_notice_queue_depth',
      help: 'Notices waiting in an outbox (queued, to be sent again, or being sent), by channel',
      labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        const readings = await outboxes();
        this.reset();
        for (const { channel, status } of readings)
          this.set({ channel }, status ? status.pending + status.retrying + status.inFlight : 0);
      },
    });
    new Gauge({
      name: 'kdb_notice_queue_oldest_age_seconds',
      help: 'Age of the oldest notice still waiting in an outbox (0 when none waits), by channel',
      labelNames: ['channel'],
      registers: [this.registry],
      async collect() {
        const readings = await outboxes();
        this.reset();
        for (const { channel, status } of readings) {
          const oldest = status?.oldestQueuedAt;
          this.set({ channel }, oldest ? Math.max(0, Date.now() - oldest) / 1000 : 0);
        }
      },
    });
  }

  /** Where the decision-journal gauge reads its value. */
  watchDecisionJournal(pending: () => number): void {
    this.journalPending = pending;
  }

  /** The month's DingTalk calls (DATA_DIR) and the edition's quotas, for the kdb_dingtalk_month_* gauges. */
  watchDingTalkUsage(usage: DingTalkUsage, quotas: { api: number; webhookStream: number }): void {
    this.dingtalkUsage = { usage, quotas };
    usage.onRecord = (api, quota) => this.dingtalkCalls.inc({ api, quota });
  }

  /** Where the notice-queue gauges read the outboxes (their outboxStatus query), at each scrape. */
  watchNoticeOutboxes(read: () => Promise<OutboxReading[]>): void {
    this.outboxes = read;
  }

  /** Our metrics followed by the worker's, in Prometheus text format. */
  async render(): Promise<string> {
    const ours = await this.registry.metrics();
    if (!this.workerMetricsUrl) return ours;
    try {
      const response = await axios.get<string>(this.workerMetricsUrl, { timeout: 2_000, responseType: 'text' });
      return `${ours}\n${response.data}`;
    } catch {
      return `${ours}\n# worker metrics unavailable at ${this.workerMetricsUrl}\n`;
    }
  }
}
