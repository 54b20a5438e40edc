import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, Agent } from 'undici';
import { stringify } from 'yaml';
import { startUpstream } from '../helpers/upstream.ts';
import { startGateway } from '../helpers/gateway.ts';
import { spawnCli, freePort } from '../helpers/cli.ts';

function policyWith(upstreamUrl: string, methods: string[]) {
  return {
    upstreams: { up: { url: upstreamUrl } },
    routes: [{ name: 'items', path: '/items/{id}', methods, upstream: 'up' }],
  };
}

test('hot reload under load: zero failed requests, new policy takes effect, a broken policy keeps the old one', async (t) => {
  const upstream = await startUpstream((_req, res) => { setTimeout(() => { res.writeHead(200, { 'content-length': '2' }); res.end('ok'); }, 5); });
  const gw = await startGateway(policyWith(upstream.url, ['GET']));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const agent = new Agent({ connections: 20 });
  let ok = 0;
  const failures: string[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const res = await request(`${gw.url}/items/1`, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200) ok++; else failures.push(`status ${res.statusCode}`);
      } catch (error) { failures.push(String((error as Error).message)); }
    }
  };
  const workers = Array.from({ length: 20 }, worker);
  const results: boolean[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (i === 5) writeFileSync(gw.policyFile, 'routes: [ this is not: a valid policy');
    else gw.writePolicy(policyWith(upstream.url, i % 2 === 0 ? ['GET', 'DELETE'] : ['GET']));
    results.push(await gw.gateway.reload());
  }
  // The last reload (i = 9) allowed only GET; now allow DELETE and check that it takes effect at once.
  gw.writePolicy(policyWith(upstream.url, ['GET', 'DELETE']));
  assert.equal(await gw.gateway.reload(), true);
  const del = await request(`${gw.url}/items/1`, { method: 'DELETE', dispatcher: agent });
  await del.body.dump();
  assert.equal(del.statusCode, 200, 'the new policy serves the next request');
  running = false;
  await Promise.all(workers);
  await agent.close();
  assert.deepEqual(results, [true, true, true, true, true, false, true, true, true, true]);
  assert.deepEqual(failures, []);
  assert.ok(ok > 100, `only ${ok} requests completed`);
});

test('a broken policy on reload keeps the old policy serving', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(policyWith(upstream.url, ['GET']));
  t.after(async () => { await gw.close(); await upstream.close(); });
  // Metrics are per process, and tests share the process: compare before and after.
  const failedReloads = async () => Number(/portcullis_policy_reloads_total\{result="failed"\} (\d+)/
    .exec(await (await request(`${gw.adminUrl}/metrics`)).body.text())?.[1] ?? 0);
  const failedBefore = await failedReloads();
  gw.writePolicy({ upstreams: { up: { url: upstream.url } }, routes: [{ path: '/items/{id}', methods: ['FETCH'], upstream: 'up' }] });
  assert.equal(await gw.gateway.reload(), false);
  const res = await request(`${gw.url}/items/7`);
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  assert.equal(await failedReloads(), failedBefore + 1);
});

async function cliGateway(upstreamUrl: string, extra: Record<string, unknown> = {}) {
  const port = await freePort();
  const adminPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  const policyFile = join(dir, 'policy.yaml');
  const logFile = join(dir, 'access.log');
  const write = (methods: string[]) => writeFileSync(policyFile, stringify({
    listeners: [{ address: `127.0.0.1:${port}` }],
    admin: { address: `127.0.0.1:${adminPort}` },
    logging: { access: { destination: logFile }, security: { destination: logFile } },
    ...policyWith(upstreamUrl, methods),
    ...extra,
  }));
  write(['GET']);
  const running = await spawnCli(['start', '--config', policyFile]);
  return { ...running, port, adminPort, policyFile, logFile, write };
}

test('SIGHUP reloads the policy file; SIGTERM drains in-flight requests, then exits 0', async (t) => {
  const upstream = await startUpstream((req, res) => {
    const delay = req.url?.includes('slow') ? 800 : 0;
    setTimeout(() => { res.writeHead(200, { 'content-length': '4' }); res.end('done'); }, delay);
  });
  t.after(() => upstream.close());
  const gw = await cliGateway(upstream.url);
  t.after(() => { gw.child.kill('SIGKILL'); });

  const before = await request(`http://127.0.0.1:${gw.port}/items/1`, { method: 'DELETE' });
  await before.body.dump();
  assert.equal(before.statusCode, 405);
  gw.write(['GET', 'DELETE']);
  gw.child.kill('SIGHUP');
  await waitFor(() => gw.stderr().includes('"event":"reloaded"'));
  const after = await request(`http://127.0.0.1:${gw.port}/items/1`, { method: 'DELETE' });
  await after.body.dump();
  assert.equal(after.statusCode, 200);

  const slow = request(`http://127.0.0.1:${gw.port}/items/slow`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  gw.child.kill('SIGTERM');
  const res = await slow;
  assert.equal(res.statusCode, 200, 'the in-flight request completes during the drain');
  assert.equal(await res.body.text(), 'done');
  assert.equal(await gw.exited, 0);
  await assert.rejects(request(`http://127.0.0.1:${gw.port}/items/1`), 'no longer accepting');
});

test('SIGUSR1 reopens the access log file (log rotation)', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const gw = await cliGateway(upstream.url);
  t.after(() => { gw.child.kill('SIGKILL'); });
  const { renameSync } = await import('node:fs');
  (await request(`http://127.0.0.1:${gw.port}/items/1`)).body.dump();
  await waitFor(() => safeRead(gw.logFile).includes('"status":200'));
  renameSync(gw.logFile, `${gw.logFile}.1`);
  gw.child.kill('SIGUSR1');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const res = await request(`http://127.0.0.1:${gw.port}/items/2`);
  await res.body.dump();
  await waitFor(() => safeRead(gw.logFile).includes('/items/2'));
  assert.ok(!safeRead(`${gw.logFile}.1`).includes('/items/2'), 'new lines go to the new file');
});

test('upstream down answers 502 quickly; a slow upstream answers 504 at the configured timeout', async (t) => {
  const slow = await startUpstream((_req, res) => { setTimeout(() => { res.end('late'); }, 2000); });
  const closedPort = await freePort();
  const gw = await startGateway({
    upstreams: {
      down: { url: `http://127.0.0.1:${closedPort}` },
      slow: { url: slow.url, headersTimeoutMs: 300 },
    },
    routes: [
      { path: '/down/**', upstream: 'down' },
      { path: '/slow/**', upstream: 'slow' },
    ],
  });
  t.after(async () => { await gw.close(); await slow.close(); });
  let started = Date.now();
  const down = await request(`${gw.url}/down/x`);
  const downBody = await down.body.json() as { reason: string };
  assert.equal(down.statusCode, 502);
  assert.equal(downBody.reason, 'upstream_unavailable');
  assert.ok(Date.now() - started < 500, 'refused connections fail fast');
  started = Date.now();
  const late = await request(`${gw.url}/slow/x`);
  const lateBody = await late.body.json() as { reason: string };
  const elapsed = Date.now() - started;
  assert.equal(late.statusCode, 504);
  assert.equal(lateBody.reason, 'upstream_timeout');
  assert.ok(elapsed >= 280 && elapsed < 1500, `504 after ${elapsed} ms`);
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_upstream_errors_total\{upstream="down",code="ECONNREFUSED"\} [1-9]/);
  assert.match(metrics, /portcullis_upstream_errors_total\{upstream="slow",code="UND_ERR_HEADERS_TIMEOUT"\} [1-9]/);
});

function safeRead(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
