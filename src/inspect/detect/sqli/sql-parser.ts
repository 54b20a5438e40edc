/**
 * A tolerant recursive-descent SQL parser over the tokens of sql-tokenizer.ts. It does not build a tree: it walks
 * expressions, queries and statements the way a database would, stops at the first token that cannot continue
 * (status FAIL) or at the end of the input (status EOF: the fragment may be a truncated but valid prefix), and
 * records facts on the way (comparisons between constants, logical operators, function calls by family,
 * subqueries, UNION, stacked statements, system catalogs, file writes).
 *
 * Linear: every token is consumed at most once per parser, there is no backtracking beyond a fixed lookahead, and
 * nesting is bounded (deeper input fails instead of recursing).
 *
 * The parser reads a TokenStream, which tokenizes on demand: every read of a token index goes through `has`, which
 * reads the input up to that token, so a parse that fails on its second token never tokenizes the rest of a long
 * value. The result is the same as over the complete token list: `has(i)` is true exactly when token i exists and
 * lies before the parser's limit.
 */
import type { Token, TokenStream } from './sql-tokenizer.ts';
import {
  CATALOGS, CLAUSE_WORDS, F_ERROR, F_EXEC, F_FILE, F_INFO, F_NEEDS_SQL_ARG, F_OOB, F_TIME, FUNCTIONS, OBJECT_KINDS,
  RESERVED, STATEMENT_WORDS,
} from './sql-lexicon.ts';

export const ST_OK = 0;
export const ST_EOF = 1;
export const ST_FAIL = 2;

const MAX_DEPTH = 48;

// Value flags of a parsed (sub)expression.
export const V_CONST = 1; // made only of literals, operators and function calls on literals
export const V_CMP = 2; // the result of a comparison
export const V_SUB = 4; // contains a subquery
export const V_CALL = 8; // a function call or a parenthesized expression

/** A parsed operand: flags plus, for a bare column name, the name (to see `x = x`). */
export interface Val {
  readonly f: number;
  readonly id: string;
}

/** Comparison operators that only SQL writes this way. */
const SQL_CMP_OPS: ReadonlySet<string> = new Set(['<>', '!=', '<=>', '!<', '!>']);

const JSON_OPS: ReadonlySet<string> = new Set(['@>', '<@', '?', '?|', '?&', '@?', '@@', '#>', '#>>', '->', '->>']);

/** Reserved words that are also functions when a `(` follows (SQLite like(), glob(); MySQL insert(), values()). */
/** Words and a blank or a bracket between them, as a name with a space is written (`Story Points[Number]`). */
const DOUBLE_QUOTED_NAME = /^[A-Za-z][\w.]*(?:[ [\]][\w.]*){1,6}$/;

const CALLABLE_KEYWORDS: ReadonlySet<string> = new Set(['values', 'insert', 'replace', 'like', 'glob', 'regexp', 'match',
  // PostgreSQL's postfix operators, MySQL's and SQL Server's functions (`ISNULL(x)`)
  'isnull', 'notnull']);

/** Words with their own syntax in operand position (checked before treating `word(` as a call). */
const SPECIAL_PRIMARY: ReadonlySet<string> = new Set(['case', 'all', 'any', 'some', 'interval', 'array', 'null', 'true',
  'false', 'unknown', 'date', 'time', 'timestamp']);

/** Type names after a PostgreSQL `::` cast that make it unmistakable SQL. */
export const CAST_TYPES: ReadonlySet<string> = new Set([
  'int', 'int2', 'int4', 'int8', 'integer', 'bigint', 'smallint', 'numeric', 'decimal', 'real', 'float', 'float4',
  'float8', 'double', 'text', 'varchar', 'char', 'bpchar', 'bool', 'boolean', 'json', 'jsonb', 'bytea', 'date',
  'timestamp', 'timestamptz', 'regclass', 'regproc', 'oid', 'xml', 'uuid', 'inet', 'money', 'interval', 'name',
]);

const CONST: Val = { f: V_CONST, id: '' };
const NONE: Val = { f: 0, id: '' };

// Operator kinds.
const K_LOGIC = 1;
const K_CMP = 2;
const K_ARITH = 3;
const K_IS = 4;
const K_IN = 5;
const K_BETWEEN = 6;
const K_POSTNULL = 7;
const K_ASSIGN = 8;
const K_LIKE = 9;

// Statement strength (stacked queries, whole-value statements).
export const STMT_NONE = 0;
export const STMT_WEAK = 1; // a statement keyword and something that parses, nothing SQL-specific
export const STMT_STRONG = 2; // unmistakably a statement (DROP TABLE x, EXEC xp_.., SELECT .. FROM .. WHERE ..)

export interface Facts {
  logical: number;
  /** Comparisons whose sides are both constant, or the same column (`1=1`, `'a'='a'`, `x=x`, `2>1`). */
  constCmp: number;
  /** Comparisons involving a column or function of a column. */
  colCmp: number;
  /** Comparisons of a thing with itself (`1=1`, `'a' LIKE 'a'`, `x=x`). */
  sameCmp: number;
  /**
   * Comparisons written the way only SQL writes them, with an operand of SQL shape: `<>`, `!=`, `<=>`,
   * `IS [NOT] NULL`, `[NOT] IN (list)`, `[NOT] LIKE/REGEXP/SOUNDS LIKE <literal>`, `BETWEEN a AND b`.
   */
  sqlOpCmp: number;
  /** Arithmetic and bit operators between operands (`x'-email--`, `' * 2`). */
  arith: number;
  /** A logical operator whose right operand is a bare constant (`OR 1`, `OR true`, `|| 'a'`). */
  constLogic: number;
  /** A logical operator whose right operand is a bare name (`... and void`): prose more than SQL. */
  identLogic: number;
  /** Logical operators glued to quotes on both sides (`'OR'`, `'||'`). */
  gluedLogic: number;
  /** Function calls: all, and those of known SQL functions; union of their flags. */
  calls: number;
  sqlCalls: number;
  fnFlags: number;
  subqueries: number;
  selects: number;
  unions: number;
  /** Statements after `;` (or MSSQL statements without it). */
  stacked: number;
  /** ORDER BY / GROUP BY with a column number (column-count probing). */
  orderProbe: number;
  /** SQL-only syntax: `*` select lists, `::` casts, CASE, @@variables, hex literals, backtick names, LIMIT n. */
  sqlish: number;
  /** Best (lowest) catalog tier seen as a table or a qualified name; 0 if none. */
  catalogTier: number;
  intoFile: number;
  /** PostgreSQL `::json` / `::jsonb` casts. */
  jsonCast: number;
  /** PostgreSQL JSON operators (@>, <@, ?, ?|, ?&, @?, @@, #>, #>>, ->, ->>). */
  jsonOp: number;
}

export function newFacts(): Facts {
  return {
    logical: 0, constCmp: 0, colCmp: 0, sameCmp: 0, sqlOpCmp: 0, arith: 0, identLogic: 0, constLogic: 0, gluedLogic: 0, calls: 0, sqlCalls: 0, fnFlags: 0,
    subqueries: 0, selects: 0, unions: 0, stacked: 0, orderProbe: 0, sqlish: 0, catalogTier: 0, intoFile: 0,
    jsonCast: 0, jsonOp: 0,
  };
}

/** A function call seen by the parser. */
export interface CallInfo {
  readonly name: string;
  /** Function flags (F_*), with F_ERROR dropped for geometry/exp calls without a SQL argument. */
  readonly flags: number;
  /** Token index of the name (of its first part when qualified) and its input offset. */
  readonly index: number;
  readonly at: number;
  /** Token index of the `(`. */
  readonly paren: number;
  /** `name()`. */
  readonly emptyArgs: boolean;
  /** The input ends right after `name(`. */
  readonly truncatedAtParen: boolean;
  /** The parse failed inside the call. */
  readonly failed: boolean;
  /** Inside the arguments: SQL function calls, subqueries, SQL-only syntax, and the union of inner flags. */
  readonly innerCalls: number;
  readonly innerSubqueries: number;
  readonly innerSqlish: number;
  readonly innerFlags: number;
  /** Comparisons inside the arguments; the number of arguments. */
  readonly innerCmp: number;
  readonly args: number;
}

export interface OpInfo {
  readonly prec: number;
  readonly kind: number;
  readonly n: number;
}

// The operator descriptions opInfo returns (shared, read only; n: the tokens of the operator, as in NOT LIKE).
const OP_OR: OpInfo = { prec: 1, kind: K_LOGIC, n: 1 };
const OP_ASSIGN: OpInfo = { prec: 1, kind: K_ASSIGN, n: 1 };
const OP_AND: OpInfo = { prec: 2, kind: K_LOGIC, n: 1 };
const OP_COMPARE: OpInfo = { prec: 4, kind: K_CMP, n: 1 };
const OP_LIKE: OpInfo = { prec: 4, kind: K_LIKE, n: 1 };
const OP_LIKE_2: OpInfo = { prec: 4, kind: K_LIKE, n: 2 };
const OP_LIKE_3: OpInfo = { prec: 4, kind: K_LIKE, n: 3 };
const OP_IS: OpInfo = { prec: 4, kind: K_IS, n: 1 };
const OP_IN: OpInfo = { prec: 4, kind: K_IN, n: 1 };
const OP_NOT_IN: OpInfo = { prec: 4, kind: K_IN, n: 2 };
const OP_BETWEEN: OpInfo = { prec: 4, kind: K_BETWEEN, n: 1 };
const OP_NOT_BETWEEN: OpInfo = { prec: 4, kind: K_BETWEEN, n: 2 };
const OP_POSTNULL: OpInfo = { prec: 4, kind: K_POSTNULL, n: 1 };
const OP_BIT_OR: OpInfo = { prec: 5, kind: K_ARITH, n: 1 };
const OP_BIT_AND: OpInfo = { prec: 6, kind: K_ARITH, n: 1 };
const OP_SHIFT: OpInfo = { prec: 7, kind: K_ARITH, n: 1 };
const OP_ADD: OpInfo = { prec: 8, kind: K_ARITH, n: 1 };
const OP_MULTIPLY: OpInfo = { prec: 9, kind: K_ARITH, n: 1 };
const OP_POWER: OpInfo = { prec: 10, kind: K_ARITH, n: 1 };
const OP_JSON_PATH: OpInfo = { prec: 11, kind: K_ARITH, n: 1 };

export class SqlParser {
  /** The significant tokens read so far (the stream's array: it grows as `has` reads further). */
  readonly t: readonly Token[];
  readonly src: TokenStream;
  readonly input: string;
  pos: number;
  /** Exclusive bound on token indexes (a local check's budget); Infinity: to the end of the tokens. */
  readonly limit: number;
  st: number = ST_OK;
  depth = 0;
  /** Nesting bound: deeper input fails. Local checks use a small one. */
  maxDepth = MAX_DEPTH;
  /** Token index where the nesting bound was hit (-1: never). */
  depthFailAt = -1;
  /** When set, every function call parsed is described here (innermost first). */
  callList: CallInfo[] | undefined = undefined;
  readonly facts: Facts;

  constructor(input: string, src: TokenStream, start: number, limit = Infinity, facts: Facts = newFacts()) {
    this.input = input;
    this.src = src;
    this.t = src.sig;
    this.pos = start;
    this.limit = limit;
    this.facts = facts;
  }

  /** Whether token `i` exists within the parser's range (tokenizing up to it if needed). */
  has(i: number): boolean {
    return i < this.limit && (i < this.t.length || this.src.fill(i));
  }

  /** The end of the parser's range: min(limit, number of tokens). Tokenizes everything. */
  get end(): number {
    this.src.fillAll();
    return Math.min(this.limit, this.t.length);
  }

  status(): number {
    return this.st;
  }

  get ok(): boolean {
    return this.st === ST_OK;
  }

  peek(o = 0): Token | undefined {
    const i = this.pos + o;
    return this.has(i) ? this.t[i] : undefined;
  }

  /** True when the token at offset `o` is the word `w`. */
  isWord(o: number, w: string): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === 'word' && t.w === w;
  }

  isKind(o: number, k: string): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === k;
  }

  isOp(o: number, w: string): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === 'op' && t.w === w;
  }

  isOther(o: number, ch: string): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === 'other' && t.w === ch;
  }

  /** At the end: records EOF and returns true. */
  atEnd(): boolean {
    if (!this.has(this.pos)) {
      if (this.st === ST_OK) this.st = ST_EOF;
      return true;
    }
    return false;
  }

  fail(): void {
    if (this.st === ST_OK) this.st = ST_FAIL;
  }

  /** Consumes a token of kind `k` or fails (EOF when the input ends). */
  expect(k: string): boolean {
    if (this.st !== ST_OK || this.atEnd()) return false;
    if (this.t[this.pos]!.k === k) {
      this.pos++;
      return true;
    }
    this.fail();
    return false;
  }

  expectWord(w: string): boolean {
    if (this.st !== ST_OK || this.atEnd()) return false;
    if (this.isWord(0, w)) {
      this.pos++;
      return true;
    }
    this.fail();
    return false;
  }

  private enter(): boolean {
    if (++this.depth > this.maxDepth) {
      if (this.depthFailAt < 0 && this.st === ST_OK) this.depthFailAt = this.pos;
      this.fail();
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- expressions

  parseExpr(minPrec = 0): Val {
    if (this.st !== ST_OK) return NONE;
    if (!this.enter()) {
      this.depth--;
      return NONE;
    }
    const left = this.parseUnary();
    const v = this.parseBinaryRest(left, minPrec);
    this.depth--;
    return v;
  }

  opInfo(): OpInfo | undefined {
    const t = this.peek();
    if (t === undefined) return undefined;
    if (t.k === 'op') {
      switch (t.w) {
        case '||': return OP_OR;
        case '&&': return OP_AND;
        case ':=': return OP_ASSIGN;
        case '=': case '==': case '===': case '<=>': case '<': case '>': case '<=': case '>=': case '<>': case '!=':
        case '!==': case '!<': case '!>': case '~': case '~*': case '!~': case '!~*': case '@>': case '<@': case '?':
        case '?|': case '?&': case '@?': case '@@':
          return OP_COMPARE;
        case '|': return OP_BIT_OR;
        case '&': return OP_BIT_AND;
        case '<<': case '>>': return OP_SHIFT;
        case '+': case '-': return OP_ADD;
        case '*': case '/': case '%': return OP_MULTIPLY;
        case '^': return OP_POWER;
        case '->': case '->>': case '#>': case '#>>': return OP_JSON_PATH;
        default: return undefined;
      }
    }
    if (t.k !== 'word') return undefined;
    switch (t.w) {
      case 'or': case 'xor': return OP_OR;
      case 'and': return OP_AND;
      case 'like': case 'rlike': case 'regexp': case 'ilike': case 'glob': case 'match':
        return OP_LIKE;
      case 'similar': return this.isWord(1, 'to') ? OP_LIKE_2 : undefined;
      case 'sounds': return this.isWord(1, 'like') ? OP_LIKE_2 : undefined;
      case 'is': return OP_IS;
      case 'in': return OP_IN;
      case 'between': return OP_BETWEEN;
      case 'isnull': case 'notnull': return this.isKind(1, '(') ? undefined : OP_POSTNULL;
      case 'div': case 'mod': return OP_MULTIPLY;
      case 'not': {
        const next = this.peek(1);
        if (next === undefined || next.k !== 'word') return undefined;
        switch (next.w) {
          case 'like': case 'rlike': case 'regexp': case 'ilike': case 'glob': case 'match':
            return OP_LIKE_2;
          case 'similar': return this.isWord(2, 'to') ? OP_LIKE_3 : undefined;
          case 'in': return OP_NOT_IN;
          case 'between': return OP_NOT_BETWEEN;
          default: return undefined;
        }
      }
      default: return undefined;
    }
  }

  parseBinaryRest(first: Val, minPrec: number): Val {
    let left = first;
    for (;;) {
      if (this.st !== ST_OK) return left;
      const op = this.opInfo();
      if (op === undefined || op.prec < minPrec) return left;
      this.pos += op.n;
      let right: Val;
      switch (op.kind) {
        case K_LOGIC: {
          // 'OR', '||' with both sides glued to quotes: an operator quoted as a word, as prose and code write it.
          const opTok = this.t[this.pos - 1]!;
          const before = this.t[this.pos - 1 - op.n];
          const next = this.peek();
          if (before !== undefined && before.k === 'str' && !opTok.sp && next !== undefined && next.k === 'str' && !next.sp) {
            this.facts.gluedLogic++;
          }
          right = this.parseExpr(op.prec + 1);
          this.facts.logical++;
          if ((right.f & V_CONST) !== 0 && (right.f & V_CMP) === 0 && this.status() !== ST_FAIL) this.facts.constLogic++;
          if (right.f === 0 && right.id !== '' && !right.id.startsWith('#')) this.facts.identLogic++;
          left = { f: left.f & right.f & V_CONST | ((left.f | right.f) & V_SUB), id: '' };
          break;
        }
        case K_CMP:
        case K_LIKE:
        {
          const opWord = this.t[this.pos - 1]!.w;
          if (op.kind === K_CMP && JSON_OPS.has(opWord)) this.facts.jsonOp++;
          right = this.parseExpr(op.prec + 1);
          if (op.kind === K_LIKE && this.isWord(0, 'escape')) {
            this.pos++;
            this.parseExpr(8);
          }
          const sqlShaped = op.kind === K_LIKE ? (right.f & V_CONST) !== 0 && (right.f & V_CALL) === 0 : SQL_CMP_OPS.has(opWord);
          if (sqlShaped && this.status() === ST_OK) this.facts.sqlOpCmp++;
          left = this.compare(left, right);
          break;
        }
        case K_IS: {
          if (this.isWord(0, 'not')) this.pos++;
          const t = this.peek();
          if (t !== undefined && t.k === 'word' && (t.w === 'null' || t.w === 'true' || t.w === 'false' || t.w === 'unknown')) {
            this.pos++;
            right = CONST;
            this.facts.sqlOpCmp++;
          } else if (this.isWord(0, 'distinct') && this.isWord(1, 'from')) {
            this.pos += 2;
            right = this.parseExpr(5);
          } else {
            right = this.parseExpr(5);
            if ((right.f & V_CONST) !== 0 && this.status() === ST_OK) this.facts.sqlOpCmp++;
          }
          left = this.compare(left, right);
          break;
        }
        case K_IN:
          right = this.parseInList();
          if (this.status() === ST_OK) this.facts.sqlOpCmp++;
          left = this.compare(left, right);
          break;
        case K_BETWEEN: {
          const a = this.parseExpr(5);
          this.expectWord('and');
          const b = this.parseExpr(5);
          if (this.status() === ST_OK) this.facts.sqlOpCmp++;
          left = this.compare(left, { f: a.f & b.f & V_CONST, id: '' });
          break;
        }
        case K_POSTNULL:
          this.facts.sqlOpCmp++;
          left = this.compare(left, CONST);
          break;
        case K_ASSIGN:
          right = this.parseExpr(1);
          left = { f: right.f & V_SUB, id: '' };
          break;
        default: // K_ARITH
          if (JSON_OPS.has(this.t[this.pos - 1]!.w)) this.facts.jsonOp++;
          this.facts.arith++;
          right = this.parseExpr(op.prec + 1);
          left = { f: (left.f & right.f & V_CONST) | ((left.f | right.f) & V_SUB), id: '' };
          break;
      }
    }
  }

  /** A short literal keeps its text as `id` (prefixed with #) so that `1=1` and `'a'='a'` are seen as the same. */
  private literal(t: Token): Val {
    if (t.k === 'str' && t.w === '"' && !t.open && DOUBLE_QUOTED_NAME.test(this.input.slice(t.s + 1, t.e - 1))) {
      // `"Story Points[Number]" > 3` (Jira's JQL), `"order date"`: a double-quoted name with a blank or a bracket is
      // a column, as standard SQL reads double quotes, not a constant
      return { f: 0, id: '' };
    }
    if (t.e - t.s > 32 || t.open) return CONST;
    return { f: V_CONST, id: `#${this.input.slice(t.s, t.e)}` };
  }

  private compare(l: Val, r: Val): Val {
    if (this.status() === ST_FAIL) return NONE;
    const both = (l.f & r.f & V_CONST) !== 0;
    const same = l.id !== '' && l.id === r.id;
    if (both || same) this.facts.constCmp++;
    else this.facts.colCmp++;
    if (same) this.facts.sameCmp++;
    return { f: V_CMP | (both ? V_CONST : 0) | ((l.f | r.f) & V_SUB), id: '' };
  }

  /** After IN: `( subquery )` or `( expr, ... )`. */
  private parseInList(): Val {
    if (!this.isKind(0, '(')) {
      if (!this.atEnd()) this.fail();
      return NONE;
    }
    return this.parseParen();
  }

  parseUnary(): Val {
    if (this.st !== ST_OK || this.atEnd()) return NONE;
    const t = this.t[this.pos]!;
    if (t.k === 'op' && (t.w === '-' || t.w === '+' || t.w === '~' || t.w === '!')) {
      this.pos++;
      if (!this.enter()) {
        this.depth--;
        return NONE;
      }
      const x = this.parseUnary();
      this.depth--;
      return { f: x.f & (V_CONST | V_SUB), id: '' };
    }
    if (t.k === 'word') {
      if (t.w === 'not') {
        this.pos++;
        const x = this.parseExpr(4);
        return { f: x.f & (V_CONST | V_SUB | V_CMP), id: '' };
      }
      if (t.w === 'binary' && !this.isKind(1, '(') && this.peek(1) !== undefined) {
        this.pos++;
        return this.parseUnary();
      }
      if (t.w === 'exists') {
        this.pos++;
        this.parseParen();
        return { f: V_SUB, id: '' };
      }
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parsePostfix(v: Val): Val {
    let x = v;
    for (;;) {
      if (this.st !== ST_OK) return x;
      const t = this.peek();
      if (t === undefined) return x;
      if (t.k === 'op' && t.w === '::') {
        this.pos++;
        this.facts.sqlish++;
        const type = this.peek();
        if (type !== undefined && (type.k === 'word' || type.k === 'qid') && CAST_TYPES.has(type.w)) {
          if (type.w === 'json' || type.w === 'jsonb') this.facts.jsonCast++;
        }
        this.parseTypeName();
      } else if (t.k === 'word' && t.w === 'collate') {
        this.pos++;
        const n = this.peek();
        if (n === undefined) this.atEnd();
        else if (n.k === 'word' || n.k === 'qid' || n.k === 'str') this.pos++;
        else this.fail();
        x = { f: x.f, id: x.id };
      } else if (t.k === 'other' && t.w === '[') {
        this.pos++;
        this.parseExpr();
        if (!this.atEnd()) {
          if (this.isOther(0, ']')) this.pos++;
          else this.fail();
        }
      } else {
        return x;
      }
    }
  }

  /** A type name: `int`, `varchar(255)`, `double precision`, `jsonb`, `text[]`, `"char"`. */
  parseTypeName(): void {
    if (this.st !== ST_OK || this.atEnd()) return;
    const t = this.t[this.pos]!;
    if (t.k !== 'word' && t.k !== 'qid' && t.k !== 'str') {
      this.fail();
      return;
    }
    this.pos++;
    const next = this.peek();
    if (next !== undefined && next.k === 'word' &&
      (next.w === 'unsigned' || next.w === 'signed' || next.w === 'precision' || next.w === 'varying' || next.w === 'integer')) {
      this.pos++;
    }
    if (this.isKind(0, '(')) {
      this.pos++;
      this.parseExpr();
      while (this.ok && this.isKind(0, ',')) {
        this.pos++;
        this.parseExpr();
      }
      this.expect(')');
    }
    if (this.isOther(0, '[') && this.isOther(1, ']')) this.pos += 2;
  }

  parsePrimary(): Val {
    if (this.st !== ST_OK || this.atEnd()) return NONE;
    const t = this.t[this.pos]!;
    switch (t.k) {
      case 'num':
        this.pos++;
        if (this.input.charCodeAt(t.s) === 48 && (this.input.charCodeAt(t.s + 1) | 32) === 120) this.facts.sqlish++;
        return this.literal(t);
      case 'str':
        this.pos++;
        if (this.isKind(0, 'str')) {
          while (this.isKind(0, 'str')) this.pos++; // adjacent literals concatenate
          return CONST;
        }
        return this.literal(t);
      case 'var':
        this.pos++;
        if (t.w.startsWith('@@')) {
          this.facts.sqlish++;
          this.facts.fnFlags |= F_INFO;
        }
        return { f: 0, id: t.w };
      case 'qid': // (not evidence on its own: Markdown and JavaScript use backticks too)
        return this.parseName();
      case '(':
        return this.parseParen();
      case 'word':
        return this.parseWordPrimary(t);
      case 'other':
        if (t.w === '{') return this.parseBraces();
        this.fail();
        return NONE;
      case 'op':
        if (t.w === '\\' && this.isWord(1, 'n')) {
          this.pos += 2; // MySQL \N is NULL
          return CONST;
        }
        this.fail();
        return NONE;
      default:
        this.fail();
        return NONE;
    }
  }

  /** ODBC escapes `{fn ...}`, `{d '...'}`, and MySQL's `{identifier expr}`. */
  private parseBraces(): Val {
    this.pos++;
    if (this.isKind(0, 'word')) this.pos++;
    const x = this.parseExpr();
    if (this.st === ST_OK && !this.atEnd()) {
      if (this.isOther(0, '}')) this.pos++;
      else this.fail();
    }
    return x;
  }

  /** `( subquery )`, `( expr )`, `( expr, expr )`. */
  parseParen(): Val {
    if (this.st !== ST_OK) return NONE;
    if (!this.isKind(0, '(')) {
      if (!this.atEnd()) this.fail();
      return NONE;
    }
    this.pos++;
    if (!this.enter()) {
      this.depth--;
      return NONE;
    }
    let v: Val;
    if (this.isWord(0, 'select') || this.isWord(0, 'with') || (this.isWord(0, 'values') && this.isKind(1, '('))) {
      this.parseQuery();
      this.facts.subqueries++;
      v = { f: V_SUB | V_CALL, id: '' };
    } else {
      const x = this.parseExpr();
      let f = x.f;
      let id = x.id;
      while (this.st === ST_OK && this.isKind(0, ',')) {
        this.pos++;
        const y = this.parseExpr();
        f = (f & y.f & V_CONST) | ((f | y.f) & V_SUB);
        id = '';
      }
      v = { f: f | V_CALL, id };
    }
    this.expect(')');
    this.depth--;
    return v;
  }

  private parseWordPrimary(t: Token): Val {
    const w = t.w;
    if (this.isKind(1, '(') && w !== '' && !SPECIAL_PRIMARY.has(w)) {
      if (RESERVED.has(w) && !CALLABLE_KEYWORDS.has(w)) {
        this.fail();
        return NONE;
      }
      this.pos++;
      return this.parseCall(w, t.s);
    }
    switch (w) {
      case 'null': case 'true': case 'false': case 'unknown':
        this.pos++;
        // XPath's boolean functions (`' or true() or '`): the same constants
        if ((w === 'true' || w === 'false') && this.isKind(0, '(') && this.isKind(1, ')')) this.pos += 2;
        return CONST;
      case 'case':
        return this.parseCase();
      case 'all': case 'any': case 'some':
        if (this.isKind(1, '(')) {
          this.pos++;
          return this.parseParen();
        }
        break;
      case 'date': case 'time': case 'timestamp':
        if (this.isKind(1, 'str')) {
          this.pos += 2;
          return CONST;
        }
        break;
      case 'interval':
        if (!this.isKind(1, '(')) {
          this.pos++;
          const x = this.parseExpr(8);
          if (this.isKind(0, 'word')) this.pos++;
          else if (!this.atEnd()) this.fail();
          return x;
        }
        break;
      case 'array':
        if (this.isOther(1, '[')) {
          this.pos += 2;
          let f = V_CONST;
          while (this.st === ST_OK && !this.atEnd() && !this.isOther(0, ']')) {
            f &= this.parseExpr().f;
            if (this.isKind(0, ',')) this.pos++;
            else break;
          }
          if (this.st === ST_OK && !this.atEnd()) {
            if (this.isOther(0, ']')) this.pos++;
            else this.fail();
          }
          return { f: f & V_CONST, id: '' };
        }
        break;
      default:
        break;
    }
    if (this.isKind(1, '(') && w !== '' && !RESERVED.has(w)) { // date(, time(, ...
      this.pos++;
      return this.parseCall(w, t.s);
    }
    if (w === '' || RESERVED.has(w)) {
      this.fail();
      return NONE;
    }
    return this.parseName();
  }

  /** A possibly qualified name (`a`, `a.b`, `a..b`, `` `a`.`b` ``, `t.*`), then a call if `(` follows. */
  parseName(): Val {
    const first = this.t[this.pos]!;
    this.pos++;
    let name = first.w;
    let parts = 1;
    while (this.isKind(0, '.') && parts < 8) {
      let o = 1;
      if (this.isKind(1, '.')) o = 2; // MSSQL master..sysobjects
      const n = this.peek(o);
      if (n === undefined) {
        this.pos += o;
        this.atEnd();
        break;
      }
      if (n.k === 'op' && n.w === '*') {
        this.pos += o + 1;
        break;
      }
      if (n.k !== 'word' && n.k !== 'qid') break;
      this.pos += o + 1;
      name += (o === 2 ? '..' : '.') + n.w;
      parts++;
    }
    this.noteCatalog(name, false);
    if (this.isKind(0, '(') && parts > 1) return this.parseCall(name.replace('..', '.'), first.s);
    return { f: 0, id: parts === 1 ? name : name };
  }

  /** Records a system catalog reference. `asTable` when it is used in FROM / JOIN. */
  noteCatalog(name: string, asTable: boolean): void {
    const tier = catalogTier(name, asTable);
    if (tier !== 0 && (this.facts.catalogTier === 0 || tier < this.facts.catalogTier)) this.facts.catalogTier = tier;
  }

  /** A function call; the position is at `(`. */
  parseCall(name: string, at: number): Val {
    const nameIndex = this.nameIndexBefore(this.pos);
    const paren = this.pos;
    this.pos++; // (
    const flags = FUNCTIONS.get(name) ?? 0;
    this.facts.calls++;
    if (flags !== 0) this.facts.sqlCalls++;
    // No token after the `(` at all (not merely past the limit), and the limit reaches the end of the tokens.
    const truncatedAtParen = !this.src.fill(this.pos) && this.limit >= this.t.length;
    if (!this.enter()) {
      this.depth--;
      return NONE;
    }
    const tilde = this.isOp(0, '~');
    const emptyArgs = this.isKind(0, ')');
    const before = this.callList === undefined ? undefined :
      { calls: this.facts.sqlCalls, sub: this.facts.subqueries, sqlish: this.facts.sqlish, flags: this.facts.fnFlags,
        cmp: this.facts.constCmp + this.facts.colCmp };
    let args = 0;
    const subBefore = this.facts.subqueries;
    let allConst = V_CONST;
    let sub = 0;
    if (emptyArgs) {
      this.pos++;
    } else {
      for (;;) {
        if (this.st !== ST_OK) break;
        if (this.isWord(0, 'distinct') || this.isWord(0, 'all')) this.pos++;
        args++;
        if (this.isOp(0, '*')) {
          this.pos++;
        } else {
          const x = this.parseExpr();
          allConst &= x.f;
          sub |= x.f & V_SUB;
        }
        this.parseCallKeywords();
        if (this.st !== ST_OK || this.atEnd()) break;
        if (this.isKind(0, ',')) {
          this.pos++;
          continue;
        }
        if (this.isKind(0, ')')) {
          this.pos++;
          break;
        }
        this.fail();
        break;
      }
    }
    this.depth--;
    let f = flags;
    if (flags !== 0) {
      if ((flags & F_NEEDS_SQL_ARG) !== 0 && !tilde && this.facts.subqueries === subBefore) f &= ~F_ERROR;
      f &= ~F_NEEDS_SQL_ARG;
      const innerFlags = this.facts.fnFlags;
      this.facts.fnFlags |= f;
      if (this.callList !== undefined && before !== undefined) {
        this.callList.push({
          name, flags: f, index: nameIndex, at, paren, emptyArgs, truncatedAtParen, failed: this.status() === ST_FAIL,
          innerCalls: this.facts.sqlCalls - before.calls, innerSubqueries: this.facts.subqueries - before.sub,
          innerSqlish: this.facts.sqlish - before.sqlish, innerFlags: innerFlags & ~before.flags,
          innerCmp: this.facts.constCmp + this.facts.colCmp - before.cmp, args,
        });
      }
    }
    return { f: (allConst & V_CONST) | sub | V_CALL, id: '' };
  }

  /** Token index of the first part of the (possibly qualified) name that ends just before `paren`. */
  private nameIndexBefore(paren: number): number {
    let k = paren - 1;
    while (k >= 2 && this.t[k - 1]!.k === '.' && (this.t[k - 2]!.k === 'word' || this.t[k - 2]!.k === 'qid')) k -= 2;
    return k;
  }

  /** Keyword arguments inside calls: CAST(x AS t), EXTRACT(y FROM d), GROUP_CONCAT(x SEPARATOR s), ... */
  private parseCallKeywords(): void {
    for (let guard = 0; guard < 8 && this.st === ST_OK; guard++) {
      const t = this.peek();
      if (t === undefined || t.k !== 'word') return;
      switch (t.w) {
        case 'as':
          this.pos++;
          this.parseTypeName();
          break;
        case 'from': case 'for': case 'in': case 'placing': case 'separator':
          this.pos++;
          this.parseExpr();
          break;
        case 'using':
          this.pos++;
          if (this.isKind(0, 'word')) this.pos++;
          else this.fail();
          break;
        case 'order':
          if (!this.isWord(1, 'by')) return;
          this.pos += 2;
          this.parseOrderList();
          break;
        default:
          return;
      }
    }
  }

  private parseCase(): Val {
    this.pos++;
    this.facts.sqlish++;
    if (!this.isWord(0, 'when')) this.parseExpr();
    let guard = 0;
    while (this.st === ST_OK && this.isWord(0, 'when') && guard++ < 10_000) {
      this.pos++;
      this.parseExpr();
      this.expectWord('then');
      this.parseExpr();
    }
    if (this.isWord(0, 'else')) {
      this.pos++;
      this.parseExpr();
    }
    this.expectWord('end');
    return NONE;
  }

  // ---------------------------------------------------------------- queries

  /** SELECT ... [UNION SELECT ...]; also VALUES (...) and WITH x AS (...) SELECT. */
  parseQuery(): void {
    if (this.isWord(0, 'with')) {
      this.pos++;
      if (this.isWord(0, 'recursive')) this.pos++;
      for (let guard = 0; guard < 1000 && this.ok; guard++) {
        if (!this.isKind(0, 'word') && !this.isKind(0, 'qid')) {
          if (!this.atEnd()) this.fail();
          return;
        }
        this.pos++;
        this.expectWord('as');
        this.parseParen();
        if (this.isKind(0, ',')) this.pos++;
        else break;
      }
    }
    this.parseQueryTerm();
    this.parseSetOps();
  }

  /** UNION / EXCEPT / INTERSECT / MINUS chains after a query term. */
  parseSetOps(): void {
    for (let guard = 0; guard < 10_000 && this.st === ST_OK; guard++) {
      const t = this.peek();
      if (t === undefined || t.k !== 'word') return;
      if (t.w !== 'union' && t.w !== 'except' && t.w !== 'intersect' && t.w !== 'minus') return;
      if (t.w === 'minus' && !this.isWord(1, 'select')) return;
      this.pos++;
      this.facts.unions++;
      if (this.isWord(0, 'all') || this.isWord(0, 'distinct') || this.isWord(0, 'distinctrow')) this.pos++;
      this.parseQueryTerm();
    }
  }

  private parseQueryTerm(): void {
    if (this.st !== ST_OK || this.atEnd()) return;
    if (this.isKind(0, '(')) {
      this.parseParen();
      return;
    }
    if (this.isWord(0, 'values')) {
      this.pos++;
      this.parseValuesRows();
      return;
    }
    if (this.isWord(0, 'select')) {
      this.parseSelect();
      return;
    }
    this.fail();
  }

  private parseValuesRows(): void {
    for (let guard = 0; guard < 100_000 && this.ok; guard++) {
      if (this.isWord(0, 'row')) this.pos++;
      this.parseParen();
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  /** One SELECT with its clauses. */
  parseSelect(): void {
    this.pos++; // select
    this.facts.selects++;
    if (!this.enter()) {
      this.depth--;
      return;
    }
    for (let guard = 0; guard < 8; guard++) {
      const t = this.peek();
      if (t === undefined || t.k !== 'word') break;
      if (t.w === 'top') {
        this.pos++;
        this.parsePrimary();
        if (this.isWord(0, 'percent')) this.pos++;
        continue;
      }
      if (t.w === 'all' || t.w === 'distinct' || t.w === 'distinctrow' || t.w === 'straight_join' ||
        t.w.startsWith('sql_') || t.w === 'high_priority') {
        this.pos++;
        continue;
      }
      break;
    }
    this.parseSelectList();
    this.parseSelectClauses();
    this.depth--;
  }

  private parseSelectList(): void {
    for (let guard = 0; guard < 100_000 && this.ok; guard++) {
      if (this.atEnd()) return;
      if (this.isOp(0, '*')) {
        this.pos++;
        this.facts.sqlish++;
      } else {
        this.parseExpr();
        this.parseAlias();
      }
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  /** `[AS] alias` after a select item or a table. */
  parseAlias(): void {
    if (this.st !== ST_OK) return;
    const t = this.peek();
    if (t === undefined) return;
    if (t.k === 'word' && t.w === 'as') {
      this.pos++;
      const n = this.peek();
      if (n === undefined) {
        this.atEnd();
      } else if (n.k === 'word' || n.k === 'qid' || n.k === 'str') {
        this.pos++;
      } else {
        this.fail();
      }
      return;
    }
    if ((t.k === 'word' && t.w !== '' && !RESERVED.has(t.w) && !CLAUSE_WORDS.has(t.w)) || t.k === 'qid') this.pos++;
  }

  parseSelectClauses(): void {
    for (let guard = 0; guard < 64 && this.st === ST_OK; guard++) {
      const t = this.peek();
      if (t === undefined || t.k !== 'word') return;
      switch (t.w) {
        case 'into':
          this.parseInto();
          break;
        case 'from':
          this.pos++;
          this.parseTableRefs();
          break;
        case 'where':
          this.pos++;
          this.parseExpr();
          break;
        case 'group':
        case 'order':
          if (!this.isWord(1, 'by')) return;
          this.pos += 2;
          this.parseOrderList();
          if (this.isWord(0, 'with') && this.isWord(1, 'rollup')) this.pos += 2;
          break;
        case 'having':
          this.pos++;
          this.parseExpr();
          break;
        case 'limit':
          this.pos++;
          this.parseLimit();
          break;
        case 'offset':
          this.pos++;
          this.parseExpr();
          if (this.isWord(0, 'rows') || this.isWord(0, 'row')) this.pos++;
          break;
        case 'fetch':
          this.pos++;
          for (let g = 0; g < 6 && (this.isKind(0, 'word') || this.isKind(0, 'num')); g++) this.pos++;
          break;
        case 'procedure':
          this.pos++;
          this.facts.sqlish++;
          if (this.isKind(0, 'word') && this.isKind(1, '(')) {
            const name = this.t[this.pos]!;
            this.pos++;
            this.parseCall(name.w, name.s);
          } else if (!this.atEnd()) {
            this.fail();
          }
          break;
        case 'for':
          if (!this.isWord(1, 'update')) return;
          this.pos += 2;
          break;
        case 'lock':
          if (!this.isWord(1, 'in')) return;
          this.pos += 2;
          while (this.isKind(0, 'word') && !CLAUSE_WORDS.has(this.peek()!.w)) this.pos++;
          break;
        default:
          return;
      }
    }
  }

  /** INTO OUTFILE 'f' / DUMPFILE 'f' / @var, ... / table. */
  parseInto(): void {
    this.pos++;
    if (this.isWord(0, 'outfile') || this.isWord(0, 'dumpfile')) {
      this.pos++;
      this.facts.intoFile++;
      this.facts.fnFlags |= F_FILE;
      if (this.isKind(0, 'str')) this.pos++;
      else if (!this.atEnd()) this.fail();
      // FIELDS TERMINATED BY ..., LINES ...: words and strings
      for (let g = 0; g < 32; g++) {
        const x = this.peek();
        if (x === undefined || !((x.k === 'word' && !CLAUSE_WORDS.has(x.w)) || x.k === 'str')) break;
        this.pos++;
      }
      return;
    }
    for (let guard = 0; guard < 1000 && this.ok; guard++) {
      const t = this.peek();
      if (t === undefined) {
        this.atEnd();
        return;
      }
      if (t.k === 'var' || t.k === 'qid' || (t.k === 'word' && !RESERVED.has(t.w))) this.pos++;
      else {
        this.fail();
        return;
      }
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  private parseLimit(): void {
    this.parseExpr();
    if (this.isKind(0, ',')) {
      this.pos++;
      this.parseExpr();
    } else if (this.isWord(0, 'offset')) {
      this.pos++;
      this.parseExpr();
    }
    this.facts.sqlish++;
  }

  /** ORDER BY / GROUP BY items; counts column-number probes (`ORDER BY 5`). */
  parseOrderList(): void {
    for (let guard = 0; guard < 100_000 && this.ok; guard++) {
      const t = this.peek();
      if (t === undefined) {
        this.atEnd();
        return;
      }
      if (t.k === 'num' && this.isProbeEnd(1)) this.facts.orderProbe++;
      this.parseExpr();
      if (this.isWord(0, 'asc') || this.isWord(0, 'desc')) this.pos++;
      if (this.isWord(0, 'nulls') && (this.isWord(1, 'first') || this.isWord(1, 'last'))) this.pos += 2;
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  /** True when the token at offset `o` ends an ORDER BY item (so a number before it is a column number). */
  private isProbeEnd(o: number): boolean {
    const t = this.peek(o);
    if (t === undefined) return true;
    if (t.k === ',' || t.k === ';' || t.k === ')') return true;
    return t.k === 'word' && (t.w === 'asc' || t.w === 'desc' || t.w === 'limit' || t.w === 'union' ||
      t.w === 'having' || t.w === 'into' || t.w === 'for' || t.w === 'procedure' || t.w === 'with');
  }

  parseTableRefs(): void {
    for (let guard = 0; guard < 10_000 && this.ok; guard++) {
      this.parseTableFactor();
      for (let g = 0; g < 10_000 && this.ok; g++) {
        const t = this.peek();
        if (t === undefined || t.k !== 'word') break;
        let o = 0;
        while (o < 4) {
          const w = this.peek(o);
          if (w === undefined || w.k !== 'word') break;
          if (w.w === 'natural' || w.w === 'left' || w.w === 'right' || w.w === 'inner' || w.w === 'outer' ||
            w.w === 'cross' || w.w === 'full') o++;
          else break;
        }
        if (!this.isWord(o, 'join') && !this.isWord(o, 'straight_join')) break;
        this.pos += o + 1;
        this.parseTableFactor();
        if (this.isWord(0, 'on')) {
          this.pos++;
          this.parseExpr();
        } else if (this.isWord(0, 'using')) {
          this.pos++;
          this.parseParen();
        }
      }
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  private parseTableFactor(): void {
    if (this.st !== ST_OK || this.atEnd()) return;
    const t = this.t[this.pos]!;
    if (t.k === '(') {
      if (this.isWord(1, 'select') || this.isWord(1, 'with') || this.isKind(1, '(')) {
        this.parseParen();
      } else {
        this.pos++;
        this.parseTableRefs();
        this.expect(')');
      }
    } else if ((t.k === 'word' && t.w !== '' && !RESERVED.has(t.w)) || t.k === 'qid') {
      const before = this.pos;
      this.parseName();
      // parseName noted the name as an identifier; note it again as a table.
      let name = '';
      for (let i = before; i < this.pos; i++) {
        const x = this.t[i]!;
        name += x.k === '.' ? '.' : x.w;
      }
      this.noteCatalog(name, true);
      if (this.isKind(0, '(')) this.parseCall(name, t.s); // table functions
    } else {
      this.fail();
      return;
    }
    this.parseAlias();
    // PostgreSQL column aliases: s(token)
    if (this.isKind(0, '(') && this.isKind(1, 'word') && (this.isKind(2, ')') || this.isKind(2, ','))) this.parseParen();
  }

  // ---------------------------------------------------------------- statements

  /**
   * A statement at the current position. Returns its strength (STMT_*); facts record stacked-query details.
   * The caller decides whether it was reached after `;`.
   */
  parseStatement(): number {
    if (this.st !== ST_OK || this.atEnd()) return STMT_NONE;
    const t = this.t[this.pos]!;
    if (t.k === '(' && this.isWord(1, 'select')) {
      this.parseQuery();
      return this.status() === ST_FAIL ? STMT_NONE : STMT_WEAK;
    }
    if (t.k !== 'word' || !STATEMENT_WORDS.has(t.w)) {
      this.fail();
      return STMT_NONE;
    }
    const start = this.pos;
    const sqlishBefore = this.facts.sqlish + this.facts.sqlCalls + this.facts.subqueries;
    switch (t.w) {
      case 'select':
      case 'with':
      case 'values': {
        const cmpBefore = this.facts.constCmp + this.facts.colCmp;
        this.parseQuery();
        if (this.status() === ST_FAIL) return STMT_NONE;
        const sqlish = this.facts.sqlish + this.facts.sqlCalls + this.facts.subqueries - sqlishBefore +
          (this.facts.constCmp + this.facts.colCmp - cmpBefore);
        return sqlish > 0 || this.hasLiteralItem(start) ? STMT_STRONG : STMT_WEAK;
      }
      case 'insert':
      case 'replace': {
        this.pos++;
        while (this.isWord(0, 'into') || this.isWord(0, 'ignore') || this.isWord(0, 'low_priority') ||
          this.isWord(0, 'delayed') || this.isWord(0, 'high_priority')) this.pos++;
        if (!this.tableName()) return STMT_WEAK;
        if (this.isKind(0, '(') && !this.isWord(1, 'select')) this.parseParen();
        if (this.atEnd()) return STMT_WEAK;
        if (this.isWord(0, 'values') || this.isWord(0, 'value')) {
          this.pos++;
          this.parseValuesRows();
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (this.isWord(0, 'select') || this.isKind(0, '(')) {
          this.parseQuery();
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (this.isWord(0, 'set')) {
          this.pos++;
          this.parseAssignments();
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        this.fail();
        return STMT_WEAK;
      }
      case 'update': {
        this.pos++;
        if (this.isWord(0, 'low_priority') || this.isWord(0, 'ignore')) this.pos++;
        if (!this.tableName()) return STMT_NONE;
        this.parseAlias();
        if (!this.expectWord('set')) return this.status() === ST_EOF ? STMT_WEAK : STMT_NONE;
        this.parseAssignments();
        if (this.isWord(0, 'where')) {
          this.pos++;
          this.parseExpr();
        }
        return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
      }
      case 'delete': {
        this.pos++;
        const from = this.isWord(0, 'from');
        if (from) this.pos++;
        if (!this.tableName()) return STMT_NONE;
        if (this.isWord(0, 'where')) {
          this.pos++;
          this.parseExpr();
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (this.peek() !== undefined && !this.isKind(0, ';')) {
          this.fail();
          return STMT_NONE;
        }
        return from ? STMT_WEAK : STMT_NONE;
      }
      case 'drop':
      case 'create':
      case 'alter': {
        this.pos++;
        const kindTok = this.peek();
        if (kindTok === undefined) return this.atEnd() ? STMT_WEAK : STMT_NONE;
        if (kindTok.k !== 'word' || !OBJECT_KINDS.has(kindTok.w)) {
          this.fail();
          return STMT_NONE;
        }
        this.pos++;
        // CREATE OR REPLACE / TEMPORARY / UNIQUE ... then the real kind
        for (let g = 0; g < 3 && this.isKind(0, 'word') && OBJECT_KINDS.has(this.peek()!.w); g++) this.pos++;
        if (this.isWord(0, 'if')) {
          this.pos++;
          if (this.isWord(0, 'not')) this.pos++;
          this.expectWord('exists');
        }
        if (!this.tableName()) return STMT_WEAK;
        this.skipStatementRest();
        return STMT_STRONG;
      }
      case 'truncate': {
        this.pos++;
        const table = this.isWord(0, 'table');
        if (table) this.pos++;
        if (!this.tableName()) return STMT_NONE;
        if (this.peek() !== undefined && !this.isKind(0, ';')) {
          this.fail();
          return STMT_NONE;
        }
        return table ? STMT_STRONG : STMT_WEAK;
      }
      case 'exec':
      case 'execute': {
        this.pos++;
        const n = this.peek();
        if (n === undefined) return this.atEnd() ? STMT_WEAK : STMT_NONE;
        if (n.k === 'word' && n.w === 'immediate') {
          this.pos++;
          this.parseExpr();
          this.facts.fnFlags |= F_EXEC;
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (n.k === '(') {
          this.parseParen();
          this.facts.fnFlags |= F_EXEC;
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (n.k === 'var') {
          this.pos++;
          if (this.isOp(0, '=')) { // EXEC @rc = proc
            this.pos++;
            if (!this.tableName()) return STMT_WEAK;
          }
          this.skipStatementRest();
          this.facts.fnFlags |= F_EXEC;
          return STMT_STRONG;
        }
        if (n.k !== 'word' && n.k !== 'qid') {
          this.fail();
          return STMT_NONE;
        }
        const nameStart = this.pos;
        this.tableName();
        const name = this.joinName(nameStart, this.pos);
        const flags = procedureFlags(name);
        if (flags !== 0) {
          this.facts.fnFlags |= flags;
        }
        this.skipStatementRest();
        return flags !== 0 || name.includes('.') ? STMT_STRONG : STMT_WEAK;
      }
      case 'declare': {
        this.pos++;
        if (!this.isKind(0, 'var')) {
          if (!this.atEnd()) this.fail();
          return STMT_NONE;
        }
        this.pos++;
        if (this.isWord(0, 'as')) this.pos++;
        if (this.atEnd()) return STMT_WEAK;
        if (this.isWord(0, 'cursor') || this.isWord(0, 'table')) {
          this.skipStatementRest();
          return STMT_STRONG;
        }
        this.parseTypeName();
        if (this.isOp(0, '=')) {
          this.pos++;
          this.parseExpr();
        }
        return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
      }
      case 'set': {
        this.pos++;
        if (this.isKind(0, 'var')) {
          this.parseAssignments();
          return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
        }
        if (this.isKind(0, 'word') && this.isKind(1, 'word') && (this.isWord(1, 'on') || this.isWord(1, 'off'))) {
          this.pos += 2;
          return STMT_STRONG;
        }
        this.parseAssignments();
        return this.status() === ST_FAIL ? STMT_NONE : STMT_WEAK;
      }
      case 'shutdown':
        this.pos++;
        if (this.isWord(0, 'with') && this.isWord(1, 'nowait')) this.pos += 2;
        return this.peek() === undefined || this.isKind(0, ';') ? STMT_STRONG : STMT_NONE;
      case 'waitfor': {
        this.pos++;
        if (!this.isWord(0, 'delay') && !this.isWord(0, 'time')) {
          if (!this.atEnd()) this.fail();
          return STMT_NONE;
        }
        this.pos++;
        this.facts.fnFlags |= F_TIME;
        this.parseExpr();
        return STMT_STRONG;
      }
      case 'load': {
        this.pos++;
        if (!this.isWord(0, 'data') && !this.isWord(0, 'xml')) {
          this.fail();
          return STMT_NONE;
        }
        this.pos++;
        if (this.isWord(0, 'low_priority') || this.isWord(0, 'concurrent')) this.pos++;
        if (this.isWord(0, 'local')) this.pos++;
        if (!this.expectWord('infile')) return STMT_NONE;
        this.facts.fnFlags |= F_FILE;
        this.skipStatementRest();
        return STMT_STRONG;
      }
      case 'copy': {
        this.pos++;
        if (this.isKind(0, '(')) this.parseParen();
        else if (!this.tableName()) return STMT_NONE;
        if (!this.isWord(0, 'from') && !this.isWord(0, 'to')) {
          if (!this.atEnd()) this.fail();
          return STMT_NONE;
        }
        this.pos++;
        if (this.isWord(0, 'program')) {
          this.pos++;
          this.facts.fnFlags |= F_EXEC;
        } else {
          this.facts.fnFlags |= F_FILE;
        }
        this.skipStatementRest();
        return STMT_STRONG;
      }
      case 'call': {
        this.pos++;
        const nameTok = this.peek();
        if (!this.tableName() || !this.isKind(0, '(')) {
          if (!this.atEnd()) this.fail();
          return STMT_NONE;
        }
        this.parseCall(this.joinName(start + 1, this.pos), nameTok?.s ?? t.s);
        return this.status() === ST_FAIL ? STMT_NONE : STMT_STRONG;
      }
      case 'prepare': {
        this.pos++;
        if (!this.tableName()) return STMT_NONE;
        if (!this.expectWord('from')) return STMT_NONE;
        this.parseExpr();
        this.facts.fnFlags |= F_EXEC;
        return this.status() === ST_FAIL ? STMT_WEAK : STMT_STRONG;
      }
      case 'grant':
      case 'revoke': {
        this.pos++;
        // GRANT ALL PRIVILEGES ON x TO y / GRANT dba TO y
        let sawTarget = false;
        for (let g = 0; g < 64; g++) {
          const x = this.peek();
          if (x === undefined || x.k === ';') break;
          if (x.k === 'word' && (x.w === 'to' || x.w === 'from')) sawTarget = true;
          if (x.k !== 'word' && x.k !== ',' && x.k !== 'qid' && x.k !== 'str' && x.k !== '.' && !(x.k === 'op' && x.w === '*') && x.k !== 'var') {
            this.fail();
            return STMT_NONE;
          }
          this.pos++;
        }
        return sawTarget ? STMT_STRONG : STMT_WEAK;
      }
      default: {
        // Less common statements: a keyword followed by a name and anything; weak on their own.
        this.pos++;
        if (this.peek() === undefined) return STMT_WEAK;
        const n = this.peek()!;
        if (n.k === 'word' || n.k === 'qid' || n.k === 'var' || n.k === 'str' || n.k === '(') {
          this.skipStatementRest();
          return STMT_WEAK;
        }
        this.fail();
        return STMT_NONE;
      }
    }
  }

  private hasLiteralItem(start: number): boolean {
    // SELECT followed directly by a number, a string, NULL or a variable: SQL, not prose.
    let i = start + 1;
    while (this.has(i) && this.t[i]!.k === 'word' && (this.t[i]!.w === 'all' || this.t[i]!.w === 'distinct')) i++;
    const x = this.has(i) ? this.t[i] : undefined;
    return x !== undefined && (x.k === 'num' || x.k === 'str' || x.k === 'var' || (x.k === 'word' && x.w === 'null'));
  }

  /** A table or procedure name (possibly qualified); false (and FAIL or EOF) when absent. */
  tableName(): boolean {
    if (this.st !== ST_OK) return false;
    if (this.atEnd()) return false;
    const t = this.t[this.pos]!;
    if ((t.k === 'word' && t.w !== '' && !RESERVED.has(t.w)) || t.k === 'qid') {
      const before = this.pos;
      this.pos++;
      let parts = 1;
      while (this.isKind(0, '.') && parts < 6) {
        const o = this.isKind(1, '.') ? 2 : 1;
        const n = this.peek(o);
        if (n === undefined || (n.k !== 'word' && n.k !== 'qid')) break;
        this.pos += o + 1;
        parts++;
      }
      this.noteCatalog(this.joinName(before, this.pos), true);
      return true;
    }
    this.fail();
    return false;
  }

  private joinName(from: number, to: number): string {
    let name = '';
    for (let i = from; i < to; i++) {
      const x = this.t[i]!;
      name += x.k === '.' ? '.' : x.w;
    }
    return name;
  }

  private parseAssignments(): void {
    for (let guard = 0; guard < 10_000 && this.ok; guard++) {
      const t = this.peek();
      if (t === undefined) {
        this.atEnd();
        return;
      }
      if (t.k !== 'var' && t.k !== 'qid' && !(t.k === 'word' && !RESERVED.has(t.w))) {
        this.fail();
        return;
      }
      this.parseName();
      if (!this.isOp(0, '=') && !this.isOp(0, ':=')) {
        if (!this.atEnd()) this.fail();
        return;
      }
      this.pos++;
      this.parseExpr();
      if (this.isKind(0, ',')) this.pos++;
      else return;
    }
  }

  /** Skips to the end of the statement (`;` at depth 0 or the end), keeping parentheses balanced. */
  private skipStatementRest(): void {
    let depth = 0;
    while (this.has(this.pos)) {
      const t = this.t[this.pos]!;
      if (t.k === ';' && depth === 0) return;
      if (t.k === '(') depth++;
      else if (t.k === ')') {
        if (depth === 0) return;
        depth--;
      }
      this.pos++;
    }
  }
}

/**
 * The catalog tier of a (possibly qualified) name, 0 for none. Tier 1 names are enough alone; a qualified name
 * under a catalog (information_schema.tables, master..sysdatabases, mysql.user) is tier 1; other qualified or
 * table-position uses of tier 2 names count as tier 1 when they look like identifiers (pg_user, all_tables).
 */
export function catalogTier(name: string, asTable: boolean): number {
  const listed = CATALOGS.get(name) ?? 0;
  if (listed !== 0) {
    const identifierLike = name.includes('_') || name.includes('$') || name.includes('.');
    return listed === 2 && asTable && identifierLike ? 1 : listed;
  }
  const dot = name.indexOf('.');
  if (dot < 0) return 0;
  const head = CATALOGS.get(name.slice(0, dot)) ?? 0;
  if (head === 1 || name.startsWith('master..') || name.startsWith('master.dbo.') || name.startsWith('master.sys.')) return 1;
  const tail = CATALOGS.get(name.slice(name.lastIndexOf('.') + 1)) ?? 0;
  const best = head === 0 ? tail : tail === 0 ? head : Math.min(head, tail);
  // (a file or setting called mysql.x or x.pg_user is plausible; the table of a query with such a name is not)
  return best === 0 ? 0 : asTable ? 1 : best;
}

/** Flags for a procedure name after EXEC (`master..xp_cmdshell`, `sp_executesql`). */
export function procedureFlags(name: string): number {
  const last = name.slice(name.lastIndexOf('.') + 1);
  const flags = FUNCTIONS.get(name) ?? FUNCTIONS.get(last) ?? 0;
  if (flags !== 0) return flags & (F_EXEC | F_OOB | F_FILE | F_TIME | F_ERROR);
  if (last.startsWith('xp_')) return F_EXEC;
  return 0;
}
