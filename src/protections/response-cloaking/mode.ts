import type { CreateContext } from '../../pipeline/protection.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { Mode } from '../../config/policy-types.ts';

interface ModeCarrier { mode?: Mode; protections?: Record<string, { mode?: Mode } | undefined> }

/**
 * Whether this instance runs in monitor mode for an exchange.
 *
 * Verdicts are turned into monitor records by the pipeline, but a rewrite (a replaced body, a removed header) is a
 * side effect the pipeline cannot undo: in monitor mode this protection must only report what it would have done.
 * The mode is resolved exactly as the pipeline resolves a `merge` protection's (docs/policy.md, "Modes"):
 * `routes[].protections.responseCloaking.mode`, then `routes[].mode`, then `protections.responseCloaking.mode`,
 * then the top-level `mode`. A global instance serves many routes, so it looks the route up per exchange.
 */
export function monitorResolver(_config: unknown, context: CreateContext): (exchange: Exchange) => boolean {
  const policy = context.policy as unknown as ModeCarrier & { routes?: (ModeCarrier & { name?: string })[] };
  const routes = policy.routes ?? [];
  const globalOwn = policy.protections?.responseCloaking?.mode;
  const top: Mode = policy.mode ?? 'enforce';
  if (context.scope !== 'global') {
    const index = routes.findIndex((route, i) => (route.name ?? `route-${i}`) === context.scope);
    const route = routes[index];
    const mode = route?.protections?.responseCloaking?.mode ?? route?.mode ?? globalOwn ?? top;
    const monitor = mode === 'monitor';
    return () => monitor;
  }
  const byRoute = routes.map((route) => (route.mode ?? globalOwn ?? top) === 'monitor');
  const unrouted = (globalOwn ?? top) === 'monitor';
  return (exchange) => (exchange.route === null ? unrouted : byRoute[exchange.route.index] ?? unrouted);
}
