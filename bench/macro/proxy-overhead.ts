/**
 * Macro benchmark: throughput and latency of small requests sent straight to an upstream and through
 * Portcullis (one worker, quickstart policy, access log to a file), interleaved in the same run.
 *
 *   npm run bench -- [--connections 50] [--duration 10] [--warmup 2] [--rounds 2] [--json FILE]
 *                    [--scenario NAME ...] [--target direct,portcullis[,baseline]] [--cpu-prof DIR]
 *                    [--generator wrk|autocannon] [--pin-generator CPU|none] [--disable PROTECTION ...]
 *
 * The upstream and Portcullis run as child processes; the load comes from wrk (a child process) when it is on
 * PATH, else from autocannon in this process. Exits 1 when any request errored or got a non-2xx answer.
 * See docs/performance.md.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { benchPolicy, cpuSeconds, killAllChildrenNow, repoRoot, startBaselineProxy, startGateway, startUpstream, stopAllChildren, stopChild } from './bench-processes.ts';
import { createGenerator, GENERATORS, type LoadGenerator, type LoadResult, type LoadRun } from './load-generators.ts';
import { cpuTable, runsTable, summaryTable, summarise, TARGETS, type Measurement, type Target } from './results-table.ts';

const usage = `usage: npm run bench -- [options]
  --connections N   concurrent connections (default 50)
  --duration S      seconds measured per scenario, target and round (default 10; whole seconds with wrk)
  --warmup S        seconds of discarded load before the first round of each scenario and target (default 2; 0: none)
  --rounds N        direct/portcullis alternations per scenario (default 2)
  --scenario NAME   only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --target LIST     comma-separated targets, measured in this order each round (default direct,portcullis):
                      direct (the upstream), portcullis, baseline (a minimal node:http + undici proxy)
  --generator NAME  wrk or autocannon (default: wrk when on PATH, else autocannon)
  --pin-generator CPU  with wrk: run it under \`taskset -c CPU\` (default none: not pinned; on 2 cores pinning
                    measured slightly lower, the gateway then often shares wrk's core)
  --disable NAME    switch a protection off in the bench policy (repeatable), e.g. attackDetection, to see its cost
  --json FILE       also write the results as JSON
  --cpu-prof DIR    run Portcullis with --cpu-prof, profiles written to DIR when it exits
  --keep-logs       keep the temporary directory with the policy and Portcullis's logs`;

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    scenario: { type: 'string', multiple: true },
    target: { type: 'string', default: 'direct,portcullis' },
    json: { type: 'string' },
    generator: { type: 'string' },
    disable: { type: 'string', multiple: true },
    'pin-generator': { type: 'string', default: 'none' },
    'cpu-prof': { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) { process.stdout.write(usage + '\n'); process.exit(0); }

function positive(name: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    process.stderr.write(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"\n\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

const connections = Math.floor(positive('connections', args.connections));
let duration = positive('duration', args.duration);
let warmup = positive('warmup', args.warmup, true);
const rounds = Math.floor(positive('rounds', args.rounds));
const targets = [...new Set(args.target.split(',').map((t) => t.trim()))] as Target[];
if (targets.length === 0 || targets.some((t) => !TARGETS.includes(t))) {
  process.stderr.write(`--target takes a comma-separated list of ${TARGETS.join(', ')}\n\n${usage}\n`);
  process.exit(2);
}
const generatorChoice = (args.generator ?? 'auto') as 'auto' | typeof GENERATORS[number];
if (generatorChoice !== 'auto' && !GENERATORS.includes(generatorChoice)) {
  process.stderr.write(`--generator takes ${GENERATORS.join(' or ')}\n\n${usage}\n`);
  process.exit(2);
}
const pin = args['pin-generator'];
if (pin !== 'none' && !/^\d+$/.test(pin)) {
  process.stderr.write(`--pin-generator takes a CPU number or none\n\n${usage}\n`);
  process.exit(2);
}
const scenarios: Scenario[] = args.scenario ? args.scenario.map((name) => {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) { process.stderr.write(`unknown scenario "${name}"\n\n${usage}\n`); process.exit(2); }
  return scenario;
}) : SCENARIOS;

const machine = {
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
  loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
};

/** The commit measured, and whether src/ differs from it (numbers move with the code). */
function sourceVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
const source = sourceVersion();

// ---- clean-up, also on Ctrl-C -------------------------------------------------------------------------------

let current: LoadRun | undefined;
let aborting: string | undefined;
/** Set once the measurements are over, so that the children's exits are expected. */
let finishing = false;
let workDir: string | undefined;

async function cleanUp(): Promise<void> {
  await stopAllChildren();
  if (workDir && !args['keep-logs']) await rm(workDir, { recursive: true, force: true });
}

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts += 1;
    if (interrupts > 1) { killAllChildrenNow(); process.exit(130); }
    process.stderr.write(`\n${signal}: stopping\n`);
    aborting = signal;
    current?.stop();
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllChildrenNow);

// ---- measurement --------------------------------------------------------------------------------------------

let generator: LoadGenerator | undefined;

async function load(baseUrl: string, scenario: Scenario, seconds: number): Promise<LoadResult> {
  current = generator!.start({ url: baseUrl, scenario, connections, seconds });
  try { return await current.result; } finally { current = undefined; }
}


function measurement(result: LoadResult, scenario: Scenario, target: Target, round: number, cpu: number | undefined): Measurement {
  return {
    scenario: scenario.name,
    target,
    round,
    seconds: result.seconds,
    requests: result.requests,
    requestsPerSecond: result.requests / result.seconds,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes: result.statusCodes,
    ...(cpu !== undefined && result.requests > 0 && result.seconds > 0
      ? { serverCpuUsPerRequest: cpu * 1e6 / result.requests, serverCpuCores: cpu / result.seconds } : {}),
  };
}

/** One request per scenario and target before loading, so that a broken setup fails in seconds, not minutes. */
async function checkTargets(urls: Record<Target, string>): Promise<void> {
  for (const scenario of scenarios) {
    for (const target of targets) {
      const response = await fetch(urls[target] + scenario.path, { method: scenario.method, headers: scenario.headers, body: scenario.body });
      const text = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw new Error(`${scenario.name} via ${target}: status ${response.status}: ${text.slice(0, 300)}`);
      }
    }
  }
}

async function main(): Promise<number> {
  process.stdout.write(`Portcullis macro benchmark, ${new Date().toISOString()}\n`);
  process.stdout.write(`source: ${source}\n`);
  process.stdout.write(`machine: node ${machine.node}, ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, load ${machine.loadAverage.join(' ')}\n`);
  workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-'));
  generator = await createGenerator({ generator: generatorChoice, workDir, pin });
  process.stdout.write(`generator: ${generator.description}\n`);
  if (generator.name === 'wrk' && (!Number.isInteger(duration) || !Number.isInteger(warmup))) {
    duration = Math.max(1, Math.round(duration));
    warmup = Math.round(warmup);
    process.stdout.write(`(wrk runs whole seconds: --duration ${duration}, --warmup ${warmup})\n`);
  }
  process.stdout.write(`load: ${generator.name}, ${connections} connections, ${duration} s per run, ${warmup} s warm-up, ${rounds} round(s)\n\n`);

  const upstream = await startUpstream();
  const nodeFlags = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
  const policy = benchPolicy(upstream.url, workDir);
  const disabled = args.disable ?? [];
  const protections = policy.protections as Record<string, Record<string, unknown>>;
  for (const name of disabled) protections[name] = { ...protections[name], enabled: false };
  if (disabled.length > 0) process.stdout.write(`protections switched off in the bench policy: ${disabled.join(', ')}\n`);
  const gateway = await startGateway({ policy, workDir, nodeFlags });
  const baseline = targets.includes('baseline') ? await startBaselineProxy(upstream.url) : undefined;
  const watched: [string, ChildProcess][] = [['upstream', upstream.child], ['Portcullis', gateway.child]];
  if (baseline) watched.push(['baseline proxy', baseline.child]);
  for (const [name, child] of watched) {
    child.once('exit', (code, signal) => {
      if (aborting || finishing) return;
      aborting = `${name} exited during the benchmark (${signal ?? code})`;
      current?.stop();
    });
  }
  process.stdout.write(`upstream ${upstream.url} (pid ${upstream.child.pid}), Portcullis ${gateway.url} (pid ${gateway.child.pid})`
    + `${baseline ? `, baseline ${baseline.url} (pid ${baseline.child.pid})` : ''}${args['keep-logs'] ? `, files in ${workDir}` : ''}\n`);

  const urls: Record<Target, string> = { direct: upstream.url, portcullis: gateway.url, baseline: baseline?.url ?? '' };
  const servers: Record<Target, number | undefined> = { direct: upstream.child.pid, portcullis: gateway.child.pid, baseline: baseline?.child.pid };
  await checkTargets(urls);

  const measurements: Measurement[] = [];
  let warmupProblems = 0;
  for (let round = 1; round <= rounds && !aborting; round++) {
    for (const scenario of scenarios) {
      for (const target of targets) {
        if (aborting) break;
        if (round === 1 && warmup > 0) {
          const warm = await load(urls[target], scenario, warmup);
          warmupProblems += warm.errors + warm.non2xx;
        }
        if (aborting) break;
        const cpuBefore = cpuSeconds(servers[target]);
        const result = await load(urls[target], scenario, duration);
        const cpuAfter = cpuSeconds(servers[target]);
        const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
        const m = measurement(result, scenario, target, round, cpu);
        measurements.push(m);
        const cpuNote = m.serverCpuUsPerRequest === undefined ? '' : `  CPU ${Math.round(m.serverCpuUsPerRequest)} us/req (${m.serverCpuCores!.toFixed(2)} cores)`;
        process.stdout.write(`  round ${round} ${scenario.name.padEnd(13)} ${target.padEnd(10)} ${Math.round(m.requestsPerSecond).toString().padStart(6)} req/s  p50 ${m.p50Ms.toFixed(1)} ms  p99 ${m.p99Ms.toFixed(1)} ms  non-2xx ${m.non2xx}  errors ${m.errors}${cpuNote}\n`);
      }
    }
  }

  let accessLogBytes: number | undefined;
  try { accessLogBytes = (await stat(path.join(workDir, 'access.log'))).size; } catch { /* not written */ }
  // A clean stop lets --cpu-prof write its profile.
  finishing = true;
  await stopChild(gateway.child, 10_000);

  const summaries = summarise(measurements, scenarios.map((s) => s.name), targets);
  process.stdout.write(`\nRuns\n${runsTable(measurements)}\n`);
  process.stdout.write(`\nSummary (req/s: mean of rounds; p50/p99: median of rounds; ratio: req/s over direct req/s)\n${summaryTable(summaries)}\n`);
  const cpuText = cpuTable(summaries);
  if (cpuText) process.stdout.write(`\nCPU of the process under load (all its threads; mean of rounds; cores used 1.00 = one core busy)\n${cpuText}\n`);
  const loadAfter = os.loadavg().map((n) => Math.round(n * 100) / 100);
  process.stdout.write(`\nload average at the end: ${loadAfter.join(' ')} (at the start: ${machine.loadAverage.join(' ')}; on 2 cores the benchmark alone keeps it near 2 with wrk and near 3 with autocannon; well above means something else was running)\n`);
  if (accessLogBytes !== undefined) process.stdout.write(`access log written by Portcullis: ${(accessLogBytes / 2 ** 20).toFixed(1)} MiB\n`);
  if (args['cpu-prof']) process.stdout.write(`CPU profile(s) of Portcullis in ${path.resolve(args['cpu-prof'])}\n`);

  const failures = measurements.reduce((n, m) => n + m.errors + m.non2xx, 0) + warmupProblems;
  if (args.json) {
    await writeFile(args.json, JSON.stringify({
      date: new Date().toISOString(), source, machine, loadAverageAtEnd: loadAfter,
      settings: { connections, durationSeconds: duration, warmupSeconds: warmup, rounds, pipelining: 1, gatewayWorkers: 1, generator: generator?.details, disabledProtections: disabled },
      scenarios: scenarios.map(({ name, description, method, path: p }) => ({ name, description, method, path: p })),
      measurements, summary: summaries,
      warmupProblems, aborted: aborting ?? null,
    }, null, 2) + '\n');
    process.stdout.write(`results written to ${args.json}\n`);
  }
  if (aborting) { process.stderr.write(`benchmark aborted: ${aborting}\n`); return 1; }
  if (failures > 0) { process.stderr.write(`FAILED: ${failures} request(s) errored or got a non-2xx answer (warm-up included)\n`); return 1; }
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  if (!interrupts) await cleanUp();
}
if (!interrupts) process.exit(code);
