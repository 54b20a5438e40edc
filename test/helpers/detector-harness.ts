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
