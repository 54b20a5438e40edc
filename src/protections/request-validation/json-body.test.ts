import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJsonText, parseJsonBody, parseJsonText, pointerToken, type JsonLimits } from './json-body.ts';

const limits: JsonLimits = { maxDepth: 4, maxKeys: 5, maxArrayLength: 3, maxStringLength: 8, maxNumberLength: 12, allowUnsafeIntegers: false };
const problem = (text: string, custom: Partial<JsonLimits> = {}) => {
  const result = parseJsonText(text, { ...limits, ...custom });
  assert.ok('problem' in result, `expected a problem for ${text}`);
  return `${result.problem.reason} ${result.problem.pointer} ${result.problem.rule}`;
};

describe('json-body', () => {
  test('__proto__ is an own data member, never the prototype', () => {
    const result = parseJsonText('{"__proto__":{"admin":true},"constructor":1,"a":[1,"x",null,false]}', { ...limits, maxStringLength: 20, maxArrayLength: 10 });
    assert.ok('value' in result);
    const value = result.value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'constructor', 'a']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { admin: true });
    assert.equal((value as { admin?: boolean }).admin, undefined);
    assert.equal(({} as { admin?: boolean }).admin, undefined);
    assert.equal(value.constructor, 1);
    assert.deepEqual(value.a, [1, 'x', null, false]);
    assert.equal(problem('{"__proto__":1,"__proto__":2}', { maxStringLength: 20 }), 'json_duplicate_key /__proto__ duplicateKey');
  });

  test('values and escapes', () => {
    const result = parseJsonText(' {"s":"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00","n":-1.5e2,"e":[]} ', { ...limits, maxStringLength: 20 });
    assert.ok('value' in result);
    assert.deepEqual({ ...(result.value as object) }, { s: 'a"\\/\b\f\n\r\té\u{1F600}', n: -150, e: [] });
  });

  test('structure limits, located by JSON pointer', () => {
    assert.equal(problem('[[[[[1]]]]]'), 'json_too_deep /0/0/0/0 maxDepth');
    assert.equal(problem('{"a":[1,2,3,4]}'), 'json_limit_exceeded /a/3 maxArrayLength');
    assert.equal(problem('{"a":1,"b":2,"c":3,"d":{"e":4,"f":5}}'), 'json_limit_exceeded /d/f maxKeys');
    assert.equal(problem('{"a":{"b":"123456789"}}'), 'json_limit_exceeded /a/b maxStringLength');
    assert.equal(problem('{"123456789":1}'), 'json_limit_exceeded /123456789 maxStringLength');
    assert.equal(problem('[1.00000000000]'), 'json_limit_exceeded /0 maxNumberLength');
    assert.equal(problem('{"n":9007199254740993}', { maxNumberLength: 30 }), 'json_limit_exceeded /n numberRange');
    assert.equal(problem('{"n":1e999}'), 'json_limit_exceeded /n numberRange');
    assert.ok('value' in parseJsonText('{"n":9007199254740993}', { ...limits, maxNumberLength: 30, allowUnsafeIntegers: true }));
    assert.ok('value' in parseJsonText('{"n":1.5e300}', limits), 'fractions and exponents may round: only integer literals are checked');
  });

  test('ambiguous or malformed JSON', () => {
    assert.equal(problem('{"a":1,"a":2}'), 'json_duplicate_key /a duplicateKey');
    assert.equal(problem('{"a":{"b":1,"b":1}}'), 'json_duplicate_key /a/b duplicateKey');
    assert.equal(problem('["\\ud800"]'), 'json_invalid_utf8 /0 surrogate');
    assert.equal(problem('["\\udc00x"]'), 'json_invalid_utf8 /0 surrogate');
    for (const text of ['', '{', '{"a" 1}', '{"a":1,}', '[1,]', '01', '1.', '-', 'tru', '"\t"', '"\\x"', '{} x', '\ufeff{}', "{'a':1}", 'NaN']) {
      assert.match(problem(text), /^json_invalid .* syntax$/, JSON.stringify(text));
    }
    const bytes = parseJsonBody(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), limits);
    assert.ok('problem' in bytes && bytes.problem.rule === 'utf8', 'a UTF-8 encoded surrogate');
    const overlong = parseJsonBody(Buffer.from([0x22, 0xc0, 0xaf, 0x22]), limits);
    assert.ok('problem' in overlong && overlong.problem.rule === 'utf8');
  });

  test('a million brackets cost one pass, no recursion', () => {
    const result = parseJsonText('['.repeat(1_000_000), { ...limits, maxDepth: 64 });
    assert.ok('problem' in result && result.problem.rule === 'maxDepth');
  });

  test('the check alone finds the same problems as the parse, and passes what it parses', () => {
    const texts = ['{"a":1,"a":2}', '[[[[[1]]]]]', '{"a":[1,2,3,4]}', '["\\ud800"]', '{"s":"ab\\u00e9cd"}', '{"s":"abcdefg\\n"}',
      '{"s":"abcdefgh\\n"}', '{"s":"\\ud83d\\ude00abcdef"}', '{"s":"\\ud83d\\ude00abcdefg"}', '{"n":9007199254740993}', '{} x', '[1,]', '{"__proto__":[]}'];
    for (const text of texts) {
      const parsed = parseJsonText(text, limits);
      assert.deepEqual(checkJsonText(text, limits), 'problem' in parsed ? parsed.problem : undefined, text);
    }
    // String lengths count UTF-16 code units after escapes are decoded (8 allowed here).
    assert.equal(checkJsonText('["abcdefg\\n"]', limits), undefined);
    assert.equal(checkJsonText('["abcdefgh\\n"]', limits)?.rule, 'maxStringLength');
    assert.equal(checkJsonText('["\\ud83d\\ude00abcdef"]', limits), undefined);
    assert.equal(checkJsonText('["\\ud83d\\ude00abcdefg"]', limits)?.rule, 'maxStringLength');
  });

  test('more than sixteen names in one object are still checked for duplicates', () => {
    const names = Array.from({ length: 40 }, (_, k) => `"k${k}":${k}`);
    const wide = { ...limits, maxKeys: 100 };
    assert.equal(checkJsonText(`{${names.join(',')}}`, wide), undefined);
    assert.equal(checkJsonText(`{${names.join(',')},"k3":0}`, wide)?.rule, 'duplicateKey');
  });

  test('pointer tokens are escaped', () => {
    assert.equal(pointerToken('a/b~c'), 'a~1b~0c');
    assert.equal(problem('{"a/b":{"c~d":[1,2,3,4]}}'), 'json_limit_exceeded /a~1b/c~0d/3 maxArrayLength');
  });
});
