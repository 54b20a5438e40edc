import type { TSchema } from '@sinclair/typebox';
import type { ConnectionInfo, Exchange } from './exchange.ts';
import type { Verdict } from './verdict.ts';
import type { Policy } from '../config/policy-types.ts';
import type { SharedStores } from '../store/store.ts';

/** A problem found while compiling a protection's configuration; `path` is relative to that configuration. */
export interface ConfigIssue { path: string; message: string }

/** What `create()` gets besides its own configuration. */
export interface CreateContext {
  /** The whole validated policy (read-only), e.g. to reach `clientAddress.trustedProxies`. */
  readonly policy: Policy;
  /** `global` or the route name the instance is compiled for. */
  readonly scope: string;
  /** Records a configuration error at `path` (JSON pointer below this protection's config). Compilation goes on. */
  issue(path: string, message: string): void;
  /**
   * Rate-limit counters and bans of this process (`store` section of the policy). Process-wide: they outlive this
   * pipeline and carry over to the next policy load when its `store` section is unchanged. Use them at request
   * time; do not close them.
   */
  readonly stores: SharedStores;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * A compiled protection: only matching happens here, everything costly was done in `create()`. Each hook is
 * optional and returns a verdict; monitor mode is applied by the pipeline, never by the hook.
 */
export interface ProtectionInstance {
  /**
   * Evaluated once when a client connection is accepted, before any request is read, for global instances in
   * enforce mode and only when the TCP peer is not a trusted proxy. A stopping verdict closes the connection.
   */
  onConnection?(connection: ConnectionInfo, peerAddress: string): Verdict;
  onRequestHead?(exchange: Exchange): MaybePromise<Verdict>;
  /** Only called when `needs.requestBody` is true; `body` is the whole body (capped), never a part. */
  onRequestBody?(exchange: Exchange, body: Buffer): MaybePromise<Verdict>;
  onResponseHead?(exchange: Exchange, status: number, headers: Record<string, string | string[]>): MaybePromise<Verdict>;
  onResponseBody?(exchange: Exchange, body: Buffer): MaybePromise<Verdict>;
  /** Runs for every exchange, after the reply; must not throw. */
  onLog?(exchange: Exchange): void;
  /**
   * Which bodies this instance must see whole. Decided at load, so streaming stays the default.
   * `maxRequestBodyBytes`: the largest request body it can inspect; a larger one is refused with 413
   * `body_too_large_to_inspect` before it is read (never partly inspected).
   */
  readonly needs?: { readonly requestBody?: boolean; readonly responseBody?: boolean; readonly maxRequestBodyBytes?: number };
  /** Releases timers, sockets, stores. Called when a reload retires this pipeline, after in-flight requests finish. */
  close?(): MaybePromise<void>;
}

/** The shape every protection folder exports. Registered by name in `src/protections/index.ts`. */
export interface ProtectionDefinition<Config = unknown> {
  /** kebab-case name used in logs and metrics (`ip-list`). */
  readonly name: string;
  /** camelCase key under `protections:` in the policy (`ipList`). */
  readonly key: string;
  /** JSON Schema (TypeBox) of the configuration; its descriptions are the reference documentation. */
  readonly schema: TSchema;
  /**
   * How a route-level configuration combines with the global one:
   * `layer`: the global instance runs on every route, a route instance runs after it (lists add up);
   * `merge`: the route's keys replace the global ones and a single instance runs.
   */
  readonly routeConfig: 'layer' | 'merge';
  /**
   * What the protection shares between the worker processes of one instance (`workers > 1`), stated for operators:
   * e.g. `nothing: configuration only` or `counters through the shared store`.
   */
  readonly sharedBetweenWorkers: string;
  /**
   * When set, the protection runs with this configuration wherever the policy does not mention it (a default
   * protection); when absent, it runs only where configured.
   */
  readonly defaultConfig?: Config;
  /** Compiles the configuration once per policy load. Report problems through `context.issue`, do not throw. */
  create(config: Config, context: CreateContext): ProtectionInstance;
}

/** Identity helper that keeps a definition's config type checked against its schema's type. */
export function defineProtection<Config>(definition: ProtectionDefinition<Config>): ProtectionDefinition<Config> {
  return definition;
}
