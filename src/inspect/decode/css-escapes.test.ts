import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCssEscapes } from './css-escapes.ts';

const CASES: [string, string][] = [
  ['\\3c script\\3e', '<script>'],
  ['\\00003c', '<'],
  ['\\00003cx', '<x'],
  ['\\000003cx', '\u0003cx'],
  ['\\0000003c', '\ufffd3c'],
  ['java\\73 cript', 'javascript'],
  ['\\6a\\61\\76\\61', 'java'],
  ['exp\\72 ession(', 'expression('],
  ['e\\x\\p\\r', 'expr'],
  ['\\3c\r\nx', '<x'],
  ['\\3c\tx', '<x'],
  ['\\3c  x', '< x'],
  ['a\\\nb', 'ab'],
  ['\\0', '\ufffd'],
  ['\\d800 ', '\ufffd'],
  ['\\110000', '\ufffd'],
  ['\\1F600', '😀'],
  ['url(\\"x\\")', 'url("x")'],
  ['trailing\\', 'trailing\\'],
];

for (const [input, expected] of CASES) {
  test(`css ${JSON.stringify(input)}`, () => {
    assert.equal(decodeCssEscapes(input), expected);
  });
}

test('same string when nothing decodes; linear', () => {
  const s = 'color: red';
  assert.equal(decodeCssEscapes(s), s);
  const start = performance.now();
  decodeCssEscapes('\\a'.repeat(500_000));
  decodeCssEscapes('\\'.repeat(1_000_000));
  assert.ok(performance.now() - start < 500);
});
