import { compareRank, type PathTemplate } from './path-template.ts';
import type { EffectiveRouteLimits, Mode } from '../config/policy-types.ts';
import type { UpstreamPool } from '../proxy/upstream-pool.ts';
import type { PhaseSteps } from './run-phase.ts';

/** A route ready to serve: template, methods, upstream, limits and its protection steps per phase. */
export interface CompiledRoute {
  readonly name: string;
  readonly index: number;
  readonly hosts: HostMatcher;
  readonly template: PathTemplate;
  readonly methods: ReadonlySet<string>;
  readonly upstream: UpstreamPool;
  readonly limits: EffectiveRouteLimits;
  readonly mode: Mode;
  readonly steps: PhaseSteps;
}

export interface HostMatcher { readonly rank: number; matches(host: string): boolean }

/** `undefined`: any host (rank 0); `*.example.com`: any subdomain (rank 1); `api.example.com`: exact (rank 2). */
export function compileHostMatcher(hosts: readonly string[] | undefined): HostMatcher {
  if (!hosts || hosts.length === 0) return { rank: 0, matches: () => true };
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const host of hosts) {
    const lower = host.toLowerCase();
    if (lower.startsWith('*.')) suffixes.push(lower.slice(1)); else exact.add(lower);
  }
  return {
    rank: exact.size > 0 ? 2 : 1,
    matches: (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length),
  };
}

/** `allowedMethods` is filled only when no matching route accepts the method (for the 405 `Allow` header). */
export interface RouteMatch { route: CompiledRoute; params: Record<string, string>; allowedMethods: readonly string[] }

/** Finds the route for host + path + method. Routes are tried most specific first (host, then path template). */
export class Router {
  private readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly CompiledRoute[]) {
    this.routes = [...routes].sort((a, b) =>
      (b.hosts.rank - a.hosts.rank) || compareRank(a.template.rank, b.template.rank) || (a.index - b.index));
  }

  /**
   * The most specific route whose host and path match and which accepts the method; when none accepts it, the most
   * specific route for the path (method restriction then answers 405 with the methods of all matching routes).
   */
  match(host: string, segments: readonly string[], method: string): RouteMatch | null {
    let first: { route: CompiledRoute; params: Record<string, string> } | null = null;
    const allowed = new Set<string>();
    for (const route of this.routes) {
      if (!route.hosts.matches(host)) continue;
      const params = route.template.match(segments);
      if (params === null) continue;
      if (route.methods.has(method)) return { route, params, allowedMethods: EMPTY };
      first ??= { route, params };
      for (const m of route.methods) allowed.add(m);
    }
    return first === null ? null : { ...first, allowedMethods: [...allowed] };
  }
}

const EMPTY: readonly string[] = Object.freeze([]);
