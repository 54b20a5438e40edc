/**
 * The character survey of a value: one bit per character (or character class) that some decoding layer or detector
 * needs before it can do anything. The engine surveys each value once; the decoding layers read their triggers from
 * it, and a detector that declares `needs` (the characters at least one of which every finding requires) is not
 * called for a value that has none of them. Most values are ordinary text: one pass here replaces a first search per
 * detector.
 */
export const CH_LT = 1 << 0; // <
export const CH_GT = 1 << 1; // >
export const CH_DOLLAR = 1 << 2; // $
export const CH_COLON = 1 << 3; // :
/** A line feed or carriage return. */
export const CH_LINE = 1 << 4;
export const CH_BRACE = 1 << 5; // { or }
export const CH_PAREN = 1 << 6; // ( or )
export const CH_HASH = 1 << 7; // #
export const CH_AT = 1 << 8; // @
export const CH_QUESTION = 1 << 9; // ?
export const CH_UNDERSCORE = 1 << 10; // _
export const CH_SEMICOLON = 1 << 11; // ;
export const CH_AMP = 1 << 12; // &
export const CH_PERCENT = 1 << 13; // %
export const CH_BACKSLASH = 1 << 14; // \
export const CH_SLASH = 1 << 15; // /
/** A single or double quote or a backtick. */
export const CH_QUOTE = 1 << 16;
export const CH_PIPE = 1 << 17; // |
export const CH_EQUALS = 1 << 18; // =
export const CH_STAR = 1 << 19; // *
export const CH_TILDE = 1 << 20; // ~
export const CH_PLUS = 1 << 21; // +
export const CH_BRACKET = 1 << 22; // [ or ]
/** A C0 control other than tab, line feed and carriage return (what the `nul` layer strips). */
export const CH_CONTROL = 1 << 23;
/** Any character past ASCII. */
export const CH_NON_ASCII = 1 << 24;
/** A `%` before a hex digit or `u`/`U`: a percent escape may start there. */
export const CH_PERCENT_ESCAPE = 1 << 25;
/** An `&` before an ASCII letter, digit or `#`: a character reference may start there. */
export const CH_ENTITY = 1 << 26;
/** U+00C0, U+00C1, U+00E0 or U+00F0: Latin-1 read of a lead byte of an overlong UTF-8 form. */
export const CH_OVERLONG_LEAD = 1 << 27;
export const CH_TAB = 1 << 28;
export const CH_DOT = 1 << 29; // .

/** Bits per ASCII character (0 for letters, digits, space and the punctuation nothing asks about). */
const ASCII_BITS = new Int32Array(128);
for (let c = 0; c < 0x20; c++) ASCII_BITS[c] = CH_CONTROL;
ASCII_BITS[0x09] = CH_TAB;
ASCII_BITS[0x0a] = CH_LINE;
ASCII_BITS[0x0d] = CH_LINE;
const PUNCTUATION: readonly (readonly [string, number])[] = [
  ['<', CH_LT], ['>', CH_GT], ['$', CH_DOLLAR], [':', CH_COLON], ['{', CH_BRACE], ['}', CH_BRACE], ['(', CH_PAREN],
  [')', CH_PAREN], ['#', CH_HASH], ['@', CH_AT], ['?', CH_QUESTION], ['_', CH_UNDERSCORE], [';', CH_SEMICOLON],
  ['&', CH_AMP], ['%', CH_PERCENT], ['\\', CH_BACKSLASH], ['/', CH_SLASH], ['"', CH_QUOTE], ["'", CH_QUOTE],
  ['`', CH_QUOTE], ['|', CH_PIPE], ['=', CH_EQUALS], ['*', CH_STAR], ['~', CH_TILDE], ['+', CH_PLUS],
  ['[', CH_BRACKET], [']', CH_BRACKET], ['.', CH_DOT],
];
for (const [char, bit] of PUNCTUATION) ASCII_BITS[char.charCodeAt(0)] = bit;

/** Characters that continue a percent escape (`%41`, `%u0041`). */
function escapeStart(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) || c === 0x75 || c === 0x55;
}

/** Characters that continue a character reference (`&lt;`, `&#60;`). */
function entityStart(c: number): boolean {
  return c === 0x23 || (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

/** From this length an ASCII value is surveyed from a byte copy: a loop over bytes costs about half one over chars. */
const BYTES_FROM = 32;
const BYTES_UP_TO = 64 * 1024;
const encoder = new TextEncoder();
const scratch = new Uint8Array(BYTES_UP_TO);

/** The survey of `value` (see above): every bit of every character, one pass. */
export function surveyChars(value: string): number {
  const n = value.length;
  if (n >= BYTES_FROM && n <= BYTES_UP_TO) {
    const copied = encoder.encodeInto(value, scratch);
    // As many bytes as characters: every character was ASCII (UTF-8 takes two or more bytes past it).
    if (copied.read === n && copied.written === n) return surveyBytes(scratch, n);
  }
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 128) {
      const bit = ASCII_BITS[c]!;
      if (bit === 0) continue;
      bits |= bit;
      if (bit === CH_PERCENT) { if (escapeStart(value.charCodeAt(i + 1))) bits |= CH_PERCENT_ESCAPE; }
      else if (bit === CH_AMP) { if (entityStart(value.charCodeAt(i + 1))) bits |= CH_ENTITY; }
    } else {
      bits |= c === 0xc0 || c === 0xc1 || c === 0xe0 || c === 0xf0 ? CH_NON_ASCII | CH_OVERLONG_LEAD : CH_NON_ASCII;
    }
  }
  return bits;
}

/** surveyChars over the first `n` bytes of `b`, an ASCII value's copy. */
function surveyBytes(b: Uint8Array, n: number): number {
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const bit = ASCII_BITS[b[i]!]!;
    if (bit === 0) continue;
    bits |= bit;
    if (bit === CH_PERCENT) { if (i + 1 < n && escapeStart(b[i + 1]!)) bits |= CH_PERCENT_ESCAPE; }
    else if (bit === CH_AMP) { if (i + 1 < n && entityStart(b[i + 1]!)) bits |= CH_ENTITY; }
  }
  return bits;
}
