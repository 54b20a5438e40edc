import type { Exchange } from '../pipeline/exchange.ts';
import { HOP_BY_HOP, connectionNominated } from '../http/hop-by-hop.ts';
import { forwardingHeaders } from '../http/forwarding.ts';

/** Headers the client may not set for the upstream: Portcullis sets them itself. */
const REBUILT = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'expect', 'content-length']);

export interface UpstreamHeaderOptions {
  peerIsTrusted: boolean;
  requestIdHeader: string;
  dropUnderscores: boolean;
  preserveHost: boolean;
  /** Re-serialised decimal length, or null for a chunked or absent body. */
  contentLength: number | null;
}

/**
 * The request headers sent upstream, as a flat `[name, value, ...]` list in arrival order (duplicates kept):
 * hop-by-hop and `Connection`-nominated headers removed, forwarding headers rebuilt, the request id added.
 */
export function upstreamRequestHeaders(exchange: Exchange, options: UpstreamHeaderOptions): string[] {
  const raw = exchange.req.rawHeaders;
  const nominated = connectionNominated(exchange.req.headers.connection);
  const requestIdHeader = options.requestIdHeader;
  // Set or removed by protections (JWT claims, client certificate details): the client's copies never pass, nor
  // their underscore spellings (`x_user_id`), which CGI-style backends read as the same header.
  const edits = exchange.upstreamHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || REBUILT.has(lower) || lower === requestIdHeader) continue;
    if (edits !== undefined && edits.has(lower.includes('_') ? lower.replaceAll('_', '-') : lower)) continue;
    if (nominated !== null && nominated.has(lower)) continue;
    if (options.dropUnderscores && lower.includes('_')) continue;
    out.push(name, raw[i + 1]!);
  }
  if (edits !== undefined) {
    for (const [name, value] of edits) {
      if (value !== null && !HOP_BY_HOP.has(name) && !REBUILT.has(name) && name !== requestIdHeader) out.push(name, value);
    }
  }
  const host = exchange.req.headers.host;
  if (options.preserveHost && host !== undefined) out.push('host', host);
  if (options.contentLength !== null) out.push('content-length', String(options.contentLength));
  const req = exchange.req.headers;
  for (const [name, value] of forwardingHeaders({
    peer: exchange.connection.peerAddress,
    peerIsTrusted: options.peerIsTrusted,
    protocol: exchange.connection.protocol,
    host,
    incoming: {
      xff: single(req['x-forwarded-for']), proto: single(req['x-forwarded-proto']),
      xhost: single(req['x-forwarded-host']), forwarded: single(req.forwarded),
    },
  })) out.push(name, value);
  out.push('x-real-ip', exchange.clientIp, requestIdHeader, exchange.requestId);
  return out;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Upstream response headers for the client: hop-by-hop removed, request id set. */
export function clientResponseHeaders(
  headers: Record<string, string | string[] | undefined>, requestIdHeader: string, requestId: string,
): Record<string, string | string[]> {
  const connection = headers.connection;
  const nominated = connectionNominated(Array.isArray(connection) ? connection.join(',') : connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || (nominated !== null && nominated.has(name))) continue;
    out[name] = value;
  }
  out[requestIdHeader] = requestId;
  return out;
}

/**
 * Applies the response-header edits of protections (`Exchange.setResponseHeader`): a value replaces the upstream's
 * header of that name, `null` removes it (banners such as `Server` and `X-Powered-By`).
 */
export function applyResponseHeaderEdits(exchange: Exchange, headers: Record<string, string | string[]>): void {
  const edits = exchange.responseHeaders;
  if (edits === undefined) return;
  for (const [name, value] of edits) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
}

/** Content codings Portcullis decodes (and encodes again) when it inspects a response body. */
const DECODABLE = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

/**
 * Restricts the upstream request's `Accept-Encoding` (in the flat `[name, value, ...]` list) to the codings
 * Portcullis can decode, so that an inspected response never comes in a coding it cannot read (`zstd`, `compress`).
 * Codings the client did not accept are not added.
 */
export function setDecodableAcceptEncoding(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'accept-encoding') continue;
    const kept = headers[i + 1]!.split(',').map((part) => part.trim()).filter((part) => {
      const coding = part.split(';', 1)[0]!.trim().toLowerCase();
      return DECODABLE.has(coding);
    });
    if (kept.length === 0) { headers.splice(i, 2); i -= 2; } else headers[i + 1] = kept.join(', ');
  }
}
