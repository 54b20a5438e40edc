import type { InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractProblem, type ExtractResult } from './extract-result.ts';
import { charsetOf, LATIN1, strictText, UTF8, type Charset } from './charset.ts';

/**
 * A small, strict XML 1.0 scanner that turns a document into inputs, for inspection only (nothing is resolved).
 *
 * - A DTD is an attack, never something to process: `<!DOCTYPE`, `<!ENTITY` and the other declarations are refused
 *   (`xml_dtd_forbidden`), so XXE and entity expansion cannot reach a backend through us.
 * - Only the five predefined entities and character references are decoded; any other `&name;` is undefined
 *   without a DTD, so the document is not well formed (`xml_invalid`), as are unbalanced or mismatched tags,
 *   duplicate attributes, unquoted attribute values, raw control characters, `--` inside a comment and text outside
 *   the root element. Depth and node count are bounded (`xml_too_deep`, `xml_too_many_nodes`).
 * - An `encoding` in the XML declaration must be on the charset allow-list (`unsupported_charset`), as must a BOM.
 *
 * Inputs: each element's own text (text and CDATA sections joined, as a binder reads it) at `body:xml:/a/b`, each
 * attribute value at `body:xml:/a/b/@attr`, comments at `.../#comment`, processing instructions at `.../?target`.
 * Names keep their namespace prefix (`/soap:Envelope/soap:Body`).
 */
export interface XmlOptions {
  readonly maxDepth?: number;
  readonly maxNodes?: number;
  readonly maxInputs?: number;
  /** The charset the Content-Type names, if it names one: it decides over the declaration's `encoding`. */
  readonly charset?: Charset;
  /** Location prefix; default `body:xml:`. */
  readonly prefix?: string;
}

export const DEFAULT_XML_MAX_DEPTH = 256;
export const DEFAULT_XML_MAX_NODES = 10000;

function invalid(message: string, at: number): { problem: ExtractProblem } {
  return failure('xml_invalid', `XML: ${message} at offset ${at}`);
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** XML 1.0 Char: tab, LF, CR, and from U+0020 up, minus U+FFFE and U+FFFF (surrogate pairs are allowed). */
function isBadChar(c: number): boolean {
  return c < 0x20 ? c !== 0x09 && c !== 0x0a && c !== 0x0d : c === 0xfffe || c === 0xffff;
}

function readName(text: string, i: number): number {
  if (!isNameStart(text.charCodeAt(i))) return i;
  i++;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  return i;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes references in text[start, end); a number is the offset of a bad reference or character. */
function decodeText(text: string, start: number, end: number, inAttribute: boolean): string | number {
  let out = '';
  let runStart = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26) {
      let semi = i + 1;
      const limit = Math.min(end, i + 14);
      while (semi < limit && text.charCodeAt(semi) !== 0x3b) semi++;
      if (semi >= limit) return i;
      const body = text.slice(i + 1, semi);
      let decoded: string | undefined;
      if (body.charCodeAt(0) === 0x23) {
        const hex = body.charCodeAt(1) === 0x78;
        const digits = body.slice(hex ? 2 : 1);
        if (digits.length === 0) return i;
        let code = 0;
        for (let k = 0; k < digits.length; k++) {
          const d = digits.charCodeAt(k);
          let v: number;
          if (d >= 0x30 && d <= 0x39) v = d - 0x30;
          else if (hex && d >= 0x61 && d <= 0x66) v = d - 0x57;
          else if (hex && d >= 0x41 && d <= 0x46) v = d - 0x37;
          else return i;
          code = code * (hex ? 16 : 10) + v;
        }
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || isBadChar(code)) return i;
        decoded = String.fromCodePoint(code);
      } else {
        decoded = Object.hasOwn(PREDEFINED, body) ? PREDEFINED[body] : undefined;
        if (decoded === undefined) return i;
      }
      out += text.slice(runStart, i) + decoded;
      i = semi;
      runStart = semi + 1;
    } else if (isBadChar(c) || (inAttribute && c === 0x3c)) {
      return i;
    }
  }
  return runStart === start ? text.slice(start, end) : out + text.slice(runStart, end);
}

/** The declaration's pseudo-attributes (`version`, `encoding`, `standalone`), or the offset of an error. */
function readDeclaration(text: string, end: number): Map<string, string> | number {
  const attrs = new Map<string, string>();
  let i = 5;
  for (;;) {
    const before = i;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (i >= end) return attrs;
    if (i === before) return i;
    const nameEnd = readName(text, i);
    if (nameEnd === i) return i;
    const name = text.slice(i, nameEnd);
    i = nameEnd;
    while (isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d) return i;
    i++;
    while (isSpace(text.charCodeAt(i))) i++;
    const quote = text.charCodeAt(i);
    if (quote !== 0x22 && quote !== 0x27) return i;
    const close = text.indexOf(quote === 0x22 ? '"' : "'", i + 1);
    if (close === -1 || close >= end) return i;
    if (attrs.has(name)) return i;
    attrs.set(name, text.slice(i + 1, close));
    i = close + 1;
  }
}

/**
 * An XML document's bytes as text, in the charset the Content-Type names, else the one its declaration names
 * (RFC 7303 §3), else UTF-8; a UTF-16 byte order mark, and bytes not valid in that charset, are refused. A charset
 * that is not accepted is refused when the declaration is read (extractXml).
 */
export function xmlDocumentText(body: Uint8Array, charset?: Charset): string | { problem: ExtractProblem } {
  if ((body[0] === 0xfe && body[1] === 0xff) || (body[0] === 0xff && body[1] === 0xfe)) {
    return failure('unsupported_charset', 'XML body with a UTF-16 byte order mark');
  }
  let bytes = body;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const declared = declaredEncoding(strictText(bytes.subarray(0, 200), LATIN1)!);
  const decoded = strictText(bytes, charset ?? (declared === undefined ? UTF8 : charsetOf(declared) ?? UTF8));
  return decoded ?? failure('xml_invalid', `XML: the body is not valid ${charset ?? declared ?? UTF8}`);
}

const DECLARATIONS = ['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION'];

/** Extracts the inputs of an XML document. Never throws. */
export function extractXml(body: string | Uint8Array, options: XmlOptions = {}): ExtractResult {
  const maxDepth = options.maxDepth ?? DEFAULT_XML_MAX_DEPTH;
  const maxNodes = options.maxNodes ?? DEFAULT_XML_MAX_NODES;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const prefix = options.prefix ?? 'body:xml:';

  let text: string;
  if (typeof body === 'string') text = body;
  else {
    const decoded = xmlDocumentText(body, options.charset);
    if (typeof decoded !== 'string') return decoded;
    text = decoded;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const n = text.length;
  const inputs: InspectedInput[] = [];
  const add = (name: string, location: string, value: string): boolean => {
    inputs.push({ source: 'body', name, location: prefix + location, value });
    return inputs.length <= maxInputs;
  };

  let i = 0;
  if (text.startsWith('<?xml') && (isSpace(text.charCodeAt(5)) || text.charCodeAt(5) === 0x3f)) {
    const end = text.indexOf('?>', 5);
    if (end === -1) return invalid('unterminated XML declaration', 0);
    const attrs = readDeclaration(text, end);
    if (typeof attrs === 'number') return invalid('malformed XML declaration', attrs);
    const encoding = attrs.get('encoding');
    if (encoding !== undefined && charsetOf(encoding) === undefined) {
      return failure('unsupported_charset', `XML declaration names encoding "${encoding.slice(0, 40)}"`);
    }
    i = end + 2;
  }

  const names: string[] = [];
  const paths: string[] = [];
  const texts: string[] = [];
  let nodes = 0;
  let sawRoot = false;
  const countNode = (): boolean => ++nodes <= maxNodes;

  while (i < n) {
    const lt = text.indexOf('<', i);
    const segmentEnd = lt === -1 ? n : lt;
    if (segmentEnd > i) {
      if (names.length === 0) {
        for (let k = i; k < segmentEnd; k++) {
          if (!isSpace(text.charCodeAt(k))) return invalid('text outside the root element', k);
        }
      } else {
        const decoded = decodeText(text, i, segmentEnd, false);
        if (typeof decoded === 'number') return invalid('undefined entity, bare "&" or invalid character in text', decoded);
        texts[texts.length - 1] += decoded;
      }
    }
    if (lt === -1) break;
    i = lt;
    const c1 = text.charCodeAt(i + 1);
    const here = paths.length === 0 ? '' : paths[paths.length - 1]!;
    if (c1 === 0x21) {
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('--', i + 4);
        if (end === -1) return invalid('unterminated comment', i);
        if (text.charCodeAt(end + 2) !== 0x3e) return invalid('"--" inside a comment', end);
        const comment = text.slice(i + 4, end);
        for (let k = 0; k < comment.length; k++) if (isBadChar(comment.charCodeAt(k))) return invalid('invalid character in a comment', i + 4 + k);
        if (!countNode()) return tooManyNodes(maxNodes);
        if (comment.trim() !== '' && !add('#comment', here + '/#comment', comment)) return tooManyInputs(maxInputs);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', i)) {
        if (names.length === 0) return invalid('CDATA section outside the root element', i);
        const end = text.indexOf(']]>', i + 9);
        if (end === -1) return invalid('unterminated CDATA section', i);
        const cdata = text.slice(i + 9, end);
        for (let k = 0; k < cdata.length; k++) if (isBadChar(cdata.charCodeAt(k))) return invalid('invalid character in CDATA', i + 9 + k);
        if (!countNode()) return tooManyNodes(maxNodes);
        texts[texts.length - 1] += cdata;
        i = end + 3;
        continue;
      }
      const word = text.slice(i + 2, i + 10).toUpperCase();
      for (const d of DECLARATIONS) {
        if (word.startsWith(d)) return failure('xml_dtd_forbidden', `XML: <!${d} declarations are refused (DTDs and entities are never processed)`);
      }
      return invalid('unknown markup declaration', i);
    }
    if (c1 === 0x3f) {
      const targetEnd = readName(text, i + 2);
      if (targetEnd === i + 2) return invalid('processing instruction without a target', i);
      const target = text.slice(i + 2, targetEnd);
      if (target.toLowerCase() === 'xml') return invalid('XML declaration not at the start of the document', i);
      const end = text.indexOf('?>', targetEnd);
      if (end === -1) return invalid('unterminated processing instruction', i);
      if (end > targetEnd && !isSpace(text.charCodeAt(targetEnd))) return invalid('processing instruction target not followed by a space', targetEnd);
      const data = text.slice(targetEnd, end);
      for (let k = 0; k < data.length; k++) if (isBadChar(data.charCodeAt(k))) return invalid('invalid character in a processing instruction', targetEnd + k);
      if (!countNode()) return tooManyNodes(maxNodes);
      if (!add(target, `${here}/?${target}`, target + data)) return tooManyInputs(maxInputs);
      i = end + 2;
      continue;
    }
    if (c1 === 0x2f) {
      const nameEnd = readName(text, i + 2);
      const name = text.slice(i + 2, nameEnd);
      let k = nameEnd;
      while (isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) !== 0x3e) return invalid('malformed end tag', i);
      if (names.length === 0 || names[names.length - 1] !== name) return invalid(`end tag </${name.slice(0, 40)}> does not match the open element`, i);
      const own = texts.pop()!;
      const path = paths.pop()!;
      names.pop();
      if (own.trim() !== '' && !add(name, path, own)) return tooManyInputs(maxInputs);
      i = k + 1;
      continue;
    }
    // Start tag.
    const nameEnd = readName(text, i + 1);
    if (nameEnd === i + 1) return invalid('"<" not followed by a name', i);
    if (names.length === 0 && sawRoot) return invalid('a second root element', i);
    if (names.length >= maxDepth) return failure('xml_too_deep', `XML nested deeper than ${maxDepth} elements`);
    if (!countNode()) return tooManyNodes(maxNodes);
    const name = text.slice(i + 1, nameEnd);
    const path = here + '/' + name;
    let k = nameEnd;
    let attrNames: Set<string> | undefined;
    let selfClosing = false;
    for (;;) {
      const before = k;
      while (isSpace(text.charCodeAt(k))) k++;
      const c = text.charCodeAt(k);
      if (c === 0x3e) { k++; break; }
      if (c === 0x2f) {
        if (text.charCodeAt(k + 1) !== 0x3e) return invalid('"/" not followed by ">" in a tag', k);
        selfClosing = true;
        k += 2;
        break;
      }
      if (k >= n) return invalid('unterminated start tag', i);
      if (k === before) return invalid('attributes must be separated by white space', k);
      const attrEnd = readName(text, k);
      if (attrEnd === k) return invalid('invalid character in a start tag', k);
      const attr = text.slice(k, attrEnd);
      k = attrEnd;
      while (isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) !== 0x3d) return invalid(`attribute "${attr.slice(0, 40)}" without a value`, k);
      k++;
      while (isSpace(text.charCodeAt(k))) k++;
      const quote = text.charCodeAt(k);
      if (quote !== 0x22 && quote !== 0x27) return invalid('unquoted attribute value', k);
      const close = text.indexOf(quote === 0x22 ? '"' : "'", k + 1);
      if (close === -1) return invalid('unterminated attribute value', k);
      const value = decodeText(text, k + 1, close, true);
      if (typeof value === 'number') return invalid('"<", undefined entity, bare "&" or invalid character in an attribute value', value);
      attrNames ??= new Set();
      if (attrNames.has(attr)) return invalid(`attribute "${attr.slice(0, 40)}" given twice`, k);
      attrNames.add(attr);
      if (!countNode()) return tooManyNodes(maxNodes);
      if (value !== '' && !add(attr, `${path}/@${attr}`, value)) return tooManyInputs(maxInputs);
      k = close + 1;
    }
    sawRoot = true;
    if (!selfClosing) {
      names.push(name);
      paths.push(path);
      texts.push('');
    }
    i = k;
  }
  if (names.length > 0) return invalid(`element <${names[names.length - 1]!.slice(0, 40)}> is not closed`, n);
  if (!sawRoot) return invalid('no root element', n);
  return { inputs };
}

function tooManyNodes(max: number): { problem: ExtractProblem } {
  return failure('xml_too_many_nodes', `XML document with more than ${max} nodes`);
}

/** The encoding named by an XML declaration at the start of `head`, lower-cased, if any. */
function declaredEncoding(head: string): string | undefined {
  if (!head.startsWith('<?xml')) return undefined;
  const end = head.indexOf('?>');
  if (end === -1) return undefined;
  const attrs = readDeclaration(head, end);
  return typeof attrs === 'number' ? undefined : attrs.get('encoding')?.toLowerCase();
}
