import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { CH_AMP, CH_BRACKET, CH_DOLLAR, CH_DOT, CH_PIPE, CH_SEMICOLON, CH_UNDERSCORE } from '../../value-chars.ts';
import { isSecretField, STRONG_QUERY_OPERATORS as STRONG_OPS, WEAK_QUERY_OPERATORS as WEAK_OPS } from '../../query-operators.ts';

/**
 * NoSQL (MongoDB-style) injection.
 *
 * - Operator injection through names: a query parameter, cookie or JSON key whose path has a segment that is a
 *   query operator (`user[$ne]`, `pass[$regex]`, `$or[0][name]`, a JSON key `$gt`), which turns a value
 *   comparison into a condition the attacker chooses. Only query/evaluation operators count: `$schema`, `$ref`,
 *   `$id`, OData's `$filter`/`$top` and extended-JSON `$oid`/`$date` are ordinary keys.
 * - Operator injection through values: JSON or JavaScript object text in a value with an operator used as a key
 *   (`{"$ne": null}`, `', $or: [ {}, {...`, `true, $where: '1 == 1'`).
 * - Server-side JavaScript: `$where`/`$function`/`$accumulator` with code; code that breaks out of a string inside
 *   a where-clause (`'; return true; var x='`, `0;var d=new Date(); do{...}while(...)`, `' || this.a == 'b`), busy
 *   loops and `sleep(n)` after such a break; mongo shell calls (`db.users.find(`, `db.getCollection(`).
 * - ORM lookup suffixes in names (`password__startswith`, `a__b__icontains`, Django/Tortoise style): paranoia 2/3.
 * `$where`/`$ne` in a sentence, a price `$5`, and ordinary keys give nothing.
 */

const CODE_OPS = new Set(['$where', '$function', '$accumulator']);
/**
 * Aggregation stages that read or write other collections (`$lookup` from `users`, `$unionWith`, `$out` and
 * `$merge` over a collection): no filter of the request's own documents, wherever they appear.
 */
const STAGE_OPS = new Set(['$lookup', '$unionwith', '$out', '$merge', '$graphlookup']);

const ORM_LOOKUPS = new Set([
  'exact', 'iexact', 'contains', 'icontains', 'in', 'gt', 'gte', 'lt', 'lte', 'startswith', 'istartswith',
  'endswith', 'iendswith', 'range', 'isnull', 'regex', 'iregex', 'has_key', 'has_keys', 'has_any_keys',
  'contained_by', 'overlap', 'search', 'trigram_similar', 'unaccent', 'ne', 'not_in', 'not', 'isempty',
]);

/** Filter operators of LoopBack, Prisma, Sequelize-style and other ORMs' structured query names (lower case). */
const ORM_FILTER_OPS: ReadonlySet<string> = new Set(['regexp', 'regex', 'like', 'ilike', 'nlike', 'nilike', 'startswith',
  'endswith', 'contains', 'icontains', 'gt', 'gte', 'lt', 'lte', 'neq', 'ne', 'not', 'inq', 'nin', 'notin', 'between',
  'match', 'matches', 'search']);

/** Ransack's predicates (`q[attr_pred]`): a name that ends in one after a secret's words. */
const RANSACK_SECRET = /(?:pass(?:word)?|token|secret|otp|digest)_(?:start|end|cont|i_cont|matches|eq|lt|gt|lteq|gteq|in|not_eq|present|null|not_null)$/i;

function ransackSecret(segment: string): boolean {
  return segment.length <= 64 && RANSACK_SECRET.test(segment);
}

const SHELL_METHODS = new Set([
  'find', 'findone', 'insert', 'insertone', 'insertmany', 'update', 'updateone', 'updatemany', 'remove', 'deleteone',
  'deletemany', 'drop', 'aggregate', 'mapreduce', 'count', 'save', 'replaceone', 'findandmodify', 'findoneandupdate',
  'findoneanddelete', 'createindex', 'renamecollection', 'distinct', 'bulkwrite',
]);
const DB_FUNCS = new Set([
  'getcollection', 'dropdatabase', 'eval', 'getsiblingdb', 'runcommand', 'admincommand', 'getcollectionnames',
  'createuser', 'dropuser', 'shutdownserver', 'getmongo', 'createcollection',
]);

function isIdent(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
function skipSpace(v: string, i: number): number {
  while (i < v.length && isSpace(v.charCodeAt(i))) i++;
  return i;
}
function skipSpaceBack(v: string, i: number): number {
  while (i >= 0 && isSpace(v.charCodeAt(i))) i--;
  return i;
}
function excerpt(v: string, at: number): string {
  const s = Math.max(0, at - 20);
  return v.slice(s, s + 120);
}

/** Path segments of a parameter name: `a[$ne]`, `$or[0][a]`, `a.$gt`. */
function segments(name: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= name.length && out.length < 128; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 46;
    if (c !== 91 && c !== 93 && c !== 46) continue;
    if (i > start && i - start <= 32) {
      let seg = name.slice(start, i).trim();
      if (seg.length >= 2 && (seg[0] === '"' || seg[0] === "'")) seg = seg.slice(1, -1);
      out.push(seg);
    }
    start = i + 1;
  }
  return out;
}

/**
 * Field names an operator is dangerous on wherever it appears: credentials and identities (`password[$ne]`,
 * `user[$gt]`, `login[$regex]`: the login bypass), object identifiers and owners (`userId[$ne]`: another user's
 * records), roles and tenants. Read from a lower-case name with `_` and `-` dropped; `id` alone or at the end.
 */
const GUARDED_FIELD_WORDS = ['pass', 'pwd', 'user', 'login', 'email', 'mail', 'account', 'token', 'secret', 'apikey',
  'owner', 'tenant', 'role', 'admin', 'auth', 'session', 'otp', 'pin', 'uid', 'key', 'code', 'phone', 'member', 'customer'];

function isGuardedField(segment: string): boolean {
  const f = segment.toLowerCase().replace(/[-_]/g, '');
  if (f === '' || f.length > 64) return false;
  if (f === 'id' || f.endsWith('id')) return true;
  for (const w of GUARDED_FIELD_WORDS) if (f.includes(w)) return true;
  return false;
}

/**
 * The paranoia of a strong operator in a structured parameter name (`filters[$or][0][views][$gt]`): APIs built on
 * Strapi, Feathers and similar frameworks take comparison and logical operators in their query strings by design,
 * so on ordinary fields they count from paranoia 2. Server-side code (`$where`, `$function`, `$accumulator`), `$regex`
 * (blind extraction), a name that is an operator alone, and any name with a guarded field (isGuardedField) stay 1.
 */
function nameOperatorParanoia(op: string, segs: readonly string[]): Paranoia {
  if (CODE_OPS.has(op) || STAGE_OPS.has(op) || op === '$regex' || segs.length < 2) return 1;
  for (const seg of segs) if (seg.charCodeAt(0) !== 36 && isGuardedField(seg)) return 1;
  return 2;
}

function checkName(name: string, report: (f: Finding) => void): boolean {
  if (name.includes('$')) {
    const segs = segments(name);
    for (const seg of segs) {
      const op = seg.toLowerCase();
      if (STRONG_OPS.has(op)) {
        report({
          ruleId: CODE_OPS.has(op) ? 'nosqli-where-operator' : 'nosqli-operator-name', category: 'nosqli',
          paranoia: nameOperatorParanoia(op, segs),
          score: SCORE.critical, message: `query operator ${op} in a parameter name or key`, matched: name.slice(0, 120),
        });
        return true;
      }
      if (WEAK_OPS.has(op)) {
        // on a secret (`password[$type]=2` matches every password, `password[$in][]=...` sprays a list) it is the
        // injection; elsewhere `$type` is Json.NET's metadata and `$in` a list filter
        report({
          ruleId: 'nosqli-operator-name', category: 'nosqli', paranoia: segs.some(isSecretField) ? 1 : 2, score: SCORE.critical,
          message: `query operator ${op} in a parameter name or key`, matched: name.slice(0, 120),
        });
        return true;
      }
    }
  }
  // filters of other ORMs on a secret, in structured names: LoopBack `filter[where][password][regexp]`, Prisma-style
  // `where[password][startsWith]`, Ransack `q[reset_password_token_cont]`: reading a secret a character at a time
  if (name.includes('[') && name.length <= 256) {
    const segs = segments(name);
    for (let k = 1; k < segs.length; k++) {
      const op = segs[k]!.toLowerCase();
      const ransack = ransackSecret(segs[k]!);
      if ((ORM_FILTER_OPS.has(op) && isSecretField(segs[k - 1]!)) || ransack) {
        report({
          ruleId: 'nosqli-operator-name', category: 'nosqli', paranoia: 1, score: SCORE.critical,
          message: `filter operator ${ransack ? 'predicate' : op} on a secret in a parameter name`, matched: name.slice(0, 120),
        });
        return true;
      }
    }
  }
  // ORM lookups: `field__lookup`, `rel__field__lookup`
  const dunder = name.indexOf('__');
  if (dunder > 0 && name.length <= 128) {
    const parts = name.split('__');
    const last = parts[parts.length - 1]!.toLowerCase();
    if (parts.length >= 2 && ORM_LOOKUPS.has(last) && parts.every((p) => p.length > 0 && /^[A-Za-z0-9_]+$/.test(p)) && parts.slice(0, -1).some(isSecretField)) {
      // (on a secret: `password__regex`, `created_by__password__startswith`)
      report({
        ruleId: 'nosqli-orm-lookup', category: 'nosqli', paranoia: 1, score: SCORE.critical,
        message: `ORM lookup operator __${last} on a secret in a parameter name`, matched: name.slice(0, 120),
      });
      return true;
    }
    if (parts.length >= 2 && ORM_LOOKUPS.has(last) && parts.every((p) => p.length > 0 && /^[A-Za-z0-9_]+$/.test(p))) {
      const traversal = parts.length >= 3;
      report({
        ruleId: 'nosqli-orm-lookup', category: 'nosqli', paranoia: traversal ? 2 : 3, score: traversal ? SCORE.error : SCORE.warning,
        message: `ORM lookup operator __${last} in a parameter name${traversal ? ' across relations' : ''}`, matched: name.slice(0, 120),
      });
      return true;
    }
  }
  return false;
}

/**
 * `$op` used as an object key in value text: preceded by `{`/`,`/start (and a quote), followed by a quote and `:`.
 * The first strong operator is reported; a weak one (paranoia 2) only when no strong one follows it.
 */
function operatorKeys(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  let weakAt = -1;
  let weakOp = '';
  // a strong operator on an ordinary field of a filter document (`{"price": {"$gte": 10}}`): see below
  let fieldAt = -1;
  let fieldOp = '';
  for (;;) {
    const at = v.indexOf('$', from);
    if (at < 0) break;
    from = at + 1;
    let e = at + 1;
    while (e < v.length && e - at < 24 && isIdent(v.charCodeAt(e)) && v.charCodeAt(e) !== 36) e++;
    const op = lower.slice(at, e);
    if (!STRONG_OPS.has(op) && !WEAK_OPS.has(op)) continue;
    // after: optional closing quote, spaces, colon
    let a = e;
    if (v[a] === '"' || v[a] === "'") a++;
    a = skipSpace(v, a);
    if (v.charCodeAt(a) !== 58) continue;
    // before: optional opening quote, spaces, then `{` `,` `[` or the start
    let b = at - 1;
    const quoted = b >= 0 && (v[b] === '"' || v[b] === "'");
    if (quoted) b--;
    b = skipSpaceBack(v, b);
    const before = b >= 0 ? v[b] : '';
    if (before !== '{' && before !== ',' && before !== '' && before !== '[') continue;
    if (WEAK_OPS.has(op)) {
      // on a secret (`{"password": {"$type": 2}}`, `{"password": {"$in": [...]}}`) it is the injection
      const weakBrace = before === '{' ? b : before === ',' ? enclosingBrace(v, b) : -1;
      const weakHolder = weakBrace >= 0 ? holderKey(v, weakBrace) : undefined;
      if (weakHolder !== undefined && isSecretField(weakHolder)) {
        operatorKey(v, at, op, 1, report);
        return true;
      }
      if (weakAt < 0) { weakAt = at; weakOp = op; }
      continue;
    }
    // the member that holds the operator's object (`"price": {`): an ordinary field is what filter APIs (Parse's
    // `where=`) take by design; a credential, identifier, owner or role, code, `$regex`, or an operator at the top
    // of the document or after a `,` is the injection
    const brace = before === '{' ? b : before === ',' ? enclosingBrace(v, b) : -1;
    const holder = brace >= 0 && !CODE_OPS.has(op) && !STAGE_OPS.has(op) && op !== '$regex' ? holderKey(v, brace) : undefined;
    if (holder !== undefined && !isGuardedField(holder)) {
      if (fieldAt < 0) { fieldAt = at; fieldOp = op; }
      continue;
    }
    operatorKey(v, at, op, 1, report);
    return true;
  }
  if (fieldAt >= 0) {
    // paranoia 2 only in a well-formed document: a break-out into object text (`x"}, "a": {"$gt": ""`) is no filter
    operatorKey(v, fieldAt, fieldOp, wellFormedJson(v) ? 2 : 1, report);
    return true;
  }
  if (weakAt < 0) return false;
  operatorKey(v, weakAt, weakOp, 2, report);
  return true;
}

/**
 * The `{` that opens the object a `,` at `comma` is in (`{"$gte": 1, "$lte": 9}`), read backwards over at most 512
 * characters, skipping quoted strings; -1 when there is none (the `,` is in an array, or too far in).
 */
function enclosingBrace(v: string, comma: number): number {
  let depth = 0;
  for (let k = comma - 1; k >= 0 && comma - k <= 512; k--) {
    const c = v.charCodeAt(k);
    if (c === 34 || c === 39) {
      const open = v.lastIndexOf(c === 34 ? '"' : "'", k - 1);
      if (open < 0) return -1;
      k = open;
    } else if (c === 125 || c === 93) depth++; // } ]
    else if (c === 123 || c === 91) { // { [
      if (depth === 0) return c === 123 ? k : -1;
      depth--;
    }
  }
  return -1;
}

/** The quoted member name before the `{` at `brace` (`"price": {`), or undefined. */
function holderKey(v: string, brace: number): string | undefined {
  let j = skipSpaceBack(v, brace - 1);
  if (v.charCodeAt(j) !== 58) return undefined; // :
  j = skipSpaceBack(v, j - 1);
  const quote = v.charCodeAt(j);
  if (quote !== 34 && quote !== 39) return undefined;
  const open = v.lastIndexOf(quote === 34 ? '"' : "'", j - 1);
  if (open < 0 || j - open > 65) return undefined;
  return v.slice(open + 1, j);
}

/** Whether the value is one well-formed JSON document (an object or array). */
function wellFormedJson(v: string): boolean {
  const first = v.charCodeAt(skipSpace(v, 0));
  if (first !== 123 && first !== 91) return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

function operatorKey(v: string, at: number, op: string, paranoia: Paranoia, report: (f: Finding) => void): void {
  report({
    ruleId: CODE_OPS.has(op) ? 'nosqli-where-operator' : 'nosqli-operator-key', category: 'nosqli', paranoia,
    score: SCORE.critical, message: `query operator ${op} used as an object key`, matched: excerpt(v, at),
  });
}

/** mongo shell: `db.<collection>.<method>(` or `db.<function>(`. */
function shellCall(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  for (;;) {
    const at = lower.indexOf('db.', from);
    if (at < 0) return false;
    from = at + 3;
    if (at > 0 && (isIdent(v.charCodeAt(at - 1)) || v.charCodeAt(at - 1) === 46)) continue;
    let i = at + 3;
    const s1 = i;
    while (i < v.length && i - s1 < 64 && isIdent(v.charCodeAt(i))) i++;
    if (i === s1) continue;
    const first = lower.slice(s1, i);
    let j = skipSpace(v, i);
    if (v.charCodeAt(j) === 40 && DB_FUNCS.has(first)) {
      report({ ruleId: 'nosqli-shell-call', category: 'nosqli', paranoia: 1, score: SCORE.critical, message: `mongo shell call db.${first}()`, matched: excerpt(v, at) });
      return true;
    }
    if (v.charCodeAt(i) !== 46) continue;
    const s2 = i + 1;
    i = s2;
    while (i < v.length && i - s2 < 64 && isIdent(v.charCodeAt(i))) i++;
    const method = lower.slice(s2, i);
    j = skipSpace(v, i);
    if (v.charCodeAt(j) === 40 && SHELL_METHODS.has(method)) {
      report({ ruleId: 'nosqli-shell-call', category: 'nosqli', paranoia: 1, score: SCORE.critical, message: `mongo shell call db.${first}.${method}()`, matched: excerpt(v, at) });
      return true;
    }
  }
  return false;
}

const JS_STATEMENTS = ['return', 'var', 'let', 'const', 'while', 'do', 'for', 'if', 'throw', 'sleep', 'function', 'this', 'emit', 'db'];

function wordAt(lower: string, i: number): string {
  let j = i;
  while (j < lower.length && j - i < 12 && lower.charCodeAt(j) >= 97 && lower.charCodeAt(j) <= 122) j++;
  return lower.slice(i, j);
}

/** `(cond)` followed by a block or `;` (or the end), or a condition with a comparison: `while(true);`, `if (a == b)`. */
function condition(rest: string): boolean {
  let i = skipSpace(rest, 0);
  if (rest.charCodeAt(i) !== 40) return false;
  const start = i;
  let depth = 0;
  for (; i < rest.length && i - start < 160; i++) {
    const c = rest.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) break;
  }
  if (depth !== 0) return false;
  const inner = rest.slice(start + 1, i);
  const after = skipSpace(rest, i + 1);
  if (after >= rest.length || rest[after] === '{' || rest[after] === ';') return true;
  return inner.includes('==') || inner.includes('!=') || inner.includes('<=') || inner.includes('>=') || inner.includes('&&') || inner.includes('||');
}

/** `[name](args) {` after the `function` keyword. */
function functionHead(rest: string): boolean {
  let i = skipSpace(rest, 0);
  while (i < rest.length && i < 64 && isIdent(rest.charCodeAt(i))) i++;
  i = skipSpace(rest, i);
  if (rest.charCodeAt(i) !== 40) return false;
  const close = rest.indexOf(')', i);
  if (close < 0 || close - i > 60) return false;
  return rest.charCodeAt(skipSpace(rest, close + 1)) === 123;
}

/**
 * End of a literal (`'a'`, `"a"`, `1`, `true`) at `i`, or -1. An unclosed string that runs to the end of the value
 * is closed by the application's own quote: its end is then `v.length + 1`.
 */
function literalEnd(v: string, i: number): number {
  const q = v.charCodeAt(i);
  if (q === 39 || q === 34) {
    let close = i + 1;
    while (close < v.length && close - i <= 64 && v.charCodeAt(close) !== q) close++;
    if (close >= v.length) return v.length + 1;
    return v.charCodeAt(close) === q ? close + 1 : -1;
  }
  let j = i;
  let digits = true;
  while (j < v.length && j - i < 16 && isIdent(v.charCodeAt(j))) {
    if (v.charCodeAt(j) < 48 || v.charCodeAt(j) > 57) digits = false;
    j++;
  }
  if (j === i) return -1;
  if (digits) return j;
  const w = v.slice(i, j);
  return w === 'true' || w === 'false' ? j : -1;
}

/** The character of the literal `[s, e)` at offset `k` (the implicit closing quote past the end). */
function litChar(v: string, s: number, e: number, k: number): number {
  const i = s + k;
  if (e > v.length && i === v.length) return v.charCodeAt(s);
  return v.charCodeAt(i);
}

/** `|| 'a' == 'a'`, `&& 1 === 1`: a JavaScript tautology after a logical operator. */
function tautology(v: string, i: number): boolean {
  const as = skipSpace(v, i);
  const ae = literalEnd(v, as);
  if (ae < 0 || ae > v.length) return false;
  let k = skipSpace(v, ae);
  if (v.charCodeAt(k) !== 61 || v.charCodeAt(k + 1) !== 61) return false;
  k += v.charCodeAt(k + 2) === 61 ? 3 : 2;
  const bs = skipSpace(v, k);
  const be = literalEnd(v, bs);
  if (be < 0 || be - bs !== ae - as) return false;
  for (let x = 0; x < ae - as; x++) if (litChar(v, as, ae, x) !== litChar(v, bs, be, x)) return false;
  return true;
}

/**
 * What may come before the break-out: nothing, the end of the application's string (`...'`), or one short token
 * (`0`, `abc`): up to 40 characters, no `;`, `{` or line break, and no space unless it ends with a quote.
 */
function shortPrefix(v: string, at: number): boolean {
  if (at > 40) return false;
  // Ending with a quote (before blanks), the prefix may hold spaces; else it is one token. The token is read from
  // its end, so prose (a space a few characters back) leaves at once.
  let e = at - 1;
  while (e >= 0 && (v.charCodeAt(e) === 32 || v.charCodeAt(e) === 9)) e--;
  if (!(e >= 0 && (v[e] === "'" || v[e] === '"'))) {
    for (let i = at - 1; i >= 0; i--) {
      const c = v.charCodeAt(i);
      if (c === 59 || c === 123 || c === 10 || c === 13 || c === 32 || c === 9) return false;
    }
    return true;
  }
  for (let i = 0; i < at; i++) {
    const c = v.charCodeAt(i);
    if (c === 59 || c === 123 || c === 10 || c === 13) return false;
  }
  return true;
}

/**
 * JavaScript injected into a `$where` string: a `;` (or a closing quote and `;`/`||`/`&&`) followed by a
 * statement, where the rest has code structure (another `;`, a call, a block, an assignment, a comparison).
 */
function whereCode(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  let budget = 512; // statement candidates examined closely (each costs up to ~200 characters)
  for (;;) {
    let at = -1;
    // next `;`, `||` or `&&`
    for (let i = from; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 59 || ((c === 124 || c === 38) && v.charCodeAt(i + 1) === c)) { at = i; break; }
    }
    if (at < 0) return false;
    const sepLen = v.charCodeAt(at) === 59 ? 1 : 2;
    from = at + sepLen;
    // The break-out is at the start of the value: at most a short literal (the end of the application's string or
    // number) before it. JavaScript code pasted into a field has longer code before its `;`.
    if (!shortPrefix(v, at)) return false;
    const k = skipSpace(v, at + sepLen);
    if (sepLen === 2 && tautology(v, k)) {
      report({
        ruleId: 'nosqli-js-injection', category: 'nosqli', paranoia: 1, score: SCORE.critical,
        message: 'JavaScript tautology after a logical operator', matched: excerpt(v, at),
      });
      return true;
    }
    const word = wordAt(lower, k);
    if (!JS_STATEMENTS.includes(word)) continue;
    if (--budget < 0) return false;
    const afterWord = k + word.length;
    if (afterWord < v.length && isIdent(v.charCodeAt(afterWord)) && word !== 'do') continue;
    const rest = v.slice(afterWord, afterWord + 200);
    const quoteBefore = (() => {
      const b = skipSpaceBack(v, at - 1);
      return b >= 0 && (v[b] === "'" || v[b] === '"');
    })();
    let code = false;
    if (word === 'sleep') code = /^\s*\(\s*\d/.test(rest);
    else if (word === 'this') code = /^\.[A-Za-z_$]/.test(rest) && (rest.includes('==') || rest.includes('!=') || rest.includes('('));
    else if (word === 'do') code = /^\s*\{/.test(rest) && rest.includes('while');
    else if (word === 'while' || word === 'for' || word === 'if') code = condition(rest);
    else if (word === 'return') code = quoteBefore || /^\s+(?:true|false|1|0|this)\b/.test(rest) || /^\s+[A-Za-z_$][\w$]*\s*(?:==|!=|<|>)/.test(rest);
    else if (word === 'var' || word === 'let' || word === 'const') code = /^\s+[A-Za-z_$][\w$]*\s*=[^=]/.test(rest);
    else if (word === 'function') code = functionHead(rest);
    else if (word === 'throw') code = /^\s+(?:new\s+)?[A-Za-z_$'"]/.test(rest) && quoteBefore;
    else if (word === 'emit' || word === 'db') code = /^\s*[.(]/.test(rest) && quoteBefore;
    if (!code) continue;
    report({
      ruleId: 'nosqli-js-injection', category: 'nosqli', paranoia: 1, score: SCORE.critical,
      message: `JavaScript statement (${word}) injected after ${sepLen === 1 ? '`;`' : 'a logical operator'}`, matched: excerpt(v, at),
    });
    return true;
  }
  return false;
}

/** A time-based busy loop: `do{...}while(a - b < n)` or `while(new Date() < t)` with `new Date()` as code. */
function busyLoop(v: string, lower: string, report: (f: Finding) => void): boolean {
  // an injected loop starts the value (`;var d = new Date(); do{...}while(...)`, `0;while(...)`)
  const semi = v.indexOf(';');
  if (semi < 0 || !shortPrefix(v, semi)) return false;
  let d = lower.indexOf('new date');
  while (d >= 0) {
    const k = skipSpace(v, d + 8);
    if (v.charCodeAt(k) === 40 || v.charCodeAt(k) === 59) break; // `new Date()` / `new Date;`
    d = lower.indexOf('new date', d + 8);
  }
  if (d < 0) return false;
  let w = lower.indexOf('while');
  while (w >= 0) {
    const rest = v.slice(w + 5, w + 165);
    if (condition(rest) || /^\s*\([^)]{0,80}[<>-]/.test(rest)) {
      report({
        ruleId: 'nosqli-js-injection', category: 'nosqli', paranoia: 1, score: SCORE.critical,
        message: 'time-based JavaScript busy loop', matched: excerpt(v, Math.min(w, d)),
      });
      return true;
    }
    w = lower.indexOf('while', w + 5);
  }
  return false;
}

/** What any value check needs somewhere: a `$`, a `;`, `||` or `&&`, or `db.` in any case (see mayMatch). */
const TRIGGER = /[$;]|\|\||&&|[dD][bB]\./;

/**
 * Whether whereCode or busyLoop can find anything: both look at the first separator only when what stands before it
 * passes shortPrefix (at most 40 characters, one short token or the end of a string), whereCode at the first `;`,
 * `||` or `&&`, busyLoop at the first `;`.
 */
function breakOut(v: string): boolean {
  const semi = v.indexOf(';');
  const or = v.indexOf('||');
  const and = v.indexOf('&&');
  let first = semi;
  if (or !== -1 && (first === -1 || or < first)) first = or;
  if (and !== -1 && (first === -1 || and < first)) first = and;
  if (first === -1) return false;
  return shortPrefix(v, first) || (semi !== -1 && semi !== first && shortPrefix(v, semi));
}

/** `db.` in any case: what `lower.includes('db.')` finds (only the ASCII letters lower-case to `d` and `b`). */
function hasDbDot(v: string): boolean {
  for (let p = v.indexOf('.', 2); p !== -1; p = v.indexOf('.', p + 1)) {
    if ((v.charCodeAt(p - 1) | 32) === 98 && (v.charCodeAt(p - 2) | 32) === 100) return true;
  }
  return false;
}

/** The separators of breakOut; SEPARATOR.test finds the first (the leftmost of the three), in one native search. */
const SEPARATOR = /;|\|\||&&/g;

/**
 * What breakOut needs: its first separator (`;`, `||` or `&&`) at index 40 or less (shortPrefix accepts no more than
 * 40 characters before a separator, and the first `;` is not before the first separator).
 */
function earlySeparator(v: string): boolean {
  SEPARATOR.lastIndex = 0;
  if (!SEPARATOR.test(v)) return false;
  const end = SEPARATOR.lastIndex;
  return end - (v.charCodeAt(end - 1) === 59 ? 1 : 2) <= 40;
}

/** `$`, `;`, `|`, `&` or `.` (one of them is in every TRIGGER match), or with `underscore` also `_`. */
function hasTriggerChar(v: string, underscore: boolean): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 36 || c === 59 || c === 124 || c === 38 || c === 46 || (underscore && c === 95)) return true;
  }
  return false;
}

/**
 * Whether the value checks can find anything; false lets most values go without a lower-case copy. They need a `$`
 * (operator keys), a `db.` in any case and a `(` (shell calls), or a `;`, `||` or `&&` after at most a short token
 * (see breakOut). A short value is cleared by one pass of TRIGGER (a very short one by a loop over its characters);
 * a long one (prose often has a `;` somewhere) by the exact searches, the cheapest first.
 */
function mayMatch(v: string): boolean {
  if (v.length <= 8 ? !hasTriggerChar(v, false) : v.length <= 64 && !TRIGGER.test(v)) return false;
  return v.indexOf('$') !== -1 || (earlySeparator(v) && breakOut(v)) || (v.indexOf('(') !== -1 && hasDbDot(v));
}

/** A GraphQL filter argument comparing a secret field piecewise (Hasura's `_regex`, `_like`, `_gt`...). */
const GRAPHQL_SECRET_FILTER = /\b([A-Za-z_]{0,32}(?:pass(?:word|wd)?|pwd|secret|token|otp|hash)[A-Za-z_]{0,32})\s{0,4}:\s{0,4}\{\s{0,4}(_(?:regex|iregex|nregex|like|ilike|nlike|similar|nsimilar|gt|gte|lt|lte))\b/i;

export const nosqliDetector: Detector = {
  category: 'nosqli',
  // `$` operators, `__` lookups, `db.` calls, a `;`, `||` or `&&` breakout (see hasTriggerChar), or another ORM's
  // filter in a structured name (`where[password][startsWith]`)
  needs: CH_DOLLAR | CH_SEMICOLON | CH_PIPE | CH_AMP | CH_DOT | CH_UNDERSCORE | CH_BRACKET,
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 3) return;
    // A short value (most names and keys) without `$`, `_` (`__` of ORM lookups) or a character of TRIGGER has
    // nothing for the name check nor the value checks: one loop over a few characters.
    if (value.length <= 8 && !hasTriggerChar(value, true)) return;
    if (context.isName && checkName(value, report)) return;
    // Hasura's and other GraphQL filters on a secret (`where: {password: {_regex: "^a"}}`): blind extraction
    if (value.length >= 16 && (value.includes(': {') || value.includes(':{'))) {
      const at = value.length <= 65536 ? GRAPHQL_SECRET_FILTER.exec(value) : null;
      if (at !== null) {
        report({ ruleId: 'nosqli-operator-name', category: 'nosqli', paranoia: 1, score: SCORE.critical, message: `filter operator ${at[2]} on the secret ${at[1]}`, matched: value.slice(at.index, at.index + 80) });
        return;
      }
    }
    if (!mayMatch(value)) return;
    const lower = value.toLowerCase();
    if (value.includes('$') && operatorKeys(value, lower, report)) return;
    if (lower.includes('db.') && shellCall(value, lower, report)) return;
    if ((value.includes(';') || value.includes('||') || value.includes('&&')) && whereCode(value, lower, report)) return;
    busyLoop(value, lower, report);
  },
};
