import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { CH_COLON, CH_DOLLAR } from '../../value-chars.ts';

/**
 * Log4Shell-style lookups (CVE-2021-44228 and its bypasses).
 *
 * A small evaluator of Log4j 2 `${...}` lookups: nested lookups are resolved innermost first, the way Log4j's
 * substitutor does, so that obfuscations collapse to the text Log4j would see:
 * - `${lower:J}` / `${upper:j}`: case conversion of the key;
 * - `${anything:-j}`, `${::-j}`, `${env:NOPE:-j}`: the default value (lookups whose value the attacker cannot know,
 *   `env`, `sys`, `ctx`, ..., are taken as unset, which is what the obfuscations rely on);
 * - `${date:'j'}`: the quoted literals of a date pattern;
 * - `${base64:...}`: the decoded text;
 * - results are substituted again (up to three passes), so `$${...:-$}{jndi:...}` and base64 bodies are seen.
 * A lookup whose resolved prefix is `jndi` with a naming protocol (ldap, ldaps, rmi, dns, iiop, corba, nds, nis,
 * http(s)) is the attack at paranoia 1. Other Log4j lookups (`${env:`, `${sys:`, `${ctx:`, `${base64:`,
 * `${lower:`, `${::-`, ...), used to exfiltrate values or build obfuscations, are paranoia 2.
 *
 * Work is bounded: frames are kept on an explicit stack (depth <= 32, bodies <= 2 KB), each pass is linear, at most three passes.
 */

const PROTOCOLS = new Set(['ldap', 'ldaps', 'rmi', 'dns', 'iiop', 'iiopname', 'corba', 'corbaname', 'nds', 'nis', 'http', 'https']);
const INFO_LOOKUPS = new Set([
  'env', 'sys', 'ctx', 'main', 'map', 'sd', 'marker', 'bundle', 'java', 'docker', 'k8s', 'kubernetes', 'spring',
  'web', 'log4j', 'event', 'jvmrunargs', 'base64', 'lower', 'upper', 'date', 'hostname',
]);
const MAX_DEPTH = 32;
/** A lookup body longer than this is not a lookup: its `${` is taken as literal text. */
const MAX_BODY = 2048;
const MAX_PASSES = 3;

interface State {
  jndi: string; // the resolved key of a jndi lookup ('' if none)
  lookup: string; // name of another known lookup seen ('' if none)
}

function decodeBase64(s: string): string {
  const t = s.trim();
  if (t.length === 0 || t.length > 8192) return '';
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 45 || c === 95;
    if (!ok) return '';
  }
  return Buffer.from(t, 'base64').toString('latin1');
}

/** Quoted literals of a SimpleDateFormat pattern (`'j'` -> `j`, `''` -> `'`). */
function dateLiterals(pattern: string): string {
  let out = '';
  let inQuote = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "'") {
      if (pattern[i + 1] === "'") { out += "'"; i++; continue; }
      inQuote = !inQuote;
      continue;
    }
    if (inQuote) out += ch;
  }
  return out;
}

function isLetters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return s.length > 0;
}

/** The value of one lookup, given its (already substituted) body. */
function resolve(body: string, state: State): string {
  const d = body.indexOf(':-');
  const name = d >= 0 ? body.slice(0, d) : body;
  const def = d >= 0 ? body.slice(d + 2) : undefined;
  const colon = name.indexOf(':');
  if (colon < 0) {
    // `${name}` or `${name:-default}`: a plain property, unknown to us.
    if (def !== undefined) {
      // `${:-j}`, `${x:-n}`: a default of one or two letters is how single characters are smuggled in (a shell's
      // `${HOME:-/tmp}` is not counted).
      if (state.lookup === '' && (name === '' || (def.length <= 2 && isLetters(def)))) state.lookup = ':-';
      return def;
    }
    return name;
  }
  const prefix = name.slice(0, colon).trim().toLowerCase();
  const key = name.slice(colon + 1);
  if (prefix === 'jndi') {
    if (state.jndi === '') state.jndi = key + (def !== undefined ? ':-' + def : '');
    return '';
  }
  if (INFO_LOOKUPS.has(prefix) || prefix === '') {
    if (state.lookup === '') state.lookup = prefix === '' ? '::-' : prefix;
  }
  switch (prefix) {
    case 'lower': return key.toLowerCase();
    case 'upper': return key.toUpperCase();
    case 'date': return dateLiterals(key);
    case 'base64': return decodeBase64(key);
    default: return def ?? '';
  }
}

/** One substitution pass over `s`; returns the substituted text. */
function pass(s: string, state: State): string {
  const frames: string[] = [''];
  let i = 0;
  const n = s.length;
  while (i < n) {
    // Copy plain text up to the next `$` or `}`.
    let j = i;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 36 && s.charCodeAt(j + 1) === 123 && frames.length <= MAX_DEPTH) break;
      if (c === 125 && frames.length > 1) break;
      j++;
    }
    if (j > i) {
      frames[frames.length - 1] += s.slice(i, j);
      while (frames.length > 1 && frames[frames.length - 1]!.length > MAX_BODY) {
        const body = frames.pop()!;
        frames[frames.length - 1] += '${' + body;
      }
    }
    if (j >= n) break;
    if (s.charCodeAt(j) === 36) {
      frames.push('');
      i = j + 2;
      continue;
    }
    // `}` closing the innermost lookup (unless a too-long body was just dropped back to literal text)
    if (frames.length === 1) {
      frames[0] += '}';
      i = j + 1;
      continue;
    }
    const body = frames.pop()!;
    frames[frames.length - 1] += resolve(body, state);
    if (state.jndi !== '') return '';
    i = j + 1;
  }
  // Unclosed frames are literal text.
  let out = frames[0]!;
  for (let k = 1; k < frames.length; k++) out += '${' + frames[k];
  return out;
}

function protocolOf(key: string): string {
  const t = key.trimStart().toLowerCase();
  let k = 0;
  while (k < t.length && k < 12 && t.charCodeAt(k) >= 97 && t.charCodeAt(k) <= 122) k++;
  return t[k] === ':' ? t.slice(0, k) : '';
}

function excerpt(v: string, at: number): string {
  const s = Math.max(0, at);
  return v.slice(s, s + 120);
}

/** `jndi:<protocol>:` spelled out without a working `${` (e.g. a brace encoding the decoders did not undo). */
function bareJndi(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  for (;;) {
    const at = lower.indexOf('jndi:', from);
    if (at < 0) return false;
    from = at + 5;
    const proto = protocolOf(lower.slice(at + 5, at + 20));
    if (!PROTOCOLS.has(proto)) continue;
    let near = false;
    for (let k = Math.max(0, at - 12); k < at; k++) {
      const c = v[k];
      if (c === '$' || c === '{' || c === '&' || c === ';' || c === '}') near = true;
    }
    report({
      ruleId: near ? 'jndi-lookup' : 'jndi-name', category: 'jndi', paranoia: near ? 1 : 2, score: SCORE.critical,
      message: near ? 'JNDI lookup with an obfuscated opening' : `JNDI name with the ${proto} protocol`,
      matched: excerpt(v, at - 12),
    });
    return true;
  }
}

/**
 * `jndi:` in any case, read at each `:` rather than in a lower-case copy: this is `lower.includes('jndi:')` (only
 * the ASCII letters lower-case to `j`, `n`, `d`, and `İ` lower-cases to `i` plus a combining dot, never before `:`).
 */
function hasJndiColon(v: string): boolean {
  for (let p = v.indexOf(':', 4); p !== -1; p = v.indexOf(':', p + 1)) {
    if ((v.charCodeAt(p - 1) | 32) === 105 && (v.charCodeAt(p - 2) | 32) === 100 && (v.charCodeAt(p - 3) | 32) === 110 &&
      (v.charCodeAt(p - 4) | 32) === 106) return true;
  }
  return false;
}

/** `$` or `:` in `v`. */
function hasDollarOrColon(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c === 36 || c === 58) return true;
  }
  return false;
}

export const jndiDetector: Detector = {
  category: 'jndi',
  needs: CH_DOLLAR | CH_COLON, // every finding needs `${` or `jndi:`
  detect(value: string, _context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 4) return;
    // every finding needs `${` or a `:` (see hasJndiColon): a short value (keys, numbers) is read once for them
    if (value.length <= 8 && !hasDollarOrColon(value)) return;
    const start = value.indexOf('${');
    if (start >= 0) {
      const state: State = { jndi: '', lookup: '' };
      let text = value;
      for (let p = 0; p < MAX_PASSES && text.includes('${'); p++) {
        text = pass(text, state);
        if (state.jndi !== '') break;
      }
      if (state.jndi !== '') {
        const proto = protocolOf(state.jndi);
        const known = PROTOCOLS.has(proto);
        report({
          ruleId: 'jndi-lookup', category: 'jndi', paranoia: known ? 1 : 2, score: SCORE.critical,
          message: known ? `Log4j JNDI lookup (${proto})` : 'Log4j JNDI lookup',
          matched: excerpt(value, start),
        });
        return;
      }
      if (state.lookup !== '') {
        report({
          ruleId: 'jndi-log4j-lookup', category: 'jndi', paranoia: 2, score: SCORE.critical,
          message: `Log4j lookup (${state.lookup})`, matched: excerpt(value, start),
        });
        // (no return: another lookup's `${` spelled otherwise, `$&lbrace;jndi:`, may follow)
      }
    }
    if (hasJndiColon(value)) bareJndi(value, value.toLowerCase(), report);
  },
};
