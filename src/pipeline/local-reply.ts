import { STATUS_CODES, type ServerResponse } from 'node:http';
import { prefersHtml } from '../http/accept.ts';

/** A reply Portcullis makes itself (a block or a fault). It never carries upstream content. */
export interface LocalReply {
  status: number;
  /** Stable snake_case code, identical in the reply, the logs and the metrics. */
  reason: string;
  /** A short explanation safe to show the client (no input echoed back, no secrets). */
  detail?: string;
  headers?: Readonly<Record<string, string>>;
  /** Extra problem members (RFC 9457 extension members). */
  problem?: Readonly<Record<string, unknown>>;
  /** Close the connection after replying (the request body was not read, or framing is in doubt). */
  close?: boolean;
}

export const PROBLEM_TYPE_PREFIX = 'urn:portcullis:problem:';

/** The RFC 9457 problem document for a local reply. */
export function problemDocument(reply: LocalReply, requestId: string): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE_PREFIX + reply.reason,
    title: STATUS_CODES[reply.status] ?? 'Error',
    status: reply.status,
    reason: reply.reason,
    ...(reply.detail ? { detail: reply.detail } : {}),
    requestId,
    ...reply.problem,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The same reply as a small self-contained HTML page, for browsers. */
export function problemPage(reply: LocalReply, requestId: string): string {
  const title = escapeHtml(`${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}` +
    `code{background:#f3f3f3;padding:.1rem .3rem}</style></head><body><h1>${title}</h1>` +
    `<p>The request was not processed${reply.detail ? `: ${escapeHtml(reply.detail)}` : '.'}</p>` +
    `<p>Reason: <code>${escapeHtml(reply.reason)}</code><br>Request id: <code>${escapeHtml(requestId)}</code></p>` +
    `<p>If you think this is a mistake, contact the site operator and quote the request id.</p></body></html>`;
}

/**
 * Writes a local reply: problem+json, or HTML when the client prefers it. Returns the body size, or -1 when a
 * response had already started (the caller then cuts the connection: a half-sent upstream response cannot
 * become an error page).
 */
export function writeLocalReply(res: ServerResponse, reply: LocalReply, requestId: string, requestIdHeader: string): number {
  if (res.headersSent) return -1;
  const html = prefersHtml(res.req?.headers.accept);
  const body = html ? problemPage(reply, requestId) : JSON.stringify(problemDocument(reply, requestId));
  const headers: Record<string, string | number> = {
    'content-type': html ? 'text/html; charset=utf-8' : 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    [requestIdHeader]: requestId,
    ...reply.headers,
  };
  if (reply.close) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  const isHead = res.req?.method === 'HEAD';
  res.end(isHead ? undefined : body);
  return isHead ? 0 : Buffer.byteLength(body);
}
