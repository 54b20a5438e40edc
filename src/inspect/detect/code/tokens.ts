/**
 * A small, tolerant token scanner shared by the server-side code injection rules. It reads JavaScript, Python,
 * Ruby and Perl well enough to tell code from prose: identifiers, numbers, strings (`'...'`, `"..."`, backticks,
 * Python triple quotes and `b'..'`/`r".."` prefixes, Perl `q{}`/`qq{}`/`qx{}`/`qw{}`, Ruby `%x(...)`), block
 * comments (skipped, so `require/**\/(...)` stays a call) and punctuation (`::`, `->`, `=>`, `?.` as one token).
 *
 * It never throws and runs in time linear in its input: every branch consumes at least one character, and a
 * search for a closing quote or delimiter that fails is remembered, so later openers of the same kind do not scan
 * the rest of the text again. An apostrophe inside a word (`it's`, `O'Brien`) is punctuation, and a quote that is
 * not closed (on its line, for `'` and `"`) is punctuation too, so prose keeps its later tokens.
 */

export const ID = 1;
export const STR = 2;
export const NUM = 3;
export const PUNCT = 4;

export interface Tok {
  /** ID, STR, NUM or PUNCT. */
  readonly k: number;
  /** Start and end (exclusive) of the whole token in the scanned text. */
  readonly s: number;
  readonly e: number;
  /** Identifier or punctuation text; string content (between the quotes); number text. */
  readonly t: string;
  /** Lower-case `t` for identifiers and strings of at most 64 characters, '' otherwise. */
  readonly l: string;
  /** A line break stood between the previous token and this one. */
  readonly nl: boolean;
  /** White space or a comment stood between the previous token and this one. */
  readonly sp: boolean;
  /** For strings: the quote (`'`, `"`, `` ` ``, `'''`, `"""`, `q`, `qq`, `qw`, `qx`, `%x`); '' otherwise. */
  readonly q: string;
  /** For strings: offset of the content in the scanned text. */
  readonly cs: number;
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff ||
    (c >= 0x2000 && c <= 0x200b) || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0x2028 || c === 0x2029;
}
/** ASCII identifier characters: 1 = may start an identifier, 2 = digit (may continue one). */
const ASCII_IDENT = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36) ASCII_IDENT[c] = 1;
  else if (c >= 48 && c <= 57) ASCII_IDENT[c] = 2;
}
export function isIdentStart(c: number): boolean {
  if (c < 128) return ASCII_IDENT[c] === 1;
  return !isSpace(c) && c !== 0x2018 && c !== 0x2019 && c !== 0x201c && c !== 0x201d;
}
export function isIdentPart(c: number): boolean {
  if (c < 128) return ASCII_IDENT[c] !== 0;
  return !isSpace(c) && c !== 0x2018 && c !== 0x2019 && c !== 0x201c && c !== 0x201d;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}
function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** Delimiters Perl's quote-like operators and Ruby's `%x` accept (a conservative subset). */
function isQuoteDelim(c: number): boolean {
  return c === 40 || c === 91 || c === 123 || c === 60 || c === 47 || c === 124 || c === 33 || c === 39 ||
    c === 34 || c === 126 || c === 35 || c === 44 || c === 64;
}
function closerOf(c: number): number {
  if (c === 40) return 41;
  if (c === 91) return 93;
  if (c === 123) return 125;
  if (c === 60) return 62;
  return c;
}

/** Python string prefixes (`b'..'`, `rb".."`, `f'..'`). */
function isStringPrefix(word: string): boolean {
  if (word.length > 2) return false;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k) | 32;
    if (c !== 98 && c !== 114 && c !== 117 && c !== 102) return false;
  }
  return true;
}

class Scanner {
  private readonly text: string;
  private readonly n: number;
  /** Per closing character: searches starting before this offset are known to fail. */
  private readonly failUntil = new Map<string, number>();
  readonly toks: Tok[] = [];
  private nl = false;
  private sp = false;

  constructor(text: string) {
    this.text = text;
    this.n = text.length;
  }

  private push(k: number, s: number, e: number, t: string, q = '', cs = 0): void {
    const l = (k === ID || k === STR) && t.length <= 64 ? t.toLowerCase() : '';
    this.toks.push({ k, s, e, t, l, nl: this.nl, sp: this.sp, q, cs });
    this.nl = false;
    this.sp = false;
  }

  private failed(key: string, at: number): boolean {
    const f = this.failUntil.get(key);
    return f !== undefined && at < f;
  }

  /** Closing quote of a `'`/`"`/backtick string opened at `i`, or -1 (remembered). */
  private closeQuote(i: number, q: number): number {
    const key = String.fromCharCode(q);
    if (this.failed(key, i)) return -1;
    const text = this.text;
    const multiline = q === 96;
    for (let j = i + 1; j < this.n; j++) {
      const c = text.charCodeAt(j);
      if (c === 92) { j++; continue; }
      if (c === q) return j;
      if (!multiline && (c === 10 || c === 13)) {
        this.failUntil.set(key, j);
        return -1;
      }
    }
    this.failUntil.set(key, this.n);
    return -1;
  }

  /** Closing delimiter of a Perl/Ruby quote-like literal whose opening delimiter is at `i`, or -1. */
  private closeDelim(i: number): number {
    const text = this.text;
    const open = text.charCodeAt(i);
    const close = closerOf(open);
    const key = 'd' + String.fromCharCode(close);
    if (this.failed(key, i)) return -1;
    let depth = 0;
    for (let j = i + 1; j < this.n; j++) {
      const c = text.charCodeAt(j);
      if (c === 92) { j++; continue; }
      if (c === close) {
        if (depth === 0) return j;
        depth--;
      } else if (c === open && open !== close) {
        depth++;
      }
    }
    this.failUntil.set(key, this.n);
    return -1;
  }

  private find(key: string, needle: string, from: number): number {
    if (this.failed(key, from)) return -1;
    const at = this.text.indexOf(needle, from);
    if (at < 0) this.failUntil.set(key, this.n);
    return at;
  }

  /** Reads a string whose opening quote is at `i` (after an optional prefix starting at `s`); false if not closed. */
  private string(s: number, i: number): boolean {
    const text = this.text;
    const q = text.charCodeAt(i);
    if (q !== 96 && text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q) {
      const triple = text.slice(i, i + 3);
      const end = this.find(triple, triple, i + 3);
      if (end >= 0) {
        this.push(STR, s, end + 3, text.slice(i + 3, end), triple, i + 3);
        this.pos = end + 3;
        return true;
      }
    }
    const end = this.closeQuote(i, q);
    if (end < 0) return false;
    this.push(STR, s, end + 1, text.slice(i + 1, end), text[i]!, i + 1);
    this.pos = end + 1;
    return true;
  }

  pos = 0;

  run(): Tok[] {
    const text = this.text;
    const n = this.n;
    while (this.pos < n) {
      const i = this.pos;
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) this.nl = true;
        this.sp = true;
        this.pos++;
        continue;
      }
      if (c === 47 && text.charCodeAt(i + 1) === 42) { // /* comment */
        const end = this.find('*/', '*/', i + 2);
        if (end >= 0) {
          this.sp = true;
          this.pos = end + 2;
          continue;
        }
      }
      if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentPart(text.charCodeAt(j))) j++;
        const word = text.slice(i, j);
        const d = text.charCodeAt(j);
        if ((word === 'qx' || word === 'qq' || word === 'q' || word === 'qw') && isQuoteDelim(d) && d !== 44 && d !== 64) {
          const end = this.closeDelim(j);
          if (end > j) {
            this.push(STR, i, end + 1, text.slice(j + 1, end), word, j + 1);
            this.pos = end + 1;
            continue;
          }
        }
        if ((d === 39 || d === 34) && isStringPrefix(word) && this.string(i, j)) continue;
        this.push(ID, i, j, word);
        this.pos = j;
        continue;
      }
      if (isDigit(c)) {
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (isAlnum(d) || d === 95 || (d === 46 && isDigit(text.charCodeAt(j + 1)))) j++;
          else break;
        }
        this.push(NUM, i, j, text.slice(i, j));
        this.pos = j;
        continue;
      }
      if (c === 39 || c === 34 || c === 96) {
        // An apostrophe inside a word (`it's`, `O'Brien`) does not open a string.
        const apostrophe = c === 39 && i > 0 && isAlnum(text.charCodeAt(i - 1)) && isAlpha(text.charCodeAt(i + 1));
        if (!apostrophe && this.string(i, i)) continue;
        this.push(PUNCT, i, i + 1, text[i]!);
        this.pos = i + 1;
        continue;
      }
      // Ruby %x(...) command literal
      if (c === 37 && text.charCodeAt(i + 1) === 120 && isQuoteDelim(text.charCodeAt(i + 2)) && (i === 0 || !isIdentPart(text.charCodeAt(i - 1)))) {
        const end = this.closeDelim(i + 2);
        if (end > i + 2) {
          this.push(STR, i, end + 1, text.slice(i + 3, end), '%x', i + 3);
          this.pos = end + 1;
          continue;
        }
      }
      const d = text.charCodeAt(i + 1);
      if ((c === 58 && d === 58) || (c === 45 && d === 62) || (c === 61 && d === 62)) {
        this.push(PUNCT, i, i + 2, text.slice(i, i + 2));
        this.pos = i + 2;
        continue;
      }
      if (c === 63 && d === 46 && !isDigit(text.charCodeAt(i + 2))) { // ?. is a member access
        this.push(PUNCT, i, i + 2, '.');
        this.pos = i + 2;
        continue;
      }
      this.push(PUNCT, i, i + 1, text[i]!);
      this.pos = i + 1;
    }
    return this.toks;
  }
}

/** The tokens of `text`. Linear in its length; never throws. */
export function tokenize(text: string): Tok[] {
  return new Scanner(text).run();
}

/**
 * For every `(`, `[`, `{` token the index of its matching closer (or -1 when it is not closed), and for every
 * closer the index of its opener. Mismatched closers are ignored.
 */
export function matchBrackets(toks: readonly Tok[]): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k !== PUNCT || t.t.length !== 1) continue;
    const c = t.t.charCodeAt(0);
    if (c === 40 || c === 91 || c === 123) {
      stack.push(i);
    } else if (c === 41 || c === 93 || c === 125) {
      const open = c === 41 ? '(' : c === 93 ? '[' : '{';
      // pop to the nearest opener of the same kind, within a few levels (tolerates a stray opener)
      for (let k = stack.length - 1; k >= 0 && k >= stack.length - 4; k--) {
        if (toks[stack[k]!]!.t === open) {
          match[stack[k]!] = i;
          match[i] = stack[k]!;
          stack.length = k;
          break;
        }
      }
    }
  }
  return match;
}
