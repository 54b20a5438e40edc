import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { createAdminServer } from '../admin/admin-server.ts';
import { parseHostPort, formatHostPort, type HostPort } from '../net/host-port.ts';
import type { Policy } from '../config/policy-types.ts';
import { loadPolicyFile } from '../config/load-policy.ts';
import { PolicyError } from '../config/policy-error.ts';
import { buildPipeline } from '../pipeline/build-pipeline.ts';
import { systemLog } from '../observe/system-log.ts';
import { ClusterStoreHost } from '../store/cluster-store.ts';
import { acquireStores } from '../store/registry.ts';
import type { BanStore } from '../store/store.ts';

/** Messages between the cluster primary and its workers. */
export type ClusterMessage = { type: 'ready' } | { type: 'reload' } | { type: 'reopen-logs' } | { type: 'shutdown' };

/**
 * The cluster primary for `workers > 1`: forks the workers (which share the listening ports through node:cluster),
 * serves the admin listener with metrics summed over all workers, relays SIGHUP (reload, after checking the policy
 * here first so a broken file is reported once), SIGUSR1 (reopen logs) and SIGTERM/SIGINT (drain, then exit), and
 * replaces a worker that dies unexpectedly.
 */
export async function runClusterPrimary(policy: Policy, policyFile: string | undefined): Promise<void> {
  const aggregator = new AggregatorRegistry();
  let readyCount = 0;
  let stopping = false;
  const ready = new Set<Worker>();
  // The `cluster` store: the counters and bans of every worker live here (used when `store.kind` is `cluster`).
  const storeHost = new ClusterStoreHost(policy.store.maxLocalKeys);
  let redisBans: BanStore | undefined;

  const fork = () => {
    const worker = cluster.fork({ PORTCULLIS_WORKER: '1' });
    worker.on('message', (message: ClusterMessage) => {
      if (storeHost.handle(message, (reply) => { if (worker.isConnected()) worker.send(reply); })) return;
      if (message.type === 'ready') { ready.add(worker); readyCount = ready.size; }
    });
    worker.on('exit', (code, signal) => {
      ready.delete(worker);
      readyCount = ready.size;
      if (!stopping) {
        systemLog.warn('worker_exited', { code, signal, action: 'restarting' });
        setTimeout(fork, 500).unref();
      }
    });
  };
  for (let i = 0; i < policy.workers; i++) fork();

  let adminAddress: HostPort | undefined;
  let admin: { close(): Promise<void> } | undefined;
  if (policy.admin.enabled) {
    const server = createAdminServer(parseHostPort(policy.admin.address) as HostPort, policy.admin.token as string | undefined, {
      isLive: () => true,
      isReady: () => !stopping && readyCount === policy.workers,
      // Bans are shared only with the cluster store (held here) or Redis; with `local`, each worker has its own.
      bans: () => (policy.store.kind === 'cluster' ? storeHost.bans : policy.store.kind === 'redis' ? (redisBans ??= acquireStores(policy.store).stores.bans) : undefined),
      metrics: async () => {
        const registry = await aggregator.clusterMetrics();
        return { contentType: aggregator.contentType, body: registry };
      },
    });
    adminAddress = await server.listen();
    admin = server;
    systemLog.info('cluster_started', { workers: policy.workers, admin: formatHostPort(adminAddress) });
  }

  const broadcast = (message: ClusterMessage) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(message);
  };
  process.on('SIGHUP', () => {
    if (!policyFile) return;
    // Compiled here too (then released), so that any error is reported once rather than by every worker.
    loadPolicyFile(policyFile).then((next) => buildPipeline(next, policyFile).close()).then(() => broadcast({ type: 'reload' }), (error) => {
      systemLog.error('reload_failed', error instanceof PolicyError ? { file: error.source, errors: error.issues } : { error: String((error as Error).name) });
    });
  });
  process.on('SIGUSR1', () => broadcast({ type: 'reopen-logs' }));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    broadcast({ type: 'shutdown' });
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        void admin?.close().then(() => process.exit(0));
        if (!admin) process.exit(0);
      }
    }, 50);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * In a worker: answer the primary's metric requests. prom-client installs that responder only when an
 * AggregatorRegistry is constructed, in the primary and in each worker alike.
 */
export function reportMetricsToPrimary(): void {
  new AggregatorRegistry();
}

export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env.PORTCULLIS_WORKER === '1';
}
