import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

/**
 * Response cloaking end to end: a real upstream answering with personal data, compressed bodies, error pages and
 * banners, and the gateway between it and a real client.
 */

const KEY = 'integration-hash-key-of-32-bytes-or-more';
process.env.PORTCULLIS_TEST_RESPONSE_CLOAKING_KEY = KEY;

const SHOP = {
  shopName: 'alice-bakery',
  owner: { name: 'Alice', phone: '010-1234-5678', email: 'alice@example.com', password: 'hunter2' },
  bankAccount: '110-234-567890',
  payments: [{ cardNumber: '4111111111111111', amount: 6500 }, { cardNumber: '5555555555554444', amount: 32000 }],
  note: 'call 02-123-4567 or 010-9876-5432; backup card 4111 1111 1111 1111, fake card 4111 1111 1111 1112; rrn 900101-1234568',
  orderId: 12345678901234567890,
};
const SHOP_TEXT = JSON.stringify(SHOP).replace('"orderId":12345678901234567000', '"orderId":12345678901234567890');

/** Every raw value that must never reach the client or the logs on a cloaked route. */
const SECRETS = ['010-1234-5678', 'alice@example.com', '4111111111111111', '5555555555554444', '02-123-4567', '010-9876-5432', '900101-1234568', '4111 1111 1111 1111'];

const JAVA_TRACE = 'java.lang.IllegalStateException: connection refused\n\tat com.example.shop.Db.query(Db.java:42)\n\tat com.example.shop.ShopController.get(ShopController.java:17)';
const BIG = JSON.stringify({ rows: Array.from({ length: 4000 }, (_, i) => ({ i, phone: '010-1234-5678' })) }); // ~120 KB

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res) => {
    const path = (req.url ?? '/').replace(/^\/[a-z]+/, '');
    const banners = { server: 'Apache/2.4.41 (Ubuntu)', 'x-powered-by': 'PHP/7.4.3', 'x-aspnet-version': '4.0.30319', 'x-runtime': '0.042' };
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...banners, ...extra });
      res.end(body);
    };
    switch (path) {
      case '/shop': return send(200, 'application/json', SHOP_TEXT, { etag: '"v1"' });
      case '/shop.gz': return send(200, 'application/json', gzipSync(SHOP_TEXT), { 'content-encoding': 'gzip' });
      case '/shop.br': return send(200, 'application/json', brotliCompressSync(SHOP_TEXT), { 'content-encoding': 'br' });
      case '/shop.deflate': return send(200, 'application/json', deflateSync(SHOP_TEXT), { 'content-encoding': 'deflate' });
      case '/big': return send(200, 'application/json', BIG);
      case '/big.gz': return send(200, 'application/json', gzipSync(BIG), { 'content-encoding': 'gzip' });
      case '/page': return send(200, 'text/html; charset=utf-8', `<p>Owner: Alice, <a href="mailto:alice@example.com">alice@example.com</a>, tel. 010-1234-5678</p>`);
      case '/image': return send(200, 'image/png', Buffer.from('\x89PNG 010-1234-5678 alice@example.com', 'latin1'));
      case '/broken': return send(200, 'application/json', '{"phone":"010-1234-5678",');
      case '/java-error': return send(500, 'text/plain', JAVA_TRACE);
      case '/sql-error': return send(500, 'text/html', '<h1>Error</h1><p>You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version</p>');
      case '/busy': return send(503, 'application/json', '{"error":"busy"}', { 'retry-after': '5' });
      case '/created': return send(201, 'application/json', JSON.stringify({ id: 'o-1', internalCost: 12, customer: { name: 'Carol', password: 'pw', email: 'carol@example.com' } }));
      default: return send(404, 'application/json', '{"error":"not found"}');
    }
  });
  gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    limits: { maxInspectedResponseBytes: 64 * 1024 },
    routes: [
      {
        name: 'cloaked', path: '/c/**', upstream: 'up',
        protections: {
          responseCloaking: {
            hashKey: { env: 'PORTCULLIS_TEST_RESPONSE_CLOAKING_KEY' },
            fields: [
              { path: '$.owner.password', action: 'remove' },
              { path: '$.owner.name', action: 'mask', keep: 1 },
              { path: '$.payments[*].cardNumber', action: 'hash' },
            ],
            detectors: {
              cards: {}, phones: {}, emails: { action: 'redact' }, residentNumbers: {},
              bankAccounts: { patterns: ['###-###-######'] },
            },
            errors: { replace5xx: true },
          },
        },
      },
      {
        name: 'spec', path: '/s/**', upstream: 'up',
        protections: {
          responseCloaking: {
            removeUndocumented: true,
            schemas: {
              '201': {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  customer: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string' }, password: { type: 'string', writeOnly: true } } },
                },
              },
            },
          },
        },
      },
      { name: 'monitored', path: '/m/**', upstream: 'up', mode: 'monitor', protections: { responseCloaking: { detectors: { phones: {}, cards: {} }, errors: { replace5xx: true } } } },
      { name: 'blocking', path: '/b/**', upstream: 'up', protections: { responseCloaking: { detectors: { cards: { action: 'block' } } } } },
      { name: 'plain', path: '/p/**', upstream: 'up' },
    ],
  });
});
after(async () => { await gw.close(); await upstream.close(); });

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${gw.url}${path}`, { headers });
  const raw = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, raw, text: raw.toString('utf8') };
}

const hash = (value: string) => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 16);

async function securityEvents(requestId: unknown) {
  return (await gw.logs()).filter((r) => r.type === 'security' && r.requestId === requestId);
}

const EXPECTED_SHOP = {
  shopName: 'alice-bakery',
  owner: { name: '****e', phone: '***-****-5678', email: '[redacted]' },
  bankAccount: '***-***-******',
  payments: [{ cardNumber: hash('4111111111111111'), amount: 6500 }, { cardNumber: hash('5555555555554444'), amount: 32000 }],
  note: 'call **-***-4567 or ***-****-5432; backup card **** **** **** 1111, fake card 4111 1111 1111 1112; rrn ******-*******',
};

describe('JSON cloaking', () => {
  test('fields and detectors rewrite the body; the rest is byte for byte; banners go; one event with pointers, no values', async () => {
    const res = await get('/c/shop');
    assert.equal(res.status, 200);
    const json = JSON.parse(res.text) as Record<string, unknown>;
    assert.deepEqual({ ...json, orderId: undefined }, { ...EXPECTED_SHOP, orderId: undefined });
    assert.ok(res.text.includes('"orderId":12345678901234567890'), 'a big integer keeps its digits');
    assert.equal(res.headers['content-length'], String(res.raw.length));
    assert.equal(res.headers.etag, undefined, 'the strong validator of the original is dropped');
    for (const banner of ['server', 'x-powered-by', 'x-aspnet-version', 'x-runtime']) assert.equal(res.headers[banner], undefined, banner);
    for (const secret of SECRETS) assert.ok(!res.text.includes(secret), secret);

    const events = await securityEvents(res.headers['x-request-id']);
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.protection, 'response-cloaking');
    assert.equal(event.reason, 'response_cloaked');
    assert.equal(event.action, 'flag');
    const message = String(event.message);
    assert.match(message, /remove \$\.owner\.password x1 \[\/owner\/password\]/);
    assert.match(message, /hash \$\.payments\[\*\]\.cardNumber x2 \[\/payments\/0\/cardNumber, \/payments\/1\/cardNumber\]/);
    assert.match(message, /mask phones x3 \[\/owner\/phone, \/note, \/note\]/);
    assert.match(message, /redact emails x1 \[\/owner\/email\]/);
    assert.match(message, /mask bankAccounts x1 \[\/bankAccount\]/);
    const log = readFileSync(gw.policyFile.replace('policy.yaml', 'events.log'), 'utf8');
    for (const secret of [...SECRETS, 'hunter2', KEY]) assert.ok(!log.includes(secret), `log contains ${secret}`);
  });

  for (const [suffix, coding, decode] of [
    ['gz', 'gzip', gunzipSync], ['br', 'br', brotliDecompressSync], ['deflate', 'deflate', inflateSync],
  ] as const) {
    test(`a ${coding} upstream body is decoded, cloaked and sent ${coding}-encoded again`, async () => {
      const before = upstream.requests.length;
      const res = await get(`/c/shop.${suffix}`, { 'accept-encoding': 'gzip, deflate, br, zstd' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], coding);
      assert.equal(res.headers['content-length'], String(res.raw.length));
      const json = JSON.parse(decode(res.raw).toString('utf8')) as Record<string, unknown>;
      assert.deepEqual({ ...json, orderId: undefined }, { ...EXPECTED_SHOP, orderId: undefined });
      assert.equal(upstream.requests[before]!.headers['accept-encoding'], 'gzip, deflate, br', 'the upstream is only offered codings that can be decoded');
    });
  }

  test('a body over maxInspectedResponseBytes is refused with 502 (compressed size or not); the uninspected route streams it', async () => {
    for (const path of ['/c/big', '/c/big.gz']) {
      const res = await get(path, { 'accept-encoding': 'gzip' });
      assert.equal(res.status, 502, path);
      assert.equal((JSON.parse(res.text) as { reason: string }).reason, 'response_too_large', path);
      assert.ok(!res.text.includes('010-1234-5678'));
    }
    const plain = await get('/p/big');
    assert.equal(plain.status, 200);
    assert.equal(plain.raw.length, Buffer.byteLength(BIG));
  });

  test('a detector with action block answers 502 instead of the response', async () => {
    const res = await get('/b/shop');
    assert.equal(res.status, 502);
    const problem = JSON.parse(res.text) as { reason: string };
    assert.equal(problem.reason, 'response_sensitive_data');
    assert.ok(!res.text.includes('4111'));
    assert.equal(res.headers['content-type'], 'application/problem+json');
  });

  test('a JSON body that does not parse is passed, scanned as text, and flagged', async () => {
    const res = await get('/c/broken');
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"phone":"***-****-5678",');
    const events = await securityEvents(res.headers['x-request-id']);
    assert.deepEqual(events.map((e) => e.reason), ['response_json_invalid']);
  });
});

describe('text, HTML and other types', () => {
  test('HTML is scanned: phone masked, e-mails redacted, also inside attributes', async () => {
    const res = await get('/c/page');
    assert.equal(res.text, '<p>Owner: Alice, <a href="mailto:[redacted]">[redacted]</a>, tel. ***-****-5678</p>');
  });

  test('binary types pass unchanged', async () => {
    const res = await get('/c/image');
    assert.equal(res.raw.toString('latin1'), '\x89PNG 010-1234-5678 alice@example.com');
    assert.equal(res.headers.server, undefined, 'banners go whatever the type');
  });
});

describe('error pages', () => {
  test('a 500 with a Java stack trace becomes a generic problem+json with the same status', async () => {
    const res = await get('/c/java-error');
    assert.equal(res.status, 500);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    const problem = JSON.parse(res.text) as { reason: string; status: number; requestId: string };
    assert.equal(problem.reason, 'error_details_hidden');
    assert.equal(problem.requestId, res.headers['x-request-id']);
    assert.ok(!res.text.includes('ShopController') && !res.text.includes('java'));
    const events = await securityEvents(res.headers['x-request-id']);
    assert.equal(events[0]!.reason, 'error_details_hidden');
    assert.equal(events[0]!.ruleId, 'stack-trace:java');
    assert.ok(!JSON.stringify(events).includes('ShopController'));
  });

  test('an SQL error page is replaced; a browser gets the HTML form', async () => {
    const res = await get('/c/sql-error', { accept: 'text/html' });
    assert.equal(res.status, 500);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.ok(res.text.includes('error_details_hidden') && !res.text.includes('SQL syntax'));
    const events = await securityEvents(res.headers['x-request-id']);
    assert.equal(events[0]!.ruleId, 'sql-error:mysql');
  });

  test('a clean 503 passes as it was', async () => {
    const res = await get('/c/busy');
    assert.equal(res.status, 503);
    assert.equal(res.text, '{"error":"busy"}');
    assert.equal(res.headers['retry-after'], '5');
  });
});

describe('spec-driven cloaking', () => {
  test('members the 201 schema does not declare are removed, writeOnly never leaves', async () => {
    const res = await get('/s/created');
    assert.equal(res.status, 201);
    assert.deepEqual(JSON.parse(res.text), { id: 'o-1', customer: { name: 'Carol', email: 'carol@example.com' } });
    const events = await securityEvents(res.headers['x-request-id']);
    assert.match(String(events[0]!.message), /remove schema:undocumented x1 \[\/internalCost\]; remove schema:writeOnly x1 \[\/customer\/password\]/);
  });

  test('other statuses have no schema here and pass unchanged', async () => {
    const res = await get('/s/shop');
    assert.equal(res.text, SHOP_TEXT);
    assert.equal(res.headers.etag, '"v1"');
  });
});

describe('defaults and monitor mode', () => {
  test('without configuration only banners are removed; the body streams as sent', async () => {
    const res = await get('/p/shop');
    assert.equal(res.text, SHOP_TEXT);
    assert.equal(res.headers.etag, '"v1"');
    for (const banner of ['server', 'x-powered-by', 'x-aspnet-version', 'x-runtime']) assert.equal(res.headers[banner], undefined, banner);
    assert.equal(res.headers['content-type'], 'application/json');
  });

  test('a monitored route changes nothing and records what would have been done', async () => {
    const res = await get('/m/shop');
    assert.equal(res.text, SHOP_TEXT);
    assert.equal(res.headers.server, 'Apache/2.4.41 (Ubuntu)');
    const events = await securityEvents(res.headers['x-request-id']);
    assert.equal(events[0]!.reason, 'response_cloaked');
    assert.equal(events[0]!.mode, 'monitor');
    assert.match(String(events[0]!.message), /^mask /, 'the event says what the protection did, which the pipeline undid');
    const error = await get('/m/java-error');
    assert.equal(error.status, 500);
    assert.equal(error.text, JAVA_TRACE);
    const errorEvents = await securityEvents(error.headers['x-request-id']);
    assert.equal(errorEvents[0]!.wouldBlock, true);
  });

  test('HEAD answers carry no body and still lose their banners', async () => {
    const res = await request(`${gw.url}/c/shop`, { method: 'HEAD' });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.server, undefined);
  });
});
