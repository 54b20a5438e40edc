import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeUnicode } from './unicode.ts';

const CASES: [string, string][] = [
  ['＜ｓｃｒｉｐｔ＞', '<script>'],
  ['ＳＥＬＥＣＴ　＊　ＦＲＯＭ', 'SELECT * FROM'],
  ['ａｌｅｒｔ（１）', 'alert(1)'],
  ['sel\u200bect', 'select'],
  ['un\u200cion\u200d', 'union'],
  ['\ufeffscript', 'script'],
  ['ja\u00advascript', 'javascript'],
  ['w\u2060ord', 'word'],
  ['ﬁle', 'file'],
  ['①②', '12'],
  ['ｅｘｅｃ', 'exec'],
  ['\u2024\u2024/', '../'],
  ['cafe\u0301', 'café'],
  ['café', 'café'],
  ['日本語', '日本語'],
  ['plain ascii', 'plain ascii'],
  ['\u0130;system(\'id\');', 'I;system(\'id\');'],
  ['\u0130stanbul', 'Istanbul'],
  ['..\u2216..\u2216windows\u2216win.ini', '..\\..\\windows\\win.ini'],
  ['..\u2215etc\u2215passwd', '../etc/passwd'],
  ['½ cup', '1\u20442 cup'],
];

for (const [input, expected] of CASES) {
  test(`unicode ${JSON.stringify(input)}`, () => {
    assert.equal(normalizeUnicode(input), expected);
  });
}

test('same string when unchanged (ASCII and already-NFKC text)', () => {
  const ascii = 'hello';
  const nfkc = 'Zoë 日本';
  assert.equal(normalizeUnicode(ascii), ascii);
  assert.equal(normalizeUnicode(nfkc), nfkc);
});

test('lone surrogates do not throw', () => {
  assert.equal(typeof normalizeUnicode('a\ud800b'), 'string');
});
