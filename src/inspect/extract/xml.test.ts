import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractXml } from './xml.ts';
import type { ExtractResult } from './extract-result.ts';

/** Inputs as `path=value` (prefix dropped), or `!reason`. */
function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.map((i) => `${i.location.slice(9)}=${i.value}`);
}

const ACCEPTED: [string, string, string[]][] = [
  ['simple document', '<a>hello</a>', ['/a=hello']],
  ['declaration, attributes, nesting', '<?xml version="1.0" encoding="UTF-8"?>\n<order id="42" currency=\'EUR\'>\n  <item sku="A-1">Book</item>\n  <item sku="B-2"/>\n</order>\n', [
    '/order/@id=42', '/order/@currency=EUR', '/order/item/@sku=A-1', '/order/item=Book', '/order/item/@sku=B-2',
  ]],
  ['namespaces (SOAP)', '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:m="urn:x"><soap:Body><m:GetPrice><m:Item>Apples</m:Item></m:GetPrice></soap:Body></soap:Envelope>', [
    '/soap:Envelope/@xmlns:soap=http://www.w3.org/2003/05/soap-envelope', '/soap:Envelope/@xmlns:m=urn:x', '/soap:Envelope/soap:Body/m:GetPrice/m:Item=Apples',
  ]],
  ['CDATA joined with text, as a binder reads it', '<q>a <![CDATA[<script>alert(1)</script>]]> b</q>', ['/q=a <script>alert(1)</script> b']],
  ['CDATA with markup characters', '<code><![CDATA[if (a < b && c > d) { x = "]]" }]]></code>', ['/code=if (a < b && c > d) { x = "]]" }']],
  ['entities and character references decoded', '<t a="&lt;&#60;&#x3C;&quot;&apos;">&amp;lt; &#x1F600;</t>', ['/t/@a=<<<"\'', '/t=&lt; 😀']],
  ['comments are inputs, and do not split text', '<a>sel<!-- x -->ect</a><!-- trailing -->', ['/a/#comment= x ', '/a=select', '/#comment= trailing ']],
  ['processing instructions are inputs', '<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><a><?php echo 1; ?></a>', ['/?xml-stylesheet=xml-stylesheet href="s.xsl"', '/a/?php=php echo 1; ']],
  ['mixed content: own text only', '<p>Hello <b>bold</b> world</p>', ['/p/b=bold', '/p=Hello  world']],
  ['white space only text is skipped', '<a>\n  <b> </b>\n</a>', []],
  ['UTF-8 text', '<name>Zoë 日本</name>', ['/name=Zoë 日本']],
  ['self-closing root', '<empty/>', []],
  ['spaces inside tags', '<a  x = "1"  ></a >', ['/a/@x=1']],
  ['ISO-8859-1 declaration', '<?xml version="1.0" encoding="ISO-8859-1"?><a>x</a>', ['/a=x']],
];

for (const [description, doc, expected] of ACCEPTED) {
  test(`XML accepted: ${description}`, () => {
    assert.deepEqual(show(extractXml(doc)), expected);
    assert.deepEqual(show(extractXml(Buffer.from(doc, 'utf8'))), expected);
  });
}

const REFUSED: [string, string, string][] = [
  // DTDs and entities: never processed
  ['DOCTYPE with an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', 'xml_dtd_forbidden'],
  ['DOCTYPE without internal subset', '<!DOCTYPE html><a/>', 'xml_dtd_forbidden'],
  ['billion laughs', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>', 'xml_dtd_forbidden'],
  ['lower-case doctype', '<!doctype a><a/>', 'xml_dtd_forbidden'],
  ['ENTITY inside the root', '<a><!ENTITY x "y"></a>', 'xml_dtd_forbidden'],
  ['ELEMENT declaration', '<a><!ELEMENT a ANY></a>', 'xml_dtd_forbidden'],
  // well-formedness
  ['undefined entity', '<a>&xxe;</a>', 'xml_invalid'],
  ['undefined entity in an attribute', '<a b="&foo;"/>', 'xml_invalid'],
  ['bare ampersand', '<a>fish & chips</a>', 'xml_invalid'],
  ['unterminated reference', '<a>&lt</a>', 'xml_invalid'],
  ['character reference to NUL', '<a>&#0;</a>', 'xml_invalid'],
  ['character reference to a surrogate', '<a>&#xD800;</a>', 'xml_invalid'],
  ['character reference out of range', '<a>&#x110000;</a>', 'xml_invalid'],
  ['unclosed element', '<a><b></b>', 'xml_invalid'],
  ['mismatched end tag', '<a><b></a></b>', 'xml_invalid'],
  ['stray end tag', '<a></a></b>', 'xml_invalid'],
  ['two roots', '<a/><b/>', 'xml_invalid'],
  ['text outside the root', 'hello<a/>', 'xml_invalid'],
  ['text after the root', '<a/>tail', 'xml_invalid'],
  ['no root', '<?xml version="1.0"?>', 'xml_invalid'],
  ['empty document', '', 'xml_invalid'],
  ['duplicate attribute', '<a x="1" x="2"/>', 'xml_invalid'],
  ['unquoted attribute', '<a x=1/>', 'xml_invalid'],
  ['attribute without value', '<a x/>', 'xml_invalid'],
  ['attributes not separated', '<a x="1"y="2"/>', 'xml_invalid'],
  ['"<" in an attribute value', '<a x="<"/>', 'xml_invalid'],
  ['"--" inside a comment', '<a><!-- a -- b --></a>', 'xml_invalid'],
  ['unterminated comment', '<a><!-- x</a>', 'xml_invalid'],
  ['unterminated CDATA', '<a><![CDATA[x</a>', 'xml_invalid'],
  ['CDATA outside the root', '<![CDATA[x]]><a/>', 'xml_invalid'],
  ['declaration not at the start', ' <?xml version="1.0"?><a/>', 'xml_invalid'],
  ['second declaration', '<?xml version="1.0"?><a><?xml version="1.0"?></a>', 'xml_invalid'],
  ['NUL in text', '<a>x\u0000y</a>', 'xml_invalid'],
  ['control character in an attribute', '<a b="\u0001"/>', 'xml_invalid'],
  ['"<" followed by a space', '<a>< b</a>', 'xml_invalid'],
  ['unknown markup declaration', '<a><!FOO></a>', 'xml_invalid'],
  ['unterminated start tag', '<a x="1"', 'xml_invalid'],
  // charsets
  ['UTF-7 declaration', '<?xml version="1.0" encoding="UTF-7"?><a>+ADw-script+AD4-</a>', 'unsupported_charset'],
  ['UTF-16 declaration', '<?xml version="1.0" encoding="UTF-16"?><a/>', 'unsupported_charset'],
  ['EBCDIC declaration', "<?xml version='1.0' encoding='IBM037'?><a/>", 'unsupported_charset'],
];

for (const [description, doc, reason] of REFUSED) {
  test(`XML refused: ${description} → ${reason}`, () => {
    assert.equal(show(extractXml(doc)), '!' + reason);
  });
}

test('byte bodies: BOMs and invalid UTF-8', () => {
  assert.deepEqual(show(extractXml(Buffer.from('\ufeff<a>x</a>', 'utf8'))), ['/a=x']);
  assert.equal(show(extractXml(Buffer.from([0xff, 0xfe, 0x3c, 0x00]))), '!unsupported_charset');
  assert.equal(show(extractXml(Buffer.from([0xfe, 0xff, 0x00, 0x3c]))), '!unsupported_charset');
  assert.equal(show(extractXml(Buffer.from([0x3c, 0x61, 0x3e, 0xc0, 0xaf, 0x3c, 0x2f, 0x61, 0x3e]))), '!xml_invalid');
  assert.deepEqual(show(extractXml(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?><a>'), Buffer.from([0xe9]), Buffer.from('</a>')]))), ['/a=é']);
  assert.deepEqual(show(extractXml(Buffer.from([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e]), { charset: 'iso-8859-1' })), ['/a=é']);
  // EUC-KR by its declaration, or by the Content-Type's charset, which decides over it
  const hong = Buffer.from([0xc8, 0xab, 0xb1, 0xe6, 0xb5, 0xbf]);
  assert.deepEqual(show(extractXml(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="EUC-KR"?><a>'), hong, Buffer.from('</a>')]))), ['/a=홍길동']);
  assert.deepEqual(show(extractXml(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="utf-8"?><a>'), hong, Buffer.from('</a>')]), { charset: 'euc-kr' })), ['/a=홍길동']);
  assert.equal(show(extractXml(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="euc-kr"?><a>'), Buffer.from([0xc8, 0x3c]), Buffer.from('/a>')]))), '!xml_invalid');
  assert.equal(show(extractXml(Buffer.from('<?xml version="1.0" encoding="Shift_JIS"?><a/>'))), '!unsupported_charset');
});

test('depth and node limits', () => {
  const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
  assert.ok('inputs' in extractXml(nested(256)));
  assert.equal(show(extractXml(nested(257))), '!xml_too_deep');
  assert.equal(show(extractXml('<a>'.repeat(1_000_000))), '!xml_too_deep');
  assert.equal(show(extractXml(nested(5), { maxDepth: 4 })), '!xml_too_deep');
  const wide = (n: number) => `<r>${'<i/>'.repeat(n)}</r>`;
  assert.ok('inputs' in extractXml(wide(9999)));
  assert.equal(show(extractXml(wide(10_000))), '!xml_too_many_nodes');
  assert.equal(show(extractXml('<a x="1" y="2" z="3"/>', { maxNodes: 3 })), '!xml_too_many_nodes');
  assert.equal(show(extractXml(`<r>${'<i>x</i>'.repeat(5)}</r>`, { maxInputs: 4 })), '!too_many_inputs');
});

test('linear on hostile shapes', () => {
  for (const doc of [`<a>${'&'.repeat(200_000)}</a>`, `<a>${'&#'.repeat(100_000)}</a>`, `<a>${'<!-'.repeat(100_000)}</a>`, `<a b="${'x'.repeat(500_000)}`, `<a>${'<![CDATA['.repeat(50_000)}`]) {
    const start = performance.now();
    extractXml(doc);
    assert.ok(performance.now() - start < 300, doc.slice(0, 20));
  }
});

test('never throws on random or mutated input', () => {
  let seed = 9;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = ['<', '>', '/', 'a', 'b', '="', '"', "'", '&', ';', '#x3c', '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', ' ', '<!DOCTYPE', '\u0000', 'lt'];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(25);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    extractXml(s);
  }
});

test('many attributes on one element stay linear', () => {
  const attrs = Array.from({ length: 9000 }, (_, i) => `a${i}="v"`).join(' ');
  const start = performance.now();
  assert.ok('inputs' in extractXml(`<r ${attrs}/>`, { maxInputs: 1e9 }));
  assert.ok(performance.now() - start < 300);
});
