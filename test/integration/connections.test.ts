import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream.ts';
import { startGateway, catchAllPolicy } from '../helpers/gateway.ts';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) { resolve(true); return; }
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

test('connections over the per-IP cap are closed at once; others are still served', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(catchAllPolicy(upstream.url, { limits: { maxConnectionsPerIp: 3 } }));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const held = [await open(gw.port), await open(gw.port), await open(gw.port)];
  const extra = await open(gw.port);
  extra.on('error', () => {});
  assert.equal(await closedWithin(extra, 1000), true, 'the fourth connection is closed');
  for (const socket of held) assert.equal(socket.destroyed, false);
  held[0]!.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const res = await request(`${gw.url}/ok`);
  await res.body.dump();
  assert.equal(res.statusCode, 200, 'a slot freed is usable again');
  for (const socket of held) socket.destroy();
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="per_ip_limit"\} [1-9]/);
});

test('the last request a connection may carry is answered with Connection: close, and the connection closed', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(catchAllPolicy(upstream.url, { limits: { maxRequestsPerConnection: 3 } }));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const socket = await open(gw.port);
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  const responses = () => received.split('HTTP/1.1 ').slice(1);
  for (let i = 1; i <= 3; i++) {
    socket.write(`GET /r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    const deadline = Date.now() + 2000;
    while (responses().length < i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const answers = responses();
  assert.equal(answers.length, 3);
  assert.ok(answers.every((r) => r.startsWith('200')), 'every request is served, none refused');
  assert.doesNotMatch(answers[1]!, /\r\nconnection: close\r\n/i);
  assert.match(answers[2]!, /\r\nconnection: close\r\n/i);
  assert.equal(await closedWithin(socket, 1000), true, 'closed after the third response');
});

test('connections over the global cap are closed at once and counted', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(catchAllPolicy(upstream.url, { limits: { maxConnections: 2 } }));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const held = [await open(gw.port), await open(gw.port)];
  const extra = await open(gw.port);
  extra.on('error', () => {});
  assert.equal(await closedWithin(extra, 1000), true, 'the third connection is closed');
  for (const socket of held) assert.equal(socket.destroyed, false);
  for (const socket of held) socket.destroy();
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="connection_limit"\} [1-9]/);
});

test('a client that stops reading a large response is cut off after the write idle timeout', async (t) => {
  const big = Buffer.alloc(32 * 1024 * 1024, 'z');
  const upstream = await startUpstream((_req, res) => { res.writeHead(200, { 'content-length': big.length }); res.end(big); });
  const gw = await startGateway(catchAllPolicy(upstream.url, { limits: { writeIdleTimeoutMs: 500 } }));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const socket = await open(gw.port);
  socket.on('error', () => {});
  socket.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  socket.pause(); // never read: the kernel buffers fill up, then writes stall
  const started = Date.now();
  // A paused client cannot see the close, so watch the gateway's side: the exchange ends and is logged.
  let record: Record<string, unknown> | undefined;
  while (!record && Date.now() - started < 15_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    record = (await gw.logs()).find((r) => r.type === 'access' && r.path === '/big');
  }
  const elapsed = Date.now() - started;
  socket.destroy();
  assert.ok(record, 'the stalled exchange was ended and logged');
  // Lower bound: not before the timeout; the upper bound is loose because CI machines are loaded.
  assert.ok(elapsed >= 400 && elapsed < 12_000, `ended after ${elapsed} ms`);
  assert.equal(record.outcome, 'aborted');
});

test('a request id from a trusted proxy is kept; a malformed one is replaced', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(catchAllPolicy(upstream.url, { clientAddress: { trustedProxies: ['127.0.0.1'] } }));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const kept = await request(`${gw.url}/a`, { headers: { 'x-request-id': 'lb-7f3a.42' } });
  await kept.body.dump();
  assert.equal(kept.headers['x-request-id'], 'lb-7f3a.42');
  assert.equal(upstream.requests.at(-1)!.headers['x-request-id'], 'lb-7f3a.42');
  const replaced = await request(`${gw.url}/a`, { headers: { 'x-request-id': 'bad id with spaces' } });
  await replaced.body.dump();
  assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('with reload.watch, editing the policy file reloads it', async (t) => {
  const upstream = await startUpstream();
  const policy = (methods: string[]) => ({
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/w', methods, upstream: 'up' }],
    reload: { watch: true },
  });
  const gw = await startGateway(policy(['GET']));
  t.after(async () => { await gw.close(); await upstream.close(); });
  const before = await request(`${gw.url}/w`, { method: 'DELETE' });
  await before.body.dump();
  assert.equal(before.statusCode, 405);
  gw.writePolicy(policy(['GET', 'DELETE']));
  const deadline = Date.now() + 5000;
  let status = 0;
  while (Date.now() < deadline) {
    const res = await request(`${gw.url}/w`, { method: 'DELETE' });
    await res.body.dump();
    status = res.statusCode;
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status, 200);
});

test('the admin listener on a non-loopback address needs its bearer token, except for health', async (t) => {
  const upstream = await startUpstream();
  const gw = await startGateway(catchAllPolicy(upstream.url, { admin: { address: '0.0.0.0:0', token: { env: 'PORTCULLIS_TEST_ADMIN_TOKEN' } } }),
  ).catch((error: unknown) => { throw error; });
  t.after(async () => { await gw.close(); await upstream.close(); });
  const admin = `http://127.0.0.1:${gw.gateway.adminAddress!.port}`;
  assert.equal((await request(`${admin}/healthz`)).statusCode, 200);
  assert.equal((await request(`${admin}/readyz`)).statusCode, 200);
  const anonymous = await request(`${admin}/metrics`);
  await anonymous.body.dump();
  assert.equal(anonymous.statusCode, 401);
  const wrong = await request(`${admin}/metrics`, { headers: { authorization: 'Bearer nope' } });
  await wrong.body.dump();
  assert.equal(wrong.statusCode, 401);
  const right = await request(`${admin}/metrics`, { headers: { authorization: `Bearer ${process.env.PORTCULLIS_TEST_ADMIN_TOKEN}` } });
  const text = await right.body.text();
  assert.equal(right.statusCode, 200);
  assert.ok(!text.includes(process.env.PORTCULLIS_TEST_ADMIN_TOKEN!), 'the token never appears in metrics');
});

process.env.PORTCULLIS_TEST_ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
