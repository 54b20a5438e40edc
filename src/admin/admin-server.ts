import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { HostPort } from '../net/host-port.ts';
import { isLoopbackHost } from '../net/host-port.ts';

/** What the admin listener reports on. */
export interface AdminSource {
  /** Live: the process runs its event loop. */
  isLive(): boolean;
  /** Ready: listeners bound, a policy loaded, not draining. */
  isReady(): boolean;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/**
 * The admin listener (127.0.0.1:9901 by default): `/healthz`, `/readyz`, `/metrics`. Anything but health needs
 * `Authorization: Bearer <token>` when a token is configured, which the policy requires for non-loopback binds.
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
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(405, JSON.stringify({ error: 'method_not_allowed' })); return; }
    if (path === '/healthz') { send(source.isLive() ? 200 : 503, JSON.stringify({ status: source.isLive() ? 'ok' : 'failing' })); return; }
    if (path === '/readyz') { const ready = source.isReady(); send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready' })); return; }
    if (needsToken && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
      send(401, JSON.stringify({ error: 'unauthorized' }));
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
