import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort, isLoopbackHost, parseHostPort, type HostPort } from './host-port.ts';

describe('parseHostPort', () => {
  const ok: [string, HostPort][] = [
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['localhost:3000', { host: 'localhost', port: 3000 }],
    ['api.example.com:443', { host: 'api.example.com', port: 443 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::]:9901', { host: '::', port: 9901 }],
    ['[2001:DB8::1]:1', { host: '2001:DB8::1', port: 1 }],
    ['[::ffff:127.0.0.1]:80', { host: '::ffff:127.0.0.1', port: 80 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['127.0.0.1:65535', { host: '127.0.0.1', port: 65535 }],
  ];
  for (const [input, expected] of ok) {
    test(input, () => assert.deepEqual(parseHostPort(input), expected));
  }

  const bad: [string, string][] = [
    ['', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got ""'],
    ['8080', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "8080"'],
    ['localhost', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "localhost"'],
    ['::1:8080', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "::1:8080"'],
    ['127.0.0.1:', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "127.0.0.1:"'],
    ['127.0.0.1:http', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "127.0.0.1:http"'],
    ['127.0.0.1:123456', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "127.0.0.1:123456"'],
    ['[::1]8080', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "[::1]8080"'],
    ['[fe80::1%eth0]:80', 'must be HOST:PORT (for IPv6 [ADDR]:PORT), got "[fe80::1%eth0]:80"'],
    ['127.0.0.1:65536', 'port 65536 is out of range'],
    ['host:99999', 'port 99999 is out of range'],
    ['[1.2.3.4]:80', 'invalid IPv6 address "1.2.3.4"'],
    ['[:::]:80', 'invalid IPv6 address ":::"'],
  ];
  for (const [input, error] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => assert.deepEqual(parseHostPort(input), { error }));
  }
});

describe('isLoopbackHost', () => {
  const cases: [string, boolean][] = [
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['192.168.1.1', false],
    ['example.com', false],
    ['localhost.example.com', false],
    ['128.0.0.1', false],
    ['127.0.0.1.example.com', false],
  ];
  for (const [host, expected] of cases) {
    test(`${host} → ${expected}`, () => assert.equal(isLoopbackHost(host), expected));
  }
});

describe('formatHostPort', () => {
  const cases: [HostPort, string][] = [
    [{ host: '127.0.0.1', port: 8080 }, '127.0.0.1:8080'],
    [{ host: 'localhost', port: 1 }, 'localhost:1'],
    [{ host: '::1', port: 8080 }, '[::1]:8080'],
    [{ host: '2001:db8::1', port: 443 }, '[2001:db8::1]:443'],
    [{ host: '::', port: 0 }, '[::]:0'],
  ];
  for (const [input, expected] of cases) {
    test(expected, () => assert.equal(formatHostPort(input), expected));
  }

  test('round-trips through parseHostPort', () => {
    for (const text of ['127.0.0.1:8080', '[::1]:9901', '[2001:db8::1]:443', 'example.com:80']) {
      const parsed = parseHostPort(text);
      assert.ok(!('error' in parsed));
      assert.equal(formatHostPort(parsed), text);
    }
  });
});
