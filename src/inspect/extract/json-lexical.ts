/**
 * The lexical pieces of RFC 8259 JSON shared by the strict parsers: the attack-detection extractor (`json.ts`, which
 * yields every key and value with its path), request validation's body check (`src/protections/request-validation/
 * json-body.ts`, which enforces structure limits) and the GraphQL extractor (whose numbers are JSON's).
 */

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of the four hex digits at `at` (a `\uXXXX` escape), or -1 when they are not four hex digits. */
export function hex4(text: string, at: number): number {
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const c = text.charCodeAt(at + k);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return -1;
    value = value * 16 + d;
  }
  return value;
}

/** readEscape results (negative): a malformed escape, or one that leaves a UTF-16 surrogate unpaired. */
export const BAD_ESCAPE = -1;
export const LONE_SURROGATE = -2;

/** The text of the escape last read by readEscape (one or two UTF-16 code units). */
export let escapeText = '';

/**
 * Reads the escape whose backslash is at `at` (`\n`, `\u00e9`, a `\uD83D\uDE00` surrogate pair); sets escapeText and
 * returns the index of its last character, or BAD_ESCAPE or LONE_SURROGATE.
 */
export function readEscape(text: string, at: number): number {
  switch (text.charCodeAt(at + 1)) {
    case 0x22: escapeText = '"'; return at + 1;
    case 0x5c: escapeText = '\\'; return at + 1;
    case 0x2f: escapeText = '/'; return at + 1;
    case 0x62: escapeText = '\b'; return at + 1;
    case 0x66: escapeText = '\f'; return at + 1;
    case 0x6e: escapeText = '\n'; return at + 1;
    case 0x72: escapeText = '\r'; return at + 1;
    case 0x74: escapeText = '\t'; return at + 1;
    case 0x75: {
      const unit = hex4(text, at + 2);
      if (unit < 0) return BAD_ESCAPE;
      if (unit >= 0xdc00 && unit <= 0xdfff) return LONE_SURROGATE;
      if (unit < 0xd800 || unit > 0xdbff) {
        escapeText = String.fromCharCode(unit);
        return at + 5;
      }
      // a high surrogate: a low one must follow, escaped
      if (text.charCodeAt(at + 6) !== 0x5c || text.charCodeAt(at + 7) !== 0x75) return LONE_SURROGATE;
      const low = hex4(text, at + 8);
      if (low < 0) return BAD_ESCAPE;
      if (low < 0xdc00 || low > 0xdfff) return LONE_SURROGATE;
      escapeText = String.fromCharCode(unit, low);
      return at + 11;
    }
    default: return BAD_ESCAPE;
  }
}

/** Reads a number starting at `start`; returns the index after it, or -1 when malformed. */
export function readNumber(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) { i++; while (isDigit(text.charCodeAt(i))) i++; } else return -1;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

/** The index of the first character at or after `i` that is not JSON whitespace. */
export function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}
