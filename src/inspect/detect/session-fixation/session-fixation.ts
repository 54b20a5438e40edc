/**
 * Session fixation: making the victim's browser use a session identifier the attacker knows. Two ways in:
 *
 * 1. Planting a cookie through the page: script that assigns `document.cookie` (with a `name=value` pair or
 *    cookie attributes), `<meta http-equiv="Set-Cookie" content="...">` markup, or a `Set-Cookie:` header line
 *    smuggled into a response (a value with a line break before it). These are attacks wherever they appear:
 *    paranoia 1. A value that merely starts with `Set-Cookie:` (no line break, no markup) is paranoia 2: it is
 *    also how people paste response headers into a support form.
 * 2. A session identifier handed over in the URL (`?JSESSIONID=...`, `?PHPSESSID=...`): the classic fixation
 *    link. The detector sees one value at a time and cannot compare the Referer with the host, and some legacy
 *    applications still carry the session in the URL, so a session-looking parameter name in the query with a
 *    token-like value is paranoia 2; in a body (`{"sessionId": ...}` is common in APIs) or as a `;jsessionid=`
 *    path parameter (servlet URL rewriting), paranoia 3. The same parameter in a request whose Referer names
 *    another site is the fixation link being followed: paranoia 1, found by `crossSiteSessionParameter`, which the
 *    protection calls with the request head (the Referer and Host are not values a detector sees together).
 *
 * Linear in the value's length: a bounded number of `indexOf` searches over the lower-cased value and one pass
 * of the tag scanner when the value holds `<meta`.
 */
import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { siteOf } from '../../../http/site.ts';
import { decodeHtmlEntities } from '../../decode/html-entities.ts';
import { attrValue, scanTags } from '../xss/html.ts';

export const SESSION_FIXATION_RULES = {
  cookieScript: 'session-fixation-cookie-script',
  metaSetCookie: 'session-fixation-meta-set-cookie',
  setCookieHeader: 'session-fixation-set-cookie-header',
  sessionParam: 'session-fixation-session-id-param',
  crossSiteSessionParam: 'session-fixation-cross-site-session-id',
} as const;

const R = SESSION_FIXATION_RULES;
const MAX_OCCURRENCES = 32;

/** Cookie names of session identifiers, lower-cased (after a `__host-` or `__secure-` prefix is removed). */
const SESSION_NAMES: ReadonlySet<string> = new Set([
  'jsessionid', 'phpsessid', 'phpsession', 'sessionid', 'session_id', 'session-id', 'sessid', 'sess_id',
  'asp.net_sessionid', 'aspsessionid', 'cfid', 'cftoken', 'cfsid', 'jsessionidsso', 'jservsession', 'jwsession',
  'weblogicsession', 'connect.sid', 'sails.sid', 'koa.sess', 'koa:sess', 'express:sess', 'express.sid',
  'laravel_session', '_rails_session', '_session_id', 'rack.session', 'play_session', 'ci_session',
  '_flask_session', 'cakephp', 'zend_session_id', 'zendsessionid', 'next-auth.session-token',
  'authjs.session-token', 'meteor_login_token', 'shiny-token', 'symfony', 'sid_token', 'session_token',
  'session-token', 'sessiontoken', 'x-session-id', 'django_session', 'sessionkey', 'session_key',
]);

/** A cookie or parameter name lower-cased, without a `__Host-` or `__Secure-` prefix. */
function sessionNameKey(raw: string): string {
  const name = raw.toLowerCase();
  return name.startsWith('__host-') ? name.slice(7) : name.startsWith('__secure-') ? name.slice(9) : name;
}

function isSessionName(raw: string): boolean {
  if (raw.length < 3 || raw.length > 64) return false;
  const name = sessionNameKey(raw);
  if (SESSION_NAMES.has(name)) return true;
  // IIS appends random letters: ASPSESSIONIDQACRBTRS.
  return name.startsWith('aspsessionid');
}

/** A value that can be a session identifier: printable, no white space or markup, a sensible length. */
function tokenLike(value: string): boolean {
  if (value.length < 3 || value.length > 512) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3c || c === 0x3e || c === 0x22 || c === 0x27) return false;
  }
  return true;
}

function isIdentChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x24 || c === 0x5f;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/** Index after white space and `/* *\/` comments from `i`. */
function skipSpace(src: string, i: number): number {
  for (let guard = 0; guard < 64 && i < src.length; guard++) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    if (c === 0x2f && src.charCodeAt(i + 1) === 0x2a) {
      const close = src.indexOf('*/', i + 2);
      if (close === -1) return src.length;
      i = close + 2;
      continue;
    }
    break;
  }
  return i;
}

/** Index before white space and `/* *\/` comments that end at `i` (`document/**\/.cookie`). */
function skipBack(src: string, i: number): number {
  for (let guard = 0; guard < 8 && i > 0; guard++) {
    const c = src.charCodeAt(i - 1);
    if (isSpace(c)) { i--; continue; }
    if (c === 0x2f && i >= 2 && src.charCodeAt(i - 2) === 0x2a) {
      const open = src.lastIndexOf('/*', i - 3);
      if (open === -1) return i;
      i = open;
      continue;
    }
    break;
  }
  return i;
}

/** Cookie attributes in the text that follows an assignment: `; expires=`, `; domain=`, `; path=`, `; max-age=`. */
function hasCookieAttribute(lower: string, from: number, to: number): boolean {
  let semi = lower.indexOf(';', from);
  for (let count = 0; semi !== -1 && semi < to && count < 8; count++) {
    const k = skipSpace(lower, semi + 1);
    for (const attr of ['expires', 'domain', 'path', 'max-age', 'samesite']) {
      if (lower.startsWith(attr, k) && lower.charCodeAt(skipSpace(lower, k + attr.length)) === 0x3d) return true;
    }
    semi = lower.indexOf(';', semi + 1);
  }
  return false;
}

type Report = (ruleId: string, paranoia: Paranoia, message: string, start: number, end: number) => void;

/** `document.cookie = "sid=...; path=/"`, `document['cookie']=...`, `x.cookie;expires=...`. */
function checkCookieScript(lower: string, report: Report): void {
  let at = lower.indexOf('cookie');
  for (let count = 0; at !== -1 && count < MAX_OCCURRENCES; count++) {
    const end = at + 6;
    const next = at;
    at = lower.indexOf('cookie', end);
    if (isIdentChar(lower.charCodeAt(end))) continue;
    // What stands before: `.cookie` (a property) or `['cookie']` / `["cookie"]` (a subscript).
    let objectEnd = -1;
    let after = end;
    const before = lower.charCodeAt(next - 1);
    if (before === 0x2e) objectEnd = skipBack(lower, next - 1);
    else if ((before === 0x27 || before === 0x22 || before === 0x60) && lower.charCodeAt(next - 2) === 0x5b &&
      lower.charCodeAt(end) === before && lower.charCodeAt(end + 1) === 0x5d) {
      objectEnd = next - 2;
      after = end + 2;
    }
    if (objectEnd < 0) continue;
    let k = objectEnd;
    while (k > 0 && k > objectEnd - 32 && isIdentChar(lower.charCodeAt(k - 1))) k--;
    const object = lower.slice(k, objectEnd);
    const closeBefore = lower.charCodeAt(objectEnd - 1) === 0x5d || lower.charCodeAt(objectEnd - 1) === 0x29;
    // `.cookie;expires=...` with nothing before the dot: the tail of a cookie assignment, cut out of its script.
    const bare = object === '' && !closeBefore;
    if (bare && objectEnd !== 0) continue;
    const op = skipSpace(lower, after);
    const c = lower.charCodeAt(op);
    const assigns = (c === 0x3d && lower.charCodeAt(op + 1) !== 0x3d) ||
      (c === 0x2b && lower.charCodeAt(op + 1) === 0x3d);
    const limit = Math.min(lower.length, op + 400);
    const attributes = hasCookieAttribute(lower, after, limit);
    if (assigns) {
      const rhs = skipSpace(lower, op + (c === 0x3d ? 1 : 2));
      const pair = lower.indexOf('=', rhs);
      const hasPair = pair !== -1 && pair < limit;
      if (bare && (attributes || hasPair)) {
        report(R.cookieScript, 2, 'assignment to a cookie property', k, limit);
      } else if (object === 'document' || attributes || (hasPair && closeBefore)) {
        report(R.cookieScript, 1, `script assigns ${object || '(...)'}.cookie`, k, limit);
      } else if (hasPair) {
        report(R.cookieScript, 2, `assignment to ${object}.cookie`, k, limit);
      }
    } else if (attributes && (object === 'document' || c === 0x3b)) {
      // `.cookie;expires=...`: a cookie string with attributes right after the property.
      report(R.cookieScript, bare ? 2 : 1, 'cookie property followed by cookie attributes', k, limit);
    }
  }
}

/** `<meta http-equiv="Set-Cookie" content="SID=...">`, in any case and spacing. */
function checkMeta(value: string, lower: string, report: Report): void {
  if (lower.indexOf('<meta') === -1 && lower.indexOf(':meta') === -1) return;
  scanTags(value, 0, value.length, (tag) => {
    if (tag.endTag || tag.local !== 'meta') return;
    for (const a of tag.attrs) {
      if (a.name !== 'http-equiv') continue;
      const equiv = decodeHtmlEntities(attrValue(value, a)).trim().toLowerCase();
      if (equiv === 'set-cookie' || equiv === 'set-cookie2') {
        report(R.metaSetCookie, 1, '<meta http-equiv="Set-Cookie"> sets a cookie', tag.start, tag.end);
        return false;
      }
    }
    return undefined;
  });
}

/** A `Set-Cookie:` header line: after a line break (header injection) or at the start of the value. */
function checkHeaderLine(lower: string, report: Report): void {
  let at = lower.indexOf('set-cookie');
  for (let count = 0; at !== -1 && count < MAX_OCCURRENCES; count++) {
    const start = at;
    at = lower.indexOf('set-cookie', start + 10);
    let k = start + 10;
    if (lower.charCodeAt(k) === 0x32) k++; // Set-Cookie2
    while (k < lower.length && (lower.charCodeAt(k) === 0x20 || lower.charCodeAt(k) === 0x09)) k++;
    if (lower.charCodeAt(k) !== 0x3a) continue;
    k = skipSpace(lower, k + 1);
    // A cookie follows: `name=`.
    let n = k;
    while (n < lower.length && n - k < 128 && (isIdentChar(lower.charCodeAt(n)) || lower.charCodeAt(n) === 0x2d || lower.charCodeAt(n) === 0x2e)) n++;
    if (n === k || lower.charCodeAt(n) !== 0x3d) continue;
    // What stands before on the line: nothing (white space only).
    let b = start - 1;
    while (b >= 0 && (lower.charCodeAt(b) === 0x20 || lower.charCodeAt(b) === 0x09)) b--;
    if (b >= 0 && (lower.charCodeAt(b) === 0x0a || lower.charCodeAt(b) === 0x0d)) {
      report(R.setCookieHeader, 1, 'Set-Cookie header line after a line break', start, n + 40);
    } else if (b < 0) {
      report(R.setCookieHeader, 2, 'value starts with a Set-Cookie header', start, n + 40);
    }
  }
}

/** `;jsessionid=...` path parameters (servlet URL rewriting). */
function checkPathParam(lower: string, report: Report): void {
  let semi = lower.indexOf(';');
  for (let count = 0; semi !== -1 && count < 8; count++) {
    const eq = lower.indexOf('=', semi + 1);
    if (eq !== -1 && eq - semi <= 40 && isSessionName(lower.slice(semi + 1, eq))) {
      report(R.sessionParam, 3, 'session identifier as a path parameter', semi, eq + 40);
      return;
    }
    semi = lower.indexOf(';', semi + 1);
  }
}

/** `cookie` in any case (see detect). */
const COOKIE = /coo[k\u212a]ie/i;

const NAME_MEMO = new Map<string, boolean>();

/** isSessionName for a parameter name, memoised (names repeat across requests). */
function sessionNameParam(name: string): boolean {
  if (name.length < 3 || name.length > 64) return false; // as isSessionName
  const known = NAME_MEMO.get(name);
  if (known !== undefined) return known;
  const result = isSessionName(name);
  if (NAME_MEMO.size >= 4096) NAME_MEMO.clear();
  NAME_MEMO.set(name, result);
  return result;
}

export const sessionFixationDetector: Detector = {
  category: 'session-fixation',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 3) return;
    const sessionParam = !context.isName && context.name !== '' && (context.source === 'query' || context.source === 'body') &&
      sessionNameParam(context.name) && tokenLike(value);
    // Everything else needs a `;` (path parameters, in a path) or `cookie` in any case (`coo\u212Aie` too: the
    // Kelvin sign lower-cases to `k`). Most values have neither: they leave before anything is allocated.
    const pathParam = context.source === 'path' && value.indexOf(';') !== -1;
    if (!sessionParam && !pathParam && !(value.length >= 6 && COOKIE.test(value))) return; // `cookie`: 6 characters
    const seen = new Map<string, Paranoia>();
    const emit: Report = (ruleId, paranoia, message, start, end) => {
      if (paranoia > context.paranoia) return;
      const earlier = seen.get(ruleId);
      if (earlier !== undefined && earlier <= paranoia) return;
      seen.set(ruleId, paranoia);
      const s = Math.max(0, start);
      const e = Math.min(value.length, Math.max(s + 1, end), s + 120);
      report({ ruleId, category: 'session-fixation', paranoia, score: SCORE.critical, message, matched: value.slice(s, e) });
    };
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    if (sessionParam) {
      if (context.source === 'query') emit(R.sessionParam, 2, `session identifier ${context.name} in the query string`, 0, value.length);
      else emit(R.sessionParam, 3, `session identifier ${context.name} in the body`, 0, value.length);
    }
    const lower = value.toLowerCase();
    if (pathParam) checkPathParam(lower, emit);
    if (lower.indexOf('cookie') === -1) return;
    checkCookieScript(lower, emit);
    if (lower.indexOf('set-cookie') !== -1) {
      checkMeta(value, lower, emit);
      checkHeaderLine(lower, emit);
    }
  },
};

/** The host name of a Host header or URL authority, lower-cased, without port or IPv6 brackets. */
function hostName(authority: string): string {
  const lower = authority.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    return close === -1 ? lower : lower.slice(1, close);
  }
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/** Host name of a Referer, or undefined when it is not an absolute URL with a host. */
function refererHost(referer: string): string | undefined {
  const url = URL.parse(referer.trim());
  if (url === null || url.hostname === '') return undefined;
  return hostName(url.host);
}

/**
 * The session cookie names of web frameworks (`JSESSIONID`, `PHPSESSID`, `laravel_session`, `connect.sid`...), which
 * a fixation link carries. Not the generic ones (`session_id`, `sessionId`, `session_token`): they are also how
 * payment and analytics services hand back their own ids (Stripe Checkout's `?session_id=cs_live_...` from
 * checkout.stripe.com, Adyen's `?sessionId=`, Adobe Target's), which no framework reads as its session.
 */
function urlSessionName(raw: string): boolean {
  return sessionNameParam(raw) && !GENERIC_SESSION_NAMES.has(sessionNameKey(raw));
}
const GENERIC_SESSION_NAMES: ReadonlySet<string> = new Set(['sessionid', 'session_id', 'session-id', 'sessid', 'sess_id',
  'session_token', 'session-token', 'sessiontoken', 'sessionkey', 'session_key', 'x-session-id', 'sid_token']);


/**
 * A session identifier in the query string of a request that another site sent the browser to: a parameter named
 * as a platform's URL session (`?JSESSIONID=...`, `?phpsessid=...`) with a token-like value, and a Referer from
 * another site than the request's Host (a subdomain of the same site is the same site). That is the fixation link being followed, at paranoia 1; an application that carries sessions
 * in URLs links to them from its own pages. Without a Referer, or with one that cannot be read, nothing is found
 * here (the detector's paranoia-2 rule still applies). The first such parameter is reported.
 */
export function crossSiteSessionParameter(
  query: readonly { readonly name: string; readonly value: string }[],
  referer: string | undefined,
  host: string | undefined,
): (Finding & { readonly parameter: string }) | undefined {
  if (referer === undefined || host === undefined || query.length === 0) return undefined;
  let parameter: { readonly name: string; readonly value: string } | undefined;
  for (const param of query) {
    if (urlSessionName(param.name) && tokenLike(param.value)) { parameter = param; break; }
  }
  if (parameter === undefined) return undefined;
  const from = refererHost(referer);
  if (from === undefined || siteOf(from) === siteOf(hostName(host))) return undefined;
  return {
    ruleId: R.crossSiteSessionParam,
    category: 'session-fixation',
    paranoia: 1,
    score: SCORE.critical,
    message: `session identifier ${parameter.name} in the query string of a request referred by another site`,
    matched: parameter.value.slice(0, 120),
    parameter: parameter.name,
  };
}
