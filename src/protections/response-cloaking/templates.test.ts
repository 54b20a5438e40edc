import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, matchesAt, templateLength, type CompiledTemplate } from './templates.ts';

function compiled(source: string): CompiledTemplate {
  const result = compileTemplate(source);
  if ('error' in result) throw new Error(`${source}: ${result.error}`);
  return result;
}

describe('templates', () => {
  const cases: [string, string, boolean][] = [
    ['###-###-######', '110-234-567890', true],
    ['###-###-######', '110-234-56789', false],
    ['###-###-######', '110 234 567890', false],
    ['#{6}-##-#{6}', '123456-01-123456', true],
    ['AB-####', 'ab-1234', true],
    ['A#X', 'q7z', true],
    ['A#X', 'q7-', false],
    ['##\\###', '12#34', true],
    ['\\A##', 'a12', true],
    ['\\A##', 'b12', false],
  ];
  for (const [source, text, expected] of cases) {
    test(`${source} ${expected ? 'matches' : 'does not match'} ${text}`, () => assert.equal(matchesAt(compiled(source), text, 0), expected));
  }

  test('repeats expand', () => assert.equal(templateLength(compiled('#{6}-##-#{6}')), 16));

  test('bad templates are reported', () => {
    for (const [source, message] of [
      ['-##', /start and end/], ['##-', /start and end/], ['abc', /only match itself/], ['#{x}', /"\{n\}"/], ['#{0}', /at least 1/],
      ['-{3}', /must follow/], ['##}', /unmatched/], ['#\\', /ends with/], ['#{2}{3}', /must follow/], ['#{200}', /longer than 128/],
      ['#{99}#{40}', /longer than 128/],
    ] as const) {
      const result = compileTemplate(source);
      assert.ok('error' in result, source);
      assert.match(result.error, message, source);
    }
  });
});
