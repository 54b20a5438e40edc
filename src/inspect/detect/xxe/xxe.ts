/**
 * XML external entities and DTD abuse, in any value and in XML bodies (which the engine passes as text too).
 *
 * A small scanner reads the markup declarations of a DTD (`<!DOCTYPE ...>`, `<!ENTITY ...>`) rather than
 * searching for words:
 * - an entity with an external identifier (`SYSTEM "uri"`, `PUBLIC "id" "uri"`), general or parameter (`%`);
 * - a DOCTYPE that loads an external DTD, except the W3C ones of (X)HTML, SVG and MathML documents;
 * - parameter-entity references (`%name;`) in a DTD, which is how out-of-band XXE chains DTDs;
 * - internal entities that expand into several other entities (billion laughs), and entity declarations at all;
 * - XInclude (`xi:include`, the XInclude namespace) and XML Schema documents that include or import remote
 *   schemas, and `xsi:*SchemaLocation` hints used as a fetch primitive.
 * `<!DOCTYPE html>` and XML without a DTD are ordinary. UTF-7 encoded documents (`+ADw-!DOCTYPE`) are decoded
 * first, since the XML declaration may legitimately ask for that encoding.
 */

import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { BestPerRule, type RuleVerdict } from '../best-per-rule.ts';
import { CH_COLON, CH_LT, CH_PLUS, CH_SLASH } from '../../value-chars.ts';

type Verdict = RuleVerdict;

const MAX_DECLARATIONS = 4096;

/**
 * What a finding in the value needs (one pass lets most values skip the lower-case copy and the searches):
 * - `+AD`: UTF-7 encoded markup, decoded and read again;
 * - `<!`: markup declarations;
 * - the XInclude namespace (so `/2001/`), or a `:` directly followed by the `include`, `import`, `redefine`,
 *   `override`, `noNamespaceSchemaLocation` or `schemaLocation` of the tags and attributes read by `includes`, in
 *   any case (only ASCII letters lower-case to these letters; `İ` lower-cases to `i` plus a combining dot).
 */
const TRIGGER = /\+AD|<!|:[iIrRoOnNsS]|\/2001\//;

/** The parameter is an `xsi:schemaLocation` attribute handed over on its own, holding a URL (see run). */
function schemaLocationName(value: string, context: DetectorContext): boolean {
  // the 14 letters of `schemalocation` can only come from 14 characters of the name (its ASCII letters)
  return context.name.length >= 14 && context.name.toLowerCase().endsWith('schemalocation') && value.includes('://');
}

export const xxeDetector: Detector = {
  category: 'xxe',
  // `+AD`, `<!`, `:` or `/2001/` (see TRIGGER), or the `://` of a schema location
  needs: CH_PLUS | CH_LT | CH_COLON | CH_SLASH,
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 8) return;
    if (!TRIGGER.test(value) && !schemaLocationName(value, context)) return;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    run(value, context, report);
  },
};

function run(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
  const best = new BestPerRule(context.paranoia);
  const keep = (v: Verdict): void => best.keep(v);
  const texts = [value];
  if (value.includes('+AD')) {
    const decoded = decodeUtf7(value);
    if (decoded !== value) texts.push(decoded);
  }
  let text = value;
  for (const t of texts) {
    const before = best.size;
    const hasDecl = t.includes('<!');
    const lower = hasDecl || t.includes(':') ? t.toLowerCase() : '';
    if (hasDecl) declarations(t, lower, keep);
    if (lower !== '') includes(t, lower, keep);
    if (best.size > before && t !== value) text = t;
  }
  // an XML attribute handed over on its own: xsi:schemaLocation="http://..." (the extractor names it)
  const name = context.name.toLowerCase();
  if (name.endsWith('schemalocation') && value.includes('://')) {
    const tokens = value.trim().split(/\s+/).filter((t) => t !== '');
    const lone = name.endsWith('nonamespaceschemalocation') || tokens.length % 2 === 1;
    keep({ rule: 'xxe-schema-location', paranoia: lone ? 1 : 2, score: lone ? SCORE.critical : SCORE.warning,
      message: `${context.name} pointing at a remote schema`, start: 0, end: value.length });
  }
  best.flush(report, 'xxe', text);
}

// ---- DTD markup ---------------------------------------------------------------------------------------------------

interface Cursor { pos: number }

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isNameChar = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
  c === 95 || c === 45 || c === 46 || c === 58 || c > 127;

function skipSpace(s: string, c: Cursor): void {
  while (c.pos < s.length && isSpace(s.charCodeAt(c.pos))) c.pos++;
}

function readName(s: string, c: Cursor): string {
  const start = c.pos;
  while (c.pos < s.length && isNameChar(s.charCodeAt(c.pos)) && c.pos - start < 256) c.pos++;
  return s.slice(start, c.pos);
}

/** A quoted literal ('...' or "..."), or null. */
function readLiteral(s: string, c: Cursor): string | null {
  const q = s.charCodeAt(c.pos);
  if (q !== 34 && q !== 39) return null;
  const close = s.indexOf(s[c.pos]!, c.pos + 1);
  const end = close < 0 ? s.length : close;
  const lit = s.slice(c.pos + 1, end);
  c.pos = close < 0 ? s.length : close + 1;
  return lit;
}

/** `SYSTEM "uri"` or `PUBLIC "id" "uri"` at the cursor: the identifiers, or null. */
function externalId(s: string, lower: string, c: Cursor): { kind: 'SYSTEM' | 'PUBLIC'; pub: string; uri: string } | null {
  const save = c.pos;
  if (lower.startsWith('system', c.pos)) {
    c.pos += 6;
    skipSpace(s, c);
    const uri = readLiteral(s, c);
    if (uri !== null) return { kind: 'SYSTEM', pub: '', uri };
  } else if (lower.startsWith('public', c.pos)) {
    c.pos += 6;
    skipSpace(s, c);
    const pub = readLiteral(s, c);
    if (pub !== null) {
      skipSpace(s, c);
      const uri = readLiteral(s, c) ?? '';
      return { kind: 'PUBLIC', pub, uri };
    }
  }
  c.pos = save;
  return null;
}

/** W3C document types of (X)HTML, SVG and MathML: external DTDs that browsers and parsers never fetch from users. */
function isStandardDoctype(name: string, pub: string, uri: string): boolean {
  const n = name.toLowerCase();
  const u = uri.toLowerCase();
  if (n !== 'html' && n !== 'svg' && n !== 'math' && n !== 'xhtml') return false;
  if (u === '' || u === 'about:legacy-compat') return pub === '' || pub.startsWith('-//W3C//') || pub.startsWith('-//IETF//');
  return (u.startsWith('http://www.w3.org/') || u.startsWith('https://www.w3.org/')) && (pub === '' || pub.startsWith('-//W3C//'));
}

function uriScheme(uri: string): string {
  const colon = uri.indexOf(':');
  if (colon <= 0 || colon > 16) return uri.startsWith('//') ? 'network path' : 'relative';
  return uri.slice(0, colon).toLowerCase();
}

function declarations(s: string, lower: string, keep: (v: Verdict) => void): void {
  const entities = new Map<string, string>();
  let from = 0;
  let count = 0;
  // DOCTYPE internal subsets (see below): the first `]` from `subsetFrom`, and the first `%name;` from
  // `referenceFrom` before it (-1: none).
  let subsetFrom = -1;
  let subsetClose = -1;
  let referenceFrom = -1;
  let referenceAt = -1;
  while (count < MAX_DECLARATIONS) {
    const at = s.indexOf('<!', from);
    if (at < 0) break;
    from = at + 2;
    const c: Cursor = { pos: at + 2 };
    if (s.startsWith('--', c.pos)) { // a comment: skip it whole, it does not count
      const end = s.indexOf('-->', c.pos + 2);
      from = end < 0 ? s.length : end + 3;
      continue;
    }
    if (s.startsWith('[CDATA[', c.pos)) {
      const end = s.indexOf(']]>', c.pos);
      from = end < 0 ? s.length : end + 3;
      continue;
    }
    count++;
    skipSpace(s, c);
    const keyword = readName(s, c).toUpperCase();
    if (keyword === 'DOCTYPE') {
      skipSpace(s, c);
      const name = readName(s, c);
      skipSpace(s, c);
      const ext = externalId(s, lower, c);
      skipSpace(s, c);
      const subset = s.charCodeAt(c.pos) === 91; // [
      if (ext !== null && !isStandardDoctype(name, ext.pub, ext.uri)) {
        keep({ rule: 'xxe-external-dtd', paranoia: 1, score: SCORE.critical,
          message: `DOCTYPE loading an external DTD (${uriScheme(ext.uri || ext.pub)})`, start: at, end: c.pos });
      } else if (subset) {
        // The subset runs to the first `]`, and holds a parameter-entity reference when a `%name;` comes before it.
        // Both are found once for all the DOCTYPEs before that `]` (each read to the end, 64 KB of `<!DOCTYPE a[%`
        // took a second): reused while the next subset starts before what was found.
        if (!(subsetFrom >= 0 && subsetFrom <= c.pos && (subsetClose < 0 || c.pos <= subsetClose))) {
          subsetFrom = c.pos;
          subsetClose = s.indexOf(']', c.pos);
          referenceFrom = -1;
        }
        const start = c.pos + 1;
        if (!(referenceFrom >= 0 && referenceFrom <= start && (referenceAt < 0 || start <= referenceAt))) {
          referenceFrom = start;
          referenceAt = parameterReference(s, start, subsetClose < 0 ? s.length : subsetClose);
        }
        const pe = referenceAt;
        if (pe >= 0) {
          keep({ rule: 'xxe-parameter-entity', paranoia: 1, score: SCORE.critical, message: 'parameter entity reference in a DTD', start: pe, end: pe + 24 });
        }
        keep({ rule: 'xxe-doctype', paranoia: 2, score: SCORE.warning, message: 'DOCTYPE with an internal subset', start: at, end: c.pos + 1 });
      } else if (ext === null && name !== '' && name.toLowerCase() !== 'html') {
        keep({ rule: 'xxe-doctype', paranoia: 3, score: SCORE.notice, message: `DOCTYPE ${name}`, start: at, end: c.pos });
      }
      continue;
    }
    if (keyword === 'ENTITY') {
      skipSpace(s, c);
      let parameter = false;
      if (s.charCodeAt(c.pos) === 37) { parameter = true; c.pos++; skipSpace(s, c); }
      const name = readName(s, c);
      skipSpace(s, c);
      const ext = externalId(s, lower, c);
      if (ext !== null) {
        keep({ rule: 'xxe-external-entity', paranoia: 1, score: SCORE.critical,
          message: `${parameter ? 'parameter' : 'external'} entity ${name} ${ext.kind} ${uriScheme(ext.uri || ext.pub)}`, start: at, end: c.pos });
        continue;
      }
      const lit = readLiteral(s, c);
      if (lit !== null && entities.size < 64) entities.set(name, lit);
      if (lit !== null && parameter && lit.includes('<!ENTITY')) {
        keep({ rule: 'xxe-parameter-entity', paranoia: 1, score: SCORE.critical, message: 'parameter entity defining further entities', start: at, end: c.pos });
      }
      keep({ rule: 'xxe-entity-declaration', paranoia: 1, score: SCORE.critical, message: `entity declaration ${name}`, start: at, end: c.pos });
      continue;
    }
    if (keyword === 'ELEMENT' || keyword === 'ATTLIST' || keyword === 'NOTATION') {
      keep({ rule: 'xxe-doctype', paranoia: 2, score: SCORE.warning, message: `DTD ${keyword} declaration`, start: at, end: Math.min(s.length, at + 40) });
    }
  }
  // entity expansion: an entity whose value references other entities several times, nested (billion laughs)
  for (const [name, lit] of entities) {
    let refs = 0;
    let p = lit.indexOf('&');
    while (p >= 0 && refs < 100) {
      const semi = lit.indexOf(';', p);
      if (semi < 0) break;
      if (entities.has(lit.slice(p + 1, semi))) refs++;
      p = lit.indexOf('&', semi);
    }
    if (refs >= 2) {
      const at = s.indexOf(name);
      keep({ rule: 'xxe-entity-expansion', paranoia: 1, score: SCORE.critical, message: `entity ${name} expands into ${refs} entities (billion laughs)`, start: Math.max(0, at - 10), end: at + 60 });
      break;
    }
  }
}

/** Position of the first `%name;` parameter-entity reference in `s[from, to)`, or -1. */
function parameterReference(s: string, from: number, to: number): number {
  let p = s.indexOf('%', from);
  while (p >= 0 && p < to) {
    let q = p + 1;
    while (q < to && isNameChar(s.charCodeAt(q))) q++;
    if (q > p + 1 && q < to && s.charCodeAt(q) === 59) return p;
    p = s.indexOf('%', p + 1);
  }
  return -1;
}

// ---- XInclude and schema locations -----------------------------------------------------------------------------

function includes(s: string, lower: string, keep: (v: Verdict) => void): void {
  const ns = lower.indexOf('www.w3.org/2001/xinclude');
  const xi = lower.indexOf(':include');
  if (ns >= 0 || (xi >= 0 && lower.lastIndexOf('<xi', xi) >= Math.max(0, xi - 8))) {
    const at = ns >= 0 ? ns : xi;
    keep({ rule: 'xxe-xinclude', paranoia: 1, score: SCORE.critical, message: 'XInclude', start: Math.max(0, at - 20), end: at + 60 });
  }
  // XML Schema documents pulling other schemas: <xs:include schemaLocation=...>, <xs:import namespace=...>
  for (const tag of [':include', ':import', ':redefine', ':override']) {
    let p = lower.indexOf(tag);
    let guard = 0;
    while (p >= 0 && guard++ < 16) {
      const open = lower.lastIndexOf('<', p);
      const prefix = lower.slice(open + 1, p);
      if (open >= 0 && p - open <= 12 && (prefix === 'xs' || prefix === 'xsd' || prefix === 'xsl')) {
        const close = lower.indexOf('>', p);
        const tagText = lower.slice(p, close < 0 ? Math.min(lower.length, p + 400) : close);
        if (tagText.includes('://')) {
          keep({ rule: 'xxe-schema-include', paranoia: 1, score: SCORE.critical, message: `XML ${prefix}${tag} of a remote resource`, start: open, end: close < 0 ? p + 80 : close + 1 });
        }
      }
      p = lower.indexOf(tag, p + tag.length);
    }
  }
  // xsi:schemaLocation holds namespace/location pairs; a lone URL, or noNamespaceSchemaLocation, is a fetch hint.
  // Every attribute is read (up to 16 of each name): an ordinary pair first must not hide a lone URL after it.
  for (const attr of ['nonamespaceschemalocation', 'schemalocation']) {
    let p = lower.indexOf(':' + attr);
    for (let guard = 0; p >= 0 && guard < 16; guard++, p = lower.indexOf(':' + attr, p + attr.length + 1)) {
      const c: Cursor = { pos: p + attr.length + 1 };
      skipSpace(s, c);
      if (s.charCodeAt(c.pos) !== 61) continue; // =
      c.pos++;
      skipSpace(s, c);
      const lit = readLiteral(s, c);
      if (lit === null || !lit.includes('://')) continue;
      const tokens = lit.trim().split(/\s+/).filter((t) => t !== '');
      const lone = attr === 'nonamespaceschemalocation' || tokens.length % 2 === 1;
      keep({ rule: 'xxe-schema-location', paranoia: lone ? 1 : 2, score: lone ? SCORE.critical : SCORE.warning,
        message: `xsi:${attr === 'schemalocation' ? 'schemaLocation' : 'noNamespaceSchemaLocation'} pointing at a remote schema`, start: p, end: c.pos });
      if (lone) return;
    }
  }
}

// ---- UTF-7 ----------------------------------------------------------------------------------------------------------

/** The value of each base64 character (`+` and `/` included), -1 for the others. */
const B64_VALUE = new Int8Array(128).fill(-1);
for (const [k, ch] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) B64_VALUE[ch.charCodeAt(0)] = k;

/** UTF-16 code units decoded from one shifted sequence (reused: decoding is synchronous). */
let units = new Uint16Array(256);

/** The code units units[0, n) as a string, lone surrogates kept (String.fromCharCode, in slices of bounded size). */
function unitsText(n: number): string {
  let text = '';
  for (let k = 0; k < n; k += 4096) text += String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + 4096)) as unknown as number[]);
  return text;
}

/**
 * Decodes UTF-7 shifted sequences (`+ADw-` is `<`). Text outside them is kept as is. One pass: plain text is copied
 * in slices, and a sequence is decoded into a reused buffer, so a long base64 value that happens to hold `+AD` costs
 * little more than reading it.
 */
export function decodeUtf7(s: string): string {
  let out = '';
  let copied = 0; // s[copied, k) is plain text not yet in out
  let k = s.indexOf('+');
  while (k !== -1 && k < s.length) {
    if (s.charCodeAt(k + 1) === 45) { out += s.slice(copied, k) + '+'; k += 2; copied = k; k = s.indexOf('+', k); continue; }
    let j = k + 1;
    let bits = 0;
    let acc = 0;
    let n = 0;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      const v = c < 128 ? B64_VALUE[c]! : -1;
      if (v < 0) break;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        if (n === units.length) { const grown = new Uint16Array(units.length * 2); grown.set(units); units = grown; }
        units[n++] = (acc >>> bits) & 0xffff;
        acc &= (1 << bits) - 1;
      }
      j++;
    }
    if (n === 0) { k = s.indexOf('+', k + 1); continue; } // a lone `+`: plain text
    out += s.slice(copied, k) + unitsText(n);
    k = j < s.length && s.charCodeAt(j) === 45 ? j + 1 : j;
    copied = k;
    k = s.indexOf('+', k);
  }
  if (units.length > 4096) units = new Uint16Array(256); // a very long sequence does not keep its buffer
  return copied === 0 ? (out === '' ? s : out + s) : out + s.slice(copied);
}
