import { defineProtection, type CreateContext } from '../../pipeline/protection.ts';
import { allow, block, pass, type Verdict } from '../../pipeline/verdict.ts';
import { compileCidrSet, type CidrSet } from '../../net/cidr.ts';
import { IpListConfigSchema, type IpListConfig } from './config.ts';
import type { ConnectionInfo, Exchange } from '../../pipeline/exchange.ts';

/**
 * IP allow, deny and bypass lists.
 *
 * Protects against: traffic from known-bad networks, access to internal routes from outside the allowed networks.
 * Phases: request head (the client address after trusted-proxy resolution) and, with `dropConnections`,
 * connection (deny entries against the TCP peer, before any request is read). Buffers nothing.
 */
export const ipList = defineProtection<IpListConfig>({
  name: 'ip-list',
  key: 'ipList',
  schema: IpListConfigSchema,
  routeConfig: 'layer',
  sharedBetweenWorkers: 'nothing: the lists are configuration, compiled in every worker',
  create(config, context) {
    const deny = compileList(config.deny, '/deny', context);
    const allowList = compileList(config.allow, '/allow', context);
    const bypass = compileList(config.bypass, '/bypass', context);

    function decide(address: string): Verdict {
      if (deny.has(address)) return block(403, 'ip_denied', { detail: { location: 'client-ip', excerpt: address } });
      if (allowList.size > 0 && !allowList.has(address)) {
        return block(403, 'ip_not_allowed', { detail: { location: 'client-ip', excerpt: address } });
      }
      if (bypass.has(address)) return allow('ip_bypass', { location: 'client-ip', excerpt: address });
      return pass();
    }

    if (config.dropConnections === true && context.scope !== 'global') {
      context.issue('/dropConnections', 'is a global setting: connections are accepted before any route is known');
    }
    const onRequestHead = (exchange: Exchange) => decide(exchange.clientIp);
    if (config.dropConnections !== true) return { onRequestHead };
    return {
      // Only deny entries act at accept time: allow and bypass depend on the client a request resolves to.
      onConnection: (_connection: ConnectionInfo, peerAddress: string) =>
        deny.has(peerAddress) ? block(403, 'ip_denied', { detail: { location: 'client-ip', excerpt: peerAddress } }) : pass(),
      onRequestHead,
    };
  },
});

function compileList(entries: readonly string[] | undefined, path: string, context: CreateContext): CidrSet {
  const { set, errors } = compileCidrSet(entries ?? []);
  for (const { index, message } of errors) context.issue(`${path}/${index}`, message);
  return set;
}
