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
  const verdict = instance.onRequestHead!(exchange as Exchange);
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
});
