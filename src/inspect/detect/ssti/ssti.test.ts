import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../finding.ts';
import { sstiDetector as detector } from './ssti.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks = [
  // Flask's whole configuration, secret key included
  '{{config}}',
  // other engines' forms inside {{ }}: Handlebars' lookup of constructor, Smarty with two braces, Go templates
  "{{#each (lookup this 'constructor')}}{{/each}}",
  '{{$smarty.version}}',
  '{{ .System "id" }}',
  '{{ printf "%s" .Config.DatabasePassword }}',
  // Django's context dump, a resource lookup in an expression
  '{% debug %}',
  '${class.getResource("").getPath()}',
  // Velocity's arithmetic probe
  '#set($a=7*7)$a',
  // Jinja2's attr filter with a name the request supplies
  '{{request|attr(request.args.c)}}',
  // Symfony's request environment through Twig's globals
  "{{app.request.server.all|join(',')}}",
  // arithmetic probes
  '{{7*7}}',
  'x{{ 1337 * 1338 }}y',
  '${9*9}',
  "aaaa'+#{16*8787}+'bbb",
  "{{7*'7'}}",
  '<%= 7*7 %>',
  '*{7*7}',
  '@(6*7)',
  '[[${5*5}]]',
  '${{7*7}}',
  // Jinja2 / Python
  "{{''.__class__.__mro__[1].__subclasses__()}}",
  "{{ ''.class.mro()[1].subclasses() }}", // the same walk where members need no dunders (Jinjava, Pebble)
  '{{ config.items() }}',
  '{{ self.__init__.__globals__ }}',
  "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
  '{{ lipsum.__globals__.os.popen("id").read() }}',
  '{{ cycler.__init__.__globals__.os.popen("id").read() }}',
  '{{ joiner.__init__.__globals__ }}',
  "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
  "{{ request['__cla'+'ss__'] }}",
  "{% for x in ().__class__.__base__.__subclasses__() %}{% endfor %}",
  "{{ namespace.__init__.__globals__.os.system('id') }}",
  "{{ url_for.__globals__['current_app'].config }}",
  // Tornado / Mako
  "{% import os %}{{ os.popen('id').read() }}",
  "${self.module.cache.util.os.system('id')}",
  // Java EL / SpEL / Thymeleaf / FreeMarker / Velocity
  "${T(java.lang.Runtime).getRuntime().exec('id')}",
  "*{T(java.lang.Runtime).getRuntime().exec('calc')}",
  "__${T(java.lang.Runtime).getRuntime().exec('id')}__::.x",
  "${''.getClass().forName('java.lang.Runtime')}",
  '#{runtime.exec("id")}',
  '<#assign ex = "freemarker.template.utility.Execute"?new()>${ ex("id")}',
  '${"freemarker.template.utility.Execute"?new()("id")}',
  '#set($e="e")$e.getClass().forName("java.lang.Runtime").getMethod("getRuntime",null).invoke(null,null).exec("id")',
  '$class.inspect("java.lang.Runtime").type.getRuntime().exec("id")',
  '${pageContext.request.getSession()}',
  '${facesContext.externalContext}',
  // JS engines
  "{{constructor.constructor('alert(1)')()}}",
  "#{require.main.constructor._load('child_process').exec('id')}",
  "#{process.binding('spawn_sync')}",
  "<%= global.process.mainModule.require('child_process').execSync('id') %>",
  "${process.env.SECRET}",
  // Ruby / ERB
  '<%= `id` %>',
  "<%= system('id') %>",
  "#{File.read('/etc/passwd')}",
  "<%= IO.popen('id').readlines() %>",
  "<% system('id') %>",
  // PHP Twig / Smarty
  '{{_self.env.registerUndefinedFilterCallback("exec")}}{{_self.env.getFilter("id")}}',
  "{{['id']|filter('system')}}",
  "{system('ls')}",
  '{php}echo `id`;{/php}',
  '{$smarty.version}',
  "{Smarty_Internal_Write_File::writeFile($SCRIPT_NAME,'<?php passthru($_GET[\"c\"]); ?>',self::clearConfig())}",
  // Razor / .NET
  '@(System.Diagnostics.Process.Start("cmd.exe"))',
  // Perl
  "@{[system 'whoami']}",
  '@{   [   system   "id"   ]   }',
  '@{[`whoami`]}',
  // truncated
  "${T(java.lang.Runtime).getRuntime().exec('id')",
  // engine-detection probes: the delimiters of several engines packed together
  "${{<%[%'\"}}%\\.",
  "{{'}}'<%'%>'${'}'",
];

const benign = [
  'Hello {{name}}',
  // Helm and Hugo templates quoted in configuration
  '{{ .Values.image.tag }}',
  '{{ include "chart.name" . }}',
  '{{ printf "%s-%s" .Release.Name .Chart.Name }}',
  '#set($name = "Kim")',
  'Hello {{ user.first_name }}, welcome back!',
  '{{#each items}}{{this}}{{/each}}',
  '{{ items|length }} items',
  '{{ category.subclasses }} and {{ part.mro }} (fields named like the calls)',
  'The price is ${price}',
  'Total: ${total} (incl. ${tax} tax)',
  '#{user.name} commented',
  'Ruby string "#{greeting}, #{name}"',
  '`Total: ${a * b}`',
  'const s = `${first} ${last}`;',
  '.btn { color: red; } @media (max-width: 600px) { .btn { display: none } }',
  'a { background: url(x.png) }',
  '{"a": 1, "b": {"c": [1, 2, 3]}}',
  'LESS: @{var}-suffix',
  'Price range 5-10 dollars {5-10}',
  'See page {12}',
  '${}',
  '{{}}',
  '<%= title %>',
  '<%=title%>',
  '#{name}',
  '{{username}}',
  'Math: $x^2 + {y}$',
  'Use {% raw %} in docs',
  'Call me @(555) 123-4567',
  'email@{domain}.com',
  'I {love} templates {{ maybe }}',
  '{{ t("welcome.title") }}',
  'Angular: {{ user.name | uppercase }}',
  'Jinja: {{ request.args.get("q") }}',
  'config: {"runtime_minutes": "${runtime_minutes}"}',
  '[[Main Page]] wiki link',
  '[[1, 2], [3, 4]]',
  '2024-01-01',
  '{{ 2024 }}',
  '{{ this.items }}',
  '{{#each this.items}}{{this.name}}{{/each}}',
  '{{ object.type }}',
  '{{ app.version }}',
  '{{ file.name }} ({{ file.size }} bytes)',
  '{{ self.title }}',
  '{{ execute }}',
  '{{ content | unsafe }}',
  'const label = `${done ? `yes` : `no`}`;',
  '{{ request.path }}',
  '{{ open }}',
  'Use {{ os }} and {{ sys }} names',
  // two engines' delimiters together, or three with names between them
  'deploy: ${{ secrets.TOKEN }} to {{ env }}',
  '{% if user %}{{ user.name }}{% endif %}',
  'Hello <%= name %>, your order ${id} is {{status}}',
  'Ruby #{user}, EL ${user}, Jinja {{user}}',
];

test('template injections are found at paranoia 1', () => {
  for (const v of attacks) {
    const fs = pl1(run(v));
    assert.ok(fs.length > 0, `missed: ${v}`);
    for (const f of fs) {
      assert.equal(f.category, 'ssti');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('placeholders, CSS, JS and prose give nothing at paranoia 1', () => {
  for (const v of benign) assert.deepEqual(pl1(run(v)), [], `false positive: ${v}`);
});

test('statements and calls in templates are paranoia 2', () => {
  for (const v of ['{% if True %}49{% endif %}', '<% if True %>49<% endif %>', '{{ range(10) }}', '<#assign x = 1>', '#set($a = 1)', '@{[test][test2]}']) {
    const fs = run(v);
    assert.ok(fs.length > 0, `missed: ${v}`);
    assert.deepEqual(pl1(fs), [], `should be paranoia 2: ${v}`);
  }
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += '{}$#*@%<>[]()7*_class.\'"`?new#set'[Math.floor(Math.random() * 34)] ?? '';
    run(s);
  }
  const inputs = [
    'Dear {{name}}, your order ${id} ships on #{date}. Totals: {a} {b}. '.repeat(3000),
    '{{'.repeat(100000),
    '${'.repeat(100000),
    '{%'.repeat(100000),
    '<%'.repeat(100000),
    '#set('.repeat(40000),
    '<#assign '.repeat(20000),
    '@{['.repeat(60000),
    '{'.repeat(200000),
    '{a}'.repeat(60000),
    '${a}'.repeat(50000),
    '{{7*7'.repeat(30000),
    '__'.repeat(100000),
    '${' + '__x'.repeat(60000) + '}',
  ];
  for (const v of inputs) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 12)}`);
  }
});
