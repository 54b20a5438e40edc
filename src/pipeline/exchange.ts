import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FindingDetail } from './verdict.ts';
import type { Mode } from '../config/policy-types.ts';
import type { CompiledRoute } from './router.ts';

/** One recorded non-pass verdict: what the access log, the security events and the metrics are made from. */
export interface VerdictRecord {
  protection: string;
  action: 'allow' | 'flag' | 'block' | 'challenge';
  reason: string;
  /** The mode the verdict was decided under; in `monitor` a block is recorded as a flag that would have blocked. */
  mode: Mode;
  wouldBlock: boolean;
  status?: number;
  detail?: FindingDetail;
}

/** Properties of the client connection, fixed for every request on it. */
export interface ConnectionInfo {
  /** Address of the TCP peer (a proxy when trusted proxies are in front). */
  peerAddress: string;
  peerPort: number;
  listener: string;
  /** `https` when the listener terminates TLS. */
  protocol: 'http' | 'https';
  /** What the TLS handshake established; absent on plain-HTTP listeners. */
  tls?: TlsConnectionInfo;
  /**
   * SHA-256 fingerprint (64 lower-case hex digits) of the client certificate, present only when it was verified
   * against the listener's client CA and CRL: a stable key for rate limits and quotas.
   */
  clientCertificateFingerprint?: string;
}

/** The TLS side of a client connection. */
export interface TlsConnectionInfo {
  /** Negotiated version: `TLSv1.2` or `TLSv1.3`. */
  version: string;
  /** The server name the client sent (SNI), lower-cased; empty when none. */
  serverName: string;
  /** The certificate the client presented, verified or not; absent when none was asked for or sent. */
  clientCertificate?: ClientCertificate;
}

/**
 * A client certificate as seen in the handshake. Only `status: 'verified'` may be trusted: it chains to the listener's
 * client CA bundle and is not revoked by its CRL. The other fields are what the certificate claims.
 */
export interface ClientCertificate {
  /** `verified`; `revoked` (listed in the CRL); `untrusted` (unknown issuer, expired, wrong purpose, ...). */
  status: 'verified' | 'untrusted' | 'revoked';
  /** OpenSSL's verification error code when not verified (`CERT_REVOKED`, `CERT_HAS_EXPIRED`, ...). */
  error?: string;
  /** Subject distinguished name as an RFC 4514 string, most specific first: `CN=client-a,OU=Billing,O=Example`. */
  subject: string;
  /** Subject attributes by short name (`CN`, `O`, `OU`, ...), each with its values in certificate order. */
  subjectAttributes: Readonly<Record<string, readonly string[]>>;
  /** Issuer distinguished name, RFC 4514. */
  issuer: string;
  issuerAttributes: Readonly<Record<string, readonly string[]>>;
  /** subjectAltName entries by type. */
  san: { readonly dns: readonly string[]; readonly uri: readonly string[]; readonly email: readonly string[]; readonly ip: readonly string[] };
  /** SHA-256 of the DER certificate, 64 lower-case hex digits. */
  fingerprint: string;
  /** Serial number, upper-case hex. */
  serialNumber: string;
  /** Validity period, as OpenSSL prints it (`Nov 27 12:27:38 2026 GMT`). */
  validFrom: string;
  validTo: string;
  /** The certificate in PEM form. */
  pem: string;
}

/** A query parameter as it arrived (`raw*`) and percent-decoded. Repeated names give several entries. */
export interface QueryParam { name: string; value: string; rawName: string; rawValue: string }

/**
 * Per-request state shared by every phase. Protections read the canonical view (`path`, `query`, `headers`), which is
 * exactly what is forwarded; they never re-parse `req.url`.
 */
export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly connection: ConnectionInfo;
  readonly startedAt: bigint = process.hrtime.bigint();
  readonly time = new Date();
  requestId = '';
  /** The client address after trusted-proxy resolution. */
  clientIp: string;
  readonly method: string;
  /** Host without port, lower-cased (from the Host header). */
  host = '';
  /** Canonical path, the one inspected and forwarded. */
  path = '';
  /** Raw query string without `?` (validated: escapes well formed), forwarded as is. */
  rawQuery = '';
  private parsedQuery: QueryParam[] | undefined;
  route: CompiledRoute | null = null;
  routeParams: Record<string, string> = {};
  /** Methods the matched path accepts across all routes, for 405 `Allow`. */
  allowedMethods: readonly string[] = [];
  /** Verified principal (JWT subject, certificate fingerprint), set by identity protections. */
  principal: string | undefined;
  /**
   * Request headers protections set (a value) or remove (`null`) for the upstream, by lower-case name. The client's
   * own copies of every name listed here are never forwarded; see `setUpstreamHeader`.
   */
  upstreamHeaders: Map<string, string | null> | undefined;
  /** Buffered request body, present only when a protection asked for it (the replaced one after `replaceRequestBody`). */
  requestBody: Buffer | undefined;
  /** True once a protection replaced the request body: the replacement is what is forwarded. */
  requestBodyReplaced = false;
  /**
   * Path and raw query sent upstream when a protection rewrote them (`rewriteUpstreamTarget`), e.g. identifier
   * cloaking turning tokens back into identifiers. `path` and `rawQuery` keep what the client sent (logs, matching).
   */
  upstreamPath: string | undefined;
  upstreamQuery: string | undefined;
  /**
   * What the access log and security events show as the path and query, when a protection wants them redacted
   * (identifier cloaking: tokens and tried identifiers are not written to logs). Defaults to `path` / `rawQuery`.
   */
  logPath: string | undefined;
  logQuery: string | undefined;
  /**
   * The response body as it will be sent, once a response-body protection replaced it (`replaceResponseBody`);
   * always decoded (identity): compressed upstream bodies are decoded before response-body protections see them.
   */
  responseBody: Buffer | undefined;
  /** Status and headers of the upstream response, set before the response phases run. */
  upstreamStatus = 0;
  upstreamResponseHeaders: Readonly<Record<string, string | string[]>> | undefined;
  readonly verdicts: VerdictRecord[] = [];
  /** True once an `allow` verdict skipped the remaining protections. */
  allowed = false;
  bytesIn = 0;
  bytesOut = 0;
  status = 0;
  upstreamName: string | undefined;
  upstreamStartedAt: bigint | undefined;
  upstreamEndedAt: bigint | undefined;
  /** Stable code of a fault (upstream error, client abort), if any. */
  errorCode: string | undefined;
  /** How the exchange ended: `answered` is a local reply that is not a refusal (`OPTIONS *`). */
  outcome: 'forwarded' | 'answered' | 'blocked' | 'error' | 'aborted' = 'forwarded';

  constructor(req: IncomingMessage, res: ServerResponse, connection: ConnectionInfo) {
    this.req = req;
    this.res = res;
    this.connection = connection;
    this.clientIp = connection.peerAddress;
    this.method = req.method ?? 'GET';
  }

  /** Query parameters, decoded once on first use. Names and values are `+`-as-space and percent-decoded. */
  get query(): readonly QueryParam[] {
    if (this.parsedQuery === undefined) this.parsedQuery = parseQuery(this.rawQuery);
    return this.parsedQuery;
  }

  /**
   * Sets (`value`) or removes (`null`) a request header for the upstream; the last call for a name wins. Incoming
   * copies of `name` are dropped either way. Names the proxy rebuilds itself (`host`, forwarding headers, hop-by-hop
   * headers, the request id) cannot be set this way.
   */
  setUpstreamHeader(name: string, value: string | null): void {
    (this.upstreamHeaders ??= new Map()).set(name.toLowerCase(), value);
  }

  /**
   * Response headers protections add to whatever this exchange answers (a forwarded response, replacing the
   * upstream's header of the same name, or a local reply, where the verdict's own headers win), by lower-case
   * name; e.g. rate-limit quota headers. `null` removes the upstream's header (banners such as `Server`).
   * See `setResponseHeader`.
   */
  responseHeaders: Map<string, string | null> | undefined;

  /**
   * Adds a header to the response sent to the client, whatever it is, or removes the upstream's (`null`); the last
   * call for a name wins.
   */
  setResponseHeader(name: string, value: string | null): void {
    (this.responseHeaders ??= new Map()).set(name.toLowerCase(), value);
  }

  /** Replaces the request body forwarded upstream (called from a request-body hook); `content-length` follows. */
  replaceRequestBody(body: Buffer): void {
    this.requestBody = body;
    this.requestBodyReplaced = true;
  }

  /**
   * Sends `path` (canonical form, starting with `/`) and `rawQuery` (without `?`, already percent-encoded)
   * upstream instead of the client's; pass `undefined` to keep either one.
   */
  rewriteUpstreamTarget(path: string | undefined, rawQuery: string | undefined): void {
    if (path !== undefined) this.upstreamPath = path;
    if (rawQuery !== undefined) this.upstreamQuery = rawQuery;
  }

  /**
   * Replaces the response body sent to the client (called from a response-body hook). The body is identity-encoded;
   * the proxy re-encodes it when the upstream's was compressed and sets `content-length`. Later response-body hooks
   * see the replacement.
   */
  replaceResponseBody(body: Buffer): void {
    this.responseBody = body;
  }

  /** Request header value(s) by lower-case name. */
  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

function decodeComponent(text: string): string {
  const plus = text.includes('+') ? text.replaceAll('+', ' ') : text;
  // Escapes were validated by the request-target check, but a sequence can still be invalid UTF-8.
  try { return plus.includes('%') ? decodeURIComponent(plus) : plus; } catch { return plus; }
}

/** Splits on `&` only: `;` is not a separator here, as for WHATWG URLSearchParams and most backends. */
export function parseQuery(raw: string): QueryParam[] {
  if (raw === '') return [];
  const params: QueryParam[] = [];
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    params.push({ name: decodeComponent(rawName), value: decodeComponent(rawValue), rawName, rawValue });
  }
  return params;
}
