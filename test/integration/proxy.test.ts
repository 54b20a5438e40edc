import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { startGateway, catchAllPolicy, type TestGateway } from '../helpers/gateway.ts';

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res, seen) => {
    if (req.url?.startsWith('/status/')) {
      const status = Number(req.url.split('/')[2]);
      res.writeHead(status, { 'x-upstream': 'yes', 'set-cookie': ['a=1', 'b=2'], connection: 'x-secret-hop', 'x-secret-hop': 'drop me' });
      res.end(status === 204 || status === 304 ? undefined : `status ${status}`);
      return;
    }
    const body = JSON.stringify(seen);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  gw = await startGateway(catchAllPolicy(upstream.url));
});
after(async () => { await gw.close(); await upstream.close(); });

test('forwards every allowed method with its body', async () => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
    const hasBody = method !== 'GET' && method !== 'OPTIONS';
    const res = await request(`${gw.url}/things/1?x=${method}`, {
      method, body: hasBody ? `body of ${method}` : undefined, headers: hasBody ? { 'content-type': 'text/plain' } : {},
    });
    assert.equal(res.statusCode, 200, method);
    const seen = await res.body.json() as { method: string; url: string; bodyBytes: number };
    assert.equal(seen.method, method);
    assert.equal(seen.url, `/things/1?x=${method}`);
    assert.equal(seen.bodyBytes, hasBody ? `body of ${method}`.length : 0);
  }
  const head = await request(`${gw.url}/things/1`, { method: 'HEAD' });
  assert.equal(head.statusCode, 200);
  assert.equal(await head.body.text(), '');
});

test('passes upstream status codes and headers, strips hop-by-hop ones', async () => {
  for (const status of [200, 201, 204, 301, 304, 400, 404, 418, 500, 503]) {
    const res = await request(`${gw.url}/status/${status}`);
    assert.equal(res.statusCode, status);
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(res.headers['x-secret-hop'], undefined, 'header named in Connection must be removed');
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    await res.body.dump();
  }
});

test('sets forwarding headers and the request id; client copies are replaced', async () => {
  // Raw bytes: HTTP clients refuse to send a Connection header that names other headers.
  const raw = await rawRequest(gw.port, 'GET /echo HTTP/1.1\r\nHost: 127.0.0.1:' + gw.port + '\r\n' +
    'X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Request-Id: client-chosen\r\n' +
    'Connection: close, X-Forwarded-For, X-Custom\r\nX-Custom: hop\r\nX-Keep: kept\r\n\r\n');
  assert.equal(raw.status, 200);
  const seen = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
  const res = { headers: { 'x-request-id': /x-request-id: ([^\r]+)/.exec(raw.text)![1] } };
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${gw.port}`);
  assert.equal(seen.headers.forwarded, `for=127.0.0.1;proto=http;host="127.0.0.1:${gw.port}"`);
  assert.notEqual(seen.headers['x-request-id'], 'client-chosen', 'untrusted clients cannot choose the request id');
  assert.equal(seen.headers['x-request-id'], res.headers['x-request-id']);
  assert.equal(seen.headers['x-custom'], undefined, 'header named in Connection must be removed');
  assert.equal(seen.headers['x-keep'], 'kept');
  assert.equal(seen.headers.host, `127.0.0.1:${gw.port}`, 'Host is preserved by default');
});

test('writes an access record per request with route, status and request id', async () => {
  const res = await request(`${gw.url}/logged?token=supersecret&page=2`);
  await res.body.dump();
  const id = res.headers['x-request-id'];
  const record = (await gw.logs()).find((r) => r.requestId === id && r.type === 'access');
  assert.ok(record, 'access record present');
  assert.equal(record.route, 'all');
  assert.equal(record.status, 200);
  assert.equal(record.path, '/logged');
  assert.equal(record.query, 'token=[redacted]&page=2');
  assert.equal(typeof record.durationMs, 'number');
});
