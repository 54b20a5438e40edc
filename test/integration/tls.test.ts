import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { createTestPki, hasOpenssl, type TestPki, type Issued } from '../helpers/certificates.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { freePort, runCli, spawnCli } from '../helpers/cli.ts';
import { Gateway } from '../../src/server/gateway.ts';
import { validatePolicyObject } from '../../src/config/load-policy.ts';
import { PolicyError } from '../../src/config/policy-error.ts';
import { checkListenersTls } from '../../src/server/tls/listener-tls.ts';

const skip = hasOpenssl() ? false : 'the openssl command is not installed (it makes the test certificates)';

let pki: TestPki;
let upstream: TestUpstream;
let gw: TestGateway;
/** Ports of the three listeners: TLS with optional client certificates, TLS requiring them, plain HTTP redirecting. */
let optionalPort: number;
let requirePort: number;
let redirectPort: number;

before(async () => {
  if (skip) return;
  pki = createTestPki();
  upstream = await startUpstream();
  [optionalPort, requirePort, redirectPort] = [await freePort(), await freePort(), await freePort()];
  const certificates = [{ cert: pki.server.cert, key: pki.server.key }, { cert: pki.serverAlt.cert, key: pki.serverAlt.key }];
  gw = await startGateway({
    listeners: [
      { name: 'optional', address: `127.0.0.1:${optionalPort}`, tls: { certificates, clientCertificates: { ca: pki.ca.cert, crl: pki.crl, mode: 'optional' } } },
      { name: 'require', address: `127.0.0.1:${requirePort}`, tls: { certificates, clientCertificates: { ca: { file: pki.ca.cert }, crl: pki.crl, mode: 'require' } } },
      { name: 'redirect', address: `127.0.0.1:${redirectPort}`, redirectToHttps: { port: optionalPort } },
    ],
    upstreams: { up: { url: upstream.url } },
    routes: [
      { name: 'billing', path: '/billing/**', upstream: 'up', protections: { clientCertificate: {
        allow: [{ subject: { OU: 'Billing' }, san: { uri: ['spiffe://portcullis.test/billing/*'] } }],
      } } },
      { name: 'by-fingerprint', path: '/fp/**', upstream: 'up', protections: { clientCertificate: {
        allow: [{ fingerprint: [colonFingerprint(pki.clientB.fingerprint)] }],
        forwardHeaders: { fingerprint: 'x-peer-fp', certificate: 'x-peer-cert' },
      } } },
      { name: 'any-cert', path: '/any/**', upstream: 'up', protections: { clientCertificate: {} } },
      { name: 'trial', path: '/trial/**', upstream: 'up', protections: { clientCertificate: { mode: 'monitor', allow: [{ subject: { CN: 'nobody' } }] } } },
      { name: 'bypassed', path: '/bypassed/**', upstream: 'up', protections: { ipList: { bypass: ['127.0.0.1'] }, clientCertificate: {} } },
      { name: 'open', path: '/**', upstream: 'up' },
    ],
  });
});

after(async () => {
  if (skip) return;
  await gw?.close();
  await upstream?.close();
  pki?.remove();
});

function colonFingerprint(hex: string): string {
  return hex.toUpperCase().match(/.{2}/g)!.join(':');
}

interface CurlResult { exit: number; status: number; headers: Record<string, string>; body: string; stderr: string }

/** Runs curl (asynchronously: the gateway runs in this process) with the test CA and `--resolve` for the test names. */
function curl(port: number, args: string[]): Promise<CurlResult> {
  const resolve = ['portcullis.test', 'api.other.test', 'x.alt.test'].flatMap((name) => ['--resolve', `${name}:${port}:127.0.0.1`]);
  return new Promise((done) => {
    execFile('curl', ['-sS', '-i', '--max-time', '10', '--cacert', pki.ca.cert, ...resolve, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      const exit = error ? Number((error as { code?: number }).code ?? 1) : 0;
      const split = stdout.indexOf('\r\n\r\n');
      const head = split === -1 ? stdout : stdout.slice(0, split);
      const lines = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(lines[0]?.split(' ')[1] ?? 0) || 0;
      done({ exit, status, headers, body: split === -1 ? '' : stdout.slice(split + 4), stderr });
    });
  });
}

const withCert = (issued: Issued) => ['--cert', issued.cert, '--key', issued.key];

/** `openssl s_client` output (stdout and stderr together) and exit code. */
function sClient(port: number, args: string[]): Promise<{ exit: number; output: string }> {
  return new Promise((done) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.ca.cert, ...args], { encoding: 'utf8', timeout: 10_000 },
      (error, stdout, stderr) => done({ exit: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
    child.stdin?.end('Q\n');
  });
}

/** The SHA-256 fingerprint and subject CN of the certificate a TLS server presents for `servername`. */
function servedCertificate(port: number, servername?: string): Promise<{ fingerprint: string; cn: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca: readFileSync(pki.ca.cert), rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate();
      resolve({ fingerprint: createHash('sha256').update(peer.raw).digest('hex'), cn: String(peer.subject.CN), protocol: socket.getProtocol() ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** One request over a raw TLS connection (optionally resuming `session`): status line, reason, the session to resume. */
function rawGet(port: number, options: tls.ConnectionOptions): Promise<{ status: number; reason: string | undefined; session: Buffer | undefined; resumed: boolean }> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    let text = '';
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'portcullis.test', ca: readFileSync(pki.ca.cert), ...options }, () => {
      socket.write('GET /x HTTP/1.1\r\nhost: portcullis.test\r\nconnection: close\r\n\r\n');
    });
    socket.on('session', (ticket: Buffer) => { session = ticket; });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('end', () => resolve({
      status: Number(text.split(' ')[1]), reason: /"reason":"([a-z_]+)"/.exec(text)?.[1], session, resumed: socket.isSessionReused(),
    }));
    socket.on('error', reject);
  });
}

interface NodeResult { status: number; body: string; headers: Record<string, string | string[] | undefined>; socket: net.Socket }

function nodeGet(port: number, path: string, options: https.RequestOptions = {}): Promise<NodeResult> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, servername: 'portcullis.test', headers: { host: 'portcullis.test' }, ca: readFileSync(pki.ca.cert), agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, socket: res.socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

const lastSeen = () => upstream.requests.at(-1)!;

/** The protocol s_client negotiated, or null when the handshake failed (s_client prints a session either way). */
function negotiated(output: string): string | null {
  if (!/Cipher is [A-Z0-9]/.test(output)) return null;
  // `Protocol :` is printed with the session, which TLS 1.3 sends after the handshake; `New, TLSv1.3, ...` always.
  return /Protocol\s*:\s*(TLSv1(?:\.\d)?)/.exec(output)?.[1] ?? /New, (TLSv1\.\d),/.exec(output)?.[1] ?? null;
}

test('SNI picks the certificate: exact names, one-label wildcards, the first certificate otherwise (openssl s_client)', { skip }, async () => {
  const subjectOf = async (servername: string | undefined) => {
    const { output } = await sClient(optionalPort, servername ? ['-servername', servername] : ['-noservername']);
    const line = output.split('\n').find((l) => l.startsWith('subject='));
    assert.ok(line, `no subject line in s_client output:\n${output}`);
    return line;
  };
  assert.match(await subjectOf('api.other.test'), /CN ?= ?api\.other\.test/);
  assert.match(await subjectOf('x.alt.test'), /CN ?= ?api\.other\.test/, '*.alt.test is a SAN of the second certificate');
  assert.match(await subjectOf('portcullis.test'), /CN ?= ?portcullis\.test/);
  assert.match(await subjectOf('a.b.alt.test'), /CN ?= ?portcullis\.test/, 'a wildcard covers one label only');
  assert.match(await subjectOf('unknown.example'), /CN ?= ?portcullis\.test/, 'unknown names get the first certificate');
  assert.match(await subjectOf(undefined), /CN ?= ?portcullis\.test/, 'no SNI: the first certificate');
  // Node's client agrees, and verifies the chain and the name it asked for.
  assert.equal((await servedCertificate(optionalPort, 'API.Other.Test')).fingerprint, pki.serverAlt.fingerprint, 'names are case-insensitive');
  const ok = await curl(optionalPort, [`https://x.alt.test:${optionalPort}/hello`]);
  assert.equal(ok.exit, 0, ok.stderr);
  assert.equal(ok.status, 200);
});

test('TLS 1.0 and 1.1 are refused, TLS 1.2 and 1.3 accepted, and only forward-secret AEAD suites', { skip }, async (t) => {
  // Control: the same client command succeeds against a server that allows TLS 1.1, so a refusal below is the
  // gateway's doing and not the client's own configuration.
  const legacy = tls.createServer({ cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
  t.after(() => legacy.close());
  const legacyPort = (legacy.address() as net.AddressInfo).port;
  const tls11 = ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'];
  const control = await sClient(legacyPort, tls11);
  assert.equal(negotiated(control.output), 'TLSv1.1', `the control server should speak TLS 1.1:\n${control.output}`);
  assert.equal(negotiated((await sClient(legacyPort, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'])).output), 'TLSv1.2', 'control: a CBC suite');

  const refused = await sClient(optionalPort, tls11);
  assert.equal(negotiated(refused.output), null);
  assert.match(refused.output, /alert protocol version/i, 'refused by the server with a protocol_version alert');
  assert.equal(negotiated((await sClient(optionalPort, ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0'])).output), null);

  assert.equal(negotiated((await sClient(optionalPort, ['-tls1_2'])).output), 'TLSv1.2');
  assert.equal(negotiated((await sClient(optionalPort, ['-tls1_3'])).output), 'TLSv1.3');
  // A CBC suite (with ECDHE) and a suite without forward secrecy are not offered by the gateway.
  assert.equal(negotiated((await sClient(optionalPort, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'])).output), null);
  assert.equal(negotiated((await sClient(optionalPort, ['-tls1_2', '-cipher', 'AES128-GCM-SHA256'])).output), null);
  assert.equal(negotiated((await sClient(optionalPort, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'])).output), 'TLSv1.2');
});

test('client-initiated renegotiation is refused (TLS 1.2): the connection is closed, no request is served', { skip }, async () => {
  const before = upstream.requests.length;
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${optionalPort}`, '-tls1_2', '-CAfile', pki.ca.cert]);
  let output = '';
  let done = false;
  const exited = new Promise((resolve) => child.on('exit', () => { done = true; resolve(undefined); }));
  child.stdin.on('error', () => {}); // the server may close first: writing then fails with EPIPE
  const waitFor = (text: string) => new Promise<void>((resolve) => {
    const check = () => { if (done || output.includes(text)) resolve(); else setTimeout(check, 10); };
    check();
  });
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  await waitFor('Verify return code');
  child.stdin.write('R\n'); // s_client: renegotiate
  await waitFor('RENEGOTIATING');
  if (!done) child.stdin.write('GET /open/after-renegotiation HTTP/1.1\r\nhost: portcullis.test\r\n\r\n');
  const timer = setTimeout(() => child.kill(), 5000);
  await exited;
  clearTimeout(timer);
  assert.doesNotMatch(output, /HTTP\/1\.1 200/);
  assert.equal(upstream.requests.length, before);
});

test('a verified client certificate matching the route rules reaches the upstream with its details; x-forwarded-proto is https', { skip }, async () => {
  const forged = ['-H', 'x-client-cert-subject: CN=admin', '-H', 'x-client-cert-fingerprint: 00', '-H', 'X-Client-Cert-Issuer: CN=Evil'];
  const res = await curl(optionalPort, [...withCert(pki.client), ...forged, `https://portcullis.test:${optionalPort}/billing/invoices`]);
  assert.equal(res.exit, 0, res.stderr);
  assert.equal(res.status, 200, res.body);
  const seen = lastSeen();
  assert.equal(seen.url, '/billing/invoices');
  assert.equal(seen.headers['x-client-cert-subject'], 'CN=client-a,OU=Billing,O=Portcullis Tests');
  assert.equal(seen.headers['x-client-cert-issuer'], 'CN=Portcullis Test CA,O=Portcullis Tests');
  assert.equal(seen.headers['x-client-cert-fingerprint'], pki.client.fingerprint);
  assert.equal(seen.headers['x-client-cert-san'], 'DNS:client-a.portcullis.test,URI:spiffe://portcullis.test/billing/client-a,email:client-a@portcullis.test');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  // Exactly one copy of each: the client's were removed, not merged.
  assert.equal(seen.rawHeaders.filter((name) => name.toLowerCase().startsWith('x-client-cert-')).length, 4);
});

test('client certificate refusals: missing, revoked (CRL), untrusted (other CA), wrong purpose, not allowed', { skip }, async () => {
  const before = upstream.requests.length;
  const url = `https://portcullis.test:${optionalPort}/billing/invoices`;
  const cases: [string[], string][] = [
    [[], 'client_cert_missing'],
    [withCert(pki.revoked), 'client_cert_revoked'],
    [withCert(pki.untrusted), 'client_cert_untrusted'],
    [withCert(pki.serverOnlyUsage), 'client_cert_untrusted'],
    [withCert(pki.clientB), 'client_cert_not_allowed'],
  ];
  for (const [args, reason] of cases) {
    const res = await curl(optionalPort, [...args, url]);
    assert.equal(res.exit, 0, res.stderr);
    assert.equal(res.status, 403, `${reason}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(res.body).reason, reason);
  }
  assert.equal(upstream.requests.length, before, 'no refused request reaches the upstream');
  const events = (await gw.logs()).filter((line) => line.type === 'security' && line.protection === 'client-certificate');
  for (const [, reason] of cases) assert.ok(events.some((event) => event.reason === reason && event.action === 'block'), `security event for ${reason}`);
  const revoked = events.find((event) => event.reason === 'client_cert_revoked')!;
  assert.match(String(revoked.message), /CERT_REVOKED/);
});

test('rules by fingerprint; only the configured headers are forwarded, the PEM one URL-encoded', { skip }, async () => {
  const res = await curl(optionalPort, [...withCert(pki.clientB), '-H', 'x-peer-fp: forged', `https://portcullis.test:${optionalPort}/fp/x`]);
  assert.equal(res.status, 200, res.body);
  const seen = lastSeen();
  assert.equal(seen.headers['x-peer-fp'], pki.clientB.fingerprint);
  assert.equal(decodeURIComponent(String(seen.headers['x-peer-cert'])), readFileSync(pki.clientB.cert, 'utf8'));
  assert.equal(seen.headers['x-client-cert-subject'], undefined, 'the defaults are replaced by forwardHeaders');
  const other = await curl(optionalPort, [...withCert(pki.client), `https://portcullis.test:${optionalPort}/fp/x`]);
  assert.equal(JSON.parse(other.body).reason, 'client_cert_not_allowed');
});

test('clients can never set the certificate headers: not on unprotected routes, not when a bypass skips the protection', { skip }, async () => {
  const forged = ['-H', 'x-client-cert-subject: CN=admin', '-H', 'x-client-cert-san: URI:spiffe://portcullis.test/admin',
    '-H', 'x-client-cert-fingerprint: 00', '-H', 'x-client-cert-issuer: CN=Evil', '-H', 'x-peer-fp: forged', '-H', 'x-peer-cert: forged'];
  for (const path of ['/open/x', '/bypassed/x']) {
    const res = await curl(optionalPort, [...forged, `https://portcullis.test:${optionalPort}${path}`]);
    assert.equal(res.status, 200, `${path}: ${res.body}`);
    const names = lastSeen().rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    assert.deepEqual(names.filter((name) => name.startsWith('x-client-cert') || name.startsWith('x-peer')), [], path);
  }
  // Plain HTTP too (the redirect listener answers itself, so use a second gateway without TLS).
  const plain = await startGateway({ upstreams: { up: { url: upstream.url } }, routes: [{ path: '/**', upstream: 'up' }] });
  try {
    const res = await fetch(`${plain.url}/x`, { headers: { 'x-client-cert-subject': 'CN=admin', 'x-client-cert-fingerprint': '00' } });
    assert.equal(res.status, 200);
    assert.equal(lastSeen().headers['x-client-cert-subject'], undefined);
    assert.equal(lastSeen().headers['x-client-cert-fingerprint'], undefined);
  } finally { await plain.close(); }
});

test('monitor mode records a not-allowed certificate and forwards the request', { skip }, async () => {
  const res = await curl(optionalPort, [...withCert(pki.client), `https://portcullis.test:${optionalPort}/trial/x`]);
  assert.equal(res.status, 200);
  assert.equal(lastSeen().headers['x-client-cert-fingerprint'], pki.client.fingerprint);
  const events = await gw.logs();
  assert.ok(events.some((e) => e.type === 'security' && e.route === 'trial' && e.reason === 'client_cert_not_allowed' && e.wouldBlock === true));
});

test('require mode: the handshake fails without a valid certificate; a valid one passes (curl, Node https)', { skip }, async () => {
  const before = upstream.requests.length;
  const url = `https://portcullis.test:${requirePort}/open/x`;
  for (const args of [[], withCert(pki.revoked), withCert(pki.untrusted)]) {
    const res = await curl(requirePort, [...args, url]);
    assert.notEqual(res.exit, 0, `curl ${args.join(' ')} should fail`);
    assert.equal(res.status, 0, 'no HTTP response at all');
  }
  assert.equal(upstream.requests.length, before);
  const ok = await curl(requirePort, [...withCert(pki.client), url]);
  assert.equal(ok.status, 200, ok.stderr);

  const node = await nodeGet(requirePort, '/any/x', { cert: readFileSync(pki.clientB.cert), key: readFileSync(pki.clientB.key) });
  assert.equal(node.status, 200);
  assert.equal(lastSeen().headers['x-client-cert-subject'], 'CN=client-b,OU=Support,O=Portcullis Tests');
  await assert.rejects(nodeGet(requirePort, '/any/x'), (error: NodeJS.ErrnoException) => /CERTIFICATE_REQUIRED|ECONNRESET|socket hang up/i.test(`${error.code} ${error.message}`));

  const events = (await gw.logs()).filter((e) => e.type === 'security' && e.protection === 'tls' && e.listener === 'require');
  for (const reason of ['client_cert_missing', 'client_cert_revoked', 'client_cert_untrusted']) {
    assert.ok(events.some((e) => e.reason === reason && e.location === 'connection'), `security event ${reason}`);
  }
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="client_cert_revoked"\} [1-9]/);
});

test('several requests on one keep-alive TLS connection keep their certificate (Node https agent)', { skip }, async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key) });
  try {
    const sockets = new Set<net.Socket>();
    for (let i = 0; i < 3; i++) {
      const res = await nodeGet(optionalPort, `/billing/${i}`, { agent });
      assert.equal(res.status, 200);
      sockets.add(res.socket);
      assert.equal(lastSeen().headers['x-client-cert-fingerprint'], pki.client.fingerprint);
    }
    assert.equal(sockets.size, 1, 'one connection served the three requests');
  } finally { agent.destroy(); }
});

test('redirectToHttps: 308 to the canonical path and query on the HTTPS port; malformed requests are refused', { skip }, async () => {
  const before = upstream.requests.length;
  const res = await curl(redirectPort, ['-H', 'x-client-cert-subject: CN=x', `http://portcullis.test:${redirectPort}//shop/./items/../cart?x=1&y=%41`]);
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, `https://portcullis.test:${optionalPort}/shop/cart?x=1&y=%41`);
  assert.ok(res.headers['x-request-id']);
  const post = await curl(redirectPort, ['-X', 'POST', '--data', 'a=1', `http://portcullis.test:${redirectPort}/login`]);
  assert.equal(post.status, 308);
  assert.equal(post.headers.connection, 'close', 'the unread body is not left in the connection');
  const bad = await curl(redirectPort, ['--path-as-is', `http://portcullis.test:${redirectPort}/a/%2e%2e/%2e%2e/x`]);
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).reason, 'path_above_root');
  assert.equal(upstream.requests.length, before, 'redirects never reach an upstream');
  // Following it lands on the HTTPS listener.
  const followed = await curl(redirectPort, ['-L', '--resolve', `portcullis.test:${optionalPort}:127.0.0.1`, `http://portcullis.test:${redirectPort}/open/followed`]);
  assert.equal(followed.exit, 0, followed.stderr);
  assert.equal(lastSeen().url, '/open/followed');
  assert.equal(lastSeen().headers['x-forwarded-proto'], 'https');
  const access = (await gw.logs()).filter((e) => e.type === 'access' && e.listener === 'redirect');
  assert.ok(access.some((e) => e.status === 308 && e.path === '/shop/cart' && e.outcome === 'answered'));
});

/** Copies a certificate and key to fixed paths (the ones the policy names), keeping the key private. */
function install(issued: Issued, cert: string, key: string): void {
  copyFileSync(issued.cert, cert);
  copyFileSync(issued.key, key);
  chmodSync(key, 0o600);
}

/** Captures the system log (stderr JSON lines) while `run` runs. */
async function captureSystemLog(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const original = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += chunk.toString(); return true; }) as typeof process.stderr.write;
  try { await run(); } finally { process.stderr.write = original; }
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('reload: replaced certificate and CRL files are used for new handshakes; a broken file keeps the old ones', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  const crl = join(dir, 'clients.crl');
  install(pki.server, cert, key);
  copyFileSync(pki.crl, crl);
  const reloading = pki.issue({ name: 'reloading-client', subject: '/O=Portcullis Tests/OU=Billing/CN=reloading', usage: 'client', san: ['URI:spiffe://portcullis.test/billing/reloading'] });
  const reloadGw = await startGateway({
    listeners: [{ name: 'tls', address: '127.0.0.1:0', tls: { certificates: [{ cert, key }], clientCertificates: { ca: pki.ca.cert, crl, mode: 'optional' } } }],
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up', protections: { clientCertificate: {} } }],
  });
  t.after(() => reloadGw.close());
  const port = reloadGw.port;
  assert.equal((await servedCertificate(port, 'portcullis.test')).fingerprint, pki.server.fingerprint);
  const first = await rawGet(port, { cert: readFileSync(reloading.cert), key: readFileSync(reloading.key) });
  assert.equal(first.status, 200);
  // A resumed session keeps the identity verified in its full handshake (no certificate is sent again).
  const resumed = await rawGet(port, { session: first.session });
  assert.equal(resumed.resumed, true);
  assert.equal(resumed.status, 200);

  // Renewal: new certificate and key at the same paths, and the client is revoked in a new CRL.
  const renewed = pki.issue({ name: 'server-renewed', subject: '/O=Portcullis Tests/CN=portcullis.test', usage: 'server', san: ['DNS:portcullis.test', 'IP:127.0.0.1'] });
  install(renewed, cert, key);
  pki.revoke(reloading, crl);
  // Open connections are not affected; before the reload new ones still get the old certificate.
  assert.equal((await servedCertificate(port, 'portcullis.test')).fingerprint, pki.server.fingerprint);
  const log = await captureSystemLog(() => reloadGw.gateway.reload());
  assert.ok(log.some((line) => line.event === 'tls_reload_failed') === false, JSON.stringify(log));
  assert.equal((await servedCertificate(port, 'portcullis.test')).fingerprint, renewed.fingerprint, 'new handshakes get the new certificate');
  const revoked = await curl(port, [...withCert(reloading), `https://portcullis.test:${port}/x`]);
  assert.equal(JSON.parse(revoked.body).reason, 'client_cert_revoked', 'the new CRL applies');
  // Sessions from before the reload cannot be resumed (new ticket keys), so revocation cannot be sidestepped.
  const afterReload = await rawGet(port, { session: first.session });
  assert.equal(afterReload.resumed, false);
  assert.equal(afterReload.reason, 'client_cert_missing');

  // A broken key (here: the key of another certificate) fails the reload as a whole, like any bad policy (the TLS
  // material is checked when the new pipeline is built); the renewed certificate stays.
  copyFileSync(pki.serverAlt.key, key);
  chmodSync(key, 0o600);
  const failed = await captureSystemLog(() => reloadGw.gateway.reload());
  const error = failed.find((line) => line.event === 'reload_failed' || line.event === 'tls_reload_failed');
  assert.ok(error, JSON.stringify(failed));
  assert.match(JSON.stringify(error), /does not match/);
  assert.doesNotMatch(JSON.stringify(error), /BEGIN/, 'no key material in the log');
  assert.equal((await servedCertificate(port, 'portcullis.test')).fingerprint, renewed.fingerprint);
  assert.equal((await curl(port, [...withCert(pki.client), `https://portcullis.test:${port}/x`])).status, 200, 'still serving');

  // Rotation under load (checklist AT-30): handshakes keep succeeding while certificates are swapped, and each
  // new connection gets the certificate of the latest reload.
  install(pki.server, cert, key);
  let stop = false;
  let handshakes = 0;
  const failures: string[] = [];
  const load = Array.from({ length: 4 }, async () => {
    while (!stop) {
      try { await servedCertificate(port, 'portcullis.test'); handshakes++; } catch (error) { failures.push(String(error)); }
    }
  });
  for (const next of [pki.server, renewed, pki.server, renewed, pki.server]) {
    install(next, cert, key);
    await reloadGw.gateway.reload();
    assert.equal((await servedCertificate(port, 'portcullis.test')).fingerprint, next.fingerprint);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  stop = true;
  await Promise.all(load);
  assert.deepEqual(failures, []);
  assert.ok(handshakes >= 20, `only ${handshakes} handshakes during the rotation`);
});

test('SIGHUP reloads the certificate of a running portcullis process', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-sighup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  install(pki.server, cert, key);
  const port = await freePort();
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify({
    listeners: [{ address: `127.0.0.1:${port}`, tls: { certificates: [{ cert, key }] } }],
    admin: { enabled: false },
    logging: { access: { enabled: false }, security: { enabled: false } },
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
  }));
  const cli = await spawnCli(['start', '--config', policyFile]);
  t.after(() => { cli.child.kill('SIGKILL'); });
  assert.equal((await servedCertificate(port)).fingerprint, pki.server.fingerprint);
  install(pki.serverAlt, cert, key);
  cli.child.kill('SIGHUP');
  const deadline = Date.now() + 10_000;
  while (!cli.stderr().includes('"event":"tls_reloaded"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(cli.stderr().includes('"event":"tls_reloaded"'), cli.stderr());
  assert.equal((await servedCertificate(port)).fingerprint, pki.serverAlt.fingerprint);
  const res = await curl(port, [`https://api.other.test:${port}/x`]);
  assert.equal(res.status, 200, res.stderr);
});

test('unusable TLS material stops the start with the policy path: key readable by others, mismatched key, missing file', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const open = join(dir, 'open.key');
  copyFileSync(pki.server.key, open);
  chmodSync(open, 0o644);
  const start = (tlsConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => Gateway.start({
    policy: validatePolicyObject({
      listeners: [{ address: '127.0.0.1:0', tls: tlsConfig, ...extra }],
      admin: { enabled: false },
      upstreams: { up: { url: upstream.url } },
      routes: [{ path: '/**', upstream: 'up' }],
    }, 'test'),
    serveAdmin: false,
  });
  const expectIssue = async (tlsConfig: Record<string, unknown>, path: string, message: RegExp, extra?: Record<string, unknown>) => {
    await assert.rejects(start(tlsConfig, extra), (error: unknown) => {
      assert.ok(error instanceof PolicyError, String(error));
      assert.ok(error.issues.some((issue) => issue.path === path && message.test(issue.message)), JSON.stringify(error.issues));
      assert.doesNotMatch(error.message, /BEGIN|PRIVATE/);
      return true;
    });
  };
  await expectIssue({ certificates: [{ cert: pki.server.cert, key: open }] }, '/listeners/0/tls/certificates/0/key', /readable by group or others \(mode 0644\)/);
  // The same check without listening (for `check` and a cluster primary).
  assert.deepEqual(checkListenersTls({ listeners: [
    { address: '127.0.0.1:1', tls: { certificates: [{ cert: pki.server.cert, key: pki.server.key }], minVersion: 'TLSv1.2', ciphers: 'TLS_AES_128_GCM_SHA256', handshakeTimeoutMs: 10_000 } },
    { address: '127.0.0.1:2', tls: { certificates: [{ cert: pki.server.cert, key: open }], minVersion: 'TLSv1.2', ciphers: 'TLS_AES_128_GCM_SHA256', handshakeTimeoutMs: 10_000 } },
    { address: '127.0.0.1:3' },
  ] }).map((issue) => issue.path), ['/listeners/1/tls/certificates/0/key']);
  await expectIssue({ certificates: [{ cert: pki.server.cert, key: pki.serverAlt.key }] }, '/listeners/0/tls/certificates/0', /does not match/);
  await expectIssue({ certificates: [{ cert: join(dir, 'nope.pem'), key: pki.server.key }] }, '/listeners/0/tls/certificates/0/cert', /cannot read file .*ENOENT/);
  await expectIssue({ certificates: [{ cert: pki.server.key, key: pki.server.key }] }, '/listeners/0/tls/certificates/0/cert', /does not hold a PEM certificate/);
  await expectIssue({ certificates: [{ cert: pki.server.cert, key: pki.server.key }], clientCertificates: { ca: pki.ca.cert, crl: pki.ca.cert } },
    '/listeners/0/tls/clientCertificates/crl', /does not hold a PEM CRL/);
  await expectIssue({ certificates: [{ cert: pki.server.cert, key: { env: 'PORTCULLIS_TEST_UNSET_KEY' } }] }, '/listeners/0/tls/certificates/0/key', /environment variable PORTCULLIS_TEST_UNSET_KEY is not set/);
  await expectIssue({ certificates: [{ cert: pki.server.cert, key: pki.server.key }] }, '/listeners/0/redirectToHttps', /TLS listener/, { redirectToHttps: { port: 443 } });
  // The schema refuses anything below TLS 1.2.
  assert.throws(() => validatePolicyObject({
    listeners: [{ address: '127.0.0.1:0', tls: { certificates: [{ cert: pki.server.cert, key: pki.server.key }], minVersion: 'TLSv1.1' } }],
    upstreams: { up: { url: upstream.url } }, routes: [{ path: '/**', upstream: 'up' }],
  }, 'test'), /minVersion: must be one of TLSv1\.2, TLSv1\.3/);

  // Through the command line: exit code 2 and the path.
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify({
    listeners: [{ address: `127.0.0.1:${await freePort()}`, tls: { certificates: [{ cert: pki.server.cert, key: open }] } }],
    admin: { enabled: false }, upstreams: { up: { url: upstream.url } }, routes: [{ path: '/**', upstream: 'up' }],
  }));
  const result = await runCli(['start', '--config', policyFile]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /\/listeners\/0\/tls\/certificates\/0\/key: file .* is readable by group or others/);
});

test('a key from an environment variable; minVersion TLSv1.3; handshake timeout', { skip }, async (t) => {
  process.env.PORTCULLIS_TEST_TLS_KEY = readFileSync(pki.server.key, 'utf8');
  t.after(() => { delete process.env.PORTCULLIS_TEST_TLS_KEY; });
  const envGw = await startGateway({
    listeners: [{ name: 'env', address: '127.0.0.1:0', tls: { certificates: [{ cert: { file: pki.server.cert }, key: { env: 'PORTCULLIS_TEST_TLS_KEY' } }], minVersion: 'TLSv1.3', handshakeTimeoutMs: 1000 } }],
    upstreams: { up: { url: upstream.url } },
    routes: [{ path: '/**', upstream: 'up' }],
  });
  t.after(() => envGw.close());
  const served = await servedCertificate(envGw.port, 'portcullis.test');
  assert.equal(served.fingerprint, pki.server.fingerprint);
  assert.equal(served.protocol, 'TLSv1.3');
  assert.notEqual((await sClient(envGw.port, ['-tls1_2'])).exit, 0, 'minVersion TLSv1.3 refuses TLS 1.2');

  // A client that connects and never completes the handshake is closed after handshakeTimeoutMs.
  const started = Date.now();
  const idle = net.connect(envGw.port, '127.0.0.1');
  idle.on('error', () => {});
  await new Promise((resolve) => idle.once('close', resolve));
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 5000, `closed after ${elapsed} ms`);
  const metrics = await (await fetch(`${envGw.adminUrl}/metrics`)).text();
  assert.match(metrics, /portcullis_rejected_connections_total\{reason="tls_handshake_timeout"\} [1-9]/);
});
