/**
 * Slow-client benchmark: Portcullis under slowhttptest's slowloris, slow-body (R-U-Dead-Yet) and slow-read
 * attacks, while a normal client keeps sending requests.
 *
 *   node bench/slow-clients.ts [--connections 1000] [--rate 200] [--duration 30] [--mode NAME ...]
 *                              [--run raised|default ...] [--margin 3] [--response-kib 1024] [--json FILE]
 *                              [--upstream-connections N] [--portcullis DIR] [--keep-logs]
 *
 * The upstream (this file run with `--upstream`) and Portcullis (`bin/portcullis.js start --config FILE`, a fresh
 * process for each mode) run as child processes; the attacks come from slowhttptest (Debian package
 * `slowhttptest`), the normal client (one request every 100 ms, a new connection each time, from 127.0.0.2 so that
 * the attackers' per-IP cap on 127.0.0.1 does not apply to it) runs in this process. For each mode it records the
 * normal client's success rate and latency, how long each attack connection stayed open in Portcullis (the server
 * side of each TCP connection, from /proc/net/tcp every 250 ms), slowhttptest's own statistics, and Portcullis's
 * RSS (VmRSS from /proc/PID/status every 250 ms). Linux only. Exits 1 when a criterion fails. See
 * docs/performance.md, "Slow clients". The functions are exported for test/integration/slow-clients.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchPolicy, killAllChildrenNow, repoRoot, stopAllChildren, stopChild, track, waitForStarted } from './macro/bench-processes.ts';

export const SLOWHTTPTEST = '/usr/bin/slowhttptest';
export const MODES = ['slowloris', 'slow-body', 'slow-read'] as const;
export type Mode = typeof MODES[number];

/** Request-body minimum rate is judged only after this grace period (src/http/request-body.ts). */
const MIN_RATE_GRACE_MS = 5_000;
/** Node's HTTP server checks header timeouts, and Portcullis body pacing, once a second. */
const CHECK_INTERVAL_MS = 1_000;
/** Node's HTTP server closes an idle keep-alive connection this long after keepAliveTimeout (keepAliveTimeoutBuffer). */
const KEEP_ALIVE_BUFFER_MS = 1_000;
const SAMPLE_MS = 250;
const NORMAL_SOURCE = '127.0.0.2';
const NORMAL_PATH = '/shops/alice-bakery';
export const BIG_PATH = '/big';

/** The limits under test. */
export interface SlowLimits {
  headersTimeoutMs: number;
  bodyIdleTimeoutMs: number;
  bodyMinBytesPerSecond: number;
  writeIdleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Absent: the default (256). */
  maxConnectionsPerIp?: number;
}

export const BENCH_LIMITS: SlowLimits = {
  headersTimeoutMs: 5_000, bodyIdleTimeoutMs: 5_000, bodyMinBytesPerSecond: 500, writeIdleTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000,
};

/**
 * How long after it was accepted an attack connection may stay open, from the configured limits, before the margin.
 * slowloris: the header timeout, checked each second. slow body: the body idle timeout or the minimum-rate grace
 * period, whichever is later, checked each second. slow read: twice the write idle timeout (Node's socket timeout
 * lets a write that made some progress since the previous check run one more period), or, when the whole response
 * fits in the kernel's socket buffers, the keep-alive timeout (the response is then finished for Node) plus Node's
 * one-second keep-alive buffer.
 */
export function expectedCloseMs(mode: Mode, limits: SlowLimits): number {
  switch (mode) {
    case 'slowloris': return limits.headersTimeoutMs + CHECK_INTERVAL_MS;
    case 'slow-body': return Math.max(limits.bodyIdleTimeoutMs, MIN_RATE_GRACE_MS) + CHECK_INTERVAL_MS;
    case 'slow-read': return Math.max(2 * limits.writeIdleTimeoutMs, limits.keepAliveTimeoutMs + KEEP_ALIVE_BUFFER_MS);
  }
}

// ---- the upstream (child process) ---------------------------------------------------------------------------

/** Started as `node bench/slow-clients.ts --upstream BYTES`: GET /big answers BYTES bytes, other GETs a small JSON. */
function serveUpstream(bigBytes: number): void {
  const big = Buffer.alloc(bigBytes, 'x');
  const small = Buffer.from(JSON.stringify({ shopName: 'alice-bakery', title: "Alice's Bakery", owner: 'alice', open: true }));
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === BIG_PATH) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
        res.end(big);
        return;
      }
      const body = req.method === 'GET' ? small : Buffer.from(JSON.stringify({ ok: true, receivedBytes: bytes }));
      res.writeHead(req.method === 'GET' ? 200 : 201, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

export interface Upstream { child: ChildProcess; url: string }

export function startUpstream(bigBytes: number, timeoutMs = 15_000): Promise<Upstream> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--upstream', String(bigBytes)], {
    cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the upstream did not start in time')), timeoutMs);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`the upstream exited early (${signal ?? code})`)); });
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'listening' || !message.port) return;
      clearTimeout(timer);
      resolve({ child, url: `http://127.0.0.1:${message.port}` });
    });
  });
}

// ---- Portcullis (child process, through the CLI) ---------------------------------------------------------

export interface Portcullis { child: ChildProcess; pid: number; port: number; url: string; adminUrl: string }

/** The quickstart policy (as the macro benchmark uses it) with the slow-client limits, a catch-all for /big. */
export function slowClientPolicy(upstreamUrl: string, logDir: string, limits: SlowLimits, upstreamConnections?: number): Record<string, unknown> {
  const policy = benchPolicy(upstreamUrl, logDir);
  if (upstreamConnections !== undefined) policy.upstreams = { shop: { url: upstreamUrl, connections: upstreamConnections } };
  const { maxConnectionsPerIp, ...rest } = limits;
  policy.limits = { ...rest, ...(maxConnectionsPerIp === undefined ? {} : { maxConnectionsPerIp }) };
  return policy;
}

/** Starts `bin/portcullis.js start --config FILE` (from `root`) and waits for its `started` event. */
export async function startPortcullis(policy: Record<string, unknown>, workDir: string, root = repoRoot, timeoutMs = 20_000): Promise<Portcullis> {
  const policyFile = path.join(workDir, 'policy.yaml');
  await writeFile(policyFile, JSON.stringify(policy, null, 2) + '\n');
  const child = spawn(process.execPath, [path.join(root, 'bin/portcullis.js'), 'start', '--config', policyFile], {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  const event = await waitForStarted(child, timeoutMs);
  const port = Number(event.listeners[0]!.split(':').pop());
  return { child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, adminUrl: `http://${event.admin}` };
}

/** Counters of the admin endpoint that tell which defence acted: verdict reasons and refused connections. */
export async function defenceCounters(adminUrl: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get(`${adminUrl}/metrics`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const refused = line.startsWith('portcullis_rejected_connections_total{');
    if (!refused && !line.startsWith('portcullis_verdicts_total{')) continue;
    const at = line.indexOf('reason="');
    const end = line.indexOf('"', at + 8);
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (at < 0 || end < 0 || !Number.isFinite(value) || value === 0) continue;
    const key = (refused ? 'refused:' : '') + line.slice(at + 8, end);
    counters[key] = (counters[key] ?? 0) + value;
  }
  return counters;
}

// ---- samplers ----------------------------------------------------------------------------------------------

/** VmRSS of a process in MiB, or NaN once it is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const at = status.indexOf('VmRSS:');
    return at < 0 ? Number.NaN : Number.parseInt(status.slice(at + 6).trim(), 10) / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Follows the server side of the TCP connections that one peer address has open to a listener on 127.0.0.1, by
 * polling /proc/net/tcp. A connection counts as open while it is ESTABLISHED or CLOSE_WAIT (the peer has closed,
 * Portcullis not yet); once Portcullis closes it, it leaves both states (FIN_WAIT, TIME_WAIT, or gone), even when
 * the kernel still holds unsent response bytes for a reader that never reads them. A connection still in the
 * listener's accept queue has no inode yet: it is counted apart, so that the lifetimes measure what Portcullis's
 * timeouts control (from accept to close) and the peak what its per-IP cap controls.
 */
export class ConnectionTracker {
  private readonly local: string;
  private readonly peer: string;
  private readonly open = new Map<string, { seen: number; accepted?: number }>();
  /** From accept to close (ms, ±one sample) of the connections seen to close. */
  readonly lifetimes: number[] = [];
  /** Longest time (ms) a connection was seen waiting in the accept queue. */
  maxAcceptWaitMs = 0;
  /** Connections gone before they were seen accepted (refused at accept, or closed within one sample). */
  closedUnaccepted = 0;
  /** The most connections accepted and open at once, and the most waiting to be accepted. */
  peak = 0;
  peakQueued = 0;
  current = 0;

  constructor(listenerPort: number, peerAddress = '127.0.0.1') {
    this.local = `${hexIPv4('127.0.0.1')}:${listenerPort.toString(16).toUpperCase().padStart(4, '0')}`;
    this.peer = `${hexIPv4(peerAddress)}:`;
  }

  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  /** True while a sample is being taken (the periodic sampler then skips a beat rather than queue up). */
  get busy(): boolean { return this.pending > 0; }

  /** Takes a sample once the ones already asked for are done (samples never overlap or reorder). */
  sample(): Promise<void> {
    this.pending += 1;
    this.chain = this.chain.then(() => this.sampleNow()).finally(() => { this.pending -= 1; });
    return this.chain;
  }

  private async sampleNow(): Promise<void> {
    const table = await readFile('/proc/net/tcp', 'utf8');
    const now = Date.now();
    const seen = new Map<string, boolean>();
    for (const line of table.split('\n')) {
      if (!line.includes(this.local)) continue;
      // sl local remote state tx:rx tr:when retransmits uid timeout inode ...
      const fields = line.trim().split(' ').filter(Boolean);
      const [, local, remote, state] = fields;
      if (local !== this.local || !remote?.startsWith(this.peer) || (state !== '01' && state !== '08')) continue;
      seen.set(remote, fields[9] !== '0');
    }
    let accepted = 0;
    for (const [key, hasInode] of seen) {
      let entry = this.open.get(key);
      if (!entry) this.open.set(key, entry = { seen: now });
      if (hasInode && entry.accepted === undefined) {
        entry.accepted = now;
        this.maxAcceptWaitMs = Math.max(this.maxAcceptWaitMs, now - entry.seen);
      }
      if (hasInode) accepted += 1;
    }
    for (const [key, entry] of this.open) {
      if (seen.has(key)) continue;
      if (entry.accepted === undefined) this.closedUnaccepted += 1;
      else this.lifetimes.push(now - entry.accepted);
      this.open.delete(key);
    }
    this.current = seen.size;
    this.peak = Math.max(this.peak, accepted);
    this.peakQueued = Math.max(this.peakQueued, seen.size - accepted);
  }

  /** Ages (ms, since accept, or since first seen when not accepted yet) of the connections open now. */
  openAges(now = Date.now()): number[] {
    return [...this.open.values()].map((entry) => now - (entry.accepted ?? entry.seen));
  }
}

function hexIPv4(address: string): string {
  return address.split('.').map((part) => Number(part).toString(16).toUpperCase().padStart(2, '0')).reverse().join('');
}

// ---- the normal client ---------------------------------------------------------------------------------------

export interface NormalResult { ok: boolean; ms: number; error?: string }

/**
 * One GET every `intervalMs` (fixed rate: a slow answer does not delay the next request), each on a new
 * connection from `sourceAddress`; a request fails on a non-200 status, a socket error, or no complete answer
 * within `timeoutMs`.
 */
export function startNormalClient(port: number, options: { intervalMs?: number; timeoutMs?: number; path?: string; sourceAddress?: string } = {}) {
  const results: NormalResult[] = [];
  const pending = new Set<Promise<void>>();
  const once = () => {
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      let settled = false;
      const finish = (ok: boolean, error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        results.push({ ok, ms: performance.now() - started, error });
        resolve();
      };
      const req = http.get({
        host: '127.0.0.1', port, path: options.path ?? NORMAL_PATH, agent: false,
        localAddress: options.sourceAddress ?? NORMAL_SOURCE, headers: { 'user-agent': 'normal-client' },
      }, (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode === 200, res.statusCode === 200 ? undefined : `status ${res.statusCode}`));
        res.on('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
      });
      req.on('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
      const deadline = setTimeout(() => { finish(false, 'timeout'); req.destroy(); }, options.timeoutMs ?? 10_000);
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  once();
  const timer = setInterval(once, options.intervalMs ?? 100);
  return {
    results,
    /** Stops sending and waits for the requests in flight. */
    async stop(): Promise<NormalResult[]> {
      clearInterval(timer);
      await Promise.all(pending);
      return results;
    },
  };
}

// ---- slowhttptest --------------------------------------------------------------------------------------------

export interface AttackOptions {
  mode: Mode;
  url: string;
  connections: number;
  rate: number;
  /** slowhttptest's test length (-l): the attack ends then at the latest. */
  lengthS: number;
  csvPrefix: string;
}

export interface WaveResult {
  exitStatus: string;
  /** slowhttptest's own count of connections connected, the highest of its per-second rows. */
  peakConnected: number;
  /** Seconds in which slowhttptest's probe found the service unavailable. */
  probeDownSeconds: number;
  seconds: number;
}

/** slowhttptest's arguments for each mode (see docs/performance.md for why these). */
export function attackArgs(options: AttackOptions): string[] {
  const common = ['-c', String(options.connections), '-r', String(options.rate), '-l', String(options.lengthS), '-g', '-o', options.csvPrefix];
  switch (options.mode) {
    // A random header line every second: active, so only a limit on the whole head stops it.
    case 'slowloris': return ['-H', '-i', '1', '-x', '24', ...common, '-u', `${options.url}/`];
    // A declared 8 KiB form body, ~10 bytes every 2 s: never idle 5 s, far below 500 bytes/s.
    case 'slow-body': return ['-B', '-i', '2', '-x', '10', '-s', '8192', ...common, '-u', `${options.url}/orders`];
    // A 512-1024 byte receive window, 32 bytes read every second, of a large response.
    case 'slow-read': return ['-X', '-w', '512', '-y', '1024', '-n', '1', '-z', '32', '-k', '1', ...common, '-u', `${options.url}${BIG_PATH}`];
  }
}

/** The exit status of a wave stopped by `stopWhen`. */
export const STOPPED_CLOSED = 'stopped: Portcullis had closed every attack connection';

/**
 * Runs slowhttptest once; resolves when it exits (killed `graceS` after its test length at the latest). `stopWhen`,
 * polled every 250 ms, ends it early: a slow reader goes on reading what the kernel still holds for a connection
 * that Portcullis has already closed, so slowhttptest itself would wait for its test length.
 */
export function runAttackWave(options: AttackOptions, graceS = 10, stopWhen?: () => boolean): Promise<WaveResult> {
  const started = Date.now();
  const child = spawn(SLOWHTTPTEST, attackArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString('latin1')).slice(-8192); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killer = setTimeout(() => child.kill('SIGKILL'), (options.lengthS + graceS) * 1000);
  let stopped = false;
  const poller = setInterval(() => {
    if (stopped || !stopWhen?.()) return;
    stopped = true;
    child.kill('SIGINT');
  }, SAMPLE_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => { clearTimeout(killer); clearInterval(poller); reject(error); });
    child.once('exit', async (code, signal) => {
      clearTimeout(killer);
      clearInterval(poller);
      const text = stripAnsi(output);
      const at = text.lastIndexOf('Exit status:');
      const exitStatus = stopped ? STOPPED_CLOSED : at >= 0 ? text.slice(at + 12).split('\n')[0]!.trim() : `exited ${signal ?? code}`;
      let peakConnected = 0;
      let probeDownSeconds = 0;
      try {
        const rows = (await readFile(`${options.csvPrefix}.csv`, 'utf8')).trim().split('\n').slice(1);
        for (const row of rows) {
          const [, , , connected, available] = row.split(',').map(Number);
          peakConnected = Math.max(peakConnected, connected ?? 0);
          if (available === 0) probeDownSeconds += 1;
        }
      } catch { /* no CSV: slowhttptest failed early; the exit status says why */ }
      resolve({ exitStatus, peakConnected, probeDownSeconds, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Removes terminal colour sequences (ESC [ ... letter). */
function stripAnsi(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 27 && text[i + 1] === '[') {
      i += 2;
      while (i < text.length && !(text.charCodeAt(i) >= 64 && text.charCodeAt(i) <= 126)) i++; // up to the final byte
      continue;
    }
    out += text[i];
  }
  return out;
}

// ---- one mode ------------------------------------------------------------------------------------------------

export interface ModeOptions {
  mode: Mode;
  gateway: Portcullis;
  limits: SlowLimits;
  connections: number;
  rate: number;
  /** Waves of slowhttptest follow each other until this long has passed (at least one wave). */
  durationS: number;
  marginMs: number;
  workDir: string;
  /** Called with a line of progress. */
  log?: (line: string) => void;
  /** How long to wait after the attack before reading the RSS "after" (default 3 s). */
  settleMs?: number;
}

export interface ModeResult {
  mode: Mode;
  connections: number;
  waves: WaveResult[];
  normal: { requests: number; ok: number; successRate: number; p50Ms: number; p99Ms: number; maxMs: number; errors: Record<string, number> };
  attack: {
    /** Attack connections seen open in Portcullis (server side) and closed during the run. */
    closed: number;
    /** The most accepted and open at once. */
    peakOpen: number;
    /** The most waiting in the accept queue at once, and the longest wait there (ms). */
    peakQueued: number;
    maxAcceptWaitMs: number;
    /** Gone before they were seen accepted: refused at accept (per-IP cap), or accepted and closed within 250 ms. */
    closedUnaccepted: number;
    p50Ms: number; p99Ms: number; maxMs: number;
    /** Open longer than limitMs (closed after it, or still open at the end). */
    overLimit: number;
    /** Still open in Portcullis when the attacker stopped (its test length ran out, or it was killed). */
    outlived: number;
    expectedMs: number;
    limitMs: number;
  };
  rssMiB: { before: number; peak: number; after: number; growth: number };
  /** What the admin counters recorded during the mode: verdict reasons, and `refused:REASON` for connections. */
  counters: Record<string, number>;
}

/** Runs one attack mode against a running Portcullis while the normal client sends requests. */
export async function runMode(options: ModeOptions): Promise<ModeResult> {
  const { gateway, mode } = options;
  const log = options.log ?? (() => {});
  const expectedMs = expectedCloseMs(mode, options.limits);
  const limitMs = expectedMs + options.marginMs;
  const openSeconds = options.connections / options.rate;
  // A wave that has not been closed by Portcullis by then ends by itself, and what was still open counts as outlived.
  const waveLengthS = Math.ceil(openSeconds + limitMs / 1000 + 5);

  const countersBefore = await defenceCounters(gateway.adminUrl);
  const before = await steadyRss(gateway.pid);
  const tracker = new ConnectionTracker(gateway.port);
  let peakRss = before;
  let samplerError: unknown;
  const sampler = setInterval(() => {
    const rss = rssMiB(gateway.pid);
    if (rss > peakRss) peakRss = rss;
    if (!tracker.busy) tracker.sample().catch((error: unknown) => { samplerError = error; });
  }, SAMPLE_MS);

  const client = startNormalClient(gateway.port);
  const waves: WaveResult[] = [];
  let outlived = 0;
  let normal: NormalResult[] = [];
  let after: number;
  const started = Date.now();
  try {
    do {
      // Once the attacker has had time to open its connections, none open in Portcullis for two samples in a row
      // ends the wave.
      const waveStart = Date.now();
      let emptySamples = 0;
      const allClosed = () => {
        emptySamples = tracker.current === 0 ? emptySamples + 1 : 0;
        return Date.now() - waveStart > openSeconds * 1000 + expectedMs / 2 && emptySamples >= 2;
      };
      const wave = await runAttackWave({
        mode, url: gateway.url, connections: options.connections, rate: options.rate, lengthS: waveLengthS,
        csvPrefix: path.join(options.workDir, `${mode}-wave${waves.length + 1}`),
      }, 10, allClosed);
      // Portcullis's side of the connections the attacker has just closed or abandoned: still open means outlived.
      await tracker.sample();
      outlived += tracker.openAges().length;
      waves.push(wave);
      log(`  ${mode} wave ${waves.length}: "${wave.exitStatus}" after ${wave.seconds.toFixed(1)} s, slowhttptest peak connected ${wave.peakConnected}`);
      if (!['No open connections left', 'Hit test time limit', STOPPED_CLOSED].includes(wave.exitStatus)) throw new Error(`slowhttptest failed: ${wave.exitStatus}`);
    } while (Date.now() - started < options.durationS * 1000);
    normal = await client.stop();
    // Let the last attack connections be reaped, then read the memory left behind.
    const waitUntil = Date.now() + 5_000;
    while (tracker.current > 0 && Date.now() < waitUntil) await delay(SAMPLE_MS);
    await delay(options.settleMs ?? 3_000);
    await tracker.sample();
    if (samplerError) throw samplerError;
    after = await steadyRss(gateway.pid, 2);
    peakRss = Math.max(peakRss, after);
  } finally {
    clearInterval(sampler);
    await client.stop();
  }

  const latencies = normal.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  for (const r of normal) if (!r.ok) errors[r.error ?? 'failed'] = (errors[r.error ?? 'failed'] ?? 0) + 1;
  const lifetimes = [...tracker.lifetimes].sort((a, b) => a - b);
  return {
    mode,
    connections: options.connections,
    waves,
    normal: {
      requests: normal.length, ok: latencies.length, successRate: normal.length === 0 ? 0 : latencies.length / normal.length,
      p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies.at(-1) ?? Number.NaN, errors,
    },
    attack: {
      closed: lifetimes.length, peakOpen: tracker.peak, peakQueued: tracker.peakQueued, maxAcceptWaitMs: tracker.maxAcceptWaitMs,
      closedUnaccepted: tracker.closedUnaccepted,
      p50Ms: percentile(lifetimes, 0.5), p99Ms: percentile(lifetimes, 0.99), maxMs: lifetimes.at(-1) ?? Number.NaN,
      overLimit: [...lifetimes, ...tracker.openAges()].filter((ms) => ms > limitMs).length,
      outlived, expectedMs, limitMs,
    },
    rssMiB: { before, peak: peakRss, after, growth: peakRss - before },
    counters: counterDelta(countersBefore, await defenceCounters(gateway.adminUrl)),
  };
}

function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) if (value - (before[key] ?? 0) > 0) delta[key] = value - (before[key] ?? 0);
  return delta;
}

/** The failed criteria of one mode (empty: passed). */
export function failures(result: ModeResult, criteria: { minSuccessRate: number; maxRssGrowthMiB: number; maxPeakOpen?: number }): string[] {
  const failed: string[] = [];
  if (result.normal.successRate < criteria.minSuccessRate) {
    failed.push(`normal client success ${(result.normal.successRate * 100).toFixed(1)} % < ${criteria.minSuccessRate * 100} %`);
  }
  if (result.attack.overLimit > 0) failed.push(`${result.attack.overLimit} attack connections open longer than ${result.attack.limitMs} ms`);
  if (result.attack.outlived > 0) failed.push(`${result.attack.outlived} attack connections still open when the attacker stopped`);
  if (result.attack.closed === 0) failed.push('no attack connection was seen: the attack did not run');
  if (!(result.rssMiB.growth < criteria.maxRssGrowthMiB)) failed.push(`RSS grew ${result.rssMiB.growth.toFixed(1)} MiB (limit ${criteria.maxRssGrowthMiB})`);
  if (criteria.maxPeakOpen !== undefined && result.attack.peakOpen > criteria.maxPeakOpen) {
    failed.push(`${result.attack.peakOpen} attack connections open at once, more than the per-IP cap allows (${criteria.maxPeakOpen})`);
  }
  return failed;
}

/** Median of a few RSS samples taken a quarter second apart. */
async function steadyRss(pid: number, count = 4): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await delay(SAMPLE_MS);
    samples.push(rssMiB(pid));
  }
  return percentile(samples.sort((a, b) => a - b), 0.5);
}

/** Some requests of each kind the attacks use, so that "before" is a warm process. */
export async function warmUp(gateway: Portcullis, requests = 100): Promise<void> {
  const paths = [NORMAL_PATH, BIG_PATH, '/orders'];
  for (let i = 0; i < requests; i++) {
    const target = paths[i % paths.length]!;
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gateway.port, path: target, method: target === '/orders' ? 'POST' : 'GET',
        headers: target === '/orders' ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(target === '/orders' ? 'item=bread&quantity=2' : undefined);
    });
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function slowhttptestVersion(): string | null {
  if (!existsSync(SLOWHTTPTEST)) return null;
  const run = spawnSync(SLOWHTTPTEST, ['-h'], { encoding: 'utf8' });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const at = text.indexOf('version ');
  return at < 0 ? 'unknown version' : text.slice(at + 8).split('\n')[0]!.trim();
}

// ---- the command -------------------------------------------------------------------------------------------

const usage = `usage: node bench/slow-clients.ts [options]
  --connections N    attack connections per slowhttptest wave (default 1000)
  --rate N           new attack connections per second (default 200)
  --duration S       seconds of attack per mode in the "raised" run: waves follow each other until then (default 30)
  --mode NAME        only this mode (repeatable): ${MODES.join(', ')}
  --run NAME         raised (maxConnectionsPerIp 1100: every attacker is admitted and must be timed out) and/or
                     default (maxConnectionsPerIp 256, one wave per mode); repeatable, default both
  --margin S         seconds allowed on top of the configured timeouts before an attack connection fails (default 3)
  --response-kib N   size of the upstream's ${BIG_PATH} response used by slow-read (default 1024)
  --upstream-connections N
                     Portcullis's connection pool to the upstream (default: the policy's default, 128)
  --portcullis DIR   the checkout whose bin/portcullis.js to run (default this one), e.g. to compare before a fix
  --json FILE        also write the results as JSON
  --keep-logs        keep the temporary directory (policies, Portcullis's logs, slowhttptest CSV and HTML)`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      connections: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '200' },
      duration: { type: 'string', default: '30' },
      mode: { type: 'string', multiple: true },
      run: { type: 'string', multiple: true },
      margin: { type: 'string', default: '3' },
      'response-kib': { type: 'string', default: '1024' },
      'upstream-connections': { type: 'string' },
      portcullis: { type: 'string' },
      json: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (args.help) { process.stdout.write(usage + '\n'); return; }
  const number = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) { process.stderr.write(`--${name} must be a positive number\n\n${usage}\n`); process.exit(2); }
    return value;
  };
  const connections = Math.floor(number('connections', args.connections));
  const rate = Math.floor(number('rate', args.rate));
  const duration = number('duration', args.duration);
  const marginMs = number('margin', args.margin) * 1000;
  const responseBytes = Math.floor(number('response-kib', args['response-kib']) * 1024);
  const upstreamConnections = args['upstream-connections'] === undefined ? undefined : Math.floor(number('upstream-connections', args['upstream-connections']));
  const modes = (args.mode ?? [...MODES]) as Mode[];
  const runs = args.run ?? ['raised', 'default'];
  if (modes.some((m) => !MODES.includes(m)) || runs.some((r) => r !== 'raised' && r !== 'default')) {
    process.stderr.write(`unknown --mode or --run\n\n${usage}\n`);
    process.exit(2);
  }
  const version = slowhttptestVersion();
  if (!version) { process.stderr.write(`${SLOWHTTPTEST} not found (Debian: apt-get install slowhttptest)\n`); process.exit(2); }
  if (os.platform() !== 'linux') { process.stderr.write('this benchmark reads /proc: Linux only\n'); process.exit(2); }
  const root = args.portcullis ? path.resolve(args.portcullis) : repoRoot;

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-slow-'));
  const cleanUp = async () => {
    await stopAllChildren();
    if (!args['keep-logs']) await rm(workDir, { recursive: true, force: true });
  };
  let interrupts = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      interrupts += 1;
      if (interrupts > 1) { killAllChildrenNow(); process.exit(130); }
      process.stderr.write(`\n${signal}: stopping\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllChildrenNow);

  const out = (line: string) => process.stdout.write(line + '\n');
  out(`slow-client benchmark, ${new Date().toISOString()}, commit ${commitOf(root)}`);
  out(`Node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown'}), slowhttptest ${version}, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  out(`limits: headersTimeoutMs ${BENCH_LIMITS.headersTimeoutMs}, bodyIdleTimeoutMs ${BENCH_LIMITS.bodyIdleTimeoutMs}, bodyMinBytesPerSecond ${BENCH_LIMITS.bodyMinBytesPerSecond}, ` +
    `writeIdleTimeoutMs ${BENCH_LIMITS.writeIdleTimeoutMs}, keepAliveTimeoutMs ${BENCH_LIMITS.keepAliveTimeoutMs}; ${connections} attack connections at ${rate}/s; ` +
    `${BIG_PATH} ${responseBytes} bytes; margin ${marginMs / 1000} s`);

  const rows: { run: string; result: ModeResult; failed: string[] }[] = [];
  const started = Date.now();
  try {
    const upstream = await startUpstream(responseBytes);
    for (const run of runs) {
      const limits: SlowLimits = { ...BENCH_LIMITS, ...(run === 'raised' ? { maxConnectionsPerIp: Math.max(1100, connections + 100) } : {}) };
      for (const mode of modes) {
        const dir = await mkdtemp(path.join(workDir, `${run}-${mode}-`));
        const gateway = await startPortcullis(slowClientPolicy(upstream.url, dir, limits, upstreamConnections), dir, root);
        await warmUp(gateway);
        out(`${run} cap (maxConnectionsPerIp ${limits.maxConnectionsPerIp ?? '256, the default'}), ${mode}:`);
        const result = await runMode({
          mode, gateway, limits, connections, rate, durationS: run === 'raised' ? duration : 0, marginMs, workDir: dir, log: out,
        });
        await stopChild(gateway.child);
        const failed = failures(result, { minSuccessRate: 0.95, maxRssGrowthMiB: 100, maxPeakOpen: run === 'default' ? 256 + 8 : undefined });
        rows.push({ run, result, failed });
        out(`  ${failed.length === 0 ? 'pass' : `FAIL: ${failed.join('; ')}`}`);
      }
    }
  } finally {
    await cleanUp();
  }

  out('');
  out('| run | mode | waves | attack conns accepted (refused) | peak open (queued) | lifetime p50 / p99 / max s (limit) | accept wait max s | normal ok | normal p50 / p99 / max ms | RSS before / peak / after MiB | defences (counters) | result |');
  out('| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- | --- | --- |');
  for (const { run, result: r, failed } of rows) {
    const s = (ms: number) => (ms / 1000).toFixed(1);
    const counters = Object.entries(r.counters).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
    out(`| ${run} | ${r.mode} | ${r.waves.length} | ${r.attack.closed} (${r.attack.closedUnaccepted}) | ${r.attack.peakOpen} (${r.attack.peakQueued}) | ` +
      `${s(r.attack.p50Ms)} / ${s(r.attack.p99Ms)} / ${s(r.attack.maxMs)} (${s(r.attack.limitMs)}) | ${s(r.attack.maxAcceptWaitMs)} | ` +
      `${(r.normal.successRate * 100).toFixed(1)} % of ${r.normal.requests} | ${r.normal.p50Ms.toFixed(1)} / ${r.normal.p99Ms.toFixed(1)} / ${r.normal.maxMs.toFixed(0)} | ` +
      `${r.rssMiB.before.toFixed(0)} / ${r.rssMiB.peak.toFixed(0)} / ${r.rssMiB.after.toFixed(0)} | ${counters} | ${failed.length === 0 ? 'pass' : 'FAIL'} |`);
  }
  out('');
  out('slowhttptest per wave (peak connected, seconds its probe found the service unavailable, exit status):');
  for (const { run, result: r } of rows) {
    out(`  ${run} ${r.mode}: ${r.waves.map((w) => `${w.peakConnected} connected, probe down ${w.probeDownSeconds} s, "${w.exitStatus}" after ${w.seconds.toFixed(1)} s`).join('; ')}`);
    const errors = Object.entries(r.normal.errors);
    if (errors.length > 0) out(`    normal-client failures: ${errors.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  out(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (args.json) await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), commit: commitOf(root), limits: BENCH_LIMITS, connections, rate, rows }, null, 2) + '\n');
  const failedRows = rows.filter((row) => row.failed.length > 0);
  if (failedRows.length > 0) {
    out(`FAILED: ${failedRows.map((row) => `${row.run} ${row.result.mode}: ${row.failed.join('; ')}`).join(' | ')}`);
    process.exitCode = 1;
  }
}

function commitOf(root: string): string {
  const run = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
  return `${run.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''}`;
}

if (import.meta.main) {
  if (process.argv[2] === '--upstream') serveUpstream(Number(process.argv[3]));
  else main().catch((error: unknown) => { process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`); void stopAllChildren().finally(() => process.exit(1)); });
}
