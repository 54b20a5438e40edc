import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';

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
/** First letters of the gadget names (a cheap filter before a word is looked up). */
const GADGET_FIRST = new Set<number>();

/** Gadget names that are also ordinary words in other contexts: only counted next to another Java marker. */
const WEAK_GADGETS = new Set(['eventhandler', 'lazymap']);
for (const g of GADGETS) GADGET_FIRST.add(g.charCodeAt(0));


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

// ---------------------------------------------------------------- serialized objects

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64[45] = 62; // - (URL-safe)
B64[95] = 63; // _

function isB64(c: number): boolean {
  return c < 128 && B64[c]! >= 0;
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

/** Hexadecimal (ids, hashes): not base64 text worth decoding. */
function isHexRun(v: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = v.charCodeAt(k) | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Base64 runs: the serialization magic at their start (any alignment), gadget names in their decoding. */
function base64Runs(v: string): Hit | undefined {
  let weak: Hit | undefined;
  // AC ED 00 05 encodes to `rO0AB`, `?ztAA` or `??s7QAF` depending on the alignment: without one of these
  // substrings there is no base64 serialization magic to look for.
  const magicText = v.includes('rO0AB') || v.includes('ztAA') || v.includes('s7QAF');
  let decodedBudget = 64 * 1024;
  for (let i = 0; i < v.length;) {
    if (!isB64(v.charCodeAt(i))) { i++; continue; }
    const start = i;
    let upper = 0;
    let digit = 0;
    while (i < v.length && isB64(v.charCodeAt(i))) {
      const c = v.charCodeAt(i);
      if (c >= 65 && c <= 90) upper++;
      else if (c >= 48 && c <= 57) digit++;
      i++;
    }
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
    // Gadget and class names inside base64 at a shifted alignment (the aligned decoding is the engine's job).
    if (len >= 10 && (upper > 1 || digit > 0) && decodedBudget > 0 && weak === undefined && !isHexRun(v, start, i)) {
      for (let pad = 0; pad < 4 && weak === undefined; pad++) {
        const text = Buffer.from('A'.repeat(pad) + v.slice(start, start + Math.min(len, 8192)), 'base64').toString('latin1').toLowerCase();
        decodedBudget -= text.length;
        for (const g of GADGET_TEXT) {
          if (text.includes(g)) return { ruleId: 'java-base64-gadget', paranoia: 1, message: `base64 text naming ${g}`, at: start };
        }
        if (!weak && (text.includes('runtime') || text.includes('java.'))) {
          weak = { ruleId: 'java-base64-gadget', paranoia: 3, message: 'base64 text naming a Java runtime class', at: start };
        }
      }
    }
  }
  return weak;
}

function serialized(v: string, lower: string): Hit | undefined {
  const hex = lower.indexOf('aced0005');
  if (hex >= 0) {
    return { ruleId: 'java-serialized-object', paranoia: 1, message: 'hex-encoded Java serialized object', at: hex };
  }
  const esc = lower.indexOf('\\xac\\xed\\x00\\x05');
  if (esc >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'escaped Java serialized object', at: esc };
  const raw = v.indexOf('\u00ac\u00ed\u0000\u0005');
  if (raw >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'Java serialized object', at: raw };
  const bad = v.indexOf('\ufffd\ufffd\u0000\u0005');
  if (bad >= 0) return { ruleId: 'java-serialized-object', paranoia: 1, message: 'Java serialized object (magic bytes)', at: bad };
  return base64Runs(v);
}

// ---------------------------------------------------------------- class names

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

/** `at pkg.Class.method(File.java:12)` / `(Native Method)` / `(Unknown Source)`. */
function isStackFrame(v: string, start: number, end: number): boolean {
  let b = start - 1;
  while (b >= 0 && (v.charCodeAt(b) === 32 || v.charCodeAt(b) === 9)) b--;
  if (b < 1 || v.slice(b - 1, b + 1) !== 'at' || (b >= 2 && isIdent(v.charCodeAt(b - 2)))) return false;
  if (v.charCodeAt(end) !== 40) return false;
  const close = v.indexOf(')', end);
  if (close < 0 || close - end > 120) return false;
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
  if (isStackFrame(v, i, end) || last.endsWith('exception') || last.endsWith('error')) return { hit: undefined, end };
  // a package name with no class (`java.lang`, `org.apache.commons`) counts like a class reference
  let critical = false;
  for (const p of CRITICAL_PREFIXES) {
    if (name.startsWith(p) || (p.endsWith('.') && name === p.slice(0, -1))) { critical = true; break; }
  }
  if (!critical && (root === 'java' || root === 'javax' || root === 'jdk' || root === 'sun')) {
    for (let k = 1; k < segments.length; k++) if (DANGER_SEGMENTS.has(segments[k]!)) critical = true;
  }
  const message = `reference to Java class ${v.slice(i, Math.min(end, i + 80))}`;
  if (critical) return { hit: { ruleId: 'java-class-reference', paranoia: 1, message, at: i }, end };
  if (segments.length >= 3) {
    for (const p of SUSPECT_PREFIXES) if (name.startsWith(p)) return { hit: { ruleId: 'java-class-reference', paranoia: 2, message, at: i }, end };
  }
  return { hit: undefined, end };
}

/**
 * One pass over the words of the value: fully qualified class names, gadget class names (alone or as a segment of
 * a dotted name) and reflection calls (`getMethod(`, `.invoke(`, `new ProcessBuilder(`).
 */
function wordScan(v: string, lower: string, hasJavaMarker: boolean): Hit | undefined {
  const n = v.length;
  let weak: Hit | undefined;
  let reflections = 0;
  let seen = '';
  let sink = false;
  let strong = false;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (!isAlpha(c) || (i > 0 && isIdent(v.charCodeAt(i - 1)))) continue;
    let j = i;
    while (j < n && isIdent(v.charCodeAt(j))) j++;
    const len = j - i;
    const lc = lower.charCodeAt(i);
    const next = v.charCodeAt(j);
    // qualified class names start at a root word not preceded by a dot
    if (next === 46 && len <= 12 && ROOT_FIRST.has(lc) && (i === 0 || v.charCodeAt(i - 1) !== 46)) {
      const root = lower.slice(i, j);
      if (ROOTS.has(root)) {
        const r = className(v, lower, i, root);
        if (r.hit && r.hit.paranoia === 1) return r.hit;
        if (r.hit && !weak) weak = r.hit;
      }
    }
    if (len >= 7 && len <= 40 && GADGET_FIRST.has(lc)) {
      const w = lower.slice(i, j);
      if (GADGETS.has(w) && (!WEAK_GADGETS.has(w) || hasJavaMarker)) {
        return { ruleId: 'java-gadget-class', paranoia: 1, message: `Java deserialization gadget class ${v.slice(i, j)}`, at: i };
      }
    }
    if (len >= 3 && len <= 32) {
      const k = next === 40 ? j : skipSpace(v, j);
      const call = v.charCodeAt(k) === 40;
      if (call) {
        const w = lower.slice(i, j);
        if (REFLECTION_CALLS.has(w)) {
          if (!seen.includes(w + ' ')) { seen += w + ' '; reflections++; }
          if (w === 'getruntime' || w === 'getenginebyname' || w === 'defineclass') strong = true;
          if (first < 0) first = i;
        } else if (SINK_CALLS.has(w) && i > 0 && v.charCodeAt(i - 1) === 46) {
          sink = true;
        }
      } else if (len === 3 && lc === 110 && lower.startsWith('new', i) && lower.startsWith('processbuilder', k)) {
        strong = true;
        if (first < 0) first = i;
      }
    }
    i = j - 1;
  }
  if (strong || reflections >= 2 || (reflections === 1 && sink)) {
    return { ruleId: 'java-reflection', paranoia: 1, message: 'Java reflection / process execution chain', at: first };
  }
  if (weak) return weak;
  if (reflections === 1) return { ruleId: 'java-reflection', paranoia: 3, message: 'Java reflection call', at: first };
  return undefined;
}

// ---------------------------------------------------------------- OGNL, class loader, reflection, XML

function ognl(v: string, lower: string): Hit | undefined {
  const ma = lower.indexOf('memberaccess');
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
    const end = dottedEnd(v, at + 1);
    if (end - at > 3 && v.charCodeAt(end) === 64 && v.slice(at + 1, end).includes('.') && isAlpha(v.charCodeAt(end + 1))) {
      return { ruleId: 'java-ognl', paranoia: 1, message: 'OGNL static member access', at };
    }
    from = Math.max(from, end);
  }
  // %{ ... #var / (#x= ... } and ${(#...)}
  for (const open of ['%{', '${']) {
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
        const word = lower.slice(k + 1, e);
        if (['context', 'attr', 'request', 'session', 'application', 'parameters', '_memberaccess', 'cmd', 'ognlutil', 'container', 'dm', 'ct'].includes(word) || v.charCodeAt(e) === 61) {
          return { ruleId: 'java-ognl', paranoia: 1, message: `OGNL expression ${open}#${word}`, at };
        }
      }
    }
  }
  return undefined;
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

function isFileNameField(context: DetectorContext): boolean {
  const n = context.name.toLowerCase().replace(/[-_.\s]/g, '');
  return n.includes('filename') || n === 'file' && context.source === 'header';
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

export const javaDetector: Detector = {
  category: 'java',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 4) return;
    const v = value;
    const lower = v.toLowerCase();
    let best: Hit | undefined;
    const take = (hit: Hit | undefined): boolean => {
      if (hit && (!best || hit.paranoia < best.paranoia)) best = hit;
      return best !== undefined && best.paranoia === 1;
    };
    const done = (): void => {
      if (best) report({ ruleId: best.ruleId, category: 'java', paranoia: best.paranoia, score: SCORE.critical, message: best.message, matched: excerpt(v, best.at) });
    };
    if (context.isName || v.includes('lass')) {
      const at = classLoaderPath(v);
      if (at >= 0 && (context.isName || v.charCodeAt(at + 5) === 46 || v.charCodeAt(at + 5) === 91)) {
        if (take({ ruleId: 'java-class-loader', paranoia: 1, message: 'property path into the class loader', at })) return done();
      }
    }
    if (isFileNameField(context)) {
      const at = jspFileName(v);
      if (at >= 0 && take({ ruleId: 'java-jsp-upload', paranoia: 1, message: 'JSP file name in an upload', at })) return done();
    }
    if (take(serialized(v, lower))) return done();
    const marker = best !== undefined || lower.includes('java') || lower.includes('runtime');
    if (take(wordScan(v, lower, marker))) return done();
    if ((v.includes('@') || v.includes('{') || lower.includes('memberaccess')) && take(ognl(v, lower))) return done();
    if (v.includes('<') && take(xmlDecoder(lower))) return done();
    done();
  },
};
