import type { Policy, Mode, EffectiveRouteLimits } from '../config/policy-types.ts';
import { PolicyError, type PolicyIssue } from '../config/policy-error.ts';
import { PROTECTIONS } from '../protections/index.ts';
import type { ProtectionDefinition, ProtectionInstance } from './protection.ts';
import type { PhaseSteps, Step } from './run-phase.ts';
import { Router, compileHostMatcher, type CompiledRoute } from './router.ts';
import { compilePathTemplate } from './path-template.ts';
import { createUpstreamPool, type UpstreamPool } from '../proxy/upstream-pool.ts';
import { checkListenersTls } from '../server/tls/listener-tls.ts';
import { certificateHeaderNames } from '../protections/client-certificate/forward-headers.ts';
import { compileCidrSet, type CidrSet } from '../net/cidr.ts';
import { ALWAYS_REDACTED_HEADERS } from '../observe/redaction.ts';
import { systemLog } from '../observe/system-log.ts';
import { errorSummary } from './run-phase.ts';
import { acquireStores, type StoreLease } from '../store/registry.ts';
import type { SharedStores } from '../store/store.ts';

/** Everything one policy load compiled. Requests capture the pipeline they started with; reloads swap it whole. */
export interface CompiledPipeline {
  readonly generation: number;
  readonly policy: Policy;
  readonly router: Router;
  /** Steps for requests no route matches (global instances only). */
  readonly unrouted: PhaseSteps;
  /** Global instances with a connection hook, in enforce mode: run once per accepted client connection. */
  readonly connectionSteps: readonly Step[];
  /** The largest `maxUriBytes` of any route: the bound checked before routing (routes may raise the global one). */
  readonly maxUriBytes: number;
  readonly upstreams: ReadonlyMap<string, UpstreamPool>;
  readonly trustedProxies: CidrSet;
  readonly globalLimits: EffectiveRouteLimits;
  readonly redactedHeaders: ReadonlySet<string>;
  /**
   * Request headers that carry verified identity to upstreams (JWT claims, client-certificate details): the client's
   * copies are removed from every request before any protection runs, including on routes without `jwt` or
   * `clientCertificate` and after an ip-list bypass, so no route can be used to plant them.
   */
  readonly identityHeaders: readonly string[];
  /**
   * Headers the policy reads or sets (identity headers, the request-id and client-address headers, a JWT's header,
   * rate-limit keys): with `http.underscoresInHeaders: ambiguous`, a name with `_` may not stand for one of them.
   */
  readonly namedHeaders: ReadonlySet<string>;
  /** The rate-limit counters and bans (process-wide, shared with the next pipeline when `store` is unchanged). */
  readonly stores: SharedStores;
  /** Waits for in-flight upstream requests, closes pools and protection resources. */
  close(): Promise<void>;
}

/** The methods of a route that names none (also what `OPTIONS *` and a refused `CONNECT` answer in `Allow`). */
export const DEFAULT_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
let generations = 0;

interface ConfigBlock { enabled?: boolean; mode?: Mode; [key: string]: unknown }

/**
 * Compiles a validated policy: route templates, upstream pools and one instance per protection and scope.
 * Collects every problem and throws one `PolicyError` listing them all; on error, nothing is left open.
 * `registry` is the list of protections (the built-in one; tests and embedders may extend it). `stores` replaces the
 * process-wide stores of `policy.store` (tests, embedders); the pipeline then neither takes nor closes them.
 */
export function buildPipeline(
  policy: Policy, source = 'policy', registry: readonly ProtectionDefinition<any>[] = PROTECTIONS, stores?: SharedStores,
): CompiledPipeline {
  const issues: PolicyIssue[] = [];
  const instances: ProtectionInstance[] = [];
  const lease: StoreLease = stores ? { stores, release: async () => {} } : acquireStores(policy.store, issues);
  const create = (definition: ProtectionDefinition<any>, config: ConfigBlock, pointer: string, scope: string) => {
    const instance = definition.create(config, {
      policy, scope, stores: lease.stores,
      issue: (path, message) => issues.push({ path: pointer + path, message }),
    });
    instances.push(instance);
    return instance;
  };

  const globalConfigs = (policy.protections ?? {}) as Record<string, ConfigBlock | undefined>;
  const globalInstances = new Map<string, ProtectionInstance>();
  for (const definition of registry) {
    const config = globalConfigs[definition.key] ?? (definition.defaultConfig as ConfigBlock | undefined);
    if (config === undefined || config.enabled === false) continue;
    globalInstances.set(definition.key, create(definition, config, `/protections/${definition.key}`, 'global'));
  }

  const upstreams = new Map<string, UpstreamPool>();
  for (const [name, upstream] of Object.entries(policy.upstreams)) upstreams.set(name, createUpstreamPool(name, upstream, issues));
  // Listener TLS material (certificates, keys, CA, CRL) is read here too, so `check`, the cluster primary's reload
  // check and a reload all report unreadable or unsafe files as policy errors.
  issues.push(...checkListenersTls(policy));

  const globalLimits: EffectiveRouteLimits = {
    maxUriBytes: policy.limits.maxUriBytes,
    maxBodyBytes: policy.limits.maxBodyBytes,
    bodyIdleTimeoutMs: policy.limits.bodyIdleTimeoutMs,
    bodyMinBytesPerSecond: policy.limits.bodyMinBytesPerSecond,
    writeIdleTimeoutMs: policy.limits.writeIdleTimeoutMs,
    maxInspectedResponseBytes: policy.limits.maxInspectedResponseBytes,
    responseOverflow: policy.limits.responseOverflow,
  };

  const routes: CompiledRoute[] = [];
  policy.routes.forEach((route, index) => {
    const name = route.name ?? `route-${index}`;
    // A broken template is reported, but the route's protections are still compiled so their errors show too.
    const template = compilePathTemplate(route.path, policy.http.caseSensitivePaths);
    if ('error' in template) issues.push({ path: `/routes/${index}/path`, message: template.error });
    const routeMode = route.mode;
    const routeConfigs = (route.protections ?? {}) as Record<string, ConfigBlock | undefined>;
    const steps: Step[] = [];
    for (const definition of registry) {
      const global = globalConfigs[definition.key];
      const local = routeConfigs[definition.key];
      const pointer = `/routes/${index}/protections/${definition.key}`;
      if (local?.enabled === false) continue;
      const modeFor = (own: ConfigBlock | undefined) => own?.mode ?? routeMode ?? global?.mode ?? policy.mode;
      if (definition.routeConfig === 'merge') {
        if (local === undefined) {
          const shared = globalInstances.get(definition.key);
          if (shared) steps.push({ protection: definition.name, mode: modeFor(undefined), instance: shared });
          continue;
        }
        const merged = { ...(global ?? {}), ...local };
        steps.push({ protection: definition.name, mode: modeFor(local), instance: create(definition, merged, pointer, name) });
        continue;
      }
      // Layered: the global instance keeps its own mode on this route (a route trialling its own list in
      // monitor mode must not silence the global one); only the route's `mode` overrides it.
      const shared = globalInstances.get(definition.key);
      if (shared) steps.push({ protection: definition.name, mode: modeFor(undefined), instance: shared });
      if (local !== undefined) steps.push({ protection: definition.name, mode: modeFor(local), instance: create(definition, local, pointer, name) });
    }
    const upstream = upstreams.get(route.upstream);
    if ('error' in template || !upstream) return; // errors already recorded (a missing upstream by the loader)
    const methods = new Set<string>(route.methods ?? DEFAULT_METHODS);
    if (methods.has('GET')) methods.add('HEAD');
    routes.push({
      name, index,
      hosts: compileHostMatcher(typeof route.host === 'string' ? [route.host] : route.host),
      template,
      methods,
      upstream,
      limits: { ...globalLimits, ...route.limits },
      mode: routeMode ?? policy.mode,
      steps: phaseSteps(steps),
    });
  });

  const unroutedSteps: Step[] = [];
  for (const definition of registry) {
    const instance = globalInstances.get(definition.key);
    if (instance) unroutedSteps.push({ protection: definition.name, mode: globalConfigs[definition.key]?.mode ?? policy.mode, instance });
  }

  const closeAll = async () => {
    await Promise.allSettled([...upstreams.values()].map((upstream) => upstream.close()));
    for (const instance of instances) {
      try { await instance.close?.(); } catch (error) { systemLog.warn('protection_close_failed', { error: errorSummary(error) }); }
    }
    await lease.release();
  };

  if (issues.length > 0) {
    void closeAll();
    throw new PolicyError(source, issues);
  }

  const identityHeaders = identityHeaderNames(policy);
  return {
    generation: ++generations,
    policy,
    router: new Router(routes),
    unrouted: phaseSteps(unroutedSteps),
    connectionSteps: unroutedSteps.filter((step) => step.instance.onConnection && step.mode === 'enforce'),
    maxUriBytes: Math.max(globalLimits.maxUriBytes, ...routes.map((route) => route.limits.maxUriBytes)),
    upstreams,
    trustedProxies: compileCidrSet(policy.clientAddress.trustedProxies).set,
    globalLimits,
    redactedHeaders: new Set([...ALWAYS_REDACTED_HEADERS, ...policy.logging.redactHeaders.map((h) => h.toLowerCase())]),
    identityHeaders,
    namedHeaders: namedHeaderNames(policy, identityHeaders),
    stores: lease.stores,
    close: closeAll,
  };
}

/**
 * Header names that carry verified identity to upstreams, lower-cased: those any `jwt.forwardClaims` (global or on
 * a route) sends, and every certificate-detail header `clientCertificate` may forward (defaults included).
 */
function identityHeaderNames(policy: Policy): string[] {
  const names = new Set<string>(certificateHeaderNames(policy).map((name) => name.toLowerCase()));
  const collect = (protections: unknown) => {
    const forward = (protections as { jwt?: { forwardClaims?: Record<string, string> } } | undefined)?.jwt?.forwardClaims;
    for (const header of Object.values(forward ?? {})) names.add(header.toLowerCase());
  };
  collect(policy.protections);
  for (const route of policy.routes) collect(route.protections);
  return [...names];
}

/**
 * Every header the policy names, lower-cased: the identity headers, and, anywhere in it, the value of a `header` key
 * (the request-id and client-address headers, a JWT's token header) and a `header:NAME` reference (rate-limit keys,
 * exclusion locations). More names only make `ambiguous` stricter.
 */
function namedHeaderNames(policy: Policy, identityHeaders: readonly string[]): Set<string> {
  const names = new Set(identityHeaders);
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (key === 'header') names.add(value.toLowerCase());
      else if (value.startsWith('header:')) names.add(value.slice(7).toLowerCase());
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(policy, '');
  return names;
}

function phaseSteps(steps: readonly Step[]): PhaseSteps {
  return {
    requestHead: steps.filter((s) => s.instance.onRequestHead),
    requestBody: steps.filter((s) => s.instance.onRequestBody),
    responseHead: steps.filter((s) => s.instance.onResponseHead),
    responseBody: steps.filter((s) => s.instance.onResponseBody),
    log: steps.filter((s) => s.instance.onLog),
    needsRequestBody: steps.some((s) => s.instance.needs?.requestBody === true),
    needsResponseBody: steps.some((s) => s.instance.needs?.responseBody === true),
    inspectableBodyBytes: Math.min(Infinity, ...steps.filter((s) => s.instance.needs?.requestBody === true)
      .map((s) => s.instance.needs?.maxRequestBodyBytes ?? Infinity)),
  };
}
