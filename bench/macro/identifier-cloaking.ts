/**
 * Macro benchmark of identifier cloaking: the same routes through one Portcullis process with and without the
 * identifierCloaking protection, interleaved, and the ratio of their throughputs.
 *
 *   node bench/macro/identifier-cloaking.ts [--connections 50] [--duration 10] [--warmup 2] [--rounds 2] [--json FILE]
 *                                           [--generator wrk|autocannon]
 *
 * Scenarios (the upstream is this same file run with --serve-upstream, a child process):
 *   list-4k      GET /…/shops: a 4096-byte JSON answer holding 40 shop names, each replaced by a token
 *   revenue      GET /…/shops/{shopName}/revenue_data.json: a token in the path, decoded; the answer's name cloaked again
 * Variants: `plain` (no cloaking on the route), `cloaked` (tokens from the per-worker cache: what steady traffic
 * costs), `uncached` (cacheEntries: 0: every token encrypted or decrypted afresh, the worst case).
 * The principal is a session cookie (`bindTo: { cookie: sid }`), so no JWT verification is mixed into the numbers.
 * Exits 1 when any request errored or got a non-2xx answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuSeconds, killAllChildrenNow, loadOptions, loadSettings, repoRoot, startGateway, stopAllChildren, track } from './bench-processes.ts';
import { createGenerator, type LoadGenerator, type LoadResult } from './load-generators.ts';
import type { Scenario } from './scenarios.ts';
import { compileKeys, TokenCodec } from '../../src/protections/identifier-cloaking/token.ts';

// ---- the upstream (child mode) ---------------------------------------------------------------------------------

/** A shop list of exactly `bytes` bytes: `count` shops, padded through the last title. */
export function shopList(bytes: number, count: number): string {
  const shops = Array.from({ length: count }, (_, i) => ({ shopName: `shop-${String(i).padStart(4, '0')}`, title: `Shop ${i}`, city: 'Seoul', rating: 4.5 }));
  const base = Buffer.byteLength(JSON.stringify({ shops }));
  if (base > bytes) throw new Error(`${count} shops need ${base} bytes`);
  shops[count - 1]!.title += 'x'.repeat(bytes - base);
  return JSON.stringify({ shops });
}

if (process.argv.includes('--serve-upstream')) {
  const list = Buffer.from(shopList(4096, 40));
  const server = http.createServer((req, res) => {
    req.resume();
    const url = req.url ?? '/';
    let body: Buffer;
    if (url.endsWith('/shops')) body = list;
    else {
      const name = decodeURIComponent(url.split('/').at(-2) ?? '');
      body = Buffer.from(JSON.stringify({ shopName: name, currency: 'KRW', revenue: [{ month: '2026-10', amount: 13_100_000 }] }));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBenchmark();
}

// ---- the benchmark ------------------------------------------------------------------------------------------------

async function runBenchmark(): Promise<void> {
  const usage = 'usage: node bench/macro/identifier-cloaking.ts [--connections N] [--duration S] [--warmup S] [--rounds N] [--generator wrk|autocannon] [--json FILE]';
  const { values: args } = parseArgs({ options: loadOptions({ duration: 10, rounds: 2 }), strict: true });
  if (args.help) { process.stdout.write(usage + '\n'); return; }
  const { connections, duration, warmup, rounds } = loadSettings(args, usage);

  process.on('exit', killAllChildrenNow);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-cloak-bench-'));
  let failures = 0;
  try {
    const generator: LoadGenerator = await createGenerator({ generator: args.generator as 'auto', workDir, pin: 'none' });
    process.stdout.write(`identifier-cloaking benchmark, ${new Date().toISOString()}\nmachine: node ${process.version}, ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`generator: ${generator.description}; ${connections} connections, ${duration} s per run, ${warmup} s warm-up, ${rounds} round(s)\n\n`);

    const upstream = await startUpstreamChild();
    const key = { id: 'bench1', secret: Buffer.alloc(32, 0x42).toString('base64') };
    const cloak = (extra: Record<string, unknown>) => ({ identifierCloaking: extra });
    const listCloak = { response: { json: { '$.shops[*].shopName': 'shop' } } };
    const revenueCloak = { request: { path: { shopName: 'shop' } }, response: { json: { '$.shopName': 'shop' } } };
    const route = (name: string, routePath: string, protections?: Record<string, unknown>) => ({ name, path: routePath, methods: ['GET'], upstream: 'up', ...(protections ? { protections } : {}) });
    const policy = {
      version: 1, mode: 'enforce', workers: 1,
      listeners: [{ name: 'public', address: '127.0.0.1:0' }],
      admin: { address: '127.0.0.1:0' },
      upstreams: { up: { url: upstream } },
      routes: [
        route('list-plain', '/plain/shops'),
        route('list-cloaked', '/cloaked/shops', cloak(listCloak)),
        route('list-uncached', '/uncached/shops', cloak({ ...listCloak, cacheEntries: 0 })),
        route('revenue-plain', '/plain/shops/{shopName}/revenue_data.json'),
        route('revenue-cloaked', '/cloaked/shops/{shopName}/revenue_data.json', cloak(revenueCloak)),
        route('revenue-uncached', '/uncached/shops/{shopName}/revenue_data.json', cloak({ ...revenueCloak, cacheEntries: 0 })),
      ],
      protections: {
        methodRestriction: { unmatchedStatus: 404 },
        identifierCloaking: { keys: [key], bindTo: { cookie: 'sid' } },
      },
      logging: { access: { destination: path.join(workDir, 'access.log') }, security: { destination: path.join(workDir, 'security.log') } },
    };
    const gateway = await startGateway({ policy, workDir });

    const codec = new TokenCodec(compileKeys([key], (p, m) => { throw new Error(`${p}: ${m}`); }), { binding: 'cookie:sid' });
    const token = codec.encode('shop', 'bench-session', { text: 'shop-0007', numeric: false });
    const headers = { accept: 'application/json', cookie: 'sid=bench-session', 'user-agent': 'portcullis-bench/1' };
    const scenario = (name: string, p: string): Scenario => ({ name, description: name, method: 'GET', path: p, headers });
    const groups: { name: string; variants: Scenario[] }[] = [
      { name: 'list-4k', variants: [scenario('plain', '/plain/shops'), scenario('cloaked', '/cloaked/shops'), scenario('uncached', '/uncached/shops')] },
      {
        name: 'revenue', variants: [scenario('plain', '/plain/shops/shop-0007/revenue_data.json'),
          scenario('cloaked', `/cloaked/shops/${token}/revenue_data.json`), scenario('uncached', `/uncached/shops/${token}/revenue_data.json`)],
      },
    ];
    // Fail fast on a broken setup, and show that cloaking happened.
    for (const group of groups) {
      for (const variant of group.variants) {
        const res = await fetch(gateway.url + variant.path, { headers });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${group.name}/${variant.name}: ${res.status} ${text.slice(0, 200)}`);
        if (variant.name !== 'plain' && text.includes('"shop-0')) throw new Error(`${group.name}/${variant.name}: identifiers were not cloaked`);
        if (group.name === 'list-4k') process.stdout.write(`  ${variant.name.padEnd(9)} list answer: ${Buffer.byteLength(text)} bytes\n`);
      }
    }

    const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; cpu: number[] }>();
    for (let round = 1; round <= rounds; round++) {
      for (const group of groups) {
        for (const variant of group.variants) {
          if (round === 1 && warmup > 0) failures += bad(await generator.start({ url: gateway.url, scenario: variant, connections, seconds: warmup }).result);
          const cpuBefore = cpuSeconds(gateway.child.pid) ?? 0;
          const result = await generator.start({ url: gateway.url, scenario: variant, connections, seconds: duration }).result;
          const cpuUs = ((cpuSeconds(gateway.child.pid) ?? 0) - cpuBefore) * 1e6 / Math.max(1, result.requests);
          failures += bad(result);
          const rps = result.requests / result.seconds;
          const entry = results.get(`${group.name}/${variant.name}`) ?? { rps: [], p50: [], p99: [], cpu: [] };
          entry.rps.push(rps); entry.p50.push(result.p50Ms); entry.p99.push(result.p99Ms); entry.cpu.push(cpuUs);
          results.set(`${group.name}/${variant.name}`, entry);
          process.stdout.write(`  round ${round} ${group.name.padEnd(8)} ${variant.name.padEnd(9)} ${Math.round(rps).toString().padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  gateway CPU ${Math.round(cpuUs)} us/req  non-2xx ${result.non2xx}  errors ${result.errors}\n`);
        }
      }
    }

    process.stdout.write('\n(ratio: req/s over plain req/s; CPU: gateway process CPU per request, less sensitive to other load on the machine)\n');
    process.stdout.write('| Scenario | Variant | req/s | p50 ms | p99 ms | ratio to plain | gateway CPU us/req | CPU vs plain |\n|---|---|---:|---:|---:|---:|---:|---:|\n');
    const summary: Record<string, unknown>[] = [];
    for (const group of groups) {
      const plain = mean(results.get(`${group.name}/plain`)!.rps);
      const plainCpu = mean(results.get(`${group.name}/plain`)!.cpu);
      for (const variant of group.variants) {
        const r = results.get(`${group.name}/${variant.name}`)!;
        const row = { scenario: group.name, variant: variant.name, rps: Math.round(mean(r.rps)), p50Ms: median(r.p50), p99Ms: median(r.p99), ratio: mean(r.rps) / plain, cpuUsPerRequest: Math.round(mean(r.cpu)), cpuRatio: mean(r.cpu) / plainCpu };
        summary.push(row);
        process.stdout.write(`| ${row.scenario} | ${row.variant} | ${row.rps} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ${(row.ratio * 100).toFixed(0)}% | ${row.cpuUsPerRequest} | ${row.cpuRatio.toFixed(2)}x |\n`);
      }
    }
    process.stdout.write(`\nload average at the end: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    if (args.json) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), connections, duration, warmup, rounds, generator: generator.details, summary }, null, 2) + '\n');
    }
  } finally {
    await stopAllChildren();
    await rm(workDir, { recursive: true, force: true });
  }
  if (failures > 0) { process.stderr.write(`FAILED: ${failures} request(s) errored or got a non-2xx answer\n`); process.exit(1); }
}


function bad(result: LoadResult): number { return result.errors + result.non2xx; }
function mean(values: number[]): number { return values.reduce((a, b) => a + b, 0) / values.length; }
function median(values: number[]): number { const sorted = [...values].sort((a, b) => a - b); return sorted[Math.floor((sorted.length - 1) / 2)]!; }

/** This file in upstream mode, as a child process; resolves with its URL. */
function startUpstreamChild(): Promise<string> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve-upstream'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench upstream did not start')), 15_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the bench upstream exited (${code})`)); });
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && message.port) { clearTimeout(timer); resolve(`http://127.0.0.1:${message.port}`); }
    });
  });
}
