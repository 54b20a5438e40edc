import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { requestValidation } from './request-validation.ts';
import type { RequestValidationConfig } from './config.ts';
import type { ConfigIssue, CreateContext } from '../../pipeline/protection.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { parseQuery } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Block, Verdict } from '../../pipeline/verdict.ts';
import { createLocalStores } from '../../store/registry.ts';

function compile(config: RequestValidationConfig, scope = 'route-a') {
  const issues: ConfigIssue[] = [];
  const context: CreateContext = { policy: {} as Policy, stores: createLocalStores(), scope, issue: (path, message) => issues.push({ path, message }) };
  return { instance: requestValidation.create(config, context), issues };
}

/** A stand-in exchange: the hooks read headers, the route parameters and the query. */
function exchange(options: { headers?: Record<string, string>; params?: Record<string, string>; query?: string; method?: string; path?: string } = {}): Exchange {
  const headers = options.headers ?? {};
  return {
    method: options.method ?? 'POST', path: options.path ?? '/x', req: { headers } as unknown as IncomingMessage,
    header: (name: string) => headers[name], routeParams: options.params ?? {}, query: parseQuery(options.query ?? ''),
    upstreamPath: undefined, upstreamQuery: undefined, route: null,
  } as unknown as Exchange;
}

const sync = (verdict: Verdict | Promise<Verdict>) => { assert.ok(!(verdict instanceof Promise)); return verdict; };

describe('request-validation', () => {
  test('definition', () => {
    assert.equal(requestValidation.name, 'request-validation');
    assert.equal(requestValidation.key, 'requestValidation');
    assert.equal(requestValidation.routeConfig, 'merge');
    assert.deepEqual(requestValidation.defaultConfig, {});
  });

  test('route settings are refused globally', () => {
    const { issues } = compile({ parameters: [], body: { content: {} }, undocumentedEndpoint: true }, 'global');
    assert.deepEqual(issues.map((i) => i.path), ['/parameters', '/body', '/undocumentedEndpoint']);
  });

  test('the default instance checks the JSON bodies others buffer; a declared body is buffered', () => {
    const { instance } = compile({});
    assert.equal(instance.needs?.requestBody, false);
    assert.equal(compile({ body: { content: {} } }).instance.needs?.requestBody, true);
    assert.equal(instance.onRequestHead, undefined, 'nothing to do in the head: no call per request');
    const json = exchange({ headers: { 'content-type': 'application/json', 'content-length': '7' } });
    assert.equal(sync(instance.onRequestBody!(json, Buffer.from('{"a":1}'))).action, 'pass');
    const bad = sync(instance.onRequestBody!(json, Buffer.from('{"a":1,"a":1}'))) as Block;
    assert.equal(bad.reason, 'json_duplicate_key');
    assert.deepEqual(bad.problem, { errors: [{ in: 'body', pointer: '/a', rule: 'duplicateKey', message: 'a member name given twice in one object' }] });
    assert.equal(bad.detail?.location, 'body:/a');
    const text = exchange({ headers: { 'content-type': 'text/plain', 'content-length': '7' } });
    assert.equal(sync(instance.onRequestBody!(text, Buffer.from('{"a":1,"a":1}'))).action, 'pass');
  });

  test('a learning-mode catch-all flags every request', () => {
    const { instance } = compile({ undocumentedEndpoint: true });
    const verdict = sync(instance.onRequestHead!(exchange({ method: 'DELETE', path: '/admin/users' })));
    assert.equal(verdict.action, 'flag');
    assert.equal((verdict as { reason: string }).reason, 'undocumented_endpoint');
    assert.equal((verdict as { detail: { excerpt: string } }).detail.excerpt, 'DELETE /admin/users');
  });

  test('head phase: parameters, declared media type and a missing required body', () => {
    const { instance, issues } = compile({
      parameters: [{ name: 'id', in: 'path', schema: { type: 'integer' } }, { name: 'q', in: 'query', required: true }],
      body: { required: true, content: { 'application/json': { schema: { type: 'object' } }, 'text/*': {} } },
    });
    assert.deepEqual(issues, []);
    const missing = sync(instance.onRequestHead!(exchange({ params: { id: 'x' } }))) as Block;
    assert.equal(missing.status, 400);
    assert.deepEqual((missing.problem!.errors as { rule: string }[]).map((e) => e.rule), ['type', 'required', 'required']);
    const wrongType = sync(instance.onRequestHead!(exchange({ params: { id: '1' }, query: 'q=a', headers: { 'content-type': 'application/xml', 'content-length': '3' } }))) as Block;
    assert.equal(wrongType.status, 415);
    assert.deepEqual(wrongType.problem, { accepted: ['application/json', 'text/*'] });
    const text = exchange({ params: { id: '1' }, query: 'q=a', headers: { 'content-type': 'text/csv', 'content-length': '3' } });
    assert.equal(sync(instance.onRequestHead!(text)).action, 'pass');
    assert.equal(sync(instance.onRequestBody!(text, Buffer.from('a,b'))).action, 'pass');
  });
});
