import type { InspectedInput } from '../finding.ts';
import { extractJson } from '../extract/json.ts';
import { BASE64_MIN_LENGTH, decodeBase64 } from './base64.ts';
import { decodeCssEscapes } from './css-escapes.ts';
import { decodeHtmlEntities } from './html-entities.ts';
import { decodeJsEscapes } from './js-escapes.ts';
import { removeControlChars } from './nul.ts';
import { decodeOverlongUtf8 } from './overlong-utf8.ts';
import { decodePercent } from './percent.ts';
import { normalizeUnicode } from './unicode.ts';
import { CH_BACKSLASH, CH_CONTROL, CH_ENTITY, CH_NON_ASCII, CH_OVERLONG_LEAD, CH_PERCENT_ESCAPE, surveyChars } from '../value-chars.ts';

/**
 * The decoded forms of a value that detectors look at, each with the layers that produced it. Evasions are undone
 * deliberately, one layer at a time, and each distinct result is inspected:
 * 1. the value as received (layers `[]`), always first;
 * 2. percent-decoding repeated while it changes, up to 3 times (`url`, `url,url`, ...), with overlong UTF-8 mapped
 *    before each pass (`overlong`), since percent-decoding turns overlong bytes into U+FFFD;
 * 3. the full decode of that: HTML entities, percent again, JS escapes, CSS escapes, Unicode NFKC and invisible
 *    characters, control characters, overlong UTF-8, in that order, keeping the layers that changed something;
 * 4. base64 tokens decoded (`base64`), and the full decode of that; base64 tokens that only the full decode reveals
 *    (JavaScript escapes over a token) decoded too;
 * 5. each single layer on the percent-decoded value (`html`, `js`, `css`, `unicode`, `nul`), so that a detector sees
 *    e.g. the JS-unescaped text without the CSS pass having eaten its backslashes.
 * At most `maxVariants` forms (default 8) and `maxTotalChars` characters over all forms (default 4 × the value +
 * 4096); the first forms win. Linear in the value's length for each layer.
 */
export interface DecodedVariant { readonly value: string; readonly layers: readonly string[] }

export interface VariantOptions {
  readonly maxVariants?: number;
  readonly maxTotalChars?: number;
}

export const DEFAULT_MAX_VARIANTS = 8;

/** Characters that let a layer change a value: a layer whose trigger is absent returns the value as it is. */
const PERCENT = 1;
const AMPERSAND = 2;
const BACKSLASH = 4;
const NON_ASCII = 8;
const CONTROL = 16;
const OVERLONG_LEAD = 32;

type Layer = readonly [name: string, decode: (value: string) => string, triggers: number];

/** The single layers, each with its index in FULL_CHAIN (where the same decoding runs on the same triggers). */
const SINGLE_LAYERS: readonly (readonly [...Layer, chainIndex: number])[] = [
  ['html', decodeHtmlEntities, AMPERSAND, 0],
  ['js', decodeJsEscapes, BACKSLASH, 2],
  ['css', decodeCssEscapes, BACKSLASH, 3],
  ['unicode', normalizeUnicode, NON_ASCII, 4],
  ['nul', removeControlChars, CONTROL, 5],
];

const FULL_CHAIN: readonly Layer[] = [
  ['html', decodeHtmlEntities, AMPERSAND],
  ['url', decodePercent, PERCENT],
  ['js', decodeJsEscapes, BACKSLASH],
  ['css', decodeCssEscapes, BACKSLASH],
  ['unicode', normalizeUnicode, NON_ASCII],
  ['nul', removeControlChars, CONTROL],
  ['overlong', decodeOverlongUtf8, PERCENT | OVERLONG_LEAD],
];

/** Per ASCII character: 1 for the base64 (and base64url) alphabet. */
const ALPHABET = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ALPHABET[c] = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f ? 1 : 0;
}

/** The layer triggers of a value from its character survey (value-chars.ts). */
function triggersOf(chars: number): number {
  return ((chars & CH_PERCENT_ESCAPE) !== 0 ? PERCENT : 0) | ((chars & CH_ENTITY) !== 0 ? AMPERSAND : 0) |
    ((chars & CH_BACKSLASH) !== 0 ? BACKSLASH : 0) | ((chars & CH_NON_ASCII) !== 0 ? NON_ASCII : 0) |
    ((chars & CH_CONTROL) !== 0 ? CONTROL : 0) | ((chars & CH_OVERLONG_LEAD) !== 0 ? OVERLONG_LEAD : 0);
}

/** The layer triggers present in `value`. */
function triggersIn(value: string): number {
  return triggersOf(surveyChars(value));
}

function isAlphabet(c: number): boolean {
  return c < 0x80 && ALPHABET[c] === 1;
}

/**
 * True when `value` holds a run of at least `length` base64 alphabet characters. A window of `length` characters is
 * checked from its end: the first character outside the alphabet moves the next window past it, so most characters
 * of ordinary text are never looked at.
 */
function hasRun(value: string, length: number): boolean {
  const n = value.length;
  let end = length - 1;
  while (end < n) {
    const start = end - length + 1;
    let k = end;
    while (k >= start && isAlphabet(value.charCodeAt(k))) k--;
    if (k < start) return true;
    end = k + length;
  }
  return false;
}

/** The layers of the first variant, shared by every result (frozen: nobody may add to it). */
const NO_LAYERS: readonly string[] = Object.freeze([]);
const NO_OPTIONS: VariantOptions = Object.freeze({});

/** The layers applied by the last fullDecode call (read right after it: decoding is synchronous). */
let fullDecodeLayers: readonly string[] = NO_LAYERS;

/**
 * What the recording fullDecode call computed from its input itself, before any layer changed it: unchanged[k] is
 * FULL_CHAIN[k] applied to the input, valid when bit k of `unchangedKnown` is set. The single layers on the same
 * value reuse them: a layer that has nothing to decode is not run twice over the value.
 */
const unchanged: string[] = new Array<string>(8).fill('');
let unchangedKnown = 0;

/**
 * Runs the full chain, skipping layers whose trigger is absent (re-scanning after each layer that changed it), and
 * returns the result, its layers in fullDecodeLayers. The layer list is copied only once a layer changes something.
 * With `record`, the results of layers applied to the input itself are kept in `unchanged`.
 */
function fullDecode(value: string, layers: readonly string[], triggers: number, record = false): string {
  let current = value;
  let applied: string[] | undefined;
  if (record) unchangedKnown = 0;
  // (Most values reach here with no trigger at all: an identifier that only looked like a base64 token.)
  for (let k = 0; k < FULL_CHAIN.length && triggers !== 0; k++) {
    const layer = FULL_CHAIN[k]!;
    if ((triggers & layer[2]) === 0) continue;
    const name = layer[0];
    const decode = layer[1];
    const next = decode(current);
    if (record && current === value) {
      unchanged[k] = next;
      unchangedKnown |= 1 << k;
    }
    if (next !== current) {
      if (applied === undefined) applied = [...layers];
      applied.push(name);
      current = next;
      triggers = triggersIn(current);
    }
  }
  fullDecodeLayers = applied ?? layers;
  return current;
}

/** True when a variant already has `value` (at most a handful of variants: a linear look beats hashing). */
function hasValue(variants: readonly DecodedVariant[], value: string): boolean {
  for (let k = 0; k < variants.length; k++) if (variants[k]!.value === value) return true;
  return false;
}

/**
 * Appends a variant unless the caps are reached or a variant already has its value; returns the new total of
 * characters over all variants.
 */
function addVariant(variants: DecodedVariant[], value: string, layers: readonly string[], total: number, maxVariants: number, maxTotal: number): number {
  if (variants.length >= maxVariants || total + value.length > maxTotal || hasValue(variants, value)) return total;
  variants.push({ value, layers });
  return total + value.length;
}

/**
 * The decoded forms of `raw`, the value itself first. Never throws. A value no layer changes costs one scan and the
 * one-element result: layer lists are built only for variants that exist.
 */
export function decodedVariants(raw: string, options: VariantOptions = NO_OPTIONS, rawChars?: number): DecodedVariant[] {
  return decodedVariantsIfAny(raw, options, rawChars) ?? [{ value: raw, layers: NO_LAYERS }];
}

/**
 * decodedVariants, or undefined when no layer changes `raw` (then its only form is itself). The engine takes this
 * one: most values are plain, and a one-element list for each was an eighth of what inspecting a body allocated.
 */
export function decodedVariantsIfAny(raw: string, options: VariantOptions = NO_OPTIONS, rawChars?: number): DecodedVariant[] | undefined {
  // Short values may hold a short base64 token (see below): from 8 characters it counts.
  const rawMinToken = raw.length <= 64 ? 8 : BASE64_MIN_LENGTH;
  const rawTriggers = triggersOf(rawChars ?? surveyChars(raw));
  const rawHasToken = hasRun(raw, rawMinToken);
  if (rawTriggers === 0 && !rawHasToken) return undefined;
  const variants: DecodedVariant[] = [{ value: raw, layers: NO_LAYERS }];
  const maxVariants = options.maxVariants ?? DEFAULT_MAX_VARIANTS;
  const maxTotal = options.maxTotalChars ?? raw.length * 4 + 4096;
  let total = raw.length;

  // Percent-decoding, repeated, with overlong forms mapped first.
  let base = raw;
  let baseLayers: readonly string[] = NO_LAYERS;
  if ((rawTriggers & (PERCENT | OVERLONG_LEAD)) !== 0) {
    for (let pass = 0; pass < 3; pass++) {
      const mapped = decodeOverlongUtf8(base);
      const layers = mapped === base ? baseLayers : [...baseLayers, 'overlong'];
      const decoded = decodePercent(mapped);
      if (decoded === mapped) {
        if (mapped !== base) {
          base = mapped;
          baseLayers = layers;
          total = addVariant(variants, base, baseLayers, total, maxVariants, maxTotal);
        }
        break;
      }
      base = decoded;
      baseLayers = [...layers, 'url'];
      total = addVariant(variants, base, baseLayers, total, maxVariants, maxTotal);
    }
  }
  const baseTriggers = base === raw ? rawTriggers : triggersIn(base);

  const full = fullDecode(base, baseLayers, baseTriggers, true);
  const fullLayers = fullDecodeLayers;
  const reusable = unchangedKnown;
  total = addVariant(variants, full, fullLayers, total, maxVariants, maxTotal);

  // Short values (a path segment, a parameter) may be a short encoded payload: tokens from 8 characters count.
  const minToken = base.length <= 64 ? 8 : BASE64_MIN_LENGTH;
  const hasToken = base === raw ? rawHasToken : hasRun(base, minToken);
  const b64 = hasToken ? decodeBase64(base, minToken) : base;
  if (b64 !== base) {
    const layers = [...baseLayers, 'base64'];
    total = addVariant(variants, b64, layers, total, maxVariants, maxTotal);
    const fullB64 = fullDecode(b64, layers, triggersIn(b64));
    total = addVariant(variants, fullB64, fullDecodeLayers, total, maxVariants, maxTotal);
  }

  // Base64 hidden under another layer (`\u0058\u0079Qk...`: JavaScript escapes over a base64 token): the token only
  // appears once the full chain has run, so it is looked for there too.
  if (full !== base) {
    const fullMinToken = full.length <= 64 ? 8 : BASE64_MIN_LENGTH;
    const fullB64 = hasRun(full, fullMinToken) ? decodeBase64(full, fullMinToken) : full;
    if (fullB64 !== full) total = addVariant(variants, fullB64, [...fullLayers, 'base64'], total, maxVariants, maxTotal);
  }

  for (let k = 0; k < SINGLE_LAYERS.length && baseTriggers !== 0; k++) {
    const layer = SINGLE_LAYERS[k]!;
    if ((baseTriggers & layer[2]) === 0) continue;
    const name = layer[0];
    const decode = layer[1];
    const chainIndex = layer[3];
    const decoded = (reusable & (1 << chainIndex)) !== 0 ? unchanged[chainIndex]! : decode(base);
    if (decoded !== base) total = addVariant(variants, decoded, [...baseLayers, name], total, maxVariants, maxTotal);
  }
  return variants.length === 1 ? undefined : variants;
}

/**
 * JSON embedded in a value (a query parameter, cookie or header holding `{"a":...}` or `[...]`, also
 * percent-encoded): its keys and values as inputs at `<outer location>:json:$...`, with the outer input's source.
 * Undefined when the value (trimmed, then percent-decoded up to twice) is not a JSON object or array that parses
 * strictly; the value itself is inspected as it is either way.
 */
export function embeddedJsonInputs(outer: Pick<InspectedInput, 'source' | 'name' | 'location'>, value: string, maxInputs?: number): InspectedInput[] | undefined {
  let candidate = value;
  for (let pass = 0; pass < 3; pass++) {
    const trimmed = candidate.trim();
    const first = trimmed.charCodeAt(0);
    if (first === 0x7b || first === 0x5b) {
      const result = extractJson(trimmed, {
        prefix: outer.location + ':json:',
        source: outer.source,
        rootName: outer.name,
        ...(maxInputs === undefined ? {} : { maxInputs }),
      });
      return 'inputs' in result ? result.inputs : undefined;
    }
    const decoded = decodePercent(candidate);
    if (decoded === candidate) return undefined;
    candidate = decoded;
  }
  return undefined;
}
