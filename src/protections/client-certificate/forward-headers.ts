import type { ClientCertificate } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { ClientCertificateConfig } from './config.ts';

/** The certificate details that can be forwarded, each in its own header. */
export type ForwardedDetail = 'subject' | 'san' | 'fingerprint' | 'issuer' | 'serial' | 'certificate';

/** Forwarded when `forwardHeaders` is not configured. */
export const DEFAULT_FORWARD_HEADERS: Readonly<Partial<Record<ForwardedDetail, string>>> = Object.freeze({
  subject: 'x-client-cert-subject',
  san: 'x-client-cert-san',
  fingerprint: 'x-client-cert-fingerprint',
  issuer: 'x-client-cert-issuer',
});

/** Names the proxy sets itself or that change how a request is read: never usable for certificate details. */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
  'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'authorization', 'cookie', 'expect',
  'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip',
]);

/** The configured header names by detail (the defaults when `forwardHeaders` is absent). */
export function forwardHeaderNames(config: Pick<ClientCertificateConfig, 'forwardHeaders'>): Partial<Record<ForwardedDetail, string>> {
  return config.forwardHeaders ?? DEFAULT_FORWARD_HEADERS;
}

/**
 * Every header name a `clientCertificate` configuration of `policy` (global or on any route) may forward, plus the
 * defaults. The pipeline removes the client's copies of all of them from every request, on every route, before any
 * protection runs (`identityHeaders` in build-pipeline.ts), so that no route (and no bypass) ever forwards a
 * client-made certificate header.
 */
export function certificateHeaderNames(policy: Policy): readonly string[] {
  const found = new Set<string>(Object.values(DEFAULT_FORWARD_HEADERS));
  const add = (config: unknown) => {
    const headers = (config as Pick<ClientCertificateConfig, 'forwardHeaders'> | undefined)?.forwardHeaders;
    if (headers) for (const name of Object.values(headers)) if (typeof name === 'string') found.add(name);
  };
  const key = 'clientCertificate';
  add((policy.protections as Record<string, unknown> | undefined)?.[key]);
  for (const route of policy.routes ?? []) add((route.protections as Record<string, unknown> | undefined)?.[key]);
  return [...found];
}

/** The header value for one detail of a verified certificate; always printable ASCII. */
export function detailValue(certificate: ClientCertificate, detail: ForwardedDetail): string {
  switch (detail) {
    case 'subject': return certificate.subject;
    case 'issuer': return certificate.issuer;
    case 'fingerprint': return certificate.fingerprint;
    case 'serial': return certificate.serialNumber;
    case 'certificate': return encodeURIComponent(certificate.pem);
    case 'san': {
      const entries: string[] = [];
      for (const value of certificate.san.dns) entries.push(`DNS:${encodeSanValue(value)}`);
      for (const value of certificate.san.uri) entries.push(`URI:${encodeSanValue(value)}`);
      for (const value of certificate.san.email) entries.push(`email:${encodeSanValue(value)}`);
      for (const value of certificate.san.ip) entries.push(`IP:${encodeSanValue(value)}`);
      return entries.join(',');
    }
  }
}

/** Percent-encodes (UTF-8) every byte outside printable ASCII, and `%` and `,` (the entry separator). */
export function encodeSanValue(value: string): string {
  let out = '';
  const bytes = Buffer.from(value, 'utf8');
  for (const byte of bytes) {
    if (byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x2c) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
