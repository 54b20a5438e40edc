import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { check } from 'recheck';
import { ROOT } from '../helpers/cli.ts';

interface Found { file: string; line: number; source: string; flags: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every regular-expression literal and every `new RegExp(...)` in the shipped sources, found by the TS parser. */
function findPatterns(): { literals: Found[]; constructed: Found[] } {
  const literals: Found[] = [];
  const constructed: Found[] = [];
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      const line = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      const where = relative(ROOT, file);
      if (ts.isRegularExpressionLiteral(node)) {
        const last = node.text.lastIndexOf('/');
        literals.push({ file: where, line, source: node.text.slice(1, last), flags: node.text.slice(last + 1) });
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
        constructed.push({ file: where, line, source: node.getText(sf), flags: '' });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { literals, constructed };
}

/**
 * recheck's verdict on a pattern. Patterns with large bounded repeats go to its fuzz checker, which works against a
 * time budget: on a loaded machine it can run out (`unknown`) or judge from a cut-short search. A pattern that is not
 * found safe is checked once more with a larger budget, and that second verdict counts: a vulnerable pattern is
 * found vulnerable again.
 */
async function verdict(source: string, flags: string): Promise<Awaited<ReturnType<typeof check>>> {
  const first = await check(source, flags, { timeout: 10_000 });
  return first.status === 'safe' ? first : check(source, flags, { timeout: 60_000 });
}

test('every regular expression in src/ is free of catastrophic backtracking (recheck)', async () => {
  const { literals } = findPatterns();
  assert.ok(literals.length >= 10, `found only ${literals.length} patterns: the scan is broken`);
  const unsafe: string[] = [];
  for (const pattern of literals) {
    const result = await verdict(pattern.source, pattern.flags);
    if (result.status !== 'safe') {
      unsafe.push(`${pattern.file}:${pattern.line} /${pattern.source}/${pattern.flags}: ${result.status}` +
        ('complexity' in result && result.complexity ? ` (${result.complexity.type})` : ''));
    }
  }
  assert.deepEqual(unsafe, []);
});

/** Every `pattern` keyword in the policy schema: ajv compiles them into regular expressions at load. */
function schemaPatterns(node: unknown, path = '', found: { path: string; source: string }[] = []): { path: string; source: string }[] {
  if (node === null || typeof node !== 'object') return found;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'pattern' && typeof value === 'string') found.push({ path, source: value });
    else schemaPatterns(value, `${path}/${key}`, found);
  }
  return found;
}

test('every pattern in the policy schema is free of catastrophic backtracking (recheck)', async () => {
  const { PolicySchema } = await import('../../src/config/policy-schema.ts');
  const patterns = schemaPatterns(PolicySchema);
  assert.ok(patterns.length >= 5, `found only ${patterns.length} schema patterns`);
  const unsafe: string[] = [];
  for (const pattern of patterns) {
    const result = await verdict(pattern.source, 'u');
    if (result.status !== 'safe') unsafe.push(`${pattern.path}: /${pattern.source}/ ${result.status}`);
  }
  assert.deepEqual(unsafe, []);
});

test('the checker itself flags a known exponential pattern', async () => {
  const result = await check('^(a|aa)+$', '');
  assert.equal(result.status, 'vulnerable');
  assert.equal((await verdict('^(a|aa)+$', '')).status, 'vulnerable', 'the second look keeps a vulnerable verdict');
  assert.equal((await verdict(String.raw`^\d{1,400}(?:\.\d{1,400})?$`, '')).status, 'safe', 'and clears a safe one');
});

test('no pattern is built at run time from strings (they could not be checked here)', () => {
  const { constructed } = findPatterns();
  assert.deepEqual(constructed.map((c) => `${c.file}:${c.line} ${c.source}`), []);
});
