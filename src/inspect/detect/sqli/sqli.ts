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
 *
 * Benign values are decided cheaply without changing any finding (see README.md, "Benign input is cheap"): a one-pass
 * survey of the characters tells which parts can fire at all (`survey`, `quietValue`), readings that fail on their
 * first tokens are recognized without being built (`bareFailsAtOnce`, `quoteFailsAtOnce`, `pairFailsAtOnce`),
 * readings tokenize on demand (`View`, `TokenStream`), and work for rules above the paranoia level in force is skipped.
 */
import { isPasswordField, lastNameStep } from '../field-name.ts';
import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import {
  isSpace, isWordChar, isWordStart, operatorAt, stringEnd, TokenStream, WORD_MAX, type CodeUnits, type Token,
} from './sql-tokenizer.ts';
import {
  CAST_TYPES, SqlParser, ST_FAIL, ST_OK, catalogTier, STMT_STRONG, STMT_WEAK, V_CONST, procedureFlags,
  type CallInfo, type Val,
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

/**
 * One reading of the value: its tokens from an offset, tokenized on demand. The break-out readings of prose fail on
 * their first or second token, so most readings never tokenize the rest of the value. Lazy paths (the
 * continuation, the whole-statement and clause-tail checks) read tokens through `has` / `at`; `sig`, `raw`, `cut`
 * and `evasion()` tokenize the whole reading first, so whatever uses them sees exactly what an eager tokenization
 * would give.
 */
class View {
  readonly input: string;
  readonly src: TokenStream;
  /** '' for the bare reading, else the quote the value breaks out of. */
  readonly quote: string;
  /** Offset of the break-out quote (0 for the bare reading). */
  readonly breakAt: number;
  /** Tokenized only up to a limit (BREAKOUT_PEEK tokens): see `partial`. */
  private readonly capped: boolean;
  private cutState = -1;
  private evasionState = -1;

  constructor(input: string, src: TokenStream, quote: string, breakAt: number, capped = false) {
    this.input = input;
    this.src = src;
    this.quote = quote;
    this.breakAt = breakAt;
    this.capped = capped;
  }

  /** Whether significant token i exists. */
  has(i: number): boolean {
    return i < this.src.sig.length || this.src.fill(i);
  }

  /** Significant token i, or undefined past the end. */
  at(i: number): Token | undefined {
    return this.has(i) ? this.src.sig[i] : undefined;
  }

  /** All tokens without comments and `1.e` filler numbers (tokenizes the whole reading). */
  get sig(): readonly Token[] {
    this.src.fillAll();
    return this.src.sig;
  }

  /** All tokens, comments included (tokenizes the whole reading). */
  get raw(): readonly Token[] {
    this.src.fillAll();
    return this.src.raw;
  }

  /** The input ends inside a comment: the rest of the application's query is cut off. */
  get cut(): boolean {
    if (this.cutState < 0) {
      const raw = this.raw;
      const last = raw[raw.length - 1];
      this.cutState = last !== undefined && last.k === 'comment' && (last.ck !== '*' || last.open) ? 1 : 0;
    }
    return this.cutState === 1;
  }

  /** Comments inside the code, MySQL versioned comments, mixed-case keywords: SQL written to slip past filters. */
  evasion(): boolean {
    if (this.evasionState < 0) {
      const raw = this.raw;
      const last = raw[raw.length - 1];
      let evasive = last !== undefined && hasVersionedComment(this.input, this.breakAt, last.e);
      for (let i = 0; i < raw.length - 1 && !evasive; i++) {
        const t = raw[i]!;
        if (t.k === 'comment' && t.ck === '*') evasive = true;
        else if (t.k === 'word' && EVASION_KEYWORDS.has(t.w) && oddCase(this.input, t)) evasive = true;
      }
      this.evasionState = evasive ? 1 : 0;
    }
    return this.evasionState === 1;
  }

  /** Tokenized only up to a limit and the limit reached: a continuation that gets there is redone in full. */
  partial(): boolean {
    return this.capped && (this.src.fillAll(), this.src.raw.length >= BREAKOUT_PEEK);
  }
}

/**
 * Keeps, per rule, the best finding at each paranoia level and reports those that improve on the lower levels,
 * highest score first: the engine keeps the first finding of a rule that counts at its paranoia level, so a route at
 * paranoia 2 gets the paranoia-2 score and a route at paranoia 1 still gets the paranoia-1 one.
 */
class Collector {
  /** Allocated on the first finding: most values have none. */
  private best: Map<string, Array<Finding | undefined>> | undefined = undefined;
  private readonly input: string;
  /** The highest paranoia level in force: findings above it are dropped, and work for them may be skipped. */
  readonly maxParanoia: Paranoia;

  constructor(input: string, maxParanoia: Paranoia) {
    this.input = input;
    this.maxParanoia = maxParanoia;
  }

  /** Levels added to what readings report while it is set (the backtick reading of Markdown inline code). */
  demote = 0;

  add(ruleId: string, level: Paranoia, score: number, message: string, at: number): void {
    const paranoia = (this.demote === 0 ? level : Math.min(3, level + this.demote)) as Paranoia;
    if (paranoia > this.maxParanoia) return;
    this.best ??= new Map();
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

  /** The code unit at `at` of the value as received (readings of other forms keep its offsets: see asciiQuotes). */
  originalAt(at: number): number {
    return this.input.charCodeAt(at);
  }

  /** Whether a finding of `ruleId` at paranoia 1 was added. */
  hasAt1(ruleId: string): boolean {
    return this.best?.get(ruleId)?.[0] !== undefined;
  }

  flush(report: (finding: Finding) => void): void {
    if (this.best === undefined) return;
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
    if (value.length <= 7 && value.charCodeAt(0) === 39 && EMPTY_LITERAL_OPERATOR.test(value)) {
      // `'-'`, `'='`, `'|0#`: the login bypasses of MySQL's wordlists, whose comparison of a name with 0 holds
      report({ ruleId: 'sqli-tautology', category: 'sqli', paranoia: isPasswordField(context) ? 2 : 1, score: SCORE.critical, message: 'operator between empty literals (MySQL compares the column with 0)', matched: value });
      return;
    }
    // `1 or 1`, `-1 or true`, `1 || 1`, `0x31 or 1`: where a number is expected (`WHERE id = 1 or 1`), every row.
    // Only the forms prose has no use for: the same number twice, `true`, a negative or hex left side.
    if (value.length <= 40 && !context.isName && numericTautology(value)) {
      report({ ruleId: 'sqli-tautology', category: 'sqli', paranoia: 1, score: SCORE.critical, message: 'a number ORed with a true value (numeric context)', matched: value });
      return;
    }
    // A parameter an application puts into ORDER BY or a column list unquoted (`sort`, `orderBy`, `fields`): a
    // subquery or a CASE there reads the database a bit at a time (`sort=(CASE WHEN (SELECT ...)='a' THEN ...)`)
    if (!context.isName && value.length >= 12 && value.length <= 4096 && isOrderingField(context.name) && ORDERING_SUBQUERY.test(value)) {
      report({ ruleId: 'sqli-boolean', category: 'sqli', paranoia: 1, score: SCORE.critical, message: 'subquery or CASE in an ordering or column-list parameter', matched: value.slice(0, 80) });
    }
    // A value that is a whole subquery reading the database (`id=(SELECT CONCAT(0x71,(CASE WHEN ...)))`, sqlmap's
    // inline queries): where a number is expected it runs as it is
    if (!context.isName && value.length >= 16 && value.length <= 4096 && wholeSubquery(value)) {
      report({ ruleId: 'sqli-boolean', category: 'sqli', paranoia: 1, score: SCORE.critical, message: 'the value is a subquery that reads the database', matched: value.slice(0, 80) });
    }
    // Most keys and short values: nothing to report, nothing to allocate.
    const quiet = value.length < QUIET_CHECK_MAX && quietValue(value);
    if (quiet && !mayBeMagicNumber(value)) return;
    const out = new Collector(value, context.paranoia);
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    if (quiet) magicNumber(value, out);
    else inspect(value, out);
    // In a password field a quote and a comment after the password (`P@ss'#1`, `x'--`) are how random passwords are
    // made, and cutting the query there gains nothing: paranoia 2. Tautologies, UNION and the rest stay as they are.
    // (the field is asked about only then: names change from value to value, and most values have no finding)
    if (!out.hasAt1('sqli-comment-cut') || !isPasswordField(context)) out.flush(report);
    else out.flush((f) => report(f.ruleId === 'sqli-comment-cut' && f.paranoia === 1 ? { ...f, paranoia: 2, message: `${f.message} (a password field)` } : f));
  },
};


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

/*
 * plusAsSpace: `+` standing for spaces (a form-encoded value decoded as a path, or by a script): a value without any
 * whitespace in which `+` separates words, quotes or numbers is also read with every `+` as a space (see inspect).
 */

/**
 * Integer boundaries (2^31, 2^32, 2^63, 2^64 and their neighbours) probe overflow handling; 2.2250738585072011e-308
 * hangs old PHP and Java float parsers. A value that is exactly one of them.
 */
const MAGIC_INTEGERS: ReadonlySet<string> = new Set([
  '2147483647', '2147483648', '-2147483648', '-2147483649', '4294967295', '4294967296', '9223372036854775807',
  '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '18446744073709551615', '18446744073709551616',
]);

/**
 * Whether magicNumber may report on `input`: all of them have 10 to 40 characters and start with a digit or `-`
 * once trimmed, so a value starting with a letter or `_` (no whitespace) is none.
 */
function mayBeMagicNumber(input: string): boolean {
  if (input.length < 10 || input.length > 40) return false;
  const c = input.charCodeAt(0) | 32;
  return !((c >= 97 && c <= 122) || c === 127);
}

function magicNumber(input: string, out: Collector): void {
  if (!mayBeMagicNumber(input)) return;
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

/** The value is not quietValue: every form it has is inspected. */
function inspect(input: string, out: Collector): void {
  magicNumber(input, out);
  const sv = survey(input);
  inspectForm(input, sv, out);
  // The other forms of the value, when they differ from it (the survey saw the characters that make them differ).
  let quotes = input;
  if ((sv.flags & SV_TYPO) !== 0) {
    quotes = asciiQuotes(input);
    if (quotes !== input) inspectForm(quotes, survey(quotes), out);
  }
  // plusAsSpace(quotes): asciiQuotes neither adds nor removes `+` or whitespace, so the input's survey tells (SV_PLUS:
  // a `+`, SV_SPACE: whitespace), and the value is not scanned again for them.
  if ((sv.flags & SV_PLUS) !== 0 && (sv.flags & SV_SPACE) === 0) {
    const spaced = quotes.replaceAll('+', ' ');
    inspectForm(spaced, survey(spaced), out);
  }
}

function inspectForm(input: string, sv: Survey, out: Collector): void {
  if (quietForm(sv)) return;
  // At paranoia 1, a bare reading from offset x is silent when no P1-loud token ends after x (see H_P1).
  const p1 = out.maxParanoia === 1;
  const p1QuietFrom = p1 && (sv.flags & SV_SCAN) === 0 ? sv.lastP1End : Infinity;
  if (p1QuietFrom === 0 && (sv.flags & SV_QUOTE) === 0) return; // (no break-out readings either)
  // The value's first token: where it starts and, for a word, its survey classes.
  const u = sv.units;
  const n = input.length;
  const at0 = skipSpace(u, n, 0);
  const c0 = at0 < n ? u[at0]! : -1;
  const bits0 = c0 >= 0 && isWordStart(c0) ? wordTokenClasses(u, n, at0) : NO_WORD;
  if (p1QuietFrom > 0 && !bareFailsAtOnce(input, u, at0, bits0)) continuation(sv.bareView(input), out);
  // key=value pairs inside the value (a query string or cookie in a parameter): read each value bare as well.
  // Such a `=` token is glued to the token before it, so the character before it is that token's last: a word
  // character, a backtick or `]` (or the `e` of a `1.e` filler number). Past the last such `=` (sv.lastPairEq) no
  // token qualifies, so the loop stops there instead of tokenizing the rest of the value.
  // (A pair's reading starts after its `=`: at paranoia 1, past the last P1-loud token none reports.)
  if (sv.lastPairEq >= 0 && p1QuietFrom > sv.firstPairEq + 1 && !everyPairFailsAtOnce(input, sv)) {
    const view = sv.bareView(input);
    const sig = view.src.sig;
    let pairs = 0;
    for (let i = 1; view.has(i + 1) && pairs < MAX_PAIRS; i++) {
      const t = sig[i]!;
      if (t.s > sv.lastPairEq) break;
      if (t.k !== 'op' || t.w !== '=' || t.sp) continue;
      const key = sig[i - 1]!;
      if (key.k !== 'word' && key.k !== 'qid' && !(key.k === 'other' && key.w === ']')) continue;
      pairs++;
      if (p1QuietFrom > sig[i + 1]!.s && !pairFailsAtOnce(view, i + 1)) continuation(view, out, i + 1);
    }
  }
  // The scan (also of string interiors) reacts only to trigger tokens, which the survey looked for.
  if ((sv.flags & SV_SCAN) !== 0) scan(sv.bareView(input), out);
  // The whole-statement and clause-tail checks need a statement or clause word first (WHOLE_KINDS; FROM, WHERE,
  // GROUP, ORDER, HAVING, LIMIT): a first token that is another word, or no word and nothing the tokenizer skips
  // (comments, versioned-comment markers, `1.e` numbers: mayHideTokens), rules them out. At paranoia 1 the
  // whole-statement rules need a comment, an evasion (block comments, a mixed-case keyword) or a destructive
  // statement and a `;` (wholeMayReportAtP1); the clause-tail rule is paranoia 2.
  const maybe = bits0 === STRING_PREFIX || (bits0 === NO_WORD && c0 >= 0 && mayHideTokens(c0));
  if ((maybe || (bits0 >= 0 && (bits0 & H_WHOLE) !== 0)) && (!p1 || wholeMayReportAtP1(sv, maybe, bits0))) {
    wholeStatement(sv.bareView(input), out);
  }
  if (!p1 && (maybe || (bits0 >= 0 && (bits0 & H_CLAUSE) !== 0))) clauseTail(sv.bareView(input), out);
  if ((sv.flags & SV_SCAN) !== 0) scanInteriors(sv.bareView(input), out, 1);
  if ((sv.flags & SV_QUOTE) === 0) return;
  // (A survey that stopped early at a cutting comment did not look at the rest for quotes.)
  if (sv.firstSingle >= 0 || sv.stoppedEarly) quoteReadings(input, sv, "'", sv.firstSingle, out);
  if (sv.firstDouble >= 0 || sv.stoppedEarly) quoteReadings(input, sv, '"', sv.firstDouble, out);
  if (sv.firstBacktick >= 0 || sv.stoppedEarly) {
    // Backticks around words in a sentence are Markdown's inline code (`` is `SELECT count(*)` slow? ``), not the
    // quotes of a MySQL identifier that a value breaks out of: that reading counts one level higher
    out.demote = markdownBackticks(input) ? 1 : 0;
    quoteReadings(input, sv, '`', sv.firstBacktick, out);
    out.demote = 0;
  }
}

/**
 * The value's first backtick opens a span of inline code as Markdown writes it: a blank, punctuation or the start
 * before it, its closing backtick followed by a blank, punctuation or the end, and two plain words (3+ letters)
 * outside the spans.
 */
function markdownBackticks(input: string): boolean {
  const open = input.indexOf('`');
  const close = open < 0 ? -1 : input.indexOf('`', open + 1);
  if (close < 0 || close === open + 1) return false;
  const before = open === 0 ? 32 : input.charCodeAt(open - 1);
  const after = close + 1 >= input.length ? 32 : input.charCodeAt(close + 1);
  if (!MARKDOWN_EDGE.test(String.fromCharCode(before)) || !MARKDOWN_EDGE.test(String.fromCharCode(after))) return false;
  let words = 0;
  let inSpan = false;
  let run = 0;
  for (let k = 0; k <= input.length && words < 2; k++) {
    const c = k < input.length ? input.charCodeAt(k) : 32;
    if (c === 96) { inSpan = !inSpan; run = 0; continue; }
    if (inSpan) continue;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) run++;
    else { if (run >= 3) words++; run = 0; }
  }
  return words >= 2;
}
const MARKDOWN_EDGE = /[\s.,:;!?()]/;

/** The break-out readings after quote `q`, whose first occurrence the survey found at `first` (-1: not before it stopped). */
function quoteReadings(input: string, sv: Survey, q: string, first: number, out: Collector): void {
  const at = first >= 0 ? first : input.indexOf(q);
  if (at < 0) return;
  const u = sv.units;
  const n = input.length;
  if (!quoteFailsAtOnce(u, n, at)) breakout(input, u, at, q, out);
  // With backslash escaping the first quote may be escaped (`O\'Reilly' OR 1=1`): also read from the first
  // unescaped one.
  if (at > 0 && u[at - 1] === 92) {
    const unescaped = firstUnescaped(input, at + 1, q.charCodeAt(0));
    if (unescaped > 0 && !quoteFailsAtOnce(u, n, unescaped)) breakout(input, u, unescaped, q, out);
  }
}

/** The value read after the quote at `at`: tokenized lazily, since prose fails within a few tokens. */
function breakout(input: string, u: CodeUnits, at: number, q: string, out: Collector): void {
  const src = new TokenStream(input, at + 1, BREAKOUT_PEEK, input.length, u);
  if (!continuation(new View(input, src, q, at, true), out)) return;
  // The full reading continues the capped one's tokenization (same tokens, same tokenizer state).
  src.uncap();
  continuation(new View(input, src, q, at), out);
}

/**
 * What the bare reading sees as string literals is code when the value breaks out of a quote (`x' UNION SELECT
 * ... --`): re-read the interiors of strings as code for the constructs that need no break-out context.
 */
function scanInteriors(view: View, out: Collector, depth: number): void {
  scanStringInteriors(view.input, view.src.units, view.sig, out, depth);
}

function scanStringInteriors(input: string, u: CodeUnits, tokens: readonly Token[], out: Collector, depth: number): void {
  for (const t of tokens) {
    if (t.k !== 'str' || t.w === '$' || t.e - t.s < 5) continue;
    let open = t.s;
    while (open < t.e && input[open] !== t.w) open++; // skip a prefix (N'', _utf8'')
    const end = t.open ? t.e : t.e - 1;
    if (end - open < 4 || !interiorMayTrigger(input, open + 1, end)) continue;
    const src = new TokenStream(input, open + 1, Infinity, end, u);
    src.fillAll();
    const raw = src.raw;
    if (hasTrigger(raw)) scan(new View(input, src, t.w, open + 1), out);
    if (depth < INTERIOR_DEPTH) scanStringInteriors(input, u, raw, out, depth + 1);
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
  // Tokens are read on demand (view.at, the parser): prose fails within a token or two.
  const { input } = view;
  const sig = view.src.sig; // the tokens read so far: only indexes the parser or view.at has reached
  let ctx: Ctx;
  let first: Val = { f: V_CONST, id: '' };
  let p = new SqlParser(input, view.src, from);
  if (view.quote !== '') {
    ctx = 'quote';
  } else {
    const t0 = view.at(from);
    if (t0 === undefined) return false;
    if (t0.k === 'num') {
      ctx = 'num';
      p.pos = from + 1;
      first = literalVal(input, t0);
    } else if (t0.k === 'op' && (t0.w === '-' || t0.w === '+') && view.at(from + 1)?.k === 'num') {
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
      p = new SqlParser(input, view.src, p.pos);
    } else {
      return false;
    }
  }
  const start = p.pos;
  let closes = 0;
  let onlyClosers = true;
  // after the closers, only the clauses that end a SELECT: LIMIT n, OFFSET n, FOR UPDATE... (`admin' LIMIT 1-- -`)
  let clauseTail = true;
  let semiFirst = false;
  let terminated = false;
  let stmtFirst = false;
  let stackedStrength = 0;
  let aliased = false;
  let quotedAlias = false;
  let selectTail = false;
  let left = first;
  // (Every round consumes a token or ends the loop, so the guard never binds: the number of tokens read so far, which
  // exceeds the round number whenever a round can start, bounds it as well as the total would.)
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
        p.pos = p.end; // (reads the remaining tokens)
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
    if (!(t.k === 'word' && TAIL_CLAUSES.has(t.w))) clauseTail = false;
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
        if (p.isWord(0, 'rows') || p.isWord(0, 'row')) p.pos++; // OFFSET n ROWS
        continue;
      case 'for':
        // row locks end a SELECT: FOR UPDATE, FOR SHARE, FOR NO KEY UPDATE, FOR KEY SHARE, FOR READ ONLY,
        // then OF t, ..., NOWAIT, SKIP LOCKED, WAIT n
        if (!(p.isWord(1, 'update') || p.isWord(1, 'share') || (p.isWord(1, 'no') && p.isWord(2, 'key')) ||
          (p.isWord(1, 'key') && p.isWord(2, 'share')) || (p.isWord(1, 'read') && p.isWord(2, 'only')))) break;
        p.pos += 2;
        skipLockTail(p);
        continue;
      case 'lock':
        if (!(p.isWord(1, 'in') && p.isWord(2, 'share') && p.isWord(3, 'mode'))) break; // MySQL's LOCK IN SHARE MODE
        p.pos += 4;
        continue;
      case 'fetch':
        // FETCH FIRST|NEXT [n] ROW|ROWS ONLY|WITH TIES
        if (!(p.isWord(1, 'first') || p.isWord(1, 'next'))) break;
        p.pos += 2;
        if (!p.isWord(0, 'row') && !p.isWord(0, 'rows')) p.parseExpr();
        if (!(p.isWord(0, 'row') || p.isWord(0, 'rows'))) break;
        p.pos++;
        if (p.isWord(0, 'only')) p.pos++;
        else if (p.isWord(0, 'with') && p.isWord(1, 'ties')) p.pos += 2;
        else break;
        continue;
      case 'window':
        // WINDOW w AS (...)
        if (!(p.peek(1)?.k === 'word' && p.isWord(2, 'as') && p.isKind(3, '('))) break;
        p.pos += 3;
        p.parseParen();
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
          // (a URL whose query value is quoted, `https://shop.example/search?q='select all'`, is a link, not data)
          const tokenData = ctx !== 'quote' || view.cut || (view.breakAt > 0 && !hasSpaceIn(input, 0, view.breakAt) && !urlQueryBefore(input, view.breakAt));
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
  if (p.status() !== ST_FAIL && view.partial()) return true;
  decideContinuation(view, out, ctx, p, start, {
    closes, onlyClosers, clauseTail: clauseTail && !onlyClosers && !terminated && p.facts.stacked === 0, semiFirst: semiFirst || stmtFirst,
    stackedStrength, selectTail, terminated, quotedAlias,
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
  /** After the closers, only clauses that end a SELECT (LIMIT, OFFSET, FETCH, FOR UPDATE, LOCK IN SHARE MODE). */
  clauseTail: boolean;
  semiFirst: boolean;
  /** A `;` ended the injected fragment after something that parsed (`' or 'a'='a';`, `x' and y like '%';`). */
  terminated: boolean;
  stackedStrength: number;
}

function decideContinuation(view: View, out: Collector, ctx: Ctx, p: SqlParser, start: number, shape: ContinuationShape): void {
  const F = p.facts;
  const failed = p.status() === ST_FAIL;
  // Of the rules below, only these can fire when the parse failed (all others require `!failed` or ST_OK): a
  // failed reading without logical operators, UNION SELECT, INTO OUTFILE or stacked statements reports nothing.
  // This is the fate of most readings of prose, decided here without tokenizing the rest of the value.
  if (failed && F.logical === 0 && F.intoFile === 0 && F.stacked === 0 && (F.unions === 0 || F.selects === 0)) return;
  const { sig, input } = view;
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
    else if (quoted && (!quotedToken || !hasSpaceIn(input, 0, view.breakAt))) {
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
    (F.colCmp + F.constCmp + F.arith > 0) && !hasSpaceIn(input, 0, view.breakAt)) {
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

  // admin'; : the break-out followed only by `;`, which ends the application's statement there (the rest of it is
  // left behind the `;`: a login query split in two). Paranoia 1 when the data before the quote is one word-like
  // token (an account name, an e-mail), the quote is an ASCII one typed as such (not a typographic quote read as
  // one, not escaped) and the data holds a letter: `15.6";` and `6';` are sizes in inches and feet.
  if (shape.onlyClosers && shape.semiFirst && p.pos >= sig.length && !failed && quoted) {
    const data = input.slice(0, view.breakAt);
    if (data.length > 0 && !hasSpace(data)) {
      const typed = out.originalAt(view.breakAt) === view.quote.charCodeAt(0) && !data.endsWith('\\');
      out.add('sqli-comment-cut', typed && hasLetter(data) ? 1 : 2, SCORE.critical, `statement terminated ${where}`, at);
    }
  }

  // admin'-- : the break-out followed only by a comment that cuts the application's query (or by the clauses that
  // end a SELECT first, `admin' LIMIT 1-- -`).
  if ((shape.onlyClosers || shape.clauseTail) && p.pos >= sig.length && view.cut && !failed && (quoted || (ctx === 'num' && shape.closes > 0))) {
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

function hasLetter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) return true;
  }
  return false;
}

function hasSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 32) return true;
  return false;
}

/** hasSpace(s.slice(from, to)) without the copy. */
function hasSpaceIn(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) <= 32) return true;
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
        // T-SQL takes the time as a string or a variable: `WAITFOR DELAY '0:0:5'`, `waitfor delay @t`;
        // `waitfor delay sql server` is a search for it
        if ((isWordAt(sig, i + 1, 'delay') || isWordAt(sig, i + 1, 'time')) && isTimeOperand(view.input, sig, i + 2)) {
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
  stackedView = null; // (the memo is for this reading only: do not hold its tokens until the next value)
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
  const p = new SqlParser(input, view.src, i + 1, i + BUDGET);
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

/**
 * A WAITFOR time: a string (`'0:0:5'`, `N'0:0:5'`), a variable or an expression in parentheses. In a string's
 * interior read as code (`1' WAITFOR DELAY '0:0:5'`), the time is the string that its closing quote opens; a quote
 * still percent-encoded (`DELAY %27`) opens one for the application that decodes it.
 */
function isTimeOperand(input: string, sig: readonly Token[], j: number): boolean {
  const t = sig[j];
  if (t !== undefined && (t.k === 'str' || t.k === 'var' || t.k === '(')) return true;
  if (isWordAt(sig, j, 'n') && sig[j + 1]?.k === 'str') return true;
  let p = sig[j - 1]!.e;
  while (p < input.length && (input.charCodeAt(p) === 32 || input.charCodeAt(p) === 9)) p++;
  const c = input.charCodeAt(p);
  if (c === 39 || c === 34) return true;
  return c === 37 && input.charCodeAt(p + 1) === 50 && (input.charCodeAt(p + 2) === 55 || input.charCodeAt(p + 2) === 50);
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
  const p = new SqlParser(input, view.src, i, i + BUDGET);
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
  // (a gap between UNION and the next token, and between ALL or DISTINCT and SELECT: the word between is no gap)
  const obfuscated = oddCase(input, u) || oddCase(input, s) || obfuscatedGap(input, u, sig[i + 1]!) ||
    (j > i + 1 && obfuscatedGap(input, sig[i + 1]!, s));
  const sqlish = F.sqlish + F.sqlCalls + F.subqueries + F.catalogTier > 0 || literalFirst;
  // a whole query kept as data (`SELECT a FROM t1 UNION ALL SELECT a FROM t2` in a document, a saved report) starts
  // with its own SELECT: no application appends a value there, so without a break-out or an evasion it is a
  // statement (paranoia 2), as sqli-statement rates one
  const wholeQuery = view.quote === '' && (isWordAt(sig, 0, 'select') || isWordAt(sig, 0, 'with') || (sig[0]?.k === '(' && isWordAt(sig, 1, 'select')));
  const msg = `${u.w.toUpperCase()} SELECT`;
  if ((sqlish && !wholeQuery) || breakout || obfuscated) out.add('sqli-union', 1, SCORE.critical, msg, u.s);
  else if (p.status() !== ST_FAIL) out.add('sqli-union', 2, SCORE.critical, msg, u.s);
  else out.add('sqli-union', 3, SCORE.warning, msg, u.s);
}

/**
 * The run of `;` that checkStacked last read: in `stackedView`, the `;` tokens from `stackedFrom` lead to token
 * `stackedTo`, whose statement reads as `stackedStatement` (-1: not read yet). Every `;` of a run leads to the same
 * statement: found and parsed once, not once per `;` (a run of them was quadratic).
 */
let stackedView: View | null = null;
let stackedFrom = -1;
let stackedTo = -1;
let stackedStatement = -1;

function checkStacked(view: View, i: number, out: Collector): void {
  const { sig, input } = view;
  if (!(stackedView === view && stackedFrom <= i && i < stackedTo)) {
    let j = i + 1;
    while (sig[j]?.k === ';') j++;
    stackedView = view;
    stackedFrom = i;
    stackedTo = j;
    stackedStatement = -1;
  }
  const j = stackedTo;
  const t = sig[j];
  if (t === undefined || t.k !== 'word' || !STATEMENT_WORDS.has(t.w)) return;
  if (stackedStatement < 0) {
    const p = new SqlParser(input, view.src, j, j + BUDGET * 4);
    p.maxDepth = LOCAL_DEPTH;
    stackedStatement = p.parseStatement();
  }
  const s = stackedStatement;
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
  const p = new SqlParser(input, view.src, startIdx, i + BUDGET);
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
  const { input } = view;
  const t0 = view.at(0);
  if (t0 === undefined || t0.k !== 'word' || !WHOLE_KINDS.has(t0.w)) return;
  const p = new SqlParser(input, view.src, 0);
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
    else if (view.evasion() || (t0.w === 'values' && view.at(1)?.k === '(')) out.add('sqli-statement', 2, SCORE.critical, msg, t0.s);
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

/**
 * Whether wholeStatement may report at paranoia 1, from the survey. Its paranoia-1 findings need the query cut by a
 * comment (SV_COMMENT), an evasion (a block or versioned comment: SV_COMMENT; a mixed-case keyword: SV_ODD_KEYWORD),
 * or a destructive statement followed by `;` (SV_SEMI and a destructive first word; any first word when the first
 * token may be hidden: `maybe`).
 */
function wholeMayReportAtP1(sv: Survey, maybe: boolean, bits0: number): boolean {
  if ((sv.flags & (SV_COMMENT | SV_ODD_KEYWORD)) !== 0) return true;
  return (sv.flags & SV_SEMI) !== 0 && (maybe || (bits0 & H_DESTRUCTIVE) !== 0);
}

/**
 * A value that is an operator between the application's quotes (`'-'`, `'&'`, `'='`, `'||'`), or one with 0 and a
 * comment (`'=0#`, `'|0-- -`): `WHERE name=''-'' AND ...` compares the name with 0, which MySQL holds for every name
 * that does not start with a digit.
 */
const EMPTY_LITERAL_OPERATOR = /^'(?:(?:[-&^*=|+/%]|\|\||&&|<>|!=|<=>)'|[-&^*=|+/%]0(?:#|-- ?-?))$/;

/** input[0, at) is a URL (`scheme://...`) whose query ends in `=`: the quote at `at` starts a parameter's value. */
function urlQueryBefore(input: string, at: number): boolean {
  if (at < 10 || input.charCodeAt(at - 1) !== 61) return false;
  const scheme = input.indexOf('://');
  return scheme > 0 && scheme < 12 && input.lastIndexOf('?', at) > scheme;
}

const NUMERIC_OR = /^\s{0,4}(-?\d{1,12}|0x[0-9a-f]{1,16})\s{1,8}(?:or|\|\|)\s{1,8}(true|-?\d{1,12})\s{0,4}$/i;

/** See the use above: the whole value `N or N`, `N or true`, `-N or M`, `0xN or M`. */
function numericTautology(value: string): boolean {
  const m = NUMERIC_OR.exec(value);
  if (m === null) return false;
  const left = m[1]!.toLowerCase();
  const right = m[2]!.toLowerCase();
  return right === 'true' || left === right || left.startsWith('-') || left.startsWith('0x');
}

/** `(SELECT ... )` as the whole value, with a CASE, a hex literal, a function call, a LIMIT or a WHERE in it. */
function wholeSubquery(value: string): boolean {
  // (most values start with an ASCII character that is neither a blank nor `(`: no copy for them)
  const c0 = value.charCodeAt(0);
  if (c0 !== 40 && c0 > 32 && c0 < 0x80) return false;
  const v = value.trim();
  if (v.charCodeAt(0) !== 40 || v.charCodeAt(v.length - 1) !== 41) return false;
  let k = 1;
  while (k < v.length && (v.charCodeAt(k) === 32 || v.charCodeAt(k) === 9)) k++;
  if (v.slice(k, k + 6).toLowerCase() !== 'select' || isWordChar(v.charCodeAt(k + 6))) return false;
  return SUBQUERY_SQLISH.test(v);
}
const SUBQUERY_SQLISH = /\bcase\s+when\b|\b0x[0-9a-f]{4}|\b(?:concat|char|sleep|substring|substr|ascii|extractvalue|updatexml)\s*\(|\blimit\s+\d|\btop\s+\d|\bwhere\s+\w+\s*[=<>]|\bfrom\s+(?:users?|accounts?|admins?|members?|customers?|credentials|passwords?|information_schema|mysql\.|sys\.|pg_|dual\b|sysobjects|all_tables|sqlite_master)/i;

/**
 * `(SELECT`, `CASE WHEN` (any blanks), MySQL's `IF(` in any case: an expression, not a column name; or a FROM clause
 * cut by a comment or ended by `;` (`columns=username,password FROM users--`): a column list turned into a query.
 */
const ORDERING_SUBQUERY = /\(\s*select\b|\bcase\s+when\b|\bif\(|\bfrom\s+[\w.]{1,64}\s{0,8}(?:--|#|\/\*|;)/i;

/** Names of parameters that pick the order or the columns of a query (the last step of a structured name). */
const ORDERING_FIELDS: ReadonlySet<string> = new Set(['sort', 'sortby', 'sortfield', 'sortcolumn', 'sortkey', 'order',
  'orderby', 'orderfield', 'ordercolumn', 'fields', 'columns', 'cols', 'groupby', 'dir', 'direction', 'sortdir',
  'sortorder', 'sortdirection', 'orderdir', 'orderdirection']);

/** The last name asked about, and the answer: fields repeat from value to value, and the check runs for every one. */
let lastOrderingName: string | undefined;
let lastIsOrdering = false;

function isOrderingField(name: string): boolean {
  if (name !== lastOrderingName) {
    lastOrderingName = name;
    lastIsOrdering = ORDERING_FIELDS.has(lastNameStep(name).replace(/[-_]/g, ''));
  }
  return lastIsOrdering;
}

/** The clauses that end a SELECT, which a break-out may add before its comment. */
const TAIL_CLAUSES: ReadonlySet<string> = new Set(['limit', 'offset', 'fetch', 'for', 'lock']);

/** After FOR UPDATE / FOR SHARE: `OF t, u`, `NOWAIT`, `SKIP LOCKED`, `WAIT n`. */
function skipLockTail(p: SqlParser): void {
  for (let guard = 0; guard < 16; guard++) {
    if (p.isWord(0, 'of')) {
      p.pos++;
      while (p.peek()?.k === 'word' || p.peek()?.k === 'qid') {
        p.pos++;
        if (p.isKind(0, ',')) p.pos++;
        else break;
      }
    } else if (p.isWord(0, 'nowait')) p.pos++;
    else if (p.isWord(0, 'skip') && p.isWord(1, 'locked')) p.pos += 2;
    else if (p.isWord(0, 'wait') && p.peek(1)?.k === 'num') p.pos += 2;
    else return;
  }
}

/** The value is the tail of a query: `FROM t WHERE a = 1 LIMIT 5`, `WHERE id = 3 ORDER BY 2`. */
function clauseTail(view: View, out: Collector): void {
  const { input } = view;
  const t0 = view.at(0);
  if (t0 === undefined || t0.k !== 'word') return;
  const p = new SqlParser(input, view.src, 0);
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

// ------------------------------------------------------------------ the survey: one pass over the characters

/*
 * Before any tokenizing, one pass over the characters of a form of the value finds out which parts of the detector
 * can fire at all. Every answer may be "maybe" wrongly but never "no" wrongly: words are compared by hash (a
 * collision only means "maybe"), and wherever the tokenizer could read characters differently, the survey says
 * "maybe".
 *
 * Words: in every reading (bare, from a quote, a string's interior) a word token is a run of word characters that
 * extends to the end of its run (the tokenizer consumes every word character that follows). It starts at the start
 * of its run, unless a token that ends inside the run came first: a number (`1union`, `0x1funion`, `1.eunion`: its
 * digits, hex digits, `e`), the digits of a `/*!50000` marker, or `$` (`$$..$$`, a lone `$`). So for a run that
 * starts with a digit or `$`, or with `e` after a `.`, every suffix that starts with a word start is checked. Words
 * are compared lower-cased like the tokenizer does (`toLowerCase`, under which only the Kelvin sign K turns into
 * ASCII, into `k`).
 */

/** The scan or a string interior's scan may report: a trigger word, `;` before a statement word, `@@`, `::`. */
const SV_SCAN = 1;
/** Typographic quotes: asciiQuotes changes the value. */
const SV_TYPO = 2;
const SV_PLUS = 4;
/** Whitespace in the sense of plusAsSpace (code <= 32). */
const SV_SPACE = 8;
/** An ASCII quote: break-out readings, string literals. */
const SV_QUOTE = 16;
/**
 * Something the bare readings (the continuation from the start and from each key=value pair) may react to:
 * comparison, logical and parenthesis characters, `;`, `||`, `&&`, `@>`-like operators, and the words of
 * operators, set operations, clauses and statements (H_LOUD). See `quietForm`.
 */
const SV_LOUD = 32;
const SV_SEMI = 64;
/** A comment may start: `--`, `#` (not `#>`), `/*`. */
const SV_COMMENT = 128;
/** A keyword of EVASION_KEYWORDS may be written in mixed case (`SeLeCt`: see oddCase). */
const SV_ODD_KEYWORD = 256;

class Survey {
  flags = 0;
  /** Offset of the last `=` glued to a word character, backtick or `]` (a key=value pair may start there); -1: none. */
  lastPairEq = -1;
  /** Offset of the first such `=`. */
  firstPairEq = -1;
  /** The end of the last P1-loud word or character (see H_P1); 0: none. */
  lastP1End = 0;
  /** The bare reading's tokens, when the survey had to read some (see bareCommentToEnd). */
  bare: TokenStream | undefined = undefined;
  /** The bare reading, made on first use (bareView). */
  private bareReading: View | undefined = undefined;
  /** Attempts left at bareCommentToEnd. */
  commentChecks = 2;
  /** The survey stopped at a comment that cuts the bare reading (bareCommentToEnd): the fields below miss the rest. */
  stoppedEarly = false;
  /** Offsets of the first `'`, `"` and backtick; -1: none (before the stop, if stoppedEarly). */
  firstSingle = -1;
  firstDouble = -1;
  firstBacktick = -1;
  /** The form's code units: [0, length) of this array, until the next survey. */
  units: CodeUnits = units;

  /** The bare reading of `input`, the form this survey read. */
  bareView(input: string): View {
    return (this.bareReading ??= new View(input, this.bare ?? new TokenStream(input, 0, Infinity, input.length, this.units), '', 0));
  }
}

// Word classes for the survey, by hash.
/** Scan triggers acting without a call: catalogs, keywords, routine names. */
const H_TRIGGER = 1;
/** Scan triggers only as a function call: a `(` must follow. */
const H_CALL = 2;
/** Statement words (a `;` before one is a stacked statement for the scan). */
const H_STATEMENT = 4;
/** Words the bare readings react to (SV_LOUD). */
const H_LOUD = 8;
/** Destructive statement kinds of the whole-statement check (DESTRUCTIVE). */
const H_DESTRUCTIVE = 16;
/** Other words a continuation reacts to as its first token after an operand or a quote (see quoteFailsAtOnce). */
const H_CONT = 32;
/** Other words read specially as an operand (see bareFailsAtOnce). */
const H_OPERAND = 64;
/** Words that make a value start a bare reading in the `lead` context: operator words and isLeadStarter's. */
const H_LEAD = 256;
/** Statement kinds of the whole-statement check (WHOLE_KINDS). */
const H_WHOLE = 512;
/** First words of the clause-tail check. */
const H_CLAUSE = 1024;
/** RESERVED words. */
const H_RESERVED = 2048;
/**
 * Words a bare reading needs for a paranoia-1 finding. Going through decideContinuation with no quote: every
 * paranoia-1 rule needs a logical operator (OR, XOR, AND, HAVING, WHERE; `||`, `&&`), a subquery (SELECT, WITH,
 * VALUES), a known function call or a catalog or a `::` cast (scan triggers: SV_SCAN), UNION SELECT (SELECT),
 * INTO OUTFILE/DUMPFILE, ORDER/GROUP BY (BY), or a stacked statement (`;`, statement words). Other facts
 * (comparisons, arithmetic, plain calls) and shapes only reach paranoia 2.
 */
const H_P1 = 128;
/** EVASION_KEYWORDS (their mixed-case spelling is an evasion). */
const H_EVASION = 4096;

const HASH_BITS = 12;
const HASH_MASK = (1 << HASH_BITS) - 1;
const hashKeys = new Int32Array(1 << HASH_BITS);
const hashClasses = new Uint16Array(1 << HASH_BITS);
/** Length of the longest word with a class: a longer run or suffix has none (its hash may only collide). */
let longestClassWord = 0;

/**
 * The survey's word hash: like wordHash, over `c | 32` for ASCII characters (the same for both cases of a letter;
 * digits and `$` unchanged; `_` becomes 127, which no other word character does) and the code itself for others,
 * except the Kelvin sign, which lower-cases to `k`.
 */
function surveyHash(w: string): number {
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + hashCode(w.charCodeAt(i))) | 0;
  return h;
}

function hashCode(c: number): number {
  return c < 128 ? c | 32 : c === 0x212a ? 107 : c;
}

function hashSlot(h: number): number {
  return (h ^ (h >>> HASH_BITS) ^ (h >>> 24)) & HASH_MASK;
}

function addWordClass(w: string, bits: number): void {
  const h = surveyHash(w);
  let i = hashSlot(h);
  while (hashClasses[i] !== 0 && hashKeys[i] !== h) i = (i + 1) & HASH_MASK;
  hashKeys[i] = h;
  hashClasses[i]! |= bits;
  longestClassWord = Math.max(longestClassWord, w.length);
  const first = w.charCodeAt(0);
  const second = w.charCodeAt(w.length > 1 ? 1 : 0);
  const last = w.charCodeAt(w.length - 1);
  if (first < 128 && second < 128 && last < 128) classShapes[shapeSlot(first, second, last)]! |= 1 << (w.length & 31);
}

/**
 * The shapes of the words with a class: their first, second and last characters (as hashCode folds them) and their
 * length, a bit per length modulo 32 in a slot per characters (shapeSlot; several may share one). An ASCII run whose
 * shape is not here is no word with a class (it could only collide with one's hash), so the survey does not hash it
 * (see asciiRun).
 */
const classShapes = new Uint32Array(1 << 14);

function shapeSlot(first: number, second: number, last: number): number {
  return ((((first | 32) & 127) << 7 | ((last | 32) & 127)) ^ (((second | 32) & 127) * 97)) & 16383;
}

/** Whether the ASCII run u[start, end) has the shape of a word with a class. */
function mayHaveClass(u: CodeUnits, start: number, end: number): boolean {
  const len = end - start;
  const slot = shapeSlot(u[start]!, u[len > 1 ? start + 1 : start]!, u[end - 1]!);
  return len <= longestClassWord && (classShapes[slot]! & (1 << (len & 31))) !== 0;
}

/** The classes of the words with hash `h` (a union if several share it); 0 for none. */
function wordClasses(h: number): number {
  let i = hashSlot(h);
  for (;;) {
    const bits = hashClasses[i]!;
    if (bits === 0 || hashKeys[i] === h) return bits;
    i = (i + 1) & HASH_MASK;
  }
}

/**
 * The words behind the facts of a continuation (see quietForm): logical and comparison operators (opInfo; HAVING and
 * WHERE count as logical), set operations, SELECT, INTO, ORDER/GROUP BY, AS (select tail), statements (also the
 * whole-statement kinds) and the clause-tail starters. (Catalogs are scan triggers.)
 */
const LOUD_WORDS: ReadonlySet<string> = new Set([...STATEMENT_WORDS, ...WHOLE_KINDS, 'or', 'xor', 'and', 'like', 'rlike',
  'regexp', 'ilike', 'glob', 'match', 'similar', 'sounds', 'is', 'in', 'between', 'isnull', 'notnull', 'not', 'having',
  'where', 'union', 'except', 'intersect', 'minus', 'select', 'into', 'as', 'order', 'group', 'from', 'limit']);
/** Other words a continuation reacts to after an operand: DIV, MOD, OFFSET, PROCEDURE, COLLATE. */
const CONT_WORDS: ReadonlySet<string> = new Set(['div', 'mod', 'offset', 'procedure', 'collate']);
/** Words that make a reading start in the `lead` context: opInfo's words and isLeadStarter's. */
const LEAD_WORDS: ReadonlySet<string> = new Set(['or', 'xor', 'and', 'like', 'rlike', 'regexp', 'ilike', 'glob', 'match',
  'similar', 'sounds', 'is', 'in', 'between', 'isnull', 'notnull', 'div', 'mod', 'not', 'union', 'except', 'intersect',
  'having', 'procedure', 'order', 'group', 'into']);
/** Words read specially as an operand (parseUnary, parseWordPrimary). */
const OPERAND_WORDS: ReadonlySet<string> = new Set(['binary', 'interval', 'exists', 'not', 'case']);

{
  for (const [w, bits] of TRIGGERS) {
    if ((bits & (T_KEYWORD | T_CATALOG | T_NAME)) !== 0) addWordClass(w, H_TRIGGER);
    if ((bits & T_FUNCTION) !== 0) addWordClass(w, H_CALL);
  }
  for (const w of STATEMENT_WORDS) addWordClass(w, H_STATEMENT);
  for (const w of LOUD_WORDS) addWordClass(w, H_LOUD);
  for (const w of CONT_WORDS) addWordClass(w, H_CONT);
  for (const w of OPERAND_WORDS) addWordClass(w, H_OPERAND);
  for (const w of LEAD_WORDS) addWordClass(w, H_LEAD);
  for (const w of WHOLE_KINDS) addWordClass(w, H_WHOLE);
  for (const w of DESTRUCTIVE) addWordClass(w, H_DESTRUCTIVE);
  for (const w of EVASION_KEYWORDS) addWordClass(w, H_EVASION);
  for (const w of RESERVED) addWordClass(w, H_RESERVED);
  for (const w of ['from', 'where', 'group', 'order', 'having', 'limit']) addWordClass(w, H_CLAUSE);
  for (const w of [...STATEMENT_WORDS, 'or', 'xor', 'and', 'having', 'where', 'select', 'with', 'values', 'outfile', 'dumpfile',
    'by']) addWordClass(w, H_P1);
}

/**
 * After a word run ending at `end`: a `(` follows (or may follow: past a comment, marker or `1.e` number, or past the
 * closing backtick of a quoted name part, as in dbms_lock.`sleep`(5)).
 */
function callMayFollow(u: CodeUnits, n: number, end: number): boolean {
  let i = end;
  while (i < n && isSpace(u[i]!)) i++;
  if (i >= n) return false;
  const c = u[i]!;
  if (c === 40 /* ( */ || c === 96 /* ` */) return true;
  // What the tokenizer reads here is the token after the word: only a comment, a versioned-comment end or a `1.e`
  // filler number is skipped on the way to a `(`. A lone `/`, `-`, `*` (base64 has `/` after most words), `$`, or a
  // number without a `.` (a significant token) is not.
  const d = i + 1 < n ? u[i + 1]! : 0;
  if (c === 47 /* / */) return d === 42;
  if (c === 42 /* * */) return d === 47;
  if (c === 45 /* - */) return d === 45;
  if (c === 35 /* # */) return d !== 62;
  if (c === 46 /* . */) return true;
  if (c >= 48 && c <= 57) { // a `1.e` filler has a `.` right after its leading digits
    while (i < n && u[i]! >= 48 && u[i]! <= 57) i++;
    return i < n && u[i] === 46;
  }
  return false;
}

/**
 * Characters that may start what the significant tokens skip or what splits a word run: comments (`--`, `#`,
 * `/*`), a versioned comment's end (`*` `/`), numbers (`1.e` fillers), `$`.
 */
function mayHideTokens(c: number): boolean {
  return c === 45 || c === 35 || c === 47 || c === 42 || c === 46 || c === 36 || (c >= 48 && c <= 57);
}

/**
 * The union of the classes of the suffixes of the run u[start, end) that start with a word start where a token may
 * start: at the run's start, or where a token ends right before it in the run. Words run to the end of the run, so
 * that token is a number (its last character a digit, a hex digit of `0x..` after an `x` of the run, or the `e` of
 * `1.e` as the run's first character), a `$` or a `$$...$$` body (ending in `$`), or the digits a `/*!50000` marker
 * skips. In random base64 most letters follow a letter: no token starts there.
 */
function innerClasses(u: CodeUnits, start: number, end: number): number {
  // Suffix hashes from the end: hash(s[k, end)) = code(s[k]) * 31^(end-1-k) + hash(s[k+1, end)), modulo 2^32.
  // A word token starting at k runs to the end of the run, and one longer than WORD_MAX characters has no text (`w`
  // is ''): it is no word of any class, nor is one longer than every word with a class. So only the last few
  // suffixes are looked at (a long hex or base64 run costs no more than a short one).
  const from = Math.max(start, end - Math.min(WORD_MAX, longestClassWord));
  let h = 0;
  let pow = 1;
  let bits = 0;
  let xAt = -1; // the run's first `x` or `X` (end: none), found when first needed
  for (let k = end - 1; k >= from; k--) {
    const c = u[k]!;
    h = (h + Math.imul(c < 128 ? c | 32 : c === 0x212a ? 107 : c, pow)) | 0; // (hashCode)
    pow = Math.imul(pow, 31);
    if (!isWordStart(c)) continue;
    if (k > start) { // (a token may start at k: see above)
      const b = u[k - 1]!;
      if (!((b >= 48 && b <= 57) || b === 36)) {
        const lower = b | 32;
        if (b >= 128 || lower < 97 || lower > 102) continue;
        if (k - 1 > start) {
          if (xAt < 0) xAt = firstHexMark(u, start, end);
          if (xAt >= k - 1) continue;
        }
      }
    }
    bits |= wordClasses(h);
  }
  return bits;
}

/** Offset of the first `x` or `X` in the run u[start, end) (a `0x` number may start there), or `end`. */
function firstHexMark(u: CodeUnits, start: number, end: number): number {
  for (let k = start; k < end; k++) if ((u[k]! | 32) === 120) return k;
  return end;
}

function isTypographicQuote(c: number): boolean {
  return c === 0x2018 || c === 0x2019 || c === 0x201b || c === 0xb4 || c === 0x2bc || c === 0x2032 || c === 0xff07 ||
    c === 0x201c || c === 0x201d || c === 0x201f || c === 0x2033 || c === 0xff02;
}

// Character classes below 128 for the survey.
const C_OTHER = 0;
const C_WORD = 1;
const C_SPACE = 2;
/** Characters the bare readings react to on their own: < > ! ~ ? ( ) */
const C_LOUD = 3;
/** ; @ : = | & + - # / ' " `: looked at one by one. */
const C_MARK = 4;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_CLASS[c] = isWordChar(c) ? C_WORD : c <= 32 ? C_SPACE : '<>!~?()'.includes(String.fromCharCode(c)) ? C_LOUD :
    ';@:=|&+-#/\'"`'.includes(String.fromCharCode(c)) ? C_MARK : C_OTHER;
}

/** The survey of one form of the value (see above). */
function survey(s: string): Survey {
  const sv = new Survey();
  const n = s.length;
  const u = codeUnits(s);
  sv.units = u;
  let flags = 0;
  let i = 0;
  /** Where the last `statementMayFollow` that found no statement stopped reading (see `;` below). */
  let noStatementBefore = 0;
  while (i < n) {
    let c = u[i]!;
    if (c < 128 ? ASCII_CLASS[c] === C_WORD : isWordChar(c)) {
      const start = i;
      // An ASCII run (most words of prose, identifiers, numbers): its classes without hashing every character.
      const end = c < 128 ? asciiRunEnd(u, n, i) : -1;
      if (end >= 0) {
        flags = asciiRun(u, n, start, end, flags, sv);
        i = end;
        if (i + 1 < n && u[i] === 32) { // (prose: one space, then the next word)
          flags |= SV_SPACE;
          i++;
        }
        continue;
      }
      // A word run with other characters: hashed as it is read.
      let h = 0;
      for (;;) {
        if (c < 128) {
          h = (Math.imul(h, 31) + (c | 32)) | 0;
        } else {
          if (isTypographicQuote(c)) flags |= SV_TYPO; // (ʼ and the full-width quotes are word characters)
          h = (Math.imul(h, 31) + (c === 0x212a ? 107 : c)) | 0; // Kelvin sign: toLowerCase gives `k`
        }
        if (++i >= n) break;
        c = u[i]!;
        if (c < 128 ? ASCII_CLASS[c] !== C_WORD : !isWordChar(c)) break;
      }
      flags = surveyRun(u, n, start, i, h, flags, sv);
      if (c === 32 && i + 1 < n) { // (prose: one space, then the next word)
        flags |= SV_SPACE;
        i++;
      }
      continue;
    }
    if (c < 128) {
      const cls = ASCII_CLASS[c];
      if (cls === C_SPACE) flags |= SV_SPACE;
      else if (cls === C_LOUD) flags |= SV_LOUD;
      else if (cls === C_MARK) {
        // (The marks are handled here rather than in a function of their own: one that size is not inlined, and a
        // call per mark costs more than the rest of its character's work.)
        const d = i + 1 < n ? u[i + 1]! : 0;
        switch (c) {
          case 59: // ;
            flags |= SV_LOUD | SV_SEMI;
            sv.lastP1End = i + 1;
            // (every `;` of a run of `;` and spaces leads to the same word: looked at once, or `;;;…` is quadratic)
            if ((flags & SV_SCAN) === 0 && i >= noStatementBefore) {
              if (statementMayFollow(u, n, i + 1)) flags |= SV_SCAN;
              else noStatementBefore = statementScanEnd;
            }
            break;
          case 64: // @@variable; @>, @?, @'..': operators and strings (a word after @ makes a variable)
            if (d === 64) flags |= SV_SCAN;
            if (!isWordStart(d)) flags |= SV_LOUD;
            break;
          case 58: // ::cast
            if (d === 58) flags |= SV_SCAN;
            break;
          case 61: // =
            flags |= SV_LOUD;
            // (`==` is one operator token, no pair's `=`: base64 padding.)
            if (i > 0 && d !== 61 && (isWordChar(u[i - 1]!) || u[i - 1] === 96 || u[i - 1] === 93)) {
              if (sv.firstPairEq < 0) sv.firstPairEq = i;
              sv.lastPairEq = i;
            }
            break;
          case 124: // ||
          case 38: // &&
            if (d === c) {
              flags |= SV_LOUD;
              sv.lastP1End = i + 2;
            }
            break;
          case 45: // --
            if (d === 45) flags |= SV_COMMENT;
            break;
          case 35: // # (not #>)
            if (d !== 62) flags |= SV_COMMENT;
            break;
          case 47: // /*
            if (d === 42) flags |= SV_COMMENT;
            break;
          case 43: // +
            flags |= SV_PLUS;
            break;
          case 39: // '
            flags |= SV_QUOTE;
            if (sv.firstSingle < 0) sv.firstSingle = i;
            break;
          case 34: // "
            flags |= SV_QUOTE;
            if (sv.firstDouble < 0) sv.firstDouble = i;
            break;
          case 96: // `
            flags |= SV_QUOTE;
            if (sv.firstBacktick < 0) sv.firstBacktick = i;
            break;
          default:
            break;
        }
        if (n - i >= LONG_REST && n - i > i && sv.commentChecks > 0 && startsComment(u, n, i, c) &&
          bareCommentToEnd(sv, s, i)) {
          // Past a comment that cuts the bare reading, only characters the other readings and forms use matter.
          sv.flags = flags | restFlags(s, i);
          sv.stoppedEarly = true;
          return sv;
        }
      }
    } else if (isTypographicQuote(c)) {
      flags |= SV_TYPO;
    }
    i++;
  }
  sv.flags = flags;
  return sv;
}

/** `--`, `#` (not `#>`) or `/*` at `i` (`c` is the character there). */
function startsComment(u: CodeUnits, n: number, i: number, c: number): boolean {
  const d = i + 1 < n ? u[i + 1]! : 0;
  return (c === 45 && d === 45) || (c === 35 && d !== 62) || (c === 47 && d === 42);
}

/**
 * The UTF-16 code units of the value being surveyed, copied into a reused typed array (Buffer#write copies them
 * natively): the survey's loop reads a typed array about twice as fast as `charCodeAt` on a string (values are often
 * slices of the request body). Only `[0, s.length)` belongs to the value. An ASCII value (most are) is copied one byte
 * per character instead, by TextEncoder#encodeInto (ASCII is its own UTF-8), which is cheaper still.
 */
const asciiEncoder = new TextEncoder();
let asciiUnits = new Uint8Array(1 << 16);
let unitBytes = Buffer.alloc(1 << 16);
let units = new Uint16Array(unitBytes.buffer, unitBytes.byteOffset, unitBytes.length >> 1);
/** Longest value whose copy is kept for the next values (a longer one gets a copy of its own). */
const KEPT_UNITS = 1 << 20;
/** Values shorter than this are copied by a loop (cheaper than Buffer#write's own overhead). */
const SHORT_VALUE = 48;

function codeUnits(s: string): CodeUnits {
  const n = s.length;
  // Every character read as one byte: all were ASCII (others take two bytes or more in UTF-8). Long values too: a
  // survey that reads a Uint16Array now and then (a large upload) makes every later survey and tokenizer loop
  // handle both array types, which costs more per character than the copy.
  let ascii = asciiUnits;
  if (n > ascii.length) {
    ascii = new Uint8Array(n);
    if (n <= KEPT_UNITS) asciiUnits = ascii;
  }
  const done = asciiEncoder.encodeInto(s, ascii);
  if (done.read === n && done.written === n) return ascii;
  if (n > units.length) {
    const bytes = Buffer.allocUnsafe(n * 2);
    bytes.write(s, 0, 'utf16le');
    const own = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    if (n <= KEPT_UNITS) {
      unitBytes = bytes;
      units = own;
    }
    return own;
  }
  if (n < SHORT_VALUE) {
    const u = units;
    for (let i = 0; i < n; i++) u[i] = s.charCodeAt(i);
  } else {
    unitBytes.write(s, 0, 'utf16le');
  }
  return units;
}

/**
 * Characters left after which looking for a cutting comment is worth tokenizing the value up to it (when they are
 * also more than the characters before it).
 */
const LONG_REST = 256;

/**
 * A comment starts at `k` in the bare reading and runs to the end of the value (`#...` or `-- ...` without a line
 * break after it, an unterminated or final `/* *\/`): the bare reading has no token after it. Then the bare scan,
 * the string interiors it scans, the bare continuations and the key=value pairs, the whole-statement and clause-tail
 * checks see nothing past `k`, and the survey's findings about words, `;`, `=`, `@@`, `::` there serve none of them.
 * (Tokenizes the bare reading up to `k`; the tokens are kept for the detector.)
 */
function bareCommentToEnd(sv: Survey, s: string, k: number): boolean {
  sv.commentChecks--;
  const src = (sv.bare ??= new TokenStream(s, 0, Infinity, s.length, sv.units));
  const raw = src.raw;
  while ((raw.length === 0 || raw[raw.length - 1]!.s < k) && src.fill(src.sig.length));
  let j = raw.length - 1;
  while (j >= 0 && raw[j]!.s > k) j--;
  const t = j >= 0 ? raw[j] : undefined;
  return t !== undefined && t.s === k && t.k === 'comment' && t.e === s.length;
}

const QUOTE_RE = /['"`]/g;
const TYPO_RE = /[\u2018\u2019\u201b\u00b4\u02bc\u2032\uff07\u201c\u201d\u201f\u2033\uff02]/g;
const SPACE_RE = /[\x00-\x20]/g;

/** The flags about s[from...] that concern the other readings (quotes) and forms (typographic quotes, `+`, spaces). */
function restFlags(s: string, from: number): number {
  let f = 0;
  QUOTE_RE.lastIndex = from;
  if (QUOTE_RE.test(s)) f |= SV_QUOTE;
  TYPO_RE.lastIndex = from;
  if (TYPO_RE.test(s)) f |= SV_TYPO;
  SPACE_RE.lastIndex = from;
  if (SPACE_RE.test(s)) f |= SV_SPACE;
  if (s.indexOf('+', from) >= 0) f |= SV_PLUS;
  return f;
}

/** The end of the word run that starts at `i` when all its characters are ASCII; -1 when it has others. */
function asciiRunEnd(u: CodeUnits, n: number, i: number): number {
  let j = i + 1;
  while (j < n) {
    const c = u[j]!;
    if (c >= 128) return isWordChar(c) ? -1 : j;
    if (ASCII_CLASS[c] !== C_WORD) return j;
    j++;
  }
  return j;
}

/**
 * surveyRun for the ASCII run u[start, end), computing only what can have classes: a run that starts with a digit
 * and has only digits has no suffix that starts with a word start (innerClasses: none), and a run read as one word
 * (no token starts inside it) has a class only if its shape is one of a word with a class (mayHaveClass).
 */
function asciiRun(u: CodeUnits, n: number, start: number, end: number, flags: number, sv: Survey): number {
  const first = u[start]!;
  if (first >= 48 && first <= 57) {
    let k = start + 1;
    while (k < end && u[k]! >= 48 && u[k]! <= 57) k++;
    return k === end ? flags : surveyRun(u, n, start, end, 0, flags, sv);
  }
  if (first === 36 || ((first | 32) === 101 && start > 0 && u[start - 1] === 46)) return surveyRun(u, n, start, end, 0, flags, sv);
  if (!mayHaveClass(u, start, end)) return flags;
  let h = 0;
  for (let k = start; k < end; k++) h = (Math.imul(h, 31) + (u[k]! | 32)) | 0;
  const bits = wordClasses(h);
  return bits === 0 ? flags : runFlags(u, n, start, end, bits, flags, sv);
}

/** A word run u[start, end) with hash `h`: its classes (of its suffixes when tokens may start inside it). */
function surveyRun(u: CodeUnits, n: number, start: number, end: number, h: number, flags: number, sv: Survey): number {
  const first = u[start]!;
  const inner = (first >= 48 && first <= 57) || first === 36 || ((first | 32) === 101 && start > 0 && u[start - 1] === 46);
  const bits = inner ? innerClasses(u, start, end) : wordClasses(h);
  return bits === 0 ? flags : runFlags(u, n, start, end, bits, flags, sv);
}

/** The survey's flags after the word run u[start, end) whose classes (or its suffixes') are `bits` (not 0). */
function runFlags(u: CodeUnits, n: number, start: number, end: number, bits: number, flags: number, sv: Survey): number {
  let f = flags;
  if ((bits & H_TRIGGER) !== 0 || ((bits & H_CALL) !== 0 && callMayFollow(u, n, end))) f |= SV_SCAN;
  if ((bits & H_LOUD) !== 0) f |= SV_LOUD;
  if ((bits & H_P1) !== 0) sv.lastP1End = end;
  // (For a run where tokens may start inside, the run is mixed-case whenever a suffix is.)
  if ((bits & H_EVASION) !== 0 && mixedCaseRun(u, start, end)) f |= SV_ODD_KEYWORD;
  return f;
}

/** oddCase for the run u[start, end): a lower-case ASCII letter and an upper-case one after the first character. */
function mixedCaseRun(u: CodeUnits, start: number, end: number): boolean {
  let lower = false;
  let upperAfterFirst = false;
  for (let k = start; k < end; k++) {
    const c = u[k]!;
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90 && k > start) upperAfterFirst = true;
  }
  return lower && upperAfterFirst;
}

/** Where the last `statementMayFollow` call stopped skipping `;` and whitespace. */
let statementScanEnd = 0;

/**
 * After a `;` (at `from`): further `;` and whitespace, then a statement word (or what may hide one). Sets
 * `statementScanEnd` to where that word starts: the answer is the same for every `;` before it.
 */
function statementMayFollow(u: CodeUnits, n: number, from: number): boolean {
  let i = from;
  while (i < n && (isSpace(u[i]!) || u[i] === 59)) i++;
  statementScanEnd = i;
  if (i >= n) return false;
  const c = u[i]!;
  if (mayHideTokens(c)) return true;
  if (!isWordStart(c)) return false;
  let h = 0;
  for (let j = i; j < n && isWordChar(u[j]!); j++) h = (Math.imul(h, 31) + hashCode(u[j]!)) | 0;
  return (wordClasses(h) & H_STATEMENT) !== 0;
}

/** Values up to this length are first checked by quietValue (longer ones are rarely quiet: the survey decides). */
const QUIET_CHECK_MAX = 64;

/**
 * quietForm(survey(s)) for a short ASCII value with no other form, decided in one pass without the survey's copy and
 * bookkeeping (most keys and short values of a request are such): false as soon as something the survey would flag
 * (or might: a word that needs a look further) appears. The conditions are the survey's, restricted to what makes
 * a form not quiet (SV_SCAN, SV_LOUD, SV_QUOTE) or adds a form (SV_TYPO: no non-ASCII here; SV_PLUS):
 * - a word run must have no trigger or loud class and no call class (callMayFollow is not looked at); one that
 *   starts with a digit must be digits only, and none may start with `$` or with `e` after `.` (inner tokens);
 * - the characters < > ! ~ ? ( ) ; = ' " ` + are out; `@` only before a word start (a variable), not before `@`;
 *   `:` not before `:`; `|` and `&` not doubled. Others (`-`, `#`, `/`, `*`, `,`, `.`, `%`, whitespace ...) flag
 *   nothing a quiet form cares about (comments only matter to the whole-statement check, which needs a loud word).
 */
function quietValue(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (c >= 128) return false;
    const cls = ASCII_CLASS[c];
    if (cls === C_WORD) {
      const start = i;
      let h = 0;
      let digits = true;
      for (;;) {
        if (c < 48 || c > 57) digits = false;
        h = (Math.imul(h, 31) + (c | 32)) | 0;
        if (++i >= n) break;
        c = s.charCodeAt(i);
        if (c >= 128 || ASCII_CLASS[c] !== C_WORD) break;
      }
      const first = s.charCodeAt(start);
      if (first >= 48 && first <= 57) {
        if (!digits) return false;
      } else if (first === 36 || ((first | 32) === 101 && start > 0 && s.charCodeAt(start - 1) === 46)) {
        return false;
      } else if ((wordClasses(h) & (H_TRIGGER | H_CALL | H_LOUD)) !== 0) {
        return false;
      }
      continue;
    }
    if (cls === C_LOUD) return false;
    if (cls === C_MARK) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      switch (c) {
        case 64: // @: a variable only
          if (d === 64 || !isWordStart(d)) return false;
          break;
        case 58: // :
          if (d === 58) return false;
          break;
        case 124: // | &
        case 38:
          if (d === c) return false;
          break;
        case 45: // - # /
        case 35:
        case 47:
          break;
        default: // ; = + ' " `
          return false;
      }
    }
    i++;
  }
  return true;
}

/**
 * A form of the value for which no rule can fire, decided from its survey:
 * - no ASCII quote: no break-out reading, no string literal (no interior to scan);
 * - no scan trigger (SV_SCAN): the scan has nothing to react to; no catalog word, no `::`;
 * - nothing loud (SV_LOUD): every rule of a bare continuation needs one of the parser's facts (logical or comparison
 *   operators, calls and subqueries, which need `(`, UNION, SELECT, INTO OUTFILE, ORDER/GROUP BY, stacked statements
 *   after `;` or a statement word, JSON operators, a `::` cast, a catalog) or the shape of a break-out (a quote,
 *   `)` and `;` after it, AS ... FROM); with none of their characters and words, the bare readings report nothing,
 *   and the value starts with no statement or clause word (whole-statement and clause-tail checks).
 */
function quietForm(sv: Survey): boolean {
  return (sv.flags & (SV_QUOTE | SV_SCAN | SV_LOUD)) === 0;
}

// ------------------------------------------------------------------ readings that fail on their first tokens

/*
 * Most readings of prose fail on their first tokens: `it's made` read after the quote is the word `s`, which cannot
 * continue a query; `Our sourdough` read bare is an identifier followed by a word. Such a failed reading has no
 * facts and reports nothing (decideContinuation returns at once). These checks see it on the characters, without
 * building the reading. They answer "fails at once" only when sure.
 */

/*
 * They read the form's code units from its survey (`sv.units`, valid until the next survey: inspectForm runs
 * between its form's survey and the next one).
 */

function skipSpace(u: CodeUnits, n: number, from: number): number {
  let i = from;
  while (i < n && isSpace(u[i]!)) i++;
  return i;
}

/** wordTokenClasses: the run is read as a string literal's prefix. */
const STRING_PREFIX = -1;
/** The first token is no word (or there is none). */
const NO_WORD = -2;

/**
 * The survey classes of the word token at `i` (a word start), or STRING_PREFIX when the tokenizer reads the run there
 * as the prefix of a string literal (N'..', _utf8'..').
 */
function wordTokenClasses(u: CodeUnits, n: number, i: number): number {
  let h = 0;
  let j = i;
  while (j < n) {
    const c = u[j]!;
    if (!isWordChar(c)) break;
    h = (Math.imul(h, 31) + hashCode(c)) | 0;
    j++;
  }
  if (j < n && u[j] === 39 && isUnitsStringPrefix(u, i, j - i)) return STRING_PREFIX;
  return wordClasses(h);
}

/** isStringPrefix on code units: N X B E alone, or `_charset` of 4 to 10 characters, before a `'`. */
function isUnitsStringPrefix(u: CodeUnits, i: number, len: number): boolean {
  if (len === 1) {
    const c = u[i]! | 32;
    return c === 110 || c === 120 || c === 98 || c === 101; // n x b e
  }
  return u[i] === 95 && len >= 4 && len <= 10;
}

/** The end of the word run at `i`. */
function wordRunEnd(u: CodeUnits, n: number, i: number): number {
  let j = i;
  while (j < n && isWordChar(u[j]!)) j++;
  return j;
}

/**
 * The reading after the quote at `at` fails on its first token: a word (after whitespace) that no continuation
 * reacts to. In `continuation`, such a word is no `::`, COLLATE, operator word (opInfo), clause or set-operation
 * word or statement word (all of these are H_LOUD or H_CONT): the loop fails on it with no facts, so
 * decideContinuation returns at once, and a failed reading is never redone in full.
 */
function quoteFailsAtOnce(u: CodeUnits, n: number, at: number): boolean {
  const i = skipSpace(u, n, at + 1);
  if (i >= n || !isWordStart(u[i]!)) return false;
  const bits = wordTokenClasses(u, n, i);
  return bits >= 0 && (bits & (H_LOUD | H_CONT)) === 0;
}

/**
 * The bare reading from the start ends without facts on its first tokens. The value starts with a word W1 (after
 * whitespace; not a string prefix) that is no lead starter (operator, set-operation and clause words: H_LEAD):
 * - if W1 is reserved (or over 40 characters), the reading ends at once (no context for it);
 * - otherwise W1 is read as an identifier operand, unless it is NOT, BINARY, EXISTS, INTERVAL or CASE (H_OPERAND);
 *   NULL, DATE, ALL ... before what follows here are a one-token operand (or DATE 'x'). Then comes either
 *   (a) whitespace and a word W3, or
 *   (b) closed string literals (the loop skips adjacent literals) and a word W3, or
 *   (c) one comparison or arithmetic operator (no logical one), an operand word W2 (no H_OPERAND word; a reserved
 *       one fails the parse at once), whitespace and a word W3;
 *   where W3 is no word a continuation reacts to (H_LOUD, H_CONT: no operator word, COLLATE, clause or statement
 *   word), so the loop fails on W3. None of these steps sees `(`, `.`, `::`, `[` after an operand (no call,
 *   qualified name, cast or subscript). A failed reading without logical operators, stacked statements, UNION
 *   SELECT or INTO OUTFILE reports nothing (see decideContinuation).
 */
function bareFailsAtOnce(s: string, u: CodeUnits, i: number, first: number): boolean {
  const n = s.length;
  if (first < 0 || (first & H_LEAD) !== 0) return false;
  const e = wordRunEnd(u, n, i);
  if (e - i > 40 || ((first & H_RESERVED) !== 0 && RESERVED.has(wordText(s, i, e)))) return true;
  if ((first & H_OPERAND) !== 0) return false;
  let j = skipSpace(u, n, e);
  if (j >= n) return false;
  let c = u[j]!;
  if (c === 39 || c === 34) { // (b)
    do {
      const end = stringEnd(u, j + 1, c, n);
      if (end.open) return false;
      j = skipSpace(u, n, end.end);
      if (j >= n) return false;
      c = u[j]!;
    } while (c === 39 || c === 34);
    return isWordStart(c) && plainContinuationWord(u, n, j);
  }
  if (isWordStart(c)) return j > e && plainContinuationWord(u, n, j); // (a)
  const opEnd = binaryOperatorEnd(s, j); // (c)
  if (opEnd < 0) return false;
  const k = skipSpace(u, n, opEnd);
  if (k >= n || !isWordStart(u[k]!)) return false;
  const second = wordTokenClasses(u, n, k);
  if (second < 0 || (second & H_OPERAND) !== 0) return false;
  const e2 = wordRunEnd(u, n, k);
  const m = skipSpace(u, n, e2);
  return m > e2 && m < n && isWordStart(u[m]!) && plainContinuationWord(u, n, m);
}

/** The word token at `i` (a word start) is none a continuation reacts to (not H_LOUD or H_CONT; no string prefix). */
function plainContinuationWord(u: CodeUnits, n: number, i: number): boolean {
  const bits = wordTokenClasses(u, n, i);
  return bits >= 0 && (bits & (H_LOUD | H_CONT)) === 0;
}

/** The text of the word token s[i, e) as the tokenizer makes it (lower-cased when it has ASCII capitals; '' when long). */
function wordText(s: string, i: number, e: number): string {
  if (e - i > 40) return '';
  for (let k = i; k < e; k++) {
    const c = s.charCodeAt(k);
    if (c >= 65 && c <= 90) return s.slice(i, e).toLowerCase();
  }
  return s.slice(i, e);
}

/** Comparison and arithmetic operators (opInfo kinds CMP and ARITH; no logical or assignment operator). */
const BINARY_OPERATORS: ReadonlySet<string> = new Set([
  '=', '==', '===', '<=>', '<', '>', '<=', '>=', '<>', '!=', '!==', '!<', '!>', '~', '~*', '!~', '!~*', '@>', '<@', '?', '?|',
  '?&', '@?', '@@', '|', '&', '<<', '>>', '+', '-', '*', '/', '%', '^', '->', '->>', '#>', '#>>',
]);

/**
 * The end of the operator token at `j` when the tokenizer reads one there that is in BINARY_OPERATORS; -1 otherwise.
 * Before operatorAt the tokenizer tries comments (`--`, `#` but `#>`, `/*`; no versioned comment is open at the
 * value's second token), `@` variables and quoted variables; characters that start other tokens (quotes, digits,
 * words, punctuation) make operatorAt return no operator of the set.
 */
function binaryOperatorEnd(s: string, j: number): number {
  const n = s.length;
  const c = s.charCodeAt(j);
  const c1 = j + 1 < n ? s.charCodeAt(j + 1) : -1;
  if ((c === 45 && c1 === 45) || (c === 35 && c1 !== 62) || (c === 47 && c1 === 42)) return -1;
  if (c === 64 && (isWordStart(c1) || c1 === 39 || c1 === 34 || c1 === 96 ||
    (c1 === 64 && j + 2 < n && isWordStart(s.charCodeAt(j + 2))))) return -1;
  if (c === 46 || c === 36 || c === 39 || c === 34 || c === 96 || (c >= 48 && c <= 57)) return -1;
  const op = operatorAt(s, j);
  return BINARY_OPERATORS.has(op) ? j + op.length : -1;
}



/**
 * The tokens of a key=value pair's bare reading from token `from` (read anyway) end it without facts at once, as in
 * bareFailsAtOnce: an operand W1, then any chain of comparison and arithmetic operators each followed by an operand
 * word, then closed strings, then a word the continuation does not react to. An operand is a word, or a name
 * qualified with single dots (`a.b.c`, at most 8 parts: parseName); W1 is no lead starter and, reserved (or over 40
 * characters), ends the reading at once; no operand is NOT, BINARY, EXISTS, INTERVAL or CASE, and no `(` follows one
 * (no call). The operators are binary with a higher precedence than OR/AND (the expression parser takes the whole
 * chain, nesting at most once per precedence level); strings after an operand are skipped by the loop; the loop
 * fails on the last word. Such a failed reading has no logical operator, stacked statement, UNION SELECT or INTO
 * OUTFILE: decideContinuation reports nothing. (No step looks back before `from`.)
 */
function pairFailsAtOnce(view: View, from: number): boolean {
  const w1 = view.at(from)!;
  if (w1.k !== 'word' || LEAD_WORDS.has(w1.w)) return false;
  if (w1.w === '' || RESERVED.has(w1.w)) return true;
  if (OPERAND_WORDS.has(w1.w)) return false;
  let k = nameEnd(view, from);
  if (k < 0) return false;
  let t = view.at(k);
  while (t !== undefined && t.k === 'op' && BINARY_OPERATORS.has(t.w)) {
    const w = view.at(k + 1);
    if (w === undefined || w.k !== 'word' || OPERAND_WORDS.has(w.w)) return false;
    k = nameEnd(view, k + 1);
    if (k < 0) return false;
    t = view.at(k);
  }
  while (t !== undefined && t.k === 'str' && !t.open) t = view.at(++k);
  return t !== undefined && t.k === 'word' && !LOUD_WORDS.has(t.w) && !CONT_WORDS.has(t.w);
}

/**
 * Before the bare reading is tokenized up to the last pair: the reading of every pair fails at once (pairFailsAtOnce),
 * whichever `=` glued to a key the tokenizer reads as a pair's `=` (those inside strings or comments are none). The
 * tokens after such a `=` are those of a reading that starts right after it: the tokenizer's state there is its
 * start state (no pending whitespace; no open versioned comment when the value has no `/*!`). Prose that quotes a URL
 * (`?topic=delivery&lang=en. O'Brien's`) is decided on its characters (pairFailsAtOnceOnChars), else on a few tokens
 * per `=`.
 */
function everyPairFailsAtOnce(input: string, sv: Survey): boolean {
  const u = sv.units;
  if ((sv.flags & SV_COMMENT) !== 0 && input.includes('/*!')) return false;
  // Each pair's reading skips white space and comments to its first token, which after many `=` in a run of
  // comments read to the end of the value from each (quadratic). Past 8 × MAX_PAIRS pairs, false (unsure): the
  // caller then reads its first MAX_PAIRS pairs itself, which gives the same findings and is bounded.
  let checked = 0;
  for (let e = sv.firstPairEq; e >= 0 && e <= sv.lastPairEq; e = input.indexOf('=', e + 1)) {
    if (++checked > 8 * MAX_PAIRS) return false;
    const b = u[e - 1]!;
    if ((!isWordChar(b) && b !== 96 && b !== 93) || u[e + 1] === 61 || pairFailsAtOnceOnChars(input, u, e + 1)) continue;
    const view = new View(input, new TokenStream(input, e + 1, Infinity, input.length, u), '', 0);
    if (view.has(0) && !pairFailsAtOnce(view, 0)) return false;
  }
  return true;
}

/**
 * pairFailsAtOnce for the reading that starts at `from` (right after a `=`), on its characters: true only when sure.
 * It walks over the tokens pairFailsAtOnce looks at, when they are words (runs that are no string prefix), `.`
 * (not before a digit: `.5` is a number), the operators of binaryOperatorEnd and closed quoted strings, separated by
 * whitespace; anything else there (a comment, a number, a variable, other punctuation) makes it unsure. (No token at
 * all: the pair is not read.)
 */
function pairFailsAtOnceOnChars(s: string, u: CodeUnits, from: number): boolean {
  const n = s.length;
  const k = skipSpace(u, n, from);
  if (k >= n) return true;
  if (!isWordStart(u[k]!)) return false;
  const first = wordTokenClasses(u, n, k);
  if (first < 0 || (first & H_LEAD) !== 0) return false;
  const e = wordRunEnd(u, n, k);
  if (e - k > 40 || ((first & H_RESERVED) !== 0 && RESERVED.has(wordText(s, k, e)))) return true;
  if ((first & H_OPERAND) !== 0) return false;
  let j = nameEndOnChars(u, n, e);
  // Comparison and arithmetic operators, each followed by an operand name.
  while (j >= 0 && j < n) {
    const opEnd = binaryOperatorEnd(s, j);
    if (opEnd < 0) break;
    const w = skipSpace(u, n, opEnd);
    if (w >= n || !isWordStart(u[w]!)) return false;
    const bits = wordTokenClasses(u, n, w);
    if (bits < 0 || (bits & H_OPERAND) !== 0) return false;
    j = nameEndOnChars(u, n, wordRunEnd(u, n, w));
  }
  if (j < 0) return false;
  // Closed strings, then a word no continuation reacts to.
  while (j < n && (u[j] === 39 || u[j] === 34)) {
    const end = stringEnd(u, j + 1, u[j]!, n);
    if (end.open) return false;
    j = skipSpace(u, n, end.end);
  }
  return j < n && isWordStart(u[j]!) && plainContinuationWord(u, n, j);
}

/**
 * nameEnd on characters: after the word run ending at `e`, the start of the token that follows the name (parts
 * joined by `.`, at most 8), or -1 when a part is no word or the name is followed by `(` or `.`.
 */
function nameEndOnChars(u: CodeUnits, n: number, e: number): number {
  let j = skipSpace(u, n, e);
  for (let parts = 1; parts < 8; parts++) {
    if (!isDotToken(u, n, j)) break;
    const w = skipSpace(u, n, j + 1);
    if (w >= n || !isWordStart(u[w]!) || wordTokenClasses(u, n, w) === STRING_PREFIX) return -1;
    j = skipSpace(u, n, wordRunEnd(u, n, w));
  }
  return j < n && (u[j] === 40 || isDotToken(u, n, j)) ? -1 : j;
}

/** A `.` token at `j` (a `.` before a digit starts a number). */
function isDotToken(u: CodeUnits, n: number, j: number): boolean {
  return j < n && u[j] === 46 && !(j + 1 < n && u[j + 1]! >= 48 && u[j + 1]! <= 57);
}

/**
 * The index after the name that starts with the word at `i`: words joined by single `.` (the next token after a
 * `.` is a word, not `.` or `*`), at most 8 parts as parseName reads them; -1 (no token) when the name is followed
 * by anything parseName reads otherwise (a `.` not followed by a word) or by `(` (a call).
 */
function nameEnd(view: View, i: number): number {
  let k = i + 1;
  for (let parts = 1; parts < 8; parts++) {
    const dot = view.at(k);
    if (dot === undefined || dot.k !== '.') break;
    const part = view.at(k + 1);
    if (part === undefined || part.k !== 'word') return -1;
    k += 2;
  }
  const next = view.at(k);
  return next !== undefined && (next.k === '(' || next.k === '.') ? -1 : k;
}
