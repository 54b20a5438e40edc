import type { Ban, BanStore, ConsumeRequest, CounterStore, LimitSpec, RateDecision } from './store.ts';
import { slidingWindow, tokenBucket, type BucketState, type WindowState } from './algorithms.ts';

interface Entry { state: WindowState | BucketState; expiresAt: number }

/**
 * Counters of this process only, in a Map. Synchronous underneath (`consumeNow`), so the cluster primary and the
 * Redis store's fallback use it directly. Expired keys are swept every few seconds; at `maxKeys` the oldest key is
 * dropped (its client starts afresh), so a flood of distinct keys cannot grow memory without bound.
 */
export class LocalCounterStore implements CounterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;
  private readonly clock: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: { maxKeys?: number; clock?: () => number; sweepMs?: number } = {}) {
    this.maxKeys = options.maxKeys ?? 1_000_000;
    this.clock = options.clock ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? 5_000);
    this.sweeper.unref();
  }

  consume(key: string, spec: LimitSpec, cost = 1): Promise<RateDecision> {
    return Promise.resolve(this.consumeNow(key, spec, cost));
  }

  consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]> {
    return Promise.resolve(this.consumeManyNow(requests));
  }

  consumeNow(key: string, spec: LimitSpec, cost = 1): RateDecision {
    return this.consumeManyNow([{ key, spec, cost }])[0]!;
  }

  /** All or nothing: every limit counts the request only when all of them admit it. */
  consumeManyNow(requests: readonly ConsumeRequest[]): RateDecision[] {
    const now = this.clock();
    const ids = requests.map((r) => (r.spec.algorithm === 'token-bucket' ? 'tb:' : 'sw:') + r.key);
    const evaluate = (index: number, cost: number) => {
      const { spec } = requests[index]!;
      const entry = this.entries.get(ids[index]!);
      return spec.algorithm === 'token-bucket'
        ? tokenBucket(entry?.state as BucketState | undefined, spec, cost, now)
        : slidingWindow(entry?.state as WindowState | undefined, spec, cost, now);
    };
    const steps = requests.map((r, index) => evaluate(index, r.cost ?? 1));
    if (steps.some((step) => !step.decision.allowed)) {
      // Refused: nothing is counted; the limits that had room report their quota without this request.
      return steps.map((step, index) => (step.decision.allowed ? evaluate(index, 0).decision : step.decision));
    }
    steps.forEach((step, index) => this.store(ids[index]!, step.state, step.expiresAt));
    return steps.map((step) => step.decision);
  }

  private store(id: string, state: WindowState | BucketState, expiresAt: number): void {
    const entry = this.entries.get(id);
    if (entry) { entry.state = state; entry.expiresAt = expiresAt; return; }
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, { state, expiresAt });
  }

  /** Keys held (for tests and metrics). */
  get size(): number { return this.entries.size; }

  sweep(): void {
    const now = this.clock();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id);
  }

  clear(): void { this.entries.clear(); }

  close(): void { clearInterval(this.sweeper); this.entries.clear(); }
}

/** Bans of this process only. `replaceAll` lets a shared store install the list it fetched. */
export class LocalBanStore implements BanStore {
  private bans = new Map<string, Ban>();
  private readonly clock: () => number;

  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
  }

  banNow(key: string, durationMs: number, reason: string): Ban {
    const since = this.clock();
    const ban: Ban = Object.freeze({ key, reason, since, until: since + Math.max(0, durationMs) });
    this.bans.set(key, ban);
    return ban;
  }

  unbanNow(key: string): boolean {
    const ban = this.bans.get(key);
    this.bans.delete(key);
    return ban !== undefined && ban.until > this.clock();
  }

  listNow(): Ban[] {
    const now = this.clock();
    const live: Ban[] = [];
    for (const [key, ban] of this.bans) {
      if (ban.until > now) live.push(ban); else this.bans.delete(key);
    }
    return live;
  }

  /** Installs a complete list (from the shared store). */
  replaceAll(bans: readonly Ban[]): void {
    const next = new Map<string, Ban>();
    for (const ban of bans) next.set(ban.key, ban);
    this.bans = next;
  }

  /** Adds or replaces one ban without touching the others. */
  put(ban: Ban): void { this.bans.set(ban.key, ban); }
  remove(key: string): void { this.bans.delete(key); }

  ban(key: string, durationMs: number, reason: string): Promise<Ban> { return Promise.resolve(this.banNow(key, durationMs, reason)); }
  unban(key: string): Promise<boolean> { return Promise.resolve(this.unbanNow(key)); }
  list(): Promise<Ban[]> { return Promise.resolve(this.listNow()); }

  isBanned(key: string): Ban | undefined {
    const ban = this.bans.get(key);
    if (ban === undefined) return undefined;
    if (ban.until > this.clock()) return ban;
    this.bans.delete(key);
    return undefined;
  }

  clear(): void { this.bans.clear(); }
}
