import { strictUtf8Text } from '../../inspect/extract/extract-result.ts';
import { hex4, readNumber, skipWs } from '../../inspect/extract/json-lexical.ts';

/**
 * A strict JSON parser (RFC 8259) for request bodies that enforces structure limits while it builds the value.
 *
 * Not JSON.parse, because:
 * - duplicate member names are refused (JSON.parse keeps the last, other parsers the first), as are invalid UTF-8,
 *   escaped lone surrogates, a BOM, raw control characters and anything after the document;
 * - limits (depth, member count, array length, string length, number size) are checked as the document is read, so
 *   a `[`×10⁶ body costs one pass over its bytes and no recursion;
 * - a member named `__proto__` becomes an own data member (defined, never assigned, so the prototype setter is not
 *   reached); `constructor` and `toString` are plain members too. Validation (ajv with `ownProperties`) only looks at
 *   own members, so `required: [constructor]` is not satisfied by `Object.prototype.constructor`. Objects keep the
 *   ordinary prototype because prototype-less objects are much slower to build and read in V8.
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

type Container = Record<string, unknown> | unknown[];

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

export function parseJsonText(text: string, limits: JsonLimits): JsonResult {
  const n = text.length;
  const containers: Container[] = [];
  /** The current member name of each open object (unused for arrays). */
  const keys: string[] = [];
  let totalKeys = 0;
  let root: unknown = undefined;
  let stringValue = '';
  let mode = VALUE;
  let i = skipWs(text, 0);

  const pointer = (extra?: string | number): string => {
    let out = '';
    for (let k = 0; k < containers.length; k++) {
      const container = containers[k]!;
      if (Array.isArray(container)) {
        if (k === containers.length - 1 && extra === undefined) out += '/' + container.length;
        else if (k < containers.length - 1) out += '/' + (container.length - 1);
      } else if (k < containers.length - 1 || extra === undefined) out += '/' + pointerToken(keys[k]!);
    }
    if (extra !== undefined) out += '/' + pointerToken(extra);
    return out;
  };

  /** Reads the string whose quote is at `start` into stringValue; returns the index after it, or a problem. */
  const readString = (start: number): number | JsonProblem => {
    let k = start + 1;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x22) { stringValue = text.slice(start + 1, k); return k + 1; }
      if (c === 0x5c || c < 0x20) break;
    }
    let out = text.slice(start + 1, k);
    let runStart = k;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x22) { stringValue = out + text.slice(runStart, k); return k + 1; }
      if (c < 0x20) return problem('json_invalid', pointer(), 'syntax', `raw control character in a string at offset ${k}`);
      if (c !== 0x5c) continue;
      out += text.slice(runStart, k);
      const e = text.charCodeAt(k + 1);
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const unit = hex4(text, k + 2);
          if (unit < 0) return problem('json_invalid', pointer(), 'syntax', `malformed \\u escape at offset ${k}`);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = text.charCodeAt(k + 6) === 0x5c && text.charCodeAt(k + 7) === 0x75 ? hex4(text, k + 8) : -1;
            if (low < 0xdc00 || low > 0xdfff) return problem('json_invalid', pointer(), 'surrogate', `lone UTF-16 surrogate at offset ${k}`);
            out += String.fromCharCode(unit, low);
            k += 6;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return problem('json_invalid', pointer(), 'surrogate', `lone UTF-16 surrogate at offset ${k}`);
          } else {
            out += String.fromCharCode(unit);
          }
          k += 4;
          break;
        }
        default: return problem('json_invalid', pointer(), 'syntax', `bad escape at offset ${k}`);
      }
      k++;
      runStart = k + 1;
    }
    return problem('json_invalid', pointer(), 'syntax', 'unterminated string');
  };

  /** Puts a value in the open container (or makes it the document); a problem when an array grows too long. */
  const attach = (value: unknown): JsonProblem | undefined => {
    const top = containers.length - 1;
    if (top < 0) { root = value; return undefined; }
    const container = containers[top]!;
    if (Array.isArray(container)) {
      if (container.length >= limits.maxArrayLength) {
        return problem('json_limit_exceeded', pointer(), 'maxArrayLength', `an array with more than ${limits.maxArrayLength} items`);
      }
      container.push(value);
    } else {
      const key = keys[top]!;
      if (key === '__proto__') Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
      else container[key] = value;
    }
    return undefined;
  };

  for (;;) {
    if (mode === VALUE) {
      if (i >= n) return fail('json_invalid', pointer(), 'syntax', 'unexpected end of document');
      const c = text.charCodeAt(i);
      let value: unknown;
      if (c === 0x22) {
        const end = readString(i);
        if (typeof end !== 'number') return { problem: end };
        if (stringValue.length > limits.maxStringLength) {
          return fail('json_limit_exceeded', pointer(), 'maxStringLength', `a string longer than ${limits.maxStringLength} characters`);
        }
        value = stringValue;
        i = end;
      } else if (c === 0x7b || c === 0x5b) {
        if (containers.length >= limits.maxDepth) {
          return fail('json_limit_exceeded', pointer(), 'maxDepth', `nested deeper than ${limits.maxDepth} levels`);
        }
        const container: Container = c === 0x7b ? {} : [];
        const attached = attach(container);
        if (attached) return { problem: attached };
        containers.push(container);
        keys.push('');
        i = skipWs(text, i + 1);
        if (text.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          i++;
          containers.pop();
          keys.pop();
          mode = AFTER;
        } else {
          mode = c === 0x7b ? KEY : VALUE;
        }
        continue;
      } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
        const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
        if (!text.startsWith(word, i)) return fail('json_invalid', pointer(), 'syntax', `unexpected literal at offset ${i}`);
        value = c === 0x74 ? true : c === 0x66 ? false : null;
        i += word.length;
      } else {
        const end = readNumber(text, i);
        if (end < 0) return fail('json_invalid', pointer(), 'syntax', `unexpected character at offset ${i}`);
        if (end - i > limits.maxNumberLength) {
          return fail('json_limit_exceeded', pointer(), 'maxNumberLength', `a number longer than ${limits.maxNumberLength} characters`);
        }
        const literal = text.slice(i, end);
        const number = Number(literal);
        if (!Number.isFinite(number)) return fail('json_limit_exceeded', pointer(), 'numberRange', 'a number too large to represent');
        if (!limits.allowUnsafeIntegers && !Number.isSafeInteger(number) && isIntegerLiteral(literal)) {
          return fail('json_limit_exceeded', pointer(), 'numberRange', 'an integer outside ±(2^53 - 1), which parsers round differently');
        }
        value = number;
        i = end;
      }
      const attached = attach(value);
      if (attached) return { problem: attached };
      mode = AFTER;
    } else if (mode === AFTER) {
      i = skipWs(text, i);
      const top = containers.length - 1;
      if (top < 0) {
        if (i !== n) return fail('json_invalid', '', 'syntax', `data after the JSON document at offset ${i}`);
        return { value: root };
      }
      const c = text.charCodeAt(i);
      const isArray = Array.isArray(containers[top]);
      if (c === 0x2c) {
        i = skipWs(text, i + 1);
        mode = isArray ? VALUE : KEY;
      } else if (c === (isArray ? 0x5d : 0x7d)) {
        i++;
        containers.pop();
        keys.pop();
      } else {
        return fail('json_invalid', pointer(), 'syntax', i >= n ? 'unexpected end of document' : `expected "," or a closing bracket at offset ${i}`);
      }
    } else {
      // KEY: at a member name, after "{" or ",".
      if (text.charCodeAt(i) !== 0x22) return fail('json_invalid', pointer(), 'syntax', i >= n ? 'unexpected end of document' : `expected a member name at offset ${i}`);
      const end = readString(i);
      if (typeof end !== 'number') return { problem: end };
      const key = stringValue;
      const top = containers.length - 1;
      if (key.length > limits.maxStringLength) {
        return fail('json_limit_exceeded', pointer(key.slice(0, 64)), 'maxStringLength', `a member name longer than ${limits.maxStringLength} characters`);
      }
      const object = containers[top] as Record<string, unknown>;
      if (Object.hasOwn(object, key)) return fail('json_invalid', pointer(key), 'duplicateKey', 'a member name given twice in one object');
      if (++totalKeys > limits.maxKeys) return fail('json_limit_exceeded', pointer(key), 'maxKeys', `more than ${limits.maxKeys} object members in the document`);
      keys[top] = key;
      i = skipWs(text, end);
      if (text.charCodeAt(i) !== 0x3a) return fail('json_invalid', pointer(), 'syntax', `expected ":" after a member name at offset ${i}`);
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


