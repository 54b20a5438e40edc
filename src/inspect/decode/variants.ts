import type { InspectedInput } from '../finding.ts';
import { extractJson } from '../extract/json.ts';
import { decodeBase64 } from './base64.ts';
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

type Layer = readonly [name: string, decode: (value: string) => string];

const SINGLE_LAYERS: readonly Layer[] = [
  ['html', decodeHtmlEntities],
  ['js', decodeJsEscapes],
  ['css', decodeCssEscapes],
  ['unicode', normalizeUnicode],
  ['nul', removeControlChars],
];

const FULL_CHAIN: readonly Layer[] = [
  ['html', decodeHtmlEntities],
  ['url', decodePercent],
  ['js', decodeJsEscapes],
  ['css', decodeCssEscapes],
  ['unicode', normalizeUnicode],
  ['nul', removeControlChars],
  ['overlong', decodeOverlongUtf8],
];

/** True when no layer can change `value`: nothing escaped, nothing non-ASCII, no control character, no long token. */
function plain(value: string): boolean {
  // Short values may hold a short base64 token (see decodedVariants): from 8 characters it counts.
  const longToken = value.length <= 64 ? 8 : 16;
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 || c === 0x26 || c === 0x5c || c < 0x20 || c >= 0x7f) return false;
    const alphabet = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x2b || c === 0x2f || c === 0x2d || c === 0x5f;
    run = alphabet ? run + 1 : 0;
    if (run >= longToken) return false;
  }
  return true;
}

function fullDecode(value: string, layers: readonly string[]): DecodedVariant {
  let current = value;
  const applied = [...layers];
  for (const [name, decode] of FULL_CHAIN) {
    const next = decode(current);
    if (next !== current) { applied.push(name); current = next; }
  }
  return { value: current, layers: applied };
}

/** The decoded forms of `raw`, the value itself first. Never throws. */
export function decodedVariants(raw: string, options: VariantOptions = {}): DecodedVariant[] {
  const variants: DecodedVariant[] = [{ value: raw, layers: [] }];
  if (plain(raw)) return variants;
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

  const full = fullDecode(base, baseLayers);
  add(full.value, full.layers);

  // Short values (a path segment, a parameter) may be a short encoded payload: tokens from 8 characters count.
  const b64 = decodeBase64(base, base.length <= 64 ? 8 : undefined);
  if (b64 !== base) {
    const layers = [...baseLayers, 'base64'];
    add(b64, layers);
    const fullB64 = fullDecode(b64, layers);
    add(fullB64.value, fullB64.layers);
  }

  for (const [name, decode] of SINGLE_LAYERS) {
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
