/**
 * The demo shop API that `npm start` puts behind Portcullis (127.0.0.1:3000 by default, PORT to change).
 *
 * It is deliberately naive, like many real APIs: it trusts the caller with any shop name (so without a gateway,
 * any user can read any shop's revenue: BOLA, OWASP API1) and returns more fields than a client needs.
 *
 * Routes: POST /login, GET /shops, GET /shops/{shopName}, GET /shops/{shopName}/revenue_data.json, POST /orders,
 * GET /healthz.
 *
 * POST /login answers `{ token, user }`; the token is an HS256 JWT (`sub` = the user name, `iss` = shop-api-demo,
 * one hour) that Portcullis's jwt protection verifies with the same secret (examples/portcullis.yaml), so that the
 * JWT subject is the principal identifier tokens are bound to.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/**
 * DEMO ONLY: the HS256 secret shared with examples/portcullis.yaml. Set SHOP_JWT_SECRET (32 bytes or more) to use
 * another one, and change the policy's jwt key to match. Never use this value outside the demo.
 */
export const DEMO_JWT_SECRET = 'demo-only-shop-jwt-secret-do-not-use-in-production';
export const JWT_ISSUER = 'shop-api-demo';
const jwtSecret = new TextEncoder().encode(process.env.SHOP_JWT_SECRET ?? DEMO_JWT_SECRET);

interface Shop { shopName: string; title: string; owner: string; ownerPhone: string; ownerEmail: string; bankAccount: string; revenue: { month: string; amount: number }[] }

const users: Record<string, { password: string }> = { alice: { password: 'alice-password' }, bob: { password: 'bob-password' } };
const shops: Shop[] = [
  { shopName: 'alice-bakery', title: "Alice's Bakery", owner: 'alice', ownerPhone: '010-1234-5678', ownerEmail: 'alice@example.com', bankAccount: '110-234-567890', revenue: [{ month: '2026-09', amount: 12_400_000 }, { month: '2026-10', amount: 13_100_000 }] },
  { shopName: 'alice-books', title: "Alice's Books", owner: 'alice', ownerPhone: '010-1234-5678', ownerEmail: 'alice@example.com', bankAccount: '110-234-567891', revenue: [{ month: '2026-09', amount: 3_200_000 }, { month: '2026-10', amount: 2_900_000 }] },
  { shopName: 'bob-bikes', title: "Bob's Bikes", owner: 'bob', ownerPhone: '010-9876-5432', ownerEmail: 'bob@example.com', bankAccount: '220-345-678901', revenue: [{ month: '2026-09', amount: 8_700_000 }, { month: '2026-10', amount: 9_050_000 }] },
];
const orders: { orderId: string; shopName: string; items: unknown[]; user: string }[] = [];

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-powered-by': 'shop-api-demo' });
  res.end(text);
}

/** The user of a valid `Authorization: Bearer <JWT>` from POST /login, if any. */
async function userOf(req: http.IncomingMessage): Promise<string | undefined> {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) return undefined;
  try {
    const { payload } = await jwtVerify(auth.slice(7), jwtSecret, { issuer: JWT_ISSUER, algorithms: ['HS256'] });
    return typeof payload.sub === 'string' && Object.hasOwn(users, payload.sub) ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'); } catch { return undefined; }
}

export function createShopApi(): http.Server {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop.local');
    // HEAD is answered as GET; Node leaves the body out.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      if (method === 'GET' && url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      if (method === 'POST' && url.pathname === '/login') {
        const body = await readJson(req) as { username?: string; password?: string } | undefined;
        const user = typeof body?.username === 'string' && Object.hasOwn(users, body.username) ? users[body.username] : undefined;
        if (!user || typeof body?.password !== 'string' || user.password !== body.password) return send(res, 401, { error: 'invalid credentials' });
        const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(body!.username!).setIssuer(JWT_ISSUER).setIssuedAt().setExpirationTime('1h').sign(jwtSecret);
        return send(res, 200, { token, user: body!.username });
      }
      if (method === 'GET' && url.pathname === '/shops') {
        const user = await userOf(req);
        if (!user) return send(res, 401, { error: 'login required' });
        return send(res, 200, { shops: shops.filter((s) => s.owner === user).map(({ shopName, title }) => ({ shopName, title })) });
      }
      if (method === 'GET' && parts[0] === 'shops' && parts.length === 2) {
        const shop = shops.find((s) => s.shopName === parts[1]);
        return shop ? send(res, 200, { ...shop, revenue: undefined }) : send(res, 404, { error: 'no such shop' });
      }
      if (method === 'GET' && parts[0] === 'shops' && parts[2] === 'revenue_data.json' && parts.length === 3) {
        // No ownership check on purpose: the gateway's identifier cloaking is what stops BOLA here.
        const shop = shops.find((s) => s.shopName === parts[1]);
        return shop ? send(res, 200, { shopName: shop.shopName, currency: 'KRW', revenue: shop.revenue }) : send(res, 404, { error: 'no such shop' });
      }
      if (method === 'POST' && url.pathname === '/orders') {
        const body = await readJson(req) as { shopName?: string; items?: unknown[] } | undefined;
        if (!body || typeof body.shopName !== 'string' || !Array.isArray(body.items)) return send(res, 400, { error: 'shopName and items are required' });
        const order = { orderId: `ord_${randomBytes(6).toString('hex')}`, shopName: body.shopName, items: body.items, user: (await userOf(req)) ?? 'guest' };
        orders.push(order);
        return send(res, 201, order);
      }
      return send(res, 404, { error: 'not found' });
    } catch {
      return send(res, 500, { error: 'internal error' });
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 3000);
  createShopApi().listen(port, '127.0.0.1', () => {
    process.stderr.write(JSON.stringify({ event: 'shop_api_listening', address: `127.0.0.1:${port}` }) + '\n');
  });
}
