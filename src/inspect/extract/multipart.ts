import type { InspectedInput } from '../finding.ts';
import { isTchar, mediaCharset, parseContentType, type MediaType } from './content-type.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractProblem, type ExtractResult } from './extract-result.ts';
import { charsetOf, decodeText, LATIN1, strictText, strictUtf8Text, UTF8 } from './charset.ts';
import { binaryFileInputs, fileText } from './file-content.ts';
import { hexValue } from '../decode/percent.ts';

/**
 * A strict `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1.1) for a body held in memory.
 *
 * Backends disagree on malformed multipart, and every disagreement is a WAF bypass (WAFFLED; checklist E1-E5,
 * ModSecurity's MULTIPART_STRICT_ERROR flags), so anything outside the common browser/curl shape is refused:
 * - the body starts with the first delimiter (no preamble) and ends with the close delimiter plus at most one CRLF;
 * - `--boundary` at the start of a line is a delimiter: the line must end in CRLF and the delimiter be followed by
 *   CRLF or `--` (so LF-only line ends, transport padding and a boundary-prefixed line inside content are refused);
 * - part headers: CRLF lines only, no folding, no NUL or other control characters, `Name: value` with a token name,
 *   no header twice, valid UTF-8, at most `maxPartHeaderBytes`; `Content-Transfer-Encoding` is refused (RFC 7578
 *   §4.7 deprecates it, and backends that honour it would see a different value);
 * - `Content-Disposition: form-data; name="..."` is required, with `filename` optional; a parameter given twice,
 *   RFC 2231 forms other than `filename*` (`name*=`, `name*0=`), an escaped quote and a missing name are refused.
 *   `filename*=utf-8''...` (RFC 8187, which .NET and older Python clients write for names outside ASCII) is read,
 *   UTF-8 or ISO-8859-1 only, and inspected as a file name beside `filename`; a part with only `filename*` is a file
 *   to some parsers and a field to others (PHP), so its content is inspected whole, as a field's;
 * - every part's `Content-Type` is parsed strictly and its charset checked against the allow-list, as is the
 *   value of a `_charset_` field (CVE-2026-21876: checking only the last part let UTF-7 through).
 *
 * Inputs: part names (`isName`), field values (`body:multipart:NAME`), file names (`...:NAME:filename`), other part
 * header values (`...:NAME:header:content-type`), extra disposition parameters (`...:NAME:param:X`) and the whole
 * content of files whose content is text (`...:NAME:content`: never a part of it, since the rest would pass
 * uninspected; a content longer than the engine's longest value is refused there, 413); binary file content (a NUL
 * byte, or bytes that are no text in the declared or default charset) is not read as text, but the server code
 * hidden in it is, and a serialized object stream is read whole (see binaryFileInputs in file-content.ts).
 */
export interface MultipartOptions {
  readonly maxParts?: number;
  readonly maxPartHeaderBytes?: number;
  /** Whether text file contents are inputs (default true; false when only the fields are wanted). */
  readonly fileContents?: boolean;
  readonly maxInputs?: number;
  /** Location prefix; default `body:multipart:`. */
  readonly prefix?: string;
}

export const DEFAULT_MAX_PARTS = 1000;
export const DEFAULT_MAX_PART_HEADER_BYTES = 8192;

/** A malformed multipart body (also used by multipart-mixed.ts): 400 `multipart_invalid` with `detail`. */
export function bad(detail: string, message: string): { problem: ExtractProblem } {
  return failure('multipart_invalid', `multipart: ${message}`, detail);
}

/** RFC 2046 bchars: digits, letters, `'()+_,-./:=?` and space (not last). */
function isBchar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
    code === 0x27 || code === 0x28 || code === 0x29 || code === 0x2b || code === 0x5f || code === 0x2c ||
    code === 0x2d || code === 0x2e || code === 0x2f || code === 0x3a || code === 0x3d || code === 0x3f || code === 0x20;
}

/** The boundary of a multipart media type, or the problem with it. */
export function multipartBoundary(media: MediaType): string | { problem: ExtractProblem } {
  const boundary = media.params.get('boundary');
  if (boundary === undefined) return bad('missing_boundary', 'no boundary parameter in Content-Type');
  if (boundary.length < 1 || boundary.length > 70) return bad('invalid_boundary', 'the boundary must be 1 to 70 characters');
  for (let i = 0; i < boundary.length; i++) {
    if (!isBchar(boundary.charCodeAt(i))) return bad('invalid_boundary', 'invalid character in the boundary');
  }
  if (boundary.endsWith(' ')) return bad('invalid_boundary', 'the boundary ends with a space');
  return boundary;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

export interface PartHeader { readonly name: string; readonly value: string }

/** Splits a part's header block (without its final empty line) into fields, or returns the problem. */
export function parseHeaderBlock(block: Uint8Array): PartHeader[] | { problem: ExtractProblem } {
  // Bytes first: CRLF line ends only, no control characters, no folding.
  const n = block.length;
  if (n === 0) return bad('missing_disposition', 'a part without headers (no Content-Disposition)');
  for (let i = 0; i < n; i++) {
    const b = block[i]!;
    if (b >= 0x20 && b !== 0x7f) continue;
    if (b === 0x0d) {
      if (block[i + 1] !== 0x0a) return bad('bare_cr', 'CR not followed by LF in part headers');
      const next = block[i + 2];
      if (next === 0x20 || next === 0x09) return bad('folded_header', 'folded (obs-fold) part header');
      i++;
      continue;
    }
    if (b === 0x09) continue;
    if (b === 0x0a) return bad('bare_lf', 'LF without CR in part headers');
    if (b === 0x00) return bad('nul_in_header', 'NUL byte in part headers');
    return bad('ctl_in_header', 'control character in part headers');
  }
  if (block[0] === 0x20 || block[0] === 0x09) return bad('folded_header', 'part headers start with white space');
  const text = strictUtf8Text(block);
  if (text === undefined) return bad('invalid_utf8_in_header', 'part headers are not valid UTF-8');

  const headers: PartHeader[] = [];
  const seen = new Set<string>();
  let lineStart = 0;
  const end = text.length;
  while (lineStart <= end) {
    let lineEnd = text.indexOf('\r\n', lineStart);
    if (lineEnd === -1) lineEnd = end;
    let colon = lineStart;
    while (colon < lineEnd && isTchar(text.charCodeAt(colon))) colon++;
    if (colon === lineStart || colon === lineEnd || text.charCodeAt(colon) !== 0x3a) {
      return bad('invalid_header', 'part header line is not "Name: value" with a token name');
    }
    let valueStart = colon + 1;
    let valueEnd = lineEnd;
    while (valueStart < valueEnd && isOws(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isOws(text.charCodeAt(valueEnd - 1))) valueEnd--;
    const name = text.slice(lineStart, colon).toLowerCase();
    if (seen.has(name)) return bad('duplicate_header', `part header "${name}" given twice`);
    seen.add(name);
    headers.push({ name, value: text.slice(valueStart, valueEnd) });
    lineStart = lineEnd + 2;
  }
  return headers;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

interface Disposition {
  readonly name: string;
  readonly filename: string | undefined;
  /** The decoded `filename*` (RFC 8187). */
  readonly filenameStar: string | undefined;
  readonly extra: [string, string][];
}

/**
 * An RFC 8187 ext-value (`utf-8'ko'%ED%95%9C.txt`) decoded, or undefined when it is malformed, names another charset
 * than UTF-8 or ISO-8859-1, or is not valid in it.
 */
function extValue(value: string): string | undefined {
  const first = value.indexOf("'");
  const second = first === -1 ? -1 : value.indexOf("'", first + 1);
  if (second === -1) return undefined;
  const charset = value.slice(0, first).toLowerCase();
  if (charset !== 'utf-8' && charset !== 'iso-8859-1') return undefined;
  const bytes: number[] = [];
  for (let i = second + 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hi < 0 ? -1 : hexValue(value.charCodeAt(i + 2));
      if (lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c === 0x27) return undefined;
    else bytes.push(c);
  }
  return strictText(Uint8Array.from(bytes), charset === 'utf-8' ? UTF8 : LATIN1);
}

/** `form-data; name="x"; filename="y"` (RFC 7578 §4.2, RFC 6266 grammar). */
function parseDisposition(value: string): Disposition | { problem: ExtractProblem } {
  const n = value.length;
  let i = 0;
  while (i < n && isTchar(value.charCodeAt(i))) i++;
  if (value.slice(0, i).toLowerCase() !== 'form-data') return bad('not_form_data', 'Content-Disposition type is not form-data');
  const params = new Map<string, string>();
  for (;;) {
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    if (i === n) break;
    if (value.charCodeAt(i) !== 0x3b) return bad('invalid_disposition', 'unexpected character in Content-Disposition');
    i++;
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
    const nameStart = i;
    while (i < n && isTchar(value.charCodeAt(i))) i++;
    if (i === nameStart) return bad('invalid_disposition', 'empty or invalid Content-Disposition parameter');
    const paramName = value.slice(nameStart, i).toLowerCase();
    if (paramName.includes('*') && paramName !== 'filename*') return bad('rfc2231_parameter', `RFC 2231/5987 parameter "${paramName}" in Content-Disposition`);
    if (value.charCodeAt(i) !== 0x3d) return bad('invalid_disposition', `Content-Disposition parameter "${paramName}" has no "=" directly after its name`);
    i++;
    let paramValue: string;
    if (value.charCodeAt(i) === 0x22) {
      if (paramName === 'filename*') return bad('rfc2231_parameter', 'a quoted filename* (RFC 8187 has no quotes)');
      const close = value.indexOf('"', i + 1);
      if (close === -1) return bad('unterminated_quote', 'unterminated quoted value in Content-Disposition');
      if (value.charCodeAt(close - 1) === 0x5c) return bad('escaped_quote', 'backslash-escaped quote in Content-Disposition (parsers disagree on it)');
      paramValue = value.slice(i + 1, close);
      i = close + 1;
    } else {
      const valueStart = i;
      while (i < n && isTchar(value.charCodeAt(i))) i++;
      if (i === valueStart) return bad('invalid_disposition', `empty or invalid value for Content-Disposition parameter "${paramName}"`);
      paramValue = value.slice(valueStart, i);
    }
    if (params.has(paramName)) return bad('duplicate_parameter', `Content-Disposition parameter "${paramName}" given twice`);
    params.set(paramName, paramValue);
  }
  const name = params.get('name');
  if (name === undefined) return bad('missing_name', 'Content-Disposition without a name');
  const star = params.get('filename*');
  const filenameStar = star === undefined ? undefined : extValue(star);
  if (star !== undefined && filenameStar === undefined) {
    return bad('rfc2231_parameter', 'filename* that is no UTF-8 or ISO-8859-1 ext-value (RFC 8187)');
  }
  const extra: [string, string][] = [];
  for (const [k, v] of params) if (k !== 'name' && k !== 'filename' && k !== 'filename*') extra.push([k, v]);
  return { name, filename: params.get('filename'), filenameStar, extra };
}

/** A part of a multipart body: its header fields (names lower case) and its content. */
export interface RawPart {
  readonly headers: readonly PartHeader[];
  readonly content: Buffer;
}

/**
 * The parts of a multipart body (RFC 2046 §5.1.1), read as strictly as the form-data parser describes above
 * (no preamble or epilogue, CRLF lines, delimiters at line starts, header blocks of `Name: value` lines), or the
 * problem. `headerless`: a part may have no header fields (not in form-data, where each part names its field).
 * Never throws.
 */
export function readParts(body: Uint8Array, boundary: string, maxParts = DEFAULT_MAX_PARTS, maxHeader = DEFAULT_MAX_PART_HEADER_BYTES, headerless = false): RawPart[] | { problem: ExtractProblem } {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dash = Buffer.from('--' + boundary, 'latin1');
  const n = bytes.length;
  const parts: RawPart[] = [];
  const first = bytes.indexOf(dash);
  if (first === -1) return bad('no_boundary', 'the boundary does not occur in the body');
  if (first !== 0) return bad('preamble', 'data before the first boundary');
  let pos = dash.length;
  for (;;) {
    // At the end of a delimiter: CRLF starts a part, `--` closes the body.
    const b0 = bytes[pos];
    const b1 = bytes[pos + 1];
    if (b0 === 0x2d && b1 === 0x2d) {
      const rest = n - (pos + 2);
      if (rest === 0 || (rest === 2 && bytes[pos + 2] === 0x0d && bytes[pos + 3] === 0x0a)) return parts;
      return bad('epilogue', 'data after the closing boundary');
    }
    if (b0 !== 0x0d || b1 !== 0x0a) {
      if (pos >= n) return bad('missing_closing_boundary', 'the body ends without a closing boundary');
      return bad('boundary_not_followed_by_crlf', 'a boundary is followed by something other than CRLF or "--"');
    }
    if (parts.length >= maxParts) return bad('too_many_parts', `more than ${maxParts} parts`);
    const partStart = pos + 2;
    // The next delimiter: `--boundary` at the start of a CRLF line. Mid-line it is content; after a bare LF or CR
    // it is refused, since parsers that accept LF-only line ends would split the part there.
    let next = bytes.indexOf(dash, partStart);
    for (;;) {
      if (next === -1) return bad('missing_closing_boundary', 'the body ends without a closing boundary');
      const before = next > partStart ? bytes[next - 1] : -1;
      if (before === 0x0a && next - 2 >= partStart && bytes[next - 2] === 0x0d) break;
      if (before === 0x0a || before === 0x0d || next === partStart) {
        return bad('boundary_without_crlf', 'a boundary at the start of a line not ended by CRLF (LF-only or bare CR line ends)');
      }
      next = bytes.indexOf(dash, next + 1);
    }
    const partEnd = next - 2;
    // (RFC 2046 §5.1.1: a part may have no header fields, an empty line at once: text/plain in US-ASCII)
    if (headerless && bytes[partStart] === 0x0d && bytes[partStart + 1] === 0x0a) {
      parts.push({ headers: [], content: bytes.subarray(Math.min(partStart + 2, partEnd), partEnd) });
      pos = next + dash.length;
      continue;
    }

    // Header block: up to the first empty line, within maxHeader bytes.
    const searchEnd = Math.min(partEnd, partStart + maxHeader + 4);
    const hdrAt = bytes.subarray(partStart, searchEnd).indexOf(CRLF_CRLF);
    if (hdrAt === -1) {
      if (bytes[partStart] === 0x0d && bytes[partStart + 1] === 0x0a) return bad('missing_disposition', 'a part without headers (no Content-Disposition)');
      if (partEnd - partStart > maxHeader) return bad('header_block_too_large', `part headers longer than ${maxHeader} bytes`);
      return bad('missing_header_terminator', 'part headers are not followed by an empty line');
    }
    if (hdrAt > maxHeader) return bad('header_block_too_large', `part headers longer than ${maxHeader} bytes`);
    const headers = parseHeaderBlock(bytes.subarray(partStart, partStart + hdrAt));
    if (!Array.isArray(headers)) return headers;
    parts.push({ headers, content: bytes.subarray(partStart + hdrAt + 4, partEnd) });
    pos = next + dash.length;
  }
}

/** Extracts the inputs of a multipart/form-data body. `media` is its parsed Content-Type. Never throws. */
export function extractMultipart(body: Uint8Array, media: MediaType, options: MultipartOptions = {}): ExtractResult {
  const boundary = multipartBoundary(media);
  if (typeof boundary !== 'string') return boundary;
  const fileContents = options.fileContents ?? true;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const prefix = options.prefix ?? 'body:multipart:';
  const read = readParts(body, boundary, options.maxParts, options.maxPartHeaderBytes);
  if (!Array.isArray(read)) return read;
  const inputs: InspectedInput[] = [];
  const add = (input: InspectedInput): boolean => { inputs.push(input); return inputs.length <= maxInputs; };
  let parts = 0;
  for (const { headers, content } of read) {
    parts++;
    let dispositionValue: string | undefined;
    let partMedia: MediaType | undefined;
    for (const h of headers) {
      if (h.name === 'content-disposition') dispositionValue = h.value;
      else if (h.name === 'content-transfer-encoding') {
        // the identity encodings change no byte (Apache HttpClient 4's multipart writes `8bit` or `binary` on every
        // part); base64 and quoted-printable do, and backends disagree on decoding them
        const cte = h.value.toLowerCase();
        if (cte !== '7bit' && cte !== '8bit' && cte !== 'binary') return bad('content_transfer_encoding', 'Content-Transfer-Encoding other than 7bit, 8bit or binary in a part (RFC 7578 §4.7)');
      }
      else if (h.name === 'content-type') {
        const parsed = parseContentType(h.value);
        if ('problem' in parsed) {
          if (parsed.problem.reason === 'unsupported_charset') {
            return failure('unsupported_charset', `multipart part ${parts}: ${parsed.problem.message}`, 'part_charset');
          }
          return bad('invalid_part_content_type', `part ${parts}: ${parsed.problem.message}`);
        }
        partMedia = parsed;
      }
    }
    if (dispositionValue === undefined) return bad('missing_disposition', 'a part without Content-Disposition');
    const disposition = parseDisposition(dispositionValue);
    if ('problem' in disposition) return disposition;
    const { name, filename, filenameStar } = disposition;
    const location = prefix + name;
    const charset = mediaCharset(partMedia);

    if (name !== '' && !add({ source: 'body', name, location, value: name, isName: true })) return tooManyInputs(maxInputs);
    for (const h of headers) {
      if (h.name === 'content-disposition' || h.value === '') continue;
      if (!add({ source: 'body', name, location: `${location}:header:${h.name}`, value: h.value })) return tooManyInputs(maxInputs);
    }
    for (const [k, v] of disposition.extra) {
      if (v !== '' && !add({ source: 'body', name, location: `${location}:param:${k}`, value: v })) return tooManyInputs(maxInputs);
    }
    // File names are named `filename` (not the part's name), so that detectors can tell an upload's name from a field.
    if (filenameStar !== undefined && filenameStar !== '' && !add({ source: 'body', name: 'filename', location: `${location}:filename*`, value: filenameStar })) {
      return tooManyInputs(maxInputs);
    }
    if (filename !== undefined) {
      if (filename !== '' && !add({ source: 'body', name: 'filename', location: `${location}:filename`, value: filename })) return tooManyInputs(maxInputs);
      const text = content.length === 0 || !fileContents ? undefined : fileText(content, partMedia, charset);
      // (a file's content has no field name: the part's name, `file` or `url`, says nothing about the text in it)
      if (text !== undefined && text !== '' && !add({ source: 'body', name: '', location: `${location}:content`, value: text })) {
        return tooManyInputs(maxInputs);
      }
      // a binary file is not read as text, but server code hidden in it is (an image that is also a web shell), and
      // a serialized object stream is read whole
      if (text === undefined && fileContents) {
        for (const island of binaryFileInputs(content)) {
          if (!add({ source: 'body', name: '', location: `${location}:content`, value: island })) return tooManyInputs(maxInputs);
        }
      }
    } else {
      // a field, or a part with only `filename*`, which parsers that do not read it (PHP) take for a field
      const value = decodeText(content, charset);
      if (name === '_charset_' && charsetOf(value) === undefined) {
        return failure('unsupported_charset', `multipart _charset_ field names charset "${value.slice(0, 40)}"`, 'charset_field');
      }
      if (value !== '' && !add({ source: 'body', name, location, value })) return tooManyInputs(maxInputs);
    }
  }
  return { inputs };
}
