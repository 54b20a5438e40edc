import cluster from 'node:cluster';
import type { Ban, ConsumeRequest, RateDecision } from './store.ts';
import { LocalBanStore, LocalCounterStore } from './local-store.ts';
import { GuardedStores, StoreTimeoutError, type SharedBackend } from './guarded-stores.ts';
import type { StoreSettings } from './config.ts';

/**
 * The `cluster` store: counters and bans live in the cluster primary, which runs the same in-memory store as `local`
 * and answers its workers over the node:cluster IPC channel. Every request of every worker is counted in that one
 * place, one message at a time, so limits are exact across the workers of an instance. The primary's clock is the
 * only clock.
 */

/** Messages of the store protocol, worker to primary and back. */
export type StoreRequestMessage =
  | { type: 'store:request'; id: number; op: 'consume'; requests: ConsumeRequest[] }
  | { type: 'store:request'; id: number; op: 'ban'; ban: Ban }
  | { type: 'store:request'; id: number; op: 'unban'; key: string }
  | { type: 'store:request'; id: number; op: 'list' };
export type StoreReplyMessage = { type: 'store:reply'; id: number; result?: unknown; error?: string };

/** True in a worker forked by Portcullis's cluster primary. */
export function inClusterWorker(): boolean {
  return cluster.isWorker && process.env.PORTCULLIS_WORKER === '1';
}

interface Pending { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }
const pending = new Map<number, Pending>();
let nextId = 0;
let listening = false;

function onReply(message: unknown): void {
  const reply = message as StoreReplyMessage | null;
  if (reply === null || typeof reply !== 'object' || reply.type !== 'store:reply') return;
  const waiting = pending.get(reply.id);
  if (!waiting) return;
  pending.delete(reply.id);
  clearTimeout(waiting.timer);
  if (reply.error !== undefined) waiting.reject(new Error(reply.error));
  else waiting.resolve(reply.result);
}

type RequestBody = StoreRequestMessage extends infer M ? (M extends StoreRequestMessage ? Omit<M, 'type' | 'id'> : never) : never;

function ask(body: RequestBody, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (!process.send || !process.connected) { reject(new Error('the cluster primary is not connected')); return; }
    if (!listening) { listening = true; process.on('message', onReply); }
    const id = ++nextId;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new StoreTimeoutError('the cluster primary did not answer in time'));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer });
    process.send({ type: 'store:request', id, ...body } as StoreRequestMessage, undefined, undefined, (error) => {
      if (!error) return;
      pending.delete(id);
      clearTimeout(timer);
      reject(error);
    });
  });
}

class ClusterBackend implements SharedBackend {
  private readonly timeoutMs: number;
  constructor(timeoutMs: number) { this.timeoutMs = timeoutMs; }
  async consumeMany(requests: readonly ConsumeRequest[]): Promise<RateDecision[]> {
    return await ask({ op: 'consume', requests: [...requests] }, this.timeoutMs) as RateDecision[];
  }
  async putBan(ban: Ban): Promise<void> { await ask({ op: 'ban', ban }, this.timeoutMs); }
  async removeBan(key: string): Promise<boolean> { return await ask({ op: 'unban', key }, this.timeoutMs) as boolean; }
  async listBans(): Promise<Ban[]> { return await ask({ op: 'list' }, this.timeoutMs) as Ban[]; }
  async close(): Promise<void> {}
}

/** The worker side of the cluster store. */
export function createClusterStores(settings: StoreSettings): GuardedStores {
  return new GuardedStores(new ClusterBackend(settings.cluster.timeoutMs), {
    kind: 'cluster',
    onUnavailable: settings.onUnavailable,
    retryMs: 1000,
    banRefreshMs: 1000,
    maxLocalKeys: settings.maxLocalKeys,
  });
}

/**
 * The primary side: the one counter and ban store of the instance. `handle` answers a worker's message and
 * returns false for messages that are not part of the store protocol.
 */
export class ClusterStoreHost {
  readonly counters: LocalCounterStore;
  readonly bans = new LocalBanStore();

  constructor(maxKeys?: number) {
    this.counters = new LocalCounterStore({ maxKeys });
  }

  handle(message: unknown, reply: (message: StoreReplyMessage) => void): boolean {
    const request = message as StoreRequestMessage | null;
    if (request === null || typeof request !== 'object' || request.type !== 'store:request') return false;
    let result: unknown;
    try {
      switch (request.op) {
        case 'consume': result = this.counters.consumeManyNow(request.requests); break;
        case 'ban': this.bans.put(Object.freeze({ ...request.ban })); result = true; break;
        case 'unban': result = this.bans.unbanNow(request.key); break;
        case 'list': result = this.bans.listNow(); break;
        default: reply({ type: 'store:reply', id: (request as { id: number }).id, error: 'unknown store operation' }); return true;
      }
    } catch (error) {
      reply({ type: 'store:reply', id: request.id, error: (error as Error).name });
      return true;
    }
    reply({ type: 'store:reply', id: request.id, result });
    return true;
  }

  close(): void { this.counters.close(); this.bans.clear(); }
}
