import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

const CidrList = (description: string) => Type.Array(Type.String({ minLength: 1 }), { description, maxItems: 100_000 });

export const IpListConfigSchema = protectionConfigSchema({
  deny: Type.Optional(CidrList('Addresses or CIDR blocks (IPv4 or IPv6) that are refused with 403 `ip_denied`.')),
  allow: Type.Optional(CidrList(
    'When present and not empty, only these addresses are admitted; others are refused with 403 `ip_not_allowed`. ' +
    'Admitted addresses still go through every other protection.')),
  bypass: Type.Optional(CidrList(
    'Trusted addresses whose requests skip every later protection of the request (logged as an `allow` verdict). ' +
    'Deny entries still win over bypass entries.')),
  dropConnections: Type.Optional(Type.Boolean({
    description: 'Global list only: also close connections from denied TCP peers as soon as they are accepted, before any ' +
      'request is read (no reply, no route exceptions; counted in `portcullis_rejected_connections_total{reason="ip_denied"}`). ' +
      'Peers that are trusted proxies are never dropped. Applies in enforce mode only. Default false.',
  })),
}, 'IP allow, deny and bypass lists, matched against the client address after trusted-proxy resolution.');

export type IpListConfig = Static<typeof IpListConfigSchema>;
