import { createPublicKey, createSecretKey, X509Certificate, type KeyObject, type JsonWebKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Algorithm } from './config.ts';

/** A key ready for verification: the token's `kid` selects it, its own algorithm list decides what it accepts. */
export interface VerificationKey {
  readonly kid: string | undefined;
  readonly key: KeyObject;
  readonly algorithms: ReadonlySet<Algorithm>;
}

const HMAC_MIN_BYTES: Partial<Record<Algorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** The algorithms a key object can verify, from its type (and curve or size). */
export function algorithmsForKey(key: KeyObject): readonly Algorithm[] {
  if (key.type === 'secret') {
    const size = key.symmetricKeySize ?? 0;
    return (['HS256', 'HS384', 'HS512'] as const).filter((alg) => size >= HMAC_MIN_BYTES[alg]!);
  }
  if (key.type !== 'public') return [];
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': return (details.modulusLength ?? 0) >= 2048 ? ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] : [];
    case 'rsa-pss': return (details.modulusLength ?? 0) >= 2048 ? ['PS256', 'PS384', 'PS512'] : [];
    case 'ec':
      if (details.namedCurve === 'prime256v1') return ['ES256'];
      if (details.namedCurve === 'secp384r1') return ['ES384'];
      if (details.namedCurve === 'secp521r1') return ['ES512'];
      return [];
    case 'ed25519': return ['EdDSA', 'Ed25519'];
    default: return [];
  }
}

/** Why the configured algorithms do not fit a key, or undefined when they all do. */
export function algorithmMismatch(key: KeyObject, wanted: readonly Algorithm[]): string | undefined {
  const possible = algorithmsForKey(key);
  const wrong = wanted.filter((alg) => !possible.includes(alg));
  if (wrong.length === 0) return undefined;
  return `${wrong.join(', ')} cannot be used with ${describeKey(key)}` +
    (possible.length > 0 ? ` (possible: ${possible.join(', ')})` : ' (no supported algorithm: RSA keys need 2048 bits, secrets 32 bytes or more)');
}

/** `an RSA key of 1024 bits`, `a P-256 key`, `a 20-byte secret`: never the key itself. */
export function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return `a ${key.symmetricKeySize ?? 0}-byte secret`;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': case 'rsa-pss': return `an RSA key of ${details.modulusLength ?? 0} bits`;
    case 'ec': return `an EC key on ${details.namedCurve ?? 'an unknown curve'}`;
    default: return `a ${key.asymmetricKeyType ?? 'unknown'} key`;
  }
}

/**
 * The text of a secret given inline, as `{ env: NAME }` or as `{ file: PATH }` (one trailing newline removed), like the
 * policy loader's own secrets. Problems name the variable or file, never the value.
 */
export function resolveSecretText(secret: string | { env: string } | { file: string }): string | { error: string } {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = process.env[secret.env];
    return value === undefined || value === '' ? { error: `environment variable ${secret.env} is not set` } : value;
  }
  let text: string;
  try { text = readFileSync(secret.file, 'utf8'); } catch (error) {
    return { error: `cannot read secret file ${secret.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (text.endsWith('\r\n')) text = text.slice(0, -2);
  else if (text.endsWith('\n')) text = text.slice(0, -1);
  return text === '' ? { error: `secret file ${secret.file} is empty` } : text;
}

/** Secret key bytes from the resolved secret text. */
export function secretKey(text: string, encoding: 'utf8' | 'base64' | 'base64url' | undefined): KeyObject {
  return createSecretKey(Buffer.from(text, encoding ?? 'utf8'));
}

/**
 * A file holding a secret must be readable by its owner only (mode 0600 or 0400): a secret that every local user can
 * read is not a secret. Returns the problem, or undefined.
 */
export function secretFilePermissionProblem(file: string): string | undefined {
  let mode: number;
  try { mode = statSync(file).mode; } catch (error) {
    return `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    return `${file} holds a secret and is accessible to group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); make it 0600 or 0400`;
  }
  return undefined;
}

interface PemBlock { label: string; text: string }

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', at);
    if (begin === -1) return blocks;
    const labelEnd = text.indexOf('-----', begin + 11);
    if (labelEnd === -1) return blocks;
    const label = text.slice(begin + 11, labelEnd);
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, labelEnd);
    if (end === -1) return blocks;
    blocks.push({ label, text: text.slice(begin, end + endMarker.length) });
    at = end + endMarker.length;
  }
}

/** The public key of a PEM file: one `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE` block. */
export function loadPemKey(file: string): KeyObject | { error: string } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (error) {
    return { error: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { error: `${file} holds no PEM block` };
  if (blocks.length > 1) return { error: `${file} holds ${blocks.length} PEM blocks; give one key or certificate per entry` };
  const { label } = blocks[0]!;
  if (label.includes('PRIVATE')) return { error: `${file} holds a private key; give the public key (or the certificate) instead` };
  try {
    if (label === 'CERTIFICATE') return new X509Certificate(blocks[0]!.text).publicKey;
    if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
      return createPublicKey({ key: blocks[0]!.text, format: 'pem', ...(label === 'RSA PUBLIC KEY' ? { type: 'pkcs1' as const } : {}) });
    }
  } catch {
    return { error: `${file}: the ${label} block cannot be decoded` };
  }
  return { error: `${file}: a ${label} block is not a public key or certificate` };
}

/** What one JWK turned into: a key, a reason to skip it quietly (another use), or an error. */
export type JwkResult = { key: VerificationKey } | { skip: string } | { error: string };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'];

/**
 * Imports one JWK for verification. `allowed` is the source's algorithm list; a key's own `alg` narrows it. Symmetric
 * keys are accepted only when `allowSecret` (key files; never from a URL). Private keys are refused.
 */
export function importJwk(jwk: unknown, allowed: readonly Algorithm[], allowSecret: boolean): JwkResult {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return { error: 'a key is not a JSON object' };
  const member = jwk as Record<string, unknown>;
  const kid = member.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) return { error: 'a key has a "kid" that is not a string of 1 to 256 characters' };
  const label = kid === undefined ? 'a key without kid' : `key "${kid}"`;
  if (member.use !== undefined && member.use !== 'sig') return { skip: `${label} is not for signatures` };
  if (Array.isArray(member.key_ops) && !member.key_ops.includes('verify')) return { skip: `${label} is not for verification` };
  if (PRIVATE_MEMBERS.some((name) => member[name] !== undefined)) return { error: `${label} is a private key; publish only public keys` };
  let key: KeyObject;
  try {
    if (member.kty === 'oct') {
      if (!allowSecret) return { skip: `${label} is a symmetric key (not accepted from a URL)` };
      if (typeof member.k !== 'string') return { error: `${label} has no "k"` };
      key = createSecretKey(Buffer.from(member.k, 'base64url'));
    } else if (member.kty === 'RSA' || member.kty === 'EC' || member.kty === 'OKP') {
      const { alg: _alg, use: _use, key_ops: _ops, kid: _kid, x5c: _x5c, x5t: _x5t, 'x5t#S256': _x5t256, x5u: _x5u, ...material } = member;
      key = createPublicKey({ key: material as JsonWebKey, format: 'jwk' });
    } else {
      return { skip: `${label} has an unsupported key type` };
    }
  } catch {
    return { error: `${label} cannot be imported` };
  }
  const possible = algorithmsForKey(key);
  let algorithms = allowed.filter((alg) => possible.includes(alg));
  if (member.alg !== undefined) {
    // The key's own `alg` pins it to that algorithm (an EdDSA key is also valid as Ed25519 and the reverse).
    const own = member.alg === 'EdDSA' || member.alg === 'Ed25519' ? ['EdDSA', 'Ed25519'] : [member.alg];
    algorithms = algorithms.filter((alg) => own.includes(alg));
  }
  if (algorithms.length === 0) return { skip: `${label} (${describeKey(key)}) accepts none of the configured algorithms` };
  return { key: { kid: kid as string | undefined, key, algorithms: new Set(algorithms) } };
}

/** The keys of a parsed JWK or JWK Set document. */
export function importJwkDocument(document: unknown, allowed: readonly Algorithm[], allowSecret: boolean): { keys: VerificationKey[]; skipped: string[]; errors: string[] } {
  const out = { keys: [] as VerificationKey[], skipped: [] as string[], errors: [] as string[] };
  if (document === null || typeof document !== 'object' || Array.isArray(document)) { out.errors.push('is not a JSON object'); return out; }
  const set = (document as { keys?: unknown }).keys;
  const list = set === undefined ? [document] : set;
  if (!Array.isArray(list)) { out.errors.push('"keys" is not an array'); return out; }
  for (const jwk of list) {
    const result = importJwk(jwk, allowed, allowSecret);
    if ('key' in result) out.keys.push(result.key);
    else if ('skip' in result) out.skipped.push(result.skip);
    else out.errors.push(result.error);
  }
  return out;
}

/** Whether a JWK document holds a symmetric key (then the file is a secret). */
export function hasSecretKey(document: unknown): boolean {
  const set = (document as { keys?: unknown } | null)?.keys;
  const list = Array.isArray(set) ? set : [document];
  return list.some((jwk) => (jwk as { kty?: unknown } | null)?.kty === 'oct');
}
