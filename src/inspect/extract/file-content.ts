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
 * it is (see serverCodeIslands): the polyglot image that a server configured to run it, or an include of it, runs.
 */

/** Top-level types whose every subtype is a file (images, sound, video, fonts, 3D models). */
const FILE_TYPES: ReadonlySet<string> = new Set(['image', 'audio', 'video', 'font', 'model']);
/** `application/` subtypes that are files: raw bytes, documents, archives (HWP and HWPX: Korean office documents). */
const FILE_SUBTYPES: ReadonlySet<string> = new Set([
  'octet-stream', 'pdf', 'rtf', 'postscript', 'msword', 'vnd.ms-excel', 'vnd.ms-powerpoint', 'vnd.visio',
  'zip', 'x-zip-compressed', 'gzip', 'x-gzip', 'x-tar', 'x-bzip2', 'x-xz', 'zstd', 'x-7z-compressed', 'vnd.rar',
  'x-rar-compressed', 'x-hwp', 'haansofthwp', 'vnd.hancom.hwp', 'vnd.hancom.hwpx',
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
  if (text === undefined) return { inputs: serverCodeIslands(body).map((value) => ({ source: 'body', name: '', location: 'body', value })) };
  if (text === '') return { inputs: [] };
  const inputs: InspectedInput[] = [{ source: 'body', name: '', location: 'body', value: text }];
  const first = text.trimStart().charCodeAt(0);
  if (first === 0x7b || first === 0x5b) {
    const json = extractJson(text, { scalars: false, ...(maxInputs === undefined ? {} : { maxInputs }) });
    if ('inputs' in json) for (const input of json.inputs) inputs.push(input);
  }
  return { inputs };
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

/**
 * Server code inside a binary file: the polyglot web shell, an image (`GIF89a...`, a JPEG comment) that a server
 * configured to run it, or an include of it, runs as PHP or JSP. Each island starts at `<?php` or `<%@ page` (ASCII
 * case-insensitive; markers of five bytes and more, which the random bytes of images and archives hold about once
 * in a hundred gigabytes) and runs to the first control byte (a NUL; tab and line breaks are text), or for
 * MAX_ISLAND bytes; read as Latin-1, as a PHP or JSP engine reads the bytes. One pass over the `<` bytes.
 */
export function serverCodeIslands(content: Uint8Array): string[] {
  const islands: string[] = [];
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (let at = buffer.indexOf(60); at !== -1 && islands.length < MAX_ISLANDS; at = buffer.indexOf(60, at + 1)) {
    const php = startsWithFolded(buffer, at + 1, '?php');
    if (!php && !(startsWithFolded(buffer, at + 1, '%@') && pageAfter(buffer, at + 3))) continue;
    const limit = Math.min(buffer.length, at + MAX_ISLAND);
    let end = at;
    while (end < limit && !isControlByte(buffer[end]!)) end++;
    islands.push(buffer.toString('latin1', at, end));
    at = end - 1;
  }
  return islands;
}

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
