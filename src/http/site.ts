/**
 * The site of a host name, for same-site checks (a Referer, a URL a request names): its registrable domain,
 * approximated as the last two labels, or three under a country's second level (`shop.example.co.kr` →
 * `example.co.kr`); an IP address is its own site. A subdomain (`www.airline.example` and `target.airline.example`)
 * is the same site.
 */
export function siteOf(host: string): string {
  if (host.includes(':') || /^[\d.]+$/.test(host)) return host;
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const n = labels.length;
  const second = labels[n - 2]!;
  const country = labels[n - 1]!.length === 2 && SECOND_LEVEL.has(second);
  return labels.slice(country ? n - 3 : n - 2).join('.');
}
/** Second-level labels under which countries register names (`co.kr`, `com.au`, `ac.jp`). */
const SECOND_LEVEL: ReadonlySet<string> = new Set(['co', 'com', 'net', 'org', 'ac', 'go', 'or', 'ne', 'gov', 'edu', 're', 'pe', 'ed', 'mil', 'gen', 'ltd', 'plc']);
