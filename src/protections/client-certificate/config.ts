import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

const OneOrMore = (description: string) => Type.Union([
  Type.String({ minLength: 1, maxLength: 1024 }),
  Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 10_000 }),
], { description });

const NameRules = (which: string) => Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$' }),
  OneOrMore('One value, or a list of which any one is enough; compared exactly (case-sensitive).'),
  {
    description: `Attributes of the ${which} distinguished name by short name (\`CN\`, \`O\`, \`OU\`, \`C\`, \`L\`, \`ST\`, \`DC\`, \`emailAddress\`, ...). ` +
      'Each attribute given must have one of the listed values in the certificate.',
  },
);

const NameList = (description: string) => Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 10_000, description });

export const CertificateRuleSchema = Type.Object({
  subject: Type.Optional(NameRules('subject')),
  issuer: Type.Optional(NameRules('issuer')),
  san: Type.Optional(Type.Object({
    dns: Type.Optional(NameList('DNS names: exact (case-insensitive), or `*.example.com` for any name one label below `example.com`.')),
    uri: Type.Optional(NameList('URIs (e.g. SPIFFE IDs): exact, or a prefix when the entry ends with `*` (`spiffe://example.org/ns/prod/*`).')),
    email: Type.Optional(NameList('E-mail addresses (rfc822Name), compared case-insensitively.')),
  }, {
    additionalProperties: false, minProperties: 1,
    description: 'subjectAltName entries. For each type given, at least one entry of the certificate must match one of the listed values.',
  })),
  fingerprint: Type.Optional(Type.Array(Type.String({ minLength: 64, maxLength: 95 }), {
    minItems: 1, maxItems: 100_000,
    description: 'SHA-256 fingerprints of accepted certificates: 64 hex digits, with or without `:` separators (as `openssl x509 -fingerprint -sha256` prints them).',
  })),
}, {
  additionalProperties: false, minProperties: 1,
  description: 'One rule: every key given must match (subject, issuer, SAN, fingerprint).',
});

const HeaderName = (description: string) => Type.String({ pattern: '^[a-z0-9-]{1,64}$', description });

export const ClientCertificateConfigSchema = protectionConfigSchema({
  allow: Type.Optional(Type.Array(CertificateRuleSchema, {
    minItems: 1, maxItems: 10_000,
    description: 'Rules, any one of which admits a verified certificate; a verified certificate matching none is refused with 403 ' +
      '`client_cert_not_allowed`. Absent: any certificate the listener verified is admitted.',
  })),
  forwardHeaders: Type.Optional(Type.Object({
    subject: Type.Optional(HeaderName('Header carrying the subject DN (RFC 4514, most specific first, non-ASCII as `\\XX`).')),
    san: Type.Optional(HeaderName('Header carrying the subjectAltName entries: `DNS:a.example,URI:spiffe://x,email:a@b,IP:10.0.0.1` (values percent-encoded where needed).')),
    fingerprint: Type.Optional(HeaderName('Header carrying the SHA-256 fingerprint (64 lower-case hex digits).')),
    issuer: Type.Optional(HeaderName('Header carrying the issuer DN (RFC 4514).')),
    serial: Type.Optional(HeaderName('Header carrying the serial number (upper-case hex).')),
    certificate: Type.Optional(HeaderName('Header carrying the whole certificate, PEM, URL-encoded (like nginx `$ssl_client_escaped_cert`).')),
  }, {
    additionalProperties: false,
    description: 'Request headers that carry the verified certificate\'s details to the upstream, by detail. When absent: ' +
      '`x-client-cert-subject`, `-san`, `-fingerprint` and `-issuer`. When present, only the listed ones are sent. Whatever ' +
      'the configuration, clients can never set these headers themselves: their copies are always removed.',
  })),
}, 'Requires a client certificate verified by the listener (mutual TLS), optionally matching rules; forwards its details to the upstream.');

export type ClientCertificateConfig = Static<typeof ClientCertificateConfigSchema>;
export type CertificateRule = Static<typeof CertificateRuleSchema>;
