import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePolicyShape } from './validate-policy.ts';
import type { PolicyIssue } from './policy-error.ts';
import { METHODS } from './policy-schema.ts';

const minimal = () => ({ upstreams: { api: { url: 'http://127.0.0.1:3000' } }, routes: [{ path: '/**', upstream: 'api' }] });

describe('validatePolicyShape', () => {
  test('a minimal policy is valid and gets its defaults filled in place', () => {
    const input: Record<string, any> = minimal();
    assert.deepEqual(validatePolicyShape(input), []);
    assert.equal(input.mode, 'enforce');
    assert.equal(input.workers, 1);
    assert.deepEqual(input.listeners, [{ address: '127.0.0.1:8080' }]);
    assert.deepEqual(input.admin, { enabled: true, address: '127.0.0.1:9901' });
    assert.equal(input.limits.maxHeaderCount, 100);
    assert.equal(input.limits.maxHeaderBytes, 16_384);
    assert.equal(input.limits.maxBodyBytes, 1024 * 1024);
    assert.equal(input.upstreams.api.connections, 128);
    assert.equal(input.upstreams.api.hostHeader, 'preserve');
    assert.deepEqual(input.clientAddress, { trustedProxies: [], header: 'x-forwarded-for' });
    assert.equal(input.http.caseSensitivePaths, true);
    assert.equal(input.logging.security.destination, 'stdout');
    assert.equal(input.routes[0].limits, undefined, 'route limits have no defaults: the global ones apply');
  });

  test('given values are kept', () => {
    const input: Record<string, any> = { ...minimal(), mode: 'monitor', limits: { maxHeaderCount: 7 } };
    assert.deepEqual(validatePolicyShape(input), []);
    assert.equal(input.mode, 'monitor');
    assert.equal(input.limits.maxHeaderCount, 7);
    assert.equal(input.limits.maxHeaderBytes, 16_384);
  });

  const cases: { name: string; patch: (p: Record<string, any>) => void; issues: PolicyIssue[] }[] = [
    { name: 'unknown top-level key', patch: (p) => { p.foo = 1; }, issues: [{ path: '', message: 'unknown key "foo"' }] },
    { name: 'unknown route key', patch: (p) => { p.routes[0].foo = 1; }, issues: [{ path: '/routes/0', message: 'unknown key "foo"' }] },
    { name: 'unknown key in nested limits', patch: (p) => { p.routes[0].limits = { bar: 1 }; }, issues: [{ path: '/routes/0/limits', message: 'unknown key "bar"' }] },
    { name: 'unknown key in an upstream', patch: (p) => { p.upstreams.api.tlsx = true; }, issues: [{ path: '/upstreams/api', message: 'unknown key "tlsx"' }] },
    { name: 'unknown key in a protection', patch: (p) => { p.protections = { ipList: { denny: [] } }; }, issues: [{ path: '/protections/ipList', message: 'unknown key "denny"' }] },
    { name: 'unknown protection on a route', patch: (p) => { p.routes[0].protections = { waf: {} }; }, issues: [{ path: '/routes/0/protections', message: 'unknown key "waf"' }] },
    { name: 'unknown method', patch: (p) => { p.routes[0].methods = ['GET', 'FETCH']; }, issues: [{ path: '/routes/0/methods/1', message: `must be one of ${METHODS.join(', ')}` }] },
    { name: 'unknown mode', patch: (p) => { p.mode = 'block'; }, issues: [{ path: '/mode', message: 'must be one of enforce, monitor' }] },
    { name: 'unknown route mode', patch: (p) => { p.routes[0].mode = 'off'; }, issues: [{ path: '/routes/0/mode', message: 'must be one of enforce, monitor' }] },
    { name: 'unknown hostHeader', patch: (p) => { p.upstreams.api.hostHeader = 'x'; }, issues: [{ path: '/upstreams/api/hostHeader', message: 'must be one of preserve, upstream' }] },
    { name: 'unmatchedStatus enum of numbers', patch: (p) => { p.protections = { methodRestriction: { unmatchedStatus: 403 } }; }, issues: [{ path: '/protections/methodRestriction/unmatchedStatus', message: 'must be one of 404, 405' }] },
    { name: 'missing route upstream', patch: (p) => { delete p.routes[0].upstream; }, issues: [{ path: '/routes/0/upstream', message: 'is required' }] },
    { name: 'missing upstreams', patch: (p) => { delete p.upstreams; }, issues: [{ path: '/upstreams', message: 'is required' }] },
    { name: 'missing upstream url', patch: (p) => { delete p.upstreams.api.url; }, issues: [{ path: '/upstreams/api/url', message: 'is required' }] },
    { name: 'no routes', patch: (p) => { p.routes = []; }, issues: [{ path: '/routes', message: 'must NOT have fewer than 1 items' }] },
    { name: 'integer bound', patch: (p) => { p.workers = 0; }, issues: [{ path: '/workers', message: 'must be >= 1' }] },
    { name: 'wrong type', patch: (p) => { p.limits = { maxHeaderCount: 'many' }; }, issues: [{ path: '/limits/maxHeaderCount', message: 'must be integer' }] },
    { name: 'version const', patch: (p) => { p.version = 2; }, issues: [{ path: '/version', message: 'must be 1' }] },
    { name: 'duplicate methods', patch: (p) => { p.routes[0].methods = ['GET', 'GET']; }, issues: [{ path: '/routes/0/methods', message: 'must NOT have duplicate items (items ## 0 and 1 are identical)' }] },
    { name: 'bad secret form', patch: (p) => { p.admin = { token: { env: 'X', extra: 1 } }; }, issues: [{ path: '/admin/token', message: 'must be a secret: a string, `{ env: NAME }` or `{ file: PATH }`.' }] },
  ];
  for (const { name, patch, issues } of cases) {
    test(name, () => {
      const input = minimal();
      patch(input);
      assert.deepEqual(validatePolicyShape(input), issues);
    });
  }

  test('every error is listed, not just the first', () => {
    const input: Record<string, any> = minimal();
    input.foo = 1;
    input.mode = 'x';
    input.routes.push({ path: '/a', foo: 2, methods: ['GET', 'FETCH'], limits: { bar: 1 } });
    const issues = validatePolicyShape(input);
    assert.deepEqual(
      [...issues].sort((a, b) => a.path.localeCompare(b.path) || a.message.localeCompare(b.message)),
      [
        { path: '', message: 'unknown key "foo"' },
        { path: '/mode', message: 'must be one of enforce, monitor' },
        { path: '/routes/1', message: 'unknown key "foo"' },
        { path: '/routes/1/limits', message: 'unknown key "bar"' },
        { path: '/routes/1/methods/1', message: `must be one of ${METHODS.join(', ')}` },
        { path: '/routes/1/upstream', message: 'is required' },
      ],
    );
  });

  test('upstream names outside the allowed pattern are refused', () => {
    const input: Record<string, any> = { upstreams: { 'a b': { url: 'http://x:1', bogus: 1 } }, routes: [{ path: '/', upstream: 'a b' }] };
    assert.deepEqual(validatePolicyShape(input), [{ path: '/upstreams', message: 'unknown key "a b"' }]);
  });
});
