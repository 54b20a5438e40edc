import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { crlfDetector as detector } from './crlf.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);
const BODY = { source: 'body', name: 'message' } as const;

const attacks: [string, Partial<DetectorContext>][] = [
  ['en\r\nSet-Cookie: session=attacker', {}],
  // in the body of a STOMP frame, as anywhere
  ['SEND\ndestination:/app/chat\n\nhi\r\nSet-Cookie: a=b', { source: 'body', name: '' }],
  ['x\nSet-cookie:crlf=injection', {}],
  ['x\n\rSet-Cookie:a=b', {}],
  ['/home\r\nLocation: http://evil.example/', {}],
  ['%\n\nSet-cookie:crlf=injection', { source: 'path', name: '' }],
  ['\u560d\u560aSet-cookie:crlf=injection', {}],
  ['\u560dSet-Cookie: a=b', { source: 'path', name: '' }],
  ['foobar\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>x</html>', BODY],
  ['a\r\n\r\n<html><script>alert(1)</script></html>', {}],
  ['x\r\n\r\nHTTP/1.1 200 OK', BODY],
  ['aaa\nGET /admin HTTP/1.1\nHost: internal', BODY],
  ['\nPOST /transfer HTTP/1.1', BODY],
  ['aaaHEAD http://example.com/ HTTP/1.1', BODY],
  ['GET http://www.foo.bar HTTP/1.2', {}],
  ['value\r\nX-Injected: 1', {}],
  ['Headerdata\rInjectedHeader: response_splitting_code', { source: 'header', name: 'referer' }],
  ['abc\ndef', { source: 'header', name: 'x-forwarded-for' }],
  ['x\r\ny', { isName: true }],
  ['parameter\r\n', { isName: true }],
  ['\r\nRemote-addr\r\r\r: foo.bar.com', { isName: true }],
  ['file\n.txt', { source: 'path', name: '' }],
  ['text\r\nContent-Type: text/html', BODY],
  ['note\r\nAccess-Control-Allow-Origin: *', BODY],
  ['hi\n Set-Cookie: x=1', {}],
  ['a\r\n\r\n<html><b>x</b></html>', BODY],
  ['\r\n\r\n<html>x</html>', BODY],
  ['Set-Cookie: a=b\r\n\r\n<html>x</html>', BODY],
  ['Nice post\n\n<img src="https://cdn.example/a.png">', {}],
];

const benign: [string, Partial<DetectorContext>][] = [
  // a STOMP frame (STOMP over WebSocket, SockJS's HTTP fallback): STOMP header lines
  ['SEND\ndestination:/app/chat\ncontent-type:application/json\ncontent-length:17\n\n{"text":"hello"}\u0000', { source: 'body', name: '' }],
  ['203.0.113.7 - - [28/Nov/2026:19:08:19 +0900] "GET /search?q=union+station HTTP/2.0" 200 5123', BODY], // an access-log line
  ['Hello team,\r\nthe meeting is at 10.\r\nRegards,\r\nAnna', BODY],
  ['Shipping address:\nLocation: Building 4, floor 2\nHost: Maria', BODY],
  ['Dear Sir,\n\nNote: please call me.\nP.S.: thanks', BODY],
  ['line one\nline two', BODY],
  ['Steps to reproduce:\n1. open page\n2. click: nothing happens', BODY],
  ['a\r\nb', { source: 'body', name: 'comment' }],
  ['Time: 10:30\nDate: Monday', { source: 'query', name: 'notes' }],
  ['你好嘍世界', {}],
  ['私は嘍Note: text', BODY],
  ['budget foo)</bar>\n', BODY],
  ['soundtrack Gympl\nanything', BODY],
  ['get it\n', BODY],
  ['\n\rlocation:\n\r', {}],
  ['"! Y\n', { isName: true, source: 'body' }],
  ['value\r\n', { source: 'header', name: 'referer' }],
  ['The HTTP/2 protocol is faster than HTTP/1.1', {}],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', { source: 'header', name: 'user-agent' }],
  // markup after a paragraph of text in a body field is a document: an image pasted below a line of an issue, a page
  ['Works now, see the screenshot:\n\n<img width="800" alt="image" src="https://cdn.example/a.png">', BODY],
  ['I get this output:\r\n\r\n<!DOCTYPE html>\r\n<html><body>502 Bad Gateway</body></html>', BODY],
];


test('MIME headers of a message pasted into a body field count from paranoia 2; one alone after text is paranoia 1', () => {
  const message = 'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nhello\n--b--\n';
  const found = run(message, { source: 'body', name: 'raw' });
  assert.ok(found.length > 0 && found.every((f) => f.paranoia >= 2));
  assert.ok(run('text\r\nContent-Type: text/html', { source: 'body', name: 'comment' }).some((f) => f.paranoia === 1));
  assert.ok(run('x\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit', { source: 'query', name: 'q' }).some((f) => f.paranoia === 1), 'not in a body: paranoia 1');
});

test('CRLF, header injection and splitting are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    for (const f of fs) {
      assert.equal(f.category, 'crlf');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('newlines in text fields without header lines give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${JSON.stringify(value)}`);
});

test('weak header names in a body field are paranoia 2', () => {
  const fs = run('Address\r\nLocation: http://x.example/', BODY);
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.paranoia, 2);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += '\r\n: -XSet-CokieHTTP/1. GET<html\u560d'[Math.floor(Math.random() * 36)] ?? '';
    run(s);
    run(s, BODY);
  }
  const inputs = [
    'A normal paragraph of text.\r\nAnother line of text here.\r\n'.repeat(3500),
    '\r\n'.repeat(100000),
    '\nX'.repeat(100000),
    ' HTTP/1'.repeat(30000),
    'GET '.repeat(50000),
    '\u560d'.repeat(100000),
    'a:'.repeat(100000),
  ];
  for (const v of inputs) {
    const ms = Math.max(bestOf(() => { run(v); }), bestOf(() => { run(v, BODY); }));
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${JSON.stringify(v.slice(0, 12))}`);
  }
});

test('a header list in a parameter named for one counts from paranoia 2; the same lines elsewhere, or after text, at 1', () => {
  // Google WebChannel (Firebase's Firestore writes) sends the request's headers as one query parameter
  const block = 'X-Goog-Api-Client:gl-js/ fire/10.7.1\r\nContent-Type:text/plain\r\nX-Firebase-GMPID:1:1234:web:abcd\r\n';
  for (const name of ['$httpHeaders', 'headers', 'request[extra_headers]', 'customHeaders']) {
    const fs = run(block, { source: 'query', name });
    assert.ok(fs.length > 0 && fs.every((f) => f.paranoia === 2), `${name}: ${JSON.stringify(fs.map((f) => f.paranoia))}`);
  }
  assert.ok(pl1(run(block, { source: 'query', name: 'q' })).length > 0, 'a parameter that does not say headers');
  assert.ok(pl1(run('x\r\nSet-Cookie: admin=1', { source: 'query', name: 'headers' })).length > 0, 'text with a header after it');
  assert.ok(pl1(run('A: b\r\n\r\n<html><script>alert(1)</script>', { source: 'query', name: 'headers' })).length > 0, 'a body after a blank line');
  assert.ok(pl1(run('Accept: */*\r\nHTTP/1.1 200 OK', { source: 'query', name: 'headers' })).length > 0, 'a status line');
});
