import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildPipeline, type CompiledPipeline } from './build-pipeline.ts';
import { validatePolicyObject } from '../config/load-policy.ts';
import { PolicyError, type PolicyIssue } from '../config/policy-error.ts';
import { Exchange } from './exchange.ts';
import type { Step } from './run-phase.ts';
import type { Verdict } from './verdict.ts';

type Input = Record<string, any>;

function policyOf(extra: Input = {}, routes: Input[] = [{ path: '/**', upstream: 'api' }]) {
  return validatePolicyObject({ upstreams: { api: { url: 'http://127.0.0.1:9' } }, routes, ...extra }, 'test', {});
}

/** Builds, runs `fn`, and always closes the pipeline. */
async function withPipeline(policy: ReturnType<typeof policyOf>, fn: (p: CompiledPipeline) => void | Promise<void>): Promise<void> {
  const pipeline = buildPipeline(policy, 'test');
  try { await fn(pipeline); } finally { await pipeline.close(); }
}

function issuesOf(policy: ReturnType<typeof policyOf>): readonly PolicyIssue[] {
  try { buildPipeline(policy, 'test'); } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return error.issues;
  }
  assert.fail('expected a PolicyError');
}

const seg = (path: string) => path.slice(1).split('/');

function stepsFor(pipeline: CompiledPipeline, path: string, method = 'GET', host = 'example.com'): readonly Step[] {
  const match = pipeline.router.match(host, seg(path), method);
  assert.ok(match, `no route for ${path}`);
  return match.route.steps.requestHead;
}

function fakeExchange(clientIp: string, extra: Partial<Exchange> = {}): Exchange {
  const req = { method: 'GET', headers: {} } as unknown as IncomingMessage;
  const ex = new Exchange(req, {} as ServerResponse, { peerAddress: clientIp, peerPort: 1, listener: 't', protocol: 'http' });
  return Object.assign(ex, extra);
}

function verdictOf(step: Step, exchange: Exchange): Verdict {
  const verdict = step.instance.onRequestHead!(exchange);
  assert.ok(!(verdict instanceof Promise));
  return verdict;
}

describe('buildPipeline: configuration issues', () => {
  test('protection issues carry full pointers, global and per route', () => {
    const policy = policyOf({ protections: { ipList: { deny: ['bad', '1.2.3.4', '1.2.3.4/64'] } } }, [
      { path: '/a', upstream: 'api' },
      { path: '/b', upstream: 'api', protections: { ipList: { allow: ['10.0.0.0/8', '2001:db8::/32', 'nope'] } } },
    ]);
    assert.deepEqual(issuesOf(policy), [
      { path: '/protections/ipList/deny/0', message: 'invalid IP address "bad"' },
      { path: '/protections/ipList/deny/2', message: 'invalid CIDR "1.2.3.4/64": prefix must be 0 to 32' },
      { path: '/routes/1/protections/ipList/allow/2', message: 'invalid IP address "nope"' },
    ]);
  });

  const templates: [string, string][] = [
    ['shops', 'must start with "/"'],
    ['/a//b', 'empty segment ("//")'],
    ['/**/x', '"**" may only be the last segment'],
    ['/{id}/{id}', 'parameter "id" appears twice'],
  ];
  for (const [path, message] of templates) {
    test(`bad path template ${path} at /routes/N/path`, () => {
      const policy = policyOf({}, [{ path: '/ok', upstream: 'api' }, { path, upstream: 'api' }]);
      assert.deepEqual(issuesOf(policy), [{ path: '/routes/1/path', message }]);
    });
  }

  test('every problem of every route is listed', () => {
    const policy = policyOf({ protections: { ipList: { bypass: ['x'] } } }, [
      { path: 'a', upstream: 'api' },
      { path: '/b', upstream: 'api', protections: { ipList: { deny: ['y'] } } },
      { path: '/c//d', upstream: 'api' },
    ]);
    assert.deepEqual(issuesOf(policy), [
      { path: '/protections/ipList/bypass/0', message: 'invalid IP address "x"' },
      { path: '/routes/0/path', message: 'must start with "/"' },
      { path: '/routes/1/protections/ipList/deny/0', message: 'invalid IP address "y"' },
      { path: '/routes/2/path', message: 'empty segment ("//")' },
    ]);
  });

  test('a route with a bad path still has its protection issues reported', () => {
    const policy = policyOf({}, [{ path: 'bad', upstream: 'api', protections: { ipList: { deny: ['nope'] } } }]);
    assert.deepEqual(issuesOf(policy), [
      { path: '/routes/0/path', message: 'must start with "/"' },
      { path: '/routes/0/protections/ipList/deny/0', message: 'invalid IP address "nope"' },
    ]);
  });
});

describe('buildPipeline: modes', () => {
  // route+protection > route > protection > global
  const cases: { name: string; global?: string; protection?: string; route?: string; routeProtection?: string; expected: string }[] = [
    { name: 'global enforce by default', expected: 'enforce' },
    { name: 'global monitor', global: 'monitor', expected: 'monitor' },
    { name: 'protection beats global', global: 'enforce', protection: 'monitor', expected: 'monitor' },
    { name: 'protection enforce under global monitor', global: 'monitor', protection: 'enforce', expected: 'enforce' },
    { name: 'route beats protection', protection: 'monitor', route: 'enforce', expected: 'enforce' },
    { name: 'route monitor beats protection enforce', protection: 'enforce', route: 'monitor', expected: 'monitor' },
    { name: 'route+protection beats route', route: 'monitor', routeProtection: 'enforce', expected: 'enforce' },
    { name: 'route+protection monitor beats everything', global: 'enforce', protection: 'enforce', route: 'enforce', routeProtection: 'monitor', expected: 'monitor' },
  ];
  for (const c of cases) {
    for (const key of ['methodRestriction', 'ipList'] as const) {
      test(`${key}: ${c.name}`, async () => {
        const name = key === 'ipList' ? 'ip-list' : 'method-restriction';
        const extra: Input = {};
        if (c.global) extra.mode = c.global;
        extra.protections = { [key]: { ...(c.protection ? { mode: c.protection } : {}) } };
        const route: Input = { path: '/r', upstream: 'api' };
        if (c.route) route.mode = c.route;
        if (c.routeProtection) route.protections = { [key]: { mode: c.routeProtection } };
        await withPipeline(policyOf(extra, [route]), (pipeline) => {
          const steps = stepsFor(pipeline, '/r').filter((s) => s.protection === name);
          assert.ok(steps.length >= 1);
          if (key === 'ipList' && c.routeProtection) {
            // Layered: the route's own instance takes the route+protection mode; the global instance on that
            // route keeps route > protection > global, so trialling a route list cannot silence the global one.
            assert.equal(steps.length, 2);
            assert.equal(steps[1]!.mode, c.expected);
            assert.equal(steps[0]!.mode, c.route ?? c.protection ?? c.global ?? 'enforce');
          } else {
            for (const step of steps) assert.equal(step.mode, c.expected);
          }
        });
      });
    }
  }

  test('unrouted requests use the protection mode, then the global one', async () => {
    await withPipeline(policyOf({ mode: 'monitor', protections: { ipList: { deny: ['1.2.3.4'], mode: 'enforce' } } }, [
      { path: '/r', upstream: 'api', mode: 'enforce' },
    ]), (pipeline) => {
      assert.deepEqual(pipeline.unrouted.requestHead.map((s) => [s.protection, s.mode]),
        [['ip-list', 'enforce'], ['flood-defence', 'monitor'], ['method-restriction', 'monitor'], ['attack-detection', 'monitor']]);
      // ip-list has no dropConnections and flood-defence is in monitor mode: nothing runs at accept time.
      assert.deepEqual(pipeline.connectionSteps, []);
    });
  });

  test('route mode is recorded on the compiled route', async () => {
    await withPipeline(policyOf({ mode: 'monitor' }, [{ path: '/a', upstream: 'api', mode: 'enforce' }, { path: '/b', upstream: 'api' }]), (pipeline) => {
      assert.equal(pipeline.router.match('h', seg('/a'), 'GET')!.route.mode, 'enforce');
      assert.equal(pipeline.router.match('h', seg('/b'), 'GET')!.route.mode, 'monitor');
    });
  });
});

describe('buildPipeline: layer and merge', () => {
  test('layer: the global ip-list instance and the route one both run, global first', async () => {
    const policy = policyOf({ protections: { ipList: { deny: ['1.2.3.4'] } } }, [
      { path: '/internal', upstream: 'api', protections: { ipList: { allow: ['10.0.0.0/8'] } } },
      { path: '/public', upstream: 'api' },
    ]);
    await withPipeline(policy, (pipeline) => {
      const internal = stepsFor(pipeline, '/internal').filter((s) => s.protection === 'ip-list');
      assert.equal(internal.length, 2);
      assert.equal(internal[0]!.instance, pipeline.unrouted.requestHead[0]!.instance, 'the global instance is shared');
      assert.notEqual(internal[1]!.instance, internal[0]!.instance);
      assert.equal((verdictOf(internal[0]!, fakeExchange('1.2.3.4')) as { reason: string }).reason, 'ip_denied');
      assert.equal(verdictOf(internal[0]!, fakeExchange('8.8.8.8')).action, 'pass');
      assert.equal((verdictOf(internal[1]!, fakeExchange('8.8.8.8')) as { reason: string }).reason, 'ip_not_allowed');
      assert.equal(verdictOf(internal[1]!, fakeExchange('10.1.1.1')).action, 'pass');

      const pub = stepsFor(pipeline, '/public').filter((s) => s.protection === 'ip-list');
      assert.equal(pub.length, 1);
      assert.equal(pub[0]!.instance, internal[0]!.instance);
    });
  });

  test('layer: a route instance alone when no global config exists', async () => {
    await withPipeline(policyOf({}, [{ path: '/a', upstream: 'api', protections: { ipList: { deny: ['5.5.5.5'] } } }, { path: '/b', upstream: 'api' }]), (pipeline) => {
      assert.equal(stepsFor(pipeline, '/a').filter((s) => s.protection === 'ip-list').length, 1);
      assert.equal(stepsFor(pipeline, '/b').filter((s) => s.protection === 'ip-list').length, 0);
      assert.equal(pipeline.unrouted.requestHead.filter((s) => s.protection === 'ip-list').length, 0);
      // A route's ip-list adds no connection step; only the default flood-defence runs at accept time.
      assert.deepEqual(pipeline.connectionSteps.map((s) => s.protection), ['flood-defence']);
    });
  });

  test('merge: one method-restriction step with the route keys over the global ones', async () => {
    const policy = policyOf({ protections: { methodRestriction: { unmatchedStatus: 405 } } }, [
      { path: '/a', upstream: 'api', protections: { methodRestriction: { mode: 'monitor' } } },
      { path: '/b', upstream: 'api', protections: { methodRestriction: { unmatchedStatus: 404 } } },
      { path: '/c', upstream: 'api' },
    ]);
    await withPipeline(policy, (pipeline) => {
      const unmatched = fakeExchange('1.1.1.1', { route: null, path: '/zzz' });
      const a = stepsFor(pipeline, '/a').filter((s) => s.protection === 'method-restriction');
      const b = stepsFor(pipeline, '/b').filter((s) => s.protection === 'method-restriction');
      const c = stepsFor(pipeline, '/c').filter((s) => s.protection === 'method-restriction');
      assert.deepEqual([a.length, b.length, c.length], [1, 1, 1]);
      assert.equal(a[0]!.mode, 'monitor');
      assert.equal((verdictOf(a[0]!, unmatched) as { status: number }).status, 405, 'inherits unmatchedStatus from the global config');
      assert.equal((verdictOf(b[0]!, unmatched) as { status: number }).status, 404, 'route key replaces the global one');
      assert.equal(c[0]!.instance, pipeline.unrouted.requestHead.find((s) => s.protection === 'method-restriction')!.instance);
      assert.notEqual(a[0]!.instance, c[0]!.instance);
    });
  });

  test('flood defence, method restriction and attack detection run by default, once per route', async () => {
    await withPipeline(policyOf(), (pipeline) => {
      assert.deepEqual(stepsFor(pipeline, '/x').map((s) => s.protection), ['flood-defence', 'method-restriction', 'attack-detection']);
      assert.deepEqual(pipeline.unrouted.requestHead.map((s) => s.protection), ['flood-defence', 'method-restriction', 'attack-detection']);
      assert.equal(pipeline.router.match('h', seg('/x'), 'GET')!.route.steps.needsRequestBody, true, 'detection reads bodies');
      // Flood defence is on by default, globally: one instance shared by every route and unrouted requests, with a
      // connection step (enforce mode) and a request-head step, and no other phase (no rates, so no ban counting).
      const flood = pipeline.unrouted.requestHead.find((s) => s.protection === 'flood-defence')!;
      assert.equal(flood.mode, 'enforce');
      assert.equal(stepsFor(pipeline, '/x')[0]!.instance, flood.instance, 'the global instance is shared');
      assert.deepEqual(pipeline.connectionSteps.map((s) => [s.protection, s.mode]), [['flood-defence', 'enforce']]);
      assert.equal(pipeline.connectionSteps[0]!.instance, flood.instance);
      const route = pipeline.router.match('h', seg('/x'), 'GET')!.route.steps;
      for (const steps of [pipeline.unrouted, route]) {
        const phases = (['requestHead', 'requestBody', 'responseHead', 'responseBody', 'log'] as const)
          .filter((phase) => steps[phase].some((s) => s.protection === 'flood-defence'));
        assert.deepEqual(phases, ['requestHead']);
      }
      assert.equal(verdictOf(flood, fakeExchange('203.0.113.7')).action, 'pass', 'without rates or bans nobody is refused');
    });
  });

  test('enabled: false on a route removes the global instance too', async () => {
    const policy = policyOf({ protections: { ipList: { deny: ['1.2.3.4'] } } }, [
      { path: '/off', upstream: 'api', protections: { ipList: { enabled: false }, floodDefence: { enabled: false }, methodRestriction: { enabled: false }, attackDetection: { enabled: false } } },
      { path: '/on', upstream: 'api' },
    ]);
    await withPipeline(policy, (pipeline) => {
      assert.deepEqual(stepsFor(pipeline, '/off').map((s) => s.protection), []);
      assert.equal(pipeline.router.match('h', seg('/off'), 'GET')!.route.steps.needsRequestBody, false, 'nothing buffers the body');
      assert.deepEqual(stepsFor(pipeline, '/on').map((s) => s.protection), ['ip-list', 'flood-defence', 'method-restriction', 'attack-detection']);
    });
  });

  test('enabled: false globally removes the global instance only', async () => {
    const policy = policyOf({ protections: { ipList: { enabled: false, deny: ['1.2.3.4'] }, floodDefence: { enabled: false }, methodRestriction: { enabled: false }, attackDetection: { enabled: false } } }, [
      { path: '/a', upstream: 'api' },
      { path: '/b', upstream: 'api', protections: { ipList: { deny: ['5.5.5.5'] } } },
    ]);
    await withPipeline(policy, (pipeline) => {
      assert.deepEqual(pipeline.unrouted.requestHead, []);
      assert.deepEqual(pipeline.connectionSteps, []);
      assert.deepEqual(stepsFor(pipeline, '/a').map((s) => s.protection), []);
      const b = stepsFor(pipeline, '/b');
      assert.deepEqual(b.map((s) => s.protection), ['ip-list']);
      assert.equal(verdictOf(b[0]!, fakeExchange('1.2.3.4')).action, 'pass');
      assert.equal(verdictOf(b[0]!, fakeExchange('5.5.5.5')).action, 'block');
    });
  });
});

describe('buildPipeline: compiled routes and globals', () => {
  test('methods, limits, hosts and case sensitivity', async () => {
    const policy = policyOf({ limits: { maxBodyBytes: 1000 }, http: { caseSensitivePaths: false } }, [
      { name: 'reads', path: '/Items/{id}', upstream: 'api', methods: ['GET'], limits: { maxBodyBytes: 10 } },
      { name: 'api', path: '/v1/**', upstream: 'api', host: '*.example.com' },
      { path: '/**', upstream: 'api' },
    ]);
    await withPipeline(policy, (pipeline) => {
      const reads = pipeline.router.match('h', seg('/items/7'), 'HEAD');
      assert.equal(reads?.route.name, 'reads');
      assert.deepEqual(reads?.params, { id: '7' });
      assert.deepEqual([...reads!.route.methods].sort(), ['GET', 'HEAD'], 'GET implies HEAD');
      assert.equal(reads!.route.limits.maxBodyBytes, 10);
      assert.equal(reads!.route.limits.maxUriBytes, 8192);
      const all = pipeline.router.match('h', seg('/zzz'), 'DELETE')!.route;
      assert.equal(all.name, 'route-2');
      assert.deepEqual([...all.methods].sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
      assert.equal(all.limits.maxBodyBytes, 1000);
      assert.equal(pipeline.router.match('a.example.com', seg('/v1/x'), 'GET')?.route.name, 'api');
      assert.equal(pipeline.router.match('example.com', seg('/v1/x'), 'GET')?.route.name, 'route-2');
      const post = pipeline.router.match('h', seg('/items/7'), 'POST');
      assert.equal(post?.route.name, 'route-2');
    });
  });

  test('globals: upstreams, trusted proxies, redacted headers, connection steps', async () => {
    const policy = policyOf({
      protections: { ipList: { deny: ['9.9.9.9'], dropConnections: true } },
      clientAddress: { trustedProxies: ['10.0.0.0/8'] },
      logging: { redactHeaders: ['X-Session-Token'] },
    });
    await withPipeline(policy, (pipeline) => {
      assert.deepEqual([...pipeline.upstreams.keys()], ['api']);
      assert.equal(pipeline.upstreams.get('api')!.origin, 'http://127.0.0.1:9');
      assert.equal(pipeline.trustedProxies.has('10.2.3.4'), true);
      assert.equal(pipeline.trustedProxies.has('11.2.3.4'), false);
      assert.ok(pipeline.redactedHeaders.has('x-session-token'));
      assert.ok(pipeline.redactedHeaders.has('authorization'));
      assert.deepEqual(pipeline.connectionSteps.map((s) => s.protection), ['ip-list', 'flood-defence']);
      assert.equal(pipeline.globalLimits.maxBodyBytes, 1024 * 1024);
      assert.equal(pipeline.policy, policy);
    });
    // Without dropConnections, or in monitor mode, ip-list runs nothing at accept time (the default flood-defence does).
    await withPipeline(policyOf({ protections: { ipList: { deny: ['9.9.9.9'] } } }), (pipeline) => {
      assert.deepEqual(pipeline.connectionSteps.map((s) => s.protection), ['flood-defence']);
    });
    await withPipeline(policyOf({ protections: { ipList: { deny: ['9.9.9.9'], dropConnections: true, mode: 'monitor' } } }), (pipeline) => {
      assert.deepEqual(pipeline.connectionSteps.map((s) => s.protection), ['flood-defence']);
    });
    // Neither does flood-defence in monitor mode.
    await withPipeline(policyOf({ protections: { ipList: { deny: ['9.9.9.9'], dropConnections: true, mode: 'monitor' }, floodDefence: { mode: 'monitor' } } }), (pipeline) => {
      assert.deepEqual(pipeline.connectionSteps, []);
    });
  });

  test('each build gets a new generation', async () => {
    const policy = policyOf();
    const a = buildPipeline(policy);
    const b = buildPipeline(policy);
    try { assert.ok(b.generation > a.generation); } finally { await a.close(); await b.close(); }
  });
});
