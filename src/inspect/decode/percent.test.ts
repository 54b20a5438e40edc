import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePercent } from './percent.ts';

const CASES: [string, string][] = [
  ['plain text', 'plain text'],
  ['%3Cscript%3E', '<script>'],
  ['%3cscript%3e', '<script>'],
  ['a%20b%2Fc', 'a b/c'],
  ['caf%C3%A9', 'café'],
  ['%F0%9F%98%80', '😀'],
  ['%253C', '%3C'],
  ['%u003cscript%u003e', '<script>'],
  ['%U003C', '<'],
  ['%uD83D%uDE00', '😀'],
  ['%E2%82%AC%u20AC', '€€'],
  ['100%', '100%'],
  ['%zz%4', '%zz%4'],
  ['%%41', '%A'],
  ['%u00', '%u00'],
  ['%u00zz', '%u00zz'],
  ['%41%zz%42', 'A%zzB'],
  ['%C3', '\ufffd'],
  ['%C0%AE', '\ufffd\ufffd'],
  ['%FF', '\ufffd'],
  ['%00', '\u0000'],
  ['+', '+'],
  ['日本%E8%AA%9E', '日本語'],
];

for (const [input, expected] of CASES) {
  test(`percent ${JSON.stringify(input)}`, () => {
    assert.equal(decodePercent(input), expected);
  });
}

test('returns the same string when nothing decodes', () => {
  const s = 'no escapes % here %z';
  assert.equal(decodePercent(s), s);
});

test('linear on long inputs', () => {
  const start = performance.now();
  decodePercent('%41'.repeat(300_000));
  decodePercent('%'.repeat(1_000_000));
  decodePercent('%u'.repeat(500_000));
  assert.ok(performance.now() - start < 500);
});
