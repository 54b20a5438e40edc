/**
 * A small, tolerant JavaScript lexer for the XSS detector. It never throws and runs in time linear in the text it
 * is asked to read: every branch consumes at least one character. It knows enough of the grammar to tell code from
 * prose: identifiers, numbers, strings, template literals (with `${` substitutions), regular-expression literals
 * (decided by the previous token, as a parser would), punctuators, and the comments JavaScript accepts (`//`,
 * `/* *\/`, and the HTML-like `<!--` and line-leading `-->`). A quote that is not closed on its line is reported as
 * a BADQUOTE token and lexing resumes after it, so prose with apostrophes keeps its later tokens visible.
 */

export const TK_EOF = 0;
export const TK_IDENT = 1;
export const TK_NUM = 2;
export const TK_STR = 3;
/** A template literal without substitutions. */
export const TK_TMPL = 4;
/** `` `...${ `` */
export const TK_TMPL_HEAD = 5;
/** `}...${` */
export const TK_TMPL_MID = 6;
/** `` }...` `` */
export const TK_TMPL_TAIL = 7;
export const TK_REGEX = 8;
export const TK_PUNCT = 9;
/** A quote whose string is not closed before the end of the line or of the text. */
export const TK_BADQUOTE = 10;
/** A character that cannot start any token (`#`, `@`, a stray backslash...). */
export const TK_INVALID = 11;

/** Keywords after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield',
  'await', 'extends',
]);

const REGEX_FLAGS = 'dgimsuyv';

/** White space as ECMAScript defines it (besides the ASCII ones). */
export function isJsSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}

export function isJsNewline(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

export function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x24 || c === 0x5f ||
    (c >= 0x80 && !isJsSpace(c) && !isJsNewline(c) && c !== 0x2018 && c !== 0x2019 && c !== 0x201c && c !== 0x201d);
}

export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x200c || c === 0x200d;
}

export class JsLexer {
  src = '';
  pos = 0;
  limit = 0;
  /** Current token. */
  type = TK_EOF;
  start = 0;
  end = 0;
  /** A line terminator stood between the previous token and this one. */
  nl = false;
  /** A comment stood between the previous token and this one. */
  comment = false;
  /** The previous token ends an operand (so `/` divides). */
  private afterOperand = false;
  /** Open `{` (0) and template substitutions (1). */
  private braces: number[] = [];
  /** Only white space or comments so far on the current line (for `-->`). */
  private lineStart = true;
  /** Whether `//`, `<!--` and `-->` start comments (off when scanning prose or URLs for fragments of code). */
  private lineComments = true;
  /** Start of the first line comment met since `reset`, or -1. */
  firstLineComment = -1;
  /**
   * The last string that did not close, per quote (0: `"`, 1: `'`): where its quote was and where the reading
   * stopped (see readString). -1: none since `reset`.
   */
  private readonly stringFailFrom = [-1, -1];
  private readonly stringFailEnd = [-1, -1];
  /**
   * The last regular expression that did not close (see readRegex): where its `/` was, where the reading stopped,
   * and for each position in between how it was read: 1 a character outside a class, 2 one inside, 0 the second
   * character of an escape.
   */
  private regexFailFrom = -1;
  private regexFailEnd = -1;
  private regexStates: Uint8Array | null = null;

  reset(src: string, from: number, to: number, afterOperand = false, lineComments = true): this {
    this.lineComments = lineComments;
    this.firstLineComment = -1;
    this.src = src;
    this.pos = from;
    this.limit = to;
    this.type = TK_EOF;
    this.start = from;
    this.end = from;
    this.nl = false;
    this.comment = false;
    this.afterOperand = afterOperand;
    this.braces.length = 0;
    this.lineStart = !afterOperand;
    this.stringFailFrom[0] = -1;
    this.stringFailFrom[1] = -1;
    this.regexFailFrom = -1;
    return this;
  }

  /** The text of the current token. */
  text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** True when the current token is the punctuator `p`. */
  is(p: string): boolean {
    if (this.type !== TK_PUNCT || this.end - this.start !== p.length) return false;
    for (let k = 0; k < p.length; k++) if (this.src.charCodeAt(this.start + k) !== p.charCodeAt(k)) return false;
    return true;
  }

  /** True when the current token is the identifier `name`. */
  isIdent(name: string): boolean {
    if (this.type !== TK_IDENT || this.end - this.start !== name.length) return false;
    return this.src.startsWith(name, this.start);
  }

  next(): number {
    const s = this.src;
    const n = this.limit;
    this.nl = false;
    this.comment = false;
    // White space and comments.
    while (this.pos < n) {
      const c = s.charCodeAt(this.pos);
      if (isJsSpace(c)) { this.pos++; continue; }
      if (isJsNewline(c)) { this.pos++; this.nl = true; this.lineStart = true; continue; }
      if (c === 0x2f && this.pos + 1 < n) {
        const d = s.charCodeAt(this.pos + 1);
        if (d === 0x2f && this.lineComments) { this.skipLine(); continue; }
        if (d === 0x2a) {
          // (the `*/` before the limit only: the text may go on far past it)
          let close = this.pos + 2;
          while (close + 1 < n && !(s.charCodeAt(close) === 0x2a && s.charCodeAt(close + 1) === 0x2f)) close++;
          const stop = close + 1 < n ? close + 2 : n;
          for (let k = this.pos + 2; k < stop; k++) if (isJsNewline(s.charCodeAt(k))) { this.nl = true; this.lineStart = true; break; }
          this.pos = stop;
          this.comment = true;
          continue;
        }
      }
      if (this.lineComments) {
        if (c === 0x3c && s.startsWith('<!--', this.pos) && this.pos + 4 <= n) { this.skipLine(); continue; }
        if (c === 0x2d && this.lineStart && s.startsWith('-->', this.pos) && this.pos + 3 <= n) { this.skipLine(); continue; }
      }
      break;
    }
    this.start = this.pos;
    if (this.pos >= n) {
      this.type = TK_EOF;
      this.end = n;
      return TK_EOF;
    }
    this.lineStart = false;
    const c = s.charCodeAt(this.pos);
    let t: number;
    if (isIdentStart(c) || (c === 0x5c && s.charCodeAt(this.pos + 1) === 0x75)) {
      this.readIdent();
      t = TK_IDENT;
      const len = this.pos - this.start;
      this.afterOperand = !(len >= 2 && len <= 10 && c >= 0x61 && c <= 0x79 && REGEX_AFTER.has(s.slice(this.start, this.pos)));
    } else if ((c >= 0x30 && c <= 0x39) || (c === 0x2e && isDigit(s.charCodeAt(this.pos + 1)))) {
      this.readNumber();
      t = TK_NUM;
      this.afterOperand = true;
    } else if (c === 0x22 || c === 0x27) {
      t = this.readString(c);
      this.afterOperand = true;
    } else if (c === 0x60) {
      this.pos++;
      t = this.readTemplate(true);
      this.afterOperand = t !== TK_TMPL_HEAD;
    } else if (c === 0x7d && this.braces.length > 0 && this.braces[this.braces.length - 1] === 1) {
      this.braces.pop();
      this.pos++;
      t = this.readTemplate(false);
      this.afterOperand = t !== TK_TMPL_MID;
    } else if (c === 0x2f && !this.afterOperand && s.charCodeAt(this.pos + 1) !== 0x2f && this.readRegex()) {
      t = TK_REGEX;
      this.afterOperand = true;
    } else {
      t = this.readPunct();
    }
    this.type = t;
    this.end = this.pos;
    return t;
  }

  private skipLine(): void {
    const s = this.src;
    if (this.firstLineComment === -1) this.firstLineComment = this.pos;
    while (this.pos < this.limit && !isJsNewline(s.charCodeAt(this.pos))) this.pos++;
    this.comment = true;
  }

  private readIdent(): void {
    const s = this.src;
    const n = this.limit;
    while (this.pos < n) {
      const c = s.charCodeAt(this.pos);
      if (isIdentPart(c)) { this.pos++; continue; }
      if (c === 0x5c && s.charCodeAt(this.pos + 1) === 0x75) { this.pos += 2; continue; }
      break;
    }
  }

  private readNumber(): void {
    const s = this.src;
    const n = this.limit;
    while (this.pos < n) {
      const c = s.charCodeAt(this.pos);
      if (isDigit(c) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2e) {
        this.pos++;
        if ((c === 0x65 || c === 0x45) && this.pos < n) {
          const d = s.charCodeAt(this.pos);
          if (d === 0x2b || d === 0x2d) this.pos++;
        }
        continue;
      }
      break;
    }
  }

  private readString(q: number): number {
    const s = this.src;
    const n = this.limit;
    const p = this.pos;
    const which = q === 0x27 ? 1 : 0;
    // A quote that the last unclosed string of this quote read past does not close either: that reading met it as
    // the second character of an escape (else it would have closed there), so it read on from the character after
    // it, where this one starts, and found no closing quote. (Read again, `\'\'\'…` was quadratic.)
    if (this.stringFailFrom[which]! >= 0 && this.stringFailFrom[which]! < p && p < this.stringFailEnd[which]!) {
      this.pos++;
      return TK_BADQUOTE;
    }
    let k = p + 1;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (c === q) {
        this.pos = k + 1;
        return TK_STR;
      }
      if (c === 0x5c) { k += 2; continue; }
      if (c === 0x0a || c === 0x0d) break;
      k++;
    }
    // Not closed on this line: the quote alone is the token; lexing goes on after it.
    this.stringFailFrom[which] = p;
    this.stringFailEnd[which] = k;
    this.pos++;
    return TK_BADQUOTE;
  }

  /** Reads template characters after `` ` `` (head) or `}` (continuation) up to `` ` `` or `${`. */
  private readTemplate(head: boolean): number {
    const s = this.src;
    const n = this.limit;
    let k = this.pos;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (c === 0x60) {
        this.pos = k + 1;
        return head ? TK_TMPL : TK_TMPL_TAIL;
      }
      if (c === 0x5c) { k += 2; continue; }
      if (c === 0x24 && s.charCodeAt(k + 1) === 0x7b && k + 1 < n) {
        this.pos = k + 2;
        this.braces.push(1);
        return head ? TK_TMPL_HEAD : TK_TMPL_MID;
      }
      k++;
    }
    this.pos = n;
    // An unterminated template runs to the end of the text.
    return head ? TK_BADQUOTE : TK_TMPL_TAIL;
  }

  /**
   * Tries a regular-expression literal at `/`; false (nothing consumed) when it does not close on its line.
   *
   * A `/` that fails is read as division and the next `/` is tried, so a line of `[/[/[/…` (a class never closed
   * hides every later `/`) was read to its end from each of them: quadratic. The last failing reading is kept
   * (regexStates), and a later one that reaches a character the failing one read in the same state (outside or
   * inside a class, not halfway through an escape) reads on exactly as it did from there, so it fails too, at once.
   * Until then the two differ only in being inside a class or not, which the next `[`, `]` or `/` settles.
   */
  private readRegex(): boolean {
    const s = this.src;
    const n = this.limit;
    const p = this.pos;
    const within = this.regexFailFrom >= 0 && this.regexFailFrom < p && p < this.regexFailEnd;
    let states = this.regexStates;
    if (!within) {
      if (states === null || states.length < n + 1) states = this.regexStates = new Uint8Array(Math.max(n + 1, 1024));
    }
    let k = p + 1;
    let inClass = false;
    while (k < n) {
      if (within) {
        if (k < this.regexFailEnd && states![k] === (inClass ? 2 : 1)) return false;
      } else states![k] = inClass ? 2 : 1;
      const c = s.charCodeAt(k);
      if (isJsNewline(c)) break;
      if (c === 0x5c) {
        if (!within && k + 1 < n) states![k + 1] = 0;
        k += 2;
        continue;
      }
      if (c === 0x5b) inClass = true;
      else if (c === 0x5d) inClass = false;
      else if (c === 0x2f && !inClass) {
        k++;
        // Flags are these letters only; `/get/javascript` is a path, not a regular expression with flags.
        while (k < n && REGEX_FLAGS.indexOf(s[k]) !== -1) k++;
        this.pos = k;
        return true;
      }
      k++;
    }
    if (!within) {
      this.regexFailFrom = p;
      this.regexFailEnd = Math.min(k, n);
    }
    return false;
  }

  private readPunct(): number {
    const s = this.src;
    const p = this.pos;
    const n = this.limit;
    const c = s.charCodeAt(p);
    const len = punctLength(c, p + 1 < n ? s.charCodeAt(p + 1) : -1, p + 2 < n ? s.charCodeAt(p + 2) : -1,
      p + 3 < n ? s.charCodeAt(p + 3) : -1);
    if (len === 0) {
      this.pos = p + 1;
      this.afterOperand = false;
      return TK_INVALID;
    }
    if (len === 1 && c === 0x7b) this.braces.push(0);
    else if (len === 1 && c === 0x7d && this.braces.length > 0) this.braces.pop();
    this.pos = p + len;
    // `)`, `]`, `}` and postfix `++`/`--` end an operand; everything else expects one.
    this.afterOperand = len === 1 ? (c === 0x29 || c === 0x5d || c === 0x7d)
      : (len === 2 && (c === 0x2b || c === 0x2d) && s.charCodeAt(p + 1) === c);
    return TK_PUNCT;
  }
}

/** Length of the punctuator starting with the code points c, d, e, f (-1 past the end); 0 when none. */
function punctLength(c: number, d: number, e: number, f: number): number {
  switch (c) {
    case 0x7b: case 0x7d: case 0x28: case 0x29: case 0x5b: case 0x5d: case 0x3b: case 0x2c: case 0x7e: case 0x3a:
      return 1;
    case 0x2e: // .
      return d === 0x2e && e === 0x2e ? 3 : 1;
    case 0x3f: // ?
      if (d === 0x3f) return e === 0x3d ? 3 : 2;
      if (d === 0x2e && !isDigit(e)) return 2;
      return 1;
    case 0x3d: // =
      if (d === 0x3d) return e === 0x3d ? 3 : 2;
      return d === 0x3e ? 2 : 1;
    case 0x21: // !
      if (d === 0x3d) return e === 0x3d ? 3 : 2;
      return 1;
    case 0x2b: case 0x2d: // + -
      return d === c || d === 0x3d ? 2 : 1;
    case 0x2a: // *
      if (d === 0x2a) return e === 0x3d ? 3 : 2;
      return d === 0x3d ? 2 : 1;
    case 0x2f: case 0x25: case 0x5e: // / % ^
      return d === 0x3d ? 2 : 1;
    case 0x26: case 0x7c: // & |
      if (d === c) return e === 0x3d ? 3 : 2;
      return d === 0x3d ? 2 : 1;
    case 0x3c: // <
      if (d === 0x3c) return e === 0x3d ? 3 : 2;
      return d === 0x3d ? 2 : 1;
    case 0x3e: // >
      if (d === 0x3e) {
        if (e === 0x3e) return f === 0x3d ? 4 : 3;
        return e === 0x3d ? 3 : 2;
      }
      return d === 0x3d ? 2 : 1;
    default:
      return 0;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
