import { isIP, isIPv6 } from 'node:net';
import type { CidrSet } from '../net/cidr.ts';

/**
 * Client address resolution: forwarding headers are believed only when the TCP peer is a trusted proxy. The
 * client is the right-most address in the chain that is not itself a trusted proxy (left-most entries can be
 * forged by anyone).
 */
export function resolveClientIp(
  peer: string, trusted: CidrSet, header: 'x-forwarded-for' | 'forwarded', headerValue: string | undefined,
): string {
  if (trusted.size === 0 || headerValue === undefined || !trusted.has(peer)) return peer;
  const hops = header === 'forwarded' ? forwardedForList(headerValue) : headerValue.split(',').map((v) => v.trim());
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (hop === null) break; // garbage or obfuscated (`unknown`, `_hidden`): stop at the last trustworthy hop
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return client;
}

function forwardedForList(value: string): string[] {
  const result: string[] = [];
  for (const element of value.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'for') result.push(pair.slice(eq + 1).trim());
    }
  }
  return result;
}

/** Accepts `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `"[2001:db8::1]:80"`; returns null for anything else. */
function normalizeAddress(text: string): string | null {
  let value = text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    value = end === -1 ? '' : value.slice(1, end);
  } else if (value.indexOf(':') !== -1 && value.indexOf(':') === value.lastIndexOf(':')) {
    value = value.slice(0, value.indexOf(':')); // IPv4 with port
  }
  if (!isIP(value)) return null;
  // `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1, written the way socket addresses are.
  return value.toLowerCase().startsWith('::ffff:') && value.includes('.') ? value.slice(7) : value;
}

/** `Forwarded` node syntax (RFC 7239 §6): IPv6 in brackets and quotes. */
function forwardedNode(address: string): string {
  return isIPv6(address) ? `"[${address}]"` : address;
}

function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export interface ForwardingInput {
  peer: string;
  peerIsTrusted: boolean;
  protocol: 'http' | 'https';
  host: string | undefined;
  incoming: { xff?: string; proto?: string; xhost?: string; forwarded?: string };
}

/** The forwarding headers sent upstream: rebuilt by us, extended from a trusted proxy's, never a client's own. */
export function forwardingHeaders(input: ForwardingInput): [string, string][] {
  const { peer, peerIsTrusted, protocol, host, incoming } = input;
  const xff = peerIsTrusted && incoming.xff ? `${incoming.xff}, ${peer}` : peer;
  const proto = peerIsTrusted && incoming.proto ? incoming.proto : protocol;
  const xhost = peerIsTrusted && incoming.xhost ? incoming.xhost : host;
  let element = `for=${forwardedNode(peer)};proto=${protocol}`;
  if (host) element += `;host=${quoteIfNeeded(host)}`;
  const forwarded = peerIsTrusted && incoming.forwarded ? `${incoming.forwarded}, ${element}` : element;
  const headers: [string, string][] = [['x-forwarded-for', xff], ['x-forwarded-proto', proto], ['forwarded', forwarded]];
  if (xhost) headers.push(['x-forwarded-host', xhost]);
  return headers;
}
