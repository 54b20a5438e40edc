import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractCookies } from './cookies.ts';
import type { ExtractResult } from './extract-result.ts';

function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.map((i) => (i.isName ? `${i.location}#${i.value}` : `${i.location}=${i.value}`));
}

const CASES: [string | string[] | undefined, string[] | string][] = [
  [undefined, []],
  ['', []],
  ['sid=abc123', ['cookie:sid#sid', 'cookie:sid=abc123']],
  ['sid=abc; theme=dark;lang=en', ['cookie:sid#sid', 'cookie:sid=abc', 'cookie:theme#theme', 'cookie:theme=dark', 'cookie:lang#lang', 'cookie:lang=en']],
  ['  a = 1 ;  ; b=2 ;', ['cookie:a#a', 'cookie:a=1', 'cookie:b#b', 'cookie:b=2']],
  ['q="quoted value"', ['cookie:q#q', 'cookie:q="quoted value"']],
  ['prefs=%7B%22a%22%3A1%7D', ['cookie:prefs#prefs', 'cookie:prefs=%7B%22a%22%3A1%7D']],
  ['data={"role":"admin"}', ['cookie:data#data', 'cookie:data={"role":"admin"}']],
  ['token=a=b=c', ['cookie:token#token', 'cookie:token=a=b=c']],
  ['novalue', ['cookie:=novalue']],
  ['empty=', ['cookie:empty#empty']],
  ['dup=1; dup=2', ['cookie:dup#dup', 'cookie:dup=1', 'cookie:dup#dup', 'cookie:dup=2']],
  [['a=1', 'b=2'], ['cookie:a#a', 'cookie:a=1', 'cookie:b#b', 'cookie:b=2']],
  ["x=' or 1=1--", ['cookie:x#x', "cookie:x=' or 1=1--"]],
];

for (const [header, expected] of CASES) {
  test(`Cookie ${JSON.stringify(header)}`, () => {
    assert.deepEqual(show(extractCookies(header)), expected);
  });
}

test('cookie inputs have the cookie source', () => {
  const result = extractCookies('a=b');
  assert.ok('inputs' in result);
  assert.ok(result.inputs.every((i) => i.source === 'cookie' && i.name === 'a'));
});

test('input budget; linear on many separators', () => {
  assert.equal(show(extractCookies('a=1; b=2', { maxInputs: 3 })), '!too_many_inputs');
  const start = performance.now();
  extractCookies(';'.repeat(500_000) + 'a=' + ' '.repeat(500_000));
  assert.ok(performance.now() - start < 300);
});
