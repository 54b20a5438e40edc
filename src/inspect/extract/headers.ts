import type { InspectedInput } from '../finding.ts';
import { DEFAULT_MAX_INPUTS, tooManyInputs, type ExtractResult } from './extract-result.ts';
import { strictUtf8Text } from './charset.ts';

/**
 * Which request headers are inspected as inputs (`header:NAME`, lower-case name): those attackers write into and
 * applications read (logged, echoed, used to build URLs or to decide the client's address), plus names from
 * the policy. Not here: `Content-Type` (parsed strictly on its own), `Cookie` (cookies.ts), `Host` and framing
 * headers (checked by the HTTP layer), `Authorization` (a credential: inspected by the auth protections).
 */
export const DEFAULT_INSPECTED_HEADERS: readonly string[] = [
  'user-agent', 'referer', 'origin',
  'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'x-client-ip', 'true-client-ip',
  'x-original-url', 'x-rewrite-url',
];

/**
 * Headers never inspected when every header is: framing and connection headers (checked by the HTTP layer),
 * credentials (a token is not an input, and the auth protections verify it), `Cookie` (cookies.ts) and
 * `Content-Type` (parsed strictly on its own), plus caching validators whose values are opaque.
 */
export const NOT_INSPECTED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'expect',
  'authorization', 'proxy-authorization', 'cookie', 'content-type', 'if-none-match', 'if-match',
  'sec-websocket-key', 'sec-websocket-accept', 'sec-websocket-version', 'sec-websocket-extensions',
]);

export interface HeaderOptions {
  /** Inspect every header except NOT_INSPECTED_HEADERS and `skip` (instead of the default list). */
  readonly all?: boolean;
  /** With `all`: more header names not to inspect (lower-case). */
  readonly skip?: readonly string[];
  /** Extra header names to inspect (any case). */
  readonly extra?: readonly string[];
  /** Replace the default list instead of adding to it. */
  readonly only?: readonly string[];
  readonly maxInputs?: number;
}

/** `rawHeaders` form (`[name, value, name, value, ...]`, every field line kept) or Node's `req.headers` record. */
export type HeaderFields = readonly string[] | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Node gives header values as Latin-1 (one char per byte). Values that are valid UTF-8 are read as UTF-8, as
 * applications do, so that e.g. full-width characters reach the Unicode layer; others keep every byte.
 */
function asUtf8(value: string): string {
  let high = false;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) { high = true; break; }
  if (!high) return value;
  return strictUtf8Text(Buffer.from(value, 'latin1')) ?? value;
}

/** Which header names (lower-case) are inspected: decided from the options once, then asked per header line. */
export type HeaderSelection = (name: string) => boolean;

/** The selection the options describe; build it once (at load) and pass it to every extractHeaders call. */
export function headerSelection(options: HeaderOptions = {}): HeaderSelection {
  if (options.all) {
    const skip = new Set((options.skip ?? []).map((name) => name.toLowerCase()));
    return (name) => !NOT_INSPECTED_HEADERS.has(name) && !skip.has(name);
  }
  const wanted = new Set<string>(options.only ?? DEFAULT_INSPECTED_HEADERS);
  for (const name of options.extra ?? []) wanted.add(name.toLowerCase());
  if (options.only) for (const name of options.only) wanted.add(name.toLowerCase());
  return (name) => wanted.has(name);
}

/** Lower-case header names, remembered: clients send the same few names in the same case on every request. */
const LOWER_NAMES = new Map<string, string>();
const LOWER_NAMES_MAX = 512;

function lowerName(raw: string): string {
  let lower = LOWER_NAMES.get(raw);
  if (lower === undefined) {
    lower = raw.toLowerCase();
    if (LOWER_NAMES.size >= LOWER_NAMES_MAX) LOWER_NAMES.clear();
    LOWER_NAMES.set(raw, lower);
  }
  return lower;
}

/**
 * Extracts the inspected headers; every field line of a repeated header is its own input. Never throws. `selection`
 * (from headerSelection) saves deciding the names again on every request; without it, `options` decide.
 */
export function extractHeaders(headers: HeaderFields, options: HeaderOptions = {}, selection: HeaderSelection = headerSelection(options)): ExtractResult {
  const maxInputs = options.maxInputs ?? DEFAULT_MAX_INPUTS;
  const inputs: InspectedInput[] = [];
  const add = (rawName: string, value: string): boolean => {
    const name = lowerName(rawName);
    if (!selection(name) || value === '') return true;
    inputs.push({ source: 'header', name, location: 'header:' + name, value: asUtf8(value) });
    return inputs.length <= maxInputs;
  };
  if (Array.isArray(headers)) {
    const raw = headers as readonly string[];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!add(raw[i]!, raw[i + 1]!)) return tooManyInputs(maxInputs);
    }
  } else {
    for (const [name, value] of Object.entries(headers as Readonly<Record<string, string | readonly string[] | undefined>>)) {
      if (value === undefined) continue;
      if (typeof value === 'string') { if (!add(name, value)) return tooManyInputs(maxInputs); continue; }
      for (const v of value) if (!add(name, v)) return tooManyInputs(maxInputs);
    }
  }
  return { inputs };
}
