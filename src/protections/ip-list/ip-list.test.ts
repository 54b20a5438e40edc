import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ipList } from './ip-list.ts';
import type { IpListConfig } from './config.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import type { ConnectionInfo, Exchange } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import { createLocalStores } from '../../store/registry.ts';

function create(config: IpListConfig): { instance: ProtectionInstance; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const context: CreateContext = { policy: {} as Policy, stores: createLocalStores(), scope: 'global', issue: (path, message) => issues.push({ path, message }) };
  return { instance: ipList.create(config, context), issues };
}

const exchangeFrom = (clientIp: string) => ({ clientIp }) as Exchange;
const connection: ConnectionInfo = { peerAddress: '0.0.0.0', peerPort: 1, listener: 'l', protocol: 'http' };

describe('ip-list definition', () => {
  test('name, key and route semantics', () => {
    assert.equal(ipList.name, 'ip-list');
    assert.equal(ipList.key, 'ipList');
    assert.equal(ipList.routeConfig, 'layer');
  });
});

describe('ip-list request head', () => {
  const cases: { name: string; config: IpListConfig; ip: string; action: string; status?: number; reason?: string }[] = [
    { name: 'empty config passes', config: {}, ip: '1.2.3.4', action: 'pass' },
    { name: 'deny exact', config: { deny: ['1.2.3.4'] }, ip: '1.2.3.4', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'deny CIDR', config: { deny: ['10.0.0.0/8'] }, ip: '10.20.30.40', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'deny other address passes', config: { deny: ['10.0.0.0/8'] }, ip: '11.0.0.1', action: 'pass' },
    { name: 'deny IPv4 matches mapped client', config: { deny: ['10.0.0.0/8'] }, ip: '::ffff:10.0.0.1', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'deny IPv6', config: { deny: ['2001:db8::/32'] }, ip: '2001:db8:1::1', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'deny IPv6 other passes', config: { deny: ['2001:db8::/32'] }, ip: '2001:db9::1', action: 'pass' },
    { name: 'allow list admits members', config: { allow: ['192.168.0.0/16'] }, ip: '192.168.1.1', action: 'pass' },
    { name: 'allow list refuses others', config: { allow: ['192.168.0.0/16'] }, ip: '8.8.8.8', action: 'block', status: 403, reason: 'ip_not_allowed' },
    { name: 'allow list IPv6', config: { allow: ['fd00::/8'] }, ip: 'fd00::5', action: 'pass' },
    { name: 'allow list IPv6 refuses IPv4', config: { allow: ['fd00::/8'] }, ip: '1.2.3.4', action: 'block', status: 403, reason: 'ip_not_allowed' },
    { name: 'empty allow list admits everyone', config: { allow: [] }, ip: '8.8.8.8', action: 'pass' },
    { name: 'bypass gives allow', config: { bypass: ['127.0.0.1'] }, ip: '127.0.0.1', action: 'allow', reason: 'ip_bypass' },
    { name: 'bypass others pass', config: { bypass: ['127.0.0.1'] }, ip: '127.0.0.2', action: 'pass' },
    { name: 'deny wins over bypass', config: { deny: ['10.0.0.1'], bypass: ['10.0.0.0/8'] }, ip: '10.0.0.1', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'deny wins over allow', config: { deny: ['10.0.0.1'], allow: ['10.0.0.0/8'] }, ip: '10.0.0.1', action: 'block', status: 403, reason: 'ip_denied' },
    { name: 'bypass outside the allow list is still refused', config: { allow: ['10.0.0.0/8'], bypass: ['1.1.1.1'] }, ip: '1.1.1.1', action: 'block', status: 403, reason: 'ip_not_allowed' },
    { name: 'bypass inside the allow list', config: { allow: ['10.0.0.0/8'], bypass: ['10.0.0.9'] }, ip: '10.0.0.9', action: 'allow', reason: 'ip_bypass' },
  ];
  for (const { name, config, ip, action, status, reason } of cases) {
    test(name, () => {
      const { instance, issues } = create(config);
      assert.deepEqual(issues, []);
      const verdict = instance.onRequestHead!(exchangeFrom(ip));
      assert.ok(!(verdict instanceof Promise));
      assert.equal(verdict.action, action);
      if (status !== undefined) assert.equal((verdict as { status: number }).status, status);
      if (reason !== undefined) assert.equal((verdict as { reason: string }).reason, reason);
      if (action !== 'pass') assert.deepEqual((verdict as { detail: unknown }).detail, { location: 'client-ip', excerpt: ip });
    });
  }
});

describe('ip-list connection hook', () => {
  const cases: { config: IpListConfig; ip: string; action: string }[] = [
    { config: { deny: ['1.2.3.4'], dropConnections: true }, ip: '1.2.3.4', action: 'block' },
    { config: { deny: ['1.2.3.4'], dropConnections: true }, ip: '1.2.3.5', action: 'pass' },
    // Only deny is decided per connection: allow and bypass depend on the resolved client.
    { config: { allow: ['10.0.0.0/8'], dropConnections: true }, ip: '8.8.8.8', action: 'pass' },
    { config: { bypass: ['8.8.8.8'], dropConnections: true }, ip: '8.8.8.8', action: 'pass' },
  ];
  for (const { config, ip, action } of cases) {
    test(`${JSON.stringify(config)} ${ip} → ${action}`, () => {
      const verdict = create(config).instance.onConnection!(connection, ip);
      assert.equal(verdict.action, action);
      if (action === 'block') assert.deepEqual(verdict, { action: 'block', status: 403, reason: 'ip_denied', detail: { location: 'client-ip', excerpt: ip } });
    });
  }
});

describe('ip-list connection hook is opt-in', () => {
  test('without dropConnections there is no connection hook', () => {
    assert.equal(create({ deny: ['1.2.3.4'] }).instance.onConnection, undefined);
  });
  test('dropConnections on a route is a configuration error', () => {
    const issues: ConfigIssue[] = [];
    ipList.create({ deny: ['1.2.3.4'], dropConnections: true }, { policy: {} as Policy, stores: createLocalStores(), scope: 'route-1', issue: (path, message) => issues.push({ path, message }) });
    assert.deepEqual(issues.map((i) => i.path), ['/dropConnections']);
  });
});

describe('ip-list config issues', () => {
  test('every invalid entry is reported at its pointer; valid entries still work', () => {
    const { instance, issues } = create({ deny: ['bad', '1.2.3.4'], allow: ['10.0.0.0/8', '10.0.0.0/33'], bypass: ['::1', 'x', '::/200'] });
    assert.deepEqual(issues, [
      { path: '/deny/0', message: 'invalid IP address "bad"' },
      { path: '/allow/1', message: 'invalid CIDR "10.0.0.0/33": prefix must be 0 to 32' },
      { path: '/bypass/1', message: 'invalid IP address "x"' },
      { path: '/bypass/2', message: 'invalid CIDR "::/200": prefix must be 0 to 128' },
    ]);
    assert.equal((instance.onRequestHead!(exchangeFrom('1.2.3.4')) as { reason: string }).reason, 'ip_denied');
  });
});
