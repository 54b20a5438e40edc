import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareRequestSchema } from './prepare-schema.ts';
import { createSchemaCompiler, fieldErrors } from './schema-compiler.ts';
import { parseJsonText } from './json-body.ts';
import { DEFAULT_LIMITS } from './request-validation.ts';

const compiler = createSchemaCompiler();
/** Validates `json` text against `schema` the way the protection does; returns `pointer rule` lines. */
function check(schema: unknown, json: string, rejectUnknown = true): string[] {
  const prepared = prepareRequestSchema(schema, rejectUnknown);
  const validate = compiler.compile(prepared.schema);
  const parsed = parseJsonText(json, DEFAULT_LIMITS);
  assert.ok('value' in parsed);
  if (validate(parsed.value)) return [];
  return fieldErrors(validate.errors, 'body', undefined, 50, prepared.declared).map((e) => `${e.pointer} ${e.rule}`).sort();
}

const defs = {
  Base: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string', readOnly: true }, name: { type: 'string' } } },
  Card: { type: 'object', required: ['method', 'number'], properties: { method: { const: 'card' }, number: { type: 'string' } } },
  Bank: { type: 'object', required: ['method', 'iban'], properties: { method: { const: 'bank' }, iban: { type: 'string' } } },
  Node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } },
};

describe('prepare-schema', () => {
  test('unknown members are refused at every level, through $ref and allOf', () => {
    const schema = { $defs: defs, allOf: [{ $ref: '#/$defs/Base' }, { type: 'object', properties: { tags: { type: 'array', items: { $ref: '#/$defs/Node' } } } }] };
    assert.deepEqual(check(schema, '{"name":"a","tags":[{"label":"x","children":[{"label":"y"}]}]}'), []);
    assert.deepEqual(check(schema, '{"name":"a","extra":1,"tags":[{"label":"x","children":[{"colour":"red"}]}]}'), ['/extra unknownField', '/tags/0/children/0/colour unknownField']);
    assert.deepEqual(check(schema, '{"name":"a","extra":1}', false), []);
  });

  test('readOnly members are refused and no longer required', () => {
    const schema = { $defs: defs, $ref: '#/$defs/Base' };
    assert.deepEqual(check(schema, '{"name":"a"}'), []);
    assert.deepEqual(check(schema, '{"name":"a","id":"x"}'), ['/id readOnly']);
    assert.deepEqual(check({ $defs: { Id: { type: 'string', readOnly: true } }, type: 'object', required: ['id'], properties: { id: { $ref: '#/$defs/Id' } } }, '{"id":"1"}'), ['/id readOnly']);
  });

  test('oneOf: only the composite error and real unknown members are reported', () => {
    const schema = { $defs: defs, type: 'object', properties: { payment: { oneOf: [{ $ref: '#/$defs/Card' }, { $ref: '#/$defs/Bank' }] } } };
    assert.deepEqual(check(schema, '{"payment":{"method":"card","number":"4111"}}'), []);
    assert.deepEqual(check(schema, '{"payment":{"method":"card"}}'), ['/payment oneOf']);
    assert.deepEqual(check(schema, '{"payment":{"method":"card","number":"1","iban":"DE1"}}'), ['/payment/iban unknownField']);
    assert.deepEqual(check(schema, '{"payment":{"method":"cash","bogus":1}}'), ['/payment oneOf', '/payment/bogus unknownField']);
  });

  test('schemas that decide about extra members themselves are left alone', () => {
    assert.deepEqual(check({ type: 'object', properties: { a: {} }, additionalProperties: { type: 'integer' } }, '{"a":1,"b":2}'), []);
    assert.deepEqual(check({ type: 'object', properties: { a: {} }, additionalProperties: { type: 'integer' } }, '{"b":"x"}'), ['/b type']);
    assert.deepEqual(check({ type: 'object', patternProperties: { '^x-': {} } }, '{"x-a":1}'), []);
    assert.deepEqual(check({}, '{"anything":[1,{"goes":true}]}'), []);
    assert.deepEqual(check({ type: 'object' }, '{"a":1}'), ['/a unknownField']);
  });

  test('the input schema is not changed', () => {
    const schema = { type: 'object', properties: { id: { type: 'string', readOnly: true } }, required: ['id'] };
    const copy = structuredClone(schema);
    prepareRequestSchema(schema, true);
    assert.deepEqual(schema, copy);
  });
});
