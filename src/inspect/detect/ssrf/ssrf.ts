/**
 * Server-side request forgery: URLs and hosts that point a server at itself, its private network, or its cloud
 * metadata service, in any notation (see url.ts), and URL schemes that turn a fetch into something else
 * (`gopher://` speaks any TCP protocol, `dict://`, `jar:`, `netdoc:`, `tftp://`).
 *
 * Cloud metadata is an attack wherever it appears. A loopback, private or link-local target counts at paranoia 1
 * when the parameter is one that holds a URL or host (`url`, `webhook`, `image`, `host`...), or when the URL is
 * crafted (unusual IP notation, wildcard DNS carrying an address, an `@` trick); elsewhere at paranoia 2. The
 * `Referer` and `Origin` headers of a developer's browser point at localhost all day: paranoia 3 only.
 */

import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { classifyHost, cleanHost, findUrls, isInternal, type FoundUrl, type HostFacts } from './url.ts';
import { BestPerRule, type RuleVerdict } from '../best-per-rule.ts';
import { HARMLESS, NO_URL, quickUrls, UNSURE } from './quick.ts';

type Verdict = RuleVerdict;

/** Parameter names that hold a URL or a host. */
const URL_HINTS = ['url', 'uri', 'link', 'href', 'src', 'source', 'dest', 'target', 'callback', 'webhook', 'hook',
  'feed', 'proxy', 'host', 'domain', 'server', 'endpoint', 'fetch', 'load', 'image', 'img', 'avatar', 'icon', 'file',
  'path', 'site', 'addr', 'remote', 'upstream', 'location', 'forward', 'resource', 'document', 'preview', 'import',
  'download', 'api', 'service', 'backend', 'ssrf'];
/**
 * Names that hold where a browser goes next: a loopback or private address there is an OAuth loopback redirect or an
 * intranet application's own page, not SSRF.
 */
/** Names of free text: a URL pasted alone into a comment or a search (`http://localhost:9200/_cat/indices`) is quoted, not fetched. */
const TEXT_NAMES: ReadonlySet<string> = new Set(['comment', 'comments', 'message', 'msg', 'body', 'content', 'text', 'description',
  'desc', 'note', 'notes', 'q', 'query', 'search', 'keyword', 'keywords', 'title', 'subject', 'bio', 'review', 'feedback',
  'reply', 'post', 'remark', 'memo', 'question', 'answer', 'summary']);
const REDIRECT_HINTS = ['redirect', 'return', 'next', 'continue', 'goto', 'back', 'success', 'failure', 'cancel', 'origin', 'referer', 'referrer'];

/** Schemes that make a server-side fetch dangerous by themselves. */
const DANGEROUS: ReadonlyMap<string, Paranoia> = new Map([
  ['gopher', 1], ['dict', 1], ['netdoc', 1], ['jar', 1], ['tftp', 1], ['local_file', 1], ['ldap', 2], ['ldaps', 2],
  ['ldapi', 2], ['sftp', 2], ['smb', 2], ['rsync', 2], ['telnet', 2], ['imap', 2], ['pop3', 2], ['smtp', 2],
  ['acap', 2], ['xri', 2], ['rtmp', 2], ['ssh', 2], ['irc', 2], ['nntp', 2], ['rmi', 2], ['iiop', 2],
]);

/**
 * Ports of services that speak no HTTP: a web URL to one of them on an internal host is a probe (a port scan, or
 * the first step of smuggling another protocol, such as Redis commands in a request line), never a resource a
 * backend fetches. SSH, Telnet, SMTP, POP3, IMAP, LDAP, SMB and RPC, database servers (MySQL, PostgreSQL, SQL
 * Server, Oracle, MongoDB, Redis, Memcached, Cassandra), message brokers (AMQP, Kafka, ZooKeeper), FastCGI (9000
 * is left out: development web servers listen there too), NFS, VNC and RDP.
 */
const SERVICE_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 110, 111, 135, 139, 143, 389, 445, 465, 587, 636, 993, 995, 1433, 1521, 2049, 2181, 3306, 3389,
  4369, 5432, 5672, 5900, 6379, 9042, 9092, 11211, 27017,
]);
/**
 * The HTTP management APIs that run code or hand out secrets to whoever reaches them, which no web page's request
 * names: Docker's (2375, 2376: a container with the host's disk), the kubelet's (10250, 10255: commands in pods),
 * Kubernetes' (6443), etcd's (2379, 2380), Consul's (8500: secrets) and cAdvisor (4194). A parameter whose whole
 * value is an internal URL to one of them is an SSRF at paranoia 1 whatever its name
 * (`callback=http://127.0.0.1:2375/containers/json`); quoted in text (`export DOCKER_HOST=...` in a support
 * ticket) it is as any internal URL. Search engines (Elasticsearch 9200, Solr 8983) are left out: applications'
 * settings pages take their addresses.
 */
const MANAGEMENT_PORTS: ReadonlySet<number> = new Set([2375, 2376, 2379, 2380, 4194, 6443, 8500, 10250, 10255]);
/** Schemes that make a web request (what a service port turns into a probe). */
const WEB_SCHEMES: ReadonlySet<string> = new Set(['http', 'https']);

export const ssrfDetector: Detector = {
  category: 'ssrf',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 3) return;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    run(value, context, report);
  },
};

function run(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
  // Most values hold neither a URL nor a lone host: they leave after a search or two, before anything is allocated.
  const colon = value.indexOf(':');
  // the usual URL (`https://example.com/help`) gives nothing, and `10:30` has none: see quick.ts
  const quick = colon !== -1 ? quickUrls(value, colon) : NO_URL;
  if (quick === HARMLESS) return;
  const urls = quick === UNSURE && mayHaveUrl(value, colon) ? findUrls(value) : undefined;
  if (urls === undefined || urls.length === 0) {
    bare(value, colon, context, report);
    return;
  }
  const best = new BestPerRule(context.paranoia);
  const keep = (v: Verdict): void => best.keep(v);
  const hints = nameHints(context.name);
  const browserHeader = context.source === 'header' && hints.browser;
  // (`text` also for what was base64 inside another value: a token's claims, `iss: http://localhost:8080/realms/x`)
  const where: Where = { urlish: !context.isName && hints.url, text: context.isName || hints.text || context.layers.includes('base64'), redirect: hints.redirect, browserHeader, header: context.source === 'header' };

  const seen = new Map<string, HostFacts | null>(); // hosts repeat in long values: classify each once
  for (const url of urls) {
    const danger = DANGEROUS.get(url.scheme);
    if (danger !== undefined && dangerousShape(url)) {
      keep({ rule: 'ssrf-dangerous-scheme', paranoia: browserHeader ? 3 : danger, score: SCORE.critical,
        message: `${url.scheme}: URL`, start: url.start, end: url.end });
    }
    if (url.escaped && !browserHeader) {
      keep({ rule: 'ssrf-parser-confusion', paranoia: 2, score: SCORE.critical, message: 'host written with backslashes', start: url.start, end: url.end });
    }
    if (url.confusing && !browserHeader) {
      keep({ rule: 'ssrf-parser-confusion', paranoia: 2, score: SCORE.critical, message: 'encoded separator in the userinfo: parsers disagree on the host', start: url.start, end: url.end });
    }
    for (const host of url.hosts) {
      let facts = seen.get(host);
      if (facts === undefined) { facts = classifyHost(host); if (seen.size < 1024) seen.set(host, facts); }
      if (facts === null) continue;
      judge(facts, url, where, value.length, keep);
    }
  }
  best.flush(report, 'ssrf', value);
}

/**
 * A host without a scheme, in a parameter that holds one: `localhost/admin`, `169.254.169.254/latest`, `//10.0.0.1/`.
 * Only for values in which no URL was found.
 */
function bare(value: string, colon: number, context: DetectorContext, report: (finding: Finding) => void): void {
  if (context.isName) return;
  const c0 = value.charCodeAt(0);
  // A value that starts like an address is looked at whatever its name; another (`localhost`, `ip6-...`, a first
  // token with a dot or colon) only when the name says it holds a URL or host, or is where a browser goes next.
  if (isDigit(c0)) {
    if (allDigits(value)) return; // a number: no HOST_MARK in it, so no host
  } else if (!(c0 === 91 || c0 === 47)) {
    if (!(c0 === 108 || c0 === 76 || c0 === 105 || firstTokenDotOrColon(value, colon))) return;
    const hints = nameHints(context.name);
    if (!hints.url && !hints.redirect) return;
  }
  const host = bareHost(value);
  if (host === null) return;
  const facts = classifyHost(host.host);
  if (facts === null || !(facts.kind === 'metadata' || isInternal(facts.kind))) return;
  const hints = nameHints(context.name);
  const urlish = hints.url;
  const redirect = hints.redirect;
  const withPath = host.more;
  let verdict: Verdict | undefined;
  if (facts.kind === 'metadata' && (withPath || urlish) && facts.literal) {
    verdict = { rule: 'ssrf-cloud-metadata', paranoia: 1, score: SCORE.critical, message: `cloud metadata address ${facts.address}`, start: host.start, end: host.end };
  } else if (facts.kind === 'metadata' || ((urlish || redirect) && !(redirect && facts.kind === 'loopback') && context.source !== 'header')) {
    // a bare internal name (`db.internal:5432`) is a configuration value as often as a target
    const named = !facts.literal && facts.kind === 'internal-name';
    const level: Paranoia = (withPath || facts.dns || facts.unusual) && !named && context.source !== 'header' ? 1 : 2;
    verdict = { rule: 'ssrf-internal-address', paranoia: level, score: SCORE.critical,
      message: `${facts.kind} host ${facts.address} in ${context.name || 'a value'}`, start: host.start, end: host.end };
  } else if (facts.unusual && facts.literal && withPath) {
    verdict = { rule: 'ssrf-internal-address', paranoia: 2, score: SCORE.warning, message: `${facts.kind} address ${facts.address} in unusual notation`, start: host.start, end: host.end };
  }
  if (verdict === undefined) return;
  const best = new BestPerRule(context.paranoia);
  best.keep(verdict);
  best.flush(report, 'ssrf', value);
}

interface Where {
  readonly urlish: boolean;
  /** The name is one of free text (TEXT_NAMES). */
  readonly text: boolean;
  readonly redirect: boolean;
  readonly browserHeader: boolean;
  readonly header: boolean;
}

function judge(facts: HostFacts, url: FoundUrl, where: Where, valueLength: number, keep: (v: Verdict) => void): void {
  const span = { start: url.start, end: url.end };
  if (facts.kind === 'metadata') {
    keep({ rule: 'ssrf-cloud-metadata', paranoia: 1, score: SCORE.critical, message: `cloud metadata endpoint ${facts.address}`, ...span });
    return;
  }
  // (credentials before the host are the `@` trick only in a web URL: a database URL carries them by design,
  // `postgres://app:pw@db.internal:5432/app`)
  const crafted = facts.unusual || facts.dns || (url.userinfo && WEB_SCHEMES.has(url.scheme)) || url.escaped || url.opaque || url.confusing;
  if (isInternal(facts.kind)) {
    const probe = url.port >= 0 && WEB_SCHEMES.has(url.scheme) &&
      (SERVICE_PORTS.has(url.port) || (MANAGEMENT_PORTS.has(url.port) && url.start === 0 && url.end >= valueLength));
    let level: Paranoia;
    if (where.browserHeader) level = 3;
    else if (where.header) level = crafted || probe ? 1 : 2;
    // Where a browser goes next (OAuth loopback redirects; an intranet application's own address in its returnUrl):
    // the browser fetches it, not the server. Crafted notations, service ports and metadata addresses stay at
    // paranoia 1.
    else if (where.redirect && (facts.kind === 'loopback' || facts.kind === 'private') && !crafted && !probe) level = 2;
    // (an internal name, `kubernetes.default.svc`, `postgres.prod.svc`, is how a platform's own settings name its
    // services: in a URL field it counts from paranoia 2, unless crafted or a probe)
    else if (crafted || probe || (where.urlish && facts.kind !== 'internal-name')) level = 1;
    // the whole value a URL to an internal address, with a port or a path (`http://10.0.0.5:8080/manager/html`,
    // `http://127.0.0.1/admin`): a target, whatever the parameter is called; quoted in text, a bare address
    // (`http://192.168.0.1`, a router's page named in a question) or a database URL (`postgres://...`) it stays at 2
    else if (url.start === 0 && url.end >= valueLength && (facts.literal || facts.kind === 'loopback') && !where.redirect && !where.text &&
      (WEB_SCHEMES.has(url.scheme) || DANGEROUS.has(url.scheme)) &&
      (url.port >= 0 || (url.rest.length > 1 && url.rest.charCodeAt(0) === 47))) level = 1;
    else level = 2;
    const how = facts.unusual ? ' (unusual notation)' : facts.dns ? ' (DNS name carrying the address)' : url.userinfo ? ' (behind an @)' :
      probe ? ` (port ${url.port}, ${SERVICE_PORTS.has(url.port) ? 'a service that speaks no HTTP' : 'a management API'})` : '';
    keep({ rule: 'ssrf-internal-address', paranoia: level, score: SCORE.critical, message: `URL to ${facts.kind} address ${facts.address}${how}`, ...span });
    return;
  }
  if (facts.literal && facts.unusual && !where.browserHeader) {
    keep({ rule: 'ssrf-ip-obfuscation', paranoia: 2, score: SCORE.critical, message: `IP address in unusual notation (${facts.address})`, ...span });
  } else if (facts.kind === 'shared' || facts.kind === 'reserved') {
    keep({ rule: 'ssrf-internal-address', paranoia: where.urlish ? 2 : 3, score: SCORE.warning, message: `URL to ${facts.kind} address ${facts.address}`, ...span });
  } else if (facts.literal && !where.header) {
    const v6 = facts.address === 'ipv6';
    keep({ rule: 'ssrf-ip-literal', paranoia: v6 ? 2 : 3, score: v6 ? SCORE.critical : SCORE.notice, message: `URL to the IP address ${v6 ? 'in IPv6 notation' : facts.address}`, ...span });
  }
}

/** `gopher://x`, `dict://x`, `jar:http:...`, `netdoc:/etc/passwd`: the scheme used as a URL, not a word in prose. */
function dangerousShape(url: FoundUrl): boolean {
  if (!url.opaque) return true;
  const rest = url.rest;
  if (url.scheme === 'jar') return /^[a-z]{2,8}:/i.test(rest) || url.hosts.length > 0;
  if (url.scheme === 'netdoc' || url.scheme === 'local_file') return rest.startsWith('/') || url.hosts.length > 0;
  return false;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether a value of up to 32 characters is only digits (longer ones are not read: false). */
function allDigits(v: string): boolean {
  if (v.length > 32) return false;
  for (let k = 0; k < v.length; k++) if (!isDigit(v.charCodeAt(k))) return false;
  return true;
}

/**
 * The first token (up to a space, tab or LF) has a dot or colon in its first 256 characters: a host could be there.
 * `colon` is the index of the first `:` (or -1). Searches find the first `.` or `:`, then the characters before it
 * are read, up to the first blank.
 */
function firstTokenDotOrColon(value: string, colon: number): boolean {
  const dot = value.indexOf('.');
  const first = dot === -1 ? colon : colon === -1 ? dot : Math.min(dot, colon);
  if (first === -1 || first >= 256) return false;
  for (let k = 0; k < first; k++) {
    const c = value.charCodeAt(k);
    if (c === 32 || c === 9 || c === 10) return false;
  }
  return true;
}

/** The ASCII letters `word` (lower case) end at `end` in `v`, in any case. */
function endsWithWord(v: string, end: number, word: string): boolean {
  if (end < word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((v.charCodeAt(end - word.length + k) | 32) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * `://`, or an opaque URL form a fetcher accepts (`http:127.0.0.1`, `jar:`, `netdoc:`): `http:`, `https:`, `jar:`,
 * `netdoc:` or `ftp:` in any case in the first 4096 characters. Read at each `:` (the first is at `colon`) rather
 * than in a lower-case copy: only ASCII letters lower-case to the letters of these words.
 */
function mayHaveUrl(value: string, colon: number): boolean {
  if (value.indexOf('://', colon) !== -1 || value.indexOf(':\\', colon) !== -1) return true;
  for (let p = colon; p !== -1 && p < 4096; p = value.indexOf(':', p + 1)) {
    if (endsWithWord(value, p, 'http') || endsWithWord(value, p, 'https') || endsWithWord(value, p, 'jar') ||
      endsWithWord(value, p, 'netdoc') || endsWithWord(value, p, 'ftp')) return true;
  }
  return false;
}

/** What a parameter name says (see URL_HINTS, REDIRECT_HINTS); `browser`: it is `Referer` or `Origin`. */
interface NameHints {
  readonly url: boolean;
  readonly redirect: boolean;
  readonly browser: boolean;
  readonly text: boolean;
}
const NO_HINTS: NameHints = { url: false, redirect: false, browser: false, text: false };
const HINT_MEMO = new Map<string, NameHints>();

/** The hints of a parameter name, memoised by the name as written (names repeat across requests). */
function nameHints(raw: string): NameHints {
  if (raw === '') return NO_HINTS;
  const known = HINT_MEMO.get(raw);
  if (known !== undefined) return known;
  const name = raw.toLowerCase();
  // (a `callback_url` is where a server posts a webhook or a notification: a fetch, not a redirect, but OAuth's)
  const redirect = matchesHint(name, REDIRECT_HINTS) && (!name.includes('callback') || name.includes('oauth'));
  const hints: NameHints = { url: matchesHint(name, URL_HINTS), redirect, browser: name === 'referer' || name === 'origin', text: TEXT_NAMES.has(name) };
  if (HINT_MEMO.size >= 4096) HINT_MEMO.clear();
  HINT_MEMO.set(raw, hints);
  return hints;
}

/** Whether a (lower-case) parameter name matches one of the hints. */
function matchesHint(name: string, hints: readonly string[]): boolean {
  if (name === '' || name.length > 128) return false;
  return matchesHintUncached(name, hints);
}

function matchesHintUncached(name: string, hints: readonly string[]): boolean {
  for (const h of hints) {
    if (name === h) return true;
    if (h.length >= 3 && name.includes(h)) return true;
    if (name.endsWith('_' + h) || name.startsWith(h + '_') || name.endsWith('-' + h)) return true;
  }
  return false;
}

/**
 * What a host that passes the single-label test of bareHost needs in the value: a `.` or `:` (also an ideographic
 * full stop, which cleanHost reads as `.`), or `localhost`, `ip6-`, `ipv6-` in any case (only ASCII letters
 * lower-case to the letters of these words).
 */
const HOST_MARK = /[.:\u3002\uff0e\uff61]|localhost|ipv?6-/i;

/** The host a scheme-less value starts with, when the value is one token that looks like `host[:port][/path]`. */
function bareHost(value: string): { host: string; more: boolean; start: number; end: number } | null {
  if (!HOST_MARK.test(value)) return null; // `2024`, `SKU-1000`: no host in it
  const trimmed = value.trim();
  if (trimmed.length > 2048 || trimmed === '') return null;
  for (let k = 0; k < trimmed.length; k++) {
    const c = trimmed.charCodeAt(k);
    if (c === 32 || c === 9 || c === 10 || c === 13) return null;
  }
  const offset = value.indexOf(trimmed);
  let s = 0;
  while (s < trimmed.length && (trimmed.charCodeAt(s) === 47 || trimmed.charCodeAt(s) === 92) && s < 2) s++;
  let e = s;
  if (trimmed.charCodeAt(s) === 91) { // [v6]
    const close = trimmed.indexOf(']', s);
    if (close < 0) return null;
    e = close + 1;
  }
  while (e < trimmed.length) {
    const c = trimmed.charCodeAt(e);
    if (c === 47 || c === 92 || c === 63 || c === 35) break;
    e++;
  }
  const raw = trimmed.slice(s, e);
  const host = cleanHost(raw);
  if (host === '') return null;
  // bare single-label names other than the localhost family are ordinary words (`metadata`, `kubernetes`)
  if (!host.includes('.') && !host.includes(':') && !host.startsWith('localhost') && !host.startsWith('ip6-') && !host.startsWith('ipv6-')) return null;
  // numbers are not hosts unless written as a full dotted quad or in hex (`1.5`, `2024` are values)
  if (/^[\d.]+$/.test(host) && host.split('.').length !== 4) return null;
  const hasPort = !raw.startsWith('[') && raw.includes(':') && raw.indexOf(':') === raw.lastIndexOf(':');
  const more = e < trimmed.length || hasPort || raw.includes(']:') || s > 0;
  return { host, more, start: offset + s, end: offset + trimmed.length };
}
