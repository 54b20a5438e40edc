import { connect } from 'node:net';

export interface RawResponse {
  /** Everything the server sent before closing (or before the timeout). */
  text: string;
  /** Status code of the first response, or 0 when none arrived. */
  status: number;
  /** Status codes of every response found in the bytes (pipelining). */
  statuses: number[];
  /** True when the server closed the connection. */
  closed: boolean;
  elapsedMs: number;
}

/**
 * Sends exact bytes over a fresh TCP connection and collects the reply until the server closes the connection or
 * `timeoutMs` passes. For framing and smuggling tests, where HTTP clients would normalise the request.
 */
export function rawRequest(port: number, data: string | Buffer | (string | Buffer)[], options: { timeoutMs?: number; delayMs?: number } = {}): Promise<RawResponse> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      socket.destroy();
      resolve({ text, status: statuses[0] ?? 0, statuses, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 2000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => { closed = true; finish(); });
    socket.on('error', () => { closed = true; });
    socket.on('connect', async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const part of parts) {
        if (socket.destroyed) break;
        socket.write(part);
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      }
    });
  });
}
