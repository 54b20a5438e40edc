/**
 * Remote file inclusion: a URL to another server where the application expects a file, a page or a template it
 * will include and run (`?page=http://evil/shell.txt?`). URLs are everywhere in legitimate traffic, so the
 * decision rests on where the URL is and what it looks like:
 * - in a parameter named for a file, page, include, template, path or module, a remote URL as the whole value is
 *   the attack (a URL inside text, or in a name that also says link or URL, counts at paranoia 2);
 * - a URL whose last character is `?` (the trick that turns the application's own suffix, `.php`, into a query
 *   string), as the whole value;
 * - a URL to a raw IP address whose path ends in a script or include-able file (`http://1.2.3.4/x.php`);
 * weaker combinations (a script URL in a `src`/`url` parameter, a raw-IP host, `ftp://`) at paranoia 2, and any
 * remote URL in a non-URL parameter at paranoia 3. Header values (Referer, Origin) are URLs by nature: ignored.
 */

import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { classifyHost, findUrls, isInternal, type FoundUrl } from '../ssrf/url.ts';
import { BestPerRule, type RuleVerdict } from '../best-per-rule.ts';
import { CH_COLON } from '../../value-chars.ts';

type Verdict = RuleVerdict;

/** Parameter names for something the application includes or reads as a file. */
const INCLUDE_HINTS = ['file', 'page', 'include', 'inc', 'template', 'tpl', 'path', 'doc', 'document', 'folder', 'dir',
  'root', 'lang', 'language', 'module', 'mod', 'view', 'layout', 'conf', 'config', 'load', 'read', 'require', 'style', 'theme', 'skin', 'plugin', 'header', 'footer', 'main', 'base', 'pg', 'show', 'cat',
  'board', 'section', 'home', 'menu', 'class', 'lib', 'prefix', 'locale', 'inc_dir'];
/**
 * Names that hold a page's content (a CMS's `content`, `body`) or a message's text: a URL alone there is a link
 * posted as a message (a chat's `content`, a comment's `body`) as often as a page to include. Paranoia 2.
 */
const MESSAGE_HINTS = ['content', 'body'];
/**
 * Names that hold a URL to fetch or show: a script there is suspicious, a plain URL is not (`action`: a form's
 * target in a form builder's definition, WS-Addressing's `<a:Action>` URI, which names an operation). With them, the
 * URL of a page the visitor saw, as analytics and lead forms record it (GA4's `page_location`, `landing_page`,
 * `exit_page`): a page named with what it was to the visit is a link, not a page to include.
 */
const URL_HINTS = ['url', 'uri', 'src', 'href', 'link', 'feed', 'img', 'image', 'source', 'remote', 'fetch', 'ref', 'action',
  'location', 'landing', 'entry_page', 'exit_page', 'current_page', 'first_page', 'last_page', 'prev_page',
  'previous_page', 'initial_page', 'referring_page', 'visited'];
/** Names for where a browser goes next, or a profile link: URLs are the point of them. */
const BENIGN_HINTS = ['redirect', 'return', 'next', 'continue', 'website', 'homepage', 'callback', 'success',
  'cancel', 'origin', 'referer', 'referrer', 'share', 'canonical', 'permalink', 'back', 'goto', 'profile'];

/** Extensions of files a server-side include would run or read as code. */
const SCRIPT_EXT = new Set(['php', 'php3', 'php4', 'php5', 'php7', 'phtml', 'phar', 'inc', 'asp', 'aspx', 'ashx',
  'jsp', 'jspx', 'cgi', 'pl', 'py', 'rb', 'sh', 'bash', 'ps1', 'cfm', 'txt', 'dat', 'gif.php', 'jpg.php', 'tpl', 'exe',
  'war', 'jar', 'dll', 'so', 'elf', 'bin']);

const WEB_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'sftp', 'smb', 'webdav', 'dav', 'ssh2.sftp']);

export const rfiDetector: Detector = {
  category: 'rfi',
  needs: CH_COLON, // every finding needs a URL's `://`
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 8 || context.source === 'header' || !value.includes('://')) return;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    run(value, context, report);
  },
};

function run(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
  const hints = nameHints(context.name);
  const benign = (hints & BENIGN) !== 0;
  const include = (hints & INCLUDE) !== 0;
  const urlName = (hints & URL_NAME) !== 0;
  const message = (hints & INCLUDE) === 0 && (hints & MESSAGE) !== 0;
  // Cheap exit before the URL parser. Every rule below but two needs the URL to be the whole (trimmed) value; of
  // those two, the include rule needs an include parameter (and a value, not a name), and the raw-IP rule needs a
  // script extension. So when the value cannot be one whole URL and has no script extension after a dot, no URL in
  // it can give anything.
  if ((!(include || message) || context.isName) && !mayBeOneUrl(value) && !SCRIPT_EXT_AFTER_DOT.test(value)) return;
  const best = new BestPerRule(context.paranoia);
  const keep = (v: Verdict): void => best.keep(v);

  for (const url of findUrls(value)) {
    if (!WEB_SCHEMES.has(url.scheme) || url.hosts.length === 0) continue;
    const host = url.hosts[0]!;
    const facts = classifyHost(host);
    if (facts === null) continue;
    const whole = url.start <= value.length - value.trimStart().length && url.end >= value.trimEnd().length;
    // an internal host is SSRF's business, but in an include parameter, or cut by `?` or a NUL, it is an include all
    // the same (`lang=http://10.13.37.1/s.txt%00`: a payload served from a host on the victim's network)
    if (isInternal(facts.kind) && !(include && !context.isName && (whole || value.charCodeAt(url.end) === 0))) continue;
    if (!host.includes('.') && !facts.literal) continue; // `http://intranet/`: no public host
    const span = { start: url.start, end: url.end };
    const ext = scriptExtension(url);
    // the value starts with the URL, which a NUL byte ends (PHP before 5.3.4 cut the path there, and the suffix)
    const nulCut = value.charCodeAt(url.end) === 0 && url.start <= value.length - value.trimStart().length;
    const truncation = (trailingQuestion(url) && whole) || nulCut;
    const ip = facts.literal;
    const what = `${url.scheme}://${host}${ext !== '' ? ` (.${ext})` : ''}`;
    if ((include || message) && !context.isName && !staticResource(url, ip)) {
      // The include parameter holds the URL and nothing else, and its name does not also say it holds a link: at
      // paranoia 1. A URL inside text (a `body` or `content` field of an API with a link in it) or in a field named
      // for both (`pageUrl`, `document-uri`, `source-file` of a CSP report, `base_url`) at paranoia 2, and the
      // other rules still look at it.
      // (a page's address with its query, `page=https://shop.example/search?q=shoes`, as web-vitals beacons and error
      // loggers send it, at paranoia 2; a query left open for the include's suffix, `...x.txt?a=`, stays at 1)
      const strong = whole && !urlName && !message && !pageWithQuery(url);
      keep({ rule: 'rfi-remote-include', paranoia: strong ? 1 : 2, score: SCORE.critical, message: `remote URL ${what} in the include parameter ${context.name}`, ...span });
      if (strong && !truncation) continue; // (a cut one is reported as such too: the include of an own page is dropped later)
    }
    if (truncation) {
      keep({ rule: 'rfi-suffix-truncation', paranoia: benign ? 2 : 1, score: SCORE.critical, message: `remote URL ending in ${nulCut ? 'a NUL byte' : url.rest.endsWith('#') ? '#' : '?'} to cut the include suffix: ${what}`, ...span });
    } else if (ext !== '' && ip) {
      keep({ rule: 'rfi-remote-script', paranoia: benign ? 2 : 1, score: SCORE.critical, message: `script on a raw IP address: ${what}`, ...span });
    } else if (ext !== '' && urlName && whole && ext !== 'txt') {
      keep({ rule: 'rfi-remote-script', paranoia: 2, score: SCORE.critical, message: `remote script URL ${what} in ${context.name}`, ...span });
    } else if ((ip || url.scheme === 'ftp' || url.scheme === 'ftps') && whole && !benign) {
      keep({ rule: 'rfi-remote-url', paranoia: ip && url.scheme.startsWith('ftp') ? 1 : 2, score: SCORE.critical, message: `remote ${ip ? 'IP address' : 'FTP'} URL ${what}`, ...span });
    } else if (ext !== '' && whole && !benign) {
      keep({ rule: 'rfi-remote-url', paranoia: 3, score: SCORE.warning, message: `remote script URL ${what}`, ...span });
    } else if (whole && !benign && !urlName) {
      keep({ rule: 'rfi-remote-url', paranoia: 3, score: SCORE.notice, message: `remote URL ${what} as a parameter value`, ...span });
    }
  }
  best.flush(report, 'rfi', value);
}

/**
 * Whether the value could be one whole URL (`whole` below: the URL spans the value without its surrounding white
 * space, as `trim` removes it). `findUrls` never lets a URL run over a blank, a control character, a quote, `<`,
 * `>` or a backtick (its scheme, authority and rest all stop there), so a trimmed value holding one is no URL.
 */
function mayBeOneUrl(value: string): boolean {
  return !URL_BREAK.test(value.trim());
}
const URL_BREAK = /[\x00-\x20"'<>`]/;

/**
 * A dot followed by one of SCRIPT_EXT (case-insensitive): `scriptExtension` returns an extension only when the
 * characters after a dot of the value are one of them. (Lower-casing maps no non-ASCII character to the ASCII
 * letters and digits of these extensions but the Kelvin sign, to `k`, which none of them holds.)
 */
const SCRIPT_EXT_AFTER_DOT = /\.(?:php|phtml|phar|inc|asp|ashx|jsp|cgi|pl|py|rb|sh|bash|ps1|cfm|txt|dat|tpl|exe|war|jar|dll|so|elf|bin)/i;

/** A lower-case letter or digit followed by an upper-case letter (one character each side: no backtracking). */
const CAMEL_BOUNDARY = /([a-z0-9])([A-Z])/g;
/** Blanks, dots and colons between the words of a name. */
const WORD_GAP = /[\s.:]/g;

const BENIGN = 1;
const INCLUDE = 2;
const URL_NAME = 4;
const MESSAGE = 8;
const HINT_MEMO = new Map<string, number>();

/**
 * What a parameter name says, as BENIGN | INCLUDE | URL_NAME | MESSAGE bits (memoised by the name as written: names
 * repeat across requests). INCLUDE, URL_NAME and MESSAGE are never set with BENIGN.
 */
function nameHints(rawName: string): number {
  const known = HINT_MEMO.get(rawName);
  if (known !== undefined) return known;
  if (HINT_MEMO.size > 4096) HINT_MEMO.clear();
  // camelCase words are words too: `documentationUrl` is `documentation_url`; so are words apart by a blank, a dot
  // or a colon, as analytics event properties name them (`page url`, `page.url`, `Page URL`)
  const name = rawName.replace(CAMEL_BOUNDARY, '$1_$2').replace(WORD_GAP, '_').toLowerCase();
  let bits = 0;
  // an XML namespace declaration (`xmlns:content="http://purl.org/rss/1.0/modules/content/"`) names a namespace by a
  // URI that no parser fetches
  if (name.startsWith('xmlns') || hint(name, BENIGN_HINTS)) bits = BENIGN;
  else {
    if (hint(name, INCLUDE_HINTS) || bracketed(name)) bits |= INCLUDE;
    if (hint(name, MESSAGE_HINTS)) bits |= MESSAGE;
    if (hint(name, URL_HINTS)) bits |= URL_NAME;
  }
  HINT_MEMO.set(rawName, bits);
  return bits;
}

/** Whether a (lower-case) parameter name matches one of the hints. */
function hint(name: string, hints: readonly string[]): boolean {
  if (name === '' || name.length > 128) return false;
  return hintUncached(name, hints);
}

function hintUncached(name: string, hints: readonly string[]): boolean {
  for (const h of hints) {
    if (name === h) return true;
    if (h.length >= 4 && name.includes(h)) return true;
    if (name.endsWith('_' + h) || name.startsWith(h + '_') || name.endsWith('-' + h) || name.endsWith('[' + h + ']')) return true;
  }
  return false;
}

/** PHP array-style configuration names: `_CONF[path]`, `mosConfig_absolute_path`, `cfg[root_dir]`. */
function bracketed(name: string): boolean {
  return name.includes('[') && (name.includes('path') || name.includes('dir') || name.includes('root'));
}

/** The extension of the URL's last path segment, if it names a script or include-able file. */
function scriptExtension(url: FoundUrl): string {
  let path = url.rest;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const last = path.slice(slash + 1).toLowerCase();
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return '';
  const ext = last.slice(dot + 1);
  return SCRIPT_EXT.has(ext) ? ext : '';
}

/** Media and documents a page shows or links to (`terms.pdf`, `logo.png`): not something an include runs. */
const STATIC_EXT = new Set(['pdf', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'ico', 'bmp', 'css', 'woff', 'woff2',
  'ttf', 'mp3', 'mp4', 'webm', 'ogg', 'wav', 'mov', 'avi', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'csv',
  'zip', 'gz', 'json', 'xml', 'rss', 'atom', 'ics', 'vcf', 'epub', 'md']);
/**
 * The scripts and source maps a browser loads from a site's own host name: the `filename` of every frame of a
 * JavaScript error report (Sentry, Bugsnag, Rollbar). Not on a raw IP address, where sites serve none and payloads
 * are hosted. (The extension is the sender's choice and protects nothing: an include of `shell.png` runs as well.)
 */
const BROWSER_SCRIPT_EXT = new Set(['js', 'mjs', 'cjs', 'map']);

function staticResource(url: FoundUrl, ip: boolean): boolean {
  let path = url.rest;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  const last = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = last.slice(dot + 1);
  return STATIC_EXT.has(ext) || (!ip && BROWSER_SCRIPT_EXT.has(ext));
}

/** The URL has a query with a value at its end (`?q=shoes&page=2`), not one left open (`?`, `?a=`). */
function pageWithQuery(url: FoundUrl): boolean {
  const rest = url.rest;
  const q = rest.indexOf('?');
  if (q < 0) return false;
  const hash = rest.indexOf('#', q);
  const query = hash < 0 ? rest.slice(q + 1) : rest.slice(q + 1, hash);
  const last = query.charCodeAt(query.length - 1);
  // (`?&cmd=id`: an empty first parameter, the suffix-swallowing trick with a command for the shell it includes)
  return query.length >= 3 && query.includes('=') && last !== 61 && last !== 63 && last !== 38 && query.charCodeAt(0) !== 38;
}

/**
 * `http://evil/shell.txt?`, `http://evil/x??`, `http://evil/x.txt#`: nothing after the question marks, or after the
 * fragment mark of a script's URL (the fragment is never sent: an include drops it with the application's suffix; a
 * page link with an empty anchor, `https://example.com/docs#`, is no script).
 */
function trailingQuestion(url: FoundUrl): boolean {
  const rest = url.rest;
  if (rest.length === 0) return false;
  const last = rest.charCodeAt(rest.length - 1);
  return last === 63 || (last === 35 && scriptExtension(url) !== '');
}
