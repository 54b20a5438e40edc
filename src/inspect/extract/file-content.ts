import { isZip, zipXmlDeclarations } from './zip-xml.ts';
import type { MediaType } from './content-type.ts';
import type { InspectedInput } from '../finding.ts';
import type { ExtractResult } from './extract-result.ts';
import { extractJson } from './json.ts';
import { decodeText, LATIN1, strictUtf8Text, UTF8, type Charset } from './charset.ts';

/**
 * The content of a file: a part of a multipart upload with a file name, or a whole request body whose media type is
 * a file's (`PUT /avatar` with `image/png`, an `application/octet-stream` upload, a PDF or a zip archive).
 *
 * A file whose bytes are text (valid UTF-8 without NUL bytes, or in its declared charset) is one input of its whole
 * content, never a part of it; a longer content than the engine's longest value is refused there with 413. A binary
 * file is not read as text, since a detector would only find noise in compressed bytes, but the server code hidden in
 * it is (see serverCodeIslands): the polyglot image that a server configured to run it, or an include of it, runs;
 * and a serialized object stream (Java, pickle, BinaryFormatter) is read whole (see isSerializedStream).
 */

/** Top-level types whose every subtype is a file (images, sound, video, fonts, 3D models). */
const FILE_TYPES: ReadonlySet<string> = new Set(['image', 'audio', 'video', 'font', 'model']);
/**
 * `application/` subtypes that are files: raw bytes (and a tus upload's chunks, `offset+octet-stream`), documents,
 * archives (HWP and HWPX: Korean office documents).
 */
const FILE_SUBTYPES: ReadonlySet<string> = new Set([
  'octet-stream', 'offset+octet-stream', 'pdf', 'rtf', 'postscript', 'msword', 'vnd.ms-excel', 'vnd.ms-powerpoint', 'vnd.visio',
  'zip', 'x-zip-compressed', 'gzip', 'x-gzip', 'x-tar', 'x-bzip2', 'x-xz', 'zstd', 'x-7z-compressed', 'vnd.rar',
  'x-rar-compressed', 'x-hwp', 'haansofthwp', 'vnd.hancom.hwp', 'vnd.hancom.hwpx', 'wasm', 'java-archive', 'x-java-archive',
  'vnd.android.package-archive', 'x-msdownload', 'x-sqlite3', 'vnd.sqlite3',
]);
/** `application/` subtype families of office documents (`vnd.openxmlformats-officedocument.spreadsheetml.sheet`...). */
const FILE_SUBTYPE_PREFIXES: readonly string[] = ['vnd.openxmlformats-officedocument.', 'vnd.oasis.opendocument.', 'vnd.ms-excel.', 'vnd.ms-word.', 'vnd.ms-powerpoint.'];

/**
 * Whether a media type is a file's. Call it after the XML and JSON suffixes are decided (`image/svg+xml` is XML);
 * structured binary formats that a backend parses into fields (protobuf, MessagePack, CBOR) are not files: their
 * strings would pass unread, so they stay refused unless a policy forwards them uninspected.
 */
export function isFileMediaType(media: MediaType): boolean {
  if (FILE_TYPES.has(media.type)) return true;
  // (`binary/octet-stream`: no registered type, but what S3 and some SDKs label raw bytes with)
  if (media.type === 'binary' && media.subtype === 'octet-stream') return true;
  if (media.type !== 'application') return false;
  const subtype = media.subtype;
  return FILE_SUBTYPES.has(subtype) || subtype.endsWith('+zip') || FILE_SUBTYPE_PREFIXES.some((prefix) => subtype.startsWith(prefix));
}

/**
 * The inputs of a request body that is a file: its whole text at `body` when it is text, else the islands of server
 * code in its bytes. Text sent as `application/octet-stream` may be read as JSON by a backend that parses every body
 * (`json.Decoder` on the raw body, `express.json({ type: '*\/*' })`): such text is walked as JSON too when it parses.
 */
export function extractFile(body: Uint8Array, media: MediaType, charset: Charset, maxInputs?: number): ExtractResult {
  if (body.length === 0) return { inputs: [] };
  const text = fileText(body, media, charset);
  if (text === undefined) return { inputs: binaryFileInputs(body).map((value) => ({ source: 'body', name: '', location: 'body', value })) };
  if (text === '') return { inputs: [] };
  const inputs: InspectedInput[] = [{ source: 'body', name: '', location: 'body', value: text }];
  const first = text.trimStart().charCodeAt(0);
  if (first === 0x7b || first === 0x5b) {
    const json = extractJson(text, { scalars: false, ...(maxInputs === undefined ? {} : { maxInputs }) });
    if ('inputs' in json) for (const input of json.inputs) inputs.push(input);
  }
  return { inputs };
}

/**
 * What is inspected of a binary file: the whole of a serialized object stream (read as Latin-1: a longer one than
 * the engine's longest value is refused there with 413), else the islands of server code hidden in it and, in a ZIP
 * container, the DOCTYPEs of its XML parts.
 */
export function binaryFileInputs(content: Uint8Array): string[] {
  if (isSerializedStream(content)) return [Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1')];
  const islands = serverCodeIslands(content);
  // an office document, EPUB or JAR: the DOCTYPE or XInclude of an XML part inside (see zip-xml.ts)
  return isZip(content) ? [...islands, ...zipXmlDeclarations(content)] : islands;
}

/** Content types whose files are inspected as text even when they are not valid UTF-8 (as Latin-1). */
function declaredText(media: MediaType | undefined): boolean {
  if (media === undefined) return false;
  const { type, subtype } = media;
  return type === 'text' || subtype.endsWith('+xml') || subtype.endsWith('+json') || subtype === 'xml' ||
    subtype === 'json' || subtype === 'javascript' || subtype === 'x-javascript' || subtype === 'x-httpd-php' ||
    subtype === 'x-php' || subtype === 'x-sh' || subtype === 'x-www-form-urlencoded';
}

/** At most this many islands of server code are taken from one binary file, each at most MAX_ISLAND bytes. */
const MAX_ISLANDS = 4;
const MAX_ISLAND = 8192;
/** Printable bytes that must follow `<?=` for it to start an island (3 bytes alone occur in random data). */
const SHORT_TAG_TEXT = 12;

/**
 * Server code inside a binary file: the polyglot web shell, an image (`GIF89a...`, a JPEG comment) that a server
 * configured to run it, or an include of it, runs as PHP or JSP. Each island starts at `<?php` or `<%@ page` (ASCII
 * case-insensitive; markers of five bytes and more, which the random bytes of images and archives hold about once
 * in a hundred gigabytes), or at PHP's short echo tag `<?=` followed by SHORT_TAG_TEXT printable bytes. It runs to
 * the PHP closing tag `?>` or for MAX_ISLAND bytes, whatever bytes come between (PHP reads a comment or a string
 * with a NUL or another control byte in it as well), and is read as Latin-1 with control bytes as blanks, so that
 * `<?php /*\x01*\/ system($_GET[1]);` reads as the code it is. One pass over the `<` bytes.
 */
export function serverCodeIslands(content: Uint8Array): string[] {
  const islands: string[] = [];
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (let at = buffer.indexOf(60); at !== -1 && islands.length < MAX_ISLANDS; at = buffer.indexOf(60, at + 1)) {
    const php = startsWithFolded(buffer, at + 1, '?php') || (startsWithFolded(buffer, at + 1, '?=') && printableRun(buffer, at + 3, SHORT_TAG_TEXT));
    if (!php && !(startsWithFolded(buffer, at + 1, '%@') && pageAfter(buffer, at + 3))) continue;
    const limit = Math.min(buffer.length, at + MAX_ISLAND);
    let end = limit;
    if (php) {
      const close = buffer.indexOf('?>', at + 2, 'latin1');
      if (close !== -1 && close + 2 < limit) end = close + 2;
    }
    islands.push(latin1WithBlanks(buffer, at, end));
    at = end - 1;
  }
  return islands;
}

/** Bytes `from`..`to` as Latin-1, control bytes (but tab and line breaks) read as blanks. */
function latin1WithBlanks(buffer: Buffer, from: number, to: number): string {
  let text = '';
  let run = from;
  for (let k = from; k < to; k++) {
    if (!isControlByte(buffer[k]!)) continue;
    text += buffer.toString('latin1', run, k) + ' ';
    run = k + 1;
  }
  return text + buffer.toString('latin1', run, to);
}

/** `count` printable ASCII bytes (tab and line breaks included) at `at`. */
function printableRun(buffer: Buffer, at: number, count: number): boolean {
  if (at + count > buffer.length) return false;
  for (let k = at; k < at + count; k++) if (isControlByte(buffer[k]!) || buffer[k]! > 0x7e) return false;
  return true;
}

/**
 * A serialized object stream, which a backend that deserializes the body turns into objects whose methods it calls:
 * Java serialization (`AC ED 00 05`), a Python pickle of protocol 2 to 5 (`80 02`..`80 05`) or a binary one of
 * protocol 1 that starts with its GLOBAL opcode (`cposix\nsystem\n`), .NET's BinaryFormatter (a
 * SerializationHeaderRecord, `00 01 00 00 00 FF FF FF FF`). Such a
 * file is inspected as Latin-1 text whole, as the Java and pickle detectors read these streams; pickles of protocol
 * 0 are text and inspected as text anyway.
 */
export function isSerializedStream(content: Uint8Array): boolean {
  if (content.length < 4) return false;
  const [b0, b1, b2, b3] = [content[0]!, content[1]!, content[2]!, content[3]!];
  if (b0 === 0xac && b1 === 0xed && b2 === 0x00 && b3 === 0x05) return true;
  if (b0 === 0x80 && b1 >= 2 && b1 <= 5) return true;
  if (b0 === 0x63 && PICKLE_GLOBAL.test(Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, 130)).toString('latin1'))) return true;
  return content.length >= 9 && b0 === 0x00 && b1 === 0x01 && b2 === 0x00 && b3 === 0x00 && content[4] === 0x00 &&
    content[5] === 0xff && content[6] === 0xff && content[7] === 0xff && content[8] === 0xff;
}

/** Pickle's GLOBAL opcode: `c`, a module name, a line break, a name, a line break. */
const PICKLE_GLOBAL = /^c[\w.]{1,64}\n[\w.]{1,64}\n/;

/** A control byte other than tab, line feed and carriage return. */
function isControlByte(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f;
}

/** `buffer` holds `word` (lower-case ASCII) at `at`, in any case. */
function startsWithFolded(buffer: Buffer, at: number, word: string): boolean {
  if (at + word.length > buffer.length) return false;
  for (let k = 0; k < word.length; k++) if ((buffer[at + k]! | (word.charCodeAt(k) >= 97 ? 32 : 0)) !== word.charCodeAt(k)) return false;
  return true;
}

/** `page` after at most two blanks at `at` (`<%@ page`, `<%@page`). */
function pageAfter(buffer: Buffer, at: number): boolean {
  let k = at;
  while (k < at + 2 && (buffer[k] === 32 || buffer[k] === 9)) k++;
  return startsWithFolded(buffer, k, 'page');
}

/** A file's whole content as text, or undefined when it is binary (a NUL byte, or not text at all). */
export function fileText(content: Uint8Array, media: MediaType | undefined, charset: Charset): string | undefined {
  if (content.indexOf(0) !== -1) return undefined;
  if (charset !== UTF8) return decodeText(content, charset);
  const text = strictUtf8Text(content);
  if (text !== undefined) return text;
  return declaredText(media) ? decodeText(content, LATIN1) : undefined;
}
