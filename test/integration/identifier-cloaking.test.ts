import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { parse } from 'yaml';
import { createShopApi } from '../../examples/shop-api/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { runCli, ROOT } from '../helpers/cli.ts';
import { compileKeys, TokenCodec } from '../../src/protections/identifier-cloaking/token.ts';

// The demo: examples/shop-api behind the policy of examples/portcullis.yaml (its listeners, admin and logging are
// replaced by the test helper's), plus identifier cloaking on POST /orders for the JSON-body cases.

let shopApi: Server;
let shopUrl: string;
/** Request targets the demo API received, in order. */
const seenByShop: string[] = [];
let gw: TestGateway;

const OLD_KEY = { id: 'demo1', secret: 'BEh/427P60i/dvN90/iQCnbUwg/kJva3JmXomDTwBz8=' };
const NEW_KEY = { id: 'demo2', secret: Buffer.alloc(32, 0x5e).toString('base64') };

function demoPolicy(keys: object[]): Record<string, unknown> {
  const policy = parse(readFileSync(`${ROOT}/examples/portcullis.yaml`, 'utf8')) as Record<string, any>;
  delete policy.listeners; delete policy.admin; delete policy.logging;
  policy.upstreams.shop.url = shopUrl;
  policy.protections.identifierCloaking.keys = keys;
  const orders = policy.routes.find((route: { name: string }) => route.name === 'orders');
  orders.protections = {
    jwt: { required: true },
    identifierCloaking: { request: { json: { '$.shopName': 'shop' } }, response: { json: { '$.shopName': 'shop' } } },
  };
  return policy;
}

async function login(user: string): Promise<string> {
  const res = await request(`${gw.url}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `${user}-password` }),
  });
  assert.equal(res.statusCode, 200);
  return (await res.body.json() as { token: string }).token;
}

async function get(path: string, jwt?: string): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await request(`${gw.url}${path}`, { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

async function shopTokens(jwt: string): Promise<Record<string, string>> {
  const { status, body } = await get('/shops', jwt);
  assert.equal(status, 200);
  return Object.fromEntries((body.shops as { shopName: string; title: string }[]).map((shop) => [shop.title, shop.shopName]));
}

/** The security events of one request. */
async function eventsOf(requestId: unknown): Promise<Record<string, unknown>[]> {
  return (await gw.logs()).filter((record) => record.type === 'security' && record.requestId === requestId);
}

before(async () => {
  shopApi = createShopApi();
  shopApi.prependListener('request', (req) => { seenByShop.push(req.url ?? ''); });
  await new Promise<void>((resolve) => shopApi.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shopApi.address() as AddressInfo).port}`;
  gw = await startGateway(demoPolicy([OLD_KEY]));
});
after(async () => {
  await gw.close();
  shopApi.closeAllConnections();
  await new Promise((resolve) => shopApi.close(resolve));
});

test('demo: alice lists her shops as tokens and reads her revenue by token', async () => {
  const alice = await login('alice');
  const tokens = await shopTokens(alice);
  assert.deepEqual(Object.keys(tokens).sort(), ["Alice's Bakery", "Alice's Books"]);
  for (const token of Object.values(tokens)) {
    assert.match(token, /^[A-Za-z0-9_-]{30,60}$/);
    assert.ok(!token.includes('alice'));
  }
  assert.equal((await shopTokens(alice))["Alice's Bakery"], tokens["Alice's Bakery"], 'deterministic: clients can cache URLs');

  const seen = seenByShop.length;
  const revenue = await get(`/shops/${tokens["Alice's Bakery"]}/revenue_data.json`, alice);
  assert.equal(revenue.status, 200);
  assert.deepEqual(revenue.body, {
    shopName: tokens["Alice's Bakery"], currency: 'KRW',
    revenue: [{ month: '2026-09', amount: 12_400_000 }, { month: '2026-10', amount: 13_100_000 }],
  });
  assert.deepEqual(seenByShop.slice(seen), ['/shops/alice-bakery/revenue_data.json'], 'the upstream got the real name');
  // HEAD goes through the same decoding.
  const headRes = await request(`${gw.url}/shops/${tokens["Alice's Books"]}/revenue_data.json`, { method: 'HEAD', headers: { authorization: `Bearer ${alice}` } });
  await headRes.body.dump();
  assert.equal(headRes.statusCode, 200);
  assert.equal(seenByShop.at(-1), '/shops/alice-books/revenue_data.json');
});

test('demo: alice cannot read bob\'s revenue by raw name, by bob\'s token, or with a tampered token; nothing reaches the upstream', async () => {
  const alice = await login('alice');
  const bob = await login('bob');
  const bobToken = (await shopTokens(bob))["Bob's Bikes"]!;
  const aliceToken = (await shopTokens(alice))["Alice's Bakery"]!;
  assert.equal((await get(`/shops/${bobToken}/revenue_data.json`, bob)).status, 200, 'bob can read his own');

  const tampered = aliceToken.slice(0, 25) + (aliceToken[25] === 'A' ? 'B' : 'A') + aliceToken.slice(26);
  const attempts: [string, string, string][] = [
    ['raw name', '/shops/bob-bikes/revenue_data.json', 'malformed'],
    ['raw name, percent-encoded', '/shops/bob%2Dbikes/revenue_data.json', 'malformed'],
    ['bob\'s token', `/shops/${bobToken}/revenue_data.json`, 'not_authentic'],
    ['tampered token', `/shops/${tampered}/revenue_data.json`, 'not_authentic'],
    ['raw name of her own shop', '/shops/alice-bakery/revenue_data.json', 'malformed'],
  ];
  const seen = seenByShop.length;
  for (const [name, path, ruleId] of attempts) {
    const res = await request(`${gw.url}${path}`, { headers: { authorization: `Bearer ${alice}` } });
    const body = await res.body.json() as Record<string, unknown>;
    assert.equal(res.statusCode, 404, name);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(body.reason, 'not_found', name);
    assert.equal(body.type, 'urn:portcullis:problem:not_found');
    assert.ok(!JSON.stringify(body).includes('identifier'), 'the answer does not tell why');
    const [event] = await eventsOf(res.headers['x-request-id']);
    assert.equal(event?.protection, 'identifier-cloaking', name);
    assert.equal(event?.reason, 'identifier_token_invalid');
    assert.equal(event?.ruleId, ruleId, name);
    assert.equal(event?.location, 'path:shopName');
    assert.equal(event?.excerpt, undefined);
    assert.equal(event?.path, '/shops/{shopName}/revenue_data.json', 'logs show the template, not what was tried');
    const access = (await gw.logs()).find((r) => r.type === 'access' && r.requestId === res.headers['x-request-id']);
    assert.equal(access?.path, '/shops/{shopName}/revenue_data.json');
    for (const field of ['message', 'ruleId', 'location']) {
      const text = String(event?.[field]);
      assert.ok(!text.includes(bobToken) && !text.includes(tampered) && !text.includes('bikes') && !text.includes('bakery'), `${name}: ${field}`);
    }
  }
  assert.deepEqual(seenByShop.slice(seen), [], 'no refused request reached the upstream');
});

test('demo: without a JWT the cloaked routes answer 401; the public shop page is unchanged', async () => {
  const alice = await login('alice');
  const token = (await shopTokens(alice))["Alice's Bakery"]!;
  const anonymous = await get(`/shops/${token}/revenue_data.json`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.reason, 'token_missing');
  const page = await get('/shops/alice-bakery');
  assert.equal(page.status, 200);
  assert.equal(page.body.shopName, 'alice-bakery');
});

test('JSON request and response fields: an order names the shop by token; a raw name in the body is refused', async () => {
  const alice = await login('alice');
  const token = (await shopTokens(alice))["Alice's Books"]!;
  const order = async (body: unknown) => {
    const res = await request(`${gw.url}/orders`, {
      method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() as Record<string, any>, id: res.headers['x-request-id'] };
  };
  const placed = await order({ shopName: token, items: [{ sku: 'BOOK-1', quantity: 3 }] });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  // The upstream echoes the order: it received the real name (its echo is cloaked again into the same token).
  assert.equal(placed.body.shopName, token);
  assert.deepEqual(placed.body.items, [{ sku: 'BOOK-1', quantity: 3 }]);
  assert.equal(placed.body.user, 'alice');
  const refused = await order({ shopName: 'bob-bikes', items: [1] });
  assert.equal(refused.status, 404);
  const [event] = await eventsOf(refused.id);
  assert.equal(event?.location, 'body:$.shopName');
  assert.equal(event?.ruleId, 'malformed');
  const bobToken = (await shopTokens(await login('bob')))["Bob's Bikes"]!;
  assert.equal((await order({ ShopName: bobToken, items: [1] })).status, 404, 'another case of the member name is checked too');
  const notJson = await request(`${gw.url}/orders`, {
    method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'shopName=bob-bikes&items=1',
  });
  assert.equal(notJson.statusCode, 415);
  await notJson.body.dump();
});

test('CLI: `portcullis cloak` mints the same tokens as the gateway and reads them back', async () => {
  const alice = await login('alice');
  const token = (await shopTokens(alice))["Alice's Books"]!;
  // Two processes at once: starting the CLI from the TypeScript sources takes seconds on a loaded machine.
  const [encoded, foreign] = await Promise.all([
    runCli(['cloak', 'encode', '--config', gw.policyFile, '--kind', 'shop', '--principal', 'alice', 'alice-books']),
    runCli(['cloak', 'decode', '--config', gw.policyFile, '--kind', 'shop', '--principal', 'bob', token]),
  ]);
  assert.equal(encoded.code, 0, encoded.stderr);
  assert.equal(encoded.stdout.trim(), token, 'same keys, same token: the gateway and the CLI agree');
  assert.equal((await get(`/shops/${encoded.stdout.trim()}/revenue_data.json`, alice)).status, 200);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /token refused \(not_authentic\)/);
  assert.ok(!foreign.stderr.includes(OLD_KEY.secret) && !encoded.stdout.includes(OLD_KEY.secret));
});

test('key rotation: old tokens work during the overlap, new tokens use the new key, removing the old key ends them', async () => {
  const alice = await login('alice');
  const oldToken = (await shopTokens(alice))["Alice's Bakery"]!;
  try {
    gw.writePolicy(demoPolicy([NEW_KEY, OLD_KEY]));
    assert.equal(await gw.gateway.reload(), true);
    const newToken = (await shopTokens(alice))["Alice's Bakery"]!;
    assert.notEqual(newToken, oldToken);
    assert.equal(Buffer.from(newToken, 'base64url').toString('latin1', 2, 7), 'demo2', 'minted with the new key');
    assert.equal((await get(`/shops/${oldToken}/revenue_data.json`, alice)).status, 200, 'old token during the overlap');
    assert.equal((await get(`/shops/${newToken}/revenue_data.json`, alice)).status, 200);

    gw.writePolicy(demoPolicy([NEW_KEY]));
    assert.equal(await gw.gateway.reload(), true);
    const gone = await get(`/shops/${oldToken}/revenue_data.json`, alice);
    assert.equal(gone.status, 404);
    assert.equal((await eventsOf(gone.headers['x-request-id']))[0]?.ruleId, 'unknown_key');
    assert.equal((await get(`/shops/${newToken}/revenue_data.json`, alice)).status, 200);

    // notAfter ends an overlap without removing the key.
    gw.writePolicy(demoPolicy([NEW_KEY, { ...OLD_KEY, notAfter: '2000-01-01T00:00:00Z' }]));
    assert.equal(await gw.gateway.reload(), true);
    const retired = await get(`/shops/${oldToken}/revenue_data.json`, alice);
    assert.equal(retired.status, 404);
    assert.equal((await eventsOf(retired.headers['x-request-id']))[0]?.ruleId, 'retired_key');
  } finally {
    gw.writePolicy(demoPolicy([OLD_KEY]));
    await gw.gateway.reload();
  }
});

// ---- a generic upstream: query parameters, Location, compressed responses, principals from cookies -------------

let upstream: TestUpstream;
let other: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res, seen) => {
    if (req.method === 'POST') {
      res.writeHead(201, { location: '/reports/rep-7', 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
      return;
    }
    const body = gzipSync(JSON.stringify({ url: seen.url, report: { id: 'rep-7', shop: 'alice-bakery' } }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
    res.end(body);
  });
  other = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{
      name: 'reports', path: '/reports/{reportId}', methods: ['GET', 'POST'], upstream: 'up',
      protections: {
        identifierCloaking: {
          request: { path: { reportId: 'report' }, query: { shop: 'shop' } },
          response: { json: { '$.report.id': 'report', '$..shop': 'shop' }, location: 'report' },
        },
      },
    }, {
      name: 'monitored', path: '/monitored/{reportId}', methods: ['GET'], upstream: 'up', mode: 'monitor',
      protections: { identifierCloaking: { request: { path: { reportId: 'report' } } } },
    }],
    protections: { identifierCloaking: { keys: [OLD_KEY], bindTo: { cookie: 'sid' } } },
  });
});
after(async () => { await other.close(); await upstream.close(); });

/** Tokens of the second gateway's keys (bound to the `sid` cookie), minted in this process. */
function cloak(kind: string, principal: string, value: string): string {
  const keys = compileKeys([OLD_KEY], (path, message) => assert.fail(`${path}: ${message}`));
  return new TokenCodec(keys, { binding: 'cookie:sid' }).encode(kind, principal, { text: value, numeric: false });
}

test('query parameters and path parameters are decoded upstream; gzip JSON and Location are cloaked; cookie binding', async () => {
  const report = cloak('report', 'session-1', 'rep-7');
  const shop = cloak('shop', 'session-1', 'alice bakery/&');
  const res = await request(`${other.url}/reports/${report}?shop=${shop}&page=2`, { headers: { cookie: 'sid=session-1', 'accept-encoding': 'gzip' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-encoding'], 'gzip');
  const { gunzipSync } = await import('node:zlib');
  const body = JSON.parse(gunzipSync(Buffer.from(await res.body.arrayBuffer())).toString()) as { url: string; report: { id: string; shop: string } };
  assert.equal(body.url, '/reports/rep-7?shop=alice%20bakery%2F%26&page=2', 'what the upstream received');
  assert.equal(body.report.id, report);
  assert.equal(body.report.shop, cloak('shop', 'session-1', 'alice-bakery'));

  const created = await request(`${other.url}/reports/${report}`, { method: 'POST', headers: { cookie: 'sid=session-1' } });
  await created.body.dump();
  assert.equal(created.statusCode, 201);
  assert.equal(created.headers.location, `/reports/${report}`);

  const otherSession = await request(`${other.url}/reports/${report}`, { headers: { cookie: 'sid=session-2' } });
  await otherSession.body.dump();
  assert.equal(otherSession.statusCode, 404);
  const noSession = await request(`${other.url}/reports/${report}`);
  assert.equal(noSession.statusCode, 401);
  assert.equal((await noSession.body.json() as { reason: string }).reason, 'identifier_principal_missing');
  assert.equal(noSession.headers['www-authenticate'], undefined, 'no Bearer challenge for a cookie binding');
});

test('monitor mode records a raw identifier and forwards it as sent', async () => {
  const before = upstream.requests.length;
  const res = await request(`${other.url}/monitored/rep-9`, { headers: { cookie: 'sid=session-1' } });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  assert.equal(upstream.requests.slice(before)[0]?.url, '/monitored/rep-9');
  const [event] = (await other.logs()).filter((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
  assert.equal(event?.reason, 'identifier_token_invalid');
  assert.equal(event?.wouldBlock, true);
});
