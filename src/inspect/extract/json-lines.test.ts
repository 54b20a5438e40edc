import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractJsonLines } from './json-lines.ts';

const lines = (text: string, max?: number) => extractJsonLines(Buffer.from(text), max);

test('each line is a JSON document at body:line<N>:$, member names once over the whole body', () => {
  const result = lines('{"index":{"_id":"1"}}\n{"title":"first","tags":["a"]}\r\n\n  \n{"title":"<b>x</b>"}\n');
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs.map((i) => [i.location, i.value, i.isName === true]), [
    ['body:line1:$.index', 'index', true],
    ['body:line1:$.index._id', '_id', true],
    ['body:line1:$.index._id', '1', false],
    ['body:line2:$.title', 'title', true],
    ['body:line2:$.title', 'first', false],
    ['body:line2:$.tags', 'tags', true],
    ['body:line2:$.tags[0]', 'a', false],
    ['body:line5:$.title', '<b>x</b>', false],
  ]);
});

test('RFC 7464 sequences: the record separator before each text is skipped', () => {
  const result = lines('\u001e{"a":"x"}\n\u001e{"a":"y"}\n');
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs.filter((i) => !i.isName).map((i) => [i.location, i.value]), [['body:line1:$.a', 'x'], ['body:line2:$.a', 'y']]);
});

test('a line that is not one strict JSON text refuses the whole body, naming the line', () => {
  for (const [body, reason] of [
    ['{"a":1}\n{"a":1,}\n', 'json_invalid'],
    ['{"a":1} {"b":2}\n', 'json_invalid'],
    ['{"a":1}\n{"r":"u","r":"a"}', 'json_duplicate_key'],
    ['{"a":"\u0001"}', 'json_invalid'],
  ] as const) {
    const result = lines(body);
    assert.ok('problem' in result, body);
    assert.equal(result.problem.reason, reason, body);
  }
  const second = lines('{"a":1}\n[1,\n');
  assert.ok('problem' in second && second.problem.message.startsWith('line 2:'), JSON.stringify(second));
  const utf8 = extractJsonLines(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
  assert.ok('problem' in utf8 && utf8.problem.reason === 'json_invalid_utf8');
});

test('the input budget counts over all lines', () => {
  const body = Array.from({ length: 30 }, (_, i) => JSON.stringify({ a: `v${i}` })).join('\n');
  const over = lines(body, 20);
  assert.ok('problem' in over && over.problem.reason === 'too_many_inputs');
  const within = lines(body, 40);
  assert.ok('inputs' in within && within.inputs.length === 31);
});

test('an empty or blank body has no inputs', () => {
  for (const body of ['', '\n\n', ' \r\n\t']) {
    const result = lines(body);
    assert.ok('inputs' in result && result.inputs.length === 0, JSON.stringify(body));
  }
});
