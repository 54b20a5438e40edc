import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Exchange } from './exchange.ts';
import { DEFAULT_METHODS, type CompiledPipeline } from './build-pipeline.ts';
import type { CompiledRoute, RouteMatch } from './router.ts';
import { runPhase, runLogPhase, record, errorSummary, type PhaseSteps, type PhaseOutcome } from './run-phase.ts';
import { block, type Block } from './verdict.ts';
import { writeLocalReply, type LocalReply } from './local-reply.ts';
import { checkRequestHead, hostName } from '../http/request-head.ts';
import { canonicalizeTarget, decodedSegments, originFormOf } from '../http/request-target.ts';
import { resolveClientIp } from '../http/forwarding.ts';
import { BodyRefusal, type BodyGuard, declaredLength, decodeRequestBody, guardRequestBody, hasBody, readRequestBody } from '../http/request-body.ts';
import { upstreamRequestHeaders, clientResponseHeaders, applyResponseHeaderEdits, setDecodableAcceptEncoding } from '../proxy/headers.ts';
import { contentEncoding, decodeBody, encodeBody } from '../proxy/content-encoding.ts';
import { classifyUpstreamError } from '../proxy/upstream-error.ts';
import { logExchange } from '../observe/exchange-log.ts';
import { metrics } from '../observe/metrics.ts';
import { systemLog } from '../observe/system-log.ts';
import type { ExchangeLogTargets } from '../observe/exchange-log.ts';

/** Built-in checks are reported under this protection name (they are protocol rules, never in monitor mode). */
const HTTP = 'http-conformance';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Request bodies of known length up to this size are read whole before forwarding. */
const SMALL_BODY_BYTES = 64 * 1024;

/** Per-listener services the exchange flow needs besides the pipeline. */
export interface ExchangeServices {
  logTargets(pipeline: CompiledPipeline): ExchangeLogTargets;
}

/** The result of admitting a request head: where it goes, or the reply already sent. */
export type Admission = { route: CompiledRoute } | { replied: true };

/**
 * Runs the request-head part of the flow, shared by plain requests and upgrades: request id, protocol checks,
 * canonical target, client address, connection verdict, routing, request-head protections.
 */
export async function admitRequest(exchange: Exchange, pipe: CompiledPipeline): Promise<Admission> {
  const { req } = exchange;
  const policy = pipe.policy;
  const peerIsTrusted = pipe.trustedProxies.size > 0 && pipe.trustedProxies.has(exchange.connection.peerAddress);
  const incomingId = peerIsTrusted ? req.headers[policy.requestId.header] : undefined;
  exchange.requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  exchange.host = hostName(req.headers.host);

  const headProblem = checkRequestHead(req, { maxHeaderCount: policy.limits.maxHeaderCount, underscoresInHeaders: policy.http.underscoresInHeaders, namedHeaders: pipe.namedHeaders });
  if (headProblem) return refuse(exchange, pipe, { ...headProblem, detail: headProblem.message, close: true });

  const target = originFormOf(req.url ?? '', req.headers.host);
  if (typeof target !== 'string') return refuse(exchange, pipe, { status: target.status, reason: target.reason, detail: target.message, close: true }, 'path');
  // The bound before routing is the largest any route accepts; the matched route's own bound is checked below.
  if (target.length > pipe.maxUriBytes) {
    return refuse(exchange, pipe, { status: 414, reason: 'uri_too_long', detail: `the request target is longer than ${pipe.maxUriBytes} bytes`, close: true });
  }
  if (target === '*') {
    if (exchange.method !== 'OPTIONS') return refuse(exchange, pipe, { status: 400, reason: 'invalid_request_target', detail: '"*" is only valid with OPTIONS', close: true });
    exchange.outcome = 'answered';
    exchange.status = 204;
    exchange.res.writeHead(204, { allow: DEFAULT_METHODS.join(', '), [policy.requestId.header]: exchange.requestId });
    exchange.res.end();
    return { replied: true };
  }
  const canonical = canonicalizeTarget(target, { mergeSlashes: policy.http.mergeSlashes, allowSemicolons: policy.http.pathSemicolons === 'allow', keepEncodedSlashes: policy.http.encodedSlashes !== 'reject' });
  if ('reason' in canonical) {
    return refuse(exchange, pipe, { status: canonical.status, reason: canonical.reason, detail: canonical.message, close: true }, 'path');
  }
  exchange.path = canonical.path;
  exchange.rawQuery = canonical.rawQuery;
  for (const name of pipe.identityHeaders) exchange.setUpstreamHeader(name, null);

  exchange.clientIp = resolveClientIp(exchange.connection.peerAddress, pipe.trustedProxies, policy.clientAddress.header,
    single(req.headers[policy.clientAddress.header]));

  const routedPath = pipeSemicolons(exchange.path, policy.http.pathSemicolons === 'allow');
  const match = pipe.router.match(exchange.host, decodedSegments(routedPath), exchange.method);
  if (policy.http.encodedSlashes === 'same-route' && routedPath.includes('%2F') && !routesAlike(match, pipe.router.match(exchange.host, separatedSegments(routedPath), exchange.method))) {
    return refuse(exchange, pipe, { status: 400, reason: 'encoded_path_separator', detail: 'an encoded "/" that, read as a separator, would pick another route or parameter', close: true }, 'path');
  }
  let steps: PhaseSteps = pipe.unrouted;
  if (match) {
    exchange.route = match.route;
    exchange.routeParams = match.params;
    exchange.allowedMethods = match.allowedMethods;
    steps = match.route.steps;
  }
  const outcome = await runPhase(exchange, steps.requestHead, (step) => step.instance.onRequestHead!(exchange));
  if (outcome) return replyVerdict(exchange, pipe, outcome, hasBody(req));
  if (!match) {
    // Method restriction was switched off or monitored: without a route there is still nowhere to send it.
    return refuse(exchange, pipe, { status: 404, reason: 'route_not_found', detail: 'no route serves this path' }, 'path', 'router');
  }
  const route = match.route;
  if (target.length > route.limits.maxUriBytes) {
    return refuse(exchange, pipe, { status: 414, reason: 'uri_too_long', detail: `the request target is longer than ${route.limits.maxUriBytes} bytes`, close: true });
  }
  return { route };
}

/**
 * The whole exchange for a plain (non-upgrade) request: admission, body, upstream, response, and the log phase,
 * which runs when the response closes whatever happened before.
 */
export async function handleExchange(exchange: Exchange, pipe: CompiledPipeline, services: ExchangeServices, expectContinue: boolean, onClosed: () => void): Promise<void> {
  const { req, res } = exchange;
  // The one close listener of the exchange: stops the upstream if the client left, then runs the log phase.
  let guard: BodyGuard | undefined;
  let slotOf: string | undefined;
  const upstreamAbort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) upstreamAbort.abort();
    if (guard) exchange.bytesIn = guard.bytes;
    if (slotOf !== undefined) releaseSlot(slotOf);
    finishExchange(exchange, pipe, services);
    onClosed();
  });
  try {
    const admission = await admitRequest(exchange, pipe);
    if ('replied' in admission) return;
    // Concurrent requests per client address: slow readers of large answers hold an upstream connection each, and
    // without this bound one address could take the whole pool (slowhttptest -X) and queue everyone else behind it.
    const maxConcurrent = pipe.policy.limits.maxConcurrentRequestsPerIp;
    if ((inFlight.get(exchange.clientIp) ?? 0) >= maxConcurrent) {
      refuse(exchange, pipe, {
        status: 429, reason: 'too_many_concurrent_requests', close: true,
        detail: `more than ${maxConcurrent} requests from this address are in progress`,
      });
      return;
    }
    slotOf = exchange.clientIp;
    inFlight.set(slotOf, (inFlight.get(slotOf) ?? 0) + 1);
    const route = admission.route;
    const limits = route.limits;
    const length = declaredLength(req);
    if (length !== null && length > limits.maxBodyBytes) {
      refuse(exchange, pipe, { status: 413, reason: 'body_too_large', detail: `the request body is larger than ${limits.maxBodyBytes} bytes`, close: true }, 'body');
      return;
    }
    if (expectContinue) res.writeContinue();

    let body: Readable | Buffer | null = null;
    if (hasBody(req)) {
      const inspect = route.steps.needsRequestBody && !exchange.allowed;
      const inspectable = route.steps.inspectableBodyBytes;
      if (inspect && inspectable < limits.maxBodyBytes) {
        if (length !== null && length > inspectable) {
          refuse(exchange, pipe, { status: 413, reason: 'body_too_large_to_inspect', detail: `bodies over ${inspectable} bytes are not inspected, so not forwarded`, close: true }, 'body');
          return;
        }
      }
      // Small bodies of known length are read before forwarding, like nginx's request buffering: cheaper than a
      // stream per request, and the upstream never waits on a slow client.
      if (inspect || (length !== null && length <= SMALL_BODY_BYTES)) {
        const cap = inspect ? Math.min(limits.maxBodyBytes, inspectable) : limits.maxBodyBytes;
        const buffered = await readRequestBody(req, cap === limits.maxBodyBytes ? limits : { ...limits, maxBodyBytes: cap }, cap < limits.maxBodyBytes ? 'body_too_large_to_inspect' : 'body_too_large');
        exchange.bytesIn = buffered.length;
        if (inspect) {
          // A compressed body is inspected and forwarded decoded: the bytes inspected are the bytes forwarded.
          const decoded = decodeRequestBody(req.headers['content-encoding'], buffered, cap, pipe.policy.http.requestBodyEncodings);
          if (decoded !== null) {
            exchange.setUpstreamHeader('content-encoding', null);
            exchange.replaceRequestBody(decoded);
          } else {
            exchange.requestBody = buffered;
          }
          const outcome = await runPhase(exchange, route.steps.requestBody, (step) => step.instance.onRequestBody!(exchange, exchange.requestBody!));
          if (outcome) { replyVerdict(exchange, pipe, outcome, false); return; }
        }
        // A protection may have rewritten the body (identifier cloaking): the rewritten bytes are what is forwarded.
        body = exchange.requestBodyReplaced ? exchange.requestBody! : buffered;
      } else {
        // Counted by the guard itself: a 'data' listener here would start the flow before undici reads.
        guard = guardRequestBody(req, limits);
        body = guard;
      }
    }
    await forward(exchange, pipe, route, body, length, upstreamAbort.signal);
  } catch (error) {
    handleFault(exchange, pipe, error);
  }
}

async function forward(
  exchange: Exchange, pipe: CompiledPipeline, route: CompiledRoute, body: Readable | Buffer | null, length: number | null, signal: AbortSignal,
): Promise<void> {
  const { req, res } = exchange;
  const policy = pipe.policy;
  const upstream = route.upstream;
  const peerIsTrusted = pipe.trustedProxies.size > 0 && pipe.trustedProxies.has(exchange.connection.peerAddress);
  const headers = upstreamRequestHeaders(exchange, {
    peerIsTrusted,
    requestIdHeader: policy.requestId.header,
    dropUnderscores: policy.http.underscoresInHeaders === 'drop',
    preserveHost: upstream.preserveHost,
    contentLength: Buffer.isBuffer(body) ? body.length : body === null ? (length === 0 ? 0 : null) : length,
  });
  const steps = route.steps;
  const inspectResponse = steps.needsResponseBody && !exchange.allowed;
  // Response inspection decodes what it buffers: the upstream may only choose encodings Portcullis can decode.
  if (inspectResponse) setDecodableAcceptEncoding(headers);
  exchange.upstreamName = upstream.name;
  exchange.upstreamStartedAt = process.hrtime.bigint();
  const upstreamPath = exchange.upstreamPath ?? exchange.path;
  const upstreamQuery = exchange.upstreamQuery ?? exchange.rawQuery;
  const response = await upstream.pool.request({
    path: upstreamQuery === '' ? upstreamPath : `${upstreamPath}?${upstreamQuery}`,
    method: exchange.method,
    headers,
    body,
    signal,
  });
  exchange.upstreamEndedAt = process.hrtime.bigint();
  exchange.upstreamStatus = response.statusCode;
  exchange.upstreamResponseHeaders = response.headers as Record<string, string | string[]>;

  if (!exchange.allowed && steps.responseHead.length > 0) {
    const outcome = await runPhase(exchange, steps.responseHead, (step) => step.instance.onResponseHead!(exchange, response.statusCode, response.headers as Record<string, string | string[]>));
    if (outcome) { response.body.destroy(); replyVerdict(exchange, pipe, outcome, false); return; }
  }
  const outHeaders = clientResponseHeaders(response.headers, policy.requestId.header, exchange.requestId);
  applyResponseHeaderEdits(exchange, outHeaders);

  // HEAD answers, 204 and 304 have no body to inspect.
  if (inspectResponse && exchange.method !== 'HEAD' && response.statusCode !== 204 && response.statusCode !== 304) {
    const cap = route.limits.maxInspectedResponseBytes;
    const encoding = contentEncoding(response.headers['content-encoding']);
    if (encoding === null) {
      response.body.destroy();
      refuse(exchange, pipe, { status: 502, reason: 'response_encoding_unsupported', detail: 'the upstream response uses a content encoding that cannot be inspected' }, 'response-body', 'proxy');
      return;
    }
    const { chunks, overflow } = await bufferUpTo(response.body, cap);
    if (overflow) {
      if (route.limits.responseOverflow === 'pass') {
        passUninspected(exchange, pipe, response.statusCode, outHeaders, chunks, route.limits.writeIdleTimeoutMs);
        return relayBody(response.body, res, exchange);
      }
      response.body.destroy();
      refuse(exchange, pipe, { status: 502, reason: 'response_too_large', detail: 'the upstream response is too large to inspect' }, 'response-body', 'proxy');
      return;
    }
    const received = Buffer.concat(chunks);
    let decoded: Buffer;
    try {
      decoded = encoding === 'identity' ? received : decodeBody(received, encoding, cap);
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      refuse(exchange, pipe, tooLarge
        ? { status: 502, reason: 'response_too_large', detail: 'the decompressed upstream response is too large to inspect' }
        : { status: 502, reason: 'response_encoding_invalid', detail: 'the upstream response body does not decode with its content encoding' }, 'response-body', 'proxy');
      return;
    }
    const outcome = await runPhase(exchange, steps.responseBody, (step) => step.instance.onResponseBody!(exchange, exchange.responseBody ?? decoded));
    if (outcome) { replyVerdict(exchange, pipe, outcome, false); return; }
    applyResponseHeaderEdits(exchange, outHeaders); // edits made by response-body hooks
    // Unchanged bodies go out as received; a rewritten one is encoded again as the upstream had encoded it.
    const out = exchange.responseBody === undefined ? received : encoding === 'identity' ? exchange.responseBody : encodeBody(exchange.responseBody, encoding);
    if (exchange.responseBody !== undefined) {
      delete outHeaders.etag; // the representation changed, so a strong validator of the upstream's would lie
      delete outHeaders['content-md5'];
    }
    delete outHeaders['transfer-encoding'];
    outHeaders['content-length'] = String(out.length);
    startWriteIdleTimer(req.socket, route.limits.writeIdleTimeoutMs);
    res.writeHead(response.statusCode, outHeaders);
    exchange.bytesOut = out.length;
    res.end(out);
    return;
  }

  startWriteIdleTimer(req.socket, route.limits.writeIdleTimeoutMs);
  res.writeHead(response.statusCode, outHeaders);
  await relayBody(response.body, res, exchange);
}

/**
 * Reads `body` until its end or until more than `cap` bytes came; then the stream is left paused (not destroyed), so
 * that the rest can still be relayed (`responseOverflow: pass`) or discarded.
 */
function bufferUpTo(body: Readable, cap: number): Promise<{ chunks: Buffer[]; overflow: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > cap) { body.pause(); cleanup(); resolve({ chunks, overflow: true }); }
    };
    const onEnd = () => { cleanup(); resolve({ chunks, overflow: false }); };
    const onError = (error: Error) => { cleanup(); reject(error); };
    const cleanup = () => { body.off('data', onData); body.off('end', onEnd); body.off('error', onError); };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/**
 * `responseOverflow: pass`: the response is larger than what may be buffered, and the route's policy lets it through
 * uninspected. Sends the head and what was buffered, records the event; the caller relays the rest.
 */
function passUninspected(
  exchange: Exchange, pipe: CompiledPipeline, status: number, headers: Record<string, string | string[]>, chunks: Buffer[], writeIdleMs: number,
): void {
  record(exchange, 'proxy', pipe.policy.mode, { action: 'flag', reason: 'response_not_inspected', detail: { message: 'the response exceeded maxInspectedResponseBytes and was passed uninspected (responseOverflow: pass)' } });
  startWriteIdleTimer(exchange.req.socket, writeIdleMs);
  exchange.res.writeHead(status, headers);
  for (const chunk of chunks) { exchange.bytesOut += chunk.length; exchange.res.write(chunk); }
}

/**
 * Streams the upstream body to the client with backpressure and counts the bytes. A plain pipe rather than
 * stream.pipeline: the latter sets up an AbortController per response, which costs about 5% of the CPU here.
 * Resolves when the response is finished; rejects when either side fails (the other side is then destroyed).
 */
function relayBody(body: Readable, res: ServerResponse, exchange: Exchange): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      body.destroy();
      res.destroy();
      reject(error);
    };
    body.on('data', (chunk: Buffer) => { exchange.bytesOut += chunk.length; });
    body.once('error', fail);
    res.once('close', () => {
      if (settled) return;
      if (res.writableFinished) { settled = true; resolve(); return; }
      fail(Object.assign(new Error('client closed the connection'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
    body.pipe(res);
  });
}

/**
 * Slow readers: once the response starts, the connection may idle at most this long. On the socket's timeout,
 * Node's HTTP server destroys the connection (no 'timeout' listener is installed on purpose).
 */
function startWriteIdleTimer(socket: Socket, ms: number): void {
  socket.setTimeout(ms);
}

/** Turns a fault into a reply (or a cut connection when the response had already started). */
function handleFault(exchange: Exchange, pipe: CompiledPipeline, error: unknown): void {
  const { res } = exchange;
  if (error instanceof BodyRefusal) {
    exchange.errorCode = error.reason;
    if (error.reason === 'client_aborted') { exchange.outcome = 'aborted'; res.destroy(); return; }
    if (!refuseIfPossible(exchange, pipe, { status: error.status, reason: error.reason, detail: error.message, close: true }, 'body')) res.destroy();
    return;
  }
  const code = (error as { code?: string } | null)?.code;
  if (code === 'UND_ERR_ABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (res.destroyed && !res.writableFinished)) {
    exchange.outcome = 'aborted';
    exchange.errorCode = 'client_aborted';
    return;
  }
  if (exchange.upstreamName !== undefined) {
    const failure = classifyUpstreamError(error);
    exchange.outcome = 'error';
    exchange.errorCode = failure.code;
    metrics.upstreamErrors.labels(exchange.upstreamName, failure.code).inc();
    if (!res.headersSent) {
      sendReply(exchange, pipe, { status: failure.status, reason: failure.reason, close: true });
      exchange.outcome = 'error';
    } else {
      res.destroy(); // a half-sent upstream response cannot turn into an error page
    }
    return;
  }
  systemLog.error('exchange_fault', { requestId: exchange.requestId, error: errorSummary(error) });
  exchange.outcome = 'error';
  exchange.errorCode = 'internal_error';
  if (!res.headersSent) sendReply(exchange, pipe, { status: 500, reason: 'internal_error', close: true });
  else res.destroy();
}

function refuseIfPossible(exchange: Exchange, pipe: CompiledPipeline, reply: LocalReply, location: string): boolean {
  if (exchange.res.headersSent) return false;
  refuse(exchange, pipe, reply, location);
  return true;
}

/** A built-in refusal: recorded as a verdict (so it is logged and counted like any block) and answered. */
function refuse(exchange: Exchange, pipe: CompiledPipeline, reply: LocalReply, location?: string, protection = HTTP): { replied: true } {
  record(exchange, protection, 'enforce', block(reply.status, reply.reason, {
    detail: { location, message: reply.detail, excerpt: location === 'path' ? exchange.req.url : undefined },
  }));
  sendReply(exchange, pipe, reply);
  return { replied: true };
}

function replyVerdict(exchange: Exchange, pipe: CompiledPipeline, verdict: NonNullable<PhaseOutcome> | Block, bodyUnread: boolean): { replied: true } {
  sendReply(exchange, pipe, {
    status: verdict.status,
    reason: verdict.reason,
    headers: verdict.action === 'block' ? verdict.headers : undefined,
    problem: verdict.action === 'block' ? verdict.problem : undefined,
    close: bodyUnread,
  });
  return { replied: true };
}

function sendReply(exchange: Exchange, pipe: CompiledPipeline, reply: LocalReply): void {
  exchange.outcome = reply.status >= 500 ? 'error' : 'blocked';
  const extra = exchange.responseHeaders;
  let withExtra = reply;
  if (extra) {
    const headers: Record<string, string> = {};
    for (const [name, value] of extra) if (value !== null) headers[name] = value;
    withExtra = { ...reply, headers: { ...headers, ...reply.headers } };
  }
  const written = writeLocalReply(exchange.res, withExtra, exchange.requestId, pipe.policy.requestId.header);
  if (written < 0) exchange.res.destroy(); else exchange.bytesOut = written;
}

/** Requests in progress per client address in this process (past admission, until their response closed). */
const inFlight = new Map<string, number>();

function releaseSlot(clientIp: string): void {
  const count = (inFlight.get(clientIp) ?? 1) - 1;
  if (count <= 0) inFlight.delete(clientIp); else inFlight.set(clientIp, count);
}

/** The log phase: always runs once, after the response closed (finished, refused, failed or aborted). */
function finishExchange(exchange: Exchange, pipe: CompiledPipeline, services: ExchangeServices): void {
  const { res } = exchange;
  // No socket timeout is cleared here: when the response finished, Node has already replaced the write-idle timer
  // with the keep-alive one (clearing it would keep idle connections open for ever), and when it did not, the socket
  // is destroyed anyway.
  if (!res.writableFinished && exchange.outcome === 'forwarded') { exchange.outcome = 'aborted'; exchange.errorCode ??= 'client_aborted'; }
  exchange.status = res.headersSent ? res.statusCode : 499;
  const steps = exchange.route?.steps ?? pipe.unrouted;
  if (steps.log.length > 0) runLogPhase(exchange, steps.log);
  try { logExchange(exchange, services.logTargets(pipe)); } catch (error) {
    systemLog.error('log_failed', { error: errorSummary(error) });
  }
}

/**
 * The path's segments as a backend that reads `%2F` as a separator (and merges the empty segments it makes) sees
 * them. Dot segments next to `%2F` were refused by canonicalization already.
 */
function separatedSegments(path: string): string[] {
  return decodedSegments(path.replaceAll('%2F', '/')).filter((segment, i, all) => segment !== '' || i === all.length - 1);
}

/**
 * The same route with the same named parameters. The rest of a `**` template may read differently (`a/` or `a`),
 * but it is the same route's: its protections hold either way.
 */
function routesAlike(a: RouteMatch | null, b: RouteMatch | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.route !== b.route) return false;
  for (const key in a.params) if (key !== '**' && a.params[key] !== b.params[key]) return false;
  return true;
}

/** With `pathSemicolons: allow`, routes match the part of each segment before `;`. */
function pipeSemicolons(path: string, allow: boolean): string {
  return allow && path.includes(';') ? path.replace(/;[^/]*/g, '') : path;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
