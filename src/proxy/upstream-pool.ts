import { Pool } from 'undici';
import type { UpstreamPolicy } from '../config/policy-types.ts';
import { PolicyError, type PolicyIssue } from '../config/policy-error.ts';
import { upstreamTlsOptions } from './upstream-tls.ts';

/** A named upstream: an undici connection pool with keep-alive and the upstream's timeouts. */
export interface UpstreamPool {
  readonly name: string;
  readonly origin: string;
  /** `host:port` of the upstream, for `hostHeader: upstream`. */
  readonly authority: string;
  readonly preserveHost: boolean;
  readonly pool: Pool;
  /** Waits for in-flight requests, then closes the connections. */
  close(): Promise<void>;
}

/**
 * Creates the pool of one upstream. TLS material (`tls.ca`, `cert`, `key`) is read here; problems are added to
 * `issues` when given (the pool is still returned, for the caller to close), else thrown as a PolicyError before
 * anything is opened.
 */
export function createUpstreamPool(name: string, policy: UpstreamPolicy, issues?: PolicyIssue[]): UpstreamPool {
  const url = new URL(policy.url);
  const tlsIssues: PolicyIssue[] = [];
  const tls = upstreamTlsOptions(name, policy, tlsIssues);
  if (tlsIssues.length > 0) {
    if (!issues) throw new PolicyError('policy', tlsIssues);
    issues.push(...tlsIssues);
  }
  const pool = new Pool(url.origin, {
    connections: policy.connections,
    keepAliveTimeout: policy.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(policy.keepAliveTimeoutMs, 1000),
    headersTimeout: policy.headersTimeoutMs,
    bodyTimeout: policy.bodyTimeoutMs,
    connect: { timeout: policy.connectTimeoutMs, ...tls },
    // One request at a time per connection: pipelining to upstreams invites response-queue poisoning (A11).
    pipelining: 1,
    strictContentLength: true,
  });
  return {
    name,
    origin: url.origin,
    authority: url.host,
    preserveHost: policy.hostHeader === 'preserve',
    pool,
    close: () => pool.close(),
  };
}
