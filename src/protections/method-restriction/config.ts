import { Type, type Static } from '@sinclair/typebox';
import { protectionConfigSchema } from '../../config/common-schema.ts';

export const MethodRestrictionConfigSchema = protectionConfigSchema({
  // No schema default on purpose: with `merge`, a filled-in default on a route would override the global value.
  unmatchedStatus: Type.Optional(Type.Union([Type.Literal(404), Type.Literal(405)], {
    description: 'Status for a path that no route declares: 404 (the default when unset; reason `route_not_found`) or 405 ' +
      '(reason `route_not_found`, with an empty `Allow`). Such a request is never forwarded: no upstream is known for it.',
  })),
  methodOverride: Type.Optional(Type.Union([Type.Literal('check'), Type.Literal('reject'), Type.Literal('allow')], {
    description: 'Method-override headers (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`), the `_method` ' +
      'query parameter and the `_method` field of a POSTed form or JSON body (in bodies read whole for inspection), which ' +
      'frameworks honour as the real method: `check` (the default when unset) holds the overriding ' +
      'method to the route\'s methods too (405 `method_not_allowed`) and refuses two that disagree (400 ' +
      '`method_override_conflict`); `reject` refuses any (400 `method_override_refused`); `allow` ignores them.',
  })),
  pathOverride: Type.Optional(Type.Union([Type.Literal('check'), Type.Literal('reject'), Type.Literal('allow')], {
    description: 'Path-override headers (`X-Original-URL`, `X-Rewrite-URL`), which Zend Framework 1, Magento 1, older Symfony ' +
      'and IIS-hosted applications take as the request\'s path: routes and their protections are chosen by the request ' +
      'line\'s path, so another path there reaches the backend past them. `check` (the default when unset) refuses one that ' +
      'names another path (400 `path_override_conflict`) unless the TCP peer is a trusted proxy (`clientAddress.trustedProxies`); ' +
      '`reject` refuses any (400 `path_override_refused`); `allow` ignores them.',
  })),
}, 'Only the methods a route declares reach its upstream (405 `method_not_allowed` with `Allow`), also when a method-override header names another; undeclared paths get 404 or 405.');

export type MethodRestrictionConfig = Static<typeof MethodRestrictionConfigSchema>;
