/**
 * Macro benchmark of request validation: the same 1 KB JSON POST (`orderJson(1024)`, the `json-post-1k` scenario of
 * proxy-overhead.ts) through one Portcullis process on three routes that differ only in request validation:
 *
 *   off      requestValidation switched off on the route
 *   limits   the default: structure limits only (strict JSON parse, depth, members, lengths, numbers)
 *   schema   the demo description's Order schema (examples/shop-api/openapi.yaml, createOrder), unknown fields refused
 *
 *   node bench/macro/validation.ts [--connections 50] [--duration 10] [--warmup 2] [--rounds 2] [--generator wrk|autocannon]
 *
 * Every other protection is as in the quickstart policy (attack detection inspects every body). The targets are
 * measured in turn, each round in the order off, limits, schema. Prints req/s, latency, the gateway's CPU per request
 * and the ratio to `off`. See docs/performance.md for how to read macro numbers.
 *
 * First, in this process, the cost of the protection's body hook alone on the same body (microseconds per body,
 * JSON.parse as a reference): a figure that machine load disturbs far less than the macro one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchPolicy, cpuSeconds, killAllChildrenNow, loadOptions, loadSettings, repoRoot, startGateway, startUpstream, stopAllChildren } from './bench-processes.ts';
import { createGenerator, type LoadResult } from './load-generators.ts';
import { orderJson, type Scenario } from './scenarios.ts';
import { loadApiDescription } from '../../src/openapi/operations.ts';
import { requestValidation } from '../../src/protections/request-validation/request-validation.ts';
import { createLocalStores } from '../../src/store/registry.ts';
import type { Exchange } from '../../src/pipeline/exchange.ts';
import type { Policy } from '../../src/config/policy-types.ts';

const usage = 'usage: node bench/macro/validation.ts [--connections N] [--duration S] [--warmup S] [--rounds N] [--generator wrk|autocannon]';
const { values: args } = parseArgs({ options: loadOptions({ duration: 10, rounds: 2 }), strict: true });
if (args.help) {
  process.stdout.write(usage + '\n');
  process.exit(0);
}
const { connections, duration, warmup, rounds } = loadSettings(args, usage);

const TARGETS = ['off', 'limits', 'schema'] as const;
type Target = typeof TARGETS[number];

/** The createOrder request schema of the demo description, as `openapi import` emits it. */
function orderSchema(): unknown {
  const api = loadApiDescription(path.join(repoRoot, 'examples/shop-api/openapi.yaml'));
  const create = api.operations.find((operation) => operation.operationId === 'createOrder')!;
  return api.schemas.standalone(create.requestBody!.content['application/json']!.schema!);
}


/** Microseconds per call of the body hook (limits only, and with the schema), and of JSON.parse, on `body`. */
function microCosts(body: string): { limits: number; schema: number; jsonParse: number } {
  const buffer = Buffer.from(body);
  const create = (config: object) => requestValidation.create(config, {
    policy: {} as Policy, scope: 'bench', stores: createLocalStores(), issue: (at, message) => { throw new Error(`${at}: ${message}`); },
  });
  const exchange = { header: (name: string) => (name === 'content-type' ? 'application/json' : undefined), req: { headers: {} } } as unknown as Exchange;
  const time = (run: () => unknown) => {
    for (let i = 0; i < 5000; i++) run();
    const n = 50_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run();
    return Number(process.hrtime.bigint() - started) / n / 1000;
  };
  const limits = create({});
  const schema = create({ body: { required: true, content: { 'application/json': { schema: orderSchema() } } } });
  for (const instance of [limits, schema]) {
    const verdict = instance.onRequestBody!(exchange, buffer) as { action: string };
    if (verdict.action !== 'pass') throw new Error(`the bench order does not pass: ${JSON.stringify(verdict)}`);
  }
  return {
    limits: time(() => limits.onRequestBody!(exchange, buffer)),
    schema: time(() => schema.onRequestBody!(exchange, buffer)),
    jsonParse: time(() => JSON.parse(buffer.toString('utf8'))),
  };
}

interface Row { target: Target; round: number; rps: number; p50: number; p99: number; cpuUs: number | undefined; bad: number }

async function main(): Promise<number> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-bench-validation-'));
  process.on('exit', killAllChildrenNow);
  try {
    const generator = await createGenerator({ generator: args.generator as 'auto', workDir, pin: 'none' });
    process.stdout.write(`Request validation benchmark, ${new Date().toISOString()}\n`);
    process.stdout.write(`machine: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`generator: ${generator.description}; ${connections} connections, ${duration} s per run, ${warmup} s warm-up, ${rounds} round(s)\n`);

    const micro = microCosts(orderJson(1024));
    process.stdout.write(`\nIn process, per 1 KB body: JSON.parse ${micro.jsonParse.toFixed(1)} us; limits (strict parse) ${micro.limits.toFixed(1)} us; ` +
      `schema (parse + ajv) ${micro.schema.toFixed(1)} us\n\n`);

    const upstream = await startUpstream();
    const policy = benchPolicy(upstream.url, workDir) as { routes: Record<string, unknown>[] };
    const base = { methods: ['POST'], upstream: 'shop', limits: { maxBodyBytes: 65536 } };
    policy.routes.unshift(
      { ...base, name: 'orders-off', path: '/bench/off/orders', protections: { requestValidation: { enabled: false } } },
      { ...base, name: 'orders-limits', path: '/bench/limits/orders' },
      {
        ...base, name: 'orders-schema', path: '/bench/schema/orders',
        protections: { requestValidation: { body: { required: true, content: { 'application/json': { schema: orderSchema() } } } } },
      },
    );
    const gateway = await startGateway({ policy, workDir });
    const body = orderJson(1024);
    const scenario = (target: Target): Scenario => ({
      name: `json-post-1k-${target}`, description: '', method: 'POST', path: `/bench/${target}/orders`,
      headers: { accept: 'application/json', 'user-agent': 'portcullis-bench/1', 'content-type': 'application/json' }, body,
    });
    // A request each first: all three must be accepted, and an invalid order refused on the schema route only.
    for (const target of TARGETS) {
      const res = await fetch(gateway.url + scenario(target).path, { method: 'POST', headers: scenario(target).headers, body });
      if (res.status !== 201) throw new Error(`${target}: status ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
    const invalid = await fetch(`${gateway.url}/bench/schema/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace('"quantity":2', '"quantity":0') });
    if (invalid.status !== 400) throw new Error(`the schema route accepted an invalid order (${invalid.status})`);

    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const target of TARGETS) {
        if (round === 1 && warmup > 0) await generator.start({ url: gateway.url, scenario: scenario(target), connections, seconds: warmup }).result;
        const before = cpuSeconds(gateway.child.pid);
        const result: LoadResult = await generator.start({ url: gateway.url, scenario: scenario(target), connections, seconds: duration }).result;
        const after = cpuSeconds(gateway.child.pid);
        const row: Row = {
          target, round, rps: result.requests / result.seconds, p50: result.p50Ms, p99: result.p99Ms,
          cpuUs: before !== undefined && after !== undefined && result.requests > 0 ? (after - before) * 1e6 / result.requests : undefined,
          bad: result.non2xx + result.errors,
        };
        rows.push(row);
        process.stdout.write(`  round ${round} ${target.padEnd(7)} ${Math.round(row.rps).toString().padStart(6)} req/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms` +
          `${row.cpuUs === undefined ? '' : `  CPU ${Math.round(row.cpuUs)} us/req`}  non-2xx+errors ${row.bad}\n`);
      }
    }

    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const median = (values: number[]) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };
    const summary = TARGETS.map((target) => {
      const mine = rows.filter((r) => r.target === target);
      const cpu = mine.map((r) => r.cpuUs).filter((v): v is number => v !== undefined);
      return { target, rps: mean(mine.map((r) => r.rps)), p50: median(mine.map((r) => r.p50)), p99: median(mine.map((r) => r.p99)), cpu: cpu.length > 0 ? mean(cpu) : undefined, bad: mine.reduce((a, r) => a + r.bad, 0) };
    });
    const off = summary[0]!;
    process.stdout.write('\n| route (1 KB JSON POST) | req/s | ratio to off | p50 ms | p99 ms | gateway CPU us/req |\n|---|---:|---:|---:|---:|---:|\n');
    for (const s of summary) {
      process.stdout.write(`| ${s.target} | ${Math.round(s.rps)} | ${(s.rps / off.rps).toFixed(2)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.cpu === undefined ? '-' : Math.round(s.cpu)} |\n`);
    }
    return summary.some((s) => s.bad > 0) ? 1 : 0;
  } finally {
    await stopAllChildren();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: Error) => { process.stderr.write(`${error.stack ?? error.message}\n`); void stopAllChildren().then(() => process.exit(1)); });
