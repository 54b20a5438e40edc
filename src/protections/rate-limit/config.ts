import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

/** The methods a route may declare (as in the policy schema, which cannot be imported here without a cycle). */
const METHOD_NAMES = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

const KeyPart = Type.String({
  pattern: '^(ip|principal|cert|header:[A-Za-z0-9_.-]{1,64})$',
  description: '`ip` (client address after trusted-proxy resolution), `principal` (the verified identity set by an ' +
    'identity protection such as `jwt`), `cert` (SHA-256 fingerprint of the verified client certificate) or ' +
    '`header:<name>` (a request header, e.g. an API key; its value is hashed, never stored or logged as sent).',
});

const LimitSchema = Type.Object({
  name: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    description: 'Name of the limit in `RateLimit-Policy`/`RateLimit` headers, the problem document and the logs; it also ' +
      'names the counter, so a reload that keeps the name keeps the count. Default: `<limit>-per-<window>`.',
  })),
  methods: Type.Optional(Type.Array(Type.Union(METHOD_NAMES.map((m) => Type.Literal(m))), {
    minItems: 1, uniqueItems: true,
    description: 'Only requests with these methods are counted (GET includes HEAD). Default: every method.',
  })),
  algorithm: Type.Optional(Type.Union([Type.Literal('sliding-window'), Type.Literal('token-bucket')], {
    description: '`sliding-window` (default): at most `limit` requests in any `window`. `token-bucket`: `limit` per ' +
      '`window` on average, with bursts of up to `burst`.',
  })),
  limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Requests (cost units) allowed per window.' }),
  window: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,6}(ms|s|m|h|d)$',
    description: 'Window length: a number and a unit, `ms`, `s`, `m`, `h` or `d` (`1s`, `1m`, `1h`, `10s`). Give `window` or `windowMs`.',
  })),
  windowMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800_000, description: 'Window length in milliseconds (at most 7 days).' })),
  burst: Type.Optional(Type.Integer({
    minimum: 1, maximum: 1_000_000_000,
    description: 'Token bucket only: the bucket size, i.e. the most requests accepted at once after a quiet period. Default: `limit`.',
  })),
  key: Type.Optional(Type.Union([KeyPart, Type.Array(KeyPart, { minItems: 1, maxItems: 4, uniqueItems: true })], {
    description: 'What is counted separately: one key kind, or a list whose combination is the key (`[ip, header:x-api-key]`: ' +
      'each address and API key pair). Default `ip`.',
  })),
  onMissingKey: Type.Optional(Type.Union([Type.Literal('ip'), Type.Literal('skip')], {
    description: 'When a request lacks a key part (no principal, no certificate, no header): `ip` (default) counts it by ' +
      'client address instead of that part; `skip` does not apply this limit to it.',
  })),
  cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Units one request takes from the quota. Default 1.' })),
}, { additionalProperties: false });

export const RateLimitConfigSchema = protectionConfigSchema({
  limits: Type.Array(LimitSchema, {
    minItems: 1, maxItems: 32,
    description: 'The limits; each request is checked against all that apply to its method and counted against them ' +
      'only when all admit it. The most restrictive answer wins: 429 `rate_limited`, with `Retry-After` set to the ' +
      'longest wait among the refusing limits.',
  }),
  headers: Type.Optional(Type.Boolean({
    description: 'Send `RateLimit-Policy` and `RateLimit` (IETF draft-ietf-httpapi-ratelimit-headers, structured-field ' +
      'form) on responses that were admitted too; 429 replies always carry them. Default true.',
  })),
}, 'Request rate limits per route and method, counted by client address, principal, client certificate, API-key header ' +
  'or a combination, in the shared store (`store`). Global limits count across all routes; route limits add to them.');

export type RateLimitConfig = Static<typeof RateLimitConfigSchema>;
export type LimitConfig = RateLimitConfig['limits'][number];
