import { defineProtection } from '../../pipeline/protection.ts';
import { block, pass, type Verdict } from '../../pipeline/verdict.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { ClientCertificateConfigSchema, type ClientCertificateConfig } from './config.ts';
import { compileRule, ruleMatches } from './rules.ts';
import { RESERVED_HEADER_NAMES, detailValue, forwardHeaderNames, type ForwardedDetail } from './forward-headers.ts';

/**
 * Client certificates (mutual TLS) per route.
 *
 * Protects against: access by clients that cannot prove a machine identity issued by your own CA, including
 * revoked and foreign certificates; identity spoofing through client-made `x-client-cert-*` headers.
 * Phase: request head. Buffers nothing. The listener has already verified the certificate (chain to
 * `listeners[].tls.clientCertificates.ca`, CRL); this protection refuses what is missing or did not verify, matches the
 * verified certificate against the `allow` rules, forwards its details to the upstream and sets
 * `exchange.principal` to `cert:<sha256>` when no other protection set one.
 *
 * Every refusal is 403: a TLS client certificate is not an HTTP authentication scheme, so there is no
 * `WWW-Authenticate` challenge a 401 would require.
 */
export const clientCertificate = defineProtection<ClientCertificateConfig>({
  name: 'client-certificate',
  key: 'clientCertificate',
  schema: ClientCertificateConfigSchema,
  routeConfig: 'layer',
  sharedBetweenWorkers: 'nothing: rules are configuration; each worker verifies its own TLS connections',
  create(config, context) {
    const rules = config.allow?.map((rule, index) => compileRule(rule, (path, message) => context.issue(`/allow/${index}${path}`, message)));
    const headers = Object.entries(forwardHeaderNames(config)) as [ForwardedDetail, string][];
    const requestIdHeader = context.policy.requestId?.header;
    for (const [detail, name] of headers) {
      if (RESERVED_HEADER_NAMES.has(name) || name === requestIdHeader) context.issue(`/forwardHeaders/${detail}`, `"${name}" is set by the proxy itself and cannot carry certificate details`);
    }
    const listeners = context.policy.listeners;
    if (listeners !== undefined && !listeners.some((listener) => listener.tls?.clientCertificates !== undefined)) {
      context.issue('', 'no listener asks for client certificates (`listeners[].tls.clientCertificates`), so every request would be refused');
    }

    /** The client's copies are never forwarded (the listener already removed them); ours only for a verified certificate. */
    const clearHeaders = (exchange: Exchange) => { for (const [, name] of headers) exchange.setUpstreamHeader(name, null); };

    return {
      onRequestHead(exchange): Verdict {
        const tls = exchange.connection.tls;
        const certificate = tls?.clientCertificate;
        if (!certificate) {
          clearHeaders(exchange);
          return block(403, 'client_cert_missing', {
            detail: { location: 'tls', message: tls ? 'no client certificate was presented' : 'the connection is not TLS' },
          });
        }
        if (certificate.status !== 'verified') {
          clearHeaders(exchange);
          return block(403, certificate.status === 'revoked' ? 'client_cert_revoked' : 'client_cert_untrusted', {
            detail: { location: 'tls', excerpt: certificate.subject, message: `${certificate.error ?? 'not verified'}; sha256 ${certificate.fingerprint}` },
          });
        }
        for (const [detail, name] of headers) exchange.setUpstreamHeader(name, detailValue(certificate, detail));
        if (rules !== undefined && !rules.some((rule) => ruleMatches(rule, certificate))) {
          return block(403, 'client_cert_not_allowed', {
            detail: { location: 'tls', excerpt: certificate.subject, message: `no allow rule matches; sha256 ${certificate.fingerprint}` },
          });
        }
        exchange.principal ??= `cert:${certificate.fingerprint}`;
        return pass();
      },
    };
  },
});
