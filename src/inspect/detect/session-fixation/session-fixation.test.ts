import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding, InputSource, Paranoia } from '../../finding.ts';
import { crossSiteSessionParameter, sessionFixationDetector, SESSION_FIXATION_RULES as R } from './session-fixation.ts';

function run(value: string, options: { paranoia?: Paranoia; source?: InputSource; name?: string; isName?: boolean } = {}): Finding[] {
  const ctx: DetectorContext = {
    source: options.source ?? 'query', name: options.name ?? 'q', isName: options.isName ?? false,
    paranoia: options.paranoia ?? 3, layers: [],
  };
  const out: Finding[] = [];
  sessionFixationDetector.detect(value, ctx, (f) => out.push(f));
  return out;
}

function lowest(findings: Finding[]): number {
  return findings.reduce((min, f) => Math.min(min, f.paranoia), 4);
}

function describe(findings: Finding[]): string {
  return findings.map((f) => `${f.ruleId}/PL${f.paranoia}/${f.score} «${f.matched}»`).join('; ') || 'nothing';
}

// [value, name, source, rule, paranoia at which it fires]
const ATTACKS: Array<[string, string, InputSource, string, Paranoia]> = [
  ['x<script>document.cookie="SID=4242; path=/"</script>', 'q', 'query', R.cookieScript, 1],
  ['document.cookie = \'token=evil\'', 'q', 'body', R.cookieScript, 1],
  ['window.document.cookie="a=b;domain=.victim.example"', 'q', 'query', R.cookieScript, 1],
  ['document["cookie"]="x=1"', 'q', 'query', R.cookieScript, 1],
  ['document/**/.cookie=name', 'q', 'query', R.cookieScript, 1],
  ['foo.cookie;expires=Thu, 01 Jan 2099 00:00:00 GMT', 'q', 'query', R.cookieScript, 1],
  ['d.cookie="SESS=1; domain=example.org"', 'q', 'query', R.cookieScript, 1],
  ['.cookie;expires=Fri, 31 Dec 2100 23:59:59 GMT', 'q', 'query', R.cookieScript, 2],
  ['<meta http-equiv="Set-Cookie" content="SESSIONID=abc; path=/">', 'q', 'query', R.metaSetCookie, 1],
  ['<META HTTP-EQUIV=set-cookie CONTENT="x=y">', 'q', 'body', R.metaSetCookie, 1],
  ['<meta http-equiv=" Set-Cookie2 " content="x=y">', 'q', 'body', R.metaSetCookie, 1],
  ['foo\r\nSet-Cookie: SESSIONID=attacker', 'q', 'query', R.setCookieHeader, 1],
  ['bar\n  set-cookie:sid=1; Path=/', 'q', 'header', R.setCookieHeader, 1],
  ['Set-Cookie: PHPSESSID=0123456789abcdef', 'q', 'body', R.setCookieHeader, 2],
  ['74B0CB414BD77D17B5680A6386EF1666', 'JSESSIONID', 'query', R.sessionParam, 2],
  ['abcdef0123', 'phpsessid', 'query', R.sessionParam, 2],
  ['GKFPMNABCDLMNOP', 'ASPSESSIONIDQACRBTRS', 'query', R.sessionParam, 2],
  ['s:token.signature', '__Secure-next-auth.session-token', 'query', R.sessionParam, 2],
  ['BAh7B0kiD3Nlc3Npb24', '_rails_session', 'query', R.sessionParam, 2],
  ['abc123', 'sessionid', 'body', R.sessionParam, 3],
  ['/shop/cart;jsessionid=0A1B2C3D4E5F', '', 'path', R.sessionParam, 3],
];

test('cookie-setting script, markup and header lines, and session identifiers in URLs are found', () => {
  const failures: string[] = [];
  for (const [value, name, source, rule, paranoia] of ATTACKS) {
    const findings = run(value, { name, source });
    const hit = findings.filter((f) => f.ruleId === rule);
    if (hit.length === 0 || lowest(hit) !== paranoia) {
      failures.push(`${JSON.stringify(value)} (${source}:${name}): expected ${rule} at PL${paranoia}, got ${describe(findings)}`);
    }
    if (findings.some((f) => f.category !== 'session-fixation' || f.score !== 5)) failures.push(`${JSON.stringify(value)}: malformed`);
  }
  assert.deepEqual(failures, []);
});

// [value, name, source]: nothing may fire at paranoia 1.
const BENIGN: Array<[string, string, InputSource]> = [
  ['cookie policy', 'q', 'query'],
  ['We use cookies; expires after 30 days', 'q', 'body'],
  ['How do I read document.cookie in JavaScript?', 'q', 'query'],
  ['if (document.cookie == "") showBanner();', 'code', 'body'],
  ['const c = document.cookie;', 'code', 'body'],
  ['this.cookie = cookie;', 'code', 'body'],
  ['fortune cookie=yes', 'q', 'query'],
  ['The Set-Cookie header tells the browser to store a cookie.', 'q', 'body'],
  ['see Set-Cookie: in RFC 6265', 'q', 'body'],
  ['<meta name="description" content="Set-Cookie explained">', 'q', 'body'],
  ['<meta http-equiv="refresh" content="5">', 'q', 'body'],
  ['74B0CB414BD77D17B5680A6386EF1666', 'JSESSIONID', 'cookie'],
  ['abc123def', 'sessionid', 'query'],
  ['2024-spring', 'session', 'query'],
  ['sessionid', 'q', 'query'],
  ['/shop/cart;jsessionid=0A1B2C3D4E5F', '', 'path'],
  ['_ga=GA1.2.1; theme=dark', 'cookie', 'header'],
];

test('benign values produce nothing at paranoia 1', () => {
  const failures: string[] = [];
  for (const [value, name, source] of BENIGN) {
    const findings = run(value, { name, source, paranoia: 1 });
    if (findings.length > 0) failures.push(`${JSON.stringify(value)} (${source}:${name}): ${describe(findings)}`);
  }
  assert.deepEqual(failures, []);
});

test('a session identifier parameter name alone (no value) or as a name input is not a finding', () => {
  assert.deepEqual(run('JSESSIONID', { name: 'JSESSIONID', isName: true }), []);
  assert.deepEqual(run('a b c', { name: 'JSESSIONID' }), []);
});

test('the paranoia level in force filters findings', () => {
  assert.equal(run('abc123def', { name: 'jsessionid', paranoia: 1 }).length, 0);
  assert.equal(run('abc123def', { name: 'jsessionid', paranoia: 2 }).length, 1);
});

test('never throws, whatever the input', () => {
  const pieces = ['document', '.', 'cookie', '=', ';', 'expires', '<meta', 'http-equiv=', 'set-cookie', ':', '\n',
    '"', '\'', '[', ']', '/*', '*/', ' ', 'x', '\u0000', '\ud800'];
  let seed = 7;
  for (let round = 0; round < 2000; round++) {
    let value = '';
    const length = round % 40;
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      value += pieces[seed % pieces.length];
    }
    assert.doesNotThrow(() => run(value, { source: (['query', 'body', 'path', 'header', 'cookie'] as const)[round % 5] }));
  }
});

test('linear time: 200 KB of repeated near-misses stays fast (CPU time)', () => {
  const inputs = [
    'document.cookie'.repeat(14000),
    'set-cookie: '.repeat(17000),
    '<meta set-cookie '.repeat(12000),
    'x.cookie ; ; ; ; '.repeat(12000),
  ];
  for (const value of inputs) {
    const start = process.cpuUsage();
    run(value, { source: 'body' });
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < 200, `${value.slice(0, 20)}... took ${ms} ms`);
  }
});

test('a session identifier in the query of a request referred by another site is found at paranoia 1', () => {
  const q = (name: string, value: string) => [{ name: 'lang', value: 'en' }, { name, value }];
  const found = crossSiteSessionParameter(q('JSESSIONID', '74B0CB414BD77D17B5680A6386EF1666'), 'http://www.attacker.example/x', 'shop.example:8443');
  assert.equal(found?.ruleId, R.crossSiteSessionParam);
  assert.equal(found?.paranoia, 1);
  assert.equal(found?.parameter, 'JSESSIONID');
  assert.ok(crossSiteSessionParameter(q('CFID', '1234567'), 'https://evil.example/', 'app.example'));
  assert.ok(crossSiteSessionParameter(q('__Secure-next-auth.session-token', 'abc123'), 'https://evil.example/', 'app.example'));
  assert.ok(crossSiteSessionParameter(q('laravel_session', 'eyJpdiI6IktmYw'), 'https://evil.example/', 'app.example'));
  // names that no framework reads from the URL: payment and analytics services return their own ids so
  assert.equal(crossSiteSessionParameter(q('session_id', 'cs_live_a1qKqS9JnriPdzOxxvngmt9pf3'), 'https://checkout.stripe.com/', 'www.saas.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('sessionId', 'CS2F7FC7BA78B10379'), 'https://checkoutshopper-live.adyen.com/', 'shop.example.eu'), undefined);
  // a subdomain of the same site, also under a country's second level
  assert.equal(crossSiteSessionParameter(q('JSESSIONID', 'ABC123DEF'), 'https://www.airline.example/ko-kr/', 'target.airline.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('JSESSIONID', 'ABC123DEF'), 'https://www.shop.co.kr/', 'pay.shop.co.kr'), undefined);
  assert.ok(crossSiteSessionParameter(q('JSESSIONID', 'ABC123DEF'), 'https://evil.co.kr/', 'pay.shop.co.kr'));
  assert.ok(crossSiteSessionParameter(q('ASPSESSIONIDQACRBTRS', 'GKFPMNABCD'), 'https://app.example.evil.example/', 'app.example'));
  assert.ok(crossSiteSessionParameter(q('phpsessid', 'abc'), 'http://[::1]:8080/', '127.0.0.1'));
  // The same site (any port, any case), no Referer, an unreadable Referer, no session name or no token: nothing.
  assert.equal(crossSiteSessionParameter(q('phpsessid', 'abc123'), 'https://App.Example:444/page', 'app.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('phpsessid', 'abc123'), 'http://[::1]:8080/', '[::1]:9000'), undefined);
  assert.equal(crossSiteSessionParameter(q('phpsessid', 'abc123'), undefined, 'app.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('phpsessid', 'abc123'), 'not a url', 'app.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('page', 'abc123'), 'https://evil.example/', 'app.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('phpsessid', 'a b c'), 'https://evil.example/', 'app.example'), undefined);
  assert.equal(crossSiteSessionParameter(q('phpsessid', ''), 'https://evil.example/', 'app.example'), undefined);
});
