/**
 * Path traversal and local file inclusion.
 *
 * The value is cut into path tokens; each token is read as a path with either separator (`/` or `\`), repeated
 * separators and `.` segments ignored, and these facts decide:
 * - segments that climb (`..`, and the evasive forms `..;`, `...`, `....`, `.. ` that some servers and filters
 *   treat as `..`): two or more, or one that reaches a sensitive file, is traversal;
 * - the file the path resolves to: system files, keys and secrets, VCS metadata and server configuration
 *   (see paths.ts), absolute (`/etc/passwd`, `C:\Windows\win.ini`) or relative to anywhere (`.git/config`);
 * - `file:` URLs, Windows UNC paths to administrative shares or the local machine, and wildcard paths that can
 *   only mean a sensitive file (`/etc/pa??wd`).
 * A single `../` in a relative link (`../images/a.png`) is common in real parameters: paranoia 2 only.
 */

import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { endsInRestrictedExtension, ETC_STRONG, pathShape, pathTokens, sensitiveNormal, type PathToken, type Sensitive } from './paths.ts';
import { globPath } from '../cmdi/glob.ts';
import { BestPerRule, type RuleVerdict } from '../best-per-rule.ts';
import { hasGlobToken, lfiMayFire } from './rule-out.ts';

type Verdict = RuleVerdict;

/** Parameter names that hold a file name or path: one climbing segment there is an attack. */
const FILE_NAMES = ['file', 'path', 'dir', 'folder', 'doc', 'page', 'include', 'inc', 'template', 'tpl', 'load',
  'read', 'download', 'filename', 'name', 'src', 'lang', 'locale', 'view', 'layout', 'module', 'conf', 'log', 'img',
  'image', 'attachment', 'resource', 'document', 'root', 'style', 'theme', 'skin', 'show', 'content', 'cat'];

/** Static assets a relative link may climb to (`../../img/logo.png`). */
const STATIC_EXT = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'css', 'js', 'mjs', 'woff', 'woff2',
  'ttf', 'eot', 'map', 'html', 'htm', 'md', 'mp4', 'mp3', 'webm', 'avif', 'pdf']);

/** Canonical sensitive files, for wildcard paths. */
const GLOB_TARGETS = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/hosts', '/etc/issue', '/etc/master.passwd',
  '/etc/sudoers', '/proc/self/environ', '/proc/self/cmdline', '/root/.ssh/id_rsa', '/root/.bash_history',
  '/windows/win.ini', '/boot.ini'];

export const lfiDetector: Detector = {
  category: 'lfi',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 2) return;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    run(value, context, report);
  },
};

function run(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
  const copy = context.source === 'path' ? editorCopyAt(value) : -1;
  const exposed = context.source === 'path' ? exposedEndpoint(value) : undefined;
  if (exposed !== undefined) {
    report({ ruleId: 'lfi-restricted-file', category: 'lfi', paranoia: 1, score: SCORE.critical, message: `request for ${exposed}, which hands out secrets`, matched: value.slice(-80) });
    return;
  }
  // what every other verdict needs (see rule-out.ts): most values leave here, after a few native searches (a URL
  // path that ends in a backup or secret extension goes on: rule-out.ts does not look for all of them)
  if (copy < 0 && !lfiMayFire(value) && !(context.source === 'path' && endsInRestrictedExtension(value))) return;
  // cheap gate: every rule needs a separator, a dot or a colon
  if (!hasAny(value)) return;
  // created with the first verdict: most values that pass the gate give none
  let best: BestPerRule | undefined;
  const keep = (v: Verdict): void => (best ??= new BestPerRule(context.paranoia)).keep(v);
  if (copy >= 0) {
    keep({ rule: 'lfi-restricted-file', paranoia: 1, score: SCORE.critical,
      message: `request for the editor's backup copy ${value.slice(copy)}`, start: copy, end: value.length });
  }

  examine(value, context, keep);
  // path characters written as 0xHH (`0x2e0x2e0x2f`): a filter evasion of its own (HEX_PATH: what hexPathChars
  // replaces, so the value changes exactly when it matches)
  if (HEX_PATH.test(value)) examine(hexPathChars(value), context, keep);

  best?.flush(report, 'lfi', value);
}

/**
 * Endpoints that hand out secrets to whoever asks and that no page links to: Spring Boot's heap dump, environment
 * and Jolokia (`/actuator/heapdump`: passwords in memory), Apache's `server-status` and `server-info` (every URL
 * being served, session ids in them), `phpinfo.php` (the environment), and the SFTP settings editors keep in a
 * project (`.vscode/sftp.json`, Sublime's `sftp-config.json`: a server password), ASP.NET's error and trace logs
 * (`elmah.axd`, `trace.axd`: requests with their cookies), Symfony's profiler (`_profiler/phpinfo`) and PHPUnit's
 * `eval-stdin.php` (runs the request body as PHP wherever a vendor folder is served, CVE-2017-9841). By the path's
 * last one or two segments, lower case; what it is, or undefined.
 */
function exposedEndpoint(path: string): string | undefined {
  const end = path.endsWith('/') ? path.length - 1 : path.length;
  const slash = path.lastIndexOf('/', end - 1);
  if (slash < 0 || end - slash > 24) return undefined;
  const last = path.slice(slash + 1, end).toLowerCase();
  const what = EXPOSED_LAST.get(last);
  // (`server-status`, `heapdump` and `jolokia` at the root only, where their servers put them: an application may
  // name a page of its own so)
  if (what !== undefined && (slash === 0 || ANY_DEPTH.has(last))) return what;
  if (!ACTUATOR_SECRETS.has(last) && !PARENT_NAMED.has(last)) return undefined; // (no parent to look at for most paths)
  const prev = path.lastIndexOf('/', slash - 1);
  const parent = prev < 0 ? '' : path.slice(prev + 1, slash).toLowerCase();
  if (parent === 'actuator' && ACTUATOR_SECRETS.has(last)) return `Spring Boot's /actuator/${last}`;
  if (parent === '.vscode' && last === 'sftp.json') return 'an editor\'s SFTP settings';
  if (parent === '_profiler' && last === 'phpinfo') return "Symfony's profiler phpinfo()";
  // Spring Cloud Gateway's route API (CVE-2022-22947: a route with a SpEL filter), Go's profiler, Laravel Telescope's
  // request log, F5 BIG-IP's iControl REST shell (CVE-2022-1388), Laravel's own log
  if (last === 'routes' && parent === 'gateway' && path.toLowerCase().includes('/actuator/gateway/')) return "Spring Cloud Gateway's actuator routes";
  if (last === 'pprof' && parent === 'debug') return "Go's net/http/pprof profiler";
  if (last === 'requests' && parent === 'telescope') return "Laravel Telescope's request log";
  if (last === 'bash' && parent === 'util' && path.toLowerCase().includes('/mgmt/tm/util/')) return "F5 BIG-IP's iControl REST bash";
  if (last === 'laravel.log' && parent === 'logs') return "Laravel's log";
  return undefined;
}
/** Last segments whose parent tells what they are (see exposedEndpoint). */
const PARENT_NAMED: ReadonlySet<string> = new Set(['sftp.json', 'phpinfo', 'routes', 'pprof', 'requests', 'bash', 'laravel.log']);
const EXPOSED_LAST: ReadonlyMap<string, string> = new Map([
  ['server-status', "Apache's server-status"], ['server-info', "Apache's server-info"], ['phpinfo.php', 'phpinfo()'],
  ['sftp-config.json', "an editor's SFTP settings"], ['heapdump', 'a JVM heap dump'], ['jolokia', 'Jolokia (JMX over HTTP)'],
  ['elmah.axd', "ASP.NET's ELMAH error log"], ['trace.axd', "ASP.NET's request trace"], ['eval-stdin.php', "PHPUnit's eval-stdin.php"],
  // at the root of a site, what a deployment leaves there by mistake: compose files and cloud credentials (passwords
  // and keys), archives of the whole site
  ['docker-compose.yml', 'a Docker Compose file'], ['docker-compose.yaml', 'a Docker Compose file'],
  ['credentials.json', 'a cloud credentials file'], ['service-account.json', 'a cloud service account key'],
  ['backup.zip', 'a backup archive of the site'], ['backup.tar.gz', 'a backup archive of the site'],
  ['site.tar.gz', 'a backup archive of the site'], ['site.zip', 'a backup archive of the site'],
  ['www.zip', 'a backup archive of the site'], ['www.tar.gz', 'a backup archive of the site'],
  ['jmx-console', "JBoss's JMX console"], ['web-console', "JBoss's web console"],
]);
/** Of EXPOSED_LAST, those found at any depth (a site's subfolder, a `vendor/` folder), not at the root only. */
const ANY_DEPTH: ReadonlySet<string> = new Set(['phpinfo.php', 'sftp-config.json', 'elmah.axd', 'trace.axd', 'eval-stdin.php']);
const ACTUATOR_SECRETS: ReadonlySet<string> = new Set(['env', 'heapdump', 'threaddump', 'configprops', 'jolokia', 'logfile', 'gateway', 'shutdown']);

/**
 * Where the last segment of a URL path starts when it is a file name with `~` after its extension (`index.php~`,
 * `config.jsp~`): the copy Emacs, gedit and vim (with `backup`) leave beside what they save, which a server hands
 * out as text, source and secrets included; -1 otherwise (`/~user/` and `/a/b~c` are no such name).
 */
function editorCopyAt(path: string): number {
  const n = path.length;
  if (n < 4 || path.charCodeAt(n - 1) !== 0x7e) return -1;
  let i = n - 2;
  while (i >= 0 && isAsciiAlnum(path.charCodeAt(i))) i--;
  if (i < 1 || i === n - 2 || path.charCodeAt(i) !== 0x2e || n - 2 - i > 8) return -1;
  const start = path.lastIndexOf('/', i) + 1;
  return i >= start ? start : -1;
}

/** The length of a `classpath:` or `classpath*:` prefix (any case) at the start of `t`, or 0. */
function classpathPrefix(t: string): number {
  const low = t.slice(0, 11).toLowerCase();
  return low.startsWith('classpath:') ? 10 : low.startsWith('classpath*:') ? 11 : 0;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 32) >= 0x61 && (c | 32) <= 0x7a);
}

/** The value was percent-decoded twice or more to get here (see decode/variants.ts). */
function doublyEncoded(layers: readonly string[]): boolean {
  return layers.indexOf('url') !== layers.lastIndexOf('url');
}

function examine(value: string, context: DetectorContext, keep: (v: Verdict) => void): void {
  const trimmed = value.trim();
  const fileParam = isFileParam(context.name);
  const tokens = pathTokens(value);
  /** Whether the value has few words (hasFewWords), once it is needed: the same for every token. */
  let fewWords: boolean | undefined;
  for (const token of tokens) {
    // Spring's resource prefix (`classpath:../../application.yml`): what follows is a path the application resolves
    const cp = token.text.length > 12 && (token.text.charCodeAt(0) | 32) === 99 ? classpathPrefix(token.text) : 0;
    const t = cp > 0 ? token.text.slice(cp) : token.text;
    if (t.length < 2) continue;
    // Most tokens of ordinary text (`10:30`, `https://example.com/help`) can give nothing: see MAY_MATTER.
    if (!MAY_MATTER.test(t)) continue;
    const low = t.toLowerCase();

    // file: URLs, also wrapped (`url:file:`, `jar:file:`)
    const fileAt = low.startsWith('file:') ? 0 : low.indexOf(':file:') >= 0 ? low.indexOf(':file:') + 1 : -1;
    if (fileAt >= 0 && t.length > fileAt + 5) {
      const rest = t.slice(fileAt + 5);
      if (rest.charCodeAt(0) === 47 || rest.charCodeAt(0) === 92 || /^[a-z]:/i.test(rest)) {
        keep({ rule: 'lfi-file-url', paranoia: 1, score: SCORE.critical, message: 'file: URL', start: token.start, end: token.end });
        continue;
      }
    }

    // UNC paths: \\host\share\...
    if (t.startsWith('\\\\') || (t.startsWith('//') && context.source !== 'path' && t.length > 3 && !t.startsWith('///') && looksUncShare(t))) {
      const unc = uncVerdict(t, token, t.length >= trimmed.length - 2);
      if (unc !== null) keep(unc);
    }

    const separators = hasSeparator(t);
    const alone = t.length >= trimmed.length - 2; // the token is the whole value
    if (!separators && !low.startsWith('.') && !isBareSensitive(low) && !(alone && low.includes('.'))) continue;
    const shape = pathShape(t);
    const sensitive = sensitiveNormal(shape.normal) ?? (shape.climbs > 0 ? sensitiveNormal(shape.tail) : null) ??
      (context.source === 'path' ? sensitiveInside(shape.normal) : null);

    // Dots alone (`...` in text, `..`) climb nowhere without a separator, unless the parameter names a file.
    if (shape.climbs > 0 && !separators && (!fileParam || shape.odd)) continue; // (`...` alone is no path even there)
    if (shape.climbs > 0) {
      const asset = staticAsset(shape.normal);
      if (sensitive !== null) {
        keep({ rule: 'lfi-traversal', paranoia: 1, score: SCORE.critical,
          message: `path traversal to ${sensitive.name}`, start: token.start, end: token.end });
      } else if (shape.climbs >= 2 && !asset && !proseAround(t, trimmed, fewWords ??= hasFewWords(value))) {
        keep({ rule: 'lfi-traversal', paranoia: 1, score: SCORE.critical,
          message: `path traversal (${shape.climbs} levels up)`, start: token.start, end: token.end });
      } else if (shape.odd && (shape.leading || shape.climbs >= 2)) {
        keep({ rule: 'lfi-traversal', paranoia: 1, score: SCORE.critical,
          message: 'path traversal with an evasive dot-dot segment', start: token.start, end: token.end });
      } else if (fileParam && shape.leading && !asset && !proseAround(t, trimmed, fewWords ??= hasFewWords(value))) {
        keep({ rule: 'lfi-traversal', paranoia: 1, score: SCORE.critical,
          message: `path traversal in the file parameter ${context.name}`, start: token.start, end: token.end });
      } else if (doublyEncoded(context.layers)) {
        // `%252e%252e%252f`: no client encodes a path twice; a backend (or proxy) that decodes twice climbs
        keep({ rule: 'lfi-traversal', paranoia: 1, score: SCORE.critical,
          message: 'path traversal under two layers of percent-encoding', start: token.start, end: token.end });
      } else if (shape.climbs >= 2) {
        keep({ rule: 'lfi-traversal-relative', paranoia: 2, score: SCORE.warning,
          message: asset ? 'relative path climbing to a static file' : 'relative path climbing, quoted in text',
          start: token.start, end: token.end });
      } else if (shape.trailing && !shape.leading) {
        keep({ rule: 'lfi-traversal-relative', paranoia: 2, score: SCORE.warning,
          message: 'path ending in ..', start: token.start, end: token.end });
      } else {
        keep({ rule: 'lfi-traversal-relative', paranoia: 2, score: asset ? SCORE.notice : SCORE.warning,
          message: 'relative path climbing one level', start: token.start, end: token.end });
      }
      continue;
    }

    if (sensitive !== null) {
      let pathLike: boolean;
      const absolute = t.charCodeAt(0) === 47 || t.charCodeAt(0) === 92 || /^[a-z]:[\\/]/i.test(t) || low.startsWith('~/');
      const where = context.source === 'path' ? 'URL path' : 'value';
      if (t.length >= trimmed.length - 2) pathLike = true;
      else {
        fewWords ??= hasFewWords(value);
        pathLike = fewWords || t.length * 2 >= trimmed.length;
      }
      if (sensitive.strong && (pathLike || context.source === 'path')) {
        keep({ rule: 'lfi-sensitive-file', paranoia: 1, score: SCORE.critical,
          message: `${absolute ? 'absolute path to' : 'path to'} ${sensitive.name} in the ${where}`, start: token.start, end: token.end });
      } else if (sensitive.strong) {
        keep({ rule: 'lfi-sensitive-file', paranoia: 2, score: SCORE.critical,
          message: `mention of ${sensitive.name}`, start: token.start, end: token.end });
      } else if (sensitive.backup === true && context.source === 'path') {
        // as CRS 920440 restricts these extensions in the URL: a scanner's guess at a left-over copy, a dump or a key
        keep({ rule: 'lfi-restricted-file', paranoia: 1, score: SCORE.critical,
          message: `request for the backup, dump or secret file ${sensitive.name}`, start: token.start, end: token.end });
      } else if (absolute && (pathLike || fileParam)) {
        keep({ rule: 'lfi-sensitive-file', paranoia: 2, score: SCORE.critical,
          message: `path to ${sensitive.name}`, start: token.start, end: token.end });
      } else {
        keep({ rule: 'lfi-restricted-file', paranoia: context.source === 'path' ? 2 : 3, score: SCORE.warning,
          message: `restricted file ${sensitive.name}`, start: token.start, end: token.end });
      }
      continue;
    }

  }
  // wildcards standing for a sensitive file: /etc/pa??wd, /e*c/p[a]sswd (`?` ends tokens above: read again)
  if (hasGlobToken(value)) {
    let globs = 16;
    for (const token of pathTokens(value, 1024, true)) {
      const t = token.text;
      if (globs <= 0) break;
      if (t.charCodeAt(0) !== 47 || !(t.includes('*') || t.includes('?') || t.includes('['))) continue;
      globs--;
      const low = t.toLowerCase();
      for (const target of GLOB_TARGETS) {
        if (globPath(low, target)) {
          keep({ rule: 'lfi-sensitive-file', paranoia: 1, score: SCORE.critical,
            message: `wildcard path matching ${target}`, start: token.start, end: token.end });
          break;
        }
      }
    }
  }
}

/**
 * In a URL path, a system directory below the application's own prefix (`/download/etc/passwd`). Under `etc` and
 * `proc` only the files attacks read count there: `/api/etc/settings` and `/api/proc/status` are an API's own words.
 */
function sensitiveInside(normal: string): Sensitive | null {
  const segs = normal.split('/');
  for (let k = 2; k < segs.length - 1; k++) {
    const s = segs[k]!;
    if (s === 'etc' || s === 'proc' || s === 'sys' || s === 'windows' || s === 'winnt' || s === 'root') {
      const next = segs[k + 1]!;
      if (s === 'etc' && !ETC_FILES_INSIDE.has(next)) continue;
      if (s === 'proc' && !(next === 'self' || /^[0-9]{1,7}$/.test(next) || PROC_FILES_INSIDE.has(next))) continue;
      const found = sensitiveNormal('/' + segs.slice(k).join('/'));
      if (found !== null && found.strong) return found;
    }
  }
  return null;
}

/** Files under /etc and /proc that a path below an application's prefix reaches for. */
const ETC_FILES_INSIDE: ReadonlySet<string> = new Set([...ETC_STRONG, 'letsencrypt', 'certs', 'secrets']);
const PROC_FILES_INSIDE: ReadonlySet<string> = new Set(['version', 'cpuinfo', 'meminfo', 'mounts', 'net', 'environ',
  'cmdline', 'sched_debug', 'kallsyms', 'modules', 'partitions', 'stat', 'uptime', 'loadavg', 'kcore', 'config.gz',
  'interrupts', 'ioports', 'iomem', 'devices', 'filesystems', 'swaps', 'vmstat', 'zoneinfo', 'buddyinfo', 'slabinfo',
  'diskstats', 'crypto', 'keys', 'kmsg', 'sysrq-trigger', 'cgroups', 'locks', 'misc', 'vmallocinfo', 'sys', 'bus',
  'driver', 'fs', 'irq', 'tty', 'acpi', 'scsi', 'timer_list', 'pagetypeinfo', 'key-users', 'mdstat', 'dma']);

function uncVerdict(t: string, token: PathToken, alone: boolean): Verdict | null {
  const parts = t.replaceAll('/', '\\').split('\\').filter((p) => p !== '');
  if (parts.length < 2) return null;
  const host = parts[0]!.toLowerCase();
  const share = parts[1]!.toLowerCase();
  const admin = share.length === 2 && share.endsWith('$') || share === 'admin$' || share === 'ipc$' || share === 'c$';
  const local = host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '?' || host === '.' ||
    host.startsWith('127.') || host === '0:0:0:0:0:0:0:1';
  if (admin || local) {
    return { rule: 'lfi-unc-path', paranoia: 1, score: SCORE.critical,
      message: admin ? `UNC path to the administrative share ${share}` : 'UNC path to the local machine', start: token.start, end: token.end };
  }
  // the value a script on another machine's share (`\\\\evil.example\\share\\s.php`): a Windows server includes it over SMB
  const last = parts[parts.length - 1]!.toLowerCase();
  const dot = last.lastIndexOf('.');
  if (alone && parts.length >= 3 && dot > 0 && UNC_SCRIPT_EXT.has(last.slice(dot + 1))) {
    return { rule: 'lfi-unc-path', paranoia: 1, score: SCORE.critical, message: 'UNC path to a script on another machine', start: token.start, end: token.end };
  }
  return { rule: 'lfi-unc-path', paranoia: 2, score: SCORE.warning, message: 'UNC path', start: token.start, end: token.end };
}

/** Extensions of files a Windows server runs or includes from a share. */
const UNC_SCRIPT_EXT: ReadonlySet<string> = new Set(['php', 'phtml', 'inc', 'asp', 'aspx', 'jsp', 'dll', 'exe', 'ps1', 'bat', 'cmd', 'vbs', 'hta', 'scr']);

function looksUncShare(t: string): boolean {
  return t.includes('$');
}

const FILE_PARAM_MEMO = new Map<string, boolean>();

/** Whether a parameter name is one for a file or path (memoised: names repeat across requests). */
function isFileParam(name: string): boolean {
  if (name === '' || name.length > 128) return false;
  const known = FILE_PARAM_MEMO.get(name);
  if (known !== undefined) return known;
  if (FILE_PARAM_MEMO.size > 4096) FILE_PARAM_MEMO.clear();
  const result = isFileParamUncached(name);
  FILE_PARAM_MEMO.set(name, result);
  return result;
}

function isFileParamUncached(name: string): boolean {
  const low = name.toLowerCase();
  for (const hint of FILE_NAMES) {
    if (low === hint || low.endsWith('_' + hint) || low.endsWith('-' + hint) || low.startsWith(hint + '_') ||
      (hint.length >= 4 && low.includes(hint))) return true;
  }
  return false;
}

function staticAsset(normal: string): boolean {
  const dot = normal.lastIndexOf('.');
  if (dot < 0 || dot < normal.lastIndexOf('/')) return false;
  return STATIC_EXT.has(normal.slice(dot + 1));
}

function hasSeparator(t: string): boolean {
  return t.includes('/') || t.includes('\\');
}

/** A single name that is sensitive without any path around it (`.htaccess`, `web.config`, `boot.ini`). */
function isBareSensitive(low: string): boolean {
  return low === 'web.config' || low === 'boot.ini' || low === 'win.ini' || low.startsWith('wp-config') ||
    low.startsWith('id_rsa') || low === 'ntuser.dat' || low === 'applicationhost.config';
}

/**
 * The token is quoted in prose: the value has more than four words (`fewWords`: hasFewWords) and the token is less
 * than half of it. A payload is the value, or most of it, and a file or path parameter holds a path alone; a relative
 * path in a sentence or a code snippet (`import Button from "../../components/Button"`) is no path the application
 * opens.
 */
function proseAround(token: string, trimmed: string, fewWords: boolean): boolean {
  return token.length * 2 < trimmed.length && !fewWords;
}

/**
 * The value has at most four words (three blanks): then a path in it dominates it, as one that is most of the value
 * (`t.length * 2 >= length`) does. Read once per value: counted for each token, a value of many paths was quadratic.
 */
function hasFewWords(value: string): boolean {
  let words = 1;
  for (let k = 0; k < value.length && words <= 6; k++) if (value.charCodeAt(k) === 32) words++;
  return words <= 4;
}

/**
 * Cheap gate: a separator, `..`, a dot-name at a token start (a dot first, or after a blank, a quote or `=`), or,
 * in the first 4096 characters and in any case, one of the bare sensitive names. Native regular expressions rather
 * than a loop over the characters: most values stop here.
 */
function hasAny(v: string): boolean {
  if (v.length <= 4096) return GATE.test(v);
  return GATE_SEPARATORS.test(v) || GATE_NAMES.test(v.slice(0, 4096));
}
/** A separator, or a dot at the start or after a dot, a blank, a quote or `=` (`(?<![^...])`: nothing else before). */
const GATE_SEPARATORS = /[/\\]|(?<![^.\x20"'=\t\n])\./;
/**
 * The names, ASCII case-insensitive, as `toLowerCase().includes` finds them: the only non-ASCII characters that
 * lower-case to ASCII are U+0130 (to `i` and a combining dot, which completes `.ini`) and the Kelvin sign (to `k`,
 * which completes `.bak`); `/i` without `u` never matches them to ASCII letters, so they are listed.
 */
const GATE_NAMES = /config|\.in[i\u0130]|id_rsa|ntuser|0x|\.sql|\.ba[k\u212a]/i;
/** Both of the above in one pass. */
const GATE = /[/\\]|(?<![^.\x20"'=\t\n])\.|config|\.in[i\u0130]|id_rsa|ntuser|0x|\.sql|\.ba[k\u212a]/i;

/**
 * What a path token needs to give any verdict in `examine`; a token without any of these is skipped before it is
 * lower-cased and read. Derived from the rules, not from traffic:
 * - `file:` (file URLs); `\\` or `$` (UNC paths: `\\host\share`, or `//host/c$`); `..` (every climbing segment
 *   starts with two dots);
 * - whatever `sensitiveNormal` (on the path or its tail) and `sensitiveInside` recognise: a dot starting a segment
 *   (after a separator, at the start, or after the `:` of a drive letter: every dot-name, RC and secret directory),
 *   the system roots and their Windows files (`etc`, `proc`, `sys`, `root`, `dev`, `var`, `home`, `tmp`, `win`,
 *   `inetpub`, `documents`, `boot`, `autoexec`, `config`, `ntuser`), the secret directories without a dot
 *   (`web-inf`, `meta-inf`, `_darcs`), a word of every secret name without a leading dot (`id_`, `identity`,
 *   `authorized`, `hosts`, `pagefile`, `hiberfil`, `swapfile`, `unattend`, `sam`, `settings`, `database`,
 *   `secrets`, `master`, `credentials`, and `config`, `boot`, `win`, `sys`, `ntuser` above), and the backup, log
 *   and secret extensions after a dot (paths.ts);
 * - any non-ASCII character: lower-casing can change a token's length (U+0130) and shift the segments
 *   `pathShape` cuts, or turn a character into an ASCII letter (the Kelvin sign), so such tokens are always read.
 * Matched ASCII case-insensitively, as the rules compare lower-cased text.
 */
const MAY_MATTER = /[^\x00-\x7f]|file:|\\\\|\$|\.\.|(?<![^/\\:])\.|etc|proc|sys|root|dev|var|home|tmp|win|inetpub|documents|boot|autoexec|config|ntuser|web-inf|meta-inf|_darcs|id_|identity|authorized|hosts|pagefile|hiberfil|swapfile|unattend|sam|settings|database|secrets|master|credentials|tomcat-users|docker\.sock|logs|\.(?:sql|bak|old|orig|swp|swo|save|backup|bkp|bck|mdb|dump|log|inc|cnf|conf|key|jks|keystore|kdbx|ppk|rdb|accdb|mdf|ldf)/i;

const HEX_PATH = /0[xX](?:2[eEfF]|5[cC])/;

/** `0x2e` → `.`, `0x2f` → `/`, `0x5c` → `\` (other 0xHH left alone). */
function hexPathChars(v: string): string {
  let out = '';
  for (let k = 0; k < v.length; k++) {
    if (v.charCodeAt(k) === 48 && (v.charCodeAt(k + 1) | 32) === 120 && k + 3 < v.length + 0) {
      const h = v.slice(k + 2, k + 4).toLowerCase();
      if (h === '2e') { out += '.'; k += 3; continue; }
      if (h === '2f') { out += '/'; k += 3; continue; }
      if (h === '5c') { out += '\\'; k += 3; continue; }
    }
    out += v[k];
  }
  return out;
}
