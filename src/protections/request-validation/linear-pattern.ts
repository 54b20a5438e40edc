/**
 * A matcher for the regular expressions of JSON Schema `pattern` and `patternProperties`, in linear time.
 *
 * Schemas come from API descriptions, and their patterns are matched against attacker-controlled strings. A
 * backtracking engine can take exponential time on patterns such as `^(a+)+$`; this one compiles the pattern once
 * (at policy load) into a Thompson NFA and runs it as a Pike VM: every input character is looked at once per NFA
 * state, so matching costs O(input length × pattern size) whatever the pattern.
 *
 * Syntax: ECMAScript with the `u` flag (what ajv uses), without the features that need backtracking:
 * literals, `.`, `[...]` classes with ranges and negation, `\d \D \w \W \s \S`, `\b \B`, `^ $`, groups `( )`,
 * `(?: )`, `(?<name> )`, alternation, `* + ? {n} {n,} {n,m}` (greedy or lazy: the same for a yes/no match),
 * escapes `\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H...}` and escaped syntax characters. Refused with an error at
 * compile time: backreferences, lookaround, Unicode property escapes, repetition counts over 1000 and patterns that
 * compile to more than 20000 NFA instructions.
 */

export interface LinearPattern {
  /** True when the pattern matches somewhere in `input` (RegExp.prototype.test semantics, no flags but `u`). */
  test(input: string): boolean;
  toString(): string;
}

const MAX_COUNT = 1000;
const MAX_PROGRAM = 20_000;
const MAX_NESTING = 100;
const MAX_CODE_POINT = 0x10ffff;

/** Sorted, non-overlapping, non-adjacent inclusive ranges: [lo0, hi0, lo1, hi1, ...]. */
type Ranges = number[];

type Node =
  | { readonly t: 'empty' }
  | { readonly t: 'set'; readonly ranges: Ranges }
  | { readonly t: 'cat'; readonly items: Node[] }
  | { readonly t: 'alt'; readonly items: Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly t: 'assert'; readonly kind: number };

const BOL = 0;
const EOL = 1;
const WORD_BOUNDARY = 2;
const NOT_WORD_BOUNDARY = 3;

function normalise(ranges: readonly number[]): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) { if (hi > out[last]!) out[last] = hi; } else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1);
    next = ranges[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = normalise([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
const SPACE: Ranges = normalise([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f,
  0x3000, 0x3000, 0xfeff, 0xfeff,
]);
const LINE_TERMINATORS: Ranges = normalise([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]);
const DOT = complement(LINE_TERMINATORS);

class PatternSyntaxError extends Error {}

class Parser {
  private readonly source: string;
  private i = 0;
  private depth = 0;

  constructor(source: string) { this.source = source; }

  parse(): Node {
    const node = this.alternation();
    if (this.i < this.source.length) this.fail(this.source[this.i] === ')' ? 'unmatched ")"' : 'unexpected character');
    return node;
  }

  private fail(message: string): never {
    throw new PatternSyntaxError(`${message} at offset ${this.i}`);
  }

  private peek(): number { return this.i < this.source.length ? this.source.codePointAt(this.i)! : -1; }

  private alternation(): Node {
    const items = [this.concatenation()];
    while (this.peek() === 0x7c) { this.i++; items.push(this.concatenation()); }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private concatenation(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === -1 || c === 0x7c || c === 0x29) break;
      items.push(this.quantified());
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quantified(): Node {
    const atom = this.atom();
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === 0x2a) { min = 0; max = Infinity; this.i++; } else if (c === 0x2b) { min = 1; max = Infinity; this.i++; } else if (c === 0x3f) { min = 0; max = 1; this.i++; } else if (c === 0x7b) {
      this.i++;
      min = this.integer();
      max = min;
      if (this.peek() === 0x2c) {
        this.i++;
        max = this.peek() === 0x7d ? Infinity : this.integer();
      }
      if (this.peek() !== 0x7d) this.fail('malformed {n,m} repetition');
      this.i++;
      if (max < min) this.fail('numbers out of order in {n,m}');
    } else {
      return atom;
    }
    if (atom.t === 'assert') this.fail('an assertion cannot be repeated');
    if (this.peek() === 0x3f) this.i++; // lazy: same answer for test()
    const next = this.peek();
    if (next === 0x2a || next === 0x2b || next === 0x3f || next === 0x7b) this.fail('nothing to repeat');
    return { t: 'rep', node: atom, min, max };
  }

  private integer(): number {
    const start = this.i;
    let value = 0;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      value = value * 10 + (this.peek() - 0x30);
      this.i++;
      if (value > MAX_COUNT) this.fail(`repetition counts above ${MAX_COUNT} are not supported`);
    }
    if (this.i === start) this.fail('expected a number in {n,m}');
    return value;
  }

  private atom(): Node {
    const c = this.peek();
    switch (c) {
      case 0x28: return this.group();
      case 0x5b: return { t: 'set', ranges: this.characterClass() };
      case 0x2e: this.i++; return { t: 'set', ranges: DOT };
      case 0x5e: this.i++; return { t: 'assert', kind: BOL };
      case 0x24: this.i++; return { t: 'assert', kind: EOL };
      case 0x5c: return this.escape();
      case 0x2a: case 0x2b: case 0x3f: case 0x7b: return this.fail('nothing to repeat');
      case 0x5d: case 0x7d: return this.fail('lone bracket');
      default:
        this.i += c > 0xffff ? 2 : 1;
        return { t: 'set', ranges: [c, c] };
    }
  }

  private group(): Node {
    this.i++;
    if (++this.depth > MAX_NESTING) this.fail(`groups nested deeper than ${MAX_NESTING}`);
    if (this.peek() === 0x3f) {
      const kind = this.source[this.i + 1];
      if (kind === ':') this.i += 2;
      else if (kind === '=' || kind === '!') this.fail('lookahead is not supported');
      else if (kind === '<' && (this.source[this.i + 2] === '=' || this.source[this.i + 2] === '!')) this.fail('lookbehind is not supported');
      else if (kind === '<') {
        const close = this.source.indexOf('>', this.i + 2);
        if (close === -1 || close === this.i + 2) this.fail('malformed group name');
        for (let k = this.i + 2; k < close; k++) {
          const ch = this.source.charCodeAt(k);
          const ok = (ch >= 0x30 && ch <= 0x39 && k > this.i + 2) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || ch === 0x5f || ch === 0x24;
          if (!ok) this.fail('malformed group name');
        }
        this.i = close + 1;
      } else this.fail('unsupported group syntax');
    }
    const inner = this.alternation();
    if (this.peek() !== 0x29) this.fail('missing ")"');
    this.i++;
    this.depth--;
    return inner;
  }

  /** An escape outside a class: a set, an assertion or a literal. */
  private escape(): Node {
    const e = this.source[this.i + 1];
    if (e === 'b') { this.i += 2; return { t: 'assert', kind: WORD_BOUNDARY }; }
    if (e === 'B') { this.i += 2; return { t: 'assert', kind: NOT_WORD_BOUNDARY }; }
    return { t: 'set', ranges: this.escapeRanges(false) };
  }

  /** The ranges of an escape at `this.i` (the backslash); inside a class `\b` is a backspace. */
  private escapeRanges(inClass: boolean): Ranges {
    this.i++;
    if (this.i >= this.source.length) this.fail('"\\" at the end of the pattern');
    const e = this.source[this.i]!;
    this.i++;
    switch (e) {
      case 'd': return DIGIT;
      case 'D': return complement(DIGIT);
      case 'w': return WORD;
      case 'W': return complement(WORD);
      case 's': return SPACE;
      case 'S': return complement(SPACE);
      case 't': return [0x09, 0x09];
      case 'n': return [0x0a, 0x0a];
      case 'v': return [0x0b, 0x0b];
      case 'f': return [0x0c, 0x0c];
      case 'r': return [0x0d, 0x0d];
      case 'b': if (inClass) return [0x08, 0x08]; break;
      case '-': if (inClass) return [0x2d, 0x2d]; break;
      case '0': {
        const next = this.peek();
        if (next >= 0x30 && next <= 0x39) this.fail('octal escapes are not supported');
        return [0, 0];
      }
      case 'c': {
        const letter = this.peek();
        if ((letter >= 0x41 && letter <= 0x5a) || (letter >= 0x61 && letter <= 0x7a)) { this.i++; return [letter % 32, letter % 32]; }
        return this.fail('malformed \\c escape');
      }
      case 'x': {
        const value = this.hex(2);
        return [value, value];
      }
      case 'u': {
        if (this.peek() === 0x7b) {
          this.i++;
          const start = this.i;
          let value = 0;
          while (this.i < this.source.length && this.source[this.i] !== '}') {
            const digit = hexDigit(this.source.charCodeAt(this.i));
            if (digit < 0) this.fail('malformed \\u{...} escape');
            value = value * 16 + digit;
            if (value > MAX_CODE_POINT) this.fail('code point out of range');
            this.i++;
          }
          if (this.i === start || this.i >= this.source.length) this.fail('malformed \\u{...} escape');
          this.i++;
          return [value, value];
        }
        const value = this.hex(4);
        // A surrogate pair written as two escapes is one code point.
        if (value >= 0xd800 && value <= 0xdbff && this.source.startsWith('\\u', this.i)) {
          const save = this.i;
          this.i += 2;
          const low = this.hexOrNothing(4);
          if (low >= 0xdc00 && low <= 0xdfff) {
            const cp = 0x10000 + (value - 0xd800) * 0x400 + (low - 0xdc00);
            return [cp, cp];
          }
          this.i = save;
        }
        return [value, value];
      }
      case 'p': case 'P': return this.fail('Unicode property escapes are not supported');
      case 'k': return this.fail('named backreferences are not supported');
      default: break;
    }
    const code = e.charCodeAt(0);
    if (code >= 0x31 && code <= 0x39) this.fail('backreferences are not supported');
    // Identity escapes: only syntax characters and "/" (the `u` flag refuses the others).
    if ('^$\\.*+?()[]{}|/'.includes(e)) return [code, code];
    return this.fail(`unknown escape "\\${e}"`);
  }

  private hex(count: number): number {
    const value = this.hexOrNothing(count);
    if (value < 0) this.fail('malformed hexadecimal escape');
    return value;
  }

  private hexOrNothing(count: number): number {
    let value = 0;
    for (let k = 0; k < count; k++) {
      const digit = hexDigit(this.source.charCodeAt(this.i + k));
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    this.i += count;
    return value;
  }

  private characterClass(): Ranges {
    this.i++;
    let negated = false;
    if (this.peek() === 0x5e) { negated = true; this.i++; }
    const ranges: number[] = [];
    for (;;) {
      if (this.i >= this.source.length) this.fail('missing "]"');
      if (this.peek() === 0x5d) { this.i++; break; }
      const first = this.classAtom();
      if (this.peek() === 0x2d && this.source[this.i + 1] !== ']' && this.i + 1 < this.source.length) {
        this.i++;
        const second = this.classAtom();
        if (first.length !== 2 || second.length !== 2 || first[0] !== first[1] || second[0] !== second[1]) this.fail('a class escape cannot bound a range');
        if (second[0]! < first[0]!) this.fail('range out of order in a character class');
        ranges.push(first[0]!, second[0]!);
      } else {
        ranges.push(...first);
      }
    }
    const set = normalise(ranges);
    return negated ? complement(set) : set;
  }

  private classAtom(): Ranges {
    const c = this.peek();
    if (c === 0x5c) return this.escapeRanges(true);
    this.i += c > 0xffff ? 2 : 1;
    return [c, c];
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

// Instructions of the compiled program.
const CHAR = 0;
const SPLIT = 1;
const JMP = 2;
const ASSERT = 3;
const MATCH = 4;

class Program {
  readonly op: number[] = [];
  readonly a: number[] = [];
  readonly b: number[] = [];
  readonly sets: Ranges[] = [];

  emit(op: number, a = 0, b = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new PatternSyntaxError(`the pattern is too large (over ${MAX_PROGRAM} instructions once repetitions are expanded)`);
    this.op.push(op); this.a.push(a); this.b.push(b);
    return this.op.length - 1;
  }

  compile(node: Node): void {
    switch (node.t) {
      case 'empty': return;
      case 'set': this.sets.push(node.ranges); this.emit(CHAR, this.sets.length - 1); return;
      case 'assert': this.emit(ASSERT, node.kind); return;
      case 'cat': for (const item of node.items) this.compile(item); return;
      case 'alt': {
        const jumps: number[] = [];
        for (let k = 0; k < node.items.length - 1; k++) {
          const split = this.emit(SPLIT);
          this.a[split] = split + 1;
          this.compile(node.items[k]!);
          jumps.push(this.emit(JMP));
          this.b[split] = this.op.length;
        }
        this.compile(node.items.at(-1)!);
        for (const jump of jumps) this.a[jump] = this.op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit(SPLIT);
          this.a[split] = split + 1;
          this.compile(node.node);
          this.emit(JMP, split);
          this.b[split] = this.op.length;
          return;
        }
        const splits: number[] = [];
        for (let k = node.min; k < node.max; k++) {
          const split = this.emit(SPLIT);
          this.a[split] = split + 1;
          splits.push(split);
          this.compile(node.node);
        }
        for (const split of splits) this.b[split] = this.op.length;
        return;
      }
    }
  }
}

function isWordCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function inRanges(ranges: Ranges, c: number): boolean {
  let lo = 0;
  let hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < ranges[mid * 2]!) hi = mid - 1;
    else if (c > ranges[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Compiles `source`; throws an Error naming the unsupported construct. */
export function compileLinearPattern(source: string): LinearPattern {
  let tree: Node;
  const program = new Program();
  try {
    tree = new Parser(source).parse();
    program.compile(tree);
    program.emit(MATCH);
  } catch (error) {
    if (error instanceof PatternSyntaxError) throw new Error(`pattern "${source.length > 80 ? source.slice(0, 80) + '...' : source}": ${error.message}`);
    throw error;
  }
  const size = program.op.length;
  const op = Int8Array.from(program.op);
  const a = Int32Array.from(program.a);
  const b = Int32Array.from(program.b);
  // Per set: an ASCII bitmap for the common case, the ranges for the rest.
  const ascii = program.sets.map((ranges) => {
    const map = new Uint8Array(128);
    for (let c = 0; c < 128; c++) if (inRanges(ranges, c)) map[c] = 1;
    return map;
  });
  const sets = program.sets;
  const anchored = op[0] === ASSERT && a[0] === BOL;
  const wordAssertions = program.op.some((code, pc) => code === ASSERT && (program.a[pc] === WORD_BOUNDARY || program.a[pc] === NOT_WORD_BOUNDARY));
  if (!wordAssertions) return lazyDfa(source, op, a, b, ascii, sets, anchored);

  // Work arrays, reused between calls (matching is synchronous).
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const marks = new Uint32Array(size);
  const stack = new Int32Array(size);
  let generation = 0;

  return {
    toString: () => `/${source}/u`,
    test(input: string): boolean {
      const n = input.length;
      let currentCount = 0;
      let nextCount = 0;
      let matched = false;

      /** Adds `start` and everything reachable from it without reading a character, at position `pos`. */
      const addThread = (list: Int32Array, count: number, start: number, pos: number): number => {
        let top = 0;
        stack[top++] = start;
        while (top > 0) {
          const pc = stack[--top]!;
          if (marks[pc] === generation) continue;
          marks[pc] = generation;
          switch (op[pc]) {
            case CHAR: list[count++] = pc; break;
            case MATCH: matched = true; break;
            case JMP: stack[top++] = a[pc]!; break;
            case SPLIT: stack[top++] = b[pc]!; stack[top++] = a[pc]!; break;
            case ASSERT: {
              const kind = a[pc]!;
              let holds: boolean;
              if (kind === BOL) holds = pos === 0;
              else if (kind === EOL) holds = pos === n;
              else {
                const before = pos > 0 && isWordCode(input.charCodeAt(pos - 1));
                const after = pos < n && isWordCode(input.charCodeAt(pos));
                holds = (before !== after) === (kind === WORD_BOUNDARY);
              }
              if (holds) stack[top++] = pc + 1;
              break;
            }
          }
        }
        return count;
      };

      if (++generation === 0xffffffff) { marks.fill(0); generation = 1; }
      currentCount = addThread(current, 0, 0, 0);
      let pos = 0;
      while (!matched) {
        if (pos >= n) break;
        if (currentCount === 0 && anchored) break;
        const c = input.codePointAt(pos)!;
        const width = c > 0xffff ? 2 : 1;
        if (++generation === 0xffffffff) { marks.fill(0); generation = 1; }
        nextCount = 0;
        for (let k = 0; k < currentCount; k++) {
          const pc = current[k]!;
          const set = a[pc]!;
          if (c < 128 ? ascii[set]![c] === 1 : inRanges(sets[set]!, c)) nextCount = addThread(next, nextCount, pc + 1, pos + width);
        }
        pos += width;
        // Unanchored search: a new attempt starts at every position.
        if (!anchored && !matched) nextCount = addThread(next, nextCount, 0, pos);
        const swap = current; current = next; next = swap;
        currentCount = nextCount;
      }
      return matched;
    },
  };
}

/** A state of the lazily built DFA: a set of NFA positions (the CHAR instructions active between two characters). */
interface DfaState {
  /** CHAR instructions reachable, mid-string (`^` and `$` do not hold). */
  readonly chars: Int32Array;
  /** MATCH is reachable mid-string: a match ends here, the search is over. */
  readonly matchMid: boolean;
  /** MATCH is reachable when the input ends here (`$` holds). */
  readonly matchEnd: boolean;
  /** Transitions on ASCII characters, filled on first use. */
  readonly ascii: (DfaState | undefined)[];
  /** Transitions on other code points (bounded). */
  readonly other: Map<number, DfaState>;
}

const MAX_DFA_STATES = 4096;
const MAX_OTHER_TRANSITIONS = 256;

/**
 * The same NFA, run as a DFA built on demand (subset construction, one state per set of NFA positions reached),
 * as RE2 does: after warm-up each character costs one array lookup. Only for patterns without `\b`/`\B`, whose
 * truth depends on the characters around a position rather than on the set of positions. The cache of states is
 * bounded: when full, it is dropped and rebuilt as needed, so time stays linear and memory bounded.
 */
function lazyDfa(source: string, op: Int8Array, a: Int32Array, b: Int32Array, ascii: Uint8Array[], sets: Ranges[], anchored: boolean): LinearPattern {
  const size = op.length;
  const marks = new Uint32Array(size);
  const stack = new Int32Array(size);
  let generation = 0;
  let states = new Map<string, DfaState>();
  /** The start state; dropped with the cache so that the old states become garbage. */
  let initial: DfaState | undefined;

  /** CHAR instructions and MATCH reachable from `kernel` without reading, with `^`/`$` holding or not. */
  const closure = (kernel: readonly number[], atStart: boolean, atEnd: boolean): { chars: number[]; match: boolean } => {
    if (++generation === 0xffffffff) { marks.fill(0); generation = 1; }
    const chars: number[] = [];
    let match = false;
    for (const start of kernel) {
      let top = 0;
      stack[top++] = start;
      while (top > 0) {
        const pc = stack[--top]!;
        if (marks[pc] === generation) continue;
        marks[pc] = generation;
        switch (op[pc]) {
          case CHAR: chars.push(pc); break;
          case MATCH: match = true; break;
          case JMP: stack[top++] = a[pc]!; break;
          case SPLIT: stack[top++] = b[pc]!; stack[top++] = a[pc]!; break;
          case ASSERT: if (a[pc] === BOL ? atStart : atEnd) stack[top++] = pc + 1; break;
        }
      }
    }
    return { chars, match };
  };

  const state = (kernel: number[], atStart: boolean): DfaState => {
    kernel.sort((x, y) => x - y);
    const key = (atStart ? 's' : '') + kernel.join(',');
    const known = states.get(key);
    if (known) return known;
    if (states.size >= MAX_DFA_STATES) { states = new Map(); initial = undefined; }
    const mid = closure(kernel, atStart, false);
    const created: DfaState = {
      chars: Int32Array.from(mid.chars),
      matchMid: mid.match,
      matchEnd: mid.match || closure(kernel, atStart, true).match,
      ascii: new Array<DfaState | undefined>(128),
      other: new Map(),
    };
    states.set(key, created);
    return created;
  };

  const step = (from: DfaState, c: number): DfaState => {
    const kernel: number[] = [];
    for (const pc of from.chars) {
      if (c < 128 ? ascii[a[pc]!]![c] === 1 : inRanges(sets[a[pc]!]!, c)) kernel.push(pc + 1);
    }
    // Unanchored search: a new attempt starts at every position.
    if (!anchored) kernel.push(0);
    return state([...new Set(kernel)], false);
  };

  return {
    toString: () => `/${source}/u`,
    test(input: string): boolean {
      const n = input.length;
      let current = initial ??= state([0], true);
      let pos = 0;
      while (pos < n) {
        if (current.matchMid) return true;
        if (anchored && current.chars.length === 0) return false;
        const c = input.charCodeAt(pos);
        let next: DfaState | undefined;
        if (c < 128) {
          next = current.ascii[c];
          if (next === undefined) { next = step(current, c); current.ascii[c] = next; }
          pos++;
        } else {
          const cp = input.codePointAt(pos)!;
          next = current.other.get(cp);
          if (next === undefined) {
            next = step(current, cp);
            if (current.other.size < MAX_OTHER_TRANSITIONS) current.other.set(cp, next);
          }
          pos += cp > 0xffff ? 2 : 1;
        }
        current = next;
      }
      return current.matchEnd;
    },
  };
}
