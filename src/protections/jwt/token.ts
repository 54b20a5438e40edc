/**
 * Token extraction and the structural checks made before any key is looked up. Nothing here verifies a signature:
 * it decides whether a string is a compact JWS worth verifying, without regular expressions.
 */

/** Where the token is read from, compiled from the `token` setting. */
export type TokenLocation =
  | { kind: 'header'; name: string; scheme: string | undefined }
  | { kind: 'cookie'; name: string };

export type Extracted = { token: string } | { missing: true } | { ambiguous: true };

const MISSING: Extracted = Object.freeze({ missing: true });
const AMBIGUOUS: Extracted = Object.freeze({ ambiguous: true });

const isSpace = (c: number) => c === 0x20 || c === 0x09;

/** The token of a request, read from its header (after the scheme) or its cookie. */
export function extractToken(location: TokenLocation, headers: NodeJS.Dict<string | string[]>): Extracted {
  if (location.kind === 'cookie') return tokenFromCookies(headers.cookie, location.name);
  const value = headers[location.name];
  // Two copies of a header are ambiguous (Authorization duplicates are already refused by the core).
  if (Array.isArray(value)) return value.length === 0 ? MISSING : AMBIGUOUS;
  if (value === undefined) return MISSING;
  let start = 0;
  while (start < value.length && isSpace(value.charCodeAt(start))) start++;
  let end = value.length;
  while (end > start && isSpace(value.charCodeAt(end - 1))) end--;
  if (location.scheme !== undefined) {
    const scheme = location.scheme;
    // `Bearer` then one or more spaces: another scheme (Basic) is no bearer token at all.
    if (end - start <= scheme.length || value.slice(start, start + scheme.length).toLowerCase() !== scheme.toLowerCase()
      || !isSpace(value.charCodeAt(start + scheme.length))) return MISSING;
    start += scheme.length;
    while (start < end && isSpace(value.charCodeAt(start))) start++;
  }
  return start === end ? MISSING : { token: value.slice(start, end) };
}

function tokenFromCookies(header: string | string[] | undefined, name: string): Extracted {
  if (header === undefined) return MISSING;
  const text = Array.isArray(header) ? header.join('; ') : header;
  let found: string | undefined;
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return AMBIGUOUS;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    found = value;
  }
  return found === undefined || found === '' ? MISSING : { token: found };
}

/** A compact JWS split and decoded, not verified. */
export interface ParsedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** A structural refusal: the stable reason and a fixed description (never the token or its contents). */
export interface TokenProblem { reason: string; description: string }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isBase64urlChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

/** Decodes one base64url segment (no padding) to a JSON object; undefined when it is not one. */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length === 0 || segment.length % 4 === 1) return undefined;
  for (let i = 0; i < segment.length; i++) if (!isBase64urlChar(segment.charCodeAt(i))) return undefined;
  let text: string;
  try { text = strictUtf8.decode(Buffer.from(segment, 'base64url')); } catch { return undefined; }
  let value: unknown;
  try { value = JSON.parse(text); } catch { return undefined; }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // JSON.parse keeps the last of duplicate members, other parsers the first: refuse the ambiguity (`{"alg":...,"alg":...}`).
  if (hasDuplicateKeys(text)) return undefined;
  return value as Record<string, unknown>;
}

const MALFORMED: TokenProblem = Object.freeze({ reason: 'token_invalid', description: 'The access token is malformed' });

/**
 * Splits and decodes a compact JWS (`header.payload.signature`). Refuses anything else: JWE (five parts), an
 * unsecured token without signature, characters outside base64url, invalid UTF-8 or JSON, duplicate members.
 */
export function parseToken(token: string): ParsedToken | TokenProblem {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return MALFORMED;
  const signature = token.slice(second + 1);
  if (signature.length === 0) return { reason: 'token_algorithm_not_allowed', description: 'Unsigned tokens are not accepted' };
  for (let i = 0; i < signature.length; i++) if (!isBase64urlChar(signature.charCodeAt(i))) return MALFORMED;
  const header = decodeSegment(token.slice(0, first));
  const payload = decodeSegment(token.slice(first + 1, second));
  if (header === undefined || payload === undefined) return MALFORMED;
  return { header, payload };
}

/**
 * True when some object of a valid JSON text has two members with the same name (after unescaping). Linear: one pass
 * over the text with a stack of the member names seen per open object.
 */
export function hasDuplicateKeys(json: string): boolean {
  const stack: (Set<string> | null)[] = []; // null: an array
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      while (j < json.length) {
        const d = json.charCodeAt(j);
        if (d === 0x5c) { escaped = true; j += 2; continue; }
        if (d === 0x22) break;
        j++;
      }
      if (expectName) {
        const names = stack[stack.length - 1]!;
        const name = escaped ? JSON.parse(json.slice(i, j + 1)) as string : json.slice(i + 1, j);
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b) { stack.push(new Set()); expectName = true; }
    else if (c === 0x5b) { stack.push(null); expectName = false; }
    else if (c === 0x7d || c === 0x5d) { stack.pop(); expectName = false; }
    else if (c === 0x2c) { expectName = stack.length > 0 && stack[stack.length - 1] !== null; }
  }
  return false;
}

/** Scopes a token carries: `scope` (space-separated) and `scp` (an array, or a space-separated string). */
export function tokenScopes(payload: Record<string, unknown>): Set<string> {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string') { for (const scope of value.split(' ')) if (scope !== '') scopes.add(scope); }
    else if (Array.isArray(value)) { for (const scope of value) if (typeof scope === 'string' && scope !== '') scopes.add(scope); }
  };
  add(payload.scope);
  add(payload.scp);
  return scopes;
}
