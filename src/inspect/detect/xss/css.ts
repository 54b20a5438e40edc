/**
 * CSS that runs code or loads it: `expression(...)` (old IE), `url(javascript:...)`, `-moz-binding` (XBL),
 * `behavior: url(...)` (HTC), and `@import` of a stylesheet. The text is read the way CSS reads it: comments
 * vanish (`exp/**\/ression(`), white space between tokens does not matter, names are case-insensitive. CSS escapes
 * are undone by the engine's decoding layer, not here; a backslash before a non-hex character is still dropped
 * here because that is how CSS spells a plain letter (`@im\port`), and it costs nothing.
 */

export const CSS_EXPRESSION = 1;
export const CSS_SCRIPT_URL = 2;
export const CSS_BINDING = 3;
export const CSS_BEHAVIOR = 4;
export const CSS_IMPORT = 5;

export interface CssHit {
  kind: number;
  /** Where the construct starts in the original text. */
  at: number;
  /** `@import` followed by a URL or a string (not just the word). */
  importTarget: boolean;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Cheap test before normalizing: does the text mention anything `scanCss` looks for? */
export function mayHoldCss(text: string): boolean {
  return /ssion|url|binding|behavio|import|\\|\/\*/i.test(text);
}

const SCRIPT_SCHEMES = ['javascript:', 'vbscript:', 'livescript:', 'data:text/html', 'data:image/svg', 'data:application/x'];

/**
 * Looks for code-running CSS in `src[from, to)`. (`mayHoldBareCss` in xss.ts relies on which constructs are found
 * and how the text is normalized here: keep it in step.) `inStyle` is true for a style attribute or a `<style>` element
 * (anything there counts); false for a bare value, where `expression(` must follow a `:` (a property) so that
 * prose about "regular expression(s)" stays quiet.
 */
export function scanCss(src: string, from: number, to: number, inStyle: boolean): CssHit | null {
  // Normalized text: lower case, no comments, no white space; `map` gives each character's original index.
  const len = to - from;
  const map = new Int32Array(len + 1);
  let norm = '';
  let n = 0;
  let i = from;
  let run = '';
  while (i < to) {
    const c = src.charCodeAt(i);
    if (c === 0x2f && src.charCodeAt(i + 1) === 0x2a && i + 1 < to) {
      // the `*/` before `to` (a search to the end of the text for every style attribute was quadratic)
      let close = i + 2;
      while (close + 1 < to && !(src.charCodeAt(close) === 0x2a && src.charCodeAt(close + 1) === 0x2f)) close++;
      i = close + 1 < to ? close + 2 : to;
      continue;
    }
    if (c <= 0x20 || c === 0x7f) { i++; continue; }
    if (c === 0x5c && i + 1 < to && !isHex(src.charCodeAt(i + 1))) { i++; continue; }
    const ch = c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : src[i];
    run += ch;
    map[n++] = i;
    if (run.length >= 1024) { norm += run; run = ''; }
    i++;
  }
  norm += run;
  map[n] = to;

  let at = norm.indexOf('expression(');
  while (at !== -1) {
    const before = at > 0 ? norm.charCodeAt(at - 1) : -1;
    if (inStyle || before === 0x3a /* : */) return { kind: CSS_EXPRESSION, at: map[at], importTarget: false };
    at = norm.indexOf('expression(', at + 1);
  }
  at = norm.indexOf('url(');
  while (at !== -1) {
    let k = at + 4;
    const q = norm.charCodeAt(k);
    if (q === 0x22 || q === 0x27) k++;
    for (const scheme of SCRIPT_SCHEMES) {
      if (norm.startsWith(scheme, k)) return { kind: CSS_SCRIPT_URL, at: map[at], importTarget: false };
    }
    // A probe cut short after the scheme name (`url(javascript`) is no file name either.
    if ((norm.startsWith('javascript', k) || norm.startsWith('vbscript', k)) && norm.length <= k + 10) {
      return { kind: CSS_SCRIPT_URL, at: map[at], importTarget: false };
    }
    at = norm.indexOf('url(', at + 4);
  }
  at = norm.indexOf('-moz-binding');
  if (at !== -1 && (inStyle || norm.charCodeAt(at + 12) === 0x3a)) return { kind: CSS_BINDING, at: map[at], importTarget: false };
  at = norm.indexOf('behavior:');
  if (at === -1) at = norm.indexOf('behaviour:');
  if (at !== -1) {
    const colon = norm.indexOf(':', at);
    if (norm.startsWith('url(', colon + 1)) return { kind: CSS_BEHAVIOR, at: map[at], importTarget: false };
  }
  at = norm.indexOf('@import');
  if (at !== -1) {
    const next = norm.charCodeAt(at + 7);
    const target = next === 0x22 || next === 0x27 || norm.startsWith('url(', at + 7);
    if (inStyle || target) return { kind: CSS_IMPORT, at: map[at], importTarget: target };
  }
  return null;
}
