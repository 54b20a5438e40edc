import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Pool, request } from 'undici';
import { Redis } from 'ioredis';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, catchAllPolicy } from '../helpers/gateway.ts';
import { spawnCli, freePort, type RunningCli } from '../helpers/cli.ts';
import { createRedisStores } from '../../src/store/redis-store.ts';
import { validatePolicyObject } from '../../src/config/load-policy.ts';
import { ClusterStoreHost } from '../../src/store/cluster-store.ts';
import type { StoreSettings } from '../../src/store/config.ts';
import type { LimitSpec } from '../../src/store/store.ts';

const REDIS = '/usr/bin/redis-server';
const noRedis = existsSync(REDIS) ? false : `${REDIS} is not installed`;

interface RedisServer { port: number; url: string; process: ChildProcess; stop(): Promise<void> }

/** A private redis-server on `port` (a free one by default), no persistence. */
async function startRedis(port?: number): Promise<RedisServer> {
  const chosen = port ?? await freePort();
  const child = spawn(REDIS, ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`redis-server exited: ${output}`)); });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    port: chosen, url: `redis://127.0.0.1:${chosen}`, process: child,
    async stop() { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } },
  };
}

let upstream: TestUpstream;
const running: RunningCli[] = [];
before(async () => { upstream = await startUpstream(); });
after(async () => {
  for (const cli of running) if (cli.child.exitCode === null) { cli.child.kill('SIGTERM'); await cli.exited; }
  await upstream.close();
});

/** Starts `portcullis start --config` on a policy; resolves when the admin listener says ready. */
async function startCli(policy: Record<string, unknown>): Promise<{ cli: RunningCli; url: string; admin: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-stores-'));
  const port = await freePort();
  const adminPort = await freePort();
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, stringify({
    listeners: [{ address: `127.0.0.1:${port}` }],
    admin: { address: `127.0.0.1:${adminPort}` },
    logging: { access: { enabled: false }, security: { enabled: false } },
    ...policy,
  }));
  const cli = await spawnCli(['start', '--config', file], '"event":"started"', { timeoutMs: 30_000 });
  running.push(cli);
  const admin = `http://127.0.0.1:${adminPort}`;
  for (let i = 0; i < 200; i++) {
    const ready = await request(`${admin}/readyz`).then(async (res) => { await res.body.dump(); return res.statusCode === 200; }, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { cli, url: `http://127.0.0.1:${port}`, admin };
}

async function stopCli(cli: RunningCli): Promise<void> {
  if (cli.child.exitCode === null) { cli.child.kill('SIGTERM'); await cli.exited; }
}

/**
 * `total` GET requests spread over `origins` in turn, `connections` new connections per origin used at once
 * (each request on a fresh connection when `fresh`, so that the kernel spreads them over cluster workers).
 */
async function spread(origins: string[], total: number, connections: number, fresh = false): Promise<number[]> {
  const pools = origins.map((origin) => new Pool(origin, { connections, pipelining: 1, ...(fresh ? { keepAliveTimeout: 1, keepAliveMaxTimeout: 1 } : {}) }));
  try {
    return await Promise.all(Array.from({ length: total }, async (_, i) => {
      const res = await pools[i % pools.length]!.request({ path: '/limited', method: 'GET', headers: fresh ? { connection: 'close' } : {} });
      await res.body.dump();
      return res.statusCode;
    }));
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

const admitted = (statuses: number[]) => statuses.filter((s) => s === 200).length;
const LIMIT = 60;
const limitedPolicy = (store: Record<string, unknown>, workers = 1) => catchAllPolicy(upstream.url, {
  workers,
  store,
  protections: { rateLimit: { limits: [{ name: 'shared', limit: LIMIT, window: '1m' }] } },
});

async function metric(admin: string, name: string): Promise<number> {
  const res = await request(`${admin}/metrics`);
  const text = await res.body.text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes('store="redis"')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** Process ids owning TCP connections to the test upstream (from `ss`), other than this test process. */
async function upstreamClientPids(): Promise<Set<number>> {
  const output = await new Promise<string>((resolve) => {
    const child = spawn('ss', ['-Htnp', 'dst', `127.0.0.1:${upstream.port}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout!.on('data', (chunk) => { text += chunk; });
    child.on('close', () => resolve(text));
    child.on('error', () => resolve(''));
  });
  const pids = new Set<number>();
  for (const part of output.split('pid=').slice(1)) {
    const pid = Number.parseInt(part, 10);
    if (pid !== process.pid) pids.add(pid);
  }
  return pids;
}

test('cluster store: exact across 2 workers', async () => {
  const exact = await startCli(limitedPolicy({ kind: 'cluster' }, 2));
  const statuses = await spread([exact.url], 3 * LIMIT, 24, true);
  // Both workers forwarded requests: each holds its own keep-alive connections to the upstream.
  const forwarders = await upstreamClientPids();
  await stopCli(exact.cli);
  const clusterAdmitted = admitted(statuses);
  console.log(`# cluster store, 2 workers: admitted ${clusterAdmitted} of ${statuses.length} (limit ${LIMIT}), forwarded by ${forwarders.size} processes`);
  assert.equal(clusterAdmitted, LIMIT);
  assert.equal(statuses.filter((s) => s === 429).length, 2 * LIMIT);
  if (existsSync('/usr/bin/ss') || existsSync('/bin/ss')) assert.equal(forwarders.size, 2, 'the requests were spread over both workers');
});

test('cluster store host: counters and bans answered over the message protocol', () => {
  const host = new ClusterStoreHost();
  const replies: unknown[] = [];
  const spec: LimitSpec = { algorithm: 'sliding-window', limit: 1, windowMs: 1000 };
  assert.equal(host.handle({ type: 'ready' }, (r) => replies.push(r)), false, 'other messages are left alone');
  host.handle({ type: 'store:request', id: 1, op: 'consume', requests: [{ key: 'k', spec }] }, (r) => replies.push(r));
  host.handle({ type: 'store:request', id: 2, op: 'consume', requests: [{ key: 'k', spec }] }, (r) => replies.push(r));
  host.handle({ type: 'store:request', id: 3, op: 'ban', ban: { key: 'ip:192.0.2.1', reason: 't', since: Date.now(), until: Date.now() + 60_000 } }, (r) => replies.push(r));
  host.handle({ type: 'store:request', id: 4, op: 'list' }, (r) => replies.push(r));
  host.handle({ type: 'store:request', id: 5, op: 'unban', key: 'ip:192.0.2.1' }, (r) => replies.push(r));
  const results = replies.map((r) => (r as { result: unknown }).result) as [{ allowed: boolean }[], { allowed: boolean }[], boolean, { key: string }[], boolean];
  assert.equal(results[0][0]!.allowed, true);
  assert.equal(results[1][0]!.allowed, false);
  assert.deepEqual(results[3].map((b) => b.key), ['ip:192.0.2.1']);
  assert.equal(results[4], true);
  host.close();
});

test('redis store: exact across 2 instances sharing one redis-server', { skip: noRedis }, async () => {
  const redis = await startRedis();
  try {
    // Two instances: a `portcullis start` process and a gateway in this process, each with its own Redis client.
    const store = { kind: 'redis', redis: { url: redis.url, keyPrefix: 'two:' } };
    const a = await startCli(limitedPolicy(store));
    const b = await startGateway(limitedPolicy(store));
    try {
      const statuses = await spread([a.url, b.url], 4 * LIMIT, 16);
      console.log(`# redis store, 2 instances: admitted ${admitted(statuses)} of ${statuses.length} (limit ${LIMIT})`);
      assert.equal(admitted(statuses), LIMIT);
      const [fromA, fromB] = [statuses.filter((_, i) => i % 2 === 0), statuses.filter((_, i) => i % 2 === 1)];
      assert.ok(admitted(fromA) > 0 && admitted(fromB) > 0, 'both instances admitted some');
    } finally {
      await Promise.all([stopCli(a.cli), b.close()]);
    }
  } finally {
    await redis.stop();
  }
});

/** Captures the system log (stderr) of this process while `during` runs. */
function captureSystemLog(): { text(): string; stop(): void } {
  let captured = '';
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return { text: () => captured, stop: () => { process.stderr.write = original; } };
}

test('redis unavailable: serves with local counters, logs and counts it; shared again once Redis is back', { skip: noRedis }, async () => {
  const redis = await startRedis();
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  const log = captureSystemLog();
  const gw = await startGateway(limitedPolicy({ kind: 'redis', redis: { url: redis.url, keyPrefix: 'down:', retryMs: 100, banRefreshMs: 200, commandTimeoutMs: 200 } }));
  const admin = gw.adminUrl;
  try {
    const send = () => request(`${gw.url}/limited`).then(async (res) => { await res.body.dump(); return res.statusCode; });
    const errorsBefore = await metric(admin, 'portcullis_store_errors_total');
    for (let i = 0; i < 10; i++) assert.equal(await send(), 200);
    assert.equal(await metric(admin, 'portcullis_store_errors_total'), errorsBefore, 'no error while Redis answers');

    await redis.stop();
    // Served from this process's own counters: a fresh count, so LIMIT more, then 429.
    const during: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) during.push(await send());
    assert.equal(admitted(during), LIMIT);
    assert.deepEqual(during.slice(-5), [429, 429, 429, 429, 429]);
    assert.ok(await metric(admin, 'portcullis_store_errors_total') > errorsBefore, 'failed calls are counted');
    assert.equal(await metric(admin, 'portcullis_store_fallback'), 1);
    const unavailable = log.text().split('\n').find((line) => line.includes('"event":"store_unavailable"'));
    assert.ok(unavailable, 'the outage is logged');
    assert.equal(JSON.parse(unavailable).store, 'redis');

    const back = await startRedis(redis.port);
    try {
      // The ban refresh (every 200 ms here) finds Redis back; `store_recovered` is an info line (silenced in tests).
      for (let i = 0; i < 100 && await metric(admin, 'portcullis_store_fallback') !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await metric(admin, 'portcullis_store_fallback'), 0, 'back to the shared store');
      // Counting happens in Redis again (a new, empty server): its counter holds exactly what was admitted.
      for (let i = 0; i < 7; i++) assert.equal(await send(), 200);
      await client.connect();
      const keys = await client.keys('down:rl:*');
      assert.equal(keys.length, 1);
      const fields = await client.hgetall(keys[0]!);
      const counted = Object.entries(fields).filter(([name]) => name.startsWith('c')).reduce((sum, [, value]) => sum + Number(value), 0);
      assert.equal(counted, 7);
    } finally {
      client.disconnect();
      await back.stop();
    }
  } finally {
    log.stop();
    await gw.close();
    await redis.stop();
  }
});

test('redis unavailable with fail-closed: 503 store_unavailable', { skip: noRedis }, async (t) => {
  const port = await freePort(); // nothing listens there
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    store: { kind: 'redis', onUnavailable: 'fail-closed', redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: 'closed:', retryMs: 100 } },
    routes: [
      { name: 'limited', path: '/limited', upstream: 'up', protections: { rateLimit: { limits: [{ limit: 5, window: '1m' }] } } },
      { name: 'free', path: '/**', upstream: 'up' },
    ],
  }));
  t.after(() => gw.close());
  const res = await request(`${gw.url}/limited`);
  const body = await res.body.json() as Record<string, unknown>;
  assert.equal(res.statusCode, 503);
  assert.equal(body.reason, 'store_unavailable');
  assert.equal(res.headers['retry-after'], '1');
  const free = await request(`${gw.url}/other`);
  await free.body.dump();
  assert.equal(free.statusCode, 200, 'routes without rate limits are not affected');
});

function redisSettings(url: string, prefix: string): StoreSettings {
  return validatePolicyObject(catchAllPolicy('http://127.0.0.1:1', { store: { kind: 'redis', redis: { url, keyPrefix: prefix, banRefreshMs: 100 } } }), 'test').store;
}

test('redis store: same answers as the local algorithms, atomic across limits, scripts reloaded after SCRIPT FLUSH', { skip: noRedis }, async () => {
  const redis = await startRedis();
  const stores = createRedisStores(redisSettings(redis.url, 'algo:'), undefined);
  const client = new Redis(redis.url);
  try {
    const window: LimitSpec = { algorithm: 'sliding-window', limit: 5, windowMs: 1000 };
    const bucket: LimitSpec = { algorithm: 'token-bucket', limit: 10, windowMs: 1000, burst: 3 };
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await stores.counters.consume('w', window));
    assert.deepEqual(results.map((r) => r.allowed), [true, true, true, true, true, false, false]);
    assert.deepEqual(results.map((r) => r.remaining), [4, 3, 2, 1, 0, 0, 0]);
    assert.ok(results[5]!.retryAfterMs > 900 && results[5]!.retryAfterMs <= 1000, `retry ${results[5]!.retryAfterMs}`);
    const bursts = [];
    for (let i = 0; i < 5; i++) bursts.push((await stores.counters.consume('b', bucket)).allowed);
    assert.deepEqual(bursts, [true, true, true, false, false]);
    const emptiedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 220)); // two tokens back (one per 100 ms), more if the VM is slow
    const refill = [];
    for (let i = 0; i < 4; i++) refill.push((await stores.counters.consume('b', bucket)).allowed);
    const refilled = Math.min(3, Math.floor((Date.now() - emptiedAt) / 100));
    const granted = refill.filter(Boolean).length;
    assert.ok(granted >= 2 && granted <= refilled, `granted ${granted} after ${Date.now() - emptiedAt} ms`);
    assert.equal(refill[granted], false, 'tokens are taken in order until the bucket is empty');

    await client.script('FLUSH');
    const both = await stores.counters.consumeMany([{ key: 'x', spec: window }, { key: 'y', spec: { ...window, limit: 1 } }]);
    assert.deepEqual(both.map((d) => d.allowed), [true, true], 'EVAL fallback after NOSCRIPT');
    const refused = await stores.counters.consumeMany([{ key: 'x', spec: window }, { key: 'y', spec: { ...window, limit: 1 } }]);
    assert.deepEqual(refused.map((d) => d.allowed), [true, false]);
    assert.equal(refused[0]!.remaining, 4, '"x" did not count the refused request');
    assert.deepEqual((await client.keys('*')).sort(), ['algo:rl:sw:w', 'algo:rl:sw:x', 'algo:rl:sw:y', 'algo:rl:tb:b'], 'every key carries the prefix');
    assert.ok(await client.pttl('algo:rl:sw:x') > 0, 'counter keys expire');
  } finally {
    client.disconnect();
    await stores.close();
    await redis.stop();
  }
});

test('redis store: bans are shared between instances within about a second', { skip: noRedis }, async () => {
  const redis = await startRedis();
  const a = createRedisStores(redisSettings(redis.url, 'bans:'), undefined);
  const b = createRedisStores(redisSettings(redis.url, 'bans:'), undefined);
  try {
    a.start();
    b.start();
    const ban = await a.bans.ban('ip:203.0.113.5', 60_000, 'flood');
    assert.equal(a.bans.isBanned('ip:203.0.113.5')?.reason, 'flood', 'at once where it was set');
    let seen = b.bans.isBanned('ip:203.0.113.5');
    for (let i = 0; i < 40 && !seen; i++) { await new Promise((resolve) => setTimeout(resolve, 50)); seen = b.bans.isBanned('ip:203.0.113.5'); }
    assert.deepEqual(seen, ban);
    assert.deepEqual((await b.bans.list()).map((x) => x.key), ['ip:203.0.113.5']);
    await a.bans.ban('ip:203.0.113.6', 1, 'short');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual((await b.bans.list()).map((x) => x.key), ['ip:203.0.113.5'], 'expired bans are not listed');
    assert.equal(await b.bans.unban('ip:203.0.113.5'), true);
    assert.equal(await b.bans.unban('ip:203.0.113.5'), false);
    for (let i = 0; i < 40 && a.bans.isBanned('ip:203.0.113.5'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(a.bans.isBanned('ip:203.0.113.5'), undefined, 'the unban reached the other instance');
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});

test('redis store through the gateway: API keys are hashed in counter keys; a reload with the same store keeps counts', { skip: noRedis }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const policy = catchAllPolicy(upstream.url, {
    store: { kind: 'redis', redis: { url: redis.url, keyPrefix: 'gw:' } },
    protections: { rateLimit: { limits: [{ name: 'api', limit: 3, window: '1m', key: 'header:x-api-key' }] } },
  });
  const gw = await startGateway(policy);
  t.after(() => gw.close());
  const send = () => request(`${gw.url}/`, { headers: { 'x-api-key': 'sk_live_very_secret_value' } }).then(async (res) => { await res.body.dump(); return res.statusCode; });
  assert.deepEqual([await send(), await send()], [200, 200]);
  const client = new Redis(redis.url);
  t.after(() => client.disconnect());
  const keys = await client.keys('*');
  assert.equal(keys.length, 1);
  assert.ok(keys[0]!.startsWith('gw:rl:sw:rl:global:api:h:x-api-key='));
  assert.ok(!keys[0]!.includes('sk_live'), 'the raw key is not in Redis');
  gw.writePolicy({ ...policy, mode: 'enforce' });
  assert.equal(await gw.gateway.reload(), true);
  assert.deepEqual([await send(), await send()], [200, 429], 'the count went on after the reload');
});
