import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generalizeLocation, suggestExclusions, suggestionsAsPolicy, type SecurityEventRecord } from './exclusion-suggestions.ts';

const event = (client: string, matches: { ruleId: string; category: string; location: string }[], extra: Partial<Record<keyof SecurityEventRecord, unknown>> = {}): SecurityEventRecord => ({
  type: 'security', protection: 'attack-detection', action: 'block', mode: 'enforce', route: 'articles', clientIp: client,
  time: `2026-11-28T01:0${client.length % 10}:00.000Z`, path: '/articles/1', ruleId: matches[0]?.ruleId, location: matches[0]?.location,
  excerpt: '<p>hi</p>', matches, ...extra,
});

test('array indices are widened to every index; other locations stay exact', () => {
  assert.equal(generalizeLocation('body:$.items[3].note'), 'body:$.items[*');
  assert.equal(generalizeLocation('body:$.a.b[12][0]'), 'body:$.a.b[*');
  assert.equal(generalizeLocation('body:form:tags[]'), 'body:form:tags[]');
  assert.equal(generalizeLocation('body:form:user[name]'), 'body:form:user[name]');
  assert.equal(generalizeLocation('query:q'), 'query:q');
});

test('findings are grouped by route and location, counted per request and client, most clients first', () => {
  const xss = { ruleId: 'xss-tag', category: 'xss', location: 'body:$.content' };
  const events = [
    event('10.0.0.1', [xss]),
    event('10.0.0.2', [xss, { ruleId: 'xss-attribute', category: 'xss', location: 'body:$.content' }]),
    event('10.0.0.3', [xss], { action: 'flag' }),
    event('10.0.0.3', [{ ruleId: 'sqli-statement', category: 'sqli', location: 'body:$.items[0].q' }, { ruleId: 'sqli-statement', category: 'sqli', location: 'body:$.items[1].q' }]),
    event('10.0.0.4', [{ ruleId: 'sqli-statement', category: 'sqli', location: 'body:$.items[5].q' }], { mode: 'monitor' }),
    event('10.0.0.9', [{ ruleId: 'cmdi-command', category: 'cmdi', location: 'query:host' }]), // one client: left out
    // not attack-detection findings, or none at all
    { type: 'security', protection: 'rate-limit', action: 'block', route: 'articles', clientIp: '10.0.0.5' },
    { type: 'security', protection: 'attack-detection', action: 'block', reason: 'json_invalid', route: 'articles', clientIp: '10.0.0.5' },
    { type: 'access', route: 'articles' },
  ];
  const report = suggestExclusions(events);
  assert.equal(report.events, 6);
  assert.equal(report.belowMinClients, 1);
  assert.deepEqual(report.suggestions.map((s) => [s.location, s.rules, s.requests, s.blocked, s.clients]), [
    ['body:$.content', ['xss-attribute', 'xss-tag'], 3, 2, 3],
    ['body:$.items[*', ['sqli-statement'], 2, 1, 2],
  ]);
  assert.equal(report.suggestions[0]!.sampleExcerpt, '<p>hi</p>');
  const elsewhere = suggestExclusions([event('a', [xss], { location: 'query:q' }), event('b', [xss], { location: 'query:q' })]);
  assert.equal(elsewhere.suggestions[0]!.sampleExcerpt, undefined, 'the excerpt belonged to another location');
  assert.equal(suggestExclusions(events, { minClients: 1 }).suggestions.length, 3);
  assert.equal(suggestExclusions(events, { route: 'other' }).suggestions.length, 0);
});

test('events written before `matches` count by their top rule and location', () => {
  const old = (client: string) => ({ type: 'security', protection: 'attack-detection', action: 'block', route: 'r', clientIp: client, ruleId: 'xss-tag', location: 'query:q' });
  assert.deepEqual(suggestExclusions([old('a'), old('b')]).suggestions.map((s) => [s.location, s.rules]), [['query:q', ['xss-tag']]]);
});

test('the policy fragment names each route and puts unrouted findings under the global protections', () => {
  const xss = { ruleId: 'xss-tag', category: 'xss', location: 'body:$.content' };
  const fragment = suggestionsAsPolicy(suggestExclusions([
    event('a', [xss]), event('b', [xss]), event('a', [xss], { route: undefined }), event('b', [xss], { route: undefined }),
  ]));
  assert.deepEqual(Object.keys(fragment), ['protections', 'routes']);
  const routes = fragment.routes as { name: string; protections: { attackDetection: { exclusions: { rules: string[]; locations: string[]; reason: string }[] } } }[];
  assert.equal(routes[0]!.name, 'articles');
  const [entry] = routes[0]!.protections.attackDetection.exclusions;
  assert.deepEqual(entry!.rules, ['xss-tag']);
  assert.deepEqual(entry!.locations, ['body:$.content']);
  assert.match(entry!.reason, /^suggested: 2 requests \(2 refused\) from 2 clients, /);
});
