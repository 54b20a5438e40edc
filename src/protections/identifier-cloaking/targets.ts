/**
 * Where identifiers sit outside JSON: path segments, query strings, `Location` headers, cookies. Pure functions on
 * strings; no policy knowledge.
 */
import { parseQuery } from '../../pipeline/exchange.ts';

/** Position of a `{param}` in a route template: segment index and the literal text around it in that segment. */
export interface ParamPosition { readonly index: number; readonly prefixLength: number; readonly suffixLength: number }

/** Positions of the parameters of a route template (`/shops/{shopName}/revenue_data.json`). */
export function templateParams(template: string): Map<string, ParamPosition> {
  const positions = new Map<string, ParamPosition>();
  template.slice(1).split('/').forEach((part, index) => {
    const open = part.indexOf('{');
    const close = part.indexOf('}', open + 1);
    if (open === -1 || close === -1) return;
    positions.set(part.slice(open + 1, close), { index, prefixLength: open, suffixLength: part.length - close - 1 });
  });
  return positions;
}

/**
 * Percent-encodes text for one path segment or query component: everything but `A-Z a-z 0-9 - . _ ~` and the
 * sub-delimiters `! ' ( ) *` (encodeURIComponent), so `/`, `?`, `#`, `%`, `;` and controls cannot change the
 * target's structure. Undefined for text with lone surrogates (never produced by a decoded token).
 */
export function encodeComponent(text: string): string | undefined {
  try { return encodeURIComponent(text); } catch { return undefined; }
}

/**
 * An identifier that must not become a path segment even encoded: empty, `.` or `..` (dot segments), or holding
 * `/`, `\` or a control character, which upstreams that decode before routing (or normalise `%2F`, `%5C`) could
 * read as structure.
 */
export function unsafePathValue(text: string): boolean {
  if (text === '' || text === '.' || text === '..') return true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x2f || c === 0x5c || (c >= 0x80 && c <= 0x9f)) return true;
  }
  return false;
}

/** Decodes one raw path segment (escapes were validated by the canonical-target check; a bad one stays as is). */
export function decodeSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try { return decodeURIComponent(raw); } catch { return raw; }
}

/** One `name=value` pair of a raw query, decoded like `exchange.query` (`+` as space). */
export function decodePair(pair: string): { name: string; value: string } {
  const [param] = parseQuery(pair);
  return param === undefined ? { name: '', value: '' } : { name: param.name, value: param.value };
}

/**
 * The value of the one cookie named `name`, or undefined when it is absent, empty or sent more than once (which
 * copy a backend reads differs, so none is trusted).
 */
export function singleCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = part.slice(eq + 1).trim();
    if (found.length >= 2 && found.startsWith('"') && found.endsWith('"')) found = found.slice(1, -1);
  }
  return found === '' ? undefined : found;
}

/**
 * Splits a `Location` value into the text before its last path segment, that segment (raw) and what follows (a
 * trailing `/`, query, fragment). Undefined when there is no path segment to take (`https://host`, `/`, `?x`).
 */
export function splitLastSegment(location: string): { before: string; segment: string; after: string } | undefined {
  let end = location.length;
  for (let i = 0; i < location.length; i++) {
    const c = location.charCodeAt(i);
    if (c === 0x3f || c === 0x23) { end = i; break; }
  }
  // Where the path starts: after `scheme://authority` or `//authority`; else at the beginning.
  let pathStart = 0;
  const scheme = location.indexOf('://');
  const authorityAt = scheme !== -1 && scheme < end && isScheme(location.slice(0, scheme)) ? scheme + 3 : location.startsWith('//') ? 2 : -1;
  if (authorityAt !== -1) {
    const slash = location.indexOf('/', authorityAt);
    if (slash === -1 || slash >= end) return undefined;
    pathStart = slash;
  }
  let segmentEnd = end;
  if (segmentEnd > pathStart && location.charCodeAt(segmentEnd - 1) === 0x2f) segmentEnd--; // `/orders/1/`
  const slash = location.lastIndexOf('/', segmentEnd - 1);
  const segmentStart = slash < pathStart ? pathStart : slash + 1;
  if (segmentStart >= segmentEnd) return undefined;
  return { before: location.slice(0, segmentStart), segment: location.slice(segmentStart, segmentEnd), after: location.slice(segmentEnd) };
}

function isScheme(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e));
    if (!ok) return false;
  }
  return true;
}
