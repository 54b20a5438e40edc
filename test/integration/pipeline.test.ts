import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway({
    upstreams: { shop: { url: upstream.url } },
    routes: [
      { name: 'revenue', path: '/shops/{shopName}/revenue_data.json', methods: ['GET'], upstream: 'shop' },
      { name: 'shop-read', path: '/shops/{shopName}', methods: ['GET'], upstream: 'shop' },
      { name: 'shop-write', path: '/shops/{shopName}', methods: ['PUT'], upstream: 'shop' },
      { name: 'orders', path: '/orders', methods: ['POST'], upstream: 'shop', mode: 'monitor' },
      { name: 'legacy', path: '/legacy/**', methods: ['GET'], upstream: 'shop', protections: { methodRestriction: { mode: 'monitor' } } },
      { name: 'dav', path: '/remote.php/dav/**', methods: ['PROPFIND', 'REPORT', 'PURGE'], upstream: 'shop' },
    ],
  });
});
after(async () => { await gw.close(); await upstream.close(); });

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const hasBody = method === 'POST' || method === 'PUT';
  const res = await request(`${gw.url}${path}`, {
    method: method as 'GET', headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers, body: hasBody ? '{}' : undefined,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

test('a route may allow methods beyond the common seven (WebDAV, CalDAV, PURGE); others still get 405', async () => {
  const res = await request(`${gw.url}/remote.php/dav/files/kim/`, {
    method: 'PROPFIND' as 'GET', headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getlastmodified/></d:prop></d:propfind>',
  });
  await res.body.text();
  assert.equal(res.statusCode, 200);
  assert.equal(upstream.requests.at(-1)!.method, 'PROPFIND');
  assert.equal((await call('PURGE', '/remote.php/dav/files/kim/a.txt')).status, 200);
  assert.equal((await call('GET', '/remote.php/dav/files/kim/')).status, 405);
});

test('path templates route requests; GET implies HEAD', async () => {
  const res = await call('GET', '/shops/alice-bakery/revenue_data.json');
  assert.equal(res.status, 200);
  assert.equal(upstream.requests.at(-1)!.url, '/shops/alice-bakery/revenue_data.json');
  assert.equal((await call('HEAD', '/shops/alice-bakery')).status, 200);
  assert.equal((await call('PUT', '/shops/alice-bakery')).status, 200, 'a second route with the same template serves PUT');
});

test('methods a route does not declare get 405 with Allow listing every route of that path', async () => {
  const count = upstream.requests.length;
  const res = await call('DELETE', '/shops/alice-bakery');
  assert.equal(res.status, 405);
  assert.deepEqual(res.headers.allow?.toString().split(', ').sort(), ['GET', 'HEAD', 'PUT']);
  const problem = JSON.parse(res.text);
  assert.equal(problem.reason, 'method_not_allowed');
  assert.equal(problem.status, 405);
  assert.equal(problem.type, 'urn:portcullis:problem:method_not_allowed');
  assert.equal(problem.title, 'Method Not Allowed');
  assert.equal(problem.requestId, res.headers['x-request-id']);
  assert.equal(upstream.requests.length, count);
});

test('a method-override header asking for a method the route does not declare is refused like the method itself', async () => {
  const count = upstream.requests.length;
  const res = await call('PUT', '/shops/alice-bakery', { 'x-http-method-override': 'DELETE' });
  assert.equal(res.status, 405);
  assert.equal(JSON.parse(res.text).reason, 'method_not_allowed');
  assert.equal(upstream.requests.length, count);
  const conflict = await call('GET', '/shops/alice-bakery?_method=PUT', { 'x-http-method-override': 'GET' });
  assert.equal(conflict.status, 400);
  assert.equal(JSON.parse(conflict.text).reason, 'method_override_conflict');
  assert.equal((await call('GET', '/shops/alice-bakery', { 'x-http-method-override': 'HEAD' })).status, 200, 'a declared method passes');
});

test('paths no route declares get 404 route_not_found and are never forwarded', async () => {
  const count = upstream.requests.length;
  const res = await call('GET', '/admin');
  assert.equal(res.status, 404);
  assert.equal(JSON.parse(res.text).reason, 'route_not_found');
  assert.equal(upstream.requests.length, count);
});

test('browsers get an HTML block page, API clients problem+json', async () => {
  const html = await call('DELETE', '/shops/x', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
  assert.equal(html.status, 405);
  assert.match(String(html.headers['content-type']), /^text\/html/);
  assert.match(html.text, /<code>method_not_allowed<\/code>/);
  assert.ok(html.text.includes(String(html.headers['x-request-id'])));
  const json = await call('DELETE', '/shops/x', { accept: 'application/json' });
  assert.equal(json.headers['content-type'], 'application/problem+json');
});

test('monitor mode (per route and per protection on a route) records would-have-blocked and forwards', async () => {
  const count = upstream.requests.length;
  const res = await call('GET', '/orders');
  assert.equal(res.status, 200, 'route in monitor mode forwards the request');
  const legacy = await call('DELETE', '/legacy/thing');
  assert.equal(legacy.status, 200, 'protection in monitor mode on the route forwards');
  assert.equal(upstream.requests.length, count + 2);
  const logs = await gw.logs();
  const events = logs.filter((r) => r.type === 'security' && r.reason === 'method_not_allowed' && r.mode === 'monitor');
  assert.ok(events.some((e) => e.route === 'orders' && e.action === 'flag' && e.wouldBlock === true));
  assert.ok(events.some((e) => e.route === 'legacy' && e.action === 'flag' && e.wouldBlock === true));
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_verdicts_total\{protection="method-restriction",action="flag",reason="method_not_allowed"\} [1-9]/);
});

test('the log phase runs for blocks, forwards and errors alike', async () => {
  const blocked = await call('DELETE', '/shops/y');
  const passed = await call('GET', '/shops/y');
  const logs = await gw.logs();
  for (const res of [blocked, passed]) {
    const record = logs.find((r) => r.type === 'access' && r.requestId === res.headers['x-request-id']);
    assert.ok(record, 'access record written');
    assert.equal(record.status, res.status);
  }
});

test('admin: health, readiness and Prometheus metrics', async () => {
  assert.equal((await request(`${gw.adminUrl}/healthz`)).statusCode, 200);
  assert.equal((await request(`${gw.adminUrl}/readyz`)).statusCode, 200);
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_requests_total\{route="revenue",status="200"\} \d+/);
  assert.match(metrics, /portcullis_request_duration_seconds_bucket\{le="0.005",route="revenue"\} \d+/);
  assert.match(metrics, /portcullis_active_connections\{listener="test"\} \d+/);
  assert.match(metrics, /portcullis_upstream_duration_seconds_count\{upstream="shop"\} \d+/);
});
