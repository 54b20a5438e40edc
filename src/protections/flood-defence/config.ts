import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

/** The duration syntax of this protection: a whole number and a unit (`500ms`, `10s`, `1m`, `2h`, `1d`). */
export const DURATION_PATTERN = '^[0-9]{1,9}(ms|s|m|h|d)$';

const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });

const Rate = (description: string) => Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Requests admitted in any `window`.' }),
  window: Duration('Length of the sliding window, e.g. `1s`, `10s`, `1m` (100ms to 1h).'),
}, { additionalProperties: false, description });

export const FloodDefenceConfigSchema = protectionConfigSchema({
  global: Type.Optional(Rate(
    'Requests admitted from all clients together (not counting `exempt` clients); more get 429 `flood_global` with ' +
    '`Retry-After`. A cap that protects the upstream; it never leads to a ban. Default: none.')),
  perIp: Type.Optional(Rate(
    'Requests admitted from one client address (after trusted-proxy resolution; IPv6 clients are grouped by ' +
    '`ipv6Prefix`); more get 429 `flood_per_ip` with `Retry-After`, and each such refusal is a violation towards `ban`. ' +
    'Default: none.')),
  ban: Type.Optional(Type.Object({
    after: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Number of `flood_per_ip` refusals (and refusals of attack detection for `inspection_time_exceeded`) of one client within `within` that ban it.' }),
    within: Duration('Time over which the refusals are counted (1s to 24h), e.g. `1m`.'),
    duration: Duration('How long a ban lasts (1s to 30d), e.g. `10m`.'),
    escalate: Type.Optional(Type.Number({
      minimum: 1, maximum: 100,
      description: 'Each repeat ban of the same client within `escalateWithin` lasts this many times longer than the one ' +
        'before (2: 10m, 20m, 40m, ...), up to `maxDuration`. Default 1 (no escalation).',
    })),
    escalateWithin: Type.Optional(Duration('How long a past ban is remembered, for escalation (1m to 30d, at least `within`). ' +
      'After each ban, refusals count towards the next one from zero. Default `24h`.')),
    maxDuration: Type.Optional(Duration('Longest escalated ban (at least `duration`, at most 30d). Default `24h`, or `duration` when longer.')),
  }, {
    additionalProperties: false,
    description: 'Temporary bans of clients that keep exceeding `perIp` (needs `perIp`). Banned clients are refused ' +
      'until the ban ends (see `dropBannedConnections`). Bans are kept in the shared store (`store`), so every worker ' +
      'and, with Redis, every instance refuses them. Default: no automatic bans.',
  })),
  exempt: Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
    maxItems: 10_000,
    description: 'Addresses or CIDR blocks (IPv4 or IPv6) never counted, limited or banned (a ban set on them through ' +
      'the admin API is not enforced either), e.g. monitoring or a partner network. Trusted proxies are always exempt.',
  })),
  dropBannedConnections: Type.Optional(Type.Boolean({
    description: 'Close connections from banned TCP peers as soon as they are accepted, before any byte is read (no ' +
      'reply; counted in `portcullis_rejected_connections_total{reason="banned"}`). Requests from banned clients behind ' +
      'trusted proxies are refused at request head either way (429 `banned`). Global setting; enforce mode only. Default true.',
  })),
  ipv6Prefix: Type.Optional(Type.Integer({
    minimum: 32, maximum: 128,
    description: 'IPv6 clients are counted and banned by this prefix, since one subscriber usually holds a whole /64 or ' +
      'more. 128 counts single addresses. Default 64.',
  })),
}, 'Flood (L7 DDoS) defence: global and per-client request rates, and temporary bans of clients that keep exceeding ' +
  'them, shared through the store. Runs everywhere by default, but only refuses clients banned through the admin ' +
  'API until rates are configured.');

export type FloodDefenceConfig = Static<typeof FloodDefenceConfigSchema>;
