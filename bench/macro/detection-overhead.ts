/**
 * Macro benchmark: what attack detection costs, measured inside ONE Portcullis process. The bench policy (the
 * quickstart routes and protections, see bench-processes.ts) is served twice: as it is, with detection on, and under
 * `/off/...` with `attackDetection.enabled: false` on every route. Each scenario of scenarios.ts is sent to both, in
 * alternating order over the rounds, so that both sides share the process, its JIT and heap state and the machine's
 * mood of the moment.
 *
 * Why one process: on this kind of machine a fresh gateway process settles into one of two states for its whole life
 * (the same code measured 340 or 590 µs of CPU per 1 KB POST, with detection off, from one start to the next), so two
 * separately started gateways can differ by more than detection itself costs. Within one process the ratio holds.
 *
 *   node bench/macro/detection-overhead.ts [--connections 50] [--duration 5] [--warmup 2] [--rounds 3]
 *                                          [--scenario NAME ...] [--generator wrk|autocannon] [--json FILE] [--cpu-prof DIR]
 *
 * Prints, per scenario, req/s and CPU µs per request with detection on and off and their ratios (the issue's target:
 * detection on keeps at least 70 % of the throughput without it). Exits 1 when a request failed or got an error
 * status.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchPolicy, cpuSeconds, killAllChildrenNow, loadOptions, loadSettings, startGateway, startUpstream, stopAllChildren } from './bench-processes.ts';
import { createGenerator, GENERATORS, type LoadGenerator } from './load-generators.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';

const OFF_PREFIX = '/off';

const usage = `usage: node bench/macro/detection-overhead.ts [options]
  --connections N   concurrent connections (default 50)
  --duration S      seconds per scenario, side and round (default 5)
  --warmup S        discarded seconds per scenario and side before the first round (default 2)
  --rounds N        rounds; each measures both sides of every scenario, in alternating order (default 3)
  --scenario NAME   only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --generator NAME  wrk or autocannon (default: wrk when on PATH)
  --json FILE       also write the results as JSON
  --cpu-prof DIR    run Portcullis with --cpu-prof`;

/** The bench policy with every route repeated under OFF_PREFIX with attack detection switched off. */
export function detectionPolicy(upstreamUrl: string, logDir: string): Record<string, unknown> {
  const policy = benchPolicy(upstreamUrl, logDir);
  const routes = policy.routes as Array<Record<string, unknown>>;
  const off = routes.map((route) => ({
    ...route,
    name: `${String(route.name)}-off`,
    path: OFF_PREFIX + String(route.path),
    protections: { ...(route.protections as Record<string, unknown> | undefined), attackDetection: { enabled: false } },
  }));
  // The catch-all stays last: the routes under /off come before it.
  return { ...policy, routes: [...off, ...routes] };
}


interface Side { rps: number[]; cpuUs: number[]; p99: number[] }

const mean = (values: number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

async function main(): Promise<number> {
  const { values: args } = parseArgs({ options: { ...loadOptions({ duration: 5, rounds: 3 }), 'cpu-prof': { type: 'string' }, scenario: { type: 'string', multiple: true } }, strict: true });
  if (args.help) { process.stdout.write(usage + '\n'); return 0; }
  const { connections, duration, warmup, rounds } = loadSettings(args, usage);
  const scenarios: Scenario[] = args.scenario ? args.scenario.map((name) => {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) { process.stderr.write(`unknown scenario "${name}"\n\n${usage}\n`); process.exit(2); }
    return scenario;
  }) : SCENARIOS;
  const generatorChoice = (args.generator ?? 'auto') as 'auto' | typeof GENERATORS[number];

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-detection-'));
  try {
    const generator: LoadGenerator = await createGenerator({ generator: generatorChoice, workDir, pin: 'none' });
    process.stdout.write(`Attack detection overhead, one process, ${new Date().toISOString()}\n`);
    process.stdout.write(`machine: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`generator: ${generator.description}; ${connections} connections, ${duration} s per run, ${warmup} s warm-up, ${rounds} round(s)\n\n`);

    const upstream = await startUpstream();
    const nodeFlags = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    const gateway = await startGateway({ policy: detectionPolicy(upstream.url, workDir), workDir, nodeFlags });

    // Pre-flight: both sides answer 2xx, so that the numbers measure real forwarding.
    for (const scenario of scenarios) {
      for (const prefix of ['', OFF_PREFIX]) {
        const response = await fetch(gateway.url + prefix + scenario.path, { method: scenario.method, headers: scenario.headers, body: scenario.body });
        const text = await response.text();
        if (response.status < 200 || response.status > 299) throw new Error(`${scenario.name} at ${prefix || '/'}: status ${response.status}: ${text.slice(0, 300)}`);
      }
    }

    let failures = 0;
    const results = new Map<string, { on: Side; off: Side }>();
    for (const scenario of scenarios) {
      const sides = { on: { rps: [], cpuUs: [], p99: [] } as Side, off: { rps: [], cpuUs: [], p99: [] } as Side };
      results.set(scenario.name, sides);
      const variant = (side: 'on' | 'off'): Scenario => ({ ...scenario, path: (side === 'off' ? OFF_PREFIX : '') + scenario.path });
      if (warmup > 0) {
        for (const side of ['on', 'off'] as const) {
          const warm = await generator.start({ url: gateway.url, scenario: variant(side), connections, seconds: warmup }).result;
          failures += warm.errors + warm.non2xx;
        }
      }
      for (let round = 1; round <= rounds; round++) {
        const order: Array<'on' | 'off'> = round % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
        for (const side of order) {
          const before = cpuSeconds(gateway.child.pid);
          const r = await generator.start({ url: gateway.url, scenario: variant(side), connections, seconds: duration }).result;
          const after = cpuSeconds(gateway.child.pid);
          failures += r.errors + r.non2xx;
          const rps = r.requests / r.seconds;
          sides[side].rps.push(rps);
          sides[side].p99.push(r.p99Ms);
          const cpu = before !== undefined && after !== undefined && r.requests > 0 ? (after - before) * 1e6 / r.requests : undefined;
          if (cpu !== undefined) sides[side].cpuUs.push(cpu);
          process.stdout.write(`  round ${round} ${scenario.name.padEnd(13)} detection ${side.padEnd(3)} ${Math.round(rps).toString().padStart(6)} req/s  p99 ${r.p99Ms.toFixed(1)} ms  CPU ${cpu === undefined ? '-' : Math.round(cpu)} us/req  errors ${r.errors + r.non2xx}\n`);
        }
      }
    }
    await stopAllChildren();

    const rows = scenarios.map((scenario) => {
      const { on, off } = results.get(scenario.name)!;
      const cpuOn = mean(on.cpuUs);
      const cpuOff = mean(off.cpuUs);
      return {
        scenario: scenario.name,
        onRequestsPerSecond: mean(on.rps), offRequestsPerSecond: mean(off.rps), throughputRatio: mean(on.rps) / mean(off.rps),
        onCpuUsPerRequest: cpuOn, offCpuUsPerRequest: cpuOff, cpuRatio: cpuOff / cpuOn,
        roundRatios: on.rps.map((rps, k) => rps / off.rps[k]!),
      };
    });
    process.stdout.write('\nscenario       on req/s  off req/s  on/off   CPU us/req on  off  off/on   per-round on/off\n');
    for (const row of rows) {
      process.stdout.write(`${row.scenario.padEnd(13)} ${Math.round(row.onRequestsPerSecond).toString().padStart(9)}  ${Math.round(row.offRequestsPerSecond).toString().padStart(9)}  ${(row.throughputRatio * 100).toFixed(0).padStart(5)} %`
        + `  ${Math.round(row.onCpuUsPerRequest).toString().padStart(12)}  ${Math.round(row.offCpuUsPerRequest).toString().padStart(4)}  ${(row.cpuRatio * 100).toFixed(0).padStart(4)} %   ${row.roundRatios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}\n`);
    }
    process.stdout.write('(target: detection on keeps at least 70 % of the throughput without it)\n');
    if (args.json) {
      await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), connections, duration, rounds, generator: generator.details, rows }, null, 2) + '\n');
    }
    if (failures > 0) { process.stderr.write(`FAILED: ${failures} request(s) errored or got an error status\n`); return 1; }
    return 0;
  } finally {
    await stopAllChildren();
    await rm(workDir, { recursive: true, force: true });
  }
}

process.on('exit', killAllChildrenNow);
process.exitCode = await main();
