/**
 * A small POSIX-shell (bash) lexer for the command injection detector. It reads a value the way `sh -c` would,
 * as far as injection matters: words with quote removal (`c'a't` is `cat`), backslash escapes, `$IFS` word
 * splitting, variable expansion (assigned in the value itself, a few well-known ones, and empty for the rest, as
 * an unset variable is), `${VAR:-default}` and `${VAR:offset:length}`, ANSI-C `$'...'` strings, brace expansion
 * (`{cat,/etc/passwd}`), command and process substitution (`$(...)`, backticks, `<(...)`), redirections, and the
 * operators that separate commands (`;`, `|`, `||`, `&`, `&&`, newline, parentheses).
 *
 * The result is a flat list of simple commands, each with how it was introduced (at the start of the value,
 * after an operator, inside a substitution) and what its words looked like before normalisation (quoted, split by
 * quotes or escapes, wildcards, unresolved variables). One pass, an explicit stack instead of recursion, bounded
 * output: linear in the length of the value.
 */

import { KNOWN_ENV, commandInfo } from './commands.ts';

export type Lead = 'start' | 'sep' | 'subst' | 'group';

export interface Word {
  /** The word after quote removal, escapes and the expansions the lexer can resolve. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Some part of it was quoted. */
  readonly quoted: boolean;
  /** Quotes, escapes, carets or empty expansions sit between its letters (`c'a't`, `\c\a\t`, `c$@at`). */
  readonly inner: boolean;
  /** Unquoted wildcard characters (`*`, `?`, `[`). */
  readonly glob: boolean;
  /** An expansion the lexer could not resolve (`$x` with x unknown). */
  readonly vars: boolean;
  /** Contains a command substitution. */
  readonly subst: boolean;
  /** Produced by brace expansion. */
  readonly brace: boolean;
}

export interface Redirect {
  readonly op: string;
  target: Word | null;
}

export interface Command {
  words: Word[];
  lead: Lead;
  /** The operator before the command (`;`, `|`, `&&`, `$(`, `` ` ``, `<(`, `(`, newline as `\n`); '' at the start. */
  op: string;
  opPos: number;
  /** No white space between that operator and the first word. */
  tight: boolean;
  redirects: Redirect[];
  /** The operator that ended the command ('' at the end of the value). */
  next: string;
  /** Nesting depth of substitutions around it. */
  depth: number;
  /**
   * Markdown code in a value that reads as prose: the substitution it sits in is a backtick span (inline code), or
   * the command follows a separator inside a code block (fenced by ``` lines, or indented after a blank line).
   */
  markdown: boolean;
}

export interface ShellParse {
  readonly commands: Command[];
  /** `$IFS` or `${IFS}` was used as a word separator. */
  ifs: boolean;
  /** An arithmetic expansion `$(( ... ))` or `$[ ... ]`. */
  arith: boolean;
  /** Variables assigned in the value (`a=c;b=at;$a$b`) and aliases (`alias x=cmd`). */
  readonly assigned: Map<string, string>;
  readonly aliases: Map<string, string>;
}

const MAX_COMMANDS = 20_000;
const MAX_WORDS = 40;
const MAX_DEPTH = 32;
const MAX_WORD_TEXT = 512;

/** A word being read; finished words without braces or splitting are handed out as they are (no copy). */
interface WordState {
  brace: boolean;
  text: string;
  start: number;
  end: number;
  quoted: boolean;
  inner: boolean;
  /** A quote, escape or empty expansion was seen after some text: more text makes it `inner`. */
  pending: boolean;
  glob: boolean;
  vars: boolean;
  subst: boolean;
  /** Text came from an unquoted variable expansion whose value has blanks (split into words). */
  split: boolean;
  /** First unquoted brace group: positions in `text`. */
  braceOpen: number;
  braceDepth: number;
  braceClose: number;
  commas: number[] | null;
}

interface Frame {
  readonly kind: '$(' | '`' | '<(' | '(';
  readonly outerCmd: Command;
  readonly outerWord: WordState | null;
  readonly outerDq: boolean;
  readonly start: number;
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 11 || c === 12;

/** Characters with a meaning to the lexer outside quotes; anything else is copied in runs. */
const SPECIAL = new Uint8Array(128);
for (const ch of ' \t\v\f\n\r;&|()<>\'"\\$`#*?[]{},+') SPECIAL[ch.charCodeAt(0)] = 1;
/** Inside double quotes. */
const SPECIAL_DQ = new Uint8Array(128);
for (const ch of '"\\$`') SPECIAL_DQ[ch.charCodeAt(0)] = 1;
const isNameStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function newWord(start: number): WordState {
  return { brace: false, text: '', start, end: start, quoted: false, inner: false, pending: false, glob: false, vars: false,
    subst: false, split: false, braceOpen: -1, braceDepth: 0, braceClose: -1, commas: null };
}

function resetWord(w: WordState, start: number): WordState {
  w.brace = false; w.text = ''; w.start = start; w.end = start; w.quoted = false; w.inner = false; w.pending = false;
  w.glob = false; w.vars = false; w.subst = false; w.split = false; w.braceOpen = -1; w.braceDepth = 0; w.braceClose = -1;
  w.commas = null;
  return w;
}

/** Appends literal text to a word, noting obfuscation when a marker sits between letters. */
function lit(w: WordState, s: string): void {
  if (s === '') return;
  if (w.pending) w.inner = true;
  w.pending = false;
  if (w.text.length < MAX_WORD_TEXT) w.text += s;
}

/** A quote, escape or empty expansion boundary. */
function mark(w: WordState): void {
  if (w.text !== '') w.pending = true;
}

function newCommand(lead: Lead, op: string, opPos: number, depth: number): Command {
  return { words: [], lead, op, opPos, tight: false, redirects: [], next: '', depth, markdown: false };
}

/**
 * Lexes `src` into simple commands. `plusIsSpace` reads `+` as a blank (form-encoded values that were never
 * decoded as forms).
 */
export function parseShell(src: string, plusIsSpace = false): ShellParse {
  const n = src.length;
  const commands: Command[] = [];
  const assigned = new Map<string, string>();
  const aliases = new Map<string, string>();
  const result: ShellParse = { commands, ifs: false, arith: false, assigned, aliases };
  const stack: Frame[] = [];
  let cmd = newCommand('start', '', 0, 0);
  let word: WordState | null = null;
  let dq = false; // inside double quotes
  let pendingRedirect: Redirect | null = null;
  let opEnd = 0; // where the last operator ended, for `tight`

  const acceptWord = (out: Word): void => {
    if (out.text === '' && !out.quoted && !out.subst) return; // an empty unquoted expansion vanishes
    if (pendingRedirect !== null) {
      pendingRedirect.target = out;
      pendingRedirect = null;
      return;
    }
    if (cmd.words.length === 0) {
      cmd.tight = out.start === opEnd;
      // NAME=value before the command: remember it for later `$NAME`
      const eq = out.text.indexOf('=');
      if (eq > 0 && isAssignment(out.text, eq)) {
        if (assigned.size < 64) assigned.set(out.text.slice(0, eq), out.text.slice(eq + 1));
      }
    } else if (cmd.words.length === 1 && cmd.words[0]!.text === 'alias') {
      const eq = out.text.indexOf('=');
      if (eq > 0 && aliases.size < 64) aliases.set(out.text.slice(0, eq), out.text.slice(eq + 1).trim());
    }
    if (cmd.words.length < MAX_WORDS) cmd.words.push(out);
  };

  const finishWord = (): void => {
    if (word === null) return;
    const w = word;
    word = null;
    // past the word budget of a command only redirect targets matter (prose makes very long "commands")
    if (cmd.words.length >= MAX_WORDS && pendingRedirect === null) return;
    if (!w.split && (w.braceOpen < 0 || w.commas === null)) { acceptWord(w); return; }
    for (const out of splitExpanded(w, expandBraces(w))) acceptWord(out);
  };

  /** A finished command that was not kept, recycled for the next one (padding costs no allocation). */
  let spare: Command | null = null;
  let lastInert = false;
  const finishCommand = (next: string): void => {
    finishWord();
    pendingRedirect = null;
    cmd.next = next;
    if (cmd.words.length === 0 && cmd.redirects.length === 0) { spare = cmd; return; }
    // past a first stretch, inert commands are not kept at all
    // (a pipe's right-hand side stays when its left-hand side was kept: it decides `x | sh`)
    if (commands.length >= 256) {
      const isInert = inert(cmd);
      const droppable = isInert && (!(cmd.op === '|' || cmd.op === '|&') || lastInert);
      lastInert = isInert;
      if (droppable) { spare = cmd; return; }
    }
    if (commands.length >= MAX_COMMANDS) compact(commands);
    if (commands.length < MAX_COMMANDS) commands.push(cmd);
  };

  const startCommand = (lead: Lead, op: string, pos: number, end: number): void => {
    if (spare !== null && spare !== cmd) {
      const c = spare;
      spare = null;
      for (const w of c.words) if (pool.length < 256 && 'braceOpen' in w) pool.push(w as WordState);
      c.words.length = 0;
      if (c.redirects.length > 0) c.redirects = [];
      c.lead = lead; c.op = op; c.opPos = pos; c.tight = false; c.next = ''; c.depth = stack.length; c.markdown = false;
      cmd = c;
    } else {
      cmd = newCommand(lead, op, pos, stack.length);
    }
    opEnd = end;
  };

  /** Word states of recycled commands, reused. */
  const pool: WordState[] = [];
  const ensureWord = (i: number): WordState => {
    if (word === null) word = pool.length > 0 ? resetWord(pool.pop()!, i) : newWord(i);
    return word;
  };

  let i = 0;
  while (i < n) {
    if (commands.length >= MAX_COMMANDS && compact(commands) >= MAX_COMMANDS) break;
    const c = src.charCodeAt(i);

    // ---- inside double quotes: only $, `, \ and the closing quote are special
    if (dq) {
      const w = ensureWord(i);
      if (c === 34) { // "
        dq = false;
        mark(w);
        i++;
        w.end = i;
        continue;
      }
      if (c === 92 && i + 1 < n) { // backslash: escapes only $ ` " \ and newline inside double quotes
        const d = src.charCodeAt(i + 1);
        if (d === 36 || d === 96 || d === 34 || d === 92) { mark(w); lit(w, src[i + 1]!); i += 2; continue; }
        if (d === 10) { i += 2; continue; }
        lit(w, '\\');
        i++;
        continue;
      }
      if (c === 36) { i = dollar(i, w); continue; }
      if (c === 96) { i = openBacktickOrClose(i); continue; }
      let j = i + 1;
      while (j < n) { const d = src.charCodeAt(j); if (d < 128 && SPECIAL_DQ[d] === 1) break; j++; }
      lit(w, src.slice(i, j));
      i = j;
      w.end = i;
      continue;
    }

    // ---- blanks
    if (isSpace(c) || (plusIsSpace && c === 43)) {
      finishWord();
      i++;
      continue;
    }

    // ---- newline and carriage return separate commands
    if (c === 10 || c === 13) {
      finishCommand('\n');
      startCommand('sep', '\n', i, i + 1);
      i++;
      continue;
    }

    // ---- comments: `#` at the start of a word
    if (c === 35 && word === null) {
      while (i < n && src.charCodeAt(i) !== 10 && src.charCodeAt(i) !== 13) i++;
      continue;
    }

    // ---- operators
    if (c === 59 /* ; */ || c === 38 /* & */ || c === 124 /* | */) {
      const d = i + 1 < n ? src.charCodeAt(i + 1) : 0;
      if (c === 38 && d === 62) { // &> redirect
        redirect('&>', i, 2);
        i += 2;
        continue;
      }
      let op = src[i]!;
      let len = 1;
      if ((c === 38 && d === 38) || (c === 124 && d === 124) || (c === 59 && d === 59)) { op += src[i + 1]; len = 2; }
      else if (c === 124 && d === 38) { op = '|&'; len = 2; }
      // a digit word right before `>&` is handled by redirect(); here `&` after `>` was consumed there
      finishCommand(op);
      startCommand('sep', op, i, i + len);
      i += len;
      continue;
    }
    if (c === 40) { // (
      const cw = word as WordState | null;
      if (cw !== null && cw.text === '' && !cw.quoted && !cw.subst) word = null;
      finishCommand('(');
      if (stack.length < MAX_DEPTH) stack.push({ kind: '(', outerCmd: cmd, outerWord: null, outerDq: false, start: i });
      startCommand('group', '(', i, i + 1);
      i++;
      continue;
    }
    if (c === 41) { // )
      const top = stack[stack.length - 1];
      if (top !== undefined && (top.kind === '$(' || top.kind === '<(')) { closeSubst(i); i++; continue; }
      if (top !== undefined && top.kind === '(') stack.pop();
      finishCommand(')');
      startCommand('group', ')', i, i + 1); // a word right after `)` is not a command bash would run
      i++;
      continue;
    }
    if (c === 60 || c === 62) { // < >
      const d = i + 1 < n ? src.charCodeAt(i + 1) : 0;
      if (d === 40) { // <( or >(: process substitution
        openSubst('<(', i, i + 2);
        i += 2;
        continue;
      }
      let len = 1;
      if (c === 60 && d === 60) len = i + 2 < n && src.charCodeAt(i + 2) === 60 ? 3 : 2;
      else if (d === 62 || d === 38 || d === 124 || (c === 60 && d === 62)) len = 2;
      redirect(src.slice(i, i + len), i, len);
      i += len;
      // `>&1`, `2>&1`: the fd number is not a file name
      if (len === 2 && d === 38) {
        const from = i;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
        if (i < n && src.charCodeAt(i) === 45) i++;
        if (i > from && pendingRedirect !== null) pendingRedirect = null;
      }
      continue;
    }

    // ---- word characters: plain runs first
    if (c >= 128 || SPECIAL[c] === 0) {
      const w = ensureWord(i);
      let j = i + 1;
      while (j < n) { const d = src.charCodeAt(j); if (d < 128 && SPECIAL[d] === 1) break; j++; }
      lit(w, src.slice(i, j));
      i = j;
      w.end = i;
      continue;
    }
    const w = ensureWord(i);
    if (c === 39) { // '...'
      w.quoted = true;
      mark(w);
      const close = src.indexOf("'", i + 1);
      const end = close < 0 ? n : close;
      lit(w, src.slice(i + 1, end));
      if (end === i + 1) w.pending = w.text !== '';
      else mark(w);
      i = close < 0 ? n : close + 1;
      w.end = i;
      continue;
    }
    if (c === 34) { // "
      w.quoted = true;
      mark(w);
      dq = true;
      i++;
      continue;
    }
    if (c === 92) { // backslash
      if (i + 1 >= n) { i++; continue; }
      const d = src.charCodeAt(i + 1);
      if (d === 10) { i += 2; continue; } // line continuation
      // `\ls`: an escaped first letter skips aliases, a trick of its own
      if (w.text === '' && !w.quoted && isNameStart(d)) w.pending = true;
      mark(w);
      lit(w, src[i + 1]!);
      i += 2;
      w.end = i;
      continue;
    }
    if (c === 36) { i = dollar(i, w); continue; }
    if (c === 96) { i = openBacktickOrClose(i); continue; }
    if (c === 42 || c === 63 || c === 91) w.glob = true; // * ? [
    if (c === 123) { // {
      if (w.braceOpen < 0 && w.braceClose < 0) { w.braceOpen = w.text.length; w.braceDepth = 1; }
      else if (w.braceDepth > 0) w.braceDepth++;
    } else if (c === 44 && w.braceDepth === 1) { // ,
      (w.commas ??= []).push(w.text.length);
    } else if (c === 125 && w.braceDepth > 0) { // }
      w.braceDepth--;
      if (w.braceDepth === 0) w.braceClose = w.text.length;
    }
    lit(w, src[i]!);
    i++;
    w.end = i;
  }
  // unterminated substitutions and quotes: close everything
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.kind === '(') { stack.pop(); continue; }
    closeSubst(n);
  }
  finishCommand('');
  markMarkdown(src, commands);
  markCodeBlocks(src, commands);
  markHtmlCode(src, commands);
  return result;

  // ---- helpers that share the lexer state -------------------------------------------------------------------

  function redirect(op: string, pos: number, len: number): void {
    // a word of digits right before the operator is a file descriptor (`2>`), not an argument
    if (word !== null && !word.quoted && word.end === pos && /^\d{1,2}$/.test(word.text)) word = null;
    finishWord();
    pendingRedirect = { op, target: null };
    if (cmd.redirects.length < 64) cmd.redirects.push(pendingRedirect);
    opEnd = pos + len;
  }

  function openSubst(kind: '$(' | '`' | '<(', pos: number, end: number): void {
    if (stack.length >= MAX_DEPTH) return;
    const outerWord = word;
    if (outerWord !== null) { outerWord.subst = true; mark(outerWord); }
    stack.push({ kind, outerCmd: cmd, outerWord, outerDq: dq, start: pos });
    word = null;
    dq = false;
    pendingRedirect = null;
    cmd = newCommand('subst', kind, pos, stack.length);
    opEnd = end;
  }

  function closeSubst(pos: number): void {
    const frame = stack.pop();
    if (frame === undefined) return;
    finishCommand(frame.kind === '`' ? '`' : ')');
    cmd = frame.outerCmd;
    word = frame.outerWord;
    dq = frame.outerDq;
    pendingRedirect = null;
    if (word === null) { word = newWord(frame.start); word.subst = true; }
    word.end = pos + 1;
    mark(word);
  }

  function openBacktickOrClose(pos: number): number {
    // Markdown code fences (```) are not substitutions
    if (src.startsWith('```', pos)) {
      finishCommand('\n');
      startCommand('sep', '\n', pos, pos + 3);
      let j = pos + 3;
      while (j < n && src.charCodeAt(j) === 96) j++;
      return j;
    }
    const top = stack[stack.length - 1];
    if (top !== undefined && top.kind === '`') { closeSubst(pos); return pos + 1; }
    openSubst('`', pos, pos + 1);
    return pos + 1;
  }

  /** `$` in a word: expansions and substitutions. Returns the next index. */
  function dollar(pos: number, w: WordState): number {
    const d = pos + 1 < n ? src.charCodeAt(pos + 1) : 0;
    if (d === 40) { // $( or $((
      if (pos + 2 < n && src.charCodeAt(pos + 2) === 40) {
        result.arith = true;
        const end = matchParens(src, pos + 1);
        w.subst = true;
        mark(w);
        // a constant (`$((7))z` is `7z`): the word is spelled with it
        const constant = src.slice(pos + 3, end - 2).trim();
        if (constant.length > 0 && constant.length <= 6 && isDigits(constant)) { lit(w, constant); mark(w); }
        w.end = end;
        return end;
      }
      openSubst('$(', pos, pos + 2);
      return pos + 2;
    }
    if (d === 91) { // $[ arithmetic ]
      result.arith = true;
      const close = src.indexOf(']', pos + 2);
      const end = close < 0 ? n : close + 1;
      w.subst = true;
      mark(w);
      w.end = end;
      return end;
    }
    if (d === 123) { // ${ ... }
      const end = matchBrace(src, pos + 1);
      const inner = src.slice(pos + 2, end - 1);
      const value = expandParameter(inner);
      if (value === null) { // ${IFS}: a blank
        result.ifs = true;
        if (dq) lit(w, ' ');
        else finishWord();
        return end;
      }
      if (value === '') { mark(w); w.vars = true; } else { mark(w); lit(w, value); }
      w.end = end;
      return end;
    }
    if (d === 39 && !dq) { // $'...': ANSI-C quoting
      const { text, end } = ansiC(src, pos + 2);
      w.quoted = true;
      mark(w);
      lit(w, text);
      mark(w);
      w.end = end;
      return end;
    }
    if (d === 34 && !dq) { // $"..." is "..."
      mark(w);
      return pos + 1;
    }
    if (isNameStart(d)) {
      let j = pos + 1;
      while (j < n && isNameChar(src.charCodeAt(j))) j++;
      const name = src.slice(pos + 1, j);
      if (name === 'IFS') {
        result.ifs = true;
        if (dq) lit(w, ' ');
        else finishWord();
        return j;
      }
      const value = assigned.get(name) ?? KNOWN_ENV.get(name);
      mark(w);
      if (value === undefined) w.vars = true;
      else { lit(w, value); if (!dq && value.includes(' ')) w.split = true; }
      w.end = j;
      return j;
    }
    if (d === 48 && !isDigit(src.charCodeAt(pos + 2)) && src.charCodeAt(pos + 2) !== 46) {
      // `$0` is the name of the shell that runs the command (`;$0 -c id`, `$0<<<id`)
      lit(w, 'sh');
      mark(w);
      w.end = pos + 2;
      return pos + 2;
    }
    if (isDigit(d) || d === 64 || d === 42 || d === 35 || d === 63 || d === 33 || d === 45 || d === 36 || d === 95) {
      // positional and special parameters: empty in an injected command (`$5` in prose is a price: no `vars`)
      mark(w);
      if (!isDigit(d)) w.vars = true;
      w.end = pos + 2;
      return pos + 2;
    }
    lit(w, '$');
    w.end = pos + 1;
    return pos + 1;
  }

  /** The value of `${...}`: null for IFS (a blank), '' when unknown. */
  function expandParameter(inner: string): string | null {
    let j = 0;
    const m = inner.length;
    if (m > 0 && (inner.charCodeAt(0) === 35 || inner.charCodeAt(0) === 33)) return ''; // ${#x} ${!x}
    while (j < m && isNameChar(inner.charCodeAt(j))) j++;
    const name = inner.slice(0, j);
    const rest = inner.slice(j);
    if (name === 'IFS') return null;
    const value = assigned.get(name) ?? KNOWN_ENV.get(name);
    if (rest === '') return value ?? '';
    if (rest.startsWith(':-') || rest.startsWith(':=') || rest.startsWith('-') || rest.startsWith('=')) {
      const def = rest.slice(rest.charCodeAt(0) === 58 ? 2 : 1);
      return value ?? unquote(def);
    }
    if (rest.charCodeAt(0) === 58 && value !== undefined) { // ${VAR:offset:length}
      const parts = rest.slice(1).split(':');
      const off = Number.parseInt(parts[0]!.trim(), 10);
      const len = parts.length > 1 ? Number.parseInt(parts[1]!.trim(), 10) : value.length;
      if (Number.isFinite(off) && Number.isFinite(len)) {
        const from = off < 0 ? Math.max(0, value.length + off) : off;
        return value.slice(from, from + Math.max(0, len));
      }
    }
    return value ?? '';
  }
}

function isDigits(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return true;
}

function isAssignment(text: string, eq: number): boolean {
  if (!isNameStart(text.charCodeAt(0))) return false;
  for (let k = 1; k < eq; k++) if (!isNameChar(text.charCodeAt(k))) return false;
  return true;
}

function unquote(s: string): string {
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 39 || c === 34 || c === 92) continue;
    out += s[k];
  }
  return out;
}

/** Index after the `)` that closes the `(` at `open` (nested parentheses counted), or the end. */
function matchParens(src: string, open: number): number {
  let depth = 0;
  for (let k = open; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c === 40) depth++;
    else if (c === 41) { depth--; if (depth === 0) return k + 1; }
  }
  return src.length;
}

/** Index after the `}` that closes the `{` at `open`, or the end. */
function matchBrace(src: string, open: number): number {
  let depth = 0;
  for (let k = open; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c === 123) depth++;
    else if (c === 125) { depth--; if (depth === 0) return k + 1; }
  }
  return src.length;
}

/** Decodes an ANSI-C quoted string starting after `$'`. */
function ansiC(src: string, from: number): { text: string; end: number } {
  let out = '';
  let k = from;
  while (k < src.length) {
    const c = src.charCodeAt(k);
    if (c === 39) return { text: out, end: k + 1 };
    if (c === 92 && k + 1 < src.length) {
      const e = src[k + 1]!;
      if (e === 'x' || e === 'u' || e === 'U') {
        const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        let j = k + 2;
        let v = 0;
        while (j < src.length && j < k + 2 + max && isHex(src.charCodeAt(j))) { v = v * 16 + hexVal(src.charCodeAt(j)); j++; }
        if (j > k + 2 && v <= 0x10ffff) out += String.fromCodePoint(v);
        k = j;
        continue;
      }
      if (e >= '0' && e <= '7') {
        let j = k + 1;
        let v = 0;
        while (j < src.length && j < k + 4 && src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 55) { v = v * 8 + src.charCodeAt(j) - 48; j++; }
        out += String.fromCharCode(v & 0xff);
        k = j;
        continue;
      }
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };
      out += simple[e] ?? e;
      k += 2;
      continue;
    }
    out += src[k];
    k++;
  }
  return { text: out, end: src.length };
}

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87);

/** A finished word, or the words its first brace group expands to (`{cat,/etc/passwd}`, `{l,-lh}s`). */
function expandBraces(w: WordState): Word[] {
  const base: Word = { text: w.text, start: w.start, end: w.end, quoted: w.quoted, inner: w.inner, glob: w.glob,
    vars: w.vars, subst: w.subst, brace: false };
  if (w.braceOpen < 0 || w.braceClose <= w.braceOpen || w.commas === null) return [base];
  const prefix = w.text.slice(0, w.braceOpen);
  const suffix = w.text.slice(w.braceClose + 1);
  const cuts = [w.braceOpen, ...w.commas, w.braceClose];
  const out: Word[] = [];
  // an empty alternative (`{id,}`, `{,ip,a}`) or letters glued to the group (`c{a,oun}t`) only make sense to a shell
  let trick = isWordChar(prefix.charCodeAt(prefix.length - 1)) || isWordChar(suffix.charCodeAt(0));
  for (let k = 0; k + 1 < cuts.length && out.length < 16; k++) {
    const alt = w.text.slice(cuts[k]! + 1, cuts[k + 1]!);
    if (alt === '') trick = true;
    const text = prefix + alt + suffix;
    if (text === '') continue;
    out.push({ ...base, text, brace: true, inner: w.inner });
  }
  if (trick) for (let k = 0; k < out.length; k++) out[k] = { ...out[k]!, inner: true };
  return out.length > 0 ? out : [base];
}

const isWordChar = (c: number): boolean => isNameChar(c);

/**
 * Makes room in a full command list by dropping inert commands: a plain first word that names no program, no
 * redirection, no substitution (and not the right-hand side of a pipe whose left-hand side names a program). (Padding a value with thousands of `;a` must not push
 * the payload past the end of what is inspected.) Returns the new length.
 */
function compact(commands: Command[]): number {
  let out = 0;
  let prevInert = false;
  for (let k = 0; k < commands.length; k++) {
    const c = commands[k]!;
    const piped = c.op === '|' || c.op === '|&';
    const isInert = inert(c);
    const drop = isInert && (!piped || prevInert);
    prevInert = isInert;
    if (!drop) commands[out++] = c;
  }
  commands.length = out;
  return out;
}

function inert(c: Command): boolean {
  if (c.redirects.length > 0 || c.lead === 'subst') return false;
  for (const w of c.words) {
    if (w.inner || w.glob || w.subst || w.brace || w.vars) return false;
    const t = w.text;
    if (t.length > 40) return false;
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c === 47 || c === 92 || c === 94 || c === 37) return false; // / \ ^ %: paths, Windows tricks
    }
    if (t.includes('=')) continue; // an assignment
    return commandInfo(t.toLowerCase()) === undefined;
  }
  return true;
}

/** Unquoted expansions are split at blanks: `c=cat;$c /etc/passwd` with `c='cat /etc/passwd'`. */
function splitExpanded(w: WordState, words: Word[]): Word[] {
  if (!w.split) return words;
  const out: Word[] = [];
  for (const word of words) {
    for (const part of word.text.split(' ')) {
      if (part !== '' && out.length < 16) out.push({ ...word, text: part, inner: true });
    }
  }
  return out;
}

/**
 * Backtick substitutions that read as Markdown inline code: the span has blanks on both sides and the value has
 * plain words outside it, three or one on each side. Those commands are marked, and the detector weighs them lower.
 */
function markMarkdown(src: string, commands: Command[]): void {
  let words: Int32Array | undefined;
  for (const c of commands) {
    if (c.lead !== 'subst' || c.op !== '`') continue;
    const charBefore = c.opPos > 0 ? src.charCodeAt(c.opPos - 1) : 32;
    const close = src.indexOf('`', c.opPos + 1);
    if (close < 0) continue;
    const charAfter = close + 1 < src.length ? src.charCodeAt(close + 1) : 32;
    const blankOrPunct = (x: number): boolean => x === 32 || x === 9 || x === 10 || x === 13 || x === 44 || x === 46 || x === 58 || x === 40 || x === 41 || x === 33 || x === 63;
    if (!blankOrPunct(charBefore) || !blankOrPunct(charAfter)) continue;
    words ??= proseWordsBefore(src);
    // The words outside the span: those ended before it and those ended after it (see proseWordsBefore); three, or
    // one on each side (`Run \`npm test\` first`)
    const before = words[c.opPos]!;
    const after = words[src.length + 1]! - words[close + 1]!;
    if (before + after >= 3 || (before >= 1 && after >= 1)) c.markdown = true;
  }
}

/**
 * Commands after a separator inside a Markdown code block of a value with at least three plain words on its other
 * lines (a post, an issue, a chat message with a snippet): a block is fenced by lines that start with ``` (up to
 * three spaces before them; a fence left open is no block), or is a run of lines indented by four spaces or a tab
 * after a blank line. One pass over the lines, only for values that have a fence or an indented line.
 */
function markCodeBlocks(src: string, commands: Command[]): void {
  if (commands.length === 0 || (!src.includes('```') && !src.includes('\n    ') && !src.includes('\n\t'))) return;
  const n = src.length;
  const from: number[] = [];
  const to: number[] = [];
  let words = 0;
  let fenceAt = -1;
  let lastBlank = true;
  let lastIndented = false;
  for (let ls = 0; ls < n;) {
    let le = src.indexOf('\n', ls);
    if (le < 0) le = n;
    let k = ls;
    while (k < le && src.charCodeAt(k) === 32) k++;
    const tab = k < le && src.charCodeAt(k) === 9;
    const blank = isBlankLine(src, k, le);
    if (k - ls <= 3 && src.startsWith('```', k)) {
      if (fenceAt < 0) fenceAt = ls;
      else { from.push(fenceAt); to.push(le); fenceAt = -1; }
      lastIndented = false;
    } else if (fenceAt >= 0) {
      // inside a fence: code, not prose
    } else if (!blank && (k - ls >= 4 || tab) && (lastBlank || lastIndented)) {
      from.push(Math.max(0, ls - 1)); // from the line break that starts the line
      to.push(le);
      lastIndented = true;
    } else {
      if (!blank) lastIndented = false;
      words += proseWordsIn(src, k, le);
    }
    lastBlank = blank;
    ls = le + 1;
  }
  if (from.length === 0 || words < 3) return;
  for (const c of commands) {
    if (c.lead !== 'sep') continue;
    // the last block that starts at or before the command
    let lo = 0;
    let hi = from.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (from[mid]! <= c.opPos) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found >= 0 && c.opPos < to[found]!) c.markdown = true;
  }
}

/**
 * Commands inside the `<code>` and `<pre>` elements of rich text (`<p>Run <code>make &amp;&amp; npm run
 * build</code>.</p>`), which are quoted code as Markdown's are. Only closed elements count, in values with a plain
 * word outside them, and only in values that have one (a case-insensitive look for `<code` and `<pre` first).
 */
function markHtmlCode(src: string, commands: Command[]): void {
  if (commands.length < 2 || !HTML_CODE_HINT.test(src)) return;
  const lower = src.toLowerCase();
  const from: number[] = [];
  const to: number[] = [];
  for (const tag of ['code', 'pre']) {
    for (let at = lower.indexOf('<' + tag); at !== -1 && from.length < 64; at = lower.indexOf('<' + tag, at + 1)) {
      const next = lower.charCodeAt(at + tag.length + 1);
      if (next !== 62 && next !== 32) continue; // `<code>` or `<code class=...>`, not `<codex>`
      const close = lower.indexOf(`</${tag}>`, at);
      if (close === -1) break;
      from.push(at);
      to.push(close);
    }
  }
  if (from.length === 0) return;
  // text around the code: at least one plain word outside every element (`<code>x;id;y</code>` alone is no text)
  let outside = 0;
  let last = 0;
  const order = from.map((_, k) => k).sort((a, b) => from[a]! - from[b]!);
  for (const k of order) {
    if (from[k]! > last) outside += proseWordsIn(src, last, from[k]!);
    last = Math.max(last, to[k]!);
  }
  outside += proseWordsIn(src, last, src.length);
  if (outside === 0) return;
  for (const c of commands) {
    if (c.lead !== 'sep' && c.lead !== 'subst') continue;
    for (let k = 0; k < from.length; k++) if (c.opPos > from[k]! && c.opPos < to[k]!) { c.markdown = true; break; }
  }
}
const HTML_CODE_HINT = /<(?:code|pre)[\s>]/i;

/** Only blanks (and a carriage return) between `from` and `to`. */
function isBlankLine(src: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = src.charCodeAt(k);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** Kana, CJK ideographs and Hangul syllables: letters of Japanese, Chinese and Korean prose, each a syllable or more. */
function isCjkLetter(c: number): boolean {
  return (c >= 0x3040 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3);
}

/**
 * Plain alphabetic words of 3+ letters (2+ kana, ideographs or Hangul syllables) between `from` and `to`, each
 * followed by a blank, punctuation or the end.
 */
function proseWordsIn(src: string, from: number, to: number): number {
  let count = 0;
  let run = 0;
  for (let k = from; k <= to; k++) {
    const c = k < to ? src.charCodeAt(k) : 32;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) { run++; continue; }
    if (isCjkLetter(c)) { run += 2; continue; } // `파일 보기`: a word of two syllables counts as one of 3+ letters
    if (run >= 3 && (c === 32 || c === 9 || c === 13 || c === 44 || c === 46 || c === 58 || c === 33 || c === 63)) count++;
    run = 0;
  }
  return count;
}

/**
 * Plain alphabetic words (3+ letters, outside backtick spans, followed by a blank, `,`, `.` or a line feed, or
 * ending the value), counted from the start: element k is the number of those ended (by the character after them)
 * before index k, element `length + 1` all of them. A span's two backticks toggle the in-span state of everything
 * after them twice and reset any word run, so the words outside a span are those ended before its first backtick
 * plus those ended after its second: one pass per value, not one per span (a value of many spans was quadratic).
 */
function proseWordsBefore(src: string): Int32Array {
  const n = src.length;
  const before = new Int32Array(n + 2);
  let count = 0;
  let run = 0;
  let inTick = false;
  for (let k = 0; k < n; k++) {
    before[k] = count;
    const c = src.charCodeAt(k);
    if (c === 96) { inTick = !inTick; run = 0; continue; }
    if (inTick) continue;
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (letter) run++;
    else if (isCjkLetter(c)) run += 2;
    else {
      if (run >= 3 && (c === 32 || c === 44 || c === 46 || c === 10)) count++;
      run = 0;
    }
  }
  before[n] = count;
  before[n + 1] = run >= 3 ? count + 1 : count;
  return before;
}
