import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

/**
 * Prometheus metrics of this process (`portcullis_*`). Label values come only from the policy (route, upstream,
 * protection names) and from stable codes (reasons, statuses), so cardinality stays bounded; never from requests.
 */
export const metrics = {
  requests: new Counter({ name: 'portcullis_requests_total', help: 'Requests answered, by route and status.', labelNames: ['route', 'status'] as const }),
  duration: new Histogram({
    name: 'portcullis_request_duration_seconds', help: 'Time from request start to the end of the response, by route.',
    labelNames: ['route'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  upstreamDuration: new Histogram({
    name: 'portcullis_upstream_duration_seconds', help: 'Time from sending to the upstream until its response head, by upstream.',
    labelNames: ['upstream'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  verdicts: new Counter({ name: 'portcullis_verdicts_total', help: 'Non-pass verdicts, by protection, action and reason (action is flag for monitored blocks).', labelNames: ['protection', 'action', 'reason'] as const }),
  upstreamErrors: new Counter({ name: 'portcullis_upstream_errors_total', help: 'Failed upstream exchanges, by upstream and error code.', labelNames: ['upstream', 'code'] as const }),
  activeConnections: new Gauge({ name: 'portcullis_active_connections', help: 'Open client connections, by listener.', labelNames: ['listener'] as const }),
  rejectedConnections: new Counter({ name: 'portcullis_rejected_connections_total', help: 'Client connections closed at accept time, by reason.', labelNames: ['reason'] as const }),
  reloads: new Counter({ name: 'portcullis_policy_reloads_total', help: 'Policy reloads, by result.', labelNames: ['result'] as const }),
  droppedLogLines: new Gauge({ name: 'portcullis_log_dropped_lines', help: 'Log lines dropped because a sink could not keep up.' }),
  storeErrors: new Counter({ name: 'portcullis_store_errors_total', help: 'Failed calls to the shared counter and ban store, by store kind and error code.', labelNames: ['store', 'code'] as const }),
  storeFallback: new Gauge({ name: 'portcullis_store_fallback', help: '1 while this process counts locally because its shared store is unavailable, by store kind.', labelNames: ['store'] as const }),
};

/**
 * Where `portcullis_bans_active` reads its value at scrape time: the ban count of the latest pipeline's store, as
 * registered by the flood defence. Returns the function that unregisters it (when its pipeline closes).
 */
const banCounters: (() => Promise<number>)[] = [];
export function addBanCounter(counter: () => Promise<number>): () => void {
  banCounters.push(counter);
  return () => { const at = banCounters.lastIndexOf(counter); if (at !== -1) banCounters.splice(at, 1); };
}
export const bansActive = new Gauge({
  name: 'portcullis_bans_active',
  help: 'Bans in force, as this process knows them (with a shared store, every worker knows the same bans).',
  aggregator: 'max', // workers of one cluster report the same shared list: not a sum
  async collect() {
    const count = banCounters.at(-1);
    if (!count) return;
    try { this.set(await count()); } catch { /* store unavailable: keep the last value */ }
  },
});

let defaultsOn = false;
/** Process metrics (CPU, memory, event loop lag), once per process. */
export function enableProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ prefix: 'portcullis_' });
}

export { register as metricsRegistry };
