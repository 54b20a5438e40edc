import { createHash } from 'node:crypto';
import { gcmsiv } from '@noble/ciphers/aes.js';
import { resolveSecretText, secretFilePermissionProblem } from '../jwt/keys.ts';
import type { IdentifierKeyConfig } from './config.ts';

/**
 * Identifier tokens: deterministic AEAD encryption of an object identifier, bound to its kind and to a principal.
 *
 * Cipher: AES-256-GCM-SIV (RFC 8452) from @noble/ciphers (audited; Node's OpenSSL build does not expose GCM-SIV).
 * GCM-SIV stays secure when a nonce repeats, which is what makes deterministic tokens safe: the nonce is derived
 * from the associated data (SHA-256, first 12 bytes), so one (key, kind, principal, expiry, value) always gives the
 * same token and clients can cache URLs, while a repeated nonce reveals nothing but that equality.
 *
 * Token bytes, then base64url without padding:
 *
 *   format (1: no expiry, 2: expiry) | key id length (1..16) | key id | [expiry, u32 big-endian Unix seconds]
 *   | ciphertext of (type byte `s` or `n` | identifier UTF-8) | 16-byte tag
 *
 * The associated data binds the format, key id, expiry, kind, binding (principal, certificate or cookie name) and the
 * principal, so changing any of them, or presenting the token for another kind or principal, fails authentication.
 * The ciphertext is as long as the identifier: token length reveals identifier length.
 */

export const FORMAT_PLAIN = 1;
export const FORMAT_EXPIRING = 2;
const TAG_BYTES = 16;
const CONTEXT = Buffer.from('portcullis/identifier-cloaking/1', 'utf8');
/** Longest token text looked at; anything longer is malformed without decoding. */
export const MAX_TOKEN_CHARS = 4096;
/** format + id length + 1-char id + type byte + tag, in base64url characters. */
const MIN_TOKEN_CHARS = Math.ceil(((1 + 1 + 1 + 1 + TAG_BYTES) * 4) / 3);

/** Why a token was refused (the sub-reason of `identifier_token_invalid`). */
export type RefusalReason =
  | 'malformed' // not a token at all: a raw identifier, bad base64url, wrong format byte, truncated
  | 'unknown_key' // names a key id that is not (or no longer) configured
  | 'retired_key' // its key's `notAfter` has passed
  | 'expired'
  | 'not_authentic'; // tampered, or minted for another kind or another principal (AEAD cannot tell which)

/** An identifier as the upstream wrote it: a string, or a number kept as its JSON text. */
export interface Identifier { readonly text: string; readonly numeric: boolean }

export interface CloakKey {
  readonly id: string;
  readonly idBytes: Buffer;
  readonly key: Uint8Array;
  /** Milliseconds since the epoch after which its tokens are refused; only for keys after the first. */
  readonly notAfter: number | undefined;
}

export type DecodeResult = { ok: true; id: Identifier; keyId: string; expiresAt: number | undefined } | { ok: false; reason: RefusalReason };

/**
 * Compiles the configured keys: resolves each secret (inline, `{ env }`, `{ file }` readable by its owner only),
 * requires exactly 32 bytes after decoding, unique ids, and `notAfter` only on keys after the first. Problems go to
 * `issue` with a pointer relative to `keys`; a secret never appears in them.
 */
export function compileKeys(configs: readonly IdentifierKeyConfig[], issue: (path: string, message: string) => void): CloakKey[] {
  const keys: CloakKey[] = [];
  const ids = new Set<string>();
  configs.forEach((config, index) => {
    const at = `/${index}`;
    if (ids.has(config.id)) issue(`${at}/id`, `key id "${config.id}" is listed twice`);
    ids.add(config.id);
    let notAfter: number | undefined;
    if (config.notAfter !== undefined) {
      notAfter = Date.parse(config.notAfter);
      if (index === 0) issue(`${at}/notAfter`, 'the first key mints new tokens and cannot have notAfter; put the new key first');
      else if (!Number.isFinite(notAfter) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(config.notAfter)) issue(`${at}/notAfter`, 'must be an RFC 3339 date-time such as 2026-12-31T00:00:00Z');
    }
    if (typeof config.secret === 'object' && 'file' in config.secret) {
      const problem = secretFilePermissionProblem(config.secret.file);
      if (problem) { issue(`${at}/secret`, problem); return; }
    }
    const text = resolveSecretText(config.secret);
    if (typeof text !== 'string') { issue(`${at}/secret`, text.error); return; }
    const bytes = decodeKeyText(text.trim(), config.encoding ?? 'base64');
    if (bytes === undefined) {
      issue(`${at}/secret`, `must be 32 bytes written in ${config.encoding ?? 'base64'} (e.g. \`openssl rand -${config.encoding === 'hex' ? 'hex' : 'base64'} 32\`)`);
      return;
    }
    keys.push({ id: config.id, idBytes: Buffer.from(config.id, 'latin1'), key: bytes, notAfter });
  });
  return keys;
}

/** Strictly decodes 32 key bytes: the text must be the canonical encoding (Buffer.from alone skips bad characters). */
export function decodeKeyText(text: string, encoding: 'base64' | 'base64url' | 'hex'): Uint8Array | undefined {
  const bytes = Buffer.from(text, encoding);
  if (bytes.length !== 32) return undefined;
  const canonical = bytes.toString(encoding);
  const comparable = encoding === 'hex' ? text.toLowerCase() : encoding === 'base64' ? withoutPadding(text) : text;
  if ((encoding === 'base64' ? withoutPadding(canonical) : canonical) !== comparable) return undefined;
  return new Uint8Array(bytes);
}

function withoutPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  return text.slice(0, end);
}

/** A Map that forgets its oldest entries beyond `max` (insertion order). */
class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) { this.max = max; }
  get(key: string): V | undefined { return this.max === 0 ? undefined : this.entries.get(key); }
  set(key: string, value: V): void {
    if (this.max === 0) return;
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
  get size(): number { return this.entries.size; }
}

export interface CodecOptions {
  /** Label of the binding (`principal`, `clientCertificate`, `cookie:sid`): tokens of one binding fail under another. */
  readonly binding: string;
  readonly ttlSeconds?: number;
  readonly cacheEntries?: number;
}

interface Decoded { id: Identifier; keyIndex: number; expiresAt: number | undefined }

/** Mints and checks tokens with a compiled key list (first key mints, all decode). */
export class TokenCodec {
  private readonly keys: readonly CloakKey[];
  private readonly byId: ReadonlyMap<string, number>;
  private readonly binding: Buffer;
  private readonly ttl: number | undefined;
  private readonly step: number;
  /** Encodings by context (kind, expiry, principal), then by identifier; cleared whole when over `cacheEntries`. */
  private readonly encoded = new Map<string, Map<string, string>>();
  private encodedCount = 0;
  private readonly maxEncoded: number;
  private readonly decoded: BoundedCache<Decoded>;

  constructor(keys: readonly CloakKey[], options: CodecOptions) {
    if (keys.length === 0) throw new Error('identifier cloaking needs at least one key');
    this.keys = keys;
    this.byId = new Map(keys.map((key, index) => [key.id, index]));
    this.binding = Buffer.from(options.binding, 'utf8');
    this.ttl = options.ttlSeconds;
    this.step = this.ttl === undefined ? 0 : Math.max(1, Math.floor(this.ttl / 4));
    this.maxEncoded = options.cacheEntries ?? 10_000;
    this.decoded = new BoundedCache(options.cacheEntries ?? 10_000);
  }

  /** The expiry (Unix seconds) a token minted at `nowMs` gets: rounded up so tokens stay stable for a while. */
  expiryFor(nowMs: number): number | undefined {
    if (this.ttl === undefined) return undefined;
    return Math.ceil((Math.floor(nowMs / 1000) + this.ttl) / this.step) * this.step;
  }

  encode(kind: string, principal: string, id: Identifier, nowMs = Date.now()): string {
    return this.encoderFor(kind, principal, nowMs)(id);
  }

  /**
   * An encoder for many identifiers of one kind and principal at one time (a response's worth): the cache context
   * is looked up once.
   */
  encoderFor(kind: string, principal: string, nowMs = Date.now()): (id: Identifier) => string {
    const expiresAt = this.expiryFor(nowMs);
    const contextKey = `${kind}\u0000${expiresAt ?? ''}\u0000${principal}`;
    let byValue = this.maxEncoded === 0 ? undefined : this.encoded.get(contextKey);
    const key = this.keys[0]!;
    let aad: Uint8Array | undefined;
    let nonce: Uint8Array | undefined;
    const header = tokenHeader(key, expiresAt);
    return (id) => {
      const valueKey = (id.numeric ? 'n' : 's') + id.text;
      const cached = byValue?.get(valueKey);
      if (cached !== undefined) return cached;
      aad ??= associatedData(header, kind, this.binding, principal);
      nonce ??= nonceFor(aad);
      const plaintext = Buffer.from(valueKey, 'utf8');
      const token = Buffer.concat([header, gcmsiv(key.key, nonce, aad).encrypt(plaintext)]).toString('base64url');
      if (this.maxEncoded > 0) {
        if (++this.encodedCount > this.maxEncoded) { this.encoded.clear(); this.encodedCount = 1; byValue = undefined; }
        if (byValue === undefined) this.encoded.set(contextKey, byValue = new Map());
        byValue.set(valueKey, token);
      }
      return token;
    };
  }

  decode(kind: string, principal: string, token: string, nowMs = Date.now()): DecodeResult {
    const cacheKey = `${kind}\u0000${principal.length}:${principal}${token}`;
    const cached = this.decoded.get(cacheKey);
    if (cached !== undefined) return this.stillValid(cached, nowMs);
    if (token.length < MIN_TOKEN_CHARS || token.length > MAX_TOKEN_CHARS || !isBase64Url(token)) return { ok: false, reason: 'malformed' };
    const bytes = Buffer.from(token, 'base64url');
    // Only the canonical text of these bytes is accepted: otherwise unused low bits of the last character would give
    // several texts for one token.
    if (bytes.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
    const format = bytes[0]!;
    if (format !== FORMAT_PLAIN && format !== FORMAT_EXPIRING) return { ok: false, reason: 'malformed' };
    const idLength = bytes[1]!;
    const headerLength = 2 + idLength + (format === FORMAT_EXPIRING ? 4 : 0);
    if (idLength < 1 || idLength > 16 || bytes.length < headerLength + 1 + TAG_BYTES) return { ok: false, reason: 'malformed' };
    const keyIndex = this.byId.get(bytes.toString('latin1', 2, 2 + idLength));
    if (keyIndex === undefined) return { ok: false, reason: 'unknown_key' };
    const key = this.keys[keyIndex]!;
    if (key.notAfter !== undefined && nowMs > key.notAfter) return { ok: false, reason: 'retired_key' };
    const expiresAt = format === FORMAT_EXPIRING ? bytes.readUInt32BE(2 + idLength) : undefined;
    const header = bytes.subarray(0, headerLength);
    const aad = associatedData(header, kind, this.binding, principal);
    let plaintext: Uint8Array;
    try {
      plaintext = gcmsiv(key.key, nonceFor(aad), aad).decrypt(bytes.subarray(headerLength));
    } catch {
      return { ok: false, reason: 'not_authentic' };
    }
    const type = plaintext[0];
    if (type !== 0x73 && type !== 0x6e) return { ok: false, reason: 'malformed' }; // authentic, but not ours (a foreign minting tool)
    const decoded: Decoded = { id: { text: Buffer.from(plaintext.buffer, plaintext.byteOffset + 1, plaintext.length - 1).toString('utf8'), numeric: type === 0x6e }, keyIndex, expiresAt };
    this.decoded.set(cacheKey, decoded);
    return this.stillValid(decoded, nowMs);
  }

  private stillValid(decoded: Decoded, nowMs: number): DecodeResult {
    const key = this.keys[decoded.keyIndex]!;
    if (key.notAfter !== undefined && nowMs > key.notAfter) return { ok: false, reason: 'retired_key' };
    if (decoded.expiresAt !== undefined && Math.floor(nowMs / 1000) >= decoded.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, id: decoded.id, keyId: key.id, expiresAt: decoded.expiresAt };
  }

  /** Entries in the encode and decode caches (for tests). */
  cacheSizes(): { encoded: number; decoded: number } { return { encoded: this.encodedCount, decoded: this.decoded.size }; }
}

function tokenHeader(key: CloakKey, expiresAt: number | undefined): Buffer {
  const header = Buffer.allocUnsafe(2 + key.idBytes.length + (expiresAt === undefined ? 0 : 4));
  header[0] = expiresAt === undefined ? FORMAT_PLAIN : FORMAT_EXPIRING;
  header[1] = key.idBytes.length;
  key.idBytes.copy(header, 2);
  if (expiresAt !== undefined) header.writeUInt32BE(expiresAt, 2 + key.idBytes.length);
  return header;
}

/** Context | header (format, key id, expiry) | kind | binding | principal, each variable part length-prefixed. */
function associatedData(header: Uint8Array, kind: string, binding: Buffer, principal: string): Uint8Array {
  const kindBytes = Buffer.from(kind, 'utf8');
  const principalBytes = Buffer.from(principal, 'utf8');
  const out = Buffer.allocUnsafe(CONTEXT.length + 4 + header.length + 4 + kindBytes.length + 4 + binding.length + 4 + principalBytes.length);
  let at = CONTEXT.copy(out, 0);
  for (const part of [header, kindBytes, binding, principalBytes]) {
    at = out.writeUInt32BE(part.length, at);
    at += Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(out, at);
  }
  return out;
}

function nonceFor(aad: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(aad).digest().subarray(0, 12));
}

function isBase64Url(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}
