import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { ClientCertificate, TlsConnectionInfo } from '../../pipeline/exchange.ts';

/**
 * What the handshake of `socket` established. `askedForCertificate` is true when the listener requested a client
 * certificate; the certificate is then described whether it verified or not (`status` tells which).
 */
export function describeTlsConnection(socket: TLSSocket, askedForCertificate: boolean): TlsConnectionInfo {
  const serverName = typeof socket.servername === 'string' ? socket.servername.toLowerCase() : '';
  const info: TlsConnectionInfo = { version: socket.getProtocol() ?? '', serverName };
  if (askedForCertificate) {
    const certificate = describePeerCertificate(socket.getPeerCertificate(false), socket.authorized, socket.authorizationError);
    if (certificate) info.clientCertificate = certificate;
  }
  return info;
}

/** A peer certificate as Node reports it, made into plain, escaped values; `undefined` when none was presented. */
export function describePeerCertificate(peer: PeerCertificate | null | undefined, authorized: boolean, error: Error | string | null | undefined): ClientCertificate | undefined {
  if (!peer || !peer.raw || peer.raw.length === 0) return undefined;
  const code = error === null || error === undefined ? undefined : typeof error === 'string' ? error : ((error as { code?: string }).code ?? error.message);
  const status = authorized ? 'verified' : code === 'CERT_REVOKED' ? 'revoked' : 'untrusted';
  const subjectAttributes = nameAttributes(peer.subject);
  const issuerAttributes = nameAttributes(peer.issuer);
  return {
    status,
    ...(status === 'verified' ? {} : { error: code ?? 'UNKNOWN' }),
    subject: formatDistinguishedName(peer.subject),
    subjectAttributes,
    issuer: formatDistinguishedName(peer.issuer),
    issuerAttributes,
    san: parseSubjectAltName(peer.subjectaltname ?? ''),
    fingerprint: (peer.fingerprint256 ?? '').replaceAll(':', '').toLowerCase(),
    serialNumber: (peer.serialNumber ?? '').toUpperCase(),
    validFrom: peer.valid_from ?? '',
    validTo: peer.valid_to ?? '',
    pem: toPem(peer.raw),
  };
}

type NameObject = Readonly<Record<string, string | readonly string[] | undefined>> | undefined;

function nameAttributes(name: NameObject): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = Object.create(null);
  if (!name) return out;
  for (const key of Object.keys(name)) {
    const value = name[key];
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? [value] : [...value];
  }
  return out;
}

/**
 * RFC 4514 string of a distinguished name, most specific attribute first (`CN=a,OU=b,O=c`). Values are escaped as
 * RFC 4514 requires, and every byte outside printable ASCII is written `\XX`, so the result is safe in a header.
 */
export function formatDistinguishedName(name: NameObject): string {
  if (!name) return '';
  const parts: string[] = [];
  for (const key of Object.keys(name)) {
    const value = name[key];
    if (value === undefined) continue;
    for (const one of typeof value === 'string' ? [value] : value) parts.push(`${key}=${escapeDnValue(one)}`);
  }
  return parts.reverse().join(',');
}

const DN_SPECIAL = '"+,;<>\\=';

export function escapeDnValue(value: string): string {
  let out = '';
  const bytes = Buffer.from(value, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const char = String.fromCharCode(byte);
    if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (DN_SPECIAL.includes(char)) out += `\\${char}`;
    else if ((i === 0 && (char === '#' || char === ' ')) || (i === bytes.length - 1 && char === ' ')) out += `\\${char}`;
    else out += char;
  }
  return out;
}

/** subjectAltName entries by type. */
export interface SubjectAltNames { dns: string[]; uri: string[]; email: string[]; ip: string[] }

/**
 * Parses Node's `subjectaltname` text (`DNS:a.example, URI:spiffe://x, email:a@b, IP Address:10.0.0.1`). Values that
 * contain separators or quotes are given by Node as JSON strings (`URI:"a, b"`), which are decoded here; other
 * entry types (othername, DirName) are skipped.
 */
export function parseSubjectAltName(text: string): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], uri: [], email: [], ip: [] };
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const type = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const quoted = text.slice(colon + 1, j + 1);
      try { value = JSON.parse(quoted) as string; } catch { value = quoted.slice(1, -1); }
      next = j + 1;
    } else {
      const separator = text.indexOf(', ', colon + 1);
      next = separator === -1 ? text.length : separator;
      value = text.slice(colon + 1, next);
    }
    switch (type) {
      case 'DNS': out.dns.push(value); break;
      case 'URI': out.uri.push(value); break;
      case 'email': out.email.push(value); break;
      case 'IP Address': out.ip.push(value); break;
      default: break;
    }
    if (!text.startsWith(', ', next)) break;
    i = next + 2;
  }
  return out;
}

function toPem(der: Buffer): string {
  const base64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + '\n';
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}
