import { Type, type Static } from '@sinclair/typebox';
import { SecretSchema } from '../config/common-schema.ts';

const Int = (minimum: number, maximum: number, description: string, defaultValue: number) =>
  Type.Integer({ minimum, maximum, description, default: defaultValue });

/** The policy's `store` section: where rate-limit counters and bans live. */
export const StoreSettingsSchema = Type.Object({
  kind: Type.Union([Type.Literal('local'), Type.Literal('cluster'), Type.Literal('redis')], {
    default: 'cluster',
    description: '`local`: each process counts alone. `cluster` (default): the counters and bans live in the cluster primary and ' +
      'are exact across the workers of one instance (`workers > 1`; with one worker it is `local`). `redis`: a Redis ' +
      'server shared by every worker and every instance, updated by atomic scripts. A reload that changes the `store` ' +
      'section starts a new store (counters and bans start afresh).',
  }),
  onUnavailable: Type.Union([Type.Literal('local'), Type.Literal('fail-closed')], {
    default: 'local',
    description: 'When the shared store (Redis, or the cluster primary) does not answer: `local` keeps serving with ' +
      'counters and bans of this process (logged as `store_unavailable`, counted in `portcullis_store_errors_total`) and ' +
      'goes back to the shared store once it answers again; `fail-closed` refuses rate-limited requests with 503 ' +
      '`store_unavailable`.',
  }),
  maxLocalKeys: Int(1000, 100_000_000, 'Most counter keys held in one process\'s memory (local store, cluster primary, ' +
    'Redis fallback); past it the oldest key is dropped.', 1_000_000),
  cluster: Type.Object({
    timeoutMs: Int(10, 60_000, 'How long a worker waits for the primary\'s answer before treating the store as unavailable.', 1000),
  }, { additionalProperties: false, default: {}, description: 'Settings of the `cluster` store.' }),
  redis: Type.Object({
    url: Type.String({
      minLength: 1, default: 'redis://127.0.0.1:6379',
      description: '`redis://HOST:PORT/DB` or `rediss://HOST:PORT/DB` (TLS). Put no password here: use `password`.',
    }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'ACL user name.' })),
    password: Type.Optional(SecretSchema),
    keyPrefix: Type.String({
      minLength: 1, maxLength: 100, default: 'portcullis:',
      description: 'Prefix of every key Portcullis writes, so that several deployments can share one Redis database.',
    }),
    connectTimeoutMs: Int(10, 60_000, 'Time allowed to connect.', 1000),
    commandTimeoutMs: Int(5, 60_000, 'Time allowed for one command; a slower answer counts as unavailable.', 250),
    retryMs: Int(50, 60_000, 'Pause between reconnection attempts while Redis is unreachable.', 1000),
    banRefreshMs: Int(100, 60_000, 'How often each process refreshes its copy of the ban list.', 1000),
  }, { additionalProperties: false, default: {}, description: 'Settings of the `redis` store.' }),
}, {
  additionalProperties: false, default: {},
  description: 'Where rate-limit counters and bans are kept (see docs/stores.md). Stores outlive reloads: a reload with ' +
    'the same `store` section keeps every counter and ban.',
});

export type StoreSettings = Static<typeof StoreSettingsSchema>;
