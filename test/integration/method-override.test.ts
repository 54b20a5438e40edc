import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

// A `_method` field in a POSTed body is the request's method to Rails (forms), Laravel (forms and JSON) and Express's
// method-override: it is held to the route's methods like the method-override headers, in every body read whole for
// inspection (attack detection reads them by default). A route whose bodies stream is not read for it.

let upstream: TestUpstream;
const gateways: Record<string, TestGateway> = {};

const routes = [
  { name: 'posts', path: '/posts/{id}', methods: ['GET', 'POST'], upstream: 'app' },
  { name: 'editable', path: '/drafts/{id}', methods: ['GET', 'POST', 'PUT'], upstream: 'app' },
];

before(async () => {
  upstream = await startUpstream();
  gateways.detection = await startGateway({ upstreams: { app: { url: upstream.url } }, routes });
  gateways.alone = await startGateway({ upstreams: { app: { url: upstream.url } }, routes, protections: { attackDetection: { enabled: false } } });
});
after(async () => {
  for (const gw of Object.values(gateways)) await gw.close();
  await upstream.close();
});

async function post(gw: TestGateway, path: string, contentType: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') {
  const before = upstream.requests.length;
  const res = await request(`${gw.url}${path}`, { method: method as 'POST', headers: { 'content-type': contentType, ...headers }, body });
  const text = await res.body.text();
  const forwarded = upstream.requests.slice(before);
  return { status: res.statusCode, headers: res.headers, reason: res.statusCode >= 400 ? JSON.parse(text).reason as string : undefined, forwarded };
}

const multipart = (fields: Record<string, string>) => {
  const boundary = 'XyZ42';
  let body = '';
  for (const [name, value] of Object.entries(fields)) body += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return { type: `multipart/form-data; boundary=${boundary}`, body: `${body}--${boundary}--\r\n` };
};

for (const setup of ['detection'] as const) {
  describe('with attack detection on (the default)', () => {
    test('a _method field naming a method the route does not declare is refused like the method itself, before the upstream', async () => {
      const gw = gateways[setup]!;
      const form = await post(gw, '/posts/1', 'application/x-www-form-urlencoded', 'title=Hello&_method=DELETE');
      assert.equal(form.status, 405);
      assert.equal(form.reason, 'method_not_allowed');
      assert.equal(form.headers.allow, 'GET, POST, HEAD');
      assert.equal(form.forwarded.length, 0);
      const { type, body } = multipart({ title: 'Hello', _method: 'delete' });
      const parts = await post(gw, '/posts/1', type, body);
      assert.equal(parts.status, 405);
      assert.equal(parts.forwarded.length, 0);
      const json = await post(gw, '/posts/1', 'application/json', '{"title":"Hello","_method":"PATCH"}');
      assert.equal(json.status, 405);
      assert.equal(json.forwarded.length, 0);
      // names written with escapes are what the parsers (and the backend) read
      assert.equal((await post(gw, '/posts/1', 'application/x-www-form-urlencoded', '%5Fm%65thod=DELETE')).status, 405);
      assert.equal((await post(gw, '/posts/1', 'application/json', '{"\\u005fmethod":"DELETE"}')).status, 405);
    });

    test('a declared method, a value that is no method, or no override at all passes with the body as sent', async () => {
      const gw = gateways[setup]!;
      const sent = 'title=Hello+world&_method=put&tags=a%2Cb';
      const declared = await post(gw, '/drafts/1', 'application/x-www-form-urlencoded', sent);
      assert.equal(declared.status, 200);
      assert.equal(declared.forwarded.length, 1);
      assert.equal(declared.forwarded[0]!.bodySha256, createHash('sha256').update(sent).digest('hex'));
      assert.equal((await post(gw, '/posts/1', 'application/x-www-form-urlencoded', '_method=tomorrow')).status, 200);
      assert.equal((await post(gw, '/posts/1', 'application/json', '{"item":{"_method":"DELETE"}}')).status, 200, 'only the top-level member');
      assert.equal((await post(gw, '/posts/1', 'text/plain', '_method=DELETE')).status, 200, 'no framework reads a text body');
      // frameworks read the field of a POST only
      assert.equal((await post(gw, '/drafts/1', 'application/x-www-form-urlencoded', '_method=DELETE', {}, 'PUT')).status, 200);
    });

    test('a large JSON document with escapes and no override passes whole (the override is read without an input budget)', async () => {
      const gw = gateways[setup]!;
      // (the text holds `\u00e9` escapes: JSON.stringify writes the backslash doubled, undone here)
      const sent = JSON.stringify({ items: Array.from({ length: 3000 }, (_, i) => `caf\\u00e9 ${i}`) }).replaceAll('\\\\u', '\\u');
      assert.ok(sent.includes('caf\\u00e9 1"'));
      const res = await post(gw, '/posts/1', 'application/json', sent);
      assert.equal(res.status, 200);
      assert.equal(res.forwarded[0]!.bodySha256, createHash('sha256').update(sent).digest('hex'));
    });

    test('overrides that disagree are refused; a body that cannot be read for its _method is not forwarded', async () => {
      const gw = gateways[setup]!;
      const conflict = await post(gw, '/drafts/1', 'application/x-www-form-urlencoded', '_method=PUT', { 'x-http-method-override': 'GET' });
      assert.equal(conflict.status, 400);
      assert.equal(conflict.reason, 'method_override_conflict');
      const twice = await post(gw, '/drafts/1', 'application/x-www-form-urlencoded', '_method=PUT&_method=GET');
      assert.equal(twice.status, 400);
      const malformed = await post(gw, '/posts/1', 'application/x-www-form-urlencoded', '_method=DELETE&x=%zz');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.forwarded.length, 0);
    });
  });
}

test('a route whose bodies stream (attack detection off) is not read for _method: the body is forwarded as sent', async () => {
  const sent = '_method=DELETE&title=x';
  const res = await post(gateways.alone!, '/posts/1', 'application/x-www-form-urlencoded', sent);
  assert.equal(res.status, 200);
  assert.equal(res.forwarded[0]!.bodySha256, createHash('sha256').update(sent).digest('hex'));
  // the override headers are still held to the route's methods there
  assert.equal((await post(gateways.alone!, '/posts/1', 'application/x-www-form-urlencoded', 'title=x', { 'x-http-method-override': 'DELETE' })).status, 405);
});

test('a JSON body that is no JSON holds no _method (Laravel reads none either); of duplicated members the last counts', async () => {
  const gw = gateways.detection!;
  const up = { upstreams: { app: { url: upstream.url } } };
  // attack detection (which refuses malformed JSON itself) off, request validation reading every body
  const validated = await startGateway({ ...up, routes: [{ ...routes[0]!, protections: { attackDetection: { enabled: false }, requestValidation: { body: { content: { '*/*': {} } } } } }] });
  try {
    // json_decode keeps the last of duplicated members: DELETE
    const twice = await post(validated, '/posts/1', 'application/json', '{"_method":"GET","_method":"DELETE"}');
    assert.equal(twice.status, 405);
    assert.equal(twice.reason, 'method_not_allowed');
    assert.equal(twice.forwarded.length, 0);
    const broken = await post(validated, '/posts/1', 'application/json', '{"_method":"DELETE",}');
    assert.equal(broken.status, 400);
    assert.equal(broken.reason, 'json_invalid', 'refused by request validation, which reports it');
    assert.equal(broken.forwarded.length, 0);
  } finally {
    await validated.close();
  }
  assert.equal((await post(gw, '/posts/1', 'application/json', '{"_method":"DELETE",}')).forwarded.length, 0);
});

test('methodOverride: reject refuses a _method field; allow leaves the body alone', async () => {
  const up = { upstreams: { app: { url: upstream.url } } };
  const reject = await startGateway({ ...up, routes: [{ ...routes[1]!, protections: { methodRestriction: { methodOverride: 'reject' } } }] });
  const allow = await startGateway({ ...up, routes: [{ ...routes[0]!, protections: { methodRestriction: { methodOverride: 'allow' } } }] });
  try {
    const refused = await post(reject, '/drafts/1', 'application/x-www-form-urlencoded', '_method=PUT');
    assert.equal(refused.status, 400);
    assert.equal(refused.reason, 'method_override_refused');
    assert.equal((await post(allow, '/posts/1', 'application/x-www-form-urlencoded', '_method=DELETE')).status, 200);
  } finally {
    await reject.close();
    await allow.close();
  }
});

describe('path-override headers (X-Original-URL, X-Rewrite-URL)', () => {
  test('one that names another path than the request line is refused before the upstream; the same path passes', async () => {
    const gw = gateways.detection!;
    for (const header of ['x-original-url', 'X-Rewrite-URL']) {
      const res = await request(`${gw.url}/posts/1`, { headers: { [header]: '/admin/users' } });
      assert.equal(res.statusCode, 400, header);
      assert.equal((JSON.parse(await res.body.text()) as { reason: string }).reason, 'path_override_conflict');
    }
    const before = upstream.requests.length;
    const again = await request(`${gw.url}/posts/1`, { headers: { 'x-original-url': 'https://example.com/posts/2?x=1' } });
    await again.body.text();
    assert.equal(again.statusCode, 400, 'another identifier is another path');
    assert.equal(upstream.requests.length, before);
    const same = await request(`${gw.url}/posts/1?page=2`, { headers: { 'x-original-url': '/posts/1?page=3' } });
    await same.body.text();
    assert.equal(same.statusCode, 200);
  });

  test('reject refuses any; a trusted proxy may name another path; allow ignores them', async () => {
    const up = { upstreams: { app: { url: upstream.url } } };
    const reject = await startGateway({ ...up, routes: [{ ...routes[0]!, protections: { methodRestriction: { pathOverride: 'reject' } } }] });
    const trusted = await startGateway({ ...up, routes: [routes[0]!], clientAddress: { trustedProxies: ['127.0.0.1/32'] } });
    const allow = await startGateway({ ...up, routes: [{ ...routes[0]!, protections: { methodRestriction: { pathOverride: 'allow' } } }] });
    try {
      const status = async (gw: TestGateway, value: string) => {
        const res = await request(`${gw.url}/posts/1`, { headers: { 'x-original-url': value } });
        const text = await res.body.text();
        return res.statusCode === 200 ? 'pass' : (JSON.parse(text) as { reason: string }).reason;
      };
      assert.equal(await status(reject, '/posts/1'), 'path_override_refused');
      assert.equal(await status(trusted, '/legacy/posts/1'), 'pass');
      assert.equal(await status(allow, '/admin'), 'pass');
    } finally {
      await reject.close();
      await trusted.close();
      await allow.close();
    }
  });
});
