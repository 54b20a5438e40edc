import type { IncomingMessage } from 'node:http';

/** A request refused before any protection runs: a protocol violation, not a policy decision (no monitor mode). */
export interface HeadProblem { status: number; reason: string; message: string }

export interface HeadRules {
  maxHeaderCount: number;
  underscoresInHeaders: 'ambiguous' | 'reject' | 'drop' | 'allow';
  /**
   * With `ambiguous`: the headers, besides those of UNDERSCORE_SENSITIVE, that a name with `_` must not stand for
   * (lower case, with `-`): the ones the policy reads or sets (a JWT's header, rate-limit keys, identity headers...).
   */
  namedHeaders?: ReadonlySet<string>;
}

/**
 * ASP.NET (the .NET Framework) reads the form body and query in the charset this header names when the User-Agent
 * starts with `UP`, whatever the Content-Type says: `ibm037` hides a payload in EBCDIC from every reader but the
 * backend (Soroush Dalili, 2017; checklist AT-13). Only WAP phones of the early 2000s sent it, so with such a
 * User-Agent it is refused; with another it changes nothing.
 */
const CHARSET_OVERRIDE = 'x-up-devcap-post-charset';

/**
 * Headers whose meaning the gateway reads or decides, which a name with `_` must not stand for: CGI, PHP, WSGI and
 * some frameworks read `Content_Type` as `Content-Type` and `X_Forwarded_For` as `X-Forwarded-For`, behind the back
 * of a gateway that saw no such header (WAFFLED; checklist B5). Framing and body parsing, credentials, the client
 * address and forwarding, method and path overrides, and the origin of a request.
 */
const UNDERSCORE_SENSITIVE = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'content-encoding',
  'connection', 'upgrade', 'expect', 'te', 'trailer', 'keep-alive', 'authorization', 'proxy-authorization', 'cookie',
  'forwarded', 'x-real-ip', 'true-client-ip', 'x-client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'client-ip',
  'x-original-url', 'x-rewrite-url', 'x-original-method', 'x-http-method-override', 'x-http-method', 'x-method-override',
  'origin', 'referer', 'sec-fetch-site', CHARSET_OVERRIDE]);

/** Whether a header name spelt with `_` stands for one that matters here (see UNDERSCORE_SENSITIVE, HeadRules). */
function ambiguousUnderscore(name: string, raw: readonly string[], named: ReadonlySet<string> | undefined): string | undefined {
  const hyphenated = name.replaceAll('_', '-');
  if (UNDERSCORE_SENSITIVE.has(hyphenated) || hyphenated.startsWith('x-forwarded-') || named?.has(hyphenated) === true) return hyphenated;
  // the request also carries it spelt otherwise (`X-Tenant` and `X_Tenant`): which one a backend reads is a guess
  for (let i = 0; i < raw.length; i += 2) {
    const other = raw[i]!.toLowerCase();
    if (other !== name && other.replaceAll('_', '-') === hyphenated) return hyphenated;
  }
  return undefined;
}

/** Headers that must appear at most once: a second copy is read differently by different parsers (CVE-2023-38199). */
const SINGLETONS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'authorization', 'content-encoding']);
/** Headers whose values must be plain ASCII (obs-text there is stripped or misread by some backends). */
const ASCII_ONLY = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'authorization']);

/**
 * Strict request-head checks that Node's parser (llhttp) leaves to us: HTTP version, header count, duplicate
 * singletons, a single `chunked` transfer coding, obs-text in framing headers, `_` in header names, ASP.NET's
 * charset override.
 * Checklist classes A4, A5, A13, B1-B3, B5, B7. Returns null when the head is acceptable.
 */
export function checkRequestHead(req: IncomingMessage, rules: HeadRules): HeadProblem | null {
  const version = req.httpVersion;
  if (version !== '1.1' && version !== '1.0') {
    return { status: 505, reason: 'http_version_not_supported', message: `HTTP/${version} is not supported; use HTTP/1.1` };
  }
  const raw = req.rawHeaders;
  if (raw.length / 2 > rules.maxHeaderCount) {
    return { status: 431, reason: 'too_many_headers', message: `more than ${rules.maxHeaderCount} header fields` };
  }
  let seen = 0; // bit set over SINGLETONS, cheaper than a Set per request
  let transferEncoding: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (SINGLETONS.has(name)) {
      const bit = singletonBit(name);
      if (seen & bit) return { status: 400, reason: 'duplicate_header', message: `"${name}" must appear only once` };
      seen |= bit;
      if (ASCII_ONLY.has(name) && hasNonAscii(raw[i + 1]!)) {
        return { status: 400, reason: 'invalid_header_value', message: `"${name}" must be plain ASCII` };
      }
      if (name === 'transfer-encoding') transferEncoding = raw[i + 1]!;
    }
    if (name === CHARSET_OVERRIDE && /^up/i.test(req.headers['user-agent'] ?? '')) {
      return { status: 400, reason: 'charset_override_header', message: `"${name}" makes ASP.NET read the body and query in the charset it names` };
    }
    if (rules.underscoresInHeaders === 'reject' && name.includes('_')) {
      return { status: 400, reason: 'underscore_in_header_name', message: `header names with "_" are not accepted ("${name}")` };
    }
    if (rules.underscoresInHeaders === 'ambiguous' && name.includes('_')) {
      const standsFor = ambiguousUnderscore(name, raw, rules.namedHeaders);
      if (standsFor !== undefined) {
        return { status: 400, reason: 'underscore_in_header_name', message: `"${name}" is read as "${standsFor}" by some backends` };
      }
    }
  }
  if (transferEncoding !== undefined) {
    if (version === '1.0') return { status: 400, reason: 'invalid_transfer_encoding', message: 'Transfer-Encoding is not allowed in HTTP/1.0' };
    if (transferEncoding.trim().toLowerCase() !== 'chunked') {
      return { status: 400, reason: 'invalid_transfer_encoding', message: 'only a single "chunked" transfer coding is accepted' };
    }
    if (seen & singletonBit('content-length')) {
      return { status: 400, reason: 'invalid_transfer_encoding', message: 'Content-Length together with Transfer-Encoding' };
    }
  }
  if (!(seen & singletonBit('host')) && version === '1.1') {
    return { status: 400, reason: 'missing_host', message: 'HTTP/1.1 requests need a Host header' };
  }
  const host = req.headers.host;
  if (host !== undefined && !isValidHost(host)) return { status: 400, reason: 'invalid_host', message: 'the Host header is not a valid host[:port]' };
  return null;
}

function singletonBit(name: string): number {
  switch (name) {
    case 'host': return 1;
    case 'content-length': return 2;
    case 'content-type': return 4;
    case 'transfer-encoding': return 8;
    case 'authorization': return 16;
    default: return 32;
  }
}

function hasNonAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7e) return true;
  return false;
}

/** `name`, `name:port`, `1.2.3.4:port`, `[v6]:port`: letters, digits, `.`, `-` (no empty label), optional port. */
export function isValidHost(host: string): boolean {
  // (`_` too: RFC 3986's reg-name allows it, and service names use it, `billing_service:8080`, as nginx and Envoy accept)
  return /^(?:[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(host) && !host.includes('..');
}

/**
 * The host name without port, lower-cased, without the trailing dot of a fully qualified name (`admin.example.`
 * is `admin.example` to DNS and to most backends, so it must match the same routes); `[v6]` keeps its brackets off.
 */
export function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']')).toLowerCase();
  const colon = host.indexOf(':');
  const name = (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
