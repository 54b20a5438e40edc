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

/**
 * The decoded forms of a value that detectors look at, each with the layers that produced it. Evasions are undone
 * deliberately, one layer at a time, and each distinct result is inspected:
 * 1. the value as received (layers `[]`), always first;
 * 2. percent-decoding repeated while it changes, up to 3 times (`url`, `url,url`, ...), with overlong UTF-8 mapped
 *    before each pass (`overlong`), since percent-decoding turns overlong bytes into U+FFFD;
 * 3. the full decode of that: HTML entities, percent again, JS escapes, CSS escapes, Unicode NFKC and invisible
 *    characters, control characters, overlong UTF-8, in that order, keeping the layers that changed something;
 * 4. base64 tokens decoded (`base64`), and the full decode of that;
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

const SINGLE_LAYERS: readonly Layer[] = [
  ['html', decodeHtmlEntities, AMPERSAND],
  ['js', decodeJsEscapes, BACKSLASH],
  ['css', decodeCssEscapes, BACKSLASH],
  ['unicode', normalizeUnicode, NON_ASCII],
  ['nul', removeControlChars, CONTROL],
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

/** What one pass over a value finds: the layer triggers present, and the longest run of base64 alphabet. */
interface Scan { readonly triggers: number; readonly longestRun: number }

/** Per ASCII character: ALPHABET for the base64 (and base64url) alphabet, else the trigger it is, else 0. */
const ALPHABET = 64;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alphabet = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f;
  ASCII_CLASS[c] = alphabet ? ALPHABET : c === 0x25 ? PERCENT : c === 0x26 ? AMPERSAND : c === 0x5c ? BACKSLASH
    : c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d ? CONTROL : 0;
}

function entityStart(c: number): boolean {
  return c === 0x23 || (c < 0x80 && ASCII_CLASS[c] === ALPHABET && c !== 0x2b && c !== 0x2f && c !== 0x2d && c !== 0x5f);
}

function escapeStart(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) || c === 0x75 || c === 0x55;
}

function scan(value: string): Scan {
  let triggers = 0;
  let run = 0;
  let longestRun = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      const kind = ASCII_CLASS[c]!;
      if (kind === ALPHABET) { run++; continue; }
      // `&` only starts an entity before a letter, digit or `#`; `%` only an escape before a hex digit or `u`.
      if (kind === AMPERSAND) { if (entityStart(value.charCodeAt(i + 1))) triggers |= AMPERSAND; }
      else if (kind === PERCENT) { if (escapeStart(value.charCodeAt(i + 1))) triggers |= PERCENT; }
      else triggers |= kind;
    } else {
      triggers |= c === 0xc0 || c === 0xc1 || c === 0xe0 || c === 0xf0 ? NON_ASCII | OVERLONG_LEAD : NON_ASCII;
    }
    if (run > longestRun) longestRun = run;
    run = 0;
  }
  if (run > longestRun) longestRun = run;
  return { triggers, longestRun };
}

/** Runs the full chain, skipping layers whose trigger is absent (re-scanning after each layer that changed it). */
function fullDecode(value: string, layers: readonly string[], found: Scan): DecodedVariant {
  let current = value;
  let triggers = found.triggers;
  const applied = [...layers];
  for (const [name, decode, needs] of FULL_CHAIN) {
    if ((triggers & needs) === 0) continue;
    const next = decode(current);
    if (next !== current) {
      applied.push(name);
      current = next;
      triggers = scan(current).triggers;
    }
  }
  return { value: current, layers: applied };
}

/** The decoded forms of `raw`, the value itself first. Never throws. */
export function decodedVariants(raw: string, options: VariantOptions = {}): DecodedVariant[] {
  const variants: DecodedVariant[] = [{ value: raw, layers: [] }];
  const rawScan = scan(raw);
  // Short values may hold a short base64 token (see below): from 8 characters it counts.
  const rawMinToken = raw.length <= 64 ? 8 : BASE64_MIN_LENGTH;
  if (rawScan.triggers === 0 && rawScan.longestRun < rawMinToken) return variants;
  const maxVariants = options.maxVariants ?? DEFAULT_MAX_VARIANTS;
  const maxTotal = options.maxTotalChars ?? raw.length * 4 + 4096;
  const seen = new Set<string>([raw]);
  let total = raw.length;
  const add = (value: string, layers: readonly string[]): void => {
    if (variants.length >= maxVariants || seen.has(value) || total + value.length > maxTotal) return;
    seen.add(value);
    total += value.length;
    variants.push({ value, layers });
  };

  // Percent-decoding, repeated, with overlong forms mapped first.
  let base = raw;
  let baseLayers: string[] = [];
  if ((rawScan.triggers & (PERCENT | OVERLONG_LEAD)) !== 0) {
    for (let pass = 0; pass < 3; pass++) {
      const mapped = decodeOverlongUtf8(base);
      const layers = mapped === base ? baseLayers : [...baseLayers, 'overlong'];
      const decoded = decodePercent(mapped);
      if (decoded === mapped) {
        if (mapped !== base) { base = mapped; baseLayers = layers; add(base, baseLayers); }
        break;
      }
      base = decoded;
      baseLayers = [...layers, 'url'];
      add(base, baseLayers);
    }
  }
  const baseScan = base === raw ? rawScan : scan(base);

  const full = fullDecode(base, baseLayers, baseScan);
  add(full.value, full.layers);

  // Short values (a path segment, a parameter) may be a short encoded payload: tokens from 8 characters count.
  const minToken = base.length <= 64 ? 8 : BASE64_MIN_LENGTH;
  const b64 = baseScan.longestRun >= minToken ? decodeBase64(base, minToken) : base;
  if (b64 !== base) {
    const layers = [...baseLayers, 'base64'];
    add(b64, layers);
    const fullB64 = fullDecode(b64, layers, scan(b64));
    add(fullB64.value, fullB64.layers);
  }

  for (const [name, decode, needs] of SINGLE_LAYERS) {
    if ((baseScan.triggers & needs) === 0) continue;
    const decoded = decode(base);
    if (decoded !== base) add(decoded, [...baseLayers, name]);
  }
  return variants;
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
