import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { floodDefence } from './flood-defence.ts';
import type { FloodDefenceConfig } from './config.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import type { ConnectionInfo, Exchange, VerdictRecord } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Block, Verdict } from '../../pipeline/verdict.ts';
import { createLocalStores, type OwnedStores } from '../../store/registry.ts';

const opened: OwnedStores[] = [];
after(async () => { for (const stores of opened) await stores.close(); });

/** Compiles with fresh real (in-process) stores, so that tests do not share counters. */
function compile(config: FloodDefenceConfig, options: { scope?: string; policy?: Partial<Policy>; stores?: OwnedStores } = {}) {
  const issues: ConfigIssue[] = [];
  const stores = options.stores ?? createLocalStores();
  opened.push(stores);
  const context: CreateContext = {
    policy: { clientAddress: { trustedProxies: [] }, routes: [], ...options.policy } as unknown as Policy,
    scope: options.scope ?? 'global',
    stores,
    issue: (path, message) => issues.push({ path, message }),
  };
  return { instance: floodDefence.create(config, context), issues, stores };
}

const exchangeFrom = (clientIp: string, verdicts: VerdictRecord[] = []) => ({ clientIp, verdicts }) as unknown as Exchange;
const connection: ConnectionInfo = { peerAddress: '0.0.0.0', peerPort: 1, listener: 'l', protocol: 'http' };

async function head(instance: ProtectionInstance, ip: string): Promise<Verdict> {
  return await instance.onRequestHead!(exchangeFrom(ip));
}

/** Lets fire-and-forget work of the log hook (local store: promise chains only) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('flood-defence definition', () => {
  test('name, key, route semantics and default', () => {
    assert.equal(floodDefence.name, 'flood-defence');
    assert.equal(floodDefence.key, 'floodDefence');
    assert.equal(floodDefence.routeConfig, 'merge');
    assert.deepEqual(floodDefence.defaultConfig, {});
  });

  test('the default configuration only refuses banned clients', async () => {
    const { instance, issues, stores } = compile({});
    assert.deepEqual(issues, []);
    for (let i = 0; i < 500; i++) assert.equal((await head(instance, '203.0.113.7')).action, 'pass');
    assert.equal(instance.onLog, undefined, 'no bans are decided without rates');
    await stores.bans.ban('ip:203.0.113.7', 60_000, 'admin');
    assert.equal((await head(instance, '203.0.113.7') as Block).reason, 'banned');
    assert.equal((await head(instance, '203.0.113.8')).action, 'pass');
  });
});

describe('flood-defence rates', () => {
  test('per-IP rate: the request over the limit gets 429 flood_per_ip with Retry-After; other clients pass', async () => {
    const { instance } = compile({ perIp: { limit: 3, window: '10s' } });
    for (let i = 0; i < 3; i++) assert.equal((await head(instance, '198.51.100.1')).action, 'pass');
    const refused = await head(instance, '198.51.100.1') as Block;
    assert.equal(refused.action, 'block');
    assert.equal(refused.status, 429);
    assert.equal(refused.reason, 'flood_per_ip');
    const retryAfter = Number(refused.headers?.['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 11, `Retry-After ${retryAfter}`);
    assert.deepEqual({ location: refused.detail?.location, excerpt: refused.detail?.excerpt }, { location: 'client-ip', excerpt: '198.51.100.1' });
    assert.equal((await head(instance, '198.51.100.2')).action, 'pass');
  });

  test('IPv6 clients of one /64 share a counter; another /64 does not', async () => {
    const { instance } = compile({ perIp: { limit: 2, window: '10s' } });
    assert.equal((await head(instance, '2001:db8:1:2::1')).action, 'pass');
    assert.equal((await head(instance, '2001:db8:1:2::2')).action, 'pass');
    assert.equal((await head(instance, '2001:db8:1:2:ffff::3') as Block).reason, 'flood_per_ip');
    assert.equal((await head(instance, '2001:db8:1:3::1')).action, 'pass');
  });

  test('ipv6Prefix 128 counts single addresses', async () => {
    const { instance } = compile({ perIp: { limit: 1, window: '10s' }, ipv6Prefix: 128 });
    assert.equal((await head(instance, '2001:db8::1')).action, 'pass');
    assert.equal((await head(instance, '2001:db8::2')).action, 'pass');
    assert.equal((await head(instance, '2001:DB8:0::1') as Block).reason, 'flood_per_ip', 'another spelling is the same client');
  });

  test('global rate: all clients together, 429 flood_global', async () => {
    const { instance } = compile({ global: { limit: 5, window: '10s' } });
    for (let i = 0; i < 5; i++) assert.equal((await head(instance, `192.0.2.${i}`)).action, 'pass');
    const refused = await head(instance, '192.0.2.99') as Block;
    assert.equal(refused.status, 429);
    assert.equal(refused.reason, 'flood_global');
    assert.ok(Number(refused.headers?.['retry-after']) >= 1);
  });

  test('a client over its own rate does not use up the global budget', async () => {
    const { instance } = compile({ perIp: { limit: 2, window: '10s' }, global: { limit: 4, window: '10s' } });
    for (let i = 0; i < 20; i++) await head(instance, '192.0.2.1'); // 2 admitted, 18 refused per IP
    assert.equal((await head(instance, '192.0.2.2')).action, 'pass');
    assert.equal((await head(instance, '192.0.2.3')).action, 'pass');
    assert.equal((await head(instance, '192.0.2.4') as Block).reason, 'flood_global');
  });

  test('exempt addresses and trusted proxies are never counted', async () => {
    const { instance } = compile(
      { perIp: { limit: 1, window: '10s' }, global: { limit: 1, window: '10s' }, exempt: ['10.0.0.0/8'] },
      { policy: { clientAddress: { trustedProxies: ['172.16.0.1'] } } as Partial<Policy> },
    );
    for (let i = 0; i < 10; i++) {
      assert.equal((await head(instance, '10.1.2.3')).action, 'pass');
      assert.equal((await head(instance, '172.16.0.1')).action, 'pass');
    }
    assert.equal((await head(instance, '192.0.2.1')).action, 'pass');
  });

  test('rates survive a recompilation (the store outlives the instance)', async () => {
    const first = compile({ perIp: { limit: 2, window: '10s' } });
    await head(first.instance, '192.0.2.50');
    await head(first.instance, '192.0.2.50');
    const second = compile({ perIp: { limit: 2, window: '10s' } }, { stores: first.stores });
    assert.equal((await head(second.instance, '192.0.2.50') as Block).reason, 'flood_per_ip');
  });
});

describe('flood-defence bans', () => {
  const refusalOf = (ip: string, action: VerdictRecord['action'] = 'block') =>
    exchangeFrom(ip, [{ protection: 'flood-defence', action, reason: 'flood_per_ip', mode: action === 'block' ? 'enforce' : 'monitor', wouldBlock: action !== 'block' }]);

  test('the Nth enforced refusal within the window bans the client; the ban refuses at request head and at accept', async () => {
    const { instance, stores } = compile({ perIp: { limit: 1, window: '10s' }, ban: { after: 3, within: '1m', duration: '10m' } });
    for (let i = 0; i < 2; i++) instance.onLog!(refusalOf('192.0.2.7'));
    await settle();
    assert.equal(stores.bans.isBanned('ip:192.0.2.7'), undefined, 'two refusals are not enough');
    instance.onLog!(refusalOf('192.0.2.7'));
    await settle();
    const ban = stores.bans.isBanned('ip:192.0.2.7');
    assert.ok(ban, 'banned after the third');
    assert.equal(ban.reason, 'flood_per_ip');
    assert.ok(Math.abs(ban.until - ban.since - 600_000) < 50);

    const refused = await head(instance, '192.0.2.7') as Block;
    assert.equal(refused.status, 429);
    assert.equal(refused.reason, 'banned');
    assert.equal(refused.headers?.connection, 'close');
    const retryAfter = Number(refused.headers?.['retry-after']);
    assert.ok(retryAfter > 590 && retryAfter <= 600, `Retry-After ${retryAfter}`);
    assert.equal(instance.onConnection!(connection, '192.0.2.7').action, 'block');
    assert.equal(instance.onConnection!(connection, '192.0.2.8').action, 'pass');
  });

  test('requests refused for taking past the inspection time limit count towards a ban too; other refusals do not', async () => {
    const { instance, stores } = compile({ perIp: { limit: 100, window: '10s' }, ban: { after: 2, within: '1m', duration: '10m' } });
    const slow = (ip: string) => exchangeFrom(ip, [{ protection: 'attack-detection', action: 'block', reason: 'inspection_time_exceeded', mode: 'enforce', wouldBlock: false }]);
    const attack = (ip: string) => exchangeFrom(ip, [{ protection: 'attack-detection', action: 'block', reason: 'sqli_detected', mode: 'enforce', wouldBlock: false }]);
    for (let i = 0; i < 5; i++) instance.onLog!(attack('192.0.2.30'));
    instance.onLog!(slow('192.0.2.31'));
    await settle();
    assert.equal(stores.bans.isBanned('ip:192.0.2.30'), undefined, 'an attack refused is no flood');
    assert.equal(stores.bans.isBanned('ip:192.0.2.31'), undefined, 'one slow request is not enough');
    instance.onLog!(slow('192.0.2.31'));
    await settle();
    assert.equal(stores.bans.isBanned('ip:192.0.2.31')?.reason, 'inspection_time_exceeded');
  });

  test('many concurrent refusals set one ban', async () => {
    const { instance, stores } = compile({ perIp: { limit: 1, window: '10s' }, ban: { after: 2, within: '1m', duration: '1m', escalate: 2 } });
    for (let i = 0; i < 50; i++) instance.onLog!(refusalOf('192.0.2.9'));
    await settle();
    const bans = await stores.bans.list();
    assert.equal(bans.length, 1);
    assert.equal(bans[0]!.until - bans[0]!.since, 60_000, 'not escalated by its own duplicates');
  });

  test('monitored refusals (flags) never ban', async () => {
    const { instance, stores } = compile({ perIp: { limit: 1, window: '10s' }, ban: { after: 1, within: '1m', duration: '10m' } });
    for (let i = 0; i < 5; i++) instance.onLog!(refusalOf('192.0.2.10', 'flag'));
    instance.onLog!(exchangeFrom('192.0.2.10', [{ protection: 'other', action: 'block', reason: 'flood_per_ip', mode: 'enforce', wouldBlock: false }]));
    await settle();
    assert.deepEqual(await stores.bans.list(), []);
  });

  test('repeat bans escalate up to maxDuration', async () => {
    const { instance, stores } = compile({
      perIp: { limit: 1, window: '10s' },
      ban: { after: 1, within: '1m', duration: '1m', escalate: 3, maxDuration: '5m' },
    });
    const lengths: number[] = [];
    for (let round = 0; round < 3; round++) {
      instance.onLog!(refusalOf('192.0.2.11'));
      await settle();
      const ban = stores.bans.isBanned('ip:192.0.2.11');
      assert.ok(ban, `round ${round}`);
      lengths.push(ban.until - ban.since);
      await stores.bans.unban('ip:192.0.2.11');
    }
    assert.deepEqual(lengths, [60_000, 180_000, 300_000]);
  });

  test('IPv6 bans cover the client\'s /64', async () => {
    const { instance, stores } = compile({ perIp: { limit: 1, window: '10s' }, ban: { after: 1, within: '1m', duration: '1m' } });
    instance.onLog!(refusalOf('2001:db8:5:6::1'));
    await settle();
    assert.ok(stores.bans.isBanned('ip:2001:db8:5:6::/64'));
    assert.equal((await head(instance, '2001:db8:5:6:abcd::9') as Block).reason, 'banned');
    assert.equal((await head(instance, '2001:db8:5:7::1')).action, 'pass');
  });

  test('a single-address ban (admin API) applies to that IPv6 address only', async () => {
    const { instance, stores } = compile({});
    await stores.bans.ban('ip:2001:db8::7', 60_000, 'admin');
    assert.equal((await head(instance, '2001:0db8::0007') as Block).reason, 'banned');
    assert.equal((await head(instance, '2001:db8::8')).action, 'pass');
  });

  test('exempt addresses are not refused even when banned', async () => {
    const { instance, stores } = compile({ exempt: ['192.0.2.0/24'] });
    await stores.bans.ban('ip:192.0.2.12', 60_000, 'admin');
    assert.equal((await head(instance, '192.0.2.12')).action, 'pass');
    assert.equal(instance.onConnection!(connection, '192.0.2.12').action, 'pass');
  });

  test('dropBannedConnections: false leaves no connection hook', () => {
    assert.equal(compile({ dropBannedConnections: false }).instance.onConnection, undefined);
  });
});

describe('flood-defence configuration issues', () => {
  test('bad durations, a ban without perIp and bad exempt entries are reported at their pointers', () => {
    const { issues } = compile({
      global: { limit: 1, window: '2h' },
      ban: { after: 1, within: '2d', duration: '10m', maxDuration: '1m' },
      exempt: ['10.0.0.0/33'],
    });
    assert.deepEqual(issues.map((i) => i.path).sort(), ['/ban', '/ban/maxDuration', '/ban/within', '/exempt/0', '/global/window']);
    assert.deepEqual(compile({ perIp: { limit: 1, window: '1s' }, ban: { after: 1, within: '1m', duration: '10m', maxDuration: '1m' } }).issues.map((i) => i.path), ['/ban/maxDuration']);
  });

  test('a ban longer than a day raises the default maxDuration', () => {
    assert.deepEqual(compile({ perIp: { limit: 1, window: '1s' }, ban: { after: 1, within: '1m', duration: '2d' } }).issues, []);
  });

  test('a route may only switch the protection off or change its mode', () => {
    const policy = { routes: [{ name: 'api', protections: { floodDefence: { mode: 'monitor', perIp: { limit: 1, window: '1s' }, dropBannedConnections: true } } }] } as unknown as Partial<Policy>;
    const { issues } = compile({ mode: 'monitor', perIp: { limit: 1, window: '1s' }, dropBannedConnections: true }, { scope: 'api', policy });
    assert.deepEqual(issues.map((i) => i.path).sort(), ['/dropBannedConnections', '/perIp']);
    const quiet = { routes: [{ name: 'api', protections: { floodDefence: { mode: 'monitor' } } }] } as unknown as Partial<Policy>;
    const routeInstance = compile({ mode: 'monitor', perIp: { limit: 1, window: '1s' } }, { scope: 'api', policy: quiet });
    assert.deepEqual(routeInstance.issues, []);
    assert.equal(routeInstance.instance.onConnection, undefined, 'connections are a global matter');
  });
});
