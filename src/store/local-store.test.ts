import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalBanStore, LocalCounterStore } from './local-store.ts';
import { slidingWindow, slotMs, tokenBucket } from './algorithms.ts';
import type { LimitSpec } from './store.ts';
import { acquireStores } from './registry.ts';

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, read: () => time.now };
}

test('sliding window admits exactly the limit, then frees slots as they leave the window', () => {
  const { time, read } = clock();
  const store = new LocalCounterStore({ clock: read });
  const spec: LimitSpec = { algorithm: 'sliding-window', limit: 5, windowMs: 1000 };
  const results = Array.from({ length: 8 }, () => store.consumeNow('k', spec));
  assert.deepEqual(results.map((r) => r.allowed), [true, true, true, true, true, false, false, false]);
  assert.deepEqual(results.map((r) => r.remaining), [4, 3, 2, 1, 0, 0, 0, 0]);
  const refused = results[5]!;
  assert.equal(refused.retryAfterMs, 1000, 'a burst within one slot: exact');
  time.now += 500;
  assert.equal(store.consumeNow('k', spec).allowed, false, 'still inside the window');
  time.now += refused.retryAfterMs - 500;
  assert.equal(store.consumeNow('k', spec).allowed, true, 'the first slot has left the window');
  store.close();
});

test('sliding window never admits more than the limit in any window (randomised arrivals)', () => {
  const spec: LimitSpec = { algorithm: 'sliding-window', limit: 7, windowMs: 300 };
  let state;
  const accepted: number[] = [];
  let now = 5_000_000;
  for (let i = 0; i < 5000; i++) {
    now += Math.floor(Math.random() * 40);
    const step = slidingWindow(state, spec, 1, now);
    state = step.state;
    if (step.decision.allowed) accepted.push(now);
  }
  for (let i = 0; i < accepted.length; i++) {
    let inWindow = 0;
    for (let j = i; j < accepted.length && accepted[j]! < accepted[i]! + spec.windowMs; j++) inWindow++;
    assert.ok(inWindow <= spec.limit, `window starting ${accepted[i]} holds ${inWindow}`);
  }
  // The safe-side error is bounded: the long-run rate is at least limit per (window + one slot).
  const seconds = (now - 5_000_000) / 1000;
  assert.ok(accepted.length >= Math.floor(seconds * 1000 / (spec.windowMs + slotMs(spec.windowMs))) * spec.limit * 0.9);
});

test('token bucket: burst, then refill at limit per window', () => {
  const { time, read } = clock();
  const store = new LocalCounterStore({ clock: read });
  const spec: LimitSpec = { algorithm: 'token-bucket', limit: 10, windowMs: 1000, burst: 20 };
  const burst = Array.from({ length: 25 }, () => store.consumeNow('k', spec).allowed).filter(Boolean).length;
  assert.equal(burst, 20);
  const refused = store.consumeNow('k', spec);
  assert.equal(refused.allowed, false);
  assert.equal(refused.limit, 20);
  assert.equal(refused.retryAfterMs, 100);
  time.now += 300; // 3 tokens
  assert.equal(Array.from({ length: 5 }, () => store.consumeNow('k', spec).allowed).filter(Boolean).length, 3);
  time.now += 10_000;
  const full = store.consumeNow('k', spec, 20);
  assert.equal(full.allowed, true, 'refilled to the burst, not beyond');
  assert.equal(store.consumeNow('k', spec).allowed, false);
  store.close();
});

test('cost counts several units; a cost above the capacity is never admitted', () => {
  const step = tokenBucket(undefined, { algorithm: 'token-bucket', limit: 5, windowMs: 1000 }, 6, 0);
  assert.equal(step.decision.allowed, false);
  assert.equal(step.decision.retryAfterMs, 1000);
  const window = slidingWindow(undefined, { algorithm: 'sliding-window', limit: 10, windowMs: 1000 }, 4, 0);
  assert.equal(window.decision.remaining, 6);
});

test('keys are independent; expired keys are swept; maxKeys drops the oldest', () => {
  const { time, read } = clock();
  const store = new LocalCounterStore({ clock: read, maxKeys: 3 });
  const spec: LimitSpec = { algorithm: 'sliding-window', limit: 1, windowMs: 100 };
  assert.equal(store.consumeNow('a', spec).allowed, true);
  assert.equal(store.consumeNow('a', spec).allowed, false);
  assert.equal(store.consumeNow('b', spec).allowed, true);
  store.consumeNow('c', spec);
  store.consumeNow('d', spec);
  assert.equal(store.size, 3);
  assert.equal(store.consumeNow('a', spec).allowed, true, '"a" was the oldest and was dropped');
  time.now += 1000;
  store.sweep();
  assert.equal(store.size, 0);
  store.close();
});

test('bans: ban, isBanned, expiry, unban, list', async () => {
  const { time, read } = clock();
  const bans = new LocalBanStore({ clock: read });
  const ban = await bans.ban('ip:192.0.2.1', 1000, 'too_many_requests');
  assert.equal(ban.until - ban.since, 1000);
  assert.equal(bans.isBanned('ip:192.0.2.1')?.reason, 'too_many_requests');
  assert.equal(bans.isBanned('ip:192.0.2.2'), undefined);
  await bans.ban('ip:192.0.2.3', 5000, 'manual');
  assert.deepEqual((await bans.list()).map((b) => b.key).sort(), ['ip:192.0.2.1', 'ip:192.0.2.3']);
  time.now += 1000;
  assert.equal(bans.isBanned('ip:192.0.2.1'), undefined, 'expired');
  assert.equal(await bans.unban('ip:192.0.2.3'), true);
  assert.equal(await bans.unban('ip:192.0.2.3'), false);
  assert.deepEqual(await bans.list(), []);
});

test('registry: the same settings share one store until the last lease is released', async () => {
  const a = acquireStores({ kind: 'local', maxLocalKeys: 1234 } as never);
  const b = acquireStores({ kind: 'local', maxLocalKeys: 1234 } as never);
  assert.equal(a.stores, b.stores);
  await a.stores.bans.ban('ip:x', 60_000, 'test');
  await a.release();
  await a.release(); // twice is harmless
  assert.ok(b.stores.bans.isBanned('ip:x'), 'still held by b');
  const c = acquireStores({ kind: 'local', maxLocalKeys: 1234 } as never);
  assert.equal(c.stores, b.stores);
  await b.release();
  await c.release();
  const d = acquireStores({ kind: 'local', maxLocalKeys: 1234 } as never);
  assert.notEqual(d.stores, c.stores, 'a new store once nobody held the old one');
  assert.equal(d.stores.bans.isBanned('ip:x'), undefined);
  await d.release();
});

test('consumeMany is all or nothing: a refused request counts against no limit', () => {
  const { time, read } = clock();
  const store = new LocalCounterStore({ clock: read });
  const perSecond: LimitSpec = { algorithm: 'sliding-window', limit: 3, windowMs: 1000 };
  const perMinute: LimitSpec = { algorithm: 'sliding-window', limit: 5, windowMs: 60_000 };
  const ask = () => store.consumeManyNow([{ key: 's', spec: perSecond }, { key: 'm', spec: perMinute }]);
  assert.deepEqual([ask(), ask(), ask()].map((d) => d.every((x) => x.allowed)), [true, true, true]);
  const refused = ask();
  assert.deepEqual(refused.map((d) => d.allowed), [false, true]);
  assert.equal(refused[1]!.remaining, 2, 'the per-minute quota was not spent by the refused request');
  time.now += 1100;
  assert.deepEqual([ask(), ask(), ask()].map((d) => d.every((x) => x.allowed)), [true, true, false]);
  const last = ask();
  assert.deepEqual(last.map((d) => d.allowed), [true, false]);
  assert.ok(last[1]!.retryAfterMs > 58_000);
  store.close();
});
