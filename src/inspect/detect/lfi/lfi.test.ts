import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { lfiDetector as detector } from './lfi.ts';
import { pathShape, sensitivePath } from './paths.ts';
import { base64Blob, cpuBestOf, detectorRunner, longTokens } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const lowest = (fs: Finding[]): number => Math.min(4, ...fs.map((f) => f.paranoia));
const PATH = { source: 'path', name: '' } as const;
const FILEP = { source: 'query', name: 'file' } as const;
const BODY = { source: 'body', name: 'comment' } as const;
const HEADER = { source: 'header', name: 'user-agent' } as const;

/** [value, highest paranoia level at which it must be found, context]. */
const attacks: [string, 1 | 2 | 3, Partial<DetectorContext>?][] = [
  // climbing
  ['../../../etc/passwd', 1],
  ['..\\..\\..\\windows\\win.ini', 1],
  ['/static/img/../../etc/passwd', 1],
  ['....//....//....//etc/passwd', 1],
  ['..;/..;/..;/WEB-INF/web.xml', 1],
  ['.../.../WINDOWS/win.ini', 1],
  ['..%2f..%2f'.replaceAll('%2f', '/') + 'etc/hosts', 1],
  ['../../../../../../boot.ini', 1],
  ['..//..//..//etc//shadow', 1],
  ['../../../../proc/self/environ', 1],
  ['/var/www/html/../../../root/.bash_history', 1],
  ['..\\..\\..\\..\\inetpub\\wwwroot\\web.config', 1],
  ['../../../../../../../../usr/local/apps/apache2/conf/httpd.conf', 1],
  ['../../config', 1],
  ['..\\pineapple', 1],
  ['/../../../././..\\ ../../etc/master.passwd', 1, HEADER],
  ['..;.\\.;\\.', 2],
  ['../1.7z', 1, { source: 'body', name: 'filename' }],
  ['../images/logo.png', 2],
  ['a/b/..', 2],
  // sensitive files without climbing
  ['/etc/passwd', 1],
  ['/ETC/PASSWD', 1],
  ['/etc//shadow', 1],
  ['/etc/./passwd', 1],
  ['/proc/self/cmdline', 1],
  ['/proc/self/fd/3', 1],
  ['C:\\Windows\\win.ini', 1],
  ['c:/boot.ini', 1],
  ['C:\\Windows\\System32\\drivers\\etc\\hosts', 1],
  ['C:\\Windows\\System32\\config\\SAM', 1],
  ['/root/.ssh/id_rsa', 1],
  ['.ssh/id_rsa', 1],
  ['/home/alice/.aws/credentials', 1],
  ['.git/config', 1],
  ['/.git/HEAD', 1, PATH],
  ['/.env', 1, PATH],
  ['/app/.env.production', 1, PATH],
  ['/.htaccess', 1, PATH],
  ['/WEB-INF/web.xml', 1],
  ['/.svn/entries', 1, PATH],
  ['/.claude/settings.json', 1, PATH],
  ['/var/log/apache2/access.log', 1],
  // Spring's resource prefix, service configuration with passwords
  ['classpath:../../application.yml', 1, { source: 'body', name: 'template' }],
  ['/usr/local/etc/redis/redis.conf', 1],
  // a web server's logs wherever it is installed: what log poisoning includes
  ['/usr/local/apache2/logs/error_log', 1],
  ['C:\\xampp\\apache\\logs\\access.log', 1],
  ['/opt/lampp/logs/access_log', 1],
  ['/var/www/html/.env', 1],
  ['/home/kim/.ssh/identity', 1], // the SSH identity file, below .ssh/
  ['/backup.sql', 1, PATH], // backups and dumps asked of the web server (CRS 920440's restricted extensions)
  ['/config.php.bak', 1, PATH],
  ['/db.sql.gz', 1, PATH],
  ['/index.php.swp', 1, PATH],
  ['/tmp/.git/config', 1],
  ['/var/run/secrets/kubernetes.io/serviceaccount/token', 1],
  ['/sys/class/net', 1],
  ['/download/etc/passwd', 1, PATH],
  ['web.config', 1],
  ['wp-config.php.bak', 1],
  ['cat /etc/passwd', 1],
  ['/etc/pa??wd', 1],
  ['/e*c/p[a]sswd', 1],
  ['/etc/[!q]asswd', 1],
  ['0x2e0x2e/0x2e0x2e/etc/passwd', 1],
  // URLs and UNC paths
  ['file:///etc/passwd', 1],
  ['file:///etc/./passwd', 1],
  ['file://c:/windows/win.ini', 1],
  ['\\\\::1\\c$\\users\\default\\ntuser.dat', 1],
  ['\\\\127.0.0.1\\c$\\windows\\win.ini', 1],
  ['\\\\localhost\\admin$\\', 1],
  ['\\\\fileserver\\share\\docs', 2],
  // a script on another machine's share, as the whole value: included over SMB
  ['\\\\evil.example\\share\\s.php', 1, { source: 'body', name: 'page' }],
  // weaker
  ['backup.sql.zip', 3],
  ['/tmp/x', 2],
  ['/wp-content/debug.log', 2, PATH],
  // Tomcat's accounts, PHP session files (included with a payload stored in the session), the Docker socket
  ['/usr/local/tomcat/conf/tomcat-users.xml', 1, FILEP],
  ['/var/lib/php/sessions/sess_9f8e7d6c5b4a', 1, FILEP],
  ['/tmp/sess_9f8e7d6c5b4a', 1, FILEP],
  ['/run/docker.sock', 1, FILEP],
  // endpoints that hand out secrets
  ['/actuator/heapdump', 1, PATH],
  ['/api/actuator/env/', 1, PATH],
  ['/server-status', 1, PATH],
  ['/phpinfo.php', 1, PATH],
  ['/.vscode/sftp.json', 1, PATH],
  ['/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 1, PATH],
  ['/shop/elmah.axd', 1, PATH],
  ['/trace.axd', 1, PATH],
  ['/app_dev.php/_profiler/phpinfo', 1, PATH],
  // left at a site's root by a deployment; scanners' and exploits' endpoints
  ['/docker-compose.yml', 1, PATH],
  ['/credentials.json', 1, PATH],
  ['/backup.zip', 1, PATH],
  ['/actuator/gateway/routes', 1, PATH],
  ['/debug/pprof/', 1, PATH],
  ['/mgmt/tm/util/bash', 1, PATH],
  ['/storage/logs/laravel.log', 1, PATH],
  ['/vpns/cfg/smb.conf', 1, PATH],
];

const benign: [string, Partial<DetectorContext>?][] = [
  ['wait...'],
  // a spaced ellipsis in a field whose name says file (`content`): `...` alone is no path
  ['Server restarting for maintenance ... back in ~5 min', { source: 'body', name: 'content' }],
  ['compare/{base}...{head}', { source: 'body', name: 'payload' }],
  ['copy it from \\\\fs01\\scripts\\deploy.ps1 please', { source: 'body', name: 'note' }],
  ['/app/logs/access.log'],
  ['1.2..3'],
  ['version 2.0...3.1'],
  ['Hmm... / ok'],
  ['...and then he left.'],
  ['...'],
  ['wait ...', BODY],
  ['Loading .... please', BODY],
  ['..'],
  ['../images/a.png'],
  ['../../assets/app.css'],
  ['See ../README.md for details', BODY],
  ['/api/v1/users/42/orders', PATH],
  ['/static/js/app.min.js', PATH],
  ['/.well-known/security.txt', PATH],
  ['/.well-known/acme-challenge/abc', PATH],
  ['/products/etc', PATH],
  ['/blog/2024/05/hello-world', PATH],
  ['https://example.com/a/b/c?d=e'],
  ['https://cdn.example.com/libs/jquery/3.7.1/jquery.min.js'],
  ['/images/2024/photo.jpg'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', HEADER],
  ['The config file is missing', BODY],
  ['my.environment.ts'],
  ['firstname.dockery@host.tld'],
  ['>/test.environment'],
  ['jquery.history.min.js'],
  ['/node_modules/@osd/ui-framework/dist/kui_light.css', PATH],
  ['C:\\Users\\Public\\Documents\\report.docx'],
  ['src/components/Button.tsx'],
  ['docs/guide/getting-started.md'],
  ['the .env file of your project is not served', BODY],
  ['a/b/c', FILEP],
  ['report.pdf', FILEP],
  ['2024/05/01'],
  ['and/or'],
  ['50/50'],
  ['TCP/IP'],
  ['/etc', BODY],
  ['How to edit tomcat-users.xml', BODY],
  ['docker.sock permissions', BODY],
  ['/acme/webapp/blob/main/.env.example', PATH], // a template committed beside the real file
  ['/actuator/health', PATH],
  ['/api/server-status', PATH],
  ['/docs/phpinfo', PATH],
  ['/owner/repo/blob/main/docker-compose.yml', PATH],
  ['/blog/backup.zip', PATH],
  ['/api/routes', PATH],
  ['/blog/how-to-read-elmah-axd-logs', PATH],
  ['/blog/phpinfo', PATH],
];

test('path traversal and sensitive files are found at the expected paranoia level', () => {
  for (const [value, level, ctx] of attacks) {
    const fs = run(value, ctx);
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    assert.ok(lowest(fs) <= level, `${JSON.stringify(value)}: found only at paranoia ${lowest(fs)}, expected ${level}`);
    for (const f of fs) {
      assert.equal(f.category, 'lfi');
      assert.match(f.ruleId, /^lfi-[a-z-]+$/);
      assert.ok(f.matched.length > 0 && f.matched.length <= 120);
    }
    if (level === 1) assert.ok(fs.some((f) => f.paranoia === 1 && f.score === 5), `${JSON.stringify(value)} does not score 5`);
  }
});

test('benign paths, ellipses and relative links are not flagged at paranoia 1', () => {
  for (const [value, ctx] of benign) {
    const fs = run(value, ctx).filter((f) => f.paranoia === 1);
    assert.deepEqual(fs.map((f) => `${f.ruleId}: ${f.matched}`), [], `false positive: ${JSON.stringify(value)}`);
  }
});

test('an ellipsis on its own is not a climb at any paranoia level; `..` in a file parameter still is', () => {
  for (const value of ['...', 'to be continued ...', '....', '..']) assert.deepEqual(run(value, BODY).map((f) => f.ruleId), [], value);
  assert.ok(run('..', FILEP).some((f) => f.paranoia === 1));
});

test('REST paths named like secrets or system directories elsewhere are ordinary: /users/sam, /api/etc/settings', () => {
  for (const path of ['/users/sam', '/api/v1/identity', '/identity/providers', '/api/etc/settings', '/api/proc/status', '/api/root/folders', '/files/offline.sqlite']) {
    assert.ok(lowest(run(path, PATH)) > 1, path);
  }
  for (const path of ['/download/etc/passwd', '/x/proc/self/environ', '/root/.bash_history']) assert.equal(lowest(run(path, PATH)), 1, path);
});

test('a backup extension inside a name is no backup request at paranoia 1 (report.old.pdf)', () => {
  assert.ok(lowest(run('/files/report.old.pdf', PATH)) > 1);
  assert.ok(lowest(run('backup.sql', { source: 'query', name: 'q' })) > 1, 'only in the URL path');
});

test('editor copies, include files, keys and dumps asked of the web server are paranoia 1; names like them are not', () => {
  for (const path of ['/index.jsp~', '/app/config.php~', '/.htaccess~', '/public/menu.inc', '/etc-backup/my.cnf', '/ssl/server.key',
    '/config.php.save', '/.index.php.swo', '/site.backup', '/dump.rdb', '/App_Data/db.mdf', '/keys/app.jks', '/.keystore']) {
    assert.equal(lowest(run(path, PATH)), 1, path);
  }
  for (const path of ['/~john/', '/docs/a~b', '/lib/functions.inc.php', '/slides/talk.key.pdf', '/whois/example.com', '/schemas/order.xsd',
    '/updates/version.ini', '/structures/1abc.pdb', '/files/offline.sqlite', '/org/app/-/blob/main/src/Web.csproj']) {
    assert.ok(lowest(run(path, PATH)) > 1, path);
  }
  assert.ok(lowest(run('see my.cnf and server.key', { source: 'query', name: 'q' })) > 1, 'only in the URL path');
});

test('one level up is paranoia 2, but paranoia 1 when it took two percent-decodings to appear (%252e%252e%252f)', () => {
  assert.equal(lowest(run('../console.portal', { ...PATH, layers: ['url'] })), 2);
  assert.equal(lowest(run('../console.portal', { ...PATH, layers: ['url', 'url'] })), 1);
  assert.equal(lowest(run('../console.portal', { ...PATH, layers: ['html', 'url'] })), 2);
});

test('a relative path quoted in text is paranoia 2, also under a file-like name; alone, or to a secret, paranoia 1', () => {
  const post = 'I tried this:\n\n    import Button from "../../components/Button";\n\nbut it does not work. Any idea?';
  for (const name of ['body', 'content', 'file']) assert.equal(lowest(run(post, { source: 'body', name })), 2, name);
  assert.equal(lowest(run('see the stack: at Object.<anonymous> (../../src/index.js:10:5) after the upgrade', BODY)), 2);
  assert.equal(lowest(run('../../src/app.ts', BODY)), 1);
  assert.equal(lowest(run('../x', { source: 'body', name: 'content' })), 1);
  assert.equal(lowest(run('please read the file ../../../../etc/passwd now and send it', BODY)), 1);
});

test('some benign samples fire at paranoia 2 or 3 (documented)', () => {
  assert.ok(run('../images/a.png').some((f) => f.paranoia === 2)); // one level up, relative link
  assert.ok(run('the .env file of your project is not served', BODY).some((f) => f.paranoia === 2)); // mention in prose
});

test('path shapes: climbs, evasive dot segments, resolution', () => {
  const s = pathShape('/static/img/../../etc/passwd');
  assert.equal(s.climbs, 2);
  assert.equal(s.normal, '/etc/passwd');
  assert.equal(pathShape('....//....//etc/passwd').odd, true);
  assert.equal(pathShape('..;/x').climbs, 1);
  assert.equal(pathShape('a/b/..').trailing, true);
  assert.equal(pathShape('1.2..3').climbs, 0);
  assert.deepEqual(sensitivePath('C:\\WINDOWS\\win.ini.'), { name: '/windows/win.ini', strong: true });
  assert.equal(sensitivePath('/etc/passwd')?.strong, true);
  assert.equal(sensitivePath('/images/a.png'), null);
});

test('never throws on hostile input', () => {
  const chars = './\\;:%0x2e$c?*[]~ \n"\'';
  for (let k = 0; k < 400; k++) {
    let s = '';
    for (let j = 0; j < 1 + (k % 300); j++) s += chars[Math.floor(Math.random() * chars.length)];
    run(s);
    run(String.fromCharCode(...Array.from({ length: 50 }, () => Math.floor(Math.random() * 0xffff))));
  }
});

test('linear time on large and pathological values', () => {
  const cases = [
    'Ordinary prose about files, folders and the ../ notation; see docs/guide.md and https://example.com/a/b. '.repeat(2000),
    '../'.repeat(70_000), '/'.repeat(200_000), '\\'.repeat(200_000), '.'.repeat(200_000), '/etc/passwd '.repeat(17_000),
    '0x2e'.repeat(50_000), '/e??/p*'.repeat(30_000), 'a/'.repeat(100_000),
  ];
  for (const v of cases) {
    let ms = Infinity;
    for (let k = 0; k < 10 && ms >= 50; k++) { // best of up to ten, in CPU time (first runs compile; busy machines)
      const t = process.cpuUsage();
      run(v);
      const used = process.cpuUsage(t);
      ms = Math.min(ms, (used.user + used.system) / 1000);
    }
    assert.ok(ms < 250, `${JSON.stringify(v.slice(0, 20))}… (${v.length} chars) took ${ms.toFixed(1)} ms`);
  }
});

// The WordPress debug log (wp-content/debug.log) is a secret-bearing file; other logs stay weak.
const wordpressLogCases: [string, 1 | 2 | 3 | null, Partial<DetectorContext>?][] = [
  ['/wp-content/debug.log', 1, PATH],
  ['/blog/WP-CONTENT/debug.log', 1, PATH],
  ['wp-content/debug.log', 1, FILEP],
  ['/wp-content/uploads/debug.log', 2, PATH], // a log, not WordPress's own
  ['/logs/debug.log', 2, PATH],
  ['/wp-content/debug.log.html', null, PATH],
  ['debug.log', null, FILEP],
  ['/wp-content/themes/site/style.css', null, PATH],
];

test('the WordPress debug log is sensitive at paranoia 1, other logs are not', () => {
  for (const [value, level, ctx] of wordpressLogCases) {
    const fs = run(value, ctx);
    if (level === null) { assert.deepEqual(fs.map((f) => f.ruleId), [], `should give nothing: ${JSON.stringify(value)}`); continue; }
    assert.equal(lowest(fs), level, `${JSON.stringify(value)}: lowest level ${lowest(fs)}, expected ${level}`);
  }
});

test('a traversal hidden in the middle of a long base64 value is still found', () => {
  const blob = base64Blob(75_000);
  const v = blob.slice(0, 50_000) + ' ../../../../etc/passwd ' + blob.slice(50_000);
  assert.deepEqual(run(v, { paranoia: 3 }).map((f) => f.ruleId), ['lfi-traversal']);
});

test('linear time on 1 MB of base64, of hex and of one letter', () => {
  for (const v of longTokens()) {
    const ms = cpuBestOf(() => run(v));
    assert.ok(ms < 250, `${JSON.stringify(v.slice(0, 20))}… (${v.length} chars) took ${ms.toFixed(1)} ms`);
  }
});
