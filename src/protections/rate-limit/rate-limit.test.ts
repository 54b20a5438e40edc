import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLimits, counterKey, digest, parseWindow, rateLimit } from './rate-limit.ts';
import type { RateLimitConfig } from './config.ts';
import type { ConfigIssue, CreateContext } from '../../pipeline/protection.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import { createLocalStores } from '../../store/registry.ts';
import type { Block } from '../../pipeline/verdict.ts';

/** A stand-in exchange with what the protection reads. */
function exchange(fields: { clientIp?: string; method?: string; principal?: string; headers?: Record<string, string>; fingerprint?: string } = {}): Exchange {
  const responseHeaders = new Map<string, string>();
  return {
    clientIp: fields.clientIp ?? '192.0.2.1',
    method: fields.method ?? 'GET',
    principal: fields.principal,
    connection: { peerAddress: '192.0.2.1', peerPort: 1, listener: 'l', protocol: 'https', clientCertificateFingerprint: fields.fingerprint },
    header: (name: string) => fields.headers?.[name],
    responseHeaders,
    setResponseHeader: (name: string, value: string) => { responseHeaders.set(name, value); },
  } as unknown as Exchange;
}

function create(config: RateLimitConfig) {
  const issues: ConfigIssue[] = [];
  const stores = createLocalStores();
  const context: CreateContext = { policy: { workers: 1 } as Policy, scope: 'global', stores, issue: (path, message) => issues.push({ path, message }) };
  return { instance: rateLimit.create(config, context), issues, stores };
}

test('windows: number and unit', () => {
  assert.equal(parseWindow('1s'), 1000);
  assert.equal(parseWindow('1m'), 60_000);
  assert.equal(parseWindow('1h'), 3_600_000);
  assert.equal(parseWindow('250ms'), 250);
  assert.equal(parseWindow('2d'), 172_800_000);
  assert.equal(parseWindow('s'), undefined);
  assert.equal(parseWindow('5y'), undefined);
});

test('compiled limits: default names, policy items, GET implies HEAD', () => {
  const issues: string[] = [];
  const [a, b, c] = compileLimits([
    { limit: 10, window: '1s' },
    { limit: 10, window: '1s', methods: ['GET'] },
    { limit: 5, windowMs: 1500, algorithm: 'token-bucket', burst: 20, name: 'tb' },
  ], (path) => issues.push(path));
  assert.deepEqual(issues, []);
  assert.equal(a!.name, '10-per-1s');
  assert.equal(a!.policyItem, '"10-per-1s";q=10;w=1');
  assert.equal(b!.name, '10-per-1s-1', 'a clashing default name gets the index');
  assert.ok(b!.methods!.has('HEAD'));
  assert.equal(c!.policyItem, '"tb";q=20;w=2', 'the bucket size is the quota; the window is rounded up to seconds');
});

test('counter keys: header values and principals are hashed; missing parts fall back to the address or skip', () => {
  const [header, combined, skip, principal, cert] = compileLimits([
    { name: 'h', limit: 1, window: '1s', key: 'header:X-Api-Key' },
    { name: 'c', limit: 1, window: '1s', key: ['ip', 'header:x-api-key'] },
    { name: 's', limit: 1, window: '1s', key: 'principal', onMissingKey: 'skip' },
    { name: 'p', limit: 1, window: '1s', key: 'principal' },
    { name: 'x', limit: 1, window: '1s', key: 'cert' },
  ], () => {});
  const keyed = exchange({ headers: { 'x-api-key': 'secret-123' }, principal: 'alice' });
  assert.equal(counterKey('global', header!, keyed), `rl:global:h:h:x-api-key=${digest('secret-123')}`);
  assert.ok(!counterKey('global', header!, keyed)!.includes('secret-123'));
  assert.equal(counterKey('r', combined!, keyed), `rl:r:c:ip=192.0.2.1|h:x-api-key=${digest('secret-123')}`);
  assert.equal(counterKey('r', combined!, exchange()), 'rl:r:c:ip=192.0.2.1', 'a missing part is left out; the address is already there');
  assert.equal(counterKey('r', header!, exchange()), 'rl:r:h:ip=192.0.2.1');
  assert.equal(counterKey('r', skip!, exchange()), undefined);
  assert.equal(counterKey('r', principal!, keyed), `rl:r:p:p=${digest('alice')}`);
  const fingerprint = 'ab'.repeat(32);
  assert.equal(counterKey('r', cert!, exchange({ fingerprint })), `rl:r:x:c=${fingerprint}`);
  assert.equal(counterKey('r', cert!, exchange({ principal: `cert:${'AB:'.repeat(31)}AB` })), `rl:r:x:c=${fingerprint}`, 'a cert: principal');
  assert.equal(counterKey('r', cert!, exchange()), 'rl:r:x:ip=192.0.2.1');
});

test('hook: admits up to the limit, then 429 with Retry-After and RateLimit headers; methods filter', async () => {
  const { instance, issues, stores } = create({ limits: [{ name: 'w', limit: 2, window: '10s', methods: ['POST'] }] });
  assert.deepEqual(issues, []);
  const post = () => exchange({ method: 'POST' });
  const first = post();
  assert.equal((await instance.onRequestHead!(first)).action, 'pass');
  assert.equal(first.responseHeaders!.get('ratelimit-policy'), '"w";q=2;w=10');
  assert.equal(first.responseHeaders!.get('ratelimit'), '"w";r=1;t=10');
  assert.equal((await instance.onRequestHead!(post())).action, 'pass');
  const refused = await instance.onRequestHead!(post()) as Block;
  assert.equal(refused.action, 'block');
  assert.equal(refused.status, 429);
  assert.equal(refused.reason, 'rate_limited');
  assert.equal(refused.headers!['retry-after'], '10');
  assert.equal(refused.headers!.ratelimit, '"w";r=0;t=10');
  assert.deepEqual(refused.problem, { limits: ['w'], retryAfter: 10 });
  const get = exchange();
  assert.equal((await instance.onRequestHead!(get)).action, 'pass');
  assert.equal(get.responseHeaders!.size, 0, 'no limit applies to GET: no headers');
  await (stores as { close(): Promise<void> }).close();
});

test('configuration issues', () => {
  const { issues } = create({ limits: [{ limit: 1 }, { limit: 1, window: '1s', burst: 2 }] });
  assert.deepEqual(issues.map((i) => i.path), ['/limits/0', '/limits/1/burst']);
});
