import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { contentEncoding, decodeBody, type Coding } from '../proxy/content-encoding.ts';

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

/** A body being read, checked by the shared ticker. */
interface Watched { check(now: number): void }

/** Every body being read, checked by one shared ticker each second instead of a timer per request. */
const watched = new Set<Watched>();
let ticker: NodeJS.Timeout | undefined;

function watch(guard: Watched): void {
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
  /** The request, to look at its trailers once the body has ended. */
  request: IncomingMessage | undefined;
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
    // Failing here, before the end, keeps undici from sending the last chunk: the upstream gets no complete request.
    callback(this.request && this.request.rawTrailers.length > 0 ? trailerRefusal() : null);
  }

  /** Called by the shared ticker. */
  check(now: number): void {
    const refusal = pacingRefusal(this.limits, now, this.startedAt, this.lastDataAt, this.bytes);
    if (refusal) this.destroy(refusal);
  }
}

/**
 * Chunked trailer fields are refused (checklist A7): they would go uninspected, and some servers merge them into
 * the headers (Puma, CVE-2023-40175).
 */
function trailerRefusal(): BodyRefusal {
  return new BodyRefusal(400, 'request_trailers', 'trailer fields in a chunked request body are not accepted');
}

/** The idle-timeout and minimum-rate rules, shared by streamed and buffered bodies. */
function pacingRefusal(limits: BodyLimits, now: number, startedAt: number, lastDataAt: number, bytes: number): BodyRefusal | null {
  if (now - lastDataAt > limits.bodyIdleTimeoutMs) return new BodyRefusal(408, 'body_timeout', 'the request body stalled');
  const elapsed = now - startedAt;
  if (limits.bodyMinBytesPerSecond > 0 && elapsed > MIN_RATE_GRACE_MS && (bytes * 1000) / elapsed < limits.bodyMinBytesPerSecond) {
    return new BodyRefusal(408, 'body_too_slow', 'the request body arrives too slowly');
  }
  return null;
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
  guard.request = req;
  req.pipe(guard);
  req.once('aborted', () => guard.destroy(new BodyRefusal(400, 'client_aborted', 'the client closed the connection mid-body')));
  req.once('error', () => guard.destroy(new BodyRefusal(400, 'client_aborted', 'the client connection failed mid-body')));
  guard.once('error', () => req.unpipe(guard));
  return guard;
}

/**
 * Reads the whole body into memory under the same rules as `BodyGuard` (size cap while reading, idle timeout,
 * minimum rate, client abort), without a stream of its own. Rejects with `BodyRefusal`; on refusal the request
 * stops being read (the caller answers and closes the connection).
 */
export function readRequestBody(req: IncomingMessage, limits: BodyLimits, oversizeReason = 'body_too_large'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const startedAt = Date.now();
    let lastDataAt = startedAt;
    const watcher: Watched = {
      check(now) {
        const refusal = pacingRefusal(limits, now, startedAt, lastDataAt, bytes);
        if (refusal) finish(refusal);
      },
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      lastDataAt = Date.now();
      if (bytes > limits.maxBodyBytes) finish(new BodyRefusal(413, oversizeReason, `the request body is larger than ${limits.maxBodyBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(req.rawTrailers.length > 0 ? trailerRefusal() : null);
    const onAborted = () => finish(new BodyRefusal(400, 'client_aborted', 'the client closed the connection mid-body'));
    function finish(error: BodyRefusal | null): void {
      watched.delete(watcher);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      if (error) { req.pause(); reject(error); return; }
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }
    watch(watcher);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    req.once('error', onAborted);
  });
}

/**
 * The request body as a backend that undoes its `Content-Encoding` reads it (Express's body-parser, ASP.NET Core's
 * request decompression and Spring filters inflate gzip, deflate and br), or `null` when it has no coding. An
 * inspected body is decoded here, inspected, and forwarded decoded without the header, so the bytes inspected are
 * the bytes the backend gets; compressed bytes read as JSON or a form would be noise that hides any payload.
 * Refused, since what cannot be decoded cannot be inspected: a coding Portcullis does not decode (`zstd`,
 * `compress`) or a chain of codings (`gzip, br`) with 415 (RFC 9110 §15.5.16), a body that does not decode with 400,
 * and one that decodes to more than `maxBytes` (a decompression bomb) with 413. `accepted` is the policy's
 * `http.requestBodyEncodings`: another coding is refused as one Portcullis cannot decode.
 */
export function decodeRequestBody(header: string | undefined, body: Buffer, maxBytes: number, accepted: readonly Coding[] = ['gzip', 'deflate', 'br']): Buffer | null {
  if (header === undefined) return null;
  const coding = contentEncoding(header);
  if (coding === 'identity') return null;
  if (coding === null || !accepted.includes(coding)) {
    throw new BodyRefusal(415, 'unsupported_content_encoding', `the request body has a Content-Encoding that is not decoded for inspection (accepted: ${accepted.join(', ') || 'none'})`);
  }
  try {
    return decodeBody(body, coding, maxBytes);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyRefusal(413, 'body_too_large_to_inspect', `the request body decodes to more than ${maxBytes} bytes`);
    }
    throw new BodyRefusal(400, 'content_encoding_invalid', `the request body does not decode as ${coding}`);
  }
}
