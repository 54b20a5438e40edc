import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodedVariants, embeddedJsonInputs } from './variants.ts';

/** Variants as `layers: value`. */
function show(raw: string): string[] {
  return decodedVariants(raw).map((v) => `${v.layers.join(',')}: ${v.value}`);
}

const CASES: [string, string[]][] = [
  ['plain value', [': plain value']],
  ["O'Brien", [": O'Brien"]],
  ['%3Cscript%3E', [': %3Cscript%3E', 'url: <script>']],
  ['%253Cscript%253E', [': %253Cscript%253E', 'url: %3Cscript%3E', 'url,url: <script>']],
  ['%25253Cx', [': %25253Cx', 'url: %253Cx', 'url,url: %3Cx', 'url,url,url: <x']],
  ['%2525253Cx', [': %2525253Cx', 'url: %25253Cx', 'url,url: %253Cx', 'url,url,url: %3Cx', 'url,url,url,url: <x']],
  ['..%c0%af..%c0%afetc/passwd', [': ..%c0%af..%c0%afetc/passwd', 'overlong: ../../etc/passwd']],
  ['%25c0%25ae%25c0%25ae/', [': %25c0%25ae%25c0%25ae/', 'url: %c0%ae%c0%ae/', 'url,overlong: ../']],
  ['&lt;img src=x onerror=alert(1)&gt;', [': &lt;img src=x onerror=alert(1)&gt;', 'html: <img src=x onerror=alert(1)>']],
  ['%26lt%3Bsvg%26gt%3B', [': %26lt%3Bsvg%26gt%3B', 'url: &lt;svg&gt;', 'url,html: <svg>']],
  ['&#37;3Cscript&#37;3E', [': &#37;3Cscript&#37;3E', 'html,url: <script>', 'html: %3Cscript%3E']],
  ['\\x3cscript\\x3e', [': \\x3cscript\\x3e', 'js: <script>', 'css: x3cscriptx3e']],
  ['\\3c script\\3e', [': \\3c script\\3e', 'js,css: \u0003c script\u0003e'.replace('js,css', 'js,nul').replace('\u0003c script\u0003e', 'c scripte'), 'js: \u0003c script\u0003e', 'css: <script>']],
  ['＜ｓｃｒｉｐｔ＞', [': ＜ｓｃｒｉｐｔ＞', 'unicode: <script>']],
  ['sel\u0000ect', [': sel\u0000ect', 'nul: select']],
  ['PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', [': PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'base64: <script>alert(1)</script>']],
  ['%u003cscript%u003e', [': %u003cscript%u003e', 'url: <script>']],
  ['caf%C3%A9 na%C3%AFve', [': caf%C3%A9 na%C3%AFve', 'url: café naïve']],
  ['50% off', [': 50% off']],
];

for (const [raw, expected] of CASES) {
  test(`variants of ${JSON.stringify(raw)}`, () => {
    assert.deepEqual(show(raw), expected);
  });
}

test('the value itself is first and variants are distinct', () => {
  for (const [raw] of CASES) {
    const variants = decodedVariants(raw);
    assert.equal(variants[0]!.value, raw);
    assert.deepEqual(variants[0]!.layers, []);
    assert.equal(new Set(variants.map((v) => v.value)).size, variants.length);
  }
});

test('caps: number of variants and total size', () => {
  const busy = '%253C&lt;\\x41\\3c ＡＢ\u0000' + 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY';
  assert.ok(decodedVariants(busy).length <= 8);
  assert.equal(decodedVariants(busy, { maxVariants: 2 }).length, 2);
  const expanding = '\ufdfa'.repeat(1000);
  const variants = decodedVariants(expanding, { maxTotalChars: 5000 });
  assert.equal(variants.length, 1);
  assert.ok(decodedVariants(expanding).reduce((n, v) => n + v.value.length, 0) <= expanding.length * 4 + 4096);
});

test('never throws on random input', () => {
  let seed = 17;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = ['%', '25', '3c', 'c0', 'af', 'u', '&', '#', 'x', ';', 'lt', '\\', '{', '}', '3', ' ', '\u0000', 'Ａ', '\ud800', 'QUJD', '=', 'é'];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(30);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    decodedVariants(s);
    embeddedJsonInputs({ source: 'query', name: 'q', location: 'query:q' }, s);
  }
});

test('speed: plain values cost one scan; escaped values stay cheap', () => {
  const plain = 'The quick brown fox jumps over the lazy dog, again and again. '.repeat(16);
  const escaped = 'name=%3Cb%3Ehello%3C%2Fb%3E&amp;x=\\u0041 '.repeat(16);
  for (let k = 0; k < 1000; k++) { decodedVariants(plain); decodedVariants(escaped); }
  let start = performance.now();
  for (let k = 0; k < 10_000; k++) decodedVariants(plain);
  const plainUs = ((performance.now() - start) / 10_000) * 1000;
  start = performance.now();
  for (let k = 0; k < 10_000; k++) decodedVariants(escaped);
  const escapedUs = ((performance.now() - start) / 10_000) * 1000;
  console.log(`# variants: 1 KB plain ${plainUs.toFixed(1)} µs, ~1 KB escaped ${escapedUs.toFixed(1)} µs`);
  // Generous bounds: the suite runs concurrently with others; these catch complexity regressions, not jitter.
  assert.ok(plainUs < 500 && escapedUs < 5000);
});

test('embedded JSON: located under the outer input, also when percent-encoded', () => {
  const outer = { source: 'query' as const, name: 'filter', location: 'query:filter' };
  assert.deepEqual(embeddedJsonInputs(outer, ' {"role":{"$ne":"user"}} '), [
    { source: 'query', name: 'role', location: 'query:filter:json:$.role', value: 'role', isName: true },
    // (a query operator is read with the member that holds it: see extract/json.ts)
    { source: 'query', name: '$ne', location: 'query:filter:json:$.role.$ne', value: 'role[$ne]', isName: true },
    { source: 'query', name: '$ne', location: 'query:filter:json:$.role.$ne', value: 'user' },
  ]);
  assert.deepEqual(embeddedJsonInputs({ source: 'cookie', name: 'prefs', location: 'cookie:prefs' }, '%5B%22a%22%2C1%5D')?.map((i) => `${i.location}=${i.value}`), [
    'cookie:prefs:json:$[0]=a', 'cookie:prefs:json:$[1]=1',
  ]);
  assert.deepEqual(embeddedJsonInputs(outer, '[]'), []);
  for (const notJson of ['plain', '{not json}', '[1,', '{"a":1,"a":2}', '"string"', '42', '', '%7Bbroken']) {
    assert.equal(embeddedJsonInputs(outer, notJson), undefined, notJson);
  }
  assert.equal(embeddedJsonInputs(outer, '[1,2,3]', 2), undefined);
});

test('base64 tokens are found wherever they sit in a long value, from their minimum length', () => {
  const prose = 'some words of ordinary prose, long enough to need the longer tokens here';
  const token = 'aGVsbG8gd29ybGQh'; // 16 characters: "hello world!"
  for (const value of [token + ' ' + prose, prose + ' ' + token, prose + ' ' + token + ' ' + prose]) {
    assert.ok(show(value).some((v) => v.startsWith('base64: ') && v.includes('hello world!')), value);
  }
  // One character short of the minimum: left alone.
  assert.deepEqual(show(prose + ' ' + token.slice(1)), [': ' + prose + ' ' + token.slice(1)]);
});

test('triggers are found in long printable values as in short ones', () => {
  const filler = 'x'.repeat(40) + ' ';
  assert.ok(show(filler + '%3Cb%3E').includes('url: ' + filler + '<b>'));
  assert.ok(show(filler + '&lt;b&gt;').includes('html: ' + filler + '<b>'));
  assert.ok(show(filler + 'sel\u0000ect').includes('nul: ' + filler + 'select'));
  assert.deepEqual(show(filler + '50% & more'), [': ' + filler + '50% & more']);
});

test('a base64 token that only appears after another layer (JavaScript escapes over it) is decoded too', () => {
  const token = Buffer.from('require("child_process").exec("id")').toString('base64');
  const hidden = [...token.slice(0, 6)].map((c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).join('') + token.slice(6);
  assert.ok(show(hidden).includes('js,base64: require("child_process").exec("id")'), show(hidden).join('\n'));
  // Escaped text that is no base64 stays as the escapes gave it.
  assert.deepEqual(show('\\u0041\\u0042 plain words').filter((v) => v.includes('base64')), []);
});
