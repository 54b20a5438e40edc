import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractJson, memberPath } from './json.ts';
import type { ExtractResult } from './extract-result.ts';

/** Inputs as `location=value` (keys as `location#key`), or `!reason`. */
function show(result: ExtractResult): string[] | string {
  if ('problem' in result) return '!' + result.problem.reason;
  return result.inputs.map((i) => (i.isName ? `${i.location.slice(5)}#${i.value}` : `${i.location.slice(5)}=${i.value}`));
}

const ACCEPTED: [string, string[]][] = [
  ['{"a":"b"}', ['$.a#a', '$.a=b']],
  ['{"user":{"name":"O\'Brien","age":42,"admin":false,"nick":null}}', [
    '$.user#user', '$.user.name#name', "$.user.name=O'Brien", '$.user.age#age', '$.user.age=42', '$.user.admin#admin',
    '$.user.admin=false', '$.user.nick#nick',
  ]],
  ['{"items":[{"name":"x"},{"name":"y"}]}', ['$.items#items', '$.items[0].name#name', '$.items[0].name=x', '$.items[1].name#name', '$.items[1].name=y']],
  ['[[1,[2,["deep"]]],[]]', ['$[0][0]=1', '$[0][1][0]=2', '$[0][1][1][0]=deep']],
  ['{"a b":1,"it\'s":2,"x\\\\y":3,"_ok$1":4,"1st":5,"":6}', [
    "$['a b']#a b", "$['a b']=1", "$['it\\'s']#it's", "$['it\\'s']=2", "$['x\\\\y']#x\\y", "$['x\\\\y']=3", '$._ok$1#_ok$1',
    '$._ok$1=4', "$['1st']#1st", "$['1st']=5", "$['']=6",
  ]],
  // escapes, unicode escapes and surrogate pairs
  ['{"t":"\\u003cscript\\u003e \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"}', ['$.t#t', '$.t=<script> "q" \\ / \b\f\n\r\t']],
  ['["caf\\u00e9","\\ud83d\\ude00","😀","日本語"]', ['$[0]=café', '$[1]=😀', '$[2]=😀', '$[3]=日本語']],
  // numbers as written
  ['[0,-0,1.5,-2e10,3E+2,4e-1,12345678901234567890,1e400]', ['$[0]=0', '$[1]=-0', '$[2]=1.5', '$[3]=-2e10', '$[4]=3E+2', '$[5]=4e-1', '$[6]=12345678901234567890', '$[7]=1e400']],
  // top-level scalars and white space
  ['"just a string"', ['$=just a string']],
  ['  \t\r\n {  "a" :  [ true , false ] }  \n', ['$.a#a', '$.a[0]=true', '$.a[1]=false']],
  ['{}', []],
  ['[]', []],
  ['null', []],
  ['{"empty":""}', ['$.empty#empty']],
  // a key that only differs by case is another key
  ['{"a":1,"A":2}', ['$.a#a', '$.a=1', '$.A#A', '$.A=2']],
  // the same key in different objects is fine
  ['[{"a":1},{"a":2}]', ['$[0].a#a', '$[0].a=1', '$[1].a#a', '$[1].a=2']],
  ['{"__proto__":{"isAdmin":true}}', ['$.__proto__#__proto__', '$.__proto__.isAdmin#isAdmin', '$.__proto__.isAdmin=true']],
];

for (const [body, expected] of ACCEPTED) {
  test(`JSON ${body.slice(0, 70)}`, () => {
    assert.deepEqual(show(extractJson(body)), expected);
    assert.deepEqual(show(extractJson(Buffer.from(body, 'utf8'))), expected);
  });
}

const REFUSED: [string, string][] = [
  // duplicate keys (parser differential: first wins here, last wins in JSON.parse)
  ['{"role":"user","role":"admin"}', 'json_duplicate_key'],
  ['{"a":1,"b":2,"c":3,"a":4}', 'json_duplicate_key'],
  ['{"x":{"a":1,"a":2}}', 'json_duplicate_key'],
  ['[{"a":1,"a":1}]', 'json_duplicate_key'],
  ['{"a":1,"\\u0061":2}', 'json_duplicate_key'],
  // lone surrogates
  ['["\\ud800"]', 'json_invalid_utf8'],
  ['["\\udc00"]', 'json_invalid_utf8'],
  ['["\\ud800x"]', 'json_invalid_utf8'],
  ['["\\ud800\\u0041"]', 'json_invalid_utf8'],
  ['{"\\ud83d":1}', 'json_invalid_utf8'],
  // syntax
  ['', 'json_invalid'],
  ['   ', 'json_invalid'],
  ['{', 'json_invalid'],
  ['{"a":1', 'json_invalid'],
  ['{"a":1,}', 'json_invalid'],
  ['[1,]', 'json_invalid'],
  ['[,1]', 'json_invalid'],
  ['{"a" 1}', 'json_invalid'],
  ['{"a":1 "b":2}', 'json_invalid'],
  ['{a:1}', 'json_invalid'],
  ["{'a':1}", 'json_invalid'],
  ['{"a":1}}', 'json_invalid'],
  ['{"a":1} x', 'json_invalid'],
  ['{"a":1}{"a":2}', 'json_invalid'],
  ['[1] // comment', 'json_invalid'],
  ['/* c */ [1]', 'json_invalid'],
  ['\ufeff{"a":1}', 'json_invalid'],
  ['[01]', 'json_invalid'],
  ['[+1]', 'json_invalid'],
  ['[.5]', 'json_invalid'],
  ['[1.]', 'json_invalid'],
  ['[1e]', 'json_invalid'],
  ['[-]', 'json_invalid'],
  ['[NaN]', 'json_invalid'],
  ['[Infinity]', 'json_invalid'],
  ['[tru]', 'json_invalid'],
  ['[True]', 'json_invalid'],
  ['[nul]', 'json_invalid'],
  ['["a\tb"]', 'json_invalid'],
  ['["a\nb"]', 'json_invalid'],
  ['{"f\u0000eld1":"x"}', 'json_invalid'],
  ['["\\x41"]', 'json_invalid'],
  ['["\\u00g1"]', 'json_invalid'],
  ['["\\u00"]', 'json_invalid'],
  ['["unterminated]', 'json_invalid'],
  ['["\\', 'json_invalid'],
  ['[1]\u0000', 'json_invalid'],
  ['{"a":1}\u00a0', 'json_invalid'],
];

for (const [body, reason] of REFUSED) {
  test(`JSON ${JSON.stringify(body).slice(0, 60)} is refused: ${reason}`, () => {
    assert.equal(show(extractJson(body)), '!' + reason);
  });
}

test('bytes that are not UTF-8 are refused: invalid, overlong, surrogates encoded in UTF-8', () => {
  for (const bytes of [[0x22, 0xff, 0x22], [0x22, 0xc0, 0xae, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22], [0x22, 0xe0, 0x80, 0xaf, 0x22], [0x22, 0xc3, 0x22]]) {
    assert.equal(show(extractJson(Uint8Array.from(bytes))), '!json_invalid_utf8', bytes.join(','));
  }
});

test('a raw lone surrogate in a string argument is refused', () => {
  assert.equal(show(extractJson('["a\ud800b"]')), '!json_invalid_utf8');
  assert.equal(show(extractJson('["a\udc00"]')), '!json_invalid_utf8');
  assert.deepEqual(show(extractJson('["\ud83d\ude00"]')), ['$[0]=😀']);
});

test('depth: 512 levels pass, 513 are refused, also for objects', () => {
  assert.ok('inputs' in extractJson('['.repeat(512) + ']'.repeat(512)));
  assert.equal(show(extractJson('['.repeat(513) + ']'.repeat(513))), '!json_too_deep');
  assert.equal(show(extractJson('{"a":'.repeat(513) + '1' + '}'.repeat(513))), '!json_too_deep');
  assert.equal(show(extractJson('[[[1]]]', { maxDepth: 2 })), '!json_too_deep');
});

test('a million open brackets are refused quickly, without recursion', () => {
  const body = '['.repeat(1_000_000);
  const start = performance.now();
  assert.equal(show(extractJson(body)), '!json_too_deep');
  assert.ok(performance.now() - start < 50);
  assert.equal(show(extractJson(body, { maxDepth: 2_000_000 })), '!json_invalid');
});

test('input budget', () => {
  assert.equal(show(extractJson('[1,2,3]', { maxInputs: 2 })), '!too_many_inputs');
  assert.ok('inputs' in extractJson('[1,2,3]', { maxInputs: 3 }));
});

test('options: prefix, source and root name (embedded JSON), scalars off', () => {
  const result = extractJson('{"a":[1,"x"]}', { prefix: 'query:filter:json:', source: 'query', rootName: 'filter', scalars: false });
  assert.ok('inputs' in result);
  assert.deepEqual(result.inputs, [
    { source: 'query', name: 'a', location: 'query:filter:json:$.a', value: 'a', isName: true },
    { source: 'query', name: 'a', location: 'query:filter:json:$.a[1]', value: 'x' },
  ]);
  const top = extractJson('["v"]', { rootName: 'q' });
  assert.ok('inputs' in top);
  assert.equal(top.inputs[0]!.name, 'q');
});

test('unique keys: each distinct key once, at its first location', () => {
  assert.deepEqual(show(extractJson('[{"a":1,"b":2},{"a":3,"b":4,"c":{"a":5}}]', { uniqueKeys: true })), [
    '$[0].a#a', '$[0].a=1', '$[0].b#b', '$[0].b=2', '$[1].a=3', '$[1].b=4', '$[1].c#c', '$[1].c.a=5',
  ]);
  assert.equal(show(extractJson('{"a":1,"a":2}', { uniqueKeys: true })), '!json_duplicate_key');
});

test('a member prototype of a member constructor is also emitted as the name constructor.prototype, once per place', () => {
  assert.deepEqual(show(extractJson('{"constructor":{"prototype":{"admin":true}}}', { scalars: false })), [
    '$.constructor#constructor', '$.constructor.prototype#prototype', '$.constructor.prototype#constructor.prototype',
    '$.constructor.prototype.admin#admin',
  ]);
  // names emitted once: the second record's names are not emitted again, its path into the prototype is
  assert.deepEqual(show(extractJson('[{"x":{"prototype":1}},{"constructor":{"prototype":{"a":1}}},{"constructor":{"prototype":{"a":2}}}]', { uniqueKeys: true, scalars: false })), [
    '$[0].x#x', '$[0].x.prototype#prototype', '$[1].constructor#constructor', '$[1].constructor.prototype#constructor.prototype',
    '$[1].constructor.prototype.a#a', '$[2].constructor.prototype#constructor.prototype',
  ]);
  // siblings, and the names as values, are ordinary
  assert.deepEqual(show(extractJson('{"constructor":"Foo","prototype":{"a":1}}', { scalars: false })), [
    '$.constructor#constructor', '$.constructor=Foo', '$.prototype#prototype', '$.prototype.a#a',
  ]);
});

test('member paths', () => {
  assert.equal(memberPath('name'), '.name');
  assert.equal(memberPath('$ref'), '.$ref');
  assert.equal(memberPath('a-b'), "['a-b']");
  assert.equal(memberPath("a'b"), "['a\\'b']");
  assert.equal(memberPath('é'), "['é']");
});

test('agrees with JSON.parse on valid documents without duplicate keys', () => {
  const docs = ['{"a":[1,2,{"b":"c"}],"d":{"e":null,"f":[true,false,-1.5e3]}}', '"\\u00e9\\n"', '[[],{},[{}]]', '{"x":"\\ud83d\\ude00"}'];
  for (const doc of docs) {
    const values: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { values.push(k); walk(x); }
      else if (v !== null) values.push(typeof v === 'string' ? v : String(v));
    };
    walk(JSON.parse(doc));
    const result = extractJson(doc);
    assert.ok('inputs' in result);
    assert.deepEqual(result.inputs.map((i) => i.value).map((v) => (/^-?\d/.test(v) ? String(Number(v)) : v)), values);
  }
});

test('never throws on random or mutated input', () => {
  let seed = 3;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const alphabet = '{}[]:,"\\u0aeE-+.1tfn \ud800\u0000x';
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = rand(40);
    for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
    extractJson(s);
  }
  const base = '{"a":[1,{"b":"c\\u0041"}],"d":true}';
  for (let k = 0; k < 5000; k++) {
    const at = rand(base.length);
    const mutated = base.slice(0, at) + alphabet[rand(alphabet.length)] + base.slice(at + rand(3));
    const result = extractJson(mutated);
    let valid = true;
    try { JSON.parse(mutated); } catch { valid = false; }
    if (!valid) assert.ok('problem' in result, `accepted invalid JSON ${mutated}`);
  }
});

/** A typical API document of about `bytes` bytes: an array of records with strings, numbers, nesting. */
function sampleDocument(bytes: number): string {
  const items: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const item = JSON.stringify({
      id: i, name: `Item ${i} — “quoted” café`, tags: ['alpha', 'beta', `t${i}`], price: 12.5 + i, active: i % 2 === 0,
      owner: { email: `user${i}@example.com`, address: { city: 'Zürich', zip: '8001' } }, note: 'Line one\nline "two"',
    });
    items.push(item);
    size += item.length + 1;
  }
  return `{"items":[${items.join(',')}],"count":${items.length}}`;
}

test('speed: a 10 KB document well under 1 ms, 1 MB linear', () => {
  // Flat strings, as a body decoded from a Buffer is.
  const small = Buffer.from(sampleDocument(10 * 1024)).toString();
  const big = Buffer.from(sampleDocument(1024 * 1024)).toString();
  for (let k = 0; k < 2000; k++) extractJson(small, { maxInputs: 1e9 });
  // CPU time, not wall time: the suite runs beside other work and a loaded machine stretches wall time.
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const runs = 500;
  let start = cpuMs();
  for (let k = 0; k < runs; k++) extractJson(small, { maxInputs: 1e9 });
  const smallMs = (cpuMs() - start) / runs;
  start = cpuMs();
  for (let k = 0; k < 5; k++) extractJson(big, { maxInputs: 1e9 });
  const bigMs = (cpuMs() - start) / 5;
  start = cpuMs();
  for (let k = 0; k < runs; k++) JSON.parse(small);
  const nativeMs = (cpuMs() - start) / runs;
  console.log(`# JSON extract: 10 KB ${smallMs.toFixed(3)} ms (JSON.parse ${nativeMs.toFixed(3)} ms), 1 MB ${bigMs.toFixed(2)} ms`);
  // Generous bounds: measured about 0.25 ms and 50 ms of CPU on an idle 2-core box.
  assert.ok(smallMs < 3, `10 KB took ${smallMs} ms`);
  assert.ok(bigMs < 250, `1 MB took ${bigMs} ms`);
});

test('records of an array: names guessed from the previous record are still checked for duplicates and escapes', () => {
  const rows = (...records: string[]) => extractJson(Buffer.from(`[${records.join(',')}]`), { uniqueKeys: true, scalars: false });
  const ok = rows('{"id":"1","name":"a"}', '{"id":"2","name":"b"}', '{"name":"c","id":"3"}', '{"i\\u0064":"4","name":"d"}');
  assert.ok('inputs' in ok);
  assert.deepEqual(ok.inputs.map((i) => [i.location, i.value]), [
    ['body:$[0].id', 'id'], ['body:$[0].id', '1'], ['body:$[0].name', 'name'], ['body:$[0].name', 'a'],
    ['body:$[1].id', '2'], ['body:$[1].name', 'b'], ['body:$[2].name', 'c'], ['body:$[2].id', '3'],
    ['body:$[3].id', '4'], ['body:$[3].name', 'd'],
  ]);
  for (const records of [
    ['{"id":"1","name":"a"}', '{"id":"2","name":"b","id":"x"}'],
    ['{"id":"1","name":"a"}', '{"id":"2","id":"x"}'],
    ['{"id":"1","name":"a"}', '{"id":"2","name":"b","i\\u0064":"x"}'],
    ['{"id":"1","name":"a"}', '{"x":"2","name":"b","name":"c"}'],
  ]) {
    const result = rows(...records);
    assert.ok('problem' in result && result.problem.reason === 'json_duplicate_key', records.join(','));
  }
  // A guessed name must be followed by its closing quote: "idx" is not "id".
  const longer = rows('{"id":"1"}', '{"idx":"2"}');
  assert.ok('inputs' in longer && longer.inputs.some((i) => i.isName && i.value === 'idx'));
});

test('a query operator key is read with the member that holds it, on every occurrence', () => {
  const result = extractJson('{"price":{"$gte":1,"$lte":9},"password":{"$ne":""},"items":[{"qty":{"$gt":0}},{"qty":{"$gt":0}}],"$or":[{"a":1}],"$ref":"#/x"}', { uniqueKeys: true });
  assert.ok('inputs' in result);
  const names = result.inputs.filter((i) => i.isName).map((i) => [i.value, i.location]);
  assert.deepEqual(names.filter(([value]) => value!.includes('$') && !value!.startsWith('$ref')), [
    ['price[$gte]', 'body:$.price.$gte'], ['price[$lte]', 'body:$.price.$lte'], ['password[$ne]', 'body:$.password.$ne'],
    ['qty[$gt]', 'body:$.items[0].qty.$gt'], ['qty[$gt]', 'body:$.items[1].qty.$gt'], ['$or', 'body:$.$or'],
  ]);
  assert.ok(names.some(([value]) => value === '$ref'), 'other $ keys as before');
});

test('class.module.classLoader walked as JSON objects is read as that dotted name too (Spring4Shell)', () => {
  const result = extractJson('{"class":{"module":{"classLoader":{"resources":{"context":{"parent":{"pipeline":{"first":{"suffix":".jsp"}}}}}}}},"user":{"classLoader":"x"}}');
  assert.ok('inputs' in result);
  const paths = result.inputs.filter((i) => i.value === 'class.module.classLoader').map((i) => i.location);
  assert.deepEqual(paths, ['body:$.class.module.classLoader']);
});

test('a filter operator without $ is read with its holder when the holder names a secret (Prisma, Sequelize)', () => {
  const result = extractJson('{"where":{"name":{"contains":"kim"},"password":{"startsWith":"a"},"resetToken":{"gt":""}},"passwordPolicy":{"minLength":8}}');
  assert.ok('inputs' in result);
  const names = result.inputs.filter((i) => i.isName).map((i) => i.value);
  assert.ok(names.includes('password[startsWith]') && names.includes('resetToken[gt]'), names.join());
  assert.ok(names.includes('contains') && !names.includes('name[contains]'), 'an ordinary field keeps its plain names');
  assert.ok(names.includes('minLength'));
});
