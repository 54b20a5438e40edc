import { addressToBigInt, parseCidr } from '../../net/cidr.ts';

/**
 * Store keys for clients, shared by the flood defence and the admin API so that both name a client the same way:
 * `ip:203.0.113.7`, `ip:2001:db8::7` (one address) or `ip:2001:db8:1:2::/64` (an IPv6 client grouped by prefix).
 * Addresses are canonical whatever their spelling (`::ffff:203.0.113.7`, `2001:DB8:0::7`), so a client cannot
 * escape its counter by writing its address differently, and an operator's ban matches what the gateway sees.
 */

const MAPPED_V4 = 0xffffn;
const ALL_ONES = (1n << 128n) - 1n;

/** The canonical text of an address (IPv4 dotted, IPv6 per RFC 5952), or null when it is not an address. */
export function canonicalAddress(text: string): string | null {
  const value = addressToBigInt(text);
  return value === null ? null : formatAddress(value);
}

/** The key a client is counted and banned under: IPv4 by address, IPv6 by its `ipv6Prefix` network. */
export function clientKey(address: string, ipv6Prefix: number): string | null {
  const value = addressToBigInt(address);
  if (value === null) return null;
  if (isMappedV4(value) || ipv6Prefix >= 128) return `ip:${formatAddress(value)}`;
  return `ip:${formatAddress(value & prefixMask(ipv6Prefix))}/${ipv6Prefix}`;
}

/** The key of exactly one address (what the admin API bans), or null. */
export function addressKey(address: string): string | null {
  const canonical = canonicalAddress(address);
  return canonical === null ? null : `ip:${canonical}`;
}

/**
 * True when a ban key applies to `address`: the same address, or an IPv6 network key (`ip:NET/LEN`) that
 * contains it. Used to lift every ban affecting an address.
 */
export function keyCovers(key: string, address: string): boolean {
  if (!key.startsWith('ip:')) return false;
  const value = addressToBigInt(address);
  if (value === null) return false;
  const body = key.slice(3);
  if (!body.includes('/')) return addressToBigInt(body) === value;
  const network = parseCidr(body);
  if ('error' in network) return false;
  return (value & prefixMask(network.prefix)) === network.network;
}

function isMappedV4(value: bigint): boolean {
  return value >> 32n === MAPPED_V4;
}

function prefixMask(prefix: number): bigint {
  return prefix <= 0 ? 0n : ALL_ONES ^ ((1n << BigInt(128 - prefix)) - 1n);
}

function formatAddress(value: bigint): string {
  if (isMappedV4(value)) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952: the longest run of two or more zero groups (the first on a tie) becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `10s`, `1m`, `2h`, `1d` in milliseconds, or null. The schema has already checked the syntax. */
export function parseDuration(text: string): number | null {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits++;
  const unit = UNITS[text.slice(digits)];
  if (digits === 0 || digits > 9 || unit === undefined || !Object.hasOwn(UNITS, text.slice(digits))) return null;
  return Number(text.slice(0, digits)) * unit;
}
