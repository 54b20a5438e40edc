import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema, SecretSchema } from '../../config/common-schema.ts';

// No schema defaults anywhere below on purpose: with `merge`, a filled-in default on a route would override the
// global value. Defaults are applied when the configuration is compiled, and stated in each description.

/** An identifier kind: `shop`, `order`. Part of what a token is bound to. */
export const KIND_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const Kind = (description: string) => Type.String({ pattern: KIND_PATTERN, description });

/** A key id: carried in clear in every token, so short. */
export const KEY_ID_PATTERN = '^[A-Za-z0-9._-]{1,16}$';

const Key = Type.Object({
  id: Type.String({
    pattern: KEY_ID_PATTERN,
    description: 'Key id (1 to 16 letters, digits, `.`, `_`, `-`), written in clear into every token this key mints, so that ' +
      'decoding picks the key without trying them all. Must be unique within `keys`.',
  }),
  secret: SecretSchema,
  encoding: Type.Optional(Type.Union([Type.Literal('base64'), Type.Literal('base64url'), Type.Literal('hex')], {
    description: 'How the secret text gives the key: `base64` (the default), `base64url` or `hex`. It must decode to exactly ' +
      '32 bytes (AES-256), e.g. `openssl rand -base64 32`. A `{ file }` secret must not be readable by group or others.',
  })),
  notAfter: Type.Optional(Type.String({
    minLength: 10, maxLength: 40,
    description: 'Only for keys after the first: an RFC 3339 time (`2026-12-31T00:00:00Z`) after which tokens minted with this ' +
      'key are refused (sub-reason `retired_key`), even while the key is still listed. Ends a rotation overlap without a ' +
      'policy change.',
  })),
}, {
  additionalProperties: false,
  description: 'One AES-256 key: `{ id, secret, encoding?, notAfter? }`.',
});

const KindMap = (what: string) => Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Kind('Identifier kind.'), {
  description: what,
});

export const IdentifierCloakingConfigSchema = protectionConfigSchema({
  keys: Type.Optional(Type.Array(Key, {
    minItems: 1, maxItems: 16,
    description: 'AES-256 keys, each `{ id, secret, encoding?, notAfter? }`. The first one mints every new token; all of them ' +
      'decode, so a rotation is: put the new key first, keep the old one after it for as long as clients may hold its ' +
      'tokens (optionally with `notAfter`), then remove it. Required wherever identifiers are declared (set it globally, ' +
      'routes inherit it).',
  })),
  bindTo: Type.Optional(Type.Union([
    Type.Literal('principal'),
    Type.Literal('clientCertificate'),
    Type.Object({
      cookie: Type.String({ minLength: 1, maxLength: 128, description: 'Cookie holding the session id the tokens are bound to.' }),
    }, { additionalProperties: false }),
  ], {
    description: 'Whose tokens these are: `principal` (the default: the verified principal, i.e. the JWT `sub` set by the ' +
      '`jwt` protection, or the client-certificate principal), `clientCertificate` (the SHA-256 fingerprint of the verified ' +
      'client certificate) or `{ cookie: NAME }` (the value of a session cookie). A token minted for one principal is refused ' +
      'for every other. A route that declares identifiers refuses requests without that principal ' +
      '(`identifier_principal_missing`, see `principalMissingStatus`).',
  })),
  ttlSeconds: Type.Optional(Type.Integer({
    minimum: 60, maximum: 31_536_000,
    description: 'When set, tokens expire (sub-reason `expired`). To stay deterministic, the expiry is rounded up to a multiple ' +
      'of a quarter of the lifetime: tokens minted within the same quarter are identical and are valid for between ' +
      '`ttlSeconds` and 1.25 × `ttlSeconds`. Unset: tokens do not expire (they still die with their key).',
  })),
  invalidStatus: Type.Optional(Type.Union([Type.Literal(400), Type.Literal(403), Type.Literal(404), Type.Literal(410)], {
    description: 'Status for a raw identifier or an invalid token (tampered, another kind, another principal, expired, unknown ' +
      'or retired key). Default 404, answered as a plain `not_found` problem so that a client cannot tell a foreign ' +
      'identifier from a missing one; the event records `identifier_token_invalid` with the sub-reason.',
  })),
  principalMissingStatus: Type.Optional(Type.Union([Type.Literal(401), Type.Literal(403), Type.Literal(404)], {
    description: 'Status when the route declares identifiers and the request has no principal of the `bindTo` kind ' +
      '(`identifier_principal_missing`). Default 401 (with `WWW-Authenticate: Bearer` when `bindTo` is `principal`).',
  })),
  cacheEntries: Type.Optional(Type.Integer({
    minimum: 0, maximum: 1_000_000,
    description: 'Tokens are deterministic, so recent encodings and successful decodings are cached (per worker, per policy ' +
      'load; expiry and key retirement are still checked on every use). Entries per cache; 0 disables. Default 10000.',
  })),
  request: Type.Optional(Type.Object({
    path: Type.Optional(KindMap('Route path parameters that carry a token, parameter name to kind (`shopName: shop`). The token is ' +
      'decoded and the real identifier sent upstream as that path segment, percent-encoded.')),
    query: Type.Optional(KindMap('Query parameters that carry a token, name to kind. Names match without regard to ASCII case, and ' +
      'every occurrence of a repeated parameter must be a valid token.')),
    json: Type.Optional(KindMap('JSON request body fields that carry a token, JSON path to kind (`$.shopName`, `$.items[*].shopName`, ' +
      '`$..shopId`, `$.shops[0]`). Member names match without regard to ASCII case. Each matched value must be a token ' +
      '(a string) or null; the real identifier (string or number) is put back before the body is forwarded.')),
  }, { additionalProperties: false, description: 'Where requests carry tokens; each is checked and replaced by the real identifier.' })),
  response: Type.Optional(Type.Object({
    json: Type.Optional(KindMap('JSON response fields that carry identifiers, JSON path to kind (`$.shops[*].shopName`). String and ' +
      'integer values are replaced by tokens for the current principal; null and other types are left as they are. Only ' +
      'responses with a JSON content type (`application/json`, `*/*+json`) are rewritten.')),
    location: Type.Optional(Kind('Kind of the identifier in the last path segment of a `Location` response header ' +
      '(`/orders/ord_1234` becomes `/orders/<token>`).')),
  }, { additionalProperties: false, description: 'Where responses carry identifiers; each is replaced by a token.' })),
}, 'Identifier cloaking against BOLA (OWASP API1): clients only ever see per-principal AEAD tokens instead of object ids; ' +
  'raw ids, foreign, tampered or expired tokens are refused.');

export type IdentifierCloakingConfig = Static<typeof IdentifierCloakingConfigSchema>;
export type IdentifierKeyConfig = Static<typeof Key>;
export type BindTo = NonNullable<IdentifierCloakingConfig['bindTo']>;
