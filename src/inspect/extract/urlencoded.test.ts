import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractUrlencoded } from './urlencoded.ts';
import type { ExtractResult } from './extract-result.ts';

/** Inputs as `location=value` (names as `location#name`), or `!reason`. */
function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.map((i) => (i.isName ? `${i.location}#${i.value}` : `${i.location}=${i.value}`));
}

const CASES: [string, string[] | string][] = [
  ['', []],
  ['a=1', ['body:form:a#a', 'body:form:a=1']],
  ['a=1&b=two', ['body:form:a#a', 'body:form:a=1', 'body:form:b#b', 'body:form:b=two']],
  // `+` is a space, escapes are UTF-8 (browser form posts)
  ['q=hello+world&name=Jos%C3%A9', ['body:form:q#q', 'body:form:q=hello world', 'body:form:name#name', 'body:form:name=José']],
  ['comment=50%25+off%21', ['body:form:comment#comment', 'body:form:comment=50% off!']],
  ['emoji=%F0%9F%98%80', ['body:form:emoji#emoji', 'body:form:emoji=😀']],
  ['a%5Bb%5D=1', ['body:form:a[b]#a[b]', 'body:form:a[b]=1']],
  ['x=%3Cscript%3E', ['body:form:x#x', 'body:form:x=<script>']],
  // repeated names: every value
  ['id=1&id=2', ['body:form:id#id', 'body:form:id=1', 'body:form:id#id', 'body:form:id=2']],
  // empty pieces
  ['a=&b', ['body:form:a#a', 'body:form:b#b']],
  ['&&a=1&&', ['body:form:a#a', 'body:form:a=1']],
  ['=value', ['body:form:=value']],
  ['a=b=c', ['body:form:a#a', 'body:form:a=b=c']],
  // `;` is not a separator
  ['a=1;b=2', ['body:form:a#a', 'body:form:a=1;b=2']],
  // not UTF-8: kept byte for byte (Latin-1), so the overlong layer still sees it
  ['p=..%C0%AF', ['body:form:p#p', 'body:form:p=..\u00c0\u00af']],
  ['p=%E9t%E9', ['body:form:p#p', 'body:form:p=\u00e9t\u00e9']],
  // malformed escapes refuse the body
  ['a=%zz', '!bad_percent_encoding'],
  ['a=%4', '!bad_percent_encoding'],
  ['a=%', '!bad_percent_encoding'],
  ['%g0=1', '!bad_percent_encoding'],
  ['a=1&b=%2', '!bad_percent_encoding'],
  ['a=%%41', '!bad_percent_encoding'],
];

for (const [body, expected] of CASES) {
  test(`form body ${JSON.stringify(body)}`, () => {
    assert.deepEqual(show(extractUrlencoded(body)), expected);
    assert.deepEqual(show(extractUrlencoded(Buffer.from(body, 'latin1'))), expected);
  });
}

test('inputs carry source, name and isName', () => {
  const result = extractUrlencoded('user=bob');
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs, [
    { source: 'body', name: 'user', location: 'body:form:user', value: 'user', isName: true },
    { source: 'body', name: 'user', location: 'body:form:user', value: 'bob' },
  ]);
});

test('argument limit: 1000 pairs pass, 1001 are refused (never truncated)', () => {
  const pairs = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join('&');
  assert.ok('inputs' in extractUrlencoded(pairs(1000)));
  assert.equal(show(extractUrlencoded(pairs(1001))), '!too_many_arguments');
  assert.equal(show(extractUrlencoded(pairs(11), { maxArguments: 10 })), '!too_many_arguments');
});

test('input budget is enforced', () => {
  assert.equal(show(extractUrlencoded('a=1&b=2', { maxInputs: 3 })), '!too_many_inputs');
});

test('Latin-1 bodies decode byte for byte', () => {
  assert.deepEqual(show(extractUrlencoded('n=Jos%E9', { charset: 'iso-8859-1' })), ['body:form:n#n', 'body:form:n=José']);
  assert.deepEqual(show(extractUrlencoded('n=%C8%AB%B1%E6%B5%BF', { charset: 'euc-kr' })), ['body:form:n#n', 'body:form:n=홍길동']);
  // not EUC-KR after all: every byte kept, the quote as a quote
  assert.deepEqual(show(extractUrlencoded("n=%C8'", { charset: 'euc-kr' })), ['body:form:n#n', "body:form:n=\u00c8'"]);
});

test('raw UTF-8 bytes in the body are read as UTF-8', () => {
  assert.deepEqual(show(extractUrlencoded(Buffer.from('n=José', 'utf8'))), ['body:form:n#n', 'body:form:n=José']);
});

test('linear on hostile shapes (many pairs without "=")', () => {
  const body = 'a&'.repeat(100_000);
  const start = performance.now();
  const result = extractUrlencoded(body, { maxArguments: 1_000_000, maxInputs: 1_000_000 });
  assert.ok('inputs' in result);
  assert.ok(performance.now() - start < 500);
});

test('never throws on random input', () => {
  let seed = 11;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = 'ab=&%+0Fz\u00e9;';
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(30);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    extractUrlencoded(s);
  }
});
