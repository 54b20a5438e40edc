/**
 * The benchmark's optional baseline (`--target ...,baseline`): the least a Node reverse proxy can do, a node:http
 * server forwarding through an undici Pool and streaming the answer back with stream/promises `pipeline`, with no
 * checks, no routing and no logs. It shows how much of the gap to `direct` is Node's HTTP server and client on this
 * machine rather than Portcullis. Child process; reports its port over IPC.
 *
 *   node bench/macro/baseline-proxy.ts UPSTREAM_ORIGIN
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const origin = process.argv[2];
if (!origin) { process.stderr.write('usage: node bench/macro/baseline-proxy.ts UPSTREAM_ORIGIN\n'); process.exit(2); }
const pool = new Pool(origin, { connections: 128, pipelining: 1 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const server = http.createServer(async (req, res) => {
  try {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const response = await pool.request({ path: req.url ?? '/', method: req.method as 'GET', headers, body: hasBody ? req : null });
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    res.writeHead(response.statusCode, out);
    await pipeline(response.body, res);
  } catch {
    if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy();
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ type: 'listening', port });
  else process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
