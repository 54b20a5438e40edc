import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';

/** Why a request body was refused: answered with `status` and `reason`, connection closed. */
export class BodyRefusal extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'BodyRefusal';
    this.status = status;
    this.reason = reason;
  }
}

export interface BodyLimits {
  maxBodyBytes: number;
  bodyIdleTimeoutMs: number;
  bodyMinBytesPerSecond: number;
}

/** The minimum rate is judged only after this long, so that short stalls at the start do not count. */
const MIN_RATE_GRACE_MS = 5_000;

/** Every guard being read, checked by one shared ticker each second instead of a timer per request. */
const watched = new Set<BodyGuard>();
let ticker: NodeJS.Timeout | undefined;

function watch(guard: BodyGuard): void {
  watched.add(guard);
  if (!ticker) {
    ticker = setInterval(() => {
      const now = Date.now();
      for (const g of watched) g.check(now);
      if (watched.size === 0) { clearInterval(ticker); ticker = undefined; }
    }, 1000);
    ticker.unref();
  }
}

/**
 * A pass-through for a request body that enforces the size cap while the body streams (a chunked body that grows
 * past the cap fails with 413 at that point), the idle timeout and the minimum average rate (408). Its error
 * aborts the upstream request, so the upstream never receives a complete over-limit body.
 */
export class BodyGuard extends Transform {
  bytes = 0;
  private readonly limits: BodyLimits;
  private readonly startedAt = Date.now();
  private lastDataAt = Date.now();

  constructor(limits: BodyLimits) {
    super();
    this.limits = limits;
    watch(this);
    const stop = () => watched.delete(this);
    this.once('end', stop);
    this.once('close', stop);
    this.once('error', stop);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.lastDataAt = Date.now();
    if (this.bytes > this.limits.maxBodyBytes) {
      callback(new BodyRefusal(413, 'body_too_large', `the request body is larger than ${this.limits.maxBodyBytes} bytes`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    watched.delete(this);
    callback();
  }

  /** Called by the shared ticker. */
  check(now: number): void {
    if (now - this.lastDataAt > this.limits.bodyIdleTimeoutMs) {
      this.destroy(new BodyRefusal(408, 'body_timeout', 'the request body stalled'));
      return;
    }
    const elapsed = now - this.startedAt;
    if (this.limits.bodyMinBytesPerSecond > 0 && elapsed > MIN_RATE_GRACE_MS &&
        (this.bytes * 1000) / elapsed < this.limits.bodyMinBytesPerSecond) {
      this.destroy(new BodyRefusal(408, 'body_too_slow', 'the request body arrives too slowly'));
    }
  }
}

/** True when the request has a body to read (Content-Length > 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0' && Number(length) > 0;
}

/** The declared length, or null for chunked bodies. */
export function declaredLength(req: IncomingMessage): number | null {
  const length = req.headers['content-length'];
  return length === undefined ? null : Number(length);
}

/**
 * Connects the request to a guard. A client abort (connection reset mid-body) fails the guard with
 * `client_aborted`, which aborts the upstream request; a truncated body is never forwarded as complete.
 */
export function guardRequestBody(req: IncomingMessage, limits: BodyLimits): BodyGuard {
  const guard = new BodyGuard(limits);
  req.pipe(guard);
  req.once('aborted', () => guard.destroy(new BodyRefusal(400, 'client_aborted', 'the client closed the connection mid-body')));
  req.once('error', () => guard.destroy(new BodyRefusal(400, 'client_aborted', 'the client connection failed mid-body')));
  guard.once('error', () => req.unpipe(guard));
  return guard;
}

/** Reads the whole body through a guard (only when a protection needs it). Rejects with `BodyRefusal`. */
export async function readRequestBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const guard = guardRequestBody(req, limits);
  const chunks: Buffer[] = [];
  for await (const chunk of guard) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
