import type { Exchange } from './exchange.ts';
import type { ProtectionInstance } from './protection.ts';
import { block, isStopping, type Block, type Challenge, type Verdict } from './verdict.ts';
import type { Mode } from '../config/policy-types.ts';
import { systemLog } from '../observe/system-log.ts';

/** One protection instance as it runs on one route, with the mode that applies there. */
export interface Step {
  readonly protection: string;
  readonly mode: Mode;
  readonly instance: ProtectionInstance;
}

/** The steps of each request phase, in order. Built once per route and policy load. */
export interface PhaseSteps {
  readonly requestHead: readonly Step[];
  readonly requestBody: readonly Step[];
  readonly responseHead: readonly Step[];
  readonly responseBody: readonly Step[];
  readonly log: readonly Step[];
  readonly needsRequestBody: boolean;
  readonly needsResponseBody: boolean;
  /** The smallest `maxRequestBodyBytes` of the steps that read the body (Infinity when none sets one). */
  readonly inspectableBodyBytes: number;
}

/** Outcome of a phase: continue, or stop with the (enforced) block or challenge to answer. */
export type PhaseOutcome = null | Block | Challenge;

type Invoke = (step: Step) => Verdict | Promise<Verdict>;

/**
 * Runs one phase: each step in order, awaiting only real promises. Monitor mode is applied here and nowhere else:
 * a block or challenge under `monitor` is recorded as "would have blocked" and the phase goes on. The first
 * enforced block stops the phase. An enforced `allow` verdict skips every remaining protection of the exchange.
 * A hook that throws is a fault, answered 503 `protection_error` (fail closed: what was not inspected is not forwarded).
 */
export async function runPhase(exchange: Exchange, steps: readonly Step[], invoke: Invoke): Promise<PhaseOutcome> {
  for (const step of steps) {
    if (exchange.allowed) return null;
    let verdict: Verdict;
    // A monitored step may decide, not change: whatever it rewrote (bodies, target, headers) is put back.
    const restore = step.mode === 'monitor' ? snapshotRewrites(exchange) : undefined;
    try {
      const result = invoke(step);
      verdict = result instanceof Promise ? await result : result;
      restore?.();
    } catch (error) {
      restore?.();
      systemLog.error('protection_error', { protection: step.protection, requestId: exchange.requestId, error: errorSummary(error) });
      verdict = block(503, 'protection_error');
      // A fault is never downgraded by monitor mode: the protection could not decide.
      record(exchange, step.protection, 'enforce', verdict);
      return verdict;
    }
    if (verdict.action === 'pass') continue;
    record(exchange, step.protection, step.mode, verdict);
    // A monitored bypass is only recorded: monitor mode never changes what happens to the request.
    if (verdict.action === 'allow') { if (step.mode === 'enforce') { exchange.allowed = true; return null; } continue; }
    if (isStopping(verdict) && step.mode === 'enforce') return verdict;
  }
  return null;
}

/** Records a verdict that was decided outside a step (the connection phase, the router). */
export function record(exchange: Exchange, protection: string, mode: Mode, verdict: Exclude<Verdict, { action: 'pass' }>): void {
  const stopping = isStopping(verdict);
  exchange.verdicts.push({
    protection,
    action: stopping && mode === 'monitor' ? 'flag' : verdict.action,
    reason: verdict.reason,
    mode,
    wouldBlock: stopping && mode === 'monitor',
    status: stopping ? verdict.status : undefined,
    detail: verdict.detail,
  });
}

/** Runs the log hooks; they must not throw, and if one does, the others still run. */
export function runLogPhase(exchange: Exchange, steps: readonly Step[]): void {
  for (const step of steps) {
    try { step.instance.onLog!(exchange); } catch (error) {
      systemLog.error('log_hook_error', { protection: step.protection, error: errorSummary(error) });
    }
  }
}

/** Error name and code only: messages can quote inputs or secrets. */
export function errorSummary(error: unknown): string {
  if (error instanceof Error) return `${error.name}${(error as { code?: string }).code ? ` ${(error as { code?: string }).code}` : ''}`;
  return typeof error;
}


/**
 * What protections can rewrite on an exchange, captured so that a monitored step's rewrites can be undone: monitor
 * mode records what a protection would have done (its verdicts, its events) and changes nothing. Identity headers
 * for the upstream (verified certificate details, JWT claims) are not rewrites: they are kept, as the client's own
 * copies of those names are always removed.
 */
function snapshotRewrites(exchange: Exchange): () => void {
  const { requestBody, requestBodyReplaced, upstreamPath, upstreamQuery, responseBody } = exchange;
  const responseHeaders = exchange.responseHeaders === undefined ? undefined : new Map(exchange.responseHeaders);
  return () => {
    exchange.requestBody = requestBody;
    exchange.requestBodyReplaced = requestBodyReplaced;
    exchange.upstreamPath = upstreamPath;
    exchange.upstreamQuery = upstreamQuery;
    exchange.responseBody = responseBody;
    exchange.responseHeaders = responseHeaders;
  };
}
