import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';

/**
 * Prototype pollution: a property path that walks into `__proto__` or `constructor.prototype`, so that a merge,
 * a `set(obj, path, value)` helper or a query-string parser (`qs`) writes onto `Object.prototype`.
 *
 * Names (query parameter names, JSON keys, cookie names, path segments) are split into path segments on `[`, `]`
 * and `.`; a segment `__proto__`, or `constructor` directly followed by `prototype`, is the attack. In values, the
 * same paths are looked for with their punctuation (`a.__proto__.b`, `[__proto__]`, `"__proto__":`, and
 * `constructor[prototype]` / `constructor.prototype` / `{"constructor":{"prototype":`). The bare word in prose is
 * only a paranoia-3 notice.
 */

const PROTO = '__proto__';

function excerpt(value: string, start: number, end: number): string {
  const s = Math.max(0, start - 20);
  return value.slice(s, Math.min(value.length, Math.max(end, s) + 40)).slice(0, 120);
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

/** Splits a parameter name into path segments (`a[b][c]`, `a.b.c`, `a[__proto__]`, `["x"]`), quotes removed. */
function segments(name: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= name.length && out.length < 256; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 46;
    if (c !== 91 && c !== 93 && c !== 46) continue; // [ ] .
    if (i > start) {
      // Only short segments can be one of the words looked for; long ones are kept as a placeholder.
      let seg = i - start <= 40 ? name.slice(start, i) : '-';
      if (seg !== '-') {
        let clean = '';
        for (const ch of seg) if (ch !== '"' && ch !== "'" && ch !== ' ' && ch !== '\t') clean += ch;
        seg = clean;
      }
      if (seg !== '') out.push(seg);
    }
    start = i + 1;
  }
  return out;
}

/**
 * `segment` is `word` once a filter that deletes `word` a single time has run over it (`__pro__proto__to__`,
 * `constconstructorructor`): the nesting that defeats a sanitizer which does not repeat.
 */
function strippedOnce(segment: string, word: string): boolean {
  if (segment.length !== 2 * word.length) return false;
  const at = segment.indexOf(word);
  return at > 0 && segment.slice(0, at) + segment.slice(at + word.length) === word;
}

function checkName(name: string, report: (f: Finding) => void): boolean {
  const segs = segments(name);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!.toLowerCase();
    if (s === PROTO || strippedOnce(s, PROTO)) {
      report({
        ruleId: 'prototype-pollution-proto-key', category: 'prototype-pollution', paranoia: 1, score: SCORE.critical,
        message: '`__proto__` as a property name', matched: name.slice(0, 120),
      });
      return true;
    }
    if ((s === 'constructor' || strippedOnce(s, 'constructor')) && i + 1 < segs.length &&
      (segs[i + 1]!.toLowerCase() === 'prototype' || strippedOnce(segs[i + 1]!.toLowerCase(), 'prototype'))) {
      report({
        ruleId: 'prototype-pollution-constructor-prototype', category: 'prototype-pollution', paranoia: 1, score: SCORE.critical,
        message: '`constructor.prototype` property path', matched: name.slice(0, 120),
      });
      return true;
    }
  }
  return false;
}

function skipSpace(v: string, i: number): number {
  while (i < v.length) {
    const c = v.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

function skipSpaceBack(v: string, i: number): number {
  while (i >= 0) {
    const c = v.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i--;
  }
  return i;
}

/**
 * `__proto__` used as a property in a path or an object key (`.x`, `[x]`, `x[`, `x.`, `"x":`, `x=`). True when that
 * was found; a mere mention is reported (paranoia 3) with false, so the `constructor.prototype` search still runs.
 */
function protoInValue(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  let weak = -1;
  for (;;) {
    const at = lower.indexOf(PROTO, from);
    if (at < 0) break;
    from = at + PROTO.length;
    const end = at + PROTO.length;
    // Skip a quote right around the word (`"__proto__"`, `['__proto__']`).
    let b = at - 1;
    if (b >= 0 && (v[b] === '"' || v[b] === "'")) b--;
    b = skipSpaceBack(v, b);
    let a = end;
    if (a < v.length && (v[a] === '"' || v[a] === "'")) a++;
    a = skipSpace(v, a);
    const glued = (at > 0 && isIdentChar(v.charCodeAt(at - 1))) || (end < v.length && isIdentChar(v.charCodeAt(end)));
    if (glued) continue;
    const quoted = v[at - 1] === '"' || v[at - 1] === "'";
    const before = b >= 0 ? v[b]! : '';
    // Directly after the word (or its closing quote): a path goes on (`.x`, `[x]`, `]`), or a value is assigned.
    const next = quoted && (v[end] === '"' || v[end] === "'") ? v[end + 1] : v[end];
    const after = a < v.length ? v[a]! : '';
    const path = next === '.' || next === '[' || next === ']' || (after === '=' && v[a + 1] !== '=');
    // An object key: `"__proto__":` (JSON), or `{__proto__:` opening an object.
    const key = after === ':' && (quoted || before === '{');
    if (path || key) {
      report({
        ruleId: 'prototype-pollution-proto-path', category: 'prototype-pollution', paranoia: 1, score: SCORE.critical,
        message: '`__proto__` in a property path or object key', matched: excerpt(v, at, end),
      });
      return true;
    }
    if (weak < 0) weak = at;
  }
  if (weak >= 0) {
    report({
      ruleId: 'prototype-pollution-proto-word', category: 'prototype-pollution', paranoia: 3, score: SCORE.notice,
      message: '`__proto__` mentioned', matched: excerpt(v, weak, weak + PROTO.length),
    });
  }
  return false;
}

/** `constructor` followed by `prototype` as the next path step: `.prototype`, `[prototype]`, `":{"prototype"`. */
function constructorPrototype(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  for (;;) {
    const at = lower.indexOf('constructor', from);
    if (at < 0) return false;
    from = at + 11;
    let i = at + 11;
    if (i < v.length && (v[i] === '"' || v[i] === "'")) i++;
    i = skipSpace(v, i);
    const sep = v[i];
    if (sep === '.') {
      i = skipSpace(v, i + 1);
    } else if (sep === '[') {
      i = skipSpace(v, i + 1);
      if (v[i] === '"' || v[i] === "'") i++;
    } else if (sep === ':') {
      i = skipSpace(v, i + 1);
      if (v[i] !== '{') continue;
      i = skipSpace(v, i + 1);
      if (v[i] === '"' || v[i] === "'") i++;
    } else {
      continue;
    }
    if (lower.startsWith('prototype', i) && !(i + 9 < v.length && isIdentChar(v.charCodeAt(i + 9)))) {
      report({
        ruleId: 'prototype-pollution-constructor-prototype', category: 'prototype-pollution', paranoia: 1, score: SCORE.critical,
        message: '`constructor.prototype` property path', matched: excerpt(v, at, i + 9),
      });
      return true;
    }
  }
}

/**
 * What every finding needs: `__proto__` (so `__`) or `constructor` in any case. One pass instead of a lower-case copy
 * and two searches; only the ASCII letters lower-case to the letters of `constructor`.
 */
const MAY_MATCH = /__|constructor/i;

export const prototypePollutionDetector: Detector = {
  category: 'prototype-pollution',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 9 || !MAY_MATCH.test(value)) return;
    const lower = value.toLowerCase();
    const hasProto = lower.includes(PROTO);
    const hasCtor = lower.includes('constructor');
    if (!hasProto && !hasCtor) return;
    if (context.isName || context.source === 'path') {
      if (checkName(value, report)) return;
    }
    if (hasProto && protoInValue(value, lower, report)) return;
    if (hasCtor) constructorPrototype(value, lower, report);
  },
};
