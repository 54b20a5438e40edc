import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientCertificate } from './client-certificate.ts';
import type { ClientCertificateConfig } from './config.ts';
import { certificateHeaderNames, encodeSanValue, detailValue } from './forward-headers.ts';
import { normalizeFingerprint } from './rules.ts';
import type { ConfigIssue, CreateContext, ProtectionInstance } from '../../pipeline/protection.ts';
import { Exchange, type ClientCertificate, type ConnectionInfo } from '../../pipeline/exchange.ts';
import type { Policy } from '../../config/policy-types.ts';
import type { Verdict } from '../../pipeline/verdict.ts';

const FINGERPRINT = 'ab'.repeat(32);

function certificate(overrides: Partial<ClientCertificate> = {}): ClientCertificate {
  return {
    status: 'verified',
    subject: 'CN=client-a,OU=Billing,O=Example',
    subjectAttributes: { O: ['Example'], OU: ['Billing'], CN: ['client-a'] },
    issuer: 'CN=Example Client CA,O=Example',
    issuerAttributes: { O: ['Example'], CN: ['Example Client CA'] },
    san: { dns: ['client-a.svc.example.com'], uri: ['spiffe://example.org/ns/prod/sa/billing'], email: ['Client-A@Example.com'], ip: ['10.0.0.7'] },
    fingerprint: FINGERPRINT,
    serialNumber: '1001',
    validFrom: 'Nov 27 00:00:00 2026 GMT',
    validTo: 'Nov 29 00:00:00 2026 GMT',
    pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    ...overrides,
  };
}

const tlsListenerPolicy = { listeners: [{ address: '127.0.0.1:8443', tls: { clientCertificates: { ca: 'ca.pem', mode: 'optional' } } }], requestId: { header: 'x-request-id' } } as unknown as Policy;

function compile(config: ClientCertificateConfig, policy: Policy = tlsListenerPolicy): { instance: ProtectionInstance; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const context = { policy, scope: 'global', issue: (path: string, message: string) => issues.push({ path, message }) } as unknown as CreateContext;
  return { instance: clientCertificate.create(config, context), issues };
}

function exchangeWith(tls: ConnectionInfo['tls'], principal?: string): Exchange {
  const connection: ConnectionInfo = { peerAddress: '127.0.0.1', peerPort: 1, listener: 'l', protocol: tls ? 'https' : 'http', ...(tls ? { tls } : {}) };
  const exchange = new Exchange({ method: 'GET', headers: {} } as IncomingMessage, {} as ServerResponse, connection);
  exchange.principal = principal;
  return exchange;
}

function decide(config: ClientCertificateConfig, exchange: Exchange): Verdict {
  const { instance, issues } = compile(config);
  assert.deepEqual(issues, []);
  const verdict = instance.onRequestHead!(exchange);
  assert.ok(!(verdict instanceof Promise));
  return verdict;
}

const withCert = (overrides: Partial<ClientCertificate> = {}) => exchangeWith({ version: 'TLSv1.3', serverName: 'api.example.com', clientCertificate: certificate(overrides) });
const reasonOf = (verdict: Verdict) => (verdict.action === 'block' ? `${verdict.status} ${verdict.reason}` : verdict.action);

describe('client-certificate', () => {
  test('definition', () => {
    assert.equal(clientCertificate.name, 'client-certificate');
    assert.equal(clientCertificate.key, 'clientCertificate');
    assert.equal(clientCertificate.routeConfig, 'layer');
    assert.equal(clientCertificate.defaultConfig, undefined);
  });

  test('refusals: no TLS, no certificate, revoked, untrusted', () => {
    assert.equal(reasonOf(decide({}, exchangeWith(undefined))), '403 client_cert_missing');
    assert.equal(reasonOf(decide({}, exchangeWith({ version: 'TLSv1.3', serverName: '' }))), '403 client_cert_missing');
    assert.equal(reasonOf(decide({}, withCert({ status: 'revoked', error: 'CERT_REVOKED' }))), '403 client_cert_revoked');
    assert.equal(reasonOf(decide({}, withCert({ status: 'untrusted', error: 'CERT_HAS_EXPIRED' }))), '403 client_cert_untrusted');
    const untrusted = decide({}, withCert({ status: 'untrusted', error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }));
    assert.ok(untrusted.action === 'block' && /UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(untrusted.detail?.message ?? ''));
  });

  test('a verified certificate passes, sets the principal and the default headers; refusals forward none', () => {
    const exchange = withCert();
    assert.equal(decide({}, exchange).action, 'pass');
    assert.equal(exchange.principal, `cert:${FINGERPRINT}`);
    assert.deepEqual(Object.fromEntries(exchange.upstreamHeaders!), {
      'x-client-cert-subject': 'CN=client-a,OU=Billing,O=Example',
      'x-client-cert-san': 'DNS:client-a.svc.example.com,URI:spiffe://example.org/ns/prod/sa/billing,email:Client-A@Example.com,IP:10.0.0.7',
      'x-client-cert-fingerprint': FINGERPRINT,
      'x-client-cert-issuer': 'CN=Example Client CA,O=Example',
    });
    const revoked = withCert({ status: 'revoked', error: 'CERT_REVOKED' });
    decide({}, revoked);
    assert.deepEqual([...revoked.upstreamHeaders!.values()], [null, null, null, null], 'removed, never the client\'s copies');
    assert.equal(revoked.principal, undefined);
  });

  test('another protection\'s principal is kept', () => {
    const exchange = exchangeWith({ version: 'TLSv1.3', serverName: '', clientCertificate: certificate() }, 'jwt:alice');
    assert.equal(decide({}, exchange).action, 'pass');
    assert.equal(exchange.principal, 'jwt:alice');
  });

  test('forwardHeaders replaces the defaults', () => {
    const exchange = withCert();
    decide({ forwardHeaders: { fingerprint: 'x-peer-fp', serial: 'x-peer-serial', certificate: 'x-peer-cert' } }, exchange);
    assert.deepEqual(Object.fromEntries(exchange.upstreamHeaders!), {
      'x-peer-fp': FINGERPRINT, 'x-peer-serial': '1001', 'x-peer-cert': encodeURIComponent(certificate().pem),
    });
  });

  const rules: { name: string; allow: NonNullable<ClientCertificateConfig['allow']>; cert?: Partial<ClientCertificate>; pass: boolean }[] = [
    { name: 'subject attribute, one of a list', allow: [{ subject: { OU: ['Support', 'Billing'] } }], pass: true },
    { name: 'subject: every attribute must match', allow: [{ subject: { OU: 'Billing', CN: 'client-b' } }], pass: false },
    { name: 'subject values are case-sensitive', allow: [{ subject: { OU: 'billing' } }], pass: false },
    { name: 'subject attribute absent from the certificate', allow: [{ subject: { L: 'Paris' } }], pass: false },
    { name: 'issuer', allow: [{ issuer: { CN: 'Example Client CA' } }], pass: true },
    { name: 'issuer mismatch', allow: [{ issuer: { CN: 'Other CA' } }], pass: false },
    { name: 'SAN DNS exact, case-insensitive', allow: [{ san: { dns: ['CLIENT-A.svc.example.com'] } }], pass: true },
    { name: 'SAN DNS wildcard, one label', allow: [{ san: { dns: ['*.svc.example.com'] } }], pass: true },
    { name: 'SAN DNS wildcard does not cover two labels', allow: [{ san: { dns: ['*.example.com'] } }], pass: false },
    { name: 'SAN DNS wildcard in the certificate is matched literally only', allow: [{ san: { dns: ['a.example.com'] } }], cert: { san: { dns: ['*.example.com'], uri: [], email: [], ip: [] } }, pass: false },
    { name: 'SAN URI prefix', allow: [{ san: { uri: ['spiffe://example.org/ns/prod/*'] } }], pass: true },
    { name: 'SAN URI exact mismatch', allow: [{ san: { uri: ['spiffe://example.org/ns/prod'] } }], pass: false },
    { name: 'SAN email, case-insensitive', allow: [{ san: { email: ['client-a@example.com'] } }], pass: true },
    { name: 'SAN: every type given must match', allow: [{ san: { dns: ['client-a.svc.example.com'], uri: ['spiffe://elsewhere/*'] } }], pass: false },
    { name: 'fingerprint with colons, upper-case', allow: [{ fingerprint: ['AB:'.repeat(31) + 'AB'] }], pass: true },
    { name: 'fingerprint mismatch', allow: [{ fingerprint: ['cd'.repeat(32)] }], pass: false },
    { name: 'any rule is enough', allow: [{ subject: { CN: 'nobody' } }, { issuer: { O: 'Example' }, san: { uri: ['spiffe://example.org/*'] } }], pass: true },
    { name: 'no rule matches', allow: [{ subject: { CN: 'nobody' } }, { fingerprint: ['00'.repeat(32)] }], pass: false },
  ];
  for (const { name, allow, cert, pass: expected } of rules) {
    test(`rules: ${name}`, () => {
      const exchange = withCert(cert);
      const verdict = decide({ allow }, exchange);
      assert.equal(reasonOf(verdict), expected ? 'pass' : '403 client_cert_not_allowed');
      assert.equal(exchange.principal, expected ? `cert:${FINGERPRINT}` : undefined);
      // The certificate is verified either way: its details are forwarded (monitor mode lets the request through).
      assert.equal(exchange.upstreamHeaders?.get('x-client-cert-fingerprint'), FINGERPRINT);
    });
  }

  test('configuration problems are reported with their paths', () => {
    const { issues } = compile({
      allow: [{ fingerprint: ['xyz'.repeat(22)] }, { san: { dns: ['a.*.example.com', '*.'] } }],
      forwardHeaders: { subject: 'x-forwarded-for', fingerprint: 'x-request-id' },
    });
    assert.deepEqual(issues.map((issue) => issue.path).sort(), [
      '/allow/0/fingerprint/0', '/allow/1/san/dns/0', '/allow/1/san/dns/1', '/forwardHeaders/fingerprint', '/forwardHeaders/subject',
    ]);
    const noListener = compile({}, { listeners: [{ address: '127.0.0.1:8080' }] } as unknown as Policy);
    assert.match(noListener.issues[0]?.message ?? '', /no listener asks for client certificates/);
  });

  test('normalizeFingerprint', () => {
    assert.equal(normalizeFingerprint('AB:'.repeat(31) + 'AB'), FINGERPRINT);
    assert.equal(normalizeFingerprint('ab'.repeat(31)), null);
    assert.equal(normalizeFingerprint('zz'.repeat(32)), null);
  });

  test('certificateHeaderNames: defaults plus every configured name, global and per route', () => {
    const policy = {
      protections: { clientCertificate: { forwardHeaders: { subject: 'x-mtls-subject' } } },
      routes: [{ path: '/a', upstream: 'u', protections: { clientCertificate: { forwardHeaders: { certificate: 'x-mtls-pem' } } } }, { path: '/b', upstream: 'u' }],
    } as unknown as Policy;
    assert.deepEqual([...certificateHeaderNames(policy)].sort(), [
      'x-client-cert-fingerprint', 'x-client-cert-issuer', 'x-client-cert-san', 'x-client-cert-subject', 'x-mtls-pem', 'x-mtls-subject',
    ]);
  });

  test('SAN header values stay printable ASCII and unambiguous', () => {
    assert.equal(encodeSanValue('spiffe://example.org/a,b'), 'spiffe://example.org/a%2Cb');
    assert.equal(encodeSanValue('é 100%'), '%C3%A9%20100%25');
    assert.equal(encodeSanValue('line\r\nbreak'), 'line%0D%0Abreak');
    const value = detailValue(certificate({ san: { dns: [], uri: ['urn:x,y'], email: [], ip: [] } }), 'san');
    assert.equal(value, 'URI:urn:x%2Cy');
  });
});
