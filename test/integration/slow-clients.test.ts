/**
 * Slow-client defences under real attacks: slowhttptest's slowloris, slow-body and slow-read modes, 200
 * connections each, against Portcullis started through its CLI, while a normal client sends a request every 100 ms.
 * A shorter form of `bench/slow-clients.ts` (whose functions it uses); see docs/performance.md, "Slow clients".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MODES, SLOWHTTPTEST, failures, runMode, slowClientPolicy, startPortcullis, startUpstream, warmUp, type SlowLimits,
} from '../../bench/slow-clients.ts';
import { stopAllChildren } from '../../bench/macro/bench-processes.ts';

const missing = !existsSync(SLOWHTTPTEST) && `${SLOWHTTPTEST} is not installed (Debian package slowhttptest)`;
const onLinux = process.platform === 'linux' || 'the measurements read /proc (Linux only)';

/** Short timeouts so that each wave ends in seconds; the per-IP cap admits every attacker from 127.0.0.1. */
const LIMITS: SlowLimits = {
  headersTimeoutMs: 3_000, bodyIdleTimeoutMs: 3_000, bodyMinBytesPerSecond: 500, writeIdleTimeoutMs: 3_000, keepAliveTimeoutMs: 3_000,
  maxConnectionsPerIp: 1_100,
};
/** On top of the timeouts: a loaded 2-core machine runs timers and accepts late. */
const MARGIN_MS = 5_000;
/** The admin counter that shows which defence closed the attack connections. */
const DEFENCE: Record<string, string | undefined> = { slowloris: 'request_timeout', 'slow-body': 'body_too_slow', 'slow-read': undefined };

test('slowloris, slow body and slow read: attackers are cut off in time, normal clients are served, memory stays bounded',
  { skip: missing || (onLinux === true ? false : onLinux) }, async (t) => {
    const workDir = await mkdtemp(join(tmpdir(), 'portcullis-slow-test-'));
    t.after(async () => { await stopAllChildren(); await rm(workDir, { recursive: true, force: true }); });
    const upstream = await startUpstream(1024 * 1024);
    const gateway = await startPortcullis(slowClientPolicy(upstream.url, workDir, LIMITS), workDir);
    await warmUp(gateway, 60);

    for (const mode of MODES) {
      await t.test(mode, async (st) => {
        const result = await runMode({
          mode, gateway, limits: LIMITS, connections: 200, rate: 200, durationS: 0, marginMs: MARGIN_MS, workDir, settleMs: 1_500,
        });
        const summary = JSON.stringify({ normal: result.normal, attack: result.attack, rssMiB: result.rssMiB, counters: result.counters, waves: result.waves });
        st.diagnostic(`normal ${result.normal.ok}/${result.normal.requests} p99 ${result.normal.p99Ms.toFixed(0)} ms; attack max ${result.attack.maxMs} ms ` +
          `(limit ${result.attack.limitMs}); RSS ${result.rssMiB.before.toFixed(0)} -> ${result.rssMiB.peak.toFixed(0)} MiB`);
        // Slow body: past maxConcurrentRequestsPerIp (64 by default) attackers are refused at once, so fewer stay open.
        assert.ok(result.attack.peakOpen >= (mode === 'slow-body' ? 60 : 100), `the attack held connections open (${summary})`);
        assert.deepEqual(failures(result, { minSuccessRate: 0.95, maxRssGrowthMiB: 100 }), [], summary);
        assert.equal(result.attack.outlived, 0, 'no attack connection outlived the attacker');
        assert.ok(result.attack.maxMs <= result.attack.limitMs, `every attack connection closed within ${result.attack.limitMs} ms (${summary})`);
        const defence = DEFENCE[mode];
        // Slow-body attackers past maxConcurrentRequestsPerIp (64) are refused at once with 429; the rest time out.
        const refusedEarly = mode === 'slow-body' ? (result.counters['too_many_concurrent_requests'] ?? 0) : 0;
        if (defence) assert.ok((result.counters[defence] ?? 0) + refusedEarly >= 180, `most attack connections refused with ${defence} (${summary})`);
      });
    }
  });
