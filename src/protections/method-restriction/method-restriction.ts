import { defineProtection } from '../../pipeline/protection.ts';
import { block, pass } from '../../pipeline/verdict.ts';
import { MethodRestrictionConfigSchema, type MethodRestrictionConfig } from './config.ts';

/**
 * Method restriction: the single place where allowed methods are decided.
 *
 * Protects against: verb tampering (a DELETE on a read-only resource, TRACE for cross-site tracing), requests to
 * endpoints the API does not declare. Phase: request head. Buffers nothing. The methods come from each route's
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
    return {
      onRequestHead(exchange) {
        if (exchange.route === null) {
          return block(unmatchedStatus, 'route_not_found', {
            headers: unmatchedStatus === 405 ? { allow: '' } : undefined,
            detail: { location: 'path', excerpt: exchange.path },
          });
        }
        if (exchange.route.methods.has(exchange.method)) return pass();
        return block(405, 'method_not_allowed', {
          headers: { allow: exchange.allowedMethods.join(', ') },
          detail: { location: 'method', excerpt: exchange.method },
        });
      },
    };
  },
});
