/**
 * The canonical request target: computed once, inspected by every protection and forwarded byte for byte.
 *
 * Path rules (reliability checklist C1-C4):
 * - origin-form: an absolute-form target naming the Host header's host is read as its origin-form first
 *   (originFormOf), one naming another host is refused, and `*` is left to the caller; `#` is refused (a fragment
 *   is never sent);
 * - percent-escapes must be well formed; escapes of unreserved characters are decoded (`%61` → `a`, `%2e` → `.`),
 *   other escapes are kept, with upper-case hex;
 * - refused outright, since backends disagree on them: `\` raw or encoded, encoded `/` (`%2F`; with
 *   `keepEncodedSlashes` it is kept, encoded, inside its segment), NUL and other control bytes, invalid or overlong
 *   UTF-8 (`%C0%AF`), `..` that climbs above the root;
 * - dot segments are removed (RFC 3986 §5.2.4) after decoding, so `/a/%2e%2e/admin` is `/admin` everywhere;
 * - `//` is merged (or refused when `mergeSlashes` is off); `;` is refused unless `pathSemicolons: allow`, and even
 *   then on a dot or empty segment (`..;`, `/;x/`), which parameter-stripping backends resolve differently.
 * Query rules (C5): escapes must be well formed, no control bytes; the query is forwarded as received.
 */
export interface CanonicalTarget { path: string; rawQuery: string }
export interface TargetProblem { status: 400 | 414; reason: string; message: string }
export interface TargetOptions {
  mergeSlashes: boolean;
  allowSemicolons: boolean;
  /** Keep an encoded `/` (`%2F`) as it is, inside its segment, instead of refusing the request. */
  keepEncodedSlashes?: boolean;
}

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function isUnreserved(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) ||
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function problem(reason: string, message: string): TargetProblem {
  return { status: 400, reason, message };
}

/**
 * The origin-form of an absolute-form target (`http://a.test/x?q=1` is `/x?q=1`), which RFC 9112 §3.2.2 has servers
 * accept; other targets are returned as they are. Accepted only when its authority is the `Host` header's (case, a
 * trailing dot and the scheme's default port aside): a backend then reads the same host whichever it believes
 * (checklist B1). Another host, userinfo (`http://a@b/`), a scheme other than http and https, or no path is refused.
 */
export function originFormOf(target: string, host: string | undefined): string | TargetProblem {
  const c = target.charCodeAt(0);
  if (c === 0x2f || c === 0x2a) return target; // origin-form, or `*`
  const scheme = /^(https?):\/\//i.exec(target);
  if (scheme === null) return problem('invalid_request_target', 'the request target must be a path (origin-form)');
  const start = scheme[0].length;
  let end = start;
  while (end < target.length && target[end] !== '/' && target[end] !== '?' && target[end] !== '#') end++;
  const authority = target.slice(start, end);
  const defaultPort = scheme[1]!.toLowerCase() === 'https' ? '443' : '80';
  if (authority.includes('@') || host === undefined || authorityKey(authority, defaultPort) !== authorityKey(host, defaultPort)) {
    return problem('invalid_request_target', 'an absolute-form target must name the Host header\'s host');
  }
  // (a path is required, as every client that writes this form sends one: `http://a.test` and `http://a.test?x`
  // are odd shapes only crafted requests have)
  const rest = target.slice(end);
  return rest.charCodeAt(0) === 0x2f ? rest : problem('invalid_request_target', 'an absolute-form target without a path');
}

/** `host:port`, lower-cased, without a trailing dot, with the default port written out. */
function authorityKey(authority: string, defaultPort: string): string {
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  const hasPort = colon > bracket && colon !== -1;
  let name = (hasPort ? authority.slice(0, colon) : authority).toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  return `${name}:${hasPort ? authority.slice(colon + 1) : defaultPort}`;
}

/** Canonicalizes an origin-form target (`req.url`). Returns the canonical form or the reason it is refused. */
export function canonicalizeTarget(target: string, options: TargetOptions): CanonicalTarget | TargetProblem {
  if (target.charCodeAt(0) !== 0x2f) return problem('invalid_request_target', 'the request target must be a path (origin-form)');
  if (target.includes('#')) return problem('fragment_in_target', 'a request target must not carry a fragment');
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1);

  // Pass 1: characters and escapes. Unreserved escapes are decoded, others normalised to upper-case hex.
  let out = '';
  let hasHighBytes = false;
  for (let i = 0; i < rawPath.length; i++) {
    const code = rawPath.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(rawPath.charCodeAt(i + 1));
      const lo = hexValue(rawPath.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return problem('bad_percent_encoding', 'malformed percent-escape in the path');
      const byte = hi * 16 + lo;
      i += 2;
      if (byte === 0x5c || (byte === 0x2f && !options.keepEncodedSlashes)) return problem('encoded_path_separator', 'encoded "/" or "\\" in the path');
      if (byte < 0x20 || byte === 0x7f) return problem('control_character_in_path', 'encoded control character in the path');
      if (isUnreserved(byte)) { out += String.fromCharCode(byte); continue; }
      if (byte >= 0x80) hasHighBytes = true;
      else if (byte === 0x3b && !options.allowSemicolons) return problem('semicolon_in_path', 'encoded ";" in the path');
      out += '%' + HEX[hi] + HEX[lo];
      continue;
    }
    if (code <= 0x20 || code >= 0x7f) return problem('invalid_path_character', 'control, space or non-ASCII byte in the path');
    if (code === 0x5c) return problem('backslash_in_path', '"\\" in the path');
    if (code === 0x3b && !options.allowSemicolons) return problem('semicolon_in_path', '";" in the path (matrix parameters are not accepted)');
    out += rawPath[i];
  }
  if (hasHighBytes) {
    // Every escaped non-ASCII byte together must be valid UTF-8 (catches overlong `%C0%AF` and lone bytes).
    try { utf8.decode(percentBytes(out)); } catch {
      return problem('invalid_utf8_in_path', 'percent-escapes in the path are not valid UTF-8');
    }
  }

  // Pass 2: segments. Dot segments removed, empty segments merged or refused.
  const segments = out.split('/');
  const kept: string[] = [];
  const last = segments.length - 1;
  for (let i = 1; i <= last; i++) {
    const segment = segments[i]!;
    if (options.allowSemicolons && segment.includes(';')) {
      // Backends that strip matrix parameters (Tomcat, Spring) read `..;x` as `..` and `/;x/` as `//`: the path they
      // resolve (`/public/..;/admin` → `/admin`) would differ from the one routes matched.
      const base = segment.slice(0, segment.indexOf(';'));
      if (base === '.' || base === '..' || (base === '' && i !== last)) {
        return problem('semicolon_in_path', '";" parameters on a dot segment or an empty segment');
      }
    }
    if (segment === '.') { if (i === last) kept.push(''); continue; }
    if (segment === '..') {
      if (kept.length === 0) return problem('path_above_root', 'the path climbs above the root with ".."');
      kept.pop();
      if (i === last) kept.push('');
      continue;
    }
    if (segment === '' && i !== last) {
      if (options.mergeSlashes) continue;
      return problem('empty_path_segment', 'empty path segment ("//")');
    }
    kept.push(segment);
  }
  const path = '/' + kept.join('/');
  if (options.keepEncodedSlashes && path.includes('%2F')) {
    // A backend that reads `%2F` as a separator after all would resolve `..%2F` (or `%2F..`, `.%2F`) as a dot segment
    // the routes never saw: such a segment is refused even when encoded slashes are kept.
    for (const segment of kept) {
      if (!segment.includes('%2F')) continue;
      for (const part of segment.split('%2F')) {
        if (part === '.' || part === '..') return problem('encoded_path_separator', 'a dot segment next to an encoded "/"');
      }
    }
  }

  const queryProblem = checkQuery(rawQuery);
  if (queryProblem) return queryProblem;
  return { path, rawQuery };
}

/** Bytes of a canonical path: escapes decoded, everything else taken as ASCII. */
function percentBytes(path: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) === 0x25) { bytes.push(parseInt(path.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(path.charCodeAt(i));
  }
  return Uint8Array.from(bytes);
}

function checkQuery(query: string): TargetProblem | null {
  for (let i = 0; i < query.length; i++) {
    const code = query.charCodeAt(i);
    if (code === 0x25) {
      if (hexValue(query.charCodeAt(i + 1)) < 0 || hexValue(query.charCodeAt(i + 2)) < 0) {
        return problem('bad_percent_encoding', 'malformed percent-escape in the query');
      }
      i += 2;
    } else if (code <= 0x20 || code >= 0x7f) {
      return problem('invalid_query_character', 'control, space or non-ASCII byte in the query');
    }
  }
  return null;
}

/** Splits a canonical path into decoded segments for route matching (escapes were validated as UTF-8). */
export function decodedSegments(path: string): string[] {
  const parts = path.slice(1).split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.includes('%')) parts[i] = decodeURIComponent(part);
  }
  return parts;
}
