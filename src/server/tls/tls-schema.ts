import { Type, type Static } from '@sinclair/typebox';

/**
 * The TLS parts of the policy: HTTPS listeners (certificates, SNI, client certificates, CRL), the HTTP→HTTPS redirect
 * and TLS towards upstreams. Imported by `src/config/policy-schema.ts`; the descriptions are the reference
 * documentation (docs/policy.md) and docs/tls.md explains them with examples.
 */

/**
 * Where PEM material comes from: a file path (the usual form), `{ file: PATH }` (the same) or `{ env: NAME }` (the PEM
 * text in an environment variable). Read when the listener or upstream is created and again on every reload.
 */
export const PemSourceSchema = (what: string) => Type.Union([
  Type.String({ minLength: 1, description: `Path of the ${what} file (PEM).` }),
  Type.Object({ file: Type.String({ minLength: 1, description: `Path of the ${what} file (PEM).` }) }, { additionalProperties: false }),
  Type.Object({ env: Type.String({ minLength: 1, description: `Environment variable holding the ${what} as PEM text.` }) }, { additionalProperties: false }),
], { description: `The ${what}: a file path (PEM), \`{ file: PATH }\` or \`{ env: NAME }\` (PEM text in an environment variable).` });

/** TLS versions accepted as a minimum. Nothing below TLS 1.2 can be configured. */
export const TlsVersionSchema = (description: string) => Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2', description });

/**
 * TLS 1.3 suites (all AEAD) and the TLS 1.2 suites with forward secrecy (ECDHE) and AEAD ciphers, as in Mozilla's
 * "intermediate" profile. The TLS 1.3 names must stay in the list: without them Node disables TLS 1.3.
 */
export const DEFAULT_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const ServerNameSchema = Type.String({
  minLength: 1, maxLength: 253, pattern: '^(?:\\*\\.)?[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*$',
  description: 'A server name: exact (`api.example.com`) or one wildcard label (`*.example.com`, which matches `a.example.com` but not `example.com` or `a.b.example.com`).',
});

const ListenerCertificateSchema = Type.Object({
  cert: PemSourceSchema('certificate chain (leaf first, then intermediates)'),
  key: PemSourceSchema('private key (unencrypted; a key file must not be readable by group or others)'),
  serverNames: Type.Optional(Type.Array(ServerNameSchema, {
    minItems: 1, maxItems: 1000,
    description: 'SNI names this certificate is served for. Default: the DNS names of the certificate\'s subjectAltName. ' +
      'Exact names win over wildcards; among equals, the first certificate listed wins.',
  })),
}, { additionalProperties: false });

export const ListenerTlsSchema = Type.Object({
  certificates: Type.Array(ListenerCertificateSchema, {
    minItems: 1, maxItems: 1000,
    description: 'Server certificates. The one whose `serverNames` match the client\'s SNI name is served; the first is the default (no SNI, or no match).',
  }),
  minVersion: TlsVersionSchema('Lowest TLS version accepted (TLS 1.0 and 1.1 are never accepted).'),
  ciphers: Type.String({
    minLength: 1, default: DEFAULT_CIPHERS,
    description: 'OpenSSL cipher list, TLS 1.3 suites (`TLS_…`) included: a list without them turns TLS 1.3 off. The default keeps forward-secret AEAD suites only; the server\'s order is preferred.',
  }),
  handshakeTimeoutMs: Type.Integer({
    minimum: 1000, maximum: 120_000, default: 10_000,
    description: 'Time allowed for the TLS handshake; then the connection is closed (slow-handshake defence). Needs a restart to change.',
  }),
  clientCertificates: Type.Optional(Type.Object({
    ca: PemSourceSchema('CA bundle that client certificates must chain to'),
    mode: Type.Union([Type.Literal('require'), Type.Literal('optional')], {
      default: 'require',
      description: '`require`: the handshake fails without a valid (trusted, unrevoked) client certificate. `optional`: a certificate is asked for but any outcome is accepted; the `clientCertificate` protection then decides per route.',
    }),
    crl: Type.Optional(PemSourceSchema('certificate revocation list(s) of the client CA(s); with a CRL, every CA in the bundle needs a current one')),
  }, { additionalProperties: false, description: 'Ask clients for a certificate (mutual TLS) and verify it against `ca` (and `crl`).' })),
}, { additionalProperties: false, description: 'Terminate TLS on this listener (HTTPS). Certificates, CA and CRL files are read again on every policy reload.' });

export const RedirectToHttpsSchema = Type.Object({
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 443, description: 'Port of the HTTPS origin in `Location` (left out when 443).' }),
  host: Type.Optional(Type.String({
    minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*$',
    description: 'Host name for `Location`; default: the request\'s Host (without its port).',
  })),
}, {
  additionalProperties: false,
  description: 'A plain-HTTP listener that answers every request with 308 and `Location: https://HOST[:port]/path?query` (canonical path). Not allowed together with `tls`.',
});

export const UpstreamTlsSchema = Type.Object({
  ca: Type.Optional(PemSourceSchema('CA bundle the upstream\'s certificate must chain to (default: Node\'s bundled public CAs)')),
  cert: Type.Optional(PemSourceSchema('client certificate Portcullis presents to the upstream (mutual TLS)')),
  key: Type.Optional(PemSourceSchema('private key of the client certificate (unencrypted; a key file must not be readable by group or others)')),
  serverName: Type.Optional(Type.String({
    minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*$',
    description: 'Name sent as SNI and checked against the upstream\'s certificate; default: the host of `url` (no SNI for an IP address).',
  })),
  verify: Type.Boolean({ default: true, description: 'Verify the upstream\'s certificate (chain and name); a failure is answered 502 `upstream_unavailable`. Turning this off is logged as a warning at every load.' }),
  minVersion: TlsVersionSchema('Lowest TLS version used towards the upstream.'),
}, { additionalProperties: false, description: 'TLS towards an `https://` upstream: trust anchors, the name to verify, and a client certificate for mutual TLS. Files are read at every policy load.' });

export type PemSource = Static<ReturnType<typeof PemSourceSchema>>;
export type ListenerTlsConfig = Static<typeof ListenerTlsSchema>;
export type RedirectToHttpsConfig = Static<typeof RedirectToHttpsSchema>;
export type UpstreamTlsConfig = Static<typeof UpstreamTlsSchema>;
