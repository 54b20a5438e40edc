/**
 * A real browser through the gateway with its default protections: a page that submits a form, calls JSON and
 * multipart APIs, sets cookies, sends a beacon and loads assets with query strings, all with ordinary text that
 * looks dangerous (quotes, `&`, `;`, `%`, "select ... from", HTML in a rich-text field). None of the browser's
 * requests may be refused: the held-out judgement of false positives is real browser and API traffic.
 *
 * Needs Debian's `chromium` (or CHROMIUM_PATH) and playwright-core; reports skipped, naming what is missing, without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startUpstream, echo, type UpstreamHandler } from '../helpers/upstream.ts';
import { startGateway } from '../helpers/gateway.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const PAGE = `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>Shop</title>
<link rel="stylesheet" href="/static/app.css?v=1.2.3">
</head><body>
<form id="order" method="post" action="/orders">
  <input name="name" value="Seán O'Brien-Kim">
  <input name="email" value="jiwoo+shop@example.com">
  <textarea name="note">Leave it at the door; ring twice &amp; wait... it's the "blue" house (no. 5/7), 50% sure. 배송 전에 연락 주세요!</textarea>
  <input name="coupon" value="SAVE-10%">
  <input type="password" name="password" value="P@ss;w0rd!'&quot;&lt;&gt;">
  <input type="hidden" name="csrf" value="Xk3n9QzP2aL8mV5tR7wY1cE4uI6oB0dF">
</form>
<img src="/img/logo@2x.png?w=120&amp;h=40" alt="logo">
<script src="/static/app.js?ver=5.8"></script>
<script>
(async () => {
  const json = (path, method, body) => fetch(path, { method, headers: { 'content-type': 'application/json', accept: 'application/json, text/plain, */*' }, body: JSON.stringify(body) });
  document.cookie = 'prefs=' + encodeURIComponent(JSON.stringify({ theme: 'dark', lang: 'ko' })) + '; path=/';
  document.cookie = '_ga=GA1.1.1234567890.1764200000; path=/';
  document.cookie = 'recently_viewed=123%2C456%2C789; path=/';
  await fetch('/api/search?q=' + encodeURIComponent('"select" from menu') + '&page=2&sort=-price');
  await fetch('/api/search?q=' + encodeURIComponent("O'Reilly & Sons: 1/2 price (today only!)"));
  await json('/api/posts', 'POST', {
    title: 'Release notes 2.4',
    body: '<p>We fixed a <strong>bug</strong> where <a href="https://example.com/docs">the docs</a> link broke.</p><ul><li>Faster search</li></ul>',
    markdown: 'Use \`SELECT id FROM users WHERE active = 1\` in the report, then [see the docs](https://example.com/docs#setup).',
    tags: ['release', 'c++'], draft: false, ts_ns: 1764200000000000000,
  });
  await json('/api/items/42', 'PATCH', { note: "Customer changed mind; didn't want the 'blue' one", qty: 2 });
  await fetch('/api/items/42', { method: 'DELETE' });
  const form = new FormData();
  form.append('title', '2026 연말 보고서 (최종)');
  form.append('file', new File(['Quarterly numbers: revenue up 12%; costs down.\\n'], '보고서 v2 (final).txt', { type: 'text/plain' }));
  await fetch('/api/upload', { method: 'POST', body: form });
  navigator.sendBeacon('/collect', JSON.stringify({ ev: 'view', url: location.href, ref: 'https://www.google.com/' }));
  await fetch('/api/graphql?operationName=GetUser&variables=' + encodeURIComponent(JSON.stringify({ id: 1, withOrders: true })));
  const pixel = new Image();
  pixel.src = '/pixel.gif?e=pv&url=' + encodeURIComponent(location.href) + '&res=1920x1080&tz=-540';
  await new Promise((resolve) => { pixel.onload = pixel.onerror = resolve; });
  window.__stepsDone = true;
})();
</script>
</body></html>`;

const serve: UpstreamHandler = (req, res, seen) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && path === '/app') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  } else if (path.endsWith('.css')) {
    res.writeHead(200, { 'content-type': 'text/css' });
    res.end('body { font-family: "Noto Sans KR", sans-serif; }');
  } else if (path.endsWith('.js')) {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end('window.appVersion = "5.8";');
  } else if (path.endsWith('.png') || path.endsWith('.gif')) {
    res.writeHead(200, { 'content-type': 'image/gif' });
    res.end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
  } else {
    echo(req, res, seen);
  }
};

async function loadPlaywright(): Promise<typeof import('playwright-core') | undefined> {
  try { return await import('playwright-core'); } catch { return undefined; }
}

test('a browser session through the default protections: no request of the page is refused; an attack gets the block page', async (t) => {
  if (!existsSync(CHROMIUM)) { t.skip(`chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`); return; }
  const playwright = await loadPlaywright();
  if (!playwright) { t.skip('playwright-core is not installed (npm ci)'); return; }
  const upstream = await startUpstream(serve);
  const gw = await startGateway({ upstreams: { up: { url: upstream.url } }, routes: [{ name: 'all', path: '/**', upstream: 'up' }] });
  // The page is served as a public site would be: under a host name (mapped to the gateway on 127.0.0.1), so that its
  // own URL in a beacon is not a loopback URL, which SSRF rules rightly refuse in a parameter.
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--host-resolver-rules=MAP shop.example 127.0.0.1`],
  });
  const origin = `http://shop.example:${gw.port}`;
  try {
    const page = await browser.newPage();
    const refused: string[] = [];
    const answered: string[] = [];
    page.on('response', (response) => {
      const request = response.request();
      answered.push(`${request.method()} ${new URL(response.url()).pathname}`);
      if (response.status() >= 400 && response.status() !== 404) refused.push(`${response.status()} ${request.method()} ${response.url()}`);
    });
    await page.goto(`${origin}/app`);
    await page.waitForFunction('window.__stepsDone === true', undefined, { timeout: 20_000 });
    // Then the form, as a user submits it: a navigation with an urlencoded body.
    await Promise.all([page.waitForURL(`${origin}/orders`), page.evaluate('document.getElementById("order").submit()')]);
    assert.deepEqual(refused, [], 'requests the gateway refused');
    // The session did what it was meant to: each kind of request reached the upstream.
    const reached = upstream.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
    for (const expected of ['GET /app', 'GET /static/app.js', 'GET /api/search', 'POST /api/posts', 'PATCH /api/items/42', 'DELETE /api/items/42',
      'POST /api/upload', 'GET /api/graphql', 'GET /pixel.gif', 'POST /orders']) {
      assert.ok(reached.includes(expected), `${expected} reached the upstream (it saw: ${reached.join(', ')})`);
    }
    const order = upstream.requests.find((r) => r.method === 'POST' && r.url === '/orders');
    assert.match(order!.headers['content-type'] as string, /^application\/x-www-form-urlencoded/);
    assert.ok(answered.length >= 10);

    // An attack in a link: the browser gets the gateway's HTML page, which shows the request id and runs nothing of
    // what the request carried.
    const blocked = await page.goto(`${origin}/search?q=${encodeURIComponent('<script>window.__pwned = 1</script>')}&next=${encodeURIComponent('"><img src=x onerror="window.__pwned=2">')}`);
    assert.equal(blocked!.status(), 403);
    assert.match(blocked!.headers()['content-type']!, /^text\/html/);
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'nothing of the request ran in the block page');
    assert.equal(await page.evaluate('document.querySelectorAll("script, img").length'), 0);
    assert.equal(await page.textContent('h1'), '403 Forbidden');
    const requestId = blocked!.headers()['x-request-id']!;
    assert.ok(requestId && (await page.textContent('body'))!.includes(requestId), 'the page quotes the request id');
    // (Compared by target, not by count: the earlier page's beacon may still be on its way.)
    assert.ok(!upstream.requests.some((r) => r.url.startsWith('/search?')), 'the blocked request never reached the upstream');
  } finally {
    await browser.close();
    await gw.close();
    await upstream.close();
  }
});
