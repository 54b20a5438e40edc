import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { describePeerCertificate, escapeDnValue, formatDistinguishedName, parseSubjectAltName } from './peer-certificate.ts';

describe('peer certificate details', () => {
  test('subjectAltName text as Node prints it, quoted values included', () => {
    assert.deepEqual(parseSubjectAltName('DNS:a.example, DNS:*.b.example, URI:spiffe://x/y, email:a@b.example, IP Address:10.0.0.1, IP Address:::1'), {
      dns: ['a.example', '*.b.example'], uri: ['spiffe://x/y'], email: ['a@b.example'], ip: ['10.0.0.1', '::1'],
    });
    // Node quotes values with separators or quotes as JSON strings (CVE-2021-44532).
    assert.deepEqual(parseSubjectAltName('URI:"http://a/b, DNS:evil.example", DNS:ok.example'), {
      dns: ['ok.example'], uri: ['http://a/b, DNS:evil.example'], email: [], ip: [],
    });
    assert.deepEqual(parseSubjectAltName('othername:<unsupported>, DNS:x.example'), { dns: ['x.example'], uri: [], email: [], ip: [] });
    assert.deepEqual(parseSubjectAltName(''), { dns: [], uri: [], email: [], ip: [] });
  });

  test('distinguished names: RFC 4514 order and escaping, ASCII only', () => {
    assert.equal(formatDistinguishedName({ C: 'FR', O: 'Example, Inc.', OU: ['Ops', 'Billing'], CN: 'client-a' }), 'CN=client-a,OU=Billing,OU=Ops,O=Example\\, Inc.,C=FR');
    assert.equal(escapeDnValue('#lead and trail '), '\\#lead and trail\\ ');
    assert.equal(escapeDnValue('a+b;c<d>e"f\\g=h'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g\\=h');
    assert.equal(escapeDnValue('Zoë\n'), 'Zo\\C3\\AB\\0A');
    assert.equal(formatDistinguishedName(undefined), '');
  });

  test('status from the handshake result; no certificate gives undefined', () => {
    const peer = {
      subject: { O: 'Example', CN: 'client-a' }, issuer: { CN: 'CA' }, subjectaltname: 'DNS:a.example',
      fingerprint256: 'AB:CD:' + '00:'.repeat(29) + '01', serialNumber: '1a2b', valid_from: 'from', valid_to: 'to', raw: Buffer.from([1, 2, 3]),
    } as unknown as PeerCertificate;
    const verified = describePeerCertificate(peer, true, null)!;
    assert.equal(verified.status, 'verified');
    assert.equal(verified.error, undefined);
    assert.equal(verified.fingerprint, 'abcd' + '00'.repeat(29) + '01');
    assert.equal(verified.serialNumber, '1A2B');
    assert.equal(verified.subject, 'CN=client-a,O=Example');
    assert.deepEqual(verified.subjectAttributes, Object.assign(Object.create(null), { O: ['Example'], CN: ['client-a'] }));
    assert.equal(verified.pem, '-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n');
    assert.equal(describePeerCertificate(peer, false, 'CERT_REVOKED')!.status, 'revoked');
    const untrusted = describePeerCertificate(peer, false, Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }))!;
    assert.equal(untrusted.status, 'untrusted');
    assert.equal(untrusted.error, 'CERT_HAS_EXPIRED');
    assert.equal(describePeerCertificate({} as PeerCertificate, false, 'UNABLE_TO_GET_ISSUER_CERT'), undefined);
    assert.equal(describePeerCertificate(null, false, null), undefined);
  });
});
