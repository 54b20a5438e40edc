import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { prototypePollutionDetector as detector } from './prototype-pollution.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const NAME = { isName: true } as const;
const attacks: [string, Partial<DetectorContext>][] = [
  ['__proto__[isAdmin]', NAME],
  ['a[__proto__][polluted]', NAME],
  ['__proto__.toString', NAME],
  ['a.__PROTO__.b', NAME],
  ['constructor[prototype][admin]', NAME],
  ['x[constructor][prototype][y]', NAME],
  // nested so that a filter deleting the word once leaves it
  ['__pro__proto__to__[isAdmin]', NAME],
  ['constconstructorructor[protoprototypetype][isAdmin]', NAME],
  ['constructor.prototype.isAdmin', NAME],
  ['__proto__', { isName: true, source: 'body' }],
  ['__proto__', { source: 'path', name: '' }],
  ['["__proto__"]["x"]', NAME],
  ['{"__proto__": {"isAdmin": true}}', {}],
  ['{"a":1,"__proto__":{"b":2}}', { source: 'body' }],
  ["obj['__proto__']['polluted'] = 1", {}],
  ['?__proto__[test]=1', {}],
  ['a=1&__proto__.x=1', {}],
  ['{"constructor": {"prototype": {"isAdmin": true}}}', {}],
  ['constructor[prototype][x]=1', {}],
  ['x.constructor.prototype.y=1', {}],
  ['__proto__=polluted', {}],
];

const benign: [string, Partial<DetectorContext>][] = [
  ['The prototype was shown at the fair.', {}],
  ['A constructor builds the object; its prototype chain is documented.', {}],
  ['prototype', NAME],
  ['constructor', NAME],
  ['user[name]', NAME],
  ['{"name":"x","prototype":"v2 board"}', { source: 'body' }],
  ['function Foo() {} Foo.prototype.bar = 1', { source: 'body', name: 'code' }],
  ['proto_version=2', {}],
  ['hello world', {}],
  ['Object.getPrototypeOf(x)', {}],
  ['my__proto__name', {}],
];

test('prototype pollution attacks are found at paranoia 1', () => {
  for (const [value, ctx] of attacks) {
    const fs = pl1(run(value, ctx));
    assert.ok(fs.length > 0, `missed: ${value}`);
    for (const f of fs) {
      assert.equal(f.category, 'prototype-pollution');
      assert.ok(f.ruleId.startsWith('prototype-pollution-'));
      assert.ok(f.matched.length <= 120);
      assert.equal(f.score, 5);
    }
  }
});

test('benign values that look like prototype pollution give nothing at paranoia 1', () => {
  for (const [value, ctx] of benign) assert.deepEqual(pl1(run(value, ctx)), [], `false positive: ${value}`);
});

test('the bare word in prose is a paranoia-3 notice only', () => {
  const fs = run('what does __proto__ mean in javascript');
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.paranoia, 3);
});

test('linear time on large and pathological inputs; never throws', () => {
  const prose = 'The constructor of the prototype shop sells __proto__ stickers and more. '.repeat(2800);
  const patho = '__proto__'.repeat(22000);
  const patho2 = 'constructor.'.repeat(17000);
  for (const v of [prose, patho, patho2]) {
    const ms = Math.max(bestOf(() => { run(v); }), bestOf(() => { run(v, { isName: true }); }));
    assert.ok(ms < 250, `slow: ${ms.toFixed(1)} ms`);
  }
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = 0; j < 20; j++) s += '_[].:"\' {}constructorprotoype'[Math.floor(Math.random() * 31)] ?? '';
    run(s);
    run(s, { isName: true });
  }
});
