import type { LimitSpec, RateDecision } from './store.ts';

/**
 * The counting rules, as pure functions of (state, now). The local store and the cluster primary run them in memory;
 * the Redis store runs the same rules in Lua (`redis-scripts.ts`), on the Redis server's clock.
 *
 * Sliding window: the window is cut into `SLOTS` slots of `slotMs = ceil(windowMs / SLOTS)` milliseconds (aligned on
 * the epoch). Each slot keeps the number of requests admitted in it and the time of its newest one, and is counted
 * until that newest request is `windowMs` old. So every request admitted in the last `windowMs` is always counted:
 * the limit is never exceeded in any window of `windowMs` (no over-admission, unlike the weighted two-window
 * estimate). The error is on the safe side only: a request may stay counted up to `slotMs` (1/20 of the window)
 * longer than the window, when newer requests share its slot, so a client at the limit may be refused up to
 * `slotMs` early. For a burst (all requests in one slot) the answer and `Retry-After` are exact. Memory: at most
 * SLOTS + 1 slots per key.
 *
 * Token bucket: `burst` tokens (default `limit`) refilled continuously at `limit` per `windowMs`; a request takes
 * `cost` tokens. Memory: two numbers per key.
 */
export const SLOTS = 20;

export function slotMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / SLOTS));
}

/** Sliding-window state: slot width, then (slot index, count, newest admission time) triples, oldest first. */
export interface WindowState { slotMs: number; slots: number[] }
/** Token-bucket state: tokens left at `at` (epoch ms). */
export interface BucketState { tokens: number; at: number }

export interface Step<S> { state: S; decision: RateDecision; /** Epoch ms after which the state is worthless. */ expiresAt: number }

export function capacityOf(spec: LimitSpec): number {
  return spec.algorithm === 'token-bucket' ? (spec.burst ?? spec.limit) : spec.limit;
}

export function slidingWindow(previous: WindowState | undefined, spec: LimitSpec, cost: number, now: number): Step<WindowState> {
  const width = slotMs(spec.windowMs);
  const current = Math.floor(now / width);
  // A slot still counts while its newest admission is younger than the window.
  const slots: number[] = [];
  if (previous && previous.slotMs === width) {
    for (let i = 0; i < previous.slots.length; i += 3) {
      if (previous.slots[i + 2]! > now - spec.windowMs) slots.push(previous.slots[i]!, previous.slots[i + 1]!, previous.slots[i + 2]!);
    }
  }
  let used = 0;
  for (let i = 1; i < slots.length; i += 3) used += slots[i]!;
  const allowed = used + cost <= spec.limit;
  if (allowed && cost > 0) {
    const last = slots.length - 3;
    if (last >= 0 && slots[last] === current) { slots[last + 1]! += cost; slots[last + 2] = Math.max(slots[last + 2]!, now); }
    else slots.push(current, cost, now);
    used += cost;
  }
  const freedAt = (newest: number) => newest + spec.windowMs - now;
  const resetMs = slots.length === 0 ? 0 : Math.max(0, freedAt(slots[slots.length - 1]!));
  let retryAfterMs = 0;
  if (!allowed) {
    if (cost > spec.limit) retryAfterMs = spec.windowMs; // can never fit; ask the client to wait a whole window
    else {
      const needFreed = used + cost - spec.limit;
      let freed = 0;
      for (let i = 0; i < slots.length; i += 3) {
        freed += slots[i + 1]!;
        if (freed >= needFreed) { retryAfterMs = Math.max(1, freedAt(slots[i + 2]!)); break; }
      }
    }
  }
  return {
    state: { slotMs: width, slots },
    decision: { allowed, limit: spec.limit, remaining: Math.max(0, spec.limit - used), resetMs, retryAfterMs },
    expiresAt: now + resetMs,
  };
}

export function tokenBucket(previous: BucketState | undefined, spec: LimitSpec, cost: number, now: number): Step<BucketState> {
  const capacity = capacityOf(spec);
  const perMs = spec.limit / spec.windowMs;
  let tokens = capacity;
  if (previous) tokens = Math.min(capacity, previous.tokens + Math.max(0, now - previous.at) * perMs);
  const allowed = cost <= tokens;
  if (allowed) tokens -= cost;
  const resetMs = Math.ceil((capacity - tokens) / perMs);
  let retryAfterMs = 0;
  if (!allowed) retryAfterMs = cost > capacity ? spec.windowMs : Math.max(1, Math.ceil((cost - tokens) / perMs));
  return {
    state: { tokens, at: now },
    decision: { allowed, limit: capacity, remaining: Math.max(0, Math.floor(tokens)), resetMs, retryAfterMs },
    expiresAt: now + resetMs,
  };
}
