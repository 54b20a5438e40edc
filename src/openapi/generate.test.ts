import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadApiDescription } from './operations.ts';
import { generateRoutes, deepMerge, type GenerateOptions } from './generate.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-gen-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

const options: GenerateOptions = {
  upstream: 'api', mode: 'strict', protections: new Set(['requestValidation', 'responseCloaking', 'jwt', 'identifierCloaking']),
  jwt: true, identifierCloaking: true, responseCloaking: true,
};

function generate(paths: Record<string, unknown>, extra: Record<string, unknown> = {}, overrides: Partial<GenerateOptions> = {}) {
  const file = join(dir, `g${Math.random()}.yaml`);
  writeFileSync(file, stringify({
    openapi: '3.1.0', info: { title: 't', version: '1' }, paths,
    components: { securitySchemes: { oauth: { type: 'oauth2', flows: {} }, key: { type: 'apiKey', in: 'header', name: 'k' }, bearer: { type: 'http', scheme: 'bearer' } } },
    ...extra,
  }));
  return generateRoutes(loadApiDescription(file), { ...options, ...overrides });
}
const ok = { responses: { 204: { description: 'ok' } } };

describe('generating routes', () => {
  test('names, paths and methods', () => {
    const { routes } = generate({ '/a/{my-id}/b.{ext}': { get: ok }, '/a/{x}': { get: { operationId: 'get a/x', ...ok }, post: { operationId: 'get_a_x', ...ok } } });
    assert.deepEqual(routes.map((r) => [r.route.name, r.route.path, r.route.methods]), [
      ['get-a-my-id-b.ext', '/a/{my_id}/b.{ext}', ['GET']],
      ['get_a_x', '/a/{x}', ['GET']],
      ['get_a_x-2', '/a/{x}', ['POST']],
    ]);
  });

  test('a segment with two parameters is left out with a warning', () => {
    const { routes, warnings } = generate({ '/f/{name}.{ext}': { get: ok }, '/g': { get: ok } });
    assert.deepEqual(routes.map((r) => r.route.path), ['/g']);
    assert.ok(warnings.some((w) => w.includes('must hold exactly one {parameter}; the operation is left out')), warnings.join('\n'));
  });

  test('jwt settings from security requirements', () => {
    const jwt = (security: unknown) => generate({ '/x': { get: { security, ...ok } } }).routes[0]!.route.protections as Record<string, unknown>;
    assert.deepEqual(jwt([{ oauth: ['b', 'a'] }]).jwt, { required: true, scopes: ['a', 'b'] });
    assert.deepEqual(jwt([{ bearer: [] }]).jwt, { required: true });
    assert.deepEqual(jwt([{}, { bearer: [] }]).jwt, { required: false });
    assert.deepEqual(jwt([]).jwt, { enabled: false });
    assert.deepEqual(jwt([{ oauth: ['a', 'b'] }, { oauth: ['a', 'c'] }]).jwt, { required: true, scopes: ['a'] });
    assert.equal(jwt([{ key: [] }]).jwt, undefined);
    assert.equal(jwt([{ oauth: [], key: [] }]).jwt, undefined);
    const none = generate({ '/x': { get: { security: [{ oauth: ['a'] }], ...ok } } }, {}, { jwt: false }).routes[0]!.route.protections as Record<string, unknown>;
    assert.equal(none.jwt, undefined);
  });

  test('learning mode, host, base path and x-portcullis-route', () => {
    const { routes } = generate({ '/x': { get: { 'x-portcullis-route': { limits: { maxBodyBytes: 10 }, protections: { requestValidation: { unknownFields: 'allow' } } }, ...ok } } },
      { servers: [{ url: '/base/' }] }, { mode: 'learning', host: 'api.example' });
    assert.deepEqual(routes.map((r) => [r.route.path, r.route.host]), [['/base/x', 'api.example'], ['/**', 'api.example']]);
    assert.deepEqual(routes[0]!.route.limits, { maxBodyBytes: 10 });
    assert.equal((routes[0]!.route.protections as any).requestValidation.unknownFields, 'allow');
    assert.deepEqual(routes[1]!.route.protections, { requestValidation: { undocumentedEndpoint: true } });
    assert.equal(generate({ '/x': { get: ok } }, { servers: [{ url: '/base' }] }, { basePath: '/' }).routes[0]!.route.path, '/x');
  });

  test('protections that are not registered are left out with a warning', () => {
    const { routes, warnings } = generate({ '/x': { get: { responses: { 200: { description: 'x', content: { 'application/json': { schema: { type: 'object' } } } } } } } },
      {}, { protections: new Set(['requestValidation', 'jwt']) });
    assert.equal((routes[0]!.route.protections as Record<string, unknown>).responseCloaking, undefined);
    assert.ok(warnings.some((w) => w.includes('responseCloaking protection is not available')));
  });

  test('deepMerge merges objects and replaces the rest, never through __proto__', () => {
    const target = { a: { b: 1, c: [1] }, d: 1 };
    deepMerge(target, JSON.parse('{"a":{"c":[2],"e":3},"__proto__":{"polluted":true}}'));
    assert.deepEqual(target, { a: { b: 1, c: [2], e: 3 }, d: 1 });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
