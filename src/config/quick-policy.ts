import path from 'node:path';
import type { PolicyInput } from './policy-schema.ts';

export interface QuickPolicyOptions {
  upstream: string;
  listen?: string;
  admin?: string;
  mode?: 'enforce' | 'monitor';
  workers?: number;
  /** An OpenAPI description: its operations become the routes (strict mode) instead of the catch-all. */
  openapi?: string;
}

/**
 * The policy behind `portcullis start --upstream URL`: every path and every method except TRACE and CONNECT
 * (cross-site tracing and tunnelling) goes to URL under the default protections. With `openapi`, only the
 * operations of the description are routed (strict mode: other paths 404, other methods 405), each with request
 * validation and response cloaking from its schemas; security requirements are not enforced (no JWT keys).
 */
export function quickPolicy(options: QuickPolicyOptions): PolicyInput {
  return {
    mode: options.mode ?? 'enforce',
    workers: options.workers ?? 1,
    listeners: [{ address: options.listen ?? '127.0.0.1:8080' }],
    admin: { enabled: true, address: options.admin ?? '127.0.0.1:9901' },
    upstreams: { default: { url: options.upstream } },
    ...(options.openapi
      ? { openapi: [{ spec: path.resolve(options.openapi), upstream: 'default', mode: 'strict', jwt: false, identifierCloaking: false }] }
      : { routes: [{ name: 'default', path: '/**', upstream: 'default', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] }] }),
  } as unknown as PolicyInput;
}
