import { defineProtection } from '../../pipeline/protection.ts';
import { block, pass } from '../../pipeline/verdict.ts';
import { MethodRestrictionConfigSchema, type MethodRestrictionConfig } from './config.ts';
import { METHODS } from 'node:http';
import type { Exchange } from '../../pipeline/exchange.ts';
import type { Verdict } from '../../pipeline/verdict.ts';
import { bodyKindOf, mediaCharset } from '../../inspect/extract/content-type.ts';
import { extractUrlencoded } from '../../inspect/extract/urlencoded.ts';
import { extractMultipart } from '../../inspect/extract/multipart.ts';
import { problemStatus, type ExtractProblem } from '../../inspect/extract/extract-result.ts';
import { compileCidrSet, type CidrSet } from '../../net/cidr.ts';

/**
 * Method restriction: the single place where allowed methods are decided.
 *
 * Protects against: verb tampering (a DELETE on a read-only resource, TRACE for cross-site tracing, also when asked
 * for through a method-override header, query parameter or form field that the backend framework honours), requests
 * to endpoints the API does not declare. Phases: request head; request body for a POST's `_method` field, which Rails,
 * Laravel and Express's method-override read in forms, and Laravel in JSON too. It reads the bodies that are read
 * whole for inspection (attack detection reads every body by default) and asks for none itself: a route whose
 * operator lets bodies stream keeps streaming them. The methods come from each route's `methods` (GET implies HEAD); the
 * router has already resolved the route and the methods the path accepts.
 */
export const methodRestriction = defineProtection<MethodRestrictionConfig>({
  name: 'method-restriction',
  key: 'methodRestriction',
  schema: MethodRestrictionConfigSchema,
  routeConfig: 'merge',
  sharedBetweenWorkers: 'nothing: decided from the route table',
  defaultConfig: {},
  create(config, context) {
    const unmatchedStatus = config.unmatchedStatus ?? 404;
    const methodOverride = config.methodOverride ?? 'check';
    const pathOverride = config.pathOverride ?? 'check';
    // (a front proxy that rewrote the URL says so in X-Original-URL: its word is taken)
    const trusted = compileCidrSet(context.policy.clientAddress?.trustedProxies ?? []).set;
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
        if (pathOverride !== 'allow') {
          const refused = judgePathOverride(exchange, pathOverride, trusted);
          if (refused !== undefined) return refused;
        }
        if (methodOverride === 'allow') return pass();
        return judgeOverride(exchange, overriddenMethod(exchange), methodOverride);
      },
      // Called for every body read whole for inspection (it asks for none itself: see the doc comment above).
      ...(methodOverride === 'allow' ? {} : {
        onRequestBody(exchange: Exchange, body: Buffer): Verdict {
          // Frameworks read `_method` from the body of a POST only (Rack::MethodOverride, Laravel, method-override).
          if (exchange.method !== 'POST' || exchange.route === null || body.length === 0) return pass();
          const fields = bodyMethodFields(exchange.header('content-type'), body);
          if (fields === undefined) return pass(); // no form or JSON
          if ('problem' in fields) {
            // A form whose `_method` cannot be read is not forwarded: the backend may read one there.
            const { problem } = fields;
            return block(problemStatus(problem), problem.reason, { detail: { location: 'body', message: `${problem.message}: its _method field cannot be checked` } });
          }
          if (fields.length === 0) return pass();
          let found = overriddenMethod(exchange);
          for (const field of fields) found = combine(found, field, 'body:_method');
          return judgeOverride(exchange, found, methodOverride);
        },
      }),
    };
  },
});

/** Headers that frameworks take as the request's path (see the `pathOverride` option). */
const PATH_OVERRIDE_HEADERS = ['x-original-url', 'x-rewrite-url'];

/**
 * A refusal for a path-override header that names another path than the request line (any, with `reject`), or
 * undefined. The path is the header's value up to `?` or `#` (of an absolute URL: after its authority), compared
 * as written with the request's canonical path (what is routed and forwarded): another encoding of the same path is
 * another path here, as the backend may decode it otherwise.
 */
function judgePathOverride(exchange: Exchange, mode: 'check' | 'reject', trusted: CidrSet): Verdict | undefined {
  const headers = exchange.req.headers;
  for (const name of PATH_OVERRIDE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    const location = `header:${name}`;
    if (mode === 'reject') return block(400, 'path_override_refused', { detail: { location, excerpt: '' } });
    if (trusted.size > 0 && trusted.has(exchange.connection.peerAddress)) return undefined;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (overridePath(v) !== exchange.path) return block(400, 'path_override_conflict', { detail: { location, excerpt: '' } });
    }
  }
  return undefined;
}

/** The path of a URL as written (origin form, or the path of an absolute URL). */
function pathOfUrl(target: string): string {
  let start = 0;
  if (!target.startsWith('/')) {
    const scheme = target.indexOf('://');
    const slash = scheme < 0 ? -1 : target.indexOf('/', scheme + 3);
    if (slash < 0) return '/';
    start = slash;
  }
  let end = target.length;
  for (const stop of ['?', '#']) {
    const at = target.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  return target.slice(start, end);
}

/** The path a path-override header names (blanks around it dropped); a value that is no path gives itself. */
function overridePath(value: string): string {
  const v = value.trim();
  return v.startsWith('/') || v.includes('://') ? pathOfUrl(v) : v;
}

/** The verdict on an override found in the request (undefined: none). */
function judgeOverride(exchange: Exchange, override: { method: string; location: string } | undefined, mode: 'check' | 'reject'): Verdict {
  if (override === undefined || exchange.route === null) return pass();
  if (mode === 'reject') return block(400, 'method_override_refused', { detail: { location: override.location, excerpt: override.method } });
  if (override.method === CONFLICT) return block(400, 'method_override_conflict', { detail: { location: override.location, excerpt: '' } });
  if (exchange.route.methods.has(override.method)) return pass();
  return block(405, 'method_not_allowed', {
    headers: { allow: [...exchange.route.methods].join(', ') },
    detail: { location: override.location, excerpt: override.method },
  });
}

/**
 * The values of the `_method` fields of a form body (urlencoded or multipart) or the `_method` member of a JSON
 * object (Laravel reads a JSON body as its input), parsed by the parsers the attack-detection protection uses;
 * undefined when the body is none of these, the parser's problem when it does not parse.
 */
function bodyMethodFields(contentType: string | undefined, body: Buffer): string[] | { problem: ExtractProblem } | undefined {
  if (contentType === undefined) return undefined;
  const classified = bodyKindOf(contentType);
  if (!('kind' in classified)) return undefined;
  const kind = classified.kind;
  if (kind !== 'form' && kind !== 'multipart' && kind !== 'json') return undefined;
  // (a quick look first: most bodies carry no override; a name written with escapes, `%5Fm%65thod` or
  // `\u005fmethod`, is left to the parser)
  if (!body.includes('_method') && !body.includes(kind === 'json' ? '\\u' : '%')) return [];
  if (kind === 'json') return jsonMethodField(body);
  // (no budget of arguments or parts here: only `_method` is looked for, and the body's size is bounded already)
  const result = kind === 'form'
    ? extractUrlencoded(body, { charset: mediaCharset(classified.media), maxArguments: UNBOUNDED, maxInputs: UNBOUNDED })
    : extractMultipart(body, classified.media!, { maxParts: UNBOUNDED, maxInputs: UNBOUNDED, fileContents: false });
  if ('problem' in result) return result;
  // the field's own value: in a multipart body, not a header or parameter of its part (`..._method:header:...`)
  const location = kind === 'form' ? 'body:form:_method' : 'body:multipart:_method';
  const values: string[] = [];
  for (const input of result.inputs) if (input.isName !== true && input.location === location) values.push(input.value);
  return values;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * The top-level `_method` member of a JSON object, read as PHP's json_decode (Laravel) reads it: the last of
 * duplicated members, escapes decoded, a string only. A document that is no JSON gives none (json_decode fails
 * too); the body's other checks judge it.
 */
function jsonMethodField(body: Buffer): string[] {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  const value = (document as Record<string, unknown>)._method;
  return typeof value === 'string' ? [value] : [];
}

/** Headers that Express (method-override), ASP.NET, Google APIs, Symfony and others take as the request's method. */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
/** Two override values that disagree (see overriddenMethod). */
const CONFLICT = '';
/** The methods an override can name: those Node's HTTP parser knows (what Express's method-override accepts). */
const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

/**
 * The method a method-override header or a `_method` query parameter asks for (upper case, trimmed), where it was
 * found, or undefined when the request carries none (values that are no HTTP method do not count). Several that
 * disagree give CONFLICT: which one the backend reads is not known. (A `_method` field in a form body is read in the
 * body phase: bodyMethodFields.)
 */
function overriddenMethod(exchange: Exchange): { method: string; location: string } | undefined {
  let found: { method: string; location: string } | undefined;
  const see = (raw: string, location: string): void => { found = combine(found, raw, location); };
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

/** `found` with one more override value `raw` seen at `location` (see overriddenMethod). */
function combine(found: { method: string; location: string } | undefined, raw: string, location: string): { method: string; location: string } | undefined {
  const method = raw.trim().toUpperCase();
  // frameworks ignore a value that is no HTTP method (method-override checks Node's list, Rails its own)
  if (!KNOWN_METHODS.has(method)) return found;
  if (found === undefined) return { method, location };
  return found.method === method ? found : { method: CONFLICT, location: found.location };
}
