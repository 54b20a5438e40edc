import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DescriptionError, loadApiDescription } from './operations.ts';

let dir: string;
const write = (name: string, document: unknown) => { const file = join(dir, name); writeFileSync(file, typeof document === 'string' ? document : stringify(document)); return file; };
const problems = (file: string) => { try { loadApiDescription(file); } catch (error) { if (error instanceof DescriptionError) return error.problems; throw error; } return []; };
const ok = (description: Record<string, unknown>) => loadApiDescription(write(`d${Math.random()}.yaml`, { openapi: '3.0.3', info: { title: 't', version: '1' }, ...description }));

before(() => { dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-unit-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loading a description', () => {
  test('3.0 schemas become JSON Schema 2020-12', () => {
    const api = ok({
      paths: { '/a': { post: { requestBody: { content: { 'application/json': { schema: {
        type: 'object',
        description: 'dropped', example: { a: 1 }, 'x-other': true, 'x-portcullis-mask': 'redact',
        properties: {
          n: { type: 'integer', nullable: true, minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false },
          e: { type: 'string', enum: ['a', 'b'], nullable: true },
          r: { $ref: '#/components/schemas/R', nullable: true, description: 'ignored sibling' },
          c: { allOf: [{ $ref: '#/components/schemas/R' }], nullable: true, readOnly: true },
        },
      } } } }, responses: {} } } },
      components: { schemas: { R: { type: 'string', discriminator: { propertyName: 'x' }, xml: { name: 'r' } } } },
    });
    const schema = api.operations[0]!.requestBody!.content['application/json']!.schema as Record<string, any>;
    assert.deepEqual(schema, {
      type: 'object',
      'x-portcullis-mask': 'redact',
      properties: {
        n: { type: ['integer', 'null'], exclusiveMinimum: 0, maximum: 9 },
        e: { type: ['string', 'null'], enum: ['a', 'b', null] },
        r: { $ref: '#/$defs/R' },
        c: { readOnly: true, anyOf: [{ allOf: [{ $ref: '#/$defs/R' }] }, { type: 'null' }] },
      },
    });
    // Standalone: the $defs it needs, and no gateway extensions.
    assert.deepEqual(api.schemas.standalone(schema), { type: 'object', properties: schema.properties, $defs: { R: { type: 'string' } } });
  });

  test('references across files, chains of references and cycles', () => {
    write('shared.yaml', {
      components: {
        schemas: { Money: { type: 'object', properties: { amount: { type: 'number' }, currency: { $ref: '#/components/schemas/Currency' } } }, Currency: { type: 'string' } },
        parameters: { Limit: { $ref: '#/components/parameters/RealLimit' }, RealLimit: { name: 'limit', in: 'query', schema: { type: 'integer' } } },
      },
    });
    const api = ok({
      paths: { '/t': { get: {
        parameters: [{ $ref: 'shared.yaml#/components/parameters/Limit' }],
        responses: { '2xx': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Tree' } } } } },
      } } },
      components: { schemas: {
        Tree: { type: 'object', properties: { price: { $ref: 'shared.yaml#/components/schemas/Money' }, kids: { type: 'array', items: { $ref: '#/components/schemas/Tree' } }, other: { $ref: '#/components/schemas/A' } } },
        A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } },
        B: { type: 'object', properties: { a: { $ref: '#/components/schemas/A' } } },
      } },
    });
    const operation = api.operations[0]!;
    assert.deepEqual(operation.parameters.map((p) => [p.name, p.in, p.schema]), [['limit', 'query', { type: 'integer' }]]);
    const schema = operation.responses['2XX']!.content['application/json']!.schema!;
    const standalone = api.schemas.standalone(schema) as { $defs: Record<string, unknown> };
    assert.deepEqual(Object.keys(standalone.$defs).sort(), ['A', 'B', 'Currency', 'Money', 'Tree']);
    const inlined = api.schemas.inlined(schema) as Record<string, any>;
    assert.deepEqual(inlined.properties.price, { type: 'object', properties: { amount: { type: 'number' }, currency: { type: 'string' } } });
    assert.deepEqual(inlined.properties.kids.items, { $ref: '#/$defs/Tree' });
    assert.deepEqual(inlined.properties.other.properties.b.properties.a, { $ref: '#/$defs/A' });
    assert.deepEqual(Object.keys(inlined.$defs).sort(), ['A', 'B', 'Currency', 'Money', 'Tree']);
  });

  test('operations: path and operation parameters merge, ignored headers, security, servers', () => {
    const api = ok({
      servers: [{ url: 'https://api.example.com/{v}/', variables: { v: { default: 'v1' } } }],
      security: [{ bearer: [] }],
      paths: { '/items/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'X-Trace', in: 'header', schema: { type: 'string' } }],
        get: { operationId: 'getItem', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }, { name: 'Accept', in: 'header', schema: { type: 'string' } }], responses: {} },
        delete: { security: [], responses: {} },
      } },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'Bearer' } } },
    });
    assert.equal(api.basePath, '/v1');
    assert.equal(api.serverUrl, 'https://api.example.com/v1/');
    const [get, del] = api.operations;
    assert.deepEqual(get!.parameters.map((p) => `${p.in}:${p.name}:${JSON.stringify(p.schema)}`), ['path:id:{"type":"integer"}', 'header:X-Trace:{"type":"string"}']);
    assert.deepEqual(get!.security, [{ bearer: [] }]);
    assert.deepEqual(del!.security, []);
    assert.deepEqual(api.securitySchemes.get('bearer'), { type: 'http', scheme: 'bearer' });
  });

  test('problems are collected with their places', () => {
    assert.deepEqual(problems(write('swagger.yaml', { swagger: '2.0' })), ['swagger.yaml#: not an OpenAPI 3 document (no "openapi" version; Swagger 2.0 is not supported)']);
    assert.deepEqual(problems(write('v4.yaml', { openapi: '4.0.0' })), ['v4.yaml#/openapi: OpenAPI 4.0.0 is not supported (3.0.x and 3.1.x are)']);
    assert.match(problems(write('bad.yaml', 'openapi: 3.0.0\npaths:\n  /a: [\n'))[0]!, /^bad\.yaml: line \d+, column \d+/);
    assert.match(problems(write('dup.yaml', 'openapi: 3.0.0\nopenapi: 3.0.1\n'))[0]!, /^dup\.yaml: line 2/);
    const file = write('many.yaml', {
      openapi: '3.1.0', info: { title: 't', version: '1' },
      paths: {
        a: {},
        '/loop': { get: { parameters: [{ $ref: '#/components/parameters/P' }], responses: {} } },
        '/anchor': { get: { responses: { 200: { description: 'x', content: { 'application/json': { schema: { $ref: '#Anchor' } } } } } } },
        '/secret': { get: { responses: { 200: { description: 'x', content: { 'application/json': { schema: { $ref: '/etc/passwd' } } } } } } },
      },
      components: { parameters: { P: { $ref: '#/components/parameters/Q' }, Q: { $ref: '#/components/parameters/P' } } },
    });
    assert.deepEqual(problems(file), [
      'many.yaml#/paths/a: a path must start with "/"',
      'many.yaml#/paths/~1loop/get/parameters/0: the references form a loop',
      'many.yaml#/paths/~1anchor/get/responses/200/content/application~1json/schema: reference "#Anchor": only JSON-pointer fragments (#/...) are supported',
      'many.yaml#/paths/~1secret/get/responses/200/content/application~1json/schema: reference "/etc/passwd" must name a .yaml, .yml or .json file',
    ]);
  });
});

