import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { identifierCloaking } from './identifier-cloaking.ts';
import type { IdentifierCloakingConfig } from './config.ts';
import { TokenCodec, compileKeys } from './token.ts';
import { Exchange } from '../../pipeline/exchange.ts';
import { compilePathTemplate, type PathTemplate } from '../../pipeline/path-template.ts';
import type { CompiledRoute } from '../../pipeline/router.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Block, Verdict } from '../../pipeline/verdict.ts';
import { createLocalStores } from '../../store/registry.ts';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const KEYS = [{ id: 'k1', secret: SECRET }];
const codec = (binding = 'principal') => new TokenCodec(compileKeys(KEYS, () => {}), { binding });
const tokenFor = (kind: string, principal: string, text: string, numeric = false, binding = 'principal') => codec(binding).encode(kind, principal, { text, numeric });

const ROUTES = [
  { name: 'revenue', path: '/shops/{shopName}/revenue_data.json', upstream: 'shop' },
  { name: 'file', path: '/files/{id}.pdf', upstream: 'shop' },
];

function compile(config: IdentifierCloakingConfig, scope = 'global', http: Record<string, unknown> = {}): { instance: ProtectionInstance; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const context: CreateContext = {
    policy: { routes: ROUTES, http: { pathSemicolons: 'reject', ...http } } as unknown as Policy,
    stores: createLocalStores(), scope, issue: (path, message) => issues.push({ path, message }),
  };
  return { instance: identifierCloaking.create({ keys: KEYS, ...config }, context), issues };
}

function exchangeFor(options: {
  path: string; template?: string; query?: string; principal?: string; headers?: Record<string, string>; fingerprint?: string;
}): Exchange {
  const req = { method: 'GET', headers: options.headers ?? {} } as unknown as IncomingMessage;
  const exchange = new Exchange(req, {} as ServerResponse, {
    peerAddress: '127.0.0.1', peerPort: 1, listener: 'test', protocol: 'http', clientCertificateFingerprint: options.fingerprint,
  });
  exchange.path = options.path;
  exchange.rawQuery = options.query ?? '';
  exchange.principal = options.principal;
  const template = compilePathTemplate(options.template ?? '/**', false) as PathTemplate;
  exchange.route = { name: 'r', template } as unknown as CompiledRoute;
  exchange.routeParams = template.match(options.path.slice(1).split('/').map(decodeURIComponent)) ?? {};
  return exchange;
}

const head = (instance: ProtectionInstance, exchange: Exchange) => instance.onRequestHead!(exchange) as Verdict;

describe('identifier-cloaking: configuration', () => {
  test('definition', () => {
    assert.equal(identifierCloaking.name, 'identifier-cloaking');
    assert.equal(identifierCloaking.key, 'identifierCloaking');
    assert.equal(identifierCloaking.routeConfig, 'merge');
    assert.equal(identifierCloaking.defaultConfig, undefined);
  });

  test('keys alone (the usual global block) compile to no hooks at all', () => {
    const { instance, issues } = compile({});
    assert.deepEqual(issues, []);
    assert.deepEqual(Object.keys(instance), []);
  });

  test('declared identifiers need keys; bad paths and parameters are reported with pointers', () => {
    const issues: ConfigIssue[] = [];
    identifierCloaking.create({ request: { query: { shop: 'shop' } } }, {
      policy: { routes: ROUTES } as unknown as Policy, stores: createLocalStores(), scope: 'global', issue: (path, message) => issues.push({ path, message }),
    });
    assert.deepEqual(issues.map((i) => i.path), ['']);
    const { issues: more } = compile({
      request: { path: { shop: 'shop' }, query: { Shop: 'shop', shop: 'shop' }, json: { 'shopName': 'shop' } },
      response: { json: { '$.a[x]': 'shop' } },
    }, 'revenue');
    assert.deepEqual(more.map((i) => i.path).sort(), ['/request/json/shopName', '/request/path/shop', '/request/query/shop', '/response/json/$.a[x]']);
  });

  test('only what is declared is buffered', () => {
    assert.equal(compile({ request: { path: { shopName: 'shop' } } }).instance.needs, undefined);
    assert.deepEqual(compile({ request: { json: { '$.shopName': 'shop' } } }).instance.needs, { requestBody: true, responseBody: false });
    assert.deepEqual(compile({ response: { json: { '$.shopName': 'shop' } } }).instance.needs, { requestBody: false, responseBody: true });
    assert.equal(compile({ response: { location: 'order' } }).instance.onResponseBody, undefined);
  });
});

describe('identifier-cloaking: request head', () => {
  const { instance } = compile({ request: { path: { shopName: 'shop', id: 'file' }, query: { shop: 'shop' } } });
  const template = '/shops/{shopName}/revenue_data.json';

  test('a token in a path parameter is replaced upstream by the real identifier', () => {
    const exchange = exchangeFor({ path: `/shops/${tokenFor('shop', 'alice', 'alice-bakery')}/revenue_data.json`, template, principal: 'alice' });
    assert.deepEqual(head(instance, exchange), { action: 'pass' });
    assert.equal(exchange.upstreamPath, '/shops/alice-bakery/revenue_data.json');
    assert.equal(exchange.upstreamQuery, undefined);
    assert.ok(exchange.path.includes('/shops/AQ'), 'the client view is kept');
  });

  test('the identifier is percent-encoded into one segment; literal text around the parameter is kept', () => {
    const exchange = exchangeFor({ path: `/files/${tokenFor('file', 'alice', 'q 1?x=%#;y')}.pdf`, template: '/files/{id}.pdf', principal: 'alice' });
    assert.deepEqual(head(instance, exchange), { action: 'pass' });
    assert.equal(exchange.upstreamPath, '/files/q%201%3Fx%3D%25%23%3By.pdf');
  });

  test('identifiers that would change the path structure are refused', () => {
    for (const unsafe of ['..', '.', '', 'a/b', '..\\x', 'a\nb', 'a\u0000b', '/etc/passwd']) {
      const exchange = exchangeFor({ path: `/shops/${tokenFor('shop', 'alice', unsafe)}/revenue_data.json`, template, principal: 'alice' });
      const verdict = head(instance, exchange) as Block;
      assert.equal(verdict.reason, 'identifier_token_invalid', JSON.stringify(unsafe));
      assert.equal(verdict.detail?.ruleId, 'unsafe_path_value');
      assert.equal(exchange.upstreamPath, undefined);
    }
  });

  const refusals: { name: string; token: () => string; principal: string; ruleId: string }[] = [
    { name: 'a raw identifier', token: () => 'bob-bikes', principal: 'alice', ruleId: 'malformed' },
    { name: 'another principal\'s token', token: () => tokenFor('shop', 'bob', 'bob-bikes'), principal: 'alice', ruleId: 'not_authentic' },
    { name: 'a token of another kind', token: () => tokenFor('order', 'alice', 'alice-bakery'), principal: 'alice', ruleId: 'not_authentic' },
    { name: 'a token of another binding', token: () => tokenFor('shop', 'alice', 'alice-bakery', false, 'cookie:sid'), principal: 'alice', ruleId: 'not_authentic' },
    { name: 'a tampered token', token: () => { const t = tokenFor('shop', 'alice', 'alice-bakery'); return t.slice(0, 20) + (t[20] === 'A' ? 'B' : 'A') + t.slice(21); }, principal: 'alice', ruleId: 'not_authentic' },
  ];
  for (const { name, token, principal, ruleId } of refusals) {
    test(`${name}: 404 answered as not_found, recorded as identifier_token_invalid without the token or identifier`, () => {
      const value = token();
      const exchange = exchangeFor({ path: `/shops/${value}/revenue_data.json`, template, principal });
      const verdict = head(instance, exchange) as Block;
      assert.equal(verdict.action, 'block');
      assert.equal(verdict.status, 404);
      assert.equal(verdict.reason, 'identifier_token_invalid');
      assert.deepEqual(verdict.problem, { type: 'urn:portcullis:problem:not_found', reason: 'not_found' });
      assert.equal(verdict.detail?.ruleId, ruleId);
      assert.equal(verdict.detail?.location, 'path:shopName');
      assert.equal(verdict.detail?.excerpt, undefined);
      assert.ok(!JSON.stringify(verdict).includes(value) && !JSON.stringify(verdict).includes('bakery') && !JSON.stringify(verdict).includes('bikes'));
      assert.match(verdict.detail!.message!, /^kind shop: /);
    });
  }

  test('no principal: 401 with a Bearer challenge (configurable); unrouted requests are left to the router', () => {
    const exchange = exchangeFor({ path: '/shops/x/revenue_data.json', template });
    const verdict = head(instance, exchange) as Block;
    assert.equal(verdict.status, 401);
    assert.equal(verdict.reason, 'identifier_principal_missing');
    assert.deepEqual(verdict.headers, { 'www-authenticate': 'Bearer' });
    const quiet = compile({ request: { path: { shopName: 'shop' } }, principalMissingStatus: 404 }).instance;
    assert.equal((head(quiet, exchangeFor({ path: '/shops/x/revenue_data.json', template })) as Block).status, 404);
    const unrouted = exchangeFor({ path: '/nowhere' });
    unrouted.route = null;
    assert.deepEqual(head(instance, unrouted), { action: 'pass' });
  });

  test('invalidStatus changes the status and the client-facing reason', () => {
    const strict = compile({ request: { path: { shopName: 'shop' } }, invalidStatus: 403 }).instance;
    const verdict = head(strict, exchangeFor({ path: '/shops/bob-bikes/revenue_data.json', template, principal: 'alice' })) as Block;
    assert.equal(verdict.status, 403);
    assert.deepEqual(verdict.problem, { type: 'urn:portcullis:problem:forbidden', reason: 'forbidden' });
  });

  test('bound to a cookie or to the client certificate', () => {
    const byCookie = compile({ request: { path: { shopName: 'shop' } }, bindTo: { cookie: 'sid' } }).instance;
    const token = tokenFor('shop', 'session-1', 'alice-bakery', false, 'cookie:sid');
    const ok = exchangeFor({ path: `/shops/${token}/revenue_data.json`, template, headers: { cookie: 'theme=dark; sid=session-1' } });
    assert.deepEqual(head(byCookie, ok), { action: 'pass' });
    assert.equal(ok.upstreamPath, '/shops/alice-bakery/revenue_data.json');
    const other = exchangeFor({ path: `/shops/${token}/revenue_data.json`, template, headers: { cookie: 'sid=session-2' } });
    assert.equal((head(byCookie, other) as Block).detail?.ruleId, 'not_authentic');
    const twice = exchangeFor({ path: `/shops/${token}/revenue_data.json`, template, headers: { cookie: 'sid=session-1; sid=session-2' } });
    assert.equal((head(byCookie, twice) as Block).reason, 'identifier_principal_missing');
    assert.equal((head(byCookie, twice) as Block).headers, undefined);

    const byCert = compile({ request: { path: { shopName: 'shop' } }, bindTo: 'clientCertificate' }).instance;
    const certToken = tokenFor('shop', 'ab'.repeat(32), 'alice-bakery', false, 'clientCertificate');
    const withCert = exchangeFor({ path: `/shops/${certToken}/revenue_data.json`, template, fingerprint: 'ab'.repeat(32), principal: 'alice' });
    assert.deepEqual(head(byCert, withCert), { action: 'pass' });
    assert.equal((head(byCert, exchangeFor({ path: `/shops/${certToken}/revenue_data.json`, template, principal: 'alice' })) as Block).reason, 'identifier_principal_missing');
  });

  test('query parameters: every occurrence, names without regard to case, other parameters untouched', () => {
    const token = tokenFor('shop', 'alice', 'alice bakery&co');
    const exchange = exchangeFor({ path: '/report', query: `from=2026-09&shop=${token}&x=a%20b&SHOP=${token}`, principal: 'alice' });
    assert.deepEqual(head(instance, exchange), { action: 'pass' });
    assert.equal(exchange.upstreamQuery, 'from=2026-09&shop=alice%20bakery%26co&x=a%20b&SHOP=alice%20bakery%26co');
    assert.equal(exchange.upstreamPath, undefined);
    const polluted = exchangeFor({ path: '/report', query: `shop=${token}&Shop=bob-bikes`, principal: 'alice' });
    const verdict = head(instance, polluted) as Block;
    assert.equal(verdict.detail?.location, 'query:Shop');
    assert.equal(verdict.detail?.ruleId, 'malformed');
    const empty = exchangeFor({ path: '/report', query: 'shop', principal: 'alice' });
    assert.equal((head(instance, empty) as Block).reason, 'identifier_token_invalid');
  });
});

describe('identifier-cloaking: request body', () => {
  const { instance } = compile({ request: { json: { '$.shopName': 'shop', '$.items[*].orderId': 'order' } } });
  const post = (body: string, contentType = 'application/json') => {
    const exchange = exchangeFor({ path: '/orders', principal: 'alice', headers: { 'content-type': contentType } });
    const verdict = instance.onRequestBody!(exchange, Buffer.from(body)) as Verdict;
    return { exchange, verdict };
  };

  test('tokens in declared fields become the identifiers, with their type; the rest is unchanged', () => {
    const shop = tokenFor('shop', 'alice', 'alice-bakery');
    const order = tokenFor('order', 'alice', '12345678901234567890', true);
    const { exchange, verdict } = post(JSON.stringify({ shopName: shop, items: [{ orderId: order, qty: 1.5 }, { orderId: null }], note: shop }));
    assert.deepEqual(verdict, { action: 'pass' });
    assert.equal(exchange.requestBody!.toString(), `{"shopName":"alice-bakery","items":[{"orderId":12345678901234567890,"qty":1.5},{"orderId":null}],"note":"${shop}"}`);
  });

  test('a body without declared fields is forwarded as sent', () => {
    const { exchange, verdict } = post('{ "other": 1 }');
    assert.deepEqual(verdict, { action: 'pass' });
    assert.equal(exchange.requestBodyReplaced, false);
  });

  test('raw identifiers, objects and other-case duplicates of a declared member are refused', () => {
    const shop = tokenFor('shop', 'alice', 'alice-bakery');
    for (const body of [
      { shopName: 'bob-bikes' },
      { shopName: { $ne: null } },
      { shopName: 42 },
      { shopName: shop, ShopName: 'bob-bikes' },
      { items: [{ orderId: shop }] },
    ]) {
      const { exchange, verdict } = post(JSON.stringify(body));
      assert.equal((verdict as Block).reason, 'identifier_token_invalid', JSON.stringify(body));
      assert.equal((verdict as Block).status, 404);
      assert.match((verdict as Block).detail!.location!, /^body:\$\./);
      assert.equal(exchange.requestBodyReplaced, false);
    }
  });

  test('bodies that are not JSON are refused', () => {
    assert.equal((post('{"shopName": "x",}').verdict as Block).reason, 'identifier_body_invalid');
    assert.equal((post('{"shopName": "x",}').verdict as Block).status, 400);
    assert.equal((post('shopName=bob-bikes', 'application/x-www-form-urlencoded').verdict as Block).status, 415);
    assert.deepEqual(post('').verdict, { action: 'pass' });
  });
});

describe('identifier-cloaking: response', () => {
  const { instance } = compile({ response: { json: { '$.shops[*].shopName': 'shop', '$..orderId': 'order' }, location: 'order' } });
  const respond = (body: string, contentType: string | undefined = 'application/json', principal: string | undefined = 'alice') => {
    const exchange = exchangeFor({ path: '/shops', principal });
    exchange.upstreamResponseHeaders = contentType === undefined ? {} : { 'content-type': contentType };
    const verdict = instance.onResponseBody!(exchange, Buffer.from(body)) as Verdict;
    return { exchange, verdict };
  };

  test('declared fields get tokens for the current principal; numbers exact; null left', () => {
    const { exchange, verdict } = respond('{"shops":[{"shopName":"alice-bakery","title":"A"},{"shopName":null}],"orderId":12345678901234567890,"total":1e400}');
    assert.deepEqual(verdict, { action: 'pass' });
    const body = JSON.parse(exchange.responseBody!.toString()) as { shops: { shopName: string }[]; orderId: string };
    assert.equal(body.shops[0]!.shopName, tokenFor('shop', 'alice', 'alice-bakery'));
    assert.equal(body.shops[1]!.shopName, null);
    assert.deepEqual(codec().decode('order', 'alice', body.orderId), { ok: true, id: { text: '12345678901234567890', numeric: true }, keyId: 'k1', expiresAt: undefined });
    assert.ok(exchange.responseBody!.toString().endsWith(',"total":1e400}'));
  });

  test('non-JSON responses and responses without the fields are left untouched', () => {
    assert.equal(respond('{"shops":[{"shopName":"a"}]}', 'text/plain').exchange.responseBody, undefined);
    assert.equal(respond('{"error":"no such shop"}').exchange.responseBody, undefined);
    assert.ok(respond('{"shops":[{"shopName":"a"}]}', undefined).exchange.responseBody, 'no content type: sniffed');
    assert.ok(respond('{"shops":[{"shopName":"a"}]}', 'application/problem+json; charset=utf-8').exchange.responseBody);
  });

  test('a JSON response that does not parse is not passed on with its identifiers', () => {
    const { verdict } = respond('{"shops":[{"shopName":"alice-bakery"}', 'application/json');
    assert.equal((verdict as Block).status, 502);
    assert.equal((verdict as Block).reason, 'identifier_response_invalid');
  });

  test('Location: the last path segment becomes a token', () => {
    const cases: [string, string | undefined][] = [
      ['/orders/ord_1', '/orders/TOKEN'],
      ['https://shop.example/orders/ord_1?x=1#f', 'https://shop.example/orders/TOKEN?x=1#f'],
      ['/orders/ord_1/', '/orders/TOKEN/'],
      ['https://shop.example', undefined],
      ['/', undefined],
    ];
    const token = tokenFor('order', 'alice', 'ord_1');
    for (const [location, expected] of cases) {
      const exchange = exchangeFor({ path: '/orders', principal: 'alice' });
      assert.deepEqual(instance.onResponseHead!(exchange, 201, { location }), { action: 'pass' });
      assert.equal(exchange.responseHeaders?.get('location'), expected?.replace('TOKEN', token), location);
    }
  });
});
