import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsEscapes } from './js-escapes.ts';

const CASES: [string, string][] = [
  ['\\x3cscript\\x3e', '<script>'],
  ['\\u003cimg\\u003E', '<img>'],
  ['\\u{3c}\\u{0001F600}', '<😀'],
  ['\\74\\074\\0740', '<<<0'],
  ['\\141\\154\\145\\162\\164', 'alert'],
  ['\\0', '\u0000'],
  ['\\477', "'7"],
  ['\\n\\t\\r\\b\\f\\v', '\n\t\r\b\f\v'],
  ["\\'\\\"\\\\\\/", '\'"\\/'],
  ['al\\ert', 'alert'],
  ['a\\\nb', 'ab'],
  ['a\\\r\nb', 'ab'],
  ['\\8\\9', '89'],
  // malformed stays
  ['\\x4', '\\x4'],
  ['\\xzz', '\\xzz'],
  ['\\u12', '\\u12'],
  ['\\u{}', '\\u{}'],
  ['\\u{110000}', '\\u{110000}'],
  ['\\u{41', '\\u{41'],
  ['trailing\\', 'trailing\\'],
  ['C:\\Users\\x', 'C:Users\\x'],
];

for (const [input, expected] of CASES) {
  test(`js ${JSON.stringify(input)}`, () => {
    assert.equal(decodeJsEscapes(input), expected);
  });
}

test('same string when nothing decodes; linear', () => {
  const s = 'no backslash';
  assert.equal(decodeJsEscapes(s), s);
  const start = performance.now();
  decodeJsEscapes('\\u{'.repeat(300_000));
  decodeJsEscapes('\\x'.repeat(500_000));
  decodeJsEscapes('\\u{' + '0'.repeat(1_000_000));
  assert.ok(performance.now() - start < 500);
});
