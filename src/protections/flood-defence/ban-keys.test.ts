import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, canonicalAddress, clientKey, keyCovers, parseDuration } from './ban-keys.ts';

describe('canonicalAddress', () => {
  const cases: [string, string | null][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0:0::7', '2001:db8::7'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not shortened
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['not-an-ip', null],
    ['1.2.3', null],
    ['', null],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(canonicalAddress(input), expected));
  }
});

describe('clientKey', () => {
  test('IPv4 clients are counted by address', () => {
    assert.equal(clientKey('203.0.113.7', 64), 'ip:203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7', 64), 'ip:203.0.113.7');
  });
  test('IPv6 clients are counted by their prefix', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1', 64), 'ip:2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:bbbb::9', 64), 'ip:2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:3::1', 64), 'ip:2001:db8:1:3::/64');
    assert.equal(clientKey('2001:db8:1:2ff::1', 56), 'ip:2001:db8:1:200::/56');
    assert.equal(clientKey('2001:db8::7', 128), 'ip:2001:db8::7');
  });
  test('anything else has no key', () => assert.equal(clientKey('unknown', 64), null));
  test('addressKey is always one address', () => {
    assert.equal(addressKey('2001:db8:1:2::5'), 'ip:2001:db8:1:2::5');
    assert.equal(addressKey('x'), null);
  });
});

describe('keyCovers', () => {
  test('exact keys match the address in any spelling', () => {
    assert.equal(keyCovers('ip:203.0.113.7', '::ffff:203.0.113.7'), true);
    assert.equal(keyCovers('ip:2001:db8::7', '2001:DB8:0::7'), true);
    assert.equal(keyCovers('ip:203.0.113.7', '203.0.113.8'), false);
  });
  test('network keys cover their addresses only', () => {
    assert.equal(keyCovers('ip:2001:db8:1:2::/64', '2001:db8:1:2:ffff::1'), true);
    assert.equal(keyCovers('ip:2001:db8:1:2::/64', '2001:db8:1:3::1'), false);
  });
  test('other keys and bad input cover nothing', () => {
    assert.equal(keyCovers('principal:alice', '203.0.113.7'), false);
    assert.equal(keyCovers('ip:203.0.113.7', 'nope'), false);
    assert.equal(keyCovers('ip:2001:db8::/999', '2001:db8::1'), false);
  });
});

describe('parseDuration', () => {
  const cases: [string, number | null][] = [
    ['500ms', 500], ['10s', 10_000], ['1m', 60_000], ['2h', 7_200_000], ['1d', 86_400_000], ['0s', 0],
    ['10', null], ['s', null], ['1.5m', null], ['-1s', null], ['1w', null], ['10 s', null], ['1234567890s', null],
    ['1constructor', null], ['1toString', null],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseDuration(input), expected));
  }
});
