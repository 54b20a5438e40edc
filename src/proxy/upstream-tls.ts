import tls, { type ConnectionOptions } from 'node:tls';
import type { PolicyIssue } from '../config/policy-error.ts';
import type { UpstreamPolicy } from '../config/policy-types.ts';
import { readPem, describeTlsError } from '../server/tls/pem-material.ts';
import { systemLog } from '../observe/system-log.ts';

/** The TLS part of undici's `connect` options for one upstream. */
export type UpstreamTlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized' | 'minVersion' | 'maxVersion'>;

/**
 * TLS options towards an upstream, read from `upstreams.<name>.tls` (files are read at every policy load). For an
 * `https://` upstream, the certificate is verified (chain and name) unless `verify: false`; with `cert` and `key`,
 * Portcullis presents that client certificate (mutual TLS). Plain `http://` upstreams get none. Problems are added
 * to `issues`, located under `/upstreams/<name>/tls`.
 */
export function upstreamTlsOptions(name: string, policy: UpstreamPolicy, issues: PolicyIssue[]): UpstreamTlsOptions | undefined {
  const pointer = `/upstreams/${name}/tls`;
  const config = policy.tls;
  const https = policy.url.startsWith('https:');
  if (!https) {
    if (config !== undefined) issues.push({ path: pointer, message: 'applies to https:// upstreams only' });
    return undefined;
  }
  const options: UpstreamTlsOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  if (config === undefined) return options;
  options.rejectUnauthorized = config.verify;
  options.minVersion = config.minVersion;
  if (config.serverName !== undefined) options.servername = config.serverName;
  if (config.ca !== undefined) options.ca = readPem(config.ca, 'CA bundle', `${pointer}/ca`, issues);
  if ((config.cert === undefined) !== (config.key === undefined)) {
    issues.push({ path: `${pointer}/${config.cert === undefined ? 'cert' : 'key'}`, message: 'is required with `cert` and `key` together (the client certificate and its key)' });
  } else if (config.cert !== undefined && config.key !== undefined) {
    options.cert = readPem(config.cert, 'certificate', `${pointer}/cert`, issues);
    options.key = readPem(config.key, 'private key', `${pointer}/key`, issues);
  }
  const before = issues.length;
  if (options.ca === undefined && config.ca !== undefined) return options; // reported by readPem
  if ((config.cert !== undefined && options.cert === undefined) || (config.key !== undefined && options.key === undefined)) return options;
  try {
    // The same checks the connection would make, now rather than at the first request: CA parsing, key match.
    tls.createSecureContext({ ca: options.ca, cert: options.cert, key: options.key, minVersion: options.minVersion });
  } catch (error) {
    issues.push({ path: pointer, message: describeTlsError(error) });
  }
  if (issues.length === before && !config.verify) {
    systemLog.warn('upstream_tls_unverified', { upstream: name, note: 'the upstream certificate is not verified (tls.verify: false)' });
  }
  return options;
}
