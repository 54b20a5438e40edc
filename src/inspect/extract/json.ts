import type { InputSource, InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { strictUtf8Text } from './charset.ts';
import { escapeText, LONE_SURROGATE, readEscape, readNumber, skipWs } from './json-lexical.ts';
import { isJsonFilterOperator, isQueryOperator, isSecretField } from '../query-operators.ts';

/**
 * A strict JSON walker (RFC 8259) that turns a document into inputs: every key (`isName`) and every string, number
 * and boolean value, located by JSON path (`body:$.items[2].name`, `body:$['a b']`).
 *
 * Its own linear parser, not JSON.parse, because a WAF must refuse what backends read differently
 * (checklist F1-F5): duplicate keys (JSON.parse keeps the last, other parsers the first), invalid UTF-8 and lone
 * surrogates, raw control characters, a BOM, trailing commas or garbage. Nesting is tracked on an explicit stack and
 * bounded (`json_too_deep`), so a `[`×10⁶ body costs one linear pass and no JS recursion.
 */
export interface JsonOptions {
  /** Deepest nesting of objects and arrays accepted (default 512, as SecRequestBodyJsonDepthLimit). */
  readonly maxDepth?: number;
  readonly maxInputs?: number;
  /** Location prefix, put before the `$` path; default `body:`. Embedded JSON uses e.g. `query:q:json:`. */
  readonly prefix?: string;
  readonly source?: InputSource;
  /** Emit numbers and booleans as inputs too (default true). */
  readonly scalars?: boolean;
  /** Name given to values that have no key (the document itself, top-level array items); default ''. */
  readonly rootName?: string;
  /**
   * Emit each distinct key once, at its first location (default false: every occurrence). An array of 500 records
   * otherwise yields 500 copies of each field name, which count against the request's input budget.
   */
  readonly uniqueKeys?: boolean;
}

export const DEFAULT_JSON_MAX_DEPTH = 512;

const OBJECT = 0;
const ARRAY = 1;

// Modes of the parser loop.
const VALUE = 0;
const AFTER = 1;
const KEY = 2;

// readString results (negative): the string failed.
const BAD_STRING = -1;
const BAD_UTF16 = -2;

/** ASCII characters that end the fast scan of a string: the quote, the backslash, controls. */
const STOP = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) STOP[c] = 1;
STOP[0x22] = 1;
STOP[0x5c] = 1;

/** Path steps `[0]`, `[1]`, ... for the first array items, built once: most arrays are short. */
const INDEX_STEPS: string[] = Array.from({ length: 256 }, (_, index) => '[' + index + ']');

function indexStep(index: number): string {
  return index < INDEX_STEPS.length ? INDEX_STEPS[index]! : '[' + index + ']';
}

/** The string read by the last readString call. */
let readValue = '';

function isIdentifier(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24;
    if (!letter && !(i > 0 && c >= 0x30 && c <= 0x39)) return false;
  }
  return true;
}

/**
 * A member `prototype` of a member `constructor` (`{"constructor": {"prototype": {...}}}`): a merge of the document
 * into an object writes onto `Object.prototype`. Each name alone is ordinary (and, when names are emitted once, the
 * second may not be emitted at this place at all), so the path itself becomes a name input, `constructor.prototype`,
 * which is what the prototype-pollution detector reads in a parameter name.
 */
function walksIntoPrototype(parentPath: string, key: string): boolean {
  return key.toLowerCase() === 'prototype' && parentPath.toLowerCase().endsWith('.constructor');
}

/**
 * `{"class": {"module": {"classLoader": ...}}}`: Spring's data binding walks a JSON object's members as it walks a
 * dotted parameter name (`class.module.classLoader`), so the path is read as that name too (Spring4Shell).
 */
function walksIntoClassLoader(parentPath: string, key: string): boolean {
  if (key.toLowerCase() !== 'classloader') return false;
  const parent = parentPath.toLowerCase();
  return parent.endsWith('.module') || parent.endsWith('.class');
}

function classLoaderPath(source: InputSource, location: string): InspectedInput {
  return { source, name: 'class.module.classLoader', location, value: 'class.module.classLoader', isName: true };
}

function prototypePath(source: InputSource, location: string): InspectedInput {
  return { source, name: 'constructor.prototype', location, value: 'constructor.prototype', isName: true };
}

/** A JSON filter operator without `$` under a secret (`"password": {"startsWith": "a"}`): read with its holder too. */
function secretFilter(key: string, holder: string): boolean {
  return holder !== '' && isJsonFilterOperator(key) && isSecretField(holder);
}

/**
 * A query operator used as a member name (`{"price": {"$gte": 10}}`), read together with the member that holds it:
 * `price[$gte]`, as a query string writes it, so that the NoSQL detector can tell a filter on an ordinary field from
 * one on a credential. Emitted on every occurrence (not once per document: `{"a": {"$ne": 1}, "password": {"$ne": 1}}`
 * has two), and alone (`$or`) at the top of the document.
 */
function operatorKeyInput(source: InputSource, key: string, holder: string, location: string): InspectedInput {
  const value = holder === '' ? key : `${holder}[${key}]`;
  return { source, name: key, location, value, isName: true };
}

/** The path step for an object member: `.name`, or `['a b']` with `'` and `\` escaped. */
export function memberPath(key: string): string {
  if (isIdentifier(key)) return '.' + key;
  let escaped = '';
  let runStart = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x27 || c === 0x5c) { escaped += key.slice(runStart, i) + '\\' + key[i]; runStart = i + 1; }
  }
  return "['" + escaped + key.slice(runStart) + "']";
}


/**
 * The bytes of the document being read when it is ASCII (one byte per character), else undefined. Values are then
 * cut from the bytes as flat strings rather than sliced from the text: V8 makes a slice of 13 characters or more a
 * view into its parent, and every detector reads each value character by character, about a third slower on a view.
 */
let asciiBytes: Buffer | undefined;

/** Strings shorter than this are copied by `slice` anyway. */
const FLAT_MIN_LENGTH = 13;

/**
 * True while the document being read was decoded from bytes by the strict UTF-8 decoder: then it holds no lone
 * surrogate (well-formed UTF-8 decodes to well-formed UTF-16), and a string is plain when no backslash or control
 * character comes before its closing quote, which native searches find (plainSearchedEnd).
 */
let wellFormed = false;

/**
 * In a well-formed document, the next backslash and the next control character at or after where the parser is
 * (the length when there is none), found by native searches and found again only once the parser has passed them:
 * a string is plain when its closing quote comes first. A minified document is searched once for each; a pretty one
 * once per line for controls.
 */
let nextBackslash = -1;
let nextControl = -1;
const CONTROL_CHAR = /[\x00-\x1f]/g;

/** plainStringEnd for a well-formed document, by native searches (see above). */
function plainSearchedEnd(text: string, start: number): number {
  const quote = text.indexOf('"', start + 1);
  if (quote < 0) return -1;
  if (nextBackslash <= start) {
    nextBackslash = text.indexOf('\\', start + 1);
    if (nextBackslash < 0) nextBackslash = text.length;
  }
  if (nextBackslash < quote) return -1;
  if (nextControl <= start) {
    CONTROL_CHAR.lastIndex = start + 1;
    const control = CONTROL_CHAR.exec(text);
    nextControl = control === null ? text.length : control.index;
  }
  return nextControl < quote ? -1 : quote + 1;
}

/** Reads the string whose opening quote is at `start`; sets readValue and returns the index after the closing quote. */
function readString(text: string, start: number): number {
  const end = plainStringEnd(text, start);
  if (end > 0) {
    readValue = asciiBytes !== undefined && end - start - 1 > FLAT_MIN_LENGTH ? asciiBytes.toString('latin1', start + 1, end - 1) : text.slice(start + 1, end - 1);
    return end;
  }
  // Escapes, a control character, a surrogate or no closing quote (rare): read again, one character at a time.
  const n = text.length;
  let i = start + 1;
  let out = '';
  let runStart = i;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { readValue = out + text.slice(runStart, i); return i + 1; }
    if (c < 0x20) return BAD_STRING;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A raw surrogate (only possible when the caller passed a string): it must be a proper pair.
      const next = text.charCodeAt(i + 1);
      if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) return BAD_UTF16;
      i++;
      continue;
    }
    if (c !== 0x5c) continue;
    out += text.slice(runStart, i);
    i = readEscape(text, i);
    if (i < 0) return i === LONE_SURROGATE ? BAD_UTF16 : BAD_STRING;
    out += escapeText;
    runStart = i + 1;
  }
  return BAD_STRING;
}




/**
 * Member names repeat (every record of an array has the same ones): each document keeps the last name seen per slot
 * of a small table keyed by length and end characters, so a repeated name is compared in place with the text and its
 * earlier string reused. No string is cut for it, and the checks for duplicate and already emitted names hash a
 * string they have hashed before.
 */
const KEY_SLOTS = 64;

/** Members of an object whose names are checked for duplicates by a linear scan; past this, by a Set. */
const OPEN_KEYS_MAX = 16;

/**
 * The index after the closing quote of the string whose opening quote is at `start`, when it holds no escape, no
 * control character and no surrogate (then its text is exactly what is between the quotes); else -1.
 */
function plainStringEnd(text: string, start: number): number {
  if (wellFormed) return plainSearchedEnd(text, start);
  const n = text.length;
  for (let i = start + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 ? STOP[c] === 1 : c >= 0xd800 && c <= 0xdfff) return c === 0x22 ? i + 1 : -1;
  }
  return -1;
}

/**
 * True when `text` holds `name` at `at` (the caller checked that it fits). A loop rather than `startsWith`: names are
 * short, and a native comparison of a one-byte name with a two-byte document (any non-ASCII body) costs more.
 */
function sameAt(text: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (text.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  return true;
}

function invalid(message: string, at: number): { problem: { reason: string; message: string } } {
  return failure('json_invalid', `${message} at offset ${at}`);
}

function stringProblem(code: number, at: number): { problem: { reason: string; message: string } } {
  return code === BAD_UTF16
    ? failure('json_invalid_utf8', `lone UTF-16 surrogate in a string at offset ${at}`)
    : invalid('malformed string (control character, bad escape or no closing quote)', at);
}

/** Extracts the keys and values of a JSON document. Never throws. */
export function extractJson(body: string | Uint8Array, options: JsonOptions = {}): ExtractResult {
  if (typeof body === 'string') return extractJsonText(body, options);
  const text = strictUtf8Text(body);
  if (text === undefined) return failure('json_invalid_utf8', 'the JSON body is not valid UTF-8');
  // As many characters as bytes: every byte is ASCII (a UTF-8 sequence of 2 to 4 bytes gives 1 or 2 code units).
  if (text.length === body.length) asciiBytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  wellFormed = true;
  nextBackslash = -1;
  nextControl = -1;
  try {
    return extractJsonText(text, options);
  } finally {
    asciiBytes = undefined;
    wellFormed = false;
  }
}

function extractJsonText(text: string, options: JsonOptions): ExtractResult {
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const prefix = options.prefix ?? 'body:';
  const source = options.source ?? 'body';
  const scalars = options.scalars ?? true;
  const rootName = options.rootName ?? '';
  const emittedKeys = options.uniqueKeys === true ? new Set<string>() : undefined;
  const n = text.length;

  const inputs: InspectedInput[] = [];
  const kinds: number[] = [];
  const paths: string[] = [];
  const names: string[] = [];
  const indexes: number[] = [];
  /**
   * Names of the open objects' members, for the duplicate check: one list for all of them, each object's from
   * keyStarts[level] to the end (an inner object's names come after its parent's and go when it closes), scanned
   * linearly; an object past OPEN_KEYS_MAX members moves its names to a Set of its own (keySets[level]). No
   * allocation per object: a list per object was a quarter of what extracting a 10 KB document allocated.
   */
  const openKeys: string[] = [];
  const keyStarts: number[] = [];
  const keySets: (Set<string> | undefined)[] = [];
  /** Member names met so far and their path steps, by slot (see KEY_SLOTS). */
  const keyNames: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS);
  const keySteps: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS);
  /** With uniqueKeys: whether the name in each slot was emitted already (no Set lookup for a repeated name). */
  const keyEmitted: boolean[] = new Array<boolean>(KEY_SLOTS).fill(false);
  /**
   * Records of an array have the same members in the same order: the names (and path steps) of the last object
   * closed at each nesting level are the guesses for the next object's at that level, checked in place (the guessed
   * name, then a quote). A name read with escapes is no guess (undefined): only text equal to the name is. While
   * every name of an object so far was its guess, its names are those of the previous object, which were distinct,
   * so the duplicate check has nothing to find; and a guessed name was emitted with the previous object.
   */
  const guessNames: (string | undefined)[][] = [];
  const guessSteps: string[][] = [];
  const readNames: (string | undefined)[][] = [];
  const readSteps: string[][] = [];
  /** Per open container: members read so far, and whether each was the guess. */
  const memberCounts: number[] = [];
  const allGuessed: boolean[] = [];

  // Paths carry the location prefix, so an input's location is the path itself.
  let path = prefix + '$';
  let name = rootName;
  let mode = VALUE;
  let i = skipWs(text, 0);

  for (;;) {
    if (mode === VALUE) {
      if (i >= n) return invalid('unexpected end of document', i);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const end = readString(text, i);
        if (end < 0) return stringProblem(end, i);
        if (readValue !== '') {
          inputs.push({ source, name, location: path, value: readValue });
          if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
        }
        i = end;
        mode = AFTER;
      } else if (c === 0x7b || c === 0x5b) {
        if (kinds.length >= maxDepth) return failure('json_too_deep', `JSON nested deeper than ${maxDepth} levels`);
        const isObject = c === 0x7b;
        kinds.push(isObject ? OBJECT : ARRAY);
        paths.push(path);
        names.push(name);
        indexes.push(0);
        keyStarts.push(openKeys.length);
        keySets.push(undefined);
        memberCounts.push(0);
        allGuessed.push(true);
        i = skipWs(text, i + 1);
        const close = text.charCodeAt(i);
        if (close === (isObject ? 0x7d : 0x5d)) {
          i++;
          kinds.pop(); paths.pop(); names.pop(); indexes.pop(); keyStarts.pop(); keySets.pop(); memberCounts.pop(); allGuessed.pop();
          mode = AFTER;
        } else if (isObject) {
          mode = KEY;
        } else {
          path = path + INDEX_STEPS[0];
        }
      } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
        const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
        if (!text.startsWith(word, i)) return invalid('unexpected literal', i);
        if (scalars && c !== 0x6e) {
          inputs.push({ source, name, location: path, value: word });
          if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
        }
        i += word.length;
        mode = AFTER;
      } else {
        const end = readNumber(text, i);
        if (end < 0) return invalid('unexpected character', i);
        if (scalars) {
          inputs.push({ source, name, location: path, value: text.slice(i, end) });
          if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
        }
        i = end;
        mode = AFTER;
      }
    } else if (mode === AFTER) {
      i = skipWs(text, i);
      const top = kinds.length - 1;
      if (top < 0) {
        if (i !== n) return invalid('data after the JSON document', i);
        return { inputs };
      }
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i = skipWs(text, i + 1);
        if (kinds[top] === OBJECT) mode = KEY;
        else {
          const index = indexes[top]! + 1;
          indexes[top] = index;
          path = paths[top]! + indexStep(index);
          name = names[top]!;
          mode = VALUE;
        }
      } else if (c === (kinds[top] === OBJECT ? 0x7d : 0x5d)) {
        i++;
        openKeys.length = keyStarts.pop()!;
        const read = memberCounts.pop()!;
        if (kinds[top] === OBJECT && read > 0) {
          // This object's names become the guesses for the next object at its level.
          const doneNames = readNames[top]!;
          const doneSteps = readSteps[top]!;
          doneNames.length = read;
          doneSteps.length = read;
          readNames[top] = guessNames[top] ?? [];
          readSteps[top] = guessSteps[top] ?? [];
          guessNames[top] = doneNames;
          guessSteps[top] = doneSteps;
        }
        kinds.pop(); paths.pop(); names.pop(); indexes.pop(); keySets.pop(); allGuessed.pop();
      } else {
        return invalid(i >= n ? 'unexpected end of document' : 'expected "," or a closing bracket', i);
      }
    } else {
      // KEY: at a member name, after "{" or ",".
      if (text.charCodeAt(i) !== 0x22) return invalid(i >= n ? 'unexpected end of document' : 'expected a member name', i);
      // A name without escapes that this document had before is matched in place and its string and path step
      // reused (see KEY_SLOTS); any other is read as a string.
      const top = kinds.length - 1;
      const member = memberCounts[top]!;
      memberCounts[top] = member + 1;
      const guesses = guessNames[top];
      const guess = guesses !== undefined && member < guesses.length ? guesses[member] : undefined;
      if (guess !== undefined && text.charCodeAt(i + 1 + guess.length) === 0x22 && sameAt(text, i + 1, guess)) {
        // The guess (see guessNames): no search, no slot; known distinct while every name so far was guessed.
        const step = guessSteps[top]![member]!;
        recordName(readNames, readSteps, top, member, guess, step);
        if (!addName(openKeys, keyStarts, keySets, top, guess, allGuessed[top]!)) return duplicate(guess, i);
        path = paths[top]! + step;
        name = guess;
        // Emitted with the object it was read in before, when names are emitted once; else on every occurrence.
        if ((guess.charCodeAt(0) === 36 && isQueryOperator(guess)) || secretFilter(guess, names[top]!)) {
          if (inputs.push(operatorKeyInput(source, guess, names[top]!, path)) > maxInputs) return tooManyInputs(maxInputs);
        } else if (guess !== '' && emittedKeys === undefined) {
          inputs.push({ source, name: guess, location: path, value: guess, isName: true });
          if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
        }
        if (guess.length === 9 && walksIntoPrototype(paths[top]!, guess) && inputs.push(prototypePath(source, path)) > maxInputs) return tooManyInputs(maxInputs);
        if (guess.length === 11 && walksIntoClassLoader(paths[top]!, guess) && inputs.push(classLoaderPath(source, path)) > maxInputs) return tooManyInputs(maxInputs);
        i = skipWs(text, i + guess.length + 2);
        if (text.charCodeAt(i) !== 0x3a) return invalid('expected ":" after a member name', i);
        i = skipWs(text, i + 1);
        mode = VALUE;
        continue;
      }
      allGuessed[top] = false;
      let end = plainStringEnd(text, i);
      let key: string;
      let step: string;
      let slot = -1;
      if (end > 0) {
        const length = end - i - 2;
        slot = (length * 31 + text.charCodeAt(i + 1) * 7 + text.charCodeAt(end - 2)) & (KEY_SLOTS - 1);
        const earlier = keyNames[slot];
        if (earlier !== undefined && earlier.length === length && sameAt(text, i + 1, earlier)) {
          key = earlier;
          step = keySteps[slot]!;
        } else {
          key = text.slice(i + 1, end - 1);
          step = memberPath(key);
          keyNames[slot] = key;
          keySteps[slot] = step;
          keyEmitted[slot] = false;
        }
      } else {
        end = readString(text, i);
        if (end < 0) return stringProblem(end, i);
        key = readValue;
        step = memberPath(key);
      }
      // (a name read with escapes is no guess: its text is not the name)
      recordName(readNames, readSteps, top, member, slot >= 0 ? key : undefined, step);
      if (!addName(openKeys, keyStarts, keySets, top, key, false)) return duplicate(key, i);
      path = paths[top]! + step;
      name = key;
      if ((key.charCodeAt(0) === 36 && isQueryOperator(key)) || secretFilter(key, names[top]!)) {
        if (inputs.push(operatorKeyInput(source, key, names[top]!, path)) > maxInputs) return tooManyInputs(maxInputs);
      } else if (key !== '' && (emittedKeys === undefined || ((slot < 0 || !keyEmitted[slot]) && !emittedKeys.has(key)))) {
        if (emittedKeys !== undefined) {
          emittedKeys.add(key);
          if (slot >= 0) keyEmitted[slot] = true;
        }
        inputs.push({ source, name: key, location: path, value: key, isName: true });
        if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
      } else if (slot >= 0) keyEmitted[slot] = true;
      if (key.length === 9 && walksIntoPrototype(paths[top]!, key) && inputs.push(prototypePath(source, path)) > maxInputs) return tooManyInputs(maxInputs);
      if (key.length === 11 && walksIntoClassLoader(paths[top]!, key) && inputs.push(classLoaderPath(source, path)) > maxInputs) return tooManyInputs(maxInputs);
      i = skipWs(text, end);
      if (text.charCodeAt(i) !== 0x3a) return invalid('expected ":" after a member name', i);
      i = skipWs(text, i + 1);
      mode = VALUE;
    }
  }
}

/**
 * Adds `key` to the names of the object open at `level` (see openKeys); false when it has it already. `distinct`:
 * the caller knows it has not (every name of the object so far was guessed), so it is not looked for.
 */
function addName(openKeys: string[], keyStarts: readonly number[], keySets: (Set<string> | undefined)[], level: number, key: string, distinct: boolean): boolean {
  const seen = keySets[level];
  if (seen !== undefined) {
    if (!distinct && seen.has(key)) return false;
    seen.add(key);
    return true;
  }
  const from = keyStarts[level]!;
  const to = openKeys.length;
  if (!distinct) for (let k = from; k < to; k++) if (openKeys[k] === key) return false;
  if (to - from < OPEN_KEYS_MAX) openKeys.push(key);
  else {
    const set = new Set(openKeys.slice(from));
    set.add(key);
    keySets[level] = set;
    openKeys.length = from;
  }
  return true;
}

/** Notes the name (undefined: no guess) of member `member` of the object open at `level`. */
function recordName(names: (string | undefined)[][], steps: string[][], level: number, member: number, key: string | undefined, step: string): void {
  let list = names[level];
  if (list === undefined) {
    list = names[level] = [];
    steps[level] = [];
  }
  list[member] = key;
  steps[level]![member] = step;
}

function duplicate(key: string, at: number): { problem: { reason: string; message: string } } {
  return failure('json_duplicate_key', `duplicate member name "${key.slice(0, 40)}" at offset ${at}`);
}
