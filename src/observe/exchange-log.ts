import type { Exchange } from '../pipeline/exchange.ts';
import type { LogSink } from './log-sink.ts';
import { metrics } from './metrics.ts';
import { redactExcerpt, redactQuery } from './redaction.ts';

/** Where the log phase writes, compiled from the policy's `logging` section. */
export interface ExchangeLogTargets {
  access: LogSink | null;
  security: LogSink | null;
  redactedHeaders: ReadonlySet<string>;
}

/** prom-client hashes label values on every `labels()` call; the children are cached by their label values. */
const requestCounters = new Map<string, ReturnType<typeof metrics.requests.labels>>();
const durationHistograms = new Map<string, ReturnType<typeof metrics.duration.labels>>();
const upstreamHistograms = new Map<string, ReturnType<typeof metrics.upstreamDuration.labels>>();

function child<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let found = cache.get(key);
  if (found === undefined) cache.set(key, found = make());
  return found;
}

function ms(from: bigint, to: bigint): number {
  return Math.round(Number(to - from) / 1000) / 1000;
}

/**
 * The log phase's fixed part: one access record per exchange, one security event per non-pass verdict, and the
 * metrics. Runs for every exchange, whatever its outcome. Reason codes are the same strings as in the replies.
 */
export function logExchange(exchange: Exchange, targets: ExchangeLogTargets): void {
  const end = process.hrtime.bigint();
  const routeName = exchange.route?.name ?? '-';
  const status = exchange.status;
  child(requestCounters, `${routeName}\u0000${status}`, () => metrics.requests.labels(routeName, String(status))).inc();
  child(durationHistograms, routeName, () => metrics.duration.labels(routeName)).observe(Number(end - exchange.startedAt) / 1e9);
  const upstreamName = exchange.upstreamName;
  if (upstreamName && exchange.upstreamStartedAt && exchange.upstreamEndedAt) {
    child(upstreamHistograms, upstreamName, () => metrics.upstreamDuration.labels(upstreamName))
      .observe(Number(exchange.upstreamEndedAt - exchange.upstreamStartedAt) / 1e9);
  }
  for (const verdict of exchange.verdicts) metrics.verdicts.labels(verdict.protection, verdict.action, verdict.reason).inc();

  const time = exchange.time.toISOString();
  const query = redactQuery(exchange.logQuery ?? exchange.rawQuery);
  if (targets.access) {
    targets.access.write(JSON.stringify({
      time,
      type: 'access',
      requestId: exchange.requestId,
      clientIp: exchange.clientIp,
      listener: exchange.connection.listener,
      method: exchange.method,
      host: exchange.host,
      path: (exchange.logPath ?? exchange.path) || undefined,
      query: query || undefined,
      route: routeName,
      status,
      outcome: exchange.outcome,
      error: exchange.errorCode,
      bytesIn: exchange.bytesIn,
      bytesOut: exchange.bytesOut,
      upstream: exchange.upstreamName,
      upstreamMs: exchange.upstreamStartedAt && exchange.upstreamEndedAt ? ms(exchange.upstreamStartedAt, exchange.upstreamEndedAt) : undefined,
      durationMs: ms(exchange.startedAt, end),
      userAgent: truncate(exchange.header('user-agent'), 256),
      verdicts: exchange.verdicts.length === 0 ? undefined : exchange.verdicts.map((v) => ({
        protection: v.protection, action: v.action, reason: v.reason, ...(v.wouldBlock ? { wouldBlock: true } : {}),
      })),
    }) + '\n');
  }
  if (targets.security) {
    for (const verdict of exchange.verdicts) {
      targets.security.write(JSON.stringify({
        time,
        type: 'security',
        requestId: exchange.requestId,
        clientIp: exchange.clientIp,
        method: exchange.method,
        host: exchange.host,
        path: (exchange.logPath ?? exchange.path) || undefined,
        route: routeName,
        protection: verdict.protection,
        action: verdict.action,
        reason: verdict.reason,
        mode: verdict.mode,
        wouldBlock: verdict.wouldBlock,
        status: verdict.status,
        ruleId: verdict.detail?.ruleId,
        location: verdict.detail?.location,
        excerpt: redactExcerpt(verdict.detail?.excerpt, verdict.detail?.location, targets.redactedHeaders),
        message: verdict.detail?.message,
        matches: verdict.detail?.matches,
      }) + '\n');
    }
  }
}

function truncate(value: string | undefined, max: number): string | undefined {
  return value !== undefined && value.length > max ? value.slice(0, max) : value;
}
