/**
 * Windows command lines for the command injection detector: the cmd.exe `for` and `if` grammars, caret and quote
 * obfuscation of cmd.exe words (`w^h^o^a^m^i`, `who""ami`), backtick obfuscation of PowerShell words
 * (`I`nv`oke-Expression`), and the .NET download-and-run idioms of PowerShell one-liners.
 */

import { commandInfo, K } from './commands.ts';

export interface WindowsHit {
  readonly rule: string;
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 44 || c === 59;
const isSeparator = (c: number): boolean => c === 38 || c === 124 || c === 10 || c === 13;

/** Tokens of one cmd.exe command (from `from` to `to`): blanks split, parentheses stand alone, quotes are kept. */
function tokenize(value: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to && tokens.length < 64) {
    const c = value.charCodeAt(i);
    if (isBlank(c)) { i++; continue; }
    if (c === 40 || c === 41) {
      tokens.push({ text: value[i]!, start: i, end: i + 1 });
      i++;
      continue;
    }
    const start = i;
    while (i < to) {
      const d = value.charCodeAt(i);
      if (isBlank(d) || d === 40 || d === 41) break;
      if (d === 34) { // a quoted part stays in the token, blanks included
        const close = value.indexOf('"', i + 1);
        i = close < 0 || close >= to ? to : close + 1;
        continue;
      }
      i++;
    }
    tokens.push({ text: value.slice(start, i), start, end: i });
  }
  return tokens;
}

/** Is `pos` the first word of a command: only blanks between it and the start, a separator or `(`? */
function isCommandStart(value: string, pos: number): boolean {
  let k = pos - 1;
  while (k >= 0 && isBlank(value.charCodeAt(k))) k--;
  if (k < 0) return true;
  const c = value.charCodeAt(k);
  return isSeparator(c) || c === 40;
}

/** Where a command's first word starts, for the words that matter: `for`, `if`, and words with `^`, `` ` ``, `""`. */
function candidateStarts(value: string, low: string): number[] {
  const found = new Set<number>();
  for (const kw of ['for', 'if']) {
    let guard = 0;
    for (let p = low.indexOf(kw); p >= 0 && guard++ < 8192; p = low.indexOf(kw, p + 1)) {
      const after = low.charCodeAt(p + kw.length);
      if (!(isBlank(after) || after === 47 || after === 40)) continue; // `for `, `if/i`, `if(`
      let start = p;
      if (start > 0 && value.charCodeAt(start - 1) === 64) start--; // @for
      if (isCommandStart(value, start)) found.add(start);
    }
  }
  for (const marker of ['^', '`', '""']) {
    let guard = 0;
    for (let p = value.indexOf(marker); p >= 0 && guard++ < 4096; p = value.indexOf(marker, p + 1)) {
      let start = p;
      while (start > 0 && p - start < 64 && !isBlank(value.charCodeAt(start - 1)) && !isSeparator(value.charCodeAt(start - 1)) && value.charCodeAt(start - 1) !== 40) start--;
      if (isCommandStart(value, start)) found.add(start);
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** End of the command that starts at `start`: the next `&`, `|` or newline. */
function commandEnd(value: string, start: number): number {
  let k = start;
  while (k < value.length && !isSeparator(value.charCodeAt(k))) k++;
  return k;
}

const lower = (t: Token | undefined): string => (t === undefined ? '' : t.text.toLowerCase());

/** `%i`, `%%i`, `%~`, `%_`: a `for` loop variable. */
function isLoopVar(t: string): boolean {
  if (t.charCodeAt(0) !== 37) return false;
  const name = t.charCodeAt(1) === 37 ? t.slice(2) : t.slice(1);
  if (name.length <= 1) return true; // %i, %%i, %~, %%
  return name.length <= 32 && isIdentifier(name); // %variable (as written in documentation)
}

function isSwitch(t: string): boolean {
  return t.length === 2 && t.charCodeAt(0) === 47;
}

/** A word cmd.exe could run after an `if` condition: a known command, a keyword, a block or a label jump. */
function isContinuation(t: string): boolean {
  if (t === '(' || t === '...' || t === 'if' || t === 'goto' || t === 'call' || t === 'exit' || t === 'set') return true;
  const bare = t.startsWith('@') ? t.slice(1) : t;
  return commandInfo(bare) !== undefined;
}

function isIdentifier(t: string): boolean {
  if (t === '') return false;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/** A file-ish operand: has a dot, a backslash, a drive colon, a quote or a percent variable. */
function isFileish(t: string): boolean {
  return t.includes('.') || t.includes('\\') || t.includes(':') || t.includes('"') || t.includes('%');
}

const COMPARATORS = new Set(['equ', 'neq', 'lss', 'leq', 'gtr', 'geq']);

function forLoop(tokens: Token[]): boolean {
  let j = 1;
  while (j < tokens.length && isSwitch(lower(tokens[j]))) {
    const sw = lower(tokens[j]);
    j++;
    if (sw === '/r' && j < tokens.length && !tokens[j]!.text.startsWith('%')) j++; // root path
    if (sw === '/f' && j < tokens.length && tokens[j]!.text.startsWith('"')) j++; // "options"
  }
  if (!isLoopVar(tokens[j]?.text ?? '')) return false;
  if (lower(tokens[j + 1]) !== 'in' || tokens[j + 2]?.text !== '(') return false;
  for (let k = j + 3; k < tokens.length; k++) {
    if (tokens[k]!.text === ')') return lower(tokens[k + 1]).startsWith('do');
  }
  return false;
}

function ifStatement(tokens: Token[]): boolean {
  let j = 1;
  if (lower(tokens[j]) === '/i') j++;
  if (lower(tokens[j]) === 'not') j++;
  const key = lower(tokens[j]);
  const rest = (from: number): string[] => tokens.slice(from).map((t) => t.text.toLowerCase());
  if (key === 'exist' || key === 'defined') {
    let k = j + 1;
    let operand = lower(tokens[k]);
    if (operand === '(') { // IF EXIST (C:\file) ...
      while (k < tokens.length && tokens[k]!.text !== ')') k++;
      operand = 'x.x';
    }
    const next = rest(k + 1);
    if (next.length === 0) return false;
    if (key === 'defined' && !isIdentifier(operand) && !operand.includes('%')) return false;
    return isContinuation(next[0]!) || (isFileish(operand) && next.length > 0 && key === 'exist');
  }
  if (key === 'errorlevel' || key === 'cmdextversion') {
    return /^\d{1,5}$/.test(lower(tokens[j + 1])) && tokens.length > j + 2;
  }
  const a = lower(tokens[j]);
  if (a === '') return false;
  if (a.includes('==')) return tokens.length > j + 1;
  if (a === '(') { // if (1) equ (1) echo, IF (2 GEQ 15) echo
    let k = j + 1;
    let inside = false;
    while (k < tokens.length && tokens[k]!.text !== ')') { if (COMPARATORS.has(lower(tokens[k])) || lower(tokens[k]).includes('==')) inside = true; k++; }
    if (inside) return tokens.length > k + 1;
    const op = lower(tokens[k + 1]);
    return (COMPARATORS.has(op) || op.startsWith('==')) && tokens.length > k + 3;
  }
  const op = lower(tokens[j + 1]);
  // (a right operand that ends a Python block header, `if __name__ == "__main__":`, is no cmd.exe comparison)
  if (op === '==') return tokens.length > j + 2 && !lower(tokens[j + 2]).endsWith(':');
  if (op.startsWith('==')) return tokens.length > j + 2;
  if (COMPARATORS.has(op)) return tokens.length > j + 3;
  return false;
}

/**
 * PowerShell/.NET idioms that fetch or decode code and run it (download cradles, in-memory loading, Defender
 * exclusions, hidden windows). One case-insensitive alternation of literals: linear, no nested quantifiers.
 */
const POWERSHELL_IDIOMS = /\.(?:download(?:string|file|data)|uploadstring)\(|net\.webclient|::frombase64string\(|\[reflection\.assembly\]::load|-encodedcommand|iex(?:\(| \((?:new-object|\[|\(new-object))|invoke-(?:shellcode|mimikatz)|(?:set|add)-mppreference|-executionpolicy bypass|-ep bypass|-windowstyle hidden|new-object (?:io\.memorystream|system\.io\.streamreader|-com)|system\.diagnostics\.process|wscript\.shell|shell\.application/i;

/**
 * A word with carets, empty `""` pairs or backticks between its letters, without them and in lower case (without
 * `.exe`); null when it has none.
 */
function deobfuscated(raw: string): string | null {
  let clean = '';
  let marked = false;
  let pending = false;
  for (let k = 0; k < raw.length; k++) {
    const c = raw.charCodeAt(k);
    if (c === 94 || c === 96 || (c === 34 && raw.charCodeAt(k + 1) === 34)) {
      if (clean !== '') pending = true;
      if (c === 34) k++;
      continue;
    }
    if (c === 34) return null;
    if (pending) marked = true;
    pending = false;
    clean += raw[k];
  }
  if (!marked || clean.length < 2) return null;
  const low = clean.toLowerCase();
  return low.endsWith('.exe') ? low.slice(0, -4) : low;
}

/** Windows findings in `value`. */
export function windowsHits(value: string): WindowsHit[] {
  const hits: WindowsHit[] = [];
  const low = (value.length <= 65536 ? value : value.slice(0, 65536)).toLowerCase();
  // The end found for one command is that of every later start before it (candidates in one long command were
  // quadratic, each read to the end).
  let searchedFrom = -1;
  let commandTo = -1;
  for (const start of candidateStarts(value, low)) {
    if (!(searchedFrom >= 0 && searchedFrom <= start && start <= commandTo)) {
      searchedFrom = start;
      commandTo = commandEnd(value, start);
    }
    const tokens = tokenize(value, start, commandTo);
    if (tokens.length === 0) continue;
    const first = tokens[0]!;
    let head = first.text.toLowerCase();
    if (head.startsWith('@')) head = head.slice(1);
    const end = tokens[tokens.length - 1]!.end;
    if (head === 'if/i') { // if/i a==b: the switch glued to the keyword
      const rest: Token[] = [{ text: 'if', start: first.start, end: first.start + 2 }, { text: '/i', start: first.start + 2, end: first.end }, ...tokens.slice(1)];
      if (ifStatement(rest)) hits.push({ rule: 'cmdi-windows-if', message: 'cmd.exe conditional (if exist/defined/errorlevel/==)', start: first.start, end });
      continue;
    }
    if (head === 'for' && forLoop(tokens)) {
      hits.push({ rule: 'cmdi-windows-for', message: 'cmd.exe for loop (for %v in (...) do ...)', start: first.start, end });
    } else if (head === 'if' && tokens.length >= 3 && ifStatement(tokens)) {
      hits.push({ rule: 'cmdi-windows-if', message: 'cmd.exe conditional (if exist/defined/errorlevel/==)', start: first.start, end });
    }
    // obfuscated words: carets and empty quotes (cmd.exe), backticks (PowerShell), between letters
    const name = first.text.length <= 64 ? deobfuscated(first.text) : null;
    if (name !== null) {
      const info = commandInfo(name);
      if (info !== undefined && ((info.kind & (K.windows | K.powershell)) !== 0 || (info.kind & K.common) === 0)) {
        hits.push({ rule: 'cmdi-obfuscated-command', message: `obfuscated command word (${name})`, start: first.start, end: first.end });
      }
    }
  }
  const idiom = powershellIdiom(value);
  if (idiom !== null) hits.push(idiom);
  return hits;
}

/**
 * Two characters that every alternative of POWERSHELL_IDIOMS contains, in either case: `.d` `.u` `.w` `.s` `.a`
 * (`.downloadstring(`, `.uploadstring(`, `net.webclient`, `wscript.shell`, `shell.application`,
 * `system.diagnostics`), `::` (`::frombase64string(`, `]::load`), `-e` `-m` `-s` `-w` `-o` (`-encodedcommand`,
 * `-executionpolicy`, `-ep`, `-mppreference`, `invoke-shellcode`, `invoke-mimikatz`, `-windowstyle`,
 * `new-object`), `x(` or `x (` (`iex(`, `iex (`). (Without the `u` flag, `/i` only pairs ASCII letters with
 * their ASCII case partners, so listing both cases is the same.) A value without any of them is ruled out by
 * a scan far cheaper than the alternation's.
 */
const IDIOM_HINT = /\.[ADSUWadsuw]|-[EMOSWemosw]|::|[Xx] ?\(/;

/** A PowerShell download-and-run idiom in `value`, or null. */
export function powershellIdiom(value: string): WindowsHit | null {
  if (!IDIOM_HINT.test(value)) return null;
  const m = POWERSHELL_IDIOMS.exec(value.length <= 65536 ? value : value.slice(0, 65536));
  if (m === null) return null;
  return { rule: 'cmdi-powershell', message: `PowerShell idiom ${m[0].toLowerCase()}`, start: m.index, end: Math.min(value.length, m.index + 80) };
}
