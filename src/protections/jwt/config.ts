import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema, SecretSchema } from '../../config/common-schema.ts';

/** JWS algorithms a key may accept. `none` is not one of them, and cannot be configured. */
export const ALGORITHMS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;
export type Algorithm = typeof ALGORITHMS[number];

/** Methods a per-method scope map may name (the route methods), and `*` for the others. */
export const SCOPE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', '*'] as const;

// No schema defaults anywhere below on purpose: with `merge`, a filled-in default on a route would override the
// global value. Defaults are applied when the configuration is compiled, and stated in each description.

const Algorithms = Type.Array(Type.Union(ALGORITHMS.map((alg) => Type.Literal(alg))), {
  minItems: 1, uniqueItems: true,
  description: 'The algorithms this key accepts; a token whose `alg` is not listed for the key it names is refused ' +
    '(`token_algorithm_not_allowed`). Each must fit the key type: HS* for shared secrets, RS*/PS* for RSA (2048 bits or ' +
    'more), ES256/ES384/ES512 for P-256/P-384/P-521, EdDSA or Ed25519 for Ed25519.',
});

const Kid = Type.String({ minLength: 1, maxLength: 256, description: 'Key id: when set, only tokens whose `kid` header equals it use this key. When unset, tokens with any `kid` or none may use it.' });

const FilePath = (description: string) => Type.String({ minLength: 1, description });

const SecretKeySource = Type.Object({
  secret: SecretSchema,
  encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('base64'), Type.Literal('base64url')], {
    description: 'How the secret text turns into key bytes: `utf8` (the default), `base64` or `base64url`. It must give at ' +
      'least 32, 48 or 64 bytes for HS256, HS384 or HS512. A `{ file }` secret must not be readable by group or others.',
  })),
  algorithms: Algorithms,
  kid: Type.Optional(Kid),
}, { additionalProperties: false, description: 'A shared secret for HS256/HS384/HS512.' });

const PemKeySource = Type.Object({
  pem: FilePath('PEM file holding one public key (`PUBLIC KEY` SPKI or `RSA PUBLIC KEY`) or one certificate (its public key is used). Private keys are refused.'),
  algorithms: Algorithms,
  kid: Type.Optional(Kid),
}, { additionalProperties: false, description: 'A public key from a PEM file.' });

const JwksFileSource = Type.Object({
  jwks: FilePath('JSON file holding one JWK or a JWK Set (`{"keys": [...]}`). Keys with `use` other than `sig` are ignored; private keys are refused. A symmetric (`oct`) key makes the file a secret: it must not be readable by group or others.'),
  algorithms: Algorithms,
}, { additionalProperties: false, description: 'Keys from a JWK or JWK Set file; each key keeps its own `kid` and, when present, its `alg`.' });

const JwksUrlSource = Type.Object({
  jwksUrl: Type.String({ minLength: 9, description: 'HTTPS URL of a JWK Set (the issuer\'s `jwks_uri`). Fetched in the background; redirects are not followed; only public signing keys (`RSA`, `EC`, `OKP`) are used.' }),
  algorithms: Algorithms,
  ca: Type.Optional(FilePath('PEM bundle of the certificate authorities trusted for this URL instead of the public ones (a private CA).')),
  refreshIntervalMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: 86_400_000, description: 'Refresh period of the key set. Default 300000 (5 minutes).' })),
  minRefreshIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000, description: 'Cooldown: at most one fetch per this interval, however many tokens name an unknown `kid`, and the retry delay after a failed fetch. Default 30000.' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000, description: 'Whole-fetch timeout (connect, TLS, response). Default 5000.' })),
  maxStaleMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 2_592_000_000, description: 'How long keys are kept after the last successful fetch while the endpoint fails; after that, tokens needing them get 503 `jwks_unavailable`. Default 86400000 (one day).' })),
  maxBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 16_777_216, description: 'Largest key-set response accepted. Default 1048576.' })),
}, { additionalProperties: false, description: 'Keys from a JWK Set URL, cached and refreshed.' });

const KeySource = Type.Union([SecretKeySource, PemKeySource, JwksFileSource, JwksUrlSource], {
  description: 'One key source: `secret`, `pem`, `jwks` (file) or `jwksUrl`.',
});

const ScopeList = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { uniqueItems: true, maxItems: 64 });

const RequiredClaim = Type.Union([
  Type.String({ minLength: 1, description: 'Name of a claim that must be present.' }),
  Type.Object({
    name: Type.String({ minLength: 1, description: 'Claim name.' }),
    values: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      minItems: 1, description: 'Accepted values: the claim must equal one of them or, when it is an array, contain one of them.',
    })),
  }, { additionalProperties: false }),
]);

export const JwtConfigSchema = protectionConfigSchema({
  keys: Type.Optional(Type.Array(KeySource, {
    minItems: 1, maxItems: 64,
    description: 'Where verification keys come from, each entry one of: `{ secret, encoding?, algorithms, kid? }` (a shared ' +
      'secret: a string, `{ env }` or `{ file }`); `{ pem, algorithms, kid? }` (a PEM public key or certificate file); ' +
      '`{ jwks, algorithms }` (a JWK or JWK Set file); `{ jwksUrl, algorithms, ca?, refreshIntervalMs?, minRefreshIntervalMs?, ' +
      'timeoutMs?, maxStaleMs?, maxBytes? }` (an HTTPS JWK Set URL, fetched in the background and cached). `algorithms` lists what ' +
      'each key accepts. Required wherever the protection runs (set it globally, routes inherit it). Details in docs/protections/jwt.md.',
  })),
  realm: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The `realm` of `WWW-Authenticate: Bearer` challenges. Default `portcullis`.' })),
  token: Type.Optional(Type.Union([
    Type.Object({
      header: Type.String({ minLength: 1, description: 'Request header holding the token (lower case).' }),
      scheme: Type.Optional(Type.String({ minLength: 1, description: 'Authentication scheme before the token (`Bearer`, compared case-insensitively). Default `Bearer` for `authorization`, none for other headers.' })),
    }, { additionalProperties: false }),
    Type.Object({
      cookie: Type.String({ minLength: 1, description: 'Cookie holding the token. A request with two cookies of that name is refused.' }),
    }, { additionalProperties: false }),
  ], { description: 'Where the token is read. Default `{ header: authorization, scheme: Bearer }`.' })),
  required: Type.Optional(Type.Boolean({ description: 'When false, a request without a token passes (no principal, no claim headers); a token that is present must still be valid. Default true.' })),
  issuer: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
    description: 'Accepted `iss` values; the claim must be present and equal one of them (`token_issuer_mismatch`).',
  })),
  audience: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
    description: 'Accepted `aud` values; the token\'s `aud` (a string or an array) must contain one of them (`token_audience_mismatch`).',
  })),
  types: Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1, description: 'Accepted `typ` header values (e.g. `at+jwt`), compared without case and without an `application/` prefix; the header must be present (`token_type_mismatch`). Unset: any or none.',
  })),
  requireExpiry: Type.Optional(Type.Boolean({ description: 'Refuse tokens without `exp` (`token_claim_missing`). Default true.' })),
  clockToleranceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 300, description: 'Allowed clock skew for `exp` and `nbf`. Default 30.' })),
  maxTokenBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 65_536, description: 'Longer tokens are refused before any parsing (`token_too_large`). Default 8192.' })),
  requireKid: Type.Optional(Type.Boolean({ description: 'Refuse tokens without a `kid` header (`token_kid_missing`). Default false: a token without `kid` is tried against the keys that accept its algorithm, at most three of them.' })),
  requiredClaims: Type.Optional(Type.Array(RequiredClaim, {
    maxItems: 64, description: 'Claims that must be present (`token_claim_missing`), optionally with accepted values (`token_claim_mismatch`).',
  })),
  scopes: Type.Optional(Type.Union([
    ScopeList,
    Type.Object(Object.fromEntries(SCOPE_METHODS.map((method) => [method, Type.Optional(ScopeList)])), { additionalProperties: false }),
  ], {
    description: 'Scopes the token must all carry (from `scope`, a space-separated string, or `scp`, an array or a string), ' +
      'otherwise 403 `insufficient_scope`. A list applies to every method; a map gives them per method, `HEAD` falling back ' +
      'to `GET` and other methods to `*`. With a map, a method that has no entry and no `*` is refused.',
  })),
  forwardClaims: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
    description: 'Claims sent to the upstream as request headers, claim name to header name (`sub: x-user-id`). Incoming copies ' +
      'of these headers are always removed, whatever the token. Strings, numbers and booleans are sent as text, arrays of them ' +
      'joined with `, `; a value that is not printable ASCII or is over 4096 characters is not sent.',
  })),
}, 'JSON Web Token verification: signature with configured keys and algorithms, claims, scopes; the subject becomes the principal.');

export type JwtConfig = Static<typeof JwtConfigSchema>;
export type KeySourceConfig = Static<typeof KeySource>;
export type JwksUrlConfig = Static<typeof JwksUrlSource>;
