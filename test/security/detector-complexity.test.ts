import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DETECTORS } from '../../src/inspect/detect/index.ts';
import type { DetectorContext } from '../../src/inspect/finding.ts';
import { inspectInputs } from '../../src/inspect/engine.ts';
import { compileSettings } from '../../src/protections/attack-detection/attack-detection.ts';
import { createLocalStores } from '../../src/store/registry.ts';

/**
 * Every detector must run in time linear in the length of the value (finding.ts): a value that costs time
 * quadratic in its length lets one request hold the event loop for seconds (a 256 KiB value of `<?ph` repeated
 * took the XSS detector 53 s, one of `;` the SQL one 64 s, one of `/*$` the PHP one over half a minute, before the
 * fixes this test came with).
 *
 * Each detector reads values made by repeating short units: markup, quotes, brackets, separators, escapes and the
 * words detectors key on, alone and in pairs (the shapes that made a scan restart from each occurrence and read to
 * the end), in a query parameter and in a body field. A value of 32 KB that takes more than 6 ms is timed at 64 KB
 * and at 256 KB: linear work grows about four times from there, quadratic work sixteen; more than nine fails when
 * the larger takes over 50 ms (as does a second over 64 KB). (CPU time, best of two: the ratio is for
 * the work, not for a busy machine.)
 */

const UNITS = [
  // markup: tags, processing instructions, comments, raw-text elements, attributes
  '<a', '<a<a', '<a ', '<a href="', '<a href=<script>', '=><a<a', '<?ph', '<?xml', '<?', '<!--', '<![C', '<!DOCTYPE',
  '<script>', '</script>', '</script><svg', '<style>', '<style>/*', '<style>한글', '<%=<style>', '<iframe', '%><iframe',
  '<svg/onload', ' onload=alert(1)', '<!--#exec', '<x:y', '<a:b', '&lt;', '&#x', '&#', '<a style=/*>', '<style></style>',
  '<animate values=a>', '<!DOCTYPE a[%%%%', '<!DOCTYPE a[',
  // JavaScript: strings and regular expressions that never close, a class that hides every later `/`
  '\\\'', '\\"', '[/', 'alert(1);[/', '../eval[(',
  // quotes, brackets and separators
  "'or'", '"+"', '\'"`', 'a\'b"c`d', '((((', ')))(', ')))(`1`', '`a`b', '`a`bselect(', '`a`bmro()', '[[[[', '{{{{', '${${',
  '$(((', '/*$', '$/*', '/*<?php\tldap', ';', '\n;#', ';ls;', ' \n', '\n ', '\t\n', 'href=', '|id|', '||id|', '&&', 'a=a&', '::::', ',,,,', '/*/*', '-- ', '#\n', '\n\r\n', '\\\\',
  // paths and URLs
  '../', '..//', '\\..\\', '/etc/passwd ', 'etc/passwd|id|', '(1)etc/passwd', '""/dev/tcp/', 'base64_decode(/dev/tcp/',
  '..;/', 'file:..;/', 'http://', 'http://169.254.169.254', 'and.exe%http://', 'data://@import', 'php://',
  // escapes and encodings
  '%25%', '%u00', '\\u00', '\\x', '0x41', 'rO0A', 'aced0005', 'H4sI',
  // words and calls detectors key on
  'or 1', '1=1 ', 'union select 1,', 'select(', 'sleep(', 'char(', 'eval(', 'alert(', 'javascript:', 'expression(',
  'url(', '@import', 'constructor', '__proto__[', '${jndi:', '#{', '{%', '*{', 'T(', 'getClass()', '.exec(',
  'cmd /c ', 'for /f ', 'if exist ', 'powershell -e ', 'nc -e', 'id;', '$where', '[$ne]', '(|(', '*)(', 'O:8:',
  'at java.a(', '$_GET#', '$#', 'ab//(', 'src=\n#{&lt', "'/*::x' ", "'#::x' ",
  '```\nid\n', '\n\n    ls -l', 'one two three\n```\nls -la\n```\n', 'a b\n\n<img ',
  'Set-Cookie:', 'jsessionid=', 'PHPSESSID=', '${IFS}', '/bin/sh', '<java', 'ProcessBuilder', 'class.', 'Runtime',
  // text
  ' ', 'a', 'é', '한글', '\u0000',
];

/** Values that are not one unit repeated: a long leading run, then many short pieces. */
const SHAPES: Array<[string, (length: number) => string]> = [
  ['blanks, then ;id repeated', (n) => ' '.repeat(n / 2) + repeatTo(';id', n / 2)],
  ['quote pairs, then ;id repeated', (n) => '""'.repeat(n / 4) + repeatTo(' ;id', n / 2)],
  ['a long token, then markup after blank lines', (n) => 'x'.repeat(n / 2) + repeatTo(' \n\n<img', n / 2)],
];

/** A query parameter and a body field: some paths depend on where the value is (a line break ends a header line). */
const CONTEXTS: DetectorContext[] = [
  { source: 'query', name: 'q', isName: false, paranoia: 3, layers: [] },
  { source: 'body', name: 'comment', isName: false, paranoia: 3, layers: [] },
];
const noop = (): void => {};

function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function cpuMs(fn: () => void, runs: number): number {
  let best = Infinity;
  for (let k = 0; k < runs; k++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}

test('every detector runs in time linear in the value on repeated pathological units', () => {
  const superlinear: string[] = [];
  const values: Array<[string, (length: number) => string]> = [
    ...UNITS.map((unit): [string, (length: number) => string] => [JSON.stringify(unit), (n) => repeatTo(unit, n)]),
    ...SHAPES,
  ];
  for (const detector of DETECTORS) {
    for (const [unit, make] of values) {
      const large = make(256 * 1024);
      const small = make(64 * 1024);
      const probe = make(32 * 1024);
      for (const context of CONTEXTS) {
        detector.detect(large.slice(0, 2048), context, noop); // warm-up
        const probeMs = cpuMs(() => detector.detect(probe, context, noop), 1);
        if (probeMs < 6) continue;
        if (probeMs > 250) { // (linear detectors read 32 KB in a few milliseconds: no need to wait for 256 KB)
          superlinear.push(`${detector.category} on ${unit} in ${context.source}: 32 KB ${probeMs.toFixed(1)} ms`);
          continue;
        }
        // four times the length: linear work takes about four times as long, quadratic sixteen
        let smallMs = cpuMs(() => detector.detect(small, context, noop), 2);
        let largeMs = smallMs > 1000 ? Infinity : cpuMs(() => detector.detect(large, context, noop), 2);
        // (a ratio past the bound is measured once more, both sizes: on a loaded machine one collection of garbage in
        // both runs of the larger value made a linear detector look quadratic; a quadratic one stays past it)
        if (largeMs > 9 * smallMs && largeMs > 50 && largeMs !== Infinity) {
          smallMs = Math.min(smallMs, cpuMs(() => detector.detect(small, context, noop), 2));
          largeMs = Math.min(largeMs, cpuMs(() => detector.detect(large, context, noop), 2));
        }
        // (and a time that matters: below 50 ms the ratio of two short runs is mostly noise)
        if (largeMs > 9 * smallMs && largeMs > 50) {
          superlinear.push(`${detector.category} on ${unit} in ${context.source}: 64 KB ${smallMs.toFixed(1)} ms, 256 KB ${largeMs.toFixed(1)} ms`);
        }
      }
    }
  }
  assert.deepEqual(superlinear, []);
});

test('the whole engine inspects a 256 KiB value of any of those units at paranoia 1 in well under a second', () => {
  // The engine's default longest value (maxValueBytes): decoding layers and every detector, as a request gets them.
  // (no inspection time limit: the detectors' own time is what is measured)
  const settings = compileSettings({ maxInspectionMs: 0 }, { policy: {} as never, stores: createLocalStores(), scope: 'global', issue: () => {} });
  const slow: string[] = [];
  for (const unit of UNITS) {
    const value = repeatTo(unit, 256 * 1024);
    const ms = cpuMs(() => inspectInputs([{ source: 'body', name: 'q', location: 'body:$.q', value }], { ...settings, cache: undefined }), 1);
    if (ms > 750) slow.push(`${JSON.stringify(unit)}: ${ms.toFixed(0)} ms`);
  }
  assert.deepEqual(slow, []);
});
