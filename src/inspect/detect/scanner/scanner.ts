import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';

/**
 * Security scanners and attack tools.
 *
 * - The User-Agent is split into product tokens (`name/version`, words inside comments); a token whose product
 *   name is a known scanner (`sqlmap/1.7`, `Nikto`, `Nmap Scripting Engine`, `OpenVAS-VT`, `Fuzz Faster U Fool`,
 *   a Nessus/OpenVAS plugin file `*.nasl`) is the finding. Matching is per token, never a substring of a longer
 *   word, so `Zapier` is not ZAP and `ecairn-grabber` is not Grabber.
 * - Request headers that only scanners send (`Acunetix-Product`, WebInspect's `X-WIPP`, ...), by name.
 * - Out-of-band interaction hosts (Burp Collaborator, interactsh, other OAST and DNS-log services) anywhere in
 *   any input: they exist to confirm blind injections.
 * - Command-line HTTP clients and scripting libraries (curl, python-requests, ...) are a paranoia-3 notice.
 */

/** Product tokens matched exactly (lower case, without version). */
const EXACT = new Set([
  'sqlmap', 'nikto', 'nmap', 'masscan', 'zgrab', 'zgrab2', 'nuclei', 'wpscan', 'dirbuster', 'gobuster', 'ffuf',
  'feroxbuster', 'acunetix', 'netsparker', 'appscan', 'w3af', 'arachni', 'openvas', 'havij', 'jaeles', 'xray',
  'commix', 'hydra', 'zap', 'owasp_zap', 'zaproxy', 'nessus', 'wfuzz', 'dirb', 'skipfish', 'whatweb', 'sqlninja',
  'pangolin', 'bsqlbf', 'fimap', 'webinspect', 'paros', 'webshag', 'nsauditor', 'metasploit', 'zmeu', 'jorgee',
  'morfeus', 'brutus', 'burpsuite', 'burp', 'grabber', 'wapiti', 'sqlsus', 'bbqsql', 'dotdotpwn', 'uniscan',
  'golismero', 'xsser', 'tplmap', 'nosqlmap', 'ghauri', 'dalfox', 'joomscan', 'droopescan', 'cmsmap', 'sslyze',
  'testssl', 'l9explore', 'l9tcpid', 'muieblackcat', 'wpscanner',
]);

/** Distinctive names also matched as the start of a token (`OpenVASVT`, `acunetix-wvs-test`, `sqlmap#stable`). */
const PREFIX = [
  'sqlmap', 'nikto', 'acunetix', 'netsparker', 'openvas', 'nessus', 'arachni', 'nuclei', 'wpscan', 'gobuster',
  'feroxbuster', 'dirbuster', 'masscan', 'zgrab', 'jaeles', 'commix', 'skipfish', 'whatweb', 'webinspect',
  'metasploit', 'havij', 'appscan', 'wfuzz', 'burpcollaborator', 'nosqlmap', 'sqlninja', 'w3af', 'xsser',
];

/** Multi-word signatures, matched on the lower-cased UA with collapsed spaces. */
const PHRASES = ['fuzz faster u fool', 'nmap scripting engine', 'morfeus fucking scanner', 'burp suite', 'owasp zap', 'mozilla/5.0 sf/'];

/** Header names only scanners send. */
const SCANNER_HEADERS = new Set([
  'acunetix-product', 'acunetix-scanning-agreement', 'acunetix-user-agreement', 'acunetix-aspect',
  'acunetix-aspect-password', 'acunetix-aspect-queries', 'x-wipp', 'x-scan-memo', 'x-request-memo',
  'x-requestmanager-memo', 'x-wvs-id', 'x-scanner', 'x-nuclei', 'x-burp',
]);

/** Out-of-band interaction (OAST) and DNS-log domains. */
const OAST = [
  'burpcollaborator.net', 'oastify.com', 'interact.sh', 'interactsh.com', 'oast.me', 'oast.pro', 'oast.live',
  'oast.site', 'oast.online', 'oast.fun', 'dnslog.cn', 'dnslog.link', 'ceye.io', 'requestrepo.com',
  'canarytokens.com', 'bxss.me', 'xss.ht', 'eyes.sh',
];

/** Ordinary HTTP clients and scripting libraries: not an attack, a paranoia-3 notice. */
const CLIENTS = new Set([
  'curl', 'wget', 'python-requests', 'python-urllib', 'python-httpx', 'aiohttp', 'go-http-client', 'libwww-perl',
  'lwp-trivial', 'httpie', 'scrapy', 'winhttp', 'powershell', 'windowspowershell',
]);

function isTokenSep(c: number): boolean {
  // space, tab, ( ) ; , [ ] " ' + < > { } |
  return c === 32 || c === 9 || c === 40 || c === 41 || c === 59 || c === 44 || c === 91 || c === 93 || c === 34 ||
    c === 39 || c === 43 || c === 60 || c === 62 || c === 123 || c === 125 || c === 124 || c === 10 || c === 13;
}

function isHostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

function trimPunct(t: string): string {
  let a = 0;
  let b = t.length;
  while (a < b && '-:.!#*=~'.includes(t[a]!)) a++;
  while (b > a && '-:.!#*=~'.includes(t[b - 1]!)) b--;
  return t.slice(a, b);
}

function found(report: (f: Finding) => void, ruleId: string, message: string, matched: string, paranoia: 1 | 2 | 3 = 1, score: number = SCORE.critical): void {
  report({ ruleId, category: 'scanner', paranoia, score, message, matched: matched.slice(0, 120) });
}

/** First three letters of every signature: a cheap filter before a token is looked at closely. */
const KEYS = new Set<string>([...EXACT, ...PREFIX].map((name) => name.slice(0, 3)));

function isPunct(c: number): boolean {
  return c === 45 || c === 58 || c === 46 || c === 33 || c === 35 || c === 42 || c === 61 || c === 126;
}

/** The tool name of the UA token `v[start, end)`, or '' when none. */
function toolOf(v: string, start: number, end: number): string {
  while (start < end && isPunct(v.charCodeAt(start))) start++;
  while (end > start && isPunct(v.charCodeAt(end - 1))) end--;
  if (end - start < 3) return '';
  if (end - start >= 6 && v.slice(end - 5, end).toLowerCase() === '.nasl') return 'nasl';
  if (!KEYS.has(v.slice(start, start + 3).toLowerCase())) return '';
  const t = v.slice(start, Math.min(end, start + 64)).toLowerCase();
  const slash = t.indexOf('/');
  const product = trimPunct(slash >= 0 ? t.slice(0, slash) : t);
  if (EXACT.has(product)) return product;
  for (const p of PREFIX) if (product.startsWith(p)) return p;
  return '';
}

function scanUserAgent(v: string, report: (f: Finding) => void): boolean {
  let collapsed = '';
  let space = false;
  for (let i = 0; i < v.length && collapsed.length < 2048; i++) {
    const c = v.charCodeAt(i);
    if (c === 32 || c === 9) { space = true; continue; }
    if (space && collapsed !== '') collapsed += ' ';
    space = false;
    collapsed += v[i];
  }
  collapsed = collapsed.toLowerCase();
  for (const p of PHRASES) {
    if (collapsed.includes(p)) {
      found(report, 'scanner-user-agent', `security scanner user agent (${p})`, v);
      return true;
    }
  }
  let start = 0;
  let first = -1;
  let firstEnd = -1;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 32;
    if (!isTokenSep(c)) continue;
    if (i > start) {
      if (first < 0) { first = start; firstEnd = i; }
      const tool = toolOf(v, start, i);
      if (tool !== '') {
        found(report, 'scanner-user-agent', `security scanner user agent (${tool})`, v);
        return true;
      }
    }
    start = i + 1;
  }
  if (first >= 0) {
    const t = trimPunct(v.slice(first, Math.min(firstEnd, first + 64)).toLowerCase());
    const slash = t.indexOf('/');
    const product = slash >= 0 ? t.slice(0, slash) : t;
    if (CLIENTS.has(product)) {
      found(report, 'scanner-http-client', `scripted HTTP client (${product})`, v, 3, SCORE.notice);
      return true;
    }
  }
  return false;
}

function scanOast(v: string, report: (f: Finding) => void): boolean {
  const lower = v.toLowerCase();
  for (const domain of OAST) {
    let from = 0;
    for (;;) {
      const at = lower.indexOf(domain, from);
      if (at < 0) break;
      from = at + 1;
      const before = at > 0 ? lower.charCodeAt(at - 1) : 32;
      const end = at + domain.length;
      const after = end < lower.length ? lower.charCodeAt(end) : 32;
      // The domain must be a whole host name suffix: `x.oast.me`, `@oast.me`, not `boast.me` or `oast.members`.
      if (isHostChar(before) || isHostChar(after)) continue;
      if (after === 46 /* . */ && end + 1 < lower.length && isHostChar(lower.charCodeAt(end + 1))) continue;
      found(report, 'scanner-oast-host', `out-of-band interaction host (${domain})`, v.slice(Math.max(0, at - 60), end + 20));
      return true;
    }
  }
  return false;
}

/** Packs four character codes (each below 128) into one number. */
function quad(a: number, b: number, c: number, d: number): number {
  return ((a * 128 + b) * 128 + c) * 128 + d;
}

/** For every OAST domain: the two letters before its (only) dot and the two after, e.g. `st` `me` of `oast.me`. */
const OAST_QUADS: ReadonlySet<number> = new Set(OAST.map((domain) => {
  const dot = domain.indexOf('.');
  return quad(domain.charCodeAt(dot - 2), domain.charCodeAt(dot - 1), domain.charCodeAt(dot + 1), domain.charCodeAt(dot + 2));
}));

/**
 * Whether the value may hold an OAST domain, looked at around each `.` rather than in a lower-case copy: every domain
 * has one dot, with letters on both sides, and those four letters are compared in any case (`c | 32` is the lower
 * case of an ASCII letter, and only ASCII letters lower-case to these letters; the Kelvin sign lower-cases to `k`,
 * never one of them). False means that scanOast finds nothing.
 */
function mayHaveOast(v: string): boolean {
  for (let p = v.indexOf('.', 2); p !== -1 && p + 2 < v.length; p = v.indexOf('.', p + 1)) {
    const a = v.charCodeAt(p - 2) | 32;
    const b = v.charCodeAt(p - 1) | 32;
    if (a >= 128 || b >= 128 || OAST_BEFORE_DOT[a * 128 + b] === 0) continue; // most dots: no domain ends there
    const c = v.charCodeAt(p + 1) | 32;
    const d = v.charCodeAt(p + 2) | 32;
    if (c < 128 && d < 128 && OAST_QUADS.has(quad(a, b, c, d))) return true;
  }
  return false;
}

/** The two letters before the dot of an OAST domain, at `first * 128 + second`: a table read before the set. */
const OAST_BEFORE_DOT = new Uint8Array(128 * 128);
for (const domain of OAST) {
  const dot = domain.indexOf('.');
  OAST_BEFORE_DOT[domain.charCodeAt(dot - 2) * 128 + domain.charCodeAt(dot - 1)] = 1;
}

export const scannerDetector: Detector = {
  category: 'scanner',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (context.source === 'header') {
      const name = context.name.toLowerCase();
      if (SCANNER_HEADERS.has(name)) {
        found(report, 'scanner-header', `header sent by security scanners (${name})`, `${name}: ${value}`);
      } else if (name === 'user-agent' || name.endsWith('-user-agent') || name === 'x-device-user-agent') {
        scanUserAgent(value, report);
      }
    }
    if (value.length >= 6 && mayHaveOast(value)) scanOast(value, report);
    // Acunetix's own test values (`acunetix_wvs_security_test`), which it writes into every parameter it probes
    if (value.length >= 16 && (value.includes('acunetix') || value.includes('Acunetix') || value.includes('ACUNETIX'))) {
      const low = value.toLowerCase();
      if (low.includes('acunetix_wvs_security_test') || low.includes('acunetix-wvs-test') || low.includes('acunetix_wvs_test')) {
        found(report, 'scanner-probe-value', 'a security scanner\'s test value (Acunetix)', value);
      }
    }
  },
};
