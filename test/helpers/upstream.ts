import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/** What the test upstream saw of one request: the exact target, headers as sent, and the body's size and hash. */
export interface SeenRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  bodyBytes: number;
  bodySha256: string;
  /** True when the request body ended normally (false: the connection was cut mid-body). */
  complete: boolean;
}

export interface TestUpstream {
  url: string;
  port: number;
  requests: SeenRequest[];
  server: http.Server;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

/** Default handler: 200 with a JSON echo of what was seen. */
export const echo: UpstreamHandler = (_req, res, seen) => {
  const body = JSON.stringify(seen);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/**
 * A real HTTP upstream on 127.0.0.1 with a random port. It records every request (after reading its body
 * completely) and then calls `handler`.
 */
export async function startUpstream(handler: UpstreamHandler = echo, options: { readBody?: boolean } = {}): Promise<TestUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    const seen: SeenRequest = {
      method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, headers: req.headers,
      rawHeaders: req.rawHeaders, bodyBytes: 0, bodySha256: '', complete: false,
    };
    if (options.readBody === false) { requests.push(seen); handler(req, res, seen); return; }
    req.on('data', (chunk: Buffer) => { seen.bodyBytes += chunk.length; hash.update(chunk); });
    req.on('end', () => {
      seen.complete = true;
      seen.bodySha256 = hash.digest('hex');
      requests.push(seen);
      handler(req, res, seen);
    });
    req.on('aborted', () => { seen.bodySha256 = hash.digest('hex'); requests.push(seen); });
  });
  server.maxHeadersCount = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
