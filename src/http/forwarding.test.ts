import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardingHeaders, resolveClientIp, type ForwardingInput } from './forwarding.ts';
import { compileCidrSet } from '../net/cidr.ts';

const trusted = compileCidrSet(['10.0.0.0/8', '2001:db8:ffff::/48']).set;
const none = compileCidrSet([]).set;

describe('resolveClientIp', () => {
  const cases: { name: string; peer: string; header: 'x-forwarded-for' | 'forwarded'; value: string | undefined; expected: string; set?: typeof trusted }[] = [
    { name: 'no trusted proxies configured: header ignored', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4', expected: '10.0.0.1', set: none },
    { name: 'untrusted peer: XFF ignored', peer: '6.6.6.6', header: 'x-forwarded-for', value: '1.2.3.4', expected: '6.6.6.6' },
    { name: 'untrusted peer: Forwarded ignored', peer: '6.6.6.6', header: 'forwarded', value: 'for=1.2.3.4', expected: '6.6.6.6' },
    { name: 'trusted peer without header', peer: '10.0.0.1', header: 'x-forwarded-for', value: undefined, expected: '10.0.0.1' },
    { name: 'trusted peer, one hop', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4', expected: '1.2.3.4' },
    { name: 'right-most untrusted wins over forged left entries', peer: '10.0.0.1', header: 'x-forwarded-for', value: '9.9.9.9, 1.2.3.4', expected: '1.2.3.4' },
    { name: 'trusted hops are skipped', peer: '10.0.0.1', header: 'x-forwarded-for', value: '9.9.9.9, 1.2.3.4, 10.0.0.7, 10.1.1.1', expected: '1.2.3.4' },
    { name: 'all hops trusted: left-most', peer: '10.0.0.1', header: 'x-forwarded-for', value: '10.0.0.3, 10.0.0.2', expected: '10.0.0.3' },
    { name: 'IPv4-mapped trusted peer', peer: '::ffff:10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4', expected: '1.2.3.4' },
    { name: 'IPv4 with port', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4:5678', expected: '1.2.3.4' },
    { name: 'IPv6 entry', peer: '10.0.0.1', header: 'x-forwarded-for', value: '2001:db8::1', expected: '2001:db8::1' },
    { name: 'bracketed IPv6 with port in XFF', peer: '10.0.0.1', header: 'x-forwarded-for', value: '[2001:db8::1]:80', expected: '2001:db8::1' },
    { name: 'trusted IPv6 hop skipped', peer: '2001:db8:ffff::1', header: 'x-forwarded-for', value: '1.2.3.4, 2001:db8:ffff::2', expected: '1.2.3.4' },
    { name: 'garbage right of the peer: stop at the peer', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4, garbage', expected: '10.0.0.1' },
    { name: 'garbage behind a trusted hop: stop at that hop', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4, unknown, 10.0.0.9', expected: '10.0.0.9' },
    { name: 'garbage left of the client is never reached', peer: '10.0.0.1', header: 'x-forwarded-for', value: '<script>, 1.2.3.4', expected: '1.2.3.4' },
    { name: 'empty entry stops the walk', peer: '10.0.0.1', header: 'x-forwarded-for', value: '1.2.3.4, ', expected: '10.0.0.1' },
    { name: 'empty header value', peer: '10.0.0.1', header: 'x-forwarded-for', value: '', expected: '10.0.0.1' },
    { name: 'Forwarded quoted bracketed IPv6 with port', peer: '10.0.0.1', header: 'forwarded', value: 'for="[2001:db8::1]:80"', expected: '2001:db8::1' },
    { name: 'Forwarded quoted IPv4 with port', peer: '10.0.0.1', header: 'forwarded', value: 'for="1.2.3.4:80"', expected: '1.2.3.4' },
    { name: 'Forwarded with other parameters and elements', peer: '10.0.0.1', header: 'forwarded', value: 'for=9.9.9.9, for=1.2.3.4;proto=https;by=10.0.0.1, For="[2001:db8:ffff::9]:443";host=x', expected: '1.2.3.4' },
    { name: 'Forwarded without for=', peer: '10.0.0.1', header: 'forwarded', value: 'proto=https;host=example.com', expected: '10.0.0.1' },
    { name: 'Forwarded obfuscated identifier', peer: '10.0.0.1', header: 'forwarded', value: 'for=1.2.3.4, for=_hidden', expected: '10.0.0.1' },
    { name: 'Forwarded unknown', peer: '10.0.0.1', header: 'forwarded', value: 'for=unknown', expected: '10.0.0.1' },
  ];
  for (const { name, peer, header, value, expected, set } of cases) {
    test(name, () => assert.equal(resolveClientIp(peer, set ?? trusted, header, value), expected));
  }
});

describe('forwardingHeaders', () => {
  const incoming = { xff: '9.9.9.9', proto: 'https', xhost: 'front.example.com', forwarded: 'for=9.9.9.9' };
  const cases: { name: string; input: ForwardingInput; expected: [string, string][] }[] = [
    {
      name: 'untrusted peer: client headers replaced, never extended',
      input: { peer: '1.2.3.4', peerIsTrusted: false, protocol: 'http', host: 'example.com', incoming },
      expected: [
        ['x-forwarded-for', '1.2.3.4'],
        ['x-forwarded-proto', 'http'],
        ['forwarded', 'for=1.2.3.4;proto=http;host=example.com'],
        ['x-forwarded-host', 'example.com'],
      ],
    },
    {
      name: 'trusted peer: chain extended, proto and host kept',
      input: { peer: '10.0.0.1', peerIsTrusted: true, protocol: 'http', host: 'internal:8080', incoming },
      expected: [
        ['x-forwarded-for', '9.9.9.9, 10.0.0.1'],
        ['x-forwarded-proto', 'https'],
        ['forwarded', 'for=9.9.9.9, for=10.0.0.1;proto=http;host="internal:8080"'],
        ['x-forwarded-host', 'front.example.com'],
      ],
    },
    {
      name: 'trusted peer without incoming headers',
      input: { peer: '10.0.0.1', peerIsTrusted: true, protocol: 'https', host: 'example.com', incoming: {} },
      expected: [
        ['x-forwarded-for', '10.0.0.1'],
        ['x-forwarded-proto', 'https'],
        ['forwarded', 'for=10.0.0.1;proto=https;host=example.com'],
        ['x-forwarded-host', 'example.com'],
      ],
    },
    {
      name: 'IPv6 peer is bracketed and quoted in Forwarded only',
      input: { peer: '2001:db8::1', peerIsTrusted: false, protocol: 'https', host: 'example.com:8443', incoming: {} },
      expected: [
        ['x-forwarded-for', '2001:db8::1'],
        ['x-forwarded-proto', 'https'],
        ['forwarded', 'for="[2001:db8::1]";proto=https;host="example.com:8443"'],
        ['x-forwarded-host', 'example.com:8443'],
      ],
    },
    {
      name: 'IPv4-mapped peer counts as IPv6',
      input: { peer: '::ffff:1.2.3.4', peerIsTrusted: false, protocol: 'http', host: undefined, incoming: {} },
      expected: [
        ['x-forwarded-for', '::ffff:1.2.3.4'],
        ['x-forwarded-proto', 'http'],
        ['forwarded', 'for="[::ffff:1.2.3.4]";proto=http'],
      ],
    },
    {
      name: 'no host: no host parameter and no X-Forwarded-Host',
      input: { peer: '1.2.3.4', peerIsTrusted: false, protocol: 'http', host: undefined, incoming },
      expected: [
        ['x-forwarded-for', '1.2.3.4'],
        ['x-forwarded-proto', 'http'],
        ['forwarded', 'for=1.2.3.4;proto=http'],
      ],
    },
    {
      name: 'host with quote and backslash is escaped',
      input: { peer: '1.2.3.4', peerIsTrusted: false, protocol: 'http', host: 'a"b\\c', incoming: {} },
      expected: [
        ['x-forwarded-for', '1.2.3.4'],
        ['x-forwarded-proto', 'http'],
        ['forwarded', 'for=1.2.3.4;proto=http;host="a\\"b\\\\c"'],
        ['x-forwarded-host', 'a"b\\c'],
      ],
    },
    {
      name: 'IPv6 literal host is quoted',
      input: { peer: '1.2.3.4', peerIsTrusted: false, protocol: 'http', host: '[::1]:8080', incoming: {} },
      expected: [
        ['x-forwarded-for', '1.2.3.4'],
        ['x-forwarded-proto', 'http'],
        ['forwarded', 'for=1.2.3.4;proto=http;host="[::1]:8080"'],
        ['x-forwarded-host', '[::1]:8080'],
      ],
    },
  ];
  for (const { name, input, expected } of cases) {
    test(name, () => assert.deepEqual(forwardingHeaders(input), expected));
  }
});
