import { strictUtf8Text } from '../../inspect/extract/charset.ts';
import { escapeText, LONE_SURROGATE, readEscape, readNumber, skipWs } from '../../inspect/extract/json-lexical.ts';

/**
 * A strict JSON check (RFC 8259) for request bodies that enforces structure limits in one pass, and the value built
 * by `JSON.parse` once the check has passed (only when a schema needs it: structure limits alone build nothing).
 *
 * Not JSON.parse alone, because:
 * - duplicate member names are refused (JSON.parse keeps the last, other parsers the first), as are invalid UTF-8,
 *   escaped lone surrogates, a BOM, raw control characters, anything after the document, and integer literals that
 *   parsers round differently;
 * - limits (depth, member count, array length, string length, number size) are checked as the document is read, so
 *   a `[`×10⁶ body costs one pass over its bytes and no recursion, and is refused before anything is built;
 * - a member named `__proto__` is an own data member (JSON.parse defines it, never assigns it, so the prototype
 *   setter is not reached); `constructor` and `toString` are plain members too. Validation (ajv with
 *   `ownProperties`) only looks at own members, so `required: [constructor]` is not satisfied by
 *   `Object.prototype.constructor`.
 */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
  /** Most object members in the whole document. */
  readonly maxKeys: number;
  /** Most items in one array. */
  readonly maxArrayLength: number;
  /** Longest string value or member name, in UTF-16 code units. */
  readonly maxStringLength: number;
  /** Longest number literal, in characters. */
  readonly maxNumberLength: number;
  /** Accept integer literals outside ±(2^53 - 1), which most JSON parsers round silently. */
  readonly allowUnsafeIntegers: boolean;
  /**
   * When set, a number out of range (too large to represent, or an unsafe integer that is not allowed) is told to it
   * instead of refusing the document, and the check goes on.
   */
  readonly onUnsafeNumber?: (pointer: string, message: string) => void;
}

/**
 * Reasons, shared with attack detection's JSON extractor where the condition is the same (so one input gets one
 * reason, whichever protection refuses it first): `json_invalid` (not strict JSON), `json_invalid_utf8` (invalid
 * UTF-8 or an escaped lone surrogate), `json_duplicate_key`, `json_too_deep`; `json_limit_exceeded` for the other
 * structure limits.
 */
export type JsonReason = 'json_invalid' | 'json_invalid_utf8' | 'json_duplicate_key' | 'json_too_deep' | 'json_limit_exceeded';

export interface JsonProblem {
  readonly reason: JsonReason;
  /** JSON pointer of the place (`/items/3/name`), `''` for the document. */
  readonly pointer: string;
  /** `syntax`, `utf8`, `surrogate`, `duplicateKey`, `maxDepth`, `maxKeys`, `maxArrayLength`, `maxStringLength`, `maxNumberLength`, `numberRange`. */
  readonly rule: string;
  readonly message: string;
}

export type JsonResult = { readonly value: unknown } | { readonly problem: JsonProblem };

/** Escapes one JSON pointer reference token (RFC 6901). */
export function pointerToken(token: string | number): string {
  const text = String(token);
  if (!text.includes('~') && !text.includes('/')) return text;
  return text.replaceAll('~', '~0').replaceAll('/', '~1');
}

const VALUE = 0;
const AFTER = 1;
const KEY = 2;



/** Parses a JSON body under `limits`. Never throws. */
export function parseJsonBody(body: Uint8Array, limits: JsonLimits): JsonResult {
  const text = strictUtf8Text(body);
  if (text === undefined) return fail('json_invalid', '', 'utf8', 'the body is not valid UTF-8');
  return parseJsonText(text, limits);
}

/** Checks a JSON body under `limits` without building its value (structure limits alone need no value). */
export function checkJsonBody(body: Uint8Array, limits: JsonLimits): JsonProblem | undefined {
  const text = strictUtf8Text(body);
  if (text === undefined) return problem('json_invalid', '', 'utf8', 'the body is not valid UTF-8');
  return checkJsonText(text, limits);
}

/**
 * Parses `text` under `limits`: the strict check first, then the value. Once the check has passed, the text is
 * plain RFC 8259 JSON without duplicate names, lone surrogates or unsafe integers, for which `JSON.parse` builds
 * exactly the value described above (it defines `__proto__` as an own data member, as the specification requires)
 * and does so far faster than objects built member by member in JavaScript.
 */
export function parseJsonText(text: string, limits: JsonLimits): JsonResult {
  const found = checkJsonText(text, limits);
  if (found !== undefined) return { problem: found };
  return { value: JSON.parse(text) as unknown };
}

/** Object member names seen so far in one open object: a short list scanned linearly, a Set once it grows. */
type SeenNames = string[] | Set<string>;
const SEEN_LIST_MAX = 16;

/** Adds `name` to `seen` and returns the collection (a Set past SEEN_LIST_MAX names); undefined when it was there already. */
function addName(seen: SeenNames, name: string): SeenNames | undefined {
  if (Array.isArray(seen)) {
    for (let k = 0; k < seen.length; k++) if (seen[k] === name) return undefined;
    if (seen.length < SEEN_LIST_MAX) { seen.push(name); return seen; }
    const set = new Set(seen);
    set.add(name);
    return set;
  }
  if (seen.has(name)) return undefined;
  seen.add(name);
  return seen;
}

/** Checks `text` under `limits` in one pass and without recursion; the first problem found, or undefined. */
export function checkJsonText(text: string, limits: JsonLimits): JsonProblem | undefined {
  const n = text.length;
  /** Per open container: whether it is an array, its item count (arrays), its current member name and the names seen (objects). */
  const isArray: boolean[] = [];
  const counts: number[] = [];
  const keys: string[] = [];
  const seen: (SeenNames | undefined)[] = [];
  let totalKeys = 0;
  let stringValue = '';
  let stringLength = 0;
  let mode = VALUE;
  let i = skipWs(text, 0);

  /** The JSON pointer of the value being read (or of `extra` inside the innermost container). */
  const pointer = (extra?: string | number): string => {
    let out = '';
    const depth = isArray.length;
    for (let k = 0; k < depth; k++) {
      const last = k === depth - 1;
      if (isArray[k]) {
        if (last && extra === undefined) out += '/' + counts[k]!;
        else if (!last) out += '/' + (counts[k]! - 1);
      } else if (!last || extra === undefined) out += '/' + pointerToken(keys[k]!);
    }
    if (extra !== undefined) out += '/' + pointerToken(extra);
    return out;
  };

  /**
   * Reads the string whose quote is at `start`; returns the index after it, or a problem. Sets stringLength (in
   * UTF-16 code units, escapes decoded) and, when `wanted`, stringValue: values only need their length.
   */
  const readString = (start: number, wanted: boolean): number | JsonProblem => {
    let k = start + 1;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x22) {
        stringLength = k - start - 1;
        if (wanted) stringValue = text.slice(start + 1, k);
        return k + 1;
      }
      if (c === 0x5c || c < 0x20) break;
    }
    let out = wanted ? text.slice(start + 1, k) : '';
    let length = k - start - 1;
    let runStart = k;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x22) {
        stringLength = length + (k - runStart);
        if (wanted) stringValue = out + text.slice(runStart, k);
        return k + 1;
      }
      if (c < 0x20) return problem('json_invalid', pointer(), 'syntax', `raw control character in a string at offset ${k}`);
      if (c !== 0x5c) continue;
      length += k - runStart;
      if (wanted) out += text.slice(runStart, k);
      const last = readEscape(text, k);
      if (last === LONE_SURROGATE) return problem('json_invalid', pointer(), 'surrogate', `lone UTF-16 surrogate at offset ${k}`);
      if (last < 0) return problem('json_invalid', pointer(), 'syntax', `${text.charCodeAt(k + 1) === 0x75 ? 'malformed \\u escape' : 'bad escape'} at offset ${k}`);
      length += escapeText.length;
      if (wanted) out += escapeText;
      k = last;
      runStart = k + 1;
    }
    return problem('json_invalid', pointer(), 'syntax', 'unterminated string');
  };

  /** Counts a value into the open array; a problem when the array grows too long. */
  const countItem = (): JsonProblem | undefined => {
    const top = isArray.length - 1;
    if (top < 0) return undefined;
    if (isArray[top]) {
      if (counts[top]! >= limits.maxArrayLength) {
        return problem('json_limit_exceeded', pointer(), 'maxArrayLength', `an array with more than ${limits.maxArrayLength} items`);
      }
      counts[top]!++;
    }
    return undefined;
  };

  for (;;) {
    if (mode === VALUE) {
      if (i >= n) return problem('json_invalid', pointer(), 'syntax', 'unexpected end of document');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const end = readString(i, false);
        if (typeof end !== 'number') return end;
        if (stringLength > limits.maxStringLength) {
          return problem('json_limit_exceeded', pointer(), 'maxStringLength', `a string longer than ${limits.maxStringLength} characters`);
        }
        i = end;
      } else if (c === 0x7b || c === 0x5b) {
        if (isArray.length >= limits.maxDepth) {
          return problem('json_limit_exceeded', pointer(), 'maxDepth', `nested deeper than ${limits.maxDepth} levels`);
        }
        const counted = countItem();
        if (counted) return counted;
        const array = c === 0x5b;
        isArray.push(array);
        counts.push(0);
        keys.push('');
        seen.push(undefined);
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === (array ? 0x5d : 0x7d)) {
          i++;
          isArray.pop();
          counts.pop();
          keys.pop();
          seen.pop();
          mode = AFTER;
        } else {
          mode = array ? VALUE : KEY;
        }
        continue;
      } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
        const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
        if (!text.startsWith(word, i)) return problem('json_invalid', pointer(), 'syntax', `unexpected literal at offset ${i}`);
        i += word.length;
      } else {
        const end = readNumber(text, i);
        if (end < 0) return problem('json_invalid', pointer(), 'syntax', `unexpected character at offset ${i}`);
        if (end - i > limits.maxNumberLength) {
          return problem('json_limit_exceeded', pointer(), 'maxNumberLength', `a number longer than ${limits.maxNumberLength} characters`);
        }
        const literal = text.slice(i, end);
        const number = Number(literal);
        const unsafe = !Number.isFinite(number) ? 'a number too large to represent'
          : !limits.allowUnsafeIntegers && !Number.isSafeInteger(number) && isIntegerLiteral(literal) ? 'an integer outside ±(2^53 - 1), which parsers round differently'
            : undefined;
        if (unsafe !== undefined) {
          if (limits.onUnsafeNumber === undefined) return problem('json_limit_exceeded', pointer(), 'numberRange', unsafe);
          limits.onUnsafeNumber(pointer(), unsafe);
        }
        i = end;
      }
      const counted = countItem();
      if (counted) return counted;
      mode = AFTER;
    } else if (mode === AFTER) {
      i = skipWs(text, i);
      const top = isArray.length - 1;
      if (top < 0) {
        if (i !== n) return problem('json_invalid', '', 'syntax', `data after the JSON document at offset ${i}`);
        return undefined;
      }
      const c = text.charCodeAt(i);
      const array = isArray[top]!;
      if (c === 0x2c) {
        i = skipWs(text, i + 1);
        mode = array ? VALUE : KEY;
      } else if (c === (array ? 0x5d : 0x7d)) {
        i++;
        isArray.pop();
        counts.pop();
        keys.pop();
        seen.pop();
      } else {
        return problem('json_invalid', pointer(), 'syntax', i >= n ? 'unexpected end of document' : `expected "," or a closing bracket at offset ${i}`);
      }
    } else {
      // KEY: at a member name, after "{" or ",".
      if (text.charCodeAt(i) !== 0x22) return problem('json_invalid', pointer(), 'syntax', i >= n ? 'unexpected end of document' : `expected a member name at offset ${i}`);
      const end = readString(i, true);
      if (typeof end !== 'number') return end;
      const key = stringValue;
      const top = isArray.length - 1;
      if (key.length > limits.maxStringLength) {
        return problem('json_limit_exceeded', pointer(key.slice(0, 64)), 'maxStringLength', `a member name longer than ${limits.maxStringLength} characters`);
      }
      const names = addName(seen[top] ?? [], key);
      if (names === undefined) return problem('json_invalid', pointer(key), 'duplicateKey', 'a member name given twice in one object');
      seen[top] = names;
      if (++totalKeys > limits.maxKeys) return problem('json_limit_exceeded', pointer(key), 'maxKeys', `more than ${limits.maxKeys} object members in the document`);
      keys[top] = key;
      i = skipWs(text, end);
      if (text.charCodeAt(i) !== 0x3a) return problem('json_invalid', pointer(), 'syntax', `expected ":" after a member name at offset ${i}`);
      i = skipWs(text, i + 1);
      mode = VALUE;
    }
  }
}

/** The reason of a rule: the dedicated ones, else the family the caller named. */
function reasonOf(family: 'json_invalid' | 'json_limit_exceeded', rule: string): JsonReason {
  switch (rule) {
    case 'utf8': case 'surrogate': return 'json_invalid_utf8';
    case 'duplicateKey': return 'json_duplicate_key';
    case 'maxDepth': return 'json_too_deep';
    default: return family;
  }
}

function problem(family: 'json_invalid' | 'json_limit_exceeded', pointer: string, rule: string, message: string): JsonProblem {
  return { reason: reasonOf(family, rule), pointer, rule, message };
}

function fail(reason: 'json_invalid' | 'json_limit_exceeded', pointer: string, rule: string, message: string): { problem: JsonProblem } {
  return { problem: problem(reason, pointer, rule, message) };
}

function isIntegerLiteral(literal: string): boolean {
  for (let k = 0; k < literal.length; k++) {
    const c = literal.charCodeAt(k);
    if (c === 0x2e || c === 0x65 || c === 0x45) return false;
  }
  return true;
}


