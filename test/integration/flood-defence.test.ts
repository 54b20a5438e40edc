import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, catchAllPolicy } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { freePort, spawnCli } from '../helpers/cli.ts';

const REDIS_SERVER = '/usr/bin/redis-server';
const TRUSTED = { trustedProxies: ['127.0.0.1/32'] };

let upstream: TestUpstream;
before(async () => { upstream = await startUpstream(); });
after(async () => { await upstream.close(); });

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }

/** One request from `clientIp`, claimed through X-Forwarded-For (127.0.0.1 is a trusted proxy in these policies). */
async function get(url: string, clientIp?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(url, { headers: { ...headers, ...(clientIp ? { 'x-forwarded-for': clientIp } : {}) } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

async function admin(gw: { adminUrl: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(`${gw.adminUrl}${path}`, {
    method: method as 'GET',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

type BanView = { key: string; reason: string; since: string; until: string };
const bansOf = async (gw: { adminUrl: string }) => ((await admin(gw, 'GET', '/bans')).body.bans as BanView[]);

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes; returns the last result. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 4000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * True when a new connection from 127.0.0.1 is closed by the gateway before it sent a single byte: the request
 * is written at once, so a gateway that read it would answer.
 */
async function refusedAtAccept(port: number): Promise<boolean> {
  const res = await rawRequest(port, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 2000 });
  return res.closed && res.text === '';
}

test('per-IP rate: the request over the limit gets 429 flood_per_ip with Retry-After, never reaches the upstream', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { perIp: { limit: 3, window: '10s' } } },
  }));
  t.after(() => gw.close());
  for (let i = 0; i < 3; i++) assert.equal((await get(`${gw.url}/items`, '198.51.100.1')).status, 200);
  const seen = upstream.requests.length;
  const refused = await get(`${gw.url}/items`, '198.51.100.1');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.equal(refused.body.reason, 'flood_per_ip');
  assert.equal(refused.body.type, 'urn:portcullis:problem:flood_per_ip');
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 11, `Retry-After ${refused.headers['retry-after']}`);
  assert.equal(upstream.requests.length, seen, 'refused before the upstream');
  assert.equal((await get(`${gw.url}/items`, '198.51.100.2')).status, 200, 'another client has its own quota');
  // The proxy itself (no forwarding header) is never counted.
  for (let i = 0; i < 5; i++) assert.equal((await get(`${gw.url}/items`)).status, 200);

  const event = (await gw.logs()).find((r) => r.type === 'security' && r.requestId === refused.body.requestId);
  assert.equal(event?.protection, 'flood-defence');
  assert.equal(event?.clientIp, '198.51.100.1');
  assert.equal(event?.status, 429);
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_verdicts_total\{protection="flood-defence",action="block",reason="flood_per_ip"\} 1\b/);
});

test('global rate: all clients together, 429 flood_global', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { global: { limit: 5, window: '10s' } } },
  }));
  t.after(() => gw.close());
  const statuses: number[] = [];
  for (let i = 1; i <= 8; i++) statuses.push((await get(`${gw.url}/items`, `192.0.2.${i}`)).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  const refused = await get(`${gw.url}/items`, '192.0.2.77');
  assert.equal(refused.body.reason, 'flood_global');
  assert.ok(Number(refused.headers['retry-after']) >= 1);
});

test('repeated violations ban the client: refused at request head, listed, lifted by DELETE, then served again', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { perIp: { limit: 2, window: '1s' }, ban: { after: 3, within: '1m', duration: '10m' } } },
  }));
  t.after(() => gw.close());
  const client = '203.0.113.5';
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await get(`${gw.url}/items`, client)).status);
  assert.deepEqual(statuses, [200, 200, 429, 429, 429], 'two admitted, three refused: the third refusal bans');
  assert.ok(await eventually(async () => (await get(`${gw.url}/items`, client)).body.reason === 'banned'), 'banned');

  const banned = await get(`${gw.url}/items`, client);
  assert.equal(banned.status, 429);
  assert.equal(banned.body.reason, 'banned');
  assert.equal(banned.headers.connection, 'close', 'the connection of a banned client is not kept');
  const retryAfter = Number(banned.headers['retry-after']);
  assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter}`);
  assert.equal((await get(`${gw.url}/items`, '203.0.113.6')).status, 200, 'only that client is banned');

  const list = await bansOf(gw);
  assert.equal(list.length, 1);
  assert.equal(list[0]!.key, `ip:${client}`);
  assert.equal(list[0]!.reason, 'flood_per_ip');
  const length = Date.parse(list[0]!.until) - Date.parse(list[0]!.since);
  assert.ok(Math.abs(length - 600_000) < 1000, `ban of ${length} ms`);
  assert.match(await (await request(`${gw.adminUrl}/metrics`)).body.text(), /portcullis_bans_active 1\b/);

  const lifted = await admin(gw, 'DELETE', `/bans/${client}`);
  assert.equal(lifted.status, 200);
  assert.deepEqual(lifted.body, { lifted: [`ip:${client}`] });
  assert.deepEqual(await bansOf(gw), []);
  assert.equal((await admin(gw, 'DELETE', `/bans/${client}`)).body.reason, 'ban_not_found');
  // Once the one-second per-IP window has passed (no polling: each refusal would count again), it is served.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal((await get(`${gw.url}/items`, client)).status, 200, 'served again');
});

test('a client whose requests keep taking past the inspection time limit is banned', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { perIp: { limit: 100, window: '10s' }, ban: { after: 2, within: '1m', duration: '1m' } }, attackDetection: { maxInspectionMs: 1 } },
  }));
  t.after(() => gw.close());
  const client = '203.0.113.40';
  const slow = JSON.stringify(Object.fromEntries(['a', 'b', 'c', 'd'].map((k) => [k, '<style>'.repeat(8500)])));
  const post = async () => {
    const res = await request(`${gw.url}/items`, { method: 'POST', headers: { 'x-forwarded-for': client, 'content-type': 'application/json' }, body: slow });
    return { status: res.statusCode, body: await res.body.json() as { reason: string } };
  };
  for (let i = 0; i < 2; i++) assert.equal((await post()).body.reason, 'inspection_time_exceeded');
  assert.ok(await eventually(async () => (await get(`${gw.url}/items`, client)).body.reason === 'banned'), 'banned after the second');
  assert.equal((await bansOf(gw))[0]?.reason, 'inspection_time_exceeded');
  assert.equal((await get(`${gw.url}/items`, '203.0.113.41')).status, 200, 'only that client');
});

test('a banned TCP peer is closed at accept, before any byte is read; lifting the ban admits it again', async (t) => {
  // No trusted proxy: the client is the TCP peer 127.0.0.1 and its own violations ban it.
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    protections: { floodDefence: { perIp: { limit: 2, window: '1s' }, ban: { after: 2, within: '1m', duration: '1m' } } },
  }));
  t.after(() => gw.close());
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await get(`${gw.url}/items`)).status);
  assert.deepEqual(statuses, [200, 200, 429, 429]);
  assert.ok(await eventually(() => refusedAtAccept(gw.port)), 'new connections are closed without a reply');
  const seen = upstream.requests.length;
  assert.equal(await refusedAtAccept(gw.port), true);
  assert.equal(upstream.requests.length, seen);

  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.protection === 'flood-defence' && r.reason === 'banned' && r.location === 'connection'));
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="banned"\} [1-9]/);

  assert.deepEqual((await admin(gw, 'DELETE', '/bans/ip:127.0.0.1')).body, { lifted: ['ip:127.0.0.1'] });
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal((await rawRequest(gw.port, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status, 200, 'served again');
  // A lifted ban gives a fresh start: the next refusals count from zero (two are needed again).
  const again: (string | number)[] = [];
  for (let i = 0; i < 3; i++) { const res = await get(`${gw.url}/items`); again.push(res.status === 200 ? 200 : String(res.body.reason)); }
  assert.deepEqual(again, [200, 'flood_per_ip', 'flood_per_ip'], 'the first refusal after the lift did not ban again');
  assert.ok(await eventually(() => refusedAtAccept(gw.port)), 'the second one did');
  assert.equal((await admin(gw, 'DELETE', '/bans/127.0.0.1')).status, 200);
});

test('bans set through the admin API: request head behind a proxy, accept for the TCP peer; expiry', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, { clientAddress: TRUSTED }));
  t.after(() => gw.close());
  // The default configuration enforces bans without any rate.
  const added = await admin(gw, 'POST', '/bans', { ip: '2001:DB8::7', duration: '1s', reason: 'incident 42' });
  assert.equal(added.status, 201);
  assert.equal(added.body.key, 'ip:2001:db8::7');
  assert.equal(added.body.reason, 'incident 42');
  assert.equal((await get(`${gw.url}/x`, '2001:db8:0::7')).body.reason, 'banned', 'any spelling of the address');
  assert.equal((await get(`${gw.url}/x`, '2001:db8::8')).status, 200);
  // Expiry: one second later the client is served and the list is empty.
  assert.ok(await eventually(async () => (await get(`${gw.url}/x`, '2001:db8::7')).status === 200, 5000), 'the ban expired');
  assert.deepEqual(await bansOf(gw), []);

  // The proxy's own address can be banned, but it is a trusted proxy: never refused at accept nor at request head.
  assert.equal((await admin(gw, 'POST', '/bans', { ip: '127.0.0.1', duration: '1m' })).status, 201);
  assert.equal((await get(`${gw.url}/x`)).status, 200);
  assert.equal((await get(`${gw.url}/x`, '192.0.2.1')).status, 200);
  await admin(gw, 'DELETE', '/bans/127.0.0.1');

  const untrusted = await startGateway(catchAllPolicy(upstream.url));
  t.after(() => untrusted.close());
  assert.equal((await admin(untrusted, 'POST', '/bans', { ip: '127.0.0.1', duration: '1m' })).status, 201);
  assert.equal(await refusedAtAccept(untrusted.port), true, 'an untrusted peer is closed at accept');
  await admin(untrusted, 'DELETE', '/bans/127.0.0.1');
  assert.equal((await get(`${untrusted.url}/x`)).status, 200);
});

test('exempt clients are never limited or banned; monitor mode records without refusing or banning', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { perIp: { limit: 1, window: '10s' }, ban: { after: 1, within: '1m', duration: '1m' }, exempt: ['198.51.100.0/24'] } },
  }));
  t.after(() => gw.close());
  for (let i = 0; i < 30; i++) assert.equal((await get(`${gw.url}/x`, '198.51.100.9')).status, 200);
  assert.deepEqual(await bansOf(gw), []);

  const monitored = await startGateway(catchAllPolicy(upstream.url, {
    clientAddress: TRUSTED,
    protections: { floodDefence: { mode: 'monitor', perIp: { limit: 1, window: '10s' }, ban: { after: 1, within: '1m', duration: '1m' } } },
  }));
  t.after(() => monitored.close());
  for (let i = 0; i < 5; i++) assert.equal((await get(`${monitored.url}/x`, '192.0.2.200')).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(await bansOf(monitored), [], 'monitor mode never bans');
  const flagged = (await monitored.logs()).filter((r) => r.type === 'security' && r.clientIp === '192.0.2.200' && r.reason === 'flood_per_ip');
  assert.equal(flagged.length, 4);
  assert.ok(flagged.every((r) => r.action === 'flag' && r.wouldBlock === true));
});

test('admin API: input validation, methods and the token', async (t) => {
  const gw = await startGateway(catchAllPolicy(upstream.url));
  t.after(() => gw.close());
  const bad: [unknown, string][] = [
    ['{not json', 'not valid JSON'],
    [[], 'JSON object'],
    [{ ip: 'localhost', duration: '1m' }, 'ip must be'],
    [{ ip: '10.0.0.0/8', duration: '1m' }, 'ip must be'],
    [{ ip: '192.0.2.1' }, 'duration'],
    [{ ip: '192.0.2.1', duration: 60 }, 'duration'],
    [{ ip: '192.0.2.1', duration: '31d' }, 'duration'],
    [{ ip: '192.0.2.1', duration: '500ms' }, 'duration'],
    [{ ip: '192.0.2.1', duration: '1m', reason: 'line\nbreak' }, 'reason'],
    [{ ip: '192.0.2.1', duration: '1m', extra: 1 }, 'unknown member'],
  ];
  for (const [body, message] of bad) {
    const res = await admin(gw, 'POST', '/bans', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(res.body.reason, 'invalid_ban');
    assert.ok(String(res.body.detail).includes(message), `${JSON.stringify(body)}: ${String(res.body.detail)}`);
  }
  assert.equal((await admin(gw, 'POST', '/bans', 'ip=192.0.2.1', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
  assert.equal((await admin(gw, 'POST', '/bans', { ip: '192.0.2.1', duration: '1m', reason: 'x'.repeat(5000) })).status, 413);
  assert.equal((await admin(gw, 'PUT', '/bans', { ip: '192.0.2.1', duration: '1m' })).status, 405);
  assert.equal((await admin(gw, 'DELETE', '/bans')).headers.allow, 'GET, HEAD, POST');
  assert.equal((await admin(gw, 'POST', '/metrics', {})).status, 405, 'other paths stay read-only');
  assert.equal((await admin(gw, 'DELETE', '/bans/%E0%A4%A')).status, 400);
  assert.equal((await admin(gw, 'GET', '/bans', undefined, { host: 'attacker.example' })).status, 403, 'DNS rebinding: only loopback hosts without a token');
  assert.deepEqual(await bansOf(gw), [], 'nothing was added');

  const withToken = await startGateway({ ...catchAllPolicy(upstream.url), admin: { address: '127.0.0.1:0', token: 'test-admin-token' } });
  t.after(() => withToken.close());
  assert.equal((await admin(withToken, 'GET', '/bans')).status, 401);
  assert.equal((await admin(withToken, 'POST', '/bans', { ip: '192.0.2.1', duration: '1m' })).status, 401);
  assert.equal((await admin(withToken, 'DELETE', '/bans/192.0.2.1')).status, 401);
  const auth = { authorization: 'Bearer test-admin-token' };
  assert.equal((await admin(withToken, 'POST', '/bans', { ip: '192.0.2.1', duration: '1m' }, auth)).status, 201);
  assert.equal(((await admin(withToken, 'GET', '/bans', undefined, auth)).body.bans as BanView[]).length, 1);
  assert.equal((await admin(withToken, 'DELETE', '/bans/192.0.2.1', undefined, auth)).status, 200);
});

test('with the Redis store, a ban set through one gateway is refused by another instance', async (t) => {
  if (!existsSync(REDIS_SERVER)) { t.skip(`${REDIS_SERVER} is not installed`); return; }
  const redisPort = await freePort();
  const redis: ChildProcess = spawn(REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  t.after(() => { redis.kill('SIGTERM'); });
  assert.ok(await eventually(() => new Promise((resolve) => {
    const socket = connect(redisPort, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  }), 5000), 'redis-server started');

  const store = { kind: 'redis', redis: { url: `redis://127.0.0.1:${redisPort}`, banRefreshMs: 200 } };
  const flood = { perIp: { limit: 2, window: '10s' }, ban: { after: 2, within: '1m', duration: '1m' } };
  // Instance A: in this process, behind a trusted proxy.
  const a = await startGateway(catchAllPolicy(upstream.url, { store, clientAddress: TRUSTED, protections: { floodDefence: flood } }));
  t.after(() => a.close());
  // Instance B: a separate process sharing the Redis, without trusted proxies (its client is the TCP peer).
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-flood-'));
  const [portB, adminB] = [await freePort(), await freePort()];
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify(catchAllPolicy(upstream.url, {
    listeners: [{ name: 'b', address: `127.0.0.1:${portB}` }],
    admin: { address: `127.0.0.1:${adminB}` },
    logging: { access: { enabled: false }, security: { enabled: false } },
    store,
    protections: { floodDefence: flood },
  })));
  const b = await spawnCli(['start', '--config', policyFile]);
  t.after(async () => { b.child.kill('SIGTERM'); await b.exited; });
  const bAdmin = { adminUrl: `http://127.0.0.1:${adminB}` };

  // A ban set through B's admin API reaches A (which also shows that A's store is connected).
  assert.equal((await admin(bAdmin, 'POST', '/bans', { ip: '192.0.2.99', duration: '1m' })).status, 201);
  assert.ok(await eventually(async () => (await bansOf(a)).some((ban) => ban.key === 'ip:192.0.2.99')), 'A lists B\'s ban');
  assert.equal((await get(`${a.url}/x`, '192.0.2.99')).body.reason, 'banned', 'and refuses that client');

  // A ban decided by A (a client's violations) is listed by B.
  for (let i = 0; i < 4; i++) await get(`${a.url}/x`, '203.0.113.70');
  assert.ok(await eventually(async () => (await bansOf(bAdmin)).some((ban) => ban.key === 'ip:203.0.113.70')), 'B lists A\'s ban');

  // A ban set through A's admin API on 127.0.0.1 closes B's connections at accept (A trusts 127.0.0.1: not refused).
  assert.equal((await admin(a, 'POST', '/bans', { ip: '127.0.0.1', duration: '1m', reason: 'shared' })).status, 201);
  assert.ok(await eventually(() => refusedAtAccept(portB)), 'B refuses at accept');
  assert.equal((await get(`${a.url}/x`)).status, 200);

  // Lifted through B, A forgets it too; B serves again.
  assert.equal((await admin(bAdmin, 'DELETE', '/bans/127.0.0.1')).status, 200);
  assert.ok(await eventually(async () => !(await bansOf(a)).some((ban) => ban.key === 'ip:127.0.0.1')));
  assert.ok(await eventually(async () => (await rawRequest(portB, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status === 200), 'B serves again');
});
