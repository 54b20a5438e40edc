/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded, in either direction, and neither are the headers a
 * `Connection` header names, except the ones listed in `PROTECTED`: a client must not be able to make Portcullis
 * drop a header that a backend relies on for security (APISIX CVE-2022-24112 used `Connection: X-Real-IP`).
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);

/** Never removed because a client's `Connection` header names them. */
const PROTECTED: ReadonlySet<string> = new Set([
  'host', 'content-length', 'content-type', 'content-encoding', 'authorization', 'cookie',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-request-id',
]);

/** Header names listed in `Connection` that must also be dropped (lower-case); protected names are ignored. */
export function connectionNominated(connection: string | undefined): ReadonlySet<string> | null {
  if (!connection) return null;
  let names: Set<string> | null = null;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade' || PROTECTED.has(name)) continue;
    (names ??= new Set()).add(name);
  }
  return names;
}
