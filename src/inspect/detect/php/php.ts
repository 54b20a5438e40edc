import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { lowerOf } from '../value-lower-case.ts';
import { isFileNameField, lastNameStep } from '../field-name.ts';
import { storedUploadNames } from '../upload-name.ts';

/**
 * PHP code injection, wrappers, object injection and PHP-specific upload/configuration attacks.
 *
 * The value is read with a small PHP token scan (identifiers, `$variables`, strings, comments, brackets):
 * - open tags with code: `<?php echo ...`, `<?= $x ?>`, `<? system(...)`, a bogus `<?xml :echo 1;`; Smarty/BBCode
 *   `{php}`/`[php]` blocks;
 * - calls of dangerous functions: a distinctive PHP name (`shell_exec(`, `base64_decode(`, `call_user_func(`) in
 *   code position or with code-like arguments; an English-looking one (`system`, `exec`, `eval`, `include`, `file`)
 *   only when the call is clearly code (`system('id')`, `eval($x)`, the whole value being the call, comments
 *   between the name and `(`);
 * - variable functions and dynamic calls (`$f(1)`, `$$x()`, `${'a'}()`, `$a['x'](1)`, `$o->$m()`, `(system)('id')`,
 *   `"sys"."tem"(...)`, `[system][0](ls)`), superglobals (`$_GET[`, `$_POST[`...), variable variables (`${'x'}`);
 * - stream wrappers (`php://filter`, `phar://`, `zip://`, `expect://`, `data://`, `compress.zlib://`, ...);
 * - serialized objects (`O:8:"stdClass":1:{...}`), serialized arrays at paranoia 2;
 * - php.ini directives that change security (`allow_url_include=1`, `auto_prepend_file=`), `PHP_VALUE` (FastCGI);
 * - executable PHP extensions and session file names in upload file-name fields.
 * Prose that names functions (`the system is down`, `phpinfo can leak`), e-mail addresses with `php` and XML
 * declarations give nothing.
 */

/** Distinctive PHP function names: a call is PHP code. */
const DISTINCT = new Set([
  'shell_exec', 'proc_open', 'pcntl_exec', 'passthru', 'base64_decode', 'str_rot13', 'gzinflate', 'gzuncompress',
  'gzdecode', 'bzdecompress', 'zlib_decode', 'create_function', 'call_user_func', 'call_user_func_array',
  'file_put_contents', 'file_get_contents', 'move_uploaded_file', 'fsockopen', 'pfsockopen', 'phpinfo',
  'unserialize', 'preg_replace', 'assert_options', 'get_defined_vars', 'get_defined_functions', 'get_defined_constants',
  'ini_set', 'ini_get', 'ini_alter', 'ini_restore', 'set_include_path', 'putenv', 'curl_init', 'curl_exec',
  'curl_multi_exec', 'apache_setenv', 'highlight_file', 'show_source', 'php_uname', 'phpversion', 'fputs', 'fwrite',
  'fopen', 'fread', 'fgets', 'readfile', 'symlink', 'chmod', 'chown', 'chgrp', 'tempnam', 'tmpfile', 'opendir',
  'readdir', 'scandir', 'array_map', 'array_filter', 'array_walk', 'usort', 'uasort', 'uksort',
  'register_shutdown_function', 'register_tick_function', 'ob_start', 'mb_send_mail', 'error_log', 'parse_str',
  'stream_socket_client', 'stream_get_contents', 'hex2bin', 'strrev', 'print_r', 'var_dump', 'var_export',
  'strip_tags', 'get_class_methods', 'func_get_args', 'chroot', 'filegroup', 'fileowner', 'fileperms', 'file_exists',
  'is_writable', 'is_readable', 'gethostbyname', 'mysql_query', 'mysqli_query', 'pg_query', 'popen', 'escapeshellcmd',
  'escapeshellarg', 'proc_nice', 'proc_terminate', 'proc_get_status', 'posix_getpwuid', 'posix_getuid', 'posix_geteuid',
  'posix_getegid', 'posix_kill', 'posix_setuid', 'posix_mkfifo', 'posix_uname', 'getmypid', 'getmyuid', 'get_current_user',
  'disk_free_space', 'imap_open', 'mb_ereg_replace', 'preg_replace_callback', 'array_reduce', 'iterator_apply',
  'forward_static_call', 'is_array', 'gzopen', 'gzfile', 'bzopen', 'pcntl_fork',
]);
/** Names that are also English words or common elsewhere: a call counts only when it is clearly code. */
const AMBIGUOUS = new Set([
  'system', 'exec', 'eval', 'assert', 'include', 'require', 'include_once', 'require_once', 'file', 'unlink',
  'mkdir', 'rmdir', 'serialize', 'intval', 'checkdate', 'popen', 'fopen', 'chroot', 'symlink', 'filegroup', 'chr',
  'crypt', 'unpack', 'substr', 'printf', 'sprintf',
]);
/** (length, first and last character lower-cased as ASCII) of a word (characters up to 0xff), packed. */
function nameKey(len: number, first: number, last: number): number {
  const f = first >= 65 && first <= 90 ? first + 32 : first;
  const l = last >= 65 && last <= 90 ? last + 32 : last;
  return len * 65536 + f * 256 + l;
}
/** `nameKey`s of the names of DISTINCT and AMBIGUOUS. */
const CALL_NAME_KEYS = new Set<number>();
for (const w of [...DISTINCT, ...AMBIGUOUS]) CALL_NAME_KEYS.add(nameKey(w.length, w.charCodeAt(0), w.charCodeAt(w.length - 1)));
/** Function names whose dynamic call (`(system)(...)`, `"sys"."tem"`) is the attack. */
const EXEC_NAMES = new Set([
  'system', 'exec', 'passthru', 'shell_exec', 'popen', 'proc_open', 'pcntl_exec', 'eval', 'assert', 'phpinfo',
  'create_function', 'call_user_func', 'call_user_func_array', 'base64_decode', 'file_put_contents',
  'file_get_contents', 'include', 'require', 'readfile', 'unserialize', 'preg_replace', 'array_map', 'fwrite',
  'fopen', 'fsockopen', 'putenv', 'ini_set', 'mail', 'unlink', 'str_rot13', 'gzinflate',
]);
/** Prefixes of PHP's function families: a call of such a name is PHP at paranoia 2. */
const FAMILY_PREFIXES = [
  'array_', 'str_', 'mb_', 'preg_', 'posix_', 'pg_', 'mysql_', 'mysqli_', 'ldap_', 'odbc_', 'curl_', 'gz', 'bz',
  'zlib_', 'ob_', 'ini_', 'session_', 'sodium_', 'openssl_', 'hash_', 'date_', 'xml_', 'json_', 'proc_', 'pcntl_',
  'stream_', 'socket_', 'is_', 'get_', 'set_', 'func_', 'call_', 'file_', 'php_', 'dns_', 'tidy_', 'zend_', 'iconv_',
  'gmp_', 'ctype_', 'ftp_', 'imap_', 'finfo_', 'exif_', 'image', 'apache_', 'fs', 'filter_', 'mcrypt_', 'libxml_',
  'simplexml_', 'dom_', 'class_', 'method_', 'property_', 'spl_', 'iterator_', 'gettext', 'htmlspecial', 'html_',
  'url', 'base64_', 'bin2', 'hex2', 'dechex', 'crc32', 'md5', 'sha1', 'uniqid', 'lcg_', 'mt_', 'rand', 'srand',
];
const SUPERGLOBALS = [
  '$_GET', '$_POST', '$_REQUEST', '$_COOKIE', '$_SERVER', '$_FILES', '$_ENV', '$_SESSION', '$GLOBALS',
  '$HTTP_RAW_POST_DATA', '$HTTP_GET_VARS', '$HTTP_POST_VARS', '$HTTP_COOKIE_VARS', '$HTTP_SERVER_VARS',
  '$HTTP_ENV_VARS', '$HTTP_POST_FILES', '$http_response_header',
];
/** PHP statement keywords that show an open tag is followed by code. */
const STATEMENT_WORDS = new Set([
  'echo', 'print', 'include', 'include_once', 'require', 'require_once', 'eval', 'exit', 'die', 'return', 'if',
  'foreach', 'while', 'for', 'function', 'class', 'namespace', 'use', 'declare', 'goto', 'switch', 'try', 'throw',
  'new', 'global', 'static', 'unset', 'isset', 'list', 'define',
]);
const WRAPPERS = new Set([
  'php', 'phar', 'zip', 'compress.zlib', 'compress.bzip2', 'glob', 'expect', 'data', 'ssh2.shell', 'ssh2.exec',
  'ssh2.tunnel', 'ssh2.sftp', 'ssh2.scp', 'rar', 'ogg', 'zlib', 'bzip2',
]);
const INI_CRITICAL = new Set([
  'allow_url_include', 'allow_url_fopen', 'auto_prepend_file', 'auto_append_file', 'disable_functions',
  'disable_classes', 'open_basedir', 'safe_mode', 'register_globals', 'extension_dir', 'zend_extension',
  'sendmail_path', 'include_path', 'session.save_path', 'session.auto_start', 'user_ini.filename', 'phar.readonly',
  'assert.active', 'output_handler', 'upload_tmp_dir', 'error_log', 'cgi.force_redirect', 'doc_root',
]);
/** Directive namespaces only PHP has: `opcache.jit=...`, `mbstring.func_overload=...`. */
const INI_NAMESPACES = ['opcache.', 'mbstring.', 'pcre.', 'zend.', 'xdebug.', 'assert.', 'highlight.', 'phar.', 'apc.', 'suhosin.'];
/** Directives whose names are specific enough (underscores) to be php.ini at paranoia 1. */
const INI_SPECIFIC = new Set([
  'memory_limit', 'unserialize_max_depth', 'max_execution_time', 'post_max_size', 'display_errors',
  'display_startup_errors', 'log_errors', 'html_errors', 'file_uploads', 'expose_php', 'short_open_tag',
  'upload_max_filesize', 'max_input_vars', 'max_input_time', 'default_charset', 'serialize_precision',
  'variables_order', 'request_order', 'auto_detect_line_endings', 'enable_dl', 'implicit_flush', 'error_reporting',
  'smtp_port', 'default_socket_timeout', 'realpath_cache_size', 'max_file_uploads', 'register_argc_argv',
  'magic_quotes_gpc', 'track_errors', 'xmlrpc_errors', 'mail.add_x_header', 'mail.log', 'session.use_trans_sid',
  'session.upload_progress.enabled', 'session.serialize_handler', 'session.save_handler', 'session.use_cookies',
  'session.use_only_cookies', 'session.cookie_httponly', 'session.referer_check', 'session.name',
  'session.gc_maxlifetime', 'session.entropy_file', 'session.use_strict_mode', 'session.cookie_secure',
]);
/** Plain-word directives: too common as ordinary parameter names to count at paranoia 1. */
const INI_WORDS = new Set(['extension', 'precision', 'smtp', 'engine', 'sendmail_from', 'y2k_compliance', 'asp_tags']);
const UPLOAD_EXTENSIONS = new Set(['php', 'php2', 'php3', 'php4', 'php5', 'php6', 'php7', 'php8', 'pht', 'phtml', 'phar', 'phps', 'phpt', 'pgif', 'phtm', 'inc']);
/**
 * Variable names of JavaScript frameworks (`$t('key')` in Vue, `$emit(...)`, jQuery `$get(`) and JSONata functions
 * (`$lowercase(Name)`): not PHP.
 */
/** A number and a unit word, alone between parentheses (`-7 days`, `1 year`): a query language's, never PHP. */
const QUANTITY_ARGUMENT = /^\s*[-+]?\d{1,9}(?:\.\d{1,9})?\s+[A-Za-z]{1,16}\s*$/;

const JS_DOLLAR_NAMES = new Set([
  '$t', '$tc', '$te', '$d', '$n', '$emit', '$on', '$off', '$once', '$watch', '$set', '$delete', '$nextTick',
  '$forceUpdate', '$mount', '$destroy', '$apply', '$digest', '$broadcast', '$http', '$q', '$timeout', '$interval',
  '$inject', '$compile', '$parse', '$filter', '$log', '$window', '$document', '$location', '$route', '$router',
  '$store', '$refs', '$axios', '$fetch', '$slots', '$attrs', '$props', '$parent', '$root', '$el', '$data',
  '$options', '$i18n', '$ajax', '$post', '$get', '$getJSON', '$each', '$extend', '$when', '$Deferred', '$img',
  '$dispatch', '$nuxt', '$auth', '$toast', '$notify', '$message', '$confirm', '$alert', '$modal', '$dialog',
  // JSONata built-ins (AWS Step Functions and CloudFormation transforms, Node-RED): `$lowercase(Name)`
  '$lowercase', '$uppercase', '$join', '$replace', '$split', '$match', '$string', '$number', '$sum', '$count', '$map',
  '$reduce', '$keys', '$lookup', '$exists', '$substring', '$substringBefore', '$substringAfter', '$trim', '$pad',
  '$contains', '$length', '$now', '$millis', '$fromMillis', '$toMillis', '$formatNumber', '$round', '$abs', '$floor',
  '$ceil', '$sqrt', '$power', '$random', '$boolean', '$not', '$append', '$sort', '$reverse', '$shuffle', '$zip',
  '$merge', '$sift', '$spread', '$type', '$distinct', '$base64encode', '$base64decode', '$encodeUrl',
  '$encodeUrlComponent', '$decodeUrl', '$decodeUrlComponent', '$average', '$max', '$min', '$single', '$parseInteger',
  '$formatBase', '$formatInteger',
]);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x7f && c <= 0xff;
}
function isIdent(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}
function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 20);
  return JSON.stringify(v.slice(s, s + 100)).slice(1, -1).slice(0, 120);
}


/**
 * Characters some rule needs, as bits (see `detect`): `<` (`<?`), `}` `]` (`php}` `php]`), `$`, `:`, `=`, `P`
 * (`PHP_`), `(`, a quote, `.`.
 */
const F_LT = 1;
const F_CLOSE_BRACE = 2;
const F_CLOSE_BRACKET = 4;
const F_DOLLAR = 8;
const F_COLON = 16;
const F_EQUALS = 32;
const F_UPPER_P = 64;
const F_PAREN = 128;
const F_QUOTE = 256;
const F_DOT = 512;
const FLAGS = new Uint16Array(65536);
for (const [ch, flag] of [['<', F_LT], ['}', F_CLOSE_BRACE], [']', F_CLOSE_BRACKET], ['$', F_DOLLAR], [':', F_COLON],
  ['=', F_EQUALS], ['P', F_UPPER_P], ['(', F_PAREN], ["'", F_QUOTE], ['"', F_QUOTE], ['.', F_DOT]] as const) FLAGS[ch.charCodeAt(0)] = flag;
/** The characters of FLAGS but `.` (a regular expression searches a string faster than a loop). */
const FLAG_CHARS = /[<}\]$:=P('"]/;
/** What is known of the characters of a value too long to read them all for FLAGS: nothing. */
const F_ALL = 0xffff;
/** Values shorter than this get their FLAGS from one loop (cheaper than several searches); longer ones F_ALL. */
const SHORT_VALUE = 64;

function charFlags(v: string): number {
  if (v.length >= SHORT_VALUE) return F_ALL;
  let flags = 0;
  for (let i = 0; i < v.length; i++) flags |= FLAGS[v.charCodeAt(i)]!;
  return flags;
}

/** Whether the value holds `text`, whose first character has the FLAGS bit `flag`; `flags`: `charFlags(v)`. */
function holds(v: string, flags: number, flag: number, text: string): boolean {
  if ((flags & flag) === 0) return false;
  return text.length === 1 && flags !== F_ALL ? true : v.includes(text);
}

/** Set by `skipGap`: whether the gap it skipped held a comment / whitespace (no allocation per call). */
let gapComment = false;
let gapSpace = false;

/**
 * The first match of a search in `v` at or after `from` (-1: none), reusing the match found before in the same
 * string when `from` lies between where that search started and the match. Gaps are skipped from every `$` and call,
 * and a search to the end of the value for each made a value of `/*$` (or `#$`) repeated quadratic. (`===` on the
 * string: the same object compares at once.)
 */
class ReusedSearch {
  private searchedIn = '';
  private searchedFrom = -1;
  private found = -1;
  private readonly find: (v: string, from: number) => number;
  constructor(find: (v: string, from: number) => number) {
    this.find = find;
  }
  at(v: string, from: number): number {
    if (!(v === this.searchedIn && this.searchedFrom <= from && (this.found < 0 || from <= this.found))) {
      this.searchedIn = v;
      this.searchedFrom = from;
      this.found = this.find(v, from);
    }
    return this.found;
  }
}

/** The first `*\/` at or after `from`. */
const commentEnds = new ReusedSearch((v, from) => v.indexOf('*/', from));
/** The first CR or LF at or after `from` (a `#` comment before every `$`). */
const lineBreaks = new ReusedSearch((v, from) => {
  let j = from;
  while (j < v.length && v.charCodeAt(j) !== 10 && v.charCodeAt(j) !== 13) j++;
  return j < v.length ? j : -1;
});

/** Skips whitespace and PHP comments (`/* *\/`, `// ...\n`, `# ...\n`); returns the next index. */
function skipGapAt(v: string, i: number): number {
  gapComment = false;
  gapSpace = false;
  const start = i;
  while (i < v.length && i - start < 512) {
    const c = v.charCodeAt(i);
    if (isSpace(c)) { gapSpace = true; i++; continue; }
    if (c === 47 && v.charCodeAt(i + 1) === 42) { // /*
      const end = commentEnds.at(v, i + 2);
      gapComment = true;
      if (end < 0 || end - i > 512) return v.length;
      i = end + 2;
      continue;
    }
    if ((c === 47 && v.charCodeAt(i + 1) === 47) || (c === 35 && v.charCodeAt(i + 1) !== 91)) { // // or # (not #[)
      const j = lineBreaks.at(v, i + 1);
      gapComment = true;
      if (j < 0 || j - i >= 512) return v.length;
      i = j;
      continue;
    }
    break;
  }
  return i;
}

/** `skipGapAt` with its flags, for the few places that need them together. */
function skipGap(v: string, i: number): { at: number; comment: boolean; space: boolean } {
  const at = skipGapAt(v, i);
  return { at, comment: gapComment, space: gapSpace };
}

/**
 * Matching closer of every `(`, `[`, `{` (or -1), and the opener of every closer, computed on first use (most
 * values never need them).
 */
class Brackets {
  private readonly v: string;
  private closeAt: Int32Array | undefined;
  private openAt: Int32Array | undefined;
  constructor(v: string) {
    this.v = v;
  }
  private build(): void {
    const v = this.v;
    const close = new Int32Array(v.length).fill(-1);
    const open = new Int32Array(v.length).fill(-1);
    const p: number[] = [];
    const s: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < v.length; i++) {
      switch (v.charCodeAt(i)) {
        case 40: p.push(i); break;
        case 91: s.push(i); break;
        case 123: b.push(i); break;
        case 41: if (p.length > 0) { const o = p.pop()!; close[o] = i; open[i] = o; } break;
        case 93: if (s.length > 0) { const o = s.pop()!; close[o] = i; open[i] = o; } break;
        case 125: if (b.length > 0) { const o = b.pop()!; close[o] = i; open[i] = o; } break;
      }
    }
    this.closeAt = close;
    this.openAt = open;
  }
  close(i: number): number {
    if (!this.closeAt) this.build();
    return i >= 0 && i < this.v.length ? this.closeAt![i]! : -1;
  }
  open(i: number): number {
    if (!this.openAt) this.build();
    return i >= 0 && i < this.v.length ? this.openAt![i]! : -1;
  }
}

/** Arguments that read as code: empty, numbers, strings, `$vars`, nested calls, constants joined by operators. */
function codeLikeArgs(args: string): boolean {
  const t = args.trim();
  if (t === '') return true;
  const c = t.charCodeAt(0);
  if (c === 36) return isIdentStart(t.charCodeAt(1)) || t.charCodeAt(1) === 36; // $var, $$var (not a JS `${`)
  if (c === 39 || c === 34 || c === 96 || isDigit(c) || c === 64) return true; // ' " ` digit @
  // nested call: ident(
  let j = 0;
  while (j < t.length && isIdent(t.charCodeAt(j))) j++;
  if (j > 0 && j < t.length && t.charCodeAt(j) === 40) return true;
  return false;
}

interface Hit { ruleId: string; paranoia: Paranoia; message: string; at: number }

/** Is position `i` (start of a call name) in code position: after `;`, `(`, `=`, `.`, `@`, `{`, `,`, `!`, `?>`, a quote? */
function codePosition(v: string, i: number, path = false): boolean {
  let b = i - 1;
  while (b >= 0 && i - b < 64 && isSpace(v.charCodeAt(b))) b--;
  if (b < 0) return true;
  const c = v[b]!;
  return ';(=.@{,!|&:[>"\''.includes(c) || c === '?' || (path && c === '/');
}

/** Only spaces (and `@`) before `i`: the call starts the value. */
function atStart(v: string, i: number, path = false): boolean {
  let b = i - 1;
  while (b >= 0 && i - b < 64 && (isSpace(v.charCodeAt(b)) || v.charCodeAt(b) === 64)) b--;
  return b < 0 || (path && v.charCodeAt(b) === 47);
}

/** Only spaces and `;` from `i` to the end: the call ends the value. */
function atEnd(v: string, i: number): boolean {
  let k = i;
  while (k < v.length && k - i < 64 && (isSpace(v.charCodeAt(k)) || v.charCodeAt(k) === 59)) k++;
  return k >= v.length;
}

/** After the call's `)`: end, `;`, `.`, `)`, `,`, `?>`, `]`, `[`, `->`, a quote. */
function codeAfter(v: string, i: number): boolean {
  let k = i;
  while (k < v.length && k - i < 64 && isSpace(v.charCodeAt(k))) k++;
  if (k >= v.length) return true;
  const c = v[k]!;
  return ';.),]?[-|&'.includes(c) || c === '"' || c === "'";
}

const INCLUDES = new Set(['include', 'require', 'include_once', 'require_once']);

/**
 * What PHP's include/require load is a file: a `$variable`, a path, a URL or stream wrapper, a `.php`/`.inc`
 * name. JavaScript's `require('express')` loads a module by name and is not PHP.
 */
function includeTarget(args: string): boolean {
  const t = args.trim();
  if (t.startsWith('$') || t.startsWith('@$')) return true;
  const q = t[0];
  const inner = (q === "'" || q === '"') ? t.slice(1, t.indexOf(q!, 1) > 0 ? t.indexOf(q!, 1) : undefined) : t;
  const lower = inner.toLowerCase();
  if (lower.startsWith('/') || lower.startsWith('\\') || lower.includes('://') || lower.startsWith('data:') || lower.includes('../')) return true;
  for (const ext of ['.php', '.inc', '.phtml', '.phar', '.txt', '.log', '.jpg', '.png', '.gif']) if (lower.endsWith(ext)) return true;
  return false;
}

/** Arguments that start like PHP values: `$var`, a string, a backtick command, a nested call. */
function strongArgs(args: string): boolean {
  const t = args.trimStart();
  const c = t.charCodeAt(0);
  if (c === 36) return isIdentStart(t.charCodeAt(1));
  if (c === 39 || c === 34 || c === 96) return true;
  let j = 0;
  while (j < t.length && j < 64 && isIdent(t.charCodeAt(j))) j++;
  return j > 0 && t.charCodeAt(j) === 40;
}

/**
 * The checks of one word `[i, j)` of `functionCalls` that is followed (after a gap) by `(`: a paranoia-1 hit, a
 * paranoia-2 one (the caller keeps the first), or undefined.
 */
function callAt(v: string, br: Brackets, path: boolean, i: number, j: number): Hit | undefined {
  const name = lowerOf(v).slice(i, j);
  const distinct = DISTINCT.has(name);
  const ambiguous = !distinct && AMBIGUOUS.has(name);
  let family = false;
  if (!distinct && !ambiguous && name.length >= 5 && name.includes('_')) {
    for (const p of FAMILY_PREFIXES) if (name.startsWith(p)) { family = true; break; }
  }
  if (!distinct && !ambiguous && !family) return undefined;
  const gap = skipGap(v, j);
  if (v.charCodeAt(gap.at) !== 40) return undefined;
  const close = br.close(gap.at);
  const args = close >= 0 ? v.slice(gap.at + 1, Math.min(close, gap.at + 257)) : '';
  if (distinct) {
    if (close >= 0 && (codePosition(v, i, path) || gap.comment || (codeLikeArgs(args) && codeAfter(v, close + 1)))) {
      return { ruleId: 'php-function-call', paranoia: 1, message: `call of PHP function ${name}()`, at: i };
    }
    if (close < 0 && atStart(v, i, path) && atEnd(v, gap.at + 1)) {
      // `base64_decode(` alone: a truncated call
      return { ruleId: 'php-function-call', paranoia: 1, message: `call of PHP function ${name}(`, at: i };
    }
  } else if (ambiguous && close >= 0) {
    if (INCLUDES.has(name) && !includeTarget(args)) return undefined;
    const whole = atStart(v, i, path) && (atEnd(v, close + 1) || (path && v.charCodeAt(close + 1) === 47));
    // `chr(112).chr(104)`: calls joined by PHP's `.` operator
    const joined = v.charCodeAt(skipGap(v, close + 1).at) === 46 && codeLikeArgs(args);
    if (gap.comment || whole || (codePosition(v, i, path) && (strongArgs(args) || joined) && codeAfter(v, close + 1))) {
      return { ruleId: 'php-function-call', paranoia: 1, message: `call of PHP function ${name}()`, at: i };
    }
  }
  if ((distinct || (family && !gap.space)) && close >= 0) {
    return { ruleId: 'php-function-call', paranoia: 2, message: `call of PHP function ${name}()`, at: i };
  }
  return undefined;
}

/** Reads every word of the value (see `callsBeforeParens` for the usual, faster way to the same words). */
function functionCalls(v: string, br: Brackets, path: boolean): Hit | undefined {
  let weak: Hit | undefined;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (!isIdentStart(c) || (i > 0 && (isIdent(v.charCodeAt(i - 1)) || v.charCodeAt(i - 1) === 36))) continue;
    let j = i;
    while (j < n && isIdent(v.charCodeAt(j))) j++;
    if (j - i > 48 || j - i < 2) { i = j - 1; continue; }
    // Only a word followed (after spaces or comments) by `(` can be a call: most words of prose are not.
    const next = v.charCodeAt(j);
    if (next !== 40 && !isSpace(next) && next !== 47 && next !== 35) { i = j - 1; continue; }
    if (next !== 40 && v.charCodeAt(skipGapAt(v, j)) !== 40) { i = j - 1; continue; }
    const hit = callAt(v, br, path, i, j);
    if (hit && hit.paranoia === 1) return hit;
    if (hit && !weak) weak = hit;
    i = j - 1;
  }
  return weak;
}

/**
 * Whether the gaps (`skipGapAt`) that reach a `(` are plain spaces, so that they start at `gapStart`: false when
 * some `(` may end a gap holding a comment. A gap is spaces and comments; one with a comment ends,
 * after its last comment, with `*\/` (a `/` before the spaces that follow) or with the newline that ends a `//` or
 * `#` comment (a newline among those spaces). When no `(` has either, every gap that reaches a `(` is spaces only:
 * it starts right after the last other character before the `(` (and is at most 512 long, `skipGapAt`'s limit).
 * Also false for a value with so many `(` that visiting each costs more than reading every character.
 */
function plainParens(v: string): boolean {
  // a value dense with parentheses is read faster character by character (by the original scans)
  let budget = 64 + (v.length >> 5);
  for (let p = v.indexOf('('); p >= 0; p = v.indexOf('(', p + 1)) {
    if (--budget < 0) return false;
    let b = p - 1;
    while (b >= 0 && isSpace(v.charCodeAt(b))) {
      const c = v.charCodeAt(b);
      if (c === 10 || c === 13) return false;
      b--;
    }
    if (b >= 0 && v.charCodeAt(b) === 47) return false;
  }
  return true;
}

/** The start of the spaces before `p` (`plainParens`), or -1 when they are longer than `skipGapAt` reads. */
function gapStart(v: string, p: number): number {
  let b = p;
  while (b > 0 && isSpace(v.charCodeAt(b - 1))) b--;
  return p - b > 512 ? -1 : b;
}

/** Whether `v[i, j)` holds `_`. */
function holdsUnderscore(v: string, i: number, j: number): boolean {
  for (let k = i; k < j; k++) if (v.charCodeAt(k) === 95) return true;
  return false;
}

/**
 * `functionCalls` for a value whose parentheses are plain (`plainParens`): a word is a call candidate there when
 * its gap reaches a `(`, so the candidates are the words right before each `(` (after spaces), in order.
 */
function callsBeforeParens(v: string, br: Brackets, path: boolean): Hit | undefined {
  let weak: Hit | undefined;
  // Without `İ` (the only character that lower-cases to two code units) `lower` is aligned with the value, and
  // `callAt`'s name is the word lower-cased one by one: ASCII lower-casing for its ASCII characters, and a character
  // of the word outside ASCII (0x7f-0xff) stays outside it. A name of DISTINCT or AMBIGUOUS has its `nameKey`, a
  // family name holds `_` and is 5+ long: other words are no call of interest, found without lower-casing.
  const aligned = !v.includes('\u0130');
  for (let p = v.indexOf('('); p >= 0; p = v.indexOf('(', p + 1)) {
    const j = gapStart(v, p);
    if (j <= 0 || !isIdent(v.charCodeAt(j - 1))) continue;
    // the word: the identifier run ending at j, starting with an identifier start not after `$`, 2 to 48 long
    let i = j - 1;
    while (i > 0 && j - i <= 48 && isIdent(v.charCodeAt(i - 1))) i--;
    if (i > 0 && isIdent(v.charCodeAt(i - 1))) continue; // longer than 48
    if (j - i < 2 || j - i > 48 || !isIdentStart(v.charCodeAt(i)) || (i > 0 && v.charCodeAt(i - 1) === 36)) continue;
    if (aligned && !CALL_NAME_KEYS.has(nameKey(j - i, v.charCodeAt(i), v.charCodeAt(j - 1))) && !(j - i >= 5 && holdsUnderscore(v, i, j))) continue;
    const hit = callAt(v, br, path, i, j);
    if (hit && hit.paranoia === 1) return hit;
    if (hit && !weak) weak = hit;
  }
  return weak;
}

/** Code right before a `{/php}` / `[/php]` closer: a statement word, a `$variable` or a `;`. */
function codeBefore(text: string): boolean {
  const t = text.trimEnd();
  if (t.endsWith(';') || t.endsWith('"') || t.endsWith("'")) {
    for (const w of ['echo', 'print', 'system', 'exec', 'eval', '$']) if (t.toLowerCase().includes(w)) return true;
  }
  return false;
}

function openTags(v: string, lower: string): Hit | undefined {
  let weak: Hit | undefined;
  let from = 0;
  for (;;) {
    const at = v.indexOf('<?', from);
    if (at < 0) break;
    from = at + 2;
    let k = at + 2;
    let kind = '';
    if (lower.startsWith('php', k) && !isIdent(v.charCodeAt(k + 3))) { kind = 'php'; k += 3; }
    else if (v[k] === '=') { kind = '='; k += 1; }
    else if (isSpace(v.charCodeAt(k))) { kind = ' '; }
    else if (lower.startsWith('xml', k) && !isIdent(v.charCodeAt(k + 3)) && v[k + 3] !== '-') {
      // An XML declaration has pseudo-attributes; anything else after `<?xml` is short-tag PHP.
      let m = k + 3;
      while (m < v.length && isSpace(v.charCodeAt(m))) m++;
      if (lower.startsWith('version', m) || lower.startsWith('encoding', m) || lower.startsWith('standalone', m) || v.startsWith('?>', m) || m >= v.length) continue;
      kind = 'xml';
      k += 3;
    } else continue;
    // what follows: PHP code?
    let m = k;
    while (m < v.length && m - k < 64 && (isSpace(v.charCodeAt(m)) || v[m] === ':' || v[m] === '(' || v[m] === ')' || v[m] === ';')) m++;
    const c = v.charCodeAt(m);
    let code = false;
    if (c === 36 || c === 96 || c === 64 || (kind === '=' && (c === 39 || c === 34 || isDigit(c)))) code = true;
    else if (isIdentStart(c)) {
      let e = m;
      while (e < v.length && e - m < 32 && isIdent(v.charCodeAt(e))) e++;
      const w = lower.slice(m, e);
      const g = skipGap(v, e);
      if (STATEMENT_WORDS.has(w) || DISTINCT.has(w) || AMBIGUOUS.has(w) || v.charCodeAt(g.at) === 40 || (kind === '=' && (v.startsWith('?>', g.at) || v[g.at] === ';'))) code = true;
      if (w === 'php' && kind === ' ') {
        // `<? php echo`
        let e2 = g.at;
        while (e2 < v.length && e2 - g.at < 32 && isIdent(v.charCodeAt(e2))) e2++;
        if (STATEMENT_WORDS.has(lower.slice(g.at, e2)) || v.charCodeAt(g.at) === 36) code = true;
      }
    }
    if (code) return { ruleId: 'php-open-tag', paranoia: 1, message: `PHP open tag <?${kind.trim()} followed by code`, at };
    if (kind === 'php' && !weak) weak = { ruleId: 'php-open-tag', paranoia: 2, message: 'PHP open tag', at };
  }
  // Smarty / BBCode php blocks
  for (const [o, cl] of [['{php}', '{/php}'], ['[php]', '[/php]']] as const) {
    const a = lower.indexOf(o);
    const b = lower.indexOf(cl);
    if (a >= 0 && (b > a || v.slice(a + 5).trim() !== '')) return { ruleId: 'php-open-tag', paranoia: 1, message: `PHP block ${o}`, at: a };
    if (b >= 0) {
      if (codeBefore(v.slice(Math.max(0, b - 80), b))) return { ruleId: 'php-open-tag', paranoia: 1, message: `PHP block closer ${cl}`, at: b };
      if (!weak) weak = { ruleId: 'php-open-tag', paranoia: 2, message: `PHP block closer ${cl}`, at: b };
    }
  }
  return weak;
}

function superglobals(v: string, isName: boolean): Hit | undefined {
  let weak: Hit | undefined;
  for (const g of SUPERGLOBALS) {
    let from = 0;
    for (;;) {
      const at = v.indexOf(g, from);
      if (at < 0) break;
      from = at + g.length;
      if (isIdent(v.charCodeAt(at + g.length))) continue;
      const k = skipGap(v, at + g.length).at;
      if (v[k] === '[' || v[k] === '{' || isName || v[k] === ';' || v[k] === ')' || v[k] === '-') {
        return { ruleId: 'php-superglobal', paranoia: 1, message: `PHP superglobal ${g}`, at };
      }
      if (!weak) weak = { ruleId: 'php-superglobal', paranoia: 2, message: `PHP superglobal ${g}`, at };
    }
  }
  return weak;
}

/** `$name` plus index chains (`[...]`, `{...}`, `->name`, `->$name`); returns the end index. */
function variableChain(v: string, i: number, br: Brackets): number {
  let k = i;
  for (let steps = 0; steps < 16; steps++) {
    const g = skipGap(v, k);
    const c = v.charCodeAt(g.at);
    if (c === 91 || c === 123) { // [ {
      const close = br.close(g.at);
      if (close < 0 || close - g.at > 128 || close === g.at + 1) return k;
      k = close + 1;
      continue;
    }
    if (c === 45 && v.charCodeAt(g.at + 1) === 62) { // ->
      let m = g.at + 2;
      if (v.charCodeAt(m) === 36) m++;
      const s = m;
      while (m < v.length && m - s < 64 && isIdent(v.charCodeAt(m))) m++;
      if (m === s) return k;
      k = m;
      continue;
    }
    return k;
  }
  return k;
}

function variableFunctions(v: string, br: Brackets): Hit | undefined {
  let weak: Hit | undefined;
  let from = 0;
  for (;;) {
    const at = v.indexOf('$', from);
    if (at < 0) break;
    from = at + 1;
    let i = at;
    while (v.charCodeAt(i) === 36 && i - at < 8) i++; // $$$x
    let nameEnd: number;
    let braced = false;
    let bracedContent = '';
    const afterDollar = skipGap(v, i);
    if (v.charCodeAt(afterDollar.at) === 123) { // ${ ... }
      const close = br.close(afterDollar.at);
      if (close < 0 || close - afterDollar.at > 256) continue;
      bracedContent = v.slice(afterDollar.at + 1, close).trim();
      if (bracedContent === '') continue;
      braced = true;
      nameEnd = close + 1;
    } else {
      if (!isIdentStart(v.charCodeAt(i))) continue;
      nameEnd = i;
      while (nameEnd < v.length && nameEnd - i < 64 && isIdent(v.charCodeAt(nameEnd))) nameEnd++;
      // Only a call, an index, a member access or a gap can follow a variable function name.
      const next = v.charCodeAt(nameEnd);
      if (next !== 40 && next !== 91 && next !== 123 && next !== 45 && next !== 47 && next !== 35 && !isSpace(next)) { from = nameEnd; continue; }
      if (at > 0 && v.charCodeAt(at - 1) === 46) { from = nameEnd; continue; } // obj.$member (JS)
      if (next === 40 && JS_DOLLAR_NAMES.has(v.slice(at, nameEnd))) { from = nameEnd; continue; }
      // `$__timeFilter(time)`: Grafana's SQL macros (and other query templates') are `$__` and a name, which PHP
      // code does not write (its own variables with two underscores are not called)
      if (next === 40 && i === at + 1 && v.charCodeAt(i) === 95 && v.charCodeAt(i + 1) === 95 && isIdentStart(v.charCodeAt(i + 2)) && v.charCodeAt(i + 2) !== 95) { from = nameEnd; continue; }
    }
    const chainEnd = variableChain(v, nameEnd, br);
    const gap = skipGap(v, chainEnd);
    if (v.charCodeAt(gap.at) === 40) {
      const close = br.close(gap.at);
      const args = close >= 0 ? v.slice(gap.at + 1, Math.min(close, gap.at + 257)) : '';
      // `$NOW(-7 days)`: a quantity with its unit is no PHP argument (Directus's dynamic filter variables)
      if (QUANTITY_ARGUMENT.test(args)) { from = nameEnd; continue; }
      if (close >= 0 && (!gap.space || gap.comment || (!braced && codeLikeArgs(args)))) {
        return { ruleId: 'php-variable-function', paranoia: 1, message: 'PHP variable function call', at };
      }
    }
    if (braced) {
      // ${'name'}, ${$a}, $ {CONST}: variable variables
      const c = bracedContent.charCodeAt(0);
      const spaced = afterDollar.space;
      // `${'name'}` / `${$a}` as a whole value or followed by PHP syntax; a JS template's `${'A'|'B'}` is not.
      const single = (c === 39 || c === 34) ? bracedContent.indexOf(bracedContent[0]!, 1) === bracedContent.length - 1 || /^(['"])[^'"]*\1\s*\.\s*(['"])[^'"]*\2$/.test(bracedContent) : c === 36 || c === 64;
      const afterEnd = skipGapAt(v, nameEnd);
      const phpAfter = afterEnd >= v.length || '(=;[-'.includes(v[afterEnd]!);
      if (single && (phpAfter || atStart(v, at))) return { ruleId: 'php-variable-variable', paranoia: 1, message: 'PHP variable variable ${...}', at };
      if (spaced && !weak) weak = { ruleId: 'php-variable-variable', paranoia: 2, message: 'PHP variable variable $ {...}', at };
    }
    from = Math.max(from, nameEnd);
  }
  return weak;
}

/** Letters of a callee expression: `(sy.(st).em)` -> `system`, `(string)"system"` -> `system`, `[system][0]` -> `system`. */
function calleeName(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 47 && text.charCodeAt(i + 1) === 42) { // skip /* comments */
      const end = text.indexOf('*/', i + 2);
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    if ((c >= 97 && c <= 122) || c === 95) out += text[i];
    else if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
  }
  for (const cast of ['string', 'str', 'array', 'object']) {
    if (out.startsWith(cast) && EXEC_NAMES.has(out.slice(cast.length))) return out.slice(cast.length);
  }
  return out;
}

/**
 * The checks of `dynamicCalls` for the callee ending with the closer or quote `c` at `i`, whose gap reaches a `(`:
 * a hit, `'read'` when the checks ran to their end (the scan then skips the gap), or undefined.
 */
function dynamicAt(v: string, br: Brackets, i: number, c: number): Hit | 'read' | undefined {
  let start: number;
  if (c === 39 || c === 34) {
    start = i - 1;
    while (start >= 0 && i - start <= 32 && v.charCodeAt(start) !== c) start--;
    if (start < 0 || v.charCodeAt(start) !== c) return undefined;
    // include concatenated string parts before: "sys"."t"."em"(
    let s = start;
    for (let parts = 0; parts < 4; parts++) {
      let b = s - 1;
      while (b >= 0 && isSpace(v.charCodeAt(b))) b--;
      if (v[b] !== '.') break;
      b--;
      while (b >= 0 && isSpace(v.charCodeAt(b))) b--;
      const q = v.charCodeAt(b);
      if (q !== 39 && q !== 34) break;
      let o = b - 1;
      while (o >= 0 && b - o <= 32 && v.charCodeAt(o) !== q) o--;
      if (o < 0 || v.charCodeAt(o) !== q) break;
      s = o;
    }
    start = s;
    // a cast just before: (string)"system"
    let b = start - 1;
    while (b >= 0 && isSpace(v.charCodeAt(b))) b--;
    if (v[b] === ')' && br.open(b) >= 0 && b - br.open(b) <= 12) start = br.open(b);
  } else {
    start = br.open(i);
    if (start < 0 || i - start > 96) return undefined;
    // `[text](url)` is a Markdown link: a bracketed callee needs an index (`[system][0](`) to be PHP.
    if (c === 93) {
      let p = start - 1;
      while (p >= 0 && start - p < 16 && isSpace(v.charCodeAt(p))) p--;
      if (!(p >= 0 && (v[p] === ']' || v[p] === ')' || v[p] === '}'))) return undefined;
    }
    // chained indexes: [system][0]( or (['system'])[0](
    let b = start - 1;
    for (let steps = 0; steps < 4; steps++) {
      while (b >= 0 && start - b < 16 && isSpace(v.charCodeAt(b))) b--;
      if (b < 0 || (v[b] !== ']' && v[b] !== ')' && v[b] !== '}')) break;
      const o = br.open(b);
      if (o < 0 || b - o > 96) break;
      start = o;
      b = o - 1;
    }
  }
  let letters = false;
  for (let k = start; k <= i && !letters; k++) {
    const ch = v.charCodeAt(k) | 32;
    if (ch >= 97 && ch <= 122) letters = true;
  }
  if (!letters) return undefined;
  const name = calleeName(v.slice(start, i + 1));
  if (EXEC_NAMES.has(name)) return { ruleId: 'php-dynamic-call', paranoia: 1, message: `dynamic call of ${name}`, at: start };
  return 'read';
}

/** Reads every character of the value (see `dynamicBeforeParens` for the usual, faster way to the same callees). */
function dynamicCalls(v: string, br: Brackets): Hit | undefined {
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c !== 41 && c !== 93 && c !== 125 && c !== 39 && c !== 34) continue;
    const after = v.charCodeAt(i + 1);
    if (after !== 40 && !isSpace(after) && after !== 47 && after !== 35) continue;
    const gapAt = skipGapAt(v, i + 1);
    if (v.charCodeAt(gapAt) !== 40) continue;
    const r = dynamicAt(v, br, i, c);
    if (r === undefined) continue;
    if (r !== 'read') return r;
    i = gapAt - 1 > i ? gapAt - 1 : i;
  }
  return undefined;
}

/**
 * `dynamicCalls` for a value whose parentheses are plain (`plainParens`): its candidates are the closers and quotes
 * whose gap reaches a `(`, so right before each `(` (after spaces), in order. (The skip over a candidate's gap
 * there passes spaces only, none a candidate.)
 */
function dynamicBeforeParens(v: string, br: Brackets): Hit | undefined {
  for (let p = v.indexOf('('); p >= 0; p = v.indexOf('(', p + 1)) {
    const g = gapStart(v, p);
    if (g <= 0) continue;
    const i = g - 1;
    const c = v.charCodeAt(i);
    if (c !== 41 && c !== 93 && c !== 125 && c !== 39 && c !== 34) continue;
    const r = dynamicAt(v, br, i, c);
    if (r !== undefined && r !== 'read') return r;
  }
  return undefined;
}

/** String literals joined with `.` that spell a dangerous function: `'sys'.'tem'`. */
function concatenatedNames(v: string): Hit | undefined {
  const n = v.length;
  // the next `'` and `"` at or after i (n when none): the loop visits the quotes only
  let single = -1;
  let double = -1;
  for (let i = 0; i < n; i++) {
    if (single < i) { single = v.indexOf("'", i); if (single < 0) single = n; }
    if (double < i) { double = v.indexOf('"', i); if (double < 0) double = n; }
    i = Math.min(single, double);
    if (i >= n) break;
    let text = '';
    let k = i;
    let parts = 0;
    for (; parts < 8; parts++) {
      const qq = v.charCodeAt(k);
      if (qq !== 39 && qq !== 34) break;
      // the closing quote: the first `qq` in [k + 1, k + 33]
      const e = v.indexOf(qq === 39 ? "'" : '"', k + 1);
      if (e < 0 || e > k + 33) break;
      text += v.slice(k + 1, e);
      let m = e + 1;
      while (m < n && isSpace(v.charCodeAt(m))) m++;
      if (v[m] !== '.') { k = e + 1; parts++; break; }
      m++;
      while (m < n && isSpace(v.charCodeAt(m))) m++;
      k = m;
    }
    if (parts >= 2 && EXEC_NAMES.has(text.toLowerCase())) return { ruleId: 'php-dynamic-call', paranoia: 1, message: `function name assembled from strings (${text})`, at: i };
    i = Math.max(i, k - 1);
  }
  return undefined;
}

function wrappers(lower: string): Hit | undefined {
  let from = 0;
  for (;;) {
    const at = lower.indexOf('://', from);
    if (at < 0) return undefined;
    from = at + 3;
    let s = at;
    while (s > 0 && at - s < 16 && (isIdent(lower.charCodeAt(s - 1)) || lower.charCodeAt(s - 1) === 46)) s--;
    const scheme = lower.slice(s, at);
    if (WRAPPERS.has(scheme)) return { ruleId: 'php-wrapper', paranoia: 1, message: `PHP stream wrapper ${scheme}://`, at: s };
  }
}

function serializedObjects(v: string): Hit | undefined {
  const n = v.length;
  let weak: Hit | undefined;
  // every `O:` `C:` `a:` `o:` in order: the character before each colon
  for (let colon = v.indexOf(':', 1); colon >= 0 && colon - 1 < n - 4; colon = v.indexOf(':', colon + 1)) {
    const i = colon - 1;
    const c = v.charCodeAt(i);
    if (c !== 79 && c !== 67 && c !== 97 && c !== 111) continue; // O: C: a: o:
    if (i > 0 && isIdent(v.charCodeAt(i - 1))) continue;
    let k = i + 2;
    if (v[k] === '+' || v[k] === '-') k++;
    const ds = k;
    while (k < n && k - ds < 6 && isDigit(v.charCodeAt(k))) k++;
    if (k === ds || v.charCodeAt(k) !== 58) continue;
    const len = Number(v.slice(ds, k));
    if (c === 97) { // a:N:{
      if (v.charCodeAt(k + 1) === 123 && /^[isbdaON]:/.test(v.slice(k + 2, k + 4))) {
        if (!weak) weak = { ruleId: 'php-serialized-object', paranoia: 2, message: 'PHP serialized array', at: i };
      }
      continue;
    }
    if (v.charCodeAt(k + 1) !== 34) continue;
    const nameStart = k + 2;
    const q = v.indexOf('"', nameStart);
    if (q < 0 || q - nameStart > 256) continue;
    const name = v.slice(nameStart, q);
    if (name === '' || !/^[A-Za-z_\\][\w\\]*$/.test(name)) continue;
    if (v.charCodeAt(q + 1) !== 58) continue;
    if (name.length !== len && Math.abs(name.length - len) > 2) continue;
    return { ruleId: 'php-serialized-object', paranoia: 1, message: `PHP serialized object of class ${name.slice(0, 40)}`, at: i };
  }
  return weak;
}

function iniDirectives(v: string, lower: string): Hit | undefined {
  if (v.includes('PHP_') && (v.includes('PHP_VALUE') || v.includes('PHP_ADMIN_VALUE'))) {
    return { ruleId: 'php-ini-directive', paranoia: 1, message: 'FastCGI PHP_VALUE / PHP_ADMIN_VALUE', at: Math.max(v.indexOf('PHP_VALUE'), v.indexOf('PHP_ADMIN_VALUE')) };
  }
  let weak: Hit | undefined;
  let from = 0;
  for (;;) {
    const eq = v.indexOf('=', from);
    if (eq < 0) break;
    from = eq + 1;
    let e = eq;
    while (e > 0 && isSpace(v.charCodeAt(e - 1))) e--;
    let s = e;
    while (s > 0 && e - s < 48 && (isIdent(lower.charCodeAt(s - 1)) || lower.charCodeAt(s - 1) === 46)) s--;
    if (s === e) continue;
    if (s > 0 && !isSpace(v.charCodeAt(s - 1)) && !';&?\n'.includes(v[s - 1]!)) continue;
    const name = lower.slice(s, e);
    let nv = eq + 1;
    while (nv < v.length && nv - eq < 64 && isSpace(v.charCodeAt(nv))) nv++;
    if (nv >= v.length || isSpace(v.charCodeAt(nv))) continue;
    if (INI_CRITICAL.has(name)) return { ruleId: 'php-ini-directive', paranoia: 1, message: `php.ini directive ${name}`, at: s };
    if (INI_SPECIFIC.has(name) || INI_NAMESPACES.some((p) => name.startsWith(p) && name.length > p.length + 2)) {
      return { ruleId: 'php-ini-directive', paranoia: 1, message: `php.ini directive ${name}`, at: s };
    }
    if (!weak && INI_WORDS.has(name)) weak = { ruleId: 'php-ini-directive', paranoia: 2, message: `php.ini directive ${name}`, at: s };
  }
  return weak;
}

function uploadName(v: string): Hit | undefined {
  let best: Hit | undefined;
  for (const name of storedUploadNames(v)) {
    const hit = uploadNameHit(name);
    if (hit !== undefined && (best === undefined || hit.paranoia < best.paranoia)) best = hit;
  }
  return best;
}

/** What the stored upload name `lowerBase` (see storedUploadNames) is, if a PHP script or session file. */
function uploadNameHit(lowerBase: string): Hit | undefined {
  if (lowerBase.startsWith('sess_')) {
    let ok = lowerBase.length - 5 >= 20;
    for (let i = 5; i < lowerBase.length && ok; i++) {
      const c = lowerBase.charCodeAt(i);
      if (!((c >= 97 && c <= 122) || isDigit(c) || c === 44 || c === 45)) ok = false;
    }
    if (ok) return { ruleId: 'php-session-file', paranoia: 1, message: 'PHP session file name in an upload', at: 0 };
  }
  const parts = lowerBase.split('.').map((p) => p.trim());
  if (parts.length < 2) return undefined;
  const last = parts[parts.length - 1]!;
  if ((UPLOAD_EXTENSIONS.has(last) && last !== 'inc') || isVersionedPhp(last)) return { ruleId: 'php-upload-filename', paranoia: 1, message: `executable PHP file name (.${last})`, at: 0 };
  for (let k = 1; k < parts.length - 1; k++) {
    if (UPLOAD_EXTENSIONS.has(parts[k]!) && parts[k] !== 'inc') return { ruleId: 'php-upload-filename', paranoia: 3, message: `PHP double extension (.${parts[k]}.${last})`, at: 0 };
  }
  return undefined;
}

/** `php` and a version number (`php56`, `php907`): handler patterns such as `\.php[0-9]*$` run them as PHP. */
function isVersionedPhp(ext: string): boolean {
  if (ext.length < 4 || ext.length > 8 || !ext.startsWith('php')) return false;
  for (let k = 3; k < ext.length; k++) if (!isDigit(ext.charCodeAt(k))) return false;
  return true;
}

// ---------------------------------------------------------------- quiet values (the common case)

/*
 * A long value of prose (where the FLAGS tell nothing) mostly can give no finding, and `quietValue` shows it from
 * one pass over its characters that checks, where they could start, what each rule needs (`quietAt`):
 * - open tags: `<?`, or `}` / `]` after `php` (`{php}`, `[/php]`...);
 * - superglobals, variable functions and variables: `$` before `$`, an identifier, `{`, a space or a comment;
 * - stream wrappers: `://` after one of WRAPPERS; serialized objects: `O:`, `C:`, `a:`, `o:` before a digit or sign;
 * - php.ini directives: `PHP_`, or `=` after (spaces and) a directive name;
 * - calls: `(` after (spaces and) a call name (`CALL_NAME_KEYS`) or a family name (`_`, 5+ long), after a
 *   closer or a quote (dynamic calls), or after a comment (a `/` or a line break among the spaces);
 * - names assembled from strings: a quote before (spaces and) `.`.
 * Any other value gets the full scans. `İ` and the Kelvin sign (the characters whose lower case is ASCII) go there
 * too: the scans read the lower-cased copy, `İ` shifts it, and the Kelvin sign becomes an identifier character.
 *
 * The pass reads the value as bytes, four at a time: an ASCII value is copied by `TextEncoder#encodeInto`, any other
 * character by character (a character up to 0xff as itself, as the rules read it, one above as OTHER: no
 * identifier, space or marked character either). Each half of four bytes is looked up in PAIR_EVENTS.
 */

/** Characters `quietAt` checks: `<`, `}`, `]`, `$`, `:`, `=`, `_`, `(`, quotes. */
const MARKED = new Uint8Array(256);
for (const ch of '<}]$:=_("\'') MARKED[ch.charCodeAt(0)] = 1;
/** What a character above 0xff is read as: a control character, like it no identifier, space or marked one. */
const OTHER = 0x01;
/** `isIdent`, `isIdentStart` and `isSpace` of every byte, as bits (one table read in the loops over words). */
const B_IDENT = 1;
const B_START = 2;
const B_SPACE = 4;
const BYTE_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) BYTE_CLASS[c] = (isIdent(c) ? B_IDENT : 0) | (isIdentStart(c) ? B_START : 0) | (isSpace(c) ? B_SPACE : 0);

/**
 * CALL_NAME_KEYS as a table: (length, first, last character) of the names of DISTINCT and AMBIGUOUS, the characters
 * as NAME_CHAR (ASCII letters ignoring case, digits, `_`; every other character is in no name).
 */
const NAME_CHAR = new Uint8Array(256).fill(37);
for (let c = 0; c < 26; c++) { NAME_CHAR[65 + c] = c; NAME_CHAR[97 + c] = c; }
for (let c = 0; c < 10; c++) NAME_CHAR[48 + c] = 26 + c;
NAME_CHAR[95] = 36;
const CALL_SHAPES = new Uint8Array(49 * 38 * 38);
for (const w of [...DISTINCT, ...AMBIGUOUS]) {
  CALL_SHAPES[(w.length * 38 + NAME_CHAR[w.charCodeAt(0)]!) * 38 + NAME_CHAR[w.charCodeAt(w.length - 1)]!] = 1;
}

/**
 * Whether the byte `c` may start a finding (`quietAt` would look at it), knowing the byte before it (`before`) or
 * the one after it (`after`), -1 when unknown.
 */
function mayStart(c: number, before: number, after: number): boolean {
  switch (c) {
    case 60: return after < 0 || after === 63; // `<?`
    case 125: case 93: return before < 0 || (before | 32) === 112; // `php}`, `php]`
    case 36: // `$`: a variable, `${`, `$$`, or a gap first
      return after < 0 || after === 36 || isIdentStart(after) || isSpace(after) || after === 47 || after === 35 || after === 123;
    case 58: // `:` after a scheme or `O`, `C`, `a`, `o`; before `//`, a digit or a sign
      return (before < 0 || isIdent(before) || before === 46) && (after < 0 || after === 47 || isDigit(after) || after === 43 || after === 45);
    case 61: return before < 0 || isIdent(before) || before === 46 || isSpace(before); // `name =`
    case 95: return before < 0 || before === 80; // `PHP_`
    case 40: // `(` after a word, a gap, a closer or a quote
      return before < 0 || isIdent(before) || isSpace(before) || before === 47 || before === 41 || before === 93 ||
        before === 125 || before === 39 || before === 34;
    case 39: case 34: return after < 0 || after === 46 || isSpace(after); // `'...' .`
    default: return false;
  }
}

/** Whether this machine stores the first byte of a 16-bit number first (the pairs below are read that way). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** For every two bytes `a`, `b` (read as a 16-bit number): whether either may start a finding (`mayStart`). */
const PAIR_EVENTS = new Uint8Array(65536);
for (let a = 0; a < 256; a++) {
  for (let b = 0; b < 256; b++) {
    // (only the marked bytes may start anything: most pairs have none, and the table is built faster)
    const event = (MARKED[a] === 1 && mayStart(a, -1, b)) || (MARKED[b] === 1 && mayStart(b, a, -1));
    PAIR_EVENTS[LITTLE_ENDIAN ? a | (b << 8) : (a << 8) | b] = event ? 1 : 0;
  }
}

/** Whether `b[at, at + text.length)` is `text` (lower-case ASCII), ignoring ASCII case. */
function bytesAre(b: Uint8Array, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = b[at + k]!;
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== text.charCodeAt(k)) return false;
  }
  return true;
}

/** The lower-cased ASCII text of `b[s, e)`. */
function bytesText(b: Uint8Array, s: number, e: number): string {
  let text = '';
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    text += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return text;
}

/** Whether the scheme before `://` at `at` is one of WRAPPERS (the scheme `wrappers` reads). */
function wrapperBefore(b: Uint8Array, at: number): boolean {
  let s = at;
  while (s > 0 && at - s < 16 && (isIdent(b[s - 1]!) || b[s - 1] === 46)) s--;
  for (const w of WRAPPERS) if (w.length === at - s && bytesAre(b, s, w)) return true;
  return false;
}

/** The directive names without `_` or `.` (a few plain words; the other names are rarer in prose). */
const PLAIN_DIRECTIVES = [...INI_CRITICAL, ...INI_SPECIFIC, ...INI_WORDS].filter((d) => !d.includes('_') && !d.includes('.'));

/**
 * Whether the name before `=` at `eq` (after spaces: the name `iniDirectives` reads) may be a directive: one of
 * PLAIN_DIRECTIVES, or with `_` or `.` (then looked up, as there).
 */
function directiveBefore(b: Uint8Array, eq: number): boolean {
  let e = eq;
  while (e > 0 && isSpace(b[e - 1]!)) e--;
  let s = e;
  while (s > 0 && e - s < 48 && (isIdent(b[s - 1]!) || b[s - 1] === 46)) s--;
  let dotted = false;
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    if (c >= 128) return false; // the names are ASCII
    if (c === 95 || c === 46) dotted = true;
  }
  if (!dotted) {
    for (const d of PLAIN_DIRECTIVES) if (d.length === e - s && bytesAre(b, s, d)) return true;
    return false;
  }
  const name = bytesText(b, s, e);
  if (INI_CRITICAL.has(name) || INI_SPECIFIC.has(name) || INI_WORDS.has(name)) return true;
  for (const p of INI_NAMESPACES) if (name.startsWith(p) && name.length > p.length + 2) return true;
  return false;
}

/**
 * Whether the `(` at `p` can start no call finding: plain spaces before it (see `plainParens`), and before them no
 * closer or string (`dynamicAt`), and no word that `callsBeforeParens` would look at.
 */
function quietParen(b: Uint8Array, p: number): boolean {
  let g = p;
  while (g > 0 && (BYTE_CLASS[b[g - 1]!]! & B_SPACE) !== 0) {
    if (b[g - 1] === 10 || b[g - 1] === 13) return false;
    g--;
  }
  if (g === 0) return true;
  const c = b[g - 1]!;
  if (c === 47 || c === 41 || c === 93 || c === 125) return false;
  if (c === 39 || c === 34) {
    // a string callee (`dynamicAt`): its opening quote within 32 characters before
    for (let k = g - 2; k >= 0 && g - 1 - k <= 32; k--) if (b[k] === c) return false;
    return true;
  }
  if ((BYTE_CLASS[c]! & B_IDENT) === 0) return true;
  let s = g - 1;
  while (s > 0 && g - s <= 48 && (BYTE_CLASS[b[s - 1]!]! & B_IDENT) !== 0) s--;
  if (s > 0 && (BYTE_CLASS[b[s - 1]!]! & B_IDENT) !== 0) return true; // longer than 48
  const len = g - s;
  if (len < 2 || len > 48 || (BYTE_CLASS[b[s]!]! & B_START) === 0 || (s > 0 && b[s - 1] === 36)) return true;
  // `CALL_NAME_KEYS.has(nameKey(...))`: a name there is ASCII, so its first and last characters are NAME_CHARs
  if (CALL_SHAPES[(len * 38 + NAME_CHAR[b[s]!]!) * 38 + NAME_CHAR[c]!] === 1) return false;
  if (len < 5) return true;
  for (let k = s; k < g; k++) if (b[k] === 95) return false;
  return true;
}

/** Whether the marked byte at `i` of `b[0, n)` (padded with OTHER) can start no finding (see `quietValue`). */
function quietAt(b: Uint8Array, n: number, i: number): boolean {
  switch (b[i]) {
    case 60: return b[i + 1] !== 63;
    case 125: case 93: return !(i >= 3 && bytesAre(b, i - 3, 'php'));
    case 36: {
      const a = b[i + 1]!;
      return !(a === 36 || isIdentStart(a) || isSpace(a) || a === 47 || a === 35 || a === 123);
    }
    case 58: {
      const p = i > 0 ? b[i - 1]! : 0;
      const a = b[i + 1]!;
      if ((p === 79 || p === 67 || p === 97 || p === 111) && (isDigit(a) || a === 43 || a === 45)) return false;
      return !(a === 47 && b[i + 2] === 47 && wrapperBefore(b, i));
    }
    case 61: return !directiveBefore(b, i);
    case 95: return !(i >= 3 && b[i - 1] === 80 && b[i - 2] === 72 && b[i - 3] === 80);
    case 40: return quietParen(b, i);
    case 39: case 34: {
      let k = i + 1;
      while (k < n && isSpace(b[k]!)) k++;
      return !(k < n && b[k] === 46);
    }
    default: return true;
  }
}

const encoder = new TextEncoder();
/** The bytes of the value being read, and the same memory by four bytes. */
let quietBytes = new Uint8Array(1 << 16);
let quietQuads = new Uint32Array(quietBytes.buffer);
/** Longest value whose buffer is kept for the next values. */
const KEPT_BYTES = 1 << 20;

/** Copies `v` into `quietBytes` as `quietValue` reads it, then OTHER up to a multiple of 4; false for `İ`, `K`. */
function copyBytes(v: string, n: number): boolean {
  if (n + 4 > quietBytes.length || quietBytes.length > KEPT_BYTES) {
    quietBytes = new Uint8Array(Math.max(1 << 16, (n + 7) & ~3));
    quietQuads = new Uint32Array(quietBytes.buffer);
  }
  const b = quietBytes;
  const copied = encoder.encodeInto(v, b);
  if (copied.read !== n || copied.written !== n) { // not ASCII only
    for (let k = 0; k < n; k++) {
      const c = v.charCodeAt(k);
      if (c === 0x130 || c === 0x212a) return false;
      b[k] = c <= 0xff ? c : OTHER;
    }
  }
  b[n] = OTHER;
  b[n + 1] = OTHER;
  b[n + 2] = OTHER;
  return true;
}

/** The first group of four bytes from `j` (up to `m`) holding a pair in PAIR_EVENTS, or `m`. A tight loop. */
function nextQuadEvent(w: Uint32Array, j: number, m: number): number {
  for (; j < m; j++) {
    const x = w[j]!;
    if ((PAIR_EVENTS[x & 0xffff]! | PAIR_EVENTS[x >>> 16]!) !== 0) break;
  }
  return j;
}

/** Values shorter than this get their FLAGS instead (`charFlags`, or FLAG_CHARS first): cheaper than the copy. */
const QUIET_MIN = SHORT_VALUE;

/** Whether a value (in no file-name field) can give no finding (see above). */
function quietValue(v: string): boolean {
  const n = v.length;
  if (!copyBytes(v, n)) return false;
  const b = quietBytes;
  const m = (n + 3) >> 2;
  for (let j = nextQuadEvent(quietQuads, 0, m); j < m; j = nextQuadEvent(quietQuads, j + 1, m)) {
    for (let i = 4 * j; i < 4 * j + 4 && i < n; i++) if (MARKED[b[i]!] === 1 && !quietAt(b, n, i)) return false;
  }
  return true;
}

/**
 * Every rule on a value (with these FLAGS) that the checks of `detect` did not rule out. (A function of its own:
 * the common path of `detect` stays small, and is optimized sooner.)
 */
function detectAll(v: string, flags: number, context: DetectorContext, report: (finding: Finding) => void): void {
  let best: Hit | undefined;
  const take = (hit: Hit | undefined): boolean => {
    if (hit && (!best || hit.paranoia < best.paranoia)) best = hit;
    return best !== undefined && best.paranoia === 1;
  };
  const done = (): void => {
    if (best) report({ ruleId: best.ruleId, category: 'php', paranoia: best.paranoia, score: SCORE.critical, message: best.message, matched: excerpt(v, best.at) });
  };
  if (isFileNameField(context) && take(uploadName(v))) return done();
  if (holds(v, flags, F_LT, '<?') || ((holds(v, flags, F_CLOSE_BRACE, '}') || holds(v, flags, F_CLOSE_BRACKET, ']')) &&
    (lowerOf(v).includes('php}') || lowerOf(v).includes('php]')))) {
    if (take(openTags(v, lowerOf(v)))) return done();
  }
  const dollar = holds(v, flags, F_DOLLAR, '$');
  if (dollar) {
    if (take(superglobals(v, context.isName))) return done();
  }
  const colon = holds(v, flags, F_COLON, ':');
  if (colon && v.includes('://') && take(wrappers(lowerOf(v)))) return done();
  if (colon && take(serializedObjects(v))) return done();
  if (holds(v, flags, F_EQUALS, '=') || holds(v, flags, F_UPPER_P, 'PHP_')) { if (take(iniDirectives(v, lowerOf(v)))) return done(); }
  const hasParen = holds(v, flags, F_PAREN, '(');
  if (hasParen || dollar) {
    const br = new Brackets(v);
    if (dollar && take(variableFunctions(v, br))) return done();
    if (hasParen) {
      // with plain gaps before every `(`, the candidates are found from the `(`s instead of from every character
      const plain = plainParens(v);
      const path = context.source === 'path';
      if (take(plain ? callsBeforeParens(v, br, path) : functionCalls(v, br, path))) return done();
      if (take(plain ? dynamicBeforeParens(v, br) : dynamicCalls(v, br))) return done();
    }
  }
  const quote = (flags & F_QUOTE) !== 0 && (flags !== F_ALL || v.includes("'") || v.includes('"'));
  if (quote && holds(v, flags, F_DOT, '.') && take(concatenatedNames(v))) return done();
  done();
}

/**
 * Parameter names that pick a function to run: 2 for names that say so (`function=`, `callback=`), 1 for names that
 * also hold ordinary words (`action=`, `filter=`, `method=`).
 */
const DISPATCH_NAMES = new Map([
  ['function', 2], ['func', 2], ['fn', 2], ['callback', 2], ['cb', 2], ['call', 2], ['handler', 2], ['hook', 2], ['invoke', 2],
  ['filter', 1], ['method', 1], ['action', 1], ['_method', 1],
]);
/** PHP functions that run code or commands, by how plainly they are no ordinary word (2: never one). */
const SINK_NAMES = new Map([
  ['call_user_func', 2], ['call_user_func_array', 2], ['create_function', 2], ['shell_exec', 2], ['passthru', 2],
  ['proc_open', 2], ['pcntl_exec', 2], ['phpinfo', 2], ['file_put_contents', 2], ['base64_decode', 2],
  ['preg_replace', 2], ['array_map', 2], ['register_shutdown_function', 2], ['popen', 2],
  ['system', 1], ['exec', 1], ['eval', 1], ['assert', 1],
  // magic methods: a request naming one as the method to run reaches an object's internals (ThinkPHP 5's
  // `_method=__construct`)
  ['__construct', 2], ['__destruct', 2], ['__call', 2], ['__callstatic', 2], ['__invoke', 2], ['__wakeup', 2],
  ['__unserialize', 2], ['__set', 2], ['__get', 2], ['__tostring', 2],
]);
/** The longest sink name. */
const SINK_MAX = Math.max(...[...SINK_NAMES.keys()].map((k) => k.length));
/** The lengths of the sink names, one bit each (all are shorter than 32). */
const SINK_LENGTHS = [...SINK_NAMES.keys()].reduce((bits, k) => bits | (1 << k.length), 0);
if (SINK_MAX > 31) throw new Error('php: a sink name of 32 characters or more needs SINK_LENGTHS widened');

/** dispatchField's answers by field name (names repeat request after request; values of one field follow others'). */
const DISPATCH_MEMO = new Map<string, number>();

/** How plainly a parameter is named for a function to call (the last step of `vars[callback]`), 0 when not. */
function dispatchField(context: DetectorContext): number {
  const known = DISPATCH_MEMO.get(context.name);
  if (known !== undefined) return known;
  let name = context.name;
  while (name.endsWith('[]')) name = name.slice(0, -2); // `filter[]=...`: the array is the parameter
  const field = DISPATCH_NAMES.get(lastNameStep(name)) ?? 0;
  if (DISPATCH_MEMO.size >= 4096) DISPATCH_MEMO.clear();
  DISPATCH_MEMO.set(context.name, field);
  return field;
}

/**
 * `function=call_user_func_array&vars[0]=system` (ThinkPHP's invokefunction): a function that runs code or commands
 * named as the whole value of a parameter that picks the function to call. A sink that is also a word (`system`)
 * counts only where the name says a function (`callback=system`, not `filter=system`).
 */
function dispatchedSink(v: string, context: DetectorContext): Hit | undefined {
  // the field name first (memoized; rarely one that picks a function), then the value
  if (context.isName || v.length > SINK_MAX + 2) return undefined;
  const field = dispatchField(context);
  if (field === 0) return undefined;
  let start = 0;
  let end = v.length;
  while (start < end && v.charCodeAt(start) === 32) start++;
  while (end > start && v.charCodeAt(end - 1) === 32) end--;
  const name = v.slice(start, end).toLowerCase();
  const sink = SINK_NAMES.get(name);
  if (sink === undefined || sink + field < 3) return undefined;
  return { ruleId: 'php-function-name', paranoia: 1, message: `PHP function ${name} named as the function to call`, at: 0 };
}

/** Drupal render-array properties that name a callback (`#post_render`, `#lazy_builder`): Drupalgeddon 2. */
const RENDER_CALLBACKS = ['#post_render', '#pre_render', '#lazy_builder', '#access_callback', '#value_callback', '#after_build', '#element_validate'];

/** A parameter name that sets a render-array callback property (`mail[#post_render][]`). */
function renderCallbackName(v: string, context: DetectorContext): Hit | undefined {
  if (!context.isName || !v.includes('[#')) return undefined;
  const lower = v.toLowerCase();
  for (const property of RENDER_CALLBACKS) {
    const at = lower.indexOf('[' + property);
    if (at >= 0) return { ruleId: 'php-render-callback', paranoia: 1, message: `Drupal render-array callback ${property} set by a parameter`, at };
  }
  return undefined;
}

export const phpDetector: Detector = {
  category: 'php',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    const v = value;
    if (v.length < 4) return;
    // (the guards here keep the calls off nearly every value: they are not inlined into this megamorphic function)
    const sink = context.isName ? (v.charCodeAt(v.length - 1) === 93 && v.includes('[#') ? renderCallbackName(v, context) : undefined)
      : v.length <= SINK_MAX + 2 && ((SINK_LENGTHS >>> v.length) & 1) !== 0 ? dispatchedSink(v, context) : undefined;
    if (sink !== undefined) {
      report({ ruleId: sink.ruleId, category: 'php', paranoia: 1, score: SCORE.critical, message: sink.message, matched: v.slice(0, 120) });
      return;
    }
    // Each rule needs some character (see FLAGS); `holds` answers from the value's FLAGS when they are known.
    // `lower` holds `php}` only if the value holds `}` (no other character lower-cases to it), `php]` likewise.
    if (v.length >= QUIET_MIN && quietValue(v) && !isFileNameField(context)) return;
    // the early return below, for a value of some length without those characters (a `.` alone does not count),
    // from one native search
    if (v.length >= 16 && v.length < SHORT_VALUE && !FLAG_CHARS.test(v) && !isFileNameField(context)) return;
    const flags = charFlags(v);
    // a short value without any of those characters (a quote counts with a dot only): nothing to find
    if (flags !== F_ALL && (flags & ~(F_QUOTE | F_DOT)) === 0 && (flags & (F_QUOTE | F_DOT)) !== (F_QUOTE | F_DOT) &&
      !isFileNameField(context)) return;
    detectAll(v, flags, context, report);
  },
};
