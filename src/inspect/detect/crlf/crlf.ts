import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { CH_LINE, CH_NON_ASCII, CH_SLASH } from '../../value-chars.ts';
import { lastNameStep } from '../field-name.ts';

/**
 * CRLF injection, HTTP header injection and response/request splitting.
 *
 * The value is read as an application would emit it into a header or a raw HTTP message: each line break (CR,
 * LF, or a "Unicode CRLF" such as U+560D, whose low byte a Latin-1 truncation turns into CR) starts a new line,
 * and the line is parsed:
 * - a header line `Name: value` whose name is a response or request header (`Set-Cookie`, `Location`,
 *   `Content-Length`, ...) is header injection;
 * - a blank line followed by a status line or HTML, or a status line (`HTTP/1.1 200`) anywhere, is response
 *   splitting; a request line (`GET /x HTTP/1.1`) is request splitting (also found without a line break, glued to
 *   other text, as in smuggling payloads).
 * Line breaks in names, paths and header values never occur legitimately, so they alone are the finding there.
 * A newline in a body field (a textarea) is normal: only a following header line counts, and headers that also
 * open ordinary lines of prose (`Location:`, `Host:`, `Date:`) count at paranoia 2 there.
 */

/** Header names whose injection is the attack wherever the value sits. */
const STRONG = new Set([
  'set-cookie', 'set-cookie2', 'content-length', 'content-type', 'transfer-encoding', 'refresh', 'x-xss-protection',
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-headers',
  'access-control-allow-methods', 'access-control-expose-headers', 'content-security-policy',
  'content-security-policy-report-only', 'content-disposition', 'strict-transport-security', 'x-frame-options',
  'www-authenticate', 'proxy-authenticate', 'content-encoding', 'x-forwarded-for', 'x-forwarded-host',
  'x-forwarded-proto', 'x-forwarded-server', 'x-original-url', 'x-rewrite-url', 'x-http-method-override',
  'proxy-authorization', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'x-content-type-options', 'cache-control',
  'content-location', 'keep-alive', 'remote-addr', 'x-powered-by', 'x-accel-redirect', 'x-sendfile',
  'x-accel-buffering', 'link', 'p3p', 'content-range', 'last-modified', 'etag', 'expires',
]);

/** Header names used in request smuggling and open redirects, which also begin ordinary lines ("Location: Berlin"). */
const WEAK = new Set([
  'location', 'host', 'cookie', 'referer', 'connection', 'expect', 'upgrade', 'authorization', 'user-agent', 'te',
  'trailer', 'forwarded',
]);

/**
 * Headers of MIME parts. An e-mail or a multipart document pasted into a text field (a support ticket, an imported
 * message) has them on every part, among other header lines or boundaries; there they count from paranoia 2 on.
 * One alone after a line of text is the injection.
 */
const MIME = new Set(['content-type', 'content-disposition', 'content-transfer-encoding', 'content-description', 'content-id', 'mime-version']);

/** Header names that mostly begin ordinary lines of text ("Date: Monday", "From: Anna"). */
const PROSE = new Set(['date', 'server', 'via', 'from', 'warning', 'age', 'allow', 'accept', 'range', 'origin', 'vary', 'pragma']);

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PROPFIND', 'MOVE', 'COPY'];

const HTML_AFTER_BLANK = ['<html', '<!doctype', '<script', '<meta', '<body', '<head', '<iframe', '<svg', '<title', '<img', '<a '];

function isTchar(c: number): boolean {
  // RFC 9110 token characters
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 33 || c === 35 || c === 36 || c === 37 || c === 38 || c === 39 || c === 42 || c === 43 || c === 45 ||
    c === 46 || c === 94 || c === 95 || c === 96 || c === 124 || c === 126;
}

function isBreak(c: number): boolean {
  return c === 10 || c === 13;
}

/** Characters a Latin-1 truncation turns into CR or LF (U+560A, U+560D, ...). */
function isWideBreak(c: number): boolean {
  return c > 0xff && ((c & 0xff) === 10 || (c & 0xff) === 13);
}

/** Only whitespace from `i` to the end. */
function trailingSpace(v: string, i: number): boolean {
  for (let k = i; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c !== 10 && c !== 13 && c !== 32 && c !== 9) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 10);
  return JSON.stringify(v.slice(s, s + 90)).slice(1, -1).slice(0, 120);
}

/** `HTTP/d.d` (or `HTTP/d`) at `i`. */
function isHttpVersion(v: string, i: number): boolean {
  return v.startsWith('HTTP/', i) && isDigit(v.charCodeAt(i + 5));
}

/** A request line `METHOD SP target SP HTTP/x` starting at `i`; returns true when it is one. */
function isRequestLine(v: string, i: number): boolean {
  const c = v.charCodeAt(i);
  // First letters of the methods: C D G H M O P T
  if (c !== 67 && c !== 68 && c !== 71 && c !== 72 && c !== 77 && c !== 79 && c !== 80 && c !== 84) return false;
  for (const m of METHODS) {
    if (!v.startsWith(m, i) || v.charCodeAt(i + m.length) !== 32) continue;
    let j = i + m.length + 1;
    const t = j;
    while (j < v.length && j - t < 2048 && v.charCodeAt(j) > 32) j++;
    if (j === t || v.charCodeAt(j) !== 32) return false;
    return isHttpVersion(v, j + 1);
  }
  return false;
}

/** A request line ending in `HTTP/x` glued to other text (`aaaHEAD http://x/ HTTP/1.1`), searched backwards from each `HTTP/`. */
function embeddedRequestLine(v: string): number {
  let from = 0;
  for (let guard = 0; guard < 64; guard++) {
    const at = v.indexOf(' HTTP/', from);
    if (at < 0) return -1;
    from = at + 6;
    if (!isDigit(v.charCodeAt(at + 6))) continue;
    // target: non-space run before the space
    let t = at;
    while (t > 0 && at - t < 2048 && v.charCodeAt(t - 1) > 32) t--;
    if (t === at || t < 2 || v.charCodeAt(t - 1) !== 32) continue;
    const target = v.charCodeAt(t);
    if (target !== 47 && target !== 42 && v.slice(t, t + 4).toLowerCase() !== 'http') continue; // / * http
    const end = t - 1;
    for (const m of METHODS) {
      if (end - m.length < 0 || !v.startsWith(m, end - m.length)) continue;
      // a request line in quotes is a quoted one: an access-log line (`"GET /x HTTP/1.1" 200 5123`), not a split
      const before = v.charCodeAt(end - m.length - 1);
      if (before === 34 || before === 39) continue;
      return end - m.length;
    }
  }
  return -1;
}

interface Line {
  readonly kind: 'header' | 'status' | 'request' | 'html' | '';
  readonly name: string;
}
const NONE: Line = { kind: '', name: '' };
const STATUS: Line = { kind: 'status', name: '' };
const REQUEST: Line = { kind: 'request', name: '' };
const HTML: Line = { kind: 'html', name: '' };

/** What the line starting at `i` (after a break) is. `blank` says whether an empty line came before it. */
function readLine(v: string, i: number, blank: boolean): Line {
  // obs-fold / indentation
  while (i < v.length && (v.charCodeAt(i) === 32 || v.charCodeAt(i) === 9)) i++;
  if (isHttpVersion(v, i)) return STATUS;
  if (isRequestLine(v, i)) return REQUEST;
  if (blank && v.charCodeAt(i) === 60) {
    const head = v.slice(i, i + 10).toLowerCase();
    for (const h of HTML_AFTER_BLANK) if (head.startsWith(h)) return HTML;
  }
  let j = i;
  while (j < v.length && j - i < 64 && isTchar(v.charCodeAt(j))) j++;
  if (j === i || j - i >= 64) return NONE;
  let k = j;
  while (k < v.length && k - j < 16 && (v.charCodeAt(k) === 32 || v.charCodeAt(k) === 9 || v.charCodeAt(k) === 13)) k++;
  if (v.charCodeAt(k) !== 58) return NONE;
  // A header without a value changes nothing: `Location:` alone is not an injection.
  let m = k + 1;
  while (m < v.length && m - k < 16 && (v.charCodeAt(m) === 32 || v.charCodeAt(m) === 9)) m++;
  if (m >= v.length || isBreak(v.charCodeAt(m))) return NONE;
  return { kind: 'header', name: v.slice(i, j).toLowerCase() };
}

/** ` HTTP/` in the value, found through `HTTP/` (a search for a pattern that starts with a blank is slow on prose). */
function hasSpaceHttp(v: string): boolean {
  for (let p = v.indexOf('HTTP/', 1); p !== -1; p = v.indexOf('HTTP/', p + 1)) {
    if (v.charCodeAt(p - 1) === 32) return true;
  }
  return false;
}

/**
 * What every finding needs: a line break (CR, LF, or a wide break, which is a character above U+00FF) or the
 * `HTTP/` of an embedded request line. One pass that lets the great majority of values skip the line-by-line
 * reading (the character class costs nothing on a Latin-1 string).
 */
const MAY_MATCH = /[\n\r\u0100-\uffff]|HTTP\//;

/** MAY_MATCH for a short value (keys, numbers), read in place: a line break, a character above U+00FF, or `/`. */
function shortMayMatch(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 10 || c === 13 || c > 0xff || c === 47) return true;
  }
  return false;
}

/** The index of the first space or tab in `value`, or its length when it has none. */
function firstBlank(value: string): number {
  const space = value.indexOf(' ');
  const tab = value.indexOf('\t', 0);
  if (space < 0) return tab < 0 ? value.length : tab;
  return tab < 0 || space < tab ? space : tab;
}

/**
 * The parameter's name says it holds request headers (`headers`, `httpHeaders`, Google WebChannel's `$httpHeaders`
 * that Firebase sends on every Firestore write, `extra_headers`): its value is a header block by design.
 */
function namesHeaders(name: string): boolean {
  if (name.length < 6 || name.length > 64) return false;
  const step = lastNameStep(name).toLowerCase();
  return step.endsWith('headers') || step === 'header';
}

/**
 * The whole value is a block of header lines (`Name: value` from its first character, each line one, no blank line
 * before the last): a header list as such, not text with a header injected after it.
 */
function headerBlock(v: string): boolean {
  let i = 0;
  let lines = 0;
  while (i < v.length) {
    if (readLine(v, i, false).kind !== 'header') return false;
    lines++;
    while (i < v.length && !isBreak(v.charCodeAt(i))) i++;
    let breaks = 0;
    let lf = 0;
    while (i < v.length && isBreak(v.charCodeAt(i))) { if (v.charCodeAt(i) === 10) lf++; i++; breaks++; }
    if ((lf >= 2 || breaks >= 3) && i < v.length) return false; // a blank line with something after it: a body
  }
  return lines > 0;
}

/** The command line that starts a STOMP 1.x frame. */
const STOMP_FRAME = /^(?:CONNECT|STOMP|SEND|SUBSCRIBE|UNSUBSCRIBE|ACK|NACK|BEGIN|COMMIT|ABORT|DISCONNECT)\r?\n[a-z][a-z0-9-]{0,63}:/;

export const crlfDetector: Detector = {
  category: 'crlf',
  // a line break, a character past U+00FF or the `/` of `HTTP/` (see MAY_MATCH)
  needs: CH_LINE | CH_NON_ASCII | CH_SLASH,
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 2 || (value.length <= 8 ? !shortMayMatch(value) : !MAY_MATCH.test(value))) return;
    // a STOMP frame (`SEND\ndestination:/app/chat\ncontent-type:application/json\n\n{...}`, as STOMP over WebSocket
    // and SockJS's HTTP fallback carry it): its header lines are STOMP's; its body is read as any value
    if (STOMP_FRAME.test(value)) {
      const lf = value.indexOf('\n\n');
      const crlf = value.indexOf('\r\n\r\n');
      const body = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (body >= 0) crlfDetector.detect(value.slice(body), context, report);
      return;
    }
    const found = (ruleId: string, paranoia: Paranoia, message: string, at: number, score: number = SCORE.critical): void => {
      report({ ruleId, category: 'crlf', paranoia, score, message, matched: excerpt(value, at) });
    };
    const inBody = context.source === 'body';
    let first = -1;
    let headerLines = 0;
    let mimeAt = -1;
    let mimeName = '';
    let htmlAt = -1;
    /** The first space or tab (found once, when markup after a blank line first needs it). */
    let blankAt: number | undefined;
    /** Whether the value's first line is a header line (read once, as blankAt). */
    let headerFirst: boolean | undefined;
    let best: { ruleId: string; paranoia: Paranoia; message: string; at: number } | undefined;
    const consider = (ruleId: string, paranoia: Paranoia, message: string, at: number): void => {
      if (!best || paranoia < best.paranoia) best = { ruleId, paranoia, message, at };
    };
    /** The first break from which the rest of the value was found to be only white space (-1: none yet). */
    let spaceTailFrom = -1;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      const wide = isWideBreak(c);
      if (!isBreak(c) && !wide) continue;
      // A break only matters with something after it: a trailing newline (a form body ending in "\n") does not.
      // (In a query string the break was percent-encoded on purpose: it counts even at the end.)
      // (once the rest is only white space from a break, it is from every later one: read once, not per break)
      if (!wide && first < 0) {
        if (context.source === 'query') first = i;
        else if (spaceTailFrom < 0) {
          if (trailingSpace(value, i)) spaceTailFrom = i;
          else first = i;
        }
      }
      // Consume the run of breaks; two LFs (or CRLF CRLF) make a blank line.
      let j = i;
      let lf = 0;
      while (j < value.length && (isBreak(value.charCodeAt(j)) || isWideBreak(value.charCodeAt(j)))) {
        if (value.charCodeAt(j) === 10 || (value.charCodeAt(j) & 0xff) === 10) lf++;
        j++;
      }
      const blank = lf >= 2 || j - i >= 3;
      const line = readLine(value, j, blank);
      i = j - 1;
      if (line.kind === 'status') {
        consider('crlf-response-splitting', 1, 'HTTP response splitting: status line after a line break', j);
      } else if (line.kind === 'html') {
        // (in a pasted message with MIME headers, an HTML part after its blank line is the message: see below)
        if (inBody && mimeAt >= 0) htmlAt = j;
        // In a body field, markup after a paragraph of text is a document (a post with an image pasted below a
        // line, `Output:` then a page): splitting needs the blank line to end header lines (the value's first line
        // included), or to follow a lone token or nothing, as the header value it is written into would hold.
        else if (inBody && headerLines === 0 && (blankAt ??= firstBlank(value)) < i && !(headerFirst ??= readLine(value, 0, false).kind === 'header')) consider('crlf-response-splitting', 2, 'HTTP response splitting: HTML body after a blank line that ends a paragraph of text', j);
        else consider('crlf-response-splitting', 1, 'HTTP response splitting: HTML body after a blank line', j);
      } else if (line.kind === 'request') {
        consider('crlf-request-splitting', 1, 'HTTP request splitting: request line after a line break', j);
      } else if (line.kind === 'header') {
        const n = line.name;
        headerLines++;
        if (inBody && MIME.has(n)) {
          if (mimeAt < 0) { mimeAt = j; mimeName = n; }
        } else if (STRONG.has(n) || n.startsWith('access-control-') || (n.startsWith('x-') && !inBody)) {
          consider('crlf-header-injection', 1, `header injection (${n})`, j);
        } else if (WEAK.has(n)) {
          consider('crlf-header-injection', inBody ? 2 : 1, `header injection (${n})`, j);
        } else if (PROSE.has(n)) {
          consider('crlf-header-injection', inBody ? 3 : 2, `header injection (${n})`, j);
        } else if (wide) {
          // A CJK character followed by an unknown `word:` is just text.
        } else if (n.includes('-') || n.startsWith('x-')) {
          consider('crlf-header-like-line', inBody ? 3 : 2, `header-like line after a line break (${n})`, j);
        } else if (!inBody) {
          consider('crlf-header-like-line', 3, `header-like line after a line break (${n})`, j);
        }
      }
      if (best && best.paranoia === 1) break;
    }
    if (mimeAt >= 0 && !(best && best.paranoia === 1)) {
      // a pasted message: more header lines than the injected one, or a MIME boundary line
      const message = headerLines >= 2 || value.includes('\n--');
      consider('crlf-header-injection', message ? 2 : 1, `header injection (${mimeName})`, mimeAt);
      if (htmlAt >= 0) consider('crlf-response-splitting', message ? 2 : 1, 'HTTP response splitting: HTML body after a blank line', htmlAt);
    }
    // A header list in a parameter named for one (`$httpHeaders=X-Goog-Api-Client:...\r\nContent-Type:...`):
    // header lines are what it holds, so they count from paranoia 2 on.
    if (best && best.paranoia === 1 && best.ruleId === 'crlf-header-injection' && context.source !== 'header' && !context.isName &&
      namesHeaders(context.name) && headerBlock(value)) {
      found(best.ruleId, 2, `${best.message} in a header list`, best.at);
      return;
    }
    if (best && best.paranoia === 1) {
      found(best.ruleId, best.paranoia, best.message, best.at);
      return;
    }
    if (first >= 0 && (context.isName || context.source === 'header' || context.source === 'path')) {
      found(context.isName ? 'crlf-in-name' : 'crlf-in-header', 1,
        context.isName ? 'line break in a parameter name' : `line break in a ${context.source === 'path' ? 'path segment' : 'header value'}`, first);
      return;
    }
    if (best) {
      found(best.ruleId, best.paranoia, best.message, best.at);
      return;
    }
    if (first >= 0) {
      if (context.isName) {
        found('crlf-in-name', 1, 'line break in a parameter name', first);
        return;
      }
      if (context.source === 'header' || context.source === 'path') {
        found('crlf-in-header', 1, `line break in a ${context.source === 'path' ? 'path segment' : 'header value'}`, first);
        return;
      }
      if (context.source === 'cookie') {
        found('crlf-in-header', 2, 'line break in a cookie value', first);
        return;
      }
      if (context.source === 'query') {
        // GET forms rarely carry multi-line text; a line break in a query value is header injection at paranoia 2
        found('crlf-in-query', 2, 'line break in a query-string value', first);
        return;
      }
    }
    if (hasSpaceHttp(value)) {
      const at = embeddedRequestLine(value);
      if (at >= 0) found('crlf-request-splitting', 1, 'HTTP request line embedded in a value', at);
    }
  },
};
