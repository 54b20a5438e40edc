import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, request } from 'undici';
import { SignJWT } from 'jose';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, catchAllPolicy } from '../helpers/gateway.ts';

let upstream: TestUpstream;

before(async () => { upstream = await startUpstream(); });
after(async () => { await upstream.close(); });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }

async function send(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await request(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers });
  const text = await res.body.text();
  let body: Record<string, unknown> = {};
  try { body = text ? JSON.parse(text) as Record<string, unknown> : {}; } catch { /* not JSON */ }
  return { status: res.statusCode, headers: res.headers, body };
}

/** `count` requests at once over `connections` connections; the statuses, in completion order. */
async function flood(origin: string, path: string, count: number, connections = 16, headers: Record<string, string> = {}): Promise<number[]> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  try {
    return await Promise.all(Array.from({ length: count }, async () => {
      const res = await pool.request({ path, method: 'GET', headers });
      await res.body.dump();
      return res.statusCode;
    }));
  } finally {
    await pool.close();
  }
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('limit 50 per 2 s: of 80 concurrent requests exactly 50 are admitted, the rest get 429 with headers', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: { rateLimit: { limits: [{ name: 'burst', limit: 50, window: '2s' }] } },
  }));
  t.after(() => gw.close());
  const before = upstream.requests.length;
  const statuses = await flood(gw.url, '/items', 80, 20);
  assert.equal(count(statuses, 200), 50);
  assert.equal(count(statuses, 429), 30);
  assert.equal(upstream.requests.length - before, 50, 'refused requests never reach the upstream');

  const refused = await send(`${gw.url}/items`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.equal(refused.body.reason, 'rate_limited');
  assert.deepEqual(refused.body.limits, ['burst']);
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter} is the wait in whole seconds`);
  assert.equal(refused.headers['ratelimit-policy'], '"burst";q=50;w=2');
  assert.match(String(refused.headers.ratelimit), /^"burst";r=0;t=[1-3]$/);

  const events = (await gw.logs()).filter((line) => line.type === 'security' && line.reason === 'rate_limited');
  assert.ok(events.length >= 30);
  assert.equal(events[0]!.protection, 'rate-limit');
  assert.equal(events[0]!.ruleId, 'burst');
});

test('admitted responses carry RateLimit-Policy and RateLimit with the remaining quota (unless headers: false)', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    routes: [
      { name: 'quiet', path: '/quiet/**', upstream: 'up', protections: { rateLimit: { headers: false, limits: [{ limit: 5, window: '1m' }] } } },
      { name: 'all', path: '/**', upstream: 'up', protections: { rateLimit: { limits: [{ limit: 5, window: '1m' }] } } },
    ],
  }));
  t.after(() => gw.close());
  const first = await send(`${gw.url}/a`);
  assert.equal(first.status, 200);
  assert.equal(first.headers['ratelimit-policy'], '"5-per-1m";q=5;w=60');
  assert.match(String(first.headers.ratelimit), /^"5-per-1m";r=4;t=(60|61)$/);
  const second = await send(`${gw.url}/a`);
  assert.match(String(second.headers.ratelimit), /^"5-per-1m";r=3;t=/);

  const quiet = await send(`${gw.url}/quiet/a`);
  assert.equal(quiet.status, 200);
  assert.equal(quiet.headers['ratelimit-policy'], undefined);
  assert.equal(quiet.headers.ratelimit, undefined);
  for (let i = 0; i < 4; i++) await send(`${gw.url}/quiet/a`);
  const refused = await send(`${gw.url}/quiet/a`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['ratelimit-policy'], '"5-per-1m";q=5;w=60', '429 replies always carry them');
});

test('sliding window: a refused client is admitted again once the oldest requests leave the window', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: { rateLimit: { limits: [{ limit: 3, windowMs: 1000 }] } },
  }));
  t.after(() => gw.close());
  for (let i = 0; i < 3; i++) assert.equal((await send(`${gw.url}/`)).status, 200);
  const started = Date.now();
  const refused = await send(`${gw.url}/`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  await sleep(400);
  assert.equal((await send(`${gw.url}/`)).status, 429, 'still inside the window');
  await sleep(Math.max(0, 1150 - (Date.now() - started)));
  const statuses = [await send(`${gw.url}/`), await send(`${gw.url}/`), await send(`${gw.url}/`), await send(`${gw.url}/`)].map((r) => r.status);
  assert.deepEqual(statuses, [200, 200, 200, 429], 'a whole new quota, and no more');
});

test('token bucket: a burst of `burst`, then a refill of `limit` per window', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: { rateLimit: { limits: [{ name: 'bucket', algorithm: 'token-bucket', limit: 10, window: '1s', burst: 20 }] } },
  }));
  t.after(() => gw.close());
  const started = Date.now();
  const statuses = await flood(gw.url, '/', 30, 10);
  const elapsed = Date.now() - started;
  const admitted = count(statuses, 200);
  // 20 at once, plus at most one token per 100 ms that passed while the flood ran.
  assert.ok(admitted >= 20 && admitted <= 20 + Math.ceil(elapsed / 100), `admitted ${admitted} in ${elapsed} ms`);
  // The bucket is empty now. A token comes back every 100 ms, so on a loaded machine one may have come back before
  // the next request: of three sent one after the other, at most two pass before the refusal.
  let refused = await send(`${gw.url}/`);
  for (let i = 0; i < 2 && refused.status === 200; i++) refused = await send(`${gw.url}/`);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['ratelimit-policy'], '"bucket";q=20;w=1');
  await sleep(550);
  const afterPause = [];
  for (let i = 0; i < 12; i++) afterPause.push((await send(`${gw.url}/`)).status);
  const refill = count(afterPause, 200);
  assert.ok(refill >= 5 && refill <= 9, `about 5 tokens came back in 550 ms (got ${refill})`);
});

test('several limits on a route: the most restrictive wins, and refused requests spend no quota', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: {
      rateLimit: { limits: [{ name: 'second', limit: 4, window: '1s' }, { name: 'hour', limit: 7, window: '1h' }] },
    },
  }));
  t.after(() => gw.close());
  const first = [];
  for (let i = 0; i < 10; i++) first.push(await send(`${gw.url}/`));
  assert.deepEqual(first.map((r) => r.status), [200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
  assert.deepEqual(first[4]!.body.limits, ['second']);
  assert.equal(first[0]!.headers['ratelimit-policy'], '"second";q=4;w=1, "hour";q=7;w=3600');
  assert.match(String(first[4]!.headers.ratelimit), /^"second";r=0;t=1, "hour";r=3;t=\d+$/);
  await sleep(1150);
  const second = [];
  for (let i = 0; i < 4; i++) second.push(await send(`${gw.url}/`));
  assert.deepEqual(second.map((r) => r.status), [200, 200, 200, 429], 'the hourly limit had 3 left: the six refusals spent none');
  const hourly = second[3]!;
  assert.deepEqual(hourly.body.limits, ['hour']);
  assert.ok(Number(hourly.headers['retry-after']) > 3500, `Retry-After ${hourly.headers['retry-after']} is the hourly wait`);
});

test('per-method limits: POST is limited, GET is not; global and route limits add up', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'orders', path: '/orders/**', upstream: 'up', protections: { rateLimit: { limits: [{ name: 'writes', methods: ['POST'], limit: 2, window: '1m' }] } } },
      { name: 'rest', path: '/**', upstream: 'up' },
    ],
    protections: { rateLimit: { limits: [{ name: 'global', limit: 12, window: '1m' }] } },
  });
  t.after(() => gw.close());
  const posts = [];
  for (let i = 0; i < 3; i++) posts.push((await send(`${gw.url}/orders/1`, { method: 'POST' })).status);
  assert.deepEqual(posts, [200, 200, 429]);
  const gets = [];
  for (let i = 0; i < 5; i++) gets.push((await send(`${gw.url}/orders/1`)).status);
  assert.deepEqual(gets, [200, 200, 200, 200, 200], 'GET is not counted by the POST limit');
  const getHeaders = await send(`${gw.url}/orders/2`);
  assert.equal(getHeaders.headers['ratelimit-policy'], '"global";q=12;w=60', 'only the limits that apply are announced');
  const postHeaders = await send(`${gw.url}/orders/2`, { method: 'POST' });
  assert.equal(postHeaders.status, 429);
  assert.equal(postHeaders.headers['ratelimit-policy'], '"global";q=12;w=60, "writes";q=2;w=60', 'global and route items in one list');
  // The global instance runs before the route's and counts on its own: it admitted all 10 requests so far (the two
  // POSTs that "writes" refused included), so 2 are left for any route.
  const rest = [];
  for (let i = 0; i < 5; i++) rest.push((await send(`${gw.url}/other`)).status);
  assert.deepEqual(rest, [200, 200, 429, 429, 429], 'the global limit counts across routes');
});

test('key ip: each client behind a trusted proxy has its own quota (X-Forwarded-For)', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: { trustedProxies: ['127.0.0.1/32'] },
    protections: { rateLimit: { limits: [{ limit: 2, window: '1m', key: 'ip' }] } },
  }));
  t.after(() => gw.close());
  const from = (ip: string) => send(`${gw.url}/`, { headers: { 'x-forwarded-for': ip } });
  assert.deepEqual([(await from('198.51.100.1')).status, (await from('198.51.100.1')).status, (await from('198.51.100.1')).status], [200, 200, 429]);
  assert.deepEqual([(await from('198.51.100.2')).status, (await from('198.51.100.2')).status, (await from('198.51.100.2')).status], [200, 200, 429]);
  // A spoofed left-most entry does not help: the right-most untrusted address is the client.
  assert.equal((await from('203.0.113.9, 198.51.100.1')).status, 429);
});

test('key header: API keys are counted apart, hashed; a missing key falls back to the address or skips the limit', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'skip', path: '/skip/**', upstream: 'up', protections: { rateLimit: { limits: [{ limit: 2, window: '1m', key: 'header:x-api-key', onMissingKey: 'skip' }] } } },
      { name: 'combined', path: '/combined/**', upstream: 'up', protections: { rateLimit: { limits: [{ limit: 2, window: '1m', key: ['ip', 'header:x-api-key'] }] } } },
      { name: 'api', path: '/**', upstream: 'up', protections: { rateLimit: { limits: [{ limit: 2, window: '1m', key: 'header:x-api-key' }] } } },
    ],
  });
  t.after(() => gw.close());
  const withKey = (path: string, key?: string) => send(`${gw.url}${path}`, { headers: key ? { 'x-api-key': key } : {} }).then((r) => r.status);
  assert.deepEqual([await withKey('/a', 'key-alpha-123'), await withKey('/a', 'key-alpha-123'), await withKey('/a', 'key-alpha-123')], [200, 200, 429]);
  assert.deepEqual([await withKey('/a', 'key-beta-456'), await withKey('/a', 'key-beta-456'), await withKey('/a', 'key-beta-456')], [200, 200, 429]);
  assert.deepEqual([await withKey('/a'), await withKey('/a'), await withKey('/a')], [200, 200, 429], 'no key: counted by address');
  assert.deepEqual([await withKey('/skip/a'), await withKey('/skip/a'), await withKey('/skip/a')], [200, 200, 200], 'no key: limit skipped');
  assert.deepEqual([await withKey('/skip/a', 'k1'), await withKey('/skip/a', 'k1'), await withKey('/skip/a', 'k1')], [200, 200, 429]);
  assert.deepEqual([await withKey('/combined/a', 'k1'), await withKey('/combined/a', 'k1'), await withKey('/combined/a', 'k1'), await withKey('/combined/a', 'k2')], [200, 200, 429, 200]);
  const lines = JSON.stringify(await gw.logs());
  assert.ok(!lines.includes('key-alpha-123') && !lines.includes('key-beta-456'), 'raw API keys never reach the logs');
});

test('key principal: counted per JWT subject; without a principal, by address', async (t) => {
  const secret = 'rate-limit-test-secret-of-at-least-32-bytes!';
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: {
      jwt: { keys: [{ secret, algorithms: ['HS256'] }], required: false },
      rateLimit: { limits: [{ limit: 2, window: '1m', key: 'principal' }] },
    },
  }));
  t.after(() => gw.close());
  const token = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  const alice = { authorization: `Bearer ${await token('alice')}` };
  const bob = { authorization: `Bearer ${await token('bob')}` };
  const as = async (headers: Record<string, string>) => (await send(`${gw.url}/`, { headers })).status;
  assert.deepEqual([await as(alice), await as(alice), await as(alice)], [200, 200, 429]);
  assert.deepEqual([await as(bob), await as(bob), await as(bob)], [200, 200, 429], 'another subject, another quota (same address)');
  assert.deepEqual([await as({}), await as({}), await as({})], [200, 200, 429], 'anonymous requests share their address\'s quota');
});

test('monitor mode counts and records, but forwards', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: { rateLimit: { mode: 'monitor', limits: [{ name: 'm', limit: 2, window: '1m' }] } },
  }));
  t.after(() => gw.close());
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await send(`${gw.url}/`)).status);
  assert.deepEqual(statuses, [200, 200, 200, 200]);
  const events = (await gw.logs()).filter((line) => line.type === 'security' && line.reason === 'rate_limited');
  assert.equal(events.length, 2);
  assert.equal(events[0]!.wouldBlock, true);
});

test('counters survive a reload with the same store settings', async (t) => {
  const policy = catchAllPolicy(upstream.url, { protections: { rateLimit: { limits: [{ name: 'r', limit: 3, window: '1m' }] } } });
  const gw = await startGateway(policy);
  t.after(() => gw.close());
  for (let i = 0; i < 3; i++) assert.equal((await send(`${gw.url}/`)).status, 200);
  gw.writePolicy({ ...policy, routes: [{ name: 'all', path: '/**', upstream: 'up', methods: ['GET', 'POST'] }] });
  assert.equal(await gw.gateway.reload(), true);
  assert.equal((await send(`${gw.url}/`)).status, 429, 'the count carried over the reload');
});

test('configuration errors are reported at their pointers', async () => {
  const { validatePolicyObject } = await import('../../src/config/load-policy.ts');
  const { buildPipeline } = await import('../../src/pipeline/build-pipeline.ts');
  const policy = validatePolicyObject(catchAllPolicy(upstream.url, {
    protections: {
      rateLimit: {
        limits: [
          { limit: 1 },
          { limit: 1, window: '1s', windowMs: 1000 },
          { limit: 1, window: '1s', burst: 3 },
          { name: 'same', limit: 1, window: '1s' },
          { name: 'same', limit: 2, window: '1s' },
        ],
      },
    },
  }), 'test');
  assert.throws(() => buildPipeline(policy, 'test'), (error: Error & { issues?: { path: string }[] }) => {
    const paths = (error.issues ?? []).map((issue) => issue.path);
    assert.deepEqual(paths, [
      '/protections/rateLimit/limits/0',
      '/protections/rateLimit/limits/1',
      '/protections/rateLimit/limits/2/burst',
      '/protections/rateLimit/limits/4/name',
    ]);
    return true;
  });
});
