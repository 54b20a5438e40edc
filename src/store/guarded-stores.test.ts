import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuardedStores, StoreTimeoutError, storeErrorCode, type SharedBackend } from './guarded-stores.ts';
import { LocalBanStore, LocalCounterStore } from './local-store.ts';
import { StoreUnavailableError, type Ban, type ConsumeRequest, type LimitSpec } from './store.ts';
import { systemLog } from '../observe/system-log.ts';

/** A shared backend held in memory (as the cluster primary holds it) that can be switched off. */
class SwitchableBackend implements SharedBackend {
  up = true;
  readonly counters = new LocalCounterStore();
  readonly bans = new LocalBanStore();
  private check(): void { if (!this.up) throw new Error('Connection is closed.'); }
  async consumeMany(requests: readonly ConsumeRequest[]) { this.check(); return this.counters.consumeManyNow(requests); }
  async putBan(ban: Ban) { this.check(); this.bans.put(ban); }
  async removeBan(key: string) { this.check(); return this.bans.unbanNow(key); }
  async listBans() { this.check(); return this.bans.listNow(); }
  async close() { this.counters.close(); }
}

const spec: LimitSpec = { algorithm: 'sliding-window', limit: 2, windowMs: 60_000 };
const options = { kind: 'redis' as const, retryMs: 50, banRefreshMs: 60_000, maxLocalKeys: 1000 };

test('falls back to local counters while the backend is down, and returns to it', async () => {
  systemLog.setQuiet(true);
  const backend = new SwitchableBackend();
  const stores = new GuardedStores(backend, { ...options, onUnavailable: 'local' });
  try {
    assert.equal((await stores.counters.consume('k', spec)).allowed, true);
    backend.up = false;
    const during = [await stores.counters.consume('k', spec), await stores.counters.consume('k', spec), await stores.counters.consume('k', spec)];
    assert.deepEqual(during.map((d) => d.allowed), [true, true, false], 'a fresh local count');
    assert.equal(stores.isDegraded, true);
    backend.up = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal((await stores.counters.consume('k', spec)).allowed, true, 'the shared count had one left');
    assert.equal(stores.isDegraded, false);
    assert.equal((await stores.counters.consume('k', spec)).allowed, false);
  } finally {
    await stores.close();
  }
});

test('fail-closed rejects with StoreUnavailableError; bans set during an outage reach the backend later', async () => {
  const backend = new SwitchableBackend();
  const closed = new GuardedStores(backend, { ...options, onUnavailable: 'fail-closed' });
  backend.up = false;
  await assert.rejects(closed.counters.consume('k', spec), StoreUnavailableError);
  await assert.rejects(closed.counters.consume('k', spec), StoreUnavailableError, 'also while the retry pause runs');
  await closed.close();

  const open = new GuardedStores(backend, { ...options, onUnavailable: 'local' });
  const ban = await open.bans.ban('ip:192.0.2.9', 60_000, 'flood');
  assert.deepEqual(open.bans.isBanned('ip:192.0.2.9'), ban, 'enforced at once in this process');
  assert.equal(backend.bans.isBanned('ip:192.0.2.9'), undefined);
  backend.up = true;
  await new Promise((resolve) => setTimeout(resolve, 60));
  await open.bans.list(); // any successful call ends the outage
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(backend.bans.isBanned('ip:192.0.2.9'), ban, 'written to the shared store on recovery');
  await open.close();
});

test('error codes are short and stable', () => {
  assert.equal(storeErrorCode(new StoreTimeoutError('x')), 'timeout');
  assert.equal(storeErrorCode(new Error('Command timed out')), 'timeout');
  assert.equal(storeErrorCode(new Error("Stream isn't writeable and enableOfflineQueue options is false")), 'unavailable');
  assert.equal(storeErrorCode(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })), 'unavailable');
  assert.equal(storeErrorCode(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(storeErrorCode('weird'), 'error');
});

test('a ban set or lifted while the ban list is being fetched survives the list that arrives after it', async () => {
  /** The backend answers listBans only when told to, with the list as it was when asked. */
  class SlowListBackend extends SwitchableBackend {
    release: (() => void)[] = [];
    override async listBans() {
      const snapshot = this.bans.listNow();
      await new Promise<void>((resolve) => this.release.push(resolve));
      return snapshot;
    }
  }
  const backend = new SlowListBackend();
  const old: Ban = Object.freeze({ key: 'ip:192.0.2.1', reason: 'old', since: Date.now(), until: Date.now() + 60_000 });
  backend.bans.put(old);
  const stores = new GuardedStores(backend, { ...options, onUnavailable: 'local' });
  try {
    stores.start(); // the first refresh asks for the list at once
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(backend.release.length, 1);
    const ban = await stores.bans.ban('ip:192.0.2.7', 60_000, 'flood');
    assert.equal(await stores.bans.unban('ip:192.0.2.1'), true, 'lifted in the backend');
    backend.release.shift()!(); // the list, fetched before both, arrives
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(stores.bans.isBanned('ip:192.0.2.7'), ban, 'the ban set meanwhile is kept');
    assert.equal(stores.bans.isBanned(old.key), undefined, 'the ban lifted meanwhile stays lifted');
  } finally {
    for (const release of backend.release) release();
    await stores.close();
  }
});
