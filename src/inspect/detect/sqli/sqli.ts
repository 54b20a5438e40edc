/**
 * SQL injection detector.
 *
 * The value is tokenized as SQL and read the way an application could embed it: bare (a number or expression
 * context, `WHERE id = <value>`), after a single quote (`WHERE name = '<value>'`) and after a double quote; closing
 * parentheses right after the break-out stand for the application's own parentheses. In each reading the tokens
 * that follow the break-out must continue the query: the detector parses them as SQL and reports when they form a
 * fragment that changes it (a constant condition joined with OR/AND, a condition on columns or subqueries, ORDER BY
 * probing, a stacked statement, a comment that cuts the rest of the query). Independently of any break-out it
 * reports constructs that have no innocent reading in a parameter: UNION SELECT, stacked statements after `;`,
 * time-delay, error-based, file, command and out-of-band functions, system catalogs, INTO OUTFILE.
 *
 * Case, comments (including MySQL versioned comments), whitespace and string-building tricks are handled by the
 * tokenizer; URL, HTML and Unicode decoding is the engine's job (it calls the detector on every decoded variant).
 */
import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { isWordChar, tokenize, type Token } from './sql-tokenizer.ts';
import {
  CAST_TYPES, SqlParser, ST_FAIL, ST_OK, catalogTier, STMT_STRONG, STMT_WEAK, V_CONST, procedureFlags, type CallInfo, type Val,
} from './sql-parser.ts';
import {
  CATALOGS, FUNCTIONS, F_BLIND, F_ERROR, F_EXEC, F_FILE, F_GENERIC, F_INFO, F_JSON, F_OOB, F_TIME, RESERVED,
  STATEMENT_WORDS, TYPICAL_FUNCTIONS,
} from './sql-lexicon.ts';

/** Tokens a local check may look at past its trigger (keeps the scan linear). */
const BUDGET = 64;
/** Nesting bound for those local checks. */
const LOCAL_DEPTH = 24;
const EXCERPT = 120;

const T_FUNCTION = 1;
const T_CATALOG = 2;
const T_KEYWORD = 4;
const T_NAME = 8;

/**
 * Names of command, file, delay and out-of-band routines that mean SQL injection even without a call: a value
 * naming xp_cmdshell or pg_sleep is a probe (paranoia 2).
 */
const DANGER_NAMES: ReadonlySet<string> = new Set([
  'xp_cmdshell', 'xp_dirtree', 'xp_regread', 'xp_regwrite', 'xp_fileexist', 'xp_subdirs', 'xp_servicecontrol',
  'sp_executesql', 'sp_oacreate', 'sp_oamethod', 'sp_makewebtask', 'sp_addextendedproc', 'sp_password',
  'sp_configure', 'sp_addsrvrolemember', 'utl_http', 'utl_inaddr', 'utl_file', 'utl_tcp', 'dbms_pipe', 'dbms_lock',
  'dbms_ldap', 'dbms_xmlgen', 'dbms_java', 'pg_sleep', 'pg_read_file', 'pg_ls_dir', 'openrowset', 'opendatasource',
  'msdasql', 'sqloledb', 'load_file', 'sys_exec', 'sys_eval', 'lo_import', 'httpuritype',
]);

/** Words the scan looks at: one map lookup per word, prose words miss it. */
const TRIGGERS: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  const add = (w: string, bit: number): void => {
    map.set(w, (map.get(w) ?? 0) | bit);
  };
  for (const name of FUNCTIONS.keys()) add(name.slice(name.lastIndexOf('.') + 1), T_FUNCTION);
  for (const name of CATALOGS.keys()) add(name.includes('.') ? name.slice(0, name.indexOf('.')) : name, T_CATALOG);
  for (const w of ['union', 'except', 'intersect', 'minus', 'waitfor', 'into', 'load', 'exec', 'execute', 'declare',
    'procedure', 'when']) add(w, T_KEYWORD);
  for (const w of DANGER_NAMES) add(w, T_NAME);
  return map;
})();

function wordHash(w: string): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + w.charCodeAt(i)) | 0;
  return h;
}

/** Hashes of the trigger words that act without a following `(`: keywords and catalogs. */
const WORD_TRIGGER_HASHES: ReadonlySet<number> = (() => {
  const set = new Set<number>();
  for (const [w, bits] of TRIGGERS) if ((bits & (T_KEYWORD | T_CATALOG | T_NAME)) !== 0) set.add(wordHash(w));
  return set;
})();

type Ctx = 'num' | 'str' | 'lead' | 'ident' | 'quote';

interface View {
  readonly input: string;
  readonly raw: readonly Token[];
  /** Tokens without comments. */
  readonly sig: readonly Token[];
  /** '' for the bare reading, else the quote the value breaks out of. */
  readonly quote: string;
  /** Offset of the break-out quote (0 for the bare reading). */
  readonly breakAt: number;
  /** The input ends inside a comment: the rest of the application's query is cut off. */
  readonly cut: boolean;
  /** Comments inside the code, MySQL versioned comments, mixed-case keywords: SQL written to slip past filters. */
  evasion(): boolean;
  /** Tokenized only up to a limit: a continuation that reaches the limit is redone on the full view. */
  readonly partial: boolean;
}

/**
 * Keeps, per rule, the best finding at each paranoia level and reports those that improve on the lower levels,
 * highest score first: the engine keeps the first finding of a rule that counts at its paranoia level, so a route at
 * paranoia 2 gets the paranoia-2 score and a route at paranoia 1 still gets the paranoia-1 one.
 */
class Collector {
  private readonly best = new Map<string, Array<Finding | undefined>>();
  private readonly input: string;
  private readonly maxParanoia: Paranoia;

  constructor(input: string, maxParanoia: Paranoia) {
    this.input = input;
    this.maxParanoia = maxParanoia;
  }

  add(ruleId: string, paranoia: Paranoia, score: number, message: string, at: number): void {
    if (paranoia > this.maxParanoia) return;
    let levels = this.best.get(ruleId);
    if (levels === undefined) {
      levels = [undefined, undefined, undefined];
      this.best.set(ruleId, levels);
    }
    const prev = levels[paranoia - 1];
    if (prev !== undefined && prev.score >= score) return;
    const start = Math.max(0, Math.min(at, this.input.length) - 16);
    levels[paranoia - 1] = {
      ruleId, category: 'sqli', paranoia, score, message, matched: this.input.slice(start, start + EXCERPT),
    };
  }

  flush(report: (finding: Finding) => void): void {
    for (const levels of this.best.values()) {
      const kept: Finding[] = [];
      let floor = 0;
      for (const f of levels) {
        if (f === undefined || f.score <= floor) continue;
        kept.push(f);
        floor = f.score;
      }
      for (let i = kept.length - 1; i >= 0; i--) report(kept[i]!);
    }
  }
}

export const sqliDetector: Detector = {
  category: 'sqli',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 2) return;
    const out = new Collector(value, context.paranoia);
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    inspect(value, out);
    out.flush(report);
  },
};

function makeView(input: string, raw: Token[], quote: string, breakAt: number, partial = false): View {
  let sig = raw;
  for (const t of raw) {
    if (t.k === 'comment' || (t.k === 'num' && dotE(input, t))) {
      sig = raw.filter((x) => x.k !== 'comment' && !(x.k === 'num' && dotE(input, x)));
      break;
    }
  }
  const last = raw[raw.length - 1];
  const cut = last !== undefined && last.k === 'comment' && (last.ck !== '*' || last.open);
  let evasive: boolean | undefined;
  const evasion = (): boolean => {
    if (evasive === undefined) {
      evasive = last !== undefined && hasVersionedComment(input, breakAt, last.e);
      for (let i = 0; i < raw.length - 1 && !evasive; i++) {
        const t = raw[i]!;
        if (t.k === 'comment' && t.ck === '*') evasive = true;
        else if (t.k === 'word' && EVASION_KEYWORDS.has(t.w) && oddCase(input, t)) evasive = true;
      }
    }
    return evasive;
  };
  return { input, raw, sig, quote, breakAt, cut, evasion, partial };
}

/**
 * MySQL reads `1.e` glued to what follows as nothing at all (`1.e(ascii ...`, `1.e.tables`, `x 1.e,1`): such
 * numbers are filler, dropped like comments.
 */
function dotE(input: string, t: Token): boolean {
  return t.e - t.s >= 3 && (input.charCodeAt(t.e - 1) | 32) === 101 && input.charCodeAt(t.e - 2) === 46;
}

/** `/*!` in input[from, to): MySQL executable comments (the tokenizer drops their markers). */
function hasVersionedComment(input: string, from: number, to: number): boolean {
  for (let i = from; i + 2 < to; i++) {
    if (input.charCodeAt(i) === 47 && input.charCodeAt(i + 1) === 42 && input.charCodeAt(i + 2) === 33) return true;
  }
  return false;
}

/** Keywords whose mixed-case spelling (`UnIoN`, `sElEcT`) is a filter-evasion habit, not how people write. */
const EVASION_KEYWORDS: ReadonlySet<string> = new Set([
  'select', 'union', 'from', 'where', 'and', 'or', 'xor', 'not', 'null', 'like', 'sleep', 'benchmark', 'order', 'group',
  'having', 'insert', 'update', 'delete', 'drop', 'exec', 'waitfor', 'delay', 'concat', 'char', 'substring', 'ascii',
  'information_schema', 'table_name', 'column_name', 'limit', 'case', 'when', 'then', 'into', 'load_file', 'outfile',
]);

/** Significant tokens read past a break-out before deciding whether the rest of the value must be tokenized. */
const BREAKOUT_PEEK = 48;
/** How many `key=value` pairs inside a value get a bare reading of their own. */
const MAX_PAIRS = 8;
/** How deep string interiors are re-read as code. */
const INTERIOR_DEPTH = 2;

/** Typographic quotes and accents some databases and string conversions map to the ASCII quotes. */
function asciiQuotes(input: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    let r = '';
    if (c === 0x2018 || c === 0x2019 || c === 0x201b || c === 0xb4 || c === 0x2bc || c === 0x2032 || c === 0xff07) r = "'";
    else if (c === 0x201c || c === 0x201d || c === 0x201f || c === 0x2033 || c === 0xff02) r = '"';
    if (r === '') continue;
    out += input.slice(last, i) + r;
    last = i + 1;
  }
  return last === 0 ? input : out + input.slice(last);
}

/**
 * `+` standing for spaces (a form-encoded value decoded as a path, or by a script): a value without any
 * whitespace in which `+` separates words, quotes or numbers.
 */
function plusAsSpace(input: string): string {
  if (input.indexOf('+') < 0 || hasSpace(input)) return input;
  return input.replaceAll('+', ' ');
}

/**
 * Integer boundaries (2^31, 2^32, 2^63, 2^64 and their neighbours) probe overflow handling; 2.2250738585072011e-308
 * hangs old PHP and Java float parsers. A value that is exactly one of them.
 */
const MAGIC_INTEGERS: ReadonlySet<string> = new Set([
  '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967295', '4294967296', '9223372036854775807',
  '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551615', '18446744073709551616',
]);

function magicNumber(input: string, out: Collector): void {
  if (input.length < 10 || input.length > 40) return;
  const v = input.trim();
  if (MAGIC_INTEGERS.has(v)) {
    out.add('sqli-magic-number', 2, SCORE.critical, 'integer boundary value', 0);
    return;
  }
  // 2.2250738585072011e-308 and its spellings (more digits, upper-case E, a zero before the point).
  let i = 0;
  while (v.charCodeAt(i) === 48) i++;
  if (v.startsWith('2.225073858507201', i)) {
    const e = v.indexOf('e-308') >= 0 ? v.indexOf('e-308') : v.indexOf('E-308');
    if (e > 0 && e === v.length - 5) out.add('sqli-magic-number', 1, SCORE.critical, 'float parser denial of service', 0);
  }
}

function inspect(input: string, out: Collector): void {
  magicNumber(input, out);
  inspectForm(input, out);
  const quotes = asciiQuotes(input);
  if (quotes !== input) inspectForm(quotes, out);
  const spaced = plusAsSpace(quotes);
  if (spaced !== quotes) inspectForm(spaced, out);
}

function inspectForm(input: string, out: Collector): void {
  const bare = makeView(input, tokenize(input), '', 0);
  continuation(bare, out);
  // key=value pairs inside the value (a query string or cookie in a parameter): read each value bare as well.
  let pairs = 0;
  for (let i = 1; i < bare.sig.length - 1 && pairs < MAX_PAIRS; i++) {
    const t = bare.sig[i]!;
    if (t.k !== 'op' || t.w !== '=' || t.sp) continue;
    const key = bare.sig[i - 1]!;
    if (key.k !== 'word' && key.k !== 'qid' && !(key.k === 'other' && key.w === ']')) continue;
    pairs++;
    continuation(bare, out, i + 1);
  }
  scan(bare, out);
  wholeStatement(bare, out);
  clauseTail(bare, out);
  scanInteriors(bare, out, 1);
  for (const q of ["'", '"', '`']) {
    const at = input.indexOf(q);
    if (at < 0) continue;
    breakout(input, at, q, out);
    // With backslash escaping the first quote may be escaped (`O\'Reilly' OR 1=1`): also read from the first
    // unescaped one.
    if (at > 0 && input.charCodeAt(at - 1) === 92) {
      const unescaped = firstUnescaped(input, at + 1, q.charCodeAt(0));
      if (unescaped > 0) breakout(input, unescaped, q, out);
    }
  }
}

/** The value read after the quote at `at`: tokenized lazily, since prose fails within a few tokens. */
function breakout(input: string, at: number, q: string, out: Collector): void {
  const head = tokenize(input, at + 1, BREAKOUT_PEEK);
  const partial = head.length >= BREAKOUT_PEEK;
  if (!continuation(makeView(input, head, q, at, partial), out)) return;
  continuation(makeView(input, tokenize(input, at + 1), q, at), out);
}

/**
 * What the bare reading sees as string literals is code when the value breaks out of a quote (`x' UNION SELECT
 * ... --`): re-read the interiors of strings as code for the constructs that need no break-out context.
 */
function scanInteriors(view: View, out: Collector, depth: number): void {
  scanStringInteriors(view.input, view.sig, out, depth);
}

function scanStringInteriors(input: string, tokens: readonly Token[], out: Collector, depth: number): void {
  for (const t of tokens) {
    if (t.k !== 'str' || t.w === '$' || t.e - t.s < 5) continue;
    let open = t.s;
    while (open < t.e && input[open] !== t.w) open++; // skip a prefix (N'', _utf8'')
    const end = t.open ? t.e : t.e - 1;
    if (end - open < 4 || !interiorMayTrigger(input, open + 1, end)) continue;
    const raw = tokenize(input, open + 1, Infinity, end);
    if (hasTrigger(raw)) scan(makeView(input, raw, t.w, open + 1), out);
    if (depth < INTERIOR_DEPTH) scanStringInteriors(input, raw, out, depth + 1);
  }
}

/**
 * Cheaper still, on characters: punctuation that starts a construct (`(` of a call, `;`, `@@`, `::`) or a keyword
 * or catalog word the scan reacts to without punctuation. May say yes wrongly, never no wrongly. (Quotes nested in
 * an interior are followed only when it is read anyway: the break-out readings cover the rest.)
 */
function interiorMayTrigger(input: string, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const c = input.charCodeAt(i);
    if (c === 40 || c === 59 || c === 64 || c === 58) return true; // ( ; @ :
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    let h = 0;
    const start = i;
    while (i < to) {
      const d = input.charCodeAt(i);
      if (!isWordChar(d)) break;
      h = (Math.imul(h, 31) + (d >= 65 && d <= 90 ? d | 32 : d)) | 0;
      i++;
    }
    if (i - start >= 4 && WORD_TRIGGER_HASHES.has(h)) return true;
  }
  return false;
}


/** Whether a token list holds anything the scan reacts to (cheap filter before building a view). */
function hasTrigger(raw: readonly Token[]): boolean {
  for (const t of raw) {
    if (t.k === ';' || (t.k === 'var' && t.w.startsWith('@@')) || (t.k === 'op' && t.w === '::')) return true;
    if ((t.k === 'word' || t.k === 'qid') && TRIGGERS.has(t.w)) return true;
  }
  return false;
}

function firstUnescaped(input: string, from: number, quote: number): number {
  for (let i = from; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 92) i++;
    else if (c === quote) return i;
  }
  return -1;
}

// ------------------------------------------------------------------ break-out continuation

/** Words and operators that can continue a query right after an operand. */
function isLeadStarter(p: SqlParser): boolean {
  const t = p.peek();
  if (t === undefined) return false;
  if (t.k === ')' || t.k === ';') return true;
  // Logical and comparison operators; not arithmetic ones (Markdown bullets, signs, paths start with * - + /).
  const op = p.opInfo();
  if (op !== undefined) return op.prec <= 4;
  if (t.k !== 'word') return false;
  switch (t.w) {
    case 'union': case 'except': case 'intersect': case 'having': case 'procedure':
      return true;
    case 'order': case 'group':
      return p.isWord(1, 'by');
    case 'into':
      return p.isWord(1, 'outfile') || p.isWord(1, 'dumpfile');
    default:
      return false;
  }
}

function isLogicalStart(t: Token): boolean {
  return (t.k === 'word' && (t.w === 'or' || t.w === 'and' || t.w === 'xor')) || (t.k === 'op' && (t.w === '||' || t.w === '&&'));
}

/** Returns true when the view was partial and the parse reached its end: the caller redoes it on the full view. */
function continuation(view: View, out: Collector, from = 0): boolean {
  const { sig, input } = view;
  let ctx: Ctx;
  let first: Val = { f: V_CONST, id: '' };
  let p = new SqlParser(input, sig, from, sig.length);
  if (view.quote !== '') {
    ctx = 'quote';
  } else {
    const t0 = sig[from];
    if (t0 === undefined) return false;
    if (t0.k === 'num') {
      ctx = 'num';
      p.pos = from + 1;
      first = literalVal(input, t0);
    } else if (t0.k === 'op' && (t0.w === '-' || t0.w === '+') && sig[from + 1]?.k === 'num') {
      ctx = 'num';
      p.pos = from + 2;
    } else if (t0.k === 'str' && !t0.open) {
      ctx = 'str';
      p.pos = from + 1;
      first = literalVal(input, t0);
    } else if (isLeadStarter(p)) {
      ctx = 'lead';
      // A leading comparison (`IS NULL`, `> 3`) compares the application's own operand, not a constant.
      if (p.opInfo() !== undefined && !isLogicalStart(t0)) first = { f: 0, id: '' };
    } else if ((t0.k === 'word' && t0.w !== '' && !RESERVED.has(t0.w)) || t0.k === 'qid' || t0.k === 'var') {
      ctx = 'ident';
      first = p.parseUnary();
      if (p.status() !== 0) return false;
      // Only what follows the operand counts as injected.
      p = new SqlParser(input, sig, p.pos, sig.length);
    } else {
      return false;
    }
  }
  const start = p.pos;
  let closes = 0;
  let onlyClosers = true;
  let semiFirst = false;
  let terminated = false;
  let stmtFirst = false;
  let stackedStrength = 0;
  let aliased = false;
  let quotedAlias = false;
  let selectTail = false;
  let left = first;
  for (let guard = 0; guard < sig.length + 1 && p.ok; guard++) {
    const t = p.peek();
    if (t === undefined) break;
    if (t.k === ')') {
      p.pos++;
      closes++;
      continue;
    }
    if (t.k === ';') {
      if (onlyClosers) semiFirst = true;
      while (p.isKind(0, ';')) p.pos++;
      // The fragment before the `;` parsed: the injected query ends here, whatever follows.
      if (!onlyClosers) terminated = true;
      if (p.peek() === undefined) break;
      onlyClosers = false;
      const kind = p.peek()!.w;
      const s = p.parseStatement();
      p.facts.stacked++;
      stackedStrength = Math.max(stackedStrength, s === STMT_WEAK && !CORE_STATEMENTS.has(kind) ? 0 : s);
      if (p.status() === ST_FAIL && terminated) {
        // Not a statement after the `;` (`' or true; foo`): the rest is the application's or junk.
        p.st = ST_OK;
        p.pos = p.end;
        break;
      }
      continue;
    }
    if ((t.k === 'op' && t.w === '::') || (t.k === 'word' && t.w === 'collate')) {
      // A no-op on the broken-out literal (`admin' COLLATE nocase --`): still only closing the literal.
      left = p.parsePostfix(left);
      continue;
    }
    onlyClosers = false;
    if (p.opInfo() !== undefined) {
      left = p.parseBinaryRest(left, 0);
      continue;
    }
    if (t.k === 'str') {
      p.pos++; // adjacent literals concatenate
      continue;
    }
    if (t.k === ',') {
      // Another item of a list: VALUES ('x', <injected>), ORDER BY a, <injected>, SELECT a, <injected>.
      p.pos++;
      left = p.parseExpr();
      continue;
    }
    if (t.k !== 'word') {
      p.fail();
      break;
    }
    switch (t.w) {
      case 'union': case 'except': case 'intersect': case 'minus':
        p.parseSetOps();
        if (p.peek() === t) p.fail();
        continue;
      case 'order': case 'group':
        if (!p.isWord(1, 'by')) break;
        p.pos += 2;
        p.parseOrderList();
        continue;
      case 'having': case 'where':
        p.pos++;
        p.facts.logical++;
        p.parseExpr();
        continue;
      case 'limit': case 'offset':
        p.pos++;
        p.parseExpr();
        if (p.isKind(0, ',')) {
          p.pos++;
          p.parseExpr();
        }
        continue;
      case 'into':
        p.parseInto();
        continue;
      case 'procedure':
        if (!p.isWord(1, 'analyse') && !p.isWord(1, 'analyze')) break;
        p.pos += 2;
        p.parseParen();
        continue;
      case 'as':
        // The value closes an item of a select list and names it: `...) AS x FROM t`.
        if (p.peek(1)?.k === 'str' || p.peek(1)?.k === 'qid') quotedAlias = true;
        p.parseAlias();
        aliased = true;
        continue;
      case 'from':
        if (!aliased) break;
        p.pos++;
        p.parseTableRefs();
        p.parseSelectClauses();
        selectTail = true;
        continue;
      default:
        if (STATEMENT_WORDS.has(t.w) && t.w !== 'if' && t.w !== 'do' && t.w !== 'use' && t.w !== 'show') {
          // MSSQL runs a following statement without `;` (`' WAITFOR DELAY ...`, `1 EXEC xp_cmdshell ...`).
          // Prose quoting SQL ("run \"SELECT * FROM t\" to...") is not that: unless the statement is MSSQL-only,
          // the data before the quote must be a single token, as in `admin' SELECT ...` (not empty, not words).
          const immediate = p.pos === start + closes;
          const mssql = t.w === 'exec' || t.w === 'execute' || t.w === 'waitfor' || t.w === 'declare' || t.w === 'shutdown';
          const tokenData = ctx !== 'quote' || view.cut || (view.breakAt > 0 && !hasSpace(input.slice(0, view.breakAt)));
          if (immediate && (mssql || tokenData)) stmtFirst = true;
          const s = p.parseStatement();
          p.facts.stacked++;
          const counted = mssql || tokenData ? s : Math.min(s, STMT_WEAK);
          stackedStrength = Math.max(stackedStrength, counted === STMT_STRONG || (counted === STMT_WEAK && stmtFirst) ? counted : 0);
          continue;
        }
        break;
    }
    p.fail();
    break;
  }
  if (view.partial && p.status() !== ST_FAIL) return true;
  decideContinuation(view, out, ctx, p, start, {
    closes, onlyClosers, semiFirst: semiFirst || stmtFirst, stackedStrength, selectTail, terminated, quotedAlias,
  });
  return false;
}

interface ContinuationShape {
  /** The value closes a select-list item, aliases it and continues with FROM: `...) AS x FROM t`. */
  selectTail: boolean;
  /** That alias is a quoted name (`AS "total"`, ``AS `n` ``). */
  quotedAlias: boolean;
  closes: number;
  onlyClosers: boolean;
  semiFirst: boolean;
  /** A `;` ended the injected fragment after something that parsed (`' or 'a'='a';`, `x' and y like '%';`). */
  terminated: boolean;
  stackedStrength: number;
}

function decideContinuation(view: View, out: Collector, ctx: Ctx, p: SqlParser, start: number, shape: ContinuationShape): void {
  const { sig, input } = view;
  const F = p.facts;
  const failed = p.status() === ST_FAIL;
  const last = sig[sig.length - 1];
  const quoteTail = ctx === 'quote' && last !== undefined && last.open &&
    (view.quote === '`' ? last.k === 'qid' : last.k === 'str' && last.w === view.quote);
  const openTail = last !== undefined && last.k === 'str' && last.open;
  const tailGood = view.cut || quoteTail || (shape.terminated && !failed) || (ctx !== 'quote' && !failed && !openTail);
  const at = ctx === 'quote' ? view.breakAt : (sig[start]?.s ?? 0);
  const quoted = ctx === 'quote';
  const literal = ctx === 'quote' || ctx === 'num' || ctx === 'str';
  const where = quoted ? `after a ${view.quote === "'" ? 'single quote' : view.quote === '"' ? 'double quote' : 'backtick'}` : 'after a value';
  // A single word or symbol in quotes ('OR', '=', '||'), as prose and code write them: weak evidence only.
  const quotedToken = (quoted && sig[0] !== undefined && !sig[0].sp && sig[1] !== undefined && !sig[1].sp &&
    (view.quote === '`' ? sig[1].k === 'qid' : sig[1].k === 'str' && sig[1].w === view.quote)) || (F.logical > 0 && F.gluedLogic === F.logical);

  // A constant condition joined to the query: OR 1=1, ' OR 'a'='a, AND 1=2, ') OR ('x'='x.
  if (F.logical > 0 && F.constCmp > 0) {
    if (!failed) out.add('sqli-tautology', 1, SCORE.critical, `constant condition injected ${where}`, at);
    else out.add('sqli-tautology', 2, literal ? SCORE.critical : SCORE.warning, `constant condition ${where}`, at);
  } else if (quoted && F.constCmp > 0 && !failed && tailGood && !quotedToken) {
    out.add('sqli-tautology', 2, SCORE.critical, `comparison injected ${where}`, at);
  } else if (F.logical > 0 && F.constLogic > 0 && !failed) {
    if (((quoted && tailGood) || (view.evasion() && ctx !== 'ident')) && !quotedToken) {
      out.add('sqli-tautology', 1, SCORE.critical, `OR/AND with a constant ${where}`, at);
    }
    else if (quoted && (!quotedToken || !hasSpace(input.slice(0, view.breakAt)))) {
      out.add('sqli-tautology', 2, SCORE.critical, `OR/AND with a constant ${where}`, at);
    } else if (quoted) out.add('sqli-tautology', 3, SCORE.warning, `OR/AND with a constant ${where}`, at);
    else if (ctx === 'lead' && view.cut) out.add('sqli-tautology', 2, SCORE.critical, `OR/AND with a constant ${where}`, at);
    else if (ctx !== 'ident') out.add('sqli-tautology', 2, SCORE.warning, `OR/AND with a constant ${where}`, at);
  }

  // `1=1`, `'a' LIKE 'a'` on their own: a constant condition where a value was expected; `11!=1`, `1 is not 2`,
  // `'a' not regexp 'b'`: constants compared the way only SQL writes it.
  if (F.sameCmp > 0 && !failed && F.logical === 0 && (ctx === 'num' || ctx === 'str' || (ctx === 'ident' && p.pos > start)) && !openTail) {
    out.add('sqli-tautology', 2, SCORE.critical, 'comparison of a value with itself where a value is expected', at);
  } else if (F.constCmp > 0 && F.sqlOpCmp > 0 && p.status() === ST_OK && F.logical === 0 && (ctx === 'num' || ctx === 'str')) {
    out.add('sqli-tautology', 2, SCORE.critical, 'SQL comparison of constants where a value is expected', at);
  } else if (ctx === 'lead' && F.logical === 0 && F.sqlOpCmp > 0 && p.status() === ST_OK && shape.closes === 0 &&
    !isWordAt(sig, start, 'between')) {
    // `IN (1, 2)`, `IS NOT NULL`, `LIKE '%'`: the value continues a condition.
    out.add('sqli-boolean', 2, SCORE.critical, 'value starts with a SQL comparison', at);
  } else if (F.logical > 0 && (F.constCmp > 0 || F.colCmp > 0) && !failed && ctx === 'lead' && F.identLogic === 0) {
    out.add('sqli-boolean', 2, SCORE.critical, 'value starts with a SQL condition', at);
  }

  // A condition on columns, functions or subqueries: blind boolean injection.
  const strongCond = F.subqueries > 0 || F.sqlCalls > 0;
  if (F.logical > 0 && (F.colCmp > 0 || strongCond || F.calls > 0)) {
    const msg = `condition injected ${where}`;
    if (quoted) {
      if (strongCond) out.add('sqli-boolean', failed ? 2 : 1, SCORE.critical, msg, at);
      else if (!failed) out.add('sqli-boolean', tailGood || view.evasion() ? 1 : 2, SCORE.critical, msg, at);
      else out.add('sqli-boolean', 3, SCORE.warning, msg, at);
    } else if (literal) {
      if (strongCond) out.add('sqli-boolean', failed ? 2 : 1, SCORE.critical, msg, at);
      else if (!failed && F.colCmp > 0) out.add('sqli-boolean', 2, tailGood ? SCORE.critical : SCORE.warning, msg, at);
    } else if (ctx === 'lead') {
      if (strongCond && !failed) out.add('sqli-boolean', 2, SCORE.critical, msg, at);
      else if (!failed && F.colCmp > 0) out.add('sqli-boolean', 2, SCORE.warning, msg, at);
    } else if (strongCond && !failed) {
      out.add('sqli-boolean', 2, SCORE.warning, msg, at);
    }
  } else if (strongCond && !failed && p.pos > start + 1 && ctx !== 'ident') {
    // '+(SELECT ...)+', '||pg_sleep(5)||', IN (SELECT ...): an expression spliced into the query.
    const pl = quoted || (literal && F.subqueries > 0) ? 1 : 2;
    out.add('sqli-boolean', pl, SCORE.critical, `expression with a subquery or SQL function ${where}`, at);
  }

  // x'=email--, id'is not-id--, '/**/*2--: the literal closed, turned into an expression, the rest cut off.
  if (quoted && view.cut && !failed && F.logical === 0 && p.pos > start + shape.closes &&
    (F.colCmp + F.constCmp + F.arith > 0) && !hasSpace(input.slice(0, view.breakAt))) {
    out.add('sqli-comment-cut', 2, SCORE.critical, `expression and comment cut ${where}`, at);
  }

  // PostgreSQL JSON operators on literals cast to json/jsonb: '{"a":1}'::jsonb @> '{"a":1}'.
  if (F.jsonCast > 0 && F.jsonOp > 0 && !failed) out.add('sqli-json', 1, SCORE.critical, 'PostgreSQL JSON operator on a jsonb literal', at);
  else if (F.jsonOp > 0 && F.logical > 0 && !failed && literal) out.add('sqli-json', 1, SCORE.critical, `JSON operator condition ${where}`, at);

  // Constructs parsed as part of the continuation (also found by the scan when they stand alone).
  if (F.unions > 0 && F.selects > 0 && (!failed || literal)) out.add('sqli-union', literal ? 1 : 2, SCORE.critical, `UNION SELECT ${where}`, at);
  if (F.intoFile > 0) out.add('sqli-file', 1, SCORE.critical, 'SELECT ... INTO OUTFILE/DUMPFILE', at);
  if (F.catalogTier === 1 && !failed) out.add('sqli-catalog', 1, SCORE.critical, `system catalog ${where}`, at);

  if (shape.selectTail && !failed && (shape.closes > 0 || quoted || (ctx === 'num' && shape.quotedAlias))) {
    out.add('sqli-statement', 2, SCORE.critical, `select-list item closed and aliased ${where}`, at);
  }

  // ORDER BY n / GROUP BY n: column-count probing.
  if (F.orderProbe > 0 && !failed) {
    if (literal) out.add('sqli-order-probe', tailGood ? 1 : 2, SCORE.critical, `ORDER/GROUP BY column number ${where}`, at);
    else if (ctx === 'lead') out.add('sqli-order-probe', 2, view.cut ? SCORE.critical : SCORE.warning, 'ORDER/GROUP BY column number', at);
  }

  // Statements stacked after the break-out.
  if (F.stacked > 0) {
    const msg = `statement stacked ${where}`;
    if (shape.stackedStrength === STMT_STRONG) out.add('sqli-stacked', ctx === 'ident' ? 2 : 1, SCORE.critical, msg, at);
    else if (shape.stackedStrength === STMT_WEAK && shape.semiFirst && quoted) out.add('sqli-stacked', 1, SCORE.critical, msg, at);
    else if (shape.stackedStrength === STMT_WEAK && shape.semiFirst && ctx !== 'ident') out.add('sqli-stacked', 2, SCORE.critical, msg, at);
    else if (shape.stackedStrength === STMT_WEAK) out.add('sqli-stacked', 3, SCORE.warning, msg, at);
  }

  // admin'; : the break-out followed only by `;`, which ends the application's statement there.
  if (shape.onlyClosers && shape.semiFirst && p.pos >= sig.length && !failed && quoted) {
    const data = input.slice(0, view.breakAt);
    if (data.length > 0 && !hasSpace(data)) {
      out.add('sqli-comment-cut', 2, SCORE.critical, `statement terminated ${where}`, at);
    }
  }

  // admin'-- : the break-out followed only by a comment that cuts the application's query.
  if (shape.onlyClosers && p.pos >= sig.length && view.cut && !failed && (quoted || (ctx === 'num' && shape.closes > 0))) {
    const comment = view.raw[view.raw.length - 1]!;
    // `-- ` needs a space in MySQL; `#` directly followed by a word is more often a colour or an anchor ('#fff');
    // a comment that contains the quote again is a quoted string read inside out (hex('#abc')).
    const after = input.charCodeAt(comment.s + (comment.ck === '-' ? 2 : 1));
    const spaced = Number.isNaN(after) || after <= 32 || after === 45 || after === 35;
    const proper = (comment.ck === '*' || spaced) && !input.slice(comment.s, comment.e).includes(view.quote);
    const data = input.slice(0, view.breakAt);
    const msg = `comment cuts the query ${where}`;
    if (quoted && proper && data.length > 0 && !hasSpace(data)) out.add('sqli-comment-cut', 1, SCORE.critical, msg, at);
    else if (quoted && data.length > 0) out.add('sqli-comment-cut', 2, proper ? SCORE.warning : SCORE.notice, msg, at);
    else out.add('sqli-comment-cut', 2, SCORE.notice, msg, at);
  }
}

function literalVal(input: string, t: Token): Val {
  return t.e - t.s > 32 ? { f: V_CONST, id: '' } : { f: V_CONST, id: `#${input.slice(t.s, t.e)}` };
}

function hasSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 32) return true;
  return false;
}

// ------------------------------------------------------------------ constructs anywhere in the value

function scan(view: View, out: Collector): void {
  const { sig } = view;
  let callsDone = 0;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.k === ';') {
      checkStacked(view, i, out);
      continue;
    }
    if (t.k === 'var') {
      if (t.w.startsWith('@@') && t.w.length > 3) {
        out.add('sqli-info', 1, SCORE.warning, 'SQL system variable', t.s);
        out.add('sqli-info', 2, SCORE.critical, 'SQL system variable', t.s);
      }
      continue;
    }
    if (t.k === 'op' && t.w === '::') {
      checkCast(view, i, out);
      continue;
    }
    if (t.k !== 'word' && t.k !== 'qid') continue;
    const trigger = TRIGGERS.get(t.w);
    if (trigger === undefined) continue;
    if ((trigger & T_CATALOG) !== 0) checkCatalog(view, i, out);
    if ((trigger & T_NAME) !== 0 && sig[i + 1]?.k !== '(' && sig[i - 1]?.k !== '.') {
      out.add('sqli-procedure-name', 2, SCORE.critical, `SQL routine name ${t.w}`, t.s);
    }
    if (t.k === 'qid') continue;
    if ((trigger & T_FUNCTION) !== 0 && sig[i + 1]?.k === '(' && i >= callsDone) callsDone = checkCalls(view, i, out);
    if ((trigger & T_KEYWORD) === 0) continue;
    switch (t.w) {
      case 'union': case 'except': case 'intersect': case 'minus':
        checkUnion(view, i, out);
        break;
      case 'waitfor':
        if (isWordAt(sig, i + 1, 'delay') || isWordAt(sig, i + 1, 'time')) {
          out.add('sqli-time', 1, SCORE.critical, 'WAITFOR DELAY/TIME', t.s);
        }
        break;
      case 'into':
        if (isWordAt(sig, i + 1, 'outfile') || isWordAt(sig, i + 1, 'dumpfile')) {
          out.add('sqli-file', 1, SCORE.critical, 'SELECT ... INTO OUTFILE/DUMPFILE', t.s);
        }
        break;
      case 'load':
        if ((isWordAt(sig, i + 1, 'data') || isWordAt(sig, i + 1, 'xml')) &&
          (isWordAt(sig, i + 2, 'infile') || (isWordAt(sig, i + 2, 'local') && isWordAt(sig, i + 3, 'infile')))) {
          out.add('sqli-file', 1, SCORE.critical, 'LOAD DATA INFILE', t.s);
        }
        break;
      case 'exec': case 'execute':
        checkExec(view, i, out);
        break;
      case 'declare':
        if (sig[i + 1]?.k === 'var') out.add('sqli-stacked', 1, SCORE.critical, 'T-SQL DECLARE of a variable', t.s);
        break;
      case 'when':
        checkCaseWhen(view, i, out);
        break;
      case 'procedure':
        if ((isWordAt(sig, i + 1, 'analyse') || isWordAt(sig, i + 1, 'analyze')) && sig[i + 2]?.k === '(') {
          out.add('sqli-info', 1, SCORE.critical, 'PROCEDURE ANALYSE', t.s);
        }
        break;
      default:
        break;
    }
  }
}


/**
 * `CASE WHEN cond THEN x`, or `) WHEN 2 THEN`: a CASE expression (or its continuation) where a value was expected.
 * Prose ("in case when ready then go") needs a comparison in the condition or the value starting with it.
 */
function checkCaseWhen(view: View, i: number, out: Collector): void {
  const { sig, input } = view;
  const prev = sig[i - 1];
  let lead = i;
  while (lead > 0 && sig[lead - 1]!.k === ')') lead--;
  const afterCase = prev !== undefined && prev.k === 'word' && prev.w === 'case';
  const atStart = (afterCase ? lead === i - 1 : lead === 0 && prev !== undefined) || (afterCase && i === 1);
  if (!afterCase && !atStart && i !== 0) return;
  const p = new SqlParser(input, sig, i + 1, Math.min(sig.length, i + BUDGET));
  p.maxDepth = LOCAL_DEPTH;
  p.parseExpr();
  if (!p.isWord(0, 'then')) return;
  p.pos++;
  p.parseExpr();
  if (p.status() === ST_FAIL) return;
  const next = p.peek();
  const ends = next === undefined || (next.k === 'word' && (next.w === 'else' || next.w === 'end' || next.w === 'when')) ||
    next.k === ')' || next.k === ',';
  if (!ends) return;
  const cmp = p.facts.constCmp + p.facts.colCmp > 0;
  if (cmp || (afterCase && (i === 1 || (i === lead + 1 && lead === 0)))) {
    out.add('sqli-boolean', 2, SCORE.critical, 'CASE WHEN ... THEN expression', (afterCase ? prev : sig[i])!.s);
  } else if (atStart && !afterCase) {
    out.add('sqli-boolean', 2, SCORE.critical, 'continuation of a CASE expression', sig[i]!.s);
  }
}

function isWordAt(sig: readonly Token[], i: number, w: string): boolean {
  const t = sig[i];
  return t !== undefined && t.k === 'word' && t.w === w;
}

/** A keyword written in mixed case (`UnIoN`, `sElEcT`): people write union, Union or UNION. */
function oddCase(input: string, t: Token): boolean {
  let upper = 0;
  let lower = 0;
  let upperAfterFirst = 0;
  for (let i = t.s; i < t.e; i++) {
    const c = input.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      upper++;
      if (i > t.s) upperAfterFirst++;
    } else if (c >= 97 && c <= 122) {
      lower++;
    }
  }
  return lower > 0 && upperAfterFirst > 0;
}

/** Something other than whitespace between two tokens (a comment, a versioned comment marker). */
function obfuscatedGap(input: string, a: Token, b: Token): boolean {
  for (let i = a.e; i < b.s; i++) if (input.charCodeAt(i) > 32) return true;
  return false;
}

function checkUnion(view: View, i: number, out: Collector): void {
  const { sig, input } = view;
  const u = sig[i]!;
  let j = i + 1;
  if (isWordAt(sig, j, 'all') || isWordAt(sig, j, 'distinct') || isWordAt(sig, j, 'distinctrow')) j++;
  const s = sig[j];
  if (s === undefined) return;
  const select = s.k === 'word' && s.w === 'select';
  const paren = s.k === '(' && isWordAt(sig, j + 1, 'select');
  const values = s.k === 'word' && s.w === 'values' && sig[j + 1]?.k === '(';
  if (!select && !paren && !values) return;
  if (u.w === 'minus' && !select) return;
  const p = new SqlParser(input, sig, i, Math.min(sig.length, i + BUDGET));
  p.maxDepth = LOCAL_DEPTH;
  p.parseSetOps();
  const F = p.facts;
  const afterSelect = sig[j + 1];
  const literalFirst = afterSelect !== undefined && (afterSelect.k === 'num' || afterSelect.k === 'str' ||
    afterSelect.k === 'var' || (afterSelect.k === 'op' && afterSelect.w === '*') || isWordAt(sig, j + 1, 'null') ||
    (afterSelect.k === 'word' && sig[j + 2]?.k === '(' && FUNCTIONS.has(afterSelect.w)));
  const prev = sig[i - 1];
  const breakout = (i === 0 && view.quote !== '') ||
    (prev !== undefined && (prev.k === 'num' || prev.k === 'str' || prev.k === ')' || prev.k === ';'));
  const obfuscated = oddCase(input, u) || oddCase(input, s) || obfuscatedGap(input, u, s) ||
    (j > i + 1 && obfuscatedGap(input, sig[i + 1]!, s));
  const sqlish = F.sqlish + F.sqlCalls + F.subqueries + F.catalogTier > 0 || literalFirst;
  const msg = `${u.w.toUpperCase()} SELECT`;
  if (sqlish || breakout || obfuscated) out.add('sqli-union', 1, SCORE.critical, msg, u.s);
  else if (p.status() !== ST_FAIL) out.add('sqli-union', 2, SCORE.critical, msg, u.s);
  else out.add('sqli-union', 3, SCORE.warning, msg, u.s);
}

function checkStacked(view: View, i: number, out: Collector): void {
  const { sig, input } = view;
  let j = i + 1;
  while (sig[j]?.k === ';') j++;
  const t = sig[j];
  if (t === undefined || t.k !== 'word' || !STATEMENT_WORDS.has(t.w)) return;
  const p = new SqlParser(input, sig, j, Math.min(sig.length, j + BUDGET * 4));
  p.maxDepth = LOCAL_DEPTH;
  const s = p.parseStatement();
  if (s === STMT_WEAK && !CORE_STATEMENTS.has(t.w)) return; // `; if (...)`, `; describe(...)`: code, not SQL
  const prev = sig[i - 1];
  const prevBreak = (i === 0 && view.quote !== '') ||
    (prev !== undefined && (prev.k === 'num' || prev.k === 'str' || prev.k === ')'));
  const msg = `stacked ${t.w.toUpperCase()} statement after ';'`;
  if (s === STMT_STRONG) out.add('sqli-stacked', 1, SCORE.critical, msg, sig[i]!.s);
  else if (s === STMT_WEAK && prevBreak && view.quote !== '') out.add('sqli-stacked', 1, SCORE.critical, msg, sig[i]!.s);
  else if (s === STMT_WEAK && prevBreak) out.add('sqli-stacked', 2, SCORE.critical, msg, sig[i]!.s);
  else if (s === STMT_WEAK) out.add('sqli-stacked', 3, SCORE.warning, msg, sig[i]!.s);
}

/** Statements that make a weak stacked query on their own (others must parse as unmistakable SQL). */
const CORE_STATEMENTS: ReadonlySet<string> = new Set([
  'select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute', 'declare',
  'shutdown', 'waitfor', 'grant', 'revoke', 'replace', 'load', 'copy',
]);

function checkExec(view: View, i: number, out: Collector): void {
  const { sig, input } = view;
  const t = sig[i]!;
  const n = sig[i + 1];
  if (n === undefined) return;
  if (n.k === 'var') {
    out.add('sqli-exec', 1, SCORE.critical, 'EXEC of a variable (dynamic SQL)', t.s);
    return;
  }
  if (n.k === 'word' && n.w === 'immediate') {
    out.add('sqli-exec', 1, SCORE.critical, 'EXECUTE IMMEDIATE', t.s);
    return;
  }
  if (n.k === '(') {
    const a = sig[i + 2];
    const strong = a !== undefined && (a.k === 'var' || (a.k === 'str' && startsWithStatement(input, a)));
    out.add('sqli-exec', strong ? 1 : 2, strong ? SCORE.critical : SCORE.warning, 'EXEC(...) of dynamic SQL', t.s);
    return;
  }
  if (n.k !== 'word' && n.k !== 'qid') return;
  let name = n.w;
  let k = i + 2;
  while (sig[k]?.k === '.' && k < i + 10) {
    const o = sig[k + 1]?.k === '.' ? 2 : 1;
    const part = sig[k + o];
    if (part === undefined || (part.k !== 'word' && part.k !== 'qid')) {
      name += '.';
      break;
    }
    name += (o === 2 ? '..' : '.') + part.w;
    k += o + 1;
  }
  const flags = procedureFlags(name);
  if ((flags & F_OOB) !== 0) out.add('sqli-out-of-band', 1, SCORE.critical, `EXEC ${name}`, t.s);
  else if (flags !== 0) out.add('sqli-exec', 1, SCORE.critical, `EXEC ${name}`, t.s);
  else if (name.startsWith('master.') || name.startsWith('dbo.') || name.startsWith('sys.')) {
    out.add('sqli-exec', 1, SCORE.critical, `EXEC ${name}`, t.s);
  } else if (name.startsWith('sp_') || name.startsWith('xp_')) {
    out.add('sqli-exec', 2, SCORE.critical, `EXEC ${name}`, t.s);
  }
}

function startsWithStatement(input: string, str: Token): boolean {
  let i = str.s + 1;
  while (i < str.e && input.charCodeAt(i) <= 32) i++;
  let j = i;
  while (j < str.e && ((input.charCodeAt(j) | 32) >= 97 && (input.charCodeAt(j) | 32) <= 122)) j++;
  return STATEMENT_WORDS.has(input.slice(i, j).toLowerCase());
}

/**
 * Calls of known SQL functions: parses the call at token `i` together with every call nested in it, decides each,
 * and returns the token index up to which calls have been decided (the scan skips calls before it).
 */
function checkCalls(view: View, i: number, out: Collector): number {
  const { sig, input } = view;
  const t = sig[i]!;
  let startIdx = i;
  let name = t.w;
  // Qualified names (dbms_pipe.receive_message, utl_http.request); a method call on anything else is not SQL.
  if (sig[i - 1]?.k === '.') {
    const q = sig[i - 2];
    if (q === undefined || (q.k !== 'word' && q.k !== 'qid')) return i + 1;
    name = `${q.w}.${t.w}`;
    startIdx = i - 2;
    if (sig[i - 3]?.k === '.' && sig[i - 4] !== undefined) {
      const longer = `${sig[i - 4]!.w}.${name}`;
      if (FUNCTIONS.has(longer)) {
        name = longer;
        startIdx = i - 4;
      }
    }
    if (!FUNCTIONS.has(name)) return i + 1;
  }
  const flags = FUNCTIONS.get(name);
  if (flags === undefined) return i + 1;
  // A delay function on a number needs no further parsing: sleep(5), benchmark(5000000, ...), pg_sleep(10).
  if ((flags & F_TIME) !== 0 && quickTimeArg(sig, i)) {
    const pl = sqlOperandPosition(sig, startIdx) ? 1 : 2;
    out.add('sqli-time', pl, SCORE.critical, `time-delay function ${name}()`, sig[startIdx]!.s);
    if ((flags & ~(F_TIME | F_BLIND)) === 0) return i + 1;
  }
  const p = new SqlParser(input, sig, startIdx, Math.min(sig.length, i + BUDGET));
  p.maxDepth = LOCAL_DEPTH;
  p.callList = [];
  p.parsePrimary();
  for (const call of p.callList) decideCall(view, call, out);
  // Past the nesting bound, deeper calls get a parse of their own.
  return p.depthFailAt >= 0 ? p.depthFailAt : Math.max(i + 1, p.pos);
}

function decideCall(view: View, c: CallInfo, out: Collector): void {
  if (c.failed) return;
  const at = c.at;
  const name = c.name;
  const flags = c.flags;
  // sleep and benchmark are English words too: a number or SQL as argument; pg_sleep, dbms_lock.sleep: any.
  const distinctive = name.includes('_') || name.includes('.');
  if ((flags & F_TIME) !== 0 && (distinctive || c.truncatedAtParen || quickTimeArg(view.sig, c.paren - 1) ||
    c.innerCalls + c.innerSubqueries + c.innerSqlish > 0)) {
    const pl = c.truncatedAtParen || !sqlOperandPosition(view.sig, c.index) ? 2 : 1;
    out.add('sqli-time', pl, SCORE.critical, `time-delay function ${name}()`, at);
  }
  if ((flags & F_ERROR) !== 0) out.add('sqli-error-based', 1, SCORE.critical, `error-based function ${name}()`, at);
  if ((flags & F_FILE) !== 0) out.add('sqli-file', 1, SCORE.critical, `file access function ${name}()`, at);
  if ((flags & F_EXEC) !== 0) out.add('sqli-exec', 1, SCORE.critical, `command execution ${name}()`, at);
  if ((flags & F_OOB) !== 0) out.add('sqli-out-of-band', 1, SCORE.critical, `out-of-band function ${name}()`, at);
  if ((flags & F_INFO) !== 0) {
    if (distinctive || c.emptyArgs || c.truncatedAtParen) {
      out.add('sqli-info', 1, SCORE.warning, `database information function ${name}()`, at);
      out.add('sqli-info', 2, SCORE.critical, `database information function ${name}()`, at);
    }
  }
  if ((flags & (F_BLIND | F_JSON | F_GENERIC)) !== 0) {
    const nested = c.innerCalls;
    const sqlish = c.innerSqlish + c.innerSubqueries + ((c.innerFlags & (F_INFO | F_ERROR | F_TIME)) !== 0 ? 1 : 0);
    const msg = `SQL function ${name}()`;
    if (c.innerSubqueries > 0) out.add('sqli-function', 1, SCORE.critical, `${msg} on a subquery`, at);
    else if (CONDITIONAL_FUNCTIONS.has(name) && c.innerCmp > 0 && (c.args >= 2 || !closedBefore(view.sig, c.paren))) {
      // IF(1=1, a, b), IIF(x>1, ...), ELT(2=2, ...), or a truncated `if(2=`: a condition evaluated by SQL.
      out.add('sqli-function', 2, SCORE.critical, `SQL conditional ${name}() on a comparison`, at);
    }
    else if (sqlish > 0 && nested > 0) {
      out.add('sqli-function', 1, SCORE.warning, msg, at);
      out.add('sqli-function', 2, SCORE.critical, msg, at);
    } else if (sqlish > 0 || nested > 0 || (c.truncatedAtParen && TYPICAL_FUNCTIONS.has(name))) {
      out.add('sqli-function', 2, SCORE.critical, msg, at);
    }
    else if (TYPICAL_FUNCTIONS.has(name)) out.add('sqli-function', 2, SCORE.warning, msg, at);
    else out.add('sqli-function', 3, SCORE.warning, msg, at);
  }
}

/** SQL functions that evaluate a condition argument. */
const CONDITIONAL_FUNCTIONS: ReadonlySet<string> = new Set(['if', 'iif', 'elt', 'make_set', 'nullif', 'ifnull', 'coalesce',
  'field', 'find_in_set', 'decode']);

/** Whether the `(` at token `paren` is closed later in the tokens (a complete call, not a truncated one). */
function closedBefore(sig: readonly Token[], paren: number): boolean {
  let depth = 0;
  for (let i = paren; i < sig.length && i < paren + BUDGET; i++) {
    const k = sig[i]!.k;
    if (k === '(') depth++;
    else if (k === ')' && --depth === 0) return true;
  }
  return false;
}

/**
 * Whether the token at `i` stands where SQL puts an operand: at the start, after `(`, `,`, an operator, a quote
 * or a SQL keyword. Not after `{`, `;` or an arbitrary word, as in code (`if (x) { sleep(5); }`).
 */
function sqlOperandPosition(sig: readonly Token[], i: number): boolean {
  const prev = sig[i - 1];
  if (prev === undefined) return true;
  switch (prev.k) {
    case '(': case ',': case 'op': case 'str':
      return true;
    case 'word':
      return OPERAND_KEYWORDS.has(prev.w);
    default:
      return false;
  }
}

const OPERAND_KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'xor', 'not', 'select', 'if', 'then', 'else', 'when', 'where', 'having', 'by', 'like', 'rlike',
  'regexp', 'in', 'is', 'between', 'case', 'return', 'div', 'mod', 'on', 'limit', 'values', 'exists', 'set', 'from',
  'join',
]);

/**
 * `name(` followed by a number that is followed by `,`, `)`, an operator or something glued to it:
 * sleep(5), benchmark(5000000, ...), sleep(20.to_i). Not `sleep(8 hours)`.
 */
function quickTimeArg(sig: readonly Token[], i: number): boolean {
  let k = i + 2;
  if (sig[k]?.k === 'op' && (sig[k]!.w === '-' || sig[k]!.w === '+')) k++;
  const arg = sig[k];
  const after = sig[k + 1];
  if (arg === undefined || arg.k !== 'num') return false;
  return after === undefined || after.k === ',' || after.k === ')' || after.k === 'op' || !after.sp;
}

/** PostgreSQL casts: `(...)::int` forces an error that carries data; `col::text`; `'{..}'::jsonb`. */
function checkCast(view: View, i: number, out: Collector): void {
  const { sig } = view;
  const type = sig[i + 1];
  const prev = sig[i - 1];
  if (type === undefined || prev === undefined || (type.k !== 'word' && type.k !== 'qid') || !CAST_TYPES.has(type.w)) return;
  const at = prev.s;
  if (prev.k === ')') out.add('sqli-cast', 1, SCORE.critical, `PostgreSQL cast of an expression to ${type.w}`, at);
  else if (prev.k === 'word' || prev.k === 'qid') out.add('sqli-cast', 2, SCORE.critical, `PostgreSQL cast of a column to ${type.w}`, at);
  else if (prev.k === 'str' && (type.w === 'json' || type.w === 'jsonb')) {
    // A jsonb literal operated on: `'[1,2]'::jsonb - 1`, `'{..}'::jsonb || '3'`, `#- '{a}'` (read as a comment).
    const next = sig[i + 2];
    const before = sig[i - 2];
    const operated = (next !== undefined && next.k === 'op') || (before !== undefined && before.k === 'op') ||
      nextIsJsonDelete(view, i + 1);
    if (operated) out.add('sqli-json', 1, SCORE.critical, 'PostgreSQL operator on a jsonb literal', at);
    else out.add('sqli-json', 2, SCORE.warning, 'PostgreSQL jsonb literal', at);
  }
  else if (prev.k === 'str' || prev.k === 'num') out.add('sqli-cast', 3, SCORE.warning, `PostgreSQL cast to ${type.w}`, at);
}

/** `#-` (PostgreSQL jsonb path delete) right after the token at `i`: the tokenizer reads `#` as a comment. */
function nextIsJsonDelete(view: View, i: number): boolean {
  const t = view.sig[i];
  if (t === undefined) return false;
  let k = t.e;
  while (k < view.input.length && view.input.charCodeAt(k) <= 32) k++;
  return view.input.charCodeAt(k) === 35 && view.input.charCodeAt(k + 1) === 45 && view.input.charCodeAt(k + 2) !== 45;
}

/** System catalogs: information_schema, sqlite_master, master..sysdatabases, mysql.user ... */
function checkCatalog(view: View, i: number, out: Collector): void {
  const { sig } = view;
  if (sig[i - 1]?.k === '.') return; // part of a name already seen from its start
  const t = sig[i]!;
  let name = t.w;
  let k = i + 1;
  while (sig[k]?.k === '.' && k < i + 10) {
    const o = sig[k + 1]?.k === '.' ? 2 : 1;
    const part = sig[k + o];
    if (part === undefined || (part.k !== 'word' && part.k !== 'qid')) break;
    name += (o === 2 ? '..' : '.') + part.w;
    k += o + 1;
  }
  const prev = sig[i - 1];
  const asTable = prev !== undefined && prev.k === 'word' &&
    (prev.w === 'from' || prev.w === 'join' || prev.w === 'into' || prev.w === 'update' || prev.w === 'table');
  const tier = catalogTier(name, asTable);
  if (tier === 1) out.add('sqli-catalog', 1, SCORE.critical, `system catalog ${name}`, t.s);
  else if (tier === 2) out.add('sqli-catalog', 2, SCORE.warning, `system catalog ${name}`, t.s);
  else if (tier === 3) out.add('sqli-catalog', 2, SCORE.notice, `system database ${name}`, t.s);
}

// ------------------------------------------------------------------ the whole value as a statement

const WHOLE_KINDS = new Set([
  'values', 'select', 'with', 'insert', 'replace', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute',
  'declare', 'shutdown', 'waitfor', 'grant', 'revoke', 'load', 'copy', 'call', 'prepare',
]);
const DESTRUCTIVE = new Set(['insert', 'replace', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec',
  'execute', 'shutdown', 'grant', 'revoke', 'declare']);

/** Every gap between the significant tokens is a block comment or nothing (`SELECT` comment `a` comment `FROM t`). */
function commentsAsSpaces(view: View): boolean {
  const { raw, input } = view;
  let comments = 0;
  for (let i = 1; i < raw.length; i++) {
    const t = raw[i]!;
    if (t.k === 'comment') {
      if (t.ck !== '*') return false;
      comments++;
    } else if (t.sp && raw[i - 1]!.k !== 'comment' && input.charCodeAt(t.s - 1) <= 32) {
      return false;
    }
  }
  return comments > 0;
}

function wholeStatement(view: View, out: Collector): void {
  const { sig, input } = view;
  const t0 = sig[0];
  if (t0 === undefined || t0.k !== 'word' || !WHOLE_KINDS.has(t0.w)) return;
  const p = new SqlParser(input, sig, 0, sig.length);
  let strength = p.parseStatement();
  let semis = 0;
  while (p.ok && p.isKind(0, ';')) {
    semis++;
    while (p.isKind(0, ';')) p.pos++;
    if (p.peek() === undefined) break;
    strength = Math.max(strength, p.parseStatement());
  }
  if (p.status() === ST_FAIL || strength === 0) return;
  if (p.peek() !== undefined) return;
  const msg = `the value is a SQL ${t0.w.toUpperCase()} statement`;
  if (strength === STMT_WEAK) {
    // `DELETE FROM users;--`: a statement terminated and cut like an injection. Empty block comments between
    // the words: comments standing for spaces. `VALUES ('a', 'b')`: a row of literals.
    if (DESTRUCTIVE.has(t0.w) && semis > 0 && view.cut) out.add('sqli-statement', 1, SCORE.critical, msg, t0.s);
    else if (view.evasion() && (view.cut || semis > 0 || commentsAsSpaces(view))) out.add('sqli-statement', 1, SCORE.critical, msg, t0.s);
    else if (view.evasion() || (t0.w === 'values' && sig[1]?.k === '(')) out.add('sqli-statement', 2, SCORE.critical, msg, t0.s);
  }
  if (strength === STMT_STRONG) {
    // Terminated like an injection (`;`, a comment cutting what follows): paranoia 1. A bare statement may be
    // a product name ("Drop table, walnut") or SQL pasted in a help request: paranoia 2.
    if (view.cut || view.evasion() || (DESTRUCTIVE.has(t0.w) && semis > 0)) out.add('sqli-statement', 1, SCORE.critical, msg, t0.s);
    else out.add('sqli-statement', 2, SCORE.critical, msg, t0.s);
  } else {
    out.add('sqli-statement', 3, SCORE.warning, msg, t0.s);
  }
}

/** The value is the tail of a query: `FROM t WHERE a = 1 LIMIT 5`, `WHERE id = 3 ORDER BY 2`. */
function clauseTail(view: View, out: Collector): void {
  const { sig, input } = view;
  const t0 = sig[0];
  if (t0 === undefined || t0.k !== 'word') return;
  const p = new SqlParser(input, sig, 0, sig.length);
  let clauses = 0;
  if (t0.w === 'from') {
    p.pos++;
    p.parseTableRefs();
    clauses++;
  } else if (t0.w === 'where') {
    p.pos++;
    p.parseExpr();
    clauses++;
  } else if (!((t0.w === 'group' || t0.w === 'order') && p.isWord(1, 'by')) && t0.w !== 'having' && t0.w !== 'limit') {
    return;
  }
  for (let guard = 0; guard < 16 && p.ok && p.peek() !== undefined && p.peek()!.k === 'word'; guard++) {
    const before = p.pos;
    p.parseSelectClauses();
    if (p.pos === before) break;
    clauses++;
  }
  while (p.ok && p.isKind(0, ';')) p.pos++;
  if (p.status() === ST_FAIL || p.peek() !== undefined) return;
  const F = p.facts;
  if (clauses >= 2 || F.constCmp + F.colCmp > 0 || F.sqlish > 0 || F.catalogTier > 0) {
    out.add('sqli-statement', 2, SCORE.critical, 'the value is the tail of a SQL query', t0.s);
  }
}
