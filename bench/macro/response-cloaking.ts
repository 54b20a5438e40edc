/**
 * Macro benchmark: the cost of rewriting responses. One Portcullis process (one worker) in front of an upstream that
 * answers every GET with the same 4 KB JSON document full of personal data; each *variant* is a route of the same
 * gateway with different response protections, measured in turn under the same load, interleaved over rounds.
 *
 *   node bench/macro/response-cloaking.ts [--connections 50] [--duration 10] [--warmup 2] [--rounds 2]
 *                                         [--variant NAME ...] [--generator wrk|autocannon] [--json FILE] [--cpu-prof DIR]
 *
 * Variants (the first is the reference of the ratio column):
 *   off        responseCloaking switched off on the route: the body streams through
 *   banners    the default (banner headers removed in the head phase, nothing buffered)
 *   masking    field rules and all detectors on: the body is buffered, parsed, rewritten
 *   cloaking   identifier cloaking: the 64 order ids of the answer become tokens bound to the session cookie
 *   masking-cloaking  both
 * To measure another response protection (identifier cloaking) or a combination, add an entry to VARIANTS: its
 * `route` block is merged into the route, its `global` block into the top-level `protections`. Global blocks apply to
 * every route, so put there only settings that do nothing by themselves (keys, `bindTo`), never an enabled rule.
 * Exits 1 when a request failed or got an error status, or a variant did not answer as expected.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, killAllChildrenNow, loadOptions, loadSettings, repoRoot, startGateway, stopAllChildren, stopChild, track } from './bench-processes.ts';
import { createGenerator, GENERATORS, type LoadGenerator } from './load-generators.ts';
import type { Scenario } from './scenarios.ts';

/** A 4 KB order list: names, phones, e-mails, card numbers, resident numbers, account numbers. */
export function cloakingDocument(bytes = 4096): string {
  const orders = [];
  for (let i = 0; orders.length < 64; i++) {
    const doc = {
      orderId: `ord_${1000 + i}`,
      customer: { name: `Customer ${i}`, phone: `010-${String(1000 + i).padStart(4, '0')}-${String(5678 + i).slice(-4)}`, email: `user${i}@example.com` },
      payment: { cardNumber: '4111111111111111', amount: 6500 + i },
      note: i % 4 === 0 ? 'deliver to the back door, call 02-123-4567 first' : 'no note',
    };
    orders.push(doc);
    if (Buffer.byteLength(JSON.stringify({ orders, account: '110-234-567890', padding: '' })) > bytes) { orders.pop(); break; }
  }
  const base = { orders, account: '110-234-567890', padding: '' };
  base.padding = 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(JSON.stringify(base))));
  return JSON.stringify(base);
}

export interface Variant {
  name: string;
  description: string;
  /** Merged into the variant's route `protections`. */
  route: Record<string, unknown>;
  /** Merged into the top-level `protections`. */
  global?: Record<string, unknown>;
  /** Checks one response of the pre-flight request; returns a problem or undefined. */
  check(body: string, headers: http.IncomingHttpHeaders): string | undefined;
}

const HASH_KEY_ENV = 'PORTCULLIS_BENCH_HASH_KEY';
/** The masking variants' settings: three field rules and every detector. */
const MASKING = {
  hashKey: { env: HASH_KEY_ENV },
  fields: [
    { path: '$.orders[*].customer.name', action: 'mask', keep: 1 },
    { path: '$.orders[*].payment.cardNumber', action: 'hash' },
    { path: '$.padding', action: 'remove' },
  ],
  detectors: { cards: {}, phones: {}, emails: {}, residentNumbers: {}, bankAccounts: { patterns: ['###-###-######'] } },
};
/** Requests carry this session cookie: identifier tokens are bound to it (`bindTo: { cookie: sid }`). */
const SESSION_COOKIE = 'sid=bench-session-1';
/** Keys and binding only (they do nothing by themselves): the variants' routes say what is cloaked. */
const IDENTIFIER_KEYS = { identifierCloaking: { bindTo: { cookie: 'sid' }, keys: [{ id: 'b1', secret: Buffer.alloc(32, 7).toString('base64') }] } };

export const VARIANTS: Variant[] = [
  {
    name: 'off', description: 'responseCloaking: { enabled: false }: the body streams through',
    route: { responseCloaking: { enabled: false } },
    check: (body, headers) => (body === DOCUMENT && headers.server !== undefined ? undefined : 'expected the upstream body and banner unchanged'),
  },
  {
    name: 'banners', description: 'the default: banner headers removed, nothing buffered',
    route: {},
    check: (body, headers) => (body === DOCUMENT && headers.server === undefined ? undefined : 'expected the body unchanged and no Server header'),
  },
  {
    name: 'masking', description: 'fields (mask, hash, remove) and all detectors: buffered, parsed, rewritten',
    route: {
      responseCloaking: MASKING,
    },
    check: (body) => (!body.includes('010-1000-5678') && !body.includes('user0@example.com') && !body.includes('4111111111111111') && body.includes('***-****-5678')
      ? undefined : 'expected phones, e-mails and cards cloaked'),
  },
  {
    name: 'cloaking', description: 'identifierCloaking: the 64 order ids become tokens bound to the session cookie',
    route: { identifierCloaking: { response: { json: { '$.orders[*].orderId': 'order' } } } },
    global: IDENTIFIER_KEYS,
    check: (body) => (!body.includes('"ord_1000"') && body.includes('"orderId":"') ? undefined : 'expected order ids replaced by tokens'),
  },
  {
    name: 'masking-cloaking', description: 'both: masking as above and order ids as tokens',
    route: {
      responseCloaking: MASKING,
      identifierCloaking: { response: { json: { '$.orders[*].orderId': 'order' } } },
    },
    global: IDENTIFIER_KEYS,
    check: (body) => (!body.includes('"ord_1000"') && !body.includes('010-1000-5678') && body.includes('***-****-5678') ? undefined : 'expected masking and tokens'),
  },
];

const DOCUMENT = cloakingDocument();

// ---- the upstream (this file run with --upstream) ------------------------------------------------------------

async function serveUpstream(): Promise<void> {
  const body = Buffer.from(DOCUMENT);
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, server: 'bench-upstream/1.0', 'x-powered-by': 'node' });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

function startUpstreamChild(): Promise<{ child: ReturnType<typeof spawn>; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--upstream'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench upstream did not start in time')), 15_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`the bench upstream exited early (${signal ?? code})`)); });
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'listening' || !message.port) return;
      clearTimeout(timer);
      resolve({ child, url: `http://127.0.0.1:${message.port}` });
    });
  });
}

// ---- the benchmark ---------------------------------------------------------------------------------------------

const usage = `usage: node bench/macro/response-cloaking.ts [options]
  --connections N   concurrent connections (default 50)
  --duration S      seconds per variant and round (default 10)
  --warmup S        discarded seconds before each variant's first round (default 2)
  --rounds N        rounds; each measures every variant (default 2)
  --variant NAME    only this variant (repeatable): ${VARIANTS.map((v) => v.name).join(', ')}
  --generator NAME  wrk or autocannon (default: wrk when on PATH)
  --json FILE       also write the results as JSON
  --cpu-prof DIR    run Portcullis with --cpu-prof (summary: node bench/macro/cpu-profile-summary.ts DIR/*.cpuprofile)`;

function policyFor(upstreamUrl: string, variants: Variant[], logDir: string): Record<string, unknown> {
  const global: Record<string, unknown> = {};
  for (const variant of variants) Object.assign(global, variant.global ?? {});
  return {
    version: 1, mode: 'enforce', workers: 1,
    listeners: [{ name: 'public', address: '127.0.0.1:0' }],
    admin: { address: '127.0.0.1:0' },
    upstreams: { up: { url: upstreamUrl } },
    routes: variants.map((variant) => ({ name: variant.name, path: `/${variant.name}/**`, methods: ['GET'], upstream: 'up', protections: variant.route })),
    protections: global,
    logging: { access: { destination: path.join(logDir, 'access.log') }, security: { destination: path.join(logDir, 'security.log') } },
  };
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({ options: { ...loadOptions({ duration: 10, rounds: 2 }), 'cpu-prof': { type: 'string' }, variant: { type: 'string', multiple: true } }, strict: true });
  if (args.help) { process.stdout.write(usage + '\n'); return 0; }
  const { connections, duration, warmup, rounds } = loadSettings(args, usage);
  const variants = args.variant ? args.variant.map((name) => {
    const variant = VARIANTS.find((v) => v.name === name);
    if (!variant) { process.stderr.write(`unknown variant "${name}"\n\n${usage}\n`); process.exit(2); }
    return variant;
  }) : VARIANTS;
  const generatorChoice = (args.generator ?? 'auto') as 'auto' | typeof GENERATORS[number];

  process.env[HASH_KEY_ENV] ??= 'bench-hash-key-of-at-least-thirty-two-bytes';
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-cloak-'));
  try {
    const generator: LoadGenerator = await createGenerator({ generator: generatorChoice, workDir, pin: 'none' });
    process.stdout.write(`Response cloaking benchmark, ${new Date().toISOString()}\n`);
    process.stdout.write(`machine: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`generator: ${generator.description}; ${connections} connections, ${duration} s per run, ${warmup} s warm-up, ${rounds} round(s)\n`);
    process.stdout.write(`response: ${Buffer.byteLength(DOCUMENT)} bytes of JSON\n\n`);

    const upstream = await startUpstreamChild();
    const nodeFlags = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    const gateway = await startGateway({ policy: policyFor(upstream.url, variants, workDir), workDir, nodeFlags });

    // Pre-flight: each variant answers 200 and does what it says, so the numbers measure real work.
    for (const variant of variants) {
      const response = await fetch(`${gateway.url}/${variant.name}/orders`, { headers: { cookie: SESSION_COOKIE } });
      const body = await response.text();
      const headers = Object.fromEntries(response.headers) as http.IncomingHttpHeaders;
      const problem = response.status !== 200 ? `status ${response.status}: ${body.slice(0, 200)}` : variant.check(body, headers);
      if (problem) throw new Error(`variant ${variant.name}: ${problem}`);
    }

    const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; cpuUs: number[] }>();
    let failures = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const variant of variants) {
        const scenario: Scenario = { name: `cloak-${variant.name}`, description: variant.description, method: 'GET', path: `/${variant.name}/orders`, headers: { accept: 'application/json', cookie: SESSION_COOKIE } };
        if (round === 1 && warmup > 0) {
          const warm = await generator.start({ url: gateway.url, scenario, connections, seconds: warmup }).result;
          failures += warm.errors + warm.non2xx;
        }
        const cpuBefore = cpuSeconds(gateway.child.pid);
        const r = await generator.start({ url: gateway.url, scenario, connections, seconds: duration }).result;
        const cpuAfter = cpuSeconds(gateway.child.pid);
        failures += r.errors + r.non2xx;
        const entry = results.get(variant.name) ?? { rps: [], p50: [], p99: [], cpuUs: [] };
        entry.rps.push(r.requests / r.seconds);
        entry.p50.push(r.p50Ms);
        entry.p99.push(r.p99Ms);
        if (cpuBefore !== undefined && cpuAfter !== undefined && r.requests > 0) entry.cpuUs.push((cpuAfter - cpuBefore) * 1e6 / r.requests);
        results.set(variant.name, entry);
        process.stdout.write(`  round ${round} ${variant.name.padEnd(10)} ${Math.round(r.requests / r.seconds).toString().padStart(6)} req/s  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  errors ${r.errors + r.non2xx}\n`);
      }
    }
    await stopChild(gateway.child, 10_000);

    const mean = (values: number[]) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
    const reference = mean(results.get(variants[0]!.name)!.rps);
    const rows = variants.map((variant) => {
      const r = results.get(variant.name)!;
      return {
        variant: variant.name, description: variant.description, requestsPerSecond: mean(r.rps), p50Ms: mean(r.p50), p99Ms: mean(r.p99),
        ratio: mean(r.rps) / reference, cpuUsPerRequest: r.cpuUs.length ? mean(r.cpuUs) : undefined,
      };
    });
    process.stdout.write(`\nvariant     req/s   p50 ms  p99 ms  ratio to ${variants[0]!.name}  CPU us/req\n`);
    for (const row of rows) {
      process.stdout.write(`${row.variant.padEnd(10)} ${Math.round(row.requestsPerSecond).toString().padStart(6)}  ${row.p50Ms.toFixed(1).padStart(6)}  ${row.p99Ms.toFixed(1).padStart(6)}  ${row.ratio.toFixed(2).padStart(12)}  ${row.cpuUsPerRequest === undefined ? '-' : Math.round(row.cpuUsPerRequest).toString().padStart(10)}\n`);
    }
    if (args.json) {
      await writeFile(args.json, JSON.stringify({ date: new Date().toISOString(), responseBytes: Buffer.byteLength(DOCUMENT), connections, duration, rounds, generator: generator.details, rows }, null, 2) + '\n');
    }
    if (failures > 0) { process.stderr.write(`FAILED: ${failures} request(s) errored or got an error status\n`); return 1; }
    return 0;
  } finally {
    await stopAllChildren();
    await rm(workDir, { recursive: true, force: true });
  }
}



if (process.argv.includes('--upstream')) {
  await serveUpstream();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('exit', killAllChildrenNow);
  let code = 1;
  try { code = await main(); } catch (error) { process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`); }
  process.exit(code);
}
