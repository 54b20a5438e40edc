/**
 * A forgiving SQL tokenizer for attack detection: it never fails, covers the lexical quirks of MySQL, PostgreSQL,
 * MSSQL, Oracle and SQLite that injections rely on, and runs in one linear pass without regular expressions.
 *
 * - Strings with both quote styles, backslash escapes and doubled quotes; prefixed literals (N'', X'', B'', E'',
 *   _utf8'') and PostgreSQL `$$...$$` bodies. An unterminated string runs to the end and is flagged.
 * - Backtick identifiers; `@var`, `@@var`.
 * - Numbers: decimal, `.5`, `1.`, `1e5`, MySQL's `1.e` quirk, `0x..`, `0b..`. Letters glued to a number start a new
 *   word flagged `glued` (`1union` reads as `1 union`).
 * - Comments `-- `, `#`, `/* *\/` (an unterminated one runs to the end); MySQL `/*! ... *\/` and `/*!50000 ... *\/`
 *   are code: their markers are dropped and their content tokenized.
 * - Multi-character operators (`<=>`, `||`, `::`, `->>`, `@>`, `?|`, ...).
 */

export type TokenKind =
  | 'word' // identifier or keyword; `w` holds the lower-cased text
  | 'num'
  | 'str'
  | 'qid' // `quoted identifier`
  | 'var' // @name, @@name; `w` holds the lower-cased name with its @ signs
  | 'op'
  | '(' | ')' | ',' | ';' | '.'
  | 'comment'
  | 'other';

/**
 * The UTF-16 code units of a string, copied into a typed array; one byte per character when all are ASCII. Only the
 * string's length belongs to it (a reused array may be longer).
 */
export type CodeUnits = Uint8Array | Uint16Array;

/** One token. A class (not object literals) so that every token has the same shape: the tokenizer is hot. */
export class Token {
  /** Kind. */
  readonly k: TokenKind;
  /** Start and end offsets in the input. */
  readonly s: number;
  readonly e: number;
  /** Lower-cased text for words, variables and operators; the quote character for strings; '' otherwise. */
  readonly w: string;
  /** Strings, quoted identifiers and block comments: true when the closing delimiter is missing. */
  readonly open: boolean;
  /** Whitespace or a comment came before this token (false for the first token). */
  readonly sp: boolean;
  /** Comments: '-' for `--`, '#' for `#`, '*' for `/* *\/`; '' otherwise. */
  readonly ck: string;

  constructor(k: TokenKind, s: number, e: number, w: string, open: boolean, sp: boolean, ck: string) {
    this.k = k;
    this.s = s;
    this.e = e;
    this.w = w;
    this.open = open;
    this.sp = sp;
    this.ck = ck;
  }
}

export const WORD_MAX = 40;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Characters that may continue an identifier: ASCII letters, digits, `_`, `$`, and non-ASCII letters. */
export function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
  return isWideLetter(c);
}

/** isWordChar below 128, as a table (1: word character). */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = isWordChar(c) ? 1 : 0;

/** Characters that may start an identifier. */
export function isWordStart(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
  return isWideLetter(c);
}

/** Non-ASCII characters treated as letters: everything except spaces, general punctuation and quote-like marks. */
function isWideLetter(c: number): boolean {
  if (c === 0xa0 || c === 0xb4 || c === 0xab || c === 0xbb || c === 0xa7 || c === 0xb6) return false;
  if (c >= 0x2000 && c <= 0x206f) return false; // general punctuation, typographic quotes, spaces
  if (c >= 0x3000 && c <= 0x3003) return false;
  if (c === 0xfeff || c === 0xfffd) return false;
  return true;
}

/**
 * Blanks as databases read them. U+FFFD is a byte that was not UTF-8 (`%A0`): a database on a Latin-1 connection
 * reads 0xA0 as a no-break space, which MySQL takes for a blank (`1%A0UNION%A0SELECT`), so it separates tokens too.
 */
export function isSpace(c: number): boolean {
  return c <= 32 || c === 0x7f || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200b) || c === 0xfffd;
}

/** Kinds of the punctuation characters ( ) , ; . indexed by char code - 40. */
const PUNCT: TokenKind[] = ['(', ')', 'other', 'other', ',', 'other', '.', 'other', 'other', 'other', 'other', 'other',
  'other', 'other', 'other', 'other', 'other', 'other', 'other', ';'];


/**
 * Tokenizes `input` from offset `from` to offset `to` (its end by default), or until `maxTokens` tokens. Always
 * returns; never throws.
 * Comments are kept as tokens so that callers can see where the query is cut.
 */
export function tokenize(input: string, from = 0, maxTokens = Infinity, to = input.length): Token[] {
  const stream = new TokenStream(input, from, maxTokens, to);
  stream.fillAll();
  return stream.raw;
}

/**
 * MySQL reads `1.e` glued to what follows as nothing at all (`1.e(ascii ...`, `1.e.tables`, `x 1.e,1`): such
 * numbers are filler, dropped like comments.
 */
export function dotE(input: string, t: Token): boolean {
  return t.e - t.s >= 3 && (input.charCodeAt(t.e - 1) | 32) === 101 && input.charCodeAt(t.e - 2) === 46;
}

/**
 * The tokens of `input[from, to)`, read on demand: most values are decided on their first few tokens (prose fails
 * to continue a query within a token or two), so the rest is tokenized only when a reader asks for it. The tokens
 * are exactly those of `tokenize` with the same arguments: reading stops and resumes with the tokenizer's whole
 * state (offset, pending whitespace flag, open MySQL versioned comments).
 */
export class TokenStream {
  readonly input: string;
  /**
   * The input's UTF-16 code units, at least over [from, to): the loop reads them from a typed array, which is faster
   * than `charCodeAt` on the (often sliced) input string.
   */
  readonly units: CodeUnits;
  /** Every token read so far, comments included (what `tokenize` returns). */
  readonly raw: Token[] = [];
  /** The significant tokens read so far: without comments and MySQL `1.e` filler numbers. */
  readonly sig: Token[] = [];
  private i: number;
  private sp = false;
  private versioned = 0; // depth of open `/*! ... */` sections
  private readonly n: number;
  private maxRaw: number;

  /** `units`: the input's code units (e.g. the detector's copy); a copy is made when they are not given. */
  constructor(input: string, from = 0, maxTokens = Infinity, to = input.length, units?: CodeUnits) {
    this.input = input;
    this.i = from;
    this.n = Math.min(to, input.length);
    this.maxRaw = maxTokens;
    this.units = units ?? codeUnitsOf(input);
  }

  /** Whether significant token `index` exists (reads up to it if needed). */
  fill(index: number): boolean {
    if (index < this.sig.length) return true;
    this.read(index);
    return index < this.sig.length;
  }

  /** Reads every token (up to the `maxTokens` cap). */
  fillAll(): void {
    if (this.i < this.n && this.raw.length < this.maxRaw) this.read(Infinity);
  }

  /** Lifts the `maxTokens` cap: later reads continue where the capped reading stopped. */
  uncap(): void {
    this.maxRaw = Infinity;
  }

  /** The tokenizer loop: reads until significant token `index` exists, the cap is reached or the input ends. */
  private read(index: number): void {
    const input = this.input;
    const u = this.units;
    const out = this.raw;
    const sig = this.sig;
    const n = this.n;
    const maxTokens = this.maxRaw;
    let i = this.i;
    let sp = this.sp;
    let versioned = this.versioned;
    // Every token goes to `out`; all but comments and `1.e` numbers to `sig` as well.
    while (i < n && out.length < maxTokens && sig.length <= index) {
      const c = u[i]!;
      if (isSpace(c)) {
        sp = true;
        i++;
        while (i < n && isSpace(u[i]!)) i++;
        continue;
      }
      // Words, prefixed string literals. (First: the commonest tokens. No test below holds for a word start: it is no
      // space, digit or punctuation, so the order does not matter.)
      if (isWordStart(c)) {
        let j = i + 1;
        let upper = c >= 65 && c <= 90;
        while (j < n) {
          const d = u[j]!;
          if (d < 128 ? ASCII_WORD[d] === 0 : !isWideLetter(d)) break;
          if (d >= 65 && d <= 90) upper = true;
          j++;
        }
        const len = j - i;
        let t: Token;
        if (j < n && u[j] === 39 && isStringPrefix(input, i, len)) {
          const end = stringEnd(u, j + 1, 39, n);
          t = new Token('str', i, end.end, "'", end.open, sp, '');
          i = end.end;
        } else {
          const w = len > WORD_MAX ? '' : upper ? input.slice(i, j).toLowerCase() : input.slice(i, j);
          t = new Token('word', i, j, w, false, sp, '');
          i = j;
        }
        out.push(t);
        sig.push(t);
        sp = false;
        continue;
      }
      const c1 = i + 1 < n ? u[i + 1]! : -1;
      // Comments.
      if (c === 45 /* - */ && c1 === 45) {
        const end = lineEnd(input, i + 2, n);
        out.push(new Token('comment', i, end, '', false, sp, '-'));
        sp = true;
        i = end;
        continue;
      }
      if (c === 35 /* # */ && c1 !== 62 /* > */) {
        const end = lineEnd(input, i + 1, n);
        out.push(new Token('comment', i, end, '', false, sp, '#'));
        sp = true;
        i = end;
        continue;
      }
      if (c === 47 /* / */ && c1 === 42 /* * */) {
        if (i + 2 < n && u[i + 2] === 33 /* ! */) {
          // MySQL executable comment: its content is code.
          let j = i + 3;
          while (j < n && j < i + 9 && isDigit(u[j]!)) j++;
          versioned++;
          sp = true;
          i = j;
          continue;
        }
        const close = findPair(input, '*/', i + 2, n); // */
        const end = close < 0 ? n : close + 2;
        out.push(new Token('comment', i, end, '', close < 0, sp, '*'));
        sp = true;
        i = end;
        continue;
      }
      if (c === 42 /* * */ && c1 === 47 /* / */ && versioned > 0) {
        versioned--;
        sp = true;
        i += 2;
        continue;
      }
      let t: Token;
      if (c === 39 /* ' */ || c === 34 /* " */) {
        // Strings.
        const end = stringEnd(u, i + 1, c, n);
        t = new Token('str', i, end.end, c === 39 ? "'" : '"', end.open, sp, '');
        i = end.end;
      } else if (c === 96 /* ` */) {
        let j = i + 1;
        let open = true;
        while (j < n) {
          if (u[j] === 96) {
            if (j + 1 < n && u[j + 1] === 96) {
              j += 2;
              continue;
            }
            open = false;
            j++;
            break;
          }
          j++;
        }
        t = new Token('qid', i, j, lowerSlice(input, i + 1, open ? j : j - 1), open, sp, '');
        i = j;
      } else if (isDigit(c) || (c === 46 /* . */ && isDigit(c1))) {
        // Numbers (`1.e` fillers are no significant tokens).
        const end = numberEnd(u, i, n);
        t = new Token('num', i, end, '', false, sp, '');
        i = end;
        out.push(t);
        if (!dotE(input, t)) sig.push(t);
        sp = false;
        continue;
      } else if (c === 36 /* $ */ && c1 === 36) {
        // Dollar-quoted bodies.
        const close = findPair(input, '$$', i + 2, n); // $$
        const end = close < 0 ? n : close + 2;
        t = new Token('str', i, end, '$', close < 0, sp, '');
        i = end;
      } else if (c === 64 /* @ */ && (isWordStart(c1) || (c1 === 64 && i + 2 < n && isWordStart(u[i + 2]!)))) {
        let j = c1 === 64 ? i + 2 : i + 1;
        while (j < n && (isWordChar(u[j]!) || u[j] === 46)) j++;
        t = new Token('var', i, j, j - i <= WORD_MAX ? input.slice(i, j).toLowerCase() : '@', false, sp, '');
        i = j;
      } else if (c === 64 && (c1 === 39 || c1 === 34 || c1 === 96)) {
        const end = stringEnd(u, i + 2, c1, n);
        t = new Token('var', i, end.end, '@', end.open, sp, '');
        i = end.end;
      } else if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46) {
        // Punctuation.
        t = new Token(PUNCT[c - 40]!, i, i + 1, '', false, sp, '');
        i++;
      } else {
        // Operators.
        const op = operatorAt(input, i);
        if (op !== '') {
          t = new Token('op', i, i + op.length, op, false, sp, '');
          i += op.length;
        } else {
          t = new Token('other', i, i + 1, input[i] ?? '', false, sp, '');
          i++;
        }
      }
      out.push(t);
      sig.push(t);
      sp = false;
    }
    this.i = i;
    this.sp = sp;
    this.versioned = versioned;
  }
}

/**
 * The first line feed in input[from, n), or `n`. Within the range only: string interiors are tokenized as ranges of
 * the value, and a search to the end of the value for each was quadratic (`'/*::x' ` repeated: 4.8 s at 256 KiB).
 */
function lineEnd(input: string, from: number, n: number): number {
  for (let k = from; k < n; k++) if (input.charCodeAt(k) === 10) return k;
  return n;
}

/** Index of the two-character sequence `pair` in input[from, n), or -1 (within the range only, as lineEnd). */
function findPair(input: string, pair: string, from: number, n: number): number {
  const a = pair.charCodeAt(0);
  const b = pair.charCodeAt(1);
  for (let k = from; k + 1 < n; k++) if (input.charCodeAt(k) === a && input.charCodeAt(k + 1) === b) return k;
  return -1;
}

/** The end of the string literal whose content starts at `from` (code units `u`, input end `n`). */
export function stringEnd(u: CodeUnits, from: number, quote: number, n: number): { end: number; open: boolean } {
  let j = from;
  while (j < n) {
    const c = u[j]!;
    if (c === 92 /* \ */ && quote !== 96) {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (j + 1 < n && u[j + 1] === quote) {
        j += 2;
        continue;
      }
      return { end: j + 1, open: false };
    }
    j++;
  }
  return { end: n, open: true };
}

function numberEnd(u: CodeUnits, i: number, n: number): number {
  const c1 = i + 1 < n ? u[i + 1]! | 32 : -1;
  if (u[i] === 48 && (c1 === 120 /* x */ || c1 === 98 /* b */)) {
    let j = i + 2;
    if (c1 === 120) while (j < n && isHex(u[j]!)) j++;
    else while (j < n && (u[j] === 48 || u[j] === 49)) j++;
    if (j > i + 2) return j;
  }
  let j = i;
  while (j < n && isDigit(u[j]!)) j++;
  let dot = false;
  if (j < n && u[j] === 46) {
    dot = true;
    j++;
    while (j < n && isDigit(u[j]!)) j++;
  }
  if (j < n && (u[j]! | 32) === 101 /* e */) {
    const d = j + 1 < n ? u[j + 1]! : -1;
    if (isDigit(d)) j += 1;
    else if ((d === 43 || d === 45) && j + 2 < n && isDigit(u[j + 2]!)) j += 2;
    else if (dot) return j + 1; // MySQL reads `1.e` as a number
    else return j;
    while (j < n && isDigit(u[j]!)) j++;
  }
  return j;
}

/** A copy of the code units of `s` (for streams built without the detector's copy). */
function codeUnitsOf(s: string): Uint16Array {
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

/** N'..', X'..', B'..', E'..', U&'..' (the & is an operator here, so not included), _charset'..'. */
export function isStringPrefix(input: string, i: number, len: number): boolean {
  if (len === 1) {
    const c = input.charCodeAt(i) | 32;
    return c === 110 || c === 120 || c === 98 || c === 101; // n x b e
  }
  return input.charCodeAt(i) === 95 && len >= 4 && len <= 10;
}

export function operatorAt(input: string, i: number): string {
  const c = input.charCodeAt(i);
  const d = input.charCodeAt(i + 1);
  const e = input.charCodeAt(i + 2);
  switch (c) {
    case 60: // <
      if (d === 61) return e === 62 ? '<=>' : '<=';
      if (d === 62) return '<>';
      if (d === 64) return '<@';
      return d === 60 ? '<<' : '<';
    case 62: // >
      if (d === 61) return '>=';
      return d === 62 ? '>>' : '>';
    case 33: // !
      if (d === 61) return e === 61 ? '!==' : '!=';
      if (d === 60) return '!<';
      if (d === 62) return '!>';
      if (d === 126) return e === 42 ? '!~*' : '!~';
      return '!';
    case 61: // =
      if (d === 61) return e === 61 ? '===' : '==';
      return '=';
    case 124: return d === 124 ? '||' : '|';
    case 38: return d === 38 ? '&&' : '&';
    case 58: // :
      if (d === 58) return '::';
      return d === 61 ? ':=' : ':';
    case 45: // - (-- is a comment, handled before)
      if (d === 62) return e === 62 ? '->>' : '->';
      return '-';
    case 64: // @
      if (d === 62) return '@>';
      if (d === 63) return '@?';
      return d === 64 ? '@@' : '@';
    case 126: return d === 42 ? '~*' : '~';
    case 63: // ?
      if (d === 124) return '?|';
      return d === 38 ? '?&' : '?';
    case 35: // # (a comment unless a PostgreSQL JSON path operator)
      if (d === 62) return e === 62 ? '#>>' : '#>';
      return '';
    case 94: return d === 61 ? '^=' : '^';
    case 43: return '+';
    case 42: return '*';
    case 47: return '/';
    case 37: return '%';
    case 92: return '\\';
    default: return '';
  }
}

function lowerSlice(input: string, s: number, e: number): string {
  return e - s <= WORD_MAX ? input.slice(s, e).toLowerCase() : '';
}

/** The text of a token (bounded, for messages and excerpts). */
export function tokenText(input: string, t: Token): string {
  return input.slice(t.s, Math.min(t.e, t.s + 120));
}
