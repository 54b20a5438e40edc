/**
 * Other readings of a value that the engine's decoding layers do not produce, because they only matter for markup:
 *
 * - UTF-7 (`+ADw-script+AD4-`): a page served without a charset, or declaring UTF-7, was read as UTF-7 by old
 *   browsers, so `<` could be smuggled past filters as `+ADw-`.
 * - UTF-8 read as Latin-1: header values (cookies, Referer) reach the detector byte by byte, so a full-width
 *   `＜` arrives as three Latin-1 characters. The bytes are read again as UTF-8 (and then normalized, NFKC, which
 *   turns full-width and other compatibility forms into ASCII; the high-bit reading below applies to them too).
 * - High bit stripped: some legacy stacks drop the top bit of each byte (or keep only the low byte of a
 *   character), so `¼script¾` (0xBC, 0xBE) arrives as `<script>`. Only characters whose low 7 bits give `<`
 *   and `>` both present make this reading.
 * - HTML character references spelled in the wrong case (`&TAB;`, `&newline;`, `&COLON;`): browsers do not
 *   decode them, but no one writes them inside a word except to slip a scheme past a filter.
 *
 * Every function is linear in the value's length and returns null when its reading does not apply or changes
 * nothing.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isModifiedBase64(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

function sextet(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  return c === 0x2b ? 62 : 63;
}

/**
 * The value decoded as UTF-7 (RFC 2152): `+` starts a run of modified base64 holding UTF-16 code units, ended by
 * `-` (consumed) or any other character; `+-` is a plus sign. Null unless some run decoded to ASCII text with
 * markup characters (`<`, `>`, quotes), which is what an attack needs and what ordinary text with `+` (or base64
 * data, whose runs decode to arbitrary code units) does not give.
 */
export function decodeUtf7(value: string): string | null {
  let plus = value.indexOf('+');
  if (plus === -1) return null;
  // Base64 data has a `+` every 64 characters or so: decide first, without building strings, whether any run
  // gives markup; almost every run of random data is ruled out by its first code unit.
  if (!hasUtf7Markup(value, plus)) return null;
  let out = '';
  let runStart = 0;
  let markup = false;
  while (plus !== -1 && plus + 1 < value.length) {
    let i = plus + 1;
    if (value.charCodeAt(i) === 0x2d) {
      out += value.slice(runStart, plus) + '+';
      runStart = i + 1;
      plus = value.indexOf('+', runStart);
      continue;
    }
    let acc = 0;
    let bits = 0;
    let decoded = '';
    let ascii = true;
    let runMarkup = false;
    while (i < value.length && isModifiedBase64(value.charCodeAt(i))) {
      const c = value.charCodeAt(i);
      if (c === 0x2b) break; // a `+` cannot be part of a run that a filter would see as one (`+AD4-+ADw-`)
      acc = ((acc << 6) | sextet(c)) & 0xffffff;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        const unit = (acc >> bits) & 0xffff;
        decoded += String.fromCharCode(unit);
        if (unit === 0x3c || unit === 0x3e || unit === 0x22 || unit === 0x27) runMarkup = true;
        if (unit >= 0x80) ascii = false;
      }
      i++;
    }
    // An encoded attack spells ASCII; base64 data that happens to contain `+` decodes to anything.
    if (runMarkup && ascii) markup = true;
    if (decoded === '') {
      plus = value.indexOf('+', plus + 1);
      continue;
    }
    out += value.slice(runStart, plus) + decoded;
    if (i < value.length && value.charCodeAt(i) === 0x2d) i++;
    runStart = i;
    plus = value.indexOf('+', runStart);
  }
  if (!markup) return null;
  return out + value.slice(runStart);
}

/**
 * Whether some run read by `decodeUtf7` decodes to ASCII code units only, one of them a markup character. Every
 * run starts right after a `+` (whatever `decodeUtf7` consumed before it holds no `+`), so each `+` is tried in
 * turn, and a run is given up at its first code unit above U+007F.
 */
function hasUtf7Markup(value: string, plus: number): boolean {
  const n = value.length;
  while (plus !== -1 && plus + 1 < n) {
    let acc = 0;
    let bits = 0;
    let runMarkup = false;
    for (let i = plus + 1; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x2b || !isModifiedBase64(c)) break;
      acc = ((acc << 6) | sextet(c)) & 0xffffff;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        const unit = (acc >> bits) & 0xffff;
        if (unit >= 0x80) { runMarkup = false; break; }
        if (unit === 0x3c || unit === 0x3e || unit === 0x22 || unit === 0x27) runMarkup = true;
      }
    }
    if (runMarkup) return true;
    plus = value.indexOf('+', plus + 1);
  }
  return false;
}

/**
 * The value's characters taken as bytes (they are all below U+0100) and decoded as UTF-8. Null when there is no
 * byte above 0x7F, a character above 0xFF, or the bytes are not UTF-8.
 */
export function latin1AsUtf8(value: string): string | null {
  let high = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return null;
    if (c >= 0x80) high = true;
  }
  if (!high) return null;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  try { return utf8.decode(bytes); } catch { return null; }
}

/**
 * Every character above U+007F replaced by its low 7 bits. Null unless characters above U+007F stand for both `<`
 * and `>` this way.
 */
export function stripHighBit(value: string): string | null {
  let lt = false;
  let gt = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) continue;
    const low = c & 0x7f;
    if (low === 0x3c) lt = true;
    else if (low === 0x3e) gt = true;
  }
  if (!lt || !gt) return null;
  let out = '';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) continue;
    out += value.slice(runStart, i) + String.fromCharCode(c & 0x7f);
    runStart = i + 1;
  }
  return out + value.slice(runStart);
}

/** References whose correct spelling the engine decodes; here in any case. */
const LOOSE_REFERENCES: Readonly<Record<string, string>> = {
  tab: '\t', newline: '\n', colon: ':', lpar: '(', rpar: ')', sol: '/', lt: '<', gt: '>', quot: '"', apos: "'",
  grave: '`', semi: ';', equals: '=', excl: '!', nbsp: '\u00a0',
};

/**
 * Character references decoded case-insensitively (`&TaB;`, `&NEWLINE;`). Null unless one of them was spelled
 * in a case a browser would not decode.
 */
export function decodeLooseReferences(value: string): string | null {
  let amp = value.indexOf('&');
  if (amp === -1) return null;
  let out = '';
  let runStart = 0;
  let miscased = false;
  while (amp !== -1) {
    let k = amp + 1;
    while (k < value.length && k - amp <= 9) {
      const c = value.charCodeAt(k);
      if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) break;
      k++;
    }
    if (k > amp + 1 && k < value.length && value.charCodeAt(k) === 0x3b) {
      const name = value.slice(amp + 1, k);
      const lower = name.toLowerCase();
      const replacement = LOOSE_REFERENCES[lower];
      if (replacement !== undefined) {
        // The HTML names are `Tab`, `NewLine` and lower-case for the others.
        const proper = lower === 'tab' ? 'Tab' : lower === 'newline' ? 'NewLine' : lower;
        const upperOk = lower === 'lt' || lower === 'gt' || lower === 'quot';
        if (name !== proper && !(upperOk && name === name.toUpperCase())) miscased = true;
        out += value.slice(runStart, amp) + replacement;
        runStart = k + 1;
        amp = value.indexOf('&', runStart);
        continue;
      }
    }
    amp = value.indexOf('&', amp + 1);
  }
  if (!miscased) return null;
  return out + value.slice(runStart);
}
