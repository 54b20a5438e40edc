/**
 * URLs and hosts as servers' many parsers read them, for the SSRF and RFI detectors. Written by hand rather than
 * with WHATWG `URL` because backends disagree with it: the host of `http://a@b@c` (first `@` or last?), of
 * `http://good.com &@evil/` (a blank in the authority), of `http:127.0.0.1` and `http:\\host`; and the numeric
 * host forms that `inet_aton` accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, overflowing
 * `0x1A9FEA9FE`). Every plausible host of a URL is returned, and each is classified.
 */

export interface FoundUrl {
  /** Lower-case scheme, '' for a scheme-less host (`localhost/admin`, `//host/x`). */
  readonly scheme: string;
  /** Every host a parser could take from it (last `@`, first `@`, hosts after later `@`s). */
  readonly hosts: readonly string[];
  /** The authority's userinfo holds an `@`-separated part, or there are several `@`. */
  readonly userinfo: boolean;
  /** Path, query and fragment as written (after the authority). */
  readonly rest: string;
  readonly start: number;
  readonly end: number;
  /** `scheme:` not followed by `//` (`http:127.0.0.1`, `jar:file:...`, `netdoc:/etc/passwd`). */
  readonly opaque: boolean;
  /** The userinfo hides an encoded separator (`http://good.com%2f@evil.com/`): parsers disagree on the host. */
  readonly confusing: boolean;
  /** A host was read through backslashes (`http://\\l\\o\\c\\a\\l...`). */
  readonly escaped: boolean;
  /** The port written after the (last) host, or -1 when none is (or it is no number). */
  readonly port: number;
}

export const SCHEME_MAX = 20;

export function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
export function isSchemeChar(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46 || c === 95;
}
/** Ends an authority (host part): separators, blanks, quotes, angle brackets. */
export function endsAuthority(c: number): boolean {
  return c === 47 || c === 92 || c === 63 || c === 35 || c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 ||
    c === 96 || c === 124 || c === 123 || c === 125 || c === 94 || c === 44 || c === 59;
}
/** Ends a URL inside text. */
function endsUrl(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96;
}

/** Ideographic and full-width full stops read as `.` by IDNA host parsing. */
function normalizeHostChars(h: string): string {
  let plain = true; // the usual case: nothing to replace, lower-case the host as it is
  for (let k = 0; k < h.length && plain; k++) {
    const c = h.charCodeAt(k);
    if (c === 0x3002 || c === 0xff0e || c === 0xff61) plain = false;
  }
  if (plain) return h.toLowerCase();
  let out = '';
  for (let k = 0; k < h.length; k++) {
    const c = h.charCodeAt(k);
    if (c === 0x3002 || c === 0xff0e || c === 0xff61) out += '.';
    else out += h[k];
  }
  return out.toLowerCase();
}

/** Splits `host:port`, unwraps `[v6]`, drops a trailing dot and an IPv6 zone. */
export function cleanHost(raw: string): string {
  let h = normalizeHostChars(raw.trim());
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    h = close > 0 ? h.slice(1, close) : h.slice(1);
    const zone = h.indexOf('%');
    return zone >= 0 ? h.slice(0, zone) : h;
  }
  let colons = 0;
  for (let k = 0; k < h.length; k++) if (h.charCodeAt(k) === 58) colons++;
  if (colons >= 2) { // a bare IPv6 address (invalid in a URL, accepted by some parsers)
    const zone = h.indexOf('%');
    return zone >= 0 ? h.slice(0, zone) : h;
  }
  if (colons === 1) h = h.slice(0, h.indexOf(':'));
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** A quote, a line break, `<` or `>` in value[from, to). */
function quoteOrBreakBetween(value: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = value.charCodeAt(k);
    if (c === 34 || c === 39 || c === 10 || c === 13 || c === 60 || c === 62) return true;
  }
  return false;
}

/** Finds URLs (with a scheme) in a value. At most `max`. */
export function findUrls(value: string, max = 4096): FoundUrl[] {
  const out: FoundUrl[] = [];
  let from = 0;
  // The first `@` at or after an authority's end: the one found for an earlier URL when it lies further on (each
  // URL searched to the end of the value, quadratic in a value of many URLs and no `@`).
  let atSearchedFrom = -1;
  let atFound = -1;
  const nextAt = (i: number): number => {
    if (!(atSearchedFrom >= 0 && atSearchedFrom <= i && (atFound < 0 || i <= atFound))) {
      atSearchedFrom = i;
      atFound = value.indexOf('@', i);
    }
    return atFound;
  };
  while (out.length < max) {
    const colon = value.indexOf(':', from);
    if (colon < 0) break;
    from = colon + 1;
    // the scheme: letters back to a non-scheme character
    let s = colon;
    while (s > 0 && colon - s < SCHEME_MAX && isSchemeChar(value.charCodeAt(s - 1))) s--;
    while (s < colon && !isAlpha(value.charCodeAt(s))) s++;
    if (s >= colon || colon - s < 2) continue;
    const scheme = value.slice(s, colon).toLowerCase();
    let k = colon + 1;
    let slashes = 0;
    while (k < value.length && (value.charCodeAt(k) === 47 || value.charCodeAt(k) === 92) && slashes < 4) { k++; slashes++; }
    const opaque = slashes < 2;
    if (opaque && !OPAQUE_OK.has(scheme)) {
      // `http:127.0.0.1`, `http:/host`: only for web schemes followed by something host-like
      if (!(scheme === 'http' || scheme === 'https' || scheme === 'ftp') || k >= value.length || endsAuthority(value.charCodeAt(k))) continue;
    }
    let a = k;
    while (a < value.length && !endsAuthority(value.charCodeAt(a))) a++;
    const authority = value.slice(k, a);
    let e = a;
    const limit = Math.min(value.length, a + 512); // the path and query that matter are near the host
    while (e < limit && !endsUrl(value.charCodeAt(e))) e++;
    const rest = value.slice(a, e);
    const hosts: string[] = [];
    const at = authority.lastIndexOf('@');
    let userinfo = false;
    let confusing = false;
    if (at >= 0) {
      userinfo = true;
      const info = authority.slice(0, at).toLowerCase();
      confusing = info.includes('%2f') || info.includes('%5c') || info.includes('%23') || info.includes('%3f') || info.includes('%40');
      hosts.push(cleanHost(authority.slice(at + 1)));
      const firstAt = authority.indexOf('@');
      if (firstAt !== at) hosts.push(cleanHost(authority.slice(firstAt + 1, authority.indexOf('@', firstAt + 1))));
    } else if (authority !== '') {
      hosts.push(cleanHost(authority));
    }
    // hosts after an `@` later in the text: `http://good.com:80 &@127.0.0.1:22/#@good.com/`
    // (the text is the 256 characters after the authority, read in place)
    const tailEnd = Math.min(value.length, a + 256);
    let p = nextAt(a);
    if (p >= tailEnd) p = -1;
    let guard = 0;
    // (not past a quote, a line break or markup: in JSON or HTML text an e-mail address after the URL is another value,
    // `"iss":"http://localhost:8080/realms/x","email":"kim@example.com"`)
    if (p >= 0 && quoteOrBreakBetween(value, a, p)) p = -1;
    while (p >= 0 && guard++ < 4) {
      let q = p + 1;
      while (q < tailEnd && !endsAuthority(value.charCodeAt(q))) q++;
      const h = cleanHost(value.slice(p + 1, q));
      if (h !== '') { hosts.push(h); userinfo = true; }
      p = value.indexOf('@', q);
      if (p >= tailEnd) p = -1;
    }
    // `http://\l\o\c\a\l\h\o\s\t/`: backslashes inside the host
    let escaped = false;
    if (a < value.length && value.charCodeAt(a) === 92) {
      let q = k;
      let h = '';
      while (q < value.length && !endsUrl(value.charCodeAt(q)) && value.charCodeAt(q) !== 47 && value.charCodeAt(q) !== 63 && value.charCodeAt(q) !== 35 && h.length < 255) {
        if (value.charCodeAt(q) !== 92) h += value[q];
        q++;
      }
      if (h !== '') { hosts.push(cleanHost(h)); escaped = true; }
    }
    out.push({ scheme, hosts: dedupe(hosts.filter((h) => h !== '')), userinfo, confusing, rest, start: s, end: e, opaque, escaped, port: portOf(authority, at + 1) });
    from = Math.max(from, a);
  }
  return out;
}

/**
 * The port of an authority whose host starts at `from` (after any userinfo): the digits after the last `:` that
 * follows the host (after `]` for an IPv6 literal); -1 when there is none. At most 5 digits: no port is longer.
 */
function portOf(authority: string, from: number): number {
  const close = authority.charCodeAt(from) === 91 ? authority.indexOf(']', from) : from;
  const colon = authority.lastIndexOf(':');
  // (a bare IPv6 address without brackets has no port a parser agrees on)
  if (close === from && colon >= from && authority.indexOf(':', from) !== colon) return -1;
  if (close < 0 || colon <= close || colon === authority.length - 1 || authority.length - colon > 6) return -1;
  let port = 0;
  for (let k = colon + 1; k < authority.length; k++) {
    const c = authority.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    port = port * 10 + (c - 48);
  }
  return port;
}

/** Schemes whose URLs need no `//` (`jar:file:...`, `netdoc:/etc/passwd`). */
export const OPAQUE_OK: ReadonlySet<string> = new Set(['jar', 'netdoc', 'url', 'mailto', 'data', 'file', 'gopher', 'dict', 'tftp', 'expect']);

function dedupe(xs: string[]): string[] {
  return xs.length < 2 ? xs : [...new Set(xs)];
}

// ---- IPv4 in every notation ---------------------------------------------------------------------------------------

export interface Ipv4 {
  readonly value: number;
  /** Not four decimal parts: hex, octal, fewer parts, or an overflowing number. */
  readonly unusual: boolean;
}

/** Parses a host the way `inet_aton` does (1 to 4 parts, each decimal, 0-octal or 0x-hex), or null. */
export function parseIpv4(host: string): Ipv4 | null {
  if (host === '' || host.length > 64) return null;
  const parts = host.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  let unusual = parts.length !== 4;
  let overflow = false;
  for (const part of parts) {
    if (part === '') return null;
    let base = 10;
    let digits = part;
    if (part.length >= 2 && part.charCodeAt(0) === 48 && (part.charCodeAt(1) | 32) === 120) { base = 16; digits = part.slice(2); unusual = true; }
    else if (part.length >= 2 && part.charCodeAt(0) === 48) { base = 8; digits = part.slice(1); unusual = true; }
    let v = 0;
    for (let k = 0; k < digits.length; k++) {
      const c = digits.charCodeAt(k);
      let d: number;
      if (isDigit(c)) d = c - 48;
      else if (base === 16 && ((c | 32) >= 97 && (c | 32) <= 102)) d = (c | 32) - 87;
      else return null;
      if (d >= base) return null;
      v = v * base + d;
      if (v >= 4294967296) { v %= 4294967296; overflow = true; }
    }
    values.push(v);
  }
  // every part but the last is one byte; the last fills the remaining bytes
  let result = 0;
  for (let k = 0; k < values.length - 1; k++) {
    if (values[k]! > 255) { overflow = true; values[k] = values[k]! & 255; }
    result = result * 256 + values[k]!;
  }
  const restBytes = 4 - (values.length - 1);
  const last = values[values.length - 1]!;
  const cap = 2 ** (8 * restBytes);
  if (last >= cap) overflow = true;
  result = result * cap + (last % cap);
  return { value: result >>> 0, unusual: unusual || overflow };
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

// ---- IPv6 ---------------------------------------------------------------------------------------------------------

/** Parses an IPv6 address (no brackets, no zone) into 8 groups, or null. */
export function parseIpv6(host: string): number[] | null {
  if (host.length < 2 || host.length > 64 || !host.includes(':')) return null;
  let head = host;
  let tail = '';
  const dbl = host.indexOf('::');
  if (dbl >= 0) {
    if (host.indexOf('::', dbl + 1) >= 0) return null;
    head = host.slice(0, dbl);
    tail = host.slice(dbl + 2);
  }
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k]!;
      if (k === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === null || v4.unusual) return null;
        out.push(v4.value >>> 16, v4.value & 0xffff);
        continue;
      }
      if (g.length === 0 || g.length > 4) return null;
      let v = 0;
      for (let i = 0; i < g.length; i++) {
        const c = g.charCodeAt(i) | 32;
        if (isDigit(g.charCodeAt(i))) v = v * 16 + g.charCodeAt(i) - 48;
        else if (c >= 97 && c <= 102) v = v * 16 + c - 87;
        else return null;
      }
      out.push(v);
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  if (h === null || t === null) return null;
  if (dbl < 0) return h.length === 8 ? h : null;
  if (h.length + t.length > 7) return null;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

// ---- classification -----------------------------------------------------------------------------------------------

export type HostKind = 'metadata' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'internal-name' |
  'shared' | 'reserved' | 'public' | 'name';

export interface HostFacts {
  readonly kind: HostKind;
  /** The address as a literal (IPv4 or IPv6), not a name. */
  readonly literal: boolean;
  /** Written in an unusual notation (decimal, hex, octal, short form, overflow, IPv4 in IPv6). */
  readonly unusual: boolean;
  /** A wildcard DNS name that resolves to an embedded address (`127.0.0.1.nip.io`) or a loopback alias domain. */
  readonly dns: boolean;
  /** What it resolves to, for messages. */
  readonly address: string;
}

export function classifyIpv4(v: number): HostKind {
  const a = v >>> 24;
  const b = (v >>> 16) & 255;
  if (v === 0xa9fea9fe || v === 0xa9feaa02 || v === 0x646464c8 || v === 0xc00000c0) return 'metadata';
  if (a === 127) return 'loopback';
  if (v === 0) return 'unspecified';
  if (a === 0) return 'reserved';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'shared';
  if ((a === 198 && (b === 18 || b === 19)) || (a === 192 && b === 0 && ((v >>> 8) & 255) === 0)) return 'private';
  if (a >= 224) return 'reserved';
  return 'public';
}

function classifyIpv6(g: number[]): { kind: HostKind; unusual: boolean; address: string } {
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number): number => ((hi << 16) | lo) >>> 0;
  if (zeros(0, 8)) return { kind: 'unspecified', unusual: true, address: '::' };
  if (zeros(0, 7) && g[7] === 1) return { kind: 'loopback', unusual: false, address: '::1' };
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d
  if ((zeros(0, 5) && g[5] === 0xffff) || zeros(0, 6) || (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6))) {
    const v = v4(g[6]!, g[7]!);
    return { kind: classifyIpv4(v), unusual: true, address: formatIpv4(v) };
  }
  if (g[0] === 0x2002) { // 6to4
    const v = v4(g[1]!, g[2]!);
    const kind = classifyIpv4(v);
    if (kind !== 'public') return { kind, unusual: true, address: formatIpv4(v) };
  }
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && zeros(2, 7) && g[7] === 0x254) return { kind: 'metadata', unusual: false, address: 'fd00:ec2::254' };
  if ((g[0]! & 0xfe00) === 0xfc00) return { kind: 'private', unusual: false, address: 'fc00::/7' };
  if ((g[0]! & 0xffc0) === 0xfe80) return { kind: 'link-local', unusual: false, address: 'fe80::/10' };
  if ((g[0]! & 0xffc0) === 0xfec0) return { kind: 'private', unusual: false, address: 'fec0::/10' };
  if ((g[0]! & 0xff00) === 0xff00) return { kind: 'reserved', unusual: false, address: 'ff00::/8' };
  return { kind: 'public', unusual: false, address: 'ipv6' };
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'localhost4', 'localhost4.localdomain4',
  'localhost6', 'localhost6.localdomain6', 'ip6-localhost', 'ip6-loopback', 'ipv6-localhost', 'ipv6-loopback',
  'loopback']);

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data',
  'instance-data.ec2.internal', 'metadata.packet.net', 'metadata.platformequinix.com', 'metadata.tencentyun.com',
  'metadata.azure.internal', 'metadata.ec2.internal', 'metadata.oraclecloud.com']);

const INTERNAL_NAMES = new Set(['host.docker.internal', 'gateway.docker.internal', 'kubernetes.docker.internal',
  'host.containers.internal', 'host.minikube.internal', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  'docker.for.mac.localhost', 'docker.for.win.localhost', 'host.lima.internal']);

/** Public domains whose names all resolve to 127.0.0.1. */
const LOOPBACK_DOMAINS = ['localtest.me', 'lvh.me', 'vcap.me', 'lacolhost.com', 'fuf.me', 'localh.st', 'readme.localtest.me',
  'yoogle.com', '127-0-0-1.org.uk', 'spoofed.burpcollaborator.net'];

/** Wildcard DNS services that answer with the address written in the name. */
const WILDCARD_DNS = ['nip.io', 'sslip.io', 'xip.io', 'nip.direct', 'traefik.me', 'local.gd', 'backname.io', 'ip.addr.tools'];

/** Hosts already classified (the same hosts come back in request after request); bounded, emptied when full. */
const CLASSIFIED = new Map<string, HostFacts | null>();

function isAsciiText(text: string): boolean {
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) >= 0x80) return false;
  return true;
}

/** Classifies a cleaned host (see cleanHost). The facts are shared between callers: never modify them. */
export function classifyHost(host: string): HostFacts | null {
  if (host === '' || host.length > 255) return null;
  const known = CLASSIFIED.get(host);
  if (known !== undefined) return known;
  const facts = classifyHostUncached(host);
  if (CLASSIFIED.size >= 4096) CLASSIFIED.clear();
  CLASSIFIED.set(host, facts);
  return facts;
}

function classifyHostUncached(host: string): HostFacts | null {
  // URL parsers map a host through UTS 46, which includes NFKC: `①②⑦.⓪.⓪.①` and full-width digits are 127.0.0.1
  // to the server's HTTP client. Such a host is crafted: its facts are those of the mapped host, in unusual notation.
  if (!isAsciiText(host)) {
    const mapped = host.normalize('NFKC').toLowerCase();
    if (mapped !== host && isAsciiText(mapped)) {
      const facts = classifyHostUncached(mapped);
      return facts === null || facts.kind === 'name' ? facts : { ...facts, unusual: true };
    }
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) {
    return { kind: classifyIpv4(v4.value), literal: true, unusual: v4.unusual || v4.value === 0, dns: false, address: formatIpv4(v4.value) };
  }
  if (host.includes(':')) {
    const g = parseIpv6(host);
    if (g === null) return null;
    const c = classifyIpv6(g);
    return { kind: c.kind, literal: true, unusual: c.unusual, dns: false, address: c.address };
  }
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return { kind: 'loopback', literal: false, unusual: false, dns: false, address: host };
  if (METADATA_NAMES.has(host)) return { kind: 'metadata', literal: false, unusual: false, dns: false, address: host };
  // the container host and cluster API: as good as a private address
  if (INTERNAL_NAMES.has(host)) return { kind: 'private', literal: false, unusual: false, dns: false, address: host };
  if (host.endsWith('.svc.cluster.local') || host.endsWith('.cluster.local') ||
    host.endsWith('.svc') || host.endsWith('.internal') || host.endsWith('.local') || host.endsWith('.localdomain')) {
    return { kind: 'internal-name', literal: false, unusual: false, dns: false, address: host };
  }
  for (const d of LOOPBACK_DOMAINS) {
    if (host === d || host.endsWith('.' + d)) return { kind: 'loopback', literal: false, unusual: false, dns: true, address: host };
  }
  for (const d of WILDCARD_DNS) {
    if (host.endsWith('.' + d)) {
      const embedded = embeddedAddress(host.slice(0, host.length - d.length - 1));
      if (embedded !== null) return { kind: classifyIpv4(embedded), literal: false, unusual: true, dns: true, address: formatIpv4(embedded) };
    }
  }
  for (const d of REBINDING_DNS) {
    if (host.endsWith('.' + d)) {
      const worst = rebindingTarget(host.slice(0, host.length - d.length - 1));
      if (worst !== null) return { kind: classifyIpv4(worst), literal: false, unusual: true, dns: true, address: formatIpv4(worst) };
    }
  }
  return { kind: 'name', literal: false, unusual: false, dns: false, address: host };
}

/**
 * DNS rebinding services, whose names answer with one address and then another: rbndr.us (`7f000001.a9fea9fe`, two
 * addresses in hex) and 1u.ms (`make-1.2.3.4-rebind-169.254.169.254-rr`, `make-169-254-169-254-rr`, dotted or
 * dashed). A check of the first answer passes a public address; the fetch gets the second.
 */
const REBINDING_DNS = ['rbndr.us', '1u.ms'];

/** Of the addresses a rebinding name carries, the one an SSRF is after: metadata, then loopback, then private. */
function rebindingTarget(labels: string): number | null {
  const found: number[] = [];
  for (const label of labels.split('.')) {
    if (label.length === 8 && /^[0-9a-f]{8}$/.test(label)) found.push(Number.parseInt(label, 16) >>> 0);
  }
  // dotted or dashed quads anywhere in the name (`make-1.2.3.4-rebind-127.0.0.1-rr`, `make-169-254-169-254-rr`)
  const numbers = labels.split(/[.-]/);
  for (let k = 0; k + 3 < numbers.length && found.length < 8; k++) {
    const quad = numbers.slice(k, k + 4);
    if (quad.every((n) => /^\d{1,3}$/.test(n) && Number(n) <= 255)) {
      found.push(((Number(quad[0]) << 24) | (Number(quad[1]) << 16) | (Number(quad[2]) << 8) | Number(quad[3])) >>> 0);
      k += 3;
    }
  }
  let best: number | null = null;
  let bestRank = 0;
  for (const v of found) {
    const kind = classifyIpv4(v);
    const rank = kind === 'metadata' ? 4 : kind === 'loopback' ? 3 : kind === 'private' || kind === 'link-local' ? 2 : 1;
    if (rank > bestRank) { best = v; bestRank = rank; }
  }
  return best;
}

/** The IPv4 address a wildcard DNS name carries: `a.b.c.d`, `x.a.b.c.d`, `a-b-c-d`, `x-a-b-c-d`, `7f000001`. */
function embeddedAddress(labels: string): number | null {
  const parts = labels.split('.');
  if (parts.length >= 4) {
    const v = parseIpv4(parts.slice(-4).join('.'));
    if (v !== null && !v.unusual) return v.value;
  }
  const last = parts[parts.length - 1]!;
  const dashed = last.split('-');
  if (dashed.length >= 4) {
    const v = parseIpv4(dashed.slice(-4).join('.'));
    if (v !== null && !v.unusual) return v.value;
  }
  if (/^[0-9a-f]{8}$/.test(last)) return Number.parseInt(last, 16) >>> 0;
  return null;
}

/** `internal` kinds: where an SSRF goes to reach what the server can reach and the attacker cannot. */
export function isInternal(kind: HostKind): boolean {
  return kind === 'metadata' || kind === 'loopback' || kind === 'private' || kind === 'link-local' ||
    kind === 'unspecified' || kind === 'internal-name';
}
