/**
 * Prometheus metrics: our own counters and latency histograms, plus the Temporal worker's (the SDK's Rust core
 * serves those on a local port; /metrics appends them so one scrape sees everything).
 */
import axios from 'axios';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpLatency: Histogram<'route' | 'method'>;
  readonly decisions: Counter<'channel' | 'outcome'>;
  readonly decisionLatency: Histogram<'channel'>;
  readonly pushEvents: Counter<'outcome'>;
  readonly callbacksRejected: Counter<'endpoint' | 'reason'>;

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
      help: 'Approval decisions received, by channel (card, text) and outcome (accepted, refused, queued, notFound)',
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
