import { randomUUID } from 'node:crypto';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { CompiledPipeline } from '../../pipeline/build-pipeline.ts';
import type { ExchangeServices } from '../../pipeline/handle-exchange.ts';
import { record } from '../../pipeline/run-phase.ts';
import { block } from '../../pipeline/verdict.ts';
import { writeLocalReply, type LocalReply } from '../../pipeline/local-reply.ts';
import { checkRequestHead, hostName } from '../../http/request-head.ts';
import { canonicalizeTarget, originFormOf } from '../../http/request-target.ts';
import { resolveClientIp } from '../../http/forwarding.ts';
import { hasBody } from '../../http/request-body.ts';
import { logExchange } from '../../observe/exchange-log.ts';
import type { RedirectToHttpsConfig } from './tls-schema.ts';

/**
 * Answers a request on a `redirectToHttps` listener: 308 to the same canonical path and query on the HTTPS origin.
 * The request head gets the same protocol checks as any request (a malformed one is refused, not redirected), the
 * body is never read (the connection is closed after the reply when there is one), nothing reaches an upstream,
 * and the exchange is logged like any other. `onClosed` runs once the response has closed.
 */
export function redirectToHttps(exchange: Exchange, pipe: CompiledPipeline, services: ExchangeServices, redirect: RedirectToHttpsConfig, onClosed: () => void): void {
  const { req, res } = exchange;
  const policy = pipe.policy;
  exchange.requestId = randomUUID();
  exchange.host = hostName(req.headers.host);
  exchange.clientIp = resolveClientIp(exchange.connection.peerAddress, pipe.trustedProxies, policy.clientAddress.header,
    single(req.headers[policy.clientAddress.header]));
  res.once('close', () => {
    exchange.status = res.headersSent ? res.statusCode : 499;
    if (!res.writableFinished && exchange.outcome === 'answered') { exchange.outcome = 'aborted'; exchange.errorCode = 'client_aborted'; }
    try { logExchange(exchange, services.logTargets(pipe)); } finally { onClosed(); }
  });

  const refuse = (reply: LocalReply) => {
    record(exchange, 'http-conformance', 'enforce', block(reply.status, reply.reason, { detail: { message: reply.detail } }));
    exchange.outcome = 'blocked';
    writeLocalReply(res, { ...reply, close: true }, exchange.requestId, policy.requestId.header);
  };

  const problem = checkRequestHead(req, { maxHeaderCount: policy.limits.maxHeaderCount, underscoresInHeaders: policy.http.underscoresInHeaders });
  if (problem) { refuse({ status: problem.status, reason: problem.reason, detail: problem.message }); return; }
  const origin = originFormOf(req.url ?? '', req.headers.host);
  if (typeof origin !== 'string') { refuse({ status: origin.status, reason: origin.reason, detail: origin.message }); return; }
  const target = canonicalizeTarget(origin, { mergeSlashes: policy.http.mergeSlashes, allowSemicolons: policy.http.pathSemicolons === 'allow', keepEncodedSlashes: policy.http.encodedSlashes !== 'reject' });
  if ('reason' in target) { refuse({ status: target.status, reason: target.reason, detail: target.message }); return; }
  exchange.path = target.path;
  exchange.rawQuery = target.rawQuery;
  const host = redirect.host ?? exchange.host;
  if (host === '') { refuse({ status: 400, reason: 'missing_host', detail: 'a Host header is needed to redirect to HTTPS' }); return; }

  const authority = (host.includes(':') ? `[${host}]` : host) + (redirect.port === 443 ? '' : `:${redirect.port}`);
  const location = `https://${authority}${target.path}${target.rawQuery === '' ? '' : `?${target.rawQuery}`}`;
  exchange.outcome = 'answered';
  const headers: Record<string, string | number> = { location, 'content-length': 0, [policy.requestId.header]: exchange.requestId };
  // The body is not read: close rather than leave it in the connection.
  if (hasBody(req)) headers.connection = 'close';
  res.writeHead(308, headers);
  res.end();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
