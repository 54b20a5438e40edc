import { watch, type FSWatcher } from 'node:fs';
import { loadPolicyFile } from '../config/load-policy.ts';
import type { Policy } from '../config/policy-types.ts';
import { PolicyError } from '../config/policy-error.ts';
import { buildPipeline, type CompiledPipeline } from '../pipeline/build-pipeline.ts';
import { createListener, type Listener, type ListenerHost } from './listener.ts';
import { createAdminServer } from '../admin/admin-server.ts';
import { parseHostPort, formatHostPort, type HostPort } from '../net/host-port.ts';
import { openSink, releaseSink, flushAllSinks, droppedLogLines } from '../observe/log-sink.ts';
import type { ExchangeLogTargets } from '../observe/exchange-log.ts';
import { metrics, metricsRegistry, enableProcessMetrics } from '../observe/metrics.ts';
import { systemLog } from '../observe/system-log.ts';
import { errorSummary } from '../pipeline/run-phase.ts';
import type { ProtectionDefinition } from '../pipeline/protection.ts';
import { startStores } from '../store/registry.ts';

export interface GatewayOptions {
  /** Policy file to reload from; absent when the policy was built from command-line flags. */
  policyFile?: string;
  policy: Policy;
  /** False in cluster workers: the primary serves the admin listener for all of them. */
  serveAdmin: boolean;
  /** Custom metrics source for the admin listener (the cluster primary aggregates workers). */
  metricsSource?: () => Promise<{ contentType: string; body: string }>;
  /** The protections to compile (default: the built-in registry). */
  registry?: readonly ProtectionDefinition<any>[];
}

/** One running Portcullis process: listeners, admin listener, the current pipeline, reload and drain. */
export class Gateway implements ListenerHost {
  private pipeline: CompiledPipeline;
  private readonly options: GatewayOptions;
  private readonly listeners: Listener[] = [];
  private admin: { close(): Promise<void> } | undefined;
  private readonly inFlight = new Map<CompiledPipeline, number>();
  private readonly retiring = new Set<CompiledPipeline>();
  private readonly logTargetCache = new WeakMap<CompiledPipeline, ExchangeLogTargets>();
  private watcher: FSWatcher | undefined;
  private reloading: Promise<boolean> | undefined;
  private ready = false;
  private draining = false;
  /** Bound addresses, in listener order. */
  readonly addresses: HostPort[] = [];
  adminAddress: HostPort | undefined;

  private constructor(options: GatewayOptions, pipeline: CompiledPipeline) {
    this.options = options;
    this.pipeline = pipeline;
  }

  /** Compiles the policy, binds every listener and the admin listener. Throws PolicyError or a bind error. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const gateway = new Gateway(options, buildPipeline(options.policy, options.policyFile, options.registry));
    // Connect the shared store now (and load its bans) rather than on the first request.
    startStores(gateway.pipeline.stores);
    enableProcessMetrics();
    try {
      for (const [index, listener] of options.policy.listeners.entries()) {
        const address = parseHostPort(listener.address) as HostPort;
        const created = createListener(listener.name ?? listener.address, address, gateway);
        gateway.listeners.push(created);
        gateway.addresses[index] = await created.listen();
      }
      const admin = options.policy.admin;
      if (options.serveAdmin && admin.enabled) {
        const server = createAdminServer(parseHostPort(admin.address) as HostPort, admin.token as string | undefined, {
          isLive: () => true,
          isReady: () => gateway.ready && !gateway.draining,
          bans: () => gateway.pipeline.stores.bans,
          metrics: options.metricsSource ?? (async () => {
            metrics.droppedLogLines.set(droppedLogLines());
            return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
          }),
        });
        gateway.adminAddress = await server.listen();
        gateway.admin = server;
      }
    } catch (error) {
      await gateway.shutdown(0);
      throw error;
    }
    if (options.policyFile && options.policy.reload.watch) gateway.watchPolicyFile(options.policyFile);
    gateway.ready = true;
    systemLog.info('started', {
      listeners: gateway.addresses.map(formatHostPort),
      admin: gateway.adminAddress ? formatHostPort(gateway.adminAddress) : undefined,
      routes: options.policy.routes.length,
      mode: options.policy.mode,
    });
    return gateway;
  }

  current(): CompiledPipeline { return this.pipeline; }

  acquire(): CompiledPipeline {
    const pipe = this.pipeline;
    this.inFlight.set(pipe, (this.inFlight.get(pipe) ?? 0) + 1);
    return pipe;
  }

  release(pipe: CompiledPipeline): void {
    const left = (this.inFlight.get(pipe) ?? 1) - 1;
    if (left > 0) { this.inFlight.set(pipe, left); return; }
    this.inFlight.delete(pipe);
    if (this.retiring.has(pipe)) this.retire(pipe);
  }

  /** Requests in flight, across pipelines. */
  get inFlightCount(): number {
    let total = 0;
    for (const count of this.inFlight.values()) total += count;
    return total;
  }

  logTargets(pipe: CompiledPipeline): ExchangeLogTargets {
    let targets = this.logTargetCache.get(pipe);
    if (!targets) {
      const logging = pipe.policy.logging;
      targets = {
        access: logging.access.enabled ? openSink(logging.access.destination) : null,
        security: logging.security.enabled ? openSink(logging.security.destination) : null,
        redactedHeaders: pipe.redactedHeaders,
      };
      this.logTargetCache.set(pipe, targets);
    }
    return targets;
  }

  /**
   * Builds a whole new pipeline from the policy file and swaps it in one assignment. Requests already running keep
   * the pipeline they started with; the old one is closed when its last request ends. On any error the old policy
   * stays and the reason is logged. Concurrent calls share one reload.
   */
  reload(): Promise<boolean> {
    this.reloading ??= this.doReload().finally(() => { this.reloading = undefined; });
    return this.reloading;
  }

  private async doReload(): Promise<boolean> {
    if (!this.options.policyFile) {
      systemLog.info('reload_skipped', { why: 'no policy file: started from command-line flags' });
      return false;
    }
    let next: CompiledPipeline;
    try {
      const policy = await loadPolicyFile(this.options.policyFile);
      next = buildPipeline(policy, this.options.policyFile, this.options.registry);
    } catch (error) {
      metrics.reloads.labels('failed').inc();
      systemLog.error('reload_failed', error instanceof PolicyError
        ? { file: error.source, errors: error.issues }
        : { error: errorSummary(error) });
      return false;
    }
    const before = this.pipeline;
    const restartOnly = restartOnlyChanges(before.policy, next.policy);
    if (restartOnly.length > 0) systemLog.warn('reload_needs_restart', { keys: restartOnly, note: 'these settings keep their old values until a restart' });
    this.pipeline = next;
    startStores(next.stores);
    // HTTPS listeners also re-read their certificate, key, CA and CRL files (a failure keeps the old ones).
    for (const listener of this.listeners) { listener.applyLimits(next.policy.limits); listener.reloadTls(); }
    this.retiring.add(before);
    if (!this.inFlight.has(before)) this.retire(before);
    metrics.reloads.labels('ok').inc();
    systemLog.info('reloaded', { routes: next.policy.routes.length, mode: next.policy.mode });
    return true;
  }

  private retire(pipe: CompiledPipeline): void {
    this.retiring.delete(pipe);
    const targets = this.logTargetCache.get(pipe);
    if (targets?.access) releaseSink(targets.access);
    if (targets?.security) releaseSink(targets.security);
    pipe.close().catch((error) => systemLog.warn('pipeline_close_failed', { error: errorSummary(error) }));
  }

  private watchPolicyFile(file: string): void {
    let timer: NodeJS.Timeout | undefined;
    this.watcher = watch(file, () => {
      clearTimeout(timer);
      // Editors write in several steps; reload once they are done.
      timer = setTimeout(() => { void this.reload(); }, 250);
    });
    this.watcher.unref();
  }

  /**
   * Graceful shutdown: stop accepting, close idle keep-alive connections, let in-flight exchanges finish (up to
   * `graceMs`), then cut what is left, close pools and flush the logs.
   */
  async shutdown(graceMs = 30_000): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.watcher?.close();
    systemLog.info('draining', { inFlight: this.inFlightCount });
    const stopped = Promise.all(this.listeners.map((listener) => listener.stopAccepting()));
    const deadline = Date.now() + graceMs;
    while (this.inFlightCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    for (const listener of this.listeners) listener.closeAllConnections();
    await stopped;
    await this.admin?.close();
    await this.pipeline.close();
    for (const pipe of this.retiring) await pipe.close();
    flushAllSinks();
    systemLog.info('stopped', {});
  }
}

/** Settings that a reload cannot change on a running process. */
function restartOnlyChanges(before: Policy, after: Policy): string[] {
  const keys: string[] = [];
  if (JSON.stringify(before.listeners) !== JSON.stringify(after.listeners)) keys.push('listeners');
  if (JSON.stringify(before.admin) !== JSON.stringify(after.admin)) keys.push('admin');
  if (before.workers !== after.workers) keys.push('workers');
  if (before.limits.maxHeaderBytes !== after.limits.maxHeaderBytes) keys.push('limits.maxHeaderBytes');
  if (before.reload.watch !== after.reload.watch) keys.push('reload.watch');
  return keys;
}
