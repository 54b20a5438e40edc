/**
 * The common case of a value with a URL, read without the URL parser's allocations: every URL in it is a plain
 * `http(s)://host` to a public name (`https://example.com/help?topic=delivery`), which no rule of ssrf.ts reports.
 *
 * `quickUrls` walks the colons exactly as `findUrls` (url.ts) does and tells whether it would find no URL at all,
 * only harmless ones, or something it does not read here (then the caller runs the parser). A URL is harmless
 * when its scheme is `http` or `https` (not DANGEROUS), it has two slashes (not opaque), there is no `@` in its
 * authority or in the 256 characters after it (so no userinfo, no confusing separator, and its only host is the
 * authority), no backslash ends its authority (not escaped), and its host, cleaned and classified by the same
 * functions as in findUrls and ssrf.ts, is a name or public address that is not a literal: `judge` reports nothing
 * for such a host whatever the context.
 */

import { classifyHost, cleanHost, endsAuthority, isAlpha, isSchemeChar, OPAQUE_OK, SCHEME_MAX } from './url.ts';

/** findUrls would find no URL in the value. */
export const NO_URL = 0;
/** findUrls would find URLs, all harmless (see above), and mayHaveUrl of ssrf.ts holds (it would run). */
export const HARMLESS = 1;
/** Anything else: run the parser. */
export const UNSURE = 2;

/** endsAuthority and isSchemeChar of url.ts as tables (both are false above U+007F): read once per character. */
const ENDS_AUTHORITY = new Uint8Array(128);
const SCHEME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ENDS_AUTHORITY[c] = endsAuthority(c) ? 1 : 0;
  SCHEME_CHAR[c] = isSchemeChar(c) ? 1 : 0;
}

/** Opaque schemes findUrls accepts (OPAQUE_OK), and the web schemes it accepts opaque before a host-like character. */
const OPAQUE_SCHEMES = [...OPAQUE_OK];
const WEB_OPAQUE = ['http', 'https', 'ftp'];

/** What findUrls would find in `value` (see above); `colon` is the index of its first `:`. */
export function quickUrls(value: string, colon: number): number {
  const n = value.length;
  let found = 0;
  let from = 0;
  let atSearchedFrom = -1;
  let atFound = -1;
  for (let at = colon; at >= 0; at = value.indexOf(':', from)) {
    from = at + 1;
    // the scheme, as findUrls cuts it
    let s = at;
    while (s > 0 && at - s < SCHEME_MAX && isSchemeCode(value.charCodeAt(s - 1))) s--;
    while (s < at && !isAlpha(value.charCodeAt(s))) s++;
    if (s >= at || at - s < 2) continue;
    let k = at + 1;
    let slashes = 0;
    while (k < n && (value.charCodeAt(k) === 47 || value.charCodeAt(k) === 92) && slashes < 4) { k++; slashes++; }
    if (slashes < 2) {
      // opaque: a URL for OPAQUE_OK schemes, and for web schemes before a host-like character; else not a URL
      if (schemeIn(value, s, at, OPAQUE_SCHEMES)) return UNSURE;
      if (schemeIn(value, s, at, WEB_OPAQUE) && k < n && !endsAuthorityCode(value.charCodeAt(k))) return UNSURE;
      continue;
    }
    if (!schemeIs(value, s, at, 'http') && !schemeIs(value, s, at, 'https')) return UNSURE; // DANGEROUS, or ftp...
    let a = k;
    while (a < n && !endsAuthorityCode(value.charCodeAt(a))) a++;
    if (a < n && value.charCodeAt(a) === 92) return UNSURE; // escaped
    // (the `@` found for an earlier URL when it lies further on: a search to the end for each URL was quadratic)
    if (!(atSearchedFrom >= 0 && atSearchedFrom <= k && (atFound < 0 || k <= atFound))) {
      atSearchedFrom = k;
      atFound = value.indexOf('@', k);
    }
    const atSign = atFound;
    if (atSign >= 0 && atSign < Math.min(n, a + 256)) return UNSURE; // userinfo, or a host after an `@`
    if (!harmlessAuthorityAt(value, k, a)) return UNSURE;
    // mayHaveUrl (ssrf.ts) holds when `http:` or `https:` ends at a colon in the first 4096 characters: this one
    // (the first URL found) is such a colon, or the caller is left to ask
    if (found === 0 && at >= 4096) return UNSURE;
    if (++found >= 4096) return UNSURE; // findUrls stops there
    if (a > from) from = a;
  }
  return found === 0 ? NO_URL : HARMLESS;
}

/** The last authority judged and its answer: the same host comes back in value after value. */
let lastAuthority: string | undefined;
let lastHarmless = false;

/** `harmlessAuthority` of `value[k, a)`, compared in place with the last one before it is cut out and looked up. */
function harmlessAuthorityAt(value: string, k: number, a: number): boolean {
  const last = lastAuthority;
  if (last !== undefined && last.length === a - k && value.startsWith(last, k)) return lastHarmless;
  const authority = value.slice(k, a);
  const harmless = harmlessAuthority(authority);
  lastAuthority = authority;
  lastHarmless = harmless;
  return harmless;
}

/** Authorities already judged (the same hosts come back in value after value); bounded, emptied when full. */
const AUTHORITY_MEMO = new Map<string, boolean>();

/** The host of this authority (no `@` in it), as findUrls cleans it, gives no verdict in ssrf.ts. */
function harmlessAuthority(authority: string): boolean {
  const known = AUTHORITY_MEMO.get(authority);
  if (known !== undefined) return known;
  const host = cleanHost(authority);
  const facts = host === '' ? null : classifyHost(host);
  const harmless = facts === null || (!facts.literal && (facts.kind === 'name' || facts.kind === 'public'));
  if (authority.length <= 255) {
    if (AUTHORITY_MEMO.size >= 4096) AUTHORITY_MEMO.clear();
    AUTHORITY_MEMO.set(authority, harmless);
  }
  return harmless;
}

function endsAuthorityCode(c: number): boolean {
  return c < 128 && ENDS_AUTHORITY[c] === 1;
}

function isSchemeCode(c: number): boolean {
  return c < 128 && SCHEME_CHAR[c] === 1;
}

/** `value[s, end)` is `scheme` (lower case) in any ASCII case. */
function schemeIs(value: string, s: number, end: number, scheme: string): boolean {
  if (end - s !== scheme.length) return false;
  for (let k = 0; k < scheme.length; k++) if ((value.charCodeAt(s + k) | 32) !== scheme.charCodeAt(k)) return false;
  return true;
}

function schemeIn(value: string, s: number, end: number, schemes: readonly string[]): boolean {
  for (let k = 0; k < schemes.length; k++) if (schemeIs(value, s, end, schemes[k]!)) return true;
  return false;
}
