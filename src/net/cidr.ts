import { isIPv4, isIPv6 } from 'node:net';

/**
 * A compiled set of IPv4 and IPv6 CIDR blocks, matched in time proportional to the prefix lengths in use
 * (one hash lookup per distinct prefix length), never to the number of entries.
 */
export interface CidrSet {
  readonly size: number;
  has(address: string): boolean;
}

/** An address as a 128-bit integer; IPv4 and IPv4-mapped IPv6 share the `::ffff:0:0/96` space. */
export function addressToBigInt(address: string): bigint | null {
  const text = stripZone(address);
  if (isIPv4(text)) return 0xffff00000000n | ipv4ToBigInt(text);
  if (!isIPv6(text)) return null;
  return ipv6ToBigInt(text);
}

function stripZone(address: string): string {
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

function ipv4ToBigInt(text: string): bigint {
  let value = 0n;
  for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

function ipv6ToBigInt(text: string): bigint {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = ipv4ToBigInt(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') as [string, string] : [head, undefined];
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const missing = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(right === undefined ? 0 : missing).fill('0'), ...rightGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128). Returns an error text instead of throwing. */
export function parseCidr(text: string): { network: bigint; prefix: number } | { error: string } {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = addressToBigInt(addressText);
  if (address === null) return { error: `invalid IP address "${addressText}"` };
  const isV4 = isIPv4(addressText);
  const maxPrefix = isV4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      return { error: `invalid CIDR "${text}": prefix must be 0 to ${maxPrefix}` };
    }
    prefix = Number(prefixText);
  }
  // IPv4 prefixes live in the last 32 bits of the mapped space.
  const fullPrefix = isV4 ? prefix + 96 : prefix;
  const mask = fullPrefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - fullPrefix)) - 1n);
  return { network: address & mask, prefix: fullPrefix };
}

/** Compiles CIDR texts once; throws nothing, returns every invalid entry with its index. */
export function compileCidrSet(entries: readonly string[]): { set: CidrSet; errors: { index: number; message: string }[] } {
  const byPrefix = new Map<number, Set<bigint>>();
  const errors: { index: number; message: string }[] = [];
  entries.forEach((entry, index) => {
    const parsed = parseCidr(entry.trim());
    if ('error' in parsed) { errors.push({ index, message: parsed.error }); return; }
    let networks = byPrefix.get(parsed.prefix);
    if (!networks) byPrefix.set(parsed.prefix, networks = new Set());
    networks.add(parsed.network);
  });
  const prefixes = [...byPrefix.keys()].sort((a, b) => b - a).map((prefix) => ({
    networks: byPrefix.get(prefix)!,
    mask: prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n),
  }));
  const size = entries.length - errors.length;
  const cache = new Map<string, boolean>();
  return {
    errors,
    set: {
      size,
      has(address: string): boolean {
        if (size === 0) return false;
        const cached = cache.get(address);
        if (cached !== undefined) return cached;
        const value = addressToBigInt(address);
        let found = false;
        if (value !== null) {
          for (const { networks, mask } of prefixes) {
            if (networks.has(value & mask)) { found = true; break; }
          }
        }
        // Bounded memo: client addresses repeat heavily, BigInt maths is the costly part.
        if (cache.size >= 10_000) cache.clear();
        cache.set(address, found);
        return found;
      },
    },
  };
}
