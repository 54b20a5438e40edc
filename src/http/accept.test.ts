import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prefersHtml } from './accept.ts';

describe('prefersHtml', () => {
  const cases: [string | undefined, boolean][] = [
    // Browsers
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['text/html', true],
    ['text/html;level=1', true],
    [' text/html ; q=0.5 ', true],
    // API clients, curl
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['application/json, text/plain, */*', false],
    ['application/problem+json', false],
    ['text/*', false],
    // q-values
    ['application/json, text/html;q=0.9', false],
    ['application/json;q=0.5, text/html', true],
    ['text/html;q=0.5, application/problem+json;q=0.8', false],
    ['text/html, application/json', true], // equal quality: HTML wins
    ['text/html;q=0.8, application/json;q=0.8', true],
    ['text/html;q=0', false],
    ['text/html;q=0, */*', false],
    ['text/html;q=abc', false],
    ['text/html;q=0.1, */*;q=0.9', true], // wildcards do not count as JSON
    ['text/html;q=0.2, text/html;q=0.9, application/json;q=0.5', true], // highest html quality counts
    ['text/htmlx', false],
  ];
  for (const [accept, expected] of cases) {
    test(`${JSON.stringify(accept)} → ${expected}`, () => assert.equal(prefersHtml(accept), expected));
  }

  test('media types are case-insensitive (RFC 9110 §8.3.1)', () => {
    assert.equal(prefersHtml('Text/HTML,*/*;q=0.8'), true);
  });
});
