import type { SharedStores } from './store.ts';
import type { StoreSettings } from './config.ts';
import { LocalBanStore, LocalCounterStore } from './local-store.ts';
import type { PolicyIssue } from '../config/policy-error.ts';
import { resolveSecret } from '../config/load-policy.ts';
import { createClusterStores, inClusterWorker } from './cluster-store.ts';
import { createRedisStores } from './redis-store.ts';

/** A store implementation as the registry holds it. */
export interface OwnedStores extends SharedStores {
  /** Connects / starts background refreshes; idempotent. */
  start?(): void;
  close(): Promise<void>;
}

/** Starts the background work of stores (connection, ban refresh) ahead of the first request. */
export function startStores(stores: SharedStores): void {
  (stores as OwnedStores).start?.();
}

/** A reference to the process-wide stores for one `store` section; `release()` once, when the pipeline closes. */
export interface StoreLease {
  readonly stores: SharedStores;
  release(): Promise<void>;
}

const held = new Map<string, { stores: OwnedStores; references: number }>();

function createStores(settings: StoreSettings, issues: PolicyIssue[]): OwnedStores {
  if (settings.kind === 'redis') {
    const password = settings.redis.password === undefined
      ? undefined
      : resolveSecret(settings.redis.password, '/store/redis/password', issues, process.env);
    return createRedisStores(settings, password);
  }
  // With one worker (no cluster), the cluster store is the local one.
  if (settings.kind === 'cluster' && inClusterWorker()) return createClusterStores(settings);
  return createLocalStores(settings);
}

export function createLocalStores(settings?: Pick<StoreSettings, 'maxLocalKeys'>): OwnedStores {
  const counters = new LocalCounterStore({ maxKeys: settings?.maxLocalKeys });
  const bans = new LocalBanStore();
  return { kind: 'local', counters, bans, close: async () => { counters.close(); bans.clear(); } };
}

/**
 * The stores for `settings`, shared by every pipeline of this process with the same settings. A reload builds its
 * new pipeline (taking a reference) before the old one is closed (dropping its own), so the same stores carry over
 * with their counters and bans; a store is closed when no pipeline uses it any more. Problems (an unreadable
 * password file) go to `issues` with their policy pointer.
 */
export function acquireStores(settings: StoreSettings | undefined, issues: PolicyIssue[] = []): StoreLease {
  const effective: StoreSettings = settings ?? ({ kind: 'local' } as StoreSettings);
  const id = JSON.stringify(effective);
  let entry = held.get(id);
  if (!entry) {
    const before = issues.length;
    const stores = createStores(effective, issues);
    if (issues.length > before) {
      void stores.close();
      return { stores, release: async () => {} };
    }
    entry = { stores, references: 0 };
    held.set(id, entry);
  }
  entry.references++;
  const current = entry;
  let released = false;
  return {
    stores: current.stores,
    release: async () => {
      if (released) return;
      released = true;
      current.references--;
      if (current.references > 0) return;
      if (held.get(id) === current) held.delete(id);
      await current.stores.close();
    },
  };
}
