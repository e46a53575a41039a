/** The bench's count of calls to Temporal (scripts/bench/measure.ts): the frontend's request counters per approval. */
import { frontendRequests, parsePrometheus, requestsPerApproval } from '../../scripts/bench/measure';

const scrape = (heartbeats: number, signals: number) =>
  frontendRequests(
    parsePrometheus(
      [
        '# TYPE service_requests counter',
        `service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="frontend"} ${heartbeats}`,
        `service_requests{namespace="default",operation="SignalWorkflowExecution",service_name="frontend"} ${signals}`,
        // the history and matching services count the same work again, inside the server: not ours
        `service_requests{namespace="default",operation="RecordActivityTaskHeartbeat",service_name="history"} ${heartbeats}`,
        `service_requests{namespace="default",operation="PollActivityTaskQueue",service_name="matching"} 7`,
      ].join('\n'),
    ),
  );

it("counts the frontend's requests by operation, per approval, between two readings", () => {
  expect(requestsPerApproval(scrape(10, 4), scrape(30, 14), 10)).toEqual([
    ['RecordActivityTaskHeartbeat', 2],
    ['SignalWorkflowExecution', 1],
  ]);
});

it('gives nothing without approvals, and leaves out operations not called meanwhile', () => {
  expect(requestsPerApproval(scrape(10, 4), scrape(30, 14), 0)).toEqual([]);
  expect(requestsPerApproval(scrape(10, 4), scrape(30, 4), 5)).toEqual([['RecordActivityTaskHeartbeat', 4]]);
});
