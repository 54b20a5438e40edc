import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files (PEM), with the certificate's SHA-256 fingerprint (lower-case hex). */
export interface Issued { cert: string; key: string; fingerprint: string; serial: string }

export interface LeafOptions {
  /** `/O=.../CN=...` (openssl -subj syntax). */
  subject: string;
  /** subjectAltName entries: `DNS:a.test`, `IP:127.0.0.1`, `URI:spiffe://x`, `email:a@b`. */
  san?: string[];
  usage: 'server' | 'client';
  /** Issuing CA (default: the test CA). */
  ca?: Issued;
  /** Serial number, hex (default: a counter). */
  serial?: string;
  /** Validity in days (default 2). */
  days?: number;
  /** Where to write (default: `<dir>/<name>.pem|.key`). */
  name: string;
}

/** A throwaway PKI made with the `openssl` command at test time: one test CA, a foreign CA, leaves, a CRL. */
export interface TestPki {
  dir: string;
  /** The test CA (trusted by the listeners and the upstreams under test). */
  ca: Issued;
  /** Another CA nobody trusts. */
  otherCa: Issued;
  /** Server certificate for localhost, portcullis.test and 127.0.0.1 (the default one in the tests). */
  server: Issued;
  /** Server certificate for api.other.test and *.alt.test (chosen by SNI). */
  serverAlt: Issued;
  /** Client certificate: CN=client-a, OU=Billing, SAN DNS client-a.portcullis.test, URI spiffe://portcullis.test/billing/client-a, email. */
  client: Issued;
  /** Client certificate: CN=client-b, OU=Support, SAN URI spiffe://portcullis.test/support/client-b. */
  clientB: Issued;
  /** Client certificate of the test CA, revoked in `crl`. */
  revoked: Issued;
  /** Client certificate issued by `otherCa`. */
  untrusted: Issued;
  /** Server-only certificate (extendedKeyUsage serverAuth) of the test CA, used as a client certificate. */
  serverOnlyUsage: Issued;
  /** CRL of the test CA listing `revoked`. */
  crl: string;
  /** Issues another leaf from the test CA (or `options.ca`). */
  issue(options: LeafOptions): Issued;
  /** Revokes a certificate of the test CA and writes a new CRL (listing every revocation so far) to `crlFile`. */
  revoke(certificate: Issued, crlFile: string): void;
  remove(): void;
}

/** True when the `openssl` command can be run (the TLS tests skip otherwise). */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function fingerprintOf(certFile: string): string {
  const der = new X509Certificate(readFileSync(certFile)).raw;
  return createHash('sha256').update(der).digest('hex');
}

/** Generates the whole PKI into a new temporary directory (about 0.2 s). Keys are written with mode 0600. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pki-'));
  let serial = 0x1000;

  const makeCa = (name: string, subject: string): Issued => {
    const cert = join(dir, `${name}.pem`);
    const key = join(dir, `${name}.key`);
    openssl(['req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '2', '-subj', subject,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    chmodSync(key, 0o600);
    return { cert, key, fingerprint: fingerprintOf(cert), serial: '' };
  };
  const ca = makeCa('ca', '/O=Portcullis Tests/CN=Portcullis Test CA');
  const otherCa = makeCa('other-ca', '/O=Elsewhere/CN=Other CA');

  const issue = (options: LeafOptions): Issued => {
    const issuer = options.ca ?? ca;
    const cert = join(dir, `${options.name}.pem`);
    const key = join(dir, `${options.name}.key`);
    const csr = join(dir, `${options.name}.csr`);
    const ext = join(dir, `${options.name}.ext`);
    const hex = options.serial ?? (serial++).toString(16).toUpperCase();
    const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}`];
    if (options.san && options.san.length > 0) lines.push(`subjectAltName=${options.san.join(',')}`);
    writeFileSync(ext, lines.join('\n') + '\n');
    openssl(['req', '-new', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', options.subject], dir);
    chmodSync(key, 0o600);
    openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', `0x${hex}`,
      '-days', String(options.days ?? 2), '-out', cert, '-extfile', ext], dir);
    return { cert, key, fingerprint: fingerprintOf(cert), serial: hex };
  };

  const server = issue({ name: 'server', subject: '/O=Portcullis Tests/CN=portcullis.test', usage: 'server',
    san: ['DNS:localhost', 'DNS:portcullis.test', 'IP:127.0.0.1'] });
  const serverAlt = issue({ name: 'server-alt', subject: '/O=Portcullis Tests/CN=api.other.test', usage: 'server', san: ['DNS:api.other.test', 'DNS:*.alt.test'] });
  const client = issue({ name: 'client', subject: '/O=Portcullis Tests/OU=Billing/CN=client-a', usage: 'client',
    san: ['DNS:client-a.portcullis.test', 'URI:spiffe://portcullis.test/billing/client-a', 'email:client-a@portcullis.test'] });
  const clientB = issue({ name: 'client-b', subject: '/O=Portcullis Tests/OU=Support/CN=client-b', usage: 'client',
    san: ['URI:spiffe://portcullis.test/support/client-b'] });
  const revoked = issue({ name: 'revoked', subject: '/O=Portcullis Tests/CN=revoked-client', usage: 'client', san: ['URI:spiffe://portcullis.test/billing/revoked'] });
  const untrusted = issue({ name: 'untrusted', subject: '/O=Portcullis Tests/OU=Billing/CN=client-a', usage: 'client', ca: otherCa,
    san: ['URI:spiffe://portcullis.test/billing/client-a'] });
  const serverOnlyUsage = issue({ name: 'server-only', subject: '/O=Portcullis Tests/CN=not-a-client', usage: 'server', san: ['DNS:not-a-client.test'] });

  // `openssl ca` keeps its state in a small database: revoke one certificate, then write the CRL.
  const index = join(dir, 'index.txt');
  writeFileSync(index, '');
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
  const config = join(dir, 'ca.cnf');
  writeFileSync(config, [
    '[ ca ]', 'default_ca = test_ca', '[ test_ca ]', `database = ${index}`, `certificate = ${ca.cert}`, `private_key = ${ca.key}`,
    `crlnumber = ${join(dir, 'crlnumber')}`, 'default_md = sha256', 'default_crl_days = 2', '',
  ].join('\n'));
  const revoke = (certificate: Issued, crlFile: string) => {
    openssl(['ca', '-config', config, '-revoke', certificate.cert], dir);
    openssl(['ca', '-config', config, '-gencrl', '-out', crlFile], dir);
  };
  const crl = join(dir, 'crl.pem');
  revoke(revoked, crl);

  return {
    dir, ca, otherCa, server, serverAlt, client, clientB, revoked, untrusted, serverOnlyUsage, crl, issue, revoke,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
