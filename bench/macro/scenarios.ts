/** The request shapes the macro benchmark sends, identical for the direct and the proxied target. */

export interface Scenario {
  name: string;
  description: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const commonHeaders = { accept: 'application/json', 'user-agent': 'portcullis-bench/1' };

/** A JSON order of exactly `bytes` bytes (padded through a note field). */
export function orderJson(bytes: number): string {
  const order = {
    shopName: 'alice-bakery',
    customer: { name: 'Carol', email: 'carol@example.com', phone: '010-5555-0100' },
    items: [
      { sku: 'BREAD-SOURDOUGH', quantity: 2, unitPrice: 6500 },
      { sku: 'CAKE-CHEESE-WHOLE', quantity: 1, unitPrice: 32000 },
      { sku: 'COOKIE-CHOCO-6', quantity: 3, unitPrice: 4800 },
    ],
    delivery: { method: 'pickup', date: '2026-11-28', slot: '10:00-11:00' },
    note: '',
  };
  const base = Buffer.byteLength(JSON.stringify(order));
  if (base > bytes) throw new Error(`an order needs at least ${base} bytes`);
  order.note = 'x'.repeat(bytes - base);
  return JSON.stringify(order);
}

const tenQueryParameters = new URLSearchParams({
  q: 'sourdough bread', category: 'bakery', page: '2', size: '20', sort: 'price', order: 'asc',
  lang: 'en', currency: 'KRW', from: '2026-09-01', to: '2026-10-31',
}).toString();

export const SCENARIOS: Scenario[] = [
  {
    name: 'small-get', description: 'GET /shops/alice-bakery (route `/shops/{shopName}`), ~100-byte JSON answer',
    method: 'GET', path: '/shops/alice-bakery', headers: commonHeaders,
  },
  {
    name: 'query-get', description: 'GET /shops/alice-bakery with 10 query parameters',
    method: 'GET', path: `/shops/alice-bakery?${tenQueryParameters}`, headers: commonHeaders,
  },
  {
    name: 'json-post-1k', description: 'POST /orders with a 1024-byte JSON body (content-type application/json)',
    method: 'POST', path: '/orders', headers: { ...commonHeaders, 'content-type': 'application/json' }, body: orderJson(1024),
  },
];
