import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { parse } from 'yaml';
import { startUpstream } from '../helpers/upstream.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { runCli } from '../helpers/cli.ts';

// The tuning loop an operator runs: detection in monitor mode records what it would refuse, `portcullis exclusions`
// reads the security log and suggests exclusions, and the policy with them passes the application's own traffic
// while attacks elsewhere are still refused.

// (a forum of database questions: the statements users paste, a clean-up step after a `;` among them)
const question = JSON.stringify({ title: 'Slow query', body: 'My query is slow:\n\nSELECT name, COUNT(*) FROM users GROUP BY name HAVING COUNT(*) > 1; DROP TABLE tmp_users;\n\nany ideas?' });

async function post(gw: TestGateway, path: string, body: string, client: string): Promise<number> {
  const res = await request(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body });
  await res.body.text();
  return res.statusCode;
}

test('exclusions suggested from a monitor-mode log let the application traffic through, and only it', async () => {
  const upstream = await startUpstream();
  const base = {
    upstreams: { app: { url: upstream.url } },
    clientAddress: { trustedProxies: ['127.0.0.1/32'] },
  };
  const forum = { name: 'forum', path: '/forum/**', methods: ['POST'], upstream: 'app' };
  const monitoring = await startGateway({ ...base, routes: [{ ...forum, protections: { attackDetection: { mode: 'monitor' } } }] });
  let tuned: TestGateway | undefined;
  try {
    // five users post the same kind of question; one client probes a different field
    for (let i = 1; i <= 5; i++) assert.equal(await post(monitoring, '/forum/posts', question, `203.0.113.${i}`), 200);
    assert.equal(await post(monitoring, '/forum/posts', JSON.stringify({ title: "x' OR '1'='1" }), '198.51.100.7'), 200);
    await monitoring.logs();

    const run = await runCli(['exclusions', '--log', monitoring.logFile]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^# portcullis exclusions: 1 suggestion from 6 attack-detection events/m);
    const fragment = parse(run.stdout) as { routes: { name: string; protections: { attackDetection: { exclusions: { rules: string[]; locations: string[]; reason: string }[] } } }[] };
    assert.equal(fragment.routes.length, 1);
    assert.equal(fragment.routes[0]!.name, 'forum');
    const exclusions = fragment.routes[0]!.protections.attackDetection.exclusions;
    assert.deepEqual(exclusions.map((e) => e.locations), [['body:$.body']], 'the probe of one client is no suggestion');
    assert.ok(exclusions[0]!.rules.every((rule) => rule.startsWith('sqli-')), JSON.stringify(exclusions));
    assert.match(exclusions[0]!.reason, /from 5 clients/);

    // the policy with the suggestion, in enforce mode
    tuned = await startGateway({ ...base, routes: [{ ...forum, protections: { attackDetection: { exclusions } } }] });
    assert.equal(await post(tuned, '/forum/posts', question, '203.0.113.9'), 200);
    assert.equal(await post(tuned, '/forum/posts', JSON.stringify({ title: "x' OR '1'='1", body: 'hi' }), '198.51.100.7'), 403, 'the title is still inspected');
    assert.equal(await post(tuned, '/forum/posts', JSON.stringify({ body: '<script>alert(1)</script>' }), '198.51.100.7'), 403, 'other categories still count in the body');

    // one client is enough when asked; usage errors exit 2
    const loose = await runCli(['exclusions', '--log', monitoring.logFile, '--min-clients', '1']);
    assert.match(loose.stdout, /2 suggestions/);
    assert.equal((await runCli(['exclusions'])).code, 2);
    assert.equal((await runCli(['exclusions', '--log', '/nonexistent/file.log'])).code, 2);
    assert.equal((await runCli(['exclusions', '--log', monitoring.logFile, '--min-clients', '0'])).code, 2);
  } finally {
    await monitoring.close();
    await tuned?.close();
    await upstream.close();
  }
});
