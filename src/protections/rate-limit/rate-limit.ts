import { createHash } from 'node:crypto';
import { defineProtection } from '../../pipeline/protection.ts';
import { block, pass, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { StoreUnavailableError, type ConsumeRequest, type LimitSpec, type RateDecision } from '../../store/store.ts';
import { systemLog } from '../../observe/system-log.ts';
import { RateLimitConfigSchema, type LimitConfig, type RateLimitConfig } from './config.ts';

type KeyPart = { kind: 'ip' } | { kind: 'principal' } | { kind: 'cert' } | { kind: 'header'; name: string };

export interface CompiledLimit {
  readonly name: string;
  readonly spec: LimitSpec;
  /** Upper-case methods counted; null: all. */
  readonly methods: ReadonlySet<string> | null;
  readonly parts: readonly KeyPart[];
  readonly onMissingKey: 'ip' | 'skip';
  readonly cost: number;
  /** This limit's item of `RateLimit-Policy`. */
  readonly policyItem: string;
  /** Where the key comes from, for security events (`client-ip`, `header:x-api-key`, ...). */
  readonly location: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10s` → 10000; undefined for anything else (the schema already checked the form). */
export function parseWindow(text: string): number | undefined {
  const unit = text.endsWith('ms') ? 'ms' : text.slice(-1);
  const digits = text.slice(0, text.length - unit.length);
  const factor = UNIT_MS[unit];
  if (factor === undefined || digits === '' || !/^[0-9]+$/.test(digits)) return undefined;
  return Number(digits) * factor;
}

/** A short, stable digest of a value that must not be stored as sent (API keys, principals). */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

function parsePart(text: string): KeyPart {
  if (text === 'ip' || text === 'principal' || text === 'cert') return { kind: text };
  return { kind: 'header', name: text.slice('header:'.length).toLowerCase() };
}

function partLocation(part: KeyPart): string {
  return part.kind === 'ip' ? 'client-ip' : part.kind === 'header' ? `header:${part.name}` : part.kind === 'cert' ? 'client-certificate' : 'principal';
}

/** The value of one key part for this request, already safe to store; undefined when the request has none. */
function partValue(part: KeyPart, exchange: Exchange): string | undefined {
  switch (part.kind) {
    case 'ip': return `ip=${exchange.clientIp}`;
    case 'principal': return exchange.principal ? `p=${digest(exchange.principal)}` : undefined;
    case 'cert': {
      const fingerprint = certificateFingerprint(exchange);
      return fingerprint ? `c=${fingerprint}` : undefined;
    }
    case 'header': {
      const value = exchange.header(part.name);
      return value === undefined || value === '' ? undefined : `h:${part.name}=${digest(value)}`;
    }
  }
}

/** The verified client certificate's SHA-256 fingerprint: from the connection, else a `cert:` principal. */
function certificateFingerprint(exchange: Exchange): string | undefined {
  const connection = exchange.connection as { clientCertificateFingerprint?: unknown };
  const fromConnection = connection.clientCertificateFingerprint;
  if (typeof fromConnection === 'string' && fromConnection !== '') return fromConnection.toLowerCase();
  const principal = exchange.principal;
  if (principal === undefined || !principal.startsWith('cert:')) return undefined;
  const named = principal.slice(5).replaceAll(':', '').toLowerCase();
  if (/^[0-9a-f]{64}$/.test(named)) return named;
  return named === '' ? undefined : digest(named);
}

/** Seconds for headers: rounded up, at least 1 when there is anything to wait for. */
function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/** Compiles the limits; problems go to `issue` with their pointer. */
export function compileLimits(limits: readonly LimitConfig[], issue: (path: string, message: string) => void): CompiledLimit[] {
  const compiled: CompiledLimit[] = [];
  const names = new Set<string>();
  limits.forEach((limit, index) => {
    const at = `/limits/${index}`;
    let windowMs: number | undefined;
    if (limit.window !== undefined && limit.windowMs !== undefined) issue(at, 'give either window or windowMs, not both');
    else if (limit.window !== undefined) {
      windowMs = parseWindow(limit.window);
      if (windowMs === undefined || windowMs > 604_800_000) { issue(`${at}/window`, 'must be a number and a unit (ms, s, m, h, d), at most 7 days'); windowMs = undefined; }
    } else if (limit.windowMs !== undefined) windowMs = limit.windowMs;
    else issue(at, 'needs a window (`window: 1s`) or windowMs');
    const algorithm = limit.algorithm ?? 'sliding-window';
    if (limit.burst !== undefined && algorithm !== 'token-bucket') issue(`${at}/burst`, 'only applies to algorithm token-bucket');
    if (windowMs === undefined) return;
    const windowText = limit.window ?? `${windowMs}ms`;
    let name = limit.name ?? `${limit.limit}-per-${windowText}`;
    if (names.has(name)) {
      if (limit.name !== undefined) { issue(`${at}/name`, `"${name}" names another limit of this list`); return; }
      name = `${name}-${index}`;
    }
    names.add(name);
    const rawParts = limit.key === undefined ? ['ip'] : Array.isArray(limit.key) ? limit.key : [limit.key];
    const parts = rawParts.map(parsePart);
    const methods = limit.methods ? new Set<string>(limit.methods) : null;
    if (methods?.has('GET')) methods.add('HEAD');
    const spec: LimitSpec = { algorithm, limit: limit.limit, windowMs, ...(limit.burst !== undefined ? { burst: limit.burst } : {}) };
    const quota = algorithm === 'token-bucket' ? (limit.burst ?? limit.limit) : limit.limit;
    compiled.push({
      name, spec, methods, parts,
      onMissingKey: limit.onMissingKey ?? 'ip',
      cost: limit.cost ?? 1,
      policyItem: `"${name}";q=${quota};w=${Math.max(1, seconds(windowMs))}`,
      location: parts.map(partLocation).join('+'),
    });
  });
  return compiled;
}

/** The counter key of `limit` for this request, or undefined when the limit does not apply (`onMissingKey: skip`). */
export function counterKey(scope: string, limit: CompiledLimit, exchange: Exchange): string | undefined {
  const pieces: string[] = [];
  let missing = false;
  for (const part of limit.parts) {
    const value = partValue(part, exchange);
    if (value === undefined) {
      if (limit.onMissingKey === 'skip') return undefined;
      missing = true;
    } else pieces.push(value);
  }
  if (missing && !limit.parts.some((part) => part.kind === 'ip')) pieces.push(`ip=${exchange.clientIp}`);
  return `rl:${scope}:${limit.name}:${pieces.join('|')}`;
}

/** Adds items to a structured-field list header already set on the exchange by another instance. */
function joined(exchange: Exchange, name: string, items: string): string {
  const before = exchange.responseHeaders?.get(name);
  return before === undefined || before === '' ? items : `${before}, ${items}`;
}

let warnedLocalWithWorkers = false;

/**
 * Rate limits.
 *
 * Protects against: brute force, scraping and resource exhaustion by one client (address, principal, certificate
 * or API key), per route and method. Phase: request head (after `jwt`, so a principal is known). Buffers nothing.
 * Counting happens in the process-wide store (`store` section): exact across workers with `cluster`, across
 * instances with `redis`. A request is counted only when every limit that applies admits it.
 */
export const rateLimit = defineProtection<RateLimitConfig>({
  name: 'rate-limit',
  key: 'rateLimit',
  schema: RateLimitConfigSchema,
  routeConfig: 'layer',
  sharedBetweenWorkers: 'counters, through the store of the `store` section: exact across workers with `cluster` or `redis`, ' +
    'each worker counts alone with `local`',
  create(config, context) {
    const limits = compileLimits(config.limits, context.issue);
    const headersOnAdmitted = config.headers !== false;
    const counters = context.stores.counters;
    const scope = context.scope;
    if (context.policy.workers > 1 && context.stores.kind === 'local' && !warnedLocalWithWorkers) {
      warnedLocalWithWorkers = true;
      systemLog.warn('rate_limit_store_local', { workers: context.policy.workers, note: 'each worker counts alone; set store.kind to cluster or redis for exact limits' });
    }

    return {
      async onRequestHead(exchange): Promise<Verdict> {
        const applied: CompiledLimit[] = [];
        const requests: ConsumeRequest[] = [];
        for (const limit of limits) {
          if (limit.methods !== null && !limit.methods.has(exchange.method)) continue;
          const key = counterKey(scope, limit, exchange);
          if (key === undefined) continue;
          applied.push(limit);
          requests.push({ key, spec: limit.spec, cost: limit.cost });
        }
        if (requests.length === 0) return pass();

        let decisions: RateDecision[];
        try {
          decisions = await counters.consumeMany(requests);
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          return block(503, 'store_unavailable', {
            headers: { 'retry-after': '1' },
            detail: { message: `the ${error.store} store is unavailable and store.onUnavailable is fail-closed` },
          });
        }

        const refused: number[] = [];
        const states: string[] = [];
        decisions.forEach((decision, index) => {
          if (!decision.allowed) refused.push(index);
          const wait = decision.allowed ? decision.resetMs : decision.retryAfterMs;
          states.push(`"${applied[index]!.name}";r=${decision.allowed ? decision.remaining : 0};t=${seconds(wait)}`);
        });
        const policyHeader = joined(exchange, 'ratelimit-policy', applied.map((limit) => limit.policyItem).join(', '));
        const stateHeader = joined(exchange, 'ratelimit', states.join(', '));
        if (headersOnAdmitted) {
          exchange.setResponseHeader('ratelimit-policy', policyHeader);
          exchange.setResponseHeader('ratelimit', stateHeader);
        }
        if (refused.length === 0) return pass();

        const retryAfterMs = Math.max(...refused.map((index) => decisions[index]!.retryAfterMs));
        const first = applied[refused[0]!]!;
        return block(429, 'rate_limited', {
          headers: {
            'retry-after': String(Math.max(1, seconds(retryAfterMs))),
            'ratelimit-policy': policyHeader,
            ratelimit: stateHeader,
          },
          problem: { limits: refused.map((index) => applied[index]!.name), retryAfter: Math.max(1, seconds(retryAfterMs)) },
          detail: {
            location: first.location,
            ruleId: first.name,
            message: `over ${first.spec.limit} per ${first.spec.windowMs} ms (${first.spec.algorithm})`,
          },
        });
      },
    };
  },
});
