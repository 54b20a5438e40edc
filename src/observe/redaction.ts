/**
 * Redaction for everything written to logs and events. Secrets (credentials, session cookies, API keys, tokens)
 * are replaced, never shortened: a shortened secret is still a partial secret.
 */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token', 'x-csrf-token',
];

/** Query parameter names whose values are redacted (matched case-insensitively as substrings). */
const SECRET_NAME_PARTS = ['token', 'password', 'passwd', 'secret', 'apikey', 'api_key', 'api-key', 'key', 'session', 'auth', 'code', 'signature', 'sig'];

export const REDACTED = '[redacted]';

export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

/**
 * JWTs and bearer/basic credentials inside free text. Two patterns rather than one alternation: each is linear
 * on its own (the lookbehind lets a JWT start only at the beginning of a token run), the alternation was not.
 */
const JWT_LIKE = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const CREDENTIAL_LIKE = /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/** The query string with the values of secret-looking parameters replaced. */
export function redactQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  let changed = false;
  const parts = rawQuery.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq === -1 || !isSecretName(decodeName(pair.slice(0, eq)))) return pair;
    changed = true;
    return `${pair.slice(0, eq)}=${REDACTED}`;
  });
  return changed ? parts.join('&') : rawQuery;
}

/** A parameter name as the application reads it (`%74oken` is `token`). */
function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try { return decodeURIComponent(raw.replaceAll('+', ' ')); } catch { return raw; }
}

const MAX_EXCERPT = 160;

/**
 * The field a body location names, as the application reads it: a form or multipart field's name (without the
 * `:filename`/`:content` of a part), the last step of a JSON path (`.password`, `['pass word']`, `[2]` names none)
 * or the last element or attribute of an XML path. '' for the body as a whole.
 */
function bodyFieldName(location: string): string {
  let rest = location.slice(5);
  if (rest.startsWith('form:')) return rest.slice(5);
  if (rest.startsWith('multipart:')) {
    rest = rest.slice(10);
    return rest.endsWith(':filename') ? rest.slice(0, -9) : rest.endsWith(':content') ? rest.slice(0, -8) : rest;
  }
  const cut = Math.max(rest.lastIndexOf('.'), rest.lastIndexOf('/'), rest.lastIndexOf('['), rest.lastIndexOf('@'));
  return cut < 0 ? '' : rest.slice(cut + 1).replace(/['"\]]/g, '');
}

/** An excerpt safe to log: secrets at secret locations removed entirely, token-like text replaced, truncated. */
export function redactExcerpt(excerpt: string | undefined, location: string | undefined, redactedHeaders: ReadonlySet<string>): string | undefined {
  if (excerpt === undefined) return undefined;
  if (location !== undefined) {
    const lower = location.toLowerCase();
    if (lower.startsWith('header:') && redactedHeaders.has(lower.slice(7))) return REDACTED;
    if (lower.startsWith('cookie:') || (lower.startsWith('query:') && isSecretName(lower.slice(6)))) return REDACTED;
    // a body field named for a secret (`body:form:password`, `body:$.user.password`, `body:multipart:api_key`)
    if (lower.startsWith('body:') && isSecretName(bodyFieldName(lower))) return REDACTED;
  }
  // Cut before matching so that the redaction pass stays cheap whatever the input size.
  const cleaned = excerpt.slice(0, MAX_EXCERPT * 2).replace(JWT_LIKE, REDACTED).replace(CREDENTIAL_LIKE, REDACTED);
  return cleaned.length > MAX_EXCERPT ? `${cleaned.slice(0, MAX_EXCERPT)}…` : cleaned;
}
