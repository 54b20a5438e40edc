import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { methodRestriction } from './method-restriction.ts';
import type { MethodRestrictionConfig } from './config.ts';
import type { ConfigIssue, CreateContext } from '../../pipeline/protection.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { CompiledRoute } from '../../pipeline/router.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Verdict } from '../../pipeline/verdict.ts';
import { createLocalStores } from '../../store/registry.ts';

function decide(config: MethodRestrictionConfig, exchange: Partial<Exchange>): Verdict {
  const issues: ConfigIssue[] = [];
  const context: CreateContext = { policy: {} as Policy, stores: createLocalStores(), scope: 'global', issue: (path, message) => issues.push({ path, message }) };
  const instance = methodRestriction.create(config, context);
  assert.deepEqual(issues, []);
  const full = { req: { headers: {} }, rawQuery: '', query: [], ...exchange };
  const verdict = instance.onRequestHead!(full as unknown as Exchange);
  assert.ok(!(verdict instanceof Promise));
  return verdict;
}

const routeWith = (...methods: string[]) => ({ methods: new Set(methods) }) as unknown as CompiledRoute;

describe('method-restriction', () => {
  test('definition', () => {
    assert.equal(methodRestriction.name, 'method-restriction');
    assert.equal(methodRestriction.key, 'methodRestriction');
    assert.equal(methodRestriction.routeConfig, 'merge');
  });

  const cases: { name: string; config: MethodRestrictionConfig; exchange: Partial<Exchange>; expected: Verdict }[] = [
    {
      name: 'unmatched route: 404 by default',
      config: {},
      exchange: { route: null, path: '/nowhere', method: 'GET', allowedMethods: [] },
      expected: { action: 'block', status: 404, reason: 'route_not_found', headers: undefined, detail: { location: 'path', excerpt: '/nowhere' } },
    },
    {
      name: 'unmatched route: 405 with an empty Allow when configured',
      config: { unmatchedStatus: 405 },
      exchange: { route: null, path: '/nowhere', method: 'POST', allowedMethods: [] },
      expected: { action: 'block', status: 405, reason: 'route_not_found', headers: { allow: '' }, detail: { location: 'path', excerpt: '/nowhere' } },
    },
    {
      name: 'unmatched route: explicit 404',
      config: { unmatchedStatus: 404 },
      exchange: { route: null, path: '/x', method: 'GET', allowedMethods: [] },
      expected: { action: 'block', status: 404, reason: 'route_not_found', headers: undefined, detail: { location: 'path', excerpt: '/x' } },
    },
    {
      name: 'method of the route passes',
      config: {},
      exchange: { route: routeWith('GET', 'HEAD'), path: '/a', method: 'HEAD', allowedMethods: [] },
      expected: { action: 'pass' },
    },
    {
      name: 'method not in the route: 405 with Allow listing allowedMethods',
      config: {},
      exchange: { route: routeWith('GET', 'HEAD'), path: '/a', method: 'DELETE', allowedMethods: ['GET', 'HEAD', 'POST'] },
      expected: { action: 'block', status: 405, reason: 'method_not_allowed', headers: { allow: 'GET, HEAD, POST' }, detail: { location: 'method', excerpt: 'DELETE' } },
    },
    {
      name: 'TRACE refused',
      config: { unmatchedStatus: 405 },
      exchange: { route: routeWith('GET'), path: '/a', method: 'TRACE', allowedMethods: ['GET'] },
      expected: { action: 'block', status: 405, reason: 'method_not_allowed', headers: { allow: 'GET' }, detail: { location: 'method', excerpt: 'TRACE' } },
    },
  ];
  for (const { name, config, exchange, expected } of cases) {
    test(name, () => assert.deepEqual(decide(config, exchange), expected));
  }

  describe('method-override headers and _method', () => {
    const readOnly = { route: routeWith('GET', 'HEAD', 'POST'), path: '/a', method: 'POST', allowedMethods: [] };
    const withHeaders = (headers: Record<string, string | string[]>) => ({ ...readOnly, req: { headers } }) as unknown as Partial<Exchange>;
    test('an overriding method the route does not declare is refused like the method itself', () => {
      assert.deepEqual(decide({}, withHeaders({ 'x-http-method-override': 'delete' })), {
        action: 'block', status: 405, reason: 'method_not_allowed', headers: { allow: 'GET, HEAD, POST' },
        detail: { location: 'header:x-http-method-override', excerpt: 'DELETE' },
      });
      for (const name of ['x-http-method', 'x-method-override']) assert.equal(decide({}, withHeaders({ [name]: 'PUT' })).action, 'block', name);
      const viaQuery = { ...readOnly, rawQuery: '_method=DELETE', query: [{ name: '_method', value: 'DELETE', rawName: '_method', rawValue: 'DELETE' }] };
      assert.equal(decide({}, viaQuery as Partial<Exchange>).action, 'block');
    });
    test('an overriding method the route declares passes; none at all, or a value that is no method, passes', () => {
      assert.deepEqual(decide({}, withHeaders({ 'x-http-method-override': ' get ' })), { action: 'pass' });
      assert.deepEqual(decide({}, withHeaders({})), { action: 'pass' });
      for (const value of ['', 'AB', 'DELETE1', 'X-DELETE', 'UNSUBSCRIBEX']) {
        assert.deepEqual(decide({}, withHeaders({ 'x-http-method-override': value })), { action: 'pass' }, value);
      }
    });
    test('overrides that disagree are refused: which one the backend reads is not known', () => {
      const verdict = decide({}, withHeaders({ 'x-http-method-override': 'GET', 'x-http-method': 'DELETE' }));
      assert.equal(verdict.action, 'block');
      assert.equal((verdict as { reason: string }).reason, 'method_override_conflict');
    });
    test('reject refuses any override; allow ignores them', () => {
      const verdict = decide({ methodOverride: 'reject' }, withHeaders({ 'x-http-method-override': 'GET' }));
      assert.equal((verdict as { reason: string }).reason, 'method_override_refused');
      assert.deepEqual(decide({ methodOverride: 'allow' }, withHeaders({ 'x-http-method-override': 'DELETE' })), { action: 'pass' });
    });
  });
});
