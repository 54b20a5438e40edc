/**
 * A cheap, allocation-free test that rules out values no LFI rule can match, run before the detector proper.
 * Almost every value is prose, a name, a number or an identifier: they leave after a few native searches.
 *
 * It is a necessary condition, derived from what `lfi.ts` reads, so the findings cannot change:
 * - `examine` gives a verdict only for a path token (see `pathTokens`) of two characters or more that matches
 *   MAY_MATTER. Path tokens are maximal runs of non-boundary characters that hold `/`, `\` or `:`, start with a dot,
 *   or hold a dot and are the first or last run of the value; every such run is found here (the first and last
 *   apart, the others from the seeds SEED finds) and tested with `readRun`, MAY_MATTER written out over the run in
 *   place, once per run;
 * - the wildcard pass runs only when `hasGlobToken` holds: a blank-separated token that starts with `/` (so a run
 *   that starts with it, whose first seed it is) and holds a wildcard;
 * - the second pass, over the value with `0xHH` path characters replaced, runs only when HEX_PATH matches: at a
 *   `0x` that SEED finds, or in a run that is read (`0x` is one of WORDS).
 */

import { isBoundary } from './paths.ts';

/**
 * A separator or a colon, a dot that starts a run of two characters or more (after a boundary character of paths.ts
 * and before a character that is not one: a lone `.` is no token that matters; a dot first in the value is in the
 * first run, read apart), or `0x`, the start of HEX_PATH of lfi.ts (checked in place). Searched natively: a loop in
 * JS over the characters costs several times more.
 */
const SEED = /[/\\:]|(?<![^\x00-\x20"'`<>|&=?#,(){}\x7f])\.(?![\x00-\x20"'`<>|&=?#,(){}\x7f])|0[xX]/g;

/**
 * Whether some rule of lfi.ts may give a verdict on `v`: false only when none can. The first run is read apart (its
 * dot is found with `indexOf`, and a loop up to it tells whether it is in the first run: cheaper than a search for
 * the first boundary), and a value that is one run (an e-mail address, a host name, a decimal) is done then.
 */
export function lfiMayFire(v: string): boolean {
  const n = v.length;
  // a short value without a separator, a colon, a dot or an `x` (`0xHH`) has no path token: one short loop
  if (n <= 24 && !hasPathOrHexChar(v)) return false;
  const firstDot = v.indexOf('.');
  let pos = 0; // the runs before `pos` have been read, or are no path token
  // the first run is a path token when it holds a dot (or a seed, found below anyway): read when the first dot is
  // in it (the first blank of prose comes soon)
  if (firstDot >= 0 && inFirstRun(v, firstDot)) {
    if (v.charCodeAt(0) === 47 && globTokenAt(v, 0)) return true;
    pos = readRun(v, 0);
    if (pos < 0) return true;
    if (pos === n) return false; // one run (an e-mail address, a host or file name, a decimal): read whole
  }
  // the runs holding a seed, in order; a run is read once, whatever the number of seeds in it
  SEED.lastIndex = pos;
  while (SEED.test(v)) {
    const end = SEED.lastIndex;
    const c = v.charCodeAt(end - 1);
    if ((c | 32) === 120) { // `0x`: HEX_PATH, or nothing (no run to read)
      if (hexPathAt(v, end - 2)) return true;
      continue;
    }
    const at = end - 1;
    // a slash that starts a blank-separated token starts a run, and is the first seed found in it (wildcard pass)
    if (c === 47 && (at === 0 || endsBlankToken(v.charCodeAt(at - 1))) && globTokenAt(v, at)) return true;
    pos = readRun(v, c === 46 ? at : runStart(v, at));
    if (pos < 0) return true;
    SEED.lastIndex = pos;
  }
  // the last run, unless it was read above (a run that ends the value: a URL or a path at the end of a text)
  if (firstDot < 0 || pos >= n || isBoundary(v.charCodeAt(n - 1))) return false;
  const last = v.lastIndexOf('.');
  if (last < pos) return false;
  for (let k = last + 1; k < n; k++) if (isBoundary(v.charCodeAt(k))) return false;
  return readRun(v, runStart(v, last)) < 0;
}

/** `/`, `\`, `:`, `.`, `x` or `X` in `v`. */
function hasPathOrHexChar(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 128 && PATH_OR_HEX[c] === 1) return true;
  }
  return false;
}
const PATH_OR_HEX = new Uint8Array(128);
for (const c of '/\\:.xX') PATH_OR_HEX[c.charCodeAt(0)] = 1;

/**
 * No boundary before `at`: it is in the first run. (Read in place: in text the first blank comes soon, and a first
 * run that holds `at` is read whole by `readRun` next anyway.)
 */
function inFirstRun(v: string, at: number): boolean {
  for (let k = 0; k < at; k++) if (isBoundary(v.charCodeAt(k))) return false;
  return true;
}

/** HEX_PATH of lfi.ts (`0x2e`, `0x2f`, `0x5c`, any case) at `at`, where `0x` or `0X` is. */
function hexPathAt(v: string, at: number): boolean {
  const a = v.charCodeAt(at + 2);
  const b = v.charCodeAt(at + 3) | 32;
  return (a === 50 && (b === 101 || b === 102)) || (a === 53 && b === 99);
}

/** Where the run of non-boundary characters holding `at` starts. */
function runStart(v: string, at: number): number {
  let s = at;
  while (s > 0 && !isBoundary(v.charCodeAt(s - 1))) s--;
  return s;
}

// ---- MAY_MATTER over a run ------------------------------------------------------------------------------------

/** ASCII lower case by char code. */
const LOWER = new Uint8Array(128);
for (let c = 0; c < 128; c++) LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;

/**
 * The literal alternatives of MAY_MATTER (lower case), with the extensions after a dot written with their dot, and
 * `0x` (HEX_PATH may sit in a run that the search for seeds skips once it is read: such a run is read as it may
 * matter). Indexed by their first character, and their first two characters are marked in WORD_STARTS
 * (`first << 7 | second`): most pairs of characters stop there.
 */
const WORDS = ['file:', '\\\\', '..', 'etc', 'proc', 'sys', 'root', 'dev', 'var', 'home', 'tmp', 'win', 'inetpub',
  'documents', 'boot', 'autoexec', 'config', 'ntuser', 'web-inf', 'meta-inf', '_darcs', 'id_', 'identity',
  'authorized', 'hosts', 'pagefile', 'hiberfil', 'swapfile', 'unattend', 'sam', 'settings', 'database', 'secrets',
  'master', 'credentials', 'tomcat-users', 'docker.sock', 'logs', '.sql', '.bak', '.old', '.orig', '.swp', '.mdb', '.dump', '.log', '.conf', '0x'];
const WORDS_BY_FIRST: string[][] = Array.from({ length: 128 }, (): string[] => []);
const WORD_STARTS = new Uint8Array(128 * 128);
for (const w of WORDS) {
  WORDS_BY_FIRST[w.charCodeAt(0)]!.push(w);
  WORD_STARTS[(w.charCodeAt(0) << 7) | w.charCodeAt(1)] = 1;
}

/** `word` (lower case ASCII) is at `k` in `v`, before `end`, in any ASCII case. */
function wordAt(v: string, k: number, end: number, word: string): boolean {
  if (k + word.length > end) return false;
  for (let j = 0; j < word.length; j++) {
    const c = v.charCodeAt(k + j);
    if (c >= 128 || LOWER[c] !== word.charCodeAt(j)) return false;
  }
  return true;
}

/** By char code: 1 for a boundary character of paths.ts (ends a run), 2 for `$` and 3 for `.` (MAY_MATTER). */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) CLASS[c] = isBoundary(c) ? 1 : c === 36 ? 2 : c === 46 ? 3 : 0;

/**
 * Reads the run of non-boundary characters that starts at `start`, in one pass: -1 when MAY_MATTER of lfi.ts may
 * match it (as if it were the whole string) and it has two characters or more, else where it ends. MAY_MATTER there:
 * a non-ASCII character, `$`, a dot first or after a separator or a colon, or one of WORDS in any ASCII case (`0x`
 * is not in MAY_MATTER: see WORDS). WORDS hold no boundary character, so one found from inside the run is in it.
 */
function readRun(v: string, start: number): number {
  const n = v.length;
  let prev = -1; // the previous character, lower case
  let k = start;
  for (; k < n; k++) {
    const c = v.charCodeAt(k);
    if (c >= 128) {
      if (longRun(v, start, k)) return -1;
      continue;
    }
    const cls = CLASS[c];
    if (cls === 1) break;
    if ((cls === 2 || (cls === 3 && (prev === -1 || prev === 47 || prev === 92 || prev === 58))) && longRun(v, start, k)) return -1;
    const low = LOWER[c]!;
    if (prev !== -1 && WORD_STARTS[(prev << 7) | low] === 1) {
      const words = WORDS_BY_FIRST[prev]!;
      for (let w = 0; w < words.length; w++) if (wordAt(v, k - 1, n, words[w]!)) return -1;
    }
    prev = low;
  }
  return k;
}

/** The run that starts at `start` and holds `k` has two characters or more. */
function longRun(v: string, start: number, k: number): boolean {
  return k > start || (k + 1 < v.length && !isBoundary(v.charCodeAt(k + 1)));
}

// ---- wildcard paths -------------------------------------------------------------------------------------------

/**
 * The wildcard pass of lfi.ts reads the blank-separated tokens that start with `/` and hold a wildcard (`*`, `?`,
 * `[`): whether the one starting at `at` (a slash at the start or after a blank or a quote) is one.
 */
function globTokenAt(v: string, at: number): boolean {
  for (let k = at + 1; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (endsBlankToken(c)) return false;
    if (c === 42 || c === 63 || c === 91) return true;
  }
  return false;
}

/** Whether a blank-separated token starts with `/` and holds a wildcard: the wildcard pass reads nothing else. */
export function hasGlobToken(v: string): boolean {
  for (let at = v.indexOf('/'); at >= 0; at = v.indexOf('/', at + 1)) {
    if ((at === 0 || endsBlankToken(v.charCodeAt(at - 1))) && globTokenAt(v, at)) return true;
  }
  return false;
}

/** What ends a token of `pathTokens(..., blanksOnly)`: a blank (any character up to the space) or a quote. */
function endsBlankToken(c: number): boolean {
  return c <= 32 || c === 34 || c === 39;
}
