import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractToken, hasDuplicateKeys, parseToken, tokenScopes, type TokenLocation } from './token.ts';

const bearer: TokenLocation = { kind: 'header', name: 'authorization', scheme: 'Bearer' };
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('jwt token extraction', () => {
  const cases: { name: string; location: TokenLocation; headers: NodeJS.Dict<string | string[]>; expected: unknown }[] = [
    { name: 'bearer token', location: bearer, headers: { authorization: 'Bearer abc.def.ghi' }, expected: { token: 'abc.def.ghi' } },
    { name: 'scheme is case-insensitive, spaces trimmed', location: bearer, headers: { authorization: '  bEaReR    abc.def.ghi  ' }, expected: { token: 'abc.def.ghi' } },
    { name: 'no header', location: bearer, headers: {}, expected: { missing: true } },
    { name: 'another scheme is no bearer token', location: bearer, headers: { authorization: 'Basic dXNlcjpwYXNz' }, expected: { missing: true } },
    { name: 'scheme without token', location: bearer, headers: { authorization: 'Bearer ' }, expected: { missing: true } },
    { name: 'scheme glued to the token', location: bearer, headers: { authorization: 'Bearerabc.def.ghi' }, expected: { missing: true } },
    { name: 'other header without scheme', location: { kind: 'header', name: 'x-token', scheme: undefined }, headers: { 'x-token': ' a.b.c ' }, expected: { token: 'a.b.c' } },
    { name: 'two copies of a header are ambiguous', location: { kind: 'header', name: 'x-token', scheme: undefined }, headers: { 'x-token': ['a.b.c', 'd.e.f'] }, expected: { ambiguous: true } },
    { name: 'cookie', location: { kind: 'cookie', name: 'at' }, headers: { cookie: 'theme=dark; at=a.b.c; x=1' }, expected: { token: 'a.b.c' } },
    { name: 'quoted cookie', location: { kind: 'cookie', name: 'at' }, headers: { cookie: 'at="a.b.c"' }, expected: { token: 'a.b.c' } },
    { name: 'cookie absent', location: { kind: 'cookie', name: 'at' }, headers: { cookie: 'att=a.b.c' }, expected: { missing: true } },
    { name: 'cookie twice is ambiguous', location: { kind: 'cookie', name: 'at' }, headers: { cookie: 'at=a.b.c; at=d.e.f' }, expected: { ambiguous: true } },
  ];
  for (const { name, location, headers, expected } of cases) {
    test(name, () => assert.deepEqual(extractToken(location, headers), expected));
  }
});

describe('jwt token parsing', () => {
  const header = b64({ alg: 'RS256', kid: 'k1' });
  const payload = b64({ sub: 'alice' });
  test('a compact JWS is split and decoded', () => {
    assert.deepEqual(parseToken(`${header}.${payload}.c2ln`), { header: { alg: 'RS256', kid: 'k1' }, payload: { sub: 'alice' } });
  });
  const refused: [string, string, string][] = [
    ['two parts', `${header}.${payload}`, 'token_invalid'],
    ['five parts (JWE)', `${header}.${payload}.a.b.c`, 'token_invalid'],
    ['empty signature (unsecured)', `${header}.${payload}.`, 'token_algorithm_not_allowed'],
    ['padding', `${header}.${payload}=.c2ln`, 'token_invalid'],
    ['standard base64 characters', `${header}.${payload}.c2+l/n`, 'token_invalid'],
    ['header is not JSON', `${b64('not json')}.${payload}.c2ln`, 'token_invalid'],
    ['header is an array', `${b64([1])}.${payload}.c2ln`, 'token_invalid'],
    ['payload is a string', `${header}.${b64('"x"')}.c2ln`, 'token_invalid'],
    ['invalid UTF-8', `${header}.${Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')}.c2ln`, 'token_invalid'],
    ['duplicate alg', `${b64('{"alg":"HS256","alg":"RS256"}')}.${payload}.c2ln`, 'token_invalid'],
    ['duplicate claim through an escape', `${header}.${b64('{"sub":"a","s\\u0075b":"b"}')}.c2ln`, 'token_invalid'],
    ['empty header segment', `.${payload}.c2ln`, 'token_invalid'],
  ];
  for (const [name, token, reason] of refused) {
    test(`refused: ${name}`, () => assert.equal((parseToken(token) as { reason: string }).reason, reason));
  }
});

describe('jwt duplicate member detection', () => {
  const cases: [string, boolean][] = [
    ['{"a":1,"b":2}', false],
    ['{"a":1,"a":2}', true],
    ['{"a":{"b":1},"c":{"b":2}}', false],
    ['{"a":{"b":1,"b":2}}', true],
    ['{"a":[{"b":1},{"b":2}]}', false],
    ['{"a":"\\"a\\"","b":"a"}', false],
    ['{"x\\"":1,"x\\"":2}', true],
    ['{"a":[1,"a",{"a":1}],"b":{}}', false],
    ['{}', false],
  ];
  for (const [json, expected] of cases) test(json, () => assert.equal(hasDuplicateKeys(json), expected));
});

describe('jwt scopes', () => {
  test('scope string and scp array are merged', () => {
    assert.deepEqual([...tokenScopes({ scope: 'read  write', scp: ['admin', 3] })].sort(), ['admin', 'read', 'write']);
  });
  test('scp as a string (Azure AD)', () => assert.deepEqual([...tokenScopes({ scp: 'a b' })], ['a', 'b']));
  test('no scope', () => assert.equal(tokenScopes({ sub: 'x' }).size, 0));
});
