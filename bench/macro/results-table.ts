/** Measurement records of the macro benchmark and their text tables. */

/** `direct`: the upstream itself; `portcullis`: through Portcullis; `baseline`: through a minimal Node proxy. */
export const TARGETS = ['direct', 'portcullis', 'baseline'] as const;
export type Target = typeof TARGETS[number];

export interface Measurement {
  scenario: string;
  target: Target;
  round: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Socket errors and timeouts together. */
  errors: number;
  statusCodes: Record<string, number>;
  /**
   * CPU of the process that answered the load (the upstream for direct, Portcullis, the baseline proxy), all its
   * threads, from /proc (Linux only; 10 ms resolution): microseconds per completed request, and cores used on
   * average. Unlike req/s, CPU per request hardly moves when other work competes for the machine.
   */
  serverCpuUsPerRequest?: number;
  serverCpuCores?: number;
}

export interface TargetSummary {
  target: Target;
  rounds: number;
  /** Mean over rounds. */
  requestsPerSecond: number;
  /** Median over rounds of each round's percentile. */
  p50Ms: number;
  p99Ms: number;
  /** requestsPerSecond / the direct target's (absent for direct itself or without a direct measurement). */
  ratioToDirect?: number;
  /** Mean over rounds, when measured. */
  serverCpuUsPerRequest?: number;
  serverCpuCores?: number;
}

export interface ScenarioSummary { scenario: string; targets: TargetSummary[] }

const mean = (values: number[]) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function summarise(measurements: Measurement[], scenarios: string[], targets: readonly Target[]): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const summaries = targets.map((target): TargetSummary => {
      const runs = measurements.filter((m) => m.scenario === scenario && m.target === target);
      const summary: TargetSummary = {
        target, rounds: runs.length,
        requestsPerSecond: mean(runs.map((m) => m.requestsPerSecond)),
        p50Ms: median(runs.map((m) => m.p50Ms)),
        p99Ms: median(runs.map((m) => m.p99Ms)),
      };
      const cpu = runs.filter((m) => m.serverCpuUsPerRequest !== undefined);
      if (cpu.length > 0) {
        summary.serverCpuUsPerRequest = mean(cpu.map((m) => m.serverCpuUsPerRequest!));
        summary.serverCpuCores = mean(cpu.map((m) => m.serverCpuCores!));
      }
      return summary;
    });
    const direct = summaries.find((s) => s.target === 'direct');
    if (direct) for (const s of summaries) if (s !== direct) s.ratioToDirect = s.requestsPerSecond / direct.requestsPerSecond;
    return { scenario, targets: summaries };
  });
}

function table(header: string[], rows: string[][], leftAligned: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftAligned ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : '-');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const ratio = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n.toFixed(2) : '');

/** One row per measured run; proxied rows carry the ratio to the direct run of the same scenario and round. */
export function runsTable(measurements: Measurement[]): string {
  const rows = measurements.map((m) => {
    const direct = measurements.find((d) => d.scenario === m.scenario && d.round === m.round && d.target === 'direct');
    const r = m.target !== 'direct' && direct ? ratio(m.requestsPerSecond / direct.requestsPerSecond) : '';
    return [m.scenario, m.target, String(m.round), int(m.requestsPerSecond), ms(m.p50Ms), ms(m.p99Ms), String(m.non2xx), String(m.errors), r];
  });
  return table(['scenario', 'target', 'round', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'ratio'], rows, 2);
}

/** One row per scenario and target over all rounds. */
export function summaryTable(summaries: ScenarioSummary[]): string {
  const rows = summaries.flatMap((s) => s.targets.map((t) => [
    s.scenario, t.target, int(t.requestsPerSecond), ms(t.p50Ms), ms(t.p99Ms), ratio(t.ratioToDirect),
  ]));
  return table(['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'ratio'], rows, 2);
}

/** CPU of the process under load per scenario and target (empty when not measured, e.g. not on Linux). */
export function cpuTable(summaries: ScenarioSummary[]): string {
  const rows = summaries.flatMap((s) => s.targets.filter((t) => t.serverCpuUsPerRequest !== undefined).map((t) => [
    s.scenario, t.target, t.target === 'direct' ? 'upstream' : t.target === 'portcullis' ? 'Portcullis' : 'baseline proxy',
    int(t.serverCpuUsPerRequest!), (t.serverCpuCores!).toFixed(2),
  ]));
  return rows.length === 0 ? '' : table(['scenario', 'target', 'process', 'CPU us/request', 'cores used'], rows, 3);
}
