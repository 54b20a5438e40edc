import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalizeTarget, decodedSegments, type TargetOptions, originFormOf } from './request-target.ts';

const STRICT: TargetOptions = { mergeSlashes: true, allowSemicolons: false };
const SEMICOLONS: TargetOptions = { mergeSlashes: true, allowSemicolons: true };
const NO_MERGE: TargetOptions = { mergeSlashes: false, allowSemicolons: false };
const KEEP_SLASHES: TargetOptions = { mergeSlashes: true, allowSemicolons: false, keepEncodedSlashes: true };

/** [target, options, expected canonical `path?query` or `!reason`] */
const CASES: [string, TargetOptions, string][] = [
  // unchanged
  ['/', STRICT, '/'],
  ['/a/b', STRICT, '/a/b'],
  ['/a/b/', STRICT, '/a/b/'],
  ['/a?b=c', STRICT, '/a?b=c'],
  ['/a?', STRICT, '/a'],
  // dot segments (RFC 3986 §5.2.4), also encoded
  ['/a/../admin', STRICT, '/admin'],
  ['/a/./admin', STRICT, '/a/admin'],
  ['/a/%2e%2e/admin', STRICT, '/admin'],
  ['/a/%2E%2E/admin', STRICT, '/admin'],
  ['/a/.%2e/admin', STRICT, '/admin'],
  ['/a/%2e/b', STRICT, '/a/b'],
  ['/a/.', STRICT, '/a/'],
  ['/a/..', STRICT, '/'],
  ['/a/b/..', STRICT, '/a/'],
  ['/.', STRICT, '/'],
  ['/%2e', STRICT, '/'],
  ['/a/...', STRICT, '/a/...'],
  ['/a/..b', STRICT, '/a/..b'],
  ['/a/../../x', STRICT, '!path_above_root'],
  ['/../x', STRICT, '!path_above_root'],
  ['/..', STRICT, '!path_above_root'],
  ['/%2e%2e/x', STRICT, '!path_above_root'],
  // slashes
  ['//admin', STRICT, '/admin'],
  ['/a//b//', STRICT, '/a/b/'],
  ['//', STRICT, '/'],
  ['//admin', NO_MERGE, '!empty_path_segment'],
  ['/a//b', NO_MERGE, '!empty_path_segment'],
  ['/a/', NO_MERGE, '/a/'],
  // escapes: unreserved decoded, the rest upper-cased and kept
  ['/%61dmin', STRICT, '/admin'],
  ['/%41%5a%30%39%2d%2E%5F%7e', STRICT, '/AZ09-._~'],
  ['/a%3cb', STRICT, '/a%3Cb'],
  ['/a%20b', STRICT, '/a%20b'],
  ['/a%25b', STRICT, '/a%25b'],
  ['/a%252fb', STRICT, '/a%252fb'],
  ['/caf%c3%a9', STRICT, '/caf%C3%A9'],
  ['/%e2%82%ac', STRICT, '/%E2%82%AC'],
  ['/%f0%9f%98%80', STRICT, '/%F0%9F%98%80'],
  // refused escapes
  ['/admin%2f', STRICT, '!encoded_path_separator'],
  ['/admin%2F', STRICT, '!encoded_path_separator'],
  ['/a%5cb', STRICT, '!encoded_path_separator'],
  // encodedSlashes: keep: `%2F` stays encoded inside its segment (upper-case hex); `\` is still refused
  ['/api/v4/projects/group%2fapp/files/src%2Fmain.js', KEEP_SLASHES, '/api/v4/projects/group%2Fapp/files/src%2Fmain.js'],
  ['/a/%2e%2e%2fadmin', KEEP_SLASHES, '!encoded_path_separator'],
  ['/a/x%2F..', KEEP_SLASHES, '!encoded_path_separator'],
  ['/a/.%2Fx', KEEP_SLASHES, '!encoded_path_separator'],
  ['/a/v1.2%2F..x', KEEP_SLASHES, '/a/v1.2%2F..x'],
  ['/a/%2e%2e/admin', KEEP_SLASHES, '/admin'],
  ['/a%5cb', KEEP_SLASHES, '!encoded_path_separator'],
  ['/admin%00', STRICT, '!control_character_in_path'],
  ['/a%0a', STRICT, '!control_character_in_path'],
  ['/a%1f', STRICT, '!control_character_in_path'],
  ['/a%7f', STRICT, '!control_character_in_path'],
  ['/%zz', STRICT, '!bad_percent_encoding'],
  ['/a%', STRICT, '!bad_percent_encoding'],
  ['/a%4', STRICT, '!bad_percent_encoding'],
  ['/a%4g', STRICT, '!bad_percent_encoding'],
  ['/admin%u002f', STRICT, '!bad_percent_encoding'],
  // UTF-8 validity of escaped bytes
  ['/a%c0%afb', STRICT, '!invalid_utf8_in_path'],
  ['/%c0%ae%c0%ae/', STRICT, '!invalid_utf8_in_path'],
  ['/%e0%80%af', STRICT, '!invalid_utf8_in_path'],
  ['/a%ff', STRICT, '!invalid_utf8_in_path'],
  ['/a%c3', STRICT, '!invalid_utf8_in_path'],
  ['/%c3/%a9', STRICT, '!invalid_utf8_in_path'],
  ['/%ed%a0%80', STRICT, '!invalid_utf8_in_path'],
  ['/%f4%90%80%80', STRICT, '!invalid_utf8_in_path'],
  // raw characters
  ['/a\\b', STRICT, '!backslash_in_path'],
  ['/a\\..\\admin', STRICT, '!backslash_in_path'],
  ['/a b', STRICT, '!invalid_path_character'],
  ['/a\tb', STRICT, '!invalid_path_character'],
  ['/a\x7fb', STRICT, '!invalid_path_character'],
  ['/a\xffb', STRICT, '!invalid_path_character'],
  // target forms
  ['*', STRICT, '!invalid_request_target'],
  ['http://evil/x', STRICT, '!invalid_request_target'],
  ['', STRICT, '!invalid_request_target'],
  ['a/b', STRICT, '!invalid_request_target'],
  ['/a#frag', STRICT, '!fragment_in_target'],
  ['/a?b#frag', STRICT, '!fragment_in_target'],
  // semicolons
  ['/admin;x=1', STRICT, '!semicolon_in_path'],
  ['/admin%3bx', STRICT, '!semicolon_in_path'],
  ['/admin;x=1', SEMICOLONS, '/admin;x=1'],
  ['/admin%3bx', SEMICOLONS, '/admin%3Bx'],
  ['/a;v=1/b;w=2', SEMICOLONS, '/a;v=1/b;w=2'],
  ['/;jsessionid=1', SEMICOLONS, '/;jsessionid=1'],
  ['/a/b;x/..', SEMICOLONS, '/a/'],
  ['/public/..;/admin', SEMICOLONS, '!semicolon_in_path'],
  ['/public/%2e%2e;/admin', SEMICOLONS, '!semicolon_in_path'],
  ['/a/.;x/b', SEMICOLONS, '!semicolon_in_path'],
  ['/admin/.;x', SEMICOLONS, '!semicolon_in_path'],
  ['/;x/admin', SEMICOLONS, '!semicolon_in_path'],
  ['/a/;x/b', SEMICOLONS, '!semicolon_in_path'],
  // query: kept as received, only validated
  ['/q?id=1&id=2', STRICT, '/q?id=1&id=2'],
  ['/q?a=%2e%2E&b=%2f', STRICT, '/q?a=%2e%2E&b=%2f'],
  ['/q?a=1;b=2&c[d]=3', STRICT, '/q?a=1;b=2&c[d]=3'],
  ['/q?x=/../y', STRICT, '/q?x=/../y'],
  ['/q?a=b?c', STRICT, '/q?a=b?c'],
  ['/q?a=%zz', STRICT, '!bad_percent_encoding'],
  ['/q?a=%', STRICT, '!bad_percent_encoding'],
  ['/q?a=%4', STRICT, '!bad_percent_encoding'],
  ['/q?a=b c', STRICT, '!invalid_query_character'],
  ['/q?a=\x01', STRICT, '!invalid_query_character'],
  ['/q?a=\xe9', STRICT, '!invalid_query_character'],
];

for (const [target, options, expected] of CASES) {
  const label = `${JSON.stringify(target)}${options === SEMICOLONS ? ' (semicolons allowed)' : options === NO_MERGE ? ' (no slash merge)' : options === KEEP_SLASHES ? ' (encoded slashes kept)' : ''}`;
  test(`canonicalizeTarget ${label} → ${expected}`, () => {
    const result = canonicalizeTarget(target, options);
    if (expected.startsWith('!')) {
      assert.ok('reason' in result, `refused, got ${JSON.stringify(result)}`);
      assert.equal(result.reason, expected.slice(1));
      assert.equal(result.status, 400);
      assert.ok(result.message.length > 0);
    } else {
      assert.ok(!('reason' in result), `accepted, got ${JSON.stringify(result)}`);
      assert.equal(result.rawQuery === '' ? result.path : `${result.path}?${result.rawQuery}`, expected);
    }
  });
}

test('canonicalization is idempotent: the canonical form canonicalizes to itself', () => {
  for (const [target, options, expected] of CASES) {
    if (expected.startsWith('!')) continue;
    const again = canonicalizeTarget(expected, options);
    assert.ok(!('reason' in again), `${target}: ${JSON.stringify(again)}`);
    assert.equal(again.rawQuery === '' ? again.path : `${again.path}?${again.rawQuery}`, expected, target);
  }
});

test('decodedSegments decodes escapes per segment for routing', () => {
  assert.deepEqual(decodedSegments('/'), ['']);
  assert.deepEqual(decodedSegments('/a/b/'), ['a', 'b', '']);
  assert.deepEqual(decodedSegments('/caf%C3%A9/x%20y'), ['café', 'x y']);
  assert.deepEqual(decodedSegments('/a%25b'), ['a%b']);
  assert.deepEqual(decodedSegments('/a%3Bb'), ['a;b']);
});

test('absolute-form targets are read as their origin-form when they name the Host header\'s host, else refused', () => {
  const cases: [string, string | undefined, string][] = [
    ['/x?q=1', 'a.test', '/x?q=1'],
    ['*', 'a.test', '*'],
    ['http://a.test/x?q=1', 'a.test', '/x?q=1'],
    ['http://a.test', 'a.test', '!invalid_request_target'],
    ['http://a.test?q=1', 'a.test', '!invalid_request_target'],
    ['HTTP://A.Test:80/x', 'a.test', '/x'],
    ['http://a.test./x', 'a.test', '/x'],
    ['http://a.test/', 'a.test', '/'],
    ['https://a.test/x', 'a.test:443', '/x'],
    ['http://127.0.0.1:8080/x', '127.0.0.1:8080', '/x'],
    ['http://[::1]:8080/x', '[::1]:8080', '/x'],
    ['http://evil.test/x', 'a.test', '!invalid_request_target'],
    ['http://a.test:8080/x', 'a.test', '!invalid_request_target'],
    ['https://a.test/x', 'a.test:80', '!invalid_request_target'],
    ['http://user@a.test/x', 'a.test', '!invalid_request_target'],
    ['http://a.test/x', undefined, '!invalid_request_target'],
    ['ftp://a.test/x', 'a.test', '!invalid_request_target'],
    ['a.test/x', 'a.test', '!invalid_request_target'],
  ];
  for (const [target, host, expected] of cases) {
    const result = originFormOf(target, host);
    assert.equal(typeof result === 'string' ? result : '!' + result.reason, expected, `${target} with Host ${host}`);
  }
});
