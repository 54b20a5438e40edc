import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { scannerDetector as detector } from './scanner.ts';
import { cpuBestOf } from '../../../../test/helpers/detector-harness.ts';

const UA: Partial<DetectorContext> = { source: 'header', name: 'user-agent' };

function run(value: string, ctx: Partial<DetectorContext> = UA): Finding[] {
  const out: Finding[] = [];
  detector.detect(value, { source: 'query', name: 'q', isName: false, paranoia: 3, layers: [], ...ctx }, (f) => out.push(f));
  return out;
}
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks: [string, Partial<DetectorContext>][] = [
  ['sqlmap/1.8.2#stable (https://sqlmap.org)', UA],
  ['Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)', UA],
  ['Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', UA],
  ['masscan/1.3 (https://github.com/robertdavidgraham/masscan)', UA],
  ['Mozilla/5.0 zgrab/0.x', UA],
  ['Nuclei - Open-source project (github.com/projectdiscovery/nuclei)', UA],
  ['WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)', UA],
  ['Fuzz  Faster U Fool v2.1.0-dev', UA],
  ['gobuster/3.6', UA],
  ['feroxbuster/2.10.1', UA],
  ['DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)', UA],
  ['Mozilla/5.0 (Windows NT 10.0) acunetix-wvs-test-for-some-inexistent-file', UA],
  ['Mozilla/5.0 (compatible; Netsparker)', UA],
  ['Mozilla/4.0 (compatible; MSIE 8.0; Win32; IBM AppScan)', UA],
  ['w3af.org', UA],
  ['Arachni/v1.5.1', UA],
  ['Mozilla/5.0 [en] (X11, U; OpenVAS-VT 9.0.3)', UA],
  ['Microsoft WinRM Client OpenVASVT', UA],
  ['Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1) Havij', UA],
  ['Jaeles', UA],
  ['xray/1.9.11', UA],
  ['commix/v3.9-stable (https://commixproject.com)', UA],
  ['Mozilla/4.0 (Hydra)', UA],
  ['Mozilla/5.0 (Windows NT 10.0) OWASP ZAP', UA],
  ['Nessus SOAP', UA],
  ['some_plugin_check.nasl', UA],
  ['Wfuzz/3.1.0', UA],
  ['Mozilla/5.0 SF/2.10b', UA],
  ['anything', { source: 'header', name: 'acunetix-product' }],
  ['Mozilla/5.0 (X11; Linux x86_64) Chrome/120 x@abc123def.oast.fun', UA],
  ['http://q8x1.burpcollaborator.net/a', { source: 'header', name: 'referer' }],
  ['http://zzz.oastify.com', { source: 'query', name: 'url' }],
  ['acunetix_wvs_security_test', { source: 'query', name: 'q' }],
  ['nslookup abc.dnslog.cn', { source: 'body', name: 'cmd' }],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', UA],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', UA],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', UA],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', UA],
  ['curl/8.5.0', UA],
  ['Wget/1.21.4', UA],
  ['python-requests/2.31.0', UA],
  ['Go-http-client/1.1', UA],
  ['okhttp/4.12.0', UA],
  ['Zapier', UA],
  ['urlgrabber/3.10 yum/3.4.3', UA],
  ['mozilla/5.0 ecairn-grabber/1.0 (+http://ecairn.com/grabber)', UA],
  ['Datadog Agent/7.52.0', UA],
  ['Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)', UA],
  ['Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', UA],
  ['Prometheus/2.51.0', UA],
  ['kube-probe/1.29', UA],
  ['ELB-HealthChecker/2.0', UA],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', UA],
  ['sqlmap is a tool I read about', { source: 'body', name: 'comment' }],
  ['I love the nikto documentation', { source: 'query', name: 'q' }],
  ['the boast.me site', { source: 'query', name: 'q' }],
  ['We scan with Acunetix every week', { source: 'body', name: 'comment' }],
  ['https://example.com/oast.members', { source: 'query', name: 'q' }],
];

test('scanner signatures are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${value}`);
    for (const f of fs) {
      assert.equal(f.category, 'scanner');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('browsers, curl, libraries and monitoring agents give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${value}`);
});

test('scripted clients are a paranoia-3 notice', () => {
  for (const v of ['curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/2.0']) {
    const fs = run(v);
    assert.equal(fs.length, 1, v);
    assert.equal(fs[0]!.paranoia, 3);
    assert.equal(fs[0]!.score, 2);
  }
});

test('linear time; never throws', () => {
  const long = 'Mozilla/5.0 (X11; Linux) Gecko Firefox '.repeat(5000);
  for (const v of [long, 'a'.repeat(200000), '.oast.me'.repeat(25000), '((((;;;;'.repeat(25000)]) {
    const ms = Math.max(bestOf(() => { run(v); }), bestOf(() => { run(v, { source: 'query', name: 'x' }); }));
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms`);
  }
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = 0; j < 24; j++) s += 'sqlmp/ ();.oastme@nasl-'[Math.floor(Math.random() * 23)] ?? '';
    run(s);
  }
});
