import { readFileSync } from 'node:fs';
import type { KeyObject, webcrypto } from 'node:crypto';
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { defineProtection, type CreateContext } from '../../pipeline/protection.ts';
import { block, pass, type Block, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { JwtConfigSchema, type Algorithm, type JwtConfig, type KeySourceConfig } from './config.ts';
import {
  algorithmMismatch, hasSecretKey, importJwkDocument, loadPemKey, resolveSecretText, secretFilePermissionProblem, secretKey, type VerificationKey,
} from './keys.ts';
import { acquireRemoteJwks, type RemoteJwks } from './remote-jwks.ts';
import { extractToken, parseToken, tokenScopes, type TokenLocation } from './token.ts';

/** A token without `kid` is tried against at most this many keys; more candidates need a `kid`. */
const MAX_KEYS_WITHOUT_KID = 3;
/** Forwarded claim values longer than this are not sent. */
const MAX_FORWARDED_VALUE = 4096;

/**
 * Header names a claim cannot be forwarded as: the proxy sets them itself, they carry framing or credentials, or
 * they are hop-by-hop.
 */
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer',
  'upgrade', 'expect', 'proxy-authorization', 'proxy-connection', 'authorization', 'cookie', 'forwarded', 'x-forwarded-for',
  'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip',
]);

/** Fixed texts shown in `error_description` and `detail` (RFC 6750 allows no `"` or `\`): never token content. */
const DESCRIPTIONS: Record<string, string> = {
  token_missing: 'An access token is required',
  token_invalid: 'The access token is malformed',
  token_ambiguous: 'More than one access token was sent',
  token_too_large: 'The access token is too large',
  token_signature_invalid: 'The access token signature is invalid',
  token_algorithm_not_allowed: 'The access token algorithm is not accepted',
  token_critical_header: 'The access token has critical header parameters that are not supported',
  token_remote_key_rejected: 'Access tokens that point to remote keys (jku, x5u) are not accepted',
  token_kid_missing: 'The access token must name its key (kid)',
  token_key_unknown: 'The access token is signed with an unknown key',
  token_type_mismatch: 'The access token type is not accepted',
  token_expired: 'The access token has expired',
  token_not_yet_valid: 'The access token is not valid yet',
  token_issuer_mismatch: 'The access token issuer is not accepted',
  token_audience_mismatch: 'The access token is not meant for this service',
  token_claim_missing: 'The access token lacks a required claim',
  token_claim_mismatch: 'A claim of the access token has a value that is not accepted',
  insufficient_scope: 'The access token lacks the scope this request needs',
  insufficient_scope_method: 'No scope grants this method',
  jwks_unavailable: 'The keys to verify the access token are not available; retry later',
};

interface CompiledClaim { name: string; values: readonly (string | number | boolean)[] | undefined }
type ScopeRule = { all: readonly string[] } | { byMethod: ReadonlyMap<string, readonly string[]> };

/**
 * JSON Web Token verification.
 *
 * Protects against: requests without valid credentials, forged or tampered tokens (`alg: none`, RS/HS key confusion,
 * algorithms chosen by the token, keys pointed to by the token), expired or misdirected tokens (issuer, audience),
 * missing scopes, and clients spoofing identity headers meant for the upstream. Phase: request head. Buffers nothing.
 * Keys are compiled at load; JWK Set URLs are fetched in the background and cached (see `remote-jwks.ts`).
 */
export const jwt = defineProtection<JwtConfig>({
  name: 'jwt',
  key: 'jwt',
  schema: JwtConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: each worker verifies on its own and fetches and caches each JWK Set URL itself',
  create(config, context) {
    const issue = context.issue.bind(context);
    const realm = config.realm ?? 'portcullis';
    if (!isQuotable(realm)) issue('/realm', 'must be printable ASCII without `"` or `\\`');

    const location = compileLocation(config.token, issue);
    const locationLabel = location.kind === 'cookie' ? `cookie:${location.name}` : `header:${location.name}`;

    const staticKeys: VerificationKey[] = [];
    const remotes: RemoteJwks[] = [];
    const releases: (() => void)[] = [];
    if (config.keys === undefined) issue('/keys', 'is required: list at least one key source (here or in the global jwt configuration)');
    (config.keys ?? []).forEach((source, index) => {
      compileKeySource(source, `/keys/${index}`, issue, staticKeys, (options) => {
        const lease = acquireRemoteJwks(options);
        remotes.push(lease.jwks);
        releases.push(lease.release);
      });
    });
    const acceptedAlgorithms = new Set<string>([...staticKeys.flatMap((key) => [...key.algorithms]), ...remotes.flatMap((remote) => remote.options.algorithms)]);

    const required = config.required ?? true;
    const requireKid = config.requireKid ?? false;
    const maxTokenBytes = config.maxTokenBytes ?? 8192;
    const types = config.types?.map(normalizeType);
    const verifyOptions: JWTVerifyOptions = {
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSeconds ?? 30,
      requiredClaims: (config.requireExpiry ?? true) ? ['exp'] : [],
    };
    const claims: CompiledClaim[] = (config.requiredClaims ?? []).map((claim) =>
      typeof claim === 'string' ? { name: claim, values: undefined } : { name: claim.name, values: claim.values });
    const scopeRule = compileScopes(config.scopes, issue);
    const forwarded = compileForwardClaims(config.forwardClaims, context, issue);
    const strippedHeaders = [...new Set(forwarded.map(([, header]) => header))];

    // Refusals are built once; only scope refusals vary with the method.
    const refusals = new Map<string, Block>();
    const refuse = (reason: string): Block => {
      let verdict = refusals.get(reason);
      if (verdict === undefined) {
        const description = DESCRIPTIONS[reason]!;
        const challenge = reason === 'token_missing'
          ? `Bearer realm="${realm}"`
          : `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;
        verdict = reason === 'jwks_unavailable'
          ? block(503, reason, { detail: { location: locationLabel, message: description }, problem: { detail: description } })
          : block(401, reason === 'token_ambiguous' ? 'token_invalid' : reason, {
            headers: { 'www-authenticate': challenge },
            detail: { location: locationLabel, message: description },
            problem: { detail: description },
          });
        refusals.set(reason, verdict);
      }
      return verdict;
    };
    const unavailable = (remote: RemoteJwks[]): Block => {
      const wait = Math.max(1, Math.ceil(Math.min(...remote.map((r) => r.cooldownLeft())) / 1000));
      const base = refuse('jwks_unavailable');
      return { ...base, headers: { 'retry-after': String(wait) } };
    };
    const insufficientScope = (needed: readonly string[] | undefined): Block => {
      const description = DESCRIPTIONS[needed === undefined ? 'insufficient_scope_method' : 'insufficient_scope']!;
      const scope = needed === undefined ? '' : `, scope="${needed.join(' ')}"`;
      return block(403, 'insufficient_scope', {
        headers: { 'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope", error_description="${description}"${scope}` },
        detail: { location: locationLabel, message: description },
        problem: { detail: description, ...(needed === undefined ? {} : { requiredScope: needed.join(' ') }) },
      });
    };

    /** Keys for `alg` and `kid`, refreshing remote key sets when the key is not known (bounded by their cooldown). */
    async function candidates(alg: string, kid: string | undefined): Promise<VerificationKey[] | Block> {
      // Every known key takes part in the lookup (a kid naming an RSA key with alg HS256 is an algorithm refusal),
      // but only key sets that accept the algorithm are refreshed for it.
      const remotesForAlg = remotes.filter((remote) => remote.options.algorithms.includes(alg as Algorithm));
      const pool = () => remotes.length === 0 ? staticKeys : [...staticKeys, ...remotes.flatMap((remote) => remote.current())];
      let found = select(pool(), alg, kid);
      if (found !== 'unknown' || remotesForAlg.length === 0) return found === 'unknown' ? refuse('token_key_unknown') : found;
      const fetches = remotesForAlg.map((remote) => remote.refresh()).filter((fetch) => fetch !== undefined);
      if (fetches.length > 0) {
        await Promise.all(fetches);
        found = select(pool(), alg, kid);
        if (found !== 'unknown') return found;
      }
      const missing = remotesForAlg.filter((remote) => !remote.available);
      return missing.length > 0 ? unavailable(missing) : refuse('token_key_unknown');
    }

    function select(pool: readonly VerificationKey[], alg: string, kid: string | undefined): VerificationKey[] | Block | 'unknown' {
      if (kid !== undefined) {
        const exact = pool.filter((key) => key.kid === kid);
        if (exact.length > 0) {
          const usable = exact.filter((key) => key.algorithms.has(alg as Algorithm));
          return usable.length > 0 ? usable : refuse('token_algorithm_not_allowed');
        }
        const loose = pool.filter((key) => key.kid === undefined && key.algorithms.has(alg as Algorithm));
        return loose.length > 0 && loose.length <= MAX_KEYS_WITHOUT_KID ? loose : 'unknown';
      }
      const usable = pool.filter((key) => key.algorithms.has(alg as Algorithm));
      if (usable.length > MAX_KEYS_WITHOUT_KID) return refuse('token_kid_missing');
      return usable.length > 0 ? usable : 'unknown';
    }

    async function verify(exchange: Exchange, token: string, alg: string, kid: string | undefined): Promise<Verdict> {
      const keys = await candidates(alg, kid);
      if (!Array.isArray(keys)) return keys;
      let payload: Record<string, unknown> | undefined;
      for (const candidate of keys) {
        try {
          payload = (await jwtVerify(token, verificationKey(candidate, alg), { ...verifyOptions, algorithms: [alg] })).payload;
          break;
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
          return refuse(reasonOf(error));
        }
      }
      if (payload === undefined) return refuse('token_signature_invalid');
      for (const claim of claims) {
        const value = claimOf(payload, claim.name);
        if (value === undefined || value === null) return refuse('token_claim_missing');
        if (claim.values !== undefined && !claimMatches(value, claim.values)) return refuse('token_claim_mismatch');
      }
      if (scopeRule !== undefined) {
        const needed = 'all' in scopeRule ? scopeRule.all : scopesForMethod(scopeRule.byMethod, exchange.method);
        if (needed === undefined) return insufficientScope(undefined);
        if (needed.length > 0) {
          const granted = tokenScopes(payload);
          if (!needed.every((scope) => granted.has(scope))) return insufficientScope(needed);
        }
      }
      const subject = claimOf(payload, 'sub');
      if (typeof subject === 'string' && subject !== '') exchange.principal = subject;
      for (const [claim, header] of forwarded) {
        const text = claimText(claimOf(payload, claim));
        if (text !== undefined) exchange.setUpstreamHeader(header, text);
      }
      return pass();
    }

    return {
      onRequestHead(exchange: Exchange): Verdict | Promise<Verdict> {
        // First, whatever follows: the client's copies of the claim headers never reach the upstream.
        for (const header of strippedHeaders) exchange.setUpstreamHeader(header, null);
        const extracted = extractToken(location, exchange.req.headers);
        if ('missing' in extracted) return required ? refuse('token_missing') : pass();
        if ('ambiguous' in extracted) return refuse('token_ambiguous');
        const token = extracted.token;
        if (token.length > maxTokenBytes) return refuse('token_too_large');
        const parsed = parseToken(token);
        if ('reason' in parsed) return refuse(parsed.reason);
        const header = parsed.header;
        const alg = header.alg;
        if (typeof alg !== 'string') return refuse('token_invalid');
        if (header.crit !== undefined) return refuse('token_critical_header');
        if (header.jku !== undefined || header.x5u !== undefined) return refuse('token_remote_key_rejected');
        if (!acceptedAlgorithms.has(alg)) return refuse('token_algorithm_not_allowed');
        const kid = header.kid;
        if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) return refuse('token_invalid');
        if (kid === undefined && requireKid) return refuse('token_kid_missing');
        if (types !== undefined && (typeof header.typ !== 'string' || !types.includes(normalizeType(header.typ)))) return refuse('token_type_mismatch');
        return verify(exchange, token, alg, kid);
      },
      close() {
        for (const release of releases) release();
      },
    };
  },
});

type Issue = (path: string, message: string) => void;

const hmacKeys = new WeakMap<VerificationKey, Map<string, webcrypto.CryptoKey>>();

/**
 * The key handed to jose. Secrets become a WebCrypto key once per algorithm: jose would import a secret KeyObject
 * again on every verification (about four times the cost of the HMAC itself). Public keys are cached by jose.
 */
function verificationKey(candidate: VerificationKey, alg: string): KeyObject | webcrypto.CryptoKey {
  if (candidate.key.type !== 'secret') return candidate.key;
  let byAlg = hmacKeys.get(candidate);
  if (byAlg === undefined) { byAlg = new Map(); hmacKeys.set(candidate, byAlg); }
  let key = byAlg.get(alg);
  if (key === undefined) {
    key = candidate.key.toCryptoKey({ name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
    byAlg.set(alg, key);
  }
  return key;
}

function compileLocation(token: JwtConfig['token'], issue: Issue): TokenLocation {
  if (token === undefined) return { kind: 'header', name: 'authorization', scheme: 'Bearer' };
  if ('cookie' in token) {
    if (!isToken(token.cookie)) issue('/token/cookie', 'is not a valid cookie name');
    return { kind: 'cookie', name: token.cookie };
  }
  if (!isToken(token.header) || token.header !== token.header.toLowerCase()) issue('/token/header', 'must be a lower-case header name');
  if (token.scheme !== undefined && !isToken(token.scheme)) issue('/token/scheme', 'is not a valid authentication scheme name');
  return { kind: 'header', name: token.header, scheme: token.scheme ?? (token.header === 'authorization' ? 'Bearer' : undefined) };
}

function compileKeySource(
  source: KeySourceConfig, path: string, issue: Issue, keys: VerificationKey[], addRemote: (options: Parameters<typeof acquireRemoteJwks>[0]) => void,
): void {
  if ('secret' in source) {
    const secret = source.secret;
    if (typeof secret === 'object' && 'file' in secret) {
      const problem = secretFilePermissionProblem(secret.file);
      if (problem) { issue(`${path}/secret`, problem); return; }
    }
    const text = resolveSecretText(secret);
    if (typeof text !== 'string') { issue(`${path}/secret`, text.error); return; }
    const key = secretKey(text, source.encoding);
    const mismatch = algorithmMismatch(key, source.algorithms);
    if (mismatch) { issue(`${path}/algorithms`, mismatch); return; }
    keys.push({ kid: source.kid, key, algorithms: new Set(source.algorithms) });
    return;
  }
  if ('pem' in source) {
    const key = loadPemKey(source.pem);
    if ('error' in key) { issue(`${path}/pem`, key.error); return; }
    const mismatch = algorithmMismatch(key, source.algorithms);
    if (mismatch) { issue(`${path}/algorithms`, mismatch); return; }
    keys.push({ kid: source.kid, key, algorithms: new Set(source.algorithms) });
    return;
  }
  if ('jwks' in source) {
    let document: unknown;
    try { document = JSON.parse(readFileSync(source.jwks, 'utf8')); } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      issue(`${path}/jwks`, code ? `cannot read ${source.jwks} (${code})` : `${source.jwks} is not valid JSON`);
      return;
    }
    if (hasSecretKey(document)) {
      const problem = secretFilePermissionProblem(source.jwks);
      if (problem) { issue(`${path}/jwks`, problem); return; }
    }
    const imported = importJwkDocument(document, source.algorithms, true);
    for (const error of imported.errors) issue(`${path}/jwks`, `${source.jwks}: ${error}`);
    if (imported.errors.length > 0) return;
    if (imported.keys.length === 0) { issue(`${path}/jwks`, `${source.jwks} holds no key usable with ${source.algorithms.join(', ')}`); return; }
    keys.push(...imported.keys);
    return;
  }
  let url: URL;
  try { url = new URL(source.jwksUrl); } catch { issue(`${path}/jwksUrl`, 'is not a URL'); return; }
  if (url.protocol !== 'https:') { issue(`${path}/jwksUrl`, 'must be an https:// URL'); return; }
  if (url.username !== '' || url.password !== '') { issue(`${path}/jwksUrl`, 'must not carry credentials'); return; }
  let ca: string | undefined;
  if (source.ca !== undefined) {
    try { ca = readFileSync(source.ca, 'utf8'); } catch (error) {
      issue(`${path}/ca`, `cannot read ${source.ca} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) { issue(`${path}/ca`, `${source.ca} holds no PEM certificate`); return; }
  }
  addRemote({
    url: url.href,
    ca,
    algorithms: source.algorithms,
    refreshIntervalMs: source.refreshIntervalMs ?? 300_000,
    minRefreshIntervalMs: source.minRefreshIntervalMs ?? 30_000,
    timeoutMs: source.timeoutMs ?? 5000,
    maxStaleMs: source.maxStaleMs ?? 86_400_000,
    maxBytes: source.maxBytes ?? 1_048_576,
  });
}

function compileScopes(scopes: JwtConfig['scopes'], issue: Issue): ScopeRule | undefined {
  if (scopes === undefined) return undefined;
  const check = (list: readonly string[], path: string) => list.forEach((scope, index) => {
    if (!isScopeToken(scope)) issue(`${path}/${index}`, 'is not a valid scope (printable ASCII without space, `"` or `\\`)');
  });
  if (Array.isArray(scopes)) { check(scopes, '/scopes'); return { all: scopes }; }
  const byMethod = new Map<string, readonly string[]>();
  for (const [method, list] of Object.entries(scopes as Record<string, readonly string[] | undefined>)) {
    if (list === undefined) continue;
    check(list, `/scopes/${method}`);
    byMethod.set(method, list);
  }
  return { byMethod };
}

function scopesForMethod(byMethod: ReadonlyMap<string, readonly string[]>, method: string): readonly string[] | undefined {
  return byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined) ?? byMethod.get('*');
}

function compileForwardClaims(forward: JwtConfig['forwardClaims'], context: CreateContext, issue: Issue): [string, string][] {
  if (forward === undefined) return [];
  const requestIdHeader = (context.policy as { requestId?: { header?: string } } | undefined)?.requestId?.header;
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const [claim, header] of Object.entries(forward)) {
    const path = `/forwardClaims/${claim.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (!isToken(header) || header !== header.toLowerCase() || header.includes('_')) { issue(path, 'must be a lower-case header name (letters, digits, `-`)'); continue; }
    if (RESERVED_HEADERS.has(header) || header === requestIdHeader || header.startsWith('proxy-')) { issue(path, `${header} cannot carry a claim: the proxy sets it or it carries credentials or framing`); continue; }
    if (seen.has(header)) { issue(path, `${header} already carries another claim`); continue; }
    seen.add(header);
    out.push([claim, header]);
  }
  return out;
}

function reasonOf(error: unknown): string {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  if (code === 'ERR_JWT_EXPIRED') return claim === 'exp' ? 'token_expired' : 'token_invalid';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'iss') return 'token_issuer_mismatch';
    if (claim === 'aud') return 'token_audience_mismatch';
    if (reason === 'missing') return 'token_claim_missing';
    if (claim === 'nbf' && reason === 'check_failed') return 'token_not_yet_valid';
    return 'token_invalid';
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'token_algorithm_not_allowed';
  return 'token_invalid';
}

function claimOf(payload: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(payload, name) ? payload[name] : undefined;
}

function claimMatches(value: unknown, accepted: readonly (string | number | boolean)[]): boolean {
  if (Array.isArray(value)) return value.some((item) => accepted.includes(item as string));
  return accepted.includes(value as string);
}

/** A claim as header text: scalars as text, arrays of scalars joined; undefined when it cannot be sent as is. */
function claimText(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')) text = value.join(', ');
  else return undefined;
  if (text.length === 0 || text.length > MAX_FORWARDED_VALUE) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  return text;
}

function normalizeType(type: string): string {
  const lower = type.toLowerCase();
  return lower.startsWith('application/') ? lower.slice(12) : lower;
}

/** RFC 9110 token characters. */
function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '!#$%&\'*+-.^_`|~'.includes(text[i]!);
    if (!ok) return false;
  }
  return true;
}

/** RFC 6749 scope-token characters: %x21 / %x23-5B / %x5D-7E. */
function isScopeToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return text.length > 0;
}

/** Safe inside a quoted-string without escapes. */
function isQuotable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
