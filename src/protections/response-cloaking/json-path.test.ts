import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, PathSet, type CompiledPath } from './json-path.ts';

function compiled(text: string): CompiledPath {
  const result = compileJsonPath(text);
  if ('error' in result) throw new Error(`${text}: ${result.error}`);
  return result;
}

/** Whether `path` selects the value reached through `keys` (strings: members, numbers: elements). */
function selects(path: string, keys: (string | number)[]): boolean {
  const set = new PathSet([compiled(path)]);
  let states = set.root;
  for (const key of keys) states = set.step(states, key);
  return set.matched(states) === 0;
}

describe('json paths', () => {
  const cases: [string, (string | number)[], boolean][] = [
    ['$.owner.phone', ['owner', 'phone'], true],
    ['$.owner.phone', ['owner'], false],
    ['$.owner.phone', ['owner', 'phone', 'x'], false],
    ['$.owner.phone', ['other', 'phone'], false],
    ['$..email', ['email'], true],
    ['$..email', ['a', 'b', 3, 'email'], true],
    ['$..email', ['a', 'emails'], false],
    ['$.items[*].cardNumber', ['items', 0, 'cardNumber'], true],
    ['$.items[*].cardNumber', ['items', 7, 'cardNumber'], true],
    ['$.items[*].cardNumber', ['items', 'x', 'cardNumber'], true],
    ['$.items[*].cardNumber', ['items', 0, 'x', 'cardNumber'], false],
    ['$.a[0]', ['a', 0], true],
    ['$.a[0]', ['a', 1], false],
    ['$.a[0]', ['a', '0'], false],
    ["$['odd key'].b", ['odd key', 'b'], true],
    ['$["q\\"uote"]', ['q"uote'], true],
    ['$.*.id', ['anything', 'id'], true],
    ['$..*', ['x', 'y'], true],
    ['$..[2]', ['x', 2], true],
    ['$..a..b', ['a', 'x', 'y', 'b'], true],
    ['$..a..b', ['x', 'b'], false],
    ['$.전화', ['전화'], true],
  ];
  for (const [path, keys, expected] of cases) {
    test(`${path} ${expected ? 'selects' : 'does not select'} /${keys.join('/')}`, () => assert.equal(selects(path, keys), expected));
  }

  test('errors name the problem', () => {
    for (const [text, message] of [
      ['owner.phone', /start with "\$"/], ['$', /whole document/], ['$.', /ends with/], ['$.a[', /expected an index/],
      ['$.a[x]', /expected an index/], ["$['a", /unterminated/], ['$.a b', /unexpected/], ['$.a[1', /expected an index/],
      ['$a', /unexpected "a"/], ['$..', /ends with/],
    ] as const) {
      const result = compileJsonPath(text);
      assert.ok('error' in result, text);
      assert.match(result.error, message, text);
    }
  });

  test('the first listed rule wins when several match', () => {
    const set = new PathSet([compiled('$..phone'), compiled('$.owner.phone')]);
    let states = set.root;
    for (const key of ['owner', 'phone']) states = set.step(states, key);
    assert.equal(set.matched(states), 0);
  });

  test('no paths: the shared empty state set, whatever the depth', () => {
    const set = new PathSet([]);
    assert.equal(set.step(set.root, 'a'), PathSet.NONE);
  });
});
