/**
 * JavaScript analysis for the XSS detector, on top of the lexer:
 *
 * - `checkJs` runs a small grammar automaton over the tokens (operand / operator alternation, bracket nesting,
 *   control statements, automatic semicolon insertion at line breaks) and says how far the text stays valid
 *   JavaScript. Prose fails within a few tokens (`how do I read ...` is identifier after identifier); code and
 *   injected code do not. In `AFTER_STRING` mode the text starts right after a quote that closed the
 *   application's string, so it must continue with an operator, `;`, `)`, ... and may close brackets it did not
 *   open (they belong to the application's code).
 * - `scanSinks` finds uses of the functions and properties an injected script needs (dialogs used as proofs,
 *   code evaluation, cookie and storage reads, navigation, network requests, DOM writes, decoders) and the
 *   obfuscated forms of calling them (`window['al'+'ert']()`, `alert.call`, `(alert)(1)`, `` [].map.call`${eval}` ``,
 *   comments inside member chains). It records each use as an event; the detector weighs the events by the
 *   context they were found in (a fragment of text, a complete script, a string break-out, an event handler).
 */
import {
  isIdentPart, isJsNewline, isJsSpace, JsLexer, TK_BADQUOTE, TK_EOF, TK_IDENT, TK_INVALID, TK_NUM, TK_PUNCT, TK_REGEX,
  TK_STR, TK_TMPL, TK_TMPL_HEAD, TK_TMPL_MID, TK_TMPL_TAIL,
} from './js-lexer.ts';

export const MODE_BARE = 0;
export const MODE_AFTER_STRING = 1;
export const MODE_ARGS = 2;

export interface JsCheck {
  /** Where the first grammar error starts (the end of the text when there is none). */
  errorAt: number;
  /** No error, brackets balanced, nothing dangling at the end. */
  complete: boolean;
  /** Calls (including tagged templates) and assignments seen before the error. */
  calls: number;
  assigns: number;
  /** Tokens accepted. */
  tokens: number;
  /** The text ended inside a string that the application's own closing quote would finish. */
  endedInString: boolean;
  /** Where the first line comment (`//`, `<!--`, `-->`) starts, or -1: text after it is not code. */
  firstLineComment: number;
}

const BINARY_KW = new Set(['in', 'instanceof', 'of', 'extends']);
/** Lengths (as bits) and first letters of BINARY_KW. */
const BINARY_KW_LENGTHS = [...BINARY_KW].reduce((bits, kw) => bits | (1 << kw.length), 0);
const BINARY_KW_FIRSTS = [...BINARY_KW].map((kw) => kw[0]).join('');
const PREFIX_KW = new Set([
  'typeof', 'void', 'delete', 'new', 'await', 'yield', 'throw', 'case', 'else', 'do', 'try', 'finally', 'var',
  'let', 'const', 'async',
]);
const STATEMENT_KW = new Set(['return', 'break', 'continue', 'debugger']);
const CONTROL_KW = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);
const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '**=', '<<=', '>>=', '>>>=', '&=', '|=', '^=', '&&=', '||=', '??=']);
const BINARY_OPS = new Set([
  '*', '/', '%', '**', '==', '===', '!=', '!==', '<', '>', '<=', '>=', '&&', '||', '??', '&', '|', '^', '<<', '>>',
  '>>>', '?', ':',
]);

// Bracket kinds on the checker's stack.
const B_PAREN = 1;
const B_CONTROL = 2;
const B_SQUARE = 3;
const B_CURLY = 4;
const B_SUBST = 5;

// What the checker expects next.
const E_OPERATOR = 0;
const E_OPERAND = 1;
const E_EITHER = 2;

const lexer = new JsLexer();

/** Checks how far `src[from, to)` is valid JavaScript in the given mode (see the file comment). */
export function checkJs(src: string, from: number, to: number, mode: number, maxTokens = 1 << 20): JsCheck {
  const lx = lexer.reset(src, from, to, mode === MODE_AFTER_STRING);
  // Arguments are checked as the inside of a parenthesis that the caller opened.
  const base = mode === MODE_ARGS ? 1 : 0;
  const stack: number[] = base === 1 ? [B_PAREN] : [];
  let expect = mode === MODE_AFTER_STRING ? E_OPERATOR : E_OPERAND;
  let dangling = false;
  let memberNext = false;
  let ctlPending = false;
  let fnPending = 0;
  let prevOpen = mode === MODE_ARGS; // previous token opened a bracket (or the argument list starts)
  let prevComma = false;
  let prevCloseParen = false;
  let calls = 0;
  let assigns = 0;
  let tokens = 0;
  let errorAt = -1;
  let endedInString = false;
  const afterString = mode === MODE_AFTER_STRING;

  for (;;) {
    const t = lx.next();
    if (t === TK_EOF) break;
    if (tokens >= maxTokens) { errorAt = lx.start; break; }
    const nl = lx.nl;
    const top = stack.length > 0 ? stack[stack.length - 1] : 0;
    const atBase = stack.length <= base;
    const asiOk = nl && top !== B_PAREN && top !== B_SQUARE && top !== B_CONTROL;
    let ok = true;
    let open = false;
    let comma = false;
    let closeParen = false;

    if (t === TK_IDENT) {
      const name = lx.text();
      if (memberNext) {
        memberNext = false;
        expect = E_OPERATOR;
        dangling = false;
      } else if (fnPending === 1 && expect === E_OPERAND) {
        fnPending = 2; // the function's name
      } else if (expect === E_OPERATOR && BINARY_KW.has(name)) {
        expect = E_OPERAND;
        dangling = true;
      } else if (expect === E_OPERATOR && !asiOk) {
        ok = false;
      } else if (PREFIX_KW.has(name)) {
        expect = E_OPERAND;
        dangling = name !== 'else' && name !== 'do' && name !== 'try' && name !== 'finally';
      } else if (CONTROL_KW.has(name)) {
        ctlPending = true;
        expect = E_OPERAND;
        dangling = true;
      } else if (name === 'function') {
        fnPending = 1;
        expect = E_OPERAND;
        dangling = true;
      } else if (STATEMENT_KW.has(name)) {
        expect = name === 'return' ? E_EITHER : E_OPERATOR;
        dangling = false;
      } else {
        expect = E_OPERATOR;
        dangling = false;
      }
    } else if (t === TK_NUM || t === TK_STR || t === TK_REGEX || t === TK_TMPL) {
      if (memberNext || ctlPending) ok = false;
      else if (expect === E_OPERATOR && t === TK_TMPL && !nl) calls++; // tagged template
      else if (expect === E_OPERATOR && !asiOk) ok = false;
      expect = E_OPERATOR;
      dangling = false;
    } else if (t === TK_BADQUOTE) {
      if (afterString && expect !== E_OPERATOR && !memberNext) {
        endedInString = true;
        tokens++;
        break;
      }
      ok = false;
    } else if (t === TK_TMPL_HEAD) {
      if (memberNext || ctlPending) ok = false;
      else if (expect === E_OPERATOR && !nl) calls++;
      else if (expect === E_OPERATOR && !asiOk) ok = false;
      stack.push(B_SUBST);
      expect = E_OPERAND;
      dangling = true;
    } else if (t === TK_TMPL_MID || t === TK_TMPL_TAIL) {
      if (top !== B_SUBST || expect === E_OPERAND) ok = false;
      else if (t === TK_TMPL_MID) { expect = E_OPERAND; dangling = true; }
      else { stack.pop(); expect = E_OPERATOR; dangling = false; }
    } else if (t === TK_PUNCT) {
      const p = lx.text();
      if (memberNext && p !== '[' && p !== '(') ok = false;
      else if (p === '(') {
        memberNext = false;
        if (ctlPending || fnPending > 0) {
          stack.push(B_CONTROL);
          ctlPending = false;
          fnPending = 0;
        } else {
          if (expect === E_OPERATOR) calls++;
          stack.push(B_PAREN);
        }
        expect = E_OPERAND;
        dangling = true;
        open = true;
      } else if (p === ')') {
        if (expect === E_OPERAND && !prevOpen && !prevComma) ok = false;
        else if ((top === B_PAREN || top === B_CONTROL) && !atBase) {
          stack.pop();
          expect = top === B_CONTROL ? E_OPERAND : E_OPERATOR;
          dangling = false;
          closeParen = true;
        } else if (top === 0 && afterString) {
          expect = E_OPERATOR;
          dangling = false;
          closeParen = true;
        } else ok = false;
      } else if (p === '[') {
        memberNext = false;
        if (ctlPending) ok = false;
        stack.push(B_SQUARE);
        expect = E_OPERAND;
        dangling = true;
        open = true;
      } else if (p === ']') {
        if (expect === E_OPERAND && !prevOpen && !prevComma) ok = false;
        else if (top === B_SQUARE) { stack.pop(); expect = E_OPERATOR; dangling = false; }
        else if (top === 0 && afterString) { expect = E_OPERATOR; dangling = false; }
        else ok = false;
      } else if (p === '{') {
        if (ctlPending) ok = false;
        else if (expect === E_OPERATOR && !prevCloseParen && !asiOk) ok = false;
        stack.push(B_CURLY);
        expect = E_OPERAND;
        dangling = false;
        open = true;
      } else if (p === '}') {
        if (top === B_CURLY) stack.pop();
        else if (!(top === 0 && afterString)) ok = false;
        expect = E_EITHER;
        dangling = false;
      } else if (p === ';') {
        if (top === B_PAREN || top === B_SQUARE || top === B_SUBST || ctlPending) ok = false;
        expect = E_OPERAND;
        dangling = false;
      } else if (p === ',') {
        if (expect === E_OPERAND && top !== B_SQUARE) ok = false;
        expect = E_OPERAND;
        dangling = true;
        comma = true;
      } else if (p === '.' || p === '?.') {
        if (expect === E_OPERAND) ok = false;
        memberNext = true;
        dangling = true;
      } else if (p === '...') {
        if (expect === E_OPERATOR) ok = false;
        expect = E_OPERAND;
        dangling = true;
      } else if (p === '!' || p === '~') {
        if (expect === E_OPERATOR && !asiOk) ok = false;
        expect = E_OPERAND;
        dangling = true;
      } else if (p === '+' || p === '-') {
        expect = E_OPERAND;
        dangling = true;
      } else if (p === '++' || p === '--') {
        if (expect === E_OPERAND || asiOk) { expect = E_OPERAND; dangling = true; }
      } else if (p === '=>') {
        if (expect === E_OPERAND) ok = false;
        expect = E_OPERAND;
        dangling = true;
      } else if (ASSIGN_OPS.has(p)) {
        if (expect === E_OPERAND) ok = false;
        assigns++;
        expect = E_OPERAND;
        dangling = true;
      } else if (BINARY_OPS.has(p)) {
        if (expect === E_OPERAND) ok = false;
        expect = E_OPERAND;
        dangling = true;
      } else ok = false;
    } else if (t === TK_INVALID) {
      ok = false;
    }
    if (!ok) {
      errorAt = lx.start;
      break;
    }
    tokens++;
    prevOpen = open;
    prevComma = comma;
    prevCloseParen = closeParen;
  }
  if (errorAt === -1) {
    const complete = !endedInString && stack.length === base && !dangling && !memberNext && !ctlPending && fnPending === 0;
    return { errorAt: to, complete, calls, assigns, tokens, endedInString, firstLineComment: lx.firstLineComment };
  }
  return { errorAt, complete: false, calls, assigns, tokens, endedInString, firstLineComment: lx.firstLineComment };
}

/**
 * True when `checkJs(src, at, to, MODE_AFTER_STRING)` accepts no token because an identifier starts right at `at`
 * (`it's`, `O'Brien`): after the string an operator must come, and an identifier is one only as a binary keyword
 * (`in`, `of`...), which the identifier's ASCII letters and digits are not (a longer identifier is none either).
 */
export function identifierAfterString(src: string, at: number, to: number): boolean {
  if (at >= to || !isAsciiLetter(src.charCodeAt(at))) return false;
  let end = at + 1;
  while (end < to) {
    const c = src.charCodeAt(end);
    if (!(isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x24 || c === 0x5f)) break;
    end++;
  }
  // Sliced only when its length and first letter are those of a binary keyword: words of prose seldom are.
  const length = end - at;
  if (length > 31 || (BINARY_KW_LENGTHS & (1 << length)) === 0 || !BINARY_KW_FIRSTS.includes(src[at]!)) return true;
  return !BINARY_KW.has(src.slice(at, end));
}

// ---------------------------------------------------------------------------------------------------------------
// Sinks

/** Event kinds, strongest meaning first. */
export const K_PROBE = 1; // alert / prompt / confirm: the proof-of-concept dialogs
export const K_EXEC = 2; // eval, Function, string timers, document.write, dynamic import, constructor.constructor
export const K_OBF = 3; // calls through obfuscation (window['x'](), x.call`...`)
export const K_SECRET = 4; // document.cookie, document.domain, web storage
export const K_NAV = 5; // location assignment, window.open, navigation.navigate
export const K_NET = 6; // fetch, XMLHttpRequest, sendBeacon, new Image, $.getScript
export const K_DOM = 7; // innerHTML writes, createElement, appendChild...
export const K_DECODE = 8; // atob, btoa, unescape, String.fromCharCode
export const K_TIMER = 9; // setTimeout / setInterval with a function

/** How a sink was used. */
export const F_CALL = 1; // called: f(...), f`...`, f?.(...), f.call(...)
export const F_VALUE = 2; // handed on so that it gets called: (f)(1), [1].map(f), tag`${f}`
export const F_ASSIGNED = 3; // stored: x = f
export const F_REF = 4; // read: document.cookie
export const F_WRITE = 5; // written: location = ..., el.innerHTML = ...
export const F_NEW = 6; // constructed: new XMLHttpRequest

export interface JsEvent {
  kind: number;
  form: number;
  /** Where the use starts and ends in the text (a call includes its arguments). */
  start: number;
  end: number;
  /** Arguments of a call (start, end); -1 when not a call. */
  argsStart: number;
  argsEnd: number;
  /** The use is unambiguous even in the middle of prose (literal arguments, tagged templates, `.call`...). */
  strong: boolean;
  /** Hidden by bracket access with strings, comments inside a member chain, or similar. */
  obf: boolean;
  name: string;
}

const S_DIALOG = 1;
const S_EVAL = 2;
const S_TIMER = 3;
const S_FUNCTION = 4;
const S_GLOBALEVAL = 5;
const S_CONSTRUCTOR = 6;
const S_WRITE = 7;
const S_IMPORT = 8;
const S_DECODE = 9;
const S_FROMCHARCODE = 10;
const S_DOCPROP = 11;
const S_STORAGE = 12;
const S_LOCATION = 13;
const S_OPEN = 14;
const S_NAVIGATE = 15;
const S_FETCH = 16;
const S_BEACON = 17;
const S_NEWNET = 18;
const S_JQNET = 19;
const S_HTMLPROP = 20;
const S_DOMCALL = 21;
const S_CALLTAG = 22;
const S_ROOT = 23;
const S_IMPORTSCRIPTS = 24;

/** (first character, length) of every sink name: a cheap filter before slicing an identifier. */
const SINK_KEYS = new Set<number>();

const SINKS = new Map<string, number>([
  ['alert', S_DIALOG], ['prompt', S_DIALOG], ['confirm', S_DIALOG],
  ['eval', S_EVAL], ['execScript', S_EVAL],
  ['setTimeout', S_TIMER], ['setInterval', S_TIMER], ['setImmediate', S_TIMER], ['msSetImmediate', S_TIMER],
  ['Function', S_FUNCTION], ['globalEval', S_GLOBALEVAL], ['constructor', S_CONSTRUCTOR],
  ['write', S_WRITE], ['writeln', S_WRITE], ['import', S_IMPORT], ['importScripts', S_IMPORTSCRIPTS],
  ['atob', S_DECODE], ['btoa', S_DECODE], ['unescape', S_DECODE], ['fromCharCode', S_FROMCHARCODE],
  ['fromCodePoint', S_FROMCHARCODE],
  ['cookie', S_DOCPROP], ['domain', S_DOCPROP], ['localStorage', S_STORAGE], ['sessionStorage', S_STORAGE],
  ['location', S_LOCATION], ['open', S_OPEN], ['navigate', S_NAVIGATE],
  ['fetch', S_FETCH], ['sendBeacon', S_BEACON],
  ['XMLHttpRequest', S_NEWNET], ['WebSocket', S_NEWNET], ['EventSource', S_NEWNET], ['Image', S_NEWNET],
  ['getScript', S_JQNET], ['getJSON', S_JQNET], ['ajax', S_JQNET],
  ['innerHTML', S_HTMLPROP], ['outerHTML', S_HTMLPROP], ['srcdoc', S_HTMLPROP],
  ['insertAdjacentHTML', S_DOMCALL], ['createElement', S_DOMCALL], ['appendChild', S_DOMCALL],
  ['createContextualFragment', S_DOMCALL], ['setAttribute', S_DOMCALL], ['querySelector', S_DOMCALL],
  ['getElementById', S_DOMCALL], ['append', S_DOMCALL], ['prepend', S_DOMCALL], ['replaceWith', S_DOMCALL],
  ['call', S_CALLTAG], ['apply', S_CALLTAG],
  ['window', S_ROOT], ['self', S_ROOT], ['top', S_ROOT], ['parent', S_ROOT], ['frames', S_ROOT],
  ['globalThis', S_ROOT], ['this', S_ROOT], ['content', S_ROOT], ['opener', S_ROOT], ['document', S_ROOT],
]);

for (const name of SINKS.keys()) SINK_KEYS.add(name.charCodeAt(0) * 64 + name.length);

// ---------------------------------------------------------------------------------------------------------------
// Prescan: can `scanSinks` find anything at all in a range?
//
// Every event comes from `examine`, which the scan only calls for an identifier token whose text is a key of
// SINKS. Those keys are ASCII letters only, so such a token is a run of identifier characters that the lexer read
// as one identifier. The lexer's identifiers are greedy (they end where `isIdentPart` fails and no `\u` follows),
// and a token starts right after an identifier character in one case only: after the flags of a regular
// expression (`/x/galert`), since numbers swallow every ASCII letter and an identifier after one starts with `$`,
// `\u` or a non-ASCII character, which no sink name does. So a sink token starts at the start of the range, after
// a character that is no identifier part, or after `/` and regular-expression flags; and it ends at the end of the
// range or before a character that is no identifier part.
//
// Then `examine` reports nothing unless the tokens around the name fit its kind. Only two characters are needed
// for that: `next`, the first one after the name that is no white space (the first character of the lookahead
// token, which is read with the same rules; when a `/* */` comment comes first, the prescan does not look past
// it and takes the name as a candidate), and `prev`, the last one before the name that is no white space (the last
// character of the previous token, or the `/` ending a comment: then anything may come before, and PREV_UNKNOWN
// stands for it). The conditions in `mayFire` are read off `examine` and `rootBracket`; each is implied by what
// the code there tests.

const NONE = -1;
const PREV_UNKNOWN = -2;
const NEXT_COMMENT = -3;

/** Could `examine` report the sink `sink` whose name is followed by `next` and preceded by `prev`? */
function mayFire(sink: number, next: number, prev: number): boolean {
  // p1 is `.` or `?.`: ends with `.`, unless a comment stands between.
  const member = prev === 0x2e || prev === PREV_UNKNOWN;
  switch (sink) {
    case S_DIALOG:
    case S_EVAL:
    case S_TIMER:
      // `callable`: f(...), f`...`, f?.(...), f.call(...); value uses (f)(1), x.map(f), x.map(f, y), `${f}`
      // (lookahead `}`), and `on...=f` (previous token `=`).
      return next === 0x28 || next === 0x60 || next === 0x3f || next === 0x2e || next === 0x7d || next === 0x29 ||
        next === 0x2c || prev === 0x3d || prev === PREV_UNKNOWN;
    case S_FUNCTION:
    case S_GLOBALEVAL:
    case S_IMPORTSCRIPTS:
      return next === 0x28 || next === 0x60;
    case S_CONSTRUCTOR:
      return next === 0x28 || next === 0x60 || next === 0x2e;
    case S_WRITE:
      return member && (next === 0x28 || next === 0x60);
    case S_IMPORT:
    case S_DECODE:
    case S_FETCH:
      return next === 0x28;
    case S_FROMCHARCODE:
    case S_OPEN:
    case S_BEACON:
    case S_JQNET:
    case S_DOMCALL:
      return member && next === 0x28;
    case S_DOCPROP:
      return member;
    case S_LOCATION:
      return member || next === 0x3d || next === 0x2e;
    case S_NAVIGATE:
      return member && (next === 0x28 || next === 0x60 || next === 0x7d);
    case S_NEWNET:
      // After the keyword `new`.
      return prev === 0x77 || prev === PREV_UNKNOWN;
    case S_HTMLPROP:
      return member && (next === 0x3d || next === 0x2b);
    case S_CALLTAG:
      return member && next === 0x60;
    case S_ROOT:
      // `root[...]` or `(root)[...]`.
      return next === 0x5b || next === 0x29;
    default:
      // S_STORAGE: reported on its own.
      return true;
  }
}

/**
 * Sink names, without and with the roots (which only matter before `[` or `)[`); checked against SINKS below. `\b`
 * makes the search faster: it holds before every candidate but one after regular-expression flags, which `maySink`
 * looks for itself.
 */
const SINK_NAMES = /\b(?:alert|prompt|confirm|eval|execScript|setTimeout|setInterval|setImmediate|msSetImmediate|Function|globalEval|constructor|writeln|write|importScripts|import|atob|btoa|unescape|fromCharCode|fromCodePoint|cookie|domain|localStorage|sessionStorage|location|open|navigate|fetch|sendBeacon|XMLHttpRequest|WebSocket|EventSource|Image|getScript|getJSON|ajax|innerHTML|outerHTML|srcdoc|insertAdjacentHTML|createElement|appendChild|createContextualFragment|setAttribute|querySelector|getElementById|append|prepend|replaceWith|call|apply)(?![\w$])/g;
const ROOT_NAMES = /\b(?:window|self|top|parent|frames|globalThis|this|content|opener|document)(?![\w$])/g;

for (const [name, sink] of SINKS) {
  const re = sink === S_ROOT ? ROOT_NAMES : SINK_NAMES;
  re.lastIndex = 0;
  const m = re.exec(name);
  if (m === null || m.index !== 0 || m[0] !== name) throw new Error(`xss: sink ${name} missing from the prescan pattern`);
}

/**
 * Words in the names of the sinks that `mayFire` accepts with no punctuation around them (`localStorage`,
 * `new Image`), and capitals one of which each word holds: a value without them and without the punctuation of
 * `mayFire` holds no sink use (xss.ts skips the JavaScript reading then). Checked against SINKS below.
 */
export const BARE_SINKS = /Storage|Image|XMLHttpRequest|WebSocket|EventSource/;
export const BARE_SINK_CAPITALS = 'SIXWE';

for (const [name, sink] of SINKS) {
  // 0x61 and 0x77 stand for letters (`w`: the end of `new`), NONE for nothing.
  const bare = mayFire(sink, NONE, NONE) || mayFire(sink, NONE, 0x77) || mayFire(sink, 0x61, 0x61);
  if (bare && !BARE_SINKS.test(name)) throw new Error(`xss: sink ${name} missing from BARE_SINKS`);
}
for (const word of BARE_SINKS.source.split('|')) {
  if (![...BARE_SINK_CAPITALS].some((c) => word.includes(c))) throw new Error(`xss: ${word} has none of BARE_SINK_CAPITALS`);
}

export function isRegexFlag(c: number): boolean {
  // The lexer's REGEX_FLAGS: d g i m s u y v
  return c === 0x64 || c === 0x67 || c === 0x69 || c === 0x6d || c === 0x73 || c === 0x75 || c === 0x79 || c === 0x76;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

// The helpers below work on the scanned range alone (`text`): its ends are where the lexer starts and stops.

/** The lexer may read `text[start, end)` as one identifier token (see above). */
function isTokenAt(text: string, start: number, end: number): boolean {
  if (end < text.length && isIdentPart(text.charCodeAt(end))) return false;
  if (start === 0 || !isIdentPart(text.charCodeAt(start - 1))) return true;
  let k = start - 1;
  while (k >= 0 && isRegexFlag(text.charCodeAt(k))) k--;
  return k >= 0 && text.charCodeAt(k) === 0x2f;
}

/**
 * First character of the lookahead token at `from` (white space skipped), NONE at the end, or NEXT_COMMENT before
 * a block comment (not skipped here: finding its end could make the prescan quadratic).
 */
function nextChar(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isJsSpace(c) || isJsNewline(c)) continue;
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) return NEXT_COMMENT;
    return c;
  }
  return NONE;
}

/** Last character before `at` that is no white space (PREV_UNKNOWN for a `/`, which may end a comment), or NONE. */
function prevChar(text: string, at: number): number {
  let i = at - 1;
  while (i >= 0 && (isJsSpace(text.charCodeAt(i)) || isJsNewline(text.charCodeAt(i)))) i--;
  if (i < 0) return NONE;
  const c = text.charCodeAt(i);
  return c === 0x2f ? PREV_UNKNOWN : c;
}

function candidateMayFire(text: string, start: number, end: number): boolean {
  const sink = SINKS.get(text.slice(start, end));
  if (sink === undefined || !isTokenAt(text, start, end)) return false;
  const next = nextChar(text, end);
  return next === NEXT_COMMENT || mayFire(sink, next, prevChar(text, start));
}

function searchNames(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (m === null) return false;
    if (candidateMayFire(text, m.index, m.index + m[0].length)) return true;
    // A match inside a longer word may hide a token starting within it (after regular-expression flags).
    re.lastIndex = m.index + 1;
  }
}

/** False when `scanSinks(src, from, to, ...)` cannot record any event (see above); true when it may. */
function maySink(src: string, from: number, to: number): boolean {
  if (to - from < 3) return false;
  // The range alone: the patterns see its ends as the lexer does (a word it cuts ends there), and search no further.
  const text = from === 0 && to === src.length ? src : src.slice(from, to);
  return maySinkIn(text, true, true, true);
}

/**
 * `maySink` over the whole of `text`. A match of the name patterns that `candidateMayFire` accepts is a whole word
 * (a maximal run of identifier characters: `\b` holds before it, `isTokenAt` rejects the matches that a `$` or a
 * non-ASCII character precedes), so a caller that knows that no word of `text` is a sink name (`names` false) or
 * a root (`roots` false) skips that search.
 */
function maySinkIn(text: string, names: boolean, roots: boolean, afterFlags: boolean): boolean {
  if (names && searchNames(SINK_NAMES, text)) return true;
  // A root is only reported before a `[` (`root[...]`, `(root)[...]`).
  if (roots && text.indexOf('[') !== -1 && searchNames(ROOT_NAMES, text)) return true;
  // What `\b` hides: a name right after the flags of a regular expression (`/x/galert`; the lexer ends the flags
  // at the first letter that is none). `afterFlags` false: the caller knows that no `/` is followed by flags and
  // a letter.
  if (!afterFlags) return false;
  for (let slash = text.indexOf('/'); slash !== -1; slash = text.indexOf('/', slash + 1)) {
    let k = slash + 1;
    while (k < text.length && isRegexFlag(text.charCodeAt(k))) k++;
    if (k === slash + 1 || k >= text.length || !isAsciiLetter(text.charCodeAt(k))) continue;
    let end = k + 1;
    while (end < text.length && isIdentPart(text.charCodeAt(end))) end++;
    if (candidateMayFire(text, k, end)) return true;
  }
  return false;
}

/** Objects through which a global function or property is reached (`window.alert`, `top['eval']`). */
const GLOBAL_ROOTS = new Set(['window', 'self', 'top', 'parent', 'frames', 'globalThis', 'this', 'content', 'opener',
  'defaultView', 'contentWindow']);

/** Resolved names (bracket access with strings) that make the access a call of a dangerous function. */
const BRACKET_EXEC = new Set(['alert', 'prompt', 'confirm', 'eval', 'execScript', 'Function', 'constructor',
  'globalEval', 'setTimeout', 'setInterval', 'write', 'writeln', 'open', 'fetch', 'atob', 'location', 'cookie',
  'domain', 'navigate', 'import']);

// Lookahead buffer: up to LA_MAX tokens after the current one.
const LA_MAX = 4;
const laType = new Int32Array(LA_MAX);
const laStart = new Int32Array(LA_MAX);
const laEnd = new Int32Array(LA_MAX);
const laLexer = new JsLexer();
const subLexer = new JsLexer();

interface Budget { tokens: number }

function fillLookahead(src: string, from: number, to: number, budget: Budget): void {
  const lx = laLexer.reset(src, from, to, true, false);
  for (let k = 0; k < LA_MAX; k++) {
    const t = lx.next();
    laType[k] = t;
    laStart[k] = lx.start;
    laEnd[k] = lx.end;
    budget.tokens--;
    if (t === TK_EOF) {
      for (let j = k + 1; j < LA_MAX; j++) { laType[j] = TK_EOF; laStart[j] = to; laEnd[j] = to; }
      return;
    }
  }
}

function laIs(src: string, k: number, p: string): boolean {
  return laType[k] === TK_PUNCT && laEnd[k] - laStart[k] === p.length && src.startsWith(p, laStart[k]);
}

function laIsIdent(src: string, k: number, name: string): boolean {
  return laType[k] === TK_IDENT && laEnd[k] - laStart[k] === name.length && src.startsWith(name, laStart[k]);
}

function laIsTemplate(k: number): boolean {
  return laType[k] === TK_TMPL || laType[k] === TK_TMPL_HEAD;
}

/** Index of the `)` (or `]`) matching an opener that ended at `from`, or -1. */
function findClose(src: string, from: number, to: number, open: number, close: number, budget: Budget): number {
  const lx = subLexer.reset(src, from, to, false, false);
  let depth = 1;
  // Arguments and subscripts longer than this are not what an injected call looks like.
  let steps = 4096;
  for (;;) {
    const t = lx.next();
    if (t === TK_EOF || --budget.tokens < 0 || --steps < 0) return -1;
    if (t !== TK_PUNCT || lx.end - lx.start !== 1) continue;
    const c = src.charCodeAt(lx.start);
    if (c === open) depth++;
    else if (c === close && --depth === 0) return lx.start;
  }
}

interface ArgsInfo {
  valid: boolean;
  empty: boolean;
  /** Only identifiers and operators: `(s)`, `(yes/no)`. Prose can look like this; code rarely. */
  identOnly: boolean;
  /** First argument is a string, a template, or an identifier concatenated with `+`. */
  firstIsString: boolean;
  /** First argument is a lone identifier (a variable that may hold a string: `setTimeout(name)`). */
  firstIsIdent: boolean;
  numbers: number;
}

function argsInfo(src: string, from: number, to: number, budget: Budget): ArgsInfo {
  const check = checkJs(src, from, to, MODE_ARGS, 4096);
  budget.tokens -= check.tokens;
  const lx = subLexer.reset(src, from, to, false);
  let empty = true;
  let identOnly = true;
  let firstIsString = false;
  let numbers = 0;
  let index = 0;
  let firstIdent = false;
  let firstIsIdent = false;
  for (;;) {
    const t = lx.next();
    if (t === TK_EOF || index > 4096) break;
    if (index === 0) {
      firstIsString = t === TK_STR || t === TK_TMPL || t === TK_TMPL_HEAD;
      firstIdent = t === TK_IDENT;
    } else if (index === 1 && firstIdent) {
      if (lx.is('+')) firstIsString = true;
      else if (lx.is(',')) firstIsIdent = true;
    }
    empty = false;
    if (t === TK_NUM) numbers++;
    if (t !== TK_IDENT && !(t === TK_PUNCT && (lx.is('/') || lx.is('-') || lx.is(',') || lx.is('+') || lx.is('*')))) identOnly = false;
    index++;
  }
  budget.tokens -= index;
  if (empty) identOnly = false;
  if (index === 1 && firstIdent) firstIsIdent = true;
  if (firstIsIdent && (src.startsWith('function', from) || src.startsWith('async', from))) firstIsIdent = false;
  return { valid: check.complete || empty, empty, identOnly, firstIsString, firstIsIdent, numbers };
}

/** A previous token, kept in a small ring. */
interface Prev { type: number; start: number; end: number; comment: boolean; nl: boolean }

function newPrev(): Prev { return { type: TK_EOF, start: 0, end: 0, comment: false, nl: false }; }

function prevIs(src: string, p: Prev, punct: string): boolean {
  return p.type === TK_PUNCT && p.end - p.start === punct.length && src.startsWith(punct, p.start);
}

/**
 * After `at NAME`, the rest of a V8 stack frame: ` (file:line:col)`, ` (<anonymous>)`, or V8's eval origin
 * (`at eval (eval at globalEval (https://.../jquery.min.js:2:2645), <anonymous>:1:1)`): a function named in an error
 * report, not a call.
 */
/**
 * The token before is `at`, or `new` after `at` (`at new Function (<anonymous>)`), or a member of an object named
 * after `at` (`at Function.globalEval (...)`, `at Object.eval (...)`).
 */
function afterAt(src: string, p1: Prev, p2: Prev, p3: Prev): boolean {
  const isAt = (p: Prev): boolean => p.type === TK_IDENT && p.end - p.start === 2 && src.startsWith('at', p.start);
  return isAt(p1) || (p1.type === TK_IDENT && p1.end - p1.start === 3 && src.startsWith('new', p1.start) && isAt(p2)) ||
    (prevIs(src, p1, '.') && p2.type === TK_IDENT && isAt(p3));
}

function stackFrameAt(src: string, end: number): boolean {
  if (src.charCodeAt(end) !== 32 || src.charCodeAt(end + 1) !== 40) return false;
  const close = src.indexOf(')', end + 2);
  if (close < 0 || close - end > 400) return false;
  const inside = src.slice(end + 2, close);
  // (`()`: the frame's `(<anonymous>)` with the markup removed by the engine's tag-stripped reading)
  return inside.startsWith('eval at ') || inside.includes('<anonymous>') || inside === 'native' || inside === '' || FRAME_LOCATION.test(inside);
}
const FRAME_LOCATION = /:\d{1,7}:\d{1,7}$/;

function prevText(src: string, p: Prev): string {
  return p.type === TK_IDENT ? src.slice(p.start, p.end) : '';
}

const mainLexer = new JsLexer();

/**
 * Appends to `out` every sink use found in `src[from, to)`. Stops early when `out` holds `maxEvents` events or the
 * token budget (lookahead and argument checks included) is spent.
 */
export function scanSinks(src: string, from: number, to: number, out: JsEvent[], maxEvents = 48, anyObject = false): void {
  // Lexing is the costly part; most text (prose, identifiers, numbers) names no sink or lacks what it needs.
  if (maySink(src, from, to)) lexSinks(src, from, to, out, maxEvents, anyObject);
}

/**
 * `scanSinks(src, 0, src.length, out)` for a caller that has read the words of `src` and knows whether one of them
 * is a sink name (`names`, other than a root) or a root (`roots`), and whether a `/` is followed by regular
 * expression flags and a letter (`afterFlags`): see `maySinkIn`.
 */
export function scanSinksOfWords(src: string, out: JsEvent[], names: boolean, roots: boolean, afterFlags: boolean): void {
  if (src.length >= 3 && maySinkIn(src, names, roots, afterFlags)) lexSinks(src, 0, src.length, out, 48, false);
}

/** Every sink name, and whether it is a root (the object before `[`, as in `window['al'+'ert']`). */
export const SINK_NAME_LIST: readonly (readonly [string, boolean])[] = [...SINKS].map(([name, sink]) => [name, sink === S_ROOT] as const);

function lexSinks(src: string, from: number, to: number, out: JsEvent[], maxEvents: number, anyObject: boolean): void {
  // Lookahead and argument checks share a budget proportional to the text; the main pass is linear by itself.
  const budget: Budget = { tokens: 20_000 + (to - from) };
  const lx = mainLexer.reset(src, from, to, false, false);
  const p1 = newPrev();
  const p2 = newPrev();
  const p3 = newPrev();
  const shift = (): void => {
    p3.type = p2.type; p3.start = p2.start; p3.end = p2.end; p3.comment = p2.comment; p3.nl = p2.nl;
    p2.type = p1.type; p2.start = p1.start; p2.end = p1.end; p2.comment = p1.comment; p2.nl = p1.nl;
    p1.type = lx.type; p1.start = lx.start; p1.end = lx.end; p1.comment = lx.comment; p1.nl = lx.nl;
  };
  for (;;) {
    const t = lx.next();
    if (t === TK_EOF || out.length >= 4 * maxEvents) return;
    if (t === TK_IDENT) {
      const len = lx.end - lx.start;
      if (len >= 3 && len <= 24 && SINK_KEYS.has(src.charCodeAt(lx.start) * 64 + len)) {
        const name = lx.text();
        const sink = SINKS.get(name);
        if (sink !== undefined && budget.tokens > 0 && !(afterAt(src, p1, p2, p3) && stackFrameAt(src, lx.end))) {
          // Suspend the main lexer's state: the analysis uses its own lexers.
          const here = { start: lx.start, end: lx.end, comment: lx.comment };
          const before = out.length;
          examine(src, to, name, sink, here, p1, p2, p3, out, budget, anyObject);
          // Past `maxEvents`, only strong uses are kept: padding a value with weak ones hides nothing.
          if (out.length > before && before >= maxEvents) {
            const e = out[out.length - 1];
            if (!(e.strong && (e.kind === K_PROBE || e.kind === K_EXEC || e.kind === K_OBF))) out.length = before;
          }
        }
      }
    }
    shift();
  }
}

// `mayFire` (above) states, for each kind of sink, a necessary condition for what this function reports: keep the
// two in step.
function examine(
  src: string, to: number, name: string, sink: number, tok: { start: number; end: number; comment: boolean },
  p1: Prev, p2: Prev, p3: Prev, out: JsEvent[], budget: Budget, anyObject: boolean,
): void {
  const member = prevIs(src, p1, '.') || prevIs(src, p1, '?.');
  const object = member ? prevText(src, p2) : '';
  // In code that certainly runs (an event handler, a script URL), `$event.view.alert(1)` is as good as `alert(1)`.
  const viaRoot = !member || anyObject || GLOBAL_ROOTS.has(object);
  const start = member && p2.type !== TK_EOF ? p2.start : tok.start;
  const obfMember = member && (p1.comment || tok.comment);
  fillLookahead(src, tok.end, to, budget);
  const gap = laStart[0] > tok.end;
  const push = (kind: number, form: number, end: number, strong: boolean, obf = false, argsStart = -1, argsEnd = -1): void => {
    out.push({ kind, form, start, end, argsStart, argsEnd, strong, obf: obf || obfMember, name });
  };

  /** Direct call `name(...)`: returns [closeIndex, info] or null. */
  const directCall = (): { close: number; info: ArgsInfo } | null => {
    if (!laIs(src, 0, '(')) return null;
    const close = findClose(src, laEnd[0], to, 0x28, 0x29, budget);
    if (close === -1) return null;
    return { close, info: argsInfo(src, laEnd[0], close, budget) };
  };
  /** Calls that do not need argument checks: tagged template, `?.(`, `.call(`/`.apply(`/`.bind(`. */
  const indirectCall = (): number => {
    if (laIsTemplate(0)) return laEnd[0];
    if (laIs(src, 0, '?.') && laIs(src, 1, '(')) return laEnd[1];
    if (laIs(src, 0, '.') && (laIsIdent(src, 1, 'call') || laIsIdent(src, 1, 'apply') || laIsIdent(src, 1, 'bind')) &&
      (laIs(src, 2, '(') || laIsTemplate(2))) return laEnd[2];
    return -1;
  };
  /** The name is used as a value that gets called: `(f)(1)`, `(0,f)(1)`, `tag`${f}``, `[1].map(f)`. */
  const valueUse = (): number => {
    // `${f}` inside a template.
    if ((p1.type === TK_TMPL_HEAD || p1.type === TK_TMPL_MID) && (laType[0] === TK_TMPL_MID || laType[0] === TK_TMPL_TAIL)) return F_VALUE;
    if (prevIs(src, p1, '(') || prevIs(src, p1, ',')) {
      if (laIs(src, 0, ')') && (laIs(src, 1, '(') || laIsTemplate(1))) return F_VALUE; // (f)(1)
      // Callback of a method call: x.some(f), x.map(f, y)
      if (prevIs(src, p1, '(') && p2.type === TK_IDENT && prevIs(src, p3, '.') && (laIs(src, 0, ')') || laIs(src, 0, ','))) return F_VALUE;
    }
    // Stored as an event handler, to be called by the browser: `onerror=alert;throw 1`, `window.onerror=eval`.
    if (prevIs(src, p1, '=') && p2.type === TK_IDENT && p2.end - p2.start > 2 && src.startsWith('on', p2.start)) {
      if (laIs(src, 0, ';') || laIs(src, 0, ',') || laIs(src, 0, '}') || laIs(src, 0, ')') || laType[0] === TK_EOF || laType[0] === TK_IDENT) return F_VALUE;
    }
    return 0;
  };
  /** A call of a function that is dangerous with most arguments. */
  const callable = (kind: number, stringKind = kind, weakKind = kind): void => {
    const d = directCall();
    if (d !== null) {
      const info = d.info;
      const k = info.firstIsString ? stringKind : weakKind;
      // Prose names functions as `alert()` or `alert(s)`; injected code has JavaScript around the call or literal
      // arguments.
      let neighbour = p1.type === TK_PUNCT && !prevIs(src, p1, ')') && !prevIs(src, p1, ']') && !prevIs(src, p1, '.') &&
        !prevIs(src, p1, '(');
      if (!neighbour && (info.empty || info.identOnly)) {
        fillLookahead(src, d.close + 1, to, budget);
        neighbour = laType[0] === TK_BADQUOTE || laType[0] === TK_TMPL || laType[0] === TK_TMPL_HEAD ||
          (laType[0] === TK_PUNCT && !laIs(src, 0, '.') && !laIs(src, 0, ':') && !laIs(src, 0, '?') && !laIs(src, 0, '('));
      }
      const strong = k === K_TIMER ? info.firstIsIdent
        : info.valid && (!(info.empty || info.identOnly) || neighbour) && !(gap && info.identOnly);
      push(k, F_CALL, d.close + 1, strong, false, laEnd[0], d.close);
      return;
    }
    const ic = indirectCall();
    if (ic !== -1) { push(kind, F_CALL, ic, true); return; }
    const v = valueUse();
    if (v !== 0) push(weakKind, v, tok.end, true);
  };

  switch (sink) {
    case S_DIALOG:
    case S_EVAL:
      if (viaRoot) callable(sink === S_DIALOG ? K_PROBE : K_EXEC);
      return;
    case S_TIMER:
      if (viaRoot) callable(K_EXEC, K_EXEC, K_TIMER);
      return;
    case S_FUNCTION:
      if (viaRoot) {
        const isNew = prevText(src, p1) === 'new';
        const d = directCall();
        if (d !== null) push(K_EXEC, F_CALL, d.close + 1, isNew || !d.info.identOnly || d.info.empty, false, laEnd[0], d.close);
        else if (laIsTemplate(0)) push(K_EXEC, F_CALL, laEnd[0], true);
      }
      return;
    case S_GLOBALEVAL:
    case S_IMPORTSCRIPTS:
      if (laIs(src, 0, '(') || laIsTemplate(0)) push(K_EXEC, F_CALL, laEnd[0], true);
      return;
    case S_CONSTRUCTOR: {
      if (laIs(src, 0, '.') && laIsIdent(src, 1, 'constructor')) { push(K_EXEC, F_CALL, laEnd[1], true); return; }
      // `Set.constructor`alert\x281\x29``: the Function constructor called as a template tag.
      if (member && laIsTemplate(0)) { push(K_EXEC, F_CALL, laEnd[0], true); return; }
      const d = directCall();
      if (d !== null) {
        fillLookahead(src, d.close + 1, to, budget);
        if (laIs(src, 0, '(') || laIsTemplate(0)) push(K_EXEC, F_CALL, laEnd[0], d.info.firstIsString || !d.info.identOnly);
      }
      return;
    }
    case S_WRITE:
      if (member && object === 'document' && (laIs(src, 0, '(') || laIsTemplate(0))) push(K_EXEC, F_CALL, laEnd[0], true);
      return;
    case S_IMPORT:
      // Dynamic import of a module from another origin or a data:/blob: URL; relative imports are ordinary code.
      if (!member && !gap && laIs(src, 0, '(')) {
        const d = directCall();
        if (d !== null && d.info.firstIsString) {
          let k = laEnd[0];
          while (k < d.close && src.charCodeAt(k) <= 0x20) k++;
          const head = src.slice(k + 1, k + 12).toLowerCase();
          const remote = head.startsWith('//') || head.startsWith('http:') || head.startsWith('https:') ||
            head.startsWith('data:') || head.startsWith('blob:') || head.startsWith('javascript:');
          if (remote) push(K_EXEC, F_CALL, d.close + 1, true, false, laEnd[0], d.close);
        }
      }
      return;
    case S_DECODE:
      if (viaRoot) {
        const d = directCall();
        if (d !== null) push(K_DECODE, F_CALL, d.close + 1, d.info.valid && !d.info.identOnly, false, laEnd[0], d.close);
      }
      return;
    case S_FROMCHARCODE:
      if (member) {
        const d = directCall();
        if (d !== null) push(K_DECODE, F_CALL, d.close + 1, d.info.numbers >= 2, d.info.numbers >= 2, laEnd[0], d.close);
      }
      return;
    case S_DOCPROP:
      if (member && object === 'document') push(K_SECRET, F_REF, tok.end, true);
      return;
    case S_STORAGE:
      if (viaRoot) push(K_SECRET, F_REF, tok.end, true);
      return;
    case S_LOCATION: {
      const rooted = member && (GLOBAL_ROOTS.has(object) || object === 'document');
      if (member && !rooted) return;
      if (laIs(src, 0, '=')) { push(K_NAV, F_WRITE, laEnd[0], true); return; }
      if (laIs(src, 0, '.') && laType[1] === TK_IDENT) {
        const prop = src.slice(laStart[1], laEnd[1]);
        if ((prop === 'href' || prop === 'hash' || prop === 'search' || prop === 'pathname' || prop === 'host') && laIs(src, 2, '=')) {
          push(K_NAV, F_WRITE, laEnd[2], true);
          return;
        }
        if ((prop === 'assign' || prop === 'replace') && laIs(src, 2, '(')) { push(K_NAV, F_CALL, laEnd[2], true); return; }
      }
      if (rooted) push(K_NAV, F_REF, tok.end, false);
      return;
    }
    case S_OPEN:
      if (member && GLOBAL_ROOTS.has(object) && laIs(src, 0, '(')) push(K_NAV, F_CALL, laEnd[0], true);
      return;
    case S_NAVIGATE:
      if (member && object === 'navigation' && (laIs(src, 0, '(') || laIsTemplate(0) || laIs(src, 0, '}'))) push(K_NAV, F_CALL, laEnd[0], true);
      else if (member && object === 'navigation' && (laType[0] === TK_TMPL_MID || laType[0] === TK_TMPL_TAIL)) push(K_NAV, F_VALUE, laEnd[0], true);
      return;
    case S_FETCH:
      if (viaRoot && !gap && laIs(src, 0, '(')) push(K_NET, F_CALL, laEnd[0], true);
      return;
    case S_BEACON:
      if (member && laIs(src, 0, '(')) push(K_NET, F_CALL, laEnd[0], true);
      return;
    case S_NEWNET:
      if (prevText(src, p1) === 'new') push(K_NET, F_NEW, laEnd[0], true);
      return;
    case S_JQNET:
      if (member && (object === '$' || object === 'jQuery') && laIs(src, 0, '(')) push(K_NET, F_CALL, laEnd[0], true);
      return;
    case S_HTMLPROP:
      if (member && (laIs(src, 0, '=') || laIs(src, 0, '+='))) push(K_DOM, F_WRITE, laEnd[0], true);
      return;
    case S_DOMCALL:
      if (member && laIs(src, 0, '(')) push(K_DOM, F_CALL, laEnd[0], true);
      return;
    case S_CALLTAG:
      // `x.call` used as the tag of a template literal: a way to call without parentheses.
      if (member && laIsTemplate(0)) push(K_OBF, F_CALL, laEnd[0], true, true);
      return;
    case S_ROOT:
      if (!member) rootBracket(src, to, name, tok, p1, out, budget);
      return;
    default:
      return;
  }
}

/** `window['al'+'ert'](1)`, `document["cookie"]`, `(document)['cookie']`, `self['$']['globalEval'](...)`. */
function rootBracket(
  src: string, to: number, root: string, tok: { start: number; end: number }, p1: Prev, out: JsEvent[], budget: Budget,
): void {
  let k = 0;
  if (laIs(src, 0, ')') && prevIs(src, p1, '(')) k = 1; // (document)[...]
  if (!laIs(src, k, '[')) return;
  let pos = laEnd[k];
  let resolved = '';
  let brackets = 0;
  let stringsOnly = true;
  let spliced = false;
  for (let level = 0; level < 4; level++) {
    const close = findClose(src, pos, to, 0x5b, 0x5d, budget);
    if (close === -1) return;
    // The subscript must be strings joined by `+` (comments allowed).
    const lx = subLexer.reset(src, pos, close, false);
    let name = '';
    let expectString = true;
    let any = false;
    let pieces = 0;
    let commented = false;
    for (;;) {
      const t = lx.next();
      if (lx.comment) commented = true;
      if (t === TK_EOF) break;
      if (expectString && (t === TK_STR || t === TK_TMPL)) {
        name += src.slice(lx.start + 1, lx.end - 1);
        expectString = false;
        any = true;
        pieces++;
      } else if (!expectString && lx.is('+')) expectString = true;
      else { stringsOnly = false; break; }
    }
    if (!any || expectString) stringsOnly = false;
    if (!stringsOnly) {
      // `top[/al/.source+/ert/.source](1)`, `self[atob('YWxlcnQ=')](1)`: a name computed from literals or decoders.
      if (level === 0 && computedName(src, pos, close)) {
        fillLookahead(src, close + 1, to, budget);
        if (laIs(src, 0, '(') || laIsTemplate(0)) {
          out.push({ kind: K_OBF, form: F_CALL, start: tok.start, end: laStart[0], argsStart: -1, argsEnd: -1, strong: true, obf: true, name: root + '[...]' });
        }
        return;
      }
      break;
    }
    resolved = name;
    if (pieces > 1 || commented) spliced = true;
    brackets++;
    fillLookahead(src, close + 1, to, budget);
    pos = laEnd[0];
    if (!laIs(src, 0, '[')) break;
  }
  // Property names only: `document[`#425`](...)` is a Markdown link after the word "document".
  if (brackets === 0 || !isIdentifierName(resolved)) return;
  // After the last `]` (lookahead filled from there).
  const called = laIs(src, 0, '(') || laIsTemplate(0);
  const end = laType[0] === TK_EOF ? to : laStart[0];
  const push = (kind: number, form: number, strong: boolean): void => {
    out.push({ kind, form, start: tok.start, end, argsStart: -1, argsEnd: -1, strong, obf: true, name: root + '[' + resolved + ']' });
  };
  if (called) {
    const kind = resolved === 'alert' || resolved === 'prompt' || resolved === 'confirm' ? K_PROBE
      : BRACKET_EXEC.has(resolved) ? K_EXEC : K_OBF;
    // `window['callback'](data)` is how JSONP and dynamic dispatch look; only a spliced name is suspicious.
    push(kind, F_CALL, kind !== K_OBF || spliced);
  } else if (root === 'document' && (resolved === 'cookie' || resolved === 'domain')) push(K_SECRET, F_REF, true);
  else if (BRACKET_EXEC.has(resolved)) push(K_OBF, F_REF, true);
  else push(K_OBF, F_REF, false);
}

const DECODERS = new Set(['atob', 'fromCharCode', 'fromCodePoint', 'unescape', 'decodeURIComponent', 'decodeURI', 'source', 'reverse', 'join']);

/** A subscript built from literals and decoders: joined with `+`, or passed through `atob`/`fromCharCode`... */
function computedName(src: string, from: number, to: number): boolean {
  const lx = subLexer.reset(src, from, to, false);
  let plus = false;
  let literal = false;
  let decoder = false;
  for (let count = 0; count < 256; count++) {
    const t = lx.next();
    if (t === TK_EOF) break;
    if (t === TK_STR || t === TK_REGEX || t === TK_TMPL || t === TK_TMPL_HEAD) literal = true;
    else if (t === TK_IDENT && DECODERS.has(lx.text())) decoder = true;
    else if (lx.is('+')) plus = true;
  }
  return (plus && literal) || decoder;
}

function isIdentifierName(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x24 || c === 0x5f || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

/** True when `src[from, to)` has anything but identifiers: used to tell `vbscript:MsgBox+1` from a word. */
export function hasTokenOtherThanIdent(src: string, from: number, to: number): boolean {
  const lx = subLexer.reset(src, from, to, false);
  let count = 0;
  for (;;) {
    const t = lx.next();
    if (t === TK_EOF || ++count > 4096) return false;
    if (t !== TK_IDENT) return true;
  }
}

