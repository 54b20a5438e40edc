/**
 * Exclusion suggestions from security events: what `portcullis exclusions` prints. Attack-detection events carry
 * every finding that counted (`matches`: rule, category, location); findings are grouped by route and location,
 * and a location that many different clients trip is most likely a false positive (one client alone is more
 * likely an attacker). Pure: the command reads the log and prints.
 */

/** The fields of a security event this module reads (a line of the security log, parsed). */
export interface SecurityEventRecord {
  readonly type?: unknown;
  readonly time?: unknown;
  readonly protection?: unknown;
  readonly action?: unknown;
  readonly mode?: unknown;
  readonly route?: unknown;
  readonly clientIp?: unknown;
  readonly path?: unknown;
  readonly ruleId?: unknown;
  readonly location?: unknown;
  readonly excerpt?: unknown;
  readonly matches?: unknown;
}

export interface SuggestionOptions {
  /** Only findings seen from at least this many client addresses (default 2). */
  readonly minClients?: number;
  /** Only this route. */
  readonly route?: string;
}

/** One suggested exclusion: these rules at this location on this route. */
export interface Suggestion {
  /** Route name as logged; undefined for requests no route served. */
  readonly route: string | undefined;
  /** Exact, or a prefix ending in `*` where the location held an array index (`body:$.items[*`). */
  readonly location: string;
  readonly rules: readonly string[];
  readonly categories: readonly string[];
  /** Requests with a finding here, and how many of them were refused (enforce mode). */
  readonly requests: number;
  readonly blocked: number;
  readonly clients: number;
  readonly first: string | undefined;
  readonly last: string | undefined;
  /** A path such a request was sent to, and the logged (redacted) excerpt when it belonged to this location. */
  readonly samplePath: string | undefined;
  readonly sampleExcerpt: string | undefined;
}

export interface SuggestionReport {
  /** Attack-detection events read. */
  readonly events: number;
  readonly suggestions: readonly Suggestion[];
  /** Groups left out because fewer clients than `minClients` sent them. */
  readonly belowMinClients: number;
}

/** Client addresses counted per group, at most (past it the count says "at least"). */
const MAX_CLIENTS_COUNTED = 10_000;

interface Group {
  route: string | undefined;
  location: string;
  rules: Set<string>;
  categories: Set<string>;
  requests: number;
  blocked: number;
  clients: Set<string>;
  first: string | undefined;
  last: string | undefined;
  samplePath: string | undefined;
  sampleExcerpt: string | undefined;
}

/**
 * A location as an exclusion can name it: exact, or cut before its first array index with `[*` appended
 * (`body:$.items[3].note` gives `body:$.items[*`, which covers every item), since exclusions match exact locations
 * or prefixes.
 */
export function generalizeLocation(location: string): string {
  for (let i = location.indexOf('['); i >= 0; i = location.indexOf('[', i + 1)) {
    let k = i + 1;
    while (k < location.length && location.charCodeAt(k) >= 48 && location.charCodeAt(k) <= 57) k++;
    if (k > i + 1 && location[k] === ']') return location.slice(0, i + 1) + '*';
  }
  return location;
}

/** Groups the attack-detection findings of `events` into suggestions, most clients first. */
export function suggestExclusions(events: Iterable<SecurityEventRecord>, options: SuggestionOptions = {}): SuggestionReport {
  const minClients = options.minClients ?? 2;
  const groups = new Map<string, Group>();
  let count = 0;
  for (const event of events) {
    if (event.type !== 'security' || event.protection !== 'attack-detection') continue;
    if (event.action !== 'block' && event.action !== 'flag') continue;
    const route = typeof event.route === 'string' ? event.route : undefined;
    if (options.route !== undefined && route !== options.route) continue;
    const findings = findingsOf(event);
    if (findings.length === 0) continue; // a refusal without findings (a malformed body, a limit)
    count++;
    const time = typeof event.time === 'string' ? event.time : undefined;
    const client = typeof event.clientIp === 'string' ? event.clientIp : '';
    const seen = new Set<string>(); // a request counts once per group
    for (const finding of findings) {
      const location = generalizeLocation(finding.location);
      const key = `${route ?? ''}\u0000${location}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = {
          route, location, rules: new Set(), categories: new Set(), requests: 0, blocked: 0, clients: new Set(),
          first: time, last: time, samplePath: typeof event.path === 'string' ? event.path : undefined, sampleExcerpt: undefined,
        };
        groups.set(key, group);
      }
      group.rules.add(finding.ruleId);
      if (finding.category !== undefined) group.categories.add(finding.category);
      if (group.sampleExcerpt === undefined && event.location === finding.location && typeof event.excerpt === 'string') group.sampleExcerpt = event.excerpt;
      if (seen.has(key)) continue;
      seen.add(key);
      group.requests++;
      if (event.action === 'block' && event.mode !== 'monitor') group.blocked++;
      if (group.clients.size < MAX_CLIENTS_COUNTED) group.clients.add(client);
      if (time !== undefined) {
        if (group.first === undefined || time < group.first) group.first = time;
        if (group.last === undefined || time > group.last) group.last = time;
      }
    }
  }
  const suggestions: Suggestion[] = [];
  let belowMinClients = 0;
  for (const group of groups.values()) {
    if (group.clients.size < minClients) { belowMinClients++; continue; }
    suggestions.push({
      route: group.route, location: group.location, rules: [...group.rules].sort(), categories: [...group.categories].sort(),
      requests: group.requests, blocked: group.blocked, clients: group.clients.size, first: group.first, last: group.last,
      samplePath: group.samplePath, sampleExcerpt: group.sampleExcerpt,
    });
  }
  suggestions.sort((a, b) => b.clients - a.clients || b.requests - a.requests || a.location.localeCompare(b.location));
  return { events: count, suggestions, belowMinClients };
}

/** The findings of one event: its `matches`, or (events written before them) its top rule and location. */
function findingsOf(event: SecurityEventRecord): { ruleId: string; category: string | undefined; location: string }[] {
  const out: { ruleId: string; category: string | undefined; location: string }[] = [];
  if (Array.isArray(event.matches)) {
    for (const m of event.matches as unknown[]) {
      if (typeof m !== 'object' || m === null) continue;
      const { ruleId, category, location } = m as Record<string, unknown>;
      if (typeof ruleId === 'string' && typeof location === 'string') out.push({ ruleId, category: typeof category === 'string' ? category : undefined, location });
    }
    return out;
  }
  if (typeof event.ruleId === 'string' && typeof event.location === 'string') out.push({ ruleId: event.ruleId, category: undefined, location: event.location });
  return out;
}

/**
 * The suggestions as a policy fragment: per route, `protections.attackDetection.exclusions` entries (rules at a
 * location), each with a `reason` that says what was seen; requests no route served go under the global
 * `protections`. Ready to merge into a policy after review.
 */
export function suggestionsAsPolicy(report: SuggestionReport): Record<string, unknown> {
  const byRoute = new Map<string | undefined, Record<string, unknown>[]>();
  for (const s of report.suggestions) {
    const entries = byRoute.get(s.route) ?? [];
    byRoute.set(s.route, entries);
    const span = s.first !== undefined && s.last !== undefined ? `, ${s.first} to ${s.last}` : '';
    entries.push({
      rules: [...s.rules],
      locations: [s.location],
      reason: `suggested: ${s.requests} request${s.requests === 1 ? '' : 's'} (${s.blocked} refused) from ${s.clients} client${s.clients === 1 ? '' : 's'}${span}`,
    });
  }
  const fragment: Record<string, unknown> = {};
  const global = byRoute.get(undefined);
  if (global !== undefined) fragment.protections = { attackDetection: { exclusions: global } };
  const routes = [...byRoute].filter(([route]) => route !== undefined)
    .map(([route, exclusions]) => ({ name: route, protections: { attackDetection: { exclusions } } }));
  if (routes.length > 0) fragment.routes = routes;
  return fragment;
}
