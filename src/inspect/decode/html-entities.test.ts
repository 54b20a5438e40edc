import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHtmlEntities } from './html-entities.ts';

const CASES: [string, string][] = [
  ['&lt;script&gt;', '<script>'],
  ['&LT;svg&GT;', '<svg>'],
  ['&quot;&apos;&amp;', '"\'&'],
  ['javascript&colon;alert&lpar;1&rpar;', 'javascript:alert(1)'],
  ['java&Tab;script&NewLine;:', 'java\tscript\n:'],
  ['&sol;&bsol;&semi;&comma;&period;&equals;&excl;&num;&dollar;&percnt;&plus;', '/\\;,.=!#$%+'],
  ['&lsqb;&rsqb;&lbrack;&rbrack;&lcub;&rcub;&lbrace;&rbrace;&grave;&quest;&commat;&verbar;&lowbar;&ast;&Hat;', '[][]{}{}`?@|_*^'],
  ['&#60;&#x3c;&#X3C;&#060;&#0000000060;&#x00003c;', '<<<<<<'],
  ['&#60&#x3cscript', '<<script'],
  ['&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;', 'javascript'],
  ['&#x6A&#x61&#x76&#x61', 'java'],
  ['&#0;', '\ufffd'],
  ['&#xD800;', '\ufffd'],
  ['&#x110000;', '\ufffd'],
  ['&#99999999999999999999;', '\ufffd'],
  ['&#128;&#x99;', '€™'],
  ['&#x1F600;', '😀'],
  // legacy names without ";", also as a prefix, as browsers read text
  ['&lt &gt &amp &quot', '< > & "'],
  ['&ltscript&gt', '<script>'],
  ['&nbsp;&shy;&ZeroWidthSpace;', '\u00a0\u00ad\u200b'],
  // not references
  ['AT&T', 'AT&T'],
  ['a & b', 'a & b'],
  ['&unknown;', '&unknown;'],
  ['&colon', '&colon'],
  ['&#;', '&#;'],
  ['&#x;', '&#x;'],
  ['&#xZ', '&#xZ'],
  ['&', '&'],
  ['Q&A: fish &amp; chips', 'Q&A: fish & chips'],
];

for (const [input, expected] of CASES) {
  test(`html ${JSON.stringify(input)}`, () => {
    assert.equal(decodeHtmlEntities(input), expected);
  });
}

test('same string when nothing decodes; linear', () => {
  const s = 'AT&T & co';
  assert.equal(decodeHtmlEntities(s), s);
  const start = performance.now();
  decodeHtmlEntities('&#'.repeat(300_000));
  decodeHtmlEntities('&' + 'a'.repeat(1_000_000));
  decodeHtmlEntities('&a'.repeat(300_000));
  decodeHtmlEntities('&#' + '0'.repeat(1_000_000) + '60;');
  assert.ok(performance.now() - start < 500);
});
