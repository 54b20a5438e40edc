import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { HostPort } from '../net/host-port.ts';
import { isLoopbackHost } from '../net/host-port.ts';
import type { Ban, BanStore } from '../store/store.ts';
import { addressKey, canonicalAddress, keyCovers, parseDuration } from '../protections/flood-defence/ban-keys.ts';

/** What the admin listener reports on. */
export interface AdminSource {
  /** Live: the process runs its event loop. */
  isLive(): boolean;
  /** Ready: listeners bound, a policy loaded, not draining. */
  isReady(): boolean;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The ban store the gateway enforces (shared across workers and instances when the store is); absent: no `/bans`. */
  bans?(): BanStore | undefined;
}

/**
 * The admin listener (127.0.0.1:9901 by default): `/healthz`, `/readyz`, `/metrics` and `/bans`. Anything but health
 * needs `Authorization: Bearer <token>` when a token is configured, which the policy requires for non-loopback binds.
 * Only `/bans` accepts methods other than GET and HEAD (POST to add a ban, DELETE to lift one).
 */
export function createAdminServer(address: HostPort, token: string | undefined, source: AdminSource): { listen(): Promise<HostPort>; close(): Promise<void> } {
  const tokenDigest = token === undefined ? undefined : digest(token);
  const needsToken = tokenDigest !== undefined || !isLoopbackHost(address.host);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, contentType = 'application/json') => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const bansPath = path === '/bans' || path.startsWith('/bans/');
    if (!bansPath && req.method !== 'GET' && req.method !== 'HEAD') { send(405, JSON.stringify({ error: 'method_not_allowed' })); return; }
    if (path === '/healthz') { send(source.isLive() ? 200 : 503, JSON.stringify({ status: source.isLive() ? 'ok' : 'failing' })); return; }
    if (path === '/readyz') { const ready = source.isReady(); send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready' })); return; }
    if (needsToken && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
      send(401, JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (bansPath) {
      handleBans(req, res, path, source.bans?.(), tokenDigest === undefined).catch(() => {
        if (!res.headersSent) sendProblem(req, res, 500, 'internal_error', 'the ban store failed');
        else res.destroy();
      });
      return;
    }
    if (path === '/metrics') {
      source.metrics().then(({ contentType, body }) => send(200, body, contentType), () => send(500, JSON.stringify({ error: 'metrics_unavailable' })));
      return;
    }
    send(404, JSON.stringify({ error: 'not_found' }));
  });
  return {
    listen: () => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : address);
      });
    }),
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time comparison of digests (equal length), so timing does not reveal the token. */
function authorized(header: string | undefined, expected: Buffer | undefined): boolean {
  if (expected === undefined || header === undefined || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), expected);
}

/** Largest POST /bans body read; a ban is three short fields. */
const MAX_BAN_BODY_BYTES = 4096;
const MIN_BAN_MS = 1000;
const MAX_BAN_MS = 30 * 86_400_000;

/** An RFC 9457 problem document, as the gateway's own local replies. */
function sendProblem(req: http.IncomingMessage, res: http.ServerResponse, status: number, reason: string, detail?: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: `urn:portcullis:problem:${reason}`, title: http.STATUS_CODES[status] ?? 'Error', status, reason, ...(detail ? { detail } : {}) });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function banJson(ban: Ban): { key: string; reason: string; since: string; until: string } {
  return { key: ban.key, reason: ban.reason, since: new Date(ban.since).toISOString(), until: new Date(ban.until).toISOString() };
}

/**
 * `GET /bans` lists the bans in force; `POST /bans` with `{"ip", "duration", "reason"}` adds one; `DELETE
 * /bans/<key or address>` lifts one (for an address: every ban that covers it, e.g. its IPv6 /64 too).
 * Without a token (loopback only), the Host must name the loopback too: a web page that rebinds its own name to
 * 127.0.0.1 cannot then reach the ban list; a cross-site form cannot send JSON or DELETE without a preflight.
 */
async function handleBans(req: http.IncomingMessage, res: http.ServerResponse, path: string, bans: BanStore | undefined, tokenless: boolean): Promise<void> {
  if (tokenless && !isLoopbackHost(hostOnly(req.headers.host ?? ''))) {
    sendProblem(req, res, 403, 'host_not_allowed', 'without an admin token, /bans only answers requests for a loopback host');
    return;
  }
  const target = path.slice('/bans'.length);
  const allow = target === '' || target === '/' ? 'GET, HEAD, POST' : 'DELETE';
  const method = req.method ?? '';
  if (!allow.split(', ').includes(method)) {
    sendProblem(req, res, 405, 'method_not_allowed', undefined, { allow });
    return;
  }
  if (!bans) {
    sendProblem(req, res, 503, 'bans_unavailable', 'this process has no ban store');
    return;
  }
  if (method === 'GET' || method === 'HEAD') {
    const list = (await bans.list()).sort((a, b) => a.since - b.since || (a.key < b.key ? -1 : 1));
    sendJson(req, res, 200, { bans: list.map(banJson) });
    return;
  }
  if (method === 'DELETE') {
    let subject: string;
    try { subject = decodeURIComponent(target.slice(1)); } catch { subject = ''; }
    if (subject === '' || subject.length > 200) {
      sendProblem(req, res, 400, 'invalid_ban_key', 'expected /bans/<key> (e.g. ip:203.0.113.7) or /bans/<IP address>');
      return;
    }
    const lifted: string[] = [];
    if (canonicalAddress(subject) !== null) {
      // An address: lift its own ban and any network ban that covers it.
      for (const ban of await bans.list()) if (keyCovers(ban.key, subject) && await bans.unban(ban.key)) lifted.push(ban.key);
      const own = addressKey(subject)!;
      if (!lifted.includes(own) && await bans.unban(own)) lifted.push(own);
    } else if (subject.includes(':') && await bans.unban(subject)) {
      lifted.push(subject);
    }
    if (lifted.length === 0) { sendProblem(req, res, 404, 'ban_not_found', 'no ban in force for this key or address'); return; }
    sendJson(req, res, 200, { lifted });
    return;
  }
  // POST
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') {
    sendProblem(req, res, 415, 'unsupported_media_type', 'send the ban as application/json');
    return;
  }
  const body = await readBody(req, MAX_BAN_BODY_BYTES);
  if (body === null) {
    sendProblem(req, res, 413, 'body_too_large', `the ban must fit in ${MAX_BAN_BODY_BYTES} bytes`, { connection: 'close' });
    return;
  }
  const parsed = parseBanRequest(body);
  if ('error' in parsed) { sendProblem(req, res, 400, 'invalid_ban', parsed.error); return; }
  const ban = await bans.ban(parsed.key, parsed.durationMs, parsed.reason);
  sendJson(req, res, 201, banJson(ban));
}

/** Validates `{"ip": ADDRESS, "duration": "10m", "reason"?: TEXT}`; errors name the field, never echo the input. */
export function parseBanRequest(body: Buffer): { key: string; durationMs: number; reason: string } | { error: string } {
  let value: unknown;
  try { value = JSON.parse(body.toString('utf8')); } catch { return { error: 'the body is not valid JSON' }; }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'expected a JSON object {"ip", "duration", "reason"}' };
  const fields = value as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (name !== 'ip' && name !== 'duration' && name !== 'reason') return { error: 'unknown member: only ip, duration and reason are accepted' };
  }
  const key = typeof fields.ip === 'string' && fields.ip.length <= 64 ? addressKey(fields.ip) : null;
  if (key === null) return { error: 'ip must be an IPv4 or IPv6 address' };
  const durationMs = typeof fields.duration === 'string' ? parseDuration(fields.duration) : null;
  if (durationMs === null || durationMs < MIN_BAN_MS || durationMs > MAX_BAN_MS) {
    return { error: 'duration must be a number and a unit (ms, s, m, h, d) from 1s to 30d, e.g. "10m"' };
  }
  let reason = 'admin';
  if (fields.reason !== undefined) {
    if (typeof fields.reason !== 'string' || !isPlainText(fields.reason)) return { error: 'reason must be 1 to 200 printable ASCII characters' };
    reason = fields.reason;
  }
  return { key, durationMs, reason };
}

/** 1 to 200 printable ASCII characters: it goes into logs and JSON as is. */
function isPlainText(text: string): boolean {
  if (text.length === 0 || text.length > 200) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** Reads the whole body, or null (and stops reading) once it exceeds `max` bytes. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) { resolve(null); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) { req.removeAllListeners('data'); req.pause(); resolve(null); return; }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `127.0.0.1:9901` → `127.0.0.1`, `[::1]:9901` → `::1`. */
function hostOnly(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
