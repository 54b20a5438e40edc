import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INSPECTED_HEADERS, extractHeaders } from './headers.ts';
import type { ExtractResult } from './extract-result.ts';

function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.map((i) => `${i.location}=${i.value}`);
}

const RAW = [
  'Host', 'example.com',
  'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
  'Accept', 'text/html',
  'Content-Type', 'application/json',
  'Cookie', 'a=b',
  'Referer', 'https://example.com/page?x=1',
  'X-Forwarded-For', '203.0.113.7',
  'X-Forwarded-For', '198.51.100.2, 10.0.0.1',
  'X-Api-Version', '${jndi:ldap://x}',
  'Origin', '',
];

test('default headers from rawHeaders, every field line of a repeated header', () => {
  assert.deepEqual(show(extractHeaders(RAW)), [
    'header:user-agent=Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    'header:referer=https://example.com/page?x=1',
    'header:x-forwarded-for=203.0.113.7',
    'header:x-forwarded-for=198.51.100.2, 10.0.0.1',
  ]);
});

test('configured extra names, any case', () => {
  assert.deepEqual(show(extractHeaders(RAW, { extra: ['X-API-Version'] })).at(-1), 'header:x-api-version=${jndi:ldap://x}');
  assert.deepEqual(show(extractHeaders(RAW, { only: ['ACCEPT'] })), ['header:accept=text/html']);
});

test('req.headers records, arrays included', () => {
  assert.deepEqual(show(extractHeaders({ 'user-agent': 'curl/8.5.0', 'x-real-ip': ['1.2.3.4', '5.6.7.8'], host: 'h', 'x-client-ip': undefined })), [
    'header:user-agent=curl/8.5.0', 'header:x-real-ip=1.2.3.4', 'header:x-real-ip=5.6.7.8',
  ]);
});

test('inputs have the header source and the lower-case name', () => {
  const result = extractHeaders(['USER-AGENT', 'x']);
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs, [{ source: 'header', name: 'user-agent', location: 'header:user-agent', value: 'x' }]);
  assert.ok(!DEFAULT_INSPECTED_HEADERS.includes('content-type'));
  assert.ok(!DEFAULT_INSPECTED_HEADERS.includes('cookie'));
});

test('input budget', () => {
  assert.equal(show(extractHeaders(RAW, { maxInputs: 3 })), '!too_many_inputs');
});
