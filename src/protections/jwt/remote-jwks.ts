import { request as httpsRequest, Agent } from 'node:https';
import { systemLog } from '../../observe/system-log.ts';
import { importJwkDocument, type VerificationKey } from './keys.ts';
import type { Algorithm } from './config.ts';

/** Settings of one JWK Set URL, with defaults applied. */
export interface RemoteJwksOptions {
  url: string;
  /** PEM text of the trusted CAs (replaces the public roots), or undefined for the public roots. */
  ca: string | undefined;
  algorithms: readonly Algorithm[];
  refreshIntervalMs: number;
  minRefreshIntervalMs: number;
  timeoutMs: number;
  maxStaleMs: number;
  maxBytes: number;
}

/** Why a fetch failed: a short code for logs (never response content). */
class FetchFailure extends Error {
  readonly code: string;
  constructor(code: string) { super(code); this.code = code; }
}

const now = () => performance.now();

/**
 * One JWK Set URL: keys cached in memory, refreshed every `refreshIntervalMs`, and on demand when a token names an
 * unknown `kid` (at most once per `minRefreshIntervalMs`). A failed fetch keeps the keys it had, up to `maxStaleMs`
 * after the last success. The first fetch runs in the background: nothing waits for it at startup.
 *
 * Instances are shared process-wide by identical settings (see `acquireRemoteJwks`), so route instances and the
 * pipeline of the next policy load reuse the same keys instead of fetching again.
 */
export class RemoteJwks {
  readonly options: RemoteJwksOptions;
  private keys: readonly VerificationKey[] = [];
  private lastSuccess: number | undefined;
  private lastAttempt = -Infinity;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private readonly agent: Agent;
  private abort = new AbortController();
  /** Fetches started, successful or not (exposed for tests and diagnostics). */
  fetches = 0;

  constructor(options: RemoteJwksOptions) {
    this.options = options;
    this.agent = new Agent({ keepAlive: false, ca: options.ca });
  }

  /** Starts the background fetch (deferred, so a pipeline compiled and closed at once fetches nothing). */
  start(): void {
    this.schedule(0);
  }

  /** Keys usable now: none before the first success, and none once they are older than `maxStaleMs`. */
  current(): readonly VerificationKey[] {
    if (this.lastSuccess === undefined || now() - this.lastSuccess > this.options.maxStaleMs) return [];
    return this.keys;
  }

  /** True when keys are usable now. */
  get available(): boolean { return this.current().length > 0; }

  /** The fetch in flight, if any (a request that needs keys waits for it rather than failing). */
  get pending(): Promise<void> | undefined { return this.inflight; }

  /** Milliseconds until a new fetch is allowed (0 when it is allowed now). */
  cooldownLeft(): number {
    return Math.max(0, this.lastAttempt + this.options.minRefreshIntervalMs - now());
  }

  /**
   * Refreshes now if the cooldown allows, and returns the fetch to wait for (the one in flight if any), or undefined
   * when the cooldown forbids a new one. Unknown-`kid` storms therefore cost at most one fetch per cooldown.
   */
  refresh(): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.inflight) return this.inflight;
    if (this.cooldownLeft() > 0) return undefined;
    return this.fetchNow();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.agent.destroy();
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { void this.fetchNow(); }, delay);
    this.timer.unref();
  }

  private fetchNow(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.lastAttempt = now();
    this.fetches++;
    this.inflight = this.load().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async load(): Promise<void> {
    try {
      const document = await this.download();
      const { keys, skipped, errors } = importJwkDocument(document, this.options.algorithms, false);
      if (keys.length === 0) throw new FetchFailure(errors.length > 0 ? 'no_usable_key_invalid_keys' : 'no_usable_key');
      if (errors.length > 0 || skipped.length > 0) {
        systemLog.warn('jwks_keys_ignored', { url: safeUrl(this.options.url), ignored: errors.length + skipped.length, used: keys.length });
      }
      this.keys = keys;
      this.lastSuccess = now();
      this.failures = 0;
      this.schedule(this.options.refreshIntervalMs);
    } catch (error) {
      if (this.closed) return;
      this.failures++;
      systemLog.warn('jwks_fetch_failed', {
        url: safeUrl(this.options.url),
        error: error instanceof FetchFailure ? error.code : (error as NodeJS.ErrnoException).code ?? 'error',
        keptKeys: this.current().length,
      });
      // Retry after the cooldown, doubling while it keeps failing, up to the refresh interval.
      const backoff = this.options.minRefreshIntervalMs * 2 ** Math.min(this.failures - 1, 16);
      this.schedule(Math.min(backoff, this.options.refreshIntervalMs));
    }
  }

  private download(): Promise<unknown> {
    const { url, timeoutMs, maxBytes } = this.options;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        reject(error);
      };
      const deadline = setTimeout(() => fail(new FetchFailure('timeout')), timeoutMs);
      const req = httpsRequest(url, {
        method: 'GET', agent: this.agent, signal: this.abort.signal,
        headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'portcullis-jwks' },
      }, (res) => {
        if (res.statusCode !== 200) { res.resume(); fail(new FetchFailure(`status_${res.statusCode}`)); return; }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) { fail(new FetchFailure('too_large')); return; }
          chunks.push(chunk);
        });
        res.once('error', fail);
        res.once('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { reject(new FetchFailure('invalid_json')); }
        });
      });
      req.once('error', fail);
      req.end();
    });
  }
}

/** The URL without query or credentials, for logs. */
function safeUrl(text: string): string {
  try { const url = new URL(text); return `${url.origin}${url.pathname}`; } catch { return 'invalid-url'; }
}

interface Shared { jwks: RemoteJwks; users: number }
const shared = new Map<string, Shared>();

/**
 * The process-wide key set for these options (created and started on first use). Each holder calls `release` once;
 * the last release closes it. A reload compiles the new pipeline before retiring the old one, so keys carry over.
 */
export function acquireRemoteJwks(options: RemoteJwksOptions): { jwks: RemoteJwks; release(): void } {
  const id = JSON.stringify(options);
  let entry = shared.get(id);
  if (entry === undefined) {
    entry = { jwks: new RemoteJwks(options), users: 0 };
    shared.set(id, entry);
    entry.jwks.start();
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    jwks: held.jwks,
    release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0) {
        held.jwks.close();
        if (shared.get(id) === held) shared.delete(id);
      }
    },
  };
}
