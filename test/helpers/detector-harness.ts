import type { Detector, DetectorContext, Finding, InputSource } from '../../src/inspect/finding.ts';

/**
 * Shared scaffolding for detector tests: a runner that collects findings at paranoia 3 (tests filter by level),
 * and a CPU-time timer for the linear-time checks.
 */
export function detectorRunner(detector: Detector, defaults: { source: InputSource; name: string }) {
  return (value: string, ctx: Partial<DetectorContext> = {}): Finding[] => {
    const out: Finding[] = [];
    detector.detect(value, { source: defaults.source, name: defaults.name, isName: false, paranoia: 3, layers: [], ...ctx }, (f) => out.push(f));
    return out;
  };
}

/** Best of five runs, in CPU time of this process: the limit is for the work, not for a busy machine. */
export function cpuBestOf(fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}

/** `bytes` pseudo-random bytes (a fixed sequence) as base64: what a JSON API carries for a file. */
export function base64Blob(bytes: number): string {
  const b = Buffer.alloc(bytes);
  let x = 7;
  for (let k = 0; k < b.length; k++) { x = (x * 1103515245 + 12345) & 0x7fffffff; b[k] = x >> 16; }
  return b.toString('base64');
}

/** One megabyte each of base64, hex and a single letter: the long tokens files and digests bring. */
export function longTokens(): string[] {
  const blob = base64Blob(750_000);
  return [blob, Buffer.from(blob.slice(0, 500_000)).toString('hex').slice(0, 1_000_000), 'x'.repeat(1_000_000)];
}
