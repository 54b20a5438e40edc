import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Exchange, type ConnectionInfo } from '../pipeline/exchange.ts';
import { DEFAULT_METHODS, type CompiledPipeline } from '../pipeline/build-pipeline.ts';
import { handleExchange, admitRequest, type ExchangeServices } from '../pipeline/handle-exchange.ts';
import { responseForUpgrade, tunnelUpgrade } from '../proxy/websocket.ts';
import { problemDocument, writeLocalReply } from '../pipeline/local-reply.ts';
import { logExchange } from '../observe/exchange-log.ts';
import { metrics } from '../observe/metrics.ts';
import { systemLog } from '../observe/system-log.ts';
import { errorSummary } from '../pipeline/run-phase.ts';
import type { GlobalLimits, Policy } from '../config/policy-types.ts';
import { parseHostPort, type HostPort } from '../net/host-port.ts';
import { PolicyError } from '../config/policy-error.ts';
import { ListenerTls } from './tls/listener-tls.ts';
import { describeTlsConnection } from './tls/peer-certificate.ts';
import { redirectToHttps } from './tls/redirect.ts';

/**
 * What a listener needs from the gateway: the current pipeline, taken for the life of one exchange (`acquire`)
 * and given back when it ends (`release`), so that a reload retires an old pipeline only once it is unused.
 */
export interface ListenerHost extends ExchangeServices {
  current(): CompiledPipeline;
  acquire(): CompiledPipeline;
  release(pipeline: CompiledPipeline): void;
}

/** One client-facing HTTP or HTTPS listener. */
export interface Listener {
  readonly name: string;
  readonly server: http.Server | https.Server;
  listen(): Promise<HostPort>;
  /** Applies limits that can change on reload (timeouts, caps); `maxHeaderBytes` needs a restart. */
  applyLimits(limits: GlobalLimits): void;
  /**
   * HTTPS listeners: reads the certificate, key, CA and CRL files again and uses them for new handshakes. A failure
   * keeps the previous ones and logs `tls_reload_failed`. Returns false on failure; true otherwise (also for HTTP).
   */
  reloadTls(): boolean;
  /** Stops accepting, closes idle keep-alive connections. */
  stopAccepting(): Promise<void>;
  closeAllConnections(): void;
}

/**
 * Creates the listener `name` at `address`. Its TLS or redirect settings are those of the policy's listener entry
 * with that name and address. Throws a PolicyError when its TLS material cannot be used.
 */
/** `Upgrade: websocket` (any case, possibly among other protocols). */
function isWebSocketUpgrade(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase().includes('websocket');
}

export function createListener(name: string, address: HostPort, host: ListenerHost): Listener {
  const policy = host.current().policy;
  const initial = policy.limits;
  const { config, index } = listenerEntry(policy, name, address);
  const pointer = `/listeners/${index}`;
  let listenerTls: ListenerTls | undefined;
  if (config?.tls) {
    if (config.redirectToHttps) throw new PolicyError('policy', [{ path: `${pointer}/redirectToHttps`, message: 'cannot be used on a TLS listener' }]);
    const loaded = ListenerTls.load(config.tls, `${pointer}/tls`, name);
    if ('issues' in loaded) throw new PolicyError('policy', loaded.issues);
    listenerTls = loaded;
  }
  const redirect = config?.redirectToHttps;
  const httpOptions: http.ServerOptions = {
    maxHeaderSize: initial.maxHeaderBytes,
    requireHostHeader: false, // checked by us, so that the refusal is logged and uses problem+json
    joinDuplicateHeaders: false,
    insecureHTTPParser: false,
    connectionsCheckingInterval: 1000,
    // Only WebSocket upgrades are tunnelled. Any other (`Upgrade: h2c` from `curl --http2` over http://, TLS/1.0) is
    // a request like any other, forwarded without its hop-by-hop Upgrade, as nginx and Envoy do: tunnelled, it lost its
    // method and body and the backend's plain answer became a 502.
    shouldUpgradeCallback: (req: IncomingMessage) => isWebSocketUpgrade(req.headers.upgrade),
  };
  const server: http.Server | https.Server = listenerTls
    ? https.createServer({ ...httpOptions, ...listenerTls.serverOptions() })
    : http.createServer(httpOptions);
  const protocol = listenerTls ? 'https' : 'http';
  // Node would silently drop headers past maxHeadersCount; ours is enforced with 431 instead (checklist B3).
  server.maxHeadersCount = 0;
  server.timeout = 0;
  let limits = initial;
  const perIp = new Map<string, number>();

  const applyLimits = (next: GlobalLimits) => {
    limits = next;
    server.headersTimeout = next.headersTimeoutMs;
    server.requestTimeout = next.requestTimeoutMs === 0 ? 0 : Math.max(next.requestTimeoutMs, next.headersTimeoutMs + 1);
    server.keepAliveTimeout = next.keepAliveTimeoutMs;
    // (counted below: Node's own maxRequestsPerSocket sends `Connection: close` but keeps the connection open and
    // answers what the client sends next with 503; past the limit, the connection is closed after the response)
    server.maxRequestsPerSocket = 0;
    server.maxConnections = next.maxConnections;
  };
  applyLimits(initial);

  // The connection phase: caps, then the connection hooks of global protections, before any byte is read.
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? '';
    const count = (perIp.get(peer) ?? 0) + 1;
    if (count > limits.maxConnectionsPerIp) {
      metrics.rejectedConnections.labels('per_ip_limit').inc();
      socket.destroy();
      return;
    }
    const refusal = connectionRefusal(host.current(), socket, protocol);
    if (refusal) {
      metrics.rejectedConnections.labels(refusal.reason).inc();
      metrics.verdicts.labels(refusal.protection, 'block', refusal.reason).inc();
      host.logTargets(host.current()).security?.write(JSON.stringify({
        time: new Date().toISOString(), type: 'security', clientIp: normalizePeer(peer), listener: name, route: '-',
        protection: refusal.protection, action: 'block', reason: refusal.reason, mode: 'enforce', wouldBlock: false,
        location: 'connection',
      }) + '\n');
      socket.destroy();
      return;
    }
    perIp.set(peer, count);
    metrics.activeConnections.labels(name).inc();
    socket.once('close', () => {
      metrics.activeConnections.labels(name).dec();
      const left = (perIp.get(peer) ?? 1) - 1;
      if (left <= 0) perIp.delete(peer); else perIp.set(peer, left);
    });
  });
  server.on('drop', () => metrics.rejectedConnections.labels('connection_limit').inc());
  if (listenerTls) watchHandshakes(server as https.Server, listenerTls, name, host);

  // Computed once per connection: reading the peer address is a system call.
  const connections = new WeakMap<Socket, ConnectionInfo>();
  const connectionInfo = (socket: Socket): ConnectionInfo => {
    let info = connections.get(socket);
    if (!info) {
      info = { peerAddress: normalizePeer(socket.remoteAddress ?? ''), peerPort: socket.remotePort ?? 0, listener: name, protocol };
      if (listenerTls) {
        const tls = describeTlsConnection(socket as TLSSocket, listenerTls.requestsClientCertificate);
        info.tls = tls;
        if (tls.clientCertificate?.status === 'verified') info.clientCertificateFingerprint = tls.clientCertificate.fingerprint;
      }
      connections.set(socket, info);
    }
    return info;
  };

  // The response to the latest request of each connection, so that a parse error is answered in order (below).
  const lastResponse = new WeakMap<Duplex, ServerResponse>();
  /** Requests received on each connection (for `limits.maxRequestsPerConnection`). */
  const served = new WeakMap<Duplex, number>();
  const onRequest = (expectContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    // Pipelined requests are served one at a time, and never once an earlier reply closed the connection: Node
    // parses (and would emit) what follows a refused request, e.g. the request hidden behind `TE: gzip, chunked`.
    const socket = req.socket;
    if (!socket.writable) return;
    const count = (served.get(socket) ?? 0) + 1;
    served.set(socket, count);
    // The last request a connection may carry is answered with `Connection: close`, and the connection closed after
    // the response (clients open a new one; none is refused).
    if (limits.maxRequestsPerConnection > 0 && count >= limits.maxRequestsPerConnection) res.shouldKeepAlive = false;
    const previous = lastResponse.get(socket);
    lastResponse.set(socket, res);
    if (previous && !previous.writableFinished) {
      let started = false;
      const next = () => {
        if (started) return;
        started = true;
        if (previous.writableFinished && socket.writable) startExchange(req, res, expectContinue);
      };
      previous.once('finish', next);
      previous.once('close', next);
      return;
    }
    startExchange(req, res, expectContinue);
  };
  const startExchange = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => {
    const pipe = host.acquire();
    const exchange = new Exchange(req, res, connectionInfo(req.socket));
    if (redirect) { redirectToHttps(exchange, pipe, host, redirect, () => host.release(pipe)); return; }
    handleExchange(exchange, pipe, host, expectContinue, () => host.release(pipe)).catch((error) => {
      systemLog.error('exchange_unhandled', { error: errorSummary(error) });
      res.destroy();
    });
  };
  server.on('request', onRequest(false));
  // Header-phase protections run before "100 Continue" is sent (checklist A14).
  server.on('checkContinue', onRequest(true));
  // Any other expectation: 417 as a problem document (Node's own 417 has no body and no request id).
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    lastResponse.set(req.socket, res);
    const pipe = host.current();
    const requestId = randomUUID();
    const reply = { status: 417, reason: 'expectation_failed', detail: 'only "Expect: 100-continue" is supported', close: true };
    writeLocalReply(res, reply, requestId, pipe.policy.requestId.header);
    logClientError(pipe, host, name, normalizePeer(req.socket.remoteAddress ?? ''), requestId, 417, reply.reason, 'expectation_failed');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pipe = host.acquire();
    const res = responseForUpgrade(req, socket);
    const exchange = new Exchange(req, res, connectionInfo(req.socket));
    if (redirect) { redirectToHttps(exchange, pipe, host, redirect, () => host.release(pipe)); return; }
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (exchange.status === 0) exchange.status = res.headersSent ? res.statusCode : 499;
      logExchange(exchange, host.logTargets(pipe));
      host.release(pipe); // last: releasing may retire the pipeline and its log sinks
    };
    res.once('close', () => { if (exchange.status !== 101) finish(); });
    socket.on('error', () => socket.destroy());
    admitRequest(exchange, pipe)
      .then((admission) => {
        if ('replied' in admission) { exchange.status = res.statusCode; return; }
        return tunnelUpgrade(exchange, pipe, admission.route, socket, head, finish);
      })
      .catch((error) => {
        systemLog.error('upgrade_failed', { error: errorSummary(error) });
        socket.destroy();
        finish();
      });
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const code = error.code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
    const pending = lastResponse.get(socket);
    if (pending && !pending.writableFinished) {
      // Responses go out in request order: a reply written now would be read as the answer to an earlier request.
      // The error is in a later pipelined request: answer the earlier ones first, then this one.
      if (pending.req.complete) { pending.once('finish', () => replyParseError(socket, code)); return; }
      // The error is in the body of the latest request. If its response has started (e.g. its head was refused),
      // that response is the answer: let it go out, then close. Otherwise reply once it is its turn.
      if (pending.headersSent) { if (pending.socket) socket.end(); else pending.once('finish', () => socket.end()); return; }
      if (!pending.socket) { pending.once('socket', () => replyParseError(socket, code)); return; }
    }
    replyParseError(socket, code);
  });

  const replyParseError = (socket: Duplex, code: string) => {
    const { status, reason } = classifyParseError(code);
    replyAndClose(socket, status, reason, code);
  };

  /** A problem+json reply written on the socket, then closed: for requests that never become exchanges. */
  const replyAndClose = (socket: Duplex, status: number, reason: string, code: string, headers = '') => {
    const peer = normalizePeer((socket as Socket).remoteAddress ?? '');
    const pipe = host.current();
    const requestId = randomUUID();
    const body = JSON.stringify(problemDocument({ status, reason }, requestId));
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n${headers}` +
      `${pipe.policy.requestId.header}: ${requestId}\r\n\r\n${body}`);
    logClientError(pipe, host, name, peer, requestId, status, reason, code);
  };

  // CONNECT asks for a tunnel: Portcullis is no forward proxy. Node hands it over apart from requests (and drops the
  // connection unanswered when nobody listens); it is answered 405 like any method no route allows.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    replyAndClose(socket, 405, 'method_not_allowed', 'CONNECT', `allow: ${DEFAULT_METHODS.join(', ')}\r\n`);
  });

  return {
    name,
    server,
    listen: () => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : address);
      });
    }),
    applyLimits,
    reloadTls: () => {
      if (!listenerTls) return true;
      const issues = listenerTls.reload(server as https.Server);
      if (issues.length === 0) { systemLog.info('tls_reloaded', { listener: name }); return true; }
      systemLog.error('tls_reload_failed', { listener: name, errors: issues, note: 'the previous certificates, CA and CRL stay in use' });
      return false;
    },
    stopAccepting: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
    closeAllConnections: () => server.closeAllConnections(),
  };
}

/** The first stopping verdict of the connection steps for a new socket, unless its peer is a trusted proxy. */
function connectionRefusal(pipe: CompiledPipeline, socket: Socket, protocol: 'http' | 'https'): { protection: string; reason: string } | null {
  if (pipe.connectionSteps.length === 0) return null;
  const peer = normalizePeer(socket.remoteAddress ?? '');
  if (pipe.trustedProxies.size > 0 && pipe.trustedProxies.has(peer)) return null;
  const info: ConnectionInfo = { peerAddress: peer, peerPort: socket.remotePort ?? 0, listener: '', protocol };
  for (const step of pipe.connectionSteps) {
    try {
      const verdict = step.instance.onConnection!(info, peer);
      if (verdict.action === 'block' || verdict.action === 'challenge') return { protection: step.protection, reason: verdict.reason };
    } catch (error) {
      systemLog.error('protection_error', { protection: step.protection, phase: 'connection', error: errorSummary(error) });
      return { protection: step.protection, reason: 'protection_error' }; // fail closed
    }
  }
  return null;
}

/** The policy entry of a listener, found by its name and address (addresses are unique in a policy). */
function listenerEntry(policy: Policy, name: string, address: HostPort): { config: Policy['listeners'][number] | undefined; index: number } {
  const index = policy.listeners.findIndex((entry) => {
    if ((entry.name ?? entry.address) !== name) return false;
    const parsed = parseHostPort(entry.address);
    return !('error' in parsed) && parsed.host === address.host && parsed.port === address.port;
  });
  return { config: index === -1 ? undefined : policy.listeners[index], index };
}

/**
 * Handshake outcomes: renegotiation is refused (a client-initiated CPU sink, and certificates never change
 * mid-connection); failed handshakes are counted, and those refused for a client certificate (`require` mode) are
 * security events like any other refusal, with the same reason codes as the clientCertificate protection.
 */
function watchHandshakes(server: https.Server, listenerTls: ListenerTls, listener: string, host: ListenerHost): void {
  server.on('secureConnection', (socket: TLSSocket) => { socket.disableRenegotiation(); });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    const code = error.code ?? '';
    let reason: string | undefined;
    if (listenerTls.config.clientCertificates?.mode === 'require') {
      if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') reason = 'client_cert_missing';
      else if (socket.authorizationError) reason = String(socket.authorizationError) === 'CERT_REVOKED' ? 'client_cert_revoked' : 'client_cert_untrusted';
    }
    if (reason === undefined) {
      if (code !== 'ECONNRESET' && code !== 'EPIPE') metrics.rejectedConnections.labels(code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'tls_handshake_timeout' : 'tls_handshake_failed').inc();
      socket.destroy();
      return;
    }
    metrics.rejectedConnections.labels(reason).inc();
    metrics.verdicts.labels('tls', 'block', reason).inc();
    host.logTargets(host.current()).security?.write(JSON.stringify({
      time: new Date().toISOString(), type: 'security', clientIp: normalizePeer(socket.remoteAddress ?? ''), listener, route: '-',
      protection: 'tls', action: 'block', reason, mode: 'enforce', wouldBlock: false, location: 'connection',
      message: reason === 'client_cert_missing' ? 'no client certificate presented' : String(socket.authorizationError),
    }) + '\n');
    socket.destroy();
  });
}

/** Parser errors (llhttp codes) to replies. Everything not listed is a malformed request: 400. */
function classifyParseError(code: string): { status: number; reason: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return { status: 431, reason: 'header_too_large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT': return { status: 408, reason: 'request_timeout' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE': return { status: 400, reason: 'invalid_framing' };
    case 'HPE_INVALID_VERSION': return { status: 505, reason: 'http_version_not_supported' };
    case 'HPE_INVALID_METHOD': return { status: 400, reason: 'invalid_method' };
    default: return { status: 400, reason: 'malformed_request' };
  }
}

/** Requests refused by the parser never become exchanges; they still get an access record and an event. */
function logClientError(pipe: CompiledPipeline, host: ListenerHost, listener: string, peer: string, requestId: string, status: number, reason: string, code: string): void {
  const targets = host.logTargets(pipe);
  const time = new Date().toISOString();
  metrics.requests.labels('-', String(status)).inc();
  metrics.verdicts.labels('http-conformance', 'block', reason).inc();
  targets.access?.write(JSON.stringify({ time, type: 'access', requestId, clientIp: peer, listener, route: '-', status, outcome: 'blocked', error: code, verdicts: [{ protection: 'http-conformance', action: 'block', reason }] }) + '\n');
  targets.security?.write(JSON.stringify({ time, type: 'security', requestId, clientIp: peer, route: '-', protection: 'http-conformance', action: 'block', reason, mode: 'enforce', wouldBlock: false, status, message: code }) + '\n');
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) is reported as `1.2.3.4`. */
function normalizePeer(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
