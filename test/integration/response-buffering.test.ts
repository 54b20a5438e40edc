import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { startGateway, catchAllPolicy, type TestGateway } from '../helpers/gateway.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

// The core's handling of responses buffered for a response protection: the cap and `responseOverflow`.
const BIG = JSON.stringify({ owner: { phone: '010-1234-5678' }, filler: 'x'.repeat(40_000) });

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith('/gzip')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(BIG));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(BIG);
  });
  const cloak = { responseCloaking: { detectors: { phones: {} } } };
  gw = await startGateway({
    ...catchAllPolicy(upstream.url),
    routes: [
      { name: 'block', path: '/block/**', upstream: 'up', limits: { maxInspectedResponseBytes: 16_384 }, protections: cloak },
      { name: 'pass', path: '/pass/**', upstream: 'up', limits: { maxInspectedResponseBytes: 16_384, responseOverflow: 'pass' }, protections: cloak },
      { name: 'fits', path: '/fits/**', upstream: 'up', protections: cloak },
      { name: 'gzip', path: '/gzip/**', upstream: 'up', protections: cloak },
    ],
  });
});
after(async () => { await gw?.close(); await upstream?.close(); });

test('a response over maxInspectedResponseBytes is refused by default: nothing uninspected leaks', async () => {
  const res = await request(`${gw.url}/block/x`);
  assert.equal(res.statusCode, 502);
  assert.equal((await res.body.json() as { reason: string }).reason, 'response_too_large');
});

test('responseOverflow: pass sends it whole and uninspected, and records that it did', async () => {
  const res = await request(`${gw.url}/pass/x`);
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), BIG, 'the whole body, unchanged');
  const events = (await gw.logs()).filter((r) => r.type === 'security' && r.requestId === res.headers['x-request-id']);
  assert.equal(events[0]?.reason, 'response_not_inspected');
});

test('under the cap the body is inspected; a compressed one is decoded, rewritten and compressed again', async () => {
  const plain = await request(`${gw.url}/fits/x`);
  const text = await plain.body.text();
  assert.equal(plain.statusCode, 200);
  assert.ok(!text.includes('010-1234-5678') && text.includes('5678'), 'the phone is masked');
  const gz = await request(`${gw.url}/gzip/x`, { headers: { 'accept-encoding': 'gzip, zstd' } });
  assert.equal(gz.statusCode, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  const compressed = Buffer.from(await gz.body.arrayBuffer());
  assert.equal(Number(gz.headers['content-length']), compressed.length);
  const decoded = gunzipSync(compressed).toString();
  assert.ok(!decoded.includes('010-1234-5678') && decoded.includes('5678'), 'masked inside the gzip body');
  assert.equal(upstream.requests.at(-1)?.headers['accept-encoding'], 'gzip', 'the upstream was offered only what can be decoded');
});
