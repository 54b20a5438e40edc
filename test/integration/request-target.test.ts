/**
 * Request-target canonicalization end to end (reliability checklist C1, C2, C3, C5; AT-06, AT-07): the path the
 * routes and protections see is the path the upstream receives, and a `/admin` deny rule holds for every spelling of
 * `/admin`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { send, assertRefused, assertProblem, assertCanary, upstreamSeen } from '../helpers/http-conformance.ts';

let upstream: TestUpstream;
/** Catch-all route only: shows what is forwarded. */
let plain: TestGateway;
/** `/admin` (and the host admin.test) denied to 127.0.0.1 on a route, everything else allowed; `;` and `%2F` refused. */
let acl: TestGateway;
/** Same, with `pathSemicolons: allow` (the default) and case-insensitive paths. */
let aclSemicolons: TestGateway;

const aclPolicy = (upstreamUrl: string, extra: Record<string, unknown> = {}) => ({
  upstreams: { up: { url: upstreamUrl } },
  routes: [
    { name: 'admin', path: '/admin', upstream: 'up', protections: { ipList: { deny: ['127.0.0.1'] } } },
    { name: 'admin-host', host: 'admin.test', path: '/**', upstream: 'up', protections: { ipList: { deny: ['127.0.0.1'] } } },
    { name: 'all', path: '/**', upstream: 'up' },
  ],
  ...extra,
});

before(async () => {
  upstream = await startUpstream();
  plain = await startGateway({ upstreams: { up: { url: upstream.url } }, routes: [{ name: 'all', path: '/**', upstream: 'up' }] });
  acl = await startGateway(aclPolicy(upstream.url, { http: { pathSemicolons: 'reject', encodedSlashes: 'reject' } }));
  aclSemicolons = await startGateway(aclPolicy(upstream.url, { http: { pathSemicolons: 'allow', caseSensitivePaths: false } }));
});
after(async () => {
  await Promise.all([plain.close(), acl.close(), aclSemicolons.close()]);
  await upstream.close();
});

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n`;

/** Sends `target` and returns the status and the single target the upstream received (or undefined). */
async function forwardedTarget(gw: TestGateway, target: string): Promise<{ status: number; seen: string | undefined }> {
  upstream.requests.length = 0;
  const reply = await send(gw.port, get(target));
  const seen = await upstreamSeen(upstream, 0);
  assert.ok(seen.length <= 1, `at most one upstream request for ${target}`);
  return { status: reply.status, seen: seen[0]?.url };
}

const FORWARDED: [string, string][] = [
  ['/a/../admin', '/admin'],
  ['/a/%2e%2e/admin', '/admin'],
  ['/a/%2E%2E/admin', '/admin'],
  ['/a/.%2e/admin', '/admin'],
  ['/%61dmin', '/admin'],
  ['/%61%64%6d%69%6e', '/admin'],
  ['//admin', '/admin'],
  ['///admin', '/admin'],
  ['/./admin', '/admin'],
  ['/a/b/../../admin', '/admin'],
  ['/x/%2e/y', '/x/y'],
  ['/a%7e%2D%5f', '/a~-_'],
  ['/caf%c3%a9', '/caf%C3%A9'],
  ['/x%3cy', '/x%3Cy'],
  ['/admin/', '/admin/'],
  ['/admin?', '/admin'],
  ['/q?id=1&id=2', '/q?id=1&id=2'],
  ['/q?a=%2e%2E&b=%2F&c=%3b', '/q?a=%2e%2E&b=%2F&c=%3b'],
  ['/q?a=1;b=2&c[d]=3', '/q?a=1;b=2&c[d]=3'],
  ['/a/../q?x=/../y', '/q?x=/../y'],
  // matrix parameters: a Java application's session in the URL, before its cookie is set
  ['/shop/cart.do;jsessionid=8F3C2A1B9D0E', '/shop/cart.do;jsessionid=8F3C2A1B9D0E'],
  ['/;jsessionid=8F3C2A1B9D0E', '/;jsessionid=8F3C2A1B9D0E'],
  // an encoded slash that picks the same route either way (here the only route, /**) is kept, encoded
  ['/admin%2f', '/admin%2F'],
  ['/storage/v1/b/bucket/o/folder%2Ffile.txt?alt=media', '/storage/v1/b/bucket/o/folder%2Ffile.txt?alt=media'],
];

for (const [target, expected] of FORWARDED) {
  test(`forwards ${target} as ${expected}`, async () => {
    const { status, seen } = await forwardedTarget(plain, target);
    assert.equal(status, 200);
    assert.equal(seen, expected);
  });
}

const REFUSED: [string, string][] = [
  ['/a\\..\\admin', 'backslash_in_path'],
  ['/admin\\', 'backslash_in_path'],
  ['/a%2f..%2fadmin', 'encoded_path_separator'],
  ['/a/.%2Fb', 'encoded_path_separator'],
  ['/a%5c..%5cadmin', 'encoded_path_separator'],
  ['/admin%00', 'control_character_in_path'],
  ['/admin%0d%0aX-Injected:%201', 'control_character_in_path'],
  ['/admin%7f', 'control_character_in_path'],
  ['/a%c0%afadmin', 'invalid_utf8_in_path'],
  ['/%c0%ae%c0%ae/admin', 'invalid_utf8_in_path'],
  ['/admin%ff', 'invalid_utf8_in_path'],
  ['/%ed%a0%80', 'invalid_utf8_in_path'],
  ['/%zz', 'bad_percent_encoding'],
  ['/admin%u002f', 'bad_percent_encoding'],
  ['/admin%2', 'bad_percent_encoding'],
  ['/admin/..;/', 'semicolon_in_path'],
  ['/public/..;/admin', 'semicolon_in_path'],
  ['/../x', 'path_above_root'],
  ['/a/../../x', 'path_above_root'],
  ['/%2e%2e/x', 'path_above_root'],
  ['/..', 'path_above_root'],
  ['/x?a=%zz', 'bad_percent_encoding'],
  ['/x?a=%', 'bad_percent_encoding'],
  ['/x?a=%4', 'bad_percent_encoding'],
];

for (const [target, reason] of REFUSED) {
  test(`refuses ${target} with 400 ${reason}`, async () => {
    upstream.requests.length = 0;
    const reply = await send(plain.port, get(target));
    assertRefused(reply, 400, reason, target);
    await assertCanary(plain.port, upstream, target);
  });
}

// Every spelling whose canonical form is /admin gets the /admin route's decision.
const ADMIN_VARIANTS = ['/admin', '/admin/', '/admin?', '/admin?x=1', '/a/../admin', '/a/%2e%2e/admin', '/a/%2E%2e/admin',
  '/%61dmin', '/%61%64%6D%69%6E', '//admin', '///admin//', '/./admin', '/admin/.', '/x/y/../../admin/', '/admin/x/..',
  'http://a.test/admin', 'HTTP://A.test:80/x/../admin'];

test('a route-level deny on /admin blocks every variant whose canonical form is /admin, none reaches the upstream', async () => {
  for (const target of ADMIN_VARIANTS) {
    upstream.requests.length = 0;
    const reply = await send(acl.port, get(target));
    assert.equal(reply.responses.length, 1, target);
    assertProblem(reply.responses[0], 403, 'ip_denied', target);
    assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
  }
  // Control: the deny is route-scoped, other paths pass.
  const { status, seen } = await forwardedTarget(acl, '/public/x');
  assert.equal(status, 200);
  assert.equal(seen, '/public/x');
});

test('variants that cannot be canonicalized are refused with 400 on the ACL gateway too (never routed elsewhere)', async () => {
  for (const target of ['/admin%2f', '/a\\..\\admin', '/admin;x=1', '/admin%3bx=1', '/admin%00', '/a%c0%afadmin', '/../admin', 'http://evil.test/admin', 'http://x@a.test/admin']) {
    upstream.requests.length = 0;
    const reply = await send(acl.port, get(target));
    assert.equal(reply.status, 400, target);
    assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
  }
});

test('paths are case-sensitive by default: /ADMIN is a different path and is forwarded as is', async () => {
  const { status, seen } = await forwardedTarget(acl, '/ADMIN');
  assert.equal(status, 200);
  assert.equal(seen, '/ADMIN');
});

test('pathSemicolons allow: routes match the segment before ";", the path is forwarded with its parameters', async () => {
  for (const target of ['/admin;x=1', '/admin;jsessionid=ABC', '/%61dmin;x=1', '/a/../admin;x', '/ADMIN;x=1', '/Admin/']) {
    upstream.requests.length = 0;
    const reply = await send(aclSemicolons.port, get(target));
    assertProblem(reply.responses[0], 403, 'ip_denied', target);
    assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
  }
  const { status, seen } = await forwardedTarget(aclSemicolons, '/public;v=1/x;y=2?q=1');
  assert.equal(status, 200);
  assert.equal(seen, '/public;v=1/x;y=2?q=1');
});

test('pathSemicolons allow: ";" on a dot or empty segment is refused (Tomcat resolves /public/..;/admin to /admin)', async () => {
  for (const target of ['/public/..;/admin', '/public/%2e%2e;/admin', '/;x/admin', '/admin/.;x', '/.;/admin']) {
    upstream.requests.length = 0;
    const reply = await send(aclSemicolons.port, get(target));
    assertRefused(reply, 400, 'semicolon_in_path', target);
    assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
  }
});

test('encodedSlashes same-route (the default): %2F is kept when both readings pick the same route and parameters, else 400', async () => {
  const gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'storage', path: '/storage/**', upstream: 'up' },
      { name: 'raw', path: '/api/v4/projects/{id}/raw', methods: ['GET'], upstream: 'up' },
      { name: 'admin', path: '/admin/**', upstream: 'up', protections: { ipList: { deny: ['127.0.0.1'] } } },
      { name: 'all', path: '/**', upstream: 'up' },
    ],
  });
  try {
    // Google Cloud Storage's object names and RabbitMQ's default virtual host travel as %2F
    for (const target of ['/storage/v1/b/bucket/o/folder%2Ffile.txt', '/api/queues/%2F/orders', '/files/a%2Fb%2Fc.txt']) {
      const { status, seen } = await forwardedTarget(gw, target);
      assert.equal(status, 200, target);
      assert.equal(seen, target);
    }
    // read as a separator, these are /admin/users (another route) or a project id without its slash (another parameter)
    for (const target of ['/admin%2Fusers', '/%2Fadmin/users', '/%2F%2Fadmin/y', '/api/v4/projects/group%2Fapp/raw', '/public%2F..%2Fadmin']) {
      upstream.requests.length = 0;
      assertRefused(await send(gw.port, get(target)), 400, 'encoded_path_separator', target);
      assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
    }
    assertProblem((await send(gw.port, get('/admin/users'))).responses[0], 403, 'ip_denied', '/admin/users');
  } finally {
    await gw.close();
  }
});

test('encodedSlashes keep: %2F stays encoded inside its segment, routes match it as one parameter; with reject it is 400', async () => {
  const keep = await startGateway({
    upstreams: { up: { url: upstream.url } },
    http: { encodedSlashes: 'keep' },
    routes: [
      { name: 'raw', path: '/api/v4/projects/{id}/raw', methods: ['GET'], upstream: 'up' },
      { name: 'admin', path: '/admin', upstream: 'up', protections: { ipList: { deny: ['127.0.0.1'] } } },
    ],
  });
  try {
    const { status, seen } = await forwardedTarget(keep, '/api/v4/projects/group%2fapp/raw?ref=main');
    assert.equal(status, 200);
    assert.equal(seen, '/api/v4/projects/group%2Fapp/raw?ref=main');
    // One segment: no route has /api/v4/projects/group/app/raw, and `..%2F` next to it is refused, never resolved.
    assert.equal((await forwardedTarget(keep, '/api/v4/projects/group/app/raw')).status, 404);
    for (const target of ['/api/v4/projects/x%2F..%2F..%2Fadmin/raw', '/x/..%2Fadmin', '/a%5Cb']) {
      upstream.requests.length = 0;
      assertRefused(await send(keep.port, get(target)), 400, 'encoded_path_separator', target);
      assert.deepEqual(await upstreamSeen(upstream, 0), [], `${target} must not reach the upstream`);
    }
  } finally {
    await keep.close();
  }
  assertRefused(await send(acl.port, get('/api/v4/projects/group%2Fapp/raw')), 400, 'encoded_path_separator', 'reject');
});

test('a host-scoped deny holds for every spelling of the host (case, port, trailing dot of an FQDN)', async () => {
  for (const host of ['admin.test', 'ADMIN.Test', 'admin.test:80', 'admin.test.', 'admin.test.:8080']) {
    upstream.requests.length = 0;
    const reply = await send(acl.port, `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assertProblem(reply.responses[0], 403, 'ip_denied', host);
    assert.deepEqual(await upstreamSeen(upstream, 0), [], `Host ${host} must not reach the upstream`);
  }
  upstream.requests.length = 0;
  const reply = await send(acl.port, `GET /x HTTP/1.1\r\nHost: admin.test..\r\n\r\n`);
  assertRefused(reply, 400, 'invalid_host');
  const ok = await send(acl.port, `GET /x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`);
  assert.equal(ok.status, 200, 'other hosts pass');
});
