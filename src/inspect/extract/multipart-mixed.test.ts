import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractMultipartMixed, type PartParser } from './multipart-mixed.ts';
import { extractHttpMessage } from './http-message.ts';
import { extractJson } from './json.ts';
import { parseContentType, type MediaType } from './content-type.ts';
import { failure, type ExtractResult } from './extract-result.ts';

function media(value: string): MediaType {
  const parsed = parseContentType(value);
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  return parsed;
}

/** A small stand-in for the request-body dispatcher: JSON as JSON, no type or text/* as text, others refused. */
const parsePart: PartParser = (m, content, maxInputs) => {
  if (m === undefined || m.type === 'text') return { inputs: [{ source: 'body', name: '', location: 'body', value: content.toString('utf8') }] };
  if (m.subtype === 'json') return extractJson(content, { uniqueKeys: true, scalars: false, maxInputs });
  if (m.type === 'image') return { inputs: [] };
  return failure('unsupported_media_type', `no parser for ${m.type}/${m.subtype}`);
};

function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return `!${result.problem.reason}/${result.problem.detail ?? ''}`;
  return result.inputs.filter((i) => !i.isName).map((i) => `${i.location}=${i.value}`);
}

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
const run = (type: string, body: Buffer, maxInputs?: number): string[] | string =>
  show(extractMultipartMixed(body, media(type), parsePart, maxInputs === undefined ? {} : { maxInputs }));

test('a Drive-style multipart/related upload: the metadata part as JSON, the media by its type', () => {
  const body = crlf('--foo_bar_baz', 'Content-Type: application/json; charset=UTF-8', '', '{"name":"report.pdf","description":"Q3"}',
    '--foo_bar_baz', 'Content-Type: image/jpeg', '', 'JPEG', '--foo_bar_baz--', '');
  assert.deepEqual(run('multipart/related; boundary=foo_bar_baz', body), ['body:part1:$.name=report.pdf', 'body:part1:$.description=Q3']);
});

test('an OData $batch: requests in application/http parts, a changeset nested one level', () => {
  const body = crlf('--batch_1', 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '',
    "GET Customers('ALFKI')?$select=Name&$filter=Name eq 'Kim' HTTP/1.1", 'Accept: application/json', '', '',
    '--batch_1', 'Content-Type: multipart/mixed; boundary=changeset_1', '',
    '--changeset_1', 'Content-Type: application/http', 'Content-ID: 1', '',
    'POST https://host.example/odata/Customers HTTP/1.1', 'Content-Type: application/json', 'Authorization: Bearer secret', '', '{"Name":"Lee"}',
    '--changeset_1--', '', '--batch_1--', '');
  assert.deepEqual(run('multipart/mixed; boundary=batch_1', body), [
    "body:part1:http:path=Customers('ALFKI')",
    'body:part1:http:query:$select=Name',
    "body:part1:http:query:$filter=Name eq 'Kim'",
    'body:part1:http:header:accept=application/json',
    'body:part2:part1:header:content-id=1',
    'body:part2:part1:http:path=/odata/Customers',
    'body:part2:part1:http:body:$.Name=Lee',
  ]);
});

test('a batch request without a body may end with its last header line or its request line, as Google and OData clients write it', () => {
  const body = crlf('--b', 'Content-Type: application/http', '', 'GET /drive/v3/files/f1?fields=id,name', '', '--b', 'Content-Type: application/http',
    'Content-Transfer-Encoding: binary', '', "GET Products?$filter=Name%20eq%20'Milk' HTTP/1.1", 'Accept: application/json', '', '--b--');
  assert.deepEqual(run('multipart/mixed; boundary=b', body), [
    'body:part1:http:path=/drive/v3/files/f1', 'body:part1:http:query:fields=id,name',
    'body:part2:http:path=Products', "body:part2:http:query:$filter=Name eq 'Milk'", 'body:part2:http:header:accept=application/json',
  ]);
});

test('part headers are inputs; a part without headers is text (RFC 2046)', () => {
  const body = crlf('--b', 'Content-ID: <meta@x>', 'Content-Type: text/plain', '', 'hello', '--b', '', 'no headers here', '--b--');
  assert.deepEqual(run('multipart/mixed; boundary=b', body), ['body:part1:header:content-id=<meta@x>', 'body:part1=hello', 'body:part2=no headers here']);
});

test('base64 transfer encoding is decoded and inspected; other encodings are refused (415)', () => {
  const encoded = Buffer.from('; cat /etc/passwd').toString('base64');
  assert.deepEqual(run('multipart/related; boundary=b', crlf('--b', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', encoded.slice(0, 8), encoded.slice(8), '--b--')),
    ['body:part1=; cat /etc/passwd']);
  assert.equal(run('multipart/related; boundary=b', crlf('--b', 'Content-Transfer-Encoding: base64', '', 'not*base64', '--b--')), '!multipart_invalid/invalid_base64');
  assert.equal(run('multipart/related; boundary=b', crlf('--b', 'Content-Transfer-Encoding: quoted-printable', '', 'a=3D1', '--b--')), '!unsupported_transfer_encoding/');
});

test('refused: an unknown part type, malformed framing, deep nesting, a part that is no HTTP request, too many inputs', () => {
  assert.equal(run('multipart/mixed; boundary=b', crlf('--b', 'Content-Type: application/x-unknown', '', 'zz', '--b--')), '!unsupported_media_type/');
  assert.equal(run('multipart/mixed; boundary=b', crlf('preamble', '--b', '', 'x', '--b--')), '!multipart_invalid/preamble');
  assert.equal(run('multipart/mixed; boundary=b', Buffer.from('--b\r\n\r\nx\n--b--')), '!multipart_invalid/boundary_without_crlf');
  const nested = crlf('--a', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: multipart/mixed; boundary=c', '', '--c', '', 'x', '--c--', '--b--', '--a--');
  assert.equal(run('multipart/mixed; boundary=a', nested), '!multipart_invalid/nesting');
  assert.equal(run('multipart/mixed; boundary=b', crlf('--b', 'Content-Type: application/http', '', 'just words here', '--b--')), '!multipart_invalid/request_line');
  assert.equal(run('multipart/mixed; boundary=b', crlf('--b', 'Content-Type: application/http', '', 'GET /x HTTP/1.1', 'no colon', '', '--b--')), '!multipart_invalid/header_line');
  const many = crlf('--b', 'Content-Type: application/json', '', JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']))), '--b--');
  assert.equal(run('multipart/mixed; boundary=b', many, 10), '!too_many_inputs/');
});

test('an HTTP message: the request target, header values (not credentials) and the body by its type', () => {
  const result = extractHttpMessage(Buffer.from('PATCH /v1/items/7?fields=name%2Cprice HTTP/1.1\nContent-Type: application/json\nAuthorization: Basic c2VjcmV0\nIf-Match: "e1"\n\n{"name":"x"}'), {
    prefix: 'p:', body: (m, bytes, max) => parsePart(m, bytes, max),
  });
  assert.deepEqual(show(result), ['p:path=/v1/items/7', 'p:query:fields=name,price', 'p:header:if-match="e1"', 'body:$.name=x']);
  assert.equal(show(extractHttpMessage(Buffer.from('GET /a b'), { prefix: 'p:', body: parsePart })), '!multipart_invalid/request_line');
  assert.equal(show(extractHttpMessage(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0xff]), { prefix: 'p:', body: parsePart })), '!multipart_invalid/invalid_utf8');
});
