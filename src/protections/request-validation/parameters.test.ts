import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coerce, parameterReader, parseCookies, shapeOf, SerialisationProblem, type RequestView, type Style, type ParameterLocation } from './parameters.ts';
import { parseQuery, type Exchange } from '../../pipeline/exchange.ts';

const types = (...t: string[]) => new Set(t);

function read(location: ParameterLocation, style: Style, explode: boolean, schema: unknown, request: { path?: Record<string, string>; query?: string; headers?: Record<string, string>; cookie?: string }, name = 'p') {
  const reader = parameterReader(name, location, style, explode, shapeOf(schema, {}));
  const headers: Record<string, string> = { ...request.headers, ...(request.cookie ? { cookie: request.cookie } : {}) };
  const exchange = { header: (n: string) => headers[n] } as unknown as Exchange;
  const view: RequestView = { pathParams: request.path ?? {}, query: parseQuery(request.query ?? ''), cookies: () => parseCookies(request.cookie) };
  const value = reader(exchange, view);
  return value instanceof SerialisationProblem ? `problem:${value.rule}` : value === undefined ? 'absent' : JSON.parse(JSON.stringify(value));
}

describe('parameters', () => {
  test('strict coercion', () => {
    assert.equal(coerce('12', types('integer')), 12);
    assert.equal(coerce('-0', types('integer')), '-0' === '-0' ? -0 : 0);
    for (const text of ['012', ' 12', '0x0c', '1e3', '1.0', '', '+1', '9007199254740993']) assert.equal(coerce(text, types('integer')), text, text);
    assert.equal(coerce('1e3', types('number')), 1000);
    assert.equal(coerce('.5', types('number')), '.5');
    assert.equal(coerce('true', types('boolean')), true);
    assert.equal(coerce('True', types('boolean')), 'True');
    assert.equal(coerce('12', types('string', 'integer')), 12);
    assert.equal(coerce('12', types('string')), '12');
    assert.equal(coerce('', types('null', 'integer')), null);
  });

  test('query: form, exploded and not, delimited, deepObject, exploded objects, repeats', () => {
    const array = { type: 'array', items: { type: 'integer' } };
    assert.deepEqual(read('query', 'form', true, array, { query: 'p=1&p=2&x=3' }), [1, 2]);
    assert.deepEqual(read('query', 'form', false, array, { query: 'p=1,2,x' }), [1, 2, 'x']);
    assert.deepEqual(read('query', 'form', false, { type: 'array', items: { type: 'string' } }, { query: 'p=a%2Cb,c' }), ['a', 'b', 'c']);
    assert.deepEqual(read('query', 'spaceDelimited', false, array, { query: 'p=1%202+3' }), [1, 2, 3]);
    assert.deepEqual(read('query', 'pipeDelimited', false, array, { query: 'p=1|2%7C3' }), [1, 2, 3]);
    assert.equal(read('query', 'form', false, array, { query: 'p=1&p=2' }), 'problem:repeated');
    const object = { type: 'object', properties: { min: { type: 'number' }, on: { type: 'boolean' } } };
    assert.deepEqual(read('query', 'deepObject', true, object, { query: 'p[min]=1.5&p[on]=true&p[x]=y&q=1' }), { min: 1.5, on: true, x: 'y' });
    assert.equal(read('query', 'deepObject', true, object, { query: 'p[min]=1&p[min]=2' }), 'problem:repeated');
    assert.deepEqual(read('query', 'form', true, object, { query: 'min=3&on=false&other=1' }), { min: 3, on: false });
    assert.deepEqual(read('query', 'form', false, object, { query: 'p=min,3,on,true' }), { min: 3, on: true });
    assert.equal(read('query', 'form', true, { type: 'integer' }, { query: 'p=1&p=1' }), 'problem:repeated');
    assert.equal(read('query', 'form', true, { type: 'integer' }, { query: 'q=1' }), 'absent');
    assert.equal(read('query', 'form', true, { type: 'string' }, { query: 'p=a+b%20c' }), 'a b c');
  });

  test('path: simple and label', () => {
    assert.deepEqual(read('path', 'simple', false, { type: 'array', items: { type: 'integer' } }, { path: { p: '1,2' } }), [1, 2]);
    assert.deepEqual(read('path', 'simple', true, { type: 'object', properties: { a: { type: 'integer' } } }, { path: { p: 'a=1,b=x' } }), { a: 1, b: 'x' });
    assert.deepEqual(read('path', 'simple', false, { type: 'object' }, { path: { p: 'a,1,b' } }), 'problem:style');
    assert.deepEqual(read('path', 'label', true, { type: 'array', items: { type: 'string' } }, { path: { p: '.a.b' } }), ['a', 'b']);
    assert.equal(read('path', 'label', false, { type: 'string' }, { path: { p: 'a' } }), 'problem:style');
  });

  test('header and cookie', () => {
    assert.deepEqual(read('header', 'simple', false, { type: 'array', items: { type: 'integer' } }, { headers: { 'x-ids': '1, 2' } }, 'X-Ids'), [1, 2]);
    assert.equal(read('header', 'simple', false, { type: 'integer' }, { headers: { 'x-n': ' 5' } }, 'x-n'), ' 5');
    assert.equal(read('cookie', 'form', true, { type: 'integer' }, { cookie: 'a=1; p=42; b=2' }), 42);
    assert.equal(read('cookie', 'form', true, { type: 'string' }, { cookie: 'p=1; p=2' }), 'problem:repeated');
    assert.equal(read('cookie', 'form', true, { type: 'string' }, { cookie: 'p="quoted"' }), 'quoted');
  });

  test('shapes look through $ref and composition', () => {
    const defs = { Ids: { type: 'array', items: { $ref: '#/$defs/Id' } }, Id: { type: 'integer' } };
    const shape = shapeOf({ $ref: '#/$defs/Ids' }, defs);
    assert.equal(shape.kind, 'array');
    assert.deepEqual([...shape.itemTypes], ['integer']);
    assert.deepEqual([...shapeOf({ anyOf: [{ type: 'integer' }, { type: 'boolean' }] }, {}).types].sort(), ['boolean', 'integer']);
    assert.deepEqual([...shapeOf({ enum: [1, 2] }, {}).types], ['integer']);
  });
});
