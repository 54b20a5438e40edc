import { readFileSync, statSync } from 'node:fs';
import type { PolicyIssue } from '../../config/policy-error.ts';
import type { PemSource } from './tls-schema.ts';

/** What a PEM source must contain; the marker is checked so that a swapped file gets a clear message. */
export type PemKind = 'certificate' | 'private key' | 'CA bundle' | 'CRL';

const MARKERS: Record<PemKind, readonly string[]> = {
  certificate: ['-----BEGIN CERTIFICATE-----'],
  'CA bundle': ['-----BEGIN CERTIFICATE-----'],
  'private key': ['-----BEGIN PRIVATE KEY-----', '-----BEGIN EC PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----'],
  CRL: ['-----BEGIN X509 CRL-----'],
};

/**
 * Reads one piece of PEM material (a file path, `{ file }` or `{ env }`). Problems are added to `issues` at `pointer`
 * and `undefined` is returned; messages name the file or the variable, never the content. A private-key file
 * readable by group or others is refused (checklist P3): `chmod 600` it (or 400).
 */
export function readPem(source: PemSource, kind: PemKind, pointer: string, issues: PolicyIssue[], env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  let data: Buffer;
  let origin: string;
  if (typeof source === 'object' && 'env' in source) {
    const value = env[source.env];
    origin = `environment variable ${source.env}`;
    if (value === undefined || value === '') { issues.push({ path: pointer, message: `${origin} is not set` }); return undefined; }
    data = Buffer.from(value, 'utf8');
  } else {
    const file = typeof source === 'string' ? source : source.file;
    origin = `file ${file}`;
    try {
      if (kind === 'private key') {
        const mode = statSync(file).mode;
        if ((mode & 0o077) !== 0) {
          issues.push({ path: pointer, message: `${origin} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); restrict it to its owner (chmod 600)` });
          return undefined;
        }
      }
      data = readFileSync(file);
    } catch (error) {
      issues.push({ path: pointer, message: `cannot read ${origin} (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      return undefined;
    }
  }
  const text = data.toString('latin1');
  if (!MARKERS[kind].some((marker) => text.includes(marker))) {
    const expected = kind === 'private key' ? 'an unencrypted PEM private key' : `a PEM ${kind === 'CRL' ? 'CRL' : 'certificate'}`;
    const hint = kind === 'private key' && text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') ? ' (encrypted keys are not supported)' : '';
    issues.push({ path: pointer, message: `${origin} does not hold ${expected}${hint}` });
    return undefined;
  }
  return data;
}

/** A short, content-free description of an OpenSSL error from `tls.createSecureContext` (code only, no message text). */
export function describeTlsError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'ERR_OSSL_X509_KEY_VALUES_MISMATCH': return 'the private key does not match the certificate';
    case 'ERR_SSL_NO_CIPHER_MATCH': return 'no cipher in `ciphers` is known to OpenSSL';
    case 'ERR_OSSL_PEM_NO_START_LINE':
    case 'ERR_OSSL_PEM_BAD_BASE64_DECODE':
    case 'ERR_OSSL_ASN1_WRONG_TAG':
    case 'ERR_OSSL_ASN1_HEADER_TOO_LONG': return `malformed PEM or DER content (${code})`;
    default: return `OpenSSL refused the material (${code || (error instanceof Error ? error.name : 'error')})`;
  }
}
