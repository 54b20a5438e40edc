import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { checkRequestHead, isValidHost, hostName, type HeadRules } from './request-head.ts';

const RULES: HeadRules = { maxHeaderCount: 100, underscoresInHeaders: 'reject' };

/** A request head as Node would present it: raw headers in order, `headers.host` as the first Host. */
function head(rawHeaders: string[], httpVersion = '1.1'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (headers[name] === undefined) headers[name] = rawHeaders[i + 1]!;
  }
  return { httpVersion, rawHeaders, headers } as unknown as IncomingMessage;
}

/** [label, raw headers, HTTP version, rules, expected reason or null] */
const CASES: [string, string[], string, HeadRules, string | null][] = [
  ['plain GET', ['Host', 'a.test'], '1.1', RULES, null],
  ['HTTP/1.0 without Host', [], '1.0', RULES, null],
  ['HTTP/1.1 without Host', ['Accept', '*/*'], '1.1', RULES, 'missing_host'],
  ['HTTP/2.0', ['Host', 'a.test'], '2.0', RULES, 'http_version_not_supported'],
  ['HTTP/0.9', [], '0.9', RULES, 'http_version_not_supported'],
  ['HTTP/1.2', ['Host', 'a.test'], '1.2', RULES, 'http_version_not_supported'],
  // B1/B2 duplicate singletons, any case
  ['duplicate Host', ['Host', 'a.test', 'host', 'b.test'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Host, same value', ['Host', 'a.test', 'HOST', 'a.test'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Content-Length', ['Host', 'a', 'Content-Length', '1', 'content-length', '1'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Content-Type', ['Host', 'a', 'Content-Type', 'text/plain', 'Content-Type', 'application/json'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Transfer-Encoding', ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Authorization', ['Host', 'a', 'Authorization', 'Basic a', 'Authorization', 'Basic b'], '1.1', RULES, 'duplicate_header'],
  ['duplicate Content-Encoding', ['Host', 'a', 'Content-Encoding', 'gzip', 'Content-Encoding', 'gzip'], '1.1', RULES, 'duplicate_header'],
  ['repeated ordinary header', ['Host', 'a', 'Accept', 'a/b', 'Accept', 'c/d', 'Cookie', 'a=1', 'Cookie', 'b=2'], '1.1', RULES, null],
  // B7 obs-text
  ['obs-text in Host', ['Host', '\xffa\xff'], '1.1', RULES, 'invalid_header_value'],
  ['obs-text in Authorization', ['Host', 'a', 'Authorization', '\x85admin\xa0'], '1.1', RULES, 'invalid_header_value'],
  ['obs-text in Content-Type', ['Host', 'a', 'Content-Type', 'application/json\xa0'], '1.1', RULES, 'invalid_header_value'],
  ['obs-text in Content-Length', ['Host', 'a', 'Content-Length', '1\xa0'], '1.1', RULES, 'invalid_header_value'],
  ['obs-text in Transfer-Encoding', ['Host', 'a', 'Transfer-Encoding', '\xa0chunked'], '1.1', RULES, 'invalid_header_value'],
  ['obs-text in an ordinary header', ['Host', 'a', 'X-Name', 'a\xffb'], '1.1', RULES, null],
  // A4/A5 transfer codings
  ['TE chunked', ['Host', 'a', 'Transfer-Encoding', 'chunked'], '1.1', RULES, null],
  ['TE Chunked, padded', ['Host', 'a', 'Transfer-Encoding', ' Chunked '], '1.1', RULES, null],
  ['TE gzip, chunked', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE ,chunked', ['Host', 'a', 'Transfer-Encoding', ',chunked'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE chunked, chunked', ['Host', 'a', 'Transfer-Encoding', 'chunked, chunked'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE identity', ['Host', 'a', 'Transfer-Encoding', 'identity'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE xchunked', ['Host', 'a', 'Transfer-Encoding', 'xchunked'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE empty', ['Host', 'a', 'Transfer-Encoding', ''], '1.1', RULES, 'invalid_transfer_encoding'],
  ['TE on HTTP/1.0', ['Transfer-Encoding', 'chunked'], '1.0', RULES, 'invalid_transfer_encoding'],
  ['TE with CL', ['Host', 'a', 'Content-Length', '5', 'Transfer-Encoding', 'chunked'], '1.1', RULES, 'invalid_transfer_encoding'],
  ['CL with TE', ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Content-Length', '5'], '1.1', RULES, 'invalid_transfer_encoding'],
  // B5 underscores
  ['underscore, reject', ['Host', 'a', 'Content_Type', 'application/json'], '1.1', RULES, 'underscore_in_header_name'],
  ['underscore, drop', ['Host', 'a', 'Content_Type', 'application/json'], '1.1', { ...RULES, underscoresInHeaders: 'drop' }, null],
  ['underscore, allow', ['Host', 'a', 'X_A', '1'], '1.1', { ...RULES, underscoresInHeaders: 'allow' }, null],
  // ambiguous (the default): refused where the name, read with `-`, is a header that matters here
  ['underscore, ambiguous, Content_Type', ['Host', 'a', 'Content_Type', 'application/json'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['underscore, ambiguous, Transfer_Encoding', ['Host', 'a', 'Transfer_Encoding', 'chunked'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['underscore, ambiguous, X_Forwarded_For', ['Host', 'a', 'X_Forwarded_For', '10.0.0.1'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['ASP.NET charset override', ['Host', 'a', 'User-Agent', 'UP/1.0', 'X-Up-Devcap-Post-Charset', 'ibm037'], '1.1', RULES, 'charset_override_header'],
  ['ASP.NET charset override, in any case', ['Host', 'a', 'user-agent', 'up.browser/6', 'x-up-devcap-post-charset', 'utf-8'], '1.1', RULES, 'charset_override_header'],
  ['ASP.NET charset override with another User-Agent: ignored by ASP.NET', ['Host', 'a', 'User-Agent', 'Mozilla/5.0', 'X-Up-Devcap-Post-Charset', 'ibm037'], '1.1', RULES, null],
  ['ASP.NET charset override without a User-Agent', ['Host', 'a', 'X-Up-Devcap-Post-Charset', 'ibm037'], '1.1', RULES, null],
  ['underscore, ambiguous, X_Up_Devcap_Post_Charset', ['Host', 'a', 'X_Up_Devcap_Post_Charset', 'ibm037'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['underscore, ambiguous, X_HTTP_Method_Override', ['Host', 'a', 'X_HTTP_Method_Override', 'DELETE'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['underscore, ambiguous, a header the policy names', ['Host', 'a', 'X_Api_Key', 'k'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous', namedHeaders: new Set(['x-api-key']) }, 'underscore_in_header_name'],
  ['underscore, ambiguous, both spellings', ['Host', 'a', 'X-Tenant', 'a', 'x_tenant', 'b'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous' }, 'underscore_in_header_name'],
  ['underscore, ambiguous, api_key alone', ['Host', 'a', 'api_key', 'special-key', 'X_Device_Id', 'd1'], '1.1', { ...RULES, underscoresInHeaders: 'ambiguous', namedHeaders: new Set(['x-api-key']) }, null],
  // Host syntax
  ['Host with port', ['Host', 'a.test:8080'], '1.1', RULES, null],
  ['Host IPv6', ['Host', '[::1]:8080'], '1.1', RULES, null],
  ['Host empty', ['Host', ''], '1.1', RULES, 'invalid_host'],
  ['Host with path', ['Host', 'a.test/x'], '1.1', RULES, 'invalid_host'],
  ['Host with userinfo', ['Host', 'user@a.test'], '1.1', RULES, 'invalid_host'],
  ['Host with space', ['Host', 'a .test'], '1.1', RULES, 'invalid_host'],
  ['Host with empty label', ['Host', 'admin.test..'], '1.1', RULES, 'invalid_host'],
  ['Host IPv6 unclosed', ['Host', '[::1'], '1.1', RULES, 'invalid_host'],
];

for (const [label, raw, version, rules, expected] of CASES) {
  test(`checkRequestHead: ${label} → ${expected ?? 'accepted'}`, () => {
    const problem = checkRequestHead(head(raw, version), rules);
    if (expected === null) {
      assert.equal(problem, null);
    } else {
      assert.ok(problem, 'refused');
      assert.equal(problem.reason, expected);
      assert.equal(problem.status, expected === 'http_version_not_supported' ? 505 : 400);
      assert.ok(problem.message.length > 0);
    }
  });
}

test('checkRequestHead: header count limit → 431 one above the limit, never before', () => {
  const fields = (n: number) => ['Host', 'a', ...Array.from({ length: n - 1 }, (_, i) => [`X-${i}`, 'v']).flat()];
  assert.equal(checkRequestHead(head(fields(100)), RULES), null);
  const problem = checkRequestHead(head(fields(101)), RULES);
  assert.equal(problem?.status, 431);
  assert.equal(problem?.reason, 'too_many_headers');
  assert.equal(checkRequestHead(head(fields(2500)), RULES)?.status, 431);
  assert.equal(checkRequestHead(head(fields(5)), { ...RULES, maxHeaderCount: 4 })?.reason, 'too_many_headers');
});

test('isValidHost', () => {
  for (const host of ['a', 'a.test', 'A-1.example.com', '127.0.0.1', '127.0.0.1:80', '[::1]', '[2001:db8::1]:443', 'a.test.', 'billing_service:8080', '_dmarc.example.com']) {
    assert.equal(isValidHost(host), true, host);
  }
  for (const host of ['', ':80', '-a', '.a', 'a..b', 'a b', 'a/b', 'a@b', 'a:', 'a:port', '[::1', '::1', 'a\u00ff']) {
    assert.equal(isValidHost(host), false, host);
  }
});

test('hostName: lower-cased, without port, brackets or the trailing dot of an FQDN', () => {
  assert.equal(hostName(undefined), '');
  assert.equal(hostName(''), '');
  assert.equal(hostName('Admin.Example.COM'), 'admin.example.com');
  assert.equal(hostName('admin.example.com:8443'), 'admin.example.com');
  assert.equal(hostName('admin.example.com.'), 'admin.example.com');
  assert.equal(hostName('admin.example.com.:80'), 'admin.example.com');
  assert.equal(hostName('[2001:DB8::1]:443'), '2001:db8::1');
  assert.equal(hostName('127.0.0.1:80'), '127.0.0.1');
});
