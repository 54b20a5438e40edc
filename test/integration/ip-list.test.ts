import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway } from '../helpers/gateway.ts';

let upstream: TestUpstream;

before(async () => { upstream = await startUpstream(); });
after(async () => { await upstream.close(); });

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

test('global deny list blocks IPv4 and IPv6 clients with 403 ip_denied, others pass', async (t) => {
  const gw = await startGateway({
    listeners: [{ name: 'v4', address: '127.0.0.1:0' }, { name: 'v6', address: '[::1]:0' }],
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    protections: { ipList: { deny: ['::1/128'] } },
  });
  t.after(() => gw.close());
  const v6 = `http://[::1]:${gw.gateway.addresses[1]!.port}`;
  const before = upstream.requests.length;
  const denied = await get(`${v6}/x`);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.reason, 'ip_denied');
  assert.equal(denied.headers['content-type'], 'application/problem+json');
  assert.equal(upstream.requests.length, before, 'a denied request never reaches the upstream');
  assert.equal((await get(`${gw.url}/x`)).status, 200, 'IPv4 loopback is not on the list');
});

test('an IPv4 CIDR matches IPv4 clients; route allow lists admit only listed clients', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'internal', path: '/internal/**', upstream: 'up', protections: { ipList: { allow: ['10.0.0.0/8'] } } },
      { name: 'public', path: '/**', upstream: 'up' },
    ],
    protections: { ipList: { deny: ['203.0.113.0/24'] } },
  });
  t.after(() => gw.close());
  const internal = await get(`${gw.url}/internal/metrics`);
  assert.equal(internal.status, 403);
  assert.equal(internal.body.reason, 'ip_not_allowed');
  assert.equal((await get(`${gw.url}/public`)).status, 200);
});

test('forwarding headers are believed only from trusted proxies', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    clientAddress: { trustedProxies: ['127.0.0.1/32'] },
    protections: { ipList: { deny: ['198.51.100.7'] } },
  });
  t.after(() => gw.close());
  // The peer (127.0.0.1) is a trusted proxy: the client is the right-most untrusted address.
  const blocked = await get(`${gw.url}/a`, { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' });
  assert.equal(blocked.status, 403);
  const passed = await get(`${gw.url}/a`, { 'x-forwarded-for': '198.51.100.7, 192.0.2.1' });
  assert.equal(passed.status, 200, 'a forged left-most entry does not make the client');
  const seen = upstream.requests.at(-1)!;
  assert.equal(seen.headers['x-forwarded-for'], '198.51.100.7, 192.0.2.1, 127.0.0.1', 'the trusted chain is extended');
  assert.equal(seen.headers['x-real-ip'], '192.0.2.1');
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'ip_denied' && r.clientIp === '198.51.100.7'));
});

test('forwarding headers from an untrusted peer are ignored', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    clientAddress: { trustedProxies: ['10.1.2.3'] },
    protections: { ipList: { deny: ['198.51.100.7'] } },
  });
  t.after(() => gw.close());
  const res = await get(`${gw.url}/a`, { 'x-forwarded-for': '198.51.100.7' });
  assert.equal(res.status, 200);
  assert.equal(upstream.requests.at(-1)!.headers['x-forwarded-for'], '127.0.0.1');
});

test('bypass entries skip later protections only where configured; deny still wins', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'trusted', path: '/trusted/**', methods: ['GET'], upstream: 'up', protections: { ipList: { bypass: ['127.0.0.0/8'] } } },
      { name: 'other', path: '/other/**', methods: ['GET'], upstream: 'up' },
      { name: 'both', path: '/both/**', methods: ['GET'], upstream: 'up', protections: { ipList: { bypass: ['127.0.0.1'], deny: ['127.0.0.1'] } } },
    ],
  });
  t.after(() => gw.close());
  // Method restriction runs after ip-list, so the bypass lets a DELETE through on /trusted only.
  const res = await request(`${gw.url}/trusted/x`, { method: 'DELETE' });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  const other = await request(`${gw.url}/other/x`, { method: 'DELETE' });
  await other.body.dump();
  assert.equal(other.statusCode, 405);
  const both = await request(`${gw.url}/both/x`);
  await both.body.dump();
  assert.equal(both.statusCode, 403, 'an address both denied and bypassed is denied');
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'ip_bypass' && r.action === 'allow'), 'bypass is logged as an allow verdict');
});

test('dropConnections closes connections from denied peers before any request is read', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up', mode: 'monitor' }],
    protections: { ipList: { deny: ['127.0.0.1'], dropConnections: true } },
  });
  t.after(() => gw.close());
  const before = upstream.requests.length;
  const { rawRequest } = await import('../helpers/raw-http.ts');
  const res = await rawRequest(gw.port, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(res.closed, true);
  assert.equal(res.text, '', 'no reply at all: the connection is closed at accept time');
  assert.equal(upstream.requests.length, before);
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'ip_denied' && r.location === 'connection'));
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="ip_denied"\} [1-9]/);
});

test('route mode and route exceptions apply to the request-time deny check', async (t) => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'trial', path: '/trial/**', upstream: 'up', mode: 'monitor' },
      { name: 'open', path: '/open/**', upstream: 'up', protections: { ipList: { enabled: false } } },
      { name: 'rest', path: '/**', upstream: 'up' },
    ],
    protections: { ipList: { deny: ['127.0.0.1'] } },
  });
  t.after(() => gw.close());
  assert.equal((await get(`${gw.url}/trial/x`)).status, 200, 'monitored route forwards');
  assert.equal((await get(`${gw.url}/open/x`)).status, 200, 'route with the protection switched off forwards');
  assert.equal((await get(`${gw.url}/other`)).status, 403);
  const logs = await gw.logs();
  const trial = logs.filter((r) => r.type === 'security' && r.route === 'trial');
  assert.equal(trial.length, 1, 'recorded exactly once');
  assert.equal(trial[0]!.wouldBlock, true);
});
