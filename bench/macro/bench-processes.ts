/**
 * The child processes of the macro benchmark, the bench upstream and Portcullis, and their clean-up (also used for
 * wrk, see load-generators.ts). Each child has its own event loop.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const children = new Set<ChildProcess>();

/** Registers a child for the clean-up functions below. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Stops every child still running: SIGTERM, then SIGKILL after `graceMs`. Resolves when all have exited. */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, graceMs)));
}

/** Last-resort clean-up for a synchronous `exit`: no waiting possible, so just signal. */
export function killAllChildrenNow(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

export interface RunningServer { child: ChildProcess; port: number; url: string }

/** Starts bench/macro/upstream-server.ts and waits for its port. */
export function startUpstream(timeoutMs = 15_000): Promise<RunningServer> {
  return startReportingServer('upstream-server.ts', [], 'the bench upstream', timeoutMs);
}

/** Starts bench/macro/baseline-proxy.ts in front of `upstreamUrl` and waits for its port. */
export function startBaselineProxy(upstreamUrl: string, timeoutMs = 15_000): Promise<RunningServer> {
  return startReportingServer('baseline-proxy.ts', [upstreamUrl], 'the baseline proxy', timeoutMs);
}

/** A child script of this directory that listens on a random port and reports it over IPC. */
function startReportingServer(file: string, argv: string[], what: string, timeoutMs: number): Promise<RunningServer> {
  const script = fileURLToPath(new URL(`./${file}`, import.meta.url));
  const child = spawn(process.execPath, [script, ...argv], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time`)), timeoutMs);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${what} exited early (${signal ?? code})`)); });
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'listening' || !message.port) return;
      clearTimeout(timer);
      resolve({ child, port: message.port, url: `http://127.0.0.1:${message.port}` });
    });
  });
}

/**
 * The quickstart policy (examples/portcullis.yaml) pointed at the bench upstream: the same routes plus a
 * catch-all, the same default protections, listeners and admin on free loopback ports, and both logs written to
 * files so that their cost is measured without flooding the terminal.
 */
export function benchPolicy(upstreamUrl: string, logDir: string): Record<string, unknown> {
  return {
    version: 1,
    mode: 'enforce',
    workers: 1,
    listeners: [{ name: 'public', address: '127.0.0.1:0' }],
    admin: { address: '127.0.0.1:0' },
    upstreams: { shop: { url: upstreamUrl } },
    routes: [
      { name: 'login', path: '/login', methods: ['POST'], upstream: 'shop', limits: { maxBodyBytes: 4096 } },
      { name: 'shop-list', path: '/shops', methods: ['GET'], upstream: 'shop' },
      { name: 'shop', path: '/shops/{shopName}', methods: ['GET'], upstream: 'shop' },
      { name: 'revenue', path: '/shops/{shopName}/revenue_data.json', methods: ['GET'], upstream: 'shop' },
      { name: 'orders', path: '/orders', methods: ['POST'], upstream: 'shop', limits: { maxBodyBytes: 65536 } },
      { name: 'health', path: '/healthz', methods: ['GET'], upstream: 'shop', protections: { ipList: { allow: ['127.0.0.0/8', '::1'] } } },
      { name: 'catch-all', path: '/**', upstream: 'shop' },
    ],
    protections: {
      ipList: { deny: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'] },
      methodRestriction: { unmatchedStatus: 404 },
    },
    logging: {
      access: { destination: path.join(logDir, 'access.log') },
      security: { destination: path.join(logDir, 'security.log') },
    },
  };
}

export interface RunningGateway { child: ChildProcess; url: string; adminUrl?: string; policyFile: string }

export interface GatewayOptions {
  policy: Record<string, unknown>;
  workDir: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  timeoutMs?: number;
}

/**
 * Starts `node src/main.ts start --config FILE` and waits for `"event":"started"` on its stderr; later warnings
 * and errors from the gateway are passed through to our stderr.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const policyFile = path.join(options.workDir, 'policy.yaml');
  await writeFile(policyFile, JSON.stringify(options.policy, null, 2) + '\n');
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), 'src/main.ts', 'start', '--config', policyFile], {
    cwd: repoRoot, stdio: ['ignore', 'inherit', 'pipe'],
  });
  track(child);
  const event = await waitForStarted(child, options.timeoutMs ?? 20_000);
  return { child, policyFile, url: `http://${event.listeners[0]}`, adminUrl: event.admin ? `http://${event.admin}` : undefined };
}

/** The `started` event of a Portcullis process: its listener and admin addresses. */
export interface StartedEvent { listeners: string[]; admin?: string }

/**
 * Waits for `"event":"started"` on a Portcullis child's stderr (rejecting on exit or timeout, with what it printed
 * before); later warnings and errors are passed through to our stderr.
 */
export function waitForStarted(child: ChildProcess, timeoutMs: number): Promise<StartedEvent> {
  return new Promise((resolve, reject) => {
    let started = false;
    let pending = '';
    const early: string[] = [];
    const timer = setTimeout(() => reject(new Error(`Portcullis did not start in time:\n${early.join('\n')}`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`Portcullis exited before starting (${signal ?? code}):\n${early.join('\n')}`));
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!started && line.includes('"event":"started"')) {
          started = true;
          clearTimeout(timer);
          resolve(JSON.parse(line) as StartedEvent);
        } else if (!started) {
          early.push(line);
        } else if (!line.includes('"level":"info"')) {
          process.stderr.write(`[portcullis] ${line}\n`);
        }
      }
    });
  });
}

/** CPU seconds (user + system, all threads) of a process so far, from /proc; undefined elsewhere than Linux. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = (() => {
  if (process.platform !== 'linux') return 100;
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** The command-line options every interleaved macro benchmark takes, with its own default duration and rounds. */
export function loadOptions(defaults: { duration: number; rounds: number }) {
  return {
    connections: { type: 'string', default: '50' }, duration: { type: 'string', default: String(defaults.duration) },
    warmup: { type: 'string', default: '2' }, rounds: { type: 'string', default: String(defaults.rounds) },
    generator: { type: 'string', default: 'auto' }, json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

export interface LoadSettings { connections: number; duration: number; warmup: number; rounds: number }

/** Those options as numbers (duration in whole seconds); exits 2 with the usage when one is not a usable number. */
export function loadSettings(args: { connections: string; duration: string; warmup: string; rounds: string }, usage: string): LoadSettings {
  const settings = {
    connections: Number(args.connections), duration: Math.max(1, Math.round(Number(args.duration))),
    warmup: Math.round(Number(args.warmup)), rounds: Number(args.rounds),
  };
  const whole = [settings.connections, settings.duration, settings.rounds].every((n) => Number.isInteger(n) && n > 0);
  if (whole && settings.warmup >= 0) return settings;
  process.stderr.write(`bad numbers\n\n${usage}\n`);
  process.exit(2);
}
