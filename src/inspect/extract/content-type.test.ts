import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyKindOf, classifyContentType, mediaCharset, parseContentType, type BodyKind } from './content-type.ts';

/** [Content-Type, expected `type/subtype;k=v;...` (params sorted) or `!reason`] */
const CASES: [string, string][] = [
  // what browsers, curl and API clients send
  ['application/json', 'application/json'],
  ['application/json; charset=utf-8', 'application/json;charset=utf-8'],
  ['application/json;charset=UTF-8', 'application/json;charset=utf-8'],
  ['Application/JSON', 'application/json'],
  ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ['application/x-www-form-urlencoded; charset=ISO-8859-1', 'application/x-www-form-urlencoded;charset=iso-8859-1'],
  ['multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW', 'multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW'],
  ['multipart/form-data; boundary=---------------------------974767299852498929531610575', 'multipart/form-data;boundary=---------------------------974767299852498929531610575'],
  ['multipart/form-data; boundary="simple boundary"', 'multipart/form-data;boundary=simple boundary'],
  ['multipart/form-data;boundary=abc', 'multipart/form-data;boundary=abc'],
  ['text/plain;charset=US-ASCII', 'text/plain;charset=us-ascii'],
  ['text/xml; charset="utf-8"', 'text/xml;charset=utf-8'],
  ['application/vnd.api+json', 'application/vnd.api+json'],
  ['application/json;', 'application/json'],
  ['application/json; ; charset=utf-8', 'application/json;charset=utf-8'],
  ['text/plain; format="a\\"b"', 'text/plain;format=a"b'],
  ['*/*', '*/*'],
  ['application/json;\tcharset=utf-8', 'application/json;charset=utf-8'],
  // refused: shape
  ['', '!invalid_content_type'],
  ['json', '!invalid_content_type'],
  ['application/', '!invalid_content_type'],
  ['/json', '!invalid_content_type'],
  ['application /json', '!invalid_content_type'],
  ['application/ json', '!invalid_content_type'],
  ['\tmultipart/form-data; boundary=abc', '!invalid_content_type'],
  [' application/json', '!invalid_content_type'],
  ['application/json ', '!invalid_content_type'],
  ['text/plain, application/json', '!invalid_content_type'],
  ['text/plain; application/json', '!invalid_content_type'],
  ['text/plain application/json', '!invalid_content_type'],
  ['application/json; charset = utf-8', '!invalid_content_type'],
  ['application/json; charset= utf-8', '!invalid_content_type'],
  ['application/json; charset=', '!invalid_content_type'],
  ['application/json; =utf-8', '!invalid_content_type'],
  ['application/json\u0000', '!invalid_content_type'],
  ['application/js\u00f6n', '!invalid_content_type'],
  ['application/json; a="\u00e9"', '!invalid_content_type'],
  ['application/json; a="unterminated', '!invalid_content_type'],
  ['application/json; a="x"y', '!invalid_content_type'],
  ['application/json; a="\r\n"', '!invalid_content_type'],
  ['a'.repeat(1100) + '/json', '!invalid_content_type'],
  // refused: parameters
  ['multipart/form-data; boundary=a; boundary=b', '!invalid_content_type'],
  ['multipart/form-data; boundary=a; BOUNDARY=b', '!invalid_content_type'],
  ['multipart/form-data; boundary*0=re;boundary*1=al', '!invalid_content_type'],
  ["multipart/form-data; boundary*=utf-8''x", '!invalid_content_type'],
  ['application/json; charset=utf-8; charset=utf-7', '!invalid_content_type'],
  // refused: charsets
  ['application/json; charset=utf-7', '!unsupported_charset'],
  ['text/plain; charset=UTF-16', '!unsupported_charset'],
  ['text/plain; charset=utf-16le', '!unsupported_charset'],
  ['application/x-www-form-urlencoded; charset=ibm037', '!unsupported_charset'],
  ['application/json; charset=ibm500', '!unsupported_charset'],
  ['application/json; charset=utf-32', '!unsupported_charset'],
  ['application/json; charset="utf-7"', '!unsupported_charset'],
  ['text/plain; charset=x-unknown', '!unsupported_charset'],
  // second bytes that may be `\`, `|` or a backquote; stateful escapes; bytes of its own
  ['application/x-www-form-urlencoded; charset=shift_jis', '!unsupported_charset'],
  ['application/x-www-form-urlencoded; charset=GBK', '!unsupported_charset'],
  ['text/plain; charset=gb18030', '!unsupported_charset'],
  ['text/plain; charset=big5', '!unsupported_charset'],
  ['text/plain; charset=iso-2022-jp', '!unsupported_charset'],
  ['text/plain; charset=iso-2022-kr', '!unsupported_charset'],
  ['text/plain; charset=x-user-defined', '!unsupported_charset'],
  ['text/plain; charset=utf-16be', '!unsupported_charset'],
  // accepted
  ['application/x-www-form-urlencoded; charset=EUC-KR', 'application/x-www-form-urlencoded;charset=euc-kr'],
  ['application/json;charset=utf8', 'application/json;charset=utf8'],
];

function show(value: string): string {
  const result = parseContentType(value);
  if ('problem' in result) return '!' + result.problem.reason;
  const params = [...result.params].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `;${k}=${v}`).join('');
  return `${result.type}/${result.subtype}${params}`;
}

for (const [value, expected] of CASES) {
  test(`Content-Type ${JSON.stringify(value.slice(0, 80))} → ${expected}`, () => {
    assert.equal(show(value), expected);
  });
}

const KINDS: [string, BodyKind][] = [
  ['application/json', 'json'],
  ['application/problem+json', 'json'],
  ['application/vnd.api+json; charset=utf-8', 'json'],
  ['text/x-foo+json', 'json'],
  ['application/x-www-form-urlencoded', 'form'],
  ['multipart/form-data; boundary=x', 'multipart'],
  ['multipart/mixed; boundary=x', 'multipart-mixed'],
  ['multipart/related; boundary=x; type="application/json"', 'multipart-mixed'],
  ['multipart/byteranges; boundary=x', 'unknown'],
  ['application/xml', 'xml'],
  ['text/xml', 'xml'],
  ['application/soap+xml', 'xml'],
  ['image/svg+xml', 'xml'],
  ['application/graphql', 'graphql'],
  ['text/plain', 'text'],
  ['text/html', 'text'],
  ['text/csv; charset=utf-8', 'text'],
  ['text/markdown', 'text'],
  ['application/octet-stream', 'file'],
  ['image/png', 'file'],
  ['image/jpeg', 'file'],
  ['video/mp4', 'file'],
  ['font/woff2', 'file'],
  ['application/pdf', 'file'],
  ['application/zip', 'file'],
  ['application/epub+zip', 'file'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'file'],
  ['application/vnd.hancom.hwp', 'file'],
  ['application/json-rpc', 'json'],
  ['application/yaml', 'text'],
  ['application/apply-patch+yaml', 'text'],
  ['application/sparql-query', 'text'],
  ['application/wasm', 'file'],
  ['binary/octet-stream', 'file'],
  ['application/x-sentry-envelope', 'text'],
  ['application/offset+octet-stream', 'file'],
  ['application/x-protobuf', 'protobuf'],
  ['application/grpc-web+proto', 'protobuf'],
  ['application/grpc-web-text', 'protobuf'],
  ['application/proto', 'protobuf'],
  ['message/rfc822', 'text'],
  ['application/msgpack', 'unknown'],
  ['application/cbor', 'unknown'],
  ['application/javascript', 'unknown'],
  ['application/x-json', 'json'],
  ['application/csp-report', 'json'],
  ['application/x-amz-json-1.1', 'json'],
  ['text/json', 'json'],
  ['application/x-ndjson', 'json-lines'],
  ['application/jsonl', 'json-lines'],
  ['application/json-seq', 'json-lines'],
  ['application/x-www-form-urlencoded-x', 'unknown'],
];

for (const [value, kind] of KINDS) {
  test(`body kind of ${value} is ${kind}`, () => {
    const result = bodyKindOf(value);
    assert.ok(!('problem' in result));
    assert.equal(result.kind, kind);
  });
}

test('no Content-Type is the unknown kind; a refused one is a problem', () => {
  assert.deepEqual(bodyKindOf(undefined), { kind: 'unknown' });
  assert.equal(classifyContentType(undefined), 'unknown');
  const refused = bodyKindOf('text/plain; charset=utf-7');
  assert.ok('problem' in refused && refused.problem.reason === 'unsupported_charset');
});

test('a parameter named __proto__ is an ordinary parameter', () => {
  const result = parseContentType('text/plain; __proto__=x');
  assert.ok(!('problem' in result));
  assert.equal(result.params.get('__proto__'), 'x');
});

test('charsets: the names of UTF-8, ISO-8859-1 and EUC-KR are read as them', () => {
  for (const [label, charset] of [['UTF8', 'utf-8'], ['us-ascii', 'utf-8'], ['latin1', 'iso-8859-1'], ['windows-1252', 'iso-8859-1'],
    ['EUC-KR', 'euc-kr'], ['ks_c_5601-1987', 'euc-kr'], ['MS949', 'euc-kr'], ['x-windows-949', 'euc-kr'], ['"cp949"', 'euc-kr']] as const) {
    const media = parseContentType(`application/x-www-form-urlencoded; charset=${label}`);
    assert.ok(!('problem' in media), label);
    assert.equal(mediaCharset(media), charset, label);
  }
  assert.equal(mediaCharset(undefined), 'utf-8');
});

test('never throws on random input', () => {
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = 'ab/;= "\\\t*\u0000\u00e9,-+charsetboundary';
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(40);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    parseContentType(s);
    bodyKindOf(s);
  }
});
