import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { PROTECTIONS } from '../../src/protections/index.ts';
import { defineProtection } from '../../src/pipeline/protection.ts';
import { block, flag, pass } from '../../src/pipeline/verdict.ts';

/**
 * A protection that needs both bodies, defined here to exercise the body phases of the pipeline: it blocks request
 * bodies containing "forbidden", flags "suspicious", and blocks upstream responses that contain "leak".
 */
const bodyInspector = defineProtection<Record<string, never>>({
  name: 'test-body-inspector',
  key: 'testBodyInspector',
  schema: Type.Object({}),
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing',
  defaultConfig: {},
  create() {
    return {
      needs: { requestBody: true, responseBody: true },
      onRequestBody(_exchange, body) {
        const text = body.toString('utf8');
        if (text.includes('forbidden')) return block(403, 'test_forbidden_body', { detail: { location: 'body', excerpt: text } });
        if (text.includes('suspicious')) return flag('test_suspicious_body', { location: 'body' });
        return pass();
      },
      onResponseBody(_exchange, body) {
        return body.includes('leak') ? block(502, 'test_response_leak') : pass();
      },
    };
  },
});

const TEXT = { 'content-type': 'text/plain' };

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res, seen) => {
    const body = req.url === '/leaky' ? 'here is a leak' : JSON.stringify({ bytes: seen.bodyBytes });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  gw = await startGateway({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up', limits: { maxBodyBytes: 1000 } }],
  }, { registry: [...PROTECTIONS, bodyInspector] });
});
after(async () => { await gw.close(); await upstream.close(); });

test('a buffered request body is inspected whole before anything is forwarded', async () => {
  const count = upstream.requests.length;
  const res = await request(`${gw.url}/x`, { method: 'POST', body: 'a'.repeat(500) + ' forbidden', headers: TEXT });
  const problem = await res.body.json() as { reason: string };
  assert.equal(res.statusCode, 403);
  assert.equal(problem.reason, 'test_forbidden_body');
  assert.equal(upstream.requests.length, count, 'nothing reached the upstream');
  const ok = await request(`${gw.url}/x`, { method: 'POST', body: 'suspicious but fine', headers: TEXT });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(await ok.body.json(), { bytes: 'suspicious but fine'.length });
});

test('chunked bodies are buffered too, and the cap holds while buffering (413, never partly inspected)', async () => {
  const count = upstream.requests.length;
  async function* chunks(total: number) { for (let sent = 0; sent < total; sent += 100) yield Buffer.alloc(100, 'x'); }
  const res = await request(`${gw.url}/x`, { method: 'POST', body: Readable.from(chunks(5000)), headers: TEXT });
  const problem = await res.body.json() as { reason: string };
  assert.equal(res.statusCode, 413);
  assert.equal(problem.reason, 'body_too_large');
  assert.equal(upstream.requests.length, count);
  const small = await request(`${gw.url}/x`, { method: 'POST', body: Readable.from(chunks(800)), headers: TEXT });
  assert.equal(small.statusCode, 200);
  assert.deepEqual(await small.body.json(), { bytes: 800 });
  assert.equal(upstream.requests.at(-1)!.headers['content-length'], '800', 'a buffered body is forwarded with its length');
});

test('a buffered response body is inspected before the client sees any of it', async () => {
  const res = await request(`${gw.url}/leaky`);
  const problem = await res.body.json() as { reason: string };
  assert.equal(res.statusCode, 502);
  assert.equal(problem.reason, 'test_response_leak');
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'test_response_leak' && r.protection === 'test-body-inspector'));
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'test_suspicious_body' && r.action === 'flag'));
});
