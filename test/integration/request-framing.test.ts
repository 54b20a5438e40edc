/**
 * HTTP/1.1 framing and request-head conformance (reliability checklist A1-A14, B1, B2, B5, B7, C3; AT-01, AT-02,
 * AT-04, AT-05). Every refusal: one problem+json reply, connection closed, nothing forwarded, and a request on a new
 * connection afterwards is served normally with no smuggled prefix at the upstream.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startUpstream, type TestUpstream, type SeenRequest } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { send, assertRefused, assertProblem, assertCanary, upstreamSeen, expectContinue, parseResponses } from '../helpers/http-conformance.ts';

let upstream: TestUpstream;
let gw: TestGateway;

const policy = (upstreamUrl: string, extra: Record<string, unknown> = {}) => ({
  upstreams: { up: { url: upstreamUrl } },
  routes: [
    { name: 'admin', path: '/admin', upstream: 'up', protections: { ipList: { deny: ['127.0.0.1'] } } },
    { name: 'small', path: '/small/**', upstream: 'up', limits: { maxBodyBytes: 10 } },
    { name: 'all', path: '/**', upstream: 'up' },
  ],
  // These tests are about the HTTP layer; attack detection (which buffers and parses bodies) is tested on its own.
  protections: { attackDetection: { enabled: false } },
  ...extra,
});

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway(policy(upstream.url));
});
after(async () => { await gw.close(); await upstream.close(); });

const H = 'Host: a.test\r\n';
/** A complete request hidden behind each vector: if any framing disagreement let it through, the upstream would see it. */
const SMUGGLED = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;
const sha = (text: string) => createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
const header = (seen: SeenRequest, name: string) => {
  const values: string[] = [];
  for (let i = 0; i < seen.rawHeaders.length; i += 2) if (seen.rawHeaders[i]!.toLowerCase() === name) values.push(seen.rawHeaders[i + 1]!);
  return values;
};

interface Vector { name: string; bytes: string; status: number; reason: string; bodyLevel?: boolean }

const post = (headers: string, body: string, version = '1.1') => `POST /framing HTTP/${version}\r\n${H}${headers}\r\n${body}`;
const chunked = (body: string) => post('Transfer-Encoding: chunked\r\n', body);

const REFUSED: Vector[] = [
  // A1 CL + TE, both orders
  { name: 'CL then TE', bytes: post('Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'TE then CL', bytes: post('Transfer-Encoding: chunked\r\nContent-Length: 6\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  // A2 duplicate / list Content-Length
  { name: 'CL 1 + CL 0', bytes: post('Content-Length: 1\r\nContent-Length: 0\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL 1 twice', bytes: post('Content-Length: 1\r\nContent-Length: 1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL list 1,1', bytes: post('Content-Length: 1,1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'empty CL before real CL', bytes: post('Content-Length: \r\nContent-Length: 1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  // A3 malformed Content-Length
  { name: 'CL +1', bytes: post('Content-Length: +1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL -1', bytes: post('Content-Length: -1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL 0x1', bytes: post('Content-Length: 0x1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL empty', bytes: post('Content-Length: \r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL "1 1"', bytes: post('Content-Length: 1 1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'CL 23 digits', bytes: post(`Content-Length: ${'9'.repeat(23)}\r\n`, `Z${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  // A4 TE obfuscation
  { name: 'TE xchunked', bytes: post('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_transfer_encoding' },
  { name: 'TE identity', bytes: post('Transfer-Encoding: identity\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_transfer_encoding' },
  { name: 'TE "chunked, identity"', bytes: post('Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'TE "gzip, chunked"', bytes: post('Transfer-Encoding: gzip, chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_transfer_encoding' },
  { name: 'TE ",chunked"', bytes: post('Transfer-Encoding: ,chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_transfer_encoding' },
  { name: 'TE chunked twice (two fields)', bytes: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'TE "chunked, chunked"', bytes: post('Transfer-Encoding: chunked, chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing' },
  { name: 'TE \\xa0chunked', bytes: post('Transfer-Encoding: \xa0chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_header_value' },
  // A5 TE on HTTP/1.0
  { name: 'TE on HTTP/1.0', bytes: post('Transfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`, '1.0'), status: 400, reason: 'invalid_transfer_encoding' },
  // A6 chunk sizes (the head is valid: these fail while the body streams)
  { name: 'chunk size 0x1', bytes: chunked(`0x1\r\nZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing', bodyLevel: true },
  { name: 'chunk size 18 hex digits', bytes: chunked(`${'F'.repeat(18)}\r\nZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing', bodyLevel: true },
  { name: 'chunk size " 1"', bytes: chunked(` 1\r\nZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing', bodyLevel: true },
  { name: 'chunk size empty', bytes: chunked(`\r\nZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing', bodyLevel: true },
  { name: 'chunk size zz', bytes: chunked(`zz\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'invalid_framing', bodyLevel: true },
  { name: 'chunk data not followed by CRLF', bytes: chunked(`1\r\nZZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'malformed_request', bodyLevel: true },
  { name: 'chunk extension with bare CR', bytes: chunked(`1;a\rb\r\nZ\r\n0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'malformed_request', bodyLevel: true },
  // A8 obs-fold, A9 line endings and control bytes, A10 header-name abuse
  { name: 'obs-fold', bytes: `GET /framing HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: 'obs-fold in Transfer-Encoding', bytes: post('Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${SMUGGLED}`), status: 400, reason: 'malformed_request' },
  { name: 'bare CR in a value', bytes: `GET /framing HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: 'bare LF line ending', bytes: `GET /framing HTTP/1.1\r\n${H}X-A: a\nX-B: b\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: 'NUL in a value', bytes: `GET /framing HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: '\\x01 in a value', bytes: `GET /framing HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: 'space before colon', bytes: post('Content-Length : 1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'malformed_request' },
  { name: 'header line starting with TAB', bytes: `POST /framing HTTP/1.1\r\n\tContent-Length: 1\r\n${H}\r\nZ${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  { name: 'empty header name', bytes: `GET /framing HTTP/1.1\r\n${H}: x\r\n\r\n${SMUGGLED}`, status: 400, reason: 'malformed_request' },
  // A13 version / request line
  { name: 'HTTP/1.2', bytes: `GET /framing HTTP/1.2\r\n${H}\r\n${SMUGGLED}`, status: 505, reason: 'http_version_not_supported' },
  { name: 'HTTP/2.0 on h1', bytes: `GET /framing HTTP/2.0\r\n${H}\r\n${SMUGGLED}`, status: 505, reason: 'http_version_not_supported' },
  { name: 'HTTP/0.9 request line', bytes: `GET /framing\r\n\r\n${SMUGGLED}`, status: 505, reason: 'http_version_not_supported' },
  // C3 / B1 request target forms
  { name: 'absolute-form target naming another host', bytes: `GET http://evil.test/x HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'invalid_request_target' },
  { name: 'absolute-form target with userinfo', bytes: `GET http://a.test@evil.test/x HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'invalid_request_target' },
  { name: 'absolute-form target without a path', bytes: `GET http://a.test HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'invalid_request_target' },
  { name: 'absolute-form target of another scheme', bytes: `GET ftp://a.test/x HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'invalid_request_target' },
  { name: 'GET *', bytes: `GET * HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'invalid_request_target' },
  { name: 'fragment in target', bytes: `GET /framing#frag HTTP/1.1\r\n${H}\r\n${SMUGGLED}`, status: 400, reason: 'fragment_in_target' },
  // B1 / B2 duplicate singletons, missing Host
  { name: 'duplicate Host', bytes: `GET /framing HTTP/1.1\r\n${H}Host: b.test\r\n\r\n${SMUGGLED}`, status: 400, reason: 'duplicate_header' },
  { name: 'duplicate Content-Type', bytes: post('Content-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n', `{}${SMUGGLED}`), status: 400, reason: 'duplicate_header' },
  { name: 'duplicate Authorization', bytes: `GET /framing HTTP/1.1\r\n${H}Authorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n\r\n${SMUGGLED}`, status: 400, reason: 'duplicate_header' },
  { name: 'duplicate Content-Encoding', bytes: post('Content-Encoding: gzip\r\nContent-Encoding: identity\r\nContent-Length: 1\r\n', `Z${SMUGGLED}`), status: 400, reason: 'duplicate_header' },
  { name: 'missing Host on HTTP/1.1', bytes: `GET /framing HTTP/1.1\r\nX-A: 1\r\n\r\n${SMUGGLED}`, status: 400, reason: 'missing_host' },
  { name: 'invalid Host', bytes: `GET /framing HTTP/1.1\r\nHost: a.test/evil\r\n\r\n${SMUGGLED}`, status: 400, reason: 'invalid_host' },
  // B7 obs-text in framing / identity headers
  { name: 'obs-text in Host', bytes: `GET /framing HTTP/1.1\r\nHost: \xffa.test\xff\r\n\r\n${SMUGGLED}`, status: 400, reason: 'invalid_header_value' },
  { name: 'obs-text in Authorization', bytes: `GET /framing HTTP/1.1\r\n${H}Authorization: \x85admin\xa0\r\n\r\n${SMUGGLED}`, status: 400, reason: 'invalid_header_value' },
  { name: 'obs-text in Content-Type', bytes: post('Content-Type: application/json\xa0\r\nContent-Length: 2\r\n', `{}${SMUGGLED}`), status: 400, reason: 'invalid_header_value' },
  // B5 "_" in header names (default: reject)
  { name: 'underscore in a header name', bytes: `GET /framing HTTP/1.1\r\n${H}Content_Type: application/json\r\n\r\n${SMUGGLED}`, status: 400, reason: 'underscore_in_header_name' },
  // AT-13 ASP.NET's body charset override (EBCDIC payloads)
  { name: 'x-up-devcap-post-charset', bytes: post('User-Agent: UP/1.0\r\nX-Up-Devcap-Post-Charset: ibm037\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\n', `\x81~\x7d\xa6\x99\x85\x83\x85${SMUGGLED}`), status: 400, reason: 'charset_override_header' },
  // A14 an expectation other than 100-continue
  { name: 'Expect other than 100-continue', bytes: post('Expect: something-else\r\nContent-Length: 1\r\n', `Z${SMUGGLED}`), status: 417, reason: 'expectation_failed' },
];

for (const vector of REFUSED) {
  test(`refuses ${vector.name} with ${vector.status} ${vector.reason}; no desync afterwards`, async () => {
    upstream.requests.length = 0;
    const reply = await send(gw.port, vector.bytes);
    assertRefused(reply, vector.status, vector.reason, vector.name);
    // A chunked body is streamed: its head may already be upstream when a later chunk turns out malformed, but the
    // upstream request is aborted, never completed.
    await assertCanary(gw.port, upstream, vector.name, vector.bodyLevel === true);
  });
}

test('data after "Connection: close" is never served as a second request', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /first HTTP/1.1\r\n${H}Connection: close\r\n\r\n${SMUGGLED}`);
  assert.deepEqual(reply.responses.map((r) => r.status), [200]);
  assert.equal(reply.closed, true);
  const canary = await send(gw.port, `GET /canary-close HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  assert.equal(canary.status, 200);
  assert.deepEqual((await upstreamSeen(upstream)).map((r) => r.url).sort(), ['/canary-close', '/first']);
});

test('OPTIONS * is answered 204 by Portcullis and never forwarded', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `OPTIONS * HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  assert.equal(reply.responses.length, 1);
  const [res] = reply.responses;
  assert.equal(res!.status, 204);
  assert.match(res!.headers.allow ?? '', /GET/);
  assert.match(res!.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual(await upstreamSeen(upstream), []);
});

test('Content-Length "001" is accepted and forwarded re-serialized as "1"', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, post('Content-Length: 001\r\nConnection: close\r\n', 'Z'));
  assert.equal(reply.status, 200);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.deepEqual(header(seen!, 'content-length'), ['1']);
  assert.equal(seen!.bodyBytes, 1);
  assert.equal(seen!.bodySha256, sha('Z'));
});

test('a chunked body ("Chunked", with an extension) is re-framed upstream: one TE, no client extension, body intact', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, post('Transfer-Encoding: Chunked\r\nConnection: close\r\n', '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'));
  assert.equal(reply.status, 200);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.equal(seen!.complete, true);
  assert.equal(seen!.bodySha256, sha('hello world'));
  // undici frames the re-sent body itself: chunked, or Content-Length when the whole body was already buffered.
  const framing = [...header(seen!, 'transfer-encoding').map((v) => `te:${v}`), ...header(seen!, 'content-length').map((v) => `cl:${v}`)];
  assert.equal(framing.length, 1, `exactly one framing header upstream: ${framing}`);
  assert.ok(framing[0] === 'te:chunked' || framing[0] === 'cl:11', framing[0]);
});

test('request trailers are refused with 400 request_trailers; the upstream never gets a complete request (A7)', async () => {
  // Trailer fields would go uninspected, and some backends merge them into the headers (Puma CVE-2023-40175).
  upstream.requests.length = 0;
  const reply = await send(gw.port, post('Transfer-Encoding: chunked\r\nConnection: close\r\n', '1\r\nZ\r\n0\r\nX-Trailer: smuggled-value\r\n\r\n'));
  assert.equal(reply.status, 400);
  assert.match(reply.text, /"reason":"request_trailers"/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const seen of upstream.requests) {
    assert.equal(seen.complete, false, 'never a complete request upstream');
    assert.ok(!JSON.stringify(seen.rawHeaders).includes('smuggled-value'));
  }
  // A large streamed body with trailers is refused the same way.
  const big = 'a'.repeat(100_000);
  const streamed = await send(gw.port, post('Transfer-Encoding: chunked\r\nConnection: close\r\n', `${big.length.toString(16)}\r\n${big}\r\n0\r\nX-Trailer: x\r\n\r\n`));
  assert.equal(streamed.status, 400);
  // Let the upstream notice the aborted exchanges before the next test clears its list.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const seen of upstream.requests) assert.equal(seen.complete, false);
});

test('GET with a body is forwarded intact with its Content-Length', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /with-body HTTP/1.1\r\n${H}Content-Length: 5\r\nConnection: close\r\n\r\nhello`);
  assert.equal(reply.status, 200);
  const [seen] = (await upstreamSeen(upstream, 0)).filter((r) => r.url === '/with-body');
  assert.equal(seen!.method, 'GET');
  assert.deepEqual(header(seen!, 'content-length'), ['5']);
  assert.equal(seen!.bodyBytes, 5);
  assert.equal(seen!.bodySha256, sha('hello'));
});

test('pipelined requests in one write are answered in order and never merged', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port,
    `POST /one HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello` +
    `GET /two HTTP/1.1\r\n${H}\r\n` +
    `GET /three HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
  assert.deepEqual(reply.responses.map((r) => r.status), [200, 200, 200]);
  const echoed = reply.responses.map((r) => JSON.parse(r.body) as SeenRequest);
  assert.deepEqual(echoed.map((e) => `${e.method} ${e.url} ${e.bodyBytes}`), ['POST /one 5', 'GET /two 0', 'GET /three 0']);
  const ids = reply.responses.map((r) => r.headers['x-request-id']);
  assert.equal(new Set(ids).size, 3, 'three distinct exchanges');
  const seen = await upstreamSeen(upstream, 0);
  assert.deepEqual(seen.map((s) => `${s.method} ${s.url} ${s.bodyBytes}`).sort(), ['GET /three 0', 'GET /two 0', 'POST /one 5']);
  assert.equal(seen.find((s) => s.url === '/one')!.bodySha256, sha('hello'));
});

test('a malformed pipelined request is refused after the earlier ones are answered, in order', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /one HTTP/1.1\r\n${H}\r\nGET /two HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`);
  assert.deepEqual(reply.responses.map((r) => r.status), [200, 400], reply.text.slice(0, 300));
  assert.equal((JSON.parse(reply.responses[0]!.body) as SeenRequest).url, '/one');
  assertProblem(reply.responses[1], 400, 'malformed_request');
  assert.equal(reply.closed, true);
  assert.deepEqual((await upstreamSeen(upstream)).map((s) => s.url), ['/one']);
});

test('a pipelined request with a bad Transfer-Encoding after a valid one: the valid one is answered, then one 400', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port,
    `GET /one HTTP/1.1\r\n${H}\r\n` + post('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`));
  assert.deepEqual(reply.responses.map((r) => r.status), [200, 400], reply.text.slice(0, 300));
  // Pipelined requests are served one at a time: the parser rejects the body before the head checks run.
  assertProblem(reply.responses[1], 400, 'invalid_framing');
  assert.equal(reply.closed, true);
  assert.deepEqual((await upstreamSeen(upstream)).map((s) => s.url), ['/one']);
});

test('obs-text in an ordinary header is forwarded byte for byte', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /obs HTTP/1.1\r\n${H}X-Name: a\xffb\x85\r\nConnection: close\r\n\r\n`);
  assert.equal(reply.status, 200);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.deepEqual(header(seen!, 'x-name'), ['a\xffb\x85']);
});

test('an absolute-form target naming the Host header\'s host is read as its origin-form (RFC 9112 §3.2.2)', async () => {
  for (const [target, host, forwarded] of [['http://a.test/x?q=1', 'a.test', '/x?q=1'], ['HTTP://A.TEST:80/a/../x', 'a.test', '/x'],
    ['http://a.test./', 'a.test', '/'], ['https://a.test:8443/x', 'a.test:8443', '/x']]) {
    upstream.requests.length = 0;
    const reply = await send(gw.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(reply.status, 200, target);
    const [seen] = await upstreamSeen(upstream, 0);
    assert.equal(seen!.url, forwarded, target);
  }
  // a route-level deny holds for the absolute form of its path
  assertProblem((await send(gw.port, `GET http://a.test/admin HTTP/1.1\r\n${H}Connection: close\r\n\r\n`)).responses[0], 403, 'ip_denied');
});

test('CONNECT is answered 405 with problem+json and Allow, not dropped; no tunnel is opened', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n`);
  assertRefused(reply, 405, 'method_not_allowed', 'CONNECT');
  assert.equal(reply.responses[0]!.headers.allow, 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  assert.deepEqual(await upstreamSeen(upstream, 0), []);
});

test('repeated non-singleton headers are all forwarded, in order', async () => {
  upstream.requests.length = 0;
  const reply = await send(gw.port, `GET /dup HTTP/1.1\r\n${H}X-Dup: 1\r\nAccept: a/b\r\nX-Dup: 2\r\nConnection: close\r\n\r\n`);
  assert.equal(reply.status, 200);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.deepEqual(header(seen!, 'x-dup'), ['1', '2']);
});

test('"_" in header names by default: refused where it stands for a header that matters here, else forwarded as sent', async () => {
  const gw2 = await startGateway(policy(upstream.url, { protections: { rateLimit: { limits: [{ key: 'header:x-api-key', limit: 1000, windowMs: 60_000 }] } } }));
  try {
    for (const name of ['Content_Type', 'Content_Length', 'X_Forwarded_For', 'X_Original_URL', 'Authorization_', 'X_Api_Key']) {
      const value = name === 'Content_Length' ? '0' : 'x';
      const reply = await send(gw2.port, `GET /underscore HTTP/1.1\r\n${H}${name}: ${value}\r\nConnection: close\r\n\r\n`);
      if (name === 'Authorization_') { assert.equal(reply.status, 200, name); continue; } // `authorization-` is no header
      assertRefused(reply, 400, 'underscore_in_header_name', name);
    }
    upstream.requests.length = 0;
    const reply = await send(gw2.port, `GET /underscore HTTP/1.1\r\n${H}api_key: special-key\r\nX_Device_Id: d1\r\nConnection: close\r\n\r\n`);
    assert.equal(reply.status, 200);
    const [seen] = await upstreamSeen(upstream, 0);
    assert.deepEqual(header(seen!, 'api_key'), ['special-key']);
    assert.deepEqual(header(seen!, 'x_device_id'), ['d1']);
  } finally {
    await gw2.close();
  }
});

test('"_" in header names: with underscoresInHeaders drop the header is removed, with allow it is forwarded', async () => {
  for (const mode of ['drop', 'allow'] as const) {
    const gw2 = await startGateway(policy(upstream.url, { http: { underscoresInHeaders: mode } }));
    try {
      upstream.requests.length = 0;
      const reply = await send(gw2.port, `GET /underscore HTTP/1.1\r\n${H}Content_Type: application/json\r\nX-Ok: 1\r\nConnection: close\r\n\r\n`);
      assert.equal(reply.status, 200, mode);
      const [seen] = await upstreamSeen(upstream, 0);
      assert.deepEqual(header(seen!, 'x-ok'), ['1'], mode);
      assert.deepEqual(header(seen!, 'content_type'), mode === 'drop' ? [] : ['application/json'], mode);
    } finally {
      await gw2.close();
    }
  }
});

test('Expect: 100-continue on a denied route: no 100, the final 403 is sent and the connection closed', async () => {
  upstream.requests.length = 0;
  const result = await expectContinue(gw.port, `POST /admin HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`, 'hello');
  assert.equal(result.gotContinue, false);
  assert.ok(!result.text.includes(' 100 '), result.text);
  const responses = parseResponses(result.text);
  assert.equal(responses.length, 1);
  assertProblem(responses[0], 403, 'ip_denied');
  assert.equal(responses[0]!.headers.connection, 'close');
  assert.deepEqual(await upstreamSeen(upstream), []);
});

test('Expect: 100-continue with a Content-Length over the route limit: no 100, 413', async () => {
  upstream.requests.length = 0;
  const result = await expectContinue(gw.port, `POST /small/x HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 11\r\n\r\n`, 'hello world');
  assert.equal(result.gotContinue, false);
  const responses = parseResponses(result.text);
  assert.equal(responses.length, 1);
  assertProblem(responses[0], 413, 'body_too_large');
  assert.deepEqual(await upstreamSeen(upstream), []);
});

test('Expect: 100-continue on an allowed route: 100, then 200; the upstream gets the body and no Expect header', async () => {
  upstream.requests.length = 0;
  const result = await expectContinue(gw.port, `POST /upload HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n`, 'hello');
  assert.equal(result.gotContinue, true);
  const responses = parseResponses(result.text);
  assert.deepEqual(responses.map((r) => r.status), [100, 200]);
  const [seen] = await upstreamSeen(upstream, 0);
  assert.deepEqual(header(seen!, 'expect'), []);
  assert.equal(seen!.bodySha256, sha('hello'));
  assert.deepEqual(header(seen!, 'content-length'), ['5']);
});
