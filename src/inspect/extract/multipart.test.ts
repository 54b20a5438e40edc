import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractMultipart, multipartBoundary } from './multipart.ts';
import { parseContentType, type MediaType } from './content-type.ts';
import type { ExtractResult } from './extract-result.ts';

function media(value: string): MediaType {
  const parsed = parseContentType(value);
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  return parsed;
}

/** Inputs as `location=value` (names as `location#name`), or `!reason/detail`. */
function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return `!${result.problem.reason}/${result.problem.detail ?? ''}`;
  return result.inputs.map((i) => (i.isName ? `${i.location}#${i.value}` : `${i.location}=${i.value}`));
}

/** A body from lines joined with CRLF; binary parts are spliced in as Buffers. */
function body(...pieces: (string | Buffer)[]): Buffer {
  return Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

// A 1x1 PNG: binary, with NUL bytes.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa2b6f5a90000000049454e44ae426082', 'hex');

const CHROME_BOUNDARY = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
const CHROME = body(
  `--${CHROME_BOUNDARY}\r\n`,
  'Content-Disposition: form-data; name="title"\r\n\r\n',
  'Hello, world — café ☕\r\n',
  `--${CHROME_BOUNDARY}\r\n`,
  'Content-Disposition: form-data; name="description"\r\n\r\n',
  'Line one\r\nLine two with "quotes" and <b>tags</b>\r\n',
  `--${CHROME_BOUNDARY}\r\n`,
  'Content-Disposition: form-data; name="avatar"; filename="pixel.png"\r\n',
  'Content-Type: image/png\r\n\r\n',
  PNG,
  `\r\n--${CHROME_BOUNDARY}\r\n`,
  'Content-Disposition: form-data; name="notes"; filename="notes.txt"\r\n',
  'Content-Type: text/plain\r\n\r\n',
  'just some notes\n',
  `\r\n--${CHROME_BOUNDARY}\r\n`,
  'Content-Disposition: form-data; name="empty"; filename=""\r\n',
  'Content-Type: application/octet-stream\r\n\r\n',
  `\r\n--${CHROME_BOUNDARY}--\r\n`,
);

test('Chrome-style upload: text fields, a binary file and a text file', () => {
  assert.deepEqual(show(extractMultipart(CHROME, media(`multipart/form-data; boundary=${CHROME_BOUNDARY}`))), [
    'body:multipart:title#title',
    'body:multipart:title=Hello, world — café ☕',
    'body:multipart:description#description',
    'body:multipart:description=Line one\r\nLine two with "quotes" and <b>tags</b>',
    'body:multipart:avatar#avatar',
    'body:multipart:avatar:header:content-type=image/png',
    'body:multipart:avatar:filename=pixel.png',
    'body:multipart:notes#notes',
    'body:multipart:notes:header:content-type=text/plain',
    'body:multipart:notes:filename=notes.txt',
    'body:multipart:notes:content=just some notes\n',
    'body:multipart:empty#empty',
    'body:multipart:empty:header:content-type=application/octet-stream',
  ]);
});

const FIREFOX_BOUNDARY = '---------------------------974767299852498929531610575';
test('Firefox-style upload: UTF-8 file name, no trailing CRLF after the close delimiter', () => {
  const raw = body(
    `--${FIREFOX_BOUNDARY}\r\n`,
    'Content-Disposition: form-data; name="q"\r\n\r\n',
    'a+b=c&d\r\n',
    `--${FIREFOX_BOUNDARY}\r\n`,
    'Content-Disposition: form-data; name="upload"; filename="résumé 2024.pdf"\r\n',
    'Content-Type: application/pdf\r\n\r\n',
    Buffer.from('%PDF-1.4\n\x00\x01\x02binary', 'latin1'),
    `\r\n--${FIREFOX_BOUNDARY}--`,
  );
  assert.deepEqual(show(extractMultipart(raw, media(`multipart/form-data; boundary=${FIREFOX_BOUNDARY}`))), [
    'body:multipart:q#q', 'body:multipart:q=a+b=c&d',
    'body:multipart:upload#upload', 'body:multipart:upload:header:content-type=application/pdf', 'body:multipart:upload:filename=résumé 2024.pdf',
  ]);
});

test('curl-style upload (-F): octet-stream text file content is inspected, escaped names as browsers send them', () => {
  const b = '------------------------d74496d66958873e';
  const raw = body(
    `--${b}\r\n`,
    'Content-Disposition: form-data; name="user"\r\n\r\n',
    'alice\r\n',
    `--${b}\r\n`,
    'Content-Disposition: form-data; name="script"; filename="run.php"\r\n',
    'Content-Type: application/octet-stream\r\n\r\n',
    '<?php system($_GET["c"]); ?>\n',
    `\r\n--${b}\r\n`,
    'Content-Disposition: form-data; name="a%22b"; filename="C:\\dir\\x.txt"\r\n\r\n',
    'v\r\n',
    `--${b}--\r\n`,
  );
  assert.deepEqual(show(extractMultipart(raw, media(`multipart/form-data; boundary=${b}`))), [
    'body:multipart:user#user', 'body:multipart:user=alice',
    'body:multipart:script#script', 'body:multipart:script:header:content-type=application/octet-stream',
    'body:multipart:script:filename=run.php', 'body:multipart:script:content=<?php system($_GET["c"]); ?>\n',
    'body:multipart:a%22b#a%22b', 'body:multipart:a%22b:filename=C:\\dir\\x.txt', 'body:multipart:a%22b:content=v',
  ]);
});

test('Apache HttpClient 4 style: Content-Transfer-Encoding 8bit or binary on every part changes no byte and is read', () => {
  const raw = body('--hc\r\n', 'Content-Disposition: form-data; name="memo"\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', '송금 메모\r\n',
    '--hc\r\n', 'Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n', 'hello\r\n', '--hc--\r\n');
  const result = show(extractMultipart(raw, media('multipart/form-data; boundary=hc')));
  assert.ok(Array.isArray(result), String(result));
  assert.ok(result.includes('body:multipart:memo=송금 메모') && result.includes('body:multipart:file:content=hello'), result.join('\n'));
});

test('filename* (RFC 8187): read beside filename; a part with only filename* has its content inspected as a field', () => {
  const m = media('multipart/form-data; boundary=xyz');
  // .NET's HttpClient: an encoded-word in filename and the UTF-8 name in filename*; the content is a file's
  assert.deepEqual(show(extractMultipart(body(
    '--xyz\r\n', 'Content-Disposition: form-data; name=file; filename="=?utf-8?B?7ZWc6riALnR4dA==?="; filename*=utf-8\'\'%ED%95%9C%EA%B8%80.txt\r\n',
    'Content-Type: text/plain\r\n\r\n', 'hello\r\n--xyz--\r\n',
  ), m)), [
    'body:multipart:file#file', 'body:multipart:file:header:content-type=text/plain', 'body:multipart:file:filename*=한글.txt',
    'body:multipart:file:filename==?utf-8?B?7ZWc6riALnR4dA==?=', 'body:multipart:file:content=hello',
  ]);
  // an older Python client: filename* alone, which PHP reads as no file name at all
  assert.deepEqual(show(extractMultipart(body(
    '--xyz\r\n', "Content-Disposition: form-data; name=\"doc\"; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n\r\n", 'text of the field\r\n--xyz--\r\n',
  ), m)), ['body:multipart:doc#doc', 'body:multipart:doc:filename*=résumé.txt', 'body:multipart:doc=text of the field']);
});

test('more shapes that pass: no parts, token values, case of header names, extra parameters, charsets', () => {
  const m = media('multipart/form-data; boundary=xyz');
  assert.deepEqual(show(extractMultipart(Buffer.from('--xyz--\r\n'), m)), []);
  assert.deepEqual(show(extractMultipart(Buffer.from('--xyz--'), m)), []);
  assert.deepEqual(show(extractMultipart(body(
    '--xyz\r\n', 'content-disposition: FORM-DATA; NAME=plain; x-extra="e"\r\n', 'CONTENT-TYPE: text/plain; charset=ISO-8859-1\r\n\r\n',
    Buffer.from('caf\xe9', 'latin1'), '\r\n--xyz\r\n',
    'Content-Disposition: form-data; name="u"\r\n', 'Content-Type: text/plain; charset=utf-8\r\n', 'Content-ID: <part1>\r\n\r\n', 'ü\r\n',
    '--xyz\r\n', 'Content-Disposition: form-data; name="_charset_"\r\n\r\n', 'UTF-8\r\n',
    '--xyz--\r\n',
  ), m)), [
    'body:multipart:plain#plain', 'body:multipart:plain:header:content-type=text/plain; charset=ISO-8859-1',
    'body:multipart:plain:param:x-extra=e', 'body:multipart:plain=café',
    'body:multipart:u#u', 'body:multipart:u:header:content-type=text/plain; charset=utf-8', 'body:multipart:u:header:content-id=<part1>', 'body:multipart:u=ü',
    'body:multipart:_charset_#_charset_', 'body:multipart:_charset_=UTF-8',
  ]);
  // a part in EUC-KR, and a form that says its page was EUC-KR
  assert.deepEqual(show(extractMultipart(body(
    '--xyz\r\n', 'Content-Disposition: form-data; name="n"\r\n', 'Content-Type: text/plain; charset=euc-kr\r\n\r\n',
    Buffer.from([0xc8, 0xab, 0xb1, 0xe6, 0xb5, 0xbf]), '\r\n--xyz\r\n',
    'Content-Disposition: form-data; name="_charset_"\r\n\r\n', 'EUC-KR\r\n', '--xyz--\r\n',
  ), m)), [
    'body:multipart:n#n', 'body:multipart:n:header:content-type=text/plain; charset=euc-kr', 'body:multipart:n=홍길동',
    'body:multipart:_charset_#_charset_', 'body:multipart:_charset_=EUC-KR',
  ]);
});

test('the boundary in the middle of a line is content', () => {
  const m = media('multipart/form-data; boundary=b');
  const raw = body('--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x--b y --b--\r\n--b--\r\n');
  assert.deepEqual(show(extractMultipart(raw, m)), ['body:multipart:a#a', 'body:multipart:a=x--b y --b--']);
});

test('a binary file is not read as text, but server code hidden in it is: an image that is also a web shell', () => {
  const m = media('multipart/form-data; boundary=b');
  const gif = Buffer.concat([Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00', 'latin1'), Buffer.alloc(64, 0), Buffer.from('<?PHP system($_GET["c"]); ?>'), Buffer.from([0, 255, 0, 254])]);
  const raw = body('--b\r\n', 'Content-Disposition: form-data; name="avatar"; filename="me.gif"\r\nContent-Type: image/gif\r\n\r\n', gif, '\r\n--b--\r\n');
  const result = extractMultipart(raw, m);
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs.filter((i) => i.location === 'body:multipart:avatar:content').map((i) => i.value), ['<?PHP system($_GET["c"]); ?>']);
  const jsp = Buffer.concat([Buffer.alloc(8, 0), Buffer.from('<%@page import="java.io.*"%><% Runtime.getRuntime().exec(request.getParameter("c")); %>')]);
  const rawJsp = body('--b\r\n', 'Content-Disposition: form-data; name="f"; filename="a.png"\r\n\r\n', jsp, '\r\n--b--\r\n');
  assert.deepEqual((extractMultipart(rawJsp, m) as { inputs: { location: string; value: string }[] }).inputs.filter((i) => i.location.endsWith(':content')).map((i) => i.value), ['<%@page import="java.io.*"%><% Runtime.getRuntime().exec(request.getParameter("c")); %>']);
  // binary without a marker, or with only `<?` and `<%`, gives no content input
  const plain = Buffer.concat([Buffer.alloc(16, 0), Buffer.from('<?xml <% <?ph'), Buffer.alloc(16, 7)]);
  const rawPlain = body('--b\r\n', 'Content-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n', plain, '\r\n--b--\r\n');
  assert.deepEqual((extractMultipart(rawPlain, m) as { inputs: { location: string }[] }).inputs.filter((i) => i.location.endsWith(':content')), []);
});

test('a text file is one input of its whole content (none without file contents); files with NUL bytes are binary', () => {
  const m = media('multipart/form-data; boundary=b');
  // past the 64 KiB that were once the cap: what follows a long start is inspected too
  const text = 'é'.repeat(40_000) + '<?php system($_GET["c"]); ?>';
  const raw = body('--b\r\n', 'Content-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n', text, '\r\n--b--\r\n');
  const result = extractMultipart(raw, m);
  assert.ok('inputs' in result);
  assert.equal(result.inputs.at(-1)!.value, text);
  assert.equal(result.inputs.at(-1)!.location, 'body:multipart:f:content');
  // a file's content has no field name: a part named `file` or `url` says nothing about the text in it
  assert.equal(result.inputs.at(-1)!.name, '');
  assert.deepEqual(show(extractMultipart(raw, m, { fileContents: false })), ['body:multipart:f#f', 'body:multipart:f:filename=a.txt']);
  const nul = body('--b\r\n', 'Content-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n', 'abc\x00def', '\r\n--b--\r\n');
  assert.deepEqual(show(extractMultipart(nul, m)), ['body:multipart:f#f', 'body:multipart:f:header:content-type=text/plain', 'body:multipart:f:filename=a.txt']);
  // Declared text that is not UTF-8 is read as Latin-1; undeclared non-UTF-8 is binary.
  const latin = (type: string) => body('--b\r\n', `Content-Disposition: form-data; name="f"; filename="a"\r\n${type}\r\n`, Buffer.from([0x3c, 0xe9, 0x3e]), '\r\n--b--\r\n');
  assert.equal((extractMultipart(latin('Content-Type: text/html\r\n'), m) as { inputs: { value: string }[] }).inputs.at(-1)!.value, '<é>');
  assert.equal((extractMultipart(latin(''), m) as { inputs: { value: string }[] }).inputs.at(-1)!.value, 'a');
});

/** [description, boundary, body pieces, expected `!reason/detail`] */
const REFUSED: [string, string, (string | Buffer)[], string][] = [
  ['preamble before the first boundary', 'b', ['preamble\r\n--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/preamble'],
  ['CRLF before the first boundary', 'b', ['\r\n--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/preamble'],
  ['epilogue after the close delimiter', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\nepilogue'], '!multipart_invalid/epilogue'],
  ['two CRLF after the close delimiter', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\n\r\n'], '!multipart_invalid/epilogue'],
  ['no closing boundary', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x'], '!multipart_invalid/missing_closing_boundary'],
  ['body ends right after a delimiter', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b'], '!multipart_invalid/missing_closing_boundary'],
  ['boundary absent', 'b', ['hello'], '!multipart_invalid/no_boundary'],
  ['empty body', 'b', [''], '!multipart_invalid/no_boundary'],
  ['LF-only line ends', 'b', ['--b\n', 'Content-Disposition: form-data; name="a"\n\n', 'x\n--b--\n'], '!multipart_invalid/boundary_not_followed_by_crlf'],
  ['LF-only before a delimiter', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\n--b--\r\n'], '!multipart_invalid/boundary_without_crlf'],
  ['LF-only part headers', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\nX-A: 1\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/bare_lf'],
  ['bare CR in part headers', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\rX: 1\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/bare_cr'],
  ['transport padding after a delimiter', 'b', ['--b  \r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/boundary_not_followed_by_crlf'],
  ['the boundary inside content', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r\n--bogus\r\n--b--\r\n'], '!multipart_invalid/boundary_not_followed_by_crlf'],
  ['bare CR before a delimiter', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n\r\n', 'x\r--b--\r\n'], '!multipart_invalid/boundary_without_crlf'],
  ['a delimiter right after the part headers began', 'b', ['--b\r\n--b--\r\n'], '!multipart_invalid/boundary_without_crlf'],
  ['folded part header', 'b', ['--b\r\n', 'Content-Disposition: form-data;\r\n name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/folded_header'],
  ['NUL in a header name', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nconten\x00-extra: 1\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/nul_in_header'],
  ['NUL in form-data', 'b', ['--b\r\n', 'Content-Disposition: form-da\x00a; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/nul_in_header'],
  ['NUL in a name', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="field1\x00"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/nul_in_header'],
  ['control character in a header', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a\x01"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/ctl_in_header'],
  ['DEL in a header', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a\x7f"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/ctl_in_header'],
  ['space before the colon', 'b', ['--b\r\n', 'Content-Disposition : form-data; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_header'],
  ['header line without a colon', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nbogus\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_header'],
  ['duplicate Content-Disposition', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Disposition: form-data; name="b"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/duplicate_header'],
  ['duplicate Content-Type', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain\r\ncontent-type: application/json\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/duplicate_header'],
  ['name given twice', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; name="b"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/duplicate_parameter'],
  ['filename given twice', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename="x.txt"; filename="x.php"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/duplicate_parameter'],
  ['filename* in another charset', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename*=UTF-7\'\'x+AC4-php\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/rfc2231_parameter'],
  ['filename* not UTF-8', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename*=utf-8\'\'%C0%AE.php\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/rfc2231_parameter'],
  ['filename* quoted', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename*="utf-8\'\'x.txt"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/rfc2231_parameter'],
  ['filename*0 continuation', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename*0*=utf-8\'\'x\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/rfc2231_parameter'],
  ['name*0 continuation', 'b', ['--b\r\n', 'Content-Disposition: form-data; name*0="a"; name*1="b"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/rfc2231_parameter'],
  ['escaped quote in a name', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a\\"b"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/escaped_quote'],
  ['unterminated quote', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/unterminated_quote'],
  ['missing ";"', 'b', ['--b\r\n', 'Content-Disposition: form-data name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_disposition'],
  ['trailing ";"', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a";\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_disposition'],
  ['space around "="', 'b', ['--b\r\n', 'Content-Disposition: form-data; name = "a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_disposition'],
  ['missing name', 'b', ['--b\r\n', 'Content-Disposition: form-data; filename="a.txt"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/missing_name'],
  ['attachment disposition', 'b', ['--b\r\n', 'Content-Disposition: attachment; name="a"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/not_form_data'],
  ['no Content-Disposition', 'b', ['--b\r\n', 'Content-Type: text/plain\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/missing_disposition'],
  ['no part headers at all', 'b', ['--b\r\n', '\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/missing_disposition'],
  ['headers not ended by an empty line', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\n--b--\r\n'], '!multipart_invalid/missing_header_terminator'],
  ['Content-Transfer-Encoding', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\n', 'PHNjcmlwdD4=\r\n--b--\r\n'], '!multipart_invalid/content_transfer_encoding'],
  ['Content-Transfer-Encoding quoted-printable', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n', '=3Cscript=3E\r\n--b--\r\n'], '!multipart_invalid/content_transfer_encoding'],
  ['invalid part Content-Type', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain, text/html\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_part_content_type'],
  ['header value not UTF-8', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="a"; filename="', Buffer.from([0xc0, 0xaf]), '"\r\n\r\n', 'x\r\n--b--\r\n'], '!multipart_invalid/invalid_utf8_in_header'],
  // CVE-2026-21876: every part's charset counts, not only the last one's.
  ['UTF-7 in the first part, UTF-8 in the last', 'b', [
    '--b\r\n', 'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n', '+ADw-script+AD4-alert(1)+ADw-/script+AD4-\r\n',
    '--b\r\n', 'Content-Disposition: form-data; name="b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n', 'ok\r\n', '--b--\r\n',
  ], '!unsupported_charset/part_charset'],
  ['UTF-16 file part', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="f"; filename="x"\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n', 'x\r\n--b--\r\n'], '!unsupported_charset/part_charset'],
  ['_charset_ field naming ibm037', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="_charset_"\r\n\r\n', 'ibm037\r\n--b--\r\n'], '!unsupported_charset/charset_field'],
  ['_charset_ field naming Shift_JIS', 'b', ['--b\r\n', 'Content-Disposition: form-data; name="_charset_"\r\n\r\n', 'Shift_JIS\r\n--b--\r\n'], '!unsupported_charset/charset_field'],
];

for (const [description, boundary, pieces, expected] of REFUSED) {
  test(`multipart refused: ${description} → ${expected}`, () => {
    assert.equal(show(extractMultipart(body(...pieces), media(`multipart/form-data; boundary=${boundary}`))), expected);
  });
}

test('boundary parameter checks (RFC 2046: 1-70 bchars, no trailing space)', () => {
  const check = (ct: string) => { const b = multipartBoundary(media(ct)); return typeof b === 'string' ? b : `!${b.problem.detail}`; };
  assert.equal(check('multipart/form-data'), '!missing_boundary');
  assert.equal(check(`multipart/form-data; boundary=${'a'.repeat(70)}`), 'a'.repeat(70));
  assert.equal(check(`multipart/form-data; boundary=${'a'.repeat(71)}`), '!invalid_boundary');
  assert.equal(check('multipart/form-data; boundary="a b"'), 'a b');
  assert.equal(check('multipart/form-data; boundary="ab "'), '!invalid_boundary');
  assert.equal(check('multipart/form-data; boundary="a;b"'), '!invalid_boundary');
  assert.equal(check(`multipart/form-data; boundary="a'()+_,-./:=?"`), "a'()+_,-./:=?");
  assert.equal(check('multipart/form-data; boundary=a*b'), '!invalid_boundary');
});

test('part header block over the limit', () => {
  const m = media('multipart/form-data; boundary=b');
  const long = `Content-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(9000)}\r\n\r\n`;
  assert.equal(show(extractMultipart(body('--b\r\n', long, 'x\r\n--b--\r\n'), m)), '!multipart_invalid/header_block_too_large');
  const unterminated = `Content-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(9000)}`;
  assert.equal(show(extractMultipart(body('--b\r\n', unterminated, '\r\n--b--\r\n'), m)), '!multipart_invalid/header_block_too_large');
  assert.ok('inputs' in extractMultipart(body('--b\r\n', long, 'x\r\n--b--\r\n'), m, { maxPartHeaderBytes: 10_000 }));
});

test('part count limit: 1000 parts pass, 1001 are refused', () => {
  const m = media('multipart/form-data; boundary=b');
  const parts = (n: number) => body(...Array.from({ length: n }, (_, i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n\r\n`), '--b--\r\n');
  assert.ok('inputs' in extractMultipart(parts(1000), m));
  assert.equal(show(extractMultipart(parts(1001), m)), '!multipart_invalid/too_many_parts');
  assert.equal(show(extractMultipart(parts(3), m, { maxInputs: 2 })), '!too_many_inputs/');
});

test('never throws on random or mutated input', () => {
  let seed = 5;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const m = media('multipart/form-data; boundary=b');
  const alphabet = ['--b', '\r\n', '\n', '\r', 'Content-Disposition: form-data; name="a"', '; filename="f"', 'Content-Type: text/plain', '"', ';', 'x', '\x00', ':', ' ', '--'];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(20);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    extractMultipart(Buffer.from(s, 'latin1'), m);
  }
  const base = CHROME.toString('latin1');
  const chrome = media(`multipart/form-data; boundary=${CHROME_BOUNDARY}`);
  for (let k = 0; k < 2000; k++) {
    const at = rand(base.length);
    extractMultipart(Buffer.from(base.slice(0, at) + alphabet[rand(alphabet.length)] + base.slice(at + rand(3)), 'latin1'), chrome);
  }
});

function uploadBody(boundary: string, totalBytes: number): Buffer {
  const pieces: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < totalBytes * 0.2; i++) {
    const piece = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="field${i}"\r\n\r\nvalue number ${i} with some text\r\n`);
    pieces.push(piece);
    size += piece.length;
  }
  const file = Buffer.alloc(Math.max(0, totalBytes - size - 200), 0x61);
  for (let i = 0; i < file.length; i += 97) file[i] = 0x0a;
  pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

test('speed: 10 KB and 1 MB uploads', () => {
  const m = media(`multipart/form-data; boundary=${CHROME_BOUNDARY}`);
  const small = uploadBody(CHROME_BOUNDARY, 10 * 1024);
  const big = uploadBody(CHROME_BOUNDARY, 1024 * 1024);
  for (let k = 0; k < 1000; k++) extractMultipart(small, m, { maxInputs: 1e9, maxParts: 1e9 });
  let start = performance.now();
  for (let k = 0; k < 1000; k++) extractMultipart(small, m, { maxInputs: 1e9, maxParts: 1e9 });
  const smallMs = (performance.now() - start) / 1000;
  for (let k = 0; k < 3; k++) extractMultipart(big, m, { maxInputs: 1e9, maxParts: 1e9 });
  start = performance.now();
  for (let k = 0; k < 10; k++) extractMultipart(big, m, { maxInputs: 1e9, maxParts: 1e9 });
  const bigMs = (performance.now() - start) / 10;
  console.log(`# multipart extract: 10 KB ${smallMs.toFixed(3)} ms, 1 MB ${bigMs.toFixed(2)} ms`);
  assert.ok(smallMs < 5, `10 KB took ${smallMs} ms`);
  assert.ok(bigMs < 400, `1 MB took ${bigMs} ms`);
});
