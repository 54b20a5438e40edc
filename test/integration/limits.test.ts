/**
 * Request limits and slow clients (reliability checklist B3, B4, H1, H2, K1, K2; AT-05, AT-15, AT-20, AT-21):
 * every limit answers with its status, never truncates silently, and the upstream never receives a complete
 * over-limit request.
 */
import { test, suite, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { send, assertRefused, assertProblem, assertCanary, upstreamSeen } from '../helpers/http-conformance.ts';

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'small-uri', path: '/small-uri/**', upstream: 'up', limits: { maxUriBytes: 128 } },
      { name: 'slow-rate', path: '/slow-rate/**', upstream: 'up', limits: { bodyIdleTimeoutMs: 3000, bodyMinBytesPerSecond: 1000 } },
      { name: 'all', path: '/**', upstream: 'up' },
    ],
    limits: { headersTimeoutMs: 1000, bodyIdleTimeoutMs: 500, maxUriBytes: 1024, maxBodyBytes: 100 },
    // These tests are about the HTTP layer; attack detection (which buffers and parses bodies) is tested on its own.
    protections: { attackDetection: { enabled: false } },
  });
});
after(async () => { await gw.close(); await upstream.close(); });

const H = 'Host: a.test\r\n';
const headers = (count: number, make = (i: number) => `X-H${i}: v${i}\r\n`) => Array.from({ length: count }, (_, i) => make(i)).join('');

test('100 header fields (the default maxHeaderCount) are accepted and all forwarded', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /count HTTP/1.1\r\n${H}${headers(98)}Connection: close\r\n\r\n`);
  assert.equal(reply.status, 200);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.equal(seen!.headers['x-h97'], 'v97');
});

test('101 header fields → 431 too_many_headers, nothing forwarded', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /count HTTP/1.1\r\n${H}${headers(99)}Connection: close\r\n\r\n`);
  assertRefused(reply, 431, 'too_many_headers');
  await assertCanary(gw.port, upstream, '101 headers');
});

test('2500 header fields → 431, never a silently truncated request', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /count HTTP/1.1\r\n${H}${headers(2500, () => 'a:1\r\n')}Z-Last: seen\r\n\r\n`);
  assertRefused(reply, 431, 'too_many_headers');
  await assertCanary(gw.port, upstream, '2500 headers');
});

test('with maxHeaderCount raised, 2500 header fields are forwarded in full (the last one included)', async () => {
  const wide = await startGateway({
    upstreams: { up: { url: upstream.url } }, routes: [{ path: '/**', upstream: 'up' }], limits: { maxHeaderCount: 3000, maxHeaderBytes: 65_536 },
    protections: { attackDetection: { enabled: false } },
  });
  try {
    upstream.requests.length = 0;
    const reply = await send(wide.port, `GET /wide HTTP/1.1\r\n${H}${headers(2500, () => 'a:1\r\n')}Z-Last: seen\r\nConnection: close\r\n\r\n`);
    assert.equal(reply.status, 200);
    const [seen] = await upstreamSeen(upstream, 0);
    assert.equal(seen!.headers['z-last'], 'seen');
    assert.equal(seen!.rawHeaders.filter((name, i) => i % 2 === 0 && name === 'a').length, 2500);
  } finally {
    await wide.close();
  }
});

test('a 20 KB header value → 431 header_too_large (problem+json from the parser path), nothing forwarded', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /big HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assertRefused(reply, 431, 'header_too_large');
  await assertCanary(gw.port, upstream, '20 KB header');
});

test('a request head just over 16 KiB in many small headers → 431', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /big HTTP/1.1\r\n${H}${headers(60, (i) => `X-${i}: ${'b'.repeat(280)}\r\n`)}\r\n`);
  assertRefused(reply, 431, 'header_too_large');
  await assertCanary(gw.port, upstream, '16 KiB head');
});

test('global maxUriBytes: a target of exactly the limit passes, one byte more → 414', async () => {
  upstream.requests.length = 0;
  const atLimit = `/${'a'.repeat(1023)}`;
  const ok = await send(gw.port, `GET ${atLimit} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  assert.equal(ok.status, 200);
  assert.equal((await upstreamSeen(upstream, 0))[0]!.url, atLimit);

  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET ${atLimit}a HTTP/1.1\r\n${H}\r\n`);
  assertRefused(reply, 414, 'uri_too_long');
  await assertCanary(gw.port, upstream, 'long uri');
});

test('per-route maxUriBytes: 414 on the route with the lower limit, the same length passes elsewhere', async () => {
  const tail = 'b'.repeat(130);
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /small-uri/${tail} HTTP/1.1\r\n${H}\r\n`);
  assertRefused(reply, 414, 'uri_too_long');
  assert.deepEqual(await upstreamSeen(upstream), []);

  const ok = await send(gw.port, `GET /other-uri/${tail} HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  assert.equal(ok.status, 200);
  assert.deepEqual((await upstreamSeen(upstream, 0)).map((s) => s.url), [`/other-uri/${tail}`]);
});

test('Content-Length over maxBodyBytes → 413 before the body is read; the upstream receives nothing', async () => {
  upstream.requests.length = 0;
  // Only the head is sent: the answer must not wait for the body.
  const reply = await send(gw.port, `POST /upload HTTP/1.1\r\n${H}Content-Length: 101\r\n\r\n`, { timeoutMs: 1500 });
  assertRefused(reply, 413, 'body_too_large');
  assert.ok(reply.elapsedMs < 1000, `answered before any body byte (${reply.elapsedMs} ms)`);
  await assertCanary(gw.port, upstream, 'CL over limit');

  upstream.requests.length = 0;
  const ok = await send(gw.port, `POST /upload HTTP/1.1\r\n${H}Content-Length: 100\r\nConnection: close\r\n\r\n${'x'.repeat(100)}`);
  assert.equal(ok.status, 200, 'a body of exactly maxBodyBytes passes');
  assert.equal((await upstreamSeen(upstream, 0))[0]!.bodyBytes, 100);
});

test('a chunked body growing past maxBodyBytes → 413; the upstream never receives a complete request', async () => {
  upstream.requests.length = 0;
  const chunk = `32\r\n${'c'.repeat(50)}\r\n`;
  const reply = await send(gw.port, [`POST /chunked-upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk}`, chunk, chunk, '0\r\n\r\n'], { delayMs: 100, timeoutMs: 3000 });
  assertRefused(reply, 413, 'body_too_large');
  const seen = await upstreamSeen(upstream, 100);
  assert.deepEqual(seen.filter((s) => s.complete), [], 'no complete request upstream');
  assert.ok(seen.every((s) => s.bodyBytes <= 100), 'at most maxBodyBytes reached the upstream');
});

suite('slow clients', { concurrency: true }, () => {
  test('slow headers: the connection is answered 408 and closed about headersTimeoutMs (1 s) after it started', async () => {
    const reply = await send(gw.port, [`GET /slow-head HTTP/1.1\r\n${H}X-A: 1\r\n`], { timeoutMs: 5000 });
    assert.equal(reply.closed, true);
    assert.ok(reply.elapsedMs >= 900 && reply.elapsedMs <= 3000, `closed after ${reply.elapsedMs} ms`);
    assertRefused(reply, 408, 'request_timeout');
    assert.ok(!upstream.requests.some((s) => s.url === '/slow-head'));
  });

  test('slow body: a body that stalls longer than bodyIdleTimeoutMs (500 ms) → 408 body_timeout and closed', async () => {
    const reply = await send(gw.port, [`POST /slow-body HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`], { timeoutMs: 5000 });
    assert.equal(reply.closed, true);
    assert.ok(reply.elapsedMs >= 450 && reply.elapsedMs <= 2500, `closed after ${reply.elapsedMs} ms`);
    assertRefused(reply, 408, 'body_timeout');
    await upstreamSeen(upstream, 50);
    assert.deepEqual(upstream.requests.filter((s) => s.url === '/slow-body' && s.complete), [], 'no complete request upstream');
  });

  test('minimum body rate: a body trickling below bodyMinBytesPerSecond → 408 body_too_slow after the 5 s grace', async () => {
    const parts = [`POST /slow-rate/x HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n`, ...Array.from({ length: 60 }, () => 'r')];
    const reply = await send(gw.port, parts, { delayMs: 250, timeoutMs: 9000 });
    assert.equal(reply.closed, true);
    assert.ok(reply.elapsedMs >= 5000 && reply.elapsedMs <= 8000, `closed after ${reply.elapsedMs} ms`);
    assertRefused(reply, 408, 'body_too_slow');
    await upstreamSeen(upstream, 50);
    assert.deepEqual(upstream.requests.filter((s) => s.url === '/slow-rate/x' && s.complete), [], 'no complete request upstream');
  });
});

test('every refusal carries the same request id in the header and the problem document', async () => {
  const reply = await send(gw.port, `GET /${'z'.repeat(2000)} HTTP/1.1\r\n${H}\r\n`);
  const problem = assertProblem(reply.responses[0], 414, 'uri_too_long');
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.requestId === problem.requestId), 'the request id is the one logged');
});

test('maxConcurrentRequestsPerIp: requests past the bound get 429 at once, others from the address are served once one ends', async () => {
  const held: Array<() => void> = [];
  const slow = await startUpstream((_req, res) => { held.push(() => res.end('done')); });
  const capped = await startGateway({
    upstreams: { up: { url: slow.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    limits: { maxConcurrentRequestsPerIp: 2 },
    protections: { attackDetection: { enabled: false } },
  });
  try {
    const first = [fetch(`${capped.url}/a`), fetch(`${capped.url}/b`)];
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const third = await fetch(`${capped.url}/c`);
    assert.equal(third.status, 429);
    const problem = await third.json() as Record<string, unknown>;
    assert.equal(problem.reason, 'too_many_concurrent_requests');
    assert.equal(held.length, 2, 'the refused request never reached the upstream');
    held.shift()!();
    assert.equal((await first[0]!).status, 200);
    const fourth = fetch(`${capped.url}/d`);
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const release of held.splice(0)) release();
    assert.equal((await first[1]!).status, 200);
    assert.equal((await fourth).status, 200, 'a slot freed by a finished request is reused');
  } finally {
    for (const release of held.splice(0)) release();
    await capped.close();
    await slow.close();
  }
});
