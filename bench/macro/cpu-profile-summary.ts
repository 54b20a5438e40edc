/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, overall and for Portcullis's
 * own source (src/), self time per area (src, node internals, dependencies, GC, idle) and per src/ directory, and
 * the src/ functions by inclusive time (their callees included, Node's and dependencies' too).
 *
 *   node bench/macro/cpu-profile-summary.ts FILE.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.includes('/node_modules/')) return `dep:${url.split('/node_modules/').pop()!.split('/')[0]}`;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'portcullis src';
  return 'other';
}

function location(url: string, line: number): string {
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  return `${file.startsWith(repoRoot) ? file.slice(repoRoot.length) : file.replace(/^.*\/node_modules\//, '')}:${line + 1}`;
}

process.stdout.on('error', () => process.exit(0)); // e.g. piped into head
const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
if (positionals.length !== 1) { process.stderr.write('usage: node bench/macro/cpu-profile-summary.ts FILE.cpuprofile [--top N]\n'); process.exit(2); }
const top = Number(values.top);
const profile = JSON.parse(await readFile(positionals[0], 'utf8')) as CpuProfile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const functions = new Map<string, { name: string; where: string; area: string; us: number }>();
const areas = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const name = functionName || '(anonymous)';
  const key = `${name}@${url}:${lineNumber}`;
  const entry = functions.get(key) ?? { name, where: url ? location(url, lineNumber) : '', area: area(url, name), us: 0 };
  entry.us += us;
  functions.set(key, entry);
  areas.set(entry.area, (areas.get(entry.area) ?? 0) + us);
}

const busy = total - (areas.get('(idle)') ?? 0);
const pct = (us: number, of: number) => `${(100 * us / of).toFixed(1).padStart(5)}%`;
const print = (title: string, rows: { name: string; where: string; us: number }[]) => {
  process.stdout.write(`\n${title}\n`);
  for (const r of rows) process.stdout.write(`${pct(r.us, busy)}  ${(r.us / 1000).toFixed(0).padStart(7)} ms  ${r.name}  ${r.where}\n`);
};

process.stdout.write(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (percentages are of non-idle time)\n`);
process.stdout.write('\nself time by area\n');
for (const [name, us] of [...areas].sort((a, b) => b[1] - a[1])) process.stdout.write(`${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
const sorted = [...functions.values()].sort((a, b) => b.us - a.us);
print(`top ${top} functions by self time`, sorted.slice(0, top));
print(`top ${top} Portcullis (src/) functions by self time`, sorted.filter((f) => f.area === 'portcullis src').slice(0, top));

// Self time of src/ per directory (src/inspect/detect/sqli, src/observe, ...).
const directories = new Map<string, number>();
for (const f of functions.values()) {
  if (f.area !== 'portcullis src') continue;
  const dir = path.dirname(f.where.replace(/:\d+$/, ''));
  directories.set(dir, (directories.get(dir) ?? 0) + f.us);
}
process.stdout.write('\nPortcullis (src/) self time by directory\n');
for (const [dir, us] of [...directories].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${dir}\n`);
}

// Inclusive time: each sample counts once for every distinct src/ function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, { name: string; where: string; us: number }>();
const stackCache = new Map<number, string[]>();
const srcStack = (id: number): string[] => {
  let keys = stackCache.get(id);
  if (keys) return keys;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
    if (area(url, functionName) !== 'portcullis src') continue;
    const key = `${functionName || '(anonymous)'}@${url}:${lineNumber}`;
    if (!seen.has(key)) {
      seen.add(key);
      if (!inclusive.has(key)) inclusive.set(key, { name: functionName || '(anonymous)', where: location(url, lineNumber), us: 0 });
    }
  }
  keys = [...seen];
  stackCache.set(id, keys);
  return keys;
};
profile.samples.forEach((id, i) => { for (const key of srcStack(id)) inclusive.get(key)!.us += profile.timeDeltas[i] ?? 0; });
print(`top ${top} Portcullis (src/) functions by inclusive time (callees included)`, [...inclusive.values()].sort((a, b) => b.us - a.us).slice(0, top));
