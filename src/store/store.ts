/**
 * Shared state for abuse control: rate-limit counters and temporary bans. One interface, three homes:
 * `local` (this process only), `cluster` (exact across the workers of one instance: the counters live in the
 * cluster primary) and `redis` (exact across instances: atomic server-side scripts). Protections never know which.
 *
 * Stores are process-wide and outlive policy reloads (a reload must not reset counters or lift bans); a protection
 * reaches them through `CreateContext.stores`.
 */

/** How a limit counts. */
export interface LimitSpec {
  /** `sliding-window`: at most `limit` requests in any `windowMs`; `token-bucket`: `limit` per `windowMs` refill with `burst` capacity. */
  readonly algorithm: 'sliding-window' | 'token-bucket';
  readonly limit: number;
  readonly windowMs: number;
  /** Token bucket capacity (default `limit`). */
  readonly burst?: number;
}

/** The answer to one counted request. */
export interface RateDecision {
  readonly allowed: boolean;
  /** The limit the decision was made against (`limit`, or the bucket capacity). */
  readonly limit: number;
  /** Requests still allowed now (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the quota is whole again (RateLimit `reset`). */
  readonly resetMs: number;
  /** Milliseconds until a refused request may succeed (0 when allowed); `Retry-After`. */
  readonly retryAfterMs: number;
}

/** One limit to check in `consumeMany`. */
export interface ConsumeRequest { readonly key: string; readonly spec: LimitSpec; readonly cost?: number }

/**
 * The counters. Calls reject only with `StoreUnavailableError`, and only when the store is configured to fail closed
 * (`store.onUnavailable: fail-closed`); otherwise an unreachable shared store is replaced by this process's own
 * counters until it answers again.
 */
export interface CounterStore {
  /** Counts `cost` (default 1) against `key` under `spec`, atomically, and says whether it fits. */
  consume(key: string, spec: LimitSpec, cost?: number): Promise<RateDecision>;
  /**
   * Several limits for one request, in one round trip and atomically: the request is counted against every limit
   * only when every limit admits it; a refused request counts against none. Decisions come back in request order;
   * when the request is refused, the decisions of the limits that would have admitted it say `allowed: true` and
   * show their quota without this request.
   */
  consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]>;
}

/** The shared store did not answer and the policy says to fail closed (`store.onUnavailable: fail-closed`). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly store: string;
  constructor(store: string, cause?: unknown) {
    super(`the ${store} store is unavailable`, { cause });
    this.store = store;
  }
}

export interface Ban {
  /** What is banned, e.g. `ip:203.0.113.7`. */
  readonly key: string;
  readonly reason: string;
  /** Epoch milliseconds when the ban was set and when it ends. */
  readonly since: number;
  readonly until: number;
}

export interface BanStore {
  ban(key: string, durationMs: number, reason: string): Promise<Ban>;
  /** True when a ban was lifted. */
  unban(key: string): Promise<boolean>;
  /** Bans in force. */
  list(): Promise<Ban[]>;
  /**
   * Synchronous check against the bans this process knows (used in the connection phase, before any byte is read);
   * kept in step with the shared store within about a second.
   */
  isBanned(key: string): Ban | undefined;
}

/** The stores of this process, as configured by the policy's `store` section. */
export interface SharedStores {
  readonly kind: 'local' | 'cluster' | 'redis';
  readonly counters: CounterStore;
  readonly bans: BanStore;
}
