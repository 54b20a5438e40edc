/**
 * OS command injection (Unix shells, cmd.exe, PowerShell).
 *
 * The value is lexed as a shell would lex it (see shell.ts): simple commands, how each is introduced, and its
 * words after quote removal and expansion. A command counts when its command word names a real program, and how
 * much it counts depends on structure, not on the word alone:
 * - introduced by a separator (`;`, `|`, `&&`, newline...) or a substitution (`$(...)`, backticks): an injection
 *   shape; a distinct program name there is enough, a common-word name needs command-line arguments;
 * - written with evasions (`c'a't`, `\c\a\t`, `c$@at`, `{cat,/etc/passwd}`, `/???/c?t`, `w^h^o^a^m^i`): the
 *   evasion only makes sense to a shell;
 * - at the start of the value: only with arguments that are dangerous for that program (a sensitive file for a
 *   reader, a URL or address for a network tool, `-c CODE` for a shell or interpreter, a pipe into a shell).
 * English words that are also program names (`cat`, `time`, `more`, `curl`, `ping`) never fire on their own.
 * Build tools and package managers chained after an operator (`npm ci; npm test`) are a weaker sign than host
 * administration tools (`; ansible-playbook`, `&& salt-call`), which count like any distinct name unless they stand on
 * a line of their own or in parentheses. A command substitution inside `${...}` or `$((...))` is read on its own.
 */

import { SCORE, type Detector, type DetectorContext, type Finding, type Paranoia } from '../../finding.ts';
import { parseShell, type Command, type ShellParse, type Word } from './shell.ts';
import { lastNameStep } from '../field-name.ts';
import { BIN_DIRS, K, SYSTEM_BIN_DIRS, WINDOWS_ENV, allCommandNames, commandInfo, type CommandInfo } from './commands.ts';
import { powershellIdiom, windowsHits } from './windows.ts';
import { globMatch, globPath } from './glob.ts';
import { sensitivePath } from '../lfi/paths.ts';
import { BestPerRule, type RuleVerdict } from '../best-per-rule.ts';

const MAX_GLOB_WORDS = 2048;

interface Resolved {
  readonly info: CommandInfo;
  readonly name: string;
  /** The command word was written with an evasion (quotes or escapes inside, carets, wildcards, alias...). */
  readonly obfuscated: boolean;
  /** Written as an absolute path into a program directory (`/bin/cat`, `C:\Windows\System32\cmd.exe`). */
  readonly absolute: boolean;
  /** Written as a Windows path (its backslashes are separators, not escapes). */
  readonly windowsPath?: boolean;
  /** Written as an absolute path into a system program directory (`/bin/x`, `/usr/sbin/x`), known name or not. */
  readonly systemBin?: boolean;
}

type Verdict = RuleVerdict;

/** Canonical sensitive files, for wildcard arguments (`/e??/p?ss*`). */
const SENSITIVE_GLOB_TARGETS = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/hosts', '/etc/issue',
  '/etc/master.passwd', '/etc/sudoers', '/proc/self/environ', '/proc/self/cmdline', '/root/.ssh/id_rsa',
  '/root/.bash_history', '/bin/sh', '/bin/bash', '/usr/bin/id', '/etc/hostname'];

/** Interpreter flags that take code. */
const CODE_FLAGS = new Set(['-c', '-e', '-r', '-E', '-m', '-x', '-exec', '--eval', '--exec', '-command', '-p']);

/** PowerShell launcher flags. */
const PS_FLAGS = new Set(['-enc', '-encodedcommand', '-e', '-ec', '-c', '-command', '-nop', '-noprofile', '-w',
  '-windowstyle', '-ep', '-executionpolicy', '-exec', '-noni', '-noninteractive', '-file', '-f', '-sta']);

/**
 * Options that make a program run a command or write where the application serves files: git's `--upload-pack=`,
 * `--receive-pack=`, `-c core.sshCommand=`; tar's `--checkpoint-action=`, `--to-command=`, `--use-compress-program=`;
 * ssh's and scp's `-oProxyCommand=`, `-oLocalCommand=`; rsync's `--rsh=`; find's `-exec`/`-execdir` closed by `;` or
 * `+`; curl's and wget's output to a script file (`-o /var/www/html/x.php`, `--output=...php`). Of a lower-cased
 * value that starts with `-`: the option found, or undefined.
 */
function argumentInjection(low: string): string | undefined {
  for (const option of INJECTED_OPTIONS) if (low.includes(option)) return option;
  for (const exec of ['-exec ', '-execdir ']) {
    const at = low.indexOf(exec);
    if (at >= 0 && (at === 0 || low.charCodeAt(at - 1) <= 32)) {
      const end = Math.min(low.length, at + 256);
      for (let k = at + exec.length; k < end; k++) if (low.charCodeAt(k) === 59 || low.charCodeAt(k) === 43) return exec.trim();
    }
  }
  // an output file with a script's extension: the next word after `-o`, `-O`, `--output`, `--output-document`
  const words = low.split(/\s+/, 32);
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    let target: string | undefined;
    if (w === '-o' || w === '--output' || w === '--output-document') target = words[k + 1];
    else if (w.startsWith('--output=') || w.startsWith('--output-document=')) target = w.slice(w.indexOf('=') + 1);
    else if (w.startsWith('-o') && w.length > 2 && w.charCodeAt(2) === 47) target = w.slice(2);
    if (target !== undefined && SCRIPT_OUTPUT.test(target)) return w.startsWith('--') ? '--output' : '-o';
  }
  return undefined;
}
const INJECTED_OPTIONS = ['--upload-pack', '--receive-pack', '--checkpoint-action', '--to-command', '--use-compress-program',
  '-oproxycommand', '-o proxycommand', '-olocalcommand', '-o localcommand', '--rsh=', 'core.sshcommand=', 'core.fsmonitor='];
/** A file name ending in a server script's extension (a whole word: `x.php`, `/var/www/html/shell.jsp`). */
const SCRIPT_OUTPUT = /\.(?:php\d?|phtml|phar|jsp|jspx|asp|aspx|cgi|pl)$/;

/** Two or more HTTP header names of the kinds presigned URLs sign, joined by `;`. */
const HEADER_NAME_LIST = /^(?:host|date|range|expect|content-[a-z0-9-]{1,40}|x-[a-z0-9-]{1,60}|if-[a-z-]{1,20}|cache-control|user-agent|origin|accept[a-z-]{0,20})(?:;(?:host|date|range|expect|content-[a-z0-9-]{1,40}|x-[a-z0-9-]{1,60}|if-[a-z-]{1,20}|cache-control|user-agent|origin|accept[a-z-]{0,20})){1,40}$/;

export const cmdiDetector: Detector = {
  category: 'cmdi',
  detect(value: string, context: DetectorContext, report: (finding: Finding) => void): void {
    if (value.length < 2) return;
    // options handed to a program the application runs with the value as an argument (argument injection: git's
    // `--upload-pack=CMD`, tar's `--checkpoint-action=exec=CMD`, ssh's `-oProxyCommand=CMD`, find's `-exec CMD ;`,
    // curl's `-o /var/www/x.php URL`)
    if (value.length <= 2048 && firstNonBlank(value) === 45) {
      const arg = argumentInjection(value.toLowerCase());
      if (arg !== undefined) {
        report({ ruleId: 'cmdi-argument-injection', category: 'cmdi', paranoia: 1, score: SCORE.critical, message: `option that runs a command or writes a file (${arg})`, matched: value.slice(0, 120) });
        return;
      }
    }
    // most values are proved silent by a cheaper reading: one word (keys, numbers, codes), or ASCII text
    if (value.length < ASCII_TEXT_MIN ? plainWordQuiet(value) : asciiTextQuiet(value)) return;
    const first = firstLook(value);
    if (first === QUIET) return; // not even the PowerShell idiom can match (IDIOM_HINT)
    // `1;sleep 5#`, `a;id#`: a `#` glued to the end, meant to comment out the rest of the application's command line
    if (value.length > 3 && value.length <= 4096 && value.charCodeAt(value.length - 1) === 35 && value.indexOf('#') === value.length - 1) {
      const cut = value.slice(0, -1);
      const cutFirst = firstLook(cut);
      if (cutFirst !== QUIET) run(cut, cutFirst, context, report);
    }
    // `content-type;host;x-amz-date`: the signed headers of an S3 or GCS presigned URL (X-Amz-SignedHeaders,
    // X-Goog-SignedHeaders), a list of header names
    if (value.length <= 512 && HEADER_NAME_LIST.test(value)) return;
    // No catch-all: an exception is a fault, answered 503 by the pipeline (fail closed), never a silent pass.
    if (!isPatternField(context)) return run(value, first, context, report);
    // A field that holds a regular expression or glob (`pattern`, `urlRegex`: JSON Schema, OpenAPI, validation
    // rules): `|`, `$`, `[...]` and `*` there are pattern syntax, so what reads as shell counts from paranoia 2 on.
    run(value, first, context, (finding) => report(finding.paranoia === 1 ? { ...finding, paranoia: 2 } : finding));
  },
};

let lastPatternName: string | undefined;
let lastIsPattern = false;

/** The input is (a field named for) a regular expression or a glob pattern: the last step of its name says so. */
function isPatternField(context: DetectorContext): boolean {
  if (context.isName) return false;
  if (context.name !== lastPatternName) {
    lastPatternName = context.name;
    const step = lastNameStep(context.name).replace(/[_-]/g, '');
    lastIsPattern = step.endsWith('pattern') || step.endsWith('regex') || step.endsWith('regexp');
  }
  return lastIsPattern;
}

// ---- the first look: does the value need the shell lexer? -------------------------------------------------------

/** What firstLook() finds. */
const QUIET = 0; // no rule can fire, not even the PowerShell idiom
const IDIOM_ONLY = 1; // only the PowerShell idiom can: the value needs no shell lexer, or is provably quiet
const SHELL = 2; // the full analysis

/** Below this length one loop over the characters costs less than the few regular expression scans of the long form. */
const SHORT_VALUE = 64;

/**
 * The full analysis runs when the value needs the shell lexer (needsShell) and is not provablyQuiet().
 *
 * needsShell: the value has expansions, escapes, braces or redirections (FORCE characters), `!-` (history
 * expansion), a quote that opens a word or ends the value (it may close the application's quotes: `';id'`,
 * `"|whoami"`), or a word where a command could start (the beginning, or after `;`, `|`, `&`, a newline or a
 * parenthesis) that names a program (isCommandWord) or holds wildcards (`*`, `?`, `[` not before a space, not in a
 * URL); quotes inside words are ignored, as the shell ignores them: `c'a't` is `cat`. Words are runs of characters
 * between blanks (space, tab), separators and FORCE characters; those longer than 96 characters are not looked at,
 * and past 2048 words where commands start the value needs the lexer anyway. Every condition answers true, so the
 * answer does not depend on the order they are tested in: short values are read in one loop (shortScan), longer
 * ones with regular expressions (needsShellLong).
 */
function firstLook(value: string): number {
  if (value.length < SHORT_VALUE) {
    const found = shortScan(value);
    return found === SHELL && provablyQuiet(value) ? IDIOM_ONLY : found;
  }
  // a long value is most often prose that provablyQuiet() clears, and then needsShell need not be asked
  return provablyQuiet(value) || !needsShellLong(value) ? IDIOM_ONLY : SHELL;
}

/** Classes of ASCII characters for shortScan(). */
const C_FORCE = 1; // expansions, escapes, braces, redirections, cmd.exe carets and variables
const C_START = 2; // a command may start after it
const C_BLANK = 4;
const C_QUOTE = 8;
const C_GLOB = 16;
const C_BANG = 32; // `!-` is history expansion
const C_HINT = 64; // `.`, `-`, `:` start two of the characters IDIOM_HINT looks for
const C_SPLIT = 128; // `+` and `/`: isCommandWord() splits words at them, mayBeName() does not apply
const CLASS = new Uint8Array(128);
for (const ch of '$`\\{}^%<>~') CLASS[ch.charCodeAt(0)] |= C_FORCE;
for (const ch of ';|&\n\r()') CLASS[ch.charCodeAt(0)] |= C_START;
for (const ch of ' \t') CLASS[ch.charCodeAt(0)] |= C_BLANK;
for (const ch of '\'"') CLASS[ch.charCodeAt(0)] |= C_QUOTE;
for (const ch of '*?[') CLASS[ch.charCodeAt(0)] |= C_GLOB;
CLASS[33] |= C_BANG;
for (const ch of '.-:') CLASS[ch.charCodeAt(0)] |= C_HINT;
for (const ch of '+/') CLASS[ch.charCodeAt(0)] |= C_SPLIT;
/** Letters after `.` (1) and after `-` (2) in IDIOM_HINT (windows.ts): `.d`, `-e`... */
const IDIOM_LETTER = new Uint8Array(128);
for (const ch of 'ADSUWadsuw') IDIOM_LETTER[ch.charCodeAt(0)] |= 1;
for (const ch of 'EMOSWemosw') IDIOM_LETTER[ch.charCodeAt(0)] |= 2;

/**
 * True when shortScan() answers QUIET for a value that is one word of characters it only hashes (CLASS 0, and
 * `.`, `-`, `:` that start no IDIOM_HINT pair) and that names no program (mayBeName); else false: not sure. For
 * values shorter than 97 characters (shortScan() does not look at longer first words).
 */
function plainWordQuiet(value: string): boolean {
  let h = 0;
  let hBase = 0;
  let baseEnd = 0;
  let hCut = 0; // the hash without the last four characters (a `.exe`-like extension: see mayBeName)
  const n = value.length;
  for (let k = 0; k < n; k++) {
    const c = value.charCodeAt(k);
    if (c >= 128) return false;
    const f = CLASS[c]!;
    if (f !== 0 && (f !== C_HINT || idiomPairAt(value, k, c))) return false;
    if (k === n - 4) hCut = h;
    h = (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
    if (!((c >= 48 && c <= 57) || c === 46)) { hBase = h; baseEnd = k + 1; }
  }
  // mayBeName(value, 0, n, h, hBase, baseEnd), with the hash it would compute again (e-mail addresses and host
  // names end with `.com`)
  return !(isNameSlot(hashSlot(h))
    || (n > 4 && value.charCodeAt(n - 4) === 46 && isNameSlot(hashSlot(hCut)))
    || (baseEnd < n && baseEnd >= 2 && isNameSlot(hashSlot(hBase))));
}

/** Does the `.`, `-` or `:` at value[k] (`c`) start one of the IDIOM_HINT pairs (`.d`, `-e`, `::`)? */
function idiomPairAt(value: string, k: number, c: number): boolean {
  const e = value.charCodeAt(k + 1); // NaN past the end
  return c === 58 ? e === 58 : e < 128 && (IDIOM_LETTER[e]! & (c === 46 ? 1 : 2)) !== 0;
}

/**
 * firstLook() for a short value. Most are one or a few plain words (names, numbers, codes, addresses): one loop
 * hashes the first word (see mayBeName) and looks for the characters of IDIOM_HINT. At the first separator,
 * quote, wildcard or `!` it hands over to shortScanWords(): from the start when that character is in the first
 * word, else from the word it is in (before it, only the first word could start a command).
 */
function shortScan(value: string): number {
  const n = value.length;
  let k = 0;
  while (k < n && (value.charCodeAt(k) === 32 || value.charCodeAt(k) === 9)) k++;
  const begin = k;
  let end = -1; // of the first word, once a blank is seen
  let lastBlank = -1;
  let split = false; // the first word has a `+`, `/` or non-ASCII character (mayBeName() does not apply)
  let hint = false;
  let h = 0; // hash of the first word, and of it without trailing digits and dots
  let hBase = 0;
  let baseEnd = begin;
  for (; k < n; k++) {
    const c = value.charCodeAt(k);
    const f = c < 128 ? CLASS[c]! : C_SPLIT; // non-ASCII: lower-cased by Unicode rules, left to the exact test
    if (f !== 0) {
      if ((f & C_FORCE) !== 0) return SHELL;
      if ((f & (C_START | C_QUOTE | C_GLOB | C_BANG)) !== 0) {
        if (end < 0) return shortScanWords(value, 0, true, false);
        if (firstWordIsCommand(value, begin, end, split, h, hBase, baseEnd)) return SHELL;
        return shortScanWords(value, lastBlank + 1, false, hint);
      }
      if ((f & C_BLANK) !== 0) {
        if (end < 0) end = k;
        lastBlank = k;
      }
      if ((f & C_SPLIT) !== 0 && end < 0) split = true; // in the first word: firstWordIsCommand()
      if ((f & C_HINT) !== 0 && idiomPairAt(value, k, c)) hint = true;
    }
    if (end < 0) {
      h = (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
      if (!((c >= 48 && c <= 57) || c === 46)) { hBase = h; baseEnd = k + 1; }
    }
  }
  // plain words between blanks: only the first can start a command (and no `x(`, which needs a parenthesis)
  if (firstWordIsCommand(value, begin, end < 0 ? n : end, split, h, hBase, baseEnd)) return SHELL;
  return hint ? IDIOM_ONLY : QUIET;
}

/** isCommandWord() for the first word value[begin, end) of shortScan(), quotes and wildcards aside. */
function firstWordIsCommand(value: string, begin: number, end: number, split: boolean, h: number, hBase: number, baseEnd: number): boolean {
  if (end <= begin || end - begin > 96) return false;
  if (!split && !mayBeName(value, begin, end, h, hBase, baseEnd)) return false;
  return isCommandWord(value.slice(begin, end));
}

/**
 * shortScan() word by word from `from`, the start of a word (`atStart`: a command may start there; `hint`: an
 * IDIOM_HINT pair was seen before it): the words where a command starts are hashed as they are read.
 */
function shortScanWords(value: string, from: number, atStart: boolean, hint: boolean): number {
  const n = value.length;
  let k = from;
  while (k < n) {
    const c = value.charCodeAt(k);
    const f = c < 128 ? CLASS[c]! : 0;
    if ((f & C_FORCE) !== 0) return SHELL;
    if ((f & C_BLANK) !== 0) { k++; continue; }
    if ((f & C_START) !== 0) {
      // `iex(`, `iex (`
      if (c === 40 && ((value.charCodeAt(k - 1) | 32) === 120 || (value.charCodeAt(k - 1) === 32 && (value.charCodeAt(k - 2) | 32) === 120))) hint = true;
      atStart = true;
      k++;
      continue;
    }
    // a word: up to a blank or a separator; quotes are dropped, a quote that opens a word could close an outer one
    const begin = k;
    let quotes = false;
    let glob = false;
    let split = false;
    let h = 0;
    let hBase = 0;
    let baseEnd = begin;
    while (k < n) {
      const d = value.charCodeAt(k);
      const g = d < 128 ? CLASS[d]! : C_SPLIT;
      if ((g & (C_BLANK | C_START | C_FORCE)) !== 0) break;
      if (g !== 0) {
        if ((g & C_QUOTE) !== 0) {
          if (k === begin || k === n - 1) return SHELL; // `';id'`, `"|whoami"`: breaking out of quotes
          quotes = true;
        } else if ((g & C_GLOB) !== 0) {
          if (k + 1 < n && value.charCodeAt(k + 1) !== 32) glob = true;
        } else if ((g & C_BANG) !== 0) {
          if (value.charCodeAt(k + 1) === 45) return SHELL; // `!-1`: history expansion
        } else if ((g & C_HINT) !== 0 && idiomPairAt(value, k, d)) {
          hint = true;
        }
        if ((g & C_SPLIT) !== 0) split = true;
      }
      if (atStart) {
        h = (Math.imul(h, 31) + (d >= 65 && d <= 90 ? d + 32 : d)) | 0;
        if (!((d >= 48 && d <= 57) || d === 46)) { hBase = h; baseEnd = k + 1; }
      }
      k++;
    }
    if (atStart && k - begin <= 96) {
      if (quotes || glob || split) {
        let word = value.slice(begin, k);
        if (quotes) word = word.replaceAll("'", '').replaceAll('"', '');
        if (glob && !word.includes('://')) return SHELL;
        if (word !== '' && isCommandWord(word)) return SHELL;
      } else if (mayBeName(value, begin, k, h, hBase, baseEnd) && isCommandWord(value.slice(begin, k))) {
        return SHELL;
      }
    }
    atStart = false;
  }
  return hint ? IDIOM_ONLY : QUIET;
}

/** FORCE characters (`!-` is looked for apart: an alternative would slow the scan down). */
const FORCE_RE = /[$`\\{}^%<>~]/;
/** Separators, quotes and wildcards: without them only the first word can start a command. */
const WORDS_RE = /[;|&\n\r()'"*?[]/;
/** A quote that opens a word after a blank or a separator (at the start of the value, and at its end, apart). */
const EDGE_QUOTE_RE = /[ \t;|&\n\r()]['"]/;
/** A separator and the separators and blanks after it: a command may start where it ends. */
const AFTER_SEPARATOR_RE = /[;|&\n\r()][ \t;|&\n\r()]*/g;

/** needsShell, for any value: scans for characters, then reads only the words where a command starts. */
function needsShellLong(value: string): boolean {
  if (FORCE_RE.test(value) || value.includes('!-')) return true;
  const n = value.length;
  let b = 0;
  while (b < n && (value.charCodeAt(b) === 32 || value.charCodeAt(b) === 9)) b++;
  if (!WORDS_RE.test(value)) {
    let e = b;
    while (e < n && value.charCodeAt(e) !== 32 && value.charCodeAt(e) !== 9) e++;
    return e > b && startWordNeedsShell(value, b, e, false, false);
  }
  const first = value.charCodeAt(b);
  const last = value.charCodeAt(n - 1);
  if (first === 39 || first === 34 || last === 39 || last === 34 || EDGE_QUOTE_RE.test(value)) return true;
  // the first word (unless the value starts with a separator), then the words after separators
  let at = first < 128 && (CLASS[first]! & C_START) !== 0 ? -1 : b;
  let checked = 0;
  AFTER_SEPARATOR_RE.lastIndex = 0;
  for (;;) {
    if (at >= 0 && at < n) {
      let k = at;
      let quotes = false;
      let glob = false;
      while (k < n) {
        const d = value.charCodeAt(k);
        if (d === 32 || d === 9 || (d < 128 && (CLASS[d]! & C_START) !== 0)) break;
        if (d === 39 || d === 34) quotes = true;
        else if ((d === 42 || d === 63 || d === 91) && k + 1 < n && value.charCodeAt(k + 1) !== 32) glob = true;
        k++;
      }
      if (startWordNeedsShell(value, at, k, quotes, glob)) return true;
      if (k - at <= 96 && ++checked > 2048 && k < n) return true;
    }
    if (!AFTER_SEPARATOR_RE.test(value)) return false;
    at = AFTER_SEPARATOR_RE.lastIndex;
  }
}

/** The word value[begin, end) where a command starts: does it hold wildcards or name a command? */
function startWordNeedsShell(value: string, begin: number, end: number, quotes: boolean, glob: boolean): boolean {
  if (end - begin > 96) return false;
  if (!quotes && !glob) return mayNameCommand(value, begin, end) && isCommandWord(value.slice(begin, end));
  let word = value.slice(begin, end);
  if (quotes) word = word.replaceAll("'", '').replaceAll('"', '');
  if (glob && !word.includes('://')) return true;
  return word !== '' && isCommandWord(word);
}

// ---- command names by hash --------------------------------------------------------------------------------------

/**
 * Hashes of every command name (and `if`, `for`, `@if`, `@for`) in lower case: a word whose hash is not here is
 * not one, so most words are ruled out without a lower-case copy or a table look-up.
 */
const NAME_HASH_BITS = 18;
/**
 * One bit a slot: 32 KB, as many bytes as a byte a slot for 2^15 slots, with 8 times fewer words whose hash
 * lands on a name's by chance (about 1 in 40 words did, each sending its value down a slower path).
 */
const NAME_HASHES = new Uint32Array(1 << (NAME_HASH_BITS - 5));
for (const name of [...allCommandNames(), 'if', 'for', '@if', '@for']) {
  const slot = nameHashSlot(name, 0, name.length);
  NAME_HASHES[slot >>> 5] |= 1 << (slot & 31);
}

/** Is `slot` (from hashSlot) the slot of a name? */
function isNameSlot(slot: number): boolean {
  return ((NAME_HASHES[slot >>> 5]! >>> (slot & 31)) & 1) === 1;
}

/** Slot in NAME_HASHES of value[from, to) with ASCII letters in lower case (as the scanning loops hash words). */
function nameHashSlot(value: string, from: number, to: number): number {
  let h = 0;
  for (let k = from; k < to; k++) {
    const c = value.charCodeAt(k);
    h = (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
  }
  return hashSlot(h);
}

function hashSlot(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - NAME_HASH_BITS);
}

/**
 * False only when lookup() finds nothing for the ASCII word value[from, to) in lower case (nor is it `if`, `for`,
 * `@if`, `@for`): lookup() finds a name as it is, without a `.exe`-like extension, or without a version suffix
 * (`python3.10`), and each of those has its hash in NAME_HASHES. `h` is the hash of the word, `hBase` that of
 * value[from, baseEnd), the word without its trailing digits and dots.
 */
function mayBeName(value: string, from: number, to: number, h: number, hBase: number, baseEnd: number): boolean {
  return isNameSlot(hashSlot(h))
    || (to - from > 4 && value.charCodeAt(to - 4) === 46 && isNameSlot(nameHashSlot(value, from, to - 4)))
    || (baseEnd < to && baseEnd - from >= 2 && isNameSlot(hashSlot(hBase)));
}

/**
 * False only when isCommandWord() is false for value[from, to), by mayBeName(). Words with `+` or `/` (which
 * isCommandWord() splits) and non-ASCII characters (lower-cased by Unicode rules: the Kelvin sign is `k`) are
 * left to the exact test.
 */
function mayNameCommand(value: string, from: number, to: number): boolean {
  let h = 0;
  let hBase = 0;
  let baseEnd = from;
  for (let k = from; k < to; k++) {
    const c = value.charCodeAt(k);
    if (c === 43 || c === 47 || c >= 128) return true;
    h = (Math.imul(h, 31) + (c >= 65 && c <= 90 ? c + 32 : c)) | 0;
    if (!((c >= 48 && c <= 57) || c === 46)) { hBase = h; baseEnd = k + 1; }
  }
  return mayBeName(value, from, to, h, hBase, baseEnd);
}

function isCommandWord(word: string): boolean {
  let low = word.toLowerCase();
  if (low === 'if' || low === 'for' || low === '@if' || low === '@for' || low.startsWith('if/')) return true;
  if (low.includes('+')) { // `getent+hosts`, `+time+he`: form-encoded blanks
    for (const piece of low.split('+')) if (piece !== '') return isCommandWord(piece);
    return false;
  }
  const slash = low.lastIndexOf('/');
  if (slash >= 0) {
    if (low.startsWith('/') && (low.includes('bin/') || low.includes('/dev/'))) return true;
    if (lookup(low.slice(0, low.indexOf('/'))) !== undefined) return true; // `dir/s`, `bcdboot/r`
    low = low.slice(slash + 1);
  }
  return lookup(low) !== undefined;
}

// ---- proving the full analysis silent ---------------------------------------------------------------------------

/**
 * Characters and strings without which most rules cannot fire: `$`, backticks, backslashes, braces, carets,
 * redirections and `~` (expansions, substitutions, escapes, evasions, function definitions, redirections),
 * `!-` (history), `/dev/tcp/` and `/dev/udp/` (reverse shells), `""` (a cmd.exe evasion marker), and `İ`
 * (the one character whose lower case is longer, which would shift the positions windowsHits() reads).
 */
const QUIET_BLOCKERS_RE = /[$`\\{}^<>~\u0130]|!-|\/dev\/(?:tcp|udp)\/|""/;
/**
 * `for` or `if` (or `@for`, `@if`) as the first word of a cmd.exe command, where windowsHits() looks for loops
 * and conditions: at the start, or after `&`, `|`, a newline or `(`, with cmd.exe blanks (`,` and `;` too) before
 * it. (Two expressions: an alternative with `^` would make the engine try every position the slow way. Letters
 * are listed in both cases rather than with `/i`, which is slower: windowsHits() lower-cases the value, and only
 * ASCII letters have `f`, `o`, `r` or `i` as their lower case, but for `İ`, a blocker.)
 */
const CMD_EXE_KEYWORD_RE = /[&|\n\r(][ \t,;]*@?(?:[Ff][Oo][Rr]|[Ii][Ff])[ \t,;/(]/;
const CMD_EXE_KEYWORD_AT_START_RE = /^[ \t,;]*@?(?:[Ff][Oo][Rr]|[Ii][Ff])[ \t,;/(]/;

/**
 * True when run() would report nothing but the PowerShell idiom for this value (which the caller checks either
 * way). Sound for any value, not tuned to a corpus: it answers false whenever it is not sure.
 *
 * Without the characters of QUIET_BLOCKERS_RE, no function definition, substitution, arithmetic, parameter,
 * history or tilde expansion, $IFS, redirection, /dev/tcp, brace expansion or escape can occur, and windowsHits()
 * only looks at cmd.exe `for`/`if` commands (its other markers are `^`, backticks and `""`; no `İ`, so its lower
 * case copy has the value's positions). What is left are commands whose word names a program: analyseCommand()
 * has a verdict only when resolve() finds the first word that is not an assignment (for `.`, only when the word
 * after it resolves too), and the command chain needs such commands. So it is enough to lex the value as
 * parseShell() does (blanks, separators, quotes and comments are all that matter without those characters),
 * with the other texts run() lexes (`+` read as blanks, the value behind a quote, quoted arguments holding a
 * command line), and to resolve those first words.
 */
function provablyQuiet(value: string): boolean {
  if (QUIET_BLOCKERS_RE.test(value) || CMD_EXE_KEYWORD_RE.test(value) || CMD_EXE_KEYWORD_AT_START_RE.test(value)) return false;
  const budget = { left: QUIET_GLOB_BUDGET };
  if (!commandsQuiet(value, false, true, budget)) return false;
  if (value.includes('+') && !hasBlank(value) && !commandsQuiet(value, true, true, budget)) return false;
  if (breaksOutOfQuotes(value, 39) && !commandsQuiet("'" + value, false, false, budget)) return false;
  if (breaksOutOfQuotes(value, 34) && !commandsQuiet('"' + value, false, false, budget)) return false;
  return true;
}

/**
 * Wildcard words provablyQuiet() matches against the program names: past that, it gives up (the full analysis
 * has a budget of its own), so that a value of thousands of patterns costs no more than the full analysis would.
 */
const QUIET_GLOB_BUDGET = 64;

/**
 * For commandsQuiet(): characters that end a word for parseShell() (blanks, separators; `+` is tested apart),
 * characters that make a word more than a name to look up (`=` an assignment, `/` a path, `%` a Windows variable,
 * `[` a wildcard set), and the `*` and `?` wildcards.
 */
const Q_STOP = 1;
const Q_SPECIAL = 2;
const Q_WILDCARD = 3;
const QUIET_CLASS = new Uint8Array(128);
for (const ch of ' \t\v\f\n\r;&|()') QUIET_CLASS[ch.charCodeAt(0)] = Q_STOP;
for (const ch of '=/%[') QUIET_CLASS[ch.charCodeAt(0)] = Q_SPECIAL;
for (const ch of '*?') QUIET_CLASS[ch.charCodeAt(0)] = Q_WILDCARD;
/** What matters once a command has been decided: where it ends, quoted parts and comments. */
const QUIET_EVENT_RE = /[\n\r;&|()'"#]/g;

/** No alias is defined: an alias needs an `alias` command, whose word resolves, and that already answers false. */
const NO_ALIASES: ShellParse = { commands: [], ifs: false, arith: false, assigned: new Map(), aliases: new Map() };

const isQuietBlank = (c: number, plusIsSpace: boolean): boolean => c === 32 || c === 9 || c === 11 || c === 12 || (plusIsSpace && c === 43);
const isQuietSeparator = (c: number): boolean => c === 10 || c === 13 || c === 59 || c === 38 || c === 124 || c === 40 || c === 41;

/**
 * Lexes `src` as parseShell(src, plusIsSpace) does, for a text without QUIET_BLOCKERS_RE characters (inside
 * double quotes too there is then nothing to expand: quotes just group their contents), and answers false when
 * the first non-assignment word of some command resolves (for `.`, the word it would run). With `reparse`, quoted
 * arguments holding a blank are lexed the same way, as analyse() reads them again. The real lexer's limits (words
 * per command, commands per value, text per word) only ever drop words and commands or cut long words, which
 * resolve() rejects anyway: checking all of them can only answer false more often.
 */
function commandsQuiet(src: string, plusIsSpace: boolean, reparse: boolean, budget: { left: number }): boolean {
  const n = src.length;
  // 0: looking for the command word; 1: the command word is `.`, looking for what it runs; 2: the command is decided
  let state = 0;
  let i = 0;
  // the next space, `=`, `/` or wildcard, `%`, newline and carriage return, each found once and reused until the
  // words pass it (searching again each time would make a value of many short lines quadratic)
  let nextSpace = -1;
  let nextSpecial = -1;
  let nextPercent = -1;
  let nextLf = -1;
  let nextCr = -1;
  /** Where the comment at `from` ends: the next newline or carriage return, or the end. */
  const lineEnd = (from: number): number => {
    if (nextLf < from) nextLf = indexOrEnd(src, '\n', from);
    if (nextCr < from) nextCr = indexOrEnd(src, '\r', from);
    return nextLf < nextCr ? nextLf : nextCr;
  };
  while (i < n) {
    if (state === 2) {
      // jump to where this command ends, to a quoted part (it hides separators; it may be an argument to re-read)
      // or to a `#` (a comment when it starts a word: a blank before it, as the command word is behind)
      QUIET_EVENT_RE.lastIndex = i;
      if (!QUIET_EVENT_RE.test(src)) return true;
      const p = QUIET_EVENT_RE.lastIndex - 1;
      const e = src.charCodeAt(p);
      if (isQuietSeparator(e)) { state = 0; i = p + 1; continue; }
      const startsWord = isQuietBlank(src.charCodeAt(p - 1), plusIsSpace);
      if (e === 35) {
        i = startsWord ? lineEnd(p) : p + 1;
        continue;
      }
      if (!reparse || !startsWord) {
        const close = src.indexOf(e === 39 ? "'" : '"', p + 1);
        if (close < 0) return true; // quoted to the end
        i = close + 1;
        continue;
      }
      i = p; // a word that starts with a quote: read it below
    } else {
      const c = src.charCodeAt(i);
      if (isQuietBlank(c, plusIsSpace)) { i++; continue; }
      if (isQuietSeparator(c)) { state = 0; i++; continue; }
      if (c === 35) { // a comment, up to the end of the line
        i = lineEnd(i);
        continue;
      }
    }
    // a word: up to a blank or a separator outside quotes
    const start = i;
    const first = src.charCodeAt(start);
    const pathPercent = first === 37 || first === 39 || first === 34; // a `%` may make it a Windows path (resolvesTo)
    let end = i;
    let quoted = false;
    let special = false; // outside quotes: `=`, `/`, `[`, non-ASCII, or `%` when it may make a path
    let star = 0; // outside quotes: 1 for `?` wildcards, 2 with a `*`
    let blank = false; // a space inside quotes: the text has one
    let h = 0; // as shortScan() hashes a word
    let hBase = 0;
    let baseEnd = start;
    while (i < n) {
      const d = src.charCodeAt(i);
      if (d === 39 || d === 34) {
        quoted = true;
        const close = src.indexOf(d === 39 ? "'" : '"', i + 1);
        const stop = close < 0 ? n : close;
        if (!blank && state === 0) {
          if (nextSpace <= i) nextSpace = indexOrEnd(src, ' ', i + 1);
          blank = nextSpace < stop;
        }
        if (close >= 0) { end = close + 1; i = close + 1; }
        else { if (d === 39 || i + 1 < n) end = n; i = n; } // unterminated: to the end (a lone `"` adds nothing)
        continue;
      }
      // the unquoted characters up to a quote or the word's end, in one call (see scanUnquoted)
      QUIET_WORD.h = h;
      QUIET_WORD.hBase = hBase;
      QUIET_WORD.baseEnd = baseEnd;
      QUIET_WORD.special = special;
      QUIET_WORD.star = star;
      const stop = scanUnquoted(src, i, n, plusIsSpace, pathPercent);
      h = QUIET_WORD.h;
      hBase = QUIET_WORD.hBase;
      baseEnd = QUIET_WORD.baseEnd;
      special = QUIET_WORD.special;
      star = QUIET_WORD.star;
      if (stop === i) break; // a blank or a separator
      i = stop;
      end = i;
    }
    const reread = reparse && quoted && (first === 39 || first === 34);
    if (state === 2 && !reread) continue;
    if (state === 0 && !reread) {
      // Without `=` the word is no assignment. Without `/`, `%` that could make a Windows path (and `\` and `^`:
      // QUIET_BLOCKERS_RE), resolve() looks the word up as it is, or matches it against the names when it has
      // wildcards (resolvesTo): a word whose hashes are not names, or whose text has a space, or a pattern no name
      // can match, resolves to nothing.
      if (!quoted && !special && (star === 0 ? !mayBeName(src, start, end, h, hBase, baseEnd) : !mayMatchName(first, end - start, star === 2))) {
        state = 2;
        continue;
      }
      if (blank) {
        if (nextSpecial < start) nextSpecial = indexOfQuietSpecial(src, start);
        if (pathPercent && nextPercent < start) nextPercent = indexOrEnd(src, '%', start);
        if (nextSpecial >= end && (!pathPercent || nextPercent >= end)) { state = 2; continue; }
      }
    }
    const text = quoted ? unquoted(src, start, end) : src.slice(start, end);
    if (state === 0) {
      if (!isAssignmentText(text)) {
        const r = resolvesTo(src, text, start, end, budget);
        if (r === 2) return false;
        state = r === 1 ? 1 : 2;
      }
    } else if (state === 1) {
      if (text.length > 512) return false; // the lexer keeps a prefix of such words: not worth being exact
      if (!(text.startsWith('-') || isNumberish(text) || isAssignmentText(text))) {
        if (resolvesTo(src, text, start, end, budget) !== 0) return false;
        state = 2;
      }
    }
    // a quoted argument with a blank is read again (analyse(): `sh -c "cat /etc/passwd"`)
    if (reread && text.length >= 4 && text.includes(' ') && (text.length > 512 || !commandsQuiet(text, false, false, budget))) return false;
  }
  return true;
}

/**
 * For scanUnquoted(): the next character that is not a plain part of a name (a quote, a blank or separator, `=`,
 * `/`, `%`, `[`, a wildcard, non-ASCII; `+` too when it reads as a blank). The plain stretch before it is hashed
 * in a loop with nothing else to test.
 */
const PLAIN_END_RE = /['" \t\v\f\n\r;&|()=/%[*?\u0080-\uffff]/g;
const PLAIN_END_PLUS_RE = /['" \t\v\f\n\r;&|()=/%[*?+\u0080-\uffff]/g;
/** Where a word with a special character ends: a quote, a blank or a separator (QUIET_CLASS Q_STOP), or `+`. */
const WORD_END_RE = /['" \t\v\f\n\r;&|()]/g;
const WORD_END_PLUS_RE = /['" \t\v\f\n\r;&|()+]/g;

/** What scanUnquoted() carries from one stretch of a word to the next (a quoted part may come between). */
const QUIET_WORD = { h: 0, hBase: 0, baseEnd: 0, special: false, star: 0 };

/**
 * For commandsQuiet(): reads src from `i` up to a quote, a character that ends the word, or the end, updating
 * QUIET_WORD as its word loop did a character at a time (the hash of the word, and of its base before trailing
 * digits and dots, as mayBeName() reads them), and returns where it stopped. Long words (base64 or hex data) cost
 * one cheap pass: plain stretches are found by a regular expression and hashed in a loop that tests nothing, and
 * once the word has a special character its hashes no longer matter (commandsQuiet() asks mayBeName only
 * without one), so its end is found by a regular expression too.
 */
function scanUnquoted(src: string, i: number, n: number, plusIsSpace: boolean, pathPercent: boolean): number {
  const w = QUIET_WORD;
  const plainEnd = plusIsSpace ? PLAIN_END_PLUS_RE : PLAIN_END_RE;
  while (!w.special && i < n) {
    plainEnd.lastIndex = i;
    const stop = plainEnd.test(src) ? plainEnd.lastIndex - 1 : n;
    if (stop > i) {
      // the base ends after the stretch's last character that is not a digit or `.`
      let base = stop;
      while (base > i && isDigitOrDot(src.charCodeAt(base - 1))) base--;
      const h = hashOn(w.h, src, i, base);
      if (base > i) { w.hBase = h; w.baseEnd = base; }
      w.h = hashOn(h, src, base, stop);
      i = stop;
      if (i >= n) break;
    }
    // the character at i, as the word loop reads it
    const d = src.charCodeAt(i);
    if (d === 39 || d === 34) return i;
    if (d < 128) {
      const g = QUIET_CLASS[d]!;
      if (g !== 0) {
        if (g === Q_STOP) return i;
        if (g === Q_WILDCARD) w.star |= d === 42 ? 2 : 1;
        else if (d !== 37 || pathPercent) w.special = true;
      } else if (plusIsSpace && d === 43) return i;
    } else w.special = true;
    const h = (Math.imul(w.h, 31) + (d >= 65 && d <= 90 ? d + 32 : d)) | 0;
    w.h = h;
    if (!isDigitOrDot(d)) { w.hBase = h; w.baseEnd = i + 1; }
    i++;
  }
  if (w.special && i < n) {
    const wordEnd = plusIsSpace ? WORD_END_PLUS_RE : WORD_END_RE;
    wordEnd.lastIndex = i;
    i = wordEnd.test(src) ? wordEnd.lastIndex - 1 : n;
  }
  return i;
}

function isDigitOrDot(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/** `h` carried on over the ASCII characters src[from, to), lower-cased, as the word loop hashes. */
function hashOn(h: number, src: string, from: number, to: number): number {
  for (let k = from; k < to; k++) h = (Math.imul(h, 31) + LOWER[src.charCodeAt(k)]!) | 0;
  return h;
}

/**
 * False only when globProgram() finds no name for a pattern of `length` characters starting with `c`: ASCII, no
 * `[` or `/`, `?` wildcards and, with `star`, `*` too. A pattern that starts with a plain character only matches
 * names that start with it, and without `*` only names of its length.
 */
function mayMatchName(c: number, length: number, star: boolean): boolean {
  if (c === 42 || c === 63) return true;
  if (c >= 65 && c <= 90) c += 32;
  if (c >= 128 || length >= 64) return (star ? namesStartingWith(c) : namesOfLengthStartingWith(length, c)).length > 0;
  return (star ? NAME_FIRST[c] : NAME_LENGTH_FIRST[length * 128 + c]) === 1;
}

/** Index of `ch` from `from`, or the length. */
function indexOrEnd(src: string, ch: string, from: number): number {
  const k = src.indexOf(ch, from);
  return k < 0 ? src.length : k;
}

/** `=` (an assignment), `/` (a path) or a wildcard: what can make a word with a space resolve. */
const QUIET_WORD_SPECIAL_RE = /[=/*?[]/g;

/** Index of the first QUIET_WORD_SPECIAL_RE character from `from`, or the length. */
function indexOfQuietSpecial(src: string, from: number): number {
  QUIET_WORD_SPECIAL_RE.lastIndex = from;
  return QUIET_WORD_SPECIAL_RE.test(src) ? QUIET_WORD_SPECIAL_RE.lastIndex - 1 : src.length;
}

/** The text of src[from, to) after quote removal, for a text without escapes or expansions. */
function unquoted(src: string, from: number, to: number): string {
  let out = '';
  let k = from;
  while (k < to) {
    const c = src.charCodeAt(k);
    if (c === 39 || c === 34) {
      const close = src.indexOf(c === 39 ? "'" : '"', k + 1);
      const stop = close < 0 || close >= to ? to : close;
      out += src.slice(k + 1, stop);
      k = stop + 1;
      continue;
    }
    let j = k + 1;
    while (j < to && src.charCodeAt(j) !== 39 && src.charCodeAt(j) !== 34) j++;
    out += src.slice(k, j);
    k = j;
  }
  return out;
}

/**
 * What resolve() makes of a command word (with no aliases: see NO_ALIASES): 0 nothing, 1 only the `.` builtin,
 * 2 a program (or not sure: past the budget of QUIET_GLOB_BUDGET wildcard words). A wildcard word counts both
 * ways resolve() can read it: matched against the program names while the budget shared by the value lasts, as
 * it is after that.
 */
function resolvesTo(src: string, text: string, start: number, end: number, budget: { left: number }): 0 | 1 | 2 {
  const glob = text.includes('*') || text.includes('?') || text.includes('[');
  if (glob && --budget.left < 0) return 2; // no more pattern matching: not sure
  // Without `/` (and `\` and `^`: QUIET_BLOCKERS_RE), resolve() reads the word as it is, unless windowsName()
  // reads it as a Windows path: with a `%` that needs the word to start with a %VARIABLE% (a drive letter would
  // need a separator after its colon, and the variables expand to `C:...`).
  const first = src.charCodeAt(start);
  const asWritten = !text.includes('/') && (!text.includes('%') || (first !== 37 && first !== 39 && first !== 34));
  if (asWritten && !glob) {
    // looked up: no name has a blank, and most other words are ruled out by their hash
    if (text.includes(' ') || !mayNameCommand(text, 0, text.length)) return 0;
  } else if (asWritten) {
    // matched against the names; looked up once the budget is spent, it finds nothing (no name has a wildcard,
    // with or without `.exe` or a version suffix)
    if (text.length > 128) return 0;
    const hit = globProgram(text.toLowerCase());
    return hit === null ? 0 : hit === '.' ? 1 : 2;
  }
  const word: Word = { text, start, end, quoted: false, inner: false, glob, vars: false, subst: false, brace: false };
  const a = resolve(src, word, NO_ALIASES, { left: 1 });
  const b = glob ? resolve(src, word, NO_ALIASES, { left: 0 }) : null;
  if ((a !== null && a.name !== '.') || (b !== null && b.name !== '.')) return 2;
  return a !== null || b !== null ? 1 : 0;
}

// ---- ASCII text: the same proof, read as bytes ----------------------------------------------------------------

/** From this length on asciiTextQuiet() is asked first (below it, the copy costs more than it saves). */
const ASCII_TEXT_MIN = 24;
/** Longer values go the usual way. */
const ASCII_TEXT_MAX = 16384;
const TEXT_ENCODER = new TextEncoder();
/**
 * The value asciiTextQuiet() reads, a byte a character, and a 0 after it: reading a Uint8Array costs a fraction
 * of reading a string with charCodeAt(), and most values are ASCII text.
 */
const TEXT_BYTES = new Uint8Array(ASCII_TEXT_MAX + 2);
/** TEXT_BYTES two at a time (the first in the low byte: typed arrays are little-endian on the platforms Node runs on). */
const TEXT_PAIRS = new Uint16Array(TEXT_BYTES.buffer, 0, TEXT_BYTES.length >> 1);
/** TEXT_BYTES four at a time (in the same order as TEXT_PAIRS). */
const TEXT_QUADS = new Uint32Array(TEXT_BYTES.buffer, 0, TEXT_BYTES.length >> 2);
/** Where in TEXT_BYTES the characters of QUIET_EVENT_RE are, in order: all the lexer stops at between words. */
const TEXT_EVENTS = new Int32Array(ASCII_TEXT_MAX + 1);
/** The first of TEXT_EVENTS that asciiCommandsQuiet() has not left behind. */
let eventCursor = 0;
/** What textSigns() found of breaksOutOfQuotes(): 1 for `'`, 2 for `"`. */
let quotesBreakOut = 0;
/** The glob budget of asciiTextQuiet() (provablyQuiet()'s), one object for every call. */
const TEXT_GLOB_BUDGET = { left: 0 };

/**
 * True only when run() would report nothing for an ASCII value: provablyQuiet(value) holds and IDIOM_HINT does
 * not match (then firstLook() answers QUIET or IDIOM_ONLY, and powershellIdiom() finds nothing). False means
 * "not sure" (not ASCII, very long, or not settled here): the caller goes the usual way. One loop looks for what
 * the regular expressions of provablyQuiet() and IDIOM_HINT look for and notes where the lexer's characters are
 * (textSigns); the command words are then read from those places as commandsQuiet() reads them
 * (asciiCommandsQuiet).
 */
function asciiTextQuiet(value: string): boolean {
  const n = value.length;
  if (n > ASCII_TEXT_MAX) return false;
  const copied = TEXT_ENCODER.encodeInto(value, TEXT_BYTES);
  if (copied.read !== n || copied.written !== n) return false; // a character that is not ASCII took more bytes
  TEXT_BYTES[n] = 0;
  const m = textSigns(value, TEXT_BYTES, n);
  if (m < 0) return false;
  // the texts provablyQuiet() lexes, in its order (the glob budget is shared)
  const budget = TEXT_GLOB_BUDGET;
  budget.left = QUIET_GLOB_BUDGET;
  if (!asciiCommandsQuiet(value, TEXT_BYTES, n, m, true, budget)) return false;
  const breaks = quotesBreakOut;
  if (breaks === 0) return true;
  return breaks !== 3 && behindQuoteQuiet(value, n, m, breaks === 1 ? 39 : 34, budget);
}

/**
 * commandsQuiet(q + value, false, false, budget) for the ASCII value in TEXT_BYTES (m events): the value placed
 * inside quotes by the application, whose quote it closes (breaksOutOfQuotes). TEXT_BYTES and TEXT_EVENTS are
 * moved one place on for the quote.
 */
function behindQuoteQuiet(value: string, n: number, m: number, q: number, budget: { left: number }): boolean {
  const b = TEXT_BYTES;
  b.copyWithin(1, 0, n);
  b[0] = q;
  b[n + 1] = 0;
  for (let k = m; k > 0; k--) TEXT_EVENTS[k] = TEXT_EVENTS[k - 1]! + 1;
  TEXT_EVENTS[0] = 0;
  return asciiCommandsQuiet(String.fromCharCode(q) + value, b, n + 1, m + 1, false, budget);
}

/** For textSigns(): why each character is looked at (0: it is not). From S_OPEN on, the lexer stops at it. */
const S_BLOCKER = 1; // QUIET_BLOCKERS_RE's characters
const S_DOT = 2; // `.` and `-` start IDIOM_HINT pairs (IDIOM_AFTER)
const S_DASH = 3;
const S_COLON = 4; // `::`
const S_SLASH = 5; // `/dev/tcp/`
const S_BANG = 6; // `!-`
const S_PLUS = 7; // `+` for blanks
const S_OPEN = 8; // `(`: IDIOM_HINT's `x(`, and CMD_EXE_KEYWORD_RE after it
const S_SEPARATOR = 9; // `&`, `|`, newlines: CMD_EXE_KEYWORD_RE after them
const S_APOSTROPHE = 10;
const S_QUOTE = 11;
const S_EVENT = 12; // `;`, `)`, `#`
const SIGN = new Uint8Array(256);
for (const ch of '$`\\{}^<>~') SIGN[ch.charCodeAt(0)] = S_BLOCKER;
SIGN[46] = S_DOT;
SIGN[45] = S_DASH;
SIGN[58] = S_COLON;
SIGN[47] = S_SLASH;
SIGN[33] = S_BANG;
SIGN[43] = S_PLUS;
SIGN[40] = S_OPEN;
for (const ch of '&|\n\r') SIGN[ch.charCodeAt(0)] = S_SEPARATOR;
SIGN[39] = S_APOSTROPHE;
SIGN[34] = S_QUOTE;
for (const ch of ';)#') SIGN[ch.charCodeAt(0)] = S_EVENT;
/** Letters after `.` (S_DOT) and after `-` (S_DASH) in IDIOM_HINT. */
const IDIOM_AFTER = new Uint8Array(256);
for (const ch of 'ADSUWadsuw') IDIOM_AFTER[ch.charCodeAt(0)] |= 1 << S_DOT;
for (const ch of 'EMOSWemosw') IDIOM_AFTER[ch.charCodeAt(0)] |= 1 << S_DASH;
/**
 * 1 for the pairs of characters (first in the low byte) textSigns() does nothing for: the second is not looked at
 * (SIGN), and neither is the first, or it is one that only the character after it matters for and that character
 * (the second) clears it: `.` or `-` before no IDIOM_HINT letter, `:` before no `:`, `!` before no `-`, `/` before
 * no `d` (`/dev/tcp/`). Prose is full of `. ` and `- `.
 */
const PAIR_QUIET = new Uint8Array(1 << 16);
for (let w = 0; w < 1 << 16; w++) if (SIGN[w >> 8] === 0 && quietBefore(w & 255, w >> 8)) PAIR_QUIET[w] = 1;
function quietBefore(a: number, next: number): boolean {
  const sign = SIGN[a]!;
  if (sign === S_DOT || sign === S_DASH) return (IDIOM_AFTER[next]! & (1 << sign)) === 0;
  if (sign === S_COLON) return next !== 58;
  if (sign === S_BANG) return next !== 45;
  if (sign === S_SLASH) return next !== 100;
  return sign === 0;
}

/**
 * -1 when the ASCII value b[0, n) (b[n] is 0) matches QUIET_BLOCKERS_RE, CMD_EXE_KEYWORD_RE,
 * CMD_EXE_KEYWORD_AT_START_RE or IDIOM_HINT, or when provablyQuiet() would lex the value with `+` for blanks (a
 * `+` and no blank) or it opens with a quote; else how many TEXT_EVENTS it noted (and quotesBreakOut).
 */
function textSigns(value: string, b: Uint8Array, n: number): number {
  if (cmdExeKeywordIn(b, 0)) return -1;
  const events = TEXT_EVENTS;
  let m = 0;
  let single = 0; // quotes as breaksOutOfQuotes() counts them
  let double = 0;
  let plus = false;
  const pairs = TEXT_PAIRS;
  const quads = TEXT_QUADS;
  for (let i = 0; i < n; i++) {
    // two characters at a time while neither is looked at
    if ((i & 1) === 0) {
      // to a multiple of four, then four at a time: bytes past n may be read (from an earlier value), but such a
      // byte only stops the skip, and the loop then ends at n
      if ((i & 2) !== 0 && i < n && PAIR_QUIET[pairs[i >> 1]!] === 1) i += 2;
      if ((i & 2) === 0) {
        let q = 0;
        while (i < n && PAIR_QUIET[(q = quads[i >> 2]!) & 0xffff] === 1 && PAIR_QUIET[q >>> 16] === 1) i += 4;
        if (i < n && PAIR_QUIET[q & 0xffff] === 1) i += 2;
      }
      if (i >= n) break;
    }
    const sign = SIGN[b[i]!]!;
    if (sign === 0) continue;
    if (sign >= S_OPEN) {
      events[m++] = i;
      if (sign === S_EVENT) continue;
      if (sign === S_OPEN && i > 0 && ((b[i - 1]! | 32) === 120 || (i > 1 && b[i - 1] === 32 && (b[i - 2]! | 32) === 120))) return -1; // `x(`, `x (`
      if (sign <= S_SEPARATOR) {
        if (cmdExeKeywordIn(b, i + 1)) return -1;
      } else if (sign === S_APOSTROPHE) {
        if (i === 0) return -1;
        if (!(isAlpha(b[i - 1]!) && isAlpha(b[i + 1]!))) single++;
      } else {
        if (i === 0 || b[i + 1] === 34) return -1; // `""`
        double++;
      }
    } else if (sign <= S_DASH) {
      if (sign === S_BLOCKER || (IDIOM_AFTER[b[i + 1]!]! & (1 << sign)) !== 0) return -1;
    } else if (sign === S_COLON) {
      if (b[i + 1] === 58) return -1;
    } else if (sign === S_SLASH) {
      if (b[i + 1] === 100 && i + 8 < n && b[i + 2] === 101 && b[i + 3] === 118 && b[i + 4] === 47 && b[i + 8] === 47
        && ((b[i + 5] === 116 && b[i + 6] === 99 && b[i + 7] === 112) || (b[i + 5] === 117 && b[i + 6] === 100 && b[i + 7] === 112))) return -1; // /dev/tcp/, /dev/udp/
    } else if (sign === S_BANG) {
      if (b[i + 1] === 45) return -1; // `!-`
    } else {
      plus = true;
    }
  }
  if (plus && !hasBlank(value)) return -1;
  const singleOut = (single & 1) === 1 || (single > 0 && (reopensQuote(b, n, 39) || operatorBetweenQuotes(b, n, 39)));
  const doubleOut = (double & 1) === 1 || (double > 0 && (reopensQuote(b, n, 34) || operatorBetweenQuotes(b, n, 34)));
  quotesBreakOut = (singleOut ? 1 : 0) | (doubleOut ? 2 : 0);
  return m;
}

/** CMD_EXE_KEYWORD_AT_START_RE from b[k]: `[ \t,;]*@?(for|if)[ \t,;/(]`, ASCII letters in either case (b ends with a 0). */
function cmdExeKeywordIn(b: Uint8Array, k: number): boolean {
  let c = b[k]!;
  while (c === 32 || c === 9 || c === 44 || c === 59) c = b[++k]!;
  if (c === 64) c = b[++k]!;
  c |= 32;
  if (c === 102) {
    if ((b[k + 1]! | 32) !== 111 || (b[k + 2]! | 32) !== 114) return false;
    k += 3;
  } else if (c === 105) {
    if ((b[k + 1]! | 32) !== 102) return false;
    k += 2;
  } else return false;
  const e = b[k];
  return e === 32 || e === 9 || e === 44 || e === 59 || e === 47 || e === 40;
}

/** How asciiCommandsQuiet() reads each byte of a word (QUIET_CLASS, and the hashing of mayBeName()). */
const W_PLAIN = 0;
const W_DIGIT = 1; // digits and `.`: the hash without them is also a name's (a version suffix)
const W_STOP = 2;
const W_WILDCARD = 3;
const W_SPECIAL = 4;
const W_PERCENT = 5; // special when it may make a Windows path
const W_QUOTE = 6;
const WORD_BYTE = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const g = QUIET_CLASS[c]!;
  WORD_BYTE[c] = c === 39 || c === 34 ? W_QUOTE : g === Q_STOP ? W_STOP : g === Q_WILDCARD ? W_WILDCARD : c === 37 ? W_PERCENT
    : g === Q_SPECIAL ? W_SPECIAL : (c >= 48 && c <= 57) || c === 46 ? W_DIGIT : W_PLAIN;
}
/** ASCII letters in lower case, as the name hashes have them. */
const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;

/** Index in TEXT_EVENTS of the first event at or after `from` (the lexer only moves forward: so does the cursor). */
function eventFrom(from: number, m: number): number {
  let k = eventCursor;
  while (k < m && TEXT_EVENTS[k]! < from) k++;
  eventCursor = k;
  return k;
}

/** Position of the first byte `c` (a quote) from `from` on, or -1. */
function quoteFrom(b: Uint8Array, c: number, from: number, m: number): number {
  for (let k = eventFrom(from, m); k < m; k++) {
    const p = TEXT_EVENTS[k]!;
    if (b[p] === c) return p;
  }
  return -1;
}

/** Position of the first newline or carriage return from `from` on, or n (where a comment ends). */
function lineEndFrom(b: Uint8Array, from: number, m: number, n: number): number {
  for (let k = eventFrom(from, m); k < m; k++) {
    const p = TEXT_EVENTS[k]!;
    if (b[p] === 10 || b[p] === 13) return p;
  }
  return n;
}

/** mayBeName() for the bytes b[from, to). */
function mayBeNameIn(b: Uint8Array, from: number, to: number, h: number, hBase: number, baseEnd: number): boolean {
  if (isNameSlot(hashSlot(h))) return true;
  if (to - from > 4 && b[to - 4] === 46) { // without a `.exe`-like extension
    let hx = 0;
    for (let k = from; k < to - 4; k++) hx = (Math.imul(hx, 31) + LOWER[b[k]!]!) | 0;
    if (isNameSlot(hashSlot(hx))) return true;
  }
  return baseEnd < to && baseEnd - from >= 2 && isNameSlot(hashSlot(hBase));
}

/** isAssignmentText() for the bytes b[from, to). */
function isAssignmentIn(b: Uint8Array, from: number, to: number): boolean {
  let eq = from;
  while (eq < to && b[eq] !== 61) eq++;
  if (eq === from || eq === to) return false;
  const c0 = b[from]!;
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95)) return false;
  for (let k = from + 1; k < eq; k++) {
    const c = b[k]!;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** The text of a short quoted word after quote removal (unquoted()), as bytes. */
const WORD_BYTES = new Uint8Array(48);

/**
 * For the quoted command word b[from, to): true when its text after quote removal (unquoted()) is no assignment
 * and resolvesTo() reads it as written and finds nothing (a blank in it, or hashes that are no name). False when
 * resolvesTo() would read it otherwise (a wildcard, `/`, `+`, or `%` in a word that opens with `%` or a quote),
 * when it may be a name, and for long words, which the caller reads faster as a string.
 */
function quotedWordQuiet(b: Uint8Array, from: number, to: number): boolean {
  if (to - from > WORD_BYTES.length) return false;
  const w = WORD_BYTES;
  let len = 0;
  for (let k = from; k < to;) {
    const c = b[k]!;
    if (c !== 39 && c !== 34) {
      w[len++] = c;
      k++;
      continue;
    }
    k++;
    while (k < to && b[k] !== c) w[len++] = b[k++]!;
    k++;
  }
  const first = b[from];
  const percentPath = first === 37 || first === 39 || first === 34;
  let blank = false;
  let h = 0;
  let hBase = 0;
  let baseEnd = 0;
  for (let k = 0; k < len; k++) {
    const c = w[k]!;
    if (c === 42 || c === 63 || c === 91 || c === 47 || c === 43 || (c === 37 && percentPath)) return false;
    if (c === 32) blank = true;
    h = (Math.imul(h, 31) + LOWER[c]!) | 0;
    if (WORD_BYTE[c] !== W_DIGIT) { hBase = h; baseEnd = k + 1; }
  }
  if (isAssignmentIn(w, 0, len)) return false;
  return blank || !mayBeNameIn(w, 0, len, h, hBase, baseEnd);
}

/**
 * commandsQuiet(src, false, reparse, budget) for the ASCII text b[0, n) (b[n] is 0) whose m events TEXT_EVENTS
 * holds, step for step, except that with `reparse` a word opening with a quote (which commandsQuiet() reads
 * again as a command line) answers false: not sure.
 */
function asciiCommandsQuiet(src: string, b: Uint8Array, n: number, m: number, reparse: boolean, budget: { left: number }): boolean {
  eventCursor = 0;
  // 0: looking for the command word; 1: the command word is `.`, looking for what it runs; 2: the command is decided
  let state = 0;
  let i = 0;
  // the next space, `=`, `/` or wildcard, and `%`, each found once and reused until the words pass it
  let nextSpace = -1;
  let nextSpecial = -1;
  let nextPercent = -1;
  while (i < n) {
    if (state === 2) {
      // to where this command ends, to a quoted part or to a `#`
      const k = eventFrom(i, m);
      if (k >= m) return true;
      const p = TEXT_EVENTS[k]!;
      const e = b[p]!;
      if (e !== 35 && e !== 39 && e !== 34) { state = 0; i = p + 1; continue; } // a separator
      const before = p > 0 ? b[p - 1]! : 0;
      const startsWord = before === 32 || before === 9 || before === 11 || before === 12;
      if (e === 35) {
        i = startsWord ? lineEndFrom(b, p, m, n) : p + 1;
        continue;
      }
      if (reparse && startsWord) return false; // a word that opens with a quote
      const close = quoteFrom(b, e, p + 1, m);
      if (close < 0) return true; // quoted to the end
      i = close + 1;
      continue;
    }
    const c = b[i]!;
    if (c === 32 || c === 9 || c === 11 || c === 12) { i++; continue; }
    if (c === 10 || c === 13 || c === 59 || c === 38 || c === 124 || c === 40 || c === 41) { state = 0; i++; continue; }
    if (c === 35) { // a comment, up to the end of the line
      i = lineEndFrom(b, i, m, n);
      continue;
    }
    if (reparse && (c === 39 || c === 34)) return false; // a word that opens with a quote
    // a word: up to a blank or a separator outside quotes
    const start = i;
    const pathPercent = c === 37 || c === 39 || c === 34; // a `%` may make it a Windows path (resolvesTo)
    let end = i;
    let quoted = false;
    let special = false;
    let star = 0;
    let blank = false;
    let h = 0;
    let hBase = 0;
    let baseEnd = start;
    while (i < n) {
      const d = b[i]!;
      const kind = WORD_BYTE[d]!;
      if (kind === W_QUOTE) {
        quoted = true;
        const close = quoteFrom(b, d, i + 1, m);
        const stop = close < 0 ? n : close;
        if (!blank && state === 0) {
          if (nextSpace <= i) {
            nextSpace = i + 1;
            while (nextSpace < n && b[nextSpace] !== 32) nextSpace++;
          }
          blank = nextSpace < stop;
        }
        if (close >= 0) { end = close + 1; i = close + 1; }
        else { if (d === 39 || i + 1 < n) end = n; i = n; }
        continue;
      }
      if (kind > W_DIGIT) {
        if (kind === W_STOP) break;
        if (kind === W_WILDCARD) star |= d === 42 ? 2 : 1;
        else if (kind === W_SPECIAL || pathPercent) special = true;
      }
      h = (Math.imul(h, 31) + LOWER[d]!) | 0;
      if (kind !== W_DIGIT) { hBase = h; baseEnd = i + 1; }
      i++;
      end = i;
    }
    if (state === 0) {
      if (!quoted && !special && (star === 0 ? !mayBeNameIn(b, start, end, h, hBase, baseEnd) : !mayMatchName(b[start]!, end - start, star === 2))) {
        state = 2;
        continue;
      }
      if (blank) {
        if (nextSpecial < start) nextSpecial = indexOfQuietSpecial(src, start);
        if (pathPercent && nextPercent < start) nextPercent = indexOrEnd(src, '%', start);
        if (nextSpecial >= end && (!pathPercent || nextPercent >= end)) { state = 2; continue; }
      }
      // what is decided on the bytes (else below, on the text): an assignment, a quoted word that resolves to nothing
      if (quoted ? quotedWordQuiet(b, start, end) : isAssignmentIn(b, start, end)) {
        if (quoted) state = 2;
        continue;
      }
    }
    const text = quoted ? unquoted(src, start, end) : src.slice(start, end);
    if (state === 0) {
      if (!isAssignmentText(text)) {
        const r = resolvesTo(src, text, start, end, budget);
        if (r === 2) return false;
        state = r === 1 ? 1 : 2;
      }
    } else {
      if (text.length > 512) return false; // as commandsQuiet()
      if (!(text.startsWith('-') || isNumberish(text) || isAssignmentText(text))) {
        if (resolvesTo(src, text, start, end, budget) !== 0) return false;
        state = 2;
      }
    }
  }
  return true;
}

/** The analysis of a value, after firstLook() found `first` (IDIOM_ONLY or SHELL). */
function run(value: string, first: number, context: DetectorContext, report: (finding: Finding) => void): void {
  if (first === IDIOM_ONLY) {
    const idiom = powershellIdiom(value);
    if (idiom !== null) report({ ruleId: idiom.rule, category: 'cmdi', paranoia: 1, score: SCORE.critical, message: idiom.message, matched: excerpt(value, idiom.start, idiom.end) });
    return;
  }
  const best = new BestPerRule(context.paranoia);
  const wants = (rule: string, paranoia: number): boolean => best.wants(rule, paranoia);
  const keep = (v: Verdict): void => best.keep(v);

  // Shellshock and fork bombs: a function definition at the start of the value
  const fn = functionDefinition(value);
  if (fn !== null) keep(fn);

  const glob = { left: MAX_GLOB_WORDS };
  const parse = parseShell(value);
  analyse(value, parse, keep, wants, glob, 0, context.isName);
  // `+` for blanks: a form-encoded payload that reached us without form decoding (JSON, headers)
  if (value.includes('+') && !hasBlank(value)) analyse(value, parseShell(value, true), keep, wants, glob, 0, context.isName);
  // the value placed inside quotes by the application: a quote in it closes them (`';id'`, `"|whoami"`)
  for (const q of ["'", '"']) {
    if (breaksOutOfQuotes(value, q.charCodeAt(0))) analyse(q + value, parseShell(q + value), keep, wants, glob, 1);
  }
  // a command substitution inside a parameter expansion (`${x:-$(id)}`, `${`id`}`): the lexer takes the braces
  // whole, so the substitution is read on its own
  for (const at of substitutionsInBraces(value)) {
    const sub = value.slice(at);
    const shifted = (v: Verdict): void => keep({ ...v, start: v.start + at, end: v.end + at });
    analyse(sub, parseShell(sub), shifted, wants, glob, 0, context.isName);
  }
  if (parse.arith) {
    // with a command substitution inside, the arithmetic runs a command: no other language writes `$(($(`
    const nested = arithmeticWithSubstitution(value);
    keep({ rule: 'cmdi-arithmetic', paranoia: nested ? 1 : 2, score: SCORE.critical, message: nested ? 'command substitution inside shell arithmetic $(( ))' : 'shell arithmetic expansion $(( )) or $[ ]', start: Math.max(0, value.indexOf('$')), end: value.length });
  }
  const pe = parameterOperator(value);
  if (pe >= 0) {
    keep({ rule: 'cmdi-parameter-expansion', paranoia: 2, score: SCORE.critical, message: 'shell parameter expansion with an operator (${x#...}, ${x:-...})', start: pe, end: pe + 24 });
  }
  const bang = historyExpansion(value);
  if (bang >= 0) {
    // one `!-N` may be a filter (`rating=!-1`); two glued (`!-1!-2`) only recall shell history
    keep({ rule: 'cmdi-history-expansion', paranoia: repeatedHistory(value, bang) ? 1 : 2, score: SCORE.critical, message: 'shell history expansion (!-N)', start: bang, end: bang + 8 });
  }
  if (isTildeExpansion(value)) {
    keep({ rule: 'cmdi-tilde-expansion', paranoia: 2, score: SCORE.critical, message: 'shell directory-stack expansion (~+, ~-)', start: 0, end: value.length });
  }
  if (parse.ifs) {
    const at = indexOfIfs(value);
    keep({ rule: 'cmdi-ifs', paranoia: 1, score: SCORE.critical, message: 'word splitting with $IFS', start: at, end: at + 6 });
  }
  const dev = devTcp(value);
  if (dev >= 0) {
    keep({ rule: 'cmdi-reverse-shell', paranoia: 1, score: SCORE.critical, message: 'shell redirection to /dev/tcp or /dev/udp', start: dev, end: dev + 40 });
  }
  for (const hit of windowsHits(value)) {
    keep({ rule: hit.rule, paranoia: 1, score: SCORE.critical, message: hit.message, start: hit.start, end: hit.end });
  }

  for (const v of best.values()) {
    report({
      ruleId: v.rule,
      category: 'cmdi',
      paranoia: v.paranoia,
      score: v.score,
      message: v.message,
      matched: excerpt(value, v.start, v.end),
    });
  }
}

type Wants = (rule: string, paranoia: number) => boolean;

function analyse(value: string, parse: ShellParse, keep: (v: Verdict) => void, wants: Wants, glob: { left: number }, shift: number, isName = false): void {
  const cmds = parse.commands;
  let known = 0;
  let filters = 0;
  let withEvidence = 0;
  let chainLevel: Paranoia | 0 = 0;
  let chainStart = -1;
  let chainEnd = -1;
  // `value` is the text that was parsed; with `shift` it has a quote in front of the request's value
  const at = (v: Verdict): Verdict => (shift === 0 ? v : { ...v, start: Math.max(0, v.start - shift), end: Math.max(0, v.end - shift) });
  for (let idx = 0; idx < cmds.length; idx++) {
    const cmd = cmds[idx]!;
    for (const r of cmd.redirects) { // `0>$d/tcp/1.2.3.4/80` with d=/dev: the expanded target
      const t = r.target?.text ?? '';
      if ((t.startsWith('/dev/tcp/') || t.startsWith('/dev/udp/')) && wants('cmdi-reverse-shell', 1)) {
        keep(at({ rule: 'cmdi-reverse-shell', paranoia: 1, score: SCORE.critical, message: 'shell redirection to /dev/tcp or /dev/udp', start: cmd.opPos, end: r.target!.end }));
      }
    }
    const outcome = analyseCommand(value, cmd, cmds, idx, parse, glob, wants, isName);
    if (outcome === null) continue;
    if (outcome.verdict !== null) keep(at(outcome.verdict));
    // (commands in Markdown code, a block or inline spans, are quoted: they make no chain of their own; nor do
    // capitalised words without strong evidence, a title's words: `Who we are; Where we work | Time Out`)
    if (cmd.markdown) continue;
    if (outcome.evidence < 2 && cmd.words.length > 0 && isCapitalized(cmd.words[0]!.text)) continue;
    known++;
    if (outcome.filter === true) filters++;
    if (outcome.evidence > 0) withEvidence++;
    if (outcome.level > 0 && (chainLevel === 0 || outcome.level < chainLevel)) chainLevel = outcome.level;
    if (chainStart < 0) chainStart = cmd.opPos;
    chainEnd = outcome.end;
  }
  // several real commands chained, one of them with command-line arguments: a script, not prose
  if (known >= 2 && withEvidence >= 1 && chainLevel === 2 && filters < known) {
    keep(at({ rule: 'cmdi-command-chain', paranoia: 1, score: SCORE.critical, message: 'several commands chained with shell operators', start: Math.max(0, chainStart), end: chainEnd }));
  }
  // a quoted argument holding a command line (`system('...')`, `sh -c "..."`, `"cscli alerts list"`)
  if (shift === 0) {
    let reparsed = 0;
    for (const cmd of cmds) {
      for (const w of cmd.words) {
        if (!w.quoted || w.text.length < 4 || reparsed >= 8 || !w.text.includes(' ')) continue;
        const raw = value.slice(w.start, w.end);
        const q = raw.charCodeAt(0);
        if (q !== 39 && q !== 34) continue;
        reparsed++;
        const inner = parseShell(w.text);
        for (let idx = 0; idx < inner.commands.length; idx++) {
          const outcome = analyseCommand(w.text, inner.commands[idx]!, inner.commands, idx, inner, glob, wants);
          if (outcome?.verdict) keep({ ...outcome.verdict, start: w.start, end: w.end });
        }
      }
    }
  }
}

interface Outcome {
  readonly verdict: Verdict | null;
  /** Paranoia level of the verdict (0 when none). */
  readonly level: Paranoia | 0;
  readonly evidence: number;
  readonly end: number;
  /** A stage that only filters piped output (TEXT_FILTERS): a chain of nothing else is a query, not a script. */
  readonly filter?: boolean;
}

function analyseCommand(value: string, cmd: Command, cmds: Command[], idx: number, parse: ShellParse, glob: { left: number }, wants: Wants, isName = false): Outcome | null {
  const words = cmd.words;
  let k = 0;
  while (k < words.length && isAssignmentWord(words[k]!)) k++;
  if (k >= words.length) return null;
  const first = k;
  let wrapped = false;
  let resolved = resolve(value, words[k]!, parse, glob);
  // wrappers: time, nohup, sudo, env, strace, xargs ... run the command that follows them
  for (let guard = 0; guard < 4 && resolved !== null && (resolved.info.kind & K.wrapper) !== 0; guard++) {
    let j = k + 1;
    while (j < words.length && (words[j]!.text.startsWith('-') || isNumberish(words[j]!.text) || isAssignmentWord(words[j]!))) j++;
    if (j >= words.length) break;
    const inner = resolve(value, words[j]!, parse, glob);
    if (inner === null) break;
    wrapped = true;
    k = j;
    resolved = inner;
  }
  const head = words[k]!;
  if (resolved !== null && resolved.name === '.' && !wrapped) return null;
  if (resolved !== null && (resolved.info.kind & K.shell) !== 0 && cmd.lead === 'start' && value.startsWith('$0', head.start)) return null; // `$0 down`: a price
  // Unix program names are lower case: a capitalised word in a backtick or $( ) span is a name or a title, not a
  // program (`brand:=[\`Sleep Number\`]`: Typesense's quoting); Windows has no such substitution
  if (resolved !== null && cmd.lead === 'subst' && !resolved.windowsPath && hasUpperAscii(value, head.start, head.end) && !resolved.obfuscated && !head.inner) return null;
  // `sort(a.begin(), a.end())`: a name glued to `(` that does not open `()` is a shell syntax error, not a command
  if (resolved !== null && value.charCodeAt(head.end) === 40 && value.charCodeAt(head.end + 1) !== 41 && !head.quoted) return null;
  // `sleep 8 hours`: sleep with an argument that is no duration fails at once, so it cannot time a blind injection
  if (resolved !== null && resolved.name === 'sleep' && !wrapped && !sleepsFor(words, k + 1)) return null;
  // `<https://github.com/a/b/compare/v1...v2|diff>`, `<@U024BE7LH|kim>`: Slack's link and mention syntax, a label
  // after the bar
  if (resolved !== null && cmd.op === '|' && slackLinkBar(value, cmd.opPos)) return null;
  // `File "/app/views.py", line 42, in checkout`: a frame of a Python traceback
  if (resolved !== null && head.text === 'File' && words[k + 2]?.text === 'line') return null;
  // `host = db.internal`, `timeout = 60`: a key and its value in an INI, TOML or .conf file, not a command with `=`
  // for its first argument
  if (resolved !== null && !wrapped && words[k + 1]?.text === '=' && !words[k + 1]!.quoted && value.charCodeAt(words[k + 1]!.start) === 61) return null;
  // `at https://app/main.js:1:100`, `at Object.<anonymous> (`: a stack trace's frames; at(1) without an option or a
  // time first fails at once ("Garbled time")
  if (resolved !== null && resolved.name === 'at' && !wrapped && !atTimeSpec(words, k + 1)) return null;
  if (resolved === null) {
    // an unknown word inside $( ) or <( ): a substitution all the same, weaker
    if (cmd.lead === 'subst' && cmd.op !== '`' && isPlainName(head.text)) {
      const after = cmd.op === '$(' ? value.charCodeAt(closingParen(value, cmd.opPos + 1)) : 0;
      if (after !== 46 && after !== 40) { // not `$(document).ready(` or `$(x)(`
        return { verdict: { rule: 'cmdi-substitution', paranoia: 2, score: SCORE.warning, message: `command substitution ${cmd.op}${head.text}`, start: cmd.opPos, end: head.end + 1 }, level: 0, evidence: 0, end: head.end };
      }
    }
    return null;
  }
  const { info, name } = resolved;
  const common = (info.kind & K.common) !== 0 && !resolved.absolute;
  const ev = evidence(value, cmd, k, resolved, cmds, idx, glob, isName);
  // at the start of a value, an address alone (`wget https://...`, `ping 1.2.3.4`) is how documentation reads too
  const strong = ev.level >= 2 && !(ev.netOnly && cmd.lead === 'start' && !isName);
  const evidenceLevel = strong ? 2 : Math.max(ev.level >= 1 ? 1 : 0, wrapped ? 1 : 0);
  const args = words.length - k - 1;
  const start = cmd.lead === 'start' ? words[first]!.start : cmd.opPos;
  const end = Math.max(head.end, words[words.length - 1]!.end, lastRedirectEnd(cmd));
  let inner = false;
  for (let j = first; j <= k; j++) if (words[j]!.inner && !resolved.windowsPath) inner = true;
  const obfuscated = resolved.obfuscated || inner;
  const chained = cmd.next === ';' || cmd.next === '|' || cmd.next === '&&' || cmd.next === '||' || cmd.next === '&' || cmd.next === '|&';

  let level: Paranoia | 0 = 0;
  let rule = 'cmdi-command';
  let why = 0;
  if (obfuscated && (inner || !common || evidenceLevel > 0 || cmd.lead !== 'start')) {
    level = 1;
    rule = 'cmdi-obfuscated-command';
    why = 1;
  } else if (cmd.lead === 'subst') {
    rule = 'cmdi-substitution';
    why = 2;
    const glued = cmd.op === '`' && isWordChar(value.charCodeAt(cmd.opPos - 1));
    level = evidenceLevel > 0 || !common || cmd.op !== '`' || glued || !cmd.markdown ? 1 : 2;
    if (cmd.markdown) level = level === 1 ? 2 : 3;
  } else if (cmd.lead === 'sep' || cmd.lead === 'group') {
    rule = 'cmdi-separator-command';
    why = 3;
    // a line break after prose or a list is a weak sign; after a lone token (`localhost\nid`, a host or a file name
    // with a command on the next line) or first in the value (`\nid`) it separates commands as `;` does
    const weakLead = (cmd.op === '\n' && !loneTokenBefore(value, cmd.opPos)) || cmd.lead === 'group';
    // tools and package managers (`npm test`, `make`) chained in build scripts: a weaker sign than recon or shells;
    // host administration tools (`ansible-playbook`) too on a line of their own or in parentheses (notes, docs)
    const tool = (info.kind & ~(K.common | K.wrapper | K.build | (weakLead ? K.admin : 0))) === 0;
    // (a value that starts with `;` or `|` was written for a command line; one that starts with a line break may be a
    // text area's first empty line: that counts as a lone token before it, not as a leading operator)
    const opFirst = cmd.op !== '\n' && startsWithOperator(value, cmd.opPos);
    const leading = (cmd.tight || opFirst) && !weakLead;
    // an interpreter or shell alone after `;` or `&&` reads its program from standard input, which a request has
    // none of (`sendgrid/8.1.3;nodejs`: an SDK's User-Agent); piped into, or with a here-string, it runs code
    const idle = args === 0 && (info.kind & (K.interp | K.shell)) !== 0 && cmd.op !== '|' && cmd.op !== '|&' && cmd.redirects.length === 0 && !obfuscated;
    if (!common) level = (weakLead && args === 0 && cmd.op === '\n') || (tool && !leading) || idle ? (evidenceLevel > 0 ? 1 : 2) : 1;
    else if (isCapitalized(head.text) && evidenceLevel < 2) level = evidenceLevel === 1 ? 2 : 3; // `; Free shipping`: prose
    else if (evidenceLevel >= 2) level = 1;
    else if (evidenceLevel === 1) level = weakLead ? 2 : 1;
    // (`&sort=created at`: after an assignment the name is not glued to the operator; a query string is full of them)
    else if (cmd.tight && first === 0 && args === 0 && !weakLead && !isCapitalized(head.text) && !idle) level = 1;
    // a probe after one token, a blank between (`8.8.8.8; id`, `127.0.0.1 ; ps aux`, `a" | id "`): prose has more
    // words before its `;`
    else if (!weakLead && cmd.op !== '\n' && loneTokenBefore(value, cmd.opPos) && !isCapitalized(head.text) &&
      ((PROBES.has(name) && probeArgs(words, k + 1)) || (name === 'net' && NET_RECON.has(words[k + 1]?.text.toLowerCase() ?? '')))) level = 1;
    else if (opFirst && !weakLead && args <= 1) level = 1;
    else level = args === 0 && cmd.lead !== 'group' ? 2 : 3; // `(time)`, `(see more)`: parentheses in prose
    // a command in a Markdown code block of a post or a message is quoted code, as in an inline code span
    if (cmd.markdown) level = level === 1 ? 2 : 3;
  } else { // at the start of the value
    rule = 'cmdi-command';
    why = 4;
    // a parameter name is never prose: a command line there was cut out of a value (`a=1&ls /etc`)
    // (a sentence that starts with a capitalised command word, `Write a bash script that deletes ... in /var/log/x`,
    // is a request written in English, whatever paths it names)
    if (!isName && isCapitalized(head.text) && !commandLineArgs(words, k + 1) && !obfuscated) level = 3;
    else if (evidenceLevel >= 2) level = 1;
    else if (evidenceLevel === 1) level = isName || (!common && (info.kind & (K.recon | K.shell | K.windows | K.powershell)) !== 0) ? 1 : 2;
    // (after `&` alone, only a real command counts as chained: `docker & kubernetes` is a search for two topics)
    else if (!common && args === 0 && ((chained && (cmd.next !== '&' || nextIsCommand(cmds, idx))) || (resolved.absolute && (info.kind !== 0 || resolved.systemBin === true)))) level = 1;
    else if (!common && args === 0) level = resolved.absolute ? 2 : 3; // a lone name is also a word in data (`base64`, `cmd`)
    else if (!common) level = commandLineArgs(words, k + 1) ? 2 : 3;
    else level = 0;
  }
  // Output piped into a text filter (`| sort -count | head 10`) with nothing stronger than options for arguments is
  // how log and search query languages (Splunk, and others of their kind) chain their stages; a pipe into a shell, a
  // filter reading a sensitive file or an obfuscated name stays as it is.
  // (and a chain of such stages alone is no script: `| stats ... | sort -count | head 10`)
  const filter = why === 3 && cmd.op === '|' && TEXT_FILTERS.has(name) && ev.level < 2 && !obfuscated;
  if (filter && level === 1) level = 2;
  if (level === 0) return { verdict: null, level: 0, evidence: ev.level, end, filter };
  const score = level === 3 ? SCORE.notice : SCORE.critical;
  if (!wants(rule, level)) return { verdict: null, level, evidence: ev.level, end, filter };
  const message = why === 1 ? `evasion in the command word (${name})` : why === 2 ? `command substitution running ${name}`
    : why === 3 ? `${name} after ${opName(cmd.op)}` : `${name} with command-line arguments`;
  return { verdict: { rule, paranoia: level, score, message: `OS command: ${message}`, start, end }, level, evidence: ev.level, end, filter };
}

/** The first character of `value` that is not a blank, or NaN. */
function firstNonBlank(value: string): number {
  let i = 0;
  while (i < value.length && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++;
  return value.charCodeAt(i);
}

/** The command after `cmds[idx]` starts with a known program name. */
function nextIsCommand(cmds: readonly Command[], idx: number): boolean {
  const w = cmds[idx + 1]?.words[0];
  if (w === undefined) return false;
  return lookup(w.text.toLowerCase().slice(w.text.lastIndexOf('/') + 1)) !== undefined;
}

/** Windows `net` subcommands that list accounts, groups, shares and settings (`8.8.8.8| net user`). */
const NET_RECON: ReadonlySet<string> = new Set(['user', 'users', 'localgroup', 'group', 'view', 'share', 'accounts', 'config', 'session', 'use']);

/** Commands with common names that injection probes run alone (`; id`, `| pwd`, `& ver`). */
const PROBES: ReadonlySet<string> = new Set(['id', 'pwd', 'env', 'ps', 'ls', 'hostname', 'uptime', 'dir', 'ver', 'set']);

/** The words from `from` on are what probes take: options (`-la`, `/s`, `aux`), paths, drives or nothing (`''`). */
function probeArgs(words: readonly Word[], from: number): boolean {
  for (let j = from; j < words.length; j++) {
    const t = words[j]!.text;
    const c = t.charCodeAt(0);
    if (t !== '' && t !== 'aux' && c !== 45 && c !== 47 && c !== 92 && c !== 126 && c !== 46 && !(t.length >= 2 && t.charCodeAt(1) === 58)) return false;
  }
  return true;
}

/** The words from `from` on are durations as sleep(1) takes them (`5`, `0.5`, `2m`, `infinity`). */
function sleepsFor(words: readonly Word[], from: number): boolean {
  for (let j = from; j < words.length; j++) if (!SLEEP_DURATION.test(words[j]!.text)) return false;
  return true;
}
const SLEEP_DURATION = /^(?:\d{1,9}(?:\.\d{1,9})?[smhd]?|infinity)$/;

/** The words from `from` on open what at(1) takes: an option, or a time (`10:00`, `now`, `noon`, `tomorrow`, `1430`, `+5`, a date). */
function atTimeSpec(words: readonly Word[], from: number): boolean {
  const t = words[from]?.text;
  if (t === undefined) return false;
  return t.charCodeAt(0) === 45 || AT_TIME.test(t) || AT_WORDS.has(t.toLowerCase());
}
const AT_TIME = /^(?:\+|\d{1,4}(?:[:.\/-]\d{1,4}){0,2}(?:am|pm)?)$/i;
const AT_WORDS: ReadonlySet<string> = new Set(['now', 'noon', 'midnight', 'teatime', 'today', 'tomorrow', 'next',
  'jan', 'january', 'feb', 'february', 'mar', 'march', 'apr', 'april', 'may', 'jun', 'june', 'jul', 'july', 'aug', 'august',
  'sep', 'september', 'oct', 'october', 'nov', 'november', 'dec', 'december',
  'mon', 'monday', 'tue', 'tuesday', 'wed', 'wednesday', 'thu', 'thursday', 'fri', 'friday', 'sat', 'saturday', 'sun', 'sunday']);

/** An ASCII capital letter in value[from, to). */
function hasUpperAscii(value: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = value.charCodeAt(k);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/** Commands that only reorder, cut or count the text they are given (see the pipe rule in `analyseCommand`). */
const TEXT_FILTERS: ReadonlySet<string> = new Set(['sort', 'head', 'tail', 'uniq', 'wc', 'cut', 'tr', 'fmt', 'fold', 'nl', 'column', 'rev', 'tac', 'paste', 'expand']);

// ---- the command word -------------------------------------------------------------------------------------------

function resolve(value: string, word: Word, parse: ShellParse, glob: { left: number }): Resolved | null {
  let text = word.text;
  if (text === '' || text.length > 128) return null;
  let obfuscated = word.brace;
  let absolute = false;
  const alias = text === 'alias' || parse.aliases.size === 0 ? undefined : parse.aliases.get(text);
  if (alias !== undefined) {
    const sp = alias.indexOf(' ');
    text = sp > 0 ? alias.slice(0, sp) : alias;
    obfuscated = true;
  }
  const raw = value.slice(word.start, word.end);
  // Windows: C:\Windows\System32\cmd.exe, %COMSPEC%, \\host\share\x.exe (the shell lexer ate the backslashes)
  if (raw.includes('\\') || raw.includes('%')) {
    const win = windowsName(raw);
    if (win !== null) { text = win.name; absolute = win.absolute; obfuscated ||= win.obfuscated; }
  }
  const windowsPath = absolute;
  // no name has a blank: without `/` (a path) or wildcards, such a word is looked up as it is, in vain
  if (!word.glob && text.includes(' ') && !text.includes('/')) return null;
  // a wildcard matches case-sensitively, and Unix program names are lower case: `*Release*` (Slack's bold) names
  // no program, `/???/c?t` does
  if (word.glob && hasUpperAscii(text, 0, text.length)) return null;
  let low = text.toLowerCase();
  if (low.includes('^')) {
    const clean = low.replaceAll('^', '');
    if (clean !== low) { low = clean; obfuscated = true; }
  }
  // a Windows program with a switch glued to it: `dir/s`, `bcdboot/r`
  const firstSlash = low.indexOf('/');
  if (firstSlash > 1 && low.length - firstSlash <= 3) {
    const prefix = lookup(low.slice(0, firstSlash));
    if (prefix !== undefined && (prefix.kind & K.windows) !== 0) return { info: prefix, name: prefix.name, obfuscated: true, absolute: false, windowsPath };
  }
  // absolute or relative path to a program
  const slash = low.lastIndexOf('/');
  if (slash >= 0) {
    const dir = low.slice(0, slash);
    const base = low.slice(slash + 1);
    if (word.glob && glob.left > 0) {
      glob.left--;
      const hit = globProgram(low);
      if (hit !== null) return { info: commandInfo(hit) ?? { name: hit, kind: 0 }, name: hit, obfuscated: true, absolute: true };
      return null;
    }
    if (base === '') return null;
    const inBin = BIN_DIRS.includes(dir === '' ? '/' : dir) || dir.endsWith('/bin') || dir.endsWith('/sbin') || dir === 'bin' || dir === 'sbin';
    const info = lookup(base);
    if (inBin && dir.startsWith('/')) return { info: info ?? { name: base, kind: 0 }, name: base, obfuscated, absolute: true, systemBin: SYSTEM_BIN_DIRS.includes(dir) };
    if (info !== undefined && (dir === '.' || dir === '' || inBin)) return { info, name: base, obfuscated, absolute: inBin };
    return null;
  }
  // a wildcard command name that spells part of one (`c[a]t`, `w?oami`); one that fixes no letter of it
  // (`[a-z][a-z0-9]*`, a regular expression's character classes) names no program in particular
  if (word.glob && glob.left > 0 && (low.includes('?') || low.includes('*') || low.includes('[')) && fixedLetters(low) >= 2) {
    glob.left--;
    const hit = globProgram(low);
    if (hit !== null) return { info: commandInfo(hit)!, name: hit, obfuscated: true, absolute: false };
    return null;
  }
  const info = lookup(low);
  if (info === undefined) return null;
  return { info, name: info.name, obfuscated, absolute, windowsPath };
}

/** The characters a glob pattern fixes: literal ones, and bracket classes of one character (`[a]`). */
function fixedLetters(pattern: string): number {
  let fixed = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 91) { // [
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) return fixed + pattern.length - i; // an unclosed bracket is a literal `[`
      if (close === i + 2) fixed++;
      i = close;
    } else if (c !== 42 && c !== 63) fixed++; // not * or ?
  }
  return fixed;
}

/** A command name as the table spells it: no `.exe`, no version suffix (`python3.10`, `php7.4`, `gcc10.1`). */
function lookup(low: string): CommandInfo | undefined {
  const direct = commandInfo(low);
  if (direct !== undefined) return direct;
  if (low.length > 4 && low.charCodeAt(low.length - 4) === 46) { // .exe .com .bat .cmd
    const ext = low.slice(-4);
    if (ext === '.exe' || ext === '.com' || ext === '.bat' || ext === '.cmd') return commandInfo(low.slice(0, -4));
  }
  let end = low.length;
  while (end > 0 && ((low.charCodeAt(end - 1) >= 48 && low.charCodeAt(end - 1) <= 57) || low.charCodeAt(end - 1) === 46)) end--;
  if (end < low.length && end >= 2) {
    const base = commandInfo(low.slice(0, end));
    if (base !== undefined && (base.kind & (K.interp | K.shell | K.build)) !== 0) return base;
  }
  return undefined;
}

/** What windowsName() looks at in a raw word: quotes and `%`. */
const WINDOWS_NAME_MARK_RE = /['"%]/g;

/** The program a Windows-style word names, from its raw text. */
function windowsName(raw: string): { name: string; absolute: boolean; obfuscated: boolean } | null {
  let text = '';
  let obfuscated = false;
  // expand %VAR% (cmd.exe) and drop quotes; the characters in between are copied a run at a time
  let run = 0;
  WINDOWS_NAME_MARK_RE.lastIndex = 0;
  while (WINDOWS_NAME_MARK_RE.test(raw)) {
    const k = WINDOWS_NAME_MARK_RE.lastIndex - 1;
    if (raw.charCodeAt(k) !== 37) { // a quote
      text += raw.slice(run, k);
      run = k + 1;
      continue;
    }
    const close = raw.indexOf('%', k + 1);
    if (close > k + 1) {
      const name = raw.slice(k + 1, close).toLowerCase();
      const v = WINDOWS_ENV.get(name);
      if (v !== undefined) {
        text += raw.slice(run, k) + v;
        obfuscated ||= name === 'comspec';
        run = close + 1;
        WINDOWS_NAME_MARK_RE.lastIndex = close + 1;
      }
    }
  }
  text += raw.slice(run);
  const rootRelative = text.startsWith('\\') && text.indexOf('\\', 1) > 2; // \Windows\x, not \c\a\t
  const isPath = /^[A-Za-z]:[\\/]/.test(text) || text.startsWith('\\\\') || rootRelative;
  if (!isPath) return null;
  const cut = Math.max(text.lastIndexOf('\\'), text.lastIndexOf('/'));
  const base = text.slice(cut + 1).toLowerCase();
  if (base === '') return null;
  return { name: base, absolute: true, obfuscated };
}

/** The program a wildcard word can only mean (`/???/c?t`, `/bin/ca?`, `/usr/bin/[u]name`), or null. */
function globProgram(pattern: string): string | null {
  if (pattern.length > 64) return null;
  const slash = pattern.lastIndexOf('/');
  const dirPattern = slash >= 0 ? pattern.slice(0, slash) : '';
  const basePattern = slash >= 0 ? pattern.slice(slash + 1) : pattern;
  if (basePattern === '' || basePattern === '*') return null;
  if (slash >= 0 && !BIN_DIRS.some((d) => globMatch(dirPattern, d))) return null;
  // a bare pattern must be mostly letters (`c?t`, `wh*ami`), not `*` or `???`
  let letters = 0;
  for (let k = 0; k < basePattern.length; k++) {
    const c = basePattern.charCodeAt(k);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) letters++;
  }
  if (slash < 0 && letters < 2) return null;
  let fallback: string | null = null;
  const star = basePattern.includes('*');
  const exact = patternLength(basePattern);
  // a pattern that starts with a plain character only matches names that start with it (same order: same result)
  const first = basePattern.charCodeAt(0);
  const literal = first !== 42 && first !== 63 && first !== 91;
  const names = star ? (literal ? namesStartingWith(first) : allCommandNames()) : literal ? namesOfLengthStartingWith(exact, first) : namesOfLength(exact);
  for (const name of names) {
    if (!globMatch(basePattern, name)) continue;
    const info = commandInfo(name)!;
    if ((info.kind & (K.shell | K.net | K.reader | K.recon | K.interp)) !== 0) return name;
    fallback ??= name;
  }
  return fallback;
}

/** Characters a pattern without `*` matches: `?` and `[...]` count one each. */
function patternLength(p: string): number {
  let n = 0;
  for (let k = 0; k < p.length; k++) {
    if (p.charCodeAt(k) === 91) {
      const close = p.indexOf(']', k + 2);
      if (close > k) k = close;
    }
    n++;
  }
  return n;
}

const BY_LENGTH = new Map<number, string[]>();
for (const name of allCommandNames()) {
  const list = BY_LENGTH.get(name.length) ?? [];
  list.push(name);
  BY_LENGTH.set(name.length, list);
}

function namesOfLength(n: number): readonly string[] {
  return BY_LENGTH.get(n) ?? [];
}

/** Names by first character, and by length and first character, in the table's order. */
const BY_FIRST = new Map<number, string[]>();
const BY_LENGTH_FIRST = new Map<number, string[]>();
for (const name of allCommandNames()) {
  for (const [map, key] of [[BY_FIRST, name.charCodeAt(0)], [BY_LENGTH_FIRST, name.length * 65536 + name.charCodeAt(0)]] as const) {
    const list = map.get(key) ?? [];
    list.push(name);
    map.set(key, list);
  }
}

function namesStartingWith(c: number): readonly string[] {
  return BY_FIRST.get(c) ?? [];
}

function namesOfLengthStartingWith(n: number, c: number): readonly string[] {
  return BY_LENGTH_FIRST.get(n * 65536 + c) ?? [];
}

/** For mayMatchName(): 1 where some name starts with the ASCII character, and where one of a length (< 64) does. */
const NAME_FIRST = new Uint8Array(128);
const NAME_LENGTH_FIRST = new Uint8Array(64 * 128);
for (const name of allCommandNames()) {
  const c = name.charCodeAt(0);
  if (c >= 128) continue;
  NAME_FIRST[c] = 1;
  if (name.length < 64) NAME_LENGTH_FIRST[name.length * 128 + c] = 1;
}

// ---- arguments ------------------------------------------------------------------------------------------------

/**
 * value[0, at) is one token (no blank or line break inside) of up to 64 characters, followed by nothing but blanks
 * and line breaks (`8.8.8.8\r\nid`, `8.8.8.8; id`), or is nothing but blanks and line breaks: the value starts with
 * the operator, as one appended to a command line does (`ping ` + `\nid`, `\n\nls -la /`).
 */
function loneTokenBefore(value: string, at: number): boolean {
  if (at > 64) return false;
  // blanks and line breaks right before the operator (the CR of a CRLF, empty lines) are not part of the token
  let end = at;
  while (end > 0 && isBlankOrBreak(value.charCodeAt(end - 1))) end--;
  for (let k = 0; k < end; k++) if (isBlankOrBreak(value.charCodeAt(k))) return false;
  return true;
}

function isBlankOrBreak(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** The word, as written in `value`, starts with a drive path (`c:\`, `C:/`) or a UNC path (`\\host`). */
function windowsPathWord(value: string, w: Word): boolean {
  if (w.end - w.start < 2) return false;
  const c0 = value.charCodeAt(w.start);
  const c1 = value.charCodeAt(w.start + 1);
  if (c0 === 92 && c1 === 92) return true;
  const c2 = w.end - w.start >= 3 ? value.charCodeAt(w.start + 2) : 92;
  return isAlpha(c0) && c1 === 58 && (c2 === 92 || c2 === 47);
}

/**
 * How much the arguments say "command line": 0 nothing, 1 options, paths, variables or a file name, 2 dangerous
 * for this program (a sensitive file, code for an interpreter, an address for a network tool, a pipe into a
 * shell, a write to an absolute path...). Summed up to a cap; the caller reads >= 2 as strong.
 */
function evidence(value: string, cmd: Command, k: number, r: Resolved, cmds: Command[], idx: number, glob: { left: number }, isName: boolean): { level: number; netOnly: boolean } {
  const words = cmd.words;
  const kind = r.info.kind;
  let score = 0;
  let net = false;
  let other = false;
  let dangerFlag = false; // rm -rf, nc -e, find -exec, chmod 777...: dangerous with a target, a phrase without one ("rm -rf meaning")
  let target = false;
  const add = (n: number): void => { score = Math.max(score, n); if (n >= 2) other = true; };
  const danger = (): void => { dangerFlag = true; score = Math.max(score, 1); };
  if (r.absolute && words.length > k + 1) add(2);
  for (let j = k + 1; j < words.length && j < k + 24; j++) {
    const w = words[j]!;
    const t = w.text;
    if (t === '') continue;
    const low = t.toLowerCase();
    const next = words[j + 1];
    if (isSensitive(t, w, glob)) { add(2); continue; }
    if (r.name === 'alias' && t.indexOf('=') > 0 && !t.slice(0, t.indexOf('=')).includes(' ')) { // alias NAME=VALUE: shell syntax
      add(2);
      continue;
    }
    if (low.startsWith('/dev/tcp/') || low.startsWith('/dev/udp/')) { add(2); continue; }
    if (t.charCodeAt(0) === 45) { // an option
      if ((kind & K.shell) !== 0 && (t === '-c' || t === '-i' || t === '-s') && (next !== undefined || t === '-i')) { add(2); continue; }
      if ((kind & K.interp) !== 0 && CODE_FLAGS.has(t) && next !== undefined) { add(2); continue; }
      if ((kind & (K.shell | K.powershell)) !== 0 || r.name.startsWith('powershell') || r.name === 'pwsh') {
        if (PS_FLAGS.has(low)) { add(2); continue; }
      }
      if ((r.name === 'nc' || r.name === 'ncat' || r.name === 'netcat' || r.name === 'nc.traditional') && /^-[a-z]*[elc]/i.test(t)) { danger(); continue; }
      // gcc and friends run `-wrapper PROG,ARG,...` around each compiler pass: `-wrapper sh,-c,CODE` is a shell
      if ((kind & K.build) !== 0 && t === '-wrapper' && next !== undefined) {
        const comma = next.text.indexOf(',');
        const path = (comma < 0 ? next.text : next.text.slice(0, comma)).toLowerCase();
        const prog = lookup(path.slice(path.lastIndexOf('/') + 1));
        if (prog !== undefined && (prog.kind & (K.shell | K.interp)) !== 0) { add(2); continue; }
      }
      if (r.name === 'rm' && /^-[a-z]*[rf]/i.test(t)) { danger(); continue; }
      if (r.name === 'find' && (t === '-exec' || t === '-execdir' || t === '-delete' || t === '-fprint')) { danger(); continue; }
      if (r.name === 'certutil' && (low === '-urlcache' || low === '-decode' || low === '-decodehex' || low === '-split')) { danger(); continue; }
      if (t.length >= 2 && t !== '--' && !isNumberish(t.slice(1))) { add(1); continue; }
      if ((r.name === 'kill' || r.name === 'pkill') && isNumberish(t.slice(1))) { add(1); continue; }
      continue;
    }
    if ((kind & (K.windows | K.powershell)) !== 0 && t.length === 2 && t.charCodeAt(0) === 47 && isAlpha(t.charCodeAt(1))) {
      if ((r.name === 'cmd' || r.name === 'cmd.exe') && (low === '/c' || low === '/k' || low === '/r')) add(2);
      else if (r.name === 'bitsadmin' && low === '/transfer') add(2);
      else add(1);
      continue;
    }
    if (r.name === 'bitsadmin' && low === '/transfer') { add(2); continue; }
    // a Windows command's drive or UNC path (`dir c:\`, `type \\host\share\x`), read as written: the POSIX
    // lexer took its backslashes for escapes
    if ((kind & (K.windows | K.powershell)) !== 0 && windowsPathWord(value, w)) { add(1); target = true; continue; }
    // `!cmd` runs a shell command from vi, ex, less, ftp, gdb...
    const bang = t.indexOf('!');
    if (bang >= 0 && bang < t.length - 1 && lookup(t.slice(bang + 1).toLowerCase().split(' ')[0]!) !== undefined) { add(2); continue; }
    if (r.name === 'at' && (/^\d{1,2}:\d{2}$/.test(t) || low === 'now' || low === 'midnight' || low === 'noon')) { add(2); continue; }
    if (isUrl(low) || isIpv4(low) || isHostName(low)) target = true;
    if ((kind & K.net) !== 0 && (isUrl(low) || isIpv4(low) || isHostName(low))) { score = Math.max(score, 2); net = true; continue; }
    // a mode is dangerous with a file to apply it to (`chmod 777 vs 755` is a question)
    if ((r.name === 'chmod') && /^(?:[ugoa]*[+=][rwxst]+|[0-7]{3,4})$/.test(low)) { danger(); continue; }
    if (low.charCodeAt(0) === 47 && (low.length === 1 || low.charCodeAt(1) !== 47)) { add(1); target = true; continue; }
    if (low.startsWith('~/') || low.startsWith('./') || low.startsWith('../') || /^[a-z]:\\/.test(low)) { add(1); target = true; continue; }
    if (w.vars || w.subst) { add(1); continue; }
    if ((r.name === 'sleep' || r.name === 'ping' || r.name === 'timeout') && isNumberish(t)) { add(1); continue; }
    if ((r.name === 'nc' || r.name === 'ncat' || r.name === 'netcat') && isNumberish(t)) { target = true; continue; } // a port
    if ((kind & (K.reader | K.interp | K.modify | K.shell)) !== 0 && isFileName(low)) { add(1); continue; }
  }
  for (const redir of cmd.redirects) {
    const target = redir.target?.text ?? '';
    if (redir.op === '<<<') { add(2); continue; }
    if (target.startsWith('/dev/tcp/') || target.startsWith('/dev/udp/')) { add(2); continue; }
    if (redir.target === null) { add(1); continue; } // 2>&1: a descriptor duplication
    if (redir.op.includes('>') && (target.charCodeAt(0) === 47 || /^[A-Za-z]:\\/.test(target)) && target !== '/dev/null') { add(2); continue; }
    if (isSensitive(target, redir.target, glob)) { add(2); continue; }
    // `a > b` and `-> link` in prose are comparisons and arrows: only a file-like target counts
    if (target.includes('/') || target.includes('.') || target.startsWith('~') || redir.target.vars) add(1);
  }
  // piped into a shell or interpreter, or into another real command
  if (cmd.next === '|' || cmd.next === '|&') {
    const following = cmds[idx + 1];
    const w = following?.words[0];
    if (w !== undefined) {
      const info = lookup(w.text.toLowerCase().slice(w.text.lastIndexOf('/') + 1));
      if (info !== undefined && (info.kind & (K.shell | K.interp)) !== 0) add(2);
      else if (info !== undefined) add(1);
    }
  }
  if (dangerFlag && (target || cmd.lead !== 'start' || isName)) add(2);
  return { level: score, netOnly: net && !other };
}

function isSensitive(text: string, word: Word, glob: { left: number }): boolean {
  if (text.length < 4 || text.length > 256) return false;
  if (word.glob && glob.left > 0 && text.charCodeAt(0) === 47) {
    glob.left--;
    const low = text.toLowerCase();
    for (const target of SENSITIVE_GLOB_TARGETS) if (globPath(low, target)) return true;
  }
  const s = sensitivePath(text);
  return s !== null && s.strong;
}

// ---- small predicates -----------------------------------------------------------------------------------------

function isAssignmentWord(w: Word): boolean {
  return isAssignmentText(w.text);
}

function isAssignmentText(t: string): boolean {
  const eq = t.indexOf('=');
  if (eq <= 0) return false;
  const c0 = t.charCodeAt(0);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95)) return false;
  for (let k = 1; k < eq; k++) {
    const c = t.charCodeAt(k);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/** English function words: an argument list with one of them is a sentence, not a command line. */
const STOPWORDS = new Set(['is', 'are', 'was', 'were', 'be', 'a', 'an', 'the', 'of', 'to', 'and', 'or', 'in', 'on', 'for',
  'with', 'it', 'its', 'this', 'that', 'my', 'your', 'our', 'i', 'you', 'we', 'he', 'she', 'they', 'not', 'no', 'very',
  'so', 'as', 'at', 'by', 'from', 'has', 'have', 'had', 'can', 'will', 'would', 'should', 'does', 'do', 'did', 'but',
  'if', 'then', 'than', 'me', 'us', 'them', 'his', 'her', 'their', 'all', 'some', 'what', 'how', 'why', 'when', 'there']);

/** Plain arguments shaped like a command line: few, no sentence punctuation, no English function words. */
function commandLineArgs(words: readonly Word[], from: number): boolean {
  if (words.length - from > 6) return false;
  for (let j = from; j < words.length; j++) {
    const t = words[j]!.text;
    if (t === '' || STOPWORDS.has(t.toLowerCase())) return false;
    const z = t.charCodeAt(t.length - 1);
    if (z === 46 || z === 44 || z === 33 || z === 63 || z === 58 || z === 59) return false;
    if (isCapitalized(t)) return false;
  }
  return true;
}

function isWordChar(c: number): boolean {
  return isAlpha(c) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 61;
}

/**
 * The value would close a quote the application put it in: it starts with that quote, or has an odd number of
 * them, not counting apostrophes between letters (`don't`, `O'Brien`).
 */
function breaksOutOfQuotes(value: string, q: number): boolean {
  const quote = q === 39 ? "'" : '"';
  let n = 0;
  for (let k = value.indexOf(quote); k >= 0; k = value.indexOf(quote, k + 1)) {
    if (k === 0) return true;
    if (q === 39 && isAlpha(value.charCodeAt(k - 1)) && isAlpha(value.charCodeAt(k + 1))) continue;
    n++;
  }
  return n % 2 === 1 || (n > 0 && (reopensQuote(value, value.length, q) || operatorBetweenQuotes(value, value.length, q)));
}

/**
 * Between the first and the last quote there is a separator or a substitution (`a' | id '`, ``a' `id` '``): the
 * first quote closes the application's, the command runs, the last opens a string the application's quote closes.
 */
function operatorBetweenQuotes(text: string | Uint8Array, n: number, q: number): boolean {
  const at = (k: number): number => (typeof text === 'string' ? text.charCodeAt(k) : text[k]!);
  let first = 0;
  while (first < n && at(first) !== q) first++;
  let last = n - 1;
  while (last > first && at(last) !== q) last--;
  if (last - first < 3) return false;
  for (let k = first + 1; k < last; k++) {
    const c = at(k);
    if (c === 59 || c === 124 || c === 38 || c === 96 || c === 10 || (c === 36 && at(k + 1) === 40)) return true;
  }
  return false;
}

/**
 * The value ends by opening the quote again after a command separator (`admin';whoami;'`): it closes the
 * application's quote, runs what follows, and leaves the application's closing quote a string of its own, so an
 * even number of quotes breaks out too. `text` is the value as a string or as its bytes (textSigns).
 */
function reopensQuote(text: string | Uint8Array, n: number, q: number): boolean {
  const at = (k: number): number => (typeof text === 'string' ? text.charCodeAt(k) : text[k]!);
  let k = n - 1;
  while (k >= 0 && (at(k) === 32 || at(k) === 9)) k--;
  if (k < 1 || at(k) !== q) return false;
  k--;
  while (k >= 0 && (at(k) === 32 || at(k) === 9)) k--;
  const c = k >= 0 ? at(k) : 0;
  return c === 59 || c === 124 || c === 38 || c === 10;
}

/**
 * A shell function definition at the start of the value: `() {` (Shellshock, in headers and variables) or a
 * named function whose body runs itself in a pipe or in the background (a fork bomb: `:(){ :|:& };:`).
 */
function functionDefinition(value: string): Verdict | null {
  let k = 0;
  while (k < value.length && (value.charCodeAt(k) === 32 || value.charCodeAt(k) === 9)) k++;
  const nameStart = k;
  while (k < value.length && k - nameStart <= 32) {
    const c = value.charCodeAt(k);
    if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 95 || c === 58 || c === 46 || c === 45)) break;
    k++;
  }
  const name = value.slice(nameStart, k);
  while (k < value.length && value.charCodeAt(k) === 32) k++;
  if (value.charCodeAt(k) !== 40) return null;
  k++;
  while (k < value.length && value.charCodeAt(k) === 32) k++;
  if (value.charCodeAt(k) !== 41) return null;
  k++;
  while (k < value.length && (value.charCodeAt(k) === 32 || value.charCodeAt(k) === 9)) k++;
  if (value.charCodeAt(k) !== 123) return null;
  if (name === '') {
    return { rule: 'cmdi-shellshock', paranoia: 1, score: SCORE.critical, message: 'Shellshock function definition () {', start: nameStart, end: k + 1 };
  }
  const close = value.indexOf('}', k);
  const body = value.slice(k + 1, close < 0 ? Math.min(value.length, k + 200) : close);
  if ((body.includes('|') || body.includes('&')) && body.includes(name)) {
    return { rule: 'cmdi-fork-bomb', paranoia: 1, score: SCORE.critical, message: `self-replicating shell function ${name}()`, start: nameStart, end: Math.min(value.length, (close < 0 ? k : close) + 4) };
  }
  return null;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isNumberish(t: string): boolean {
  if (t === '' || !(t.charCodeAt(0) >= 48 && t.charCodeAt(0) <= 57)) return false;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || c === 46) && !(k === t.length - 1 && (c === 115 || c === 109 || c === 104 || c === 100))) return false;
  }
  return true;
}

function isPlainName(t: string): boolean {
  if (t.length < 2 || t.length > 32) return false;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return false;
  }
  return true;
}

function isCapitalized(t: string): boolean {
  if (t.length < 2) return false;
  const c0 = t.charCodeAt(0);
  const c1 = t.charCodeAt(1);
  return c0 >= 65 && c0 <= 90 && c1 >= 97 && c1 <= 122;
}

function isUrl(t: string): boolean {
  const sep = t.indexOf('://');
  if (sep < 2 || sep > 12) return false;
  for (let k = 0; k < sep; k++) if (!isAlpha(t.charCodeAt(k))) return false;
  return t.length > sep + 3;
}

function isIpv4(t: string): boolean {
  let parts = 0;
  let digits = 0;
  let k = 0;
  for (; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (c >= 48 && c <= 57) { digits++; if (digits > 3) return false; continue; }
    if (c === 46) { if (digits === 0) return false; parts++; digits = 0; continue; }
    if (c === 58 || c === 47) break; // :port or /path
    return false;
  }
  return parts === 3 && digits > 0;
}

/** `x.burpcollaborator.net`, `evil.com`, `host.tld:8080`: letters, digits, dots, dashes, a letter TLD. */
function isHostName(t: string): boolean {
  let end = t.length;
  const colon = t.indexOf(':');
  if (colon > 0) end = colon;
  const slash = t.indexOf('/');
  if (slash > 0 && slash < end) end = slash;
  const host = t.slice(0, end).replace(/\.$/, '');
  const dot = host.lastIndexOf('.');
  if (dot <= 0 || host.length - dot - 1 < 2) return false;
  for (let k = 0; k < host.length; k++) {
    const c = host.charCodeAt(k);
    if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 45 || c === 46)) return false;
  }
  for (let k = dot + 1; k < host.length; k++) if (!isAlpha(host.charCodeAt(k))) return false;
  return true;
}

/** `secrets.txt`, `evil.php`, `x.ps1`: a name with a short extension. */
function isFileName(t: string): boolean {
  const dot = t.lastIndexOf('.');
  if (dot <= 0 || t.length - dot - 1 < 1 || t.length - dot - 1 > 4) return false;
  for (let k = dot + 1; k < t.length; k++) if (!isAlpha(t.charCodeAt(k)) && !(t.charCodeAt(k) >= 48 && t.charCodeAt(k) <= 57)) return false;
  return isAlpha(t.charCodeAt(dot + 1));
}

const BLANK_RE = /[ \t\n\r]/;

/** A space, tab, newline or carriage return (a regular expression scans long values fastest). */
function hasBlank(v: string): boolean {
  return BLANK_RE.test(v);
}

/**
 * Only blanks and quotes before `pos`. The length of the value's leading run of them is counted once and kept for
 * the value's next commands (read again for each, a long leading run before many `;id` was quadratic: 10 s at
 * 256 KiB). (`===` on the string: the same object compares at once.)
 */
let leadValue = '';
let leadRun = -1;
/**
 * The `|` at `bar` is the one of a Slack link or mention (`<URL|label>`, `<@U123|name>`, `<#C123|channel>`,
 * `<!subteam^S123|@team>`): a `<` starts its token (no blank between), the token is a URL or a Slack reference, and
 * a `>` closes the label on the same line.
 */
function slackLinkBar(value: string, bar: number): boolean {
  let k = bar - 1;
  while (k >= 0 && bar - k < 2048) {
    const c = value.charCodeAt(k);
    if (c === 60) break; // `<`
    if (c <= 32 || c === 62) return false;
    k--;
  }
  if (k < 0 || value.charCodeAt(k) !== 60) return false;
  const head = value.slice(k + 1, k + 9).toLowerCase();
  if (!(head.startsWith('http://') || head.startsWith('https://') || head.startsWith('mailto:') || head.startsWith('@') ||
    head.startsWith('#') || head.startsWith('!'))) return false;
  for (let j = bar + 1; j < value.length && j - bar < 256; j++) {
    const c = value.charCodeAt(j);
    if (c === 62) return true;
    if (c === 10 || c === 60 || c === 124) return false;
  }
  return false;
}

function startsWithOperator(value: string, pos: number): boolean {
  if (leadRun < 0 || value !== leadValue) {
    let k = 0;
    while (k < value.length) {
      const c = value.charCodeAt(k);
      if (c !== 32 && c !== 9 && c !== 34 && c !== 39) break;
      k++;
    }
    leadValue = value;
    leadRun = k;
  }
  return pos <= leadRun;
}

function opName(op: string): string {
  return op === '\n' ? 'a newline' : op === '(' ? 'a subshell (' : `"${op}"`;
}

function lastRedirectEnd(cmd: Command): number {
  let end = 0;
  for (const r of cmd.redirects) if (r.target !== null && r.target.end > end) end = r.target.end;
  return end;
}

function closingParen(value: string, open: number): number {
  let depth = 0;
  for (let k = open; k < value.length && k < open + 4096; k++) {
    const c = value.charCodeAt(k);
    if (c === 40) depth++;
    else if (c === 41) { depth--; if (depth === 0) return k + 1; }
  }
  return value.length;
}

/** `${NAME#...}`, `${NAME##...}`, `${NAME:-...}`, `${NAME:=...}`, `${NAME:?...}`, `${NAME:+...}`, `${NAME^^}`, `${NAME,,}`. */
function parameterOperator(value: string): number {
  let guard = 0;
  for (let p = value.indexOf('${'); p >= 0 && guard++ < 64; p = value.indexOf('${', p + 2)) {
    let k = p + 2;
    while (k < value.length && k - p < 66 && (isAlpha(value.charCodeAt(k)) || value.charCodeAt(k) === 95 || (value.charCodeAt(k) >= 48 && value.charCodeAt(k) <= 57))) k++;
    if (k === p + 2) continue;
    const c = value.charCodeAt(k);
    const d = value.charCodeAt(k + 1);
    if (c === 35) return p; // #
    if (c === 58 && (d === 45 || d === 61 || d === 63 || d === 43)) return p; // :- := :? :+
    if ((c === 94 && d === 94) || (c === 44 && d === 44)) return p; // ^^ ,,
  }
  return -1;
}

/** `!-1`: bash history expansion, at the start of a word. */
function historyExpansion(value: string): number {
  let guard = 0;
  for (let p = value.indexOf('!-'); p >= 0 && guard++ < 64; p = value.indexOf('!-', p + 2)) {
    const before = p === 0 ? 32 : value.charCodeAt(p - 1);
    const d = value.charCodeAt(p + 2);
    if ((before === 32 || before === 33 || before === 59 || before === 38 || before === 124 || before === 9) && d >= 48 && d <= 57) return p;
  }
  return -1;
}

/** At `p` (an `!-N` that historyExpansion() found), two or more history designators follow each other. */
function repeatedHistory(value: string, p: number): boolean {
  let k = p + 2;
  while (k < value.length && value.charCodeAt(k) >= 48 && value.charCodeAt(k) <= 57) k++;
  return value.charCodeAt(k) === 33 && value.charCodeAt(k + 1) === 45 && value.charCodeAt(k + 2) >= 48 && value.charCodeAt(k + 2) <= 57;
}

/**
 * Where a command substitution (`` ` `` or `$(`) starts inside `${...}`, for at most 8 such expansions; none when
 * the value has no `${`. The braces must read as a shell expansion: the substitution right after `${`, or a name and
 * a default-value operator (`${x:-`, `${x=`, `${x:+`...) before it. JavaScript template literals nest differently
 * (`${n ? `a` : `b`}`, `${a.map(x => `...`)}`) and are left alone.
 */
function substitutionsInBraces(value: string): number[] {
  const out: number[] = [];
  let guard = 0;
  for (let p = value.indexOf('${'); p >= 0 && guard++ < 64 && out.length < 8; p = value.indexOf('${', p + 2)) {
    let k = p + 2;
    const c = value.charCodeAt(k);
    if (c !== 96 && !(c === 36 && value.charCodeAt(k + 1) === 40)) {
      while (k < value.length && k - p < 66 && isNameChar(value.charCodeAt(k))) k++;
      if (k === p + 2) continue;
      if (value.charCodeAt(k) === 58) k++; // `:-` `:=` `:+`
      const op = value.charCodeAt(k);
      if (op !== 45 && op !== 61 && !(op === 43 && value.charCodeAt(k - 1) === 58)) continue; // - = :+
      k++;
    }
    const at = substitutionInside(value, k, 123, 125);
    if (at >= 0) out.push(at);
  }
  return out;
}

function isNameChar(c: number): boolean {
  return isAlpha(c) || c === 95 || (c >= 48 && c <= 57);
}

/** An arithmetic expansion `$(( ))` holds a command substitution (`$(($(id)))`, `` $((`id`)) ``). */
function arithmeticWithSubstitution(value: string): boolean {
  let guard = 0;
  for (let p = value.indexOf('$(('); p >= 0 && guard++ < 64; p = value.indexOf('$((', p + 3)) {
    if (substitutionInside(value, p + 2, 40, 41) >= 0) return true;
  }
  return false;
}

/** From `from`, inside one open bracket (`open`/`close`), where a `` ` `` or `$(` starts before it closes, or -1. */
function substitutionInside(value: string, from: number, open: number, close: number): number {
  for (let k = from, depth = 1; k < value.length && k < from + 4096; k++) {
    const c = value.charCodeAt(k);
    if (c === 96 || (c === 36 && value.charCodeAt(k + 1) === 40)) return k;
    if (c === open) depth++;
    else if (c === close && --depth === 0) return -1;
  }
  return -1;
}

/** The whole value is `~+`, `~-`, `~+N` or `~-N`. */
function isTildeExpansion(value: string): boolean {
  const t = value.trim();
  if (t.length < 2 || t.length > 5 || t.charCodeAt(0) !== 126 || (t.charCodeAt(1) !== 43 && t.charCodeAt(1) !== 45)) return false;
  for (let k = 2; k < t.length; k++) if (t.charCodeAt(k) < 48 || t.charCodeAt(k) > 57) return false;
  return true;
}

function indexOfIfs(value: string): number {
  const a = value.indexOf('$IFS');
  const b = value.indexOf('${IFS');
  if (a < 0) return Math.max(0, b);
  if (b < 0) return a;
  return Math.min(a, b);
}

function devTcp(value: string): number {
  const a = value.indexOf('/dev/tcp/');
  if (a >= 0) return a;
  return value.indexOf('/dev/udp/');
}

function excerpt(value: string, start: number, end: number): string {
  const s = Math.max(0, Math.min(start, value.length));
  const e = Math.min(value.length, Math.max(end, s + 1), s + 120);
  return value.slice(s, e);
}
