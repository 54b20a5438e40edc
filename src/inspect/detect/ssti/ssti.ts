import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { CH_AT, CH_BRACE, CH_DOLLAR, CH_HASH, CH_LT, CH_QUESTION, CH_STAR, CH_TILDE } from '../../value-chars.ts';

/**
 * Server-side template injection.
 *
 * The value is scanned for the expression delimiters of the common template engines, and the text inside each
 * expression is read as a small expression language (identifiers, calls, attribute chains, literals):
 * - `{{ }}` (Jinja2, Twig, Tornado, Handlebars, Angular, Go), `{% %}` (Jinja2/Twig/Liquid/Django statements),
 *   `${ }` (JSP/Spring EL, FreeMarker, Mako, Groovy, JS), `#{ }` (Ruby, JSF EL, Pug), `*{ }` `~{ }` `@{ }`
 *   (Thymeleaf), `<%= %>` `<% %>` (ERB, EJS, JSP, ASP), `@( )` and `@{ }` (Razor), `@{[ ]}` (Perl interpolation),
 *   `{php}` / `{...}` (Smarty), FreeMarker `<#assign>` and `?new()`, Velocity `#set(` with Java chains.
 * - An expression is the attack at paranoia 1 when it reaches dangerous objects (Python dunders such as
 *   `__class__`/`__globals__`, Jinja globals used as gadgets, Java reflection and `Runtime`, SpEL `T(...)`,
 *   `constructor.constructor`, `process`/`require`, Ruby/Python/PHP command functions, Twig `_self.env`, EL
 *   implicit objects) or is a pure arithmetic probe (`{{7*7}}`, `${1337*1338}`, `#{16*8787}`, `{{7*'7'}}`).
 * - A call inside an expression, or a template statement (`{% if %}`, `<% ... %>`, `<#assign>`, `#set(`), is
 *   paranoia 2; sensitive objects on their own (`{{config}}`, `{{self}}`) too.
 * Plain placeholders (`Hello {{name}}`, `${price}`, `#{user.name}`, `{{ items|length }}`) give nothing.
 */

const MAX_EXPR = 4096;

/** Identifiers that are dangerous wherever they appear in an expression. */
const DANGER_WORDS = new Set([
  'getclass', 'forname', 'getruntime', 'processbuilder', 'getmethod', 'getdeclaredmethod', 'getdeclaredfield',
  'getdeclaredconstructor', 'newinstance', 'loadclass', 'classloader', 'getclassloader', 'getprotectiondomain',
  'scriptenginemanager', 'getenginebyname', 'objectconstructor', 'jythonruntime', 'child_process', 'mainmodule',
  'execsync', 'spawnsync', 'execfile', 'popen', 'popen2', 'subprocess', 'check_output', 'registerundefinedfiltercallback',
  'getfilter', 'smarty_internal_write_file', 'lipsum', 'cycler', 'joiner', 'get_flashed_messages',
  'constructor', 'fromcharcode', 'shell_exec', 'passthru', 'proc_open', 'pcntl_exec', 'getresourceasstream', 'getresource',
  'pagecontext', 'facescontext', 'applicationscope', 'sessionscope', 'secret_key', 'instance_eval', 'class_eval',
  'const_get', 'public_send', 'readpipe', 'file_get_contents', 'javascriptengine', 'nashorn', 'defineclass',
  'invokemethod', 'getbean', 'beanfactory',
]);

/** Identifiers that are dangerous when called: `exec(`, `system(`. */
const DANGER_CALLS = new Set([
  'exec', 'system', 'eval', 'spawn', 'fork', 'popen', 'import', 'require', 'readfile', 'assert', 'getattr',
  'execute', '_load', 'readdirsync', 'readfilesync', 'writefilesync', 'phpinfo', 'include', 'call_user_func',
  'shell_exec', 'passthru', 'getoutput', 'exec_command',
  // a walk up and down the class hierarchy to a gadget class, without dunders (Jinjava, Pebble: `''.class.mro()`)
  'mro', 'subclasses',
]);

/** Objects, and those of their members that are the attack (`os.popen`, `request.application`, `config.items`). */
const DANGER_PATHS = new Map<string, ReadonlySet<string>>([
  ['os', new Set(['popen', 'system', 'environ', 'listdir', 'getenv', 'spawnl', 'spawnv', 'execl', 'execv', 'execvp', 'remove', 'kill', 'chdir', 'fork', 'putenv', 'walk', 'getcwd', 'read', 'open', 'unlink', 'rmdir', 'popen2'])],
  ['sys', new Set(['modules', 'exit', 'settrace', 'meta_path', 'builtin_module_names'])],
  ['process', new Set(['env', 'mainmodule', 'binding', 'exit', 'kill', 'dlopen', 'getbuiltinmodule', '_linkedbinding', 'chdir', 'cwd', 'argv', 'execpath', 'stdout'])],
  ['require', new Set(['main', 'cache', 'resolve'])],
  ['global', new Set(['process', 'require', 'constructor', 'eval', 'function', 'buffer'])],
  ['globalthis', new Set(['process', 'require', 'constructor', 'eval', 'function'])],
  ['config', new Set(['items', 'from_object', 'from_pyfile', 'from_envvar', 'update', 'secret_key', 'values', 'keys', 'get'])],
  ['request', new Set(['application', 'environ', '_get_current_object', 'module', 'cookies_class', 'url_rule'])],
  ['kernel', new Set(['exec', 'system', 'open', 'spawn', 'eval', 'fork', 'load', 'require', 'send'])],
  ['file', new Set(['read', 'open', 'write', 'readlines', 'delete', 'unlink', 'binread', 'foreach', 'new'])],
  ['io', new Set(['popen', 'read', 'readlines', 'sysopen', 'write', 'foreach', 'binread', 'open'])],
  ['dir', new Set(['glob', 'entries', 'children', 'foreach', 'home', 'chdir'])],
  ['runtime', new Set(['getruntime', 'exec'])],
  ['java', new Set(['lang', 'io', 'net', 'nio', 'beans', 'rmi'])],
  ['javax', new Set(['script', 'naming', 'management'])],
  ['freemarker', new Set(['template'])],
  ['class', new Set(['forname', 'getclassloader', 'getmethod', 'inspect', 'type', 'loadclass'])],
  ['system', new Set(['getenv', 'getproperty', 'getproperties', 'exit', 'setproperty', 'setsecuritymanager', 'load', 'loadlibrary', 'diagnostics', 'io', 'reflection'])],
  ['settings', new Set(['secret_key', 'databases', 'aws_secret_access_key'])],
  ['app', new Set(['secret_key', 'view_functions', 'config'])],
  ['builtins', new Set(['eval', 'exec', 'open', 'compile'])],
  ['self', new Set(['_templatereference__context', '_module', 'module', 'environment', '_self'])],
  ['this', new Set(['constructor', 'process', 'mainmodule'])],
  ['module', new Set(['_load', 'require', 'constructor'])],
  ['string', new Set(['constructor'])],
]);
/** Objects that are sensitive on their own (`{{config}}`, `{{ request.x }}`): paranoia 2. */
const SENSITIVE = new Set(['config', 'self', 'settings', 'environ', 'request', 'os', 'sys', 'process', 'require', 'global', 'kernel', 'runtime', 'java', 'javax', 'freemarker', 'system', 'builtins']);
/** Members of sensitive objects that templates read all the time (`request.args`, `request.path`). */
const SAFE_MEMBERS = new Set([
  'args', 'form', 'values', 'path', 'method', 'url', 'host', 'name', 'title', 'id', 'cookies', 'headers', 'json',
  'user', 'data', 'files', 'length', 'value', 'first', 'last', 'size', 'count', 'text', 'lower', 'upper', 'format',
  'join', 'split', 'replace', 'strip', 'locale', 'lang', 'query', 'params', 'body', 'debug', 'version', 'props',
  'state', 'base_url', 'full_path', 'endpoint', 'remote_addr', 'scheme', 'referrer', 'blueprint', 'view_args',
]);

/** Jinja/Twig/Liquid/Django statement keywords. */
const STATEMENTS = new Set([
  'if', 'for', 'set', 'import', 'include', 'extends', 'macro', 'call', 'filter', 'raw', 'print', 'debug', 'with',
  'block', 'from', 'do', 'load', 'autoescape', 'spaceless', 'verbatim', 'sandbox', 'embed', 'apply', 'endif',
  'endfor', 'else', 'elif', 'cycle', 'assign', 'capture', 'unless', 'case', 'tablerow', 'render', 'liquid', 'echo',
  'while', 'end', 'each', 'puts', 'require', 'exec', 'system',
]);

const FREEMARKER = new Set(['assign', 'list', 'if', 'include', 'import', 'function', 'macro', 'global', 'local', 'attempt', 'setting', 'ftl', 'visit', 'recurse', 'compress', 'escape', 'noparse', 'items', 'sep', 'switch', 'return', 'stop', 'nested']);
const VELOCITY = new Set(['set', 'foreach', 'if', 'elseif', 'macro', 'evaluate', 'define', 'include', 'parse']);
const EXEC_STRINGS = new Set(['system', 'exec', 'passthru', 'shell_exec', 'popen', 'proc_open', 'assert', 'eval', 'id', 'whoami']);
const PERL_CALLS = new Set(['system', 'exec', 'qx', 'open', 'eval', 'require', 'readpipe', 'syscall', 'fork', 'kill', 'unlink', 'getpwuid', 'do', 'use', 'chdir', 'mkdir', 'rmdir', 'glob']);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdent(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Verdict {
  paranoia: Paranoia;
  ruleId: string;
  message: string;
}

/** Python-style escapes of the underscore and string concatenations (`'__cla'+'ss__'`) undone. */
function compact(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      const t = s.slice(i + 1, i + 4).toLowerCase();
      if (t === 'x5f') { out += '_'; i += 3; continue; }
      if (s.slice(i + 1, i + 6).toLowerCase() === 'u005f') { out += '_'; i += 5; continue; }
    }
    if (c === 39 || c === 34 || c === 43 || c === 126 || isSpace(c)) continue; // quotes, +, ~, spaces
    out += s[i];
  }
  return out.toLowerCase();
}

/** A Python dunder `__name__` in `s` (already compacted). */
function hasDunder(s: string): boolean {
  let from = 0;
  for (;;) {
    const at = s.indexOf('__', from);
    if (at < 0) return false;
    let j = at + 2;
    while (j < s.length && j - at < 40 && ((s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) || isDigit(s.charCodeAt(j)))) j++;
    if (j > at + 2 && s.startsWith('__', j)) return true;
    from = j > at + 2 ? j : at + 2;
  }
}

/** Only numbers, quoted numbers, operators and parentheses, with an operator between two numbers. */
function isArithmetic(s: string): boolean {
  let numbers = 0;
  let ops = 0;
  let lastWasNumber = false;
  let opBetween = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 40 || c === 41 || c === 123 || c === 125) continue;
    if (c === 39 || c === 34) {
      // '7' -> a number in quotes
      const close = s.indexOf(s[i]!, i + 1);
      if (close < 0 || close - i > 24) return false;
      for (let k = i + 1; k < close; k++) if (!isDigit(s.charCodeAt(k))) return false;
      if (close === i + 1) return false;
      if (lastWasNumber) return false;
      numbers++;
      if (ops > 0) opBetween = true;
      lastWasNumber = true;
      i = close;
      continue;
    }
    if (isDigit(c)) {
      if (lastWasNumber) return false;
      while (i + 1 < s.length && (isDigit(s.charCodeAt(i + 1)) || s.charCodeAt(i + 1) === 46)) i++;
      numbers++;
      if (ops > 0 && numbers >= 2) opBetween = true;
      lastWasNumber = true;
      continue;
    }
    if (c === 42 || c === 43 || c === 45 || c === 47 || c === 37) {
      if (numbers > 0) ops++;
      lastWasNumber = false;
      continue;
    }
    return false;
  }
  return numbers >= 2 && ops >= 1 && opBetween;
}

interface Tok { w: string; prev: string; next: string; nextWord: string }

/** Identifiers of an expression with the punctuation around them. */
function tokens(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let prev = '';
  while (i < s.length && out.length < 512) {
    const c = s.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96) {
      // string literal: skipped, but remembered as the previous token for `"x"?new()`
      let j = i + 1;
      while (j < s.length && j - i < 512 && s.charCodeAt(j) !== c) j++;
      i = j + 1;
      prev = 'str';
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (j < s.length && j - i < 64 && isIdent(s.charCodeAt(j))) j++;
      const w = s.slice(i, j).toLowerCase();
      let k = j;
      while (k < s.length && isSpace(s.charCodeAt(k))) k++;
      const next = k < s.length ? s[k]! : '';
      let nextWord = '';
      if (next === '.' || next === '[') {
        let m = k + 1;
        while (m < s.length && (isSpace(s.charCodeAt(m)) || s.charCodeAt(m) === 39 || s.charCodeAt(m) === 34)) m++;
        let e = m;
        while (e < s.length && e - m < 64 && isIdent(s.charCodeAt(e))) e++;
        nextWord = s.slice(m, e).toLowerCase();
      }
      out.push({ w, prev, next, nextWord });
      prev = w;
      i = j;
      continue;
    }
    if (!isSpace(c)) prev = s[i]!;
    i++;
  }
  return out;
}

function classify(content: string, kind: string): Verdict | undefined {
  const comp = compact(content);
  if (hasDunder(comp)) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression reaches Python internals (dunder attribute)` };
  if (comp.includes('?new(') || comp.includes('?api')) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression uses FreeMarker ?new/?api` };
  if (comp.includes('_self.env') || comp.includes('_self.')) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression reaches Twig _self` };
  // Flask's `{{config}}`: the whole application configuration, secret key included
  if (comp === 'config' || comp === 'config|safe') return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression dumps the application's configuration` };
  // Jinja2's `attr` filter with a name the request supplies (`request|attr(request.args.c)`): the sandbox bypass
  // that reaches dunders without writing them
  if (comp.includes('|attr(request.') || comp.includes('|attr(request|')) {
    return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression takes an attribute name from the request` };
  }
  // Symfony's Twig globals: `app.request.server` is PHP's $_SERVER (the environment, secrets included)
  if (comp.includes('app.request.server') || comp.includes('app.request.headers') || comp.includes('app.session')) {
    return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression reads Symfony's request environment` };
  }
  const toks = tokens(content);
  let call = '';
  let sensitive = '';
  for (let t = 0; t < toks.length; t++) {
    const { w, prev, next, nextWord } = toks[t]!;
    if (DANGER_WORDS.has(w)) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression uses ${w}` };
    if (next === '(' && DANGER_CALLS.has(w) && !(prev === '.' && SAFE_CALL_OWNERS.has(toks[t - 1]?.w ?? ''))) {
      return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression calls ${w}()` };
    }
    if (w === 't' && next === '(' && prev !== '.') {
      // SpEL type reference T(java.lang.Runtime)
      const nw = toks[t + 1]?.w ?? '';
      if (nw === 'java' || nw === 'javax' || nw === 'org' || nw === 'com' || nw === 'runtime' || nw === 'system') {
        return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression uses a SpEL type reference` };
      }
    }
    const members = DANGER_PATHS.get(w);
    if ((next === '.' || next === '[') && members && prev !== '.') {
      if (members.has(nextWord) || nextWord.startsWith('__')) {
        return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression uses ${w}.${nextWord}` };
      }
      if (SENSITIVE.has(w) && !SAFE_MEMBERS.has(nextWord) && sensitive === '') sensitive = `${w}.${nextWord}`;
    }
    if ((w === 'config' || w === 'self' || w === 'settings' || w === 'environ') && toks.length === 1) sensitive = w;
    if (w === 'open' && next === '(' && (content.includes('.read') || content.includes("('/") || content.includes('("/'))) {
      return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression opens a file` };
    }
    if ((w === 'filter' || w === 'map' || w === 'reduce' || w === 'sort' || w === 'call' || w === 'apply') && prev === '|' && next === '(') {
      const lower = content.toLowerCase();
      for (const e of EXEC_STRINGS) {
        if (lower.includes(`'${e}'`) || lower.includes(`"${e}"`)) {
          return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} filter callback to ${e}` };
        }
      }
    }
    if (next === '(' && call === '') call = w;
  }
  if (content.includes('`') && (kind === '<% %>' || kind === '#{ }')) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `${kind} expression with a backtick command` };
  if (isArithmetic(content)) return { paranoia: 1, ruleId: 'ssti-arithmetic-probe', message: `${kind} arithmetic probe` };
  if (sensitive !== '') return { paranoia: 2, ruleId: 'ssti-sensitive-object', message: `${kind} expression reads ${sensitive}` };
  if (call !== '') return { paranoia: 2, ruleId: 'ssti-call', message: `${kind} expression calls ${call}()` };
  return undefined;
}

/** Owners whose method of a dangerous-sounding name is harmless (`str.join`, `list.sort`). */
const SAFE_CALL_OWNERS = new Set(['string', 'str', 'array', 'list', 'math', 'json', 'date', 'console', 'path']);

/**
 * For every `(`, `[` and `{`, the index of its matching closer (or -1), from one stack pass per bracket kind, so
 * finding the end of an expression costs nothing however the brackets nest.
 */
function matchBrackets(v: string): Int32Array {
  const match = new Int32Array(v.length).fill(-1);
  const parens: number[] = [];
  const squares: number[] = [];
  const braces: number[] = [];
  for (let i = 0; i < v.length; i++) {
    switch (v.charCodeAt(i)) {
      case 40: parens.push(i); break;
      case 91: squares.push(i); break;
      case 123: braces.push(i); break;
      case 41: if (parens.length > 0) match[parens.pop()!] = i; break;
      case 93: if (squares.length > 0) match[squares.pop()!] = i; break;
      case 125: if (braces.length > 0) match[braces.pop()!] = i; break;
    }
  }
  return match;
}

/**
 * The pairs of characters that start every construct the scan in `detect` looks at (`c` = v[i], `d` = v[i + 1]);
 * every branch of that scan tests one of these pairs before anything else:
 *   `{`  then `{` `%` `/` or an identifier start   ({{ }}, {% %}, Smarty {php} {$x} {/x} {f(...)})
 *   `<`  then `%` or `#`                          (<% %>, FreeMarker <#directive>)
 *   `$`  then `{` or an identifier start but `$`   (${ }, Velocity $ref.chain)
 *   `#`  then `{` or an identifier start           (#{ }, Velocity #directive()
 *   `*` `~` then `{`                              (Thymeleaf *{ } ~{ })
 *   `@`  then `{` or `(`                          (@{ }, Perl @{[ ]}, Razor @( ))
 *   `?`  then `n`                                 (FreeMarker ?new()
 * (An identifier start is `isIdentStart`: an ASCII letter, `_` or `$`.) The search is one native regex pass.
 */
const OPENER = /\{[{%/A-Za-z_$]|<[%#]|\$[{A-Za-z_]|#[{A-Za-z_$]|[*~]\{|@[{(]|\?n/;

/** The first character of some OPENER pair (`{` `<` `$` `#` `*` `~` `@` `?`) is in `v`. */
function hasOpenerStart(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 123 || c === 60 || c === 36 || c === 35 || c === 42 || c === 126 || c === 64 || c === 63) return true;
  }
  return false;
}

/** Index of the first opener pair (see OPENER), or -1: before it no branch of the scan can fire. */
function firstOpener(v: string): number {
  const m = OPENER.exec(v);
  return m === null ? -1 : m.index;
}

/** Next occurrence of a needle at or after a position that only grows: amortised O(n) over a scan. */
class Next {
  private at = -2;
  private readonly v: string;
  private readonly needle: string;
  constructor(v: string, needle: string) {
    this.v = v;
    this.needle = needle;
  }
  from(i: number): number {
    if (this.at === -1 || this.at >= i) return this.at;
    this.at = this.v.indexOf(this.needle, i);
    return this.at;
  }
}

function statementWord(s: string): string {
  let i = 0;
  while (i < s.length && (isSpace(s.charCodeAt(i)) || s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43)) i++; // {%- / {%+
  let j = i;
  while (j < s.length && j - i < 16 && isIdent(s.charCodeAt(j))) j++;
  return s.slice(i, j).toLowerCase();
}

function excerpt(v: string, start: number, end: number): string {
  return v.slice(start, Math.min(end, start + 120));
}

/** Perl `@{[ ... ]}` interpolation (any number of `@`, spaces allowed); `at` is the `@` before `{`. */
function perl(v: string, at: number, match: (k: number) => number): (Verdict & { end: number }) | undefined {
  let i = at + 2;
  while (i < v.length && i - at < 64 && isSpace(v.charCodeAt(i))) i++;
  if (v.charCodeAt(i) !== 91) return undefined;
  const close = match(i);
  const content = v.slice(i + 1, close < 0 ? Math.min(v.length, i + 257) : close);
  const end = close < 0 ? Math.min(v.length, i + 257) : close + 1;
  for (const t of tokens(content)) {
    if (PERL_CALLS.has(t.w) || t.w === 'core') return { paranoia: 1, ruleId: 'ssti-perl-interpolation', message: `Perl interpolation calls ${t.w}`, end };
  }
  if (content.includes('`') || content.includes('$')) return { paranoia: 1, ruleId: 'ssti-perl-interpolation', message: 'Perl interpolation with code', end };
  // `@{[ func arg ]}`: a function applied to an argument is Perl code
  let k = 0;
  while (k < content.length && isSpace(content.charCodeAt(k))) k++;
  const w = k;
  while (k < content.length && k - w < 32 && isIdent(content.charCodeAt(k))) k++;
  if (k > w && k < content.length && (isSpace(content.charCodeAt(k)) || content.charCodeAt(k) === 40) && content.slice(k).trim() !== '') {
    return { paranoia: 1, ruleId: 'ssti-perl-interpolation', message: 'Perl interpolation calling a function', end };
  }
  if (content.trim() === '') return undefined;
  return { paranoia: 2, ruleId: 'ssti-perl-interpolation', message: 'Perl interpolation', end };
}

/** How many unclosed expressions are looked at (each up to UNCLOSED_LOOK characters): bounds the work on junk. */
const UNCLOSED_BUDGET = 32;
const UNCLOSED_LOOK = 256;

export const sstiDetector: Detector = {
  category: 'ssti',
  // the first character of an opener pair (see OPENER)
  needs: CH_BRACE | CH_LT | CH_DOLLAR | CH_HASH | CH_STAR | CH_TILDE | CH_AT | CH_QUESTION,
  detect(value: string, _context: DetectorContext, report: (finding: Finding) => void): void {
    const v = value;
    const n = v.length;
    if (n < 4) return;
    // a short value (keys, numbers) without the first character of an opener pair: read once, not searched
    if (n <= 8 && !hasOpenerStart(v)) return;
    // Cheap exit: the scan below does nothing before the first pair of characters that can open a construct (see
    // firstOpener), so it starts there, and a value without one (most prose) is done without allocating anything.
    const first = firstOpener(v);
    if (first < 0) return;
    // Bracket matching costs an array as long as the value: computed on first use (`#tag` or `$x.y` never need it).
    let matched: Int32Array | undefined;
    const match = (k: number): number => (matched ??= matchBrackets(v))[k]!;
    const pctBrace = new Next(v, '%}');
    const pctAngle = new Next(v, '%>');
    const angle = new Next(v, '>');
    let unclosed = UNCLOSED_BUDGET;
    let velocityDone = false;
    let velocityRefs = UNCLOSED_BUDGET;
    let best: (Verdict & { at: number; end: number }) | undefined;
    const consider = (verdict: Verdict | undefined, at: number, end: number): boolean => {
      if (verdict && (!best || verdict.paranoia < best.paranoia)) best = { ...verdict, at, end };
      return best !== undefined && best.paranoia === 1;
    };
    /** An unclosed expression counts only when dangerous (a truncated payload such as `${ ex("id")`). */
    const openVerdict = (content: string, kind: string): Verdict | undefined => {
      if (unclosed <= 0) return undefined;
      unclosed--;
      const verdict = classify(content.slice(0, UNCLOSED_LOOK), kind);
      return verdict && verdict.ruleId === 'ssti-dangerous-expression' ? verdict : undefined;
    };
    for (let i = first; i < n - 1; i++) {
      const c = v.charCodeAt(i);
      const d = v.charCodeAt(i + 1);
      // {{ ... }}  (the inner brace's match must be followed by the outer one)
      if (c === 123 && d === 123) {
        let s = i + 1;
        while (v.charCodeAt(s + 1) === 123 && s - i < 3) s++; // {{{ triple
        const m = match(s);
        if (m >= 0 && v.charCodeAt(m + 1) === 125) {
          const content = v.slice(s + 1, m);
          let verdict = classify(content, '{{ }}');
          if (!verdict || verdict.paranoia > 1) verdict = doubleBraceEngines(content) ?? verdict;
          if (!verdict && content.trimStart().startsWith('#with')) verdict = { paranoia: 2, ruleId: 'ssti-template-statement', message: 'Handlebars block helper' };
          if (consider(verdict, i, m + 2)) break;
          i = m + 1;
        } else {
          if (unclosed > 0 && consider(openVerdict(v.slice(s + 1, s + 1 + UNCLOSED_LOOK), '{{ }}'), i, Math.min(n, s + 1 + UNCLOSED_LOOK))) break;
          i = s - 1;
        }
        continue;
      }
      // {% ... %} and <% ... %>
      if ((c === 123 || c === 60) && d === 37) {
        const close = (c === 123 ? pctBrace : pctAngle).from(i + 2);
        let s = i + 2;
        const echo = c === 60 && (v[s] === '=' || v[s] === '-');
        if (echo) s++;
        const kind = c === 123 ? '{% %}' : '<% %>';
        if (close >= 0 && close - s <= MAX_EXPR) {
          const content = v.slice(s, close);
          let verdict = classify(content, kind);
          if (!verdict) {
            const word = statementWord(content);
            // Django's and Twig's `{% debug %}` alone prints the whole context, settings and secrets included
            if (word === 'debug' && c === 123 && content.trim() === 'debug') verdict = { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: 'template statement {% debug %} (prints the whole context)' };
            else if (STATEMENTS.has(word) || (c === 60 && !echo && (content.includes(';') || content.includes('=') || content.includes('(')))) {
              verdict = { paranoia: 2, ruleId: 'ssti-template-statement', message: `template statement ${kind} ${word}` };
            }
          }
          if (consider(verdict, i, close + 2)) break;
          i = close + 1;
        } else if (consider(openVerdict(v.slice(s, s + UNCLOSED_LOOK), kind), i, Math.min(n, s + UNCLOSED_LOOK))) {
          break;
        }
        continue;
      }
      // ${ #{ *{ ~{ @{  (and Perl @{[ )
      if (d === 123 && (c === 36 || c === 35 || c === 42 || c === 126 || c === 64)) {
        if (c === 64) {
          const p = perl(v, i, match);
          if (p) {
            if (consider(p, i, p.end)) break;
            i = p.end - 1;
            continue;
          }
        }
        const m = match(i + 1);
        const kind = v.slice(i, i + 2) + ' }';
        if (m >= 0 && m - i <= MAX_EXPR) {
          if (consider(classify(v.slice(i + 2, m), kind), i, m + 1)) break;
          i = m;
        } else if (consider(openVerdict(v.slice(i + 2, i + 2 + UNCLOSED_LOOK), kind), i, Math.min(n, i + 2 + UNCLOSED_LOOK))) {
          break;
        }
        continue;
      }
      // Razor @( ... )
      if (c === 64 && d === 40 && (i === 0 || !isIdent(v.charCodeAt(i - 1)))) {
        const m = match(i + 1);
        if (m >= 0 && m - i <= MAX_EXPR) {
          if (consider(classify(v.slice(i + 2, m), '@( )'), i, m + 1)) break;
          i = m;
        } else if (consider(openVerdict(v.slice(i + 2, i + 2 + UNCLOSED_LOOK), '@( )'), i, Math.min(n, i + 2 + UNCLOSED_LOOK))) {
          break;
        }
        continue;
      }
      // FreeMarker <#directive ...>
      if (c === 60 && d === 35) {
        const word = statementWord(v.slice(i + 2, i + 20));
        if (FREEMARKER.has(word) && (unclosed > 0 || !best)) {
          const close = angle.from(i + 2);
          const closed = close >= 0 && close - i <= MAX_EXPR;
          const end = closed ? close : Math.min(n, i + 2 + UNCLOSED_LOOK);
          const verdict = (closed ? classify(v.slice(i + 2, end), `<#${word}>`) : openVerdict(v.slice(i + 2, end), `<#${word}>`)) ??
            { paranoia: 2 as Paranoia, ruleId: 'ssti-template-statement', message: `FreeMarker directive <#${word}>` };
          if (consider(verdict, i, end + 1)) break;
          if (close >= 0 && close - i <= MAX_EXPR) i = close;
        }
        continue;
      }
      // Velocity #directive(
      if (c === 35 && isIdentStart(d) && !(velocityDone && best !== undefined)) {
        const word = statementWord(v.slice(i + 1, i + 16));
        if (VELOCITY.has(word) && v.charCodeAt(i + 1 + word.length) === 40) {
          // The dangerous part of a Velocity payload follows the directive: the rest is classified (once).
          let verdict: Verdict | undefined;
          if (!velocityDone) verdict = classify(v.slice(i, Math.min(n, i + MAX_EXPR)), `Velocity #${word}`);
          // `#set($a=7*7)$a`: Velocity's arithmetic probe
          if ((!verdict || verdict.paranoia > 1) && word === 'set' && VELOCITY_ARITHMETIC.test(v.slice(i + 4, Math.min(n, i + 64)))) {
            verdict = { paranoia: 1, ruleId: 'ssti-arithmetic-probe', message: 'Velocity #set arithmetic probe' };
          }
          velocityDone = true;
          if (consider(verdict ?? { paranoia: 2, ruleId: 'ssti-template-statement', message: `Velocity directive #${word}` }, i, Math.min(n, i + 80))) break;
        }
        continue;
      }
      // Velocity reference with a Java reflection chain: $x.getClass().forName(...), $class.inspect(...)
      if (c === 36 && isIdentStart(d) && d !== 36 && velocityRefs > 0) {
        let j = i + 1;
        while (j < n && j - i < 64 && isIdent(v.charCodeAt(j))) j++;
        if (v.charCodeAt(j) === 46) {
          velocityRefs--;
          const chain = v.slice(i, Math.min(n, i + UNCLOSED_LOOK));
          const t = tokens(chain);
          let verdict: Verdict | undefined;
          for (let k = 1; k < t.length && !verdict; k++) {
            const w = t[k]!.w;
            if (t[k]!.prev === '.' && (DANGER_WORDS.has(w) || (w === 'inspect' && t[k - 1]!.w === '$class'))) {
              verdict = { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: `Velocity reference uses ${w}` };
            }
          }
          if (consider(verdict, i, Math.min(n, i + 120))) break;
          i = j;
        }
        continue;
      }
      // Smarty {php} / {$smarty...} / {system('id')}
      if (c === 123 && (isIdentStart(d) || d === 47) && (i === 0 || !'$#*~@%{'.includes(v[i - 1]!))) {
        const m = match(i);
        if (m < 0 || m - i > 256) continue;
        const content = v.slice(i + 1, m);
        const lower = content.toLowerCase();
        let verdict: Verdict | undefined;
        if (lower === 'php' || lower === '/php') verdict = { paranoia: 1, ruleId: 'ssti-smarty', message: 'Smarty {php} tag' };
        else if (lower.startsWith('$smarty.')) verdict = { paranoia: 1, ruleId: 'ssti-smarty', message: 'Smarty $smarty variable' };
        else if (lower.startsWith('smarty_internal')) verdict = { paranoia: 1, ruleId: 'ssti-smarty', message: 'Smarty internal class' };
        else if (!content.includes('{') && !content.includes(':')) {
          const t = tokens(content);
          if (t.length > 0 && t[0]!.next === '(' && (DANGER_CALLS.has(t[0]!.w) || DANGER_WORDS.has(t[0]!.w))) {
            verdict = { paranoia: 1, ruleId: 'ssti-smarty', message: `Smarty function call ${t[0]!.w}()` };
          }
        }
        if (consider(verdict, i, m + 1)) break;
        continue;
      }
      // FreeMarker ?new() anywhere: "freemarker.template.utility.Execute"?new()
      if (c === 63 && d === 110 && v.startsWith('?new(', i)) {
        if (consider({ paranoia: 1, ruleId: 'ssti-dangerous-expression', message: 'FreeMarker ?new() built-in' }, Math.max(0, i - 40), i + 6)) break;
      }
    }
    if (!best || best.paranoia > 1) {
      const probe = polyglotProbe(v, first);
      if (probe >= 0) consider({ paranoia: 1, ruleId: 'ssti-polyglot-probe', message: 'delimiters of three or more template engines together (an engine-detection probe)' }, probe, Math.min(n, probe + POLYGLOT_WINDOW));
    }
    if (best) {
      report({ ruleId: best.ruleId, category: 'ssti', paranoia: best.paranoia, score: SCORE.critical, message: best.message, matched: excerpt(v, best.at, best.end) });
    }
  },
};

/** `($a=7*7)`: a reference set to a product or sum of literal numbers. */
const VELOCITY_ARITHMETIC = /^\(\s{0,4}\$\w{1,32}\s{0,4}=\s{0,4}\d{1,9}\s{0,4}[*+]\s{0,4}\d{1,9}\s{0,4}\)/;
/** Go template: a method of the data called with a string argument (`{{ .System "id" }}`, `{{ .Exec "ls" }}`). */
const GO_METHOD_CALL = /^-?\s{0,8}\.[A-Z]\w{0,63}(?:\.\w{1,64}){0,8}\s{1,8}"/;
/** Go template: a function that prints or calls, reading a field named for a secret (`{{ printf "%s" .Config.DatabasePassword }}`). */
const GO_SECRET_PRINT = /^-?\s{0,8}(?:printf|print|println|call|index|js|html)\s[^}]{0,200}?\.\w{0,64}(?:password|passwd|secret|token|apikey|privatekey|credential)/i;

/**
 * What other engines than Jinja's family do inside `{{ }}`: Handlebars' `lookup` of `constructor` (the way to
 * Function in its prototype-access exploits), Smarty's `{{$smarty.version}}` (with a second brace), Go templates
 * calling a method of the data with a string (`{{ .System "id" }}`) or printing a secret field.
 */
function doubleBraceEngines(content: string): Verdict | undefined {
  const lower = content.toLowerCase();
  if (lower.includes('lookup') && lower.includes('constructor')) {
    return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: 'Handlebars lookup of constructor' };
  }
  const start = lower.trimStart();
  if (start.startsWith('$smarty.')) return { paranoia: 1, ruleId: 'ssti-smarty', message: 'Smarty $smarty variable' };
  if (content.length <= 256 && GO_METHOD_CALL.test(content.trimStart())) return { paranoia: 1, ruleId: 'ssti-call', message: 'Go template calling a method of the data with a string' };
  if (content.length <= 256 && GO_SECRET_PRINT.test(content.trimStart())) return { paranoia: 1, ruleId: 'ssti-dangerous-expression', message: 'Go template printing a secret field' };
  return undefined;
}

/** Characters within which the delimiters of a polyglot probe sit together. */
const POLYGLOT_WINDOW = 16;

/**
 * A template-engine detection probe: the delimiters of three or more engine families within POLYGLOT_WINDOW
 * characters with no letter or digit among them (`${{<%[%'"}}%\.`, sent to see which engine errs). The families:
 * `{{` `}}` (Jinja, Twig, Handlebars), `${` (EL, FreeMarker, Mako), `<%` `%>` (ERB, JSP), `[%` `%]` (Template
 * Toolkit), `{%` `%}` (statements), `#{` (Ruby, JSF). Templates mix two at most (`${{ secrets.X }}`,
 * `{% if %}{{ x }}`), and their delimiters hold names. Returns where the window starts, or -1. One pass from `from`
 * (the letter check reads at most POLYGLOT_WINDOW characters, and only where three families meet).
 */
function polyglotProbe(v: string, from: number): number {
  const last = [-POLYGLOT_WINDOW - 1, -POLYGLOT_WINDOW - 1, -POLYGLOT_WINDOW - 1, -POLYGLOT_WINDOW - 1, -POLYGLOT_WINDOW - 1, -POLYGLOT_WINDOW - 1];
  for (let i = from; i < v.length - 1; i++) {
    const c = v.charCodeAt(i);
    const d = v.charCodeAt(i + 1);
    let family = -1;
    if ((c === 123 && d === 123) || (c === 125 && d === 125)) family = 0;
    else if (c === 36 && d === 123) family = 1;
    else if ((c === 60 && d === 37) || (c === 37 && d === 62)) family = 2;
    else if ((c === 91 && d === 37) || (c === 37 && d === 93)) family = 3;
    else if ((c === 123 && d === 37) || (c === 37 && d === 125)) family = 4;
    else if (c === 35 && d === 123) family = 5;
    if (family < 0) continue;
    last[family] = i;
    let near = 0;
    let start = i;
    for (let f = 0; f < 6; f++) {
      if (i - last[f]! <= POLYGLOT_WINDOW) { near++; if (last[f]! < start) start = last[f]!; }
    }
    if (near >= 3 && !hasAlphanumeric(v, start, i + 2)) return start;
  }
  return -1;
}

/** An ASCII letter or digit in v[from, to). */
function hasAlphanumeric(v: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = v.charCodeAt(k);
    if (isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 122)) return true;
  }
  return false;
}
