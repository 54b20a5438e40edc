/**
 * JSON bodies for identifier cloaking: parsed with the native parser, written back with JSON.stringify, but numbers
 * that would not survive a round trip through a double (more than 15 significant digits, exponents) are kept as
 * their exact source text (JSON.rawJSON), so rewriting an identifier never changes an amount elsewhere.
 */

const RawJson = JSON as unknown as {
  rawJSON(text: string): unknown;
  isRawJSON(value: unknown): boolean;
};

/** A reviver that keeps a number's source text when the parsed double would print differently. */
function exactNumbers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined && String(value) !== context.source) return RawJson.rawJSON(context.source);
  return value;
}

/**
 * Whether the text may hold a number that a double cannot hold: a run of 16 or more digits (precision) or an
 * exponent of three digits (overflow to Infinity, underflow to 0). Looked for anywhere, strings included (a false
 * alarm only costs the slower exact parse). Other numbers may change their spelling (`1.50` to `1.5`, `1e5` to
 * `100000`), never their value.
 */
const INEXACT = /[0-9]{16}|[eE][+-]?[0-9]{3}/;

export type ParsedJson = { ok: true; value: unknown } | { ok: false };

export function parseJson(text: string): ParsedJson {
  try {
    const parse = JSON.parse as (text: string, reviver?: unknown) => unknown;
    return { ok: true, value: INEXACT.test(text) ? parse(text, exactNumbers) : JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The document as JSON text, or undefined when it cannot be written (nesting deeper than the call stack). */
export function stringifyJson(value: unknown): string | undefined {
  try { return JSON.stringify(value); } catch { return undefined; }
}

/** A number kept as source text by `parseJson`: its text, else undefined. */
export function rawNumberText(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' && RawJson.isRawJSON(value) ? (value as { rawJSON: string }).rawJSON : undefined;
}

/** A JSON number from trusted text (one minted into a token from a response), exact. */
export function exactNumber(text: string): unknown {
  const parsed = Number(text);
  if (Number.isFinite(parsed) && String(parsed) === text) return parsed;
  try { return RawJson.rawJSON(text); } catch { return undefined; }
}

/** `application/json`, `application/problem+json`, `text/json`: what carries JSON. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || type === 'text/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** First non-blank character is `{` or `[`. */
export function looksLikeJson(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}
