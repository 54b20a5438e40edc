import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { spawnCli, freePort, type RunningCli } from '../helpers/cli.ts';

/**
 * 300 MB each way. Memory is "flat" when the gateway's RSS growth stays far below the body size: a buffered body
 * would add at least the body's size. (Garbage from passing chunks is collected in batches, which is why the
 * bound is not zero.)
 */
const SIZE = 300 * 1024 * 1024;
const MAX_GROWTH = 100 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'portcullis streaming test ');

/** A 100 MB body generated on the fly, so the client itself holds nothing in memory. */
function bigBody(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) { this.push(null); return; }
      const n = Math.min(CHUNK.length, SIZE - sent);
      sent += n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

function expectedSha(): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < SIZE; sent += CHUNK.length) hash.update(CHUNK.subarray(0, Math.min(CHUNK.length, SIZE - sent)));
  return hash.digest('hex');
}

let upstream: TestUpstream;
let gateway: RunningCli;
let port: number;
let adminPort: number;

/** Resident memory of the gateway process, read from its own metrics. */
async function gatewayRss(): Promise<number> {
  const res = await request(`http://127.0.0.1:${adminPort}/metrics`);
  const text = await res.body.text();
  return Number(/^portcullis_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

before(async () => {
  upstream = await startUpstream((req, res, seen) => {
    if (req.url === '/download') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
      bigBody().pipe(res);
      return;
    }
    const body = JSON.stringify({ bytes: seen.bodyBytes, sha: seen.bodySha256 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  port = await freePort();
  adminPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-stream-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify({
    listeners: [{ address: `127.0.0.1:${port}` }],
    admin: { address: `127.0.0.1:${adminPort}` },
    upstreams: { up: { url: upstream.url } },
    // Bulk uploads: the route opts out of body inspection, so the body streams instead of being buffered.
    routes: [{ path: '/**', upstream: 'up', limits: { maxBodyBytes: 2 * SIZE }, protections: { attackDetection: { inspectBody: false } } }],
    logging: { access: { destination: join(dir, 'access.log') }, security: { destination: join(dir, 'access.log') } },
  }));
  gateway = await spawnCli(['start', '--config', policyFile]);
});

after(async () => {
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  await upstream.close();
});

test('a 300 MB upload streams through with flat memory and arrives intact', async () => {
  const baseline = await gatewayRss();
  let peak = baseline;
  const sampler = setInterval(() => { gatewayRss().then((rss) => { peak = Math.max(peak, rss); }, () => {}); }, 100);
  const res = await request(`http://127.0.0.1:${port}/upload`, {
    method: 'PUT', body: bigBody(), headers: { 'content-type': 'application/octet-stream' },
  });
  clearInterval(sampler);
  const seen = await res.body.json() as { bytes: number; sha: string };
  assert.equal(res.statusCode, 200);
  assert.equal(seen.bytes, SIZE);
  assert.equal(seen.sha, expectedSha());
  assert.ok(peak - baseline < MAX_GROWTH, `gateway RSS grew by ${((peak - baseline) / 1048576).toFixed(1)} MB for a ${SIZE / 1048576} MB body`);
});

test('a 300 MB download streams through with flat memory and arrives intact', async () => {
  const baseline = await gatewayRss();
  let peak = baseline;
  const sampler = setInterval(() => { gatewayRss().then((rss) => { peak = Math.max(peak, rss); }, () => {}); }, 100);
  const res = await request(`http://127.0.0.1:${port}/download`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body) { hash.update(chunk as Buffer); bytes += (chunk as Buffer).length; }
  clearInterval(sampler);
  assert.equal(res.statusCode, 200);
  assert.equal(bytes, SIZE);
  assert.equal(hash.digest('hex'), expectedSha());
  assert.ok(peak - baseline < MAX_GROWTH, `gateway RSS grew by ${((peak - baseline) / 1048576).toFixed(1)} MB for a ${SIZE / 1048576} MB body`);
});
