import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, parsePolicyText, validatePolicyObject } from './load-policy.ts';
import { PolicyError, type PolicyIssue } from './policy-error.ts';
import { METHODS } from './policy-schema.ts';

const minimal = () => ({ upstreams: { api: { url: 'http://127.0.0.1:3000' } }, routes: [{ path: '/**', upstream: 'api' }] as Record<string, unknown>[] });

/** The issues of the PolicyError thrown by `fn`. */
function issuesOf(fn: () => unknown): readonly PolicyIssue[] {
  try { fn(); } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return error.issues;
  }
  assert.fail('expected a PolicyError');
}

function errorOf(fn: () => unknown): PolicyError {
  try { fn(); } catch (error) { assert.ok(error instanceof PolicyError); return error; }
  assert.fail('expected a PolicyError');
}

function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'portcullis-load-policy-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('validatePolicyObject', () => {
  test('minimal policy: defaults filled, input untouched, result deep-frozen', () => {
    const input = minimal();
    const policy = validatePolicyObject(input, 'test', {});
    assert.equal(policy.mode, 'enforce');
    assert.equal(policy.limits.maxHeaderCount, 100);
    assert.equal(policy.admin.enabled, true);
    assert.equal(policy.upstreams.api!.connectTimeoutMs, 5000);
    assert.deepEqual(input, minimal(), 'the caller\'s object is not modified');
    assert.ok(isDeepFrozen(policy));
    assert.throws(() => { (policy as { mode: string }).mode = 'monitor'; }, TypeError);
    assert.throws(() => { (policy.routes as unknown[]).push({}); }, TypeError);
  });

  const nonObjects: unknown[] = [null, undefined, 42, 'text', [], [minimal()]];
  for (const input of nonObjects) {
    test(`top level ${JSON.stringify(input) ?? 'undefined'} is refused`, () => {
      assert.deepEqual(issuesOf(() => validatePolicyObject(input, 'test', {})), [{ path: '', message: 'must be a mapping (an object) at the top level' }]);
    });
  }

  const cases: { name: string; patch: (p: Record<string, any>) => void; issues: PolicyIssue[]; env?: NodeJS.ProcessEnv }[] = [
    { name: 'unknown key in a route', patch: (p) => { p.routes[0].foo = 1; }, issues: [{ path: '/routes/0', message: 'unknown key "foo"' }] },
    { name: 'missing upstream of a route', patch: (p) => { delete p.routes[0].upstream; }, issues: [{ path: '/routes/0/upstream', message: 'is required' }] },
    { name: 'route to an unknown upstream', patch: (p) => { p.routes[0].upstream = 'nope'; }, issues: [{ path: '/routes/0/upstream', message: 'no upstream named "nope" (known: api)' }] },
    { name: 'no upstreams at all', patch: (p) => { p.upstreams = {}; }, issues: [{ path: '/routes/0/upstream', message: 'no upstream named "api" (known: none)' }] },
    {
      name: 'duplicate route names, explicit or default',
      patch: (p) => { p.routes = [{ name: 'a', path: '/1', upstream: 'api' }, { name: 'a', path: '/2', upstream: 'api' }, { path: '/3', upstream: 'api' }, { name: 'route-2', path: '/4', upstream: 'api' }]; },
      issues: [{ path: '/routes/1/name', message: '"a" is also the name of /routes/0' }, { path: '/routes/3/name', message: '"route-2" is also the name of /routes/2' }],
    },
    { name: 'upstream url with a path', patch: (p) => { p.upstreams.api.url = 'http://127.0.0.1:3000/v1'; }, issues: [{ path: '/upstreams/api/url', message: 'must be an origin only (scheme, host, port), without path, query, fragment or credentials' }] },
    { name: 'upstream url with a query', patch: (p) => { p.upstreams.api.url = 'http://127.0.0.1:3000?x=1'; }, issues: [{ path: '/upstreams/api/url', message: 'must be an origin only (scheme, host, port), without path, query, fragment or credentials' }] },
    { name: 'upstream url with credentials', patch: (p) => { p.upstreams.api.url = 'https://u:p@example.com'; }, issues: [{ path: '/upstreams/api/url', message: 'must be an origin only (scheme, host, port), without path, query, fragment or credentials' }] },
    { name: 'upstream url with another scheme', patch: (p) => { p.upstreams.api.url = 'ftp://example.com'; }, issues: [{ path: '/upstreams/api/url', message: 'must start with http:// or https://' }] },
    { name: 'upstream url that is no URL', patch: (p) => { p.upstreams.api.url = 'example.com:80'; }, issues: [{ path: '/upstreams/api/url', message: 'must start with http:// or https://' }] },
    { name: 'upstream url garbage', patch: (p) => { p.upstreams.api.url = 'nope'; }, issues: [{ path: '/upstreams/api/url', message: '"nope" is not a URL' }] },
    { name: 'bad listener address', patch: (p) => { p.listeners = [{ address: '8080' }]; }, issues: [{ path: '/listeners/0/address', message: 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "8080"' }] },
    { name: 'listener port out of range', patch: (p) => { p.listeners = [{ address: ':70000' }]; }, issues: [{ path: '/listeners/0/address', message: 'port 70000 is out of range' }] },
    { name: 'listener listed twice', patch: (p) => { p.listeners = [{ address: '127.0.0.1:1' }, { address: '127.0.0.1:1' }]; }, issues: [{ path: '/listeners/1/address', message: 'listed twice' }] },
    { name: 'bad admin address', patch: (p) => { p.admin = { address: 'nope' }; }, issues: [{ path: '/admin/address', message: 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "nope"' }] },
    { name: 'non-loopback admin without token', patch: (p) => { p.admin = { address: '0.0.0.0:9901' }; }, issues: [{ path: '/admin/token', message: 'is required when the admin listener is bound to a non-loopback address (0.0.0.0)' }] },
    { name: 'all-interfaces IPv6 admin without token', patch: (p) => { p.admin = { address: '[::]:9901' }; }, issues: [{ path: '/admin/token', message: 'is required when the admin listener is bound to a non-loopback address (::)' }] },
    { name: 'bad trusted proxy', patch: (p) => { p.clientAddress = { trustedProxies: ['10.0.0.0/8', '10.0.0.0/99'] }; }, issues: [{ path: '/clientAddress/trustedProxies/1', message: 'invalid CIDR "10.0.0.0/99": prefix must be 0 to 32' }] },
    { name: 'unset env secret', patch: (p) => { p.admin = { token: { env: 'PORTCULLIS_TEST_TOKEN' } }; }, issues: [{ path: '/admin/token', message: 'environment variable PORTCULLIS_TEST_TOKEN is not set' }] },
    { name: 'empty env secret', patch: (p) => { p.admin = { token: { env: 'PORTCULLIS_TEST_TOKEN' } }; }, env: { PORTCULLIS_TEST_TOKEN: '' }, issues: [{ path: '/admin/token', message: 'environment variable PORTCULLIS_TEST_TOKEN is not set' }] },
  ];
  for (const { name, patch, issues, env } of cases) {
    test(name, () => {
      const input = minimal();
      patch(input);
      assert.deepEqual(issuesOf(() => validatePolicyObject(input, 'test', env ?? {})), issues);
    });
  }

  test('every reference error is listed, not just the first', () => {
    const input: Record<string, any> = minimal();
    input.upstreams.api.url = 'http://x/path';
    input.routes.push({ path: '/a', upstream: 'ghost' });
    input.listeners = [{ address: 'x' }];
    input.admin = { address: '10.1.1.1:9901' };
    input.clientAddress = { trustedProxies: ['bad'] };
    assert.deepEqual(issuesOf(() => validatePolicyObject(input, 'test', {})).map((i) => i.path), [
      '/upstreams/api/url', '/routes/1/upstream', '/listeners/0/address', '/admin/token', '/clientAddress/trustedProxies/0',
    ]);
  });

  test('the error message lists every issue with its source', () => {
    const input: Record<string, any> = minimal();
    input.foo = 1;
    input.routes[0].bar = 2;
    const error = errorOf(() => validatePolicyObject(input, 'policy.yaml', {}));
    assert.equal(error.code, 'PORTCULLIS_ERR_POLICY');
    assert.equal(error.source, 'policy.yaml');
    assert.equal(error.message, 'policy.yaml: 2 errors\n  /: unknown key "foo"\n  /routes/0: unknown key "bar"');
  });

  test('non-loopback admin is fine when disabled or with a token', () => {
    assert.equal(validatePolicyObject({ ...minimal(), admin: { enabled: false, address: '0.0.0.0:9901' } }, 't', {}).admin.token, undefined);
    assert.equal(validatePolicyObject({ ...minimal(), admin: { address: '0.0.0.0:9901', token: 'inline-token' } }, 't', {}).admin.token, 'inline-token');
    for (const address of ['127.0.0.1:9901', 'localhost:9901', '[::1]:9901']) {
      assert.doesNotThrow(() => validatePolicyObject({ ...minimal(), admin: { address } }, 't', {}), address);
    }
  });

  test('secret from an environment variable', () => {
    const policy = validatePolicyObject({ ...minimal(), admin: { address: '0.0.0.0:9901', token: { env: 'PORTCULLIS_TEST_TOKEN' } } }, 't', { PORTCULLIS_TEST_TOKEN: 's3cret-env-value' });
    assert.equal(policy.admin.token, 's3cret-env-value');
    assert.ok(Object.isFrozen(policy.admin));
  });

  test('a resolved secret never appears in error texts', () => {
    const secret = 's3cret-env-value-XYZ';
    const input: Record<string, any> = { ...minimal(), admin: { address: '0.0.0.0:9901', token: { env: 'PORTCULLIS_TEST_TOKEN' } } };
    input.routes = [{ path: '/', upstream: 'ghost' }];
    const error = errorOf(() => validatePolicyObject(input, 't', { PORTCULLIS_TEST_TOKEN: secret }));
    assert.ok(!error.message.includes(secret));
    assert.ok(!JSON.stringify(error.issues).includes(secret));
  });

  test('an inline secret of the wrong form is not echoed', () => {
    const secret = 'inline-secret-value-ABC';
    const error = errorOf(() => validatePolicyObject({ ...minimal(), admin: { token: { env: 'X', value: secret } } }, 't', {}));
    assert.deepEqual(error.issues.map((i) => i.path), ['/admin/token']);
    assert.ok(!error.message.includes(secret));
  });

  test('secret from a file (trailing newline removed)', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'file-secret-value\n');
    const policy = validatePolicyObject({ ...minimal(), admin: { token: { file } } }, 't', {});
    assert.equal(policy.admin.token, 'file-secret-value');
    writeFileSync(file, 'crlf-secret\r\n');
    assert.equal(validatePolicyObject({ ...minimal(), admin: { token: { file } } }, 't', {}).admin.token, 'crlf-secret');
  });

  test('secret file missing or empty', () => {
    const missing = join(dir, 'missing');
    assert.deepEqual(issuesOf(() => validatePolicyObject({ ...minimal(), admin: { token: { file: missing } } }, 't', {})),
      [{ path: '/admin/token', message: `cannot read secret file ${missing} (ENOENT)` }]);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    assert.deepEqual(issuesOf(() => validatePolicyObject({ ...minimal(), admin: { token: { file: empty } } }, 't', {})),
      [{ path: '/admin/token', message: `secret file ${empty} is empty` }]);
  });
});

describe('parsePolicyText', () => {
  test('YAML policy with defaults', () => {
    const policy = parsePolicyText([
      'upstreams:',
      '  api:',
      '    url: http://127.0.0.1:3000',
      'routes:',
      '  - path: /shops/{shopName}/revenue_data.json',
      '    upstream: api',
      '    methods: [GET]',
      '',
    ].join('\n'), 'policy.yaml', {});
    assert.equal(policy.mode, 'enforce');
    assert.equal(policy.limits.maxHeaderCount, 100);
    assert.deepEqual(policy.routes[0]!.methods, ['GET']);
    assert.ok(isDeepFrozen(policy));
  });

  test('JSON text is accepted too', () => {
    const policy = parsePolicyText(JSON.stringify(minimal()), 'policy.json', {});
    assert.equal(policy.routes[0]!.upstream, 'api');
  });

  test('empty text is not a mapping', () => {
    assert.deepEqual(issuesOf(() => parsePolicyText('', 'p', {})), [{ path: '', message: 'must be a mapping (an object) at the top level' }]);
    assert.deepEqual(issuesOf(() => parsePolicyText('- a\n- b\n', 'p', {})), [{ path: '', message: 'must be a mapping (an object) at the top level' }]);
  });

  test('schema errors carry pointers', () => {
    const text = 'upstreams:\n  api:\n    url: http://127.0.0.1:3000\nroutes:\n  - path: /\n    upstream: api\n    methods: [GET, YANK]\n    foo: 1\n';
    assert.deepEqual(issuesOf(() => parsePolicyText(text, 'p', {})), [
      { path: '/routes/0', message: 'unknown key "foo"' },
      { path: '/routes/0/methods/1', message: `must be one of ${METHODS.join(', ')}` },
    ]);
  });

  const DUPLICATE = 'upstreams:\n  api:\n    url: http://a:1\n  api:\n    url: http://b:1\nroutes:\n  - path: /\n    upstream: api\n';
  const UNCLOSED = 'upstreams:\n  api: [1\nroutes: 2\n';

  test('YAML syntax error with its line number', () => {
    const issues = issuesOf(() => parsePolicyText(UNCLOSED, 'p', {}));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, '');
    assert.match(issues[0]!.message, /^line 3, column 1: Flow sequence/);
  });

  test('duplicate YAML keys are refused, with their line number', () => {
    const issues = issuesOf(() => parsePolicyText(DUPLICATE, 'p', {}));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /^line 4, column 3: Map keys must be unique/);
  });

  test('the YAML error location is given once', () => {
    assert.equal(issuesOf(() => parsePolicyText(DUPLICATE, 'p', {}))[0]!.message, 'line 4, column 3: Map keys must be unique');
  });
});

describe('loadPolicyFile', () => {
  test('reads and validates a file', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'upstreams:\n  api:\n    url: http://127.0.0.1:3000\nroutes:\n  - path: /**\n    upstream: api\n');
    const policy = await loadPolicyFile(file, {});
    assert.equal(policy.routes[0]!.path, '/**');
  });

  test('unreadable file', async () => {
    const file = join(dir, 'nope.yaml');
    await assert.rejects(loadPolicyFile(file, {}), (error: unknown) => {
      assert.ok(error instanceof PolicyError);
      assert.equal(error.source, file);
      assert.deepEqual(error.issues, [{ path: '', message: 'cannot read the policy file (ENOENT)' }]);
      return true;
    });
  });
});
