import { SCORE, type Detector, type DetectorContext, type Finding } from '../../finding.ts';
import { CH_LT } from '../../value-chars.ts';

/**
 * Server-side includes and Edge Side Includes.
 *
 * - SSI: `<!--#directive attr="..." -->`. The directive must follow `<!--#` directly (an ordinary HTML comment
 *   such as `<!-- #main -->` is not an SSI) and be one of Apache/nginx/IIS's directives. `exec`, `include`,
 *   `echo`, `printenv`, `config`, `set`, `fsize`, `flastmod`, `if`/`elif` with an `attr=` parameter (or `printenv`
 *   with none) is the attack.
 * - ESI: an `<esi:...>` element of the ESI 1.0 language (include, inline, vars, eval, assign, choose, when, try,
 *   remove, comment, debug) or the `<!--esi ... -->` comment form.
 */

const SSI_DIRECTIVES = new Set(['exec', 'include', 'echo', 'printenv', 'config', 'set', 'fsize', 'flastmod', 'if', 'elif', 'else', 'endif']);
const SSI_NO_ATTR = new Set(['printenv', 'else', 'endif']);
const ESI_TAGS = new Set([
  'include', 'inline', 'vars', 'eval', 'assign', 'choose', 'when', 'otherwise', 'try', 'attempt', 'except',
  'remove', 'comment', 'debug', 'function', 'return', 'foreach', 'break', 'text',
]);

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

function readWord(v: string, i: number): string {
  let j = i;
  while (j < v.length && j - i < 16 && isAlpha(v.charCodeAt(j))) j++;
  return v.slice(i, j).toLowerCase();
}

function excerpt(v: string, start: number): string {
  return v.slice(start, start + 120);
}

/** The first directive with parameters; a bare one (paranoia 2) only when none with parameters follows it. */
function ssi(v: string, report: (f: Finding) => void): boolean {
  let from = 0;
  let bareAt = -1;
  let bareWord = '';
  for (;;) {
    const at = v.indexOf('<!--#', from);
    if (at < 0) break;
    from = at + 5;
    const word = readWord(v, at + 5);
    if (!SSI_DIRECTIVES.has(word)) continue;
    let i = at + 5 + word.length;
    const next = i < v.length ? v.charCodeAt(i) : -1;
    if (next !== -1 && !isSpace(next) && next !== 45 /* - */) continue;
    while (i < v.length && isSpace(v.charCodeAt(i))) i++;
    // attribute name followed by `=`
    let j = i;
    while (j < v.length && j - i < 24 && isAlpha(v.charCodeAt(j))) j++;
    let k = j;
    while (k < v.length && isSpace(v.charCodeAt(k))) k++;
    const hasAttr = j > i && v[k] === '=';
    const closes = v.startsWith('-->', i);
    if (hasAttr || (SSI_NO_ATTR.has(word) && (closes || i >= v.length))) {
      report({
        ruleId: 'ssi-directive', category: 'ssi', paranoia: 1, score: SCORE.critical,
        message: `server-side include directive #${word}`, matched: excerpt(v, at),
      });
      return true;
    }
    if (bareAt < 0) { bareAt = at; bareWord = word; }
  }
  if (bareAt < 0) return false;
  report({
    ruleId: 'ssi-directive-bare', category: 'ssi', paranoia: 2, score: SCORE.critical,
    message: `server-side include directive #${bareWord} without parameters`, matched: excerpt(v, bareAt),
  });
  return true;
}

function esi(v: string, lower: string, report: (f: Finding) => void): boolean {
  let from = 0;
  for (;;) {
    const at = lower.indexOf('esi:', from);
    if (at < 0) break;
    from = at + 4;
    // `<esi:tag` or `</esi:tag`
    let b = at - 1;
    if (b >= 0 && v[b] === '/') b--;
    if (b < 0 || v[b] !== '<') continue;
    const word = readWord(lower, at + 4);
    if (!ESI_TAGS.has(word)) continue;
    const next = at + 4 + word.length < v.length ? v.charCodeAt(at + 4 + word.length) : -1;
    if (next !== -1 && !isSpace(next) && next !== 62 /* > */ && next !== 47 /* / */) continue;
    report({
      ruleId: 'esi-tag', category: 'ssi', paranoia: 1, score: SCORE.critical,
      message: `edge side include element esi:${word}`, matched: excerpt(v, b),
    });
    return true;
  }
  const c = lower.indexOf('<!--esi');
  if (c >= 0 && c + 7 < v.length && isSpace(v.charCodeAt(c + 7))) {
    report({
      ruleId: 'esi-tag', category: 'ssi', paranoia: 1, score: SCORE.critical,
      message: 'edge side include comment block', matched: excerpt(v, c),
    });
    return true;
  }
  return false;
}

export const ssiDetector: Detector = {
  category: 'ssi',
  needs: CH_LT, // SSI and ESI directives start with `<`
  detect(value: string, _context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 7 || !value.includes('<')) return;
    if (value.includes('<!--#')) ssi(value, report);
    const lower = value.toLowerCase();
    if (lower.includes('esi')) esi(value, lower, report);
  },
};
