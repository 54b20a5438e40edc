/**
 * Cross-site scripting. The value (already decoded by the engine's layers) is read three ways:
 *
 * 1. As HTML, with a tokenizer that sees tags as a browser does (html.ts): script and content-loading elements,
 *    event-handler attributes, URL attributes holding `javascript:`/`vbscript:`/active `data:` URLs, style
 *    attributes and `<style>` elements with code-running CSS (css.ts), `srcdoc` documents, SVG animations that
 *    set an `href`, and closing tags that leave a raw-text context (`</textarea>`, `</script>`).
 * 2. As the inside of an attribute the application wrote: after the value's first `"` or `'` (a quoted attribute
 *    broken out of) or its first white space (an unquoted one), the rest is read as an attribute list, so that
 *    `" onmouseover=alert(1) x="` is an event handler even without `<`.
 * 3. As JavaScript (js.ts): in the middle of text (a fragment), as a complete script, after the value's first
 *    quote (a string broken out of: `';alert(1)//`), inside template substitutions, after `javascript:`, and as
 *    handler code. What decides is what the code does (shows a dialog, evaluates strings, reads cookies,
 *    navigates, sends requests, writes HTML) and how sure the context makes us that it is code.
 *
 * Tags of ordinary elements (`<b>`, `<a href="https://...">`) are only notices at paranoia 2 and 3; words such as
 * "script", "javascript" or "alert" in prose do not parse as any of the above and do not fire.
 */
import type { Detector, DetectorContext, Finding, InputSource, Paranoia } from '../../finding.ts';
import { Buffer } from 'node:buffer';
import { SCORE } from '../../finding.ts';
import { decodeHtmlEntities } from '../../decode/html-entities.ts';
import { CSS_BEHAVIOR, CSS_BINDING, CSS_EXPRESSION, CSS_IMPORT, CSS_SCRIPT_URL, mayHoldCss, scanCss, type CssHit } from './css.ts';
import { isHtmlSpace, readAttributes, scanTags, type HtmlAttr, type HtmlTag } from './html.ts';
import { decodeLooseReferences, decodeUtf7, latin1AsUtf8, stripHighBit } from './readings.ts';
import {
  BARE_SINK_CAPITALS, BARE_SINKS, checkJs, F_ASSIGNED, F_CALL, F_REF, F_VALUE, F_WRITE, hasTokenOtherThanIdent,
  identifierAfterString, K_DECODE, K_DOM, K_EXEC, K_NAV, K_NET, K_OBF, K_PROBE, K_SECRET, K_TIMER,
  isRegexFlag, MODE_AFTER_STRING, MODE_BARE, scanSinks, scanSinksOfWords, SINK_NAME_LIST, type JsEvent,
} from './js.ts';
import {
  ACTIVE_DATA_TYPES, ANIMATION_ELEMENTS, DOCUMENT_DATA_TYPES, EVENT_NAMES, KNOWN_ELEMENTS, LOADING_ELEMENTS,
  loadsAsDocument, RASTER_DATA_TYPES, RAW_TEXT_ELEMENTS, SCRIPT_SCHEMES, URL_ATTRS,
} from './vocabulary.ts';

export const XSS_RULES = {
  scriptTag: 'xss-script-tag',
  loadingTag: 'xss-dangerous-tag',
  handler: 'xss-event-handler',
  attrInjection: 'xss-attribute-injection',
  jsUrl: 'xss-js-url',
  dataUrl: 'xss-data-url',
  css: 'xss-css',
  breakout: 'xss-js-breakout',
  sink: 'xss-js-sink',
  code: 'xss-js-code',
  obfuscation: 'xss-js-obfuscation',
  jsfuck: 'xss-jsfuck',
  template: 'xss-template-expression',
  rawText: 'xss-rawtext-breakout',
  htmlTag: 'xss-html-tag',
} as const;

const R = XSS_RULES;
const MAX_EXCERPT = 120;

// Which of the characters that the checks start from a value holds, as bits: one pass over a short value instead
// of an `indexOf` per check, and a way to see at once that a value (a number, a word, an identifier) needs none.
const MASK_CHARS = '<=:{[(@$`"\'+&.,)}?';
function maskBit(c: string): number {
  return 1 << MASK_CHARS.indexOf(c);
}
const M_LT = maskBit('<');
const M_EQ = maskBit('=');
const M_COLON = maskBit(':');
const M_LBRACE = maskBit('{');
const M_LBRACKET = maskBit('[');
const M_LPAREN = maskBit('(');
const M_AT = maskBit('@');
const M_DOLLAR = maskBit('$');
const M_BACKTICK = maskBit('`');
const M_DQUOTE = maskBit('"');
const M_SQUOTE = maskBit("'");
const M_PLUS = maskBit('+');
const M_AMP = maskBit('&');
const M_DOT = maskBit('.');
const M_COMMA = maskBit(',');
const M_RPAREN = maskBit(')');
const M_RBRACE = maskBit('}');
const M_QUESTION = maskBit('?');
const M_HIGH = 1 << MASK_CHARS.length; // a character above U+007F
const M_BARE_HINT = 1 << (MASK_CHARS.length + 1); // one of BARE_SINK_CAPITALS (js.ts)
const MASK_BITS = new Uint32Array(128);
for (let k = 0; k < MASK_CHARS.length; k++) MASK_BITS[MASK_CHARS.charCodeAt(k)] = 1 << k;
for (const c of BARE_SINK_CAPITALS) MASK_BITS[c.charCodeAt(0)] = M_BARE_HINT;
const M_ALL_ASCII = ((1 << MASK_CHARS.length) - 1) | M_BARE_HINT;

/** Characters that prose rarely holds, looked for at once in long values. */
const RARE_CHARS = /[<{[$`"+]/;
const M_RARE = M_LT | M_LBRACE | M_LBRACKET | M_DOLLAR | M_BACKTICK | M_DQUOTE | M_PLUS;

/**
 * The mask of `s`. A bit may be set for a character that is absent (the checks it gates then find nothing
 * themselves), never the other way round: long values get every ASCII bit but those of RARE_CHARS when none is
 * there, since the checks look for their characters anyway and a loop over a long value costs more than that.
 */
function charMask(s: string): number {
  if (s.length > 64) {
    let m = RARE_CHARS.test(s) ? M_ALL_ASCII : M_ALL_ASCII & ~M_RARE;
    // UTF-8 takes one byte per character only for ASCII (Node measures this without copying).
    if (Buffer.byteLength(s, 'utf8') !== s.length) m |= M_HIGH;
    return m;
  }
  let m = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    m |= c < 128 ? MASK_BITS[c] : M_HIGH;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// One pass over the bytes of a pure-ASCII value, for the checks that would each read the whole value
//
// Values of ordinary text (prose with punctuation) are where the time goes: for them every check below has to look
// at every character and finds nothing. `prescanBytes` reads the value once, from its bytes (`TextEncoder`: the
// same characters at the same offsets, which JavaScript reads faster than a string), and computes its exact mask
// (`charMask` approximates long values) and what these checks need, so that each is skipped when it cannot find
// anything: the search for sink names (`maySink` in js.ts), `BARE_SINKS`, bare CSS, miscased references, script
// schemes, injected attribute names. Each result is a necessary condition of the check it stands for (or the
// check's exact answer), so skipping changes no finding.

/** What `prescanBytes` found in the value it read last. */
interface Prescan {
  /**
   * A word of the value (a maximal run of identifier characters) is a sink name, other than a root (`sinkName`) or a
   * root (`rootName`): see `scanSinksOfWords`.
   */
  sinkName: boolean;
  rootName: boolean;
  /** `BARE_SINKS.test(value)`. */
  bare: boolean;
  /**
   * Necessary for `checkBareCss` to report: `mayHoldBareCss(value, mask)`, but with a `(` counting only after `url`
   * or `expression` (see `cssFunctionBefore`).
   */
  css: boolean;
  /** An `&` followed by one to nine ASCII letters and a `;`: `decodeLooseReferences` finds nothing without one. */
  looseReference: boolean;
  /** A colon after the letters of a script scheme or `data` could be: `checkSchemes` acts on nothing else. */
  scheme: boolean;
  /** The name before some `=` may be one that `mayInjectAttribute` looks for (see `attributeNameBefore`). */
  attribute: boolean;
  /** A `/` followed by regular-expression flags and a letter: see `scanSinksOfWords`. */
  afterFlags: boolean;
}

/** The results of the last `prescanBytes` (one value at a time: `detect` reads them before it scans another). */
const prescan: Prescan = {
  sinkName: false, rootName: false, bare: false, css: false, looseReference: false, scheme: false, attribute: false,
  afterFlags: false,
};

// Byte classes of the pass.
const B_OTHER = 0; // no identifier character, no mask bit
const B_WORD = 1; // identifier character (`isIdentPart` in ASCII) without a mask bit
const B_WORD_MARK = 2; // identifier character with a mask bit or the first letter of a word of BARE_SINKS
const B_MARK = 3; // mask bit only
const B_WORK = 4; // a look around (and a mask bit but for `/`): `(` `:` `@` `&` `=` `/`, see `lookAround`
const BYTE_CLASS = new Uint8Array(256);

/** The words of BARE_SINKS by their first character, and (as a cheap first test) their second characters. */
const BARE_WORDS: (string[] | undefined)[] = [];
const BARE_SECOND = new Uint8Array(128 * 128);
for (const word of BARE_SINKS.source.split('|')) {
  if (!/^[A-Za-z]+$/.test(word)) throw new Error(`xss: BARE_SINKS word ${word} is not a plain word`);
  (BARE_WORDS[word.charCodeAt(0)] ??= []).push(word);
  BARE_SECOND[(word.charCodeAt(0) << 7) | word.charCodeAt(1)] = 1;
}

for (let c = 0; c < 128; c++) {
  const ident = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x24 || c === 0x5f;
  if (ident) BYTE_CLASS[c] = MASK_BITS[c] !== 0 || BARE_WORDS[c] !== undefined ? B_WORD_MARK : B_WORD;
  else if (c === 0x28 || c === 0x3a || c === 0x40 || c === 0x26 || c === 0x3d || c === 0x2f) BYTE_CLASS[c] = B_WORK;
  else BYTE_CLASS[c] = MASK_BITS[c] !== 0 ? B_MARK : B_OTHER;
}
// Bytes above 0x7F do not occur (the value is pure ASCII).

/** Sink names by first and last character: a bit per length (all are 3 to 24 characters long). */
const SINK_LENGTHS = new Int32Array(128 * 128);
/** The sink names of each (first character, last character, length), with whether each is a root. */
const SINK_WORDS = new Map<number, (readonly [string, boolean])[]>();
for (const entry of SINK_NAME_LIST) {
  const name = entry[0];
  const key = (name.charCodeAt(0) << 7) | name.charCodeAt(name.length - 1);
  if (name.length > 30 || !/^[A-Za-z]+$/.test(name)) throw new Error(`xss: sink name ${name} does not fit SINK_LENGTHS`);
  SINK_LENGTHS[key] |= 1 << name.length;
  const words = SINK_WORDS.get(key * 32 + name.length);
  if (words === undefined) SINK_WORDS.set(key * 32 + name.length, [entry]);
  else words.push(entry);
}

/** Notes in `prescan` which sink name, if any, bytes[i, j) spell (SINK_LENGTHS said it may be one). */
function noteSinkWord(bytes: Uint8Array, i: number, j: number): void {
  const words = SINK_WORDS.get(((bytes[i]! << 7) | bytes[j - 1]!) * 32 + (j - i));
  if (words === undefined) return;
  for (const [name, root] of words) {
    let k = 1;
    while (k < name.length - 1 && bytes[i + k] === name.charCodeAt(k)) k++;
    if (k >= name.length - 1) {
      if (root) prescan.rootName = true;
      else prescan.sinkName = true;
      return;
    }
  }
}

/** A word of BARE_SINKS starts at bytes[i]. */
function bareWordAt(bytes: Uint8Array, i: number, n: number): boolean {
  const words = BARE_WORDS[bytes[i]!];
  if (words === undefined) return false;
  for (const word of words) {
    if (i + word.length > n) continue;
    let k = 1;
    while (k < word.length && bytes[i + k] === word.charCodeAt(k)) k++;
    if (k === word.length) return true;
  }
  return false;
}

/** `keptBefore` and `keptAfter` on bytes: the nearest byte that is no white space or control character, or -1. */
function keptByteBefore(bytes: Uint8Array, at: number): number {
  for (let k = at - 1; k >= 0; k--) {
    const c = bytes[k]!;
    if (c > 0x20 && c !== 0x7f) return c;
  }
  return -1;
}
function keptByteAfter(bytes: Uint8Array, at: number, n: number): number {
  for (let k = at + 1; k < n; k++) {
    const c = bytes[k]!;
    if (c > 0x20 && c !== 0x7f) return c;
  }
  return -1;
}

/**
 * As `checkSchemes` reads the scheme before the colon at bytes[at]: letters, with tabs and line breaks among them.
 * True when it acts on it.
 */
function schemeBefore(bytes: Uint8Array, at: number): boolean {
  let k = at;
  let length = 0;
  let first = 0;
  while (k > 0 && at - k < 24) {
    const c = bytes[k - 1]!;
    if (isLetter(c)) { length++; first = c | 0x20; k--; continue; }
    if (c === 0x09 || c === 0x0a || c === 0x0d) { k--; continue; }
    break;
  }
  return length >= 4 && (SCHEME_LENGTHS & (1 << length)) !== 0 && (SCHEME_FIRSTS & (1 << (first - 0x61))) !== 0;
}

/**
 * Whether `mayInjectAttribute` may find the name it looks for before the `=` at bytes[at]. It takes the name as it
 * does, and then what `mayBeInjectedName` needs: an `on` (any case), a `@` or a `-` in it, or else a suffix in
 * INJECTION_NAMES (compared the same way).
 */
function attributeNameBefore(bytes: Uint8Array, at: number): boolean {
  let end = at;
  while (end > 0 && isHtmlSpace(bytes[end - 1]!)) end--;
  let start = end;
  let next = 0; // the byte after bytes[start - 1] in the name, with bit 0x20 set (lower case for letters)
  while (start > 0) {
    const c = bytes[start - 1]!;
    if (isHtmlSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
    if (c === 0x40 || c === 0x2d || ((c | 0x20) === 0x6f && next === 0x6e)) return true;
    next = c | 0x20;
    start--;
  }
  if (start === end) return false;
  const names = INJECTION_NAMES[asciiLower(bytes[end - 1]!)];
  if (names === undefined) return false;
  for (const name of names) {
    if (end - start < name.length) continue;
    let k = 1;
    while (k <= name.length && asciiLower(bytes[end - k]!) === name.charCodeAt(name.length - k)) k++;
    if (k > name.length) return true;
  }
  return false;
}

/**
 * Whether the `(` at bytes[at] may end a `url(` or `expression(` that `scanCss` reports (the CSS functions it looks
 * for): the characters it keeps before it (it drops white space and control characters) spell `url` or
 * `expression`, in any case. A `/` or a backslash among them may start or end a comment or escape something, so
 * then anything may precede. Prose has many a word ending in `l` or `n` before a parenthesis.
 */
function cssFunctionBefore(bytes: Uint8Array, at: number): boolean {
  const q = keptByteBefore(bytes, at);
  if (q === 0x2f || q === 0x5c) return true;
  const word = (q | 0x20) === 0x6c ? 'url' : (q | 0x20) === 0x6e ? 'expression' : '';
  if (word === '') return false;
  let k = at;
  for (let w = word.length - 1; w >= 0; w--) {
    // the previous kept byte
    do k--; while (k >= 0 && (bytes[k]! <= 0x20 || bytes[k] === 0x7f));
    if (k < 0) return false;
    const c = bytes[k]!;
    if (c === 0x2f || c === 0x5c) return true;
    if ((c | 0x20) !== word.charCodeAt(w)) return false;
  }
  return true;
}

/** Notes in `prescan` what the checks need around the `(`, `:`, `@`, `&`, `=` or `/` at bytes[i]. */
function lookAround(bytes: Uint8Array, i: number, n: number): void {
  const c = bytes[i]!;
  if (c === 0x2f) {
    // as `maySinkIn` reads what follows a `/`: regular-expression flags, then a letter
    let k = i + 1;
    while (k < n && isRegexFlag(bytes[k]!)) k++;
    if (k > i + 1 && k < n && isLetter(bytes[k]!)) prescan.afterFlags = true;
    return;
  }
  if (c === 0x3d) {
    if (!prescan.attribute) prescan.attribute = attributeNameBefore(bytes, i);
    return;
  }
  if (c === 0x26) {
    // as `decodeLooseReferences` reads a reference: one to nine ASCII letters, then `;`
    let k = i + 1;
    while (k < n && k - i <= 9 && isLetter(bytes[k]!)) k++;
    if (k > i + 1 && k < n && bytes[k] === 0x3b) prescan.looseReference = true;
    return;
  }
  if (c === 0x3a && !prescan.scheme) prescan.scheme = schemeBefore(bytes, i);
  if (prescan.css) return;
  // as `mayHoldBareCss` (a letter, `/` or a backslash next to the `@`, `(` or `:`)
  let q: number;
  if (c === 0x40) {
    q = keptByteAfter(bytes, i, n);
    prescan.css = q === 0x69 || q === 0x49 || q === 0x2f || q === 0x5c;
  } else if (c === 0x28) {
    prescan.css = cssFunctionBefore(bytes, i);
  } else {
    q = keptByteBefore(bytes, i);
    prescan.css = q === 0x67 || q === 0x47 || q === 0x2f || q === 0x5c;
  }
}

/**
 * Reads the pure-ASCII value from its bytes (`bytes[0, value.length)`, with room for one more) and returns its
 * exact mask; sets `prescan`.
 */
function prescanBytes(value: string, bytes: Uint8Array): number {
  const n = value.length;
  bytes[n] = 0; // ends the last word
  prescan.sinkName = false;
  prescan.rootName = false;
  prescan.bare = false;
  prescan.css = false;
  prescan.looseReference = false;
  prescan.scheme = false;
  prescan.attribute = false;
  prescan.afterFlags = false;
  let mask = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    let k = BYTE_CLASS[c]!;
    if (k === B_WORD || k === B_WORD_MARK) {
      // a word from i to j
      let j = i;
      for (;;) {
        if (k === B_WORD_MARK) {
          const d = bytes[j]!;
          mask |= MASK_BITS[d]!;
          if (BARE_SECOND[(d << 7) | bytes[j + 1]!] === 1 && !prescan.bare) prescan.bare = bareWordAt(bytes, j, n);
        }
        j++;
        while ((k = BYTE_CLASS[bytes[j]!]!) === B_WORD) j++;
        if (k !== B_WORD_MARK) break;
      }
      const length = j - i;
      if (length < 32 && ((SINK_LENGTHS[(c << 7) | bytes[j - 1]!]! >> length) & 1) !== 0) noteSinkWord(bytes, i, j);
      // the byte at j ends the word: read it below (at the end, the zero byte ends the loop)
      i = j;
      if (i >= n) break;
    }
    if (k >= B_MARK) {
      mask |= MASK_BITS[bytes[i]!]!;
      if (k === B_WORK) lookAround(bytes, i, n);
    }
    i++;
  }
  return mask;
}

/** Values from this length on are read by `prescanBytes` when pure ASCII (below it the encoding costs more). */
const PRESCAN_MIN = 16;
/** Up to the engine's default longest value (the shared buffer stays at most three times that). */
const PRESCAN_MAX = 256 * 1024;
const encoder = new TextEncoder();
let scratch = new Uint8Array(3 * 4096);

/**
 * The characters of `value` as bytes when they are all ASCII (then UTF-8 is one byte per character, at the same
 * offsets), or undefined. The bytes are the start of a shared buffer, valid until the next call.
 */
function asciiBytes(value: string): Uint8Array | undefined {
  const n = value.length;
  // room for every character's UTF-8 (at most 3 bytes each), so `written` tells ASCII (n bytes) from the rest
  if (scratch.length < 3 * n) scratch = new Uint8Array(3 * n);
  const { read, written } = encoder.encodeInto(value, scratch);
  return read === n && written === n ? scratch : undefined;
}

/** Rules whose paranoia-2 findings count at paranoia 1 in a cookie. */
const COOKIE_RAISED: ReadonlySet<string> = new Set([R.scriptTag, R.loadingTag, R.handler, R.css, R.jsUrl, R.dataUrl]);

// How much a piece of handler or URL code does.
const ST_NONE = 0; // not JavaScript (prose) or empty
const ST_EXPR = 1; // a valid expression that calls nothing: `void(0)`, `1337`
const ST_CALL = 2; // calls or assigns something
const ST_SINK = 3; // uses a sink (dialog, eval, cookie, navigation, network...)

/** Findings of one value: per rule, only those not dominated by another (lower or equal paranoia, higher or equal score). */
class Collector {
  /** Created with the first finding: most values have none. */
  byRule: Map<string, Finding[]> | null = null;
  readonly maxParanoia: Paranoia;
  readonly source: InputSource;
  /** When set, only these rules are kept (a reading of the value that is less certain than the value itself). */
  only: ReadonlySet<string> | null = null;
  /** Appended to messages (which reading of the value produced them). */
  note = '';

  constructor(maxParanoia: Paranoia, source: InputSource = 'query') {
    this.maxParanoia = maxParanoia;
    this.source = source;
  }

  add(ruleId: string, paranoia: Paranoia, score: number, message: string, src: string, start: number, end: number): void {
    if (this.only !== null && !this.only.has(ruleId)) return;
    // Cookies carry tokens and settings, never markup: an element that is only suspicious elsewhere is an attack
    // there (a cookie value is written into pages by templates and scripts).
    if (paranoia === 2 && score === SCORE.critical && this.source === 'cookie' && COOKIE_RAISED.has(ruleId)) paranoia = 1;
    if (this.note !== '') message += this.note;
    if (paranoia > this.maxParanoia) return;
    if (this.byRule === null) this.byRule = new Map();
    const list = this.byRule.get(ruleId);
    const s = Math.max(0, Math.min(start, src.length));
    let e = Math.min(src.length, end > s ? end : s + 60, s + MAX_EXCERPT);
    if (e <= s) e = Math.min(src.length, s + 1);
    const finding: Finding = { ruleId, category: 'xss', paranoia, score, message, matched: src.slice(s, e) };
    if (list === undefined) {
      this.byRule.set(ruleId, [finding]);
      return;
    }
    for (const f of list) if (f.paranoia <= paranoia && f.score >= score) return;
    const kept = list.filter((f) => !(paranoia <= f.paranoia && score >= f.score));
    kept.push(finding);
    this.byRule.set(ruleId, kept);
  }

  flush(report: (finding: Finding) => void): void {
    if (this.byRule === null) return;
    for (const list of this.byRule.values()) for (const f of list) report(f);
  }
}

/** State of the analysis of one string (the value, or the value with its tags stripped). */
interface Scan {
  src: string;
  col: Collector;
  /** Tag ranges found at the top level, for the stripped variant. */
  tags: number[];
  /** Raw-text elements opened, and closed without being opened (created when a tag needs them). */
  opened: Set<string> | null;
  strayClosers: Map<string, number> | null;
  /** End of the last tag seen (a `>` there closes that tag, it is no break-out). */
  lastTagEnd: number;
  lower: string | null;
  /**
   * `<style>` elements read so far (see `styleElement`): the `</style` found from `styleSearchedFrom` (the length
   * when there is none); the last content whose CSS was scanned, from `cssFrom` to `cssClose`, the first `/*` from
   * `cssFrom` on (-1: none), what the scan found, and how many contents before that `cssClose` were scanned.
   */
  styleSearchedFrom: number;
  styleClose: number;
  cssFrom: number;
  cssClose: number;
  cssComment: number;
  cssScans: number;
  cssHit: CssHit | null;
  /** The first `&` from `ampSearchedFrom` on (see nextAmpersand). */
  ampSearchedFrom: number;
  ampAt: number;
}

function lowerOf(scan: Scan): string {
  if (scan.lower === null) scan.lower = scan.src.toLowerCase();
  return scan.lower;
}

// ---------------------------------------------------------------------------------------------------------------
// JavaScript strength of a piece of code (handler value, URL payload)

const strengthEvents: JsEvent[] = [];

function jsStrength(src: string, from: number, to: number): number {
  if (to <= from) return ST_NONE;
  const check = checkJs(src, from, to, MODE_BARE);
  const validEnd = check.errorAt;
  strengthEvents.length = 0;
  if (validEnd > from) scanSinks(src, from, validEnd, strengthEvents, 8, true);
  for (const e of strengthEvents) {
    if (e.kind === K_PROBE || e.kind === K_EXEC || e.kind === K_SECRET || e.kind === K_NET) return ST_SINK;
    if (e.kind === K_OBF && e.form === F_CALL) return ST_SINK;
    if (e.kind === K_NAV && (e.form === F_WRITE || e.form === F_CALL)) return ST_SINK;
  }
  if (check.calls + check.assigns > 0) return ST_CALL;
  // Valid but calls nothing (`void(0)`, `;`, a comment): inert.
  if (check.complete) return ST_EXPR;
  return ST_NONE;
}

// ---------------------------------------------------------------------------------------------------------------
// URLs

interface Scheme {
  /** Lower-cased scheme with tabs and line breaks removed (as a URL parser does). */
  scheme: string;
  /** The same with spaces removed too (`java script` is not a scheme, but is an obvious attempt). */
  squeezed: string;
  colon: number;
  /** Tabs or line breaks inside the scheme. */
  broken: boolean;
}

function isSchemeChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/** Reads a URL scheme at the start of `src[from, to)`, after leading control characters and spaces. */
function readScheme(src: string, from: number, to: number): Scheme | null {
  let i = from;
  while (i < to && src.charCodeAt(i) <= 0x20) i++;
  let scheme = '';
  let squeezed = '';
  let broken = false;
  const limit = Math.min(to, i + 40);
  for (; i < limit; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x3a) {
      if (squeezed === '') return null;
      return { scheme: scheme.toLowerCase(), squeezed: squeezed.toLowerCase(), colon: i, broken };
    }
    if (isSchemeChar(c)) { scheme += src[i]; squeezed += src[i]; continue; }
    if (c === 0x09 || c === 0x0a || c === 0x0d) { broken = true; continue; }
    if (c === 0x20 || c === 0x0c) { scheme += ' '; continue; }
    return null;
  }
  return null;
}

/** The media type of a `data:` URL whose `data:` ends at `from`. */
function dataType(src: string, from: number, to: number): string {
  let t = '';
  for (let i = from; i < to && i < from + 80; i++) {
    const c = src.charCodeAt(i);
    if (c === 0x2c || c === 0x3b) break;
    if (c <= 0x20) continue;
    t += src[i];
  }
  return t.toLowerCase();
}

/**
 * Checks a URL attribute value `src[from, to)` (entity-decoded already, as the browser would). `element` is '' for
 * an attribute written without a tag (injection).
 */
function checkUrl(col: Collector, src: string, from: number, to: number, element: string, attr: string, rule: string): void {
  const s = readScheme(src, from, to);
  if (s === null) return;
  if (SCRIPT_SCHEMES.has(s.scheme)) {
    const strength = jsStrength(src, s.colon + 1, to);
    const vb = s.scheme !== 'javascript' && s.colon + 1 < to && hasTokenOtherThanIdent(src, s.colon + 1, to);
    const empty = src.slice(s.colon + 1, to).trim() === '';
    // Anything but nothing or an inert expression (`void(0)`) after the scheme: code, or code we cannot read.
    if (strength >= ST_CALL || s.broken || vb || (strength === ST_NONE && !empty)) {
      col.add(rule, 1, SCORE.critical, `${s.scheme}: URL in the ${attr} attribute`, src, from, to);
    } else {
      col.add(rule, 2, SCORE.critical, `${s.scheme}: URL in the ${attr} attribute (no code after it)`, src, from, to);
    }
    return;
  }
  if (s.scheme !== s.squeezed && SCRIPT_SCHEMES.has(s.squeezed.replace(/ /g, ''))) {
    // `java script:al ert(1)`: not a working URL, but nobody writes it by accident.
    const payload = src.slice(s.colon + 1, to).replace(/[ \t\n\r\f]/g, '');
    const strength = jsStrength(payload, 0, payload.length);
    col.add(rule, strength >= ST_CALL ? 1 : 2, strength >= ST_CALL ? SCORE.critical : SCORE.warning,
      `spaced-out script URL in the ${attr} attribute`, src, from, to);
    return;
  }
  if (s.scheme === 'data') {
    const type = dataType(src, s.colon + 1, to);
    if (ACTIVE_DATA_TYPES.has(type) || DOCUMENT_DATA_TYPES.has(type) || (element !== '' && loadsAsDocument(element, attr) && !RASTER_DATA_TYPES.has(type))) {
      col.add(R.dataUrl, 1, SCORE.critical, `data: URL (${type || 'text/plain'}) in the ${attr} attribute`, src, from, to);
    }
  }
}

/** Lengths and first letters of the script schemes and of `data`, as bit sets. */
const SCHEME_LENGTHS = [...SCRIPT_SCHEMES, 'data'].reduce((bits, scheme) => bits | (1 << scheme.length), 0);
const SCHEME_FIRSTS = [...SCRIPT_SCHEMES, 'data'].reduce((bits, scheme) => bits | (1 << (scheme.charCodeAt(0) - 0x61)), 0);

/** The ASCII letters of `src[from, to)`. */
function lettersOnly(src: string, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) out += src[i];
  }
  return out;
}

/** `javascript:` (and the other script schemes) anywhere in the value, and `data:` at its start. */
function checkSchemes(scan: Scan): void {
  const src = scan.src;
  const n = src.length;
  let idx = src.indexOf(':');
  let count = 0;
  let firstNonSpace = 0;
  while (firstNonSpace < n && src.charCodeAt(firstNonSpace) <= 0x20) firstNonSpace++;
  while (idx !== -1 && count < 32) {
    count++;
    // The scheme before the colon: letters, with tabs and line breaks a URL parser would remove.
    let k = idx;
    let length = 0;
    let first = 0;
    let broken = false;
    while (k > 0 && idx - k < 24) {
      const c = src.charCodeAt(k - 1);
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) { length++; first = c | 0x20; k--; continue; }
      if (c === 0x09 || c === 0x0a || c === 0x0d) { broken = true; k--; continue; }
      break;
    }
    // Only the script schemes and `data` are acted on: other words (`https`, `note`) are not even built.
    if (length >= 4 && (SCHEME_LENGTHS & (1 << length)) !== 0 && (SCHEME_FIRSTS & (1 << (first - 0x61))) !== 0) {
      checkSchemeAt(scan, k, idx, broken, k <= firstNonSpace);
    }
    idx = src.indexOf(':', idx + 1);
  }
}

/**
 * Judges the scheme spelled by the letters of `src[k, idx)`, before the colon at `idx` (with tabs or line breaks
 * among them when `broken`). Apart from `checkSchemes` so that its cheap loop over the colons is compiled early.
 */
function checkSchemeAt(scan: Scan, k: number, idx: number, broken: boolean, leading: boolean): void {
  const src = scan.src;
  const n = src.length;
  const letters = broken ? lettersOnly(src, k, idx) : src.slice(k, idx);
  const before = k > 0 ? src.charCodeAt(k - 1) : -1;
  const boundary = before === -1 || !((before >= 0x30 && before <= 0x39) || (before >= 0x61 && before <= 0x7a) || (before >= 0x41 && before <= 0x5a) || before === 0x5f);
  const scheme = letters.toLowerCase();
  if (SCRIPT_SCHEMES.has(scheme) && boundary) {
    // The payload is judged on its first 2 KB: enough for any script URL, and linear over 32 colons.
    const strength = jsStrength(src, idx + 1, Math.min(n, idx + 2049));
    // VBScript is not JavaScript: its tell-tale calls instead (`vbscript:MsgBox+1`).
    const vb = scheme === 'vbscript' && /msgbox|execute|createobject|document\.|window\./i.test(src.slice(idx + 1, idx + 200));
    const hasPayload = src.slice(idx + 1, idx + 200).trim() !== '';
    // At the start of the value any call counts; in the middle of text, only a sink (prose with backticks
    // and parentheses can look like a call).
    if (strength === ST_SINK || (leading && (strength === ST_CALL || vb))) {
      scan.col.add(R.jsUrl, 1, SCORE.critical, `${scheme}: URL with code`, src, k, n);
    } else if (strength === ST_CALL) {
      scan.col.add(R.jsUrl, 2, SCORE.critical, `${scheme}: URL with code`, src, k, n);
    } else if (broken) {
      scan.col.add(R.jsUrl, 1, SCORE.critical, `${scheme}: scheme split by tabs or line breaks`, src, k, n);
    } else if (leading && strength === ST_EXPR) {
      scan.col.add(R.jsUrl, 2, SCORE.warning, `${scheme}: URL`, src, k, n);
    } else if (leading || hasPayload) {
      scan.col.add(R.jsUrl, 3, SCORE.notice, `${scheme}: URL`, src, k, n);
    }
  } else if (scheme === 'data' && leading) {
    const type = dataType(src, idx + 1, n);
    if (ACTIVE_DATA_TYPES.has(type)) {
      scan.col.add(R.dataUrl, 1, SCORE.critical, `data: URL of type ${type}`, src, k, n);
    } else if (DOCUMENT_DATA_TYPES.has(type)) {
      scan.col.add(R.dataUrl, 2, SCORE.critical, `data: URL of type ${type}`, src, k, n);
    } else if (type === '' && src.indexOf('<', idx) !== -1) {
      scan.col.add(R.dataUrl, 2, SCORE.critical, 'data: URL with markup', src, k, n);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

const CSS_MESSAGES: Record<number, string> = {
  [CSS_EXPRESSION]: 'CSS expression()',
  [CSS_SCRIPT_URL]: 'CSS url() with a script or document URL',
  [CSS_BINDING]: 'CSS -moz-binding',
  [CSS_BEHAVIOR]: 'CSS behavior: url()',
  [CSS_IMPORT]: 'CSS @import',
};

const CONTEXT_TAG = 0;
const CONTEXT_QUOTE = 1;
const CONTEXT_SPACE = 2;

function hasAttr(tag: HtmlTag, name: string): HtmlAttr | undefined {
  for (const a of tag.attrs) if (a.name === name) return a;
  return undefined;
}

/**
 * Vue's and Alpine's directives whose value is an expression the framework runs when it compiles the page
 * (`<p v-show="_c.constructor\`alert(1)\`()">` in a page Vue mounts on): script as event handlers are.
 */
const EXPRESSION_DIRECTIVES: ReadonlySet<string> = new Set(['v-if', 'v-else-if', 'v-show', 'v-for', 'v-text', 'v-model',
  'x-show', 'x-if', 'x-for', 'x-text', 'x-effect', 'x-model']);

/** Framework event attributes. `mayBeInjectedName` relies on these names and prefixes: keep them in step. */
function isFrameworkHandler(name: string): boolean {
  return name.startsWith('ng-') || name.startsWith('data-ng-') || name.startsWith('v-on:') || name.startsWith('x-on:') ||
    (name.length > 1 && name.charCodeAt(0) === 0x40) || name === 'x-init' || name === 'x-data' || name === 'v-html' ||
    name === 'x-html' || name === 'v-bind:href' || name === ':href' || EXPRESSION_DIRECTIVES.has(name) ||
    // htmx runs `hx-on:click`, `hx-on::before-request` and `hx-on-click` as script; Vue and Alpine bind an event
    // attribute to what the expression gives (`v-bind:onerror`, `:onerror`, `x-bind:onerror`)
    name.startsWith('hx-on') || name.startsWith('data-hx-on') || name.startsWith('v-bind:on') || name.startsWith('x-bind:on') ||
    (name.length > 3 && name.charCodeAt(0) === 0x3a && name.charCodeAt(1) === 0x6f && name.charCodeAt(2) === 0x6e);
}

/**
 * The first `&` of the scanned text at or after `from` (-1: none), the one found before when it lies between: each
 * attribute looked for one to the end of the text, quadratic in a value of many attributes and no `&`.
 */
function nextAmpersand(scan: Scan, from: number): number {
  if (!(scan.ampSearchedFrom >= 0 && scan.ampSearchedFrom <= from && (scan.ampAt === -1 || from <= scan.ampAt))) {
    scan.ampSearchedFrom = from;
    scan.ampAt = scan.src.indexOf('&', from);
  }
  return scan.ampAt;
}

/**
 * `leading`: for an attribute written without a tag, nothing but white space stands between it and the start of
 * the value or the quote that broke out (`" onload=`, `  onclick=`): the value was made to be an attribute.
 * (`mayInjectAttribute` relies on which names this acts on without a tag: keep it in step.)
 */
function checkAttr(scan: Scan, element: string, attr: HtmlAttr, context: number, depth: number, leading = false): void {
  const src = scan.src;
  const col = scan.col;
  const name = attr.name;
  const hasValue = attr.valueStart >= 0;
  const end = hasValue ? attr.valueEnd : attr.nameStart + name.length;
  // The browser decodes character references in attribute values before using them (`confirm&lpar;1&rpar;`).
  let text = src;
  let vs = attr.valueStart;
  let ve = attr.valueEnd;
  if (hasValue) {
    const amp = nextAmpersand(scan, vs);
    if (amp !== -1 && amp < ve) {
      text = decodeHtmlEntities(src.slice(vs, ve));
      vs = 0;
      ve = text.length;
    }
  }
  if (hasValue && isFrameworkHandler(name)) {
    // Angular, Vue and Alpine run these values as expressions: `ng-click`, `v-on:click`, `@click`, `x-init`.
    const strength = jsStrength(text, vs, ve);
    const rule = context === CONTEXT_TAG ? R.handler : R.attrInjection;
    if (strength === ST_SINK && context !== CONTEXT_SPACE) col.add(rule, 1, SCORE.critical, `framework event attribute ${name} with script`, src, attr.nameStart, end);
    else if (strength >= ST_CALL) col.add(rule, 2, SCORE.critical, `framework event attribute ${name}`, src, attr.nameStart, end);
    return;
  }
  if (name.length > 2 && name.charCodeAt(0) === 0x6f && name.charCodeAt(1) === 0x6e && hasValue) {
    const event = name.slice(2);
    const known = EVENT_NAMES.has(event);
    const plausible = known || (event.length >= 3 && /^[a-z]+$/.test(event));
    if (!plausible) return;
    const strength = jsStrength(text, vs, ve);
    if (context === CONTEXT_TAG) {
      if (known || strength >= ST_CALL) col.add(R.handler, 1, SCORE.critical, `event handler ${name} in a tag`, src, attr.nameStart, end);
      else col.add(R.handler, 2, SCORE.critical, `unknown on* attribute ${name} in a tag`, src, attr.nameStart, end);
    } else if (context === CONTEXT_QUOTE) {
      if (known && (strength >= ST_CALL || leading)) col.add(R.attrInjection, 1, SCORE.critical, `quote break-out into event handler ${name}`, src, attr.nameStart, end);
      else if (!known && strength === ST_SINK) col.add(R.attrInjection, 1, SCORE.critical, `quote break-out into handler-like attribute ${name}`, src, attr.nameStart, end);
      else if (known || strength === ST_CALL || leading) col.add(R.attrInjection, 2, SCORE.critical, `quote break-out into attribute ${name}`, src, attr.nameStart, end);
    } else {
      if (known && (strength === ST_SINK || leading)) col.add(R.attrInjection, 1, SCORE.critical, `event handler ${name}${leading ? ' at the start of the value' : ' with script'}`, src, attr.nameStart, end);
      else if (known) col.add(R.attrInjection, 2, SCORE.critical, `event handler attribute ${name}`, src, attr.nameStart, end);
      else if (strength === ST_SINK || leading) col.add(R.attrInjection, 2, SCORE.critical, `handler-like attribute ${name}${leading ? ' at the start of the value' : ' with script'}`, src, attr.nameStart, end);
    }
    return;
  }
  // `" formaction=`, `' srcdoc=`: a break-out into an attribute that loads or runs what it is given.
  if (context === CONTEXT_QUOTE && leading && hasValue && INJECTED_LOADERS.has(name)) {
    col.add(R.attrInjection, 2, SCORE.critical, `quote break-out into the ${name} attribute`, src, attr.nameStart, end);
  }
  if (!hasValue || context === CONTEXT_SPACE) return;
  const rule = context === CONTEXT_TAG ? R.jsUrl : R.attrInjection;
  if (URL_ATTRS.has(name)) {
    checkUrl(col, text, vs, ve, element, name, rule);
  } else if (name === 'style') {
    const hit = scanCss(text, vs, ve, true);
    if (hit !== null) col.add(R.css, 1, SCORE.critical, `${CSS_MESSAGES[hit.kind]} in a style attribute`, text, hit.at, ve);
  } else if (ANIMATION_ELEMENTS.has(element) && (name === 'values' || name === 'to' || name === 'from' || name === 'by')) {
    let p = vs;
    while (p <= ve) {
      let q = p; // (the next `;` in the value only)
      while (q < ve && text.charCodeAt(q) !== 0x3b) q++;
      checkUrl(col, text, p, q, element, 'href', rule);
      p = q + 1;
    }
  }
  // (a `<` in the value only: a search to the end of the text for each attribute adds up to quadratic)
  let lt = vs;
  while (lt < ve && text.charCodeAt(lt) !== 0x3c) lt++;
  if (depth < 2 && lt < ve && (name === 'srcdoc' || context === CONTEXT_TAG)) {
    if (text === src) scanHtml(scan, vs, ve, depth + 1);
    else {
      const inner = newScan(text, col);
      scanHtml(inner, 0, text.length, depth + 1);
    }
  }
}

/** Attributes that load or run their value, rarely written by hand after a quote. */
const INJECTED_LOADER_NAMES = ['formaction', 'srcdoc', 'xlink:href', 'dynsrc', 'lowsrc', 'datasrc'];
const INJECTED_LOADERS: ReadonlySet<string> = new Set(INJECTED_LOADER_NAMES);

/** Character sets a page may declare without changing how ASCII markup is read. */
const ORDINARY_CHARSET = /^["']?\s*(?:utf-?8|iso-?8859-?\d+|windows-?125\d|us-?ascii|ascii|latin-?1|shift_jis|euc-(?:jp|kr)|gb2312|gbk|gb18030|big5|koi8-[ru])\b/;

function lowerAttr(src: string, a: HtmlAttr | undefined): string {
  return a === undefined || a.valueStart < 0 ? '' : src.slice(a.valueStart, a.valueEnd).trim().toLowerCase();
}

/** `width=0`, `height=1`, `style="display:none"`, `hidden`: content loaded where nobody sees it. */
function isHidden(src: string, tag: HtmlTag): boolean {
  if (hasAttr(tag, 'hidden') !== undefined) return true;
  for (const name of ['width', 'height']) {
    const v = lowerAttr(src, hasAttr(tag, name));
    if (v === '0' || v === '1' || v === '0px' || v === '1px') return true;
  }
  const style = lowerAttr(src, hasAttr(tag, 'style')).replace(/\s/g, '');
  return style.includes('display:none') || style.includes('visibility:hidden') || style.includes('opacity:0');
}

/**
 * The tag follows a quote and a `>` that ends no tag of the value: it was written after breaking out of an
 * attribute (`"><iframe ...`).
 */
function breakoutBefore(scan: Scan, at: number): boolean {
  const src = scan.src;
  let j = at - 1;
  while (j >= 0 && isHtmlSpace(src.charCodeAt(j))) j--;
  if (j < 0 || src.charCodeAt(j) !== 0x3e) return false;
  if (j + 1 === scan.lastTagEnd) return false;
  j--;
  while (j >= 0 && isHtmlSpace(src.charCodeAt(j))) j--;
  return j >= 0 && (src.charCodeAt(j) === 0x22 || src.charCodeAt(j) === 0x27);
}

/** Most `<style>` contents before one `</style` whose CSS is scanned (see styleElement). */
const MAX_CSS_SCANS = 8;

/**
 * A `<style>` start tag: its content, up to the next `</style` (or the end), is read as CSS. Contents before the
 * same `</style` overlap (`<style>a<style>b</style>`: each `<style>` might be the one a page opens), and reading each
 * one whole made a run of `<style>` quadratic (64 KB of them took seconds). So a content that is a suffix of the last
 * one scanned is not read again when it starts outside any CSS comment of it and after what that scan found (or it
 * found nothing): CSS is read left to right and drops only comments, so from there it reads the same text, and
 * finds what that scan found there, which is the same finding (counted once). The others are scanned, at most
 * MAX_CSS_SCANS per `</style`; more than that is no page's markup and cannot be inspected in linear time, so it is
 * reported (fail closed).
 */
function styleElement(scan: Scan, tag: HtmlTag, solid: boolean): void {
  const src = scan.src;
  const col = scan.col;
  // The first `</style` at or after the content's start: the one found before when it lies between the two.
  if (!(scan.styleSearchedFrom >= 0 && scan.styleSearchedFrom <= tag.end && tag.end <= scan.styleClose)) {
    const found = lowerOf(scan).indexOf('</style', tag.end);
    scan.styleSearchedFrom = tag.end;
    scan.styleClose = found === -1 ? src.length : found;
  }
  const close = scan.styleClose;
  let hit: CssHit | null = null;
  if (tag.closed) {
    const suffix = close === scan.cssClose && tag.end >= scan.cssFrom && (scan.cssComment === -1 || scan.cssComment >= tag.end) &&
      (scan.cssHit === null || scan.cssHit.at >= tag.end);
    if (suffix) hit = scan.cssHit;
    else {
      if (close !== scan.cssClose) scan.cssScans = 0;
      if (scan.cssScans >= MAX_CSS_SCANS) {
        col.add(R.css, 1, SCORE.critical, `more than ${MAX_CSS_SCANS} overlapping <style> contents before one </style> (not inspected)`, src, tag.start, tag.end);
        return;
      }
      scan.cssScans++;
      scan.cssFrom = tag.end;
      scan.cssClose = close;
      // (a `/*` in this content only: one at or past `close` counts as none, and a search to the end for every
      // `<style>…</style>` was quadratic)
      let comment = tag.end;
      while (comment + 1 < close && !(src.charCodeAt(comment) === 0x2f && src.charCodeAt(comment + 1) === 0x2a)) comment++;
      scan.cssComment = comment + 1 < close ? comment : -1;
      hit = scanCss(src, tag.end, close, true);
      scan.cssHit = hit;
    }
  }
  // @import of a web font or stylesheet is ordinary in HTML mail and CMS content; the others run code.
  if (hit !== null) {
    col.add(R.css, hit.kind === CSS_IMPORT ? 2 : 1, SCORE.critical, `${CSS_MESSAGES[hit.kind]} in a <style> element`, src, tag.start, Math.min(close, tag.start + MAX_EXCERPT));
  } else if (solid) col.add(R.loadingTag, 2, SCORE.critical, '<style> element', src, tag.start, tag.end);
}

/**
 * A `<script>` tag written as a word of a sentence: no `</script>` after it, nothing after it that code would have
 * (`(`, `=`, `;`, `{`, a quote, a backtick, `<`, `.` followed by a letter), and two plain words or more around it.
 */
function scriptTagInProse(src: string, start: number, end: number): boolean {
  const after = src.slice(end, end + 400);
  if (SCRIPT_CODE_AFTER.test(after)) return false;
  let words = 0;
  for (const part of [src.slice(Math.max(0, start - 400), start), after]) {
    const found = part.match(PROSE_WORD);
    words += found === null ? 0 : found.length;
  }
  return words >= 2;
}
const SCRIPT_CODE_AFTER = /[(=;{}'"`<\[\]]|\.[A-Za-z_$]/;
const PROSE_WORD = /[A-Za-z]{3,}/g;

/**
 * In an XML document with namespaces, an element of the document's own vocabulary that shares a name with an HTML
 * one: S3's `<Delete><Object>`, XML Signature's `<ds:Object>`. XML names are case-sensitive and XHTML's are lower
 * case, so a name written with a capital, or with a prefix other than `html`/`xhtml`, is not the HTML element. (A
 * value without `xmlns` is read as HTML, case-insensitively.)
 */
function xmlVocabularyElement(src: string, tag: HtmlTag): boolean {
  if (!src.includes('xmlns')) return false;
  const written = src.slice(tag.start + 1, tag.start + 1 + tag.name.length);
  if (written !== written.toLowerCase()) return true;
  const colon = tag.name.indexOf(':');
  return colon > 0 && tag.name.slice(0, colon) !== 'html' && tag.name.slice(0, colon) !== 'xhtml';
}

function checkTag(scan: Scan, tag: HtmlTag, depth: number): void {
  const src = scan.src;
  const col = scan.col;
  const local = tag.local;
  if (depth === 0) scan.tags.push(tag.start, tag.end);
  const afterBreakout = breakoutBefore(scan, tag.start);
  scan.lastTagEnd = tag.end;
  if (tag.endTag) {
    if (RAW_TEXT_ELEMENTS.has(local) && !(scan.opened?.has(local) ?? false) && !(scan.strayClosers?.has(local) ?? false)) {
      (scan.strayClosers ??= new Map()).set(local, tag.start);
    }
    return;
  }
  if (tag.pi) {
    if (local === 'import') col.add(R.loadingTag, 1, SCORE.critical, '<?import> (HTC behaviour import)', src, tag.start, tag.end);
    return;
  }
  if (RAW_TEXT_ELEMENTS.has(local)) (scan.opened ??= new Set()).add(local);
  const solid = tag.closed || tag.attrs.length > 0 || tag.delimited;
  if (local === 'script') {
    // `how to use <script> in html`, `<script async> vs defer`: the tag named in a sentence, no code after it and no
    // end tag (the page's rest would become a script that does not parse): paranoia 2
    const named = solid && !afterBreakout && !tag.attrs.some((a) => a.name !== 'async' && a.name !== 'defer' && a.name !== 'type') && scriptTagInProse(src, tag.start, tag.end);
    col.add(R.scriptTag, solid && !named ? 1 : 2, SCORE.critical, named ? '<script> element named in text' : '<script> element', src, tag.start, tag.end);
  } else if (local === 'iframe' || local === 'frame') {
    // Embedded videos and maps are iframes with an http(s) URL, in the rich text of a body; hidden ones, ones
    // injected right after a quote break-out, and any in a URL or a header (where no editor puts one: there it frames
    // another site's page into this one) are not.
    if (solid) {
      const hidden = isHidden(src, tag);
      const srcAttr = hasAttr(tag, 'src');
      if (hidden || afterBreakout || srcAttr === undefined || col.source !== 'body') {
        col.add(R.loadingTag, 1, SCORE.critical, `<${local}> element${hidden ? ' (hidden)' : ''}`, src, tag.start, tag.end);
      } else col.add(R.loadingTag, 2, SCORE.critical, `<${local}> element`, src, tag.start, tag.end);
    }
  } else if (LOADING_ELEMENTS.has(local)) {
    if (solid && !xmlVocabularyElement(src, tag)) col.add(R.loadingTag, 1, SCORE.critical, `<${local}> element (loads other content)`, src, tag.start, tag.end);
  } else if (local === 'base') {
    if (hasAttr(tag, 'href')) col.add(R.loadingTag, 1, SCORE.critical, '<base href> (redirects relative URLs)', src, tag.start, tag.end);
    else if (solid) col.add(R.htmlTag, 2, SCORE.warning, '<base> element', src, tag.start, tag.end);
  } else if (local === 'meta') {
    const equiv = lowerAttr(src, hasAttr(tag, 'http-equiv'));
    const charset = lowerAttr(src, hasAttr(tag, 'charset'));
    const content = lowerAttr(src, hasAttr(tag, 'content'));
    // A refresh redirects, set-cookie plants a cookie, an exotic charset (UTF-7) changes how the page is read.
    const exotic = (charset !== '' && !ORDINARY_CHARSET.test(charset)) ||
      (equiv === 'content-type' && content.includes('charset=') && !ORDINARY_CHARSET.test(content.slice(content.indexOf('charset=') + 8)));
    if (equiv === 'refresh' || equiv === 'set-cookie' || exotic) {
      col.add(R.loadingTag, 1, SCORE.critical, `<meta ${equiv !== '' ? 'http-equiv=' + equiv : 'charset=' + charset}>`, src, tag.start, tag.end);
    } else if (equiv !== '' || charset !== '') {
      col.add(R.loadingTag, 2, SCORE.critical, '<meta http-equiv/charset>', src, tag.start, tag.end);
    } else if (tag.closed) col.add(R.htmlTag, 2, SCORE.notice, '<meta> element', src, tag.start, tag.end);
  } else if (local === 'link') {
    const rel = lowerAttr(src, hasAttr(tag, 'rel'));
    const type = lowerAttr(src, hasAttr(tag, 'type'));
    const href = lowerAttr(src, hasAttr(tag, 'href'));
    const script = type.includes('script') || /\.js(?:$|[?#])/.test(href);
    if (hasAttr(tag, 'href') !== undefined && (rel.includes('import') || script || afterBreakout)) {
      col.add(R.loadingTag, 1, SCORE.critical, `<link${rel !== '' ? ' rel=' + rel : ''} href> (loads a resource)`, src, tag.start, tag.end);
    } else if (hasAttr(tag, 'href') !== undefined) {
      col.add(R.loadingTag, 2, SCORE.critical, '<link href> (loads a resource)', src, tag.start, tag.end);
    } else if (solid) col.add(R.htmlTag, 2, SCORE.warning, '<link> element', src, tag.start, tag.end);
  } else if (local === 'style') {
    styleElement(scan, tag, solid);
  } else if (local === 'form') {
    if (hasAttr(tag, 'action')) col.add(R.loadingTag, 2, SCORE.critical, '<form action> element', src, tag.start, tag.end);
    else if (solid) col.add(R.htmlTag, 2, SCORE.warning, '<form> element', src, tag.start, tag.end);
  } else if (local === 'svg' || local === 'math') {
    if (solid) col.add(R.htmlTag, 2, SCORE.warning, `<${local}> (foreign content)`, src, tag.start, tag.end);
  } else if (KNOWN_ELEMENTS.has(local) && afterBreakout && (tag.closed || tag.attrs.length > 0)) {
    col.add(R.htmlTag, 2, SCORE.critical, `<${local}> injected after a quote break-out`, src, tag.start, tag.end);
  } else if (KNOWN_ELEMENTS.has(local) && tag.closed) {
    if (tag.attrs.length > 0) col.add(R.htmlTag, 2, SCORE.notice, `<${local}> tag with attributes`, src, tag.start, tag.end);
    else col.add(R.htmlTag, 3, SCORE.notice, `<${local}> tag`, src, tag.start, tag.end);
  }
  for (const a of tag.attrs) checkAttr(scan, local, a, CONTEXT_TAG, depth);
  scan.lastTagEnd = tag.end;
}

function scanHtml(scan: Scan, from: number, to: number, depth: number): void {
  scanTags(scan.src, from, to, (tag) => { checkTag(scan, tag, depth); });
}

function reportStrayClosers(scan: Scan): void {
  const closers = scan.strayClosers;
  if (closers === null || closers.size === 0) return;
  let first = scan.src.length;
  for (const at of closers.values()) if (at < first) first = at;
  const names = [...closers.keys()].join(', ');
  if (closers.size >= 3) {
    scan.col.add(R.rawText, 1, SCORE.critical, `closes several raw-text elements it did not open (${names})`, scan.src, first, first + MAX_EXCERPT);
  } else if (closers.has('script')) {
    scan.col.add(R.rawText, 2, SCORE.critical, 'closes a <script> element it did not open', scan.src, closers.get('script') ?? first, first + 40);
  } else {
    scan.col.add(R.rawText, 2, SCORE.warning, `closes a raw-text element it did not open (${names})`, scan.src, first, first + 40);
  }
}

// Prescan for the attribute reading. `checkAttr` reports nothing for an attribute written without a tag unless its
// (lower-cased) name is one of these: a framework handler (`ng-`, `data-ng-`, `v-on:`, `x-on:`, `@x`, or one of
// the names below), `on` and an event name (a known one or at least three letters a-z), one of INJECTED_LOADERS
// or URL_ATTRS, `style` or `srcdoc` (animation attributes need an element); and it has no side effect for the
// others. `readAttributes` only keeps attributes with a value, whose name ends right before white space and the
// `=`; a name holds no white space, `/`, `>` or `=`, except that its first character may be `=` (which none of
// these names starts with). So the name of an attribute that matters is a suffix of the longest run of such
// characters before some `=` (white space skipped); `mayInjectAttribute` tests every such run.

/** Names that matter as a whole (see above), by their last character. */
const INJECTION_NAMES: ReadonlyArray<readonly string[] | undefined> = (() => {
  const byLast: string[][] = [];
  const names = new Set([
    ...URL_ATTRS, ...INJECTED_LOADER_NAMES, 'style', 'srcdoc', 'x-init', 'x-data', 'v-html', 'x-html', 'v-bind:href', ':href',
    ...EXPRESSION_DIRECTIVES,
  ]);
  for (const name of names) (byLast[name.charCodeAt(name.length - 1)] ??= []).push(name);
  return byLast;
})();

/** Every event name is three letters a-z or more (so `on` must be followed by that many letters). */
const EVENTS_ARE_WORDS = [...EVENT_NAMES].every((e) => e.length >= 3 && isLowerWord(e));

function isLowerWord(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x61 || s.charCodeAt(i) > 0x7a) return false;
  return true;
}

/**
 * A character's lower case where it is ASCII (what `toLowerCase` gives, character by character: A-Z, and the
 * Kelvin sign K, the only other character whose lower case is one ASCII character; U+0130 lower-cases to `i`
 * and a combining dot, which breaks any ASCII name it is part of). Other characters are returned unchanged.
 */
function asciiLower(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 32;
  return c === 0x212a ? 0x6b : c;
}

/** The lower-cased `src[from, to)` ends with `word` (ASCII, lower case). */
function endsWithLower(src: string, from: number, to: number, word: string): boolean {
  if (to - from < word.length) return false;
  for (let k = 1; k <= word.length; k++) if (asciiLower(src.charCodeAt(to - k)) !== word.charCodeAt(word.length - k)) return false;
  return true;
}

/** Some suffix of `src[from, to)`, lower-cased, is an attribute name that `checkAttr` acts on (see above). */
function mayBeInjectedName(src: string, from: number, to: number): boolean {
  const names = INJECTION_NAMES[asciiLower(src.charCodeAt(to - 1))];
  if (names !== undefined) {
    for (let k = 0; k < names.length; k++) if (endsWithLower(src, from, to, names[k])) return true;
  }
  // One pass from the end: `on` and an event (the suffix is five letters or more), `@x`, and the prefixes with a
  // `-` (`ng-`, `data-ng-`, `v-on:`, `x-on:`).
  let letters = true; // src[i + 1, to) are all letters
  for (let i = to - 1; i >= from; i--) {
    const c = src.charCodeAt(i);
    const l = asciiLower(c);
    if (l >= 0x61 && l <= 0x7a) {
      if (l === 0x6f && (letters || !EVENTS_ARE_WORDS) && i + 1 < to && asciiLower(src.charCodeAt(i + 1)) === 0x6e &&
        (to - i >= 5 || !EVENTS_ARE_WORDS)) return true;
      continue;
    }
    letters = false;
    if (c === 0x40) {
      if (i + 1 < to) return true;
    } else if (c === 0x2d && i > from) {
      const a = asciiLower(src.charCodeAt(i - 1));
      if (a === 0x67 && i - 1 > from && asciiLower(src.charCodeAt(i - 2)) === 0x6e) return true; // ng-
      if ((a === 0x76 || a === 0x78) && i + 3 < to && asciiLower(src.charCodeAt(i + 1)) === 0x6f &&
        asciiLower(src.charCodeAt(i + 2)) === 0x6e && src.charCodeAt(i + 3) === 0x3a) return true; // v-on:, x-on:
    }
  }
  return false;
}

/** False when `checkAttributeInjection` cannot report anything for `src` (see above; it is called only if true). */
function mayInjectAttribute(src: string): boolean {
  let eq = src.indexOf('=');
  while (eq !== -1) {
    let end = eq;
    while (end > 0 && isHtmlSpace(src.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0) {
      const c = src.charCodeAt(start - 1);
      if (isHtmlSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
      start--;
    }
    if (start < end && mayBeInjectedName(src, start, end)) return true;
    eq = src.indexOf('=', eq + 1);
  }
  return false;
}

/**
 * The value placed inside an attribute the application wrote: read as an attribute list from its first quote (a
 * quoted attribute broken out of) or its first white space (an unquoted one), whichever comes first. Attributes
 * after a quote are judged as a quote break-out, the others as an unquoted one.
 */
function checkAttributeInjection(scan: Scan): void {
  const src = scan.src;
  const n = src.length;
  let firstQuote = -1;
  let firstSpace = -1;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    if ((c === 0x22 || c === 0x27) && firstQuote === -1) firstQuote = i;
    else if (isHtmlSpace(c) && firstSpace === -1) firstSpace = i;
    if (firstQuote !== -1 && firstSpace !== -1) break;
  }
  let start = firstQuote === -1 ? firstSpace : firstSpace === -1 ? firstQuote + 1 : Math.min(firstQuote + 1, firstSpace);
  if (start === -1) return;
  const attrs: HtmlAttr[] = [];
  // Past a `>` the value is text again; attributes may follow a later quote or space, so read on from there.
  for (let round = 0; round < 8 && start < n; round++) {
    attrs.length = 0;
    const r = readAttributes(src, start, n, attrs, true);
    for (const a of attrs) {
      // Attributes of a tag the HTML scan already judged are not judged again as an injection.
      if (scan.tags.length > 0 && inRanges(scan.tags, a.nameStart, a.nameStart + 1)) continue;
      const quoted = firstQuote !== -1 && firstQuote < a.nameStart;
      checkAttr(scan, '', a, quoted ? CONTEXT_QUOTE : CONTEXT_SPACE, 1, onlySpaceBetween(src, quoted ? firstQuote + 1 : 0, a.nameStart, quoted));
    }
    if (r.end >= n) break;
    let next = r.end;
    while (next < n && !isHtmlSpace(src.charCodeAt(next)) && src.charCodeAt(next) !== 0x22 && src.charCodeAt(next) !== 0x27) next++;
    start = next < n && !isHtmlSpace(src.charCodeAt(next)) ? next + 1 : next;
  }
}

/** `src[from, to)` is white space only; at least one character of it unless `emptyOk` (right after a quote). */
function onlySpaceBetween(src: string, from: number, to: number, emptyOk: boolean): boolean {
  if (to - from > 64) return false;
  if (to <= from) return emptyOk && to === from;
  for (let i = from; i < to; i++) if (!isHtmlSpace(src.charCodeAt(i))) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// JavaScript

const CTX_FRAGMENT = 0;
const CTX_CODE = 1;
const CTX_BREAKOUT = 2;

const KIND_NAMES: Record<number, string> = {
  [K_PROBE]: 'dialog call', [K_EXEC]: 'code evaluation', [K_OBF]: 'obfuscated call', [K_SECRET]: 'cookie or storage read',
  [K_NAV]: 'navigation', [K_NET]: 'network request', [K_DOM]: 'DOM write', [K_DECODE]: 'string decoding',
  [K_TIMER]: 'timer',
};

function inRanges(ranges: number[], start: number, end: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (start >= ranges[i] && end <= ranges[i + 1]) return true;
  return false;
}

/** Objects of Vue and AngularJS expressions that lead out of their sandbox to the window. */
const TEMPLATE_ESCAPES = ['$el', '$event', 'ownerdocument', 'defaultview', 'constructor', '$parent', '$root', '_c.', '$eval', '$on.'];

/** The `{{ }}` range holding `at` names one of TEMPLATE_ESCAPES. */
function templateEscape(src: string, ranges: number[], at: number): boolean {
  for (let k = 0; k + 1 < ranges.length; k += 2) {
    if (at < ranges[k]! || at >= ranges[k + 1]!) continue;
    const text = src.slice(ranges[k]!, Math.min(ranges[k + 1]!, ranges[k]! + 512)).toLowerCase();
    return TEMPLATE_ESCAPES.some((m) => text.includes(m));
  }
  return false;
}

/** `{{ ... }}` ranges (client-side template expressions). */
function mustacheRanges(src: string): number[] {
  const out: number[] = [];
  let i = src.indexOf('{{');
  while (i !== -1 && out.length < 32) {
    let close = src.indexOf('}}', i + 2);
    close = close === -1 ? src.length : close + 2;
    out.push(i, close);
    i = src.indexOf('{{', close);
  }
  return out;
}

/**
 * Weighs the events found in one reading of the value. Events past `limit` (after a line comment that ends the
 * code) count as fragments whatever the context.
 */
function decideEvents(scan: Scan, events: JsEvent[], baseContext: number, limit: number, mustache: number[], how: string): void {
  const src = scan.src;
  const col = scan.col;
  let exfilSink = false;
  for (const e of events) {
    if (e.kind === K_NET || ((e.kind === K_NAV) && e.form !== F_REF) || ((e.kind === K_PROBE || e.kind === K_EXEC) && e.form === F_CALL)) exfilSink = true;
  }
  for (const e of events) {
    const what = `${KIND_NAMES[e.kind]} ${e.name}`;
    const context = e.end <= limit ? baseContext : CTX_FRAGMENT;
    if (mustache.length > 0 && inRanges(mustache, e.start, e.end)) {
      if (e.kind === K_PROBE || e.kind === K_EXEC || e.kind === K_OBF || e.kind === K_SECRET) {
        // a call that reaches the window from the framework's own objects (`$el.ownerDocument.defaultView`,
        // `$event.view`, `constructor.constructor`): Vue's and AngularJS's sandbox escapes
        const escape = (e.kind === K_PROBE || e.kind === K_EXEC) && e.form === F_CALL && templateEscape(src, mustache, e.start);
        col.add(R.template, escape ? 1 : 2, SCORE.critical, `${what} in a {{ }} template expression${escape ? ' reaching the window' : ''}`, src, e.start, e.end);
      }
      continue;
    }
    if (context === CTX_BREAKOUT) {
      const weak = (e.kind === K_NAV && e.form === F_REF) || e.kind === K_DOM || (e.kind === K_TIMER && !e.strong) ||
        (e.kind === K_DECODE && !e.strong) || (e.kind === K_OBF && !e.strong);
      if (weak) col.add(R.breakout, 2, SCORE.critical, `${how}: ${what}`, src, e.start, e.end);
      else col.add(R.breakout, 1, SCORE.critical, `${how}: ${what}`, src, e.start, e.end);
      continue;
    }
    const code = context === CTX_CODE;
    switch (e.kind) {
      case K_PROBE:
      case K_EXEC: {
        const rule = e.obf ? R.obfuscation : R.sink;
        if (e.form === F_CALL) {
          if (e.strong || code) col.add(rule, 1, SCORE.critical, what, src, e.start, e.end);
          else col.add(rule, 2, SCORE.critical, what, src, e.start, e.end);
        } else if (e.form === F_VALUE) {
          col.add(rule, 1, SCORE.critical, `${what} passed as a value`, src, e.start, e.end);
        } else if (e.form === F_ASSIGNED) {
          if (code) col.add(rule, 1, SCORE.critical, `${what} stored to be called`, src, e.start, e.end);
          else col.add(rule, 2, SCORE.warning, `${what} stored to be called`, src, e.start, e.end);
        }
        break;
      }
      case K_OBF:
        if (e.form === F_CALL) col.add(R.obfuscation, e.strong ? 1 : 2, SCORE.critical, what, src, e.start, e.end);
        else if (e.strong) col.add(R.obfuscation, 2, SCORE.critical, what, src, e.start, e.end);
        else col.add(R.obfuscation, code ? 2 : 3, code ? SCORE.warning : SCORE.notice, what, src, e.start, e.end);
        break;
      case K_SECRET:
        if (e.obf) col.add(R.obfuscation, 1, SCORE.critical, `obfuscated ${what}`, src, e.start, e.end);
        else if (exfilSink) col.add(R.code, 1, SCORE.critical, `${what} sent somewhere`, src, e.start, e.end);
        // A path segment named after the property is a documentation page, not a script (`/api/document.cookie`).
        else if (code && col.source !== 'path') col.add(R.code, 1, SCORE.critical, `${what} (the value is a script)`, src, e.start, e.end);
        else if (code) col.add(R.code, 2, SCORE.critical, `${what} (the value is a script)`, src, e.start, e.end);
        else col.add(R.code, 2, SCORE.warning, what, src, e.start, e.end);
        break;
      case K_NAV:
        if (e.form === F_REF) col.add(R.code, code ? 2 : 3, code ? SCORE.critical : SCORE.notice, what, src, e.start, e.end);
        else if (code) col.add(R.code, 2, SCORE.critical, what, src, e.start, e.end);
        else col.add(R.code, 2, SCORE.warning, what, src, e.start, e.end);
        break;
      case K_TIMER:
        if (code && e.strong) col.add(R.code, 2, SCORE.critical, `${what} with a variable`, src, e.start, e.end);
        else col.add(R.code, code ? 2 : 3, code ? SCORE.warning : SCORE.notice, what, src, e.start, e.end);
        break;
      case K_NET:
        col.add(R.code, code ? 2 : 3, code ? SCORE.warning : SCORE.notice, what, src, e.start, e.end);
        break;
      case K_DOM:
        // A value that is a whole script rewriting the page (`document.body.appendChild(...)`).
        col.add(R.code, code ? 2 : 3, code ? SCORE.critical : SCORE.notice, what, src, e.start, e.end);
        break;
      case K_DECODE:
        if (e.obf) col.add(R.obfuscation, 2, SCORE.critical, what, src, e.start, e.end);
        else if (code) col.add(R.code, 2, e.strong ? SCORE.critical : SCORE.warning, what, src, e.start, e.end);
        else col.add(R.code, 3, SCORE.notice, what, src, e.start, e.end);
        break;
      default:
        break;
    }
  }
}

const QUOTES = ['"', "'", '`'];
const QUOTE_BITS = [M_DQUOTE, M_SQUOTE, M_BACKTICK];

const NO_RANGES: number[] = [];

/**
 * What `examine` (js.ts) needs around a sink name, whatever the range scanned (see `mayFire`): a next token
 * starting with `(` `` ` `` `?` `.` `}` `)` `,` `=` or `[` (or `+=`, which counts only after a `.`), or a previous
 * token `.` or `=`; comments in between change nothing. Without any of these characters, no range of the value
 * holds a sink use but the storage objects and the constructors called with `new`, whose names hold one of the
 * words of BARE_SINKS.
 */
const M_SINK_PUNCT = M_LPAREN | M_BACKTICK | M_QUESTION | M_DOT | M_RBRACE | M_RPAREN | M_COMMA | M_EQ | M_LBRACKET;

function maySinkAnywhere(src: string, mask: number, known: Prescan | null): boolean {
  return (mask & M_SINK_PUNCT) !== 0 || ((mask & M_BARE_HINT) !== 0 && (known !== null ? known.bare : BARE_SINKS.test(src)));
}

/** `known`: what `prescanBytes` found in `scan.src`, or null. */
function checkJavaScript(scan: Scan, mask: number, known: Prescan | null): void {
  // Without the characters of M_SINK_PUNCT or a word of BARE_SINKS nothing below reports: there is no sink use in
  // any range, and the "call after a break-out" needs `(` or a template, both among those characters.
  if (!maySinkAnywhere(scan.src, mask, known)) return;
  const src = scan.src;
  const n = src.length;
  const mustache = (mask & M_LBRACE) === 0 || src.indexOf('{{') === -1 ? NO_RANGES : mustacheRanges(src);
  // The whole value as a fragment, or as a complete script.
  const events: JsEvent[] = [];
  if (known !== null) scanSinksOfWords(src, events, known.sinkName, known.rootName, known.afterFlags);
  else scanSinks(src, 0, n, events);
  if (events.length > 0) {
    const whole = checkJs(src, 0, n, MODE_BARE);
    const limit = whole.firstLineComment === -1 ? n : whole.firstLineComment;
    decideEvents(scan, events, whole.complete ? CTX_CODE : CTX_FRAGMENT, limit, mustache, '');
  }
  // String break-outs: the value's first quote closes the application's string (not so when an identifier follows
  // it at once, as in `it's`: the checker rejects that first token).
  for (let k = 0; k < QUOTES.length; k++) {
    if ((mask & QUOTE_BITS[k]) === 0) continue;
    const p = src.indexOf(QUOTES[k]);
    if (p !== -1 && p + 1 < n && !identifierAfterString(src, p + 1, n)) checkBreakout(scan, QUOTES[k], p, mustache);
  }
  // Template substitutions: `${...}` runs inside a template literal.
  if ((mask & M_DOLLAR) !== 0) checkSubstitutions(scan, mustache);
}

/** The quote `q` at `p` closes the application's string; what follows may be code. */
function checkBreakout(scan: Scan, q: string, p: number, mustache: number[]): void {
  const src = scan.src;
  const n = src.length;
  const r = checkJs(src, p + 1, n, MODE_AFTER_STRING);
  if (r.tokens === 0 || r.errorAt <= p + 1) return;
  const found: JsEvent[] = [];
  scanSinks(src, p + 1, r.errorAt, found);
  const limit = r.firstLineComment === -1 ? r.errorAt : r.firstLineComment;
  decideEvents(scan, found, CTX_BREAKOUT, limit, mustache, `break-out of a ${q === '`' ? 'template' : 'string'} literal`);
  if (found.length === 0 && r.calls > 0 && r.tokens >= 4 && (r.endedInString || r.errorAt >= n)) {
    scan.col.add(R.breakout, 2, SCORE.warning, 'break-out of a string literal into a call', src, p, r.errorAt);
  }
}

/** `${...}` substitutions, which run inside a template literal. */
function checkSubstitutions(scan: Scan, mustache: number[]): void {
  const src = scan.src;
  const n = src.length;
  let t = src.indexOf('${');
  let count = 0;
  while (t !== -1 && count++ < 16) {
    const found: JsEvent[] = [];
    // The matching `}` within 4 KB (nested braces counted), else the substitution is cut there.
    let close = Math.min(n, t + 4098);
    let depth = 0;
    for (let k = t + 2; k < close; k++) {
      const c = src.charCodeAt(k);
      if (c === 0x7b) depth++;
      else if (c === 0x7d) { if (depth === 0) { close = k; break; } depth--; }
    }
    scanSinks(src, t + 2, close, found);
    // A substitution that is just a sink (`${alert}`) is a value use the scanner already saw in context.
    decideEvents(scan, found.filter((e) => e.form !== F_ASSIGNED), CTX_BREAKOUT, close, mustache, 'template substitution');
    t = src.indexOf('${', close);
  }
}

/**
 * JSFuck and similar: code written with only `[]()!+`. An "atom" is an empty array `[]` used as a value: after
 * `!`, `+`, `[`, `(` or at the start of a run, and before `+`, `)`, `]`, `[` or the end of the run (so a Markdown
 * image `![](x.png)` is none).
 */
function checkJsFuck(scan: Scan): void {
  const src = scan.src;
  const n = src.length;
  let best = 0;
  let bestAt = 0;
  let bestLen = 0;
  let wholeRun = false;
  let firstNonSpace = 0;
  while (firstNonSpace < n && src.charCodeAt(firstNonSpace) <= 0x20) firstNonSpace++;
  let i = 0;
  while (i < n) {
    if (!isFuckChar(src.charCodeAt(i))) { i++; continue; }
    const start = i;
    let length = 0;
    let atoms = 0;
    let bang = false;
    let prev1 = 0; // last character of the run (spaces skipped)
    let prev2 = 0; // the one before
    let pending = false; // `[]` seen with a valid left side, waiting for its right side
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 0x20) { i++; continue; }
      if (!isFuckChar(c)) break;
      if (pending) {
        if (c === 0x2b || c === 0x29 || c === 0x5d || c === 0x5b) atoms++;
        pending = false;
      }
      if (c === 0x5d && prev1 === 0x5b && (prev2 === 0 || prev2 === 0x21 || prev2 === 0x2b || prev2 === 0x5b || prev2 === 0x28)) pending = true;
      if (c === 0x21) bang = true;
      prev2 = prev1;
      prev1 = c;
      length++;
      i++;
    }
    if (pending) atoms++;
    if (atoms > best) { best = atoms; bestAt = start; bestLen = length; }
    if (start === firstNonSpace && atoms >= 1 && length >= 4 && bang) {
      let rest = i;
      while (rest < n && src.charCodeAt(rest) <= 0x20) rest++;
      if (rest >= n) wholeRun = true;
    }
  }
  if ((best >= 3 && bestLen >= 12) || wholeRun) {
    scan.col.add(R.jsfuck, 1, SCORE.critical, 'JavaScript written only with []()!+ (JSFuck)', src, bestAt, bestAt + MAX_EXCERPT);
  } else if (best >= 2) {
    scan.col.add(R.jsfuck, 2, SCORE.warning, 'JSFuck-like fragment', src, bestAt, bestAt + 40);
  }
}

function isFuckChar(c: number): boolean {
  return c === 0x5b || c === 0x5d || c === 0x28 || c === 0x29 || c === 0x21 || c === 0x2b;
}

/**
 * Necessary for `scanCss(src, 0, n, false)` to find anything. It reads a normalized text (comments, white space,
 * control characters and escaping backslashes dropped, A-Z lower-cased) and reports `url(` (alone or after
 * `behavior:`), `:expression(`, `-moz-binding:` and `@import`. So the value holds a `@` whose next kept
 * character is `i`, a `(` whose previous kept character is `l` or `n`, or a `:` whose previous kept character is
 * `g`. Going from the `@`, `(` or `:` over white space and control characters, the first character is that one,
 * unless it is a `/` (a comment may start or end there) or a backslash (it may be dropped): then anything may
 * follow or precede.
 */
function mayHoldBareCss(src: string, mask: number): boolean {
  if ((mask & M_AT) !== 0) {
    for (let q = src.indexOf('@'); q !== -1; q = src.indexOf('@', q + 1)) {
      const c = keptAfter(src, q);
      if (c === 0x69 || c === 0x49 || c === 0x2f || c === 0x5c) return true;
    }
  }
  if ((mask & M_LPAREN) !== 0) {
    for (let q = src.indexOf('('); q !== -1; q = src.indexOf('(', q + 1)) {
      const c = keptBefore(src, q);
      if (c === 0x6c || c === 0x4c || c === 0x6e || c === 0x4e || c === 0x2f || c === 0x5c) return true;
    }
  }
  if ((mask & M_COLON) !== 0) {
    for (let q = src.indexOf(':'); q !== -1; q = src.indexOf(':', q + 1)) {
      const c = keptBefore(src, q);
      if (c === 0x67 || c === 0x47 || c === 0x2f || c === 0x5c) return true;
    }
  }
  return false;
}

/** The first character after `at` that is no white space or control character (as `scanCss` drops), or -1. */
function keptAfter(src: string, at: number): number {
  for (let k = at + 1; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c > 0x20 && c !== 0x7f) return c;
  }
  return -1;
}

/** The first character before `at` that is no white space or control character (as `scanCss` drops), or -1. */
function keptBefore(src: string, at: number): number {
  let k = at - 1;
  while (k >= 0) {
    const c = src.charCodeAt(k);
    if (c > 0x20 && c !== 0x7f) return c;
    k--;
  }
  return -1;
}

function checkBareCss(scan: Scan): void {
  const src = scan.src;
  if (!mayHoldCss(src)) return;
  const hit = scanCss(scan.src, 0, scan.src.length, false);
  if (hit === null) return;
  if (hit.kind === CSS_IMPORT) {
    scan.col.add(R.css, 2, SCORE.warning, CSS_MESSAGES[hit.kind], scan.src, hit.at, hit.at + MAX_EXCERPT);
  } else {
    scan.col.add(R.css, 1, SCORE.critical, CSS_MESSAGES[hit.kind], scan.src, hit.at, hit.at + MAX_EXCERPT);
  }
}

// ---------------------------------------------------------------------------------------------------------------

function newScan(src: string, col: Collector): Scan {
  return {
    src, col, tags: [], opened: null, strayClosers: null, lower: null, lastTagEnd: -1,
    styleSearchedFrom: -1, styleClose: -1, cssFrom: -1, cssClose: -1, cssComment: -1, cssScans: 0, cssHit: null,
    ampSearchedFrom: -1, ampAt: -1,
  };
}

/** The value without its tags: what a filter that strips tags would let through (`autof<x>ocus o<x>nfocus=`). */
function stripTags(src: string, tags: number[]): string {
  let out = '';
  let at = 0;
  for (let i = 0; i < tags.length; i += 2) {
    const s = tags[i];
    const e = tags[i + 1];
    if (s < at) continue;
    out += src.slice(at, s);
    at = e;
  }
  return out + src.slice(at);
}

/** Element names that filters look for, and so get spelled out with spaces (`<s c r i p t`, `<f o r m`). */
const SPACED_NAMES: ReadonlySet<string> = new Set([
  'script', 'iframe', 'frame', 'frameset', 'form', 'dialog', 'object', 'embed', 'applet', 'style', 'svg', 'math',
  'meta', 'link', 'base', 'img', 'image', 'input', 'body', 'video', 'audio', 'details', 'marquee', 'isindex', 'xmp',
  'template', 'textarea', 'select', 'button', 'keygen', 'vmlframe', 'bgsound', 'layer', 'ilayer', 'portal',
]);

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** `<` and an element name written one letter at a time with white space between the letters. */
function checkSpacedTags(scan: Scan): void {
  const src = scan.src;
  const n = src.length;
  let lt = src.indexOf('<');
  let count = 0;
  while (lt !== -1 && lt + 1 < n && count++ < 64) {
    let i = lt + 1;
    let name = '';
    let spaced = 0;
    if (isLetter(src.charCodeAt(i))) {
      name = src[i]!;
      for (;;) {
        let k = i + 1;
        while (k < n && k - i <= 3 && isHtmlSpace(src.charCodeAt(k))) k++;
        if (k === i + 1 || k >= n || !isLetter(src.charCodeAt(k))) break;
        if (k + 1 < n && isLetter(src.charCodeAt(k + 1))) break;
        name += src[k];
        spaced++;
        i = k;
        if (name.length > 10) break;
      }
    }
    if (spaced >= 2 && SPACED_NAMES.has(name.toLowerCase())) {
      scan.col.add(R.htmlTag, 2, SCORE.critical, `<${name.toLowerCase()}> spelled with spaces between its letters`, src, lt, i + 1);
      return;
    }
    lt = src.indexOf('<', i + 1);
  }
}

/** `known`: what `prescanBytes` found in `value` (then `mask` is its mask), or null. */
function analyze(value: string, col: Collector, mask = charMask(value), known: Prescan | null = null): void {
  const scan = newScan(value, col);
  if ((mask & M_LT) !== 0 && value.indexOf('<') !== -1) {
    scanHtml(scan, 0, value.length, 0);
    reportStrayClosers(scan);
    checkSpacedTags(scan);
  }
  if ((mask & M_EQ) !== 0 && (known === null || known.attribute) && mayInjectAttribute(value)) checkAttributeInjection(scan);
  if ((mask & M_COLON) !== 0 && (known === null || known.scheme)) checkSchemes(scan);
  checkJavaScript(scan, mask, known);
  if ((mask & M_LBRACKET) !== 0 && (value.indexOf('[]') !== -1 || value.indexOf('[ ]') !== -1)) checkJsFuck(scan);
  if (known !== null ? known.css : mayHoldBareCss(value, mask)) checkBareCss(scan);
  if (scan.tags.length > 0) {
    const stripped = stripTags(value, scan.tags);
    if (stripped !== value && stripped.trim() !== '') {
      const inner = newScan(stripped, col);
      const innerMask = charMask(stripped);
      if ((innerMask & M_EQ) !== 0 && mayInjectAttribute(stripped)) checkAttributeInjection(inner);
      if ((innerMask & M_COLON) !== 0) checkSchemes(inner);
      checkJavaScript(inner, innerMask, null);
    }
  }
}

/** Rules that count in the high-bit-stripped reading: markup that runs script, nothing weaker. */
const HIGH_BIT_RULES: ReadonlySet<string> = new Set([R.scriptTag, R.handler, R.jsUrl, R.loadingTag, R.dataUrl]);

function readAgain(text: string, col: Collector, note: string, only: ReadonlySet<string> | null): void {
  col.note = note;
  col.only = only;
  try {
    analyze(text, col);
  } finally {
    col.note = '';
    col.only = null;
  }
}

/** The value read as UTF-7, as UTF-8 bytes, with its high bits stripped, with miscased references (readings.ts). */
function alternateReadings(value: string, col: Collector, mask: number, known: Prescan | null): void {
  if ((mask & M_PLUS) !== 0) {
    const utf7 = decodeUtf7(value);
    if (utf7 !== null) readAgain(utf7, col, ' (read as UTF-7)', null);
  }
  if ((mask & M_HIGH) !== 0) {
    const bytes = latin1AsUtf8(value);
    if (bytes !== null) {
      const normalized = bytes.normalize('NFKC');
      if (normalized !== value) readAgain(normalized, col, ' (UTF-8 bytes read as Latin-1)', null);
    }
    const stripped = stripHighBit(bytes ?? value);
    if (stripped !== null) readAgain(stripped, col, ' (high bit stripped)', HIGH_BIT_RULES);
  }
  if ((mask & M_AMP) !== 0 && (known === null || known.looseReference)) {
    const loose = decodeLooseReferences(value);
    if (loose !== null) readAgain(loose, col, ' (miscased character references)', null);
  }
}

/** Mask bits whose character makes some check run whatever else the value holds (see `mayReport`). */
const M_ALWAYS = M_LT | M_LBRACKET | M_PLUS | M_HIGH | M_DOLLAR | M_BACKTICK | M_DQUOTE;

/**
 * False when `analyze` and `alternateReadings` cannot report anything for the pure-ASCII `value` that
 * `prescanBytes` read (`mask`, `known`): each test below stands for one of their gates, taken loosely (true when in
 * doubt). Most ordinary text stops here, before the collector and the scans are set up.
 */
function mayReport(value: string, mask: number, known: Prescan): boolean {
  if ((mask & M_ALWAYS) !== 0) return true;
  if ((mask & M_EQ) !== 0 && known.attribute) return true;
  if ((mask & M_COLON) !== 0 && known.scheme) return true;
  if (known.css) return true;
  if ((mask & M_AMP) !== 0 && known.looseReference) return true;
  // `checkJavaScript`: sink events (with no `[`, roots count for nothing), and the break-out after the first
  // single quote (the other quotes and `${` returned above)
  if (!maySinkAnywhere(value, mask, known)) return false;
  if (known.sinkName || known.afterFlags) return true;
  if ((mask & M_SQUOTE) !== 0) {
    const p = value.indexOf("'");
    if (p !== -1 && p + 1 < value.length && !identifierAfterString(value, p + 1, value.length)) return true;
  }
  return false;
}

export const xssDetector: Detector = {
  category: 'xss',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 3) return;
    let mask: number;
    let known: Prescan | null = null;
    const bytes = value.length >= PRESCAN_MIN && value.length <= PRESCAN_MAX ? asciiBytes(value) : undefined;
    if (bytes !== undefined) {
      mask = prescanBytes(value, bytes);
      known = prescan;
    } else {
      mask = charMask(value);
    }
    // None of the characters any check starts from, and no word of a sink that needs none: nothing can fire.
    if ((mask & ~M_BARE_HINT) === 0 && !maySinkAnywhere(value, mask, known)) return;
    if (known !== null && !mayReport(value, mask, known)) return;
    const col = new Collector(context.paranoia, context.source);
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    analyze(value, col, mask, known);
    alternateReadings(value, col, mask, known);
    col.flush(report);
  },
};

