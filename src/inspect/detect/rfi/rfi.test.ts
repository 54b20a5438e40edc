import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { rfiDetector as detector } from './rfi.ts';
import { detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const lowest = (fs: Finding[]): number => Math.min(4, ...fs.map((f) => f.paranoia));
const q = (name: string): Partial<DetectorContext> => ({ source: 'query', name });

/** [value, highest paranoia level at which it must be found, context]. */
const attacks: [string, 1 | 2 | 3, Partial<DetectorContext>?][] = [
  // include-style parameters holding a remote URL
  ['http://evil.example/shell.txt', 1, q('page')],
  ['https://evil.example/c99.php', 1, q('file')],
  ['http://evil.example/x', 1, q('include')],
  ['ftp://evil.example/inc.php', 1, q('template')],
  ['https://foo.bar', 1, q('_CONF[path]')],
  ['https://foo.bar', 1, q('mosConfig_absolute_path')],
  ['http://evil.example/lang.txt', 1, q('lang')],
  ['http://evil.example/mod', 1, { source: 'body', name: 'module' }],
  ['HTTP://EVIL.EXAMPLE/SHELL.TXT', 1, q('page')],
  // the trailing ? that turns the application's suffix into a query string
  ['http://evil.example/shell.txt?', 1],
  ['https://foo.bar?', 1],
  ['http://evil.example/x.php??', 1],
  // the same with a NUL byte (PHP before 5.3.4 cut the path there) or a script URL's empty fragment
  ['http://evil.example/shell.txt\u0000', 1],
  ['http://evil.example/shell.txt\u0000.php', 1],
  ['http://evil.example/shell.txt#', 1],
  // scripts on raw IP addresses
  ['http://66.240.183.75/crash.php', 1, q('src')],
  ['https://[2001:41d0:701:1100::29c8]/gecko.php', 1, q('src')],
  ['http://203.0.113.9/x.txt', 1],
  ['ftp://203.0.113.9/', 1],
  // weaker signals
  ['https://cdn.evil.example/payload.php', 2, q('src')],
  ['http://203.0.113.9/', 2],
  ['ftp://files.example.com/pub/x', 2],
  ['https://evil.example/x.php', 3],
  ['https://evil.example/', 3],
  // an include parameter with a URL inside text, or named for a link as well
  ['see https://evil.example/x for details', 2, { source: 'body', name: 'body' }],
  // a message's or a page's content that is one link: a link posted as a message as often as an include
  ['https://evil.example/shell', 2, { source: 'body', name: 'content' }],
  ['https://evil.example/shell', 2, { source: 'body', name: 'body' }],
  ['https://evil.example/shell', 1, { source: 'query', name: 'page' }],
  // a query left open for the include's suffix is the truncation trick; a page's address with its query is paranoia 2
  ['http://evil.example/shell.txt?a=', 1, { source: 'query', name: 'page' }],
  ['https://www.example.kr/search?q=%EA%B0%A4', 2, { source: 'body', name: 'page' }],
  // an include of a host on the victim's own network
  ['http://10.13.37.1/s.txt', 1, { source: 'query', name: 'lang' }],
  ['http://10.13.37.1/s.txt\u0000', 1, { source: 'query', name: 'lang' }],
  ['https://evil.example/', 2, { source: 'body', name: 'document-uri' }],
  ['https://evil.example/x', 2, q('pageUrl')],
  ['https://evil.example/x', 2, q('Page URL')],
  ['https://evil.example/x', 2, q('page_location')],
  // a script on a raw IP address in a file parameter: sites serve none from there
  ['http://203.0.113.5/x.js', 1, q('file')],
];

const benign: [string, Partial<DetectorContext>?][] = [
  ['https://www.example.com/', q('redirect')],
  ['https://www.example.com/login.php', q('next')],
  ['https://www.example.com/index.php?id=3', q('return_url')],
  ['https://example.org/me', q('website')],
  ['https://www.example.com/index.php', q('url')],
  ['https://images.example.com/a.jpg', q('src')],
  ['https://www.example.com/search?q=test', q('url')],
  ['url=http://www.example.com/tan?usp=4#8', q('q')],
  ['https://www.google.com/url?q=https://example.com/path/#:~:text=abc&sa=U', { source: 'header', name: 'referer' }],
  ['See https://example.com/docs/page.php for details', { source: 'body', name: 'comment' }],
  ['https://foo.bar?foo=bar'],
  ['https://example.com/docs#'], // a page link with an empty anchor
  ['https://foo.bar&foo=bar'],
  ['http://localhost:8080/x.php', q('page')],
  ['http://intranet/x.php', q('page')],
  ['https://example.com/a.php', { source: 'query', name: 'page', isName: true }],
  ['mailto:someone@example.com', q('page')],
  ['The page http:// is empty'],
  // API fields of free text that carry a link, and fields named for a link (at paranoia 1)
  ['<p>We fixed a <strong>bug</strong> where <a href="https://example.com/docs">the docs</a> link broke.</p>', { source: 'body', name: 'body' }],
  ['check this out https://youtu.be/dQw4w9WgXcQ', { source: 'body', name: 'content' }],
  ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', { source: 'body', name: 'content' }],
  ['http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal', { source: 'body', name: 'a:Action' }],
  ['https://forms.example.com/submit', { source: 'body', name: 'action' }],
  ['https://github.com/acme/app/pull/42', { source: 'body', name: 'body' }],
  ['https://example.com/', { source: 'body', name: 'document-uri' }],
  ['https://example.com/app.js', { source: 'body', name: 'source-file' }],
  ['https://api.example.com/v2', { source: 'body', name: 'base_url' }],
  ['https://example.com/pricing', q('page_url')],
  ['https://github.com/jiwoo', { source: 'body', name: 'profile' }],
  // the URL of a page the visitor saw, as analytics events and lead forms record it
  ['https://shop.example.com/p/1?ref=home', { source: 'body', name: 'page_location' }],
  ['https://shop.example.com/p/1?ref=home', { source: 'body', name: 'page url' }],
  ['https://shop.example.com/winter?utm_source=ad', q('landing_page')],
  ['https://shop.example.com/cart', { source: 'body', name: 'exitPage' }],
  // an XML namespace declaration (an attribute of an RSS feed's root)
  ['http://purl.org/rss/1.0/modules/content/', { source: 'body', name: 'xmlns:content' }],
  // the frames of a JavaScript error report (Sentry, Rollbar: `filename`; Bugsnag: `file`)
  ['https://app.example.com/assets/index-BzXy12Ab.js', { source: 'body', name: 'filename' }],
  ['https://cdn.example.net/static/js/main.4f2a9c1e.chunk.js?v=2', { source: 'body', name: 'file' }],
];

test('a name that says link as well (camelCase too) holds a URL at paranoia 2, not 1', () => {
  for (const name of ['pageUrl', 'documentationUrl', 'templateURL', 'document-uri', 'source_file_url']) {
    const found = run('https://docs.example.com/guide/page.html', q(name));
    assert.ok(found.length > 0 && found.every((f) => f.paranoia >= 2), name);
  }
});

test('remote file inclusion is found at the expected paranoia level', () => {
  for (const [value, level, ctx] of attacks) {
    const fs = run(value, ctx);
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    assert.ok(lowest(fs) <= level, `${JSON.stringify(value)}: found only at paranoia ${lowest(fs)}, expected ${level}`);
    for (const f of fs) {
      assert.equal(f.category, 'rfi');
      assert.match(f.ruleId, /^rfi-[a-z-]+$/);
      assert.ok(f.matched.length > 0 && f.matched.length <= 120);
    }
    if (level === 1) assert.ok(fs.some((f) => f.paranoia === 1 && f.score === 5), `${JSON.stringify(value)} does not score 5`);
  }
});

test('ordinary URLs in redirect, next, website and url parameters are not flagged at paranoia 1', () => {
  for (const [value, ctx] of benign) {
    const fs = run(value, ctx).filter((f) => f.paranoia === 1);
    assert.deepEqual(fs.map((f) => `${f.ruleId}: ${f.matched}`), [], `false positive: ${JSON.stringify(value)}`);
  }
});

test('some benign samples fire at paranoia 2 or 3 (documented)', () => {
  assert.ok(run('https://www.example.com/index.php', q('url')).some((f) => f.paranoia === 2)); // a script URL in a URL parameter
});

test('never throws, and stays linear', () => {
  const chars = 'htp:/?.php@[]1';
  for (let k = 0; k < 300; k++) {
    let s = '';
    for (let j = 0; j < 1 + (k % 300); j++) s += chars[Math.floor(Math.random() * chars.length)];
    run(s, q('page'));
  }
  for (const v of ['http://a.b/'.repeat(20_000), 'http://' + 'a.'.repeat(100_000), '?'.repeat(200_000), 'x://'.repeat(50_000),
    'Plain words and a link https://example.com/x.php?y=1 in them. '.repeat(3300)]) {
    let ms = Infinity;
    for (let k = 0; k < 10 && ms >= 50; k++) { // best of up to ten, in CPU time (first runs compile; busy machines)
      const t = process.cpuUsage();
      run(v, q('page'));
      const used = process.cpuUsage(t);
      ms = Math.min(ms, (used.user + used.system) / 1000);
    }
    assert.ok(ms < 250, `${JSON.stringify(v.slice(0, 20))}… took ${ms.toFixed(1)} ms`);
  }
});
