import type { Ban, BanStore, ConsumeRequest, CounterStore, LimitSpec, RateDecision } from './store.ts';
import { StoreUnavailableError } from './store.ts';
import { LocalBanStore, LocalCounterStore } from './local-store.ts';
import type { OwnedStores } from './registry.ts';
import { metrics } from '../observe/metrics.ts';
import { systemLog } from '../observe/system-log.ts';

/** What a shared store (the cluster primary, Redis) must offer; every call may reject when it is unreachable. */
export interface SharedBackend {
  consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]>;
  putBan(ban: Ban): Promise<void>;
  removeBan(key: string): Promise<boolean>;
  listBans(): Promise<Ban[]>;
  /** Starts connecting, if the backend connects (called once, after creation). */
  open?(): void;
  close(): Promise<void>;
}

export interface GuardOptions {
  kind: 'cluster' | 'redis';
  onUnavailable: 'local' | 'fail-closed';
  /** After a failure, calls go straight to the local fallback (or fail) for this long before the backend is tried again. */
  retryMs: number;
  /** How often the ban cache is refreshed from the backend. */
  banRefreshMs: number;
  maxLocalKeys: number;
}

/** A short, stable code for an error of a backend (never its message, which may carry addresses). */
export function storeErrorCode(error: unknown): string {
  if (error instanceof StoreTimeoutError) return 'timeout';
  const message = error instanceof Error ? error.message : '';
  if (message.includes('timed out')) return 'timeout';
  const name = error instanceof Error ? error.name : '';
  if (name === 'MaxRetriesPerRequestError' || message.includes('Connection is closed') || message.includes('writeable') ||
    message.includes('not connected')) return 'unavailable';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0 && code.length <= 32) return code;
  return 'error';
}

export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
}

/**
 * The stores as protections see them, over a shared backend: counters go to the backend; when it fails, this
 * process counts alone with its own counters (or, with `fail-closed`, calls reject with `StoreUnavailableError`)
 * until the backend answers again. The failure is logged once (`store_unavailable`) and every failed call is
 * counted in `portcullis_store_errors_total`; recovery is logged as `store_recovered`.
 *
 * Bans: `isBanned` reads a cache in this process, refreshed from the backend every `banRefreshMs` and updated at
 * once by this process's own `ban`/`unban`. Bans set while the backend is down are kept locally and written to the
 * backend when it returns.
 */
export class GuardedStores implements OwnedStores {
  readonly kind: 'cluster' | 'redis';
  readonly counters: CounterStore;
  readonly bans: BanStore;
  private readonly backend: SharedBackend;
  private readonly options: GuardOptions;
  private readonly localCounters: LocalCounterStore;
  private readonly banCache = new LocalBanStore();
  /** Bans made while the backend was down, to be written when it returns. */
  private readonly pendingBans = new Map<string, Ban>();
  private downUntil = 0;
  private degraded = false;
  private closed = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private started = false;
  /**
   * Fetches of the ban list in flight, and the bans set (a Ban) or lifted (null) here since the first of them began:
   * a list fetched before a ban was written must not wipe it from the cache when it arrives.
   */
  private fetching = 0;
  private readonly editsDuringFetch = new Map<string, Ban | null>();

  constructor(backend: SharedBackend, options: GuardOptions) {
    this.backend = backend;
    this.options = options;
    this.kind = options.kind;
    this.localCounters = new LocalCounterStore({ maxKeys: options.maxLocalKeys });
    const self = this;
    this.counters = {
      consume(key: string, spec: LimitSpec, cost = 1) {
        return self.consumeMany([{ key, spec, cost }]).then((decisions) => decisions[0]!);
      },
      consumeMany: (requests) => self.consumeMany(requests),
    };
    this.bans = {
      ban: (key, durationMs, reason) => self.ban(key, durationMs, reason),
      unban: (key) => self.unban(key),
      list: () => self.list(),
      isBanned: (key) => { if (!self.started) self.start(); return self.banCache.isBanned(key); },
    };
  }

  /**
   * Connects and starts the ban refresh (the first one at once). Called by the gateway when it starts using the
   * stores, else on first use; a pipeline that is only checked (`portcullis check`) never connects.
   */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.backend.open?.();
    this.refreshTimer = setInterval(() => { void this.refreshBans(); }, this.options.banRefreshMs);
    this.refreshTimer.unref();
    void this.refreshBans();
  }

  /** True while this process counts alone (or fails closed) because the backend is unavailable. */
  get isDegraded(): boolean { return this.degraded; }

  private async consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]> {
    if (requests.length === 0) return [];
    return this.guard(() => this.backend.consumeMany(requests), () => this.localCounters.consumeManyNow(requests));
  }

  private async ban(key: string, durationMs: number, reason: string): Promise<Ban> {
    const since = Date.now();
    const ban: Ban = Object.freeze({ key, reason, since, until: since + Math.max(0, durationMs) });
    this.banCache.put(ban);
    if (this.fetching > 0) this.editsDuringFetch.set(key, ban);
    return this.guard(async () => { await this.backend.putBan(ban); return ban; }, () => { this.pendingBans.set(key, ban); return ban; });
  }

  private async unban(key: string): Promise<boolean> {
    const known = this.banCache.isBanned(key) !== undefined;
    this.banCache.remove(key);
    if (this.fetching > 0) this.editsDuringFetch.set(key, null);
    this.pendingBans.delete(key);
    return this.guard(() => this.backend.removeBan(key), () => known);
  }

  private async list(): Promise<Ban[]> {
    return this.guard(async () => {
      this.installBans(await this.fetchBans());
      return this.banCache.listNow();
    }, () => this.banCache.listNow());
  }

  /** The backend's ban list; edits made here meanwhile are kept (editsDuringFetch) until the last fetch ends. */
  private async fetchBans(): Promise<Ban[]> {
    if (this.fetching++ === 0) this.editsDuringFetch.clear();
    try {
      return await this.backend.listBans();
    } finally {
      this.fetching--;
    }
  }

  private async refreshBans(): Promise<void> {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    try {
      // While the backend is marked down, this refresh is the probe that finds it back.
      const bans = await this.fetchBans();
      this.succeeded();
      this.installBans(bans);
    } catch (error) {
      this.failed(error);
    } finally {
      this.refreshing = false;
    }
  }

  private installBans(bans: readonly Ban[]): void {
    const now = Date.now();
    const merged = bans.filter((ban) => ban.until > now);
    for (const ban of this.pendingBans.values()) if (ban.until > now) merged.push(ban);
    this.banCache.replaceAll(merged);
    // (what was set or lifted here while the list was on its way is newer than the list)
    for (const [key, ban] of this.editsDuringFetch) {
      if (ban === null) this.banCache.remove(key);
      else if (ban.until > now) this.banCache.put(ban);
    }
  }

  private async guard<T>(shared: () => Promise<T>, local: () => T): Promise<T> {
    if (!this.started) this.start();
    if (!this.closed && Date.now() >= this.downUntil) {
      try {
        const result = await shared();
        this.succeeded();
        return result;
      } catch (error) {
        this.failed(error);
        if (this.options.onUnavailable === 'fail-closed') throw new StoreUnavailableError(this.kind, error);
        return local();
      }
    }
    if (this.options.onUnavailable === 'fail-closed') throw new StoreUnavailableError(this.kind);
    return local();
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    const code = storeErrorCode(error);
    metrics.storeErrors.labels(this.kind, code).inc();
    this.downUntil = Date.now() + this.options.retryMs;
    if (this.degraded) return;
    this.degraded = true;
    metrics.storeFallback.labels(this.kind).set(1);
    systemLog.warn('store_unavailable', {
      store: this.kind, code,
      action: this.options.onUnavailable === 'fail-closed' ? 'refusing rate-limited requests (503)' : 'counting in this process until it returns',
    });
  }

  private succeeded(): void {
    this.downUntil = 0;
    if (!this.degraded) return;
    this.degraded = false;
    metrics.storeFallback.labels(this.kind).set(0);
    this.localCounters.clear();
    systemLog.info('store_recovered', { store: this.kind, pendingBans: this.pendingBans.size });
    const pending = [...this.pendingBans.values()];
    this.pendingBans.clear();
    for (const ban of pending) {
      if (ban.until > Date.now()) this.backend.putBan(ban).catch(() => { this.pendingBans.set(ban.key, ban); });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.localCounters.close();
    if (this.degraded) metrics.storeFallback.labels(this.kind).set(0);
    await this.backend.close();
  }
}
