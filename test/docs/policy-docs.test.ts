import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';

const SCRIPT = 'scripts/generate-policy-docs.ts';

function runGenerator(args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

test('docs/policy.md matches the policy schema (run: node scripts/generate-policy-docs.ts)', () => {
  const result = runGenerator(['--check']);
  assert.equal(result.status, 0, `docs/policy.md is out of date or the generator failed:\n${result.stderr}`);
});

test('the check fails on a page that differs from the schema', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-docs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'policy.md');
  assert.equal(runGenerator(['--file', file]).status, 0);
  assert.equal(runGenerator(['--check', '--file', file]).status, 0, 'a freshly written page is up to date');

  writeFileSync(file, readFileSync(file, 'utf8').replace('Longest request target', 'Longest request line'));
  const stale = runGenerator(['--check', '--file', file]);
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /out of date/);
});
