import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { record, runLogPhase, runPhase, errorSummary, type Step } from './run-phase.ts';
import { Exchange, type ConnectionInfo } from './exchange.ts';
import { allow, block, challenge, flag, pass, type Verdict } from './verdict.ts';
import type { Mode } from '../config/policy-types.ts';

function exchange(): Exchange {
  const req = { method: 'GET', headers: {} } as unknown as IncomingMessage;
  const connection: ConnectionInfo = { peerAddress: '1.2.3.4', peerPort: 5555, listener: 'test', protocol: 'http' };
  return new Exchange(req, {} as ServerResponse, connection);
}

/** A step whose request-head hook returns (or throws, or resolves to) the given outcome and logs its calls. */
function step(protection: string, mode: Mode, outcome: Verdict | Error | (() => Verdict | Promise<Verdict>), calls: string[]): Step {
  return {
    protection, mode,
    instance: {
      onRequestHead: () => {
        calls.push(protection);
        if (outcome instanceof Error) throw outcome;
        return typeof outcome === 'function' ? outcome() : outcome;
      },
    },
  };
}

const invoke = (ex: Exchange) => (s: Step) => s.instance.onRequestHead!(ex);

/** Keeps the protection_error lines the system log writes out of the test output. */
function quietStderr(t: TestContext): void {
  t.mock.method(process.stderr, 'write', () => true);
}

describe('runPhase', () => {
  test('no steps: continue', async () => {
    const ex = exchange();
    assert.equal(await runPhase(ex, [], invoke(ex)), null);
    assert.deepEqual(ex.verdicts, []);
  });

  test('pass verdicts are not recorded', async () => {
    const ex = exchange(); const calls: string[] = [];
    assert.equal(await runPhase(ex, [step('a', 'enforce', pass(), calls), step('b', 'monitor', pass(), calls)], invoke(ex)), null);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts, []);
  });

  test('enforce stops at the first block', async () => {
    const ex = exchange(); const calls: string[] = [];
    const first = block(403, 'first');
    const outcome = await runPhase(ex, [
      step('a', 'enforce', pass(), calls),
      step('b', 'enforce', first, calls),
      step('c', 'enforce', block(400, 'second'), calls),
    ], invoke(ex));
    assert.equal(outcome, first);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts, [{ protection: 'b', action: 'block', reason: 'first', mode: 'enforce', wouldBlock: false, status: 403, detail: undefined }]);
  });

  test('monitor turns a block into a flag that would have blocked, and continues', async () => {
    const ex = exchange(); const calls: string[] = [];
    const detail = { location: 'path', excerpt: '/x' };
    const outcome = await runPhase(ex, [
      step('a', 'monitor', block(403, 'ip_denied', { detail }), calls),
      step('b', 'enforce', pass(), calls),
    ], invoke(ex));
    assert.equal(outcome, null);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts, [{ protection: 'a', action: 'flag', reason: 'ip_denied', mode: 'monitor', wouldBlock: true, status: 403, detail }]);
  });

  test('monitored block then an enforced block: the enforced one stops', async () => {
    const ex = exchange(); const calls: string[] = [];
    const enforced = block(405, 'method_not_allowed');
    const outcome = await runPhase(ex, [
      step('a', 'monitor', block(403, 'x'), calls),
      step('b', 'enforce', enforced, calls),
      step('c', 'enforce', pass(), calls),
    ], invoke(ex));
    assert.equal(outcome, enforced);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts.map((v) => [v.protection, v.action, v.wouldBlock]), [['a', 'flag', true], ['b', 'block', false]]);
  });

  test('challenge is stopping under enforce and a flag under monitor', async () => {
    const ex = exchange(); const calls: string[] = [];
    const c = challenge('js', 'bot_suspected');
    assert.equal(await runPhase(ex, [step('m', 'monitor', c, calls), step('e', 'enforce', c, calls)], invoke(ex)), c);
    assert.deepEqual(ex.verdicts.map((v) => [v.protection, v.action, v.wouldBlock, v.status]), [['m', 'flag', true, 403], ['e', 'challenge', false, 403]]);
  });

  test('flag verdicts are recorded and the phase goes on', async () => {
    const ex = exchange(); const calls: string[] = [];
    assert.equal(await runPhase(ex, [step('a', 'enforce', flag('odd'), calls), step('b', 'enforce', pass(), calls)], invoke(ex)), null);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts, [{ protection: 'a', action: 'flag', reason: 'odd', mode: 'enforce', wouldBlock: false, status: undefined, detail: undefined }]);
  });

  test('allow skips the rest of this phase and of later phases', async () => {
    const ex = exchange(); const calls: string[] = [];
    const outcome = await runPhase(ex, [
      step('a', 'enforce', allow('ip_bypass'), calls),
      step('b', 'enforce', block(403, 'never'), calls),
    ], invoke(ex));
    assert.equal(outcome, null);
    assert.equal(ex.allowed, true);
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(ex.verdicts.map((v) => [v.protection, v.action]), [['a', 'allow']]);
    assert.equal(await runPhase(ex, [step('c', 'enforce', block(403, 'later'), calls)], invoke(ex)), null);
    assert.deepEqual(calls, ['a']);
  });

  test('a monitored allow is recorded but skips nothing', async () => {
    const ex = exchange(); const calls: string[] = [];
    const enforced = block(403, 'still_blocked');
    const outcome = await runPhase(ex, [
      step('a', 'monitor', allow('ip_bypass'), calls),
      step('b', 'enforce', enforced, calls),
    ], invoke(ex));
    assert.deepEqual(outcome, enforced);
    assert.equal(ex.allowed, false);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(ex.verdicts.map((v) => [v.protection, v.action, v.mode]), [['a', 'allow', 'monitor'], ['b', 'block', 'enforce']]);
  });

  test('a throwing hook answers 503 protection_error and stops', async (t) => {
    quietStderr(t);
    const ex = exchange(); const calls: string[] = [];
    const outcome = await runPhase(ex, [step('a', 'enforce', new Error('boom'), calls), step('b', 'enforce', pass(), calls)], invoke(ex));
    assert.deepEqual(outcome, block(503, 'protection_error'));
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(ex.verdicts, [{ protection: 'a', action: 'block', reason: 'protection_error', mode: 'enforce', wouldBlock: false, status: 503, detail: undefined }]);
  });

  test('a throwing hook is never downgraded by monitor mode', async (t) => {
    quietStderr(t);
    const ex = exchange(); const calls: string[] = [];
    const outcome = await runPhase(ex, [step('a', 'monitor', new TypeError('boom'), calls), step('b', 'enforce', pass(), calls)], invoke(ex));
    assert.equal(outcome?.action, 'block');
    assert.equal(outcome?.action === 'block' && outcome.status, 503);
    assert.equal(outcome?.reason, 'protection_error');
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(ex.verdicts.map((v) => [v.action, v.mode, v.wouldBlock]), [['block', 'enforce', false]]);
  });

  test('the thrown message is not written to the system log', async (t) => {
    const lines: string[] = [];
    t.mock.method(process.stderr, 'write', (chunk: string) => { lines.push(String(chunk)); return true; });
    const ex = exchange();
    await runPhase(ex, [step('a', 'enforce', new Error('secret-token-123'), [])], invoke(ex));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /protection_error/);
    assert.ok(!lines[0]!.includes('secret-token-123'));
  });

  test('async hooks are awaited, in order', async () => {
    const ex = exchange(); const calls: string[] = [];
    const delayed = (v: Verdict) => () => new Promise<Verdict>((resolve) => setTimeout(() => resolve(v), 5));
    const stop = block(429, 'rate_limited');
    const outcome = await runPhase(ex, [
      step('a', 'enforce', delayed(pass()), calls),
      step('b', 'monitor', delayed(block(403, 'm')), calls),
      step('c', 'enforce', delayed(stop), calls),
      step('d', 'enforce', delayed(pass()), calls),
    ], invoke(ex));
    assert.equal(outcome, stop);
    assert.deepEqual(calls, ['a', 'b', 'c']);
    assert.deepEqual(ex.verdicts.map((v) => [v.protection, v.action]), [['b', 'flag'], ['c', 'block']]);
  });

  test('an async hook that rejects is a fault too', async (t) => {
    quietStderr(t);
    const ex = exchange(); const calls: string[] = [];
    const outcome = await runPhase(ex, [step('a', 'monitor', () => Promise.reject(new Error('late')), calls)], invoke(ex));
    assert.equal(outcome?.reason, 'protection_error');
    assert.deepEqual(ex.verdicts.map((v) => [v.action, v.mode]), [['block', 'enforce']]);
  });
});

describe('record', () => {
  const cases: { mode: Mode; verdict: Exclude<Verdict, { action: 'pass' }>; action: string; wouldBlock: boolean; status: number | undefined }[] = [
    { mode: 'enforce', verdict: block(403, 'r'), action: 'block', wouldBlock: false, status: 403 },
    { mode: 'monitor', verdict: block(403, 'r'), action: 'flag', wouldBlock: true, status: 403 },
    { mode: 'monitor', verdict: challenge('js', 'r', 401), action: 'flag', wouldBlock: true, status: 401 },
    { mode: 'monitor', verdict: flag('r'), action: 'flag', wouldBlock: false, status: undefined },
    { mode: 'monitor', verdict: allow('r'), action: 'allow', wouldBlock: false, status: undefined },
  ];
  for (const { mode, verdict, action, wouldBlock, status } of cases) {
    test(`${verdict.action} under ${mode}`, () => {
      const ex = exchange();
      record(ex, 'p', mode, verdict);
      assert.deepEqual(ex.verdicts, [{ protection: 'p', action, reason: 'r', mode, wouldBlock, status, detail: undefined }]);
    });
  }
});

describe('runLogPhase', () => {
  test('a throwing log hook does not stop the others', (t) => {
    quietStderr(t);
    const ex = exchange(); const seen: string[] = [];
    runLogPhase(ex, [
      { protection: 'a', mode: 'enforce', instance: { onLog: () => { throw new Error('x'); } } },
      { protection: 'b', mode: 'enforce', instance: { onLog: () => { seen.push('b'); } } },
    ]);
    assert.deepEqual(seen, ['b']);
  });
});

describe('errorSummary', () => {
  const coded = Object.assign(new Error('has secret'), { code: 'ECONNRESET' });
  const cases: [unknown, string][] = [
    [new Error('secret'), 'Error'],
    [new TypeError('x'), 'TypeError'],
    [coded, 'Error ECONNRESET'],
    ['a string', 'string'],
    [undefined, 'undefined'],
  ];
  for (const [input, expected] of cases) test(expected, () => assert.equal(errorSummary(input), expected));
});

describe('rewrites under monitor mode', () => {
  const rewrite = (ex: Exchange) => () => {
    ex.replaceRequestBody(Buffer.from('rewritten'));
    ex.rewriteUpstreamTarget('/real', 'id=1');
    ex.replaceResponseBody(Buffer.from('masked'));
    ex.setResponseHeader('server', null);
    ex.setUpstreamHeader('x-client-cert-subject', 'CN=a');
    return flag('would_rewrite');
  };

  test('a monitored step decides but changes nothing; identity headers for the upstream stay', async () => {
    const ex = exchange();
    ex.setResponseHeader('ratelimit', 'limit=1');
    const calls: string[] = [];
    await runPhase(ex, [step('cloak', 'monitor', rewrite(ex), calls)], invoke(ex));
    assert.deepEqual(calls, ['cloak']);
    assert.equal(ex.verdicts[0]?.reason, 'would_rewrite');
    assert.equal(ex.requestBodyReplaced, false);
    assert.equal(ex.requestBody, undefined);
    assert.equal(ex.upstreamPath, undefined);
    assert.equal(ex.upstreamQuery, undefined);
    assert.equal(ex.responseBody, undefined);
    assert.deepEqual([...ex.responseHeaders!], [['ratelimit', 'limit=1']]);
    assert.equal(ex.upstreamHeaders?.get('x-client-cert-subject'), 'CN=a');
  });

  test('an enforced step keeps its rewrites', async () => {
    const ex = exchange();
    await runPhase(ex, [step('cloak', 'enforce', rewrite(ex), [])], invoke(ex));
    assert.equal(ex.requestBody?.toString(), 'rewritten');
    assert.equal(ex.upstreamPath, '/real');
    assert.equal(ex.upstreamQuery, 'id=1');
    assert.equal(ex.responseBody?.toString(), 'masked');
    assert.equal(ex.responseHeaders?.get('server'), null);
  });
});
