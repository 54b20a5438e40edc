import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rawRequest, type RawResponse } from './raw-http.ts';
import type { SeenRequest, TestUpstream } from './upstream.ts';

/** One HTTP/1.x response cut out of the raw bytes a client received. */
export interface ParsedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** Splits raw response bytes (latin1) into responses, following Content-Length and chunked framing. */
export function parseResponses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const line = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text.slice(at));
    if (!line) break;
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const headers: Record<string, string> = {};
    for (const field of text.slice(at + line[0].length, headEnd).split('\r\n')) {
      if (field === '') continue;
      const colon = field.indexOf(':');
      const name = field.slice(0, colon).trim().toLowerCase();
      const value = field.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(line[1]);
    let bodyAt = headEnd + 4;
    let body = '';
    if (status < 200 || status === 204 || status === 304) {
      // no body
    } else if (headers['content-length'] !== undefined) {
      body = text.slice(bodyAt, bodyAt + Number(headers['content-length']));
      bodyAt += body.length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      for (;;) {
        const sizeEnd = text.indexOf('\r\n', bodyAt);
        if (sizeEnd === -1) { bodyAt = text.length; break; }
        const size = parseInt(text.slice(bodyAt, sizeEnd), 16);
        bodyAt = sizeEnd + 2;
        if (!(size > 0)) { bodyAt = text.indexOf('\r\n\r\n', bodyAt - 2) + 4; break; }
        body += text.slice(bodyAt, bodyAt + size);
        bodyAt += size + 2;
      }
    } else {
      body = text.slice(bodyAt);
      bodyAt = text.length;
    }
    out.push({ status, headers, body });
    at = bodyAt;
  }
  return out;
}

export interface Reply extends RawResponse { responses: ParsedResponse[] }

/** `rawRequest` plus the parsed responses. Strings are sent as latin1, so `\xff` is the byte 0xff. */
export async function send(port: number, data: string | Buffer | (string | Buffer)[], options: { timeoutMs?: number; delayMs?: number } = {}): Promise<Reply> {
  const toBytes = (part: string | Buffer) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
  const raw = await rawRequest(port, Array.isArray(data) ? data.map(toBytes) : toBytes(data), options);
  return { ...raw, responses: parseResponses(raw.text) };
}

/** The problem document of a refusal: RFC 9457 members, reason code, and the request id echoed in the header. */
export function assertProblem(response: ParsedResponse | undefined, status: number, reason: string, message?: string): Record<string, unknown> {
  const where = message ? ` (${message})` : '';
  assert.ok(response, `a response was expected${where}`);
  assert.equal(response.status, status, `status${where}: ${response.body}`);
  assert.equal(response.headers['content-type'], 'application/problem+json', `content-type${where}`);
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  assert.equal(problem.type, `urn:portcullis:problem:${reason}`, `type${where}`);
  assert.equal(typeof problem.title, 'string', `title${where}`);
  assert.ok((problem.title as string).length > 0, `title${where}`);
  assert.equal(problem.status, status, `problem.status${where}`);
  assert.equal(problem.reason, reason, `reason${where}`);
  assert.match(String(problem.requestId), /^[0-9a-f-]{36}$/, `requestId${where}`);
  assert.equal(response.headers['x-request-id'], problem.requestId, `x-request-id header equals requestId${where}`);
  return problem;
}

/** The single reply of a refused request: exactly one response (never a second status line), then closed. */
export function assertRefused(reply: Reply, status: number, reason: string, message?: string): void {
  const where = message ? ` (${message})` : '';
  assert.equal(reply.responses.length, 1, `exactly one response${where}: ${JSON.stringify(reply.text)}`);
  assertProblem(reply.responses[0], status, reason, message);
  assert.equal(reply.closed, true, `connection closed after the refusal${where}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests the upstream has seen, after giving a forwarded request a moment to arrive. */
export async function upstreamSeen(upstream: TestUpstream, settleMs = 30): Promise<SeenRequest[]> {
  await sleep(settleMs);
  return [...upstream.requests];
}

/**
 * Desync probe: a benign request on a new connection is served normally, and the only thing the upstream has seen
 * since `upstream.requests` was last cleared is that request (no refused request, no smuggled prefix).
 */
export async function assertCanary(port: number, upstream: TestUpstream, label: string, allowIncomplete = false): Promise<void> {
  const path = `/canary-${label.replace(/[^A-Za-z0-9]/g, '-')}`;
  const reply = await send(port, `GET ${path} HTTP/1.1\r\nHost: canary.test\r\nConnection: close\r\n\r\n`);
  assert.equal(reply.status, 200, `canary served after ${label}: ${reply.text.slice(0, 200)}`);
  assert.equal(reply.responses.length, 1);
  const seen = await upstreamSeen(upstream, 0);
  const others = seen.filter((r) => r.url !== path);
  assert.equal(seen.filter((r) => r.url === path).length, 1, `canary forwarded once after ${label}`);
  assert.ok(seen.every((r) => !/smuggl/i.test(r.url)), `no smuggled request reached the upstream after ${label}: ${seen.map((r) => r.method + " " + r.url)}`);
  if (allowIncomplete) {
    assert.deepEqual(others.filter((r) => r.complete), [], `no complete request reached the upstream for ${label}`);
  } else {
    assert.deepEqual(others.map((r) => `${r.method} ${r.url}`), [], `nothing reached the upstream for ${label}`);
  }
  const canary = seen.find((r) => r.url === path)!;
  assert.equal(canary.method, 'GET');
  assert.equal(canary.bodyBytes, 0, 'canary arrived without a body (nothing prepended or appended)');
}

/**
 * Sends a request head with `Expect: 100-continue` and sends `body` only once `100 Continue` arrived. Returns
 * everything received until the server closes or `timeoutMs` passes.
 */
export function expectContinue(port: number, head: string, body: string, options: { timeoutMs?: number } = {}): Promise<{ text: string; gotContinue: boolean; bodySent: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let bodySent = false;
    let gotContinue = false;
    const done = () => { clearTimeout(timer); socket.destroy(); resolve({ text, gotContinue, bodySent }); };
    const timer = setTimeout(done, options.timeoutMs ?? 2000);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!bodySent && text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        gotContinue = true;
        bodySent = true;
        socket.write(body);
      }
    });
    socket.on('close', done);
    socket.on('error', () => {});
  });
}
