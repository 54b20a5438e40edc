import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Gateway } from '../../src/server/gateway.ts';
import { validatePolicyObject } from '../../src/config/load-policy.ts';
import { systemLog } from '../../src/observe/system-log.ts';
import { flushAllSinks } from '../../src/observe/log-sink.ts';
import type { ProtectionDefinition } from '../../src/pipeline/protection.ts';

export interface TestGateway {
  gateway: Gateway;
  /** `http://127.0.0.1:PORT` of the first listener. */
  url: string;
  port: number;
  adminUrl: string;
  policyFile: string;
  /** The file access records and security events go to (JSON lines; `logs()` flushes it first). */
  logFile: string;
  /** Rewrites the policy file (for reload tests). */
  writePolicy(policy: Record<string, unknown>): void;
  /** Access records and security events written so far (parsed JSON lines). */
  logs(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Starts Portcullis in this process with `policy` (listeners and admin on random ports, logs to a temp file).
 * `upstreams`, `routes` and the rest come from the caller; listener and admin addresses are filled in.
 */
export async function startGateway(policy: Record<string, unknown>, options: { registry?: readonly ProtectionDefinition<any>[] } = {}): Promise<TestGateway> {
  systemLog.setQuiet(true);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const logFile = join(dir, 'events.log');
  const complete = (input: Record<string, unknown>) => ({
    listeners: [{ name: 'test', address: '127.0.0.1:0' }],
    admin: { address: '127.0.0.1:0' },
    logging: { access: { destination: logFile }, security: { destination: logFile } },
    ...input,
  });
  const policyFile = join(dir, 'policy.yaml');
  const writePolicy = (input: Record<string, unknown>) => writeFileSync(policyFile, stringify(complete(input)));
  writePolicy(policy);
  const validated = validatePolicyObject(complete(policy), 'test policy');
  const gateway = await Gateway.start({ policy: validated, policyFile, serveAdmin: true, registry: options.registry });
  const port = gateway.addresses[0]!.port;
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${gateway.adminAddress!.port}`,
    policyFile,
    logFile,
    writePolicy,
    async logs() {
      // Sinks write asynchronously (and open their file asynchronously): flush, then read once the file has
      // stopped growing for two polls in a row (at most about a second).
      let last = -1;
      let stable = 0;
      for (let i = 0; i < 40 && stable < 2; i++) {
        flushAllSinks();
        await new Promise((resolve) => setTimeout(resolve, 25));
        const size = existsSync(logFile) ? readFileSync(logFile).length : 0;
        stable = size === last && size > 0 ? stable + 1 : 0;
        last = size;
      }
      if (!existsSync(logFile)) return [];
      return readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    close: () => gateway.shutdown(2000),
  };
}

/** A route sending every path and the usual methods to `upstreamUrl`. */
export function catchAllPolicy(upstreamUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    upstreams: { up: { url: upstreamUrl } },
    routes: [{ name: 'all', path: '/**', upstream: 'up' }],
    ...extra,
  };
}
