import tls, { type SecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { PolicyIssue } from '../../config/policy-error.ts';
import { systemLog } from '../../observe/system-log.ts';
import { readPem, describeTlsError } from './pem-material.ts';
import { parseSubjectAltName } from './peer-certificate.ts';
import type { ListenerTlsConfig } from './tls-schema.ts';

/** Everything built from one read of a listener's TLS files: the default context options and the SNI table. */
interface LoadedContexts {
  /** Options of the first certificate, for `server.setSecureContext` (clients without SNI or with an unknown name). */
  readonly defaultOptions: SecureContextOptions;
  readonly defaultContext: SecureContext;
  /** Exact server name (lower-case) to context. */
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** Wildcard suffix (`.example.com` for `*.example.com`) to context. */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
}

/**
 * The TLS side of one HTTPS listener: certificates chosen by SNI, client-certificate verification (CA, CRL) and
 * reloading. Every file is read when the listener is created and again on `reload()`; a reload that fails in any
 * way changes nothing (the previous certificates, CA and CRL stay in use).
 */
export class ListenerTls {
  readonly config: ListenerTlsConfig;
  /** JSON pointer of this `tls` block, for error messages (`/listeners/0/tls`). */
  readonly pointer: string;
  readonly listenerName: string;
  private loaded: LoadedContexts;

  private constructor(config: ListenerTlsConfig, pointer: string, listenerName: string, loaded: LoadedContexts) {
    this.config = config;
    this.pointer = pointer;
    this.listenerName = listenerName;
    this.loaded = loaded;
  }

  /** Reads and checks the listener's TLS material; on any problem returns every issue found. */
  static load(config: ListenerTlsConfig, pointer: string, listenerName: string): ListenerTls | { issues: PolicyIssue[] } {
    const loaded = loadContexts(config, pointer, listenerName);
    return 'issues' in loaded ? loaded : new ListenerTls(config, pointer, listenerName, loaded);
  }

  /** True when the listener asks clients for a certificate. */
  get requestsClientCertificate(): boolean { return this.config.clientCertificates !== undefined; }

  /** Options for `https.createServer`: the default certificate, the SNI callback, client-certificate settings. */
  serverOptions(): tls.TlsOptions {
    const clientCertificates = this.config.clientCertificates;
    return {
      ...this.loaded.defaultOptions,
      SNICallback: (serverName, callback) => callback(null, this.contextFor(serverName)),
      requestCert: clientCertificates !== undefined,
      // `optional`: the handshake succeeds whatever the certificate; the clientCertificate protection decides.
      rejectUnauthorized: clientCertificates?.mode === 'require',
      handshakeTimeout: this.config.handshakeTimeoutMs,
      ALPNProtocols: ['http/1.1'],
    };
  }

  /** The context for an SNI name: exact names first, then a one-label wildcard, else the default certificate. */
  contextFor(serverName: string): SecureContext {
    const name = serverName.toLowerCase();
    const loaded = this.loaded;
    const exact = loaded.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wildcard = loaded.wildcard.get(name.slice(dot));
      if (wildcard) return wildcard;
    }
    return loaded.defaultContext;
  }

  /**
   * Reads every file again and swaps the new contexts in (new handshakes use them; open connections keep theirs).
   * On any problem nothing changes and the issues are returned.
   */
  reload(server: tls.Server): PolicyIssue[] {
    const loaded = loadContexts(this.config, this.pointer, this.listenerName);
    if ('issues' in loaded) return loaded.issues;
    server.setSecureContext(loaded.defaultOptions);
    this.loaded = loaded;
    return [];
  }
}

function loadContexts(config: ListenerTlsConfig, pointer: string, listenerName: string): LoadedContexts | { issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const shared: SecureContextOptions = {
    minVersion: config.minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: config.ciphers,
    honorCipherOrder: true,
  };
  try {
    tls.createSecureContext(shared);
  } catch (error) {
    issues.push({ path: `${pointer}/ciphers`, message: describeTlsError(error) });
  }
  const clients = config.clientCertificates;
  if (clients) {
    const ca = readPem(clients.ca, 'CA bundle', `${pointer}/clientCertificates/ca`, issues);
    if (ca) {
      try { tls.createSecureContext({ ca }); shared.ca = ca; } catch (error) {
        issues.push({ path: `${pointer}/clientCertificates/ca`, message: describeTlsError(error) });
      }
    }
    if (clients.crl !== undefined) {
      const crl = readPem(clients.crl, 'CRL', `${pointer}/clientCertificates/crl`, issues);
      if (crl) {
        try { tls.createSecureContext({ crl }); shared.crl = crl; } catch (error) {
          issues.push({ path: `${pointer}/clientCertificates/crl`, message: describeTlsError(error) });
        }
      }
    }
  }

  const contexts: { options: SecureContextOptions; context: SecureContext; names: readonly string[] }[] = [];
  config.certificates.forEach((entry, index) => {
    const at = `${pointer}/certificates/${index}`;
    const cert = readPem(entry.cert, 'certificate', `${at}/cert`, issues);
    const key = readPem(entry.key, 'private key', `${at}/key`, issues);
    if (!cert || !key) return;
    let leaf: X509Certificate;
    try { leaf = new X509Certificate(cert); } catch (error) {
      issues.push({ path: `${at}/cert`, message: describeTlsError(error) });
      return;
    }
    const options: SecureContextOptions = { ...shared, cert, key };
    let context: SecureContext;
    try { context = tls.createSecureContext(options); } catch (error) {
      issues.push({ path: at, message: describeTlsError(error) });
      return;
    }
    const names = entry.serverNames ?? parseSubjectAltName(leaf.subjectAltName ?? '').dns;
    if (index > 0 && names.length === 0) {
      issues.push({ path: `${at}/serverNames`, message: 'the certificate has no DNS names in subjectAltName, so it could never be chosen: list its serverNames' });
    }
    const now = Date.now();
    if (Date.parse(leaf.validTo) < now || Date.parse(leaf.validFrom) > now) {
      systemLog.warn('tls_certificate_not_valid_now', { listener: listenerName, certificate: at, validFrom: leaf.validFrom, validTo: leaf.validTo });
    }
    contexts.push({ options, context, names: names.map((name) => name.toLowerCase()) });
  });
  if (issues.length > 0 || contexts.length === 0) return { issues };

  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  for (const { context, names } of contexts) {
    for (const name of names) {
      if (name.startsWith('*.')) { if (!wildcard.has(name.slice(1))) wildcard.set(name.slice(1), context); }
      else if (!exact.has(name)) exact.set(name, context);
    }
  }
  const first = contexts[0]!;
  return { defaultOptions: first.options, defaultContext: first.context, exact, wildcard };
}

/**
 * Reads and checks the TLS material of every listener of `policy` without listening: for `portcullis check`, and
 * for a cluster primary before it forks workers (which would otherwise each fail to start). Returns every problem.
 */
export function checkListenersTls(policy: { readonly listeners: readonly { readonly name?: string; readonly address: string; readonly tls?: ListenerTlsConfig; readonly redirectToHttps?: unknown }[] }): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  policy.listeners.forEach((listener, index) => {
    if (!listener.tls) return;
    if (listener.redirectToHttps !== undefined) issues.push({ path: `/listeners/${index}/redirectToHttps`, message: 'cannot be used on a TLS listener' });
    const loaded = ListenerTls.load(listener.tls, `/listeners/${index}/tls`, listener.name ?? listener.address);
    if ('issues' in loaded) issues.push(...loaded.issues);
  });
  return issues;
}
