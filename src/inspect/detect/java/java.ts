import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { lowerOf } from '../value-lower-case.ts';
import { isFileHeader, isFileNameField } from '../field-name.ts';

/**
 * Java attacks: deserialization, class-loader manipulation, OGNL/EL and reflection.
 *
 * - Serialized Java objects: the stream magic `AC ED 00 05` raw, in hex (`aced0005`), or base64 at any of the
 *   three byte alignments (`rO0AB...`, and the shifted forms); base64 text whose decoding, at any alignment, names
 *   gadget classes or `ProcessBuilder` (a decoded `runtime` or `java.` alone is paranoia 3: JSON configs say it).
 * - Fully qualified class names of the packages attacks use (`java.lang.Runtime`, `java.lang.ProcessBuilder`,
 *   `javax.script.ScriptEngineManager`, `com.sun.org.apache.xalan...TemplatesImpl`, `org.apache.commons.collections
 *   .functors.InvokerTransformer`, `com.opensymphony.xwork2`, `org.omg.CORBA`, ...), read as a dotted name, not a
 *   substring. Stack-trace frames (`at java.lang.Thread.run(Thread.java:748)`) and exception class names are not
 *   references to a class to load and are skipped, so pasted stack traces do not fire.
 * - Gadget-chain class names (InvokerTransformer, TemplatesImpl, JdbcRowSetImpl, ...) as identifiers.
 * - OGNL (Struts): `#_memberAccess`, static member access `@java.lang.Runtime@getRuntime()`, `%{(#...)}`.
 * - Class-loader manipulation through bean-property binding (Spring4Shell, Struts 1): parameter paths
 *   `class.module.classLoader...`, `class['classLoader']`.
 * - Reflection chains in values: `.getRuntime().exec(`, `Class.forName(...).getMethod(...).invoke(`,
 *   `new ProcessBuilder(`.
 * - XMLDecoder/XStream documents (`<void method="start"/>` with `<object class=...>`).
 * - JSP file names in upload file-name fields.
 */

/** Package/class prefixes (lower case) whose reference is the attack at paranoia 1. */
/** Classes of java.lang that hold values and do nothing else (lower case). */
const JAVA_LANG_VALUE_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'long', 'short', 'byte', 'double',
  'float', 'boolean', 'character', 'number', 'object', 'math', 'stringbuilder', 'stringbuffer', 'charsequence',
  'comparable', 'iterable', 'enum', 'void', 'record', 'override', 'deprecated', 'suppresswarnings']);

const CRITICAL_PREFIXES = [
  'java.lang.', 'java.io.', 'java.beans.', 'java.rmi.', 'javax.script.', 'javax.naming.',
  'javax.management.', 'javax.el.', 'javax.xml.transform.', 'com.sun.', 'sun.misc.', 'sun.reflect.', 'sun.rmi.',
  'jdk.internal.', 'jdk.jshell', 'org.apache.commons.', 'org.apache.xalan', 'org.apache.xbean.', 'org.apache.naming.',
  'org.apache.tomcat.dbcp', 'org.apache.bcel', 'org.apache.ibatis.datasource', 'org.apache.log4j.receivers',
  'org.omg.', 'ognl.', 'bsh.', 'org.codehaus.groovy.runtime', 'groovy.lang.', 'org.mozilla.javascript',
  'com.opensymphony.', 'org.springframework.context.support.', 'org.springframework.beans.factory.',
  'org.springframework.aop.', 'org.springframework.jndi', 'ch.qos.logback.core.db', 'com.mchange.v2.c3p0',
  'org.hibernate.jmx', 'org.hibernate.engine.spi', 'org.yaml.snakeyaml.', 'freemarker.template.utility.',
  'com.zaxxer.hikari', 'org.jboss.', 'weblogic.', 'com.alibaba.fastjson', 'org.python.', 'clojure.',
  'net.sf.json', 'org.eclipse.jetty.plus.jndi', 'oracle.jdbc.', 'com.caucho.', 'org.aspectj.', 'java.net.urlclassloader',
];
/** References that are suspicious but occur in ordinary Java-speaking APIs: paranoia 2. */
const SUSPECT_PREFIXES = ['java.util.', 'java.net.', 'java.nio.', 'java.sql.', 'java.security.', 'javax.', 'org.apache.', 'org.springframework.'];
/** Roots a qualified name may start with (fast filter). */
const ROOTS = new Set(['java', 'javax', 'jdk', 'sun', 'com', 'org', 'ognl', 'bsh', 'groovy', 'ch', 'freemarker', 'weblogic', 'net', 'oracle', 'clojure']);
/** Segments that make any Java-rooted dotted name dangerous (`java.Runtime`, `java.evil.processbuilder`). */
const DANGER_SEGMENTS = new Set([
  'runtime', 'processbuilder', 'processimpl', 'unixprocess', 'scriptenginemanager', 'classloader', 'urlclassloader',
  'templatesimpl', 'xmldecoder', 'reflect', 'invoke', 'methodhandles', 'jndi', 'initialcontext', 'rmi',
]);

const GADGETS = new Set([
  'invokertransformer', 'instantiatetransformer', 'clonetransformer', 'chainedtransformer', 'constanttransformer',
  'instantiatefactory', 'prototypeclonefactory', 'prototypeserializationfactory', 'forclosure', 'whileclosure',
  'templatesimpl', 'jdbcrowsetimpl', 'annotationinvocationhandler', 'badattributevalueexpexception', 'lazymap',
  'transformedmap', 'defaultedmap', 'beancomparator', 'transformingcomparator', 'invokertransformer',
  'comparablecomparator', 'jndiconnectionsource', 'jndidatasourcefactory', 'jndirefforwardingdatasource',
  'wrapperconnectionpooldatasource', 'poolbackeddatasource', 'remoteobjectinvocationhandler', 'unicastref',
  'convertedclosure', 'methodclosure', 'mozillajavascript', 'nativejavaobject', 'scriptengineeval',
  'beanfactorytargetsourcefactory', 'defaultbeanfactorypointcutadvisor', 'classpathxmlapplicationcontext',
  'filesystemxmlapplicationcontext', 'eventhandler', 'nashornscriptenginefactory', 'rhinoscriptengine',
]);
/** Gadget names that are also ordinary words in other contexts: only counted next to another Java marker. */
const WEAK_GADGETS = new Set(['eventhandler', 'lazymap']);

/** Minimum length of a gadget class name (`lazymap`), and of the base64 runs `scanRuns` reads. */
const GADGET_MIN = 7;
// `scanRuns` may skip runs shorter than 10 in a value without `lazymap` (and `0005`): no other gadget is that short.
if ([...GADGETS].some((g) => g.length < 10 && g !== 'lazymap')) throw new Error('java: a short gadget name needs scanRuns updated');
/** Longest gadget class name. */
const GADGET_MAX = Math.max(...[...GADGETS].map((g) => g.length));
/**
 * (length, first letter, last letter) of every gadget name, as a bit table: a word of another shape cannot be a
 * gadget name, so only the rare word of a gadget's shape gets sliced and looked up (no allocation per word).
 * Entry `length * 26 + first letter` holds one bit per last letter (gadget names are a-z).
 */
const GADGET_SHAPES = new Uint32Array((GADGET_MAX + 1) * 26);
for (const g of GADGETS) GADGET_SHAPES[g.length * 26 + g.charCodeAt(0) - 97]! |= 1 << (g.charCodeAt(g.length - 1) - 97);

/** Whether some gadget name has this length, first and last character (lower case). */
function gadgetShape(len: number, first: number, last: number): boolean {
  if (len > GADGET_MAX || first < 97 || first > 122 || last < 97 || last > 122) return false;
  return (GADGET_SHAPES[len * 26 + first - 97]! & (1 << (last - 97))) !== 0;
}


/** Reflection calls only Java code makes. */
const REFLECTION_CALLS = new Set([
  'getclass', 'forname', 'getmethod', 'getdeclaredmethod', 'getdeclaredfield', 'getdeclaredconstructor',
  'newinstance', 'getruntime', 'loadclass', 'defineclass', 'getenginebyname', 'getclassloader', 'setaccessible',
  'getconstructor', 'getprotectiondomain',
]);
/** First letters of the roots. */
const ROOT_FIRST = new Set<number>([...ROOTS].map((r) => r.charCodeAt(0)));

/** Calls that complete a chain (`.exec(`, `.invoke(`, `.start()`, `.eval(`). */
const SINK_CALLS = new Set(['exec', 'invoke', 'start', 'eval', 'command']);

function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}
function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
function skipSpace(v: string, i: number): number {
  while (i < v.length && isSpace(v.charCodeAt(i))) i++;
  return i;
}
function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 20);
  return JSON.stringify(v.slice(s, s + 100)).slice(1, -1).slice(0, 120);
}
/** ASCII lower-casing of one character (what `toLowerCase` does to an ASCII character). */
function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}


/**
 * How many `.`, `[` or `(` the searches that jump from one of them to the next may visit in a value of length `n`
 * before the scan that reads every character is the cheaper way (a value dense with them is no prose).
 */
function jumpBudget(n: number): number {
  return 64 + (n >> 5);
}

// ---------------------------------------------------------------- serialized objects

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64[45] = 62; // - (URL-safe)
B64[95] = 63; // _

function isB64(c: number): boolean {
  return c < 128 && B64[c]! >= 0;
}

/**
 * Character classes of every UTF-16 code unit, as bits (one table read per character in the scans that skip
 * through long values): the same sets as `isB64` and `isIdent`, uppercase letters, digits.
 */
const C_UPPER = 1;
const C_DIGIT = 2;
const C_B64 = 4;
const C_IDENT = 8;
/** `5`, which `aced0005` holds. */
const C_FIVE = 16;
/** Base64 characters that are not identifier characters: `+`, `/`, `-`. */
const C_B64_PUNCT = 32;
/** Hexadecimal digits (`isHexRun`). */
const C_HEX = 64;
/** `m` and `p` in either case (`memberaccess`, `processbuilder`). */
const C_MP = 128;
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  let k = 0;
  if (c >= 65 && c <= 90) k |= C_UPPER;
  if (c >= 48 && c <= 57) k |= C_DIGIT;
  if (isB64(c)) k |= isIdent(c) ? C_B64 : C_B64 | C_B64_PUNCT;
  if (isIdent(c)) k |= C_IDENT;
  if (c === 53) k |= C_FIVE;
  if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102)) k |= C_HEX;
  if ((c | 32) === 109 || (c | 32) === 112) k |= C_MP;
  CLASS[c] = k;
}

/**
 * True when `len` base64 characters of `v` from `start`, after `pad` zero sextets, decode to bytes holding the
 * serialization magic AC ED 00 05 within their first three bytes. No allocation: bytes are kept in a small window.
 */
function magicAt(v: string, start: number, len: number, pad: number): boolean {
  let acc = 0;
  let bits = 0;
  let window = 0; // last four bytes
  let count = 0;
  for (let k = 0; k < pad + len && count < 7; k++) {
    const val = k < pad ? 0 : B64[v.charCodeAt(start + k - pad)]!;
    acc = ((acc << 6) | val) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      window = ((window << 8) | ((acc >> bits) & 0xff)) >>> 0;
      count++;
      if (count >= 4 && window === 0xaced0005) return true;
    }
  }
  return false;
}

const GADGET_TEXT = [
  'invokertransformer', 'instantiatetransformer', 'clonetransformer', 'chainedtransformer', 'constanttransformer',
  'instantiatefactory', 'prototypeclonefactory', 'prototypeserializationfactory', 'forclosure', 'whileclosure',
  'templatesimpl', 'jdbcrowsetimpl', 'annotationinvocationhandler', 'java.lang.runtime', 'processbuilder',
];

interface Hit { ruleId: string; paranoia: Paranoia; message: string; at: number }

/** Hexadecimal (ids, hashes): not base64 text worth decoding. `u`: the value's code units (`codeUnits`). */
function isHexRun(u: Uint16Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = u[k]! | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** True when byte `b` is an ASCII letter or `.`: the only bytes the decoded names searched for are made of. */
function isNameByte(b: number): boolean {
  return (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b === 46;
}

/**
 * Whether any of the four decodings `base64Runs` makes of `len` characters from `start` (after 0-3 zero sextets)
 * holds five consecutive letters or dots. Every text it searches the decodings for (GADGET_TEXT, `runtime`,
 * `java.`) is at least five such characters long, and lower-casing the latin1 decoding maps a byte to a letter
 * only when it already was one: without such a stretch no search can succeed, so the decoding (a string
 * allocation and a lower-casing per alignment) is skipped. The bit-stream decoding here is exactly what
 * `Buffer.from(text, 'base64')` does for text of base64 characters only (checked against it).
 */
function mayNameClass(u: Uint16Array | Uint8Array, start: number, len: number): boolean {
  // In any alignment one byte in three starts on the first bit of a sextet (8k is a multiple of 6 for one k in
  // three), and the next byte starts two bits into the next sextet: five bytes in a row hold such a pair. A pair
  // starting in the zero sextets of the padding begins with a byte below 4 (no name byte); any other pair is
  // decoded from three sextets in a row of the text, s0 << 2 | s1 >> 4 and (s1 & 15) << 4 | s2 >> 2. Without two
  // name bytes there (dates, numbers, most codes) no alignment has five in a row. A name byte is below 0x80, so s0
  // is below 32 (`A`-`Z`, `a`-`f`): the other sextets are passed over at once.
  let pair = false;
  for (let k = start; k + 2 < start + len && !pair; k++) {
    const s0 = B64[u[k]!]!;
    if (s0 >= 32) continue;
    const s1 = B64[u[k + 1]!]!;
    pair = isNameByte((s0 << 2) | (s1 >> 4)) && isNameByte(((s1 & 15) << 4) | (B64[u[k + 2]!]! >> 2));
  }
  if (!pair) return false;
  // pad p prepends p zero sextets: p * 6 zero bits, of which the whole bytes decode to zero (not a name byte)
  let acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
  let bits0 = 0, bits1 = 6, bits2 = 4, bits3 = 2;
  let run0 = 0, run1 = 0, run2 = 0, run3 = 0;
  for (let k = start; k < start + len; k++) {
    const sextet = B64[u[k]!]!;
    acc0 = ((acc0 << 6) | sextet) & 0xffffff;
    acc1 = ((acc1 << 6) | sextet) & 0xffffff;
    acc2 = ((acc2 << 6) | sextet) & 0xffffff;
    acc3 = ((acc3 << 6) | sextet) & 0xffffff;
    bits0 += 6; bits1 += 6; bits2 += 6; bits3 += 6;
    if (bits0 >= 8) { bits0 -= 8; run0 = isNameByte((acc0 >> bits0) & 0xff) ? run0 + 1 : 0; }
    if (bits1 >= 8) { bits1 -= 8; run1 = isNameByte((acc1 >> bits1) & 0xff) ? run1 + 1 : 0; }
    if (bits2 >= 8) { bits2 -= 8; run2 = isNameByte((acc2 >> bits2) & 0xff) ? run2 + 1 : 0; }
    if (bits3 >= 8) { bits3 -= 8; run3 = isNameByte((acc3 >> bits3) & 0xff) ? run3 + 1 : 0; }
    if (run0 >= 5 || run1 >= 5 || run2 >= 5 || run3 >= 5) return true;
  }
  return false;
}

/** Bytes `Buffer.from` decodes from `chars` base64 characters: six bits each, whole bytes only. */
function decodedLength(chars: number): number {
  return Math.floor(chars * 6 / 8);
}

/**
 * The UTF-16 code units of the value being scanned, copied into a reused typed array: reading a typed array is
 * about twice as fast as `charCodeAt` on a string. Only `[0, v.length)` belongs to the value, and only when the
 * value is at least GADGET_MIN long (a shorter one has no run of base64 characters to read there).
 */
let unitBytes = Buffer.alloc(1 << 16);
let units = new Uint16Array(unitBytes.buffer, unitBytes.byteOffset, unitBytes.length >> 1);

/**
 * Characters some rule needs (or, for `F_UPPER_A`, `F_Z` and `F_FIVE`, some texts hold), as bits: see `nothingToFind`.
 * `F_NON_ASCII` stands for every character outside ASCII (`\u00ac`, `\ufffd`, `İ`...).
 */
const F_DOT = 1;
const F_BRACKET = 2;
const F_PAREN = 4;
const F_AT = 8;
const F_BRACE = 16;
const F_LT = 32;
const F_BACKSLASH = 64;
const F_NUL = 128;
const F_NON_ASCII = 256;
const F_UPPER_A = 512;
/** `z` or `Z` (`lazymap`), `5` (`aced0005`): see `shortestRun`. */
const F_Z = 1024;
const F_FIVE = 2048;
/** The characters `nothingToFind` wants absent. */
const F_NEEDED = F_DOT | F_BRACKET | F_PAREN | F_AT | F_BRACE | F_LT | F_BACKSLASH | F_NUL | F_NON_ASCII;
const FLAGS = new Uint16Array(65536).fill(F_NON_ASCII);
FLAGS.fill(0, 0, 128);
for (const [ch, flag] of [['.', F_DOT], ['[', F_BRACKET], ['(', F_PAREN], ['@', F_AT], ['{', F_BRACE], ['<', F_LT],
  ['\\', F_BACKSLASH], ['\u0000', F_NUL], ['A', F_UPPER_A], ['z', F_Z], ['Z', F_Z], ['5', F_FIVE]] as const) FLAGS[ch.charCodeAt(0)] = flag;
/** Values shorter than this are copied by a loop that also notes their characters' FLAGS. */
const SHORT_VALUE = 64;
/** All FLAGS: what is known of a longer value's characters (nothing). */
const F_ALL = 0xffff;

/** Set by `codeUnits`: the FLAGS of the value's characters (F_ALL when not noted). */
let unitFlags = F_ALL;

/** Whether the value holds `ch`, whose FLAGS bit is `flag`, given the value's FLAGS `flags` (`unitFlags`). */
function holds(v: string, flags: number, flag: number, ch: string): boolean {
  return (flags & flag) !== 0 && (flags !== F_ALL || v.includes(ch));
}

/** Longest value whose copy `codeUnits` keeps for the next values (a longer one gets a copy of its own). */
const KEPT_UNITS = 1 << 20;

function codeUnits(v: string): Uint16Array {
  const n = v.length;
  if (n > units.length) {
    const bytes = Buffer.allocUnsafe(n * 2);
    bytes.write(v, 0, 'utf16le');
    unitFlags = F_ALL;
    const own = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    if (n <= KEPT_UNITS) {
      unitBytes = bytes;
      units = own;
    }
    return own;
  }
  if (n < GADGET_MIN) {
    // too short for `scanRuns` to read: only the FLAGS
    let flags = 0;
    for (let i = 0; i < n; i++) flags |= FLAGS[v.charCodeAt(i)]!;
    unitFlags = flags;
  } else if (n < SHORT_VALUE) {
    // the copy costs less than Buffer#write's own overhead on short values, and notes the FLAGS on the way
    const u = units;
    let flags = 0;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      u[i] = c;
      flags |= FLAGS[c]!;
    }
    unitFlags = flags;
  } else {
    unitBytes.write(v, 0, 'utf16le');
    unitFlags = F_ALL;
  }
  return units;
}

/**
 * Whether the base64 run `[start, end)` of `u` holds `text` (lower-case letters and digits) ignoring case. Inside a
 * base64 run `c | 32` is `c` lower-cased: it changes letters only (digits, `+`, `-`, `/` have the bit set already,
 * and `_` becomes DEL, in no text).
 */
function runHolds(u: Uint16Array | Uint8Array, start: number, end: number, text: string): boolean {
  const first = text.charCodeAt(0);
  for (let i = start; i + text.length <= end; i++) {
    if ((u[i]! | 32) !== first) continue;
    let j = 1;
    while (j < text.length && (u[i + j]! | 32) === text.charCodeAt(j)) j++;
    if (j === text.length) return true;
  }
  return false;
}

/**
 * The base64-gadget check of one run `[start, end)` of base64 characters (with `upper` uppercase letters and `digit`
 * digits), as `base64Runs` made it for every run: returns a paranoia-1 hit, or sets `state.weak`. `u`: the value's
 * code units (`codeUnits`).
 */
interface RunState { weak: Hit | undefined; decodedBudget: number }

function gadgetRun(v: string, u: Uint16Array, start: number, end: number, upper: number, digit: number, state: RunState): Hit | undefined {
  const len = end - start;
  // Gadget and class names inside base64 at a shifted alignment (the aligned decoding is the engine's job).
  if (len >= 10 && (upper > 1 || digit > 0) && state.decodedBudget > 0 && state.weak === undefined && !isHexRun(u, start, end)) {
    const chars = Math.min(len, 8192);
    if (!mayNameClass(u, start, chars)) {
      // No alignment can name anything (see mayNameClass): the four decodings below would find nothing and
      // leave `weak` unset, so only their cost against the budget remains.
      for (let pad = 0; pad < 4; pad++) state.decodedBudget -= decodedLength(pad + chars);
      return undefined;
    }
    for (let pad = 0; pad < 4 && state.weak === undefined; pad++) {
      const text = Buffer.from('A'.repeat(pad) + v.slice(start, start + chars), 'base64').toString('latin1').toLowerCase();
      state.decodedBudget -= text.length;
      for (const g of GADGET_TEXT) {
        if (text.includes(g)) return { ruleId: 'java-base64-gadget', paranoia: 1, message: `base64 text naming ${g}`, at: start };
      }
      if (!state.weak && (text.includes('runtime') || text.includes('java.'))) {
        state.weak = { ruleId: 'java-base64-gadget', paranoia: 3, message: 'base64 text naming a Java runtime class', at: start };
      }
    }
  }
  return undefined;
}

/**
 * Base64 runs: the serialization magic at their start (any alignment), gadget names in their decoding. Reads every
 * run of base64 characters (`scanRuns` does the same work for most values without reading them all).
 * `u`: the value's code units (`codeUnits`); `magicText`: `hasMagicText(v)`.
 */
function base64Runs(v: string, u: Uint16Array, magicText: boolean): Hit | undefined {
  const state: RunState = { weak: undefined, decodedBudget: 64 * 1024 };
  const n = v.length;
  for (let i = 0; i < n;) {
    let c = v.charCodeAt(i);
    if (!isB64(c)) { i++; continue; }
    const start = i;
    let upper = 0;
    let digit = 0;
    do {
      if (c >= 65 && c <= 90) upper++;
      else if (c >= 48 && c <= 57) digit++;
      i++;
      c = v.charCodeAt(i); // NaN past the end: not base64
    } while (isB64(c));
    const len = i - start;
    if (len < 6) continue;
    // The bytes 00 05 after AC ED hold 13 zero bits: whatever the alignment, an `A` sextet near the start.
    let zero = false;
    for (let k = start + 2; k < start + 8 && k < i && magicText; k++) if (v.charCodeAt(k) === 65) zero = true;
    for (let pad = 0; pad < 4 && zero; pad++) {
      if (magicAt(v, start, Math.min(len, 12), pad)) {
        return { ruleId: 'java-serialized-object', paranoia: 1, message: 'base64-encoded Java serialized object', at: start };
      }
    }
    const hit = gadgetRun(v, u, start, i, upper, digit, state);
    if (hit) return hit;
  }
  return state.weak;
}

/**
 * AC ED 00 05 encodes to `rO0AB`, `?ztAA` or `??s7QAF` depending on the alignment: without one of these substrings
 * there is no base64 serialization magic to look for. (`A`, `O0AB` and `QAF` first: searching for text that starts
 * with a rare character is much faster than for text starting with a common letter.)
 */
function hasMagicText(v: string): boolean {
  return v.includes('A') && ((v.includes('O0AB') && v.includes('rO0AB')) || v.includes('ztAA') || (v.includes('QAF') && v.includes('s7QAF')));
}

/**
 * Whether the identifier words inside the base64 run `[start, end)` include one shaped like a gadget name (its
 * length, first and last letter those of one, see GADGET_SHAPES). A gadget word is all ASCII letters, so it lies
 * inside a run of base64 characters; identifier characters not in base64 (`$`) only border the run.
 */
function gadgetShapedWord(v: string, u: Uint16Array, start: number, end: number): boolean {
  for (let a = start; a < end;) {
    if ((CLASS[u[a]!]! & C_IDENT) === 0) { a++; continue; } // `+`, `/`, `-`
    let b = a;
    while (b < end && (CLASS[u[b]!]! & C_IDENT) !== 0) b++;
    if (gadgetWordAt(v, u, a, b)) return true;
    a = b;
  }
  return false;
}

/**
 * Whether `[a, b)`, identifier characters inside a base64 run of the value, is a whole word shaped like a gadget
 * name. `lower.charCodeAt(x)` would be `u[x] | 32` for a letter; for the other base64 characters `u[x] | 32` is no
 * lowercase letter, as the character itself is none, so `gadgetShape` answers the same.
 */
function gadgetWordAt(v: string, u: Uint16Array, a: number, b: number): boolean {
  const len = b - a;
  return len >= GADGET_MIN && gadgetShape(len, u[a]! | 32, u[b - 1]! | 32) &&
    (a === 0 || !isIdent(u[a - 1]!)) && !isIdent(v.charCodeAt(b));
}

/** Whether `v` holds `text` (lower-case ASCII letters) at `at`, ignoring ASCII case. */
function holdsAt(v: string, at: number, text: string): boolean {
  if (at < 0 || at + text.length > v.length) return false;
  for (let k = 0; k < text.length; k++) if (lowerAscii(v.charCodeAt(at + k)) !== text.charCodeAt(k)) return false;
  return true;
}

/**
 * Whether a value without `İ` holds `lazymap` ignoring ASCII case, as the lower-cased value does when it holds it
 * (see `scanRuns`): found from its `z`, a rare letter.
 */
function holdsLazymap(v: string): boolean {
  let z = v.indexOf('z', 2);
  for (let seen = 0; z >= 0 && seen < 64; seen++, z = v.indexOf('z', z + 1)) if (holdsAt(v, z - 2, 'lazymap')) return true;
  let upper = v.indexOf('Z', 2);
  for (let seen = 0; upper >= 0 && seen < 64; seen++, upper = v.indexOf('Z', upper + 1)) if (holdsAt(v, upper - 2, 'lazymap')) return true;
  // many of them: one search of the lower-cased value instead
  return (z >= 0 || upper >= 0) && lowerOf(v).includes('lazymap');
}

/** `v.includes('0005')`, found from the `5`s (rarer than the `0`s `includes` would stop at). */
function holds0005(v: string): boolean {
  let q = v.indexOf('5', 3);
  for (let seen = 0; q >= 0 && seen < 64; seen++, q = v.indexOf('5', q + 1)) {
    if (v.charCodeAt(q - 1) === 48 && v.charCodeAt(q - 2) === 48 && v.charCodeAt(q - 3) === 48) return true;
  }
  // many of them: one search instead
  return q >= 0 && v.includes('0005');
}

/**
 * The shortest run `scanRuns` has to read in `v`, whose FLAGS are `flags`: runs of 7-9 characters matter only for
 * `lazymap` and `aced0005`, found from their rare `z` and `5`; without them skipping by 10 reads less.
 */
function shortestRun(v: string, flags: number): number {
  const lazymap = (flags & F_Z) !== 0 && holdsLazymap(v);
  return lazymap || ((flags & F_FIVE) !== 0 && holds0005(v)) ? GADGET_MIN : 10;
}

/**
 * What one pass over the long base64 runs of a value found (`scanRuns`). When the pass stopped early (`complete`
 * false, at a paranoia-1 base64 finding) the flags say nothing and are read as true.
 */
interface RunScan {
  complete: boolean;
  /** `base64Runs`'s answer. */
  base64: Hit | undefined;
  /** Some word may be a gadget class name: `wordScan` has to read every word. */
  gadgetShaped: boolean;
  /** `lower` may contain `aced0005` (hex serialization magic). `lower`: `v.toLowerCase()`. */
  hex: boolean;
  /** `lower` may have a word starting with `processbuilder` (as in `new ProcessBuilder`). */
  processBuilder: boolean;
  /** `lower` may contain `memberaccess` (OGNL). */
  memberAccess: boolean;
}

/** `scanRuns`'s answer, one object reused (a detector runs one value at a time). */
const runScan: RunScan = { complete: false, base64: undefined, gadgetShaped: false, hex: false, processBuilder: false, memberAccess: false };

/**
 * `base64Runs` for a value without the serialization magic's texts (`hasMagicText` false) and without `İ`, with
 * more: `u` holds the value's code units (`codeUnits`).
 *
 * Without `İ` (the only character that lower-cases to two code units) `lower` = `v.toLowerCase()` is as long as
 * the value and its characters are those of the value lower-cased one by one. The only character outside ASCII that
 * lower-cases into ASCII is the Kelvin sign (to `k`), which `aced0005`, `memberaccess` and `processbuilder` do not
 * hold; and a gadget word is a run of identifier characters of the value itself. So each of these texts found in
 * `lower` is ASCII letters and digits in the value too: it lies inside one run of base64 characters, at least as
 * long as itself, where it is found ignoring case (`runHolds`).
 *
 * Without the magic's texts only runs of 10+ characters can give a base64 finding (the gadget decoding); and the
 * texts above are 7+ characters long: 10+ but for `lazymap` and `aced0005`. So only runs of `shortest` (7, or 10
 * for a value that holds neither `lazymap` nor `0005`) or more matter, and they are found without reading every
 * character: if the window `[p, p + shortest)` holds a character that is not base64, no run that long starts in
 * `[p, that character]`, and the search goes on right after it (Boyer-Moore-Horspool for a character class). Runs
 * are met in order, as `base64Runs` meets them; all shorter runs do nothing there.
 */
function scanRuns(v: string, u: Uint16Array, shortest: number): RunScan {
  const scan = runScan;
  scan.complete = false;
  scan.base64 = undefined;
  scan.gadgetShaped = false;
  scan.hex = false;
  scan.processBuilder = false;
  scan.memberAccess = false;
  const n = v.length;
  let state: RunState | undefined;
  // invariant: p is 0 or follows a character that is not base64
  for (let p = 0; p + shortest <= n;) {
    let any = 0; // classes of the characters of the run
    let m = p + shortest - 1;
    for (; m >= p; m--) {
      const k = CLASS[u[m]!]!;
      if ((k & C_B64) === 0) break;
      any |= k;
    }
    if (m >= p) { p = m + 1; continue; }
    // [p, p + shortest) is base64: the run starts at p (invariant) and ends at e
    let e = p + shortest;
    for (; e < n; e++) {
      const k = CLASS[u[e]!]!;
      if ((k & C_B64) === 0) break;
      any |= k;
    }
    const len = e - p;
    if (!scan.gadgetShaped) {
      // with no `+` `/` `-` the run is one identifier word: what gadgetShapedWord would find, read from its ends
      scan.gadgetShaped = (any & C_B64_PUNCT) !== 0 ? gadgetShapedWord(v, u, p, e) : gadgetWordAt(v, u, p, e);
    }
    if (!scan.hex && len >= 8 && (any & C_FIVE) !== 0) scan.hex = runHolds(u, p, e, 'aced0005');
    if (!scan.memberAccess && len >= 12) scan.memberAccess = runHolds(u, p, e, 'memberaccess');
    // `new ProcessBuilder`: spaces before the word, so it starts the run
    if (!scan.processBuilder && len >= 14) scan.processBuilder = runHolds(u, p, p + 14, 'processbuilder');
    if (len >= 10) {
      let upper = 0;
      let digit = 0;
      for (let k = p; k < e; k++) {
        const c = CLASS[u[k]!]!;
        upper += c & C_UPPER;
        digit += (c & C_DIGIT) >> 1;
      }
      state ??= { weak: undefined, decodedBudget: 64 * 1024 };
      const hit = gadgetRun(v, u, p, e, upper, digit, state);
      if (hit) {
        scan.base64 = hit;
        return scan;
      }
    }
    p = e + 1;
  }
  scan.base64 = state?.weak;
  scan.complete = true;
  return scan;
}

/**
 * `scan`: `scanRuns`'s pass, when the value allowed it (else the original searches and every base64 run);
 * `magicText`: `hasMagicText(v)`; `u` and `flags`: the value's code units and FLAGS (`codeUnits`).
 */
function serialized(v: string, u: Uint16Array, flags: number, scan: RunScan | undefined, magicText: boolean): Hit | undefined {
  const hex = scan === undefined || !scan.complete || scan.hex ? lowerOf(v).indexOf('aced0005') : -1;
  if (hex >= 0) {
    return { ruleId: 'java-serialized-object', paranoia: 1, message: 'hex-encoded Java serialized object', at: hex };
  }
  // a backslash in the lower-cased value is one in the value (no other character lower-cases to one)
  const esc = holds(v, flags, F_BACKSLASH, '\\') ? lowerOf(v).indexOf('\\xac\\xed\\x00\\x05') : -1;
  if (esc >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'escaped Java serialized object', at: esc };
  // both raw forms start outside ASCII and hold a NUL
  const rawForms = (flags & F_NON_ASCII) !== 0 && (flags & F_NUL) !== 0;
  const raw = rawForms ? v.indexOf('\u00ac\u00ed\u0000\u0005') : -1;
  if (raw >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'Java serialized object', at: raw };
  const bad = rawForms ? v.indexOf('\ufffd\ufffd\u0000\u0005') : -1;
  if (bad >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'Java serialized object (magic bytes)', at: bad };
  return scan === undefined ? base64Runs(v, u, magicText) : scan.base64;
}

// ---------------------------------------------------------------- class names

/** Five blank-separated words or more: the value is a sentence, a message, not a name. */
function inSentence(v: string): boolean {
  let words = 0;
  let inWord = false;
  for (let k = 0; k < v.length && words < 5; k++) {
    const blank = v.charCodeAt(k) <= 32;
    if (!blank && !inWord) words++;
    inWord = !blank;
  }
  return words >= 5;
}

/** A character of a stack frame's module and class (`java.base@17.0.2/java.lang.Thread.run`). */
function isModuleChar(c: number): boolean {
  return isIdent(c) || c === 46 || c === 47 || c === 64 || c === 45;
}

/**
 * A base64 run of gzip data (1F 8B 08: `H4sI`) that inflates to a Java serialized object: a JSF `javax.faces.ViewState`
 * saved on the client without a MAC (MyFaces, Mojarra) holds one, and a deserialization gadget goes in its place.
 * At most the first run, 256 KiB of base64, inflated to 1 MiB.
 */
function gzippedSerialized(v: string): Hit | undefined {
  const at = v.indexOf('H4sI');
  if (at > 0 && isB64(v.charCodeAt(at - 1))) return undefined;
  let end = at;
  while (end < v.length && end - at < 262144 && (isB64(v.charCodeAt(end)) || v.charCodeAt(end) === 61)) end++;
  if (end - at < 24) return undefined;
  let bytes: Buffer;
  try {
    bytes = gunzipSync(Buffer.from(v.slice(at, end), 'base64'), { maxOutputLength: 1024 * 1024 });
  } catch {
    // (not gzip, truncated, or past the bound: a stream cut short still inflates in part below)
    bytes = gunzipPrefix(Buffer.from(v.slice(at, end), 'base64'));
  }
  if (bytes.length >= 4 && bytes[0] === 0xac && bytes[1] === 0xed && bytes[2] === 0x00 && bytes[3] === 0x05) {
    return { ruleId: 'java-serialized-object', paranoia: 1, message: 'gzip-compressed base64 Java serialized object', at };
  }
  return undefined;
}

/** The first bytes a gzip stream inflates to, even when the stream is cut short or grows past the bound. */
function gunzipPrefix(gz: Buffer): Buffer {
  try {
    return gunzipSync(gz, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 64 });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Reads a dotted identifier `a.b.C$D` from `i`; returns its end. */
function dottedEnd(v: string, i: number): number {
  let j = i;
  for (let segs = 0; segs < 32; segs++) {
    const s = j;
    while (j < v.length && j - s < 80 && isIdent(v.charCodeAt(j))) j++;
    if (j === s) return s > i ? s - 1 : i;
    if (v.charCodeAt(j) !== 46 || !isIdent(v.charCodeAt(j + 1))) return j;
    j++;
  }
  return j;
}

/**
 * `at pkg.Class.method(File.java:12)` / `(Native Method)` / `(Unknown Source)`, also with the module of Java 9 and
 * later in front (`at java.base/java.lang.Thread.run(Thread.java:833)`, `at app//com.acme.Foo.bar(Foo.java:3)`):
 * `start` may be the module's name or the class's.
 */
function isStackFrame(v: string, start: number, end: number): boolean {
  let b = start - 1;
  // back over a module (`java.base/`, `java.base@17.0.2/`, `app//`) to the blank after `at`
  for (let guard = 0; b >= 0 && guard < 160 && isModuleChar(v.charCodeAt(b)); guard++) b--;
  while (b >= 0 && (v.charCodeAt(b) === 32 || v.charCodeAt(b) === 9)) b--;
  if (b < 1 || v.slice(b - 1, b + 1) !== 'at' || (b >= 2 && isIdent(v.charCodeAt(b - 2)))) return false;
  // forward over a module to the class, then over the class and method to `(`
  while (end < v.length && end - start < 240 && isModuleChar(v.charCodeAt(end))) end++;
  if (v.charCodeAt(end) !== 40) return false;
  // (the `)` within 120 characters: a search to the end of the value for every frame-like name was quadratic)
  let close = end;
  const last = Math.min(v.length - 1, end + 120);
  while (close <= last && v.charCodeAt(close) !== 41) close++;
  if (close > last) return false;
  const inside = v.slice(end + 1, close);
  return inside.includes('.java') || inside.includes('.kt') || inside === 'Native Method' || inside === 'Unknown Source' || inside.includes('.groovy') || inside.includes('.scala');
}

/** A dotted name starting at `i` with root `root`: a class reference finding, or undefined; `end` is set. */
function className(v: string, lower: string, i: number, root: string): { hit: Hit | undefined; end: number } {
  const end = dottedEnd(v, i);
  const name = lower.slice(i, end);
  if (!name.includes('.')) return { hit: undefined, end };
  const segments = name.split('.');
  const last = segments[segments.length - 1]!;
  // `java.lang.String/2004016611`: a type signature of GWT-RPC's wire format, which every call of a GWT app carries
  if (v.charCodeAt(end) === 47 && v.charCodeAt(end + 1) >= 48 && v.charCodeAt(end + 1) <= 57) return { hit: undefined, end };
  if (isStackFrame(v, i, end) || last.endsWith('exception') || last.endsWith('error')) return { hit: undefined, end };
  // a package name with no class (`java.lang`, `org.apache.commons`) counts like a class reference
  let critical = false;
  for (const p of CRITICAL_PREFIXES) {
    if (name.startsWith(p) || (p.endsWith('.') && name === p.slice(0, -1))) { critical = true; break; }
  }
  const message = `reference to Java class ${v.slice(i, Math.min(end, i + 80))}`;
  // the value types of java.lang (`java.lang.String`, `java.lang.Integer`) reach nothing by themselves: named in a
  // sentence (Android's `Attempt to invoke virtual method 'java.lang.String ...getString(int)'`) they are paranoia
  // 2; as a value of their own (a type name handed to a deserializer) they stay 1
  if (critical && segments.length === 3 && segments[0] === 'java' && segments[1] === 'lang' && JAVA_LANG_VALUE_TYPES.has(last) && inSentence(v)) {
    return { hit: { ruleId: 'java-class-reference', paranoia: 2, message, at: i }, end };
  }
  if (!critical && (root === 'java' || root === 'javax' || root === 'jdk' || root === 'sun')) {
    for (let k = 1; k < segments.length; k++) if (DANGER_SEGMENTS.has(segments[k]!)) critical = true;
  }
  if (critical) return { hit: { ruleId: 'java-class-reference', paranoia: 1, message, at: i }, end };
  if (segments.length >= 3) {
    for (const p of SUSPECT_PREFIXES) if (name.startsWith(p)) return { hit: { ruleId: 'java-class-reference', paranoia: 2, message, at: i }, end };
  }
  return { hit: undefined, end };
}

/**
 * One pass over the words of the value: fully qualified class names, gadget class names (alone or as a segment of
 * a dotted name) and reflection calls (`getMethod(`, `.invoke(`, `new ProcessBuilder(`).
 *
 * A word is a maximal run of identifier characters that starts with a letter (a run starting with a digit, `_` or
 * `$` is no word). Words are read in place: a slice is taken only for the rare word that can match (a root before
 * `.`, a gadget-shaped word, a call), never for every word of prose.
 */
function wordScan(v: string, lower: string, hasJavaMarker: boolean): Hit | undefined {
  const n = v.length;
  let weak: Hit | undefined;
  let reflections = 0;
  let seen = '';
  let sink = false;
  let strong = false;
  let first = -1;
  for (let i = 0; i < n;) {
    if (!isIdent(v.charCodeAt(i))) { i++; continue; }
    const s = i;
    while (i < n && isIdent(v.charCodeAt(i))) i++;
    if (!isAlpha(v.charCodeAt(s))) continue;
    // the word is v[s, j)
    const j = i;
    const len = j - s;
    const lc = lower.charCodeAt(s);
    const next = v.charCodeAt(j);
    // qualified class names start at a root word not preceded by a dot
    if (next === 46 && len <= 12 && ROOT_FIRST.has(lc) && (s === 0 || v.charCodeAt(s - 1) !== 46)) {
      const root = lower.slice(s, j);
      if (ROOTS.has(root)) {
        const r = className(v, lower, s, root);
        if (r.hit && r.hit.paranoia === 1) return r.hit;
        if (r.hit && !weak) weak = r.hit;
      }
    }
    // `lower.slice(s, j)` has length `len` and starts and ends with these two characters: a gadget name has its shape
    if (len >= 7 && len <= 40 && gadgetShape(len, lc, lower.charCodeAt(j - 1))) {
      const w = lower.slice(s, j);
      if (GADGETS.has(w) && (!WEAK_GADGETS.has(w) || hasJavaMarker)) {
        return { ruleId: 'java-gadget-class', paranoia: 1, message: `Java deserialization gadget class ${v.slice(s, j)}`, at: s };
      }
    }
    if (len >= 3 && len <= 32) {
      const k = next === 40 ? j : skipSpace(v, j);
      const call = v.charCodeAt(k) === 40;
      if (call) {
        const w = lower.slice(s, j);
        if (REFLECTION_CALLS.has(w)) {
          if (!seen.includes(w + ' ')) { seen += w + ' '; reflections++; }
          if (w === 'getruntime' || w === 'getenginebyname' || w === 'defineclass') strong = true;
          if (first < 0) first = s;
        } else if (SINK_CALLS.has(w) && s > 0 && v.charCodeAt(s - 1) === 46) {
          sink = true;
        }
      } else if (len === 3 && lc === 110 && lower.startsWith('new', s) && lower.startsWith('processbuilder', k)) {
        strong = true;
        if (first < 0) first = s;
      }
    }
  }
  if (strong || reflections >= 2 || (reflections === 1 && sink)) {
    return { ruleId: 'java-reflection', paranoia: 1, message: 'Java reflection / process execution chain', at: first };
  }
  if (weak) return weak;
  if (reflections === 1) return { ruleId: 'java-reflection', paranoia: 3, message: 'Java reflection call', at: first };
  return undefined;
}

/** What `callsAndClassNames` answers for a value with too many `(` to visit one by one: read it with `wordScan`. */
const DENSE = 'dense';

/** What `dotScan` found at the dots of a value. */
interface DotScan {
  /** A `.` or `[` right after `class` (see `mayHaveClassPath`). */
  classPath: boolean;
  /** The first paranoia-1 class name starting at a root word before a dot. */
  root: Hit | undefined;
  /** The first paranoia-2 one before it. */
  weakRoot: Hit | undefined;
}
const dotScanned: DotScan = { classPath: false, root: undefined, weakRoot: undefined };

/**
 * One pass over the dots of a value without `İ`, for `mayHaveClassPath` and for the class names of
 * `callsAndClassNames`: a class name starts at a root word right before a `.`. Undefined when the value holds
 * more dots and brackets than `jumpBudget`: `wordScan` reads it then.
 */
function dotScan(v: string): DotScan | undefined {
  const dots = dotScanned;
  dots.classPath = false;
  dots.root = undefined;
  dots.weakRoot = undefined;
  let budget = jumpBudget(v.length);
  for (let dot = v.indexOf('.'); dot >= 0; dot = v.indexOf('.', dot + 1)) {
    if (--budget < 0) return undefined;
    if (!dots.classPath && dot >= 5) dots.classPath = classBefore(v, dot);
    // `className` reads a dotted name: with nothing to read after the dot, the name it lower-cases from the
    // root word alone has no dot and gives nothing (a sentence's end).
    if (dots.root || !isIdent(v.charCodeAt(dot + 1))) continue;
    // qualified class names start at a root word (the whole word before the dot) not preceded by a dot
    const root = wordBefore(v, dot, ROOTS_BY_LAST);
    if (root === undefined) continue;
    const s = dot - root.length;
    if (s === 0 || v.charCodeAt(s - 1) !== 46) {
      const r = className(v, lowerOf(v), s, root);
      if (r.hit && r.hit.paranoia === 1) dots.root = r.hit;
      else if (r.hit && !dots.weakRoot) dots.weakRoot = r.hit;
    }
  }
  for (let q = v.indexOf('[', 5); q >= 0 && !dots.classPath; q = v.indexOf('[', q + 1)) {
    if (--budget < 0) return undefined;
    dots.classPath = classBefore(v, q);
  }
  return dots;
}

/** Words (lower-case ASCII letters) grouped by their last letter, for `wordBefore`. */
function byLastLetter(words: Iterable<string>): string[][] {
  const table: string[][] = Array.from({ length: 26 }, () => []);
  for (const w of words) table[w.charCodeAt(w.length - 1) - 97]!.push(w);
  return table;
}
const ROOTS_BY_LAST = byLastLetter(ROOTS);
const CALLS_BY_LAST = byLastLetter([...REFLECTION_CALLS, ...SINK_CALLS]);

/**
 * The word of `table` that is the whole identifier run ending at `end`, ignoring ASCII case, or undefined. In a
 * value without `İ` that is the run's text lower-cased (`lower.slice(start, end)`), when that text is in the table:
 * the words are ASCII letters, and no character outside ASCII lower-cases to one but the Kelvin sign, which is no
 * identifier character (so in no run).
 */
function wordBefore(v: string, end: number, table: string[][]): string | undefined {
  const last = lowerAscii(v.charCodeAt(end - 1)) - 97;
  if (!(last >= 0 && last < 26)) return undefined;
  for (const w of table[last]!) {
    const start = end - w.length;
    if (holdsAt(v, start, w) && (start === 0 || !isIdent(v.charCodeAt(start - 1)))) return w;
  }
  return undefined;
}

/** The start of the identifier run ending at `end` (exclusive), or -1 when that run is longer than `max`. */
function runStart(v: string, end: number, max: number): number {
  let s = end;
  while (s > 0 && end - s <= max && isIdent(v.charCodeAt(s - 1))) s--;
  return end - s > max ? -1 : s;
}

/**
 * What `wordScan` finds in a value with no gadget-shaped word (`RunScan.gadgetShaped` false), read from the few
 * places a finding needs instead of from every word:
 * - a class name starts at a root word right before a `.`: the words ending at each `.`;
 * - a call is a word followed by spaces and `(`: the word ending before each `(` (after spaces);
 * - `new ProcessBuilder` is the word `new`, spaces, then `processbuilder` in `lower`: the words before each of those.
 * Each `.` / `(` / `processbuilder` ends at most one word and each word ends before at most one of them, so these
 * are exactly the words `wordScan` acts on, with the same checks. Root words come in order (the first
 * paranoia-1 class name returns, as there); calls only add up, so their order does not matter (`first` is the
 * lowest position, as there). `processBuilder`: `lower` may hold `processbuilder` (`RunScan.processBuilder`);
 * `dots`: `dotScan(v)`, which found the class names. DENSE when the value holds more `(` than `jumpBudget`.
 *
 * Only for a value without `İ` (see `scanRuns`): `lower`'s characters are then the value's lower-cased one by one,
 * which for the ASCII letters and identifier characters read here is `lowerAscii`.
 */
function callsAndClassNames(v: string, processBuilder: boolean, dots: DotScan): Hit | undefined | typeof DENSE {
  const n = v.length;
  if (dots.root) return dots.root;
  const weak = dots.weakRoot;
  let reflections = 0;
  let seen = '';
  let sink = false;
  let strong = false;
  let first = -1;
  let budget = jumpBudget(n);
  for (let paren = v.indexOf('('); paren >= 0; paren = v.indexOf('(', paren + 1)) {
    if (--budget < 0) return DENSE;
    let j = paren;
    while (j > 0 && isSpace(v.charCodeAt(j - 1))) j--;
    // the word before the spaces, when it is a reflection or sink call (all 3 to 32 letters)
    const w = wordBefore(v, j, CALLS_BY_LAST);
    if (w === undefined) continue;
    const s = j - w.length;
    if (REFLECTION_CALLS.has(w)) {
      if (!seen.includes(w + ' ')) { seen += w + ' '; reflections++; }
      if (w === 'getruntime' || w === 'getenginebyname' || w === 'defineclass') strong = true;
      if (first < 0) first = s;
    } else if (SINK_CALLS.has(w) && s > 0 && v.charCodeAt(s - 1) === 46) {
      sink = true;
    }
  }
  const lower = processBuilder ? lowerOf(v) : '';
  for (let k = processBuilder ? lower.indexOf('processbuilder') : -1; k >= 0 && k <= n; k = lower.indexOf('processbuilder', k + 1)) {
    let j = k;
    while (j > 0 && isSpace(v.charCodeAt(j - 1))) j--;
    if (isIdent(v.charCodeAt(j))) continue; // no word ends at j
    const s = runStart(v, j, 3);
    if (s < 0 || j - s !== 3 || !isAlpha(v.charCodeAt(s))) continue;
    if (lower.charCodeAt(s) === 110 && lower.startsWith('new', s)) {
      strong = true;
      if (first < 0 || s < first) first = s;
    }
  }
  if (strong || reflections >= 2 || (reflections === 1 && sink)) {
    return { ruleId: 'java-reflection', paranoia: 1, message: 'Java reflection / process execution chain', at: first };
  }
  if (weak) return weak;
  if (reflections === 1) return { ruleId: 'java-reflection', paranoia: 3, message: 'Java reflection call', at: first };
  return undefined;
}

// ---------------------------------------------------------------- OGNL, class loader, reflection, XML

/** `memberAccess`: `lower` may contain `memberaccess` (`RunScan.memberAccess`). */
function ognl(v: string, memberAccess: boolean): Hit | undefined {
  const ma = memberAccess ? lowerOf(v).indexOf('memberaccess') : -1;
  const lower = ma >= 0 ? lowerOf(v) : '';
  if (ma >= 0 && (lower[ma - 1] === '_' || lower[ma - 1] === '#' || lower[ma - 1] === '.' || lower[ma - 1] === '[' || lower[ma - 1] === "'" || lower[ma - 1] === '"')) {
    return { ruleId: 'java-ognl', paranoia: 1, message: 'OGNL member access manipulation', at: ma };
  }
  // static member access @a.b.C@member
  let from = 0;
  for (;;) {
    const at = v.indexOf('@', from);
    if (at < 0) break;
    from = at + 1;
    if (!isAlpha(v.charCodeAt(at + 1))) continue;
    if (v.indexOf('@', at + 1) < 0) break; // the member access needs a second `@` after the name
    const end = dottedEnd(v, at + 1);
    if (end - at > 3 && v.charCodeAt(end) === 64 && v.slice(at + 1, end).includes('.') && isAlpha(v.charCodeAt(end + 1))) {
      return { ruleId: 'java-ognl', paranoia: 1, message: 'OGNL static member access', at };
    }
    from = Math.max(from, end);
  }
  // %{ ... #var / (#x= ... } and ${(#...)}
  for (const open of v.includes('{') ? ['%{', '${'] : []) {
    let f = 0;
    for (;;) {
      const at = v.indexOf(open, f);
      if (at < 0) break;
      f = at + 2;
      const k = skipSpace(v, at + 2);
      const c = v.charCodeAt(k);
      if (c === 40 && v.charCodeAt(skipSpace(v, k + 1)) === 35) return { ruleId: 'java-ognl', paranoia: 1, message: `OGNL expression ${open}(#...)`, at };
      if (c === 35 && isAlpha(v.charCodeAt(k + 1))) {
        let e = k + 1;
        while (e < v.length && isIdent(v.charCodeAt(e))) e++;
        const word = lowerOf(v).slice(k + 1, e);
        if (['context', 'attr', 'request', 'session', 'application', 'parameters', '_memberaccess', 'cmd', 'ognlutil', 'container', 'dm', 'ct'].includes(word) || v.charCodeAt(e) === 61) {
          return { ruleId: 'java-ognl', paranoia: 1, message: `OGNL expression ${open}#${word}`, at };
        }
      }
    }
  }
  return undefined;
}

/**
 * Whether a value (not a name) may hold a class-loader path: `classLoaderPath` finds `class` followed by `.` or `[`
 * in the lower-cased value, and the caller wants that `.` or `[` in the value itself. With `lower` aligned with the
 * value (see `scanRuns`), that is a `.` or `[` of the value right after `class` in `lower` (a word like `glass`
 * or `classic` in prose has none).
 */
function mayHaveClassPath(v: string, aligned: boolean): boolean {
  if (!aligned) return true;
  let budget = jumpBudget(v.length); // past it: maybe (the caller's search for `lass` decides)
  for (let q = v.indexOf('.', 5); q >= 0; q = v.indexOf('.', q + 1)) if (--budget < 0 || classBefore(v, q)) return true;
  for (let q = v.indexOf('[', 5); q >= 0; q = v.indexOf('[', q + 1)) if (--budget < 0 || classBefore(v, q)) return true;
  return false;
}

/**
 * `lower.startsWith('class', q - 5)` for a value without `İ`: the characters before `q` lower-cased one by one; a
 * character outside ASCII lower-cases to none of these letters (the Kelvin sign gives `k`).
 */
function classBefore(v: string, q: number): boolean {
  return lowerAscii(v.charCodeAt(q - 1)) === 115 && lowerAscii(v.charCodeAt(q - 2)) === 115 &&
    lowerAscii(v.charCodeAt(q - 3)) === 97 && lowerAscii(v.charCodeAt(q - 4)) === 108 && lowerAscii(v.charCodeAt(q - 5)) === 99;
}

/** Parameter paths into the class loader: `class.module.classLoader.x`, `class['classLoader']`, `Class.classLoader`. */
function classLoaderPath(name: string): number {
  const lower = name.toLowerCase();
  let from = 0;
  for (;;) {
    const at = lower.indexOf('class', from);
    if (at < 0) return -1;
    from = at + 5;
    if (at > 0 && isIdent(lower.charCodeAt(at - 1))) continue;
    let k = at + 5;
    const sep = lower[k];
    if (sep !== '.' && sep !== '[') continue;
    k++;
    while (lower[k] === "'" || lower[k] === '"' || lower[k] === ' ') k++;
    for (const m of ['module', 'classloader', 'protectiondomain', 'getclassloader', 'getmodule']) {
      if (lower.startsWith(m, k) && !isIdent(lower.charCodeAt(k + m.length))) return at;
    }
  }
}

function xmlDecoder(lower: string): Hit | undefined {
  const voidMethod = lower.indexOf('<void method=');
  const object = lower.indexOf('<object class=');
  if (voidMethod >= 0 && (object >= 0 || lower.includes('<java '))) {
    return { ruleId: 'java-xmldecoder', paranoia: 1, message: 'XMLDecoder document invoking methods', at: voidMethod };
  }
  const proxy = lower.indexOf('<dynamic-proxy');
  if (proxy >= 0 && (lower.includes('<interface') || lower.includes('<handler'))) {
    return { ruleId: 'java-xmldecoder', paranoia: 1, message: 'XStream dynamic proxy', at: proxy };
  }
  return undefined;
}

/** An upload's file name: a file-name field, or a header named `File`. */
function isUploadNameField(context: DetectorContext): boolean {
  return isFileNameField(context) || isFileHeader(context);
}

/** JSP extensions at the end of an upload file name (`shell.jsp`, `a.jspx..`, `x. jsp `). */
function jspFileName(v: string): number {
  let end = v.length;
  while (end > 0 && (v[end - 1] === '.' || v[end - 1] === ' ' || v[end - 1] === '\u0000')) end--;
  const dot = v.lastIndexOf('.', end - 1);
  if (dot < 0) return -1;
  const ext = v.slice(dot + 1, end).trim().toLowerCase();
  return ['jsp', 'jspx', 'jspf', 'jsw', 'jsv', 'jtml'].includes(ext) ? dot : -1;
}

/**
 * Whether a value (not a name, in no file-name field) whose runs `scanRuns` read, and whose characters have these
 * FLAGS (`codeUnits`), can give no finding at all:
 * - class-loader path: a `.` or `[` after `class` (see `mayHaveClassPath`);
 * - serialized objects: hex magic (`scan.hex`), escaped magic (`\\`), raw magic (`\u00ac` / `\ufffd`, outside ASCII),
 *   base64 (`scan.base64`, with no magic text as `scanRuns` requires);
 * - class names follow a root word with `.`, calls a word with `(`, `new ProcessBuilder` needs `scan.processBuilder`,
 *   gadget words `scan.gadgetShaped` (see `callsAndClassNames`);
 * - OGNL: `@`, `{` or `scan.memberAccess`; XMLDecoder: `<`.
 */
function nothingToFind(scan: RunScan, flags: number): boolean {
  return scan.complete && scan.base64 === undefined && !scan.gadgetShaped && !scan.hex && !scan.processBuilder &&
    !scan.memberAccess && (flags & F_NEEDED) === 0;
}

// ---------------------------------------------------------------- quiet values (the common case)

/*
 * Most values (prose, names, codes, e-mail addresses, numbers) can give no finding, and `quietValue` shows it from
 * one pass over the value's characters that checks, where they could start, what each rule needs:
 * - class-loader path (of a name, or of a value with `.` or `[` after it): `class` right before `.` or `[`;
 * - serialized objects: `0005` (hex magic), `\` (escaped), NUL (raw), the magic texts (an `A` after `0`, `t` or
 *   `Q`), a base64 run that `gadgetRun` would decode (see `quietRunEnd`);
 * - class names: a root word before a `.` with a name after it; calls: a call word before `(` (after spaces);
 *   `new ProcessBuilder`, `memberaccess` and gadget names (`quietRunEnd`, and `lazymap` from its `z`);
 * - OGNL: `{` or a second `@`; XMLDecoder: `<`.
 * Every other value gets the full scans. `İ` (the only character whose lower case is longer) goes there too, as it
 * shifts the lower-cased copy those scans read. The Kelvin sign, the only other character that lower-cases into
 * ASCII (`k`), is no identifier or base64 character, and no text those scans look for elsewhere in that copy
 * has a `k`.
 *
 * The pass reads the value as bytes: an ASCII value is copied by `TextEncoder#encodeInto` (cheaper than a
 * UTF-16 copy, and a typed array reads faster than the string), any other value character by character with
 * every character outside ASCII as NON_ASCII (like them, no base64, identifier, space or marked character, and
 * equal to no ASCII letter). Pairs of bytes are read as one 16-bit number through a table (`PAIR`).
 */

/** Classes of a byte: base64 (`isB64`), and the characters some rule starts from (see `quietMark`). */
const Q_B64 = 1;
const Q_MARK = 2;
const QUIET = new Uint8Array(256);
for (let c = 0; c < 128; c++) QUIET[c] = isB64(c) ? Q_B64 : 0;
for (const ch of '.[(@{<\\\u0000A5zZ') QUIET[ch.charCodeAt(0)]! |= Q_MARK;
/** What a character outside ASCII is read as. */
const NON_ASCII = 0x80;

/**
 * What a byte `c` needs to start a finding (see `quietMark`; nothing for a byte not marked), from the byte before
 * it (`before`, -1 when unknown) and the one after it (`after`, -1 when unknown): the length of the base64 run
 * ending before `before` (before `c` when `before` is unknown) that `quietMark` needs at least, or NEVER. What
 * these checks want right before a marked character is base64 characters (letters: `class`, a root or call word;
 * `rO0`, `zt`, `s7Q`, `000`, `la`), but for `(` after spaces (0: the word is further back).
 */
const NEVER = 0xffffff;
if ([...ROOTS].some((r) => r.length < 2 || r.endsWith('s')) || [...REFLECTION_CALLS, ...SINK_CALLS].some((w) => w.length < 4)) {
  throw new Error('java: markNeeds counts on root words of 2+ letters not ending with `s` and call words of 4+ letters');
}
function markNeeds(c: number, before: number, after: number): number {
  const known = before >= 0;
  switch (c) {
    case 46: { // `.`: `class` before, or a root word (2+ letters, none ending with `s`) with a name after
      const rootAfter = after < 0 || isIdent(after);
      if (!known) return rootAfter ? 2 : 5;
      if ((before | 32) === 115) return 4;
      return isAlpha(before) && rootAfter ? 1 : NEVER;
    }
    case 91: // `[`: `class` before
      return !known ? 5 : (before | 32) === 115 ? 4 : NEVER;
    case 40: // `(`: a call word (4+ letters) before, or spaces
      return !known || isSpace(before) ? 0 : isAlpha(before) ? 3 : NEVER;
    case 65: // `A`: `rO0AB`, `ztAA`, `s7QAF` have two base64 characters or more before an `A` after `0`, `t` or `Q`
      return !known ? 2 : before === 48 || before === 116 || before === 81 ? 1 : NEVER;
    case 53: // `5`: `000` before
      return !known ? 3 : before === 48 ? 2 : NEVER;
    case 122: case 90: // `z`: `la` before, `y` after
      if (after >= 0 && (after | 32) !== 121) return NEVER;
      return !known ? 2 : (before | 32) === 97 ? 1 : NEVER;
    default: // `@`, `{`, `<`, `\\`, NUL
      return (QUIET[c]! & Q_MARK) !== 0 ? 0 : NEVER;
  }
}

/** `markNeeds` of every ASCII character, knowing nothing around it (127: NEVER, a run no short value has). */
const NEEDS = new Uint8Array(128);
for (let c = 0; c < 128; c++) NEEDS[c] = Math.min(127, markNeeds(c, -1, -1));
/** For `nextCharEvent`, every code unit: Q_B64, and from bit 1 `NEEDS` (`İ`: 0, the others outside ASCII: 127). */
const CHAR_EVENTS = new Uint8Array(65536).fill(127 << 1);
for (let c = 0; c < 128; c++) CHAR_EVENTS[c] = (NEEDS[c]! << 1) | (QUIET[c]! & Q_B64);
CHAR_EVENTS[0x130] = 0;

/** The runs of `nextPairEvent` from `k` on (11 stands for 11 and more), as bits. */
const RUN_CAP = 11;
function runsFrom(k: number): number {
  return k >= NEVER ? 0 : (0xfff << Math.min(k, RUN_CAP + 1)) & 0xfff;
}

/**
 * When a marked byte may start a finding, as the set (bits, see `runsFrom`) of the lengths of the base64 run before
 * the pair it is in: `markNeeds`, but for `(` after spaces, which may end a gap of several spaces (run 0) or a call
 * word of 4+ letters after one (a run of 4 or more, the word being base64 characters); no call word ends a run of
 * 1 to 3 right before the pair.
 */
function markRuns(c: number, before: number, after: number): number {
  if (c === 40 && (before < 0 || isSpace(before))) return 1 | runsFrom(4);
  return runsFrom(markNeeds(c, before, after));
}

/** Whether this machine stores the first byte of a 16-bit number first (the pairs below are read that way). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * What two bytes `a` (the first) and `b` mean to `nextPairEvent`, in one number: bits 0 to 11,
 * the lengths of the base64 run before the pair with which the pair has to be looked at (`quietAt`): a marked byte
 * may start a finding (`markRuns`), or the run reaches its tenth character in the pair (8 or 9 before two base64
 * bytes, 9 before one); then the run through the pair: P_BOTH (both base64: 2 longer) and P_SECOND (only `b`: the
 * run after the pair is 1 long).
 */
const P_BOTH = 1 << 12;
const P_SECOND = 1 << 13;
const PAIR = new Uint16Array(65536);
for (let a = 0; a < 256; a++) {
  for (let b = 0; b < 256; b++) {
    const a64 = (QUIET[a]! & Q_B64) !== 0;
    const b64 = (QUIET[b]! & Q_B64) !== 0;
    const tenth = a64 && b64 ? (1 << 8) | (1 << 9) : a64 ? 1 << 9 : 0;
    // (only the marked bytes need any: most pairs have none, and the table is built faster)
    const marks = ((QUIET[a]! & Q_MARK) !== 0 ? markRuns(a, -1, b) : 0) | ((QUIET[b]! & Q_MARK) !== 0 ? markRuns(b, a, -1) : 0);
    const runs = tenth | marks;
    PAIR[LITTLE_ENDIAN ? a | (b << 8) : (a << 8) | b] = runs | (a64 && b64 ? P_BOTH : 0) | (!a64 && b64 ? P_SECOND : 0);
  }
}

const encoder = new TextEncoder();
/** The bytes of the value being read, and the same memory as pairs (see PAIR). */
let quietBytes = new Uint8Array(1 << 16);
let quietPairs = new Uint16Array(quietBytes.buffer);
/** Values shorter than this are read from the string until something is met (cheaper than a copy). */
const TINY_VALUE = 32;

/** Set by the `next...` scans (no allocation per value): the base64 run ending before where they stopped. */
let eventRun = 0;

/**
 * The first pair from `j` (up to `m`) that PAIR says has to be looked at after the base64 run before it, or `m`;
 * `run`: the length of the base64 run ending before pair `j`. The loop calls nothing and handles nothing: a tight
 * loop.
 */
function nextPairEvent(w: Uint16Array, j: number, m: number, run: number): number {
  for (; j < m; j++) {
    const t = PAIR[w[j]!]!;
    if (((t >> (run < RUN_CAP ? run : RUN_CAP)) & 1) !== 0) break;
    // P_BOTH spread to every bit (0 or -1, no negation: `-0` would leave the small integers), P_SECOND as 1
    run = ((run + 2) & ((t << 19) >> 31)) | ((t >> 13) & 1);
  }
  eventRun = run;
  return j;
}

/**
 * The first position from `i` of the string `v` (up to `n`) holding a marked character that may start a finding
 * after the base64 run before it (`NEEDS`), `İ`, or ending the tenth character of a base64 run; `run`: the length
 * of the base64 run ending before `i`. One table read per character (CHAR_EVENTS).
 */
function nextCharEvent(v: string, i: number, n: number, run: number): number {
  for (; i < n; i++) {
    const k = CHAR_EVENTS[v.charCodeAt(i)]!;
    const next = (run + 1) & ((k << 31) >> 31); // Q_B64 (bit 0) spread to every bit
    if (run >= k >> 1 || next === 10) break;
    run = next;
  }
  eventRun = run;
  return i;
}

/** Whether `b[at, at + text.length)`, inside `[0, n)`, is `text` (lower-case ASCII), ignoring ASCII case. */
function holdsIn(b: Uint8Array, n: number, at: number, text: string): boolean {
  if (at < 0 || at + text.length > n) return false;
  for (let k = 0; k < text.length; k++) if (lowerAscii(b[at + k]!) !== text.charCodeAt(k)) return false;
  return true;
}

/** The last two letters of every word of `words` (lower-case ASCII letters, 2+ long), as a table of 26 x 26. */
function lastTwoLetters(words: Iterable<string>): Uint8Array {
  const table = new Uint8Array(26 * 26);
  for (const w of words) table[(w.charCodeAt(w.length - 2) - 97) * 26 + w.charCodeAt(w.length - 1) - 97] = 1;
  return table;
}
const ROOT_ENDS = lastTwoLetters(ROOTS);
const CALL_ENDS = lastTwoLetters([...REFLECTION_CALLS, ...SINK_CALLS]);

/**
 * `wordBefore` over the bytes `b[0, n)`: whether the word ending at `end` is one of `table` (whose words end with
 * the letter pairs of `ends`, looked at first).
 */
function wordBeforeIn(b: Uint8Array, n: number, end: number, table: string[][], ends: Uint8Array): boolean {
  if (end < 2) return false;
  const last = (b[end - 1]! | 32) - 97;
  const before = (b[end - 2]! | 32) - 97;
  if (last < 0 || last >= 26 || before < 0 || before >= 26 || ends[before * 26 + last] === 0) return false;
  for (const w of table[last]!) {
    const start = end - w.length;
    if (holdsIn(b, n, start, w) && (start === 0 || !isIdent(b[start - 1]!))) return true;
  }
  return false;
}

/** `classBefore` over the bytes `b` (`q` >= 5). */
function classBeforeIn(b: Uint8Array, q: number): boolean {
  return lowerAscii(b[q - 1]!) === 115 && lowerAscii(b[q - 2]!) === 115 && lowerAscii(b[q - 3]!) === 97 &&
    lowerAscii(b[q - 4]!) === 108 && lowerAscii(b[q - 5]!) === 99;
}

/** Name bytes (`isNameByte`) as a table. */
const NAME_BYTE = new Uint8Array(256);
for (let b = 0; b < 256; b++) NAME_BYTE[b] = isNameByte(b) ? 1 : 0;
/** The sextet of every base64 character (`B64`), 64 for the others. */
const SEXTET = new Uint8Array(256).fill(64);
for (let c = 0; c < 128; c++) if (B64[c]! >= 0) SEXTET[c] = B64[c]!;

/**
 * Classes of a byte for `quietRunEnd`, one table read per character: R_END for every byte that is not base64 (the
 * run ends there), and for base64 bytes the ones that need a look (R_LOOK): `+` `/` `-` (end a word), `5`
 * (`aced0005`), `m` `p` in either case (`memberaccess`, `processbuilder`); R_NOT_HEX, R_UPPER and R_DIGIT are
 * gathered for the whole run.
 */
const R_END = 1;
const R_PUNCT = 2;
/** A pair (RUN_PAIR only) of two letters or digits that `aced0005`, `memberaccess` or `processbuilder` holds. */
const R_TEXT = 4;
const R_NOT_HEX = 16;
const R_UPPER = 32;
const R_DIGIT = 64;
const RUN_BYTE = new Uint8Array(256).fill(R_END);
for (let c = 0; c < 128; c++) {
  const cls = CLASS[c]!;
  if ((cls & C_B64) === 0) continue;
  RUN_BYTE[c] = ((cls & C_B64_PUNCT) !== 0 ? R_PUNCT : 0) | ((cls & C_HEX) === 0 ? R_NOT_HEX : 0) |
    ((cls & C_UPPER) !== 0 ? R_UPPER : 0) | ((cls & C_DIGIT) !== 0 ? R_DIGIT : 0);
}

/**
 * Where the texts `quietRunEnd` looks for inside a run are found from: two pairs of letters in a row in each, at
 * offset `at` and `at + 1` (`00` of `aced0005` at 4, `mb` `be` of `memberaccess` at 2, `sb` `bu` of `processbuilder`
 * at 6). Whatever the text's alignment, one of its two pairs is a pair of `quietPairs`: a pair holding one of these
 * (ignoring case) marks the text's start at 2, 3, 4, 5, 6 or 7 bytes before, as `textAround` checks.
 */
const TEXT_PAIRS: readonly [string, number][] = [['aced0005', 4], ['memberaccess', 2], ['processbuilder', 6]];

/**
 * RUN_BYTE of two bytes read as one 16-bit number (see PAIR), joined, and R_TEXT: the loop of `quietRunEnd` reads
 * a pair at a time, and looks closer only at the pair that ends the run, holds a `+` `/` `-` (a word's end) or
 * may be inside one of the TEXT_PAIRS texts.
 */
const RUN_PAIR = new Uint8Array(65536);
for (let a = 0; a < 256; a++) {
  for (let c = 0; c < 256; c++) RUN_PAIR[LITTLE_ENDIAN ? a | (c << 8) : (a << 8) | c] = RUN_BYTE[a]! | RUN_BYTE[c]!;
}
for (const [text, at] of TEXT_PAIRS) {
  for (const k of [at, at + 1]) {
    for (const a of new Set([text.charCodeAt(k), text.toUpperCase().charCodeAt(k)])) {
      for (const c of new Set([text.charCodeAt(k + 1), text.toUpperCase().charCodeAt(k + 1)])) {
        RUN_PAIR[LITTLE_ENDIAN ? a | (c << 8) : (a << 8) | c]! |= R_TEXT;
      }
    }
  }
}
/** The pairs to look at in `quietRunEnd`. */
const R_LOOK = R_END | R_PUNCT | R_TEXT;

/** Whether one of the TEXT_PAIRS texts (ignoring case) holds the pair at `q` of the bytes `b[0, n)` (see there). */
function textAround(b: Uint8Array, n: number, q: number): boolean {
  for (const [text, at] of TEXT_PAIRS) if (holdsIn(b, n, q - at, text) || holdsIn(b, n, q - at - 1, text)) return true;
  return false;
}

/** The R_ classes of the bytes of the run `quietRunEnd` reads, gathered by it and by `nextLookPair`. */
let pairClasses = 0;

/**
 * The first pair from `j` of `w` (`quietPairs`) that `quietRunEnd` has to look at (R_LOOK, the run's end at the
 * latest), gathering the classes of those before it in `pairClasses`. A small loop of its own: it is compiled
 * tighter than inside `quietRunEnd`.
 */
function nextLookPair(w: Uint16Array, j: number): number {
  let all = pairClasses;
  for (;; j++) {
    const t = RUN_PAIR[w[j]!]!;
    if ((t & R_LOOK) !== 0) break;
    all |= t;
  }
  pairClasses = all;
  return j;
}

/** Base64 runs longer than this are read by `quietRunEnd`, shorter ones by `quietRun` (tuned for them). */
const LONG_RUN = 256;

/** What decoding `quietDecoding` may still spend on the value `quietValue` reads (characters, four times each). */
const DECODE_BUDGET = 64 * 1024;
let quietDecodeBudget = DECODE_BUDGET;

/**
 * The end of the base64 run starting at `s` (longer than LONG_RUN) of the value `v`, copied into the bytes `b[0, n)`
 * (with a byte that is not base64 at `n`), when nothing in the run can start a finding; else -1. One loop that reads a pair of bytes and a table entry
 * at a time (`nextLookPair`) and looks closer only at the few pairs that may matter; then the rarer checks. What a
 * base64 run of the value can give, and how each is ruled out exactly (or, when costly, conservatively):
 * - the base64 serialization magic: only at the start of a run (`base64Runs` reads its first 12 characters):
 *   `magicAt` there, when an `A` is where the magic's zero bits are (`zeroNearStart`, as `base64Runs` asks);
 * - hex magic `aced0005`, `memberaccess` (OGNL) and `processbuilder` (`new ProcessBuilder`), from the pairs of
 *   TEXT_PAIRS (all are letters and digits: inside one run, found ignoring case as the lower-cased value has them);
 * - gadget class names as whole identifier words (split by `+` `/` `-`, as in `gadgetShapedWord`): words of a
 *   gadget's shape are compared with the names (`lazymap`, the only one shorter than 10, included);
 * - the base64-gadget decoding (`gadgetRun`): for a run it would decode, the same decoding and search
 *   (`quietDecoding`); past the value's decoding budget, -1;
 * - the marked characters of the run (`A`, `5`, `z`) start nothing else: so the scan goes on after the run.
 * Other rules start at characters that are not base64 (`.`, `(`, `@`...), which the scan looks at after the run.
 */
function quietRunEnd(v: string, b: Uint8Array, n: number, s: number): number {
  // by pairs of bytes (`quietPairs`, see RUN_PAIR) from the pair holding `s`: a pair with a byte to look at
  // (the run's end among them) byte by byte, from `s` (a byte before it is the one before the run)
  const w = quietPairs;
  pairClasses = 0;
  let word = s; // start of the current identifier word
  let e = -1;
  for (let j = s >> 1; e < 0; j++) {
    j = nextLookPair(w, j);
    const t = RUN_PAIR[w[j]!]!;
    if ((t & R_TEXT) !== 0) { // letters and digits only: within the run
      if (textAround(b, n, 2 * j)) return -1;
      pairClasses |= t;
      continue;
    }
    for (let k = Math.max(2 * j, s); k < 2 * j + 2; k++) {
      const c = RUN_BYTE[b[k]!]!;
      if ((c & (R_END | R_PUNCT)) !== 0) {
        if (k - word >= GADGET_MIN && gadgetWordIn(b, n, word, k)) return -1;
        if ((c & R_END) !== 0) {
          e = k;
          break;
        }
        word = k + 1;
      }
      pairClasses |= c;
    }
  }
  const all = pairClasses;
  const len = e - s;
  if (zeroNearStart(b, s, e)) {
    for (let pad = 0; pad < 4; pad++) if (magicAt(v, s, Math.min(len, 12), pad)) return -1;
  }
  // `gadgetRun`'s conditions: two uppercase letters or a digit, not hexadecimal (`mayNameClass` is not asked: a long
  // run of random data, the costly case, almost always has what it looks for)
  if ((all & R_NOT_HEX) !== 0 && ((all & R_DIGIT) !== 0 || ((all & R_UPPER) !== 0 && twoUpper(b, s, e))) &&
    !quietDecoding(v, s, Math.min(len, 8192))) return -1;
  return e;
}

/** Whether the run `b[s, e)` has an `A` where the magic's zero bits are (`base64Runs` looks for it there first). */
function zeroNearStart(b: Uint8Array, s: number, e: number): boolean {
  for (let k = s + 2; k < s + 8 && k < e; k++) if (b[k] === 65) return true;
  return false;
}

/** Whether `b[s, e)` holds two uppercase letters. */
function twoUpper(b: Uint8Array, s: number, e: number): boolean {
  let upper = 0;
  for (let k = s; k < e && upper < 2; k++) upper += CLASS[b[k]!]! & C_UPPER;
  return upper >= 2;
}

/**
 * Whether the identifier word `b[a, z)` inside a base64 run of `b[0, n)` is a gadget class name as `wordScan` reads
 * words (whole: no identifier character around it), ignoring case (base64 bytes: `| 32` lower-cases the letters).
 */
function gadgetWordIn(b: Uint8Array, n: number, a: number, z: number): boolean {
  if (!gadgetShape(z - a, b[a]! | 32, b[z - 1]! | 32) || (a > 0 && isIdent(b[a - 1]!)) || (z < n && isIdent(b[z]!))) {
    return false;
  }
  let w = '';
  for (let k = a; k < z; k++) w += String.fromCharCode(b[k]! | 32);
  return GADGETS.has(w);
}

/**
 * Whether `gadgetRun`'s decoding of the `chars` characters of `v` from `s` finds nothing (the same texts);
 * false when the value's decoding budget is spent. Every text searched is lower-case letters and dots, and the
 * lower-cased latin1 text has one of those only where the bytes have a name byte (`isNameByte`): a text found
 * lies in a stretch of 5+ of them, and only those stretches are searched (random data has few).
 */
function quietDecoding(v: string, s: number, chars: number): boolean {
  quietDecodeBudget -= 4 * chars;
  if (quietDecodeBudget < 0) return false;
  for (let pad = 0; pad < 4; pad++) {
    const bytes = Buffer.from('A'.repeat(pad) + v.slice(s, s + chars), 'base64');
    if (!quietStretches(bytes)) return false;
  }
  return true;
}

/** Stretches of 5+ lower-case letters and dots (see `quietStretches`). */
const NAME_STRETCH = /[a-z.]{5,}/g;

/**
 * Whether the stretches of 5+ name bytes of `bytes` (in the lower-cased latin1 text: letters and dots) hold none of
 * the texts `gadgetRun` searches for.
 */
function quietStretches(bytes: Buffer): boolean {
  const lower = bytes.toString('latin1').toLowerCase();
  let searched = 0;
  NAME_STRETCH.lastIndex = 0;
  for (let m = NAME_STRETCH.exec(lower); m !== null; m = NAME_STRETCH.exec(lower)) {
    searched += m[0].length;
    // many stretches (text, not random data): one search of the whole decoding instead, as `gadgetRun` makes it
    if (searched > 2048) return !namesGadget(lower);
    if (namesGadget(m[0])) return false;
  }
  return true;
}

/** Whether a lower-cased decoding holds a text `gadgetRun` looks for. */
function namesGadget(text: string): boolean {
  for (const g of GADGET_TEXT) if (text.includes(g)) return true;
  return text.includes('runtime') || text.includes('java.');
}

/**
 * Whether the base64 run `[s, e)` (10+ long) of the bytes `b[0, n)` can start no finding, from one loop over it
 * that calls nothing, then the rare closer looks:
 * - the base64-gadget decoding: `gadgetRun` decodes only runs with two uppercase letters or a digit that are not
 *   hexadecimal and that `mayNameClass` lets through (its first test, a pair of name bytes, is made in the loop);
 * - the identifier words of the run (split by `+` `/` `-`, as in `gadgetShapedWord`): none shaped like a gadget
 *   name (every gadget name but `lazymap` is 10+ letters, so within a run like this one), no `memberaccess`
 *   (OGNL) and no `processbuilder` (`new ProcessBuilder`), ignoring case;
 * - its marked characters (`A`, `5`, `z`: see `quietMark`, from the characters before them in the run), so that
 *   the scan goes on after the run (a long run of `A`s would otherwise stop it at every pair).
 */
function quietRun(b: Uint8Array, n: number, s: number, e: number): boolean {
  let upper = 0;
  let any = 0;
  let all = 0xff;
  let pair = 0;
  let s1 = 64; // the sextets of the two characters before (64: none)
  let s2 = 64;
  let word = s; // start of the current identifier word
  let longest = 0;
  let gadgetLong = false; // a word as long as a gadget name
  let p1 = 0; // the three characters before (0: none, the run starts after a character that is not base64)
  let p2 = 0;
  let p3 = 0;
  let marked = false;
  for (let k = s; k < e; k++) {
    const c = b[k]!;
    const cls = CLASS[c]!;
    upper += cls & C_UPPER;
    any |= cls;
    all &= cls;
    const s0 = SEXTET[c]!;
    if (s2 < 32) pair |= NAME_BYTE[(s2 << 2) | (s1 >> 4)]! & NAME_BYTE[((s1 & 15) << 4) | (s0 >> 2)]!;
    s2 = s1;
    s1 = s0;
    if ((cls & C_B64_PUNCT) !== 0) {
      if (k - word > longest) longest = k - word;
      gadgetLong ||= k - word >= GADGET_MIN && k - word <= GADGET_MAX;
      word = k + 1;
    }
    if ((QUIET[c]! & Q_MARK) !== 0) {
      marked ||= c === 65 ? p1 === 48 || p1 === 116 || p1 === 81 : c === 53 ? p1 === 48 && p2 === 48 && p3 === 48 :
        (p1 | 32) === 97 && (p2 | 32) === 108;
    }
    p3 = p2;
    p2 = p1;
    p1 = c;
  }
  if (marked) return false;
  if (e - word > longest) longest = e - word;
  gadgetLong ||= e - word >= GADGET_MIN && e - word <= GADGET_MAX;
  if (gadgetLong && gadgetWordsIn(b, n, s, e)) return false;
  if (pair !== 0 && (upper > 1 || (any & C_DIGIT) !== 0) && (all & C_HEX) === 0 && mayNameClass(b, s, Math.min(e - s, 8192))) return false;
  // both are letters only: within a word of the run; `m` and `p` first
  return !(longest >= 12 && (any & C_MP) !== 0 &&
    (runHolds(b, s, e, 'memberaccess') || (longest >= 14 && runHolds(b, s, e, 'processbuilder'))));
}

/** `gadgetShapedWord` over the bytes `b[0, n)`. */
function gadgetWordsIn(b: Uint8Array, n: number, s: number, e: number): boolean {
  for (let a = s; a < e;) {
    if ((CLASS[b[a]!]! & C_IDENT) === 0) { a++; continue; }
    let z = a;
    while (z < e && (CLASS[b[z]!]! & C_IDENT) !== 0) z++;
    if (z - a >= GADGET_MIN && gadgetShape(z - a, b[a]! | 32, b[z - 1]! | 32) && (a === 0 || !isIdent(b[a - 1]!)) &&
      (z >= n || !isIdent(b[z]!))) return true;
    a = z;
  }
  return false;
}

/** Set by `quietValue` (no allocation per value): how many `@` it met. */
let quietAts = 0;

/** Whether the marked character `c` at `i` of the bytes `b[0, n)` can start no finding (see `quietValue`). */
function quietMark(b: Uint8Array, n: number, c: number, i: number): boolean {
  switch (c) {
    case 46: { // `.`: a class-loader path after `class`, a class name from a root word with a name after the dot
      const p = i > 0 ? b[i - 1]! | 32 : 0;
      if (p < 97 || p > 122) return true; // both end with a letter
      if (p === 115 && i >= 5 && classBeforeIn(b, i)) return false;
      return i + 1 >= n || !isIdent(b[i + 1]!) || !wordBeforeIn(b, n, i, ROOTS_BY_LAST, ROOT_ENDS);
    }
    case 91: // `[`: a class-loader path
      return !(i >= 5 && classBeforeIn(b, i));
    case 40: { // `(`: a reflection or sink call (after spaces), all ending with a letter
      let j = i;
      while (j > 0 && isSpace(b[j - 1]!)) j--;
      const p = j > 0 ? b[j - 1]! | 32 : 0;
      return p < 97 || p > 122 || !wordBeforeIn(b, n, j, CALLS_BY_LAST, CALL_ENDS);
    }
    case 64: // `@`: OGNL static member access needs two
      return ++quietAts < 2;
    case 65: { // `A`: the base64 magic texts `rO0AB`, `ztAA`, `s7QAF` (see hasMagicText)
      const p = i > 0 ? b[i - 1]! : 0;
      return p !== 48 && p !== 116 && p !== 81;
    }
    case 53: // `5`: hex magic `aced0005`
      return !(i >= 3 && b[i - 1] === 48 && b[i - 2] === 48 && b[i - 3] === 48);
    case 122: case 90: // `z`: `lazymap`, the only gadget name shorter than 10
      return !holdsIn(b, n, i - 2, 'lazymap');
    default: // `{` (OGNL), `<` (XMLDecoder), `\` (escaped magic), NUL (raw magic)
      return false;
  }
}

/** Set by `quietAt` when it read a whole base64 run: where the run ends (else -1). */
let runEnd = -1;

/**
 * The byte at `i` of `b[0, n)` after a base64 run `run` long: -1 when it may start a finding (a marked character,
 * or the tenth of a run, see `quietRunEnd`), else the run after it. At the tenth character of a run the whole run is
 * read (its end in `runEnd`).
 */
function quietAt(v: string, b: Uint8Array, n: number, i: number, run: number): number {
  const c = b[i]!;
  const k = QUIET[c]!;
  run = (k & Q_B64) !== 0 ? run + 1 : 0;
  if ((k & Q_MARK) !== 0 && !quietMark(b, n, c, i)) return -1;
  if (run === 10) {
    // a short run (most): `quietRun`, tuned for them; a longer one: `quietRunEnd`, which reads it in one pass
    let e = i + 1;
    while (e < n && e - i < LONG_RUN && (QUIET[b[e]!]! & Q_B64) !== 0) e++;
    e = e - i < LONG_RUN ? (quietRun(b, n, i - 9, e) ? e : -1) : quietRunEnd(v, b, n, i - 9);
    if (e < 0) return -1;
    runEnd = e;
    return run + (e - i - 1);
  }
  return run;
}

/**
 * Copies `v` into `quietBytes` as `quietValue` reads it, with room for a byte after it (the last pair); false when
 * the value holds `İ`.
 */
function copyBytes(v: string, n: number): boolean {
  if (n + 2 > quietBytes.length || quietBytes.length > KEPT_UNITS) {
    // an even length, for the pairs; a buffer for a very long value is dropped at the next value
    quietBytes = new Uint8Array(Math.max(1 << 16, (n + 3) & ~1));
    quietPairs = new Uint16Array(quietBytes.buffer);
  }
  const b = quietBytes;
  if (n >= TINY_VALUE) {
    const copied = encoder.encodeInto(v, b);
    if (copied.read === n && copied.written === n) return true; // ASCII only: one byte per character
  }
  for (let k = 0; k < n; k++) {
    const c = v.charCodeAt(k);
    if (c === 0x130) return false;
    b[k] = c < 128 ? c : NON_ASCII;
  }
  return true;
}

/**
 * Whether the base64 run `[s, e)` of a short value can start no finding, read from the string itself (not copied):
 * coarser checks than `quietRunEnd` (gadget-shaped words, `mayNameClass` alone), the copy made only for `mayNameClass`.
 */
function quietRunOf(v: string, n: number, s: number, e: number): boolean {
  let upper = 0;
  let any = 0;
  let all = 0xff;
  let pair = 0;
  let s1 = 64;
  let s2 = 64;
  let word = s;
  let longest = 0;
  for (let k = s; k < e; k++) {
    const c = v.charCodeAt(k); // base64: ASCII
    const cls = CLASS[c]!;
    upper += cls & C_UPPER;
    any |= cls;
    all &= cls;
    const s0 = SEXTET[c]!;
    if (s2 < 32) pair |= NAME_BYTE[(s2 << 2) | (s1 >> 4)]! & NAME_BYTE[((s1 & 15) << 4) | (s0 >> 2)]!;
    s2 = s1;
    s1 = s0;
    if ((cls & C_B64_PUNCT) !== 0) {
      if (k - word > longest) longest = k - word;
      word = k + 1;
    }
  }
  if (e - word > longest) longest = e - word;
  if (longest >= GADGET_MIN && gadgetWordsOf(v, s, e)) return false;
  if (pair !== 0 && (upper > 1 || (any & C_DIGIT) !== 0) && (all & C_HEX) === 0 &&
    (!copyBytes(v, n) || mayNameClass(quietBytes, s, Math.min(e - s, 8192)))) return false;
  return !(longest >= 12 && (runHoldsOf(v, s, e, 'memberaccess') || (longest >= 14 && runHoldsOf(v, s, e, 'processbuilder'))));
}

/** `gadgetWordsIn` reading the string. */
function gadgetWordsOf(v: string, s: number, e: number): boolean {
  for (let a = s; a < e;) {
    if ((CLASS[v.charCodeAt(a)]! & C_IDENT) === 0) { a++; continue; }
    let z = a;
    while (z < e && (CLASS[v.charCodeAt(z)]! & C_IDENT) !== 0) z++;
    if (z - a >= GADGET_MIN && gadgetShape(z - a, v.charCodeAt(a) | 32, v.charCodeAt(z - 1) | 32) &&
      !isIdent(v.charCodeAt(a - 1)) && !isIdent(v.charCodeAt(z))) return true;
    a = z;
  }
  return false;
}

/** `runHolds` reading the string. */
function runHoldsOf(v: string, s: number, e: number, text: string): boolean {
  for (let k = s; k + text.length <= e; k++) if (holdsAt(v, k, text)) return true;
  return false;
}

/**
 * `quietMark` for a `5` or an `A` at `i` of the string `v`, read in place (a character outside ASCII, which the
 * copy holds as NON_ASCII, is none of those it compares with); false for the other marked characters.
 */
function tinyMarkQuiet(v: string, c: number, i: number): boolean {
  if (c === 53) { // `5`: hex magic `aced0005`
    return !(i >= 3 && v.charCodeAt(i - 1) === 48 && v.charCodeAt(i - 2) === 48 && v.charCodeAt(i - 3) === 48);
  }
  if (c === 65) { // `A`: the base64 magic texts `rO0AB`, `ztAA`, `s7QAF`
    const p = i > 0 ? v.charCodeAt(i - 1) : 0;
    return p !== 48 && p !== 116 && p !== 81;
  }
  return false;
}

/**
 * `quietMark` for a `.` (`c` 46) or a `(` at `i` of the string `v` (`n` long), read in place. A character outside
 * ASCII, which the copy holds as NON_ASCII, is like it no identifier or space character, and no letter once `| 32`
 * (it stays above `z`). (Short host names, e-mail addresses and decimal numbers are then read without a copy.)
 */
function tinyPunctQuiet(v: string, n: number, c: number, i: number): boolean {
  if (c === 46) { // `.`: a class-loader path after `class`, a class name from a root word with a name after the dot
    const p = i > 0 ? v.charCodeAt(i - 1) | 32 : 0;
    if (p < 97 || p > 122) return true;
    if (p === 115 && i >= 5 && classBefore(v, i)) return false;
    return i + 1 >= n || !isIdent(v.charCodeAt(i + 1)) || wordBefore(v, i, ROOTS_BY_LAST) === undefined;
  }
  // `(`: a reflection or sink call (after spaces)
  let j = i;
  while (j > 0 && isSpace(v.charCodeAt(j - 1))) j--;
  const p = j > 0 ? v.charCodeAt(j - 1) | 32 : 0;
  return p < 97 || p > 122 || wordBefore(v, j, CALLS_BY_LAST) === undefined;
}

/** Whether a value (in no file-name field) can give no finding (see above). */
function quietValue(v: string): boolean {
  const n = v.length;
  let i = 0;
  let run = 0;
  let ats = 0; // `@` met (see quietMark)
  if (n < TINY_VALUE) {
    // read from the string up to a marked character (then copied); a long base64 run is read there too
    for (i = nextCharEvent(v, 0, n, 0); i < n; i = nextCharEvent(v, i + 1, n, run)) {
      run = eventRun;
      const c = v.charCodeAt(i);
      if (c >= 128) break;
      if (run >= NEEDS[c]!) {
        // `.`, `(` and `@` that quietMark clears are read on (host names, e-mail addresses, decimal numbers); none
        // is a base64 character, so no run goes on after them
        if (c === 64) { // `@`: a second one is the end (quietMark stops at it)
          if (++ats === 2) return false;
          run = 0;
          continue;
        }
        if (c === 46 || c === 40) {
          if (!tinyPunctQuiet(v, n, c, i)) break;
          run = 0;
          continue;
        }
        // a `5` or an `A` that quietMark clears is read on (codes and numbers are full of them); any other marked
        // character is read from the copy
        if (!tinyMarkQuiet(v, c, i)) break;
        if (run !== 9) { // not also the tenth character of a base64 run (both are base64 characters)
          run++;
          continue;
        }
      }
      let e = i + 1; // the tenth character of a base64 run: its end
      while (e < n && (CHAR_EVENTS[v.charCodeAt(e)]! & Q_B64) !== 0) e++;
      if (!quietRunOf(v, n, i - 9, e)) return false;
      run++;
    }
    if (i >= n) return true;
  }
  if (!copyBytes(v, n)) return false;
  const b = quietBytes;
  b[n] = 32; // a space after the last byte: the last pair of an odd length, and the end of the last run
  quietAts = ats;
  // (a module variable written for every value costs: only when spent)
  if (quietDecodeBudget !== DECODE_BUDGET) quietDecodeBudget = DECODE_BUDGET;
  const w = quietPairs;
  const m = (n + 1) >> 1;
  // from byte `i` (`run` long before it): the odd one alone, then by pairs up to one to look at; after a whole
  // base64 run was read (`runEnd`), on from its end
  for (;;) {
    runEnd = -1;
    if ((i & 1) !== 0) {
      run = quietAt(v, b, n, i, run);
      if (run < 0) return false;
      i = runEnd >= 0 ? runEnd : i + 1;
      continue;
    }
    const j = nextPairEvent(w, i >> 1, m, run);
    if (j >= m) return true;
    run = quietAt(v, b, n, 2 * j, eventRun);
    if (run < 0) return false;
    if (runEnd >= 0) {
      i = runEnd;
      continue;
    }
    run = quietAt(v, b, n, 2 * j + 1, run);
    if (run < 0) return false;
    i = runEnd >= 0 ? runEnd : 2 * j + 2;
  }
}

/**
 * Every rule on a value that `quietValue` did not rule out. (A function of its own: the common path of `detect`
 * stays small, and is optimized sooner.)
 */
function detectAll(v: string, context: DetectorContext, report: (finding: Finding) => void): void {
  const u = codeUnits(v);
  const flags = unitFlags;
  // too short for a run `scanRuns` reads, and without the magic's `A`: what `nothingToFind` sees, found sooner
  if (v.length < GADGET_MIN && (flags & (F_NEEDED | F_UPPER_A)) === 0 && !context.isName && !isUploadNameField(context)) return;
  // `İ` is the only character that lower-cases to two code units (see scanRuns)
  const aligned = (flags & F_NON_ASCII) === 0 || !v.includes('\u0130');
  const magicText = (flags & F_UPPER_A) !== 0 && hasMagicText(v);
  const scan = aligned && !magicText ? scanRuns(v, u, shortestRun(v, flags)) : undefined;
  if (!context.isName && scan !== undefined && nothingToFind(scan, flags) && !isUploadNameField(context)) return;
  let best: Hit | undefined;
  const take = (hit: Hit | undefined): boolean => {
    if (hit && (!best || hit.paranoia < best.paranoia)) best = hit;
    return best !== undefined && best.paranoia === 1;
  };
  const done = (): void => {
    if (best) report({ ruleId: best.ruleId, category: 'java', paranoia: best.paranoia, score: SCORE.critical, message: best.message, matched: excerpt(v, best.at) });
  };
  // `callsAndClassNames` stands for `wordScan` when the runs show no gadget-shaped word, unless the value is dense
  // with dots or parentheses (dotScan undefined, DENSE); the dots are read first, for the class-loader check too
  const dots = scan !== undefined && scan.complete && !scan.gadgetShaped ? dotScan(v) : undefined;
  const classPath = dots !== undefined ? dots.classPath : mayHaveClassPath(v, aligned);
  if (context.isName || (classPath && v.includes('lass'))) {
    const at = classLoaderPath(v);
    if (at >= 0 && (context.isName || v.charCodeAt(at + 5) === 46 || v.charCodeAt(at + 5) === 91)) {
      if (take({ ruleId: 'java-class-loader', paranoia: 1, message: 'property path into the class loader', at })) return done();
    }
  }
  if (isUploadNameField(context)) {
    const at = jspFileName(v);
    if (at >= 0 && take({ ruleId: 'java-jsp-upload', paranoia: 1, message: 'JSP file name in an upload', at })) return done();
  }
  const complete = scan !== undefined && scan.complete;
  if (take(serialized(v, u, flags, scan, magicText))) return done();
  // base64 of gzip (`H4sI`): JSF's client-side ViewState and other compressed Java objects
  if (v.length >= 32 && v.includes('H4sI') && take(gzippedSerialized(v))) return done();
  const calls = dots !== undefined ? callsAndClassNames(v, scan!.processBuilder, dots) : DENSE;
  if (calls === DENSE) {
    const lower = lowerOf(v);
    const marker = best !== undefined || lower.includes('java') || lower.includes('runtime');
    if (take(wordScan(v, lower, marker))) return done();
  } else if (take(calls)) return done();
  const memberAccess = !complete || scan.memberAccess;
  if ((holds(v, flags, F_AT, '@') || holds(v, flags, F_BRACE, '{') || (memberAccess && lowerOf(v).includes('memberaccess'))) &&
    take(ognl(v, memberAccess))) return done();
  if (holds(v, flags, F_LT, '<') && take(xmlDecoder(lowerOf(v)))) return done();
  done();
}

export const javaDetector: Detector = {
  category: 'java',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 4) return;
    const jdbc = value.length >= 16 ? jdbcAttack(value) : -1;
    if (jdbc >= 0) {
      report({ ruleId: 'java-jdbc-attack', category: 'java', paranoia: 1, score: SCORE.critical, message: 'JDBC URL with a property that runs code or reads files', matched: excerpt(value, jdbc) });
      return;
    }
    if (quietValue(value) && !isUploadNameField(context)) return;
    detectAll(value, context, report);
  },
};

/**
 * A JDBC URL whose properties make the driver run code or read files, as a data-source form or a "test connection"
 * endpoint hands it on: H2's `INIT=RUNSCRIPT FROM 'http://...'` (and `CREATE ALIAS`, `CREATE TRIGGER`), MySQL
 * Connector/J's `autoDeserialize=true` with `queryInterceptors` or `statementInterceptors` (a gadget chain from a
 * rogue server) and `allowLoadLocalInfile`/`allowUrlInLocalInfile` (the client's files), PostgreSQL's
 * `socketFactory`/`sslfactory` (any class constructed with an argument) and `loggerFile`, DB2's JNDI reroute. The
 * offset of `jdbc:`, or -1.
 */
function jdbcAttack(v: string): number {
  let at = v.indexOf('jdbc:');
  if (at < 0) at = v.indexOf('JDBC:');
  if (at < 0) return -1;
  const url = v.slice(at, at + 4096).toLowerCase();
  const h2 = url.startsWith('jdbc:h2:') && (url.includes('init=') || url.includes('runscript') || url.includes('create alias') || url.includes('create trigger'));
  const mysql = url.includes('autodeserialize=true') || url.includes('queryinterceptors=') || url.includes('statementinterceptors=') ||
    url.includes('allowloadlocalinfile=true') || url.includes('allowurlinlocalinfile=true');
  const pg = url.startsWith('jdbc:postgresql:') && (url.includes('socketfactory=') || url.includes('sslfactory=') || url.includes('loggerfile='));
  const db2 = url.startsWith('jdbc:db2:') && url.includes('clientreroute');
  return h2 || mysql || pg || db2 ? at : -1;
}
