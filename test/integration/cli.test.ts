import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { request } from 'undici';
import { stringify } from 'yaml';
import { runCli, spawnCli, freePort } from '../helpers/cli.ts';
import { startUpstream } from '../helpers/upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-test-'));

function policyFile(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

test('check: a valid policy exits 0; the bundled example is valid', async () => {
  const result = await runCli(['check', '--config', 'examples/portcullis.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /valid \(6 routes, 1 upstream, mode enforce\)/);
});

test('check: every error is listed with its JSON pointer, exit code 2', async () => {
  const file = policyFile('bad.yaml', stringify({
    mode: 'block',
    upstreams: { shop: { url: 'http://127.0.0.1:3000' } },
    routes: [
      { path: '/a', upstream: 'shop' },
      { path: '/b', upstream: 'shop', methods: ['GET', 'FETCH'] },
      { path: '/c', upstream: 'shop', colour: 'red' },
      { path: '/d', upstream: 'shop', methods: ['GET'], limits: { maxBodyBytes: -1 } },
    ],
  }));
  const result = await runCli(['check', '--config', file]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /4 errors/);
  assert.match(result.stderr, /\/mode: must be one of enforce, monitor/);
  assert.match(result.stderr, /\/routes\/1\/methods\/1: must be one of ACL, BIND, .*GET, HEAD, .*PROPFIND/);
  assert.match(result.stderr, /\/routes\/2: unknown key "colour"/);
  assert.match(result.stderr, /\/routes\/3\/limits\/maxBodyBytes: must be >= 0/);
});

test('check: reference and protection errors are listed too', async () => {
  const file = policyFile('refs.yaml', stringify({
    upstreams: { shop: { url: 'http://127.0.0.1:3000/api' } },
    routes: [{ path: '/a/{x', upstream: 'shop' }, { path: '/b', upstream: 'nowhere' }],
    protections: { ipList: { deny: ['10.0.0.0/33'] } },
  }));
  const result = await runCli(['check', '--config', file]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /\/upstreams\/shop\/url: must be an origin only/);
  assert.match(result.stderr, /\/routes\/1\/upstream: no upstream named "nowhere"/);
  const again = await runCli(['check', '--config', policyFile('refs2.yaml', stringify({
    upstreams: { shop: { url: 'http://127.0.0.1:3000' } },
    routes: [{ path: '/a/{x', upstream: 'shop' }],
    protections: { ipList: { deny: ['10.0.0.0/33'] } },
  }))]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /\/routes\/0\/path: segment "\{x" must hold exactly one \{name\}/);
  assert.match(again.stderr, /\/protections\/ipList\/deny\/0: invalid CIDR "10.0.0.0\/33"/);
});

test('check: YAML syntax errors name the line; a missing file is reported; secrets never appear', async () => {
  const yamlError = await runCli(['check', '--config', policyFile('syntax.yaml', 'routes:\n  - path: /a\n   upstream: x\n')]);
  assert.equal(yamlError.code, 2);
  assert.match(yamlError.stderr, /line \d+/);
  const missing = await runCli(['check', '--config', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the policy file \(ENOENT\)/);
  const secretFile = policyFile('secret.yaml', stringify({
    admin: { address: '0.0.0.0:9901', token: { env: 'PORTCULLIS_TEST_TOKEN' } },
    upstreams: { shop: { url: 'http://127.0.0.1:3000' } },
    routes: [{ path: '/a', upstream: 'shop', methods: ['NOPE'] }],
  }));
  const withSecret = await runCli(['check', '--config', secretFile], { env: { PORTCULLIS_TEST_TOKEN: 's3cr3t-value-xyz' } });
  assert.equal(withSecret.code, 2);
  assert.ok(!withSecret.stderr.includes('s3cr3t-value-xyz'));
  const unset = await runCli(['check', '--config', policyFile('secret2.yaml', stringify({
    admin: { address: '0.0.0.0:9901', token: { env: 'PORTCULLIS_UNSET_TOKEN' } },
    upstreams: { shop: { url: 'http://127.0.0.1:3000' } },
    routes: [{ path: '/a', upstream: 'shop' }],
  }))]);
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /\/admin\/token: environment variable PORTCULLIS_UNSET_TOKEN is not set/);
});

test('schema, version and help', async () => {
  const schema = await runCli(['schema']);
  assert.equal(schema.code, 0);
  const parsed = JSON.parse(schema.stdout) as { properties: Record<string, unknown>; additionalProperties: boolean };
  assert.equal(parsed.additionalProperties, false);
  assert.ok(parsed.properties.routes && parsed.properties.upstreams && parsed.properties.limits);
  const version = await runCli(['version']);
  assert.match(version.stdout, /^portcullis \d+\.\d+\.\d+/);
  for (const command of ['start', 'check', 'schema', 'version']) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`portcullis ${command}`));
  }
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  const badFlag = await runCli(['check', '--nope']);
  assert.equal(badFlag.code, 2);
  const neither = await runCli(['start']);
  assert.equal(neither.code, 2);
});

test('start refuses to run with Node\'s insecure HTTP parser', async () => {
  const result = await runCli(['start', '--upstream', 'http://127.0.0.1:9'], { env: { NODE_OPTIONS: '--insecure-http-parser' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /refusing to run with --insecure-http-parser/);
});

test('start --upstream protects an existing service with no policy file', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const port = await freePort();
  const adminPort = await freePort();
  const gw = await spawnCli(['start', '--upstream', upstream.url, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`]);
  t.after(() => { gw.child.kill('SIGKILL'); });
  const res = await request(`http://127.0.0.1:${port}/any/path?x=1`, { method: 'PATCH', body: 'x', headers: { 'content-type': 'text/plain' } });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
  assert.equal(upstream.requests.at(-1)!.url, '/any/path?x=1');
  const trace = await request(`http://127.0.0.1:${port}/any`, { method: 'TRACE' });
  await trace.body.dump();
  assert.equal(trace.statusCode, 405, 'TRACE is refused by default');
  assert.equal((await request(`http://127.0.0.1:${adminPort}/readyz`)).statusCode, 200);
  const bound = await runCli(['start', '--upstream', upstream.url, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`]);
  assert.equal(bound.code, 1, 'a port in use is a runtime failure');
  assert.match(bound.stderr, /EADDRINUSE/);
  gw.child.kill('SIGTERM');
  assert.equal(await gw.exited, 0);
});

test('workers: 2 processes share the port; metrics are summed over workers', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const port = await freePort();
  const adminPort = await freePort();
  const gw = await spawnCli(['start', '--upstream', upstream.url, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', '2'],
    '"event":"cluster_started"');
  t.after(() => { gw.child.kill('SIGKILL'); });
  const deadline = Date.now() + 15_000;
  while ((await request(`http://127.0.0.1:${adminPort}/readyz`).then((r) => r.statusCode, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('workers did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(gw.child.pid)]).toString().trim().split('\n');
  assert.equal(children.length, 2, 'two worker processes');
  for (let i = 0; i < 40; i++) {
    const res = await request(`http://127.0.0.1:${port}/n/${i}`, { reset: true });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
  }
  const metrics = await (await request(`http://127.0.0.1:${adminPort}/metrics`)).body.text();
  assert.match(metrics, /portcullis_requests_total\{route="default",status="200"\} 40/);
  gw.child.kill('SIGTERM');
  assert.equal(await gw.exited, 0);
});
