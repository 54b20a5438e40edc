import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeControlChars } from './nul.ts';

const CASES: [string, string][] = [
  ['<scr\u0000ipt>', '<script>'],
  ['sel\u0001ect\u001f', 'select'],
  ['\u0000\u0000', ''],
  ['a\tb\nc\rd', 'a\tb\nc\rd'],
  ['a\u000bb\u000cc', 'abc'],
  ['\u007f stays', '\u007f stays'],
  ['plain', 'plain'],
];

for (const [input, expected] of CASES) {
  test(`nul ${JSON.stringify(input)}`, () => {
    assert.equal(removeControlChars(input), expected);
  });
}

test('same string when none', () => {
  const s = 'line\nbreak';
  assert.equal(removeControlChars(s), s);
});
