import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import { inspectInputs, anomalyScore, FindingMemo, InspectionTimeExceeded, type CategorySettings, type EngineSettings } from './engine.ts';
import type { Category, Detector, InspectedInput } from './finding.ts';
import { CH_LT } from './value-chars.ts';

/** A detector that reports what the test tells it to, for the values that contain its marker. */
function fake(category: Category, marker: string, findings: { ruleId: string; paranoia: 1 | 2 | 3; score: number }[]): Detector {
  return {
    category,
    detect(value, _context, report) {
      if (!value.includes(marker)) return;
      for (const f of findings) report({ ...f, category, message: 'm', matched: value });
    },
  };
}

function settings(detectors: Detector[], overrides: Partial<EngineSettings> = {}, categories?: Map<Category, CategorySettings>): EngineSettings {
  return {
    detectors,
    categories: categories ?? new Map(detectors.map((d) => [d.category, { paranoia: 1, monitor: false }])),
    paranoia: 1,
    variants: (value) => [{ value, layers: [] }, { value: value.replaceAll('%3C', '<'), layers: ['url'] }],
    isExcluded: () => false,
    ...overrides,
  };
}

const input = (value: string, location = 'query:q'): InspectedInput => ({ source: 'query', name: 'q', location, value });

/** A detector that counts its calls and reports `sqli-a` for values holding an `x`. */
function countingDetector(): { detector: Detector; calls: () => number } {
  let calls = 0;
  const detector: Detector = {
    category: 'sqli',
    detect(value, _context, report) {
      calls++;
      if (value.includes('x')) report({ ruleId: 'sqli-a', category: 'sqli', paranoia: 1, score: 5, message: '', matched: value });
    },
  };
  return { detector, calls: () => calls };
}

test('every variant is inspected; a rule is reported once per location, with its highest score', () => {
  const detector: Detector = {
    category: 'xss',
    detect(value, _context, report) {
      report({ ruleId: 'xss-x', category: 'xss', paranoia: 1, score: value.includes('<') ? 5 : 2, message: '', matched: value });
    },
  };
  const matches = inspectInputs([input('a%3Cb')], settings([detector]));
  assert.equal(matches.length, 1);
  assert.equal(matches[0]!.score, 5, 'the decoded variant scored higher');
  assert.deepEqual(matches[0]!.layers, ['url']);
  assert.equal(matches[0]!.location, 'query:q');
});

test('findings above the category paranoia are dropped; disabled categories do not run', () => {
  const detectors = [fake('sqli', 'x', [{ ruleId: 'sqli-a', paranoia: 1, score: 5 }, { ruleId: 'sqli-b', paranoia: 2, score: 5 }]), fake('xss', 'x', [{ ruleId: 'xss-a', paranoia: 1, score: 5 }])];
  const categories = new Map<Category, CategorySettings>([['sqli', { paranoia: 1, monitor: false }]]);
  const matches = inspectInputs([input('x')], settings(detectors, {}, categories));
  assert.deepEqual(matches.map((m) => m.ruleId), ['sqli-a']);
});

test('exclusions drop findings by rule, category and location', () => {
  const detectors = [fake('sqli', 'x', [{ ruleId: 'sqli-a', paranoia: 1, score: 5 }])];
  const matches = inspectInputs([input('x', 'body:$.a'), input('x', 'body:$.b')],
    settings(detectors, { isExcluded: (_rule, _category, location) => location === 'body:$.a' }));
  assert.deepEqual(matches.map((m) => m.location), ['body:$.b']);
});

test('anomaly score: each rule once at its highest score, monitored categories not at all', () => {
  const categories = new Map<Category, CategorySettings>([['sqli', { paranoia: 1, monitor: false }], ['xss', { paranoia: 1, monitor: true }]]);
  const base = { category: 'sqli' as Category, paranoia: 1 as const, message: '', matched: '', layers: [] };
  const score = anomalyScore([
    { ...base, ruleId: 'sqli-a', score: 3, location: 'query:a' },
    { ...base, ruleId: 'sqli-a', score: 5, location: 'query:b' },
    { ...base, ruleId: 'sqli-b', score: 2, location: 'query:a' },
    { ...base, ruleId: 'xss-a', category: 'xss', score: 5, location: 'query:a' },
  ], categories);
  assert.equal(score, 7);
});

test('empty values are skipped', () => {
  const detectors = [fake('sqli', '', [{ ruleId: 'sqli-a', paranoia: 1, score: 5 }])];
  assert.deepEqual(inspectInputs([input('')], settings(detectors)), []);
});

test('with a cache, a repeated value is inspected once and replayed with exclusions applied at its new location', () => {
  const { detector, calls: count } = countingDetector();
  const cache = new FindingMemo();
  const s = settings([detector], { cache, isExcluded: (_r, _c, location) => location === 'query:excluded' });
  const first = inspectInputs([input('x1', 'query:a')], s);
  const callsAfterFirst = count();
  const second = inspectInputs([input('x1', 'query:b'), input('x1', 'query:excluded')], s);
  assert.equal(count(), callsAfterFirst, 'no detector call for a cached value');
  assert.deepEqual(first.map((m) => m.location), ['query:a']);
  assert.deepEqual(second.map((m) => m.location), ['query:b']);
  assert.equal(second[0]!.score, 5);
  // A different source or name is a different key.
  inspectInputs([{ source: 'header', name: 'x', location: 'header:x', value: 'x1' }], s);
  assert.ok(count() > callsAfterFirst);
});

test('the finding memo stays bounded and keeps the values in use', () => {
  const memo = new FindingMemo(100);
  const at = { source: 'query' as const, name: 'q', isName: false };
  memo.set('kept', at, []);
  for (let i = 0; i < 1000; i++) {
    memo.set(`v${i}`, at, []);
    assert.ok(memo.get('kept', at), `the value in use survives generation turns (at ${i})`);
    assert.ok(memo.size <= 200, 'at most two generations are held');
  }
  assert.equal(memo.get('v0', at), undefined, 'a value unused for two generations is gone');
  assert.ok(memo.get('v999', at), 'the newest value is there');
  assert.equal(memo.get('v999', { ...at, name: 'other' }), undefined, 'the same value under another name is a miss');
  assert.equal(memo.get('v999', { ...at, isName: true }), undefined, 'the same text as a name is a miss');
});

test('a dotted capital I (whose lower case is longer) does not hide the payload after it', async () => {
  const { DETECTORS } = await import('./detect/index.ts');
  const { decodedVariants } = await import('./decode/variants.ts');
  const categories = new Map<Category, CategorySettings>(DETECTORS.map((d) => [d.category, { paranoia: 1, monitor: false }]));
  const settings: EngineSettings = { detectors: DETECTORS, categories, paranoia: 1, variants: (value, chars) => decodedVariants(value, undefined, chars), isExcluded: () => false };
  for (const [payload, category] of [
    ["\u0130;system('id');", 'php'], ['\u0130<?php echo 1; ?>', 'php'], ['\u0130 java.lang.Runtime x', 'java'],
    ['\u0130\u0130\u0130 new ProcessBuilder("id").start()', 'java'],
  ] as const) {
    const input: InspectedInput = { source: 'query', name: 'q', location: 'query:q', value: payload };
    const found = inspectInputs([input], settings).map((m) => m.category);
    assert.ok(found.includes(category), `${JSON.stringify(payload)}: ${found.join(', ')}`);
  }
});

test('a file sent as base64 in JSON is inspected in bounded time, and an attack beside it or inside it is still found', async () => {
  const { DETECTORS } = await import('./detect/index.ts');
  const { decodedVariants } = await import('./decode/variants.ts');
  const { extractJson } = await import('./extract/json.ts');
  const categories = new Map<Category, CategorySettings>(DETECTORS.map((d) => [d.category, { paranoia: 1, monitor: false }]));
  const settings: EngineSettings = { detectors: DETECTORS, categories, paranoia: 1, variants: (value, chars) => decodedVariants(value, undefined, chars), isExcluded: () => false };
  const bytes = Buffer.alloc(150 * 1024);
  let x = 88172645;
  for (let i = 0; i < bytes.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bytes[i] = x & 0xff; }
  const file = bytes.toString('base64'); // 200 KB of base64: an upload inside a JSON body
  const inspect = (doc: unknown) => {
    const extracted = extractJson(Buffer.from(JSON.stringify(doc)));
    assert.ok('inputs' in extracted);
    return inspectInputs(extracted.inputs, settings);
  };
  inspect({ name: 'warm-up.png', data: file.slice(0, 4096) });
  const before = process.cpuUsage();
  assert.deepEqual(inspect({ name: 'scan.png', data: file }), []);
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000;
  // ~20 ms of CPU on the development machine (~45 ms before the long-token work); the bound is wide for a loaded CI.
  assert.ok(cpuMs < 400, `${cpuMs.toFixed(0)} ms of CPU for a 200 KB base64 value`);
  const found = inspect({ name: '../../../../etc/passwd', data: file, note: file.slice(0, 5000) + "' OR 1=1 --" }).map((m) => m.category);
  assert.ok(found.includes('lfi') && found.includes('sqli'), found.join(', '));
});

test('a detector that declares the characters it needs is called only for values (and decoded forms) holding one', () => {
  const seen: string[] = [];
  const detector: Detector = {
    category: 'xss',
    needs: CH_LT,
    detect(value, _context, report) {
      seen.push(value);
      report({ ruleId: 'xss-x', category: 'xss', paranoia: 1, score: 5, message: '', matched: value });
    },
  };
  const matches = inspectInputs([input('plain text', 'query:a'), input('a%3Cb', 'query:b'), input('x<y', 'query:c')], settings([detector]));
  assert.deepEqual(seen, ['a<b', 'x<y'], 'the decoded `<` of a%3Cb counts; plain text and the raw a%3Cb are skipped');
  assert.deepEqual(matches.map((m) => [m.location, m.layers]), [['query:b', ['url']], ['query:c', []]]);
});

test('a body value is remembered from its second sighting; body values seen once are not stored', () => {
  const { detector, calls: count } = countingDetector();
  const cache = new FindingMemo();
  const s = settings([detector], { cache, variants: (value) => [{ value, layers: [] }] });
  const body = (value: string, location = 'body:$.a'): InspectedInput => ({ source: 'body', name: 'a', location, value });
  for (let i = 0; i < 500; i++) inspectInputs([body(`order-${i}`)], s);
  // Templated text that differs in one identifier (a note with its order number) is as unique as the identifier.
  const text = 'Leave the parcel with the concierge, or at the door if nobody answers; call before delivery. '.repeat(3);
  for (let i = 0; i < 500; i++) inspectInputs([body(`${text}(order ${40_000 + i}, ref ${i % 10})`, 'body:$.note')], s);
  // (A value may share its sighting bit with an earlier one: then it is looked up and stored. Rarely: 2^20 bits.)
  assert.ok(cache.size <= 5, `unique body values are not stored (${cache.size} of 1000 were)`);
  assert.equal(count(), 1000);
  const runs = [1, 2, 3, 4].map(() => {
    const before = count();
    const matches = inspectInputs([body('x-enum', 'body:$.status')], s);
    return { called: count() - before, matches: matches.map((m) => [m.ruleId, m.location]) };
  });
  assert.deepEqual(runs.map((r) => r.called), [1, 1, 0, 0], 'detected twice, then replayed from the memo');
  for (const run of runs) assert.deepEqual(run.matches, [['sqli-a', 'body:$.status']], 'the replay gives the same matches');
  // Long body text too, up to 1024 characters, when it comes again (a template, a retried request).
  const note = `x-note ${'long text '.repeat(90)}`;
  const noteRuns = [1, 2, 3].map(() => { const before = count(); inspectInputs([body(note, 'body:$.note')], s); return count() - before; });
  assert.deepEqual(noteRuns, [1, 1, 0]);
});

test('a remembered value does not keep the request body it was cut from alive', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const memo = new FindingMemo();
  const at = { source: 'body' as const, name: 'a', isName: false };
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50; i++) {
    // A non-ASCII body of a million characters (~2 MB), and a value and an excerpt that V8 keeps as views into it.
    const body = `{"a":"${'\u00e9'.repeat(10)}${i}"}${' '.repeat(1_000_000)}${i}`;
    const value = body.slice(6, 40);
    const finding = { ruleId: 'sqli-a', category: 'sqli' as const, paranoia: 1 as const, score: 5, message: '', matched: value.slice(2, 30) };
    memo.set(value, at, [{ finding, layers: [] }]);
  }
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  assert.equal(memo.size, 50);
  assert.ok(retained < 20e6, `the memo keeps ${(retained / 1e6).toFixed(1)} MB alive for 50 short values`);
  // The copies answer as the originals did: the value of body 7, built again, finds its excerpt.
  const again = `{"a":"${'\u00e9'.repeat(10)}7"}${' '.repeat(40)}`.slice(6, 40);
  assert.deepEqual(memo.get(again, at)?.map((c) => c.finding.matched), [again.slice(2, 30)]);
});

test('past maxInspectionMs the call throws InspectionTimeExceeded and remembers nothing; without it, it runs to the end', () => {
  // A detector that spends 3 ms on every value (a busy wait: the engine cannot pre-empt a detector, it reads the clock
  // between calls).
  let calls = 0;
  const slow: Detector = {
    category: 'sqli',
    detect(value, _context, report) {
      calls++;
      const until = performance.now() + 3;
      while (performance.now() < until) { /* busy */ }
      if (value.includes('x')) report({ ruleId: 'sqli-a', category: 'sqli', paranoia: 1, score: 5, message: '', matched: 'x' });
    },
  };
  // three short values the memo would keep, then forty long ones
  const values = [...['a', 'b', 'x'].map((v, i) => input(v, `query:s${i}`)),
    ...Array.from({ length: 40 }, (_, i) => input(`${i} ${'x'.repeat(20_000)}`, `query:p${i}`))];
  const memo = new FindingMemo();
  const limited = settings([slow], { variants: () => undefined, maxInspectionMs: 20, cache: memo });
  assert.throws(() => inspectInputs(values, limited), (error: unknown) => error instanceof InspectionTimeExceeded && error.elapsedMs > 20);
  assert.ok(calls < 43, `stopped after ${calls} of 43 values`);
  assert.equal(memo.size, 0, 'nothing of the stopped call is remembered');
  calls = 0;
  const unlimited = settings([slow], { variants: () => undefined, cache: memo });
  assert.equal(inspectInputs(values, unlimited).length, 41);
  assert.equal(calls, 43);
  assert.equal(memo.size, 3, 'a call that ends remembers its short values');
});
