import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { SignJWT } from 'jose';
import { parse as parseYaml } from 'yaml';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { ROOT, freePort, runCli, spawnCli } from '../helpers/cli.ts';
import { validatePolicyObject } from '../../src/config/load-policy.ts';
import { PolicyError } from '../../src/config/policy-error.ts';
import { loadPolicyFile } from '../../src/config/load-policy.ts';
import { buildPipeline } from '../../src/pipeline/build-pipeline.ts';
import { openapiCommand } from '../../src/cli/openapi-command.ts';
import { startCommand } from '../../src/cli/start-command.ts';
import { createShopApi } from '../../examples/shop-api/server.ts';

const STORE = join(ROOT, 'test/fixtures/openapi/store/store.yaml');
const BROKEN = join(ROOT, 'test/fixtures/openapi/broken/broken.yaml');
const FEATURES = join(ROOT, 'test/fixtures/openapi/features-31.yaml');
const DEMO_SPEC = join(ROOT, 'examples/shop-api/openapi.yaml');
const SECRET = 'openapi-integration-test-secret-0123456789';

const token = (scope: string) => new SignJWT({ scope }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice')
  .setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

type Problem = { reason: string; errors?: { in: string; name?: string; pointer: string; rule: string; message: string }[]; accepted?: string[] };

/** The store upstream: canned JSON per path (with fields the description does not declare), 201 for POST. */
async function storeUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    let status = req.method === 'POST' ? 201 : 200;
    let body: unknown = {};
    if (path === '/api/v2/products/7') {
      body = { id: 7, sku: 'ABC-0007', name: 'Kettle', price: { amount: 39.9, currency: 'EUR' }, supplierCost: 12.5, internalNotes: 'margin 70%' };
    } else if (path === '/api/v2/products') {
      body = { total: 0, nextCursor: null, items: [] };
    } else if (req.method === 'DELETE') {
      status = 204;
      body = undefined;
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

function storePolicy(upstreamUrl: string, entry: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    upstreams: { store: { url: upstreamUrl } },
    protections: { jwt: { keys: [{ secret: SECRET, algorithms: ['HS256'] }] } },
    openapi: [{ spec: STORE, upstream: 'store', ...entry }],
  };
}

async function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const res = await request(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers, body: options.body });
  const text = await res.body.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.statusCode, headers: res.headers, text, json: json as Problem & Record<string, unknown> };
}

const validOrder = () => ({
  items: [{ productId: 7, quantity: 2 }],
  payment: { method: 'card', cardNumber: '4111111111111111', expiry: '04/29', cvc: '123' },
  shippingAddress: { line1: '1 Main St', line2: null, city: 'Seoul', postalCode: '04524', country: 'KR' },
  contactEmail: 'carol@example.com',
  giftMessage: null,
});

/** Runs `portcullis openapi import ARGS --out FILE` in this process; returns the exit code and the file. */
async function importToFile(args: string[]): Promise<{ code: number; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
  try {
    const out = join(dir, 'routes.yaml');
    const code = await openapiCommand(['import', ...args, '--out', out]);
    return { code, text: code === 0 ? readFileSync(out, 'utf8') : '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('portcullis openapi import', () => {
  test('writes one route per operation, with validation, cloaking, scopes and extensions', async () => {
    const result = await importToFile([STORE, '--upstream', 'store']);
    assert.equal(result.code, 0);
    const header = result.text.split('\n').filter((line) => line.startsWith('#')).join('\n');
    assert.match(header, /19 operations, strict mode/);
    assert.match(header, /webhookKey cannot be enforced/);
    const fragment = parseYaml(result.text) as { upstreams: Record<string, { url: string }>; routes: Record<string, any>[] };
    assert.deepEqual(fragment.upstreams, { store: { url: 'https://eu.store.example' } });
    assert.equal(fragment.routes.length, 19);
    const byName = new Map(fragment.routes.map((route) => [route.name as string, route]));
    const create = byName.get('createProduct')!;
    assert.equal(create.path, '/api/v2/products');
    assert.deepEqual(create.methods, ['POST']);
    assert.deepEqual(create.protections.jwt, { required: true, scopes: ['store.write'] });
    assert.deepEqual(create.protections.identifierCloaking, { response: { location: 'product' } });
    assert.deepEqual(create.protections.responseCloaking.fields, [{ path: '$.supplierCost', action: 'remove' }]);
    assert.equal(create.protections.requestValidation.body.required, true);
    // $refs across files became local $defs, and 3.0's nullable/exclusiveMinimum became 2020-12.
    const product = create.protections.requestValidation.body.content['application/json'].schema;
    assert.equal(product.$ref, '#/$defs/Product');
    assert.deepEqual(Object.keys(product.$defs).sort(), ['CategoryRef', 'Currency', 'Money', 'Product', 'Timestamps']);
    const own = product.$defs.Product.allOf[1].properties;
    assert.deepEqual(own.description.type, ['string', 'null']);
    assert.deepEqual(own.dimensions.properties.width, { type: 'number', exclusiveMinimum: 0 });
    assert.equal(JSON.stringify(product).includes('x-portcullis'), false);
    // Recursive schema: a reference to itself, not an endless copy.
    const categories = byName.get('listCategories')!.protections.responseCloaking.schemas['200'];
    assert.equal(categories.items.properties.children.items.$ref, '#/$defs/Category');
    assert.equal(categories.$defs.Category.properties.children.items.$ref, '#/$defs/Category');
    const getCategory = byName.get('getCategory')!.protections.requestValidation;
    assert.deepEqual(getCategory.parameters[0].schema, { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 40 });
    assert.deepEqual(byName.get('listCategories')!.protections.jwt, { enabled: false });
    assert.deepEqual(byName.get('createOrder')!.protections.responseCloaking.fields.map((f: { path: string }) => f.path),
      ['$.payment.cardNumber', '$.payment.iban', '$.shippingAddress.phone']);
    assert.equal(byName.get('getInvoicePdf')!.path, '/api/v2/invoices/{invoiceId}.pdf');
    assert.equal(byName.get('paymentWebhook')!.protections.jwt, undefined);
    const list = byName.get('listProducts')!.protections.requestValidation.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    assert.deepEqual(list, ['query:limit', 'query:cursor', 'header:X-Request-Priority', 'query:tag', 'query:ids', 'query:filter', 'query:sort']);
  });

  test('--mode learning adds a catch-all route', async () => {
    const result = await importToFile([DEMO_SPEC, '--upstream', 'shop', '--mode', 'learning']);
    assert.equal(result.code, 0);
    const fragment = parseYaml(result.text) as { routes: Record<string, any>[] };
    const last = fragment.routes.at(-1)!;
    assert.equal(last.path, '/**');
    assert.deepEqual(last.protections, { requestValidation: { undocumentedEndpoint: true } });
    assert.equal(fragment.routes.length, 7);
  });

  test('a broken description: exit 2, every problem with its place', async () => {
    const result = await runCli(['openapi', 'import', BROKEN]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /broken\.yaml#\/paths\/~1a\/get\/responses\/200\/content\/application~1json\/schema: cannot resolve "#\/components\/schemas\/Missing"/);
    assert.match(result.stderr, /broken\.yaml#\/paths\/~1b\/post\/requestBody\/content\/application~1json\/schema: remote reference "https:\/\/schemas\.example\/order\.json" is not supported/);
    assert.match(result.stderr, /broken\.yaml#\/paths\/~1c\/get\/parameters\/0: "nowhere\.yaml#\/components\/parameters\/X": cannot read a referenced file .*nowhere\.yaml \(ENOENT\)/);
    assert.match(result.stderr, /broken\.yaml#\/paths\/~1e\/get: operationId "twice" is also used by broken\.yaml#\/paths\/~1d\/get/);
    assert.equal(await openapiCommand(['export', STORE]), 2);
  });

  test('OpenAPI 3.1: type arrays, const, prefixItems, $ref siblings and +json media types', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway({ upstreams: { up: { url: upstream.url } }, openapi: [{ spec: FEATURES, upstream: 'up' }] });
    try {
      const id = '5f0c6f0e-3f51-4bde-9c1d-7c2a2f6f4a10';
      const url = `${gw.url}/things/${id}`;
      const headers = { 'content-type': 'application/vnd.things+json' };
      const ok = await send(url, { method: 'PUT', headers, body: JSON.stringify({ kind: 'thing', label: null, location: [1.5, 2], meta: { a: 'b' }, parent: { kind: 'thing', location: [0, 0] } }) });
      assert.equal(ok.status, 200, ok.text);
      const bad = await send(url, { method: 'PUT', headers, body: JSON.stringify({ kind: 'other', label: 5, location: [1, 2, 3], meta: { a: 1 }, parent: { kind: 'thing' } }) });
      assert.equal(bad.status, 400);
      const rules = bad.json.errors!.map((e) => `${e.pointer} ${e.rule}`).sort();
      assert.deepEqual(rules, ['/kind const', '/label type', '/location items', '/meta/a type', '/parent/location required']);
      const wrongId = await send(`${gw.url}/things/not-a-uuid`, { method: 'PUT', headers, body: '{}' });
      assert.equal(wrongId.status, 400);
      assert.deepEqual(wrongId.json.errors![0], { in: 'path', name: 'thingId', pointer: '', rule: 'format', message: 'must match format "uuid"' });
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('a policy that references a description (strict mode)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let read: string;
  let order: string;

  before(async () => {
    upstream = await storeUpstream();
    gw = await startGateway(storePolicy(upstream.url, {
      overrides: { createReview: { protections: { requestValidation: { unknownFields: 'allow' } } }, search: { mode: 'monitor' } },
    }));
    read = `Bearer ${await token('store.read')}`;
    order = `Bearer ${await token('store.read store.order')}`;
  });
  after(async () => { await gw.close(); await upstream.close(); });

  test('parameters in every style are decoded, coerced and forwarded unchanged', async () => {
    const query = 'limit=20&tag=new&tag=sale&ids=1,2,3&filter[minPrice]=5.5&filter[inStock]=true&sort=-price';
    const res = await send(`${gw.url}/api/v2/products?${query}`, { headers: { authorization: read, 'x-request-priority': '3' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(upstream.requests.at(-1)!.url, `/api/v2/products?${query}`);
  });

  test('failing parameters are listed by location, name and rule, without their values', async () => {
    const query = 'limit=0&tag=bogus&ids=1,x&filter[minPrice]=-1&filter[colour]=red&sort=price&sort=name';
    const before = upstream.requests.length;
    const res = await send(`${gw.url}/api/v2/products?${query}`, { headers: { authorization: read, 'x-request-priority': 'secret-header-value' } });
    assert.equal(res.status, 400);
    assert.equal(res.json.reason, 'request_invalid');
    assert.deepEqual(res.json.errors!.map((e) => `${e.in}:${e.name}${e.pointer} ${e.rule}`), [
      'query:limit minimum',
      'header:X-Request-Priority type',
      'query:tag/0 enum',
      'query:ids/1 type',
      'query:filter/minPrice minimum',
      'query:filter/colour unknownField',
      'query:sort repeated',
    ]);
    assert.equal(res.text.includes('secret-header-value'), false);
    assert.equal(res.text.includes('bogus'), false);
    assert.equal(upstream.requests.length, before);
    const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
    assert.equal(event?.protection, 'request-validation');
    assert.equal(event?.reason, 'request_invalid');
    assert.deepEqual(JSON.parse(event?.message as string), res.json.errors);
    assert.equal(JSON.stringify(event).includes('secret-header-value'), false);
  });

  test('undeclared paths get 404 and undeclared methods 405, never forwarded', async () => {
    const before = upstream.requests.length;
    const missing = await send(`${gw.url}/api/v2/admin/export`, { headers: { authorization: read } });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.reason, 'route_not_found');
    const outside = await send(`${gw.url}/products`, { headers: { authorization: read } });
    assert.equal(outside.status, 404);
    const method = await send(`${gw.url}/api/v2/orders`, { method: 'DELETE', headers: { authorization: read } });
    assert.equal(method.status, 405);
    assert.deepEqual(String(method.headers.allow).split(', ').sort(), ['GET', 'HEAD', 'POST']);
    assert.equal(upstream.requests.length, before);
  });

  test('a valid order passes; field errors carry JSON pointers and rules', async () => {
    const ok = await send(`${gw.url}/api/v2/orders`, { method: 'POST', headers: { authorization: order, 'content-type': 'application/json' }, body: JSON.stringify(validOrder()) });
    assert.equal(ok.status, 201, ok.text);

    const bad = {
      ...validOrder(),
      id: 'c0ffee00-0000-4000-8000-000000000000',
      items: [{ productId: 7, quantity: 0 }, { productId: 'x', quantity: 1, discount: 5 }],
      payment: { method: 'card', cardNumber: '4111', expiry: '13/29' },
      shippingAddress: { line1: '1 Main St', city: 'Seoul', postalCode: '04524', country: 'kr', floor: 3 },
      contactEmail: 'not-an-email',
    };
    const res = await send(`${gw.url}/api/v2/orders`, { method: 'POST', headers: { authorization: order, 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json.errors!.map((e) => `${e.pointer} ${e.rule}`).sort(), [
      '/contactEmail format',
      '/id readOnly',
      '/items/0/quantity minimum',
      '/items/1/discount unknownField',
      '/items/1/productId type',
      '/payment oneOf',
      '/shippingAddress/country pattern',
      '/shippingAddress/floor unknownField',
    ]);
    assert.ok(res.json.errors!.every((e) => e.in === 'body'));

    const missing = await send(`${gw.url}/api/v2/orders`, { method: 'POST', headers: { authorization: order, 'content-type': 'application/json' }, body: '{}' });
    assert.deepEqual(missing.json.errors!.map((e) => `${e.pointer} ${e.rule}`), ['/items required', '/payment required', '/shippingAddress required', '/contactEmail required']);
  });

  test('a body of an undeclared media type gets 415; a +json type declared by the operation is validated', async () => {
    const text = await send(`${gw.url}/api/v2/orders`, { method: 'POST', headers: { authorization: order, 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    assert.equal(text.json.reason, 'unsupported_media_type');
    assert.deepEqual(text.json.accepted, ['application/json']);
    const write = `Bearer ${await token('store.write')}`;
    const patch = (body: string, type = 'application/merge-patch+json') => send(`${gw.url}/api/v2/products/7`, { method: 'PATCH', headers: { authorization: write, 'content-type': type }, body });
    assert.equal((await patch('{"name":"Tea kettle"}')).status, 200);
    const empty = await patch('{}');
    assert.equal(empty.status, 400);
    assert.equal(empty.json.errors![0]!.rule, 'minProperties');
    assert.equal((await patch('{"name":"x"}', 'application/json')).status, 415);
    const bodyOnGet = await send(`${gw.url}/api/v2/products/7`, { headers: { authorization: read, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bodyOnGet.status, 415);
  });

  test('path parameters are typed; responses lose undocumented and removed fields', async () => {
    const wrong = await send(`${gw.url}/api/v2/products/abc`, { headers: { authorization: read } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.errors![0], { in: 'path', name: 'productId', pointer: '', rule: 'type', message: 'must be integer' });
    assert.equal((await send(`${gw.url}/api/v2/products/0`, { headers: { authorization: read } })).json.errors![0]!.rule, 'minimum');
    const ok = await send(`${gw.url}/api/v2/products/7`, { headers: { authorization: read } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { id: 7, sku: 'ABC-0007', name: 'Kettle', price: { amount: 39.9, currency: 'EUR' } });
    assert.equal((await send(`${gw.url}/api/v2/invoices/INV-000123.pdf`, { headers: { authorization: read } })).status, 200);
    const invoice = await send(`${gw.url}/api/v2/invoices/INV-12.pdf`, { headers: { authorization: read } });
    assert.equal(invoice.status, 400);
    assert.equal(invoice.json.errors![0]!.name, 'invoiceId');
  });

  test('a required cookie parameter', async () => {
    const missing = await send(`${gw.url}/api/v2/orders`, { headers: { authorization: read } });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json.errors, [{ in: 'cookie', name: 'session', pointer: '', rule: 'required', message: 'is required' }]);
    const ok = await send(`${gw.url}/api/v2/orders?status=paid&since=2026-11-01T00:00:00Z`, { headers: { authorization: read, cookie: 'theme=dark; session=0123456789abcdef0123' } });
    assert.equal(ok.status, 200, ok.text);
    const badDate = await send(`${gw.url}/api/v2/orders?since=yesterday`, { headers: { authorization: read, cookie: 'session=0123456789abcdef0123' } });
    assert.equal(badDate.json.errors![0]!.rule, 'format');
  });

  test('scopes come from the security requirements; public operations need no token', async () => {
    const product = { sku: 'ABC-0001', name: 'Mug', price: { amount: 9.5, currency: 'EUR' } };
    const create = (authorization?: string) => send(`${gw.url}/api/v2/products`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(product),
    });
    assert.equal((await create()).status, 401);
    const scopeless = await create(read);
    assert.equal(scopeless.status, 403);
    assert.equal(scopeless.json.reason, 'insufficient_scope');
    assert.equal((await create(`Bearer ${await token('store.write')}`)).status, 201);
    assert.equal((await send(`${gw.url}/api/v2/health`)).status, 200);
    assert.equal((await send(`${gw.url}/api/v2/categories/home-garden`)).status, 200);
    assert.equal((await send(`${gw.url}/api/v2/categories/Home_Garden`)).status, 400);
    // The API-key-only webhook cannot be expressed as jwt settings: the global jwt protection still applies.
    assert.equal((await send(`${gw.url}/api/v2/webhooks/payment`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
  });

  test('overrides change the route of an operation', async () => {
    const review = { rating: 5, text: 'great', mood: 'happy' };
    const url = `${gw.url}/api/v2/products/7/reviews`;
    const res = await send(url, { method: 'POST', headers: { authorization: `Bearer ${await token('store.review')}`, 'content-type': 'application/json' }, body: JSON.stringify(review) });
    assert.equal(res.status, 201, res.text);
    const readOnly = await send(url, { method: 'POST', headers: { authorization: `Bearer ${await token('store.review')}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...review, author: 'mallory' }) });
    assert.deepEqual(readOnly.json.errors!.map((e) => `${e.pointer} ${e.rule}`), ['/author readOnly']);
    // search is in monitor mode: a failing query is forwarded and recorded.
    const monitored = await send(`${gw.url}/api/v2/search?q=x`);
    assert.equal(monitored.status, 200);
    const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === monitored.headers['x-request-id']);
    assert.equal(event?.reason, 'request_invalid');
    assert.equal(event?.wouldBlock, true);
  });
});

describe('learning mode', () => {
  test('undeclared requests are forwarded and recorded as undocumented_endpoint; declared ones are still validated', async () => {
    const upstream = await storeUpstream();
    const gw = await startGateway(storePolicy(upstream.url, { mode: 'learning' }));
    try {
      const auth = { authorization: `Bearer ${await token('store.read')}` };
      const shadow = await send(`${gw.url}/api/v2/admin/export?format=csv`, { headers: auth });
      assert.equal(shadow.status, 200);
      assert.equal(upstream.requests.at(-1)!.url, '/api/v2/admin/export?format=csv');
      const method = await send(`${gw.url}/api/v2/categories`, { method: 'DELETE', headers: auth });
      assert.equal(method.status, 204);
      const declared = await send(`${gw.url}/api/v2/products?limit=0`, { headers: auth });
      assert.equal(declared.status, 400);
      const events = (await gw.logs()).filter((r) => r.type === 'security' && r.reason === 'undocumented_endpoint');
      assert.deepEqual(events.map((e) => [e.action, e.method, e.path, e.route]), [
        ['flag', 'GET', '/api/v2/admin/export', 'undocumented'],
        ['flag', 'DELETE', '/api/v2/categories', 'undocumented'],
      ]);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('policy errors', () => {
  const issues = (policy: Record<string, unknown>) => {
    try {
      validatePolicyObject({ admin: { enabled: false }, ...policy }, 'test policy');
    } catch (error) {
      if (error instanceof PolicyError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
      throw error;
    }
    return [];
  };

  test('are listed with their path', () => {
    const upstreams = { store: { url: 'http://127.0.0.1:9' } };
    assert.deepEqual(issues({ upstreams, openapi: [{ spec: STORE, upstream: 'nope' }] }), ['/openapi/0/upstream: no upstream named "nope" (known: store)']);
    assert.match(issues({ upstreams, openapi: [{ spec: '/nonexistent/api.yaml', upstream: 'store' }] })[0]!, /^\/openapi\/0\/spec: .*cannot read the API description \/nonexistent\/api\.yaml \(ENOENT\)/);
    const broken = issues({ upstreams, openapi: [{ spec: BROKEN, upstream: 'store' }] });
    assert.ok(broken.some((i) => i.startsWith('/openapi/0/spec: broken.yaml#/paths/~1a/get/responses/200/content/application~1json/schema: cannot resolve')), broken.join('\n'));
    assert.ok(broken.some((i) => i.includes('operationId "twice" is also used by')), broken.join('\n'));
    assert.deepEqual(issues({ upstreams, openapi: [{ spec: STORE, upstream: 'store', overrides: { nope: { mode: 'monitor' } } }] }),
      ['/openapi/0/overrides/nope: no operation with operationId "nope" in ' + STORE]);
    const bad = issues({ upstreams, openapi: [{ spec: STORE, upstream: 'store', mode: 'sometimes', overrides: { search: { limits: { maxBodyBytes: -1 } } } }] });
    assert.ok(bad.some((i) => i.startsWith('/openapi/0/mode: must be one of strict, learning')), bad.join('\n'));
    const override = issues({ upstreams, openapi: [{ spec: STORE, upstream: 'store', overrides: { search: { limits: { maxBodyBytes: -1 } } } }] });
    assert.equal(override.length, 1);
    assert.match(override[0]!, /^\/routes\/\d+\/limits\/maxBodyBytes: must be >= 0 \(route generated from GET \/search of .*store\.yaml\)$/);
  });

  test('in a policy file, relative to its directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
    try {
      copyFileSync(BROKEN, join(dir, 'api.yaml'));
      writeFileSync(join(dir, 'policy.yaml'), 'upstreams: { api: { url: "http://127.0.0.1:9" } }\nadmin: { enabled: false }\nopenapi:\n  - { spec: api.yaml, upstream: api }\n');
      await assert.rejects(loadPolicyFile(join(dir, 'policy.yaml')), (error: PolicyError) =>
        error.issues.some((i) => i.path === '/openapi/0/spec' && i.message.startsWith('api.yaml#/paths/~1a/get/responses/200/content/application~1json/schema: cannot resolve')));
      // Relative spec paths start at the policy file's directory.
      copyFileSync(STORE, join(dir, 'api.yaml'));
      copyFileSync(join(ROOT, 'test/fixtures/openapi/store/common.yaml'), join(dir, 'common.yaml'));
      const policy = await loadPolicyFile(join(dir, 'policy.yaml'));
      assert.equal(policy.routes.length, 19);
      await buildPipeline(policy, 'policy.yaml').close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a reload reads the description again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
  const upstream = await startUpstream();
  const spec = join(dir, 'api.yaml');
  const write = (path: string) => writeFileSync(spec, `openapi: 3.0.3\ninfo: { title: t, version: '1' }\npaths:\n  ${path}:\n    get:\n      responses: { '204': { description: ok } }\n`);
  write('/one');
  const policy = { upstreams: { up: { url: upstream.url } }, openapi: [{ spec, upstream: 'up' }] };
  const gw = await startGateway(policy);
  try {
    assert.equal((await send(`${gw.url}/one`)).status, 200);
    assert.equal((await send(`${gw.url}/two`)).status, 404);
    write('/two');
    assert.equal(await gw.gateway.reload(), true);
    assert.equal((await send(`${gw.url}/two`)).status, 200);
    assert.equal((await send(`${gw.url}/one`)).status, 404);
  } finally {
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('portcullis start --openapi SPEC --upstream URL', () => {
  let shop: http.Server;
  let shopUrl: string;
  before(async () => {
    shop = createShopApi();
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  });
  after(async () => { shop.closeAllConnections(); await new Promise((resolve) => shop.close(resolve)); });

  test('routes the demo description strictly in front of the demo API', async () => {
    const port = await freePort();
    const admin = await freePort();
    const cli = await spawnCli(['start', '--openapi', 'examples/shop-api/openapi.yaml', '--upstream', shopUrl, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], undefined, { timeoutMs: 60_000 });
    try {
      const gw = `http://127.0.0.1:${port}`;
      assert.equal((await send(`${gw}/admin`)).status, 404);
      assert.equal((await send(`${gw}/shops/alice-bakery`, { method: 'DELETE' })).status, 405);
      const order = { shopName: 'alice-bakery', items: [{ sku: 'BREAD-SOURDOUGH', quantity: 2 }] };
      const created = await send(`${gw}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });
      assert.equal(created.status, 201, created.text);
      const invalid = await send(`${gw}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...order, orderId: 'x', items: [] }) });
      assert.equal(invalid.status, 400);
      assert.deepEqual(invalid.json.errors!.map((e) => `${e.pointer} ${e.rule}`), ['/orderId readOnly', '/items minItems']);
      const shopPage = await send(`${gw}/shops/alice-bakery`);
      assert.equal(shopPage.status, 200);
      assert.equal(shopPage.json.ownerPhone, '***-****-5678');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });

  test('the docs/openapi.md example: the demo description with JWT and identifier cloaking', async () => {
    const upstreams = { shop: { url: shopUrl } };
    const gw = await startGateway({
      upstreams,
      openapi: [{ spec: DEMO_SPEC, upstream: 'shop' }],
      protections: {
        jwt: { required: false, issuer: 'shop-api-demo', keys: [{ secret: 'demo-only-shop-jwt-secret-do-not-use-in-production', algorithms: ['HS256'] }] },
        identifierCloaking: { bindTo: 'principal', keys: [{ id: 'demo1', secret: 'BEh/427P60i/dvN90/iQCnbUwg/kJva3JmXomDTwBz8=' }] },
      },
    });
    try {
      const login = await send(`${gw.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice","password":"alice-password"}' });
      assert.equal(login.status, 200, login.text);
      const auth = { authorization: `Bearer ${login.json.token as string}` };
      assert.equal((await send(`${gw.url}/shops`)).status, 401);
      const shops = await send(`${gw.url}/shops`, { headers: auth });
      const first = (shops.json.shops as { shopName: string }[])[0]!.shopName;
      assert.notEqual(first, 'alice-bakery');
      // The token is decoded before validation: the pattern of shopName applies to the real name.
      const revenue = await send(`${gw.url}/shops/${first}/revenue_data.json`, { headers: auth });
      assert.equal(revenue.status, 200, revenue.text);
      assert.equal(revenue.json.currency, 'KRW');
      assert.equal((await send(`${gw.url}/shops/alice-bakery/revenue_data.json`, { headers: auth })).status, 404);
      const extra = await send(`${gw.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice","password":"x","role":"admin"}' });
      assert.deepEqual(extra.json.errors, [{ in: 'body', pointer: '/role', rule: 'unknownField', message: 'is not a known field' }]);
    } finally {
      await gw.close();
    }
  });

  test('--openapi goes with --upstream, not --config', async () => {
    assert.equal(await startCommand({ config: 'examples/portcullis.yaml', openapi: 'examples/shop-api/openapi.yaml' }, ''), 2);
  });
});
