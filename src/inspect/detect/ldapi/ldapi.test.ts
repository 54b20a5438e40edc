import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../finding.ts';
import { ldapiDetector as detector } from './ldapi.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'user' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks = [
  '*)(uid=*))(|(uid=*',
  'admin)(&(objectClass=*)',
  'admin*)((|userPassword=*)',
  'admin)(|(password=*)',
  'jdoe)(cn>=a)',
  'x)(mail~=*@example.org',
  'x) (|(uid=*))',
  'x)\t(\t&',
  'x)(|',
  'bar)(&)',
  'val)&(cn=admin',
  'val)|(uid=*',
  '*)!(sn=*',
  'a))(&(objectClass=*',
  'admin)\u0000',
  '*(|(objectclass=*))',
  '(|(uid=*)(cn=*))',
  '(&(uid=admin)(!(&(1=0)(userPassword=q))))',
  'userPassword:2.5.13.18:=123',
  'unicodePwd:dn:=x',
  '(&(objectClass=user)(userPassword=*))',
  'john)(givenName;lang-en=*',
];

const benign = [
  '(see above)',
  'a*b',
  'john.doe@example.com',
  '(a)(b)',
  'Some text (with a remark) and (another one).',
  '1) a-b=c',
  ')I would like to request information about the address: (#)saddr',
  'I would like to request the bin with app_id: (]',
  '(a b)*c',
  '(1 2) (3 4)',
  'foo|bar',
  '[link](https://example.com/?a=1&b=2)',
  'f(x) = (a+b)*(c-d)',
  'smile :) (wink)',
  'time=12:30:45',
  'x := y + 1',
  '(objectSID=S-1-5-21-73586283-152049171-839522115-1111)',
  '(&(objectCategory=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))',
  'price (USD)=5',
  'func(a=1)(b=2)',
];

test('LDAP injections are found at paranoia 1', () => {
  for (const v of attacks) {
    const fs = pl1(run(v));
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(v)}`);
    for (const f of fs) {
      assert.equal(f.category, 'ldapi');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('parentheses in prose and ordinary filters give nothing at paranoia 1', () => {
  for (const v of benign) assert.deepEqual(pl1(run(v)), [], `false positive: ${v}`);
});

test('a whole filter without probes is paranoia 2 or 3', () => {
  const fs = run('(&(objectCategory=person)(sn=Smith))');
  assert.equal(fs.length, 1);
  assert.equal(fs[0]!.paranoia, 3);
});

test('linear time; never throws', () => {
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += '()&|!=*:~<>uid1.2 \u0000'[Math.floor(Math.random() * 21)] ?? '';
    run(s);
  }
  const inputs = [
    'Some text (with a remark) and (another one) and more words. '.repeat(3400),
    '('.repeat(200000),
    ')'.repeat(200000),
    ')('.repeat(100000),
    '(a'.repeat(100000),
    ':=:'.repeat(60000),
    '(1.2.3.4.5.6.7.8.9.'.repeat(10000),
    'a:b:c:d:'.repeat(25000) + ':=',
  ];
  for (const v of inputs) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 12)}`);
  }
});
