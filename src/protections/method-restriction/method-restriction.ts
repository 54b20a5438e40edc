import { defineProtection } from '../../pipeline/protection.ts';
import { block, pass } from '../../pipeline/verdict.ts';
import { MethodRestrictionConfigSchema, type MethodRestrictionConfig } from './config.ts';
import { METHODS } from 'node:http';
import type { Exchange } from '../../pipeline/exchange.ts';

/**
 * Method restriction: the single place where allowed methods are decided.
 *
 * Protects against: verb tampering (a DELETE on a read-only resource, TRACE for cross-site tracing, also when asked
 * for through a method-override header that the backend framework honours), requests to endpoints the API does not
 * declare. Phase: request head. Buffers nothing. The methods come from each route's
 * `methods` (GET implies HEAD); the router has already resolved the route and the methods the path accepts.
 */
export const methodRestriction = defineProtection<MethodRestrictionConfig>({
  name: 'method-restriction',
  key: 'methodRestriction',
  schema: MethodRestrictionConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: decided from the route table',
  defaultConfig: {},
  create(config) {
    const unmatchedStatus = config.unmatchedStatus ?? 404;
    const methodOverride = config.methodOverride ?? 'check';
    return {
      onRequestHead(exchange) {
        if (exchange.route === null) {
          return block(unmatchedStatus, 'route_not_found', {
            headers: unmatchedStatus === 405 ? { allow: '' } : undefined,
            detail: { location: 'path', excerpt: exchange.path },
          });
        }
        if (!exchange.route.methods.has(exchange.method)) {
          return block(405, 'method_not_allowed', {
            headers: { allow: exchange.allowedMethods.join(', ') },
            detail: { location: 'method', excerpt: exchange.method },
          });
        }
        if (methodOverride === 'allow') return pass();
        const override = overriddenMethod(exchange);
        if (override === undefined) return pass();
        if (methodOverride === 'reject') return block(400, 'method_override_refused', { detail: { location: override.location, excerpt: override.method } });
        if (override.method === CONFLICT) return block(400, 'method_override_conflict', { detail: { location: override.location, excerpt: '' } });
        if (exchange.route.methods.has(override.method)) return pass();
        return block(405, 'method_not_allowed', {
          headers: { allow: [...exchange.route.methods].join(', ') },
          detail: { location: override.location, excerpt: override.method },
        });
      },
    };
  },
});

/** Headers that Express (method-override), ASP.NET, Google APIs, Symfony and others take as the request's method. */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
/** Two override values that disagree (see overriddenMethod). */
const CONFLICT = '';
/** The methods an override can name: those Node's HTTP parser knows (what Express's method-override accepts). */
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

/**
 * The method a method-override header or a `_method` query parameter asks for (upper case, trimmed), where it was
 * found, or undefined when the request carries none (values that are no HTTP method do not count). Several that
 * disagree give CONFLICT: which one the backend reads is not known. (A `_method` field in a form body, as Rails and
 * Laravel read it, is not seen here: this protection runs on the request head.)
 */
function overriddenMethod(exchange: Exchange): { method: string; location: string } | undefined {
  let found: { method: string; location: string } | undefined;
  const see = (raw: string, location: string): void => {
    const method = raw.trim().toUpperCase();
    // frameworks ignore a value that is no HTTP method (method-override checks Node's list, Rails its own)
    if (!KNOWN_METHODS.has(method)) return;
    if (found === undefined) found = { method, location };
    else if (found.method !== method) found = { method: CONFLICT, location: found.location };
  };
  const headers = exchange.req.headers;
  for (const name of OVERRIDE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) see(v, `header:${name}`);
  }
  if (exchange.rawQuery.includes('_method')) {
    for (const param of exchange.query) if (param.name === '_method') see(param.value, 'query:_method');
  }
  return found;
}
