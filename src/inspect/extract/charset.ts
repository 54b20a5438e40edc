/**
 * The charsets a request body may name (`Content-Type: ...; charset=`, an XML declaration's `encoding`, a multipart
 * part's type or its `_charset_` field), and turning its bytes into the text that is inspected.
 *
 * Accepted: the charsets ModSecurity's Core Rule Set accepts by default, and Korean. In each, a byte below 0x80 is
 * the ASCII character it is, or part of a character only as a letter: the characters an attack needs (quotes, `<`,
 * `;`, `/`, `\`, `|`) reach the detectors as the backend reads them.
 * - UTF-8 (and US-ASCII, its subset);
 * - ISO-8859-1 and the names the WHATWG Encoding Standard gives it (`latin1`, `windows-1252`...), read byte for
 *   byte; ISO-8859-15;
 * - Korean `euc-kr`, read by the WHATWG decoder, which is Windows-949 (its superset: `cp949`, `ms949` and
 *   `ks_c_5601-1987` name the same), as older Korean sites, banks' XML interfaces and Java clients still send it.
 *   Its second bytes are high bytes or ASCII letters, never punctuation or digits.
 *
 * Refused (415 `unsupported_charset`), because a reader of UTF-8 or of bytes would not see what the backend reads:
 * UTF-7 (`+ADw-` is `<`), UTF-16 and UTF-32 (every other byte is NUL), the stateful ISO-2022 family (escape
 * sequences change what the next ASCII bytes mean), EBCDIC code pages (`ibm037`), Shift_JIS, GBK, GB18030 and Big5
 * (a second byte may be `\`, `|` or a backquote: the decoder swallows what a byte-level backend reads as an escape or
 * a pipe, the classic multi-byte bypass of `addslashes`), and every other name: a charset nobody here needs is only
 * a way to write a payload in a form fewer readers share.
 *
 * Bytes that are not valid in the charset they claim are read byte for byte (as ISO-8859-1), as invalid UTF-8 is
 * elsewhere: every ASCII byte then stays the character it is, and no sequence can turn a backend's reading into
 * ASCII that this reading does not show.
 */

/** What bodies are decoded as: UTF-8, bytes (ISO-8859-1), or a WHATWG decoder's name. */
export type Charset = string;

export const UTF8: Charset = 'utf-8';
export const LATIN1: Charset = 'iso-8859-1';

/** WHATWG encodings read with their own decoder (names as `TextDecoder#encoding` gives them). */
const DECODED: ReadonlySet<string> = new Set(['euc-kr', 'iso-8859-15']);

/**
 * Names the WHATWG standard does not list but Java and Windows send for Windows-949 (Java calls it `x-windows-949`
 * or `MS949`; IE and .NET wrote `ks_c_5601-1987`, which the standard already knows).
 */
const EXTRA_LABELS: ReadonlyMap<string, string> = new Map([
  ['cp949', 'euc-kr'], ['ms949', 'euc-kr'], ['x-windows-949', 'euc-kr'], ['windows949', 'euc-kr'], ['x-euc-kr', 'euc-kr'],
]);

const known = new Map<string, Charset | null>();

/**
 * The charset a label names, or undefined when it is refused. Case does not matter; surrounding spaces do not
 * either (a `_charset_` field's value).
 */
export function charsetOf(label: string): Charset | undefined {
  const key = label.trim().toLowerCase();
  let charset = known.get(key);
  if (charset === undefined) {
    charset = resolve(key);
    if (known.size < 256) known.set(key, charset);
  }
  return charset ?? undefined;
}

function resolve(label: string): Charset | null {
  // US-ASCII is UTF-8's subset: read as UTF-8, as it always was (the standard maps the label to windows-1252).
  if (label === 'us-ascii' || label === 'ascii') return UTF8;
  let name = EXTRA_LABELS.get(label);
  if (name === undefined) {
    try { name = new TextDecoder(label).encoding; } catch { return null; }
  }
  if (name === 'utf-8') return UTF8;
  if (name === 'windows-1252') return LATIN1;
  return DECODED.has(name) ? name : null;
}

export function isAcceptedCharset(label: string): boolean {
  return charsetOf(label) !== undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const decoders = new Map<string, { decode(bytes: Uint8Array): string }>();

/**
 * Bytes as text in `charset` (UTF-8 when not given): strict decoding when the bytes are valid in it, otherwise
 * ISO-8859-1, which keeps every byte (for the overlong-UTF-8 layer, and so that ASCII stays ASCII).
 */
export function decodeText(bytes: Uint8Array, charset: Charset = UTF8): string {
  return (charset === LATIN1 ? undefined : strictText(bytes, charset))
    ?? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Bytes as text in `charset`, or undefined when they are not valid in it (overlong UTF-8 and surrogates included). */
export function strictText(bytes: Uint8Array, charset: Charset): string | undefined {
  if (charset === LATIN1) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let decoder = charset === UTF8 ? strictUtf8 : decoders.get(charset);
  if (decoder === undefined) {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: true });
    decoders.set(charset, decoder);
  }
  try { return decoder.decode(bytes); } catch { return undefined; }
}

/** Strict UTF-8 decode, or undefined when the bytes are not valid UTF-8 (overlong forms and surrogates included). */
export function strictUtf8Text(bytes: Uint8Array): string | undefined {
  try { return strictUtf8.decode(bytes); } catch { return undefined; }
}
