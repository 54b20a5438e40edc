/**
 * Base64 and base64url (RFC 4648) hidden in a value: when the whole value, or a token of at least `minLength`
 * alphabet characters inside it, decodes to text that is valid UTF-8 and mostly printable, the token is replaced
 * by that text (`PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==` → `<script>alert(1)</script>`; the parts of a JWT each
 * decode on their own). Words, hashes and identifiers do not decode to text, so they stay. One alphabet per
 * token, `=` padding only at its end. Same string when nothing decodes.
 */
import { Buffer, isUtf8 } from 'node:buffer';

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export const BASE64_MIN_LENGTH = 16;

/** 0-63 for alphabet characters, 64 for `+`/`/` (standard only), 65 for `-`/`_` (url only), -1 otherwise. */
function sextet(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c === 0x2b || c === 0x2f) return 64;
  if (c === 0x2d || c === 0x5f) return 65;
  return -1;
}

/** `sextet` as a table over ASCII (255 for characters outside both alphabets). */
const SEXTET_CLASS = new Uint8Array(128).fill(255);
for (let c = 0; c < 128; c++) { const k = sextet(c); if (k >= 0) SEXTET_CLASS[c] = k; }
/** The 6-bit value of an alphabet character, `+`/`-` as 62 and `/`/`_` as 63 (either alphabet). */
const SEXTET_VALUE = new Uint8Array(128);
for (let c = 0; c < 128; c++) { const k = sextet(c); SEXTET_VALUE[c] = k === 64 ? (c === 0x2b ? 62 : 63) : k === 65 ? (c === 0x2d ? 62 : 63) : Math.max(k, 0); }

/** SEXTET_CLASS of any UTF-16 code unit. */
function sextetClass(c: number): number {
  return c < 128 ? SEXTET_CLASS[c]! : 255;
}

/** Printable ASCII, tabs and line breaks only. */
function asciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c > 0x7e) return false;
  }
  return true;
}

/** NUL bytes a token may decode to and still be text (see decodeToken). */
const MAX_NULS = 2;

function printable(text: string): boolean {
  if (text.length === 0) return false;
  let good = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c !== 0x7f && c !== 0xfffd) || c === 0x09 || c === 0x0a || c === 0x0d) good++;
  }
  return good >= text.length * 0.95;
}

/**
 * The bytes of the token being decoded: one buffer reused by every call (decoding is synchronous), so that the
 * tokens that are not text, nearly all of them, cost no allocation. A token longer than it gets a buffer of its own
 * rather than growing the shared one for good.
 */
const SCRATCH_BYTES = 16 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/**
 * True when bytes[0, n) is well-formed UTF-8 (Unicode Table 3-7: no overlong forms, surrogates or code points past
 * U+10FFFF). Rules tokens out before any view or string is made; isUtf8 still has the last word.
 */
function wellFormedUtf8(bytes: Uint8Array, n: number): boolean {
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let trail: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) trail = 1;
    else if (b >= 0xe0 && b <= 0xef) { trail = 2; if (b === 0xe0) low = 0xa0; else if (b === 0xed) high = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { trail = 3; if (b === 0xf0) low = 0x90; else if (b === 0xf4) high = 0x8f; }
    else return false;
    if (i + trail >= n) return false;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return false;
    for (let k = 2; k <= trail; k++) {
      const next = bytes[i + k]!;
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += trail + 1;
  }
  return true;
}

/** `O:`, `C:` or `a:` and a digit: the start of a PHP serialized object or array. */
function isPhpSerializedStart(bytes: Uint8Array): boolean {
  const b0 = bytes[0]!;
  return (b0 === 0x4f || b0 === 0x43 || b0 === 0x61) && bytes[1] === 0x3a && bytes[2]! >= 0x30 && bytes[2]! <= 0x39;
}

/** Decodes value[start, end) (no padding inside); undefined when it is not base64 of printable text. */
function decodeToken(value: string, start: number, end: number): string | undefined {
  const len = end - start;
  if (len % 4 === 1) return undefined;
  const size = Math.floor((len * 3) / 4);
  const bytes = size <= SCRATCH_BYTES ? scratch : Buffer.allocUnsafeSlow(size);
  // Text has at most 5% control bytes of all its bytes: past that share of the most bytes the token can give, or at
  // a third NUL, it is not text, and the rest need not be decoded (long runs of letters fail within a few dozen
  // bytes). One or two NULs are an evasion (`<scr\0ipt>` encoded): the control-character layer after this one
  // removes them.
  const maxControl = size * 0.05;
  let early = 0;
  let nuls = 0;
  // a PHP serialized object or array (`O:8:"Monolog\...`), whose protected and private property names hold NULs
  // (`\0*\0socket`): any number of them
  let serialized = false;
  let o = 0;
  let acc = 0;
  let bits = 0;
  // UTF-8 read as the bytes come (Unicode Table 3-7): `need` continuation bytes still due, the next one in
  // [low, high]. Text is valid UTF-8, and an invalid sequence anywhere makes the whole invalid, so hashes, hex and
  // binary fail at their first stray high byte instead of after the whole token is decoded.
  let need = 0;
  let low = 0x80;
  let high = 0xbf;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    const s = SEXTET_VALUE[c]!; // tokens hold only alphabet characters: c < 128
    acc = ((acc << 6) | s) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const b = (acc >> bits) & 0xff;
      bytes[o++] = b;
      if (o === 3) serialized = isPhpSerializedStart(bytes);
      if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && !(b === 0 && serialized) && ((b === 0 && ++nuls > MAX_NULS) || ++early > maxControl)) return undefined;
      if (need > 0) {
        if (b < low || b > high) return undefined;
        need--;
        low = 0x80;
        high = 0xbf;
      } else if (b >= 0x80) {
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b === 0xe0) low = 0xa0; else if (b === 0xed) high = 0x9f; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b === 0xf0) low = 0x90; else if (b === 0xf4) high = 0x8f; }
        else return undefined;
      }
    }
  }
  // Most tokens that are not base64 of text (words, hashes, identifiers) fail here, on bytes, before any string is
  // built: control bytes other than tab, LF and CR count against the 95% printable share, and text is valid UTF-8.
  let ascii = true;
  let control = 0;
  for (let k = 0; k < o; k++) {
    const b = bytes[k]!;
    if (b >= 0x80) ascii = false;
    else if (((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) && !(b === 0 && serialized)) control++;
  }
  if (o === 0 || control > o * 0.05) return undefined;
  if (ascii) return bytes.toString('latin1', 0, o);
  if (!wellFormedUtf8(bytes, o)) return undefined;
  const view = bytes.subarray(0, o);
  if (!isUtf8(view)) return undefined;
  const text = utf8.decode(view);
  return printable(text) ? text : undefined;
}

export function decodeBase64(value: string, minLength: number = BASE64_MIN_LENGTH): string {
  const n = value.length;
  if (n < minLength) return value;
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < n) {
    if (sextetClass(value.charCodeAt(i)) === 255) { i++; continue; }
    const start = i;
    let std = false;
    let url = false;
    for (; i < n; i++) {
      const s = sextetClass(value.charCodeAt(i));
      if (s === 255) break;
      if (s === 64) std = true;
      else if (s === 65) url = true;
    }
    const end = i;
    let padded = i;
    while (padded < n && padded - end < 2 && value.charCodeAt(padded) === 0x3d) padded++;
    if (end - start < minLength || (std && url)) continue;
    if (padded > end && (padded - start) % 4 !== 0) continue;
    // A token glued to a following "=" that is not padding ("key=value") still decodes on its own.
    const decoded = decodeToken(value, start, end);
    if (decoded === undefined) continue;
    // A short token (a word such as `CloudTrail` in a short value) decodes to valid UTF-8 now and then by chance;
    // what an attacker hides in one is ASCII, so only ASCII text counts for those.
    if (end - start < BASE64_MIN_LENGTH && !asciiText(decoded)) continue;
    out += value.slice(runStart, start) + decoded;
    runStart = padded;
    i = padded;
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}
