import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Exchange } from '../pipeline/exchange.ts';
import type { CompiledPipeline } from '../pipeline/build-pipeline.ts';
import type { CompiledRoute } from '../pipeline/router.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { classifyUpstreamError } from './upstream-error.ts';
import { writeLocalReply } from '../pipeline/local-reply.ts';
import { HOP_BY_HOP } from '../http/hop-by-hop.ts';
import { metrics } from '../observe/metrics.ts';

/** A response object bound to an upgrade socket, so that refusals of upgrades use the same local replies. */
export function responseForUpgrade(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  res.shouldKeepAlive = false;
  res.once('finish', () => socket.end());
  return res;
}

/**
 * Tunnels an admitted upgrade (WebSocket) to the route's upstream: undici performs the upstream handshake, then
 * the 101 is relayed to the client and bytes flow both ways untouched until either side closes.
 */
export async function tunnelUpgrade(
  exchange: Exchange, pipe: CompiledPipeline, route: CompiledRoute, socket: Duplex, head: Buffer, onDone: () => void,
): Promise<void> {
  const policy = pipe.policy;
  const upstream = route.upstream;
  const protocol = String(exchange.req.headers.upgrade ?? 'websocket');
  const headers = upstreamRequestHeaders(exchange, {
    peerIsTrusted: pipe.trustedProxies.size > 0 && pipe.trustedProxies.has(exchange.connection.peerAddress),
    requestIdHeader: policy.requestId.header,
    dropUnderscores: policy.http.underscoresInHeaders === 'drop',
    preserveHost: upstream.preserveHost,
    contentLength: null,
  });
  exchange.upstreamName = upstream.name;
  exchange.upstreamStartedAt = process.hrtime.bigint();
  let upgraded: { headers: Record<string, string | string[] | undefined>; socket: Duplex };
  try {
    upgraded = await upstream.pool.upgrade({
      path: upstreamTarget(exchange),
      method: 'GET',
      headers,
      protocol,
    }) as unknown as typeof upgraded;
  } catch (error) {
    const failure = classifyUpstreamError(error);
    exchange.outcome = 'error';
    exchange.errorCode = failure.code;
    exchange.status = failure.status;
    metrics.upstreamErrors.labels(upstream.name, failure.code).inc();
    writeLocalReply(exchange.res, { status: failure.status, reason: failure.reason, close: true }, exchange.requestId, policy.requestId.header);
    onDone();
    return;
  }
  exchange.upstreamEndedAt = process.hrtime.bigint();
  exchange.status = 101;
  let response = 'HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\n';
  response += `upgrade: ${protocol}\r\n${policy.requestId.header}: ${exchange.requestId}\r\n`;
  for (const [name, value] of Object.entries(upgraded.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === policy.requestId.header) continue;
    for (const v of Array.isArray(value) ? value : [value]) response += `${name}: ${v}\r\n`;
  }
  socket.write(response + '\r\n');
  const upstreamSocket = upgraded.socket;
  if (head.length > 0) upstreamSocket.write(head);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.destroy();
    upstreamSocket.destroy();
    onDone();
  };
  socket.on('data', (chunk: Buffer) => { exchange.bytesIn += chunk.length; });
  upstreamSocket.on('data', (chunk: Buffer) => { exchange.bytesOut += chunk.length; });
  socket.pipe(upstreamSocket);
  upstreamSocket.pipe(socket);
  socket.once('close', close);
  upstreamSocket.once('close', close);
  socket.on('error', close);
  upstreamSocket.on('error', close);
}

/** The path and query sent upstream: the client's, or what a protection rewrote them to (identifier cloaking). */
function upstreamTarget(exchange: Exchange): string {
  const path = exchange.upstreamPath ?? exchange.path;
  const query = exchange.upstreamQuery ?? exchange.rawQuery;
  return query === '' ? path : `${path}?${query}`;
}
