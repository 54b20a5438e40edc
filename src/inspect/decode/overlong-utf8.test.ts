import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOverlongUtf8 } from './overlong-utf8.ts';

const CASES: [string, string][] = [
  ['..%c0%af..%c0%afetc/passwd', '../../etc/passwd'],
  ['%C0%AE%C0%AE%C0%AF', '../'],
  ['%c1%9c', '\\'],
  ['%e0%80%ae%e0%80%ae/', '../'],
  ['%E0%80%AF', '/'],
  ['%f0%80%80%af', '/'],
  ['%c0%bcscript%c0%be', '<script>'],
  ['\u00c0\u00ae\u00c0\u00af', './'],
  ['\u00e0\u0080\u00ae', '.'],
  // not overlong: untouched
  ['%C3%A9', '%C3%A9'],
  ['%E2%82%AC', '%E2%82%AC'],
  ['%c0', '%c0'],
  ['%c0%41', '%c0%41'],
  ['%e0%80', '%e0%80'],
  ['%c0%a', '%c0%a'],
  ['café À®', 'café À®'.replace('À®', '.')],
  ['Àb', 'Àb'],
  ['plain', 'plain'],
];

for (const [input, expected] of CASES) {
  test(`overlong ${JSON.stringify(input)}`, () => {
    assert.equal(decodeOverlongUtf8(input), expected);
  });
}

test('same string when nothing is overlong; linear', () => {
  const s = '%C3%A9 ok';
  assert.equal(decodeOverlongUtf8(s), s);
  const start = performance.now();
  decodeOverlongUtf8('%c0'.repeat(300_000));
  decodeOverlongUtf8('%c0%ae'.repeat(150_000));
  assert.ok(performance.now() - start < 500);
});
