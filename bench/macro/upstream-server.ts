/**
 * The benchmark's upstream: a plain node:http server on 127.0.0.1 (random port) that answers as fast as Node can,
 * so that the measurement is dominated by the client and the gateway. Run as a child process of the benchmark
 * (its own event loop); it reports its port over IPC and exits when the parent goes away.
 *
 * GET (any path): a small fixed JSON document. POST: reads the body completely, then a small JSON echo.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const getBody = Buffer.from(JSON.stringify({
  shopName: 'alice-bakery', title: "Alice's Bakery", owner: 'alice', open: true, rating: 4.7,
}));

const server = http.createServer((req, res) => {
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => {
      const body = JSON.stringify({ ok: true, orderId: 'o-1', receivedBytes: bytes, contentType: req.headers['content-type'] ?? null });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  // Drain anything a GET might carry, then answer.
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': getBody.length });
  res.end(getBody);
});
// Longer than Portcullis's upstream keep-alive (4 s by default), so that idle pooled connections are closed by the client side.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ type: 'listening', port });
  else process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
