import type { InputSource, InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, failure, tooManyInputs, type ExtractProblem, type ExtractResult } from './extract-result.ts';
import { isDigit, readNumber as readJsonNumber } from './json-lexical.ts';

/**
 * GraphQL documents (the October 2021 spec's lexical grammar), for `application/graphql` bodies and for the
 * `query` field of JSON bodies. One linear pass over the tokens, no AST:
 * - inputs: the whole document (at `body:graphql`), every string literal, block strings included (at
 *   `body:graphql:string[N]`, named after the argument or object field it is the value of), and with `arguments`
 *   (paranoia 2 and up) every argument name and every other scalar argument value (`body:graphql:arg[N]`);
 * - limits: selection-set depth (`graphql_too_deep`, default 15, counted through fragment spreads, inline fragments
 *   not counted as a level), aliases (`graphql_too_many_aliases`, default 100), bracket nesting;
 * - anything that does not tokenize, unbalanced brackets or a fragment cycle: `graphql_invalid`.
 * Block strings are taken as written (no indentation stripping) with `\"""` unescaped.
 */
export interface GraphqlOptions {
  readonly maxDepth?: number;
  readonly maxAliases?: number;
  readonly maxInputs?: number;
  /** Also produce argument names and non-string argument values (paranoia 2 and up). */
  readonly arguments?: boolean;
  /** Location of the document; inputs inside it append `:string[N]`, `:arg[N]`. Default `body:graphql`. */
  readonly prefix?: string;
  readonly source?: InputSource;
  /** Name given to the whole-document input (default ''; `query` for a JSON body's field). */
  readonly name?: string;
}

export const DEFAULT_GRAPHQL_MAX_DEPTH = 15;
export const DEFAULT_GRAPHQL_MAX_ALIASES = 100;
/** Nesting of (), [] and {} together; past it the document is refused as too deep. */
const MAX_BRACKETS = 256;

function invalid(message: string, at: number): { problem: ExtractProblem } {
  return failure('graphql_invalid', `GraphQL: ${message} at offset ${at}`);
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Skips ignored tokens (white space, line terminators, commas, BOM, comments) from `i`. */
function skipIgnored(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2c || c === 0xfeff) i++;
    else if (c === 0x23) {
      while (i < n && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else break;
  }
  return i;
}

/** True when `text` starts (after ignored tokens) like a GraphQL executable document. */
export function looksLikeGraphql(text: string): boolean {
  const i = skipIgnored(text, 0);
  if (text.charCodeAt(i) === 0x7b) return true;
  let end = i;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  const word = text.slice(i, end);
  return word === 'query' || word === 'mutation' || word === 'subscription' || word === 'fragment';
}

/** Result of readString: the decoded value and the index after it, or the offset of the error (negative - 1). */
let stringValue = '';

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Reads a "string" at `start`; returns the index after it or -1. Sets stringValue. */
function readString(text: string, start: number): number {
  const n = text.length;
  let out = '';
  let runStart = start + 1;
  for (let i = start + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { stringValue = out + text.slice(runStart, i); return i + 1; }
    if (c === 0x0a || c === 0x0d) return -1;
    if (c !== 0x5c) continue;
    out += text.slice(runStart, i);
    const e = text.charCodeAt(i + 1);
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
        let code = 0;
        if (text.charCodeAt(i + 2) === 0x7b) {
          let k = i + 3;
          for (; k < n && text.charCodeAt(k) !== 0x7d; k++) {
            const d = hexDigit(text.charCodeAt(k));
            if (d < 0 || k - i > 10) return -1;
            code = code * 16 + d;
          }
          if (k === i + 3 || k >= n || code > 0x10ffff) return -1;
          out += String.fromCodePoint(code);
          i = k;
          runStart = i + 1;
          continue;
        }
        for (let k = 2; k < 6; k++) {
          const d = hexDigit(text.charCodeAt(i + k));
          if (d < 0) return -1;
          code = code * 16 + d;
        }
        out += String.fromCharCode(code);
        i += 4;
        break;
      }
      default: return -1;
    }
    i++;
    runStart = i + 1;
  }
  return -1;
}

/** Reads a """block string""" at `start`; returns the index after it or -1. Sets stringValue. */
function readBlockString(text: string, start: number): number {
  let out = '';
  let runStart = start + 3;
  let i = start + 3;
  for (;;) {
    const q = text.indexOf('"""', i);
    if (q === -1) return -1;
    if (text.charCodeAt(q - 1) === 0x5c && q - 1 >= runStart) {
      out += text.slice(runStart, q - 1) + '"""';
      i = q + 3;
      runStart = i;
      continue;
    }
    stringValue = out + text.slice(runStart, q);
    return q + 3;
  }
}

/**
 * Reads an Int or Float at `start`; returns the index after it or -1. GraphQL numbers are JSON's, which may not be
 * followed by a name character, a dot or a digit (`0x1`, `1.5.2`, `01`).
 */
function readNumber(text: string, start: number): number {
  const i = readJsonNumber(text, start);
  if (i < 0) return -1;
  const after = text.charCodeAt(i);
  if (isNameStart(after) || after === 0x2e || isDigit(after)) return -1;
  return i;
}

/** One top-level definition: its own deepest selection set and the fragments it spreads, with their depth. */
interface Definition { localMax: number; spreads: { name: string; depth: number }[] }

// Kinds of open brackets.
const PAREN = 1;
const LIST = 2;
const OBJECT = 3;
const SELECTION = 4;
const INLINE = 5;

/** Extracts the inputs of a GraphQL document and enforces its limits. Never throws. */
export function extractGraphql(query: string, options: GraphqlOptions = {}): ExtractResult {
  const maxDepth = options.maxDepth ?? DEFAULT_GRAPHQL_MAX_DEPTH;
  const maxAliases = options.maxAliases ?? DEFAULT_GRAPHQL_MAX_ALIASES;
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const withArguments = options.arguments ?? false;
  const prefix = options.prefix ?? 'body:graphql';
  const source = options.source ?? 'body';
  const inputs: InspectedInput[] = [{ source, name: options.name ?? '', location: prefix, value: query }];

  const brackets: number[] = [];
  let parens = 0;
  let depth = 0;
  let aliases = 0;
  let strings = 0;
  let args = 0;
  /** The previous significant token: a name's text, a punctuator, or '' for a value. */
  let prev = '';
  let prevWasName = false;
  /** The name before the last ':' inside arguments (the argument or object field a value belongs to). */
  let valueName = '';
  let afterSpread = false;
  let inlinePending = false;
  let fragmentNamePending = false;
  const definitions = new Map<string, Definition>();
  let current: Definition | undefined;
  const operations: Definition[] = [];

  const n = query.length;
  let i = skipIgnored(query, 0);
  while (i < n) {
    const c = query.charCodeAt(i);
    const start = i;
    if (isNameStart(c)) {
      i++;
      while (i < n && isNameChar(query.charCodeAt(i))) i++;
      const word = query.slice(start, i);
      if (brackets.length === 0) {
        // Top level: an operation type, `fragment`, a definition's name, or the `on Type` of a fragment.
        if (fragmentNamePending) {
          fragmentNamePending = false;
          if (definitions.has(word)) return invalid(`fragment "${word.slice(0, 40)}" defined twice`, start);
          current = { localMax: 0, spreads: [] };
          definitions.set(word, current);
        } else if (word === 'fragment' && (prev === '' || prev === '}')) {
          fragmentNamePending = true;
        } else if ((word === 'query' || word === 'mutation' || word === 'subscription') && (prev === '' || prev === '}')) {
          current = { localMax: 0, spreads: [] };
          operations.push(current);
        }
      } else if (afterSpread) {
        afterSpread = false;
        if (word === 'on') inlinePending = true;
        else current?.spreads.push({ name: word, depth });
      } else if (parens > 0 && withArguments && prev !== '$' && prev !== '@' && word !== 'true' && word !== 'false' && word !== 'null') {
        // An enum value or a name in arguments; names followed by ':' are handled at the ':'.
        const next = query.charCodeAt(skipIgnored(query, i));
        if (next !== 0x3a) {
          inputs.push({ source, name: valueName, location: `${prefix}:arg[${args++}]`, value: word });
          if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
        }
      }
      prev = word;
      prevWasName = true;
      i = skipIgnored(query, i);
      continue;
    }
    const wasName = prevWasName;
    const prevName = prev;
    prevWasName = false;
    if (c === 0x22) {
      const end = query.startsWith('"""', i) ? readBlockString(query, i) : readString(query, i);
      if (end < 0) return invalid('malformed string', i);
      const name = parens > 0 || brackets[brackets.length - 1] === OBJECT ? valueName : '';
      inputs.push({ source, name, location: `${prefix}:string[${strings++}]`, value: stringValue });
      if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
      prev = '';
      i = skipIgnored(query, end);
      continue;
    }
    if (c === 0x2d || isDigit(c)) {
      const end = readNumber(query, i);
      if (end < 0) return invalid('malformed number', i);
      if (withArguments && parens > 0) {
        inputs.push({ source, name: valueName, location: `${prefix}:arg[${args++}]`, value: query.slice(i, end) });
        if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
      }
      prev = '';
      i = skipIgnored(query, end);
      continue;
    }
    if (c === 0x2e) {
      if (!query.startsWith('...', i)) return invalid('unexpected "."', i);
      if (brackets.length === 0 || parens > 0) return invalid('"..." outside a selection set', i);
      afterSpread = true;
      prev = '...';
      i = skipIgnored(query, i + 3);
      continue;
    }
    switch (c) {
      case 0x7b: { // {
        if (brackets.length >= MAX_BRACKETS) return failure('graphql_too_deep', `GraphQL brackets nested deeper than ${MAX_BRACKETS}`);
        if (parens > 0 || brackets[brackets.length - 1] === LIST || brackets[brackets.length - 1] === OBJECT) {
          brackets.push(OBJECT);
        } else if (inlinePending || afterSpread) {
          brackets.push(INLINE);
        } else {
          if (brackets.length === 0 && current === undefined) {
            // An anonymous operation `{ ... }`.
            current = { localMax: 0, spreads: [] };
            operations.push(current);
          }
          brackets.push(SELECTION);
          depth++;
          if (depth > maxDepth) return failure('graphql_too_deep', `GraphQL selection sets nested deeper than ${maxDepth}`);
          if (current && depth > current.localMax) current.localMax = depth;
        }
        inlinePending = false;
        afterSpread = false;
        break;
      }
      case 0x7d: { // }
        const top = brackets.pop();
        if (top === SELECTION) depth--;
        else if (top !== OBJECT && top !== INLINE) return invalid('unbalanced "}"', i);
        if (brackets.length === 0) current = undefined;
        break;
      }
      case 0x28: // (
        if (brackets.length >= MAX_BRACKETS) return failure('graphql_too_deep', `GraphQL brackets nested deeper than ${MAX_BRACKETS}`);
        brackets.push(PAREN);
        parens++;
        break;
      case 0x29: // )
        if (brackets.pop() !== PAREN) return invalid('unbalanced ")"', i);
        parens--;
        break;
      case 0x5b: // [
        if (brackets.length >= MAX_BRACKETS) return failure('graphql_too_deep', `GraphQL brackets nested deeper than ${MAX_BRACKETS}`);
        brackets.push(LIST);
        break;
      case 0x5d: // ]
        if (brackets.pop() !== LIST) return invalid('unbalanced "]"', i);
        break;
      case 0x3a: // :
        if (!wasName) return invalid('":" not after a name', i);
        if (parens > 0 || brackets[brackets.length - 1] === OBJECT) {
          valueName = prevName;
          if (withArguments && parens > 0) {
            inputs.push({ source, name: prevName, location: `${prefix}:arg[${args++}]`, value: prevName, isName: true });
            if (inputs.length > maxInputs) return tooManyInputs(maxInputs);
          }
        } else if (brackets.length > 0) {
          if (++aliases > maxAliases) return failure('graphql_too_many_aliases', `more than ${maxAliases} aliases in a GraphQL document`);
        }
        break;
      case 0x40: // @
        if (afterSpread) { afterSpread = false; inlinePending = true; }
        break;
      case 0x21: case 0x24: case 0x26: case 0x3d: case 0x7c: // ! $ & = |
        break;
      default:
        return invalid('unexpected character', i);
    }
    prev = query[i]!;
    i = skipIgnored(query, i + 1);
  }
  if (brackets.length > 0) return invalid('unclosed bracket', n);
  if (fragmentNamePending) return invalid('fragment without a name', n);

  // Depth through fragment spreads: a fragment's fields sit at the depth of the spread.
  const effective = new Map<string, number>();
  const resolving = new Set<string>();
  const depthOf = (name: string): number | undefined => {
    // Iterative post-order walk over the spread graph (no recursion on attacker-controlled nesting).
    const stack: { name: string; next: number; best: number }[] = [];
    if (effective.has(name)) return effective.get(name)!;
    const root = definitions.get(name);
    if (!root) return 0;
    stack.push({ name, next: 0, best: root.localMax });
    resolving.add(name);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const def = definitions.get(frame.name)!;
      if (frame.next < def.spreads.length) {
        const spread = def.spreads[frame.next]!;
        const known = effective.get(spread.name);
        if (known !== undefined || !definitions.has(spread.name)) {
          frame.best = Math.max(frame.best, spread.depth + (known ?? 1) - 1);
          frame.next++;
          continue;
        }
        if (resolving.has(spread.name)) return undefined;
        resolving.add(spread.name);
        stack.push({ name: spread.name, next: 0, best: definitions.get(spread.name)!.localMax });
        continue;
      }
      stack.pop();
      resolving.delete(frame.name);
      effective.set(frame.name, frame.best);
      const parent = stack[stack.length - 1];
      if (parent) {
        const spread = definitions.get(parent.name)!.spreads[parent.next]!;
        parent.best = Math.max(parent.best, spread.depth + frame.best - 1);
        parent.next++;
      }
    }
    return effective.get(name)!;
  };
  for (const name of definitions.keys()) {
    const d = depthOf(name);
    if (d === undefined) return failure('graphql_invalid', 'GraphQL: fragment spreads form a cycle');
    if (d > maxDepth) return failure('graphql_too_deep', `GraphQL selection sets nested deeper than ${maxDepth} (through fragments)`);
  }
  for (const op of operations) {
    for (const spread of op.spreads) {
      const d = spread.depth + (effective.get(spread.name) ?? 1) - 1;
      if (d > maxDepth) return failure('graphql_too_deep', `GraphQL selection sets nested deeper than ${maxDepth} (through fragments)`);
    }
  }
  return { inputs };
}
