/**
 * The macro benchmark's load generators behind one interface: wrk (a C program, a child process, preferred when on
 * PATH because it needs far less CPU than a Node client, which matters when generator, upstream and gateway share
 * few cores) and autocannon (in the benchmark's own process, the fallback).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Scenario } from './scenarios.ts';
import { track } from './bench-processes.ts';

export const GENERATORS = ['wrk', 'autocannon'] as const;
export type GeneratorName = typeof GENERATORS[number];

export interface LoadOptions {
  url: string;
  scenario: Scenario;
  connections: number;
  /** Whole seconds for wrk. */
  seconds: number;
}

export interface LoadResult {
  /** Seconds actually run. */
  seconds: number;
  /** Completed requests (any status). */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Socket errors and timeouts together. */
  errors: number;
  statusCodes: Record<string, number>;
}

export interface LoadRun {
  result: Promise<LoadResult>;
  /** Ends the run early; `result` still resolves with what was measured. */
  stop(): void;
}

export interface LoadGenerator {
  name: GeneratorName;
  /** One line for the report, e.g. `wrk 4.1.0, child process, 1 thread, pinned to CPU 1 (taskset)`. */
  description: string;
  /** For the JSON results. */
  details: Record<string, unknown>;
  start(options: LoadOptions): LoadRun;
}

/** The absolute path of an executable on PATH, or undefined. */
export async function which(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try { await access(candidate, constants.X_OK); return candidate; } catch { /* next */ }
  }
  return undefined;
}

/** `wrk --version` prints e.g. `wrk debian/4.1.0-3+b2 [epoll] Copyright ...` (and exits with 1). */
function wrkVersion(wrk: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(wrk, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => { out += t; });
    child.stderr.setEncoding('utf8').on('data', (t: string) => { out += t; });
    child.once('error', () => resolve('unknown'));
    child.once('close', () => resolve(/^wrk\s+(\S+)/.exec(out)?.[1] ?? 'unknown'));
  });
}

export interface GeneratorChoice {
  /** `auto`: wrk when on PATH, else autocannon. */
  generator: 'auto' | GeneratorName;
  /** Where wrk writes its Lua scripts. */
  workDir: string;
  /** CPU to pin wrk to with taskset, or `none`. */
  pin: string;
}

export async function createGenerator(choice: GeneratorChoice): Promise<LoadGenerator> {
  const wrk = choice.generator === 'autocannon' ? undefined : await which('wrk');
  if (choice.generator === 'wrk' && !wrk) throw new Error('--generator wrk: no `wrk` on PATH (Debian/Ubuntu: apt-get install wrk)');
  if (!wrk) return autocannonGenerator();
  let pin: { taskset: string; cpu: string } | undefined;
  if (choice.pin !== 'none') {
    const taskset = await which('taskset');
    if (!taskset) throw new Error('--pin-generator: no `taskset` on PATH');
    pin = { taskset, cpu: choice.pin };
  }
  return wrkGenerator(wrk, await wrkVersion(wrk), choice.workDir, pin);
}

// ---- autocannon ---------------------------------------------------------------------------------------------

async function autocannonGenerator(): Promise<LoadGenerator> {
  const { default: autocannon } = await import('autocannon');
  return {
    name: 'autocannon',
    description: 'autocannon, in the benchmark\'s own Node process, pipelining 1',
    details: { name: 'autocannon', inProcess: true, pipelining: 1 },
    start({ url, scenario, connections, seconds }) {
      const instance = autocannon({
        url: url + scenario.path, method: scenario.method, headers: scenario.headers, body: scenario.body,
        connections, duration: seconds, pipelining: 1,
      });
      const result = (async (): Promise<LoadResult> => {
        const r = await instance;
        const statusCodes: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
        return {
          seconds: r.duration, requests: r.requests.total, p50Ms: r.latency.p50, p99Ms: r.latency.p99,
          non2xx: r.non2xx, errors: r.errors + r.timeouts, statusCodes,
        };
      })();
      return { result, stop: () => instance.stop() };
    },
  };
}

// ---- wrk ----------------------------------------------------------------------------------------------------

/** A Lua string literal for any JS string (bytes above 0x7e and controls as decimal escapes). */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += '\\' + byte.toString().padStart(3, '0');
  }
  return out + '"';
}

const RESULT_MARK = 'PORTCULLIS_WRK_RESULT ';

/**
 * The per-scenario wrk script: method, headers and body of the request (built once by wrk, no per-request Lua),
 * and a `done` hook that prints one parseable line. wrk counts a response as a status error when its status is
 * 400 or more; that is what `non2xx` reports (the bench upstream and policy produce no 1xx/3xx; the pre-flight
 * check in proxy-overhead.ts requires a 2xx for every scenario and target).
 */
function wrkScript(scenario: Scenario): string {
  const lines = [
    '-- written by bench/macro/load-generators.ts',
    `wrk.method = ${luaString(scenario.method)}`,
    ...Object.entries(scenario.headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
    ...(scenario.body !== undefined ? [`wrk.body = ${luaString(scenario.body)}`] : []),
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format("\\n${RESULT_MARK}{\\"durationUs\\":%d,\\"requests\\":%d,\\"bytes\\":%d,\\"p50Us\\":%d,\\"p99Us\\":%d,`
      + '\\"maxUs\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d,\\"status\\":%d}\\n",',
    '    summary.duration, summary.requests, summary.bytes, math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),',
    '    latency.max, e.connect, e.read, e.write, e.timeout, e.status))',
    'end',
    '',
  ];
  return lines.join('\n');
}

interface WrkReport {
  durationUs: number; requests: number; bytes: number; p50Us: number; p99Us: number; maxUs: number;
  connect: number; read: number; write: number; timeout: number; status: number;
}

function wrkGenerator(wrk: string, version: string, workDir: string, pin: { taskset: string; cpu: string } | undefined): LoadGenerator {
  const scripts = new Map<string, Promise<string>>();
  const scriptFor = (scenario: Scenario) => {
    let file = scripts.get(scenario.name);
    if (!file) {
      const target = path.join(workDir, `wrk-${scenario.name}.lua`);
      file = writeFile(target, wrkScript(scenario)).then(() => target);
      scripts.set(scenario.name, file);
    }
    return file;
  };
  const threads = 1;
  return {
    name: 'wrk',
    description: `wrk ${version}, a child process, ${threads} thread, request timeout 10 s, `
      + (pin ? `pinned to CPU ${pin.cpu} with taskset (upstream and gateway not pinned)` : 'not pinned'),
    details: { name: 'wrk', version, path: wrk, threads, timeoutSeconds: 10, pinnedCpu: pin?.cpu ?? null },
    start({ url, scenario, connections, seconds }) {
      let stopRequested = false;
      let stopNow: () => void = () => { stopRequested = true; };
      const result = (async (): Promise<LoadResult> => {
        const script = await scriptFor(scenario);
        const wrkArgs = ['-t', String(threads), '-c', String(connections), '-d', `${Math.max(1, Math.round(seconds))}s`,
          '--timeout', '10s', '-s', script, url + scenario.path];
        const [command, argv] = pin ? [pin.taskset, ['-c', pin.cpu, wrk, ...wrkArgs]] : [wrk, wrkArgs];
        const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
        track(child);
        // wrk stops its threads on SIGINT and still reports (and calls `done`).
        stopNow = () => { stopRequested = true; child.kill('SIGINT'); };
        if (stopRequested) stopNow();
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t; });
        child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
        const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
          child.once('error', reject);
          child.once('close', (c, s) => resolve([c, s]));
        });
        const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
        // Stopped (Ctrl-C, a child died) and killed by the clean-up before it could report: nothing measured.
        if (!line && stopRequested) return { seconds: 0, requests: 0, p50Ms: NaN, p99Ms: NaN, non2xx: 0, errors: 0, statusCodes: {} };
        if (!line) throw new Error(`wrk gave no result (${signal ?? `exit ${code}`}): ${(stderr + stdout).trim().slice(0, 500)}`);
        const r = JSON.parse(line.slice(RESULT_MARK.length)) as WrkReport;
        return {
          seconds: r.durationUs / 1e6,
          requests: r.requests,
          p50Ms: r.p50Us / 1000,
          p99Ms: r.p99Us / 1000,
          non2xx: r.status,
          errors: r.connect + r.read + r.write + r.timeout,
          // wrk does not report individual status codes, only how many were >= 400.
          statusCodes: { '<400': r.requests - r.status, '>=400': r.status },
        };
      })();
      return { result, stop: () => stopNow() };
    },
  };
}
