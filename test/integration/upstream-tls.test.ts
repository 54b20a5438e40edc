import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { chmodSync, copyFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { join } from 'node:path';
import { createTestPki, hasOpenssl, type TestPki } from '../helpers/certificates.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/cli.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { validatePolicyObject } from '../../src/config/load-policy.ts';
import { PolicyError } from '../../src/config/policy-error.ts';

const skip = hasOpenssl() ? false : 'the openssl command is not installed (it makes the test certificates)';

let pki: TestPki;
let gw: TestGateway;

/** An HTTPS upstream that requires a client certificate from the test CA, and says which one it got. */
interface SecureUpstream { url: string; port: number; seen: { cn: string; path: string }[]; webSocketHeaders: IncomingHttpHeaders[]; close(): Promise<void> }

async function startSecureUpstream(options: { requireClientCert: boolean; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<SecureUpstream> {
  const seen: { cn: string; path: string }[] = [];
  const server = https.createServer({
    cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), ca: readFileSync(pki.ca.cert),
    requestCert: options.requireClientCert, rejectUnauthorized: options.requireClientCert, maxVersion: options.maxVersion,
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer && peer.subject ? String(peer.subject.CN) : '';
    seen.push({ cn, path: req.url ?? '' });
    const body = JSON.stringify({ clientCn: cn, path: req.url, protocol: (req.socket as TLSSocket).getProtocol() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // WebSocket echo on the same server: the upgrade goes through the same mutual-TLS handshake.
  const webSocketHeaders: IncomingHttpHeaders[] = [];
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    webSocketHeaders.push(req.headers);
    socket.on('message', (data) => socket.send(`echo from ${peer.subject?.CN}: ${data.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`, port, seen, webSocketHeaders,
    close: () => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate(); // upgraded sockets are not closed by closeAllConnections
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let mtlsUpstream: SecureUpstream;
let tls12Upstream: SecureUpstream;

before(async () => {
  if (skip) return;
  pki = createTestPki();
  mtlsUpstream = await startSecureUpstream({ requireClientCert: true });
  tls12Upstream = await startSecureUpstream({ requireClientCert: false, maxVersion: 'TLSv1.2' });
  const client = { cert: pki.client.cert, key: pki.client.key };
  const url = mtlsUpstream.url;
  const upstreams: Record<string, unknown> = {
    mtls: { url, tls: { ca: pki.ca.cert, ...client } },
    'no-client-cert': { url, tls: { ca: pki.ca.cert } },
    'default-trust': { url, tls: { ...client } },
    'foreign-ca': { url, tls: { ca: pki.otherCa.cert, ...client } },
    unverified: { url, tls: { verify: false, ...client } },
    'right-name': { url, tls: { ca: pki.ca.cert, serverName: 'portcullis.test', ...client } },
    'wrong-name': { url, tls: { ca: pki.ca.cert, serverName: 'elsewhere.test', ...client } },
    'tls13-only': { url: tls12Upstream.url, tls: { ca: pki.ca.cert, minVersion: 'TLSv1.3' } },
    'tls12-ok': { url: tls12Upstream.url, tls: { ca: pki.ca.cert } },
    'untrusted-client-cert': { url, tls: { ca: pki.ca.cert, cert: pki.untrusted.cert, key: pki.untrusted.key } },
  };
  gw = await startGateway({
    listeners: [
      { name: 'plain', address: '127.0.0.1:0' },
      { name: 'tls', address: `127.0.0.1:${await freePort()}`, tls: { certificates: [{ cert: pki.server.cert, key: pki.server.key }], clientCertificates: { ca: pki.ca.cert, mode: 'optional' } } },
    ],
    upstreams,
    routes: [
      { name: 'wss', path: '/socket', methods: ['GET'], upstream: 'mtls', protections: { clientCertificate: { allow: [{ subject: { CN: 'client-b' } }] } } },
      ...Object.keys(upstreams).map((name) => ({ name, path: `/${name}/**`, upstream: name })),
    ],
  });
});

after(async () => {
  if (skip) return;
  await gw?.close();
  await mtlsUpstream?.close();
  await tls12Upstream?.close();
  pki?.remove();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

test('Portcullis presents its client certificate to an upstream that requires one (mutual TLS), verifying the upstream', { skip }, async () => {
  const before = mtlsUpstream.seen.length;
  const res = await get('/mtls/orders?id=7');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.clientCn, 'client-a');
  assert.equal(res.body.path, '/mtls/orders?id=7');
  assert.equal(mtlsUpstream.seen.length, before + 1);
  // Keep-alive: the second request reuses the pool's TLS connection and works the same.
  assert.equal((await get('/mtls/again')).status, 200);
});

test('without a client certificate, or with one from an unknown CA, the upstream refuses the handshake: 502', { skip }, async () => {
  const before = mtlsUpstream.seen.length;
  for (const name of ['no-client-cert', 'untrusted-client-cert']) {
    const res = await get(`/${name}/x`);
    assert.equal(res.status, 502, name);
    assert.equal(res.body.reason, 'upstream_unavailable');
  }
  assert.equal(mtlsUpstream.seen.length, before, 'the upstream application never saw those requests');
});

test('verification is on by default: an upstream certificate from an untrusted CA or for another name gives 502', { skip }, async () => {
  const before = mtlsUpstream.seen.length;
  for (const name of ['default-trust', 'foreign-ca', 'wrong-name']) {
    const res = await get(`/${name}/x`);
    assert.equal(res.status, 502, name);
    assert.equal(res.body.reason, 'upstream_unavailable', name);
  }
  assert.equal(mtlsUpstream.seen.length, before);
  const errors = (await gw.logs()).filter((line) => line.type === 'access' && typeof line.route === 'string' && ['default-trust', 'foreign-ca', 'wrong-name'].includes(line.route));
  const byRoute = Object.fromEntries(errors.map((line) => [line.route, line.error]));
  assert.match(String(byRoute['default-trust']), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
  assert.match(String(byRoute['foreign-ca']), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
  assert.equal(byRoute['wrong-name'], 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('serverName sets the name verified (and sent as SNI); verify: false skips verification', { skip }, async () => {
  assert.equal((await get('/right-name/x')).status, 200);
  const unverified = await get('/unverified/x');
  assert.equal(unverified.status, 200);
  assert.equal(unverified.body.clientCn, 'client-a', 'the client certificate is still presented');
});

test('minVersion towards the upstream: TLSv1.3 refuses a TLS 1.2-only upstream; the default accepts it', { skip }, async () => {
  const ok = await get('/tls12-ok/x');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.protocol, 'TLSv1.2');
  const refused = await get('/tls13-only/x');
  assert.equal(refused.status, 502);
});

test('bad upstream TLS settings are policy errors with their path; a key readable by others is refused', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-upstream-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const openKey = join(dir, 'open.key');
  copyFileSync(pki.client.key, openKey);
  chmodSync(openKey, 0o640);
  const start = (upstream: Record<string, unknown>) => Gateway.start({
    policy: validatePolicyObject({
      listeners: [{ address: '127.0.0.1:0' }], admin: { enabled: false },
      upstreams: { up: upstream }, routes: [{ path: '/**', upstream: 'up' }],
    }, 'test'),
    serveAdmin: false,
  });
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ url: 'http://127.0.0.1:1', tls: { ca: pki.ca.cert } }, '/upstreams/up/tls', /https:\/\/ upstreams only/],
    [{ url: mtlsUpstream.url, tls: { cert: pki.client.cert } }, '/upstreams/up/tls/key', /together/],
    [{ url: mtlsUpstream.url, tls: { cert: pki.client.cert, key: openKey } }, '/upstreams/up/tls/key', /readable by group or others \(mode 0640\)/],
    [{ url: mtlsUpstream.url, tls: { cert: pki.client.cert, key: pki.clientB.key } }, '/upstreams/up/tls', /does not match/],
    [{ url: mtlsUpstream.url, tls: { ca: join(dir, 'missing.pem') } }, '/upstreams/up/tls/ca', /cannot read file .*ENOENT/],
  ];
  for (const [upstream, path, message] of cases) {
    await assert.rejects(start(upstream), (error: unknown) => {
      assert.ok(error instanceof PolicyError, String(error));
      assert.ok(error.issues.some((issue) => issue.path === path && message.test(issue.message)), JSON.stringify(error.issues));
      assert.doesNotMatch(error.message, /BEGIN|PRIVATE KEY-/);
      return true;
    });
  }
});

test('wss end to end: client certificate to Portcullis, Portcullis\'s own certificate to the upstream', { skip }, async () => {
  const port = gw.gateway.addresses[1]!.port;
  const open = (cert: { cert: string; key: string }) => new WebSocket(`wss://127.0.0.1:${port}/socket`, {
    ca: readFileSync(pki.ca.cert), cert: readFileSync(cert.cert), key: readFileSync(cert.key), // the server certificate covers 127.0.0.1
    headers: { 'x-client-cert-subject': 'CN=forged' },
  });
  const ws = open(pki.clientB);
  const reply = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send('hello'));
    ws.on('message', (data) => resolve(data.toString()));
    ws.on('error', reject);
  });
  ws.close();
  assert.equal(reply, 'echo from client-a: hello', 'the upstream saw Portcullis\'s certificate (client-a)');
  const headers = mtlsUpstream.webSocketHeaders.at(-1)!;
  assert.equal(headers['x-client-cert-subject'], 'CN=client-b,OU=Support,O=Portcullis Tests', 'the end client, forwarded');
  assert.equal(headers['x-forwarded-proto'], 'https');
  // The wrong client certificate is refused before any upstream handshake.
  const before = mtlsUpstream.webSocketHeaders.length;
  const refused = open(pki.client);
  const status = await new Promise<number>((resolve) => {
    refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    refused.on('error', () => resolve(-1));
  });
  assert.equal(status, 403);
  assert.equal(mtlsUpstream.webSocketHeaders.length, before);
});
