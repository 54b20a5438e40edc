import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, compileHostMatcher, type CompiledRoute } from './router.ts';
import { compilePathTemplate } from './path-template.ts';
import type { PhaseSteps } from './run-phase.ts';
import type { UpstreamPool } from '../proxy/upstream-pool.ts';
import type { EffectiveRouteLimits } from '../config/policy-types.ts';

const seg = (path: string) => path.slice(1).split('/');

let nextIndex = 0;
function route(name: string, path: string, options: { hosts?: string[]; methods?: string[]; index?: number } = {}): CompiledRoute {
  const template = compilePathTemplate(path, true);
  if ('error' in template) throw new Error(template.error);
  return {
    name,
    index: options.index ?? nextIndex++,
    hosts: compileHostMatcher(options.hosts),
    template,
    methods: new Set(options.methods ?? ['GET', 'HEAD']),
    upstream: {} as UpstreamPool,
    limits: {} as EffectiveRouteLimits,
    mode: 'enforce',
    steps: {} as PhaseSteps,
  };
}

describe('compileHostMatcher', () => {
  const cases: { hosts: string[] | undefined; rank: number; yes: string[]; no: string[] }[] = [
    { hosts: undefined, rank: 0, yes: ['example.com', 'anything', ''], no: [] },
    { hosts: [], rank: 0, yes: ['example.com'], no: [] },
    { hosts: ['api.example.com'], rank: 2, yes: ['api.example.com'], no: ['example.com', 'x.api.example.com', 'api.example.co'] },
    { hosts: ['API.Example.com'], rank: 2, yes: ['api.example.com'], no: ['www.example.com'] },
    { hosts: ['*.example.com'], rank: 1, yes: ['a.example.com', 'a.b.example.com'], no: ['example.com', '.example.com', 'evilexample.com', 'example.com.evil'] },
    { hosts: ['a.test', '*.example.com'], rank: 2, yes: ['a.test', 'x.example.com'], no: ['b.test'] },
  ];
  for (const { hosts, rank, yes, no } of cases) {
    test(JSON.stringify(hosts), () => {
      const matcher = compileHostMatcher(hosts);
      assert.equal(matcher.rank, rank);
      for (const host of yes) assert.equal(matcher.matches(host), true, host);
      for (const host of no) assert.equal(matcher.matches(host), false, host);
    });
  }
});

describe('Router.match', () => {
  const router = new Router([
    route('catch-all', '/**', { methods: ['GET', 'HEAD', 'POST'] }),
    route('shops-rest', '/shops/**'),
    route('shops', '/shops'),
    route('shop', '/shops/{shopName}', { methods: ['GET', 'HEAD', 'DELETE'] }),
    route('shop-acme', '/shops/acme'),
    route('revenue', '/shops/{shopName}/revenue_data.json'),
    route('user-json', '/users/{id}.json'),
    route('user', '/users/{id}', { methods: ['PUT'] }),
    route('api-exact', '/v1/**', { hosts: ['api.example.com'] }),
    route('api-wild', '/v1/**', { hosts: ['*.example.com'], methods: ['GET', 'POST'] }),
    route('admin-only', '/admin', { hosts: ['admin.example.com'], methods: ['POST'] }),
  ]);

  const cases: { host?: string; path: string; method?: string; route: string | null; params?: Record<string, string>; allowed?: string[] }[] = [
    { path: '/shops', route: 'shops', params: {} },
    { path: '/shops/', route: 'shops', params: {} },
    { path: '/shops/acme', route: 'shop-acme', params: {} },
    { path: '/shops/other', route: 'shop', params: { shopName: 'other' } },
    { path: '/shops/other/revenue_data.json', route: 'revenue', params: { shopName: 'other' } },
    { path: '/shops/a/b/c', route: 'shops-rest', params: { '**': 'a/b/c' } },
    { path: '/x/y', route: 'catch-all', params: { '**': 'x/y' } },
    { path: '/users/7.json', route: 'user-json', params: { id: '7' } },
    { path: '/users/7', method: 'PUT', route: 'user', params: { id: '7' } },
    // method selection: the most specific route that accepts the method
    { path: '/shops/acme', method: 'DELETE', route: 'shop', params: { shopName: 'acme' } },
    { path: '/shops/acme', method: 'POST', route: 'catch-all', params: { '**': 'shops/acme' } },
    { path: '/users/7', method: 'GET', route: 'catch-all', params: { '**': 'users/7' } },
    // hosts: exact beats wildcard beats any
    { host: 'api.example.com', path: '/v1/things', route: 'api-exact', params: { '**': 'things' } },
    { host: 'api.example.com', path: '/v1/things', method: 'POST', route: 'api-wild', params: { '**': 'things' } },
    { host: 'www.example.com', path: '/v1/things', route: 'api-wild', params: { '**': 'things' } },
    { host: 'example.com', path: '/v1/things', route: 'catch-all', params: { '**': 'v1/things' } },
    { host: 'admin.example.com', path: '/admin', method: 'POST', route: 'admin-only', params: {} },
    { host: 'other.test', path: '/admin', method: 'POST', route: 'catch-all', params: { '**': 'admin' } },
  ];
  for (const c of cases) {
    const host = c.host ?? 'example.org';
    const method = c.method ?? 'GET';
    test(`${method} ${host}${c.path} → ${c.route}`, () => {
      const match = router.match(host, seg(c.path), method);
      assert.equal(match?.route.name ?? null, c.route);
      assert.deepEqual(match?.params, c.params);
      assert.deepEqual(match?.allowedMethods, []);
    });
  }

  test('no route for the method: most specific path route, allowedMethods from every matching route', () => {
    const match = router.match('example.org', seg('/shops/acme'), 'PATCH');
    assert.equal(match?.route.name, 'shop-acme');
    assert.deepEqual(match?.params, {});
    assert.deepEqual([...match!.allowedMethods].sort(), ['DELETE', 'GET', 'HEAD', 'POST']);
  });

  test('allowedMethods for a single route', () => {
    const single = new Router([route('only', '/only', { methods: ['POST', 'PUT'] })]);
    const match = single.match('h', seg('/only'), 'GET');
    assert.equal(match?.route.name, 'only');
    assert.deepEqual([...match!.allowedMethods].sort(), ['POST', 'PUT']);
  });

  test('no route for the path or host', () => {
    const narrow = new Router([route('a', '/a', { hosts: ['a.test'] }), route('b', '/b/{x}')]);
    assert.equal(narrow.match('b.test', seg('/a'), 'GET'), null);
    assert.equal(narrow.match('a.test', seg('/c'), 'GET'), null);
    assert.equal(narrow.match('a.test', seg('/b'), 'GET'), null);
    assert.equal(new Router([]).match('x', seg('/'), 'GET'), null);
  });

  test('equal specificity: declaration order decides', () => {
    const r = new Router([route('second', '/x/{a}', { index: 1 }), route('first', '/x/{b}', { index: 0 })]);
    assert.equal(r.match('h', seg('/x/1'), 'GET')?.route.name, 'first');
  });

  test('host rank is compared before path specificity', () => {
    const r = new Router([route('any-literal', '/a/b'), route('host-wild', '/a/**', { hosts: ['*.test'] })]);
    assert.equal(r.match('x.test', seg('/a/b'), 'GET')?.route.name, 'host-wild');
    assert.equal(r.match('x.other', seg('/a/b'), 'GET')?.route.name, 'any-literal');
  });
});
