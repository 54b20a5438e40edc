import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLinearPattern } from './linear-pattern.ts';

/** The engine's answer must equal ECMAScript's (`u` flag) on everything it accepts. */
const native = (source: string) => new (globalThis as unknown as { ['RegExp']: new (s: string, f: string) => { test(s: string): boolean } })['RegExp'](source, 'u');

describe('linear-pattern', () => {
  const cases: [string, string[]][] = [
    ['^[a-z0-9-]+$', ['alice-bakery', 'Alice', '', 'a b']],
    ['\\d{3}-\\d{4}', ['tel 010-1234', 'x123-4567y', '12-3456']],
    ['^a|b$', ['xb', 'xa', 'a', 'b', '']],
    ['\\bfoo\\b', ['a foo b', 'afoob', 'foo', 'foo_']],
    ['\\Bfoo', ['afoo', 'foo']],
    ['^$', ['', 'x']],
    ['x*', ['', 'yyy']],
    ['^[^]$', ['\n', '']],
    ['^.$', ['\u{1F600}', '\n', 'ab']],
    ['^[\\u{1F600}-\\u{1F64F}]$', ['\u{1F601}', 'a']],
    ['^\\uD83D\\uDE00$', ['\u{1F600}']],
    ['^(?:ab){2,3}$', ['abab', 'ababab', 'abababab', 'ab']],
    ['^(?<y>\\d{4})-\\d{2}$', ['2026-11', '26-11']],
    ['colou?r', ['my color', 'colour!', 'colr']],
    ['^[A-Z]{2}\\d*?$', ['KR12', 'KR', 'K1']],
    ['^\\S+@\\S+\\.\\S+$', ['a@b.c', 'a @b.c', 'a@b']],
    ['^[\\w.-]+$', ['ab_c-d.e', 'a/b']],
    ['^[^\\d\\s]+$', ['abc', 'a1', 'a b']],
    ['^(0[1-9]|1[0-2])/[0-9]{2}$', ['04/29', '13/29', '4/29']],
    ['^[0-9A-Z -]{3,10}$', ['04524', 'SW1A 1AA', '12', 'abcde']],
    ['a{0}b', ['b', 'ab']],
    ['^\\x41\\t\\/$', ['A\t/', 'A /']],
    ['[\\b]', ['\b', 'b']],
    ['^(a|ab)(c|bcd)(d*)$', ['abcd', 'abcdd', 'ac']],
  ];
  for (const [source, inputs] of cases) {
    test(`/${source}/ agrees with ECMAScript`, () => {
      const pattern = compileLinearPattern(source);
      const reference = native(source);
      for (const input of inputs) assert.equal(pattern.test(input), reference.test(input), JSON.stringify(input));
    });
  }

  test('catastrophic patterns run in linear time', () => {
    for (const source of ['^(a+)+$', '^(a|a)*$', '^(a*)*b$', '^(\\w+\\s?)*$', '(x+x+)+y']) {
      const pattern = compileLinearPattern(source);
      const started = performance.now();
      assert.equal(pattern.test('a'.repeat(20_000) + '!'), false);
      assert.ok(performance.now() - started < 2000, source);
    }
  });

  test('constructs that need backtracking, and malformed patterns, are refused with their offset', () => {
    const refused: [string, RegExp][] = [
      ['(?=a)', /lookahead is not supported at offset 1/],
      ['(?<!a)b', /lookbehind is not supported/],
      ['(a)\\1', /backreferences are not supported/],
      ['\\k<x>', /named backreferences/],
      ['\\p{L}', /Unicode property escapes are not supported/],
      ['a{1001}', /repetition counts above 1000/],
      ['(', /missing "\)"/],
      ['a)', /unmatched "\)"/],
      ['a**', /nothing to repeat/],
      ['*a', /nothing to repeat/],
      ['[b-a]', /range out of order/],
      ['[a', /missing "\]"/],
      ['\\q', /unknown escape/],
      ['^*', /an assertion cannot be repeated/],
      ['(?:a{1000}){1000}', /too large/],
    ];
    for (const [source, message] of refused) assert.throws(() => compileLinearPattern(source), message, source);
  });
});
