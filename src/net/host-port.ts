import { isIPv6 } from 'node:net';

/** A listen or bind address such as `127.0.0.1:8080`, `[::1]:8080` or `:8080` (all interfaces). */
export interface HostPort { host: string; port: number }

/** Parses `HOST:PORT`; returns an error text rather than throwing so that policy loading can list every error. */
export function parseHostPort(text: string): HostPort | { error: string } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!match) return { error: `must be HOST:PORT (for IPv6 [ADDR]:PORT), got "${text}"` };
  const port = Number(match[3]);
  if (port > 65535) return { error: `port ${port} is out of range` };
  const host = match[1] ?? (match[2] || '0.0.0.0');
  if (match[1] !== undefined && !isIPv6(host)) return { error: `invalid IPv6 address "${host}"` };
  return { host, port };
}

/** True for addresses only this machine can reach; used to decide whether the admin listener needs a token. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
