import type { PolicyInput } from './policy-schema.ts';

export interface QuickPolicyOptions {
  upstream: string;
  listen?: string;
  admin?: string;
  mode?: 'enforce' | 'monitor';
  workers?: number;
}

/**
 * The policy behind `portcullis start --upstream URL`: every path and every method except TRACE and CONNECT
 * (cross-site tracing and tunnelling) goes to URL under the default protections.
 */
export function quickPolicy(options: QuickPolicyOptions): PolicyInput {
  return {
    mode: options.mode ?? 'enforce',
    workers: options.workers ?? 1,
    listeners: [{ address: options.listen ?? '127.0.0.1:8080' }],
    admin: { enabled: true, address: options.admin ?? '127.0.0.1:9901' },
    upstreams: { default: { url: options.upstream } },
    routes: [{ name: 'default', path: '/**', upstream: 'default', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] }],
  } as unknown as PolicyInput;
}
