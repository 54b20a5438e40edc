import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressToBigInt, compileCidrSet, parseCidr } from './cidr.ts';

const MAPPED = 0xffff00000000n;

describe('addressToBigInt', () => {
  const cases: [string, bigint | null][] = [
    ['0.0.0.0', MAPPED],
    ['1.2.3.4', MAPPED | 0x01020304n],
    ['::', 0n],
    ['::1', 1n],
    ['2001:db8::', 0x20010db8n << 96n],
    ['2001:db8::1', (0x20010db8n << 96n) | 1n],
    ['::ffff:10.0.0.1', MAPPED | 0x0a000001n],
    ['::ffff:a00:1', MAPPED | 0x0a000001n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:1.2.3.4', 0x0001000200030004000500060102_0304n],
    ['fe80::1%eth0', (0xfe80n << 112n) | 1n],
    ['not-an-ip', null],
    ['', null],
    ['1.2.3', null],
    ['010.0.0.1', null],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.equal(addressToBigInt(input), expected));
  }
});

describe('parseCidr', () => {
  const ok: [string, bigint, number][] = [
    ['10.0.0.0/8', MAPPED | 0x0a000000n, 104],
    ['10.1.2.3/8', MAPPED | 0x0a000000n, 104], // host bits are masked off
    ['1.2.3.4', MAPPED | 0x01020304n, 128], // bare IPv4 is a /32
    ['1.2.3.4/32', MAPPED | 0x01020304n, 128],
    ['0.0.0.0/0', MAPPED, 96], // IPv4 /0 covers the mapped space only
    ['2001:db8::/32', 0x20010db8n << 96n, 32],
    ['2001:db8::1', (0x20010db8n << 96n) | 1n, 128], // bare IPv6 is a /128
    ['2001:db8::1/128', (0x20010db8n << 96n) | 1n, 128],
    ['::/0', 0n, 0],
    ['::', 0n, 128],
    ['::ffff:10.0.0.0/104', MAPPED | 0x0a000000n, 104],
    ['fe80::1%eth0/64', 0xfe80n << 112n, 64],
    ['10.0.0.0/08', MAPPED | 0x0a000000n, 104],
  ];
  for (const [input, network, prefix] of ok) {
    test(`${input} → prefix ${prefix}`, () => assert.deepEqual(parseCidr(input), { network, prefix }));
  }

  const bad: [string, string][] = [
    ['nope', 'invalid IP address "nope"'],
    ['nope/8', 'invalid IP address "nope"'],
    ['', 'invalid IP address ""'],
    ['256.0.0.0/8', 'invalid IP address "256.0.0.0"'],
    ['1.2.3.4/33', 'invalid CIDR "1.2.3.4/33": prefix must be 0 to 32'],
    ['1.2.3.4/', 'invalid CIDR "1.2.3.4/": prefix must be 0 to 32'],
    ['1.2.3.4/-1', 'invalid CIDR "1.2.3.4/-1": prefix must be 0 to 32'],
    ['1.2.3.4/1000', 'invalid CIDR "1.2.3.4/1000": prefix must be 0 to 32'],
    ['1.2.3.4/8/8', 'invalid CIDR "1.2.3.4/8/8": prefix must be 0 to 32'],
    ['::/129', 'invalid CIDR "::/129": prefix must be 0 to 128'],
    ['2001:db8::/x', 'invalid CIDR "2001:db8::/x": prefix must be 0 to 128'],
    [' 1.2.3.4', 'invalid IP address " 1.2.3.4"'], // parseCidr does not trim; compileCidrSet does
  ];
  for (const [input, error] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => assert.deepEqual(parseCidr(input), { error }));
  }
});

describe('compileCidrSet', () => {
  const cases: { name: string; entries: string[]; yes: string[]; no: string[] }[] = [
    {
      name: 'IPv4 blocks',
      entries: ['10.0.0.0/8', '192.168.1.0/24', '203.0.113.7'],
      yes: ['10.0.0.0', '10.255.255.255', '192.168.1.200', '203.0.113.7'],
      no: ['11.0.0.0', '192.168.2.1', '203.0.113.8', '9.255.255.255'],
    },
    {
      name: 'IPv4-mapped IPv6 client matches an IPv4 CIDR',
      entries: ['1.2.3.0/24'],
      yes: ['1.2.3.4', '::ffff:1.2.3.4', '::ffff:102:304', '::FFFF:1.2.3.255'],
      no: ['::1.2.3.4', '2001:db8::1.2.3.4', '::ffff:1.2.4.4'],
    },
    {
      name: 'IPv4 /32',
      entries: ['1.2.3.4/32'],
      yes: ['1.2.3.4', '::ffff:1.2.3.4'],
      no: ['1.2.3.5', '1.2.3.3'],
    },
    {
      name: 'IPv4 /0 covers every IPv4 address and no native IPv6 one',
      entries: ['0.0.0.0/0'],
      yes: ['0.0.0.0', '255.255.255.255', '::ffff:9.9.9.9'],
      no: ['2001:db8::1', '::1', '::'],
    },
    {
      name: 'IPv6 /0 covers everything, IPv4 included',
      entries: ['::/0'],
      yes: ['::', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '1.2.3.4'],
      no: ['garbage'],
    },
    {
      name: 'IPv6 blocks and compressed forms',
      entries: ['2001:db8::/32', '::1', 'fd00::/8'],
      yes: ['2001:db8::', '2001:db8:ffff::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '::1', '0:0:0:0:0:0:0:1', 'fd12:3456::1'],
      no: ['2001:db9::', '::2', 'fe00::1', '::'],
    },
    {
      name: 'IPv6 /128',
      entries: ['2001:db8::5/128'],
      yes: ['2001:db8::5', '2001:DB8::5'],
      no: ['2001:db8::4', '2001:db8::6'],
    },
    {
      name: 'unspecified address ::',
      entries: ['::'],
      yes: ['::', '0:0:0:0:0:0:0:0'],
      no: ['::1', '0.0.0.0'],
    },
    {
      name: 'embedded IPv4 in an IPv6 CIDR',
      entries: ['::ffff:10.0.0.1'],
      yes: ['10.0.0.1', '::ffff:10.0.0.1', '::ffff:a00:1'],
      no: ['10.0.0.2', '::10.0.0.1'],
    },
    {
      name: 'zone ids are ignored in entries and addresses',
      entries: ['fe80::/10', 'fe80::1%eth0'],
      yes: ['fe80::1', 'fe80::1%eth0', 'fe80::abcd%2', 'febf::1'],
      no: ['fec0::1', '2001:db8::1%eth0'],
    },
    {
      name: 'entries are trimmed',
      entries: ['  192.0.2.0/24 ', '\t2001:db8::/64\n'],
      yes: ['192.0.2.9', '2001:db8::9'],
      no: ['192.0.3.9'],
    },
    {
      name: 'several prefix lengths for the same network',
      entries: ['10.0.0.0/8', '10.1.0.0/16', '10.1.1.1'],
      yes: ['10.1.1.1', '10.1.9.9', '10.200.0.1'],
      no: ['11.1.1.1'],
    },
    {
      name: 'empty set matches nothing',
      entries: [],
      yes: [],
      no: ['1.2.3.4', '::', '::1'],
    },
  ];
  for (const { name, entries, yes, no } of cases) {
    test(name, () => {
      const { set, errors } = compileCidrSet(entries);
      assert.deepEqual(errors, []);
      assert.equal(set.size, entries.length);
      for (const address of yes) assert.equal(set.has(address), true, `${address} should match`);
      for (const address of no) assert.equal(set.has(address), false, `${address} should not match`);
      // A second lookup goes through the memo and must agree.
      for (const address of [...yes, ...no]) assert.equal(set.has(address), yes.includes(address), `${address} (cached)`);
    });
  }

  test('reports every invalid entry with its index and message, keeps the valid ones', () => {
    const { set, errors } = compileCidrSet(['10.0.0.0/8', 'nope', '1.2.3.4/40', '2001:db8::/129', ' ', '192.168.0.0/16']);
    assert.deepEqual(errors, [
      { index: 1, message: 'invalid IP address "nope"' },
      { index: 2, message: 'invalid CIDR "1.2.3.4/40": prefix must be 0 to 32' },
      { index: 3, message: 'invalid CIDR "2001:db8::/129": prefix must be 0 to 128' },
      { index: 4, message: 'invalid IP address ""' },
    ]);
    assert.equal(set.size, 2);
    assert.equal(set.has('10.9.9.9'), true);
    assert.equal(set.has('192.168.3.3'), true);
    assert.equal(set.has('1.2.3.4'), false);
  });

  test('non-addresses never match', () => {
    const { set } = compileCidrSet(['::/0', '0.0.0.0/0']);
    for (const input of ['', 'localhost', '1.2.3.4.5', '[::1]', '1.2.3.4:80', '::ffff:1.2.3']) {
      assert.equal(set.has(input), false, input);
    }
  });

  test('many lookups stay correct past the memo bound', () => {
    const { set } = compileCidrSet(['10.0.0.0/16']);
    for (let i = 0; i < 10_050; i++) {
      const a = `10.${i >> 8 & 0xff}.${i & 0xff}.1`;
      assert.equal(set.has(a), (i >> 8 & 0xff) === 0, a);
    }
  });
});
