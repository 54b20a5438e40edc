import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/raw-http.ts';

let server: http.Server;
let wss: WebSocketServer;
let gw: TestGateway;
const seenHeaders: http.IncomingHttpHeaders[] = [];
const plainHeaders: http.IncomingHttpHeaders[] = [];

before(async () => {
  server = http.createServer((req, res) => { plainHeaders.push(req.headers); res.end(`plain ${req.method}`); });
  wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    seenHeaders.push(req.headers);
    socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gw = await startGateway({
    upstreams: { ws: { url: upstreamUrl } },
    routes: [
      { name: 'chat', path: '/chat', methods: ['GET'], upstream: 'ws' },
      { name: 'closed', path: '/closed', methods: ['GET'], upstream: 'ws', protections: { ipList: { deny: ['127.0.0.1', '::1'] } } },
    ],
  });
});

after(async () => {
  await gw.close();
  wss.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('WebSocket upgrades pass through and messages flow both ways', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat?room=1`);
  const replies: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => { ws.send('hello'); ws.send('world'); });
    ws.addEventListener('message', (event) => {
      replies.push(String(event.data));
      if (replies.length === 2) resolve();
    });
    ws.addEventListener('error', () => reject(new Error('websocket error')));
  });
  ws.close();
  assert.deepEqual(replies, ['echo:hello', 'echo:world']);
  const headers = seenHeaders.at(-1)!;
  assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('an upgrade to anything but WebSocket (h2c from curl --http2) is an ordinary request, forwarded without it', async () => {
  const res = await rawRequest(gw.port, 'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: close\r\n\r\n');
  assert.equal(res.status, 200);
  assert.match(res.text, /plain GET/);
  const headers = plainHeaders.at(-1)!;
  assert.equal(headers.upgrade, undefined);
  assert.equal(headers['http2-settings'], undefined);
});

test('an upgrade to a route the client may not use is refused before reaching the upstream', async () => {
  const before = seenHeaders.length;
  const key = Buffer.from('0123456789abcdef').toString('base64');
  const res = await rawRequest(gw.port, `GET /closed HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  assert.equal(res.status, 403);
  assert.match(res.text, /"reason":"ip_denied"/);
  assert.equal(seenHeaders.length, before);
  const logs = await gw.logs();
  assert.ok(logs.some((r) => r.type === 'security' && r.reason === 'ip_denied' && r.path === '/closed'));
});
