import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALWAYS_REDACTED_HEADERS, REDACTED, isSecretName, redactExcerpt, redactQuery } from './redaction.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const headers = new Set([...ALWAYS_REDACTED_HEADERS, 'x-internal-secret']);

describe('isSecretName', () => {
  const cases: [string, boolean][] = [
    ['token', true], ['access_token', true], ['PASSWORD', true], ['apiKey', true], ['api-key', true], ['client_secret', true],
    ['sessionid', true], ['Authorization', true], ['code', true], ['sig', true], ['id', false], ['page', false], ['q', false],
  ];
  for (const [name, expected] of cases) test(`${name} → ${expected}`, () => assert.equal(isSecretName(name), expected));
});

describe('redactQuery', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a=1&b=2', 'a=1&b=2'],
    ['token=abc', `token=${REDACTED}`],
    ['id=7&access_token=abc&page=2', `id=7&access_token=${REDACTED}&page=2`],
    ['Password=hunter2&API_KEY=k&x=1', `Password=${REDACTED}&API_KEY=${REDACTED}&x=1`],
    ['token=a=b=c', `token=${REDACTED}`],
    ['token=', `token=${REDACTED}`],
    ['token', 'token'], // no value to redact
    ['code=1&code=2', `code=${REDACTED}&code=${REDACTED}`],
    ['q=token', 'q=token'], // only names decide
    ['a=1&&sig=x', `a=1&&sig=${REDACTED}`],
  ];
  for (const [input, expected] of cases) test(JSON.stringify(input), () => assert.equal(redactQuery(input), expected));

  test('returns the very same string when nothing is secret', () => {
    const raw = 'a=1&b=2&c';
    assert.equal(redactQuery(raw), raw);
  });
});

describe('redactExcerpt', () => {
  const cases: { name: string; excerpt: string | undefined; location: string | undefined; expected: string | undefined }[] = [
    { name: 'undefined stays undefined', excerpt: undefined, location: 'path', expected: undefined },
    { name: 'plain text kept', excerpt: "' OR 1=1 --", location: 'query:id', expected: "' OR 1=1 --" },
    { name: 'no location', excerpt: 'hello', location: undefined, expected: 'hello' },
    { name: 'Authorization header fully redacted', excerpt: 'Basic dXNlcjpwYXNz', location: 'header:authorization', expected: REDACTED },
    { name: 'header location is case-insensitive', excerpt: 'abc', location: 'Header:Cookie', expected: REDACTED },
    { name: 'X-API-Key header', excerpt: 'k-123', location: 'header:x-api-key', expected: REDACTED },
    { name: 'configured extra header', excerpt: 'shh', location: 'header:x-internal-secret', expected: REDACTED },
    { name: 'ordinary header kept', excerpt: 'curl/8.0', location: 'header:user-agent', expected: 'curl/8.0' },
    { name: 'any cookie fully redacted', excerpt: 'theme=dark', location: 'cookie:theme', expected: REDACTED },
    { name: 'secret query parameter fully redacted', excerpt: 'abc', location: 'query:access_token', expected: REDACTED },
    { name: 'ordinary query parameter kept', excerpt: 'abc', location: 'query:name', expected: 'abc' },
    { name: 'JWT in free text replaced', excerpt: `got ${JWT} here`, location: 'body:$.x', expected: `got ${REDACTED} here` },
    { name: 'Bearer credential replaced', excerpt: 'Authorization: Bearer abcdefgh12345678', location: 'header:x-debug', expected: `Authorization: ${REDACTED}` },
    { name: 'Basic credential replaced', excerpt: 'Basic dXNlcjpwYXNzd29yZA== tail', location: 'path', expected: `${REDACTED} tail` },
    { name: 'short Bearer text is not a credential', excerpt: 'Bearer abc', location: 'path', expected: 'Bearer abc' },
    { name: 'several tokens', excerpt: `${JWT} and ${JWT}`, location: undefined, expected: `${REDACTED} and ${REDACTED}` },
    { name: 'secret form field fully redacted', excerpt: "hunter2' or 1=1--", location: 'body:form:password', expected: REDACTED },
    { name: 'secret JSON member fully redacted', excerpt: '<script>', location: 'body:$.user.password', expected: REDACTED },
    { name: 'secret JSON member with a quoted name', excerpt: 'x', location: "body:$['client secret']", expected: REDACTED },
    { name: 'secret multipart field, and its file name', excerpt: 'x', location: 'body:multipart:api_key:filename', expected: REDACTED },
    { name: 'secret XML element', excerpt: 'x', location: 'body:xml:/login/password', expected: REDACTED },
    { name: 'ordinary body field kept', excerpt: "' OR 1=1 --", location: 'body:$.items[0].name', expected: "' OR 1=1 --" },
    { name: 'array index names no field', excerpt: 'x', location: 'body:$.tags[2]', expected: 'x' },
    { name: 'the body as a whole kept', excerpt: 'x', location: 'body', expected: 'x' },
  ];
  for (const { name, excerpt, location, expected } of cases) {
    test(name, () => assert.equal(redactExcerpt(excerpt, location, headers), expected));
  }

  test('secret header not in the given set is only token-redacted', () => {
    assert.equal(redactExcerpt('plain', 'header:authorization', new Set()), 'plain');
  });

  test('truncates to 160 characters plus an ellipsis', () => {
    assert.equal(redactExcerpt('x'.repeat(160), 'path', headers), 'x'.repeat(160));
    assert.equal(redactExcerpt('x'.repeat(161), 'path', headers), `${'x'.repeat(160)}…`);
    assert.equal(redactExcerpt('x'.repeat(1_000_000), 'path', headers), `${'x'.repeat(160)}…`);
  });

  test('a token near the cut is replaced, not shortened', () => {
    const out = redactExcerpt(`${'a'.repeat(140)} ${JWT}`, 'path', headers)!;
    assert.equal(out, `${'a'.repeat(140)} ${REDACTED}`);
    assert.ok(!out.includes('eyJ'));
  });

  test('a token crossing the 160 limit leaves no fragment of it', () => {
    const out = redactExcerpt(`${'a'.repeat(155)} Bearer ${'t'.repeat(40)}`, 'path', headers)!;
    assert.ok(!out.includes('ttt'), out);
  });

  test('bearer scheme is case-insensitive', () => {
    assert.equal(redactExcerpt('authorization: bearer abcdefgh12345678', 'header:x-debug', headers), `authorization: ${REDACTED}`);
  });
});
