import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOP_BY_HOP, connectionNominated } from './hop-by-hop.ts';

describe('connectionNominated', () => {
  const cases: [string | undefined, string[] | null][] = [
    [undefined, null],
    ['', null],
    ['close', null],
    ['keep-alive', null],
    ['Upgrade', null],
    ['close, keep-alive, upgrade', null],
    [' , ,', null],
    ['X-Custom', ['x-custom']],
    ['close, X-Custom,  x-other ', ['x-custom', 'x-other']],
    ['X-Custom, x-custom', ['x-custom']],
    ['te, trailer', ['te', 'trailer']],
    // Protected names are never nominated (CVE-2022-24112 style smuggling of X-Real-IP removal).
    ['X-Real-IP', null],
    ['X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, Forwarded', null],
    ['Host, Content-Length, Content-Type, Content-Encoding', null],
    ['Authorization, Cookie, X-Request-Id', null],
    ['close, X-Forwarded-For, X-Custom', ['x-custom']],
    ['AUTHORIZATION, x-api-key', ['x-api-key']],
  ];
  for (const [connection, expected] of cases) {
    test(JSON.stringify(connection), () => {
      const result = connectionNominated(connection);
      if (expected === null) assert.equal(result, null);
      else assert.deepEqual(result === null ? null : [...result].sort(), [...expected].sort());
    });
  }

  test('no protected name is ever nominated', () => {
    const protectedNames = ['host', 'content-length', 'content-type', 'content-encoding', 'authorization', 'cookie',
      'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-request-id'];
    for (const name of protectedNames) {
      assert.equal(connectionNominated(name), null, name);
      assert.equal(connectionNominated(name.toUpperCase()), null, name.toUpperCase());
      assert.equal(connectionNominated(` ${name} `), null, name);
    }
  });
});

describe('HOP_BY_HOP', () => {
  test('holds the RFC 9110 hop-by-hop fields, lower-case', () => {
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']) {
      assert.equal(HOP_BY_HOP.has(name), true, name);
    }
    assert.equal(HOP_BY_HOP.has('host'), false);
    for (const name of HOP_BY_HOP) assert.equal(name, name.toLowerCase());
  });
});
