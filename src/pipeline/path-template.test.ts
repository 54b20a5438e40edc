import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRank, compilePathTemplate, type PathTemplate } from './path-template.ts';

/** Segments as the gateway produces them (`decodedSegments`): the path without its leading "/", split on "/". */
const seg = (path: string) => path.slice(1).split('/');

function compile(source: string, caseSensitive = true): PathTemplate {
  const template = compilePathTemplate(source, caseSensitive);
  assert.ok(!('error' in template), `${source}: ${'error' in template ? template.error : ''}`);
  return template;
}

describe('compilePathTemplate: matching', () => {
  const cases: { template: string; path: string; params: Record<string, string> | null; caseSensitive?: boolean }[] = [
    { template: '/', path: '/', params: {} },
    { template: '/', path: '/a', params: null },
    { template: '/shops', path: '/shops', params: {} },
    { template: '/shops', path: '/shops/', params: {} }, // a request's trailing slash is optional
    { template: '/shops/', path: '/shops', params: {} }, // so is a template's
    { template: '/shops/', path: '/shops/', params: {} },
    { template: '/shops', path: '/shop', params: null },
    { template: '/shops', path: '/shops/x', params: null },
    { template: '/shops', path: '/shops//', params: null },
    { template: '/shops/{shopName}/revenue_data.json', path: '/shops/acme/revenue_data.json', params: { shopName: 'acme' } },
    { template: '/shops/{shopName}/revenue_data.json', path: '/shops/acme/revenue_data.json/', params: { shopName: 'acme' } },
    { template: '/shops/{shopName}/revenue_data.json', path: '/shops//revenue_data.json', params: null },
    { template: '/shops/{shopName}/revenue_data.json', path: '/shops/acme/other.json', params: null },
    { template: '/shops/{shopName}/revenue_data.json', path: '/shops/a/b/revenue_data.json', params: null },
    { template: '/shops/{shopName}', path: '/shops/a b%2Fc', params: { shopName: 'a b%2Fc' } }, // segments are already decoded
    { template: '/users/{id}.json', path: '/users/42.json', params: { id: '42' } },
    { template: '/users/{id}.json', path: '/users/.json', params: null }, // a parameter is never empty
    { template: '/users/{id}.json', path: '/users/42.xml', params: null },
    { template: '/users/{id}.json', path: '/users/42.json.json', params: { id: '42.json' } },
    { template: '/files/v{version}', path: '/files/v2', params: { version: '2' } },
    { template: '/files/v{version}', path: '/files/v', params: null },
    { template: '/files/v{version}', path: '/files/x2', params: null },
    { template: '/files/img-{n}.png', path: '/files/img-7.png', params: { n: '7' } },
    { template: '/a/{x}/b/{y}', path: '/a/1/b/2', params: { x: '1', y: '2' } },
    { template: '/static/**', path: '/static/css/site.css', params: { '**': 'css/site.css' } },
    { template: '/static/**', path: '/static/css/', params: { '**': 'css' } },
    { template: '/static/**', path: '/static', params: { '**': '' } },
    { template: '/static/**', path: '/static/', params: { '**': '' } },
    { template: '/static/**', path: '/other/x', params: null },
    { template: '/**', path: '/', params: { '**': '' } },
    { template: '/**', path: '/a/b/c', params: { '**': 'a/b/c' } },
    { template: '/t/{id}/**', path: '/t/9/x/y', params: { id: '9', '**': 'x/y' } },
    { template: '/t/{id}/**', path: '/t', params: null },
    // case sensitivity
    { template: '/Shops/{Name}', path: '/shops/Acme', params: null },
    { template: '/Shops/{Name}', path: '/Shops/Acme', params: { Name: 'Acme' } },
    { template: '/Shops/{Name}', path: '/SHOPS/Acme', params: { Name: 'Acme' }, caseSensitive: false },
    { template: '/users/{id}.JSON', path: '/USERS/AbC.json', params: { id: 'AbC' }, caseSensitive: false }, // values keep their case
    { template: '/users/{id}.json', path: '/users/1.JSON', params: null },
    { template: '/static/**', path: '/STATIC/A/b', params: { '**': 'A/b' }, caseSensitive: false },
  ];
  for (const { template, path, params, caseSensitive = true } of cases) {
    test(`${template} ${caseSensitive ? '' : '(case-insensitive) '}vs ${path}`, () => {
      assert.deepEqual(compile(template, caseSensitive).match(seg(path)), params);
    });
  }

  test('keeps its source', () => assert.equal(compile('/a/{b}').source, '/a/{b}'));
});

describe('compilePathTemplate: invalid templates', () => {
  const cases: [string, string][] = [
    ['', 'must start with "/"'],
    ['shops', 'must start with "/"'],
    ['{id}', 'must start with "/"'],
    ['/a//b', 'empty segment ("//")'],
    ['//', 'empty segment ("//")'],
    ['/**/x', '"**" may only be the last segment'],
    ['/a/**/', '"**" may only be the last segment'],
    ['/a}', 'unbalanced "}" in segment "a}"'],
    ['/{a', 'segment "{a" must hold exactly one {name}'],
    ['/{a}{b}', 'segment "{a}{b}" must hold exactly one {name}'],
    ['/{a}}', 'segment "{a}}" must hold exactly one {name}'],
    ['/{{a}', 'segment "{{a}" must hold exactly one {name}'],
    ['/}{a', 'segment "}{a" must hold exactly one {name}'],
    ['/{}', 'parameter name "" must be letters, digits or _'],
    ['/{1a}', 'parameter name "1a" must be letters, digits or _'],
    ['/{a-b}', 'parameter name "a-b" must be letters, digits or _'],
    [`/{${'a'.repeat(65)}}`, `parameter name "${'a'.repeat(65)}" must be letters, digits or _`],
    ['/{id}/x/{id}', 'parameter "id" appears twice'],
  ];
  for (const [source, error] of cases) {
    test(JSON.stringify(source), () => assert.deepEqual(compilePathTemplate(source, true), { error }));
  }

  test('a 64-character parameter name is fine', () => {
    assert.ok(!('error' in compilePathTemplate(`/{${'a'.repeat(64)}}`, true)));
  });
});

describe('ranking', () => {
  const cases: [string, number[]][] = [
    ['/', []],
    ['/shops', [3]],
    ['/shops/', [3]],
    ['/shops/{id}', [3, 1]],
    ['/shops/{id}.json', [3, 2]],
    ['/shops/v{id}', [3, 2]],
    ['/shops/**', [3, 0]],
    ['/**', [0]],
  ];
  for (const [source, rank] of cases) test(`rank of ${source}`, () => assert.deepEqual(compile(source).rank, rank));

  /** Sorts templates most specific first and returns the first one matching `path`. */
  function best(templates: string[], path: string): string | undefined {
    return templates.map((t) => compile(t))
      .sort((a, b) => compareRank(a.rank, b.rank))
      .find((t) => t.match(seg(path)) !== null)?.source;
  }
  const wins: { templates: string[]; path: string; winner: string }[] = [
    { templates: ['/**', '/shops/{id}', '/shops/acme'], path: '/shops/acme', winner: '/shops/acme' },
    { templates: ['/**', '/shops/{id}', '/shops/acme'], path: '/shops/other', winner: '/shops/{id}' },
    { templates: ['/**', '/shops/{id}', '/shops/acme'], path: '/x', winner: '/**' },
    { templates: ['/shops/**', '/shops'], path: '/shops', winner: '/shops' },
    { templates: ['/shops', '/shops/**'], path: '/shops', winner: '/shops' },
    { templates: ['/shops', '/shops/**'], path: '/shops/1', winner: '/shops/**' },
    { templates: ['/shops/{id}', '/shops/**'], path: '/shops/1', winner: '/shops/{id}' },
    { templates: ['/files/{name}', '/files/{name}.pdf'], path: '/files/a.pdf', winner: '/files/{name}.pdf' },
    { templates: ['/{a}/b', '/a/{b}'], path: '/a/b', winner: '/a/{b}' }, // literal first segment decides
    { templates: ['/**', '/'], path: '/', winner: '/' },
    { templates: ['/a/**', '/a/{x}/**'], path: '/a/b/c', winner: '/a/{x}/**' },
  ];
  for (const { templates, path, winner } of wins) {
    test(`${path} among ${templates.join(' ')} → ${winner}`, () => assert.equal(best(templates, path), winner));
  }

  const comparisons: [number[], number[], number][] = [
    [[3], [3], 0],
    [[3], [1], -1],
    [[1], [3], 1],
    [[3], [3, 0], -1], // ended beats "**"
    [[3, 0], [3], 1],
    [[3], [3, 1], 1], // a parameter beats ended
    [[], [0], -1],
  ];
  for (const [a, b, sign] of comparisons) {
    test(`compareRank(${JSON.stringify(a)}, ${JSON.stringify(b)}) sign ${sign}`, () => assert.equal(Math.sign(compareRank(a, b)), sign));
  }
});
