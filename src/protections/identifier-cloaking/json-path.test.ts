import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, forEachMatch, setMember, VisitedSet, type JsonPath } from './json-path.ts';
import { parseJson, stringifyJson } from './json-body.ts';

function path(source: string): JsonPath {
  const compiled = compileJsonPath(source);
  assert.ok(!('error' in compiled), `${source}: ${(compiled as { error: string }).error}`);
  return compiled;
}

/** Replaces every match with `<old>` marked, and returns the document. */
function mark(document: unknown, sources: string[], ignoreCase = false): unknown {
  const visited = new VisitedSet();
  for (const source of sources) {
    forEachMatch(document, path(source), ignoreCase, visited, (container, key) => {
      setMember(container, key, `<${String((container as Record<string | number, unknown>)[key])}>`);
      return true;
    });
  }
  return document;
}

describe('json paths', () => {
  test('compile errors', () => {
    for (const bad of ['', 'shops', '$', '$.', '$..', '$[', '$[x]', '$[-1]', "$['a", '$.a b', '$.a[?(@.x)]', '$.a[0:2]']) {
      assert.ok('error' in compileJsonPath(bad), bad);
    }
    assert.ok('error' in compileJsonPath('$' + '.a'.repeat(33)));
  });

  const cases: { name: string; paths: string[]; document: unknown; expected: unknown; ignoreCase?: boolean }[] = [
    { name: 'member chain', paths: ['$.owner.id'], document: { owner: { id: 'u1', name: 'x' }, id: 'top' }, expected: { owner: { id: '<u1>', name: 'x' }, id: 'top' } },
    { name: 'array wildcard', paths: ['$.shops[*].shopName'], document: { shops: [{ shopName: 'a' }, { shopName: 'b', title: 't' }, { other: 1 }, 'str'] }, expected: { shops: [{ shopName: '<a>' }, { shopName: '<b>', title: 't' }, { other: 1 }, 'str'] } },
    { name: 'member wildcard', paths: ['$.byName.*'], document: { byName: { x: 'a', y: 'b' } }, expected: { byName: { x: '<a>', y: '<b>' } } },
    { name: 'index', paths: ['$.ids[1]'], document: { ids: ['a', 'b', 'c'] }, expected: { ids: ['a', '<b>', 'c'] } },
    { name: 'index out of range', paths: ['$.ids[7]'], document: { ids: ['a'] }, expected: { ids: ['a'] } },
    { name: 'top-level array', paths: ['$[*].id'], document: [{ id: 1 }, { id: 2 }], expected: [{ id: '<1>' }, { id: '<2>' }] },
    { name: 'quoted member', paths: ["$['shop name']", '$["x.y"]'], document: { 'shop name': 's', 'x.y': 'd', x: { y: 'no' } }, expected: { 'shop name': '<s>', 'x.y': '<d>', x: { y: 'no' } } },
    {
      name: 'descendant at any depth, arrays included',
      paths: ['$..shopId'],
      document: { shopId: 'a', list: [{ shopId: 'b', nested: { deeper: [{ shopId: 'c' }] } }], shopIdx: 'no' },
      expected: { shopId: '<a>', list: [{ shopId: '<b>', nested: { deeper: [{ shopId: '<c>' }] } }], shopIdx: 'no' },
    },
    { name: 'descendant then member', paths: ['$..owner.id'], document: { a: { owner: { id: 'x' } }, owner: { id: 'y' } }, expected: { a: { owner: { id: '<x>' } }, owner: { id: '<y>' } } },
    { name: 'one value reached by two paths is visited once', paths: ['$.shop.id', '$..id'], document: { shop: { id: 'a' } }, expected: { shop: { id: '<a>' } } },
    { name: 'case is significant by default', paths: ['$.shopName'], document: { ShopName: 'a', shopName: 'b' }, expected: { ShopName: 'a', shopName: '<b>' } },
    { name: 'ignoring case (request bodies)', paths: ['$.shopName'], document: { ShopName: 'a', SHOPNAME: 'b' }, expected: { ShopName: '<a>', SHOPNAME: '<b>' }, ignoreCase: true },
    { name: 'member of an array or a scalar: nothing', paths: ['$.a.b'], document: { a: ['b'] }, expected: { a: ['b'] } },
  ];
  for (const { name, paths, document, expected, ignoreCase } of cases) {
    test(name, () => assert.deepEqual(mark(document, paths, ignoreCase), expected));
  }

  test('__proto__ is an own member, never the prototype', () => {
    const parsed = parseJson('{"__proto__":{"id":"x"},"id":"y"}');
    assert.ok(parsed.ok);
    mark(parsed.value, ['$.__proto__.id', '$.id']);
    assert.equal(stringifyJson(parsed.value), '{"__proto__":{"id":"<x>"},"id":"<y>"}');
    const replaced = parseJson('{"__proto__":"p"}');
    assert.ok(replaced.ok);
    mark(replaced.value, ['$.__proto__']);
    assert.equal(Object.getPrototypeOf(replaced.value), Object.prototype);
    assert.equal(stringifyJson(replaced.value), '{"__proto__":"<p>"}');
  });

  test('deep documents: the walk uses no recursion', () => {
    const depth = 100_000;
    let document: unknown = { id: 'bottom' };
    for (let i = 0; i < depth; i++) document = { a: document };
    let found = 0;
    forEachMatch(document, path('$..id'), false, new VisitedSet(), () => { found++; return true; });
    assert.equal(found, 1);
  });

  test('numbers that a double cannot hold survive a rewrite exactly', () => {
    const parsed = parseJson('{"id":"x","amount":12345678901234567890,"rate":1e400,"small":1.5,"big":-98765432109876543210.125}');
    assert.ok(parsed.ok);
    mark(parsed.value, ['$.id']);
    assert.equal(stringifyJson(parsed.value), '{"id":"<x>","amount":12345678901234567890,"rate":1e400,"small":1.5,"big":-98765432109876543210.125}');
  });
});
